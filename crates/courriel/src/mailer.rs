//! The [`Mailer`]: "send this as Isabelle" in one call, with one answer.
//!
//! [`Mailer::send`] renders the email once, sends it through the account's
//! SMTP server (or the application's default provider when the account has
//! none), then files the exact bytes sent in the account's Sent folder, or
//! keeps them in the spool to be filed later; the [`Receipt`] says all of
//! it. [`Mailer::check`] runs the rules and both servers' live checks at
//! once and returns one [`CheckReport`].
//!
//! A mailer serves many accounts at once: SMTP connections are reused per
//! account (at most [`MailerBuilder::smtp_connections_per_account`] at a
//! time, idle ones closed after [`MailerBuilder::idle_expiry`]), IMAP
//! sessions likewise (one per account, copies that arrive together filed
//! together), and every wait is bounded by the account's timeouts, so one
//! slow or dead account never holds another's sends.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use courriel_archive::{
    Claimed, Expected, Filed, Filer, FolderCache, FolderList, ImapSettings, NewCopy, RetryReport,
    SentChoice, Spool, Target, Timeouts as ImapTimeouts, choose_sent, sent_folder_to_create,
};
use courriel_core::account::Lang;
use courriel_core::dmarc::{AsUser, OnBehalf, OnBehalfWhen, SentAs};
use courriel_core::failure::{Failure, FailureKind};
use courriel_core::rules::{self, Diagnostic, Severity};
use courriel_discover::dmarc::DmarcLookup;
use courriel_presets::Catalog;
use courriel_transport::{
    DefaultProvider, Email, EmailError, Handover, Policy, Route, SmtpPool, SmtpTimeouts, Transport,
    deliver_pooled,
};

use crate::account::Account;
use crate::diagnose::account_facts;
use crate::resolve::{ResolvedAccount, SentFolder, SettingsError, Tuning};

/// Builds a [`Mailer`].
#[derive(Debug)]
pub struct MailerBuilder {
    catalog: Option<Catalog>,
    default: Option<DefaultProvider>,
    spool: SpoolChoice,
    policy: Policy,
    smtp_connections_per_account: usize,
    idle_expiry: Duration,
    max_idle: usize,
    filing_linger: Duration,
    retry_batch: usize,
    folders: Option<FolderCache>,
    tuning: Tuning,
    on_behalf: Option<OnBehalf>,
    account_ids_to_provider: bool,
    dmarc_name_server: Option<SocketAddr>,
    dmarc_deadline: Duration,
}

/// The spool a builder was given.
#[derive(Debug)]
enum SpoolChoice {
    /// A directory, opened (created) by `build`.
    Dir(PathBuf),
    /// A spool opened by the application (PostgreSQL, say).
    Open(Spool),
}

impl MailerBuilder {
    /// Time bounds of every SMTP step, for every account (default:
    /// [`SmtpTimeouts::default`]).
    #[must_use]
    pub fn smtp_timeouts(mut self, timeouts: SmtpTimeouts) -> Self {
        self.tuning.smtp_timeouts = Some(timeouts);
        self
    }

    /// Time bounds of every IMAP step, for every account (default:
    /// [`ImapTimeouts::default`]).
    #[must_use]
    pub fn imap_timeouts(mut self, timeouts: ImapTimeouts) -> Self {
        self.tuning.imap_timeouts = Some(timeouts);
        self
    }

    /// Connects to `address` whenever a server is named `host`, instead of
    /// resolving it (like curl's `--resolve`: split-horizon DNS, tests);
    /// the server's certificate is still checked against `host`.
    #[must_use]
    pub fn resolve(mut self, host: &str, address: IpAddr) -> Self {
        self.tuning
            .resolve
            .insert(host.trim_end_matches('.').to_ascii_lowercase(), address);
        self
    }

    /// Which addresses SMTP and IMAP connections may go to (default:
    /// [`Destinations::AnyAddress`](courriel_net::Destinations)). An
    /// application whose users type their servers' names (a settings page
    /// open to the internet) gives [`Destinations::public_only`](courriel_net::Destinations::public_only):
    /// loopback, private, link-local and metadata addresses are then
    /// refused (NT001) unless allowed, addresses given with
    /// [`MailerBuilder::resolve`] included.
    #[must_use]
    pub fn destinations(mut self, destinations: courriel_net::Destinations) -> Self {
        self.tuning.destinations = destinations;
        self
    }

    /// The provider catalog (default: the built-in one).
    #[must_use]
    pub fn catalog(mut self, catalog: Catalog) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// The application's default provider, for accounts without an SMTP
    /// server (default: none; such sends fail with SG001): SendGrid's API
    /// ([`SendGridSettings`](courriel_transport::SendGridSettings)) or any [`DefaultProvider`], e.g. from a DSN
    /// (`DefaultProvider::from_dsn("brevo+smtp://LOGIN:KEY@default")`).
    #[must_use]
    pub fn default_provider(mut self, provider: impl Into<DefaultProvider>) -> Self {
        self.default = Some(provider.into());
        self
    }

