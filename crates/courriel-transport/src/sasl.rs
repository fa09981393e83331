//! Signing in to an SMTP server with an OAuth2 token: XOAUTH2 or
//! OAUTHBEARER (RFC 7628) over lettre's low-level connection.
//!
//! lettre's own `auth` does not fit: it always puts the token on the AUTH
//! line (Postfix cuts command lines over 2,048 bytes, `line_length_limit`,
//! which a token of 1,500 characters fills once in base64, and Microsoft's
//! are longer; the line after its 334 may be 12,288 bytes,
//! `smtpd_sasl_response_limit`), it takes the server's error challenge
//! for a mechanism that "does not expect a challenge" and loses the
//! server's words, and it does not know OAUTHBEARER. So we write the
//! commands on our own handle of the stream (so no token passes through
//! lettre, whose `tracing` feature would log it) and read each reply with
//! lettre's `read_response`:
//! - the initial response on the AUTH line only when the line fits in 512
//!   bytes (RFC 4954, section 4), otherwise after the server's `334`;
//! - a `334` carrying the server's JSON error is answered (an empty line
//!   for XOAUTH2, `AQ==` for OAUTHBEARER) so the exchange ends with the
//!   server's refusal and its text;
//! - a refused token is renewed once ([`TokenSource::refused`]) and tried
//!   again on the same connection.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use courriel_core::failure::{Failure, FailureKind};
use courriel_core::provider::SaslMechanism;
use courriel_net::{AccessToken, BearerError, TokenSource};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::response::{Response, Severity};
use secrecy::ExposeSecret as _;
use tokio::io::AsyncWriteExt as _;

use crate::smtp::{Failures as _, SmtpSettings, Tls, plain, said};
use crate::wire::Wire;

/// The longest command line, CRLF included (RFC 4954, section 4).
pub(crate) const MAX_AUTH_LINE: usize = 512;

/// How one AUTH exchange ended.
enum Outcome {
    /// `235`: signed in.
    Accepted,
    /// Refused: the server's final reply, and the error it sent as a
    /// challenge before it, when it sent one.
    Refused {
        reply: String,
        error: Option<BearerError>,
    },
}

/// Signs in on `conn` with a token from `source`, by the first of the
/// source's mechanisms that the server offers (`offered`, from EHLO);
/// renews a refused token once.
pub(crate) async fn sign_in(
    s: &SmtpSettings,
    conn: &mut AsyncSmtpConnection,
    wire: &Wire<Tls>,
    offered: &[String],
    source: &dyn TokenSource,
) -> Result<(), Failure> {
    let Some(mechanism) = courriel_net::choose_mechanism(&source.mechanisms(), offered) else {
        return Err(s
            .failure(FailureKind::OAuth2NoUsableMechanism)
            .arg("protocol", "SMTP")
            .arg("offered", courriel_net::shown_mechanisms(offered)));
    };
    let mut token = source.token().await?;
    let mut renewed = false;
    loop {
        match exchange(s, conn, wire, mechanism, &token).await? {
            Outcome::Accepted => {
                tracing::debug!(
                    host = %s.host,
                    port = s.port,
                    user = %s.username,
                    mechanism = mechanism.sasl_name(),
                    "SMTP: signed in with OAuth2"
                );
                return Ok(());
            }
            Outcome::Refused { reply, error } => {
                if let Some(kind) = crate::refusal::login_refusal(&reply) {
                    return Err(s.failure(kind).arg("detail", reply));
                }
                if renewed {
                    return Err(s
                        .failure(FailureKind::OAuth2TokenRefused)
                        .arg("protocol", "SMTP")
                        .arg("detail", BearerError::detail(reply, error.as_ref())));
                }
                tracing::debug!(
                    host = %s.host,
                    user = %s.username,
                    reply = %reply,
                    "SMTP: token refused; renewing it once"
                );
                token = source.refused(&token).await?;
                renewed = true;
            }
        }
    }
}

