//! The settings page's server.
//!
//! ```text
//! courriel-settings-page [--bind 127.0.0.1:8080] [--providers DIR] [--spool DIR]
//!     [--ca-file PEM] [--resolve HOST=IP]... [--map-port 587=10587]... [--dns IP:PORT]
//!     [--allow-address RANGE]... [--checks-per-minute N] [--tests-per-hour N]
//!     [--oauth2-client PROVIDER=CLIENT_ID]... [--oauth2-secret-env PROVIDER=VAR]...
//!     [--oauth2-tenant PROVIDER=TENANT]... [--tokens DIR] [--public-url URL]
//!     [--default-provider-env VAR] [--sendgrid-webhook-key KEY]
//! ```
//!
//! The spool and the OAuth2 token store are kept in the page's own state
//! directory, private to its user (0700): `$STATE_DIRECTORY` (systemd's
//! `StateDirectory=`), else `$XDG_STATE_HOME/courriel-settings-page`, else
//! `~/.local/state/courriel-settings-page`; never in the shared temporary
//! directory.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use courriel::events::WebhookKey;
use courriel::oauth2::{FileStore, OAuth2Client};
use courriel::{Catalog, DefaultProvider, IpRange, Lang};
use courriel_settings_page::{Config, Rate, serve};

const USAGE: &str =
    "usage: courriel-settings-page [--bind ADDR:PORT] [--providers DIR] [--spool DIR]
    [--ca-file PEM] [--resolve HOST=IP]... [--map-port STANDARD=ACTUAL]... [--dns IP:PORT]
    [--allow-address RANGE]... [--checks-per-minute N] [--tests-per-hour N]
    [--oauth2-client PROVIDER=CLIENT_ID]... [--oauth2-secret-env PROVIDER=VAR]...
    [--oauth2-tenant PROVIDER=TENANT]... [--tokens DIR] [--public-url URL]
    [--default-provider-env VAR] [--sendgrid-webhook-key KEY]

  --bind               where to listen (default 127.0.0.1:8080)
  --providers          a directory of provider files added to the built-in catalog
  --spool              where copies wait to be filed (default: spool/ in the state
                       directory: $STATE_DIRECTORY, else $XDG_STATE_HOME/courriel-settings-page,
                       else ~/.local/state/courriel-settings-page; created 0700)
  --ca-file            a CA certificate (PEM) to trust in addition to the web's
  --resolve            connect to IP whenever a server is named HOST (repeatable)
  --map-port           use port ACTUAL where the catalog or discovery says STANDARD (repeatable)
  --dns                the DNS server discovery asks (default: the system's)
  --allow-address      also connect to this address or network, such as 127.0.0.0/8 or
                       fd00::/8 (repeatable; default: public addresses only, never
                       loopback, private, link-local or cloud metadata addresses)
  --checks-per-minute  checks that connect somewhere (discovery, folder lists, sign-ins)
                       per visitor (default 10)
  --tests-per-hour     test messages per visitor (default 3)
  --oauth2-client      the application's OAuth2 client registered with a provider of the
                       catalog (its id: outlook, gmail...): its users get a sign-in button
                       (repeatable)
  --oauth2-secret-env  the variable holding that client's secret, where the provider gives one
  --oauth2-tenant      the tenant to sign in to (Microsoft: a directory id, organizations...)
  --tokens             where sign-ins are kept, one private file each (default: tokens/ in the
                       state directory; created 0700 when a client is given)
  --public-url         the page's address as browsers reach it, where providers send users
                       back (the client's redirect URI; default http://BIND/)
  --default-provider-env
                       the variable holding the application's default provider as a DSN
                       (sendgrid+api://KEY@default?region=eu, smtp://USER:KEY@host:587...): test
                       messages of settings without an SMTP server go through it
  --sendgrid-webhook-key
                       SendGrid's Event Webhook verification key (public, base64): the page
                       takes signed events at POST /webhooks/sendgrid and shows each visitor
                       the test messages that could not be delivered";

/// The page's own state directory: `$STATE_DIRECTORY` (the first, when
/// systemd gives several), else `$XDG_STATE_HOME/courriel-settings-page`
/// (an absolute path only, as the XDG specification says), else
/// `$HOME/.local/state/courriel-settings-page`.
fn state_dir(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    const NAME: &str = "courriel-settings-page";
    let set = |name: &str| var(name).filter(|v| !v.is_empty());
    if let Some(dirs) = set("STATE_DIRECTORY") {
        let first = std::env::split_paths(&dirs).next()?;
        return Some(first);
    }
    if let Some(xdg) = set("XDG_STATE_HOME").map(PathBuf::from)
        && xdg.is_absolute()
    {
        return Some(xdg.join(NAME));
    }
    let home = set("HOME").map(PathBuf::from)?;
    Some(home.join(".local/state").join(NAME))
}

/// The spool's place in the state directory.
fn default_spool(state: &Path) -> PathBuf {
    state.join("spool")
}

/// The token store's place in the state directory.
fn default_tokens(state: &Path) -> PathBuf {
    state.join("tokens")
}

/// The flags, parsed.
struct Flags {
    bind: SocketAddr,
    providers: Option<PathBuf>,
    /// The token store's directory (opened only with a client).
    tokens: Option<PathBuf>,
    /// Provider → the variable holding its client's secret.
    secret_envs: Vec<(String, String)>,
    /// The variable holding the default provider's DSN (a secret).
    default_provider_env: Option<String>,
    config: Config,
}

/// `PROVIDER=VALUE` of `flag`.
fn provider_pair(flag: &str, value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((provider, rest)) if !provider.trim().is_empty() && !rest.trim().is_empty() => {
            Ok((provider.trim().to_string(), rest.trim().to_string()))
        }
        _ => Err(format!("{flag} {value}: use PROVIDER=VALUE")),
    }
}

/// The client of `provider` among `clients`.
fn client_of<'a>(
    clients: &'a mut [OAuth2Client],
    flag: &str,
    provider: &str,
) -> Result<&'a mut OAuth2Client, String> {
    clients
        .iter_mut()
        .find(|c| c.provider == provider)
        .ok_or_else(|| format!("{flag}: no --oauth2-client {provider}=... before it"))
}

