//! The catalog: providers merged from every source, indexed by mail domain
//! and by MX host pattern.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use courriel_core::account::AccountSettings;
use courriel_core::rules::Facts;
use courriel_core::{EmailAddress, ServerSettings, normalize_domain};

use crate::check::{FileError, check_file};
use crate::file::ProviderFile;
use crate::locate::{Locations, Position};
use crate::provider::provider_from_file;
use courriel_core::provider::{Provider, Tier};

/// Providers indexed by the domains and MX host patterns they claim.
///
/// Build one with [`Catalog::builder`], or use [`Catalog::builtin`], the
/// catalog embedded in the binary, parsed once on first use.
///
/// ```
/// use courriel_core::{EmailAddress, Security};
/// use courriel_presets::{Catalog, Match};
///
/// let catalog = Catalog::builtin();
/// // By mail domain, written any way a user might.
/// assert_eq!(catalog.lookup("Jean.Dupont@FREE.fr").unwrap().id, "free");
/// assert_eq!(catalog.lookup("free.fr.").unwrap().name, "Free");
///
/// // Settings for an address: Free logs in with the local part.
/// let address = EmailAddress::parse("jean.dupont@free.fr")?;
/// let filled = catalog.autofill(&address).unwrap();
/// assert_eq!(filled.matched, Match::Domain);
/// assert_eq!(
///     (filled.smtp[0].host.as_str(), filled.smtp[0].port, filled.smtp[0].security),
///     ("smtp.free.fr", 465, Security::ImplicitTls)
/// );
/// assert_eq!(filled.smtp[0].username, "jean.dupont");
///
/// // A custom domain is unknown by name, known by its MX host (OVHcloud).
/// let custom = EmailAddress::parse("contact@boulangerie-martin.fr")?;
/// assert!(catalog.autofill(&custom).is_none());
/// let filled = catalog.autofill_with_mx(&custom, "mx1.mail.ovh.net").unwrap();
/// assert_eq!((filled.provider.id.as_str(), filled.matched), ("ovh", Match::Mx));
/// assert_eq!(filled.imap[0].host, "ssl0.ovh.net");
/// assert_eq!(filled.imap[0].username, "contact@boulangerie-martin.fr");
/// # Ok::<(), courriel_core::AddressError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Catalog {
    providers: Vec<Provider>,
    by_id: HashMap<Box<str>, u32>,
    by_domain: HashMap<Box<str>, u32>,
    mx_exact: HashMap<Box<str>, u32>,
    mx_suffix: HashMap<Box<str>, u32>,
    /// The registrable domains of the MX patterns, each claimed by one
    /// provider only (a domain two providers' patterns share is left out:
    /// its hosts could be either's).
    mx_domain: HashMap<Box<str>, u32>,
    by_host: HashMap<Box<str>, u32>,
    shadowed: Vec<Shadowed>,
    superseded: Vec<String>,
    left_behind: Vec<LeftBehind>,
}

/// A domain or MX pattern of an imported provider whose id a curated file
/// took (so the imported provider is left out whole) that no provider
/// holds and the curated file does not list in its `not_taken` with a
/// reason: what the import knew, silently dropped. `cargo xtask validate`
/// refuses these.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeftBehind {
    /// The domain or MX pattern.
    pub claim: Claim,
    /// The curated provider that shadows the imported one.
    pub curated: String,
    /// Where: the curated file and the position of its `domains` or `mx`.
    pub at: String,
    /// The imported provider that claims it.
    pub imported: String,
    /// The imported provider's file.
    pub imported_origin: String,
}

impl fmt::Display for LeftBehind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (field, what) = match &self.claim {
            Claim::Domain(_) => ("domains", "mail domains"),
            _ => ("mx", "MX patterns"),
        };
        write!(
            f,
            "{}: `{}` shadows the imported `{}` ({}) but leaves its {}\n  help: add it to `{field}` if `{}` serves it, or to `not_taken` with the reason (`not_taken: [(\"...\", \"why\")]`): the import's {what} are never dropped silently",
            self.at, self.curated, self.imported, self.imported_origin, self.claim, self.curated,
        )
    }
}

