//! The application's default provider, named by one DSN string, as
//! Symfony Mailer and Nodemailer configure theirs (the forms are listed on
//! `DefaultProvider`).
//!
//! The relays' hosts and ports are those Symfony Mailer's bridges use
//! (`symfony/symfony`, `src/Symfony/Component/Mailer/Bridge/*/Transport/*SmtpTransport.php`).
//! Keys and passwords are percent-decoded (`%40` for `@`), kept as secrets
//! (redacted from `Debug`), and never appear in an error: a bad DSN's
//! error names the part that is wrong and what to write instead.

use std::fmt;
use std::str::FromStr;

use courriel_core::Security;

use crate::sendgrid::SendGridSettings;
use crate::smtp::SmtpSettings;

/// The provider that sends for users without an SMTP server of their own,
/// named by one DSN ([`DefaultProvider::from_dsn`]):
///
/// | DSN | what |
/// |---|---|
/// | `sendgrid+api://KEY@default` | SendGrid's v3 API (`?region=eu`: its EU region) |
/// | `sendgrid+smtp://KEY@default` | SendGrid's SMTP relay, login `apikey` (`?region=eu`) |
/// | `brevo+smtp://LOGIN:KEY@default` | Brevo's SMTP relay |
/// | `mailjet+smtp://API_KEY:SECRET_KEY@default` | Mailjet's SMTP relay |
/// | `mailgun+smtp://LOGIN:PASSWORD@default` | Mailgun's SMTP relay (`?region=eu`) |
/// | `ses+smtp://USER:PASSWORD@default?region=eu-west-3` | Amazon SES's SMTP interface |
/// | `postmark+smtp://SERVER_TOKEN@default` | Postmark's SMTP relay (the token is login and password) |
/// | `smtp://USER:KEY@host:587` | any SMTP relay: STARTTLS on 587, TLS from the first byte on 465 |
/// | `smtps://USER:KEY@host` | any SMTP relay, TLS from the first byte (465 by default) |
///
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DefaultProvider {
    /// SendGrid's v3 Mail Send API.
    SendGridApi(SendGridSettings),
    /// An SMTP relay that signs in with an API key or SMTP password.
    SmtpRelay {
        /// Which relay (`sendgrid`, `brevo`... or `smtp` for any other).
        name: &'static str,
        /// Where and how to sign in.
        settings: SmtpSettings,
    },
}

/// A DSN that cannot be used: which part is wrong and what to write.
/// Never holds a key or password.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DsnError {
    /// The part: `scheme`, `key`, `password`, `host`, `port`, `query`.
    pub part: &'static str,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl fmt::Display for DsnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the default provider's DSN is wrong in its {}: {}",
            self.part, self.message
        )
    }
}

impl std::error::Error for DsnError {}

fn wrong(part: &'static str, message: impl Into<String>) -> DsnError {
    DsnError {
        part,
        message: message.into(),
    }
}

const SCHEMES: &str = "sendgrid+api, sendgrid+smtp, brevo+smtp, mailjet+smtp, mailgun+smtp, ses+smtp, postmark+smtp, smtp, smtps";

/// A DSN's parts, decoded.
struct Parts<'a> {
    scheme: &'a str,
    user: Option<String>,
    password: Option<String>,
    host: &'a str,
    port: Option<u16>,
    query: Vec<(&'a str, &'a str)>,
}

