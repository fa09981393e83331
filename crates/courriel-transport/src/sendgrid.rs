//! The default provider: SendGrid's v3 Mail Send API.
//!
//! SendGrid's JSON API takes the message's parts, not raw MIME, and never
//! returns what it delivered: the copy filed in Sent is our own rendering,
//! whose Message-ID we pass in `headers` so both carry the same one.
//!
//! Every request carries two custom arguments, which SendGrid hands back
//! in each event of its Event Webhook ([`crate::events`]): our Message-ID
//! and the account the message was sent for. SendGrid's limits
//! (<https://docs.sendgrid.com/api-reference/mail-send/limitations>: "The
//! total length of custom arguments must be less than 10000 bytes"; the
//! values are strings) are kept by [`custom_args`]: an account id too long
//! to fit is left out, never the message.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use courriel_core::failure::{Failure, FailureKind, Step};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::email::{Email, Mailbox, Rendered};
use crate::route::{Handover, Transport};
use crate::smtp::Receipt;

/// How transient failures (429, 5xx, unreachable) are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, at least 1 (default 3).
    pub attempts: u32,
    /// The first wait; doubled after each attempt (default 1 s).
    pub base: Duration,
    /// The longest single wait, also for a server's Retry-After (default 30 s).
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 3,
            base: Duration::from_secs(1),
            max_wait: Duration::from_secs(30),
        }
    }
}

/// SendGrid's bound on a request's custom arguments: their total length
/// must be less than this many bytes (counted here as the JSON object
/// sent, keys, quotes and escapes included, which is never less).
pub const CUSTOM_ARGS_LIMIT: usize = 10_000;

/// The default provider's settings.
#[derive(Clone)]
pub struct SendGridSettings {
    base_url: String,
    api_key: SecretString,
    /// Time bound of each request (default 30 s).
    pub timeout: Duration,
    /// Retries of transient failures.
    pub retry: Retry,
    /// Host names connected to at a given address instead of resolved.
    resolve: Vec<(String, SocketAddr)>,
    /// CAs trusted besides the web's (PEM), checked when given.
    extra_ca: Vec<reqwest::Certificate>,
    /// The HTTP client, made at the first send and shared by every clone
    /// of these settings: its connections to the API are kept and reused
    /// (a new client per send would pay a TCP and TLS handshake each time).
    /// Made anew when what it depends on changes (`resolve`, the CAs).
    client: Arc<OnceLock<reqwest::Client>>,
}

impl fmt::Debug for SendGridSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendGridSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &"[REDACTED]")
            .field("resolve", &self.resolve)
            .field("extra_ca", &self.extra_ca.len())
            .finish_non_exhaustive()
    }
}

impl SendGridSettings {
    /// SendGrid's own API, with this key.
    pub fn new(api_key: impl Into<String>) -> SendGridSettings {
        SendGridSettings {
            base_url: "https://api.sendgrid.com".to_string(),
            api_key: SecretString::from(api_key.into()),
            timeout: Duration::from_secs(30),
            retry: Retry::default(),
            resolve: Vec::new(),
            extra_ca: Vec::new(),
            client: Arc::default(),
        }
    }

    /// Connects to `address` whenever the API's host is `host`, instead of
    /// resolving it (curl's `--resolve`: split-horizon DNS, a local proxy,
    /// tests); the certificate is still checked against `host`, and the
    /// request still names it (`Host`, TLS SNI). The address's port is
    /// used when the base URL names none (a port 0 keeps the URL's).
    #[must_use]
    pub fn resolve(mut self, host: &str, address: SocketAddr) -> SendGridSettings {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.resolve.retain(|(h, _)| *h != host);
        self.resolve.push((host, address));
        self.client = Arc::default();
        self
    }

