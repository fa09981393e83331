//! The settings page's API against the real Postfix and Dovecot, served
//! in-process: lookup from the catalog (and discovery), the rules'
//! diagnostics, the folder list on each Dovecot layout, a wrong password in
//! English and French, a test message filed in the Sent folder. No answer
//! ever holds a password. Where the page may connect: loopback refused
//! (NT001) unless allowed, a server that cannot be reached told as one code
//! (NT002), checks and test messages limited per visitor (HTTP 429).
//! Signing in with OAuth2 at the test authorization server (oidc-provider,
//! its own pages played by the testkit): the folders and the test message
//! with the grant's tokens, never a token in an answer, a grant usable
//! only from the browser that signed in, and each way a sign-in fails
//! (cancelled, unknown, replayed, from another browser) as OA012 in the
//! page's language.
//!
//! `cargo test -p courriel-settings-page --test api` (test servers started:
//! `cargo xtask mail-servers start`).

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod common;

use common::{HEADLINE_EN, HEADLINE_FR, HOST, OAUTH_PROVIDER, OAUTH_PROVIDER_NAME};
use courriel::Destinations;
use courriel::oauth2::{FileStore, GrantKey, OAuth2Client, TokenStore as _};
use courriel_settings_page::{Config, Limits, Rate};
use courriel_testkit::{Account, Servers};
use serde_json::{Value, json};

