//! courriel: send mail as your users.
//!
//! An application sends as each of its users through the user's own SMTP
//! server, with a copy filed in their IMAP Sent folder, or through the
//! application's default provider when the user has no server. What it
//! needs is at the root:
//!
//! - [`Mailer`] (built with [`Mailer::builder`]): [`Mailer::resolve`] an
//!   [`Account`] once (its settings checked by the rules and parsed), then
//!   [`Mailer::send`] an [`Email`] as it and read the [`Receipt`] (how it
//!   went out, what became of the copy: [`Filing`]), or the [`SendError`]
//!   with its code, its words in English and French, and whether trying
//!   again may help; [`Mailer::check`] an account for a settings page
//!   ([`CheckReport`]); [`Mailer::retry_spool`] files the copies that had
//!   to wait.
//! - What became of messages sent through the default provider:
//!   [`events`] verifies SendGrid's Event Webhook and reads its events
//!   (bounces, drops, spam reports...), tied to their account and
//!   Message-ID.
//! - The settings as users write them ([`AccountSettings`], account files
//!   in [`account`]), what the rules say of them ([`Diagnostic`]), the
//!   provider [`Catalog`] that fills them in, the languages ([`Lang`]).
//!
//! The crates underneath are in [`low_level`], for what the root does not
//! offer.
//!
//! ```
//! let address = courriel::EmailAddress::parse("isabelle.martin@yahoo.fr").unwrap();
//! let filled = courriel::Catalog::builtin().autofill(&address).unwrap();
//! assert_eq!(filled.imap[0].host, "imap.mail.yahoo.com");
//! ```

pub mod account;
pub mod connect;
pub mod diagnose;
pub mod events;
pub mod input;

/// Sending on users' behalf through the default provider: the
/// application's identity ([`OnBehalf`](dmarc::OnBehalf), given to
/// [`MailerBuilder::on_behalf`]), when it applies, what a domain's DMARC
/// record says, and who a message went out as ([`SentAs`](dmarc::SentAs),
/// in the [`Receipt`]).
pub mod dmarc {
    pub use courriel_core::dmarc::{
        AsUser, Dmarc, DmarcPolicy, DmarcRecord, OnBehalf, OnBehalfError, OnBehalfWhen, SentAs, Why,
    };
    pub use courriel_discover::dmarc::DmarcLookup;
}
mod mailer;
pub mod oauth2;
mod resolve;
mod text;

/// The crates underneath, for what the root does not offer: a protocol
/// session of one's own, the spool's store interface, the catalog's file
/// format, the rules' registry. Lower level than the root, and less stable.
pub mod low_level {
    pub use courriel_archive as archive;
    pub use courriel_core as core;
    pub use courriel_discover as discover;
    pub use courriel_net as net;
    pub use courriel_presets as presets;
    pub use courriel_transport as transport;
}

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
    Attachment, DefaultProvider, DsnError, Email, EmailError, Mailbox, Policy, Retry,
    SendGridSettings, SmtpTimeouts, Transport,
};
pub use mailer::{
    CheckReport, Filing, ImapFound, Mailer, MailerBuilder, NotFiled, Receipt, SendError,
    ServerCheck,
};
pub use resolve::{ResolvedAccount, SentFolder, SettingsError};
