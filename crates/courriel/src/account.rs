//! Accounts: an account's settings with its passwords ([`Account`], what the
//! [`Mailer`](crate::Mailer) sends for), and account files, one account's
//! mail settings in TOML, read into [`AccountSettings`].
//!
//! ```toml
//! sender = "isabelle.martin@yahoo.fr"
//!
//! [smtp]
//! host = "smtp.mail.yahoo.com"
//! port = 465
//! security = "implicit-tls"          # or "starttls"
//! username = "isabelle.martin@yahoo.fr"
//! password_env = "YAHOO_APP_PASSWORD" # the variable holding the password
//!
//! [imap]
//! host = "imap.mail.yahoo.com"
//! port = 993
//! security = "implicit-tls"
//! username = "isabelle.martin@yahoo.fr"
//! password_env = "YAHOO_APP_PASSWORD"
//! sent_folder = "auto"                # or a folder's name
//! ```

use std::fmt;
use std::sync::Arc;

use courriel_core::account::{AccountSettings, Protocol};
use courriel_core::rules::PasswordState;
use secrecy::SecretString;

/// What an account signs in with instead of passwords. The fuzz target
/// compiling this file alone (`--cfg fuzzing`) has no courriel-net.
#[cfg(not(fuzzing))]
type Tokens = Arc<dyn courriel_net::TokenSource>;
#[cfg(fuzzing)]
type Tokens = Arc<dyn std::any::Any + Send + Sync>;

/// One user's account as the mailer uses it: the application's key for it
/// (spooled copies, pooled connections and cached folders are kept per
/// key), its settings as written, and its passwords, which the application
/// gives directly (from its own secret store) or takes from the variables
/// the settings name ([`Account::from_env`]). `Debug` shows no password.
///
/// ```
/// use courriel::{Account, AccountSettings, ServerInput};
///
/// let settings = AccountSettings {
///     sender: Some("contact@boulangerie-martin.fr".into()),
///     smtp: Some(ServerInput {
///         host: Some("ssl0.ovh.net".into()),
///         port: Some(465),
///         security: Some("implicit-tls".into()),
///         username: Some("contact@boulangerie-martin.fr".into()),
///         password_env: None,
///     }),
///     ..AccountSettings::default()
/// };
/// // The password from the application's own secret store.
/// let account = Account::new("boulangerie", settings).with_smtp_password("s3cret");
/// assert_eq!(account.id(), "boulangerie");
/// assert!(account.password(courriel::Protocol::Smtp).is_some());
/// assert!(!format!("{account:?}").contains("s3cret"), "Debug hides passwords");
/// ```
#[derive(Clone)]
pub struct Account {
    id: String,
    settings: AccountSettings,
    smtp_password: Option<SecretString>,
    imap_password: Option<SecretString>,
    oauth2: Option<Tokens>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |p: &Option<SecretString>| if p.is_some() { "[REDACTED]" } else { "none" };
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("settings", &self.settings)
            .field("smtp_password", &shown(&self.smtp_password))
            .field("imap_password", &shown(&self.imap_password))
            .field("oauth2", &self.oauth2.as_ref().map(|_| "[token source]"))
            .finish()
    }
}

impl Account {
    /// An account with no password yet. `id` is the application's key for
    /// it: it keys pooled connections and IMAP sessions, and travels to the
    /// default provider with each message sent through SendGrid's API (a
    /// custom argument, so that its Event Webhook's events come back tied
    /// to the account: [`crate::events`]). SendGrid keeps it and shows it
    /// in its activity feed: use an opaque id (a database key), not an
    /// address or a name, or keep it here with
    /// `MailerBuilder::account_ids_to_provider(false)`.
    pub fn new(id: impl Into<String>, settings: AccountSettings) -> Account {
        Account {
            id: id.into(),
            settings,
            smtp_password: None,
            imap_password: None,
            oauth2: None,
        }
    }

    /// Signing in to both servers with OAuth2 tokens from `tokens`
    /// (usually [`StoredTokens`](crate::oauth2::StoredTokens): the
    /// account's grant in the application's token store) instead of
    /// passwords.
    #[must_use]
    pub fn with_oauth2(mut self, tokens: Tokens) -> Account {
        self.oauth2 = Some(tokens);
        self
    }

    /// The OAuth2 token source, when the account signs in with OAuth2.
    #[must_use]
    pub fn oauth2(&self) -> Option<&Tokens> {
        self.oauth2.as_ref()
    }

    /// With the SMTP server's password.
    #[must_use]
    pub fn with_smtp_password(mut self, password: impl Into<String>) -> Account {
        self.smtp_password = Some(SecretString::from(password.into()));
        self
    }

    /// With the IMAP server's password.
    #[must_use]
    pub fn with_imap_password(mut self, password: impl Into<String>) -> Account {
        self.imap_password = Some(SecretString::from(password.into()));
        self
    }

