//! Choosing how a message goes out: the user's SMTP server when the account
//! has one, otherwise the application's default provider. A permanent
//! refusal by the user's server is never silently retried through the
//! default provider (that would change who the message comes from) unless
//! the application's policy says so; transient failures are retried with
//! backoff within a bound.

use std::future::Future;

use courriel_core::failure::{Failure, FailureKind};

use crate::dsn::DefaultProvider;
use crate::email::{Email, Rendered};
use crate::pool::SmtpPool;
use crate::sendgrid::{Retry, send_sendgrid};
use crate::smtp::{Receipt, SmtpConnection, SmtpSettings};

/// Which transport sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// The user's own SMTP server.
    Smtp,
    /// The default provider, SendGrid's API.
    SendGrid,
    /// The default provider, an SMTP relay ([`DefaultProvider::SmtpRelay`]):
    /// not the user's server, so never the user's provider filing its own
    /// copy.
    Relay,
}

impl Transport {
    /// `smtp` or `sendgrid`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Smtp => "smtp",
            Transport::SendGrid => "sendgrid",
            Transport::Relay => "relay",
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
    /// The bytes to file in the Sent folder (with Bcc), shared: those of
    /// the rendering that went out.
    pub archived: std::sync::Arc<Vec<u8>>,
    /// Whether it went out as [`Route::on_behalf`]'s email.
    pub on_behalf: bool,
}

/// A step the caller runs just before a message is handed over: on SMTP
/// once `MAIL FROM` and `RCPT TO` were accepted, right before `DATA`; for
/// the default provider right before each HTTP request. An error aborts the
/// send before any byte of the message is transmitted (after `RSET` on
/// SMTP) and is returned as the send's failure.
///
/// It may be called more than once for one message (once per attempt when
/// a transient failure is retried): it must be idempotent. `()` does
/// nothing.
///
/// `message` is what leaves: the same rendering on every attempt, another
/// one when the message goes out through the default provider on the
/// user's behalf ([`Route::on_behalf`]) after the user's server refused it.
pub trait Handover: Sync {
    /// Runs before `message` leaves through `transport`.
    fn before_handover(
        &self,
        transport: Transport,
        message: &Rendered,
    ) -> impl Future<Output = Result<(), Failure>> + Send;
}

impl Handover for () {
    async fn before_handover(&self, _: Transport, _: &Rendered) -> Result<(), Failure> {
        Ok(())
    }
}

/// How a message goes out: the user's SMTP server when given, the default
/// provider otherwise, as `policy` allows.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    /// The user's SMTP server.
    pub smtp: Option<&'a SmtpSettings>,
    /// The application's default provider.
    pub default: Option<&'a DefaultProvider>,
    /// What the application allows.
    pub policy: &'a Policy,
    /// The email as it goes out through the default provider, when it
    /// differs: sent on the user's behalf ([`Email::on_behalf`]), with the
    /// same Message-ID. `None`: the same email either way.
    pub on_behalf: Option<&'a Email>,
    /// The application's id of the account, sent to the default provider
    /// with the message so that its events come back tied to it
    /// (SendGrid's API: a custom argument, see [`crate::events`]).
    /// SendGrid keeps it: it should be opaque (a database key, not an
    /// address or a file path). `None`: not sent.
    pub account: Option<&'a str>,
}

impl Route<'_> {
    /// The transport tried first: the user's server, else the default
    /// provider (`None`: neither, nothing can be sent).
    #[must_use]
    pub fn first_transport(&self) -> Option<Transport> {
        match (self.smtp, self.default) {
            (Some(_), _) => Some(Transport::Smtp),
            (None, Some(DefaultProvider::SendGridApi(_))) => Some(Transport::SendGrid),
            (None, Some(DefaultProvider::SmtpRelay { .. })) => Some(Transport::Relay),
            (None, None) => None,
        }
    }
}

/// Sends `email`, rendered once by the caller as `rendered`, through
/// `route`'s SMTP server when given (on a new connection), else through
/// its default provider; `handover` runs just before the message leaves.
///
/// Through SendGrid's API, [`Route::account`] and the Message-ID travel as
/// custom arguments, so that its Event Webhook's events come back tied to
/// them ([`crate::events`]).
pub async fn deliver(
    route: Route<'_>,
    email: &Email,
    rendered: Rendered,
    handover: &impl Handover,
) -> Result<Sent, Failure> {
    let smtp = route.smtp.map(Smtp::Direct);
    deliver_with(smtp, route, email, rendered, handover).await
}

