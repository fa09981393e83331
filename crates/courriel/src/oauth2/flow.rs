//! The OAuth2 exchanges with a provider's authorization server (RFC 6749):
//! the authorization URL with `state` and a PKCE challenge (RFC 7636), the
//! code exchange, the refresh, and the device flow (RFC 8628). Over
//! reqwest, https only (certificates verified), every answer bounded in
//! time and size, every refusal a [`Failure`] with its code: the user must
//! sign in again (`invalid_grant`: OA002), an administrator must approve
//! the application (OA003), the client is refused (OA004), the provider
//! could not be reached (OA005, temporary), the sign-in was denied or does
//! not match (OA012).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use courriel_core::failure::{Failure, FailureKind};
use courriel_core::provider::{OAuth2, Provider};
use secrecy::{ExposeSecret as _, SecretString};

use super::store::Grant;

/// The largest answer read from an authorization server.
const MAX_ANSWER: usize = 64 * 1024;

/// The application's client, registered with one provider: its id, and
/// its secret where the provider gives one. `Debug` hides the secret.
#[derive(Clone)]
pub struct OAuth2Client {
    /// The catalog's provider id this client is registered with.
    pub provider: String,
    /// The client id.
    pub client_id: String,
    /// The client secret, if any.
    pub client_secret: Option<SecretString>,
    /// The `{tenant}` to use (Microsoft: a directory id, `organizations`,
    /// `consumers`, `common`); the catalog's default when `None`.
    pub tenant: Option<String>,
}

impl OAuth2Client {
    /// A client without a secret (a public client).
    pub fn new(provider: impl Into<String>, client_id: impl Into<String>) -> OAuth2Client {
        OAuth2Client {
            provider: provider.into(),
            client_id: client_id.into(),
            client_secret: None,
            tenant: None,
        }
    }

    /// With its secret.
    #[must_use]
    pub fn with_secret(mut self, secret: impl Into<String>) -> OAuth2Client {
        self.client_secret = Some(SecretString::from(secret.into()));
        self
    }

    /// With a tenant.
    #[must_use]
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> OAuth2Client {
        self.tenant = Some(tenant.into());
        self
    }
}

impl fmt::Debug for OAuth2Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Client")
            .field("provider", &self.provider)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("tenant", &self.tenant)
            .finish()
    }
}

/// How requests to authorization servers are made.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Each request, connection and answer included (default 30 s).
    pub timeout: Duration,
    /// Extra CA certificates to trust (PEM), beside the web's roots.
    pub extra_ca_pem: Option<Arc<[u8]>>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(30),
            extra_ca_pem: None,
        }
    }
}

/// One provider's sign-in for one application's client: makes
/// authorization URLs, exchanges codes, renews tokens.
#[derive(Clone)]
pub struct SignIn {
    provider_id: String,
    provider_name: String,
    facts: OAuth2,
    client: OAuth2Client,
    http: reqwest::Client,
}

impl fmt::Debug for SignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignIn")
            .field("provider", &self.provider_id)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// A sign-in under way: the URL to send the user to, and what checks the
