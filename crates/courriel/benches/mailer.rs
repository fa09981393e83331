//! Placeholder, filled in by the Mailer benchmark.

fn main() {}
