//! The settings page in a real browser: headless Chromium, driven through
//! `chromedriver` (Debian's `chromium` and `chromium-driver`), against the
//! page served in-process and the project's test Postfix and Dovecot.
//!
//! One browser session goes through the scenarios in turn, as a user
//! would: autofill of a known address, the Sent folder chosen on each of
//! Dovecot's three layouts and reloaded with "…", a wrong IMAP password (in
//! English and French), the sender-mismatch diagnostic, a test message
//! whose copy is filed in the Sent folder, and no password ever in the
//! page. Then, on a page whose catalog says the test servers sign in with
//! OAuth2 only: "Sign in with …", the test authorization server's own
//! login page (oidc-provider; the user types their login and password
//! there), back to the page signed in, the folders listed and a test
//! message filed with the token, no token in the page, then signed out;
//! and, before, a sign-in the user cancels (OA012). A screenshot of each
//! state goes to
//! `target/settings-page-screenshots/NN-name.png`; with
//! `COURRIEL_UPDATE_DOCS_SCREENSHOT=1` the filled form also replaces
//! `docs/settings-page.png`, which the README shows.
//!
//! `cargo test -p courriel-settings-page --test browser` (test servers
//! started: `cargo xtask mail-servers start`).

mod browser_harness;
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use browser_harness::{Chromedriver, Page, Scratch, Snapshot, spki_sha256, target_dir};
use common::{HEADLINE_EN, HEADLINE_FR, HOST, OAUTH_PROVIDER, OAUTH_PROVIDER_NAME};
use courriel::oauth2::{FileStore, GrantKey, TokenStore as _};
use courriel_testkit::{Account, Servers};

const WRONG_PASSWORD: &str = "not-the-imap-password-7731";

