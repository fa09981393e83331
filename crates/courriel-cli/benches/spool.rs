//! Filing a shared spool with worker processes (start the test servers
//! first with `cargo xtask mail-servers start`): 2,000 copies waiting
//! across 20 accounts, filed by `courriel spool work --until-empty`
//! processes, timed from their start to the last one's exit. PostgreSQL
//! with 1, 2 and 4 workers against the embedded directory with one worker
//! (and, for comparison, the directory with 2 and 4 workers of one
//! machine). Each run starts from empty Sent folders, and checks every
//! copy was filed exactly once.
//!
//! `cargo bench -p courriel-cli --features postgres --bench spool`

use std::process::Command;
use std::time::Instant;

use courriel_archive::Spool;
use courriel_testkit::{Servers, fleet, runtime};

#[path = "../tests/common/fleet_spool.rs"]
mod fleet_spool;

const COPIES: usize = 2_000;

/// Busy and total CPU time of the whole machine so far (`/proc/stat`,
/// clock ticks): how much of its cores a run kept busy.
fn machine_cpu() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|t| t.parse().ok())
        .collect();
    let total: u64 = ticks.iter().sum();
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// Files `COPIES` copies from `spec` with `workers` processes; copies/s
/// and the share of the machine's cores kept busy meanwhile.
#[allow(clippy::cast_precision_loss)] // counts far below 2^52
fn run(name: &str, spec: &str, workers: usize) -> (f64, f64) {
    let s = Servers::get();
    let dir = std::env::temp_dir().join(format!("courriel-bench-spool-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files = fleet::account_files(&dir);
    for account in &s.fleet {
        fleet::empty_sent(account);
    }
    let spool = runtime().block_on(Spool::open(spec)).unwrap();
    let tag = format!("{name}.{workers}.{}", std::process::id());
    let ids: Vec<String> = (0..COPIES)
        .map(|i| format!("b{i}.{tag}@bench.courriel"))
        .collect();
    fleet_spool::spool_copies(&spool, &files, &ids, 40);

    let start = Instant::now();
    let cpu_before = machine_cpu();
    let mut children: Vec<_> = (0..workers)
        .map(|_| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_courriel"));
            command
                .args([
                    "--json",
                    "--spool",
                    spec,
                    "spool",
                    "work",
                    "--until-empty",
                    "--poll",
                    "0.05",
                    "--batch",
                    "50",
                ])
                .stdout(std::process::Stdio::null());
            fleet::with_passwords(&mut command).spawn().unwrap()
        })
        .collect();
    for child in &mut children {
        assert!(child.wait().unwrap().success());
    }
    let elapsed = start.elapsed();
    let cpu_after = machine_cpu();
    let busy = (cpu_after.0 - cpu_before.0) as f64 / (cpu_after.1 - cpu_before.1).max(1) as f64;

    assert!(runtime().block_on(spool.entries()).unwrap().is_empty());
    assert_eq!(
        fleet::lost_and_twice(&s.fleet, &ids),
        (0, 0),
        "{name}: every copy filed exactly once"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    (COPIES as f64 / elapsed.as_secs_f64(), busy)
}

fn main() {
    let s = Servers::get();
    let dir = |n: usize| {
        let path = std::env::temp_dir().join(format!(
            "courriel-bench-spool-dir-{n}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        format!("dir:{}", path.display())
    };
    let (embedded, busy) = run("dir", &dir(1), 1);
    println!(
        "{COPIES} copies across {} accounts, filed by `courriel spool work` processes (each run from empty Sent folders)",
        s.fleet.len()
    );
    println!(
        "embedded directory, 1 worker: {embedded:.0} copies/s (the reference; cores busy {:.0}%)",
        busy * 100.0
    );
    for workers in [1, 2, 4] {
        let url = s.fresh_postgres_database(&format!("bench_spool_{workers}"));
        let (rate, busy) = run("postgres", &url, workers);
        println!(
            "PostgreSQL, {workers} worker{}: {rate:.0} copies/s ({:.2}x the embedded directory with 1 worker; cores busy {:.0}%)",
            if workers == 1 { "" } else { "s" },
            rate / embedded,
            busy * 100.0
        );
    }
    for workers in [2, 4] {
        let (rate, busy) = run("dir", &dir(workers), workers);
        println!(
            "embedded directory, {workers} workers of one machine: {rate:.0} copies/s ({:.2}x; cores busy {:.0}%)",
            rate / embedded,
            busy * 100.0
        );
    }
}
