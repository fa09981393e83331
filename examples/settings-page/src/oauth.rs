//! Signing in with OAuth2 from the page, for providers whose catalog entry
//! has an `oauth2` block and for which the deployment registered a client
//! ([`crate::Config::oauth2_clients`]).
//!
//! "Sign in with …" asks the server to start a sign-in: it makes the
//! authorization (a fresh `state` and PKCE verifier, kept here in memory,
//! in a bounded map, for ten minutes, used once) and the browser goes to
//! the provider's page. The provider sends it back to the page's index
//! with `code` and `state` (or `error`); the index finishes the sign-in
//! (the code exchanged for tokens at the provider's token endpoint, https
//! only), saves the grant in the token store and shows who signed in and
//! until when.
//!
//! A visitor may use only the grants they signed in with, in this
//! browser: a session cookie (random, `HttpOnly`, `SameSite=Lax`) names
//! them, and a sign-in started in one browser cannot be finished in
//! another. Tokens never leave the server: not in the page, not in an
//! answer, not in a URL; the grant's tokens are sent only to the servers
//! of the provider that issued them.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use courriel::low_level::core::provider::{Auth, Provider};
use courriel::oauth2::{
    Authorization, GrantKey, HttpOptions, OAuth2Client, Revocation, SignIn, StoredTokens,
};
use courriel::oauth2::{Grant, TokenStore};
use courriel::{AccountSettings, Catalog, Failure, FailureKind, Lang};
use serde_json::{Value, json};

use crate::tr;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "courriel_page_session";

/// How long a sign-in may take, from the click to the provider's answer.
const PENDING_TTL: Duration = Duration::from_secs(600);
/// Sign-ins under way at most, over every visitor.
const MAX_PENDING: usize = 1024;
/// Sign-ins under way at most per session (the oldest is dropped).
const PENDING_PER_SESSION: usize = 4;
/// How long a session lasts without being used.
const SESSION_IDLE: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at most; beyond, the least recently used is forgotten.
const MAX_SESSIONS: usize = 4096;
/// Grants one session may use at most (the oldest is dropped).
const GRANTS_PER_SESSION: usize = 8;

/// A sign-in under way, keyed by its `state`.
struct Pending {
    authorization: Authorization,
    provider: String,
    session: String,
    lang: Lang,
    address: String,
    started: Instant,
}

/// One browser's session: the grants it signed in with.
struct Session {
    seen: Instant,
    grants: Vec<GrantKey>,
}

/// What signing out did.
pub(crate) enum SignOut {
    /// The session did not hold the grant: nothing done.
    NotHeld,
    /// The provider forgot the sign-in, and so did the page.
    Revoked,
    /// The provider offers no revocation: the page forgot the sign-in,
    /// the provider keeps it until it expires.
    NotOffered,
    /// The provider could not be told (OA005, OA004): the page forgot the
    /// sign-in, the provider still has it.
    NotTold(Failure),
}

/// Why a sign-in cannot start.
pub(crate) enum StartError {
    /// A failure to show (OA011, OA012...).
    Failed(Failure),
    /// Too many sign-ins under way: try again after this long.
    Busy(Duration),
}

