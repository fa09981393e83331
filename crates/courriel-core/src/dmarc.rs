//! DMARC, as far as sending on a user's behalf needs it: a domain's
//! published policy (RFC 7489 §6.3: the `_dmarc` TXT record), what it means
//! for a message sent through the application's default provider, and the
//! choice this leads to — the user's own address in `From`, or
//! `"Isabelle Martin via Facturo" <noreply@facturo.fr>` with the user in
//! `Reply-To`.
//!
//! Mail from `isabelle.martin@yahoo.fr` sent by SendGrid for another
//! application is neither signed by `yahoo.fr` (DKIM) nor sent from its
//! servers (SPF): it fails DMARC alignment, and a domain publishing
//! `p=reject` or `p=quarantine` (Yahoo, AOL, many businesses) asks
//! receivers to refuse or junk it. Calendars, mailing lists and invoicing
//! services sending for their users all answer the same way: their own
//! address in `From`, the user's name shown beside it, replies to the user.
//!
//! This module holds no IO: the lookup is `courriel_discover::dmarc`'s.

use std::fmt;

use crate::{Domain, EmailAddress};

/// What a domain asks receivers to do with mail failing DMARC (`p=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DmarcPolicy {
    /// `none`: deliver anyway, only report.
    None,
    /// `quarantine`: treat as suspicious (spam folder).
    Quarantine,
    /// `reject`: refuse it.
    Reject,
}

impl DmarcPolicy {
    /// `none`, `quarantine` or `reject`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcPolicy::None => "none",
            DmarcPolicy::Quarantine => "quarantine",
            DmarcPolicy::Reject => "reject",
        }
    }

    /// Whether receivers are asked to act on failing mail (quarantine or
    /// reject).
    #[must_use]
    pub fn enforces(self) -> bool {
        self != DmarcPolicy::None
    }

    fn parse(value: &str) -> Option<DmarcPolicy> {
        match value.to_ascii_lowercase().as_str() {
            "none" => Some(DmarcPolicy::None),
            "quarantine" => Some(DmarcPolicy::Quarantine),
            "reject" => Some(DmarcPolicy::Reject),
            _ => None,
        }
    }
}

/// One DMARC record, as far as policy goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmarcRecord {
    /// `p=`: for the domain itself.
    pub policy: DmarcPolicy,
    /// `sp=`: for its subdomains, when given (else `p` applies).
    pub subdomain_policy: Option<DmarcPolicy>,
    /// `pct=`: the share of failing mail the policy applies to (100 when
    /// absent); the rest gets the next policy down.
    pub percent: u8,
}

/// Why a TXT record is not a DMARC record we can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// It does not start with `v=DMARC1`: another kind of TXT record,
    /// ignored as RFC 7489 §6.6.3 says.
    NotDmarc,
    /// `p=` is missing or not `none`, `quarantine` or `reject`.
    NoPolicy,
}

impl DmarcRecord {
    /// Reads a TXT record's text (its strings joined).
    ///
    /// Tags are `name=value` pairs separated by `;`, names case-insensitive,
    /// spaces around them ignored; the record must start with `v=DMARC1`.
    /// An invalid `sp` is ignored (then `p` applies to subdomains), an
    /// invalid `pct` counts as 100: neither may weaken what `p` says.
    pub fn parse(text: &str) -> Result<DmarcRecord, RecordError> {
        let mut tags = text.split(';').map(|tag| {
            let (name, value) = tag.split_once('=').unwrap_or((tag, ""));
            (name.trim().to_ascii_lowercase(), value.trim())
        });
        match tags.next() {
            Some((name, value)) if name == "v" && value == "DMARC1" => {}
            _ => return Err(RecordError::NotDmarc),
        }
        let (mut policy, mut subdomain_policy, mut percent) = (None, None, 100);
        for (name, value) in tags {
            match name.as_str() {
                "p" if policy.is_none() => policy = DmarcPolicy::parse(value),
                "sp" if subdomain_policy.is_none() => {
                    subdomain_policy = DmarcPolicy::parse(value);
                }
                "pct" => {
                    percent = value
                        .parse::<u8>()
                        .ok()
                        .filter(|p| *p <= 100)
                        .unwrap_or(100);
                }
                _ => {}
            }
        }
        Ok(DmarcRecord {
            policy: policy.ok_or(RecordError::NoPolicy)?,
            subdomain_policy,
            percent,
        })
    }

    /// The policy for a sender domain this record was found for: `p` at the
    /// domain itself, `sp` (else `p`) when found at its organizational
    /// domain.
    #[must_use]
    pub fn policy_for(&self, found_at_organizational_domain: bool) -> DmarcPolicy {
        if found_at_organizational_domain {
            self.subdomain_policy.unwrap_or(self.policy)
        } else {
            self.policy
        }
    }
}

