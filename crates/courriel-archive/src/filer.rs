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
//!
//! Every copy is claimed in the spool while it is filed (a send's copy
//! from the moment it is spooled; a retried one when [`Filer::retry`]
//! claims it), the claims are renewed just before the APPEND and only the
//! copies still claimed are appended, so workers sharing one spool never
//! file a copy twice. A retried copy is looked for by its Message-ID
//! first: one filed by a worker that died before forgetting it is not
//! filed again. The Sent folder is chosen from the folder cache when it
//! has the account's list (shared by every worker on a PostgreSQL spool).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use courriel_core::failure::{Failure, FailureKind};
use tokio::sync::{Notify, oneshot};

use crate::cache::FolderCache;
use crate::folders::{choose_sent, sent_folder_to_create};
use crate::outcome::{Filed, RetryReport, Target, describe};
use crate::session::{AppendCopy, Session, connect};
use crate::settings::ImapSettings;
use crate::spool::{Claimed, NewCopy, Owner, Spool};

/// Copies enough for one batch: no reason to wait for more.
const LINGER_BATCH: usize = 100;

/// The most bytes filed in one command and settled together: a batch
/// that times out on a slow link takes only its own copies with it, and
/// the next batch is tried on its own bound.
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// The most copies filed in one command.
const CHUNK_COPIES: usize = 100;

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

/// How long a failure to open a session ahead of a copy stands for that
/// copy's filing.
const UNPREPARED_FOR: Duration = Duration::from_secs(10);

/// A copy waiting to be filed, and who waits for the outcome.
struct Job {
    target: Target,
    claim: Claimed,
    /// A retried copy: looked for in the folder before it is appended.
    check_first: bool,
    done: oneshot::Sender<Filed>,
}

/// What became of one job of a group filed together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Appended,
    AlreadyThere,
    /// Its claim ran out and another worker holds it now.
    Lost,
}

/// An open session, what it was opened with, and when it was last used.
struct Open {
    session: Session,
    fingerprint: String,
    used: Instant,
}

impl Open {
    /// Whether it may serve a copy for `fingerprint`'s settings: opened
    /// with them, and used within `expiry`.
    fn is_fresh(&self, fingerprint: &str, expiry: Duration) -> bool {
        self.fingerprint == fingerprint && self.used.elapsed() < expiry
    }
}

/// Logs out of `sessions` in the background: the caller is filing.
fn log_out_in_background(sessions: Vec<Session>) {
    if !sessions.is_empty() {
        tokio::spawn(async move {
            for session in sessions {
                session.logout().await;
            }
        });
    }
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
    /// The folder list cached may be wrong (the folder chosen from it was
    /// missing): list on the server next time.
    stale: std::sync::atomic::AtomicBool,
    /// Opening the session ahead of the copy ([`Filer::prepare`]) failed:
    /// with which settings, when, and how. The copy's round takes it
    /// rather than wait for a server that just failed a second time.
    unprepared: Mutex<Option<(String, Instant, Failure)>>,
}

/// Files copies through a spool with one reusable session per account.
pub struct Filer {
    spool: Spool,
    folders: FolderCache,
    idle_expiry: Duration,
    /// Sessions kept open while idle, all accounts together.
    max_idle: usize,
    linger: Duration,
    /// Copies a retry claims at once.
    batch: usize,
    /// When idle sessions of every account were last looked over.
    swept: Mutex<Instant>,
    accounts: Mutex<HashMap<String, Arc<AccountState>>>,
}

