//! `courriel spool status` and `courriel spool retry`: copies put in a
//! fresh spool as a send that could not reach IMAP leaves them, then filed
//! in alice's Sent folder on the test Dovecot, exactly once.

use std::path::Path;

use courriel_archive::Spool;
use serde_json::Value;

use crate::{copies_in_alices_sent, fresh_dir, run_as_alice, stderr, stdout};

/// A message as a send would have left it in the spool.
fn message(message_id: &str) -> Vec<u8> {
    format!(
        "From: alice@courriel.test\r\nTo: bob@courriel.test\r\nSubject: spooled\r\nDate: Sun, 29 Nov 2026 12:00:00 +0000\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour\r\n"
    )
    .into_bytes()
}

/// Spools a copy for the account file `account` (its key is its path).
fn spool_copy(spool: &Path, account: &Path, message_id: &str) {
    Spool::open(spool)
        .unwrap()
        .put(
            account.to_str().unwrap(),
            None,
            message_id,
            None,
            &message(message_id),
        )
        .unwrap();
}

#[test]
fn status_of_an_empty_spool() {
    let dir = fresh_dir("spool-empty");
    // Not even created yet: empty, and looking does not create it.
    let missing = dir.join("never-used");
    let out = run_as_alice(
        &["spool", "status", "--spool", missing.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("no copy waiting: the spool is empty"),
        "{}",
        stdout(&out)
    );
    assert!(!missing.exists());

    let empty = dir.join("spool");
    std::fs::create_dir_all(&empty).unwrap();
    let out = run_as_alice(
        &[
            "spool",
            "status",
            "--json",
            "--spool",
            empty.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["entries"], Value::Array(vec![]));
    assert_eq!(
        (v["pending"].as_u64(), v["failed"].as_u64()),
        (Some(0), Some(0))
    );

    // The spool can come from the environment too.
    let out = run_as_alice(
        &["spool", "status", "--lang", "fr"],
        &[("COURRIEL_SPOOL", empty.to_str().unwrap())],
    );
    assert!(
        stdout(&out).starts_with("aucune copie en attente"),
        "{}",
        stdout(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn status_lists_each_copy_with_its_account() {
    let dir = fresh_dir("spool-status");
    let account = crate::alice_account(&dir, None);
    let spool = dir.join("spool");
    let message_id = crate::unique_message_id("status");
    spool_copy(&spool, &account, &message_id);
    let spool = spool.to_str().unwrap();

    let out = run_as_alice(&["spool", "status", "--spool", spool], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], account.to_str().unwrap(), "{text}");
    assert!(
        lines[1].starts_with(&format!(
            "  pending  <{message_id}>  folder auto  attempts 0"
        )),
        "{text}"
    );
    assert!(lines[2].contains("next attempt: now (due)"), "{text}");
    assert!(
        text.contains("copies waiting: 1, pending: 1, failed: 0"),
        "{text}"
    );

    let out = run_as_alice(&["spool", "status", "--json", "--spool", spool], &[]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let entry = &v["entries"][0];
    assert_eq!(entry["account"], account.to_str().unwrap());
    assert_eq!(entry["message_id"], message_id.as_str());
    assert_eq!(entry["state"], "pending");
    assert_eq!(entry["attempts"], 0);
    assert_eq!(entry["due"], true);
    assert_eq!(entry["last_error"], Value::Null);
    assert_eq!(v["pending"], 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn retry_files_a_waiting_copy_once() {
    let dir = fresh_dir("spool-retry");
    let account = crate::alice_account(&dir, None);
    let spool_dir = dir.join("spool");
    let message_id = crate::unique_message_id("retry");
    spool_copy(&spool_dir, &account, &message_id);
    let spool = spool_dir.to_str().unwrap();
    assert_eq!(copies_in_alices_sent(&message_id), 0);

    let out = run_as_alice(&["spool", "retry", "--json", "--spool", spool], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains('\r'),
        "no progress bar off a terminal"
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["filed"], 1, "{v}");
    assert_eq!(v["already_filed"], 0);
    assert_eq!(v["pending"], 0);
    assert_eq!(v["failed"], 0);
    assert_eq!(v["remaining"], 0);
    assert_eq!(copies_in_alices_sent(&message_id), 1);

    // Again: nothing left to file.
    let out = run_as_alice(&["spool", "retry", "--spool", spool], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "filed: 0, already filed: 0, pending: 0, failed: 0\n"
    );
    assert_eq!(copies_in_alices_sent(&message_id), 1);

    // The same copy spooled again (as after a crash between filing and
    // forgetting): found in Sent, not filed twice.
    spool_copy(&spool_dir, &account, &message_id);
    let out = run_as_alice(&["spool", "retry", "--json", "--spool", spool], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (v["filed"].as_u64(), v["already_filed"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(copies_in_alices_sent(&message_id), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn retry_keeps_copies_it_cannot_file_and_exits_1() {
    let dir = fresh_dir("spool-keep");
    let gone = dir.join("deleted-account.toml");
    let spool_dir = dir.join("spool");
    let message_id = crate::unique_message_id("keep");
    spool_copy(&spool_dir, &gone, &message_id);
    let spool = spool_dir.to_str().unwrap();

    let out = run_as_alice(&["spool", "retry", "--spool", spool], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("filed: 0, already filed: 0, pending: 1, failed: 0\n"),
        "{}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(err.contains(gone.to_str().unwrap()), "{err}");
    assert!(err.contains("cannot read the account file"), "{err}");
    // Still there, for a later retry.
    let status = run_as_alice(&["spool", "status", "--json", "--spool", spool], &[]);
    let v: Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(v["entries"][0]["message_id"], message_id.as_str());

    // An account without the password it names: its copies stay too.
    let account = crate::alice_account(&dir, None);
    let other_id = crate::unique_message_id("keep-no-password");
    spool_copy(&spool_dir, &account, &other_id);
    let out = run_as_alice(
        &["spool", "retry", "--json", "--now", "--spool", spool],
        &[("COURRIEL_TEST_ALICE_PASSWORD", "")],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["filed"], 0, "{v}");
    assert_eq!(v["remaining"], 2, "{v}");
    let problems = v["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["account"] == account.to_str().unwrap()
                && p["message"].as_str().unwrap().contains("LG004")),
        "{v}"
    );
    assert_eq!(copies_in_alices_sent(&other_id), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn retry_failed_puts_failed_copies_back_and_files_them() {
    let dir = fresh_dir("spool-failed");
    let account = crate::alice_account(&dir, None);
    let spool_dir = dir.join("spool");
    let message_id = crate::unique_message_id("failed");
    spool_copy(&spool_dir, &account, &message_id);
    // As after a refused APPEND (quota): marked failed, never retried alone.
    let spool = Spool::open(&spool_dir).unwrap();
    let mut entry = spool.entries().unwrap().remove(0);
    spool
        .record_failure(&mut entry, "IM012 over quota", true)
        .unwrap();
    let path = spool_dir.to_str().unwrap();

    let out = run_as_alice(&["spool", "retry", "--now", "--json", "--spool", path], &[]);
    assert_eq!(out.status.code(), Some(1), "a failed copy remains");
    assert_eq!(copies_in_alices_sent(&message_id), 0);

    let out = run_as_alice(
        &["spool", "retry", "--failed", "--json", "--spool", path],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["filed"], 1, "{v}");
    assert_eq!(copies_in_alices_sent(&message_id), 1);
    assert!(spool.entries().unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}
