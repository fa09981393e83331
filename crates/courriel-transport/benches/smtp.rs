//! SMTP throughput and memory against the project's Postfix (start it first
//! with `cargo xtask mail-servers start`), side by side in one run with the
//! issue's peers: lettre 0.11 used directly with its pool and defaults,
//! Python's smtplib, Nodemailer with `pool: true` (installed from npm into a
//! temporary directory), each over one connection and at the same
//! concurrency, and Postfix's own `smtp-source` on its plain port as the
//! server's ceiling.
//!
//! `cargo bench -p courriel-transport --bench smtp`

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use courriel_core::{EmailAddress, Security};
use courriel_testkit::{Servers, peak_rss_kib};
use courriel_transport::{Email, Mailbox, SmtpConnection, SmtpPool, SmtpSettings};

const MESSAGES: usize = 1_000;
/// Connections at once in the "same concurrency" runs.
const CONCURRENCY: usize = 4;
/// Set in the child process that measures memory (its peak is its own).
const MEMORY_MODE: &str = "COURRIEL_BENCH_MEMORY";

fn settings(s: &Servers) -> SmtpSettings {
    SmtpSettings::new(
        &s.host,
        s.smtp_starttls_port,
        Security::Starttls,
        &s.special.address,
        &s.special.password,
    )
    .with_extra_ca(std::fs::read(&s.ca).unwrap())
}

fn email(s: &Servers, subject: String) -> Email {
    Email::from(Mailbox::new(
        EmailAddress::parse(&s.special.address).unwrap(),
    ))
    .to(Mailbox::new(EmailAddress::parse(&s.bench.address).unwrap()))
    .subject(subject)
    .text("Bonjour\n")
}

/// A measured run: its wall time, or why it did not run.
type Run = Result<Duration, String>;

// Message counts and seconds as f64: far below 2^52, no precision lost.
#[allow(clippy::cast_precision_loss)]
fn main() {
    let s = Servers::get();
    if let Ok(mode) = std::env::var(MEMORY_MODE) {
        memory(s, &mode);
        return;
    }
    let one = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let many = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let rows: Vec<(&str, Run, Run)> = vec![
        (
            "courriel",
            Ok(one.block_on(ours_one(s))),
            Ok(many.block_on(ours_pool(s))),
        ),
        (
            "lettre 0.11 (AsyncSmtpTransport, pool defaults)",
            one.block_on(lettre_run(s, 1)),
            many.block_on(lettre_run(s, CONCURRENCY)),
        ),
        ("Python smtplib", smtplib(s, 1), smtplib(s, CONCURRENCY)),
        (
            "Nodemailer (pool: true)",
            nodemailer(s, 1),
            nodemailer(s, CONCURRENCY),
        ),
        (
            "Postfix smtp-source, plain port (ceiling)",
            smtp_source(s, 1),
            smtp_source(s, CONCURRENCY),
        ),
    ];
    println!("{MESSAGES} messages through Postfix, STARTTLS + AUTH (smtp-source: no TLS, no AUTH)");
    println!(
        "{:<48} {:>20} {:>20}",
        "",
        "1 connection",
        format!("{CONCURRENCY} connections")
    );
    let cell = |run: &Run| match run {
        Ok(d) => format!(
            "{:.2}s {:>5.0}/s",
            d.as_secs_f64(),
            MESSAGES as f64 / d.as_secs_f64()
        ),
        Err(_) => "not run".to_string(),
    };
    for (name, a, b) in &rows {
        println!("{name:<48} {:>20} {:>20}", cell(a), cell(b));
        for e in [a, b].into_iter().filter_map(|r| r.as_ref().err()) {
            println!("    ({name}: {e})");
        }
    }
    let ratio = |peer: &Run, ours: &Run| match (peer, ours) {
        (Ok(p), Ok(o)) => format!("{:.2}x", p.as_secs_f64() / o.as_secs_f64()),
        _ => "n/a".to_string(),
    };
    let (ours_single, ours_many) = (&rows[0].1, &rows[0].2);
    println!(
        "1 connection: ours vs smtplib {} (target >= 1x), ours vs lettre defaults {} (target >= 10x)",
        ratio(&rows[2].1, ours_single),
        ratio(&rows[1].1, ours_single)
    );
    println!(
        "{CONCURRENCY} connections: ours vs Nodemailer {} (target >= 1x), vs lettre {}, vs smtplib {}",
        ratio(&rows[3].2, ours_many),
        ratio(&rows[1].2, ours_many),
        ratio(&rows[2].2, ours_many)
    );
    println!(
        "ours against the server's ceiling (smtp-source): {} at 1 connection, {} at {CONCURRENCY}",
        ratio(&rows[4].1, ours_single),
        ratio(&rows[4].2, ours_many)
    );

    // Memory, each in a child process of its own so that its peak is its own.
    for mode in ["owned", "borrowed"] {
        let output = Command::new(std::env::current_exe().unwrap())
            .env(MEMORY_MODE, mode)
            .output()
            .unwrap();
        print!("{}", String::from_utf8_lossy(&output.stdout));
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
    }
}

