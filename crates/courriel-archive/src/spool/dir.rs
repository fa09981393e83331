//! The embedded store: a directory on this machine.
//!
//! Layout: one file per copy, `DIR/ID.copy`: a line of JSON metadata (with
//! the message's length), then the exact bytes. It is written whole to a
//! hidden temporary file (locked while written), synced, renamed into place
//! and the directory synced, so an entry exists whole or not at all.
//! Removing a filed copy is a single unlink, not synced: if a crash brings
//! the entry back, the retry finds its Message-ID in the folder and files
//! nothing (one file and few system calls per copy: the spool sits on every
//! send's path).
//!
//! The directory is created 0700 and every file 0600 (from their creation,
//! never changed after): they hold whole messages, Bcc included. Opening
//! the store writes and syncs a small probe file, so a directory on a full
//! or read-only disk is refused before anything is sent. A temporary file
//! whose writer died after writing it whole is put in place (it is newer
//! than the entry it replaces), unless it is the first write of a copy
//! about to be sent (`sending`): that put never returned, so its message
//! was never handed over, and it is removed.
//!
//! An entry's file that cannot be read (cut short, not JSON, named for
//! another entry, not ours) is moved to `DIR/quarantine/` with a warning and
//! counted ([`SpoolStore::quarantined`]): it blocks no other copy.
//!
//! A claim is an exclusive `flock` on the entry's file, held from the put
//! (or the claim) until the copy is settled: processes of one machine
//! sharing the directory (an application and `courriel spool retry`, say)
//! never file the same copy at once, and the kernel releases the lock of a
//! process that dies. A claim is checked against the path after locking
//! (the file may have been filed and removed, or rewritten, meanwhile). An
//! entry still `sending` whose lock is free lost its sender: it is claimed
//! as of unknown fate.

use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{Claimed, Entry, EntryState, NewCopy, SpoolStore, StoreFuture, new_id, now};

/// A spool directory.
#[derive(Debug, Clone)]
pub struct DirStore {
    dir: PathBuf,
}

/// The file of entry `id`.
fn file_name(id: &str) -> String {
    format!("{id}.{EXTENSION}")
}

const EXTENSION: &str = "copy";

/// Where unreadable entries are set aside, inside the spool directory.
const QUARANTINE: &str = "quarantine";

/// The longest metadata line read back (a guard against a foreign file).
const MAX_METADATA: u64 = 64 * 1024;

/// Spool files and directories are private to their owner: they hold
/// whole messages, Bcc included.
const FILE_MODE: u32 = 0o600;
const DIR_MODE: u32 = 0o700;

/// Creates `dir` (and its missing parents) private to its owner.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

/// Creates (or truncates) `path` for writing, private to its owner from
/// the start (never created readable by others, then changed).
pub(crate) fn create_private_file(path: &Path) -> std::io::Result<File> {
    File::options()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)
}

/// The temporary file an entry is written to before it is renamed.
fn tmp_name(name: &str) -> String {
    format!(".{name}.tmp")
}

/// Writes `parts` one after the other as file `name` in `dir`, durably:
/// a hidden temporary file (locked while written), synced, renamed, the
/// directory synced. With `lock`, the locked handle is returned: the entry
/// appears under its name already locked.
fn write_atomic(
    dir: &Path,
    name: &str,
    parts: &[&[u8]],
    lock: bool,
) -> std::io::Result<Option<File>> {
    let tmp = dir.join(tmp_name(name));
    let mut file = create_private_file(&tmp)?;
    file.lock()?;
    for part in parts {
        file.write_all(part)?;
    }
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))?;
    File::open(dir)?.sync_all()?;
    Ok(lock.then_some(file))
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(std::io::Error::other)?
}

/// Whether `file` (locked) is still the one at `path`.
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