    /// Trusts the CA certificates in `pem` besides the web's roots (a
    /// company's TLS-inspecting proxy, tests). Fails when `pem` holds no
    /// usable certificate.
    pub fn with_extra_ca(mut self, pem: &[u8]) -> Result<SendGridSettings, String> {
        let certificates = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| format!("the extra CA is not PEM certificates: {e}"))?;
        if certificates.is_empty() {
            return Err("the extra CA holds no PEM certificate".to_string());
        }
        self.extra_ca.extend(certificates);
        self.client = Arc::default();
        Ok(self)
    }

    /// Another HTTPS base URL (a regional endpoint, a proxy).
    pub fn with_base_url(mut self, url: &str) -> Result<SendGridSettings, String> {
        if !url.starts_with("https://") {
            return Err(format!(
                "`{url}` is not an https URL: the API key must not travel in clear"
            ));
        }
        self.base_url = url.trim_end_matches('/').to_string();
        Ok(self)
    }

    /// A plain-http base URL: the API key travels unencrypted. For a local
    /// test server only.
    #[must_use]
    pub fn dangerous_plain_http_base_url(mut self, url: &str) -> SendGridSettings {
        self.base_url = url.trim_end_matches('/').to_string();
        self
    }

    /// The Mail Send endpoint.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("{}/v3/mail/send", self.base_url)
    }

    /// The HTTP client for these settings, made once (each request is
    /// bounded by `timeout` on its own, so changing it needs no new client).
    fn client(&self) -> reqwest::Result<reqwest::Client> {
        if let Some(client) = self.client.get() {
            return Ok(client.clone());
        }
        let mut builder = reqwest::Client::builder();
        for (host, address) in &self.resolve {
            builder = builder.resolve(host, *address);
        }
        for certificate in &self.extra_ca {
            builder = builder.add_root_certificate(certificate.clone());
        }
        // Idle connections are closed before a load balancer's usual
        // minute would close them under a request being written (whose
        // fate could then not be known).
        let client = builder.pool_idle_timeout(Duration::from_secs(30)).build()?;
        // Two first sends at once: both clients work; one is kept.
        Ok(self.client.get_or_init(|| client).clone())
    }
}

/// The custom arguments of a request: our Message-ID, then the account,
/// each only while the whole stays under [`CUSTOM_ARGS_LIMIT`]. An
/// account id too long to fit is left out (and logged): the message still
/// goes, and its events still carry the Message-ID.
#[must_use]
pub fn custom_args(message_id: &str, account: Option<&str>) -> serde_json::Map<String, Value> {
    let mut args = serde_json::Map::new();
    let fits = |args: &serde_json::Map<String, Value>| {
        Value::Object(args.clone()).to_string().len() < CUSTOM_ARGS_LIMIT
    };
    for (name, value) in [
        (crate::events::CUSTOM_ARG_MESSAGE_ID, Some(message_id)),
        (crate::events::CUSTOM_ARG_ACCOUNT, account),
    ] {
        let Some(value) = value else { continue };
        args.insert(name.to_string(), Value::String(value.to_string()));
        if !fits(&args) {
            args.remove(name);
            tracing::warn!(
                argument = name,
                bytes = value.len(),
                limit = CUSTOM_ARGS_LIMIT,
                "SendGrid: a custom argument left out: SendGrid refuses custom arguments of {CUSTOM_ARGS_LIMIT} bytes or more; the Event Webhook's events will not carry it"
            );
        }
    }
    args
}

fn address(m: &Mailbox) -> Value {
    match &m.name {
        Some(name) => json!({ "email": m.address.to_string(), "name": name }),
        None => json!({ "email": m.address.to_string() }),
    }
}

