//! The test authorization server and the servers that take its tokens:
//! the sign-in flow (PKCE) gives tokens that log in to Dovecot's IMAP and,
//! through Dovecot's SASL, to Postfix, with XOAUTH2 and OAUTHBEARER; bad,
//! revoked, expired or out-of-scope tokens are refused with RFC 7628's
//! challenge; refresh tokens rotate; JWT access tokens as long as
//! Microsoft's go through IMAP, and through Postfix only outside the AUTH
//! line (longer than Postfix's 2,048 bytes).

use courriel_testkit::oauth::{ClientAuth, Tokens, oauthbearer, xoauth2};
use courriel_testkit::{Account, Servers, TlsMode};

const SCOPE: &str = "openid offline_access imap smtp";

/// Dovecot's challenge after a refused XOAUTH2 token (its `scope` is
/// fixed, whatever the configuration says).
fn xoauth2_refusal(s: &Servers) -> String {
    format!(
        r#"{{"status":"401","schemes":"bearer","scope":"mail","openid-configuration":"{}/.well-known/openid-configuration"}}"#,
        s.oauth_issuer()
    )
}

/// Dovecot's challenge after a refused OAUTHBEARER token.
fn oauthbearer_refusal(s: &Servers) -> String {
    format!(
        r#"{{"status":"invalid_token","openid-configuration":"{}/.well-known/openid-configuration"}}"#,
        s.oauth_issuer()
    )
}

/// AUTHENTICATE on Dovecot's implicit-TLS port: the challenges and the status.
fn imap_auth(mechanism: &str, account: &Account, token: &str) -> (Vec<String>, String) {
    let s = Servers::get();
    let mut imap = s.imap(s.imap_tls_port, TlsMode::Implicit);
    let response = match mechanism {
        "XOAUTH2" => xoauth2(&account.address, token),
        _ => oauthbearer(&account.address, &s.tls_name, s.imap_tls_port, token),
    };
    let (challenges, done) = imap.authenticate(mechanism, &response).unwrap();
    if done.is_ok() {
        let selected = imap.command("SELECT INBOX").unwrap();
        assert!(
            selected.is_ok(),
            "SELECT after {mechanism}: {}",
            selected.status
        );
    }
    (challenges, done.status)
}

/// AUTH on Postfix's implicit-TLS submission port: the challenges, the
/// reply, and whether MAIL FROM the account's own address was accepted.
fn smtp_auth(
    mechanism: &str,
    account: &Account,
    token: &str,
    initial: bool,
) -> (Vec<String>, String) {
    let s = Servers::get();
    let response = match mechanism {
        "XOAUTH2" => xoauth2(&account.address, token),
        _ => oauthbearer(&account.address, &s.tls_name, s.smtp_tls_port, token),
    };
    // An smtpd process of Postfix's whose connection to Dovecot's auth
    // service broke (after a Dovecot reload, which other tests of this
    // binary do) answers this 454 once and reconnects: try again, as a
    // user would (each smtpd process at most once).
    let lost =
        "454 4.7.0 Temporary authentication failure: Connection lost to authentication server";
    let mut attempts = 0;
    let (mut smtp, challenges, reply) = loop {
        let mut smtp = s.smtp(s.smtp_tls_port, TlsMode::Implicit);
        let (challenges, reply) = smtp.auth(mechanism, &response, initial).unwrap();
        attempts += 1;
        if reply.to_string() != lost || attempts == 5 {
            break (smtp, challenges, reply);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    if reply.code == 235 {
        let from = smtp
            .command(&format!("MAIL FROM:<{}>", account.address))
            .unwrap();
        assert_eq!(from.code, 250, "MAIL FROM after {mechanism}: {from}");
    }
    (challenges, reply.to_string())
}

fn sign_in(account: &Account) -> Tokens {
    Servers::get().oauth_tokens(account, SCOPE)
}

#[test]
fn a_token_from_the_sign_in_logs_in_to_imap_with_xoauth2_and_oauthbearer() {
    let s = Servers::get();
    let tokens = sign_in(&s.courier);
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, Some(3600));
    assert_eq!(tokens.scope.as_deref(), Some(SCOPE));
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access gives a refresh token"
    );
    assert!(tokens.id_token.is_some(), "openid gives an ID token");
    for mechanism in ["XOAUTH2", "OAUTHBEARER"] {
        let (challenges, status) = imap_auth(mechanism, &s.courier, &tokens.access_token);
        assert!(status.starts_with("OK"), "{mechanism}: {status}");
        assert!(challenges.is_empty(), "{challenges:?}");
    }
    let introspected = s.oauth_introspect(&tokens.access_token);
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["sub"], s.courier.address.as_str());
}

#[test]
fn imap_refuses_a_bad_token_with_rfc_7628s_challenge_then_no() {
    let s = Servers::get();
    let (challenges, status) = imap_auth("XOAUTH2", &s.courier, "not-a-token");
    assert_eq!(challenges, [xoauth2_refusal(s)]);
    assert_eq!(status, "NO [AUTHENTICATIONFAILED] Authentication failed.");
    let (challenges, status) = imap_auth("OAUTHBEARER", &s.courier, "not-a-token");
    assert_eq!(challenges, [oauthbearer_refusal(s)]);
    assert_eq!(status, "NO [AUTHENTICATIONFAILED] Authentication failed.");
}

