//! ## What it does
//! When the sender's provider is known, checks that the SMTP and IMAP hosts
//! are servers of that provider, or at least of some provider the catalog
//! knows: `smtp.yahoo.fr` for a Yahoo address is flagged, with the right
//! value (`smtp.mail.yahoo.com`).
//!
//! ## Why is this bad?
//! A mistyped or guessed host name fails with a DNS error, a certificate
//! error or a timeout, none of which says "wrong host name".
//!
//! ## Example
//! ```toml
//! sender = "isabelle.martin@yahoo.fr"
//! [smtp]
//! host = "smtp.yahoo.fr"
//! ```
//! Yahoo Mail's SMTP server is `smtp.mail.yahoo.com:465 (implicit-tls)`.

use super::{Context, Diagnostic, Rule, Severity};

pub(super) const NAME: &str = "host-unknown-to-provider";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(home) = ctx.facts.sender_home() else {
        return;
    };
    for (server, provider) in ctx.servers() {
        let Some(host) = &server.host else { continue };
        if provider.is_some() {
            continue; // a known server, of this provider or another (other rules)
        }
        let Some(expected) = super::first_server(home, server.protocol) else {
            continue;
        };
        out.push(
            Diagnostic::new(
                Rule::HostUnknownToProvider,
                Severity::Warning,
                server.fields().host,
            )
            .arg("protocol", server.protocol.name())
            .arg("host", host)
            .arg("provider", &home.name)
            .arg("expected", super::describe(ctx, expected)),
        );
    }
}
