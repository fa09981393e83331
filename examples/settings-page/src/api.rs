//! The page's JSON API: lookup (catalog then discovery), the rules'
//! diagnostics, the IMAP folder list with the Sent folder chosen, and the
//! test message. Answers never contain a password. What connects somewhere
//! is limited per visitor (HTTP 429 beyond), and a server that cannot be
//! reached is one answer (NT002), whatever the reason.
//!
//! With OAuth2 (`"auth": "oauth2"`), the folder list and the test message
//! use the tokens of the grant the visitor's session signed in with
//! (`/api/oauth2/start` begins a sign-in, the index finishes it,
//! `/api/oauth2/sign-out` forgets it); answers say who signed in and until
//! when, never a token.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courriel::diagnose::account_facts;
use courriel::low_level::core::failure::Arg;
use courriel::low_level::core::rules::{self, Facts, OAuth2Clients, PasswordState};
use courriel::oauth2::{GrantKey, StoredTokens, login_of};
use courriel::{
    Account, AccountSettings, Diagnostic, EmailAddress, Failure, FailureKind, ImapInput, Lang,
    Protocol, Reason, ServerInput, ServerSettings, Severity,
};
use courriel::{Email, Mailbox, Transport};
use courriel::{Filing, SendError, ServerCheck};
use courriel_discover::Source;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::oauth::{self, OAuth2, SignOut, StartError};
use crate::{App, SessionCookie, Visitor, api_lang, tr};

/// One server as the form has it; every value optional, checked by the rules.
#[derive(Deserialize, Default)]
pub(crate) struct ServerForm {
    host: Option<String>,
    /// A number, or the text typed.
    port: Option<Value>,
    security: Option<String>,
    username: Option<String>,
    /// IMAP only: a folder's raw name, or `auto`.
    sent_folder: Option<String>,
}

/// The form's settings.
#[derive(Deserialize, Default)]
pub(crate) struct SettingsForm {
    address: Option<String>,
    smtp: Option<ServerForm>,
    imap: Option<ServerForm>,
}

/// The passwords typed (no `Debug`: they never print).
#[derive(Deserialize, Default)]
pub(crate) struct Passwords {
    smtp: Option<String>,
    imap: Option<String>,
}

/// Whether each password field is filled (the rules say when one is not).
#[derive(Deserialize, Default, Clone, Copy)]
pub(crate) struct PasswordsGiven {
    smtp: bool,
    imap: bool,
}

/// How the form signs in: with the passwords typed, or with the grant
/// the session signed in with.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthMode {
    #[default]
    #[serde(rename = "password")]
    Password,
    #[serde(rename = "oauth2")]
    OAuth2,
}

