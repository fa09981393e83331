//! `cargo xtask validate`: every provider file parses, passes its checks, is
//! in canonical form, and merges into one catalog.

use courriel_presets::file::{ProviderFile, header};
use courriel_presets::{Catalog, Tier};

use crate::codegen::{generated_files, provider_files, write_if_changed};
use crate::relative;

/// A summary of a valid catalog, printed by `validate`.
pub(crate) struct Summary {
    pub(crate) catalog: Catalog,
    pub(crate) fixed: usize,
}

pub(crate) fn validate(fix: bool) -> Result<(), String> {
    let summary = check_all(fix).map_err(|errors| {
        format!(
            "{} problem(s) in provider files:\n\n{}",
            errors.len(),
            errors.join("\n\n")
        )
    })?;
    let catalog = &summary.catalog;
    let curated = catalog
        .providers()
        .filter(|p| p.tier == Tier::Curated)
        .count();
    println!(
        "{} providers ({curated} hand-curated, {} imported), {} mail domains, {} MX patterns, {} MX domains: all valid",
        catalog.providers().len(),
        catalog.providers().len() - curated,
        catalog.domain_count(),
        catalog.mx_pattern_count(),
        catalog.mx_domain_count(),
    );
    if summary.fixed > 0 {
        println!("rewrote {} file(s) in canonical form", summary.fixed);
    }
    if !catalog.shadowed().is_empty() {
        println!("\nhand-curated files take precedence over imported ones for these claims:");
        let mut groups: std::collections::BTreeMap<(&str, &str), Vec<String>> =
            std::collections::BTreeMap::new();
        for s in catalog.shadowed() {
            groups
                .entry((&s.winner, &s.loser))
                .or_default()
                .push(s.claim.to_string());
        }
        for ((winner, loser), claims) in groups {
            println!(
                "  `{winner}` over `{loser}` ({}): {}",
                claims.len(),
                claims.join(", ")
            );
        }
    }
    if !catalog.superseded().is_empty() {
        println!(
            "\nimported providers left out, every claim taken by a curated one: {}",
            catalog.superseded().join(", ")
        );
    }
    Ok(())
}

/// Checks every provider file and the generated files; with `fix`, rewrites
/// files that are valid but not canonical.
pub(crate) fn check_all(fix: bool) -> Result<Summary, Vec<String>> {
    let mut errors = Vec::new();
    let mut fixed = 0;
    let mut builder = Catalog::builder();
    let files = provider_files().map_err(|e| vec![e])?;
    for path in files {
        let rel = relative(&path);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                errors.push(format!("{rel}:1:1: cannot read: {e}"));
                continue;
            }
        };
        if let Ok(parsed) = ProviderFile::parse(&text) {
            let canonical = parsed.to_canonical(header(&text));
            if canonical != text {
                if fix {
                    match write_if_changed(&path, &canonical) {
                        Ok(_) => fixed += 1,
                        Err(e) => errors.push(e),
                    }
                } else {
                    errors.push(canonical_error(&rel, &text, &canonical));
                }
            }
        }
        let tier = if rel.contains("/ispdb/") {
            Tier::Imported
        } else {
            Tier::Curated
        };
        builder = builder.add_ron_with_tier(rel, text, tier);
    }
    let catalog = match builder.build() {
        Ok(catalog) => {
            errors.extend(catalog.left_behind().iter().map(ToString::to_string));
            Some(catalog)
        }
        Err(e) => {
            errors.extend(e.errors.iter().map(ToString::to_string));
            None
        }
    };
    match generated_files() {
        Ok(generated) => {
            for (path, expected) in generated {
                if std::fs::read_to_string(&path).ok().as_deref() != Some(expected.as_str()) {
                    errors.push(format!(
                        "{}: generated file is stale\n  help: run `cargo xtask gen`",
                        relative(&path)
                    ));
                }
            }
        }
        Err(e) => errors.push(e),
    }
    match catalog {
        Some(catalog) if errors.is_empty() => Ok(Summary { catalog, fixed }),
        _ => Err(errors),
    }
}

/// Names the first line where a file differs from its canonical form.
pub(crate) fn canonical_error(rel: &str, text: &str, canonical: &str) -> String {
    let mut found = text.lines();
    let mut expected = canonical.lines();
    let mut line = 1;
    loop {
        match (found.next(), expected.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (None, None) => {
                return format!(
                    "{rel}:{line}:1: the file is not in canonical form: it must end with exactly one newline\n  help: run `cargo xtask validate --fix` to rewrite it"
                );
            }
            (a, b) => {
                return format!(
                    "{rel}:{line}:1: the file is not in canonical form: expected `{}`, found `{}`\n  help: run `cargo xtask validate --fix` to rewrite it",
                    b.unwrap_or("<end of file>"),
                    a.unwrap_or("<end of file>"),
                );
            }
        }
    }
}
