//! [`FileStore`]: OAuth2 grants in a directory of private files, one per
//! account (`<file_stem>.json`), for an application on one machine.
//!
//! The directory is created 0700 and every file 0600 from its creation
//! (never readable by others, not even for a moment), as the spool's
//! directory store does; like it, an existing directory is taken as it is.
//! A grant is written whole to a temporary file of its own (`O_EXCL`),
//! synced, renamed over the old one and the directory synced: a reader
//! sees the old grant or the new one, never half of one. Reading opens
//! regular files only, without following a symbolic link planted in the
//! file's place, and at most [`MAX_STORED`] bytes.
//!
//! The refresh lock of an account is an exclusive `flock` on
//! `<file_stem>.lock` beside its grant: processes of one machine sharing
//! the directory renew one at a time, and the kernel releases the lock of
//! a process that dies. It is tried on a blocking thread, again and again
//! until it is free or the lock timeout has passed.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use courriel_core::failure::Failure;

use super::store::{
    Grant, GrantKey, MAX_STORED, RefreshLock, StoreFuture, TokenStore, store_failure,
};

/// The mode of the directory: its owner only.
const DIR_MODE: u32 = 0o700;
/// The mode of every file: its owner only (the grants hold tokens).
const FILE_MODE: u32 = 0o600;
/// How long the refresh lock is waited for by default.
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest pause between two tries of a busy lock.
const MAX_POLL: Duration = Duration::from_millis(100);
/// A temporary file older than this was left by a writer that died.
const STALE_TMP: Duration = Duration::from_secs(60);

/// Grants in a directory, one private file per account. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    lock_timeout: Duration,
}

/// A held refresh lock: the open lock file (closing it unlocks).
struct FileLock {
    _file: File,
}

impl RefreshLock for FileLock {}

/// Tells the thread trying a lock that nobody waits for it any more.
struct Abandon(Arc<AtomicBool>);

impl Drop for Abandon {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Opens `path` for reading: not through a symbolic link (`O_NOFOLLOW`),
/// without blocking should it be a FIFO (`O_NONBLOCK`, which a regular
/// file ignores), and only if what was opened is a regular file.
fn open_regular(path: &Path) -> std::io::Result<File> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                std::io::Error::new(e.kind(), "a symbolic link, not a file: refused")
            } else {
                e
            }
        })?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file: refused",
        ));
    }
    Ok(file)
}

/// A name no other writer uses: process id and a counter.
fn tmp_name(stem: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(".{stem}.{}-{n}.tmp", std::process::id())
}

