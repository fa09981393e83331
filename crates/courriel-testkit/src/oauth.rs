//! OAuth 2.0 against the test authorization server (oidc-provider,
//! `xtask/mail-servers/oauth/server.js`, HTTPS on 127.0.0.1): the real
//! authorization code flow with PKCE, driven as a user's browser would but
//! without one (its login form posted, consent granted by the server, the
//! code read from the redirect's `Location`, no listener on the loopback
//! redirect URI), the token endpoint (code, refresh), revocation and
//! introspection; and the SASL initial responses of XOAUTH2 and
//! OAUTHBEARER (RFC 7628) that log in to Dovecot and Postfix with a token.
//! For the faults a real server does not make on demand, a token endpoint
//! of our own ([`Servers::oauth_fault_endpoint`], on the web server of
//! `web.rs`) answers whatever a test chooses.
//!
//! The HTTP client is a small one of our own, HTTP/1.1 over rustls
//! trusting the test CA only, one connection per request, like the raw SMTP
//! and IMAP clients.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::io::{self, Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};
use sha2::{Digest as _, Sha256};

use crate::wire::{sasl_base64, tls_config};
use crate::{Account, Reply, Route, Servers, Web};

/// The redirect URI the flow asks for: the loopback, on a port where
/// nothing listens (the server allows any port, RFC 8252); the code is read
/// from the redirect, never delivered.
pub const REDIRECT_URI: &str = "http://127.0.0.1:53682/";

/// What the token endpoint gave (RFC 6749 5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The access token: opaque (43 characters), or a JWT for the JWT client.
    pub access_token: String,
    /// The refresh token, when `offline_access` was asked for.
    pub refresh_token: Option<String>,
    /// The access token's lifetime in seconds.
    pub expires_in: Option<u64>,
    /// The scopes granted, space-separated.
    pub scope: Option<String>,
    /// `Bearer`.
    pub token_type: String,
    /// The ID token, when `openid` was asked for.
    pub id_token: Option<String>,
}

/// An OAuth 2.0 error: in the redirect to the client (authorization,
/// RFC 6749 4.1.2.1, `status` 0) or from an endpoint (5.2, with its HTTP
/// status), or a login the form refused (`invalid_login`, ours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The HTTP status of the endpoint's answer; 0 for a redirect.
    pub status: u16,
    /// `error`: `invalid_grant`, `consent_required`, `access_denied`...
    pub error: String,
    /// `error_description`, if any.
    pub description: Option<String>,
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.error, self.status)?;
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthError {}

/// An HTTP response, its body decoded (chunked or not) as text.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The header fields, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl HttpResponse {
    /// The first header field called `name` (lowercase).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not).
    #[must_use]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// How a request authenticates its client at an endpoint.
#[derive(Debug, Clone, Copy)]
pub enum ClientAuth<'a> {
    /// A public client: `client_id` in the form.
    Public(&'a str),
    /// `client_secret_basic`: id and secret in the Authorization header.
    Basic(&'a str, &'a str),
    /// `client_secret_post`: id and secret in the form.
    Post(&'a str, &'a str),
}

/// XOAUTH2's initial response, base64: `user=USER^Aauth=Bearer TOKEN^A^A`.
#[must_use]
pub fn xoauth2(user: &str, token: &str) -> String {
    sasl_base64(format!("user={user}\x01auth=Bearer {token}\x01\x01").as_bytes())
}

