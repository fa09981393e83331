//! Discovery against the project's local DNS server (dnsmasq, with the test
//! domains of `xtask/mail-servers/dnsmasq.conf`), a local web server with
//! the test CA's certificate, and the test Postfix and Dovecot.

use std::net::SocketAddr;
use std::time::Duration;

use courriel_core::{EmailAddress, Security};
use courriel_discover::{Destinations, Discovery, Outcome, Report, Search, Source};
use courriel_presets::Catalog;
use courriel_testkit::{AUTOCONFIG_BOULANGERIE, Page, Servers, closed, runtime, serve_web, silent};

fn discovery() -> Discovery {
    let s = Servers::get();
    let dns: SocketAddr = format!("{}:{}", s.host, s.dns_port).parse().unwrap();
    Discovery::new(Catalog::builtin().clone())
        .dns_server(dns)
        .extra_ca(std::fs::read(&s.ca).unwrap())
        .source_timeout(Duration::from_secs(3))
        .deadline(Duration::from_secs(8))
}

fn discover(d: &Discovery, address: &str) -> Report {
    runtime().block_on(d.discover(&EmailAddress::parse(address).unwrap()))
}

fn outcome(report: &Report, search: Search) -> &Outcome {
    &report
        .attempts
        .iter()
        .find(|a| a.source == search.as_str())
        .unwrap_or_else(|| panic!("no {search:?} attempt: {report:#?}"))
        .outcome
}

fn autoconfig_page(host: &str) -> Page {
    Page {
        host: host.into(),
        path: "/mail/config-v1.1.xml".into(),
        body: AUTOCONFIG_BOULANGERIE.into(),
    }
}

#[test]
fn a_custom_domain_whose_mx_is_at_ovh_gets_the_ovh_preset_untrusted() {
    let report = discover(&discovery(), "jean@fournil.test");
    let best = report.best.as_ref().expect("found");
    assert_eq!(
        best.source,
        Source::CatalogViaMx {
            mx: "mx1.mail.ovh.net".into()
        },
        "{report:#?}"
    );
    assert_eq!(best.provider.as_deref(), Some("OVHcloud MX Plan"));
    assert_eq!(best.smtp[0].host, "ssl0.ovh.net");
    assert_eq!(best.smtp[0].username, "jean@fournil.test");
    assert!(!best.trusted, "the MX host is another organisation's");
    assert!(
        best.untrusted_because
            .as_deref()
            .is_some_and(|w| w.contains("outside fournil.test")),
        "{best:?}"
    );
}

#[test]
fn autoconfig_over_https_is_used_and_trusted() {
    let web = serve_web(true, vec![autoconfig_page("autoconfig.boulangerie.test")]);
    let report = discover(
        &discovery().map_port(443, web.port).guess(false),
        "jean+devis@boulangerie.test",
    );
    let best = report.best.as_ref().expect("found");
    assert!(
        matches!(&best.source, Source::Autoconfig { url } if url.starts_with("https://autoconfig.boulangerie.test:")),
        "{report:#?}"
    );
    assert!(best.trusted);
    assert_eq!(best.provider.as_deref(), Some("Boulangerie Martin"));
    // %EMAILDOMAIN% filled in; POP3 and plaintext port 25 left out.
    assert_eq!(best.imap.len(), 1);
    assert_eq!(best.imap[0].host, "mail.boulangerie.test");
    assert_eq!(best.imap[0].security, Security::ImplicitTls);
    assert_eq!(best.smtp.len(), 1);
    assert_eq!(best.smtp[0].port, 465);
    let requests = web.requests.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r.ends_with("?emailaddress=jean%2Bdevis%40boulangerie.test")),
        "the address goes over https: {requests:?}"
    );
}

#[test]
fn autoconfig_over_http_only_when_allowed_untrusted_and_without_the_address() {
    let web = serve_web(false, vec![autoconfig_page("autoconfig.boulangerie.test")]);
    let closed = closed();
    let base = discovery()
        .map_port(443, closed)
        .map_port(80, web.port)
        .guess(false);

    let report = discover(&base, "jean@boulangerie.test");
    assert!(report.best.is_none(), "http is not tried: {report:#?}");
    assert!(web.requests.lock().unwrap().is_empty());

    let report = discover(
        &base.clone().dangerous_allow_plain_http(),
        "jean@boulangerie.test",
    );
    let best = report.best.as_ref().expect("found over http");
    assert!(matches!(&best.source, Source::Autoconfig { url } if url.starts_with("http://")));
    assert!(!best.trusted);
    assert_eq!(
        best.untrusted_because.as_deref(),
        Some("fetched over plain http")
    );
    let requests = web.requests.lock().unwrap().clone();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| !r.contains("jean")),
        "the address never goes over http: {requests:?}"
    );
}

