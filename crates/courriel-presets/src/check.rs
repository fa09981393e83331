//! Checks of one provider file: it parses, and every value is one the
//! catalog can use. Each problem names the file, line and column and says
//! what to change.

use std::fmt;

use courriel_core::normalize_domain;
use courriel_core::provider::{Auth, OAuth2};

use crate::file::{FileSecurity, ProviderFile, ServerFile};
use crate::locate::{Locations, Position};

/// A problem in a provider file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file, as given to the loader (`providers/yahoo.ron`).
    pub file: String,
    /// Where the value to change starts.
    pub position: Position,
    /// What is wrong (lower case, no final period).
    pub message: String,
    /// What to change.
    pub help: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}\n  help: {}",
            self.file, self.position.line, self.position.column, self.message, self.help
        )
    }
}

impl std::error::Error for FileError {}

/// A problem found before its position is known: the path of the value.
pub(crate) struct Problem {
    pub(crate) path: String,
    pub(crate) message: String,
    pub(crate) help: String,
}

impl Problem {
    pub(crate) fn new(
        path: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Problem {
            path: path.into(),
            message: message.into(),
            help: help.into(),
        }
    }

    pub(crate) fn locate(self, file: &str, locations: &Locations) -> FileError {
        FileError {
            file: file.to_string(),
            position: locations.find(&self.path),
            message: self.message,
            help: self.help,
        }
    }
}

/// Parses and checks one provider file. `file` is the name errors show;
/// its stem must equal the provider's id.
pub fn check_file(file: &str, text: &str) -> Result<ProviderFile, Vec<FileError>> {
    let parsed = ProviderFile::parse(text).map_err(|e| {
        vec![FileError {
            file: file.to_string(),
            position: Position {
                line: e.span.start.line,
                column: e.span.start.col,
            },
            message: parse_message(&e.code),
            help: parse_help(&e.code),
        }]
    })?;
    let problems = problems(file, &parsed);
    if problems.is_empty() {
        Ok(parsed)
    } else {
        let locations = Locations::of(text);
        Err(problems
            .into_iter()
            .map(|p| p.locate(file, &locations))
            .collect())
    }
}

fn parse_message(code: &ron::Error) -> String {
    use ron::Error as E;
    match code {
        E::ExpectedComma => "a `,` is missing before this point".to_string(),
        E::NoSuchStructField { found, outer, .. } => {
            format!(
                "unknown field `{found}` in `{}`",
                outer.as_deref().unwrap_or("Provider")
            )
        }
        E::MissingStructField { field, outer } => {
            format!(
                "the field `{field}` is missing from `{}`",
                outer.as_deref().unwrap_or("Provider")
            )
        }
        E::DuplicateStructField { field, .. } => format!("the field `{field}` is given twice"),
        E::NoSuchEnumVariant { found, outer, .. } => {
            let field = match outer.as_deref() {
                Some("FileSecurity") => "security",
                Some("FileUsername") => "username",
                Some("SenderPolicy") => "sender_policy",
                Some("Auth") => "auth",
                Some("SentCopy") => "sent_copy",
                Some("Status") => "status",
                Some("Pkce") => "pkce",
                Some("ClientSecret") => "client_secret",
                Some("SaslMechanism") => "mechanisms",
                Some(other) => other,
                None => "this field",
            };
            format!("`{found}` is not a valid value for `{field}`")
        }
        E::IntegerOutOfBounds => "this number is out of range".to_string(),
        other => lowercase_first(&other.to_string()),
    }
}

