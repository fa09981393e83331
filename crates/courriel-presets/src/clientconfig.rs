//! The `clientConfig` 1.1 XML format of Thunderbird's ISPDB and of
//! autoconfig servers, read with a real XML parser (quick-xml), and the
//! policy that turns its servers into catalog servers: TLS only, no POP3,
//! no port 25, only username templates we can apply.

use std::fmt;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::file::{FileSecurity, FileUsername, ServerFile};

/// A parsed `clientConfig` document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientConfig {
    /// `version` attribute of the root element.
    pub version: Option<String>,
    /// The `emailProvider` elements (usually one).
    pub providers: Vec<EmailProvider>,
    /// The `oAuth2` element: how the provider signs in with OAuth2.
    pub oauth2: Option<ConfigOAuth2>,
}

/// The `oAuth2` element, as written: Thunderbird's issuer (its key for the
/// client it registered), the scopes to ask for, separated by spaces, and
/// the two endpoints. It does not say which scope is for IMAP or SMTP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigOAuth2 {
    /// `issuer`, e.g. `login.yahoo.com`.
    pub issuer: String,
    /// `scope`: the scopes, separated by spaces.
    pub scope: String,
    /// `authURL`: the authorization endpoint.
    pub auth_url: String,
    /// `tokenURL`: the token endpoint.
    pub token_url: String,
}

/// One `emailProvider` element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailProvider {
    /// `id` attribute.
    pub id: String,
    /// `domain` elements, as written.
    pub domains: Vec<String>,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `displayShortName`.
    pub display_short_name: Option<String>,
    /// `incomingServer` elements, in document order.
    pub incoming: Vec<ConfigServer>,
    /// `outgoingServer` elements, in document order.
    pub outgoing: Vec<ConfigServer>,
    /// `documentation url=...` attributes.
    pub documentation: Vec<String>,
}

/// One `incomingServer` or `outgoingServer` element, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigServer {
    /// `type` attribute: `imap`, `pop3`, `smtp`, `exchange`...
    pub kind: String,
    /// `hostname`.
    pub hostname: String,
    /// `port`, unparsed.
    pub port: String,
    /// `socketType`: `SSL`, `STARTTLS` or `plain`.
    pub socket_type: String,
    /// `username` template, e.g. `%EMAILADDRESS%`.
    pub username: String,
    /// `authentication` elements.
    pub authentication: Vec<String>,
}

/// Why a `clientConfig` document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// Byte offset where the problem was found.
    pub offset: u64,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid clientConfig XML at byte {}: {}",
            self.offset, self.message
        )
    }
}

impl std::error::Error for XmlError {}

/// The most text one element may hold; anything longer is refused, so a
/// hostile autoconfig server cannot make us hold megabytes per field.
const MAX_TEXT: usize = 4096;

/// Parses a `clientConfig` document.
pub fn parse(xml: &str) -> Result<ClientConfig, XmlError> {
    let mut reader = Reader::from_str(xml);
    let mut config = ClientConfig::default();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let error = |reader: &Reader<&[u8]>, message: String| XmlError {
        offset: reader.buffer_position(),
        message,
    };
    loop {
        match reader
            .read_event()
            .map_err(|e| error(&reader, e.to_string()))?
        {
            Event::Start(e) => {
                let name = e.local_name().into_inner().to_string();
                start_element(&mut config, &path, &name, &e).map_err(|m| error(&reader, m))?;
                path.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                let name = e.local_name().into_inner().to_string();
                start_element(&mut config, &path, &name, &e).map_err(|m| error(&reader, m))?;
            }
            Event::Text(t) => {
                text.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) => {
                if let Some(c) = r
                    .resolve_char_ref()
                    .map_err(|e| error(&reader, e.to_string()))?
                {
                    text.push(c);
                } else {
                    let name = r.xml10_content();
                    let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| error(&reader, format!("unknown entity `&{name};`")))?;
                    text.push_str(resolved);
                }
            }
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                end_element(&mut config, &path, &name, text.trim());
                text.clear();
            }
            // quick-xml reports the end of input even with elements left
            // open: a truncated document must not pass for a shorter one.
            Event::Eof => match path.last() {
                Some(open) => return Err(error(&reader, format!("<{open}> is not closed"))),
                None => break,
            },
            _ => {}
        }
        if text.len() > MAX_TEXT {
            return Err(error(
                &reader,
                format!("an element holds more than {MAX_TEXT} bytes of text"),
            ));
        }
    }
    if config.version.is_none() && config.providers.is_empty() {
        return Err(XmlError {
            offset: 0,
            message: "no <clientConfig> element".to_string(),
        });
    }
    Ok(config)
}

