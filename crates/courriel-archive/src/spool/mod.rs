//! The spool: copies for the Sent folder kept durably until filed, so that
//! none is ever lost or filed twice.
//!
//! A copy is written to the spool before anything is tried, removed only
//! once filed, and filed again after a crash only if the folder does not
//! already hold its Message-ID. Whoever files a copy holds a *claim* on it
//! first, so that any number of processes sharing one spool file each copy
//! once: the copy a send has just spooled is claimed by that send; a retry
//! claims the copies that are due.
//!
//! Two stores: a directory on the local disk ([`Spool::dir`], the embedded
//! default: claims are `flock`s, released by the kernel when a process
//! dies) and PostgreSQL ([`Spool::open`] with a `postgres://` URL, cargo
//! feature `postgres`: claims are leases with an expiry, taken with
//! `FOR UPDATE SKIP LOCKED`, so workers on many machines share one spool).
//! Both behave alike; one test suite runs against each. Other stores plug
//! in through [`SpoolStore`].

use std::any::Any;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::cache::FolderStore;

mod dir;
#[cfg(feature = "postgres")]
mod grants;
#[cfg(feature = "postgres")]
mod postgres;

pub use dir::DirStore;
pub(crate) use dir::{create_private_dir, create_private_file};
#[cfg(feature = "postgres")]
pub use grants::{PgGrantLock, PgGrantTable};
#[cfg(feature = "postgres")]
pub use postgres::{PgOptions, PgStore};

/// Where a spooled copy stands.
///
/// A copy enters the spool as [`EntryState::Sending`] just before its
/// message is handed over (before SMTP `DATA`, before the default
/// provider's API call). The server's acceptance makes it
/// [`EntryState::Pending`] (due for filing); a refusal removes it. An entry
/// still `Sending` that nobody holds belongs to a sender that died after
/// handing the message over and before its answer was recorded: whether
/// the message went out is unknown. A retry files it all the same, marked
/// `fate_unknown` and left unread in the Sent folder (so it stands out),
/// and says so in its report; we never send it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryState {
    /// Being handed over by its sender; if the sender died, sent or not:
    /// unknown.
    Sending,
    /// To be filed (again) when due.
    Pending,
    /// Filing failed for a reason retrying will not fix (folder gone,
    /// quota, the account changed hands): kept for the user to see, never
    /// dropped.
    Failed,
}

impl EntryState {
    /// `sending`, `pending` or `failed`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Sending => "sending",
            EntryState::Pending => "pending",
            EntryState::Failed => "failed",
        }
    }
}

/// Whose copy it is: the mailbox it belongs in (IMAP host, port, user),
/// the sender, and a digest of the IMAP settings it was made with (never
/// the password). A retry files a copy only in the same mailbox (same
/// host and user): an account whose settings now name another mailbox
/// does not get it (`SP003`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// The IMAP host, as configured.
    pub host: String,
    /// The IMAP port.
    pub port: u16,
    /// The IMAP login.
    pub user: String,
    /// The sender's address.
    pub sender: String,
    /// [`ImapSettings::mailbox_digest`](crate::ImapSettings::mailbox_digest)
    /// of the settings the copy was made with.
    pub digest: String,
}

impl Owner {
    /// The owner of a copy sent by `sender` and filed with `settings`.
    #[must_use]
    pub fn new(settings: &crate::ImapSettings, sender: &str) -> Owner {
        Owner {
            host: settings.host.clone(),
            port: settings.port,
            user: settings.username.clone(),
            sender: sender.to_string(),
            digest: settings.mailbox_digest(),
        }
    }

    /// Whether `settings` reach the same mailbox (host without regard to
    /// case, and user); a changed port or security is the same mailbox.
    #[must_use]
    pub fn is_mailbox_of(&self, settings: &crate::ImapSettings) -> bool {
        self.host.eq_ignore_ascii_case(&settings.host) && self.user == settings.username
    }

    /// `user@host:port`, for messages.
    #[must_use]
    pub fn mailbox(&self) -> String {
        format!("{}@{}:{}", self.user, self.host, self.port)
    }
}

