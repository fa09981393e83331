//! ## What it does
//! Speaks up when the provider refuses password logins altogether and
//! accepts only OAuth2 (Outlook.com and Microsoft 365 since Microsoft
//! turned off basic authentication) and the settings give a password.
//! What it says depends on the application (`Facts::oauth2_clients`):
//! with a client registered with that provider, it is guidance (a hint:
//! sign in with the provider instead); with none, an error saying what the
//! application needs; when not said (a file checked on its own), a warning.
//!
//! ## Why is this bad?
//! No password, not even an app password, will log in: every connection
//! fails with "authentication failed". Signing in with OAuth2 instead
//! (the account's tokens) is what works; then this rule says nothing. And
//! an application can only offer that with its own client registered with
//! the provider.
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
    let (severity, client) = match ctx.facts.oauth2_clients.for_provider(&provider.id) {
        Some(true) => (Severity::Hint, "registered"),
        Some(false) => (Severity::Error, "none"),
        None => (Severity::Warning, "unknown"),
    };
    let registration = provider
        .oauth2
        .as_ref()
        .and_then(|o| o.registration.as_deref())
        .unwrap_or("none");
    out.push(
        Diagnostic::new(Rule::Oauth2Only, severity, field)
            .arg("provider", &provider.name)
            .arg("client", client)
            .arg("registration", registration),
    );
}
