//! `cargo xtask import-ispdb`: Thunderbird's ISPDB (`clientConfig` XML files)
//! into `crates/courriel-presets/providers/ispdb/*.ron`, under MPL-2.0, with
//! a report of everything left out and why.
//!
//! Policy: IMAP and SMTP only (no POP3, no Exchange), TLS only (no plaintext,
//! no port 25), TLS-implicit servers first, only username templates we can
//! apply, users' mail domains kept apart from server and MX domains (which
//! become MX patterns), and a domain claimed by two files kept by the first
//! in file-name order.
//!
//! An `<oAuth2>` block becomes the provider's `oauth2` block when its servers
//! list `<authentication>OAuth2</authentication>`: the endpoints as given,
//! the scopes split at spaces, `OpenID` Connect's and `offline_access` apart
//! as extra scopes, the rest for both IMAP and SMTP (the ISPDB does not say
//! which is which), XOAUTH2 as the mechanism (what Thunderbird's OAuth2
//! method sends), PKCE and client secret unknown. The issuer is
//! Thunderbird's key for the client it registered: not ours, left out.
//! `auth` is `OAuth2Only` when no server lists a password method and the
//! block was imported; without a block it is `Unknown` (nothing would say
//! how to sign in).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use courriel_core::provider::{ClientSecret, OAuth2, Pkce, SaslMechanism};
use courriel_presets::clientconfig::{self, ConfigOAuth2, Skip, convert_server};
use courriel_presets::file::{FileSecurity, ProviderFile, ServerFile};
use courriel_presets::{Auth, SenderPolicy, SentCopy, Status};

use crate::codegen::write_if_changed;
use crate::{PROVIDERS, project_root};

/// Domains the ISPDB lists as if users had addresses there, but which name
/// servers or MX hosts of a provider: each becomes the MX pattern `*.domain`.
const SERVER_DOMAINS: &[(&str, &str)] = &[
    ("emailsrvr.com", "Rackspace's MX and server hosts"),
    (
        "gandi.net",
        "Gandi's MX hosts (spool.mail.gandi.net); marked `MX domain` in the source",
    ),
    (
        "google.com",
        "Google's MX hosts (aspmx.l.google.com); marked `MX, for Google Apps`",
    ),
    (
        "ispgateway.de",
        "domainFactory's MX hosts; marked `domain hoster, per MX`",
    ),
    (
        "kundenserver.de",
        "IONOS (1&1) hosting MX hosts; marked `Hosting customers, MX servers`",
    ),
    ("mail.protection.outlook.com", "Microsoft 365's MX hosts"),
    ("messagingengine.com", "Fastmail's MX and server hosts"),
    ("olc.protection.outlook.com", "Outlook.com's MX hosts"),
    (
        "ovh.net",
        "OVH's MX and server hosts (mx1.mail.ovh.net, ssl0.ovh.net)",
    ),
    (
        "schlund.de",
        "IONOS (1&1) hosting MX hosts; marked `Hosting customers, MX servers`",
    ),
    ("your-server.de", "Hetzner's hosting server hosts"),
    ("yahoodns.net", "Yahoo's MX hosts; marked `MX`"),
];

/// What an import produces: files to write, relative to the project root.
pub(crate) struct Import {
    pub(crate) files: BTreeMap<PathBuf, String>,
}

pub(crate) fn run(dir: &Path) -> Result<(), String> {
    let import = import(dir)?;
    let out_dir = project_root().join(PROVIDERS).join("ispdb");
    let mut written = 0;
    for (path, contents) in &import.files {
        if write_if_changed(&project_root().join(path), contents)? {
            written += 1;
        }
    }
    // Remove files the import no longer produces.
    let mut removed = 0;
    for entry in std::fs::read_dir(&out_dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let rel = path
            .strip_prefix(project_root())
            .unwrap_or(&path)
            .to_path_buf();
        if path.extension().is_some_and(|e| e == "ron") && !import.files.contains_key(&rel) {
            std::fs::remove_file(&path).map_err(|e| e.to_string())?;
            removed += 1;
        }
    }
    let count = import
        .files
        .keys()
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .count();
    println!(
        "{count} providers imported ({written} files written, {removed} removed); see {PROVIDERS}/ispdb/REPORT.md"
    );
    if written + removed > 0 {
        println!("run `cargo xtask gen` to update the embedded catalog list");
    }
    Ok(())
}