/// A claim (id, domain or MX pattern) that a higher-ranked provider took from
/// a lower-ranked one: a hand-curated file over an imported one, or an
/// explicit override.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Shadowed {
    /// What was claimed twice.
    pub claim: Claim,
    /// The provider that keeps it.
    pub winner: String,
    /// The provider that loses it.
    pub loser: String,
}

/// Something a provider claims for itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Claim {
    /// A provider id.
    Id(String),
    /// A users' mail domain.
    Domain(String),
    /// An MX host pattern.
    Mx(String),
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Id(id) => write!(f, "id `{id}`"),
            Claim::Domain(d) => write!(f, "domain `{d}`"),
            Claim::Mx(m) => write!(f, "MX pattern `{m}`"),
        }
    }
}

impl fmt::Display for Shadowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} goes to `{}`, not `{}`",
            self.claim, self.winner, self.loser
        )
    }
}

/// Settings filled in for an address from its provider.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Autofill<'a> {
    /// The provider found.
    pub provider: &'a Provider,
    /// How it was found.
    pub matched: Match,
    /// Every SMTP server of the provider, most preferred first (never empty).
    pub smtp: Vec<ServerSettings>,
    /// Every IMAP server of the provider, most preferred first (may be empty).
    pub imap: Vec<ServerSettings>,
}

/// How a provider was found for an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Match {
    /// The address's domain is one of the provider's mail domains.
    Domain,
    /// The domain's MX host matches one of the provider's MX patterns.
    Mx,
    /// The MX host's registrable domain (by the public suffix list) is the
    /// registrable domain of one of the provider's MX patterns, or one of
    /// its mail domains: `smtpin.rzone.de` → `rzone.de` → Strato. Weaker
    /// than [`Match::Mx`]: the host itself is not one the provider names.
    MxDomain,
}

/// The registrable domain of `host` by the public suffix list (`eTLD+1`:
/// `mx1.mail.ovh.net` → `ovh.net`, `mx.example.co.uk` → `example.co.uk`),
/// `None` for a public suffix itself (`co.uk`) or a name the list does not
/// cover. `host` is expected lowercase, in ASCII (punycode).
#[must_use]
pub fn registrable_domain(host: &str) -> Option<&str> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let domain = psl::domain_str(host)?;
    // A single label is not a registrable domain (psl treats an unknown
    // top-level name as a suffix of its own).
    domain.contains('.').then_some(domain)
}

/// Every problem found while building a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    /// The problems, in file order.
    pub errors: Vec<FileError>,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogError {}

static BUILTIN: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::builder().builtin().build().unwrap_or_else(|e| {
        panic!("the built-in provider catalog is invalid (run `cargo xtask validate`):\n{e}")
    })
});

static REGISTERED: LazyLock<Result<Catalog, CatalogError>> =
    LazyLock::new(|| Catalog::builder().builtin().registered().build());

impl Catalog {
    /// A builder with nothing in it.
    #[must_use]
    pub fn builder() -> CatalogBuilder {
        CatalogBuilder::default()
    }

