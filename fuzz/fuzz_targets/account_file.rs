//! Fuzz target `account_file`: arbitrary bytes, as lossy UTF-8, as an
//! account file (TOML) through `courriel::account::parse`, then the
//! settings through the validation rules with the built-in catalog
//! (`courriel::diagnose::diagnose`, with and without an MX host, an
//! environment where every variable is set and one where none is), and
//! their rendering as text and JSON in both languages (courriel-cli's
//! `diagnostics.rs`, what `courriel check` prints). The three modules are
//! compiled from their source files (see `Cargo.toml`).
//!
//! Checks: nothing panics or overflows a 256 KB stack
//! (`small_stack.rs`); a parse error names a line and column inside
//! the input (a column may point just past a line's last character).

#![no_main]

mod small_stack;

// courriel's own source files, without its crate (see Cargo.toml);
// diagnose.rs names `crate::account`, which is this one.
#[allow(dead_code)]
#[path = "../../crates/courriel/src/account.rs"]
mod account;
#[allow(dead_code)]
#[path = "../../crates/courriel/src/diagnose.rs"]
mod diagnose;
// The tool's rendering of diagnostics, from courriel-cli.
#[path = "../../crates/courriel-cli/src/diagnostics.rs"]
mod diagnostics;

use std::ffi::OsString;

use account::parse;
use courriel_core::account::Lang;
use courriel_presets::Catalog;
use diagnose::diagnose;
use diagnostics::{to_json_value, to_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    small_stack::run(move || run(&text));
});

fn run(text: &str) {
    let settings = match parse("accounts/fuzz.toml", text) {
        Ok(settings) => settings,
        Err(e) => {
            assert_eq!(e.file, "accounts/fuzz.toml");
            let (line, column) = e.position.expect("a TOML error has a position");
            let lines: Vec<&str> = text.split('\n').collect();
            assert!((1..=lines.len()).contains(&line), "line {line}: {e}");
            let width = lines[line - 1].chars().count();
            assert!(
                (1..=width + 1).contains(&column),
                "column {column} of a line of {width} characters: {e}"
            );
            let _ = e.to_string();
            return;
        }
    };
    let catalog = Catalog::builtin();
    let set = |_: &str| Some(OsString::from("secret"));
    let unset = |_: &str| None;
    let found = diagnose(catalog, &settings, None, set);
    for lang in [Lang::En, Lang::Fr] {
        let _ = to_text(&found, lang);
        let _ = serde_json::to_string_pretty(&to_json_value(&found, lang));
    }
    let _ = diagnose(
        catalog,
        &settings,
        Some("gmail-smtp-in.l.google.com"),
        unset,
    );
    let _ = diagnose(catalog, &settings, Some("mx1.mail.ovh.net"), set);
}
