//! House rules, checked by `cargo test`: generated files are fresh, provider
//! files are canonical and valid, published crates include only their own
//! files. Each failure says which command fixes it.

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
    let on_disk = std::fs::read_dir(project_root().join(crate::PROVIDERS).join("ispdb"))
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
        on_disk,
        generated,
        "{}/ispdb holds files the import does not produce: run `cargo xtask import-ispdb`",
        crate::PROVIDERS
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

/// `cargo publish` packages a crate's own directory only: a file that a
/// published crate includes from outside it (`include_str!("../../../x")`)
/// is missing from its package, which then does not build. CI packages
/// without the verifying build (too slow), so this is checked here.
#[test]
fn published_crates_include_only_their_own_files() {
    let mut outside = Vec::new();
    for entry in std::fs::read_dir(project_root().join("crates")).unwrap() {
        let crate_dir = entry.unwrap().path();
        let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
        if manifest.lines().any(|l| l.trim() == "publish = false") {
            continue;
        }
        let mut stack = vec![crate_dir.join("src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for included in included_paths(&text) {
                        let resolved = normalize(&path.parent().unwrap().join(&included));
                        if !resolved.starts_with(&crate_dir) || !resolved.is_file() {
                            outside.push(format!("{}: {included}", crate::relative(&path)));
                        }
                    }
                }
            }
        }
    }
    outside.sort();
    assert!(
        outside.is_empty(),
        "these files include files that are not inside their crate, so the published \
         package would not build: move the files into the crate (`cargo xtask gen` \
         regenerates the provider list): {outside:#?}"
    );
}

/// The literal paths given to `include_str!`, `include_bytes!`, `include!`
/// and `#[path = ...]` in a Rust file.
fn included_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for opener in [
        "include_str!(\"",
        "include_bytes!(\"",
        "include!(\"",
        "#[path = \"",
    ] {
        for (at, _) in text.match_indices(opener) {
            let rest = &text[at + opener.len()..];
            if let Some(end) = rest.find('"') {
                paths.push(rest[..end].to_string());
            }
        }
    }
    paths
}

/// `path` with its `.` and `..` components resolved, without the file
/// system (a missing file stays missing).
fn normalize(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[test]
fn included_paths_are_found() {
    let text = "const A: &str = include_str!(\"../data/a.txt\");\n\
                #[path = \"x.rs\"]\nmod y;\n\
                static B: &[u8] = include_bytes!(\"b.bin\");";
    assert_eq!(included_paths(text), ["../data/a.txt", "b.bin", "x.rs"]);
}