#[test]
fn a_token_logs_in_only_its_own_account() {
    let s = Servers::get();
    let tokens = sign_in(&s.localized);
    let (challenges, status) = imap_auth("XOAUTH2", &s.courier, &tokens.access_token);
    assert_eq!(challenges, [xoauth2_refusal(s)]);
    assert!(status.starts_with("NO "), "{status}");
}

#[test]
fn postfix_offers_and_takes_xoauth2_and_oauthbearer() {
    let s = Servers::get();
    let smtp = s.smtp(s.smtp_starttls_port, TlsMode::Starttls);
    assert!(
        smtp.ehlo
            .lines
            .iter()
            .any(|l| l == "AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER"),
        "{}",
        smtp.ehlo
    );
    let tokens = sign_in(&s.courier);
    for mechanism in ["XOAUTH2", "OAUTHBEARER"] {
        let (challenges, reply) = smtp_auth(mechanism, &s.courier, &tokens.access_token, true);
        assert_eq!(reply, "235 2.7.0 Authentication successful", "{mechanism}");
        assert!(challenges.is_empty(), "{challenges:?}");
    }
    let (challenges, reply) = smtp_auth("XOAUTH2", &s.courier, "not-a-token", true);
    assert_eq!(challenges, [xoauth2_refusal(s)]);
    assert_eq!(
        reply,
        "535 5.7.8 Error: authentication failed: (reason unavailable)"
    );
    let (challenges, reply) = smtp_auth("OAUTHBEARER", &s.courier, "not-a-token", true);
    assert_eq!(challenges, [oauthbearer_refusal(s)]);
    assert!(reply.starts_with("535 5.7.8 "), "{reply}");
}

#[test]
fn a_token_without_the_imap_scope_logs_in_to_smtp_only() {
    let s = Servers::get();
    let tokens = s.oauth_tokens(&s.courier, "smtp");
    assert_eq!(tokens.scope.as_deref(), Some("smtp"));
    assert_eq!(
        tokens.refresh_token, None,
        "no offline_access, no refresh token"
    );
    let (challenges, status) = imap_auth("XOAUTH2", &s.courier, &tokens.access_token);
    assert_eq!(challenges, [xoauth2_refusal(s)]);
    assert!(status.starts_with("NO "), "{status}");
    let (_, reply) = smtp_auth("XOAUTH2", &s.courier, &tokens.access_token, true);
    assert!(reply.starts_with("235 "), "{reply}");
    let imap_only = s.oauth_tokens(&s.courier, "imap");
    let (_, reply) = smtp_auth("XOAUTH2", &s.courier, &imap_only.access_token, true);
    assert!(reply.starts_with("535 "), "{reply}");
}

#[test]
fn a_refresh_rotates_the_refresh_token_and_the_spent_one_is_invalid_grant() {
    let s = Servers::get();
    let first = sign_in(&s.courier);
    let spent = first.refresh_token.clone().unwrap();
    let second = s.oauth_refresh(&s.oauth_client, &spent).unwrap();
    let rotated = second.refresh_token.clone().unwrap();
    assert_ne!(rotated, spent);
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(second.scope.as_deref(), Some(SCOPE));
    let (_, status) = imap_auth("OAUTHBEARER", &s.courier, &second.access_token);
    assert!(status.starts_with("OK"), "{status}");
    // The spent one again: refused, and the whole sign-in revoked with it
    // (a stolen token's replay), the new tokens too.
    let error = s.oauth_refresh(&s.oauth_client, &spent).unwrap_err();
    assert_eq!(
        (error.status, error.error.as_str()),
        (400, "invalid_grant"),
        "{error}"
    );
    let error = s.oauth_refresh(&s.oauth_client, &rotated).unwrap_err();
    assert_eq!(error.error, "invalid_grant", "{error}");
    assert_eq!(s.oauth_introspect(&second.access_token)["active"], false);
}

#[test]
fn a_revoked_token_no_longer_logs_in() {
    let s = Servers::get();
    let tokens = sign_in(&s.courier);
    s.oauth_revoke(&s.oauth_client, &tokens.access_token, "access_token")
        .unwrap();
    assert_eq!(s.oauth_introspect(&tokens.access_token)["active"], false);
    let (challenges, status) = imap_auth("XOAUTH2", &s.courier, &tokens.access_token);
    assert_eq!(challenges, [xoauth2_refusal(s)]);
    assert!(status.starts_with("NO "), "{status}");
    // Revoking the refresh token ends the sign-in: refreshing is invalid_grant.
    let refresh = tokens.refresh_token.unwrap();
    s.oauth_revoke(&s.oauth_client, &refresh, "refresh_token")
        .unwrap();
    let error = s.oauth_refresh(&s.oauth_client, &refresh).unwrap_err();
    assert_eq!(error.error, "invalid_grant", "{error}");
}

