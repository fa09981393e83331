//! What the browser tests stand on: Debian's `chromedriver` started on a free
//! loopback port (and stopped, with the Chromium it started, when the guard
//! drops, also when a test panics), a `WebDriver` session to headless
//! Chromium over plain http, scratch directories, and a poll of the page's
//! state with a bound (never a fixed sleep alone). The browser trusts the
//! test authorization server's certificate (and no other certificate
//! error) by its public key's SHA-256.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::{Value, json};

const HOW_TO_INSTALL: &str = "the browser tests drive Debian's Chromium through ChromeDriver: \
     install them with `apt-get install -y --no-install-recommends chromium chromium-driver` \
     (as root; `.ci/run` does)";

/// The browser window: wide enough for the form, tall enough for most of it.
pub(crate) const WINDOW: (u32, u32) = (1000, 900);

/// How long a page may take to reach an expected state (a login and a
/// folder list on a loaded machine included).
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// A directory removed when dropped.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    /// A new empty directory under the system's temporary directory.
    pub(crate) fn new(what: &str) -> Scratch {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "courriel-settings-page-{what}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The base64 SHA-256 of the public key (`SubjectPublicKeyInfo`) of the first
/// certificate in `pem`: what Chromium's `--ignore-certificate-errors-spki-list`
/// takes. A few lines of DER: certificate, then its `tbsCertificate`, then
/// (after the version, serial number, signature algorithm, issuer,
/// validity and subject) the key.
pub(crate) fn spki_sha256(pem: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest as _, Sha256};
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .expect("a PEM certificate");
    // One TLV at `at`: (where its content starts, where it ends).
    let tlv = |at: usize| -> (usize, usize) {
        let first = der[at + 1];
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            let len = der[at + 2..at + 2 + n]
                .iter()
                .fold(0, |acc, b| (acc << 8) | usize::from(*b));
            (len, 2 + n)
        };
        (at + header, at + header + len)
    };
    let (tbs, _) = tlv(0);
    let (mut at, _) = tlv(tbs);
    if der[at] == 0xa0 {
        at = tlv(at).1; // [0] version
    }
    for _ in 0..5 {
        at = tlv(at).1; // serial, signature algorithm, issuer, validity, subject
    }
    let spki = &der[at..tlv(at).1];
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki))
}

/// `chromedriver`, in a process group of its own with the Chromium it starts:
/// dropping the guard kills the group, so no browser outlives the test.
pub(crate) struct Chromedriver {
    child: Child,
    chromium: PathBuf,
    port: u16,
    profile: Scratch,
    log: PathBuf,
}

/// Where a program is: `path` itself, else the first match on `PATH`.
fn installed(path: &str) -> Option<PathBuf> {
    let path = Path::new(path);
    if path.is_file() {
        return Some(path.to_path_buf());
    }
    let name = path.file_name()?;
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Chromedriver {
    /// Starts `chromedriver` and waits until it listens; panics with how to
    /// install Chromium when it or `chromedriver` is missing.
    pub(crate) fn start() -> Chromedriver {
        let Some(chromium) = installed("/usr/bin/chromium") else {
            panic!("Chromium is not installed (no /usr/bin/chromium): {HOW_TO_INSTALL}");
        };
        let Some(driver) = installed("/usr/bin/chromedriver") else {
            panic!("ChromeDriver is not installed (no /usr/bin/chromedriver): {HOW_TO_INSTALL}");
        };
        let profile = Scratch::new("chromium-profile");
        let log = profile.0.join("chromedriver.log");
        let port = free_port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}\n{HOW_TO_INSTALL}", driver.display()));
        let mut chromedriver = Chromedriver {
            child,
            chromium,
            port,
            profile,
            log,
        };
        let started = Instant::now();
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = chromedriver.child.try_wait() {
                panic!(
                    "ChromeDriver exited ({status}) before listening: {}\n{HOW_TO_INSTALL}",
                    chromedriver.log_tail()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "ChromeDriver did not listen on {address} within 20 s: {}",
                chromedriver.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        chromedriver
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// A session in a new headless Chromium, with the flags this machine's
    /// closed network needs (no background connections) and a fresh
    /// profile, trusting the certificate whose key `spki` names (the test
    /// servers', which the web's CAs did not sign).
    pub(crate) async fn session(&self, spki: &str) -> Client {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": self.chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--hide-scrollbars",
                    format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                    format!("--user-data-dir={}", self.profile.0.join("profile").display()),
                    format!("--ignore-certificate-errors-spki-list={spki}"),
                ],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "a WebDriver session in headless Chromium: {e}\nChromeDriver's log:\n{}\n{HOW_TO_INSTALL}",
                    self.log_tail()
                )
            });
        client
            .set_window_size(WINDOW.0, WINDOW.1)
            .await
            .expect("set the window size");
        client
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The whole group: ChromeDriver and every Chromium process it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/` of the workspace (`CARGO_TARGET_DIR` when set).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    )
}

/// One `<option>` of `#sent-folder`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Folder {
    /// The raw name (the option's value).
    pub(crate) value: String,
    /// What the user reads.
    pub(crate) text: String,
    /// Whether it is the chosen one.
    pub(crate) selected: bool,
}

