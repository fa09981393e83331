//! Filing copies: spool first, file, then forget; retry what could not be
//! filed, checking the folder for the Message-ID first. [`Archive`] is the
//! simple face of the [`Filer`] for one caller at a time.

use std::sync::Arc;
use std::time::Duration;

use crate::filer::Filer;
use crate::outcome::{Filed, RetryReport, Target};
use crate::settings::ImapSettings;
use crate::spool::{NewCopy, Owner, Spool};

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
