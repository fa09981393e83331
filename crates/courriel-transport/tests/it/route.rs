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
            },
            &email(),
            email().render().unwrap(),
            &(),
        ))
        .unwrap();
    assert_eq!(sent.transport, Transport::SendGrid);
    assert_eq!(seen.lock().unwrap().len(), 1);
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
            },
            &email(),
            email().render().unwrap(),
            &(),
        ))
        .unwrap_err();
    assert_eq!(failure.code(), "SM003");
}

/// Records the transport each handover is told.
#[derive(Default)]
struct Told(std::sync::Mutex<Vec<Transport>>);

impl Handover for Told {
    async fn before_handover(
        &self,
        transport: Transport,
    ) -> Result<(), courriel_core::failure::Failure> {
        self.0.lock().unwrap().push(transport);
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
    assert_eq!(*told.0.lock().unwrap(), [Transport::Relay]);
}
