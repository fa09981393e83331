//! The validation rules: each looks at an account's settings, with what the
//! catalog (and, when known, discovery) says of the providers involved, and
//! reports what is wrong and what to do, at the field concerned.
//!
//! One rule per file, in the style of ruff: the file's `//!` docs say what
//! it does, why it matters and give an example (`docs/rules.md` is generated
//! from them); its code is stable and never changes meaning; its messages
//! live in `locales/*.ftl` (Fluent), in every language.

mod i18n;

mod app_password_required;
mod custom_domain_sent_elsewhere;
mod default_provider_used;
mod host_unknown_to_provider;
mod invalid_address;
mod invalid_host;
mod invalid_port;
mod invalid_security;
mod missing_field;
mod oauth2_only;
mod password_not_available;
mod plaintext_connection;
mod port_differs_from_provider;
mod port_security_mismatch;
mod provider_files_sent_copy;
mod provider_needs_setup;
mod provider_unsupported;
mod relay_port_for_submission;
mod sender_differs_from_login;
mod sender_domain_not_served;
mod sent_folder_not_chosen;
mod sent_folder_will_be_created;
mod sent_on_behalf;
mod username_wrong_form;

use std::fmt;

use crate::account::{AccountSettings, Field, Lang, Protocol, ServerInput};
use crate::provider::Provider;
use crate::{EmailAddress, Security, normalize_domain};

pub use crate::i18n::Arg;
pub(crate) use i18n::render as render_message;
pub use i18n::{check_locales, severity_label, summary};

macro_rules! registry {
    ($($variant:ident => $code:literal, $module:ident;)*) => {
        /// Every rule, with its stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        #[allow(missing_docs)] // each rule's docs are in its file and in docs/rules.md
        pub enum Rule {
            $($variant,)*
        }

        impl Rule {
            /// Every rule, in code order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The stable code (`SE001`). Codes never change meaning.
            #[must_use]
            pub fn code(self) -> &'static str {
                match self {
                    $(Rule::$variant => $code,)*
                }
            }

            /// The rule's name, which says what it flags (`sender-differs-from-login`).
            #[must_use]
            pub fn name(self) -> &'static str {
                match self {
                    $(Rule::$variant => $module::NAME,)*
                }
            }

            /// The file that holds the rule and its docs, under `src/rules/`.
            #[must_use]
            pub fn file(self) -> &'static str {
                match self {
                    $(Rule::$variant => concat!(stringify!($module), ".rs"),)*
                }
            }

            /// The rule with this code.
            #[must_use]
            pub fn from_code(code: &str) -> Option<Rule> {
                Rule::ALL.iter().copied().find(|r| r.code() == code)
            }

            fn run(self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
                match self {
                    $(Rule::$variant => $module::check(ctx, out),)*
                }
            }
        }
    };
}

registry! {
    SenderDiffersFromLogin => "SE001", sender_differs_from_login;
    SenderDomainNotServed => "SE002", sender_domain_not_served;
    CustomDomainSentElsewhere => "SE003", custom_domain_sent_elsewhere;
    HostUnknownToProvider => "PR001", host_unknown_to_provider;
    PortDiffersFromProvider => "PR002", port_differs_from_provider;
    PortSecurityMismatch => "TL001", port_security_mismatch;
    PlaintextConnection => "TL002", plaintext_connection;
    RelayPortForSubmission => "TL003", relay_port_for_submission;
    UsernameWrongForm => "LG001", username_wrong_form;
    AppPasswordRequired => "LG002", app_password_required;
    Oauth2Only => "LG003", oauth2_only;
    PasswordNotAvailable => "LG004", password_not_available;
    ProviderNeedsSetup => "PV001", provider_needs_setup;
    ProviderUnsupported => "PV002", provider_unsupported;
    ProviderFilesSentCopy => "AR001", provider_files_sent_copy;
    SentFolderNotChosen => "AR002", sent_folder_not_chosen;
    SentFolderWillBeCreated => "AR003", sent_folder_will_be_created;
    DefaultProviderUsed => "DF001", default_provider_used;
    SentOnBehalf => "DF002", sent_on_behalf;
    MissingField => "FD001", missing_field;
    InvalidAddress => "FD002", invalid_address;
    InvalidHost => "FD003", invalid_host;
    InvalidPort => "FD004", invalid_port;
    InvalidSecurity => "FD005", invalid_security;
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.name())
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Mail will not go out, or will be refused: fix it first.
    Error,
    /// Mail may go out but be refused, duplicated, or land in spam.
    Warning,
    /// Something the user should know or do.
    Hint,
}