fn attribute(e: &quick_xml::events::BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().into_inner() == key)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(std::borrow::Cow::into_owned)
        })
}

fn start_element(
    config: &mut ClientConfig,
    path: &[String],
    name: &str,
    e: &quick_xml::events::BytesStart<'_>,
) -> Result<(), String> {
    match (path.last().map(String::as_str), name) {
        (None, "clientConfig") => {
            config.version = Some(attribute(e, "version").unwrap_or_default());
        }
        (None, other) => return Err(format!("the root element is <{other}>, not <clientConfig>")),
        (Some("clientConfig"), "emailProvider") => config.providers.push(EmailProvider {
            id: attribute(e, "id").unwrap_or_default(),
            ..EmailProvider::default()
        }),
        (Some("emailProvider"), "incomingServer" | "outgoingServer") => {
            if let Some(p) = config.providers.last_mut() {
                let server = ConfigServer {
                    kind: attribute(e, "type").unwrap_or_default(),
                    ..ConfigServer::default()
                };
                if name == "incomingServer" {
                    p.incoming.push(server);
                } else {
                    p.outgoing.push(server);
                }
            }
        }
        (Some("clientConfig"), "oAuth2") => config.oauth2 = Some(ConfigOAuth2::default()),
        (Some("emailProvider"), "documentation") => {
            if let (Some(p), Some(url)) = (config.providers.last_mut(), attribute(e, "url")) {
                p.documentation.push(url);
            }
        }
        _ => {}
    }
    Ok(())
}

fn end_element(config: &mut ClientConfig, path: &[String], name: &str, text: &str) {
    if path.last().map(String::as_str) == Some("oAuth2") {
        if let Some(oauth2) = config.oauth2.as_mut() {
            let field = match name {
                "issuer" => &mut oauth2.issuer,
                "scope" => &mut oauth2.scope,
                "authURL" => &mut oauth2.auth_url,
                "tokenURL" => &mut oauth2.token_url,
                _ => return,
            };
            *field = text.to_string();
        }
        return;
    }
    let Some(provider) = config.providers.last_mut() else {
        return;
    };
    match path.last().map(String::as_str) {
        Some("emailProvider") => match name {
            "domain" if !text.is_empty() => provider.domains.push(text.to_string()),
            "displayName" => provider.display_name = Some(text.to_string()),
            "displayShortName" => provider.display_short_name = Some(text.to_string()),
            _ => {}
        },
        Some(parent @ ("incomingServer" | "outgoingServer")) => {
            let server = if parent == "incomingServer" {
                provider.incoming.last_mut()
            } else {
                provider.outgoing.last_mut()
            };
            let Some(server) = server else { return };
            match name {
                "hostname" => server.hostname = text.to_string(),
                "port" => server.port = text.to_string(),
                "socketType" => server.socket_type = text.to_string(),
                "username" => server.username = text.to_string(),
                "authentication" => server.authentication.push(text.to_string()),
                _ => {}
            }
        }
        _ => {}
    }
}

