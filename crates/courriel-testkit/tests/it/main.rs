//! The project's own Postfix, Exim, Dovecot and Cyrus behave as the
//! library's tests need: submission with STARTTLS or implicit TLS, senders
//! bound to logins, delivery into Dovecot and Cyrus, and the mailbox
//! layouts; PostgreSQL gives each test a database of its own.

mod cyrus;
mod exim;
mod imap;
mod oauth;
mod postgres;
mod smtp;

use std::time::{SystemTime, UNIX_EPOCH};

use courriel_testkit::{Account, Imap, Servers};

/// A Message-ID no other test run uses.
pub(crate) fn unique_id(what: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{what}.{nanos}.{}@test.courriel", std::process::id())
}

/// Logs in to `account` over implicit TLS.
pub(crate) fn imap_login(account: &Account) -> Imap {
    Servers::get().imap_as(account)
}

/// Waits until a message with this Message-ID is in `account`'s INBOX on
/// the IMAP server at `port` (implicit TLS), once, and returns its header
/// section. Delivery goes through the MTA's queue and LMTP, so it is not
/// instant; the wait ends as soon as it is there.
pub(crate) fn delivered_once(port: u16, account: &Account, message_id: &str) -> String {
    let found = Servers::get().delivered(port, account, message_id);
    assert_eq!(
        found.len(),
        1,
        "{message_id} delivered once to {}'s INBOX on port {port}",
        account.address
    );
    found[0].header().to_string()
}

/// [`delivered_once`] on Dovecot.
pub(crate) fn wait_for_message(account: &Account, message_id: &str) -> String {
    delivered_once(Servers::get().imap_tls_port, account, message_id)
}
