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
        let fields = server.fields();
        let written = |value: Option<&str>| value.is_some_and(|v| !v.trim().is_empty());
        let present = [
            (fields.host, written(input.host.as_deref())),
            (fields.port, input.port.is_some()),
            (fields.security, written(input.security.as_deref())),
            (fields.username, written(input.username.as_deref())),
        ];
        for (field, present) in present {
            if !present {
                out.push(missing(field));
            }
        }
    }
}

fn missing(field: Field) -> Diagnostic {
    Diagnostic::new(Rule::MissingField, Severity::Error, field).arg("field", field)
}
