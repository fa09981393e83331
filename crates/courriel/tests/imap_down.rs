//! Sending while the user's IMAP server is down: the send succeeds, the
//! copy waits in the spool, and once IMAP is back a retry files it exactly
//! once. Dovecot's IMAP listeners are turned off by a reload (its auth and
//! LMTP keep serving Postfix) and open sessions are kicked, so this test
//! binary runs alone: cargo runs test binaries one after another, and its
//! tests take a lock so they never overlap each other either.

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
        .block_on(mailer.send(
            &mailer.resolve(&alice),
            email(&s.special, &s.courier, "before the outage"),
        ))
        .unwrap();
    assert!(matches!(before.filing, Filing::Filed { .. }));

    let back_on = ImapBackOn;
    s.set_imap_listening(false);
    let during = rt
        .block_on(mailer.send(
            &mailer.resolve(&alice),
            email(&s.special, &s.courier, "during the outage"),
        ))
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
    let entries = rt.block_on(mailer.spool().entries()).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].message_id, during.message_id);

    // A retry while IMAP is still down keeps the copy.
    let report = rt.block_on(force_due_then_retry(&mailer, &alice)).unwrap();
    assert_eq!((report.filed, report.pending), (0, 1), "{report:?}");

    drop(back_on);
    delivered(&s.courier, &during.message_id);
    let report = rt.block_on(force_due_then_retry(&mailer, &alice)).unwrap();
    assert_eq!(report.filed, 1, "{report:?}");
    let filed = copies(&s.special, "Sent", &during.message_id);
    assert_eq!(filed.len(), 1, "filed exactly once");
    assert!(
        filed[0]
            .message
            .contains(&String::from_utf8(during.message.to_vec()).unwrap())
    );
    assert!(rt.block_on(mailer.spool().entries()).unwrap().is_empty());

    // Nothing left to file, nothing filed twice.
    let report = rt.block_on(force_due_then_retry(&mailer, &alice)).unwrap();
    assert_eq!((report.filed, report.already_filed), (0, 0));
    assert_eq!(copies(&s.special, "Sent", &during.message_id).len(), 1);

    // And the mailer's own session recovers: the next send files directly.
    let after = rt
        .block_on(mailer.send(
            &mailer.resolve(&alice),
            email(&s.special, &s.courier, "after the outage"),
        ))
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
        .retry_spool_now(|_| Some(mailer.resolve(account)), |_, _| {})
        .await
}

/// Soak: 1,000 sends while Dovecot's IMAP goes off and on at random
/// moments (at most 8 outages, all on loopback); afterwards every copy of
/// every message sent is in the Sent folder exactly once, counted by
/// Message-ID.
#[test]
fn a_thousand_sends_through_imap_outages_file_every_copy_exactly_once() {
    let _one_at_a_time = IMAP
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let s = Servers::get();
    let who = &s.scratch;
    let mailer = std::sync::Arc::new(Mailer::builder(spool_dir("soak")).build().unwrap());
    let account = std::sync::Arc::new(account(who));
    let back_on = ImapBackOn;
    let sending = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));

    // The outages: random moments, bounded in count and time.
    let toggler = {
        let sending = sending.clone();
        std::thread::spawn(move || {
            let mut seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            let mut outages = 0;
            while outages < 8 && sending.load(std::sync::atomic::Ordering::SeqCst) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                std::thread::sleep(std::time::Duration::from_millis(
                    150 + u64::from(seed % 500),
                ));
                Servers::get().set_imap_listening(false);
                std::thread::sleep(std::time::Duration::from_millis(
                    100 + u64::from(seed % 300),
                ));
                Servers::get().set_imap_listening(true);
                outages += 1;
            }
            outages
        })
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ids: Vec<String> = rt.block_on(async {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..1_000 {
            let (mailer, account, permits) = (mailer.clone(), account.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let who = &Servers::get().scratch;
                let email = email(who, &Servers::get().localized, &format!("soak {i}"));
                mailer.send(&mailer.resolve(&account), email).await
            });
        }
        let mut ids = Vec::new();
        while let Some(done) = tasks.join_next().await {
            // A send refused while Dovecot's auth restarted is not sent:
            // the caller knows; only sent messages must be filed.
            if let Ok(receipt) = done.unwrap() {
                ids.push(receipt.message_id);
            }
        }
        ids
    });
    sending.store(false, std::sync::atomic::Ordering::SeqCst);
    let outages = toggler.join().unwrap();
    drop(back_on);
    // IMAP is back: retry until nothing waits (bounded).
    for _ in 0..5 {
        if rt.block_on(mailer.spool().entries()).unwrap().is_empty() {
            break;
        }
        rt.block_on(mailer.retry_spool_now(|_| Some(mailer.resolve(&account)), |_, _| {}))
            .unwrap();
    }
    assert!(
        rt.block_on(mailer.spool().entries()).unwrap().is_empty(),
        "copies left waiting"
    );
    assert!(ids.len() >= 900, "most sends went through: {}", ids.len());

    // Count every Message-ID in the Sent folder.
    let (lost, twice) = courriel_testkit::fleet::lost_and_twice(std::slice::from_ref(who), &ids);
    println!(
        "soak: {} sent through {outages} IMAP outages; lost {lost}, filed twice {twice}",
        ids.len()
    );
    assert_eq!((lost, twice), (0, 0));
    assert!(
        outages >= 1,
        "at least one outage happened during the sends"
    );
}