impl std::fmt::Debug for Filer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filer")
            .field("spool", &self.spool)
            .field("idle_expiry", &self.idle_expiry)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Filer {
    /// A filer spooling in `spool`, closing sessions idle for longer than
    /// `idle_expiry` (servers drop idle sessions after some minutes:
    /// Dovecot after 30, RFC 3501's minimum). Folder lists are kept in the
    /// spool's own cache when it has one (PostgreSQL), else in memory.
    #[must_use]
    pub fn new(spool: Spool, idle_expiry: Duration) -> Filer {
        Filer {
            folders: spool.folder_cache().unwrap_or_else(FolderCache::in_memory),
            spool,
            idle_expiry,
            max_idle: Self::MAX_IDLE,
            linger: Duration::from_millis(20),
            batch: 200,
            swept: Mutex::new(Instant::now()),
            accounts: Mutex::new(HashMap::new()),
        }
    }

    /// Idle sessions kept across all accounts unless said otherwise.
    pub const MAX_IDLE: usize = 64;

    /// At most `max_idle` sessions kept open while idle, all accounts
    /// together (default [`Filer::MAX_IDLE`]; 0: each logged out after its
    /// round): past it, the one idle longest is logged out. An application
    /// filing once each for thousands of users does not hold a session,
    /// and a server process, for every one of them.
    #[must_use]
    pub fn with_max_idle(mut self, max_idle: usize) -> Filer {
        self.max_idle = max_idle;
        self
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

    /// How many copies a retry claims at a time (default 200): workers
    /// sharing a spool each take a batch, so smaller batches share the work
    /// more evenly and leave fewer copies waiting on a worker that dies.
    #[must_use]
    pub fn with_retry_batch(mut self, batch: usize) -> Filer {
        self.batch = batch.max(1);
        self
    }

    /// Where the Sent folder is chosen from: folder lists kept per
    /// settings (default: the spool's cache, else in memory).
    #[must_use]
    pub fn with_folder_cache(mut self, folders: FolderCache) -> Filer {
        self.folders = folders;
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
            let mut swept = lock(&self.swept);
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
        log_out_in_background(expired);
        // An account with no session, nothing queued and nobody holding its
        // state is forgotten: the map does not grow with every account that
        // ever filed (its Sent folder is found again in the folder cache).
        lock(&self.accounts).retain(|_, state| {
            Arc::strong_count(state) > 1
                || state.stale.load(Ordering::SeqCst)
                || state.in_flight.load(Ordering::SeqCst) > 0
                || !lock(&state.queue).is_empty()
                || state.session.try_lock().map_or(true, |open| open.is_some())
        });
    }

    /// Every account's state, out of the lock.
    fn states(&self) -> Vec<Arc<AccountState>> {
        lock(&self.accounts).values().cloned().collect()
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

    /// The folder cache.
    #[must_use]
    pub fn folder_cache(&self) -> &FolderCache {
        &self.folders
    }

    /// Keeps the copy of a message about to be handed over in the spool,
    /// claimed by the caller. A copy that cannot be kept must stop the
    /// send: the failure says so (`SP004`).
    pub async fn hold(&self, copy: NewCopy<'_>, message: Arc<Vec<u8>>) -> Result<Claimed, Failure> {
        self.put(copy, message, FailureKind::SpoolUnwritableNotSent)
            .await
    }

    /// Keeps the copy of a message already sent, claimed by the caller, to
    /// be filed (`SP001` when the spool cannot take it: the copy is lost).
    pub async fn keep(&self, copy: NewCopy<'_>, message: Arc<Vec<u8>>) -> Result<Claimed, Failure> {
        self.put(copy, message, FailureKind::SpoolUnwritable).await
    }

    /// Puts a copy in the spool, claimed; `kind` says what its refusal
    /// means for the message.
    async fn put(
        &self,
        copy: NewCopy<'_>,
        message: Arc<Vec<u8>>,
        kind: FailureKind,
    ) -> Result<Claimed, Failure> {
        self.spool.put(copy, message).await.map_err(|e| {
            Failure::new(kind)
                .arg("dir", self.spool.location())
                .arg("detail", e)
        })
    }

    /// Forgets the copy of a message that did not go out (or needs none).
    pub async fn forget(&self, claim: Claimed) {
        let id = claim.entry.id.clone();
        if let Err(e) = self.spool.discard(claim).await {
            // Left `sending`: a retry would file it as of unknown fate.
            tracing::error!(error = %e, entry = %id, "spool: the copy of a message not sent could not be removed");
        }
    }

    /// Keeps the copy of a message that may or may not have been
    /// delivered (`failure` says why), marked so: a retry files it unread,
    /// and it is never sent again. Returns the spool entry.
    pub async fn keep_fate_unknown(&self, mut claim: Claimed, failure: &Failure) -> String {
        claim.mark_fate_unknown();
        let id = claim.entry.id.clone();
        if let Err(e) = self.spool.failed(claim, &describe(failure), false).await {
            // Still on disk as `sending`: a retry finds it so.
            tracing::warn!(error = %e, entry = %id, "copy of a message of unknown fate not marked");
        }
        id
    }

    /// Leaves a claimed copy waiting, due at once, because its account's
    /// IMAP settings cannot be used (`failure`): it is filed by the first
    /// retry after they are fixed, never dropped.
    pub async fn set_aside(&self, claim: Claimed, failure: Failure) -> Filed {
        let entry = claim.entry.id.clone();
        if let Err(e) = self.spool.release(claim, Duration::ZERO).await {
            tracing::warn!(error = %e, entry, "spool: copy not released; a retry files it");
        }
        Filed::Spooled { entry, failure }
    }

    fn state(&self, account: &str) -> Arc<AccountState> {
        lock(&self.accounts)
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
        let owner = Owner::new(settings, "");
        let copy = NewCopy::sent(account, target.folder(), message_id).owned_by(&owner);
        self.file_copy(copy, settings, target, message, expected)
            .await
    }

    /// Files a copy already in the spool and claimed by the caller (put
    /// before its message was handed over, then [`Claimed::mark_sent`]):
    /// filed with the account's other waiting copies, then removed from
    /// the spool; on failure it stays spooled and the outcome says why.
    pub async fn file_claimed(
        &self,
        claim: Claimed,
        settings: &ImapSettings,
        target: &Target,
        expected: Option<Expected>,
    ) -> Filed {
        self.sweep();
        let state = self.state(&claim.entry.account);
        let outcome = Self::enqueue(&state, target.clone(), claim, false);
        drop(expected);
        state.changed.notify_waiters();
        self.linger(&state).await;
        self.wait(&state, settings, outcome).await
    }

    /// [`Filer::file`] for a copy described whole (with its date).
    pub(crate) async fn file_copy(
        &self,
        copy: NewCopy<'_>,
        settings: &ImapSettings,
        target: &Target,
        message: Arc<Vec<u8>>,
        expected: Option<Expected>,
    ) -> std::io::Result<Filed> {
        self.sweep();
        let claim = self.spool.put(copy, message).await?;
        let state = self.state(copy.account);
        let outcome = Self::enqueue(&state, target.clone(), claim, false);
        drop(expected);
        state.changed.notify_waiters();
        self.linger(&state).await;
        Ok(self.wait(&state, settings, outcome).await)
    }

    /// Files a copy claimed from the spool (a retry): looked for in the
    /// folder first, appended only if absent, with the account's other
    /// claimed copies.
    /// The folder is the one `target` names now (the account's current
    /// settings), not the one the copy was spooled with: a setting fixed
    /// after a failure applies to the copies waiting.
    pub async fn refile(&self, claim: Claimed, settings: &ImapSettings, target: &Target) -> Filed {
        let target = target.clone();
        let state = self.state(&claim.entry.account);
        let outcome = Self::enqueue(&state, target, claim, true);
        state.changed.notify_waiters();
        self.wait(&state, settings, outcome).await
    }

    fn enqueue(
        state: &AccountState,
        target: Target,
        claim: Claimed,
        check_first: bool,
    ) -> oneshot::Receiver<Filed> {
        let (done, outcome) = oneshot::channel();
        lock(&state.queue).push(Job {
            target,
            claim,
            check_first,
            done,
        });
        outcome
    }

    /// Runs filing rounds until this copy's outcome is known (another
    /// caller's round may file it).
    async fn wait(
        &self,
        state: &AccountState,
        settings: &ImapSettings,
        mut outcome: oneshot::Receiver<Filed>,
    ) -> Filed {
        loop {
            if let Ok(filed) = outcome.try_recv() {
                return filed;
            }
            let mut open = state.session.lock().await;
            if let Ok(filed) = outcome.try_recv() {
                return filed;
            }
            let jobs = std::mem::take(&mut *lock(&state.queue));
            let had_session = open.is_some();
            self.round(state, &mut open, settings, jobs).await;
            let opened = !had_session && open.is_some();
            drop(open);
            if opened {
                self.trim_idle();
            }
        }
    }

    /// Opens `account`'s session ahead of a copy (its message is being
    /// sent), so that the copy, once the server accepted the message, goes
    /// out on a session already logged in and with its folder chosen: the
    /// connection, TLS, LOGIN and the folder list overlap the SMTP exchange
    /// instead of following it, and only the APPEND is left. Nothing is
    /// created here (a missing Sent folder is created when a copy is
    /// filed). Nothing when a fresh session with these settings is open or
    /// a round holds it; a failure to connect is left for the copy's round
    /// to report.
    pub async fn prepare(&self, account: &str, settings: &ImapSettings, target: &Target) {
        let state = self.state(account);
        let Ok(mut open) = state.session.try_lock() else {
            return;
        };
        let fingerprint = settings.fingerprint();
        if !open
            .as_ref()
            .is_some_and(|o| o.is_fresh(&fingerprint, self.idle_expiry))
        {
            if let Some(old) = open.take() {
                old.session.logout().await;
            }
            match connect(settings).await {
                Ok(session) => {
                    *open = Some(Open {
                        session,
                        fingerprint,
                        used: Instant::now(),
                    });
                }
                Err(failure) => {
                    tracing::debug!(account, code = failure.code(), "IMAP: not prepared");
                    *lock(&state.unprepared) = Some((fingerprint, Instant::now(), failure));
                    return;
                }
            }
        }
        let look_only = match target {
            Target::Auto { provider_hint, .. } => Target::Auto {
                provider_hint: provider_hint.clone(),
                create: false,
            },
            Target::Folder(_) => target.clone(),
        };
        if let Some(o) = open.as_mut()
            && let Err(failure) = self
                .folder(&state, &mut o.session, settings, &look_only)
                .await
        {
            // Chosen (or created) when the copy is filed; a session the
            // failure may have broken is not kept.
            tracing::debug!(
                account,
                code = failure.code(),
                "IMAP: folder not chosen ahead"
            );
            if !failure.kind.refuses_the_copy() && failure.kind != FailureKind::ImapNoSentFolder {
                *open = None;
            }
        }
        drop(open);
        self.trim_idle();
    }

    /// Logs out the sessions idle longest while more than `max_idle` are
    /// open and idle (sessions in use are left alone).
    fn trim_idle(&self) {
        let states = self.states();
        let mut idle: Vec<_> = states
            .iter()
            .filter_map(|state| {
                let open = state.session.try_lock().ok()?;
                let used = open.as_ref()?.used;
                Some((used, open))
            })
            .collect();
        if idle.len() <= self.max_idle {
            return;
        }
        idle.sort_by_key(|(used, _)| *used);
        let surplus = idle.len() - self.max_idle;
        log_out_in_background(
            idle.into_iter()
                .take(surplus)
                .filter_map(|(_, mut open)| open.take().map(|o| o.session))
                .collect(),
        );
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
            let queued = lock(&state.queue).len();
            if state.in_flight.load(Ordering::SeqCst) == 0 || queued >= LINGER_BATCH {
                return;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return;
            }
        }
    }

    /// Files `jobs` (claimed in the spool) over the account's session,
    /// reusing it when it is fresh and opened with the same settings; one
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
            .is_some_and(|o| !o.is_fresh(&fingerprint, self.idle_expiry));
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
        // Once the server cannot be reached, the rest of the round fails
        // the same way without trying again.
        let mut unreachable: Option<Failure> = None;
        for (target, jobs) in groups {
            for jobs in chunks(jobs) {
                let result = match &unreachable {
                    Some(failure) => Err(failure.clone()),
                    None => {
                        self.file_group(state, open, settings, &fingerprint, &target, &jobs)
                            .await
                    }
                };
                if let Err(failure) = &result {
                    if failure.kind == FailureKind::ImapFolderMissing {
                        *lock(&state.sent) = None;
                        state.stale.store(true, Ordering::SeqCst);
                    }
                    if !failure.kind.refuses_the_copy() {
                        // The session may be broken: the next batch reconnects.
                        *open = None;
                    }
                    if is_unreachable(failure) {
                        unreachable = Some(failure.clone());
                    }
                }
                self.settle(jobs, result).await;
            }
        }
    }

    /// Records each job's outcome in the spool and tells its caller. A
    /// spool that cannot record a filed copy only leaves it to be found
    /// filed by the next retry; one that cannot record a failure leaves
    /// the copy claimed until its claim runs out.
    async fn settle(&self, jobs: Vec<Job>, result: Result<(String, bool, Vec<Outcome>), Failure>) {
        match result {
            Ok((folder, created, outcomes)) => {
                let mut filed = Vec::new();
                let mut answers = Vec::new();
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let answer = match outcome {
                        Outcome::Appended => Filed::Filed {
                            folder: folder.clone(),
                            created,
                        },
                        Outcome::AlreadyThere => Filed::AlreadyFiled {
                            folder: folder.clone(),
                        },
                        Outcome::Lost => Filed::Spooled {
                            entry: job.claim.entry.id.clone(),
                            failure: Failure::new(FailureKind::SpoolClaimLost)
                                .arg("entry", job.claim.entry.id.clone()),
                        },
                    };
                    if outcome != Outcome::Lost {
                        filed.push(job.claim);
                    }
                    answers.push((job.done, answer));
                }
                if let Err(e) = self.spool.filed(filed).await {
                    tracing::warn!(error = %e, "filed copies not yet forgotten by the spool; a retry will find them filed");
                }
                for (done, answer) in answers {
                    let _ = done.send(answer);
                }
            }
            Err(failure) => {
                let permanent = failure.kind.refuses_the_copy();
                let text = describe(&failure);
                for job in jobs {
                    let entry = job.claim.entry.id.clone();
                    if let Err(e) = self.spool.failed(job.claim, &text, permanent).await {
                        tracing::warn!(error = %e, entry, "failure not recorded; the copy is retried when its claim runs out");
                    }
                    let failure = failure.clone();
                    let _ = job.done.send(if permanent {
                        Filed::Failed { entry, failure }
                    } else {
                        Filed::Spooled { entry, failure }
                    });
                }
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
    ) -> Result<(String, bool, Vec<Outcome>), Failure> {
        let o = match open {
            Some(o) => o,
            None => {
                // Opening it ahead of this copy just failed: that is this
                // copy's answer (taken once; the next round tries again).
                let failed = lock(&state.unprepared).take();
                if let Some((with, at, failure)) = failed
                    && with == fingerprint
                    && at.elapsed() < UNPREPARED_FOR
                {
                    return Err(failure);
                }
                open.insert(Open {
                    session: connect(settings).await?,
                    fingerprint: fingerprint.to_string(),
                    used: Instant::now(),
                })
            }
        };
        o.used = Instant::now();
        let (folder, created) = self.folder(state, &mut o.session, settings, target).await?;
        let mut outcomes = vec![Outcome::Appended; jobs.len()];
        let checked: Vec<usize> = (0..jobs.len()).filter(|&i| jobs[i].check_first).collect();
        if !checked.is_empty() {
            let ids: Vec<&str> = checked
                .iter()
                .map(|&i| jobs[i].claim.entry.message_id.as_str())
                .collect();
            let found = o.session.contains_message_ids(&folder, &ids).await?;
            for (&i, found) in checked.iter().zip(found) {
                if found {
                    outcomes[i] = Outcome::AlreadyThere;
                }
            }
        }
        // Renewed just before the APPEND: only copies still ours are filed.
        let to_append: Vec<usize> = (0..jobs.len())
            .filter(|&i| outcomes[i] == Outcome::Appended)
            .collect();
        let claims: Vec<&Claimed> = to_append.iter().map(|&i| &jobs[i].claim).collect();
        let held: HashSet<String> = self
            .spool
            .renew(&claims)
            .await
            .map_err(|e| {
                Failure::new(FailureKind::SpoolUnwritable)
                    .arg("dir", self.spool.location())
                    .arg("detail", e)
            })?
            .into_iter()
            .collect();
        let mut messages = Vec::new();
        let mut appending = Vec::new();
        for &i in &to_append {
            if held.contains(&jobs[i].claim.entry.id) {
                messages.push(AppendCopy {
                    message: jobs[i].claim.message.as_slice(),
                    date: jobs[i].claim.entry.date.as_deref(),
                    // A copy whose message may not have gone out stands
                    // out, unread.
                    seen: !jobs[i].claim.entry.fate_unknown,
                });
                appending.push(&jobs[i].claim);
            } else {
                outcomes[i] = Outcome::Lost;
            }
        }
        if !messages.is_empty() {
            let append = o.session.append_copies(&folder, &messages);
            match self.spool.lease() {
                // A long upload keeps its claims alive (a lease renewed
                // every third of its length).
                Some(lease) => {
                    let heartbeat = async {
                        loop {
                            tokio::time::sleep(lease / 3).await;
                            if let Err(e) = self.spool.renew(&appending).await {
                                tracing::warn!(error = %e, "claims not renewed during an APPEND");
                            }
                        }
                    };
                    tokio::select! {
                        appended = append => appended?,
                        () = heartbeat => unreachable!("the heartbeat never ends"),
                    }
                }
                None => append.await?,
            }
        }
        Ok((folder, created, outcomes))
    }

    /// The folder to file in: the target's, or the Sent folder chosen on
    /// the server (remembered per account and settings; the list taken
    /// from the folder cache unless it proved wrong), created when the
    /// server has none and the target allows it. The flag says whether it
    /// was created now.
    async fn folder(
        &self,
        state: &AccountState,
        session: &mut Session,
        settings: &ImapSettings,
        target: &Target,
    ) -> Result<(String, bool), Failure> {
        let (hint, create) = match target {
            Target::Folder(folder) => return Ok((folder.clone(), false)),
            Target::Auto {
                provider_hint,
                create,
            } => (provider_hint.as_deref(), *create),
        };
        let fingerprint = settings.fingerprint();
        if let Some((for_settings, folder)) = lock(&state.sent).clone()
            && for_settings == fingerprint
        {
            return Ok((folder, false));
        }
        let listed_wrong = state.stale.swap(false, Ordering::SeqCst);
        let cached = if listed_wrong {
            None
        } else {
            self.folders.get(settings).await
        };
        let choose = |list: &crate::FolderList| {
            choose_sent(&list.folders, &list.namespaces, hint, None).map(|c| c.folder.raw)
        };
        let mut created = false;
        let folder = match cached.as_ref().and_then(choose) {
            Some(folder) => folder,
            None => {
                let list = self.folders.list(session, settings).await?;
                match choose(&list) {
                    Some(folder) => folder,
                    None if !create => {
                        return Err(Failure::new(FailureKind::ImapNoSentFolder));
                    }
                    None => {
                        let name = sent_folder_to_create(&list.namespaces, hint);
                        created = session.create_sent_folder(&name).await?;
                        tracing::info!(folder = %name, created, "the server had no Sent folder");
                        // Listed again so that the cache (shared by every
                        // worker) holds it; the name created stands even
                        // if the server's list does not qualify it.
                        let list = self.folders.list(session, settings).await?;
                        choose(&list).unwrap_or(name)
                    }
                }
            }
        };
        *lock(&state.sent) = Some((fingerprint, folder.clone()));
        Ok((folder, created))
    }

    /// Files every due copy of the spool, claiming them a batch at a time
    /// (so workers sharing the spool split them); `settings_for` gives each
    /// account's settings and Sent folder hint (`None` leaves its copies
    /// waiting). With `all`, pending copies not yet due are made due
    /// first. Calls `progress(done, total)` as copies are handled.
    ///
    /// Each copy is filed in the folder its account's settings name now
    /// (`Target::Auto`: chosen again), and only if those settings still
    /// reach the mailbox the copy was made for ([`Owner`]); otherwise it is
    /// kept, marked failed with `SP003`, until the account is fixed (then
    /// `requeue_failed`). Copies whose message may not have been sent (its
    /// sender died after handing it over) are filed unread and counted in
    /// [`RetryReport::unknown_fate`].
    pub async fn retry(
        &self,
        settings_for: impl Fn(&str) -> Option<(ImapSettings, Target)>,
        all: bool,
        mut progress: impl FnMut(usize, usize),
    ) -> std::io::Result<RetryReport> {
        if all {
            self.spool.make_due().await?;
        }
        let mut total = self.spool.due().await?.len();
        let mut report = RetryReport::default();
        let mut seen = HashSet::new();
        let mut done = 0;
        progress(0, total);
        loop {
            let claims = self.spool.claim(self.batch).await?;
            if claims.is_empty() {
                break;
            }
            let mut filing = Vec::new();
            let mut again = 0;
            for claim in claims {
                // Seen in this pass already (a backoff of zero): next pass.
                if !seen.insert(claim.entry.id.clone()) {
                    again += 1;
                    self.spool.release(claim, self.spool.backoff().base).await?;
                    continue;
                }
                match settings_for(&claim.entry.account) {
                    Some((settings, _))
                        if claim
                            .entry
                            .owner
                            .as_ref()
                            .is_some_and(|owner| !owner.is_mailbox_of(&settings)) =>
                    {
                        let owner = claim.entry.owner.as_ref().map(Owner::mailbox);
                        let failure = Failure::new(FailureKind::SpoolAccountChanged)
                            .arg("entry", &claim.entry.id)
                            .arg("account", &claim.entry.account)
                            .arg("mailbox", owner.unwrap_or_default())
                            .arg(
                                "now",
                                format!(
                                    "{}@{}:{}",
                                    settings.username, settings.host, settings.port
                                ),
                            );
                        tracing::warn!(entry = %claim.entry.id, account = %claim.entry.account, code = failure.code(), "spool: the account now names another mailbox; copy kept");
                        self.spool.failed(claim, &describe(&failure), true).await?;
                        report.account_changed += 1;
                        report.failed += 1;
                        done += 1;
                    }
                    Some((settings, target)) => filing.push((claim, settings, target)),
                    None => {
                        report.pending += 1;
                        done += 1;
                        self.spool.release(claim, self.spool.backoff().base).await?;
                    }
                }
            }
            if filing.is_empty() && again > 0 {
                break;
            }
            total = total.max(done + filing.len());
            let outcomes = futures_util::future::join_all(filing.into_iter().map(
                |(claim, settings, target)| async move {
                    let unknown = claim.entry.fate_unknown;
                    (unknown, self.refile(claim, &settings, &target).await)
                },
            ))
            .await;
            for (unknown, outcome) in outcomes {
                // Found already filed, it was filed by its sender after the
                // server's acceptance: its fate was known after all.
                if unknown && matches!(outcome, Filed::Filed { .. }) {
                    report.unknown_fate += 1;
                }
                match outcome {
                    Filed::Filed { .. } => report.filed += 1,
                    Filed::AlreadyFiled { .. } => report.already_filed += 1,
                    Filed::Spooled { .. } => report.pending += 1,
                    Filed::Failed { .. } => report.failed += 1,
                }
                done += 1;
                progress(done, total);
            }
        }
        progress(done, total.max(done));
        Ok(report)
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

/// `jobs` in batches of at most [`CHUNK_COPIES`] copies and
/// [`CHUNK_BYTES`] bytes (a larger copy alone).
fn chunks(jobs: Vec<Job>) -> Vec<Vec<Job>> {
    let mut chunks: Vec<Vec<Job>> = Vec::new();
    let mut bytes = 0;
    for job in jobs {
        let size = job.claim.message.len();
        match chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK_COPIES && bytes + size <= CHUNK_BYTES => {
                bytes += size;
                chunk.push(job);
            }
            _ => {
                bytes = size;
                chunks.push(vec![job]);
            }
        }
    }
    chunks
}

/// Whether a failure says the server cannot be reached or entered at all
/// (so trying the next batch now is pointless).
fn is_unreachable(failure: &Failure) -> bool {
    matches!(
        failure.kind,
        FailureKind::ImapDns
            | FailureKind::ImapRefused
            | FailureKind::ImapUntrustedCertificate
            | FailureKind::ImapCertificateName
            | FailureKind::ImapCertificateExpired
            | FailureKind::ImapTls
            | FailureKind::ImapStarttlsMissing
            | FailureKind::ImapLoginRefused
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(size: usize) -> Job {
        let entry = NewCopy::sent("a", None, "m@x").entry(format!("id-{size}"), size);
        let (done, _) = oneshot::channel();
        Job {
            target: Target::Auto {
                provider_hint: None,
                create: true,
            },
            claim: Claimed::new(entry, Arc::new(vec![0; size]), None),
            check_first: false,
            done,
        }
    }

    fn sizes(chunks: &[Vec<Job>]) -> Vec<Vec<usize>> {
        chunks
            .iter()
            .map(|c| c.iter().map(|j| j.claim.message.len()).collect())
            .collect()
    }

    #[test]
    fn batches_are_bounded_in_bytes_and_copies() {
        const MIB: usize = 1024 * 1024;
        let big = chunks(vec![
            job(3 * MIB),
            job(2 * MIB),
            job(MIB),
            job(9 * MIB),
            job(10),
        ]);
        assert_eq!(
            sizes(&big),
            vec![vec![3 * MIB], vec![2 * MIB, MIB], vec![9 * MIB], vec![10]],
            "a copy larger than a batch goes alone; none is split"
        );
        let many = chunks((0..250).map(|_| job(100)).collect());
        assert_eq!(
            many.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        assert!(chunks(Vec::new()).is_empty());
    }
}
