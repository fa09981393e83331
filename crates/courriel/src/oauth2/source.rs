//! [`StoredTokens`]: one account's tokens as IMAP and SMTP connections
//! get them (`courriel_net::TokenSource`), from its grant in a
//! [`TokenStore`], renewed ahead of their expiry.
//!
//! At most one renewal runs per account: within the process, callers wait
//! on the account's own mutex; across processes, the renewal holds the
//! store's refresh lock and reads the grant again under it, so a process
//! that waited finds the tokens another one renewed and uses them rather
//! than renewing with a refresh token that rotation already spent.
//!
//! When a renewal fails, the stored grant is left as it was: kept, neither
//! deleted nor changed. After a temporary failure (OA005: the provider
//! did not answer, answered 5xx or something that is not a token) the
//! token in hand is used while it has not expired, and a later call tries
//! to renew again (see below). After a refusal (OA002: `invalid_grant`,
//! the sign-in was revoked or expired) the grant stays for the
//! application to show whose sign-in must be made again (and for another
//! process that may have renewed it meanwhile: a refusal never deletes
//! what another saved); the user's new sign-in replaces it.
//!
//! A renewal that failed is not tried again at once with the same refresh
//! token: for 5 seconds after a first failure, then twice as long after
//! each next one, up to 5 minutes ([`StoredTokens::retry_renewal_after`]),
//! calls get the same answer without asking the provider (a token in hand
//! that has not expired, or the failure). A provider that is down is not
//! hammered by every send, and sends do not each wait for its timeout.
//! A new grant in the store (the user signed in again, another process
//! renewed) is used at once.
//!
//! When a renewal succeeds but the store fails to save it (OA009: the
//! database or the disk is down), the renewal is not lost: its rotated
//! refresh token may be the only one the provider still takes. It is kept
//! in hand and used (the mail goes out), later renewals start from it, and
//! each call saves it again until the store takes it. Other processes
//! sharing the store meanwhile see the old grant; they cannot save either.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use courriel_core::failure::{Failure, FailureKind};
use courriel_core::provider::SaslMechanism;
use courriel_net::{AccessToken, TokenFuture, TokenSource};
use secrecy::{ExposeSecret, SecretString};

use super::flow::SignIn;
use super::store::{Grant, GrantKey, TokenStore};

/// Tokens are renewed this long before they expire, by default.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(300);

/// After a failed renewal, the provider is not asked again with the same
/// refresh token for this long at first, by default; the wait doubles
/// with each next failure, up to [`MAX_RETRY_RENEWAL_AFTER`].
pub const DEFAULT_RETRY_RENEWAL_AFTER: Duration = Duration::from_secs(5);

/// The longest wait between two renewals that fail.
pub const MAX_RETRY_RENEWAL_AFTER: Duration = Duration::from_secs(300);

/// One account's OAuth2 tokens, kept in a store and renewed as needed.
pub struct StoredTokens {
    sign_in: SignIn,
    store: Arc<dyn TokenStore>,
    key: GrantKey,
    margin: Duration,
    retry_after: Duration,
    /// The grant last read or renewed; its lock is the account's own
    /// turn within the process.
    current: tokio::sync::Mutex<Option<InHand>>,
    /// The last renewal that failed, while it stands (changed only under
    /// `current`'s lock).
    failed: std::sync::Mutex<Option<Failed>>,
}

/// A renewal that failed: with which refresh token, when, how long it
/// stands, and its failure.
struct Failed {
    refresh_token: Option<SecretString>,
    at: Instant,
    wait: Duration,
    failure: Failure,
}

impl Failed {
    /// Whether it was a renewal with `refresh_token`.
    fn with(&self, refresh_token: Option<&SecretString>) -> bool {
        self.refresh_token.as_ref().map(ExposeSecret::expose_secret)
            == refresh_token.map(ExposeSecret::expose_secret)
    }

    /// Whether it still answers for a renewal with `refresh_token`.
    fn stands_for(&self, refresh_token: Option<&SecretString>) -> bool {
        self.at.elapsed() < self.wait && self.with(refresh_token)
    }
}

