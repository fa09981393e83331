//! Each validation rule against its fixture (`tests/fixtures/rules/CODE.toml`):
//! cases that must trigger it and cases that must not, with the real
//! catalog; the snapshot holds what a user reads, in English and French.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use courriel::diagnose::facts;
use courriel_core::account::{AccountSettings, Lang};
use courriel_core::dmarc::{DmarcPolicy, SentAs, Why};
use courriel_core::rules::{self, OAuth2Clients, PasswordState, Rule};
use courriel_presets::Catalog;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// `fail`: the rule reports something; `pass`: it does not.
    expect: String,
    /// The MX host of the sender's domain, as discovery would find it.
    mx: Option<String>,
    /// `password_env` variables to treat as unset (all others are set).
    #[serde(default)]
    unset: Vec<String>,
    /// What an online check learnt from the IMAP server, if anything.
    server: Option<Server>,
    /// Whether the account signs in with OAuth2 tokens (no password).
    #[serde(default)]
    oauth2: bool,
    /// The providers the application has an OAuth2 client for (absent: not said).
    oauth2_clients: Option<Vec<String>>,
    /// Mail through the default provider goes out on the user's behalf,
    /// for this reason (`dmarc-reject`...); absent: not said.
    on_behalf: Option<String>,
    account: AccountSettings,
}

/// What the IMAP server told an online check (`Mailer::check`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Server {
    /// Whether the Sent folder (chosen, or `auto`) was found.
    sent_folder_found: bool,
    /// With `auto` and none found: the folder that will be created.
    sent_folder_to_create: Option<String>,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn run(rule: Rule) -> String {
    let path = fixtures().join(format!("{}.toml", rule.code()));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: every rule needs a fixture", path.display()));
    let fixture: Fixture =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let expects: BTreeSet<&str> = fixture.case.iter().map(|c| c.expect.as_str()).collect();
    assert_eq!(
        expects,
        BTreeSet::from(["fail", "pass"]),
        "{}: needs passing and failing cases",
        path.display()
    );

    let mut shown = format!("{} {}\n", rule.code(), rule.name());
    for case in &fixture.case {
        let unset = &case.unset;
        let mut facts = facts(
            Catalog::builtin(),
            &case.account,
            case.mx.as_deref(),
            |name| (!unset.iter().any(|u| u == name)).then(|| "secret".into()),
        );
        if case.oauth2 {
            facts.smtp_password = PasswordState::OAuth2;
            facts.imap_password = PasswordState::OAuth2;
        }
        if let Some(clients) = &case.oauth2_clients {
            facts.oauth2_clients = OAuth2Clients::Registered(clients.clone());
        }
        if let Some(why) = &case.on_behalf {
            facts.default_sender = Some(on_behalf(why));
        }
        if let Some(server) = &case.server {
            facts.sent_folder_found = Some(server.sent_folder_found);
            facts
                .sent_folder_to_create
                .clone_from(&server.sent_folder_to_create);
        }
        let diagnostics = rules::check(&case.account, &facts);
        let own: Vec<_> = diagnostics.iter().filter(|d| d.rule == rule).collect();
        match case.expect.as_str() {
            "fail" => assert!(
                !own.is_empty(),
                "{}: `{}` should trigger {}: got {diagnostics:#?}",
                rule.code(),
                case.name,
                rule.code()
            ),
            "pass" => assert!(
                own.is_empty(),
                "{}: `{}` should not trigger {}: got {own:#?}",
                rule.code(),
                case.name,
                rule.code()
            ),
            other => panic!(
                "{}: expect is `fail` or `pass`, not `{other}`",
                path.display()
            ),
        }
        let _ = writeln!(shown, "\n## {} ({})", case.name, case.expect);
        for d in own {
            for lang in Lang::ALL {
                let text = d.render(lang);
                assert!(
                    !d.message(lang).starts_with('[') && !d.help(lang).starts_with('['),
                    "a message is missing: {text}"
                );
                assert!(!text.contains("{$"), "an argument is missing: {text}");
                let _ = writeln!(shown, "[{}] {text}", lang.code());
            }
        }
    }
    shown
}

