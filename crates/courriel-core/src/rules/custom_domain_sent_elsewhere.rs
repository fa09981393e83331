//! ## What it does
//! Checks that an address at a custom domain (`contact@boulangerie-martin.fr`)
//! is sent through the provider that hosts that domain, known from its MX
//! (OVH, IONOS, Gandi, Google Workspace, Microsoft 365...), and not through
//! a mailbox provider that does not host it (a Gmail or Yahoo account).
//!
//! ## Why is this bad?
//! The domain's SPF record lists its hosting provider's servers, and DMARC
//! requires the message to come from them. Sent through another provider,
//! the message fails both checks: it lands in spam or is refused, and
//! bounces may never reach the user.
//!
//! ## Example
//! ```toml
//! sender = "contact@boulangerie-martin.fr"   # MX: mx1.mail.ovh.net
//! [smtp]
//! host = "smtp.gmail.com"
//! ```
//! Send through OVH's server `ssl0.ovh.net`.

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;

pub(super) const NAME: &str = "custom-domain-sent-elsewhere";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(sender), Some(smtp_provider)) = (&ctx.sender, ctx.facts.smtp_provider) else {
        return;
    };
    // Consumer domains (gmail.com...) are the other rule's business.
    if ctx.facts.sender_provider.is_some()
        || smtp_provider
            .domains
            .iter()
            .any(|d| d == sender.domain().as_str())
    {
        return;
    }
    match ctx.facts.sender_mx_provider {
        Some(host) if host.id == smtp_provider.id => {}
        Some(host) => {
            let server = host
                .smtp
                .first()
                .map(|s| super::describe(ctx, s))
                .unwrap_or_default();
            out.push(
                Diagnostic::new(
                    Rule::CustomDomainSentElsewhere,
                    Severity::Warning,
                    Field::SmtpHost,
                )
                .arg("domain", sender.domain())
                .arg("hoster", &host.name)
                .arg("provider", &smtp_provider.name)
                .arg("server", server),
            );
        }
        // MX unknown: only a mailbox provider with its own consumer domains
        // is sure not to host the sender's domain.
        None if !smtp_provider.domains.is_empty() => out.push(
            Diagnostic::new(
                Rule::CustomDomainSentElsewhere,
                Severity::Warning,
                Field::SmtpHost,
            )
            .arg("domain", sender.domain())
            .arg("hoster", "none")
            .arg("provider", &smtp_provider.name)
            .arg("server", "none"),
        ),
        None => {}
    }
}
