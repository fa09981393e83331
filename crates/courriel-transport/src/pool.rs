//! Connections reused per account, bounded: at most `max_per_account`
//! connections to one account's server at a time (providers cut off
//! clients that open too many), idle ones closed after `idle_expiry`, and
//! at most `max_idle` idle connections kept across all accounts (the
//! longest idle closed first): an application sending once each for
//! thousands of users does not hold a connection, and a server process,
//! for every one of them (Postfix serves 100 connections per service by
//! default; the 101st would wait for one to close). One slow or dead
//! account holds only its own permits, never another's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use courriel_core::failure::Failure;
use tokio::sync::Semaphore;

use crate::email::Rendered;
use crate::route::Handover;
use crate::smtp::{Receipt, SmtpConnection, SmtpSettings};

#[derive(Default)]
struct Account {
    permits: Option<Arc<Semaphore>>,
    idle: Vec<(SmtpConnection, Instant)>,
}

/// SMTP connections pooled per account.
pub struct SmtpPool {
    max_per_account: usize,
    idle_expiry: Duration,
    max_idle: usize,
    accounts: Mutex<HashMap<String, Account>>,
    opened: AtomicUsize,
    /// When idle connections of every account were last looked over.
    swept: Mutex<Instant>,
}

impl std::fmt::Debug for SmtpPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpPool")
            .field("max_per_account", &self.max_per_account)
            .field("idle_expiry", &self.idle_expiry)
            .field("max_idle", &self.max_idle)
            .field("opened", &self.opened.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Says goodbye (QUIT) to `connections` in the background: the caller is
/// sending.
fn close_in_background(connections: Vec<SmtpConnection>) {
    if !connections.is_empty() {
        tokio::spawn(async move {
            for connection in connections {
                connection.close().await;
            }
        });
    }
}

impl SmtpPool {
    /// Idle connections kept across all accounts unless said otherwise.
    pub const MAX_IDLE: usize = 64;

    /// A pool keeping at most `max_per_account` connections per account,
    /// closing those idle longer than `idle_expiry`, and keeping at most
    /// [`SmtpPool::MAX_IDLE`] idle connections in all.
    #[must_use]
    pub fn new(max_per_account: usize, idle_expiry: Duration) -> SmtpPool {
        SmtpPool {
            max_per_account: max_per_account.max(1),
            idle_expiry,
            max_idle: Self::MAX_IDLE,
            accounts: Mutex::new(HashMap::new()),
            opened: AtomicUsize::new(0),
            swept: Mutex::new(Instant::now()),
        }
    }

    /// At most `max_idle` idle connections kept across all accounts (0:
    /// none, every connection closed after its send).
    #[must_use]
    pub fn with_max_idle(mut self, max_idle: usize) -> SmtpPool {
        self.max_idle = max_idle;
        self
    }

    /// Closes the idle connections of every account that have expired, at
    /// most once a second: an application serving thousands of accounts
    /// does not keep a connection open for each one that sent once.
    fn sweep(&self) {
        let now = Instant::now();
        {
            let Ok(mut swept) = self.swept.lock() else {
                return;
            };
            if now.duration_since(*swept) < Duration::from_secs(1) {
                return;
            }
            *swept = now;
        }
        let mut expired = Vec::new();
        if let Ok(mut accounts) = self.accounts.lock() {
            for account in accounts.values_mut() {
                let (keep, old): (Vec<_>, Vec<_>) = std::mem::take(&mut account.idle)
                    .into_iter()
                    .partition(|(_, at)| now.duration_since(*at) < self.idle_expiry);
                account.idle = keep;
                expired.extend(old.into_iter().map(|(c, _)| c));
            }
            // An account with nothing idle and no send under way (its
            // permits held by nobody else) is forgotten: the map does not
            // grow with every account that ever sent.
            accounts.retain(|_, account| {
                !account.idle.is_empty()
                    || account
                        .permits
                        .as_ref()
                        .is_some_and(|p| Arc::strong_count(p) > 1)
            });
        }
        close_in_background(expired);
    }

    /// Keeps `connection` idle for `key`; past `max_idle` idle connections
    /// in all, the one idle longest is closed (in the background).
    fn keep_idle(&self, key: String, connection: SmtpConnection) {
        let Ok(mut accounts) = self.accounts.lock() else {
            return;
        };
        accounts
            .entry(key)
            .or_default()
            .idle
            .push((connection, Instant::now()));
        let mut surplus = Vec::new();
        let mut total: usize = accounts.values().map(|a| a.idle.len()).sum();
        while total > self.max_idle {
            // The oldest idle connection of any account (each account's
            // list is in the order they became idle).
            let oldest = accounts
                .values_mut()
                .filter(|a| !a.idle.is_empty())
                .min_by_key(|a| a.idle[0].1);
            let Some(account) = oldest else { break };
            surplus.push(account.idle.remove(0).0);
            total -= 1;
        }
        drop(accounts);
        close_in_background(surplus);
    }

    /// Idle connections kept, all accounts together.
    #[must_use]
    pub fn idle_total(&self) -> usize {
        self.accounts
            .lock()
            .map_or(0, |a| a.values().map(|acc| acc.idle.len()).sum())
    }

    /// Connections opened since the pool was made.
    #[must_use]
    pub fn opened(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }

    /// Idle connections kept for `account`.
    #[must_use]
    pub fn idle(&self, account: &str, settings: &SmtpSettings) -> usize {
        let key = Self::key(account, settings);
        self.accounts
            .lock()
            .map_or(0, |a| a.get(&key).map_or(0, |acc| acc.idle.len()))
    }

    /// What a connection was opened with: a connection is reused only
    /// for the same account and the same settings fingerprint (server,
    /// security, user, password, trusted CAs, address: a password changed
    /// to a wrong one must fail, not ride on a connection the right one
    /// logged in).
    fn key(account: &str, s: &SmtpSettings) -> String {
        format!("{account}\u{0}{}", s.fingerprint())
    }

    /// Sends through a connection of `account`'s (reused when one is idle
    /// and fresh), waiting for a permit when `max_per_account` are busy;
    /// `handover` runs just before `DATA` (see [`SmtpConnection::send`]).
    pub async fn send(
        &self,
        account: &str,
        settings: &SmtpSettings,
        email: &Rendered,
        handover: &impl Handover,
    ) -> Result<Receipt, Failure> {
        self.sweep();
        let key = Self::key(account, settings);
        let permits = {
            let mut accounts = self
                .accounts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let entry = accounts.entry(key.clone()).or_default();
            entry
                .permits
                .get_or_insert_with(|| Arc::new(Semaphore::new(self.max_per_account)))
                .clone()
        };
        // The permit first, then an idle connection: a connection is only
        // ever used by the holder of a permit.
        let _permit = permits
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (reusable, expired) = {
            let mut accounts = self
                .accounts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let entry = accounts.entry(key.clone()).or_default();
            let now = Instant::now();
            let (fresh, expired): (Vec<_>, Vec<_>) = std::mem::take(&mut entry.idle)
                .into_iter()
                .partition(|(c, at)| c.is_usable() && now.duration_since(*at) < self.idle_expiry);
            entry.idle = fresh;
            (entry.idle.pop().map(|(c, _)| c), expired)
        };
        for (connection, _) in expired {
            connection.close().await;
        }
        // A kept connection whose server sent something unasked (a reply
        // twice) or hung up is dropped: the message goes on a new one.
        let reusable = match reusable {
            Some(mut c) => {
                if c.is_in_step() {
                    Some(c)
                } else {
                    tracing::debug!(account, "SMTP: a kept connection is out of step, dropped");
                    c.close().await;
                    None
                }
            }
            None => None,
        };
        let mut connection = match reusable {
            Some(c) => c,
            None => {
                let c = SmtpConnection::open(settings).await?;
                self.opened.fetch_add(1, Ordering::Relaxed);
                c
            }
        };
        let result = connection.send(email, handover).await;
        if connection.is_usable() {
            self.keep_idle(key, connection);
        }
        result
    }
}