impl<'a> Parts<'a> {
    fn parse(dsn: &'a str) -> Result<Parts<'a>, DsnError> {
        let dsn = dsn.trim();
        let (scheme, rest) = dsn.split_once("://").ok_or_else(|| {
            wrong(
                "scheme",
                format!("it has no `scheme://`: write one of {SCHEMES}, e.g. `sendgrid+api://KEY@default`"),
            )
        })?;
        let (authority, query) = match rest.split_once('?') {
            Some((authority, query)) => (authority, Some(query)),
            None => (rest, None),
        };
        let authority = authority.strip_suffix('/').unwrap_or(authority);
        // The last `@` ends the credentials: a key may hold `@` only
        // percent-encoded, but be lenient with the ones that slip in.
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((credentials, host_port)) => (Some(credentials), host_port),
            None => (None, authority),
        };
        let (user, password) = match credentials {
            None => (None, None),
            Some(credentials) => {
                let (user, password) = match credentials.split_once(':') {
                    Some((user, password)) => (user, Some(password)),
                    None => (credentials, None),
                };
                let user = decode(user).ok_or_else(|| {
                    wrong("key", "a `%` in the key or login is not followed by two hexadecimal digits: percent-encode it (`%25` for `%`)")
                })?;
                let password = password
                    .map(|p| {
                        decode(p).ok_or_else(|| {
                            wrong("password", "a `%` in the password is not followed by two hexadecimal digits: percent-encode it (`%25` for `%`)")
                        })
                    })
                    .transpose()?;
                (
                    Some(user).filter(|u| !u.is_empty()),
                    password.filter(|p| !p.is_empty()),
                )
            }
        };
        if host_port.contains('/') {
            return Err(wrong(
                "host",
                "it has a path after the host: write `scheme://KEY@host[:port]`, options after `?`",
            ));
        }
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => {
                let port = port
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| {
                        wrong(
                            "port",
                            format!("`{port}` is not a port number (1 to 65535)"),
                        )
                    })?;
                (host, Some(port))
            }
            None => (host_port, None),
        };
        if host.is_empty() {
            return Err(wrong(
                "host",
                "it is empty: write `default` for the provider's own host, or the relay's host name",
            ));
        }
        let mut pairs = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| wrong("query", format!("`{pair}` is not `name=value`")))?;
            pairs.push((name, value));
        }
        Ok(Parts {
            scheme,
            user,
            password,
            host,
            port,
            query: pairs,
        })
    }

    /// The one option allowed, `region`, or none; any other is an error.
    fn region(&self, allowed: bool) -> Result<Option<&'a str>, DsnError> {
        let mut region = None;
        for &(name, value) in &self.query {
            match name {
                "region" if allowed => region = Some(value),
                _ => {
                    let known = if allowed {
                        "the only option here is `region`"
                    } else {
                        "this scheme takes no option"
                    };
                    return Err(wrong("query", format!("unknown option `{name}`: {known}")));
                }
            }
        }
        Ok(region)
    }

    /// The provider's own host: `default`, and no port.
    fn default_host(&self) -> Result<(), DsnError> {
        if self.host != "default" || self.port.is_some() {
            return Err(wrong(
                "host",
                format!(
                    "`{}` names a host, but `{}` always uses its provider's own: write `@default`, or use `smtp://` for another relay",
                    self.host, self.scheme
                ),
            ));
        }
        Ok(())
    }

    fn key(&self, what: &str) -> Result<String, DsnError> {
        self.user.clone().ok_or_else(|| {
            wrong(
                "key",
                format!(
                    "it is missing: write the {what} before `@` (`{}://KEY@default`)",
                    self.scheme
                ),
            )
        })
    }

    fn login_and_password(&self, what: &str) -> Result<(String, String), DsnError> {
        let example = format!("`{}://LOGIN:PASSWORD@...`", self.scheme);
        let user = self.user.clone().ok_or_else(|| {
            wrong(
                "key",
                format!("the login is missing: write {what} as {example}"),
            )
        })?;
        let password = self.password.clone().ok_or_else(|| {
            wrong(
                "password",
                format!("it is missing: write {what} as {example}"),
            )
        })?;
        Ok((user, password))
    }
}

/// Percent-decodes `text`; `None` for a `%` not followed by two hex digits.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn relay(
    name: &'static str,
    host: String,
    port: u16,
    security: Security,
    (username, password): (String, String),
) -> DefaultProvider {
    DefaultProvider::SmtpRelay {
        name,
        settings: SmtpSettings::new(host, port, security, username, password),
    }
}

