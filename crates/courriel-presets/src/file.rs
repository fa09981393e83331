//! The provider file format: what a `providers/*.ron` file holds, as written.
//!
//! This is the schema contributors edit (`deny_unknown_fields`), kept apart
//! from the checked, normalised [`Provider`](crate::Provider) that the catalog
//! serves. [`ProviderFile::to_canonical`] writes the one canonical form that
//! `cargo xtask validate` expects.

use std::fmt::Write as _;

use courriel_core::provider::{Auth, Hint, OAuth2, SenderPolicy, SentCopy, Status};
use serde::Deserialize;

/// One provider, as written in its RON file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename = "Provider")]
#[allow(missing_docs)] // fields are documented in providers/README.md
pub struct ProviderFile {
    pub id: String,
    pub name: String,
    pub domains: Vec<String>,
    #[serde(default)]
    pub mx: Vec<String>,
    #[serde(default)]
    pub not_taken: Vec<(String, String)>,
    pub smtp: Vec<ServerFile>,
    #[serde(default)]
    pub imap: Vec<ServerFile>,
    pub sender_policy: SenderPolicy,
    pub auth: Auth,
    #[serde(default)]
    pub oauth2: Option<OAuth2>,
    pub sent_copy: SentCopy,
    #[serde(default)]
    pub sent_folder: Option<String>,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub hint: Option<Hint>,
    #[serde(default)]
    pub documentation: Option<String>,
    pub source: Vec<String>,
    pub last_checked: String,
}

/// One server, as written: `Server(host: "...", port: 465, security: ImplicitTls, username: Address)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename = "Server")]
#[allow(missing_docs)]
pub struct ServerFile {
    pub host: String,
    pub port: u16,
    pub security: FileSecurity,
    pub username: FileUsername,
}

/// `ImplicitTls` or `Starttls`, as spelled in provider files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[allow(missing_docs)]
pub enum FileSecurity {
    ImplicitTls,
    Starttls,
}

/// `Address` or `LocalPart`, as spelled in provider files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[allow(missing_docs)]
pub enum FileUsername {
    Address,
    LocalPart,
}

courriel_core::__names!(FileSecurity { ImplicitTls => "ImplicitTls", "implicit-tls"; Starttls => "Starttls", "starttls"; });
courriel_core::__names!(FileUsername { Address => "Address", "address"; LocalPart => "LocalPart", "local-part"; });

impl From<FileSecurity> for courriel_core::Security {
    fn from(s: FileSecurity) -> Self {
        match s {
            FileSecurity::ImplicitTls => courriel_core::Security::ImplicitTls,
            FileSecurity::Starttls => courriel_core::Security::Starttls,
        }
    }
}

impl From<FileUsername> for courriel_core::UsernameTemplate {
    fn from(u: FileUsername) -> Self {
        match u {
            FileUsername::Address => courriel_core::UsernameTemplate::Address,
            FileUsername::LocalPart => courriel_core::UsernameTemplate::LocalPart,
        }
    }
}

/// The RON options every provider file is read with: `Some(...)` may be
/// left out around optional values (`sent_folder: "INBOX.Sent"`).
#[must_use]
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// The leading comment lines of a file (its header), kept by the canonical form.
#[must_use]
pub fn header(text: &str) -> &str {
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("//") {
            end += line.len();
        } else {
            break;
        }
    }
    &text[..end]
}

impl ProviderFile {
    /// Parses a provider file's text (no semantic checks: see [`crate::check`]).
    pub fn parse(text: &str) -> Result<Self, ron::error::SpannedError> {
        ron_options().from_str(text)
    }

    /// Writes the canonical form of this provider: fixed field order, sorted
    /// domains and MX patterns, optional fields left out when empty, four-space
    /// indentation, one server per line, the `oauth2` block (if any) after
    /// `auth`. `header` (comment lines) comes first.
    #[must_use]
    pub fn to_canonical(&self, header: &str) -> String {
        let mut out = String::with_capacity(1024);
        out.push_str(header);
        out.push_str("Provider(\n");
        let _ = writeln!(out, "    id: {},", quote(&self.id));
        let _ = writeln!(out, "    name: {},", quote(&self.name));
        write_string_list(&mut out, "domains", &sorted(&self.domains), true);
        write_string_list(&mut out, "mx", &sorted(&self.mx), false);
        if !self.not_taken.is_empty() {
            let mut not_taken = self.not_taken.clone();
            not_taken.sort();
            out.push_str("    not_taken: [\n");
            for (claim, why) in &not_taken {
                let _ = writeln!(out, "        ({}, {}),", quote(claim), quote(why));
            }
            out.push_str("    ],\n");
        }
        write_servers(&mut out, "smtp", &self.smtp, true);
        write_servers(&mut out, "imap", &self.imap, false);
        let _ = writeln!(
            out,
            "    sender_policy: {},",
            self.sender_policy.file_name()
        );
        let _ = writeln!(out, "    auth: {},", self.auth.file_name());
        if let Some(oauth2) = &self.oauth2 {
            write_oauth2(&mut out, oauth2);
        }
        let _ = writeln!(out, "    sent_copy: {},", self.sent_copy.file_name());
        if let Some(folder) = &self.sent_folder {
            let _ = writeln!(out, "    sent_folder: {},", quote(folder));
        }
        if self.status != Status::Supported {
            let _ = writeln!(out, "    status: {},", self.status.file_name());
        }
        if let Some(hint) = &self.hint {
            out.push_str("    hint: Hint(\n");
            let _ = writeln!(out, "        en: {},", quote(&hint.en));
            let _ = writeln!(out, "        fr: {},", quote(&hint.fr));
            out.push_str("    ),\n");
        }
        if let Some(doc) = &self.documentation {
            let _ = writeln!(out, "    documentation: {},", quote(doc));
        }
        write_string_list(&mut out, "source", &self.source, true);
        let _ = writeln!(out, "    last_checked: {},", quote(&self.last_checked));
        out.push_str(")\n");
        out
    }
}

