//! What became of messages sent through the default provider: SendGrid's
//! Event Webhook, verified and read.
//!
//! Through the user's own SMTP server a bounce comes back to the user's
//! mailbox. Through SendGrid it goes to SendGrid, which POSTs events
//! (delivered, deferred, bounce, dropped, spam report...) to a URL of the
//! application. This module checks that a request really comes from
//! SendGrid and turns its events into [`DeliveryEvent`]s, each tied to our
//! Message-ID and account through the custom arguments sent with every
//! message ([`CUSTOM_ARG_MESSAGE_ID`], [`CUSTOM_ARG_ACCOUNT`]).
//!
//! The signature: SendGrid signs with ECDSA over P-256 and SHA-256 the
//! value of the [`TIMESTAMP_HEADER`] followed by the raw body, and sends
//! the base64 DER signature in [`SIGNATURE_HEADER`]. Its public key, shown
//! in SendGrid's mail settings, is a base64 DER `SubjectPublicKeyInfo`.
//! A request whose timestamp is further than the tolerance from now
//! (default five minutes) is refused, so a captured request cannot be
//! replayed later; within the window, [`DeliveryEvent::provider_event_id`]
//! lets the application drop an event it has already seen.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use serde_json::Value;

/// The header holding the base64 DER ECDSA signature.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Email-Event-Webhook-Signature";
/// The header holding the Unix time the request was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Twilio-Email-Event-Webhook-Timestamp";
/// The custom argument carrying our Message-ID (without angle brackets).
pub const CUSTOM_ARG_MESSAGE_ID: &str = "courriel_message_id";
/// The custom argument carrying the account the message was sent for.
pub const CUSTOM_ARG_ACCOUNT: &str = "courriel_account";

/// The largest body read: SendGrid batches events, a few KiB each.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// The DER prefix of a P-256 `SubjectPublicKeyInfo`, up to the point:
/// `SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused bits) }`.
const SPKI_P256_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// SendGrid's verification key: a P-256 public point.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookKey {
    /// The uncompressed SEC1 point (65 bytes, `04 || x || y`).
    point: Vec<u8>,
}

impl fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Public, but long: its first bytes are enough to tell keys apart.
        write!(f, "WebhookKey(P-256 {:02x?}…)", &self.point[1..5])
    }
}

impl WebhookKey {
    /// Reads the key as SendGrid shows it: base64 of the DER
    /// `SubjectPublicKeyInfo`, with or without PEM's `-----BEGIN PUBLIC
    /// KEY-----` lines and line breaks.
    pub fn parse(text: &str) -> Result<Self, WebhookError> {
        let base64: String = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let der = STANDARD
            .decode(base64.as_bytes())
            .map_err(|_| WebhookError::BadKey("it is not base64"))?;
        let point = der
            .strip_prefix(&SPKI_P256_PREFIX[..])
            .ok_or(WebhookError::BadKey(
                "it is not a P-256 public key (DER `SubjectPublicKeyInfo`)",
            ))?;
        if point.len() != 65 || point[0] != 0x04 {
            return Err(WebhookError::BadKey(
                "its point is not an uncompressed P-256 point",
            ));
        }
        Ok(WebhookKey {
            point: point.to_vec(),
        })
    }
}

