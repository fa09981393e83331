//! A local HTTP server that checks Mail Send requests the way SendGrid's
//! v3 API does and answers like it; the API key chooses the answer:
//! `bad-key` 401, `forbidden` 403, `too-large` 413, `slow-down` 429 once,
//! `always-429`, `flaky` 500 once, `down` 503; anything else 202 when the
//! request is valid, 400 with SendGrid's `errors` array when not.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the server received: `(API key, JSON body)` per request.
pub type Seen = Arc<Mutex<Vec<(String, Value)>>>;

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
#[must_use]
pub fn server() -> (String, Seen) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        crate::runtime().block_on(async move {
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
                        // Takes the whole request, then dies without a
                        // word: sent or not, the client cannot tell.
                        if key == "hang-up" {
                            return;
                        }
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
