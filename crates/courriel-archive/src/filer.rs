//! Filing copies for many accounts at once, as a mailer does after each
//! send: the copy is spooled first (durable), then filed through a session
//! kept open per account. Copies of one account that arrive while its
//! session is busy are filed together in the next round, as one
//! MULTIAPPEND (a group commit), so an account that sends fast pays one
//! round trip per batch rather than per copy. The Sent folder chosen for an
//! account is remembered until its settings change or the folder vanishes.
//!
//! One account's slow or dead server holds only that account's callers:
//! every account has its own session lock, and every step is bounded by
//! the account's IMAP timeouts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use courriel_core::failure::{Failure, FailureKind};
use tokio::sync::{Notify, oneshot};

use crate::archive::{Filed, Target, is_permanent};
use crate::folders::choose_sent;
use crate::session::{Session, connect};
use crate::settings::ImapSettings;
use crate::spool::{Entry, Spool};

/// Copies enough for one batch: no reason to wait for more.
const LINGER_BATCH: usize = 100;

/// A send under way whose copy will follow ([`Filer::expect`]).
pub struct Expected {
    state: Arc<AccountState>,
}

impl std::fmt::Debug for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Expected")
    }
}

impl Drop for Expected {
    fn drop(&mut self) {
        self.state.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.state.changed.notify_waiters();
    }
}

/// A copy waiting to be filed, and who waits for the outcome.
struct Job {
    target: Target,
    entry: Entry,
    message: Arc<Vec<u8>>,
    done: oneshot::Sender<std::io::Result<Filed>>,
}

/// An open session, what it was opened with, and when it was last used.
struct Open {
    session: Session,
    fingerprint: String,
    used: Instant,
}

#[derive(Default)]
struct AccountState {
    /// Sends of this account under way whose copies will follow
    /// ([`Filer::expect`]).
    in_flight: AtomicUsize,
    /// Woken when a copy is queued or an expected one is given up.
    changed: Notify,
    /// Copies spooled and not yet taken by a filing round.
    queue: Mutex<Vec<Job>>,
    /// Held by the caller running a filing round: one round at a time.
    session: tokio::sync::Mutex<Option<Open>>,
    /// The Sent folder chosen automatically, with the settings' fingerprint.
    sent: Mutex<Option<(String, String)>>,
}

/// Files copies through a spool with one reusable session per account.
pub struct Filer {
    spool: Spool,
    idle_expiry: Duration,
    linger: Duration,
    /// When idle sessions of every account were last looked over.
    swept: Mutex<Instant>,
    accounts: Mutex<HashMap<String, Arc<AccountState>>>,
}

impl std::fmt::Debug for Filer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filer")
            .field("spool", &self.spool.dir())
            .field("idle_expiry", &self.idle_expiry)
            .finish_non_exhaustive()
    }
}

impl Filer {
    /// A filer spooling in `spool`, closing sessions idle for longer than
    /// `idle_expiry` (servers drop idle sessions after some minutes:
    /// Dovecot after 30, RFC 3501's minimum).
    #[must_use]
    pub fn new(spool: Spool, idle_expiry: Duration) -> Filer {
        Filer {
            spool,
            idle_expiry,
            linger: Duration::from_millis(20),
            swept: Mutex::new(Instant::now()),
            accounts: Mutex::new(HashMap::new()),
        }
    }

    /// How long a copy may wait for the copies of the same account's sends
    /// under way, to be filed with them in one command (default 20 ms; zero
    /// files each copy at once). Like a database's commit delay: only when
    /// other sends of the account are under way ([`Filer::expect`]), and
    /// never longer than this.
    #[must_use]
    pub fn with_linger(mut self, linger: Duration) -> Filer {
        self.linger = linger;
        self
    }

    /// Says a copy for `account` will follow (a send has begun): copies
    /// filed meanwhile may wait a little for it. The copy is expected until
    /// the returned guard is given to [`Filer::file`] or dropped.
    #[must_use]
    pub fn expect(&self, account: &str) -> Expected {
        let state = self.state(account);
        state.in_flight.fetch_add(1, Ordering::SeqCst);
        Expected { state }
    }