/// An attachment's content as SendGrid takes it: standard base64, padded.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The Mail Send request body for `email`, carrying `rendered`'s
/// Message-ID, and in its custom arguments that Message-ID and `account`
/// (see [`custom_args`]).
#[must_use]
pub fn request_body(email: &Email, rendered: &Rendered, account: Option<&str>) -> Value {
    let mut personalization = json!({ "to": email.to.iter().map(address).collect::<Vec<_>>() });
    if !email.cc.is_empty() {
        personalization["cc"] = email.cc.iter().map(address).collect();
    }
    if !email.bcc.is_empty() {
        personalization["bcc"] = email.bcc.iter().map(address).collect();
    }
    let mut content = Vec::new();
    if let Some(text) = &email.text {
        content.push(json!({ "type": "text/plain", "value": text }));
    }
    if let Some(html) = &email.html {
        content.push(json!({ "type": "text/html", "value": html }));
    }
    let mut headers = serde_json::Map::new();
    for (name, value) in &email.headers {
        headers.insert(name.clone(), Value::String(value.clone()));
    }
    headers.insert(
        "Message-ID".to_string(),
        Value::String(format!("<{}>", rendered.message_id)),
    );
    let mut body = json!({
        "personalizations": [personalization],
        "from": email.from.as_ref().map(address),
        "subject": email.subject,
        "content": content,
        "headers": headers,
    });
    if let Some(reply_to) = email.reply_to.first() {
        body["reply_to"] = address(reply_to);
    }
    // Comes back in every event of the Event Webhook: what ties a bounce
    // to this message and its account (crate::events).
    body["custom_args"] = Value::Object(custom_args(&rendered.message_id, account));
    if !email.attachments.is_empty() {
        body["attachments"] = email
            .attachments
            .iter()
            .map(|a| json!({ "content": base64(&a.content), "filename": a.filename, "type": a.content_type, "disposition": "attachment" }))
            .collect();
    }
    body
}

fn error_messages(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            let list = v.get("errors")?.as_array()?.iter().filter_map(|e| {
                let message = e.get("message")?.as_str()?;
                Some(match e.get("field").and_then(Value::as_str) {
                    Some(field) => format!("{field}: {message}"),
                    None => message.to_string(),
                })
            });
            Some(list.collect::<Vec<_>>().join("; "))
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| body.chars().take(300).collect())
}