/// Writes `text` as `dir/name`, durably and atomically: a temporary file
/// created (never opened if it exists) 0600, synced, renamed over `name`,
/// the directory synced.
fn write_atomic(dir: &Path, stem: &str, name: &str, text: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(tmp_name(stem));
    let written = (|| {
        let mut file = File::options()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        // The umask may only have taken bits away; make it exactly 0600.
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
        file.write_all(text)?;
        file.sync_all()?;
        std::fs::rename(&tmp, dir.join(name))?;
        File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(store_failure)?
}

impl FileStore {
    /// Opens the store in `dir`, creating it (and its missing parents)
    /// 0700 if needed, checks that a file can be written in it (so a
    /// read-only or full disk is found out now, not at the first renewal),
    /// and removes the temporary files of writers that died.
    pub fn open(dir: impl AsRef<Path>) -> Result<FileStore, Failure> {
        let dir = dir.as_ref();
        let named = |e: std::io::Error| {
            store_failure(format_args!("token directory {}: {e}", dir.display()))
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .map_err(named)?;
        let store = FileStore {
            dir: dir.to_path_buf(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        };
        store.probe().map_err(named)?;
        store.clean().map_err(named)?;
        Ok(store)
    }

    /// This store, waiting at most `timeout` for a refresh lock
    /// (default 60 s) before failing with OA009.
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> FileStore {
        self.lock_timeout = timeout;
        self
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The grant file of `key`.
    #[must_use]
    pub fn path(&self, key: &GrantKey) -> PathBuf {
        self.dir.join(format!("{}.json", key.file_stem()))
    }

    /// The lock file of `key`.
    fn lock_path(&self, key: &GrantKey) -> PathBuf {
        self.dir.join(format!("{}.lock", key.file_stem()))
    }

    /// Writes, syncs and removes a small file.
    fn probe(&self) -> std::io::Result<()> {
        let name = tmp_name("probe");
        write_atomic(&self.dir, "probe", &name, b"{}")?;
        std::fs::remove_file(self.dir.join(name))
    }

    /// Removes temporary files older than a minute (their writer died
    /// before renaming them); younger ones may be being written.
    fn clean(&self) -> std::io::Result<()> {
        for file in std::fs::read_dir(&self.dir)? {
            let file = file?;
            let name = file.file_name();
            let name = name.to_string_lossy();
            if !(name.starts_with('.') && name.ends_with(".tmp")) {
                continue;
            }
            let old = file
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().unwrap_or_default() > STALE_TMP);
            if old {
                match std::fs::remove_file(file.path()) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn load_now(path: &Path, key: &GrantKey) -> Result<Option<Grant>, Failure> {
        let named = |why: &dyn std::fmt::Display| {
            store_failure(format_args!("token file {}: {why}", path.display()))
        };
        let file = match open_regular(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(named(&e)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_STORED as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| named(&e))?;
        if bytes.len() > MAX_STORED {
            return Err(named(&format_args!("over {MAX_STORED} bytes")));
        }
        let text = String::from_utf8(bytes).map_err(|_| named(&"not UTF-8"))?;
        let grant = Grant::from_stored(&text).map_err(|why| named(&why))?;
        if grant.key() != *key {
            return Err(named(&format_args!(
                "holds the grant of {}, not of {key}",
                grant.key()
            )));
        }
        Ok(Some(grant))
    }

    /// Tries the lock file until it is ours, `deadline` passes, or nobody
    /// waits any more (`abandoned`).
    fn lock_now(
        path: &Path,
        key: &GrantKey,
        deadline: Instant,
        timeout: Duration,
        abandoned: &AtomicBool,
    ) -> Result<FileLock, Failure> {
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| {
                store_failure(format_args!("refresh lock file {}: {e}", path.display()))
            })?;
        let mut pause = Duration::from_millis(2);
        loop {
            if abandoned.load(Ordering::Relaxed) {
                return Err(store_failure("the refresh lock was no longer waited for"));
            }
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(store_failure(format_args!(
                        "refresh lock file {}: {e}",
                        path.display()
                    )));
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(store_failure(format_args!(
                    "the refresh lock of {key} ({}): another process holds it (waited {:.1} s)",
                    path.display(),
                    timeout.as_secs_f64()
                )));
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(MAX_POLL);
        }
    }
}

impl TokenStore for FileStore {
    fn load<'a>(&'a self, key: &'a GrantKey) -> StoreFuture<'a, Option<Grant>> {
        let path = self.path(key);
        let key = key.clone();
        Box::pin(blocking(move || Self::load_now(&path, &key)))
    }

    fn save<'a>(&'a self, grant: &'a Grant) -> StoreFuture<'a, ()> {
        let dir = self.dir.clone();
        let key = grant.key();
        let path = self.path(&key);
        let text = grant.to_stored();
        Box::pin(blocking(move || {
            let stem = key.file_stem();
            let name = format!("{stem}.json");
            write_atomic(&dir, &stem, &name, text.as_bytes())
                .map_err(|e| store_failure(format_args!("token file {}: {e}", path.display())))
        }))
    }

    fn delete<'a>(&'a self, key: &'a GrantKey) -> StoreFuture<'a, ()> {
        let dir = self.dir.clone();
        let path = self.path(key);
        Box::pin(blocking(move || {
            let named = |e: std::io::Error| {
                store_failure(format_args!("token file {}: {e}", path.display()))
            };
            match std::fs::remove_file(&path) {
                Ok(()) => File::open(&dir).and_then(|d| d.sync_all()).map_err(named),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(named(e)),
            }
        }))
    }

    fn lock<'a>(&'a self, key: &'a GrantKey) -> StoreFuture<'a, Box<dyn RefreshLock>> {
        let path = self.lock_path(key);
        let key = key.clone();
        let timeout = self.lock_timeout;
        let deadline = Instant::now() + timeout;
        Box::pin(async move {
            let abandoned = Arc::new(AtomicBool::new(false));
            // Dropped with this future: a caller that stops waiting stops
            // the thread trying (and what it may still take is let go).
            let _abandon = Abandon(abandoned.clone());
            let lock = blocking(move || Self::lock_now(&path, &key, deadline, timeout, &abandoned))
                .await?;
            Ok(Box::new(lock) as Box<dyn RefreshLock>)
        })
    }
}
