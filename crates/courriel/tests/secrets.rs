//! No secret in any log: every `tracing` event and every `log` record of
//! this process (courriel's own, and rustls', reqwest's, hickory's...) is
//! captured at trace level while a full send-and-file runs, a login is
//! refused, the default provider sends, and an OAuth2 sign-in runs (code
//! exchange, renewal, a refused token); none holds a password, an API
//! key, a client secret, an authorization code, a token, or the base64 of
//! one (AUTH PLAIN, XOAUTH2). A test binary of its own: the
//! subscriber and the logger are the process's.

mod common;

use std::io::Write;
use std::sync::Mutex;

use common::{account, account_at, email, spool_dir};
use courriel::oauth2::{StoredTokens, TokenStore};
use courriel::{Account, Filing, Mailer};
use courriel_testkit::{Servers, runtime};
use courriel_transport::SendGridSettings;
use secrecy::{ExposeSecret as _, SecretString};

/// Everything logged, as text.
static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

#[derive(Clone)]
struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `log` records (rustls, and any crate logging through `log`).
struct LogCapture;

impl log::Log for LogCapture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let _ = writeln!(
            Capture,
            "{} {}: {}",
            record.level(),
            record.target(),
            record.args()
        );
    }
    fn flush(&self) {}
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn no_secret_reaches_the_logs() {
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(|| Capture)
            .with_ansi(false)
            .finish(),
    )
    .unwrap();
    log::set_boxed_logger(Box::new(LogCapture)).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let s = Servers::get();
    let api_key = "SG.secret-api-key-0123456789";
    let (sendgrid_url, _) = courriel_testkit::sendgrid::server();
    let mailer = Mailer::builder(spool_dir("secrets"))
        .default_provider(
            SendGridSettings::new(api_key).dangerous_plain_http_base_url(&sendgrid_url),
        )
        .build()
        .unwrap();
    let rt = runtime();

    // A full send-and-file.
    let receipt = rt
        .block_on(mailer.send(
            &mailer.resolve(&account(&s.special)),
            email(&s.special, &s.courier, "secrets"),
        ))
        .unwrap();
    assert!(matches!(receipt.filing, Filing::Filed { .. }));
    // A refused login, on both servers.
    let wrong = "wrong-secret-password-42";
    let refused = Account::new("secrets-wrong", account(&s.special).settings().clone())
        .with_smtp_password(wrong)
        .with_imap_password(wrong);
    assert!(
        rt.block_on(mailer.send(
            &mailer.resolve(&refused),
            email(&s.special, &s.courier, "refused")
        ))
        .is_err()
    );
    let _ = rt.block_on(mailer.check(&refused));
    // The default provider.
    let no_smtp = account_at("secrets-sendgrid", &s.special, None, None);
    let sent = rt
        .block_on(mailer.send(
            &mailer.resolve(&no_smtp),
            email(&s.special, &s.courier, "via the default provider"),
        ))
        .unwrap();
    assert_eq!(sent.transport.as_str(), "sendgrid");

    let oauth_secrets = oauth2_run(&mailer, &rt);

    // A spool in PostgreSQL: its password never logged either.
    #[cfg(feature = "postgres")]
    let database_password = {
        let url = s.fresh_postgres_database("secrets");
        let spool = rt.block_on(courriel_archive::Spool::open(&url)).unwrap();
        let pg_mailer = Mailer::with_spool(spool).build().unwrap();
        let filed = rt
            .block_on(pg_mailer.send(
                &pg_mailer.resolve(&account(&s.special)),
                email(&s.special, &s.courier, "secrets, spooled in PostgreSQL"),
            ))
            .unwrap();
        assert!(matches!(filed.filing, Filing::Filed { .. }));
        rt.block_on(pg_mailer.close());
        assert!(
            !format!("{pg_mailer:?}").contains(&s.postgres_password),
            "the mailer's Debug shows no database password"
        );
        s.postgres_password.clone()
    };
    #[cfg(not(feature = "postgres"))]
    let database_password = String::from("no database in this build");

    let logged = String::from_utf8_lossy(&CAPTURED.lock().unwrap()).to_string();
    // The capture works: the run's own events are there.
    assert!(logged.contains("SMTP: logged in"), "{logged}");
    assert!(logged.contains(&receipt.message_id), "{logged}");
    assert!(logged.contains("IMAP: filing"), "{logged}");
    assert!(logged.contains("SendGrid: sending"), "{logged}");
    assert!(
        logged.contains("[REDACTED]"),
        "settings are logged, redacted"
    );
    assert!(logged.contains("OAuth2: tokens renewed"), "{logged}");
    assert!(logged.contains("signed in with OAuth2"), "{logged}");
    let mut secrets: Vec<&str> = vec![
        s.special.password.as_str(),
        wrong,
        api_key,
        database_password.as_str(),
    ];
    secrets.extend(oauth_secrets.iter().map(String::as_str));
    for secret in secrets {
        assert_not_logged(&logged, secret, &s.special.address);
    }
    println!("{} bytes of logs, no secret", logged.len());
}