#[derive(Deserialize)]
pub(crate) struct LookupRequest {
    address: String,
    lang: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct DiagnoseRequest {
    settings: SettingsForm,
    /// Not in every caller's request: then the passwords are taken as given.
    passwords_given: Option<PasswordsGiven>,
    #[serde(default)]
    auth: AuthMode,
    lang: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ServerRequest {
    settings: SettingsForm,
    #[serde(default)]
    passwords: Passwords,
    /// Accepted for the API's shape; the mailer's check always lists live.
    #[serde(default)]
    #[allow(dead_code)]
    refresh: bool,
    #[serde(default)]
    auth: AuthMode,
    lang: Option<String>,
}

/// A sign-in's request: the form's settings name the provider and the login.
#[derive(Deserialize)]
pub(crate) struct SignInRequest {
    settings: SettingsForm,
    lang: Option<String>,
}

/// A value typed, trimmed; `None` when empty.
fn text(value: Option<&String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A port as typed: a number, or text that may not be one (the rules say).
fn port(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if s.trim().is_empty() => None,
        // Not a number: out of range, so the rules report it as invalid.
        Value::String(s) => Some(s.trim().parse().unwrap_or(-1)),
        _ => None,
    }
}

impl ServerForm {
    /// Whether nothing is filled in: the server is not configured.
    fn is_empty(&self) -> bool {
        text(self.host.as_ref()).is_none()
            && port(self.port.as_ref()).is_none()
            && text(self.username.as_ref()).is_none()
    }

    fn input(&self) -> ServerInput {
        ServerInput {
            host: text(self.host.as_ref()),
            port: port(self.port.as_ref()),
            security: text(self.security.as_ref()),
            username: text(self.username.as_ref()),
            password_env: None,
        }
    }
}

impl App {
    /// The settings the library reads, from the form's.
    fn settings(&self, form: &SettingsForm) -> AccountSettings {
        let smtp = form.smtp.as_ref().filter(|s| !s.is_empty());
        let imap = form.imap.as_ref().filter(|s| !s.is_empty());
        AccountSettings {
            sender: text(form.address.as_ref()),
            smtp: smtp.map(ServerForm::input),
            imap: imap.map(|i| {
                let server = i.input();
                ImapInput {
                    host: server.host,
                    port: server.port,
                    security: server.security,
                    username: server.username,
                    password_env: None,
                    sent_folder: Some(
                        text(i.sent_folder.as_ref()).unwrap_or_else(|| "auto".into()),
                    ),
                    copy_to_sent: None,
                    create_sent_folder: None,
                }
            }),
            ca_file: self.ca_file.clone(),
            oauth2: None,
        }
    }

    /// What the rules know of an account here: the catalog's facts, its
    /// passwords, and the providers the deployment has a client for (LG003
    /// then says to sign in with them, or that the application lacks one).
    fn facts<'a>(&'a self, account: &Account) -> Facts<'a> {
        let mut facts = account_facts(self.mailer.catalog(), account, None);
        facts.oauth2_clients = OAuth2Clients::Registered(self.oauth2.providers());
        facts
    }

    /// What the page needs to know of signing in with OAuth2 for these
    /// settings: `null` when their provider has no OAuth2, else
    /// `{provider, provider_name, client, passwords, signed_in, problem}`
    /// (`client`: the deployment has one; `passwords`: the provider takes
    /// passwords too; `signed_in`: `{user, expires_at}` when this session
    /// signed in; `problem`: OA011 without a client).
    async fn oauth2_info(
        &self,
        settings: &AccountSettings,
        session: Option<&str>,
        lang: Lang,
    ) -> Value {
        let Some(provider) =
            oauth::provider_of(self.mailer.catalog(), settings).filter(|p| p.oauth2.is_some())
        else {
            return Value::Null;
        };
        let client = self.oauth2.sign_in(&provider.id).is_some();
        let signed_in = match login_of(settings) {
            Some(login) if client => {
                self.oauth2
                    .signed_in(session, &GrantKey::new(&provider.id, login))
                    .await
            }
            _ => Value::Null,
        };
        let problem = if client {
            Value::Null
        } else {
            failure_json(&OAuth2::no_client(&provider.name), lang)
        };
        json!({
            "provider": provider.id,
            "provider_name": provider.name,
            "client": client,
            "passwords": oauth::takes_passwords(provider),
            "signed_in": signed_in,
            "problem": problem,
        })
    }

    /// The grant these settings sign in with, when the visitor's session
    /// signed in with it: its key and token source; else the answer
    /// saying why not (OA011 no client, OA001 not signed in, a server
    /// that is not the provider's).
    fn oauth2_tokens(
        &self,
        settings: &AccountSettings,
        session: Option<&str>,
        lang: Lang,
    ) -> Result<(GrantKey, Arc<StoredTokens>), Value> {
        let provider = self.oauth2_provider(settings, lang)?;
        let sign_in = self
            .oauth2
            .sign_in(&provider.id)
            .ok_or_else(|| failure_json(&OAuth2::no_client(&provider.name), lang))?;
        let login = login_of(settings).ok_or_else(|| no_login(self, settings, lang))?;
        let key = GrantKey::new(&provider.id, &login);
        let not_signed_in = || {
            failure_json(
                &Failure::new(FailureKind::OAuth2NotSignedIn)
                    .arg("provider", &provider.name)
                    .arg("user", &login),
                lang,
            )
        };
        if !self.oauth2.holds(session, &key) {
            return Err(not_signed_in());
        }
        let tokens = self
            .oauth2
            .tokens(sign_in, &key)
            .ok_or_else(not_signed_in)?;
        Ok((key, tokens))
    }

