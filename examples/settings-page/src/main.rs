//! The settings page's server.
//!
//! ```text
//! courriel-settings-page [--bind 127.0.0.1:8080] [--providers DIR] [--spool DIR]
//!     [--ca-file PEM] [--resolve HOST=IP]... [--map-port 587=10587]... [--dns IP:PORT]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use courriel::Catalog;
use courriel_settings_page::{Config, serve};

const USAGE: &str =
    "usage: courriel-settings-page [--bind ADDR:PORT] [--providers DIR] [--spool DIR]
    [--ca-file PEM] [--resolve HOST=IP]... [--map-port STANDARD=ACTUAL]... [--dns IP:PORT]

  --bind       where to listen (default 127.0.0.1:8080)
  --providers  a directory of provider files added to the built-in catalog
  --spool      where copies wait to be filed (default: a directory under the temporary one)
  --ca-file    a CA certificate (PEM) to trust in addition to the web's
  --resolve    connect to IP whenever a server is named HOST (repeatable)
  --map-port   use port ACTUAL where the catalog or discovery says STANDARD (repeatable)
  --dns        the DNS server discovery asks (default: the system's)";

/// The flags, parsed.
struct Flags {
    bind: SocketAddr,
    providers: Option<PathBuf>,
    config: Config,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Flags, String> {
    let mut bind: SocketAddr = "127.0.0.1:8080".parse().expect("a socket address");
    let mut providers = None;
    let mut config = Config::new(std::env::temp_dir().join("courriel-settings-page-spool"));
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
            "--spool" => config.spool = PathBuf::from(value()?),
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
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Flags {
        bind,
        providers,
        config,
    })
}

fn main() -> ExitCode {
    let mut flags = match parse(std::env::args().skip(1)) {
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

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn flags_fill_the_config() {
        let flags = parse(args(
            "--bind 127.0.0.1:0 --spool /tmp/s --ca-file ca.pem --resolve mail.courriel.test=127.0.0.1 \
             --map-port 587=10587 --map-port=993=10993 --dns 127.0.0.1:10053",
        ))
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
    }

    #[test]
    fn bad_flags_say_why() {
        assert!(
            parse(args("--map-port 587"))
                .err()
                .unwrap()
                .contains("STANDARD=ACTUAL")
        );
        assert!(
            parse(args("--bind"))
                .err()
                .unwrap()
                .contains("needs a value")
        );
        assert!(
            parse(args("--frobnicate"))
                .err()
                .unwrap()
                .contains("unknown")
        );
        assert_eq!(parse(args("--help")).err(), Some(String::new()));
    }
}
