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
//! Where the catalog says a provider signs in with OAuth2 and the
//! deployment registered a client with it ([`Config::oauth2_clients`]),
//! the page shows "Sign in with …": the provider's own page signs the user
//! in, the grant is kept in the token store ([`Config::token_store`]), and
//! the folder list and the test message use its tokens instead of a
//! password ([`courriel::oauth2::StoredTokens`]). The password fields stay
//! for providers that take one. A visitor uses only the grants they signed
//! in with in their browser (a session cookie), and no token ever reaches
//! the page.
//!
//! With the application's default provider ([`Config::default_provider`])
//! and SendGrid's Event Webhook ([`Config::sendgrid_webhook`]), the page
//! takes SendGrid's signed events at `POST /webhooks/sendgrid` and shows
//! each visitor (their browser session) which of their test messages
//! could not be delivered, and why; events of other messages are counted
//! apart and shown to nobody.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use courriel::oauth2::{FileStore, OAuth2Client};
//!
//! let mut config = courriel_settings_page::Config::new("/var/lib/settings-page/spool".into());
//! // Optional: "Sign in with Outlook.com" for outlook.com addresses.
//! config.oauth2_clients.push(OAuth2Client::new("outlook", "00000000-aaaa-bbbb-cccc-000000000000"));
//! let store = FileStore::open("/var/lib/settings-page/tokens").map_err(std::io::Error::other)?;
//! config.token_store = Some(Arc::new(store));
//! config.public_url = Some("https://mail-settings.example.com".into());
//! let (address, server) =
//!     courriel_settings_page::serve(config, "127.0.0.1:8080".parse().unwrap()).await?;
//! println!("http://{address}/");
//! server.await.ok();
//! # Ok(())
//! # }
//! ```

mod api;
mod events;
mod limit;
mod oauth;
mod page;

pub use limit::{Limits, Rate};

use std::hash::BuildHasher as _;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Query, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use courriel::events::{EventWebhook, WebhookKey};
use courriel::oauth2::{GrantKey, HttpOptions, OAuth2Client, StoredTokens, TokenStore};
use courriel::{Account, Catalog, DefaultProvider, Destinations, Mailer};
use courriel::{AccountSettings, Lang};
use courriel_discover::Discovery;
use serde::Deserialize;
use serde_json::{Value, json};

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
    /// The OAuth2 clients the deployment registered, one per provider of
    /// the catalog (its id in [`OAuth2Client::provider`]): their providers'
    /// users get "Sign in with …". None by default.
    pub oauth2_clients: Vec<OAuth2Client>,
    /// Where sign-ins are kept and renewed: any [`TokenStore`]
    /// ([`courriel::oauth2::FileStore`], a directory of private files, is
    /// what the binary uses). Needed with OAuth2 clients.
    pub token_store: Option<Arc<dyn TokenStore>>,
    /// The page's address as browsers reach it (scheme, host and port:
    /// `https://mail-settings.example.com`): providers send the user back
    /// to its root, which must be the redirect URI registered with the
    /// client. [`serve`] defaults it to `http://` and the address it
    /// listens on (loopback when it listens on every address).
    pub public_url: Option<String>,
    /// The application's default provider, for test messages of settings
    /// without an SMTP server (none by default: they fail with SG001).
    pub default_provider: Option<DefaultProvider>,
    /// SendGrid's verification key of its Event Webhook: with it, the page
    /// takes SendGrid's events at `POST /webhooks/sendgrid` and shows each
    /// visitor the test messages that could not be delivered (none by
    /// default: no such endpoint).
    pub sendgrid_webhook: Option<WebhookKey>,
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
            oauth2_clients: Vec::new(),
            token_store: None,
            public_url: None,
            default_provider: None,
            sendgrid_webhook: None,
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
    /// Signing in with OAuth2: the clients, the store, sign-ins under way
    /// and the sessions.
    pub(crate) oauth2: oauth::OAuth2,
    /// SendGrid's Event Webhook, when configured.
    pub(crate) webhook: Option<EventWebhook>,
    /// The messages sent through SendGrid and their failures.
    pub(crate) deliveries: events::Deliveries,
    /// Keys the account ids: a pooled SMTP connection is reused only for
    /// the same passwords (a wrong password must fail, not ride on a
    /// connection logged in with the right one).
    salt: std::collections::hash_map::RandomState,
}

