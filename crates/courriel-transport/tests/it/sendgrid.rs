//! The default provider against a local server that checks requests the
//! way SendGrid's v3 Mail Send API does and answers like it. The API key
//! chooses the answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use courriel_transport::{Email, Mailbox, Retry, SendGridSettings, send_sendgrid};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{addr, runtime};

type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// What SendGrid checks in a Mail Send request, as its `errors` array.
fn validate(body: &Value) -> Vec<Value> {
    let mut errors = Vec::new();
    let mut need = |ok: bool, field: &str, message: &str| {
        if !ok {
            errors.push(json!({ "message": message, "field": field, "help": null }));
        }
    };
    let personalizations = body["personalizations"].as_array();
    need(
        personalizations.is_some_and(|p| !p.is_empty()),
        "personalizations",
        "The personalizations field is required and must have at least one personalization.",
    );
    need(
        personalizations.is_some_and(|p| {
            p.iter()
                .all(|p| p["to"].as_array().is_some_and(|t| !t.is_empty()))
        }),
        "personalizations.0.to",
        "The to array is required for all personalization objects, and must have at least one email object with a valid email address.",
    );
    need(
        body["from"]["email"]
            .as_str()
            .is_some_and(|e| e.contains('@')),
        "from.email",
        "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.",
    );
    need(
        body["subject"].as_str().is_some_and(|s| !s.is_empty()),
        "subject",
        "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.",
    );
    need(
        body["content"].as_array().is_some_and(|c| {
            !c.is_empty()
                && c.iter()
                    .all(|p| p["type"].is_string() && p["value"].is_string())
        }),
        "content",
        "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.",
    );
    errors
}

fn answer(key: &str, attempt: usize, body: &Value) -> (u16, Vec<(&'static str, String)>, String) {
    let errors = |message: &str| {
        json!({ "errors": [{ "message": message, "field": null, "help": null }] }).to_string()
    };
    match key {
        "bad-key" => (
            401,
            vec![],
            errors("The provided authorization grant is invalid, expired, or revoked"),
        ),
        "forbidden" => (
            403,
            vec![],
            errors("The from address does not match a verified Sender Identity."),
        ),
        "too-large" => (413, vec![], String::new()),
        "slow-down" if attempt == 1 => (
            429,
            vec![("Retry-After", "1".into())],
            errors("too many requests"),
        ),
        "always-429" => (
            429,
            vec![("Retry-After", "1".into())],
            errors("too many requests"),
        ),
        "flaky" if attempt == 1 => (500, vec![], String::new()),
        "down" => (503, vec![], String::new()),
        _ => {
            let problems = validate(body);
            if problems.is_empty() {
                (
                    202,
                    vec![("X-Message-Id", "sg-local-1".into())],
                    String::new(),
                )
            } else {
                (400, vec![], json!({ "errors": problems }).to_string())
            }
        }
    }
}

/// Starts the local API; returns its base URL and what it received.
fn server() -> (String, Seen) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        runtime().block_on(async move {
            let attempts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((mut stream, _)) = listener.accept().await {
                let (seen, attempts) = (seen2.clone(), attempts.clone());
                tokio::spawn(async move {
                    let mut data = Vec::new();
                    let mut buf = vec![0u8; 65536];
                    let head_end = loop {
                        let n = stream.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        data.extend_from_slice(&buf[..n]);
                        if let Some(p) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                            break p + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
                    let header = |name: &str| {
                        head.lines().find_map(|l| {
                            l.split_once(':')
                                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                                .map(|(_, v)| v.trim().to_string())
                        })
                    };
                    let length: usize = header("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while data.len() < head_end + length {
                        let n = stream.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        data.extend_from_slice(&buf[..n]);
                    }
                    let body: Value = serde_json::from_slice(&data[head_end..head_end + length])
                        .unwrap_or(Value::Null);
                    let key = header("authorization")
                        .and_then(|a| a.strip_prefix("Bearer ").map(str::to_string))
                        .unwrap_or_default();
                    let request_line = head.lines().next().unwrap_or_default().to_string();
                    let (status, headers, text) = if request_line != "POST /v3/mail/send HTTP/1.1" {
                        (404, vec![], String::new())
                    } else if header("content-type").as_deref() != Some("application/json") {
                        (415, vec![], String::new())
                    } else {
                        let attempt = {
                            let mut a = attempts.lock().unwrap();
                            let n = a.entry(key.clone()).or_insert(0);
                            *n += 1;
                            *n
                        };
                        seen.lock().unwrap().push((key.clone(), body.clone()));
                        answer(&key, attempt, &body)
                    };
                    let mut response = format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                        text.len()
                    );
                    for (k, v) in headers {
                        response.push_str(k);
                        response.push_str(": ");
                        response.push_str(&v);
                        response.push_str("\r\n");
                    }
                    response.push_str("\r\n");
                    response.push_str(&text);
                    let _ = stream.write_all(response.as_bytes()).await;
                });
            }
        });
    });
    (url, seen)
}

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
    match runtime().block_on(send_sendgrid(&settings(url, key), &e, &rendered)) {
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
        .block_on(send_sendgrid(&settings(&url, "good"), &e, &rendered))
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
        .block_on(send_sendgrid(&settings(&url, "good"), &e, &rendered))
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
