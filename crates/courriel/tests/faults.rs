//! The fault-injection suite: hostile servers written for the tests on
//! 127.0.0.1 (silent, dripping, hanging up, failing TLS, downgrading,
//! sending enormous or malformed answers) and the real Postfix and Dovecot
//! dying mid-transaction (a proxy cuts the connection during DATA and
//! during APPEND). Each scenario must end within its bound with its typed
//! outcome, without a panic, with memory bounded; none may lose a message
//! or file one twice. It prints a table and fails if any row is wrong.
//!
//! A test binary without the standard harness, so its table is always
//! shown: `cargo test -p courriel --test faults`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{account_at, copies, email, spool_dir};
use courriel::{Filing, Mailer};
use courriel_archive::{ImapSettings, Timeouts};
use courriel_core::Security;
use courriel_core::failure::Failure;
use courriel_testkit::hostile::{Script, cutting_proxy, serve};
use courriel_testkit::{Servers, peak_rss_kib, runtime, silent};
use courriel_transport::{SmtpSettings, SmtpTimeouts};

const BOUND: Duration = Duration::from_secs(2);

/// One scenario's row.
struct Row {
    scenario: &'static str,
    expected: &'static str,
    outcome: String,
    time: Duration,
    lost: usize,
    duplicates: usize,
    /// Anything else wrong (a password sent in clear, memory...).
    problem: Option<String>,
}

fn smtp_settings(port: u16, security: Security) -> SmtpSettings {
    let s = Servers::get();
    let mut settings = SmtpSettings::new(
        "127.0.0.1",
        port,
        security,
        "jean@example.test",
        "secret-pw",
    )
    .with_extra_ca(std::fs::read(&s.ca).unwrap());
    settings.timeouts = SmtpTimeouts {
        connect: BOUND,
        tls: BOUND,
        greeting: BOUND,
        command: BOUND,
        data: BOUND,
    };
    settings
}

fn imap_settings(port: u16, security: Security) -> ImapSettings {
    let s = Servers::get();
    let mut settings = ImapSettings::new(
        "127.0.0.1",
        port,
        security,
        "jean@example.test",
        "secret-pw",
    )
    .with_extra_ca(std::fs::read(&s.ca).unwrap());
    settings.timeouts = Timeouts {
        connect: BOUND,
        tls: BOUND,
        greeting: BOUND,
        command: BOUND,
        ..Timeouts::default()
    };
    settings
}

fn code(result: Result<(), Failure>) -> String {
    if let Err(f) = &result
        && std::env::var_os("FAULTS_VERBOSE").is_some()
    {
        eprintln!("{}", f.render(courriel_core::account::Lang::En));
    }
    result.map_or_else(|f| f.code().to_string(), |()| "ok".to_string())
}

fn smtp(port: u16, security: Security) -> (String, Duration) {
    let start = Instant::now();
    let outcome = runtime().block_on(courriel_transport::check(&smtp_settings(port, security)));
    (code(outcome), start.elapsed())
}

/// Connects, logs in, lists the folders.
fn imap(port: u16, security: Security) -> (String, Duration) {
    let start = Instant::now();
    let outcome = runtime().block_on(async {
        let mut session = courriel_archive::connect(&imap_settings(port, security)).await?;
        let namespaces = session.namespaces().await?;
        session.folders(&namespaces).await?;
        Ok(())
    });
    (code(outcome), start.elapsed())
}

fn row(scenario: &'static str, expected: &'static str, (outcome, time): (String, Duration)) -> Row {
    Row {
        scenario,
        expected,
        outcome,
        time,
        lost: 0,
        duplicates: 0,
        problem: None,
    }
}

/// An SMTP greeting, then EHLO answered with `capabilities`.
fn smtp_greet(script: &mut Script, capabilities: &str) -> Option<()> {
    script.say("220 hostile.test ESMTP\r\n");
    script.hear()?;
    script.say(&format!("250-hostile.test\r\n{capabilities}\r\n"));
    Some(())
}

