//! `courriel lookup` and `courriel providers`.

use std::fmt::Write as _;

use courriel_core::provider::{ClientSecret, OAuth2};
use courriel_core::{EmailAddress, Security, ServerSettings};
use courriel_discover::{Discovery, Outcome, Report, Source, SourceKind};
use courriel_presets::{Auth, Catalog, Match, Provider, SenderPolicy, SentCopy, Status};
use serde_json::json;

use courriel_core::account::Lang;

use crate::i18n::msg;
use crate::{EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE};

/// How `lookup --discover` looks beyond the catalog.
pub(crate) struct DiscoverOptions {
    /// The DNS server to ask (default: the system's).
    pub(crate) dns: Option<std::net::SocketAddr>,
    /// Extra CA certificates (PEM) to trust.
    pub(crate) ca_file: Option<std::path::PathBuf>,
    /// Also fetch autoconfig files over plain http.
    pub(crate) plain_http: bool,
}

pub(crate) fn lookup(
    catalog: &Catalog,
    input: &str,
    mx: Option<&str>,
    discover: Option<&DiscoverOptions>,
    json: bool,
    lang: Lang,
) -> u8 {
    let address = match EmailAddress::parse(input) {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "courriel: {}",
                msg!(
                    lang,
                    "invalid-address",
                    input = input,
                    error = e.to_string()
                )
            );
            return EXIT_USAGE;
        }
    };
    let filled = match mx {
        Some(mx) => catalog.autofill_with_mx(&address, mx),
        None => catalog.autofill(&address),
    };
    let Some(filled) = filled else {
        if let Some(options) = discover {
            return discovered(catalog, &address, options, json, lang);
        }
        if json {
            crate::emit(&format!(
                "{}\n",
                json!({ "address": address.to_string(), "provider": null })
            ));
        }
        eprintln!(
            "{}",
            msg!(
                lang,
                "lookup-unknown-domain",
                domain = address.domain().to_unicode(),
                known = catalog.domain_count()
            )
        );
        return EXIT_NOT_FOUND;
    };
    if json {
        crate::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&lookup_json(&address, &filled))
                .expect("JSON of plain data")
        ));
    } else {
        crate::emit(&lookup_text(&address, &filled));
    }
    EXIT_OK
}

fn server_json(s: &ServerSettings) -> serde_json::Value {
    json!({ "host": s.host, "port": s.port, "security": s.security.as_str(), "username": s.username })
}

fn lookup_json(
    address: &EmailAddress,
    filled: &courriel_presets::Autofill<'_>,
) -> serde_json::Value {
    let p = filled.provider;
    json!({
        "address": address.to_string(),
        "provider": {
            "id": p.id,
            "name": p.name,
            "tier": p.tier.as_str(),
            "origin": p.origin,
            "sender_policy": p.sender_policy.as_str(),
            "auth": p.auth.as_str(),
            "oauth2": p.oauth2,
            "sent_copy": p.sent_copy.as_str(),
            "sent_folder": p.sent_folder,
            "status": p.status.as_str(),
            "hint": p.hint.as_ref().map(|h| json!({ "en": h.en, "fr": h.fr })),
            "documentation": p.documentation,
            "source": p.source,
            "last_checked": p.last_checked,
        },
        "matched": match filled.matched { Match::Domain => "domain", Match::Mx => "mx", Match::MxDomain => "mx-domain", _ => "other" },
        "source": match filled.matched {
            Match::Mx => SourceKind::CatalogViaMx,
            Match::MxDomain => SourceKind::CatalogViaMxDomain,
            _ => SourceKind::Catalog,
        }.as_str(),
        // Found by an MX host the caller gave: another organisation's.
        "trusted": filled.matched == Match::Domain,
        "smtp": filled.smtp.first().map(server_json),
        "imap": filled.imap.first().map(server_json),
        "alternatives": {
            "smtp": filled.smtp.iter().skip(1).map(server_json).collect::<Vec<_>>(),
            "imap": filled.imap.iter().skip(1).map(server_json).collect::<Vec<_>>(),
        },
    })
}

fn security_text(s: Security) -> &'static str {
    match s {
        Security::ImplicitTls => "implicit TLS",
        Security::Starttls => "STARTTLS",
        _ => "other",
    }
}

