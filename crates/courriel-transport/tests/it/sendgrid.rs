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
    match runtime().block_on(send_sendgrid(&settings(url, key), &e, &rendered, None, &())) {
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
        .block_on(send_sendgrid(
            &settings(&url, "good"),
            &e,
            &rendered,
            None,
            &(),
        ))
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
        .block_on(send_sendgrid(&settings(url, key), &e, &rendered, None, &()))
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
        .block_on(send_sendgrid(
            &settings(&url, "good"),
            &e,
            &rendered,
            None,
            &(),
        ))
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

/// Settings for SendGrid's global host, reaching `sendgrid` (the local
/// one over TLS) with the test CA trusted, with the key `good`.
fn global_api(sendgrid: &courriel_testkit::sendgrid::SendGrid) -> SendGridSettings {
    let ca = std::fs::read(&courriel_testkit::Servers::get().ca).unwrap();
    SendGridSettings::new("good")
        .with_base_url("https://api.sendgrid.com")
        .unwrap()
        .resolve("api.sendgrid.com", sendgrid.address)
        .with_extra_ca(&ca)
        .unwrap()
}

#[test]
fn the_message_id_and_the_account_arrive_as_custom_args() {
    let sendgrid = courriel_testkit::sendgrid::https_server();
    let settings = global_api(&sendgrid);
    let e = email();
    let rendered = e.render().unwrap();
    runtime()
        .block_on(send_sendgrid(
            &settings,
            &e,
            &rendered,
            Some("acct-0042"),
            &(),
        ))
        .unwrap();
    let requests = sendgrid.requests();
    assert_eq!(requests.len(), 1);
    let args = &requests[0].custom_args;
    assert_eq!(
        args[courriel_transport::events::CUSTOM_ARG_MESSAGE_ID],
        rendered.message_id.as_str()
    );
    assert_eq!(
        args[courriel_transport::events::CUSTOM_ARG_ACCOUNT],
        "acct-0042"
    );
    assert_eq!(args.len(), 2, "nothing else: {args:?}");
}

#[test]
fn sends_share_one_connection_to_the_api() {
    let sendgrid = courriel_testkit::sendgrid::https_server();
    let settings = global_api(&sendgrid);
    let e = email();
    let rendered = e.render().unwrap();
    let connections = || {
        sendgrid
            .connections
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    runtime().block_on(async {
        for settings in [&settings, &settings, &settings.clone()] {
            send_sendgrid(settings, &e, &rendered, None, &())
                .await
                .unwrap();
        }
    });
    assert_eq!(sendgrid.requests().len(), 3);
    assert_eq!(
        connections(),
        1,
        "three sends, clones of the settings included, on one connection"
    );
    // Another runtime (the first one's connections died with it): the
    // client opens a new connection rather than failing on a dead one.
    runtime()
        .block_on(send_sendgrid(&settings, &e, &rendered, None, &()))
        .unwrap();
    assert_eq!(sendgrid.requests().len(), 4);
    assert_eq!(connections(), 2);
}

#[test]
fn an_account_id_too_long_for_sendgrid_is_left_out_and_the_message_still_goes() {
    let (url, seen) = server();
    let e = email();
    let rendered = e.render().unwrap();
    let long = "x".repeat(courriel_transport::CUSTOM_ARGS_LIMIT);
    let receipt = runtime()
        .block_on(send_sendgrid(
            &settings(&url, "good"),
            &e,
            &rendered,
            Some(&long),
            &(),
        ))
        .unwrap();
    assert!(receipt.reply.starts_with("202"), "{}", receipt.reply);
    let (_, body) = seen.lock().unwrap().pop().unwrap();
    assert_eq!(
        body["custom_args"],
        json!({ "courriel_message_id": rendered.message_id }),
        "the account left out, the Message-ID kept"
    );
}

#[test]
fn the_local_sendgrid_refuses_custom_args_as_sendgrid_does() {
    let (url, seen) = server();
    let e = email();
    let rendered = e.render().unwrap();
    let post = |custom_args: serde_json::Value| {
        let mut body = courriel_transport::request_body(&e, &rendered, None);
        body["custom_args"] = custom_args;
        runtime().block_on(async {
            let response = reqwest::Client::new()
                .post(format!("{url}/v3/mail/send"))
                .bearer_auth("good")
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    assert_eq!(post(json!({ "a": "1" })).0, 202);
    let (status, text) = post(json!({ "courriel_account": 42 }));
    assert_eq!(status, 400);
    assert!(text.contains("custom_args.courriel_account"), "{text}");
    let (status, text) = post(json!("a string"));
    assert_eq!(status, 400);
    assert!(text.contains("Expected: object"), "{text}");
    let (status, text) = post(json!({ "a": "x".repeat(courriel_transport::CUSTOM_ARGS_LIMIT) }));
    assert_eq!(status, 400);
    assert!(text.contains("less than 10000 bytes"), "{text}");
    assert_eq!(seen.lock().unwrap().len(), 4);
}

/// Sends through `dsn`'s API settings with both of SendGrid's hosts
/// resolved to the local TLS server and the test CA trusted; returns the
/// request it received, or the failure's code.
fn through_dsn(
    dsn: &str,
    trust_the_test_ca: bool,
) -> Result<courriel_testkit::sendgrid::Request, String> {
    use courriel_testkit::sendgrid::{HOSTS, https_server};
    use courriel_transport::DefaultProvider;
    let sendgrid = https_server();
    let DefaultProvider::SendGridApi(mut settings) = DefaultProvider::from_dsn(dsn).unwrap() else {
        panic!("{dsn}: SendGrid's API");
    };
    for host in HOSTS {
        settings = settings.resolve(host, sendgrid.address);
    }
    if trust_the_test_ca {
        let ca = std::fs::read(&courriel_testkit::Servers::get().ca).unwrap();
        settings = settings.with_extra_ca(&ca).unwrap();
    }
    settings.retry = Retry {
        attempts: 1,
        ..Retry::default()
    };
    let e = email();
    let rendered = e.render().unwrap();
    runtime()
        .block_on(send_sendgrid(
            &settings,
            &e,
            &rendered,
            Some("acct-eu"),
            &(),
        ))
        .map_err(|f| f.code().to_string())?;
    let mut requests = sendgrid.requests();
    assert_eq!(requests.len(), 1);
    Ok(requests.remove(0))
}

#[test]
fn the_eu_region_goes_to_sendgrids_eu_host_over_tls_and_the_default_to_the_global_one() {
    let eu = through_dsn("sendgrid+api://good@default?region=eu", true).unwrap();
    assert_eq!(eu.host, "api.eu.sendgrid.com");
    assert_eq!(eu.sni.as_deref(), Some("api.eu.sendgrid.com"));
    assert_eq!(eu.key, "good");
    assert_eq!(
        eu.custom_args[courriel_transport::events::CUSTOM_ARG_ACCOUNT],
        "acct-eu"
    );
    let global = through_dsn("sendgrid+api://good@default", true).unwrap();
    assert_eq!(global.host, "api.sendgrid.com");
    assert_eq!(global.sni.as_deref(), Some("api.sendgrid.com"));
    // The certificate is checked: without the test CA, nothing is sent.
    assert_eq!(
        through_dsn("sendgrid+api://good@default?region=eu", false).unwrap_err(),
        "SG008"
    );
}
