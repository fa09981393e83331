//! The `courriel` command-line tool: one interface over the library's
//! [`Mailer`](courriel::Mailer) — look settings up, check an account, send
//! as its user with a copy in their Sent folder, and file the copies that
//! had to wait. Its argument parsing, text and JSON output, progress bar
//! and logs live in this crate: the library knows none of them.

mod auth;
mod check;
mod diagnostics;
mod folders;
mod i18n;
mod lookup;
mod progress;
mod send;
mod spool;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use std::sync::Arc;

use courriel::dmarc::{OnBehalf, OnBehalfWhen};
use courriel::{Account, AccountSettings, EmailAddress, Mailer};
use courriel_archive::{Backoff, Spool, SpoolOptions};
use courriel_core::account::Lang;
use courriel_presets::{Catalog, CatalogError};
use courriel_transport::{DefaultProvider, SendGridSettings};
use std::time::Duration;

use crate::i18n::msg;

/// Exit code: the command did what was asked.
const EXIT_OK: u8 = 0;
/// Exit code: the command ran, and the answer is "not found", "not OK",
/// "not sent" or "partly done".
const EXIT_NOT_FOUND: u8 = 1;
/// Exit code: the command line or its input is wrong.
const EXIT_USAGE: u8 = 2;
/// Exit code: a provider file given with --providers is invalid.
const EXIT_CONFIG: u8 = 3;

/// The heading of the options every verb takes.
const GLOBAL: &str = "Options of every verb";

/// Examples, the exit codes and the language, shown at the end of `--help`.
const AFTER_HELP: &str = "\
Examples:
  courriel lookup isabelle.martin@yahoo.fr
  courriel check --config account.toml
  courriel send --config account.toml --to client@example.org --subject \"Facture F-42\" --text body.txt
  courriel spool status
  courriel spool retry

Exit codes:
  0  done: found (lookup), no error (check), sent to every recipient (send),
     nothing left waiting (spool retry)
  1  not found (lookup: no provider for the address); not OK (check: an error
     in the settings or a server failed; folders: no Sent folder); not sent
     or partly sent (send: some recipients refused, or some messages of
     --to-list failed); copies still waiting or failed (spool retry)
  2  usage error: invalid arguments, address, account file or address list;
     settings too wrong to connect; a spool that cannot be opened
  3  invalid provider file given with --providers

Once a message is sent, the exit code no longer depends on its Sent copy
(sending again would send twice): the receipt says where the copy went.

Language: --lang, else LC_ALL, LC_MESSAGES or LANG (French when it starts with fr).
Logs: COURRIEL_LOG=info (or debug...) logs to standard error.
Spool: --spool, else COURRIEL_SPOOL, else $XDG_STATE_HOME/courriel/spool,
else ~/.local/state/courriel/spool.";

#[derive(Parser)]
#[command(
    name = "courriel",
    version,
    about = "Send mail as your users: their own SMTP server, settings from a provider catalog, a copy in their Sent folder.",
    after_help = AFTER_HELP,
)]
struct Cli {
    /// Also load provider files (*.ron) from this directory.
    #[arg(long, global = true, value_name = "DIR", help_heading = GLOBAL)]
    providers: Option<PathBuf>,

