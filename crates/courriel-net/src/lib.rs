//! Connecting, shared by IMAP (courriel-archive) and SMTP
//! (courriel-transport): DNS lookup and TCP connect within a time bound
//! (with `TCP_NODELAY`), the rustls client configuration (the web's root
//! CAs, plus extra CAs; certificates always verified), and the TLS
//! handshake with its failures told apart. Each protocol turns a
//! [`NetError`] into its own [`Failure`] with [`NetError::into_failure`].
//! Where connections may go is a [`Destinations`] policy (`policy.rs`),
//! checked on the very address connected to.

mod endpoint;
mod policy;
mod signin;

pub use endpoint::{ConnectBounds, Endpoint, hex};
pub use policy::{Destinations, IpRange, Special, classify};
pub use signin::{
    AccessToken, BearerError, Secret, TokenFuture, TokenSource, answer_to_error, choose_mechanism,
    initial_response, shown_mechanisms,
};

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use courriel_core::failure::{Failure, FailureKind};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// What went wrong while connecting.
#[derive(Debug)]
#[non_exhaustive]
pub enum NetError {
    /// A step did not finish within its bound.
    Timeout {
        /// The step (`DNS lookup`, `TCP connect`, `TLS handshake`).
        step: &'static str,
        /// The bound.
        limit: Duration,
    },
    /// The host name does not resolve.
    Dns,
    /// The server refuses connections on that port.
    Refused,
    /// Another network error.
    Io(std::io::Error),
    /// The certificate is not signed by a trusted authority.
    UntrustedCertificate,
    /// The certificate is for another name: the names it is for, in plain
    /// words.
    CertificateName(String),
    /// The certificate has expired: the day it expired (`2021-01-01`), when
    /// known.
    CertificateExpired(Option<String>),
    /// Another TLS failure (a plaintext server, a bad extra CA...).
    Tls(String),
    /// The [`Destinations`] policy refuses the address (every address the
    /// name resolved to, when it was resolved): nothing was connected to.
    NotAllowed {
        /// The address refused.
        address: std::net::IpAddr,
        /// What kind of address it is.
        special: Special,
    },
}

/// The failure kinds of one protocol, for each [`NetError`].
#[derive(Debug, Clone, Copy)]
pub struct Kinds {
    /// For [`NetError::Timeout`].
    pub timeout: FailureKind,
    /// For [`NetError::Dns`].
    pub dns: FailureKind,
    /// For [`NetError::Refused`].
    pub refused: FailureKind,
    /// For [`NetError::Io`].
    pub io: FailureKind,
    /// For [`NetError::UntrustedCertificate`].
    pub untrusted: FailureKind,
    /// For [`NetError::CertificateName`].
    pub name: FailureKind,
    /// For [`NetError::CertificateExpired`].
    pub expired: FailureKind,
    /// For [`NetError::Tls`].
    pub tls: FailureKind,
}

impl Kinds {
    /// SMTP's failures (`SM...`).
    pub const SMTP: Kinds = Kinds {
        timeout: FailureKind::SmtpTimeout,
        dns: FailureKind::SmtpDns,
        refused: FailureKind::SmtpRefused,
        io: FailureKind::SmtpUnexpected,
        untrusted: FailureKind::SmtpUntrustedCertificate,
        name: FailureKind::SmtpCertificateName,
        expired: FailureKind::SmtpCertificateExpired,
        tls: FailureKind::SmtpTls,
    };

    /// IMAP's failures (`IM...`).
    pub const IMAP: Kinds = Kinds {
        timeout: FailureKind::ImapTimeout,
        dns: FailureKind::ImapDns,
        refused: FailureKind::ImapRefused,
        io: FailureKind::ImapConnectionLost,
        untrusted: FailureKind::ImapUntrustedCertificate,
        name: FailureKind::ImapCertificateName,
        expired: FailureKind::ImapCertificateExpired,
        tls: FailureKind::ImapTls,
    };
}

