//! ## What it does
//! Tells the user when their provider refuses the account password from
//! other software and wants an app password instead (Gmail, Yahoo, AOL,
//! iCloud, Fastmail...).
//!
//! ## Why is this bad?
//! With the account password, every login fails with "authentication
//! failed", although the password is right. An app password is generated in
//! the provider's security settings, often after turning on two-step
//! verification.
//!
//! ## Example
//! ```toml
//! sender = "isabelle.martin@yahoo.fr"
//! [smtp]
//! host = "smtp.mail.yahoo.com"
//! ```

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;
use crate::provider::Auth;

pub(super) const NAME: &str = "app-password-required";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(provider) = ctx.provider() else {
        return;
    };
    if provider.auth != Auth::AppPassword || (ctx.smtp.is_none() && ctx.imap.is_none()) {
        return;
    }
    let field = if ctx.smtp.is_some() {
        Field::SmtpPasswordEnv
    } else {
        Field::ImapPasswordEnv
    };
    let (en, fr) = super::hint_texts(provider);
    out.push(
        Diagnostic::new(Rule::AppPasswordRequired, Severity::Hint, field)
            .arg("provider", &provider.name)
            .localized("provider_hint", en, fr),
    );
}