/// A spooled copy's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry's id, unique in the spool.
    pub id: String,
    /// Which account it belongs to, as the caller names accounts.
    pub account: String,
    /// The folder's raw name; `None` to choose the Sent folder when filing.
    pub folder: Option<String>,
    /// The message's Message-ID, without angle brackets.
    pub message_id: String,
    /// The internal date to file it with (`29-Nov-2026 12:00:00 +0000`).
    pub date: Option<String>,
    /// Filing attempts so far.
    pub attempts: u32,
    /// Not to be tried before this time (seconds since the Unix epoch).
    pub next_attempt: u64,
    /// The last failure's code (`IM004`) and message, if any.
    pub last_error: Option<String>,
    /// Where it stands.
    pub state: EntryState,
    /// Who holds a claim on it now (a worker filing it), when the store
    /// can tell: PostgreSQL names the worker; a directory does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    /// Whose copy it is (`None` for entries spooled before owners were
    /// recorded: filed for whichever account the key names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// Whether the message may not have been sent: its sender died, or
    /// lost the server's answer, after handing it over. Such a copy is
    /// filed unread, and reported.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fate_unknown: bool,
    /// The message's length in bytes (a directory's entry is whole when
    /// its file holds exactly this many after the metadata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

impl Entry {
    /// The state as a person reads it: `sending`, `pending`, `failed`, or
    /// `unknown` for a copy whose message may not have gone out.
    #[must_use]
    pub fn status(&self) -> &'static str {
        if self.fate_unknown {
            "unknown"
        } else {
            self.state.as_str()
        }
    }
}

/// A copy to put in the spool.
#[derive(Debug, Clone, Copy)]
pub struct NewCopy<'a> {
    /// The account, as the caller names accounts.
    pub account: &'a str,
    /// The folder's raw name; `None` to choose the Sent folder when filing.
    pub folder: Option<&'a str>,
    /// The Message-ID, without angle brackets.
    pub message_id: &'a str,
    /// The internal date to file it with.
    pub date: Option<&'a str>,
    /// Whose copy it is.
    pub owner: Option<&'a Owner>,
    /// Put before the message is handed over ([`EntryState::Sending`]),
    /// rather than after it was sent ([`EntryState::Pending`]).
    pub sending: bool,
}

impl<'a> NewCopy<'a> {
    /// A copy of a message already sent, for `account`, to be filed in
    /// `folder` (`None`: the Sent folder chosen on the server).
    #[must_use]
    pub fn sent(account: &'a str, folder: Option<&'a str>, message_id: &'a str) -> NewCopy<'a> {
        NewCopy {
            account,
            folder,
            message_id,
            date: None,
            owner: None,
            sending: false,
        }
    }

    /// The same, with an owner.
    #[must_use]
    pub fn owned_by(mut self, owner: &'a Owner) -> NewCopy<'a> {
        self.owner = Some(owner);
        self
    }

    /// The same, put before its message is handed over.
    #[must_use]
    pub fn before_sending(mut self) -> NewCopy<'a> {
        self.sending = true;
        self
    }

    /// The entry this copy starts as.
    pub(crate) fn entry(&self, id: String, size: usize) -> Entry {
        Entry {
            id,
            account: self.account.to_string(),
            folder: self.folder.map(str::to_string),
            message_id: self.message_id.to_string(),
            date: self.date.map(str::to_string),
            attempts: 0,
            next_attempt: 0,
            last_error: None,
            state: if self.sending {
                EntryState::Sending
            } else {
                EntryState::Pending
            },
            claimed_by: None,
            owner: self.owner.cloned(),
            fate_unknown: false,
            size: Some(size as u64),
        }
    }
}

/// A copy claimed by this process: nobody else files it until the claim
/// is settled ([`Spool::filed`], [`Spool::failed`], [`Spool::release`])
/// or, if this process dies, until the store lets it go (a directory's
/// lock dies with the process; a PostgreSQL lease expires).
pub struct Claimed {
    /// The entry, as it was when claimed.
    pub entry: Entry,
    /// The exact bytes to file.
    pub message: Arc<Vec<u8>>,
    /// What holds the claim for the store (a locked file), if anything.
    guard: Option<Box<dyn Any + Send + Sync>>,
    /// When it was claimed (or last renewed), by this process's clock.
    at: std::time::Instant,
}

impl Claimed {
    /// A claim on `entry`; `guard` is dropped when the claim is settled
    /// (a store that holds its claims in a value, such as a file lock).
    #[must_use]
    pub fn new(
        entry: Entry,
        message: Arc<Vec<u8>>,
        guard: Option<Box<dyn Any + Send + Sync>>,
    ) -> Claimed {
        Claimed {
            entry,
            message,
            guard,
            at: std::time::Instant::now(),
        }
    }

    /// How long ago it was claimed (or last renewed).
    #[must_use]
    pub fn age(&self) -> Duration {
        self.at.elapsed()
    }