/// Like [`deliver`], through a connection of `account`'s in `pool`.
pub async fn deliver_pooled(
    pool: &SmtpPool,
    account: &str,
    route: Route<'_>,
    email: &Email,
    rendered: Rendered,
    handover: &impl Handover,
) -> Result<Sent, Failure> {
    let smtp = route.smtp.map(|s| Smtp::Pooled(pool, account, s));
    deliver_with(smtp, route, email, rendered, handover).await
}

/// A handover told the transport is `.0`, whatever the connection says.
struct AsTransport<'a, H>(Transport, &'a H);

impl<H: Handover> Handover for AsTransport<'_, H> {
    async fn before_handover(&self, _: Transport, message: &Rendered) -> Result<(), Failure> {
        self.1.before_handover(self.0, message).await
    }
}

/// How the user's server is reached.
enum Smtp<'a> {
    /// A connection of its own.
    Direct(&'a SmtpSettings),
    /// A connection of the account's in a pool.
    Pooled(&'a SmtpPool, &'a str, &'a SmtpSettings),
}

impl Smtp<'_> {
    async fn send(
        &self,
        rendered: &Rendered,
        handover: &impl Handover,
    ) -> Result<Receipt, Failure> {
        match self {
            Smtp::Direct(settings) => {
                let mut connection = SmtpConnection::open(settings).await?;
                let receipt = connection.send(rendered, handover).await;
                connection.close().await;
                receipt
            }
            Smtp::Pooled(pool, account, settings) => {
                pool.send(account, settings, rendered, handover).await
            }
        }
    }
}

async fn deliver_with(
    smtp: Option<Smtp<'_>>,
    route: Route<'_>,
    email: &Email,
    rendered: Rendered,
    handover: &impl Handover,
) -> Result<Sent, Failure> {
    let policy = route.policy;
    let via_default = |rendered: Rendered| async move {
        let (email, rendered) = match route.on_behalf {
            None => (email, rendered),
            Some(on_behalf) => {
                let again = on_behalf
                    .render_at(std::time::SystemTime::now(), Some(&rendered.message_id))
                    .map_err(|e| Failure::new(FailureKind::EmailInvalid).arg("detail", e))?;
                (on_behalf, again)
            }
        };
        let (transport, receipt) = match route.default {
            None => return Err(Failure::new(FailureKind::SendgridNotConfigured)),
            Some(DefaultProvider::SendGridApi(settings)) => (
                Transport::SendGrid,
                send_sendgrid(settings, email, &rendered, route.account, handover).await?,
            ),
            Some(DefaultProvider::SmtpRelay { settings, .. }) => {
                // The relay speaks SMTP, but the handover must know the
                // message is not going through the user's own server.
                let handover = AsTransport(Transport::Relay, handover);
                let receipt = Smtp::Direct(settings).send(&rendered, &handover).await?;
                (Transport::Relay, receipt)
            }
        };
        Ok(Sent {
            transport,
            receipt,
            archived: rendered.archived,
            on_behalf: route.on_behalf.is_some(),
        })
    };
    let Some(smtp) = smtp else {
        return via_default(rendered).await;
    };
    let attempts = policy.smtp_retry.attempts.max(1);
    let mut wait = policy.smtp_retry.base;
    let mut attempt = 1;
    loop {
        match smtp.send(&rendered, handover).await {
            Ok(receipt) => {
                return Ok(Sent {
                    transport: Transport::Smtp,
                    receipt,
                    archived: rendered.archived,
                    on_behalf: false,
                });
            }
            Err(failure) if failure.kind.is_retryable() && attempt < attempts => {
                tokio::time::sleep(wait.min(policy.smtp_retry.max_wait)).await;
                wait = wait.saturating_mul(2);
                attempt += 1;
            }
            // A message that may have been delivered is never sent again.
            Err(failure)
                if policy.fallback_on_permanent_failure
                    && !failure.kind.is_retryable()
                    && !failure.may_have_been_delivered() =>
            {
                return via_default(rendered).await;
            }
            Err(failure) => return Err(failure),
        }
    }
}
