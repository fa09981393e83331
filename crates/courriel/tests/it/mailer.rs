//! The `Mailer` against the real Postfix and Dovecot: send then file the
//! exact bytes once; a provider that files its own copy; `check` with a
//! dead server; one dead account never holds another's sends.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use courriel::{Catalog, Filing, Mailbox, Mailer};
use courriel::{NotFiled, ServerCheck};
use courriel_core::failure::FailureKind;
use courriel_testkit::message::without_trace;
use courriel_testkit::{Servers, closed, runtime, silent};
use courriel_transport::{SmtpTimeouts, Transport};

use crate::common::{account, account_at, copies, delivered, email, spool_dir};

#[test]
fn sends_then_files_the_exact_bytes_once() {
    let s = Servers::get();
    let dir = spool_dir("once");
    let mailer = Mailer::builder(&dir).build().unwrap();
    let sent = email(&s.special, &s.courier, "Facture F-1 (mailer)").bcc(Mailbox::new(
        courriel::EmailAddress::parse(&s.localized.address).unwrap(),
    ));
    let receipt = runtime()
        .block_on(mailer.send(&mailer.resolve(&account(&s.special)), sent))
        .unwrap();
    assert_eq!(receipt.transport, Transport::Smtp);
    assert!(receipt.reply.starts_with("250"), "{receipt:?}");
    assert_eq!(receipt.accepted.len(), 2);
    assert!(
        matches!(&receipt.filing, Filing::Filed { folder, created: false } if folder == "Sent"),
        "{:?}",
        receipt.filing
    );

    let bytes = String::from_utf8(receipt.message.to_vec()).unwrap();
    assert!(bytes.contains("Bcc: "), "the Sent copy keeps Bcc");
    let filed = copies(&s.special, "Sent", &receipt.message_id);
    assert_eq!(filed.len(), 1, "filed exactly once");
    assert!(
        filed[0].message.contains(&bytes),
        "the exact bytes sent are filed"
    );
    let received = delivered(&s.courier, &receipt.message_id);
    assert!(!received.contains("Bcc: "), "Bcc is never transmitted");
    assert!(
        courriel_testkit::runtime()
            .block_on(mailer.spool().entries())
            .unwrap()
            .is_empty(),
        "a filed copy leaves the spool"
    );
}

#[test]
fn the_recipient_gets_byte_for_byte_what_is_filed_in_sent() {
    let s = Servers::get();
    let mailer = Mailer::builder(spool_dir("bytes")).build().unwrap();
    // One runtime: the mailer keeps its connections across sends.
    let rt = runtime();
    // A plain body, and one whose last line is a lone dot (dot-stuffed).
    for body in ["Bonjour,\nvoici la facture.\n", "Bonjour\n.\n"] {
        let receipt = rt
            .block_on(mailer.send(
                &mailer.resolve(&account(&s.special)),
                email(&s.special, &s.courier, "Facture F-3 (identical)").text(body),
            ))
            .unwrap();
        let filed = copies(&s.special, "Sent", &receipt.message_id);
        assert_eq!(filed.len(), 1, "{:?}", receipt.filing);
        let received = delivered(&s.courier, &receipt.message_id);
        let (filed, received) = (filed[0].message.as_str(), without_trace(&received));
        assert_eq!(
            filed.as_bytes(),
            receipt.message.as_slice(),
            "the exact bytes are filed"
        );
        assert_eq!(
            received, filed,
            "what the recipient got (trace fields aside) is what the Sent folder holds"
        );
    }
}

#[test]
fn copies_sent_together_are_filed_each_once_over_reused_connections() {
    let s = Servers::get();
    let mailer = std::sync::Arc::new(Mailer::builder(spool_dir("together")).build().unwrap());
    let alice = std::sync::Arc::new(account(&s.special));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let receipts = rt.block_on(async {
        let mut sends = tokio::task::JoinSet::new();
        for i in 0..12 {
            let (mailer, alice) = (mailer.clone(), alice.clone());
            sends.spawn(async move {
                let s = Servers::get();
                mailer
                    .send(
                        &mailer.resolve(&alice),
                        email(&s.special, &s.courier, &format!("Lot {i} (mailer)")),
                    )
                    .await
            });
        }
        sends.join_all().await
    });
    for receipt in &receipts {
        let receipt = receipt.as_ref().unwrap();
        assert!(
            matches!(receipt.filing, Filing::Filed { .. }),
            "{receipt:?}"
        );
        assert_eq!(copies(&s.special, "Sent", &receipt.message_id).len(), 1);
    }
    assert!(
        mailer.smtp_connections_opened() <= 2,
        "at most the per-account bound of connections: {}",
        mailer.smtp_connections_opened()
    );
}

const SELF_FILING: &str = r#"Provider(
    id: "selffiling",
    name: "Self Filing Mail",
    domains: [
        "selffiling.test",
    ],
    smtp: [
        Server(host: "mail.courriel.test", port: 587, security: Starttls, username: Address),
    ],
    imap: [
        Server(host: "mail.courriel.test", port: 993, security: ImplicitTls, username: Address),
    ],
    sender_policy: MustMatchLogin,
    auth: Password,
    sent_copy: ServerFiles,
    documentation: "https://example.com/",
    source: [
        "https://example.com/",
    ],
    last_checked: "2026-11-29",
)
"#;

