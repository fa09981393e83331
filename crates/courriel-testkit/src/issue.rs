//! Certificates signed by the test CA, made with openssl at first use (as
//! `cargo xtask mail-servers start` makes the test servers' own): for
//! servers the tests start themselves, under names or dates the test
//! servers' certificate does not have (an expired one, SendGrid's API
//! hosts). Only the test CA's key is read; nothing is written outside a
//! temporary directory, removed at once.

use std::path::Path;
use std::process::Command;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::Servers;

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

/// A P-256 key and its certificate for `/CN=localhost`, signed by the test
/// CA, with the extensions `ext` (openssl's `-extfile` syntax: the
/// `subjectAltName` names the hosts) and `dates` (openssl ca's
/// `-startdate`/`-enddate`, or `-days`). `label` names the files.
pub(crate) fn issue(
    label: &str,
    ext: &str,
    dates: &[&str],
) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let tls = Servers::get().dir.join("tls");
    let dir = std::env::temp_dir().join(format!("courriel-{label}-cert-{}", std::process::id()));
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
    std::fs::write(dir.join("leaf.ext"), ext).expect("the extensions");
    openssl(
        &dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
        ],
    );
    let (ca, ca_key) = (tls.join("ca.pem"), tls.join("ca.key"));
    let (ca, ca_key) = (ca.display().to_string(), ca_key.display().to_string());
    let mut args = vec![
        "ca", "-batch", "-notext", "-config", "ca.cnf", "-in", "leaf.csr", "-out", "leaf.pem",
        "-cert", &ca, "-keyfile", &ca_key, "-extfile", "leaf.ext",
    ];
    args.extend_from_slice(dates);
    openssl(&dir, &args);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("leaf.pem"))
        .expect("the certificate")
        .map(|c| c.expect("a certificate"))
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).expect("its key");
    let _ = std::fs::remove_dir_all(&dir);
    (certs, key)
}
