//! The Mailer against the project's Postfix and Dovecot (start them first
//! with `cargo xtask mail-servers start`):
//!
//! (a) 1,000 send-and-file operations across 20 accounts, all submitted at
//!     once, against the same 1,000 sends with filing turned off (the
//!     transport alone). Target: filing costs less than 25% of throughput.
//! (b) `Mailer::check` (rules, SMTP and IMAP at once) against the sum of the
//!     two single checks run one after the other. Target: under 0.6x.
//!
//! `cargo bench -p courriel --bench mailer`

use std::sync::Arc;
use std::time::{Duration, Instant};

use courriel::{Account, Email, EmailAddress, Filing, Mailbox, Mailer};
use courriel_archive::FolderCache;
use courriel_testkit::{Account as TestAccount, Servers};

mod common;
use common::{account_on, cpu_time, spool};

const SENDS: usize = 1_000;
const ROUNDS: usize = 31;

fn account(who: &TestAccount, file: bool) -> Account {
    let s = Servers::get();
    account_on(who, (s.smtp_starttls_port, s.imap_tls_port), false, file)
}

/// Sends `SENDS` messages spread over the fleet's accounts, all at once;
/// returns the wall time and how many copies were filed. The accounts are
/// resolved once, before the clock starts, as an application does when
/// their settings are saved.
async fn run(mailer: Arc<Mailer>, accounts: &[Arc<Account>], to: &str) -> (Duration, usize) {
    let accounts: Vec<_> = accounts.iter().map(|a| mailer.resolve(a)).collect();
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..SENDS {
        let account = accounts[i % accounts.len()].clone();
        let mailer = mailer.clone();
        let to = EmailAddress::parse(to).unwrap();
        tasks.spawn(async move {
            let sender = account.account().settings().sender.clone().unwrap();
            let from = EmailAddress::parse(&sender).unwrap();
            let email = Email::from(Mailbox::new(from))
                .to(Mailbox::new(to))
                .subject(format!("fleet {i}"))
                .text("Bonjour,\nvoici la facture.\n");
            mailer.send(&account, email).await
        });
    }
    let mut filed = 0;
    while let Some(done) = tasks.join_next().await {
        let receipt = done.unwrap().unwrap();
        if matches!(receipt.filing, Filing::Filed { .. }) {
            filed += 1;
        }
    }
    (start.elapsed(), filed)
}

