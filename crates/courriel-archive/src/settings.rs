//! How to reach an IMAP account: server, login, trusted CAs, time bounds.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use courriel_core::Security;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

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

/// An IMAP account's connection settings.
#[derive(Clone)]
pub struct ImapSettings {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// How the connection is secured; never plaintext.
    pub security: Security,
    /// Login name.
    pub username: String,
    /// Password (or app password).
    pub password: SecretString,
    /// Extra CA certificates to trust (PEM), beside the usual web roots.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Whether to trust only `extra_ca_pem` (a private server), not the web roots.
    pub only_extra_ca: bool,
    /// Time bounds.
    pub timeouts: Timeouts,
    /// Connect to this address instead of resolving `host` (like curl's
    /// `--resolve`); the certificate is still checked against `host`.
    pub address: Option<std::net::IpAddr>,
    /// Which addresses may be connected to (default: any); checked on the
    /// address connected to, resolved or given.
    pub destinations: courriel_net::Destinations,
}

impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .field("extra_ca_pem", &self.extra_ca_pem.as_ref().map(Vec::len))
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl ImapSettings {
    /// Settings with default time bounds and the web's root CAs.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        security: Security,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        ImapSettings {
            host: host.into(),
            port,
            security,
            username: username.into(),
            password: SecretString::from(password.into()),
            extra_ca_pem: None,
            only_extra_ca: false,
            timeouts: Timeouts::default(),
            address: None,
            destinations: courriel_net::Destinations::AnyAddress,
        }
    }

    /// Also trusts the CA certificates in `pem`.
    #[must_use]
    pub fn with_extra_ca(mut self, pem: Vec<u8>) -> Self {
        self.extra_ca_pem = Some(pem);
        self
    }

    /// A key that changes whenever the connection settings change: host,
    /// port, security, username and a SHA-256 digest of the password
    /// (never the password itself). The folder cache is keyed by it.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        let mut hash = self.identity_hash();
        hash.update(Sha256::digest(self.password.expose_secret().as_bytes()));
        hex(&hash.finalize())
    }

    /// A digest of what names the mailbox and how it is reached (host,
    /// port, security, user; not the password): recorded with each spooled
    /// copy, to tell later which settings it was made with.
    #[must_use]
    pub fn mailbox_digest(&self) -> String {
        hex(&self.identity_hash().finalize()[..12])
    }

    /// Host, port, security and user, hashed.
    fn identity_hash(&self) -> Sha256 {
        let mut hash = Sha256::new();
        for part in [
            self.host.to_ascii_lowercase().as_str(),
            &self.port.to_string(),
            self.security.as_str(),
            &self.username,
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        hash
    }

    /// The rustls configuration: the web's roots (Mozilla's list) unless
    /// `only_extra_ca`, plus the extra CAs. Certificates are always verified.
    pub fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        courriel_net::tls_config(self.extra_ca_pem.as_deref(), self.only_extra_ca)
    }
}

/// Bytes in lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut hex, b| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password_and_the_fingerprint_changes_with_it() {
        let a = ImapSettings::new(
            "imap.example.org",
            993,
            Security::ImplicitTls,
            "jean",
            "hunter2",
        );
        assert!(!format!("{a:?}").contains("hunter2"));
        let mut b = a.clone();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.password = SecretString::from("other".to_string());
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert!(!a.fingerprint().contains("hunter2"));
    }
}
