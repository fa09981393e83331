//! `courriel check`: exit codes, languages, JSON, account file errors.

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
    command.envs(env.iter().copied()).output().unwrap()
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

#[test]
fn online_checks_say_they_are_not_there_yet() {
    let path = file("online.toml", GOOD);
    let out = run(&["check", "--config", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--offline"), "{}", stderr(&out));
}
