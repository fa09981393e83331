//! A small web server on 127.0.0.1 for discovery tests: serves fixed files
//! by host name and path, over TLS with the test servers' certificate
//! (which covers the test domains) or in plain text, and records every
//! request; and a port that accepts connections and never answers.

use std::io::{BufRead as _, BufReader};
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

/// A running web server.
#[derive(Debug, Clone)]
pub struct Web {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Every request: `host path?query` as asked.
    pub requests: Arc<Mutex<Vec<String>>>,
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
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("its address").port();
    let requests: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = requests.clone();
    let config = tls.then(server_config);
    let pages = Arc::new(pages);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (config, pages, seen) = (config.clone(), pages.clone(), seen.clone());
            std::thread::spawn(move || {
                let _ = match config {
                    Some(config) => {
                        let Ok(connection) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        answer(
                            rustls::StreamOwned::new(connection, stream),
                            &pages,
                            &seen,
                            delay,
                        )
                    }
                    None => answer(stream, &pages, &seen, delay),
                };
            });
        }
    });
    Web { port, requests }
}

/// Reads one request and answers it: the page, or 404.
fn answer<S: std::io::Read + std::io::Write>(
    stream: S,
    pages: &[Page],
    seen: &Mutex<Vec<String>>,
    delay: std::time::Duration,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut host = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("host")
        {
            host = value
                .trim()
                .split(':')
                .next()
                .unwrap_or_default()
                .to_string();
        }
    }
    let target = request
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    seen.lock()
        .expect("requests")
        .push(format!("{host} {target}"));
    std::thread::sleep(delay);
    let path = target.split('?').next().unwrap_or_default();
    let page = pages.iter().find(|p| p.host == host && p.path == path);
    let (status, body) = page.map_or(("404 Not Found", ""), |p| ("200 OK", p.body.as_str()));
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
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
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    port
}