/// A plain server that says `greeting` one byte a second.
fn drip(greeting: &'static [u8]) -> u16 {
    serve(false, move |mut s| {
        for b in greeting {
            if s.say_bytes(&[*b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    })
}

/// Sends 100 MiB of `byte` (until the client hangs up).
fn flood(script: &mut Script, byte: u8) {
    let chunk = vec![byte; 1 << 20];
    for _ in 0..100 {
        if script.say_bytes(&chunk).is_err() {
            return;
        }
    }
}

/// Marks `row` wrong if the peak memory grew by more than 50 MB since
/// `before` (KiB, from [`peak_rss_kib`]).
fn bound_memory(row: &mut Row, before: u64) {
    let grew = peak_rss_kib().saturating_sub(before) / 1024;
    if grew > 50 {
        row.problem = Some(format!("memory grew by {grew} MB"));
    }
}

/// An IMAP server over implicit TLS that greets, accepts any login, and
/// answers every later command with `answer(tag)`.
fn imap_answering(answer: impl Fn(&mut Script, &str) + Send + Sync + 'static) -> u16 {
    serve(true, move |mut script| {
        script.say("* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] hostile.test\r\n");
        while let Some(line) = script.hear() {
            let tag = line.split_whitespace().next().unwrap_or("*").to_string();
            let command = line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_ascii_uppercase();
            match command.as_str() {
                "LOGIN" | "AUTHENTICATE" => script.say(&format!(
                    "{tag} OK [CAPABILITY IMAP4rev1 LITERAL+ NAMESPACE] in\r\n"
                )),
                "CAPABILITY" => script.say(&format!(
                    "* CAPABILITY IMAP4rev1 LITERAL+ NAMESPACE\r\n{tag} OK\r\n"
                )),
                "NAMESPACE" => script.say(&format!(
                    "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n{tag} OK\r\n"
                )),
                "LOGOUT" => {
                    script.say(&format!("* BYE\r\n{tag} OK\r\n"));
                    return;
                }
                _ => answer(&mut script, &tag),
            }
        }
    })
}

fn smtp_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    let smtp_tls = Security::ImplicitTls;

    rows.push(row(
        "SMTP: accepts TCP, never speaks",
        "SM004",
        smtp(silent(), smtp_tls),
    ));
    let drip = drip(b"220 hostile.test ESMTP\r\n");
    rows.push(row(
        "SMTP: speaks one byte a second",
        "SM004",
        smtp(drip, Security::Starttls),
    ));
    let hang_up = serve(false, |mut s| {
        s.say("220 hostile.test ESMTP\r\n");
    });
    rows.push(row(
        "SMTP: closes right after the greeting",
        "SM015",
        smtp(hang_up, Security::Starttls),
    ));
    let before = peak_rss_kib();
    let endless = serve(false, |mut s| flood(&mut s, b'2'));
    let mut r = row(
        "SMTP: a 100 MB greeting line without end",
        "SM015",
        smtp(endless, Security::Starttls),
    );
    bound_memory(&mut r, before);
    rows.push(r);
    let bad_tls = serve(false, |mut s| {
        if smtp_greet(&mut s, "250 STARTTLS").is_some() && s.hear().is_some() {
            s.say("220 go ahead\r\n");
            let _ = s.say_bytes(b"this is not a TLS handshake\r\n");
        }
    });
    rows.push(row(
        "SMTP: offers STARTTLS, then fails the handshake",
        "SM007",
        smtp(bad_tls, Security::Starttls),
    ));
    let heard_auth = Arc::new(AtomicBool::new(false));
    let heard = heard_auth.clone();
    let downgrade = serve(false, move |mut s| {
        if smtp_greet(&mut s, "250 AUTH PLAIN LOGIN").is_some() {
            while let Some(line) = s.hear() {
                if line.to_ascii_uppercase().starts_with("AUTH") || line.contains("secret-pw") {
                    heard.store(true, Ordering::SeqCst);
                }
                s.say("250 ok\r\n");
            }
        }
    });
    let mut r = row(
        "SMTP: never offers STARTTLS (downgrade)",
        "SM008",
        smtp(downgrade, Security::Starttls),
    );
    std::thread::sleep(Duration::from_millis(200));
    if heard_auth.load(Ordering::SeqCst) {
        r.problem = Some("the password was offered in clear".into());
    }
    rows.push(r);

    rows
}

fn imap_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    let imap_tls = Security::ImplicitTls;
    rows.push(row(
        "IMAP: accepts TCP, never speaks",
        "IM004",
        imap(silent(), imap_tls),
    ));
    let drip = drip(b"* OK hostile.test\r\n");
    rows.push(row(
        "IMAP: speaks one byte a second",
        "IM004",
        imap(drip, Security::Starttls),
    ));
    let hang_up = serve(false, |mut s| {
        s.say("* OK [CAPABILITY IMAP4rev1 STARTTLS] hostile.test\r\n");
    });
    rows.push(row(
        "IMAP: closes right after the greeting",
        "IM013",
        imap(hang_up, Security::Starttls),
    ));
    let bad_tls = serve(false, |mut s| {
        s.say("* OK [CAPABILITY IMAP4rev1 STARTTLS] hostile.test\r\n");
        while let Some(line) = s.hear() {
            let tag = line.split_whitespace().next().unwrap_or("*").to_string();
            if line.to_ascii_uppercase().contains("STARTTLS") {
                s.say(&format!("{tag} OK begin TLS\r\n"));
                let _ = s.say_bytes(b"this is not a TLS handshake\r\n");
                return;
            }
            s.say(&format!("* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK\r\n"));
        }
    });
    rows.push(row(
        "IMAP: offers STARTTLS, then fails the handshake",
        "IM007",
        imap(bad_tls, Security::Starttls),
    ));
    let heard_login = Arc::new(AtomicBool::new(false));
    let heard = heard_login.clone();
    let downgrade = serve(false, move |mut s| {
        s.say("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hostile.test\r\n");
        while let Some(line) = s.hear() {
            let tag = line.split_whitespace().next().unwrap_or("*").to_string();
            let upper = line.to_ascii_uppercase();
            if upper.contains("LOGIN")
                || upper.contains("AUTHENTICATE")
                || line.contains("secret-pw")
            {
                heard.store(true, Ordering::SeqCst);
            }
            // A server without STARTTLS: it does not know the command.
            if upper.contains("CAPABILITY") {
                s.say(&format!(
                    "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK\r\n"
                ));
            } else {
                s.say(&format!("{tag} BAD unknown command\r\n"));
            }
        }
    });
    let mut r = row(
        "IMAP: never offers STARTTLS (downgrade)",
        "IM008",
        imap(downgrade, Security::Starttls),
    );
    std::thread::sleep(Duration::from_millis(200));
    if heard_login.load(Ordering::SeqCst) {
        r.problem = Some("the password was offered in clear".into());
    }
    rows.push(r);

    rows.extend(imap_answer_rows());
    rows
}

/// IMAP servers that answer with enormous or malformed responses.
fn imap_answer_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    let imap_tls = Security::ImplicitTls;
    let before = peak_rss_kib();
    let huge = imap_answering(|s, _tag| {
        s.say("* LIST () \"/\" {104857600}\r\n");
        flood(s, b'a');
    });
    let mut r = row("IMAP: a 100 MB literal", "IM010", imap(huge, imap_tls));
    bound_memory(&mut r, before);
    rows.push(r);
    let long_line = imap_answering(|s, tag| {
        s.say(&format!(
            "* LIST () \"/\" {}\r\n{tag} OK\r\n",
            "x".repeat(1 << 20)
        ));
    });
    rows.push(row(
        "IMAP: a LIST line of 1 MB",
        "IM010",
        imap(long_line, imap_tls),
    ));
    let bad_utf7 = imap_answering(|s, tag| {
        s.say(&format!(
            "* LIST () \"/\" \"&AAA\"\r\n* LIST () \"/\" \"&-&\"\r\n* LIST () \"/\" \"Envoy&AOk\"\r\n* LIST (\\Sent) \"/\" \"Sent\"\r\n{tag} OK\r\n"
        ));
    });
    rows.push(row(
        "IMAP: invalid modified UTF-7 names",
        "ok",
        imap(bad_utf7, imap_tls),
    ));
    rows
}

