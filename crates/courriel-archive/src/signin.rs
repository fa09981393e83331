//! Signing in to an IMAP server with an OAuth2 token: `AUTHENTICATE
//! XOAUTH2` or `OAUTHBEARER` (RFC 7628) through async-imap's
//! `Client::authenticate`, with the initial response on the command line
//! when the server offers SASL-IR (RFC 4959), else after its go-ahead.
//!
//! async-imap logs every line it sends at trace level, so it never sees
//! the token: it is given a stand-in (on the command line, or as the
//! authenticator's answer, which it base64-encodes), and the guard under
//! it writes the base64 of the real initial response in its place. When
//! the server refuses the token it sends its JSON error as a challenge;
//! the authenticator keeps it and answers as each mechanism wants (an
//! empty line, or `AQ==`), so the server ends with its own `NO` and
//! words. A refused token is renewed once and tried again on the same
//! connection.

use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use courriel_core::failure::{Failure, FailureKind};
use courriel_core::provider::SaslMechanism;
use courriel_net::{AccessToken, BearerError, TokenSource};
use secrecy::{ExposeSecret as _, SecretString};

use crate::extension::{self, Imap, bounded};
use crate::guard::{Guarded, StandIn};
use crate::settings::ImapSettings;

/// async-imap's client before login.
type Client = async_imap::Client<Guarded>;

/// What async-imap's `authenticate` calls with each challenge.
struct Answers {
    mechanism: SaslMechanism,
    /// The stand-in for the initial response, when it goes after the
    /// server's empty go-ahead (no SASL-IR).
    initial: Option<Vec<u8>>,
    /// The server's error, when it sent one.
    error: Arc<Mutex<Option<BearerError>>>,
}

impl async_imap::Authenticator for Answers {
    type Response = Vec<u8>;

    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        if challenge.is_empty()
            && let Some(initial) = self.initial.take()
        {
            return initial;
        }
        // Anything else is the server's error (or nonsense): answered so
        // that it ends the exchange with its refusal.
        if let Some(error) = BearerError::parse(challenge) {
            *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
        }
        courriel_net::answer_to_error(self.mechanism).to_vec()
    }
}

/// The server's capabilities before login that matter here: the
/// mechanisms it offers (`AUTH=...`, upper case) and whether it takes an
/// initial response on the command line.
pub(crate) struct Offered {
    pub(crate) mechanisms: Vec<String>,
    pub(crate) sasl_ir: bool,
}

impl Offered {
    /// From capability words (upper case).
    pub(crate) fn from_words(words: &[String]) -> Offered {
        Offered {
            mechanisms: words
                .iter()
                .filter_map(|w| w.strip_prefix("AUTH="))
                .map(str::to_string)
                .collect(),
            sasl_ir: words.iter().any(|w| w == "SASL-IR"),
        }
    }
}

/// Signs in on `client` with a token from `source`; renews a refused
/// token once. `failure` makes a failure with the server's host and port.
pub(crate) async fn sign_in(
    settings: &ImapSettings,
    mut client: Client,
    offered: &Offered,
    source: &dyn TokenSource,
    failure: &(dyn Fn(FailureKind) -> Failure + Sync),
    trouble: &(dyn Fn(extension::Trouble) -> Failure + Sync),
) -> Result<Imap, Failure> {
    let Some(mechanism) = courriel_net::choose_mechanism(&source.mechanisms(), &offered.mechanisms)
    else {
        return Err(failure(FailureKind::OAuth2NoUsableMechanism)
            .arg("protocol", "IMAP")
            .arg("user", &settings.username)
            .arg(
                "offered",
                courriel_net::shown_mechanisms(&offered.mechanisms),
            ));
    };
    let limit = settings.timeouts.command;
    let mut token = source.token().await?;
    let mut renewed = false;
    loop {
        let (command, answers, stand_in, error) =
            prepare(settings, mechanism, &token, offered.sasl_ir);
        client.get_mut().arm(stand_in);
        let result = bounded(limit, async {
            Ok(client.authenticate(command, answers).await)
        })
        .await
        .map_err(trouble)?;
        let (e, back) = match result {
            Ok(mut imap) => {
                imap.get_mut().disarm();
                tracing::debug!(
                    host = %settings.host,
                    port = settings.port,
                    user = %settings.username,
                    mechanism = mechanism.sasl_name(),
                    "IMAP: signed in with OAuth2"
                );
                return Ok(imap);
            }
            Err(refused) => refused,
        };
        client = back;
        client.get_mut().disarm();
        let words = extension::refusal(e).map_err(trouble)?;
        let error = error.lock().unwrap_or_else(PoisonError::into_inner).take();
        if renewed {
            return Err(failure(FailureKind::OAuth2TokenRefused)
                .arg("protocol", "IMAP")
                .arg("user", &settings.username)
                .arg("detail", BearerError::detail(words, error.as_ref())));
        }
        tracing::debug!(
            host = %settings.host,
            user = %settings.username,
            refusal = %words,
            "IMAP: token refused; renewing it once"
        );
        token = source.refused(&token).await?;
        renewed = true;
    }
}

/// The AUTHENTICATE command async-imap sends, its authenticator, the
/// stand-in the guard replaces, and where the server's error will be.
fn prepare(
    settings: &ImapSettings,
    mechanism: SaslMechanism,
    token: &AccessToken,
    sasl_ir: bool,
) -> (String, Answers, StandIn, Arc<Mutex<Option<BearerError>>>) {
    let initial = courriel_net::initial_response(
        mechanism,
        &settings.username,
        &settings.host,
        settings.port,
        token,
    );
    let encoded = SecretString::from(BASE64.encode(initial.expose_secret()));
    let error = Arc::new(Mutex::new(None));
    let name = mechanism.sasl_name();
    if sasl_ir {
        let stand_in = StandIn::new(encoded);
        let command = format!("{name} {}", stand_in.stand_in);
        let answers = Answers {
            mechanism,
            initial: None,
            error: error.clone(),
        };
        (command, answers, stand_in, error)
    } else {
        // async-imap base64-encodes the authenticator's answer: the guard
        // looks for the encoded stand-in.
        let mut stand_in = StandIn::new(encoded);
        let raw = std::mem::take(&mut stand_in.stand_in);
        stand_in.stand_in = BASE64.encode(&raw);
        let answers = Answers {
            mechanism,
            initial: Some(raw.into_bytes()),
            error: error.clone(),
        };
        (name.to_string(), answers, stand_in, error)
    }
}
