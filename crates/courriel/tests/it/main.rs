//! Tests of the `courriel` tool, run as a user runs it.

mod check;
mod lookup;
mod mailer;
mod providers;
mod rules;
mod send;

use std::process::{Command, Output};

/// Runs the `courriel` binary with `args`.
pub(crate) fn courriel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_courriel"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the courriel binary runs")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 output")
}