/// A file removed by someone else first is as good as removed.
fn gone_is_fine(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// What reading an entry's file found.
enum Read {
    /// The entry, and where its message starts.
    Entry(Box<Entry>, u64),
    /// Not an entry of ours, or a damaged one: why.
    Unreadable(String),
}

/// Reads the metadata line at the start of `file` and checks it against
/// the file: its id must be the file's, its message whole.
fn read_entry(file: &File, path: &Path) -> std::io::Result<Read> {
    use std::io::{BufRead as _, Read as _, Seek as _};
    let mut reader = file;
    reader.seek(std::io::SeekFrom::Start(0))?;
    let mut line = Vec::new();
    std::io::BufReader::new(reader.take(MAX_METADATA)).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Ok(Read::Unreadable(format!(
            "no metadata line (within {MAX_METADATA} bytes)"
        )));
    }
    let entry: Entry = match serde_json::from_slice(&line) {
        Ok(entry) => entry,
        Err(e) => return Ok(Read::Unreadable(format!("metadata unreadable: {e}"))),
    };
    let named = path
        .file_stem()
        .is_some_and(|stem| stem.to_string_lossy().trim_start_matches('.') == entry.id);
    if !named {
        return Ok(Read::Unreadable(format!(
            "holds entry {:?}, not the one its name says",
            entry.id
        )));
    }
    let offset = line.len() as u64;
    if let Some(size) = entry.size {
        let len = file.metadata()?.len();
        if len != offset + size {
            return Ok(Read::Unreadable(format!(
                "message of {} bytes where {size} were written",
                len.saturating_sub(offset)
            )));
        }
    }
    Ok(Read::Entry(Box::new(entry), offset))
}