/// The OAuth2 flags that are not in [`Config`] as given.
#[derive(Default)]
struct OAuth2Flags {
    tokens: Option<PathBuf>,
    secret_envs: Vec<(String, String)>,
}

impl OAuth2Flags {
    /// The token store's directory: `--tokens`, else in the state
    /// directory; an error when clients are given and there is neither.
    fn tokens_dir(
        &mut self,
        config: &Config,
        state: Option<&Path>,
    ) -> Result<Option<PathBuf>, String> {
        let tokens = self.tokens.take().or_else(|| state.map(default_tokens));
        if !config.oauth2_clients.is_empty() && tokens.is_none() {
            return Err(
                "no state directory ($STATE_DIRECTORY, $XDG_STATE_HOME and $HOME unset): give --tokens"
                    .into(),
            );
        }
        Ok(tokens)
    }
}

/// One of the OAuth2 flags, `name` with its `value`.
fn oauth2_flag(
    name: &str,
    value: String,
    config: &mut Config,
    flags: &mut OAuth2Flags,
) -> Result<(), String> {
    match name {
        "--oauth2-client" => {
            let (provider, id) = provider_pair(name, &value)?;
            if config.oauth2_clients.iter().any(|c| c.provider == provider) {
                return Err(format!("--oauth2-client: {provider} given twice"));
            }
            config.oauth2_clients.push(OAuth2Client::new(provider, id));
        }
        "--oauth2-secret-env" => flags.secret_envs.push(provider_pair(name, &value)?),
        "--oauth2-tenant" => {
            let (provider, tenant) = provider_pair(name, &value)?;
            let client = client_of(&mut config.oauth2_clients, name, &provider)?;
            *client = client.clone().with_tenant(tenant);
        }
        "--tokens" => flags.tokens = Some(PathBuf::from(value)),
        _ => config.public_url = Some(value),
    }
    Ok(())
}

/// `--default-provider-env` (the variable's name, read in `main`) or
/// `--sendgrid-webhook-key` (checked here) with its `value`.
fn default_provider_flag(
    name: &str,
    value: String,
    config: &mut Config,
    env: &mut Option<String>,
) -> Result<(), String> {
    if name == "--default-provider-env" {
        *env = Some(value);
    } else {
        let key = WebhookKey::parse(&value).map_err(|e| format!("{name}: {e}"))?;
        config.sendgrid_webhook = Some(key);
    }
    Ok(())
}

