//! Filing copies: spool first, file, then forget; retry what could not be
//! filed, checking the folder for the Message-ID first.

use std::collections::HashMap;

use courriel_core::failure::{Failure, FailureKind};

use crate::folders::choose_sent;
use crate::session::{Session, connect};
use crate::settings::ImapSettings;
use crate::spool::{Entry, Spool};

/// Where to file a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The Sent folder chosen on the server (with the catalog's hint, if any).
    Auto {
        /// The provider's known Sent folder, from the catalog.
        provider_hint: Option<String>,
    },
    /// This folder (raw IMAP name).
    Folder(String),
}

/// What became of a copy (exhaustive: callers map every outcome).
#[derive(Debug)]
pub enum Filed {
    /// Filed in this folder (raw name).
    Filed {
        /// The folder.
        folder: String,
    },
    /// Not filed yet: kept in the spool, to be retried.
    Spooled {
        /// The spool entry.
        entry: String,
        /// Why it could not be filed now.
        failure: Failure,
    },
    /// Not filed, and retrying will not help until something changes
    /// (folder gone, quota): kept in the spool, marked failed.
    Failed {
        /// The spool entry.
        entry: String,
        /// Why.
        failure: Failure,
    },
}

/// What a retry pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryReport {
    /// Copies filed by this pass.
    pub filed: usize,
    /// Copies already in their folder (filed before a crash): removed from the spool.
    pub already_filed: usize,
    /// Copies still waiting.
    pub pending: usize,
    /// Copies that failed for good (kept).
    pub failed: usize,
}

pub(crate) fn is_permanent(failure: &Failure) -> bool {
    matches!(
        failure.kind,
        FailureKind::ImapFolderMissing | FailureKind::ImapAppendRefused
    )
}

fn describe(failure: &Failure) -> String {
    format!(
        "{}: {}",
        failure.code(),
        failure.message(courriel_core::account::Lang::En)
    )
}

/// Settles a filing attempt: a filed copy leaves the spool; a failed one
/// stays, with its failure recorded (and marked failed when permanent).
pub(crate) fn settle(
    spool: &Spool,
    entry: &mut Entry,
    result: Result<String, Failure>,
) -> std::io::Result<Filed> {
    match result {
        Ok(folder) => {
            spool.remove(entry)?;
            Ok(Filed::Filed { folder })
        }
        Err(failure) if is_permanent(&failure) => {
            spool.record_failure(entry, &describe(&failure), true)?;
            Ok(Filed::Failed {
                entry: entry.id.clone(),
                failure,
            })
        }
        Err(failure) => {
            spool.record_failure(entry, &describe(&failure), false)?;
            Ok(Filed::Spooled {
                entry: entry.id.clone(),
                failure,
            })
        }
    }
}

/// Files copies through a spool.
#[derive(Debug, Clone)]
pub struct Archive {
    spool: Spool,
}

impl Archive {
    /// An archive spooling in `spool`.
    #[must_use]
    pub fn new(spool: Spool) -> Archive {
        Archive { spool }
    }

    /// The spool.
    #[must_use]
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// Files `message` (the exact bytes sent) for `account`: written to the
    /// spool first, filed, then removed from the spool. On failure the copy
    /// stays spooled, and the outcome says why.
    pub async fn file(
        &self,
        account: &str,
        settings: &ImapSettings,
        target: &Target,
        message_id: &str,
        date: Option<&str>,
        message: &[u8],
    ) -> std::io::Result<Filed> {
        let folder = match target {
            Target::Folder(f) => Some(f.as_str()),
            Target::Auto { .. } => None,
        };
        let mut entry = self.spool.put(account, folder, message_id, date, message)?;
        let hint = match target {
            Target::Auto { provider_hint } => provider_hint.as_deref(),
            Target::Folder(_) => None,
        };
        let result = async {
            let mut session = connect(settings).await?;
            let outcome = file_entry(&mut session, &entry, hint, message, false).await;
            session.logout().await;
            outcome.map(|(folder, _)| folder)
        }
        .await;
        settle(&self.spool, &mut entry, result)
    }

    /// Files every due copy; `settings_for` gives each account's settings
    /// (`None` leaves its copies waiting). One session per account.
    pub async fn retry(
        &self,
        settings_for: impl Fn(&str) -> Option<(ImapSettings, Option<String>)>,
    ) -> std::io::Result<RetryReport> {
        self.retry_with_progress(settings_for, |_, _| {}).await
    }

