//! ## What it does
//! When the host is a known provider's server, checks that the port and
//! security mode are ones the provider documents for it: port 587 on
//! `smtp.free.fr` with implicit TLS is flagged, with the documented values.
//!
//! ## Why is this bad?
//! A port the server does not listen on times out; a security mode the port
//! does not speak fails the TLS handshake or hangs. Neither error names the
//! setting to change.
//!
//! ## Example
//! ```toml
//! [smtp]
//! host = "smtp.mail.yahoo.com"
//! port = 25
//! security = "starttls"
//! ```
//! Yahoo documents `465 (implicit-tls)` and `587 (starttls)`.

use super::{Context, Diagnostic, Rule, Severity};

pub(super) const NAME: &str = "port-differs-from-provider";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (server, provider) in ctx.servers() {
        let (Some(provider), Some(host), Some(port), Some(security)) =
            (provider, &server.host, server.port, server.security)
        else {
            continue;
        };
        let documented: Vec<_> = super::servers_of(provider, server.protocol)
            .iter()
            .filter(|s| &ctx.host_of(s) == host)
            .collect();
        if documented.is_empty()
            || documented
                .iter()
                .any(|s| s.port == port && s.security == security)
        {
            continue;
        }
        let expected = documented
            .iter()
            .map(|s| format!("{} ({})", s.port, s.security))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            Diagnostic::new(
                Rule::PortDiffersFromProvider,
                Severity::Warning,
                server.fields().port,
            )
            .arg("protocol", server.protocol.name())
            .arg("host", host)
            .arg("port", port)
            .arg("security", security)
            .arg("provider", &provider.name)
            .arg("expected", expected),
        );
    }
}
