//! ## What it does
//! Checks that the port and the security mode agree: 465 (SMTP) and 993
//! (IMAP) speak TLS from the first byte (`implicit-tls`); 587 (SMTP) and
//! 143 (IMAP) start in plain text and upgrade with `starttls`.
//!
//! ## Why is this bad?
//! With the wrong pair, the client waits for a greeting the server will
//! only send after a TLS handshake, or starts a handshake the server does
//! not expect: the connection hangs until it times out, or fails with an
//! obscure TLS error.
//!
//! ## Example
//! ```toml
//! [smtp]
//! port = 465
//! security = "starttls"
//! ```
//! Use `security = "implicit-tls"` on 465, or port 587 for STARTTLS.

use super::{Context, Diagnostic, Rule, Severity};
use crate::Security;
use crate::account::Protocol;

pub(super) const NAME: &str = "port-security-mismatch";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (server, _) in ctx.servers() {
        let (Some(port), Some(security)) = (server.port, server.security) else {
            continue;
        };
        let (implicit, starttls) = match server.protocol {
            Protocol::Smtp => (465, 587),
            Protocol::Imap => (993, 143),
        };
        let expected = match (port, security) {
            (p, Security::Starttls) if p == implicit => Security::ImplicitTls,
            (p, Security::ImplicitTls) if p == starttls => Security::Starttls,
            _ => continue,
        };
        let other_port = if expected == Security::ImplicitTls {
            starttls
        } else {
            implicit
        };
        out.push(
            Diagnostic::new(
                Rule::PortSecurityMismatch,
                Severity::Error,
                server.fields().security,
            )
            .arg("protocol", server.protocol.name())
            .arg("port", port)
            .arg("security", security)
            .arg("expected", expected)
            .arg("other_port", other_port),
        );
    }
}
