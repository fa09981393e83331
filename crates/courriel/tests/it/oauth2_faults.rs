//! Renewing OAuth2 tokens against a token endpoint of our own that fails
//! as each test chooses (the testkit's `oauth_fault_endpoint`, TLS with
//! the test certificate): a 5xx, no answer at all, `invalid_grant` for a
//! grant the real server would take, answers that are not a token or too
//! large. Each has its code, and what becomes of the stored grant is
//! checked: it is kept as it was. The faults the real authorization
//! server makes itself (a revoked sign-in, a rotated refresh token used
//! again) are in `oauth2.rs`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use courriel::Failure;
use courriel::oauth2::{
    FileStore, Grant, HttpOptions, OAuth2Client, SignIn, StoredTokens, TokenStore,
};
use courriel_net::TokenSource as _;
use courriel_testkit::{Reply, Servers, runtime};
use secrecy::{ExposeSecret as _, SecretString};

use crate::common::{oauth_options, provider_at};

const USER: &str = "isabelle@oauth.courriel.test";

/// A grant as a sign-in left it, its access token expiring at `expires_at`.
fn grant(expires_at: SystemTime) -> Grant {
    Grant {
        provider: "test-oauth".into(),
        client_id: "courriel-test".into(),
        user: USER.into(),
        tenant: None,
        access_token: SecretString::from("ACCESS-IN-HAND".to_string()),
        expires_at: Some(expires_at),
        refresh_token: Some(SecretString::from("REFRESH-STORED".to_string())),
        scopes: vec!["imap".into(), "smtp".into(), "offline_access".into()],
        signed_in_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        refreshed_at: None,
    }
}

fn expired() -> Grant {
    grant(SystemTime::now() - Duration::from_secs(3600))
}

/// What asking for a token did, the token endpoint answering as told.
struct Renewal {
    /// The token the caller got, or its failure.
    outcome: Result<String, Failure>,
    /// What the store holds afterwards.
    stored: Option<Grant>,
    /// The forms the endpoint received, in order.
    forms: Vec<String>,
}

/// The test client's sign-in at a provider whose issuer is `issuer`.
fn sign_in_at(issuer: &str, options: &HttpOptions) -> SignIn {
    SignIn::new(
        &provider_at(issuer),
        OAuth2Client::new("test-oauth", "courriel-test"),
        options,
    )
    .unwrap()
}

/// Asks `calls` times for a token of an account whose stored grant is
/// `held`, at a provider whose token endpoint answers `reply` (or at
/// `issuer`, when given), with `options`.
fn renew_with(
    test: &str,
    reply: Reply,
    issuer: Option<String>,
    held: &Grant,
    options: &HttpOptions,
    calls: usize,
) -> Renewal {
    let s = Servers::get();
    let endpoint = s.oauth_fault_endpoint(reply);
    let issuer = issuer.unwrap_or_else(|| format!("https://{}:{}", s.host, endpoint.port));
    let sign_in = sign_in_at(&issuer, options);
    let store: Arc<dyn TokenStore> = Arc::new(
        FileStore::open(courriel_testkit::fresh_dir(&format!(
            "oauth2-faults-{test}"
        )))
        .unwrap(),
    );
    runtime().block_on(async {
        store.save(held).await.unwrap();
        let tokens = StoredTokens::new(sign_in, store.clone(), USER);
        let mut outcome = Err(Failure::new(courriel::FailureKind::OAuth2NotSignedIn));
        for _ in 0..calls {
            // A bound on the test only: it fails rather than hangs.
            outcome = tokio::time::timeout(Duration::from_secs(25), tokens.token())
                .await
                .unwrap_or_else(|_| panic!("{test}: no outcome in 25 s"))
                .map(|t| t.secret().expose_secret().to_string());
        }
        Renewal {
            outcome,
            stored: store.load(tokens.key()).await.unwrap(),
            forms: endpoint.bodies(),
        }
    })
}

