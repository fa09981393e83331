//! The project's own Postfix, Exim, Dovecot and Cyrus behave as the
//! library's tests need: submission with STARTTLS or implicit TLS, senders
//! bound to logins, delivery into Dovecot and Cyrus, and the mailbox
//! layouts; PostgreSQL gives each test a database of its own.

mod cyrus;
mod exim;
mod imap;
mod postgres;
mod smtp;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// Waits until a message with this Message-ID is in `account`'s INBOX and
/// returns its header section. Delivery goes through Postfix's queue and
/// LMTP, so it is not instant; the wait ends as soon as it is there.
pub(crate) fn wait_for_message(account: &Account, message_id: &str) -> String {
    let mut imap = imap_login(account);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(imap.command("SELECT INBOX").unwrap().is_ok());
        let found = imap
            .command(&format!("UID SEARCH HEADER Message-ID \"{message_id}\""))
            .unwrap();
        let uids: Vec<String> = found
            .untagged
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(|l| l.split_whitespace().map(str::to_string))
            .collect();
        if let Some(uid) = uids.first() {
            assert_eq!(uids.len(), 1, "delivered once");
            let fetched = imap
                .command(&format!("UID FETCH {uid} (BODY.PEEK[HEADER])"))
                .unwrap();
            assert!(fetched.is_ok(), "{}", fetched.status);
            return fetched.untagged.join("\n");
        }
        assert!(
            Instant::now() < deadline,
            "{message_id} never reached {}'s INBOX",
            account.address
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
