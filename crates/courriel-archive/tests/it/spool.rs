//! The spool, run against each store (a directory; PostgreSQL): under
//! `kill -9` (a process killed after spooling a copy, or after filing it
//! before forgetting it, leaves a spool from which a restart files the
//! copy exactly once), failures kept with their reason, several workers
//! sharing one spool, claims that run out, the shared folder cache.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use courriel_archive::spool::Spool;
use courriel_archive::{Archive, Backoff, EntryState, Filed, NewCopy, Owner, SpoolOptions, Target};
use courriel_core::Security;
use courriel_testkit::Servers;

use crate::{runtime, settings};

/// The stores every test here runs against: (name, spec for
/// [`Spool::open_with`]). Each call gives empty ones.
fn stores(test: &str) -> Vec<(&'static str, String)> {
    let dir = std::env::temp_dir().join(format!("courriel-spool-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    #[allow(unused_mut)]
    let mut stores = vec![("dir", format!("dir:{}", dir.display()))];
    #[cfg(feature = "postgres")]
    stores.push((
        "postgres",
        Servers::get().fresh_postgres_database(&format!("archive_{}", test.replace('-', "_"))),
    ));
    stores
}

/// Options for tests: claims that run out in 2 s, retries after 1 s.
fn options() -> SpoolOptions {
    SpoolOptions::default()
        .lease(Duration::from_secs(2))
        .backoff(Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(2),
        })
}

fn open(spec: &str) -> Spool {
    runtime()
        .block_on(Spool::open_with(spec, &options()))
        .unwrap()
}

const CHILD: &str = "COURRIEL_SPOOL_CHILD";

fn message(id: &str) -> String {
    format!(
        "From: alice@courriel.test\r\nTo: bob@courriel.test\r\nSubject: spool\r\nMessage-ID: <{id}>\r\n\r\nBonjour\r\n"
    )
}

/// Counts the messages with this Message-ID in alice's Sent folder.
fn copies_in_sent(message_id: &str) -> usize {
    let s = Servers::get();
    s.imap_as(&s.special)
        .count("Sent", &format!("HEADER Message-ID \"<{message_id}>\""))
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
    let (store, point, id) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let spool = open(store);
    let copy = NewCopy::sent("alice", Some("Sent"), id);
    let entry = runtime()
        .block_on(spool.put(copy, Arc::new(message(id).into_bytes())))
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
    for (store, spec) in stores("kill") {
        for point in ["after-spool", "after-append"] {
            let id = format!(
                "kill.{store}.{point}.{}.{}@test.courriel",
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
                .env(CHILD, format!("{spec}|{point}|{id}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let stdout = child.stdout.take().unwrap();
            let ready = BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .any(|l| l.contains("READY"));
            assert!(ready, "{store} {point}: the child never got ready");
            child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs.
            child.wait().unwrap();

            let expected_before = usize::from(point == "after-append");
            assert_eq!(
                copies_in_sent(&id),
                expected_before,
                "{store} {point}: before the restart"
            );
            let archive = Archive::new(open(&spec));
            let entries = runtime().block_on(archive.spool().entries()).unwrap();
            assert_eq!(
                entries.len(),
                1,
                "{store} {point}: the copy is in the spool"
            );
            // The dead process's claim: a lock gone with it, or a lease
            // that runs out (2 s here).
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let mut total = courriel_archive::RetryReport::default();
            loop {
                let report = runtime()
                    .block_on(archive.retry(|account| {
                        assert_eq!(account, "alice");
                        Some((
                            settings(&s.special, s.imap_tls_port, Security::ImplicitTls),
                            Target::Folder("Sent".into()),
                        ))
                    }))
                    .unwrap();
                total.filed += report.filed;
                total.already_filed += report.already_filed;
                if report.filed + report.already_filed > 0 {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "{store} {point}: the dead child's claim never ran out"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
            assert_eq!(
                (total.filed, total.already_filed),
                if point == "after-spool" {
                    (1, 0)
                } else {
                    (0, 1)
                },
                "{store} {point}: {total:?}"
            );
            assert_eq!(
                copies_in_sent(&id),
                1,
                "{store} {point}: exactly one copy filed"
            );
            assert!(
                runtime()
                    .block_on(archive.spool().entries())
                    .unwrap()
                    .is_empty(),
                "{store} {point}: the spool is empty"
            );
        }
    }
}

#[test]
fn a_copy_that_cannot_be_filed_stays_spooled_with_its_reason() {
    let s = Servers::get();
    for (store, spec) in stores("down") {
        let archive = Archive::new(open(&spec));
        let id = format!("down.{store}.{}@test.courriel", std::process::id());
        // The server is "down": nothing listens on port 1.
        let down = settings(&s.special, 1, Security::ImplicitTls);
        let filed = runtime()
            .block_on(archive.file(
                "alice",
                &down,
                &Target::Auto {
                    provider_hint: None,
                    create: true,
                },
                &id,
                None,
                message(&id).as_bytes(),
            ))
            .unwrap();
        let Filed::Spooled { failure, .. } = filed else {
            panic!("{store}: {filed:?}")
        };
        assert_eq!(failure.code(), "IM003", "{store}");
        let entries = runtime().block_on(archive.spool().entries()).unwrap();
        assert_eq!(entries.len(), 1, "{store}");
        assert_eq!(entries[0].attempts, 1, "{store}: the attempt is recorded");
        assert!(
            entries[0]
                .last_error
                .as_deref()
                .unwrap()
                .starts_with("IM003"),
            "{store}: {entries:?}"
        );
        assert_eq!(
            entries[0].claimed_by, None,
            "{store}: the claim is released"
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
        assert!(matches!(filed, Filed::Failed { .. }), "{store}: {filed:?}");
        let entries = runtime().block_on(archive.spool().entries()).unwrap();
        assert_eq!(entries.len(), 2, "{store}: both kept");
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.state == courriel_archive::EntryState::Failed)
                .count(),
            1,
            "{store}"
        );

        // Filing for real: chosen automatically, filed once, spool entry gone.
        let id2 = format!("up.{store}.{}@test.courriel", std::process::id());
        let filed = runtime()
            .block_on(archive.file(
                "alice",
                &up,
                &Target::Auto {
                    provider_hint: None,
                    create: true,
                },
                &id2,
                None,
                message(&id2).as_bytes(),
            ))
            .unwrap();
        assert!(
            matches!(&filed, Filed::Filed { folder, .. } if folder == "Sent"),
            "{store}: {filed:?}"
        );
        assert_eq!(copies_in_sent(&id2), 1, "{store}");
        assert_eq!(
            runtime().block_on(archive.spool().entries()).unwrap().len(),
            2,
            "{store}"
        );
    }
}

/// Spools `n` copies for alice without filing them (as if IMAP had been
/// down); returns their Message-IDs.
fn spool_copies(spool: &Spool, n: usize, tag: &str) -> Vec<String> {
    runtime().block_on(async {
        let mut ids = Vec::new();
        for i in 0..n {
            let id = format!("{tag}.{i}.{}@test.courriel", std::process::id());
            let copy = NewCopy::sent("alice", None, &id);
            let claim = spool
                .put(copy, Arc::new(message(&id).into_bytes()))
                .await
                .unwrap();
            spool.release(claim, Duration::ZERO).await.unwrap();
            ids.push(id);
        }
        ids
    })
}

#[test]
fn workers_sharing_a_spool_file_each_copy_once() {
    for (store, spec) in stores("shared") {
        let ids = spool_copies(&open(&spec), 60, &format!("shared.{store}"));
        // Three workers, each with its own connection to the store, at once.
        let workers: Vec<Archive> = (0..3).map(|_| Archive::new(open(&spec))).collect();
        let reports = runtime().block_on(futures_util::future::join_all(
            workers.iter().map(|w| w.retry(alice_auto)),
        ));
        let filed: usize = reports.iter().map(|r| r.as_ref().unwrap().filed).sum();
        let already: usize = reports
            .iter()
            .map(|r| r.as_ref().unwrap().already_filed)
            .sum();
        assert_eq!((filed, already), (60, 0), "{store}: {reports:?}");
        for id in &ids {
            assert_eq!(copies_in_sent(id), 1, "{store}: {id}");
        }
        assert!(
            runtime()
                .block_on(workers[0].spool().entries())
                .unwrap()
                .is_empty(),
            "{store}"
        );
    }
}

#[cfg(feature = "postgres")]
#[test]
fn a_lease_that_runs_out_passes_the_copy_to_another_worker_and_is_not_filed_twice() {
    let s = Servers::get();
    let url = s.fresh_postgres_database("archive_lease");
    let first = open(&url);
    let second = open(&url);
    let up = settings(&s.special, s.imap_tls_port, Security::ImplicitTls);
    let id = format!("lease.{}@test.courriel", std::process::id());
    runtime().block_on(async {
        let copy = NewCopy::sent("alice", Some("Sent"), &id);
        // The first worker spools a copy and stalls past its lease.
        let stalled = first
            .put(copy, Arc::new(message(&id).into_bytes()))
            .await
            .unwrap();
        assert!(
            second.claim(10).await.unwrap().is_empty(),
            "held by its lease"
        );
        let entries = second.entries().await.unwrap();
        assert!(entries[0].claimed_by.is_some(), "status names the holder");
        tokio::time::sleep(Duration::from_millis(2300)).await;
        let taken = second.claim(10).await.unwrap();
        assert_eq!(
            taken.len(),
            1,
            "the lease ran out: another worker claims it"
        );
        // The stalled worker comes back: its claim is gone, it files nothing.
        let stalled_worker = courriel_archive::Filer::new(first.clone(), Duration::from_secs(60));
        let again = courriel_archive::Filer::new(second.clone(), Duration::from_secs(60));
        let lost = stalled_worker
            .refile(stalled, &up, &Target::Folder("Sent".into()))
            .await;
        let Filed::Spooled { failure, .. } = lost else {
            panic!("{lost:?}")
        };
        assert_eq!(failure.code(), "SP002");
        assert_eq!(
            copies_in_sent(&id),
            0,
            "not filed by the worker that lost it"
        );
        let filed = again
            .refile(
                taken.into_iter().next().unwrap(),
                &up,
                &Target::Folder("Sent".into()),
            )
            .await;
        assert!(matches!(filed, Filed::Filed { .. }), "{filed:?}");
        assert_eq!(copies_in_sent(&id), 1);
        assert!(second.entries().await.unwrap().is_empty());
        stalled_worker.close().await;
        again.close().await;
    });
}

#[cfg(feature = "postgres")]
#[test]
fn every_worker_chooses_the_sent_folder_from_the_shared_folder_list() {
    let s = Servers::get();
    let url = s.fresh_postgres_database("archive_folders");
    // dave: filing in Drafts changes how his folders list, not alice's.
    let up = settings(&s.scratch, s.imap_tls_port, Security::ImplicitTls);
    runtime().block_on(async {
        let spool = Spool::open_with(&url, &options()).await.unwrap();
        let cache = spool.folder_cache().expect("PostgreSQL keeps folder lists");
        // One worker lists dave's folders (the Sent folder is `Sent`)...
        let (listed, asked) = cache.folders(&up, false).await.unwrap();
        assert!(asked);
        let (_, asked) = cache.folders(&up, false).await.unwrap();
        assert!(!asked, "the second look comes from the database");
        // ...and the list every worker reads is the database's: edited
        // there to mark Drafts as the Sent folder, a new worker files there.
        let mut edited: courriel_archive::FolderList = listed.clone();
        for folder in &mut edited.folders {
            folder
                .attributes
                .retain(|a| !a.eq_ignore_ascii_case("\\Sent"));
            if folder.raw == "Drafts" {
                folder.attributes.push("\\Sent".into());
            }
        }
        cache.remember(&up, &edited).await.unwrap();
        let other = Spool::open_with(&url, &options()).await.unwrap();
        let worker = courriel_archive::Filer::new(other, Duration::from_secs(60));
        let id = format!("cache.{}@test.courriel", std::process::id());
        let filed = worker
            .file(
                "dave",
                &up,
                &Target::Auto {
                    provider_hint: None,
                    create: true,
                },
                &id,
                Arc::new(message(&id).into_bytes()),
                None,
            )
            .await
            .unwrap();
        assert!(
            matches!(&filed, Filed::Filed { folder, .. } if folder == "Drafts"),
            "chosen from the shared list, not listed again: {filed:?}"
        );
        worker.close().await;
        // A refresh (the "…" button) lists on the server again.
        let (fresh, asked) = cache.folders(&up, true).await.unwrap();
        assert!(asked);
        let (cached, asked) = cache.folders(&up, false).await.unwrap();
        assert!(!asked);
        assert_eq!(cached, fresh, "the refreshed list replaced the edited one");
        let sent = courriel_archive::choose_sent(&cached.folders, &cached.namespaces, None, None);
        assert_eq!(sent.unwrap().folder.raw, "Sent");
    });
}

#[cfg(feature = "postgres")]
#[test]
fn migrations_run_once_when_workers_start_together_and_a_newer_schema_is_refused() {
    let s = Servers::get();
    let url = s.fresh_postgres_database("archive_migrations");
    runtime().block_on(async {
        // Six workers start at once on an empty database.
        let opened = futures_util::future::join_all((0..6).map(|_| {
            let options = options();
            let url = url.clone();
            async move { Spool::open_with(&url, &options).await }
        }))
        .await;
        for spool in &opened {
            assert!(spool.is_ok(), "{spool:?}");
        }
    });
    let versions = s.psql(
        &url,
        "SELECT string_agg(version::text, ',' ORDER BY version) FROM courriel_migrations",
    );
    assert_eq!(versions.trim(), "1,2,3,4", "each migration applied once");
    // A database migrated by a newer courriel: this build says so.
    let _ = s.psql(
        &url,
        "INSERT INTO courriel_migrations (version, name) VALUES (99, 'future')",
    );
    let refused = runtime()
        .block_on(Spool::open_with(&url, &options()))
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("version 99, newer than this build"),
        "{refused}"
    );
    assert!(!refused.contains(&s.postgres_password), "{refused}");
}

/// Counts the unread messages with this Message-ID in alice's Sent folder.
fn unread_in_sent(message_id: &str) -> usize {
    let s = Servers::get();
    s.imap_as(&s.special).count(
        "Sent",
        &format!("UNSEEN HEADER Message-ID \"<{message_id}>\""),
    )
}

/// Where a retry files alice's copies: her settings, the Sent folder
/// chosen on the server.
// The shape `Archive::retry` asks for: `None` would leave copies waiting.
#[allow(clippy::unnecessary_wraps)]
fn alice_auto(_: &str) -> Option<(courriel_archive::ImapSettings, Target)> {
    let s = Servers::get();
    Some((
        settings(&s.special, s.imap_tls_port, Security::ImplicitTls),
        Target::Auto {
            provider_hint: None,
            create: true,
        },
    ))
}

/// Retries until something is filed or refused (a dead holder's lease
/// runs out in 2 s), at most 10 s; the reports added up.
fn retry_until_handled(
    archive: &Archive,
    settings_for: impl Fn(&str) -> Option<(courriel_archive::ImapSettings, Target)> + Copy,
) -> courriel_archive::RetryReport {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut total = courriel_archive::RetryReport::default();
    loop {
        let report = runtime().block_on(archive.retry(settings_for)).unwrap();
        total.filed += report.filed;
        total.already_filed += report.already_filed;
        total.failed += report.failed;
        total.account_changed += report.account_changed;
        total.unknown_fate += report.unknown_fate;
        if report.filed + report.already_filed + report.failed > 0
            || std::time::Instant::now() > deadline
        {
            return total;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_copy_whose_sender_died_after_handing_its_message_over_is_filed_unread_and_counted() {
    let s = Servers::get();
    let up = settings(&s.special, s.imap_tls_port, Security::ImplicitTls);
    let owner = Owner::new(&up, "alice@courriel.test");
    for (store, spec) in stores("unknown") {
        let id = format!("unknown.{store}.{}@test.courriel", std::process::id());
        let sender = open(&spec);
        let claim = runtime()
            .block_on(
                sender.put(
                    NewCopy::sent("alice", None, &id)
                        .owned_by(&owner)
                        .before_sending(),
                    Arc::new(message(&id).into_bytes()),
                ),
            )
            .unwrap();
        assert_eq!(claim.entry.state, EntryState::Sending, "{store}");
        // While its sender lives, nobody takes it, and its fate is not in doubt.
        let entries = runtime().block_on(open(&spec).entries()).unwrap();
        assert!(!entries[0].fate_unknown, "{store}: {entries:?}");
        assert!(
            runtime()
                .block_on(open(&spec).claim(10))
                .unwrap()
                .is_empty()
        );
        // The sender dies between handing the message over and its answer:
        // its lock goes with it, its lease runs out.
        drop(claim);
        drop(sender);
        std::thread::sleep(Duration::from_millis(2300));
        let entries = runtime().block_on(open(&spec).entries()).unwrap();
        assert_eq!(entries[0].status(), "unknown", "{store}: {entries:?}");
        let archive = Archive::new(open(&spec));
        let report = retry_until_handled(&archive, alice_auto);
        assert_eq!(
            (report.filed, report.unknown_fate),
            (1, 1),
            "{store}: {report:?}"
        );
        assert_eq!(copies_in_sent(&id), 1, "{store}");
        assert_eq!(
            unread_in_sent(&id),
            1,
            "{store}: filed unread, to stand out"
        );
        assert!(
            runtime()
                .block_on(archive.spool().entries())
                .unwrap()
                .is_empty()
        );
    }
}

#[test]
fn a_retry_files_a_copy_only_in_the_mailbox_it_was_made_for() {
    let s = Servers::get();
    let alice = settings(&s.special, s.imap_tls_port, Security::ImplicitTls);
    let owner = Owner::new(&alice, "alice@courriel.test");
    for (store, spec) in stores("owner") {
        let id = format!("owner.{store}.{}@test.courriel", std::process::id());
        let spool = open(&spec);
        runtime().block_on(async {
            let claim = spool
                .put(
                    NewCopy::sent("accounts/alice.toml", None, &id).owned_by(&owner),
                    Arc::new(message(&id).into_bytes()),
                )
                .await
                .unwrap();
            spool.release(claim, Duration::ZERO).await.unwrap();
        });
        // The account file at that key now holds bob's settings.
        let archive = Archive::new(open(&spec));
        let report = retry_until_handled(&archive, |_| {
            Some((
                settings(&s.courier, s.imap_tls_port, Security::ImplicitTls),
                Target::Auto {
                    provider_hint: None,
                    create: true,
                },
            ))
        });
        assert_eq!(
            (report.filed, report.failed, report.account_changed),
            (0, 1, 1),
            "{store}: {report:?}"
        );
        let entries = runtime().block_on(archive.spool().entries()).unwrap();
        assert_eq!(entries.len(), 1, "{store}: kept");
        assert_eq!(entries[0].state, EntryState::Failed, "{store}");
        assert!(
            entries[0]
                .last_error
                .as_deref()
                .unwrap()
                .starts_with("SP003"),
            "{store}: {entries:?}"
        );
        // Put right, and asked again: filed in alice's Sent, once.
        runtime()
            .block_on(archive.spool().requeue_failed())
            .unwrap();
        let report = retry_until_handled(&archive, alice_auto);
        assert_eq!(report.filed, 1, "{store}: {report:?}");
        assert_eq!(copies_in_sent(&id), 1, "{store}");
    }
}

#[test]
fn a_retry_files_in_the_folder_the_settings_name_now() {
    let s = Servers::get();
    for (store, spec) in stores("refolder") {
        let id = format!("refolder.{store}.{}@test.courriel", std::process::id());
        let archive = Archive::new(open(&spec));
        let up = settings(&s.special, s.imap_tls_port, Security::ImplicitTls);
        // Sent while `sent_folder` named a folder that does not exist.
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
        assert!(matches!(filed, Filed::Failed { .. }), "{store}: {filed:?}");
        // The user sets it back to "auto" and asks for failed copies again.
        runtime()
            .block_on(archive.spool().requeue_failed())
            .unwrap();
        let report = retry_until_handled(&archive, alice_auto);
        assert_eq!(report.filed, 1, "{store}: {report:?}");
        assert_eq!(copies_in_sent(&id), 1, "{store}");
        assert!(
            runtime()
                .block_on(archive.spool().entries())
                .unwrap()
                .is_empty()
        );
    }
}

#[test]
fn unreadable_spool_files_are_set_aside_and_block_nothing() {
    let dir = std::env::temp_dir().join(format!("courriel-spool-corrupt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spool = Spool::dir(&dir).unwrap();
    let ids = spool_copies(&spool, 2, "corrupt");
    // A file cut short, one of another entry's, one that is not ours at all.
    // Entry ids begin with their time: sorted, the files are in `ids` order.
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    files.sort();
    let whole = std::fs::read(&files[0]).unwrap();
    std::fs::write(&files[0], &whole[..whole.len() - 10]).unwrap();
    std::fs::write(dir.join("1-2-3.copy"), std::fs::read(&files[1]).unwrap()).unwrap();
    std::fs::write(dir.join("junk.copy"), vec![0xffu8; 100_000]).unwrap();
    let entries = runtime().block_on(spool.entries()).unwrap();
    assert_eq!(entries.len(), 1, "only the whole entry: {entries:?}");
    let archive = Archive::new(Spool::dir(&dir).unwrap());
    let report = runtime().block_on(archive.retry(alice_auto)).unwrap();
    assert_eq!(report.filed, 1, "{report:?}");
    assert_eq!(copies_in_sent(&ids[1]), 1);
    assert_eq!(runtime().block_on(spool.quarantined()).unwrap(), 3);
    assert!(runtime().block_on(spool.entries()).unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn spool_and_folder_cache_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt as _;
    let s = Servers::get();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let root = std::env::temp_dir().join(format!("courriel-spool-modes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = root.join("a/spool");
    let spool = Spool::dir(&dir).unwrap();
    spool_copies(&spool, 1, "modes");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&root.join("a")), 0o700, "parents created too");
    for file in std::fs::read_dir(&dir).unwrap() {
        assert_eq!(mode(&file.unwrap().path()), 0o600);
    }
    std::fs::write(dir.join("junk.copy"), b"junk").unwrap();
    runtime().block_on(spool.entries()).unwrap();
    assert_eq!(mode(&dir.join("quarantine")), 0o700);
    let cache_dir = root.join("cache");
    let cache = courriel_archive::FolderCache::in_dir(&cache_dir);
    let up = settings(&s.special, s.imap_tls_port, Security::ImplicitTls);
    runtime().block_on(cache.folders(&up, true)).unwrap();
    assert_eq!(mode(&cache_dir), 0o700);
    for file in std::fs::read_dir(&cache_dir).unwrap() {
        assert_eq!(mode(&file.unwrap().path()), 0o600);
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_spool_that_cannot_be_written_is_refused_when_opened() {
    let err = Spool::dir("/proc/courriel-spool").unwrap_err();
    assert!(err.to_string().contains("/proc/courriel-spool"), "{err}");
}

#[test]
fn a_large_copy_is_filed_over_a_slow_link() {
    let s = Servers::get();
    // 2 MB at 250 KB/s: about 8 s of upload, beyond a 3 s command bound.
    let (port, passed) = courriel_testkit::hostile::throttling_proxy(s.imap_tls_port, 250_000);
    let mut slow = settings(&s.special, port, Security::ImplicitTls);
    slow.timeouts.command = Duration::from_secs(3);
    let id = format!("slow.{}@test.courriel", std::process::id());
    let mut big = message(&id).into_bytes();
    big.truncate(big.len() - 2);
    big.extend(
        std::iter::repeat_n(
            b"0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLM\r\n".as_slice(),
            33_000,
        )
        .flatten(),
    );
    let dir = std::env::temp_dir().join(format!("courriel-spool-slow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let archive = Archive::new(Spool::dir(&dir).unwrap());
    // Without an allowance for the upload, the command bound cuts it.
    slow.timeouts.min_upload_rate = u32::MAX;
    let filed = runtime()
        .block_on(archive.file(
            "alice",
            &slow,
            &Target::Folder("Sent".into()),
            &id,
            None,
            &big,
        ))
        .unwrap();
    let Filed::Spooled { failure, .. } = filed else {
        panic!("{filed:?}")
    };
    assert_eq!(failure.code(), "IM004");
    // With the default allowance (32 KiB/s), the bound grows with the copy.
    slow.timeouts.min_upload_rate = courriel_archive::Timeouts::default().min_upload_rate;
    runtime().block_on(archive.spool().make_due()).unwrap();
    let report = runtime()
        .block_on(archive.retry(|_| Some((slow.clone(), Target::Folder("Sent".into())))))
        .unwrap();
    assert_eq!((report.filed, report.already_filed), (1, 0), "{report:?}");
    assert_eq!(copies_in_sent(&id), 1);
    // The second upload went whole; the first, given up, was reset rather
    // than left to reach the server (where it would have been filed too).
    let passed = passed.load(std::sync::atomic::Ordering::SeqCst);
    assert!(passed > big.len() && passed < 2 * big.len(), "{passed}");
    std::fs::remove_dir_all(&dir).unwrap();
}
