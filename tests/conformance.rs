//! The conformance suite: the same scenarios through the `Mailer` against
//! every pair of the project's real SMTP servers (Postfix, Exim) and IMAP
//! servers (Dovecot, Cyrus): check; send and file, the copy compared byte
//! for byte with what the recipient's mailbox received (trace fields
//! aside), `\Seen`, exactly one copy; the Sent folder found by its
//! attribute, by its French name, or created in a mailbox holding only
//! INBOX; a wrong password on each protocol; a sender refused; IMAP down
//! at send time, the connection cut during APPEND, the APPEND's answer
//! lost, each followed by a retry that files the copy exactly once; and
//! signed in with OAuth2 tokens, where both servers take them, and OA010
//! where one offers no OAuth2 mechanism.
//!
//! It prints a matrix (scenario × server pair → code and outcome) and
//! fails if any cell differs from what is expected:
//! `cargo test -p courriel-conformance --test conformance`.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::Duration;

use courriel::{Email, EmailAddress, Filing, Mailbox, Mailer};
use courriel_conformance::{
    ImapServer, SmtpServer, account, imap_servers, oauth2_account, smtp_servers,
};
use courriel_testkit::hostile::{cutting_proxy, reply_losing_proxy};
use courriel_testkit::message::without_trace;
use courriel_testkit::{Account as TestAccount, Servers, closed, runtime};

/// What one cell found: the outcome shown, and what is wrong, if anything.
struct Cell {
    outcome: String,
    problem: Option<String>,
}

impl Cell {
    fn check(outcome: impl Into<String>, expected: &str) -> Cell {
        let outcome = outcome.into();
        let problem = (outcome != expected).then(|| format!("expected {expected}"));
        Cell { outcome, problem }
    }
}

/// One pair of servers and a fresh mailer for each scenario.
struct Pair {
    smtp: SmtpServer,
    imap: ImapServer,
}

impl Pair {
    fn label(&self) -> String {
        format!("{}+{}", self.smtp.name, self.imap.name)
    }

