//! `courriel check`: exit codes, languages, JSON, account file errors; and
//! online, both servers of an account at once (the test Postfix and Dovecot).

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

use crate::{stderr, stdout};

const ACCOUNT: &str = r#"sender = "facturation@yahoo.fr"

[smtp]
host = "smtp.mail.yahoo.com"
port = 465
security = "starttls"
username = "isabelle.martin@yahoo.fr"
password_env = "COURRIEL_TEST_YAHOO_PASSWORD"
"#;

const GOOD: &str = r#"sender = "jean.dupont@free.fr"

[smtp]
host = "smtp.free.fr"
port = 465
security = "implicit-tls"
username = "jean.dupont"
password_env = "COURRIEL_TEST_FREE_PASSWORD"

[imap]
host = "imap.free.fr"
port = 993
security = "implicit-tls"
username = "jean.dupont"
password_env = "COURRIEL_TEST_FREE_PASSWORD"
sent_folder = "auto"
"#;

fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("courriel-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `courriel` with a clean locale and the given extra environment.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_courriel"));
    command.args(args);
    for var in [
        "LC_ALL",
        "LC_MESSAGES",
        "LANG",
        "COURRIEL_TEST_YAHOO_PASSWORD",
        "COURRIEL_TEST_FREE_PASSWORD",
    ] {
        command.env_remove(var);
    }
    // The mailer behind the online check opens a spool: never the user's.
    let spool = std::env::temp_dir().join(format!("courriel-check-spool-{}", std::process::id()));
    command
        .env("COURRIEL_SPOOL", spool)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn errors_exit_1_and_are_shown_in_the_users_language() {
    let path = file("yahoo.toml", ACCOUNT);
    let p = path.to_str().unwrap();
    let out = run(
        &["check", "--offline", "--config", p],
        &[("COURRIEL_TEST_YAHOO_PASSWORD", "x")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_snapshot!("check_en", text);
    });

    let fr = run(
        &["check", "--offline", "--config", p],
        &[
            ("LANG", "fr_FR.UTF-8"),
            ("COURRIEL_TEST_YAHOO_PASSWORD", "x"),
        ],
    );
    let fr_text = stdout(&fr);
    assert!(fr_text.contains("erreur[SE001] sender :"), "{fr_text}");
    // LC_ALL wins over LANG; --lang wins over both.
    let en = run(
        &["check", "--offline", "--config", p],
        &[("LANG", "fr_FR.UTF-8"), ("LC_ALL", "en_US.UTF-8")],
    );
    assert!(stdout(&en).contains("error[SE001]"));
    let forced = run(
        &["check", "--offline", "--lang", "fr", "--config", p],
        &[("LC_ALL", "en_US.UTF-8")],
    );
    assert!(stdout(&forced).contains("erreur[SE001]"));
}

