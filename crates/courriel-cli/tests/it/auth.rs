//! `courriel auth login|status|logout` as a user runs them, against the
//! test authorization server: the sign-in address printed, the user
//! approving in the "browser" (the testkit plays it), the answer coming
//! back to the tool's loopback address; then `status`, `check` and `send`
//! with the kept tokens, and `logout`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{copies_in_alices_sent, fresh_dir, stderr, stdout, unique_message_id};

/// alice's account file signing in with OAuth2 (`[oauth2]`, the client id
/// in `COURRIEL_TEST_CLIENT_ID`), and the directory of the test provider's
/// file.
fn account(dir: &Path) -> (PathBuf, PathBuf) {
    let s = courriel_testkit::Servers::get();
    let providers = dir.join("providers");
    std::fs::create_dir_all(&providers).unwrap();
    std::fs::write(providers.join("test-oauth.ron"), s.oauth_provider_ron()).unwrap();
    let contents = format!(
        "sender = \"{address}\"\nca_file = \"{ca}\"\n\n[oauth2]\nprovider = \"test-oauth\"\nclient_id_env = \"COURRIEL_TEST_CLIENT_ID\"\n\n[smtp]\nhost = \"{host}\"\nport = {smtp}\nsecurity = \"starttls\"\nusername = \"{address}\"\n\n[imap]\nhost = \"{host}\"\nport = {imap}\nsecurity = \"implicit-tls\"\nusername = \"{address}\"\nsent_folder = \"auto\"\n",
        address = s.special.address,
        ca = s.ca.display(),
        host = s.host,
        smtp = s.smtp_starttls_port,
        imap = s.imap_tls_port,
    );
    let path = dir.join("alice-oauth2.toml");
    std::fs::write(&path, contents).unwrap();
    (path, providers)
}

fn command(dir: &Path, providers: &Path, args: &[&str]) -> Command {
    command_with(dir, providers, dir.join("tokens").to_str().unwrap(), args)
}

/// [`command`] with the token store `tokens` (a directory or a database).
fn command_with(dir: &Path, providers: &Path, tokens: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_courriel"));
    command
        .args(args)
        .arg("--providers")
        .arg(providers)
        .arg("--tokens")
        .arg(tokens)
        .arg("--spool")
        .arg(dir.join("spool"))
        .env("COURRIEL_TEST_CLIENT_ID", "courriel-test")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG");
    command
}

/// Follows the authorization server's redirect to the tool's loopback
/// address, as a browser does.
fn browse(location: &str) -> String {
    let rest = location.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut page = String::new();
    stream.read_to_string(&mut page).unwrap();
    page
}