/// Why a webhook request was refused. Answer SendGrid with
/// [`WebhookError::http_status`]; log the message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// The configured key is not SendGrid's kind of key.
    BadKey(&'static str),
    /// The signature or timestamp header is missing or empty.
    MissingHeader(&'static str),
    /// The signature does not match the timestamp and body with this key:
    /// not from SendGrid, or changed on the way.
    BadSignature,
    /// The timestamp is not a Unix time.
    BadTimestamp,
    /// Signed too long ago (or in the future): a replay, or a clock far off.
    Stale {
        /// How far the timestamp is from now, in seconds.
        off_by_secs: u64,
    },
    /// The body is larger than [`MAX_BODY`].
    TooLarge,
    /// Signed, but not a JSON array of events.
    Malformed(String),
}

impl WebhookError {
    /// A stable code for logs and metrics.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::BadKey(_) => "WH001",
            WebhookError::MissingHeader(_) => "WH002",
            WebhookError::BadSignature => "WH003",
            WebhookError::BadTimestamp => "WH004",
            WebhookError::Stale { .. } => "WH005",
            WebhookError::TooLarge => "WH006",
            WebhookError::Malformed(_) => "WH007",
        }
    }

    /// The status to answer the request with: 500 for our own
    /// configuration (SendGrid retries, and the key can be fixed
    /// meanwhile), 413 for a body too large, 401 for everything that does
    /// not prove it comes from SendGrid, 400 for a signed body we cannot
    /// read.
    #[must_use]
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::BadKey(_) => 500,
            WebhookError::TooLarge => 413,
            WebhookError::Malformed(_) => 400,
            _ => 401,
        }
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self {
            WebhookError::BadKey(why) => write!(
                f,
                "{code}: the SendGrid webhook verification key is unusable: {why}; copy it again from SendGrid's mail settings (Event Webhook, signature verification)"
            ),
            WebhookError::MissingHeader(name) => {
                write!(
                    f,
                    "{code}: the request has no `{name}` header: not a signed SendGrid event request"
                )
            }
            WebhookError::BadSignature => write!(
                f,
                "{code}: the signature does not match: the request is not from SendGrid, was changed on the way, or the verification key is not this webhook's"
            ),
            WebhookError::BadTimestamp => {
                write!(f, "{code}: the timestamp header is not a Unix time")
            }
            WebhookError::Stale { off_by_secs } => write!(
                f,
                "{code}: the request was signed {off_by_secs} s away from now, outside the tolerance: a replayed request, or this machine's clock is wrong"
            ),
            WebhookError::TooLarge => {
                write!(f, "{code}: the body is larger than {MAX_BODY} bytes")
            }
            WebhookError::Malformed(why) => {
                write!(f, "{code}: the events cannot be read: {why}")
            }
        }
    }
}

impl std::error::Error for WebhookError {}

/// What happened to a message at the default provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// Accepted by SendGrid, to be sent.
    Processed,
    /// The recipient's server accepted it.
    Delivered,
    /// The recipient's server refused for now; SendGrid tries again.
    Deferred,
    /// The recipient's server refused for good (an unknown address...).
    Bounced,
    /// Refused for a reason that may pass (SendGrid's `bounce` of type
    /// `blocked`: a spam filter, a blocklisted sending address).
    Blocked,
    /// SendGrid did not send it (an address that bounced before, an
    /// unsubscribed recipient, an invalid message).
    Dropped,
    /// The recipient marked it as spam.
    SpamReport,
    /// The recipient unsubscribed.
    Unsubscribed,
    /// Opened (tracking pixel), when the application tracks opens.
    Opened,
    /// A link clicked, when the application tracks clicks.
    Clicked,
    /// An event this version does not know.
    Other,
}

impl EventKind {
    /// Whether the message did not reach, or will not reach, the
    /// recipient: what the user must hear of.
    #[must_use]
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            EventKind::Bounced | EventKind::Blocked | EventKind::Dropped | EventKind::SpamReport
        )
    }

    /// A stable name: `delivered`, `bounced`...
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Processed => "processed",
            EventKind::Delivered => "delivered",
            EventKind::Deferred => "deferred",
            EventKind::Bounced => "bounced",
            EventKind::Blocked => "blocked",
            EventKind::Dropped => "dropped",
            EventKind::SpamReport => "spam-report",
            EventKind::Unsubscribed => "unsubscribed",
            EventKind::Opened => "opened",
            EventKind::Clicked => "clicked",
            EventKind::Other => "other",
        }
    }
}

