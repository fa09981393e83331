//! Signing in with OAuth2 end to end, against the test authorization
//! server (oidc-provider) and Postfix and Dovecot taking its tokens: the
//! user approves in the "browser" (the testkit plays it), the code is
//! exchanged, the grant kept in a file store, and the `Mailer` sends and
//! files with tokens; tokens about to expire are renewed once with the
//! rotated refresh token saved, even by many callers at once, and by two
//! processes sharing a PostgreSQL store; a refused token is renewed and
//! the command tried again; and each way the sign-in can fail has its code
//! (a spent refresh token used again among them). The token endpoint's
//! faults the server does not make are in `oauth2_faults.rs`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use courriel::oauth2::{FileStore, GrantKey, StoredTokens, TokenStore};
use courriel::{Account, Filing, Mailer};
use courriel_net::TokenSource as _;
use courriel_testkit::{Account as TestAccount, Servers, runtime};
use secrecy::{ExposeSecret as _, SecretString};

use crate::common::{REDIRECT, approve, copies, delivered, email, sign_in, spool_dir};

fn store(test: &str) -> Arc<dyn TokenStore> {
    Arc::new(FileStore::open(courriel_testkit::fresh_dir(&format!("tokens-{test}"))).unwrap())
}

/// `who`'s account on Postfix and Dovecot, signing in with `tokens`.
fn account(who: &TestAccount, tokens: Arc<StoredTokens>) -> Account {
    let s = Servers::get();
    let settings = s.settings_for(
        who,
        Some((&s.host, s.smtp_starttls_port)),
        Some((&s.host, s.imap_tls_port)),
    );
    Account::new(format!("oauth2-{}", who.address), settings).with_oauth2(tokens)
}

#[test]
fn a_user_signs_in_then_mail_is_sent_and_filed_with_tokens() {
    let s = Servers::get();
    let sign_in = sign_in("courriel-test");
    let grant = approve(&sign_in, &s.special);
    assert_eq!(grant.user, s.special.address);
    assert!(grant.refresh_token.is_some(), "offline_access gives one");
    assert!(
        grant.scopes.iter().any(|x| x == "imap"),
        "{:?}",
        grant.scopes
    );
    let store = store("send");
    runtime().block_on(store.save(&grant)).unwrap();
    let tokens = Arc::new(StoredTokens::new(sign_in, store, &s.special.address));
    let mailer = Mailer::builder(spool_dir("oauth2-send")).build().unwrap();
    let receipt = runtime()
        .block_on(mailer.send(
            &mailer.resolve(&account(&s.special, tokens)),
            email(&s.special, &s.courier, "Facture F-OAUTH2"),
        ))
        .unwrap();
    assert!(receipt.reply.starts_with("250"), "{receipt:?}");
    assert!(
        matches!(&receipt.filing, Filing::Filed { folder, .. } if folder == "Sent"),
        "{:?}",
        receipt.filing
    );
    assert_eq!(copies(&s.special, "Sent", &receipt.message_id).len(), 1);
    delivered(&s.courier, &receipt.message_id);
}

#[test]
fn oauthbearer_alone_signs_in_to_postfix_and_dovecot() {
    // A provider whose servers take OAUTHBEARER only (RFC 7628): the
    // catalog allows no other mechanism, so a send and its filing can only
    // succeed through it, on SMTP and on IMAP.
    let s = Servers::get();
    let ron = s.oauth_provider_ron().replace(
        "mechanisms: [XOAuth2, OAuthBearer]",
        "mechanisms: [OAuthBearer]",
    );
    assert!(ron.contains("mechanisms: [OAuthBearer]"), "{ron}");
    let catalog = courriel::Catalog::builder()
        .add_ron("test-oauth.ron", ron)
        .build()
        .unwrap();
    let provider = catalog.get("test-oauth").unwrap();
    let sign_in = courriel::oauth2::SignIn::new(
        provider,
        courriel::oauth2::OAuth2Client::new("test-oauth", "courriel-test"),
        &crate::common::oauth_options(),
    )
    .unwrap();
    let grant = approve(&sign_in, &s.localized);
    let store = store("oauthbearer");
    runtime().block_on(store.save(&grant)).unwrap();
    let tokens = Arc::new(StoredTokens::new(sign_in, store, &s.localized.address));
    let mailer = Mailer::builder(spool_dir("oauth2-bearer")).build().unwrap();
    let receipt = runtime()
        .block_on(mailer.send(
            &mailer.resolve(&account(&s.localized, tokens)),
            email(&s.localized, &s.courier, "Facture F-OAUTHBEARER"),
        ))
        .unwrap();
    assert!(receipt.reply.starts_with("250"), "{receipt:?}");
    assert!(
        matches!(&receipt.filing, Filing::Filed { .. }),
        "{:?}",
        receipt.filing
    );
    delivered(&s.courier, &receipt.message_id);
}