/// Sends `email` through SendGrid, retrying transient failures within
/// `settings.retry`; `handover` runs before each request.
///
/// `account`, the application's id of the account the message is sent
/// for, travels to SendGrid as a custom argument (with our Message-ID) so
/// that the Event Webhook's events come back tied to it: SendGrid stores
/// it and shows it in its activity feed, so use an opaque id (a database
/// key), never an address or a name.
pub async fn send_sendgrid(
    settings: &SendGridSettings,
    email: &Email,
    rendered: &Rendered,
    account: Option<&str>,
    handover: &impl Handover,
) -> Result<Receipt, Failure> {
    if settings.api_key.expose_secret().trim().is_empty() {
        return Err(Failure::new(FailureKind::SendgridNotConfigured));
    }
    // The settings' Debug redacts the API key.
    tracing::debug!(settings = ?settings, message_id = %rendered.message_id, "SendGrid: sending");
    let client = settings.client().map_err(|e| {
        Failure::new(FailureKind::SendgridUnreachable)
            .arg("url", settings.endpoint())
            .arg("detail", e)
    })?;
    let body = request_body(email, rendered, account).to_string();
    let attempts = settings.retry.attempts.max(1);
    let mut wait = settings.retry.base;
    for attempt in 1..=attempts {
        handover
            .before_handover(Transport::SendGrid, rendered)
            .await?;
        let response = client
            .post(settings.endpoint())
            .timeout(settings.timeout)
            .bearer_auth(settings.api_key.expose_secret())
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await;
        let last = attempt == attempts;
        let (retry_after, failure) = match response {
            // Never connected: nothing was handed over, trying again is safe.
            Err(e) if e.is_connect() => (
                None,
                Failure::new(FailureKind::SendgridUnreachable)
                    .at(Step::Connect)
                    .arg("url", settings.endpoint())
                    .arg("detail", e),
            ),
            // The request went out (whole or in part) and no answer came
            // back: SendGrid may have taken it. Never sent again.
            Err(e) => {
                return Err(Failure::new(FailureKind::SendgridDeliveryUnknown)
                    .at(Step::Message)
                    .arg("url", settings.endpoint())
                    .arg("detail", e));
            }
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let text = response.text().await.unwrap_or_default();
                match status {
                    200..=299 => {
                        return Ok(Receipt {
                            message_id: rendered.message_id.clone(),
                            reply: format!("{status} Accepted by SendGrid"),
                            accepted: rendered.recipients.clone(),
                            refused: Vec::new(),
                        });
                    }
                    401 => {
                        return Err(Failure::new(FailureKind::SendgridKeyRefused).at(Step::Message));
                    }
                    403 => {
                        return Err(Failure::new(FailureKind::SendgridForbidden)
                            .at(Step::Message)
                            .arg("detail", error_messages(&text)));
                    }
                    413 => {
                        return Err(Failure::new(FailureKind::SendgridTooLarge).at(Step::Message));
                    }
                    429 => (
                        retry_after,
                        Failure::new(FailureKind::SendgridRateLimited)
                            .at(Step::Message)
                            .arg("attempts", attempt),
                    ),
                    500..=599 => (
                        retry_after,
                        Failure::new(FailureKind::SendgridServerError)
                            .at(Step::Message)
                            .arg("status", status)
                            .arg("attempts", attempt),
                    ),
                    _ => {
                        return Err(Failure::new(FailureKind::SendgridBadRequest)
                            .at(Step::Message)
                            .arg("detail", error_messages(&text)));
                    }
                }
            }
        };
        if last {
            return Err(failure);
        }
        tokio::time::sleep(retry_after.unwrap_or(wait).min(settings.retry.max_wait)).await;
        wait = wait.saturating_mul(2);
    }
    unreachable!("the last attempt returns")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_attachments() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(
            base64(&[0x25, 0x50, 0x44, 0x46, 0xff, 0x00, 0x10]),
            "JVBERv8AEA=="
        );
    }

    #[test]
    fn the_custom_args_carry_the_message_and_the_account_within_sendgrids_limit() {
        use crate::events::{CUSTOM_ARG_ACCOUNT, CUSTOM_ARG_MESSAGE_ID};
        let args = custom_args("1.2.courriel@example.org", Some("acct-42"));
        assert_eq!(args[CUSTOM_ARG_MESSAGE_ID], "1.2.courriel@example.org");
        assert_eq!(
            args[CUSTOM_ARG_ACCOUNT], "acct-42",
            "a string, as SendGrid wants"
        );
        assert!(!custom_args("m@x", None).contains_key(CUSTOM_ARG_ACCOUNT));

        // The largest account id that fits, and one byte more.
        let overhead = Value::Object(custom_args("m@x", Some("")))
            .to_string()
            .len();
        let fits = "a".repeat(CUSTOM_ARGS_LIMIT - 1 - overhead);
        let args = custom_args("m@x", Some(&fits));
        assert_eq!(
            Value::Object(args.clone()).to_string().len(),
            CUSTOM_ARGS_LIMIT - 1
        );
        assert_eq!(args[CUSTOM_ARG_ACCOUNT], fits.as_str());
        let too_long = format!("{fits}a");
        let args = custom_args("m@x", Some(&too_long));
        assert!(!args.contains_key(CUSTOM_ARG_ACCOUNT), "left out, not cut");
        assert_eq!(
            args[CUSTOM_ARG_MESSAGE_ID], "m@x",
            "the Message-ID still goes"
        );
        // Escapes count: quotes and control characters take more bytes.
        let quoted = "\"".repeat(CUSTOM_ARGS_LIMIT / 2);
        assert!(!custom_args("m@x", Some(&quoted)).contains_key(CUSTOM_ARG_ACCOUNT));
    }

    #[test]
    fn plain_http_needs_the_dangerous_door() {
        assert!(
            SendGridSettings::new("k")
                .with_base_url("http://127.0.0.1:1")
                .is_err()
        );
        assert_eq!(
            SendGridSettings::new("k").endpoint(),
            "https://api.sendgrid.com/v3/mail/send"
        );
        assert!(!format!("{:?}", SendGridSettings::new("SG.secret")).contains("SG.secret"));
    }
}
