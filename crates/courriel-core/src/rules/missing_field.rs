//! ## What it does
//! Checks that the settings have every field they need: the sender, and in
//! a `[smtp]` or `[imap]` table its host, port, security and username.
//!
//! ## Why is this bad?
//! A connection cannot be made with part of its settings; guessing the
//! rest silently would hide the mistake.
//!
//! ## Example
//! ```toml
//! sender = "isabelle.martin@yahoo.fr"
//! [smtp]
//! host = "smtp.mail.yahoo.com"
//! # port, security, username missing
//! ```

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;

pub(super) const NAME: &str = "missing-field";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if ctx
        .account
        .sender
        .as_deref()
        .is_none_or(|s| s.trim().is_empty())
    {
        out.push(missing(Field::Sender));
    }
    for (server, _) in ctx.servers() {
        let input = &server.input;
        let present = [
            input.host.as_deref().is_some_and(|h| !h.trim().is_empty()),
            input.port.is_some(),
            input
                .security
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty()),
            input
                .username
                .as_deref()
                .is_some_and(|u| !u.trim().is_empty()),
        ];
        for (i, present) in present.iter().enumerate() {
            if !present {
                out.push(missing(server.field(i + 1)));
            }
        }
    }
}

fn missing(field: Field) -> Diagnostic {
    Diagnostic::new(Rule::MissingField, Severity::Error, field).arg("field", field)
}
