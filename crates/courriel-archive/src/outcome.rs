//! The filing vocabulary the [`Filer`](crate::Filer) and the
//! [`Archive`](crate::Archive) share: where a copy goes ([`Target`]), what
//! became of it ([`Filed`]), what a retry did ([`RetryReport`]).

use courriel_core::failure::Failure;

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

/// A failure as the spool records it: code and English message.
pub(crate) fn describe(failure: &Failure) -> String {
    format!(
        "{}: {}",
        failure.code(),
        failure.message(courriel_core::account::Lang::En)
    )
}