#[test]
fn srv_inside_the_domain_is_taken_and_outside_refused() {
    let s = Servers::get();
    let report = discover(&discovery().only(&[Search::Srv]), "jean@srvin.test");
    let best = report.best.as_ref().expect("found");
    assert_eq!(best.source, Source::Srv);
    assert!(best.trusted);
    assert_eq!(
        (
            best.imap[0].host.as_str(),
            best.imap[0].port,
            best.imap[0].security
        ),
        ("imap.srvin.test", s.imap_tls_port, Security::ImplicitTls)
    );
    assert_eq!(
        (
            best.smtp[0].host.as_str(),
            best.smtp[0].port,
            best.smtp[0].security
        ),
        ("smtp.srvin.test", s.smtp_starttls_port, Security::Starttls)
    );

    let report = discover(&discovery().only(&[Search::Srv]), "jean@srvout.test");
    assert!(report.best.is_none(), "{report:#?}");
    assert!(
        matches!(outcome(&report, Search::Srv), Outcome::Nothing(why) if why.contains("imap.elsewhere.test:993")),
        "{report:#?}"
    );
}

#[test]
fn guessing_finds_the_test_servers_over_tls_and_never_plaintext() {
    let s = Servers::get();
    let report = discover(
        &discovery()
            .only(&[Search::Guess])
            .map_port(993, s.imap_tls_port)
            .map_port(143, s.imap_starttls_port)
            .map_port(465, s.smtp_tls_port)
            .map_port(587, s.smtp_starttls_port),
        "jean@boulangerie.test",
    );
    let best = report.best.as_ref().expect("found");
    assert_eq!(best.source, Source::Guess);
    assert!(!best.trusted, "a guess is never trusted");
    assert_eq!(
        (best.imap[0].host.as_str(), best.imap[0].port),
        ("imap.boulangerie.test", 993)
    );
    assert_eq!(
        (best.smtp[0].host.as_str(), best.smtp[0].port),
        ("smtp.boulangerie.test", 465)
    );

    // A submission port without STARTTLS (the test Postfix's plain port)
    // is not taken, and nothing else answers for SMTP.
    let closed = closed();
    let report = discover(
        &discovery()
            .only(&[Search::Guess])
            .map_port(993, s.imap_tls_port)
            .map_port(143, closed)
            .map_port(465, closed)
            .map_port(587, s.smtp_plain_port),
        "jean@boulangerie.test",
    );
    let best = report.best.as_ref().expect("IMAP found");
    assert!(best.smtp.is_empty(), "plaintext SMTP taken: {best:?}");
}

#[test]
fn a_source_that_never_answers_does_not_delay_the_result_past_its_timeout() {
    // fournil.test's autoconfig host accepts and never answers; its MX
    // answers at once.
    let hang = silent();
    let started = std::time::Instant::now();
    let report = discover(
        &discovery()
            .map_port(443, hang)
            .guess(false)
            .source_timeout(Duration::from_secs(2)),
        "jean@fournil.test",
    );
    assert!(matches!(
        report.best.as_ref().map(|b| &b.source),
        Some(Source::CatalogViaMx { .. })
    ));
    assert_eq!(outcome(&report, Search::Autoconfig), &Outcome::TimedOut);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "bounded by the source's 2 s timeout: {:?}",
        started.elapsed()
    );

    // With an overall deadline shorter than the hanging source's timeout,
    // the best result so far comes at the deadline.
    let started = std::time::Instant::now();
    let report = discover(
        &discovery()
            .map_port(443, hang)
            .guess(false)
            .source_timeout(Duration::from_secs(30))
            .deadline(Duration::from_secs(1)),
        "jean@fournil.test",
    );
    assert!(matches!(
        report.best.as_ref().map(|b| &b.source),
        Some(Source::CatalogViaMx { .. })
    ));
    assert_eq!(outcome(&report, Search::Autoconfig), &Outcome::NotWaited);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_domain_in_the_catalog_needs_no_network() {
    // No DNS server at all: the catalog answers first and alone.
    let d = Discovery::new(Catalog::builtin().clone()).dns_server("127.0.0.1:1".parse().unwrap());
    let report = discover(&d, "isabelle.martin@yahoo.fr");
    let best = report.best.expect("found");
    assert_eq!(best.source, Source::Catalog);
    assert!(best.trusted);
    assert_eq!(report.attempts.len(), 1);
}

