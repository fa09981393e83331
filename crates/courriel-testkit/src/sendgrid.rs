//! A local HTTP server that checks Mail Send requests the way SendGrid's
//! v3 API does and answers like it; the API key chooses the answer:
//! `bad-key` 401, `forbidden` 403, `too-large` 413, `slow-down` 429 once,
//! `always-429`, `flaky` 500 once, `down` 503; anything else 202 when the
//! request is valid, 400 with SendGrid's `errors` array when not.
//!
//! In plain http ([`server`]), or over TLS as SendGrid's own hosts
//! ([`https_server`]: a certificate for [`HOSTS`] signed by the test CA),
//! so that a test can send to `https://api.eu.sendgrid.com` (the EU
//! region's DSN) with the host resolved to this server and the test CA
//! trusted, and see which host the client asked for (`Host` and SNI).
//!
//! Custom arguments are checked as SendGrid documents them
//! (<https://docs.sendgrid.com/api-reference/mail-send/limitations>: "The
//! total length of custom arguments must be less than 10000 bytes"; values
//! are strings, and `custom_args` an object) and recorded.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value, json};

/// What the server received: `(API key, JSON body)` per request.
pub type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// SendGrid's API hosts: the global region's, then the EU region's.
pub const HOSTS: [&str; 2] = ["api.sendgrid.com", "api.eu.sendgrid.com"];

/// The bound SendGrid puts on a request's custom arguments (bytes, the
/// JSON object counted whole): at or above it, 400.
pub const CUSTOM_ARGS_LIMIT: usize = 10_000;

/// One Mail Send request as received.
#[derive(Debug, Clone)]
pub struct Request {
    /// The `Host` header, without the port.
    pub host: String,
    /// The server name the client asked for in TLS (none in plain http).
    pub sni: Option<String>,
    /// The API key (bearer token).
    pub key: String,
    /// The JSON body.
    pub body: Value,
    /// Its custom arguments (empty when it has none or they were refused).
    pub custom_args: Map<String, Value>,
}

/// A running local SendGrid.
#[derive(Debug, Clone)]
pub struct SendGrid {
    /// Its base URL: `http://127.0.0.1:PORT`, or for [`https_server`]
    /// `https://127.0.0.1:PORT` (its certificate names only [`HOSTS`]:
    /// reach it by their names, resolved to [`SendGrid::address`]).
    pub url: String,
    /// Where it listens.
    pub address: SocketAddr,
    /// Every Mail Send request: `(API key, JSON body)`.
    pub seen: Seen,
    /// Every Mail Send request, whole.
    pub requests: Arc<Mutex<Vec<Request>>>,
    /// Connections accepted (a connection serves requests until the client
    /// closes it: HTTP/1.1 keep-alive, as SendGrid's API does).
    pub connections: Arc<AtomicUsize>,
}

impl SendGrid {
    /// The requests received so far.
    #[must_use]
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("requests").clone()
    }
}

/// SendGrid's checks of `custom_args`, as `errors` entries.
fn custom_args_errors(body: &Value) -> Vec<Value> {
    let error = |field: String, message: String| json!({ "message": message, "field": field, "help": null });
    let type_name = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    match body.get("custom_args") {
        None => Vec::new(),
        Some(Value::Object(args)) => {
            let mut errors: Vec<Value> = args
                .iter()
                .filter(|(_, v)| !v.is_string())
                .map(|(k, v)| {
                    error(
                        format!("custom_args.{k}"),
                        format!("Invalid type. Expected: string, given: {}.", type_name(v)),
                    )
                })
                .collect();
            if Value::Object(args.clone()).to_string().len() >= CUSTOM_ARGS_LIMIT {
                errors.push(error(
                    "custom_args".into(),
                    format!("The total length of custom arguments must be less than {CUSTOM_ARGS_LIMIT} bytes."),
                ));
            }
            errors
        }
        Some(other) => vec![error(
            "custom_args".into(),
            format!(
                "Invalid type. Expected: object, given: {}.",
                type_name(other)
            ),
        )],
    }
}

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
    errors.extend(custom_args_errors(body));
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

/// Starts the local API in plain http; returns its base URL and what it
/// received.
#[must_use]
pub fn server() -> (String, Seen) {
    let sendgrid = start(None);
    (sendgrid.url, sendgrid.seen)
}

