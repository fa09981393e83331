//! A provider as the catalog serves it: checked, normalised, with its origin.

use courriel_core::{EmailAddress, Security, ServerSettings, UsernameTemplate};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::file::{Auth, Hint, ProviderFile, SenderPolicy, SentCopy, ServerFile, Status};

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
#[non_exhaustive]
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

impl From<&ServerFile> for Server {
    fn from(s: &ServerFile) -> Self {
        Server {
            host: s.host.clone(),
            port: s.port,
            security: s.security.into(),
            username: s.username.into(),
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
#[non_exhaustive]
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

impl Provider {
    pub(crate) fn from_file(file: ProviderFile, origin: String, tier: Tier) -> Self {
        Provider {
            smtp: file.smtp.iter().map(Server::from).collect(),
            imap: file.imap.iter().map(Server::from).collect(),
            id: file.id,
            name: file.name,
            domains: file.domains,
            mx: file.mx,
            sender_policy: file.sender_policy,
            auth: file.auth,
            sent_copy: file.sent_copy,
            sent_folder: file.sent_folder,
            status: file.status,
            hint: file.hint,
            documentation: file.documentation,
            source: file.source,
            last_checked: file.last_checked,
            origin,
            tier,
        }
    }
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
                    .collect::<std::collections::BTreeMap<_, _>>()
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