/// One `.diagnostic` element.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Diagnostic {
    /// Its `data-field`.
    pub(crate) field: Option<String>,
    /// Its text (`CODE message`, or empty).
    pub(crate) text: String,
    /// Whether it is shown.
    pub(crate) visible: bool,
}

/// What the page shows at one moment, read in one round trip (no password:
/// the password inputs are not read).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Snapshot {
    /// `<body data-pending>`: requests in flight.
    pub(crate) pending: Option<String>,
    /// The value of each non-password input and select, by id.
    pub(crate) values: std::collections::BTreeMap<String, Option<String>>,
    /// The text of each status element, by id.
    pub(crate) texts: std::collections::BTreeMap<String, Option<String>>,
    /// `#sent-folder`'s options.
    pub(crate) folders: Vec<Folder>,
    /// Every `.diagnostic`.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Whether each of [`SHOWN`] is shown.
    pub(crate) shown: std::collections::BTreeMap<String, bool>,
    /// The JSON answers of the page's API calls since it loaded (`{url, body}`).
    pub(crate) answers: Vec<Value>,
}

impl Snapshot {
    /// The value of the input or select `id` ("" when absent).
    pub(crate) fn value(&self, id: &str) -> &str {
        self.values.get(id).and_then(Option::as_deref).unwrap_or("")
    }

    /// The text of the element `id` ("" when absent).
    pub(crate) fn text(&self, id: &str) -> &str {
        self.texts.get(id).and_then(Option::as_deref).unwrap_or("")
    }

    /// Whether the element `id` is shown.
    pub(crate) fn shown(&self, id: &str) -> bool {
        self.shown.get(id).copied().unwrap_or(false)
    }

    /// The chosen Sent folder's raw name.
    pub(crate) fn chosen_folder(&self) -> Option<&Folder> {
        self.folders.iter().find(|f| f.selected)
    }

    /// The answers of the API calls to `path` (`/api/folders`), oldest first.
    pub(crate) fn answers_of(&self, path: &str) -> Vec<&Value> {
        self.answers
            .iter()
            .filter(|a| a["url"].as_str().is_some_and(|u| u.ends_with(path)))
            .map(|a| &a["body"])
            .collect()
    }
}

const FIELDS: &[&str] = &[
    "address",
    "smtp-host",
    "smtp-port",
    "smtp-security",
    "smtp-username",
    "imap-host",
    "imap-port",
    "imap-security",
    "imap-username",
    "sent-folder",
];

const STATUSES: &[&str] = &[
    "autofill-status",
    "folders-status",
    "sender-advice",
    "receipt",
    "oauth2-note",
    "oauth2-status",
    "oauth2-sign-in",
];

/// Elements whose visibility the tests read.
const SHOWN: &[&str] = &[
    "oauth2",
    "oauth2-sign-in",
    "oauth2-sign-out",
    "smtp-password",
    "imap-password",
];

/// Reads the page's state; also records the page's API answers from now on
/// (a wrapper around `fetch`, installed once per page load).
const SNAPSHOT_JS: &str = r"
const [fields, statuses, visible] = arguments;
if (!window.__courrielAnswers) {
  window.__courrielAnswers = [];
  const original = window.fetch.bind(window);
  // The answer is recorded before the page sees it: once the page shows
  // a result, its answer is here.
  window.fetch = async (input, init) => {
    const response = await original(input, init);
    const url = typeof input === 'string' ? input : (input && input.url) || String(input);
    const entry = { url, body: null };
    window.__courrielAnswers.push(entry);
    try { entry.body = await response.clone().json(); } catch (e) { /* not JSON */ }
    return response;
  };
}
const byId = (id) => document.getElementById(id);
const shown = (e) => !!(e && (e.offsetWidth || e.offsetHeight || e.getClientRects().length));
return {
  pending: document.body ? document.body.getAttribute('data-pending') : null,
  values: Object.fromEntries(fields.map((id) => [id, byId(id) ? byId(id).value : null])),
  texts: Object.fromEntries(statuses.map((id) => [id, byId(id) ? byId(id).innerText : null])),
  folders: [...document.querySelectorAll('#sent-folder option')].map((o) => ({
    value: o.value, text: o.text, selected: o.selected,
  })),
  diagnostics: [...document.querySelectorAll('.diagnostic')].map((d) => ({
    field: d.getAttribute('data-field'), text: d.innerText.trim(), visible: shown(d),
  })),
  shown: Object.fromEntries(visible.map((id) => [id, shown(byId(id))])),
  answers: window.__courrielAnswers,
};
";