/// One AUTH exchange with `token`.
async fn exchange(
    s: &SmtpSettings,
    conn: &mut AsyncSmtpConnection,
    wire: &Wire<Tls>,
    mechanism: SaslMechanism,
    token: &AccessToken,
) -> Result<Outcome, Failure> {
    let initial = courriel_net::initial_response(mechanism, &s.username, &s.host, s.port, token);
    let encoded = secrecy::SecretString::from(BASE64.encode(initial.expose_secret()));
    let name = mechanism.sasl_name();
    let with_initial = format!("AUTH {name} ").len() + encoded.expose_secret().len() + 2;
    let first = if with_initial <= MAX_AUTH_LINE {
        let line = format!("AUTH {name} {}\r\n", encoded.expose_secret());
        command(s, conn, wire, line.as_bytes()).await?
    } else {
        // Too long for the AUTH line: the server asks for it with an
        // empty challenge.
        match command(s, conn, wire, format!("AUTH {name}\r\n").as_bytes()).await? {
            Ok(r) if r.has_code(334) => {
                let line = format!("{}\r\n", encoded.expose_secret());
                command(s, conn, wire, line.as_bytes()).await?
            }
            other => other,
        }
    };
    match first {
        Ok(r) if r.code().severity == Severity::PositiveCompletion => Ok(Outcome::Accepted),
        Ok(r) if r.has_code(334) => {
            // The server's error, as a challenge: answered, so that it
            // says its refusal.
            let challenge = r.message().next().unwrap_or("").trim();
            let error = BASE64
                .decode(challenge)
                .ok()
                .and_then(|json| BearerError::parse(&json));
            let answer = format!(
                "{}\r\n",
                BASE64.encode(courriel_net::answer_to_error(mechanism))
            );
            match command(s, conn, wire, answer.as_bytes()).await? {
                Err(e) => refused(s, &e, error),
                Ok(r) => Err(unexpected(s, &r)),
            }
        }
        Ok(r) => Err(unexpected(s, &r)),
        Err(e) => refused(s, &e, None),
    }
}

/// A refusal of the exchange: temporary (454: the server's own
/// authentication service is down), broken, or the server's no.
fn refused(
    s: &SmtpSettings,
    e: &lettre::transport::smtp::Error,
    error: Option<BearerError>,
) -> Result<Outcome, Failure> {
    if e.is_transient() {
        return Err(s
            .failure(FailureKind::SmtpTemporary)
            .arg("detail", plain(e)));
    }
    if e.status().is_none() {
        return Err(s
            .failure(FailureKind::SmtpUnexpected)
            .arg("detail", plain(e)));
    }
    Ok(Outcome::Refused {
        reply: plain(e),
        error,
    })
}

fn unexpected(s: &SmtpSettings, r: &Response) -> Failure {
    s.failure(FailureKind::SmtpUnexpected)
        .arg("detail", format!("“{}” to AUTH", said(r)))
}

/// Writes `line` on our handle of the stream and reads the reply with
/// lettre, within the command bound. The outer error is a timeout or a
/// broken write; the inner one lettre's reading of a refusal.
async fn command(
    s: &SmtpSettings,
    conn: &mut AsyncSmtpConnection,
    wire: &Wire<Tls>,
    line: &[u8],
) -> Result<Result<Response, lettre::transport::smtp::Error>, Failure> {
    let limit = s.timeouts.command;
    let mut ours = wire.handle();
    let exchange = async {
        ours.write_all(line).await?;
        ours.flush().await?;
        Ok::<_, std::io::Error>(conn.read_response().await)
    };
    match tokio::time::timeout(limit, exchange).await {
        Err(_) => Err(s.timeout("AUTH", limit)),
        Ok(Err(e)) => Err(s
            .failure(FailureKind::SmtpUnexpected)
            .arg("detail", courriel_net::describe_io(&e))),
        Ok(Ok(reply)) => Ok(reply),
    }
}
