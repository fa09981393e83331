//! Login credentials whose secret never shows in `Debug`, logs or serialisation.

use std::fmt;

use secrecy::SecretString;

/// A username and its password (or app password, or API key).
///
/// `Debug` shows the username and `[REDACTED]`; there is no `Display` and no
/// `Serialize`, so a secret cannot reach a log or a JSON document by accident.
/// Read the secret with [`secrecy::ExposeSecret`] where it is sent.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    secret: SecretString,
}

impl Credentials {
    /// Credentials from a username and its secret.
    pub fn new(username: impl Into<String>, secret: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            secret: SecretString::from(secret.into()),
        }
    }

    /// The login name.
    #[must_use]
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The secret, still wrapped.
    #[must_use]
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Credentials::new("isabelle.martin@yahoo.fr", "hunter2-très-secret");
        let shown = format!("{c:?} {c:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[REDACTED]"));
        assert!(shown.contains("isabelle.martin@yahoo.fr"));
        assert_eq!(c.secret().expose_secret(), "hunter2-très-secret");
    }
}
