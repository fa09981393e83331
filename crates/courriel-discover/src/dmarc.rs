//! A sender domain's DMARC policy, looked up in DNS as RFC 7489 §6.6.3
//! says: the `_dmarc` TXT record of the domain itself, else that of its
//! organizational domain (its registrable domain by the public suffix
//! list, `factures.boulangerie.fr` → `boulangerie.fr`), whose `sp=` then
//! applies. Records that do not start with `v=DMARC1` are ignored; several
//! DMARC records at one name count as none.
//!
//! Every lookup is bounded in time (both queries together); answers are
//! kept until their DNS lifetime ends (at most an hour), failures for a
//! minute, so a dead name server costs one wait a minute per domain, not
//! one per message. The cache holds at most [`DmarcLookup::CAPACITY`]
//! domains.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use courriel_core::Domain;
use courriel_core::dmarc::{Dmarc, DmarcRecord, RecordError};
use courriel_net::Destinations;

use crate::dns::Dns;

/// Looks up DMARC policies, with a cache; cheap to share (`Arc`).
pub struct DmarcLookup {
    dns: Dns,
    deadline: Duration,
    cache: Mutex<HashMap<String, (Instant, Dmarc)>>,
}

impl std::fmt::Debug for DmarcLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DmarcLookup")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// How long an answer is kept at most, and a failure.
const KEEP_ANSWER: Duration = Duration::from_secs(3600);
const KEEP_FAILURE: Duration = Duration::from_secs(60);

impl DmarcLookup {
    /// Domains kept in the cache at most; past it, expired entries go,
    /// then everything.
    pub const CAPACITY: usize = 10_000;

    /// Asking `name_server` (UDP, then TCP), or the system's name servers
    /// when `None`; a whole lookup bounded by `deadline`.
    pub fn new(name_server: Option<SocketAddr>, deadline: Duration) -> Result<DmarcLookup, String> {
        // Each query gets the whole bound; the overall one is ours.
        let dns = Dns::new(name_server, deadline, Destinations::AnyAddress)?;
        Ok(DmarcLookup {
            dns,
            deadline,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// What DNS says of `domain`'s DMARC policy: from the cache while it
    /// holds, else looked up within the deadline. Never fails: a lookup
    /// that did not answer is [`Dmarc::Unknown`].
    pub async fn policy(&self, domain: &Domain) -> Dmarc {
        let key = domain.as_str();
        if let Some((until, dmarc)) = self.cache().get(key)
            && *until > Instant::now()
        {
            return dmarc.clone();
        }
        let (dmarc, until) = match tokio::time::timeout(self.deadline, self.look_up(key)).await {
            Ok(Ok((dmarc, until))) => (dmarc, until.min(Instant::now() + KEEP_ANSWER)),
            Ok(Err(reason)) => (Dmarc::Unknown { reason }, Instant::now() + KEEP_FAILURE),
            Err(_) => (
                Dmarc::Unknown {
                    reason: format!("no answer within {} ms", self.deadline.as_millis()),
                },
                Instant::now() + KEEP_FAILURE,
            ),
        };
        let mut cache = self.cache();
        if cache.len() >= Self::CAPACITY {
            let now = Instant::now();
            cache.retain(|_, (until, _)| *until > now);
            if cache.len() >= Self::CAPACITY {
                cache.clear();
            }
        }
        cache.insert(key.to_string(), (until, dmarc.clone()));
        dmarc
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Dmarc)>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The policy for `domain` and until when the answer holds.
    async fn look_up(&self, domain: &str) -> Result<(Dmarc, Instant), String> {
        let (record, until) = self.record(domain).await?;
        if let Some(record) = record {
            return Ok((published(record, domain, false), until));
        }
        match courriel_presets::registrable_domain(domain) {
            Some(organizational) if organizational != domain => {
                let (record, org_until) = self.record(organizational).await?;
                let until = until.min(org_until);
                Ok(match record {
                    Some(record) => (published(record, organizational, true), until),
                    None => (Dmarc::NotPublished, until),
                })
            }
            _ => Ok((Dmarc::NotPublished, until)),
        }
    }

    /// The one DMARC record at `_dmarc.<domain>`, if exactly one.
    async fn record(&self, domain: &str) -> Result<(Option<DmarcRecord>, Instant), String> {
        let (texts, until) = self.dns.txt(&format!("_dmarc.{domain}")).await?;
        let mut records = texts
            .iter()
            .map(|t| DmarcRecord::parse(t))
            .filter(|r| *r != Err(RecordError::NotDmarc));
        let record = match (records.next(), records.next()) {
            // A record with no usable `p=` is a DMARC record all the same:
            // it counts, as `none`.
            (Some(one), None) => Some(one.unwrap_or(DmarcRecord {
                policy: courriel_core::dmarc::DmarcPolicy::None,
                subdomain_policy: None,
                percent: 100,
            })),
            _ => None,
        };
        Ok((record, until))
    }
}

fn published(record: DmarcRecord, at: &str, organizational: bool) -> Dmarc {
    Dmarc::Published {
        policy: record.policy_for(organizational),
        at: at.to_string(),
    }
}
