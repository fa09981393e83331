//! Signing in with OAuth2 end to end, against the test authorization
//! server (oidc-provider) and Postfix and Dovecot taking its tokens: the
//! user approves in the "browser" (the testkit plays it), the code is
//! exchanged, the grant kept in a file store, and the `Mailer` sends and
//! files with tokens; tokens about to expire are renewed once with the
//! rotated refresh token saved, even by many callers at once; a refused
//! token is renewed and the command tried again; and each way the sign-in
//! can fail has its code.

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
    // 2,000-character tokens: Postfix cuts AUTH lines over 2,048 bytes.
    let s = Servers::get();
    let sign_in = sign_in("courriel-test-jwt");
    let grant = approve(&sign_in, &s.special);
    assert!(grant.access_token.expose_secret().len() > 1_500);
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
