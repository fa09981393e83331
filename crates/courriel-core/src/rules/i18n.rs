//! The rules' and failures' messages in every language, with Fluent
//! (`locales/*.ftl`), through [`Messages`].

use std::sync::LazyLock;

use super::{Arg, Rule, Severity};
use crate::account::Lang;
use crate::i18n::Messages;

static MESSAGES: LazyLock<Messages> = LazyLock::new(|| {
    Messages::new(
        include_str!("locales/en.ftl"),
        include_str!("locales/fr.ftl"),
    )
});

/// Formats message `id` (or its attribute `attribute`) in `lang`.
pub(crate) fn render(
    lang: Lang,
    id: &str,
    attribute: Option<&str>,
    args: &[(&'static str, Arg)],
) -> String {
    match attribute {
        None => MESSAGES.format(lang, id, args),
        Some(attribute) => MESSAGES.format_attribute(lang, id, attribute, args),
    }
}

/// `error`, `erreur`...
#[must_use]
pub fn severity_label(lang: Lang, severity: Severity) -> String {
    render(lang, &format!("severity-{}", severity.as_str()), None, &[])
}

/// "2 errors, 1 warning, 1 hint" (or "no problem found"), in `lang`.
#[must_use]
pub fn summary(lang: Lang, errors: usize, warnings: usize, hints: usize) -> String {
    let count = |n: usize| Arg::Count(n as u64);
    render(
        lang,
        "summary",
        None,
        &[
            ("errors", count(errors)),
            ("warnings", count(warnings)),
            ("hints", count(hints)),
        ],
    )
}

pub(super) fn help_label(lang: Lang) -> String {
    render(lang, "help-label", None, &[])
}

/// Every problem with the locale files: syntax errors, a message or
/// variable in one language and not the other ([`Messages::problems`]),
/// and any rule, failure code or label without its message and `.help` in
/// every language. Empty when all is well.
#[must_use]
pub fn check_locales() -> Vec<String> {
    let mut problems = MESSAGES.problems();
    for lang in Lang::ALL {
        let bundle = MESSAGES.bundle(lang);
        let rules = Rule::ALL.iter().map(|rule| rule.code());
        let failures = crate::failure::FailureKind::ALL
            .iter()
            .map(|kind| kind.code());
        for code in rules.chain(failures) {
            match bundle.get_message(code) {
                None => problems.push(format!("{}.ftl has no message {code}", lang.code())),
                Some(m) => {
                    if m.value().is_none() {
                        problems.push(format!("{}.ftl: {code} has no text", lang.code()));
                    }
                    if m.get_attribute("help").is_none() {
                        problems.push(format!("{}.ftl: {code} has no .help", lang.code()));
                    }
                }
            }
        }
        for id in [
            "severity-error",
            "severity-warning",
            "severity-hint",
            "help-label",
        ] {
            if bundle.get_message(id).is_none() {
                problems.push(format!("{}.ftl has no message {id}", lang.code()));
            }
        }
    }
    problems
}