/// OAUTHBEARER's initial response (RFC 7628), base64:
/// `n,a=USER,^Ahost=HOST^Aport=PORT^Aauth=Bearer TOKEN^A^A` (`,` and `=`
/// in the user escaped as RFC 5801 says).
#[must_use]
pub fn oauthbearer(user: &str, host: &str, port: u16, token: &str) -> String {
    let user = user.replace('=', "=3D").replace(',', "=2C");
    sasl_base64(
        format!("n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
            .as_bytes(),
    )
}

impl Servers {
    /// The authorization server's issuer, `https://127.0.0.1:PORT` (the
    /// test certificate covers the address): its metadata is at
    /// `/.well-known/openid-configuration` (and RFC 8414's
    /// `/.well-known/oauth-authorization-server`), its endpoints are
    /// `/auth`, `/token`, `/token/introspection`, `/token/revocation`,
    /// `/device/auth` (RFC 8628), `/jwks`, `/me`.
    #[must_use]
    pub fn oauth_issuer(&self) -> String {
        format!("https://{}:{}", self.host, self.oauth_port)
    }

    /// A provider file (RON) making the authorization server a provider of
    /// the catalog, `test-oauth` ("Test OAuth"): its OAuth2 endpoints,
    /// scopes `imap` and `smtp` with `offline_access`, PKCE, XOAUTH2 and
    /// OAUTHBEARER. Its servers' names are placeholders (the catalog takes
    /// no address): accounts name the test Postfix and Dovecot.
    #[must_use]
    pub fn oauth_provider_ron(&self) -> String {
        self.oauth_provider_ron_at(&self.oauth_issuer())
    }

    /// [`Servers::oauth_provider_ron`] with its endpoints at `issuer`
    /// (`https://HOST:PORT`) instead: for a provider whose token endpoint
    /// is [`Servers::oauth_fault_endpoint`]'s.
    #[must_use]
    pub fn oauth_provider_ron_at(&self, issuer: &str) -> String {
        let s = self;
        format!(
            r#"Provider(
        id: "test-oauth",
        name: "Test OAuth",
        domains: ["oauth.courriel.test"],
        smtp: [Server(host: "smtp.oauth.courriel.test", port: {smtp}, security: Starttls, username: Address)],
        imap: [Server(host: "imap.oauth.courriel.test", port: {imap}, security: ImplicitTls, username: Address)],
        sender_policy: MustMatchLogin,
        auth: OAuth2Only,
{block}        sent_copy: ClientFiles,
        source: ["https://github.com/panva/node-oidc-provider"],
        last_checked: "2026-12-07",
)
"#,
            smtp = s.smtp_starttls_port,
            imap = s.imap_tls_port,
            block = oauth2_block_ron(issuer),
        )
    }

    /// A token endpoint of our own, for the faults the authorization
    /// server does not make on demand (a 5xx, an answer that is not JSON
    /// or too large, an `invalid_grant` for a grant it would accept, no
    /// answer at all): `/token` on this host over TLS, with the test
    /// certificate, answers every request with `reply`. The returned
    /// [`Web`] records each request and its form; its issuer, for
    /// [`Servers::oauth_provider_ron_at`], is `https://HOST:PORT`.
    #[must_use]
    pub fn oauth_fault_endpoint(&self, reply: Reply) -> Web {
        crate::serve_web_routes(
            true,
            vec![Route {
                host: self.host.clone(),
                path: "/token".into(),
                reply,
            }],
        )
    }

    /// Signs `account` in with the public client `courriel-test` for
    /// `scope` (e.g. `"openid offline_access imap smtp"`): the tokens, or
    /// a panic saying why not.
    #[must_use]
    pub fn oauth_tokens(&self, account: &Account, scope: &str) -> Tokens {
        self.oauth_sign_in(&self.oauth_client, account, scope)
            .unwrap_or_else(|e| panic!("OAuth sign-in of {}: {e}", account.address))
    }

    /// The authorization code flow with PKCE (S256) for `client_id` (a
    /// public client: `oauth_client`, `oauth_short_client`,
    /// `oauth_jwt_client`, `oauth_admin_consent_client`): the
    /// authorization request with [`REDIRECT_URI`], the login form posted
    /// with `account`'s address and password, consent (granted by the
    /// server for what was asked), the code taken from the redirect (its
    /// `state` and `iss` checked), exchanged at the token endpoint. An
    /// error in the redirect (`consent_required`, `invalid_scope`...), a
    /// refused login (`invalid_login`) or the token endpoint's error is
    /// the `Err`.
    pub fn oauth_sign_in(
        &self,
        client_id: &str,
        account: &Account,
        scope: &str,
    ) -> Result<Tokens, OAuthError> {
        let code = self.oauth_authorize(client_id, account, scope)?;
        self.oauth_exchange(ClientAuth::Public(client_id), &code)
    }

    /// The flow of [`Servers::oauth_sign_in`] up to the redirect: the code
    /// and its PKCE verifier, for a test that exchanges it itself (with a
    /// confidential client, say: [`Servers::oauth_token_request`]).
    pub fn oauth_authorize(
        &self,
        client_id: &str,
        account: &Account,
        scope: &str,
    ) -> Result<AuthorizationCode, OAuthError> {
        let verifier = base64url(&random::<32>());
        let challenge = base64url(&Sha256::digest(verifier.as_bytes()));
        let state = base64url(&random::<16>());
        let query = form(&[
            ("client_id", client_id),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("scope", scope),
            ("state", &state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]);
        let location = self.oauth_approve(&format!("/auth?{query}"), account, REDIRECT_URI)?;
        let query = location.strip_prefix(REDIRECT_URI).unwrap_or_default();
        let params = parse_query(query.trim_start_matches('?'));
        let get = |k: &str| params.get(k).cloned();
        if get("state").as_deref() != Some(state.as_str()) {
            return Err(oauth_error(0, "state_mismatch", Some(location)));
        }
        if get("iss") != Some(self.oauth_issuer()) {
            return Err(oauth_error(0, "iss_mismatch", Some(location)));
        }
        if let Some(error) = get("error") {
            return Err(oauth_error(0, &error, get("error_description")));
        }
        let code = get("code").ok_or_else(|| oauth_error(0, "no_code", None))?;
        Ok(AuthorizationCode { code, verifier })
    }

    /// Plays the user at the authorization server: opens `start` (a path
    /// on the server, or its full https URL, as a client library made it),
    /// logs in as `account` on the login form and approves, until the
    /// server redirects to an address starting with `redirect`: that
    /// address, whole (the answer's query in it).
    pub fn oauth_approve(
        &self,
        start: &str,
        account: &Account,
        redirect: &str,
    ) -> Result<String, OAuthError> {
        self.play(start, Some(account), |response| {
            response
                .header("location")
                .filter(|l| l.starts_with(redirect))
                .map(|l| Ok(l.to_string()))
        })
    }

    /// Plays the user of a device-flow sign-in (RFC 8628): opens the
    /// `verification_uri_complete` a client library was given, confirms
    /// the code, logs in as `account` and approves, until the server says
    /// the device is signed in.
    pub fn oauth_approve_device(
        &self,
        verification_uri_complete: &str,
        account: &Account,
    ) -> Result<(), OAuthError> {
        self.play(verification_uri_complete, Some(account), |response| {
            let page = response.status == 200
                && response.header("location").is_none()
                && form_action(&response.body).is_none();
            page.then(|| {
                if response.body.contains("Success") {
                    Ok(())
                } else {
                    Err(oauth_error(
                        response.status,
                        "device_not_approved",
                        Some(response.body.clone()),
                    ))
                }
            })
        })
    }

    /// Plays a user who cancels a sign-in: opens `start` (as
    /// [`Servers::oauth_approve`] does) and, on the login form, follows its
    /// "Cancel" link, until the server redirects to an address starting
    /// with `redirect`: that address, whole (its query says
    /// `error=access_denied`).
    pub fn oauth_cancel(&self, start: &str, redirect: &str) -> Result<String, OAuthError> {
        self.play(start, None, |response| {
            response
                .header("location")
                .filter(|l| l.starts_with(redirect))
                .map(|l| Ok(l.to_string()))
        })
    }

    /// The user's side of a sign-in: from `start`, follows redirects and
    /// submits each form (its hidden fields, with `account`'s login and
    /// password where it asks for them; without an account, the login
    /// form's "Cancel" link is followed instead) until `done` says it is
    /// over.
    fn play<T>(
        &self,
        start: &str,
        account: Option<&Account>,
        done: impl Fn(&HttpResponse) -> Option<Result<T, OAuthError>>,
    ) -> Result<T, OAuthError> {
        let issuer = self.oauth_issuer();
        let path = start.strip_prefix(issuer.as_str()).unwrap_or(start);
        let mut browser = Browser::new(self);
        let mut response = browser.get(path);
        let mut logged_in = false;
        for _ in 0..12 {
            if let Some(over) = done(&response) {
                return over;
            }
            if let Some(location) = response.header("location").map(str::to_string) {
                let next = location.strip_prefix(issuer.as_str()).unwrap_or(&location);
                response = browser.get(next);
            } else if let (None, Some(cancel)) = (account, cancel_link(&response.body)) {
                response = browser.get(cancel.strip_prefix(issuer.as_str()).unwrap_or(&cancel));
            } else if let Some(action) = form_action(&response.body) {
                let mut fields = hidden_inputs(&response.body);
                if response.body.contains("name=\"password\"")
                    && let Some(account) = account
                {
                    if logged_in {
                        return Err(oauth_error(
                            response.status,
                            "invalid_login",
                            Some(format!("the login form refused {}", account.address)),
                        ));
                    }
                    logged_in = true;
                    fields.push(("login".into(), account.address.clone()));
                    fields.push(("password".into(), account.password.clone()));
                }
                let pairs: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let action = action
                    .strip_prefix(issuer.as_str())
                    .unwrap_or(&action)
                    .to_string();
                response = browser.post_form(&action, &form(&pairs));
            } else {
                return Err(oauth_error(
                    response.status,
                    "unexpected_page",
                    Some(response.body),
                ));
            }
        }
        Err(oauth_error(0, "too_many_redirects", None))
    }

    /// Exchanges an authorization code at the token endpoint.
    pub fn oauth_exchange(
        &self,
        client: ClientAuth<'_>,
        code: &AuthorizationCode,
    ) -> Result<Tokens, OAuthError> {
        self.oauth_token_request(
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code.code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &code.verifier),
            ],
        )
    }

    /// The refresh token grant for the public client `client_id`: new
    /// tokens, among them a new refresh token (they rotate: the one given
    /// is spent, and using it again is `invalid_grant`, which also revokes
    /// every token of that sign-in).
    pub fn oauth_refresh(
        &self,
        client_id: &str,
        refresh_token: &str,
    ) -> Result<Tokens, OAuthError> {
        self.oauth_token_request(
            ClientAuth::Public(client_id),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
    }

    /// A request to the token endpoint with `params` (besides the client's
    /// authentication): the tokens, or the endpoint's error.
    pub fn oauth_token_request(
        &self,
        client: ClientAuth<'_>,
        params: &[(&str, &str)],
    ) -> Result<Tokens, OAuthError> {
        let response = self.oauth_post("/token", client, params);
        let json = response.json();
        if response.status != 200 {
            return Err(endpoint_error(&response));
        }
        let text = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_string);
        Ok(Tokens {
            access_token: text("access_token")
                .ok_or_else(|| oauth_error(200, "no_access_token", Some(response.body.clone())))?,
            refresh_token: text("refresh_token"),
            expires_in: json.get("expires_in").and_then(serde_json::Value::as_u64),
            scope: text("scope"),
            token_type: text("token_type").unwrap_or_default(),
            id_token: text("id_token"),
        })
    }

    /// Revokes `token` (RFC 7009) as the public client `client_id`, which
    /// it was issued to; `hint` is `access_token` or `refresh_token`.
    /// Revoking a refresh token revokes its sign-in's access tokens too.
    pub fn oauth_revoke(&self, client_id: &str, token: &str, hint: &str) -> Result<(), OAuthError> {
        let response = self.oauth_post(
            "/token/revocation",
            ClientAuth::Public(client_id),
            &[("token", token), ("token_type_hint", hint)],
        );
        if response.status == 200 {
            Ok(())
        } else {
            Err(endpoint_error(&response))
        }
    }

    /// What the server says of `token` (RFC 7662) to its resource server,
    /// Dovecot, as Dovecot asks: `{"active": true, "sub": ..., "scope":
    /// ..., "exp": ...}` or `{"active": false}`. JWT access tokens are not
    /// kept by the server: they are never active here (Dovecot checks
    /// their signature instead).
    #[must_use]
    pub fn oauth_introspect(&self, token: &str) -> serde_json::Value {
        let secret = std::fs::read_to_string(self.dir.join("oauth/config.json"))
            .ok()
            .and_then(|c| serde_json::from_str::<serde_json::Value>(&c).ok())
            .and_then(|c| c["dovecot_client_secret"].as_str().map(str::to_string))
            .expect("the Dovecot client's secret in oauth/config.json");
        let response = self.oauth_post(
            "/token/introspection",
            ClientAuth::Basic("dovecot", &secret),
            &[("token", token)],
        );
        assert_eq!(response.status, 200, "introspection: {}", response.body);
        response.json()
    }

    /// POSTs the form `params` to `path` of the authorization server,
    /// authenticated as `client` says.
    #[must_use]
    pub fn oauth_post(
        &self,
        path: &str,
        client: ClientAuth<'_>,
        params: &[(&str, &str)],
    ) -> HttpResponse {
        let mut params: Vec<(&str, &str)> = params.to_vec();
        let mut headers = vec![(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        )];
        match client {
            ClientAuth::Public(id) => params.push(("client_id", id)),
            ClientAuth::Post(id, secret) => {
                params.push(("client_id", id));
                params.push(("client_secret", secret));
            }
            ClientAuth::Basic(id, secret) => {
                // RFC 6749 2.3.1: each form-encoded before base64.
                let credentials = format!("{}:{}", form_encode(id), form_encode(secret));
                headers.push((
                    "Authorization".to_string(),
                    format!("Basic {}", sasl_base64(credentials.as_bytes())),
                ));
            }
        }
        self.oauth_http("POST", path, &headers, form(&params).as_bytes())
            .unwrap_or_else(|e| panic!("POST {path} on the authorization server: {e}"))
    }

    /// One HTTP/1.1 request to the authorization server (a connection of
    /// its own, closed after): the response, body decoded.
    pub fn oauth_http(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> io::Result<HttpResponse> {
        let tcp = TcpStream::connect((self.host.as_str(), self.oauth_port))?;
        tcp.set_read_timeout(Some(Duration::from_secs(15)))?;
        tcp.set_write_timeout(Some(Duration::from_secs(15)))?;
        let name = ServerName::try_from(self.host.clone()).map_err(io::Error::other)?;
        let conn = ClientConnection::new(tls_config(&self.ca)?, name).map_err(io::Error::other)?;
        let mut stream = StreamOwned::new(conn, tcp);
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\nAccept: application/json, text/html\r\nContent-Length: {}\r\n",
            self.host,
            self.oauth_port,
            body.len()
        );
        for (name, value) in headers {
            let _ = write!(request, "{name}: {value}\r\n");
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes())?;
        stream.write_all(body)?;
        stream.flush()?;
        let mut raw = Vec::new();
        match stream.read_to_end(&mut raw) {
            Ok(_) => {}
            // A server closing without TLS's close_notify: the response is whole.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
            Err(e) => return Err(e),
        }
        parse_response(&raw)
    }
}

