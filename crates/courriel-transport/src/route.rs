//! Choosing how a message goes out: the user's SMTP server when the account
//! has one, otherwise the application's default provider. A permanent
//! refusal by the user's server is never silently retried through the
//! default provider (that would change who the message comes from) unless
//! the application's policy says so; transient failures are retried with
//! backoff within a bound.

use courriel_core::failure::{Arg, Failure, FailureKind};

use crate::email::{Email, Rendered};
use crate::pool::SmtpPool;
use crate::sendgrid::{Retry, SendGridSettings, send_sendgrid};
use crate::smtp::{Receipt, SmtpSettings, send};

/// Which transport sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// The user's own SMTP server.
    Smtp,
    /// The default provider, SendGrid's API.
    SendGrid,
}

impl Transport {
    /// `smtp` or `sendgrid`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Smtp => "smtp",
            Transport::SendGrid => "sendgrid",
        }
    }
}

/// What the application allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// Send through the default provider when the user's server refuses
    /// for good (off by default: it changes the sending identity).
    pub fallback_on_permanent_failure: bool,
    /// Retries of transient SMTP failures.
    pub smtp_retry: Retry,
}

/// A message sent: how, the receipt, and the exact bytes to file in Sent.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Sent {
    /// The transport used.
    pub transport: Transport,
    /// What the server said, per recipient.
    pub receipt: Receipt,
    /// The bytes to file in the Sent folder (with Bcc).
    pub archived: Vec<u8>,
}

/// Whether retrying cannot send the message twice and may succeed: the
/// failure happened before the message was handed over, or the server
/// refused it for now. A timeout while transmitting is not retried: the
/// server may have accepted it.
fn retryable(failure: &Failure) -> bool {
    let in_data = failure
        .args()
        .iter()
        .any(|(name, value)| *name == "step" && *value == Arg::Text("DATA".into()));
    match failure.kind {
        FailureKind::SmtpTimeout => !in_data,
        FailureKind::SmtpTemporary | FailureKind::SmtpRefused => true,
        _ => false,
    }
}

/// Sends `email`, rendered once by the caller as `rendered`, through
/// `smtp` when given (on a new connection), else through `default`.
pub async fn deliver(
    smtp: Option<&SmtpSettings>,
    default: Option<&SendGridSettings>,
    policy: &Policy,
    email: &Email,
    rendered: Rendered,
) -> Result<Sent, Failure> {
    deliver_with(smtp.map(Smtp::Direct), default, policy, email, rendered).await
}

/// Like [`deliver`], through a connection of `account`'s in `pool`.
pub async fn deliver_pooled(
    pool: &SmtpPool,
    account: &str,
    smtp: Option<&SmtpSettings>,
    default: Option<&SendGridSettings>,
    policy: &Policy,
    email: &Email,
    rendered: Rendered,
) -> Result<Sent, Failure> {
    deliver_with(
        smtp.map(|s| Smtp::Pooled(pool, account, s)),
        default,
        policy,
        email,
        rendered,
    )
    .await
}

/// How the user's server is reached.
enum Smtp<'a> {
    /// A connection of its own.
    Direct(&'a SmtpSettings),
    /// A connection of the account's in a pool.
    Pooled(&'a SmtpPool, &'a str, &'a SmtpSettings),
}

impl Smtp<'_> {
    async fn send(&self, rendered: &Rendered) -> Result<Receipt, Failure> {
        match self {
            Smtp::Direct(settings) => send(settings, rendered).await,
            Smtp::Pooled(pool, account, settings) => pool.send(account, settings, rendered).await,
        }
    }
}

async fn deliver_with(
    smtp: Option<Smtp<'_>>,
    default: Option<&SendGridSettings>,
    policy: &Policy,
    email: &Email,
    rendered: Rendered,
) -> Result<Sent, Failure> {
    let via_default = |rendered: Rendered| async move {
        let Some(default) = default else {
            return Err(Failure::new(FailureKind::SendgridNotConfigured));
        };
        let receipt = send_sendgrid(default, email, &rendered).await?;
        Ok(Sent {
            transport: Transport::SendGrid,
            receipt,
            archived: rendered.archived,
        })
    };
    let Some(smtp) = smtp else {
        return via_default(rendered).await;
    };
    let attempts = policy.smtp_retry.attempts.max(1);
    let mut wait = policy.smtp_retry.base;
    let mut attempt = 1;
    loop {
        match smtp.send(&rendered).await {
            Ok(receipt) => {
                return Ok(Sent {
                    transport: Transport::Smtp,
                    receipt,
                    archived: rendered.archived,
                });
            }
            Err(failure) if retryable(&failure) && attempt < attempts => {
                tokio::time::sleep(wait.min(policy.smtp_retry.max_wait)).await;
                wait = wait.saturating_mul(2);
                attempt += 1;
            }
            Err(failure) if policy.fallback_on_permanent_failure && !retryable(&failure) => {
                return via_default(rendered).await;
            }
            Err(failure) => return Err(failure),
        }
    }
}