    /// The catalog's provider with OAuth2 these settings sign in with,
    /// every server its own; else the answer saying why not.
    fn oauth2_provider(
        &self,
        settings: &AccountSettings,
        lang: Lang,
    ) -> Result<&courriel::Provider, Value> {
        let catalog = self.mailer.catalog();
        let Some(provider) = oauth::provider_of(catalog, settings).filter(|p| p.oauth2.is_some())
        else {
            let named = [
                settings.smtp.as_ref().and_then(|s| s.host.clone()),
                settings.imap.as_ref().and_then(|i| i.host.clone()),
                settings
                    .sender
                    .as_deref()
                    .and_then(|s| s.rsplit_once('@'))
                    .map(|(_, domain)| domain.to_string()),
            ]
            .into_iter()
            .flatten()
            .next()
            .unwrap_or_else(|| "?".into());
            return Err(failure_json(&OAuth2::no_client(&named), lang));
        };
        if let Some(host) = oauth::foreign_host(provider, settings) {
            return Err(oauth::foreign_host_json(provider, &host, lang));
        }
        Ok(provider)
    }

    /// A server found, with the port to connect to.
    fn server_json(&self, s: &ServerSettings) -> Value {
        json!({
            "host": s.host,
            "port": self.mapped(s.port),
            "security": s.security.as_str(),
            "username": s.username,
        })
    }
}

/// What a visitor may learn of a failure to connect: that the policy
/// refuses the address (NT001, kept), or that no mail server could be
/// reached there (NT002), but not how: a closed port, a filtered one, a
/// TLS handshake that failed or another service's greeting (quoted in
/// the detail) would make the page a port scanner. Names that do not
/// resolve, certificates and logins keep their own codes: they concern a
/// mail server the user named.
fn conceal(failure: &Failure) -> Failure {
    use FailureKind as K;
    match failure.kind {
        K::SmtpRefused
        | K::SmtpTimeout
        | K::SmtpTls
        | K::SmtpUnexpected
        | K::ImapRefused
        | K::ImapTimeout
        | K::ImapTls
        | K::ImapUnexpected
        | K::ImapConnectionLost => {
            let mut unreachable = Failure::new(K::DestinationUnreachable);
            for (name, value) in failure.args() {
                if let ("host" | "port", Arg::Text(text)) = (*name, value) {
                    unreachable = unreachable.arg(name, text);
                }
            }
            unreachable
        }
        _ => failure.clone(),
    }
}

/// `{code, message, help}` of a failure, concealed (see [`conceal`]).
fn failure_json(failure: &Failure, lang: Lang) -> Value {
    let failure = &conceal(failure);
    json!({
        "ok": false,
        "code": failure.code(),
        "message": failure.message(lang),
        "help": failure.help(lang),
    })
}

/// What to do about a diagnostic, said for this form: the rules speak of
/// account files, where a password comes from an environment variable
/// (`password_env`); here it is typed.
fn help_of(d: &Diagnostic, lang: Lang) -> String {
    if d.code() == "LG004" {
        return tr(
            lang,
            "Type the password of this server (or an app password, if the provider requires one).",
            "Saisissez le mot de passe de ce serveur (ou un mot de passe d'application, si le fournisseur l'exige).",
        )
        .into();
    }
    d.help(lang)
}

/// `{code, message, help}` of the first error among `diagnostics` that
/// `concerned` picks.
fn diagnostic_failure(
    diagnostics: &[Diagnostic],
    concerned: impl Fn(&Diagnostic) -> bool,
    lang: Lang,
) -> Option<Value> {
    let d = diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error && concerned(d))?;
    Some(json!({
        "ok": false,
        "code": d.code(),
        "field": d.field.as_str(),
        "message": d.message(lang),
        "help": help_of(d, lang),
    }))
}

/// The answer when the settings name no login (no address, no username):
/// the rules' first error, which says which field to fill in.
fn no_login(app: &App, settings: &AccountSettings, lang: Lang) -> Value {
    let account = Account::new("settings-page/-", settings.clone());
    let facts = app.facts(&account);
    diagnostic_failure(&rules::check(settings, &facts), |_| true, lang).unwrap_or_else(|| {
        json!({
            "ok": false,
            "code": "FD002",
            "message": tr(lang, "Type your address first.", "Saisissez d'abord votre adresse."),
            "help": "",
        })
    })
}