/// Neither `secret`, nor its base64, nor the AUTH PLAIN or XOAUTH2
/// message of `user` with it, is in `logged`.
fn assert_not_logged(logged: &str, secret: &str, user: &str) {
    assert!(!logged.contains(secret), "`{secret}` was logged");
    let plain = format!("\0{user}\0{secret}");
    assert!(
        !logged.contains(&base64(plain.as_bytes())),
        "AUTH PLAIN for `{secret}` was logged"
    );
    assert!(
        !logged.contains(&base64(secret.as_bytes())),
        "`{secret}` in base64 was logged"
    );
    let xoauth2 = format!("user={user}\x01auth=Bearer {secret}\x01\x01");
    assert!(
        !logged.contains(&base64(xoauth2.as_bytes())),
        "XOAUTH2 for `{secret}` was logged"
    );
}

/// An OAuth2 run with a confidential client: the code exchange, a renewal
/// (the stored token due now), a token the servers refuse (renewed, tried
/// again), and sending and filing with tokens. Returns every secret it
/// saw: the client secret, the code, each token.
fn oauth2_run(mailer: &Mailer, rt: &tokio::runtime::Runtime) -> Vec<String> {
    let s = Servers::get();
    let client_secret = s.oauth_secret_client_secret.clone();
    let sign_in = common::sign_in_as(
        courriel::oauth2::OAuth2Client::new("test-oauth", &s.oauth_secret_client)
            .with_secret(&client_secret),
    );
    let authorization = sign_in
        .authorize(&s.special.address, common::REDIRECT)
        .unwrap();
    let location = s
        .oauth_approve(&authorization.url, &s.special, common::REDIRECT)
        .unwrap();
    let query = location.split_once('?').map_or("", |(_, q)| q).to_string();
    let code = query
        .split('&')
        .find_map(|p| p.strip_prefix("code="))
        .unwrap()
        .to_string();
    let mut grant = rt.block_on(sign_in.finish(&authorization, &query)).unwrap();
    let mut oauth_secrets = vec![
        client_secret.clone(),
        code,
        grant.access_token.expose_secret().to_string(),
        grant
            .refresh_token
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_string(),
    ];
    grant.expires_at = Some(std::time::SystemTime::now());
    let store: std::sync::Arc<dyn TokenStore> = std::sync::Arc::new(
        courriel::oauth2::FileStore::open(courriel_testkit::fresh_dir("secrets-tokens")).unwrap(),
    );
    rt.block_on(store.save(&grant)).unwrap();
    let tokens = std::sync::Arc::new(StoredTokens::new(
        sign_in.clone(),
        store.clone(),
        &s.special.address,
    ));
    let with_tokens = Account::new("secrets-oauth2", account(&s.special).settings().clone())
        .with_oauth2(tokens.clone());
    let sent = rt
        .block_on(mailer.send(
            &mailer.resolve(&with_tokens),
            email(&s.special, &s.courier, "secrets, with OAuth2"),
        ))
        .unwrap();
    assert!(matches!(sent.filing, Filing::Filed { .. }));
    let key = courriel::oauth2::GrantKey::new("test-oauth", &s.special.address);
    let mut renewed = rt.block_on(store.load(&key)).unwrap().unwrap();
    oauth_secrets.push(renewed.access_token.expose_secret().to_string());
    oauth_secrets.push(
        renewed
            .refresh_token
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_string(),
    );
    let refused_token = "refused-oauth2-token-0123456789";
    renewed.access_token = SecretString::from(refused_token.to_string());
    rt.block_on(store.save(&renewed)).unwrap();
    let again = std::sync::Arc::new(StoredTokens::new(
        sign_in,
        store.clone(),
        &s.special.address,
    ));
    let checked = rt.block_on(
        mailer.check(
            &Account::new(
                "secrets-oauth2-refused",
                account(&s.special).settings().clone(),
            )
            .with_oauth2(again),
        ),
    );
    assert!(checked.is_ok(), "{checked:?}");
    let last = rt.block_on(store.load(&key)).unwrap().unwrap();
    oauth_secrets.push(refused_token.to_string());
    oauth_secrets.push(last.access_token.expose_secret().to_string());
    oauth_secrets.push(
        last.refresh_token
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_string(),
    );
    let shown = format!("{tokens:?} {last:?} {with_tokens:?}");
    assert!(
        oauth_secrets
            .iter()
            .all(|secret| !shown.contains(secret.as_str())),
        "Debug shows no token: {shown}"
    );

    oauth_secrets
}