    /// The store's guard, for the store that made it.
    #[must_use]
    pub fn guard(&self) -> Option<&(dyn Any + Send + Sync)> {
        self.guard.as_deref()
    }

    /// Records, in this claim, that the server accepted the message: the
    /// copy is now due for filing. Written to the store with the claim's
    /// next change (a failure or a release); filing it removes it anyway.
    /// A crash before that leaves the entry `sending`: filed as
    /// `fate_unknown` by a retry.
    pub fn mark_sent(&mut self) {
        if self.entry.state == EntryState::Sending {
            self.entry.state = EntryState::Pending;
        }
    }

    /// Records, in this claim, that the message may or may not have gone
    /// out (its answer was lost): filed unread when filed.
    pub fn mark_fate_unknown(&mut self) {
        self.mark_sent();
        self.entry.fate_unknown = true;
    }
}

impl std::fmt::Debug for Claimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claimed")
            .field("entry", &self.entry)
            .field("bytes", &self.message.len())
            .finish_non_exhaustive()
    }
}

/// What a store's operations return.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = std::io::Result<T>> + Send + 'a>>;

/// Where spooled copies are kept. Every operation is durable when its
/// future completes. Implemented by [`DirStore`] and (feature `postgres`)
#[cfg_attr(feature = "postgres", doc = "[`PgStore`].")]
#[cfg_attr(not(feature = "postgres"), doc = "`PgStore`.")]
pub trait SpoolStore: Send + Sync + 'static {
    /// Where it is, for messages (never with a password).
    fn location(&self) -> String;

    /// Writes a copy durably, claimed by this process.
    fn put<'a>(&'a self, copy: NewCopy<'a>, message: Arc<Vec<u8>>) -> StoreFuture<'a, Claimed>;

    /// Claims up to `limit` pending copies that are due (oldest due first),
    /// skipping those claimed by others.
    fn claim(&self, limit: usize) -> StoreFuture<'_, Vec<Claimed>>;

    /// Extends the claims on these copies (before a long step such as an
    /// APPEND); returns the ids still claimed by this process.
    fn renew<'a>(&'a self, claims: &'a [&'a Claimed]) -> StoreFuture<'a, Vec<String>>;

    /// Forgets copies now filed.
    fn filed(&self, claims: Vec<Claimed>) -> StoreFuture<'_, ()>;

    /// Records a failed attempt, releasing the claim: tried again after
    /// `retry_after`, or kept as failed when `permanent`.
    fn failed<'a>(
        &'a self,
        claim: Claimed,
        error: &'a str,
        permanent: bool,
        retry_after: Duration,
    ) -> StoreFuture<'a, Entry>;

    /// Releases a claim without an attempt, due again after `retry_after`.
    fn release(&self, claim: Claimed, retry_after: Duration) -> StoreFuture<'_, ()>;

    /// Every entry, oldest first, without the messages.
    fn entries(&self) -> StoreFuture<'_, Vec<Entry>>;

    /// Makes every pending copy due now, and with `failed_too` every failed
    /// copy pending again; returns how many changed. Copies claimed by
    /// others are left alone.
    fn requeue(&self, failed_too: bool) -> StoreFuture<'_, usize>;

    /// Where folder lists are best shared, if this store can keep them
    /// (PostgreSQL does: every worker then lists an account once).
    fn folder_store(&self) -> Option<Arc<dyn FolderStore>> {
        None
    }

    /// How long a claim lasts unless renewed, when claims expire (a
    /// shared database's leases); `None` when they last as long as their
    /// holder (a directory's locks).
    fn lease(&self) -> Option<Duration> {
        None
    }

    /// How many entries were set aside because they could not be read
    /// (a corrupt or foreign file): they block nothing, and are counted
    /// here for `spool status`.
    fn quarantined(&self) -> StoreFuture<'_, usize> {
        Box::pin(std::future::ready(Ok(0)))
    }
}

/// The wait before attempt `n + 1`: doubling from a base, up to a ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure.
    pub base: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Default for Backoff {
    /// 30 s, 1 min, 2 min… up to 6 h.
    fn default() -> Backoff {
        Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(6 * 3600),
        }
    }
}

impl Backoff {
    /// The wait after `attempts` failed attempts.
    #[must_use]
    pub fn after(&self, attempts: u32) -> Duration {
        let doubled = self
            .base
            .checked_mul(1u32 << attempts.saturating_sub(1).min(20))
            .unwrap_or(self.max);
        doubled.min(self.max)
    }
}

