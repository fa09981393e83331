//! `--help`: an example per verb and the exit codes; the README quotes the
//! library's embedding example that `cargo build --examples` compiles, and
//! runs the tool from this package.

use crate::{courriel, stdout};

#[test]
fn every_verb_shows_examples_and_the_exit_codes_are_documented() {
    for verb in [
        &["lookup"][..],
        &["providers"],
        &["check"],
        &["folders"],
        &["send"],
        &["spool"],
        &["spool", "status"],
        &["spool", "retry"],
    ] {
        let mut args = verb.to_vec();
        args.push("--help");
        let out = courriel(&args);
        assert_eq!(out.status.code(), Some(0), "{verb:?}");
        let help = stdout(&out);
        assert!(
            help.contains(&format!("Examples:\n  courriel {}", verb.join(" "))),
            "{verb:?}: {help}"
        );
        for flag in ["--json", "--lang", "--spool"] {
            assert!(help.contains(flag), "{verb:?} takes {flag}: {help}");
        }
    }
    let help = stdout(&courriel(&["--help"]));
    for code in ["  0  ", "  1  ", "  2  ", "  3  "] {
        assert!(help.contains(code), "exit code {code}: {help}");
    }
    let out = courriel(&["send", "--config"]);
    assert_eq!(out.status.code(), Some(2), "a usage error exits 2");
}

#[test]
fn the_readme_quotes_the_embedding_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join("../courriel/examples/embed.rs")).unwrap();
    let readme = std::fs::read_to_string(root.join("../../README.md")).unwrap();
    assert!(
        readme.contains(&format!("```rust\n{example}```")),
        "README.md must quote crates/courriel/examples/embed.rs as it is"
    );
    for command in [
        "cargo run -p courriel-cli -- lookup isabelle.martin@yahoo.fr",
        "cargo xtask test",
    ] {
        assert!(readme.contains(command), "{command}");
    }
}
