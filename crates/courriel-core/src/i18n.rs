//! Messages in every language, from Fluent files (`.ftl`): a [`Messages`]
//! holds one source per language and formats a message by its id. The
//! rules' and failures' messages are one (`rules/locales/`); the `courriel`
//! tool's are another (courriel-cli's `locales/`).
//!
//! ```
//! use courriel_core::account::Lang;
//! use courriel_core::i18n::{Arg, Messages};
//!
//! let messages = Messages::new(
//!     "filed = filed in { $folder }",
//!     "filed = rangée dans { $folder }",
//! );
//! let args = [("folder", Arg::Text("Sent".into()))];
//! assert_eq!(messages.format(Lang::Fr, "filed", &args), "rangée dans Sent");
//! assert!(messages.problems().is_empty());
//! ```

use std::collections::BTreeSet;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;

use crate::account::Lang;

/// A value a message is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// The same in every language (an address, a host, a number).
    Text(String),
    /// A text given in each language (a provider's own hint).
    Localized {
        /// English.
        en: String,
        /// French.
        fr: String,
    },
    /// A count, which a message may choose its words by (`[one]`,
    /// `*[other]`); shown in digits.
    Count(u64),
}

type Bundle = FluentBundle<FluentResource>;

/// Messages in English and French, each from its Fluent source.
pub struct Messages {
    en: Bundle,
    fr: Bundle,
    sources: [(Lang, String); 2],
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages").finish_non_exhaustive()
    }
}

impl Messages {
    /// The messages of the Fluent sources `en` and `fr` (usually
    /// `include_str!`). Values are inserted as they are, without Unicode
    /// isolation marks around them: messages go to terminals, logs and
    /// JSON, not to bidirectional user interfaces. What does not parse is
    /// left out ([`Messages::problems`] says what).
    #[must_use]
    pub fn new(en: &str, fr: &str) -> Messages {
        Messages {
            en: bundle("en", en),
            fr: bundle("fr", fr),
            sources: [(Lang::En, en.to_string()), (Lang::Fr, fr.to_string())],
        }
    }

    /// Message `id` in `lang`, with `args`; `[id]` when there is none.
    #[must_use]
    pub fn format(&self, lang: Lang, id: &str, args: &[(&str, Arg)]) -> String {
        self.render(lang, id, None, args)
    }

    /// Attribute `attribute` of message `id` (such as `help`) in `lang`,
    /// with `args`; `[id.attribute]` when there is none.
    #[must_use]
    pub fn format_attribute(
        &self,
        lang: Lang,
        id: &str,
        attribute: &str,
        args: &[(&str, Arg)],
    ) -> String {
        self.render(lang, id, Some(attribute), args)
    }

    pub(crate) fn bundle(&self, lang: Lang) -> &Bundle {
        match lang {
            Lang::Fr => &self.fr,
            _ => &self.en,
        }
    }

    fn render(
        &self,
        lang: Lang,
        id: &str,
        attribute: Option<&str>,
        args: &[(&str, Arg)],
    ) -> String {
        let bundle = self.bundle(lang);
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
            let value = match value {
                Arg::Text(text) => FluentValue::from(text.as_str()),
                Arg::Localized { en, fr } => FluentValue::from(match lang {
                    Lang::Fr => fr.as_str(),
                    _ => en.as_str(),
                }),
                Arg::Count(n) => FluentValue::from(*n),
            };
            fluent_args.set(name.to_string(), value);
        }
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }

    /// Every problem with the sources: one that does not parse; a message,
    /// or an attribute of one, in one language and not the other; a
    /// message (or attribute) whose languages use different variables.
    /// Empty when all is well.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut shapes = Vec::new();
        for (lang, source) in &self.sources {
            let resource = match FluentResource::try_new(source.clone()) {
                Ok(resource) => resource,
                Err((resource, errors)) => {
                    problems.push(format!("{}.ftl does not parse: {errors:?}", lang.code()));
                    resource
                }
            };
            let shape = shape(&resource);
            let mut seen = BTreeSet::new();
            for (id, _) in &shape {
                if !seen.insert(id) {
                    problems.push(format!("{id} is given twice in {}.ftl", lang.code()));
                }
            }
            shapes.push((lang.code(), shape));
        }
        let [(en, en_shape), (fr, fr_shape)] = &shapes[..] else {
            unreachable!("two languages");
        };
        for (a, a_shape, b, b_shape) in [(en, en_shape, fr, fr_shape), (fr, fr_shape, en, en_shape)]
        {
            for (id, variables) in a_shape {
                match b_shape.iter().find(|(other, _)| other == id) {
                    None => problems.push(format!("{id} is in {a}.ftl, not in {b}.ftl")),
                    Some((_, others)) if a < b && others != variables => problems.push(format!(
                        "{id} uses {} in {a}.ftl but {} in {b}.ftl",
                        names(variables),
                        names(others)
                    )),
                    Some(_) => {}
                }
            }
        }
        problems
    }
}

