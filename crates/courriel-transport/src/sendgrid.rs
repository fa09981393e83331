//! The default provider: SendGrid's v3 Mail Send API.
//!
//! SendGrid's JSON API takes the message's parts, not raw MIME, and never
//! returns what it delivered: the copy filed in Sent is our own rendering,
//! whose Message-ID we pass in `headers` so both carry the same one.

use std::fmt;
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

/// The default provider's settings.
#[derive(Clone)]
pub struct SendGridSettings {
    base_url: String,
    api_key: SecretString,
    /// Time bound of each request (default 30 s).
    pub timeout: Duration,
    /// Retries of transient failures.
    pub retry: Retry,
}

impl fmt::Debug for SendGridSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendGridSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &"[REDACTED]")
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
        }
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

/// The Mail Send request body for `email`, carrying `rendered`'s Message-ID.
#[must_use]
pub fn request_body(email: &Email, rendered: &Rendered) -> Value {
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
    // to this message (crate::events).
    body["custom_args"] = json!({
        crate::events::CUSTOM_ARG_MESSAGE_ID: rendered.message_id,
    });
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
pub async fn send_sendgrid(
    settings: &SendGridSettings,
    email: &Email,
    rendered: &Rendered,
    handover: &impl Handover,
) -> Result<Receipt, Failure> {
    if settings.api_key.expose_secret().trim().is_empty() {
        return Err(Failure::new(FailureKind::SendgridNotConfigured));
    }
    // The settings' Debug redacts the API key.
    tracing::debug!(settings = ?settings, message_id = %rendered.message_id, "SendGrid: sending");
    let client = reqwest::Client::builder()
        .timeout(settings.timeout)
        .build()
        .map_err(|e| {
            Failure::new(FailureKind::SendgridUnreachable)
                .arg("url", settings.endpoint())
                .arg("detail", e)
        })?;
    let body = request_body(email, rendered).to_string();
    let attempts = settings.retry.attempts.max(1);
    let mut wait = settings.retry.base;
    for attempt in 1..=attempts {
        handover
            .before_handover(Transport::SendGrid, rendered)
            .await?;
        let response = client
            .post(settings.endpoint())
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