/// What DNS says of a sender domain's DMARC policy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dmarc {
    /// A record applies: the policy for the sender domain, and where the
    /// record was found (the domain itself, or its organizational domain).
    Published {
        /// The policy that applies to the sender domain.
        policy: DmarcPolicy,
        /// The domain whose `_dmarc` record said it.
        at: String,
    },
    /// No DMARC record, at the domain or its organizational domain (or
    /// several, which RFC 7489 counts as none).
    NotPublished,
    /// DNS did not say: no answer in time, or a failure. Treated as
    /// enforcing, since a missed `p=reject` costs the message.
    Unknown {
        /// What went wrong, for logs.
        reason: String,
    },
}

impl Dmarc {
    /// The policy, `None` when unknown.
    #[must_use]
    pub fn policy(&self) -> Option<DmarcPolicy> {
        match self {
            Dmarc::Published { policy, .. } => Some(*policy),
            Dmarc::NotPublished => Some(DmarcPolicy::None),
            Dmarc::Unknown { .. } => None,
        }
    }
}

/// When mail through the default provider goes out under the
/// application's address rather than the user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnBehalfWhen {
    /// For every sender outside the application's authenticated domains,
    /// whatever their DMARC policy says (no DNS lookup).
    Always,
    /// When the sender domain's DMARC policy is `quarantine` or `reject`,
    /// or cannot be looked up (the default).
    #[default]
    DmarcEnforces,
    /// Never: the user's address stays in `From` (mail from domains with
    /// an enforcing policy will be refused or junked).
    Never,
}

impl OnBehalfWhen {
    /// `always`, `dmarc-enforces` or `never`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            OnBehalfWhen::Always => "always",
            OnBehalfWhen::DmarcEnforces => "dmarc-enforces",
            OnBehalfWhen::Never => "never",
        }
    }
}

impl std::str::FromStr for OnBehalfWhen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "always" => Ok(OnBehalfWhen::Always),
            "dmarc-enforces" => Ok(OnBehalfWhen::DmarcEnforces),
            "never" => Ok(OnBehalfWhen::Never),
            _ => Err(format!(
                "`{s}` is not a policy: write always, dmarc-enforces or never"
            )),
        }
    }
}

/// How the application sends for users through its default provider: its
/// name, its own address, the domains it authenticated with the provider
/// (SPF and DKIM), and when to send on the user's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnBehalf {
    app_name: String,
    app_address: EmailAddress,
    authenticated: Vec<Domain>,
    /// When to send under the application's address.
    pub when: OnBehalfWhen,
}

/// An application's sending identity that cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnBehalfError(pub String);

impl fmt::Display for OnBehalfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OnBehalfError {}