    /// How the application sends for users through its default provider
    /// when their domain's DMARC policy would refuse their own address
    /// there (default: never; mail from `yahoo.fr`, whose policy is
    /// `reject`, then fails DMARC at the recipient). With it, such mail
    /// goes out `From: "Isabelle Martin via Facturo" <noreply@facturo.fr>`
    /// with `Reply-To: isabelle.martin@yahoo.fr`, as [`OnBehalf::when`]
    /// says; the [`Receipt::sent_as`] says which and why, and the copy
    /// filed in Sent is what was sent.
    ///
    /// ```
    /// use courriel::dmarc::{OnBehalf, OnBehalfWhen};
    /// use courriel::{Domain, EmailAddress};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let app = OnBehalf::new(
    ///     "Facturo",
    ///     EmailAddress::parse("noreply@facturo.fr")?,
    ///     [Domain::parse("facturo.fr")?],
    /// )?
    /// .when(OnBehalfWhen::DmarcEnforces);
    /// # let spool = std::env::temp_dir().join(format!("courriel-doc-ob-{}", std::process::id()));
    /// let mailer = courriel::Mailer::builder(&spool).on_behalf(app).build()?;
    /// # std::fs::remove_dir_all(&spool)?;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn on_behalf(mut self, on_behalf: OnBehalf) -> Self {
        self.on_behalf = Some(on_behalf);
        self
    }

    /// Whether each account's id goes to the default provider with its
    /// messages (default: yes), so that the provider's delivery events
    /// come back tied to the account (SendGrid's custom argument
    /// `courriel_account`, see [`crate::events`]). The provider keeps it:
    /// ids should be opaque (a database key, not an address); turn this
    /// off when they are not and events are not read.
    #[must_use]
    pub fn account_ids_to_provider(mut self, send: bool) -> Self {
        self.account_ids_to_provider = send;
        self
    }

    /// The name server DMARC policies are asked of (default: the
    /// system's, `/etc/resolv.conf`).
    #[must_use]
    pub fn dmarc_name_server(mut self, server: SocketAddr) -> Self {
        self.dmarc_name_server = Some(server);
        self
    }

    /// How long a DMARC lookup may take before the policy counts as
    /// unknown, which sends on the user's behalf (default 2 s; answers are
    /// cached, failures for a minute).
    #[must_use]
    pub fn dmarc_deadline(mut self, deadline: Duration) -> Self {
        self.dmarc_deadline = deadline;
        self
    }

    /// What the application allows (fallback, retries).
    #[must_use]
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// SMTP connections open at once per account (default 2; providers
    /// cut off clients that open many).
    #[must_use]
    pub fn smtp_connections_per_account(mut self, n: usize) -> Self {
        self.smtp_connections_per_account = n.max(1);
        self
    }

    /// How long an unused connection or session is kept (default 60 s:
    /// servers close idle SMTP connections after a few minutes).
    #[must_use]
    pub fn idle_expiry(mut self, expiry: Duration) -> Self {
        self.idle_expiry = expiry;
        self
    }

    /// At most `n` SMTP connections and `n` IMAP sessions kept open while
    /// idle, all accounts together (default 64 each; 0: none kept): past
    /// it, the one idle longest is closed. An application sending once
    /// each for thousands of users does not hold a connection, and a server
    /// process, for every one of them (Postfix serves 100 connections per
    /// service by default).
    #[must_use]
    pub fn max_idle_connections(mut self, n: usize) -> Self {
        self.max_idle = n;
        self
    }

    /// How long a copy may wait to be filed together with the copies of
    /// the same account's other sends under way (default 20 ms; zero files
    /// every copy on its own). Filing a batch costs the IMAP server about
    /// what one copy costs, so an account that sends many messages at once
    /// is filed many times faster.
    #[must_use]
    pub fn filing_linger(mut self, linger: Duration) -> Self {
        self.filing_linger = linger;
        self
    }

    /// How many spooled copies a retry claims at a time (default 200).
    /// Workers sharing a spool each take a batch: smaller batches share
    /// the work more evenly.
    #[must_use]
    pub fn retry_batch(mut self, batch: usize) -> Self {
        self.retry_batch = batch.max(1);
        self
    }

    /// Where folder lists are kept, for [`Mailer::check`] and for choosing
    /// the Sent folder when filing (default: the spool's database when the
    /// spool is in PostgreSQL, shared by every worker; else in memory). A
    /// directory cache is shared with other processes of the machine, such
    /// as the `courriel folders` tool.
    #[must_use]
    pub fn folder_cache(mut self, cache: FolderCache) -> Self {
        self.folders = Some(cache);
        self
    }

    /// The mailer; creates the spool directory if needed.
    pub fn build(self) -> std::io::Result<Mailer> {
        let spool = match self.spool {
            SpoolChoice::Dir(dir) => Spool::dir(dir)?,
            SpoolChoice::Open(spool) => spool,
        };
        // The filer decides the default cache (the spool's, else memory).
        let mut filer = Filer::new(spool, self.idle_expiry)
            .with_max_idle(self.max_idle)
            .with_linger(self.filing_linger)
            .with_retry_batch(self.retry_batch);
        if let Some(folders) = self.folders {
            filer = filer.with_folder_cache(folders);
        }
        let on_behalf = match self.on_behalf {
            None => None,
            Some(identity) => {
                let dmarc = if identity.when == OnBehalfWhen::DmarcEnforces {
                    let lookup = DmarcLookup::new(self.dmarc_name_server, self.dmarc_deadline)
                        .map_err(|e| {
                            std::io::Error::other(format!("no name server for DMARC lookups: {e}"))
                        })?;
                    Some(lookup)
                } else {
                    None
                };
                Some(Arc::new(Sender { identity, dmarc }))
            }
        };
        Ok(Mailer {
            on_behalf,
            account_ids_to_provider: self.account_ids_to_provider,
            catalog: Arc::new(self.catalog.unwrap_or_else(|| Catalog::builtin().clone())),
            default: self.default.map(Arc::new),
            policy: self.policy,
            smtp: Arc::new(
                SmtpPool::new(self.smtp_connections_per_account, self.idle_expiry)
                    .with_max_idle(self.max_idle),
            ),
            filer: Arc::new(filer),
            tuning: Arc::new(self.tuning),
        })
    }
}