/// What a visitor asked for too often.
#[derive(Clone, Copy)]
enum Asked {
    /// Checks that connect somewhere.
    Checks,
    /// Test messages.
    Tests,
    /// Sign-ins under way, over every visitor.
    SignIns,
}

/// HTTP 429: `what` asked for too often; try again after `wait`.
fn too_many(lang: Lang, what: Asked, wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let minutes = seconds.div_ceil(60);
    // Written alike in English and French.
    let when = if seconds < 120 {
        format!("{seconds} s")
    } else {
        format!("{minutes} min")
    };
    let (message, help) = match (lang, what) {
        (Lang::Fr, Asked::Tests) => (
            format!("Trop de messages d'essai depuis votre adresse : réessayez dans {when}."),
            "Ce nombre est limité pour que la page ne serve pas à envoyer du courrier en masse.",
        ),
        (Lang::Fr, Asked::Checks) => (
            format!("Trop de vérifications depuis votre adresse : réessayez dans {when}."),
            "Ce nombre est limité pour que la page ne serve pas à sonder d'autres serveurs.",
        ),
        (Lang::Fr, Asked::SignIns) => (
            format!("Trop de connexions en cours sur cette page : réessayez dans {when}."),
            "Une connexion commencée et jamais terminée est oubliée au bout de dix minutes.",
        ),
        (_, Asked::Tests) => (
            format!("Too many test messages from your address: try again in {when}."),
            "Their number is limited so that the page cannot be used to send mail in bulk.",
        ),
        (_, Asked::Checks) => (
            format!("Too many checks from your address: try again in {when}."),
            "Their number is limited so that the page cannot be used to probe other servers.",
        ),
        (_, Asked::SignIns) => (
            format!("Too many sign-ins under way on this page: try again in {when}."),
            "A sign-in started and never finished is forgotten after ten minutes.",
        ),
    };
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, seconds.to_string())],
        Json(json!({
            "ok": false,
            "code": "rate-limited",
            "message": message,
            "help": help,
            "retry_after": seconds,
        })),
    )
        .into_response()
}

/// `POST /api/lookup`: the catalog, then discovery (a check, when the
/// catalog does not know the domain).
pub(crate) async fn lookup(
    State(app): State<Arc<App>>,
    Visitor(visitor): Visitor,
    session: SessionCookie,
    Json(req): Json<LookupRequest>,
) -> Response {
    let lang = api_lang(req.lang.as_deref());
    let input = req.address.trim();
    let not_found = |message: String| {
        Json(json!({
            "found": false, "source": null, "source_detail": null, "trusted": false,
            "untrusted_because": null, "smtp": null, "imap": null, "oauth2": null,
            "message": message,
        }))
    };
    let address = match EmailAddress::parse(input) {
        Ok(address) => address,
        Err(e) => {
            return not_found(format!(
                "{} {e}",
                tr(
                    lang,
                    "Not a valid address yet:",
                    "Adresse pas encore valide :"
                )
            ))
            .into_response();
        }
    };
    if app.mailer.catalog().autofill(&address).is_none()
        && let Err(wait) = app.checks.take(visitor)
    {
        return too_many(lang, Asked::Checks, wait);
    }
    let report = app.discovery.discover(&address).await;
    let Some(best) = report.best else {
        let tried = report
            .attempts
            .iter()
            .map(|a| a.source)
            .collect::<Vec<_>>()
            .join(", ");
        let domain = address.domain().to_unicode();
        return not_found(if lang == Lang::Fr {
            format!(
                "Aucun réglage trouvé pour {domain} (sources essayées : {tried}) : saisissez-les à la main."
            )
        } else {
            format!(
                "No settings found for {domain} (sources tried: {tried}): fill them in by hand."
            )
        })
        .into_response();
    };
    let detail = match &best.source {
        Source::Autoconfig { url } | Source::AutoconfigViaMx { url } => Some(url.clone()),
        Source::CatalogViaMx { mx } | Source::CatalogViaMxDomain { mx } => Some(mx.clone()),
        _ => None,
    };
    let source = source_label(&best.source, lang);
    let provider = best
        .provider
        .clone()
        .unwrap_or_else(|| tr(lang, "unnamed provider", "fournisseur sans nom").into());
    let shown = match &detail {
        Some(d) => format!("{source} ({d})"),
        None => source.to_string(),
    };
    let why = best.untrusted_because.clone().unwrap_or_default();
    let message = match (best.trusted, lang) {
        (true, Lang::Fr) => format!("{provider} — source : {shown} — de confiance."),
        (true, _) => format!("{provider} — source: {shown} — trusted."),
        (false, Lang::Fr) => format!(
            "{provider} — source : {shown} — NON fiable : {why}. Vérifiez ces réglages, puis cochez la case pour les utiliser."
        ),
        (false, _) => format!(
            "{provider} — source: {shown} — NOT trusted: {why}. Check these settings, then tick the box to use them."
        ),
    };
    let found = found_settings(&address, best.smtp.first(), best.imap.first());
    let oauth2 = app.oauth2_info(&found, session.id(), lang).await;
    Json(json!({
        "found": true,
        "oauth2": oauth2,
        "source": best.source.as_str(),
        "source_detail": detail,
        "trusted": best.trusted,
        "untrusted_because": best.untrusted_because,
        "provider": best.provider,
        "smtp": best.smtp.first().map(|s| app.server_json(s)),
        "imap": best.imap.first().map(|s| app.server_json(s)),
        "message": message,
    }))
    .into_response()
}

