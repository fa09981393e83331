//! [`PgTokenStore`] (cargo feature `postgres`): OAuth2 grants in
//! PostgreSQL, beside the spool, so that application servers on many
//! machines share them and renew each account's tokens one at a time.
//!
//! The rows live in `courriel_oauth2_grants` (one per provider and user,
//! the grant's stored JSON as text), created by the spool's migrations;
//! connecting, TLS and the migrations are courriel-archive's
//! (`spool::PgGrantTable`). The refresh lock is a session-level advisory
//! lock on a connection of its own, waited for at most the lock timeout
//! and released when that connection closes: when the lock is dropped, or
//! when its process dies.

use std::time::Duration;

use courriel_archive::spool::{PgGrantLock, PgGrantTable};
use courriel_core::failure::Failure;

use super::store::{
    Grant, GrantKey, MAX_STORED, RefreshLock, StoreFuture, TokenStore, store_failure,
};

/// How long the refresh lock is waited for by default.
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Grants in a PostgreSQL database, shared by every process connected to
/// it. Cheap to clone; `Debug` shows the database without its password.
#[derive(Debug, Clone)]
pub struct PgTokenStore {
    table: PgGrantTable,
    lock_timeout: Duration,
}

/// A held advisory lock (its connection).
struct PgLock {
    _held: PgGrantLock,
}

impl RefreshLock for PgLock {}

impl PgTokenStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`,
    /// as for the spool: TLS required for a server not on this machine,
    /// `sslrootcert=` for a private CA) and creates or upgrades the
    /// tables. Fails with OA009 naming the database, never its password.
    pub async fn connect(url: &str) -> Result<PgTokenStore, Failure> {
        let table = PgGrantTable::connect(url).await.map_err(store_failure)?;
        Ok(PgTokenStore {
            table,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        })
    }

    /// This store, waiting at most `timeout` for a refresh lock
    /// (default 60 s) before failing with OA009.
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> PgTokenStore {
        self.lock_timeout = timeout;
        self
    }

    /// The database, as messages name it (without password).
    #[must_use]
    pub fn location(&self) -> &str {
        self.table.location()
    }

    /// A failure about `key`'s row.
    fn row_failure(&self, key: &GrantKey, why: impl std::fmt::Display) -> Failure {
        store_failure(format_args!(
            "the grant of {key} in courriel_oauth2_grants ({}): {why}",
            self.location()
        ))
    }
}

impl TokenStore for PgTokenStore {
    fn load<'a>(&'a self, key: &'a GrantKey) -> StoreFuture<'a, Option<Grant>> {
        Box::pin(async move {
            let text = match self.table.load(&key.provider, &key.user, MAX_STORED).await {
                Ok(Some(text)) => text,
                Ok(None) => return Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    return Err(self.row_failure(key, e));
                }
                Err(e) => return Err(store_failure(e)),
            };
            let grant = Grant::from_stored(&text).map_err(|why| self.row_failure(key, why))?;
            if grant.key() != *key {
                return Err(
                    self.row_failure(key, format_args!("holds the grant of {}", grant.key()))
                );
            }
            Ok(Some(grant))
        })
    }

    fn save<'a>(&'a self, grant: &'a Grant) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.table
                .save(&grant.provider, &grant.user, &grant.to_stored())
                .await
                .map_err(store_failure)
        })
    }

    fn delete<'a>(&'a self, key: &'a GrantKey) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.table
                .delete(&key.provider, &key.user)
                .await
                .map_err(store_failure)
        })
    }

    fn lock<'a>(&'a self, key: &'a GrantKey) -> StoreFuture<'a, Box<dyn RefreshLock>> {
        Box::pin(async move {
            match self
                .table
                .lock(&key.provider, &key.user, self.lock_timeout)
                .await
            {
                Ok(held) => Ok(Box::new(PgLock { _held: held }) as Box<dyn RefreshLock>),
                Err(e) => Err(store_failure(format_args!(
                    "the refresh lock of {key}: {e}"
                ))),
            }
        })
    }
}
