//! The Mailer against the project's Postfix and Dovecot (start them first
//! with `cargo xtask mail-servers start`):
//!
//! (a) 1,000 send-and-file operations across 20 accounts, all submitted at
//!     once, against the same 1,000 sends with filing turned off (the
//!     transport alone). Target: filing costs less than 25% of throughput.
//! (b) `Mailer::check` (rules, SMTP and IMAP at once) against the sum of the
//!     two single checks run one after the other. Target: under 0.6x.
//!
//! Both also print the whole machine's CPU (ours and the servers', from
//! `/proc/stat`) and the bound it sets when the cores are busy; (a) also
//! the ratio counted until Postfix has delivered every message.
//!
//! `cargo bench -p courriel --bench mailer`

use std::sync::Arc;
use std::time::{Duration, Instant};

use courriel::{Account, Email, EmailAddress, Filing, Mailbox, Mailer};
use courriel_archive::FolderCache;
use courriel_testkit::{Account as TestAccount, Servers};

mod common;
use common::{account_on, cpu_time, drain_postfix_queue, machine_cpu, machine_use_of, spool};

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
    let mut machine_cpu_used = [Duration::MAX, Duration::MAX];
    let mut delivered = [Duration::MAX, Duration::MAX];
    for round in 0..2 {
        for (i, (name, accounts)) in [
            ("transport alone (copy_to_sent = false)", &transport_only),
            ("send and file", &with_filing),
        ]
        .into_iter()
        .enumerate()
        {
            let mailer = Arc::new(
                Mailer::builder(spool(&format!("{i}-{round}")))
                    .filing_linger(linger)
                    .build()
                    .unwrap(),
            );
            let cpu_before = cpu_time();
            let ((elapsed, filed), machine) =
                machine_use_of(|| rt.block_on(run(mailer.clone(), accounts, &s.bench.address)));
            let used = cpu_time().saturating_sub(cpu_before);
            rt.block_on(mailer.close());
            assert!(
                rt.block_on(mailer.spool().entries()).unwrap().is_empty(),
                "nothing left spooled"
            );
            println!(
                "{SENDS} sends across {} accounts, {name}: {:.2}s ({:.0}/s), {filed} copies filed, {} SMTP connections, our CPU {:.2}s, machine CPU {:.2} ms/send ({:.0}% busy); all delivered by Postfix after {:.2}s",
                accounts.len(),
                elapsed.as_secs_f64(),
                SENDS as f64 / elapsed.as_secs_f64(),
                mailer.smtp_connections_opened(),
                used.as_secs_f64(),
                machine.ms_per(SENDS),
                machine.share * 100.0,
                machine.until_delivered.as_secs_f64()
            );
            rows[i] = rows[i].min(elapsed);
            cpu[i] = cpu[i].min(used);
            machine_cpu_used[i] = machine_cpu_used[i].min(machine.busy);
            delivered[i] = delivered[i].min(machine.until_delivered);
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

    println!(
        "sustained (until Postfix has delivered every message, as a steady stream of sends must wait for): send-and-file at {:.2}x the transport's alone (target >= 0.8x)",
        delivered[0].as_secs_f64() / delivered[1].as_secs_f64()
    );
    println!(
        "the machine's CPU per send (ours and the servers', deliveries included): {:.2} ms alone, {:.2} ms with filing; with the cores busy, filing can reach at most about {:.2}x here",
        machine_cpu_used[0].as_secs_f64() * 1e3 / SENDS as f64,
        machine_cpu_used[1].as_secs_f64() * 1e3 / SENDS as f64,
        machine_cpu_used[0].as_secs_f64() / machine_cpu_used[1].as_secs_f64()
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
        // The machine's busy CPU during each kind of check, summed.
        let mut busy = [Duration::ZERO; 3];
        let mut count = |i: usize, before: (Duration, Duration)| {
            busy[i] += machine_cpu().0.saturating_sub(before.0);
        };
        rt.block_on(async {
            for _ in 0..ROUNDS {
                let before = machine_cpu();
                let t = Instant::now();
                courriel_transport::check(&smtp).await.unwrap();
                let smtp_time = t.elapsed();
                count(0, before);
                let before = machine_cpu();
                let t = Instant::now();
                cache.folders(&imap, true).await.unwrap();
                let imap_time = t.elapsed();
                count(1, before);
                let before = machine_cpu();
                let t = Instant::now();
                let report = mailer.check(&alice).await;
                let both_time = t.elapsed();
                count(2, before);
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
        let slower = smtp_alone.max(imap_alone).as_secs_f64() * 1e3;
        let per = |d: Duration| d.as_secs_f64() * 1e3 / ROUNDS as f64;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        // The two checks' work (ours and the servers') spread over every
        // core: the check can take no less, nor less than the slower one.
        let floor = ((per(busy[0]) + per(busy[1])) / cores as f64).max(slower);
        println!(
            "  check / max(SMTP, IMAP): {:.2}x (target <= 1.2x on loopback); the machine's CPU (ours and the servers'): SMTP check {:.1} ms, IMAP check {:.1} ms (at once {:.1} ms), so on {cores} cores the check takes at least {floor:.1} ms, {:.2}x the slower single check",
            both.as_secs_f64() * 1e3 / slower,
            per(busy[0]),
            per(busy[1]),
            per(busy[2]),
            floor / slower
        );
    }
}