    /// The catalog embedded in this binary, parsed on first use.
    #[must_use]
    pub fn builtin() -> &'static Catalog {
        &BUILTIN
    }

    /// The embedded catalog plus every provider other crates registered with
    /// [`register_provider!`](crate::register_provider), built on first use.
    pub fn with_registered() -> Result<&'static Catalog, &'static CatalogError> {
        REGISTERED.as_ref()
    }

    /// The provider of an address (`isabelle.martin@yahoo.fr`) or a domain
    /// (`Yahoo.FR.`, `bücher.example`, `xn--bcher-kva.example`), by mail domain.
    #[must_use]
    pub fn lookup(&self, address_or_domain: &str) -> Option<&Provider> {
        let domain = match address_or_domain.rsplit_once('@') {
            Some((_, domain)) => domain,
            None => address_or_domain,
        };
        let domain = normalize_domain(domain).ok()?;
        self.by_domain
            .get(&*domain)
            .map(|&i| &self.providers[i as usize])
    }

    /// The provider of an MX host: by its MX patterns (`mx1.mail.ovh.net`
    /// → OVH, the most specific pattern winning), else by the host's
    /// registrable domain ([`Catalog::lookup_mx_match`]).
    #[must_use]
    pub fn lookup_mx(&self, mx_host: &str) -> Option<&Provider> {
        self.lookup_mx_match(mx_host).map(|(provider, _)| provider)
    }

    /// The provider of an MX host and how it was found: [`Match::Mx`] when
    /// one of its MX patterns matches the host (the most specific wins);
    /// else [`Match::MxDomain`] when the host's registrable domain is the
    /// registrable domain of exactly one provider's MX patterns, or else
    /// one of a provider's mail domains (as Thunderbird looks the MX's base
    /// domain up in the ISPDB).
    #[must_use]
    pub fn lookup_mx_match(&self, mx_host: &str) -> Option<(&Provider, Match)> {
        let host = normalize_domain(mx_host).ok()?;
        let found = |i: u32| &self.providers[i as usize];
        if let Some(&i) = self.mx_exact.get(&*host) {
            return Some((found(i), Match::Mx));
        }
        let mut rest: &str = &host;
        while let Some((_, suffix)) = rest.split_once('.') {
            if let Some(&i) = self.mx_suffix.get(suffix) {
                return Some((found(i), Match::Mx));
            }
            rest = suffix;
        }
        let base = registrable_domain(&host)?;
        self.mx_domain
            .get(base)
            .or_else(|| self.by_domain.get(base))
            .map(|&i| (found(i), Match::MxDomain))
    }

    /// The provider one of whose SMTP or IMAP servers is `host`
    /// (`smtp.mail.yahoo.com` → Yahoo). A host two providers share goes to
    /// the hand-curated one.
    #[must_use]
    pub fn lookup_host(&self, host: &str) -> Option<&Provider> {
        let host = normalize_domain(host).ok()?;
        self.by_host
            .get(&*host)
            .map(|&i| &self.providers[i as usize])
    }

    /// Complete SMTP and IMAP settings for an address whose domain the
    /// catalog knows.
    #[must_use]
    pub fn autofill(&self, address: &EmailAddress) -> Option<Autofill<'_>> {
        let provider = self.lookup(address.domain().as_str())?;
        Some(Self::fill(provider, Match::Domain, address))
    }

    /// Complete settings for an address whose domain's MX host is known
    /// (found by discovery): by domain first, then by MX.
    #[must_use]
    pub fn autofill_with_mx(&self, address: &EmailAddress, mx_host: &str) -> Option<Autofill<'_>> {
        self.autofill(address).or_else(|| {
            self.lookup_mx_match(mx_host)
                .map(|(p, matched)| Self::fill(p, matched, address))
        })
    }

    fn fill<'a>(provider: &'a Provider, matched: Match, address: &EmailAddress) -> Autofill<'a> {
        Autofill {
            provider,
            matched,
            smtp: provider
                .smtp
                .iter()
                .map(|s| s.settings_for(address))
                .collect(),
            imap: provider
                .imap
                .iter()
                .map(|s| s.settings_for(address))
                .collect(),
        }
    }

    /// What the catalog knows of the providers an account's settings
    /// involve: the sender domain's provider and the provider of each
    /// server host. The caller adds what it knows beyond the catalog
    /// (passwords found, the MX host's provider from discovery).
    #[must_use]
    pub fn facts(&self, account: &AccountSettings) -> Facts<'_> {
        let mut facts = Facts::default();
        facts.sender_provider = account
            .sender
            .as_deref()
            .and_then(|s| EmailAddress::parse(s).ok())
            .and_then(|a| self.lookup(a.domain().as_str()));
        facts.smtp_provider = account
            .smtp
            .as_ref()
            .and_then(|s| s.host.as_deref())
            .and_then(|h| self.lookup_host(h));
        facts.imap_provider = account
            .imap
            .as_ref()
            .and_then(|i| i.host.as_deref())
            .and_then(|h| self.lookup_host(h));
        facts
    }

    /// The provider with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.by_id.get(id).map(|&i| &self.providers[i as usize])
    }

    /// Every provider, sorted by id.
    #[must_use]
    pub fn providers(&self) -> impl ExactSizeIterator<Item = &Provider> {
        self.providers.iter()
    }

    /// How many mail domains the catalog knows.
    #[must_use]
    pub fn domain_count(&self) -> usize {
        self.by_domain.len()
    }

    /// How many MX patterns the catalog knows.
    #[must_use]
    pub fn mx_pattern_count(&self) -> usize {
        self.mx_exact.len() + self.mx_suffix.len()
    }

    /// How many registrable domains find a provider from an MX host that
    /// no pattern names (each claimed by one provider's patterns alone).
    #[must_use]
    pub fn mx_domain_count(&self) -> usize {
        self.mx_domain.len()
    }

    /// The claims that precedence settled, sorted: what a hand-curated or
    /// overriding provider took from a lower-ranked one.
    #[must_use]
    pub fn shadowed(&self) -> &[Shadowed] {
        &self.shadowed
    }

    /// Domains and MX patterns of imported providers that curated files
    /// dropped without saying why (see [`LeftBehind`]).
    #[must_use]
    pub fn left_behind(&self) -> &[LeftBehind] {
        &self.left_behind
    }

    /// Providers left out because a higher-ranked provider took every domain
    /// and MX pattern they claimed (sorted ids).
    #[must_use]
    pub fn superseded(&self) -> &[String] {
        &self.superseded
    }
}