/// An authorization code and the PKCE verifier that goes with it.
#[derive(Debug, Clone)]
pub struct AuthorizationCode {
    /// The code from the redirect.
    pub code: String,
    /// The PKCE `code_verifier` (its S256 challenge went in the request).
    pub verifier: String,
}

/// A user agent for the flow: cookies kept by name (one sign-in at a time),
/// redirects not followed (the caller reads each `Location`).
struct Browser<'a> {
    servers: &'a Servers,
    cookies: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    fn new(servers: &'a Servers) -> Browser<'a> {
        Browser {
            servers,
            cookies: BTreeMap::new(),
        }
    }

    fn get(&mut self, url: &str) -> HttpResponse {
        self.request("GET", url, &[], b"")
    }

    fn post_form(&mut self, url: &str, body: &str) -> HttpResponse {
        let headers = [(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        )];
        self.request("POST", url, &headers, body.as_bytes())
    }

    fn request(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> HttpResponse {
        let issuer = self.servers.oauth_issuer();
        let path = url.strip_prefix(&issuer).unwrap_or(url);
        assert!(
            path.starts_with('/'),
            "the sign-in left the authorization server for {url}"
        );
        let mut headers = headers.to_vec();
        if !self.cookies.is_empty() {
            let cookies: Vec<String> = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            headers.push(("Cookie".to_string(), cookies.join("; ")));
        }
        let response = self
            .servers
            .oauth_http(method, path, &headers, body)
            .unwrap_or_else(|e| panic!("{method} {path} on the authorization server: {e}"));
        for (name, value) in &response.headers {
            if name != "set-cookie" {
                continue;
            }
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_string(), value.trim().to_string());
                }
            }
        }
        response
    }
}