fn sorted(items: &[String]) -> Vec<String> {
    let mut v = items.to_vec();
    v.sort();
    v.dedup();
    v
}

fn write_string_list(out: &mut String, field: &str, items: &[String], always: bool) {
    write_list_at(out, "    ", field, items, always);
}

/// A list of strings at `indent`, one item per line; `[]` when empty and
/// `always`, nothing when empty otherwise.
fn write_list_at(out: &mut String, indent: &str, field: &str, items: &[String], always: bool) {
    if items.is_empty() {
        if always {
            let _ = writeln!(out, "{indent}{field}: [],");
        }
        return;
    }
    let _ = writeln!(out, "{indent}{field}: [");
    for item in items {
        let _ = writeln!(out, "{indent}    {},", quote(item));
    }
    let _ = writeln!(out, "{indent}],");
}

/// The `oauth2: OAuth2(...)` block: its fields in the type's order, optional
/// ones left out when empty, one scope or source per line, the mechanisms
/// on one line. Scopes keep their order (the order they are asked in).
fn write_oauth2(out: &mut String, o: &OAuth2) {
    const IN: &str = "        ";
    out.push_str("    oauth2: OAuth2(\n");
    let _ = writeln!(
        out,
        "{IN}authorization_url: {},",
        quote(&o.authorization_url)
    );
    let _ = writeln!(out, "{IN}token_url: {},", quote(&o.token_url));
    if let Some(url) = &o.device_authorization_url {
        let _ = writeln!(out, "{IN}device_authorization_url: {},", quote(url));
    }
    if let Some(url) = &o.revocation_url {
        let _ = writeln!(out, "{IN}revocation_url: {},", quote(url));
    }
    write_list_at(out, IN, "imap_scopes", &o.imap_scopes, true);
    write_list_at(out, IN, "smtp_scopes", &o.smtp_scopes, true);
    write_list_at(out, IN, "extra_scopes", &o.extra_scopes, false);
    if !o.authorization_params.is_empty() {
        let _ = writeln!(out, "{IN}authorization_params: [");
        for (name, value) in &o.authorization_params {
            let _ = writeln!(out, "{IN}    ({}, {}),", quote(name), quote(value));
        }
        let _ = writeln!(out, "{IN}],");
    }
    let _ = writeln!(out, "{IN}pkce: {},", o.pkce.file_name());
    let _ = writeln!(out, "{IN}client_secret: {},", o.client_secret.file_name());
    let mechanisms: Vec<&str> = o.mechanisms.iter().map(|m| m.file_name()).collect();
    let _ = writeln!(out, "{IN}mechanisms: [{}],", mechanisms.join(", "));
    for (field, value) in [
        ("default_tenant", &o.default_tenant),
        ("admin_consent_url", &o.admin_consent_url),
        ("registration", &o.registration),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "{IN}{field}: {},", quote(value));
        }
    }
    write_list_at(out, IN, "source", &o.source, true);
    let _ = writeln!(out, "{IN}last_checked: {},", quote(&o.last_checked));
    out.push_str("    ),\n");
}

fn write_servers(out: &mut String, field: &str, servers: &[ServerFile], always: bool) {
    if servers.is_empty() {
        if always {
            let _ = writeln!(out, "    {field}: [],");
        }
        return;
    }
    let _ = writeln!(out, "    {field}: [");
    for s in servers {
        let _ = writeln!(
            out,
            "        Server(host: {}, port: {}, security: {}, username: {}),",
            quote(&s.host),
            s.port,
            s.security.file_name(),
            s.username.file_name()
        );
    }
    out.push_str("    ],\n");
}

