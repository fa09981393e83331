//! What the settings page's API tests and browser tests share: the test
//! servers as a provider of the catalog, and the page's configuration
//! against them; the same servers as a provider that signs in with OAuth2
//! only, at the test authorization server, with the application's client.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use courriel::Destinations;
use courriel::oauth2::{FileStore, OAuth2Client};
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

/// The OAuth2 test provider's id.
pub(crate) const OAUTH_PROVIDER: &str = "courrieltest-oauth";
/// Its name, as the page shows it.
pub(crate) const OAUTH_PROVIDER_NAME: &str = "Courriel Test OAuth";

/// The test servers as a provider that takes no password (`OAuth2Only`)
/// and signs in at the test authorization server (oidc-provider), as
/// Outlook.com does at Microsoft's: same domains and servers as
/// [`TEST_PROVIDER`], scopes `imap` and `smtp` (what Dovecot asks of a
/// token) with `offline_access`.
fn oauth_provider(s: &Servers) -> String {
    let issuer = s.oauth_issuer();
    TEST_PROVIDER
        .replace("id: \"courrieltest\"", &format!("id: \"{OAUTH_PROVIDER}\""))
        .replace(
            "name: \"Courriel Test Mail\"",
            &format!("name: \"{OAUTH_PROVIDER_NAME}\""),
        )
        .replace(
            "    auth: Password,\n",
            &format!(
                "    auth: OAuth2Only,\n{}",
                courriel_testkit::oauth::oauth2_block_ron(&issuer)
            ),
        )
}

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
    with_catalog(s, spool, catalog)
}

/// The page against the test servers as [`config`] has it, but their
/// provider signs in with OAuth2 only: the application's client is the
/// test authorization server's public client `courriel-test`, sign-ins
/// are kept in a file store in `tokens`. Providers send the browser back
/// to the page's own address (`http://127.0.0.1:PORT/`, a loopback
/// redirect URI the test server's native clients take on any port).
pub(crate) fn oauth2_config(s: &Servers, spool: PathBuf, tokens: &std::path::Path) -> Config {
    let catalog = courriel::Catalog::builder()
        .builtin()
        .add_ron(format!("{OAUTH_PROVIDER}.ron"), oauth_provider(s))
        .build()
        .expect("the built-in catalog and the OAuth2 test provider");
    let mut config = with_catalog(s, spool, catalog);
    config.oauth2_clients = vec![OAuth2Client::new(OAUTH_PROVIDER, &s.oauth_client)];
    config.token_store = Some(Arc::new(
        FileStore::open(tokens).expect("the token store's directory"),
    ));
    config
}

fn with_catalog(s: &Servers, spool: PathBuf, catalog: courriel::Catalog) -> Config {
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
        ..Config::new(PathBuf::new())
    }
}