    /// Logs out of every account's session idle for longer than the
    /// expiry, at most once a second (sessions in use are left alone): an
    /// application serving thousands of accounts does not keep a session
    /// open for each one that sent once.
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
        for state in self.states() {
            if let Ok(mut open) = state.session.try_lock()
                && open
                    .as_ref()
                    .is_some_and(|o| now.duration_since(o.used) >= self.idle_expiry)
                && let Some(old) = open.take()
            {
                expired.push(old.session);
            }
        }
        if !expired.is_empty() {
            tokio::spawn(async move {
                for session in expired {
                    session.logout().await;
                }
            });
        }
    }

    /// Every account's state, out of the lock.
    fn states(&self) -> Vec<Arc<AccountState>> {
        self.accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// Open sessions, all accounts together (those in use included).
    #[must_use]
    pub fn open_sessions(&self) -> usize {
        self.states()
            .iter()
            .filter(|state| state.session.try_lock().map_or(true, |open| open.is_some()))
            .count()
    }

    /// The spool.
    #[must_use]
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    fn state(&self, account: &str) -> Arc<AccountState> {
        self.accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(account.to_string())
            .or_default()
            .clone()
    }

    /// Files `message` (the exact bytes sent, shared, not copied) for `account`:
    /// spooled first, then filed with the account's other waiting copies,
    /// then removed from the spool. On failure the copy stays spooled and
    /// the outcome says why. An error is returned only when the copy could
    /// not be written to the spool (nothing was tried then).
    pub async fn file(
        &self,
        account: &str,
        settings: &ImapSettings,
        target: &Target,
        message_id: &str,
        message: Arc<Vec<u8>>,
        expected: Option<Expected>,
    ) -> std::io::Result<Filed> {
        self.sweep();
        let folder = match target {
            Target::Folder(f) => Some(f.as_str()),
            Target::Auto { .. } => None,
        };
        // Disk writes and fsyncs wait on the blocking pool, not on the
        // threads that drive every account's connections.
        let entry = {
            let (spool, account, folder, message_id, message) = (
                self.spool.clone(),
                account.to_string(),
                folder.map(str::to_string),
                message_id.to_string(),
                message.clone(),
            );
            tokio::task::spawn_blocking(move || {
                spool.put(&account, folder.as_deref(), &message_id, None, &message)
            })
            .await
            .map_err(std::io::Error::other)??
        };
        let state = self.state(account);
        let (done, mut outcome) = oneshot::channel();
        state
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Job {
                target: target.clone(),
                entry,
                message,
                done,
            });
        drop(expected);
        state.changed.notify_waiters();
        self.linger(&state).await;
        loop {
            // Another caller's round may have filed this copy meanwhile.
            if let Ok(result) = outcome.try_recv() {
                return result;
            }
            let mut open = state.session.lock().await;
            if let Ok(result) = outcome.try_recv() {
                return result;
            }
            let jobs = std::mem::take(
                &mut *state
                    .queue
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            self.round(&state, &mut open, settings, jobs).await;
        }
    }

    /// Waits, at most the linger, while other copies of the account are
    /// expected and the batch is not full.
    async fn linger(&self, state: &AccountState) {
        if self.linger.is_zero() {
            return;
        }
        let deadline = tokio::time::Instant::now() + self.linger;
        loop {
            let changed = state.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let queued = state
                .queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .len();
            if state.in_flight.load(Ordering::SeqCst) == 0 || queued >= LINGER_BATCH {
                return;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return;
            }
        }
    }

    /// Files `jobs` (spooled already) over the account's session, reusing
    /// it when it is fresh and opened with the same settings; one
    /// MULTIAPPEND per target folder.
    async fn round(
        &self,
        state: &AccountState,
        open: &mut Option<Open>,
        settings: &ImapSettings,
        jobs: Vec<Job>,
    ) {
        let fingerprint = settings.fingerprint();
        let expired = open
            .as_ref()
            .is_some_and(|o| o.fingerprint != fingerprint || o.used.elapsed() >= self.idle_expiry);
        if expired && let Some(old) = open.take() {
            old.session.logout().await;
        }
        let mut groups: Vec<(Target, Vec<Job>)> = Vec::new();
        for job in jobs {
            match groups.iter_mut().find(|(t, _)| *t == job.target) {
                Some((_, group)) => group.push(job),
                None => groups.push((job.target.clone(), vec![job])),
            }
        }
        for (target, jobs) in groups {
            let result = self
                .file_group(state, open, settings, &fingerprint, &target, &jobs)
                .await;
            if let Err(failure) = &result {
                if failure.kind == FailureKind::ImapFolderMissing {
                    *state
                        .sent
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                }
                if !is_permanent(failure) {
                    // The session may be broken: the next round reconnects.
                    *open = None;
                }
            }
            let spool = self.spool.clone();
            let settled = tokio::task::spawn_blocking(move || {
                jobs.into_iter()
                    .map(|mut job| {
                        let filed = crate::archive::settle(&spool, &mut job.entry, result.clone());
                        (job.done, filed)
                    })
                    .collect::<Vec<_>>()
            })
            .await;
            // The blocking pool only fails if the runtime shuts down; the copies
            // then stay spooled, and their callers see no answer.
            for (done, filed) in settled.unwrap_or_default() {
                let _ = done.send(filed);
            }
        }
    }

    async fn file_group(
        &self,
        state: &AccountState,
        open: &mut Option<Open>,
        settings: &ImapSettings,
        fingerprint: &str,
        target: &Target,
        jobs: &[Job],
    ) -> Result<String, Failure> {
        let o = match open {
            Some(o) => o,
            None => open.insert(Open {
                session: connect(settings).await?,
                fingerprint: fingerprint.to_string(),
                used: Instant::now(),
            }),
        };
        o.used = Instant::now();
        let folder = self
            .folder(state, &mut o.session, fingerprint, target)
            .await?;
        let messages: Vec<(&[u8], Option<&str>)> =
            jobs.iter().map(|j| (j.message.as_slice(), None)).collect();
        o.session.append_many(&folder, &messages).await?;
        Ok(folder)
    }

    /// The folder to file in: the target's, or the Sent folder chosen on
    /// the server (remembered per account and settings).
    async fn folder(
        &self,
        state: &AccountState,
        session: &mut Session,
        fingerprint: &str,
        target: &Target,
    ) -> Result<String, Failure> {
        let hint = match target {
            Target::Folder(folder) => return Ok(folder.clone()),
            Target::Auto { provider_hint } => provider_hint.as_deref(),
        };
        if let Some((for_settings, folder)) = state
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            && for_settings == fingerprint
        {
            return Ok(folder);
        }
        let namespaces = session.namespaces().await?;
        let folders = session.folders(&namespaces).await?;
        let folder = choose_sent(&folders, &namespaces, hint, None)
            .map(|c| c.folder.raw)
            .ok_or_else(|| Failure::new(FailureKind::ImapFolderMissing).arg("folder", "auto"))?;
        *state
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((fingerprint.to_string(), folder.clone()));
        Ok(folder)
    }

    /// Closes every open session (best effort, bounded by each account's
    /// timeouts).
    pub async fn close(&self) {
        for state in self.states() {
            if let Some(open) = state.session.lock().await.take() {
                open.session.logout().await;
            }
        }
    }
}
