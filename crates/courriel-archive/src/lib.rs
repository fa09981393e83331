//! IMAP for courriel: check an account, list its folders, choose the Sent
//! folder, file the exact sent message, and spool copies that cannot be
//! filed yet so that none is ever lost or filed twice.
//!
//! Every network wait is bounded ([`Timeouts`]); TLS is always verified and
//! STARTTLS never skipped; every failure is a [`Failure`] with a stable
//! code and a message in English and French.
//!
//! With the cargo feature `postgres`, the spool and the folder cache can
//! live in PostgreSQL (`spool::PgStore`), shared by many workers.

// docs.rs (nightly, `--cfg docsrs`) marks what the `postgres` feature adds.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod archive;
mod cache;
mod extension;
mod filer;
pub mod folders;
mod guard;
pub mod mutf7;
mod outcome;
mod session;
mod settings;
mod signin;
pub mod spool;

pub use archive::Archive;
pub use cache::{FolderCache, FolderList, FolderStore};
pub use courriel_core::failure::{Failure, FailureKind};
pub use filer::{Expected, Filer};
pub use folders::{
    Folder, NamespaceKind, Namespaces, Reason, SentChoice, choose_sent, sent_folder_to_create,
};
pub use outcome::{Filed, RetryReport, Target};
pub use session::{AppendCopy, Appended, CheckOutcome, Session, check, connect};
pub use settings::{ImapSettings, Timeouts};
pub use spool::{
    Backoff, Claimed, Entry, EntryState, NewCopy, Owner, Spool, SpoolLocation, SpoolOptions,
    SpoolStore,
};
