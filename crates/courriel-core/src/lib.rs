//! Domain types of courriel, shared by every other crate.
//!
//! This crate does no I/O: it holds mail addresses and domains in their
//! normalised form, server settings with their security mode, username
//! templates, and credentials whose secrets never print.

mod address;
mod credentials;
mod domain;
pub mod provider;
mod server;

pub use address::{AddressError, EmailAddress};
pub use credentials::Credentials;
pub use domain::{Domain, DomainError, normalize_domain};
pub use secrecy::{ExposeSecret, SecretString};
pub use server::{Security, ServerSettings, UsernameTemplate};