/// Postfix's connection cut during DATA, through a cutting proxy.
fn data_cut_row(mailer: &Mailer, rt: &tokio::runtime::Runtime, big: &str) -> Row {
    let s = Servers::get();
    // Postfix's connection dies during DATA: the send fails, is not
    // retried (it might have been taken), and nothing arrives twice.
    let (smtp_cut, cut) = cutting_proxy(s.smtp_tls_port, 30_000);
    let mut account = account_at(
        "faults-data",
        &s.special,
        Some(("127.0.0.1", smtp_cut)),
        Some((&s.host, s.imap_tls_port)),
    );
    account = implicit_smtp(&account);
    let start = Instant::now();
    let sent = rt.block_on(mailer.send(
        &mailer.resolve(&account),
        email(&s.special, &s.courier, "cut during DATA").text(big.to_string()),
    ));
    let time = start.elapsed();
    let outcome = match &sent {
        Ok(_) => "sent".to_string(),
        Err(
            courriel::SendError::Failed(f) | courriel::SendError::FateUnknown { failure: f, .. },
        ) => f.code().to_string(),
        Err(e) => format!("{e}"),
    };
    // Delivered or not, nobody knows: the copy is kept, marked so.
    let kept = rt
        .block_on(mailer.spool().entries())
        .unwrap()
        .iter()
        .any(|e| e.account == account.id() && e.fate_unknown);
    let mut r = Row {
        scenario: "Postfix dies during DATA",
        expected: "SM016",
        outcome,
        time,
        lost: 0,
        duplicates: 0,
        problem: (!cut.load(Ordering::SeqCst)).then(|| "the proxy never cut".to_string()),
    };
    if sent.is_ok() {
        r.problem = Some("reported sent although the connection died in DATA".into());
    } else if !kept {
        r.problem = Some("the copy of a message that may have gone out was not kept".into());
    }
    r
}