const WRONG_PASSWORD: &str = "wrong-password-for-the-api-test-4417";
fn config(s: &Servers, name: &str) -> Config {
    let spool = std::env::temp_dir().join(format!(
        "courriel-settings-page-api-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&spool);
    common::config(s, spool)
}

/// The page served in-process, and a client that checks every answer for
/// passwords. Like a browser, it keeps the page's session cookie.
struct Page {
    base: String,
    client: reqwest::Client,
    secrets: Vec<String>,
    /// `name=value` of the session cookie the page set.
    cookie: Mutex<Option<String>>,
    /// Every answer's text, to look for tokens once they are known.
    seen: Mutex<Vec<String>>,
}

impl Page {
    async fn start(name: &str) -> Page {
        Page::start_with(config(Servers::get(), name)).await
    }

    async fn start_with(config: Config) -> Page {
        let s = Servers::get();
        let (address, _task) =
            courriel_settings_page::serve(config, "127.0.0.1:0".parse().unwrap())
                .await
                .expect("the settings page listens");
        Page {
            base: format!("http://{address}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            secrets: [&s.special, &s.courier, &s.localized]
                .iter()
                .map(|a| a.password.clone())
                .chain([WRONG_PASSWORD.to_string()])
                .collect(),
            cookie: Mutex::new(None),
            seen: Mutex::new(Vec::new()),
        }
    }

    /// The same page in another browser: no cookie.
    fn another_browser(&self) -> Page {
        Page {
            base: self.base.clone(),
            client: self.client.clone(),
            secrets: self.secrets.clone(),
            cookie: Mutex::new(None),
            seen: Mutex::new(Vec::new()),
        }
    }

    /// The request with the session cookie, if any.
    fn with_cookie(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.cookie.lock().unwrap().as_deref() {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        }
    }

    /// Keeps the session cookie an answer sets; checks it cannot be read
    /// by the page's script.
    fn keep_cookie(&self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap();
            assert!(
                value.contains("HttpOnly") && value.contains("SameSite=Lax"),
                "{value}"
            );
            let pair = value.split(';').next().unwrap().to_string();
            *self.cookie.lock().unwrap() = Some(pair);
        }
    }

    /// The answer's text, checked for passwords and kept.
    fn saw(&self, what: &str, text: String) -> String {
        self.no_password_in(what, &text);
        self.seen.lock().unwrap().push(text.clone());
        text
    }

    /// GETs `url` (a path of the page, or the whole address a provider
    /// sent the browser to): the status and the page.
    async fn get_url(&self, url: &str, accept_language: Option<&str>) -> (u16, String) {
        let url = if url.starts_with("http") {
            url.to_string()
        } else {
            format!("{}{url}", self.base)
        };
        let mut request = self.with_cookie(self.client.get(&url));
        if let Some(lang) = accept_language {
            request = request.header("accept-language", lang);
        }
        let response = request.send().await.expect("GET");
        self.keep_cookie(&response);
        let status = response.status().as_u16();
        let text = response.text().await.expect("the page");
        (status, self.saw(&url, text))
    }

    fn no_password_in(&self, what: &str, text: &str) {
        for secret in &self.secrets {
            assert!(!text.contains(secret.as_str()), "a password in {what}");
        }
    }

    async fn get(&self, path: &str, accept_language: Option<&str>) -> String {
        let (status, text) = self.get_url(path, accept_language).await;
        assert_eq!(status, 200, "GET {path}");
        text
    }

    async fn post(&self, path: &str, body: &Value) -> Value {
        let (status, _, answer) = self.post_answer(path, body).await;
        assert!(status.is_success(), "POST {path}: {status} {answer}");
        answer
    }

    /// The status, the `Retry-After` header and the JSON answer.
    async fn post_answer(
        &self,
        path: &str,
        body: &Value,
    ) -> (reqwest::StatusCode, Option<String>, Value) {
        let response = self
            .with_cookie(self.client.post(format!("{}{path}", self.base)))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST");
        self.keep_cookie(&response);
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let text = self.saw(path, response.text().await.expect("an answer"));
        let answer =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON from {path}: {e}: {text}"));
        (status, retry_after, answer)
    }
}

/// The form's settings for `who` on the test servers (ports as the
/// autofill gives them), the SMTP login `smtp_user`.
fn settings(s: &Servers, who: &Account, smtp_user: &str) -> Value {
    json!({
        "address": who.address,
        "smtp": { "host": HOST, "port": s.smtp_starttls_port, "security": "starttls", "username": smtp_user },
        "imap": { "host": HOST, "port": s.imap_tls_port, "security": "implicit-tls",
                  "username": who.address, "sent_folder": "auto" },
    })
}

fn passwords(smtp: &str, imap: &str) -> Value {
    json!({ "smtp": smtp, "imap": imap })
}

#[tokio::test(flavor = "multi_thread")]
async fn lookup_fills_the_catalogs_settings_with_the_mapped_ports() {
    let s = Servers::get();
    let page = Page::start("lookup").await;
    let found = page
        .post(
            "/api/lookup",
            &json!({ "address": s.special.address, "lang": "en" }),
        )
        .await;
    assert_eq!(found["found"], true, "{found}");
    assert_eq!(found["source"], "catalog", "{found}");
    assert_eq!(found["trusted"], true, "{found}");
    assert_eq!(
        found["smtp"],
        json!({ "host": HOST, "port": s.smtp_starttls_port, "security": "starttls", "username": s.special.address })
    );
    assert_eq!(
        found["imap"],
        json!({ "host": HOST, "port": s.imap_tls_port, "security": "implicit-tls", "username": s.special.address })
    );
    let message = found["message"].as_str().unwrap();
    assert!(
        message.contains("catalog") && message.contains("trusted"),
        "{message}"
    );

    let fr = page
        .post(
            "/api/lookup",
            &json!({ "address": s.localized.address, "lang": "fr" }),
        )
        .await;
    assert_eq!(fr["imap"]["username"], s.localized.address);
    assert!(
        fr["message"].as_str().unwrap().contains("de confiance"),
        "{fr}"
    );

    let invalid = page
        .post("/api/lookup", &json!({ "address": "alice@", "lang": "en" }))
        .await;
    assert_eq!(invalid["found"], false, "{invalid}");
    assert!(!invalid["message"].as_str().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guessed_result_is_marked_untrusted() {
    let page = Page::start("guess").await;
    let started = Instant::now();
    let found = page
        .post(
            "/api/lookup",
            &json!({ "address": "jean@boulangerie.test", "lang": "en" }),
        )
        .await;
    assert_eq!(found["found"], true, "{found}");
    assert_ne!(found["source"], "catalog", "{found}");
    assert_eq!(found["trusted"], false, "{found}");
    assert!(
        !found["untrusted_because"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{found}"
    );
    assert!(
        found["message"].as_str().unwrap().contains("NOT trusted"),
        "{found}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnose_flags_a_sender_that_is_not_the_smtp_login() {
    let s = Servers::get();
    let page = Page::start("diagnose").await;
    let codes = |answer: &Value| -> Vec<(String, String)> {
        answer["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["field"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let given = json!({ "smtp": true, "imap": true });
    let mismatch = page
        .post(
            "/api/diagnose",
            &json!({ "settings": settings(s, &s.special, &s.courier.address), "passwords_given": given, "lang": "en" }),
        )
        .await;
    let se001 = mismatch["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "SE001")
        .unwrap_or_else(|| panic!("SE001 in {mismatch}"));
    assert_eq!(
        se001["severity"], "error",
        "the provider rejects other senders: {se001}"
    );
    let message = se001["message"].as_str().unwrap();
    assert!(
        message.contains(&s.special.address) && message.contains(&s.courier.address),
        "{message}"
    );
    assert!(!se001["help"].as_str().unwrap().is_empty());

    let fr = page
        .post(
            "/api/diagnose",
            &json!({ "settings": settings(s, &s.special, &s.courier.address), "passwords_given": given, "lang": "fr" }),
        )
        .await;
    let fr_message = fr["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "SE001")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(fr_message, message, "rendered in French");

    // The right login: nothing to say; the mapped test ports are judged as
    // the standard ones the provider documents.
    let fine = page
        .post(
            "/api/diagnose",
            &json!({ "settings": settings(s, &s.special, &s.special.address), "passwords_given": given, "lang": "en" }),
        )
        .await;
    assert_eq!(codes(&fine), Vec::<(String, String)>::new(), "{fine}");

    // No password typed: said next to the password field.
    let none = page
        .post(
            "/api/diagnose",
            &json!({ "settings": settings(s, &s.special, &s.special.address),
                     "passwords_given": { "smtp": false, "imap": true }, "lang": "en" }),
        )
        .await;
    assert!(
        codes(&none).contains(&("LG004".into(), "smtp.password_env".into())),
        "{none}"
    );
    let lg004 = none["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "LG004")
        .unwrap();
    assert!(
        lg004["help"]
            .as_str()
            .unwrap()
            .starts_with("Type the password"),
        "said for the form, not for account files: {lg004}"
    );

    // No SMTP server: the default provider, a hint on the SMTP section.
    let default = page
        .post(
            "/api/diagnose",
            &json!({ "settings": { "address": s.special.address, "smtp": null, "imap": null }, "lang": "en" }),
        )
        .await;
    assert_eq!(
        codes(&default),
        [("DF001".to_string(), "smtp".to_string())],
        "{default}"
    );
}

/// `/api/folders` for `who`: the Sent folder chosen (raw name) and why.
async fn sent_of(page: &Page, s: &Servers, who: &Account) -> Value {
    let answer = page
        .post(
            "/api/folders",
            &json!({ "settings": settings(s, who, &who.address), "passwords": passwords("", &who.password),
                     "refresh": false, "lang": "en" }),
        )
        .await;
    assert_eq!(answer["ok"], true, "{answer}");
    let sent = answer["sent"].clone();
    let raw = sent["raw"]
        .as_str()
        .unwrap_or_else(|| panic!("a Sent folder: {answer}"));
    assert!(
        answer["folders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["raw"] == raw),
        "the chosen folder is listed: {answer}"
    );
    assert!(!sent["reason_text"].as_str().unwrap().is_empty(), "{sent}");
    sent
}

#[tokio::test(flavor = "multi_thread")]
async fn folders_choose_sent_on_each_dovecot_layout() {
    let s = Servers::get();
    let page = Page::start("folders").await;

    let alice = sent_of(&page, s, &s.special).await;
    assert_eq!(
        (alice["raw"].as_str(), alice["reason"].as_str()),
        (Some("Sent"), Some("attribute"))
    );

    let bob = sent_of(&page, s, &s.courier).await;
    assert_eq!(bob["raw"], "INBOX.Sent", "{bob}");

    let chloe = sent_of(&page, s, &s.localized).await;
    assert_eq!(chloe["raw"], "&AMk-l&AOk-ments envoy&AOk-s", "{chloe}");
    assert_eq!(chloe["name"], "Éléments envoyés", "{chloe}");
    assert_eq!(chloe["reason"], "localized-name", "{chloe}");

    // "…" asks again, and a folder the user chose stays chosen.
    let mut chosen = settings(s, &s.special, &s.special.address);
    chosen["imap"]["sent_folder"] = json!("Drafts");
    let answer = page
        .post(
            "/api/folders",
            &json!({ "settings": chosen, "passwords": passwords("", &s.special.password), "refresh": true, "lang": "fr" }),
        )
        .await;
    assert_eq!(answer["sent"]["raw"], "Drafts", "{answer}");
    assert_eq!(answer["sent"]["reason"], "user-choice", "{answer}");
    assert_eq!(
        answer["sent"]["reason_text"], "Vous avez choisi ce dossier.",
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_imap_password_says_why_in_english_and_french() {
    let s = Servers::get();
    let page = Page::start("wrong").await;
    let mut messages = Vec::new();
    for (lang, headline) in [("en", HEADLINE_EN), ("fr", HEADLINE_FR)] {
        let answer = page
            .post(
                "/api/folders",
                &json!({ "settings": settings(s, &s.special, &s.special.address),
                         "passwords": passwords("", WRONG_PASSWORD), "refresh": true, "lang": lang }),
            )
            .await;
        assert_eq!(answer["ok"], false, "{answer}");
        assert_eq!(answer["code"], "IM009", "{answer}");
        assert_eq!(answer["headline"], headline, "{answer}");
        assert!(!answer["help"].as_str().unwrap().is_empty(), "{answer}");
        messages.push(answer["message"].as_str().unwrap().to_string());
    }
    assert_ne!(messages[0], messages[1], "rendered in each language");

    // No IMAP settings at all: the same headline.
    let answer = page
        .post(
            "/api/folders",
            &json!({ "settings": { "address": s.special.address, "smtp": null, "imap": null },
                     "passwords": { "smtp": null, "imap": null }, "lang": "en" }),
        )
        .await;
    assert_eq!(
        (answer["ok"].as_bool(), answer["code"].as_str()),
        (Some(false), Some("IM001"))
    );
    assert_eq!(answer["headline"], HEADLINE_EN);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_test_message_goes_to_the_users_own_address_and_its_copy_is_filed() {
    let s = Servers::get();
    let page = Page::start("send").await;
    let answer = page
        .post(
            "/api/test",
            &json!({ "settings": settings(s, &s.special, &s.special.address),
                     "passwords": passwords(&s.special.password, &s.special.password), "lang": "en" }),
        )
        .await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["transport"], "smtp", "{answer}");
    assert_eq!(answer["filing_status"], "filed", "{answer}");
    assert!(
        answer["filing_text"].as_str().unwrap().contains("Sent"),
        "{answer}"
    );
    let message_id = answer["message_id"].as_str().unwrap().to_string();
    filed_once(s, &s.special, "Sent", &message_id).await;

    // Right after a send with the right password, a wrong one still fails:
    // the connection pooled for the first is not reused for the second.
    let wrong = page
        .post(
            "/api/test",
            &json!({ "settings": settings(s, &s.special, &s.special.address),
                     "passwords": passwords(WRONG_PASSWORD, &s.special.password), "lang": "fr" }),
        )
        .await;
    assert_eq!(wrong["ok"], false, "{wrong}");
    assert_eq!(wrong["code"], "SM009", "{wrong}");
    assert!(!wrong["help"].as_str().unwrap().is_empty(), "{wrong}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_is_in_the_language_asked_for() {
    let page = Page::start("page").await;
    let en = page.get("/", None).await;
    assert!(en.contains(r#"<html lang="en">"#) && en.contains("Send a test message"));
    let fr = page.get("/", Some("fr-FR,fr;q=0.9,en;q=0.5")).await;
    assert!(fr.contains(r#"<html lang="fr">"#) && fr.contains("Envoyer un message d&#39;essai"));
    let asked = page.get("/?lang=en", Some("fr-FR")).await;
    assert!(asked.contains(r#"<html lang="en">"#));
    for page in [&en, &fr] {
        assert!(page.contains(r#"<body data-pending="0">"#));
        for input in page.split("<input").skip(1) {
            let tag = input.split('>').next().unwrap();
            assert!(!tag.contains("value="), "no input is given a value: {tag}");
        }
    }
}

/// The page with its default policy: public addresses only.
fn public_only(s: &Servers, name: &str) -> Config {
    let mut config = config(s, name);
    config.destinations = Destinations::public_only();
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn a_loopback_server_is_refused_with_its_code_unless_allowed() {
    let s = Servers::get();
    let page = Page::start_with(public_only(s, "policy")).await;
    let form = settings(s, &s.special, &s.special.address);
    let mut messages = Vec::new();
    for lang in ["en", "fr"] {
        let answer = page
            .post(
                "/api/folders",
                &json!({ "settings": form, "passwords": passwords("", &s.special.password), "lang": lang }),
            )
            .await;
        assert_eq!(answer["ok"], false, "{answer}");
        assert_eq!(answer["code"], "NT001", "{answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.contains(HOST) && message.contains("127.0.0.1"),
            "{message}"
        );
        assert!(!answer["help"].as_str().unwrap().is_empty(), "{answer}");
        messages.push(message.to_string());
    }
    assert!(messages[0].contains("loopback"), "{}", messages[0]);
    assert!(messages[1].contains("bouclage"), "{}", messages[1]);

    // The test message is not sent: its SMTP server is refused too.
    let answer = page
        .post(
            "/api/test",
            &json!({ "settings": form,
                     "passwords": passwords(&s.special.password, &s.special.password), "lang": "en" }),
        )
        .await;
    assert_eq!(
        (answer["ok"].as_bool(), answer["code"].as_str()),
        (Some(false), Some("NT001")),
        "{answer}"
    );

    // Addresses typed as the host: the metadata service, a private network.
    for (host, kind) in [
        ("169.254.169.254", "cloud metadata"),
        ("10.20.30.40", "private network"),
        ("::ffff:127.0.0.1", "loopback"),
    ] {
        let mut typed = form.clone();
        typed["imap"]["host"] = json!(host);
        let answer = page
            .post(
                "/api/folders",
                &json!({ "settings": typed, "passwords": passwords("", "x"), "lang": "en" }),
            )
            .await;
        assert_eq!(answer["code"], "NT001", "{host}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(kind),
            "{host}: {answer}"
        );
    }

    // Discovery keeps to the same policy: the test domains resolve to
    // loopback, so nothing is found.
    let found = page
        .post(
            "/api/lookup",
            &json!({ "address": "jean@boulangerie.test", "lang": "en" }),
        )
        .await;
    assert_eq!(found["found"], false, "{found}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_cannot_be_reached_is_one_answer_whatever_happened() {
    let s = Servers::get();
    let page = Page::start("unreachable").await;
    let closed = courriel_testkit::closed();
    // A closed port, and another service's port (the SMTP server's
    // greeting where IMAP is expected): the same code, no banner.
    for port in [closed, s.smtp_starttls_port] {
        let mut form = settings(s, &s.special, &s.special.address);
        form["imap"]["port"] = json!(port);
        form["imap"]["security"] = json!("starttls");
        let answer = page
            .post(
                "/api/folders",
                &json!({ "settings": form, "passwords": passwords("", &s.special.password), "lang": "en" }),
            )
            .await;
        assert_eq!(answer["code"], "NT002", "port {port}: {answer}");
        let text = answer.to_string();
        assert!(
            !text.contains("220") && !text.contains("ESMTP"),
            "no banner: {text}"
        );
        assert!(text.contains(&port.to_string()), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn checks_and_test_messages_are_limited_per_visitor() {
    let s = Servers::get();
    let mut config = public_only(s, "limits");
    config.limits = Limits {
        checks: Rate::per_minute(3),
        tests: Rate::per_hour(1),
    };
    let page = Page::start_with(config).await;
    let form = settings(s, &s.special, &s.special.address);
    let folders = json!({ "settings": form, "passwords": passwords("", "x"), "lang": "en" });
    for _ in 0..3 {
        let (status, _, answer) = page.post_answer("/api/folders", &folders).await;
        assert_eq!(status, 200, "{answer}");
    }
    let (status, retry_after, answer) = page.post_answer("/api/folders", &folders).await;
    assert_eq!(status, 429, "the fourth check in a minute: {answer}");
    assert_eq!(answer["code"], "rate-limited", "{answer}");
    let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!(
        (1..=20).contains(&seconds),
        "one check every 20 s: {seconds}"
    );
    assert_eq!(answer["retry_after"], seconds);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("Too many checks"),
        "{answer}"
    );
    let mut fr = folders.clone();
    fr["lang"] = json!("fr");
    let (status, _, answer) = page.post_answer("/api/folders", &fr).await;
    assert_eq!(status, 429);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("Trop de vérifications"),
        "{answer}"
    );
    // Discovery counts as a check; the catalog alone does not.
    let (status, _, _) = page
        .post_answer(
            "/api/lookup",
            &json!({ "address": "jean@boulangerie.test", "lang": "en" }),
        )
        .await;
    assert_eq!(status, 429);
    let (status, _, found) = page
        .post_answer(
            "/api/lookup",
            &json!({ "address": s.special.address, "lang": "en" }),
        )
        .await;
    assert_eq!((status.as_u16(), &found["found"]), (200, &json!(true)));

    // Test messages have their own budget: one an hour here.
    let test = json!({ "settings": form, "passwords": passwords("x", "x"), "lang": "en" });
    let (status, _, answer) = page.post_answer("/api/test", &test).await;
    assert_eq!(status, 200, "{answer}");
    let (status, retry_after, answer) = page.post_answer("/api/test", &test).await;
    assert_eq!(status, 429, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("Too many test messages"),
        "{answer}"
    );
    let seconds: u64 = retry_after.unwrap().parse().unwrap();
    assert!(seconds > 3000, "an hour for one message: {seconds}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_spool_directory_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let s = Servers::get();
    let mut config = config(s, "private");
    let state = config.spool.clone();
    config.spool = state.join("state/spool");
    let _page = Page::start_with(config).await;
    for dir in [state.join("state"), state.join("state/spool")] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&state);
}

/// A directory of this test's own, empty.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "courriel-settings-page-api-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The page with the OAuth2 test provider and its client, sign-ins kept
/// in `tokens`.
async fn oauth2_page(name: &str, tokens: &std::path::Path) -> Page {
    let s = Servers::get();
    Page::start_with(common::oauth2_config(
        s,
        scratch(&format!("{name}-spool")),
        tokens,
    ))
    .await
}

/// The page's session state as the page holds it (`<script id="session">`).
fn session_of(page: &str) -> Value {
    let start = page
        .find(r#"<script type="application/json" id="session">"#)
        .expect("the session's script")
        + r#"<script type="application/json" id="session">"#.len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}

/// A query parameter of `url`, decoded.
fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `POST /api/oauth2/start` for `who`: the provider's URL to open.
async fn start_sign_in(page: &Page, who: &Account, lang: &str) -> String {
    let s = Servers::get();
    let started = page
        .post(
            "/api/oauth2/start",
            &json!({ "settings": settings(s, who, &who.address), "lang": lang }),
        )
        .await;
    assert_eq!(started["ok"], true, "{started}");
    assert_eq!(started["provider_name"], OAUTH_PROVIDER_NAME, "{started}");
    started["url"].as_str().unwrap().to_string()
}

/// Plays the user on the authorization server's pages (the testkit's
/// `oauth_approve` or `oauth_cancel`, blocking I/O): where it sends the
/// browser back to.
async fn at_the_provider(url: String, base: String, approve: bool) -> String {
    tokio::task::spawn_blocking(move || {
        let s = Servers::get();
        let redirect = format!("{base}/");
        if approve {
            s.oauth_approve(&url, &s.special, &redirect)
        } else {
            s.oauth_cancel(&url, &redirect)
        }
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("at the authorization server: {e}"))
}

/// The stored grant's access and refresh tokens.
async fn stored_tokens(tokens: &std::path::Path, user: &str) -> Option<(String, String)> {
    let store = FileStore::open(tokens).unwrap();
    let grant = store
        .load(&GrantKey::new(OAUTH_PROVIDER, user))
        .await
        .unwrap()?;
    let stored: Value = serde_json::from_str(&grant.to_stored()).unwrap();
    Some((
        stored["access_token"].as_str().unwrap().to_string(),
        stored["refresh_token"].as_str().unwrap().to_string(),
    ))
}

/// Waits for the copy of `message_id` in `who`'s `folder`, filed once.
async fn filed_once(s: &Servers, who: &Account, folder: &str, message_id: &str) {
    let started = Instant::now();
    loop {
        let mut imap = s.imap_as(who);
        assert!(imap.command(&format!("SELECT {folder}")).unwrap().is_ok());
        let found = imap
            .command(&format!("UID SEARCH HEADER Message-ID \"<{message_id}>\""))
            .unwrap();
        let uids: Vec<&str> = found
            .untagged
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(str::split_whitespace)
            .collect();
        assert!(uids.len() < 2, "filed once: {uids:?}");
        if uids.len() == 1 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the copy of <{message_id}> in {folder}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// No diagnostic about passwords when signing in with OAuth2; without
/// it, the provider's rule says passwords will not do.
async fn no_password_diagnostic_with_tokens(page: &Page, form: &Value) {
    let diagnose = |auth: &str| {
        json!({ "settings": form, "passwords_given": { "smtp": false, "imap": false },
                "auth": auth, "lang": "en" })
    };
    let codes = |answer: &Value| -> Vec<String> {
        answer["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    };
    let with_tokens = page.post("/api/diagnose", &diagnose("oauth2")).await;
    assert_eq!(codes(&with_tokens), Vec::<String>::new(), "{with_tokens}");
    let with_passwords = page.post("/api/diagnose", &diagnose("password")).await;
    assert!(
        codes(&with_passwords).contains(&"LG003".to_string()),
        "{with_passwords}"
    );
}

/// Another browser has not signed in: it cannot use alice's grant, nor
/// sign her out.
async fn another_browser_cannot_use_it(other: &Page, tokens: &std::path::Path) {
    let s = Servers::get();
    let alice = &s.special;
    let form = settings(s, alice, &alice.address);
    let answer = other
        .post(
            "/api/test",
            &json!({ "settings": form, "auth": "oauth2", "lang": "fr" }),
        )
        .await;
    assert_eq!(answer["code"], "OA001", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("ne s'est pas connecté"),
        "{answer}"
    );
    let found = other
        .post(
            "/api/lookup",
            &json!({ "address": alice.address, "lang": "en" }),
        )
        .await;
    assert_eq!(found["oauth2"]["signed_in"], Value::Null, "{found}");
    let out = other
        .post(
            "/api/oauth2/sign-out",
            &json!({ "settings": form, "lang": "en" }),
        )
        .await;
    assert_eq!(
        (&out["signed_out"], &out["revoked"]),
        (&json!(false), &Value::Null),
        "{out}"
    );
    assert!(stored_tokens(tokens, &alice.address).await.is_some());
}

/// "Sign in with …" for `who`, approved at the provider: the provider's
/// URL with state and PKCE, and the way back to the page's own root, where
/// the page says who signed in and until when. The address the provider
/// sent the browser back to, and when the access token expires.
async fn signs_in(page: &Page, alice: &Account) -> (String, u64) {
    let s = Servers::get();
    let url = start_sign_in(page, alice, "en").await;
    assert!(
        url.starts_with(&format!("{}/auth?", s.oauth_issuer())),
        "{url}"
    );
    assert_eq!(
        param(&url, "redirect_uri").as_deref(),
        Some(format!("{}/", page.base).as_str())
    );
    assert_eq!(
        param(&url, "login_hint").as_deref(),
        Some(alice.address.as_str())
    );
    assert_eq!(
        param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        param(&url, "client_id").as_deref(),
        Some(s.oauth_client.as_str())
    );
    assert!(
        param(&url, "state").is_some_and(|st| st.len() >= 16),
        "{url}"
    );
    assert!(page.cookie.lock().unwrap().is_some(), "a session cookie");

    // The user signs in on the provider's pages; the provider sends the
    // browser back to the page with a code.
    let back = at_the_provider(url, page.base.clone(), true).await;
    let code = param(&back, "code").expect("a code");
    assert!(back.starts_with(&format!("{}/?", page.base)), "{back}");
    let (status, html) = page.get_url(&back, None).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<html lang="en">"#));
    let outcome = session_of(&html)["outcome"].clone();
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert_eq!(outcome["user"], alice.address, "{outcome}");
    assert_eq!(outcome["address"], alice.address, "{outcome}");
    assert_eq!(outcome["provider_name"], OAUTH_PROVIDER_NAME, "{outcome}");
    assert_eq!(outcome["passwords"], false, "{outcome}");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expires_at = outcome["expires_at"].as_u64().expect("when it expires");
    assert!(
        expires_at > now + 60 && expires_at < now + 24 * 3600,
        "{outcome}"
    );
    assert!(!html.contains(&code), "the code is not written in the page");

    (back, expires_at)
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_in_with_oauth2_the_folders_are_listed_and_the_test_message_filed() {
    let s = Servers::get();
    let tokens = scratch("oauth2-tokens");
    let page = oauth2_page("oauth2", &tokens).await;
    let alice = &s.special;
    let form = settings(s, alice, &alice.address);

    // The catalog says OAuth2 only, and the application has a client.
    let found = page
        .post(
            "/api/lookup",
            &json!({ "address": alice.address, "lang": "en" }),
        )
        .await;
    assert_eq!(
        found["oauth2"],
        json!({ "provider": OAUTH_PROVIDER, "provider_name": OAUTH_PROVIDER_NAME, "client": true,
                "passwords": false, "signed_in": null, "problem": null }),
        "{found}"
    );
    // Not signed in: no folders with tokens.
    let answer = page
        .post(
            "/api/folders",
            &json!({ "settings": form, "auth": "oauth2", "lang": "en" }),
        )
        .await;
    assert_eq!(answer["code"], "OA001", "{answer}");
    assert_eq!(answer["headline"], HEADLINE_EN, "{answer}");

    let (back, expires_at) = signs_in(&page, alice).await;

    // The grant is in the store; its tokens never in the page or an answer.
    let (access, refresh) = stored_tokens(&tokens, &alice.address)
        .await
        .expect("the grant is stored");

    // The lookup now says who signed in, and until when.
    let found = page
        .post(
            "/api/lookup",
            &json!({ "address": alice.address, "lang": "en" }),
        )
        .await;
    assert_eq!(
        found["oauth2"]["signed_in"],
        json!({ "user": alice.address, "expires_at": expires_at }),
        "{found}"
    );

    // The folders, with the token: Sent chosen by its attribute.
    let answer = page
        .post(
            "/api/folders",
            &json!({ "settings": form, "auth": "oauth2", "lang": "en" }),
        )
        .await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["sent"]["raw"], "Sent", "{answer}");
    assert_eq!(answer["sent"]["reason"], "attribute", "{answer}");

    // The test message, with the token: sent, and its copy filed once.
    let sent = page
        .post(
            "/api/test",
            &json!({ "settings": form, "auth": "oauth2", "lang": "en" }),
        )
        .await;
    assert_eq!(sent["ok"], true, "{sent}");
    assert_eq!(sent["transport"], "smtp", "{sent}");
    assert_eq!(sent["filing_status"], "filed", "{sent}");
    filed_once(s, alice, "Sent", sent["message_id"].as_str().unwrap()).await;

    no_password_diagnostic_with_tokens(&page, &form).await;

    let other = page.another_browser();
    another_browser_cannot_use_it(&other, &tokens).await;

    // The way back works once: the same answer again is refused.
    let (_, again) = page.get_url(&back, None).await;
    let replayed = session_of(&again)["outcome"].clone();
    assert_eq!(replayed["code"], "OA012", "{replayed}");

    for text in page
        .seen
        .lock()
        .unwrap()
        .iter()
        .chain(other.seen.lock().unwrap().iter())
    {
        assert!(!text.contains(&access), "an access token in an answer");
        assert!(!text.contains(&refresh), "a refresh token in an answer");
    }

    // Signing out forgets the grant, here and in the store.
    let out = page
        .post(
            "/api/oauth2/sign-out",
            &json!({ "settings": form, "lang": "en" }),
        )
        .await;
    assert_eq!(out["signed_out"], true, "{out}");
    assert_eq!(out["revoked"], "revoked", "{out}");
    assert!(stored_tokens(&tokens, &alice.address).await.is_none());
    // The provider forgot the sign-in too: its token is no longer active.
    let introspected =
        tokio::task::spawn_blocking(move || Servers::get().oauth_introspect(&access))
            .await
            .unwrap();
    assert_eq!(introspected["active"], false, "{introspected}");
    let answer = page
        .post(
            "/api/folders",
            &json!({ "settings": form, "auth": "oauth2", "lang": "en" }),
        )
        .await;
    assert_eq!(answer["code"], "OA001", "{answer}");
    let _ = std::fs::remove_dir_all(&tokens);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_cancelled_unknown_or_from_another_browser_is_oa012_in_the_pages_language() {
    let s = Servers::get();
    let tokens = scratch("oauth2-refused-tokens");
    let page = oauth2_page("oauth2-refused", &tokens).await;

    // An answer no sign-in here is waiting for.
    let (status, html) = page
        .get_url("/?code=abc&state=forged-state", Some("fr-FR,fr;q=0.9"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<html lang="fr">"#));
    let outcome = session_of(&html)["outcome"].clone();
    assert_eq!(outcome["ok"], false, "{outcome}");
    assert_eq!(outcome["code"], "OA012", "{outcome}");
    let message = outcome["message"].as_str().unwrap();
    assert!(
        message.contains("n'a pas abouti") && message.contains("inconnue"),
        "{message}"
    );
    assert!(!outcome["help"].as_str().unwrap().is_empty(), "{outcome}");

    // The user cancels on the provider's page: access_denied, said in the
    // language the sign-in started in.
    let url = start_sign_in(&page, &s.special, "fr").await;
    let back = at_the_provider(url, page.base.clone(), false).await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("access_denied"),
        "{back}"
    );
    let (_, html) = page.get_url(&back, Some("en")).await;
    assert!(
        html.contains(r#"<html lang="fr">"#),
        "the sign-in's language"
    );
    let outcome = session_of(&html)["outcome"].clone();
    assert_eq!(outcome["code"], "OA012", "{outcome}");
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains("access_denied"),
        "{outcome}"
    );
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains(OAUTH_PROVIDER_NAME),
        "{outcome}"
    );
    assert_eq!(outcome["address"], s.special.address, "{outcome}");

    // Approved, but the answer arrives in another browser (a link sent to
    // someone): refused, and spent for the browser that started it too.
    let url = start_sign_in(&page, &s.special, "en").await;
    let back = at_the_provider(url, page.base.clone(), true).await;
    let other = page.another_browser();
    let (_, html) = other.get_url(&back, None).await;
    let outcome = session_of(&html)["outcome"].clone();
    assert_eq!(outcome["code"], "OA012", "{outcome}");
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains("another browser"),
        "{outcome}"
    );
    let (_, html) = page.get_url(&back, None).await;
    assert_eq!(session_of(&html)["outcome"]["code"], "OA012");
    assert!(
        stored_tokens(&tokens, &s.special.address).await.is_none(),
        "nothing was stored"
    );
    let _ = std::fs::remove_dir_all(&tokens);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lookup_says_which_providers_sign_in_with_oauth2_and_whether_the_application_can() {
    let s = Servers::get();
    let tokens = scratch("oauth2-lookup-tokens");
    let mut config = common::oauth2_config(s, scratch("oauth2-lookup-spool"), &tokens);
    // A client for Gmail (never used here: no sign-in starts).
    config.oauth2_clients.push(OAuth2Client::new(
        "gmail",
        "test-client.apps.googleusercontent.com",
    ));
    let page = Page::start_with(config).await;
    let lookup = |address: &'static str, lang: &'static str| {
        let page = &page;
        async move {
            page.post("/api/lookup", &json!({ "address": address, "lang": lang }))
                .await["oauth2"]
                .clone()
        }
    };

    // Outlook.com takes no password and the application has no client:
    // the page says so (OA011), in the page's language.
    let outlook = lookup("isabelle.martin@outlook.fr", "en").await;
    assert_eq!(outlook["provider"], "outlook", "{outlook}");
    assert_eq!(
        (&outlook["client"], &outlook["passwords"]),
        (&json!(false), &json!(false)),
        "{outlook}"
    );
    assert_eq!(outlook["problem"]["code"], "OA011", "{outlook}");
    assert!(
        outlook["problem"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The application has no OAuth2 client for Outlook"),
        "{outlook}"
    );
    let fr = lookup("isabelle.martin@outlook.fr", "fr").await;
    assert!(
        fr["problem"]["message"]
            .as_str()
            .unwrap()
            .starts_with("L'application n'a pas de client OAuth2"),
        "{fr}"
    );
    // Gmail: OAuth2 with the application's client, and app passwords too.
    let gmail = lookup("jean.dupont@gmail.com", "en").await;
    assert_eq!(
        (&gmail["client"], &gmail["passwords"], &gmail["problem"]),
        (&json!(true), &json!(true), &Value::Null),
        "{gmail}"
    );
    // Free: passwords only.
    assert_eq!(lookup("jean.dupont@free.fr", "en").await, Value::Null);

    // No sign-in starts without a client, nor for servers that are not
    // the provider's (its tokens would go there).
    let outlook_form = json!({
        "address": "isabelle.martin@outlook.fr",
        "smtp": { "host": "smtp-mail.outlook.com", "port": 587, "security": "starttls",
                  "username": "isabelle.martin@outlook.fr" },
        "imap": null,
    });
    let answer = page
        .post(
            "/api/oauth2/start",
            &json!({ "settings": outlook_form, "lang": "en" }),
        )
        .await;
    assert_eq!(answer["code"], "OA011", "{answer}");
    let mut elsewhere = settings(s, &s.special, &s.special.address);
    elsewhere["imap"]["host"] = json!("imap.gmail.com");
    for path in ["/api/oauth2/start", "/api/folders"] {
        let answer = page
            .post(
                path,
                &json!({ "settings": elsewhere, "auth": "oauth2", "lang": "en" }),
            )
            .await;
        assert_eq!(answer["code"], "oauth2-foreign-host", "{path}: {answer}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .contains("imap.gmail.com"),
            "{answer}"
        );
    }
    let _ = std::fs::remove_dir_all(&tokens);
}

/// SendGrid's Event Webhook key made here: the pair that signs, and the
/// public key as SendGrid shows it (base64 DER `SubjectPublicKeyInfo`).
fn webhook_key() -> (ring::signature::EcdsaKeyPair, String) {
    use base64::Engine as _;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    // `SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING }`.
    let mut spki = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    spki.extend_from_slice(pair.public_key().as_ref());
    (pair, base64::engine::general_purpose::STANDARD.encode(spki))
}

/// SendGrid's signature of `body` at `timestamp`: base64 DER ECDSA over
/// the timestamp followed by the body.
fn sign(pair: &ring::signature::EcdsaKeyPair, timestamp: &str, body: &str) -> String {
    use base64::Engine as _;
    let signed = [timestamp.as_bytes(), body.as_bytes()].concat();
    let signature = pair
        .sign(&ring::rand::SystemRandom::new(), &signed)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(signature.as_ref())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// POSTs `body` to the page's webhook as SendGrid would, with `signature`
/// and `timestamp`: the status and the JSON answer.
async fn post_webhook(page: &Page, body: &str, signature: &str, timestamp: &str) -> (u16, Value) {
    let response = page
        .client
        .post(format!("{}/webhooks/sendgrid", page.base))
        .header("content-type", "application/json")
        .header("X-Twilio-Email-Event-Webhook-Signature", signature)
        .header("X-Twilio-Email-Event-Webhook-Timestamp", timestamp)
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A test message sent by `page`'s visitor for `who` with no SMTP server
/// (through the default provider): its Message-ID, and the account the
/// page sent it for, as SendGrid received it.
async fn sent_through_sendgrid(
    page: &Page,
    s: &Servers,
    who: &Account,
    seen: &courriel_testkit::sendgrid::Seen,
) -> (String, String) {
    let form = json!({
        "address": who.address,
        "imap": { "host": HOST, "port": s.imap_tls_port, "security": "implicit-tls",
                  "username": who.address, "sent_folder": "auto" },
    });
    let answer = page
        .post(
            "/api/test",
            &json!({ "settings": form, "passwords": { "imap": who.password }, "lang": "en" }),
        )
        .await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["transport"], "sendgrid", "{answer}");
    let message_id = answer["message_id"].as_str().unwrap().to_string();
    let (_, body) = seen.lock().unwrap().last().cloned().unwrap();
    let args = &body["custom_args"];
    assert_eq!(args["courriel_message_id"], message_id.as_str(), "{body}");
    let account = args["courriel_account"].as_str().unwrap().to_string();
    assert!(
        !account.contains('@'),
        "the account id that travels to SendGrid is opaque: {account}"
    );
    (message_id, account)
}

/// A bounce of `message_id` (of `account`) to `recipient`, as SendGrid
/// posts it.
fn bounce(event_id: &str, message_id: &str, account: &str, recipient: &str) -> Value {
    json!({
        "email": recipient,
        "event": "bounce",
        "type": "bounce",
        "reason": format!("550 5.1.1 <{recipient}>: Recipient address rejected"),
        "timestamp": unix_now(),
        "sg_event_id": event_id,
        "sg_message_id": "sg-local-1.filter0001",
        "courriel_message_id": message_id,
        "courriel_account": account,
    })
}

fn undelivered_items(page: &str) -> usize {
    page.matches("<li data-message-id=").count()
}

#[tokio::test(flavor = "multi_thread")]
async fn sendgrid_events_reach_the_visitor_whose_message_failed_and_nobody_else() {
    let s = Servers::get();
    let (url, seen) = courriel_testkit::sendgrid::server();
    let (pair, key) = webhook_key();
    let mut config = config(s, "webhook");
    config.default_provider = Some(
        courriel::SendGridSettings::new("good")
            .dangerous_plain_http_base_url(&url)
            .into(),
    );
    config.sendgrid_webhook = Some(courriel::events::WebhookKey::parse(&key).unwrap());
    let alice = Page::start_with(config).await;
    let bob = alice.another_browser();
    let stranger = alice.another_browser();

    let (alice_message, alice_account) = sent_through_sendgrid(&alice, s, &s.special, &seen).await;
    assert!(alice.cookie.lock().unwrap().is_some(), "a session for her");
    let (bob_message, bob_account) = sent_through_sendgrid(&bob, s, &s.courier, &seen).await;
    assert_ne!(alice_account, bob_account);

    // SendGrid's events: Alice's message bounced; one for a message the
    // page never sent; Bob's message claimed for Alice's account.
    let events = json!([
        bounce("ev-1", &alice_message, &alice_account, "client@example.org"),
        bounce("ev-2", "other-app.123@example.org", &alice_account, "x@example.org"),
        bounce("ev-3", &bob_message, &alice_account, "y@example.org"),
        {
            "email": "ok@example.org", "event": "delivered", "response": "250 2.0.0 OK",
            "timestamp": unix_now(), "sg_event_id": "ev-4",
            "courriel_message_id": alice_message, "courriel_account": alice_account,
        },
    ])
    .to_string();
    let timestamp = unix_now().to_string();
    let signature = sign(&pair, &timestamp, &events);
    let (status, answer) = post_webhook(&alice, &events, &signature, &timestamp).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        json!({ "ok": true, "failures": 1, "other": 1, "duplicates": 0, "unknown": 2 }),
        "unknown events are taken (2xx: SendGrid would retry) and counted apart"
    );

    let page = alice.get("/?lang=en", None).await;
    assert!(page.contains("1 message could not be delivered:"), "{page}");
    assert!(page.contains("client@example.org"), "{page}");
    assert!(
        page.contains("550 5.1.1 &lt;client@example.org&gt;"),
        "{page}"
    );
    assert_eq!(undelivered_items(&page), 1, "{page}");
    let page = alice.get("/?lang=fr", None).await;
    assert!(
        page.contains("1 message n'a pas pu être distribué :"),
        "{page}"
    );
    for other in [&bob, &stranger] {
        let page = other.get("/?lang=en", None).await;
        assert!(!page.contains("could not be delivered"), "{page}");
        assert!(!page.contains("client@example.org"), "{page}");
        assert!(!page.contains("x@example.org") && !page.contains("y@example.org"));
    }

    // The same request posted again (SendGrid retries): counted once.
    let (status, answer) = post_webhook(&alice, &events, &signature, &timestamp).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["duplicates"], 4, "{answer}");
    assert_eq!(answer["failures"], 0, "{answer}");
    assert_eq!(undelivered_items(&alice.get("/", None).await), 1);

    // A second message of hers is dropped: two messages now.
    let (second, _) = sent_through_sendgrid(&alice, s, &s.special, &seen).await;
    let mut dropped = bounce("ev-5", &second, &alice_account, "z@example.org");
    dropped["event"] = json!("dropped");
    dropped["reason"] = json!("Bounced Address");
    let body = json!([dropped]).to_string();
    let timestamp = unix_now().to_string();
    let (status, _) =
        post_webhook(&alice, &body, &sign(&pair, &timestamp, &body), &timestamp).await;
    assert_eq!(status, 200);
    let page = alice.get("/?lang=en", None).await;
    assert!(
        page.contains("2 messages could not be delivered:"),
        "{page}"
    );
    assert!(page.contains("Bounced Address"), "{page}");
    let page = alice.get("/?lang=fr", None).await;
    assert!(
        page.contains("2 messages n'ont pas pu être distribués :"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sendgrid_requests_tampered_replayed_or_unsigned_are_refused() {
    let s = Servers::get();
    let (url, seen) = courriel_testkit::sendgrid::server();
    let (pair, key) = webhook_key();
    let mut config = config(s, "webhook-refused");
    config.default_provider = Some(
        courriel::SendGridSettings::new("good")
            .dangerous_plain_http_base_url(&url)
            .into(),
    );
    config.sendgrid_webhook = Some(courriel::events::WebhookKey::parse(&key).unwrap());
    let alice = Page::start_with(config).await;
    let (message, account) = sent_through_sendgrid(&alice, s, &s.special, &seen).await;

    let body = json!([bounce("ev-1", &message, &account, "client@example.org")]).to_string();
    // Tampered: signed, then changed on the way.
    let timestamp = unix_now().to_string();
    let signature = sign(&pair, &timestamp, &body);
    let tampered = body.replace("client@example.org", "attacker@example.org");
    let (status, answer) = post_webhook(&alice, &tampered, &signature, &timestamp).await;
    assert_eq!(
        (status, &answer["code"]),
        (401, &json!("WH003")),
        "{answer}"
    );
    // Replayed: a request signed an hour ago (beyond the 5 minutes).
    let old = (unix_now() - 3_600).to_string();
    let (status, answer) = post_webhook(&alice, &body, &sign(&pair, &old, &body), &old).await;
    assert_eq!(
        (status, &answer["code"]),
        (401, &json!("WH005")),
        "{answer}"
    );
    // Signed with another key.
    let (other, _) = webhook_key();
    let (status, _) =
        post_webhook(&alice, &body, &sign(&other, &timestamp, &body), &timestamp).await;
    assert_eq!(status, 401);
    // Nothing of them reached the page.
    let page = alice.get("/?lang=en", None).await;
    assert!(!page.contains("could not be delivered"), "{page}");
    // The genuine request is taken.
    let (status, answer) = post_webhook(&alice, &body, &signature, &timestamp).await;
    assert_eq!((status, &answer["failures"]), (200, &json!(1)), "{answer}");
    assert!(
        alice
            .get("/?lang=en", None)
            .await
            .contains("1 message could not be delivered:")
    );

    // Without a key configured there is no such endpoint.
    let plain = Page::start("webhook-off").await;
    let (status, _) = post_webhook(&plain, &body, &signature, &timestamp).await;
    assert_eq!(status, 404);
}