/// Gives each client the secret its variable holds (read by `var`).
fn apply_secrets(
    config: &mut Config,
    secret_envs: &[(String, String)],
    var: impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    for (provider, name) in secret_envs {
        let client = client_of(&mut config.oauth2_clients, "--oauth2-secret-env", provider)?;
        let secret = var(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("--oauth2-secret-env {provider}={name}: {name} is not set"))?;
        *client = client.clone().with_secret(secret);
    }
    Ok(())
}

/// The flags; `state` is where the spool goes unless `--spool` says.
fn parse(args: impl IntoIterator<Item = String>, state: Option<PathBuf>) -> Result<Flags, String> {
    let mut bind: SocketAddr = "127.0.0.1:8080".parse().expect("a socket address");
    let mut providers = None;
    let mut spool = None;
    let mut oauth2 = OAuth2Flags::default();
    let mut default_provider_env = None;
    let mut config = Config::new(PathBuf::new());
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_string(), Some(value.to_string()))
            }
            _ => (flag.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--bind" => {
                let v = value()?;
                bind = v.parse().map_err(|e| format!("--bind {v}: {e}"))?;
            }
            "--providers" => providers = Some(PathBuf::from(value()?)),
            "--spool" => spool = Some(PathBuf::from(value()?)),
            "--ca-file" => config.extra_ca = Some(PathBuf::from(value()?)),
            "--resolve" => {
                let v = value()?;
                let (host, ip) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--resolve {v}: use HOST=IP"))?;
                let ip = ip.parse().map_err(|e| format!("--resolve {v}: {e}"))?;
                config.resolve.push((host.to_string(), ip));
            }
            "--map-port" => {
                let v = value()?;
                let (standard, actual) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--map-port {v}: use STANDARD=ACTUAL"))?;
                let port = |p: &str| p.parse::<u16>().map_err(|e| format!("--map-port {v}: {e}"));
                config.port_map.push((port(standard)?, port(actual)?));
            }
            "--dns" => {
                let v = value()?;
                config.discovery_dns = Some(v.parse().map_err(|e| format!("--dns {v}: {e}"))?);
            }
            "--allow-address" => {
                let v = value()?;
                let range: IpRange = v.parse().map_err(|e| format!("--allow-address {e}"))?;
                config.destinations = config.destinations.allow(range);
            }
            "--checks-per-minute" => {
                let v = value()?;
                let n = v
                    .parse()
                    .map_err(|e| format!("--checks-per-minute {v}: {e}"))?;
                config.limits.checks = Rate::per_minute(n);
            }
            "--tests-per-hour" => {
                let v = value()?;
                let n = v
                    .parse()
                    .map_err(|e| format!("--tests-per-hour {v}: {e}"))?;
                config.limits.tests = Rate::per_hour(n);
            }
            "--oauth2-client"
            | "--oauth2-secret-env"
            | "--oauth2-tenant"
            | "--tokens"
            | "--public-url" => oauth2_flag(&name, value()?, &mut config, &mut oauth2)?,
            "--default-provider-env" | "--sendgrid-webhook-key" => {
                default_provider_flag(&name, value()?, &mut config, &mut default_provider_env)?;
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let tokens = oauth2.tokens_dir(&config, state.as_deref())?;
    config.spool = match (spool, state) {
        (Some(spool), _) => spool,
        (None, Some(state)) => default_spool(&state),
        (None, None) => {
            return Err(
                "no state directory ($STATE_DIRECTORY, $XDG_STATE_HOME and $HOME unset): give --spool"
                    .into(),
            );
        }
    };
    Ok(Flags {
        bind,
        providers,
        tokens,
        secret_envs: oauth2.secret_envs,
        default_provider_env,
        config,
    })
}

