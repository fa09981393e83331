//! Fresh connections: many accounts, one message each, as an invoicing
//! application sending for thousands of users meets them. Every send opens
//! a new SMTP connection (TCP, TLS, AUTH) and, with filing, a new IMAP
//! session (TLS, LOGIN, the Sent folder, APPEND).
//!
//! Against the project's Postfix and Dovecot (start them first with
//! `cargo xtask mail-servers start`; they carry 500 `freshNNN@` accounts),
//! side by side in one run:
//!
//! - ours: `Mailer::send` with the copy filed, and the same through the
//!   transport alone (`copy_to_sent = false`);
//! - Python's smtplib, a new `SMTP_SSL` connection per message;
//! - Nodemailer without a pool (installed from npm into a temporary
//!   directory, as the SMTP benchmark does);
//! - the server's ceiling for new TLS sessions: `openssl s_time -new`
//!   against the same port (handshakes only, no SMTP).
//!
//! Each sends one message per account, `CONCURRENCY` at a time, over
//! SMTP with implicit TLS (port 465's way). Printed: messages per second,
//! per-message latency (median, 99th percentile), and our CPU per message;
//! for ours also the whole machine's CPU per message (ours and the
//! servers', until Postfix has delivered everything) and the bound it sets
//! when the cores are busy.
//!
//! `cargo bench -p courriel --bench fresh`

use std::fmt::Write as _;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use courriel::{Email, EmailAddress, Filing, Mailbox, Mailer};
use courriel_testkit::Servers;

mod common;
use common::{MachineUse, account_on, cpu_time, machine_use_of, spool};

/// Sends in flight at once.
const CONCURRENCY: usize = 8;

/// One side's run: wall time and each message's latency.
struct Run {
    name: String,
    elapsed: Duration,
    latencies: Vec<Duration>,
    cpu: Option<Duration>,
    machine: Option<MachineUse>,
    note: String,
}

impl Run {
    // Counts and seconds as f64: far below 2^52, no precision lost.
    #[allow(clippy::cast_precision_loss)]
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn quantile(&self, q: f64) -> Duration {
        let mut v = self.latencies.clone();
        v.sort();
        // q in [0, 1]: an index within the list.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((v.len() as f64 - 1.0) * q).round() as usize;
        v.get(i).copied().unwrap_or_default()
    }

    #[allow(clippy::cast_precision_loss)]
    fn print(&self) {
        let mut cpu = self.cpu.map_or_else(String::new, |c| {
            format!(
                ", our CPU {:.2} ms/message",
                c.as_secs_f64() * 1e3 / self.latencies.len() as f64
            )
        });
        if let Some(machine) = &self.machine {
            let _ = write!(
                cpu,
                ", machine CPU {:.1} ms/message ({:.0}% busy); all delivered after {:.2}s",
                machine.ms_per(self.latencies.len()),
                machine.share * 100.0,
                machine.until_delivered.as_secs_f64()
            );
        }
        println!(
            "{:<46} {:>4} messages {:>6.2}s {:>6.0}/s  latency median {:>6.1} ms, p99 {:>6.1} ms{cpu}{}",
            self.name,
            self.latencies.len(),
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.quantile(0.5).as_secs_f64() * 1e3,
            self.quantile(0.99).as_secs_f64() * 1e3,
            self.note,
        );
    }
}

