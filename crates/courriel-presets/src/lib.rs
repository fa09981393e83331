//! The provider catalog of courriel.
//!
//! Provider files (`providers/*.ron`, one provider each) are embedded in the
//! binary and parsed once, on first use, into a [`Catalog`] indexed by mail
//! domain and by MX host pattern. More providers can come from a directory at
//! run time, from other crates through [`register_provider!`], or from code
//! through [`CatalogBuilder`]; merging is deterministic and reported.
//!
//! ```
//! use courriel_core::EmailAddress;
//! use courriel_presets::Catalog;
//!
//! let address = EmailAddress::parse("isabelle.martin@yahoo.fr").unwrap();
//! let filled = Catalog::builtin().autofill(&address).unwrap();
//! assert_eq!(filled.provider.id, "yahoo");
//! assert_eq!(filled.smtp[0].host, "smtp.mail.yahoo.com");
//! assert_eq!(filled.smtp[0].username, "isabelle.martin@yahoo.fr");
//! ```
//!
//! This crate does no network I/O.

#[cfg(feature = "builtin")]
mod builtin;
#[cfg(not(feature = "builtin"))]
mod builtin {
    pub(crate) static FILES: &[(&str, &str)] = &[];
}
mod catalog;
pub mod check;
pub mod clientconfig;
pub mod file;
pub mod locate;
mod provider;

pub use catalog::{
    Autofill, Catalog, CatalogBuilder, CatalogError, Claim, LeftBehind, Match, Shadowed,
    registrable_domain,
};
pub use check::{FileError, check_file};
pub use courriel_core::provider::{
    Auth, Hint, Provider, SenderPolicy, SentCopy, Server, Status, Tier,
};
pub use file::ProviderFile;

#[doc(hidden)]
pub use inventory;

/// The embedded provider files, as `(path, text)`, in path order.
#[must_use]
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    builtin::FILES
}

/// A provider file registered by another crate, added to
/// [`Catalog::with_registered`]. Use [`register_provider!`] to create one.
#[derive(Debug)]
pub struct Registration {
    /// A name for errors; its stem must equal the provider id (`acme/acme-mail.ron`).
    pub origin: &'static str,
    /// The RON text of the provider file.
    pub text: &'static str,
    /// Whether it overrides other providers claiming the same id, domains or MX patterns.
    pub overriding: bool,
}

inventory::collect!(Registration);

/// Registers a provider file with the catalog from any crate linked into
/// the binary; [`Catalog::with_registered`] includes it. Write
/// `register_provider!(overriding ...)` to take over the id, domains and MX
/// patterns of a built-in provider.
///
/// ```
/// courriel_presets::register_provider!("acme-mail.ron", r#"Provider(
///     id: "acme-mail",
///     name: "Acme Mail",
///     domains: ["acme.example"],
///     smtp: [Server(host: "smtp.acme.example", port: 465, security: ImplicitTls, username: Address)],
///     sender_policy: MustMatchLogin,
///     auth: Password,
///     sent_copy: ClientFiles,
///     source: ["https://acme.example/help/mail"],
///     last_checked: "2026-11-29",
/// )"#);
///
/// let catalog = courriel_presets::Catalog::with_registered().unwrap();
/// assert_eq!(catalog.lookup("jean@acme.example").unwrap().id, "acme-mail");
/// ```
#[macro_export]
macro_rules! register_provider {
    (overriding $origin:expr, $text:expr) => {
        $crate::inventory::submit! {
            $crate::Registration { origin: $origin, text: $text, overriding: true }
        }
    };
    ($origin:expr, $text:expr) => {
        $crate::inventory::submit! {
            $crate::Registration { origin: $origin, text: $text, overriding: false }
        }
    };
}