impl Severity {
    /// `error`, `warning` or `hint`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Hint => "hint",
        }
    }
}

/// Whether a password was given for a server, as the caller found it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordState {
    /// Not looked at (for example, the settings have no `password_env`).
    #[default]
    Unknown,
    /// A password is at hand: the environment variable named by
    /// `password_env` holds one, or the application gave it directly.
    Present,
    /// The environment variable named by `password_env` is unset or empty.
    Missing(String),
    /// The login signs in with OAuth2 tokens: no password is needed.
    OAuth2,
}

/// What is known of the providers involved, beyond the settings themselves.
/// The catalog fills most of it (`courriel_presets::Catalog::facts`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Facts<'a> {
    /// The provider of the sender's mail domain (`yahoo.fr` → Yahoo).
    pub sender_provider: Option<&'a Provider>,
    /// The provider behind the sender domain's MX, found by discovery
    /// (`boulangerie-martin.fr` → OVH).
    pub sender_mx_provider: Option<&'a Provider>,
    /// The provider whose server is the SMTP host.
    pub smtp_provider: Option<&'a Provider>,
    /// The provider whose server is the IMAP host.
    pub imap_provider: Option<&'a Provider>,
    /// Whether the SMTP password is available.
    pub smtp_password: PasswordState,
    /// Whether the IMAP password is available.
    pub imap_password: PasswordState,
    /// Whether the chosen Sent folder was found on the server (online checks).
    pub sent_folder_found: Option<bool>,
    /// With `sent_folder = "auto"` and no Sent folder found, the folder
    /// that will be created on first filing (`None`: creation is off).
    pub sent_folder_to_create: Option<String>,
    /// The providers the application registered an OAuth2 client with.
    pub oauth2_clients: OAuth2Clients,
    /// Who mail through the application's default provider goes out as
    /// (`Mailer::sent_as`), when the application said.
    pub default_sender: Option<crate::dmarc::SentAs>,
}

/// Which providers the application can sign users in with: an application
/// registers its own OAuth2 client with each provider (none is shipped), so
/// whether "Sign in with Microsoft" is possible depends on the application.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuth2Clients {
    /// Not said: the settings are checked on their own (an account file).
    #[default]
    Unknown,
    /// The application has clients for these providers (catalog ids), and
    /// for no other: maybe none at all.
    Registered(Vec<String>),
}

impl OAuth2Clients {
    /// Whether the application has a client for the provider `id`; `None`
    /// when not said.
    #[must_use]
    pub fn for_provider(&self, id: &str) -> Option<bool> {
        match self {
            OAuth2Clients::Unknown => None,
            OAuth2Clients::Registered(ids) => Some(ids.iter().any(|i| i == id)),
        }
    }
}

impl<'a> Facts<'a> {
    /// The provider the sender's domain belongs to, by domain or by MX.
    #[must_use]
    pub fn sender_home(&self) -> Option<&'a Provider> {
        self.sender_provider.or(self.sender_mx_provider)
    }
}

