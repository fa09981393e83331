//! The `courriel` command-line tool.

mod check;
mod folders;
mod lookup;
mod send;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use courriel_presets::{Catalog, CatalogError};

/// Exit code: the command did what was asked.
const EXIT_OK: u8 = 0;
/// Exit code: the command ran, and the answer is "not found" or "not OK".
const EXIT_NOT_FOUND: u8 = 1;
/// Exit code: the command line or its input is wrong.
const EXIT_USAGE: u8 = 2;
/// Exit code: a provider file given with --providers is invalid.
const EXIT_CONFIG: u8 = 3;

#[derive(Parser)]
#[command(
    name = "courriel",
    version,
    about = "Find and check the mail settings of your users' addresses.",
    after_help = "\
Exit codes:
  0  done (check: no error found)
  1  not found (lookup: no provider for the address), or check found an error
  2  usage error (invalid arguments, address or account file)
  3  invalid provider file given with --providers

Language: --lang, else LC_ALL, LC_MESSAGES or LANG (French when it starts with fr)."
)]
struct Cli {
    /// Also load provider files (*.ron) from this directory.
    #[arg(long, global = true, value_name = "DIR")]
    providers: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fill in the SMTP and IMAP settings of an address from the catalog.
    #[command(after_help = "\
Examples:
  courriel lookup isabelle.martin@yahoo.fr
  courriel lookup jean.dupont@free.fr --json | jq .smtp
  courriel lookup contact@boulangerie-martin.fr --mx mx1.mail.ovh.net")]
    Lookup {
        /// The mail address, e.g. isabelle.martin@yahoo.fr.
        address: String,
        /// The MX host of the address's domain, when already known: custom
        /// domains at a hoster (OVH, IONOS, Google Workspace…) are found by it.
        #[arg(long, value_name = "HOST")]
        mx: Option<String>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check an account file's settings against the validation rules.
    #[command(after_help = "\
Examples:
  courriel check --config account.toml
  courriel check --offline --config account.toml --lang fr --json
  courriel check --offline --config account.toml --mx mx1.mail.ovh.net

The account file (TOML) holds `sender`, and tables [smtp] and [imap] with
host, port, security (\"implicit-tls\" or \"starttls\"), username and
password_env (the name of the environment variable holding the password);
[imap] also takes sent_folder (a name, or \"auto\") and copy_to_sent.
See the README for an example.")]
    Check {
        /// The account file (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Only the rules, without connecting to the servers (by default the
        /// IMAP server is checked too: connection, login, Sent folder).
        #[arg(long)]
        offline: bool,
        /// The MX host of the sender's domain, when known, to check custom domains.
        #[arg(long, value_name = "HOST")]
        mx: Option<String>,
        /// Language of the messages: en or fr.
        #[arg(long, value_name = "LANG")]
        lang: Option<courriel_core::account::Lang>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
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
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Language of the messages: en or fr.
        #[arg(long, value_name = "LANG")]
        lang: Option<courriel_core::account::Lang>,
    },
    /// Send one message through the account's SMTP server, or the default
    /// provider (SendGrid, its API key from the environment) when it has none.
    #[command(after_help = "\
Examples:
  courriel send --config account.toml --to client@example.org --subject \"Facture F-42\" --text body.txt --attach F-42.pdf
  courriel send --config account.toml --to a@example.org --bcc b@example.org --subject Hi --html body.html --json

Without [smtp] in the account, the default provider sends: its API key is
read from COURRIEL_SENDGRID_API_KEY.
Exit code 1 when the message was not sent, or some recipients were refused.")]
    Send {
        /// The account file (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// A recipient (repeatable).
        #[arg(long, value_name = "ADDR", required = true)]
        to: Vec<String>,
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
        /// Print the receipt as JSON.
        #[arg(long)]
        json: bool,
        /// Language of the messages: en or fr.
        #[arg(long, value_name = "LANG")]
        lang: Option<courriel_core::account::Lang>,
    },
    /// List the providers of the catalog.
    #[command(after_help = "\
Examples:
  courriel providers
  courriel providers --json | jq '.[] | select(.id == \"gmail\")'")]
    Providers {
        /// Print a JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let catalog = match load_catalog(cli.providers.as_deref()) {
        Ok(catalog) => catalog,
        Err(e) => {
            eprintln!("courriel: the provider files are invalid:\n{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let code = match cli.command {
        Command::Lookup { address, mx, json } => {
            lookup::lookup(&catalog, &address, mx.as_deref(), json)
        }
        Command::Providers { json } => lookup::providers(&catalog, json),
        Command::Send {
            config,
            to,
            cc,
            bcc,
            subject,
            text,
            html,
            attach,
            json,
            lang,
        } => send::run(
            &catalog,
            &send::Options {
                config,
                to,
                cc,
                bcc,
                subject,
                text,
                html,
                attach,
                json,
                lang: lang.unwrap_or_else(env_lang),
            },
        ),
        Command::Folders {
            config,
            refresh,
            json,
            lang,
        } => folders::folders(
            &catalog,
            &config,
            refresh,
            json,
            lang.unwrap_or_else(env_lang),
        ),
        Command::Check {
            config,
            offline,
            mx,
            lang,
            json,
        } => check::check(
            &catalog,
            &check::Options {
                config: &config,
                offline,
                mx: mx.as_deref(),
                lang: lang.unwrap_or_else(env_lang),
                json,
            },
        ),
    };
    ExitCode::from(code)
}

/// The language from the environment: `LC_ALL`, `LC_MESSAGES`, then `LANG`.
fn env_lang() -> courriel_core::account::Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .map_or(courriel_core::account::Lang::En, |v| {
            courriel_core::account::Lang::from_locale(&v)
        })
}

/// Writes to standard output; a closed pipe (`courriel providers | head`)
/// ends the output quietly instead of panicking.
fn emit(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("courriel: cannot write the output: {e}");
        }
    }
}

/// Runs `future` on a single-threaded runtime: a command makes a few
/// network round trips, one after another.
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
