//! ## What it does
//! Checks that the sender is a valid mail address, and says what is wrong
//! with it: no `@`, a name around it, a dot out of place, a bad domain.
//!
//! ## Why is this bad?
//! The SMTP server refuses the message, or the address is not the user's.
//!
//! ## Example
//! ```toml
//! sender = "Isabelle Martin <isabelle.martin@yahoo.fr>"
//! ```
//! Write the address alone: `isabelle.martin@yahoo.fr`.

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;
use crate::{AddressError, EmailAddress};

pub(super) const NAME: &str = "invalid-address";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(sender) = ctx
        .account
        .sender
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    else {
        return;
    };
    let Err(error) = EmailAddress::parse(sender) else {
        return;
    };
    let reason = match error {
        AddressError::MissingAt => "missing-at",
        AddressError::DisplayName => "display-name",
        AddressError::EmptyLocalPart => "empty-local-part",
        AddressError::LocalPartTooLong { .. } => "local-part-too-long",
        AddressError::LocalPartDots => "dots",
        AddressError::InvalidLocalPart { .. } => "character",
        AddressError::Domain(_) => "domain",
        _ => "other",
    };
    out.push(
        Diagnostic::new(Rule::InvalidAddress, Severity::Error, Field::Sender)
            .arg("value", sender)
            .arg("reason", reason),
    );
}