    /// Like [`Archive::retry`], calling `progress(done, total)` after each
    /// copy (for a progress bar).
    pub async fn retry_with_progress(
        &self,
        settings_for: impl Fn(&str) -> Option<(ImapSettings, Option<String>)>,
        progress: impl FnMut(usize, usize),
    ) -> std::io::Result<RetryReport> {
        self.spool.clean()?;
        let due = self.spool.due()?;
        self.retry_entries(due, settings_for, progress).await
    }

    /// Like [`Archive::retry_with_progress`], for every pending copy, due or
    /// not (a person asking to retry now, once the server is back).
    pub async fn retry_all_with_progress(
        &self,
        settings_for: impl Fn(&str) -> Option<(ImapSettings, Option<String>)>,
        progress: impl FnMut(usize, usize),
    ) -> std::io::Result<RetryReport> {
        self.spool.clean()?;
        let pending = self
            .spool
            .entries()?
            .into_iter()
            .filter(|e| e.state == crate::spool::EntryState::Pending)
            .collect();
        self.retry_entries(pending, settings_for, progress).await
    }

    async fn retry_entries(
        &self,
        due: Vec<Entry>,
        settings_for: impl Fn(&str) -> Option<(ImapSettings, Option<String>)>,
        mut progress: impl FnMut(usize, usize),
    ) -> std::io::Result<RetryReport> {
        let mut report = RetryReport::default();
        let mut sessions: HashMap<String, Result<Session, Failure>> = HashMap::new();
        let total = due.len();
        progress(0, total);
        for (done, mut entry) in due.into_iter().enumerate() {
            progress(done, total);
            let Some((settings, hint)) = settings_for(&entry.account) else {
                report.pending += 1;
                continue;
            };
            if !sessions.contains_key(&entry.account) {
                sessions.insert(entry.account.clone(), connect(&settings).await);
            }
            let result = match sessions.get_mut(&entry.account) {
                Some(Ok(session)) => match self.spool.message(&entry) {
                    Ok(message) => {
                        let result =
                            file_entry(session, &entry, hint.as_deref(), &message, true).await;
                        if let Err(f) = &result
                            && !is_permanent(f)
                        {
                            // The session may be broken: the next entry reconnects.
                            sessions.remove(&entry.account);
                        }
                        result
                    }
                    Err(e) => Err(Failure::new(FailureKind::ImapAppendRefused)
                        .arg("folder", entry.folder.as_deref().unwrap_or("auto"))
                        .arg("detail", format!("the spooled copy cannot be read: {e}"))),
                },
                Some(Err(failure)) => Err(failure.clone()),
                None => continue,
            };
            let already = matches!(&result, Ok((_, true)));
            match settle(&self.spool, &mut entry, result.map(|(folder, _)| folder))? {
                Filed::Filed { .. } if already => report.already_filed += 1,
                Filed::Filed { .. } => report.filed += 1,
                Filed::Spooled { .. } => report.pending += 1,
                Filed::Failed { .. } => report.failed += 1,
            }
        }
        progress(total, total);
        for (_, session) in sessions {
            if let Ok(session) = session {
                session.logout().await;
            }
        }
        Ok(report)
    }
}

/// Files one entry, returning the folder and whether the copy was already
/// there: with `check_first`, the folder is searched for the Message-ID
/// first and nothing is filed if it is found.
async fn file_entry(
    session: &mut Session,
    entry: &Entry,
    hint: Option<&str>,
    message: &[u8],
    check_first: bool,
) -> Result<(String, bool), Failure> {
    let folder = match &entry.folder {
        Some(folder) => folder.clone(),
        None => {
            let namespaces = session.namespaces().await?;
            let folders = session.folders(&namespaces).await?;
            choose_sent(&folders, &namespaces, hint, None)
                .map(|c| c.folder.raw)
                .ok_or_else(|| Failure::new(FailureKind::ImapFolderMissing).arg("folder", "auto"))?
        }
    };
    if check_first
        && session
            .contains_message_id(&folder, &entry.message_id)
            .await?
    {
        return Ok((folder, true));
    }
    session
        .append(&folder, message, entry.date.as_deref(), false)
        .await?;
    Ok((folder, false))
}
