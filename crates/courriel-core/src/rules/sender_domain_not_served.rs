//! ## What it does
//! Checks that the sender's mail domain belongs to the provider whose SMTP
//! server sends the mail: a `gmail.com` sender through Yahoo's server is
//! flagged.
//!
//! ## Why is this bad?
//! A provider sends only for its own domains. Either it refuses the message
//! outright (Yahoo, Orange, Free: an error), or the receiving servers see a
//! `gmail.com` message coming from Yahoo's servers: SPF and DMARC fail, and
//! the message lands in spam or is rejected (a warning).
//!
//! ## Example
//! ```toml
//! sender = "isabelle.martin@gmail.com"
//! [smtp]
//! host = "smtp.mail.yahoo.com"
//! ```
//! Send through `smtp.gmail.com`, or send as the Yahoo address.

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;
use crate::provider::SenderPolicy;

pub(super) const NAME: &str = "sender-domain-not-served";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(sender), Some(smtp_provider), Some(home)) = (
        &ctx.sender,
        ctx.facts.smtp_provider,
        ctx.facts.sender_provider,
    ) else {
        return;
    };
    if home.id == smtp_provider.id
        || smtp_provider
            .domains
            .iter()
            .any(|d| d == sender.domain().as_str())
    {
        return;
    }
    let severity = if smtp_provider.sender_policy == SenderPolicy::MustMatchLogin {
        Severity::Error
    } else {
        Severity::Warning
    };
    let server = home
        .smtp
        .first()
        .map(|s| super::describe(ctx, s))
        .unwrap_or_default();
    out.push(
        Diagnostic::new(Rule::SenderDomainNotServed, severity, Field::Sender)
            .arg("domain", sender.domain())
            .arg("home", &home.name)
            .arg("provider", &smtp_provider.name)
            .arg("server", server)
            .arg(
                "policy",
                if severity == Severity::Error {
                    "rejects"
                } else {
                    "other"
                },
            ),
    );
}
