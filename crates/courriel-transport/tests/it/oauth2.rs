//! Signing in to SMTP with an OAuth2 token, against a scripted server
//! that checks every line of the exchange: the initial response on the
//! AUTH line only when it fits in 512 bytes, the server's error challenge
//! answered as each mechanism wants, a refused token renewed once, and
//! Microsoft's refusals that no token fixes.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use courriel_core::Security;
use courriel_core::provider::SaslMechanism::{self, OAuthBearer, XOAuth2};
use courriel_testkit::Servers;
use courriel_testkit::tokens::Tokens;
use courriel_transport::check;

use crate::{runtime, settings};

/// How the scripted server answers each AUTH exchange, in order.
#[derive(Clone, Copy)]
enum Answer {
    /// 235.
    Accept,
    /// The JSON error as a 334 challenge, then 535 after the client's answer.
    RefuseToken,
    /// Microsoft 365 with SMTP AUTH switched off for the tenant.
    TenantDisabled,
}

/// A server offering `auth` that answers AUTH exchanges with `answers`;
/// what it heard (AUTH lines and the lines answering its challenges,
/// base64 decoded when they are base64).
fn server(auth: &'static str, answers: Vec<Answer>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let heard2 = heard.clone();
    let answers = Arc::new(Mutex::new(answers));
    let port = courriel_testkit::hostile::serve(true, move |mut s| {
        let decode = |line: &str| {
            BASE64.decode(line.trim()).map_or_else(
                |_| line.to_string(),
                |b| String::from_utf8_lossy(&b).into_owned(),
            )
        };
        s.say("220 oauth.example ESMTP\r\n");
        while let Some(line) = s.hear() {
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                s.say(&format!(
                    "250-oauth.example\r\n250-AUTH {auth}\r\n250 8BITMIME\r\n"
                ));
            } else if upper.starts_with("AUTH") {
                let mut words = line.split(' ');
                let mechanism = words.nth(1).unwrap_or("").to_string();
                let initial = match words.next() {
                    Some(initial) => {
                        heard2
                            .lock()
                            .unwrap()
                            .push(format!("AUTH {mechanism} {}", decode(initial)));
                        initial.to_string()
                    }
                    None => {
                        heard2.lock().unwrap().push(format!("AUTH {mechanism}"));
                        s.say("334 \r\n");
                        let Some(initial) = s.hear() else { return };
                        heard2.lock().unwrap().push(decode(&initial));
                        initial
                    }
                };
                assert!(initial.len() < 4000);
                let answer = answers.lock().unwrap().remove(0);
                match answer {
                    Answer::Accept => s.say("235 2.7.0 Authentication successful\r\n"),
                    Answer::RefuseToken => {
                        let json = r#"{"status":"invalid_token","schemes":"bearer","scope":"mail"}"#;
                        s.say(&format!("334 {}\r\n", BASE64.encode(json)));
                        let Some(answer) = s.hear() else { return };
                        heard2.lock().unwrap().push(format!("answer [{answer}]"));
                        s.say("535 5.7.8 Username and Password not accepted\r\n");
                    }
                    Answer::TenantDisabled => s.say(
                        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.\r\n",
                    ),
                }
            } else if upper.starts_with("QUIT") {
                s.say("221 bye\r\n");
                return;
            } else {
                s.say("502 no\r\n");
            }
        }
    });
    (port, heard)
}

fn run(port: u16, tokens: &Arc<Tokens>) -> Result<(), courriel_core::failure::Failure> {
    let s = Servers::get();
    let settings = settings(&s.special, port, Security::ImplicitTls).with_oauth2(tokens.clone());
    runtime().block_on(check(&settings))
}

fn user() -> String {
    Servers::get().special.address.clone()
}

#[test]
fn a_short_token_goes_on_the_auth_line() {
    let (port, heard) = server("PLAIN XOAUTH2 OAUTHBEARER", vec![Answer::Accept]);
    let tokens = Arc::new(Tokens::new(&["tok-1"], &[XOAuth2, OAuthBearer]));
    run(port, &tokens).unwrap();
    assert_eq!(
        *heard.lock().unwrap(),
        [format!(
            "AUTH XOAUTH2 user={}\x01auth=Bearer tok-1\x01\x01",
            user()
        )]
    );
    assert_eq!(tokens.refusals(), 0);
}