#[test]
fn a_provider_that_files_its_own_copy_gets_none_from_us() {
    let s = Servers::get();
    let catalog = Catalog::builder()
        .builtin()
        .add_ron("selffiling.ron", SELF_FILING)
        .build()
        .unwrap();
    // The provider's server is the test Postfix under its certificate's name.
    let mailer = Mailer::builder(spool_dir("selffiling"))
        .catalog(catalog)
        .resolve("mail.courriel.test", IpAddr::V4(Ipv4Addr::LOCALHOST))
        .build()
        .unwrap();
    let alice = account_at(
        "alice-selffiling",
        &s.special,
        Some(("mail.courriel.test", s.smtp_starttls_port)),
        Some((&s.host, s.imap_tls_port)),
    );
    let receipt = runtime()
        .block_on(mailer.send(
            &mailer.resolve(&alice),
            email(&s.special, &s.courier, "Filed by the provider"),
        ))
        .unwrap();
    assert_eq!(receipt.filing.status(), "not-filed", "{:?}", receipt.filing);
    assert!(matches!(
        &receipt.filing,
        Filing::NotFiled(NotFiled::ProviderFilesItsOwn { provider }) if provider == "Self Filing Mail"
    ));
    assert!(
        receipt
            .filing
            .summary(courriel_core::account::Lang::En)
            .contains("Self Filing Mail files sent mail itself")
    );
    delivered(&s.courier, &receipt.message_id);
    assert!(copies(&s.special, "Sent", &receipt.message_id).is_empty());
    assert!(
        courriel_testkit::runtime()
            .block_on(mailer.spool().entries())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn check_reports_the_live_server_fully_and_the_dead_one_with_its_reason() {
    let s = Servers::get();
    let timeouts = SmtpTimeouts {
        greeting: Duration::from_secs(2),
        ..SmtpTimeouts::default()
    };
    let mailer = Mailer::builder(spool_dir("check"))
        .smtp_timeouts(timeouts)
        .build()
        .unwrap();
    let rt = runtime();

    // SMTP silent: the bound applies, IMAP is reported in full.
    let silent = silent();
    let report = rt.block_on(mailer.check(&account_at(
        "check-silent",
        &s.special,
        Some((&s.host, silent)),
        Some((&s.host, s.imap_tls_port)),
    )));
    match &report.smtp {
        ServerCheck::Failed(f) => {
            assert_eq!(f.kind, FailureKind::SmtpTimeout, "{f:?}");
            assert!(f.message(courriel_core::account::Lang::En).contains("2 s"));
        }
        other => panic!("SMTP should time out: {other:?}"),
    }
    match &report.imap {
        ServerCheck::Ok(found) => {
            assert!(found.folders.folders.iter().any(|f| f.raw == "Sent"));
            assert_eq!(found.sent.as_ref().unwrap().folder.raw, "Sent");
        }
        other => panic!("IMAP should be checked fully: {other:?}"),
    }
    assert!(!report.is_ok());

    // IMAP dead, SMTP live.
    let report = rt.block_on(mailer.check(&account_at(
        "check-imap-dead",
        &s.special,
        Some((&s.host, s.smtp_starttls_port)),
        Some((&s.host, closed())),
    )));
    assert!(matches!(report.smtp, ServerCheck::Ok(())), "{report:?}");
    assert!(
        matches!(&report.imap, ServerCheck::Failed(f) if f.kind == FailureKind::ImapRefused),
        "{report:?}"
    );

    // Both live: OK, and the rules ran.
    let report = rt.block_on(mailer.check(&account(&s.special)));
    assert!(report.is_ok(), "{report:?}");
    assert!(matches!(report.smtp, ServerCheck::Ok(())));
}

#[test]
fn one_dead_account_never_holds_another() {
    let s = Servers::get();
    let timeouts = SmtpTimeouts {
        greeting: Duration::from_secs(60),
        ..SmtpTimeouts::default()
    };
    let mailer = std::sync::Arc::new(
        Mailer::builder(spool_dir("dead"))
            .smtp_timeouts(timeouts)
            .build()
            .unwrap(),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dead = account_at("dead-account", &s.special, Some((&s.host, silent())), None);
    let alive = account(&s.special);
    rt.block_on(async {
        let stuck = {
            let (mailer, dead) = (mailer.clone(), dead.clone());
            tokio::spawn(async move {
                let email = email(&Servers::get().special, &Servers::get().courier, "stuck");
                mailer.send(&mailer.resolve(&dead), email).await
            })
        };
        for i in 0..5 {
            let receipt = mailer
                .send(
                    &mailer.resolve(&alive),
                    email(&s.special, &s.courier, &format!("alive {i}")),
                )
                .await
                .unwrap();
            assert!(matches!(receipt.filing, Filing::Filed { .. }));
        }
        assert!(
            !stuck.is_finished(),
            "the other account's sends did not wait for the dead one"
        );
        stuck.abort();
    });
}

#[test]
fn idle_connections_of_every_account_are_closed_after_the_expiry() {
    let s = Servers::get();
    let mailer = Mailer::builder(spool_dir("expiry"))
        .idle_expiry(Duration::from_millis(200))
        .build()
        .unwrap();
    let rt = runtime();
    for who in [&s.special, &s.courier] {
        let receipt = rt
            .block_on(mailer.send(
                &mailer.resolve(&account(who)),
                email(who, &s.localized, "expiry"),
            ))
            .unwrap();
        assert!(
            matches!(receipt.filing, Filing::Filed { .. }),
            "{receipt:?}"
        );
    }
    assert_eq!(mailer.connections_kept(), (2, 2), "kept for reuse");
    // Past the expiry (and the once-a-second look-over), another account's
    // send closes them: accounts that went quiet hold nothing open.
    std::thread::sleep(Duration::from_millis(1_200));
    rt.block_on(mailer.send(
        &mailer.resolve(&account(&s.scratch)),
        email(&s.scratch, &s.localized, "expiry"),
    ))
    .unwrap();
    assert_eq!(mailer.connections_kept(), (1, 1), "only the last account's");
}

#[test]
fn idle_connections_and_sessions_are_capped_across_accounts() {
    // Many accounts sending once each: past the cap, the connection and
    // the session idle longest are closed, whatever the expiry.
    let s = Servers::get();
    let mailer = Mailer::builder(spool_dir("capped"))
        .max_idle_connections(2)
        .build()
        .unwrap();
    let rt = runtime();
    for who in [&s.special, &s.courier, &s.scratch] {
        let receipt = rt
            .block_on(mailer.send(
                &mailer.resolve(&account(who)),
                email(who, &s.localized, "capped"),
            ))
            .unwrap();
        assert!(
            matches!(receipt.filing, Filing::Filed { .. }),
            "{receipt:?}"
        );
    }
    assert_eq!(mailer.connections_kept(), (2, 2), "two of three kept");
}

/// A new mailbox holding only INBOX: `check` warns that the Sent folder
/// will be created (AR003), or, with `create_sent_folder = false`, says
/// nothing can be filed and names the setting (AR002); the first send
/// creates `INBOX.Sent` and says so; then `check` finds it.
#[test]
fn a_mailbox_with_only_inbox_is_told_then_gets_its_sent_folder() {
    use courriel_core::account::Lang;
    use courriel_core::rules::Severity;
    let s = Servers::get();
    s.imap_as(&s.bare).keep_only_inbox();
    let dir = spool_dir("bare");
    let mailer = Mailer::builder(&dir).build().unwrap();
    let creating = account(&s.bare);
    let mut settings = creating.settings().clone();
    settings.imap.as_mut().unwrap().create_sent_folder = Some(false);
    let not_creating = courriel::Account::new("frank-no-create", settings)
        .with_smtp_password(&s.bare.password)
        .with_imap_password(&s.bare.password);

    let report = runtime().block_on(mailer.check(&not_creating));
    let ServerCheck::Ok(found) = &report.imap else {
        panic!("{:?}", report.imap)
    };
    assert_eq!((&found.sent, &found.to_create), (&None, &None));
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{:?}", report.diagnostics);
    assert_eq!(
        (errors[0].rule.code(), errors[0].field.as_str()),
        ("AR002", "imap.create_sent_folder")
    );

    let report = runtime().block_on(mailer.check(&creating));
    let ServerCheck::Ok(found) = &report.imap else {
        panic!("{:?}", report.imap)
    };
    assert_eq!(found.to_create.as_deref(), Some("INBOX.Sent"));
    let warned: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.rule.code(), d.severity))
        .collect();
    assert!(warned.contains(&("AR003", Severity::Warning)), "{warned:?}");
    assert!(
        !warned.iter().any(|(_, s)| *s == Severity::Error),
        "{warned:?}"
    );

    let receipt = runtime()
        .block_on(mailer.send(
            &mailer.resolve(&creating),
            email(&s.bare, &s.courier, "Premier envoi"),
        ))
        .unwrap();
    assert!(
        matches!(&receipt.filing, Filing::Filed { folder, created: true } if folder == "INBOX.Sent"),
        "{:?}",
        receipt.filing
    );
    assert!(
        receipt
            .filing
            .summary(Lang::En)
            .contains("a folder created"),
        "{}",
        receipt.filing.summary(Lang::En)
    );
    assert_eq!(copies(&s.bare, "INBOX.Sent", &receipt.message_id).len(), 1);

    let report = runtime().block_on(mailer.check(&creating));
    let ServerCheck::Ok(found) = &report.imap else {
        panic!("{:?}", report.imap)
    };
    assert_eq!(
        found.sent.as_ref().map(|c| c.folder.raw.as_str()),
        Some("INBOX.Sent")
    );
    assert!(
        !report
            .diagnostics
            .iter()
            .any(|d| d.rule.code().starts_with("AR00"))
    );
}