/// The real servers dying mid-transaction, through a cutting proxy.
fn mid_transaction_rows() -> Vec<Row> {
    let s = Servers::get();
    let mut rows = Vec::new();
    let big = "Lorem ipsum dolor sit amet.\n".repeat(8_000); // ~220 KB
    let mailer = Mailer::builder(spool_dir("faults"))
        .smtp_timeouts(SmtpTimeouts {
            connect: BOUND,
            tls: BOUND,
            greeting: BOUND,
            command: BOUND,
            data: BOUND,
        })
        .build()
        .unwrap();
    let rt = runtime();

    rows.push(data_cut_row(&mailer, &rt, &big));

    // Dovecot's connection dies during APPEND: the copy stays spooled, and
    // a retry files it exactly once.
    let (imap_cut, cut) = cutting_proxy(s.imap_tls_port, 40_000);
    let account = account_at(
        "faults-append",
        &s.special,
        Some((&s.host, s.smtp_starttls_port)),
        Some(("127.0.0.1", imap_cut)),
    );
    let start = Instant::now();
    let receipt = rt
        .block_on(mailer.send(
            &mailer.resolve(&account),
            email(&s.special, &s.courier, "cut during APPEND").text(big),
        ))
        .unwrap();
    let outcome = match &receipt.filing {
        Filing::Spooled { failure, .. } => failure.code().to_string(),
        other => other.status().to_string(),
    };
    let direct = account_at(
        "faults-append",
        &s.special,
        Some((&s.host, s.smtp_starttls_port)),
        Some((&s.host, s.imap_tls_port)),
    );
    let report = rt
        .block_on(mailer.retry_spool_now(
            |key| (key == direct.id()).then(|| mailer.resolve(&direct)),
            |_, _| {},
        ))
        .unwrap();
    let left = rt
        .block_on(mailer.spool().entries())
        .unwrap()
        .iter()
        .filter(|e| e.account == direct.id())
        .count();
    let filed = copies(&s.special, "Sent", &receipt.message_id).len();
    rows.push(Row {
        scenario: "Dovecot dies during APPEND, then a retry",
        expected: "IM013",
        outcome,
        time: start.elapsed(),
        lost: usize::from(filed == 0),
        duplicates: filed.saturating_sub(1),
        problem: if !cut.load(Ordering::SeqCst) {
            Some("the proxy never cut".into())
        } else if report.filed != 1 || left != 0 {
            Some(format!("the retry did not file it once: {report:?}"))
        } else {
            None
        },
    });
    rows
}

