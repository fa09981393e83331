//! What became of the test messages sent through the application's
//! default provider (SendGrid's API): its Event Webhook
//! (`POST /webhooks/sendgrid`, enabled by [`crate::Config::sendgrid_webhook`])
//! verified by the library, and the failures (bounced, blocked, dropped,
//! marked as spam) shown to the visitor whose message it was: "2 messages
//! could not be delivered".
//!
//! The page has no sign-in of its own: an application's user is here the
//! browser session (the cookie the page already sets for OAuth2). Each
//! account the page sends for is its own per session, with an opaque id
//! (a salted hash, no address: it travels to SendGrid), and the page
//! remembers which session each account is (bounded). A test message sent
//! through SendGrid is remembered by its Message-ID with its account. An
//! event counts only when its Message-ID is one of those and its account
//! that message's: any other (another application's message, an account
//! that does not match, a message forgotten) is counted apart and shown to
//! nobody, and still answered 2xx, so that SendGrid does not post it again
//! for hours. Events posted again (same `sg_event_id`) count once.
//!
//! Everything is in memory and bounded: messages remembered, accounts,
//! failures kept per account, event ids remembered.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use courriel::Lang;
use courriel::events::{
    DeliveryEvent, EventKind, MAX_BODY, RecentEvents, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    WebhookError,
};
use serde_json::{Value, json};

use crate::App;
use crate::page::escape;

/// `POST /webhooks/sendgrid`: SendGrid's Event Webhook. The raw body is
/// read within the library's bound (413 beyond), its signature and
/// timestamp checked (401 when they do not prove it comes from SendGrid
/// now), its events taken (2xx, with what they came to, unknown ones
/// included: SendGrid retries anything else).
pub(crate) async fn sendgrid_webhook(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(webhook) = &app.webhook else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let refused = |e: WebhookError| {
        eprintln!("settings page: SendGrid webhook: {e}");
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(json!({ "ok": false, "code": e.code() }))).into_response()
    };
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return refused(WebhookError::TooLarge);
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match webhook.verify(header(SIGNATURE_HEADER), header(TIMESTAMP_HEADER), &body) {
        Ok(events) => {
            let counts = app.deliveries.take(&events);
            let mut answer = counts.to_json();
            answer["ok"] = json!(true);
            Json(answer).into_response()
        }
        Err(e) => refused(e),
    }
}

/// Messages sent through SendGrid remembered at most (the oldest first
/// forgotten): their events count only while they are.
const MAX_MESSAGES: usize = 10_000;
/// Accounts (sessions' own) remembered at most.
const MAX_ACCOUNTS: usize = 4_096;
/// Failures kept per account (the oldest dropped).
const FAILURES_PER_ACCOUNT: usize = 20;
/// Event ids remembered, to drop events posted again.
const RECENT_EVENTS: usize = 50_000;

/// A message that could not be delivered to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Undelivered {
    pub(crate) message_id: String,
    pub(crate) recipient: String,
    pub(crate) kind: EventKind,
    pub(crate) reason: Option<String>,
}

/// What one webhook request came to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Failures kept for their account.
    pub(crate) failures: usize,
    /// Events of our messages that are not failures (delivered, deferred...).
    pub(crate) other: usize,
    /// Events seen before.
    pub(crate) duplicates: usize,
    /// Events of a message or account the page does not know: shown to
    /// nobody.
    pub(crate) unknown: usize,
}

impl Counts {
    pub(crate) fn to_json(self) -> Value {
        json!({
            "failures": self.failures,
            "other": self.other,
            "duplicates": self.duplicates,
            "unknown": self.unknown,
        })
    }
}

#[derive(Default)]
struct Inner {
    /// Message-ID → the account it was sent for.
    messages: HashMap<String, String>,
    message_order: VecDeque<String>,
    /// Account → the session it belongs to.
    owners: HashMap<String, String>,
    owner_order: VecDeque<String>,
    /// Account → its failures, oldest first.
    failures: HashMap<String, VecDeque<Undelivered>>,
    recent: Option<RecentEvents>,
    /// Events of unknown messages or accounts, since the start.
    unknown: u64,
}

/// The page's memory of messages sent through SendGrid and of their
/// failures.
#[derive(Default)]
pub(crate) struct Deliveries {
    inner: Mutex<Inner>,
}

