//! How long the built-in catalog takes to parse, and one lookup.
//!
//! `cargo bench -p courriel-presets --bench catalog` prints each figure
//! beside its target (issue #2: whole catalog under 5 ms, a lookup under
//! 1 µs) and the ratio between them. Figures are medians of repeated runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use courriel_presets::Catalog;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn report(what: &str, took: Duration, target: Duration) {
    let ratio = took.as_secs_f64() / target.as_secs_f64();
    let verdict = if took <= target {
        "within target"
    } else {
        "OVER TARGET"
    };
    println!("{what:<48} {took:>12.3?}   target {target:>8.3?}   ratio {ratio:>6.3}   {verdict}");
}

fn main() {
    // Whole catalog: parse, check and index every embedded file, from scratch.
    let files = courriel_presets::builtin_files();
    let bytes: usize = files.iter().map(|(_, text)| text.len()).sum();
    let mut samples = Vec::new();
    let mut catalog = None;
    for _ in 0..200 {
        let start = Instant::now();
        let built = Catalog::builder()
            .builtin()
            .build()
            .expect("the built-in catalog is valid");
        samples.push(start.elapsed());
        catalog = Some(black_box(built));
    }
    let catalog = catalog.expect("built at least once");
    println!(
        "built-in catalog: {} files, {} KiB, {} providers, {} mail domains",
        files.len(),
        bytes / 1024,
        catalog.providers().len(),
        catalog.domain_count()
    );
    report(
        "parse + check + index the whole catalog",
        median(samples),
        Duration::from_millis(5),
    );

    // Lookups: hits by address, by domain with odd case and trailing dot,
    // a Unicode domain (IDNA), and misses.
    let inputs = [
        "isabelle.martin@yahoo.fr",
        "jean.dupont@free.fr",
        "Someone@GMAIL.com.",
        "contact@hotmail.fr",
        "x@bücher.example",
        "contact@boulangerie-martin.fr",
        "orange.fr",
        "x@gmx.de",
    ];
    let rounds = 200_000;
    let mut samples = Vec::new();
    for _ in 0..9 {
        let start = Instant::now();
        for i in 0..rounds {
            black_box(catalog.lookup(black_box(inputs[i % inputs.len()])));
        }
        samples.push(start.elapsed() / u32::try_from(rounds).expect("small"));
    }
    report(
        "lookup (mix of 8 inputs, hits and misses)",
        median(samples),
        Duration::from_micros(1),
    );

    let mut samples = Vec::new();
    for _ in 0..9 {
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(catalog.lookup(black_box("isabelle.martin@yahoo.fr")));
        }
        samples.push(start.elapsed() / u32::try_from(rounds).expect("small"));
    }
    report(
        "lookup (isabelle.martin@yahoo.fr)",
        median(samples),
        Duration::from_micros(1),
    );

    let mut samples = Vec::new();
    for _ in 0..9 {
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(catalog.lookup_mx(black_box("mx1.mail.ovh.net")));
        }
        samples.push(start.elapsed() / u32::try_from(rounds).expect("small"));
    }
    report(
        "lookup by MX (mx1.mail.ovh.net)",
        median(samples),
        Duration::from_micros(1),
    );
}
