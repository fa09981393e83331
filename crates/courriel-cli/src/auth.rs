//! `courriel auth login|status|logout`: signing an account in with OAuth2
//! (the account file's `[oauth2]`), seeing whose tokens are kept and until
//! when, and signing out. Tokens are kept in the token store (a directory
//! of private files, or a PostgreSQL database shared by many machines:
//! `--tokens`, else `COURRIEL_TOKENS`, else `$XDG_STATE_HOME/courriel/tokens`,
//! else `~/.local/state/courriel/tokens`); they are never printed.
//!
//! `login` opens the provider's sign-in page in the system's browser (or
//! prints its address with `--no-browser`) and waits for its answer on a
//! loopback redirect (`http://127.0.0.1:PORT/`, RFC 8252); with
//! `--device`, the provider's device flow: a code to type on any device.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use courriel::oauth2::{FileStore, Grant, GrantKey, HttpOptions, Revocation, SignIn, TokenStore};
use courriel_core::account::{AccountSettings, Lang};
use courriel_core::failure::Failure;
use courriel_presets::Catalog;
use serde_json::json;

use crate::i18n::msg;
use crate::{EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE};

/// The longest request line read from the browser's redirect.
const MAX_REQUEST_LINE: usize = 16 * 1024;

/// The token store: `given`, else `COURRIEL_TOKENS`, else
/// `$XDG_STATE_HOME/courriel/tokens`, else `~/.local/state/courriel/tokens`.
/// A directory, or a PostgreSQL URL.
pub(crate) fn token_store_spec(given: Option<&str>) -> Option<String> {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let dir = |base: String, rest: &str| Path::new(&base).join(rest).display().to_string();
    given
        .map(str::to_string)
        .or_else(|| set("COURRIEL_TOKENS"))
        .or_else(|| set("XDG_STATE_HOME").map(|d| dir(d, "courriel/tokens")))
        .or_else(|| set("HOME").map(|h| dir(h, ".local/state/courriel/tokens")))
}

/// Whether `spec` names a PostgreSQL database rather than a directory.
fn is_postgres(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// The one token store of this process, opened on first use: every
/// account of a run shares it (and its connection to PostgreSQL).
static STORE: std::sync::OnceLock<Result<Arc<dyn TokenStore>, String>> = std::sync::OnceLock::new();

/// Opens the store `spec` names, once per process. Accounts are also
/// loaded inside the tool's async work (`spool retry`), where no runtime
/// may be blocked on: PostgreSQL is reached from a thread of its own, and
/// later calls reconnect on the runtime that uses the store.
fn open_store(spec: &str) -> Result<Arc<dyn TokenStore>, String> {
    STORE
        .get_or_init(|| {
            if !is_postgres(spec) {
                return FileStore::open(spec)
                    .map(|store| Arc::new(store) as Arc<dyn TokenStore>)
                    .map_err(|f| f.render(Lang::En));
            }
            open_postgres(spec)
        })
        .clone()
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<Arc<dyn TokenStore>, String> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                crate::block_on(courriel::oauth2::PgTokenStore::connect(url))
                    .map(|store| Arc::new(store) as Arc<dyn TokenStore>)
                    // OA009 names the database, never its password.
                    .map_err(|f| f.render(Lang::En))
            })
            .join()
            .unwrap_or_else(|_| Err("the token store's connection panicked".to_string()))
    })
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str) -> Result<Arc<dyn TokenStore>, String> {
    Err(
        "tokens in PostgreSQL need courriel built with the feature `postgres` \
         (cargo install courriel-cli --features postgres); give a directory instead"
            .to_string(),
    )
}

/// What a sign-in of an account needs: its provider's sign-in, its login,
/// and the store.
pub(crate) struct Setup {
    pub(crate) sign_in: SignIn,
    pub(crate) user: String,
    pub(crate) store: Arc<dyn TokenStore>,
}

/// The OAuth2 setup of an account's settings; `Ok(None)` when they sign
/// in with passwords. The account's CA file is trusted by the sign-in
/// service's connections too (a private deployment).
pub(crate) fn setup(
    settings: &AccountSettings,
    catalog: &Catalog,
    tokens: Option<&str>,
) -> Result<Option<Setup>, String> {
    if settings.oauth2.is_none() {
        return Ok(None);
    }
    let mut options = HttpOptions::default();
    if let Some(ca) = &settings.ca_file {
        let pem = courriel::input::read_ca_file(Path::new(ca)).map_err(|e| format!("{ca}: {e}"))?;
        options.extra_ca_pem = Some(Arc::from(pem));
    }
    let render = |f: Failure| f.render(Lang::En);
    let Some(sign_in) =
        courriel::oauth2::sign_in_for(settings, catalog, &options).map_err(render)?
    else {
        return Ok(None);
    };
    let user = courriel::oauth2::login_of(settings).ok_or_else(|| {
        "the account names no login (smtp.username, imap.username or sender)".to_string()
    })?;
    let spec = token_store_spec(tokens)
        .ok_or_else(|| "no token store: give --tokens DIR or set COURRIEL_TOKENS".to_string())?;
    let store = open_store(&spec)?;
    Ok(Some(Setup {
        sign_in,
        user,
        store,
    }))
}

