//! The rules' diagnostics as `courriel check` prints them: as text, each
//! diagnostic then a summary line, or as one JSON value. Uses only
//! courriel-core and `serde_json`: the fuzz target `account_file` compiles
//! this file alone.

use std::fmt::Write as _;

use courriel_core::account::Lang;
use courriel_core::rules::{self, Diagnostic, Severity};
use serde_json::json;

/// How many errors, warnings and hints.
fn counts(diagnostics: &[Diagnostic]) -> (usize, usize, usize) {
    let count = |s| diagnostics.iter().filter(|d| d.severity == s).count();
    (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Hint),
    )
}

/// The diagnostics as a person reads them, then a summary line.
#[must_use]
pub(crate) fn to_text(diagnostics: &[Diagnostic], lang: Lang) -> String {
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
pub(crate) fn to_json_value(diagnostics: &[Diagnostic], lang: Lang) -> serde_json::Value {
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