#[test]
fn a_token_too_long_for_the_auth_line_follows_the_servers_go_ahead() {
    // Microsoft's tokens are JWTs of 1,500 to 2,500 characters.
    let long = "j".repeat(1_800);
    let (port, heard) = server("OAUTHBEARER", vec![Answer::Accept]);
    let tokens = Arc::new(Tokens::new(&[&long], &[]));
    run(port, &tokens).unwrap();
    let heard = heard.lock().unwrap().clone();
    let s = Servers::get();
    assert_eq!(heard[0], "AUTH OAUTHBEARER");
    assert_eq!(
        heard[1],
        format!(
            "n,a={},\x01host={}\x01port={port}\x01auth=Bearer {long}\x01\x01",
            user(),
            s.host
        )
    );
}

#[test]
fn the_line_limit_counts_the_whole_command() {
    // "AUTH XOAUTH2 " + base64 + CRLF: 512 bytes fit, 513 do not.
    let user = user();
    let fixed = format!("user={user}\x01auth=Bearer \x01\x01").len();
    // base64 of n bytes is 4 * ceil(n / 3); pick token lengths whose line
    // is exactly 512, then 516 (the next multiple of 4).
    let room = 512 - "AUTH XOAUTH2 ".len() - 2;
    let fits = room / 4 * 3 - fixed;
    for (len, split) in [(fits, false), (fits + 1, true)] {
        let token = "t".repeat(len);
        let (port, heard) = server("XOAUTH2", vec![Answer::Accept]);
        run(port, &Arc::new(Tokens::new(&[&token], &[]))).unwrap();
        let heard = heard.lock().unwrap().clone();
        assert_eq!(heard[0] == "AUTH XOAUTH2", split, "{len}: {heard:?}");
    }
}

#[test]
fn a_refused_token_is_renewed_once_and_the_error_challenge_answered() {
    for (mechanism, answer) in [(XOAuth2, ""), (OAuthBearer, "AQ==")] {
        let (port, heard) = server(
            "XOAUTH2 OAUTHBEARER",
            vec![Answer::RefuseToken, Answer::Accept],
        );
        let tokens = Arc::new(Tokens::new(&["old", "new"], &[mechanism]));
        run(port, &tokens).unwrap();
        assert_eq!(tokens.refusals(), 1);
        let heard = heard.lock().unwrap().clone();
        assert_eq!(heard.len(), 3, "{heard:?}");
        assert!(heard[0].contains("Bearer old"), "{heard:?}");
        assert_eq!(heard[1], format!("answer [{answer}]"));
        assert!(heard[2].contains("Bearer new"), "{heard:?}");
    }
}

#[test]
fn a_token_refused_twice_gives_oa006_with_the_servers_words() {
    let (port, heard) = server("XOAUTH2", vec![Answer::RefuseToken, Answer::RefuseToken]);
    let tokens = Arc::new(Tokens::new(&["tok-first", "tok-second"], &[]));
    let failure = run(port, &tokens).unwrap_err();
    assert_eq!(failure.code(), "OA006");
    let message = failure.message(courriel_core::account::Lang::En);
    assert!(
        message.contains("(535): 5.7.8 Username and Password not accepted"),
        "{message}"
    );
    assert!(message.contains("invalid_token (scope mail)"), "{message}");
    assert!(!message.contains("tok-"), "{message}");
    assert_eq!(tokens.refusals(), 1);
    assert_eq!(heard.lock().unwrap().len(), 4);
}

#[test]
fn smtp_auth_switched_off_for_the_tenant_is_oa007_and_not_renewed() {
    let (port, _) = server("XOAUTH2", vec![Answer::TenantDisabled]);
    let tokens = Arc::new(Tokens::new(&["tok"], &[XOAuth2]));
    let failure = run(port, &tokens).unwrap_err();
    assert_eq!(failure.code(), "OA007");
    assert!(
        failure
            .message(courriel_core::account::Lang::Fr)
            .contains("SmtpClientAuthentication is disabled")
    );
    assert_eq!(tokens.refusals(), 0);
}

#[test]
fn a_server_without_an_oauth2_mechanism_is_oa010_and_hears_no_token() {
    let mechanisms: [SaslMechanism; 1] = [XOAuth2];
    let (port, heard) = server("PLAIN LOGIN OAUTHBEARER", vec![]);
    let tokens = Arc::new(Tokens::new(&["tok"], &mechanisms));
    let failure = run(port, &tokens).unwrap_err();
    assert_eq!(failure.code(), "OA010");
    assert!(
        failure
            .message(courriel_core::account::Lang::En)
            .contains("it offers PLAIN LOGIN OAUTHBEARER")
    );
    assert!(heard.lock().unwrap().is_empty());
}
