//! An account's mail settings as the user wrote them (an account file, a
//! settings form): every value optional and unchecked, so the validation
//! rules can say what is missing or wrong, field by field.

use std::fmt;

use serde::Deserialize;

/// The settings of one account, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    /// The address mail is sent as (the From).
    pub sender: Option<String>,
    /// The user's SMTP server; without it, mail goes through the default provider.
    pub smtp: Option<ServerInput>,
    /// The user's IMAP server, to file a copy of sent mail.
    pub imap: Option<ImapInput>,
    /// An extra CA certificate (PEM) to trust, for servers with a private CA.
    pub ca_file: Option<String>,
    /// Signing in with OAuth2 instead of passwords.
    pub oauth2: Option<OAuth2Input>,
}

/// Signing in with OAuth2, as written: which provider's sign-in, and the
/// variables holding the application's client (as passwords are named,
/// never written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2Input {
    /// The catalog's provider id (`microsoft365`); when absent, the
    /// provider of the SMTP (else IMAP) server.
    pub provider: Option<String>,
    /// The name of the environment variable holding the application's
    /// client id, registered with the provider.
    pub client_id_env: Option<String>,
    /// The name of the one holding its client secret, where the provider
    /// gives one.
    pub client_secret_env: Option<String>,
    /// The organisation's directory (Microsoft: a tenant id or domain),
    /// when not the catalog's default.
    pub tenant: Option<String>,
}

/// One server's settings, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerInput {
    /// Host name.
    pub host: Option<String>,
    /// Port; any integer, so a wrong one can be reported rather than refused.
    pub port: Option<i64>,
    /// `"implicit-tls"` or `"starttls"`; anything else is reported.
    pub security: Option<String>,
    /// Login name.
    pub username: Option<String>,
    /// The name of the environment variable holding the password. Passwords
    /// themselves never appear in account files or on command lines.
    pub password_env: Option<String>,
}

/// The IMAP server's settings, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapInput {
    /// Host name.
    pub host: Option<String>,
    /// Port; any integer, so a wrong one can be reported rather than refused.
    pub port: Option<i64>,
    /// `"implicit-tls"` or `"starttls"`; anything else is reported.
    pub security: Option<String>,
    /// Login name.
    pub username: Option<String>,
    /// The name of the environment variable holding the password.
    pub password_env: Option<String>,
    /// The folder to file sent mail in, as its IMAP name, or `"auto"`.
    pub sent_folder: Option<String>,
    /// Whether to file a copy of sent mail (default: yes).
    pub copy_to_sent: Option<bool>,
    /// With `sent_folder = "auto"`, whether to create a Sent folder when
    /// the server has none, as mail programs do (default: yes).
    pub create_sent_folder: Option<bool>,
}

impl ImapInput {
    /// The connection settings alone.
    #[must_use]
    pub fn server(&self) -> ServerInput {
        ServerInput {
            host: self.host.clone(),
            port: self.port,
            security: self.security.clone(),
            username: self.username.clone(),
            password_env: self.password_env.clone(),
        }
    }
}

/// A field of the account settings, as named in account files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Field {
    Sender,
    Smtp,
    SmtpHost,
    SmtpPort,
    SmtpSecurity,
    SmtpUsername,
    SmtpPasswordEnv,
    Imap,
    ImapHost,
    ImapPort,
    ImapSecurity,
    ImapUsername,
    ImapPasswordEnv,
    ImapSentFolder,
    ImapCopyToSent,
    ImapCreateSentFolder,
}

impl Field {
    /// The key as written in account files (`smtp.port`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Sender => "sender",
            Field::Smtp => "smtp",
            Field::SmtpHost => "smtp.host",
            Field::SmtpPort => "smtp.port",
            Field::SmtpSecurity => "smtp.security",
            Field::SmtpUsername => "smtp.username",
            Field::SmtpPasswordEnv => "smtp.password_env",
            Field::Imap => "imap",
            Field::ImapHost => "imap.host",
            Field::ImapPort => "imap.port",
            Field::ImapSecurity => "imap.security",
            Field::ImapUsername => "imap.username",
            Field::ImapPasswordEnv => "imap.password_env",
            Field::ImapSentFolder => "imap.sent_folder",
            Field::ImapCopyToSent => "imap.copy_to_sent",
            Field::ImapCreateSentFolder => "imap.create_sent_folder",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which of the two servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Protocol {
    Smtp,
    Imap,
}

impl Protocol {
    /// `SMTP` or `IMAP`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smtp => "SMTP",
            Protocol::Imap => "IMAP",
        }
    }

    /// The fields of this server, by name.
    #[must_use]
    pub fn fields(self) -> ServerFields {
        match self {
            Protocol::Smtp => ServerFields {
                table: Field::Smtp,
                host: Field::SmtpHost,
                port: Field::SmtpPort,
                security: Field::SmtpSecurity,
                username: Field::SmtpUsername,
                password_env: Field::SmtpPasswordEnv,
            },
            Protocol::Imap => ServerFields {
                table: Field::Imap,
                host: Field::ImapHost,
                port: Field::ImapPort,
                security: Field::ImapSecurity,
                username: Field::ImapUsername,
                password_env: Field::ImapPasswordEnv,
            },
        }
    }
}

/// The fields of one server's table, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ServerFields {
    pub table: Field,
    pub host: Field,
    pub port: Field,
    pub security: Field,
    pub username: Field,
    pub password_env: Field,
}

impl Field {
    /// The server this field belongs to; `None` for the fields of the
    /// whole account (`sender`; `ca_file` concerns both servers).
    #[must_use]
    pub fn protocol(self) -> Option<Protocol> {
        match self {
            Field::Sender => None,
            Field::Smtp
            | Field::SmtpHost
            | Field::SmtpPort
            | Field::SmtpSecurity
            | Field::SmtpUsername
            | Field::SmtpPasswordEnv => Some(Protocol::Smtp),
            Field::Imap
            | Field::ImapHost
            | Field::ImapPort
            | Field::ImapSecurity
            | Field::ImapUsername
            | Field::ImapPasswordEnv
            | Field::ImapSentFolder
            | Field::ImapCopyToSent
            | Field::ImapCreateSentFolder => Some(Protocol::Imap),
        }
    }
}

/// A language diagnostics and messages can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// French.
    Fr,
}

impl Lang {
    /// Every language, in a fixed order.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// The language of a POSIX locale value (`fr_FR.UTF-8` → French);
    /// English for anything else.
    #[must_use]
    pub fn from_locale(locale: &str) -> Lang {
        if locale
            .get(..2)
            .is_some_and(|l| l.eq_ignore_ascii_case("fr"))
        {
            Lang::Fr
        } else {
            Lang::En
        }
    }

    /// `en` or `fr`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "en" => Ok(Lang::En),
            "fr" => Ok(Lang::Fr),
            other => Err(format!("unknown language `{other}`: use `en` or `fr`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_from_locales() {
        assert_eq!(Lang::from_locale("fr_FR.UTF-8"), Lang::Fr);
        assert_eq!(Lang::from_locale("fr"), Lang::Fr);
        assert_eq!(Lang::from_locale("FR_ca"), Lang::Fr);
        assert_eq!(Lang::from_locale("en_GB.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C"), Lang::En);
        assert_eq!(Lang::from_locale(""), Lang::En);
    }
}