/// The application "Facturo" sending on the user's behalf for `why`.
fn on_behalf(why: &str) -> SentAs {
    let why = match why {
        "dmarc-reject" => Why::Dmarc(DmarcPolicy::Reject),
        "dmarc-quarantine" => Why::Dmarc(DmarcPolicy::Quarantine),
        "dmarc-unknown" => Why::DmarcUnknown,
        "policy-always" => Why::PolicyAlways,
        other => panic!("on_behalf: `{other}` is not a reason"),
    };
    SentAs::OnBehalf {
        app_name: "Facturo".into(),
        app_address: "noreply@facturo.fr".parse().unwrap(),
        why,
    }
}

#[test]
fn every_rule_against_its_fixture() {
    let mut failures = Vec::new();
    for rule in Rule::ALL {
        let result = std::panic::catch_unwind(|| run(*rule));
        match result {
            Ok(shown) => {
                insta::with_settings!({ omit_expression => true, snapshot_suffix => rule.code() }, {
                    insta::assert_snapshot!("rule", shown);
                });
            }
            Err(e) => failures.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| rule.code().to_string()),
            ),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_fixture_belongs_to_a_rule() {
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let code = name.strip_suffix(".toml").unwrap_or(&name);
        assert!(
            Rule::from_code(code).is_some(),
            "tests/fixtures/rules/{name} names no rule"
        );
    }
}

/// A hoster whose SMTP server is each customer's own `mail.{domain}`,
/// found by MX: the rules see `mail.<the sender's domain>` as that
/// hoster's server (no "host unknown"), and check its port and username
/// form against the file.
#[test]
fn a_per_customer_host_is_the_hosters_server() {
    let catalog = Catalog::builder()
        .add_ron(
            "cpanel-host.ron",
            r#"Provider(
    id: "cpanel-host",
    name: "cPanel Host",
    domains: [],
    mx: ["*.mx.cpanel-host.example"],
    smtp: [Server(host: "mail.{domain}", port: 465, security: ImplicitTls, username: Address)],
    imap: [Server(host: "mail.{domain}", port: 993, security: ImplicitTls, username: Address)],
    sender_policy: MustMatchLogin,
    auth: Password,
    sent_copy: ClientFiles,
    source: ["https://cpanel-host.example/help"],
    last_checked: "2026-12-07",
)"#,
        )
        .build()
        .unwrap();
    let account = |host: &str, port: u16, security: &str, username: &str| -> AccountSettings {
        toml::from_str(&format!(
            "sender = \"contact@boulangerie-dupont.fr\"\n[smtp]\nhost = \"{host}\"\nport = {port}\nsecurity = \"{security}\"\nusername = \"{username}\"\npassword_env = \"P\"\n"
        ))
        .unwrap()
    };
    let codes = |account: &AccountSettings| -> Vec<&'static str> {
        let facts = facts(
            &catalog,
            account,
            Some("mx1.mx.cpanel-host.example"),
            |_| Some("secret".into()),
        );
        rules::check(account, &facts)
            .iter()
            .map(|d| d.rule.code())
            .collect()
    };
    let right = account(
        "mail.boulangerie-dupont.fr",
        465,
        "implicit-tls",
        "contact@boulangerie-dupont.fr",
    );
    assert_eq!(codes(&right), Vec::<&str>::new());
    // Its own host on a port the file does not document: PR002.
    let port = account(
        "mail.boulangerie-dupont.fr",
        587,
        "starttls",
        "contact@boulangerie-dupont.fr",
    );
    assert_eq!(codes(&port), [Rule::PortDiffersFromProvider.code()]);
    // Its own host with the local part as username: the file says Address.
    let username = account("mail.boulangerie-dupont.fr", 465, "implicit-tls", "contact");
    assert!(codes(&username).contains(&Rule::UsernameWrongForm.code()));
    // Another host: the hoster's server, with the customer's domain, is named.
    let other = account(
        "smtp.boulangerie-dupont.fr",
        465,
        "implicit-tls",
        "contact@boulangerie-dupont.fr",
    );
    let facts = facts(&catalog, &other, Some("mx1.mx.cpanel-host.example"), |_| {
        Some("secret".into())
    });
    let diagnostics = rules::check(&other, &facts);
    let unknown = diagnostics
        .iter()
        .find(|d| d.rule == Rule::HostUnknownToProvider)
        .expect("PR001");
    assert!(
        unknown
            .help(Lang::En)
            .contains("mail.boulangerie-dupont.fr:465"),
        "{}",
        unknown.help(Lang::En)
    );
}
