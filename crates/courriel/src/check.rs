//! `courriel check`: an account file's settings against the rules.

use std::path::Path;

use courriel::account;
use courriel::diagnose::{diagnose, to_json, to_text};
use courriel_core::account::Lang;
use courriel_core::rules::Severity;
use courriel_presets::Catalog;

use crate::{EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE};

pub(crate) struct Options<'a> {
    pub(crate) config: &'a Path,
    pub(crate) offline: bool,
    pub(crate) mx: Option<&'a str>,
    pub(crate) lang: Lang,
    pub(crate) json: bool,
}

pub(crate) fn check(catalog: &Catalog, options: &Options<'_>) -> u8 {
    if !options.offline {
        eprintln!(
            "courriel: online checks (connecting to the SMTP and IMAP servers) are not available in this version; run `courriel check --offline --config {}`",
            options.config.display()
        );
        return EXIT_USAGE;
    }
    let settings = match account::load(options.config) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("courriel: {e}");
            return EXIT_USAGE;
        }
    };
    let diagnostics = diagnose(catalog, &settings, options.mx, |name| {
        std::env::var_os(name)
    });
    crate::emit(&if options.json {
        to_json(&diagnostics, options.lang)
    } else {
        to_text(&diagnostics, options.lang)
    });
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        EXIT_NOT_FOUND
    } else {
        EXIT_OK
    }
}
