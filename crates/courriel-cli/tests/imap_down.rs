//! The tool while the user's IMAP server is down: `courriel send` succeeds
//! and says the copy waits in the spool, and once IMAP is back `courriel
//! spool retry` files it exactly once. Dovecot's IMAP listeners are turned
//! off by a reload (its auth and LMTP keep serving Postfix) and open
//! sessions are kicked, so this test binary runs alone: cargo runs test
//! binaries one after another. The library's own outage tests are
//! courriel's `tests/imap_down.rs`.

use std::path::PathBuf;
use std::sync::Mutex;

use courriel_testkit::message::Stored;
use courriel_testkit::{Account, ImapBackOn, Servers};

/// One test at a time turns IMAP off.
static IMAP: Mutex<()> = Mutex::new(());

/// A directory of its own for `test`.
fn fresh_dir(test: &str) -> PathBuf {
    courriel_testkit::fresh_dir(&format!("cli-imap-down-{test}"))
}

/// Every message in `folder` of `who` (on Dovecot) with this Message-ID.
fn copies(who: &Account, folder: &str, message_id: &str) -> Vec<Stored> {
    Servers::get().imap_as(who).messages(folder, message_id)
}

/// The message with this Message-ID in `who`'s INBOX on Dovecot, once
/// delivered (waits up to 30 s, then panics).
fn delivered(who: &Account, message_id: &str) {
    let s = Servers::get();
    assert!(
        !s.delivered(s.imap_tls_port, who, message_id).is_empty(),
        "{message_id} never reached {}",
        who.address
    );
}

/// As a person would: `courriel send` while IMAP
/// is down says the copy waits; once IMAP is back, `courriel spool retry`
/// files it exactly once, and a second retry files nothing.
#[test]
fn the_tool_spools_then_spool_retry_files_exactly_once() {
    let _one_at_a_time = IMAP
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let s = Servers::get();
    let dir = fresh_dir("tool");
    std::fs::create_dir_all(&dir).unwrap();
    let account = dir.join("alice.toml");
    std::fs::write(
        &account,
        format!(
            "sender = \"{a}\"\nca_file = \"{ca}\"\n[smtp]\nhost = \"{h}\"\nport = {sp}\nsecurity = \"starttls\"\nusername = \"{a}\"\npassword_env = \"COURRIEL_TEST_PASSWORD\"\n[imap]\nhost = \"{h}\"\nport = {ip}\nsecurity = \"implicit-tls\"\nusername = \"{a}\"\npassword_env = \"COURRIEL_TEST_PASSWORD\"\nsent_folder = \"auto\"\n",
            a = s.special.address,
            ca = s.ca.display(),
            h = s.host,
            sp = s.smtp_starttls_port,
            ip = s.imap_tls_port,
        ),
    )
    .unwrap();
    std::fs::write(dir.join("body.txt"), "Bonjour\n").unwrap();
    let spool = dir.join("spool");
    let courriel = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_courriel"))
            .args(args)
            .args(["--spool", spool.to_str().unwrap(), "--json"])
            .env("COURRIEL_TEST_PASSWORD", &s.special.password)
            .env_remove("LANG")
            .env_remove("LC_ALL")
            .output()
            .unwrap()
    };
    let json = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };

    let back_on = ImapBackOn;
    s.set_imap_listening(false);
    let sent = courriel(&[
        "send",
        "--config",
        account.to_str().unwrap(),
        "--to",
        &s.courier.address,
        "--subject",
        "sent while IMAP is down (tool)",
        "--text",
        dir.join("body.txt").to_str().unwrap(),
    ]);
    assert_eq!(
        sent.status.code(),
        Some(0),
        "sent: the copy's fate does not fail the send"
    );
    let receipt = json(&sent);
    assert_eq!(receipt["filing"]["status"], "spooled", "{receipt}");
    let message_id = receipt["message_id"].as_str().unwrap().to_string();

    // Still down: the copy stays, exit 1 says so.
    let retry = courriel(&["spool", "retry", "--now"]);
    assert_eq!(retry.status.code(), Some(1));
    assert_eq!(json(&retry)["pending"], 1);

    drop(back_on);
    let retry = courriel(&["spool", "retry", "--now"]);
    assert_eq!(
        retry.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&retry.stderr)
    );
    assert_eq!(json(&retry)["filed"], 1);
    assert_eq!(copies(&s.special, "Sent", &message_id).len(), 1);

    let again = courriel(&["spool", "retry", "--now"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        (
            json(&again)["filed"].as_u64(),
            json(&again)["already_filed"].as_u64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(
        copies(&s.special, "Sent", &message_id).len(),
        1,
        "filed exactly once"
    );
    delivered(&s.courier, &message_id);
}
