//! The library's own words in every language (`locales/{en,fr}.ftl`):
//! what became of a Sent copy ([`Filing::summary`](crate::Filing::summary))
//! and why a file was refused ([`InputError`](crate::input::InputError)).
//! Formatted by courriel-core's [`Messages`], as the rules' and failures'
//! messages are.

use std::sync::LazyLock;

use courriel_core::account::Lang;
use courriel_core::i18n::{Arg, Messages};

static MESSAGES: LazyLock<Messages> = LazyLock::new(|| {
    Messages::new(
        include_str!("../locales/en.ftl"),
        include_str!("../locales/fr.ftl"),
    )
});

/// Message `id` in `lang`, each argument shown as it is.
pub(crate) fn text(lang: Lang, id: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let args: Vec<(&str, Arg)> = args
        .iter()
        .map(|(name, value)| (*name, Arg::Text(value.to_string())))
        .collect();
    MESSAGES.format(lang, id, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_in_both_languages_with_the_same_values_and_is_used() {
        assert_eq!(MESSAGES.problems(), Vec::<String>::new());
        let sources: String = ["mailer.rs", "input.rs"]
            .iter()
            .map(|f| {
                std::fs::read_to_string(format!("{}/src/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap()
            })
            .collect();
        for line in include_str!("../locales/en.ftl").lines() {
            let Some((id, _)) = line.split_once(" = ") else {
                continue;
            };
            if id.starts_with('#') {
                continue;
            }
            assert!(sources.contains(&format!("\"{id}\"")), "{id} is not used");
        }
    }
}
