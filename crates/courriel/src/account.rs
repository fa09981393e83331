//! Account files: one account's mail settings in TOML, read into
//! [`AccountSettings`] for the validation rules and, later, the mailer.
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
use std::path::Path;

use courriel_core::account::AccountSettings;

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

/// Reads an account file.
pub fn load(path: &Path) -> Result<AccountSettings, AccountFileError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| AccountFileError {
        file: file.clone(),
        position: None,
        message: format!("cannot read the account file: {e}"),
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
