//! Discovery beyond the catalog: the mail settings of a custom domain
//! (`contact@boulangerie-martin.fr`, hosted at OVH, IONOS, Gandi, Google
//! Workspace...), found the way Thunderbird does, with stricter trust.
//!
//! Every source starts at once and each is bounded by its own timeout; a
//! better ranked source wins (the order of [`SourceKind`]):
//!
//! | rank | source | trusted |
//! |---|---|---|
//! | 1 | the catalog, by the address's domain | yes |
//! | 2 | the domain's own autoconfig file | over https; never over http |
//! | 3 | the catalog, by the domain's MX host | when the MX host is inside the domain |
//! | 4 | the autoconfig file at the MX host's base domain | when inside the domain |
//! | 5 | RFC 6186 / 8314 SRV records | only targets inside the domain are taken |
//! | 6 | guessing `imap.`, `smtp.`, `mail.` and the bare domain | never |
//!
//! The answer is settled as soon as a result can no longer be outranked
//! (every better source has finished), or at the overall deadline with the
//! best result so far; a source that hangs never delays the answer past
//! its own timeout. Untrusted results must be confirmed by the user.
//! Guessing is TLS only (implicit TLS, or STARTTLS that must be offered),
//! never port 25, and logs in to nothing. With [`Discovery::destinations`],
//! probes and autoconfig requests (redirects included) connect only to
//! addresses the policy allows, as the mailer's connections do.
//!
//! ```no_run
//! # async fn demo() {
//! use courriel_discover::Discovery;
//! let address = courriel_core::EmailAddress::parse("contact@boulangerie-martin.fr").unwrap();
//! let report = Discovery::new(courriel_presets::Catalog::builtin().clone())
//!     .discover(&address)
//!     .await;
//! if let Some(found) = &report.best {
//!     println!("{} (trusted: {})", found.source.as_str(), found.trusted);
//! }
//! # }
//! ```

mod autoconfig;
pub mod dmarc;
mod dns;
mod probe;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use courriel_core::{EmailAddress, Security, ServerSettings};
pub use courriel_net::Destinations;
use courriel_presets::Catalog;
use tokio::task::JoinSet;

use crate::dns::Dns;
use crate::probe::Protocol;

/// Where a result came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The catalog knows the address's domain.
    Catalog,
    /// The domain's own autoconfig file, at this URL.
    Autoconfig {
        /// Where it was read.
        url: String,
    },
    /// The catalog knows the domain's MX host.
    CatalogViaMx {
        /// The MX host.
        mx: String,
    },
    /// The catalog knows the registrable domain of the domain's MX host
    /// (as a provider's MX domain or mail domain), not the host itself.
    CatalogViaMxDomain {
        /// The MX host.
        mx: String,
    },
    /// The autoconfig file at the MX host's base domain.
    AutoconfigViaMx {
        /// Where it was read.
        url: String,
    },
    /// SRV records of the domain.
    Srv,
    /// Servers found by probing usual names and ports.
    Guess,
}

impl Source {
    /// Its kind, without what it read: what names and ranks it.
    #[must_use]
    pub fn kind(&self) -> SourceKind {
        match self {
            Source::Catalog => SourceKind::Catalog,
            Source::Autoconfig { .. } => SourceKind::Autoconfig,
            Source::CatalogViaMx { .. } => SourceKind::CatalogViaMx,
            Source::CatalogViaMxDomain { .. } => SourceKind::CatalogViaMxDomain,
            Source::AutoconfigViaMx { .. } => SourceKind::AutoconfigViaMx,
            Source::Srv => SourceKind::Srv,
            Source::Guess => SourceKind::Guess,
        }
    }

    /// Its stable name: [`SourceKind::as_str`] of its kind.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }
}

/// The kinds of [`Source`], best first: the order of the variants is the
/// ranking (a result from an earlier kind wins), and
/// [`as_str`](SourceKind::as_str) is the one place each is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SourceKind {
    /// The catalog, by the address's domain.
    Catalog,
    /// The domain's own autoconfig file.
    Autoconfig,
    /// The catalog, by the domain's MX host.
    CatalogViaMx,
    /// The catalog, by the registrable domain of the domain's MX host.
    CatalogViaMxDomain,
    /// The autoconfig file at the MX host's base domain.
    AutoconfigViaMx,
    /// SRV records of the domain.
    Srv,
    /// Probing usual names and ports.
    Guess,
}