#[test]
fn with_public_destinations_only_nothing_on_loopback_is_fetched_or_probed() {
    // The test domains resolve to 127.0.0.1: refused unless allowed.
    let s = Servers::get();
    let web = serve_web(true, vec![autoconfig_page("autoconfig.boulangerie.test")]);
    let guessing = |d: Discovery| {
        d.map_port(443, web.port)
            .map_port(993, s.imap_tls_port)
            .map_port(143, s.imap_starttls_port)
            .map_port(465, s.smtp_tls_port)
            .map_port(587, s.smtp_starttls_port)
            .only(&[Search::Autoconfig, Search::Guess])
    };
    let public = guessing(discovery().destinations(Destinations::public_only()));
    let report = discover(&public, "jean@boulangerie.test");
    assert!(report.best.is_none(), "{report:#?}");
    assert!(
        matches!(outcome(&report, Search::Autoconfig), Outcome::Nothing(why)
            if why.contains("autoconfig.boulangerie.test is at 127.0.0.1, a loopback address: not allowed")),
        "{report:#?}"
    );
    // The probes would find the test servers (see above): none was made.
    assert!(
        matches!(outcome(&report, Search::Guess), Outcome::Nothing(_)),
        "{report:#?}"
    );
    assert!(
        web.requests.lock().unwrap().is_empty(),
        "no request reached the web server"
    );
    // Loopback allowed explicitly: found as before.
    let allowed = guessing(
        discovery().destinations(Destinations::public_only().allow("127.0.0.0/8".parse().unwrap())),
    );
    let report = discover(&allowed, "jean@boulangerie.test");
    let best = report.best.as_ref().expect("found");
    assert!(
        matches!(best.source, Source::Autoconfig { .. }),
        "{report:#?}"
    );
}

mod dmarc {
    use std::net::SocketAddr;
    use std::time::Duration;

    use courriel_core::Domain;
    use courriel_core::dmarc::{Dmarc, DmarcPolicy};
    use courriel_discover::dmarc::DmarcLookup;
    use courriel_testkit::{Servers, runtime, silent_dns};

    fn lookup() -> DmarcLookup {
        let s = Servers::get();
        let dns: SocketAddr = format!("{}:{}", s.host, s.dns_port).parse().unwrap();
        DmarcLookup::new(Some(dns), Duration::from_secs(3)).unwrap()
    }

    fn published(policy: DmarcPolicy, at: &str) -> Dmarc {
        Dmarc::Published {
            policy,
            at: at.into(),
        }
    }

    /// Each record of the test zone (xtask/mail-servers/dnsmasq.conf) read
    /// as RFC 7489 says.
    #[test]
    fn each_published_policy_is_read_from_dns() {
        let l = lookup();
        let rt = runtime();
        for (domain, expected) in [
            (
                "rejette.test",
                published(DmarcPolicy::Reject, "rejette.test"),
            ),
            (
                "quarantaine.test",
                published(DmarcPolicy::Quarantine, "quarantaine.test"),
            ),
            ("aucune.test", published(DmarcPolicy::None, "aucune.test")),
            (
                "deuxmorceaux.test",
                published(DmarcPolicy::Reject, "deuxmorceaux.test"),
            ),
            // The organizational domain's own p, and its sp for a subdomain
            // without a record; a subdomain's own record wins.
            ("maison.test", published(DmarcPolicy::None, "maison.test")),
            (
                "factures.maison.test",
                published(DmarcPolicy::Reject, "maison.test"),
            ),
            (
                "libre.maison.test",
                published(DmarcPolicy::None, "libre.maison.test"),
            ),
            // The organizational domain's p where it has no sp.
            (
                "compta.rejette.test",
                published(DmarcPolicy::Reject, "rejette.test"),
            ),
            ("sansdmarc.test", Dmarc::NotPublished),
            ("autre.test", Dmarc::NotPublished),
            ("double.test", Dmarc::NotPublished),
            ("nulle-part.test", Dmarc::NotPublished),
        ] {
            let got = rt.block_on(l.policy(&Domain::parse(domain).unwrap()));
            assert_eq!(got, expected, "{domain}");
        }
    }

    /// A name server that never answers gives Unknown within the bound,
    /// and the answer is kept: the next lookup does not wait again.
    #[test]
    fn a_name_server_that_never_answers_gives_unknown_in_time_and_is_not_asked_again_at_once() {
        let l = DmarcLookup::new(Some(silent_dns()), Duration::from_millis(300)).unwrap();
        let rt = runtime();
        let domain = Domain::parse("rejette.test").unwrap();
        let first = rt.block_on(l.policy(&domain));
        let Dmarc::Unknown { reason } = &first else {
            panic!("{first:?}");
        };
        assert!(reason.contains("300 ms"), "{reason}");
        assert_eq!(first.policy(), None);
        // Kept for a minute: a second lookup answers from the cache, even
        // with no time at all to ask.
        let cached = rt.block_on(async {
            tokio::time::timeout(Duration::from_millis(50), l.policy(&domain)).await
        });
        assert_eq!(cached.as_ref().ok(), Some(&first));
    }
}