impl NetError {
    /// The protocol's failure, with the `host` and `port` its message
    /// names; a refused destination is the same failure (NT001) whatever
    /// the protocol.
    #[must_use]
    pub fn into_failure(self, kinds: &Kinds, host: &str, port: u16) -> Failure {
        let failure = |kind| Failure::new(kind).arg("host", host).arg("port", port);
        match self {
            NetError::Timeout { step, limit } => failure(kinds.timeout)
                .arg("step", step)
                .arg("seconds", limit.as_secs()),
            NetError::Dns => failure(kinds.dns),
            NetError::Refused => failure(kinds.refused),
            NetError::Io(e) => failure(kinds.io).arg("detail", describe_io(&e)),
            NetError::UntrustedCertificate => failure(kinds.untrusted),
            NetError::CertificateName(detail) => failure(kinds.name).arg("detail", detail),
            NetError::CertificateExpired(day) => {
                let failure = failure(kinds.expired);
                match day {
                    Some(day) => failure.arg("date", day),
                    None => failure.arg("date", "unknown"),
                }
            }
            NetError::Tls(detail) => failure(kinds.tls).arg("detail", detail),
            NetError::NotAllowed { address, special } => {
                failure(FailureKind::DestinationNotAllowed)
                    .arg("address", address)
                    .arg("range", special)
            }
        }
    }
}

/// Client configurations already built, by (only the extra CAs, the extra
/// CAs' PEM); bounded, emptied when full.
type Configs = HashMap<(bool, Option<Vec<u8>>), Arc<rustls::ClientConfig>>;
static CONFIGS: LazyLock<Mutex<Configs>> = LazyLock::new(Mutex::default);
const MAX_CONFIGS: usize = 64;

/// The rustls client configuration: the web's roots (Mozilla's list)
/// unless `only_extra`, plus the CAs in `extra_ca_pem`. One configuration
/// per set of trusted CAs is shared by every connection: the roots are
/// parsed once, and TLS sessions are resumed from its session cache.
pub fn tls_config(
    extra_ca_pem: Option<&[u8]>,
    only_extra: bool,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let key = (only_extra, extra_ca_pem.map(<[u8]>::to_vec));
    let mut configs = CONFIGS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(config) = configs.get(&key) {
        return Ok(config.clone());
    }
    let config = build_tls_config(extra_ca_pem, only_extra)?;
    if configs.len() >= MAX_CONFIGS {
        configs.clear();
    }
    configs.insert(key, config.clone());
    Ok(config)
}

/// Checks that `pem` (a CA file's contents) holds at least one usable PEM
/// certificate, as [`tls_config`] will require: so a CA file can be
/// refused when it is read, as a settings problem, rather than at connect
/// time.
pub fn check_extra_ca(pem: &[u8]) -> Result<(), String> {
    add_extra_ca(&mut rustls::RootCertStore::empty(), pem)
}

fn add_extra_ca(roots: &mut rustls::RootCertStore, pem: &[u8]) -> Result<(), String> {
    let mut added = 0;
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| format!("the CA file is not valid PEM: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("the CA file holds an unusable certificate: {e}"))?;
        added += 1;
    }
    if added == 0 {
        return Err("the CA file has no PEM certificate in it".to_string());
    }
    Ok(())
}

