//! Each Dovecot layout: its folders, the Sent folder chosen and why, and
//! copies filed there exactly once.

use courriel_archive::{Reason, choose_sent, connect};
use courriel_core::Security;
use courriel_testkit::{Account, Servers};

use crate::{runtime, settings};

fn chosen(account: &Account) -> (String, Reason, Vec<String>) {
    let s = Servers::get();
    runtime().block_on(async {
        let mut session = connect(&settings(account, s.imap_tls_port, Security::ImplicitTls))
            .await
            .unwrap();
        let namespaces = session.namespaces().await.unwrap();
        let folders = session.folders(&namespaces).await.unwrap();
        let choice = choose_sent(&folders, &namespaces, None, None).expect("a Sent folder");
        session.logout().await;
        (
            choice.folder.raw,
            choice.reason,
            folders.iter().map(|f| f.name.clone()).collect(),
        )
    })
}

#[test]
fn layout_a_uses_the_sent_attribute() {
    let (raw, reason, names) = chosen(&Servers::get().special);
    assert_eq!((raw.as_str(), reason), ("Sent", Reason::Attribute));
    assert!(
        names.contains(&"Unsent Messages".to_string()),
        "the trap is there: {names:?}"
    );
}

#[test]
fn layout_b_finds_inbox_sent_by_name_not_presentations() {
    let (raw, reason, names) = chosen(&Servers::get().courier);
    assert_eq!(raw, "INBOX.Sent");
    assert_eq!(
        reason,
        Reason::LocalizedName {
            matched: "sent".into()
        }
    );
    assert!(names.contains(&"INBOX.Presentations".to_string()));
}

#[test]
fn layout_c_finds_the_modified_utf7_french_name() {
    let (raw, reason, names) = chosen(&Servers::get().localized);
    assert_eq!(raw, "&AMk-l&AOk-ments envoy&AOk-s");
    assert_eq!(
        reason,
        Reason::LocalizedName {
            matched: "éléments envoyés".into()
        }
    );
    assert!(
        names.contains(&"Projets/Envoyés au client".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"Éléments envoyés".to_string()));
}

#[test]
fn a_copy_is_filed_with_literal_plus_and_found_by_its_message_id() {
    let s = Servers::get();
    runtime().block_on(async {
        let account = &s.localized;
        let mut session = connect(&settings(account, s.imap_starttls_port, Security::Starttls)).await.unwrap();
        assert!(session.has("LITERAL+"));
        let id = format!("filed.{}.{}@test.courriel", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
        let folder = "&AMk-l&AOk-ments envoy&AOk-s";
        assert!(!session.contains_message_id(folder, &id).await.unwrap());
        let message = format!("From: {}\r\nTo: x@example.test\r\nBcc: hidden@example.test\r\nSubject: copie\r\nMessage-ID: <{id}>\r\n\r\nBonjour\r\n", account.address);
        let appended = session.append(folder, message.as_bytes(), Some("29-Nov-2026 12:00:00 +0000"), false).await.unwrap();
        assert!(appended.uid.is_some(), "Dovecot reports APPENDUID");
        assert!(session.contains_message_id(folder, &id).await.unwrap());
        session.logout().await;
    });
}

#[test]
fn a_missing_folder_is_created_only_when_allowed() {
    let s = Servers::get();
    runtime().block_on(async {
        let mut session = connect(&settings(
            &s.scratch,
            s.imap_tls_port,
            Security::ImplicitTls,
        ))
        .await
        .unwrap();
        let folder = format!("Created-{}", std::process::id());
        let refused = session
            .append(&folder, b"Subject: x\r\n\r\nx\r\n", None, false)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "IM011", "{refused}");
        session
            .append(&folder, b"Subject: x\r\n\r\nx\r\n", None, true)
            .await
            .unwrap();
        session.logout().await;
    });
}

#[test]
fn the_folder_list_is_cached_until_the_settings_change_or_a_refresh() {
    use courriel_archive::FolderCache;
    let s = Servers::get();
    runtime().block_on(async {
        let cache = FolderCache::in_memory();
        let settings = settings(&s.courier, s.imap_tls_port, Security::ImplicitTls);
        let (first, asked) = cache.folders(&settings, false).await.unwrap();
        assert!(asked);
        let (second, asked) = cache.folders(&settings, false).await.unwrap();
        assert!(!asked, "same settings: from the cache");
        assert_eq!(first, second);
        assert!(
            cache.folders(&settings, true).await.unwrap().1,
            "refresh asks the server"
        );
        let mut other = settings.clone();
        other.port = s.imap_starttls_port;
        other.security = Security::Starttls;
        assert!(
            cache.folders(&other, false).await.unwrap().1,
            "changed settings ask the server"
        );
    });
}

#[test]
fn many_copies_in_one_multiappend() {
    let s = Servers::get();
    runtime().block_on(async {
        let mut session = connect(&settings(
            &s.scratch,
            s.imap_tls_port,
            Security::ImplicitTls,
        ))
        .await
        .unwrap();
        assert!(session.has("MULTIAPPEND"));
        let run = std::process::id();
        let copies: Vec<String> = (0..3)
            .map(|i| {
                format!(
                    "Subject: batch {i}\r\nMessage-ID: <batch.{run}.{i}@test.courriel>\r\n\r\nx\r\n"
                )
            })
            .collect();
        let items: Vec<(&[u8], Option<&str>)> = copies
            .iter()
            .map(|c| (c.as_bytes(), Some("29-Nov-2026 12:00:00 +0000")))
            .collect();
        session.append_many("Sent", &items).await.unwrap();
        for i in 0..3 {
            assert!(
                session
                    .contains_message_id("Sent", &format!("batch.{run}.{i}@test.courriel"))
                    .await
                    .unwrap()
            );
        }
        let missing = session
            .append_many("No-Such-Folder", &items)
            .await
            .unwrap_err();
        assert_eq!(missing.code(), "IM011");
        session.logout().await;
    });
}
