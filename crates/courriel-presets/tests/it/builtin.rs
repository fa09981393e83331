//! The built-in catalog: size, and the providers users expect first.

use courriel_core::{EmailAddress, Security};
use courriel_presets::{Catalog, SenderPolicy, SentCopy, Status, Tier};

#[test]
fn holds_at_least_150_providers_and_900_domains() {
    let c = Catalog::builtin();
    assert!(
        c.providers().len() >= 150,
        "{} providers",
        c.providers().len()
    );
    assert!(c.domain_count() >= 900, "{} domains", c.domain_count());
}

#[test]
fn hand_curated_providers_answer_for_their_domains() {
    let c = Catalog::builtin();
    let expected = [
        ("isabelle.martin@yahoo.fr", "yahoo"),
        ("x@ymail.com", "yahoo"),
        ("x@gmail.com", "gmail"),
        ("x@googlemail.com", "gmail"),
        ("x@hotmail.fr", "outlook"),
        ("x@outlook.com", "outlook"),
        ("x@live.fr", "outlook"),
        ("x@icloud.com", "icloud"),
        ("x@aol.com", "aol"),
        ("x@orange.fr", "orange"),
        ("x@wanadoo.fr", "orange"),
        ("x@free.fr", "free"),
        ("x@sfr.fr", "sfr"),
        ("x@neuf.fr", "sfr"),
        ("x@club-internet.fr", "sfr"),
        ("x@laposte.net", "laposte"),
        ("x@bbox.fr", "bouygues"),
        ("x@ik.me", "infomaniak"),
        ("x@gmx.de", "gmx"),
        ("x@gmx.fr", "gmx-com"),
        ("x@web.de", "webde"),
        ("x@zohomail.com", "zoho"),
        ("x@fastmail.com", "fastmail"),
        ("x@mailo.com", "mailo"),
        ("x@proton.me", "proton"),
    ];
    for (address, id) in expected {
        let p = c
            .lookup(address)
            .unwrap_or_else(|| panic!("no provider for {address}"));
        assert_eq!(
            (address, p.id.as_str(), p.tier),
            (address, id, Tier::Curated)
        );
    }
}

#[test]
fn hosters_are_found_by_mx() {
    let c = Catalog::builtin();
    for (mx, id) in [
        ("mx1.mail.ovh.net", "ovh"),
        ("aspmx.l.google.com", "google-workspace"),
        ("contoso-com.mail.protection.outlook.com", "microsoft365"),
        ("mx-eu.mail.am0.yahoodns.net", "yahoo"),
        ("spool.mail.gandi.net", "gandi"),
        ("mta-gw.infomaniak.ch", "infomaniak"),
        ("mx.zoho.eu", "zoho-eu-business"),
        ("in1-smtp.messagingengine.com", "fastmail"),
    ] {
        assert_eq!(c.lookup_mx(mx).map(|p| p.id.as_str()), Some(id), "{mx}");
    }
}

#[test]
fn yahoo_autofill_matches_its_documentation() {
    let address = EmailAddress::parse("isabelle.martin@yahoo.fr").unwrap();
    let filled = Catalog::builtin().autofill(&address).unwrap();
    let p = filled.provider;
    assert_eq!(
        (p.sender_policy, p.sent_copy, p.status),
        (
            SenderPolicy::MustMatchLogin,
            SentCopy::ClientFiles,
            Status::Supported
        )
    );
    let smtp = &filled.smtp[0];
    assert_eq!(
        (smtp.host.as_str(), smtp.port, smtp.security),
        ("smtp.mail.yahoo.com", 465, Security::ImplicitTls)
    );
    assert_eq!(smtp.username, "isabelle.martin@yahoo.fr");
    assert_eq!(
        (filled.imap[0].host.as_str(), filled.imap[0].port),
        ("imap.mail.yahoo.com", 993)
    );
}

#[test]
fn free_logs_in_with_the_local_part() {
    let address = EmailAddress::parse("jean.dupont@free.fr").unwrap();
    let filled = Catalog::builtin().autofill(&address).unwrap();
    assert_eq!(filled.smtp[0].username, "jean.dupont");
    assert_eq!(filled.imap[0].username, "jean.dupont");
}

#[test]
fn gmail_and_microsoft_file_their_own_sent_copy() {
    let c = Catalog::builtin();
    for id in ["gmail", "google-workspace", "outlook", "microsoft365"] {
        assert_eq!(c.get(id).unwrap().sent_copy, SentCopy::ServerFiles, "{id}");
    }
}

#[test]
fn no_builtin_server_is_plaintext_or_port_25() {
    for p in Catalog::builtin().providers() {
        for s in p.smtp.iter().chain(&p.imap) {
            assert_ne!(s.port, 25, "{}", p.id);
            assert!(
                matches!(s.security, Security::ImplicitTls | Security::Starttls),
                "{}",
                p.id
            );
        }
    }
}

#[test]
fn providers_are_found_by_their_server_hosts() {
    let c = Catalog::builtin();
    for (host, id) in [
        ("smtp.mail.yahoo.com", "yahoo"),
        ("SMTP.GMAIL.COM.", "gmail"),
        ("smtp.free.fr", "free"),
        ("ssl0.ovh.net", "ovh"),
        ("smtp.office365.com", "microsoft365"),
        ("smtp-mail.outlook.com", "outlook"),
    ] {
        assert_eq!(
            c.lookup_host(host).map(|p| p.id.as_str()),
            Some(id),
            "{host}"
        );
    }
    assert!(c.lookup_host("smtp.yahoo.fr").is_none());
}
