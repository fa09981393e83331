//! House rules, checked by `cargo test`: generated files are fresh, provider
//! files are canonical and valid. Each failure says which command fixes it.

use crate::codegen::generated_files;
use crate::project_root;

#[test]
fn generated_files_are_fresh() {
    for (path, expected) in generated_files().unwrap() {
        let found = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            found == expected,
            "{} is stale: run `cargo xtask gen`",
            path.display()
        );
    }
}

#[test]
fn ispdb_import_is_fresh() {
    let import = crate::ispdb::import(&project_root().join("third_party/ispdb")).unwrap();
    for (path, expected) in &import.files {
        let found = std::fs::read_to_string(project_root().join(path)).unwrap_or_default();
        assert!(
            &found == expected,
            "{} is stale: run `cargo xtask import-ispdb`",
            path.display()
        );
    }
    let on_disk = std::fs::read_dir(project_root().join("providers/ispdb"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "ron")
        })
        .count();
    let generated = import
        .files
        .keys()
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .count();
    assert_eq!(
        on_disk, generated,
        "providers/ispdb holds files the import does not produce: run `cargo xtask import-ispdb`"
    );
}

#[test]
fn provider_files_are_valid_and_canonical() {
    if let Err(errors) = crate::catalog::check_all(false) {
        panic!(
            "run `cargo xtask validate` (and `--fix` for canonical form):\n\n{}",
            errors.join("\n\n")
        );
    }
}

#[test]
fn canonical_form_errors_name_the_first_differing_line() {
    let found = "Provider(\n    id: \"x\",\n  name: \"X\",\n)\n";
    let expected = "Provider(\n    id: \"x\",\n    name: \"X\",\n)\n";
    assert_eq!(
        crate::catalog::canonical_error("providers/x.ron", found, expected),
        "providers/x.ron:3:1: the file is not in canonical form: expected `    name: \"X\",`, found `  name: \"X\",`\n  help: run `cargo xtask validate --fix` to rewrite it"
    );
    assert_eq!(
        crate::catalog::canonical_error("providers/x.ron", "Provider(\n)", "Provider(\n)\n"),
        "providers/x.ron:3:1: the file is not in canonical form: it must end with exactly one newline\n  help: run `cargo xtask validate --fix` to rewrite it"
    );
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut missing = Vec::new();
    for dir in ["crates", "xtask"] {
        let mut stack = vec![project_root().join(dir)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if !path.ends_with("snapshots") {
                        stack.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    if !text.starts_with("//!") {
                        missing.push(crate::relative(&path));
                    }
                }
            }
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "start these files with a `//!` comment saying what they hold: {missing:?}"
    );
}
