//! SMTP throughput and memory against the project's Postfix (start it first
//! with `cargo xtask mail-servers start`), side by side with Python's
//! smtplib over one connection in the same run.
//!
//! `cargo bench -p courriel-transport --bench smtp`

use std::process::Command;
use std::time::Instant;

use courriel_core::{EmailAddress, Security};
use courriel_testkit::Servers;
use courriel_transport::{Email, Mailbox, SmtpConnection, SmtpSettings};

const MESSAGES: u32 = 1_000;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

// Memory figures in MiB and ratios: far below 2^52, no precision lost.
#[allow(clippy::cast_precision_loss)]
fn main() {
    let s = Servers::get();
    let settings = SmtpSettings::new(
        &s.host,
        s.smtp_starttls_port,
        Security::Starttls,
        &s.special.address,
        &s.special.password,
    )
    .with_extra_ca(std::fs::read(&s.ca).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let from = EmailAddress::parse(&s.special.address).unwrap();
    let to = EmailAddress::parse(&s.courier.address).unwrap();

    // Over one connection, STARTTLS and AUTH once, then MAIL/RCPT/DATA per message.
    let ours = rt.block_on(async {
        let mut connection = SmtpConnection::open(&settings).await.unwrap();
        let start = Instant::now();
        for i in 0..MESSAGES {
            let rendered = Email::from(Mailbox::new(from.clone()))
                .to(Mailbox::new(to.clone()))
                .subject(format!("bench {i}"))
                .text("Bonjour\n")
                .render()
                .unwrap();
            connection.send(&rendered).await.unwrap();
        }
        let elapsed = start.elapsed();
        connection.close().await;
        elapsed
    });

    let smtplib = smtplib(s);
    let nodemailer = nodemailer(s);
    let rate = |secs: f64| f64::from(MESSAGES) / secs;
    if let Some(secs) = nodemailer {
        println!(
            "{MESSAGES} messages, Nodemailer (pool: true, maxConnections: 1): {secs:.2}s ({:.0}/s): ours {:.2}x",
            rate(secs),
            secs / ours.as_secs_f64()
        );
    }
    println!(
        "{MESSAGES} messages over one connection (STARTTLS + AUTH, Postfix): ours {:.2}s ({:.0}/s), Python smtplib {smtplib:.2}s ({:.0}/s): ours {:.2}x (target >= 1x)",
        ours.as_secs_f64(),
        rate(ours.as_secs_f64()),
        rate(smtplib),
        smtplib / ours.as_secs_f64()
    );

    // Peak memory for one message with a 25 MB attachment, rendered and sent
    // (the test Postfix refuses it for size after DATA: the bytes still go out).
    let before = peak_rss_kib();
    let attachment = vec![0x5au8; 25 * 1024 * 1024];
    let rendered = Email::from(Mailbox::new(from.clone()))
        .to(Mailbox::new(to.clone()))
        .subject("25 MB")
        .text("x")
        .attach("big.bin", "application/octet-stream", attachment)
        .render()
        .unwrap();
    let size = rendered.transmitted_len();
    let outcome = rt.block_on(courriel_transport::send(&settings, &rendered));
    drop(rendered);
    let peak = peak_rss_kib();
    println!(
        "one message with a 25 MB attachment ({} MB rendered): peak resident memory grew by {} MB, {:.1}x the message (target < 3x); server said {}",
        size / (1024 * 1024),
        peak.saturating_sub(before) / 1024,
        peak.saturating_sub(before) as f64 * 1024.0 / size as f64,
        outcome.map_or_else(|f| f.code().to_string(), |r| r.reply)
    );
}

/// Nodemailer with `pool: true` over one connection, installed from npm
/// into a temporary directory; `None` (with why) when npm is not there.
fn nodemailer(s: &Servers) -> Option<f64> {
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
            .status();
        if !installed.is_ok_and(|st| st.success()) {
            eprintln!("Nodemailer: npm install failed; skipped");
            return None;
        }
    }
    let script = format!(
        r#"
const nodemailer = require("nodemailer");
const fs = require("fs");
const t = nodemailer.createTransport({{ host: "{host}", port: {port}, secure: false, requireTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity,
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
        to = s.courier.address,
        n = MESSAGES
    );
    let output = Command::new("node")
        .arg("-e")
        .arg(&script)
        .current_dir(&dir)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    match text.trim().parse() {
        Ok(secs) => Some(secs),
        Err(_) => {
            eprintln!(
                "Nodemailer failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            None
        }
    }
}

/// Python's smtplib over one connection, timed inside Python.
fn smtplib(s: &Servers) -> f64 {
    let script = format!(
        r#"
import smtplib, ssl, time
from email.message import EmailMessage
ctx = ssl.create_default_context(cafile={ca:?})
s = smtplib.SMTP({host:?}, {port})
s.starttls(context=ctx)
s.login({user:?}, {password:?})
start = time.perf_counter()
for i in range({n}):
    m = EmailMessage()
    m["From"] = {user:?}
    m["To"] = {to:?}
    m["Subject"] = "smtplib %d" % i
    m.set_content("Bonjour\n")
    s.send_message(m)
print(time.perf_counter() - start)
s.quit()
"#,
        ca = s.ca.display().to_string(),
        host = s.host,
        port = s.smtp_starttls_port,
        user = s.special.address,
        password = s.special.password,
        to = s.courier.address,
        n = MESSAGES
    );
    let output = Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("smtplib: {}", String::from_utf8_lossy(&output.stderr)))
}