impl DirStore {
    /// Opens (creating it if needed, private to its owner) a spool
    /// directory, checks that a copy can be written in it (so that a spool
    /// on a full or read-only disk is found out before anything is sent),
    /// and recovers or removes the leftovers of interrupted writes.
    pub fn open(dir: &Path) -> std::io::Result<DirStore> {
        let named = |e: std::io::Error| {
            std::io::Error::new(e.kind(), format!("spool directory {}: {e}", dir.display()))
        };
        create_private_dir(dir).map_err(named)?;
        let store = DirStore {
            dir: dir.to_path_buf(),
        };
        store.probe().map_err(named)?;
        store.clean().map_err(named)?;
        Ok(store)
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes, syncs and removes a small file: the spool can take a copy.
    /// The file is locked while it exists, like any file being written, so
    /// another process opening the spool meanwhile leaves it alone.
    fn probe(&self) -> std::io::Result<()> {
        let path = self.dir.join(format!(".probe-{}.tmp", new_id("probe")));
        let written = create_private_file(&path).and_then(|mut file| {
            file.lock()?;
            file.write_all(&[0; 512])?;
            file.sync_all()?;
            Ok(file)
        });
        // Removed before its lock goes (with `written`).
        let removed = gone_is_fine(std::fs::remove_file(&path));
        written?;
        removed
    }

    /// Leftovers of interrupted writes. A temporary file being written is
    /// locked by its writer and left alone. One whose writer died whole
    /// (renaming was all that was left) is put in place when it is newer
    /// news than the entry it replaces (a failure recorded, an acceptance
    /// written), or is an entry of its own not yet `sending`; a whole
    /// `sending` one with no entry is a put that never returned, so its
    /// message was never handed over: removed, like a partial one (once
    /// older than a minute, in case its writer has not locked it yet).
    fn clean(&self) -> std::io::Result<()> {
        for file in std::fs::read_dir(&self.dir)? {
            let path = file?.path();
            let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                continue;
            };
            let Some(entry_name) = name
                .strip_prefix('.')
                .and_then(|n| n.strip_suffix(".tmp"))
                .map(str::to_string)
            else {
                continue;
            };
            let Ok(tmp) = File::open(&path) else { continue };
            if tmp.try_lock().is_err() {
                continue; // being written
            }
            let old = tmp
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().unwrap_or_default() > Duration::from_secs(60));
            let target = self.dir.join(&entry_name);
            // Whole: written to its end by a writer that held its lock
            // from the start (so no longer writing it).
            let whole = match read_entry(&tmp, &target)? {
                Read::Entry(entry, _)
                    if entry.size.is_some() && entry_name.ends_with(EXTENSION) =>
                {
                    Some(entry)
                }
                _ => None,
            };
            if let Some(entry) = whole {
                if entry.state == EntryState::Sending && !target.exists() {
                    tracing::info!(file = %path.display(), "spool: a put that never returned (nothing was handed over): removed");
                    gone_is_fine(std::fs::remove_file(&path))?;
                    continue;
                }
                // The entry it replaces must not be held by a live claim.
                let held = File::open(&target).is_ok_and(|f| f.try_lock().is_err());
                if !held {
                    // Renamed by its writer since we looked: nothing to do.
                    if std::fs::rename(&path, &target).is_ok() {
                        tracing::warn!(file = %path.display(), "spool: an interrupted write was whole: recovered");
                        File::open(&self.dir)?.sync_all()?;
                    }
                }
            } else if old {
                // A probe too: one left by a process that died probing.
                gone_is_fine(std::fs::remove_file(&path))?;
            }
        }
        Ok(())
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(file_name(id))
    }

    /// Moves an unreadable entry's file aside, so that it blocks nothing.
    fn quarantine(&self, path: &Path, why: &str) -> std::io::Result<()> {
        let aside = self.dir.join(QUARANTINE);
        create_private_dir(&aside)?;
        let name = path.file_name().unwrap_or_default();
        match std::fs::rename(path, aside.join(name)) {
            Ok(()) => {
                tracing::warn!(
                    file = %path.display(),
                    why,
                    "spool: unreadable entry moved to {}",
                    aside.display()
                );
                Ok(())
            }
            // Moved or filed by another process meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Writes an entry's file (metadata line, then `message`).
    fn save(&self, entry: &Entry, message: &[u8], lock: bool) -> std::io::Result<Option<File>> {
        let mut entry = entry.clone();
        entry.size = Some(message.len() as u64);
        entry.claimed_by = None;
        let mut metadata = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
        metadata.push(b'\n');
        write_atomic(
            &self.dir,
            &file_name(&entry.id),
            &[&metadata, message],
            lock,
        )
    }

    /// Opens and reads an entry's file, quarantining it when unreadable;
    /// `None` when it is gone or was set aside. With `claim`, the file is
    /// locked first (`None` too when another process holds it).
    fn open_entry(&self, path: &Path, claim: bool) -> std::io::Result<Option<(File, Entry, u64)>> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if claim {
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
            if !still_at(&file, path) {
                return Ok(None);
            }
        }
        match read_entry(&file, path)? {
            Read::Entry(entry, offset) => Ok(Some((file, *entry, offset))),
            // A file being written is never at its entry's name, so one
            // unreadable there stays so; but a holder may be reading it.
            Read::Unreadable(why) if claim || file.try_lock().is_ok() => {
                self.quarantine(path, &why)?;
                Ok(None)
            }
            Read::Unreadable(_) => Ok(None),
        }
    }

    /// The message bytes after the metadata line.
    fn read_message(mut file: &File, offset: u64) -> std::io::Result<Vec<u8>> {
        use std::io::{Read as _, Seek as _};
        file.seek(std::io::SeekFrom::Start(offset))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// The entries' files, oldest first.
    fn files(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for file in std::fs::read_dir(&self.dir)? {
            let path = file?.path();
            let ours = path.extension().is_some_and(|e| e == EXTENSION);
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if ours && !hidden {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }

    fn entries_now(&self) -> std::io::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        for path in self.files()? {
            if let Some((file, mut entry, _)) = self.open_entry(&path, false)? {
                // A `sending` entry nobody holds lost its sender.
                if entry.state == EntryState::Sending && file.try_lock().is_ok() {
                    entry.fate_unknown = true;
                }
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    fn claim_now(&self, limit: usize) -> std::io::Result<Vec<Claimed>> {
        let now = now();
        let mut claimed = Vec::new();
        for path in self.files()? {
            if claimed.len() >= limit {
                break;
            }
            let Some((file, mut entry, offset)) = self.open_entry(&path, true)? else {
                continue;
            };
            match entry.state {
                // Its sender died after handing the message over.
                EntryState::Sending => {
                    entry.state = EntryState::Pending;
                    entry.fate_unknown = true;
                }
                EntryState::Pending if entry.next_attempt <= now => {}
                EntryState::Pending | EntryState::Failed => continue,
            }
            let message = Arc::new(Self::read_message(&file, offset)?);
            claimed.push(Claimed::new(entry, message, Some(Box::new(file))));
        }
        Ok(claimed)
    }

    fn requeue_now(&self, failed_too: bool) -> std::io::Result<usize> {
        let mut changed = 0;
        for path in self.files()? {
            let Some((file, mut entry, offset)) = self.open_entry(&path, true)? else {
                continue;
            };
            let change = match entry.state {
                EntryState::Failed => failed_too,
                EntryState::Pending => entry.next_attempt > now(),
                EntryState::Sending => false,
            };
            if change {
                let message = Self::read_message(&file, offset)?;
                entry.state = EntryState::Pending;
                entry.next_attempt = 0;
                self.save(&entry, &message, false)?;
                changed += 1;
            }
        }
        Ok(changed)
    }

    fn quarantined_now(&self) -> std::io::Result<usize> {
        match std::fs::read_dir(self.dir.join(QUARANTINE)) {
            Ok(files) => Ok(files.count()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e),
        }
    }
}

impl SpoolStore for DirStore {
    fn location(&self) -> String {
        self.dir.display().to_string()
    }

    fn put<'a>(&'a self, copy: NewCopy<'a>, message: Arc<Vec<u8>>) -> StoreFuture<'a, Claimed> {
        let entry = copy.entry(new_id(copy.message_id), message.len());
        let store = self.clone();
        Box::pin(blocking(move || {
            let file = store.save(&entry, &message, true)?;
            Ok(Claimed::new(
                entry,
                message,
                file.map(|f| Box::new(f) as Box<_>),
            ))
        }))
    }

    fn claim(&self, limit: usize) -> StoreFuture<'_, Vec<Claimed>> {
        let store = self.clone();
        Box::pin(blocking(move || store.claim_now(limit)))
    }

    fn renew<'a>(&'a self, claims: &'a [&'a Claimed]) -> StoreFuture<'a, Vec<String>> {
        // A lock lasts as long as the process holds it.
        let ids = claims.iter().map(|c| c.entry.id.clone()).collect();
        Box::pin(std::future::ready(Ok(ids)))
    }

    fn filed(&self, claims: Vec<Claimed>) -> StoreFuture<'_, ()> {
        let store = self.clone();
        Box::pin(blocking(move || {
            for claim in claims {
                // Removed while still locked; the lock goes with the claim.
                match std::fs::remove_file(store.path(&claim.entry.id)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        }))
    }

    fn failed<'a>(
        &'a self,
        claim: Claimed,
        error: &'a str,
        permanent: bool,
        retry_after: Duration,
    ) -> StoreFuture<'a, Entry> {
        let store = self.clone();
        let error = error.to_string();
        Box::pin(blocking(move || {
            let mut entry = claim.entry.clone();
            entry.attempts += 1;
            entry.last_error = Some(error);
            entry.next_attempt = now() + retry_after.as_secs();
            entry.state = if permanent {
                EntryState::Failed
            } else {
                EntryState::Pending
            };
            store.save(&entry, &claim.message, false)?;
            drop(claim);
            Ok(entry)
        }))
    }

    fn release(&self, claim: Claimed, retry_after: Duration) -> StoreFuture<'_, ()> {
        let store = self.clone();
        Box::pin(blocking(move || {
            let mut entry = claim.entry.clone();
            entry.next_attempt = now() + retry_after.as_secs();
            store.save(&entry, &claim.message, false)?;
            drop(claim);
            Ok(())
        }))
    }

    fn entries(&self) -> StoreFuture<'_, Vec<Entry>> {
        let store = self.clone();
        Box::pin(blocking(move || store.entries_now()))
    }

    fn requeue(&self, failed_too: bool) -> StoreFuture<'_, usize> {
        let store = self.clone();
        Box::pin(blocking(move || store.requeue_now(failed_too)))
    }

    fn quarantined(&self) -> StoreFuture<'_, usize> {
        let store = self.clone();
        Box::pin(blocking(move || store.quarantined_now()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Spool, backoff};
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn copy(id: &str) -> NewCopy<'_> {
        NewCopy::sent("alice", Some("Sent"), id)
    }

    #[test]
    fn entries_survive_reopening_and_failures_are_kept() {
        let dir = std::env::temp_dir().join(format!("courriel-spool-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        runtime().block_on(async {
            let spool = Spool::dir(&dir).unwrap();
            let claim = spool
                .put(copy("a@b"), Arc::new(b"bytes".to_vec()))
                .await
                .unwrap();
            let entry = claim.entry.clone();
            let again = Spool::dir(&dir).unwrap();
            assert_eq!(again.entries().await.unwrap(), std::slice::from_ref(&entry));
            assert!(again.claim(10).await.unwrap().is_empty(), "held by its put");
            again.failed(claim, "IM004 timeout", false).await.unwrap();
            assert!(
                again.claim(10).await.unwrap().is_empty(),
                "not due before its backoff"
            );
            assert_eq!(again.due().await.unwrap().len(), 0);
            assert_eq!(again.make_due().await.unwrap(), 1);
            let mut claims = again.claim(10).await.unwrap();
            assert_eq!(claims.len(), 1);
            assert_eq!(claims[0].message.as_slice(), b"bytes");
            assert_eq!(claims[0].entry.attempts, 1);
            assert!(
                spool.claim(10).await.unwrap().is_empty(),
                "one claim at a time"
            );
            let failed = again
                .failed(claims.remove(0), "IM012 quota", true)
                .await
                .unwrap();
            assert_eq!(failed.state, EntryState::Failed);
            assert_eq!(again.entries().await.unwrap()[0].state, EntryState::Failed);
            assert!(
                again.claim(10).await.unwrap().is_empty(),
                "a failed copy is not retried"
            );
            assert_eq!(again.requeue_failed().await.unwrap(), 1);
            let claims = again.claim(10).await.unwrap();
            assert_eq!(claims.len(), 1, "requeued, due now");
            assert_eq!(claims[0].message.as_slice(), b"bytes", "kept whole");
            again.filed(claims).await.unwrap();
            assert!(again.entries().await.unwrap().is_empty());
        });
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_claim_is_released_with_its_holder() {
        let dir = std::env::temp_dir().join(format!("courriel-spool-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        runtime().block_on(async {
            let spool = Spool::dir(&dir).unwrap();
            let claim = spool
                .put(copy("x@y"), Arc::new(b"m".to_vec()))
                .await
                .unwrap();
            assert!(spool.claim(1).await.unwrap().is_empty());
            // A holder that goes away (a process killed) lets go of its lock.
            drop(claim);
            let claims = spool.claim(5).await.unwrap();
            assert_eq!(claims.len(), 1);
            spool
                .release(claims.into_iter().next().unwrap(), backoff(0))
                .await
                .unwrap();
            assert!(
                spool.claim(5).await.unwrap().is_empty(),
                "released for later"
            );
        });
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_whole_temporary_file_is_recovered_unless_its_put_never_returned() {
        let dir = std::env::temp_dir().join(format!("courriel-spool-whole-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        runtime().block_on(async {
            let spool = Spool::dir(&dir).unwrap();
            // A failure being recorded when the process died: the new
            // entry was written whole, not yet renamed over the old one.
            let mut claim = spool
                .put(copy("whole@x").before_sending(), Arc::new(b"m".to_vec()))
                .await
                .unwrap();
            claim.mark_sent();
            let store = DirStore::open(&dir).unwrap();
            let mut newer = claim.entry.clone();
            newer.attempts = 1;
            newer.last_error = Some("IM003 refused".into());
            let mut line = serde_json::to_vec(&Entry {
                size: Some(1),
                ..newer
            })
            .unwrap();
            line.push(b'\n');
            let name = file_name(&claim.entry.id);
            std::fs::write(dir.join(tmp_name(&name)), [line.as_slice(), b"m"].concat()).unwrap();
            // A put that never returned: `sending`, whole, and no entry.
            let lost = copy("lost@x").before_sending().entry("1-lost".into(), 1);
            let mut line = serde_json::to_vec(&lost).unwrap();
            line.push(b'\n');
            let lost_tmp = dir.join(tmp_name(&file_name("1-lost")));
            std::fs::write(&lost_tmp, [line.as_slice(), b"m"].concat()).unwrap();
            drop(claim);
            store.clean().unwrap();
            let entries = spool.entries().await.unwrap();
            assert_eq!(entries.len(), 1, "{entries:?}");
            assert_eq!(entries[0].state, EntryState::Pending, "the newer news won");
            assert_eq!(entries[0].attempts, 1);
            assert!(
                !lost_tmp.exists(),
                "a put that never returned handed nothing over: removed"
            );
        });
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn leftovers_of_interrupted_writes_are_removed_when_old() {
        let dir = std::env::temp_dir().join(format!("courriel-spool-tmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let old = dir.join(".x.copy.tmp");
        let young = dir.join(".y.copy.tmp");
        std::fs::write(&old, b"x").unwrap();
        std::fs::write(&young, b"y").unwrap();
        File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
        DirStore::open(&dir).unwrap();
        assert!(!old.exists());
        assert!(young.exists(), "maybe being written by another process");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Workers started together each open the directory: one's clean-up
    /// must never take another's probe file from under it (it once did,
    /// and that worker stopped with "No such file or directory").
    #[test]
    fn many_processes_open_one_directory_at_once() {
        let dir = std::env::temp_dir().join(format!("courriel-spool-open-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let failures: usize = std::thread::scope(|s| {
            let openers: Vec<_> = (0..8)
                .map(|_| s.spawn(|| (0..200).filter(|_| DirStore::open(&dir).is_err()).count()))
                .collect();
            openers.into_iter().map(|o| o.join().unwrap()).sum()
        });
        assert_eq!(failures, 0, "every opening succeeded");
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|f| f.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "no probe file left behind: {left:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
