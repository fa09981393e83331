//! Filing copies: spool first, file, then forget; retry what could not be
//! filed, checking the folder for the Message-ID first. [`Archive`] is the
//! simple face of the [`Filer`] for one caller at a time.

use std::sync::Arc;
use std::time::Duration;

use courriel_core::failure::{Failure, FailureKind};

use crate::filer::Filer;
use crate::settings::ImapSettings;
use crate::spool::{NewCopy, Owner, Spool};

/// Where to file a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The Sent folder chosen on the server (with the catalog's hint, if any).
    Auto {
        /// The provider's known Sent folder, from the catalog.
        provider_hint: Option<String>,
        /// Whether to create a Sent folder when the server has none
        /// ([`crate::sent_folder_to_create`] names it), as mail programs
        /// do; without, such a copy fails with `IM017`.
        create: bool,
    },
    /// This folder (raw IMAP name).
    Folder(String),
}

impl Target {
    /// The folder named, if any (`None`: chosen on the server), as the
    /// spool records it.
    #[must_use]
    pub fn folder(&self) -> Option<&str> {
        match self {
            Target::Folder(folder) => Some(folder),
            Target::Auto { .. } => None,
        }
    }
}

/// What became of a copy (exhaustive: callers map every outcome).
#[derive(Debug)]
pub enum Filed {
    /// Filed in this folder (raw name).
    Filed {
        /// The folder.
        folder: String,
        /// Whether the folder was created for it (the server had no Sent
        /// folder).
        created: bool,
    },
    /// Not filed yet: kept in the spool, to be retried.
    Spooled {
        /// The spool entry.
        entry: String,
        /// Why it could not be filed now.
        failure: Failure,
    },
    /// Found already filed in this folder (by a run that died before
    /// forgetting it): not filed again, forgotten by the spool.
    AlreadyFiled {
        /// The folder.
        folder: String,
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
    /// Of those failed, copies whose account now names another mailbox
    /// (`SP003`): kept until the account is fixed.
    pub account_changed: usize,
    /// Of those filed by this pass, copies whose message may not have been
    /// sent (its sender died, or lost the server's answer, after handing it
    /// over): filed unread.
    pub unknown_fate: usize,
}

pub(crate) fn is_permanent(failure: &Failure) -> bool {
    matches!(
        failure.kind,
        FailureKind::ImapFolderMissing
            | FailureKind::ImapAppendRefused
            | FailureKind::ImapCreateRefused
            | FailureKind::ImapNoSentFolder
    )
}

/// A failure as the spool records it: code and English message.
pub(crate) fn describe(failure: &Failure) -> String {
    format!(
        "{}: {}",
        failure.code(),
        failure.message(courriel_core::account::Lang::En)
    )
}

/// Files copies through a spool, one session per call (a mailer serving
/// many accounts keeps them open: [`Filer`]).
#[derive(Debug)]
pub struct Archive {
    filer: Filer,
}

impl Archive {
    /// An archive spooling in `spool`.
    #[must_use]
    pub fn new(spool: Spool) -> Archive {
        Archive {
            filer: Filer::new(spool, Duration::from_secs(60)).with_linger(Duration::ZERO),
        }
    }

    /// The spool.
    #[must_use]
    pub fn spool(&self) -> &Spool {
        self.filer.spool()
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
        let owner = Owner::new(settings, "");
        let mut copy = NewCopy::sent(account, target.folder(), message_id).owned_by(&owner);
        copy.date = date;
        let filed = self
            .filer
            .file_copy(copy, settings, target, Arc::new(message.to_vec()), None)
            .await;
        // One call, one session: nothing outlives the caller's runtime.
        self.filer.close().await;
        filed
    }

    /// Files every due copy; `settings_for` gives each account's settings
    /// and where its copies go now (`None` leaves its copies waiting; see
    /// [`Filer::retry`] for the mailbox check). One session per account; copies
    /// claimed by other processes sharing the spool are left to them.
    pub async fn retry(
        &self,
        settings_for: impl Fn(&str) -> Option<(ImapSettings, Target)>,
    ) -> std::io::Result<RetryReport> {
        self.retry_with_progress(settings_for, |_, _| {}).await
    }

    /// Like [`Archive::retry`], calling `progress(done, total)` after each
    /// copy (for a progress bar).
    pub async fn retry_with_progress(
        &self,
        settings_for: impl Fn(&str) -> Option<(ImapSettings, Target)>,
        progress: impl FnMut(usize, usize),
    ) -> std::io::Result<RetryReport> {
        let report = self.filer.retry(settings_for, false, progress).await;
        self.filer.close().await;
        report
    }

    /// Like [`Archive::retry_with_progress`], for every pending copy, due or
    /// not (a person asking to retry now, once the server is back).
    pub async fn retry_all_with_progress(
        &self,
        settings_for: impl Fn(&str) -> Option<(ImapSettings, Target)>,
        progress: impl FnMut(usize, usize),
    ) -> std::io::Result<RetryReport> {
        let report = self.filer.retry(settings_for, true, progress).await;
        self.filer.close().await;
        report
    }
}