fn build_tls_config(
    extra_ca_pem: Option<&[u8]>,
    only_extra: bool,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    if !only_extra {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(pem) = extra_ca_pem {
        add_extra_ca(&mut roots, pem)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Resolves `host` (unless `address` is given: then it is connected to
/// instead, like curl's `--resolve`, and the certificate is still checked
/// against `host`) and connects to the first address that answers and that
/// `destinations` allows, each step within `limit`; the socket has
/// `TCP_NODELAY` set. The name is resolved once: the addresses checked are
/// the addresses connected to, so a name that resolves differently the
/// second time (DNS rebinding) cannot slip past the check.
pub async fn tcp(
    host: &str,
    port: u16,
    address: Option<std::net::IpAddr>,
    destinations: &Destinations,
    limit: Duration,
) -> Result<TcpStream, NetError> {
    tcp_resolving_with(
        host,
        port,
        address,
        destinations,
        limit,
        |host, port| async move {
            tokio::net::lookup_host((host.as_str(), port))
                .await
                .map(Iterator::collect)
        },
    )
    .await
}

/// [`tcp`] with the resolver given: called at most once (`FnOnce`).
async fn tcp_resolving_with<F, R>(
    host: &str,
    port: u16,
    address: Option<std::net::IpAddr>,
    destinations: &Destinations,
    limit: Duration,
    resolve: F,
) -> Result<TcpStream, NetError>
where
    F: FnOnce(String, u16) -> R,
    R: Future<Output = std::io::Result<Vec<std::net::SocketAddr>>>,
{
    let resolved = match address {
        Some(ip) => vec![std::net::SocketAddr::new(ip, port)],
        None => match tokio::time::timeout(limit, resolve(host.to_string(), port)).await {
            Err(_) => {
                return Err(NetError::Timeout {
                    step: "DNS lookup",
                    limit,
                });
            }
            Ok(Err(_)) => return Err(NetError::Dns),
            Ok(Ok(addresses)) => addresses,
        },
    };
    let mut refused = None;
    let addresses: Vec<std::net::SocketAddr> = resolved
        .into_iter()
        .filter(|a| match destinations.check(a.ip()) {
            Ok(()) => true,
            Err(special) => {
                refused.get_or_insert(NetError::NotAllowed {
                    address: a.ip(),
                    special,
                });
                false
            }
        })
        .collect();
    let mut last = match refused {
        Some(refused) if addresses.is_empty() => return Err(refused),
        _ => NetError::Dns,
    };
    for address in addresses {
        match tokio::time::timeout(limit, TcpStream::connect(address)).await {
            Err(_) => {
                last = NetError::Timeout {
                    step: "TCP connect",
                    limit,
                }
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = NetError::Refused;
            }
            Ok(Err(e)) => last = NetError::Io(e),
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
        }
    }
    Err(last)
}

/// A TCP connection to a mail server that acknowledges what it reads at
/// once (Linux's `TCP_QUICKACK`, renewed after every read; elsewhere a
/// plain stream).
///
/// Mail servers answer in small writes, and some write two in a row: the
/// last TLS handshake flight (TLS 1.3 session tickets, or TLS 1.2's
/// Finished) and then the greeting or the reply to a command already
/// sent. With Nagle's algorithm on (Postfix, Cyrus), the second waits until
/// the first is acknowledged, and a client waiting to read delays its ACK
/// by up to 40 ms. Acknowledging every read at once removes that wait
/// (measured on loopback: Postfix's greeting after an implicit-TLS
/// handshake from 42 ms to 0.1 ms, Cyrus's from 54 ms; Dovecot and Exim
/// never waited), at the cost of an ACK segment of its own now and then.
#[derive(Debug)]
pub struct AckedStream(TcpStream);

impl AckedStream {
    /// Wraps a connected stream.
    #[must_use]
    pub fn new(stream: TcpStream) -> AckedStream {
        AckedStream(stream)
    }

    /// The TCP stream.
    #[must_use]
    pub fn get_ref(&self) -> &TcpStream {
        &self.0
    }

    fn ack_at_once(&self) {
        // Best effort: without it, a reply is only later.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let _ = socket2::SockRef::from(&self.0).set_tcp_quickack(true);
    }
}

impl AsyncRead for AckedStream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.0).poll_read(cx, buf);
        if matches!(polled, std::task::Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.ack_at_once();
        }
        polled
    }
}

impl AsyncWrite for AckedStream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// TLS handshakes completed by this process: full, then resumed.
static HANDSHAKES: [std::sync::atomic::AtomicU64; 2] = [
    std::sync::atomic::AtomicU64::new(0),
    std::sync::atomic::AtomicU64::new(0),
];

/// The TLS handshakes this process completed so far: `(full, resumed)`.
/// Sessions are resumed from the shared client configuration's cache
/// (rustls's, 256 sessions per configuration), across connections and
/// accounts to the same server name, saving the certificate exchange and
/// its checks.
#[must_use]
pub fn tls_handshakes() -> (u64, u64) {
    let count = |i: usize| HANDSHAKES[i].load(std::sync::atomic::Ordering::Relaxed);
    (count(0), count(1))
}

/// The TLS handshake with `host` over `io`, within `limit`.
pub async fn tls<S: AsyncRead + AsyncWrite + Unpin>(
    config: Arc<rustls::ClientConfig>,
    host: &str,
    io: S,
    limit: Duration,
) -> Result<tokio_rustls::client::TlsStream<S>, NetError> {
    let name = ServerName::try_from(host.to_string()).map_err(|e| NetError::Tls(e.to_string()))?;
    let connector = tokio_rustls::TlsConnector::from(config);
    match tokio::time::timeout(limit, connector.connect(name, io)).await {
        Err(_) => Err(NetError::Timeout {
            step: "TLS handshake",
            limit,
        }),
        Ok(Ok(stream)) => {
            let resumed =
                stream.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
            HANDSHAKES[usize::from(resumed)].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(stream)
        }
        Ok(Err(e)) => Err(
            match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                Some(error) => tls_error(error),
                None => NetError::Tls(describe_io(&e)),
            },
        ),
    }
}

