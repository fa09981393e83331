//! The tool's promises when things go wrong around the spool: a spool that
//! cannot take a copy stops the send before the message leaves; a copy
//! goes only to the mailbox it was made for, in the folder the account
//! names at the time of the retry; an unreadable spool file blocks nothing.
//! Each against the real Postfix and Dovecot.

use std::path::{Path, PathBuf};
use std::process::Output;

use courriel_testkit::Servers;
use serde_json::Value;

use crate::{copies_in_alices_sent, fresh_dir, run_as_alice, stderr, stdout};

/// An account file for alice whose IMAP server is at `imap_port` and whose
/// Sent folder setting is `sent_folder`.
fn alice_with(dir: &Path, imap_port: u16, sent_folder: &str) -> PathBuf {
    let s = Servers::get();
    let path = crate::alice_account(dir, None);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            &format!("port = {}\nsecurity = \"implicit-tls\"", s.imap_tls_port),
            &format!("port = {imap_port}\nsecurity = \"implicit-tls\""),
        )
        .replace(
            "sent_folder = \"auto\"",
            &format!("sent_folder = \"{sent_folder}\""),
        );
    std::fs::write(&path, text).unwrap();
    path
}

/// `courriel send` as alice to bob, with this subject; `--json` output.
fn send(dir: &Path, config: &Path, spool: &str, subject: &str, env: &[(&str, &str)]) -> Output {
    let body = dir.join("body.txt");
    std::fs::write(&body, "Bonjour\n").unwrap();
    let s = Servers::get();
    run_as_alice(
        &[
            "send",
            "--json",
            "--spool",
            spool,
            "--config",
            config.to_str().unwrap(),
            "--to",
            &s.courier.address,
            "--subject",
            subject,
            "--text",
            body.to_str().unwrap(),
        ],
        env,
    )
}

