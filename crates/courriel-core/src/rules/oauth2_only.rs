//! ## What it does
//! Warns when the provider refuses password logins altogether and accepts
//! only OAuth2 (Outlook.com and Microsoft 365 since Microsoft turned off
//! basic authentication).
//!
//! ## Why is this bad?
//! No password, not even an app password, will log in: every connection
//! fails with "authentication failed". Signing in with OAuth2 instead
//! (the account's tokens) is what works; then this rule says nothing.
//!
//! ## Example
//! ```toml
//! sender = "isabelle.martin@outlook.fr"
//! [smtp]
//! host = "smtp-mail.outlook.com"
//! ```

use super::{Context, Diagnostic, PasswordState, Rule, Severity};
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
    let with_password = |state: &PasswordState| *state != PasswordState::OAuth2;
    let smtp = ctx.smtp.is_some() && with_password(&ctx.facts.smtp_password);
    let imap = ctx.imap.is_some() && with_password(&ctx.facts.imap_password);
    if !smtp && !imap {
        return;
    }
    let field = if smtp {
        Field::SmtpPasswordEnv
    } else {
        Field::ImapPasswordEnv
    };
    out.push(
        Diagnostic::new(Rule::Oauth2Only, Severity::Warning, field).arg("provider", &provider.name),
    );
}