/// Why a server of a `clientConfig` is not taken into the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Skip {
    /// POP3, Exchange or another protocol the catalog does not carry.
    Protocol(String),
    /// `socketType` is `plain`: the password would travel unencrypted.
    Plaintext,
    /// Port 25 is for relay between servers, not for users' submission.
    Port25,
    /// The port is not a number from 1 to 65535.
    BadPort(String),
    /// The port contradicts the security mode (465/993 implicit TLS, 587/143 STARTTLS).
    PortMismatch {
        /// The port.
        port: u16,
        /// The `socketType` given.
        socket_type: String,
    },
    /// A `socketType` other than SSL, STARTTLS or plain.
    UnknownSocketType(String),
    /// A username template other than `%EMAILADDRESS%` and `%EMAILLOCALPART%`.
    UsernameTemplate(String),
    /// The host name is a template (`mail.%EMAILDOMAIN%`) or not a valid host name.
    BadHost(String),
    /// Neither password nor OAuth2 authentication: none, or relay by IP address.
    NoPasswordAuth(Vec<String>),
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Protocol(kind) => write!(f, "{kind} is not carried (IMAP and SMTP only)"),
            Skip::Plaintext => f.write_str("plaintext (socketType plain)"),
            Skip::Port25 => f.write_str("port 25 is for relay, not submission"),
            Skip::BadPort(p) => write!(f, "invalid port `{p}`"),
            Skip::PortMismatch { port, socket_type } => {
                write!(f, "port {port} contradicts socketType {socket_type}")
            }
            Skip::UnknownSocketType(s) => write!(f, "unknown socketType `{s}`"),
            Skip::UsernameTemplate(t) => write!(f, "broken or unsupported username template `{t}`"),
            Skip::BadHost(h) => write!(f, "host name `{h}` is a template or invalid"),
            Skip::NoPasswordAuth(a) => write!(
                f,
                "no password or OAuth2 authentication (offers {})",
                a.join(", ")
            ),
        }
    }
}

