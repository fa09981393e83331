//! ## What it does
//! Checks that each configured server has a password: `password_env` names
//! an environment variable, and that variable is set (or the embedding
//! application gave the password directly).
//!
//! ## Why is this bad?
//! Without a password the server refuses the login. Passwords are never
//! written in account files or on command lines, where they would end up
//! in backups, shell histories and process lists: the account file names
//! the environment variable that holds it.
//!
//! ## Example
//! ```toml
//! [smtp]
//! host = "smtp.mail.yahoo.com"
//! # password_env = "YAHOO_APP_PASSWORD"   <- missing
//! ```

use super::{Context, Diagnostic, PasswordState, Rule, Severity};

pub(super) const NAME: &str = "password-not-available";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (server, _) in ctx.servers() {
        let state = match server.protocol {
            crate::account::Protocol::Smtp => &ctx.facts.smtp_password,
            crate::account::Protocol::Imap => &ctx.facts.imap_password,
        };
        let variable = server
            .input
            .password_env
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        let diagnostic = match (variable, state) {
            (_, PasswordState::Present | PasswordState::OAuth2) => continue,
            (None, _) => Diagnostic::new(
                Rule::PasswordNotAvailable,
                Severity::Error,
                server.fields().password_env,
            )
            .arg("protocol", server.protocol.name())
            .arg("variable", "none"),
            (Some(_), PasswordState::Missing(name)) => Diagnostic::new(
                Rule::PasswordNotAvailable,
                Severity::Error,
                server.fields().password_env,
            )
            .arg("protocol", server.protocol.name())
            .arg("variable", name),
            _ => continue,
        };
        out.push(diagnostic);
    }
}
