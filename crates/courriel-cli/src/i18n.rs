//! The tool's words in every language: `locales/{en,fr}.ftl` (Fluent),
//! formatted by courriel-core's [`Messages`], the machinery that renders
//! the rules' and failures' messages. [`msg!`] formats one:
//! `msg!(lang, "spool-empty", location = &location)`.
//!
//! Text that comes from elsewhere keeps its own language: the rules'
//! diagnostics and the failures (courriel-core's locales), the library's
//! input and filing messages, and the tool's few English-only outputs
//! (`--help`, `lookup`'s report of a provider).

use std::sync::LazyLock;

use courriel_core::account::Lang;
use courriel_core::i18n::{Arg, Messages};

static MESSAGES: LazyLock<Messages> = LazyLock::new(|| {
    Messages::new(
        include_str!("../locales/en.ftl"),
        include_str!("../locales/fr.ftl"),
    )
});

/// Message `id` in `lang`, with `args` (see [`msg!`]).
pub(crate) fn message(lang: Lang, id: &str, args: &[(&str, Arg)]) -> String {
    MESSAGES.format(lang, id, args)
}

/// A value a message is built from: text shown as it is, or a count
/// (which a message may choose its words by).
pub(crate) trait ToArg {
    fn to_arg(&self) -> Arg;
}

impl ToArg for str {
    fn to_arg(&self) -> Arg {
        Arg::Text(self.to_string())
    }
}

impl ToArg for String {
    fn to_arg(&self) -> Arg {
        Arg::Text(self.clone())
    }
}

impl ToArg for std::path::Display<'_> {
    fn to_arg(&self) -> Arg {
        Arg::Text(self.to_string())
    }
}

impl ToArg for usize {
    fn to_arg(&self) -> Arg {
        Arg::Count(*self as u64)
    }
}

impl ToArg for u32 {
    fn to_arg(&self) -> Arg {
        Arg::Count(u64::from(*self))
    }
}

impl ToArg for u64 {
    fn to_arg(&self) -> Arg {
        Arg::Count(*self)
    }
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn to_arg(&self) -> Arg {
        (**self).to_arg()
    }
}

/// `msg!(lang, "id")`, or `msg!(lang, "id", name = value, ...)`: message
/// `id` of the tool's locales in `lang`, each `value` (a [`ToArg`]) given
/// as the variable `$name`.
macro_rules! msg {
    ($lang:expr, $id:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::message(
            $lang,
            $id,
            &[$((stringify!($name), $crate::i18n::ToArg::to_arg(&$value))),*],
        )
    };
}
pub(crate) use msg;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The ids `msg!` is called with in the tool's source files.
    fn used_ids() -> BTreeSet<String> {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut ids = BTreeSet::new();
        for entry in std::fs::read_dir(src).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == "i18n.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for call in text.split("msg!(").skip(1) {
                // The id is the first string literal: after `lang,`.
                let id = call.split('"').nth(1).unwrap_or_default();
                ids.insert(id.to_string());
            }
        }
        ids
    }

    /// The ids of en.ftl's messages.
    fn defined_ids() -> BTreeSet<String> {
        include_str!("../locales/en.ftl")
            .lines()
            .filter_map(|line| line.split_once(" ="))
            .map(|(id, _)| id)
            .filter(|id| {
                id.starts_with(|c: char| c.is_ascii_lowercase())
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_message_is_in_every_language_with_the_same_variables() {
        let problems = MESSAGES.problems();
        assert!(
            problems.is_empty(),
            "fix crates/courriel-cli/locales/*.ftl:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn every_message_used_exists_and_every_message_is_used() {
        let (used, defined) = (used_ids(), defined_ids());
        let missing: Vec<_> = used.difference(&defined).collect();
        assert!(
            missing.is_empty(),
            "add these messages to crates/courriel-cli/locales/*.ftl: {missing:?}"
        );
        let unused: Vec<_> = defined.difference(&used).collect();
        assert!(
            unused.is_empty(),
            "no msg! uses these messages: remove them from crates/courriel-cli/locales/*.ftl: {unused:?}"
        );
    }

    #[test]
    fn values_go_in_as_they_are() {
        let location = "/var/spool/courriel";
        assert_eq!(
            msg!(Lang::Fr, "spool-empty", location = location),
            "aucune copie en attente : la file d'attente est vide (/var/spool/courriel)"
        );
        assert_eq!(
            msg!(Lang::En, "to-list-summary", sent = 1_usize, total = 2_usize),
            "1 of 2 messages sent"
        );
        assert_eq!(
            msg!(
                Lang::En,
                "lookup-unknown-domain",
                domain = "x.test",
                known = 3_usize
            )
            .lines()
            .count(),
            2
        );
    }
}
