//! [`Endpoint`]: one server and how to reach it, the type both protocols
//! connect with (`ImapSettings` and `SmtpSettings` are its two forms, with
//! each protocol's time bounds).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use courriel_core::Security;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::{Destinations, NetError, Secret, TokenSource};

/// The time bounds connecting needs; each protocol's timeouts have more.
pub trait ConnectBounds {
    /// DNS lookup and TCP connect.
    fn connect(&self) -> Duration;
    /// The TLS handshake.
    fn tls(&self) -> Duration;
}

/// A server, the login on it and what a connection to it trusts: the
/// settings of one protocol of one account, parsed (see the facade's
/// resolved accounts). `T` is the protocol's time bounds. `Debug` shows no
/// password.
#[derive(Clone)]
pub struct Endpoint<T> {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// How the connection is secured; never plaintext.
    pub security: Security,
    /// Login name.
    pub username: String,
    /// What the login signs in with: a password (or app password), or
    /// OAuth2 tokens.
    pub secret: Secret,
    /// Extra CA certificates to trust (PEM), beside the web's roots; read
    /// once, shared by every copy of the settings.
    pub extra_ca_pem: Option<Arc<[u8]>>,
    /// Whether to trust only `extra_ca_pem` (a private server), not the
    /// web's roots.
    pub only_extra_ca: bool,
    /// Time bounds.
    pub timeouts: T,
    /// Connect to this address instead of resolving `host` (like curl's
    /// `--resolve`); the certificate is still checked against `host`.
    pub address: Option<IpAddr>,
    /// Which addresses may be connected to (default: any); checked on the
    /// address connected to, resolved or given.
    pub destinations: Destinations,
}

impl<T: fmt::Debug> fmt::Debug for Endpoint<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username_shown())
            .field("secret", &self.secret)
            .field("extra_ca_pem", &self.extra_ca_pem.as_ref().map(|p| p.len()))
            .field("only_extra_ca", &self.only_extra_ca)
            .field("timeouts", &self.timeouts)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl<T: Default> Endpoint<T> {
    /// Settings with default time bounds, trusting the web's root CAs.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        security: Security,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Endpoint {
            host: host.into(),
            port,
            security,
            username: username.into(),
            secret: Secret::password(password),
            extra_ca_pem: None,
            only_extra_ca: false,
            timeouts: T::default(),
            address: None,
            destinations: Destinations::AnyAddress,
        }
    }
}

impl<T> Endpoint<T> {
    /// The login name as `Debug` shows it: redacted when it is the
    /// password too (Postmark's server token is both).
    fn username_shown(&self) -> &str {
        match &self.secret {
            Secret::Password(p) if secrecy::ExposeSecret::expose_secret(p) == self.username => {
                "[REDACTED]"
            }
            _ => &self.username,
        }
    }

    /// The same endpoint, signing in with OAuth2 tokens from `source`
    /// instead of a password.
    #[must_use]
    pub fn with_oauth2(mut self, source: std::sync::Arc<dyn TokenSource>) -> Self {
        self.secret = Secret::OAuth2(source);
        self
    }

    /// Also trusts the CA certificates in `pem`.
    #[must_use]
    pub fn with_extra_ca(mut self, pem: impl Into<Arc<[u8]>>) -> Self {
        self.extra_ca_pem = Some(pem.into());
        self
    }

    /// The same endpoint with other time bounds (another protocol's).
    #[must_use]
    pub fn with_timeouts<U>(self, timeouts: U) -> Endpoint<U> {
        Endpoint {
            host: self.host,
            port: self.port,
            security: self.security,
            username: self.username,
            secret: self.secret,
            extra_ca_pem: self.extra_ca_pem,
            only_extra_ca: self.only_extra_ca,
            timeouts,
            address: self.address,
            destinations: self.destinations,
        }
    }

