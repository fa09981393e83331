//! ## What it does
//! Checks that each host is a valid host name: letters, digits, `-` and
//! `.`, no spaces, no `https://`, no port.
//!
//! ## Why is this bad?
//! The connection fails with a name-resolution error that does not say the
//! name was malformed.
//!
//! ## Example
//! ```toml
//! [smtp]
//! host = "https://smtp.mail.yahoo.com:465"
//! ```
//! Write `host = "smtp.mail.yahoo.com"` and `port = 465`.

use super::{Context, Diagnostic, Rule, Severity};
use crate::normalize_domain;

pub(super) const NAME: &str = "invalid-host";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (server, _) in ctx.servers() {
        let Some(host) = server
            .input
            .host
            .as_deref()
            .filter(|h| !h.trim().is_empty())
        else {
            continue;
        };
        if host.trim().parse::<std::net::IpAddr>().is_ok() {
            continue;
        }
        let reason = if host.contains("://") {
            "scheme"
        } else if host.contains(':') {
            "port"
        } else if normalize_domain(host).is_err() {
            "syntax"
        } else if !host.contains('.') && host != "localhost" {
            "single-label"
        } else {
            continue;
        };
        out.push(
            Diagnostic::new(Rule::InvalidHost, Severity::Error, server.fields().host)
                .arg("protocol", server.protocol.name())
                .arg("value", host)
                .arg("reason", reason),
        );
    }
}
