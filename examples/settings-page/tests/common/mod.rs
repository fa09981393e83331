//! What the settings page's API tests and browser tests share: the test
//! servers as a provider of the catalog, and the page's configuration
//! against them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use courriel::Destinations;
use courriel_settings_page::{Config, Limits, Rate};
use courriel_testkit::Servers;

/// The test servers as a provider of the catalog: `courriel.test` and
/// `example.test` on `mail.courriel.test` (the test certificate's name),
/// at the standard ports the page maps to the test ports.
const TEST_PROVIDER: &str = r#"Provider(
    id: "courrieltest",
    name: "Courriel Test Mail",
    domains: [
        "courriel.test",
        "example.test",
    ],
    smtp: [
        Server(host: "mail.courriel.test", port: 587, security: Starttls, username: Address),
    ],
    imap: [
        Server(host: "mail.courriel.test", port: 993, security: ImplicitTls, username: Address),
    ],
    sender_policy: MustMatchLogin,
    auth: Password,
    sent_copy: ClientFiles,
    documentation: "https://example.com/",
    source: [
        "https://example.com/",
    ],
    last_checked: "2026-11-29",
)
"#;

/// The test provider's server name.
pub(crate) const HOST: &str = "mail.courriel.test";
/// What the page says when the folder list cannot be had.
pub(crate) const HEADLINE_EN: &str = "IMAP server not configured or not accessible";
pub(crate) const HEADLINE_FR: &str = "Serveur IMAP non configuré ou inaccessible";

/// The page against the test servers: the built-in catalog plus the test
/// provider, its name resolved to the test servers, its standard ports
/// mapped to theirs, the test CA trusted, discovery asking the test DNS;
/// loopback allowed explicitly (the page refuses it by default), and
/// limits no test reaches.
pub(crate) fn config(s: &Servers, spool: PathBuf) -> Config {
    let catalog = courriel::Catalog::builder()
        .builtin()
        .add_ron("courrieltest.ron", TEST_PROVIDER)
        .build()
        .expect("the built-in catalog and the test provider");
    Config {
        catalog,
        spool,
        extra_ca: Some(s.ca.clone()),
        resolve: vec![(HOST.to_string(), IpAddr::V4(Ipv4Addr::LOCALHOST))],
        port_map: vec![(587, s.smtp_starttls_port), (993, s.imap_tls_port)],
        discovery_dns: Some(SocketAddr::new(
            s.host.parse().expect("the test servers' address"),
            s.dns_port,
        )),
        destinations: Destinations::public_only().allow("127.0.0.0/8".parse().expect("a range")),
        limits: Limits {
            checks: Rate::per_minute(1000),
            tests: Rate::per_hour(1000),
        },
    }
}