impl SourceKind {
    /// Every kind, best first.
    pub const ALL: [SourceKind; 7] = [
        SourceKind::Catalog,
        SourceKind::Autoconfig,
        SourceKind::CatalogViaMx,
        SourceKind::CatalogViaMxDomain,
        SourceKind::AutoconfigViaMx,
        SourceKind::Srv,
        SourceKind::Guess,
    ];

    /// Its stable name, as the tool's JSON and text write it: `catalog`,
    /// `autoconfig`, `catalog-via-mx`, `catalog-via-mx-domain`,
    /// `autoconfig-via-mx`, `srv` or `guess`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Catalog => "catalog",
            SourceKind::Autoconfig => "autoconfig",
            SourceKind::CatalogViaMx => "catalog-via-mx",
            SourceKind::CatalogViaMxDomain => "catalog-via-mx-domain",
            SourceKind::AutoconfigViaMx => "autoconfig-via-mx",
            SourceKind::Srv => "srv",
            SourceKind::Guess => "guess",
        }
    }
}

/// The searches discovery runs side by side when the catalog does not know
/// the domain: each named in its [`Attempt`], chosen with
/// [`Discovery::only`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Search {
    /// The domain's autoconfig file.
    Autoconfig,
    /// The domain's MX host: in the catalog, else its autoconfig file.
    Mx,
    /// SRV records.
    Srv,
    /// Probing usual names and ports.
    Guess,
}

impl Search {
    /// Every search.
    pub const ALL: [Search; 4] = [Search::Autoconfig, Search::Mx, Search::Srv, Search::Guess];

    /// Its name: `autoconfig`, `mx`, `srv` or `guess`. A search that
    /// gives one kind of source has that source's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Search::Mx => "mx",
            Search::Autoconfig | Search::Srv | Search::Guess => self.best().as_str(),
        }
    }

    /// The best kind of source it can give: while it runs, only a result
    /// ranked before this one is settled without it.
    #[must_use]
    pub fn best(self) -> SourceKind {
        match self {
            Search::Autoconfig => SourceKind::Autoconfig,
            Search::Mx => SourceKind::CatalogViaMx,
            Search::Srv => SourceKind::Srv,
            Search::Guess => SourceKind::Guess,
        }
    }
}

/// Settings found by one source.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Found {
    /// Where they came from.
    pub source: Source,
    /// Whether they can be used without the user confirming them.
    pub trusted: bool,
    /// Why not trusted, in English (`fetched over plain http`...).
    pub untrusted_because: Option<String>,
    /// The provider's name, when the source gave one.
    pub provider: Option<String>,
    /// SMTP servers, most preferred first.
    pub smtp: Vec<ServerSettings>,
    /// IMAP servers, most preferred first.
    pub imap: Vec<ServerSettings>,
}

/// How one source went.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// It found settings.
    Found,
    /// It answered, with nothing usable (and why).
    Nothing(String),
    /// It did not answer within its timeout.
    TimedOut,
    /// Not waited for: a better result was already settled.
    NotWaited,
}

/// One source's attempt.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Attempt {
    /// The source: a [`Search`]'s name, `catalog` when the catalog knew
    /// the domain, or `dns` when no resolver could be set up.
    pub source: &'static str,
    /// How it went.
    pub outcome: Outcome,
    /// How long it took (until the answer was settled, if not waited for).
    pub elapsed: Duration,
}

/// What a discovery found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The best result: the highest ranked source that found settings.
    pub best: Option<Found>,
    /// Every result, best first.
    pub found: Vec<Found>,
    /// Every source, and how it went.
    pub attempts: Vec<Attempt>,
    /// Wall time of the whole discovery.
    pub elapsed: Duration,
}

/// How discovery runs: the catalog, the DNS server, what to trust, and the
/// time bounds.
#[derive(Debug, Clone)]
pub struct Discovery {
    catalog: Arc<Catalog>,
    dns_server: Option<SocketAddr>,
    extra_ca_pem: Option<Vec<u8>>,
    deadline: Duration,
    source_timeout: Duration,
    plain_http: bool,
    guess: bool,
    only: Option<Vec<Search>>,
    ports: HashMap<u16, u16>,
    destinations: Destinations,
}

