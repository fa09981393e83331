//! Domain types of courriel, shared by every other crate, and the
//! validation rules that check an account's settings.
//!
//! This crate does no I/O: it holds mail addresses and domains in their
//! normalised form, server settings with their security mode, username
//! templates, credentials whose secrets never print, what the catalog knows
//! of a provider, and the rules (with their English and French messages,
//! formatted by [`i18n::Messages`] from Fluent files).

pub mod account;
mod address;
mod credentials;
pub mod dmarc;
mod domain;
pub mod failure;
pub mod i18n;
pub mod provider;
pub mod rules;
mod server;

pub use address::{AddressError, EmailAddress};
pub use credentials::Credentials;
pub use domain::{Domain, DomainError, normalize_domain};
pub use secrecy::{ExposeSecret, SecretString};
pub use server::{Security, ServerSettings, UsernameTemplate};
