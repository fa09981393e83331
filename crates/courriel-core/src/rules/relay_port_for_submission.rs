//! ## What it does
//! Flags SMTP port 25 for sending.
//!
//! ## Why is this bad?
//! Port 25 is for mail servers relaying to each other. Most networks and
//! cloud hosts block it outbound, most providers do not accept logins on
//! it, and it often offers no TLS. Users submit mail on 465 (implicit TLS)
//! or 587 (STARTTLS), RFC 8314.
//!
//! ## Example
//! ```toml
//! [smtp]
//! port = 25
//! ```
//! Use 465 with `implicit-tls`, or 587 with `starttls`.

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;

pub(super) const NAME: &str = "relay-port-for-submission";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if ctx.smtp.as_ref().and_then(|s| s.port) == Some(25) {
        out.push(Diagnostic::new(
            Rule::RelayPortForSubmission,
            Severity::Error,
            Field::SmtpPort,
        ));
    }
}