    /// A key that changes whenever anything a connection depends on
    /// changes: host, port, security, username, the password (or the
    /// OAuth2 authorization: its source's identity), the trusted
    /// CAs, the address given instead of resolving and the destinations
    /// allowed. Secrets and certificates enter as SHA-256 digests, never as
    /// such. Connections, sessions and cached folder lists are kept by it,
    /// so none made under other settings (another password, other CAs) is
    /// ever reused. Time bounds are not in it: they change no connection's
    /// identity.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        let mut hash = self.identity_hash();
        hash.update(self.secret.fingerprint_part());
        hash.update([u8::from(self.extra_ca_pem.is_some())]);
        hash.update(Sha256::digest(
            self.extra_ca_pem.as_deref().unwrap_or_default(),
        ));
        hash.update([u8::from(self.only_extra_ca)]);
        hash.update(
            self.address
                .map(|a| a.to_string())
                .unwrap_or_default()
                .as_bytes(),
        );
        hash.update([0]);
        hash.update(format!("{:?}", self.destinations).as_bytes());
        hex(&hash.finalize())
    }

    /// A digest of what names the mailbox and how it is reached (host,
    /// port, security, user; not the password): recorded with each spooled
    /// copy, to tell later which settings it was made with. Stable across
    /// versions: spooled copies carry it.
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
    /// `only_extra_ca`, plus the extra CAs; shared by every connection with
    /// the same trusted CAs. Certificates are always verified.
    pub fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        crate::tls_config(self.extra_ca_pem.as_deref(), self.only_extra_ca)
    }
}

impl<T: ConnectBounds> Endpoint<T> {
    /// A TCP connection to the server, within the connect bound (see
    /// [`crate::tcp`]), acknowledging what it reads at once
    /// ([`crate::AckedStream`]).
    pub async fn tcp(&self) -> Result<crate::AckedStream, NetError> {
        crate::tcp(
            &self.host,
            self.port,
            self.address,
            &self.destinations,
            self.timeouts.connect(),
        )
        .await
        .map(crate::AckedStream::new)
    }

    /// The TLS handshake with the server over `io`, within the TLS bound,
    /// trusting the endpoint's CAs.
    pub async fn tls<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        io: S,
    ) -> Result<tokio_rustls::client::TlsStream<S>, NetError> {
        let config = self.tls_config().map_err(NetError::Tls)?;
        crate::tls(config, &self.host, io, self.timeouts.tls()).await
    }
}

/// Bytes in lower-case hexadecimal (digests in names and fingerprints).
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
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

    type Settings = Endpoint<()>;

    fn settings() -> Settings {
        Settings::new(
            "imap.example.org",
            993,
            Security::ImplicitTls,
            "jean",
            "hunter2",
        )
    }

    #[test]
    fn debug_hides_the_password_and_the_fingerprint_changes_with_it() {
        let a = settings();
        assert!(!format!("{a:?}").contains("hunter2"));
        let mut b = a.clone();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.secret = Secret::password("other");
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert!(!a.fingerprint().contains("hunter2"));
    }

    #[test]
    fn the_fingerprint_covers_the_trusted_cas_and_where_connections_go() {
        let a = settings();
        let with_ca = a
            .clone()
            .with_extra_ca(b"-----BEGIN CERTIFICATE-----".to_vec());
        let other_ca = a
            .clone()
            .with_extra_ca(b"-----BEGIN CERTIFICATE----- 2".to_vec());
        let mut only = with_ca.clone();
        only.only_extra_ca = true;
        let mut resolved = a.clone();
        resolved.address = Some(IpAddr::from([127, 0, 0, 1]));
        let mut public = a.clone();
        public.destinations = Destinations::public_only();
        let prints =
            [&a, &with_ca, &other_ca, &only, &resolved, &public].map(Settings::fingerprint);
        for (i, x) in prints.iter().enumerate() {
            for y in &prints[i + 1..] {
                assert_ne!(x, y);
            }
        }
        // The mailbox digest names the mailbox: trust does not change it.
        assert_eq!(a.mailbox_digest(), with_ca.mailbox_digest());
        assert_eq!(a.mailbox_digest(), resolved.mailbox_digest());
    }

    #[test]
    fn the_mailbox_digest_is_stable_across_versions() {
        // Spooled copies carry it: a change would mark every waiting copy
        // as made for another mailbox (SP003).
        // SHA-256 of "imap.example.org\0993\0implicit-tls\0jean\0", 12 bytes.
        assert_eq!(settings().mailbox_digest(), "00d60922bb36431d9bbc1352");
    }
}