/// One event about one recipient of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryEvent {
    /// What happened.
    pub kind: EventKind,
    /// SendGrid's own name for it (`bounce`, `group_unsubscribe`...).
    pub provider_kind: String,
    /// The recipient the event is about.
    pub recipient: String,
    /// When it happened, per SendGrid.
    pub at: Option<SystemTime>,
    /// Our Message-ID (no angle brackets), from the custom argument sent
    /// with the message; `None` for a message not sent by courriel.
    pub message_id: Option<String>,
    /// The account the message was sent for, from its custom argument.
    pub account: Option<String>,
    /// The receiving server's words or SendGrid's reason, for people.
    pub reason: Option<String>,
    /// SendGrid's id of this event: the same event may be posted twice.
    pub provider_event_id: Option<String>,
}

impl DeliveryEvent {
    /// What tells this event from others when SendGrid posts it again:
    /// its `sg_event_id`, else (an event without one) its message,
    /// recipient, kind and time together.
    #[must_use]
    pub fn dedup_key(&self) -> String {
        match &self.provider_event_id {
            Some(id) => format!("id:{id}"),
            None => format!(
                "of:{}\n{}\n{}\n{:?}",
                self.message_id.as_deref().unwrap_or(""),
                self.recipient,
                self.provider_kind,
                self.at
                    .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
                    .map(|d| d.as_secs())
            ),
        }
    }
}

/// The events seen lately, to drop those SendGrid posts twice (it retries
/// a request that got no 2xx, and may repeat an event): a bounded memory
/// of [`DeliveryEvent::dedup_key`]s, the oldest forgotten first.
///
/// ```
/// # use courriel_transport::events::RecentEvents;
/// let mut seen = RecentEvents::new(10_000);
/// # let events: Vec<courriel_transport::events::DeliveryEvent> = Vec::new();
/// for event in events.iter().filter(|e| seen.first_time(e)) {
///     // act on each event once
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RecentEvents {
    capacity: usize,
    keys: std::collections::HashSet<String>,
    order: std::collections::VecDeque<String>,
}

impl RecentEvents {
    /// Remembers at most `capacity` events (at least one).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        RecentEvents {
            capacity: capacity.max(1),
            keys: std::collections::HashSet::new(),
            order: std::collections::VecDeque::new(),
        }
    }

    /// Whether `event` is new (then remembered); `false` for one seen
    /// within the last `capacity` events.
    pub fn first_time(&mut self, event: &DeliveryEvent) -> bool {
        let key = event.dedup_key();
        if self.keys.contains(&key) {
            return false;
        }
        if self.order.len() >= self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.keys.remove(&oldest);
        }
        self.keys.insert(key.clone());
        self.order.push_back(key);
        true
    }

    /// How many events are remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether none is.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// Checks a request of SendGrid's Event Webhook and reads its events.
#[derive(Debug, Clone)]
pub struct EventWebhook {
    key: WebhookKey,
    /// How far from now a request's timestamp may be (default 5 minutes).
    pub tolerance: Duration,
}

impl EventWebhook {
    /// With SendGrid's verification key (see [`WebhookKey::parse`]).
    #[must_use]
    pub fn new(key: WebhookKey) -> Self {
        EventWebhook {
            key,
            tolerance: Duration::from_secs(300),
        }
    }

    /// Verifies a request (the two headers' values, `None` when absent,
    /// and the raw body, as received) at the current time, and reads it.
    pub fn verify(
        &self,
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
    ) -> Result<Vec<DeliveryEvent>, WebhookError> {
        self.verify_at(signature, timestamp, body, SystemTime::now())
    }