    #[arg(
        long,
        global = true,
        value_name = "SPOOL",
        help_heading = GLOBAL,
        help = "Where copies for the Sent folder wait until filed (send, spool, check, folders): a directory (DIR or dir:DIR) or a PostgreSQL database shared by many workers (postgres://user:password@host/db, with the `postgres` feature) [default: $COURRIEL_SPOOL, else $XDG_STATE_HOME/courriel/spool, else ~/.local/state/courriel/spool]"
    )]
    spool: Option<String>,

    #[arg(
        long,
        global = true,
        value_name = "LANG",
        help_heading = GLOBAL,
        help = "Language of messages and errors: en or fr [default: from LC_ALL, LC_MESSAGES or LANG]"
    )]
    lang: Option<Lang>,

    /// Print JSON on standard output instead of text (no progress bar).
    #[arg(long, global = true, help_heading = GLOBAL)]
    json: bool,

    #[arg(
        long,
        global = true,
        value_name = "DIR",
        help_heading = GLOBAL,
        help = "Where OAuth2 sign-ins are kept (auth, and every verb for accounts with [oauth2]): a directory of private files, or a PostgreSQL database (postgres://user@host/db, built with the feature `postgres`) shared by many machines [default: $COURRIEL_TOKENS, else $XDG_STATE_HOME/courriel/tokens, else ~/.local/state/courriel/tokens]"
    )]
    tokens: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum AuthCommand {
    /// Sign an account in with OAuth2 (its file's [oauth2]): the provider's
    /// page opens in the browser, and the tokens are kept and renewed.
    Login {
        /// The account file (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Sign in on another device with a code (the provider's device flow).
        #[arg(long)]
        device: bool,
        /// Print the sign-in address instead of opening the browser.
        #[arg(long)]
        no_browser: bool,
        /// How long to wait for the browser's answer.
        #[arg(long, value_name = "SECS", value_parser = seconds, default_value_t = 300.0)]
        wait: f64,
    },
    /// Whose OAuth2 tokens are kept for an account, and until when.
    Status {
        /// The account file (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Forget an account's OAuth2 tokens.
    Logout {
        /// The account file (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Sign accounts in with OAuth2 (Microsoft, Google, Yahoo...).
    Auth {
        #[command(subcommand)]
        command: AuthCommand,
    },
    /// Fill in the SMTP and IMAP settings of an address from the catalog.
    #[command(after_help = "\
Examples:
  courriel lookup isabelle.martin@yahoo.fr
  courriel lookup jean.dupont@free.fr --json | jq .smtp
  courriel lookup contact@boulangerie-martin.fr --mx mx1.mail.ovh.net
  courriel lookup contact@boulangerie-martin.fr --discover --json")]
    Lookup {
        /// The mail address, e.g. isabelle.martin@yahoo.fr.
        address: String,
        /// The MX host of the address's domain, when already known: custom
        /// domains at a hoster (OVH, IONOS, Google Workspace…) are found by it.
        #[arg(long, value_name = "HOST")]
        mx: Option<String>,
        /// When the catalog does not know the domain, look further: its MX
        /// host, its autoconfig file, SRV records, then probing usual names
        /// over TLS (all at once, within 10 s). Results not vouched for are
        /// marked untrusted.
        #[arg(long)]
        discover: bool,
        /// The DNS server discovery asks (default: the system's).
        #[arg(long, value_name = "IP:PORT", requires = "discover")]
        dns: Option<std::net::SocketAddr>,
        /// Extra CA certificates (PEM) discovery trusts.
        #[arg(long, value_name = "FILE", requires = "discover")]
        ca_file: Option<PathBuf>,
        /// Also read autoconfig files over plain http (anyone on the path
        /// can change them: such results are untrusted; your address is
        /// never sent over http).
        #[arg(long, requires = "discover")]
        dangerous_plain_http: bool,
    },
    /// List the providers of the catalog.
    #[command(after_help = "\
Examples:
  courriel providers
  courriel providers --json | jq '.[] | select(.id == \"gmail\")'")]
    Providers,
    /// Check an account: the rules, then its SMTP and IMAP servers at once
    /// (connection, TLS, login; the folders and the Sent folder chosen).
    #[command(after_help = "\
Examples:
  courriel check --config account.toml
  courriel check --config account.toml --lang fr --json
  courriel check --offline --config account.toml --mx mx1.mail.ovh.net

The account file (TOML) holds `sender`, and tables [smtp] and [imap] with
host, port, security (\"implicit-tls\" or \"starttls\"), username and
password_env (the name of the environment variable holding the password);
[imap] also takes sent_folder (a name, or \"auto\"), copy_to_sent and
create_sent_folder (with \"auto\", whether a missing Sent folder is created).
See the README for an example.")]
    Check {
        /// The account file (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Only the rules, without connecting to the servers.
        #[arg(long)]
        offline: bool,
        /// The MX host of the sender's domain, when known, to check custom domains.
        #[arg(long, value_name = "HOST")]
        mx: Option<String>,
    },
    /// List an account's IMAP folders and the Sent folder chosen, with why.
    #[command(after_help = "\
Examples:
  courriel folders --config account.toml
  courriel folders --config account.toml --refresh --json

The list is cached per connection settings; --refresh lists again.")]
    Folders {
        /// The account file (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// List on the server even if the settings have not changed.
        #[arg(long)]
        refresh: bool,
    },
    /// Send a message as the account's user, through its SMTP server (or the
    /// default provider, SendGrid, when it has none), and file a copy in its
    /// Sent folder.
    #[command(after_help = "\
Examples:
  courriel send --config account.toml --to client@example.org --subject \"Facture F-42\" --text body.txt --attach F-42.pdf
  courriel send --config account.toml --to a@example.org --bcc b@example.org --subject Hi --html body.html --json
  courriel send --config account.toml --to-list clients.txt --subject \"Nouveaux horaires\" --text body.txt

The receipt says how the message went out, which recipients were refused,
and what became of the Sent copy: filed (in which folder), spooled (why; filed
later by `courriel spool retry`), or not filed (the provider files its own,
no [imap], copy_to_sent = false).

--to-list FILE sends one separate message to each address of FILE (one per
line; blank lines and lines starting with # are skipped), reusing connections.

Without [smtp] in the account, the default provider sends: named by the DSN in
COURRIEL_DEFAULT_DSN (sendgrid+api://KEY@default?region=eu, brevo+smtp://,
mailjet+smtp://, mailgun+smtp://, ses+smtp://, postmark+smtp://, smtp://USER:KEY@host:587),
else SendGrid's API with the key in COURRIEL_SENDGRID_API_KEY. With
COURRIEL_APP_ADDRESS (and COURRIEL_APP_NAME, COURRIEL_APP_DOMAINS,
COURRIEL_ON_BEHALF = always | dmarc-enforces | never), mail from a domain whose
DMARC policy would refuse it there goes out as Name via App <app address>,
replies to the user.
Exit code 1 when a message was not sent, or some recipients were refused.")]
    Send {
        /// The account file (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// A recipient (repeatable).
        #[arg(
            long,
            value_name = "ADDR",
            required_unless_present = "to_list",
            conflicts_with = "to_list"
        )]
        to: Vec<String>,
        /// A file of addresses, one per line: each gets its own message.
        #[arg(long, value_name = "FILE")]
        to_list: Option<PathBuf>,
        /// A Cc recipient (repeatable).
        #[arg(long, value_name = "ADDR")]
        cc: Vec<String>,
        /// A Bcc recipient (repeatable): receives it, is not shown to the others.
        #[arg(long, value_name = "ADDR")]
        bcc: Vec<String>,
        /// The subject.
        #[arg(long)]
        subject: String,
        /// A file holding the plain-text body.
        #[arg(long, value_name = "FILE", required_unless_present = "html")]
        text: Option<PathBuf>,
        /// A file holding the HTML body.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// A file to attach (repeatable).
        #[arg(long, value_name = "FILE")]
        attach: Vec<PathBuf>,
    },
    /// The spool: copies for the Sent folder that could not be filed yet.
    #[command(after_help = "\
Examples:
  courriel spool status
  courriel spool retry
  courriel spool work
  courriel --spool /var/lib/app/courriel-spool spool status --json
  courriel --spool postgres://courriel@db.internal/app spool status")]
    Spool {
        #[command(subcommand)]
        command: SpoolCommand,
    },
}

#[derive(Subcommand)]
enum SpoolCommand {
    /// List the spooled copies per account: pending or failed, attempts,
    /// last error, next attempt.
    #[command(after_help = "\
Examples:
  courriel spool status
  courriel spool status --json | jq '.entries[] | select(.state == \"failed\")'")]
    Status,
    /// File every copy that is due, each with its account (its file is read
    /// again from the path the copy was sent with); a copy already in the
    /// folder is not filed twice.
    #[command(after_help = "\
Examples:
  courriel spool retry
  courriel spool retry --now --json
  courriel spool retry --failed     # once the missing folder or the quota is fixed

Without --now, only the copies whose next attempt has come are tried (a
failed attempt waits 30 s, then 1 min, 2 min... up to 6 h), so it can run
from cron. Exit code 1 when copies are still waiting or failed: `courriel
spool status` says which and why.")]
    Retry {
        /// Try every pending copy now, even those whose next attempt has
        /// not come (when you know the server is back).
        #[arg(long)]
        now: bool,
        /// Also put copies marked failed (folder gone, quota) back in the
        /// queue and try them now, once the cause is fixed.
        #[arg(long)]
        failed: bool,
    },
    /// Keep filing copies as they come due, until stopped: a worker. Any
    /// number of workers, on any number of machines, can share one
    /// PostgreSQL spool (or processes of one machine a directory): each
    /// copy is claimed by one of them and filed once.
    #[command(after_help = "\
Examples:
  courriel --spool postgres://courriel@db.internal/app spool work
  courriel --spool /var/lib/app/courriel-spool spool work --until-empty --json

Prints one line per pass that handled copies (with --json, one JSON object
per line). A worker killed while
filing lets its copies go: at once for a directory (its locks die with it),
after --lease for PostgreSQL; whoever takes them over looks for each in the
folder before filing it. Stops on SIGINT or SIGTERM after the pass under
way.")]
    Work {
        /// Stop once the spool is empty (no copy pending, failed or claimed).
        #[arg(long)]
        until_empty: bool,
        /// Seconds between looks at the spool when nothing is due.
        #[arg(long, value_name = "SECS", value_parser = seconds, default_value_t = 5.0)]
        poll: f64,
        /// Seconds a claim on a copy lasts (PostgreSQL): longer than one
        /// filing can take with the accounts' IMAP timeouts.
        #[arg(long, value_name = "SECS", value_parser = seconds, default_value_t = 300.0)]
        lease: f64,
        /// Seconds before the first retry of a copy that could not be
        /// filed; doubled at each failure...
        #[arg(long, value_name = "SECS", value_parser = seconds, default_value_t = 30.0)]
        retry_base: f64,
        /// ...up to this many seconds.
        #[arg(long, value_name = "SECS", value_parser = seconds, default_value_t = 21600.0)]
        retry_max: f64,
        /// Copies claimed at a time: workers sharing a spool each take a
        /// batch.
        #[arg(long, value_name = "N", default_value_t = 200)]
        batch: usize,
        /// Seconds an IMAP command may take (connecting, TLS and the
        /// greeting get at most 10 of them): a server that died without
        /// closing its connections holds a worker this long. The lease
        /// must be more than 1.5 times this.
        #[arg(long, value_name = "SECS", value_parser = seconds, default_value_t = 30.0)]
        imap_timeout: f64,
    },
}

/// Logs to standard error at the level `COURRIEL_LOG` names (`error`,
/// `warn`, `info`, `debug`, `trace`), for a worker run as a service;
/// nothing when unset. Passwords never appear: settings log redacted.
fn init_logging() {
    let Ok(level) = std::env::var("COURRIEL_LOG") else {
        return;
    };
    let Ok(level) = level.trim().parse::<tracing::Level>() else {
        eprintln!("courriel: COURRIEL_LOG={level}: give error, warn, info, debug or trace");
        return;
    };
    let _ = tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .finish(),
    );
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let lang = cli.lang.unwrap_or_else(env_lang);
    let catalog = match load_catalog(cli.providers.as_deref()) {
        Ok(catalog) => catalog,
        Err(e) => {
            eprintln!("courriel: {}\n{e}", msg!(lang, "providers-invalid"));
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let json = cli.json;
    let spool = || spool_spec(cli.spool.clone(), lang);
    let tokens = cli.tokens.clone();
    let _ = TOKENS.set(tokens.clone());
    let code = match cli.command {
        Command::Auth { command } => auth_command(&catalog, command, tokens.as_deref(), json, lang),
        Command::Lookup {
            address,
            mx,
            discover,
            dns,
            ca_file,
            dangerous_plain_http,
        } => lookup::lookup(
            &catalog,
            &address,
            mx.as_deref(),
            discover
                .then_some(lookup::DiscoverOptions {
                    dns,
                    ca_file,
                    plain_http: dangerous_plain_http,
                })
                .as_ref(),
            json,
            lang,
        ),
        Command::Providers => lookup::providers(&catalog, json),
        Command::Check {
            config,
            offline,
            mx,
        } => check::check(
            &catalog,
            &check::Options {
                config: &config,
                offline,
                mx: mx.as_deref(),
                lang,
                json,
            },
            spool,
        ),
        Command::Folders { config, refresh } => {
            folders::folders(&catalog, &config, refresh, json, lang, cli.spool.as_deref())
        }
        Command::Send {
            config,
            to,
            to_list,
            cc,
            bcc,
            subject,
            text,
            html,
            attach,
        } => match spool() {
            Err(code) => code,
            Ok(spool) => send::run(
                &catalog,
                &spool,
                &send::Options {
                    config,
                    to,
                    to_list,
                    cc,
                    bcc,
                    subject,
                    text,
                    html,
                    attach,
                    json,
                    lang,
                },
            ),
        },
        Command::Spool { command } => match spool() {
            Err(code) => code,
            Ok(spec) => spool_command(&catalog, &spec, &command, json, lang),
        },
    };
    ExitCode::from(code)
}

/// `courriel auth ...`.
fn auth_command(
    catalog: &Catalog,
    command: AuthCommand,
    tokens: Option<&str>,
    json: bool,
    lang: Lang,
) -> u8 {
    match command {
        AuthCommand::Login {
            config,
            device,
            no_browser,
            wait,
        } => auth::login(
            catalog,
            &config,
            tokens,
            &auth::LoginOptions {
                device,
                no_browser,
                wait: Duration::from_secs_f64(wait),
            },
            json,
            lang,
        ),
        AuthCommand::Status { config } => auth::status(catalog, &config, tokens, json, lang),
        AuthCommand::Logout { config } => auth::logout(catalog, &config, tokens, lang),
    }
}

/// A number of seconds: not negative, finite, at most a day.
fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && (0.0..=86_400.0).contains(&secs) => Ok(secs),
        _ => Err("give seconds between 0 and 86400, such as 5 or 0.5".into()),
    }
}

/// `courriel spool ...` on the spool `spec`.
fn spool_command(
    catalog: &Catalog,
    spec: &str,
    command: &SpoolCommand,
    json: bool,
    lang: Lang,
) -> u8 {
    match *command {
        SpoolCommand::Status => spool::status(spec, json, lang),
        SpoolCommand::Retry { now, failed } => spool::retry(catalog, spec, now, failed, json, lang),
        SpoolCommand::Work {
            until_empty,
            poll,
            lease,
            retry_base,
            retry_max,
            batch,
            imap_timeout,
        } => spool::work(
            catalog,
            spec,
            &spool::WorkOptions {
                until_empty,
                batch,
                imap_timeout: Duration::from_secs_f64(imap_timeout),
                poll: Duration::from_secs_f64(poll),
                options: SpoolOptions::default()
                    .lease(Duration::from_secs_f64(lease))
                    .backoff(Backoff {
                        base: Duration::from_secs_f64(retry_base),
                        max: Duration::from_secs_f64(retry_max.max(retry_base)),
                    }),
            },
            json,
            lang,
        ),
    }
}

/// User input as echoed in a message: cut to its first 80 characters and
/// an ellipsis, so a huge line cannot flood the terminal; control
/// characters shown escaped.
fn echo(input: &str) -> String {
    const SHOWN: usize = 80;
    let mut shown = String::new();
    for (i, c) in input.chars().enumerate() {
        if i == SHOWN {
            shown.push('…');
            break;
        }
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// The language from the environment: `LC_ALL`, `LC_MESSAGES`, then `LANG`.
fn env_lang() -> Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .map_or(Lang::En, |v| Lang::from_locale(&v))
}

/// The spool: `--spool`, else `COURRIEL_SPOOL`, else
/// `$XDG_STATE_HOME/courriel/spool`, else `~/.local/state/courriel/spool`.
fn spool_spec(given: Option<String>, lang: Lang) -> Result<String, u8> {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let dir = |d: PathBuf| d.display().to_string();
    given
        .or_else(|| set("COURRIEL_SPOOL"))
        .or_else(|| set("XDG_STATE_HOME").map(|d| dir(PathBuf::from(d).join("courriel/spool"))))
        .or_else(|| set("HOME").map(|h| dir(PathBuf::from(h).join(".local/state/courriel/spool"))))
        .ok_or_else(|| {
            eprintln!("courriel: {}", msg!(lang, "no-spool"));
            EXIT_USAGE
        })
}

/// The token store given with `--tokens`, for every verb.
static TOKENS: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Reads an account file, with its passwords from the environment, or its
/// OAuth2 sign-in from the token store. The account's key is the file's
/// absolute path, so that a copy spooled now can be filed by `courriel
/// spool retry` run from anywhere.
fn load_account(path: &Path, catalog: &Catalog) -> Result<Account, u8> {
    let loaded = courriel::account::load(path)
        .map_err(|e| e.to_string())
        .and_then(|settings| {
            let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            account_from(&key.display().to_string(), settings, catalog)
        });
    loaded.map_err(|e| {
        eprintln!("courriel: {e}");
        EXIT_USAGE
    })
}

/// The account of `settings` under `id`: passwords from the environment,
/// or, with `[oauth2]`, tokens from the store.
fn account_from(id: &str, settings: AccountSettings, catalog: &Catalog) -> Result<Account, String> {
    let tokens = TOKENS.get().cloned().flatten();
    let setup = auth::setup(&settings, catalog, tokens.as_deref())?;
    let account = Account::from_env(id, settings);
    Ok(match setup {
        None => account,
        Some(setup) => account.with_oauth2(Arc::new(courriel::oauth2::StoredTokens::new(
            setup.sign_in,
            setup.store,
            &setup.user,
        ))),
    })
}

/// The environment variable `name`'s value, unless it is unset or blank.
fn set(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The default provider from the environment: `COURRIEL_DEFAULT_DSN` (any
/// provider [`DefaultProvider::from_dsn`] knows), else
/// `COURRIEL_SENDGRID_API_KEY` (SendGrid's API), and for a local test
/// server `COURRIEL_SENDGRID_DANGEROUS_PLAIN_HTTP_URL` (the key then
/// travels unencrypted: tests only). A bad DSN is an error naming its
/// wrong part, never the key.
fn default_provider() -> Result<Option<DefaultProvider>, String> {
    if let Some(dsn) = set("COURRIEL_DEFAULT_DSN") {
        return DefaultProvider::from_dsn(dsn.trim())
            .map(Some)
            .map_err(|e| format!("COURRIEL_DEFAULT_DSN: {e}"));
    }
    let Some(key) = set("COURRIEL_SENDGRID_API_KEY") else {
        return Ok(None);
    };
    let settings = SendGridSettings::new(key);
    Ok(Some(DefaultProvider::from(
        match set("COURRIEL_SENDGRID_DANGEROUS_PLAIN_HTTP_URL") {
            Some(url) => settings.dangerous_plain_http_base_url(&url),
            None => settings,
        },
    )))
}

/// The application's identity for sending on users' behalf through the
/// default provider, from the environment: `COURRIEL_APP_ADDRESS` (unset:
/// none, mail always goes under the user's address), `COURRIEL_APP_NAME`
/// (default `courriel`), `COURRIEL_APP_DOMAINS` (the domains authenticated
/// with the provider, comma-separated; default the address's domain),
/// `COURRIEL_ON_BEHALF` (`always`, `dmarc-enforces`, the default, or
/// `never`), and `COURRIEL_DMARC_NAME_SERVER` (`host:port`; default the
/// system's).
fn on_behalf() -> Result<Option<(OnBehalf, Option<std::net::SocketAddr>)>, String> {
    let Some(address) = set("COURRIEL_APP_ADDRESS") else {
        return Ok(None);
    };
    let address =
        EmailAddress::parse(address.trim()).map_err(|e| format!("COURRIEL_APP_ADDRESS: {e}"))?;
    let domains = match set("COURRIEL_APP_DOMAINS") {
        None => vec![address.domain().clone()],
        Some(list) => list
            .split(',')
            .map(|d| {
                courriel_core::Domain::parse(d.trim())
                    .map_err(|e| format!("COURRIEL_APP_DOMAINS: `{}`: {e}", d.trim()))
            })
            .collect::<Result<_, _>>()?,
    };
    let name = set("COURRIEL_APP_NAME").unwrap_or_else(|| "courriel".into());
    let when = match set("COURRIEL_ON_BEHALF") {
        None => OnBehalfWhen::default(),
        Some(w) => w
            .trim()
            .parse()
            .map_err(|e| format!("COURRIEL_ON_BEHALF: {e}"))?,
    };
    let identity = OnBehalf::new(&name, address, domains)
        .map_err(|e| format!("COURRIEL_APP_ADDRESS: {e}"))?
        .when(when);
    let server = match set("COURRIEL_DMARC_NAME_SERVER") {
        None => None,
        Some(s) => Some(s.trim().parse().map_err(|_| {
            format!("COURRIEL_DMARC_NAME_SERVER: `{s}` is not host:port, e.g. 127.0.0.1:53")
        })?),
    };
    Ok(Some((identity, server)))
}

/// Opens the spool named by `spec` (a directory or a PostgreSQL URL); says
/// why not in the user's language.
fn open_spool(spec: &str, options: &SpoolOptions, lang: Lang) -> Result<Spool, u8> {
    block_on(Spool::open_with(spec, options)).map_err(|e| {
        // The error names the spool without its password.
        eprintln!(
            "courriel: {}",
            msg!(lang, "spool-cannot-open", error = e.to_string())
        );
        EXIT_USAGE
    })
}

/// The folder cache that goes with a spool: its database's when it has
/// one (PostgreSQL), else the user's cache directory.
fn folder_cache(spool: &Spool) -> courriel_archive::FolderCache {
    spool
        .folder_cache()
        .unwrap_or_else(|| courriel_archive::FolderCache::in_dir(folders::cache_dir()))
}

/// The mailer every verb that sends, checks or files goes through: this
/// catalog, the default provider from the environment, copies spooled in
/// the spool `spec` names.
fn mailer(catalog: &Catalog, spec: &str, lang: Lang) -> Result<Mailer, u8> {
    mailer_with(catalog, spec, &SpoolOptions::default(), lang, |b| b)
}

/// [`mailer`] with spool options, and `tune` applied to the builder.
fn mailer_with(
    catalog: &Catalog,
    spec: &str,
    options: &SpoolOptions,
    lang: Lang,
    tune: impl FnOnce(courriel::MailerBuilder) -> courriel::MailerBuilder,
) -> Result<Mailer, u8> {
    let spool = open_spool(spec, options, lang)?;
    // Checking lists folders afresh and refreshes the cache `folders` reads.
    // The tool's account ids are the account files' paths: they stay on
    // this machine (it reads no delivery events).
    let mut builder = tune(
        Mailer::with_spool(spool.clone())
            .catalog(catalog.clone())
            .folder_cache(folder_cache(&spool))
            .account_ids_to_provider(false),
    );
    let configured = default_provider().and_then(|d| Ok((d, on_behalf()?)));
    let (default, on_behalf) = configured.map_err(|e| {
        eprintln!("courriel: {e}");
        EXIT_USAGE
    })?;
    if let Some(default) = default {
        builder = builder.default_provider(default);
    }
    if let Some((identity, server)) = on_behalf {
        builder = builder.on_behalf(identity);
        if let Some(server) = server {
            builder = builder.dmarc_name_server(server);
        }
    }
    builder.build().map_err(|e| {
        eprintln!(
            "courriel: {}",
            msg!(
                lang,
                "spool-cannot-open-at",
                location = spool.location(),
                error = e.to_string()
            )
        );
        EXIT_USAGE
    })
}

/// Writes to standard output; a closed pipe (`courriel providers | head`)
/// ends the output quietly instead of panicking.
fn emit(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("courriel: cannot write the output: {e}");
    }
}

/// Writes `value` pretty-printed, then a new line.
fn emit_json(value: &serde_json::Value) {
    emit(&format!(
        "{}\n",
        serde_json::to_string_pretty(value).expect("JSON of plain data")
    ));
}

/// Runs `future` on a single-threaded runtime: the tool's concurrency (both
/// servers checked at once, a few sends in flight) needs no more.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

enum Loaded {
    Static(&'static Catalog),
    Owned(Box<Catalog>),
}

impl std::ops::Deref for Loaded {
    type Target = Catalog;
    fn deref(&self) -> &Catalog {
        match self {
            Loaded::Static(c) => c,
            Loaded::Owned(c) => c,
        }
    }
}

fn load_catalog(dir: Option<&std::path::Path>) -> Result<Loaded, CatalogError> {
    match dir {
        None => Catalog::with_registered()
            .map(Loaded::Static)
            .map_err(Clone::clone),
        Some(dir) => Catalog::builder()
            .builtin()
            .registered()
            .add_dir(dir)
            .build()
            .map(|c| Loaded::Owned(Box::new(c))),
    }
}
