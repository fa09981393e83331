//! Test support for courriel: where the project's own Postfix, Exim,
//! Dovecot and Cyrus listen (started by `cargo xtask mail-servers start`),
//! and small raw SMTP and IMAP clients over rustls to talk to them, the way
//! `swaks` or `openssl s_client` would; beside them, a real OAuth 2.0
//! authorization server whose tokens log in to Dovecot and Postfix
//! ([`oauth`]: the sign-in flow, refresh, revocation, XOAUTH2 and
//! OAUTHBEARER).
//!
//! The raw clients are test tools: they send exactly what a test writes,
//! so a test can check what a server answers to a given command, without
//! going through the library under test.

pub mod expired;
pub mod fleet;
pub mod hostile;
mod issue;
pub mod message;
pub mod oauth;
pub mod sendgrid;
mod servers;
pub mod tokens;
mod web;
mod wire;

pub use servers::{Account, DovecotBack, ImapBackOn, Servers};
pub use web::{
    AUTOCONFIG_BOULANGERIE, Page, Reply, Route, Web, closed, serve as serve_web,
    serve_routes as serve_web_routes, serve_slowly as serve_web_slowly, silent, silent_dns,
};
pub use wire::{Imap, Smtp, TlsMode, sasl_answer_to_error, sasl_base64, tls_config};

/// A single-threaded tokio runtime, the way the tests drive the library.
#[must_use]
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A path of its own for `name` under the system's temporary directory:
/// unique to this process and moment, removed first if something is
/// there, not created (a spool creates its own directory).
#[must_use]
pub fn fresh_dir(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("courriel-{name}-{}-{nanos}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// This process's peak resident memory so far (`VmHWM`, KiB), for tests
/// and benchmarks that bound memory; 0 where /proc is not there.
#[must_use]
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