/// Sends as the application's users and files their copies.
///
/// Cheap to clone: clones share the catalog, the SMTP connections, the
/// IMAP sessions, the spool and the folder cache.
///
/// ```
/// use courriel::{Account, AccountSettings, Mailer, SentFolder};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let spool = std::env::temp_dir().join(format!("courriel-doc-{}", std::process::id()));
/// // One mailer for the whole application.
/// let mailer = Mailer::builder(&spool).build()?;
/// let settings: AccountSettings = courriel::account::parse(
///     "isabelle.toml",
///     r#"
///         sender = "isabelle.martin@yahoo.fr"
///         [smtp]
///         host = "smtp.mail.yahoo.com"
///         port = 465
///         security = "implicit-tls"
///         username = "isabelle.martin@yahoo.fr"
///         [imap]
///         host = "imap.mail.yahoo.com"
///         port = 993
///         security = "implicit-tls"
///         username = "isabelle.martin@yahoo.fr"
///     "#,
/// )?;
/// let account = Account::new("customer-42", settings)
///     .with_smtp_password("app password")
///     .with_imap_password("app password");
/// // Parsed once, when the settings are saved; then sent with, many times
/// // (`mailer.send(&account, email).await`).
/// let account = mailer.resolve(&account);
/// assert!(account.diagnostics().iter().all(|d| d.severity != courriel::Severity::Error));
/// assert_eq!(account.smtp().unwrap().unwrap().host, "smtp.mail.yahoo.com");
/// assert_eq!(account.sent_folder(), &SentFolder::Auto { create: true });
/// # std::fs::remove_dir_all(&spool)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Mailer {
    on_behalf: Option<Arc<Sender>>,
    account_ids_to_provider: bool,
    catalog: Arc<Catalog>,
    default: Option<Arc<DefaultProvider>>,
    policy: Policy,
    smtp: Arc<SmtpPool>,
    filer: Arc<Filer>,
    tuning: Arc<Tuning>,
}

/// The application's identity for sending on its users' behalf, and the
/// DMARC lookups its policy needs.
#[derive(Debug)]
struct Sender {
    identity: OnBehalf,
    dmarc: Option<DmarcLookup>,
}

/// What became of the copy for the Sent folder.
#[derive(Debug)]
#[non_exhaustive]
pub enum Filing {
    /// Filed in this folder (raw IMAP name).
    Filed {
        /// The folder.
        folder: String,
        /// Whether the folder was created for this copy: the server had no
        /// Sent folder (`create_sent_folder`, on by default).
        created: bool,
    },
    /// Kept in the spool, to be filed by a later retry.
    Spooled {
        /// The spool entry.
        entry: String,
        /// Why it could not be filed now.
        failure: Failure,
    },
    /// Kept in the spool, marked failed: retrying will not help until
    /// something changes (folder gone, quota).
    Failed {
        /// The spool entry.
        entry: String,
        /// Why.
        failure: Failure,
    },
    /// Not filed by us, on purpose.
    NotFiled(NotFiled),
    /// The copy could not even be written to the spool (disk full,
    /// permissions): the message was sent, its copy is not kept (SP001).
    NotKept(Failure),
}

/// Why no copy was filed, on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotFiled {
    /// The provider files a copy of what goes through its SMTP server
    /// itself: ours would be a duplicate.
    ProviderFilesItsOwn {
        /// The provider's name.
        provider: String,
    },
    /// The account has no IMAP settings.
    NoImap,
    /// The account's settings turn filing off (`copy_to_sent = false`).
    Disabled,
}

impl Filing {
    /// What became of the copy, in `lang` (`copy filed in Sent`, `copy
    /// spooled: [IM003] ...`).
    #[must_use]
    pub fn summary(&self, lang: Lang) -> String {
        use crate::text::text;
        match self {
            Filing::Filed { folder, created } => {
                // Folder names as people read them (`Éléments envoyés`).
                let folder = courriel_archive::mutf7::decode_lenient(folder);
                let id = if *created {
                    "filing-filed-created"
                } else {
                    "filing-filed"
                };
                text(lang, id, &[("folder", &folder)])
            }
            Filing::Spooled { failure, .. } => text(
                lang,
                "filing-spooled",
                &[("failure", &failure.render(lang))],
            ),
            Filing::Failed { failure, .. } | Filing::NotKept(failure) => text(
                lang,
                "filing-not-filed",
                &[("failure", &failure.render(lang))],
            ),
            Filing::NotFiled(NotFiled::ProviderFilesItsOwn { provider }) => {
                text(lang, "filing-provider-files", &[("provider", provider)])
            }
            Filing::NotFiled(NotFiled::NoImap) => text(lang, "filing-no-imap", &[]),
            Filing::NotFiled(NotFiled::Disabled) => text(lang, "filing-disabled", &[]),
        }
    }

    /// `filed`, `spooled`, `failed`, `not-filed` or `not-kept`.
    #[must_use]
    pub fn status(&self) -> &'static str {
        match self {
            Filing::Filed { .. } => "filed",
            Filing::Spooled { .. } => "spooled",
            Filing::Failed { .. } => "failed",
            Filing::NotFiled(_) => "not-filed",
            Filing::NotKept(_) => "not-kept",
        }
    }
}

/// The answer to one send: how it went out, what the server said per
/// recipient, the exact bytes, and what became of the Sent copy.
#[derive(Debug)]
#[non_exhaustive]
pub struct Receipt {
    /// The transport used.
    pub transport: Transport,
    /// The Message-ID, without angle brackets.
    pub message_id: String,
    /// The server's final reply.
    pub reply: String,
    /// Recipients accepted.
    pub accepted: Vec<courriel_core::EmailAddress>,
    /// Recipients refused, with the server's reply: a partial send.
    pub refused: Vec<(courriel_core::EmailAddress, String)>,
    /// The copy for the Sent folder.
    pub filing: Filing,
    /// The exact bytes filed (what was transmitted, plus the Bcc header).
    pub message: Arc<Vec<u8>>,
    /// Who the message went out as: the user's own address, or the
    /// application's on the user's behalf ([`MailerBuilder::on_behalf`]),
    /// and why.
    pub sent_as: SentAs,
}

impl Receipt {
    /// Whether some recipients were refused.
    #[must_use]
    pub fn is_partial(&self) -> bool {
        !self.refused.is_empty()
    }
}

/// Whether the copy of a message is filed by us.
enum Plan {
    File,
    NotFiled(NotFiled),
}

