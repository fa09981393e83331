//! OAuth2 grants beside the spool in PostgreSQL (cargo feature
//! `postgres`): the table `courriel_oauth2_grants` (migration 4), one row
//! of stored text per provider and user, and a per-account advisory lock.
//!
//! The rows are opaque here: the facade's `PgTokenStore` writes and reads
//! them (its `Grant`'s stored JSON, tokens included). This module only
//! connects (the spool's connection code: TLS away from loopback, no
//! password in messages), migrates, and keeps the rows; the lock is a
//! session-level `pg_advisory_lock` on a connection of its own, so a
//! process that dies (its connection closed) lets go of it.

use std::time::Duration;

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::postgres::{PgOptions, PgStore};

/// The class id of the grants' advisory locks (`oa2g` in ASCII): their
/// two-key form never meets the migrations' one-key lock.
const LOCK_CLASS: i32 = 0x6f61_3267;

/// The grants table in a PostgreSQL database, shared by every process
/// that connects to it. Cheap to clone.
#[derive(Clone)]
pub struct PgGrantTable {
    store: PgStore,
    location: String,
}

impl std::fmt::Debug for PgGrantTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgGrantTable")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// A held advisory lock: its connection. Dropping it closes the
/// connection, which releases the lock.
pub struct PgGrantLock {
    _client: Client,
}

impl std::fmt::Debug for PgGrantLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgGrantLock")
    }
}

/// The advisory lock key of `provider` and `user`: the first four bytes
/// of a SHA-256 digest (two accounts sharing one only wait for each other).
fn lock_key(provider: &str, user: &str) -> i32 {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(format!("{provider}\0{user}").as_bytes());
    i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

impl PgGrantTable {
    /// Connects to the database at `url` (as [`PgStore::connect`] does:
    /// `postgres://user:password@host/db`, TLS required off loopback) and
    /// creates or upgrades the schema, the grants table included.
    pub async fn connect(url: &str) -> std::io::Result<PgGrantTable> {
        let options = PgOptions {
            connections: 2,
            ..PgOptions::default()
        };
        let store = PgStore::connect(url, options).await?;
        let location = super::SpoolStore::location(&store);
        Ok(PgGrantTable { store, location })
    }

    /// The database, as messages name it (`postgres://user@host:port/db`,
    /// never with a password).
    #[must_use]
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The text stored for `provider` and `user`, if any. A row longer
    /// than `max` bytes is an error (`InvalidData`), and is not read.
    pub async fn load(
        &self,
        provider: &str,
        user: &str,
        max: usize,
    ) -> std::io::Result<Option<String>> {
        let client = self.store.client().await?;
        let max = i32::try_from(max).unwrap_or(i32::MAX);
        let row = client
            .query_opt(
                "SELECT CASE WHEN octet_length(stored) <= $3 THEN stored END,
                        octet_length(stored)
                 FROM courriel_oauth2_grants WHERE provider = $1 AND user_name = $2",
                &[&provider, &user, &max],
            )
            .await
            .map_err(|e| self.store.err(&e))?;
        let Some(row) = row else { return Ok(None) };
        match row.get::<_, Option<String>>(0) {
            Some(text) => Ok(Some(text)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} bytes, over the {max} read", row.get::<_, i32>(1)),
            )),
        }
    }

    /// Stores `stored` for `provider` and `user`, replacing what was
    /// there; committed (durably) when it returns.
    pub async fn save(&self, provider: &str, user: &str, stored: &str) -> std::io::Result<()> {
        let client = self.store.client().await?;
        client
            .execute(
                "INSERT INTO courriel_oauth2_grants (provider, user_name, stored)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (provider, user_name)
                 DO UPDATE SET stored = EXCLUDED.stored, updated_at = now()",
                &[&provider, &user, &stored],
            )
            .await
            .map_err(|e| self.store.err(&e))?;
        Ok(())
    }

    /// Removes the row of `provider` and `user`; nothing when there is none.
    pub async fn delete(&self, provider: &str, user: &str) -> std::io::Result<()> {
        let client = self.store.client().await?;
        client
            .execute(
                "DELETE FROM courriel_oauth2_grants WHERE provider = $1 AND user_name = $2",
                &[&provider, &user],
            )
            .await
            .map_err(|e| self.store.err(&e))?;
        Ok(())
    }

    /// Waits for, then holds, the advisory lock of `provider` and `user`,
    /// on a connection of its own: one holder at a time among every
    /// process connected to the database. Released when the returned lock
    /// is dropped (its connection closes) or its process dies. After
    /// `timeout` (PostgreSQL's `lock_timeout`), fails with `TimedOut`.
    pub async fn lock(
        &self,
        provider: &str,
        user: &str,
        timeout: Duration,
    ) -> std::io::Result<PgGrantLock> {
        let client = self.store.open_client(self.store.config()).await?;
        // 0 would mean no bound at all.
        let millis = timeout.as_millis().clamp(1, i32::MAX as u128);
        client
            .batch_execute(&format!("SET lock_timeout = {millis}"))
            .await
            .map_err(|e| self.store.err(&e))?;
        match client
            .execute(
                "SELECT pg_advisory_lock($1, $2)",
                &[&LOCK_CLASS, &lock_key(provider, user)],
            )
            .await
        {
            Ok(_) => Ok(PgGrantLock { _client: client }),
            Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "PostgreSQL {}: another process holds the lock (waited {:.1} s)",
                    self.location,
                    timeout.as_secs_f64()
                ),
            )),
            Err(e) => Err(self.store.err(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_differ_by_account_and_are_stable() {
        assert_ne!(lock_key("gmail", "a@x"), lock_key("gmail", "b@x"));
        assert_ne!(lock_key("gmail", "a@x"), lock_key("microsoft365", "a@x"));
        // Fixed: every build (every version in a fleet) must agree.
        assert_eq!(lock_key("gmail", "a@x"), 252_663_542);
        assert_ne!(LOCK_CLASS, 0);
    }
}
