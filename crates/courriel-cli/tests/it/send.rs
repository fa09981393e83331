//! `courriel send` through the test Postfix, with the copy filed in the
//! test Dovecot's Sent folder.

use std::process::{Command, Output};

use courriel_testkit::Servers;
use serde_json::Value;

use crate::{stderr, stdout};

/// A directory (its own per test) with an account file and a body.
fn account(test: &str) -> std::path::PathBuf {
    let s = Servers::get();
    let dir = std::env::temp_dir().join(format!("courriel-send-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let contents = format!(
        "sender = \"{}\"\nca_file = \"{}\"\n[smtp]\nhost = \"{}\"\nport = {}\nsecurity = \"starttls\"\nusername = \"{}\"\npassword_env = \"COURRIEL_TEST_SMTP_PASSWORD\"\n",
        s.special.address,
        s.ca.display(),
        s.host,
        s.smtp_starttls_port,
        s.special.address
    );
    std::fs::write(dir.join("account.toml"), contents).unwrap();
    std::fs::write(dir.join("body.txt"), "Bonjour\n").unwrap();
    dir
}

/// Runs `courriel` with the SMTP password, a clean locale and no default
/// provider; the spool is `--spool` in `args`, else the test's directory.
fn run(args: &[&str], password: &str) -> Output {
    let config = args
        .iter()
        .position(|a| *a == "--config")
        .map(|i| std::path::Path::new(args[i + 1]));
    let spool = config.map(|c| c.with_file_name("spool")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_courriel"))
        .args(args)
        .arg("--spool")
        .arg(spool)
        .env("COURRIEL_TEST_SMTP_PASSWORD", password)
        .env_remove("COURRIEL_SENDGRID_API_KEY")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .output()
        .unwrap()
}

#[test]
fn sends_and_prints_a_receipt_naming_refused_recipients() {
    let s = Servers::get();
    let dir = account("receipt");
    let config = dir.join("account.toml");
    let body = dir.join("body.txt");
    let (config, body) = (config.to_str().unwrap(), body.to_str().unwrap());
    let ok = run(
        &[
            "send",
            "--config",
            config,
            "--to",
            &s.courier.address,
            "--subject",
            "Bonjour",
            "--text",
            body,
            "--json",
        ],
        &s.special.password,
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let v: Value = serde_json::from_str(&stdout(&ok)).unwrap();
    assert_eq!(v["sent"], true);
    assert_eq!(v["transport"], "smtp");
    assert!(v["reply"].as_str().unwrap().starts_with("250"));
    // No [imap] in this account: no copy, and the receipt says why.
    assert_eq!(v["filing"]["status"], "not-filed");
    assert_eq!(v["filing"]["reason"], "no-imap");

    let partial = run(
        &[
            "send",
            "--config",
            config,
            "--to",
            &s.courier.address,
            "--to",
            "nosuchuser@courriel.test",
            "--subject",
            "x",
            "--text",
            body,
            "--json",
        ],
        &s.special.password,
    );
    assert_eq!(
        partial.status.code(),
        Some(1),
        "a partial send is not a success"
    );
    let v: Value = serde_json::from_str(&stdout(&partial)).unwrap();
    assert_eq!(v["refused"][0]["address"], "nosuchuser@courriel.test");

    let refused = run(
        &[
            "send",
            "--config",
            config,
            "--to",
            &s.courier.address,
            "--subject",
            "x",
            "--text",
            body,
        ],
        "wrong",
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).starts_with("[SM009]"),
        "{}",
        stderr(&refused)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    let dir = account("usage");
    let body = dir.join("body.txt");
    let config = dir.join("account.toml");
    let out = run(
        &[
            "send",
            "--config",
            config.to_str().unwrap(),
            "--to",
            "not-an-address",
            "--subject",
            "x",
            "--text",
            body.to_str().unwrap(),
        ],
        "x",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--to `not-an-address`"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_smtp_the_default_provider_sends() {
    let (url, seen) = courriel_testkit::sendgrid::server();
    let dir = account("sendgrid");
    let no_smtp = dir.join("no-smtp.toml");
    std::fs::write(&no_smtp, "sender = \"contact@boulangerie-martin.fr\"\n").unwrap();
    let body = dir.join("body.txt");
    let args = [
        "send",
        "--config",
        no_smtp.to_str().unwrap(),
        "--to",
        "client@example.org",
        "--subject",
        "Facture",
        "--text",
        body.to_str().unwrap(),
        "--json",
    ];
    let spool = dir.join("spool");
    let out = Command::new(env!("CARGO_BIN_EXE_courriel"))
        .args(args)
        .arg("--spool")
        .arg(&spool)
        .env("COURRIEL_SENDGRID_API_KEY", "good")
        .env("COURRIEL_SENDGRID_DANGEROUS_PLAIN_HTTP_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["transport"], "sendgrid");
    let (_, request) = seen.lock().unwrap().pop().unwrap();
    assert_eq!(
        request["headers"]["Message-ID"],
        format!("<{}>", v["message_id"].as_str().unwrap())
    );
    // The tool's account ids are file paths: they stay here.
    assert_eq!(
        request["custom_args"]["courriel_message_id"],
        v["message_id"]
    );
    assert!(
        request["custom_args"].get("courriel_account").is_none(),
        "{request}"
    );

    // No key: the default provider is not configured (SG001), said in French on request.
    let out = Command::new(env!("CARGO_BIN_EXE_courriel"))
        .args(args)
        .args(["--lang", "fr", "--spool"])
        .arg(&spool)
        .env_remove("COURRIEL_SENDGRID_API_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("[SG001] Le fournisseur par défaut n'est pas configuré"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn on_the_users_behalf_and_with_a_bad_dsn() {
    let (url, seen) = courriel_testkit::sendgrid::server();
    let dir = account("on-behalf");
    let body = dir.join("body.txt");
    let spool = dir.join("spool");
    let args = [
        "send",
        "--config",
        "unused",
        "--to",
        "client@example.org",
        "--subject",
        "Facture",
        "--text",
        body.to_str().unwrap(),
        "--json",
    ];
    // On the user's behalf: rejette.test publishes p=reject (the test DNS).
    let s = courriel_testkit::Servers::get();
    let rejette = dir.join("rejette.toml");
    std::fs::write(&rejette, "sender = \"isabelle@rejette.test\"\n").unwrap();
    let on_behalf = |json: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_courriel"));
        command
            .args(["send", "--config"])
            .arg(&rejette)
            .args(&args[3..args.len() - 1])
            .args(if json { &["--json"][..] } else { &[][..] })
            .arg("--spool")
            .arg(&spool)
            .env("COURRIEL_SENDGRID_API_KEY", "good")
            .env("COURRIEL_SENDGRID_DANGEROUS_PLAIN_HTTP_URL", &url)
            .env("COURRIEL_APP_ADDRESS", "noreply@facturo.test")
            .env("COURRIEL_APP_NAME", "Facturo")
            .env(
                "COURRIEL_DMARC_NAME_SERVER",
                format!("{}:{}", s.host, s.dns_port),
            )
            .output()
            .unwrap()
    };
    let out = on_behalf(true);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["sent_as"]["as"], "on-behalf", "{v}");
    assert_eq!(v["sent_as"]["reason"], "dmarc-reject");
    assert_eq!(v["sent_as"]["from"], "noreply@facturo.test");
    let (_, request) = seen.lock().unwrap().pop().unwrap();
    assert_eq!(request["from"]["email"], "noreply@facturo.test");
    assert_eq!(request["from"]["name"], "isabelle via Facturo");
    assert_eq!(request["reply_to"]["email"], "isabelle@rejette.test");
    let out = on_behalf(false);
    assert!(
        stdout(&out).contains("from \"… via Facturo\" <noreply@facturo.test>"),
        "{}",
        stdout(&out)
    );

    // A bad DSN names its part and never echoes the key.
    let out = Command::new(env!("CARGO_BIN_EXE_courriel"))
        .args(["send", "--config"])
        .arg(&rejette)
        .args(&args[3..])
        .arg("--spool")
        .arg(&spool)
        .env(
            "COURRIEL_DEFAULT_DSN",
            "sendgrid+api://SG.sekret-key@default?region=mars",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("courriel: COURRIEL_DEFAULT_DSN: "),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("region"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("sekret"), "{}", stderr(&out));

    std::fs::remove_dir_all(&dir).unwrap();
}

/// The arguments of a send from alice's account.
fn alice_send<'a>(
    config: &'a str,
    spool: &'a str,
    body: &'a str,
    rest: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "send",
        "--config",
        config,
        "--spool",
        spool,
        "--subject",
        "Facture",
        "--text",
        body,
    ];
    args.extend_from_slice(rest);
    args
}

#[test]
fn the_receipt_says_the_copy_was_filed_in_sent() {
    let s = Servers::get();
    let dir = crate::fresh_dir("send-filed");
    let config = crate::alice_account(&dir, None);
    let body = dir.join("body.txt");
    std::fs::write(&body, "Bonjour\n").unwrap();
    let spool = dir.join("spool");
    let (config, body, spool) = (
        config.to_str().unwrap(),
        body.to_str().unwrap(),
        spool.to_str().unwrap(),
    );

    let out = crate::run_as_alice(
        &alice_send(config, spool, body, &["--to", &s.courier.address, "--json"]),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["sent"], true);
    assert_eq!(v["filing"]["status"], "filed", "{v}");
    assert_eq!(v["filing"]["folder"], "Sent");
    let message_id = v["message_id"].as_str().unwrap();
    assert_eq!(crate::copies_in_alices_sent(message_id), 1);

    let out = crate::run_as_alice(
        &alice_send(config, spool, body, &["--to", &s.courier.address]),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("copy filed in Sent"), "{text}");
    let message_id = text
        .split_once("Message-ID <")
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(id, _)| id)
        .expect("the receipt names the Message-ID");
    assert_eq!(crate::copies_in_alices_sent(message_id), 1);
    // Filed at once: nothing left in the spool.
    let status = crate::run_as_alice(&["spool", "status", "--json", "--spool", spool], &[]);
    let v: Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(v["entries"], Value::Array(vec![]));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn to_list_sends_one_message_to_each_address() {
    let s = Servers::get();
    let dir = crate::fresh_dir("send-list");
    let config = crate::alice_account(&dir, None);
    let body = dir.join("body.txt");
    std::fs::write(&body, "Bonjour\n").unwrap();
    let list = dir.join("clients.txt");
    std::fs::write(
        &list,
        format!(
            "# clients\n{}\n\n   \n{}\n# the end\n",
            s.courier.address, s.localized.address
        ),
    )
    .unwrap();
    let spool = dir.join("spool");
    let (config, body, list, spool) = (
        config.to_str().unwrap(),
        body.to_str().unwrap(),
        list.to_str().unwrap(),
        spool.to_str().unwrap(),
    );

    let out = crate::run_as_alice(
        &alice_send(config, spool, body, &["--to-list", list, "--json"]),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains('\r'),
        "no progress bar off a terminal"
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let sent = v.as_array().unwrap();
    let to: Vec<&str> = sent.iter().map(|r| r["to"].as_str().unwrap()).collect();
    assert_eq!(to, [&s.courier.address, &s.localized.address]);
    let mut ids = Vec::new();
    for receipt in sent {
        assert_eq!(receipt["sent"], true, "{receipt}");
        assert_eq!(
            receipt["accepted"].as_array().unwrap().len(),
            1,
            "{receipt}"
        );
        assert_eq!(receipt["accepted"][0], receipt["to"]);
        assert_eq!(receipt["filing"]["status"], "filed", "{receipt}");
        let id = receipt["message_id"].as_str().unwrap();
        assert_eq!(crate::copies_in_alices_sent(id), 1);
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1], "one message each");

    // Text: one line per recipient; a refused one makes it exit 1, the others still go.
    std::fs::write(
        dir.join("clients.txt"),
        format!("{}\nnosuchuser@courriel.test\n", s.courier.address),
    )
    .unwrap();
    let out = crate::run_as_alice(&alice_send(config, spool, body, &["--to-list", list]), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(&format!("sent      {}  <", s.courier.address)),
        "{text}"
    );
    assert!(lines[0].ends_with("copy filed in Sent"), "{text}");
    assert!(
        lines[1].starts_with("FAILED    nosuchuser@courriel.test  [SM"),
        "{text}"
    );
    assert_eq!(lines[2], "1 of 2 messages sent");

    // An invalid address is a usage error naming its line, before anything is sent.
    std::fs::write(
        dir.join("clients.txt"),
        format!("{}\nnot-an-address\n", s.courier.address),
    )
    .unwrap();
    let out = crate::run_as_alice(&alice_send(config, spool, body, &["--to-list", list]), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains(&format!("{list}:2: `not-an-address`")),
        "{}",
        stderr(&out)
    );
    // --to and --to-list do not go together.
    let out = crate::run_as_alice(
        &alice_send(
            config,
            spool,
            body,
            &["--to-list", list, "--to", &s.courier.address],
        ),
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