/// The grant in hand, and whether the store has it yet: a renewal the
/// store failed to save is kept here (its rotated refresh token may be the
/// only one still valid), used, renewed from, and saved again at each call
/// until the store takes it.
struct InHand {
    grant: Grant,
    unsaved: bool,
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens")
            .field("key", &self.key)
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl StoredTokens {
    /// The tokens of `user`, signed in through `sign_in`, kept in `store`.
    pub fn new(sign_in: SignIn, store: Arc<dyn TokenStore>, user: &str) -> StoredTokens {
        StoredTokens {
            key: GrantKey::new(sign_in.provider_id(), user),
            sign_in,
            store,
            margin: DEFAULT_MARGIN,
            retry_after: DEFAULT_RETRY_RENEWAL_AFTER,
            current: tokio::sync::Mutex::new(None),
            failed: std::sync::Mutex::new(None),
        }
    }

    /// After a failed renewal, waits this long before asking the provider
    /// again with the same refresh token (default 5 seconds), twice as
    /// long after each next failure, up to 5 minutes; meanwhile calls get
    /// the token in hand while it has not expired, else the failure.
    #[must_use]
    pub fn retry_renewal_after(mut self, wait: Duration) -> StoredTokens {
        self.retry_after = wait;
        self
    }

    /// Renews tokens this long before they expire (default 5 minutes).
    #[must_use]
    pub fn margin(mut self, margin: Duration) -> StoredTokens {
        self.margin = margin;
        self
    }

    /// The key of the grant in the store.
    #[must_use]
    pub fn key(&self) -> &GrantKey {
        &self.key
    }

    /// The grant as stored now (`None` when the user has not signed in).
    pub async fn stored(&self) -> Result<Option<Grant>, Failure> {
        self.store.load(&self.key).await
    }

    /// Whether `grant` can be used now: not about to expire, and not the
    /// token a server just refused.
    fn usable(&self, grant: &Grant, refused: Option<&AccessToken>) -> bool {
        Self::valid_for(grant, self.margin, refused)
    }

    /// Whether `grant`'s token has not expired yet, margin aside (and is
    /// not the one refused).
    fn unexpired(grant: &Grant, refused: Option<&AccessToken>) -> bool {
        Self::valid_for(grant, Duration::ZERO, refused)
    }

    /// Whether `grant`'s token is valid for `margin` more at least, and is
    /// not `refused`.
    fn valid_for(grant: &Grant, margin: Duration, refused: Option<&AccessToken>) -> bool {
        let fresh = grant
            .expires_at
            .is_none_or(|at| at > SystemTime::now() + margin);
        let refused = refused
            .is_some_and(|r| r.secret().expose_secret() == grant.access_token.expose_secret());
        fresh && !refused
    }

    fn token_of(grant: &Grant) -> AccessToken {
        AccessToken::new(
            grant.access_token.expose_secret().to_string(),
            grant.expires_at,
        )
    }

    fn not_signed_in(&self) -> Failure {
        Failure::new(FailureKind::OAuth2NotSignedIn)
            .arg("provider", self.sign_in.provider_name())
            .arg("user", &self.key.user)
    }

    /// A token to use: the one in hand, the one in the store, or a renewed
    /// one, in that order, never `refused`.
    async fn get(&self, refused: Option<&AccessToken>) -> Result<AccessToken, Failure> {
        let mut current = self.current.lock().await;
        if let Some(held) = current.as_mut()
            && held.unsaved
        {
            self.save(held).await;
        }
        if let Some(held) = current.as_ref()
            && self.usable(&held.grant, refused)
        {
            return Ok(Self::token_of(&held.grant));
        }
        // A renewal the store does not have yet is the newest: renew from
        // it (the store's refresh token may be spent).
        if let Some(held) = current.as_ref().filter(|h| h.unsaved) {
            let _lock = self.store.lock(&self.key).await.ok();
            let newest = held.grant.clone();
            return self.renew(&mut current, newest, refused).await;
        }
        // Another process may have renewed it: the store first, then the
        // store again under its lock, where the renewal may just have been
        // made; only then renew.
        let mut lock = None;
        let stored = loop {
            let stored = self
                .store
                .load(&self.key)
                .await?
                .ok_or_else(|| self.not_signed_in())?;
            if self.usable(&stored, refused) {
                let token = Self::token_of(&stored);
                *current = Some(InHand {
                    grant: stored,
                    unsaved: false,
                });
                return Ok(token);
            }
            if lock.is_some() {
                break stored;
            }
            lock = Some(self.store.lock(&self.key).await?);
        };
        self.renew(&mut current, stored, refused).await
    }

    /// Saves the renewal in hand; when the store refuses it, it stays in
    /// hand, unsaved, and the next call tries again.
    async fn save(&self, held: &mut InHand) {
        match self.store.save(&held.grant).await {
            Ok(()) => held.unsaved = false,
            Err(failure) => tracing::error!(
                account = %self.key,
                code = failure.code(),
                "OAuth2: renewed tokens not saved, kept in memory and saved again at the next use: {}",
                failure.render(courriel_core::account::Lang::En)
            ),
        }
    }

    /// Renews `stored` (under the store's lock), keeps and saves the
    /// renewal. When the store refuses the save, the renewal is kept in
    /// hand and used all the same (the mail goes out); it is saved again at
    /// each call until the store takes it.
    async fn renew(
        &self,
        current: &mut Option<InHand>,
        stored: Grant,
        refused: Option<&AccessToken>,
    ) -> Result<AccessToken, Failure> {
        let renewed = match self.refresh(&stored).await {
            Ok(renewed) => renewed,
            // Renewed ahead of expiry, so a provider down for now need not
            // stop anything: the token in hand serves until it expires.
            Err(failure) if failure.is_temporary() && Self::unexpired(&stored, refused) => {
                tracing::warn!(
                    account = %self.key,
                    code = failure.code(),
                    "OAuth2: tokens not renewed for now; the current ones are still valid"
                );
                let token = Self::token_of(&stored);
                let unsaved = current.as_ref().is_some_and(|h| h.unsaved);
                *current = Some(InHand {
                    grant: stored,
                    unsaved,
                });
                return Ok(token);
            }
            Err(failure) => return Err(failure),
        };
        let mut held = InHand {
            grant: renewed,
            unsaved: true,
        };
        self.save(&mut held).await;
        let renewed = &held.grant;
        tracing::debug!(
            account = %self.key,
            rotated = renewed.refresh_token.as_ref().map(ExposeSecret::expose_secret)
                != stored.refresh_token.as_ref().map(ExposeSecret::expose_secret),
            "OAuth2: tokens renewed"
        );
        let token = Self::token_of(renewed);
        *current = Some(held);
        Ok(token)
    }

    /// Asks the provider to renew `stored`, unless a renewal with the same
    /// refresh token failed a moment ago: then that failure, as it stands.
    async fn refresh(&self, stored: &Grant) -> Result<Grant, Failure> {
        let refresh_token = stored.refresh_token.as_ref();
        let previous = {
            let failed = self.failed.lock().expect("the failed renewal");
            if let Some(failed) = failed.as_ref().filter(|f| f.stands_for(refresh_token)) {
                tracing::debug!(
                    account = %self.key,
                    code = failed.failure.code(),
                    "OAuth2: the last renewal failed a moment ago; not asking the provider again yet"
                );
                return Err(failed.failure.clone());
            }
            // The wait after the last failure, when it was this refresh
            // token's: the next one is twice as long.
            failed
                .as_ref()
                .filter(|f| f.with(refresh_token))
                .map(|f| f.wait)
        };
        let result = self.sign_in.refresh(stored).await;
        let mut failed = self.failed.lock().expect("the failed renewal");
        match &result {
            Ok(_) => *failed = None,
            Err(failure) => {
                *failed = Some(Failed {
                    refresh_token: refresh_token.cloned(),
                    at: Instant::now(),
                    wait: previous
                        .map_or(self.retry_after, |w| w.saturating_mul(2))
                        .min(MAX_RETRY_RENEWAL_AFTER.max(self.retry_after)),
                    failure: failure.clone(),
                });
            }
        }
        result
    }
}

impl TokenSource for StoredTokens {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(self.get(None))
    }