fn renew(test: &str, reply: Reply, held: &Grant) -> Renewal {
    renew_with(test, reply, None, held, &oauth_options(), 1)
}

impl Renewal {
    /// The failure, its code checked.
    fn failed(&self, code: &str, case: &str) -> &Failure {
        let Err(failure) = &self.outcome else {
            panic!("{case}: a token, where {code} was expected");
        };
        assert_eq!(failure.code(), code, "{case}: {failure}");
        failure
    }

    /// The store still holds `held`, untouched.
    fn kept(&self, held: &Grant, case: &str) {
        let stored = self
            .stored
            .as_ref()
            .unwrap_or_else(|| panic!("{case}: the grant was deleted"));
        assert_eq!(stored.to_stored(), held.to_stored(), "{case}: changed");
    }

    /// The endpoint received `n` refresh requests with the stored refresh
    /// token.
    fn asked(&self, n: usize, case: &str) {
        assert_eq!(self.forms.len(), n, "{case}: {:?}", self.forms);
        for form in &self.forms {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(form.as_bytes())
                .into_owned()
                .collect();
            let has = |name: &str, value: &str| pairs.iter().any(|(n, v)| n == name && v == value);
            assert!(has("grant_type", "refresh_token"), "{case}: {form}");
            assert!(has("refresh_token", "REFRESH-STORED"), "{case}: {form}");
            assert!(has("client_id", "courriel-test"), "{case}: {form}");
        }
    }
}

#[test]
fn a_token_answer_from_the_fault_endpoint_renews() {
    // The control: the same endpoint answering well renews, so each
    // failure below comes from its answer, not from the set-up.
    let held = expired();
    let renewal = renew(
        "good",
        Reply::json(
            200,
            r#"{"access_token":"ACCESS-NEW","token_type":"Bearer","expires_in":3600,"refresh_token":"REFRESH-ROTATED","scope":"imap smtp offline_access"}"#,
        ),
        &held,
    );
    assert_eq!(renewal.outcome.as_deref().unwrap(), "ACCESS-NEW");
    renewal.asked(1, "good");
    let stored = renewal.stored.unwrap();
    assert_eq!(stored.access_token.expose_secret(), "ACCESS-NEW");
    assert_eq!(
        stored.refresh_token.as_ref().unwrap().expose_secret(),
        "REFRESH-ROTATED"
    );
}

