//! Discovery wall time with every source at once, against the slowest
//! useful source alone and against the sources one after another, for a
//! custom domain (`boulangerie.test`) whose autoconfig host answers after
//! 300 ms (a far server) and whose servers can also be found by guessing.
//! Needs the project's servers (DNS, Postfix, Dovecot):
//!
//! `cargo xtask mail-servers start && cargo bench -p courriel-discover --bench discover`

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use courriel_core::EmailAddress;
use courriel_discover::{Discovery, Outcome, Search, Source};
use courriel_presets::Catalog;
use courriel_testkit::{AUTOCONFIG_BOULANGERIE, Page, Servers, serve_web_slowly};

const ROUNDS: usize = 15;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let s = Servers::get();
    let web = serve_web_slowly(
        true,
        vec![Page {
            host: "autoconfig.boulangerie.test".into(),
            path: "/mail/config-v1.1.xml".into(),
            body: AUTOCONFIG_BOULANGERIE.into(),
        }],
        Duration::from_millis(300),
    );
    let dns: SocketAddr = format!("{}:{}", s.host, s.dns_port).parse().unwrap();
    let base = Discovery::new(Catalog::builtin().clone())
        .dns_server(dns)
        .extra_ca(std::fs::read(&s.ca).unwrap())
        .map_port(443, web.port)
        .map_port(993, s.imap_tls_port)
        .map_port(143, s.imap_starttls_port)
        .map_port(465, s.smtp_tls_port)
        .map_port(587, s.smtp_starttls_port);
    let address = EmailAddress::parse("jean@boulangerie.test").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let time = |d: &Discovery| {
        let t = Instant::now();
        let report = rt.block_on(d.discover(&address));
        (t.elapsed(), report)
    };
    let mut all = Vec::new();
    let mut alone: Vec<Vec<Duration>> = vec![Vec::new(); Search::ALL.len()];
    let mut useful = [false; Search::ALL.len()];
    for _ in 0..ROUNDS {
        let (elapsed, report) = time(&base);
        assert!(
            matches!(
                report.best.as_ref().map(|b| &b.source),
                Some(Source::Autoconfig { .. })
            ),
            "{report:#?}"
        );
        all.push(elapsed);
        for (i, source) in Search::ALL.iter().enumerate() {
            let (elapsed, report) = time(&base.clone().only(&[*source]));
            useful[i] |= report.attempts.iter().any(|a| a.outcome == Outcome::Found);
            alone[i].push(elapsed);
        }
    }
    let all = median(all);
    let alone: Vec<Duration> = alone.into_iter().map(median).collect();
    let sequential: Duration = alone.iter().sum();
    let (slowest, name) = Search::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| useful[*i])
        .map(|(i, n)| (alone[i], n.as_str()))
        .max()
        .expect("a useful source");
    for (i, source) in Search::ALL.iter().enumerate() {
        println!(
            "{:<10} alone: {:>7.1} ms{}",
            source.as_str(),
            alone[i].as_secs_f64() * 1e3,
            if useful[i] { "  (finds settings)" } else { "" }
        );
    }
    println!(
        "every source at once: {:.1} ms; slowest useful source alone ({name}): {:.1} ms: {:.2}x (target < 1.2x); one after another: {:.1} ms: {:.2}x; medians of {ROUNDS} rounds",
        all.as_secs_f64() * 1e3,
        slowest.as_secs_f64() * 1e3,
        all.as_secs_f64() / slowest.as_secs_f64(),
        sequential.as_secs_f64() * 1e3,
        all.as_secs_f64() / sequential.as_secs_f64()
    );
}