/// The page's OAuth2: the deployment's clients, the token store, the
/// sign-ins under way and the sessions.
pub(crate) struct OAuth2 {
    /// One sign-in per provider id with a client.
    sign_ins: HashMap<String, SignIn>,
    store: Option<Arc<dyn TokenStore>>,
    /// The page's index, where providers send the user back.
    redirect_uri: Option<String>,
    /// Whether the cookie is `Secure` (the page is served over https).
    secure: bool,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, Session>>,
    /// One token source per account, so that renewals within the process
    /// wait for each other.
    tokens: Mutex<HashMap<GrantKey, Arc<StoredTokens>>>,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Random bytes, base64url: session ids.
fn random_id() -> String {
    use base64::Engine as _;
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system's random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `text` looks like one of our session ids (43 base64url
/// characters): anything else in the cookie is ignored.
pub(crate) fn is_session_id(text: &str) -> bool {
    text.len() == 43
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The page's address as a redirect URI: http or https, a host, the
/// path `/`, no query or fragment.
pub(crate) fn redirect_uri(public_url: &str) -> io::Result<String> {
    let url = url::Url::parse(public_url.trim())
        .map_err(|e| invalid(format!("public URL {public_url}: {e}")))?;
    let bad = |why: &str| invalid(format!("public URL {public_url}: {why}"));
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("not http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "the page is served at the root: give the scheme, host and port only",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("no user or password in it"));
    }
    Ok(url.into())
}

fn seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The server names of a form's settings, trimmed, without a final dot,
/// lower case.
fn hosts(settings: &AccountSettings) -> Vec<String> {
    [
        settings.smtp.as_ref().and_then(|s| s.host.as_deref()),
        settings.imap.as_ref().and_then(|i| i.host.as_deref()),
    ]
    .into_iter()
    .flatten()
    .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
    .filter(|h| !h.is_empty())
    .collect()
}

/// Whether `host` is one of `provider`'s SMTP or IMAP servers.
fn serves(provider: &Provider, host: &str) -> bool {
    provider
        .smtp
        .iter()
        .chain(&provider.imap)
        .any(|s| s.host.eq_ignore_ascii_case(host))
}

/// The provider whose sign-in the settings would use: the sender's own
/// provider when the servers are its own (an outlook.com address on
/// Outlook's servers), else the provider of the SMTP server, else of the
/// IMAP server. `None` without a server in the catalog.
pub(crate) fn provider_of<'a>(
    catalog: &'a Catalog,
    settings: &AccountSettings,
) -> Option<&'a Provider> {
    let hosts = hosts(settings);
    if let Some(home) = settings.sender.as_deref().and_then(|s| catalog.lookup(s))
        && !hosts.is_empty()
        && hosts.iter().all(|h| serves(home, h))
    {
        return Some(home);
    }
    hosts.iter().find_map(|h| catalog.lookup_host(h))
}

/// A server of the settings that is not `provider`'s: its tokens must not
/// go there.
pub(crate) fn foreign_host(provider: &Provider, settings: &AccountSettings) -> Option<String> {
    hosts(settings).into_iter().find(|h| !serves(provider, h))
}

/// `{ok: false, code, message, help}` of a page-local refusal: a server
/// that is not the provider's.
pub(crate) fn foreign_host_json(provider: &Provider, host: &str, lang: Lang) -> Value {
    let name = &provider.name;
    let (message, help) = if lang == Lang::Fr {
        (
            format!(
                "La connexion avec {name} ne sert qu'avec les serveurs de {name} : {host} n'en fait pas partie."
            ),
            format!(
                "Utilisez les serveurs de {name} (l'adresse les remplit), ou saisissez un mot de passe pour ce serveur."
            ),
        )
    } else {
        (
            format!(
                "A sign-in with {name} is used only with {name}'s servers: {host} is not one of them."
            ),
            format!(
                "Use {name}'s servers (your address fills them in), or type a password for this server."
            ),
        )
    };
    json!({ "ok": false, "code": "oauth2-foreign-host", "message": message, "help": help })
}

impl OAuth2 {
    /// The deployment's clients, each checked against the catalog (a
    /// provider it knows, with OAuth2, one client each), and where the
    /// sign-ins are kept.
    pub(crate) fn new(
        catalog: &Catalog,
        clients: Vec<OAuth2Client>,
        store: Option<Arc<dyn TokenStore>>,
        public_url: Option<&str>,
        options: &HttpOptions,
    ) -> io::Result<OAuth2> {
        let mut sign_ins = HashMap::new();
        for client in clients {
            let id = client.provider.clone();
            let provider = catalog.get(&id).ok_or_else(|| {
                invalid(format!(
                    "OAuth2 client for {id}: no such provider in the catalog"
                ))
            })?;
            let sign_in = SignIn::new(provider, client, options)
                .map_err(|e| invalid(format!("OAuth2 client for {id}: {}", e.render(Lang::En))))?;
            if sign_ins.insert(id.clone(), sign_in).is_some() {
                return Err(invalid(format!("two OAuth2 clients for {id}")));
            }
        }
        if !sign_ins.is_empty() && store.is_none() {
            return Err(invalid(
                "OAuth2 clients need a token store (Config::token_store, --tokens)".into(),
            ));
        }
        let redirect_uri = public_url.map(redirect_uri).transpose()?;
        if !sign_ins.is_empty() && redirect_uri.is_none() {
            return Err(invalid(
                "OAuth2 clients need the page's public URL (Config::public_url, --public-url)"
                    .into(),
            ));
        }
        Ok(OAuth2 {
            secure: redirect_uri
                .as_deref()
                .is_some_and(|u| u.starts_with("https:")),
            sign_ins,
            store,
            redirect_uri,
            pending: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        })
    }

