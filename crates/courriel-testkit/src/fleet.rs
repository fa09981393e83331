//! The fleet accounts (`fleet01@`…`fleet20@courriel.test`) as the
//! `courriel` tool sees them: account files whose passwords come from
//! environment variables, and Sent folders counted or emptied (any
//! account's, by Message-ID), for
//! tests and benchmarks that run many accounts through worker processes.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Account, Servers};

/// The variable holding `account`'s password in its account file.
fn password_variable(account: &Account) -> String {
    let name = account.address.split('@').next().unwrap_or("fleet");
    format!("COURRIEL_TEST_{}_PASSWORD", name.to_ascii_uppercase())
}

/// Writes an account file per fleet account in `dir` (IMAP only, over
/// implicit TLS, the Sent folder chosen automatically, the test CA
/// trusted); returns their paths, in fleet order.
#[must_use]
pub fn account_files(dir: &Path) -> Vec<PathBuf> {
    let s = Servers::get();
    s.fleet
        .iter()
        .map(|account| {
            let contents = format!(
                "sender = \"{address}\"\nca_file = \"{ca}\"\n\n[imap]\nhost = \"{host}\"\nport = {port}\nsecurity = \"implicit-tls\"\nusername = \"{address}\"\npassword_env = \"{variable}\"\nsent_folder = \"auto\"\n",
                address = account.address,
                ca = s.ca.display(),
                host = s.host,
                port = s.imap_tls_port,
                variable = password_variable(account),
            );
            let path = dir.join(format!("{}.toml", account.address.split('@').next().unwrap_or("fleet")));
            std::fs::write(&path, contents).expect("write an account file");
            path
        })
        .collect()
}

/// Gives `command` the fleet's passwords, as its account files expect.
pub fn with_passwords(command: &mut Command) -> &mut Command {
    for account in &Servers::get().fleet {
        command.env(password_variable(account), &account.password);
    }
    command
}

/// The Message-ID of every message in `account`'s Sent folder (a copy
/// filed twice appears twice).
#[must_use]
pub fn sent_message_ids(account: &Account) -> Vec<String> {
    let mut imap = Servers::get().imap_as(account);
    assert!(imap.command("SELECT Sent").expect("SELECT").is_ok());
    let fetched = imap
        .command("UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        .expect("FETCH");
    let mut ids = Vec::new();
    for line in &fetched.untagged {
        for part in line.split('<').skip(1) {
            if let Some(id) = part.split('>').next() {
                ids.push(id.to_string());
            }
        }
    }
    ids
}

/// Of `ids`, how many are in none of the `accounts`' Sent folders (lost)
/// and how many more than once (filed twice), counted by Message-ID.
#[must_use]
pub fn lost_and_twice(accounts: &[Account], ids: &[String]) -> (usize, usize) {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for account in accounts {
        for id in sent_message_ids(account) {
            *counts.entry(id).or_default() += 1;
        }
    }
    let lost = ids.iter().filter(|id| !counts.contains_key(*id)).count();
    let twice = ids
        .iter()
        .filter(|id| counts.get(*id).copied().unwrap_or(0) > 1)
        .count();
    (lost, twice)
}

/// Empties `account`'s Sent folder (so a benchmark's searches cost the
/// same from one run to the next).
pub fn empty_sent(account: &Account) {
    let mut imap = Servers::get().imap_as(account);
    assert!(imap.command("SELECT Sent").expect("SELECT").is_ok());
    let _ = imap.command("UID STORE 1:* +FLAGS.SILENT (\\Deleted)");
    assert!(imap.command("EXPUNGE").expect("EXPUNGE").is_ok());
}
