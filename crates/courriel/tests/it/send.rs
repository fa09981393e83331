//! `courriel send` through the test Postfix.

use std::process::{Command, Output};

use courriel_testkit::Servers;
use serde_json::Value;

use crate::{stderr, stdout};

/// A directory (its own per test) with an account file and a body.
fn account(test: &str) -> std::path::PathBuf {
    let s = Servers::get();
    let dir = std::env::temp_dir().join(format!("courriel-send-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let contents = format!(
        "sender = \"{}\"\nca_file = \"{}\"\n[smtp]\nhost = \"{}\"\nport = {}\nsecurity = \"starttls\"\nusername = \"{}\"\npassword_env = \"COURRIEL_TEST_SMTP_PASSWORD\"\n",
        s.special.address,
        s.ca.display(),
        s.host,
        s.smtp_starttls_port,
        s.special.address
    );
    std::fs::write(dir.join("account.toml"), contents).unwrap();
    std::fs::write(dir.join("body.txt"), "Bonjour\n").unwrap();
    dir
}

fn run(args: &[&str], password: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_courriel"))
        .args(args)
        .env("COURRIEL_TEST_SMTP_PASSWORD", password)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .output()
        .unwrap()
}

#[test]
fn sends_and_prints_a_receipt_naming_refused_recipients() {
    let s = Servers::get();
    let dir = account("receipt");
    let config = dir.join("account.toml");
    let body = dir.join("body.txt");
    let (config, body) = (config.to_str().unwrap(), body.to_str().unwrap());
    let ok = run(
        &[
            "send",
            "--config",
            config,
            "--to",
            &s.courier.address,
            "--subject",
            "Bonjour",
            "--text",
            body,
            "--json",
        ],
        &s.special.password,
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let v: Value = serde_json::from_str(&stdout(&ok)).unwrap();
    assert_eq!(v["sent"], true);
    assert_eq!(v["transport"], "smtp");
    assert!(v["reply"].as_str().unwrap().starts_with("250"));

    let partial = run(
        &[
            "send",
            "--config",
            config,
            "--to",
            &s.courier.address,
            "--to",
            "nosuchuser@courriel.test",
            "--subject",
            "x",
            "--text",
            body,
            "--json",
        ],
        &s.special.password,
    );
    assert_eq!(
        partial.status.code(),
        Some(1),
        "a partial send is not a success"
    );
    let v: Value = serde_json::from_str(&stdout(&partial)).unwrap();
    assert_eq!(v["refused"][0]["address"], "nosuchuser@courriel.test");

    let refused = run(
        &[
            "send",
            "--config",
            config,
            "--to",
            &s.courier.address,
            "--subject",
            "x",
            "--text",
            body,
        ],
        "wrong",
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).starts_with("[SM009]"),
        "{}",
        stderr(&refused)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    let dir = account("usage");
    let body = dir.join("body.txt");
    let config = dir.join("account.toml");
    let out = run(
        &[
            "send",
            "--config",
            config.to_str().unwrap(),
            "--to",
            "not-an-address",
            "--subject",
            "x",
            "--text",
            body.to_str().unwrap(),
        ],
        "x",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--to `not-an-address`"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_smtp_the_default_provider_sends() {
    let (url, seen) = courriel_testkit::sendgrid::server();
    let dir = account("sendgrid");
    let no_smtp = dir.join("no-smtp.toml");
    std::fs::write(&no_smtp, "sender = \"contact@boulangerie-martin.fr\"\n").unwrap();
    let body = dir.join("body.txt");
    let args = [
        "send",
        "--config",
        no_smtp.to_str().unwrap(),
        "--to",
        "client@example.org",
        "--subject",
        "Facture",
        "--text",
        body.to_str().unwrap(),
        "--json",
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_courriel"))
        .args(args)
        .env("COURRIEL_SENDGRID_API_KEY", "good")
        .env("COURRIEL_SENDGRID_DANGEROUS_PLAIN_HTTP_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["transport"], "sendgrid");
    let (_, request) = seen.lock().unwrap().pop().unwrap();
    assert_eq!(
        request["headers"]["Message-ID"],
        format!("<{}>", v["message_id"].as_str().unwrap())
    );

    // No key: the default provider is not configured (SG001), said in French on request.
    let out = Command::new(env!("CARGO_BIN_EXE_courriel"))
        .args(args)
        .args(["--lang", "fr"])
        .env_remove("COURRIEL_SENDGRID_API_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("[SG001] Le fournisseur par défaut n'est pas configuré"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