/// An account whose `ca_file` holds no certificate: a settings error
/// when the file is read (as a missing file is), never a connection
/// failure blamed on the port; nothing is sent.
fn ca_file_rows() -> Vec<Row> {
    let s = Servers::get();
    let dir = spool_dir("faults-ca-file");
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "# the certificate was to be pasted here\n").unwrap();
    let mut settings = common::account(&s.special).settings().clone();
    settings.ca_file = Some(empty.display().to_string());
    let account = courriel::Account::new("faults-ca-file", settings)
        .with_smtp_password(&s.special.password)
        .with_imap_password(&s.special.password);
    let outcome = |e: &std::io::Error| match courriel::input::InputError::of(e) {
        Some(courriel::input::InputError::NoCertificate(_)) => "ca_file".to_string(),
        _ => format!("ca_file: {e}"),
    };
    let mailer = Mailer::builder(dir.join("spool")).build().unwrap();
    let start = Instant::now();
    let sent = runtime().block_on(mailer.send(
        &mailer.resolve(&account),
        email(&s.special, &s.courier, "CA file without a certificate"),
    ));
    let smtp = match &sent {
        Ok(_) => "sent".to_string(),
        Err(courriel::SendError::CaFile(_, e)) => outcome(e),
        Err(e) => e.to_string(),
    };
    let mut smtp = row(
        "CA file without a certificate (SMTP)",
        "ca_file",
        (smtp, start.elapsed()),
    );
    if sent.is_ok() {
        smtp.problem = Some("sent despite an unusable CA file".into());
    }
    let start = Instant::now();
    let imap = match courriel::connect::imap_settings(courriel::Catalog::builtin(), &account) {
        Ok(_) => "usable".to_string(),
        Err(courriel::connect::SettingsError::CaFile(_, e)) => outcome(&e),
        Err(e) => format!("{e:?}"),
    };
    vec![
        smtp,
        row(
            "CA file without a certificate (IMAP)",
            "ca_file",
            (imap, start.elapsed()),
        ),
    ]
}

/// What a scripted SMTP server did: each message's Message-ID with the
/// reply it gave to its end of data, and whether a MAIL was ever heard.
#[derive(Default)]
struct Heard {
    replies: Mutex<Vec<(String, String)>>,
    mail: AtomicBool,
    /// The last MAIL FROM line.
    mail_line: Mutex<String>,
}