#[test]
fn tokens_near_expiry_are_renewed_once_and_the_rotated_refresh_token_saved() {
    let s = Servers::get();
    let sign_in = sign_in("courriel-test");
    let mut grant = approve(&sign_in, &s.localized);
    // Due now (the token itself still works: the server's hour is not up).
    grant.expires_at = Some(SystemTime::now());
    let store = store("renew");
    runtime().block_on(store.save(&grant)).unwrap();
    let tokens = StoredTokens::new(sign_in.clone(), store.clone(), &s.localized.address);
    let renewed = runtime().block_on(tokens.token()).unwrap();
    assert_ne!(
        renewed.secret().expose_secret(),
        grant.access_token.expose_secret()
    );
    let saved = runtime()
        .block_on(store.load(&GrantKey::new("test-oauth", &s.localized.address)))
        .unwrap()
        .unwrap();
    assert_eq!(
        saved.access_token.expose_secret(),
        renewed.secret().expose_secret()
    );
    let (old, new) = (
        grant.refresh_token.as_ref().unwrap().expose_secret(),
        saved.refresh_token.as_ref().unwrap().expose_secret(),
    );
    assert_ne!(
        old, new,
        "the server rotates refresh tokens: the new one is kept"
    );
    assert!(saved.refreshed_at.is_some());
    // Kept to the second.
    let secs = |t: SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(secs(saved.signed_in_at), secs(grant.signed_in_at));
    // The renewed token signs in.
    let account = account(&s.localized, Arc::new(tokens));
    let mailer = Mailer::builder(spool_dir("oauth2-renew")).build().unwrap();
    let report = runtime().block_on(mailer.check(&account));
    assert!(report.is_ok(), "{report:?}");
}

#[test]
fn many_senders_at_once_renew_once() {
    // Rotation: a second renewal with the first refresh token would be
    // refused, and its reuse makes the server revoke the whole grant.
    // One renewal runs; every other caller, in this "process" or the
    // other (two sources sharing the store), takes its token.
    let s = Servers::get();
    let sign_in = sign_in("courriel-test");
    let mut grant = approve(&sign_in, &s.bare);
    grant.expires_at = Some(SystemTime::now());
    let store = store("many");
    runtime().block_on(store.save(&grant)).unwrap();
    let sources: Vec<Arc<StoredTokens>> = (0..2)
        .map(|_| {
            Arc::new(StoredTokens::new(
                sign_in.clone(),
                store.clone(),
                &s.bare.address,
            ))
        })
        .collect();
    let tokens = runtime().block_on(async {
        let mut tasks = Vec::new();
        for i in 0..8 {
            let source = sources[i % 2].clone();
            tasks.push(tokio::spawn(async move { source.token().await }));
        }
        let mut tokens = Vec::new();
        for task in tasks {
            tokens.push(
                task.await
                    .unwrap()
                    .unwrap()
                    .secret()
                    .expose_secret()
                    .to_string(),
            );
        }
        tokens
    });
    assert!(
        tokens.iter().all(|t| *t == tokens[0]),
        "one renewal, one token"
    );
    assert_ne!(tokens[0], grant.access_token.expose_secret());
    let saved = runtime()
        .block_on(store.load(&GrantKey::new("test-oauth", &s.bare.address)))
        .unwrap()
        .unwrap();
    assert_eq!(saved.access_token.expose_secret(), tokens[0]);
    // The grant is alive: the saved refresh token still renews.
    let fresh = runtime().block_on(sign_in.refresh(&saved));
    assert!(fresh.is_ok(), "{fresh:?}");
}

/// A store that counts the grants saved.
struct CountingStore {
    inner: Arc<dyn TokenStore>,
    saves: std::sync::atomic::AtomicUsize,
}