    /// The sign-in of a provider, when the deployment has a client for it.
    pub(crate) fn sign_in(&self, provider_id: &str) -> Option<&SignIn> {
        self.sign_ins.get(provider_id)
    }

    /// The providers the deployment has a client for (catalog ids).
    pub(crate) fn providers(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.sign_ins.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// OA011: no client for `provider`.
    pub(crate) fn no_client(provider: &str) -> Failure {
        Failure::new(FailureKind::OAuth2ClientNotConfigured).arg("provider", provider)
    }

    /// The `Set-Cookie` value of a session.
    pub(crate) fn cookie(&self, session: &str) -> String {
        format!(
            "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            SESSION_IDLE.as_secs(),
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// The session `id` names, if it is alive (then seen now).
    fn touch<'a>(
        sessions: &'a mut HashMap<String, Session>,
        id: Option<&str>,
        now: Instant,
    ) -> Option<&'a mut Session> {
        let id = id?;
        let alive = sessions
            .get(id)
            .is_some_and(|s| now.duration_since(s.seen) < SESSION_IDLE);
        if !alive {
            sessions.remove(id);
            return None;
        }
        let session = sessions.get_mut(id)?;
        session.seen = now;
        Some(session)
    }

    /// The visitor's session (`id` when alive, else a new one) and whether
    /// it is new.
    pub(crate) fn session(&self, id: Option<&str>) -> (String, bool) {
        let now = Instant::now();
        let mut sessions = lock(&self.sessions);
        if let Some(id) = id
            && Self::touch(&mut sessions, Some(id), now).is_some()
        {
            return (id.to_string(), false);
        }
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, s| now.duration_since(s.seen) < SESSION_IDLE);
        }
        if sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.seen)
                .map(|(id, _)| id.clone())
        {
            sessions.remove(&oldest);
        }
        let id = random_id();
        sessions.insert(
            id.clone(),
            Session {
                seen: now,
                grants: Vec::new(),
            },
        );
        (id, true)
    }

    /// Whether the session `id` signed in as `key`.
    pub(crate) fn holds(&self, id: Option<&str>, key: &GrantKey) -> bool {
        let mut sessions = lock(&self.sessions);
        Self::touch(&mut sessions, id, Instant::now()).is_some_and(|s| s.grants.contains(key))
    }

    /// Starts a sign-in of `login` (the sender `address`) with `provider`:
    /// the provider's URL to send the browser to, the session and whether
    /// it is new (its cookie to set).
    pub(crate) fn start(
        &self,
        provider: &Provider,
        login: &str,
        address: &str,
        lang: Lang,
        session: Option<&str>,
    ) -> Result<(String, String, bool), StartError> {
        let sign_in = self
            .sign_in(&provider.id)
            .ok_or_else(|| StartError::Failed(Self::no_client(&provider.name)))?;
        let redirect = self
            .redirect_uri
            .as_deref()
            .ok_or_else(|| StartError::Failed(Self::no_client(&provider.name)))?;
        let now = Instant::now();
        let mut pending = lock(&self.pending);
        pending.retain(|_, p| now.duration_since(p.started) < PENDING_TTL);
        let (session, new) = self.session(session);
        let mut mine: Vec<(Instant, String)> = pending
            .iter()
            .filter(|(_, p)| p.session == session)
            .map(|(state, p)| (p.started, state.clone()))
            .collect();
        mine.sort();
        while mine.len() >= PENDING_PER_SESSION {
            pending.remove(&mine.remove(0).1);
        }
        if pending.len() >= MAX_PENDING {
            let oldest = pending.values().map(|p| p.started).min().unwrap_or(now);
            return Err(StartError::Busy(
                PENDING_TTL.saturating_sub(now.duration_since(oldest)),
            ));
        }
        let authorization = sign_in
            .authorize(login, redirect)
            .map_err(StartError::Failed)?;
        let url = authorization.url.clone();
        pending.insert(
            authorization.state.clone(),
            Pending {
                authorization,
                provider: provider.id.clone(),
                session: session.clone(),
                lang,
                address: address.to_string(),
                started: now,
            },
        );
        Ok((url, session, new))
    }

    /// Finishes the sign-in the provider's answer (`query`, the index's)
    /// belongs to: the language to show it in, and what to show
    /// (`{ok: true, provider, provider_name, passwords, user, address,
    /// expires_at}` or `{ok: false, code, message, help, ...}`).
    pub(crate) async fn finish(
        &self,
        catalog: &Catalog,
        query: &str,
        session: Option<&str>,
        lang: Lang,
    ) -> (Lang, Value) {
        let state = url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "state")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        // Used once: whatever happens next, this state is spent.
        let entry = lock(&self.pending).remove(&state);
        let Some(entry) = entry else {
            let failure = Failure::new(FailureKind::OAuth2AuthorizationDenied)
                .arg("provider", tr(lang, "your provider", "votre fournisseur"))
                .arg(
                    "detail",
                    tr(
                        lang,
                        "this sign-in is unknown here, or was already used",
                        "cette connexion est inconnue ici, ou a déjà servi",
                    ),
                );
            return (lang, failure_outcome(&failure, lang, None, None));
        };
        let lang = entry.lang;
        let provider = catalog.get(&entry.provider);
        let name = provider.map_or(entry.provider.as_str(), |p| p.name.as_str());
        let denied = |detail: &str| {
            Failure::new(FailureKind::OAuth2AuthorizationDenied)
                .arg("provider", name)
                .arg("user", &entry.authorization.user)
                .arg("detail", detail)
        };
        let failed = |failure: &Failure| failure_outcome(failure, lang, provider, Some(&entry));
        if entry.started.elapsed() >= PENDING_TTL {
            let failure = denied(tr(
                lang,
                "the sign-in took more than ten minutes",
                "la connexion a pris plus de dix minutes",
            ));
            return (lang, failed(&failure));
        }
        if session != Some(entry.session.as_str()) {
            let failure = denied(tr(
                lang,
                "it was started in another browser",
                "elle a été commencée dans un autre navigateur",
            ));
            return (lang, failed(&failure));
        }
        let (Some(sign_in), Some(store)) = (self.sign_in(&entry.provider), &self.store) else {
            return (lang, failed(&Self::no_client(name)));
        };
        let grant = match sign_in.finish(&entry.authorization, query).await {
            Ok(grant) => grant,
            Err(failure) => return (lang, failed(&failure)),
        };
        if let Err(failure) = store.save(&grant).await {
            return (lang, failed(&failure));
        }
        let key = grant.key();
        // A new sign-in: renewals start from the stored grant again.
        lock(&self.tokens).remove(&key);
        {
            let mut sessions = lock(&self.sessions);
            if let Some(session) = Self::touch(&mut sessions, session, Instant::now()) {
                session.grants.retain(|k| *k != key);
                if session.grants.len() >= GRANTS_PER_SESSION {
                    session.grants.remove(0);
                }
                session.grants.push(key);
            }
        }
        (
            lang,
            json!({
                "ok": true,
                "provider": entry.provider,
                "provider_name": name,
                "passwords": provider.is_some_and(takes_passwords),
                "user": grant.user,
                "address": entry.address,
                "expires_at": grant.expires_at.map(seconds),
            }),
        )
    }

    /// Whose grant the session holds for `key`, and until when its access
    /// token is valid: `{user, expires_at}`, or `null`.
    pub(crate) async fn signed_in(&self, session: Option<&str>, key: &GrantKey) -> Value {
        if !self.holds(session, key) {
            return Value::Null;
        }
        let Some(store) = &self.store else {
            return Value::Null;
        };
        match store.load(key).await {
            Ok(Some(grant)) => signed_in_json(&grant),
            // Signed out elsewhere, or the store fails: not signed in.
            _ => Value::Null,
        }
    }

    /// The token source of `key`'s grant (one per account in the process).
    pub(crate) fn tokens(&self, sign_in: &SignIn, key: &GrantKey) -> Option<Arc<StoredTokens>> {
        let store = self.store.clone()?;
        let mut tokens = lock(&self.tokens);
        if tokens.len() >= MAX_SESSIONS {
            tokens.clear();
        }
        Some(
            tokens
                .entry(key.clone())
                .or_insert_with(|| Arc::new(StoredTokens::new(sign_in.clone(), store, &key.user)))
                .clone(),
        )
    }

    /// Signs the session out of `key`: the provider is asked to forget the
    /// sign-in where it can (RFC 7009), then the grant leaves the session
    /// and the store, whatever the provider said. Nothing when the session
    /// does not hold it (a visitor cannot sign another out).
    pub(crate) async fn sign_out(
        &self,
        session: Option<&str>,
        key: &GrantKey,
    ) -> Result<SignOut, Failure> {
        let held = {
            let mut sessions = lock(&self.sessions);
            match Self::touch(&mut sessions, session, Instant::now()) {
                Some(s) if s.grants.contains(key) => {
                    s.grants.retain(|k| k != key);
                    true
                }
                _ => false,
            }
        };
        let (true, Some(store)) = (held, &self.store) else {
            return Ok(SignOut::NotHeld);
        };
        lock(&self.tokens).remove(key);
        let told = match (store.load(key).await?, self.sign_in(&key.provider)) {
            (Some(grant), Some(sign_in)) => match sign_in.revoke(&grant).await {
                Ok(Revocation::Revoked) => SignOut::Revoked,
                Ok(_) => SignOut::NotOffered,
                Err(failure) => SignOut::NotTold(failure),
            },
            // Already gone from the store: nothing left to revoke.
            _ => SignOut::NotOffered,
        };
        store.delete(key).await?;
        Ok(told)
    }

    /// How many sign-ins are under way (for tests).
    #[cfg(test)]
    fn pending_count(&self) -> usize {
        lock(&self.pending).len()
    }
}