/// Turns a server of a `clientConfig` into a catalog server, or says why not.
pub fn convert_server(server: &ConfigServer) -> Result<ServerFile, Skip> {
    let kind = server.kind.to_ascii_lowercase();
    let (implicit, starttls) = match kind.as_str() {
        "imap" => (993, 143),
        "smtp" => (465, 587),
        _ => return Err(Skip::Protocol(server.kind.clone())),
    };
    let security = match server.socket_type.as_str() {
        "SSL" | "TLS" => FileSecurity::ImplicitTls,
        "STARTTLS" => FileSecurity::Starttls,
        "plain" => return Err(Skip::Plaintext),
        other => return Err(Skip::UnknownSocketType(other.to_string())),
    };
    let port: u16 = match server.port.trim().parse() {
        Ok(0) | Err(_) => return Err(Skip::BadPort(server.port.clone())),
        Ok(port) => port,
    };
    if port == 25 {
        return Err(Skip::Port25);
    }
    let mismatch = (port == implicit && security == FileSecurity::Starttls)
        || (port == starttls && security == FileSecurity::ImplicitTls)
        || [993, 143, 465, 587, 110, 995].contains(&port) && port != implicit && port != starttls;
    if mismatch {
        return Err(Skip::PortMismatch {
            port,
            socket_type: server.socket_type.clone(),
        });
    }
    let username = match server.username.as_str() {
        "%EMAILADDRESS%" => FileUsername::Address,
        "%EMAILLOCALPART%" => FileUsername::LocalPart,
        other => return Err(Skip::UsernameTemplate(other.to_string())),
    };
    let usable =
        |a: &String| a.starts_with("password-") || a == "plain" || a == "secure" || a == "OAuth2";
    if !server.authentication.is_empty() && !server.authentication.iter().any(usable) {
        return Err(Skip::NoPasswordAuth(server.authentication.clone()));
    }
    let host = match courriel_core::normalize_domain(&server.hostname) {
        Ok(host) if host.contains('.') => host.into_owned(),
        _ => return Err(Skip::BadHost(server.hostname.clone())),
    };
    Ok(ServerFile {
        host,
        port,
        security,
        username,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <!-- MX -->
    <domain>mx.example.net</domain>
    <displayName>Example &amp; Co</displayName>
    <incomingServer type="pop3">
      <hostname>pop.example.com</hostname><port>995</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.example.com</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.com</hostname><port>25</port><socketType>plain</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>SMTP.example.com</hostname><port>587</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS</username><authentication>password-cleartext</authentication>
    </outgoingServer>
    <documentation url="https://example.com/help"><descr lang="en">Help</descr></documentation>
  </emailProvider>
</clientConfig>"#;

    #[test]
    fn parses_the_format() {
        let config = parse(XML).unwrap();
        assert_eq!(config.version.as_deref(), Some("1.1"));
        let p = &config.providers[0];
        assert_eq!(p.id, "example.com");
        assert_eq!(p.domains, ["example.com", "mx.example.net"]);
        assert_eq!(p.display_name.as_deref(), Some("Example & Co"));
        assert_eq!(p.incoming.len(), 2);
        assert_eq!(p.outgoing[1].username, "%EMAILADDRESS");
        assert_eq!(p.documentation, ["https://example.com/help"]);
    }

    #[test]
    fn reads_the_oauth2_element() {
        assert_eq!(parse(XML).unwrap().oauth2, None);
        let xml = XML.replace(
            "</clientConfig>",
            "<oAuth2>\n    <issuer>login.example.com</issuer>\n    <!-- scopes -->\n    <scope>mail profile openid</scope>\n    <authURL>https://login.example.com/auth</authURL>\n    <tokenURL>https://login.example.com/token</tokenURL>\n  </oAuth2>\n</clientConfig>",
        );
        assert_eq!(
            parse(&xml).unwrap().oauth2,
            Some(ConfigOAuth2 {
                issuer: "login.example.com".into(),
                scope: "mail profile openid".into(),
                auth_url: "https://login.example.com/auth".into(),
                token_url: "https://login.example.com/token".into(),
            })
        );
    }

    #[test]
    fn conversion_keeps_tls_imap_and_smtp_only() {
        let p = &parse(XML).unwrap().providers[0];
        assert_eq!(
            convert_server(&p.incoming[0]),
            Err(Skip::Protocol("pop3".into()))
        );
        let imap = convert_server(&p.incoming[1]).unwrap();
        assert_eq!(
            (imap.port, imap.security, imap.username),
            (993, FileSecurity::ImplicitTls, FileUsername::LocalPart)
        );
        assert_eq!(convert_server(&p.outgoing[0]), Err(Skip::Plaintext));
        assert_eq!(
            convert_server(&p.outgoing[1]),
            Err(Skip::UsernameTemplate("%EMAILADDRESS".into()))
        );
    }

    #[test]
    fn rejects_what_is_not_a_client_config() {
        assert!(
            parse("<html><body/></html>")
                .unwrap_err()
                .message
                .contains("<html>")
        );
        assert!(
            parse("<clientConfig><emailProvider id='x'><domain>a</emailProvider></clientConfig>")
                .is_err()
        );
        let big = format!(
            "<clientConfig><emailProvider id='x'><domain>{}</domain></emailProvider></clientConfig>",
            "a".repeat(5000)
        );
        assert!(parse(&big).unwrap_err().message.contains("more than"));
    }

    #[test]
    fn a_truncated_document_is_refused() {
        // Cut right after the IMAP server: it used to parse, without SMTP.
        let cut = &XML[..XML.find("<outgoingServer").unwrap()];
        assert_eq!(
            parse(cut).unwrap_err().message,
            "<emailProvider> is not closed"
        );
        assert!(parse("<clientConfig version='1.1'>").is_err());
        assert!(parse("<clientConfig version='1.1'/>").is_ok());
    }
}