/// The settings found for `address`, as the form would have them: what
/// [`App::oauth2_info`] reads (servers and logins).
fn found_settings(
    address: &EmailAddress,
    smtp: Option<&ServerSettings>,
    imap: Option<&ServerSettings>,
) -> AccountSettings {
    AccountSettings {
        sender: Some(address.to_string()),
        smtp: smtp.map(|s| ServerInput {
            host: Some(s.host.clone()),
            username: Some(s.username.clone()),
            ..ServerInput::default()
        }),
        imap: imap.map(|s| ImapInput {
            host: Some(s.host.clone()),
            username: Some(s.username.clone()),
            ..ImapInput::default()
        }),
        ..AccountSettings::default()
    }
}

/// `POST /api/diagnose`: the rules, with what the catalog knows. Ports are
/// judged as the standard ones they map from.
pub(crate) async fn diagnose(
    State(app): State<Arc<App>>,
    Json(req): Json<DiagnoseRequest>,
) -> Json<Value> {
    let lang = api_lang(req.lang.as_deref());
    let mut settings = app.settings(&req.settings);
    if let Some(smtp) = &mut settings.smtp {
        smtp.port = smtp.port.map(|p| app.standard(p));
    }
    if let Some(imap) = &mut settings.imap {
        imap.port = imap.port.map(|p| app.standard(p));
    }
    let account = app.account(settings, None, None, None);
    let mut facts = app.facts(&account);
    let given = req.passwords_given.unwrap_or(PasswordsGiven {
        smtp: true,
        imap: true,
    });
    let state = |given| {
        if given {
            PasswordState::Present
        } else {
            PasswordState::Unknown
        }
    };
    facts.smtp_password = state(given.smtp);
    facts.imap_password = state(given.imap);
    if req.auth == AuthMode::OAuth2 {
        facts.smtp_password = PasswordState::OAuth2;
        facts.imap_password = PasswordState::OAuth2;
    }
    let list: Vec<Value> = rules::check(account.settings(), &facts)
        .iter()
        .map(|d| {
            json!({
                "code": d.code(),
                "severity": d.severity.as_str(),
                "field": d.field.as_str(),
                "message": d.message(lang),
                "help": help_of(d, lang),
            })
        })
        .collect();
    Json(json!({ "diagnostics": list }))
}