    fn refused<'a>(&'a self, token: &'a AccessToken) -> TokenFuture<'a> {
        Box::pin(self.get(Some(token)))
    }

    fn id(&self) -> String {
        format!(
            "{}\0{}\0{}",
            self.key.provider,
            self.key.user,
            self.sign_in.client().client_id
        )
    }

    fn mechanisms(&self) -> Vec<SaslMechanism> {
        self.sign_in.facts().mechanisms.clone()
    }
}

/// The OAuth2 sign-in an account's settings ask for (`[oauth2]` in an
/// account file): the provider named there, else the provider of the SMTP
/// server (else the IMAP server) in `catalog`; the application's client
/// from the variables named (`client_id_env`, `client_secret_env`).
/// `Ok(None)` when the settings do not ask for OAuth2; OA011 when the
/// provider is unknown, has no OAuth2, or the client id is not set.
pub fn sign_in_for(
    settings: &courriel_core::account::AccountSettings,
    catalog: &courriel_presets::Catalog,
    options: &super::HttpOptions,
) -> Result<Option<SignIn>, Failure> {
    let Some(input) = &settings.oauth2 else {
        return Ok(None);
    };
    let hosts = [
        settings.smtp.as_ref().and_then(|s| s.host.clone()),
        settings.imap.as_ref().and_then(|i| i.host.clone()),
    ];
    let provider = match &input.provider {
        Some(id) => catalog.get(id.trim()),
        None => hosts
            .iter()
            .flatten()
            .find_map(|host| catalog.lookup_host(host.trim())),
    };
    let named = input
        .provider
        .clone()
        .or_else(|| hosts.iter().flatten().next().cloned())
        .unwrap_or_else(|| "?".into());
    let not_configured =
        |name: &str| Failure::new(FailureKind::OAuth2ClientNotConfigured).arg("provider", name);
    let Some(provider) = provider.filter(|p| p.oauth2.is_some()) else {
        return Err(not_configured(&named));
    };
    let read = |name: &Option<String>| {
        let value = std::env::var(name.as_deref()?.trim()).ok()?;
        (!value.is_empty()).then_some(value)
    };
    let client_id = read(&input.client_id_env).ok_or_else(|| not_configured(&provider.name))?;
    let mut client = super::OAuth2Client::new(&provider.id, client_id);
    if let Some(secret) = read(&input.client_secret_env) {
        client = client.with_secret(secret);
    }
    if let Some(tenant) = input
        .tenant
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        client = client.with_tenant(tenant);
    }
    SignIn::new(provider, client, options).map(Some)
}

/// The login an account signs in as: the SMTP username, else the IMAP
/// one, else the sender.
#[must_use]
pub fn login_of(settings: &courriel_core::account::AccountSettings) -> Option<String> {
    settings
        .smtp
        .as_ref()
        .and_then(|s| s.username.clone())
        .or_else(|| settings.imap.as_ref().and_then(|i| i.username.clone()))
        .or_else(|| settings.sender.clone())
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
}