impl TokenStore for CountingStore {
    fn load<'a>(
        &'a self,
        key: &'a GrantKey,
    ) -> courriel::oauth2::StoreFuture<'a, Option<courriel::oauth2::Grant>> {
        self.inner.load(key)
    }

    fn save<'a>(
        &'a self,
        grant: &'a courriel::oauth2::Grant,
    ) -> courriel::oauth2::StoreFuture<'a, ()> {
        self.saves.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.save(grant)
    }

    fn delete<'a>(&'a self, key: &'a GrantKey) -> courriel::oauth2::StoreFuture<'a, ()> {
        self.inner.delete(key)
    }

    fn lock<'a>(
        &'a self,
        key: &'a GrantKey,
    ) -> courriel::oauth2::StoreFuture<'a, Box<dyn courriel::oauth2::RefreshLock>> {
        self.inner.lock(key)
    }
}

#[test]
fn fifty_sends_at_once_with_an_expired_token_renew_once_and_save_once() {
    // The test server rotates refresh tokens and revokes the grant when a
    // spent one comes back: two renewals would end the sign-in.
    let s = Servers::get();
    let sign_in = sign_in("courriel-test");
    let mut grant = approve(&sign_in, &s.bare);
    grant.expires_at = Some(SystemTime::now());
    let counting = Arc::new(CountingStore {
        inner: store("fifty"),
        saves: std::sync::atomic::AtomicUsize::new(0),
    });
    let store: Arc<dyn TokenStore> = counting.clone();
    runtime().block_on(store.save(&grant)).unwrap();
    counting.saves.store(0, std::sync::atomic::Ordering::SeqCst);
    let tokens = Arc::new(StoredTokens::new(
        sign_in.clone(),
        store.clone(),
        &s.bare.address,
    ));
    let mailer = Mailer::builder(spool_dir("oauth2-fifty")).build().unwrap();
    let account = mailer.resolve(&account(&s.bare, tokens));
    let receipts = runtime().block_on(async {
        let mut sends = tokio::task::JoinSet::new();
        for i in 0..50 {
            let (mailer, account) = (mailer.clone(), account.clone());
            let email = email(&s.bare, &s.courier, &format!("fifty at once {i}"));
            sends.spawn(async move { mailer.send(&account, email).await });
        }
        sends.join_all().await
    });
    for receipt in &receipts {
        let receipt = receipt.as_ref().unwrap();
        assert!(
            matches!(receipt.filing, Filing::Filed { .. }),
            "{:?}",
            receipt.filing
        );
    }
    assert_eq!(
        counting.saves.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one renewal saved"
    );
    // The grant is alive: no spent refresh token was used again.
    let saved = runtime()
        .block_on(store.load(&GrantKey::new("test-oauth", &s.bare.address)))
        .unwrap()
        .unwrap();
    assert_ne!(
        saved.access_token.expose_secret(),
        grant.access_token.expose_secret()
    );
    let fresh = runtime().block_on(sign_in.refresh(&saved));
    assert!(fresh.is_ok(), "{fresh:?}");
}

#[test]
fn a_token_the_server_refuses_is_renewed_and_the_login_tried_again() {
    let s = Servers::get();
    let sign_in = sign_in("courriel-test");
    let mut grant = approve(&sign_in, &s.special);
    // A token the servers do not know, valid for an hour by its date.
    grant.access_token = SecretString::from("not-a-token-the-server-issued".to_string());
    grant.expires_at = Some(SystemTime::now() + Duration::from_secs(3600));
    let store = store("refused");
    runtime().block_on(store.save(&grant)).unwrap();
    let tokens = Arc::new(StoredTokens::new(
        sign_in,
        store.clone(),
        &s.special.address,
    ));
    let mailer = Mailer::builder(spool_dir("oauth2-refused"))
        .build()
        .unwrap();
    let report = runtime().block_on(mailer.check(&account(&s.special, tokens)));
    assert!(report.is_ok(), "{report:?}");
    let saved = runtime()
        .block_on(store.load(&GrantKey::new("test-oauth", &s.special.address)))
        .unwrap()
        .unwrap();
    assert_ne!(
        saved.access_token.expose_secret(),
        "not-a-token-the-server-issued"
    );
}