    /// [`EventWebhook::verify`] as of `now`.
    pub fn verify_at(
        &self,
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Vec<DeliveryEvent>, WebhookError> {
        if body.len() > MAX_BODY {
            return Err(WebhookError::TooLarge);
        }
        let signature = present(signature, SIGNATURE_HEADER)?;
        let timestamp = present(timestamp, TIMESTAMP_HEADER)?;
        // The signature first: nothing of an unsigned request is trusted,
        // its timestamp included.
        let signature = STANDARD
            .decode(signature.as_bytes())
            .map_err(|_| WebhookError::BadSignature)?;
        let mut signed = Vec::with_capacity(timestamp.len() + body.len());
        signed.extend_from_slice(timestamp.as_bytes());
        signed.extend_from_slice(body);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &self.key.point)
            .verify(&signed, &signature)
            .map_err(|_| WebhookError::BadSignature)?;
        let signed_at: u64 = timestamp.parse().map_err(|_| WebhookError::BadTimestamp)?;
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let off_by_secs = now.abs_diff(signed_at);
        if off_by_secs > self.tolerance.as_secs() {
            return Err(WebhookError::Stale { off_by_secs });
        }
        parse_events(body)
    }
}

/// A header's value, trimmed; missing when absent or empty.
fn present<'a>(value: Option<&'a str>, name: &'static str) -> Result<&'a str, WebhookError> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(WebhookError::MissingHeader(name))
}

/// Reads SendGrid's JSON array of events.
fn parse_events(body: &[u8]) -> Result<Vec<DeliveryEvent>, WebhookError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let Value::Array(items) = value else {
        return Err(WebhookError::Malformed(
            "the body is not a JSON array".to_string(),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            event(item).ok_or_else(|| {
                WebhookError::Malformed(format!(
                    "event {i} has no `event` name or no `email` recipient"
                ))
            })
        })
        .collect()
}

