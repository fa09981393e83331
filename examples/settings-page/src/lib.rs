//! The reference settings page: how an application embeds courriel.
//!
//! An axum application serving one server-rendered page (a little plain
//! JavaScript, no front-end build step) where a user fills in their mail
//! settings: their address fills in the provider's servers (the catalog,
//! then discovery, untrusted results confirmed first), the rules'
//! diagnostics appear beside the fields as they type, the IMAP folder list
//! comes with the Sent folder chosen and why, and a test message is sent
//! to their own address and filed in their Sent folder.
//!
//! Everything goes through the library: [`courriel::Catalog`] and
//! [`courriel_discover::Discovery`] for the lookup, the rules for the
//! diagnostics, and one [`courriel::Mailer`] for the whole process for the
//! folder list ([`courriel::Mailer::check`]) and the test message
//! ([`courriel::Mailer::send`]). Passwords travel from the form to the
//! mailer and are never sent back, neither in the page nor in an answer.
//!
//! A visitor types the host names, so the page is careful where it
//! connects: public addresses only by default ([`Config::destinations`]:
//! a loopback, private, link-local or cloud metadata address is refused
//! with NT001, discovery included), a failure to reach a server is told
//! as one code (NT002) whatever happened (closed, filtered, not a mail
//! server), and each visitor may make only so many checks and test
//! messages ([`Config::limits`]; beyond, HTTP 429 with `Retry-After`).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let config = courriel_settings_page::Config::new("/var/spool/courriel".into());
//! let (address, server) =
//!     courriel_settings_page::serve(config, "127.0.0.1:8080".parse().unwrap()).await?;
//! println!("http://{address}/");
//! server.await.ok();
//! # Ok(())
//! # }
//! ```

mod api;
mod limit;
mod page;

pub use limit::{Limits, Rate};

use std::hash::BuildHasher as _;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use courriel::{Account, Catalog, Destinations, Mailer};
use courriel::{AccountSettings, Lang};
use courriel_discover::Discovery;
use serde::Deserialize;

/// How the page's server is set up.
pub struct Config {
    /// The provider catalog (the built-in one, plus the application's files).
    pub catalog: Catalog,
    /// Where copies wait until they are filed (a directory, created if needed).
    pub spool: PathBuf,
    /// A CA certificate (PEM) trusted in addition to the web's (servers with
    /// a private CA, the test servers).
    pub extra_ca: Option<PathBuf>,
    /// Like curl's `--resolve`: connect to this address whenever a server is
    /// named this host (split-horizon DNS, the test servers); the
    /// certificate is still checked against the name.
    pub resolve: Vec<(String, IpAddr)>,
    /// Standard port → the port actually used, applied to the ports the
    /// catalog and discovery give (test servers listen on high ports). The
    /// rules see the standard port again, so they judge the settings as
    /// the provider documents them.
    pub port_map: Vec<(u16, u16)>,
    /// The DNS server discovery asks (default: the system's).
    pub discovery_dns: Option<SocketAddr>,
    /// Where the page may connect, for the mailer and discovery alike
    /// (default: public addresses only; the test servers' `127.0.0.0/8`
    /// must be allowed explicitly). Addresses given in `resolve` are
    /// checked too.
    pub destinations: Destinations,
    /// How many checks and test messages each visitor may ask for.
    pub limits: Limits,
}

impl Config {
    /// The built-in catalog, spooling in `spool`, nothing else.
    #[must_use]
    pub fn new(spool: PathBuf) -> Config {
        Config {
            catalog: Catalog::builtin().clone(),
            spool,
            extra_ca: None,
            resolve: Vec::new(),
            port_map: Vec::new(),
            discovery_dns: None,
            destinations: Destinations::public_only(),
            limits: Limits::default(),
        }
    }
}

/// What every request shares: one mailer for the process, discovery, and
/// what the configuration says of ports and certificates.
pub(crate) struct App {
    pub(crate) mailer: Mailer,
    pub(crate) discovery: Discovery,
    pub(crate) port_map: Vec<(u16, u16)>,
    pub(crate) ca_file: Option<String>,
    /// Checks that connect somewhere, per visitor.
    pub(crate) checks: limit::Limiter,
    /// Test messages, per visitor.
    pub(crate) tests: limit::Limiter,
    /// Keys the account ids: a pooled SMTP connection is reused only for
    /// the same passwords (a wrong password must fail, not ride on a
    /// connection logged in with the right one).
    salt: std::collections::hash_map::RandomState,
}

impl App {
    /// The account the mailer serves for these settings and passwords.
    pub(crate) fn account(
        &self,
        settings: AccountSettings,
        smtp_password: Option<&str>,
        imap_password: Option<&str>,
    ) -> Account {
        let key = self
            .salt
            .hash_one((settings.sender.as_deref(), smtp_password, imap_password));
        let id = format!(
            "settings-page/{}/{key:016x}",
            settings.sender.as_deref().unwrap_or("-")
        );
        let mut account = Account::new(id, settings);
        if let Some(p) = smtp_password.filter(|p| !p.is_empty()) {
            account = account.with_smtp_password(p);
        }
        if let Some(p) = imap_password.filter(|p| !p.is_empty()) {
            account = account.with_imap_password(p);
        }
        account
    }