/// Why the folder was chosen, as a sentence.
fn reason_text(reason: &Reason, lang: Lang) -> String {
    match reason {
        Reason::Attribute => tr(
            lang,
            "The server marks this folder as the Sent folder (\\Sent).",
            "Le serveur désigne ce dossier comme celui des messages envoyés (\\Sent).",
        )
        .into(),
        Reason::ProviderHint => tr(
            lang,
            "The provider names this folder as its Sent folder.",
            "Le fournisseur indique ce dossier comme celui des messages envoyés.",
        )
        .into(),
        Reason::LocalizedName { matched } if lang == Lang::Fr => {
            format!("Son nom, « {matched} », est un nom courant du dossier des messages envoyés.")
        }
        Reason::LocalizedName { matched } => {
            format!("Its name, \u{201c}{matched}\u{201d}, is a usual name of the Sent folder.")
        }
        Reason::UserChoice => tr(
            lang,
            "You chose this folder.",
            "Vous avez choisi ce dossier.",
        )
        .into(),
        other => other.as_str().into(),
    }
}

/// The headline of a folder list that failed.
fn headline(lang: Lang) -> &'static str {
    tr(
        lang,
        "IMAP server not configured or not accessible",
        "Serveur IMAP non configuré ou inaccessible",
    )
}

/// `POST /api/folders`: log in to IMAP, list the folders, choose Sent (a
/// check).
pub(crate) async fn folders(
    State(app): State<Arc<App>>,
    Visitor(visitor): Visitor,
    session: SessionCookie,
    Json(req): Json<ServerRequest>,
) -> Response {
    let lang = api_lang(req.lang.as_deref());
    if let Err(wait) = app.checks.take(visitor) {
        return too_many(lang, Asked::Checks, wait);
    }
    let mut settings = app.settings(&req.settings);
    // The grant of the whole form's login (its SMTP username first).
    let tokens = match req.auth {
        AuthMode::OAuth2 => match app.oauth2_tokens(&settings, session.id(), lang) {
            Ok(tokens) => Some(tokens),
            Err(mut answer) => {
                answer["headline"] = json!(headline(lang));
                return Json(answer).into_response();
            }
        },
        AuthMode::Password => None,
    };
    // The IMAP side alone: no SMTP check for a folder list.
    settings.smtp = None;
    // The folders do not depend on the address: IMAP filled in first is
    // listed all the same.
    if settings.sender.is_none() {
        settings.sender = settings.imap.as_ref().and_then(|i| i.username.clone());
    }
    let account = match tokens {
        Some((key, tokens)) => app.oauth2_account(settings, &key, tokens, session.id()),
        None => app.account(settings, None, req.passwords.imap.as_deref(), session.id()),
    };
    let report = app.mailer.check(&account).await;
    let mut answer = match report.imap {
        ServerCheck::Ok(found) => {
            let folders: Vec<Value> = found
                .folders
                .folders
                .iter()
                .filter(|f| f.selectable)
                .map(|f| json!({ "name": f.name, "raw": f.raw }))
                .collect();
            let sent = found.sent.as_ref().map(|c| {
                json!({
                    "raw": c.folder.raw,
                    "name": c.folder.name,
                    "reason": c.reason.as_str(),
                    "reason_text": reason_text(&c.reason, lang),
                })
            });
            return Json(json!({ "ok": true, "folders": folders, "sent": sent })).into_response();
        }
        ServerCheck::Failed(failure) => failure_json(&failure, lang),
        ServerCheck::Skipped => {
            diagnostic_failure(&report.diagnostics, |d| d.concerns(Protocol::Imap), lang)
                .unwrap_or_else(|| {
                    failure_json(&Failure::new(FailureKind::ImapNotConfigured), lang)
                })
        }
        _ => failure_json(&Failure::new(FailureKind::ImapNotConfigured), lang),
    };
    answer["headline"] = json!(headline(lang));
    Json(answer).into_response()
}

