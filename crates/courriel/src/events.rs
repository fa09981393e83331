//! What became of messages sent through the default provider: SendGrid's
//! Event Webhook, verified and read into typed events.
//!
//! Through the user's own SMTP server a bounce comes back to the user's
//! mailbox and nothing here is needed. Through SendGrid's API it goes to
//! SendGrid, which POSTs events to a URL of the application. Every message
//! the [`Mailer`](crate::Mailer) sends through SendGrid carries its
//! Message-ID and its account's id ([`Account::id`](crate::Account::id))
//! as custom arguments, and SendGrid puts them back in each event:
//! [`DeliveryEvent::message_id`] and [`DeliveryEvent::account`] (either may
//! be missing: a message sent by other software, an account id too long
//! for SendGrid's limit, an event SendGrid makes without them).
//!
//! An application's handler verifies the request (the signature over the
//! timestamp and the raw body, the timestamp recent), then acts on each
//! event once ([`RecentEvents`] drops those posted again), and answers
//! the status [`WebhookError::http_status`] gives, 2xx when the events
//! were read (even those it does not know: SendGrid would retry anything
//! else for hours).
//!
//! ```
//! use courriel::events::{EventWebhook, RecentEvents, WebhookError, WebhookKey};
//! use courriel::events::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
//!
//! /// `POST /webhooks/sendgrid`: the two headers and the raw body (read
//! /// within `courriel::events::MAX_BODY`), answered with a status.
//! fn sendgrid_events(
//!     webhook: &EventWebhook,
//!     seen: &mut RecentEvents,
//!     signature: Option<&str>,
//!     timestamp: Option<&str>,
//!     body: &[u8],
//! ) -> u16 {
//!     let events = match webhook.verify(signature, timestamp, body) {
//!         Ok(events) => events,
//!         Err(e) => {
//!             eprintln!("SendGrid webhook refused: {e}");
//!             return e.http_status();
//!         }
//!     };
//!     for event in events.iter().filter(|e| seen.first_time(e)) {
//!         // The application's own records: which account, which message.
//!         let (Some(account), Some(message_id)) = (&event.account, &event.message_id) else {
//!             continue; // not sent by courriel, or not tied to an account
//!         };
//!         if event.kind.is_failure() {
//!             // Bounced, blocked, dropped, or marked as spam: tell the user
//!             // of `account` that `message_id` did not reach
//!             // `event.recipient`, and why (`event.reason`).
//!             let _ = (account, message_id, &event.recipient, &event.reason);
//!         }
//!     }
//!     200
//! }
//!
//! # let key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
//! // The verification key SendGrid shows for the webhook (public).
//! let webhook = EventWebhook::new(WebhookKey::parse(key).unwrap());
//! let mut seen = RecentEvents::new(10_000);
//! // A request without SendGrid's signature is refused.
//! assert_eq!(sendgrid_events(&webhook, &mut seen, None, Some("1765100100"), b"[]"), 401);
//! # let _ = (SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookError::BadSignature);
//! ```

pub use courriel_transport::events::{
    CUSTOM_ARG_ACCOUNT, CUSTOM_ARG_MESSAGE_ID, DeliveryEvent, EventKind, EventWebhook, MAX_BODY,
    RecentEvents, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookError, WebhookKey,
};