impl OnBehalf {
    /// The application `app_name` (shown as "Isabelle Martin via
    /// `app_name`"), sending from `app_address`, which must be in one of
    /// `authenticated`, the domains set up with the provider (mail from
    /// them is aligned).
    pub fn new(
        app_name: &str,
        app_address: EmailAddress,
        authenticated: impl IntoIterator<Item = Domain>,
    ) -> Result<OnBehalf, OnBehalfError> {
        let app_name = app_name.trim();
        if app_name.is_empty() || app_name.chars().any(char::is_control) {
            return Err(OnBehalfError(
                "the application's name must be a non-empty line of text".into(),
            ));
        }
        let authenticated: Vec<Domain> = authenticated.into_iter().collect();
        let on_behalf = OnBehalf {
            app_name: app_name.to_string(),
            app_address,
            authenticated,
            when: OnBehalfWhen::default(),
        };
        if !on_behalf.is_authenticated(on_behalf.app_address.domain()) {
            return Err(OnBehalfError(format!(
                "{} is not in a domain the application authenticated with its provider ({}): \
                 mail from it would fail DMARC too",
                on_behalf.app_address,
                if on_behalf.authenticated.is_empty() {
                    "none given".to_string()
                } else {
                    on_behalf
                        .authenticated
                        .iter()
                        .map(Domain::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        }
        Ok(on_behalf)
    }

    /// With `when` as the policy.
    #[must_use]
    pub fn when(mut self, when: OnBehalfWhen) -> OnBehalf {
        self.when = when;
        self
    }

    /// The application's name.
    #[must_use]
    pub fn app_name(&self) -> &str {
        &self.app_name
    }

    /// The application's address.
    #[must_use]
    pub fn app_address(&self) -> &EmailAddress {
        &self.app_address
    }

    /// Whether mail from `domain` is aligned through the application's own
    /// authentication: `domain` is one of its authenticated domains or
    /// below one (relaxed alignment).
    #[must_use]
    pub fn is_authenticated(&self, domain: &Domain) -> bool {
        let domain = domain.as_str();
        self.authenticated.iter().any(|a| {
            let a = a.as_str();
            domain == a
                || domain
                    .strip_suffix(a)
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    }

    /// Whether sending as `sender` needs its domain's DMARC policy: only
    /// under [`OnBehalfWhen::DmarcEnforces`], outside the authenticated
    /// domains.
    #[must_use]
    pub fn needs_dmarc(&self, sender: &EmailAddress) -> bool {
        self.when == OnBehalfWhen::DmarcEnforces && !self.is_authenticated(sender.domain())
    }

    /// How a message from `sender` goes out through the default provider,
    /// given what DNS says of its domain (`None` when not looked up:
    /// [`OnBehalf::needs_dmarc`] said no).
    #[must_use]
    pub fn decide(&self, sender: &EmailAddress, dmarc: Option<&Dmarc>) -> SentAs {
        if self.is_authenticated(sender.domain()) {
            return SentAs::User(AsUser::Authenticated);
        }
        let reason = match (self.when, dmarc) {
            (OnBehalfWhen::Never, _) => return SentAs::User(AsUser::PolicyNever),
            (OnBehalfWhen::Always, _) => Why::PolicyAlways,
            (OnBehalfWhen::DmarcEnforces, None) => Why::DmarcUnknown,
            (OnBehalfWhen::DmarcEnforces, Some(dmarc)) => match dmarc {
                Dmarc::Published { policy, .. } if policy.enforces() => Why::Dmarc(*policy),
                Dmarc::Published { .. } => return SentAs::User(AsUser::DmarcNone),
                Dmarc::NotPublished => return SentAs::User(AsUser::NoDmarc),
                Dmarc::Unknown { .. } => Why::DmarcUnknown,
            },
        };
        SentAs::OnBehalf {
            app_name: self.app_name.clone(),
            app_address: self.app_address.clone(),
            why: reason,
        }
    }
}

/// Who a message through the default provider is from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SentAs {
    /// The user's own address in `From`.
    User(AsUser),
    /// The application's address in `From`, the user's name beside the
    /// application's, the user's address in `Reply-To`.
    OnBehalf {
        /// The application's name.
        app_name: String,
        /// The address in `From`.
        app_address: EmailAddress,
        /// Why.
        why: Why,
    },
}

impl SentAs {
    /// `user` or `on-behalf`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            SentAs::User(_) => "user",
            SentAs::OnBehalf { .. } => "on-behalf",
        }
    }

    /// Why, as a stable word (`authenticated`, `dmarc-reject`...).
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            SentAs::User(AsUser::Authenticated) => "authenticated",
            SentAs::User(AsUser::PolicyNever) => "policy-never",
            SentAs::User(AsUser::DmarcNone) => "dmarc-none",
            SentAs::User(AsUser::NoDmarc) => "no-dmarc",
            SentAs::User(AsUser::OwnServer) => "own-server",
            SentAs::OnBehalf { why, .. } => why.as_str(),
        }
    }
}

/// Why a message keeps the user's address in `From`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AsUser {
    /// It went through the user's own server.
    OwnServer,
    /// The sender's domain is one the application authenticated.
    Authenticated,
    /// The application's policy is [`OnBehalfWhen::Never`], or it set no
    /// sending identity of its own.
    PolicyNever,
    /// The domain's DMARC policy is `none`.
    DmarcNone,
    /// The domain publishes no DMARC record.
    NoDmarc,
}

/// Why a message goes out under the application's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Why {
    /// The application's policy is [`OnBehalfWhen::Always`].
    PolicyAlways,
    /// The domain's DMARC policy is `quarantine` or `reject`.
    Dmarc(DmarcPolicy),
    /// The domain's DMARC policy could not be looked up.
    DmarcUnknown,
}

