//! The `Mailer` through Exim (the test servers' Debian Exim, beside
//! Postfix) with Dovecot for the copy: a message alice sends reaches bob's
//! INBOX and alice's Sent folder; bob sending as alice is refused, whether
//! Exim checks the sender at MAIL FROM or at RCPT TO.

use courriel::{Account, Filing, SendError};
use courriel_testkit::{Account as TestAccount, Servers, runtime};
use courriel_transport::Transport;

use crate::common::{copies, delivered, email, spool_dir};

/// `login`'s credentials, sending as `sender`, through Exim on `port`
/// (STARTTLS) and filing in Dovecot over implicit TLS.
fn through_exim(sender: &TestAccount, login: &TestAccount, port: u16) -> Account {
    let s = Servers::get();
    let mut settings = s.settings_for(
        login,
        Some((&s.host, port)),
        Some((&s.host, s.imap_tls_port)),
    );
    settings.sender = Some(sender.address.clone());
    Account::new(format!("{}-via-exim-{port}", login.address), settings)
        .with_smtp_password(&login.password)
        .with_imap_password(&login.password)
}

#[test]
fn alice_sends_to_bob_through_exim_and_her_copy_is_filed() {
    let s = Servers::get();
    let mailer = courriel::Mailer::builder(spool_dir("exim-send"))
        .build()
        .unwrap();
    let receipt = runtime()
        .block_on(mailer.send(
            &mailer.resolve(&through_exim(&s.special, &s.special, s.exim_starttls_port)),
            email(&s.special, &s.courier, "Facture F-7 (through Exim)"),
        ))
        .unwrap();
    assert_eq!(receipt.transport, Transport::Smtp);
    assert!(receipt.reply.starts_with("250"), "{receipt:?}");
    assert!(
        matches!(&receipt.filing, Filing::Filed { folder, created: false } if folder == "Sent"),
        "{:?}",
        receipt.filing
    );
    let received = delivered(&s.courier, &receipt.message_id);
    assert!(
        received.contains("Subject: Facture F-7 (through Exim)"),
        "{received}"
    );
    assert!(
        received.contains("Exim"),
        "Exim's Received field: {received}"
    );
    assert_eq!(copies(&s.special, "Sent", &receipt.message_id).len(), 1);
}

#[test]
fn bob_sending_as_alice_through_exim_is_refused_at_mail_and_at_rcpt() {
    let s = Servers::get();
    let mailer = courriel::Mailer::builder(spool_dir("exim-refused"))
        .build()
        .unwrap();
    let rt = runtime();
    for (port, step) in [(s.exim_starttls_port, "MAIL"), (s.exim_rcpt_port, "RCPT")] {
        let result = rt.block_on(mailer.send(
            &mailer.resolve(&through_exim(&s.special, &s.courier, port)),
            email(&s.special, &s.localized, "not bob's to send"),
        ));
        let error = result.expect_err("Exim refuses a sender other than the login");
        let SendError::Failed(failure) = &error else {
            panic!("refused before anything was sent, at {step}: {error:?}");
        };
        // Exim's words, at either step, are read as the sender refused
        // (SM010: "send as the address you log in with"), not as a
        // rejected message (SM014) or refused recipients (SM011).
        assert_eq!(failure.code(), "SM010", "at {step}: {failure:?}");
    }
}

/// A server that advertises STARTTLS and then answers `454 TLS currently
/// unavailable` (Exim without its certificate): a TLS failure with the
/// server's words (SM019, "try again later"), not "the server does not
/// offer STARTTLS" (SM008); no password goes out and nothing is sent.
#[test]
fn starttls_refused_by_exim_is_a_tls_failure_with_its_words() {
    let s = Servers::get();
    let mailer = courriel::Mailer::builder(spool_dir("exim-454"))
        .build()
        .unwrap();
    let error = runtime()
        .block_on(mailer.send(
            &mailer.resolve(&through_exim(
                &s.special,
                &s.special,
                s.exim_tls_unavailable_port,
            )),
            email(&s.special, &s.courier, "never sent (454)"),
        ))
        .expect_err("STARTTLS was refused");
    let SendError::Failed(failure) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(failure.code(), "SM019", "{failure:?}");
    assert!(
        failure
            .message(courriel_core::account::Lang::En)
            .contains("TLS currently unavailable"),
        "the server's own words: {failure:?}"
    );
}