/// Our side: one message per account through one `Mailer`,
/// `CONCURRENCY` at a time.
fn ours(
    rt: &tokio::runtime::Runtime,
    name: &str,
    ports: (u16, u16),
    file: bool,
    round: usize,
) -> Run {
    let s = Servers::get();
    let mailer = Arc::new(
        Mailer::builder(spool(&format!("fresh-{file}-{round}")))
            .build()
            .unwrap(),
    );
    let accounts: Vec<_> = s
        .fresh
        .iter()
        .map(|a| mailer.resolve(&account_on(a, ports, true, file)))
        .collect();
    let (full_before, resumed_before) = courriel::low_level::net::tls_handshakes();
    let cpu_before = cpu_time();
    let ((elapsed, latencies, filed), machine) = machine_use_of(|| {
        rt.block_on(async {
            let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
            let start = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for (i, account) in accounts.into_iter().enumerate() {
                let (mailer, permits) = (mailer.clone(), permits.clone());
                let to = EmailAddress::parse(&s.bench.address).unwrap();
                tasks.spawn(async move {
                    let _permit = permits.acquire_owned().await.unwrap();
                    let t = Instant::now();
                    let sender = account.account().settings().sender.clone().unwrap();
                    let email = Email::from(Mailbox::new(EmailAddress::parse(&sender).unwrap()))
                        .to(Mailbox::new(to))
                        .subject(format!("fresh {i}"))
                        .text("Bonjour,\nvoici la facture.\n");
                    let receipt = mailer.send(&account, email).await.unwrap();
                    (t.elapsed(), matches!(receipt.filing, Filing::Filed { .. }))
                });
            }
            let (mut latencies, mut filed) = (Vec::new(), 0);
            while let Some(done) = tasks.join_next().await {
                let (latency, was_filed) = done.unwrap();
                latencies.push(latency);
                filed += usize::from(was_filed);
            }
            (start.elapsed(), latencies, filed)
        })
    });
    let cpu = cpu_time().saturating_sub(cpu_before);
    let (full, resumed) = courriel::low_level::net::tls_handshakes();
    rt.block_on(mailer.close());
    if file {
        assert_eq!(filed, latencies.len(), "every copy filed");
    }
    Run {
        name: name.to_string(),
        elapsed,
        latencies,
        cpu: Some(cpu),
        machine: Some(machine),
        note: format!(
            "; TLS handshakes {} full, {} resumed; {filed} filed",
            full - full_before,
            resumed - resumed_before
        ),
    }
}

/// Reads `ELAPSED` and `LATENCIES` (milliseconds, comma-separated) lines
/// from a peer's output.
fn peer_run(name: &str, output: &std::process::Output) -> Option<Run> {
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        eprintln!(
            "{name} failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::trim)
            .map(str::to_string)
    };
    let ms = |v: &str| Duration::from_secs_f64(v.parse::<f64>().unwrap_or(0.0) / 1e3);
    Some(Run {
        name: name.to_string(),
        elapsed: ms(&field("ELAPSED ")?),
        latencies: field("LATENCIES ")?.split(',').map(ms).collect(),
        cpu: None,
        machine: None,
        note: String::new(),
    })
}

