//! Accounts parsed once: [`ResolvedAccount`], what the send path takes.
//!
//! An [`Account`] holds settings as written (every value optional, checked
//! by the rules). Resolving it runs the rules once, with the catalog's
//! facts, reads the CA file once, and keeps typed endpoints for SMTP and
//! IMAP, the Sent-folder choice and what the catalog says of the servers.
//! Sending, filing and retrying then never run a rule nor read a file:
//! resolve again when the settings change.

use std::sync::Arc;

use courriel_archive::{ImapSettings, Owner, Target};
use courriel_core::Security;
use courriel_core::account::{Protocol, ServerInput};
use courriel_core::provider::SentCopy;
use courriel_core::rules::{self, Diagnostic, Severity};
use courriel_presets::Catalog;
use courriel_transport::SmtpSettings;
use secrecy::ExposeSecret;

use crate::account::Account;
use crate::diagnose::account_facts;

/// Why a server's settings cannot be used to connect.
#[derive(Debug)]
pub enum SettingsError {
    /// The rules found errors in the settings (none: the table is missing).
    Rules(Vec<Diagnostic>),
    /// The `ca_file` cannot be used: it cannot be read, is not a regular
    /// file, is larger than [`Input::CaFile`](crate::input::Input::CaFile)'s
    /// cap, or has no PEM certificate in it (the error then holds an
    /// [`InputError`](crate::input::InputError)).
    CaFile(String, std::io::Error),
}

impl Clone for SettingsError {
    fn clone(&self) -> Self {
        match self {
            SettingsError::Rules(d) => SettingsError::Rules(d.clone()),
            // The reason kept whole: an input refusal stays one.
            SettingsError::CaFile(file, e) => SettingsError::CaFile(
                file.clone(),
                match crate::input::InputError::of(e) {
                    Some(reason) => std::io::Error::new(e.kind(), reason.clone()),
                    None => std::io::Error::new(e.kind(), e.to_string()),
                },
            ),
        }
    }
}

/// Where copies of sent mail go.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SentFolder {
    /// The Sent folder found on the server (`sent_folder = "auto"` or not
    /// set), created on first filing unless `create_sent_folder = false`.
    Auto {
        /// Whether a Sent folder may be created when the server has none.
        create: bool,
    },
    /// This folder (its raw IMAP name), as the settings name it.
    Named(String),
}

impl SentFolder {
    /// The folder named by the settings, if one is.
    #[must_use]
    pub fn named(&self) -> Option<&str> {
        match self {
            SentFolder::Named(folder) => Some(folder),
            SentFolder::Auto { .. } => None,
        }
    }
}

/// What the mailer applies to every account's connection settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tuning {
    pub(crate) smtp_timeouts: Option<courriel_transport::SmtpTimeouts>,
    pub(crate) imap_timeouts: Option<courriel_archive::Timeouts>,
    pub(crate) resolve: std::collections::HashMap<String, std::net::IpAddr>,
    pub(crate) destinations: courriel_net::Destinations,
}

impl Tuning {
    fn address_of(&self, host: &str) -> Option<std::net::IpAddr> {
        self.resolve
            .get(&host.trim_end_matches('.').to_ascii_lowercase())
            .copied()
    }
}

/// An account resolved by a [`Mailer`](crate::Mailer)
/// ([`Mailer::resolve`](crate::Mailer::resolve)): its settings checked by
/// the rules once and parsed into typed endpoints, its CA file read once.
/// Cheap to clone; keep it while the settings do not change.
///
/// Resolving never fails as a whole: a server whose settings have errors
/// keeps them ([`ResolvedAccount::smtp`] and [`ResolvedAccount::imap`]
/// say why), so an account whose IMAP settings are wrong still sends, and
/// its copies wait in the spool until the settings are fixed.
#[derive(Debug, Clone)]
pub struct ResolvedAccount(Arc<Resolved>);

#[derive(Debug)]
struct Resolved {
    account: Account,
    diagnostics: Vec<Diagnostic>,
    smtp: Option<Result<SmtpSettings, SettingsError>>,
    imap: Option<Result<ImapSettings, SettingsError>>,
    sent_folder: SentFolder,
    copy_to_sent: bool,
    /// The provider's name for its Sent folder (the catalog, by IMAP host).
    sent_hint: Option<String>,
    /// The provider whose SMTP server files a copy itself.
    files_own_copy: Option<String>,
}