/// One server's settings, checked field by field: `None` where the value
/// is missing or invalid (other rules report those).
#[derive(Debug, Clone)]
pub struct ServerView {
    /// Which server.
    pub protocol: Protocol,
    /// The host, normalised.
    pub host: Option<String>,
    /// The port, when in range.
    pub port: Option<u16>,
    /// The security mode, when a known value.
    pub security: Option<Security>,
    /// The username, when not empty.
    pub username: Option<String>,
    /// The settings as written.
    pub input: ServerInput,
}

impl ServerView {
    fn new(protocol: Protocol, input: &ServerInput) -> ServerView {
        let host = input.host.as_deref().and_then(|h| {
            let h = h.trim();
            // An IP address is a valid host too (a private server).
            if h.parse::<std::net::IpAddr>().is_ok() {
                return Some(h.to_string());
            }
            normalize_domain(h).ok().map(std::borrow::Cow::into_owned)
        });
        ServerView {
            protocol,
            host,
            port: input
                .port
                .and_then(|p| u16::try_from(p).ok())
                .filter(|p| *p != 0),
            security: match input.security.as_deref() {
                Some("implicit-tls") => Some(Security::ImplicitTls),
                Some("starttls") => Some(Security::Starttls),
                _ => None,
            },
            username: input.username.clone().filter(|u| !u.trim().is_empty()),
            input: input.clone(),
        }
    }

    /// The fields of this server.
    fn fields(&self) -> crate::account::ServerFields {
        self.protocol.fields()
    }
}

/// What every rule reads.
#[derive(Debug)]
pub struct Context<'a> {
    /// The settings as written.
    pub account: &'a AccountSettings,
    /// What is known of the providers.
    pub facts: &'a Facts<'a>,
    /// The sender, when given and valid.
    pub sender: Option<EmailAddress>,
    /// The SMTP server's settings, when the `[smtp]` table is there.
    pub smtp: Option<ServerView>,
    /// The IMAP server's settings, when the `[imap]` table is there.
    pub imap: Option<ServerView>,
}

impl Context<'_> {
    /// Both servers that are configured, with the provider known for each.
    /// A host the catalog does not index is still the sender's provider's
    /// when it is that provider's per-customer host filled with the
    /// sender's domain (`mail.{domain}` → `mail.boulangerie-dupont.fr`).
    fn servers(&self) -> impl Iterator<Item = (&ServerView, Option<&Provider>)> {
        let own = |view: &ServerView| {
            let home = self.facts.sender_home()?;
            let host = view.host.as_deref()?;
            servers_of(home, view.protocol)
                .iter()
                .any(|s| s.is_per_domain() && self.host_of(s) == host)
                .then_some(home)
        };
        let smtp = self
            .smtp
            .as_ref()
            .map(|s| (s, self.facts.smtp_provider.or_else(|| own(s))));
        let imap = self
            .imap
            .as_ref()
            .map(|s| (s, self.facts.imap_provider.or_else(|| own(s))));
        smtp.into_iter().chain(imap)
    }

    /// A provider's server's host for this sender: its per-customer host
    /// filled with the sender's domain (as written when there is no sender).
    fn host_of(&self, server: &crate::provider::Server) -> String {
        match &self.sender {
            Some(sender) => server.host_for(sender),
            None => server.host.clone(),
        }
    }

    /// The provider that will handle the account's mail: the SMTP server's,
    /// else the sender domain's.
    fn provider(&self) -> Option<&Provider> {
        self.facts.smtp_provider.or(self.facts.sender_home())
    }
}

/// What a rule found: which rule, how serious, which field, and the values
/// its message needs. Render it in a language with [`Diagnostic::message`]
/// and [`Diagnostic::help`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule that found it.
    pub rule: Rule,
    /// How serious it is.
    pub severity: Severity,
    /// The field concerned.
    pub field: Field,
    args: Vec<(&'static str, Arg)>,
}

impl Diagnostic {
    /// The server the diagnostic concerns; `None` for the account's own
    /// fields (the sender), which concern both.
    #[must_use]
    pub fn protocol(&self) -> Option<Protocol> {
        self.field.protocol()
    }

