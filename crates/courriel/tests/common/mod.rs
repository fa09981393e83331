//! Helpers shared by the test binaries that drive the `Mailer` against the
//! real Postfix and Dovecot.

#![allow(dead_code)] // each test binary uses some of them

use courriel::{Account, Email, Mailbox};
use courriel_testkit::message::Stored;
use courriel_testkit::{Account as TestAccount, Servers};

/// A fresh spool directory for one test.
pub(crate) fn spool_dir(test: &str) -> std::path::PathBuf {
    courriel_testkit::fresh_dir(&format!("mailer-{test}"))
}

/// Settings for a test account: SMTP (STARTTLS) on `smtp`, IMAP over
/// implicit TLS on `imap`, passwords given directly.
pub(crate) fn account_at(
    id: &str,
    who: &TestAccount,
    smtp: Option<(&str, u16)>,
    imap: Option<(&str, u16)>,
) -> Account {
    let settings = Servers::get().settings_for(who, smtp, imap);
    Account::new(id, settings)
        .with_smtp_password(&who.password)
        .with_imap_password(&who.password)
}

/// A test account on both real servers.
pub(crate) fn account(who: &TestAccount) -> Account {
    let s = Servers::get();
    account_at(
        &who.address,
        who,
        Some((&s.host, s.smtp_starttls_port)),
        Some((&s.host, s.imap_tls_port)),
    )
}

pub(crate) fn email(from: &TestAccount, to: &TestAccount, subject: &str) -> Email {
    let address = |a: &TestAccount| courriel::EmailAddress::parse(&a.address).unwrap();
    Email::from(Mailbox::new(address(from)))
        .to(Mailbox::new(address(to)))
        .subject(subject)
        .text("Bonjour,\nvoici la facture.\n")
}

/// Every message in `folder` of `who` (on Dovecot) with this
/// Message-ID: its flags and exact bytes.
pub(crate) fn copies(who: &TestAccount, folder: &str, message_id: &str) -> Vec<Stored> {
    Servers::get().imap_as(who).messages(folder, message_id)
}

/// The message with this Message-ID in `who`'s INBOX on Dovecot, byte
/// for byte, once delivered (waits up to 30 s, then panics).
pub(crate) fn delivered(who: &TestAccount, message_id: &str) -> String {
    let s = Servers::get();
    s.delivered(s.imap_tls_port, who, message_id)
        .pop()
        .unwrap_or_else(|| panic!("{message_id} never reached {}", who.address))
        .message
}