/// The IMAP settings' errors, as the copy's failure says them.
fn invalid_settings(e: SettingsError) -> Failure {
    let codes = match e {
        SettingsError::Rules(d) => d
            .iter()
            .map(|d| d.rule.code())
            .collect::<Vec<_>>()
            .join(", "),
        SettingsError::CaFile(file, _) => format!("ca_file {file}"),
    };
    Failure::new(FailureKind::ImapSettingsInvalid).arg("codes", codes)
}

/// Puts the copy in the spool just before the message is handed over
/// (once, whatever the number of attempts), when it is to be filed. When
/// another rendering leaves after the first was spooled (the default
/// provider on the user's behalf, after the user's server refused the
/// message), the copy spooled is replaced by it: the copy is what was sent.
struct SpoolFirst<'a> {
    mailer: &'a Mailer,
    account: &'a ResolvedAccount,
    sender: String,
    claim: tokio::sync::Mutex<Option<(Claimed, Arc<Vec<u8>>)>>,
}

impl Handover for SpoolFirst<'_> {
    async fn before_handover(
        &self,
        transport: Transport,
        message: &courriel_transport::Rendered,
    ) -> Result<(), Failure> {
        let mut claim = self.claim.lock().await;
        match claim.take() {
            Some((held, bytes)) if Arc::ptr_eq(&bytes, &message.archived) => {
                *claim = Some((held, bytes));
                return Ok(());
            }
            // The copy spooled is not what leaves now.
            Some((held, _)) => self.mailer.filer.forget(held).await,
            None => {}
        }
        if let Plan::NotFiled(_) = Mailer::plan(self.account, transport) {
            return Ok(());
        }
        let owner = self.account.owner(&self.sender);
        let copy = NewCopy::sent(
            self.account.id(),
            self.account.sent_folder().named(),
            &message.message_id,
        )
        .owned_by(&owner)
        .before_sending();
        let held = self
            .mailer
            .filer
            .hold(copy, message.archived.clone())
            .await?;
        *claim = Some((held, message.archived.clone()));
        Ok(())
    }
}

/// Why nothing was sent.
#[derive(Debug)]
#[non_exhaustive]
pub enum SendError {
    /// The account's settings have errors (the rules' diagnostics).
    Settings(Vec<Diagnostic>),
    /// The extra CA file named by the settings cannot be read.
    CaFile(String, std::io::Error),
    /// The email cannot be rendered (header injection, no recipient...).
    Email(EmailError),
    /// The server or provider refused, or could not be reached.
    Failed(Failure),
    /// The spool could not take the message's copy, so the message was
    /// not sent (`SP004`): nothing went out.
    Spool(Failure),
    /// The message was handed over, then the connection failed before the
    /// server's answer (`SM016`): it may or may not have been delivered.
    /// Do not send it again without checking. Its copy is kept in the
    /// spool (`entry`), marked so, and filed unread by the next retry.
    FateUnknown {
        /// What happened.
        failure: Failure,
        /// The spool entry keeping the copy, if one was made.
        entry: Option<String>,
    },
}

impl SendError {
    /// The failure, when a server, the provider or the spool gave one.
    #[must_use]
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            SendError::Failed(f)
            | SendError::Spool(f)
            | SendError::FateUnknown { failure: f, .. } => Some(f),
            SendError::Settings(_) | SendError::CaFile(..) | SendError::Email(_) => None,
        }
    }

    /// The error as a failure with its stable code and message, for
    /// every kind but settings with errors (those are the rules'
    /// diagnostics): an unusable CA file is `NT003`, an email that cannot
    /// be built `EM001`.
    #[must_use]
    pub fn as_failure(&self) -> Option<std::borrow::Cow<'_, Failure>> {
        use std::borrow::Cow;
        match self {
            SendError::Settings(_) => None,
            SendError::CaFile(file, e) => Some(Cow::Owned(
                Failure::new(FailureKind::CaFileUnusable)
                    .arg("file", file)
                    .arg("detail", e),
            )),
            SendError::Email(e) => Some(Cow::Owned(
                Failure::new(FailureKind::EmailInvalid).arg("detail", e),
            )),
            SendError::Failed(f)
            | SendError::Spool(f)
            | SendError::FateUnknown { failure: f, .. } => Some(Cow::Borrowed(f)),
        }
    }

    /// The first error among the settings' diagnostics, when the settings
    /// stopped the send.
    #[must_use]
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            SendError::Settings(diagnostics) => diagnostics
                .iter()
                .find(|d| d.severity == Severity::Error)
                .or(diagnostics.first()),
            _ => None,
        }
    }

    /// The stable code: the rule's (`LG004`) when the settings have
    /// errors, else the failure's (`SM009`, `NT003`, `EM001`...).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match (self.diagnostic(), self.as_failure()) {
            (Some(d), _) => d.code(),
            (None, Some(failure)) => failure.code(),
            // Settings refused with no diagnostic: not built by the mailer.
            (None, None) => FailureKind::ImapSettingsInvalid.code(),
        }
    }

    /// What happened, in `lang`.
    #[must_use]
    pub fn message(&self, lang: Lang) -> String {
        match (self.diagnostic(), self.as_failure()) {
            (Some(d), _) => d.message(lang),
            (None, Some(failure)) => failure.message(lang),
            (None, None) => self.to_string(),
        }
    }

    /// What to do, in `lang`.
    #[must_use]
    pub fn help(&self, lang: Lang) -> String {
        match (self.diagnostic(), self.as_failure()) {
            (Some(d), _) => d.help(lang),
            (None, Some(failure)) => failure.help(lang),
            (None, None) => String::new(),
        }
    }

    /// Whether sending the same message again later, with nothing changed,
    /// may succeed: the server could not be reached, answered "not now",
    /// or the spool could not be written for now. Nothing was sent.
    #[must_use]
    pub fn is_temporary(&self) -> bool {
        self.as_failure().is_some_and(|f| f.is_temporary())
    }

    /// Whether sending again will fail the same way until something
    /// changes: the settings, the message, or the provider's account.
    /// Nothing was sent.
    #[must_use]
    pub fn is_permanent(&self) -> bool {
        match self.as_failure() {
            Some(failure) => failure.is_permanent(),
            None => true,
        }
    }

    /// Whether the message may have been delivered after all: never send
    /// it again without checking (its copy is kept, see
    /// [`SendError::FateUnknown`]).
    #[must_use]
    pub fn may_have_been_delivered(&self) -> bool {
        matches!(self, SendError::FateUnknown { .. })
    }

    /// Whether the message may have been delivered after all (the same as
    /// [`SendError::may_have_been_delivered`]).
    #[must_use]
    pub fn is_fate_unknown(&self) -> bool {
        self.may_have_been_delivered()
    }

    /// Whether the spool stopped the send.
    #[must_use]
    pub fn is_spool(&self) -> bool {
        matches!(self, SendError::Spool(_))
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Settings(diagnostics) => {
                let codes: Vec<_> = diagnostics.iter().map(|d| d.rule.code()).collect();
                write!(
                    f,
                    "the account's settings have errors: {}",
                    codes.join(", ")
                )
            }
            SendError::CaFile(file, e) => write!(f, "cannot read the CA file {file}: {e}"),
            SendError::Email(e) => write!(f, "{e}"),
            SendError::Failed(failure)
            | SendError::Spool(failure)
            | SendError::FateUnknown { failure, .. } => write!(f, "{failure}"),
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::Settings(_) => None,
            SendError::CaFile(_, e) => Some(e),
            SendError::Email(e) => Some(e),
            SendError::Failed(f)
            | SendError::Spool(f)
            | SendError::FateUnknown { failure: f, .. } => Some(f),
        }
    }
}

