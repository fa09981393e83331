//! A mailbox without a Sent folder (a new account on most servers holds
//! only INBOX): the folder is created on first filing, as mail programs
//! do, unless the caller turns creation off.

use std::sync::{Arc, Mutex};

use courriel_archive::{Archive, EntryState, Filed, Spool, Target};
use courriel_core::Security;
use courriel_testkit::Servers;

use crate::{runtime, settings};

fn message(id: &str) -> Vec<u8> {
    format!("From: frank@courriel.test\r\nSubject: first\r\nMessage-ID: <{id}>\r\n\r\nBonjour\r\n")
        .into_bytes()
}

fn auto(create: bool) -> Target {
    Target::Auto {
        provider_hint: None,
        create,
    }
}

fn spool_dir(test: &str) -> std::path::PathBuf {
    courriel_testkit::fresh_dir(&format!("create-{test}"))
}

/// On the real Dovecot (`INBOX.` prefix, `.` separator, no
/// CREATE-SPECIAL-USE): refused with IM017 while creation is off, then
/// `INBOX.Sent` created (and subscribed) by the first filing that may,
/// found by later ones; the refused copy is filed there by a retry.
#[test]
fn a_mailbox_with_only_inbox_gets_its_sent_folder_on_first_filing() {
    let s = Servers::get();
    let account = &s.bare;
    let mut imap = s.imap_as(account);
    imap.keep_only_inbox();
    assert_eq!(imap.folder_names(), ["INBOX"]);

    let dir = spool_dir("bare");
    let archive = Archive::new(Spool::dir(&dir).unwrap());
    let settings = settings(account, s.imap_tls_port, Security::ImplicitTls);
    let pid = std::process::id();
    let refused_id = format!("refused.{pid}@test.courriel");
    let filed = runtime()
        .block_on(archive.file(
            "frank",
            &settings,
            &auto(false),
            &refused_id,
            None,
            &message(&refused_id),
        ))
        .unwrap();
    let Filed::Failed { failure, .. } = &filed else {
        panic!("creation off: {filed:?}")
    };
    assert_eq!(failure.code(), "IM017", "{failure}");
    assert_eq!(imap.folder_names(), ["INBOX"], "nothing created");

    let first_id = format!("first.{pid}@test.courriel");
    let filed = runtime()
        .block_on(archive.file(
            "frank",
            &settings,
            &auto(true),
            &first_id,
            None,
            &message(&first_id),
        ))
        .unwrap();
    assert!(
        matches!(&filed, Filed::Filed { folder, created: true } if folder == "INBOX.Sent"),
        "{filed:?}"
    );
    assert_eq!(
        imap.count("INBOX.Sent", &format!("HEADER Message-ID \"<{first_id}>\"")),
        1
    );
    assert!(
        imap.command("LSUB \"\" \"*\"")
            .unwrap()
            .untagged
            .iter()
            .any(|l| l.ends_with("INBOX.Sent")),
        "subscribed, so mail programs show it"
    );

    // A later filing (a new archive: nothing remembered) finds it.
    let second_id = format!("second.{pid}@test.courriel");
    let filed = runtime()
        .block_on(Archive::new(Spool::dir(&dir).unwrap()).file(
            "frank",
            &settings,
            &auto(true),
            &second_id,
            None,
            &message(&second_id),
        ))
        .unwrap();
    assert!(
        matches!(&filed, Filed::Filed { folder, created: false } if folder == "INBOX.Sent"),
        "{filed:?}"
    );

    // The copy refused while creation was off, retried once the account allows it.
    let spool = Spool::dir(&dir).unwrap();
    let entries = runtime().block_on(spool.entries()).unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].state, EntryState::Failed);
    assert!(
        entries[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("IM017")
    );
    assert_eq!(runtime().block_on(spool.requeue_failed()).unwrap(), 1);
    let archive = Archive::new(spool);
    let report = runtime()
        .block_on(archive.retry(|_| Some((settings.clone(), auto(true)))))
        .unwrap();
    assert_eq!(report.filed, 1, "{report:?}");
    assert_eq!(
        imap.count(
            "INBOX.Sent",
            &format!("HEADER Message-ID \"<{refused_id}>\"")
        ),
        1
    );
    assert_eq!(
        imap.folder_names().len(),
        2,
        "INBOX and one Sent folder, never two"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// How the scripted server answers the first `CREATE ... (USE (\Sent))`.
#[derive(Clone, Copy, Debug)]
enum CreateAnswer {
    Ok,
    /// `NO [USEATTR]`: it cannot mark that folder; a plain CREATE works.
    UseAttr,
    /// `NO [ALREADYEXISTS]`: another client created it meanwhile.
    AlreadyExists,
    /// `NO [NOPERM]`: no folder may be created.
    NoPerm,
}

/// A server offering CREATE-SPECIAL-USE (as Cyrus does) whose mailbox
/// holds only INBOX until a CREATE; returns its port and every command
/// line it heard.
fn create_special_use(answer: CreateAnswer) -> (u16, Arc<Mutex<Vec<String>>>) {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let heard2 = heard.clone();
    let port = courriel_testkit::hostile::serve(true, move |mut script| {
        let caps = "IMAP4rev1 NAMESPACE SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS";
        script.say(&format!("* OK [CAPABILITY {caps}] ready\r\n"));
        // Created by "another client" between our LIST and CREATE, for
        // AlreadyExists.
        let mut exists = false;
        let mut creates = 0;
        while let Some(line) = script.hear() {
            let (tag, command) = line.split_once(' ').unwrap_or((&line, ""));
            let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
            heard2.lock().unwrap().push(command.to_string());
            let answer = match verb.as_str() {
                "LOGIN" => format!("{tag} OK [CAPABILITY {caps}] in\r\n"),
                "NAMESPACE" => format!("* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\n{tag} OK\r\n"),
                "LIST" => {
                    let sent = if exists {
                        "* LIST (\\HasNoChildren \\Sent) \".\" INBOX.Sent\r\n"
                    } else {
                        ""
                    };
                    format!("* LIST (\\HasChildren) \".\" INBOX\r\n{sent}{tag} OK\r\n")
                }
                "CREATE" => {
                    creates += 1;
                    match (answer, creates) {
                        (CreateAnswer::UseAttr, 1) => {
                            format!("{tag} NO [USEATTR] \\Sent not allowed here\r\n")
                        }
                        (CreateAnswer::AlreadyExists, _) => {
                            exists = true;
                            format!("{tag} NO [ALREADYEXISTS] Mailbox already exists\r\n")
                        }
                        (CreateAnswer::NoPerm, _) => {
                            format!("{tag} NO [NOPERM] Permission denied\r\n")
                        }
                        _ => {
                            exists = true;
                            format!("{tag} OK Completed\r\n")
                        }
                    }
                }
                "SUBSCRIBE" => format!("{tag} OK Completed\r\n"),
                "APPEND" => {
                    script.take_literal(&line);
                    if exists {
                        format!("{tag} OK [APPENDUID 1 1] stored\r\n")
                    } else {
                        format!("{tag} NO [TRYCREATE] no such mailbox\r\n")
                    }
                }
                "LOGOUT" => {
                    script.say(&format!("* BYE\r\n{tag} OK\r\n"));
                    return;
                }
                _ => format!("{tag} BAD unknown command\r\n"),
            };
            script.say(&answer);
        }
    });
    (port, heard)
}

/// Marked `\Sent` where the server offers CREATE-SPECIAL-USE; a server
/// that cannot mark it gets a plain CREATE; one that says it already
/// exists is taken at its word; a refusal is IM016 with the server's words,
/// the copy kept as failed.
#[test]
fn the_created_folder_is_marked_sent_where_the_server_can() {
    let s = Servers::get();
    for answer in [
        CreateAnswer::Ok,
        CreateAnswer::UseAttr,
        CreateAnswer::AlreadyExists,
        CreateAnswer::NoPerm,
    ] {
        let (port, heard) = create_special_use(answer);
        let dir = spool_dir(&format!("{answer:?}"));
        let archive = Archive::new(Spool::dir(&dir).unwrap());
        let id = format!("{answer:?}.{}@test.courriel", std::process::id());
        let filed = runtime()
            .block_on(archive.file(
                "frank",
                &settings(&s.bare, port, Security::ImplicitTls),
                &auto(true),
                &id,
                None,
                &message(&id),
            ))
            .unwrap();
        let heard = heard.lock().unwrap().clone();
        let creates: Vec<&String> = heard.iter().filter(|c| c.starts_with("CREATE")).collect();
        assert_eq!(
            creates.first().map(|c| c.as_str()),
            Some("CREATE \"INBOX.Sent\" (USE (\\Sent))"),
            "{answer:?}: {heard:?}"
        );
        match answer {
            CreateAnswer::Ok | CreateAnswer::UseAttr | CreateAnswer::AlreadyExists => {
                let by_us = !matches!(answer, CreateAnswer::AlreadyExists);
                assert!(
                    matches!(&filed, Filed::Filed { folder, created } if folder == "INBOX.Sent" && *created == by_us),
                    "{answer:?}: {filed:?}"
                );
                assert!(
                    heard.iter().any(|c| c == "SUBSCRIBE \"INBOX.Sent\""),
                    "{answer:?}: {heard:?}"
                );
            }
            CreateAnswer::NoPerm => {
                let Filed::Failed { failure, .. } = &filed else {
                    panic!("{filed:?}")
                };
                assert_eq!(failure.code(), "IM016");
                assert!(
                    failure.to_string().contains("Permission denied"),
                    "{failure}"
                );
                assert!(!heard.iter().any(|c| c.starts_with("APPEND")), "{heard:?}");
            }
        }
        if matches!(answer, CreateAnswer::UseAttr) {
            assert_eq!(
                creates.get(1).map(|c| c.as_str()),
                Some("CREATE \"INBOX.Sent\""),
                "{heard:?}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