/// An SMTP server over implicit TLS with the test certificate: announces
/// `capabilities`, accepts any AUTH PLAIN, MAIL and RCPT, and answers the
/// end of the `n`th message (from 0, all connections together) with
/// `end_of_data(n)`.
fn smtp_scripted(
    capabilities: &'static str,
    end_of_data: impl Fn(usize) -> &'static str + Send + Sync + 'static,
) -> (u16, Arc<Heard>) {
    let heard = Arc::new(Heard::default());
    let log = heard.clone();
    let port = serve(true, move |mut s| {
        if smtp_greet(&mut s, capabilities).is_none() {
            return;
        }
        while let Some(line) = s.hear() {
            let verb = line
                .split([' ', ':'])
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            match verb.as_str() {
                "AUTH" => s.say("235 2.7.0 ok\r\n"),
                "MAIL" => {
                    log.mail.store(true, Ordering::SeqCst);
                    log.mail_line.lock().unwrap().clone_from(&line);
                    s.say("250 2.1.0 ok\r\n");
                }
                "DATA" => {
                    s.say("354 go\r\n");
                    let mut id = String::new();
                    while let Some(line) = s.hear() {
                        if line == "." {
                            break;
                        }
                        if let Some(v) = line.strip_prefix("Message-ID:") {
                            id = v.trim().trim_matches(['<', '>']).to_string();
                        }
                    }
                    let mut replies = log.replies.lock().unwrap();
                    let reply = end_of_data(replies.len());
                    replies.push((id, reply.lines().next().unwrap_or("").to_string()));
                    drop(replies);
                    s.say(reply);
                }
                "QUIT" => {
                    s.say("221 bye\r\n");
                    return;
                }
                _ => s.say("250 ok\r\n"),
            }
        }
    });
    (port, heard)
}

/// A mailer whose SMTP steps are bounded like the scripted servers'.
fn quick_mailer(test: &str) -> Mailer {
    Mailer::builder(spool_dir(test))
        .smtp_timeouts(SmtpTimeouts {
            connect: BOUND,
            tls: BOUND,
            greeting: BOUND,
            command: BOUND,
            data: BOUND,
        })
        .build()
        .unwrap()
}

/// Sends each of `emails` in turn as an account of the server on `port`
/// (implicit TLS, no IMAP), as `courriel send --to-list` does: the codes
/// (`ok` when reported sent) joined by commas, the time, and the
/// Message-IDs reported sent.
fn send_each(port: u16, emails: Vec<courriel::Email>) -> (String, Duration, Vec<String>) {
    let s = Servers::get();
    let mailer = quick_mailer("faults-transport");
    let account = implicit_smtp(&account_at(
        "faults-transport",
        &s.special,
        Some(("127.0.0.1", port)),
        None,
    ));
    let rt = runtime();
    let start = Instant::now();
    let mut codes = Vec::new();
    let mut sent = Vec::new();
    for email in emails {
        match rt.block_on(mailer.send(&mailer.resolve(&account), email)) {
            Ok(receipt) => {
                codes.push("ok".to_string());
                sent.push(receipt.message_id);
            }
            Err(e) => codes.push(
                e.failure()
                    .map_or_else(|| e.to_string(), |f| f.code().to_string()),
            ),
        }
    }
    (codes.join(","), start.elapsed(), sent)
}

/// What is wrong when a message reported sent had an end-of-data reply
/// other than 2xx, or when the server heard a MAIL it should not have.
fn wrongly_sent(heard: &Heard, sent: &[String], mail_allowed: bool) -> Option<String> {
    let replies = heard.replies.lock().unwrap();
    let wrong: Vec<String> = sent
        .iter()
        .filter(|id| {
            !replies
                .iter()
                .any(|(heard, reply)| heard == *id && reply.starts_with('2'))
        })
        .map(|id| {
            let reply = replies.iter().find(|(heard, _)| heard == id);
            format!(
                "{id} ({})",
                reply.map_or("never received", |(_, r)| r.as_str())
            )
        })
        .collect();
    if !wrong.is_empty() {
        Some(format!("reported sent: {}", wrong.join(", ")))
    } else if !mail_allowed && heard.mail.load(Ordering::SeqCst) {
        Some("the server heard a MAIL FROM".into())
    } else {
        None
    }
}

