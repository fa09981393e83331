//! Mail addresses (`local@domain`), checked and normalised on the domain side.

use std::fmt;

use crate::domain::{Domain, DomainError};

/// The longest local part RFC 5321 allows, in octets.
const MAX_LOCAL_LEN: usize = 64;

/// A mail address: a local part kept as typed and a normalised [`Domain`].
///
/// The domain compares case-insensitively and in its ASCII form; the local
/// part is kept exactly as given, since only the receiving server may
/// interpret it (most treat it case-insensitively, some do not).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress {
    local: Box<str>,
    domain: Domain,
}

impl EmailAddress {
    /// Parses an address such as `isabelle.martin@yahoo.fr`.
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(AddressError::Empty);
        }
        if input.contains('<') || input.contains('>') {
            return Err(AddressError::DisplayName);
        }
        let Some((local, domain)) = input.rsplit_once('@') else {
            return Err(AddressError::MissingAt);
        };
        check_local_part(local)?;
        let domain = Domain::parse(domain).map_err(AddressError::Domain)?;
        Ok(EmailAddress {
            local: local.into(),
            domain,
        })
    }

    /// The part before `@`, as typed.
    #[must_use]
    pub fn local_part(&self) -> &str {
        &self.local
    }

    /// The normalised domain.
    #[must_use]
    pub fn domain(&self) -> &Domain {
        &self.domain
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({self})")
    }
}

impl std::str::FromStr for EmailAddress {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(s)
    }
}

impl serde::Serialize for EmailAddress {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for EmailAddress {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        EmailAddress::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn check_local_part(local: &str) -> Result<(), AddressError> {
    if local.is_empty() {
        return Err(AddressError::EmptyLocalPart);
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(AddressError::LocalPartTooLong { len: local.len() });
    }
    if let Some(quoted) = local.strip_prefix('"') {
        let Some(inner) = quoted.strip_suffix('"') else {
            return Err(AddressError::InvalidLocalPart { ch: '"' });
        };
        if let Some(ch) = inner.chars().find(|c| c.is_control()) {
            return Err(AddressError::InvalidLocalPart { ch });
        }
        return Ok(());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(AddressError::LocalPartDots);
    }
    // RFC 5322 atext, plus non-ASCII characters (RFC 6531, SMTPUTF8).
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~.".contains(c)
            || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
    };
    if let Some(ch) = local.chars().find(|c| !allowed(*c)) {
        return Err(AddressError::InvalidLocalPart { ch });
    }
    Ok(())
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressError {
    /// Nothing was given.
    Empty,
    /// No `@` in the address.
    MissingAt,
    /// Given as `Name <address>`: only the address itself is expected.
    DisplayName,
    /// Nothing before the `@`.
    EmptyLocalPart,
    /// More than 64 octets before the `@`.
    LocalPartTooLong {
        /// Length in octets.
        len: usize,
    },
    /// A dot at the start or end of the local part, or two in a row.
    LocalPartDots,
    /// A character not allowed before the `@` unless quoted.
    InvalidLocalPart {
        /// The character concerned.
        ch: char,
    },
    /// The part after the `@` is not a valid domain.
    Domain(DomainError),
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressError::Empty => f.write_str("the address is empty"),
            AddressError::MissingAt => {
                f.write_str("the address has no `@`: write it as name@domain, e.g. isabelle.martin@yahoo.fr")
            }
            AddressError::DisplayName => f.write_str(
                "give the address alone (isabelle.martin@yahoo.fr), without a name or angle brackets",
            ),
            AddressError::EmptyLocalPart => f.write_str("nothing comes before the `@`"),
            AddressError::LocalPartTooLong { len } => write!(
                f,
                "the part before `@` is {len} characters long, more than the {MAX_LOCAL_LEN} allowed"
            ),
            AddressError::LocalPartDots => f.write_str(
                "the part before `@` starts or ends with a dot, or has two dots in a row",
            ),
            AddressError::InvalidLocalPart { ch } => {
                write!(f, "the character {ch:?} is not allowed before the `@`")
            }
            AddressError::Domain(e) => write!(f, "the part after `@` is not a valid domain: {e}"),
        }
    }
}

impl std::error::Error for AddressError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AddressError::Domain(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises_the_domain_only() {
        let a = EmailAddress::parse(" Isabelle.Martin@Yahoo.FR ").unwrap();
        assert_eq!(a.local_part(), "Isabelle.Martin");
        assert_eq!(a.domain().as_str(), "yahoo.fr");
        assert_eq!(a.to_string(), "Isabelle.Martin@yahoo.fr");
    }

    #[test]
    fn unicode_domain_and_local_part() {
        let a = EmailAddress::parse("josé@bücher.example").unwrap();
        assert_eq!(a.domain().as_str(), "xn--bcher-kva.example");
        assert_eq!(a.local_part(), "josé");
    }

    #[test]
    fn quoted_local_part_may_hold_at_and_spaces() {
        let a = EmailAddress::parse("\"jean @ home\"@free.fr").unwrap();
        assert_eq!(a.local_part(), "\"jean @ home\"");
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        assert_eq!(EmailAddress::parse(""), Err(AddressError::Empty));
        assert_eq!(
            EmailAddress::parse("yahoo.fr"),
            Err(AddressError::MissingAt)
        );
        assert_eq!(
            EmailAddress::parse("Isabelle <i@yahoo.fr>"),
            Err(AddressError::DisplayName)
        );
        assert_eq!(
            EmailAddress::parse("@yahoo.fr"),
            Err(AddressError::EmptyLocalPart)
        );
        assert_eq!(
            EmailAddress::parse("a..b@yahoo.fr"),
            Err(AddressError::LocalPartDots)
        );
        assert_eq!(
            EmailAddress::parse("a b@yahoo.fr"),
            Err(AddressError::InvalidLocalPart { ch: ' ' })
        );
        assert_eq!(
            EmailAddress::parse("a@yahoo..fr"),
            Err(AddressError::Domain(DomainError::EmptyLabel))
        );
        assert_eq!(
            EmailAddress::parse("yahoo.fr").unwrap_err().to_string(),
            "the address has no `@`: write it as name@domain, e.g. isabelle.martin@yahoo.fr"
        );
    }
}