/// A region name as it goes into a host name: lower-case letters, digits
/// and `-` only.
fn region_label(region: &str) -> Result<&str, DsnError> {
    let valid = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(region)
    } else {
        Err(wrong(
            "query",
            format!("`region={region}` is not a region name (lower-case letters, digits and `-`)"),
        ))
    }
}

/// SendGrid, through its API or its SMTP relay, in either region.
fn sendgrid(parts: &Parts<'_>) -> Result<DefaultProvider, DsnError> {
    parts.default_host()?;
    let key = parts.key("SendGrid API key")?;
    let eu = match parts.region(true)? {
        None | Some("global") => false,
        Some("eu") => true,
        Some(other) => {
            return Err(wrong(
                "query",
                format!("`region={other}`: SendGrid's regions are `global` (the default) and `eu`"),
            ));
        }
    };
    if parts.scheme == "sendgrid+smtp" {
        let host = if eu {
            "smtp.eu.sendgrid.net"
        } else {
            "smtp.sendgrid.net"
        };
        return Ok(relay(
            "sendgrid",
            host.to_string(),
            465,
            Security::ImplicitTls,
            ("apikey".to_string(), key),
        ));
    }
    let settings = SendGridSettings::new(key);
    Ok(DefaultProvider::SendGridApi(if eu {
        settings
            .with_base_url("https://api.eu.sendgrid.com")
            .expect("an https URL")
    } else {
        settings
    }))
}

/// Any SMTP relay, by host name.
fn any_relay(parts: &Parts<'_>) -> Result<DefaultProvider, DsnError> {
    if parts.host == "default" {
        return Err(wrong(
            "host",
            "`default` is for a named provider (`brevo+smtp://...@default`): write the relay's host name",
        ));
    }
    parts.region(false)?;
    let implicit = parts.scheme == "smtps";
    let port = parts.port.unwrap_or(if implicit { 465 } else { 587 });
    let security = if implicit || port == 465 {
        Security::ImplicitTls
    } else if port == 25 {
        return Err(wrong(
            "port",
            "25 is for relaying between servers: a relay takes submissions on 587 (STARTTLS) or 465 (TLS)",
        ));
    } else {
        Security::Starttls
    };
    let login = parts.login_and_password("the relay's login and API key")?;
    Ok(relay(
        "smtp",
        parts.host.to_ascii_lowercase(),
        port,
        security,
        login,
    ))
}

impl DefaultProvider {
    /// Reads a DSN (see the table on [`DefaultProvider`]).
    pub fn from_dsn(dsn: &str) -> Result<DefaultProvider, DsnError> {
        let parts = Parts::parse(dsn)?;
        match parts.scheme {
            "sendgrid+api" | "sendgrid" | "sendgrid+smtp" => sendgrid(&parts),
            "brevo+smtp" => {
                parts.default_host()?;
                parts.region(false)?;
                let login = parts.login_and_password("Brevo's SMTP login and SMTP key")?;
                Ok(relay(
                    "brevo",
                    "smtp-relay.brevo.com".to_string(),
                    465,
                    Security::ImplicitTls,
                    login,
                ))
            }
            "mailjet+smtp" => {
                parts.default_host()?;
                parts.region(false)?;
                let login = parts.login_and_password("Mailjet's API key and secret key")?;
                Ok(relay(
                    "mailjet",
                    "in-v3.mailjet.com".to_string(),
                    587,
                    Security::Starttls,
                    login,
                ))
            }
            "mailgun+smtp" => {
                parts.default_host()?;
                let host = match parts.region(true)? {
                    None | Some("us") => "smtp.mailgun.org".to_string(),
                    Some(region) => format!("smtp.{}.mailgun.org", region_label(region)?),
                };
                let login = parts.login_and_password("Mailgun's SMTP login and password")?;
                Ok(relay("mailgun", host, 465, Security::ImplicitTls, login))
            }
            "ses+smtp" => {
                parts.default_host()?;
                let region = parts.region(true)?.unwrap_or("eu-west-1");
                let host = format!("email-smtp.{}.amazonaws.com", region_label(region)?);
                let login = parts.login_and_password("the SES SMTP user name and password")?;
                Ok(relay("ses", host, 465, Security::ImplicitTls, login))
            }
            "postmark+smtp" => {
                parts.default_host()?;
                parts.region(false)?;
                let token = parts.key("Postmark server token")?;
                Ok(relay(
                    "postmark",
                    "smtp.postmarkapp.com".to_string(),
                    587,
                    Security::Starttls,
                    (token.clone(), token),
                ))
            }
            "smtp" | "smtps" => any_relay(&parts),
            other => Err(wrong(
                "scheme",
                format!("`{other}` is not known: write one of {SCHEMES}"),
            )),
        }
    }
}

