//! Server settings: host, port, security mode and the username to log in with.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::address::EmailAddress;

/// How the connection to a mail server is secured.
///
/// There is deliberately no plaintext mode here: a connection that does not
/// encrypt before authenticating is only available through APIs whose name
/// says `dangerous`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Security {
    /// TLS from the first byte (SMTP on 465, IMAP on 993; RFC 8314).
    ImplicitTls,
    /// Plain connection upgraded with STARTTLS before anything else is sent
    /// (SMTP on 587, IMAP on 143). Never falls back to plaintext.
    Starttls,
}

impl Security {
    /// The stable name used in JSON and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Security::ImplicitTls => "implicit-tls",
            Security::Starttls => "starttls",
        }
    }
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the login name is derived from the mail address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum UsernameTemplate {
    /// The whole address, `isabelle.martin@yahoo.fr` (most providers).
    Address,
    /// The part before `@` only, `isabelle.martin` (free.fr, laposte.net).
    LocalPart,
}

impl UsernameTemplate {
    /// The username this template gives for an address.
    #[must_use]
    pub fn apply(self, address: &EmailAddress) -> String {
        match self {
            UsernameTemplate::Address => address.to_string(),
            UsernameTemplate::LocalPart => address.local_part().to_string(),
        }
    }

    /// The stable name used in JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            UsernameTemplate::Address => "address",
            UsernameTemplate::LocalPart => "local-part",
        }
    }
}

/// Complete settings for one server: where to connect, how to secure the
/// connection, and which username to log in with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ServerSettings {
    /// Host name (ASCII form).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// How the connection is secured.
    pub security: Security,
    /// Login name.
    pub username: String,
}

impl fmt::Display for ServerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} ({}), user {}",
            self.host, self.port, self.security, self.username
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_serialises_with_its_stable_names() {
        assert_eq!(
            serde_json::to_string(&Security::ImplicitTls).unwrap(),
            "\"implicit-tls\""
        );
        assert_eq!(
            serde_json::to_string(&Security::Starttls).unwrap(),
            "\"starttls\""
        );
        assert_eq!(Security::ImplicitTls.to_string(), "implicit-tls");
    }

    #[test]
    fn username_templates() {
        let a = EmailAddress::parse("jean.dupont@free.fr").unwrap();
        assert_eq!(UsernameTemplate::Address.apply(&a), "jean.dupont@free.fr");
        assert_eq!(UsernameTemplate::LocalPart.apply(&a), "jean.dupont");
    }
}
