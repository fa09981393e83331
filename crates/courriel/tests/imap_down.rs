//! Sending while the user's IMAP server is down: the send succeeds, the
//! copy waits in the spool, and once IMAP is back a retry files it exactly
//! once. Dovecot's IMAP listeners are turned off by a reload (its auth and
//! LMTP keep serving Postfix) and open sessions are kicked, so this test
//! binary runs alone: cargo runs test binaries one after another, and its
//! tests take a lock so they never overlap each other either.

#[path = "it/mailer.rs"]
#[allow(dead_code)]
mod common;

use std::sync::Mutex;

use common::{account, copies, delivered, email, spool_dir};
use courriel::{Filing, Mailer};
use courriel_core::failure::FailureKind;
use courriel_testkit::{ImapBackOn, Servers, runtime};

/// One test at a time turns IMAP off.
static IMAP: Mutex<()> = Mutex::new(());

#[test]
fn with_imap_down_the_copy_is_spooled_then_filed_exactly_once() {
    let _one_at_a_time = IMAP
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let s = Servers::get();
    let rt = runtime();
    let mailer = Mailer::builder(spool_dir("imap-down")).build().unwrap();
    let alice = account(&s.special);

    // A first send opens the account's IMAP session, which the outage kills.
    let before = rt
        .block_on(mailer.send(&alice, email(&s.special, &s.courier, "before the outage")))
        .unwrap();
    assert!(matches!(before.filing, Filing::Filed { .. }));

    let back_on = ImapBackOn;
    s.set_imap_listening(false);
    let during = rt
        .block_on(mailer.send(&alice, email(&s.special, &s.courier, "during the outage")))
        .unwrap();
    assert!(
        during.reply.starts_with("250"),
        "sent although IMAP is down"
    );
    match &during.filing {
        Filing::Spooled { failure, .. } => assert!(
            matches!(
                failure.kind,
                FailureKind::ImapRefused | FailureKind::ImapConnectionLost
            ),
            "{failure:?}"
        ),
        other => panic!("the copy should wait in the spool: {other:?}"),
    }
    delivered(&s.courier, &during.message_id);
    let entries = mailer.spool().entries().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].message_id, during.message_id);

    // A retry while IMAP is still down keeps the copy.
    let report = rt.block_on(force_due_then_retry(&mailer, &alice)).unwrap();
    assert_eq!((report.filed, report.pending), (0, 1), "{report:?}");

    drop(back_on);
    let report = rt.block_on(force_due_then_retry(&mailer, &alice)).unwrap();
    assert_eq!(report.filed, 1, "{report:?}");
    let filed = copies(&s.special, "Sent", &during.message_id);
    assert_eq!(filed.len(), 1, "filed exactly once");
    assert!(filed[0].contains(&String::from_utf8(during.message.to_vec()).unwrap()));
    assert!(mailer.spool().entries().unwrap().is_empty());

    // Nothing left to file, nothing filed twice.
    let report = rt.block_on(force_due_then_retry(&mailer, &alice)).unwrap();
    assert_eq!((report.filed, report.already_filed), (0, 0));
    assert_eq!(copies(&s.special, "Sent", &during.message_id).len(), 1);

    // And the mailer's own session recovers: the next send files directly.
    let after = rt
        .block_on(mailer.send(&alice, email(&s.special, &s.courier, "after the outage")))
        .unwrap();
    assert!(
        matches!(after.filing, Filing::Filed { .. }),
        "{:?}",
        after.filing
    );
}

/// Retries every pending copy now (a failed attempt sets a backoff), with
/// `account` for every key.
async fn force_due_then_retry(
    mailer: &Mailer,
    account: &courriel::Account,
) -> std::io::Result<courriel_archive::RetryReport> {
    mailer
        .retry_spool_now(|_| Some(account.clone()), |_, _| {})
        .await
}