    fn mailer(&self, scenario: &str) -> Mailer {
        let dir = std::env::temp_dir().join(format!(
            "courriel-conformance-{}-{scenario}-{}",
            self.label(),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Mailer::builder(dir).build().expect("a mailer")
    }

    fn id(&self, scenario: &str) -> String {
        format!("{}-{scenario}", self.label())
    }

    /// The account `who` through this pair, IMAP on `imap_port`.
    fn account(&self, scenario: &str, who: &TestAccount, imap_port: u16) -> courriel::Account {
        account(&self.id(scenario), who, self.smtp.port, imap_port)
    }
}

fn email(from: &TestAccount, to: &TestAccount, subject: &str, body: String) -> Email {
    let address = |a: &TestAccount| EmailAddress::parse(&a.address).expect("an address");
    Email::from(Mailbox::new(address(from)))
        .to(Mailbox::new(address(to)))
        .subject(subject)
        .text(body)
}

/// A body large enough that a proxy can act in the middle of its APPEND
/// (about 300 KB).
fn big_body() -> String {
    "Ligne de facture, montant 42,00 EUR, TVA 20 %.\n".repeat(6_000)
}

/// Sends `who` a message from itself through the pair, then checks the
/// Sent copy against what INBOX received: byte for byte (trace fields
/// aside), `\Seen`, exactly one, in `folder`. `created` says whether the
/// receipt must say the folder was created.
fn send_and_compare(
    pair: &Pair,
    scenario: &str,
    who: &TestAccount,
    folder: &str,
    created: bool,
) -> Cell {
    let account = pair.account(scenario, who, pair.imap.port);
    send_and_compare_as(pair, scenario, who, folder, created, &account)
}

/// [`send_and_compare`] as `account` (`who`'s, signing in its own way).
fn send_and_compare_as(
    pair: &Pair,
    scenario: &str,
    who: &TestAccount,
    folder: &str,
    created: bool,
    account: &courriel::Account,
) -> Cell {
    let mailer = pair.mailer(scenario);
    let subject = format!("Facture ({}, {scenario})", pair.label());
    let body = "Bonjour,\nvoici la facture.\n.\nCordialement\n".to_string();
    let receipt = match runtime()
        .block_on(mailer.send(&mailer.resolve(account), email(who, who, &subject, body)))
    {
        Ok(receipt) => receipt,
        Err(e) => return Cell::check(format!("not sent: {e:?}"), "filed"),
    };
    let (outcome, mut problem) = match &receipt.filing {
        Filing::Filed {
            folder: filed,
            created: was_created,
        } => {
            let outcome = if *was_created {
                format!("created {filed}")
            } else {
                format!("filed {filed}")
            };
            let wrong = (filed != folder || *was_created != created)
                .then(|| format!("expected {folder}, created: {created}"));
            (outcome, wrong)
        }
        other => (
            format!(
                "{} {}",
                other.status(),
                other.summary(courriel_core::account::Lang::En)
            ),
            Some("not filed".to_string()),
        ),
    };
    if problem.is_none() {
        let s = Servers::get();
        let copies = s
            .imap_on(pair.imap.port, who)
            .messages(folder, &receipt.message_id);
        let received = s.delivered(pair.imap.port, who, &receipt.message_id).pop();
        problem = match (copies.as_slice(), received) {
            (_, None) => Some("never delivered".into()),
            ([copy], Some(received)) => {
                if copy.message.as_bytes() != receipt.message.as_slice() {
                    Some("the copy is not the bytes sent".into())
                } else if without_trace(&received.message) != copy.message {
                    Some("the copy differs from what the recipient received".into())
                } else if !copy.flags.contains("\\Seen") {
                    Some(format!("not \\Seen: {}", copy.flags))
                } else {
                    None
                }
            }
            (copies, _) => Some(format!("{} copies", copies.len())),
        };
    }
    let outcome = match &problem {
        None => format!("{outcome}, identical, \\Seen, once"),
        Some(_) => outcome,
    };
    Cell { outcome, problem }
}

fn check(pair: &Pair) -> Cell {
    let mailer = pair.mailer("check");
    let report =
        runtime().block_on(mailer.check(&pair.account("check", &pair.imap.marked, pair.imap.port)));
    let smtp = match &report.smtp {
        courriel::ServerCheck::Ok(()) => "ok".to_string(),
        courriel::ServerCheck::Failed(f) => f.code().to_string(),
        other => format!("{other:?}"),
    };
    let imap = match &report.imap {
        courriel::ServerCheck::Ok(found) => match &found.sent {
            Some(sent) => format!("{} ({})", sent.folder.raw, sent.reason.as_str()),
            None => "no Sent folder".into(),
        },
        courriel::ServerCheck::Failed(f) => f.code().to_string(),
        other => format!("{other:?}"),
    };
    let (folder, reason) = pair.imap.marked_sent;
    Cell::check(
        format!("SMTP {smtp}, IMAP {imap}"),
        &format!("SMTP ok, IMAP {folder} ({reason})"),
    )
}

fn wrong_password(pair: &Pair, smtp: bool) -> Cell {
    let mailer = pair.mailer(if smtp {
        "smtp-password"
    } else {
        "imap-password"
    });
    let who = &pair.imap.marked;
    let account = if smtp {
        pair.account("password", who, pair.imap.port)
            .with_smtp_password("not-the-password")
    } else {
        pair.account("password", who, pair.imap.port)
            .with_imap_password("not-the-password")
    };
    let report = runtime().block_on(mailer.check(&account));
    if smtp {
        Cell::check(code(&report.smtp), "SM009")
    } else {
        Cell::check(code(&report.imap), "IM009")
    }
}

/// A server check's code: `ok`, or the failure's.
fn code<T>(check: &courriel::ServerCheck<T>) -> String {
    match check {
        courriel::ServerCheck::Failed(f) => f.code().to_string(),
        courriel::ServerCheck::Ok(_) => "ok".to_string(),
        _ => "not checked".to_string(),
    }
}

fn sender_refused(pair: &Pair) -> Cell {
    let s = Servers::get();
    let mailer = pair.mailer("sender");
    let who = &pair.imap.marked;
    // Sending as someone else's address: the server refuses the sender.
    let result = runtime().block_on(mailer.send(
        &mailer.resolve(&pair.account("sender", who, pair.imap.port)),
        email(&s.scratch, who, "not mine to send", "x\n".into()),
    ));
    let outcome = match result {
        Ok(receipt) => format!("sent: {}", receipt.reply),
        Err(e) => e
            .failure()
            .map_or_else(|| format!("{e:?}"), |f| f.code().to_string()),
    };
    let spooled = runtime()
        .block_on(mailer.spool().entries())
        .map_or(0, |e| e.len());
    let mut cell = Cell::check(outcome, "SM010");
    if spooled != 0 {
        cell.problem = Some(format!("{spooled} copies left in the spool"));
    }
    cell
}

/// The copy could not be filed at send time (`imap_port` leads nowhere
/// good): the receipt says `expected`, and a retry through the real port
/// files it exactly once (`already`: found there by its Message-ID).
fn then_retry(pair: &Pair, scenario: &str, imap_port: u16, expected: &str, already: bool) -> Cell {
    let mailer = pair.mailer(scenario);
    let who = &pair.imap.marked;
    let (folder, _) = pair.imap.marked_sent;
    let rt = runtime();
    let receipt = match rt.block_on(mailer.send(
        &mailer.resolve(&pair.account(scenario, who, imap_port)),
        email(who, who, &format!("Facture ({scenario})"), big_body()),
    )) {
        Ok(receipt) => receipt,
        Err(e) => return Cell::check(format!("not sent: {e:?}"), expected),
    };
    let first = match &receipt.filing {
        Filing::Spooled { failure, .. } => failure.code().to_string(),
        other => other.status().to_string(),
    };
    // The server's own pace: an APPEND whose answer was lost is stored
    // by then.
    std::thread::sleep(Duration::from_millis(300));
    let direct = pair.account(scenario, who, pair.imap.port);
    let report = rt
        .block_on(mailer.retry_spool_now(
            |key| (key == direct.id()).then(|| mailer.resolve(&direct)),
            |_, _| {},
        ))
        .expect("a retry");
    let left = rt
        .block_on(mailer.spool().entries())
        .map_or(usize::MAX, |e| e.len());
    let copies = Servers::get()
        .imap_on(pair.imap.port, who)
        .messages(folder, &receipt.message_id)
        .len();
    let retried = if already {
        format!("retry: already filed {}", report.already_filed)
    } else {
        format!("retry: filed {}", report.filed)
    };
    let outcome = format!(
        "{first}, {retried}, {copies} cop{}",
        if copies == 1 { "y" } else { "ies" }
    );
    let mut cell = Cell::check(
        outcome,
        &format!(
            "{expected}, retry: {} 1, 1 copy",
            if already { "already filed" } else { "filed" }
        ),
    );
    if cell.problem.is_none() && left != 0 {
        cell.problem = Some(format!("{left} entries left in the spool"));
    }
    cell
}

/// Signed in with OAuth2 tokens instead of passwords: where both servers
/// take them (Postfix and Dovecot, validating them with the authorization
/// server), sent and filed as with a password; a server that offers no
/// OAuth2 mechanism (Exim, Cyrus here) is OA010 on its side, never a
/// password tried instead: on SMTP nothing is sent, on IMAP the message
/// is sent and its copy waits in the spool.
fn oauth2(pair: &Pair) -> Cell {
    let who = &pair.imap.marked;
    let (folder, _) = pair.imap.marked_sent;
    let smtp_ok = pair.smtp.takes_oauth2;
    let imap_ok = pair.imap.takes_oauth2;
    if smtp_ok && imap_ok {
        let account = oauth2_account(&pair.id("oauth2"), who, pair.smtp.port, pair.imap.port);
        let mut cell = send_and_compare_as(pair, "oauth2", who, folder, false, &account);
        cell.outcome = format!("tokens: {}", cell.outcome);
        return cell;
    }
    let mailer = pair.mailer("oauth2");
    let account = oauth2_account(&pair.id("oauth2"), who, pair.smtp.port, pair.imap.port);
    let result = runtime().block_on(mailer.send(
        &mailer.resolve(&account),
        email(who, who, "Facture (oauth2)", "Bonjour\n".into()),
    ));
    let spooled = runtime()
        .block_on(mailer.spool().entries())
        .map_or(0, |e| e.len());
    let outcome = match &result {
        Ok(receipt) => match &receipt.filing {
            Filing::Spooled { failure, .. } => {
                format!("sent, copy spooled: {}, {spooled} waiting", failure.code())
            }
            other => format!("sent, {}", other.status()),
        },
        Err(e) => format!(
            "not sent: {}, {spooled} waiting",
            e.failure()
                .map_or_else(|| format!("{e:?}"), |f| f.code().to_string())
        ),
    };
    let expected = if smtp_ok {
        "sent, copy spooled: OA010, 1 waiting"
    } else {
        "not sent: OA010, 0 waiting"
    };
    Cell::check(outcome, expected)
}

type Scenario = (&'static str, fn(&Pair) -> Cell);

fn scenarios() -> Vec<Scenario> {
    vec![
        ("check (SMTP and IMAP, Sent folder)", check),
        ("send, file in the \\Sent-marked folder", |p| {
            let (folder, _) = p.imap.marked_sent;
            send_and_compare(p, "marked", &p.imap.marked, folder, false)
        }),
        ("send, file in the French-named folder", |p| {
            send_and_compare(
                p,
                "localized",
                &p.imap.localized,
                p.imap.localized_sent,
                false,
            )
        }),
        ("send, only INBOX: Sent created", |p| {
            Servers::get()
                .imap_on(p.imap.port, &p.imap.bare)
                .keep_only_inbox();
            let mut cell = send_and_compare(p, "bare", &p.imap.bare, p.imap.bare_sent, true);
            let marked = Servers::get()
                .imap_on(p.imap.port, &p.imap.bare)
                .list("\"\" \"*\" RETURN (SPECIAL-USE)")
                .expect("LIST")
                .iter()
                .any(|e| e.name == p.imap.bare_sent && e.attributes.iter().any(|a| a == "\\Sent"));
            if marked {
                cell.outcome.push_str(", marked \\Sent");
            }
            // As found: the next pair, and other suites, meet only INBOX.
            Servers::get()
                .imap_on(p.imap.port, &p.imap.bare)
                .keep_only_inbox();
            if cell.problem.is_none() && marked != p.imap.marks_created {
                cell.problem = Some(format!(
                    "marked \\Sent: {marked}, expected {}",
                    p.imap.marks_created
                ));
            }
            cell
        }),
        ("wrong SMTP password", |p| wrong_password(p, true)),
        ("wrong IMAP password", |p| wrong_password(p, false)),
        ("sender not the login's", sender_refused),
        ("signed in with OAuth2 tokens", oauth2),
        ("IMAP down at send, then retry", |p| {
            then_retry(p, "down", closed(), "IM003", false)
        }),
        ("connection cut during APPEND, then retry", |p| {
            let (port, cut) = cutting_proxy(p.imap.port, 100_000);
            let mut cell = then_retry(p, "cut", port, "IM013", false);
            if !cut.load(Ordering::SeqCst) {
                cell.problem = Some("the proxy never cut".into());
            }
            cell
        }),
        ("APPEND's answer lost, then retry", |p| {
            let (port, deaf) = reply_losing_proxy(p.imap.port, 100_000, Duration::from_secs(2));
            let mut cell = then_retry(p, "lost", port, "IM013", true);
            if !deaf.load(Ordering::SeqCst) {
                cell.problem = Some("the proxy never lost an answer".into());
            }
            cell
        }),
    ]
}

fn main() {
    let mut pairs = Vec::new();
    for imap in imap_servers() {
        for smtp in smtp_servers() {
            pairs.push(Pair {
                smtp,
                imap: imap.clone(),
            });
        }
    }
    let mut table = String::new();
    let mut failures = Vec::new();
    let _ = writeln!(table, "conformance: scenario x server pair (SMTP+IMAP)");
    for (name, run) in scenarios() {
        let _ = writeln!(table, "\n{name}");
        for pair in &pairs {
            let cell = run(pair);
            let mark = if cell.problem.is_none() {
                "ok  "
            } else {
                "FAIL"
            };
            let _ = writeln!(table, "  {mark} {:<16} {}", pair.label(), cell.outcome);
            if let Some(problem) = cell.problem {
                failures.push(format!(
                    "{name} / {}: {} ({problem})",
                    pair.label(),
                    cell.outcome
                ));
            }
        }
    }
    let cells = scenarios().len() * pairs.len();
    let _ = writeln!(
        table,
        "\n{} cells, {} as expected, {} not",
        cells,
        cells - failures.len(),
        failures.len()
    );
    println!("{table}");
    if !failures.is_empty() {
        eprintln!("conformance failures:\n  {}", failures.join("\n  "));
        std::process::exit(1);
    }
}