impl Why {
    /// `policy-always`, `dmarc-quarantine`, `dmarc-reject` or
    /// `dmarc-unknown`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Why::PolicyAlways => "policy-always",
            Why::Dmarc(DmarcPolicy::Reject) => "dmarc-reject",
            Why::Dmarc(_) => "dmarc-quarantine",
            Why::DmarcUnknown => "dmarc-unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> EmailAddress {
        s.parse().unwrap()
    }

    fn app() -> OnBehalf {
        OnBehalf::new(
            "Facturo",
            addr("noreply@facturo.fr"),
            [Domain::parse("facturo.fr").unwrap()],
        )
        .unwrap()
    }

    #[test]
    fn records_are_read_as_rfc_7489_writes_them() {
        let r = DmarcRecord::parse("v=DMARC1; p=reject; rua=mailto:d@yahoo.com").unwrap();
        assert_eq!(r.policy, DmarcPolicy::Reject);
        assert_eq!(r.subdomain_policy, None);
        assert_eq!(r.percent, 100);
        let r = DmarcRecord::parse("v=DMARC1;P=None ; SP=quarantine;pct=20").unwrap();
        assert_eq!(
            (r.policy, r.subdomain_policy, r.percent),
            (DmarcPolicy::None, Some(DmarcPolicy::Quarantine), 20)
        );
        assert_eq!(r.policy_for(false), DmarcPolicy::None);
        assert_eq!(r.policy_for(true), DmarcPolicy::Quarantine);
        assert_eq!(
            DmarcRecord::parse("v=spf1 -all"),
            Err(RecordError::NotDmarc)
        );
        // v must come first.
        assert_eq!(
            DmarcRecord::parse("p=reject; v=DMARC1"),
            Err(RecordError::NotDmarc)
        );
        assert_eq!(
            DmarcRecord::parse("v=DMARC1; rua=mailto:x@y.fr"),
            Err(RecordError::NoPolicy)
        );
        assert_eq!(
            DmarcRecord::parse("v=DMARC1; p=block"),
            Err(RecordError::NoPolicy)
        );
        // Bad sp and pct never weaken p.
        let r = DmarcRecord::parse("v=DMARC1; p=reject; sp=maybe; pct=250").unwrap();
        assert_eq!((r.policy_for(true), r.percent), (DmarcPolicy::Reject, 100));
    }

    #[test]
    fn each_policy_gives_its_decision() {
        let yahoo = addr("isabelle.martin@yahoo.fr");
        let published = |policy| Dmarc::Published {
            policy,
            at: "yahoo.fr".into(),
        };
        let on_behalf = |why| SentAs::OnBehalf {
            app_name: "Facturo".into(),
            app_address: addr("noreply@facturo.fr"),
            why,
        };
        let app = app();
        assert!(app.needs_dmarc(&yahoo));
        for (dmarc, expected) in [
            (
                published(DmarcPolicy::Reject),
                on_behalf(Why::Dmarc(DmarcPolicy::Reject)),
            ),
            (
                published(DmarcPolicy::Quarantine),
                on_behalf(Why::Dmarc(DmarcPolicy::Quarantine)),
            ),
            (
                published(DmarcPolicy::None),
                SentAs::User(AsUser::DmarcNone),
            ),
            (Dmarc::NotPublished, SentAs::User(AsUser::NoDmarc)),
            (
                Dmarc::Unknown {
                    reason: "timed out".into(),
                },
                on_behalf(Why::DmarcUnknown),
            ),
        ] {
            assert_eq!(app.decide(&yahoo, Some(&dmarc)), expected, "{dmarc:?}");
        }
        let always = app.clone().when(OnBehalfWhen::Always);
        assert!(!always.needs_dmarc(&yahoo));
        assert_eq!(always.decide(&yahoo, None), on_behalf(Why::PolicyAlways));
        let never = app.clone().when(OnBehalfWhen::Never);
        assert!(!never.needs_dmarc(&yahoo));
        assert_eq!(
            never.decide(&yahoo, Some(&published(DmarcPolicy::Reject))),
            SentAs::User(AsUser::PolicyNever)
        );
        // The application's own domains and their subdomains stay as they are.
        for own in ["compta@facturo.fr", "x@clients.facturo.fr"] {
            assert!(!always.needs_dmarc(&addr(own)));
            assert_eq!(
                always.decide(&addr(own), None),
                SentAs::User(AsUser::Authenticated)
            );
        }
        assert!(!app.is_authenticated(&Domain::parse("notfacturo.fr").unwrap()));
    }

    #[test]
    fn the_applications_address_must_be_authenticated() {
        let e = OnBehalf::new(
            "Facturo",
            addr("noreply@facturo.fr"),
            [Domain::parse("facturo.com").unwrap()],
        )
        .unwrap_err();
        assert!(e.0.contains("noreply@facturo.fr"), "{e}");
        assert!(e.0.contains("facturo.com"), "{e}");
        assert!(OnBehalf::new("", addr("noreply@facturo.fr"), []).is_err());
        assert!(OnBehalf::new("A\nB", addr("noreply@facturo.fr"), []).is_err());
    }
}
