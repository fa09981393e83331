//! How a login proves itself: a password, or OAuth2 bearer tokens from a
//! [`TokenSource`] (the facade's sign-in refreshes and stores them), and
//! the SASL messages that carry a token to IMAP and SMTP servers: XOAUTH2
//! (Google's and Microsoft's) and OAUTHBEARER (RFC 7628).
//!
//! Both protocols sign in the same way: the first mechanism of the
//! source's list that the server offers ([`choose_mechanism`]), the token
//! in an [`initial_response`], and, when the server refuses it, the error
//! it sends as a challenge ([`BearerError`]) answered so that the exchange
//! ends with the server's own refusal ([`answer_to_error`]); then one new
//! token from [`TokenSource::refused`] and one more try.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use courriel_core::failure::Failure;
use courriel_core::provider::SaslMechanism;
use secrecy::{ExposeSecret, SecretString};

/// What a login signs in with.
#[derive(Clone)]
pub enum Secret {
    /// A password, an app password or an API key.
    Password(SecretString),
    /// OAuth2 bearer tokens, from a source that renews them.
    OAuth2(Arc<dyn TokenSource>),
}

impl Secret {
    /// A password.
    pub fn password(password: impl Into<String>) -> Secret {
        Secret::Password(SecretString::from(password.into()))
    }

    /// The password, when the login signs in with one.
    #[must_use]
    pub fn as_password(&self) -> Option<&SecretString> {
        match self {
            Secret::Password(p) => Some(p),
            Secret::OAuth2(_) => None,
        }
    }

    /// The token source, when the login signs in with OAuth2.
    #[must_use]
    pub fn as_oauth2(&self) -> Option<&Arc<dyn TokenSource>> {
        match self {
            Secret::Password(_) => None,
            Secret::OAuth2(source) => Some(source),
        }
    }

    /// What enters a connection's fingerprint: a digest of the password,
    /// or the token source's identity (tokens change with every renewal;
    /// a connection signed in with an older one stays the same account's).
    pub(crate) fn fingerprint_part(&self) -> Vec<u8> {
        use sha2::{Digest as _, Sha256};
        match self {
            // As before OAuth2 came: folder lists cached under it stay found.
            Secret::Password(p) => Sha256::digest(p.expose_secret().as_bytes()).to_vec(),
            Secret::OAuth2(source) => {
                let mut part = b"oauth2\0".to_vec();
                part.extend_from_slice(&Sha256::digest(source.id().as_bytes()));
                part
            }
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Password([REDACTED])"),
            Secret::OAuth2(source) => write!(f, "OAuth2({})", source.id()),
        }
    }
}

/// An OAuth2 access token. `Debug` shows only when it expires.
#[derive(Clone)]
pub struct AccessToken {
    token: SecretString,
    expires_at: Option<SystemTime>,
}

impl AccessToken {
    /// A token, and when it expires if the provider said.
    pub fn new(token: impl Into<String>, expires_at: Option<SystemTime>) -> AccessToken {
        AccessToken {
            token: SecretString::from(token.into()),
            expires_at,
        }
    }

    /// The token, still wrapped.
    #[must_use]
    pub fn secret(&self) -> &SecretString {
        &self.token
    }

