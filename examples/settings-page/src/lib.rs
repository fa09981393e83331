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
mod page;

use std::hash::BuildHasher as _;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use courriel::core::account::{AccountSettings, Lang};
use courriel::{Account, Catalog, Mailer};
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
    let mut mailer = Mailer::builder(&config.spool).catalog(config.catalog.clone());
    for (host, address) in &config.resolve {
        mailer = mailer.resolve(host, *address);
    }
    let mailer = mailer.build().map_err(|e| {
        std::io::Error::new(e.kind(), format!("spool {}: {e}", config.spool.display()))
    })?;
    let mut discovery = Discovery::new(config.catalog);
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
        salt: std::collections::hash_map::RandomState::new(),
    })
}

/// Binds `addr` (port 0 picks a free one) and serves the page there in a
/// task of its own; returns the address bound and the task.
pub async fn serve(
    config: Config,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    std::fs::create_dir_all(&config.spool).map_err(|e| {
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
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("settings page: {e}");
        }
    });
    Ok((bound, task))
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
