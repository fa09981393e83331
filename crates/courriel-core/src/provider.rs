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

/// A SASL mechanism that signs in with an OAuth2 bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[non_exhaustive]
pub enum SaslMechanism {
    /// Google's and Microsoft's `XOAUTH2`: `user=...^Aauth=Bearer ...^A^A`.
    XOAuth2,
    /// RFC 7628's `OAUTHBEARER`: a GS2 header, then `auth=Bearer ...`.
    OAuthBearer,
}

impl SaslMechanism {
    /// The mechanism's name on the wire, as servers list it (`XOAUTH2`).
    #[must_use]
    pub fn sasl_name(self) -> &'static str {
        match self {
            SaslMechanism::XOAuth2 => "XOAUTH2",
            SaslMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// Whether a provider's authorization server takes PKCE (RFC 7636).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
pub enum Pkce {
    /// A code challenge must be sent.
    Required,
    /// A code challenge is checked when sent (we always send one).
    Supported,
    /// Not known: we send one; servers that do not know PKCE ignore it (RFC 7636, section 5).
    Unknown,
}

/// Whether a provider's token endpoint wants the client's secret from an
/// application installed on the user's machine (a "desktop" or "public"
/// client). A web application always has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
pub enum ClientSecret {
    /// Every client has a secret, sent to the token endpoint (Google, Yahoo).
    Required,
    /// Public clients have none (Microsoft's "mobile and desktop" platform).
    NotForPublicClients,
    /// Not known.
    Unknown,
}

/// How a provider signs in with OAuth2 (RFC 6749): its endpoints, the scopes
/// that grant IMAP and SMTP, and what its mail servers accept.
///
/// The URLs may hold `{tenant}` (Microsoft's directory: `common`,
/// `consumers`, `organizations` or a tenant id). Whether an application may
/// use it depends on the application having registered a client with the
/// provider: the application brings its client id (and secret); none is
/// shipped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename = "OAuth2")]
pub struct OAuth2 {
    /// The authorization endpoint (https).
    pub authorization_url: String,
    /// The token endpoint (https).
    pub token_url: String,
    /// The device authorization endpoint (RFC 8628), where the provider
    /// grants the mail scopes through it.
    #[serde(default)]
    pub device_authorization_url: Option<String>,
    /// The revocation endpoint (RFC 7009), where signing out makes the
    /// provider forget the sign-in; `None` where the provider has none
    /// (Microsoft: the user removes the application's access in their
    /// account's settings).
    #[serde(default)]
    pub revocation_url: Option<String>,
    /// Scopes that grant IMAP access.
    pub imap_scopes: Vec<String>,
    /// Scopes that grant SMTP submission.
    pub smtp_scopes: Vec<String>,
    /// Scopes asked for beside them: refresh tokens (`offline_access`), whose
    /// account it is (`openid`, `email`).
    #[serde(default)]
    pub extra_scopes: Vec<String>,
    /// Parameters added to the authorization URL (Google's
    /// `access_type=offline` for a refresh token).
    #[serde(default)]
    pub authorization_params: Vec<(String, String)>,
    /// Whether PKCE is taken.
    pub pkce: Pkce,
    /// Whether an installed application's client has a secret.
    pub client_secret: ClientSecret,
    /// The SASL mechanisms its IMAP and SMTP servers accept, preferred first.
    pub mechanisms: Vec<SaslMechanism>,
    /// The `{tenant}` when the user names none.
    #[serde(default)]
    pub default_tenant: Option<String>,
    /// Where an organisation's administrator approves the application; may
    /// hold `{tenant}` and `{client_id}`.
    #[serde(default)]
    pub admin_consent_url: Option<String>,
    /// Where a developer registers an application's client.
    #[serde(default)]
    pub registration: Option<String>,
    /// Where these facts come from.
    pub source: Vec<String>,
    /// When they were last checked (`YYYY-MM-DD`).
    pub last_checked: String,
}

impl OAuth2 {
    /// Every scope to ask for: IMAP's, SMTP's, then the extra ones, each once,
    /// in that order.
    #[must_use]
    pub fn scopes(&self) -> Vec<&str> {
        let mut all: Vec<&str> = Vec::new();
        for scope in self
            .imap_scopes
            .iter()
            .chain(&self.smtp_scopes)
            .chain(&self.extra_scopes)
        {
            if !all.contains(&scope.as_str()) {
                all.push(scope);
            }
        }
        all
    }

    /// `url` with its `{tenant}` filled in: `tenant`, else the default one.
    /// `None` when the URL has the slot and no tenant is known.
    #[must_use]
    pub fn with_tenant(&self, url: &str, tenant: Option<&str>) -> Option<String> {
        if !url.contains("{tenant}") {
            return Some(url.to_owned());
        }
        let tenant = tenant.or(self.default_tenant.as_deref())?;
        Some(url.replace("{tenant}", tenant))
    }
}

impl Serialize for OAuth2 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("OAuth2", 16)?;
        s.serialize_field("authorization_url", &self.authorization_url)?;
        s.serialize_field("token_url", &self.token_url)?;
        s.serialize_field("device_authorization_url", &self.device_authorization_url)?;
        s.serialize_field("revocation_url", &self.revocation_url)?;
        s.serialize_field("imap_scopes", &self.imap_scopes)?;
        s.serialize_field("smtp_scopes", &self.smtp_scopes)?;
        s.serialize_field("extra_scopes", &self.extra_scopes)?;
        s.serialize_field(
            "authorization_params",
            &self
                .authorization_params
                .iter()
                .cloned()
                .collect::<BTreeMap<_, _>>(),
        )?;
        s.serialize_field("pkce", self.pkce.as_str())?;
        s.serialize_field("client_secret", self.client_secret.as_str())?;
        s.serialize_field(
            "mechanisms",
            &self
                .mechanisms
                .iter()
                .map(|m| m.sasl_name())
                .collect::<Vec<_>>(),
        )?;
        s.serialize_field("default_tenant", &self.default_tenant)?;
        s.serialize_field("admin_consent_url", &self.admin_consent_url)?;
        s.serialize_field("registration", &self.registration)?;
        s.serialize_field("source", &self.source)?;
        s.serialize_field("last_checked", &self.last_checked)?;
        s.end()
    }
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
crate::__names!(SaslMechanism {
    XOAuth2 => "XOAuth2", "xoauth2";
    OAuthBearer => "OAuthBearer", "oauthbearer";
});
crate::__names!(Pkce {
    Required => "Required", "required";
    Supported => "Supported", "supported";
    Unknown => "Unknown", "unknown";
});
crate::__names!(ClientSecret {
    Required => "Required", "required";
    NotForPublicClients => "NotForPublicClients", "not-for-public-clients";
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
    /// Host name (ASCII, lower case). A hoster whose servers are per
    /// customer writes it with the slot [`Server::DOMAIN_SLOT`] as its
    /// last part (`mail.{domain}`): the address's domain fills it.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// How the connection is secured.
    pub security: Security,
    /// How the username is derived from the address.
    pub username: UsernameTemplate,
}

impl Server {
    /// The slot in [`Server::host`] that the user's mail domain fills.
    pub const DOMAIN_SLOT: &'static str = "{domain}";

    /// Whether the host is the user's own domain's (`mail.{domain}`), not
    /// one host shared by every user of the provider.
    #[must_use]
    pub fn is_per_domain(&self) -> bool {
        self.host.ends_with(Self::DOMAIN_SLOT)
    }

    /// The host for `address`: [`Server::host`] with its `{domain}` slot
    /// (if any) filled by the address's domain.
    #[must_use]
    pub fn host_for(&self, address: &EmailAddress) -> String {
        match self.host.strip_suffix(Self::DOMAIN_SLOT) {
            Some(prefix) => format!("{prefix}{}", address.domain().as_str()),
            None => self.host.clone(),
        }
    }

    /// Complete settings for `address` on this server.
    #[must_use]
    pub fn settings_for(&self, address: &EmailAddress) -> ServerSettings {
        ServerSettings {
            host: self.host_for(address),
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
    /// How it signs in with OAuth2, where it offers it.
    pub oauth2: Option<OAuth2>,
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
        let mut s = serializer.serialize_struct("Provider", 18)?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("domains", &self.domains)?;
        s.serialize_field("mx", &self.mx)?;
        s.serialize_field("smtp", &self.smtp)?;
        s.serialize_field("imap", &self.imap)?;
        s.serialize_field("sender_policy", self.sender_policy.as_str())?;
        s.serialize_field("auth", self.auth.as_str())?;
        s.serialize_field("oauth2", &self.oauth2)?;
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