/// The page under test in one browser session, and where its screenshots go.
pub(crate) struct Page {
    pub(crate) client: Client,
    pub(crate) base: String,
    pub(crate) shots: PathBuf,
}

impl Page {
    /// Opens `path` (`/?lang=fr`) and waits until nothing is in flight.
    pub(crate) async fn open(&self, path: &str) -> Snapshot {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
        self.wait_for(&format!("{path} loaded"), |_| true).await
    }

    /// The page's state now.
    pub(crate) async fn snapshot(&self) -> Snapshot {
        let state = self
            .client
            .execute(
                SNAPSHOT_JS,
                vec![json!(FIELDS), json!(STATUSES), json!(SHOWN)],
            )
            .await
            .expect("read the page's state");
        serde_json::from_value(state.clone())
            .unwrap_or_else(|e| panic!("the page's state {state}: {e}"))
    }

    /// Polls (every 100 ms, for at most [`PATIENCE`]) until no request is in
    /// flight (`body[data-pending="0"]`) and `ready` holds; on timeout saves
    /// a screenshot and panics with the last state seen.
    pub(crate) async fn wait_for(&self, what: &str, ready: impl Fn(&Snapshot) -> bool) -> Snapshot {
        let started = Instant::now();
        loop {
            let state = self.snapshot().await;
            if state.pending.as_deref() == Some("0") && ready(&state) {
                return state;
            }
            if started.elapsed() > PATIENCE {
                let shot = self.shots.join(format!(
                    "failed-{}.png",
                    what.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
                ));
                if let Ok(png) = self.client.screenshot().await {
                    let _ = std::fs::write(&shot, png);
                }
                panic!(
                    "waited {PATIENCE:?} for: {what}\n(screenshot: {})\nlast state: {state:#?}",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (at most [`PATIENCE`]) for an element matching the CSS
    /// `selector` on whatever page the browser shows (the provider's).
    pub(crate) async fn wait_for_element(&self, selector: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("waited {PATIENCE:?} for {selector}: {e}"))
    }

    /// Waits (at most [`PATIENCE`]) until the browser's address starts
    /// with `prefix`; returns it.
    pub(crate) async fn wait_for_url(&self, prefix: &str) -> String {
        let started = Instant::now();
        loop {
            let url = self
                .client
                .current_url()
                .await
                .expect("the address")
                .to_string();
            if url.starts_with(prefix) {
                return url;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "waited {PATIENCE:?} for an address starting with {prefix}: at {url}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `text` into the field `id` as a user does (after clearing it),
    /// then leaves it with Tab so that its change is seen.
    pub(crate) async fn type_into(&self, id: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"));
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear #{id}: {e}"));
        field
            .send_keys(&format!("{text}{}", char::from(fantoccini::key::Key::Tab)))
            .await
            .unwrap_or_else(|e| panic!("type into #{id}: {e}"));
    }

    /// Clicks the element `id`.
    pub(crate) async fn click(&self, id: &str) {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click #{id}: {e}"));
    }

    /// An attribute of the element `id`.
    pub(crate) async fn attribute(&self, id: &str, name: &str) -> Option<String> {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"))
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("#{id}[{name}]: {e}"))
    }

    /// The page's HTML as the browser has it now.
    pub(crate) async fn source(&self) -> String {
        self.client.source().await.expect("the page source")
    }

    /// Saves a screenshot of the whole page, from its top (the window grown
    /// to the page's height, then back, and no field focused: the page
    /// listens to no blur), as `NN-name.png`; returns its path.
    pub(crate) async fn screenshot(&self, name: &str) -> PathBuf {
        // The page's height, and what the window has besides the page.
        let sizes = self
            .client
            .execute(
                "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); return [Math.ceil(document.documentElement.scrollHeight), \
                 Math.max(0, window.outerHeight - window.innerHeight)];",
                vec![],
            )
            .await
            .expect("the page's height");
        let number = |i: usize| {
            sizes[i]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0)
        };
        let height = (number(0) + number(1)).clamp(WINDOW.1, 2400);
        if height != WINDOW.1 {
            let _ = self.client.set_window_size(WINDOW.0, height).await;
        }
        let png = self.client.screenshot().await.expect("a screenshot");
        if height != WINDOW.1 {
            let _ = self.client.set_window_size(WINDOW.0, WINDOW.1).await;
        }
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}