fn oauth_error(status: u16, error: &str, description: Option<String>) -> OAuthError {
    OAuthError {
        status,
        error: error.to_string(),
        description,
    }
}

/// An endpoint's error answer (RFC 6749 5.2).
fn endpoint_error(response: &HttpResponse) -> OAuthError {
    let json = response.json();
    match json.get("error").and_then(|e| e.as_str()) {
        Some(error) => oauth_error(
            response.status,
            error,
            json.get("error_description")
                .and_then(|d| d.as_str())
                .map(str::to_string),
        ),
        None => oauth_error(response.status, "http_error", Some(response.body.clone())),
    }
}

/// The `action` of the page's first form, entities undone.
fn form_action(html: &str) -> Option<String> {
    let form = &html[html.find("<form")?..];
    let start = form.find("action=\"")? + "action=\"".len();
    let end = form[start..].find('"')?;
    Some(form[start..start + end].replace("&amp;", "&"))
}

/// The login page's "Cancel" link (`.../abort`), entities undone.
/// The `oauth2` block of a provider file (after `auth: OAuth2Only,`) for
/// the test authorization server at `issuer`: scopes `imap` and `smtp`
/// (what Dovecot asks of a token) with `offline_access`, PKCE, XOAUTH2 and
/// OAUTHBEARER, the device flow and revocation.
#[must_use]
pub fn oauth2_block_ron(issuer: &str) -> String {
    format!(
        r#"    oauth2: OAuth2(
        authorization_url: "{issuer}/auth",
        token_url: "{issuer}/token",
        device_authorization_url: "{issuer}/device/auth",
        revocation_url: "{issuer}/token/revocation",
        imap_scopes: ["imap"],
        smtp_scopes: ["smtp"],
        extra_scopes: ["offline_access"],
        pkce: Required,
        client_secret: NotForPublicClients,
        mechanisms: [XOAuth2, OAuthBearer],
        source: ["https://github.com/panva/node-oidc-provider"],
        last_checked: "2026-12-07",
    ),
"#
    )
}

