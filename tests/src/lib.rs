//! End-to-end tests across courriel's crates: the `Mailer` (transport,
//! archive, spool, catalog) against the project's real servers, started by
//! `cargo xtask mail-servers start`. This library holds what the suites
//! share: the servers under test and the accounts through them (reading
//! back what was filed and delivered is courriel-testkit's
//! `Imap::messages` and `Servers::delivered`).

use courriel::Account;
use courriel_testkit::{Account as TestAccount, Servers};

/// An SMTP submission server under test.
#[derive(Debug, Clone, Copy)]
pub struct SmtpServer {
    /// Its name in the matrix.
    pub name: &'static str,
    /// Its STARTTLS submission port (the sender checked at MAIL FROM).
    pub port: u16,
}

/// An IMAP server under test, with its accounts.
#[derive(Debug, Clone)]
pub struct ImapServer {
    /// Its name in the matrix.
    pub name: &'static str,
    /// Its implicit-TLS port.
    pub port: u16,
    /// An account whose Sent folder the server marks `\Sent`.
    pub marked: TestAccount,
    /// That folder (raw IMAP name) and why it is chosen.
    pub marked_sent: (&'static str, &'static str),
    /// An account whose Sent folder has a French name, unmarked.
    pub localized: TestAccount,
    /// That folder (raw, modified UTF-7).
    pub localized_sent: &'static str,
    /// An account holding only INBOX.
    pub bare: TestAccount,
    /// The Sent folder courriel creates there (raw).
    pub bare_sent: &'static str,
    /// Whether the server offers CREATE-SPECIAL-USE, so that the folder
    /// created is marked `\Sent`.
    pub marks_created: bool,
}

/// Postfix and Exim.
#[must_use]
pub fn smtp_servers() -> Vec<SmtpServer> {
    let s = Servers::get();
    vec![
        SmtpServer {
            name: "Postfix",
            port: s.smtp_starttls_port,
        },
        SmtpServer {
            name: "Exim",
            port: s.exim_starttls_port,
        },
    ]
}

/// Dovecot and Cyrus.
#[must_use]
pub fn imap_servers() -> Vec<ImapServer> {
    let s = Servers::get();
    vec![
        ImapServer {
            name: "Dovecot",
            port: s.imap_tls_port,
            marked: s.special.clone(),
            marked_sent: ("Sent", "attribute"),
            localized: s.localized.clone(),
            localized_sent: "&AMk-l&AOk-ments envoy&AOk-s",
            bare: s.bare.clone(),
            bare_sent: "INBOX.Sent",
            marks_created: false,
        },
        ImapServer {
            name: "Cyrus",
            port: s.cyrus_tls_port,
            marked: s.cyrus_special.clone(),
            marked_sent: ("INBOX.Sent Items", "attribute"),
            localized: s.cyrus_localized.clone(),
            localized_sent: "INBOX.&AMk-l&AOk-ments envoy&AOk-s",
            bare: s.cyrus_bare.clone(),
            bare_sent: "INBOX.Sent",
            marks_created: true,
        },
    ]
}

/// The account `who` with SMTP on `smtp_port` (STARTTLS) and IMAP on
/// `imap_port` (implicit TLS), the Sent folder chosen on the server,
/// trusting the test CA, passwords given directly.
#[must_use]
pub fn account(id: &str, who: &TestAccount, smtp_port: u16, imap_port: u16) -> Account {
    let s = Servers::get();
    let settings = s.settings_for(who, Some((&s.host, smtp_port)), Some((&s.host, imap_port)));
    Account::new(id, settings)
        .with_smtp_password(&who.password)
        .with_imap_password(&who.password)
}