    /// The port to connect to for a standard one.
    pub(crate) fn mapped(&self, port: u16) -> u16 {
        self.port_map
            .iter()
            .find(|(standard, _)| *standard == port)
            .map_or(port, |(_, actual)| *actual)
    }

    /// The standard port for one the configuration maps to.
    pub(crate) fn standard(&self, port: i64) -> i64 {
        self.port_map
            .iter()
            .find(|(_, actual)| i64::from(*actual) == port)
            .map_or(port, |(standard, _)| i64::from(*standard))
    }
}

/// The page and its API, with one [`Mailer`] for the process.
///
/// # Panics
///
/// When the spool directory cannot be created or opened, or the extra CA
/// file cannot be read ([`serve`] checks both first and returns the error).
pub fn router(config: Config) -> Router {
    routes(build(config).unwrap_or_else(|e| panic!("settings page: {e}")))
}

fn routes(app: App) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/lookup", post(api::lookup))
        .route("/api/diagnose", post(api::diagnose))
        .route("/api/folders", post(api::folders))
        .route("/api/test", post(api::test_send))
        .with_state(Arc::new(app))
}

fn build(config: Config) -> std::io::Result<App> {
    let mut mailer = Mailer::builder(&config.spool)
        .catalog(config.catalog.clone())
        .destinations(config.destinations.clone());
    for (host, address) in &config.resolve {
        mailer = mailer.resolve(host, *address);
    }
    let mailer = mailer.build().map_err(|e| {
        std::io::Error::new(e.kind(), format!("spool {}: {e}", config.spool.display()))
    })?;
    let mut discovery = Discovery::new(config.catalog).destinations(config.destinations);
    if let Some(dns) = config.discovery_dns {
        discovery = discovery.dns_server(dns);
    }
    if let Some(ca) = &config.extra_ca {
        let pem = courriel::input::read_ca_file(ca)
            .map_err(|e| std::io::Error::new(e.kind(), format!("CA file {}: {e}", ca.display())))?;
        discovery = discovery.extra_ca(pem);
    }
    for (standard, actual) in &config.port_map {
        discovery = discovery.map_port(*standard, *actual);
    }
    Ok(App {
        mailer,
        discovery,
        port_map: config.port_map,
        ca_file: config.extra_ca.map(|p| p.display().to_string()),
        checks: limit::Limiter::new(config.limits.checks),
        tests: limit::Limiter::new(config.limits.tests),
        salt: std::collections::hash_map::RandomState::new(),
    })
}

/// Creates `dir` and its missing parents private to their owner (0700):
/// the spool holds whole messages.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Binds `addr` (port 0 picks a free one) and serves the page there in a
/// task of its own; returns the address bound and the task. Visitors are
/// told apart by the address they connect from (behind a reverse proxy,
/// all are the proxy: put the rate limit there instead).
pub async fn serve(
    config: Config,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    create_private_dir(&config.spool).map_err(|e| {
        std::io::Error::new(e.kind(), format!("spool {}: {e}", config.spool.display()))
    })?;
    if let Some(ca) = &config.extra_ca {
        std::fs::metadata(ca)
            .map_err(|e| std::io::Error::new(e.kind(), format!("CA file {}: {e}", ca.display())))?;
    }
    let router = routes(build(config)?);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service).await {
            eprintln!("settings page: {e}");
        }
    });
    Ok((bound, task))
}

/// The address a request comes from (unspecified when the router is
/// served without connection info: then every visitor shares one budget).
pub(crate) struct Visitor(pub(crate) IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Visitor(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), |c| c.0.ip()),
        ))
    }
}

/// `?lang=fr` or `?lang=en`.
#[derive(Deserialize)]
struct PageQuery {
    lang: Option<String>,
}

/// The language asked for: `lang`, else the browser's first choice.
fn page_lang(query: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(lang) = query.and_then(|l| l.parse().ok()) {
        return lang;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_start();
    if accept
        .get(..2)
        .is_some_and(|l| l.eq_ignore_ascii_case("fr"))
    {
        Lang::Fr
    } else {
        Lang::En
    }
}

async fn index(
    State(_app): State<Arc<App>>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> impl IntoResponse {
    let lang = page_lang(query.lang.as_deref(), &headers);
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_LANGUAGE, lang.code()),
        ],
        Html(page::render(lang)),
    )
}

/// The language an API request asks for (`en` by default).
pub(crate) fn api_lang(lang: Option<&str>) -> Lang {
    lang.and_then(|l| l.parse().ok()).unwrap_or_default()
}

/// `en` or `fr` text.
pub(crate) fn tr(lang: Lang, en: &'static str, fr: &'static str) -> &'static str {
    if lang == Lang::Fr { fr } else { en }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_the_query_then_the_browser() {
        let mut headers = HeaderMap::new();
        assert_eq!(page_lang(None, &headers), Lang::En);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            "fr-FR,fr;q=0.9,en;q=0.8".parse().unwrap(),
        );
        assert_eq!(page_lang(None, &headers), Lang::Fr);
        assert_eq!(page_lang(Some("en"), &headers), Lang::En);
        headers.insert(header::ACCEPT_LANGUAGE, "en-GB, fr;q=0.5".parse().unwrap());
        assert_eq!(page_lang(None, &headers), Lang::En);
        assert_eq!(page_lang(Some("fr"), &headers), Lang::Fr);
        assert_eq!(page_lang(Some("de"), &headers), Lang::En);
    }
}