/// The default wait before attempt `n + 1` ([`Backoff::default`]).
#[must_use]
pub fn backoff(attempts: u32) -> Duration {
    Backoff::default().after(attempts + 1)
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A new entry id: time, process and a hash of the Message-ID, so ids
/// sort by age and never collide between processes.
pub(crate) fn new_id(message_id: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQ: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}-{}-{:04x}-{:08x}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed) & 0xffff,
        message_id
            .bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
    )
}

/// A spool: a store and the retry schedule. Cheap to clone (shared).
#[derive(Clone)]
pub struct Spool {
    store: Arc<dyn SpoolStore>,
    backoff: Backoff,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("location", &self.store.location())
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// How a spool is named in configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpoolLocation {
    /// `dir:/path`, or a plain path: a directory on this machine.
    Dir(std::path::PathBuf),
    /// `postgres://…` or `postgresql://…`: a PostgreSQL database.
    Postgres(String),
}

impl SpoolLocation {
    /// Reads `dir:/path`, `postgres://…`, `postgresql://…`, or a plain path.
    #[must_use]
    pub fn parse(spec: &str) -> SpoolLocation {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            SpoolLocation::Postgres(spec.to_string())
        } else {
            SpoolLocation::Dir(spec.strip_prefix("dir:").unwrap_or(spec).into())
        }
    }
}

/// How a spool opened from configuration behaves ([`Spool::open_with`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SpoolOptions {
    /// How long a worker's claim on a copy lasts unless renewed, in a
    /// shared database (default 5 minutes): it must outlast one filing
    /// round (connect, list, APPEND, each bounded by the IMAP timeouts);
    /// the copies of a worker that dies wait this long. A directory's
    /// claims are locks that die with their process.
    pub lease: Duration,
    /// The retry schedule.
    pub backoff: Backoff,
    /// Database connections per process (default 4).
    pub connections: usize,
}

impl Default for SpoolOptions {
    fn default() -> SpoolOptions {
        SpoolOptions {
            lease: Duration::from_secs(300),
            backoff: Backoff::default(),
            connections: 4,
        }
    }
}

impl SpoolOptions {
    /// These options with another lease.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> SpoolOptions {
        self.lease = lease;
        self
    }

    /// These options with another retry schedule.
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> SpoolOptions {
        self.backoff = backoff;
        self
    }
}

impl Spool {
    /// A spool in a directory of this machine (created if needed).
    pub fn dir(path: impl AsRef<Path>) -> std::io::Result<Spool> {
        Ok(Spool::from_store(DirStore::open(path.as_ref())?))
    }

    /// Opens the spool named by `spec` (see [`SpoolLocation::parse`]):
    /// a directory, or a PostgreSQL database (cargo feature `postgres`;
    /// its tables are created or migrated on first use).
    pub async fn open(spec: &str) -> std::io::Result<Spool> {
        Spool::open_with(spec, &SpoolOptions::default()).await
    }