/// The transport against servers out of step, with mechanisms, extensions
/// or certificates it cannot use (issue 17, items 7, 10 and 11): each with
/// its code, nothing reported sent that the server did not take, nothing
/// transmitted that it announced it would refuse.
/// A sender refused in another server's words and at another step.
fn sender_refused_rows() -> Vec<Row> {
    let s = Servers::get();
    let mail = |subject: &str| email(&s.special, &s.courier, subject);
    // Microsoft 365 refuses the sender only after the message: SM010 (not
    // "the content was rejected"), and nothing is reported sent.
    let (port, _) = smtp_scripted(
        "250 AUTH PLAIN",
        |_| "550 5.7.60 SMTP; Client does not have permissions to send as this sender\r\n",
    );
    let (outcome, time, sent) = send_each(port, vec![mail("send as")]);
    let mut r = row(
        "SMTP: the sender refused after DATA (Microsoft 365)",
        "SM010",
        (outcome, time),
    );
    r.problem = (!sent.is_empty()).then(|| format!("reported sent: {sent:?}"));
    vec![r]
}

fn transport_rows() -> Vec<Row> {
    let s = Servers::get();
    let mut rows = Vec::new();
    let mail = |subject: &str| email(&s.special, &s.courier, subject);

    // One end of data answered twice, then 554 for every later message:
    // the second 250 must not be taken for the next message's reply.
    let (port, heard) = smtp_scripted("250 AUTH PLAIN", |n| {
        if n == 0 {
            "250 2.0.0 queued\r\n250 2.0.0 queued again\r\n"
        } else {
            "554 5.7.1 refused\r\n"
        }
    });
    let (outcome, time, sent) =
        send_each(port, (0..3).map(|i| mail(&format!("step {i}"))).collect());
    let mut r = row(
        "SMTP: one end of data answered twice, then 554",
        "ok,SM014,SM014",
        (outcome, time),
    );
    r.problem = wrongly_sent(&heard, &sent, true);
    rows.push(r);

    // The end of data answered with a 3xx: not a success.
    let (port, heard) = smtp_scripted("250 AUTH PLAIN", |_| "354 go on\r\n");
    let (outcome, time, sent) = send_each(port, vec![mail("answered 354")]);
    let mut r = row(
        "SMTP: answers the end of data with 354",
        "SM016",
        (outcome, time),
    );
    r.problem = wrongly_sent(&heard, &sent, true);
    rows.push(r);

    // Only CRAM-MD5 (or nothing we speak): not the password's fault.
    let (port, _) = smtp_scripted("250 AUTH CRAM-MD5", |_| "250 ok\r\n");
    rows.push(row(
        "SMTP: offers only AUTH CRAM-MD5",
        "SM017",
        smtp(port, Security::ImplicitTls),
    ));

    // A non-ASCII recipient, a server without SMTPUTF8: refused before MAIL.
    let (port, heard) = smtp_scripted("250-AUTH PLAIN\r\n250 8BITMIME", |_| "250 ok\r\n");
    let jose = courriel::EmailAddress::parse("josé@exemple.fr").unwrap();
    let (outcome, time, sent) = send_each(
        port,
        vec![mail("SMTPUTF8").to(courriel::Mailbox::new(jose))],
    );
    let mut r = row(
        "SMTP: no SMTPUTF8, a non-ASCII recipient",
        "SM020",
        (outcome, time),
    );
    r.problem = wrongly_sent(&heard, &sent, false);
    rows.push(r);

    // The same with SMTPUTF8 offered: sent, saying SMTPUTF8 in MAIL FROM.
    let (port, heard) = smtp_scripted("250-AUTH PLAIN\r\n250 SMTPUTF8", |_| "250 ok\r\n");
    let jose = courriel::EmailAddress::parse("josé@exemple.fr").unwrap();
    let (outcome, time, sent) = send_each(
        port,
        vec![mail("SMTPUTF8").to(courriel::Mailbox::new(jose))],
    );
    let mut r = row(
        "SMTP: SMTPUTF8 offered, a non-ASCII recipient",
        "ok",
        (outcome, time),
    );
    r.problem = wrongly_sent(&heard, &sent, true).or_else(|| {
        let line = heard.mail_line.lock().unwrap().clone();
        (!line.to_ascii_uppercase().contains(" SMTPUTF8"))
            .then(|| format!("MAIL without SMTPUTF8: {line}"))
    });
    rows.push(r);

    // A message over the SIZE announced: refused before MAIL.
    let (port, heard) = smtp_scripted("250-AUTH PLAIN\r\n250 SIZE 1000", |_| "250 ok\r\n");
    let (outcome, time, sent) = send_each(
        port,
        vec![mail("SIZE").text("Lorem ipsum dolor sit amet.\n".repeat(100))],
    );
    let mut r = row("SMTP: announces SIZE 1000", "SM021", (outcome, time));
    r.problem = wrongly_sent(&heard, &sent, false);
    rows.push(r);

    // STARTTLS offered, then refused: a TLS failure, not "not offered".
    let refused = serve(false, |mut s| {
        if smtp_greet(&mut s, "250 STARTTLS").is_some() && s.hear().is_some() {
            s.say("454 4.7.0 TLS not available due to local problem\r\n");
            let _ = s.hear();
        }
    });
    rows.push(row(
        "SMTP: offers STARTTLS, then refuses it (454)",
        "SM019",
        smtp(refused, Security::Starttls),
    ));

    // A certificate signed by the trusted CA, but expired.
    let expired = courriel_testkit::expired::expired_tls_server();
    rows.push(row(
        "SMTP: an expired certificate",
        "SM018",
        smtp(expired, Security::ImplicitTls),
    ));
    rows.push(row(
        "IMAP: an expired certificate",
        "IM015",
        imap(expired, Security::ImplicitTls),
    ));
    rows
}