impl From<SettingsError> for SendError {
    fn from(e: SettingsError) -> SendError {
        match e {
            SettingsError::Rules(d) => SendError::Settings(d),
            SettingsError::CaFile(file, e) => SendError::CaFile(file, e),
        }
    }
}

/// One server's live check.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerCheck<T> {
    /// The account has no settings for it.
    NotConfigured,
    /// Not tried: its settings have errors (the diagnostics say which).
    Skipped,
    /// Connected, secured, logged in; what was found.
    Ok(T),
    /// What went wrong.
    Failed(Failure),
}

/// What the IMAP check found.
#[derive(Debug)]
#[non_exhaustive]
pub struct ImapFound {
    /// Every folder, with the namespaces.
    pub folders: FolderList,
    /// The Sent folder copies go to, and why it was chosen.
    pub sent: Option<SentChoice>,
    /// Without one, the folder that will be created on first filing (raw
    /// IMAP name); `None` when creation is turned off
    /// (`create_sent_folder = false`) or a folder was chosen.
    pub to_create: Option<String>,
}

/// One answer for a settings page: the rules, and both servers live.
#[derive(Debug)]
#[non_exhaustive]
pub struct CheckReport {
    /// The rules' diagnostics (with what the live IMAP check learnt).
    pub diagnostics: Vec<Diagnostic>,
    /// The SMTP server.
    pub smtp: ServerCheck<()>,
    /// The IMAP server.
    pub imap: ServerCheck<ImapFound>,
    /// How long each live check took (SMTP, IMAP), and the whole.
    pub timings: (Duration, Duration, Duration),
}

impl CheckReport {
    /// Whether the settings can be used as they are: no error diagnostic
    /// and no failed server.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
            && !matches!(self.smtp, ServerCheck::Failed(_))
            && !matches!(self.imap, ServerCheck::Failed(_))
    }
}

impl Mailer {
    /// A mailer builder spooling copies in `spool` (a directory).
    pub fn builder(spool: impl Into<PathBuf>) -> MailerBuilder {
        Self::builder_with(SpoolChoice::Dir(spool.into()))
    }

    /// A mailer builder spooling copies in a spool the application opened
    /// ([`Spool::open`]: a directory or, with the cargo feature `postgres`,
    /// a PostgreSQL database shared by many workers).
    #[must_use]
    pub fn with_spool(spool: Spool) -> MailerBuilder {
        Self::builder_with(SpoolChoice::Open(spool))
    }

    fn builder_with(spool: SpoolChoice) -> MailerBuilder {
        MailerBuilder {
            catalog: None,
            default: None,
            on_behalf: None,
            account_ids_to_provider: true,
            dmarc_name_server: None,
            dmarc_deadline: Duration::from_secs(2),
            spool,
            policy: Policy::default(),
            smtp_connections_per_account: 2,
            max_idle: SmtpPool::MAX_IDLE,
            idle_expiry: Duration::from_secs(60),
            filing_linger: Duration::from_millis(20),
            retry_batch: 200,
            folders: None,
            tuning: Tuning::default(),
        }
    }

    /// The catalog.
    #[must_use]
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The spool.
    #[must_use]
    pub fn spool(&self) -> &Spool {
        self.filer.spool()
    }

    /// SMTP connections opened so far (reuse shows as few openings).
    #[must_use]
    pub fn smtp_connections_opened(&self) -> usize {
        self.smtp.opened()
    }

    /// Connections kept open now: idle SMTP connections and IMAP sessions,
    /// all accounts together. Idle ones are closed once they pass the
    /// idle expiry (looked over at most once a second, as sends go by).
    #[must_use]
    pub fn connections_kept(&self) -> (usize, usize) {
        (self.smtp.idle_total(), self.filer.open_sessions())
    }

    /// Resolves `account` for sending: the rules run once with the
    /// catalog's facts, the CA file is read once, the servers' settings
    /// are parsed with the mailer's tuning. Resolve again when the
    /// account's settings change; sending never runs the rules.
    #[must_use]
    pub fn resolve(&self, account: &Account) -> ResolvedAccount {
        ResolvedAccount::new(&self.catalog, account, &self.tuning, None)
    }