/// A bundle of what parses in `ftl` (syntax errors and a message given
/// twice are for [`Messages::problems`] to say: the first one is kept).
fn bundle(lang: &str, ftl: &str) -> Bundle {
    let resource =
        FluentResource::try_new(ftl.to_string()).unwrap_or_else(|(resource, _)| resource);
    let id: unic_langid::LanguageIdentifier = lang.parse().expect("a valid language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Messages go to terminals and JSON, not to bidirectional UIs.
    bundle.set_use_isolating(false);
    // A message given twice: the first is kept, the error is a problem.
    let _ = bundle.add_resource(resource);
    bundle
}

/// Each message's value (`id`) and attributes (`id.attribute`), with the
/// variables it uses.
fn shape(resource: &FluentResource) -> Vec<(String, BTreeSet<String>)> {
    let mut shape = Vec::new();
    for entry in resource.entries() {
        let ast::Entry::Message(message) = entry else {
            continue;
        };
        let id = message.id.name;
        if let Some(value) = &message.value {
            shape.push((id.to_string(), pattern_variables(value)));
        }
        for attribute in &message.attributes {
            shape.push((
                format!("{id}.{}", attribute.id.name),
                pattern_variables(&attribute.value),
            ));
        }
    }
    shape
}

fn names(variables: &BTreeSet<String>) -> String {
    if variables.is_empty() {
        return "no variable".to_string();
    }
    variables
        .iter()
        .map(|v| format!("${v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pattern_variables(pattern: &ast::Pattern<&str>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    add_pattern(pattern, &mut found);
    found
}

fn add_pattern(pattern: &ast::Pattern<&str>, found: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            add_expression(expression, found);
        }
    }
}

fn add_expression(expression: &ast::Expression<&str>, found: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Select { selector, variants } => {
            add_inline(selector, found);
            for variant in variants {
                add_pattern(&variant.value, found);
            }
        }
        ast::Expression::Inline(inline) => add_inline(inline, found),
    }
}

fn add_inline(inline: &ast::InlineExpression<&str>, found: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            found.insert(id.name.to_string());
        }
        ast::InlineExpression::FunctionReference { arguments, .. }
        | ast::InlineExpression::TermReference {
            arguments: Some(arguments),
            ..
        } => {
            for argument in &arguments.positional {
                add_inline(argument, found);
            }
            for argument in &arguments.named {
                add_inline(&argument.value, found);
            }
        }
        ast::InlineExpression::Placeable { expression } => add_expression(expression, found),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_choose_their_words_and_show_in_digits() {
        let messages = Messages::new(
            "sent = { $n ->\n    [one] one message\n   *[other] { $n } messages\n} of { $total }",
            "sent = { $n ->\n    [one] un message\n   *[other] { $n } messages\n} sur { $total }",
        );
        let args = |n| [("n", Arg::Count(n)), ("total", Arg::Count(1_048_577))];
        assert_eq!(
            messages.format(Lang::En, "sent", &args(1)),
            "one message of 1048577"
        );
        assert_eq!(
            messages.format(Lang::Fr, "sent", &args(2)),
            "2 messages sur 1048577"
        );
    }

    #[test]
    fn text_goes_in_as_it_is_without_isolation_marks() {
        let messages = Messages::new("x = «{ $a }»", "x = «{ $a }»");
        let arg = [("a", Arg::Text("{$b} \u{202e}".into()))];
        assert_eq!(messages.format(Lang::En, "x", &arg), "«{$b} \u{202e}»");
        assert_eq!(messages.format(Lang::En, "missing", &arg), "[missing]");
        assert_eq!(
            messages.format_attribute(Lang::En, "x", "help", &arg),
            "[x.help]"
        );
    }

    #[test]
    fn problems_name_missing_messages_and_differing_variables() {
        let messages = Messages::new(
            "a = { $x }\n    .help = { $y }\nb = b\nc = { $n ->\n   *[other] { $m }\n}\n",
            "a = { $x }\n    .help = { $z }\nc = { $n ->\n   *[other] { $m }\n}\nd = d\n",
        );
        assert_eq!(
            messages.problems(),
            [
                "a.help uses $y in en.ftl but $z in fr.ftl",
                "b is in en.ftl, not in fr.ftl",
                "d is in fr.ftl, not in en.ftl",
            ]
        );
        let broken = Messages::new("a = {", "a = a");
        assert!(broken.problems()[0].starts_with("en.ftl does not parse"));
        let twice = Messages::new("b = b\nb = c\n", "b = b\n");
        assert_eq!(twice.problems(), ["b is given twice in en.ftl"]);
        assert_eq!(twice.format(Lang::En, "b", &[]), "b", "the first is kept");
    }
}