#[test]
fn a_token_endpoint_failing_with_5xx_is_oa005_and_the_grant_is_kept() {
    let held = expired();
    let cases = [
        (500, Reply::html(500, "<h1>Internal Server Error</h1>")),
        (502, Reply::html(502, "<h1>502 Bad Gateway</h1>")),
        // An OAuth2 error in a 5xx is still the server's trouble.
        (
            503,
            Reply::json(503, r#"{"error":"temporarily_unavailable"}"#),
        ),
        (504, Reply::html(504, "")),
    ];
    for (status, reply) in cases {
        let case = format!("HTTP {status}");
        let renewal = renew(&format!("{status}"), reply, &held);
        let failure = renewal.failed("OA005", &case);
        assert!(failure.is_temporary(), "{case}: {failure}");
        let shown = failure.to_string();
        assert!(shown.contains(&case), "{shown}");
        assert!(shown.contains("127.0.0.1"), "names the host: {shown}");
        renewal.kept(&held, &case);
        renewal.asked(1, &case);
    }
}

#[test]
fn a_provider_down_for_now_leaves_the_unexpired_token_in_use() {
    // Due for renewal (5 minutes ahead) but valid two minutes more: a
    // provider failing for now stops nothing; one refusing the grant does.
    let held = grant(SystemTime::now() + Duration::from_secs(120));
    let renewal = renew("down-unexpired", Reply::html(503, "<h1>503</h1>"), &held);
    assert_eq!(renewal.outcome.as_deref().unwrap(), "ACCESS-IN-HAND");
    renewal.asked(1, "503, unexpired");
    renewal.kept(&held, "503, unexpired");
    // The next call, a moment later, does not ask again (the failure
    // stands a while) and still gets the token in hand.
    let renewal = renew_with(
        "down-unexpired-twice",
        Reply::html(503, "<h1>503</h1>"),
        None,
        &held,
        &oauth_options(),
        2,
    );
    assert_eq!(renewal.outcome.as_deref().unwrap(), "ACCESS-IN-HAND");
    renewal.asked(1, "503 twice, unexpired");
    let refused = renew(
        "refused-unexpired",
        Reply::json(400, r#"{"error":"invalid_grant"}"#),
        &held,
    );
    refused.failed("OA002", "invalid_grant, unexpired");
    refused.kept(&held, "invalid_grant, unexpired");
}

#[test]
fn a_token_endpoint_that_never_answers_is_oa005_within_the_bound() {
    let s = Servers::get();
    let held = expired();
    let mut options = oauth_options();
    options.timeout = Duration::from_secs(1);
    // The request read, then silence.
    let renewal = renew_with("never", Reply::Never, None, &held, &options, 1);
    let failure = renewal.failed("OA005", "no answer");
    assert!(failure.is_temporary());
    assert!(
        failure.to_string().contains("no answer in time"),
        "{failure}"
    );
    renewal.kept(&held, "no answer");
    renewal.asked(1, "no answer");
    // A port that takes the connection and says nothing, TLS included.
    let silent = format!("https://{}:{}", s.host, courriel_testkit::silent());
    let renewal = renew_with("silent", Reply::Never, Some(silent), &held, &options, 1);
    let failure = renewal.failed("OA005", "silent port");
    assert!(failure.is_temporary());
    renewal.kept(&held, "silent port");
}

#[test]
fn invalid_grant_is_oa002_and_the_grant_is_kept_for_the_user_to_see() {
    let held = expired();
    let renewal = renew_with(
        "invalid-grant",
        Reply::json(
            400,
            r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#,
        ),
        None,
        &held,
        &oauth_options(),
        2,
    );
    let failure = renewal.failed("OA002", "invalid_grant");
    assert!(failure.is_permanent(), "{failure}");
    let shown = failure.message(courriel::Lang::Fr);
    assert!(shown.contains("Test OAuth"), "{shown}");
    assert!(shown.contains(USER), "{shown}");
    assert!(
        shown.contains("invalid_grant: grant request is invalid"),
        "{shown}"
    );
    // Kept as it was: the application still knows whose sign-in to ask
    // for again; the user's new sign-in will replace it.
    renewal.kept(&held, "invalid_grant");
    // The second call, a moment later, gets the same refusal without
    // asking again with the refresh token just refused (a new sign-in in
    // the store would be used at once: see the growing-wait test).
    renewal.asked(1, "invalid_grant");
}

#[test]
fn answers_that_are_not_a_token_fail_clearly_and_keep_the_grant() {
    let held = expired();
    let huge = format!(
        r#"{{"access_token":"{}","token_type":"Bearer"}}"#,
        "A".repeat(100 * 1024)
    );
    let cases = [
        (
            "portal",
            Reply::html(200, "<html><body>Hotel Wi-Fi: sign in</body></html>"),
            "OA005",
            "an answer that is not JSON",
        ),
        (
            "cut",
            Reply::json(200, r#"{"access_token":"ACC"#),
            "OA005",
            "an answer that is not JSON",
        ),
        (
            "no-token",
            Reply::json(200, r#"{"status":"ok"}"#),
            "OA005",
            "a JSON answer without a token",
        ),
        (
            "number",
            Reply::json(200, r#"{"access_token":12,"token_type":"Bearer"}"#),
            "OA005",
            "a JSON answer without a token",
        ),
        (
            "empty",
            Reply::json(200, r#"{"access_token":"","token_type":"Bearer"}"#),
            "OA005",
            "an answer with an empty token",
        ),
        (
            "huge",
            Reply::json(200, &huge),
            "OA005",
            "an answer over 65536 bytes",
        ),
        (
            "mac",
            Reply::json(200, r#"{"access_token":"ACC","token_type":"mac"}"#),
            "OA004",
            "a token of type mac (not Bearer)",
        ),
        (
            "html-400",
            Reply::html(400, "<h1>Bad Request</h1>"),
            "OA005",
            "an error answer that is not OAuth2's",
        ),
        (
            "invalid-client",
            Reply::json(401, r#"{"error":"invalid_client"}"#),
            "OA004",
            "invalid_client",
        ),
    ];
    for (case, reply, code, detail) in cases {
        let renewal = renew(case, reply, &held);
        let failure = renewal.failed(code, case);
        let shown = failure.to_string();
        assert!(shown.contains(detail), "{case}: {shown}");
        assert!(!shown.contains("AAAA"), "{case}: no token shown: {shown}");
        renewal.kept(&held, case);
        renewal.asked(1, case);
    }
}

/// A file store whose saves fail while `down` is set, as a database or a
/// disk that is down for a while.
struct FlakyStore {
    inner: FileStore,
    down: std::sync::atomic::AtomicBool,
}

impl TokenStore for FlakyStore {
    fn load<'a>(
        &'a self,
        key: &'a courriel::oauth2::GrantKey,
    ) -> courriel::oauth2::StoreFuture<'a, Option<Grant>> {
        self.inner.load(key)
    }

    fn save<'a>(&'a self, grant: &'a Grant) -> courriel::oauth2::StoreFuture<'a, ()> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Box::pin(async {
                Err(courriel::oauth2::store_failure("the test store is down"))
            });
        }
        self.inner.save(grant)
    }

    fn delete<'a>(
        &'a self,
        key: &'a courriel::oauth2::GrantKey,
    ) -> courriel::oauth2::StoreFuture<'a, ()> {
        self.inner.delete(key)
    }

    fn lock<'a>(
        &'a self,
        key: &'a courriel::oauth2::GrantKey,
    ) -> courriel::oauth2::StoreFuture<'a, Box<dyn courriel::oauth2::RefreshLock>> {
        self.inner.lock(key)
    }
}