/// Signing out through the library (`SignIn::revoke`, RFC 7009) makes the
/// provider forget the sign-in: the access token is no longer active, and
/// renewing with the refresh token is OA002, the user must sign in again.
#[test]
fn a_revoked_sign_in_is_oa002_the_user_must_sign_in_again() {
    let s = Servers::get();
    let sign_in = sign_in("courriel-test");
    let mut grant = approve(&sign_in, &s.special);
    assert_eq!(
        s.oauth_introspect(grant.access_token.expose_secret())["active"],
        true
    );
    let revoked = runtime().block_on(sign_in.revoke(&grant)).unwrap();
    assert_eq!(revoked, courriel::oauth2::Revocation::Revoked);
    assert_eq!(
        s.oauth_introspect(grant.access_token.expose_secret())["active"],
        false
    );
    // Revoking again is no error (RFC 7009: the token is already invalid).
    assert_eq!(
        runtime().block_on(sign_in.revoke(&grant)).unwrap(),
        courriel::oauth2::Revocation::Revoked
    );
    grant.expires_at = Some(SystemTime::now());
    let store = store("revoked");
    runtime().block_on(store.save(&grant)).unwrap();
    let tokens = StoredTokens::new(sign_in, store, &s.special.address);
    let failure = runtime().block_on(tokens.token()).unwrap_err();
    assert_eq!(failure.code(), "OA002", "{failure}");
    assert!(failure.message(courriel::Lang::Fr).contains("Test OAuth"));
}

#[test]
fn no_stored_sign_in_is_oa001() {
    let s = Servers::get();
    let tokens = StoredTokens::new(sign_in("courriel-test"), store("none"), &s.special.address);
    let failure = runtime().block_on(tokens.token()).unwrap_err();
    assert_eq!(failure.code(), "OA001");
}

#[test]
fn an_application_an_administrator_must_approve_is_oa003() {
    let s = Servers::get();
    let sign_in = sign_in("courriel-test-admin-consent");
    let authorization = sign_in.authorize(&s.special.address, REDIRECT).unwrap();
    let location = s
        .oauth_approve(&authorization.url, &s.special, REDIRECT)
        .expect("the server answers with an error");
    let query = location.split_once('?').map_or("", |(_, q)| q);
    let failure = runtime()
        .block_on(sign_in.finish(&authorization, query))
        .unwrap_err();
    assert_eq!(failure.code(), "OA003", "{failure}");
}

#[test]
fn an_answer_for_another_sign_in_is_refused() {
    let s = Servers::get();
    let sign_in = sign_in("courriel-test");
    let first = sign_in.authorize(&s.special.address, REDIRECT).unwrap();
    let second = sign_in.authorize(&s.special.address, REDIRECT).unwrap();
    let location = s.oauth_approve(&first.url, &s.special, REDIRECT).unwrap();
    let query = location.split_once('?').map_or("", |(_, q)| q);
    let failure = runtime()
        .block_on(sign_in.finish(&second, query))
        .unwrap_err();
    assert_eq!(failure.code(), "OA012");
}

#[test]
fn a_long_jwt_goes_after_the_go_ahead_on_smtp() {
    // 2,600-character tokens, as Microsoft's: Postfix cuts command lines
    // over 2,048 bytes (line_length_limit), so `AUTH XOAUTH2 <token>` would
    // be refused; the line after its 334 may be 12,288 bytes
    // (smtpd_sasl_response_limit). Dovecot's IMAP takes either.
    let s = Servers::get();
    let sign_in = sign_in("courriel-test-jwt");
    let grant = approve(&sign_in, &s.special);
    let length = grant.access_token.expose_secret().len();
    assert!(
        length >= 2_600,
        "a JWT of {length} characters: restart the servers (`cargo xtask mail-servers start`) if oauth/server.js changed"
    );
    let store = store("jwt");
    runtime().block_on(store.save(&grant)).unwrap();
    let tokens = Arc::new(StoredTokens::new(sign_in, store, &s.special.address));
    let mailer = Mailer::builder(spool_dir("oauth2-jwt")).build().unwrap();
    let report = runtime().block_on(mailer.check(&account(&s.special, tokens)));
    assert!(report.is_ok(), "{report:?}");
}

