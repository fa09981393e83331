//! courriel: send mail as your users.
//!
//! This facade gathers the workspace's crates behind one name. Today it
//! offers the domain types and validation rules ([`core`]), the provider
//! catalog ([`presets`]) and account files ([`account`]); sending and
//! archiving join it as they land.
//!
//! ```
//! let address = courriel::EmailAddress::parse("isabelle.martin@yahoo.fr").unwrap();
//! let filled = courriel::Catalog::builtin().autofill(&address).unwrap();
//! assert_eq!(filled.imap[0].host, "imap.mail.yahoo.com");
//! ```

pub mod account;
pub mod connect;
pub mod diagnose;

pub use courriel_core as core;
pub use courriel_presets as presets;

pub use courriel_core::{
    Credentials, Domain, EmailAddress, Security, ServerSettings, UsernameTemplate,
};
pub use courriel_presets::{Autofill, Catalog, Provider};