struct Snapshot {
    commit: String,
    date: String,
}

fn snapshot(dir: &Path) -> Result<Snapshot, String> {
    let source = std::fs::read_to_string(dir.join("SOURCE.md")).map_err(|e| {
        format!(
            "cannot read {}/SOURCE.md (which names the snapshot's commit): {e}",
            dir.display()
        )
    })?;
    let commit = source
        .split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| w.len() == 40)
        .ok_or("SOURCE.md names no 40-digit commit")?
        .to_string();
    let date = source
        .split(['(', ')'])
        .find(|w| w.len() == 10 && w.as_bytes()[4] == b'-' && w.as_bytes()[7] == b'-')
        .ok_or("SOURCE.md names no (YYYY-MM-DD) date")?
        .to_string();
    Ok(Snapshot { commit, date })
}

/// Imports every `*.xml` of `dir`.
pub(crate) fn import(dir: &Path) -> Result<Import, String> {
    let snap = snapshot(dir)?;
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    names.sort();

    let mut report = Report::default();
    let mut claimed: HashMap<String, String> = HashMap::new();
    let mut files = BTreeMap::new();
    for path in &names {
        let file_name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let xml = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let config = match clientconfig::parse(&xml) {
            Ok(c) => c,
            Err(e) => {
                report.skipped_files.push((file_name, e.to_string()));
                continue;
            }
        };
        for provider in &config.providers {
            let oauth2 = config.oauth2.as_ref();
            if let Some(file) = convert(
                &file_name,
                provider,
                oauth2,
                &snap,
                &mut claimed,
                &mut report,
            ) {
                let header = header(&file_name, &snap);
                files.insert(
                    PathBuf::from(format!("{PROVIDERS}/ispdb/{}.ron", file.id)),
                    file.to_canonical(&header),
                );
                report.imported += 1;
            }
        }
    }
    files.insert(
        PathBuf::from(format!("{PROVIDERS}/ispdb/REPORT.md")),
        report.render(&snap, names.len()),
    );
    Ok(Import { files })
}

fn header(file_name: &str, snap: &Snapshot) -> String {
    format!(
        "// Generated by `cargo xtask import-ispdb` from ispdb/{file_name} of Thunderbird's ISPDB\n\
         // (thunderbird/autoconfig, commit {}). Mozilla Public License 2.0: see LICENSE beside\n\
         // this file. Do not edit by hand: a hand-curated providers/*.ron takes precedence.\n",
        &snap.commit[..12]
    )
}

#[derive(Default)]
struct Report {
    imported: usize,
    skipped_files: Vec<(String, String)>,
    skipped_servers: Vec<(String, String, String)>,
    server_domains: Vec<(String, String, String)>,
    duplicate_domains: Vec<(String, String, String)>,
    oauth2: Vec<(String, String)>,
}

fn convert(
    file_name: &str,
    p: &clientconfig::EmailProvider,
    block: Option<&ConfigOAuth2>,
    snap: &Snapshot,
    claimed: &mut HashMap<String, String>,
    report: &mut Report,
) -> Option<ProviderFile> {
    let id = file_name.trim_end_matches(".xml").to_ascii_lowercase();
    let smtp = convert_servers(file_name, &p.outgoing, report);
    let imap = convert_servers(file_name, &p.incoming, report);
    if smtp.is_empty() {
        let why = if p.outgoing.is_empty() {
            "no SMTP server"
        } else {
            "no SMTP server left once plaintext, port 25 and broken ones are set aside"
        };
        report
            .skipped_files
            .push((file_name.to_string(), why.to_string()));
        return None;
    }
    let (domains, mx) = split_domains(file_name, &id, &p.domains, claimed, report);
    if domains.is_empty() && mx.is_empty() {
        report.skipped_files.push((
            file_name.to_string(),
            "no mail domain or MX pattern left".to_string(),
        ));
        return None;
    }
    let (auth, oauth2) = auth_and_oauth2(file_name, p, block, snap, report);
    Some(ProviderFile {
        name: p
            .display_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| id.clone()),
        id,
        domains,
        mx,
        not_taken: Vec::new(),
        smtp,
        imap,
        sender_policy: SenderPolicy::Unknown,
        auth,
        oauth2,
        sent_copy: SentCopy::Unknown,
        sent_folder: None,
        status: Status::Supported,
        hint: None,
        documentation: p
            .documentation
            .iter()
            .find(|u| u.starts_with("https://"))
            .cloned(),
        source: vec![format!(
            "https://github.com/thunderbird/autoconfig/blob/{}/ispdb/{file_name}",
            snap.commit
        )],
        last_checked: snap.date.clone(),
    })
}

