//! `courriel check`: an account file's settings against the rules.

use std::path::Path;

use courriel::Account;
use courriel::connect::imap_settings;
use courriel::diagnose::{account_facts, to_json_value, to_text};
use courriel_archive::{Failure, FolderCache, choose_sent};
use courriel_core::account::Lang;
use courriel_core::rules::{self, Severity};
use courriel_presets::Catalog;
use serde_json::json;

use crate::{EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE};

pub(crate) struct Options<'a> {
    pub(crate) config: &'a Path,
    pub(crate) offline: bool,
    pub(crate) mx: Option<&'a str>,
    pub(crate) lang: Lang,
    pub(crate) json: bool,
}

pub(crate) fn check(catalog: &Catalog, options: &Options<'_>) -> u8 {
    let account = match courriel::Account::load(options.config) {
        Ok(account) => account,
        Err(e) => {
            eprintln!("courriel: {e}");
            return EXIT_USAGE;
        }
    };
    let settings = account.settings();
    let mut facts = account_facts(catalog, &account, options.mx);
    let online = if options.offline {
        None
    } else {
        Some(imap_online(catalog, &account))
    };
    if let Some(Imap::Ok { sent_found, .. }) = &online {
        facts.sent_folder_found = *sent_found;
    }
    let diagnostics = rules::check(settings, &facts);
    let lang = options.lang;
    let failed = matches!(online, Some(Imap::Failed(_)));
    if options.json {
        let mut value = to_json_value(&diagnostics, lang);
        if let Some(online) = &online {
            value["imap"] = online.to_json(lang);
        }
        crate::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&value).expect("JSON")
        ));
    } else {
        let mut text = String::new();
        if let Some(online) = &online {
            text.push_str(&online.to_text(lang));
            text.push_str(if lang == Lang::Fr {
                "SMTP : non vérifié en ligne par cette version\n\n"
            } else {
                "SMTP: not checked online by this version\n\n"
            });
        }
        text.push_str(&to_text(&diagnostics, lang));
        crate::emit(&text);
    }
    if failed || diagnostics.iter().any(|d| d.severity == Severity::Error) {
        EXIT_NOT_FOUND
    } else {
        EXIT_OK
    }
}

/// What the online IMAP check found.
enum Imap {
    /// No `[imap]` table.
    NotConfigured,
    /// Settings with errors: not tried (the diagnostics say why).
    Skipped,
    /// Connected and logged in; the Sent folder chosen, if any.
    Ok {
        sent: Option<(String, String, &'static str)>,
        sent_found: Option<bool>,
    },
    /// What went wrong.
    Failed(Failure),
}

impl Imap {
    fn to_text(&self, lang: Lang) -> String {
        let fr = lang == Lang::Fr;
        match self {
            Imap::NotConfigured => String::new(),
            Imap::Skipped => {
                if fr {
                    "IMAP : non vérifié, les réglages ont des erreurs\n\n".into()
                } else {
                    "IMAP: not checked, the settings have errors\n\n".into()
                }
            }
            Imap::Ok {
                sent: Some((name, _, reason)),
                ..
            } => {
                if fr {
                    format!(
                        "IMAP : connexion réussie ; dossier des envoyés : {name} ({reason})\n\n"
                    )
                } else {
                    format!("IMAP: connected; Sent folder: {name} ({reason})\n\n")
                }
            }
            Imap::Ok { sent: None, .. } => {
                if fr {
                    "IMAP : connexion réussie ; aucun dossier des envoyés ne convient\n\n".into()
                } else {
                    "IMAP: connected; no folder qualifies as Sent\n\n".into()
                }
            }
            Imap::Failed(f) => {
                format!("IMAP{} {}\n\n", if fr { " :" } else { ":" }, f.render(lang))
            }
        }
    }

    fn to_json(&self, lang: Lang) -> serde_json::Value {
        match self {
            Imap::NotConfigured => json!({ "status": "not-configured" }),
            Imap::Skipped => json!({ "status": "skipped" }),
            Imap::Ok { sent, .. } => json!({
                "status": "ok",
                "sent": sent.as_ref().map(|(name, raw, reason)| json!({ "name": name, "raw": raw, "reason": reason })),
            }),
            Imap::Failed(f) => {
                json!({ "status": "failed", "code": f.code(), "message": f.message(lang), "help": f.help(lang) })
            }
        }
    }
}

fn imap_online(catalog: &Catalog, account: &Account) -> Imap {
    if account.settings().imap.is_none() {
        return Imap::NotConfigured;
    }
    let Ok(settings) = imap_settings(catalog, account) else {
        return Imap::Skipped;
    };
    // Checking lists afresh, and refreshes the cache `courriel folders` reads.
    match crate::block_on(FolderCache::in_dir(crate::folders::cache_dir()).folders(&settings, true))
    {
        Err(failure) => Imap::Failed(failure),
        Ok((list, _)) => {
            let chosen = account
                .settings()
                .imap
                .as_ref()
                .and_then(|i| i.sent_folder.as_deref());
            let hint = catalog
                .lookup_host(&settings.host)
                .and_then(|p| p.sent_folder.clone());
            let choice = choose_sent(&list.folders, &list.namespaces, hint.as_deref(), chosen);
            let sent_found = match chosen {
                Some(c) if !c.trim().is_empty() => Some(choice.is_some()),
                _ => None,
            };
            Imap::Ok {
                sent: choice.map(|c| (c.folder.name, c.folder.raw, c.reason.as_str())),
                sent_found,
            }
        }
    }
}
