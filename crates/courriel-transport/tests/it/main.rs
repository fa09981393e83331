//! courriel-transport against the real Postfix (and a hostile local server),
//! and against a local server that answers like SendGrid's API.

mod oauth2;
mod route;
mod sendgrid;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use courriel_core::account::Lang;
use courriel_core::{EmailAddress, Security};
use courriel_testkit::message::Stored;
use courriel_testkit::{Account, Servers};
use courriel_transport::{Email, Mailbox, SmtpSettings, check, send};

pub(crate) fn settings(account: &Account, port: u16, security: Security) -> SmtpSettings {
    let s = Servers::get();
    let mut settings =
        SmtpSettings::new(&s.host, port, security, &account.address, &account.password)
            .with_extra_ca(std::fs::read(&s.ca).unwrap());
    settings.timeouts.greeting = Duration::from_secs(2);
    settings.timeouts.tls = Duration::from_secs(5);
    settings
}

pub(crate) use courriel_testkit::runtime;

pub(crate) fn addr(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

/// Waits until `message_id` is in `account`'s INBOX (delivery goes through
/// Postfix's queue and LMTP) and returns it.
fn delivered(account: &Account, message_id: &str) -> Stored {
    let s = Servers::get();
    s.delivered(s.imap_tls_port, account, message_id)
        .pop()
        .unwrap_or_else(|| panic!("{message_id} never reached {}", account.address))
}

#[test]
fn sends_on_both_ports_and_the_bcc_header_is_not_transmitted() {
    let s = Servers::get();
    let rt = runtime();
    for (port, security) in [
        (s.smtp_tls_port, Security::ImplicitTls),
        (s.smtp_starttls_port, Security::Starttls),
    ] {
        let email = Email::from(Mailbox::named("Alice", addr(&s.special.address)))
            .to(Mailbox::new(addr(&s.courier.address)))
            .bcc(Mailbox::new(addr(&s.localized.address)))
            .subject(format!("Facture — port {port}"))
            .text("Bonjour,\n.ligne qui commence par un point\n");
        let rendered = email.render().unwrap();
        let receipt = rt
            .block_on(send(&settings(&s.special, port, security), &rendered))
            .unwrap();
        assert!(receipt.reply.starts_with("250"), "{receipt:?}");
        assert_eq!(receipt.accepted.len(), 2);
        assert!(!receipt.is_partial());
        let received = delivered(&s.courier, &rendered.message_id);
        let to_header = received.header();
        assert!(
            !to_header.to_ascii_lowercase().contains("bcc:"),
            "{to_header}"
        );
        delivered(&s.localized, &rendered.message_id);
    }
}

/// The message is written in 64 KiB slices, dot-stuffed one after the
/// other: a line starting with "." right at a slice boundary must still be
/// stuffed (and unstuffed by the server), or the message would be cut or
/// changed. The attachment is moved into the rendering (`into_rendered`).
#[test]
fn a_dot_line_across_a_write_boundary_arrives_intact() {
    let s = Servers::get();
    let date = std::time::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    let email = |text: String| {
        Email::from(Mailbox::new(addr(&s.special.address)))
            .to(Mailbox::new(addr(&s.courier.address)))
            .subject("Points")
            .text(text)
    };
    // Where the body starts in the transmitted bytes (headers do not depend
    // on a short 7-bit body's length).
    let id = format!("dots.{}@courriel.test", std::process::id());
    let probe = email("x\n".into())
        .render_at(date, Some(&id))
        .unwrap()
        .transmitted();
    let body_at = probe.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    // Lines of 64 bytes ("." + 61 + CRLF); the filler makes a "." line
    // start exactly at offset 65536 of the transmitted message.
    let filler = (65_536 - body_at) % 64;
    let filler = if filler < 2 { filler + 64 } else { filler };
    let mut text = "f".repeat(filler - 2) + "\n";
    assert_eq!((body_at + text.len() + 1) % 64, 0, "one LF becomes CRLF");
    for i in 0..2_100 {
        writeln!(text, ".{i:061}").unwrap();
    }
    let rendered = email(text.clone()).render_at(date, Some(&id)).unwrap();
    let wire = rendered.transmitted();
    assert_eq!(wire[65_536], b'.', "the test puts a dot at the boundary");
    assert_eq!(&wire[65_534..65_536], b"\r\n");
    let receipt = runtime()
        .block_on(send(
            &settings(&s.special, s.smtp_tls_port, Security::ImplicitTls),
            &rendered,
        ))
        .unwrap();
    assert!(receipt.reply.starts_with("250"), "{receipt:?}");
    let received = delivered(&s.courier, &id);
    let body = received.body();
    assert!(body.contains(&text.replace('\n', "\r\n")), "body changed");

    // Moving the attachment into the rendering gives the same message.
    let attached = |e: Email| e.attach("a.bin", "application/octet-stream", vec![7u8; 100_000]);
    let borrowed = attached(email("x\n".into())).render().unwrap();
    let owned = attached(email("x\n".into())).into_rendered().unwrap();
    let body_of = |r: &courriel_transport::Rendered| {
        let bytes = r.transmitted();
        let text = String::from_utf8(bytes).unwrap();
        let boundary = text
            .split("boundary=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        text.split(&boundary)
            .skip(2)
            .collect::<Vec<_>>()
            .join("|")
            .replace(&boundary, "")
    };
    assert_eq!(body_of(&borrowed), body_of(&owned));
    assert!(owned.transmitted_len() > 133_000, "the attachment is in it");
}

#[test]
fn check_logs_in_without_sending() {
    let s = Servers::get();
    runtime()
        .block_on(check(&settings(
            &s.special,
            s.smtp_starttls_port,
            Security::Starttls,
        )))
        .unwrap();
}

fn failure_code(
    account: &Account,
    port: u16,
    security: Security,
    from: &str,
    to: &[&str],
) -> String {
    failure_of(account, port, security, from, to)
        .code()
        .to_string()
}

fn failure_of(
    account: &Account,
    port: u16,
    security: Security,
    from: &str,
    to: &[&str],
) -> courriel_core::failure::Failure {
    let mut email = Email::from(Mailbox::new(addr(from))).subject("x").text("x");
    for t in to {
        email = email.to(Mailbox::new(addr(t)));
    }
    let rendered = email.render().unwrap();
    let failure = runtime()
        .block_on(send(&settings(account, port, security), &rendered))
        .unwrap_err();
    assert!(
        !failure.message(Lang::Fr).contains("{$"),
        "{}",
        failure.message(Lang::Fr)
    );
    failure
}

#[test]
fn a_failure_says_the_step_it_happened_at() {
    use courriel_core::failure::Step;
    let s = Servers::get();
    let mut wrong = s.special.clone();
    wrong.password = "not-the-password".into();
    let port = s.smtp_tls_port;
    let at = |account: &Account, from: &str, to: &[&str]| {
        let failure = failure_of(account, port, Security::ImplicitTls, from, to);
        (
            failure.code().to_string(),
            failure.step(),
            failure.handed_over(),
        )
    };
    let special = s.special.address.as_str();
    assert_eq!(
        at(&wrong, special, &[&s.courier.address]),
        ("SM009".into(), Some(Step::Connect), false)
    );
    assert_eq!(
        at(&s.special, &s.courier.address, &[&s.localized.address]),
        ("SM010".into(), Some(Step::Envelope), false)
    );
    assert_eq!(
        at(&s.special, special, &["nosuchuser@courriel.test"]),
        ("SM011".into(), Some(Step::Envelope), false)
    );
}

#[test]
fn a_wrong_password_is_an_authentication_failure() {
    let s = Servers::get();
    let mut wrong = s.special.clone();
    wrong.password = "not-the-password".into();
    assert_eq!(
        failure_code(
            &wrong,
            s.smtp_tls_port,
            Security::ImplicitTls,
            &s.special.address,
            &[&s.courier.address]
        ),
        "SM009"
    );
}

#[test]
fn a_sender_not_owned_by_the_login_is_sm010() {
    let s = Servers::get();
    assert_eq!(
        failure_code(
            &s.special,
            s.smtp_tls_port,
            Security::ImplicitTls,
            &s.courier.address,
            &[&s.localized.address]
        ),
        "SM010"
    );
}

#[test]
fn one_refused_recipient_gives_a_partial_receipt() {
    let s = Servers::get();
    let email = Email::from(Mailbox::new(addr(&s.special.address)))
        .to(Mailbox::new(addr(&s.courier.address)))
        .to(Mailbox::new(addr("nosuchuser@courriel.test")))
        .subject("partial")
        .text("x");
    let rendered = email.render().unwrap();
    let receipt = runtime()
        .block_on(send(
            &settings(&s.special, s.smtp_tls_port, Security::ImplicitTls),
            &rendered,
        ))
        .unwrap();
    assert!(receipt.is_partial());
    assert_eq!(receipt.accepted, [addr(&s.courier.address)]);
    assert_eq!(receipt.refused[0].0, addr("nosuchuser@courriel.test"));
    assert!(
        receipt.refused[0].1.contains("550"),
        "{:?}",
        receipt.refused
    );
    delivered(&s.courier, &rendered.message_id);
    // Every recipient refused: nothing sent.
    assert_eq!(
        failure_code(
            &s.special,
            s.smtp_tls_port,
            Security::ImplicitTls,
            &s.special.address,
            &["nosuchuser@courriel.test"]
        ),
        "SM011"
    );
}

#[test]
fn ports_and_security_swapped_fail_clearly_within_the_bound() {
    let s = Servers::get();
    let start = Instant::now();
    let from = &s.special.address;
    assert_eq!(
        failure_code(
            &s.special,
            s.smtp_starttls_port,
            Security::ImplicitTls,
            from,
            &[&s.courier.address]
        ),
        "SM007"
    );
    assert_eq!(
        failure_code(
            &s.special,
            s.smtp_tls_port,
            Security::Starttls,
            from,
            &[&s.courier.address]
        ),
        "SM004"
    );
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let s = Servers::get();
    let mut untrusted = settings(&s.special, s.smtp_tls_port, Security::ImplicitTls);
    untrusted.host = s.untrusted_host.clone();
    assert_eq!(
        runtime().block_on(check(&untrusted)).unwrap_err().code(),
        "SM005"
    );
}

#[test]
fn a_server_without_starttls_gets_no_password() {
    let offered = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let heard = offered.clone();
    let port = courriel_testkit::hostile::serve(false, move |mut s| {
        s.say("220 no-tls.example ESMTP\r\n");
        while let Some(line) = s.hear() {
            if line.to_ascii_uppercase().starts_with("AUTH") {
                heard.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            if line.to_ascii_uppercase().starts_with("EHLO") {
                s.say("250-no-tls.example\r\n250 AUTH PLAIN LOGIN\r\n");
            } else {
                s.say("502 no\r\n");
            }
        }
    });
    let s = Servers::get();
    let mut settings = settings(&s.special, port, Security::Starttls);
    settings.host = "127.0.0.1".into();
    assert_eq!(
        runtime().block_on(check(&settings)).unwrap_err().code(),
        "SM008"
    );
    assert!(
        !offered.load(std::sync::atomic::Ordering::SeqCst),
        "a password was offered in clear"
    );
}

#[test]
fn a_message_over_the_size_the_server_announces_is_refused_before_sending() {
    let s = Servers::get();
    // The test Postfix announces SIZE 10485760 (10 MiB); 8 MiB of attachment
    // is ~11 MiB in base64: refused before MAIL, nothing transmitted.
    let big = vec![0xa5u8; 8 * 1024 * 1024];
    let email = Email::from(Mailbox::new(addr(&s.special.address)))
        .to(Mailbox::new(addr(&s.courier.address)))
        .subject("too big")
        .text("x")
        .attach("big.bin", "application/octet-stream", big);
    let rendered = email.render().unwrap();
    assert!(rendered.transmitted_len() > 10 * 1024 * 1024);
    let failure = runtime()
        .block_on(send(
            &settings(&s.special, s.smtp_tls_port, Security::ImplicitTls),
            &rendered,
        ))
        .unwrap_err();
    assert_eq!(failure.code(), "SM021", "{failure}");
    assert!(failure.to_string().contains("10485760"), "{failure}");
}

#[test]
fn one_connection_sends_many_and_survives_a_refused_transaction() {
    use courriel_transport::SmtpConnection;
    let s = Servers::get();
    runtime().block_on(async {
        let mut connection = SmtpConnection::open(&settings(
            &s.special,
            s.smtp_starttls_port,
            Security::Starttls,
        ))
        .await
        .unwrap();
        let mut ids = Vec::new();
        for i in 0..3 {
            let to = if i == 1 {
                "nosuchuser@courriel.test".to_string()
            } else {
                s.courier.address.clone()
            };
            let rendered = Email::from(Mailbox::new(addr(&s.special.address)))
                .to(Mailbox::new(addr(&to)))
                .subject(format!("reuse {i}"))
                .text("x")
                .render()
                .unwrap();
            match connection.send(&rendered, &()).await {
                Ok(_) => ids.push(rendered.message_id),
                Err(f) => assert_eq!((i, f.code()), (1, "SM011")),
            }
            assert!(connection.is_usable());
        }
        assert_eq!(connection.sent(), 2);
        connection.close().await;
        for id in ids {
            delivered(&s.courier, &id);
        }
    });
}

#[test]
fn the_pool_reuses_and_bounds_connections_per_account() {
    use courriel_transport::SmtpPool;
    use std::sync::Arc;
    let s = Servers::get();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pool = Arc::new(SmtpPool::new(2, Duration::from_secs(60)));
    let smtp = settings(&s.special, s.smtp_tls_port, Security::ImplicitTls);
    rt.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..8 {
            let (pool, smtp) = (pool.clone(), smtp.clone());
            let (from, to) = (s.special.address.clone(), s.courier.address.clone());
            tasks.spawn(async move {
                let rendered = Email::from(Mailbox::new(addr(&from)))
                    .to(Mailbox::new(addr(&to)))
                    .subject(format!("pool {i}"))
                    .text("x")
                    .render()
                    .unwrap();
                pool.send("alice", &smtp, &rendered, &())
                    .await
                    .map(|_| rendered.message_id)
            });
        }
        let mut ids = Vec::new();
        while let Some(result) = tasks.join_next().await {
            ids.push(result.unwrap().unwrap());
        }
        assert_eq!(ids.len(), 8);
    });
    assert!(
        pool.opened() <= 2,
        "8 sends, at most 2 connections: {}",
        pool.opened()
    );
    assert!(pool.idle("alice", &smtp) <= 2);

    // With no idle lifetime, every send opens a new connection.
    let eager = SmtpPool::new(2, Duration::ZERO);
    rt.block_on(async {
        for i in 0..2 {
            let rendered = Email::from(Mailbox::new(addr(&s.special.address)))
                .to(Mailbox::new(addr(&s.courier.address)))
                .subject(format!("expired {i}"))
                .text("x")
                .render()
                .unwrap();
            eager.send("alice", &smtp, &rendered, &()).await.unwrap();
        }
    });
    assert_eq!(eager.opened(), 2);
}

#[test]
fn idle_connections_across_accounts_are_capped_the_longest_idle_closed_first() {
    use courriel_transport::SmtpPool;
    let s = Servers::get();
    let pool = SmtpPool::new(2, Duration::from_secs(60)).with_max_idle(2);
    let smtp =
        |who: &courriel_testkit::Account| settings(who, s.smtp_tls_port, Security::ImplicitTls);
    let senders = [&s.special, &s.localized, &s.scratch];
    runtime().block_on(async {
        for who in senders {
            let rendered = Email::from(Mailbox::new(addr(&who.address)))
                .to(Mailbox::new(addr(&s.courier.address)))
                .subject("capped")
                .text("x")
                .render()
                .unwrap();
            pool.send(&who.address, &smtp(who), &rendered, &())
                .await
                .unwrap();
        }
    });
    assert_eq!(pool.opened(), 3);
    assert_eq!(pool.idle_total(), 2, "at most two kept across accounts");
    // The first account's connection, idle longest, went.
    assert_eq!(pool.idle(&s.special.address, &smtp(&s.special)), 0);
    assert_eq!(pool.idle(&s.scratch.address, &smtp(&s.scratch)), 1);
}

#[test]
fn a_changed_password_never_rides_on_a_pooled_connection() {
    use courriel_transport::SmtpPool;
    let s = Servers::get();
    let pool = SmtpPool::new(2, Duration::from_secs(60));
    let good = settings(&s.special, s.smtp_tls_port, Security::ImplicitTls);
    let mut wrong = good.clone();
    wrong.secret = courriel_net::Secret::password("not-alices-password");
    let rendered = || {
        Email::from(Mailbox::new(addr(&s.special.address)))
            .to(Mailbox::new(addr(&s.courier.address)))
            .subject("pooled")
            .text("x")
            .render()
            .unwrap()
    };
    runtime().block_on(async {
        pool.send("alice", &good, &rendered(), &()).await.unwrap();
        assert_eq!(pool.idle("alice", &good), 1, "the good connection is kept");
        // The user types a wrong password: the kept connection is not used.
        let failure = pool
            .send("alice", &wrong, &rendered(), &())
            .await
            .unwrap_err();
        assert_eq!(failure.code(), "SM009");
        assert_eq!(pool.idle("alice", &good), 1, "the good one is still kept");
    });
}