fn event(item: &Value) -> Option<DeliveryEvent> {
    let text = |name: &str| {
        item.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let provider_kind = text("event")?;
    let recipient = text("email")?;
    let kind = match provider_kind.as_str() {
        "processed" => EventKind::Processed,
        "delivered" => EventKind::Delivered,
        "deferred" => EventKind::Deferred,
        "bounce" if text("type").as_deref() == Some("blocked") => EventKind::Blocked,
        "bounce" => EventKind::Bounced,
        "blocked" => EventKind::Blocked,
        "dropped" => EventKind::Dropped,
        "spamreport" => EventKind::SpamReport,
        "unsubscribe" | "group_unsubscribe" => EventKind::Unsubscribed,
        "open" => EventKind::Opened,
        "click" => EventKind::Clicked,
        _ => EventKind::Other,
    };
    let at = item
        .get("timestamp")
        .and_then(Value::as_u64)
        .map(|secs| UNIX_EPOCH + Duration::from_secs(secs));
    let message_id = text(CUSTOM_ARG_MESSAGE_ID)
        .map(|id| id.trim_start_matches('<').trim_end_matches('>').to_string());
    Some(DeliveryEvent {
        kind,
        provider_kind,
        recipient,
        at,
        message_id,
        account: text(CUSTOM_ARG_ACCOUNT),
        reason: text("reason").or_else(|| text("response")),
        provider_event_id: text("sg_event_id"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};

    /// SendGrid's own test vector (its Node.js `@sendgrid/eventwebhook`
    /// tests): a key, a payload, its timestamp and signature.
    const SENDGRID_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
    const SENDGRID_SIGNATURE: &str = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
    const SENDGRID_TIMESTAMP: &str = "1588788367";

    /// A key pair made here, and SendGrid's form of its public key.
    fn key_pair() -> (EcdsaKeyPair, String) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let mut spki = SPKI_P256_PREFIX.to_vec();
        spki.extend_from_slice(pair.public_key().as_ref());
        (pair, STANDARD.encode(spki))
    }

    fn sign(pair: &EcdsaKeyPair, timestamp: &str, body: &[u8]) -> String {
        let mut signed = timestamp.as_bytes().to_vec();
        signed.extend_from_slice(body);
        let signature = pair.sign(&SystemRandom::new(), &signed).unwrap();
        STANDARD.encode(signature.as_ref())
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn sendgrids_own_test_vectors_verify_and_their_failing_ones_do_not() {
        // SendGrid's SDK tests (Node.js, Java, C#, Go, Ruby): this key signed
        // this payload (an object, not the array of a real request: its
        // signature passes, then the body is refused as not events).
        let webhook = EventWebhook::new(WebhookKey::parse(SENDGRID_KEY).unwrap());
        let payload =
            br#"{"category":"example_payload","event":"test_event","message_id":"message_id"}"#;
        let now = at(1_588_788_367 + 60);
        let verify = |key: &EventWebhook, signature, payload: &[u8], timestamp| {
            key.verify_at(Some(signature), Some(timestamp), payload, now)
        };
        assert_eq!(
            verify(&webhook, SENDGRID_SIGNATURE, payload, SENDGRID_TIMESTAMP),
            Err(WebhookError::Malformed(
                "the body is not a JSON array".to_string()
            ))
        );
        // Their failing cases: another key, another signature, another
        // payload, another timestamp.
        let failing_key = EventWebhook::new(
            WebhookKey::parse("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==").unwrap(),
        );
        let failing_signature = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=";
        for refused in [
            verify(
                &failing_key,
                SENDGRID_SIGNATURE,
                payload,
                SENDGRID_TIMESTAMP,
            ),
            verify(&webhook, failing_signature, payload, SENDGRID_TIMESTAMP),
            verify(&webhook, SENDGRID_SIGNATURE, b"payload", SENDGRID_TIMESTAMP),
            verify(&webhook, SENDGRID_SIGNATURE, payload, "1388788367"),
        ] {
            assert_eq!(refused, Err(WebhookError::BadSignature));
        }

        // Their later fixture (Ruby): a real request's body, one `dropped`
        // event, with the trailing CRLF SendGrid sends.
        let webhook = EventWebhook::new(WebhookKey::parse("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==").unwrap());
        let body = b"[{\"email\":\"hello@world.com\",\"event\":\"dropped\",\"reason\":\"Bounced Address\",\"sg_event_id\":\"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA\",\"sg_message_id\":\"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0\",\"smtp-id\":\"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>\",\"timestamp\":1600112492}]\r\n";
        let events = webhook
            .verify_at(
                Some("MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="),
                Some("1600112502"),
                body,
                at(1_600_112_502),
            )
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, EventKind::Dropped);
        assert_eq!(events[0].recipient, "hello@world.com");
        assert_eq!(events[0].reason.as_deref(), Some("Bounced Address"));
        assert_eq!(events[0].message_id, None, "not sent by courriel");
    }

    #[test]
    fn a_signed_request_gives_its_events_tied_to_our_message_and_account() {
        let (pair, key) = key_pair();
        let webhook = EventWebhook::new(WebhookKey::parse(&key).unwrap());
        let body = serde_json::json!([
            {
                "email": "client@example.com",
                "event": "bounce",
                "type": "bounce",
                "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
                "timestamp": 1_765_100_000,
                "sg_event_id": "ZGVsaXZlcmVk",
                "courriel_message_id": "<20261207.abc@courriel.example>",
                "courriel_account": "isabelle.martin@yahoo.fr",
            },
            {
                "email": "other@example.com",
                "event": "bounce",
                "type": "blocked",
                "reason": "550 5.7.1 blocked by policy",
                "timestamp": 1_765_100_001,
                "courriel_message_id": "20261207.abc@courriel.example",
            },
            {
                "email": "third@example.com",
                "event": "delivered",
                "response": "250 2.0.0 OK",
                "timestamp": 1_765_100_002,
            },
            {
                "email": "fourth@example.com",
                "event": "group_resubscribe",
            },
        ])
        .to_string();
        let timestamp = "1765100100";
        let signature = sign(&pair, timestamp, body.as_bytes());
        let events = webhook
            .verify_at(
                Some(&signature),
                Some(timestamp),
                body.as_bytes(),
                at(1_765_100_100),
            )
            .unwrap();
        assert_eq!(events.len(), 4);
        let bounce = &events[0];
        assert_eq!(bounce.kind, EventKind::Bounced);
        assert!(bounce.kind.is_failure());
        assert_eq!(bounce.recipient, "client@example.com");
        assert_eq!(
            bounce.message_id.as_deref(),
            Some("20261207.abc@courriel.example")
        );
        assert_eq!(bounce.account.as_deref(), Some("isabelle.martin@yahoo.fr"));
        assert!(bounce.reason.as_deref().unwrap().starts_with("550 5.1.1"));
        assert_eq!(bounce.provider_event_id.as_deref(), Some("ZGVsaXZlcmVk"));
        assert_eq!(bounce.at, Some(at(1_765_100_000)));
        assert_eq!(events[1].kind, EventKind::Blocked);
        assert_eq!(
            events[1].message_id.as_deref(),
            Some("20261207.abc@courriel.example")
        );
        assert_eq!(events[2].kind, EventKind::Delivered);
        assert!(!events[2].kind.is_failure());
        assert_eq!(events[2].reason.as_deref(), Some("250 2.0.0 OK"));
        assert_eq!(events[2].message_id, None, "not sent by courriel");
        assert_eq!(events[3].kind, EventKind::Other);
        assert_eq!(events[3].provider_kind, "group_resubscribe");
    }

    #[test]
    fn a_tampered_body_timestamp_or_signature_is_refused() {
        let (pair, key) = key_pair();
        let webhook = EventWebhook::new(WebhookKey::parse(&key).unwrap());
        let body = br#"[{"email":"a@example.com","event":"delivered"}]"#;
        let signature = sign(&pair, "1765100100", body);
        let now = at(1_765_100_100);
        assert!(
            webhook
                .verify_at(Some(&signature), Some("1765100100"), body, now)
                .is_ok()
        );
        let tampered = br#"[{"email":"b@example.com","event":"delivered"}]"#;
        for (signature, timestamp, body) in [
            (signature.as_str(), "1765100100", &tampered[..]),
            (signature.as_str(), "1765100101", &body[..]),
            ("MEUCIQCtIHJe", "1765100100", &body[..]),
            ("not base64 !", "1765100100", &body[..]),
        ] {
            assert_eq!(
                webhook.verify_at(Some(signature), Some(timestamp), body, now),
                Err(WebhookError::BadSignature),
                "{signature} {timestamp}"
            );
        }
        // Another key: SendGrid's, for this application's request.
        let other = EventWebhook::new(WebhookKey::parse(SENDGRID_KEY).unwrap());
        assert_eq!(
            other.verify_at(Some(&signature), Some("1765100100"), body, now),
            Err(WebhookError::BadSignature)
        );
        let missing = webhook.verify_at(None, Some("1765100100"), body, now);
        assert_eq!(missing, Err(WebhookError::MissingHeader(SIGNATURE_HEADER)));
        assert_eq!(missing.unwrap_err().http_status(), 401);
        assert_eq!(
            webhook.verify_at(Some(&signature), Some(" "), body, now),
            Err(WebhookError::MissingHeader(TIMESTAMP_HEADER))
        );
    }

    #[test]
    fn a_replayed_request_is_refused_once_its_timestamp_is_stale() {
        let (pair, key) = key_pair();
        let webhook = EventWebhook::new(WebhookKey::parse(&key).unwrap());
        let body = br#"[{"email":"a@example.com","event":"bounce"}]"#;
        let signature = sign(&pair, "1765100100", body);
        let verify = |now| webhook.verify_at(Some(&signature), Some("1765100100"), body, at(now));
        assert!(verify(1_765_100_100 + 300).is_ok());
        assert!(
            verify(1_765_100_100 - 300).is_ok(),
            "a clock slightly behind"
        );
        let stale = verify(1_765_100_100 + 301).unwrap_err();
        assert_eq!(stale, WebhookError::Stale { off_by_secs: 301 });
        assert_eq!(stale.http_status(), 401);
        assert!(stale.to_string().contains("replayed"), "{stale}");
        assert_eq!(
            verify(1_765_100_100 - 3_600),
            Err(WebhookError::Stale { off_by_secs: 3_600 })
        );
        // A signed timestamp that is not a number.
        let signature = sign(&pair, "yesterday", body);
        assert_eq!(
            webhook.verify_at(Some(&signature), Some("yesterday"), body, at(0)),
            Err(WebhookError::BadTimestamp)
        );
    }

    #[test]
    fn signed_nonsense_and_oversized_bodies_are_refused_with_their_status() {
        let (pair, key) = key_pair();
        let webhook = EventWebhook::new(WebhookKey::parse(&key).unwrap());
        let now = at(1_765_100_100);
        for (body, why) in [
            (&br#"{"event":"delivered"}"#[..], "not a JSON array"),
            (&br#"[{"event":"delivered"}]"#[..], "no `email`"),
            (&b"[{"[..], "EOF"),
        ] {
            let signature = sign(&pair, "1765100100", body);
            let refused = webhook
                .verify_at(Some(&signature), Some("1765100100"), body, now)
                .unwrap_err();
            assert_eq!(refused.code(), "WH007");
            assert_eq!(refused.http_status(), 400);
            assert!(refused.to_string().contains(why), "{refused}");
        }
        let huge = vec![b' '; MAX_BODY + 1];
        let refused = webhook
            .verify_at(Some("x"), Some("1765100100"), &huge, now)
            .unwrap_err();
        assert_eq!((refused.code(), refused.http_status()), ("WH006", 413));
    }

    #[test]
    fn an_event_posted_again_is_seen_once_and_the_memory_is_bounded() {
        let event = |id: Option<&str>, recipient: &str| DeliveryEvent {
            kind: EventKind::Bounced,
            provider_kind: "bounce".into(),
            recipient: recipient.into(),
            at: Some(at(1_765_100_000)),
            message_id: Some("m@x".into()),
            account: Some("a".into()),
            reason: None,
            provider_event_id: id.map(str::to_string),
        };
        let mut seen = RecentEvents::new(2);
        assert!(seen.first_time(&event(Some("e1"), "a@x")));
        assert!(!seen.first_time(&event(Some("e1"), "a@x")), "the same id");
        // Without an id: the same message, recipient, kind and time.
        assert!(seen.first_time(&event(None, "a@x")));
        assert!(!seen.first_time(&event(None, "a@x")));
        assert!(seen.first_time(&event(None, "b@x")), "another recipient");
        assert_eq!(seen.len(), 2, "bounded");
        // The oldest (e1) was forgotten to make room.
        assert!(seen.first_time(&event(Some("e1"), "a@x")));
    }

    #[test]
    fn the_key_is_read_as_sendgrid_shows_it_and_wrong_keys_are_named() {
        let key = WebhookKey::parse(SENDGRID_KEY).unwrap();
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n{}\n-----END PUBLIC KEY-----\n",
            &SENDGRID_KEY[..64],
            &SENDGRID_KEY[64..]
        );
        assert_eq!(WebhookKey::parse(&pem).unwrap(), key);
        assert!(format!("{key:?}").starts_with("WebhookKey(P-256 "));
        for (text, why) in [
            ("not base64 !", "not base64"),
            ("AAAA", "not a P-256 public key"),
            // An RSA key's `SubjectPublicKeyInfo` start.
            (
                "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
                "not a P-256 public key",
            ),
        ] {
            let refused = WebhookKey::parse(text).unwrap_err();
            assert_eq!(refused.code(), "WH001");
            assert_eq!(refused.http_status(), 500);
            assert!(refused.to_string().contains(why), "{refused}");
        }
        // The right prefix, a compressed point.
        let mut compressed = SPKI_P256_PREFIX.to_vec();
        compressed.push(0x02);
        compressed.extend_from_slice(&[7; 64]);
        let refused = WebhookKey::parse(&STANDARD.encode(compressed)).unwrap_err();
        assert!(refused.to_string().contains("uncompressed"), "{refused}");
    }
}