/// A search's answer.
type Answer = (Search, Result<Vec<Found>, String>);

impl Discovery {
    /// Discovery with `catalog`, the system's DNS servers, the web's
    /// certificate authorities, a 10 s deadline and 6 s per source.
    #[must_use]
    pub fn new(catalog: Catalog) -> Discovery {
        Discovery {
            catalog: Arc::new(catalog),
            dns_server: None,
            extra_ca_pem: None,
            deadline: Duration::from_secs(10),
            source_timeout: Duration::from_secs(6),
            plain_http: false,
            guess: true,
            only: None,
            ports: HashMap::new(),
            destinations: Destinations::AnyAddress,
        }
    }

    /// Which addresses probes and autoconfig requests may connect to
    /// (default: any). An application discovering for its visitors gives
    /// [`Destinations::public_only`], as it does to its mailer: a domain
    /// whose names point at loopback, private or metadata addresses then
    /// finds nothing there.
    #[must_use]
    pub fn destinations(mut self, destinations: Destinations) -> Self {
        self.destinations = destinations;
        self
    }

    /// Asks this DNS server (UDP, then TCP) instead of the system's.
    #[must_use]
    pub fn dns_server(mut self, server: SocketAddr) -> Self {
        self.dns_server = Some(server);
        self
    }

    /// Also trusts these CA certificates (PEM), for autoconfig hosts and
    /// guessed servers with a private CA.
    #[must_use]
    pub fn extra_ca(mut self, pem: Vec<u8>) -> Self {
        self.extra_ca_pem = Some(pem);
        self
    }

    /// The answer comes by then, with the best result so far.
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Each source gives up after this.
    #[must_use]
    pub fn source_timeout(mut self, timeout: Duration) -> Self {
        self.source_timeout = timeout;
        self
    }

    /// Also fetches autoconfig files over plain http, as Thunderbird does.
    /// Anyone on the path can change such a file: what it gives is marked
    /// untrusted, and the address is never sent over http.
    #[must_use]
    pub fn dangerous_allow_plain_http(mut self) -> Self {
        self.plain_http = true;
        self
    }

    /// Whether to probe usual names and ports (default: yes).
    #[must_use]
    pub fn guess(mut self, guess: bool) -> Self {
        self.guess = guess;
        self
    }

    /// Runs only these searches (not even the catalog by domain): to
    /// measure one alone.
    #[must_use]
    pub fn only(mut self, searches: &[Search]) -> Self {
        self.only = Some(searches.to_vec());
        self
    }

    /// Connects to `actual` wherever a source would use the standard port
    /// `standard` (443 and 80 for autoconfig, 993, 143, 465 and 587 for
    /// guessing): for test servers and networks that map ports.
    #[must_use]
    pub fn map_port(mut self, standard: u16, actual: u16) -> Self {
        self.ports.insert(standard, actual);
        self
    }

    fn port(&self, standard: u16) -> u16 {
        self.ports.get(&standard).copied().unwrap_or(standard)
    }

    fn runs(&self, search: Search) -> bool {
        self.only.as_ref().is_none_or(|o| o.contains(&search))
    }