impl App {
    /// The account the mailer serves for these settings and passwords, in
    /// the visitor's `session` when it has one. Its id is opaque (a salted
    /// hash, no address: it travels to the default provider).
    pub(crate) fn account(
        &self,
        settings: AccountSettings,
        smtp_password: Option<&str>,
        imap_password: Option<&str>,
        session: Option<&str>,
    ) -> Account {
        let key = self.salt.hash_one((
            settings.sender.as_deref(),
            smtp_password,
            imap_password,
            session,
        ));
        let mut account = Account::new(format!("settings-page/{key:016x}"), settings);
        if let Some(p) = smtp_password.filter(|p| !p.is_empty()) {
            account = account.with_smtp_password(p);
        }
        if let Some(p) = imap_password.filter(|p| !p.is_empty()) {
            account = account.with_imap_password(p);
        }
        account
    }

    /// The account the mailer serves for these settings, signing in with
    /// the tokens of `key`'s grant, in the visitor's `session`.
    pub(crate) fn oauth2_account(
        &self,
        settings: AccountSettings,
        key: &GrantKey,
        tokens: Arc<StoredTokens>,
        session: Option<&str>,
    ) -> Account {
        let hash = self.salt.hash_one((
            settings.sender.as_deref(),
            &key.provider,
            &key.user,
            session,
        ));
        Account::new(format!("settings-page/oauth2/{hash:016x}"), settings).with_oauth2(tokens)
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
/// When the spool directory cannot be created or opened, the extra CA
/// file cannot be read ([`serve`] checks both first and returns the
/// error), or the OAuth2 clients cannot be used as configured: a provider
/// the catalog does not know or that has no OAuth2, two clients for one
/// provider, no [`Config::token_store`] or no [`Config::public_url`]
/// ([`serve`] returns these errors too, and fills in the public URL).
pub fn router(config: Config) -> Router {
    routes(build(config).unwrap_or_else(|e| panic!("settings page: {e}")))
}

/// The default public URL of a page listening on `bound`: itself, or
/// loopback when it listens on every address.
fn default_public_url(bound: SocketAddr) -> String {
    let ip = match bound.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, bound.port()))
}

fn routes(app: App) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/lookup", post(api::lookup))
        .route("/api/diagnose", post(api::diagnose))
        .route("/api/folders", post(api::folders))
        .route("/api/test", post(api::test_send))
        .route("/api/oauth2/start", post(api::oauth2_start))
        .route("/api/oauth2/sign-out", post(api::oauth2_sign_out))
        .route("/webhooks/sendgrid", post(events::sendgrid_webhook))
        .with_state(Arc::new(app))
}

