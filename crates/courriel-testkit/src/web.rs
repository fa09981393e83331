//! A small web server on 127.0.0.1 for discovery and OAuth2 tests: serves
//! fixed answers by host name and path, to any method, over TLS with the
//! test servers' certificate (which covers the test domains and
//! 127.0.0.1) or in plain text, and records every request and its body.
//! A [`Page`] is a file (200); a [`Route`] chooses the answer: any status,
//! type and body, or none at all after reading the request
//! ([`Reply::Never`]), as a token endpoint's faults need. Beside it, a port
//! that accepts connections and never answers (not even TLS's handshake),
//! and one where nothing listens.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::Servers;

/// An autoconfig file (`clientConfig` 1.1) for `boulangerie.test`: IMAP on
/// `mail.%EMAILDOMAIN%`:993, SMTP on `mail.boulangerie.test`:465, plus a
/// POP3 server and a plaintext port-25 server that discovery must leave out.
pub const AUTOCONFIG_BOULANGERIE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="boulangerie.test">
    <domain>boulangerie.test</domain>
    <displayName>Boulangerie Martin</displayName>
    <incomingServer type="imap">
      <hostname>mail.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.boulangerie.test</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>mail.boulangerie.test</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>mail.boulangerie.test</hostname>
      <port>25</port>
      <socketType>plain</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"#;

/// A file served: for requests to `host` whose path (without the query)
/// is `path`.
#[derive(Debug, Clone)]
pub struct Page {
    /// The host name asked for (the `Host` header, without the port).
    pub host: String,
    /// The path, without the query string.
    pub path: String,
    /// The body.
    pub body: String,
}

/// How the server answers the requests of one [`Route`].
#[derive(Debug, Clone)]
pub enum Reply {
    /// An answer: its status, `Content-Type` and body.
    Answer {
        /// The HTTP status (200, 400, 503...).
        status: u16,
        /// The `Content-Type`.
        content_type: String,
        /// The body, sent whole with its `Content-Length`.
        body: Vec<u8>,
    },
    /// No answer: the request is read, then the connection is held open,
    /// silent, until the client gives up.
    Never,
}

impl Reply {
    /// `status` with a JSON body.
    #[must_use]
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::Answer {
            status,
            content_type: "application/json".into(),
            body: body.as_bytes().to_vec(),
        }
    }

    /// `status` with an HTML body (a proxy's or load balancer's page).
    #[must_use]
    pub fn html(status: u16, body: &str) -> Reply {
        Reply::Answer {
            status,
            content_type: "text/html; charset=utf-8".into(),
            body: body.as_bytes().to_vec(),
        }
    }
}

/// What the server answers to requests (any method) for `host` and
/// `path`.
#[derive(Debug, Clone)]
pub struct Route {
    /// The host name asked for (the `Host` header, without the port).
    pub host: String,
    /// The path, without the query string.
    pub path: String,
    /// The answer.
    pub reply: Reply,
}

impl From<Page> for Route {
    fn from(page: Page) -> Route {
        Route {
            host: page.host,
            path: page.path,
            reply: Reply::Answer {
                status: 200,
                content_type: "text/xml".into(),
                body: page.body.into_bytes(),
            },
        }
    }
}

/// A running web server.
#[derive(Debug, Clone)]
pub struct Web {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Every request: `host path?query` as asked.
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Every request's body (by `Content-Length`; empty without), in the
    /// order of `requests`.
    pub bodies: Arc<Mutex<Vec<String>>>,
}

impl Web {
    /// The bodies received so far.
    #[must_use]
    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().expect("bodies").clone()
    }
}

pub(crate) fn server_config() -> Arc<rustls::ServerConfig> {
    let dir = Servers::get().dir.join("tls");
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .expect("the test server certificate")
        .map(|c| c.expect("a certificate"))
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("the test server key");
    tls_server(certs, key)
}

