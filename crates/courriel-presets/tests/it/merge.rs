//! Merging providers from several sources: tiers, overrides, determinism,
//! directories and `inventory` registrations.

use courriel_presets::{Catalog, Claim, Tier};

use crate::provider;

#[test]
fn curated_takes_domains_from_imported_and_reports_it() {
    let imported = provider("old", &["a.example", "b.example"], &["*.mx.example"]);
    let curated = provider("new", &["a.example"], &["*.mx.example"]);
    let c = Catalog::builder()
        .add_ron_with_tier("ispdb/old.ron", imported, Tier::Imported)
        .add_ron("new.ron", curated)
        .build()
        .unwrap();
    assert_eq!(c.lookup("a.example").unwrap().id, "new");
    assert_eq!(c.lookup("b.example").unwrap().id, "old");
    assert_eq!(c.lookup_mx("mx1.mx.example").unwrap().id, "new");
    assert_eq!(
        c.get("old").unwrap().domains,
        ["b.example"],
        "the imported provider keeps what nobody took"
    );
    let claims: Vec<String> = c.shadowed().iter().map(ToString::to_string).collect();
    assert_eq!(
        claims,
        [
            "domain `a.example` goes to `new`, not `old`",
            "MX pattern `*.mx.example` goes to `new`, not `old`"
        ]
    );
    assert!(c.superseded().is_empty());
}

#[test]
fn a_curated_file_never_drops_what_the_import_knew_without_saying_why() {
    // The curated file takes the imported one's id, so all of it: the
    // domain and MX pattern it does not take would be lost.
    let imported = provider(
        "gandi.net",
        &["gandi.net", "mail.example"],
        &["*.gandi.net"],
    );
    let curated = provider("gandi.net", &["mail.example"], &[]);
    let c = Catalog::builder()
        .add_ron_with_tier("ispdb/gandi.net.ron", imported.clone(), Tier::Imported)
        .add_ron("gandi.net.ron", curated.clone())
        .build()
        .unwrap();
    let left: Vec<String> = c.left_behind().iter().map(ToString::to_string).collect();
    assert_eq!(
        left,
        [
            "gandi.net.ron:4:14: `gandi.net` shadows the imported `gandi.net` (ispdb/gandi.net.ron) but leaves its domain `gandi.net`\n  help: add it to `domains` if `gandi.net` serves it, or to `not_taken` with the reason (`not_taken: [(\"...\", \"why\")]`): the import's mail domains are never dropped silently",
            "gandi.net.ron:1:1: `gandi.net` shadows the imported `gandi.net` (ispdb/gandi.net.ron) but leaves its MX pattern `*.gandi.net`\n  help: add it to `mx` if `gandi.net` serves it, or to `not_taken` with the reason (`not_taken: [(\"...\", \"why\")]`): the import's MX patterns are never dropped silently",
        ]
    );
    assert!(
        c.lookup("x@gandi.net").is_none(),
        "what is reported is lost"
    );

    // Saying why in the file settles it; taking the claim does too.
    let said = curated.replace(
        "    smtp: [",
        "    not_taken: [\n        (\"gandi.net\", \"the company's own staff domain, not a mailbox offer\"),\n    ],\n    smtp: [",
    );
    let said = said.replace(
        "        \"mail.example\",\n",
        "        \"mail.example\",\n    ],\n    mx: [\n        \"*.gandi.net\",\n",
    );
    let c = Catalog::builder()
        .add_ron_with_tier("ispdb/gandi.net.ron", imported, Tier::Imported)
        .add_ron("gandi.net.ron", said)
        .build()
        .unwrap();
    assert_eq!(c.left_behind(), []);
}

#[test]
fn what_an_imported_provider_keeps_is_not_left_behind() {
    // A curated file with an id of its own takes one domain; the other
    // stays with the imported provider and still resolves.
    let imported = provider("old", &["a.example", "b.example"], &[]);
    let curated = provider("new", &["a.example"], &[]);
    let c = Catalog::builder()
        .add_ron_with_tier("ispdb/old.ron", imported, Tier::Imported)
        .add_ron("new.ron", curated)
        .build()
        .unwrap();
    assert_eq!(c.left_behind(), []);
    assert_eq!(c.lookup("b.example").unwrap().id, "old");
}

