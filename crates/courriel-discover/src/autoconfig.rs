//! Autoconfig: the `clientConfig` file a domain publishes about its mail
//! servers, fetched over https (plain http only when the application opts
//! in, and then without the address), read with the same parser as the
//! ISPDB import, its servers passed through the same policy (no plaintext,
//! no port 25, ports matching their security).

use courriel_core::provider::Server;
use courriel_core::{EmailAddress, ServerSettings};
use courriel_presets::clientconfig::{self, ConfigServer};

/// The largest autoconfig file read.
const MAX_BODY: usize = 1024 * 1024;

/// What an autoconfig file gave.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    pub(crate) provider: Option<String>,
    pub(crate) smtp: Vec<ServerSettings>,
    pub(crate) imap: Vec<ServerSettings>,
}

/// Fetches `url` (bounded in size); the text, or why not.
pub(crate) async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, String> {
    let mut response = client.get(url).send().await.map_err(|e| describe(&e))?;
    if !response.status().is_success() {
        return Err(format!("{url}: HTTP {}", response.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY {
            return Err(format!("{url}: larger than {MAX_BODY} bytes"));
        }
    }
    String::from_utf8(body).map_err(|_| format!("{url}: not UTF-8"))
}

fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `%EMAILDOMAIN%`, `%EMAILLOCALPART%` and `%EMAILADDRESS%` in a host
/// name, filled in for `address` (Thunderbird does the same).
fn fill_host(host: &str, address: &EmailAddress) -> String {
    host.replace("%EMAILDOMAIN%", address.domain().as_str())
        .replace("%EMAILLOCALPART%", address.local_part())
        .replace("%EMAILADDRESS%", &address.to_string())
}

/// Reads an autoconfig file for `address`: the servers our policy accepts,
/// or why none.
pub(crate) fn read(text: &str, address: &EmailAddress) -> Result<Config, String> {
    let parsed = clientconfig::parse(text).map_err(|e| e.to_string())?;
    let mut config = Config::default();
    let mut skipped = Vec::new();
    for provider in &parsed.providers {
        if config.provider.is_none() {
            config.provider = provider
                .display_name
                .clone()
                .or_else(|| provider.display_short_name.clone());
        }
        for server in provider.incoming.iter().chain(&provider.outgoing) {
            let filled = ConfigServer {
                hostname: fill_host(&server.hostname, address),
                ..server.clone()
            };
            match clientconfig::convert_server(&filled) {
                Ok(file) => {
                    let settings = Server::from(&file).settings_for(address);
                    if server.kind.eq_ignore_ascii_case("smtp") {
                        config.smtp.push(settings);
                    } else {
                        config.imap.push(settings);
                    }
                }
                Err(skip) => skipped.push(format!("{}:{} ({skip})", server.hostname, server.port)),
            }
        }
    }
    if config.smtp.is_empty() && config.imap.is_empty() {
        return Err(if skipped.is_empty() {
            "no server in the file".to_string()
        } else {
            format!("no usable server: {}", skipped.join("; "))
        });
    }
    Ok(config)
}
