//! Offline checks of an account's settings: the validation rules with what
//! the catalog knows, rendered for people or as JSON.

use std::fmt::Write as _;

use courriel_core::account::{AccountSettings, Lang, Protocol};
use courriel_core::rules::{self, Diagnostic, Facts, PasswordState, Severity};
use courriel_presets::Catalog;
use serde_json::json;

use crate::account::Account;

/// What the catalog knows of the account's providers, the MX host's
/// provider when given, and whether each `password_env` variable is set
/// (`env`).
pub fn facts<'a>(
    catalog: &'a Catalog,
    settings: &AccountSettings,
    mx: Option<&str>,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Facts<'a> {
    let mut facts = catalog.facts(settings);
    facts.sender_mx_provider = mx.and_then(|mx| catalog.lookup_mx(mx));
    let state =
        |variable: Option<&String>| match variable.map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => PasswordState::Unknown,
            Some(name) if env(name).is_some_and(|v| !v.is_empty()) => PasswordState::Present,
            Some(name) => PasswordState::Missing(name.to_string()),
        };
    facts.smtp_password = state(settings.smtp.as_ref().and_then(|s| s.password_env.as_ref()));
    facts.imap_password = state(settings.imap.as_ref().and_then(|i| i.password_env.as_ref()));
    facts
}

/// Runs the rules on `settings` with [`facts`].
pub fn diagnose(
    catalog: &Catalog,
    settings: &AccountSettings,
    mx: Option<&str>,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Vec<Diagnostic> {
    rules::check(settings, &facts(catalog, settings, mx, env))
}

/// [`facts`] for an [`Account`], whose passwords say what is at hand.
#[must_use]
pub fn account_facts<'a>(catalog: &'a Catalog, account: &Account, mx: Option<&str>) -> Facts<'a> {
    let mut facts = catalog.facts(account.settings());
    facts.sender_mx_provider = mx.and_then(|mx| catalog.lookup_mx(mx));
    facts.smtp_password = account.password_state(Protocol::Smtp);
    facts.imap_password = account.password_state(Protocol::Imap);
    facts
}

/// Runs the rules on an [`Account`] with [`account_facts`].
#[must_use]
pub fn diagnose_account(catalog: &Catalog, account: &Account, mx: Option<&str>) -> Vec<Diagnostic> {
    rules::check(account.settings(), &account_facts(catalog, account, mx))
}

/// How many errors, warnings and hints.
#[must_use]
pub fn counts(diagnostics: &[Diagnostic]) -> (usize, usize, usize) {
    let count = |s| diagnostics.iter().filter(|d| d.severity == s).count();
    (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Hint),
    )
}

/// The diagnostics as a person reads them, then a summary line.
#[must_use]
pub fn to_text(diagnostics: &[Diagnostic], lang: Lang) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let _ = writeln!(out, "{}\n", d.render(lang));
    }
    let (errors, warnings, hints) = counts(diagnostics);
    let _ = writeln!(out, "{}", rules::summary(lang, errors, warnings, hints));
    out
}

/// The diagnostics as one JSON value: `diagnostics` (each with `code`,
/// `rule`, `severity`, `field`, `message`, `help`) and the counts.
#[must_use]
pub fn to_json_value(diagnostics: &[Diagnostic], lang: Lang) -> serde_json::Value {
    let (errors, warnings, hints) = counts(diagnostics);
    let list: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            json!({
                "code": d.code(),
                "rule": d.rule.name(),
                "severity": d.severity.as_str(),
                "field": d.field.as_str(),
                "message": d.message(lang),
                "help": d.help(lang),
            })
        })
        .collect();
    json!({
        "lang": lang.code(),
        "diagnostics": list,
        "errors": errors,
        "warnings": warnings,
        "hints": hints,
    })
}

/// [`to_json_value`], pretty-printed.
#[must_use]
pub fn to_json(diagnostics: &[Diagnostic], lang: Lang) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(&to_json_value(diagnostics, lang))
            .expect("JSON of plain data")
    )
}
