//! The rules' messages in every language, with Fluent (`locales/*.ftl`).

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use super::{Arg, Rule, Severity};
use crate::account::Lang;

const EN_FTL: &str = include_str!("locales/en.ftl");
const FR_FTL: &str = include_str!("locales/fr.ftl");

type Bundle = FluentBundle<FluentResource>;

static EN: LazyLock<Bundle> = LazyLock::new(|| bundle("en", EN_FTL));
static FR: LazyLock<Bundle> = LazyLock::new(|| bundle("fr", FR_FTL));

fn bundle(lang: &str, ftl: &str) -> Bundle {
    let resource = FluentResource::try_new(ftl.to_string()).unwrap_or_else(|(resource, errors)| {
        // A syntax error is caught by `check_locales` in the tests; keep what parsed.
        debug_assert!(errors.is_empty(), "{lang}.ftl: {errors:?}");
        resource
    });
    let id: unic_langid::LanguageIdentifier = lang.parse().expect("a valid language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Messages go to terminals and JSON, not to bidirectional UIs.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        debug_assert!(errors.is_empty(), "{lang}.ftl: {errors:?}");
    }
    bundle
}

fn bundle_for(lang: Lang) -> &'static Bundle {
    match lang {
        Lang::Fr => &FR,
        _ => &EN,
    }
}

/// Formats message `id` (or its attribute `attribute`) in `lang`.
pub(crate) fn render(
    lang: Lang,
    id: &str,
    attribute: Option<&str>,
    args: &[(&'static str, Arg)],
) -> String {
    let bundle = bundle_for(lang);
    let Some(message) = bundle.get_message(id) else {
        return format!("[{id}]");
    };
    let pattern = match attribute {
        None => message.value(),
        Some(name) => message.get_attribute(name).map(|a| a.value()),
    };
    let Some(pattern) = pattern else {
        return format!("[{id}.{}]", attribute.unwrap_or(""));
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        let text = match value {
            Arg::Text(text) => text.clone(),
            Arg::Localized { en, fr } => match lang {
                Lang::Fr => fr.clone(),
                _ => en.clone(),
            },
        };
        fluent_args.set(*name, FluentValue::from(text));
    }
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(&fluent_args), &mut errors)
        .into_owned()
}

/// `error`, `erreur`...
#[must_use]
pub fn severity_label(lang: Lang, severity: Severity) -> String {
    render(lang, &format!("severity-{}", severity.as_str()), None, &[])
}

/// "2 errors, 1 warning, 1 hint" (or "no problem found"), in `lang`.
#[must_use]
pub fn summary(lang: Lang, errors: usize, warnings: usize, hints: usize) -> String {
    let bundle = bundle_for(lang);
    let Some(pattern) = bundle.get_message("summary").and_then(|m| m.value()) else {
        return "[summary]".to_string();
    };
    let mut args = FluentArgs::new();
    args.set("errors", FluentValue::from(errors));
    args.set("warnings", FluentValue::from(warnings));
    args.set("hints", FluentValue::from(hints));
    let mut problems = Vec::new();
    bundle
        .format_pattern(pattern, Some(&args), &mut problems)
        .into_owned()
}

pub(super) fn help_label(lang: Lang) -> String {
    render(lang, "help-label", None, &[])
}

/// Every problem with the locale files: syntax errors, and any rule, failure
/// code or label without its message and `.help` in every language. Empty
/// when all is well.
#[must_use]
pub fn check_locales() -> Vec<String> {
    let mut problems = Vec::new();
    for (lang, ftl) in [(Lang::En, EN_FTL), (Lang::Fr, FR_FTL)] {
        if let Err((_, errors)) = FluentResource::try_new(ftl.to_string()) {
            problems.push(format!("{}.ftl does not parse: {errors:?}", lang.code()));
        }
        let bundle = bundle_for(lang);
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
