//! The settings page's API against the real Postfix and Dovecot, served
//! in-process: lookup from the catalog (and discovery), the rules'
//! diagnostics, the folder list on each Dovecot layout, a wrong password in
//! English and French, a test message filed in the Sent folder. No answer
//! ever holds a password. Where the page may connect: loopback refused
//! (NT001) unless allowed, a server that cannot be reached told as one code
//! (NT002), checks and test messages limited per visitor (HTTP 429).
//!
//! `cargo test -p courriel-settings-page --test api` (test servers started:
//! `cargo xtask mail-servers start`).

use std::time::{Duration, Instant};

mod common;

use common::{HEADLINE_EN, HEADLINE_FR, HOST};
use courriel::Destinations;
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
/// passwords.
struct Page {
    base: String,
    client: reqwest::Client,
    secrets: Vec<String>,
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
            client: reqwest::Client::new(),
            secrets: [&s.special, &s.courier, &s.localized]
                .iter()
                .map(|a| a.password.clone())
                .chain([WRONG_PASSWORD.to_string()])
                .collect(),
        }
    }

    fn no_password_in(&self, what: &str, text: &str) {
        for secret in &self.secrets {
            assert!(!text.contains(secret.as_str()), "a password in {what}");
        }
    }

    async fn get(&self, path: &str, accept_language: Option<&str>) -> String {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(lang) = accept_language {
            request = request.header("accept-language", lang);
        }
        let response = request.send().await.expect("GET");
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        let text = response.text().await.expect("the page");
        self.no_password_in(path, &text);
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
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST");
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let text = response.text().await.expect("an answer");
        self.no_password_in(path, &text);
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

    let started = Instant::now();
    loop {
        let mut imap = s.imap_as(&s.special);
        assert!(imap.command("SELECT Sent").unwrap().is_ok());
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
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the copy of <{message_id}> in Sent"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

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
