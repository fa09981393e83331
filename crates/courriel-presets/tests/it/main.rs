//! Integration tests of the provider catalog: one binary, a module per area.

use std::fmt::Write as _;

mod builtin;
mod lookup;
mod merge;
mod table;
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

/// An `oauth2` block for `ACME`, valid; tests change one thing in it.
pub(crate) const ACME_OAUTH2: &str = r#"    oauth2: OAuth2(
        authorization_url: "https://login.acme.example/{tenant}/authorize",
        token_url: "https://login.acme.example/{tenant}/token",
        imap_scopes: [
            "https://acme.example/imap",
        ],
        smtp_scopes: [
            "https://acme.example/smtp",
        ],
        pkce: Supported,
        client_secret: Required,
        mechanisms: [XOAuth2],
        default_tenant: "common",
        admin_consent_url: "https://login.acme.example/{tenant}/adminconsent?client_id={client_id}",
        registration: "https://acme.example/developers",
        source: [
            "https://acme.example/oauth",
        ],
        last_checked: "2026-12-07",
    ),
"#;

/// `ACME` with `ACME_OAUTH2` after `auth` (from line 15 to 34).
pub(crate) fn acme_with_oauth2() -> String {
    ACME.replace(
        "    auth: Password,\n",
        &format!("    auth: Password,\n{ACME_OAUTH2}"),
    )
}

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