impl ResolvedAccount {
    /// Resolves `account` with the catalog's facts (and the sender domain's
    /// MX host, when known) and the mailer's tuning.
    pub(crate) fn new(
        catalog: &Catalog,
        account: &Account,
        tuning: &Tuning,
        mx: Option<&str>,
    ) -> ResolvedAccount {
        let diagnostics = rules::check(account.settings(), &account_facts(catalog, account, mx));
        let settings = account.settings();
        // Read once, for both servers.
        let ca_pem: Result<Option<Arc<[u8]>>, SettingsError> = match &settings.ca_file {
            Some(ca) => crate::input::read_ca_file(std::path::Path::new(ca))
                .map(|pem| Some(Arc::from(pem)))
                .map_err(|e| SettingsError::CaFile(ca.clone(), e)),
            None => Ok(None),
        };
        let endpoint = |protocol: Protocol, server: &ServerInput, default_port: u16| {
            let errors: Vec<Diagnostic> = diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error && d.concerns(protocol))
                .cloned()
                .collect();
            if !errors.is_empty() {
                return Err(SettingsError::Rules(errors));
            }
            let ca_pem = ca_pem.clone()?;
            // The rules checked every value below; these are their parsed forms.
            let host = server
                .host
                .as_deref()
                .unwrap_or_default()
                .trim()
                .to_string();
            let mut endpoint = courriel_net::Endpoint::<()>::new(
                host,
                server
                    .port
                    .and_then(|p| u16::try_from(p).ok())
                    .unwrap_or(default_port),
                if server.security.as_deref() == Some("starttls") {
                    Security::Starttls
                } else {
                    Security::ImplicitTls
                },
                server.username.clone().unwrap_or_default(),
                account
                    .password(protocol)
                    .map(|p| p.expose_secret().to_string())
                    .unwrap_or_default(),
            );
            if let Some(tokens) = account.oauth2() {
                endpoint = endpoint.with_oauth2(tokens.clone());
            }
            endpoint.extra_ca_pem = ca_pem;
            endpoint.address = tuning.address_of(&endpoint.host);
            endpoint.destinations = tuning.destinations.clone();
            Ok(endpoint)
        };
        let smtp = settings.smtp.as_ref().map(|server| {
            endpoint(Protocol::Smtp, server, 465)
                .map(|e| e.with_timeouts(tuning.smtp_timeouts.unwrap_or_default()))
        });
        let imap = settings.imap.as_ref().map(|imap| {
            endpoint(Protocol::Imap, &imap.server(), 993)
                .map(|e| e.with_timeouts(tuning.imap_timeouts.unwrap_or_default()))
        });
        let imap_input = settings.imap.as_ref();
        let sent_folder = match imap_input
            .and_then(|i| i.sent_folder.as_deref())
            .map(str::trim)
            .filter(|f| !f.is_empty() && !f.eq_ignore_ascii_case("auto"))
        {
            Some(folder) => SentFolder::Named(folder.to_string()),
            None => SentFolder::Auto {
                create: imap_input.is_none_or(|i| i.create_sent_folder != Some(false)),
            },
        };
        let sent_hint = match &imap {
            Some(Ok(imap)) => catalog
                .lookup_host(&imap.host)
                .and_then(|p| p.sent_folder.clone()),
            _ => None,
        };
        let files_own_copy = match &smtp {
            Some(Ok(smtp)) => catalog
                .lookup_host(&smtp.host)
                .filter(|p| p.sent_copy == SentCopy::ServerFiles)
                .map(|p| p.name.clone()),
            _ => None,
        };
        ResolvedAccount(Arc::new(Resolved {
            account: account.clone(),
            diagnostics,
            smtp,
            imap,
            sent_folder,
            copy_to_sent: imap_input.is_some_and(|i| i.copy_to_sent != Some(false)),
            sent_hint,
            files_own_copy,
        }))
    }

    /// The application's key for the account.
    #[must_use]
    pub fn id(&self) -> &str {
        self.0.account.id()
    }

    /// The account as given.
    #[must_use]
    pub fn account(&self) -> &Account {
        &self.0.account
    }

    /// What the rules said of the settings when they were resolved (no MX
    /// known; [`Mailer::check`](crate::Mailer::check) says more).
    #[must_use]
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.0.diagnostics
    }

    /// The SMTP server: `None` when the account has none (mail goes through
    /// the default provider), else its settings or why they cannot be used.
    #[must_use]
    pub fn smtp(&self) -> Option<Result<&SmtpSettings, &SettingsError>> {
        self.0.smtp.as_ref().map(Result::as_ref)
    }

    /// The IMAP server: `None` when the account has none, else its settings
    /// or why they cannot be used.
    #[must_use]
    pub fn imap(&self) -> Option<Result<&ImapSettings, &SettingsError>> {
        self.0.imap.as_ref().map(Result::as_ref)
    }

    /// Where copies go.
    #[must_use]
    pub fn sent_folder(&self) -> &SentFolder {
        &self.0.sent_folder
    }

    /// Whether copies of sent mail are filed (an IMAP server, and
    /// `copy_to_sent` not false).
    #[must_use]
    pub fn copy_to_sent(&self) -> bool {
        self.0.copy_to_sent
    }

    /// The provider whose SMTP server files a copy of what it sends itself,
    /// if the account's is one.
    #[must_use]
    pub fn provider_files_own_copy(&self) -> Option<&str> {
        self.0.files_own_copy.as_deref()
    }

    /// The provider's own name for its Sent folder, if the catalog knows
    /// the IMAP server.
    #[must_use]
    pub fn sent_folder_hint(&self) -> Option<&str> {
        self.0.sent_hint.as_deref()
    }

    /// Where the account's copies go, as the archive takes it.
    pub(crate) fn target(&self) -> Target {
        match &self.0.sent_folder {
            SentFolder::Named(folder) => Target::Folder(folder.clone()),
            SentFolder::Auto { create } => Target::Auto {
                provider_hint: self.0.sent_hint.clone(),
                create: *create,
            },
        }
    }

    /// Whose copies the account's are: the mailbox its IMAP settings
    /// reach (as written, when they have errors) and the sender.
    pub(crate) fn owner(&self, sender: &str) -> Owner {
        match self.imap() {
            Some(Ok(settings)) => Owner::new(settings, sender),
            _ => {
                let imap = self.0.account.settings().imap.as_ref();
                Owner {
                    host: imap.and_then(|i| i.host.clone()).unwrap_or_default(),
                    port: imap
                        .and_then(|i| i.port)
                        .and_then(|p| u16::try_from(p).ok())
                        .unwrap_or(0),
                    user: imap.and_then(|i| i.username.clone()).unwrap_or_default(),
                    sender: sender.to_string(),
                    digest: String::new(),
                }
            }
        }
    }
}