/// A TLS failure told apart, in plain words: never a library's `Debug`
/// text or documentation link.
fn tls_error(error: &rustls::Error) -> NetError {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => NetError::UntrustedCertificate,
        rustls::Error::InvalidCertificate(C::NotValidForName) => {
            NetError::CertificateName("unknown".to_string())
        }
        rustls::Error::InvalidCertificate(C::NotValidForNameContext { presented, .. }) => {
            NetError::CertificateName(certificate_names(presented))
        }
        rustls::Error::InvalidCertificate(C::Expired) => NetError::CertificateExpired(None),
        rustls::Error::InvalidCertificate(C::ExpiredContext { not_after, .. }) => {
            NetError::CertificateExpired(Some(day(not_after.as_secs())))
        }
        rustls::Error::InvalidCertificate(C::NotValidYetContext { not_before, .. }) => {
            NetError::Tls(format!(
                "the server's certificate is valid only from {} (is this computer's clock right?)",
                day(not_before.as_secs())
            ))
        }
        rustls::Error::InvalidCertificate(C::NotValidYet) => NetError::Tls(
            "the server's certificate is not valid yet (is this computer's clock right?)"
                .to_string(),
        ),
        rustls::Error::InvalidCertificate(C::Revoked) => {
            NetError::Tls("the server's certificate was revoked".to_string())
        }
        rustls::Error::InvalidCertificate(_) => {
            NetError::Tls("the server's certificate is not valid".to_string())
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            NetError::Tls("the server did not answer in TLS".to_string())
        }
        rustls::Error::AlertReceived(alert) => NetError::Tls(format!(
            "the server ended the handshake ({})",
            words(&format!("{alert:?}"))
        )),
        rustls::Error::PeerIncompatible(_) => NetError::Tls(
            "the server offers no TLS version or cipher suite that courriel accepts".to_string(),
        ),
        other => NetError::Tls(plain(&other.to_string())),
    }
}