/// A rustls server configuration presenting `certs` with `key`.
pub(crate) fn tls_server(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("the certificate and its key"),
    )
}

/// Starts a server for `pages`, over TLS when `tls`.
#[must_use]
pub fn serve(tls: bool, pages: Vec<Page>) -> Web {
    serve_slowly(tls, pages, std::time::Duration::ZERO)
}

/// Like [`serve`], answering each request only after `delay` (a far
/// server, for benchmarks).
#[must_use]
pub fn serve_slowly(tls: bool, pages: Vec<Page>, delay: std::time::Duration) -> Web {
    serve_routes_slowly(tls, pages.into_iter().map(Route::from).collect(), delay)
}

/// Starts a server answering as `routes` say (404 elsewhere), over TLS
/// when `tls`.
#[must_use]
pub fn serve_routes(tls: bool, routes: Vec<Route>) -> Web {
    serve_routes_slowly(tls, routes, std::time::Duration::ZERO)
}

fn serve_routes_slowly(tls: bool, routes: Vec<Route>, delay: std::time::Duration) -> Web {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("its address").port();
    let web = Web {
        port,
        requests: Arc::default(),
        bodies: Arc::default(),
    };
    let seen = web.clone();
    let config = tls.then(server_config);
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (config, routes, seen) = (config.clone(), routes.clone(), seen.clone());
            std::thread::spawn(move || {
                let _ = match config {
                    Some(config) => {
                        let Ok(connection) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        answer(
                            rustls::StreamOwned::new(connection, stream),
                            &routes,
                            &seen,
                            delay,
                        )
                    }
                    None => answer(stream, &routes, &seen, delay),
                };
            });
        }
    });
    web
}

/// The largest request body read (a token request is a few KiB).
const MAX_BODY: usize = 1024 * 1024;

/// Reads one request and answers it as its route says, or 404.
fn answer<S: std::io::Read + std::io::Write>(
    stream: S,
    routes: &[Route],
    seen: &Web,
    delay: std::time::Duration,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut host = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("host") {
            host = value
                .trim()
                .split(':')
                .next()
                .unwrap_or_default()
                .to_string();
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse::<usize>().unwrap_or(0).min(MAX_BODY);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let target = request
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    seen.requests
        .lock()
        .expect("requests")
        .push(format!("{host} {target}"));
    seen.bodies
        .lock()
        .expect("bodies")
        .push(String::from_utf8_lossy(&body).into_owned());
    std::thread::sleep(delay);
    let path = target.split('?').next().unwrap_or_default();
    let route = routes.iter().find(|r| r.host == host && r.path == path);
    let (status, content_type, body): (u16, &str, &[u8]) = match route.map(|r| &r.reply) {
        Some(Reply::Answer {
            status,
            content_type,
            body,
        }) => (*status, content_type, body),
        Some(Reply::Never) => {
            // Held until the client gives up and closes (or forever).
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
            return Ok(());
        }
        None => (404, "text/plain", b"not found"),
    };
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}

/// The reason phrase of `status` (clients read only the number).
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// A port on 127.0.0.1 where nothing listens (connections are refused).
#[must_use]
pub fn closed() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.local_addr().expect("its address").port()
}

/// A port on 127.0.0.1 that accepts connections and never says a word.
#[must_use]
pub fn silent() -> u16 {
    silent_on(TcpListener::bind("127.0.0.1:0").expect("a port"))
}

/// A name server that never answers: a silent port ([`silent`]) that
/// also takes UDP datagrams and never replies to them.
#[must_use]
pub fn silent_dns() -> std::net::SocketAddr {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("a port");
        let address = tcp.local_addr().expect("its address");
        // The same port for UDP, held (and never read) for the process.
        if let Ok(udp) = std::net::UdpSocket::bind(address) {
            std::mem::forget(udp);
            silent_on(tcp);
            return address;
        }
    }
}

fn silent_on(listener: TcpListener) -> u16 {
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    port
}
