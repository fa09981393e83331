//! Each way an IMAP check can fail gives its own code, within its time bound.

use std::time::{Duration, Instant};

use courriel_archive::{CheckOutcome, check};
use courriel_core::Security;
use courriel_core::account::Lang;
use courriel_testkit::Servers;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{runtime, settings};

fn code_of(outcome: CheckOutcome) -> String {
    match outcome {
        CheckOutcome::Ok { .. } => "OK".to_string(),
        CheckOutcome::Failed(f) => {
            assert!(
                !f.message(Lang::Fr).contains("{$"),
                "{}",
                f.message(Lang::Fr)
            );
            f.code().to_string()
        }
        _ => "other".to_string(),
    }
}

#[test]
fn good_settings_check_ok_on_both_ports() {
    let s = Servers::get();
    let rt = runtime();
    for (port, security) in [
        (s.imap_tls_port, Security::ImplicitTls),
        (s.imap_starttls_port, Security::Starttls),
    ] {
        let outcome = rt.block_on(check(Some(&settings(&s.special, port, security))));
        match outcome {
            CheckOutcome::Ok { capabilities } => assert!(
                capabilities.iter().any(|c| c == "IMAP4REV1"),
                "{capabilities:?}"
            ),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn not_configured() {
    assert_eq!(code_of(runtime().block_on(check(None))), "IM001");
}

#[test]
fn wrong_password() {
    let s = Servers::get();
    let mut settings = settings(&s.special, s.imap_tls_port, Security::ImplicitTls);
    settings.secret = courriel_net::Secret::password("not-the-password");
    let outcome = runtime().block_on(check(Some(&settings)));
    let CheckOutcome::Failed(failure) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(failure.code(), "IM009");
    assert!(
        failure.message(Lang::En).contains("AUTHENTICATIONFAILED"),
        "{}",
        failure.message(Lang::En)
    );
    assert!(!format!("{failure:?}").contains("not-the-password"));
}

#[test]
fn closed_port() {
    let s = Servers::get();
    let settings = settings(&s.special, 1, Security::ImplicitTls);
    assert_eq!(code_of(runtime().block_on(check(Some(&settings)))), "IM003");
}

#[test]
fn untrusted_certificate_and_wrong_name() {
    let s = Servers::get();
    let mut untrusted = settings(&s.special, s.imap_tls_port, Security::ImplicitTls);
    untrusted.host = s.untrusted_host.clone();
    assert_eq!(
        code_of(runtime().block_on(check(Some(&untrusted)))),
        "IM005"
    );
    let mut mismatch = settings(&s.special, s.imap_tls_port, Security::ImplicitTls);
    mismatch.host = s.remote_host.clone();
    assert_eq!(code_of(runtime().block_on(check(Some(&mismatch)))), "IM006");
}

#[test]
fn ports_and_security_swapped_fail_clearly_within_the_bound() {
    let s = Servers::get();
    let rt = runtime();
    // TLS spoken to the STARTTLS port: the plaintext greeting breaks the handshake.
    let start = Instant::now();
    let code = code_of(rt.block_on(check(Some(&settings(
        &s.special,
        s.imap_starttls_port,
        Security::ImplicitTls,
    )))));
    assert_eq!(code, "IM007");
    // Plain text to the implicit-TLS port: no greeting ever comes.
    let code = code_of(rt.block_on(check(Some(&settings(
        &s.special,
        s.imap_tls_port,
        Security::Starttls,
    )))));
    assert_eq!(code, "IM004");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "bounded by the configured timeouts"
    );
}

/// A local server that runs `script` on each connection.
fn hostile(
    script: fn(
        tokio::net::TcpStream,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
) -> u16 {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let port = std_listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        runtime().block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(script(stream));
            }
        });
    });
    port
}

#[test]
fn a_server_that_never_greets_times_out() {
    let port = hostile(|stream| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(stream);
        })
    });
    let s = Servers::get();
    let settings = settings(&s.special, port, Security::Starttls);
    let start = Instant::now();
    assert_eq!(code_of(runtime().block_on(check(Some(&settings)))), "IM004");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_server_without_starttls_gets_no_password() {
    let port = hostile(|mut stream| {
        Box::pin(async move {
            let _ = stream
                .write_all(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no TLS here\r\n")
                .await;
            let mut buf = [0u8; 512];
            let mut seen = Vec::new();
            while let Ok(n) = stream.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                assert!(
                    !String::from_utf8_lossy(&seen).contains("LOGIN"),
                    "a password was sent in clear"
                );
                if seen.ends_with(b"\r\n") {
                    let tag = String::from_utf8_lossy(&seen)
                        .split(' ')
                        .next()
                        .unwrap_or("*")
                        .to_string();
                    let _ = stream
                        .write_all(format!("{tag} BAD unknown command\r\n").as_bytes())
                        .await;
                    seen.clear();
                }
            }
        })
    });
    let s = Servers::get();
    let settings = settings(&s.special, port, Security::Starttls);
    assert_eq!(code_of(runtime().block_on(check(Some(&settings)))), "IM008");
}

