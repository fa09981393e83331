//! Every check of a provider file, with the exact message a contributor reads.

use courriel_presets::{Catalog, check_file};

use crate::ACME;

/// The errors `check_file` reports for `ACME` changed by `from` → `to`.
fn errors(from: &str, to: &str) -> Vec<String> {
    assert!(ACME.contains(from), "the fixture has no `{from}`");
    let text = ACME.replacen(from, to, 1);
    match check_file("providers/acme.ron", &text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn error(from: &str, to: &str) -> String {
    let all = errors(from, to);
    assert_eq!(all.len(), 1, "expected one error, got {all:#?}");
    all.into_iter().next().unwrap()
}

#[test]
fn the_fixture_is_valid() {
    assert_eq!(errors("", ""), Vec::<String>::new());
}

#[test]
fn syntax_error() {
    assert_eq!(
        error("    auth: Password,", "    auth: Password"),
        "providers/acme.ron:15:5: a `,` is missing before this point\n  help: end the previous field or list item with `,`"
    );
}

#[test]
fn unknown_field() {
    assert_eq!(
        error(
            "    auth: Password,",
            "    auth: Password,\n    colour: \"blue\","
        ),
        "providers/acme.ron:15:5: unknown field `colour` in `Provider`\n  help: remove it or correct its name: the fields are `id`, `name`, `domains`, `mx`, `not_taken`, `smtp`, `imap`, `sender_policy`, `auth`, `oauth2`, `sent_copy`, `sent_folder`, `status`, `hint`, `documentation`, `source`, `last_checked`"
    );
}

#[test]
fn missing_field() {
    assert_eq!(
        error("    sent_copy: ClientFiles,\n", ""),
        "providers/acme.ron:19:1: the field `sent_copy` is missing from `Provider`\n  help: add `sent_copy: ...`; providers/README.md says what it holds"
    );
}

#[test]
fn duplicate_field() {
    assert_eq!(
        error(
            "    auth: Password,",
            "    auth: Password,\n    auth: Password,"
        ),
        "providers/acme.ron:15:5: the field `auth` is given twice\n  help: keep only one of them"
    );
}

#[test]
fn unknown_enum_value() {
    assert_eq!(
        error("security: ImplicitTls", "security: Tls"),
        "providers/acme.ron:8:64: `Tls` is not a valid value for `security`\n  help: write one of `ImplicitTls`, `Starttls`"
    );
}

#[test]
fn port_out_of_range() {
    assert_eq!(
        error("port: 465", "port: 70000"),
        "providers/acme.ron:8:49: this number is out of range\n  help: a port is a number from 1 to 65535"
    );
}

#[test]
fn id_differs_from_file_name() {
    assert_eq!(
        error("id: \"acme\"", "id: \"acme-mail\""),
        "providers/acme.ron:2:9: the id `acme-mail` differs from the file name `acme.ron`\n  help: write `id: \"acme\"`, or rename the file to `acme-mail.ron`"
    );
}

#[test]
fn id_with_bad_characters() {
    let all = errors("id: \"acme\"", "id: \"Acme_Mail\"");
    assert_eq!(
        all,
        [
            "providers/acme.ron:2:9: the id `Acme_Mail` has characters other than a-z, 0-9, `-` and `.`\n  help: use lower-case letters, digits, `-` and `.` only, starting with a letter or digit",
            "providers/acme.ron:2:9: the id `Acme_Mail` differs from the file name `acme.ron`\n  help: write `id: \"acme\"`, or rename the file to `Acme_Mail.ron`"
        ]
    );
}

#[test]
fn empty_name() {
    assert_eq!(
        error("name: \"Acme Mail\"", "name: \" \""),
        "providers/acme.ron:3:11: the display name is empty\n  help: write the provider's name as users know it, e.g. `name: \"Yahoo Mail\"`"
    );
}

#[test]
fn domain_not_canonical() {
    assert_eq!(
        error("\"acme.example\"", "\"Acme.Example.\""),
        "providers/acme.ron:5:9: the mail domain `Acme.Example.` is not in canonical form\n  help: write `acme.example` (lower case, ASCII `xn--` form, no trailing dot)"
    );
}

#[test]
fn unicode_domain_must_be_written_in_ascii() {
    assert_eq!(
        error("\"acme.example\"", "\"bücher.example\""),
        "providers/acme.ron:5:9: the mail domain `bücher.example` is not in canonical form\n  help: write `xn--bcher-kva.example` (lower case, ASCII `xn--` form, no trailing dot)"
    );
}

#[test]
fn invalid_domain() {
    assert_eq!(
        error("\"acme.example\"", "\"acme..example\""),
        "providers/acme.ron:5:9: `acme..example` is not a valid mail domain: the domain has an empty label (two dots in a row, or a leading dot)\n  help: write the mail domain as a DNS name such as `example.com`"
    );
}

#[test]
fn single_label_domain() {
    assert_eq!(
        error("\"acme.example\"", "\"localhost\""),
        "providers/acme.ron:5:9: the mail domain `localhost` has a single label\n  help: write the full mail domain, with its top-level domain (e.g. `example.com`)"
    );
}

#[test]
fn unsorted_domains() {
    assert_eq!(
        error(
            "\"acme.example\",",
            "\"acme.example\",\n        \"acme.dev\","
        ),
        "providers/acme.ron:6:9: `domains` is not sorted: `acme.dev` comes after `acme.example`\n  help: sort the list, or run `cargo xtask validate --fix`"
    );
}

#[test]
fn duplicate_domain() {
    assert_eq!(
        error(
            "\"acme.example\",",
            "\"acme.example\",\n        \"acme.example\","
        ),
        "providers/acme.ron:6:9: `acme.example` is listed twice in `domains`\n  help: remove the second one"
    );
}

#[test]
fn bad_mx_pattern() {
    assert_eq!(
        error(
            "    smtp: [",
            "    mx: [\"mx*.acme.example\"],\n    smtp: ["
        ),
        "providers/acme.ron:7:10: the MX pattern `mx*.acme.example` has a `*` other than a leading `*.`\n  help: write an exact host (`mx.zoho.eu`) or `*.` followed by a suffix (`*.mail.ovh.net`)"
    );
}

#[test]
fn no_domain_and_no_mx() {
    assert_eq!(
        error("        \"acme.example\",\n", ""),
        "providers/acme.ron:4:14: the provider has no mail domain and no MX pattern, so no address can ever find it\n  help: list its users' mail domains in `domains`, or the MX hosts of the custom domains it hosts in `mx`"
    );
}

#[test]
fn no_smtp_server() {
    assert_eq!(
        error(
            "        Server(host: \"smtp.acme.example\", port: 465, security: ImplicitTls, username: Address),\n",
            ""
        ),
        "providers/acme.ron:7:11: no SMTP server is listed\n  help: list at least one SMTP submission server, most preferred first"
    );
}

#[test]
fn invalid_host() {
    assert_eq!(
        error("\"smtp.acme.example\"", "\"smtp acme.example\""),
        "providers/acme.ron:8:22: `smtp acme.example` is not a valid host name: the character ' ' cannot appear in a domain (letters, digits, `-` and `.` only)\n  help: write the host name as a DNS name such as `example.com`"
    );
}

#[test]
fn a_per_domain_host_is_labels_then_the_slot() {
    assert_eq!(
        errors("\"smtp.acme.example\"", "\"mail.{domain}\""),
        Vec::<String>::new()
    );
    assert_eq!(
        error("\"smtp.acme.example\"", "\"{domain}.acme.example\""),
        "providers/acme.ron:8:22: `{domain}.acme.example` is not a host name nor a per-domain host\n  help: write a host name (`mail.example.com`), or labels followed by `.{domain}` (`mail.{domain}`) when the user's own domain names the server"
    );
    assert_eq!(
        error("\"smtp.acme.example\"", "\"{domain}\""),
        "providers/acme.ron:8:22: `{domain}` is not a host name nor a per-domain host\n  help: write a host name (`mail.example.com`), or labels followed by `.{domain}` (`mail.{domain}`) when the user's own domain names the server"
    );
    assert_eq!(
        error("\"smtp.acme.example\"", "\"Mail.{domain}\""),
        "providers/acme.ron:8:22: the host name `Mail.{domain}` is not in canonical form\n  help: write `mail.{domain}` (lower case, ASCII `xn--` form)"
    );
}

#[test]
fn not_taken_needs_a_reason_and_a_claim_not_taken() {
    let with = |entries: &str| {
        errors(
            "    smtp: [",
            &format!("    not_taken: [\n{entries}    ],\n    smtp: ["),
        )
    };
    assert_eq!(
        with("        (\"old.example\", \"a brand closed in 2015\"),\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        with("        (\"old.example\", \" \"),\n"),
        [
            "providers/acme.ron:8:9: no reason is given for leaving `old.example`\n  help: say why the provider does not serve it (e.g. `a brand closed in 2015, its addresses no longer receive mail`)"
        ]
    );
    assert_eq!(
        with("        (\"acme.example\", \"why\"),\n"),
        [
            "providers/acme.ron:8:9: `acme.example` is taken by this file and listed in `not_taken`\n  help: remove it from `not_taken`, or from `domains` / `mx`"
        ]
    );
    assert_eq!(
        with("        (\"a b\", \"why\"),\n"),
        [
            "providers/acme.ron:8:9: `a b` is not a valid domain or MX pattern: the character ' ' cannot appear in a domain (letters, digits, `-` and `.` only)\n  help: write the domain or MX pattern as a DNS name such as `example.com`"
        ]
    );
}

#[test]
fn port_zero() {
    assert_eq!(
        error("port: 465", "port: 0"),
        "providers/acme.ron:8:49: port 0 is not a port\n  help: use 465 (implicit TLS) or 587 (STARTTLS)"
    );
}

#[test]
fn port_25_is_refused() {
    assert_eq!(
        error("port: 465", "port: 25"),
        "providers/acme.ron:8:49: port 25 is for server-to-server relay, not for submission by a user\n  help: use port 465 with `security: ImplicitTls`, or 587 with `security: Starttls`"
    );
}

#[test]
fn imap_port_on_smtp_server() {
    assert_eq!(
        error("port: 465", "port: 993"),
        "providers/acme.ron:8:49: port 993 is not an SMTP port\n  help: use 465 with `security: ImplicitTls`, or 587 with `security: Starttls`"
    );
}

#[test]
fn smtp_port_on_imap_server() {
    assert_eq!(
        error("port: 993", "port: 587"),
        "providers/acme.ron:11:49: port 587 is not an IMAP port\n  help: use 993 with `security: ImplicitTls`, or 143 with `security: Starttls`"
    );
}

#[test]
fn implicit_tls_port_with_starttls() {
    assert_eq!(
        error(
            "port: 465, security: ImplicitTls",
            "port: 465, security: Starttls"
        ),
        "providers/acme.ron:8:64: port 465 is implicit TLS, but `security` is `Starttls`\n  help: write `security: ImplicitTls`, or use port 587 for STARTTLS"
    );
}

#[test]
fn starttls_port_with_implicit_tls() {
    assert_eq!(
        error(
            "port: 993, security: ImplicitTls",
            "port: 143, security: ImplicitTls"
        ),
        "providers/acme.ron:11:64: port 143 is STARTTLS, but `security` is `ImplicitTls`\n  help: write `security: Starttls`, or use port 993 for implicit TLS"
    );
}

#[test]
fn other_ports_are_allowed_with_either_security() {
    assert_eq!(errors("port: 465", "port: 2465"), Vec::<String>::new());
}

#[test]
fn duplicate_server() {
    let line = "        Server(host: \"imap.acme.example\", port: 993, security: ImplicitTls, username: Address),\n";
    assert_eq!(
        error(line, &format!("{line}{line}")),
        "providers/acme.ron:12:9: this server is listed twice\n  help: remove the second one"
    );
}

#[test]
fn no_source() {
    assert_eq!(
        error("        \"https://acme.example/help\",\n", ""),
        "providers/acme.ron:16:13: no source is given for these settings\n  help: list the pages (https URLs) where the provider documents each setting"
    );
}

#[test]
fn source_not_https() {
    assert_eq!(
        error(
            "\"https://acme.example/help\"",
            "\"http://acme.example/help\""
        ),
        "providers/acme.ron:17:9: the source `http://acme.example/help` is not an https URL\n  help: give the address of the page that documents the settings, starting with `https://`"
    );
}

#[test]
fn documentation_not_https() {
    assert_eq!(
        error(
            "    source: [",
            "    documentation: \"acme.example/help\",\n    source: ["
        ),
        "providers/acme.ron:16:20: the documentation `acme.example/help` is not an https URL\n  help: give the address of the provider's help page, starting with `https://`"
    );
}

#[test]
fn bad_date() {
    assert_eq!(
        error("\"2026-11-29\"", "\"2026-02-30\""),
        "providers/acme.ron:19:19: `2026-02-30` is not a date in the form YYYY-MM-DD\n  help: write the day the settings were last checked against `source`, e.g. `last_checked: \"2026-11-29\"`"
    );
}

#[test]
fn empty_sent_folder() {
    assert_eq!(
        error("    source: [", "    sent_folder: \"\",\n    source: ["),
        "providers/acme.ron:16:18: the Sent folder name is empty\n  help: write the folder's raw IMAP name, or remove the field"
    );
}

#[test]
fn empty_hint() {
    assert_eq!(
        error(
            "    source: [",
            "    hint: Hint(en: \"Use an app password.\", fr: \"\"),\n    source: ["
        ),
        "providers/acme.ron:16:48: the `fr` hint is empty\n  help: write the hint in every language, or remove `hint`"
    );
}

#[test]
fn domain_claimed_by_two_files() {
    let other = crate::provider("other", &["acme.example", "other.example"], &[]);
    let err = Catalog::builder()
        .add_ron("providers/acme.ron", ACME)
        .add_ron("providers/other.ron", other)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "providers/other.ron:5:9: the domain `acme.example` is also claimed by `acme` (providers/acme.ron:5:9)\n  help: a claim belongs to one provider: remove it from one of the two files, or load one of them as an override"
    );
}

#[test]
fn mx_pattern_claimed_by_two_files() {
    let a = crate::provider("acme", &["acme.example"], &["*.mx.example"]);
    let b = crate::provider("other", &["other.example"], &["*.mx.example"]);
    let err = Catalog::builder()
        .add_ron("providers/acme.ron", a)
        .add_ron("providers/other.ron", b)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "providers/other.ron:8:9: the MX pattern `*.mx.example` is also claimed by `acme` (providers/acme.ron:8:9)\n  help: a claim belongs to one provider: remove it from one of the two files, or load one of them as an override"
    );
}

#[test]
fn id_used_twice() {
    let b = crate::provider("acme", &["other.example"], &[]);
    let err = Catalog::builder()
        .add_ron("providers/acme.ron", ACME)
        .add_ron("more/acme.ron", b)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "providers/acme.ron:2:9: the id `acme` is also used by more/acme.ron:2:9\n  help: a claim belongs to one provider: remove it from one of the two files, or load one of them as an override"
    );
}

