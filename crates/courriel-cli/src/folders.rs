//! `courriel folders`: an account's IMAP folders and the Sent folder chosen.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use courriel::connect::{SettingsError, imap_settings};
use courriel::input::{InputError, describe};
use courriel_archive::{FolderCache, choose_sent};
use courriel_core::account::Lang;
use courriel_presets::Catalog;
use serde_json::json;

use crate::i18n::msg;
use crate::{EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE};

/// Where folder listings are cached between runs.
pub(crate) fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("courriel").join("folders")
}

/// Prints the rules' errors or the CA problem that keep us from connecting.
pub(crate) fn report_settings_error(error: &SettingsError, lang: Lang) {
    match error {
        SettingsError::Rules(errors) if errors.is_empty() => {
            eprintln!("courriel: {}", msg!(lang, "account-no-imap"));
        }
        SettingsError::Rules(errors) => {
            for d in errors {
                eprintln!("{}\n", d.render(lang));
            }
        }
        SettingsError::CaFile(path, e) if InputError::of(e).is_some() => {
            eprintln!("courriel: ca_file {path}: {}", describe(e, lang));
        }
        SettingsError::CaFile(path, e) => eprintln!(
            "courriel: {}",
            msg!(
                lang,
                "ca-file-unreadable",
                path = path,
                error = e.to_string()
            )
        ),
    }
}

pub(crate) fn folders(
    catalog: &Catalog,
    config: &Path,
    refresh: bool,
    json: bool,
    lang: Lang,
    spool: Option<&str>,
) -> u8 {
    let account = match crate::load_account(config, catalog) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let settings = match imap_settings(catalog, &account) {
        Ok(s) => s,
        Err(e) => {
            report_settings_error(&e, lang);
            return EXIT_USAGE;
        }
    };
    // A database spool keeps the folder lists its workers share; a
    // directory spool, the user's cache directory.
    let cache = match spool.map(courriel_archive::SpoolLocation::parse) {
        Some(courriel_archive::SpoolLocation::Postgres(_)) => {
            match crate::open_spool(
                spool.unwrap_or_default(),
                &courriel_archive::SpoolOptions::default(),
                lang,
            ) {
                Ok(spool) => crate::folder_cache(&spool),
                Err(code) => return code,
            }
        }
        _ => FolderCache::in_dir(cache_dir()),
    };
    let listed = crate::block_on(cache.folders(&settings, refresh));
    let (list, _asked) = match listed {
        Ok(list) => list,
        Err(failure) => {
            eprintln!("{}", failure.render(lang));
            return EXIT_NOT_FOUND;
        }
    };
    let imap = account.settings().imap.as_ref();
    let hint = catalog
        .lookup_host(&settings.host)
        .and_then(|p| p.sent_folder.clone());
    let choice = choose_sent(
        &list.folders,
        &list.namespaces,
        hint.as_deref(),
        imap.and_then(|i| i.sent_folder.as_deref()),
    );
    if json {
        let folders: Vec<_> = list
            .folders
            .iter()
            .map(|f| json!({ "name": f.name, "raw": f.raw, "attributes": f.attributes }))
            .collect();
        let sent = choice.as_ref().map(
            |c| json!({ "name": c.folder.name, "raw": c.folder.raw, "reason": c.reason.as_str() }),
        );
        crate::emit_json(&json!({ "folders": folders, "sent": sent }));
    } else {
        let mut out = String::new();
        for f in &list.folders {
            let raw = if f.raw == f.name {
                String::new()
            } else {
                format!("  ({})", f.raw)
            };
            let _ = writeln!(out, "{}{raw}  {}", f.name, f.attributes.join(" "));
        }
        let _ = match &choice {
            Some(c) => writeln!(out, "\nSent: {} ({})", c.folder.name, c.reason.as_str()),
            None => writeln!(out, "\n{}", msg!(lang, "folders-sent-none")),
        };
        crate::emit(&out);
    }
    if choice.is_some() {
        EXIT_OK
    } else {
        EXIT_NOT_FOUND
    }
}