    /// Finds settings for `address`: see the crate's documentation.
    pub async fn discover(&self, address: &EmailAddress) -> Report {
        let start = Instant::now();
        if self.only.is_none()
            && let Some(filled) = self.catalog.autofill(address)
        {
            let found = Found {
                source: Source::Catalog,
                trusted: true,
                untrusted_because: None,
                provider: Some(filled.provider.name.clone()),
                smtp: filled.smtp,
                imap: filled.imap,
            };
            return Report {
                best: Some(found.clone()),
                found: vec![found],
                attempts: vec![Attempt {
                    source: SourceKind::Catalog.as_str(),
                    outcome: Outcome::Found,
                    elapsed: start.elapsed(),
                }],
                elapsed: start.elapsed(),
            };
        }
        let dns = match Dns::new(
            self.dns_server,
            self.source_timeout,
            self.destinations.clone(),
        ) {
            Ok(dns) => dns,
            Err(e) => {
                return Report {
                    best: None,
                    found: Vec::new(),
                    attempts: vec![Attempt {
                        source: NO_RESOLVER,
                        outcome: Outcome::Nothing(e),
                        elapsed: start.elapsed(),
                    }],
                    elapsed: start.elapsed(),
                };
            }
        };
        let mut tasks: JoinSet<Answer> = JoinSet::new();
        let mut pending: HashSet<Search> = HashSet::new();
        let timeout = self.source_timeout;
        let mut spawn = |search: Search,
                         work: std::pin::Pin<
            Box<dyn Future<Output = Result<Vec<Found>, String>> + Send>,
        >| {
            pending.insert(search);
            tasks.spawn(async move {
                match tokio::time::timeout(timeout, work).await {
                    Ok(result) => (search, result),
                    Err(_) => (search, Err(TIMED_OUT.into())),
                }
            });
        };
        if self.runs(Search::Autoconfig) {
            spawn(
                Search::Autoconfig,
                Box::pin(self.clone().autoconfig(dns.clone(), address.clone())),
            );
        }
        if self.runs(Search::Mx) {
            spawn(
                Search::Mx,
                Box::pin(self.clone().via_mx(dns.clone(), address.clone())),
            );
        }
        if self.runs(Search::Srv) {
            spawn(
                Search::Srv,
                Box::pin(self.clone().srv(dns.clone(), address.clone())),
            );
        }
        if self.guess && self.runs(Search::Guess) {
            spawn(
                Search::Guess,
                Box::pin(self.clone().guess_servers(dns, address.clone())),
            );
        }
        let deadline = tokio::time::Instant::now() + self.deadline;
        let (mut found, attempts) = settle(tasks, pending, deadline, start).await;
        found.sort_by_key(|f| (f.source.kind(), !f.trusted));
        Report {
            best: found.first().cloned(),
            found,
            attempts,
            elapsed: start.elapsed(),
        }
    }