/// Remembers `key` in a bounded FIFO of `order`, forgetting the oldest
/// from `map` when full.
fn remember<V>(
    map: &mut HashMap<String, V>,
    order: &mut VecDeque<String>,
    key: String,
    value: V,
    max: usize,
) -> Option<String> {
    let mut forgotten = None;
    if !map.contains_key(&key) {
        if order.len() >= max
            && let Some(oldest) = order.pop_front()
        {
            map.remove(&oldest);
            forgotten = Some(oldest);
        }
        order.push_back(key.clone());
    }
    map.insert(key, value);
    forgotten
}

impl Deliveries {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `account` is `session`'s.
    pub(crate) fn own(&self, account: &str, session: &str) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        if let Some(forgotten) = remember(
            &mut inner.owners,
            &mut inner.owner_order,
            account.to_string(),
            session.to_string(),
            MAX_ACCOUNTS,
        ) {
            inner.failures.remove(&forgotten);
        }
    }

    /// `message_id` went to SendGrid for `account`.
    pub(crate) fn sent(&self, message_id: &str, account: &str) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        remember(
            &mut inner.messages,
            &mut inner.message_order,
            message_id.to_string(),
            account.to_string(),
            MAX_MESSAGES,
        );
    }

    /// Takes a verified request's events.
    pub(crate) fn take(&self, events: &[DeliveryEvent]) -> Counts {
        let mut counts = Counts::default();
        let mut inner = self.lock();
        let inner = &mut *inner;
        let recent = inner
            .recent
            .get_or_insert_with(|| RecentEvents::new(RECENT_EVENTS));
        for event in events {
            if !recent.first_time(event) {
                counts.duplicates += 1;
                continue;
            }
            // Ours only when the message is one we sent, for this account.
            let account = event
                .message_id
                .as_ref()
                .and_then(|id| inner.messages.get(id))
                .filter(|account| event.account.as_ref() == Some(*account))
                .filter(|account| inner.owners.contains_key(*account));
            let (Some(account), Some(message_id)) = (account, &event.message_id) else {
                counts.unknown += 1;
                inner.unknown += 1;
                continue;
            };
            if !event.kind.is_failure() {
                counts.other += 1;
                continue;
            }
            let failures = inner.failures.entry(account.clone()).or_default();
            if failures.len() >= FAILURES_PER_ACCOUNT {
                failures.pop_front();
            }
            failures.push_back(Undelivered {
                message_id: message_id.clone(),
                recipient: event.recipient.clone(),
                kind: event.kind,
                reason: event.reason.clone(),
            });
            counts.failures += 1;
        }
        counts
    }

    /// The failures of the accounts of `session`, oldest first.
    pub(crate) fn of_session(&self, session: Option<&str>) -> Vec<Undelivered> {
        let Some(session) = session else {
            return Vec::new();
        };
        let inner = self.lock();
        inner
            .owner_order
            .iter()
            .filter(|account| inner.owners.get(*account).map(String::as_str) == Some(session))
            .filter_map(|account| inner.failures.get(account))
            .flatten()
            .cloned()
            .collect()
    }
}

/// A failure's kind, said to the user.
fn kind_text(kind: EventKind, lang: Lang) -> &'static str {
    let fr = lang == Lang::Fr;
    match kind {
        EventKind::Bounced if fr => "refusé par le serveur du destinataire",
        EventKind::Bounced => "refused by the recipient's server",
        EventKind::Blocked if fr => "bloqué par le serveur du destinataire",
        EventKind::Blocked => "blocked by the recipient's server",
        EventKind::Dropped if fr => "non envoyé par le fournisseur",
        EventKind::Dropped => "not sent by the provider",
        EventKind::SpamReport if fr => "signalé comme indésirable par le destinataire",
        EventKind::SpamReport => "marked as spam by the recipient",
        _ if fr => "non distribué",
        _ => "not delivered",
    }
}

