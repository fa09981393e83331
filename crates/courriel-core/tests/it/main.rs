//! House rules of the validation rules: every rule has its messages in
//! every language, its docs, and a stable code.

use courriel_core::account::Lang;
use courriel_core::rules::{Rule, check_locales};

#[test]
fn every_rule_has_every_message_in_every_language() {
    let problems = check_locales();
    assert!(
        problems.is_empty(),
        "fix crates/courriel-core/src/rules/locales/*.ftl:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_rule_file_documents_what_why_and_an_example() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    for rule in Rule::ALL {
        let text = std::fs::read_to_string(dir.join(rule.file())).unwrap();
        for heading in [
            "//! ## What it does",
            "//! ## Why is this bad?",
            "//! ## Example",
        ] {
            assert!(
                text.contains(heading),
                "{} ({}) lacks `{heading}`",
                rule.file(),
                rule.code()
            );
        }
        assert!(text.contains(&format!(
            "pub(super) const NAME: &str = \"{}\";",
            rule.name()
        )));
    }
}

#[test]
fn codes_are_unique_and_well_formed() {
    let mut codes: Vec<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
    codes.sort_unstable();
    let before = codes.len();
    codes.dedup();
    assert_eq!(before, codes.len(), "a code is used twice");
    for rule in Rule::ALL {
        let code = rule.code();
        assert!(
            code.len() == 5
                && code[..2].bytes().all(|b| b.is_ascii_uppercase())
                && code[2..].bytes().all(|b| b.is_ascii_digit()),
            "{code}"
        );
        assert_eq!(Rule::from_code(code), Some(*rule));
        assert!(
            rule.name()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()),
            "{}",
            rule.name()
        );
    }
    let mut names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Rule::ALL.len(), "a name is used twice");
}

#[test]
fn severity_labels_are_translated() {
    use courriel_core::rules::{Severity, severity_label};
    assert_eq!(severity_label(Lang::En, Severity::Error), "error");
    assert_eq!(severity_label(Lang::Fr, Severity::Error), "erreur");
    assert_eq!(severity_label(Lang::Fr, Severity::Hint), "conseil");
}

#[test]
fn summaries_count_in_each_language() {
    use courriel_core::rules::summary;
    assert_eq!(summary(Lang::En, 0, 1, 2), "no error, 1 warning, 2 hints");
    assert_eq!(
        summary(Lang::Fr, 2, 0, 1),
        "2 erreurs, aucun avertissement, 1 conseil"
    );
    assert_eq!(
        summary(Lang::Fr, 1, 3, 0),
        "1 erreur, 3 avertissements, aucun conseil"
    );
}
