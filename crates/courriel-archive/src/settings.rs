//! How to reach an IMAP account: an endpoint (server, login, trusted
//! CAs) with IMAP's time bounds.

use std::time::Duration;

/// Time bounds of each step; every network wait is bounded by one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// DNS lookup and TCP connect (default 10 s).
    pub connect: Duration,
    /// TLS handshake (default 10 s).
    pub tls: Duration,
    /// The server's greeting (default 10 s).
    pub greeting: Duration,
    /// Each command, from sending it to its final answer (default 30 s);
    /// a command that uploads copies (APPEND) gets more, by their size
    /// (see `min_upload_rate`).
    pub command: Duration,
    /// The slowest upload accepted, in bytes per second (default 32 KiB/s):
    /// an APPEND of `n` bytes may take `command + n / min_upload_rate`
    /// (8 MB: about 4 minutes more), so a large copy over a slow link is
    /// filed rather than timed out on every retry.
    pub min_upload_rate: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            tls: Duration::from_secs(10),
            greeting: Duration::from_secs(10),
            command: Duration::from_secs(30),
            min_upload_rate: 32 * 1024,
        }
    }
}

impl courriel_net::ConnectBounds for Timeouts {
    fn connect(&self) -> Duration {
        self.connect
    }
    fn tls(&self) -> Duration {
        self.tls
    }
}

/// An IMAP account's connection settings: the endpoint type SMTP shares,
/// with IMAP's time bounds.
pub type ImapSettings = courriel_net::Endpoint<Timeouts>;