/// Ours over one connection: STARTTLS and AUTH once, then MAIL/RCPT/DATA
/// per message, rendering included.
async fn ours_one(s: &Servers) -> Duration {
    let mut connection = SmtpConnection::open(&settings(s)).await.unwrap();
    let start = Instant::now();
    for i in 0..MESSAGES {
        let rendered = email(s, format!("courriel {i}")).render().unwrap();
        connection.send(&rendered, &()).await.unwrap();
    }
    let elapsed = start.elapsed();
    connection.close().await;
    elapsed
}

/// Ours through `SmtpPool` bounded at `CONCURRENCY` connections for the
/// account: every message submitted at once, the pool opens and reuses.
async fn ours_pool(s: &'static Servers) -> Duration {
    let pool = Arc::new(SmtpPool::new(CONCURRENCY, Duration::from_secs(60)));
    let settings = Arc::new(settings(s));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..MESSAGES {
        let (pool, settings) = (pool.clone(), settings.clone());
        tasks.spawn(async move {
            let rendered = email(s, format!("courriel pool {i}")).render().unwrap();
            pool.send("bench", &settings, &rendered, &()).await.unwrap();
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let elapsed = start.elapsed();
    assert!(pool.opened() <= CONCURRENCY, "the pool stays bounded");
    elapsed
}

/// lettre used directly: `AsyncSmtpTransport` with its default pool,
/// STARTTLS required, the test CA; `concurrency` sends in flight at once
/// (lettre's pool does not bound concurrency itself).
async fn lettre_run(s: &Servers, concurrency: usize) -> Run {
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let ca = Certificate::from_pem(&std::fs::read(&s.ca).unwrap()).map_err(|e| e.to_string())?;
    let tls = TlsParameters::builder(s.tls_name.clone())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(ca)
        .build_rustls()
        .map_err(|e| e.to_string())?;
    // `builder_dangerous` only means "no TLS unless told": Tls::Required is.
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
        .port(s.smtp_starttls_port)
        .tls(Tls::Required(tls))
        .credentials(Credentials::new(
            s.special.address.clone(),
            s.special.password.clone(),
        ))
        .build();
    let message = |i: usize| {
        Message::builder()
            .from(s.special.address.parse().unwrap())
            .to(s.bench.address.parse().unwrap())
            .subject(format!("lettre {i}"))
            .body(String::from("Bonjour\n"))
            .unwrap()
    };
    let start = Instant::now();
    if concurrency == 1 {
        for i in 0..MESSAGES {
            transport
                .send(message(i))
                .await
                .map_err(|e| e.to_string())?;
        }
    } else {
        let permits = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..MESSAGES {
            let (transport, permits, message) = (transport.clone(), permits.clone(), message(i));
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                transport.send(message).await.map(|_| ())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap().map_err(|e| e.to_string())?;
        }
    }
    Ok(start.elapsed())
}

/// Runs a peer that prints its own elapsed seconds on stdout.
fn timed(name: &str, command: &mut Command) -> Run {
    let output = command
        .output()
        .map_err(|e| format!("{name} did not start: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map(Duration::from_secs_f64)
        .map_err(|_| {
            format!(
                "{name} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )
        })
}

/// Python's smtplib, `connections` threads with a connection each,
/// `send_message` per message, timed inside Python (connections opened
/// inside the timing when there are several, as the pools do).
fn smtplib(s: &Servers, connections: usize) -> Run {
    let script = format!(
        r#"
import smtplib, ssl, threading, time
from email.message import EmailMessage
ctx = ssl.create_default_context(cafile={ca:?})
def connect():
    s = smtplib.SMTP({host:?}, {port})
    s.starttls(context=ctx)
    s.login({user:?}, {password:?})
    return s
def work(s, first):
    for i in range(first, {n}, {c}):
        m = EmailMessage()
        m["From"] = {user:?}
        m["To"] = {to:?}
        m["Subject"] = "smtplib %d" % i
        m.set_content("Bonjour\n")
        s.send_message(m)
    s.quit()
if {c} == 1:
    s = connect()
    start = time.perf_counter()
    work(s, 0)
else:
    start = time.perf_counter()
    threads = [threading.Thread(target=lambda k=k: work(connect(), k)) for k in range({c})]
    for t in threads: t.start()
    for t in threads: t.join()
print(time.perf_counter() - start)
"#,
        ca = s.ca.display().to_string(),
        host = s.host,
        port = s.smtp_starttls_port,
        user = s.special.address,
        password = s.special.password,
        to = s.bench.address,
        n = MESSAGES,
        c = connections,
    );
    timed("python3", Command::new("python3").args(["-c", &script]))
}

/// Nodemailer with `pool: true` and `maxConnections`, installed from npm
/// into a temporary directory; all `sendMail` calls queued at once.
fn nodemailer(s: &Servers, connections: usize) -> Run {
    let dir = std::env::temp_dir().join("courriel-bench-nodemailer");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
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
            .status();
        if !installed.is_ok_and(|st| st.success()) {
            return Err("npm install nodemailer failed".into());
        }
    }
    let script = format!(
        r#"
const nodemailer = require("nodemailer");
const fs = require("fs");
const t = nodemailer.createTransport({{ host: "{host}", port: {port}, secure: false, requireTLS: true,
  pool: true, maxConnections: {c}, maxMessages: Infinity,
  auth: {{ user: "{user}", pass: "{password}" }}, tls: {{ ca: fs.readFileSync("{ca}"), servername: "{name}" }} }});
(async () => {{
  await t.verify();
  const start = process.hrtime.bigint();
  const jobs = [];
  for (let i = 0; i < {n}; i++) {{
    jobs.push(t.sendMail({{ from: "{user}", to: "{to}", subject: "nodemailer " + i, text: "Bonjour\n" }}));
  }}
  await Promise.all(jobs);
  console.log(Number(process.hrtime.bigint() - start) / 1e9);
  t.close();
}})().catch(e => {{ console.error(e); process.exit(1); }});
"#,
        host = s.host,
        port = s.smtp_starttls_port,
        user = s.special.address,
        password = s.special.password,
        ca = s.ca.display(),
        name = s.tls_name,
        to = s.bench.address,
        n = MESSAGES,
        c = connections,
    );
    timed(
        "node",
        Command::new("node")
            .arg("-e")
            .arg(&script)
            .current_dir(&dir),
    )
}

/// Postfix's `smtp-source` on the plain port (no TLS, no AUTH), sessions
/// kept open (`-d`): what the server can take, timed around the process.
fn smtp_source(s: &Servers, sessions: usize) -> Run {
    let program = ["/usr/sbin/smtp-source", "smtp-source"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists() || !p.starts_with('/'))
        .unwrap_or("smtp-source");
    let start = Instant::now();
    let status = Command::new(program)
        .args([
            "-d",
            "-s",
            &sessions.to_string(),
            "-m",
            &MESSAGES.to_string(),
        ])
        .args(["-f", &s.special.address, "-t", &s.bench.address])
        .arg(format!("{}:{}", s.host, s.smtp_plain_port))
        .status()
        .map_err(|e| format!("smtp-source did not start: {e}"))?;
    if !status.success() {
        return Err(format!("smtp-source failed: {status}"));
    }
    Ok(start.elapsed())
}

/// Peak memory for one message with a 25 MB attachment of random bytes
/// (base64 in the message), rendered and sent. The test Postfix refuses it
/// for size after DATA: the bytes still go out. `owned`: the email is
/// consumed by rendering (`into_rendered`), as the Mailer does; `borrowed`:
/// the caller keeps the email (`render`).
// Memory figures in MiB and ratios: far below 2^52, no precision lost.
#[allow(clippy::cast_precision_loss)]
fn memory(s: &Servers, mode: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let settings = SmtpSettings::new(
        &s.host,
        s.smtp_tls_port,
        Security::ImplicitTls,
        &s.special.address,
        &s.special.password,
    )
    .with_extra_ca(std::fs::read(&s.ca).unwrap());
    let before = peak_rss_kib();
    let mut attachment = vec![0u8; 25 * 1024 * 1024];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for chunk in attachment.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let email = email(s, "25 MB".into()).attach("big.bin", "application/octet-stream", attachment);
    let (rendered, kept) = if mode == "owned" {
        (email.into_rendered().unwrap(), None)
    } else {
        (email.render().unwrap(), Some(email))
    };
    let size = rendered.transmitted_len();
    let outcome = rt.block_on(courriel_transport::send(&settings, &rendered));
    drop((rendered, kept));
    let grew = peak_rss_kib().saturating_sub(before);
    println!(
        "one message with a 25 MB attachment ({:.1} MB rendered), {mode}: peak resident memory grew by {:.1} MB, {:.2}x the message (target < 3x); server said {}",
        size as f64 / 1e6,
        grew as f64 * 1024.0 / 1e6,
        grew as f64 * 1024.0 / size as f64,
        outcome.map_or_else(|f| f.code().to_string(), |r| r.reply)
    );
}