fn build(config: Config) -> std::io::Result<App> {
    let mut mailer = Mailer::builder(&config.spool)
        .catalog(config.catalog.clone())
        .destinations(config.destinations.clone());
    for (host, address) in &config.resolve {
        mailer = mailer.resolve(host, *address);
    }
    if let Some(provider) = config.default_provider {
        mailer = mailer.default_provider(provider);
    }
    let mailer = mailer.build().map_err(|e| {
        std::io::Error::new(e.kind(), format!("spool {}: {e}", config.spool.display()))
    })?;
    let mut http = HttpOptions::default();
    let oauth2_catalog = config.catalog.clone();
    let mut discovery = Discovery::new(config.catalog).destinations(config.destinations);
    if let Some(dns) = config.discovery_dns {
        discovery = discovery.dns_server(dns);
    }
    if let Some(ca) = &config.extra_ca {
        let pem = courriel::input::read_ca_file(ca)
            .map_err(|e| std::io::Error::new(e.kind(), format!("CA file {}: {e}", ca.display())))?;
        http.extra_ca_pem = Some(Arc::from(pem.clone()));
        discovery = discovery.extra_ca(pem);
    }
    let oauth2 = oauth::OAuth2::new(
        &oauth2_catalog,
        config.oauth2_clients,
        config.token_store,
        config.public_url.as_deref(),
        &http,
    )?;
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
        oauth2,
        webhook: config.sendgrid_webhook.map(EventWebhook::new),
        deliveries: events::Deliveries::default(),
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
/// Without [`Config::public_url`], providers send the user back to
/// `http://` and the address bound.
pub async fn serve(
    mut config: Config,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    create_private_dir(&config.spool).map_err(|e| {
        std::io::Error::new(e.kind(), format!("spool {}: {e}", config.spool.display()))
    })?;
    if let Some(ca) = &config.extra_ca {
        std::fs::metadata(ca)
            .map_err(|e| std::io::Error::new(e.kind(), format!("CA file {}: {e}", ca.display())))?;
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    if config.public_url.is_none() {
        config.public_url = Some(default_public_url(bound));
    }
    let router = routes(build(config)?);
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

/// The session cookie, when the request has one of ours.
pub(crate) struct SessionCookie(pub(crate) Option<String>);

impl SessionCookie {
    pub(crate) fn id(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SessionCookie {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(SessionCookie(session_cookie(&parts.headers)))
    }
}

/// The page's session id among the request's cookies.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == oauth::SESSION_COOKIE && oauth::is_session_id(value))
        .map(|(_, value)| value.to_string())
}

/// `?lang=fr` or `?lang=en`.
#[derive(Deserialize)]
struct PageQuery {
    lang: Option<String>,
}

/// Whether the index's query is a provider's answer to a sign-in
/// (`state`, with `code` or `error`).
fn is_sign_in_answer(query: &str) -> bool {
    let names: Vec<_> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(name, _)| name)
        .collect();
    names.iter().any(|n| n == "state") && names.iter().any(|n| n == "code" || n == "error")
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

/// The page; also where providers send the user back after signing in
/// (`?code=...&state=...`, or `?error=...`): the sign-in is finished and
/// the page shows its outcome (the script then takes the code off the
/// address bar).
async fn index(
    State(app): State<Arc<App>>,
    Query(query): Query<PageQuery>,
    RawQuery(raw): RawQuery,
    session: SessionCookie,
    headers: HeaderMap,
) -> Response {
    let mut lang = page_lang(query.lang.as_deref(), &headers);
    let raw = raw.unwrap_or_default();
    let mut state = json!({ "outcome": Value::Null });
    if is_sign_in_answer(&raw) {
        let (shown_in, outcome) = app
            .oauth2
            .finish(app.mailer.catalog(), &raw, session.id(), lang)
            .await;
        lang = shown_in;
        state["outcome"] = outcome;
    }
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_LANGUAGE, lang.code()),
            // The answer's code is in this page's address: never sent on.
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(page::render(
            lang,
            &state,
            &events::section(&app.deliveries.of_session(session.id()), lang),
        )),
    )
        .into_response()
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

    #[test]
    fn the_session_is_our_cookie_only_when_it_is_well_formed() {
        let id = "A".repeat(43);
        let mut headers = HeaderMap::new();
        assert_eq!(session_cookie(&headers), None);
        headers.insert(
            header::COOKIE,
            format!("other=1; {}={id}; x=y", oauth::SESSION_COOKIE)
                .parse()
                .unwrap(),
        );
        assert_eq!(session_cookie(&headers), Some(id));
        headers.insert(
            header::COOKIE,
            format!(
                "{}=short; {}=../../x",
                oauth::SESSION_COOKIE,
                oauth::SESSION_COOKIE
            )
            .parse()
            .unwrap(),
        );
        assert_eq!(session_cookie(&headers), None);
    }

    #[test]
    fn a_providers_answer_has_a_state_and_a_code_or_an_error() {
        assert!(is_sign_in_answer("code=abc&state=xyz&iss=https%3A%2F%2Fx"));
        assert!(is_sign_in_answer("error=access_denied&state=xyz"));
        assert!(!is_sign_in_answer("lang=fr"));
        assert!(!is_sign_in_answer("code=abc"));
        assert!(!is_sign_in_answer(""));
    }

    #[test]
    fn by_default_providers_send_the_browser_back_to_the_address_listened_on() {
        let at = |a: &str| default_public_url(a.parse().unwrap());
        assert_eq!(at("127.0.0.1:8080"), "http://127.0.0.1:8080/");
        assert_eq!(at("0.0.0.0:8080"), "http://127.0.0.1:8080/");
        assert_eq!(at("[::]:8080"), "http://[::1]:8080/");
        assert_eq!(at("192.0.2.7:80"), "http://192.0.2.7:80/");
    }
}