fn parse_help(code: &ron::Error) -> String {
    use ron::Error as E;
    let one_of = |expected: &[&str]| {
        expected
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match code {
        E::ExpectedComma => "end the previous field or list item with `,`".to_string(),
        E::NoSuchStructField { expected, .. } => {
            format!(
                "remove it or correct its name: the fields are {}",
                one_of(expected)
            )
        }
        E::MissingStructField { field, .. } => {
            format!("add `{field}: ...`; providers/README.md says what it holds")
        }
        E::DuplicateStructField { .. } => "keep only one of them".to_string(),
        E::IntegerOutOfBounds => "a port is a number from 1 to 65535".to_string(),
        E::NoSuchEnumVariant { expected, .. } => format!("write one of {}", one_of(expected)),
        _ => "see providers/README.md for the fields of a provider file and how to write them"
            .to_string(),
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The file stem of a path-like name: `providers/ispdb/gmx.net.ron` → `gmx.net`.
pub(crate) fn file_stem(file: &str) -> &str {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    name.strip_suffix(".ron").unwrap_or(name)
}

fn problems(file: &str, p: &ProviderFile) -> Vec<Problem> {
    let mut out = Vec::new();
    check_id(file, p, &mut out);
    if p.name.trim().is_empty() {
        out.push(Problem::new(
            "name",
            "the display name is empty",
            "write the provider's name as users know it, e.g. `name: \"Yahoo Mail\"`",
        ));
    }
    check_domains(p, &mut out);
    check_mx(p, &mut out);
    check_not_taken(p, &mut out);
    if p.domains.is_empty() && p.mx.is_empty() {
        out.push(Problem::new(
            "domains",
            "the provider has no mail domain and no MX pattern, so no address can ever find it",
            "list its users' mail domains in `domains`, or the MX hosts of the custom domains it hosts in `mx`",
        ));
    }
    if p.smtp.is_empty() {
        out.push(Problem::new(
            "smtp",
            "no SMTP server is listed",
            "list at least one SMTP submission server, most preferred first",
        ));
    }
    check_servers(p, &mut out);
    check_texts(p, &mut out);
    check_oauth2(p, &mut out);
    out
}

fn check_id(file: &str, p: &ProviderFile, out: &mut Vec<Problem>) {
    let valid = !p.id.is_empty()
        && p.id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !p.id.starts_with(['-', '.']);
    if !valid {
        out.push(Problem::new(
            "id",
            format!(
                "the id `{}` has characters other than a-z, 0-9, `-` and `.`",
                p.id
            ),
            "use lower-case letters, digits, `-` and `.` only, starting with a letter or digit",
        ));
    }
    let stem = file_stem(file);
    if p.id != stem {
        out.push(Problem::new(
            "id",
            format!("the id `{}` differs from the file name `{stem}.ron`", p.id),
            format!(
                "write `id: \"{stem}\"`, or rename the file to `{}.ron`",
                p.id
            ),
        ));
    }
}

fn check_domains(p: &ProviderFile, out: &mut Vec<Problem>) {
    for (i, domain) in p.domains.iter().enumerate() {
        let path = format!("domains[{i}]");
        check_host_like(&path, "mail domain", domain, out);
    }
    check_sorted_unique("domains", &p.domains, out);
}

fn check_mx(p: &ProviderFile, out: &mut Vec<Problem>) {
    for (i, pattern) in p.mx.iter().enumerate() {
        let path = format!("mx[{i}]");
        let host = pattern.strip_prefix("*.").unwrap_or(pattern);
        if host.contains('*') {
            out.push(Problem::new(
                path,
                format!("the MX pattern `{pattern}` has a `*` other than a leading `*.`"),
                "write an exact host (`mx.zoho.eu`) or `*.` followed by a suffix (`*.mail.ovh.net`)",
            ));
            continue;
        }
        check_host_like(&path, "MX host", host, out);
    }
    check_sorted_unique("mx", &p.mx, out);
}

/// `not_taken`: domains and MX patterns of an imported provider this file
/// shadows and leaves, each with its reason.
fn check_not_taken(p: &ProviderFile, out: &mut Vec<Problem>) {
    for (i, (claim, why)) in p.not_taken.iter().enumerate() {
        let path = format!("not_taken[{i}]");
        let host = claim.strip_prefix("*.").unwrap_or(claim);
        check_host_like(&path, "domain or MX pattern", host, out);
        if p.domains.contains(claim) || p.mx.contains(claim) {
            out.push(Problem::new(
                path.as_str(),
                format!("`{claim}` is taken by this file and listed in `not_taken`"),
                "remove it from `not_taken`, or from `domains` / `mx`",
            ));
        }
        if why.trim().is_empty() {
            out.push(Problem::new(
                path.as_str(),
                format!("no reason is given for leaving `{claim}`"),
                "say why the provider does not serve it (e.g. `a brand closed in 2015, its addresses no longer receive mail`)",
            ));
        }
        if p.not_taken[..i].iter().any(|(c, _)| c == claim) {
            out.push(Problem::new(
                path.as_str(),
                format!("`{claim}` is listed twice in `not_taken`"),
                "remove the second one",
            ));
        }
    }
}

/// A domain or host name in its canonical form, with at least two labels.
fn check_host_like(path: &str, what: &str, value: &str, out: &mut Vec<Problem>) {
    match normalize_domain(value) {
        Err(e) => out.push(Problem::new(
            path,
            format!("`{value}` is not a valid {what}: {e}"),
            format!("write the {what} as a DNS name such as `example.com`"),
        )),
        Ok(normal) if normal != value => out.push(Problem::new(
            path,
            format!("the {what} `{value}` is not in canonical form"),
            format!("write `{normal}` (lower case, ASCII `xn--` form, no trailing dot)"),
        )),
        Ok(_) if !value.contains('.') => out.push(Problem::new(
            path,
            format!("the {what} `{value}` has a single label"),
            format!("write the full {what}, with its top-level domain (e.g. `example.com`)"),
        )),
        Ok(_) => {}
    }
}

fn check_sorted_unique(field: &str, items: &[String], out: &mut Vec<Problem>) {
    for (i, pair) in items.windows(2).enumerate() {
        if pair[0] == pair[1] {
            out.push(Problem::new(
                format!("{field}[{}]", i + 1),
                format!("`{}` is listed twice in `{field}`", pair[1]),
                "remove the second one",
            ));
        } else if pair[0] > pair[1] {
            out.push(Problem::new(
                format!("{field}[{}]", i + 1),
                format!(
                    "`{field}` is not sorted: `{}` comes after `{}`",
                    pair[1], pair[0]
                ),
                "sort the list, or run `cargo xtask validate --fix`",
            ));
        }
    }
}

/// A server's host: a host name, or labels followed by the user's domain
/// (`mail.{domain}`).
fn check_server_host(path: &str, host: &str, out: &mut Vec<Problem>) {
    let slot = courriel_core::provider::Server::DOMAIN_SLOT;
    if !host.contains('{') {
        check_host_like(path, "host name", host, out);
        return;
    }
    let prefix = host
        .strip_suffix(slot)
        .and_then(|rest| rest.strip_suffix('.'))
        .filter(|prefix| !prefix.is_empty() && !prefix.contains(['{', '}']));
    match prefix {
        // The labels before the slot, checked on a stand-in domain.
        Some(prefix) => {
            let stand_in = format!("{prefix}.example");
            match normalize_domain(&stand_in) {
                Ok(normal) if normal == stand_in => {}
                Ok(normal) => out.push(Problem::new(
                    path,
                    format!("the host name `{host}` is not in canonical form"),
                    format!(
                        "write `{}.{slot}` (lower case, ASCII `xn--` form)",
                        normal.strip_suffix(".example").unwrap_or(&normal)
                    ),
                )),
                Err(e) => out.push(Problem::new(
                    path,
                    format!("`{host}` is not a valid host name: {e}"),
                    format!("write DNS labels before `.{slot}`, such as `mail.{slot}`"),
                )),
            }
        }
        None => out.push(Problem::new(
            path,
            format!("`{host}` is not a host name nor a per-domain host"),
            format!(
                "write a host name (`mail.example.com`), or labels followed by `.{slot}` (`mail.{slot}`) when the user's own domain names the server"
            ),
        )),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Protocol {
    Smtp,
    Imap,
}

fn check_servers(p: &ProviderFile, out: &mut Vec<Problem>) {
    for (field, protocol, servers) in [
        ("smtp", Protocol::Smtp, &p.smtp),
        ("imap", Protocol::Imap, &p.imap),
    ] {
        for (i, server) in servers.iter().enumerate() {
            let path = format!("{field}[{i}]");
            check_server_host(&format!("{path}.host"), &server.host, out);
            check_port(&path, protocol, server, out);
            if servers[..i].contains(server) {
                out.push(Problem::new(
                    path,
                    "this server is listed twice",
                    "remove the second one",
                ));
            }
        }
    }
}

fn check_port(path: &str, protocol: Protocol, s: &ServerFile, out: &mut Vec<Problem>) {
    let port_path = format!("{path}.port");
    let security_path = format!("{path}.security");
    let (implicit, starttls, other_protocol, name) = match protocol {
        Protocol::Smtp => (465, 587, [993, 143, 995, 110], "SMTP"),
        Protocol::Imap => (993, 143, [465, 587, 995, 110], "IMAP"),
    };
    match (s.port, s.security) {
        (0, _) => out.push(Problem::new(port_path, "port 0 is not a port", format!("use {implicit} (implicit TLS) or {starttls} (STARTTLS)"))),
        (25, _) => out.push(Problem::new(
            port_path,
            "port 25 is for server-to-server relay, not for submission by a user",
            "use port 465 with `security: ImplicitTls`, or 587 with `security: Starttls`",
        )),
        (port, _) if other_protocol.contains(&port) => out.push(Problem::new(
            port_path,
            format!("port {port} is not an {name} port"),
            format!("use {implicit} with `security: ImplicitTls`, or {starttls} with `security: Starttls`"),
        )),
        (port, FileSecurity::Starttls) if port == implicit => out.push(Problem::new(
            security_path,
            format!("port {port} is implicit TLS, but `security` is `Starttls`"),
            format!("write `security: ImplicitTls`, or use port {starttls} for STARTTLS"),
        )),
        (port, FileSecurity::ImplicitTls) if port == starttls => out.push(Problem::new(
            security_path,
            format!("port {port} is STARTTLS, but `security` is `ImplicitTls`"),
            format!("write `security: Starttls`, or use port {implicit} for implicit TLS"),
        )),
        _ => {}
    }
}

fn check_texts(p: &ProviderFile, out: &mut Vec<Problem>) {
    if p.source.is_empty() {
        out.push(Problem::new(
            "source",
            "no source is given for these settings",
            "list the pages (https URLs) where the provider documents each setting",
        ));
    }
    for (i, source) in p.source.iter().enumerate() {
        if !is_url(source) {
            out.push(Problem::new(
                format!("source[{i}]"),
                format!("the source `{source}` is not an https URL"),
                "give the address of the page that documents the settings, starting with `https://`",
            ));
        }
    }
    if let Some(doc) = &p.documentation
        && !is_url(doc)
    {
        out.push(Problem::new(
            "documentation",
            format!("the documentation `{doc}` is not an https URL"),
            "give the address of the provider's help page, starting with `https://`",
        ));
    }
    if !is_date(&p.last_checked) {
        out.push(Problem::new(
            "last_checked",
            format!("`{}` is not a date in the form YYYY-MM-DD", p.last_checked),
            "write the day the settings were last checked against `source`, e.g. `last_checked: \"2026-11-29\"`",
        ));
    }
    if let Some(folder) = &p.sent_folder
        && folder.trim().is_empty()
    {
        out.push(Problem::new(
            "sent_folder",
            "the Sent folder name is empty",
            "write the folder's raw IMAP name, or remove the field",
        ));
    }
    if let Some(hint) = &p.hint {
        for (lang, text) in [("en", &hint.en), ("fr", &hint.fr)] {
            if text.trim().is_empty() {
                out.push(Problem::new(
                    format!("hint.{lang}"),
                    format!("the `{lang}` hint is empty"),
                    "write the hint in every language, or remove `hint`",
                ));
            }
        }
    }
}

/// The `oauth2` block: https endpoints with only the slots we fill, the
/// scopes and mechanisms a sign-in needs, and its own source and date.
fn check_oauth2(p: &ProviderFile, out: &mut Vec<Problem>) {
    let Some(o) = &p.oauth2 else {
        if p.auth == Auth::OAuth2Only {
            out.push(Problem::new(
                "auth",
                "`auth` is `OAuth2Only`, but no `oauth2` block says how to sign in",
                "add `oauth2: OAuth2(...)` after `auth` (providers/README.md lists its fields), or write the `auth` the provider documents",
            ));
        }
        return;
    };
    check_oauth2_endpoints(o, out);
    check_oauth2_scopes(o, out);
    check_oauth2_texts(o, out);
}

/// Endpoints https, with only the slots we fill; `{tenant}` with a default.
fn check_oauth2_endpoints(o: &OAuth2, out: &mut Vec<Problem>) {
    for (field, url) in oauth2_urls(o) {
        let slots: &[&str] = if field == "admin_consent_url" {
            &["tenant", "client_id"]
        } else {
            &["tenant"]
        };
        check_oauth2_url(field, url, slots, out);
    }
    if let Some(url) = &o.registration {
        check_oauth2_url("registration", url, &[], out);
    }
    if o.default_tenant.is_none()
        && let Some((field, _)) = oauth2_urls(o).find(|(_, url)| url.contains("{tenant}"))
    {
        out.push(Problem::new(
            format!("oauth2.{field}"),
            "`{tenant}` is used, but no `default_tenant` says what fills it when the user names none",
            "add `default_tenant: \"...\"` to the `oauth2` block (Microsoft: `common`, `organizations` or `consumers`)",
        ));
    }
    if let Some(tenant) = &o.default_tenant
        && (tenant.is_empty()
            || !tenant
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)))
    {
        out.push(Problem::new(
            "oauth2.default_tenant",
            format!("the default tenant `{tenant}` is not a tenant name"),
            "write a tenant name or id: letters, digits, `-`, `.` and `_` (e.g. `common`)",
        ));
    }
}

/// IMAP and SMTP scopes and mechanisms present, one scope per string.
fn check_oauth2_scopes(o: &OAuth2, out: &mut Vec<Problem>) {
    for (field, scopes, required) in [
        ("imap_scopes", &o.imap_scopes, true),
        ("smtp_scopes", &o.smtp_scopes, true),
        ("extra_scopes", &o.extra_scopes, false),
    ] {
        if required && scopes.is_empty() {
            let protocol = if field == "imap_scopes" {
                "IMAP"
            } else {
                "SMTP"
            };
            out.push(Problem::new(
                format!("oauth2.{field}"),
                format!("no scope grants {protocol} access"),
                format!("list the scopes the provider documents for {protocol}, one per line"),
            ));
        }
        for (i, scope) in scopes.iter().enumerate() {
            if scope.is_empty() || scope.contains(char::is_whitespace) {
                out.push(Problem::new(
                    format!("oauth2.{field}[{i}]"),
                    format!("the scope `{scope}` is empty or holds a space"),
                    "write one scope per string: OAuth2 joins them with spaces",
                ));
            }
        }
    }
    if o.mechanisms.is_empty() {
        out.push(Problem::new(
            "oauth2.mechanisms",
            "no SASL mechanism is listed",
            "list the mechanisms the provider's IMAP and SMTP servers accept, preferred first: `[XOAuth2]`, `[XOAuth2, OAuthBearer]`",
        ));
    }
    for (i, mechanism) in o.mechanisms.iter().enumerate() {
        if o.mechanisms[..i].contains(mechanism) {
            out.push(Problem::new(
                format!("oauth2.mechanisms[{i}]"),
                format!(
                    "`{}` is listed twice in `mechanisms`",
                    mechanism.file_name()
                ),
                "remove the second one",
            ));
        }
    }
}

/// The block's own source and date, like the provider's.
fn check_oauth2_texts(o: &OAuth2, out: &mut Vec<Problem>) {
    if o.source.is_empty() {
        out.push(Problem::new(
            "oauth2.source",
            "no source is given for the OAuth2 settings",
            "list the pages (https URLs) where the provider documents its endpoints, scopes and mechanisms",
        ));
    }
    for (i, source) in o.source.iter().enumerate() {
        if !is_url(source) {
            out.push(Problem::new(
                format!("oauth2.source[{i}]"),
                format!("the source `{source}` is not an https URL"),
                "give the address of the page that documents the OAuth2 settings, starting with `https://`",
            ));
        }
    }
    if !is_date(&o.last_checked) {
        out.push(Problem::new(
            "oauth2.last_checked",
            format!("`{}` is not a date in the form YYYY-MM-DD", o.last_checked),
            "write the day the OAuth2 settings were last checked against their `source`, e.g. `last_checked: \"2026-12-07\"`",
        ));
    }
}

/// Every URL of the block, with its field name.
fn oauth2_urls(o: &OAuth2) -> impl Iterator<Item = (&'static str, &String)> {
    [
        ("authorization_url", Some(&o.authorization_url)),
        ("token_url", Some(&o.token_url)),
        (
            "device_authorization_url",
            o.device_authorization_url.as_ref(),
        ),
        ("revocation_url", o.revocation_url.as_ref()),
        ("admin_consent_url", o.admin_consent_url.as_ref()),
    ]
    .into_iter()
    .filter_map(|(field, url)| url.map(|url| (field, url)))
}

/// An https URL whose `{...}` slots are all among `slots`.
fn check_oauth2_url(field: &str, url: &str, slots: &[&str], out: &mut Vec<Problem>) {
    let path = format!("oauth2.{field}");
    if !is_url(url) {
        out.push(Problem::new(
            path,
            format!("`{field}` `{url}` is not an https URL"),
            "give the provider's address for it, starting with `https://`",
        ));
        return;
    }
    let allowed = if slots.is_empty() {
        "no `{...}` slot".to_string()
    } else {
        slots
            .iter()
            .map(|s| format!("`{{{s}}}`"))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    match url_slots(url) {
        Ok(found) => {
            if let Some(bad) = found.iter().find(|s| !slots.contains(s)) {
                out.push(Problem::new(
                    path,
                    format!("`{field}` has the slot `{{{bad}}}`, which nothing fills"),
                    format!("`{field}` may hold {allowed}; write the value itself, or percent-encode a literal brace (`%7B`)"),
                ));
            }
        }
        Err(()) => out.push(Problem::new(
            path,
            format!("`{field}` has a `{{` or `}}` that opens or closes no slot"),
            format!("`{field}` may hold {allowed}; percent-encode a literal brace (`%7B`, `%7D`)"),
        )),
    }
}

/// The names of the `{...}` slots of `url`; `Err` for an unpaired brace.
fn url_slots(url: &str) -> Result<Vec<&str>, ()> {
    let mut slots = Vec::new();
    let mut rest = url;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err(());
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(())?;
        let name = &after[..close];
        if name.contains('{') {
            return Err(());
        }
        slots.push(name);
        rest = &after[close + 1..];
    }
    Ok(slots)
}

fn is_url(s: &str) -> bool {
    s.strip_prefix("https://").is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !s.contains(char::is_whitespace)
    })
}

fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1990..=2100).contains(&y) && (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(is_date("2026-11-29"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2026-02-29"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("29/11/2026"));
    }

    #[test]
    fn slots() {
        assert_eq!(url_slots("https://a.example/x"), Ok(vec![]));
        assert_eq!(
            url_slots("https://a.example/{tenant}/x?c={client_id}"),
            Ok(vec!["tenant", "client_id"])
        );
        assert_eq!(url_slots("https://a.example/{}"), Ok(vec![""]));
        assert_eq!(url_slots("https://a.example/{tenant"), Err(()));
        assert_eq!(url_slots("https://a.example/tenant}"), Err(()));
        assert_eq!(url_slots("https://a.example/{{tenant}}"), Err(()));
    }

    #[test]
    fn urls() {
        assert!(is_url("https://help.yahoo.com/kb/SLN4075.html"));
        assert!(!is_url("http://help.yahoo.com"));
        assert!(!is_url("https://"));
        assert!(!is_url("see the help page"));
    }

    /// Found by review for the `provider_file` fuzz target: a valid file
    /// whose raw string holds a `"` then 100,000 `[` overflowed the stack
    /// when a check failed and `locate.rs` looked for the value (it ends
    /// the string at the `"` and reads the brackets). Now the error comes,
    /// located.
    #[test]
    fn a_raw_string_full_of_brackets_is_located_without_overflow() {
        let text = format!(
            "Provider(\n    id: \"a.example\",\n    name: \"A\",\n    domains: [\"a.example\"],\n    smtp: [Server(host: \"smtp.a.example\", port: 465, security: ImplicitTls, username: Address)],\n    sender_policy: Unknown,\n    auth: Password,\n    sent_copy: Unknown,\n    source: [r#\"https://a.example/\"{}\"#],\n    last_checked: \"2026-02-30\",\n)\n",
            "[".repeat(100_000)
        );
        let errors = check_file("a.example.ron", &text).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("2026-02-30"), "{errors:?}");
        // The reader lost its place in the raw string: the closest value it
        // knows, the file's start, rather than line 10.
        assert_eq!(errors[0].position, Position { line: 1, column: 1 });
    }
}
