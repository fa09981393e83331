//! courriel: send mail as your users.
//!
//! This facade gathers the workspace's crates behind one name: the domain
//! types and validation rules ([`core`]), the provider catalog
//! ([`presets`]), account files ([`account`]) and what they turn into to
//! connect ([`connect`]), the files users name, read within caps
//! ([`input`]), sending ([`transport`]: SMTP, SendGrid, routing) and filing
//! in the Sent folder ([`archive`]).
//!
//! ```
//! let address = courriel::EmailAddress::parse("isabelle.martin@yahoo.fr").unwrap();
//! let filled = courriel::Catalog::builtin().autofill(&address).unwrap();
//! assert_eq!(filled.imap[0].host, "imap.mail.yahoo.com");
//! ```

pub mod account;
pub mod connect;
pub mod diagnose;
pub mod input;
pub mod mailer;
pub mod resolve;
mod text;

pub use courriel_archive as archive;
pub use courriel_core as core;
pub use courriel_presets as presets;
pub use courriel_transport as transport;

pub use account::{Account, AccountFileError};
pub use courriel_archive::{
    Backoff, FolderCache, FolderList, Reason, RetryReport, SentChoice, Spool, SpoolOptions,
    Timeouts as ImapTimeouts,
};
pub use courriel_core::account::{AccountSettings, Field, ImapInput, Lang, Protocol, ServerInput};
pub use courriel_core::failure::{Failure, FailureKind, Step};
pub use courriel_core::rules::{Diagnostic, Rule, Severity};
pub use courriel_core::{
    Credentials, Domain, EmailAddress, Security, ServerSettings, UsernameTemplate,
};
pub use courriel_net::{Destinations, IpRange};
pub use courriel_presets::{Autofill, Catalog, CatalogBuilder, CatalogError, Provider};
pub use courriel_transport::{
    Attachment, Email, EmailError, Mailbox, Policy, Retry, SendGridSettings, SmtpTimeouts,
    Transport,
};
pub use mailer::{
    CheckReport, Filing, ImapFound, Mailer, MailerBuilder, NotFiled, Receipt, SendError,
    ServerCheck,
};
pub use resolve::{ResolvedAccount, SentFolder, SettingsError};