    fn http_client(&self, dns: Dns) -> Result<reqwest::Client, String> {
        let literal = dns.clone();
        let mut builder = reqwest::Client::builder()
            .dns_resolver(Arc::new(dns))
            .timeout(self.source_timeout)
            .connect_timeout(self.source_timeout)
            .user_agent(concat!("courriel/", env!("CARGO_PKG_VERSION")))
            // Follow only to https, a few times: never downgrade. Names go
            // through the resolver, which keeps only allowed addresses; an
            // address written in the URL is checked here.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.url().scheme() == "https"
                    && attempt.previous().len() < 5
                    && url_allowed(&literal, attempt.url()).is_ok()
                {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }));
        if let Some(pem) = &self.extra_ca_pem {
            for cert in reqwest::Certificate::from_pem_bundle(pem).map_err(|e| e.to_string())? {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder.build().map_err(|e| e.to_string())
    }

    /// The URLs of `domain`'s autoconfig file: https with the address;
    /// http (when allowed) without it.
    fn autoconfig_urls(&self, domain: &str, address: Option<&EmailAddress>) -> Vec<(String, bool)> {
        let https = self.port(443);
        let http = self.port(80);
        let query = address
            .map(|a| format!("?emailaddress={}", percent(&a.to_string())))
            .unwrap_or_default();
        let mut urls = vec![
            (
                format!("https://autoconfig.{domain}:{https}/mail/config-v1.1.xml{query}"),
                true,
            ),
            (
                format!("https://{domain}:{https}/.well-known/autoconfig/mail/config-v1.1.xml"),
                true,
            ),
        ];
        if self.plain_http {
            urls.push((
                format!("http://autoconfig.{domain}:{http}/mail/config-v1.1.xml"),
                false,
            ));
            urls.push((
                format!("http://{domain}:{http}/.well-known/autoconfig/mail/config-v1.1.xml"),
                false,
            ));
        }
        urls
    }

    /// Reads the first usable file among `urls`, all fetched at once; https
    /// ones are preferred to http ones.
    async fn first_file(
        client: reqwest::Client,
        urls: Vec<(String, bool)>,
        address: &EmailAddress,
    ) -> Result<(String, bool, autoconfig::Config), String> {
        let mut fetches = JoinSet::new();
        for (i, (url, https)) in urls.into_iter().enumerate() {
            let client = client.clone();
            fetches.spawn(async move {
                (
                    i,
                    url.clone(),
                    https,
                    autoconfig::fetch(&client, &url).await,
                )
            });
        }
        let mut results = Vec::new();
        while let Some(Ok(done)) = fetches.join_next().await {
            results.push(done);
        }
        results.sort_by_key(|(i, ..)| *i);
        let mut errors = Vec::new();
        for (_, url, https, text) in results {
            match text.and_then(|t| autoconfig::read(&t, address)) {
                Ok(config) => return Ok((url, https, config)),
                Err(e) => errors.push(e),
            }
        }
        Err(errors.join("; "))
    }

    async fn autoconfig(self, dns: Dns, address: EmailAddress) -> Result<Vec<Found>, String> {
        let domain = address.domain().as_str().to_string();
        let urls = allowed_urls(&dns, self.autoconfig_urls(&domain, Some(&address)))?;
        let client = self.http_client(dns)?;
        let (url, https, config) = Self::first_file(client, urls, &address).await?;
        Ok(vec![Found {
            source: Source::Autoconfig { url },
            trusted: https,
            untrusted_because: (!https).then(|| "fetched over plain http".to_string()),
            provider: config.provider,
            smtp: config.smtp,
            imap: config.imap,
        }])
    }

    async fn via_mx(self, dns: Dns, address: EmailAddress) -> Result<Vec<Found>, String> {
        let domain = address.domain().as_str().to_string();
        let hosts = dns.mx(&domain).await?;
        let Some(mx) = hosts.first().cloned() else {
            return Ok(Vec::new());
        };
        let inside = within(&mx, &domain);
        let because = |what: &str| {
            (!inside).then(|| format!("{what} {mx} is outside {domain}: another organisation"))
        };
        let mut results = Vec::new();
        if let Some(filled) = self.catalog.autofill_with_mx(&address, &mx) {
            let source = if filled.matched == courriel_presets::Match::MxDomain {
                Source::CatalogViaMxDomain { mx: mx.clone() }
            } else {
                Source::CatalogViaMx { mx: mx.clone() }
            };
            results.push(Found {
                source,
                trusted: inside,
                untrusted_because: because("the MX host"),
                provider: Some(filled.provider.name.clone()),
                smtp: filled.smtp,
                imap: filled.imap,
            });
            return Ok(results);
        }
        // The provider's own autoconfig, at the MX host's base domain.
        let base = courriel_presets::registrable_domain(&mx)
            .unwrap_or(&mx)
            .to_string();
        if base != domain {
            let urls = allowed_urls(&dns, self.autoconfig_urls(&base, None))?;
            let client = self.http_client(dns)?;
            if let Ok((url, https, config)) = Self::first_file(client, urls, &address).await {
                let trusted = https && inside;
                results.push(Found {
                    source: Source::AutoconfigViaMx { url },
                    trusted,
                    untrusted_because: if https {
                        because("the MX host")
                    } else {
                        Some("fetched over plain http".into())
                    },
                    provider: config.provider,
                    smtp: config.smtp,
                    imap: config.imap,
                });
            }
        }
        Ok(results)
    }

    async fn srv(self, dns: Dns, address: EmailAddress) -> Result<Vec<Found>, String> {
        let domain = address.domain().as_str().to_string();
        let names = [
            ("_submissions._tcp", Protocol::Smtp, Security::ImplicitTls),
            ("_submission._tcp", Protocol::Smtp, Security::Starttls),
            ("_imaps._tcp", Protocol::Imap, Security::ImplicitTls),
            ("_imap._tcp", Protocol::Imap, Security::Starttls),
        ];
        let mut lookups = JoinSet::new();
        for (i, (label, protocol, security)) in names.into_iter().enumerate() {
            let (dns, name) = (dns.clone(), format!("{label}.{domain}"));
            lookups.spawn(async move { (i, protocol, security, dns.srv(&name).await) });
        }
        let mut answers = Vec::new();
        while let Some(Ok(answer)) = lookups.join_next().await {
            answers.push(answer);
        }
        answers.sort_by_key(|(i, ..)| *i);
        let (mut smtp, mut imap, mut refused) = (Vec::new(), Vec::new(), Vec::new());
        for (_, protocol, security, records) in answers {
            for record in records.unwrap_or_default() {
                if record.target.is_empty() || record.port == 0 {
                    continue; // "." : the service is not offered
                }
                if !within(&record.target, &domain) {
                    refused.push(format!("{}:{}", record.target, record.port));
                    continue;
                }
                if record.port == 25 {
                    continue;
                }
                let settings = ServerSettings {
                    host: record.target.clone(),
                    port: record.port,
                    security,
                    username: address.to_string(),
                };
                match protocol {
                    Protocol::Smtp => smtp.push(settings),
                    Protocol::Imap => imap.push(settings),
                }
            }
        }
        if smtp.is_empty() && imap.is_empty() {
            return if refused.is_empty() {
                Ok(Vec::new())
            } else {
                Err(format!(
                    "SRV targets outside {domain} refused: {}",
                    refused.join(", ")
                ))
            };
        }
        Ok(vec![Found {
            source: Source::Srv,
            trusted: true,
            untrusted_because: None,
            provider: None,
            smtp,
            imap,
        }])
    }

    async fn guess_servers(self, dns: Dns, address: EmailAddress) -> Result<Vec<Found>, String> {
        let domain = address.domain().as_str().to_string();
        let tls = courriel_net::tls_config(self.extra_ca_pem.as_deref(), false)?;
        let mut candidates = Vec::new();
        for (protocol, prefixes, ports) in [
            (
                Protocol::Imap,
                ["imap.", "mail.", ""],
                [(993, Security::ImplicitTls), (143, Security::Starttls)],
            ),
            (
                Protocol::Smtp,
                ["smtp.", "mail.", ""],
                [(465, Security::ImplicitTls), (587, Security::Starttls)],
            ),
        ] {
            for prefix in prefixes {
                for (port, security) in ports {
                    candidates.push((protocol, format!("{prefix}{domain}"), port, security));
                }
            }
        }
        // Each protocol's candidates in order of likelihood, 25 ms apart;
        // the two protocols side by side.
        let mut probes = JoinSet::new();
        let mut order = [0usize; 2];
        let slot = |p: Protocol| usize::from(p == Protocol::Smtp);
        for (protocol, host, port, security) in candidates {
            let rank = order[slot(protocol)];
            order[slot(protocol)] += 1;
            let (dns, tls, actual) = (dns.clone(), tls.clone(), self.port(port));
            let timeout = self.source_timeout;
            probes.spawn(async move {
                tokio::time::sleep(Duration::from_millis(25) * u32::try_from(rank).unwrap_or(0))
                    .await;
                let result = match dns.addresses(&host).await {
                    Ok(addresses) => {
                        probe::probe(
                            &host,
                            addresses[0],
                            actual,
                            protocol,
                            security,
                            tls,
                            timeout,
                        )
                        .await
                    }
                    Err(e) => Err(e),
                };
                (rank, protocol, host, port, security, result.is_ok())
            });
        }
        // Done with a protocol once its likeliest success is known: every
        // likelier candidate has failed. Lesser probes are not waited for.
        let mut outcomes: [Vec<Option<Probed>>; 2] = [vec![None; order[0]], vec![None; order[1]]];
        let settled = |list: &Vec<Option<Probed>>| {
            for entry in list {
                match entry {
                    None => return false,
                    Some((.., true)) => return true,
                    Some(_) => {}
                }
            }
            true
        };
        while let Some(Ok((rank, protocol, host, port, security, ok))) = probes.join_next().await {
            outcomes[slot(protocol)][rank] = Some((host, port, security, ok));
            if settled(&outcomes[0]) && settled(&outcomes[1]) {
                break;
            }
        }
        probes.abort_all();
        let pick = |list: &[Option<Probed>]| {
            list.iter()
                .map_while(|e| e.as_ref())
                .find(|(.., ok)| *ok)
                .map(|(host, port, security, _)| ServerSettings {
                    host: host.clone(),
                    port: *port,
                    security: *security,
                    username: address.to_string(),
                })
        };
        let imap: Vec<ServerSettings> = pick(&outcomes[0]).into_iter().collect();
        let smtp: Vec<ServerSettings> = pick(&outcomes[1]).into_iter().collect();
        if smtp.is_empty() && imap.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![Found {
            source: Source::Guess,
            trusted: false,
            untrusted_because: Some("guessed: no one vouches for these servers".into()),
            provider: None,
            smtp,
            imap,
        }])
    }
}