#[test]
fn a_server_that_is_not_imap() {
    let port = hostile(|mut stream| {
        Box::pin(async move {
            let _ = stream.write_all(b"220 mail.example ESMTP\r\n").await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        })
    });
    let s = Servers::get();
    let settings = settings(&s.special, port, Security::Starttls);
    assert_eq!(code_of(runtime().block_on(check(Some(&settings)))), "IM010");
}

/// A server as some are (Cyrus without UNSELECT, say): it does not offer
/// UNSELECT (and refuses it), keeps a folder opened with EXAMINE selected read-only
/// until CLOSE, and refuses an APPEND meanwhile. With `search_refused`, it
/// refuses every SEARCH. Returns its port, the copies it stored and the
/// commands it heard.
fn without_unselect(
    search_refused: bool,
) -> (
    u16,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    use std::sync::atomic::Ordering;
    let stored = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (stored2, heard2) = (stored.clone(), heard.clone());
    let port = courriel_testkit::hostile::serve(true, move |mut script| {
        script.say("* OK [CAPABILITY IMAP4rev1] no UNSELECT here\r\n");
        let mut read_only = false;
        while let Some(line) = script.hear() {
            let (tag, command) = line.split_once(' ').unwrap_or((&line, ""));
            let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
            heard2.lock().unwrap().push(verb.clone());
            let answer = match verb.as_str() {
                "LOGIN" => format!("{tag} OK [CAPABILITY IMAP4rev1] in\r\n"),
                "CAPABILITY" => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK\r\n"),
                "EXAMINE" => {
                    read_only = true;
                    format!("* 0 EXISTS\r\n{tag} OK [READ-ONLY] examined\r\n")
                }
                "UID" if search_refused => format!("{tag} NO search failed\r\n"),
                "UID" => format!("* SEARCH\r\n{tag} OK\r\n"),
                "CLOSE" => {
                    read_only = false;
                    format!("{tag} OK closed\r\n")
                }
                "APPEND" => {
                    script.take_literal(&line);
                    if read_only {
                        format!("{tag} NO Current box is selected READ-ONLY\r\n")
                    } else {
                        stored2.fetch_add(1, Ordering::SeqCst);
                        format!("{tag} OK [APPENDUID 1 1] stored\r\n")
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
    (port, stored, heard)
}

/// A retried copy on a server without UNSELECT: looked for (EXAMINE, UID
/// SEARCH), the folder left with CLOSE, then filed. And a refused search
/// files nothing: not knowing is not "absent".
#[test]
fn a_retried_copy_is_filed_on_a_server_without_unselect() {
    use courriel_archive::{Archive, NewCopy, Spool, Target};
    use std::sync::atomic::Ordering;
    let s = Servers::get();
    for search_refused in [false, true] {
        let (port, stored, heard) = without_unselect(search_refused);
        let dir = courriel_testkit::fresh_dir(&format!("unselect-{search_refused}"));
        let spool = Spool::dir(&dir).unwrap();
        let id = format!(
            "unselect.{search_refused}.{}@test.courriel",
            std::process::id()
        );
        let rt = runtime();
        rt.block_on(async {
            let claim = spool
                .put(
                    NewCopy::sent("alice", Some("Sent"), &id),
                    std::sync::Arc::new(
                        format!("Subject: x\r\nMessage-ID: <{id}>\r\n\r\nBonjour\r\n").into_bytes(),
                    ),
                )
                .await
                .unwrap();
            spool.release(claim, Duration::ZERO).await.unwrap();
        });
        let archive = Archive::new(spool);
        let report = rt
            .block_on(archive.retry(|_| {
                Some((
                    settings(&s.special, port, Security::ImplicitTls),
                    Target::Folder("Sent".into()),
                ))
            }))
            .unwrap();
        let heard = heard.lock().unwrap().clone();
        assert!(
            !heard.contains(&"UNSELECT".to_string()),
            "not offered: {heard:?}"
        );
        if search_refused {
            assert_eq!((report.filed, report.pending), (0, 1), "{report:?}");
            assert_eq!(stored.load(Ordering::SeqCst), 0, "{heard:?}");
        } else {
            assert_eq!(report.filed, 1, "{report:?} {heard:?}");
            assert_eq!(stored.load(Ordering::SeqCst), 1);
            assert!(heard.contains(&"CLOSE".to_string()), "{heard:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// A server that stores every APPEND's copy, answering the first
/// session's with something async-imap's parser cannot read and later
/// sessions' with OK. Returns its port, the copies stored and the number of
/// sessions.
fn unparsable_after_storing() -> (
    u16,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let stored = Arc::new(Mutex::new(Vec::<String>::new()));
    let sessions = Arc::new(AtomicUsize::new(0));
    let (stored2, sessions2) = (stored.clone(), sessions.clone());
    let port = courriel_testkit::hostile::serve(true, move |mut script| {
        let session = sessions2.fetch_add(1, Ordering::SeqCst);
        script.say("* OK [CAPABILITY IMAP4rev1 LITERAL+ UIDPLUS UNSELECT] ready\r\n");
        while let Some(line) = script.hear() {
            let (tag, command) = line.split_once(' ').unwrap_or((&line, ""));
            let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
            let answer = match verb.as_str() {
                "LOGIN" => {
                    format!("{tag} OK [CAPABILITY IMAP4rev1 LITERAL+ UIDPLUS UNSELECT] in\r\n")
                }
                "EXAMINE" => format!("* 0 EXISTS\r\n{tag} OK [READ-ONLY] examined\r\n"),
                "UID" => {
                    let wanted = command.rsplit(' ').next().unwrap_or("").trim_matches('"');
                    let found = stored2.lock().unwrap().iter().any(|m| m.contains(wanted));
                    let uids = if found { " 1" } else { "" };
                    format!("* SEARCH{uids}\r\n{tag} OK\r\n")
                }
                "UNSELECT" => format!("{tag} OK\r\n"),
                "APPEND" => {
                    let message = script.literal(&line);
                    stored2
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&message).into_owned());
                    if session == 0 {
                        // Stored, then an answer that is not IMAP.
                        "* 1 NOT-IMAP ((\r\n".to_string()
                    } else {
                        format!(
                            "{tag} OK [APPENDUID 1 {}] stored\r\n",
                            stored2.lock().unwrap().len()
                        )
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
    (port, stored, sessions)
}

/// A server that answers an APPEND with something async-imap's parser
/// cannot read, after storing the copy: the copy stays spooled with a
/// stable code (IM010), nothing is lost, and the next session (the retry)
/// finds it filed instead of filing it twice. Then a new copy is filed on
/// a fresh session as usual.
#[test]
fn an_answer_imap_proto_cannot_parse_mid_session() {
    use courriel_archive::{Archive, Filed, Spool, Target};
    use std::sync::atomic::Ordering;
    let s = Servers::get();
    let (port, stored, sessions) = unparsable_after_storing();
    let dir = courriel_testkit::fresh_dir("unparsable");
    let archive = Archive::new(Spool::dir(&dir).unwrap());
    let settings = settings(&s.special, port, Security::ImplicitTls);
    let target = Target::Folder("Sent".into());
    let message = |id: &str| format!("Subject: x\r\nMessage-ID: <{id}>\r\n\r\nBonjour\r\n");
    let rt = runtime();
    let first = rt
        .block_on(archive.file(
            "alice",
            &settings,
            &target,
            "one@test",
            None,
            message("one@test").as_bytes(),
        ))
        .unwrap();
    let Filed::Spooled { failure, .. } = &first else {
        panic!("{first:?}")
    };
    assert_eq!(failure.code(), "IM010", "{}", failure.message(Lang::En));
    assert!(
        failure.message(Lang::En).contains("NOT-IMAP"),
        "{}",
        failure.message(Lang::En)
    );
    let spooled = rt.block_on(archive.spool().entries()).unwrap();
    assert_eq!(spooled.len(), 1, "the copy is kept");
    assert!(
        spooled[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .starts_with("IM010"),
        "{spooled:?}"
    );

    let report = rt
        .block_on(
            archive
                .retry_all_with_progress(|_| Some((settings.clone(), target.clone())), |_, _| {}),
        )
        .unwrap();
    assert_eq!((report.already_filed, report.filed), (1, 0), "{report:?}");
    assert!(rt.block_on(archive.spool().entries()).unwrap().is_empty());

    let second = rt
        .block_on(archive.file(
            "alice",
            &settings,
            &target,
            "two@test",
            None,
            message("two@test").as_bytes(),
        ))
        .unwrap();
    assert!(matches!(second, Filed::Filed { .. }), "{second:?}");
    let stored = stored.lock().unwrap();
    assert_eq!(stored.len(), 2, "each copy stored once");
    assert!(stored[1].contains("two@test"));
    assert_eq!(
        sessions.load(Ordering::SeqCst),
        3,
        "a new session after the broken one"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A call that times out leaves the session broken: the next call on it
/// says so (IM013) without sending anything, so a late answer to the
/// first can never be read as the second's.
#[test]
fn a_session_whose_call_timed_out_is_not_used_again() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let appends = Arc::new(AtomicUsize::new(0));
    let heard = appends.clone();
    let port = courriel_testkit::hostile::serve(true, move |mut script| {
        script.say("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n");
        while let Some(line) = script.hear() {
            let (tag, command) = line.split_once(' ').unwrap_or((&line, ""));
            if command.to_ascii_uppercase().starts_with("LOGIN") {
                script.say(&format!("{tag} OK [CAPABILITY IMAP4rev1 LITERAL+] in\r\n"));
            } else if command.to_ascii_uppercase().starts_with("APPEND") {
                script.take_literal(&line);
                heard.fetch_add(1, Ordering::SeqCst);
                // Silent: the answer never comes in time.
            }
        }
    });
    let s = Servers::get();
    let mut settings = settings(&s.special, port, Security::ImplicitTls);
    settings.timeouts.command = Duration::from_millis(300);
    runtime().block_on(async {
        let mut session = courriel_archive::connect(&settings).await.unwrap();
        let first = session
            .append("Sent", b"x\r\n", None, false)
            .await
            .unwrap_err();
        assert_eq!(first.code(), "IM004", "{}", first.message(Lang::En));
        let second = session
            .append("Sent", b"x\r\n", None, false)
            .await
            .unwrap_err();
        assert_eq!(second.code(), "IM013", "{}", second.message(Lang::En));
        let third = session.namespaces().await;
        assert!(third.is_ok(), "no NAMESPACE offered: nothing to ask");
        assert!(session.folders(&third.unwrap()).await.is_err());
        session.logout().await;
    });
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        appends.load(Ordering::SeqCst),
        1,
        "the second APPEND was never sent"
    );
}

/// A full mailbox: the server's `NO [OVERQUOTA]` (RFC 5530), whether it
/// answers a MULTIAPPEND whose literals it read (LITERAL+) or refuses a
/// single APPEND before its go-ahead (as Dovecot does from the announced
/// size), is IM012 with the server's words; the session stays usable.
#[test]
fn a_full_mailbox_refuses_the_copy_with_the_servers_words() {
    let s = Servers::get();
    for literal_plus in [true, false] {
        let capabilities = if literal_plus {
            "IMAP4rev1 LITERAL+ MULTIAPPEND"
        } else {
            "IMAP4rev1"
        };
        let port = courriel_testkit::hostile::serve(true, move |mut script| {
            script.say(&format!("* OK [CAPABILITY {capabilities}] ready\r\n"));
            while let Some(line) = script.hear() {
                let (tag, command) = line.split_once(' ').unwrap_or((&line, ""));
                let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
                let answer = match verb.as_str() {
                    "LOGIN" => format!("{tag} OK [CAPABILITY {capabilities}] in\r\n"),
                    "APPEND" if line.ends_with("+}") => {
                        // Every literal of the MULTIAPPEND, then the refusal.
                        let mut next = line.clone();
                        while next.ends_with("+}") {
                            next = script.literal_and_rest(&next).1;
                        }
                        format!(
                            "{tag} NO [OVERQUOTA] Quota exceeded (mailbox for user is full)\r\n"
                        )
                    }
                    "APPEND" => format!(
                        "{tag} NO [OVERQUOTA] Quota exceeded (mailbox for user is full)\r\n"
                    ),
                    "NOOP" => format!("{tag} OK still here\r\n"),
                    _ => format!("{tag} BAD unknown command\r\n"),
                };
                script.say(&answer);
            }
        });
        let settings = settings(&s.special, port, Security::ImplicitTls);
        runtime().block_on(async {
            let mut session = courriel_archive::connect(&settings).await.unwrap();
            let copies = [(&b"one\r\n"[..], None), (&b"two\r\n"[..], None)];
            let refused = session.append_many("Sent", &copies).await.unwrap_err();
            assert_eq!(
                refused.code(),
                "IM012",
                "{literal_plus}: {}",
                refused.message(Lang::En)
            );
            assert!(
                refused
                    .message(Lang::En)
                    .contains("NO [OVERQUOTA] Quota exceeded"),
                "{}",
                refused.message(Lang::En)
            );
            assert!(refused.kind.refuses_the_copy());
            // Still in step with the server.
            let again = session
                .append("Sent", b"three\r\n", None, false)
                .await
                .unwrap_err();
            assert_eq!(again.code(), "IM012", "{}", again.message(Lang::En));
            session.logout().await;
        });
    }
}