/// How many messages with `subject` bob's INBOX holds (Postfix delivers
/// within moments: waits up to 10 s for `expected`).
fn delivered_to_bob(subject: &str, expected: usize) -> usize {
    let s = Servers::get();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let n = s
            .imap_as(&s.courier)
            .count("INBOX", &format!("SUBJECT \"{subject}\""));
        if n == expected || std::time::Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

/// `courriel spool work --until-empty` on `spool`, looking every 0.2 s.
fn work_until_empty(spool: &str) -> Output {
    run_as_alice(
        &[
            "spool",
            "work",
            "--until-empty",
            "--poll",
            "0.2",
            "--spool",
            spool,
        ],
        &[],
    )
}

#[test]
fn a_spool_that_cannot_be_written_stops_the_send_before_anything_leaves() {
    let dir = fresh_dir("durable-unwritable");
    let config = crate::alice_account(&dir, None);
    // Cannot even be created.
    let subject = format!("unwritable-{}", std::process::id());
    let out = send(&dir, &config, "/proc/courriel-spool", &subject, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/proc/courriel-spool"),
        "{}",
        stderr(&out)
    );
    // A disk that fills up between opening and sending: the copy (10 KB)
    // does not fit, the probe at opening (512 bytes) did. Files are capped
    // at 4 KB (prlimit), writing past it fails (SIGXFSZ ignored, as a
    // full disk fails a write).
    let spool = dir.join("spool");
    let full = format!("full-{}", std::process::id());
    let body = dir.join("big.txt");
    std::fs::write(&body, "Bonjour, voici la facture.\n".repeat(400)).unwrap();
    let s = Servers::get();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; exec prlimit --fsize=4096 \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_courriel"))
        .args([
            "send",
            "--json",
            "--spool",
            spool.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--to",
            &s.courier.address,
            "--subject",
            &full,
            "--text",
            body.to_str().unwrap(),
        ])
        .env("COURRIEL_TEST_ALICE_PASSWORD", &s.special.password)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["sent"], false, "{v}");
    assert_eq!(v["code"], "SP004", "{v}");
    // Whatever Postfix had accepted would be in bob's INBOX by now.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(delivered_to_bob(&subject, 0), 0, "nothing went out");
    assert_eq!(delivered_to_bob(&full, 0), 0, "nothing went out");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_spooled_copy_is_never_filed_in_another_users_mailbox() {
    let s = Servers::get();
    let dir = fresh_dir("durable-owner");
    let spool = dir.join("spool");
    let spool = spool.to_str().unwrap();
    // Alice sends while her IMAP server is down: the copy waits.
    let config = alice_with(&dir, 1, "auto");
    let subject = format!("owner-{}", std::process::id());
    let out = send(&dir, &config, spool, &subject, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["filing"]["status"], "spooled", "{v}");
    let message_id = v["message_id"].as_str().unwrap().to_string();
    // The account file at that path is rewritten with bob's settings.
    let bob = std::fs::read_to_string(crate::alice_account(&dir, None))
        .unwrap()
        .replace(&s.special.address, &s.courier.address)
        .replace("COURRIEL_TEST_ALICE_PASSWORD", "COURRIEL_TEST_BOB_PASSWORD");
    std::fs::write(&config, bob).unwrap();
    let bob_env = [("COURRIEL_TEST_BOB_PASSWORD", s.courier.password.as_str())];
    let out = run_as_alice(
        &["spool", "retry", "--now", "--json", "--spool", spool],
        &bob_env,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (v["filed"].as_u64(), v["account_changed"].as_u64()),
        (Some(0), Some(1)),
        "{v}"
    );
    let mut imap = s.imap_as(&s.courier);
    assert!(imap.command("SELECT INBOX.Sent").unwrap().is_ok());
    let found = imap
        .command(&format!("UID SEARCH HEADER Message-ID \"<{message_id}>\""))
        .unwrap();
    assert_eq!(
        found.untagged,
        vec!["* SEARCH".to_string()],
        "not in bob's Sent"
    );
    // Kept, and the status says why.
    let out = run_as_alice(&["spool", "status", "--spool", spool], &[]);
    assert!(stdout(&out).contains("SP003"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&format!("mailbox: {}@", s.special.address)),
        "{}",
        stdout(&out)
    );
    // Put right: filed in alice's Sent, once.
    crate::alice_account(&dir, None);
    let out = run_as_alice(&["spool", "retry", "--failed", "--spool", spool], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(copies_in_alices_sent(&message_id), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_stranded_copy_follows_the_fixed_sent_folder_setting() {
    let s = Servers::get();
    let dir = fresh_dir("durable-folder");
    let spool = dir.join("spool");
    let spool = spool.to_str().unwrap();
    let config = alice_with(&dir, s.imap_tls_port, "No-Such-Folder");
    let out = send(
        &dir,
        &config,
        spool,
        &format!("folder-{}", std::process::id()),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["filing"]["status"], "failed", "{v}");
    let message_id = v["message_id"].as_str().unwrap().to_string();
    // The user follows the help: sent_folder = "auto", then retry --failed.
    alice_with(&dir, s.imap_tls_port, "auto");
    let out = run_as_alice(
        &["spool", "retry", "--failed", "--json", "--spool", spool],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(copies_in_alices_sent(&message_id), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_corrupt_spool_file_blocks_nothing() {
    let dir = fresh_dir("durable-corrupt");
    let spool = dir.join("spool");
    // A send whose copy waits (IMAP down), beside a file that is not ours.
    let down = alice_with(&dir, 1, "auto");
    let out = send(
        &dir,
        &down,
        spool.to_str().unwrap(),
        &format!("corrupt-{}", std::process::id()),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let message_id = v["message_id"].as_str().unwrap().to_string();
    std::fs::write(
        spool.join("0-0-0000-00000000.copy"),
        b"{\"id\": 12\n garbage",
    )
    .unwrap();
    // IMAP is back.
    crate::alice_account(&dir, None);
    let spool = spool.to_str().unwrap();
    let out = run_as_alice(&["spool", "status", "--json", "--spool", spool], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (v["pending"].as_u64(), v["quarantined"].as_u64()),
        (Some(1), Some(1)),
        "{v}"
    );
    let out = work_until_empty(spool);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(copies_in_alices_sent(&message_id), 1);
    let out = run_as_alice(&["spool", "status", "--spool", spool], &[]);
    assert!(stdout(&out).contains("set aside"), "{}", stdout(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn work_until_empty_ends_when_what_is_left_cannot_be_filed() {
    let dir = fresh_dir("durable-until-empty");
    let spool = dir.join("spool");
    let spool = spool.to_str().unwrap();
    let config = alice_with(&dir, 1, "auto");
    let out = send(
        &dir,
        &config,
        spool,
        &format!("stuck-{}", std::process::id()),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The account file is gone: its copy cannot be filed by waiting.
    std::fs::remove_file(&config).unwrap();
    let out = work_until_empty(spool);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("its copies stay in the spool"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
