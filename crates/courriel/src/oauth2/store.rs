//! Where OAuth2 authorizations are kept between runs: the [`TokenStore`]
//! an application implements (or takes: [`FileStore`](super::FileStore),
//! a directory of private files; `PgTokenStore`, beside the spool in
//! PostgreSQL), the [`Grant`] it keeps per account, and the refresh lock
//! that lets one renewal run at a time per account across every process
//! sharing the store (two processes renewing with the same rotating
//! refresh token would invalidate each other at some providers).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use courriel_core::failure::{Failure, FailureKind};
use secrecy::{ExposeSecret as _, SecretString};

/// A boxed future, as the store's methods return (the trait is used as
/// `dyn TokenStore`).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Failure>> + Send + 'a>>;

/// Names one account's authorization in a store: the catalog's provider
/// id and the login (the mail address, most often).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GrantKey {
    /// The catalog's provider id (`microsoft365`).
    pub provider: String,
    /// The login the tokens sign in as.
    pub user: String,
}

impl GrantKey {
    /// The key of `user` at `provider`.
    pub fn new(provider: impl Into<String>, user: impl Into<String>) -> GrantKey {
        GrantKey {
            provider: provider.into(),
            user: user.into(),
        }
    }

    /// A stable name made of letters, digits and `-` only, for file names
    /// and lock ids: the provider id, then a digest of both parts.
    #[must_use]
    pub fn file_stem(&self) -> String {
        use sha2::{Digest as _, Sha256};
        let digest = Sha256::digest(format!("{}\0{}", self.provider, self.user).as_bytes());
        let provider: String = self
            .provider
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(40)
            .collect();
        format!("{provider}-{}", courriel_net::hex(&digest[..16]))
    }
}

impl fmt::Display for GrantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.user, self.provider)
    }
}

/// One account's OAuth2 authorization: its tokens and what they are for.
/// `Debug` shows no token; there is no `Serialize`: a store writes it with
/// [`Grant::to_stored`], the one place its tokens leave as text.
#[derive(Clone)]
pub struct Grant {
    /// The catalog's provider id.
    pub provider: String,
    /// The application's client id the tokens were issued to.
    pub client_id: String,
    /// The login the tokens sign in as.
    pub user: String,
    /// Microsoft's directory the user signed in to, when the provider has one.
    pub tenant: Option<String>,
    /// The access token.
    pub access_token: SecretString,
    /// When the access token expires, if the provider said.
    pub expires_at: Option<SystemTime>,
    /// The refresh token, if the provider gave one (rotated ones replace it).
    pub refresh_token: Option<SecretString>,
    /// The scopes granted (as the provider said, else as asked).
    pub scopes: Vec<String>,
    /// When the user signed in.
    pub signed_in_at: SystemTime,
    /// When the tokens were last renewed.
    pub refreshed_at: Option<SystemTime>,
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grant")
            .field("provider", &self.provider)
            .field("client_id", &self.client_id)
            .field("user", &self.user)
            .field("tenant", &self.tenant)
            .field("access_token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("scopes", &self.scopes)
            .field("signed_in_at", &self.signed_in_at)
            .field("refreshed_at", &self.refreshed_at)
            .finish()
    }
}

/// The stored form: JSON, times in seconds since the epoch.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    version: u32,
    provider: String,
    client_id: String,
    user: String,
    #[serde(default)]
    tenant: Option<String>,
    access_token: String,
    #[serde(default)]
    expires_at: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    signed_in_at: u64,
    #[serde(default)]
    refreshed_at: Option<u64>,
}

fn seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

fn time(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

/// The largest stored grant read back (tokens of a few KiB each).
pub const MAX_STORED: usize = 64 * 1024;

impl Grant {
    /// The JSON a store keeps, tokens included: for a token store only,
    /// which must keep it private (a file only its owner reads, a table
    /// only the application's role reads).
    #[must_use]
    pub fn to_stored(&self) -> String {
        let stored = Stored {
            version: 1,
            provider: self.provider.clone(),
            client_id: self.client_id.clone(),
            user: self.user.clone(),
            tenant: self.tenant.clone(),
            access_token: self.access_token.expose_secret().to_string(),
            expires_at: self.expires_at.map(seconds),
            refresh_token: self
                .refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_string()),
            scopes: self.scopes.clone(),
            signed_in_at: seconds(self.signed_in_at),
            refreshed_at: self.refreshed_at.map(seconds),
        };
        serde_json::to_string(&stored).unwrap_or_default()
    }

    /// A grant from what [`Grant::to_stored`] wrote. The error says what
    /// is wrong, never with a token.
    pub fn from_stored(text: &str) -> Result<Grant, String> {
        if text.len() > MAX_STORED {
            return Err(format!("over {MAX_STORED} bytes"));
        }
        let stored: Stored = serde_json::from_str(text).map_err(|e| {
            format!(
                "not a stored grant (line {}, column {}: {:?})",
                e.line(),
                e.column(),
                e.classify()
            )
        })?;
        if stored.version != 1 {
            return Err(format!("version {} is not known", stored.version));
        }
        Ok(Grant {
            provider: stored.provider,
            client_id: stored.client_id,
            user: stored.user,
            tenant: stored.tenant,
            access_token: SecretString::from(stored.access_token),
            expires_at: stored.expires_at.map(time),
            refresh_token: stored.refresh_token.map(SecretString::from),
            scopes: stored.scopes,
            signed_in_at: time(stored.signed_in_at),
            refreshed_at: stored.refreshed_at.map(time),
        })
    }

    /// The key this grant is stored under.
    #[must_use]
    pub fn key(&self) -> GrantKey {
        GrantKey::new(&self.provider, &self.user)
    }
}

