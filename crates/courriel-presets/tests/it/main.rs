//! Integration tests of the provider catalog: one binary, a module per area.

use std::fmt::Write as _;

mod builtin;
mod lookup;
mod merge;
mod validation;

/// A valid provider file; tests change one thing in it.
pub(crate) const ACME: &str = r#"Provider(
    id: "acme",
    name: "Acme Mail",
    domains: [
        "acme.example",
    ],
    smtp: [
        Server(host: "smtp.acme.example", port: 465, security: ImplicitTls, username: Address),
    ],
    imap: [
        Server(host: "imap.acme.example", port: 993, security: ImplicitTls, username: Address),
    ],
    sender_policy: MustMatchLogin,
    auth: Password,
    sent_copy: ClientFiles,
    source: [
        "https://acme.example/help",
    ],
    last_checked: "2026-11-29",
)
"#;

/// `ACME` with an id and domain list of one's choosing.
pub(crate) fn provider(id: &str, domains: &[&str], mx: &[&str]) -> String {
    let list = |items: &[&str]| {
        items.iter().fold(String::new(), |mut out, d| {
            let _ = writeln!(out, "        \"{d}\",");
            out
        })
    };
    let mut text = ACME
        .replace("id: \"acme\"", &format!("id: \"{id}\""))
        .replace("        \"acme.example\",\n", &list(domains));
    if !mx.is_empty() {
        text = text.replace(
            "    smtp: [",
            &format!("    mx: [\n{}    ],\n    smtp: [", list(mx)),
        );
    }
    text
}
