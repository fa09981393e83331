//! `cargo xtask`: contributor tasks for courriel. Nothing here ships in the library.
//!
//! Run `cargo xtask help` for the verbs.

mod catalog;
mod codegen;
mod ispdb;
mod mailservers;
#[cfg(test)]
mod tidy;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str = "\
cargo xtask VERB

verbs:
  validate [--fix]        check every provider file (file:line:col for each problem);
                          --fix rewrites files in canonical form
  gen                     regenerate committed generated files (embedded catalog list)
  test [ARGS]             every test: install the test servers and Chromium if missing
                          (apt-get, as root), start them, `cargo test --workspace --features
                          courriel/postgres,courriel-archive/postgres,courriel-cli/postgres
                          ARGS`, stop them
  mail-servers VERB       start|stop|env|status the test servers (Postfix, Dovecot,
                          dnsmasq, PostgreSQL)
  import-ispdb [DIR]      turn Thunderbird's ISPDB (default third_party/ispdb) into
                          crates/courriel-presets/providers/ispdb/*.ron and REPORT.md
  help                    this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["validate"] => catalog::validate(false),
        ["validate", "--fix"] => catalog::validate(true),
        ["gen"] => codegen::generate().map(|changed| {
            println!(
                "{}",
                if changed {
                    "generated files updated"
                } else {
                    "generated files already fresh"
                }
            );
        }),
        ["mail-servers", rest @ ..] => mailservers::run(rest),
        ["test", rest @ ..] => mailservers::test(rest),
        ["import-ispdb"] => ispdb::run(&project_root().join("third_party/ispdb")),
        ["import-ispdb", dir] => ispdb::run(Path::new(dir)),
        [] | ["help" | "--help" | "-h"] => {
            print!("{HELP}");
            Ok(())
        }
        _ => Err(format!("unknown arguments {args:?}\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The provider files, relative to the workspace root: inside the crate
/// that embeds them, so that its published package holds them.
const PROVIDERS: &str = "crates/courriel-presets/providers";

/// The workspace root (this crate's parent directory).
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// A path relative to the project root, with `/` separators, for messages.
fn relative(path: &Path) -> String {
    let root = project_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