/// A renewal the store fails to save is not lost: its token is used (the
/// mail goes out), the next renewal starts from its rotated refresh token
/// (the stored one is spent), and it is saved as soon as the store works
/// again, with no renewal more.
#[test]
fn a_renewal_the_store_cannot_save_is_kept_and_saved_later() {
    let s = Servers::get();
    let endpoint = s.oauth_fault_endpoint(Reply::json(
        200,
        r#"{"access_token":"ACCESS-NEW","token_type":"Bearer","expires_in":3600,"refresh_token":"REFRESH-ROTATED","scope":"imap smtp offline_access"}"#,
    ));
    let sign_in = sign_in_at(
        &format!("https://{}:{}", s.host, endpoint.port),
        &oauth_options(),
    );
    let store = Arc::new(FlakyStore {
        inner: FileStore::open(courriel_testkit::fresh_dir("oauth2-faults-unsaved")).unwrap(),
        down: std::sync::atomic::AtomicBool::new(false),
    });
    let held = expired();
    let refresh_of = |form: &str| {
        url::form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .find(|(name, _)| name == "refresh_token")
            .map(|(_, value)| value)
    };
    runtime().block_on(async {
        store.save(&held).await.unwrap();
        store.down.store(true, std::sync::atomic::Ordering::SeqCst);
        let tokens = StoredTokens::new(sign_in, store.clone(), USER);

        // Renewed, not saved: the new token serves all the same.
        let first = tokens.token().await.unwrap();
        assert_eq!(first.secret().expose_secret(), "ACCESS-NEW");
        let stored = store.load(tokens.key()).await.unwrap().unwrap();
        assert_eq!(
            stored.to_stored(),
            held.to_stored(),
            "the store has the old one"
        );

        // The server refuses that token: renewed again from the rotated
        // refresh token in hand, not from the spent one in the store.
        let _ = tokens.refused(&first).await;
        let forms = endpoint.bodies();
        assert_eq!(forms.len(), 2, "{forms:?}");
        assert_eq!(refresh_of(&forms[0]).as_deref(), Some("REFRESH-STORED"));
        assert_eq!(refresh_of(&forms[1]).as_deref(), Some("REFRESH-ROTATED"));

        // The store works again: the next use saves what is in hand,
        // without renewing.
        store.down.store(false, std::sync::atomic::Ordering::SeqCst);
        let again = tokens.token().await.unwrap();
        assert_eq!(again.secret().expose_secret(), "ACCESS-NEW");
        assert_eq!(endpoint.bodies().len(), 2, "no renewal more");
        let stored = store.load(tokens.key()).await.unwrap().unwrap();
        assert_eq!(
            stored.refresh_token.as_ref().unwrap().expose_secret(),
            "REFRESH-ROTATED"
        );
        assert_eq!(stored.access_token.expose_secret(), "ACCESS-NEW");
    });
}

