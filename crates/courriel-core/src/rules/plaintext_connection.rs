//! ## What it does
//! Flags a security mode that means no encryption (`none`, `plain`,
//! `plaintext`...).
//!
//! ## Why is this bad?
//! The password and every message would cross the network readable by
//! anyone on the path. courriel never sends a password unencrypted from
//! settings; only code that calls an API named `dangerous` can.
//!
//! ## Example
//! ```toml
//! [imap]
//! port = 143
//! security = "none"
//! ```
//! Use `security = "starttls"` on 143, or port 993 with `implicit-tls`.

use super::{Context, Diagnostic, Rule, Severity};

pub(super) const NAME: &str = "plaintext-connection";

/// Values that mean "no encryption".
pub(super) const PLAINTEXT: &[&str] = &[
    "none",
    "plain",
    "plaintext",
    "clear",
    "cleartext",
    "insecure",
    "no",
    "off",
    "false",
];

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (server, _) in ctx.servers() {
        let Some(value) = server.input.security.as_deref() else {
            continue;
        };
        if PLAINTEXT.contains(&value.trim().to_ascii_lowercase().as_str()) {
            out.push(
                Diagnostic::new(
                    Rule::PlaintextConnection,
                    Severity::Error,
                    server.fields().security,
                )
                .arg("protocol", server.protocol.name())
                .arg("value", value),
            );
        }
    }
}
