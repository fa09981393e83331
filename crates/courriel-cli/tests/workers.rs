//! Many workers, one spool: three `courriel spool work` processes share a
//! spool of 1,000 copies across 20 accounts while Dovecot is stopped and
//! started again (before they start, then killed while they are filing), and one
//! worker is killed with `kill -9` midway. Every
//! copy must end up in its account's Sent folder exactly once (counted by
//! Message-ID), and nothing may be left in the spool, claimed or not.
//!
//! The same test runs against each store: a directory shared by the
//! processes of one machine, and PostgreSQL (feature `postgres`). A binary
//! of its own: it stops Dovecot, which no other test may see.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use courriel_archive::Spool;
use courriel_testkit::{Servers, runtime};

#[path = "common/fleet_spool.rs"]
mod fleet_spool;

const COPIES: usize = 1_000;
const WORKERS: usize = 3;

/// Starts a worker on `spool`: small batches, quick retries, a short lease,
/// and IMAP commands bounded at 3 s (a killed Dovecot's connections may
/// stay open without a reset, as after a power cut: the bound ends them).
fn worker(spool: &str, log: &std::path::Path) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_courriel"));
    command
        .args([
            "--json",
            "--spool",
            spool,
            "spool",
            "work",
            "--poll",
            "0.2",
            "--lease",
            "10",
            "--imap-timeout",
            "3",
            "--retry-base",
            "0.5",
            "--retry-max",
            "2",
            "--batch",
            "10",
        ])
        .env_remove("LC_ALL")
        .env_remove("LANG")
        .env("COURRIEL_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    courriel_testkit::fleet::with_passwords(&mut command);
    command.spawn().unwrap()
}

/// Copies left in the spool.
fn left(spool: &Spool) -> usize {
    runtime().block_on(spool.entries()).unwrap().len()
}

/// Waits until `done()` or panics after `limit` saying `what`.
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run(store: &str, spool_spec: &str) {
    let s = Servers::get();
    let dir = std::env::temp_dir().join(format!("courriel-workers-{store}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files = courriel_testkit::fleet::account_files(&dir);
    let spool = runtime().block_on(Spool::open(spool_spec)).unwrap();

    // 1,000 copies waiting, as sends left them while IMAP was unreachable.
    let run_tag = format!(
        "{store}.{}.{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let ids: Vec<String> = (0..COPIES)
        .map(|i| format!("w{i}.{run_tag}@test.courriel"))
        .collect();
    fleet_spool::spool_copies(&spool, &files, &ids, 1);
    assert_eq!(left(&spool), COPIES);

    // Dovecot stopped: the workers start, fail, back off.
    let dovecot = s.stop_dovecot();
    let mut workers: Vec<Child> = (0..WORKERS)
        .map(|n| worker(spool_spec, &dir.join(format!("worker{n}.log"))))
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(left(&spool), COPIES, "nothing filed while Dovecot is down");
    let failed_attempts = runtime()
        .block_on(spool.entries())
        .unwrap()
        .iter()
        .filter(|e| {
            e.attempts > 0
                && e.last_error
                    .as_deref()
                    .is_some_and(|l| l.starts_with("IM003"))
        })
        .count();
    assert!(failed_attempts > 0, "the workers tried and recorded IM003");
    drop(dovecot); // started again

    // Stopped again (killed: a crash) while the workers are filing:
    // sessions cut mid-command.
    wait_for(Duration::from_secs(120), "filing under way", || {
        left(&spool) <= COPIES * 9 / 10
    });
    let dovecot = s.stop_dovecot();
    let remaining_at_stop = left(&spool);
    std::thread::sleep(Duration::from_secs(1));
    drop(dovecot);

    // Midway: one worker killed (SIGKILL: no cleanup), the others go on.
    wait_for(
        Duration::from_secs(120),
        "a third of the copies filed",
        || left(&spool) <= COPIES * 2 / 3,
    );
    let remaining_at_kill = left(&spool);
    workers[0].kill().unwrap();
    workers[0].wait().unwrap();
    assert!(
        remaining_at_kill >= COPIES / 4,
        "killed midway, not near the end: {remaining_at_kill} left"
    );

    // Everything filed, nothing left claimed (a dead worker's claims come
    // back: at once for a directory, after the 10 s lease for PostgreSQL).
    let killed_at = Instant::now();
    wait_for(Duration::from_secs(180), "the spool emptied", || {
        left(&spool) == 0
    });
    let rest = killed_at.elapsed();
    for (n, worker) in workers.iter_mut().enumerate().skip(1) {
        // SIGTERM: each stops after the pass under way.
        let _ = Command::new("kill").arg(worker.id().to_string()).status();
        let status = worker.wait().unwrap();
        let log = dir.join(format!("worker{n}.log"));
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        let errors: Vec<&str> = said
            .lines()
            .filter(|l| l.starts_with("courriel:") || l.contains("ERROR"))
            .take(20)
            .collect();
        assert!(
            status.success(),
            "worker {n} stopped cleanly: {status}; its errors:\n{}",
            errors.join("\n")
        );
    }

    let (lost, twice) = courriel_testkit::fleet::lost_and_twice(&s.fleet, &ids);
    println!(
        "{store}: {COPIES} copies, {WORKERS} workers, Dovecot stopped before and again with {remaining_at_stop} left, one worker killed with {remaining_at_kill} left (the rest filed in {rest:.1?}); lost {lost}, filed twice {twice}"
    );
    assert_eq!((lost, twice), (0, 0), "{store}");
    assert_eq!(left(&spool), 0, "{store}: nothing left claimed");
    if rest > Duration::from_secs(15) {
        println!(
            "{store}: slow; the workers' logs are kept in {}",
            dir.display()
        );
    } else {
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn three_workers_share_one_spool_through_a_dovecot_restart_and_a_kill_9() {
    let dir = std::env::temp_dir().join(format!("courriel-workers-spool-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    run("dir", &format!("dir:{}", dir.display()));
    #[cfg(feature = "postgres")]
    run(
        "postgres",
        &Servers::get().fresh_postgres_database("workers"),
    );
}