#[test]
fn a_short_lived_token_expires_and_a_refresh_brings_a_live_one() {
    // Checked by introspection while alive: on a loaded machine a login can
    // take a good part of the 5 seconds.
    let s = Servers::get();
    let tokens = s
        .oauth_sign_in(&s.oauth_short_client, &s.courier, SCOPE)
        .unwrap();
    assert_eq!(tokens.expires_in, Some(s.oauth_short_token_ttl));
    assert_eq!(s.oauth_introspect(&tokens.access_token)["active"], true);
    std::thread::sleep(std::time::Duration::from_secs(s.oauth_short_token_ttl + 1));
    assert_eq!(s.oauth_introspect(&tokens.access_token)["active"], false);
    let (challenges, status) = imap_auth("XOAUTH2", &s.courier, &tokens.access_token);
    assert_eq!(challenges, [xoauth2_refusal(s)]);
    assert!(status.starts_with("NO "), "{status}");
    let fresh = s
        .oauth_refresh(&s.oauth_short_client, &tokens.refresh_token.unwrap())
        .unwrap();
    assert_eq!(fresh.expires_in, Some(s.oauth_short_token_ttl));
    assert_eq!(s.oauth_introspect(&fresh.access_token)["active"], true);
}

#[test]
fn a_long_jwt_logs_in_to_imap_and_to_postfix_only_outside_the_auth_line() {
    let s = Servers::get();
    let tokens = s
        .oauth_sign_in(&s.oauth_jwt_client, &s.courier, "offline_access imap smtp")
        .unwrap();
    let token = &tokens.access_token;
    assert!(
        token.len() >= 2600,
        "a JWT of {} characters: restart the servers (`cargo xtask mail-servers start`) if oauth/server.js changed",
        token.len()
    );
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    for mechanism in ["XOAUTH2", "OAUTHBEARER"] {
        let (_, status) = imap_auth(mechanism, &s.courier, token);
        assert!(status.starts_with("OK"), "{mechanism}: {status}");
    }
    // `AUTH XOAUTH2 <initial response>` is over Postfix's line_length_limit
    // (2,048 bytes): the line is cut there, and what is left is not base64.
    let (_, reply) = smtp_auth("XOAUTH2", &s.courier, token, true);
    assert_eq!(
        reply,
        "535 5.7.8 Error: authentication failed: Invalid base64 data in initial response"
    );
    // After `AUTH XOAUTH2` alone and Postfix's empty 334, it goes through:
    // that line is bounded by smtpd_sasl_response_limit (12,288 bytes by
    // default), not line_length_limit.
    for mechanism in ["XOAUTH2", "OAUTHBEARER"] {
        let (_, reply) = smtp_auth(mechanism, &s.courier, token, false);
        assert_eq!(reply, "235 2.7.0 Authentication successful", "{mechanism}");
    }
    // The server keeps no JWT: Dovecot checked its signature itself.
    assert_eq!(s.oauth_introspect(token)["active"], false);
    // A JWT whose signature is not the server's is refused. (One of the
    // wrong length is a temporary failure, `NO [UNAVAILABLE]`: Dovecot
    // 2.3.19 leaves OpenSSL's error behind, and the introspection that
    // follows fails on it.)
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("{signed}.{flipped}{}", &signature[1..]);
    let (_, status) = imap_auth("XOAUTH2", &s.courier, &forged);
    assert!(status.starts_with("NO "), "{status}");
}

#[test]
fn the_client_needing_an_administrators_consent_is_refused_with_consent_required() {
    let s = Servers::get();
    let error = s
        .oauth_sign_in(&s.oauth_admin_consent_client, &s.courier, SCOPE)
        .unwrap_err();
    assert_eq!(
        (error.status, error.error.as_str()),
        (0, "consent_required")
    );
    let description = error.description.unwrap_or_default();
    assert!(description.contains("administrator"), "{description}");
}

#[test]
fn a_wrong_password_is_refused_at_the_login_form() {
    let s = Servers::get();
    let wrong = Account {
        address: s.courier.address.clone(),
        password: "not-the-password".into(),
    };
    let error = s.oauth_sign_in(&s.oauth_client, &wrong, SCOPE).unwrap_err();
    assert_eq!(error.error, "invalid_login", "{error}");
}

#[test]
fn the_confidential_client_authenticates_with_basic_or_post() {
    let s = Servers::get();
    let id = s.oauth_secret_client.as_str();
    let secret = s.oauth_secret_client_secret.as_str();
    for auth in [ClientAuth::Basic(id, secret), ClientAuth::Post(id, secret)] {
        let code = s.oauth_authorize(id, &s.courier, SCOPE).unwrap();
        let tokens = s.oauth_exchange(auth, &code).unwrap();
        let (_, status) = imap_auth("XOAUTH2", &s.courier, &tokens.access_token);
        assert!(status.starts_with("OK"), "{auth:?}: {status}");
    }
    let code = s.oauth_authorize(id, &s.courier, SCOPE).unwrap();
    let error = s
        .oauth_exchange(ClientAuth::Basic(id, "wrong-secret"), &code)
        .unwrap_err();
    assert_eq!(
        (error.status, error.error.as_str()),
        (401, "invalid_client")
    );
}
