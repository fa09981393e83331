//! `courriel lookup`: output for every hand-curated provider (snapshots),
//! the JSON contract, and exit codes.

use std::collections::BTreeSet;

use courriel_presets::{Catalog, Tier};
use serde_json::Value;

use crate::{courriel, stderr, stdout};

/// The address (and MX host) each curated provider is looked up with.
fn sample(p: &courriel_presets::Provider) -> Vec<String> {
    if let Some(domain) = p.domains.first() {
        return vec![format!("isabelle.martin@{domain}")];
    }
    let mx = p.mx.first().expect("a provider has domains or MX patterns");
    vec![
        "contact@boulangerie-martin.fr".into(),
        "--mx".into(),
        mx.replace("*.", "mx1."),
    ]
}

#[test]
fn snapshots_of_every_hand_curated_provider() {
    let mut names = BTreeSet::new();
    for p in Catalog::builtin()
        .providers()
        .filter(|p| p.tier == Tier::Curated)
    {
        let mut args = vec!["lookup".to_string()];
        args.extend(sample(p));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = courriel(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let name = format!("lookup_{}", p.id);
        let shown = format!("$ courriel {}\n{}", args.join(" "), stdout(&out));
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(name.clone(), shown);
        });
        names.insert(format!("it__lookup__{name}.snap"));
    }
    // No snapshot left behind by a renamed or removed provider.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with("it__lookup__lookup_")
                && std::path::Path::new(n)
                    .extension()
                    .is_some_and(|e| e == "snap")
        })
        .collect();
    let stale: Vec<_> = on_disk.difference(&names).collect();
    assert!(
        stale.is_empty(),
        "unreferenced snapshots, delete them: {stale:?}"
    );
}