/// Starts the local API over TLS, presenting a certificate for [`HOSTS`]
/// signed by the test CA (`Servers::ca`).
#[must_use]
pub fn https_server() -> SendGrid {
    static CONFIG: OnceLock<Arc<rustls::ServerConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let names: Vec<String> = HOSTS.iter().map(|h| format!("DNS:{h}")).collect();
        let ext = format!(
            "subjectAltName = {}\nbasicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\n",
            names.join(", ")
        );
        let (certs, key) = crate::issue::issue("sendgrid", &ext, &["-days", "30"]);
        crate::web::tls_server(certs, key)
    });
    start(Some(config.clone()))
}

/// The answers' state: how many requests each key made.
type Attempts = Arc<Mutex<HashMap<String, usize>>>;

fn start(tls: Option<Arc<rustls::ServerConfig>>) -> SendGrid {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = listener.local_addr().expect("its address");
    let scheme = if tls.is_some() { "https" } else { "http" };
    let sendgrid = SendGrid {
        url: format!("{scheme}://{address}"),
        address,
        seen: Arc::default(),
        requests: Arc::default(),
        connections: Arc::default(),
    };
    let shared = sendgrid.clone();
    let attempts: Attempts = Arc::default();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            shared.connections.fetch_add(1, Ordering::SeqCst);
            let (tls, shared, attempts) = (tls.clone(), shared.clone(), attempts.clone());
            std::thread::spawn(move || match tls {
                Some(config) => {
                    let Ok(connection) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let mut stream = rustls::StreamOwned::new(connection, stream);
                    // The handshake first, for the name asked for.
                    while stream.conn.is_handshaking() {
                        if stream.conn.complete_io(&mut stream.sock).is_err() {
                            return;
                        }
                    }
                    let sni = stream.conn.server_name().map(str::to_string);
                    let mut data = Vec::new();
                    while exchange(&mut stream, sni.clone(), &shared, &attempts, &mut data) {}
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                }
                None => {
                    let mut stream: TcpStream = stream;
                    let mut data = Vec::new();
                    while exchange(&mut stream, None, &shared, &attempts, &mut data) {}
                }
            });
        }
    });
    sendgrid
}

/// Reads one request on `stream` (after what `data` holds already of it)
/// and answers it; whether the connection serves another request.
fn exchange(
    stream: &mut impl ReadWrite,
    sni: Option<String>,
    shared: &SendGrid,
    attempts: &Attempts,
    data: &mut Vec<u8>,
) -> bool {
    let mut buf = vec![0u8; 65536];
    let head_end = loop {
        if let Some(p) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = stream.read(&mut buf).unwrap_or(0);
        if n == 0 {
            return false;
        }
        data.extend_from_slice(&buf[..n]);
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
        let n = stream.read(&mut buf).unwrap_or(0);
        if n == 0 {
            return false;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let body: Value =
        serde_json::from_slice(&data[head_end..head_end + length]).unwrap_or(Value::Null);
    // What follows belongs to the next request.
    data.drain(..head_end + length);
    let close = header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
    let key = header("authorization")
        .and_then(|a| a.strip_prefix("Bearer ").map(str::to_string))
        .unwrap_or_default();
    let host = header("host").unwrap_or_default();
    // Without the port (an IPv6 literal keeps its brackets).
    let host = match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') || name.ends_with(']') => {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                name.to_string()
            } else {
                host.clone()
            }
        }
        _ => host.clone(),
    };
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
        shared
            .seen
            .lock()
            .unwrap()
            .push((key.clone(), body.clone()));
        let custom_args = if custom_args_errors(&body).is_empty() {
            body.get("custom_args")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        } else {
            Map::new()
        };
        shared.requests.lock().unwrap().push(Request {
            host,
            sni,
            key: key.clone(),
            body: body.clone(),
            custom_args,
        });
        // Takes the whole request, then dies without a word: sent or
        // not, the client cannot tell.
        if key == "hang-up" {
            return false;
        }
        answer(&key, attempt, &body)
    };
    let mut response = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", text.len());
    for (k, v) in headers {
        response.push_str(k);
        response.push_str(": ");
        response.push_str(&v);
        response.push_str("\r\n");
    }
    response.push_str("\r\n");
    response.push_str(&text);
    stream.write_all(response.as_bytes()).is_ok() && stream.flush().is_ok() && !close
}

/// A connection, in plain text or TLS.
trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}
