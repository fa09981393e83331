//! ## What it does
//! Checks that each security mode is `implicit-tls` or `starttls`, and
//! suggests the right spelling for the usual alternatives (`ssl`, `tls`,
//! `STARTTLS`).
//!
//! ## Why is this bad?
//! An unknown value cannot be acted on; guessing could mean connecting in a
//! way the user did not choose.
//!
//! ## Example
//! ```toml
//! [smtp]
//! security = "ssl"
//! ```
//! Write `security = "implicit-tls"`.

use super::plaintext_connection::PLAINTEXT;
use super::{Context, Diagnostic, Rule, Severity};

pub(super) const NAME: &str = "invalid-security";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (server, _) in ctx.servers() {
        let Some(value) = server
            .input
            .security
            .as_deref()
            .filter(|v| !v.trim().is_empty())
        else {
            continue;
        };
        if server.security.is_some() {
            continue;
        }
        let lower = value.trim().to_ascii_lowercase();
        if PLAINTEXT.contains(&lower.as_str()) {
            continue; // plaintext-connection says more
        }
        let suggestion = match lower.as_str() {
            "ssl" | "tls" | "ssl/tls" | "implicit" | "implicit_tls" | "implicittls" | "smtps"
            | "imaps" => "implicit-tls",
            "starttls" | "start-tls" | "start_tls" | "tls-starttls" => "starttls",
            _ => "none",
        };
        out.push(
            Diagnostic::new(
                Rule::InvalidSecurity,
                Severity::Error,
                server.fields().security,
            )
            .arg("protocol", server.protocol.name())
            .arg("value", value)
            .arg("suggestion", suggestion),
        );
    }
}