/// Held while one process renews an account's tokens; dropping it lets the
/// next one in.
pub trait RefreshLock: Send {}

/// Where grants are kept. Implemented by the application for its own
/// storage, or taken from courriel ([`FileStore`](super::FileStore);
/// `PgTokenStore`, cargo feature `postgres`).
///
/// Every method fails with a [`Failure`] of kind
/// [`FailureKind::OAuth2TokenStore`] (OA009, temporary) when the store
/// cannot be read or written.
pub trait TokenStore: Send + Sync {
    /// The grant stored under `key`, if any.
    fn load<'a>(&'a self, key: &'a GrantKey) -> StoreFuture<'a, Option<Grant>>;

    /// Stores `grant` under its key, replacing what was there; durable
    /// when it returns.
    fn save<'a>(&'a self, grant: &'a Grant) -> StoreFuture<'a, ()>;

    /// Removes the grant of `key` (signing out); nothing when there is none.
    fn delete<'a>(&'a self, key: &'a GrantKey) -> StoreFuture<'a, ()>;

    /// Waits for, then holds, the refresh lock of `key`: one holder at a
    /// time across every process using the store. Released when the
    /// returned lock is dropped, or when its process dies.
    fn lock<'a>(&'a self, key: &'a GrantKey) -> StoreFuture<'a, Box<dyn RefreshLock>>;
}

/// The store's failure: OA009 with `detail`.
#[must_use]
pub fn store_failure(detail: impl fmt::Display) -> Failure {
    Failure::new(FailureKind::OAuth2TokenStore).arg("detail", detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            provider: "microsoft365".into(),
            client_id: "client-1".into(),
            user: "isabelle@example.fr".into(),
            tenant: Some("organizations".into()),
            access_token: SecretString::from("eyJ-access-secret".to_string()),
            expires_at: Some(time(1_900_000_000)),
            refresh_token: Some(SecretString::from("refresh-secret".to_string())),
            scopes: vec!["https://outlook.office.com/SMTP.Send".into()],
            signed_in_at: time(1_800_000_000),
            refreshed_at: None,
        }
    }

    #[test]
    fn a_grant_round_trips_through_its_stored_form_and_debug_hides_tokens() {
        let g = grant();
        let back = Grant::from_stored(&g.to_stored()).unwrap();
        assert_eq!(back.to_stored(), g.to_stored());
        assert_eq!(back.access_token.expose_secret(), "eyJ-access-secret");
        let shown = format!("{g:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("isabelle@example.fr"));
    }

    #[test]
    fn a_bad_stored_grant_says_why_without_its_tokens() {
        let text = g_with_version(7);
        assert_eq!(
            Grant::from_stored(&text).unwrap_err(),
            "version 7 is not known"
        );
        let broken = grant().to_stored().replace("\"user\"", "\"usr\"");
        let e = Grant::from_stored(&broken).unwrap_err();
        assert!(e.starts_with("not a stored grant (line 1"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        assert!(Grant::from_stored(&" ".repeat(MAX_STORED + 1)).is_err());
    }

    fn g_with_version(v: u32) -> String {
        grant()
            .to_stored()
            .replace("\"version\":1", &format!("\"version\":{v}"))
    }

    #[test]
    fn file_stems_are_plain_and_distinct() {
        let a = GrantKey::new("microsoft365", "a@example.fr").file_stem();
        let b = GrantKey::new("microsoft365", "b@example.fr").file_stem();
        assert_ne!(a, b);
        assert!(a.starts_with("microsoft365-"));
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        let odd = GrantKey::new("../../etc", "x").file_stem();
        assert!(
            odd.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{odd}"
        );
    }
}