/// `courriel auth login --no-browser` for alice: the address it prints
/// opened, alice approving, the answer brought to its loopback address.
fn sign_in_with_the_tool(dir: &Path, providers: &Path, tokens: &str, config: &str) {
    let s = courriel_testkit::Servers::get();
    let mut login = command_with(
        dir,
        providers,
        tokens,
        &["auth", "login", "--config", config, "--no-browser"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // The address to open is printed on standard error.
    let mut err = BufReader::new(login.stderr.take().unwrap());
    let mut url = String::new();
    let mut line = String::new();
    while err.read_line(&mut line).unwrap() > 0 {
        if let Some(found) = line.trim().strip_prefix("https://") {
            url = format!("https://{found}");
            break;
        }
        line.clear();
    }
    assert!(url.contains("code_challenge="), "{url}");
    assert!(url.contains("state="), "{url}");
    let location = s
        .oauth_approve(&url, &s.special, "http://127.0.0.1:")
        .expect("the user approves");
    let page = browse(&location);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Signed in"), "{page}");
    let output = login.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}");
    assert!(
        out.contains(&format!(
            "Signed in as {} with Test OAuth.",
            s.special.address
        )),
        "{out}"
    );
}

/// `courriel send` as alice (the account file `dir/alice-oauth2.toml`),
/// run by `run`: the message sent with her tokens and its copy filed once.
fn send_and_file(dir: &Path, test: &str, run: impl Fn(&[&str]) -> std::process::Output) {
    let s = courriel_testkit::Servers::get();
    let message_id = unique_message_id(test);
    let body = dir.join("body.txt");
    std::fs::write(&body, "Bonjour,\nsigné avec OAuth2.\n").unwrap();
    let config = dir.join("alice-oauth2.toml");
    let send = run(&[
        "send",
        "--config",
        config.to_str().unwrap(),
        "--to",
        &s.courier.address,
        "--subject",
        &format!("OAuth2 <{message_id}>"),
        "--text",
        body.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        send.status.success(),
        "{}\n{}",
        stdout(&send),
        stderr(&send)
    );
    let receipt: serde_json::Value = serde_json::from_str(&stdout(&send)).unwrap();
    assert_eq!(receipt["filing"]["status"], "filed", "{receipt}");
    assert_eq!(
        copies_in_alices_sent(receipt["message_id"].as_str().unwrap()),
        1
    );
}

#[test]
fn a_user_signs_in_with_the_tool_then_sends_with_its_tokens() {
    let s = courriel_testkit::Servers::get();
    let dir = fresh_dir("auth-login");
    let (config, providers) = account(&dir);
    let config = config.to_str().unwrap();

    let tokens = dir.join("tokens");
    sign_in_with_the_tool(&dir, &providers, tokens.to_str().unwrap(), config);

    // The token file is private, and holds no password.
    let tokens: Vec<_> = std::fs::read_dir(dir.join("tokens"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        std::fs::metadata(&tokens[0]).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let status = command(&dir, &providers, &["auth", "status", "--config", config])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", stderr(&status));
    let shown = stdout(&status);
    assert!(shown.contains("is signed in with Test OAuth"), "{shown}");
    assert!(shown.contains("renewed automatically: yes"), "{shown}");

    let check = command(&dir, &providers, &["check", "--config", config])
        .output()
        .unwrap();
    let shown = stdout(&check);
    assert!(check.status.success(), "{shown}\n{}", stderr(&check));
    assert!(
        shown.contains(&format!("OAuth2: signed in as {}", s.special.address)),
        "{shown}"
    );

    send_and_file(&dir, "auth-login", |args| {
        command(&dir, &providers, args).output().unwrap()
    });

    // Signing out asks the provider to forget the sign-in (RFC 7009): the
    // refresh token revoked, the access tokens made from it with it.
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&tokens[0]).unwrap()).unwrap();
    let access = stored["access_token"].as_str().unwrap();
    assert_eq!(s.oauth_introspect(access)["active"], true);
    let logout = command(&dir, &providers, &["auth", "logout", "--config", config])
        .output()
        .unwrap();
    assert!(logout.status.success(), "{}", stderr(&logout));
    assert!(
        stdout(&logout).contains("Test OAuth was told to forget the sign-in"),
        "{}",
        stdout(&logout)
    );
    assert_eq!(s.oauth_introspect(access)["active"], false);
    assert!(!tokens[0].exists(), "the token file is deleted");
    let status = command(&dir, &providers, &["auth", "status", "--config", config])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1));
    assert!(
        stdout(&status).contains("is not signed in"),
        "{}",
        stdout(&status)
    );
    let check = command(&dir, &providers, &["check", "--config", config, "--json"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&check)).unwrap();
    assert_eq!(report["smtp"]["code"], "OA001", "{report}");
}

#[test]
fn an_account_without_a_client_id_is_told_what_to_set() {
    let dir = fresh_dir("auth-no-client");
    let (config, providers) = account(&dir);
    let output = command(
        &dir,
        &providers,
        &["auth", "status", "--config", config.to_str().unwrap()],
    )
    .env_remove("COURRIEL_TEST_CLIENT_ID")
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("OA011"), "{err}");
    assert!(err.contains("Test OAuth"), "{err}");
}

