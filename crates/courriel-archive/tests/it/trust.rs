//! What a connection trusts is part of what it was made with: after the
//! trusted CAs change, no session and no folder list made under the old
//! ones is used again.

use std::sync::Arc;
use std::time::Duration;

use courriel_archive::{Filed, Filer, FolderCache, ImapSettings, Spool, Target};
use courriel_core::Security;
use courriel_testkit::Servers;

use crate::{runtime, settings};

/// `settings` trusting only the CA that signed no test server.
fn trusting_another_ca(settings: &ImapSettings) -> ImapSettings {
    let mut other = settings
        .clone()
        .with_extra_ca(std::fs::read(&Servers::get().untrusted_ca).expect("the other CA"));
    other.only_extra_ca = true;
    other
}

fn message(id: &str) -> Arc<Vec<u8>> {
    Arc::new(
        format!(
            "From: anne@courriel.test\r\nSubject: trust\r\nMessage-ID: <{id}>\r\n\r\nBonjour\r\n"
        )
        .into_bytes(),
    )
}

#[test]
fn a_session_is_not_reused_after_the_trusted_cas_change() {
    let s = Servers::get();
    let account = &s.special;
    let trusted = settings(account, s.imap_tls_port, Security::ImplicitTls);
    let distrusting = trusting_another_ca(&trusted);
    let dir = std::env::temp_dir().join(format!("courriel-trust-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let archive =
        Filer::new(Spool::dir(&dir).unwrap(), Duration::from_secs(60)).with_linger(Duration::ZERO);
    let target = Target::Folder("Sent".into());
    let pid = std::process::id();
    runtime().block_on(async {
        let first = format!("trusted.{pid}@test.courriel");
        let outcome = archive
            .file("trust", &trusted, &target, &first, message(&first), None)
            .await
            .unwrap();
        assert!(matches!(outcome, Filed::Filed { .. }), "{outcome:?}");
        assert_eq!(archive.open_sessions(), 1, "the session is kept");

        // Same server, login and password; only the trusted CAs differ:
        // the kept session must not carry the copy.
        let second = format!("distrusted.{pid}@test.courriel");
        let filed = archive
            .file(
                "trust",
                &distrusting,
                &target,
                &second,
                message(&second),
                None,
            )
            .await
            .unwrap();
        let Filed::Spooled { failure, .. } = &filed else {
            panic!("filed over a session the new CAs do not trust: {filed:?}")
        };
        assert_eq!(failure.code(), "IM005", "{failure}");
        archive.close().await;
    });
    let mut imap = s.imap_as(account);
    assert_eq!(
        imap.count(
            "Sent",
            &format!("HEADER Message-ID \"<distrusted.{pid}@test.courriel>\"")
        ),
        0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_cached_folder_list_is_not_reused_after_the_trusted_cas_change() {
    let s = Servers::get();
    let trusted = settings(&s.special, s.imap_tls_port, Security::ImplicitTls);
    let distrusting = trusting_another_ca(&trusted);
    let cache = FolderCache::in_memory();
    runtime().block_on(async {
        let (list, asked) = cache.folders(&trusted, false).await.unwrap();
        assert!(asked);
        assert!(list.folders.iter().any(|f| f.name == "Sent"));
        let (_, asked) = cache.folders(&trusted, false).await.unwrap();
        assert!(!asked, "the same settings use the cached list");

        let failure = cache
            .folders(&distrusting, false)
            .await
            .expect_err("a list made under other CAs is not an answer for these");
        assert_eq!(failure.code(), "IM005", "{failure}");
        assert!(cache.get(&distrusting).await.is_none());
    });
}