    /// An account whose passwords are in the environment variables its
    /// settings name (`password_env`); an unset or empty variable gives no
    /// password, which the rules report.
    #[must_use]
    pub fn from_env(id: impl Into<String>, settings: AccountSettings) -> Account {
        let read = |name: Option<&String>| {
            let value = std::env::var(name?.trim()).ok()?;
            (!value.is_empty()).then(|| SecretString::from(value))
        };
        let smtp_password = read(settings.smtp.as_ref().and_then(|s| s.password_env.as_ref()));
        let imap_password = read(settings.imap.as_ref().and_then(|i| i.password_env.as_ref()));
        Account {
            id: id.into(),
            settings,
            smtp_password,
            imap_password,
            oauth2: None,
        }
    }

    /// Reads an account file, with passwords from the environment; the
    /// account's key is the file's path.
    #[cfg(not(fuzzing))]
    pub fn load(path: &std::path::Path) -> Result<Account, AccountFileError> {
        Ok(Account::from_env(path.display().to_string(), load(path)?))
    }

    /// The application's key for the account.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The settings, as written.
    #[must_use]
    pub fn settings(&self) -> &AccountSettings {
        &self.settings
    }

    /// A server's password, if there is one.
    #[must_use]
    pub fn password(&self, protocol: Protocol) -> Option<&SecretString> {
        match protocol {
            Protocol::Smtp => self.smtp_password.as_ref(),
            Protocol::Imap => self.imap_password.as_ref(),
        }
    }

    /// Whether a server's password is at hand, for the rules: present;
    /// missing, naming the variable that should hold it; or unknown (no
    /// password and no variable: the rules say none is configured).
    #[must_use]
    pub fn password_state(&self, protocol: Protocol) -> PasswordState {
        if self.oauth2.is_some() {
            return PasswordState::OAuth2;
        }
        if self.password(protocol).is_some() {
            return PasswordState::Present;
        }
        let variable = match protocol {
            Protocol::Smtp => self
                .settings
                .smtp
                .as_ref()
                .and_then(|s| s.password_env.clone()),
            Protocol::Imap => self
                .settings
                .imap
                .as_ref()
                .and_then(|i| i.password_env.clone()),
        };
        match variable.filter(|v| !v.trim().is_empty()) {
            Some(name) => PasswordState::Missing(name.trim().to_string()),
            None => PasswordState::Unknown,
        }
    }
}

/// Why an account file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFileError {
    /// The file.
    pub file: String,
    /// 1-based line and column of the problem, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for AccountFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for AccountFileError {}

/// Reads an account file: a regular file of at most
/// [`Input::AccountFile`](crate::input::Input::AccountFile)'s cap (1 MiB).
// The fuzz target compiles this file alone (cargo-fuzz sets `fuzzing`),
// without the reading module: it fuzzes `parse`.
#[cfg(not(fuzzing))]
pub fn load(path: &std::path::Path) -> Result<AccountSettings, AccountFileError> {
    let file = path.display().to_string();
    let text = crate::input::read_text(path, crate::input::Input::AccountFile).map_err(|e| {
        AccountFileError {
            file: file.clone(),
            position: None,
            message: if crate::input::InputError::of(&e).is_some() {
                e.to_string()
            } else {
                format!("cannot read the account file: {e}")
            },
        }
    })?;
    parse(&file, &text)
}

/// Parses an account file's text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<AccountSettings, AccountFileError> {
    toml::from_str(text).map_err(|e| {
        let position = e.span().map(|span| line_column(text, span.start));
        let message = e.message().trim_end().replace('\n', " ");
        AccountFileError {
            file: file.to_string(),
            position,
            message,
        }
    })
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_example() {
        let text = "sender = \"isabelle.martin@yahoo.fr\"\n[smtp]\nhost = \"smtp.mail.yahoo.com\"\nport = 465\nsecurity = \"implicit-tls\"\nusername = \"isabelle.martin@yahoo.fr\"\npassword_env = \"YAHOO\"\n[imap]\nhost = \"imap.mail.yahoo.com\"\nsent_folder = \"auto\"\ncopy_to_sent = false\n";
        let account = parse("a.toml", text).unwrap();
        assert_eq!(account.sender.as_deref(), Some("isabelle.martin@yahoo.fr"));
        assert_eq!(account.smtp.unwrap().port, Some(465));
        let imap = account.imap.unwrap();
        assert_eq!(
            (imap.sent_folder.as_deref(), imap.copy_to_sent),
            (Some("auto"), Some(false))
        );
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let err = parse(
            "a.toml",
            "sender = \"x@y.fr\"\n[smtp]\npassword = \"hunter2\"\n",
        )
        .unwrap_err();
        assert_eq!(err.position, Some((3, 1)));
        assert!(
            err.to_string()
                .starts_with("a.toml:3:1: unknown field `password`"),
            "{err}"
        );
        let err = parse("a.toml", "[smtp]\nport = \"465\"\n").unwrap_err();
        assert_eq!(err.position, Some((2, 8)));
        let err = parse("a.toml", "sender = \n").unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(1));
    }
}