#[test]
fn a_user_signs_in_on_another_device_with_a_code() {
    let s = courriel_testkit::Servers::get();
    let dir = fresh_dir("auth-device");
    let (config, providers) = account(&dir);
    let config = config.to_str().unwrap();
    let mut login = command(
        &dir,
        &providers,
        &["auth", "login", "--config", config, "--device"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut err = BufReader::new(login.stderr.take().unwrap());
    let (mut code, mut address) = (String::new(), String::new());
    let mut said = String::new();
    while err.read_line(&mut said).unwrap() > 0 {
        if let Some(rest) = said.trim().strip_prefix("On any device, open ") {
            code = rest.rsplit(' ').next().unwrap().to_string();
        }
        if let Some((_, uri)) = said.trim().split_once("filled in: ") {
            address = uri.to_string();
            break;
        }
        said.clear();
    }
    let link = address;
    assert!(!code.is_empty() && link.ends_with(&code), "{code} {link}");
    s.oauth_approve_device(&link, &s.special)
        .expect("the user approves");
    let output = login.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("Signed in as"), "{out}");
    let status = command(
        &dir,
        &providers,
        &["auth", "status", "--config", config, "--json"],
    )
    .output()
    .unwrap();
    let shown: serde_json::Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(shown["signed_in"], true, "{shown}");
    assert_eq!(shown["user"], s.special.address.as_str());
    assert!(
        !stdout(&status).contains("access_token"),
        "no token is shown"
    );
}

/// Tokens kept in PostgreSQL (`--tokens postgres://...`), as application
/// servers on many machines share them: the sign-in, `status`, a send, and
/// a copy filed later by `spool retry` (which loads the account inside its
/// own run, on a runtime of its own) all use the database, and `logout`
/// forgets the grant there. Nothing is written in a token directory and the
/// database's password is never shown.
#[cfg(feature = "postgres")]
#[test]
fn tokens_kept_in_postgres_serve_every_verb_and_a_later_retry() {
    let s = courriel_testkit::Servers::get();
    let dir = fresh_dir("auth-postgres");
    let (config, providers) = account(&dir);
    let config = config.to_str().unwrap();
    let tokens = s.fresh_postgres_database("cli_auth_tokens");
    let password = tokens
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| password.to_string())
        .expect("the test database's URL has a password");
    let run = |args: &[&str]| {
        let output = command_with(&dir, &providers, &tokens, args)
            .output()
            .unwrap();
        for shown in [stdout(&output), stderr(&output)] {
            assert!(!shown.contains(&password), "the password shown: {shown}");
        }
        output
    };

    sign_in_with_the_tool(&dir, &providers, &tokens, config);
    assert!(!dir.join("tokens").exists(), "no token directory is made");
    let rows = s.psql(
        &tokens,
        "SELECT provider, user_name FROM courriel_oauth2_grants",
    );
    assert_eq!(rows.trim(), format!("test-oauth|{}", s.special.address));

    let status = run(&["auth", "status", "--config", config]);
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(
        stdout(&status).contains("is signed in with Test OAuth"),
        "{}",
        stdout(&status)
    );

    send_and_file(&dir, "auth-postgres", run);

    // A copy that could not be filed when it was sent, filed by a later
    // retry signing in with the tokens in the database (the commands'
    // spool is `dir/spool`).
    let waiting = unique_message_id("auth-postgres-retry");
    let spool = dir.join("spool");
    crate::spool::spool_copy(spool.to_str().unwrap(), Path::new(config), &waiting);
    let retry = run(&["spool", "retry", "--json"]);
    assert!(
        retry.status.success(),
        "{}\n{}",
        stdout(&retry),
        stderr(&retry)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&retry)).unwrap();
    assert_eq!(report["filed"], 1, "{report}");
    assert_eq!(copies_in_alices_sent(&waiting), 1);

    let logout = run(&["auth", "logout", "--config", config]);
    assert!(logout.status.success(), "{}", stderr(&logout));
    let rows = s.psql(&tokens, "SELECT count(*) FROM courriel_oauth2_grants");
    assert_eq!(rows.trim(), "0");
    let status = run(&["auth", "status", "--config", config]);
    assert_eq!(status.status.code(), Some(1));
}

/// A token database that cannot be reached is named in the error, without
/// its password, and the tool says it is a token store problem (OA009);
/// built without PostgreSQL, the tool says which feature it lacks.
#[test]
fn an_unreachable_token_database_is_named_without_its_password() {
    let dir = fresh_dir("auth-postgres-down");
    let (config, providers) = account(&dir);
    let output = command_with(
        &dir,
        &providers,
        "postgres://courriel:hunter2-secret@127.0.0.1:1/none",
        &["auth", "status", "--config", config.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(!err.contains("hunter2"), "{err}");
    if cfg!(feature = "postgres") {
        assert!(err.contains("OA009"), "{err}");
        assert!(
            err.contains("postgres://courriel@127.0.0.1:1/none"),
            "{err}"
        );
    } else {
        assert!(err.contains("feature `postgres`"), "{err}");
    }
}

/// Signing out when the provider cannot be reached: the tokens are still
/// deleted here, and the tool says the sign-in stays valid at the provider
/// (OA005 on standard error), rather than claiming it was revoked.
#[test]
fn signing_out_while_the_provider_is_unreachable_says_the_sign_in_lives_on() {
    let dir = fresh_dir("auth-logout-unreachable");
    let (config, providers) = account(&dir);
    let config = config.to_str().unwrap();
    let tokens = dir.join("tokens");
    sign_in_with_the_tool(&dir, &providers, tokens.to_str().unwrap(), config);
    let file = providers.join("test-oauth.ron");
    let ron = std::fs::read_to_string(&file).unwrap();
    let start = ron
        .find("revocation_url: \"")
        .expect("the test provider revokes");
    let end = start + ron[start..].find(",\n").unwrap();
    let moved = format!(
        "{}revocation_url: \"https://127.0.0.1:1/token/revocation\"{}",
        &ron[..start],
        &ron[end..]
    );
    std::fs::write(&file, moved).unwrap();

    let logout = command(&dir, &providers, &["auth", "logout", "--config", config])
        .output()
        .unwrap();
    assert!(logout.status.success(), "{}", stderr(&logout));
    assert!(stderr(&logout).contains("OA005"), "{}", stderr(&logout));
    assert!(
        stdout(&logout).contains("could not be told to forget the sign-in"),
        "{}",
        stdout(&logout)
    );
    let left = std::fs::read_dir(&tokens)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert_eq!(left, 0, "the tokens are deleted here all the same");
}