/// The names a certificate is for, from rustls's list (`DnsName("a.b")`).
fn certificate_names(presented: &[String]) -> String {
    let names: Vec<&str> = presented
        .iter()
        .map(|n| {
            let n = n.trim();
            match (n.find('('), n.rfind(')')) {
                (Some(open), Some(close)) if open < close => n[open + 1..close].trim_matches('"'),
                _ => n,
            }
        })
        .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// `CertificateExpired` as `certificate expired`.
fn words(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The day (UTC, `2021-01-01`) of a time in seconds since 1970.
fn day(unix: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let days = i64::try_from(unix / 86_400).unwrap_or(i64::MAX / 2) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `text` without what follows a link (rustls ends some messages with one
/// to its manual).
fn plain(text: &str) -> String {
    match text.find("http://").or_else(|| text.find("https://")) {
        Some(at) => text[..at].trim_end_matches([':', ' ', '(']).to_string(),
        None => text.to_string(),
    }
}

/// A network error in plain words: the common cases said as a person would,
/// others without a library's documentation link.
#[must_use]
pub fn describe_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::UnexpectedEof => "the server closed the connection".to_string(),
        K::BrokenPipe => "the server closed the connection while courriel was writing".to_string(),
        K::ConnectionReset => "the server reset the connection".to_string(),
        K::ConnectionAborted => "the connection was aborted".to_string(),
        K::TimedOut => "the network timed out".to_string(),
        _ => match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
            Some(error) => match tls_error(error) {
                NetError::Tls(detail) => detail,
                _ => plain(&error.to_string()),
            },
            None => plain(&e.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extra_ca_must_hold_a_certificate() {
        assert!(tls_config(None, false).is_ok());
        assert_eq!(
            tls_config(Some(b""), false).unwrap_err(),
            "the CA file has no PEM certificate in it"
        );
        assert_eq!(
            check_extra_ca(b"# a comment, no certificate\n").unwrap_err(),
            "the CA file has no PEM certificate in it"
        );
    }

    #[test]
    fn errors_become_the_protocols_failures() {
        let kinds = Kinds::IMAP;
        let f = NetError::Timeout {
            step: "TCP connect",
            limit: Duration::from_secs(3),
        }
        .into_failure(&kinds, "h", 1);
        assert_eq!(f.code(), "IM004");
        assert!(
            f.message(courriel_core::account::Lang::En)
                .contains("within 3 s (TCP connect)")
        );
    }

    #[test]
    fn tls_failures_are_told_in_plain_words() {
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(1_609_459_200), "2021-01-01");
        assert_eq!(day(951_782_400), "2000-02-29");
        assert_eq!(
            certificate_names(&[
                "DnsName(\"mail.example.org\")".to_string(),
                "DnsName(\"*.example.org\")".to_string()
            ]),
            "mail.example.org, *.example.org"
        );
        let eof = std::io::Error::other(rustls::Error::General(
            "peer closed connection without sending TLS close_notify: https://docs.rs/rustls/latest/rustls/manual/_03_howto/index.html#unexpected-eof".to_string(),
        ));
        let said = describe_io(&eof);
        assert!(!said.contains("http"), "{said}");
        assert!(matches!(
            tls_error(&rustls::Error::InvalidCertificate(
                rustls::CertificateError::ExpiredContext {
                    time: rustls::pki_types::UnixTime::since_unix_epoch(Duration::from_secs(
                        1_700_000_000
                    )),
                    not_after: rustls::pki_types::UnixTime::since_unix_epoch(
                        Duration::from_secs(1_609_459_200)
                    ),
                }
            )),
            NetError::CertificateExpired(Some(d)) if d == "2021-01-01"
        ));
        let f =
            NetError::CertificateName(certificate_names(&[])).into_failure(&Kinds::SMTP, "h", 1);
        assert!(
            !f.message(courriel_core::account::Lang::En)
                .contains("DnsName")
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_refused() {
        assert!(matches!(
            tcp(
                "127.0.0.1",
                1,
                None,
                &Destinations::AnyAddress,
                Duration::from_secs(2)
            )
            .await,
            Err(NetError::Refused)
        ));
    }

    #[tokio::test]
    async fn a_given_address_is_used_instead_of_resolving() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // `.invalid` never resolves (RFC 6761): only the given address works.
        let name = "mail.courriel.invalid";
        assert!(matches!(
            tcp(
                name,
                port,
                None,
                &Destinations::AnyAddress,
                Duration::from_secs(2)
            )
            .await,
            Err(NetError::Dns | NetError::Timeout { .. })
        ));
        let stream = tcp(
            name,
            port,
            Some([127, 0, 0, 1].into()),
            &Destinations::AnyAddress,
            Duration::from_secs(2),
        )
        .await
        .unwrap();
        assert_eq!(stream.peer_addr().unwrap().port(), port);
    }

    #[tokio::test]
    async fn a_refused_destination_is_never_connected_to() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let public = Destinations::public_only();
        let limit = Duration::from_secs(2);
        // An IP literal, a name resolving to loopback, an address given.
        for (host, address) in [
            ("127.0.0.1", None),
            ("localhost", None),
            ("mail.courriel.invalid", Some([127, 0, 0, 1].into())),
        ] {
            match tcp(host, port, address, &public, limit).await {
                Err(NetError::NotAllowed { address, special }) => {
                    assert!(address.is_loopback(), "{host}: {address}");
                    assert_eq!(special, Special::Loopback, "{host}");
                }
                other => panic!("{host}: {other:?}"),
            }
        }
        // Nothing reached the listener.
        assert!(
            tokio::time::timeout(Duration::from_millis(100), listener.accept())
                .await
                .is_err()
        );
        // Allowed explicitly, it connects.
        let allowed = public.allow("127.0.0.0/8".parse().unwrap());
        let stream = tcp("127.0.0.1", port, None, &allowed, limit).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap().port(), port);
    }

    #[tokio::test]
    async fn the_address_connected_to_is_the_one_checked() {
        // A name that resolves to an allowed address first and to a
        // refused one after (DNS rebinding): resolved once, the checked
        // address is the one connected to.
        let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let allowed = Destinations::public_only().allow("127.0.0.2".parse().unwrap());
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let answers = [[127, 0, 0, 2], [127, 0, 0, 1]];
        let stream = tcp_resolving_with(
            "rebinding.courriel.invalid",
            port,
            None,
            &allowed,
            Duration::from_secs(2),
            |_, port| {
                let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let ip = std::net::IpAddr::from(answers[n.min(1)]);
                async move { Ok(vec![std::net::SocketAddr::new(ip, port)]) }
            },
        )
        .await
        .unwrap();
        assert_eq!(
            stream.peer_addr().unwrap(),
            std::net::SocketAddr::new([127, 0, 0, 2].into(), port)
        );
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);

        // Among several addresses, only the allowed ones are tried; when
        // none is, the first refused one is named.
        let mixed = |first: [u8; 4]| {
            move |_: String, port: u16| async move {
                Ok(vec![
                    std::net::SocketAddr::new(first.into(), port),
                    std::net::SocketAddr::new([127, 0, 0, 2].into(), port),
                ])
            }
        };
        let stream = tcp_resolving_with(
            "mixed.courriel.invalid",
            port,
            None,
            &allowed,
            Duration::from_secs(2),
            mixed([10, 0, 0, 1]),
        )
        .await
        .unwrap();
        assert_eq!(
            stream.peer_addr().unwrap().ip(),
            std::net::IpAddr::from([127, 0, 0, 2])
        );
        match tcp_resolving_with(
            "mixed.courriel.invalid",
            port,
            None,
            &Destinations::public_only(),
            Duration::from_secs(2),
            mixed([169, 254, 169, 254]),
        )
        .await
        {
            Err(NetError::NotAllowed { address, special }) => {
                assert_eq!(address, std::net::IpAddr::from([169, 254, 169, 254]));
                assert_eq!(special, Special::CloudMetadata);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_refused_destination_has_its_own_code_in_every_protocol() {
        let kinds = Kinds::SMTP;
        let f = NetError::NotAllowed {
            address: [169, 254, 169, 254].into(),
            special: Special::CloudMetadata,
        }
        .into_failure(&kinds, "metadata.example", 587);
        assert_eq!(f.code(), "NT001");
        for lang in [
            courriel_core::account::Lang::En,
            courriel_core::account::Lang::Fr,
        ] {
            let message = f.message(lang);
            assert!(
                message.contains("metadata.example") && message.contains("169.254.169.254"),
                "{message}"
            );
            assert!(!f.help(lang).is_empty());
        }
        assert!(
            f.message(courriel_core::account::Lang::En)
                .contains("the address of a cloud metadata service"),
            "the message says which kind of address"
        );
        assert!(
            f.message(courriel_core::account::Lang::Fr)
                .contains("l'adresse d'un service de métadonnées cloud")
        );
    }
}