    /// Sends `email` as `account`'s user, then files the exact bytes in the
    /// account's Sent folder (or spools them).
    ///
    /// The copy is written to the spool (durably) just before the message
    /// is handed over, so that no message leaves without its copy being
    /// safe: a spool that cannot take it stops the send
    /// ([`SendError::Spool`], nothing went out); the server's acceptance
    /// makes the copy due for filing; a refusal removes it. A failure after
    /// the message was handed over and before the server's answer
    /// ([`SendError::FateUnknown`]) keeps the copy, marked so, to be filed
    /// unread by a retry; it is never sent again by us.
    ///
    /// An error means nothing was sent (or, for `FateUnknown`, that nobody
    /// can tell); once sent, whatever happens to the copy is in the
    /// receipt.
    pub async fn send(
        &self,
        account: &ResolvedAccount,
        email: Email,
    ) -> Result<Receipt, SendError> {
        let smtp = match account.smtp() {
            None => None,
            Some(Ok(smtp)) => Some(smtp),
            Some(Err(e)) => return Err(e.clone().into()),
        };
        let rendered = email.render().map_err(SendError::Email)?;
        // Who the message goes out as, should it go through the default
        // provider.
        let may_use_default =
            self.default.is_some() && (smtp.is_none() || self.policy.fallback_on_permanent_failure);
        let default_sent_as = match (&email.sender(), may_use_default) {
            (Some(sender), true) => self.sent_as(&sender.address).await,
            _ => SentAs::User(AsUser::PolicyNever),
        };
        let on_behalf = match &default_sent_as {
            SentAs::OnBehalf {
                app_name,
                app_address,
                ..
            } => email.on_behalf(app_name, app_address),
            _ => None,
        };
        let spool_first = SpoolFirst {
            mailer: self,
            account,
            sender: rendered.envelope_from.to_string(),
            claim: tokio::sync::Mutex::new(None),
        };
        // Copies of this account's sends under way are filed together.
        let expected = self.filer.expect(account.id());
        let route = Route {
            smtp,
            default: self.default.as_deref(),
            policy: &self.policy,
            on_behalf: on_behalf.as_ref(),
            account: self.account_ids_to_provider.then(|| account.id()),
        };
        // The IMAP session is opened while the message is sent (in the
        // background: the send's answer never waits for it), so that the
        // copy follows the server's acceptance on a session logged in.
        if let (Some(Ok(imap)), Some(transport)) = (account.imap(), route.first_transport())
            && let Plan::File = Self::plan(account, transport)
        {
            let (filer, id, imap) = (self.filer.clone(), account.id().to_string(), imap.clone());
            let target = account.target();
            tokio::spawn(async move { filer.prepare(&id, &imap, &target).await });
        }
        let sent = deliver_pooled(
            &self.smtp,
            account.id(),
            route,
            &email,
            rendered,
            &spool_first,
        )
        .await;
        let claim = spool_first.claim.into_inner().map(|(claim, _)| claim);
        let sent = match sent {
            Ok(sent) => sent,
            Err(failure) => return Err(self.not_sent(account, failure, claim).await),
        };
        drop(email);
        let sent_as = match sent.transport {
            Transport::Smtp => SentAs::User(AsUser::OwnServer),
            _ => default_sent_as,
        };
        let receipt = sent.receipt;
        let message = sent.archived;
        let filing = match (Self::plan(account, sent.transport), claim) {
            (Plan::NotFiled(why), claim) => {
                if let Some(claim) = claim {
                    self.filer.forget(claim).await;
                }
                Filing::NotFiled(why)
            }
            (Plan::File, Some(mut claim)) => {
                claim.mark_sent();
                self.file_claimed(account, claim, expected).await
            }
            // The transport handed the message over without asking (it
            // always asks): spooled now, late rather than never.
            (Plan::File, None) => {
                tracing::warn!(account = account.id(), "copy spooled after sending");
                self.file_late(account, &receipt.message_id, &message, expected)
                    .await
            }
        };
        tracing::info!(
            account = account.id(),
            transport = sent.transport.as_str(),
            message_id = %receipt.message_id,
            filing = filing.status(),
            sent_as = sent_as.as_str(),
            reason = sent_as.reason(),
            "sent"
        );
        Ok(Receipt {
            transport: sent.transport,
            message_id: receipt.message_id,
            reply: receipt.reply,
            accepted: receipt.accepted,
            refused: receipt.refused,
            filing,
            message,
            sent_as,
        })
    }

    /// Who mail from `sender` goes out as through the default provider:
    /// the application's [`MailerBuilder::on_behalf`] decision, with the
    /// sender domain's DMARC policy looked up when that decision needs it
    /// (cached; bounded by [`MailerBuilder::dmarc_deadline`]). Without an
    /// identity set, always the user's own address
    /// ([`AsUser::PolicyNever`]). The settings page shows it before the
    /// first send.
    pub async fn sent_as(&self, sender: &courriel_core::EmailAddress) -> SentAs {
        let Some(on_behalf) = &self.on_behalf else {
            return SentAs::User(AsUser::PolicyNever);
        };
        let dmarc = match &on_behalf.dmarc {
            Some(lookup) if on_behalf.identity.needs_dmarc(sender) => {
                Some(lookup.policy(sender.domain()).await)
            }
            _ => None,
        };
        if let Some(courriel_core::dmarc::Dmarc::Unknown { reason }) = &dmarc {
            tracing::warn!(domain = %sender.domain(), %reason, "DMARC policy unknown: sending on the user's behalf");
        }
        on_behalf.identity.decide(sender, dmarc.as_ref())
    }

