//! `courriel check`: an account's settings against the rules, then (unless
//! `--offline`) its SMTP and IMAP servers, both at once, through
//! [`Mailer::check`](courriel::Mailer::check).

use std::fmt::Write as _;
use std::path::Path;

use courriel::Account;
use courriel::connect::SettingsError;
use courriel::diagnose::diagnose_account;
use courriel::{CheckReport, ImapFound, ServerCheck};
use courriel_core::account::Lang;
use courriel_core::rules::{Diagnostic, Severity};
use courriel_presets::Catalog;
use serde_json::json;

use crate::diagnostics::{to_json_value, to_text};
use crate::i18n::msg;
use crate::{EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE};

pub(crate) struct Options<'a> {
    pub(crate) config: &'a Path,
    pub(crate) offline: bool,
    pub(crate) mx: Option<&'a str>,
    pub(crate) lang: Lang,
    pub(crate) json: bool,
}

/// What was checked: the rules' diagnostics, and the servers when online.
struct Checked {
    diagnostics: Vec<Diagnostic>,
    online: Option<(ServerCheck<()>, ServerCheck<ImapFound>)>,
}

pub(crate) fn check(
    catalog: &Catalog,
    options: &Options<'_>,
    spool: impl FnOnce() -> Result<String, u8>,
) -> u8 {
    let account = match crate::load_account(options.config, catalog) {
        Ok(account) => account,
        Err(code) => return code,
    };
    // A CA file that cannot be used is a settings problem the rules do not
    // see (they do no I/O): said here, as `send` and `folders` do.
    if let Some(ca) = &account.settings().ca_file
        && let Err(e) = courriel::input::read_ca_file(Path::new(ca))
    {
        crate::folders::report_settings_error(&SettingsError::CaFile(ca.clone(), e), options.lang);
        return EXIT_USAGE;
    }
    let checked = if options.offline {
        Checked {
            diagnostics: diagnose_account(catalog, &account, options.mx),
            online: None,
        }
    } else {
        let mailer = match spool().and_then(|dir| crate::mailer(catalog, &dir, options.lang)) {
            Ok(mailer) => mailer,
            Err(code) => return code,
        };
        let report = crate::block_on(async {
            let report = mailer.check_with_mx(&account, options.mx).await;
            mailer.close().await;
            report
        });
        online(report)
    };
    let lang = options.lang;
    // Whose OAuth2 tokens the account signs in with, read after the check
    // (which may have renewed them).
    let oauth2 = crate::auth::grant_of(account.settings(), catalog);
    if options.json {
        let mut value = to_json_value(&checked.diagnostics, lang);
        if let Some(grant) = &oauth2 {
            value["oauth2"] = crate::auth::grant_json(grant);
        }
        if let Some((smtp, imap)) = &checked.online {
            value["ok"] = json!(is_ok(&checked));
            value["smtp"] = smtp_json(smtp, &account, lang);
            value["imap"] = imap_json(imap, lang);
        }
        crate::emit_json(&value);
    } else {
        let mut text = String::new();
        if let Some(grant) = &oauth2 {
            let _ = writeln!(text, "{}", crate::auth::grant_text(grant, lang));
        }
        if let Some((smtp, imap)) = &checked.online {
            let _ = writeln!(text, "{}", smtp_text(smtp, &account, lang));
            let _ = writeln!(text, "{}\n", imap_text(imap, lang));
        }
        text.push_str(&to_text(&checked.diagnostics, lang));
        crate::emit(&text);
    }
    if is_ok(&checked) {
        EXIT_OK
    } else {
        EXIT_NOT_FOUND
    }
}

/// The report's findings.
fn online(report: CheckReport) -> Checked {
    Checked {
        diagnostics: report.diagnostics,
        online: Some((report.smtp, report.imap)),
    }
}

/// No error in the settings, and no server failed.
fn is_ok(checked: &Checked) -> bool {
    let failed = checked.online.as_ref().is_some_and(|(smtp, imap)| {
        matches!(smtp, ServerCheck::Failed(_)) || matches!(imap, ServerCheck::Failed(_))
    });
    !failed
        && !checked
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
}

/// `host:port` of the account's SMTP server, as written.
fn smtp_server(account: &Account) -> Option<String> {
    let smtp = account.settings().smtp.as_ref()?;
    Some(format!(
        "{}:{}",
        smtp.host.as_deref().unwrap_or_default(),
        smtp.port.map_or_else(String::new, |p| p.to_string())
    ))
}

fn smtp_text(smtp: &ServerCheck<()>, account: &Account, lang: Lang) -> String {
    match smtp {
        ServerCheck::NotConfigured => msg!(lang, "check-smtp-not-configured"),
        ServerCheck::Skipped => msg!(lang, "check-smtp-skipped"),
        ServerCheck::Ok(()) => msg!(
            lang,
            "check-smtp-ok",
            server = smtp_server(account).unwrap_or_default()
        ),
        ServerCheck::Failed(failure) => {
            msg!(lang, "check-smtp-failed", failure = failure.render(lang))
        }
        _ => msg!(lang, "check-smtp-not-checked"),
    }
}

fn imap_text(imap: &ServerCheck<ImapFound>, lang: Lang) -> String {
    match imap {
        ServerCheck::NotConfigured => msg!(lang, "check-imap-not-configured"),
        ServerCheck::Skipped => msg!(lang, "check-imap-skipped"),
        ServerCheck::Ok(found) => match (&found.sent, &found.to_create) {
            (Some(sent), _) => msg!(
                lang,
                "check-imap-sent",
                folder = sent.folder.name,
                reason = sent.reason.as_str()
            ),
            (None, Some(folder)) => msg!(
                lang,
                "check-imap-sent-to-create",
                folder = courriel_archive::mutf7::decode_lenient(folder)
            ),
            (None, None) => msg!(lang, "check-imap-no-sent"),
        },
        ServerCheck::Failed(failure) => {
            msg!(lang, "check-imap-failed", failure = failure.render(lang))
        }
        _ => msg!(lang, "check-imap-not-checked"),
    }
}

fn status(check: &ServerCheck<impl Sized>) -> &'static str {
    match check {
        ServerCheck::NotConfigured => "not-configured",
        ServerCheck::Skipped => "skipped",
        ServerCheck::Ok(_) => "ok",
        ServerCheck::Failed(_) => "failed",
        _ => "not-checked",
    }
}

fn smtp_json(smtp: &ServerCheck<()>, account: &Account, lang: Lang) -> serde_json::Value {
    let mut value = json!({ "status": status(smtp), "server": smtp_server(account) });
    if let ServerCheck::Failed(f) = smtp {
        value["code"] = json!(f.code());
        value["message"] = json!(f.message(lang));
        value["help"] = json!(f.help(lang));
    }
    value
}

fn imap_json(imap: &ServerCheck<ImapFound>, lang: Lang) -> serde_json::Value {
    let mut value = json!({ "status": status(imap) });
    match imap {
        ServerCheck::Ok(found) => {
            value["sent"] = json!(found.sent.as_ref().map(|c| json!({
                "name": c.folder.name,
                "raw": c.folder.raw,
                "reason": c.reason.as_str(),
            })));
            value["sent_to_create"] = json!(found.to_create);
            value["folders"] = json!(
                found
                    .folders
                    .folders
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
            );
        }
        ServerCheck::Failed(f) => {
            value["code"] = json!(f.code());
            value["message"] = json!(f.message(lang));
            value["help"] = json!(f.help(lang));
        }
        _ => {}
    }
    value
}
