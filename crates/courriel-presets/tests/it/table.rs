//! The catalog against data kept beside the tests
//! (`tests/data/*.tsv`): MX hosts of the hosters' customers and the
//! consumer providers' mail domains, each row with the source its
//! expectation comes from.
//!
//! - `mx-hosts-*.tsv`: `mx_host domain provider via smtp imap source`.
//!   `contact@<domain>` with that MX host must be filled in by `provider`,
//!   found by an MX pattern (`mx`) or by the MX host's registrable domain
//!   (`mx-domain`), its first SMTP and IMAP servers `host:port` (`-` for
//!   none).
//! - `consumer-domains.tsv`: `domain provider source`: the domain alone
//!   finds the provider.

use std::path::{Path, PathBuf};

use courriel_core::EmailAddress;
use courriel_presets::{Catalog, Match};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// The rows of a table file (tab-separated, `#` comments, a header line
/// naming the columns), each with its line number.
fn rows(path: &Path, columns: &[&str]) -> Vec<(usize, Vec<String>)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", path.display()));
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'));
    let (n, header) = lines.next().expect("a header line");
    assert_eq!(
        header.split('\t').collect::<Vec<_>>(),
        columns,
        "{}:{n}: the header",
        path.display()
    );
    lines
        .map(|(n, line)| {
            let cells: Vec<String> = line.split('\t').map(|c| c.trim().to_string()).collect();
            assert_eq!(
                cells.len(),
                columns.len(),
                "{}:{n}: {} cells, not {} (tab-separated)",
                path.display(),
                cells.len(),
                columns.len()
            );
            let source = cells.last().unwrap();
            assert!(
                source.starts_with("https://"),
                "{}:{n}: the source is an https URL, not `{source}`",
                path.display()
            );
            (n, cells)
        })
        .collect()
}

fn files(prefix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .expect("tests/data")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "tsv")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    found.sort();
    found
}

fn first(servers: &[courriel_core::ServerSettings]) -> String {
    servers
        .first()
        .map_or_else(|| "-".to_string(), |s| format!("{}:{}", s.host, s.port))
}

#[test]
fn every_mx_host_in_the_table_finds_its_hoster_and_servers() {
    let catalog = Catalog::builtin();
    let mut hosts = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for path in files("mx-hosts") {
        let columns = [
            "mx_host", "domain", "provider", "via", "smtp", "imap", "source",
        ];
        for (n, row) in rows(&path, &columns) {
            let [mx, domain, provider, via, smtp, imap, _source] = &row[..] else {
                unreachable!("rows() checks the cell count")
            };
            let address = EmailAddress::parse(&format!("contact@{domain}"))
                .unwrap_or_else(|e| panic!("{}:{n}: {e}", path.display()));
            let found = catalog.autofill_with_mx(&address, mx).map(|f| {
                let via = match f.matched {
                    Match::Mx => "mx",
                    Match::MxDomain => "mx-domain",
                    Match::Domain => "domain",
                    _ => "other",
                };
                (f.provider.id.clone(), via, first(&f.smtp), first(&f.imap))
            });
            let expected = (provider.clone(), via.as_str(), smtp.clone(), imap.clone());
            if found.as_ref() != Some(&expected) {
                failures.push(format!(
                    "{}:{n}: {mx} for {domain}: expected {expected:?}, found {found:?}",
                    path.display()
                ));
            }
            assert!(
                hosts.insert(mx.clone()),
                "{}:{n}: {mx} is in the table twice: one row per MX host",
                path.display()
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(hosts.len() >= 60, "only {} distinct MX hosts", hosts.len());
}

#[test]
fn every_consumer_domain_in_the_table_finds_its_provider() {
    let catalog = Catalog::builtin();
    let mut domains = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for path in files("consumer-domains") {
        for (n, row) in rows(&path, &["domain", "provider", "source"]) {
            assert!(
                domains.insert(row[0].clone()),
                "{}:{n}: {} is in the table twice",
                path.display(),
                row[0]
            );
            let found = catalog.lookup(&row[0]).map(|p| p.id.as_str());
            if found != Some(row[1].as_str()) {
                failures.push(format!(
                    "{}:{n}: {}: expected {}, found {found:?}",
                    path.display(),
                    row[0],
                    row[1]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        domains.len() >= 60,
        "only {} consumer domains",
        domains.len()
    );
}