/// The fresh accounts as `address:password` lines, for the peers.
fn accounts_file() -> std::path::PathBuf {
    let s = Servers::get();
    let path = std::env::temp_dir().join("courriel-bench-fresh-accounts.txt");
    let mut text = String::new();
    for a in &s.fresh {
        let _ = writeln!(text, "{}:{}", a.address, a.password);
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Python's smtplib: a new `SMTP_SSL` connection, LOGIN, one message,
/// QUIT, per account; `CONCURRENCY` threads.
fn smtplib() -> Option<Run> {
    let s = Servers::get();
    let script = format!(
        r#"
import smtplib, ssl, time, concurrent.futures
from email.message import EmailMessage
ctx = ssl.create_default_context(cafile={ca:?})
accounts = [l.strip().split(":", 1) for l in open({accounts:?}) if l.strip()]
def send(i_account):
    i, (user, password) = i_account
    t = time.perf_counter()
    m = EmailMessage()
    m["From"] = user; m["To"] = {to:?}; m["Subject"] = "smtplib fresh %d" % i
    m.set_content("Bonjour,\nvoici la facture.\n")
    with smtplib.SMTP_SSL({host:?}, {port}, context=ctx) as c:
        c.login(user, password)
        c.send_message(m)
    return (time.perf_counter() - t) * 1000
start = time.perf_counter()
with concurrent.futures.ThreadPoolExecutor({CONCURRENCY}) as pool:
    latencies = list(pool.map(send, enumerate(accounts)))
print("ELAPSED", (time.perf_counter() - start) * 1000)
print("LATENCIES", ",".join("%.3f" % l for l in latencies))
"#,
        ca = s.ca.display().to_string(),
        accounts = accounts_file().display().to_string(),
        to = s.bench.address,
        host = s.tls_name,
        port = s.smtp_tls_port,
    );
    let output = Command::new("python3")
        .args(["-c", &script])
        .output()
        .ok()?;
    peer_run("Python smtplib (SMTP_SSL per message)", &output)
}

/// Nodemailer without a pool: a transport per message, `CONCURRENCY` in
/// flight.
fn nodemailer() -> Option<Run> {
    let s = Servers::get();
    let dir = std::env::temp_dir().join("courriel-bench-nodemailer");
    std::fs::create_dir_all(&dir).ok()?;
    if !dir.join("node_modules/nodemailer").exists() {
        let installed = Command::new("npm")
            .args([
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "nodemailer",
            ])
            .current_dir(&dir)
            .status()
            .ok()?;
        if !installed.success() {
            eprintln!("npm install nodemailer failed: Nodemailer left out");
            return None;
        }
    }
    let script = format!(
        r#"
const nodemailer = require("nodemailer");
const fs = require("fs");
const ca = fs.readFileSync({ca:?});
const accounts = fs.readFileSync({accounts:?}, "utf8").split("\n").filter(Boolean).map(l => l.split(":"));
async function send(i, [user, pass]) {{
  const t = process.hrtime.bigint();
  const transport = nodemailer.createTransport({{ host: {host:?}, port: {port}, secure: true,
    auth: {{ user, pass }}, tls: {{ ca }} }});
  await transport.sendMail({{ from: user, to: {to:?}, subject: "nodemailer fresh " + i, text: "Bonjour,\nvoici la facture.\n" }});
  transport.close();
  return Number(process.hrtime.bigint() - t) / 1e6;
}}
(async () => {{
  const start = process.hrtime.bigint();
  const latencies = new Array(accounts.length);
  let next = 0;
  async function worker() {{
    while (next < accounts.length) {{ const i = next++; latencies[i] = await send(i, accounts[i]); }}
  }}
  await Promise.all(Array.from({{ length: {CONCURRENCY} }}, worker));
  console.log("ELAPSED", Number(process.hrtime.bigint() - start) / 1e6);
  console.log("LATENCIES", latencies.map(l => l.toFixed(3)).join(","));
}})().catch(e => {{ console.error(e); process.exit(1); }});
"#,
        ca = s.ca.display().to_string(),
        accounts = accounts_file().display().to_string(),
        to = s.bench.address,
        host = s.tls_name,
        port = s.smtp_tls_port,
    );
    let output = Command::new("node")
        .args(["-e", &script])
        .current_dir(&dir)
        .output()
        .ok()?;
    peer_run("Nodemailer (no pool, a transport per message)", &output)
}

/// The server's ceiling for new TLS sessions on the same port:
/// `openssl s_time -new` (full handshakes, nothing sent), one client.
fn tls_ceiling(seconds: u32) -> Option<String> {
    let s = Servers::get();
    let mut line = String::new();
    for (mode, flag) in [("new", "-new"), ("resumed", "-reuse")] {
        let output = Command::new("openssl")
            .args([
                "s_time",
                "-connect",
                &format!("{}:{}", s.host, s.smtp_tls_port),
                "-CAfile",
                &s.ca.display().to_string(),
                flag,
                "-time",
                &seconds.to_string(),
            ])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&output.stdout);
        // "1234 connections in 5.01s; 246.31 connections/user sec, ..."
        // and "1234 connections in 6 real seconds, ...".
        let real = text
            .lines()
            .find(|l| l.contains("real seconds"))
            .map(str::to_string)?;
        let mut words = real.split_whitespace();
        let count: f64 = words.next()?.parse().ok()?;
        let secs: f64 = words.nth(2)?.parse().ok()?;
        let _ = write!(
            line,
            "  {mode} TLS sessions: {:.0}/s ({count} in {secs} s)",
            count / secs
        );
    }
    Some(line)
}

/// Ours, transport alone then send and file, twice alternating; the
/// better run of each.
fn ours_twice(rt: &tokio::runtime::Runtime, ports: (u16, u16)) -> [Option<Run>; 2] {
    let mut best: [Option<Run>; 2] = [None, None];
    for round in 0..2 {
        for (i, (name, file)) in [
            ("courriel, transport alone (copy_to_sent off)", false),
            ("courriel, send and file (Mailer::send)", true),
        ]
        .into_iter()
        .enumerate()
        {
            let run = ours(rt, name, ports, file, round);
            run.print();
            if best[i].as_ref().is_none_or(|b| run.elapsed < b.elapsed) {
                best[i] = Some(run);
            }
        }
    }
    best
}

/// What the machine's CPU allows: when the cores are busy throughout, the
/// rates can be no further apart than the machine's CPU per message (ours
/// and the servers'), whatever the client does.
fn bound(alone: &Run, filed: &Run) {
    let (Some(alone_use), Some(filed_use)) = (&alone.machine, &filed.machine) else {
        return;
    };
    println!(
        "  sustained (until Postfix has delivered every message): send and file at {:.2}x the transport alone (target >= 0.8x)",
        alone_use.until_delivered.as_secs_f64() / filed_use.until_delivered.as_secs_f64()
    );
    let a = alone_use.ms_per(alone.latencies.len());
    let f = filed_use.ms_per(filed.latencies.len());
    let busy = filed_use.share;
    // Below 90% busy something else (round trips) bounds the rates.
    let verdict = if busy >= 0.9 {
        format!(
            "the cores are busy, so filing can reach at most about {:.2}x here",
            a / f
        )
    } else {
        "the cores are not the bound".to_string()
    };
    println!(
        "  the machine's CPU per message (ours and the servers'): {a:.1} ms alone, {f:.1} ms with filing; {:.0}% busy: {verdict}",
        busy * 100.0
    );
}

fn main() {
    let s = Servers::get();
    assert!(
        s.fresh.len() >= 500,
        "the test servers carry 500 fresh accounts: restart them (`cargo xtask mail-servers start`)"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "{} accounts, one message each, {CONCURRENCY} at a time, SMTP with implicit TLS on 127.0.0.1:{}",
        s.fresh.len(),
        s.smtp_tls_port
    );
    let loopback = (s.smtp_tls_port, s.imap_tls_port);
    let best = ours_twice(&rt, loopback);
    let peers: Vec<Run> = [smtplib(), nodemailer()].into_iter().flatten().collect();
    for run in &peers {
        run.print();
    }
    let ceiling = tls_ceiling(5).unwrap_or_else(|| "  (openssl s_time did not run)".into());
    println!("server's ceiling (openssl s_time, one client):{ceiling}");
    let [Some(alone), Some(filed)] = &best else {
        return;
    };
    println!(
        "loopback: send and file at {:.2}x the transport alone (target >= 0.8x)",
        filed.rate() / alone.rate()
    );
    bound(alone, filed);
    // The user's servers across a network: 10 ms added each way by a
    // proxy (the servers' CPU is then not the bound, round trips are).
    let latency = Duration::from_millis(10);
    let far = (
        rt.block_on(courriel_testkit::hostile::delaying_proxy(
            s.smtp_tls_port,
            latency,
        )),
        rt.block_on(courriel_testkit::hostile::delaying_proxy(
            s.imap_tls_port,
            latency,
        )),
    );
    println!("the same, 10 ms added each way:");
    if let [Some(far_alone), Some(far_filed)] = &ours_twice(&rt, far) {
        println!(
            "10 ms each way: send and file at {:.2}x the transport alone (target >= 0.8x)",
            far_filed.rate() / far_alone.rate()
        );
        bound(far_alone, far_filed);
    }
    for peer in &peers {
        println!(
            "transport alone vs {}: {:.2}x the rate, median latency {:.2}x",
            peer.name,
            alone.rate() / peer.rate(),
            alone.quantile(0.5).as_secs_f64() / peer.quantile(0.5).as_secs_f64()
        );
    }
}
