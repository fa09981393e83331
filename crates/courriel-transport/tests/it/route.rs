//! Choosing the transport: the user's server, else the default provider;
//! no silent fallback on a permanent refusal unless the policy allows it.

use std::time::Duration;

use courriel_core::Security;
use courriel_testkit::Servers;
use courriel_testkit::sendgrid::server;
use courriel_transport::{
    DefaultProvider, Email, Handover, Mailbox, Policy, Retry, Route, SendGridSettings, Transport,
    deliver,
};

use crate::{addr, runtime, settings};

fn email() -> Email {
    let s = Servers::get();
    Email::from(Mailbox::new(addr(&s.special.address)))
        .to(Mailbox::new(addr(&s.courier.address)))
        .subject("route")
        .text("x")
}

fn quick() -> Policy {
    Policy {
        fallback_on_permanent_failure: false,
        smtp_retry: Retry {
            attempts: 2,
            base: Duration::from_millis(20),
            max_wait: Duration::from_millis(50),
        },
    }
}

#[test]
fn the_users_server_first_the_default_provider_otherwise() {
    let s = Servers::get();
    let (url, seen) = server();
    let default =
        DefaultProvider::from(SendGridSettings::new("good").dangerous_plain_http_base_url(&url));
    let smtp = settings(&s.special, s.smtp_tls_port, Security::ImplicitTls);
    let rt = runtime();
    let sent = rt
        .block_on(deliver(
            Route {
                smtp: Some(&smtp),
                default: Some(&default),
                policy: &quick(),
                on_behalf: None,
                account: None,
            },
            &email(),
            email().render().unwrap(),
            &(),
        ))
        .unwrap();
    assert_eq!(sent.transport, Transport::Smtp);
    assert!(
        String::from_utf8_lossy(&sent.archived)
            .contains(&format!("Message-ID: <{}>", sent.receipt.message_id))
    );
    assert!(seen.lock().unwrap().is_empty());
    let sent = rt
        .block_on(deliver(
            Route {
                smtp: None,
                default: Some(&default),
                policy: &quick(),
                on_behalf: None,
                account: Some("acct-7f3a"),
            },
            &email(),
            email().render().unwrap(),
            &(),
        ))
        .unwrap();
    assert_eq!(sent.transport, Transport::SendGrid);
    let (_, body) = seen.lock().unwrap().pop().unwrap();
    assert_eq!(
        body["custom_args"],
        serde_json::json!({
            "courriel_message_id": sent.receipt.message_id,
            "courriel_account": "acct-7f3a",
        }),
        "the account given to deliver reaches SendGrid"
    );
}

#[test]
fn a_permanent_refusal_does_not_fall_back_unless_the_policy_says_so() {
    let s = Servers::get();
    let (url, seen) = server();
    let default =
        DefaultProvider::from(SendGridSettings::new("good").dangerous_plain_http_base_url(&url));
    let mut wrong = settings(&s.special, s.smtp_tls_port, Security::ImplicitTls);
    wrong.secret = courriel_net::Secret::password("not-the-password");
    let rt = runtime();
    let failure = rt
        .block_on(deliver(
            Route {
                smtp: Some(&wrong),
                default: Some(&default),
                policy: &quick(),
                on_behalf: None,
                account: None,
            },
            &email(),
            email().render().unwrap(),
            &(),
        ))
        .unwrap_err();
    assert_eq!(failure.code(), "SM009");
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing went through the default provider"
    );
    let policy = Policy {
        fallback_on_permanent_failure: true,
        ..quick()
    };
    let sent = rt
        .block_on(deliver(
            Route {
                smtp: Some(&wrong),
                default: Some(&default),
                policy: &policy,
                on_behalf: None,
                account: None,
            },
            &email(),
            email().render().unwrap(),
            &(),
        ))
        .unwrap();
    assert_eq!(sent.transport, Transport::SendGrid);
}

#[test]
fn a_transient_failure_is_retried_then_reported() {
    let s = Servers::get();
    let down = settings(&s.special, 1, Security::ImplicitTls);
    let failure = runtime()
        .block_on(deliver(
            Route {
                smtp: Some(&down),
                default: None,
                policy: &quick(),
                on_behalf: None,
                account: None,
            },
            &email(),
            email().render().unwrap(),
            &(),
        ))
        .unwrap_err();
    assert_eq!(failure.code(), "SM003");
}

/// Records the transport each handover is told, and the bytes.
#[derive(Default)]
struct Told(std::sync::Mutex<Vec<(Transport, std::sync::Arc<Vec<u8>>)>>);

impl Told {
    fn transports(&self) -> Vec<Transport> {
        self.0.lock().unwrap().iter().map(|(t, _)| *t).collect()
    }
}