fn cancel_link(html: &str) -> Option<String> {
    let end = html.find("/abort\"")? + "/abort".len();
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(html[start..end].replace("&amp;", "&"))
}

/// The hidden fields (`<input type="hidden" name=... value=...>`) of the
/// page's first form, in order.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let Some(start) = html.find("<form") else {
        return Vec::new();
    };
    let form = &html[start
        ..html[start..]
            .find("</form>")
            .map_or(html.len(), |e| start + e)];
    let attribute = |tag: &str, name: &str| {
        let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[at..].find('"')?;
        Some(tag[at..at + end].replace("&amp;", "&"))
    };
    form.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            if !tag.contains("type=\"hidden\"") {
                return None;
            }
            Some((
                attribute(tag, "name")?,
                attribute(tag, "value").unwrap_or_default(),
            ))
        })
        .collect()
}

/// `application/x-www-form-urlencoded` of `params`.
fn form(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char);
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (form_decode(k), form_decode(v)))
        .collect()
}

/// Base64url without padding (PKCE, RFC 7636).
fn base64url(input: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(input)
}

/// `N` random bytes from the TLS library's generator.
fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .expect("random bytes");
    bytes
}

/// Parses an HTTP/1.1 response read to the end of the connection.
fn parse_response(raw: &[u8]) -> io::Result<HttpResponse> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| io::Error::other("no end of header in the HTTP response"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("not an HTTP status line: {head}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body)?;
    }
    Ok(HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut input: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = input
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| io::Error::other("bad chunk"))?;
        let size_text = String::from_utf8_lossy(&input[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| io::Error::other(format!("bad chunk size {size_text:?}")))?;
        input = &input[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = input
            .get(..size)
            .ok_or_else(|| io::Error::other("truncated chunk"))?;
        out.extend_from_slice(chunk);
        input = input.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_round_trip() {
        let text = "alice@courriel.test a+b/c=d&é";
        assert_eq!(form_decode(&form_encode(text)), text);
        let query = parse_query("code=a%2Bb&state=x+y&iss=https%3A%2F%2F127.0.0.1%3A10444");
        assert_eq!(query["code"], "a+b");
        assert_eq!(query["state"], "x y");
        assert_eq!(query["iss"], "https://127.0.0.1:10444");
    }

    #[test]
    fn pkce_challenge_of_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            base64url(&Sha256::digest(verifier.as_bytes())),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_login_pages_cancel_link() {
        let page = r#"<form method="post" action="/interaction/u1/login"></form>
<p><a href="/interaction/u1/abort">Cancel</a></p>"#;
        assert_eq!(cancel_link(page).as_deref(), Some("/interaction/u1/abort"));
        assert_eq!(cancel_link("<p>no link</p>"), None);
    }

    #[test]
    fn chunked_bodies_are_joined() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
        let response = parse_response(raw).unwrap();
        assert_eq!(
            (response.status, response.body.as_str()),
            (200, "Wikipedia")
        );
    }

    #[test]
    fn sasl_initial_responses() {
        let decoded =
            |b64: &str| String::from_utf8(crate::wire::base64_decode(b64).unwrap()).unwrap();
        assert_eq!(
            decoded(&xoauth2("a@b.test", "tok")),
            "user=a@b.test\x01auth=Bearer tok\x01\x01"
        );
        assert_eq!(
            decoded(&oauthbearer("a,b=c@d.test", "localhost", 993, "tok")),
            "n,a=a=2Cb=3Dc@d.test,\x01host=localhost\x01port=993\x01auth=Bearer tok\x01\x01"
        );
    }
}