fn lookup_text(address: &EmailAddress, filled: &courriel_presets::Autofill<'_>) -> String {
    let p = filled.provider;
    let mut out = String::new();
    let _ = writeln!(out, "{} ({}) for {address}", p.name, p.id);
    if filled.matched == Match::Mx {
        let _ = writeln!(
            out,
            "found by:   the MX host of {}",
            address.domain().to_unicode()
        );
    }
    if filled.matched == Match::MxDomain {
        let _ = writeln!(
            out,
            "found by:   the domain of the MX host of {} (settings to confirm)",
            address.domain().to_unicode()
        );
    }
    match p.status {
        Status::NeedsSetup => {
            let _ = writeln!(
                out,
                "status:     IMAP/SMTP access must first be switched on in the provider's web settings"
            );
        }
        Status::Unsupported => {
            let _ = writeln!(
                out,
                "status:     unsupported: no standard IMAP/SMTP access for other software"
            );
        }
        _ => {}
    }
    for (label, servers) in [("SMTP", &filled.smtp), ("IMAP", &filled.imap)] {
        let _ = writeln!(out, "{label}");
        if servers.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for s in servers {
            let endpoint = format!("{}:{}", s.host, s.port);
            let _ = writeln!(
                out,
                "  {endpoint:<34} {:<13} username {}",
                security_text(s.security),
                s.username
            );
        }
    }
    let _ = writeln!(out, "sender:     {}", sender_text(p.sender_policy));
    let _ = writeln!(out, "password:   {}", auth_text(p.auth));
    if let Some(oauth2) = &p.oauth2 {
        oauth2_text(&mut out, oauth2);
    }
    let _ = writeln!(out, "sent copy:  {}", sent_copy_text(p.sent_copy));
    if let Some(folder) = &p.sent_folder {
        let _ = writeln!(out, "sent folder: {folder}");
    }
    if let Some(hint) = &p.hint {
        let _ = writeln!(out, "hint:       {}", hint.en);
    }
    if let Some(doc) = &p.documentation {
        let _ = writeln!(out, "help page:  {doc}");
    }
    for s in &p.source {
        let _ = writeln!(out, "source:     {s}");
    }
    let _ = writeln!(
        out,
        "checked:    {} ({} provider file {})",
        p.last_checked,
        p.tier.as_str(),
        p.origin
    );
    out
}

fn sender_text(policy: SenderPolicy) -> &'static str {
    match policy {
        SenderPolicy::MustMatchLogin => "must be the login address: any other From is rejected",
        SenderPolicy::VerifiedAliases => {
            "the login address, or an alias verified with the provider"
        }
        SenderPolicy::AnySender => "any address is accepted",
        _ => "not known: use the login address to be safe",
    }
}

fn auth_text(auth: Auth) -> &'static str {
    match auth {
        Auth::Password => "the account password",
        Auth::AppPassword => "an app password, generated in the provider's security settings",
        Auth::OAuth2Only => "OAuth2 only: password login is refused",
        _ => "not known",
    }
}

/// What an application must know to sign in with OAuth2: the mechanisms,
/// whether its client has a secret, where it registers that client.
fn oauth2_text(out: &mut String, oauth2: &OAuth2) {
    let mechanisms: Vec<&str> = oauth2.mechanisms.iter().map(|m| m.sasl_name()).collect();
    let secret = match oauth2.client_secret {
        ClientSecret::Required => "a client secret is required, even for an installed application",
        ClientSecret::NotForPublicClients => {
            "no client secret for an installed (public) application"
        }
        _ => "whether a client secret is needed is not known",
    };
    let _ = writeln!(out, "oauth2:     {}; {secret}", mechanisms.join(", "));
    let _ = match &oauth2.registration {
        Some(url) => writeln!(
            out,
            "client:     the application registers its own OAuth2 client: {url}"
        ),
        None => writeln!(
            out,
            "client:     the application registers its own OAuth2 client with the provider"
        ),
    };
}

fn sent_copy_text(copy: SentCopy) -> &'static str {
    match copy {
        SentCopy::ServerFiles => "filed by the provider itself (no copy needed)",
        SentCopy::ClientFiles => "to be filed by the sending software over IMAP",
        _ => "not known",
    }
}

/// `lookup --discover` for an address the catalog does not know.
fn discovered(
    catalog: &Catalog,
    address: &EmailAddress,
    options: &DiscoverOptions,
    json: bool,
    lang: Lang,
) -> u8 {
    let mut discovery = Discovery::new(catalog.clone());
    if let Some(dns) = options.dns {
        discovery = discovery.dns_server(dns);
    }
    if let Some(path) = &options.ca_file {
        match courriel::input::read_ca_file(path) {
            Ok(pem) => discovery = discovery.extra_ca(pem),
            Err(e) => {
                eprintln!(
                    "courriel: --ca-file {}: {}",
                    path.display(),
                    courriel::input::describe(&e, lang)
                );
                return EXIT_USAGE;
            }
        }
    }
    if options.plain_http {
        discovery = discovery.dangerous_allow_plain_http();
    }
    let report = crate::block_on(discovery.discover(address));
    if json {
        crate::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&discovered_json(address, &report)).expect("JSON")
        ));
    } else if report.best.is_some() {
        crate::emit(&discovered_text(address, &report, lang));
    }
    if report.best.is_none() {
        eprintln!(
            "courriel: {}",
            msg!(
                lang,
                "discover-nothing",
                domain = address.domain().to_unicode(),
                attempts = attempts_text(&report)
            )
        );
        return EXIT_NOT_FOUND;
    }
    EXIT_OK
}

fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Found => "found".into(),
        Outcome::Nothing(why) => format!("nothing ({why})"),
        Outcome::TimedOut => "timed out".into(),
        Outcome::NotWaited => "not waited for".into(),
        _ => "other".into(),
    }
}

fn attempts_text(report: &Report) -> String {
    report
        .attempts
        .iter()
        .map(|a| {
            format!(
                "{} {} ({} ms)",
                a.source,
                outcome_text(&a.outcome),
                a.elapsed.as_millis()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn source_detail(source: &Source) -> Option<String> {
    match source {
        Source::Autoconfig { url } | Source::AutoconfigViaMx { url } => Some(url.clone()),
        Source::CatalogViaMx { mx } | Source::CatalogViaMxDomain { mx } => Some(mx.clone()),
        _ => None,
    }
}

fn discovered_json(address: &EmailAddress, report: &Report) -> serde_json::Value {
    let Some(best) = &report.best else {
        return json!({
            "address": address.to_string(),
            "provider": null,
            "source": null,
            "trusted": false,
            "attempts": attempts_json(report),
        });
    };
    json!({
        "address": address.to_string(),
        "provider": best.provider.as_ref().map(|name| json!({ "name": name })),
        "source": best.source.as_str(),
        "source_detail": source_detail(&best.source),
        "trusted": best.trusted,
        "untrusted_because": best.untrusted_because,
        "smtp": best.smtp.first().map(server_json),
        "imap": best.imap.first().map(server_json),
        "alternatives": {
            "smtp": best.smtp.iter().skip(1).map(server_json).collect::<Vec<_>>(),
            "imap": best.imap.iter().skip(1).map(server_json).collect::<Vec<_>>(),
        },
        "attempts": attempts_json(report),
        "elapsed_ms": u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
    })
}

fn attempts_json(report: &Report) -> Vec<serde_json::Value> {
    report
        .attempts
        .iter()
        .map(|a| {
            json!({
                "source": a.source,
                "outcome": outcome_text(&a.outcome),
                "ms": u64::try_from(a.elapsed.as_millis()).unwrap_or(u64::MAX),
            })
        })
        .collect()
}

fn discovered_text(address: &EmailAddress, report: &Report, lang: Lang) -> String {
    let Some(best) = &report.best else {
        return String::new();
    };
    let mut out = String::new();
    let name = best
        .provider
        .clone()
        .unwrap_or_else(|| msg!(lang, "discover-unnamed"));
    let _ = writeln!(
        out,
        "{}",
        msg!(
            lang,
            "discover-provider-for",
            provider = name,
            address = address.to_string()
        )
    );
    let detail = source_detail(&best.source)
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{}",
        msg!(
            lang,
            "discover-found-by",
            source = best.source.as_str(),
            detail = detail
        )
    );
    let trust = if best.trusted {
        msg!(lang, "discover-trusted")
    } else {
        msg!(
            lang,
            "discover-untrusted",
            why = best.untrusted_because.as_deref().unwrap_or_default()
        )
    };
    let _ = writeln!(out, "{trust}");
    for (label, servers) in [("SMTP", &best.smtp), ("IMAP", &best.imap)] {
        let _ = writeln!(out, "{label}");
        if servers.is_empty() {
            let _ = writeln!(out, "  {}", msg!(lang, "discover-no-server"));
        }
        for s in servers {
            let endpoint = format!("{}:{}", s.host, s.port);
            let _ = writeln!(
                out,
                "  {endpoint:<34} {:<13} username {}",
                security_text(s.security),
                s.username
            );
        }
    }
    let _ = writeln!(
        out,
        "{}",
        msg!(lang, "discover-sources", attempts = attempts_text(report))
    );
    out
}

pub(crate) fn providers(catalog: &Catalog, json: bool) -> u8 {
    if json {
        let all: Vec<&Provider> = catalog.providers().collect();
        crate::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&all).expect("JSON of plain data")
        ));
        return EXIT_OK;
    }
    let mut out = String::new();
    for p in catalog.providers() {
        let smtp = p
            .smtp
            .first()
            .map(|s| format!("{}:{}", s.host, s.port))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<24} {:<36} {:>4} domains  {:<8} {smtp}",
            p.id,
            p.name,
            p.domains.len(),
            p.tier.as_str()
        );
    }
    let _ = writeln!(
        out,
        "{} providers, {} mail domains",
        catalog.providers().len(),
        catalog.domain_count()
    );
    crate::emit(&out);
    EXIT_OK
}
