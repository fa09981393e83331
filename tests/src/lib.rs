//! End-to-end tests across courriel's crates: the `Mailer` (transport,
//! archive, spool, catalog) against the project's real servers, started by
//! `cargo xtask mail-servers start`. This library holds what the suites
//! share: the servers under test, as pairs, and reading back what they
//! filed and delivered.

use std::time::{Duration, Instant};

use courriel::Account;
use courriel_core::account::{AccountSettings, ImapInput, ServerInput};
use courriel_testkit::{Account as TestAccount, Imap, Servers, TlsMode};

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
    let server = |port: u16, security: &str| ServerInput {
        host: Some(s.host.clone()),
        port: Some(i64::from(port)),
        security: Some(security.to_string()),
        username: Some(who.address.clone()),
        password_env: None,
    };
    let imap = server(imap_port, "implicit-tls");
    let settings = AccountSettings {
        sender: Some(who.address.clone()),
        smtp: Some(server(smtp_port, "starttls")),
        imap: Some(ImapInput {
            host: imap.host,
            port: imap.port,
            security: imap.security,
            username: imap.username,
            password_env: None,
            sent_folder: Some("auto".into()),
            copy_to_sent: None,
            create_sent_folder: None,
        }),
        ca_file: Some(s.ca.display().to_string()),
    };
    Account::new(id, settings)
        .with_smtp_password(&who.password)
        .with_imap_password(&who.password)
}

/// A raw IMAP connection to `port` (implicit TLS), logged in as `who`.
///
/// # Panics
/// When the server cannot be reached or refuses the login.
#[must_use]
pub fn imap(port: u16, who: &TestAccount) -> Imap {
    let s = Servers::get();
    let mut imap = s.imap(port, TlsMode::Implicit);
    let response = imap.login(&who.address, &who.password).expect("LOGIN");
    assert!(
        response.is_ok(),
        "login of {} on port {port}: {}",
        who.address,
        response.status
    );
    imap
}

/// One message as a mailbox holds it: its flags and its exact bytes.
#[derive(Debug, Clone)]
pub struct Stored {
    /// `FLAGS (...)` as the server sent them.
    pub flags: String,
    /// The message, byte for byte.
    pub message: String,
}

/// Every message of `folder` (raw name) with this Message-ID.
///
/// # Panics
/// When the folder cannot be selected.
#[must_use]
pub fn stored(imap: &mut Imap, folder: &str, message_id: &str) -> Vec<Stored> {
    let selected = imap
        .command(&format!("EXAMINE \"{folder}\""))
        .expect("EXAMINE");
    assert!(selected.is_ok(), "EXAMINE {folder}: {}", selected.status);
    let found = imap
        .command(&format!("UID SEARCH HEADER Message-ID \"<{message_id}>\""))
        .expect("SEARCH");
    found
        .found()
        .iter()
        .map(|uid| {
            let fetched = imap
                .command(&format!("UID FETCH {uid} (FLAGS BODY.PEEK[])"))
                .expect("FETCH")
                .untagged
                .join("\n");
            let flags = fetched
                .find("FLAGS (")
                .and_then(|at| {
                    let rest = &fetched[at..];
                    rest.find(')').map(|end| rest[..=end].to_string())
                })
                .unwrap_or_default();
            Stored {
                flags,
                message: courriel_testkit::message::literal(&fetched).to_string(),
            }
        })
        .collect()
}

/// The message with this Message-ID once delivered to INBOX (waits up to
/// 30 s for the MTA's queue); `None` if it never came.
#[must_use]
pub fn delivered(port: u16, who: &TestAccount, message_id: &str) -> Option<Stored> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut imap = imap(port, who);
        if let Some(found) = stored(&mut imap, "INBOX", message_id).pop() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