    /// [`Spool::open`] with options.
    // Awaits only when built with PostgreSQL.
    #[cfg_attr(not(feature = "postgres"), allow(clippy::unused_async))]
    pub async fn open_with(spec: &str, options: &SpoolOptions) -> std::io::Result<Spool> {
        let spool = match SpoolLocation::parse(spec) {
            SpoolLocation::Dir(path) => Spool::dir(path)?,
            #[cfg(feature = "postgres")]
            SpoolLocation::Postgres(url) => {
                let pg = PgOptions {
                    lease: options.lease,
                    connections: options.connections,
                    worker: None,
                };
                Spool::from_store(PgStore::connect(&url, pg).await?)
            }
            #[cfg(not(feature = "postgres"))]
            SpoolLocation::Postgres(_) => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "this build of courriel has no PostgreSQL support: build it with the cargo feature `postgres`",
            ))?,
        };
        Ok(spool.with_backoff(options.backoff))
    }

    /// A spool on any store.
    #[must_use]
    pub fn from_store(store: impl SpoolStore) -> Spool {
        Spool {
            store: Arc::new(store),
            backoff: Backoff::default(),
        }
    }

    /// The same spool with another retry schedule.
    #[must_use]
    pub fn with_backoff(mut self, backoff: Backoff) -> Spool {
        self.backoff = backoff;
        self
    }

    /// The retry schedule.
    #[must_use]
    pub fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &dyn SpoolStore {
        &*self.store
    }

    /// A folder cache kept beside the copies when the store can keep one
    /// (PostgreSQL), shared by every worker of the spool.
    #[must_use]
    pub fn folder_cache(&self) -> Option<crate::FolderCache> {
        self.store
            .folder_store()
            .map(crate::FolderCache::from_store)
    }

    /// Where it is, for messages (never with a password).
    #[must_use]
    pub fn location(&self) -> String {
        self.store.location()
    }

    /// Writes a copy durably, claimed by this process: when this returns,
    /// the copy survives a crash.
    pub async fn put(&self, copy: NewCopy<'_>, message: Arc<Vec<u8>>) -> std::io::Result<Claimed> {
        self.store.put(copy, message).await
    }

    /// Claims up to `limit` due copies.
    pub async fn claim(&self, limit: usize) -> std::io::Result<Vec<Claimed>> {
        self.store.claim(limit).await
    }

    /// Extends claims; returns the ids still held.
    pub async fn renew(&self, claims: &[&Claimed]) -> std::io::Result<Vec<String>> {
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        self.store.renew(claims).await
    }

    /// Forgets a copy whose message was not sent after all (the server
    /// refused it): nothing to file.
    pub async fn discard(&self, claim: Claimed) -> std::io::Result<()> {
        self.store.filed(vec![claim]).await
    }

    /// How long a claim lasts unless renewed ([`SpoolStore::lease`]).
    #[must_use]
    pub fn lease(&self) -> Option<Duration> {
        self.store.lease()
    }

    /// How many unreadable entries were set aside ([`SpoolStore::quarantined`]).
    pub async fn quarantined(&self) -> std::io::Result<usize> {
        self.store.quarantined().await
    }

    /// Forgets filed copies.
    pub async fn filed(&self, claims: Vec<Claimed>) -> std::io::Result<()> {
        if claims.is_empty() {
            return Ok(());
        }
        self.store.filed(claims).await
    }

    /// Records a failed attempt (retried after the backoff, or kept as
    /// failed when `permanent`) and releases the claim.
    pub async fn failed(
        &self,
        claim: Claimed,
        error: &str,
        permanent: bool,
    ) -> std::io::Result<Entry> {
        let wait = self.backoff.after(claim.entry.attempts + 1);
        self.store.failed(claim, error, permanent, wait).await
    }

    /// Releases a claim without an attempt, due again after `retry_after`.
    pub async fn release(&self, claim: Claimed, retry_after: Duration) -> std::io::Result<()> {
        self.store.release(claim, retry_after).await
    }

    /// Every entry, oldest first.
    pub async fn entries(&self) -> std::io::Result<Vec<Entry>> {
        self.store.entries().await
    }

    /// Pending entries whose time has come (not claimed ones excluded: a
    /// view, not a claim).
    pub async fn due(&self) -> std::io::Result<Vec<Entry>> {
        let now = now();
        Ok(self
            .entries()
            .await?
            .into_iter()
            .filter(|e| e.state == EntryState::Pending && e.next_attempt <= now)
            .collect())
    }

    /// Makes every pending copy due now (a person who knows the server is
    /// back); returns how many.
    pub async fn make_due(&self) -> std::io::Result<usize> {
        self.store.requeue(false).await
    }

    /// Puts every copy marked failed back in the queue, due now (once the
    /// folder exists again, or the quota was raised); returns how many
    /// copies changed (pending ones made due included).
    pub async fn requeue_failed(&self) -> std::io::Result<usize> {
        self.store.requeue(true).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(30));
        assert_eq!(backoff(1), Duration::from_secs(60));
        assert_eq!(backoff(30), Duration::from_secs(6 * 3600));
        let quick = Backoff {
            base: Duration::from_millis(200),
            max: Duration::from_secs(1),
        };
        assert_eq!(quick.after(1), Duration::from_millis(200));
        assert_eq!(quick.after(3), Duration::from_millis(800));
        assert_eq!(quick.after(4), Duration::from_secs(1));
        assert_eq!(quick.after(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn locations_are_read_from_configuration() {
        assert_eq!(
            SpoolLocation::parse("dir:/var/spool/x"),
            SpoolLocation::Dir("/var/spool/x".into())
        );
        assert_eq!(
            SpoolLocation::parse("/var/spool/x"),
            SpoolLocation::Dir("/var/spool/x".into())
        );
        assert!(matches!(
            SpoolLocation::parse("postgresql://u@h/db"),
            SpoolLocation::Postgres(_)
        ));
    }
}
