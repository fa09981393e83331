//! Fuzz target `provider_file`: arbitrary bytes, as lossy UTF-8, as a
//! provider file (`providers/*.ron`) through what loads one: the RON schema
//! (`deny_unknown_fields`), `check_file` (every problem located by
//! `locate.rs`) and `CatalogBuilder::add_ron` + `build` (once alone, once
//! beside a second copy of itself, so every claim is disputed and located
//! in both files).
//!
//! Checks: nothing panics or overflows a 256 KB stack
//! (`small_stack.rs`); every error names a line and column inside the
//! input (a column may point just past a line's last character); a file
//! that passes writes a canonical form that passes again, to the same
//! provider, and is a fixed point; the catalog built from it finds the
//! provider by each of its domains.
//!
//! The file is named after the id when the text parses, so the checks past
//! "the id differs from the file name" are reached.

#![no_main]

mod small_stack;

use courriel_presets::file::header;
use courriel_presets::{CatalogBuilder, FileError, ProviderFile, check_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    small_stack::run(move || run(&text));
});

fn run(text: &str) {
    let file = match ProviderFile::parse(text) {
        Ok(p) => format!("providers/{}.ron", p.id),
        Err(_) => "providers/fuzz.ron".to_string(),
    };
    match check_file(&file, text) {
        Ok(provider) => {
            let canonical = provider.to_canonical(header(text));
            match check_file(&file, &canonical) {
                Ok(again) => assert_eq!(again, provider, "canonical form reads differently"),
                Err(e) => panic!("canonical form refused: {e:?}\n{canonical}"),
            }
            assert_eq!(
                ProviderFile::parse(&canonical)
                    .unwrap()
                    .to_canonical(header(&canonical)),
                canonical,
                "canonical form is not a fixed point"
            );
            let catalog = CatalogBuilder::default()
                .add_ron(file.clone(), text.to_string())
                .build()
                .unwrap_or_else(|e| panic!("a checked file fails to build: {e}"));
            for domain in &provider.domains {
                let found = catalog.lookup(domain).map(|p| p.id.as_str());
                assert_eq!(found, Some(provider.id.as_str()), "lookup({domain:?})");
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in &errors {
                check_error(e, &file, text);
            }
        }
    }
    // Two copies claim the same id, domains and MX: a tie, located in both.
    let twin = file.replace(".ron", "");
    let twin = format!("other/{}.ron", twin.rsplit('/').next().unwrap_or(""));
    if let Err(e) = CatalogBuilder::default()
        .add_ron(file.clone(), text.to_string())
        .add_ron(twin.clone(), text.to_string())
        .build()
    {
        let _ = e.to_string();
        for error in &e.errors {
            let origin = if error.file == twin { &twin } else { &file };
            check_error(error, origin, text);
        }
    }
}

fn check_error(e: &FileError, file: &str, text: &str) {
    assert_eq!(e.file, file);
    assert!(!e.message.is_empty() && !e.help.is_empty(), "{e:?}");
    let lines: Vec<&str> = text.split('\n').collect();
    let (line, column) = (e.position.line, e.position.column);
    assert!(
        (1..=lines.len()).contains(&line),
        "line {line} of {}: {e}",
        lines.len()
    );
    let width = lines[line - 1].chars().count();
    assert!(
        (1..=width + 1).contains(&column),
        "column {column} of a line of {width} characters: {e}"
    );
    let _ = e.to_string();
}
