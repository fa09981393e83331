//! The spool under `kill -9`: a process killed after spooling a copy (or
//! after filing it, before forgetting it) leaves a spool from which a
//! restart files the copy exactly once.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use courriel_archive::spool::Spool;
use courriel_archive::{Archive, Filed, Target};
use courriel_core::Security;
use courriel_testkit::Servers;

use crate::{runtime, settings};

const CHILD: &str = "COURRIEL_SPOOL_CHILD";

fn message(id: &str) -> String {
    format!(
        "From: alice@courriel.test\r\nTo: bob@courriel.test\r\nSubject: spool\r\nMessage-ID: <{id}>\r\n\r\nBonjour\r\n"
    )
}

/// Counts the messages with this Message-ID in alice's Sent folder.
fn copies_in_sent(message_id: &str) -> usize {
    let s = Servers::get();
    let mut imap = s.imap_as(&s.special);
    assert!(imap.command("SELECT Sent").unwrap().is_ok());
    let found = imap
        .command(&format!("UID SEARCH HEADER Message-ID \"<{message_id}>\""))
        .unwrap();
    found
        .untagged
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .map(|l| l.split_whitespace().count())
        .sum()
}

/// The child half of the kill test: spools (and with `after-append`,
/// files) a copy, says READY, and waits to be killed. It does nothing
/// unless started by `a_copy_survives_kill_9_and_is_filed_exactly_once`.
#[test]
fn child_process() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let mut parts = spec.splitn(3, '|');
    let (dir, point, id) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let spool = Spool::open(dir).unwrap();
    let entry = spool
        .put("alice", Some("Sent"), id, None, message(id).as_bytes())
        .unwrap();
    if point == "after-append" {
        let s = Servers::get();
        runtime().block_on(async {
            let mut session = courriel_archive::connect(&settings(
                &s.special,
                s.imap_tls_port,
                Security::ImplicitTls,
            ))
            .await
            .unwrap();
            session
                .append("Sent", message(id).as_bytes(), None, false)
                .await
                .unwrap();
        });
    }
    let _ = entry;
    println!("READY");
    std::thread::sleep(std::time::Duration::from_secs(120));
    panic!("the parent should have killed this process");
}

#[test]
fn a_copy_survives_kill_9_and_is_filed_exactly_once() {
    let s = Servers::get();
    for point in ["after-spool", "after-append"] {
        let dir = std::env::temp_dir().join(format!(
            "courriel-spool-kill-{}-{point}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let id = format!(
            "kill.{point}.{}.{}@test.courriel",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "spool::child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, format!("{}|{point}|{id}", dir.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let ready = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("READY"));
        assert!(ready, "{point}: the child never got ready");
        child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs.
        child.wait().unwrap();

        let expected_before = usize::from(point == "after-append");
        assert_eq!(
            copies_in_sent(&id),
            expected_before,
            "{point}: before the restart"
        );
        let archive = Archive::new(Spool::open(&dir).unwrap());
        assert_eq!(
            archive.spool().entries().unwrap().len(),
            1,
            "{point}: the copy is in the spool"
        );
        let report = runtime()
            .block_on(archive.retry(|account| {
                assert_eq!(account, "alice");
                Some((
                    settings(&s.special, s.imap_tls_port, Security::ImplicitTls),
                    None,
                ))
            }))
            .unwrap();
        assert_eq!(
            (report.filed, report.already_filed),
            if point == "after-spool" {
                (1, 0)
            } else {
                (0, 1)
            },
            "{point}: {report:?}"
        );
        assert_eq!(copies_in_sent(&id), 1, "{point}: exactly one copy filed");
        assert!(
            archive.spool().entries().unwrap().is_empty(),
            "{point}: the spool is empty"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_copy_that_cannot_be_filed_stays_spooled_with_its_reason() {
    let s = Servers::get();
    let dir = std::env::temp_dir().join(format!("courriel-spool-down-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let archive = Archive::new(Spool::open(&dir).unwrap());
    let id = format!("down.{}@test.courriel", std::process::id());
    // The server is "down": nothing listens on port 1.
    let down = settings(&s.special, 1, Security::ImplicitTls);
    let filed = runtime()
        .block_on(archive.file(
            "alice",
            &down,
            &Target::Auto {
                provider_hint: None,
            },
            &id,
            None,
            message(&id).as_bytes(),
        ))
        .unwrap();
    let Filed::Spooled { failure, .. } = filed else {
        panic!("{filed:?}")
    };
    assert_eq!(failure.code(), "IM003");
    let entries = archive.spool().entries().unwrap();
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("IM003")
    );

    // A folder that does not exist is a failure retrying will not fix: kept, marked failed.
    let up = settings(&s.special, s.imap_tls_port, Security::ImplicitTls);
    let filed = runtime()
        .block_on(archive.file(
            "alice",
            &up,
            &Target::Folder("No-Such-Folder".into()),
            &id,
            None,
            message(&id).as_bytes(),
        ))
        .unwrap();
    assert!(matches!(filed, Filed::Failed { .. }), "{filed:?}");
    assert_eq!(archive.spool().entries().unwrap().len(), 2, "both kept");

    // Filing for real: chosen automatically, filed once, spool entry gone.
    let id2 = format!("up.{}@test.courriel", std::process::id());
    let filed = runtime()
        .block_on(archive.file(
            "alice",
            &up,
            &Target::Auto {
                provider_hint: None,
            },
            &id2,
            None,
            message(&id2).as_bytes(),
        ))
        .unwrap();
    assert!(
        matches!(&filed, Filed::Filed { folder } if folder == "Sent"),
        "{filed:?}"
    );
    assert_eq!(copies_in_sent(&id2), 1);
    assert_eq!(archive.spool().entries().unwrap().len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}