/// `auth` from the servers' authentication methods, and the `oauth2` block
/// from `<oAuth2>` (see the module's docs); what was done is reported.
fn auth_and_oauth2(
    file_name: &str,
    p: &clientconfig::EmailProvider,
    block: Option<&ConfigOAuth2>,
    snap: &Snapshot,
    report: &mut Report,
) -> (Auth, Option<OAuth2>) {
    let auths: Vec<&String> = p
        .outgoing
        .iter()
        .chain(&p.incoming)
        .flat_map(|s| &s.authentication)
        .collect();
    let lists_password = auths
        .iter()
        .any(|a| a.starts_with("password-") || a.as_str() == "plain");
    let lists_oauth2 = auths.iter().any(|a| a.as_str() == "OAuth2");
    let oauth2 = match block {
        Some(block) if lists_oauth2 => match convert_oauth2(file_name, block, snap) {
            Ok(oauth2) => {
                report.oauth2.push((
                    file_name.to_string(),
                    format!(
                        "imported: scopes `{}` for IMAP and SMTP{}",
                        oauth2.imap_scopes.join(" "),
                        if oauth2.extra_scopes.is_empty() {
                            String::new()
                        } else {
                            format!(", `{}` extra", oauth2.extra_scopes.join(" "))
                        }
                    ),
                ));
                Some(oauth2)
            }
            Err(why) => {
                report
                    .oauth2
                    .push((file_name.to_string(), format!("`<oAuth2>` left out: {why}")));
                None
            }
        },
        Some(_) => {
            report.oauth2.push((
                file_name.to_string(),
                "`<oAuth2>` left out: no server lists OAuth2 authentication".to_string(),
            ));
            None
        }
        None => None,
    };
    let auth = if lists_password {
        Auth::Password
    } else if lists_oauth2 && oauth2.is_some() {
        Auth::OAuth2Only
    } else {
        if lists_oauth2 {
            report.oauth2.push((
                file_name.to_string(),
                "its servers list OAuth2 only, but no `<oAuth2>` block says how to sign in: `auth: Unknown`".to_string(),
            ));
        }
        Auth::Unknown
    };
    (auth, oauth2)
}

/// Scopes that grant no mail access: `OpenID` Connect's and refresh tokens'.
const EXTRA_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// The `oauth2` block of an `<oAuth2>` element (see the module's docs).
fn convert_oauth2(
    file_name: &str,
    block: &ConfigOAuth2,
    snap: &Snapshot,
) -> Result<OAuth2, String> {
    for (element, url) in [("authURL", &block.auth_url), ("tokenURL", &block.token_url)] {
        let https = url.strip_prefix("https://").is_some_and(|rest| {
            !rest.is_empty() && !rest.contains(|c: char| c.is_whitespace() || c == '{' || c == '}')
        });
        if !https {
            return Err(format!("`{element}` `{url}` is not an https URL"));
        }
    }
    let (extra, mail): (Vec<&str>, Vec<&str>) = block
        .scope
        .split_whitespace()
        .partition(|s| EXTRA_SCOPES.contains(s));
    if mail.is_empty() {
        return Err(format!("`{}` holds no mail scope", block.scope));
    }
    let owned = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    Ok(OAuth2 {
        authorization_url: block.auth_url.clone(),
        token_url: block.token_url.clone(),
        device_authorization_url: None,
        revocation_url: None,
        imap_scopes: owned(&mail),
        smtp_scopes: owned(&mail),
        extra_scopes: owned(&extra),
        authorization_params: Vec::new(),
        pkce: Pkce::Unknown,
        client_secret: ClientSecret::Unknown,
        mechanisms: vec![SaslMechanism::XOAuth2],
        default_tenant: None,
        admin_consent_url: None,
        registration: None,
        source: vec![format!(
            "https://github.com/thunderbird/autoconfig/blob/{}/ispdb/{file_name}",
            snap.commit
        )],
        last_checked: snap.date.clone(),
    })
}