    /// The error for a message not sent (or whose fate is unknown), after
    /// settling the copy spooled for it: removed when nothing went out,
    /// kept (marked) when the message may have gone.
    async fn not_sent(
        &self,
        account: &ResolvedAccount,
        failure: Failure,
        claim: Option<Claimed>,
    ) -> SendError {
        tracing::warn!(account = account.id(), code = failure.code(), "not sent");
        if failure.kind == FailureKind::SpoolUnwritableNotSent {
            return SendError::Spool(failure);
        }
        if !failure.may_have_been_delivered() {
            if let Some(claim) = claim {
                self.filer.forget(claim).await;
            }
            return SendError::Failed(failure);
        }
        let entry = match claim {
            Some(claim) => Some(self.filer.keep_fate_unknown(claim, &failure).await),
            None => None,
        };
        SendError::FateUnknown { failure, entry }
    }

    /// Whether the copy of a message sent through `transport` is filed by
    /// us, and if not why.
    fn plan(account: &ResolvedAccount, transport: Transport) -> Plan {
        if account.imap().is_none() {
            return Plan::NotFiled(NotFiled::NoImap);
        }
        if !account.copy_to_sent() {
            return Plan::NotFiled(NotFiled::Disabled);
        }
        // Only what went through the provider's own SMTP server is filed
        // by the provider.
        if transport == Transport::Smtp
            && let Some(provider) = account.provider_files_own_copy()
        {
            return Plan::NotFiled(NotFiled::ProviderFilesItsOwn {
                provider: provider.to_string(),
            });
        }
        Plan::File
    }

    /// Files the copy of a message sent for `account`, spooled (and
    /// claimed) before it was handed over.
    async fn file_claimed(
        &self,
        account: &ResolvedAccount,
        claim: Claimed,
        expected: Expected,
    ) -> Filing {
        let settings = match account.imap() {
            Some(Ok(settings)) => settings,
            Some(Err(e)) => {
                // Kept until the settings are fixed: never dropped.
                return Self::filing(
                    self.filer
                        .set_aside(claim, invalid_settings(e.clone()))
                        .await,
                );
            }
            None => unreachable!("a copy is claimed only for an account with IMAP settings"),
        };
        Self::filing(
            self.filer
                .file_claimed(claim, settings, &account.target(), Some(expected))
                .await,
        )
    }

    /// Files the copy of a message already sent (spooled now, late rather
    /// than never), as [`Mailer::file_claimed`] does.
    async fn file_late(
        &self,
        account: &ResolvedAccount,
        message_id: &str,
        message: &Arc<Vec<u8>>,
        expected: Expected,
    ) -> Filing {
        let owner = account.owner("");
        let copy =
            NewCopy::sent(account.id(), account.sent_folder().named(), message_id).owned_by(&owner);
        match self.filer.keep(copy, message.clone()).await {
            Ok(claim) => self.file_claimed(account, claim, expected).await,
            Err(failure) => Filing::NotKept(failure),
        }
    }

    /// A filer's outcome as the receipt says it.
    fn filing(filed: Filed) -> Filing {
        match filed {
            Filed::Filed { folder, created } => Filing::Filed { folder, created },
            Filed::AlreadyFiled { folder } => Filing::Filed {
                folder,
                created: false,
            },
            Filed::Spooled { entry, failure } => Filing::Spooled { entry, failure },
            Filed::Failed { entry, failure } => Filing::Failed { entry, failure },
        }
    }

    /// Files every spooled copy that is due; `account_for` gives the
    /// account behind each spool key (`None` leaves its copies waiting).
    /// A copy already in its folder (filed before a crash) is not filed
    /// again.
    pub async fn retry_spool(
        &self,
        account_for: impl Fn(&str) -> Option<ResolvedAccount>,
    ) -> std::io::Result<RetryReport> {
        self.retry_spool_with_progress(account_for, |_, _| {}).await
    }

    /// Like [`Mailer::retry_spool`], calling `progress(done, total)` as
    /// copies are handled (for a progress bar).
    pub async fn retry_spool_with_progress(
        &self,
        account_for: impl Fn(&str) -> Option<ResolvedAccount>,
        progress: impl FnMut(usize, usize),
    ) -> std::io::Result<RetryReport> {
        self.filer
            .retry(Self::filing_settings(account_for), false, progress)
            .await
    }

    /// For a retry: each spool key's IMAP settings and where its copies
    /// go now (the folder chosen again from the current settings).
    fn filing_settings(
        account_for: impl Fn(&str) -> Option<ResolvedAccount>,
    ) -> impl Fn(&str) -> Option<(ImapSettings, Target)> {
        move |id: &str| {
            let account = account_for(id)?;
            let settings = account.imap()?.ok()?.clone();
            Some((settings, account.target()))
        }
    }

    /// Like [`Mailer::retry_spool_with_progress`], for every pending copy,
    /// even those whose backoff has not run out: for a person who knows the
    /// server is back (`courriel spool retry`).
    pub async fn retry_spool_now(
        &self,
        account_for: impl Fn(&str) -> Option<ResolvedAccount>,
        progress: impl FnMut(usize, usize),
    ) -> std::io::Result<RetryReport> {
        self.filer
            .retry(Self::filing_settings(account_for), true, progress)
            .await
    }

    /// Checks an account for a settings page: the rules offline, then the
    /// SMTP and IMAP servers at the same time (connect, secure, log in; the
    /// folder list and the Sent folder chosen), then the rules again with
    /// what IMAP told. Wall time is about the slower check, not the sum.
    pub async fn check(&self, account: &Account) -> CheckReport {
        self.check_with_mx(account, None).await
    }