/// The errors `check_file` reports for `ACME` with its `oauth2` block,
/// changed by `from` → `to` (in the block when it holds `from`).
fn oauth2_errors(from: &str, to: &str) -> Vec<String> {
    let text = crate::acme_with_oauth2();
    assert!(text.contains(from), "the fixture has no `{from}`");
    let text = text.replacen(from, to, 1);
    match check_file("providers/acme.ron", &text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn oauth2_error(from: &str, to: &str) -> String {
    let all = oauth2_errors(from, to);
    assert_eq!(all.len(), 1, "expected one error, got {all:#?}");
    all.into_iter().next().unwrap()
}

#[test]
fn the_oauth2_fixture_is_valid() {
    assert_eq!(oauth2_errors("", ""), Vec::<String>::new());
}

#[test]
fn oauth2_only_without_an_oauth2_block() {
    assert_eq!(
        error("auth: Password", "auth: OAuth2Only"),
        "providers/acme.ron:14:11: `auth` is `OAuth2Only`, but no `oauth2` block says how to sign in\n  help: add `oauth2: OAuth2(...)` after `auth` (providers/README.md lists its fields), or write the `auth` the provider documents"
    );
    assert_eq!(
        oauth2_errors("auth: Password", "auth: OAuth2Only"),
        Vec::<String>::new()
    );
}

#[test]
fn oauth2_endpoint_not_https() {
    assert_eq!(
        oauth2_error(
            "\"https://login.acme.example/{tenant}/token\"",
            "\"http://login.acme.example/{tenant}/token\""
        ),
        "providers/acme.ron:17:20: `token_url` `http://login.acme.example/{tenant}/token` is not an https URL\n  help: give the provider's address for it, starting with `https://`"
    );
}

#[test]
fn oauth2_endpoint_with_a_slot_nothing_fills() {
    assert_eq!(
        oauth2_error("/{tenant}/authorize", "/{region}/authorize"),
        "providers/acme.ron:16:28: `authorization_url` has the slot `{region}`, which nothing fills\n  help: `authorization_url` may hold `{tenant}`; write the value itself, or percent-encode a literal brace (`%7B`)"
    );
    // `{client_id}` is for the admin consent page only.
    assert_eq!(
        oauth2_error("/{tenant}/token", "/{tenant}/token?c={client_id}"),
        "providers/acme.ron:17:20: `token_url` has the slot `{client_id}`, which nothing fills\n  help: `token_url` may hold `{tenant}`; write the value itself, or percent-encode a literal brace (`%7B`)"
    );
}

#[test]
fn oauth2_endpoint_with_an_unpaired_brace() {
    assert_eq!(
        oauth2_error("/{tenant}/token", "/{tenant/token"),
        "providers/acme.ron:17:20: `token_url` has a `{` or `}` that opens or closes no slot\n  help: `token_url` may hold `{tenant}`; percent-encode a literal brace (`%7B`, `%7D`)"
    );
}

#[test]
fn admin_consent_url_slots() {
    assert_eq!(
        oauth2_error("?client_id={client_id}", "?client_id={client}"),
        "providers/acme.ron:28:28: `admin_consent_url` has the slot `{client}`, which nothing fills\n  help: `admin_consent_url` may hold `{tenant}` and `{client_id}`; write the value itself, or percent-encode a literal brace (`%7B`)"
    );
}

#[test]
fn registration_is_an_https_url_without_slots() {
    assert_eq!(
        oauth2_error(
            "\"https://acme.example/developers\"",
            "\"https://acme.example/{tenant}/developers\""
        ),
        "providers/acme.ron:29:23: `registration` has the slot `{tenant}`, which nothing fills\n  help: `registration` may hold no `{...}` slot; write the value itself, or percent-encode a literal brace (`%7B`)"
    );
}

#[test]
fn tenant_slot_without_default_tenant() {
    assert_eq!(
        oauth2_error("        default_tenant: \"common\",\n", ""),
        "providers/acme.ron:16:28: `{tenant}` is used, but no `default_tenant` says what fills it when the user names none\n  help: add `default_tenant: \"...\"` to the `oauth2` block (Microsoft: `common`, `organizations` or `consumers`)"
    );
}

#[test]
fn bad_default_tenant() {
    assert_eq!(
        oauth2_error("\"common\"", "\"my tenant\""),
        "providers/acme.ron:27:25: the default tenant `my tenant` is not a tenant name\n  help: write a tenant name or id: letters, digits, `-`, `.` and `_` (e.g. `common`)"
    );
}

#[test]
fn no_imap_scope() {
    assert_eq!(
        oauth2_error("            \"https://acme.example/imap\",\n", ""),
        "providers/acme.ron:18:22: no scope grants IMAP access\n  help: list the scopes the provider documents for IMAP, one per line"
    );
}

#[test]
fn no_smtp_scope() {
    assert_eq!(
        oauth2_error("            \"https://acme.example/smtp\",\n", ""),
        "providers/acme.ron:21:22: no scope grants SMTP access\n  help: list the scopes the provider documents for SMTP, one per line"
    );
}

#[test]
fn scope_with_a_space() {
    assert_eq!(
        oauth2_error(
            "\"https://acme.example/smtp\"",
            "\"https://acme.example/smtp offline_access\""
        ),
        "providers/acme.ron:22:13: the scope `https://acme.example/smtp offline_access` is empty or holds a space\n  help: write one scope per string: OAuth2 joins them with spaces"
    );
}

#[test]
fn no_mechanism() {
    assert_eq!(
        oauth2_error("mechanisms: [XOAuth2]", "mechanisms: []"),
        "providers/acme.ron:26:21: no SASL mechanism is listed\n  help: list the mechanisms the provider's IMAP and SMTP servers accept, preferred first: `[XOAuth2]`, `[XOAuth2, OAuthBearer]`"
    );
}

#[test]
fn duplicate_mechanism() {
    assert_eq!(
        oauth2_error("[XOAuth2]", "[XOAuth2, OAuthBearer, XOAuth2]"),
        "providers/acme.ron:26:44: `XOAuth2` is listed twice in `mechanisms`\n  help: remove the second one"
    );
}

#[test]
fn unknown_mechanism() {
    assert_eq!(
        oauth2_error("[XOAuth2]", "[XOAUTH2]"),
        "providers/acme.ron:26:22: `XOAUTH2` is not a valid value for `mechanisms`\n  help: write one of `XOAuth2`, `OAuthBearer`"
    );
}

#[test]
fn oauth2_bad_date() {
    assert_eq!(
        oauth2_error("\"2026-12-07\"", "\"2026-12-32\""),
        "providers/acme.ron:33:23: `2026-12-32` is not a date in the form YYYY-MM-DD\n  help: write the day the OAuth2 settings were last checked against their `source`, e.g. `last_checked: \"2026-12-07\"`"
    );
}

#[test]
fn oauth2_without_source() {
    assert_eq!(
        oauth2_error("            \"https://acme.example/oauth\",\n", ""),
        "providers/acme.ron:30:17: no source is given for the OAuth2 settings\n  help: list the pages (https URLs) where the provider documents its endpoints, scopes and mechanisms"
    );
}

#[test]
fn oauth2_source_not_https() {
    assert_eq!(
        oauth2_error("\"https://acme.example/oauth\"", "\"acme.example/oauth\""),
        "providers/acme.ron:31:13: the source `acme.example/oauth` is not an https URL\n  help: give the address of the page that documents the OAuth2 settings, starting with `https://`"
    );
}

#[test]
fn oauth2_missing_field() {
    assert_eq!(
        oauth2_error("        pkce: Supported,\n", ""),
        "providers/acme.ron:33:5: the field `pkce` is missing from `OAuth2`\n  help: add `pkce: ...`; providers/README.md says what it holds"
    );
}

/// Every problem an `oauth2` block can have at once, as a contributor
/// reads them, each at its own line and column.
#[test]
fn every_oauth2_problem_at_once() {
    let text = crate::acme_with_oauth2()
        .replace("auth: Password", "auth: OAuth2Only")
        .replace(
            "\"https://login.acme.example/{tenant}/authorize\"",
            "\"http://login.acme.example/authorize\"",
        )
        .replace("/{tenant}/token\"", "/{tenant}/{region}/token\"")
        .replace("        default_tenant: \"common\",\n", "")
        .replace("            \"https://acme.example/imap\",\n", "")
        .replace("\"https://acme.example/smtp\"", "\"\"")
        .replace("[XOAuth2]", "[OAuthBearer, OAuthBearer]")
        .replace("{client_id}\"", "{client_id}&x={secret}\"")
        .replace("            \"https://acme.example/oauth\",\n", "")
        .replace("\"2026-12-07\"", "\"07/12/2026\"");
    let errors = check_file("providers/acme.ron", &text).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(format!("{text}\n{}", shown.join("\n")));
}
