//! Fuzz target `autoconfig_xml`: arbitrary bytes through the `clientConfig`
//! XML parser (`courriel_presets::clientconfig::parse`) and, when they parse,
//! through what its users do with the result: each server through the
//! policy that turns it into a catalog server (`convert_server`), as read
//! and with its host name's `%EMAIL...%` templates filled as discovery does,
//! then into settings for an address (`Server::settings_for`); each
//! `<domain>` through `normalize_domain`, as the ISPDB import does.
//!
//! Bytes are decoded as lossy UTF-8. The parser takes `&str`; its callers
//! (the import, discovery) refuse invalid UTF-8 before calling it, so every
//! string they can pass is reachable, and a mutation that breaks UTF-8
//! still exercises the parser (with U+FFFD) instead of being thrown away.
//!
//! Besides "never panics", it checks what the catalog relies on: a server
//! the policy keeps is never plaintext, never port 0 or 25, and its host is
//! a normalised name with a dot.

#![no_main]

use std::sync::LazyLock;

use courriel_core::provider::Server;
use courriel_core::{EmailAddress, normalize_domain};
use courriel_presets::clientconfig::{self, ConfigServer, convert_server};
use libfuzzer_sys::fuzz_target;

static ADDRESS: LazyLock<EmailAddress> =
    LazyLock::new(|| EmailAddress::parse("Jean.Dupont@Exemple.fr").expect("a valid address"));

fuzz_target!(|data: &[u8]| {
    let xml = String::from_utf8_lossy(data);
    let config = match clientconfig::parse(&xml) {
        Ok(config) => config,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    for provider in &config.providers {
        for domain in &provider.domains {
            let _ = normalize_domain(domain);
        }
        for server in provider.incoming.iter().chain(&provider.outgoing) {
            check_server(server);
            if server.hostname.contains('%') {
                check_server(&ConfigServer {
                    hostname: fill_host(&server.hostname),
                    ..server.clone()
                });
            }
        }
    }
});

/// The templates of a host name filled for [`ADDRESS`], as discovery does.
fn fill_host(host: &str) -> String {
    host.replace("%EMAILDOMAIN%", ADDRESS.domain().as_str())
        .replace("%EMAILLOCALPART%", ADDRESS.local_part())
        .replace("%EMAILADDRESS%", &ADDRESS.to_string())
}

fn check_server(server: &ConfigServer) {
    match convert_server(server) {
        Ok(kept) => {
            assert!(kept.port != 0 && kept.port != 25, "kept port {}", kept.port);
            assert_ne!(server.socket_type, "plain", "kept a plaintext server");
            assert!(kept.host.contains('.'), "kept host {:?}", kept.host);
            assert_eq!(
                normalize_domain(&kept.host).as_deref(),
                Ok(kept.host.as_str()),
                "kept host not normalised"
            );
            let settings = Server::from(&kept).settings_for(&ADDRESS);
            assert_eq!((settings.host, settings.port), (kept.host, kept.port));
        }
        Err(why) => {
            let _ = why.to_string();
        }
    }
}