/// answer. Keep it (in the user's session) until the redirect comes back;
/// `Debug` hides the PKCE verifier.
#[derive(Clone)]
pub struct Authorization {
    /// Where the user signs in and approves the application.
    pub url: String,
    /// The `state` the answer must carry back.
    pub state: String,
    /// The redirect URI the answer goes to.
    pub redirect_uri: String,
    /// The login the user is signing in as.
    pub user: String,
    verifier: SecretString,
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization")
            .field("url", &self.url)
            .field("redirect_uri", &self.redirect_uri)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// A device-flow sign-in under way (RFC 8628): the user opens
/// `verification_uri` on any device and types `user_code`.
#[derive(Clone)]
pub struct DeviceAuthorization {
    /// The code the user types.
    pub user_code: String,
    /// Where the user types it.
    pub verification_uri: String,
    /// The same with the code filled in, when the provider gives one.
    pub verification_uri_complete: Option<String>,
    /// When the code expires.
    pub expires_at: SystemTime,
    /// How long to wait between polls.
    pub interval: Duration,
    /// The login the user is signing in as.
    pub user: String,
    device_code: SecretString,
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Random bytes, base64url: PKCE verifiers and `state`.
fn random(bytes: usize) -> String {
    use ring::rand::SecureRandom as _;
    let mut buf = vec![0; bytes];
    ring::rand::SystemRandom::new()
        .fill(&mut buf)
        .expect("the system's random source");
    BASE64URL.encode(buf)
}

/// The PKCE S256 challenge of `verifier`.
fn challenge(verifier: &str) -> String {
    use sha2::{Digest as _, Sha256};
    BASE64URL.encode(Sha256::digest(verifier.as_bytes()))
}

/// What a token endpoint answers, read leniently (`expires_in` as a number
/// or a string, as some providers send).
#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// An error answer (RFC 6749, section 5.2), with Microsoft's
/// `error_codes`.
#[derive(serde::Deserialize, Default)]
struct ErrorAnswer {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// The device authorization answer (RFC 8628, section 3.2).
#[derive(serde::Deserialize)]
struct DeviceAnswer {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    expires_in: serde_json::Value,
    #[serde(default)]
    interval: Option<serde_json::Value>,
}

fn number(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The kind of failure an error answer means.
fn error_kind(error: &str, description: &str) -> FailureKind {
    let description = description.to_ascii_lowercase();
    // Microsoft: AADSTS65001 (consent), AADSTS90094 (admin approval
    // required), "administrator" in the text; Google's admin_policy_enforced.
    if description.contains("admin") || error == "admin_policy_enforced" {
        return FailureKind::OAuth2AdminConsentRequired;
    }
    match error {
        "invalid_grant" | "interaction_required" | "consent_required" | "login_required" => {
            FailureKind::OAuth2SignInExpired
        }
        "access_denied" | "expired_token" => FailureKind::OAuth2AuthorizationDenied,
        "temporarily_unavailable" | "server_error" => FailureKind::OAuth2ProviderUnreachable,
        _ => FailureKind::OAuth2ClientRefused,
    }
}

fn clip(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}

/// The https URL's host, for messages.
fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| url.to_string())
}

impl SignIn {
    /// The sign-in of `provider` for `client`. OA011 when the catalog knows
    /// no OAuth2 for the provider, or the client is for another one.
    pub fn new(
        provider: &Provider,
        client: OAuth2Client,
        options: &HttpOptions,
    ) -> Result<SignIn, Failure> {
        let not_configured =
            || Failure::new(FailureKind::OAuth2ClientNotConfigured).arg("provider", &provider.name);
        let facts = provider.oauth2.clone().ok_or_else(not_configured)?;
        if client.provider != provider.id {
            return Err(not_configured());
        }
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .https_only(true)
            .user_agent(concat!("courriel/", env!("CARGO_PKG_VERSION")))
            // A token endpoint answers; it does not redirect.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &options.extra_ca_pem {
            let certificates = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                Failure::new(FailureKind::CaFileUnusable)
                    .arg("file", "extra_ca_pem")
                    .arg("detail", e)
            })?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder.build().map_err(|e| {
            Failure::new(FailureKind::OAuth2ProviderUnreachable)
                .arg("host", host_of(&facts.token_url))
                .arg("detail", e)
        })?;
        Ok(SignIn {
            provider_id: provider.id.clone(),
            provider_name: provider.name.clone(),
            facts,
            client,
            http,
        })
    }

    /// The catalog's provider id.
    #[must_use]
    pub fn provider_id(&self) -> &str {
        &self.provider_id
    }

    /// The provider's display name.
    #[must_use]
    pub fn provider_name(&self) -> &str {
        &self.provider_name
    }

    /// The catalog's OAuth2 facts of the provider.
    #[must_use]
    pub fn facts(&self) -> &OAuth2 {
        &self.facts
    }