#[test]
fn json_has_the_oauth2_block() {
    let out = courriel(&["lookup", "isabelle.martin@gmail.com", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let oauth2 = &v["provider"]["oauth2"];
    assert_eq!(oauth2["token_url"], "https://oauth2.googleapis.com/token");
    assert_eq!(oauth2["imap_scopes"][0], "https://mail.google.com/");
    assert_eq!(oauth2["authorization_params"]["access_type"], "offline");
    assert_eq!(oauth2["client_secret"], "required");
    assert_eq!(
        oauth2["mechanisms"],
        serde_json::json!(["XOAUTH2", "OAUTHBEARER"])
    );
    assert_eq!(oauth2["device_authorization_url"], Value::Null);
    // A provider without one says so.
    let out = courriel(&["lookup", "jean.dupont@free.fr", "--json"]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["provider"]["oauth2"], Value::Null);
}

#[test]
fn json_has_the_documented_fields() {
    let out = courriel(&["lookup", "isabelle.martin@yahoo.fr", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["provider"]["id"], "yahoo");
    assert_eq!(v["smtp"]["host"], "smtp.mail.yahoo.com");
    assert_eq!(v["smtp"]["port"], 465);
    assert_eq!(v["smtp"]["security"], "implicit-tls");
    assert_eq!(v["smtp"]["username"], "isabelle.martin@yahoo.fr");
    assert_eq!(v["imap"]["host"], "imap.mail.yahoo.com");
    assert_eq!(v["imap"]["port"], 993);
    assert_eq!(v["imap"]["security"], "implicit-tls");
    assert_eq!(v["imap"]["username"], "isabelle.martin@yahoo.fr");
    assert_eq!(v["alternatives"]["smtp"][0]["security"], "starttls");
    assert_eq!(v["provider"]["sender_policy"], "must-match-login");
    assert_eq!(v["source"], "catalog");
    assert_eq!(v["trusted"], true);
}

/// `lookup --discover` against the project's DNS server and test servers.
fn discover(address: &str, extra: &[&str]) -> std::process::Output {
    let s = courriel_testkit::Servers::get();
    let dns = format!("{}:{}", s.host, s.dns_port);
    let ca = s.ca.display().to_string();
    let mut args = vec![
        "lookup",
        address,
        "--discover",
        "--dns",
        &dns,
        "--ca-file",
        &ca,
    ];
    args.extend_from_slice(extra);
    courriel(&args)
}

#[test]
fn discover_finds_a_custom_domain_by_its_mx_and_says_it_is_untrusted() {
    let out = discover("jean@fournil.test", &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["source"], "catalog-via-mx");
    assert_eq!(v["source_detail"], "mx1.mail.ovh.net");
    assert_eq!(v["trusted"], false);
    assert_eq!(v["smtp"]["host"], "ssl0.ovh.net");
    assert_eq!(v["provider"]["name"], "OVHcloud MX Plan");

    let out = discover("jean@fournil.test", &["--lang", "fr"]);
    let text = stdout(&out);
    assert!(
        text.contains("trouvé par : catalog-via-mx (mx1.mail.ovh.net)"),
        "{text}"
    );
    assert!(text.contains("NON, confirmez ces réglages"), "{text}");
}

#[test]
fn discover_finds_a_hoster_by_its_mx_hosts_registrable_domain() {
    // atelier.test's MX is smtpin.rzone.de: no MX pattern names that
    // host, its registrable domain `rzone.de` finds Strato.
    let out = discover("contact@atelier.test", &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["source"], "catalog-via-mx-domain");
    assert_eq!(v["source_detail"], "smtpin.rzone.de");
    assert_eq!(
        v["trusted"], false,
        "another organisation's host: to confirm"
    );
    assert_eq!(v["smtp"]["host"], "smtp.strato.de");
    assert_eq!(v["smtp"]["username"], "contact@atelier.test");
    let out = discover("contact@atelier.test", &[]);
    let text = stdout(&out);
    assert!(
        text.contains("catalog-via-mx-domain (smtpin.rzone.de)"),
        "{text}"
    );
}

#[test]
fn discover_takes_srv_records_inside_the_domain_as_trusted() {
    let s = courriel_testkit::Servers::get();
    let out = discover("jean@srvin.test", &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["source"], "srv");
    assert_eq!(v["trusted"], true);
    assert_eq!(v["imap"]["host"], "imap.srvin.test");
    assert_eq!(v["imap"]["port"], s.imap_tls_port);
}

#[test]
fn discover_says_when_nothing_is_found() {
    let out = discover("jean@nothing.test", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        crate::stderr(&out).contains("no settings found for `nothing.test`"),
        "{}",
        crate::stderr(&out)
    );
    let out = courriel(&["lookup", "jean@nothing.test", "--dns", "127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(2), "--dns needs --discover");
}

#[test]
fn json_for_a_starttls_provider_and_a_local_part_login() {
    let v: Value = serde_json::from_str(&stdout(&courriel(&[
        "lookup",
        "jean.dupont@free.fr",
        "--json",
    ])))
    .unwrap();
    assert_eq!(v["smtp"]["username"], "jean.dupont");
    let v: Value =
        serde_json::from_str(&stdout(&courriel(&["lookup", "x@bbox.fr", "--json"]))).unwrap();
    assert_eq!(v["smtp"]["security"], "starttls");
    assert_eq!(v["smtp"]["port"], 587);
}

#[test]
fn unicode_and_case_find_the_same_provider() {
    let v: Value = serde_json::from_str(&stdout(&courriel(&[
        "lookup",
        "Isabelle@YAHOO.FR.",
        "--json",
    ])))
    .unwrap();
    assert_eq!(v["provider"]["id"], "yahoo");
}

#[test]
fn unknown_domain_exits_1_and_says_so() {
    let out = courriel(&["lookup", "contact@boulangerie-martin.fr"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out)
            .starts_with("courriel: no provider in the catalog for `boulangerie-martin.fr`"),
        "{}",
        stderr(&out)
    );

    let out = courriel(&["lookup", "contact@boulangerie-martin.fr", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["provider"], Value::Null);
}

#[test]
fn invalid_address_is_a_usage_error() {
    for (input, why) in [
        ("isabelle.martin", "the address has no `@`"),
        ("isabelle..martin@yahoo.fr", "two dots in a row"),
        ("isabelle@yahoo..fr", "not a valid domain"),
        ("Isabelle <i@yahoo.fr>", "without a name or angle brackets"),
    ] {
        let out = courriel(&["lookup", input]);
        assert_eq!(out.status.code(), Some(2), "{input}");
        assert!(stderr(&out).contains(why), "{input}: {}", stderr(&out));
    }
    let out = courriel(&["lookup"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing argument is a usage error too"
    );
}

#[test]
fn extra_providers_from_a_directory() {
    let dir = std::env::temp_dir().join(format!("courriel-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let acme = r#"Provider(
    id: "acme",
    name: "Acme Mail",
    domains: ["acme.example"],
    smtp: [Server(host: "smtp.acme.example", port: 465, security: ImplicitTls, username: Address)],
    sender_policy: AnySender,
    auth: Password,
    sent_copy: Unknown,
    source: ["https://acme.example/help"],
    last_checked: "2026-11-29",
)"#;
    std::fs::write(dir.join("acme.ron"), acme).unwrap();
    let d = dir.to_str().unwrap();
    let out = courriel(&["lookup", "x@acme.example", "--providers", d, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    std::fs::write(dir.join("acme.ron"), acme.replace("port: 465", "port: 25")).unwrap();
    let out = courriel(&["lookup", "x@acme.example", "--providers", d]);
    assert_eq!(out.status.code(), Some(3));
    let path = dir.join("acme.ron");
    assert!(
        stderr(&out).contains(&format!(
            "{}:5:52: port 25 is for server-to-server relay",
            path.display()
        )),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Offline, an MX host no pattern names is found by its registrable
/// domain, and the answer says so: `catalog-via-mx-domain`, to confirm.
#[test]
fn an_mx_host_is_found_by_its_domain_offline() {
    let out = courriel(&[
        "lookup",
        "contact@boulangerie-martin.de",
        "--mx",
        "smtpin.rzone.de",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["source"], "catalog-via-mx-domain", "{v}");
    assert_eq!(v["matched"], "mx-domain", "{v}");
    assert_eq!(v["trusted"], false);
    assert_eq!(v["provider"]["id"], "strato");
    let out = courriel(&[
        "lookup",
        "contact@boulangerie-martin.de",
        "--mx",
        "smtpin.rzone.de",
    ]);
    assert!(
        stdout(&out).contains("found by:   the domain of the MX host of boulangerie-martin.de"),
        "{}",
        stdout(&out)
    );
}
