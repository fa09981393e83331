//! Tests of the `courriel` tool, run as a user runs it.

mod auth;
mod check;
mod durability;
mod help;
mod inputs;
mod lookup;
mod providers;
mod send;
mod spool;

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `courriel` binary with `args`, in English whatever the
/// machine's locale.
pub(crate) fn courriel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_courriel"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .output()
        .expect("the courriel binary runs")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 output")
}

/// A fresh directory of its own for `test`, under the system's temporary
/// directory (emptied if a previous run left it).
pub(crate) fn fresh_dir(test: &str) -> PathBuf {
    let dir = courriel_testkit::fresh_dir(&format!("cli-{test}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A Message-ID no other test or run uses.
pub(crate) fn unique_message_id(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{test}.{}.{nanos}@courriel.test", std::process::id())
}

/// alice's account file (SMTP with STARTTLS, IMAP with implicit TLS, the
/// Sent folder chosen automatically), its password in
/// `COURRIEL_TEST_ALICE_PASSWORD`; `smtp_port` replaces the real one.
pub(crate) fn alice_account(dir: &std::path::Path, smtp_port: Option<u16>) -> PathBuf {
    let s = courriel_testkit::Servers::get();
    let contents = format!(
        "sender = \"{address}\"\nca_file = \"{ca}\"\n\n[smtp]\nhost = \"{host}\"\nport = {smtp}\nsecurity = \"starttls\"\nusername = \"{address}\"\npassword_env = \"COURRIEL_TEST_ALICE_PASSWORD\"\n\n[imap]\nhost = \"{host}\"\nport = {imap}\nsecurity = \"implicit-tls\"\nusername = \"{address}\"\npassword_env = \"COURRIEL_TEST_ALICE_PASSWORD\"\nsent_folder = \"auto\"\n",
        address = s.special.address,
        ca = s.ca.display(),
        host = s.host,
        smtp = smtp_port.unwrap_or(s.smtp_starttls_port),
        imap = s.imap_tls_port,
    );
    let path = dir.join("alice.toml");
    std::fs::write(&path, contents).unwrap();
    path
}

/// Runs `courriel` with alice's password, a clean locale, and `env`.
pub(crate) fn run_as_alice(args: &[&str], env: &[(&str, &str)]) -> Output {
    let s = courriel_testkit::Servers::get();
    Command::new(env!("CARGO_BIN_EXE_courriel"))
        .args(args)
        .env("COURRIEL_TEST_ALICE_PASSWORD", &s.special.password)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .envs(env.iter().copied())
        .output()
        .expect("the courriel binary runs")
}

/// How many messages with this Message-ID alice's Sent folder holds.
pub(crate) fn copies_in_alices_sent(message_id: &str) -> usize {
    let s = courriel_testkit::Servers::get();
    let mut imap = s.imap_as(&s.special);
    assert!(imap.command("SELECT Sent").unwrap().is_ok());
    let found = imap
        .command(&format!("UID SEARCH HEADER Message-ID \"<{message_id}>\""))
        .unwrap();
    assert!(found.is_ok(), "{}", found.status);
    found
        .untagged
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .map(|l| l.split_whitespace().count())
        .sum()
}