/// Waits until Postfix has delivered everything queued, so one run's
/// deliveries do not take the CPU from the next run.
fn drain_postfix_queue() {
    let queue = Servers::get().dir.join("postfix/queue");
    let deadline = Instant::now() + Duration::from_secs(120);
    let queued = || {
        ["maildrop", "incoming", "active", "deferred"]
            .iter()
            .map(|d| count_files(&queue.join(d)))
            .sum::<usize>()
    };
    while queued() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    count_files(&e.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

// Counts and seconds as f64: far below 2^52, no precision lost.
#[allow(clippy::cast_precision_loss)]
fn main() {
    let s = Servers::get();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    assert!(
        s.fleet.len() >= 20,
        "the test servers have 20 fleet accounts"
    );

    // (a) Send and file, against the transport alone.
    let with_filing: Vec<_> = s.fleet.iter().map(|a| Arc::new(account(a, true))).collect();
    let transport_only: Vec<_> = s
        .fleet
        .iter()
        .map(|a| Arc::new(account(a, false)))
        .collect();
    let linger = std::env::var("COURRIEL_BENCH_LINGER_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_millis(20), Duration::from_millis);
    // Each variant twice, alternating; the better run of each counts.
    let mut rows = [Duration::MAX, Duration::MAX];
    let mut cpu = [Duration::MAX, Duration::MAX];
    for round in 0..2 {
        for (i, (name, accounts)) in [
            ("transport alone (copy_to_sent = false)", &transport_only),
            ("send and file", &with_filing),
        ]
        .into_iter()
        .enumerate()
        {
            drain_postfix_queue();
            let mailer = Arc::new(
                Mailer::builder(spool(&format!("{i}-{round}")))
                    .filing_linger(linger)
                    .build()
                    .unwrap(),
            );
            let cpu_before = cpu_time();
            let (elapsed, filed) = rt.block_on(run(mailer.clone(), accounts, &s.bench.address));
            let used = cpu_time().saturating_sub(cpu_before);
            rt.block_on(mailer.close());
            assert!(
                rt.block_on(mailer.spool().entries()).unwrap().is_empty(),
                "nothing left spooled"
            );
            println!(
                "{SENDS} sends across {} accounts, {name}: {:.2}s ({:.0}/s), {filed} copies filed, {} SMTP connections, our CPU {:.2}s",
                accounts.len(),
                elapsed.as_secs_f64(),
                SENDS as f64 / elapsed.as_secs_f64(),
                mailer.smtp_connections_opened(),
                used.as_secs_f64()
            );
            rows[i] = rows[i].min(elapsed);
            cpu[i] = cpu[i].min(used);
        }
    }
    let cost = rows[1].as_secs_f64() / rows[0].as_secs_f64();
    println!(
        "filing's cost: send-and-file throughput is {:.2}x the transport's alone, {:.0}% less (target: under 25% less)",
        1.0 / cost,
        (1.0 - 1.0 / cost) * 100.0
    );
    println!(
        "filing's cost in this process (the application's side): {:.2}s of CPU against {:.2}s, {:+.0}%",
        cpu[1].as_secs_f64(),
        cpu[0].as_secs_f64(),
        (cpu[1].as_secs_f64() / cpu[0].as_secs_f64() - 1.0) * 100.0
    );

    check_against_single_checks(&rt);
}

/// (b) `Mailer::check` against the two single checks one after the other,
/// on loopback and through a proxy that adds `latency` each way (a user's
/// servers are across a network: round trips, not server CPU, dominate).
#[allow(clippy::cast_precision_loss)]
fn check_against_single_checks(rt: &tokio::runtime::Runtime) {
    let s = Servers::get();
    drain_postfix_queue();
    for latency in [Duration::ZERO, Duration::from_millis(10)] {
        let (smtp_port, imap_port) = if latency.is_zero() {
            (s.smtp_starttls_port, s.imap_tls_port)
        } else {
            (
                rt.block_on(courriel_testkit::hostile::delaying_proxy(
                    s.smtp_starttls_port,
                    latency,
                )),
                rt.block_on(courriel_testkit::hostile::delaying_proxy(
                    s.imap_tls_port,
                    latency,
                )),
            )
        };
        let alice = account_on(&s.special, (smtp_port, imap_port), false, true);
        let mailer = Mailer::builder(spool("check")).build().unwrap();
        let smtp = courriel::connect::smtp_settings(mailer.catalog(), &alice).unwrap();
        let imap = courriel::connect::imap_settings(mailer.catalog(), &alice).unwrap();
        let cache = FolderCache::in_memory();
        let (mut both, mut smtp_alone, mut imap_alone, mut ratios) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        rt.block_on(async {
            for _ in 0..ROUNDS {
                let t = Instant::now();
                courriel_transport::check(&smtp).await.unwrap();
                let smtp_time = t.elapsed();
                let t = Instant::now();
                cache.folders(&imap, true).await.unwrap();
                let imap_time = t.elapsed();
                let t = Instant::now();
                let report = mailer.check(&alice).await;
                let both_time = t.elapsed();
                assert!(report.is_ok(), "{report:?}");
                smtp_alone.push(smtp_time);
                imap_alone.push(imap_time);
                both.push(both_time);
                ratios.push(both_time.as_secs_f64() / (smtp_time + imap_time).as_secs_f64());
            }
        });
        ratios.sort_by(f64::total_cmp);
        let (both, smtp_alone, imap_alone) = (median(both), median(smtp_alone), median(imap_alone));
        println!(
            "check, {} ms added each way: at once (rules + SMTP + IMAP with folders) {:.1} ms; SMTP alone {:.1} ms, IMAP alone {:.1} ms; check / (SMTP + IMAP) per round: {:.2}x (target < 0.6x; floor here max/sum = {:.2}), medians of {ROUNDS} rounds",
            latency.as_millis(),
            both.as_secs_f64() * 1e3,
            smtp_alone.as_secs_f64() * 1e3,
            imap_alone.as_secs_f64() * 1e3,
            ratios[ratios.len() / 2],
            smtp_alone.max(imap_alone).as_secs_f64() / (smtp_alone + imap_alone).as_secs_f64()
        );
    }
}
