//! Signing in to IMAP with an OAuth2 token, against a scripted server
//! that checks the exchange: `AUTHENTICATE` with the initial response on
//! the line under SASL-IR, after the go-ahead without it; the server's
//! error challenge answered as each mechanism wants; a refused token
//! renewed once; and no token in anything async-imap could log.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use courriel_archive::{CheckOutcome, check};
use courriel_core::Security;
use courriel_core::provider::SaslMechanism::{OAuthBearer, XOAuth2};
use courriel_testkit::Servers;
use courriel_testkit::tokens::Tokens;

use crate::{runtime, settings};

/// The server's answer to each AUTHENTICATE, in order: accept, or refuse
/// with the JSON error as a challenge.
type Accepts = Vec<bool>;

/// A server announcing `capabilities` in its greeting (or only to
/// CAPABILITY when `in_greeting` is false); what it heard: AUTHENTICATE
/// lines with their initial response decoded, the decoded lines after its
/// go-ahead, and `answer [..]` for answers to its error challenge.
fn server(
    capabilities: &'static str,
    in_greeting: bool,
    accepts: Accepts,
) -> (u16, Arc<Mutex<Vec<String>>>) {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let heard2 = heard.clone();
    let accepts = Arc::new(Mutex::new(accepts));
    let port = courriel_testkit::hostile::serve(true, move |mut s| {
        let decode = |text: &str| {
            BASE64.decode(text.trim()).map_or_else(
                |_| format!("not base64: {text}"),
                |b| String::from_utf8_lossy(&b).into_owned(),
            )
        };
        if in_greeting {
            s.say(&format!("* OK [CAPABILITY {capabilities}] ready\r\n"));
        } else {
            s.say("* OK ready\r\n");
        }
        while let Some(line) = s.hear() {
            let (tag, command) = line.split_once(' ').unwrap_or((&line, ""));
            let mut words = command.split(' ');
            let verb = words.next().unwrap_or("").to_ascii_uppercase();
            let answer = match verb.as_str() {
                "CAPABILITY" => format!("* CAPABILITY {capabilities}\r\n{tag} OK\r\n"),
                "AUTHENTICATE" => {
                    let mechanism = words.next().unwrap_or("").to_string();
                    match words.next() {
                        Some(initial) => heard2
                            .lock()
                            .unwrap()
                            .push(format!("AUTHENTICATE {mechanism} {}", decode(initial))),
                        None => {
                            heard2
                                .lock()
                                .unwrap()
                                .push(format!("AUTHENTICATE {mechanism}"));
                            s.say("+ \r\n");
                            let Some(initial) = s.hear() else { return };
                            heard2.lock().unwrap().push(decode(&initial));
                        }
                    }
                    if accepts.lock().unwrap().remove(0) {
                        format!("{tag} OK [CAPABILITY IMAP4rev1 UIDPLUS] signed in\r\n")
                    } else {
                        let json =
                            r#"{"status":"invalid_token","schemes":"bearer","scope":"imap"}"#;
                        s.say(&format!("+ {}\r\n", BASE64.encode(json)));
                        let Some(answer) = s.hear() else { return };
                        heard2.lock().unwrap().push(format!("answer [{answer}]"));
                        format!("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
                    }
                }
                "LOGOUT" => {
                    s.say(&format!("* BYE\r\n{tag} OK\r\n"));
                    return;
                }
                _ => format!("{tag} BAD unknown command\r\n"),
            };
            s.say(&answer);
        }
    });
    (port, heard)
}

fn run(port: u16, tokens: &Arc<Tokens>) -> CheckOutcome {
    let s = Servers::get();
    let settings = settings(&s.special, port, Security::ImplicitTls).with_oauth2(tokens.clone());
    runtime().block_on(check(Some(&settings)))
}

fn xoauth2(token: &str) -> String {
    format!(
        "user={}\x01auth=Bearer {token}\x01\x01",
        Servers::get().special.address
    )
}

#[test]
fn with_sasl_ir_the_token_goes_on_the_command_line() {
    let (port, heard) = server(
        "IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER",
        true,
        vec![true],
    );
    let tokens = Arc::new(Tokens::new(&["tok-1"], &[XOAuth2, OAuthBearer]));
    let outcome = run(port, &tokens);
    assert!(matches!(outcome, CheckOutcome::Ok { .. }), "{outcome:?}");
    assert_eq!(
        *heard.lock().unwrap(),
        [format!("AUTHENTICATE XOAUTH2 {}", xoauth2("tok-1"))]
    );
}

#[test]
fn without_sasl_ir_the_token_follows_the_go_ahead_and_capabilities_are_asked() {
    let (port, heard) = server("IMAP4rev1 AUTH=OAUTHBEARER", false, vec![true]);
    let tokens = Arc::new(Tokens::new(&["tok-1"], &[]));
    let outcome = run(port, &tokens);
    assert!(matches!(outcome, CheckOutcome::Ok { .. }), "{outcome:?}");
    let s = Servers::get();
    assert_eq!(
        *heard.lock().unwrap(),
        [
            "AUTHENTICATE OAUTHBEARER".to_string(),
            format!(
                "n,a={},\x01host={}\x01port={port}\x01auth=Bearer tok-1\x01\x01",
                s.special.address, s.host
            )
        ]
    );
}

#[test]
fn a_refused_token_is_renewed_once_on_the_same_connection() {
    for (sasl_ir, mechanism, answer) in [
        (true, XOAuth2, ""),
        (false, XOAuth2, ""),
        (true, OAuthBearer, "AQ=="),
    ] {
        let capabilities = if sasl_ir {
            "IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER"
        } else {
            "IMAP4rev1 AUTH=XOAUTH2 AUTH=OAUTHBEARER"
        };
        let (port, heard) = server(capabilities, true, vec![false, true]);
        let tokens = Arc::new(Tokens::new(&["tok-old", "tok-new"], &[mechanism]));
        let outcome = run(port, &tokens);
        assert!(matches!(outcome, CheckOutcome::Ok { .. }), "{outcome:?}");
        assert_eq!(tokens.refusals(), 1);
        let heard = heard.lock().unwrap().clone();
        let answers: Vec<_> = heard.iter().filter(|h| h.starts_with("answer")).collect();
        assert_eq!(answers, [&format!("answer [{answer}]")], "{heard:?}");
        assert!(
            heard.iter().any(|h| h.contains("Bearer tok-old")),
            "{heard:?}"
        );
        assert!(
            heard.last().unwrap().contains("Bearer tok-new"),
            "{heard:?}"
        );
    }
}

#[test]
fn a_token_refused_twice_is_oa006_with_the_servers_words() {
    let (port, _) = server("IMAP4rev1 SASL-IR AUTH=XOAUTH2", true, vec![false, false]);
    let tokens = Arc::new(Tokens::new(&["tok-old", "tok-new"], &[]));
    let CheckOutcome::Failed(failure) = run(port, &tokens) else {
        panic!("signed in with a refused token")
    };
    assert_eq!(failure.code(), "OA006");
    let message = failure.message(courriel_core::account::Lang::En);
    assert!(
        message.contains("NO [AUTHENTICATIONFAILED] Authentication failed."),
        "{message}"
    );
    assert!(message.contains("invalid_token (scope imap)"), "{message}");
    assert!(!message.contains("tok-"), "{message}");
}

#[test]
fn no_oauth2_mechanism_is_oa010() {
    let (port, heard) = server("IMAP4rev1 SASL-IR AUTH=PLAIN", true, vec![]);
    let tokens = Arc::new(Tokens::new(&["tok"], &[]));
    let CheckOutcome::Failed(failure) = run(port, &tokens) else {
        panic!("signed in without a mechanism")
    };
    assert_eq!(failure.code(), "OA010");
    assert!(heard.lock().unwrap().is_empty());
}