#[test]
fn the_settings_page_in_a_real_browser() {
    let started = Instant::now();
    let s = Servers::get();
    let chromedriver = Chromedriver::start();
    let spool = Scratch::new("spool");
    let oauth2_spool = Scratch::new("oauth2-spool");
    let tokens = Scratch::new("tokens");
    let server_pem = s.dir.join("tls/server.pem");
    let spki = spki_sha256(
        &std::fs::read_to_string(&server_pem)
            .unwrap_or_else(|e| panic!("{}: {e}", server_pem.display())),
    );
    let shots = target_dir().join("settings-page-screenshots");
    std::fs::create_dir_all(&shots).unwrap_or_else(|e| panic!("{}: {e}", shots.display()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let (address, _server) = courriel_settings_page::serve(
            common::config(s, spool.0.clone()),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .expect("the settings page listens");
        let (oauth2_address, _oauth2_server) = courriel_settings_page::serve(
            common::oauth2_config(s, oauth2_spool.0.clone(), &tokens.0),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .expect("the settings page with OAuth2 listens");
        let page = Page {
            client: chromedriver.session(&spki).await,
            base: format!("http://{address}"),
            shots,
        };
        eprintln!("browser up after {:?}", started.elapsed());
        let mut typed = Vec::new();

        let step = Instant::now();
        let filled = known_address_and_its_folders(&page, s, &mut typed).await;
        eprintln!("autofill, alice's folders, reload: {:?}", step.elapsed());
        let step = Instant::now();
        sender_mismatch(&page, s).await;
        eprintln!("sender mismatch: {:?}", step.elapsed());
        let step = Instant::now();
        test_message_filed_in_sent(&page, s, "06-test-sent").await;
        no_password_in_the_page(&page, &typed).await;
        eprintln!("test message filed: {:?}", step.elapsed());
        let step = Instant::now();
        other_layouts(&page, s, &mut typed).await;
        eprintln!("bob's and chloe's folders: {:?}", step.elapsed());
        let step = Instant::now();
        wrong_imap_password(&page, s, "en", HEADLINE_EN, &mut typed).await;
        wrong_imap_password(&page, s, "fr", HEADLINE_FR, &mut typed).await;
        no_password_in_the_page(&page, &typed).await;
        eprintln!("wrong IMAP password, en and fr: {:?}", step.elapsed());

        let step = Instant::now();
        let oauth2_page = Page {
            client: page.client.clone(),
            base: format!("http://{oauth2_address}"),
            shots: page.shots.clone(),
        };
        oauth2_sign_in_cancelled(&oauth2_page, s).await;
        eprintln!("a sign-in cancelled: {:?}", step.elapsed());
        let step = Instant::now();
        signed_in_with_oauth2(&oauth2_page, s, &tokens.0).await;
        eprintln!(
            "signed in with OAuth2, test message filed, signed out: {:?}",
            step.elapsed()
        );

        if std::env::var_os("COURRIEL_UPDATE_DOCS_SCREENSHOT").is_some() {
            let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/settings-page.png");
            std::fs::copy(&filled, &docs).unwrap_or_else(|e| panic!("{}: {e}", docs.display()));
        }
        page.client.close().await.expect("close the browser");
    });
    eprintln!("all scenarios in {:?}", started.elapsed());
}

/// Scenarios 1 and 2 for alice: autofill from the catalog, then the folder
/// list with the SPECIAL-USE `\Sent` chosen, and "…" reloading it. Returns
/// the screenshot of the filled form.
async fn known_address_and_its_folders(
    page: &Page,
    s: &Servers,
    typed: &mut Vec<String>,
) -> std::path::PathBuf {
    let blank = page.open("/?lang=en").await;
    assert_eq!(blank.value("smtp-host"), "", "{blank:#?}");
    for id in ["smtp-password", "imap-password"] {
        assert_eq!(
            page.attribute(id, "type").await.as_deref(),
            Some("password")
        );
        assert_eq!(
            page.attribute(id, "autocomplete").await.as_deref(),
            Some("new-password")
        );
    }
    page.screenshot("01-empty").await;

    let filled = autofill(page, s, &s.special).await;
    let status = filled.text("autofill-status").to_lowercase();
    assert!(
        status.contains("catalog"),
        "#autofill-status names the catalog: {status:?}"
    );
    assert!(
        status.contains("trusted")
            && !status.contains("untrusted")
            && !status.contains("not trusted"),
        "#autofill-status says trusted: {status:?}"
    );
    assert_eq!(filled.value("smtp-security"), "starttls");
    assert_eq!(filled.value("imap-security"), "implicit-tls");
    assert_eq!(filled.value("smtp-username"), s.special.address);
    assert_eq!(filled.value("imap-username"), s.special.address);
    page.screenshot("02-autofill").await;

    page.type_into("smtp-password", &s.special.password).await;
    typed.push(s.special.password.clone());
    let listed = folders_of(page, &s.special, "Sent", typed).await;
    assert!(
        listed.folders.iter().any(|f| f.value == "INBOX"),
        "INBOX is listed too: {:?}",
        listed.folders
    );
    let shot = page.screenshot("03-folders-alice").await;

    // "…" asks the server again: the status is cleared here, so only a new
    // answer fills it again.
    let asked = listed.answers_of("/api/folders").len();
    page.client
        .execute(
            "document.getElementById('folders-status').textContent = '';",
            vec![],
        )
        .await
        .expect("clear #folders-status");
    let reload_text = page
        .client
        .find(fantoccini::Locator::Id("reload-folders"))
        .await
        .expect("#reload-folders")
        .text()
        .await
        .expect("#reload-folders' text");
    assert_eq!(reload_text.trim(), "…");
    page.click("reload-folders").await;
    let reloaded = page
        .wait_for("the folders reloaded with the reason", |p| {
            !p.text("folders-status").trim().is_empty()
                && p.chosen_folder().is_some_and(|f| f.value == "Sent")
        })
        .await;
    let answers = reloaded.answers_of("/api/folders");
    if asked > 0 || !answers.is_empty() {
        assert!(
            answers.len() > asked,
            "a new /api/folders request: {answers:?}"
        );
        let last = answers.last().unwrap();
        assert_eq!(last["ok"], true, "{last}");
        let reason = last["sent"]["reason_text"].as_str().unwrap_or_default();
        assert!(
            reloaded.text("folders-status").contains(reason),
            "#folders-status shows the reason {reason:?}: {:?}",
            reloaded.text("folders-status")
        );
    }
    page.screenshot("04-folders-reloaded").await;
    shot
}

/// Types `account`'s address and waits for the catalog's settings, mapped to
/// the test ports.
async fn autofill(page: &Page, s: &Servers, account: &Account) -> Snapshot {
    page.type_into("address", &account.address).await;
    let smtp_port = s.smtp_starttls_port.to_string();
    let imap_port = s.imap_tls_port.to_string();
    page.wait_for(&format!("autofill of {}", account.address), |p| {
        p.value("smtp-host") == HOST
            && p.value("imap-host") == HOST
            && p.value("smtp-port") == smtp_port
            && p.value("imap-port") == imap_port
            && !p.text("autofill-status").trim().is_empty()
    })
    .await
}

/// Types `account`'s IMAP password and waits for the folder list with
/// `sent` (raw name) chosen, and the reason shown.
async fn folders_of(
    page: &Page,
    account: &Account,
    sent: &str,
    typed: &mut Vec<String>,
) -> Snapshot {
    page.type_into("imap-password", &account.password).await;
    typed.push(account.password.clone());
    let listed = page
        .wait_for(
            &format!("{}'s folders with {sent} chosen", account.address),
            |p| {
                p.chosen_folder().is_some_and(|f| f.value == sent)
                    && !p.text("folders-status").trim().is_empty()
            },
        )
        .await;
    assert_eq!(listed.value("sent-folder"), sent);
    assert!(
        !listed.text("folders-status").contains(HEADLINE_EN),
        "{:?}",
        listed.text("folders-status")
    );
    listed
}

/// Scenario 4: an SMTP login that is not the sender's address shows the
/// diagnostic next to the field; the right login clears it.
async fn sender_mismatch(page: &Page, s: &Servers) {
    page.type_into("smtp-username", &s.courier.address).await;
    let flagged = page
        .wait_for("the sender-mismatch diagnostic", |p| {
            p.diagnostics
                .iter()
                .any(|d| d.visible && d.text.contains("SE001"))
        })
        .await;
    let diagnostic = flagged
        .diagnostics
        .iter()
        .find(|d| d.text.contains("SE001"))
        .unwrap();
    assert!(
        matches!(
            diagnostic.field.as_deref(),
            Some("sender" | "smtp.username")
        ),
        "next to the address or the SMTP username: {diagnostic:?}"
    );
    assert!(
        diagnostic.text.contains(&s.courier.address)
            && diagnostic.text.contains(&s.special.address),
        "names the sender and the login: {diagnostic:?}"
    );
    assert!(
        !flagged.text("sender-advice").trim().is_empty(),
        "#sender-advice: {flagged:#?}"
    );
    page.screenshot("05-sender-mismatch").await;

    page.type_into("smtp-username", &s.special.address).await;
    page.wait_for("the sender-mismatch diagnostic gone", |p| {
        !p.diagnostics.iter().any(|d| d.text.contains("SE001"))
    })
    .await;
}

/// Scenario 5: "send a test message" shows a receipt, and the copy is in
/// alice's Sent folder; the screenshot is `shot`.
async fn test_message_filed_in_sent(page: &Page, s: &Servers, shot: &str) {
    let before = page.snapshot().await.answers_of("/api/test").len();
    page.click("test-send").await;
    let done = page
        .wait_for("the test message's receipt", |p| {
            !p.text("receipt").trim().is_empty()
        })
        .await;
    let receipt = done.text("receipt").to_string();
    let answers = done.answers_of("/api/test");
    let message_id = if answers.len() > before {
        let answer = answers.last().unwrap();
        assert_eq!(answer["ok"], true, "the test message was sent: {answer}");
        answer["message_id"]
            .as_str()
            .expect("a message_id")
            .trim_matches(|c| c == '<' || c == '>')
            .to_string()
    } else {
        // The page did not go through `fetch`: read the id off the receipt.
        receipt
            .split('<')
            .nth(1)
            .and_then(|rest| rest.split('>').next())
            .unwrap_or_else(|| panic!("a Message-ID <...> in the receipt: {receipt:?}"))
            .to_string()
    };
    assert!(
        receipt.contains(&message_id),
        "the receipt shows the Message-ID {message_id}: {receipt:?}"
    );
    eprintln!("receipt of <{message_id}>: {receipt:?}");
    page.screenshot(shot).await;

    let started = Instant::now();
    loop {
        let mut imap = s.imap_as(&s.special);
        assert!(imap.command("SELECT Sent").expect("SELECT Sent").is_ok());
        let found = imap
            .command(&format!("UID SEARCH HEADER Message-ID \"<{message_id}>\""))
            .expect("UID SEARCH");
        let uids: Vec<&str> = found
            .untagged
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(str::split_whitespace)
            .collect();
        if uids.len() == 1 {
            break;
        }
        assert!(uids.len() < 2, "filed once: {uids:?}");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the copy of <{message_id}> in alice's Sent folder (receipt: {receipt:?})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Scenario 2 on the other layouts: bob's `INBOX.Sent` (no SPECIAL-USE,
/// `.` separator) and chloe's localized "Éléments envoyés".
async fn other_layouts(page: &Page, s: &Servers, typed: &mut Vec<String>) {
    page.open("/?lang=en").await;
    autofill(page, s, &s.courier).await;
    folders_of(page, &s.courier, "INBOX.Sent", typed).await;
    page.screenshot("07-folders-bob").await;
    no_password_in_the_page(page, typed).await;

    page.open("/?lang=en").await;
    autofill(page, s, &s.localized).await;
    let listed = folders_of(page, &s.localized, "&AMk-l&AOk-ments envoy&AOk-s", typed).await;
    let chosen = listed.chosen_folder().unwrap();
    assert!(
        chosen.text.contains("Éléments envoyés"),
        "shown decoded: {chosen:?}"
    );
    assert!(
        listed.folders.iter().any(|f| f.value == "Gesendet"),
        "the other candidates listed: {:?}",
        listed.folders
    );
    page.screenshot("08-folders-chloe").await;
    no_password_in_the_page(page, typed).await;
}

/// Scenario 3: a wrong IMAP password shows the headline and the failure's
/// message, in the page's language.
async fn wrong_imap_password(
    page: &Page,
    s: &Servers,
    lang: &str,
    headline: &str,
    typed: &mut Vec<String>,
) {
    page.open(&format!("/?lang={lang}")).await;
    autofill(page, s, &s.special).await;
    page.type_into("imap-password", WRONG_PASSWORD).await;
    typed.push(WRONG_PASSWORD.to_string());
    let failed = page
        .wait_for(&format!("the folder failure in {lang}"), |p| {
            p.text("folders-status").contains(headline)
        })
        .await;
    let status = failed.text("folders-status");
    eprintln!("#folders-status ({lang}): {status:?}");
    match failed.answers_of("/api/folders").last() {
        Some(answer) => {
            assert_eq!(answer["ok"], false, "{answer}");
            assert_eq!(answer["headline"], headline, "{answer}");
            let message = answer["message"].as_str().unwrap_or_default();
            assert!(
                !message.is_empty() && status.contains(message),
                "#folders-status shows the failure's message {message:?}: {status:?}"
            );
        }
        None => assert!(
            status.trim().len() > headline.len() + 10,
            "#folders-status shows more than the headline: {status:?}"
        ),
    }
    page.screenshot(if lang == "fr" {
        "10-wrong-password-fr"
    } else {
        "09-wrong-password"
    })
    .await;
    no_password_in_the_page(page, typed).await;
}

/// Scenario 6: the page's HTML (what the browser has now, typed values
/// included when a script copied them into attributes) and the API answers
/// never hold a password typed.
async fn no_password_in_the_page(page: &Page, typed: &[String]) {
    let source = page.source().await;
    let answers = serde_json::to_string(&page.snapshot().await.answers).unwrap();
    for password in typed {
        assert!(
            !source.contains(password.as_str()),
            "a password typed is in the page source"
        );
        assert!(
            !answers.contains(password.as_str()),
            "a password typed is in an API answer"
        );
    }
}

/// Scenario 7: alice's provider signs in with OAuth2 only: "Sign in with
/// Courriel Test OAuth" instead of the password fields. She opens the
/// provider's page and cancels there: back on the page, OA012 says so.
async fn oauth2_sign_in_cancelled(page: &Page, s: &Servers) {
    page.open("/?lang=en").await;
    autofill(page, s, &s.special).await;
    let button = format!("Sign in with {OAUTH_PROVIDER_NAME}");
    let offered = page
        .wait_for("the sign-in button instead of passwords", |p| {
            p.shown("oauth2-sign-in") && p.text("oauth2-sign-in") == button
        })
        .await;
    assert!(
        !offered.shown("smtp-password") && !offered.shown("imap-password"),
        "no password field for a provider that takes none: {offered:#?}"
    );
    assert!(!offered.shown("oauth2-sign-out"));
    assert!(
        offered
            .text("oauth2-note")
            .contains("never sees your password"),
        "{:?}",
        offered.text("oauth2-note")
    );
    page.screenshot("11-oauth2-sign-in").await;

    page.click("oauth2-sign-in").await;
    page.wait_for_url(&s.oauth_issuer()).await;
    page.wait_for_element("input[name=password]").await;
    page.client
        .find(fantoccini::Locator::LinkText("Cancel"))
        .await
        .expect("the provider's Cancel link")
        .click()
        .await
        .expect("click Cancel");
    page.wait_for_url(&page.base).await;
    let cancelled = page
        .wait_for("the cancelled sign-in's failure", |p| {
            p.text("oauth2-status").contains("OA012")
        })
        .await;
    let status = cancelled.text("oauth2-status");
    assert!(
        status.contains("access_denied") && status.contains(OAUTH_PROVIDER_NAME),
        "{status:?}"
    );
    assert!(
        cancelled.shown("oauth2-sign-in"),
        "to try again: {cancelled:#?}"
    );
    assert_eq!(
        cancelled.value("address"),
        s.special.address,
        "the form kept"
    );
    page.screenshot("12-oauth2-cancelled").await;
}

/// Scenario 8: she signs in this time, on the provider's own login page
/// (her login and password typed there). Back on the page: signed in
/// (whose address, until when), the code gone from the address bar, the
/// form filled in again, the folders listed with the token; a test message
/// filed in Sent; no token anywhere in the page. Signing out revokes the
/// sign-in at the provider and brings the button back.
async fn signed_in_with_oauth2(page: &Page, s: &Servers, tokens: &Path) {
    let alice = &s.special;
    page.click("oauth2-sign-in").await;
    page.wait_for_url(&s.oauth_issuer()).await;
    let password = page.wait_for_element("input[name=password]").await;
    let login = page.wait_for_element("input[name=login]").await;
    login.clear().await.expect("clear the login");
    login
        .send_keys(&alice.address)
        .await
        .expect("type the login");
    password
        .send_keys(&alice.password)
        .await
        .expect("type the password");
    page.screenshot("13-oauth2-provider-login").await;
    page.wait_for_element("button[type=submit]")
        .await
        .click()
        .await
        .expect("submit the provider's login form");

    page.wait_for_url(&page.base).await;
    let signed_in = page
        .wait_for("signed in, the folders listed with the token", |p| {
            p.text("oauth2-status").contains("Signed in")
                && p.chosen_folder().is_some_and(|f| f.value == "Sent")
                && !p.text("folders-status").trim().is_empty()
        })
        .await;
    let status = signed_in.text("oauth2-status");
    assert!(
        status.contains(&format!(
            "Signed in with {OAUTH_PROVIDER_NAME} as {}.",
            alice.address
        )),
        "{status:?}"
    );
    assert!(status.contains("Access valid until"), "{status:?}");
    assert!(signed_in.shown("oauth2-sign-out") && !signed_in.shown("oauth2-sign-in"));
    assert!(
        !signed_in.text("folders-status").contains(HEADLINE_EN),
        "{:?}",
        signed_in.text("folders-status")
    );
    // The form filled in again; the answer's code off the address bar.
    assert_eq!(signed_in.value("address"), alice.address);
    assert_eq!(signed_in.value("smtp-host"), HOST);
    assert_eq!(signed_in.value("imap-username"), alice.address);
    let url = page.client.current_url().await.expect("the address");
    assert!(
        url.query_pairs().all(|(k, _)| k != "code" && k != "state"),
        "{url}"
    );
    if let Some(last) = signed_in.answers_of("/api/folders").last() {
        assert_eq!(last["ok"], true, "{last}");
    }
    page.screenshot("14-oauth2-signed-in").await;

    test_message_filed_in_sent(page, s, "15-oauth2-test-sent").await;

    // The grant is in the store; none of its tokens is in the page.
    let store = FileStore::open(tokens).expect("the token store");
    let grant = store
        .load(&GrantKey::new(OAUTH_PROVIDER, &alice.address))
        .await
        .expect("the store reads")
        .expect("alice's grant is stored");
    let stored: serde_json::Value = serde_json::from_str(&grant.to_stored()).unwrap();
    let source = page.source().await;
    let answers = serde_json::to_string(&page.snapshot().await.answers).unwrap();
    for token in ["access_token", "refresh_token"] {
        let token = stored[token].as_str().expect("a token");
        assert!(!source.contains(token), "a token in the page");
        assert!(!answers.contains(token), "a token in an API answer");
    }
    no_password_in_the_page(page, std::slice::from_ref(&alice.password)).await;

    page.click("oauth2-sign-out").await;
    page.wait_for("signed out", |p| {
        p.shown("oauth2-sign-in")
            && p.text("oauth2-status").contains(&format!(
                "Signed out: {OAUTH_PROVIDER_NAME} forgot the sign-in too."
            ))
    })
    .await;
    assert!(
        store
            .load(&GrantKey::new(OAUTH_PROVIDER, &alice.address))
            .await
            .expect("the store reads")
            .is_none(),
        "signing out deletes the grant"
    );
}