/// The IMAP or SMTP servers we keep, TLS-implicit first; POP3 dropped silently.
fn convert_servers(
    file_name: &str,
    list: &[clientconfig::ConfigServer],
    report: &mut Report,
) -> Vec<ServerFile> {
    let mut out: Vec<ServerFile> = Vec::new();
    for s in list {
        match convert_server(s) {
            Ok(server) if out.contains(&server) => {}
            Ok(server) => out.push(server),
            Err(Skip::Protocol(kind)) if kind == "pop3" => {}
            Err(why) => report.skipped_servers.push((
                file_name.to_string(),
                format!("{} {}:{}", s.kind, s.hostname, s.port),
                why.to_string(),
            )),
        }
    }
    // TLS first: implicit TLS before STARTTLS, otherwise the source's order.
    out.sort_by_key(|s| s.security != FileSecurity::ImplicitTls);
    out
}

/// Users' mail domains apart from server and MX domains (which become MX
/// patterns); a claim already made by an earlier file is reported and dropped.
fn split_domains(
    file_name: &str,
    id: &str,
    raw_domains: &[String],
    claimed: &mut HashMap<String, String>,
    report: &mut Report,
) -> (Vec<String>, Vec<String>) {
    let mut domains = BTreeSet::new();
    let mut mx = BTreeSet::new();
    for raw in raw_domains {
        let domain = match courriel_core::normalize_domain(raw) {
            Ok(d) if d.contains('.') => d.into_owned(),
            _ => {
                let what = format!("domain {raw}");
                report.skipped_servers.push((
                    file_name.to_string(),
                    what,
                    "not a valid mail domain".to_string(),
                ));
                continue;
            }
        };
        let server = SERVER_DOMAINS
            .iter()
            .find(|(d, _)| domain == *d || domain.ends_with(&format!(".{d}")));
        if let Some((server, why)) = server {
            mx.insert(format!("*.{server}"));
            report
                .server_domains
                .push((file_name.to_string(), domain, (*why).to_string()));
        } else if is_mx_host_name(&domain) {
            mx.insert(domain.clone());
            report.server_domains.push((
                file_name.to_string(),
                domain,
                "an MX host name".to_string(),
            ));
        } else {
            domains.insert(domain);
        }
    }
    let mut keep = |claim: String, key: String| match claimed.get(&key) {
        Some(owner) if owner != id => {
            report
                .duplicate_domains
                .push((file_name.to_string(), claim, owner.clone()));
            false
        }
        _ => {
            claimed.insert(key, id.to_string());
            true
        }
    };
    let domains = domains
        .into_iter()
        .filter(|d| keep(d.clone(), d.clone()))
        .collect();
    let mx = mx
        .into_iter()
        .filter(|m| keep(m.clone(), format!("mx {m}")))
        .collect();
    (domains, mx)
}

/// `mx1.tiki.ne.jp`: an `mx` label with digits, under a domain.
fn is_mx_host_name(domain: &str) -> bool {
    domain.matches('.').count() >= 2
        && domain
            .split('.')
            .next()
            .is_some_and(|l| l.starts_with("mx") && l[2..].bytes().all(|b| b.is_ascii_digit()))
}