    /// Like [`Mailer::check`], knowing the MX host of the sender's domain
    /// (from discovery): custom domains hosted by a known provider are then
    /// checked against that provider's facts too.
    pub async fn check_with_mx(&self, account: &Account, mx: Option<&str>) -> CheckReport {
        let start = Instant::now();
        let resolved = ResolvedAccount::new(&self.catalog, account, &self.tuning, mx);
        let smtp = async {
            let t = Instant::now();
            let outcome = match resolved.smtp() {
                None => ServerCheck::NotConfigured,
                Some(Err(_)) => ServerCheck::Skipped,
                Some(Ok(settings)) => match courriel_transport::check(settings).await {
                    Ok(()) => ServerCheck::Ok(()),
                    Err(failure) => ServerCheck::Failed(failure),
                },
            };
            (outcome, t.elapsed())
        };
        let imap = async {
            let t = Instant::now();
            let outcome = match resolved.imap() {
                None => ServerCheck::NotConfigured,
                Some(Err(_)) => ServerCheck::Skipped,
                Some(Ok(settings)) => match self.filer.folder_cache().folders(settings, true).await
                {
                    Err(failure) => ServerCheck::Failed(failure),
                    Ok((folders, _)) => {
                        let hint = resolved.sent_folder_hint();
                        let sent = choose_sent(
                            &folders.folders,
                            &folders.namespaces,
                            hint,
                            resolved.sent_folder().named(),
                        );
                        let to_create = (sent.is_none()
                            && resolved.sent_folder() == &SentFolder::Auto { create: true })
                            .then(|| sent_folder_to_create(&folders.namespaces, hint));
                        ServerCheck::Ok(ImapFound {
                            folders,
                            sent,
                            to_create,
                        })
                    }
                },
            };
            (outcome, t.elapsed())
        };
        // Who mail through the default provider goes out as, for an
        // account without an SMTP server.
        let sent_as = async {
            let sender = account.settings().sender.as_deref()?;
            let sender = courriel_core::EmailAddress::parse(sender.trim()).ok()?;
            match resolved.smtp() {
                None => Some(self.sent_as(&sender).await),
                Some(_) => None,
            }
        };
        let ((smtp, smtp_time), (imap, imap_time), default_sender) =
            tokio::join!(smtp, imap, sent_as);
        let on_behalf = matches!(default_sender, Some(SentAs::OnBehalf { .. }));
        // What IMAP told changes what the rules say of the Sent folder, and
        // who the mail goes out as, what they say of the sender.
        let diagnostics = if on_behalf || matches!(imap, ServerCheck::Ok(_)) {
            let mut facts = account_facts(&self.catalog, account, mx);
            if let ServerCheck::Ok(found) = &imap {
                let written = account
                    .settings()
                    .imap
                    .as_ref()
                    .and_then(|i| i.sent_folder.as_deref())
                    .is_some_and(|c| !c.trim().is_empty());
                if written || found.to_create.is_some() {
                    facts.sent_folder_found = Some(found.sent.is_some());
                }
                // Named for people (`Éléments envoyés`), as the rule shows it.
                facts.sent_folder_to_create = found
                    .to_create
                    .as_deref()
                    .map(courriel_archive::mutf7::decode_lenient);
            }
            facts.default_sender = default_sender;
            rules::check(account.settings(), &facts)
        } else {
            resolved.diagnostics().to_vec()
        };
        CheckReport {
            diagnostics,
            smtp,
            imap,
            timings: (smtp_time, imap_time, start.elapsed()),
        }
    }

    /// Closes pooled sessions (best effort, bounded).
    pub async fn close(&self) {
        self.filer.close().await;
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use courriel_core::account::AccountSettings;

    use super::*;

    fn settings_error() -> SendError {
        let settings = AccountSettings {
            sender: Some("not an address".into()),
            ..AccountSettings::default()
        };
        let facts = Catalog::builtin().facts(&settings);
        SendError::Settings(rules::check(&settings, &facts))
    }

    #[test]
    fn every_send_error_has_a_code_words_in_both_languages_and_a_class() {
        let errors = [
            settings_error(),
            SendError::CaFile(
                "/etc/ca.pem".into(),
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ),
            SendError::Email(EmailError::NoRecipient),
            SendError::Failed(Failure::new(FailureKind::SmtpTemporary).arg("detail", "451 later")),
            SendError::Failed(Failure::new(FailureKind::SmtpAuthRefused)),
            SendError::Spool(Failure::new(FailureKind::SpoolUnwritableNotSent)),
            SendError::FateUnknown {
                failure: Failure::new(FailureKind::SmtpDeliveryUnknown),
                entry: None,
            },
        ];
        let codes: Vec<_> = errors.iter().map(SendError::code).collect();
        assert_eq!(
            codes,
            [
                "FD002", "NT003", "EM001", "SM013", "SM009", "SP004", "SM016"
            ]
        );
        let classes: Vec<_> = errors
            .iter()
            .map(|e| {
                (
                    e.is_temporary(),
                    e.is_permanent(),
                    e.may_have_been_delivered(),
                )
            })
            .collect();
        assert_eq!(
            classes,
            [
                (false, true, false),
                (false, true, false),
                (false, true, false),
                (true, false, false),
                (false, true, false),
                (true, false, false),
                (false, false, true),
            ]
        );
        for e in &errors {
            for lang in Lang::ALL {
                let (message, help) = (e.message(lang), e.help(lang));
                assert!(
                    !message.is_empty() && !message.starts_with('['),
                    "{e:?}: {message}"
                );
                assert!(!help.is_empty() && !help.starts_with('['), "{e:?}: {help}");
            }
        }
        assert_ne!(errors[1].message(Lang::En), errors[1].message(Lang::Fr));
        assert!(errors[1].message(Lang::Fr).contains("/etc/ca.pem"));
        assert!(errors[2].message(Lang::En).contains("no recipient"));
    }

    #[test]
    fn a_send_error_gives_its_cause() {
        let e = settings_error();
        assert!(e.source().is_none(), "the diagnostics are the cause");
        let e = SendError::Email(EmailError::NoSender);
        assert!(e.source().unwrap().downcast_ref::<EmailError>().is_some());
        let e = SendError::Failed(Failure::new(FailureKind::SmtpAuthRefused));
        let failure = e.source().unwrap().downcast_ref::<Failure>().unwrap();
        assert_eq!(failure.code(), "SM009");
        let e = SendError::CaFile("ca.pem".into(), std::io::ErrorKind::NotFound.into());
        assert!(
            e.source()
                .unwrap()
                .downcast_ref::<std::io::Error>()
                .is_some()
        );
    }
}