#[test]
fn a_device_signs_in_with_a_code_typed_elsewhere() {
    let s = Servers::get();
    let sign_in = sign_in("courriel-test");
    let rt = runtime();
    let device = rt
        .block_on(sign_in.start_device(&s.localized.address))
        .unwrap();
    assert!(!device.user_code.is_empty());
    assert!(device.verification_uri.starts_with(&s.oauth_issuer()));
    let url = device
        .verification_uri_complete
        .clone()
        .expect("the server gives one");
    // The user, on another device, while the tool polls.
    let user = std::thread::spawn(move || {
        let s = Servers::get();
        s.oauth_approve_device(&url, &s.localized)
    });
    let grant = rt.block_on(sign_in.finish_device(&device)).unwrap();
    user.join().unwrap().expect("the user approves");
    assert_eq!(grant.user, s.localized.address);
    assert!(grant.refresh_token.is_some());
    let store = store("device");
    rt.block_on(store.save(&grant)).unwrap();
    let tokens = Arc::new(StoredTokens::new(sign_in, store, &s.localized.address));
    let mailer = Mailer::builder(spool_dir("oauth2-device")).build().unwrap();
    let report = rt.block_on(mailer.check(&account(&s.localized, tokens)));
    assert!(report.is_ok(), "{report:?}");
}

/// A provider without a revocation endpoint (Microsoft) is not asked:
/// signing out there only forgets the tokens here, and says so.
#[test]
fn a_provider_without_revocation_is_not_asked() {
    let s = Servers::get();
    let with = sign_in("courriel-test");
    let grant = approve(&with, &s.special);
    let mut provider = crate::common::provider();
    provider.oauth2.as_mut().unwrap().revocation_url = None;
    let without = courriel::oauth2::SignIn::new(
        &provider,
        courriel::oauth2::OAuth2Client::new("test-oauth", "courriel-test"),
        &crate::common::oauth_options(),
    )
    .unwrap();
    let said = runtime().block_on(without.revoke(&grant)).unwrap();
    assert_eq!(said, courriel::oauth2::Revocation::NotOffered);
    assert_eq!(
        s.oauth_introspect(grant.access_token.expose_secret())["active"],
        true,
        "the sign-in is left as it was"
    );
}

#[test]
fn a_rotated_refresh_token_used_again_is_oa002_and_ends_the_sign_in() {
    // The server rotates refresh tokens; using a spent one again (a store
    // restored from a backup, a renewal two processes made at once) is
    // taken as theft: refused, and the whole sign-in revoked.
    let s = Servers::get();
    let sign_in = sign_in("courriel-test");
    let mut grant = approve(&sign_in, &s.scratch);
    let renewed = runtime().block_on(sign_in.refresh(&grant)).unwrap();
    assert_ne!(
        renewed.refresh_token.as_ref().unwrap().expose_secret(),
        grant.refresh_token.as_ref().unwrap().expose_secret(),
        "rotated"
    );
    // A store still holding the grant as it was before that renewal.
    grant.expires_at = Some(SystemTime::now() - Duration::from_secs(60));
    let store = store("reused");
    runtime().block_on(store.save(&grant)).unwrap();
    let tokens = StoredTokens::new(sign_in.clone(), store.clone(), &s.scratch.address);
    let failure = runtime().block_on(tokens.token()).unwrap_err();
    assert_eq!(failure.code(), "OA002", "{failure}");
    assert!(failure.is_permanent());
    assert!(failure.to_string().contains("invalid_grant"), "{failure}");
    // The grant is kept as it was (see source.rs).
    let kept = runtime().block_on(tokens.stored()).unwrap().unwrap();
    assert_eq!(kept.to_stored(), grant.to_stored());
    // The sign-in is over: the rotated refresh token is refused too, and
    // the access token it gave is no longer active.
    let failure = runtime().block_on(sign_in.refresh(&renewed)).unwrap_err();
    assert_eq!(failure.code(), "OA002", "{failure}");
    let introspected = s.oauth_introspect(renewed.access_token.expose_secret());
    assert_eq!(introspected["active"], false, "{introspected}");
}

/// Names the PostgreSQL database of the two-process test to its children.
#[cfg(feature = "postgres")]
const TWO_PROCESSES: &str = "COURRIEL_OAUTH2_TWO_PROCESSES";

/// A short digest of a token, as the children print it (never the token).
#[cfg(feature = "postgres")]
fn digest(token: &str) -> String {
    use sha2::{Digest as _, Sha256};
    courriel_net::hex(&Sha256::digest(token.as_bytes())[..12])
}