#[test]
fn an_imported_provider_that_loses_every_claim_is_superseded() {
    let imported = provider("old", &["a.example"], &[]);
    let curated = provider("new", &["a.example"], &[]);
    let c = Catalog::builder()
        .add_ron_with_tier("ispdb/old.ron", imported, Tier::Imported)
        .add_ron("new.ron", curated)
        .build()
        .unwrap();
    assert!(c.get("old").is_none());
    assert_eq!(c.superseded(), ["old"]);
    assert_eq!(c.providers().len(), 1);
}

#[test]
fn an_explicit_override_replaces_a_curated_provider_with_the_same_id() {
    let mut mine =
        courriel_presets::check_file("acme.ron", &provider("acme", &["acme.example"], &[]))
            .unwrap();
    mine.name = "Acme (our relay)".into();
    let c = Catalog::builder()
        .add_ron("acme.ron", provider("acme", &["acme.example"], &[]))
        .add_provider_overriding(&mine)
        .build()
        .unwrap();
    assert_eq!(c.lookup("acme.example").unwrap().name, "Acme (our relay)");
    assert_eq!(c.lookup("acme.example").unwrap().tier, Tier::Override);
    assert_eq!(c.shadowed()[0].claim, Claim::Id("acme".into()));
}

#[test]
fn merging_does_not_depend_on_the_order_sources_are_added() {
    let a = || provider("a", &["a.example", "shared.example"], &[]);
    let b = || provider("b", &["b.example", "shared.example"], &[]);
    let one = Catalog::builder()
        .add_ron_with_tier("a.ron", a(), Tier::Imported)
        .add_ron_with_tier("b.ron", b(), Tier::Imported)
        .build();
    let two = Catalog::builder()
        .add_ron_with_tier("b.ron", b(), Tier::Imported)
        .add_ron_with_tier("a.ron", a(), Tier::Imported)
        .build();
    assert_eq!(
        one.unwrap_err(),
        two.unwrap_err(),
        "the same error whatever the order"
    );

    let c = || provider("c", &["shared.example"], &[]);
    let one = Catalog::builder()
        .add_ron_with_tier("a.ron", a(), Tier::Imported)
        .add_ron("c.ron", c())
        .build()
        .unwrap();
    let two = Catalog::builder()
        .add_ron("c.ron", c())
        .add_ron_with_tier("a.ron", a(), Tier::Imported)
        .build()
        .unwrap();
    assert_eq!(one.lookup("shared.example").unwrap().id, "c");
    assert_eq!(two.lookup("shared.example").unwrap().id, "c");
    assert_eq!(one.shadowed(), two.shadowed());
    let ids = |c: &Catalog| c.providers().map(|p| p.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&one), ids(&two));
}

#[test]
fn providers_from_a_directory_at_run_time() {
    let dir = std::env::temp_dir().join(format!("courriel-presets-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("acme.ron"),
        provider("acme", &["acme.example"], &[]),
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not a provider").unwrap();
    let c = Catalog::builder().builtin().add_dir(&dir).build().unwrap();
    assert_eq!(
        c.lookup("jean@acme.example").unwrap().origin,
        dir.join("acme.ron").display().to_string()
    );
    assert!(
        c.lookup("yahoo.fr").is_some(),
        "the built-in providers are still there"
    );

    std::fs::write(dir.join("broken.ron"), "Provider(id: \"broken\",").unwrap();
    let err = Catalog::builder().add_dir(&dir).build().unwrap_err();
    assert!(err.errors[0].file.ends_with("broken.ron"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();

    let missing = Catalog::builder()
        .add_dir(dir.join("nope"))
        .build()
        .unwrap_err();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
}

courriel_presets::register_provider!(
    "tests/registered.ron",
    r#"Provider(
    id: "registered",
    name: "Registered by a crate",
    domains: ["registered.example"],
    smtp: [Server(host: "smtp.registered.example", port: 587, security: Starttls, username: Address)],
    sender_policy: AnySender,
    auth: Password,
    sent_copy: Unknown,
    source: ["https://registered.example/help"],
    last_checked: "2026-11-29",
)"#
);

#[test]
fn providers_registered_through_inventory() {
    let c = Catalog::with_registered().unwrap();
    assert_eq!(
        c.lookup("x@registered.example").unwrap().origin,
        "tests/registered.ron"
    );
    assert!(c.lookup("yahoo.fr").is_some());
    assert!(
        Catalog::builtin().lookup("registered.example").is_none(),
        "the built-in catalog alone does not include it"
    );
}
