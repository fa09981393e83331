//! A durable spool of copies to file: each copy is written to disk (atomic
//! write, fsync, rename) before anything is tried, removed only once filed,
//! and filed again after a crash only if the folder does not already hold
//! its Message-ID. So a copy is never lost and never filed twice.
//!
//! Layout: one file per copy, `DIR/ID.copy`: a line of JSON metadata, then
//! the exact bytes. It is written whole to a hidden temporary file, synced,
//! renamed into place and the directory synced, so an entry exists whole
//! or not at all. Removing a filed copy is a single unlink, not synced: if
//! a crash brings the entry back, the retry finds its Message-ID in the
//! folder and files nothing (one file and few system calls per copy: the
//! spool sits on every send's path).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Where a spooled copy stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryState {
    /// To be filed (again) when due.
    Pending,
    /// Filing failed for a reason retrying will not fix (folder gone,
    /// quota): kept for the user to see, never dropped.
    Failed,
}

/// A spooled copy's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry's id (its file name).
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
}

/// A spool directory.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The wait before attempt `n + 1`: 30 s, 1 min, 2 min… up to 6 h.
#[must_use]
pub fn backoff(attempts: u32) -> Duration {
    Duration::from_secs((30u64 << attempts.min(10)).min(6 * 3600))
}

/// The file of entry `id`.
fn file_name(id: &str) -> String {
    format!("{id}.{EXTENSION}")
}

const EXTENSION: &str = "copy";

/// The longest metadata line read back (a guard against a foreign file).
const MAX_METADATA: u64 = 64 * 1024;

/// Writes `parts` one after the other as file `name` in `dir`, durably:
/// a hidden temporary file, synced, renamed, the directory synced.
fn write_atomic(dir: &Path, name: &str, parts: &[&[u8]]) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut file = std::fs::File::create(&tmp)?;
        for part in parts {
            file.write_all(part)?;
        }
        file.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(name))?;
    std::fs::File::open(dir)?.sync_all()
}

