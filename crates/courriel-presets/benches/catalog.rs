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
        "built-in catalog: {} files, {} KiB, {} providers, {} mail domains, {} MX patterns, {} MX domains",
        files.len(),
        bytes / 1024,
        catalog.providers().len(),
        catalog.domain_count(),
        catalog.mx_pattern_count(),
        catalog.mx_domain_count()
    );
    report(
        "parse + check + index the whole catalog",
        median(samples),
        Duration::from_millis(5),
    );
    // Where that goes: the RON parsing alone, then with the per-file
    // checks, on one thread (the catalog spreads both over the cores).
    let one_thread = |work: &dyn Fn(&str, &str) -> bool| {
        let mut samples = Vec::new();
        for _ in 0..50 {
            let start = Instant::now();
            for &(name, text) in files {
                black_box(work(name, text));
            }
            samples.push(start.elapsed());
        }
        median(samples)
    };
    let parse = one_thread(&|_, text| courriel_presets::ProviderFile::parse(text).is_ok());
    let check = one_thread(&|name, text| courriel_presets::check_file(name, text).is_ok());
    let mut samples = Vec::new();
    for _ in 0..50 {
        let builder = Catalog::builder().builtin();
        let start = Instant::now();
        black_box(builder.build().expect("valid"));
        samples.push(start.elapsed());
    }
    let merge = median(samples);
    println!(
        "  of which: on one thread, RON parsing {parse:.3?}, parsing and checking {check:.3?}; merging and indexing {merge:.3?}"
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
    let mix = |i: usize| catalog.lookup(inputs[i % inputs.len()]).is_some();
    report(
        "lookup (mix of 8 inputs, hits and misses)",
        per_call(mix),
        Duration::from_micros(1),
    );
    let one = |_| catalog.lookup("isabelle.martin@yahoo.fr").is_some();
    report(
        "lookup (isabelle.martin@yahoo.fr)",
        per_call(one),
        Duration::from_micros(1),
    );
    let mx = |_| catalog.lookup_mx("mx1.mail.ovh.net").is_some();
    report(
        "lookup by MX (mx1.mail.ovh.net)",
        per_call(mx),
        Duration::from_micros(1),
    );
    // No pattern names it: found through its registrable domain (public
    // suffix list), `rzone.de`, Strato's.
    let by_domain = |_| catalog.lookup_mx("smtpin.rzone.de").is_some();
    report(
        "lookup by MX through its domain (smtpin.rzone.de)",
        per_call(by_domain),
        Duration::from_micros(2),
    );
}

/// Median time of one call of `f`, over 9 runs of 200,000 calls.
fn per_call(f: impl Fn(usize) -> bool) -> Duration {
    const ROUNDS: u32 = 200_000;
    let mut samples = Vec::new();
    for _ in 0..9 {
        let start = Instant::now();
        for i in 0..ROUNDS as usize {
            black_box(f(black_box(i)));
        }
        samples.push(start.elapsed() / ROUNDS);
    }
    median(samples)
}
