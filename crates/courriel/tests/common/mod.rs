//! Helpers shared by the test binaries that drive the `Mailer` against the
//! real Postfix and Dovecot.

#![allow(dead_code)] // each test binary uses some of them

use std::time::{Duration, Instant};

use courriel::{Account, Email, Mailbox};
use courriel_core::account::{AccountSettings, ImapInput, ServerInput};
use courriel_testkit::{Account as TestAccount, Servers};

/// A fresh spool directory for one test.
pub(crate) fn spool_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "courriel-mailer-{test}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Settings for a test account: SMTP (STARTTLS) on `smtp`, IMAP over
/// implicit TLS on `imap`, passwords given directly.
pub(crate) fn account_at(
    id: &str,
    who: &TestAccount,
    smtp: Option<(&str, u16)>,
    imap: Option<(&str, u16)>,
) -> Account {
    let s = Servers::get();
    let server = |(host, port): (&str, u16), security: &str| ServerInput {
        host: Some(host.to_string()),
        port: Some(i64::from(port)),
        security: Some(security.to_string()),
        username: Some(who.address.clone()),
        password_env: None,
    };
    let settings = AccountSettings {
        sender: Some(who.address.clone()),
        smtp: smtp.map(|a| server(a, "starttls")),
        imap: imap.map(|a| {
            let i = server(a, "implicit-tls");
            ImapInput {
                host: i.host,
                port: i.port,
                security: i.security,
                username: i.username,
                password_env: None,
                sent_folder: Some("auto".into()),
                copy_to_sent: None,
                create_sent_folder: None,
            }
        }),
        ca_file: Some(s.ca.display().to_string()),
    };
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

/// The full text of every message in `folder` of `who` with this
/// Message-ID (FETCH BODY.PEEK[]).
pub(crate) fn copies(who: &TestAccount, folder: &str, message_id: &str) -> Vec<String> {
    let mut imap = Servers::get().imap_as(who);
    assert!(
        imap.command(&format!("SELECT \"{folder}\""))
            .unwrap()
            .is_ok()
    );
    let found = imap
        .command(&format!("UID SEARCH HEADER Message-ID \"<{message_id}>\""))
        .unwrap();
    let uids: Vec<String> = found
        .untagged
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|rest| rest.split_whitespace().map(str::to_string))
        .collect();
    uids.iter()
        .map(|uid| {
            imap.command(&format!("UID FETCH {uid} (BODY.PEEK[])"))
                .unwrap()
                .untagged
                .join("\n")
        })
        .collect()
}

/// Waits (bounded) until `message_id` reached `who`'s INBOX through
/// Postfix's queue and LMTP, and returns it.
pub(crate) fn delivered(who: &TestAccount, message_id: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = copies(who, "INBOX", message_id).pop() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{message_id} never reached {}",
            who.address
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
