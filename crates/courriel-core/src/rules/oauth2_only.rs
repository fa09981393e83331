//! ## What it does
//! Warns when the provider refuses password logins altogether and accepts
//! only OAuth2 (Outlook.com and Microsoft 365 since Microsoft turned off
//! basic authentication).
//!
//! ## Why is this bad?
//! No password, not even an app password, will log in: every connection
//! fails with "authentication failed".
//!
//! ## Example
//! ```toml
//! sender = "isabelle.martin@outlook.fr"
//! [smtp]
//! host = "smtp-mail.outlook.com"
//! ```

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;
use crate::provider::Auth;

pub(super) const NAME: &str = "oauth2-only";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(provider) = ctx.provider() else {
        return;
    };
    if provider.auth != Auth::OAuth2Only || (ctx.smtp.is_none() && ctx.imap.is_none()) {
        return;
    }
    let field = if ctx.smtp.is_some() {
        Field::SmtpPasswordEnv
    } else {
        Field::ImapPasswordEnv
    };
    out.push(
        Diagnostic::new(Rule::Oauth2Only, Severity::Warning, field).arg("provider", &provider.name),
    );
}
