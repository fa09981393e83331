//! Sending on the user's behalf through the default provider: each DMARC
//! policy of the test DNS zone (dnsmasq, `xtask/mail-servers/dnsmasq.conf`)
//! and each of the application's policies gives its decision; a message
//! sent on the user's behalf goes out with the application's From and the
//! user's Reply-To, the receipt says so, and the copy filed in Sent is what
//! was sent, also when the user's own server refused it first.

use std::net::SocketAddr;
use std::time::Duration;

use courriel::dmarc::{AsUser, DmarcPolicy, OnBehalf, OnBehalfWhen, SentAs, Why};
use courriel::{Account, Domain, EmailAddress, Filing, Mailbox, Mailer, SendGridSettings};
use courriel_testkit::hostile::serve;
use courriel_testkit::{Account as TestAccount, Servers, runtime, silent_dns};

use crate::common::{copies, spool_dir};

const APP: &str = "noreply@facturo.test";

fn addr(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

fn app(when: OnBehalfWhen) -> OnBehalf {
    OnBehalf::new(
        "Facturo",
        addr(APP),
        [Domain::parse("facturo.test").unwrap()],
    )
    .unwrap()
    .when(when)
}

fn dns() -> SocketAddr {
    let s = Servers::get();
    format!("{}:{}", s.host, s.dns_port).parse().unwrap()
}

fn on_behalf(why: Why) -> SentAs {
    SentAs::OnBehalf {
        app_name: "Facturo".into(),
        app_address: addr(APP),
        why,
    }
}

#[test]
fn each_dmarc_policy_and_each_application_policy_gives_its_decision() {
    let rt = runtime();
    let mailer = Mailer::builder(spool_dir("dmarc-decisions"))
        .on_behalf(app(OnBehalfWhen::DmarcEnforces))
        .dmarc_name_server(dns())
        .build()
        .unwrap();
    for (sender, expected) in [
        (
            "isabelle@rejette.test",
            on_behalf(Why::Dmarc(DmarcPolicy::Reject)),
        ),
        (
            "isabelle@quarantaine.test",
            on_behalf(Why::Dmarc(DmarcPolicy::Quarantine)),
        ),
        // The organizational domain's sp=reject covers its subdomain.
        (
            "isabelle@factures.maison.test",
            on_behalf(Why::Dmarc(DmarcPolicy::Reject)),
        ),
        ("isabelle@maison.test", SentAs::User(AsUser::DmarcNone)),
        ("isabelle@aucune.test", SentAs::User(AsUser::DmarcNone)),
        ("isabelle@sansdmarc.test", SentAs::User(AsUser::NoDmarc)),
        // The application's own domain is aligned: never rewritten.
        ("compta@facturo.test", SentAs::User(AsUser::Authenticated)),
    ] {
        assert_eq!(
            rt.block_on(mailer.sent_as(&addr(sender))),
            expected,
            "{sender}"
        );
    }

    // A name server that never answers: the policy is unknown, and the
    // message goes out on the user's behalf rather than risk a refusal.
    let silent = Mailer::builder(spool_dir("dmarc-silent"))
        .on_behalf(app(OnBehalfWhen::DmarcEnforces))
        .dmarc_name_server(silent_dns())
        .dmarc_deadline(Duration::from_millis(300))
        .build()
        .unwrap();
    assert_eq!(
        rt.block_on(silent.sent_as(&addr("isabelle@aucune.test"))),
        on_behalf(Why::DmarcUnknown)
    );

    // `always` and `never` ask no name server at all (the silent one
    // would take the deadline and say unknown).
    for (when, expected) in [
        (OnBehalfWhen::Always, on_behalf(Why::PolicyAlways)),
        (OnBehalfWhen::Never, SentAs::User(AsUser::PolicyNever)),
    ] {
        let mailer = Mailer::builder(spool_dir("dmarc-when"))
            .on_behalf(app(when))
            .dmarc_name_server(silent_dns())
            .build()
            .unwrap();
        assert_eq!(
            rt.block_on(mailer.sent_as(&addr("isabelle@rejette.test"))),
            expected
        );
    }
    // Without an identity of the application's, always the user's address.
    let plain = Mailer::builder(spool_dir("dmarc-none")).build().unwrap();
    assert_eq!(
        rt.block_on(plain.sent_as(&addr("isabelle@rejette.test"))),
        SentAs::User(AsUser::PolicyNever)
    );
}

/// An account whose sender is `sender`, with no SMTP server (the default
/// provider sends) and `who`'s IMAP account for the Sent copy.
fn account_without_smtp(id: &str, sender: &str, who: &TestAccount, smtp: Option<u16>) -> Account {
    let s = Servers::get();
    let mut settings = s.settings_for(
        who,
        smtp.map(|port| (s.host.as_str(), port)),
        Some((&s.host, s.imap_tls_port)),
    );
    settings.sender = Some(sender.to_string());
    if let Some(smtp) = &mut settings.smtp {
        smtp.security = Some("implicit-tls".into());
    }
    Account::new(id, settings)
        .with_smtp_password(&who.password)
        .with_imap_password(&who.password)
}

fn invoice(sender: &str, to: &TestAccount) -> courriel::Email {
    courriel::Email::from(Mailbox::named("Isabelle Martin", addr(sender)))
        .to(Mailbox::new(addr(&to.address)))
        .subject("Facture F-2026-0042")
        .text("Bonjour,\nvoici la facture.\n")
}

#[test]
fn through_sendgrid_on_the_users_behalf_the_receipt_says_so_and_sent_holds_what_was_sent() {
    let s = Servers::get();
    let rt = runtime();
    let (url, seen) = courriel_testkit::sendgrid::server();
    let mailer = Mailer::builder(spool_dir("on-behalf-sendgrid"))
        .default_provider(SendGridSettings::new("good").dangerous_plain_http_base_url(&url))
        .on_behalf(app(OnBehalfWhen::DmarcEnforces))
        .dmarc_name_server(dns())
        .build()
        .unwrap();

    // p=reject: from the application, replies to the user; the settings
    // check says so (DF002, not DF001's "under your address").
    let account = account_without_smtp("rejette", "isabelle.martin@rejette.test", &s.special, None);
    let report = rt.block_on(mailer.check(&account));
    let codes: Vec<_> = report.diagnostics.iter().map(|d| d.rule.code()).collect();
    assert!(codes.contains(&"DF002"), "{codes:?}");
    assert!(!codes.contains(&"DF001"), "{codes:?}");
    let receipt = rt
        .block_on(mailer.send(
            &mailer.resolve(&account),
            invoice("isabelle.martin@rejette.test", &s.courier),
        ))
        .unwrap();
    assert_eq!(receipt.transport.as_str(), "sendgrid");
    assert_eq!(receipt.sent_as.as_str(), "on-behalf");
    assert_eq!(receipt.sent_as.reason(), "dmarc-reject");
    let body = seen.lock().unwrap().last().unwrap().1.clone();
    assert_eq!(body["from"]["email"], APP);
    assert_eq!(body["from"]["name"], "Isabelle Martin via Facturo");
    assert_eq!(body["reply_to"]["email"], "isabelle.martin@rejette.test");
    // The account's id goes with it, for the provider's events.
    assert_eq!(body["custom_args"]["courriel_account"], "rejette");
    let bytes = String::from_utf8(receipt.message.to_vec()).unwrap();
    assert!(
        bytes.contains(&format!(
            "From: \"Isabelle Martin via Facturo\" <{APP}>\r\n"
        )),
        "{bytes}"
    );
    assert!(
        bytes.contains("Reply-To: \"Isabelle Martin\" <isabelle.martin@rejette.test>\r\n"),
        "{bytes}"
    );
    assert!(
        matches!(receipt.filing, Filing::Filed { .. }),
        "{:?}",
        receipt.filing
    );
    let filed = copies(&s.special, "Sent", &receipt.message_id);
    assert_eq!(filed.len(), 1, "filed once");
    assert!(
        filed[0].message.contains(&bytes),
        "the copy is what was sent"
    );

    // p=none: the user's own address, as given.
    let account = account_without_smtp("aucune", "isabelle.martin@aucune.test", &s.special, None);
    let receipt = rt
        .block_on(mailer.send(
            &mailer.resolve(&account),
            invoice("isabelle.martin@aucune.test", &s.courier),
        ))
        .unwrap();
    assert_eq!(receipt.sent_as, SentAs::User(AsUser::DmarcNone));
    let body = seen.lock().unwrap().last().unwrap().1.clone();
    assert_eq!(body["from"]["email"], "isabelle.martin@aucune.test");
    assert!(body.get("reply_to").is_none(), "{body}");
    let filed = copies(&s.special, "Sent", &receipt.message_id);
    assert_eq!(filed.len(), 1);
    assert!(
        filed[0]
            .message
            .contains("From: \"Isabelle Martin\" <isabelle.martin@aucune.test>")
    );
}

/// Microsoft 365's way: the message is taken, then refused for the sender
/// after DATA (550 5.7.60). The copy was spooled before DATA.
fn smtp_refusing_the_sender_after_data() -> u16 {
    serve(true, |mut s| {
        s.say("220 refuses.test ESMTP\r\n");
        while let Some(line) = s.hear() {
            let verb = line
                .split([' ', ':'])
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" => s.say("250-refuses.test\r\n250 AUTH PLAIN\r\n"),
                "AUTH" => s.say("235 2.7.0 ok\r\n"),
                "DATA" => {
                    s.say("354 go\r\n");
                    while s.hear().is_some_and(|l| l != ".") {}
                    s.say("550 5.7.60 SMTP; Client does not have permissions to send as this sender\r\n");
                }
                "QUIT" => {
                    s.say("221 bye\r\n");
                    return;
                }
                _ => s.say("250 ok\r\n"),
            }
        }
    })
}

