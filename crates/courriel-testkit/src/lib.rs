//! Test support for courriel: where the project's own Postfix and Dovecot
//! listen (started by `cargo xtask mail-servers start`), and small raw
//! SMTP and IMAP clients over rustls to talk to them, the way `swaks` or
//! `openssl s_client` would.
//!
//! The raw clients are test tools: they send exactly what a test writes,
//! so a test can check what a server answers to a given command, without
//! going through the library under test.

pub mod hostile;
pub mod sendgrid;
mod servers;
mod web;
mod wire;

pub use servers::{Account, ImapBackOn, Servers};
pub use web::{
    AUTOCONFIG_BOULANGERIE, Page, Web, serve as serve_web, serve_slowly as serve_web_slowly, silent,
};
pub use wire::{Imap, Smtp, TlsMode, tls_config};

/// A single-threaded tokio runtime, the way the tests drive the library.
#[must_use]
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
