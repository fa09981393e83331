//! Domain names in the one form used for comparison: ASCII, lower case,
//! no trailing dot (IDNA: a Unicode domain becomes its `xn--` form).

use std::borrow::Cow;
use std::fmt;

/// The longest domain name DNS can carry, in ASCII form without the trailing dot.
const MAX_DOMAIN_LEN: usize = 253;
/// The longest label DNS can carry.
const MAX_LABEL_LEN: usize = 63;

/// A domain name, normalised: ASCII (IDNA), lower case, without trailing dot.
///
/// `Bücher.example.`, `bücher.example` and `xn--bcher-kva.example` are the same
/// `Domain`. Use [`Domain::to_unicode`] to show it to a person.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Domain(Box<str>);

impl Domain {
    /// Parses and normalises a domain name.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        normalize_domain(input).map(|d| Domain(d.into_owned().into_boxed_str()))
    }

    /// The normalised ASCII form (`xn--bcher-kva.example`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Unicode form for people (`bücher.example`); the ASCII form when a
    /// label does not decode.
    #[must_use]
    pub fn to_unicode(&self) -> String {
        if !self.0.contains("xn--") {
            return self.0.to_string();
        }
        let (unicode, result) = idna::domain_to_unicode(&self.0);
        if result.is_ok() {
            unicode
        } else {
            self.0.to_string()
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Domain({:?})", &*self.0)
    }
}

impl AsRef<str> for Domain {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Domain {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Domain::parse(s)
    }
}

impl serde::Serialize for Domain {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Domain {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <Cow<'de, str>>::deserialize(deserializer)?;
        Domain::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Why a domain name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DomainError {
    /// Nothing was given.
    Empty,
    /// Longer than 253 characters in ASCII form.
    TooLong {
        /// Length of the ASCII form.
        len: usize,
    },
    /// Two dots in a row, or a dot at the start.
    EmptyLabel,
    /// A label longer than 63 characters.
    LabelTooLong {
        /// The label concerned.
        label: String,
    },
    /// A character that cannot appear in a host name.
    InvalidChar {
        /// The character concerned.
        ch: char,
    },
    /// A label that starts or ends with `-`.
    Hyphen {
        /// The label concerned.
        label: String,
    },
    /// The last label is all digits: an IP address, not a domain.
    NumericTld,
    /// The Unicode form could not be converted to ASCII (IDNA).
    Idna,
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainError::Empty => f.write_str("the domain is empty"),
            DomainError::TooLong { len } => write!(
                f,
                "the domain is {len} characters long, more than the {MAX_DOMAIN_LEN} DNS allows"
            ),
            DomainError::EmptyLabel => {
                f.write_str("the domain has an empty label (two dots in a row, or a leading dot)")
            }
            DomainError::LabelTooLong { label } => write!(
                f,
                "the label `{label}` is longer than the {MAX_LABEL_LEN} characters DNS allows"
            ),
            DomainError::InvalidChar { ch } => write!(
                f,
                "the character {ch:?} cannot appear in a domain (letters, digits, `-` and `.` only)"
            ),
            DomainError::Hyphen { label } => {
                write!(f, "the label `{label}` starts or ends with `-`")
            }
            DomainError::NumericTld => {
                f.write_str("the domain ends in a number: an IP address is not a mail domain")
            }
            DomainError::Idna => f.write_str(
                "the domain cannot be converted to its ASCII form (invalid internationalised name)",
            ),
        }
    }
}

impl std::error::Error for DomainError {}

/// Normalises a domain name: trims spaces and one trailing dot, lower-cases,
/// converts Unicode to its ASCII (`xn--`) form, and checks it.
///
/// Borrows when the input is already normal, so lookups do not allocate.
pub fn normalize_domain(input: &str) -> Result<Cow<'_, str>, DomainError> {
    let trimmed = input.trim();
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Err(DomainError::Empty);
    }
    let needs_idna = !trimmed.is_ascii() || has_ace_label(trimmed);
    let ascii: Cow<'_, str> = if needs_idna {
        let converted = idna::domain_to_ascii(trimmed).map_err(|_| DomainError::Idna)?;
        Cow::Owned(converted)
    } else if trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(trimmed.to_ascii_lowercase())
    } else {
        Cow::Borrowed(trimmed)
    };
    check_ascii_domain(&ascii)?;
    Ok(ascii)
}

fn has_ace_label(domain: &str) -> bool {
    domain
        .split('.')
        .any(|label| label.len() >= 4 && label[..4].eq_ignore_ascii_case("xn--"))
}

fn check_ascii_domain(domain: &str) -> Result<(), DomainError> {
    if domain.is_empty() {
        return Err(DomainError::Empty);
    }
    if domain.len() > MAX_DOMAIN_LEN {
        return Err(DomainError::TooLong { len: domain.len() });
    }
    let mut last = "";
    for label in domain.split('.') {
        if label.is_empty() {
            return Err(DomainError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(DomainError::LabelTooLong {
                label: label.to_string(),
            });
        }
        if let Some(ch) = label
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(DomainError::InvalidChar { ch });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(DomainError::Hyphen {
                label: label.to_string(),
            });
        }
        last = label;
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::NumericTld);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_trailing_dot_and_spaces_are_normalised() {
        assert_eq!(normalize_domain(" Yahoo.FR. ").unwrap(), "yahoo.fr");
        assert!(matches!(
            normalize_domain("yahoo.fr").unwrap(),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn unicode_and_ace_forms_are_the_same_domain() {
        let unicode = Domain::parse("Bücher.example").unwrap();
        let ace = Domain::parse("XN--BCHER-KVA.example.").unwrap();
        assert_eq!(unicode, ace);
        assert_eq!(unicode.as_str(), "xn--bcher-kva.example");
        assert_eq!(ace.to_unicode(), "bücher.example");
    }

    #[test]
    fn bad_domains_say_why() {
        assert_eq!(normalize_domain(""), Err(DomainError::Empty));
        assert_eq!(normalize_domain("."), Err(DomainError::Empty));
        assert_eq!(normalize_domain("a..b"), Err(DomainError::EmptyLabel));
        assert_eq!(
            normalize_domain("a_b.fr"),
            Err(DomainError::InvalidChar { ch: '_' })
        );
        assert_eq!(
            normalize_domain("-a.fr"),
            Err(DomainError::Hyphen { label: "-a".into() })
        );
        assert_eq!(normalize_domain("10.0.0.1"), Err(DomainError::NumericTld));
        let long_label = "a".repeat(64);
        assert!(matches!(
            normalize_domain(&format!("{long_label}.fr")),
            Err(DomainError::LabelTooLong { .. })
        ));
        let long = ["abcdefghi"; 26].join(".");
        assert!(matches!(
            normalize_domain(&long),
            Err(DomainError::TooLong { len: 259 })
        ));
        assert_eq!(
            DomainError::InvalidChar { ch: ' ' }.to_string(),
            "the character ' ' cannot appear in a domain (letters, digits, `-` and `.` only)"
        );
    }
}