/// Whether the provider takes passwords at all (app passwords included).
pub(crate) fn takes_passwords(provider: &Provider) -> bool {
    provider.auth != Auth::OAuth2Only
}

/// `{user, expires_at}` of a grant: no token.
fn signed_in_json(grant: &Grant) -> Value {
    json!({ "user": grant.user, "expires_at": grant.expires_at.map(seconds) })
}

/// What the page shows of a sign-in that failed.
fn failure_outcome(
    failure: &Failure,
    lang: Lang,
    provider: Option<&Provider>,
    entry: Option<&Pending>,
) -> Value {
    json!({
        "ok": false,
        "code": failure.code(),
        "message": failure.message(lang),
        "help": failure.help(lang),
        "provider": provider.map(|p| p.id.clone()),
        "provider_name": provider.map(|p| p.name.clone()),
        "passwords": provider.is_some_and(takes_passwords),
        "address": entry.map(|e| e.address.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVIDER: &str = r#"Provider(
    id: "oauthtest",
    name: "OAuth Test",
    domains: ["oauth.example"],
    smtp: [Server(host: "smtp.oauth.example", port: 587, security: Starttls, username: Address)],
    imap: [Server(host: "imap.oauth.example", port: 993, security: ImplicitTls, username: Address)],
    sender_policy: MustMatchLogin,
    auth: OAuth2Only,
    oauth2: OAuth2(
        authorization_url: "https://login.oauth.example/auth",
        token_url: "https://login.oauth.example/token",
        imap_scopes: ["imap"],
        smtp_scopes: ["smtp"],
        pkce: Required,
        client_secret: NotForPublicClients,
        mechanisms: [XOAuth2],
        source: ["https://example.com/"],
        last_checked: "2026-12-07",
    ),
    sent_copy: ClientFiles,
    source: ["https://example.com/"],
    last_checked: "2026-12-07",
)
"#;

    fn catalog() -> Catalog {
        Catalog::builder()
            .builtin()
            .add_ron("oauthtest.ron", PROVIDER)
            .build()
            .unwrap()
    }

    struct Nowhere;

    impl TokenStore for Nowhere {
        fn load<'a>(&'a self, _: &'a GrantKey) -> courriel::oauth2::StoreFuture<'a, Option<Grant>> {
            Box::pin(async { Ok(None) })
        }
        fn save<'a>(&'a self, _: &'a Grant) -> courriel::oauth2::StoreFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }
        fn delete<'a>(&'a self, _: &'a GrantKey) -> courriel::oauth2::StoreFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }
        fn lock<'a>(
            &'a self,
            _: &'a GrantKey,
        ) -> courriel::oauth2::StoreFuture<'a, Box<dyn courriel::oauth2::RefreshLock>> {
            Box::pin(async { Err(courriel::oauth2::store_failure("no lock here")) })
        }
    }

    fn oauth2() -> OAuth2 {
        OAuth2::new(
            &catalog(),
            vec![OAuth2Client::new("oauthtest", "client-1")],
            Some(Arc::new(Nowhere)),
            Some("http://127.0.0.1:8080"),
            &HttpOptions::default(),
        )
        .unwrap()
    }

    fn settings(sender: &str, smtp: &str, imap: &str) -> AccountSettings {
        let server = |host: &str| courriel::ServerInput {
            host: Some(host.into()),
            ..courriel::ServerInput::default()
        };
        AccountSettings {
            sender: Some(sender.into()),
            smtp: Some(server(smtp)),
            imap: Some(courriel::ImapInput {
                host: Some(imap.into()),
                ..courriel::ImapInput::default()
            }),
            ..AccountSettings::default()
        }
    }

    #[test]
    fn the_public_url_is_the_pages_root() {
        assert_eq!(
            redirect_uri("https://mail.example.com").unwrap(),
            "https://mail.example.com/"
        );
        assert_eq!(
            redirect_uri("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080/"
        );
        for bad in [
            "ftp://example.com/",
            "https://example.com/settings",
            "https://example.com/?a=b",
            "https://u:p@example.com/",
            "example.com",
        ] {
            assert!(redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn clients_are_checked_against_the_catalog() {
        let catalog = catalog();
        let store: Option<Arc<dyn TokenStore>> = Some(Arc::new(Nowhere));
        let url = Some("http://127.0.0.1:8080/");
        let options = HttpOptions::default();
        let error = |clients: Vec<OAuth2Client>, store: Option<Arc<dyn TokenStore>>, url| {
            OAuth2::new(&catalog, clients, store, url, &options)
                .err()
                .unwrap()
                .to_string()
        };
        let e = error(vec![OAuth2Client::new("nosuch", "c")], store.clone(), url);
        assert!(e.contains("no such provider"), "{e}");
        // free.fr has no OAuth2 in the catalog.
        let e = error(vec![OAuth2Client::new("free", "c")], store.clone(), url);
        assert!(e.contains("OA011"), "{e}");
        let twice = vec![
            OAuth2Client::new("oauthtest", "a"),
            OAuth2Client::new("oauthtest", "b"),
        ];
        assert!(error(twice, store.clone(), url).contains("two OAuth2 clients"));
        let one = || vec![OAuth2Client::new("oauthtest", "a")];
        assert!(error(one(), None, url).contains("token store"));
        assert!(error(one(), store.clone(), None).contains("public URL"));
        // No client: nothing needed.
        assert!(OAuth2::new(&catalog, Vec::new(), None, None, &options).is_ok());
    }

    #[test]
    fn the_provider_is_the_senders_when_the_servers_are_its_own_else_the_servers() {
        let catalog = catalog();
        let id = |s: &AccountSettings| provider_of(&catalog, s).map(|p| p.id.clone());
        let own = settings(
            "a@oauth.example",
            "smtp.oauth.example",
            "imap.oauth.example",
        );
        assert_eq!(id(&own).as_deref(), Some("oauthtest"));
        let p = catalog.get("oauthtest").unwrap();
        assert_eq!(foreign_host(p, &own), None);
        // Gmail's servers for a custom domain: the servers' provider.
        let gmail = settings("a@boulangerie.example", "smtp.gmail.com", "imap.gmail.com");
        assert!(
            matches!(id(&gmail).as_deref(), Some("gmail" | "google-workspace")),
            "{:?}",
            id(&gmail)
        );
        // A server of someone else: its tokens do not go there.
        let mixed = settings("a@oauth.example", "smtp.oauth.example", "imap.evil.example");
        assert_eq!(id(&mixed).as_deref(), Some("oauthtest"));
        assert_eq!(
            foreign_host(p, &mixed).as_deref(),
            Some("imap.evil.example")
        );
        let unknown = settings("a@oauth.example", "smtp.evil.example", "imap.evil.example");
        assert_eq!(id(&unknown), None);
    }

    #[test]
    fn sign_ins_under_way_are_bounded_per_session_and_used_once() {
        let oauth2 = oauth2();
        let catalog = catalog();
        let provider = catalog.get("oauthtest").unwrap();
        let mut session = None;
        let mut urls = Vec::new();
        for _ in 0..PENDING_PER_SESSION + 2 {
            let Ok((url, id, _)) = oauth2.start(
                provider,
                "a@oauth.example",
                "a@oauth.example",
                Lang::En,
                session.as_deref(),
            ) else {
                panic!("a sign-in starts");
            };
            assert!(
                url.starts_with("https://login.oauth.example/auth?"),
                "{url}"
            );
            assert!(
                url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2F"),
                "{url}"
            );
            assert!(url.contains("code_challenge_method=S256"), "{url}");
            assert!(is_session_id(&id));
            if let Some(s) = &session {
                assert_eq!(*s, id, "the same session");
            }
            session = Some(id);
            urls.push(url);
        }
        assert_eq!(oauth2.pending_count(), PENDING_PER_SESSION);
        // Another session starts its own.
        let other = oauth2.start(
            provider,
            "b@oauth.example",
            "b@oauth.example",
            Lang::Fr,
            None,
        );
        let Ok((_, other, new)) = other else {
            panic!("a sign-in starts")
        };
        assert!(new);
        assert_ne!(Some(other), session);
        assert_eq!(oauth2.pending_count(), PENDING_PER_SESSION + 1);
    }

    #[test]
    fn an_answer_is_taken_once_from_the_browser_that_asked_and_refusals_are_oa012() {
        let oauth2 = oauth2();
        let catalog = catalog();
        let provider = catalog.get("oauthtest").unwrap();
        let mut session = None;
        let mut urls = Vec::new();
        for _ in 0..2 {
            let Ok((url, id, _)) = oauth2.start(
                provider,
                "a@oauth.example",
                "a@oauth.example",
                Lang::En,
                session.as_deref(),
            ) else {
                panic!("a sign-in starts");
            };
            session = Some(id);
            urls.push(url);
        }

        // An answer for a state not (or no longer) known: OA012, nothing
        // exchanged.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (lang, outcome) = runtime.block_on(oauth2.finish(
            &catalog,
            "code=x&state=nope",
            session.as_deref(),
            Lang::Fr,
        ));
        assert_eq!(lang, Lang::Fr);
        assert_eq!(outcome["code"], "OA012", "{outcome}");
        assert!(
            outcome["message"].as_str().unwrap().contains("inconnue"),
            "{outcome}"
        );

        // The first sign-in's answer, but from another browser: refused,
        // and spent.
        let state = |url: &str| {
            url::Url::parse(url)
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "state")
                .unwrap()
                .1
                .into_owned()
        };
        let last = state(urls.last().unwrap());
        let (_, outcome) = runtime.block_on(oauth2.finish(
            &catalog,
            &format!("code=x&state={last}"),
            None,
            Lang::En,
        ));
        assert_eq!(outcome["code"], "OA012", "{outcome}");
        assert!(
            outcome["message"]
                .as_str()
                .unwrap()
                .contains("another browser"),
            "{outcome}"
        );
        assert_eq!(outcome["provider_name"], "OAuth Test");
        assert_eq!(oauth2.pending_count(), 1, "spent");
        let (_, again) = runtime.block_on(oauth2.finish(
            &catalog,
            &format!("code=x&state={last}"),
            session.as_deref(),
            Lang::En,
        ));
        assert!(
            again["message"].as_str().unwrap().contains("already used"),
            "{again}"
        );

        // The provider's error answer: OA012 with what it said.
        let before_last = state(&urls[urls.len() - 2]);
        let (_, denied) = runtime.block_on(oauth2.finish(
            &catalog,
            &format!("error=access_denied&error_description=no&state={before_last}"),
            session.as_deref(),
            Lang::En,
        ));
        assert_eq!(denied["code"], "OA012", "{denied}");
        assert!(
            denied["message"]
                .as_str()
                .unwrap()
                .contains("access_denied"),
            "{denied}"
        );
        assert_eq!(denied["address"], "a@oauth.example");
    }

    #[test]
    fn a_session_holds_only_what_it_signed_in_with() {
        let oauth2 = oauth2();
        let key = GrantKey::new("oauthtest", "a@oauth.example");
        assert!(!oauth2.holds(None, &key));
        let (id, new) = oauth2.session(None);
        assert!(new);
        assert!(!oauth2.holds(Some(&id), &key));
        lock(&oauth2.sessions)
            .get_mut(&id)
            .unwrap()
            .grants
            .push(key.clone());
        assert!(oauth2.holds(Some(&id), &key));
        assert!(!oauth2.holds(Some(&random_id()), &key));
        let (same, new) = oauth2.session(Some(&id));
        assert_eq!((same.as_str(), new), (id.as_str(), false));
        let cookie = oauth2.cookie(&id);
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(
            !cookie.contains("Secure"),
            "the page is on http here: {cookie}"
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let other = oauth2.session(None).0;
        assert!(matches!(
            runtime.block_on(oauth2.sign_out(Some(&other), &key)),
            Ok(SignOut::NotHeld)
        ));
        assert!(
            oauth2.holds(Some(&id), &key),
            "another visitor cannot sign it out"
        );
        // Nothing stored here: nothing to revoke at the provider.
        assert!(matches!(
            runtime.block_on(oauth2.sign_out(Some(&id), &key)),
            Ok(SignOut::NotOffered)
        ));
        assert!(!oauth2.holds(Some(&id), &key));
    }
}