/// One of the two processes of
/// `two_processes_sharing_a_postgres_store_renew_once`: its own
/// `StoredTokens` over a `PgTokenStore` on the database named, says READY,
/// waits for a line on its input, then asks for a token (TOKEN and its
/// digest, or FAILED and the code) and checks the account with it through
/// Postfix and Dovecot (CHECK ok). Does nothing unless started by that
/// test.
#[cfg(feature = "postgres")]
#[test]
fn two_processes_child() {
    let Ok(url) = std::env::var(TWO_PROCESSES) else {
        return;
    };
    let s = Servers::get();
    let rt = runtime();
    let store: Arc<dyn TokenStore> = Arc::new(
        rt.block_on(courriel::oauth2::PgTokenStore::connect(&url))
            .unwrap(),
    );
    let tokens = Arc::new(StoredTokens::new(
        sign_in("courriel-test"),
        store,
        &s.bare.address,
    ));
    let mailer = Mailer::builder(spool_dir("oauth2-two-processes"))
        .build()
        .unwrap();
    println!("READY");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    match rt.block_on(tokens.token()) {
        Ok(token) => println!("TOKEN {}", digest(token.secret().expose_secret())),
        Err(failure) => {
            println!("FAILED {}", failure.code());
            return;
        }
    }
    let report = rt.block_on(mailer.check(&account(&s.bare, tokens)));
    if report.is_ok() {
        println!("CHECK ok");
    } else {
        println!("CHECK failed {report:?}");
    }
}

#[cfg(feature = "postgres")]
#[test]
fn two_processes_sharing_a_postgres_store_renew_once() {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::process::{Command, Stdio};

    let s = Servers::get();
    let url = s.fresh_postgres_database("oauth2_two_processes");
    let sign_in = sign_in("courriel-test");
    let mut grant = approve(&sign_in, &s.bare);
    // Expired a minute ago by the store's account (the server's token
    // still works, but nobody may use it without renewing).
    grant.expires_at = Some(SystemTime::now() - Duration::from_secs(60));
    let store = runtime()
        .block_on(courriel::oauth2::PgTokenStore::connect(&url))
        .unwrap();
    runtime().block_on(store.save(&grant)).unwrap();

    let mut children: Vec<_> = (0..2)
        .map(|_| {
            let mut child = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "oauth2::two_processes_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(TWO_PROCESSES, &url)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap();
            let lines = BufReader::new(child.stdout.take().unwrap()).lines();
            (child, lines)
        })
        .collect();
    // Both ready (connected, nothing asked yet), then both go at once.
    for (_, lines) in &mut children {
        // After the harness's `test NAME ... ` on the same line.
        let ready = lines.map_while(Result::ok).any(|l| l.ends_with("READY"));
        assert!(ready, "a child never got ready");
    }
    for (child, _) in &mut children {
        let input = child.stdin.as_mut().unwrap();
        input.write_all(b"go\n").unwrap();
        input.flush().unwrap();
    }
    let said: Vec<Vec<String>> = children
        .into_iter()
        .map(|(mut child, lines)| {
            let said: Vec<String> = lines
                .map_while(Result::ok)
                .filter(|l| {
                    l.starts_with("TOKEN") || l.starts_with("FAILED") || l.starts_with("CHECK")
                })
                .collect();
            assert!(child.wait().unwrap().success(), "{said:?}");
            said
        })
        .collect();
    // Both got a token: a second renewal with the same refresh token
    // would have been refused (OA002), and the sign-in revoked.
    let token = |said: &[String]| {
        said.iter()
            .find_map(|l| l.strip_prefix("TOKEN "))
            .unwrap_or_else(|| panic!("no token: {said:?}"))
            .to_string()
    };
    let (first, second) = (token(&said[0]), token(&said[1]));
    // The same one: one renewal, whose tokens the other process read
    // from the store (two renewals one after the other give two).
    assert_eq!(first, second, "{said:?}");
    assert_ne!(first, digest(grant.access_token.expose_secret()), "renewed");
    // Both signed in to Postfix and Dovecot with it.
    for said in &said {
        assert!(said.iter().any(|l| l == "CHECK ok"), "{said:?}");
    }
    // The store holds that renewal: its token, the refresh token rotated
    // once, and that one still alive (the grant was never revoked).
    let saved = runtime()
        .block_on(store.load(&GrantKey::new("test-oauth", &s.bare.address)))
        .unwrap()
        .unwrap();
    assert_eq!(digest(saved.access_token.expose_secret()), first);
    assert_ne!(
        saved.refresh_token.as_ref().unwrap().expose_secret(),
        grant.refresh_token.as_ref().unwrap().expose_secret()
    );
    let again = runtime().block_on(sign_in.refresh(&saved));
    assert!(again.is_ok(), "{again:?}");
}
