//! Sending with a resolved account runs no rule and reads no file: the
//! rules ran, and the CA file was read, when the account was resolved. A
//! test binary of its own: it counts the rules' runs in this process.

mod common;

use common::{account, email, spool_dir};
use courriel::{Filing, Mailer};
use courriel_core::rules;
use courriel_testkit::{Servers, runtime};

#[test]
fn sending_filing_and_retrying_run_no_rule_and_read_no_file() {
    let s = Servers::get();
    // The CA file, in a place of its own: removed once the account is
    // resolved, so a send that read it again would fail.
    let dir = spool_dir("resolved");
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::copy(&s.ca, &ca).unwrap();
    let mut alice = account(&s.special);
    let mut settings = alice.settings().clone();
    settings.ca_file = Some(ca.display().to_string());
    alice = courriel::Account::new(alice.id(), settings)
        .with_smtp_password(&s.special.password)
        .with_imap_password(&s.special.password);
    let mailer = Mailer::builder(dir.join("spool")).build().unwrap();

    let before = rules::evaluations();
    let resolved = mailer.resolve(&alice);
    assert_eq!(
        rules::evaluations(),
        before + 1,
        "resolving runs the rules once"
    );
    assert!(
        resolved
            .diagnostics()
            .iter()
            .all(|d| d.severity != rules::Severity::Error)
    );
    std::fs::remove_file(&ca).unwrap();

    let rt = runtime();
    let resolved_at = rules::evaluations();
    for i in 0..3 {
        let receipt = rt
            .block_on(mailer.send(
                &resolved,
                email(&s.special, &s.courier, &format!("resolved {i}")),
            ))
            .unwrap_or_else(|e| panic!("send {i}: {e}"));
        assert!(
            matches!(receipt.filing, Filing::Filed { .. }),
            "{:?}",
            receipt.filing
        );
    }
    let report = rt
        .block_on(mailer.retry_spool_now(|_| Some(resolved.clone()), |_, _| {}))
        .unwrap();
    assert_eq!(report.pending + report.failed, 0, "{report:?}");
    rt.block_on(mailer.close());
    assert_eq!(
        rules::evaluations(),
        resolved_at,
        "sending, filing and retrying ran the rules"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