    /// Whether the diagnostic concerns `protocol`'s server: its fields, or
    /// the account's own.
    #[must_use]
    pub fn concerns(&self, protocol: Protocol) -> bool {
        self.protocol().is_none_or(|p| p == protocol)
    }

    pub(crate) fn new(rule: Rule, severity: Severity, field: Field) -> Diagnostic {
        Diagnostic {
            rule,
            severity,
            field,
            args: Vec::new(),
        }
    }

    pub(crate) fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Diagnostic {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    pub(crate) fn localized(mut self, name: &'static str, en: &str, fr: &str) -> Diagnostic {
        self.args.push((
            name,
            Arg::Localized {
                en: en.to_string(),
                fr: fr.to_string(),
            },
        ));
        self
    }

    /// The values the message is built from.
    #[must_use]
    pub fn args(&self) -> &[(&'static str, Arg)] {
        &self.args
    }

    /// The stable code of its rule.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.rule.code()
    }

    /// What is wrong, in `lang`.
    #[must_use]
    pub fn message(&self, lang: Lang) -> String {
        i18n::render(lang, self.code(), None, &self.args)
    }

    /// What to do, in `lang`.
    #[must_use]
    pub fn help(&self, lang: Lang) -> String {
        i18n::render(lang, self.code(), Some("help"), &self.args)
    }

    /// The diagnostic as a person reads it:
    /// `error[SE001] smtp.username: message` then `  help: ...`.
    #[must_use]
    pub fn render(&self, lang: Lang) -> String {
        // French typography puts a space before the colon.
        let colon = if lang == Lang::Fr { " :" } else { ":" };
        format!(
            "{}[{}] {}{colon} {}\n  {}{colon} {}",
            severity_label(lang, self.severity),
            self.code(),
            self.field,
            self.message(lang),
            i18n::help_label(lang),
            self.help(lang)
        )
    }
}

/// Runs every rule; diagnostics come in rule order.
#[must_use]
pub fn check(account: &AccountSettings, facts: &Facts<'_>) -> Vec<Diagnostic> {
    EVALUATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let ctx = Context {
        account,
        facts,
        sender: account
            .sender
            .as_deref()
            .and_then(|s| EmailAddress::parse(s).ok()),
        smtp: account
            .smtp
            .as_ref()
            .map(|s| ServerView::new(Protocol::Smtp, s)),
        imap: account
            .imap
            .as_ref()
            .map(|i| ServerView::new(Protocol::Imap, &i.server())),
    };
    let mut out = Vec::new();
    for rule in Rule::ALL {
        rule.run(&ctx, &mut out);
    }
    out
}

static EVALUATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many times [`check`] has run in this process: sending with resolved
/// accounts runs no rule, and a test (or a metric) can tell.
#[must_use]
pub fn evaluations() -> u64 {
    EVALUATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// `host:port (security)` for a provider's server, as shown in messages.
fn describe(ctx: &Context<'_>, server: &crate::provider::Server) -> String {
    format!(
        "{}:{} ({})",
        ctx.host_of(server),
        server.port,
        server.security
    )
}

/// The provider's first server for a protocol.
fn first_server(provider: &Provider, protocol: Protocol) -> Option<&crate::provider::Server> {
    match protocol {
        Protocol::Smtp => provider.smtp.first(),
        Protocol::Imap => provider.imap.first(),
    }
}

/// The provider's servers for a protocol.
fn servers_of(provider: &Provider, protocol: Protocol) -> &[crate::provider::Server] {
    match protocol {
        Protocol::Smtp => &provider.smtp,
        Protocol::Imap => &provider.imap,
    }
}

/// The provider's own hint in each language, or `none`.
fn hint_texts(provider: &Provider) -> (&str, &str) {
    provider
        .hint
        .as_ref()
        .map_or(("none", "none"), |h| (h.en.as_str(), h.fr.as_str()))
}
