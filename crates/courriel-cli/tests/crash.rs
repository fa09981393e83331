//! The crash test: `courriel send` killed with SIGKILL at random moments,
//! many times, against the real Postfix and Dovecot; then `courriel spool
//! retry`. Every message that reached its recipient must have exactly one
//! copy in the sender's Sent folder, no copy may be filed twice, none is
//! sent twice, and a copy filed for a message that did not arrive must be
//! one whose fate was reported unknown (filed unread). Run against each
//! spool store; prints the counts.
//!
//! A test binary without the standard harness, so its counts always print:
//! `cargo test -p courriel-cli --features postgres --test crash`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use courriel_testkit::{Account, Servers, fleet};
use serde_json::Value;

/// Sends killed per store (at least 30): sends are started until this
/// many were killed before they ended (or `MAX_RUNS` were started).
const KILLS: usize = 32;

/// The most sends started per store.
const MAX_RUNS: usize = 96;

/// A small random generator (xorshift), seeded from the clock: the seed
/// is printed so a failing run can be replayed with `COURRIEL_CRASH_SEED`.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A fraction in [0, 1).
    fn fraction(&mut self) -> f64 {
        let high = u32::try_from(self.next() >> 32).unwrap_or(u32::MAX);
        f64::from(high) / f64::from(u32::MAX).next_up()
    }
}

/// The sender's account file (SMTP with STARTTLS, IMAP with implicit TLS,
/// the Sent folder chosen automatically) and a body.
fn account_file(dir: &Path, sender: &Account) -> (PathBuf, PathBuf) {
    let s = Servers::get();
    let variable = format!(
        "COURRIEL_TEST_{}_PASSWORD",
        sender
            .address
            .split('@')
            .next()
            .unwrap()
            .to_ascii_uppercase()
    );
    let contents = format!(
        "sender = \"{a}\"\nca_file = \"{ca}\"\n\n[smtp]\nhost = \"{h}\"\nport = {sp}\nsecurity = \"starttls\"\nusername = \"{a}\"\npassword_env = \"{v}\"\n\n[imap]\nhost = \"{h}\"\nport = {ip}\nsecurity = \"implicit-tls\"\nusername = \"{a}\"\npassword_env = \"{v}\"\nsent_folder = \"auto\"\n",
        a = sender.address,
        ca = s.ca.display(),
        h = s.host,
        sp = s.smtp_starttls_port,
        ip = s.imap_tls_port,
        v = variable,
    );
    let config = dir.join("sender.toml");
    std::fs::write(&config, contents).unwrap();
    let body = dir.join("body.txt");
    std::fs::write(&body, "Bonjour,\n\nla facture est jointe.\n".repeat(200)).unwrap();
    (config, body)
}