/// Gathers provider files from any number of sources, then merges them.
///
/// Merging is deterministic: providers are ranked by [`Tier`] then id, and
/// the result does not depend on the order sources were added. Two providers
/// of the same tier claiming one id, domain or MX pattern is an error; a
/// higher tier takes the claim from a lower one, and [`Catalog::shadowed`]
/// reports it.
#[derive(Debug, Default)]
pub struct CatalogBuilder {
    entries: Vec<Entry>,
    errors: Vec<FileError>,
}

#[derive(Debug)]
struct Entry {
    file: ProviderFile,
    origin: String,
    text: Cow<'static, str>,
    tier: Tier,
}

impl CatalogBuilder {
    /// Adds the files embedded in this crate (`providers/`).
    ///
    /// Most of the catalog's start-up is parsing these files' RON, so they
    /// are parsed and checked on every core (at most four threads), each
    /// thread a contiguous run of files, the results kept in file order.
    #[must_use]
    pub fn builtin(mut self) -> Self {
        let files = crate::builtin::FILES;
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .clamp(1, 4);
        let checked: Vec<_> = if threads == 1 || files.len() < 16 {
            files
                .iter()
                .map(|&(name, text)| check_file(name, text))
                .collect()
        } else {
            let chunk = files.len().div_ceil(threads);
            std::thread::scope(|scope| {
                let runs: Vec<_> = files
                    .chunks(chunk)
                    .map(|run| {
                        scope.spawn(move || {
                            run.iter()
                                .map(|&(name, text)| check_file(name, text))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                runs.into_iter()
                    .flat_map(|run| run.join().expect("checking a provider file never panics"))
                    .collect()
            })
        };
        for (&(name, text), checked) in files.iter().zip(checked) {
            let tier = if name.contains("/ispdb/") {
                Tier::Imported
            } else {
                Tier::Curated
            };
            self.add_checked(name.to_string(), Cow::Borrowed(text), tier, checked);
        }
        self
    }

    /// Adds every provider registered with [`register_provider!`](crate::register_provider).
    #[must_use]
    pub fn registered(mut self) -> Self {
        let mut registrations: Vec<&crate::Registration> =
            inventory::iter::<crate::Registration>().collect();
        registrations.sort_by_key(|r| r.origin);
        for r in registrations {
            let tier = if r.overriding {
                Tier::Override
            } else {
                Tier::Curated
            };
            self.push(r.origin.to_string(), Cow::Borrowed(r.text), tier);
        }
        self
    }

    /// Adds one provider file's text; `origin` names it in errors and its
    /// stem must equal the provider's id.
    #[must_use]
    pub fn add_ron(
        mut self,
        origin: impl Into<String>,
        text: impl Into<Cow<'static, str>>,
    ) -> Self {
        self.push(origin.into(), text.into(), Tier::Curated);
        self
    }

    /// Like [`add_ron`](Self::add_ron), and takes the provider's id, domains
    /// and MX patterns from any other provider that claims them.
    #[must_use]
    pub fn add_ron_overriding(
        mut self,
        origin: impl Into<String>,
        text: impl Into<Cow<'static, str>>,
    ) -> Self {
        self.push(origin.into(), text.into(), Tier::Override);
        self
    }

    /// Adds one provider file's text at the given tier (the built-in catalog
    /// adds `providers/ispdb/` as [`Tier::Imported`]).
    #[must_use]
    pub fn add_ron_with_tier(
        mut self,
        origin: impl Into<String>,
        text: impl Into<Cow<'static, str>>,
        tier: Tier,
    ) -> Self {
        self.push(origin.into(), text.into(), tier);
        self
    }

    /// Adds a provider built in code, without a file.
    #[must_use]
    pub fn add_provider(self, provider: &ProviderFile) -> Self {
        let origin = format!("{}.ron", provider.id);
        self.add_ron(origin, provider.to_canonical(""))
    }

    /// Adds a provider built in code that overrides any other claiming the
    /// same id, domains or MX patterns.
    #[must_use]
    pub fn add_provider_overriding(self, provider: &ProviderFile) -> Self {
        let origin = format!("{}.ron", provider.id);
        self.add_ron_overriding(origin, provider.to_canonical(""))
    }

    /// Adds every `*.ron` file of a directory (not its subdirectories), in
    /// file name order.
    #[must_use]
    pub fn add_dir(mut self, dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        let listing = std::fs::read_dir(dir).and_then(|it| {
            it.map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
        });
        let mut paths = match listing {
            Ok(paths) => paths,
            Err(e) => {
                self.errors.push(io_error(
                    &dir.display().to_string(),
                    &e,
                    "check that the directory exists and can be read",
                ));
                return self;
            }
        };
        paths.retain(|p| p.extension().is_some_and(|e| e == "ron") && p.is_file());
        paths.sort();
        for path in paths {
            let origin = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => self.push(origin, Cow::Owned(text), Tier::Curated),
                Err(e) => self.errors.push(io_error(
                    &origin,
                    &e,
                    "check that the file is readable UTF-8 text",
                )),
            }
        }
        self
    }

    fn push(&mut self, origin: String, text: Cow<'static, str>, tier: Tier) {
        let checked = check_file(&origin, &text);
        self.add_checked(origin, text, tier, checked);
    }

    fn add_checked(
        &mut self,
        origin: String,
        text: Cow<'static, str>,
        tier: Tier,
        checked: Result<ProviderFile, Vec<FileError>>,
    ) {
        match checked {
            Ok(file) => self.entries.push(Entry {
                file,
                origin,
                text,
                tier,
            }),
            Err(errors) => self.errors.extend(errors),
        }
    }

    /// Merges everything added, or reports every problem found.
    pub fn build(self) -> Result<Catalog, CatalogError> {
        let CatalogBuilder {
            mut entries,
            mut errors,
        } = self;
        entries.sort_by(|a, b| {
            b.tier
                .cmp(&a.tier)
                .then_with(|| a.file.id.cmp(&b.file.id))
                .then_with(|| a.origin.cmp(&b.origin))
        });
        let mut merge = Merge {
            entries: &entries,
            locations: HashMap::new(),
            errors: &mut errors,
            shadowed: Vec::new(),
        };
        let kept = merge.settle();
        let left_behind = merge.left_behind(&kept);
        let mut shadowed = merge.shadowed;
        if !errors.is_empty() {
            errors.sort_by(|a, b| a.file.cmp(&b.file).then(a.position.cmp(&b.position)));
            return Err(CatalogError { errors });
        }
        shadowed.sort_by(|a, b| a.claim.cmp(&b.claim).then_with(|| a.loser.cmp(&b.loser)));
        let mut catalog = Catalog::index(entries, kept, shadowed);
        catalog.left_behind = left_behind;
        Ok(catalog)
    }
}

/// What a provider keeps once every claim is settled; `None` when it is left out.
type Kept = Option<(Vec<String>, Vec<String>)>;

impl Catalog {
    fn index(entries: Vec<Entry>, kept: Vec<Kept>, shadowed: Vec<Shadowed>) -> Catalog {
        let mut superseded = Vec::new();
        let mut slots: Vec<(Entry, Vec<String>, Vec<String>)> = Vec::new();
        for (entry, kept) in entries.into_iter().zip(kept) {
            match kept {
                Some((domains, mx)) => slots.push((entry, domains, mx)),
                None if entry.tier == Tier::Imported
                    || !entry.file.domains.is_empty()
                    || !entry.file.mx.is_empty() =>
                {
                    superseded.push(entry.file.id);
                }
                None => {}
            }
        }
        superseded.sort();
        superseded.dedup();
        slots.sort_by(|a, b| a.0.file.id.cmp(&b.0.file.id));
        let mut catalog = Catalog {
            providers: Vec::with_capacity(slots.len()),
            by_id: HashMap::with_capacity(slots.len()),
            by_domain: HashMap::new(),
            mx_exact: HashMap::new(),
            mx_suffix: HashMap::new(),
            mx_domain: HashMap::new(),
            by_host: HashMap::new(),
            shadowed,
            superseded,
            left_behind: Vec::new(),
        };
        for (slot, (entry, domains, mx)) in slots.into_iter().enumerate() {
            let index = u32::try_from(slot).expect("fewer than 2^32 providers");
            let mut provider = provider_from_file(entry.file, entry.origin, entry.tier);
            provider.domains = domains;
            provider.mx = mx;
            for d in &provider.domains {
                catalog.by_domain.insert(d.as_str().into(), index);
            }
            for m in &provider.mx {
                match m.strip_prefix("*.") {
                    Some(suffix) => catalog.mx_suffix.insert(suffix.into(), index),
                    None => catalog.mx_exact.insert(m.as_str().into(), index),
                };
            }
            for server in provider.smtp.iter().chain(&provider.imap) {
                if server.is_per_domain() {
                    // Each customer's own host: it names the customer, not the provider.
                    continue;
                }
                // A host two providers share goes to the higher tier, then the first id.
                let taken = catalog.by_host.get(server.host.as_str()).is_some_and(|&i| {
                    i == index || catalog.providers[i as usize].tier >= provider.tier
                });
                if !taken {
                    catalog.by_host.insert(server.host.as_str().into(), index);
                }
            }
            catalog.by_id.insert(provider.id.as_str().into(), index);
            catalog.providers.push(provider);
        }
        // Each MX pattern's registrable domain, kept where one provider
        // alone claims it.
        let mut claims: HashMap<Box<str>, Option<u32>> = HashMap::new();
        for (index, provider) in catalog.providers.iter().enumerate() {
            let index = u32::try_from(index).expect("fewer than 2^32 providers");
            for m in &provider.mx {
                let host = m.strip_prefix("*.").unwrap_or(m);
                if let Some(base) = registrable_domain(host) {
                    claims
                        .entry(base.into())
                        .and_modify(|c| {
                            if *c != Some(index) {
                                *c = None;
                            }
                        })
                        .or_insert(Some(index));
                }
            }
        }
        catalog.mx_domain = claims
            .into_iter()
            .filter_map(|(base, claim)| claim.map(|i| (base, i)))
            .collect();
        catalog
    }
}

struct Merge<'a, 'e> {
    entries: &'a [Entry],
    locations: HashMap<usize, Locations>,
    errors: &'e mut Vec<FileError>,
    shadowed: Vec<Shadowed>,
}

impl Merge<'_, '_> {
    /// Settles every id, domain and MX claim, in rank order (entries are
    /// sorted highest tier first). Returns what each entry keeps.
    fn settle(&mut self) -> Vec<Kept> {
        let entries = self.entries;
        let mut ids: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
        let mut domains: HashMap<&str, usize> =
            HashMap::with_capacity(entries.iter().map(|e| e.file.domains.len()).sum());
        let mut mx: HashMap<&str, usize> =
            HashMap::with_capacity(entries.iter().map(|e| e.file.mx.len()).sum());
        let mut kept = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            if let Some(&first) = ids.get(e.file.id.as_str()) {
                if self.conflict(first, i, Claim::Id(e.file.id.clone()), "id") {
                    kept.push(None);
                    continue;
                }
            } else {
                ids.insert(&e.file.id, i);
            }
            let mut own_domains = Vec::new();
            for (j, d) in e.file.domains.iter().enumerate() {
                if let Some(&first) = domains.get(d.as_str()) {
                    self.conflict(first, i, Claim::Domain(d.clone()), &format!("domains[{j}]"));
                } else {
                    domains.insert(d, i);
                    own_domains.push(d.clone());
                }
            }
            let mut own_mx = Vec::new();
            for (j, m) in e.file.mx.iter().enumerate() {
                if let Some(&first) = mx.get(m.as_str()) {
                    self.conflict(first, i, Claim::Mx(m.clone()), &format!("mx[{j}]"));
                } else {
                    mx.insert(m, i);
                    own_mx.push(m.clone());
                }
            }
            // A provider that lost every claim to a higher tier is superseded.
            let had_claims = !e.file.domains.is_empty() || !e.file.mx.is_empty();
            if had_claims && own_domains.is_empty() && own_mx.is_empty() {
                kept.push(None);
            } else {
                kept.push(Some((own_domains, own_mx)));
            }
        }
        kept
    }

    /// Every domain and MX pattern of an imported provider that a curated
    /// file took the id of which, once every claim is settled, no provider
    /// holds and the curated file does not list in `not_taken`. Only an id
    /// taken leaves claims held by nobody: the imported provider is then
    /// left out whole (its domains and MX patterns never enter the
    /// merge), where one that loses claims one by one keeps the rest.
    fn left_behind(&mut self, kept: &[Kept]) -> Vec<LeftBehind> {
        let entries = self.entries;
        let index_of = |id: &str, tier: Tier| {
            entries
                .iter()
                .position(|e| e.file.id == id && e.tier == tier)
        };
        let taken: Vec<(usize, usize)> = self
            .shadowed
            .iter()
            .filter_map(|s| match &s.claim {
                Claim::Id(id) => {
                    Some((index_of(id, Tier::Imported)?, index_of(id, Tier::Curated)?))
                }
                _ => None,
            })
            .collect();
        if taken.is_empty() {
            return Vec::new();
        }
        let held_domains: std::collections::HashSet<&str> = kept
            .iter()
            .flatten()
            .flat_map(|(domains, _)| domains.iter().map(String::as_str))
            .collect();
        let held_mx: std::collections::HashSet<&str> = kept
            .iter()
            .flatten()
            .flat_map(|(_, mx)| mx.iter().map(String::as_str))
            .collect();
        let mut out = Vec::new();
        for (imported, curated) in taken {
            let (imported, curated_file) = (&entries[imported], &entries[curated].file);
            let said = |claim: &str| {
                curated_file
                    .not_taken
                    .iter()
                    .any(|(c, why)| c == claim && !why.trim().is_empty())
            };
            let domains = imported
                .file
                .domains
                .iter()
                .filter(|d| !held_domains.contains(d.as_str()) && !said(d))
                .map(|d| (Claim::Domain(d.clone()), "domains"));
            let mx = imported
                .file
                .mx
                .iter()
                .filter(|m| !held_mx.contains(m.as_str()) && !said(m))
                .map(|m| (Claim::Mx(m.clone()), "mx"));
            for (claim, field) in domains.chain(mx).collect::<Vec<_>>() {
                let at = self.position(curated, field);
                out.push(LeftBehind {
                    claim,
                    curated: curated_file.id.clone(),
                    at: format!("{}:{}:{}", entries[curated].origin, at.line, at.column),
                    imported: imported.file.id.clone(),
                    imported_origin: imported.origin.clone(),
                });
            }
        }
        out
    }

    fn position(&mut self, entry: usize, path: &str) -> Position {
        let text = &self.entries[entry].text;
        self.locations
            .entry(entry)
            .or_insert_with(|| Locations::of(text))
            .find(path)
    }

    /// `first` (ranked higher or equal) already holds `claim`; `second` wants
    /// it too. Records a shadowing, or an error on a tie. Returns whether
    /// `second` lost the claim to a higher tier.
    fn conflict(&mut self, first: usize, second: usize, claim: Claim, path: &str) -> bool {
        let (a, b) = (&self.entries[first], &self.entries[second]);
        if a.tier > b.tier {
            self.shadowed.push(Shadowed {
                claim,
                winner: a.file.id.clone(),
                loser: b.file.id.clone(),
            });
            return true;
        }
        let other_path = match &claim {
            Claim::Id(_) => "id".to_string(),
            Claim::Domain(d) => format!(
                "domains[{}]",
                a.file.domains.iter().position(|x| x == d).unwrap_or(0)
            ),
            Claim::Mx(m) => format!("mx[{}]", a.file.mx.iter().position(|x| x == m).unwrap_or(0)),
        };
        let other = self.position(first, &other_path);
        let here = self.position(second, path);
        let (b_origin, a_origin, a_id) = (b.origin.clone(), a.origin.clone(), a.file.id.clone());
        let message = match &claim {
            Claim::Id(_) => format!(
                "the {claim} is also used by {a_origin}:{}:{}",
                other.line, other.column
            ),
            _ => format!(
                "the {claim} is also claimed by `{a_id}` ({a_origin}:{}:{})",
                other.line, other.column
            ),
        };
        self.errors.push(FileError {
            file: b_origin,
            position: here,
            message,
            help: "a claim belongs to one provider: remove it from one of the two files, or load one of them as an override".to_string(),
        });
        false
    }
}

fn io_error(origin: &str, e: &std::io::Error, help: &str) -> FileError {
    FileError {
        file: origin.to_string(),
        position: Position { line: 1, column: 1 },
        message: format!("cannot read: {e}"),
        help: help.to_string(),
    }
}

#[cfg(test)]
mod registrable {
    use super::registrable_domain;

    #[test]
    fn registrable_domains_by_the_public_suffix_list() {
        for (host, base) in [
            ("mx1.mail.ovh.net", Some("ovh.net")),
            ("mx.example.co.uk", Some("example.co.uk")),
            ("smtpin.rzone.de", Some("rzone.de")),
            ("mx00.ionos.fr", Some("ionos.fr")),
            ("mx1.hosting.example.com.au", Some("example.com.au")),
            ("ovh.net", Some("ovh.net")),
            ("ovh.net.", Some("ovh.net")),
            ("co.uk", None),
            ("localhost", None),
        ] {
            assert_eq!(registrable_domain(host), base, "{host}");
        }
    }
}