const TIMED_OUT: &str = "timed out";

/// The attempt reported when no resolver could be set up.
const NO_RESOLVER: &str = "dns";

/// A guessed candidate once probed: host, standard port, security, and
/// whether it answered over TLS.
type Probed = (String, u16, Security, bool);

/// Collects the sources' answers until the best result can no longer be
/// outranked (every better source finished), or until `deadline`; the
/// sources still running are stopped and reported as not waited for.
async fn settle(
    mut tasks: JoinSet<Answer>,
    mut pending: HashSet<Search>,
    deadline: tokio::time::Instant,
    start: Instant,
) -> (Vec<Found>, Vec<Attempt>) {
    let mut found: Vec<Found> = Vec::new();
    let mut attempts = Vec::new();
    loop {
        let best = found.iter().map(|f| f.source.kind()).min();
        let better_pending = pending.iter().any(|s| best.is_none_or(|b| s.best() < b));
        if pending.is_empty() || (best.is_some() && !better_pending) {
            break;
        }
        match tokio::time::timeout_at(deadline, tasks.join_next()).await {
            Ok(Some(Ok((search, result)))) => {
                pending.remove(&search);
                let outcome = match result {
                    Ok(results) if !results.is_empty() => {
                        found.extend(results);
                        Outcome::Found
                    }
                    Ok(_) => Outcome::Nothing("nothing found".into()),
                    Err(e) if e == TIMED_OUT => Outcome::TimedOut,
                    Err(e) => Outcome::Nothing(e),
                };
                attempts.push(Attempt {
                    source: search.as_str(),
                    outcome,
                    elapsed: start.elapsed(),
                });
            }
            // Every task joined, one panicked, or the deadline passed.
            Ok(Some(Err(_)) | None) | Err(_) => break,
        }
    }
    tasks.abort_all();
    // In name order, as the tool has always listed them.
    let mut left: Vec<&'static str> = pending.iter().map(|s| s.as_str()).collect();
    left.sort_unstable();
    for name in left {
        attempts.push(Attempt {
            source: name,
            outcome: Outcome::NotWaited,
            elapsed: start.elapsed(),
        });
    }
    (found, attempts)
}