/// The page's section listing `failures` (empty when there are none).
pub(crate) fn section(failures: &[Undelivered], lang: Lang) -> String {
    if failures.is_empty() {
        return String::new();
    }
    let mut messages: Vec<&str> = failures.iter().map(|f| f.message_id.as_str()).collect();
    messages.sort_unstable();
    messages.dedup();
    let n = messages.len();
    let headline = match (lang, n) {
        (Lang::Fr, 1) => "1 message n'a pas pu être distribué :".to_string(),
        (Lang::Fr, n) => format!("{n} messages n'ont pas pu être distribués :"),
        (_, 1) => "1 message could not be delivered:".to_string(),
        (_, n) => format!("{n} messages could not be delivered:"),
    };
    let (to, sep) = if lang == Lang::Fr {
        ("à", " : ")
    } else {
        ("to", ": ")
    };
    let mut items = String::new();
    for f in failures {
        let reason = f
            .reason
            .as_deref()
            .map(|r| format!(" — {}", escape(r)))
            .unwrap_or_default();
        let _ = write!(
            items,
            r#"<li data-message-id="{id}">{to} <span class="recipient">{recipient}</span>{sep}{kind}{reason}</li>"#,
            id = escape(&f.message_id),
            recipient = escape(&f.recipient),
            kind = escape(kind_text(f.kind, lang)),
        );
    }
    // The headline is the page's own words: nothing to escape.
    format!(
        r#"<section id="undelivered" class="undelivered" role="status"><p>{headline}</p><ul>{items}</ul></section>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, message_id: &str, account: &str, kind: EventKind) -> DeliveryEvent {
        let mut event = courriel::events::DeliveryEvent::clone(&sample());
        event.provider_event_id = Some(id.into());
        event.message_id = Some(message_id.into());
        event.account = Some(account.into());
        event.kind = kind;
        event
    }

    /// A signed-and-read event to start from (the type is non-exhaustive:
    /// made by the library's own reader).
    fn sample() -> DeliveryEvent {
        use base64::Engine as _;
        use ring::signature::KeyPair as _;
        let rng = ring::rand::SystemRandom::new();
        let alg = &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING;
        let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let pair = ring::signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
        let body = br#"[{"email":"client@example.org","event":"bounce","reason":"550 5.1.1 no such user"}]"#;
        let timestamp = "1765100100";
        let signed = [timestamp.as_bytes(), body].concat();
        let signature = pair.sign(&rng, &signed).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut spki = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        spki.extend_from_slice(pair.public_key().as_ref());
        let key = courriel::events::WebhookKey::parse(&b64.encode(spki)).unwrap();
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_765_100_100);
        courriel::events::EventWebhook::new(key)
            .verify_at(
                Some(&b64.encode(signature.as_ref())),
                Some(timestamp),
                body,
                now,
            )
            .unwrap()
            .remove(0)
    }

    #[test]
    fn failures_reach_their_accounts_session_only_and_count_once() {
        let d = Deliveries::default();
        d.own("acct-a", "session-a");
        d.own("acct-b", "session-b");
        d.sent("m1@x", "acct-a");
        let counts = d.take(&[
            event("e1", "m1@x", "acct-a", EventKind::Bounced),
            event("e1", "m1@x", "acct-a", EventKind::Bounced),
            event("e2", "m1@x", "acct-b", EventKind::Bounced),
            event("e3", "unknown@x", "acct-a", EventKind::Bounced),
            event("e4", "m1@x", "acct-a", EventKind::Delivered),
        ]);
        assert_eq!(
            counts,
            Counts {
                failures: 1,
                other: 1,
                duplicates: 1,
                unknown: 2,
            }
        );
        assert_eq!(d.of_session(Some("session-a")).len(), 1);
        assert!(d.of_session(Some("session-b")).is_empty());
        assert!(d.of_session(None).is_empty());
    }

    #[test]
    fn the_section_says_how_many_messages_in_either_language_escaped() {
        let failure = |id: &str, to: &str| Undelivered {
            message_id: id.into(),
            recipient: to.into(),
            kind: EventKind::Bounced,
            reason: Some("550 <no> such user".into()),
        };
        assert_eq!(section(&[], Lang::En), "");
        let two = [
            failure("m1", "a@x"),
            failure("m1", "b@x"),
            failure("m2", "c@x"),
        ];
        let en = section(&two, Lang::En);
        assert!(en.contains("2 messages could not be delivered:"), "{en}");
        assert!(en.contains("550 &lt;no&gt; such user"), "{en}");
        let fr = section(&two[..1], Lang::Fr);
        assert!(fr.contains("1 message n'a pas pu être distribué :"), "{fr}");
    }
}
