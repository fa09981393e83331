//! House rules, checked by `cargo test`: generated files are fresh, provider
//! files are canonical and valid. Each failure says which command fixes it.

use crate::codegen::generated_files;
use crate::project_root;

#[test]
fn generated_files_are_fresh() {
    for (path, expected) in generated_files().unwrap() {
        let found = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(found == expected, "{} is stale: run `cargo xtask gen`", path.display());
    }
}

#[test]
fn ispdb_import_is_fresh() {
    let import = crate::ispdb::import(&project_root().join("third_party/ispdb")).unwrap();
    for (path, expected) in &import.files {
        let found = std::fs::read_to_string(project_root().join(path)).unwrap_or_default();
        assert!(&found == expected, "{} is stale: run `cargo xtask import-ispdb`", path.display());
    }
    let on_disk = std::fs::read_dir(project_root().join("providers/ispdb")).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "ron")).count();
    let generated = import.files.keys().filter(|p| p.extension().is_some_and(|x| x == "ron")).count();
    assert_eq!(on_disk, generated, "providers/ispdb holds files the import does not produce: run `cargo xtask import-ispdb`");
}

#[test]
fn provider_files_are_valid_and_canonical() {
    if let Err(errors) = crate::catalog::check_all(false) {
        panic!("run `cargo xtask validate` (and `--fix` for canonical form):\n\n{}", errors.join("\n\n"));
    }
}