/// `POST /api/test`: a test message to the user's own address, its copy
/// filed (limited per visitor).
pub(crate) async fn test_send(
    State(app): State<Arc<App>>,
    Visitor(visitor): Visitor,
    session: SessionCookie,
    Json(req): Json<ServerRequest>,
) -> Response {
    let lang = api_lang(req.lang.as_deref());
    let settings = app.settings(&req.settings);
    // With SendGrid's webhook, the visitor's messages are their session's:
    // one is started for a visitor without (its cookie set below).
    let (session, new_session) = match (&app.webhook, session.id()) {
        (Some(_), id) => {
            let (id, new) = app.oauth2.session(id);
            (Some(id), new)
        }
        (None, id) => (id.map(str::to_string), false),
    };
    let session = session.as_deref();
    let account = match req.auth {
        AuthMode::OAuth2 => match app.oauth2_tokens(&settings, session, lang) {
            Ok((key, tokens)) => app.oauth2_account(settings, &key, tokens, session),
            Err(answer) => return Json(answer).into_response(),
        },
        AuthMode::Password => app.account(
            settings,
            req.passwords.smtp.as_deref(),
            req.passwords.imap.as_deref(),
            session,
        ),
    };
    let Some(Ok(address)) = account
        .settings()
        .sender
        .as_deref()
        .map(EmailAddress::parse)
    else {
        let facts = app.facts(&account);
        let diagnostics = rules::check(account.settings(), &facts);
        return Json(
            diagnostic_failure(&diagnostics, |d| d.protocol().is_none(), lang).unwrap_or_else(
                || json!({ "ok": false, "code": "FD002", "message": "", "help": "" }),
            ),
        )
        .into_response();
    };
    if let Err(wait) = app.tests.take(visitor) {
        return too_many(lang, Asked::Tests, wait);
    }
    let email = Email::from(Mailbox::new(address.clone()))
        .to(Mailbox::new(address))
        .subject(tr(
            lang,
            "Test message from your mail settings",
            "Message d'essai de vos réglages de messagerie",
        ))
        .text(tr(
            lang,
            "This message was sent to check your mail settings. A copy should be in your Sent folder.\n",
            "Ce message a été envoyé pour vérifier vos réglages de messagerie. Une copie devrait se trouver dans vos messages envoyés.\n",
        ));
    if let Some(session) = session {
        app.deliveries.own(account.id(), session);
    }
    let sent = app.mailer.send(&app.mailer.resolve(&account), email).await;
    if let Ok(receipt) = &sent
        && receipt.transport == Transport::SendGrid
    {
        app.deliveries.sent(&receipt.message_id, account.id());
    }
    let mut response = Json(match sent {
        Ok(receipt) => json!({
            "ok": true,
            "message_id": receipt.message_id,
            "transport": receipt.transport.as_str(),
            "filing_status": receipt.filing.status(),
            "filing_text": filing_text(&receipt.filing, lang),
        }),
        Err(SendError::Failed(failure)) => failure_json(&failure, lang),
        Err(SendError::Settings(diagnostics)) => diagnostic_failure(&diagnostics, |_| true, lang)
            .unwrap_or_else(|| {
                let e = SendError::Settings(diagnostics);
                json!({ "ok": false, "code": e.code(), "message": e.message(lang), "help": e.help(lang) })
            }),
        Err(other) => json!({
            "ok": false,
            "code": other.code(),
            "message": other.message(lang),
            "help": other.help(lang),
        }),
    })
    .into_response();
    if new_session
        && let Some(session) = session
        && let Ok(cookie) = HeaderValue::from_str(&app.oauth2.cookie(session))
    {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /api/oauth2/start`: starts a sign-in with the provider of the
/// form's servers for its login: `{ok: true, url, provider_name}`, the
/// provider's page to send the browser to, and the session cookie (a
/// check: limited per visitor).
pub(crate) async fn oauth2_start(
    State(app): State<Arc<App>>,
    Visitor(visitor): Visitor,
    session: SessionCookie,
    Json(req): Json<SignInRequest>,
) -> Response {
    let lang = api_lang(req.lang.as_deref());
    let settings = app.settings(&req.settings);
    let provider = match app.oauth2_provider(&settings, lang) {
        Ok(provider) => provider,
        Err(answer) => return Json(answer).into_response(),
    };
    let (Some(Ok(address)), Some(login)) = (
        settings.sender.as_deref().map(EmailAddress::parse),
        login_of(&settings),
    ) else {
        return Json(no_login(&app, &settings, lang)).into_response();
    };
    if let Err(wait) = app.checks.take(visitor) {
        return too_many(lang, Asked::Checks, wait);
    }
    match app
        .oauth2
        .start(provider, &login, &address.to_string(), lang, session.id())
    {
        Ok((url, session, _)) => {
            let mut response = Json(json!({
                "ok": true,
                "url": url,
                "provider_name": provider.name,
            }))
            .into_response();
            if let Ok(cookie) = HeaderValue::from_str(&app.oauth2.cookie(&session)) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(StartError::Failed(failure)) => Json(failure_json(&failure, lang)).into_response(),
        Err(StartError::Busy(wait)) => too_many(lang, Asked::SignIns, wait),
    }
}

/// `POST /api/oauth2/sign-out`: the provider is asked to forget the
/// sign-in of the form's login (where it can), then the session and the
/// store forget it (only a grant this session signed in with):
/// `{ok: true, signed_out, revoked: "revoked" | "not-offered" |
/// "not-told", problem}` (`problem`: why the provider could not be told).
pub(crate) async fn oauth2_sign_out(
    State(app): State<Arc<App>>,
    session: SessionCookie,
    Json(req): Json<SignInRequest>,
) -> Response {
    let lang = api_lang(req.lang.as_deref());
    let settings = app.settings(&req.settings);
    let provider = match app.oauth2_provider(&settings, lang) {
        Ok(provider) => provider,
        Err(answer) => return Json(answer).into_response(),
    };
    let Some(login) = login_of(&settings) else {
        return Json(no_login(&app, &settings, lang)).into_response();
    };
    let key = GrantKey::new(&provider.id, login);
    let (signed_out, revoked, problem) = match app.oauth2.sign_out(session.id(), &key).await {
        Ok(SignOut::NotHeld) => (false, Value::Null, Value::Null),
        Ok(SignOut::Revoked) => (true, json!("revoked"), Value::Null),
        Ok(SignOut::NotOffered) => (true, json!("not-offered"), Value::Null),
        Ok(SignOut::NotTold(failure)) => (true, json!("not-told"), failure_json(&failure, lang)),
        Err(failure) => return Json(failure_json(&failure, lang)).into_response(),
    };
    Json(json!({
        "ok": true,
        "signed_out": signed_out,
        "revoked": revoked,
        "problem": problem,
    }))
    .into_response()
}

/// What became of the test message's copy, the IMAP failure concealed as
/// any other (see [`conceal`]).
fn filing_text(filing: &Filing, lang: Lang) -> String {
    let fr = lang == Lang::Fr;
    match filing {
        Filing::Spooled { failure, .. } if fr => {
            format!("copie en attente : {}", conceal(failure).render(lang))
        }
        Filing::Spooled { failure, .. } => {
            format!("copy spooled: {}", conceal(failure).render(lang))
        }
        Filing::Failed { failure, .. } if fr => {
            format!("copie non rangée : {}", conceal(failure).render(lang))
        }
        Filing::Failed { failure, .. } => {
            format!("copy not filed: {}", conceal(failure).render(lang))
        }
        other => other.summary(lang),
    }
}

/// Where settings came from, said to the user (the API's `source` keeps the
/// stable name).
fn source_label(source: &Source, lang: Lang) -> &'static str {
    // `Source` is non-exhaustive: a source added later is named generically.
    let fr = lang == Lang::Fr;
    match source {
        Source::Catalog if fr => "catalogue",
        Source::Catalog => "catalog",
        Source::CatalogViaMx { .. } if fr => "catalogue, d'après le serveur MX du domaine",
        Source::CatalogViaMx { .. } => "catalog, by the domain's MX server",
        Source::CatalogViaMxDomain { .. } if fr => {
            "catalogue, d'après le domaine du serveur MX du domaine"
        }
        Source::CatalogViaMxDomain { .. } => "catalog, by the domain of the domain's MX server",
        Source::Autoconfig { .. } if fr => "fichier d'autoconfiguration du domaine",
        Source::Autoconfig { .. } => "the domain's autoconfig file",
        Source::AutoconfigViaMx { .. } if fr => "fichier d'autoconfiguration de l'hébergeur du MX",
        Source::AutoconfigViaMx { .. } => "the MX host's autoconfig file",
        Source::Srv if fr => "enregistrements SRV",
        Source::Srv => "SRV records",
        Source::Guess if fr => "deviné en sondant les serveurs",
        Source::Guess => "guessed by probing servers",
        _ if fr => "autre source",
        _ => "another source",
    }
}
