//! A TLS server whose certificate expired: for 127.0.0.1 and the test
//! names, signed by the test CA (so only its dates are wrong), valid from
//! 2020-01-01 to 2021-01-01. Made with openssl at first use, as `cargo
//! xtask mail-servers start` makes the test servers' own certificates.

use std::io::Read as _;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::Servers;
use crate::hostile::serve;

/// The day the certificate expired.
pub const EXPIRED_ON: &str = "2021-01-01";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl (the test servers need it too)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The server configuration presenting the expired certificate.
fn config() -> Arc<rustls::ServerConfig> {
    static CONFIG: OnceLock<Arc<rustls::ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let tls = Servers::get().dir.join("tls");
            let dir = std::env::temp_dir().join(format!("courriel-expired-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("a temporary directory");
            std::fs::write(dir.join("index.txt"), "").expect("the CA's index");
            std::fs::write(dir.join("serial"), "01\n").expect("the CA's serial");
            std::fs::write(
                dir.join("ca.cnf"),
                "[ca]\ndefault_ca = test\n[test]\ndatabase = index.txt\nnew_certs_dir = .\n\
                 serial = serial\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n",
            )
            .expect("the CA's configuration");
            openssl(
                &dir,
                &[
                    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-subj", "/CN=localhost", "-keyout", "expired.key", "-out",
                    "expired.csr",
                ],
            );
            let (ca, ca_key, ext) = (
                tls.join("ca.pem"),
                tls.join("ca.key"),
                tls.join("server.ext"),
            );
            openssl(
                &dir,
                &[
                    "ca", "-batch", "-notext", "-config", "ca.cnf", "-startdate",
                    "20200101000000Z", "-enddate", "20210101000000Z", "-in", "expired.csr",
                    "-out", "expired.pem", "-cert", &ca.display().to_string(), "-keyfile",
                    &ca_key.display().to_string(), "-extfile", &ext.display().to_string(),
                ],
            );
            let certs: Vec<CertificateDer<'static>> =
                CertificateDer::pem_file_iter(dir.join("expired.pem"))
                    .expect("the expired certificate")
                    .map(|c| c.expect("a certificate"))
                    .collect();
            let key = PrivateKeyDer::from_pem_file(dir.join("expired.key")).expect("its key");
            let _ = std::fs::remove_dir_all(&dir);
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