impl Setup {
    /// The key of the account's grant in the store.
    fn key(&self) -> GrantKey {
        GrantKey::new(self.sign_in.provider_id(), &self.user)
    }
}

/// How `login` gets the user's approval.
pub(crate) struct LoginOptions {
    pub(crate) device: bool,
    pub(crate) no_browser: bool,
    pub(crate) wait: Duration,
}

fn load(config: &Path, catalog: &Catalog, tokens: Option<&str>, lang: Lang) -> Result<Setup, u8> {
    let settings = courriel::account::load(config).map_err(|e| {
        eprintln!("courriel: {e}");
        EXIT_USAGE
    })?;
    match setup(&settings, catalog, tokens) {
        Ok(Some(setup)) => Ok(setup),
        Ok(None) => {
            eprintln!(
                "courriel: {}",
                msg!(lang, "auth-no-oauth2", file = config.display().to_string())
            );
            Err(EXIT_USAGE)
        }
        Err(e) => {
            eprintln!("courriel: {e}");
            Err(EXIT_USAGE)
        }
    }
}

/// A failure of the sign-in service or the store: "not OK".
fn failed(failure: &Failure, lang: Lang) -> u8 {
    eprintln!("courriel: {}", failure.render(lang));
    EXIT_NOT_FOUND
}