#[test]
fn no_error_exits_0() {
    let path = file("free.toml", GOOD);
    let out = run(
        &["check", "--offline", "--config", path.to_str().unwrap()],
        &[("COURRIEL_TEST_FREE_PASSWORD", "x")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out).trim(), "no error, no warning, no hint");

    // Without the password in the environment, LG004 is an error.
    let out = run(
        &["check", "--offline", "--config", path.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("error[LG004] smtp.password_env"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn json_has_code_severity_field_and_message() {
    let path = file("yahoo-json.toml", ACCOUNT);
    let out = run(
        &[
            "check",
            "--offline",
            "--json",
            "--lang",
            "fr",
            "--config",
            path.to_str().unwrap(),
        ],
        &[("COURRIEL_TEST_YAHOO_PASSWORD", "x")],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["lang"], "fr");
    let first = &v["diagnostics"][0];
    assert_eq!(first["code"], "SE001");
    assert_eq!(first["rule"], "sender-differs-from-login");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["field"], "sender");
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .starts_with("L'expéditeur facturation@yahoo.fr")
    );
    assert!(
        first["help"]
            .as_str()
            .unwrap()
            .starts_with("Envoyez en tant que")
    );
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["SE001", "PR002", "TL001", "LG002"]);
    assert_eq!(v["errors"], 2);
}

#[test]
fn a_custom_domain_with_its_mx() {
    let text = "sender = \"contact@boulangerie-martin.fr\"\n[smtp]\nhost = \"smtp.gmail.com\"\nport = 465\nsecurity = \"implicit-tls\"\nusername = \"jean@gmail.com\"\npassword_env = \"COURRIEL_TEST_FREE_PASSWORD\"\n";
    let path = file("custom.toml", text);
    let out = run(
        &[
            "check",
            "--offline",
            "--json",
            "--mx",
            "mx1.mail.ovh.net",
            "--config",
            path.to_str().unwrap(),
        ],
        &[("COURRIEL_TEST_FREE_PASSWORD", "x")],
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let se003 = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "SE003")
        .expect("SE003");
    assert!(
        se003["message"]
            .as_str()
            .unwrap()
            .contains("hosted by OVHcloud"),
        "{se003}"
    );
}

#[test]
fn a_malformed_account_file_is_a_usage_error_with_its_position() {
    let path = file(
        "bad.toml",
        "sender = \"x@yahoo.fr\"\n[smtp]\npassword = \"hunter2\"\n",
    );
    let out = run(
        &["check", "--offline", "--config", path.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:3:1: unknown field `password`", path.display())),
        "{err}"
    );
    assert!(
        !err.contains("hunter2") || err.contains("unknown field"),
        "{err}"
    );

    let missing = run(
        &[
            "check",
            "--offline",
            "--config",
            "/nonexistent/account.toml",
        ],
        &[],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read the account file"));
}

fn account_for_dovecot(user: &courriel_testkit::Account, sent_folder: &str) -> String {
    let s = courriel_testkit::Servers::get();
    format!(
        "sender = \"{}\"\nca_file = \"{}\"\n[imap]\nhost = \"{}\"\nport = {}\nsecurity = \"implicit-tls\"\nusername = \"{}\"\npassword_env = \"COURRIEL_TEST_IMAP_PASSWORD\"\nsent_folder = \"{sent_folder}\"\n",
        user.address,
        s.ca.display(),
        s.host,
        s.imap_tls_port,
        user.address
    )
}

#[test]
fn online_check_connects_and_names_the_sent_folder() {
    let s = courriel_testkit::Servers::get();
    let path = file("online.toml", &account_for_dovecot(&s.courier, "auto"));
    let p = path.to_str().unwrap();
    let ok = run(
        &["check", "--json", "--config", p],
        &[("COURRIEL_TEST_IMAP_PASSWORD", &s.courier.password)],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let v: Value = serde_json::from_str(&stdout(&ok)).unwrap();
    assert_eq!(v["imap"]["status"], "ok");
    assert_eq!(v["imap"]["sent"]["raw"], "INBOX.Sent");
    assert_eq!(v["imap"]["sent"]["reason"], "localized-name");

    let refused = run(
        &["check", "--config", p, "--lang", "fr"],
        &[("COURRIEL_TEST_IMAP_PASSWORD", "wrong")],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stdout(&refused).contains("IMAP : [IM009] Le serveur IMAP a refusé la connexion"),
        "{}",
        stdout(&refused)
    );

    let missing = file(
        "online-missing.toml",
        &account_for_dovecot(&s.courier, "INBOX.Envoyes"),
    );
    let out = run(
        &["check", "--json", "--config", missing.to_str().unwrap()],
        &[("COURRIEL_TEST_IMAP_PASSWORD", &s.courier.password)],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ar002 = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "AR002")
        .expect("AR002");
    assert_eq!(ar002["severity"], "error");
}

#[test]
fn folders_lists_and_chooses_with_its_reason() {
    let s = courriel_testkit::Servers::get();
    let path = file("folders.toml", &account_for_dovecot(&s.localized, "auto"));
    let cache = std::env::temp_dir().join(format!("courriel-folders-cache-{}", std::process::id()));
    let out = run(
        &["folders", "--json", "--config", path.to_str().unwrap()],
        &[
            ("COURRIEL_TEST_IMAP_PASSWORD", &s.localized.password),
            ("XDG_CACHE_HOME", cache.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", crate::stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["sent"]["name"], "Éléments envoyés");
    assert_eq!(v["sent"]["raw"], "&AMk-l&AOk-ments envoy&AOk-s");
    assert_eq!(v["sent"]["reason"], "localized-name");
    let names: Vec<&str> = v["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Projets/Envoyés au client"), "{names:?}");
    // The cache is keyed by the connection settings, password digest
    // included: with another password the server is asked again (and refuses).
    let changed = run(
        &["folders", "--config", path.to_str().unwrap()],
        &[
            ("COURRIEL_TEST_IMAP_PASSWORD", "wrong"),
            ("XDG_CACHE_HOME", cache.to_str().unwrap()),
        ],
    );
    assert_eq!(changed.status.code(), Some(1));
    assert!(crate::stderr(&changed).contains("[IM009]"));
    let files = std::fs::read_dir(cache.join("courriel/folders"))
        .unwrap()
        .count();
    assert_eq!(files, 1, "one listing cached, keyed by the fingerprint");
    std::fs::remove_dir_all(&cache).unwrap();
}

#[test]
fn online_check_reports_smtp_and_imap_both() {
    let dir = crate::fresh_dir("check-both");
    let config = crate::alice_account(&dir, None);
    let spool = dir.join("spool");
    let (config, spool) = (config.to_str().unwrap(), spool.to_str().unwrap());
    let out = crate::run_as_alice(&["check", "--config", config, "--spool", spool], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    let s = courriel_testkit::Servers::get();
    assert!(
        text.contains(&format!(
            "SMTP: connected and logged in ({}:{})",
            s.host, s.smtp_starttls_port
        )),
        "{text}"
    );
    assert!(
        text.contains("IMAP: connected and logged in; Sent folder: Sent (attribute)"),
        "{text}"
    );
    assert!(!text.contains("not checked online"), "{text}");

    let out = crate::run_as_alice(
        &["check", "--json", "--config", config, "--spool", spool],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["smtp"]["status"], "ok");
    assert_eq!(v["imap"]["status"], "ok");
    assert_eq!(v["imap"]["sent"]["raw"], "Sent");
    assert_eq!(v["imap"]["sent"]["reason"], "attribute");
    assert!(
        v["imap"]["folders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "Drafts"),
        "{v}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn online_check_reports_a_dead_smtp_server_and_still_all_of_imap() {
    let dir = crate::fresh_dir("check-dead-smtp");
    // Nothing listens on port 1.
    let config = crate::alice_account(&dir, Some(1));
    let spool = dir.join("spool");
    let (config, spool) = (config.to_str().unwrap(), spool.to_str().unwrap());
    let out = crate::run_as_alice(
        &["check", "--json", "--config", config, "--spool", spool],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["smtp"]["status"], "failed");
    assert_eq!(v["smtp"]["code"], "SM003");
    assert_eq!(v["imap"]["status"], "ok");
    assert_eq!(v["imap"]["sent"]["raw"], "Sent");

    let out = crate::run_as_alice(
        &[
            "check", "--lang", "fr", "--config", config, "--spool", spool,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.starts_with("SMTP : [SM003] "), "{text}");
    assert!(
        text.contains(
            "IMAP : connexion et identification réussies ; dossier des envoyés : Sent (attribute)"
        ),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