fn courriel(spool: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_courriel"));
    fleet::with_passwords(&mut command);
    command
        .arg("--spool")
        .arg(spool)
        .env_remove("COURRIEL_SENDGRID_API_KEY")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// How many messages of `folder` match `search` (an IMAP search key).
fn count(account: &Account, folder: &str, search: &str) -> usize {
    Servers::get().imap_as(account).count(folder, search)
}

/// What one store's run found.
#[derive(Debug, Default)]
struct Counts {
    killed: usize,
    finished: usize,
    delivered: usize,
    filed: usize,
    unknown_reported: usize,
    filed_unread: usize,
    filed_not_delivered: usize,
    problems: Vec<String>,
}

fn run_store(store: &str, spool: &str, dir: &Path, random: &mut Random, tag: &str) -> Counts {
    let s = Servers::get();
    let (sender, recipient) = (&s.fleet[17], &s.fleet[16]);
    let (config, body) = account_file(dir, sender);
    let send = |subject: &str| {
        let mut command = courriel(spool);
        command.args([
            "send",
            "--config",
            config.to_str().unwrap(),
            "--to",
            &recipient.address,
            "--subject",
            subject,
            "--text",
            body.to_str().unwrap(),
        ]);
        command
    };
    // How long a whole send takes here (the median of three): kills are
    // spread over it.
    let mut times = Vec::new();
    for n in 0..3 {
        let started = Instant::now();
        let calibration = send(&format!("crash-{tag}-{store}-calibration{n}-end"))
            .output()
            .unwrap();
        times.push(started.elapsed());
        assert!(
            calibration.status.success(),
            "{store}: a send that is not killed works: {}",
            String::from_utf8_lossy(&calibration.stderr)
        );
    }
    times.sort();
    let mut whole = times[1];
    let mut counts = Counts::default();
    let mut runs = 0;
    while counts.killed < KILLS && runs < MAX_RUNS {
        let i = runs;
        runs += 1;
        let mut child = send(&format!("crash-{tag}-{store}-{i}-end"))
            .spawn()
            .unwrap();
        // Half spread over the whole send, half over its second half
        // (where the message is handed over).
        let at = if i % 2 == 0 {
            random.fraction()
        } else {
            0.5 + random.fraction() / 2.0
        };
        let started = Instant::now();
        std::thread::sleep(whole.mul_f64(at));
        match child.try_wait().unwrap() {
            Some(_) => {
                counts.finished += 1;
                // Sends run faster than measured: aim earlier.
                whole = whole.min(started.elapsed());
            }
            None => {
                child.kill().unwrap(); // SIGKILL: nothing runs after it.
                counts.killed += 1;
            }
        }
        child.wait().unwrap();
    }
    // A dead sender's claim: a directory's lock died with it; a
    // database's lease runs out after 5 minutes, fast-forwarded here.
    if spool.starts_with("postgres") {
        let _ = s.psql(
            spool,
            "UPDATE courriel_spool SET lease_until = now() - interval '1 second'",
        );
    }
    let retry = courriel(spool)
        .args(["spool", "retry", "--now", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&retry.stdout).unwrap_or_else(|e| {
        panic!(
            "{store}: spool retry said {e}: {}{}",
            String::from_utf8_lossy(&retry.stdout),
            String::from_utf8_lossy(&retry.stderr)
        )
    });
    counts.unknown_reported = usize::try_from(report["unknown_fate"].as_u64().unwrap()).unwrap();
    if report["remaining"].as_u64() != Some(0) {
        counts
            .problems
            .push(format!("copies left in the spool after retry: {report}"));
    }
    tally(&mut counts, store, tag, runs);
    counts
}

/// Counts what reached the recipient and what was filed, per send.
fn tally(counts: &mut Counts, store: &str, tag: &str, runs: usize) {
    let s = Servers::get();
    let (sender, recipient) = (&s.fleet[17], &s.fleet[16]);
    // Postfix hands what it accepted to Dovecot within moments.
    let delivered = |i: usize| {
        count(
            recipient,
            "INBOX",
            &format!("SUBJECT \"crash-{tag}-{store}-{i}-end\""),
        )
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = usize::MAX;
    loop {
        let now: usize = (0..runs).map(delivered).sum();
        if now == seen || Instant::now() > deadline {
            break;
        }
        seen = now;
        std::thread::sleep(Duration::from_secs(2));
    }
    for i in 0..runs {
        let subject = format!("SUBJECT \"crash-{tag}-{store}-{i}-end\"");
        let filed = count(sender, "Sent", &subject);
        let unread = count(sender, "Sent", &format!("UNSEEN {subject}"));
        let mut got = delivered(i);
        // Filed as sent: Postfix took it; give a slow delivery more time.
        let late = Instant::now() + Duration::from_secs(15);
        while got == 0 && filed > unread && Instant::now() < late {
            std::thread::sleep(Duration::from_millis(500));
            got = delivered(i);
        }
        counts.delivered += got;
        counts.filed += filed;
        counts.filed_unread += unread;
        if got > 1 {
            counts.problems.push(format!("#{i}: delivered {got} times"));
        }
        if filed > 1 {
            counts.problems.push(format!("#{i}: filed {filed} times"));
        }
        if got == 1 && filed == 0 {
            counts
                .problems
                .push(format!("#{i}: delivered, no copy in Sent (lost)"));
        }
        if got == 0 && filed == 1 {
            counts.filed_not_delivered += 1;
            if unread == 0 {
                counts.problems.push(format!(
                    "#{i}: a copy filed as sent (read) for a message never delivered"
                ));
            }
        }
    }
    if counts.filed_unread != counts.unknown_reported {
        counts.problems.push(format!(
            "{} copies filed unread, {} reported of unknown fate",
            counts.filed_unread, counts.unknown_reported
        ));
    }
}

fn main() {
    // Run by `cargo test`'s listing pass too: nothing to list.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let s = Servers::get();
    let seed = std::env::var("COURRIEL_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let mut random = Random(seed);
    let tag = format!("{}{}", std::process::id(), seed % 10_000);
    let root = std::env::temp_dir().join(format!("courriel-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    #[allow(unused_mut)]
    let mut stores = vec![("dir", format!("dir:{}", root.join("spool").display()))];
    #[cfg(feature = "postgres")]
    stores.push(("postgres", s.fresh_postgres_database("crash")));
    let _ = s;
    println!(
        "crash test: courriel send killed with SIGKILL at random moments, then spool retry (seed {seed})"
    );
    println!(
        "{:<9} {:>6} {:>8} {:>9} {:>5} {:>14} {:>11} {:>13}",
        "store",
        "killed",
        "finished",
        "delivered",
        "filed",
        "unknown fate",
        "filed unread",
        "not delivered"
    );
    let mut failed = false;
    for (store, spool) in stores {
        let counts = run_store(store, &spool, &root, &mut random, &tag);
        println!(
            "{store:<9} {:>6} {:>8} {:>9} {:>5} {:>14} {:>11} {:>13}",
            counts.killed,
            counts.finished,
            counts.delivered,
            counts.filed,
            counts.unknown_reported,
            counts.filed_unread,
            counts.filed_not_delivered
        );
        for problem in &counts.problems {
            println!("  {store}: {problem}");
            failed = true;
        }
        if counts.killed < KILLS {
            println!(
                "  {store}: only {} sends killed in {MAX_RUNS}: the kills came too late",
                counts.killed
            );
            failed = true;
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    if failed {
        println!("crash test: FAILED (replay with COURRIEL_CRASH_SEED={seed})");
        std::process::exit(1);
    }
    println!(
        "crash test: every delivered message has exactly one copy in Sent; nothing sent or filed twice"
    );
}