/// `courriel auth login --config FILE`.
pub(crate) fn login(
    catalog: &Catalog,
    config: &Path,
    tokens: Option<&str>,
    options: &LoginOptions,
    json: bool,
    lang: Lang,
) -> u8 {
    let setup = match load(config, catalog, tokens, lang) {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    let grant = if options.device {
        device_login(&setup, lang)
    } else {
        browser_login(&setup, options, lang)
    };
    let grant = match grant {
        Ok(grant) => grant,
        Err(failure) => return failed(&failure, lang),
    };
    if let Err(failure) = crate::block_on(setup.store.save(&grant)) {
        return failed(&failure, lang);
    }
    let headline = msg!(
        lang,
        "auth-signed-in",
        user = grant.user.clone(),
        provider = setup.sign_in.provider_name().to_string()
    );
    show(&grant, &headline, json, lang);
    EXIT_OK
}

fn device_login(setup: &Setup, lang: Lang) -> Result<Grant, Failure> {
    crate::block_on(async {
        let device = setup.sign_in.start_device(&setup.user).await?;
        eprintln!(
            "{}",
            msg!(
                lang,
                "auth-device",
                uri = device.verification_uri.clone(),
                code = device.user_code.clone()
            )
        );
        if let Some(link) = &device.verification_uri_complete {
            eprintln!("{}", msg!(lang, "auth-device-link", uri = link.clone()));
        }
        setup.sign_in.finish_device(&device).await
    })
}

fn browser_login(setup: &Setup, options: &LoginOptions, lang: Lang) -> Result<Grant, Failure> {
    let denied = |detail: String| {
        Failure::new(courriel::FailureKind::OAuth2AuthorizationDenied)
            .arg("provider", setup.sign_in.provider_name())
            .arg("detail", detail)
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| denied(format!("cannot listen on 127.0.0.1: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| denied(e.to_string()))?
        .port();
    let redirect = format!("http://127.0.0.1:{port}/");
    let authorization = setup.sign_in.authorize(&setup.user, &redirect)?;
    eprintln!(
        "{}",
        msg!(lang, "auth-open", url = authorization.url.clone())
    );
    if !options.no_browser {
        open_browser(&authorization.url);
    }
    let query = wait_for_redirect(&listener, options.wait, lang).map_err(denied)?;
    crate::block_on(setup.sign_in.finish(&authorization, &query))
}

/// Asks the system to open `url` in the browser; a failure only leaves
/// the printed address to open by hand.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// Waits (at most `wait`) for the browser's request carrying the
/// provider's answer, answers it with a page, and returns its query.
/// Requests without one (a favicon) get a 404 and are not the answer.
fn wait_for_redirect(listener: &TcpListener, wait: Duration, lang: Lang) -> Result<String, String> {
    let deadline = std::time::Instant::now() + wait;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    loop {
        let (stream, _) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if std::time::Instant::now() > deadline {
                    return Err(format!(
                        "no answer from the browser within {} s",
                        wait.as_secs()
                    ));
                }
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            Err(e) => return Err(e.to_string()),
        };
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let mut reader = BufReader::new(
            stream
                .try_clone()
                .map_err(|e| e.to_string())?
                .take(MAX_REQUEST_LINE as u64),
        );
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            continue;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("");
        let query = target
            .strip_prefix("/?")
            .filter(|q| q.contains("state=") && (q.contains("code=") || q.contains("error=")));
        let mut stream = stream;
        match query {
            Some(query) => {
                let page = format!(
                    "<!doctype html><meta charset=utf-8><title>courriel</title><p>{}</p>",
                    msg!(lang, "auth-page-done")
                );
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\ncache-control: no-store\r\n\r\n{page}",
                    page.len()
                );
                return Ok(query.to_string());
            }
            None => {
                let _ = write!(
                    stream,
                    "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        }
    }
}

fn seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// What is known of `grant`, as JSON (never its tokens).
pub(crate) fn grant_json(grant: &Grant) -> serde_json::Value {
    json!({
        "signed_in": true,
        "provider": grant.provider,
        "user": grant.user,
        "client_id": grant.client_id,
        "scopes": grant.scopes,
        "expires_at": grant.expires_at.map(seconds),
        "refresh_token": grant.refresh_token.is_some(),
        "signed_in_at": seconds(grant.signed_in_at),
        "refreshed_at": grant.refreshed_at.map(seconds),
    })
}

/// When `grant`'s access token expires, whether it renews, and its
/// permissions, one line each.
fn grant_details(grant: &Grant, lang: Lang) -> String {
    let expires = grant.expires_at.map(|t| crate::spool::utc(seconds(t)));
    format!(
        "{}\n{}",
        msg!(
            lang,
            "auth-expires",
            at = expires.unwrap_or_else(|| "?".into()),
            renewable = if grant.refresh_token.is_some() {
                "yes"
            } else {
                "no"
            }
        ),
        msg!(lang, "auth-scopes", scopes = grant.scopes.join(" "))
    )
}

/// For `check`: whose tokens, and until when.
pub(crate) fn grant_text(grant: &Grant, lang: Lang) -> String {
    format!(
        "{}\n{}",
        msg!(
            lang,
            "check-oauth2",
            user = grant.user.clone(),
            provider = grant.provider.clone()
        ),
        grant_details(grant, lang)
    )
}

/// The grant an account's settings sign in with, when they ask for
/// OAuth2 and one is stored.
pub(crate) fn grant_of(settings: &AccountSettings, catalog: &Catalog) -> Option<Grant> {
    let tokens = crate::TOKENS.get().cloned().flatten();
    let setup = setup(settings, catalog, tokens.as_deref()).ok()??;
    crate::block_on(setup.store.load(&setup.key())).ok()?
}

/// Prints what is known of `grant` (never its tokens) under `headline`.
fn show(grant: &Grant, headline: &str, json: bool, lang: Lang) {
    if json {
        crate::emit_json(&grant_json(grant));
    } else {
        crate::emit(&format!("{headline}\n{}\n", grant_details(grant, lang)));
    }
}

/// `courriel auth status --config FILE`.
pub(crate) fn status(
    catalog: &Catalog,
    config: &Path,
    tokens: Option<&str>,
    json: bool,
    lang: Lang,
) -> u8 {
    let setup = match load(config, catalog, tokens, lang) {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    match crate::block_on(setup.store.load(&setup.key())) {
        Err(failure) => failed(&failure, lang),
        Ok(Some(grant)) => {
            let headline = msg!(
                lang,
                "auth-status",
                user = grant.user.clone(),
                provider = setup.sign_in.provider_name().to_string()
            );
            show(&grant, &headline, json, lang);
            EXIT_OK
        }
        Ok(None) => {
            if json {
                crate::emit_json(&json!({
                    "signed_in": false,
                    "provider": setup.sign_in.provider_id(),
                    "user": setup.user,
                }));
            } else {
                crate::emit(&format!(
                    "{}\n",
                    msg!(
                        lang,
                        "auth-not-signed-in",
                        user = setup.user.clone(),
                        provider = setup.sign_in.provider_name().to_string()
                    )
                ));
            }
            EXIT_NOT_FOUND
        }
    }
}

/// `courriel auth logout --config FILE`: asks the provider to forget the
/// sign-in where it can (RFC 7009), then forgets the account's tokens here.
/// The tokens are deleted even when the provider cannot be reached; the
/// message then says the sign-in stays valid there.
pub(crate) fn logout(catalog: &Catalog, config: &Path, tokens: Option<&str>, lang: Lang) -> u8 {
    let setup = match load(config, catalog, tokens, lang) {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    let key = setup.key();
    let revoked = crate::block_on(async {
        match setup.store.load(&key).await? {
            Some(grant) => Ok(Some(setup.sign_in.revoke(&grant).await)),
            None => Ok(None),
        }
    });
    let revoked = match revoked {
        Err(failure) => return failed(&failure, lang),
        Ok(revoked) => revoked,
    };
    if let Err(failure) = crate::block_on(setup.store.delete(&key)) {
        return failed(&failure, lang);
    }
    let user = setup.user.clone();
    let provider = setup.sign_in.provider_name().to_string();
    let said = match revoked {
        Some(Ok(Revocation::Revoked)) => msg!(
            lang,
            "auth-signed-out-revoked",
            user = user,
            provider = provider
        ),
        Some(Err(failure)) => {
            eprintln!("courriel: {}", failure.render(lang));
            msg!(
                lang,
                "auth-signed-out-not-told",
                user = user,
                provider = provider
            )
        }
        _ => msg!(lang, "auth-signed-out", user = user, provider = provider),
    };
    crate::emit(&format!("{said}\n"));
    EXIT_OK
}