impl From<SendGridSettings> for DefaultProvider {
    fn from(settings: SendGridSettings) -> Self {
        DefaultProvider::SendGridApi(settings)
    }
}

impl FromStr for DefaultProvider {
    type Err = DsnError;

    fn from_str(dsn: &str) -> Result<Self, DsnError> {
        DefaultProvider::from_dsn(dsn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "SG.s3cr3t-k3y_Zz";

    fn smtp(dsn: &str) -> (&'static str, SmtpSettings) {
        match DefaultProvider::from_dsn(dsn).unwrap() {
            DefaultProvider::SmtpRelay { name, settings } => (name, settings),
            other => panic!("{dsn}: {other:?}"),
        }
    }

    fn password(settings: &SmtpSettings) -> String {
        match &settings.secret {
            courriel_net::Secret::Password(p) => {
                use secrecy::ExposeSecret as _;
                p.expose_secret().to_string()
            }
            courriel_net::Secret::OAuth2(_) => panic!("a password"),
        }
    }

    #[test]
    fn sendgrids_api_in_each_region() {
        for (dsn, endpoint) in [
            (
                format!("sendgrid+api://{KEY}@default"),
                "https://api.sendgrid.com/v3/mail/send",
            ),
            (
                format!("sendgrid://{KEY}@default?region=global"),
                "https://api.sendgrid.com/v3/mail/send",
            ),
            (
                format!("sendgrid+api://{KEY}@default?region=eu"),
                "https://api.eu.sendgrid.com/v3/mail/send",
            ),
        ] {
            match DefaultProvider::from_dsn(&dsn).unwrap() {
                DefaultProvider::SendGridApi(settings) => {
                    assert_eq!(settings.endpoint(), endpoint);
                    assert!(!format!("{settings:?}").contains(KEY));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn every_relay_with_its_host_port_and_login() {
        // DSN → `name host:port security username secret`.
        let sendgrid = format!("sendgrid+smtp://{KEY}@default");
        let sendgrid_eu = format!("sendgrid+smtp://{KEY}@default?region=eu");
        for (dsn, expected) in [
            (
                sendgrid.as_str(),
                format!("sendgrid smtp.sendgrid.net:465 implicit-tls apikey {KEY}"),
            ),
            (
                sendgrid_eu.as_str(),
                format!("sendgrid smtp.eu.sendgrid.net:465 implicit-tls apikey {KEY}"),
            ),
            (
                "brevo+smtp://9f4e%40smtp-brevo.com:xsmtpsib-k@default",
                "brevo smtp-relay.brevo.com:465 implicit-tls 9f4e@smtp-brevo.com xsmtpsib-k".into(),
            ),
            (
                "mailjet+smtp://pub:priv@default",
                "mailjet in-v3.mailjet.com:587 starttls pub priv".into(),
            ),
            (
                "mailgun+smtp://postmaster%40mg.example.com:pw@default",
                "mailgun smtp.mailgun.org:465 implicit-tls postmaster@mg.example.com pw".into(),
            ),
            (
                "mailgun+smtp://u:pw@default?region=eu",
                "mailgun smtp.eu.mailgun.org:465 implicit-tls u pw".into(),
            ),
            (
                "ses+smtp://AKIA:pw@default?region=eu-west-3",
                "ses email-smtp.eu-west-3.amazonaws.com:465 implicit-tls AKIA pw".into(),
            ),
            (
                "ses+smtp://AKIA:pw@default",
                "ses email-smtp.eu-west-1.amazonaws.com:465 implicit-tls AKIA pw".into(),
            ),
            (
                "postmark+smtp://tok-en@default",
                "postmark smtp.postmarkapp.com:587 starttls tok-en tok-en".into(),
            ),
            (
                "smtp://relay:k%3Ae%2By@Relay.Example.com:587",
                "smtp relay.example.com:587 starttls relay k:e+y".into(),
            ),
            (
                "smtp://relay:key@relay.example.com:465",
                "smtp relay.example.com:465 implicit-tls relay key".into(),
            ),
            (
                "smtp://relay:key@relay.example.com",
                "smtp relay.example.com:587 starttls relay key".into(),
            ),
            (
                "smtps://relay:key@relay.example.com",
                "smtp relay.example.com:465 implicit-tls relay key".into(),
            ),
        ] {
            let (name, s) = smtp(dsn);
            let secret = password(&s);
            let found = format!(
                "{name} {}:{} {} {} {secret}",
                s.host, s.port, s.security, s.username
            );
            assert_eq!(found, expected, "{dsn}");
            assert!(
                !format!("{s:?}").contains(&secret),
                "{dsn}: Debug shows the secret"
            );
        }
    }

    #[test]
    fn a_bad_dsn_names_its_part_and_never_echoes_the_key() {
        for (dsn, part, says) in [
            ("sendgrid+api:KEY", "scheme", "no `scheme://`"),
            (
                "sendgird+api://SECRETKEY@default",
                "scheme",
                "`sendgird+api` is not known",
            ),
            ("sendgrid+api://@default", "key", "it is missing"),
            (
                "sendgrid+api://SECRETKEY@api.sendgrid.com",
                "host",
                "write `@default`",
            ),
            (
                "sendgrid+api://SECRETKEY@default:443",
                "host",
                "write `@default`",
            ),
            (
                "sendgrid+api://SECRETKEY@default?region=us",
                "query",
                "`global` (the default) and `eu`",
            ),
            (
                "sendgrid+api://SECRETKEY@default?regoin=eu",
                "query",
                "unknown option `regoin`",
            ),
            (
                "sendgrid+api://SECRETKEY@default?region",
                "query",
                "not `name=value`",
            ),
            ("brevo+smtp://login@default", "password", "it is missing"),
            (
                "brevo+smtp://login:SECRETKEY@default?region=eu",
                "query",
                "takes no option",
            ),
            (
                "mailgun+smtp://u:SECRETKEY@default?region=EU",
                "query",
                "not a region name",
            ),
            (
                "smtp://u:SECRETKEY@default",
                "host",
                "write the relay's host name",
            ),
            (
                "smtp://u:SECRETKEY@relay.example.com:25",
                "port",
                "587 (STARTTLS) or 465",
            ),
            (
                "smtp://u:SECRETKEY@relay.example.com:99999",
                "port",
                "not a port number",
            ),
            (
                "smtp://u:SECRETKEY@relay.example.com/path",
                "host",
                "a path after the host",
            ),
            (
                "smtp://u:SECRET%zzKEY@relay.example.com",
                "password",
                "percent-encode",
            ),
            ("smtp://u:SECRETKEY@", "host", "it is empty"),
        ] {
            let e = DefaultProvider::from_dsn(dsn).unwrap_err();
            assert_eq!(e.part, part, "{dsn}: {e}");
            let shown = format!("{e} {e:?}");
            assert!(shown.contains(says), "{dsn}: {shown}");
            assert!(
                !shown.contains("SECRET"),
                "{dsn}: the key is echoed: {shown}"
            );
        }
    }
}