/// Whether `host` is `domain` or a name under it.
/// `Ok` unless `url`'s host is an IP address the policy refuses (a name
/// is resolved by [`Dns`], which keeps only allowed addresses).
fn url_allowed(dns: &Dns, url: &reqwest::Url) -> Result<(), String> {
    let literal = url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse::<std::net::IpAddr>().ok());
    literal.map_or(Ok(()), |ip| dns.check(ip))
}

/// The URLs whose host the policy allows; why not, when none is.
fn allowed_urls(dns: &Dns, urls: Vec<(String, bool)>) -> Result<Vec<(String, bool)>, String> {
    let mut refused = None;
    let allowed: Vec<_> = urls
        .into_iter()
        .filter(|(url, _)| {
            match reqwest::Url::parse(url)
                .map_err(|e| e.to_string())
                .and_then(|u| url_allowed(dns, &u))
            {
                Ok(()) => true,
                Err(e) => {
                    refused.get_or_insert(e);
                    false
                }
            }
        })
        .collect();
    match refused {
        Some(why) if allowed.is_empty() => Err(why),
        _ => Ok(allowed),
    }
}

fn within(host: &str, domain: &str) -> bool {
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// Percent-encodes a query value.
fn percent(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_written_in_a_url_is_checked() {
        let dns = Dns::new(
            Some("127.0.0.1:9".parse().unwrap()),
            Duration::from_secs(1),
            Destinations::public_only(),
        )
        .unwrap();
        let allowed = |url: &str| url_allowed(&dns, &reqwest::Url::parse(url).unwrap());
        for url in [
            "https://169.254.169.254/latest/meta-data/",
            "https://[::1]:443/mail/config-v1.1.xml",
            "https://[::ffff:10.0.0.1]/",
            // WHATWG URL parsing reads it as 127.0.0.1.
            "https://2130706433/",
        ] {
            assert!(allowed(url).is_err(), "{url}");
        }
        assert!(
            allowed("https://autoconfig.example.com/").is_ok(),
            "names go to the resolver"
        );
        assert!(allowed("https://193.252.22.80/").is_ok());
        let urls = vec![
            ("https://10.1.2.3/a".to_string(), true),
            ("https://example.com/b".to_string(), true),
        ];
        assert_eq!(allowed_urls(&dns, urls).unwrap().len(), 1);
        let refused = allowed_urls(&dns, vec![("https://10.1.2.3/a".to_string(), true)]);
        assert_eq!(
            refused.unwrap_err(),
            "10.1.2.3 is a private address: not allowed"
        );
    }

    #[test]
    fn each_source_has_its_own_name_and_rank() {
        // The full ranking, best first, with the names the tool writes: a
        // change here changes which result wins, or the tool's output.
        let expected = [
            (SourceKind::Catalog, "catalog"),
            (SourceKind::Autoconfig, "autoconfig"),
            (SourceKind::CatalogViaMx, "catalog-via-mx"),
            (SourceKind::CatalogViaMxDomain, "catalog-via-mx-domain"),
            (SourceKind::AutoconfigViaMx, "autoconfig-via-mx"),
            (SourceKind::Srv, "srv"),
            (SourceKind::Guess, "guess"),
        ];
        let found: Vec<_> = SourceKind::ALL.iter().map(|k| (*k, k.as_str())).collect();
        assert_eq!(found, expected);
        let mut ranked = SourceKind::ALL;
        ranked.sort();
        assert_eq!(ranked, SourceKind::ALL, "ALL is best first");
        // Adding a kind breaks this match: add it to ALL and above.
        for kind in SourceKind::ALL {
            match kind {
                SourceKind::Catalog
                | SourceKind::Autoconfig
                | SourceKind::CatalogViaMx
                | SourceKind::CatalogViaMxDomain
                | SourceKind::AutoconfigViaMx
                | SourceKind::Srv
                | SourceKind::Guess => {}
            }
        }
        let searches: Vec<_> = Search::ALL.iter().map(|s| (s.as_str(), s.best())).collect();
        assert_eq!(
            searches,
            [
                ("autoconfig", SourceKind::Autoconfig),
                ("mx", SourceKind::CatalogViaMx),
                ("srv", SourceKind::Srv),
                ("guess", SourceKind::Guess),
            ]
        );
        // No two kinds, or two searches, alike; a search named like a kind
        // gives that kind; `dns` is neither.
        let kinds: HashSet<&str> = SourceKind::ALL.map(SourceKind::as_str).into();
        assert_eq!(kinds.len(), SourceKind::ALL.len(), "two kinds share a name");
        let names: HashSet<&str> = Search::ALL.map(Search::as_str).into();
        assert_eq!(names.len(), Search::ALL.len(), "two searches share a name");
        for search in Search::ALL {
            if kinds.contains(search.as_str()) {
                assert_eq!(search.as_str(), search.best().as_str());
            }
        }
        assert!(!kinds.contains(NO_RESOLVER) && !names.contains(NO_RESOLVER));
        let url = String::from("https://autoconfig.example/mail/config-v1.1.xml");
        let mx = String::from("mx1.mail.ovh.net");
        let sources = [
            Source::Catalog,
            Source::Autoconfig { url: url.clone() },
            Source::CatalogViaMx { mx: mx.clone() },
            Source::CatalogViaMxDomain { mx },
            Source::AutoconfigViaMx { url },
            Source::Srv,
            Source::Guess,
        ];
        let kinds: Vec<SourceKind> = sources.iter().map(Source::kind).collect();
        assert_eq!(kinds, SourceKind::ALL);
    }

    #[test]
    fn inside_a_domain() {
        assert!(within("mail.boulangerie.test", "boulangerie.test"));
        assert!(within("boulangerie.test", "boulangerie.test"));
        assert!(!within("evilboulangerie.test", "boulangerie.test"));
        assert!(!within("imap.elsewhere.test", "srvout.test"));
    }

    #[test]
    fn the_address_is_encoded_in_the_query() {
        assert_eq!(
            percent("jean+facture@boulangerie.fr"),
            "jean%2Bfacture%40boulangerie.fr"
        );
    }

    #[test]
    fn the_address_never_goes_over_http() {
        let d = Discovery::new(Catalog::builder().build().unwrap()).dangerous_allow_plain_http();
        let address = EmailAddress::parse("jean@boulangerie.test").unwrap();
        for (url, https) in d.autoconfig_urls("boulangerie.test", Some(&address)) {
            assert_eq!(url.starts_with("https://"), https);
            if !https {
                assert!(!url.contains("jean"), "{url}");
            }
        }
    }
}