    /// The application's client.
    #[must_use]
    pub fn client(&self) -> &OAuth2Client {
        &self.client
    }

    fn url(&self, url: &str) -> Result<String, Failure> {
        self.facts
            .with_tenant(url, self.client.tenant.as_deref())
            .ok_or_else(|| {
                Failure::new(FailureKind::OAuth2ClientNotConfigured)
                    .arg("provider", &self.provider_name)
            })
    }

    fn failure(&self, kind: FailureKind, user: &str, detail: impl fmt::Display) -> Failure {
        Failure::new(kind)
            .arg("provider", &self.provider_name)
            .arg("user", user)
            .arg("host", host_of(&self.facts.token_url))
            .arg("detail", detail)
    }

    /// Where an administrator approves the application for the whole
    /// organisation, when the provider has such a page.
    #[must_use]
    pub fn admin_consent_url(&self) -> Option<String> {
        let url = self.facts.admin_consent_url.as_deref()?;
        let url = self.facts.with_tenant(url, self.client.tenant.as_deref())?;
        Some(url.replace("{client_id}", &self.client.client_id))
    }

    /// Starts a sign-in of `user`: the URL to open, with a fresh `state`
    /// and PKCE challenge, asking for IMAP's and SMTP's scopes.
    pub fn authorize(&self, user: &str, redirect_uri: &str) -> Result<Authorization, Failure> {
        let verifier = random(32);
        let state = random(16);
        let mut url = url::Url::parse(&self.url(&self.facts.authorization_url)?).map_err(|e| {
            self.failure(
                FailureKind::OAuth2ClientRefused,
                user,
                format!("authorization URL: {e}"),
            )
        })?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.client.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &self.facts.scopes().join(" "))
                .append_pair("state", &state)
                .append_pair("code_challenge", &challenge(&verifier))
                .append_pair("code_challenge_method", "S256")
                .append_pair("login_hint", user);
            for (name, value) in &self.facts.authorization_params {
                query.append_pair(name, value);
            }
        }
        Ok(Authorization {
            url: url.into(),
            state,
            redirect_uri: redirect_uri.to_string(),
            user: user.to_string(),
            verifier: SecretString::from(verifier),
        })
    }

    /// Finishes a sign-in from the query of the redirect it came back to
    /// (`code=...&state=...`, or `error=...`): checks `state`, exchanges
    /// the code.
    pub async fn finish(&self, pending: &Authorization, query: &str) -> Result<Grant, Failure> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let denied = |detail: String| {
            self.failure(
                FailureKind::OAuth2AuthorizationDenied,
                &pending.user,
                detail,
            )
        };
        if get("state") != Some(pending.state.as_str()) {
            return Err(denied(
                "the answer does not belong to this sign-in (its state differs)".into(),
            ));
        }
        if let Some(error) = get("error") {
            let description = get("error_description").unwrap_or("");
            let kind = match error_kind(error, description) {
                FailureKind::OAuth2AdminConsentRequired => FailureKind::OAuth2AdminConsentRequired,
                _ => FailureKind::OAuth2AuthorizationDenied,
            };
            return Err(self.failure(
                kind,
                &pending.user,
                clip(&format!("{error}: {description}")),
            ));
        }
        let code = get("code").ok_or_else(|| denied("the answer holds no code".into()))?;
        let form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", pending.redirect_uri.clone()),
            (
                "code_verifier",
                pending.verifier.expose_secret().to_string(),
            ),
        ];
        let answer = self.token_request(&pending.user, form).await?;
        Ok(self.grant(&pending.user, answer, None))
    }

    /// Renews `grant`'s tokens with its refresh token: the new grant keeps
    /// the old refresh token when the provider did not rotate it.
    pub async fn refresh(&self, grant: &Grant) -> Result<Grant, Failure> {
        let Some(refresh) = &grant.refresh_token else {
            return Err(self.failure(
                FailureKind::OAuth2SignInExpired,
                &grant.user,
                "no refresh token was given at sign-in",
            ));
        };
        let form = vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", refresh.expose_secret().to_string()),
            ("scope", self.facts.scopes().join(" ")),
        ];
        let answer = self.token_request(&grant.user, form).await?;
        Ok(self.grant(&grant.user, answer, Some(grant)))
    }

    /// Asks the provider to forget `grant` (RFC 7009): its refresh token,
    /// which revokes the access tokens made from it too, else its access
    /// token. Delete the grant from the store as well: a provider without
    /// a revocation endpoint ([`Revocation::NotOffered`]: Microsoft) keeps
    /// the sign-in until it expires or the user removes the application's
    /// access in their account's settings. An unreachable provider is
    /// OA005, a refused request OA004.
    pub async fn revoke(&self, grant: &Grant) -> Result<Revocation, Failure> {
        let Some(endpoint) = &self.facts.revocation_url else {
            return Ok(Revocation::NotOffered);
        };
        let endpoint = self.url(endpoint)?;
        let form = match &grant.refresh_token {
            Some(refresh) => vec![
                ("token", refresh.expose_secret().to_string()),
                ("token_type_hint", "refresh_token".to_string()),
            ],
            None => vec![
                ("token", grant.access_token.expose_secret().to_string()),
                ("token_type_hint", "access_token".to_string()),
            ],
        };
        match self.post(&endpoint, &grant.user, form).await {
            // RFC 7009 2.2: 200 also for a token already invalid.
            Ok(_) => Ok(Revocation::Revoked),
            Err(Refusal::Answer(body)) => {
                let mut error: ErrorAnswer = serde_json::from_slice(&body).unwrap_or_default();
                if error.error.is_empty() {
                    error.error = "invalid_request".to_string();
                }
                // Whatever the provider says, the request was refused: the
                // client is at fault, never the user's sign-in.
                Err(self.failure(
                    FailureKind::OAuth2ClientRefused,
                    &grant.user,
                    clip(&format!(
                        "revocation refused: {}: {}",
                        error.error,
                        error.error_description.as_deref().unwrap_or("")
                    )),
                ))
            }
            Err(Refusal::Failed(failure)) => Err(failure),
        }
    }

    /// Starts a device-flow sign-in of `user` (OA011 when the provider
    /// offers none for the mail scopes).
    pub async fn start_device(&self, user: &str) -> Result<DeviceAuthorization, Failure> {
        let Some(endpoint) = &self.facts.device_authorization_url else {
            return Err(self.failure(
                FailureKind::OAuth2ClientRefused,
                user,
                "the provider offers no device sign-in for mail",
            ));
        };
        let endpoint = self.url(endpoint)?;
        let form = vec![("scope", self.facts.scopes().join(" "))];
        let body = match self.post(&endpoint, user, form).await {
            Ok(body) => body,
            Err(Refusal::Answer(body)) => {
                let error: ErrorAnswer = serde_json::from_slice(&body).unwrap_or_default();
                return Err(self.error_failure(user, &error));
            }
            Err(Refusal::Failed(failure)) => return Err(failure),
        };
        let answer: DeviceAnswer = serde_json::from_slice(&body).map_err(|e| {
            self.failure(
                FailureKind::OAuth2ProviderUnreachable,
                user,
                format!("an answer that is not a device authorization ({e})"),
            )
        })?;
        let expires_in = number(&answer.expires_in).unwrap_or(600).min(3600);
        let interval = answer
            .interval
            .as_ref()
            .and_then(number)
            .unwrap_or(5)
            .clamp(1, 60);
        Ok(DeviceAuthorization {
            user_code: clip(&answer.user_code),
            verification_uri: clip(&answer.verification_uri),
            verification_uri_complete: answer.verification_uri_complete.map(|u| clip(&u)),
            expires_at: SystemTime::now() + Duration::from_secs(expires_in),
            interval: Duration::from_secs(interval),
            user: user.to_string(),
            device_code: SecretString::from(answer.device_code),
        })
    }

    /// Waits for the user to finish a device-flow sign-in, polling at the
    /// provider's pace, until it is approved, denied or expired.
    pub async fn finish_device(&self, device: &DeviceAuthorization) -> Result<Grant, Failure> {
        let mut interval = device.interval;
        loop {
            if SystemTime::now() > device.expires_at {
                return Err(self.failure(
                    FailureKind::OAuth2AuthorizationDenied,
                    &device.user,
                    "the code expired before the sign-in was approved",
                ));
            }
            tokio::time::sleep(interval).await;
            let form = vec![
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:device_code".to_string(),
                ),
                (
                    "device_code",
                    device.device_code.expose_secret().to_string(),
                ),
            ];
            match self.token_request_raw(&device.user, form).await? {
                Ok(answer) => return Ok(self.grant(&device.user, answer, None)),
                Err(error) if error.error == "authorization_pending" => {}
                Err(error) if error.error == "slow_down" => interval += Duration::from_secs(5),
                Err(error) => return Err(self.error_failure(&device.user, &error)),
            }
        }
    }

    fn error_failure(&self, user: &str, error: &ErrorAnswer) -> Failure {
        let description = error.error_description.as_deref().unwrap_or("");
        self.failure(
            error_kind(&error.error, description),
            user,
            clip(&format!("{}: {description}", error.error)),
        )
    }

    /// A request to the token endpoint: its answer, or the failure its
    /// error means.
    async fn token_request(
        &self,
        user: &str,
        form: Vec<(&'static str, String)>,
    ) -> Result<TokenAnswer, Failure> {
        self.token_request_raw(user, form)
            .await?
            .map_err(|error| self.error_failure(user, &error))
    }

    /// A request to the token endpoint: its answer, or its error answer.
    async fn token_request_raw(
        &self,
        user: &str,
        form: Vec<(&'static str, String)>,
    ) -> Result<Result<TokenAnswer, ErrorAnswer>, Failure> {
        let endpoint = self.url(&self.facts.token_url)?;
        let body = match self.post(&endpoint, user, form).await {
            Ok(body) => body,
            Err(Refusal::Answer(body)) => {
                let error: ErrorAnswer = serde_json::from_slice(&body).unwrap_or_default();
                if error.error.is_empty() {
                    return Err(self.failure(
                        FailureKind::OAuth2ProviderUnreachable,
                        user,
                        "an error answer that is not OAuth2's",
                    ));
                }
                return Ok(Err(error));
            }
            Err(Refusal::Failed(failure)) => return Err(failure),
        };
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| {
            let what = match e.classify() {
                serde_json::error::Category::Data => "a JSON answer without a token",
                _ => "an answer that is not JSON",
            };
            self.failure(FailureKind::OAuth2ProviderUnreachable, user, what)
        })?;
        // An empty token would be stored, then refused by every server.
        if answer.access_token.trim().is_empty() {
            return Err(self.failure(
                FailureKind::OAuth2ProviderUnreachable,
                user,
                "an answer with an empty token",
            ));
        }
        if let Some(kind) = &answer.token_type
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(self.failure(
                FailureKind::OAuth2ClientRefused,
                user,
                format!("a token of type {} (not Bearer)", clip(kind)),
            ));
        }
        Ok(Ok(answer))
    }

    /// Posts `form` (with the client's id and secret) to `endpoint`: the
    /// body of a 2xx answer, or of a 4xx one as [`Refusal::Answer`].
    async fn post(
        &self,
        endpoint: &str,
        user: &str,
        mut form: Vec<(&'static str, String)>,
    ) -> Result<Vec<u8>, Refusal> {
        form.push(("client_id", self.client.client_id.clone()));
        if let Some(secret) = &self.client.client_secret {
            form.push(("client_secret", secret.expose_secret().to_string()));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(n, v)| (*n, v.as_str())))
            .finish();
        let unreachable = |detail: String| {
            Refusal::Failed(self.failure(FailureKind::OAuth2ProviderUnreachable, user, detail))
        };
        let mut response = self
            .http
            .post(endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| unreachable(describe(&e)))?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| unreachable(describe(&e)))?
        {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_ANSWER {
                return Err(unreachable(format!("an answer over {MAX_ANSWER} bytes")));
            }
        }
        if status.is_success() {
            Ok(bytes)
        } else if status.is_client_error() && status.as_u16() != 429 {
            Err(Refusal::Answer(bytes))
        } else {
            Err(unreachable(format!("HTTP {}", status.as_u16())))
        }
    }

    /// The grant a token answer makes, keeping what `previous` had that
    /// the answer does not renew.
    fn grant(&self, user: &str, answer: TokenAnswer, previous: Option<&Grant>) -> Grant {
        let now = SystemTime::now();
        let scopes = match &answer.scope {
            Some(scope) => scope.split_whitespace().map(str::to_string).collect(),
            None => previous.map_or_else(
                || {
                    self.facts
                        .scopes()
                        .iter()
                        .map(|s| (*s).to_string())
                        .collect()
                },
                |p| p.scopes.clone(),
            ),
        };
        Grant {
            provider: self.provider_id.clone(),
            client_id: self.client.client_id.clone(),
            user: user.to_string(),
            tenant: previous.map_or_else(|| self.client.tenant.clone(), |p| p.tenant.clone()),
            access_token: SecretString::from(answer.access_token),
            expires_at: answer
                .expires_in
                .as_ref()
                .and_then(number)
                .map(|s| now + Duration::from_secs(s)),
            refresh_token: answer
                .refresh_token
                .map(SecretString::from)
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            scopes,
            signed_in_at: previous.map_or(now, |p| p.signed_in_at),
            refreshed_at: previous.map(|_| now),
        }
    }
}