#[test]
fn a_failed_renewal_is_asked_again_only_after_a_growing_wait() {
    let s = Servers::get();
    let endpoint = s.oauth_fault_endpoint(Reply::html(503, "<h1>503</h1>"));
    let sign_in = sign_in_at(
        &format!("https://{}:{}", s.host, endpoint.port),
        &oauth_options(),
    );
    let store: Arc<dyn TokenStore> =
        Arc::new(FileStore::open(courriel_testkit::fresh_dir("oauth2-faults-backoff")).unwrap());
    let wait = Duration::from_secs(1);
    runtime().block_on(async {
        store.save(&expired()).await.unwrap();
        let tokens = StoredTokens::new(sign_in, store.clone(), USER).retry_renewal_after(wait);
        let code = |outcome: Result<courriel_net::AccessToken, Failure>| match outcome {
            Ok(t) => t.secret().expose_secret().to_string(),
            Err(f) => f.code().to_string(),
        };
        // The first call asks; the next ones, within the wait, get the
        // same failure without asking (the provider is not hammered, and
        // no send waits for its timeout).
        assert_eq!(code(tokens.token().await), "OA005");
        assert_eq!(code(tokens.token().await), "OA005");
        assert_eq!(code(tokens.token().await), "OA005");
        assert_eq!(endpoint.bodies().len(), 1, "asked once within the wait");
        // After the wait it asks again, and fails: the next wait is twice
        // as long.
        tokio::time::sleep(wait + Duration::from_millis(100)).await;
        assert_eq!(code(tokens.token().await), "OA005");
        assert_eq!(endpoint.bodies().len(), 2, "asked again after the wait");
        tokio::time::sleep(wait + Duration::from_millis(100)).await;
        assert_eq!(code(tokens.token().await), "OA005");
        assert_eq!(
            endpoint.bodies().len(),
            2,
            "the second wait is twice the first"
        );
        tokio::time::sleep(wait + Duration::from_millis(300)).await;
        assert_eq!(code(tokens.token().await), "OA005");
        assert_eq!(endpoint.bodies().len(), 3, "asked after the second wait");
        // The user signs in again meanwhile: the new grant is used at once.
        let mut signed_in = grant(SystemTime::now() + Duration::from_secs(3600));
        signed_in.access_token = SecretString::from("ACCESS-SIGNED-IN-AGAIN".to_string());
        signed_in.refresh_token = Some(SecretString::from("REFRESH-NEW".to_string()));
        store.save(&signed_in).await.unwrap();
        assert_eq!(code(tokens.token().await), "ACCESS-SIGNED-IN-AGAIN");
        assert_eq!(endpoint.bodies().len(), 3);
    });
}
