//! What the catalog knows of a mail provider: its servers and policies.
//!
//! These are domain types: the catalog (`courriel-presets`) fills them from
//! provider files, and the validation rules read them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::{EmailAddress, Security, ServerSettings, UsernameTemplate};

/// Whether the provider accepts a sender (From) other than the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
pub enum SenderPolicy {
    /// A From other than the login is rejected (`553 5.7.1 Sender address rejected`).
    MustMatchLogin,
    /// Aliases the user verified with the provider are accepted.
    VerifiedAliases,
    /// Any From is accepted.
    AnySender,
    /// Not known.
    Unknown,
}

/// What the provider accepts as a secret on IMAP and SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
pub enum Auth {
    /// The account password works.
    Password,
    /// An app password must be generated; the account password is refused.
    AppPassword,
    /// Password login is refused; only OAuth2 works.
    OAuth2Only,
    /// Not known.
    Unknown,
}

/// Who files the copy of mail submitted over SMTP in the Sent folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
pub enum SentCopy {
    /// The provider files it itself: a copy of ours would be a duplicate.
    ServerFiles,
    /// The client must file it.
    ClientFiles,
    /// Not known.
    Unknown,
}

/// Whether third-party software can use the provider over IMAP and SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[non_exhaustive]
pub enum Status {
    /// Works with standard IMAP and SMTP.
    #[default]
    Supported,
    /// IMAP/SMTP access must first be switched on in the provider's web settings.
    NeedsSetup,
    /// No standard IMAP/SMTP access for third-party software.
    Unsupported,
}

/// What the user must know or do, in English and French.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hint {
    /// English text.
    pub en: String,
    /// French text.
    pub fr: String,
}

/// Gives an enum its provider-file spelling (`file_name`) and its stable
/// JSON name (`as_str`). Shared with the provider file schema.
#[doc(hidden)]
#[macro_export]
macro_rules! __names {
    ($ty:ty { $($variant:ident => $file:literal, $stable:literal;)* }) => {
        impl $ty {
            /// The variant as written in provider files.
            #[must_use]
            pub fn file_name(self) -> &'static str {
                match self { $(Self::$variant => $file,)* }
            }
            /// The stable kebab-case name used in JSON.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $stable,)* }
            }
        }
    };
}

crate::__names!(SenderPolicy {
    MustMatchLogin => "MustMatchLogin", "must-match-login";
    VerifiedAliases => "VerifiedAliases", "verified-aliases";
    AnySender => "AnySender", "any-sender";
    Unknown => "Unknown", "unknown";
});
crate::__names!(Auth {
    Password => "Password", "password";
    AppPassword => "AppPassword", "app-password";
    OAuth2Only => "OAuth2Only", "oauth2-only";
    Unknown => "Unknown", "unknown";
});
crate::__names!(SentCopy {
    ServerFiles => "ServerFiles", "server-files";
    ClientFiles => "ClientFiles", "client-files";
    Unknown => "Unknown", "unknown";
});
crate::__names!(Status {
    Supported => "Supported", "supported";
    NeedsSetup => "NeedsSetup", "needs-setup";
    Unsupported => "Unsupported", "unsupported";
});

/// Where a provider comes from, and how it ranks when two claim a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Tier {
    /// Generated from Thunderbird's ISPDB (`providers/ispdb/`).
    Imported,
    /// Hand-curated (`providers/*.ron`, a directory, `inventory`, the builder).
    Curated,
    /// Explicitly overrides whatever else claims the same id, domain or MX pattern.
    Override,
}

impl Tier {
    /// The stable name used in JSON and reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Imported => "imported",
            Tier::Curated => "curated",
            Tier::Override => "override",
        }
    }
}

/// An SMTP or IMAP server of a provider, with a username template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Server {
    /// Host name (ASCII, lower case).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// How the connection is secured.
    pub security: Security,
    /// How the username is derived from the address.
    pub username: UsernameTemplate,
}

impl Server {
    /// Complete settings for `address` on this server.
    #[must_use]
    pub fn settings_for(&self, address: &EmailAddress) -> ServerSettings {
        ServerSettings {
            host: self.host.clone(),
            port: self.port,
            security: self.security,
            username: self.username.apply(address),
        }
    }
}

impl Serialize for Server {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Server", 4)?;
        s.serialize_field("host", &self.host)?;
        s.serialize_field("port", &self.port)?;
        s.serialize_field("security", self.security.as_str())?;
        s.serialize_field("username", self.username.as_str())?;
        s.end()
    }
}

/// A mail provider: its domains, MX patterns, servers and policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// Stable identifier, equal to the file name (`yahoo`).
    pub id: String,
    /// Display name (`Yahoo Mail`).
    pub name: String,
    /// Users' mail domains this provider serves (ASCII, sorted).
    pub domains: Vec<String>,
    /// MX host patterns of custom domains it hosts (`*.mail.ovh.net`).
    pub mx: Vec<String>,
    /// SMTP submission servers, most preferred first.
    pub smtp: Vec<Server>,
    /// IMAP servers, most preferred first.
    pub imap: Vec<Server>,
    /// Whether a From other than the login is accepted.
    pub sender_policy: SenderPolicy,
    /// What the provider accepts as a secret.
    pub auth: Auth,
    /// Who files the copy of mail submitted over SMTP.
    pub sent_copy: SentCopy,
    /// The Sent folder's raw IMAP name, when the server does not mark it.
    pub sent_folder: Option<String>,
    /// Whether third-party software can use it.
    pub status: Status,
    /// What the user must know or do.
    pub hint: Option<Hint>,
    /// The provider's help page for mail client settings.
    pub documentation: Option<String>,
    /// Where the settings come from.
    pub source: Vec<String>,
    /// When the settings were last checked (`YYYY-MM-DD`).
    pub last_checked: String,
    /// The file or registration it was loaded from.
    pub origin: String,
    /// How it ranks against other providers.
    pub tier: Tier,
}

impl Serialize for Provider {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Provider", 17)?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("domains", &self.domains)?;
        s.serialize_field("mx", &self.mx)?;
        s.serialize_field("smtp", &self.smtp)?;
        s.serialize_field("imap", &self.imap)?;
        s.serialize_field("sender_policy", self.sender_policy.as_str())?;
        s.serialize_field("auth", self.auth.as_str())?;
        s.serialize_field("sent_copy", self.sent_copy.as_str())?;
        s.serialize_field("sent_folder", &self.sent_folder)?;
        s.serialize_field("status", self.status.as_str())?;
        s.serialize_field(
            "hint",
            &self.hint.as_ref().map(|h| {
                [("en", h.en.as_str()), ("fr", h.fr.as_str())]
                    .into_iter()
                    .collect::<BTreeMap<_, _>>()
            }),
        )?;
        s.serialize_field("documentation", &self.documentation)?;
        s.serialize_field("source", &self.source)?;
        s.serialize_field("last_checked", &self.last_checked)?;
        s.serialize_field("origin", &self.origin)?;
        s.serialize_field("tier", self.tier.as_str())?;
        s.end()
    }
}