impl Handover for Told {
    async fn before_handover(
        &self,
        transport: Transport,
        message: &courriel_transport::Rendered,
    ) -> Result<(), courriel_core::failure::Failure> {
        self.0
            .lock()
            .unwrap()
            .push((transport, message.archived.clone()));
        Ok(())
    }
}

#[test]
fn an_smtp_relay_as_the_default_provider_sends_and_is_not_the_users_server() {
    // The test Postfix as the application's relay: a relay account signs
    // in with its key, as `smtp://LOGIN:KEY@host:port` names it.
    let s = Servers::get();
    let relay = settings(&s.special, s.smtp_tls_port, Security::ImplicitTls);
    let default = DefaultProvider::SmtpRelay {
        name: "smtp",
        settings: relay,
    };
    let told = Told::default();
    let sent = runtime()
        .block_on(deliver(
            Route {
                smtp: None,
                default: Some(&default),
                policy: &quick(),
                on_behalf: None,
                account: None,
            },
            &email(),
            email().render().unwrap(),
            &told,
        ))
        .unwrap();
    assert_eq!(sent.transport, Transport::Relay);
    assert_eq!(sent.transport.as_str(), "relay");
    assert_eq!(sent.receipt.accepted, [addr(&s.courier.address)]);
    // Told "relay", not "smtp": the Mailer must not take the relay for the
    // user's own provider (which may file its own copy) and skip filing.
    assert_eq!(told.transports(), [Transport::Relay]);
}

#[test]
fn on_the_users_behalf_the_relay_sends_the_applications_from_and_the_copy_is_what_was_sent() {
    // The relay's login owns the application's address (Postfix checks
    // the sender against the login, as providers check verified senders).
    let s = Servers::get();
    let relay = settings(&s.special, s.smtp_tls_port, Security::ImplicitTls);
    let default = DefaultProvider::SmtpRelay {
        name: "smtp",
        settings: relay,
    };
    let user = Email::from(Mailbox::named(
        "Isabelle Martin",
        addr("isabelle.martin@rejette.test"),
    ))
    .to(Mailbox::new(addr(&s.courier.address)))
    .subject("on behalf")
    .text("x");
    let app = addr(&s.special.address);
    let on_behalf = user.on_behalf("Facturo", &app).unwrap();
    let rendered = user.render().unwrap();
    let message_id = rendered.message_id.clone();
    let told = Told::default();
    let sent = runtime()
        .block_on(deliver(
            Route {
                smtp: None,
                default: Some(&default),
                policy: &quick(),
                on_behalf: Some(&on_behalf),
                account: None,
            },
            &user,
            rendered,
            &told,
        ))
        .unwrap();
    assert!(sent.on_behalf);
    assert_eq!(sent.receipt.message_id, message_id);
    let archived = String::from_utf8_lossy(&sent.archived).into_owned();
    assert!(
        archived.contains(&format!(
            "From: \"Isabelle Martin via Facturo\" <{app}>\r\n"
        )),
        "{archived}"
    );
    assert!(
        archived.contains("Reply-To: \"Isabelle Martin\" <isabelle.martin@rejette.test>\r\n"),
        "{archived}"
    );
    assert!(archived.contains(&format!("Message-ID: <{message_id}>")));
    // The handover was told the bytes that left, the same as the copy.
    let handed = told.0.lock().unwrap();
    assert_eq!(handed.len(), 1);
    assert_eq!(*handed[0].1, *sent.archived);
    // And the recipient got that From.
    let received = s.delivered(s.imap_tls_port, &s.courier, &message_id);
    assert_eq!(received.len(), 1);
    assert!(
        received[0].header().contains("Isabelle Martin via Facturo"),
        "{}",
        received[0].message
    );
}

#[test]
fn an_email_on_the_users_behalf_keeps_a_reply_to_of_its_own_and_names_the_user_by_local_part() {
    let user = Email::from(Mailbox::new(addr("isabelle.martin@rejette.test")))
        .reply_to(Mailbox::new(addr("compta@rejette.test")))
        .to(Mailbox::new(addr("client@example.com")))
        .subject("s")
        .text("x");
    let on_behalf = user
        .on_behalf("Facturo", &addr("noreply@facturo.fr"))
        .unwrap();
    let text = String::from_utf8_lossy(&on_behalf.render().unwrap().archived).into_owned();
    assert!(
        text.contains("From: \"isabelle.martin via Facturo\" <noreply@facturo.fr>\r\n"),
        "{text}"
    );
    assert!(text.contains("Reply-To: compta@rejette.test\r\n"), "{text}");
    assert_eq!(text.matches("Reply-To:").count(), 1, "{text}");
}