#[test]
fn after_the_users_server_refuses_the_copy_filed_is_the_one_sent_on_their_behalf() {
    let s = Servers::get();
    let rt = runtime();
    let (url, seen) = courriel_testkit::sendgrid::server();
    let mailer = Mailer::builder(spool_dir("on-behalf-fallback"))
        .default_provider(SendGridSettings::new("good").dangerous_plain_http_base_url(&url))
        .policy(courriel::Policy {
            fallback_on_permanent_failure: true,
            ..courriel::Policy::default()
        })
        .on_behalf(app(OnBehalfWhen::DmarcEnforces))
        .dmarc_name_server(dns())
        .build()
        .unwrap();
    let account = account_without_smtp(
        "fallback",
        "isabelle.martin@rejette.test",
        &s.special,
        Some(smtp_refusing_the_sender_after_data()),
    );
    let receipt = rt
        .block_on(mailer.send(
            &mailer.resolve(&account),
            invoice("isabelle.martin@rejette.test", &s.courier),
        ))
        .unwrap();
    assert_eq!(receipt.transport.as_str(), "sendgrid");
    assert_eq!(receipt.sent_as.reason(), "dmarc-reject");
    assert_eq!(seen.lock().unwrap().len(), 1);
    let filed = copies(&s.special, "Sent", &receipt.message_id);
    assert_eq!(filed.len(), 1, "one copy, not the refused one too");
    assert!(
        filed[0].message.contains("Isabelle Martin via Facturo"),
        "{}",
        filed[0].message
    );
    assert!(
        rt.block_on(mailer.spool().entries()).unwrap().is_empty(),
        "the refused rendering's copy left the spool"
    );
}