impl Spool {
    /// Opens (creating it if needed) a spool directory.
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<Spool> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Spool { dir })
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a copy durably; returns its entry. When this returns, the copy
    /// survives a crash.
    pub fn put(
        &self,
        account: &str,
        folder: Option<&str>,
        message_id: &str,
        date: Option<&str>,
        message: &[u8],
    ) -> std::io::Result<Entry> {
        let id = format!(
            "{}-{}-{:08x}",
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
            std::process::id(),
            message_id
                .bytes()
                .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        );
        let entry = Entry {
            id: id.clone(),
            account: account.to_string(),
            folder: folder.map(str::to_string),
            message_id: message_id.to_string(),
            date: date.map(str::to_string),
            attempts: 0,
            next_attempt: 0,
            last_error: None,
            state: EntryState::Pending,
        };
        self.save(&entry, message)?;
        Ok(entry)
    }

    /// Writes an entry's file: its metadata line, then `message`.
    fn save(&self, entry: &Entry, message: &[u8]) -> std::io::Result<()> {
        let mut metadata = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        metadata.push(b'\n');
        write_atomic(&self.dir, &file_name(&entry.id), &[&metadata, message])
    }

    /// Reads the metadata line of an entry's file (`None`: not a spool file).
    fn read_entry(path: &Path) -> std::io::Result<(Entry, u64)> {
        use std::io::{BufRead as _, Read as _};
        let file = std::fs::File::open(path)?;
        let mut line = Vec::new();
        std::io::BufReader::new(file.take(MAX_METADATA)).read_until(b'\n', &mut line)?;
        let entry: Entry = serde_json::from_slice(&line)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
        Ok((entry, line.len() as u64))
    }

    /// The exact bytes of an entry.
    pub fn message(&self, entry: &Entry) -> std::io::Result<Vec<u8>> {
        let path = self.dir.join(file_name(&entry.id));
        let (_, offset) = Self::read_entry(&path)?;
        let mut file = std::fs::File::open(&path)?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset))?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes)?;
        Ok(bytes)
    }

    /// Every entry, oldest first. Unreadable metadata is reported as an error
    /// rather than skipped.
    pub fn entries(&self) -> std::io::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        for file in std::fs::read_dir(&self.dir)? {
            let path = file?.path();
            let ours = path.extension().is_some_and(|e| e == EXTENSION);
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !ours || hidden {
                continue;
            }
            entries.push(Self::read_entry(&path)?.0);
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(entries)
    }

    /// Pending entries whose time has come.
    pub fn due(&self) -> std::io::Result<Vec<Entry>> {
        let now = now();
        Ok(self
            .entries()?
            .into_iter()
            .filter(|e| e.state == EntryState::Pending && e.next_attempt <= now)
            .collect())
    }

    /// Records a failed attempt: retried after [`backoff`], or kept as
    /// failed when `permanent`.
    pub fn record_failure(
        &self,
        entry: &mut Entry,
        error: &str,
        permanent: bool,
    ) -> std::io::Result<()> {
        entry.attempts += 1;
        entry.last_error = Some(error.to_string());
        entry.next_attempt = now() + backoff(entry.attempts).as_secs();
        if permanent {
            entry.state = EntryState::Failed;
        }
        let message = self.message(entry)?;
        self.save(entry, &message)
    }

    /// Puts every copy marked failed back in the queue, due now (once the
    /// folder exists again, or the quota was raised); returns how many.
    pub fn requeue_failed(&self) -> std::io::Result<usize> {
        let mut requeued = 0;
        for mut entry in self.entries()? {
            if entry.state == EntryState::Failed {
                let message = self.message(&entry)?;
                entry.state = EntryState::Pending;
                entry.next_attempt = 0;
                self.save(&entry, &message)?;
                requeued += 1;
            }
        }
        Ok(requeued)
    }

    /// Removes a filed entry: one unlink, not synced (see the module's
    /// documentation: a resurrected entry is found filed, never filed twice).
    pub fn remove(&self, entry: &Entry) -> std::io::Result<()> {
        std::fs::remove_file(self.dir.join(file_name(&entry.id)))
    }

    /// Removes leftovers of interrupted writes.
    pub fn clean(&self) -> std::io::Result<()> {
        for file in std::fs::read_dir(&self.dir)? {
            let path = file?.path();
            if path.extension().is_some_and(|e| e == "tmp") {
                std::fs::remove_file(&path)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_reopening_and_failures_are_kept() {
        let dir = std::env::temp_dir().join(format!("courriel-spool-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let spool = Spool::open(&dir).unwrap();
        let mut entry = spool
            .put("alice", Some("Sent"), "a@b", None, b"bytes")
            .unwrap();
        let again = Spool::open(&dir).unwrap();
        assert_eq!(again.entries().unwrap(), [entry.clone()]);
        assert_eq!(again.message(&entry).unwrap(), b"bytes");
        assert_eq!(again.due().unwrap().len(), 1);
        again
            .record_failure(&mut entry, "IM004 timeout", false)
            .unwrap();
        assert!(
            again.due().unwrap().is_empty(),
            "not due before its backoff"
        );
        again
            .record_failure(&mut entry, "IM012 quota", true)
            .unwrap();
        assert_eq!(again.entries().unwrap()[0].state, EntryState::Failed);
        assert!(
            again.due().unwrap().is_empty(),
            "a failed copy is not retried"
        );
        assert_eq!(again.requeue_failed().unwrap(), 1);
        assert_eq!(again.due().unwrap().len(), 1, "requeued, due now");
        assert_eq!(again.message(&entry).unwrap(), b"bytes");
        assert_eq!(again.message(&entry).unwrap(), b"bytes", "kept whole");
        std::fs::write(dir.join(".x.copy.tmp"), b"x").unwrap();
        again.clean().unwrap();
        assert!(!dir.join(".x.copy.tmp").exists());
        again.remove(&entry).unwrap();
        assert!(again.entries().unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(30));
        assert_eq!(backoff(1), Duration::from_secs(60));
        assert_eq!(backoff(30), Duration::from_secs(6 * 3600));
    }
}
