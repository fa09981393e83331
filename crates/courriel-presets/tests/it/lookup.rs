//! Lookup by address, domain and MX host; autofill.

use courriel_core::{EmailAddress, Security};
use courriel_presets::{Catalog, Match};

use crate::provider;

fn catalog() -> Catalog {
    Catalog::builder()
        .add_ron(
            "acme.ron",
            provider(
                "acme",
                &["acme.example", "xn--bcher-kva.example"],
                &["*.mx.acme.example", "mail.acme.example"],
            ),
        )
        .add_ron(
            "deep.ron",
            provider("deep", &["deep.example"], &["*.eu.mx.acme.example"]),
        )
        .build()
        .unwrap()
}

#[test]
fn by_address_or_domain_case_and_trailing_dot_insensitive() {
    let c = catalog();
    for input in [
        "jean@acme.example",
        "acme.example",
        "ACME.Example.",
        " jean@Acme.EXAMPLE ",
        "acme.example.",
    ] {
        assert_eq!(
            c.lookup(input).map(|p| p.id.as_str()),
            Some("acme"),
            "{input}"
        );
    }
    assert!(c.lookup("other.example").is_none());
    assert!(
        c.lookup("sub.acme.example").is_none(),
        "subdomains are other domains"
    );
    assert!(c.lookup("not a domain").is_none());
}

#[test]
fn idna_forms_find_the_same_provider() {
    let c = catalog();
    assert_eq!(c.lookup("josé@bücher.example").unwrap().id, "acme");
    assert_eq!(c.lookup("BÜCHER.example").unwrap().id, "acme");
    assert_eq!(c.lookup("XN--BCHER-KVA.EXAMPLE").unwrap().id, "acme");
}

#[test]
fn by_mx_host_most_specific_pattern_wins() {
    let c = catalog();
    assert_eq!(c.lookup_mx("mx1.mx.acme.example").unwrap().id, "acme");
    assert_eq!(c.lookup_mx("MX1.MX.ACME.EXAMPLE.").unwrap().id, "acme");
    assert_eq!(c.lookup_mx("a.b.mx.acme.example").unwrap().id, "acme");
    assert_eq!(c.lookup_mx("mx1.eu.mx.acme.example").unwrap().id, "deep");
    assert_eq!(
        c.lookup_mx("mail.acme.example").unwrap().id,
        "acme",
        "exact pattern"
    );
    // No pattern matches these (the registrable domain may, more weakly).
    let by_pattern = |mx: &str| c.lookup_mx_match(mx).filter(|(_, m)| *m == Match::Mx);
    assert!(
        by_pattern("mx.acme.example").is_none(),
        "`*.` needs at least one label before the suffix"
    );
    assert!(
        by_pattern("x.mail.acme.example").is_none(),
        "an exact pattern does not match below it"
    );
}

#[test]
fn autofill_applies_username_templates() {
    let text = provider("acme", &["acme.example"], &[]).replace(
        "port: 465, security: ImplicitTls, username: Address",
        "port: 465, security: ImplicitTls, username: LocalPart",
    );
    let c = Catalog::builder()
        .add_ron("acme.ron", text)
        .build()
        .unwrap();
    let address = EmailAddress::parse("Jean.Dupont@ACME.example").unwrap();
    let filled = c.autofill(&address).unwrap();
    assert_eq!(filled.matched, Match::Domain);
    assert_eq!(filled.smtp[0].username, "Jean.Dupont");
    assert_eq!(filled.smtp[0].security, Security::ImplicitTls);
    assert_eq!(filled.imap[0].username, "Jean.Dupont@acme.example");
    assert_eq!(filled.imap[0].host, "imap.acme.example");
}

#[test]
fn autofill_by_mx_for_custom_domains() {
    let c = catalog();
    let address = EmailAddress::parse("contact@boulangerie-martin.fr").unwrap();
    assert!(c.autofill(&address).is_none());
    let filled = c.autofill_with_mx(&address, "mx2.mx.acme.example").unwrap();
    assert_eq!(filled.provider.id, "acme");
    assert_eq!(filled.matched, Match::Mx);
    assert_eq!(filled.smtp[0].username, "contact@boulangerie-martin.fr");
}

/// An MX host no pattern names is found by its registrable domain (public
/// suffix list): the registrable domain of a provider's MX patterns, or one
/// of its mail domains (ISPDB lists hosters' MX domains as mail domains);
/// a pattern still wins, and a host whose domain nobody claims is unknown.
#[test]
fn an_mx_host_is_found_by_its_registrable_domain() {
    let c = Catalog::builtin();
    for (mx, id, matched) in [
        // The mail domain of the curated one.com file.
        ("mx01.one.com", "one-com", Match::MxDomain),
        // Strato's MX domain, a mail domain of the curated Strato file as of
        // the ISPDB entry.
        ("smtpin.rzone.de", "strato", Match::MxDomain),
        ("mx01.mail.icloud.com", "icloud", Match::MxDomain),
        // Patterns first: GoDaddy's MX domain, a mail domain of an ISPDB
        // entry, is an MX pattern of the curated GoDaddy file.
        ("mx1.mail.ovh.net", "ovh", Match::Mx),
        // The curated Yandex file names its MX host (it was found by its
        // registrable domain, an ISPDB mail domain, before).
        ("mx.yandex.net", "yandex", Match::Mx),
        ("smtp.secureserver.net", "godaddy", Match::Mx),
        (
            "contoso-com.mail.protection.outlook.com",
            "microsoft365",
            Match::Mx,
        ),
    ] {
        let found = c.lookup_mx_match(mx).map(|(p, m)| (p.id.as_str(), m));
        assert_eq!(found, Some((id, matched)), "{mx}");
    }
    assert!(c.lookup_mx_match("mx.example.co.uk").is_none());
    assert!(c.lookup_mx_match("co.uk").is_none());
}

#[test]
fn a_per_domain_host_is_filled_with_the_users_domain() {
    let text = crate::ACME
        .replace("\"smtp.acme.example\"", "\"mail.{domain}\"")
        .replace(
            "    domains: [\n        \"acme.example\",\n    ],\n",
            "    domains: [],\n    mx: [\n        \"*.cpanel.acme.example\",\n    ],\n",
        );
    let c = Catalog::builder()
        .add_ron("acme.ron", text)
        .build()
        .unwrap();
    let address = EmailAddress::parse("contact@Boulangerie-Dupont.fr").unwrap();
    let filled = c
        .autofill_with_mx(&address, "server42.cpanel.acme.example")
        .unwrap();
    assert_eq!(filled.matched, Match::Mx);
    assert_eq!(filled.smtp[0].host, "mail.boulangerie-dupont.fr");
    // The shared IMAP host stays as written.
    assert_eq!(filled.imap[0].host, "imap.acme.example");
    // A customer's host names the customer, not the provider.
    assert!(c.lookup_host("mail.{domain}").is_none());
    assert!(c.lookup_host("mail.boulangerie-dupont.fr").is_none());
    assert_eq!(
        c.lookup_host("imap.acme.example").map(|p| p.id.as_str()),
        Some("acme")
    );
}
