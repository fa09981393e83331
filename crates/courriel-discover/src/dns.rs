//! DNS for discovery: MX and SRV records, and host addresses for the
//! probes and the autoconfig requests, through one resolver whose name
//! server can be chosen (the system's, or a given one such as a local
//! test server). Host addresses are only those the [`Destinations`] policy
//! allows: probes and autoconfig requests connect to nothing else.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use courriel_net::Destinations;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

/// A resolver shared by every source of one discovery.
#[derive(Clone)]
pub(crate) struct Dns {
    resolver: Arc<TokioResolver>,
    destinations: Arc<Destinations>,
}

/// One SRV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Srv {
    pub(crate) priority: u16,
    pub(crate) weight: u16,
    pub(crate) port: u16,
    /// Lower case, without the trailing dot; empty for "no service" (`.`).
    pub(crate) target: String,
}

fn name_text(name: &impl std::fmt::Display) -> String {
    name.to_string().trim_end_matches('.').to_ascii_lowercase()
}

impl Dns {
    /// A resolver asking `server` (UDP, then TCP), or the system's name
    /// servers (`/etc/resolv.conf`) when `None`; every query bounded by
    /// `timeout`; host addresses limited to what `destinations` allows.
    pub(crate) fn new(
        server: Option<SocketAddr>,
        timeout: Duration,
        destinations: Destinations,
    ) -> Result<Dns, String> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = match server {
            Some(addr) => {
                let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                ns.connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                    .into_iter()
                    .map(|mut c| {
                        c.port = addr.port();
                        c
                    })
                    .collect();
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![ns]),
                    provider,
                )
            }
            None => TokioResolver::builder(provider).map_err(|e| e.to_string())?,
        };
        let options = builder.options_mut();
        options.timeout = timeout;
        options.attempts = 1;
        options.ndots = 0;
        let resolver = builder.build().map_err(|e| e.to_string())?;
        Ok(Dns {
            resolver: Arc::new(resolver),
            destinations: Arc::new(destinations),
        })
    }

    /// MX hosts of `domain`, most preferred first (lower case, no trailing dot).
    pub(crate) async fn mx(&self, domain: &str) -> Result<Vec<String>, String> {
        let lookup = self
            .resolver
            .mx_lookup(fqdn(domain))
            .await
            .map_err(|e| e.to_string())?;
        let mut hosts: Vec<(u16, String)> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::MX(mx) => Some((mx.preference, name_text(&mx.exchange))),
                _ => None,
            })
            .filter(|(_, host)| !host.is_empty())
            .collect();
        hosts.sort();
        Ok(hosts.into_iter().map(|(_, host)| host).collect())
    }

    /// SRV records of `name` (`_imaps._tcp.example.com`), in RFC 2782
    /// order (priority, then heavier weight first).
    pub(crate) async fn srv(&self, name: &str) -> Result<Vec<Srv>, String> {
        let lookup = self
            .resolver
            .srv_lookup(fqdn(name))
            .await
            .map_err(|e| e.to_string())?;
        let mut records: Vec<Srv> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::SRV(srv) => Some(Srv {
                    priority: srv.priority,
                    weight: srv.weight,
                    port: srv.port,
                    target: name_text(&srv.target),
                }),
                _ => None,
            })
            .collect();
        records.sort_by_key(|r| (r.priority, std::cmp::Reverse(r.weight)));
        Ok(records)
    }

    /// The TXT records of `name`, each record's strings joined, with when
    /// the answer stops being valid; an empty list when the name has none
    /// (or does not exist). Records over 4 KiB are cut: a DMARC record
    /// is a few hundred bytes.
    pub(crate) async fn txt(
        &self,
        name: &str,
    ) -> Result<(Vec<String>, std::time::Instant), String> {
        const MAX: usize = 4096;
        match self.resolver.txt_lookup(fqdn(name)).await {
            Ok(lookup) => {
                let records = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::TXT(record) => {
                            let mut joined = Vec::new();
                            for part in &record.txt_data {
                                joined.extend_from_slice(part);
                            }
                            joined.truncate(MAX);
                            Some(String::from_utf8_lossy(&joined).into_owned())
                        }
                        _ => None,
                    })
                    .collect();
                Ok((records, lookup.valid_until()))
            }
            // Negative answers are cached by the resolver as it sees fit;
            // ours keeps them for a minute.
            Err(e) if e.is_no_records_found() => Ok((
                Vec::new(),
                std::time::Instant::now() + Duration::from_secs(60),
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The addresses of `host` that may be connected to.
    pub(crate) async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        let lookup = self
            .resolver
            .lookup_ip(fqdn(host))
            .await
            .map_err(|e| e.to_string())?;
        let mut refused = None;
        let addresses: Vec<IpAddr> = lookup
            .iter()
            .filter(|ip| match self.destinations.check(*ip) {
                Ok(()) => true,
                Err(special) => {
                    refused.get_or_insert((*ip, special));
                    false
                }
            })
            .collect();
        match refused {
            Some((ip, special)) if addresses.is_empty() => Err(format!(
                "{host} is at {ip}, a {special} address: not allowed"
            )),
            _ if addresses.is_empty() => Err(format!("{host} has no address")),
            _ => Ok(addresses),
        }
    }

    /// Whether an address may be connected to (an IP literal in a URL).
    pub(crate) fn check(&self, ip: IpAddr) -> Result<(), String> {
        self.destinations
            .check(ip)
            .map_err(|special| format!("{ip} is a {special} address: not allowed"))
    }
}

/// `name` as a fully qualified name (no search domains).
fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

/// reqwest resolves host names through the same resolver.
impl reqwest::dns::Resolve for Dns {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let dns = self.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addresses = dns
                .addresses(&host)
                .await
                .map_err(Box::<dyn std::error::Error + Send + Sync>::from)?;
            let sockets: reqwest::dns::Addrs =
                Box::new(addresses.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(sockets)
        })
    }
}