/// What signing out told the provider ([`SignIn::revoke`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revocation {
    /// The provider forgot the sign-in: its tokens no longer work.
    Revoked,
    /// The provider offers no revocation endpoint: the sign-in lasts until
    /// it expires or the user removes the application's access in their
    /// account's settings.
    NotOffered,
}

/// A request that did not give a token: the server's error answer (to
/// read), or a failure already made.
enum Refusal {
    Answer(Vec<u8>),
    Failed(Failure),
}

/// A reqwest error in plain words, without its URL (which may carry a
/// query).
fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let what = if e.is_timeout() {
        "no answer in time".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = e.source();
    let mut cause = String::new();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        what
    } else {
        format!("{what}: {}", clip(&cause))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_follows_rfc_7636_appendix_b() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let a = random(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random(32));
    }

    #[test]
    fn error_answers_map_to_what_the_user_must_do() {
        use FailureKind as K;
        assert_eq!(
            error_kind(
                "invalid_grant",
                "AADSTS700082: The refresh token has expired"
            ),
            K::OAuth2SignInExpired
        );
        assert_eq!(
            error_kind(
                "invalid_grant",
                "AADSTS65001: The user or administrator has not consented to use the application"
            ),
            K::OAuth2AdminConsentRequired
        );
        assert_eq!(
            error_kind("access_denied", ""),
            K::OAuth2AuthorizationDenied
        );
        assert_eq!(
            error_kind("invalid_client", "bad secret"),
            K::OAuth2ClientRefused
        );
        assert_eq!(
            error_kind("unauthorized_client", ""),
            K::OAuth2ClientRefused
        );
        assert_eq!(
            error_kind("temporarily_unavailable", ""),
            K::OAuth2ProviderUnreachable
        );
        assert_eq!(
            error_kind("admin_policy_enforced", ""),
            K::OAuth2AdminConsentRequired
        );
    }

    #[test]
    fn numbers_come_as_numbers_or_strings() {
        assert_eq!(number(&serde_json::json!(3599)), Some(3599));
        assert_eq!(number(&serde_json::json!("3599")), Some(3599));
        assert_eq!(number(&serde_json::json!(null)), None);
    }
}
