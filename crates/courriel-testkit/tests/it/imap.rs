//! Dovecot: STARTTLS before login, and the three mailbox layouts as a
//! client sees them on the wire.

use courriel_testkit::{Account, Imap, Servers, TlsMode};

use crate::imap_login;

/// `(name on the wire, delimiter, has \Sent)` for every mailbox, sorted.
fn listing(account: &Account, arguments: &str) -> Vec<(String, Option<char>, bool)> {
    let mut imap = imap_login(account);
    let mut entries: Vec<_> = imap
        .list(arguments)
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.name,
                e.delimiter,
                e.attributes
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case("\\Sent")),
            )
        })
        .collect();
    entries.sort();
    entries
}

fn namespace(account: &Account) -> String {
    let mut imap = imap_login(account);
    let response = imap.command("NAMESPACE").unwrap();
    assert!(response.is_ok());
    response.untagged.join("\n")
}

fn owned(entries: &[(&str, char, bool)]) -> Vec<(String, Option<char>, bool)> {
    entries
        .iter()
        .map(|(n, d, s)| ((*n).to_string(), Some(*d), *s))
        .collect()
}

#[test]
fn layout_a_slash_separator_with_special_use() {
    let a = &Servers::get().special;
    let expected = owned(&[
        ("Drafts", '/', false),
        ("INBOX", '/', false),
        ("Junk", '/', false),
        ("Sent", '/', true),
        ("Trash", '/', false),
        ("Unsent Messages", '/', false),
    ]);
    assert_eq!(listing(a, "\"\" \"*\""), expected);
    assert_eq!(listing(a, "\"\" \"*\" RETURN (SPECIAL-USE)"), expected);
    assert_eq!(namespace(a), "* NAMESPACE ((\"\" \"/\")) NIL NIL");
    let mut imap = imap_login(a);
    let special = imap.list("(SPECIAL-USE) \"\" \"*\"").unwrap();
    assert_eq!(
        special.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["Sent", "Drafts", "Trash", "Junk"]
    );
}

#[test]
fn layout_b_dot_separator_under_inbox_without_special_use() {
    let b = &Servers::get().courier;
    let expected = owned(&[
        ("INBOX", '.', false),
        ("INBOX.Drafts", '.', false),
        ("INBOX.Presentations", '.', false),
        ("INBOX.Sent", '.', false),
        ("INBOX.Trash", '.', false),
    ]);
    assert_eq!(listing(b, "\"\" \"*\""), expected);
    assert_eq!(listing(b, "\"\" \"*\" RETURN (SPECIAL-USE)"), expected);
    assert_eq!(namespace(b), "* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL");
}

#[test]
fn layout_c_localized_names_in_modified_utf7_without_special_use() {
    let c = &Servers::get().localized;
    let expected = owned(&[
        ("&AMk-l&AOk-ments envoy&AOk-s", '/', false),
        ("Brouillons", '/', false),
        ("Corbeille", '/', false),
        ("Gesendet", '/', false),
        ("INBOX", '/', false),
        ("Projets/Envoy&AOk-s au client", '/', false),
    ]);
    let found: Vec<_> = listing(c, "\"\" \"*\"")
        .into_iter()
        .filter(|(n, _, _)| n != "Projets")
        .collect();
    assert_eq!(found, expected);
    assert_eq!(namespace(c), "* NAMESPACE ((\"\" \"/\")) NIL NIL");
}

#[test]
fn login_needs_starttls_first_on_the_plain_port_for_a_remote_client() {
    let s = Servers::get();
    let mut imap = Imap::connect(
        &s.remote_host,
        s.imap_starttls_port,
        &s.tls_name,
        &s.ca,
        TlsMode::Plaintext,
    )
    .unwrap();
    assert!(
        imap.greeting.contains("STARTTLS") && imap.greeting.contains("LOGINDISABLED"),
        "{}",
        imap.greeting
    );
    let refused = imap.login(&s.special.address, &s.special.password).unwrap();
    assert!(refused.status.starts_with("NO"), "{}", refused.status);

    let mut imap = Imap::connect(
        &s.remote_host,
        s.imap_starttls_port,
        &s.tls_name,
        &s.ca,
        TlsMode::Starttls,
    )
    .unwrap();
    assert!(
        imap.login(&s.special.address, &s.special.password)
            .unwrap()
            .is_ok()
    );
}

#[test]
fn a_client_on_the_servers_own_address_counts_as_secured() {
    // Dovecot's rule, kept visible here: tests that need a server refusing
    // plaintext login use `remote_host`.
    let s = Servers::get();
    let imap = s.imap(s.imap_starttls_port, TlsMode::Plaintext);
    assert!(
        imap.greeting.contains("STARTTLS") && !imap.greeting.contains("LOGINDISABLED"),
        "{}",
        imap.greeting
    );
}

#[test]
fn a_wrong_password_is_refused() {
    let s = Servers::get();
    let mut imap = s.imap(s.imap_tls_port, TlsMode::Implicit);
    let response = imap.login(&s.special.address, "not-the-password").unwrap();
    assert!(
        response.status.starts_with("NO [AUTHENTICATIONFAILED]"),
        "{}",
        response.status
    );
}

#[test]
fn the_untrusted_certificate_is_refused_and_is_really_served() {
    let s = Servers::get();
    for (port, mode) in [
        (s.imap_tls_port, TlsMode::Implicit),
        (s.imap_starttls_port, TlsMode::Starttls),
    ] {
        let error = Imap::connect(&s.untrusted_host, port, &s.tls_name, &s.ca, mode)
            .err()
            .expect("refused");
        assert!(error.to_string().contains("UnknownIssuer"), "{error}");
        Imap::connect(&s.untrusted_host, port, &s.tls_name, &s.untrusted_ca, mode).unwrap();
    }
}