    /// When it expires, if known.
    #[must_use]
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Whether this is the same token as `other`.
    #[must_use]
    pub fn same_as(&self, other: &AccessToken) -> bool {
        self.token.expose_secret() == other.token.expose_secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A token, or the failure that kept one from being had (with its code:
/// the user must sign in again, the provider could not be reached...).
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<AccessToken, Failure>> + Send + 'a>>;

/// Where a connection gets the OAuth2 access token it signs in with.
///
/// The facade's implementation renews tokens ahead of their expiry, saves
/// rotated refresh tokens, and lets one renewal run at a time per account,
/// across every process sharing its store.
pub trait TokenSource: Send + Sync {
    /// A token to sign in with now.
    fn token(&self) -> TokenFuture<'_>;

    /// The server refused `token`: a renewed one (unless another caller
    /// renewed it meanwhile, then that one).
    fn refused<'a>(&'a self, token: &'a AccessToken) -> TokenFuture<'a>;

    /// Names the account and its authorization (not secret; no token):
    /// enters connection fingerprints and logs.
    fn id(&self) -> String;

    /// The mechanisms the provider takes, preferred first; empty when not
    /// known (then OAUTHBEARER, else XOAUTH2, as the server offers).
    fn mechanisms(&self) -> Vec<SaslMechanism>;
}

/// The mechanism to sign in with: the first of `preferred` (or, when
/// empty, OAUTHBEARER then XOAUTH2) among those the server `offered`
/// (upper case, as announced).
#[must_use]
pub fn choose_mechanism(preferred: &[SaslMechanism], offered: &[String]) -> Option<SaslMechanism> {
    let default = [SaslMechanism::OAuthBearer, SaslMechanism::XOAuth2];
    let preferred = if preferred.is_empty() {
        &default[..]
    } else {
        preferred
    };
    preferred.iter().copied().find(|m| {
        offered
            .iter()
            .any(|o| o.eq_ignore_ascii_case(m.sasl_name()))
    })
}

/// The mechanisms a server offered, for a message: `none`, or them.
#[must_use]
pub fn shown_mechanisms(offered: &[String]) -> String {
    if offered.is_empty() {
        "none".to_string()
    } else {
        offered.join(" ")
    }
}

/// The client's first message for `mechanism` (before base64): XOAUTH2's
/// `user=U^Aauth=Bearer T^A^A`, or OAUTHBEARER's GS2 header with the user
/// (`,` and `=` escaped as RFC 5801 says), host and port, then
/// `auth=Bearer T^A^A`.
#[must_use]
pub fn initial_response(
    mechanism: SaslMechanism,
    user: &str,
    host: &str,
    port: u16,
    token: &AccessToken,
) -> SecretString {
    let token = token.secret().expose_secret();
    SecretString::from(match mechanism {
        SaslMechanism::OAuthBearer => {
            let user = user.replace('=', "=3D").replace(',', "=2C");
            format!("n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
        }
        // `SaslMechanism` may grow; XOAUTH2 is the one left.
        _ => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
    })
}

/// What the client answers to the server's error challenge, so that the
/// server ends the exchange with its refusal: nothing for XOAUTH2, a
/// single `^A` for OAUTHBEARER (RFC 7628, section 3.2.3).
#[must_use]
pub fn answer_to_error(mechanism: SaslMechanism) -> &'static [u8] {
    match mechanism {
        SaslMechanism::OAuthBearer => b"\x01",
        _ => b"",
    }
}

/// The error a server sends as a challenge when it refuses a token (RFC
/// 7628, section 3.2.2; Google's and Microsoft's XOAUTH2 send the same
/// JSON): `{"status":"invalid_token","scope":"...","schemes":"bearer"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerError {
    /// `invalid_token`, `insufficient_scope`, or an HTTP status (`401`).
    pub status: String,
    /// The scope the server needs, when it said.
    pub scope: Option<String>,
}

impl BearerError {
    /// From the challenge's decoded bytes; `None` when it is not that
    /// JSON object (a server may send anything: only the two fields are
    /// read, each bounded).
    #[must_use]
    pub fn parse(challenge: &[u8]) -> Option<BearerError> {
        #[derive(serde::Deserialize)]
        struct Raw {
            status: Option<serde_json::Value>,
            scope: Option<String>,
        }
        if challenge.len() > 4096 {
            return None;
        }
        let raw: Raw = serde_json::from_slice(challenge).ok()?;
        let status = match raw.status? {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        let clip = |s: String| s.chars().take(200).collect::<String>();
        Some(BearerError {
            status: clip(status),
            scope: raw.scope.map(clip),
        })
    }

    /// The server's final refusal `words`, with the error it sent before
    /// when it sent one: `535 5.7.8 ... (invalid_token (scope mail))`.
    #[must_use]
    pub fn detail(words: String, error: Option<&BearerError>) -> String {
        match error {
            Some(error) => format!("{words} ({})", error.describe()),
            None => words,
        }
    }

    /// In plain words for a failure's detail: `invalid_token (scope
    /// https://mail.google.com/)`.
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.scope {
            Some(scope) => format!("{} (scope {scope})", self.status),
            None => self.status.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_responses_follow_each_mechanism() {
        let token = AccessToken::new("ya29.tok", None);
        let x = initial_response(SaslMechanism::XOAuth2, "jean@example.org", "h", 1, &token);
        assert_eq!(
            x.expose_secret(),
            "user=jean@example.org\x01auth=Bearer ya29.tok\x01\x01"
        );
        let o = initial_response(
            SaslMechanism::OAuthBearer,
            "a,b=c@example.org",
            "imap.example.org",
            993,
            &token,
        );
        assert_eq!(
            o.expose_secret(),
            "n,a=a=2Cb=3Dc@example.org,\x01host=imap.example.org\x01port=993\x01auth=Bearer ya29.tok\x01\x01"
        );
        assert_eq!(answer_to_error(SaslMechanism::OAuthBearer), b"\x01");
        assert_eq!(answer_to_error(SaslMechanism::XOAuth2), b"");
    }

    #[test]
    fn the_mechanism_is_the_first_preferred_one_offered() {
        use SaslMechanism::{OAuthBearer, XOAuth2};
        let offered = |s: &[&str]| s.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            choose_mechanism(
                &[XOAuth2, OAuthBearer],
                &offered(&["PLAIN", "OAUTHBEARER", "XOAUTH2"])
            ),
            Some(XOAuth2)
        );
        assert_eq!(
            choose_mechanism(&[], &offered(&["XOAUTH2", "OAUTHBEARER"])),
            Some(OAuthBearer)
        );
        assert_eq!(choose_mechanism(&[], &offered(&["xoauth2"])), Some(XOAuth2));
        assert_eq!(
            choose_mechanism(&[XOAuth2], &offered(&["OAUTHBEARER", "PLAIN"])),
            None
        );
    }

    #[test]
    fn bearer_errors_are_read_from_json_and_nothing_else() {
        let e =
            BearerError::parse(br#"{"status":"invalid_token","schemes":"bearer","scope":"mail"}"#)
                .expect("parsed");
        assert_eq!(e.status, "invalid_token");
        assert_eq!(e.describe(), "invalid_token (scope mail)");
        let google = BearerError::parse(
            br#"{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}"#,
        )
        .expect("parsed");
        assert_eq!(google.status, "401");
        let numeric = BearerError::parse(br#"{"status":400}"#).expect("parsed");
        assert_eq!(numeric.status, "400");
        assert_eq!(BearerError::parse(b"not json"), None);
        assert_eq!(BearerError::parse(br#"{"scope":"x"}"#), None);
        let huge = format!(r#"{{"status":"{}"}}"#, "x".repeat(5000));
        assert_eq!(BearerError::parse(huge.as_bytes()), None);
    }

    #[test]
    fn debug_shows_no_secret() {
        let token = AccessToken::new("ya29.secret-token", None);
        assert!(!format!("{token:?}").contains("secret-token"));
        let secret = Secret::password("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