fn main() -> ExitCode {
    let mut flags = match parse(std::env::args().skip(1), state_dir(|v| std::env::var_os(v))) {
        Ok(flags) => flags,
        Err(why) if why.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("courriel-settings-page: {why}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(why) = apply_secrets(&mut flags.config, &flags.secret_envs, |v| {
        std::env::var(v).ok()
    }) {
        eprintln!("courriel-settings-page: {why}");
        return ExitCode::from(2);
    }
    if let Some(name) = &flags.default_provider_env {
        // The DSN holds a key: read from the environment, never echoed.
        let provider = std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("--default-provider-env {name}: {name} is not set"))
            .and_then(|dsn| {
                DefaultProvider::from_dsn(&dsn)
                    .map_err(|e| format!("--default-provider-env {name}: {e}"))
            });
        match provider {
            Ok(provider) => flags.config.default_provider = Some(provider),
            Err(why) => {
                eprintln!("courriel-settings-page: {why}");
                return ExitCode::from(2);
            }
        }
    }
    if !flags.config.oauth2_clients.is_empty()
        && let Some(dir) = &flags.tokens
    {
        match FileStore::open(dir) {
            Ok(store) => flags.config.token_store = Some(Arc::new(store)),
            Err(e) => {
                eprintln!(
                    "courriel-settings-page: --tokens {}: {}",
                    dir.display(),
                    e.message(Lang::En)
                );
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(dir) = &flags.providers {
        match Catalog::builder().builtin().add_dir(dir).build() {
            Ok(catalog) => flags.config.catalog = catalog,
            Err(e) => {
                eprintln!("courriel-settings-page: --providers {}: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("courriel-settings-page: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        match serve(flags.config, flags.bind).await {
            Ok((address, server)) => {
                println!("settings page on http://{address}/");
                let _ = server.await;
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("courriel-settings-page: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use courriel::Destinations;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    const STATE: &str = "/var/lib/courriel-settings-page";

    fn state() -> Option<PathBuf> {
        STATE.parse().ok()
    }

    #[test]
    fn flags_fill_the_config() {
        let flags = parse(
            args(
                "--bind 127.0.0.1:0 --spool /tmp/s --ca-file ca.pem --resolve mail.courriel.test=127.0.0.1 \
                 --map-port 587=10587 --map-port=993=10993 --dns 127.0.0.1:10053 \
                 --allow-address 127.0.0.0/8 --allow-address=::1 --checks-per-minute 4 --tests-per-hour 1",
            ),
            state(),
        )
        .unwrap();
        assert_eq!(flags.bind.port(), 0);
        assert_eq!(flags.config.spool, PathBuf::from("/tmp/s"));
        assert_eq!(flags.config.extra_ca, Some(PathBuf::from("ca.pem")));
        assert_eq!(
            flags.config.resolve,
            [(
                "mail.courriel.test".to_string(),
                "127.0.0.1".parse::<std::net::IpAddr>().unwrap()
            )]
        );
        assert_eq!(flags.config.port_map, [(587, 10587), (993, 10993)]);
        assert_eq!(
            flags.config.discovery_dns,
            Some("127.0.0.1:10053".parse::<SocketAddr>().unwrap())
        );
        assert_eq!(
            flags.config.destinations,
            Destinations::public_only()
                .allow("127.0.0.0/8".parse().unwrap())
                .allow("::1".parse().unwrap())
        );
        assert_eq!(flags.config.limits.checks, Rate::per_minute(4));
        assert_eq!(flags.config.limits.tests, Rate::per_hour(1));
    }

    #[test]
    fn the_webhook_key_and_the_default_providers_variable_are_flags() {
        let key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
        let flags = parse(
            args(&format!(
                "--sendgrid-webhook-key {key} --default-provider-env MAIL_DSN"
            )),
            state(),
        )
        .unwrap();
        assert_eq!(
            flags.config.sendgrid_webhook,
            Some(WebhookKey::parse(key).unwrap())
        );
        assert_eq!(flags.default_provider_env.as_deref(), Some("MAIL_DSN"));
        let wrong = parse(args("--sendgrid-webhook-key AAAA"), state())
            .err()
            .unwrap();
        assert!(wrong.contains("WH001"), "{wrong}");
        assert!(
            parse(args(""), state())
                .unwrap()
                .config
                .sendgrid_webhook
                .is_none()
        );
    }

    #[test]
    fn by_default_public_addresses_only_and_the_spool_in_the_state_directory() {
        let flags = parse(args(""), state()).unwrap();
        assert_eq!(flags.config.destinations, Destinations::public_only());
        assert_eq!(
            flags.config.spool,
            PathBuf::from("/var/lib/courriel-settings-page/spool")
        );
        assert_eq!(flags.config.limits.checks, Rate::per_minute(10));
        assert_eq!(flags.config.limits.tests, Rate::per_hour(3));
        assert!(parse(args(""), None).err().unwrap().contains("--spool"));
        assert!(parse(args("--spool /srv/spool"), None).is_ok());
    }

    #[test]
    fn the_state_directory_is_systemds_then_xdgs_then_home() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let all: &[(&str, &str)] = &[
            ("STATE_DIRECTORY", "/var/lib/page:/var/lib/other"),
            ("XDG_STATE_HOME", "/home/u/.state"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(state_dir(env(all)), Some(PathBuf::from("/var/lib/page")));
        let xdg: &[(&str, &str)] = &[
            ("STATE_DIRECTORY", ""),
            ("XDG_STATE_HOME", "/home/u/.state"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(
            state_dir(env(xdg)),
            Some(PathBuf::from("/home/u/.state/courriel-settings-page"))
        );
        let relative: &[(&str, &str)] = &[("XDG_STATE_HOME", "state"), ("HOME", "/home/u")];
        assert_eq!(
            state_dir(env(relative)),
            Some(PathBuf::from("/home/u/.local/state/courriel-settings-page")),
            "a relative XDG_STATE_HOME is ignored"
        );
        assert_eq!(state_dir(env(&[])), None);
        // Never the shared temporary directory.
        assert!(
            !state_dir(env(all))
                .unwrap()
                .starts_with(std::env::temp_dir())
        );
    }

    #[test]
    fn oauth2_clients_their_secrets_and_the_token_store() {
        let flags = parse(
            args(
                "--oauth2-client outlook=0000-aaaa --oauth2-tenant outlook=organizations \
                 --oauth2-client gmail=123.apps.googleusercontent.com \
                 --oauth2-secret-env gmail=GMAIL_SECRET --public-url https://mail.example.com",
            ),
            state(),
        )
        .unwrap();
        let mut config = flags.config;
        let clients: Vec<_> = config
            .oauth2_clients
            .iter()
            .map(|c| {
                (
                    c.provider.as_str(),
                    c.client_id.as_str(),
                    c.tenant.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            clients,
            [
                ("outlook", "0000-aaaa", Some("organizations")),
                ("gmail", "123.apps.googleusercontent.com", None)
            ]
        );
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://mail.example.com")
        );
        assert_eq!(
            flags.tokens,
            Some(PathBuf::from("/var/lib/courriel-settings-page/tokens"))
        );
        let unset = apply_secrets(&mut config, &flags.secret_envs, |_| None).unwrap_err();
        assert!(unset.contains("GMAIL_SECRET is not set"), "{unset}");
        apply_secrets(&mut config, &flags.secret_envs, |v| {
            (v == "GMAIL_SECRET").then(|| "s3cret".to_string())
        })
        .unwrap();
        assert!(config.oauth2_clients[1].client_secret.is_some());
        assert!(config.oauth2_clients[0].client_secret.is_none());
        assert!(!format!("{:?}", config.oauth2_clients).contains("s3cret"));

        let err = |line: &str| parse(args(line), state()).err().unwrap();
        assert!(err("--oauth2-client outlook").contains("PROVIDER=VALUE"));
        assert!(err("--oauth2-tenant outlook=common").contains("no --oauth2-client outlook"));
        assert!(err("--oauth2-client a=1 --oauth2-client a=2").contains("twice"));
        assert!(
            parse(args("--oauth2-client a=1 --spool /s"), None)
                .err()
                .unwrap()
                .contains("--tokens")
        );
        let given = parse(args("--oauth2-client a=1 --spool /s --tokens /t"), None).unwrap();
        assert_eq!(given.tokens, Some(PathBuf::from("/t")));
    }

    #[test]
    fn bad_flags_say_why() {
        let err = |line: &str| parse(args(line), state()).err().unwrap();
        assert!(err("--map-port 587").contains("STANDARD=ACTUAL"));
        assert!(err("--bind").contains("needs a value"));
        assert!(err("--frobnicate").contains("unknown"));
        assert!(err("--allow-address localhost").contains("not an IP address"));
        assert!(err("--allow-address 10.0.0.0/40").contains("prefix length"));
        assert!(err("--checks-per-minute ten").contains("--checks-per-minute"));
        assert_eq!(parse(args("--help"), state()).err(), Some(String::new()));
    }
}