impl Report {
    fn render(&self, snap: &Snapshot, files: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<!-- @generated by `cargo xtask import-ispdb`; do not edit by hand. -->\n"
        );
        let _ = writeln!(out, "# ISPDB import report\n");
        let _ = writeln!(
            out,
            "Source: Thunderbird's ISPDB, thunderbird/autoconfig commit `{}` ({}), {files} files, vendored in `third_party/ispdb/`.\n\n\
             Imported: {} providers. Policy: IMAP and SMTP only, TLS only (no plaintext, no port 25), \
             TLS-implicit servers first, username templates `%EMAILADDRESS%` and `%EMAILLOCALPART%` only, \
             server and MX domains turned into MX patterns, a domain listed by two files kept by the first \
             in file-name order. Hand-curated `providers/*.ron` take precedence over these files at load \
             time (`cargo xtask validate` lists each case).\n",
            snap.commit, snap.date, self.imported
        );
        let _ = writeln!(
            out,
            "## Files not imported ({})\n",
            self.skipped_files.len()
        );
        for (file, why) in &self.skipped_files {
            let _ = writeln!(out, "- `{file}`: {why}");
        }
        let _ = writeln!(
            out,
            "\n## Servers left out ({})\n",
            self.skipped_servers.len()
        );
        for (file, server, why) in &self.skipped_servers {
            let _ = writeln!(out, "- `{file}`: {server}: {why}");
        }
        let _ = writeln!(
            out,
            "\n## Server and MX domains moved to MX patterns ({})\n",
            self.server_domains.len()
        );
        for (file, domain, why) in &self.server_domains {
            let _ = writeln!(out, "- `{file}`: `{domain}`: {why}");
        }
        let _ = writeln!(
            out,
            "\n## Claims listed by more than one file ({})\n",
            self.duplicate_domains.len()
        );
        for (file, domain, owner) in &self.duplicate_domains {
            let _ = writeln!(out, "- `{file}`: `{domain}` already claimed by `{owner}`");
        }
        let _ = writeln!(
            out,
            "\n## OAuth2 ({})\n\n\
             An `<oAuth2>` block becomes an `oauth2` block when the servers list OAuth2 \
             authentication: its scopes for both IMAP and SMTP (OpenID Connect's and \
             `offline_access` as extra scopes), mechanism XOAUTH2, PKCE and client secret \
             unknown.\n",
            self.oauth2.len()
        );
        for (file, what) in &self.oauth2 {
            let _ = writeln!(out, "- `{file}`: {what}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> Snapshot {
        Snapshot {
            commit: "c".repeat(40),
            date: "2026-03-12".into(),
        }
    }

    fn block(scope: &str, auth_url: &str) -> ConfigOAuth2 {
        ConfigOAuth2 {
            issuer: "login.example.com".into(),
            scope: scope.into(),
            auth_url: auth_url.into(),
            token_url: "https://login.example.com/token".into(),
        }
    }

    #[test]
    fn oauth2_scopes_go_to_both_protocols_and_oidc_ones_apart() {
        let o = convert_oauth2(
            "example.com.xml",
            &block(
                "mail offline_access openid",
                "https://login.example.com/auth",
            ),
            &snap(),
        )
        .unwrap();
        assert_eq!(o.imap_scopes, ["mail"]);
        assert_eq!(o.smtp_scopes, ["mail"]);
        assert_eq!(o.extra_scopes, ["offline_access", "openid"]);
        assert_eq!(o.mechanisms, [SaslMechanism::XOAuth2]);
        assert_eq!(
            (o.pkce, o.client_secret),
            (Pkce::Unknown, ClientSecret::Unknown)
        );
        assert_eq!(o.last_checked, "2026-03-12");
        assert!(o.source[0].ends_with("/ispdb/example.com.xml"));
    }

    #[test]
    fn oauth2_blocks_the_checks_would_refuse_are_left_out() {
        let plain = convert_oauth2(
            "x.xml",
            &block("mail", "http://login.example.com/auth"),
            &snap(),
        );
        assert_eq!(
            plain.unwrap_err(),
            "`authURL` `http://login.example.com/auth` is not an https URL"
        );
        let no_mail = convert_oauth2(
            "x.xml",
            &block("openid email", "https://login.example.com/auth"),
            &snap(),
        );
        assert_eq!(no_mail.unwrap_err(), "`openid email` holds no mail scope");
    }
}