/// A RON string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"// a header line
Provider(
    id: "sample",
    name: "Sample \"Mail\"",
    domains: [
        "b.example",
        "a.example",
    ],
    smtp: [
        Server(host: "smtp.a.example", port: 465, security: ImplicitTls, username: Address),
    ],
    sender_policy: Unknown,
    auth: Password,
    sent_copy: Unknown,
    sent_folder: "INBOX.Sent",
    hint: Hint(en: "e", fr: "f"),
    source: ["https://a.example/help"],
    last_checked: "2026-11-29",
)
"#;

    #[test]
    fn canonical_form_round_trips_and_sorts() {
        let parsed = ProviderFile::parse(SAMPLE).unwrap();
        let canonical = parsed.to_canonical(header(SAMPLE));
        assert!(canonical.starts_with("// a header line\nProvider(\n"));
        assert!(canonical.find("a.example").unwrap() < canonical.find("b.example").unwrap());
        let reparsed = ProviderFile::parse(&canonical).unwrap();
        let mut expected = parsed.clone();
        expected.domains.sort();
        assert_eq!(reparsed, expected);
        // The canonical form is a fixed point.
        assert_eq!(reparsed.to_canonical(header(&canonical)), canonical);
    }

    const OAUTH2: &str = r#"    oauth2: OAuth2(
        authorization_url: "https://login.a.example/{tenant}/authorize",
        token_url: "https://login.a.example/{tenant}/token",
        device_authorization_url: "https://login.a.example/{tenant}/devicecode",
        revocation_url: "https://login.a.example/{tenant}/revoke",
        imap_scopes: [
            "https://a.example/IMAP",
        ],
        smtp_scopes: [
            "https://a.example/SMTP",
        ],
        extra_scopes: [
            "offline_access",
        ],
        authorization_params: [
            ("prompt", "consent"),
        ],
        pkce: Supported,
        client_secret: NotForPublicClients,
        mechanisms: [XOAuth2, OAuthBearer],
        default_tenant: "common",
        admin_consent_url: "https://login.a.example/{tenant}/adminconsent?client_id={client_id}",
        registration: "https://a.example/apps",
        source: [
            "https://a.example/oauth",
        ],
        last_checked: "2026-12-07",
    ),
"#;

    #[test]
    fn the_oauth2_block_comes_after_auth_and_round_trips() {
        let text = SAMPLE.replace(
            "    auth: Password,\n",
            &format!("    auth: Password,\n{OAUTH2}"),
        );
        let parsed = ProviderFile::parse(&text).unwrap();
        let oauth2 = parsed.oauth2.as_ref().unwrap();
        assert_eq!(oauth2.default_tenant.as_deref(), Some("common"));
        assert_eq!(
            oauth2.authorization_params,
            [("prompt".into(), "consent".into())]
        );
        let canonical = parsed.to_canonical(header(&text));
        assert!(
            canonical.contains(&format!(
                "    auth: Password,\n{OAUTH2}    sent_copy: Unknown,\n"
            )),
            "{canonical}"
        );
        assert_eq!(
            ProviderFile::parse(&canonical).unwrap().oauth2,
            parsed.oauth2
        );
        assert_eq!(
            ProviderFile::parse(&canonical)
                .unwrap()
                .to_canonical(header(&canonical)),
            canonical
        );
    }

    #[test]
    fn optional_oauth2_fields_are_left_out_when_empty() {
        let minimal = OAUTH2
            .lines()
            .filter(|l| {
                ![
                    "device_authorization_url",
                    "revocation_url",
                    "default_tenant",
                    "admin_consent_url",
                    "registration",
                ]
                    .iter()
                    .any(|f| l.trim_start().starts_with(f))
            })
            .collect::<Vec<_>>()
            .join("\n")
            .replace(
                "        extra_scopes: [\n            \"offline_access\",\n        ],\n",
                "",
            )
            .replace(
                "        authorization_params: [\n            (\"prompt\", \"consent\"),\n        ],\n",
                "",
            );
        let text = SAMPLE.replace(
            "    auth: Password,\n",
            &format!("    auth: Password,\n{minimal}\n"),
        );
        let parsed = ProviderFile::parse(&text).unwrap();
        let oauth2 = parsed.oauth2.as_ref().unwrap();
        assert!(oauth2.extra_scopes.is_empty() && oauth2.registration.is_none());
        let canonical = parsed.to_canonical("");
        assert!(canonical.contains(&format!("{minimal}\n")), "{canonical}");
        for absent in [
            "extra_scopes",
            "authorization_params",
            "default_tenant",
            "registration",
        ] {
            assert!(!canonical.contains(absent), "{absent} in {canonical}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = SAMPLE.replace("auth: Password,", "auth: Password,\n    colour: \"blue\",");
        let err = ProviderFile::parse(&text).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
