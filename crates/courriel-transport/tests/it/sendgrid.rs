//! The default provider against the testkit's local SendGrid-like server.

use std::time::Duration;

use courriel_testkit::sendgrid::server;
use courriel_transport::{Email, Mailbox, Retry, SendGridSettings, send_sendgrid};
use serde_json::json;

use crate::{addr, runtime};

fn email() -> Email {
    Email::from(Mailbox::named(
        "Isabelle Martin",
        addr("isabelle.martin@boulangerie-martin.fr"),
    ))
    .reply_to(Mailbox::new(addr("contact@boulangerie-martin.fr")))
    .to(Mailbox::new(addr("client@example.org")))
    .cc(Mailbox::new(addr("associe@example.org")))
    .bcc(Mailbox::new(addr("compta@boulangerie-martin.fr")))
    .subject("Facture F-2026-0042")
    .text("Bonjour")
    .html("<p>Bonjour</p>")
    .attach(
        "F-42.pdf",
        "application/pdf",
        vec![0x25, 0x50, 0x44, 0x46, 0xff, 0x00, 0x10],
    )
    .header("X-Invoice-Id", "F-2026-0042")
}

fn settings(url: &str, key: &str) -> SendGridSettings {
    let mut s = SendGridSettings::new(key).dangerous_plain_http_base_url(url);
    s.retry = Retry {
        attempts: 3,
        base: Duration::from_millis(50),
        max_wait: Duration::from_millis(200),
    };
    s
}

fn code(url: &str, key: &str) -> String {
    let e = email();
    let rendered = e.render().unwrap();
    match runtime().block_on(send_sendgrid(&settings(url, key), &e, &rendered, &())) {
        Ok(_) => "OK".into(),
        Err(f) => f.code().to_string(),
    }
}

#[test]
fn a_202_with_the_request_sendgrid_expects() {
    let (url, seen) = server();
    let e = email();
    let rendered = e.render().unwrap();
    let receipt = runtime()
        .block_on(send_sendgrid(&settings(&url, "good"), &e, &rendered, &()))
        .unwrap();
    assert!(receipt.reply.starts_with("202"));
    assert_eq!(receipt.accepted.len(), 3);
    let (_, body) = seen.lock().unwrap().pop().unwrap();
    assert_eq!(
        body["personalizations"][0]["to"][0]["email"],
        "client@example.org"
    );
    assert_eq!(
        body["personalizations"][0]["cc"][0]["email"],
        "associe@example.org"
    );
    assert_eq!(
        body["personalizations"][0]["bcc"][0]["email"],
        "compta@boulangerie-martin.fr"
    );
    assert_eq!(
        body["from"],
        json!({ "email": "isabelle.martin@boulangerie-martin.fr", "name": "Isabelle Martin" })
    );
    assert_eq!(body["reply_to"]["email"], "contact@boulangerie-martin.fr");
    assert_eq!(body["content"][0]["type"], "text/plain");
    assert_eq!(body["content"][1]["type"], "text/html");
    assert_eq!(body["attachments"][0]["content"], "JVBERv8AEA==");
    assert_eq!(body["attachments"][0]["filename"], "F-42.pdf");
    assert_eq!(
        body["headers"]["Message-ID"],
        format!("<{}>", rendered.message_id),
        "the same Message-ID as the filed copy"
    );
    assert_eq!(body["headers"]["X-Invoice-Id"], "F-2026-0042");
    assert_eq!(
        body["custom_args"][courriel_transport::events::CUSTOM_ARG_MESSAGE_ID],
        rendered.message_id.as_str(),
        "the Event Webhook's events carry it back"
    );
}

/// The step a send through SendGrid failed at.
fn step(url: &str, key: &str) -> Option<courriel_core::failure::Step> {
    let e = email();
    let rendered = e.render().unwrap();
    let failure = runtime()
        .block_on(send_sendgrid(&settings(url, key), &e, &rendered, &()))
        .unwrap_err();
    failure.step()
}

#[test]
fn a_refusal_came_after_the_request_went_out_a_connection_failure_before() {
    use courriel_core::failure::Step;
    let (url, _) = server();
    assert_eq!(step(&url, "bad-key"), Some(Step::Message));
    assert_eq!(step(&url, "too-large"), Some(Step::Message));
    assert_eq!(step(&url, "hang-up"), Some(Step::Message));
    assert_eq!(step("http://127.0.0.1:1", "good"), Some(Step::Connect));
    assert_eq!(step(&url, ""), None, "not configured: nothing was tried");
}

#[test]
fn every_refusal_has_its_code() {
    let (url, _) = server();
    assert_eq!(code(&url, "bad-key"), "SG002");
    assert_eq!(code(&url, "forbidden"), "SG003");
    assert_eq!(code(&url, "too-large"), "SG005");
    assert_eq!(code(&url, "always-429"), "SG006");
    assert_eq!(code(&url, "down"), "SG007");
    assert_eq!(code(&url, ""), "SG001");
    assert_eq!(code("http://127.0.0.1:1", "good"), "SG008");
}

#[test]
fn a_400_names_what_sendgrid_refused() {
    let (url, _) = server();
    let e = Email::from(Mailbox::new(addr("a@example.org")))
        .to(Mailbox::new(addr("b@example.org")))
        .text("no subject");
    let rendered = e.render().unwrap();
    let failure = runtime()
        .block_on(send_sendgrid(&settings(&url, "good"), &e, &rendered, &()))
        .unwrap_err();
    assert_eq!(failure.code(), "SG004");
    assert!(
        failure
            .message(courriel_core::account::Lang::En)
            .contains("subject: The subject is required"),
        "{failure}"
    );
}

#[test]
fn transient_failures_are_retried_within_the_bound() {
    let (url, seen) = server();
    assert_eq!(code(&url, "slow-down"), "OK", "a 429 then a 202");
    assert_eq!(code(&url, "flaky"), "OK", "a 500 then a 202");
    let tries = |key: &str| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| k == key)
            .count()
    };
    assert_eq!((tries("slow-down"), tries("flaky")), (2, 2));
    assert_eq!(code(&url, "down"), "SG007");
    assert_eq!(tries("down"), 3, "three attempts, no more");
}

#[test]
fn a_request_that_went_out_unanswered_is_never_sent_again() {
    let (url, seen) = server();
    assert_eq!(code(&url, "hang-up"), "SG009");
    let tries = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| k == "hang-up")
        .count();
    assert_eq!(tries, 1, "taken once: retrying might send it twice");
    // Nothing listening: never handed over, so tried again, then SG008.
    let closed = format!("http://127.0.0.1:{}", courriel_testkit::closed());
    assert_eq!(code(&closed, "any"), "SG008");
}