/// The account's SMTP server over implicit TLS.
fn implicit_smtp(account: &courriel::Account) -> courriel::Account {
    let mut settings = account.settings().clone();
    if let Some(smtp) = settings.smtp.as_mut() {
        smtp.security = Some("implicit-tls".into());
    }
    let s = Servers::get();
    courriel::Account::new(account.id(), settings)
        .with_smtp_password(&s.special.password)
        .with_imap_password(&s.special.password)
}

fn main() {
    let started = Instant::now();
    let mut rows = smtp_rows();
    rows.extend(imap_rows());
    rows.extend(mid_transaction_rows());
    rows.extend(ca_file_rows());
    rows.extend(transport_rows());
    rows.extend(sender_refused_rows());
    println!(
        "{:<48} {:>8} {:>8} {:>8} {:>5} {:>10}  problem",
        "scenario", "expected", "outcome", "time", "lost", "duplicates"
    );
    let mut failed = 0;
    for r in &rows {
        let within = r.time <= BOUND * 3;
        let ok = r.outcome == r.expected
            && r.lost == 0
            && r.duplicates == 0
            && r.problem.is_none()
            && within;
        if !ok {
            failed += 1;
        }
        println!(
            "{:<48} {:>8} {:>8} {:>7.2}s {:>5} {:>10}  {}{}",
            r.scenario,
            r.expected,
            r.outcome,
            r.time.as_secs_f64(),
            r.lost,
            r.duplicates,
            r.problem.as_deref().unwrap_or(""),
            if within { "" } else { " (over its bound)" }
        );
    }
    println!(
        "{} scenarios, {failed} wrong, in {:.1}s",
        rows.len(),
        started.elapsed().as_secs_f64()
    );
    if failed > 0 {
        std::process::exit(1);
    }
}
