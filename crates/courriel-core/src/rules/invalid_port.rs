//! ## What it does
//! Checks that each port is a number from 1 to 65535.
//!
//! ## Why is this bad?
//! There is no such port: the connection cannot even be attempted.
//!
//! ## Example
//! ```toml
//! [imap]
//! port = 9930
//! ```

use super::{Context, Diagnostic, Rule, Severity};

pub(super) const NAME: &str = "invalid-port";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (server, _) in ctx.servers() {
        let Some(port) = server.input.port else {
            continue;
        };
        if !(1..=65535).contains(&port) {
            let (implicit, starttls) = match server.protocol {
                crate::account::Protocol::Smtp => (465, 587),
                crate::account::Protocol::Imap => (993, 143),
            };
            out.push(
                Diagnostic::new(Rule::InvalidPort, Severity::Error, server.fields().port)
                    .arg("protocol", server.protocol.name())
                    .arg("value", port)
                    .arg("implicit", implicit)
                    .arg("starttls", starttls),
            );
        }
    }
}
