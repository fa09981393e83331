//! `courriel spool status`, `retry` and `work`: copies put in a fresh
//! spool as a send that could not reach IMAP leaves them, then filed in
//! alice's Sent folder on the test Dovecot, exactly once. Every test runs
//! against each store: a directory, and PostgreSQL (feature `postgres`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use courriel_archive::{NewCopy, Spool};
use serde_json::Value;

use crate::{copies_in_alices_sent, fresh_dir, run_as_alice, stderr, stdout};

/// A message as a send would have left it in the spool.
fn message(message_id: &str) -> Vec<u8> {
    format!(
        "From: alice@courriel.test\r\nTo: bob@courriel.test\r\nSubject: spooled\r\nDate: Sun, 29 Nov 2026 12:00:00 +0000\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour\r\n"
    )
    .into_bytes()
}

/// The spools a test runs against, each empty: a directory inside `dir`
/// (named as users name one, a plain path) and a fresh PostgreSQL database.
fn spools(dir: &Path, test: &str) -> Vec<String> {
    #[allow(unused_mut)]
    let mut spools = vec![dir.join("spool").display().to_string()];
    #[cfg(feature = "postgres")]
    spools.push(
        courriel_testkit::Servers::get()
            .fresh_postgres_database(&format!("cli_{}", test.replace('-', "_"))),
    );
    let _ = test;
    spools
}

fn open(spool: &str) -> Spool {
    courriel_testkit::runtime()
        .block_on(Spool::open(spool))
        .unwrap()
}

/// Spools a copy for the account file `account` (its key is its path), due
/// now and claimed by nobody, as a send that could not reach IMAP leaves it.
pub(crate) fn spool_copy(spool: &str, account: &Path, message_id: &str) {
    let spool = open(spool);
    courriel_testkit::runtime().block_on(async {
        let copy = NewCopy::sent(account.to_str().unwrap(), None, message_id);
        let claim = spool
            .put(copy, Arc::new(message(message_id)))
            .await
            .unwrap();
        spool.release(claim, Duration::ZERO).await.unwrap();
    });
}

fn entries(spool: &str) -> Vec<courriel_archive::Entry> {
    courriel_testkit::runtime()
        .block_on(open(spool).entries())
        .unwrap()
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
    for spool in spools(&dir, "status") {
        let spool = spool.as_str();
        let message_id = crate::unique_message_id("status");
        spool_copy(spool, &account, &message_id);

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
        assert!(
            !text.contains("courriel-test-only") && !v.to_string().contains("courriel-test-only"),
            "the database's password is never shown: {text}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn retry_files_a_waiting_copy_once() {
    let dir = fresh_dir("spool-retry");
    let account = crate::alice_account(&dir, None);
    for spool in spools(&dir, "retry") {
        let spool = spool.as_str();
        let message_id = crate::unique_message_id("retry");
        spool_copy(spool, &account, &message_id);
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
        spool_copy(spool, &account, &message_id);
        let out = run_as_alice(&["spool", "retry", "--json", "--spool", spool], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(
            (v["filed"].as_u64(), v["already_filed"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(copies_in_alices_sent(&message_id), 1);
        assert!(entries(spool).is_empty());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn retry_keeps_copies_it_cannot_file_and_exits_1() {
    let dir = fresh_dir("spool-keep");
    let gone = dir.join("deleted-account.toml");
    for spool in spools(&dir, "keep") {
        let spool = spool.as_str();
        let message_id = crate::unique_message_id("keep");
        spool_copy(spool, &gone, &message_id);

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
        spool_copy(spool, &account, &other_id);
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
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn retry_failed_puts_failed_copies_back_and_files_them() {
    let dir = fresh_dir("spool-failed");
    let account = crate::alice_account(&dir, None);
    for spool in spools(&dir, "failed") {
        let spool = spool.as_str();
        let message_id = crate::unique_message_id("failed");
        spool_copy(spool, &account, &message_id);
        // As after a refused APPEND (quota): marked failed, never retried alone.
        let store = open(spool);
        courriel_testkit::runtime().block_on(async {
            let claim = store.claim(10).await.unwrap().remove(0);
            store.failed(claim, "IM012 over quota", true).await.unwrap();
        });

        let out = run_as_alice(
            &["spool", "retry", "--now", "--json", "--spool", spool],
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "a failed copy remains");
        assert_eq!(copies_in_alices_sent(&message_id), 0);
        let out = run_as_alice(&["spool", "status", "--spool", spool], &[]);
        assert!(stdout(&out).contains("failed: 1"), "{}", stdout(&out));

        let out = run_as_alice(
            &["spool", "retry", "--failed", "--json", "--spool", spool],
            &[],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(v["filed"], 1, "{v}");
        assert_eq!(copies_in_alices_sent(&message_id), 1);
        assert!(entries(spool).is_empty());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_worker_files_what_comes_due_until_the_spool_is_empty() {
    let dir = fresh_dir("spool-work");
    let account = crate::alice_account(&dir, None);
    for spool in spools(&dir, "work") {
        let spool = spool.as_str();
        let ids: Vec<String> = (0..5)
            .map(|i| crate::unique_message_id(&format!("work{i}")))
            .collect();
        for id in &ids {
            spool_copy(spool, &account, id);
        }
        let out = run_as_alice(
            &[
                "spool",
                "work",
                "--until-empty",
                "--poll",
                "0.2",
                "--json",
                "--spool",
                spool,
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let filed: u64 = stdout(&out)
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["filed"]
                    .as_u64()
                    .unwrap()
            })
            .sum();
        assert_eq!(filed, 5, "{}", stdout(&out));
        for id in &ids {
            assert_eq!(copies_in_alices_sent(id), 1, "{id}");
        }
        assert!(entries(spool).is_empty());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_database_spool_is_named_without_its_password_and_refused_when_unreachable() {
    let dir = fresh_dir("spool-pg-errors");
    // Nothing listens on port 1: the error names the spool, not the password.
    let out = run_as_alice(
        &[
            "spool",
            "status",
            "--spool",
            "postgres://courriel:hunter2-secret@127.0.0.1:1/none",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(!err.contains("hunter2-secret"), "{err}");
    if cfg!(feature = "postgres") {
        assert!(
            err.contains("postgres://courriel@127.0.0.1:1/none"),
            "{err}"
        );
    } else {
        assert!(err.contains("feature `postgres`"), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_worker_refuses_a_lease_an_append_could_outlast() {
    let dir = fresh_dir("spool-lease");
    let spool = dir.join("spool");
    let out = run_as_alice(
        &[
            "spool",
            "work",
            "--lease",
            "40",
            "--imap-timeout",
            "30",
            "--spool",
            spool.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("--lease must be more than 1.5 times --imap-timeout"),
        "{}",
        stderr(&out)
    );
    let out = run_as_alice(
        &[
            "spool",
            "work",
            "--poll=-1",
            "--spool",
            spool.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("give seconds between 0 and 86400"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
