//! A TLS server whose certificate expired: for 127.0.0.1 and the test
//! names, signed by the test CA (so only its dates are wrong), valid from
//! 2020-01-01 to 2021-01-01. Made with openssl at first use, as `cargo
//! xtask mail-servers start` makes the test servers' own certificates.

use std::io::Read as _;
use std::sync::{Arc, OnceLock};

use crate::Servers;
use crate::hostile::serve;

/// The day the certificate expired.
pub const EXPIRED_ON: &str = "2021-01-01";

/// The server configuration presenting the expired certificate.
fn config() -> Arc<rustls::ServerConfig> {
    static CONFIG: OnceLock<Arc<rustls::ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let ext = std::fs::read_to_string(Servers::get().dir.join("tls").join("server.ext"))
                .expect("the test servers' certificate extensions");
            let (certs, key) = crate::issue::issue(
                "expired",
                &ext,
                &[
                    "-startdate",
                    "20200101000000Z",
                    "-enddate",
                    "20210101000000Z",
                ],
            );
            crate::web::tls_server(certs, key)
        })
        .clone()
}

/// Starts a server on 127.0.0.1 that offers TLS at once (as on ports 465
/// and 993) with the expired certificate, and says nothing else. Returns
/// the port.
#[must_use]
pub fn expired_tls_server() -> u16 {
    let config = config();
    serve(false, move |script| {
        let Ok(connection) = rustls::ServerConnection::new(config.clone()) else {
            return;
        };
        let mut tls = rustls::StreamOwned::new(connection, script.into_inner());
        // Reading drives the handshake, which the client aborts.
        let _ = tls.read(&mut [0u8; 1]);
    })
}
