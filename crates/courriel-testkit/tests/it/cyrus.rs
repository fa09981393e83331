//! Cyrus IMAP (Debian's 3.6, beside Dovecot): passwords checked, no login
//! before TLS, Debian's namespace (`INBOX.` and `.`), the three Cyrus
//! accounts' folders as a client sees them on the wire, and mail sent
//! through Postfix or Exim delivered into Cyrus.

use courriel_testkit::{Account, Servers, TlsMode};

use crate::{delivered_once, unique_id};

/// `(name on the wire, delimiter, attributes other than \HasChildren and
/// \HasNoChildren)` for every mailbox `LIST arguments` answers, sorted.
fn listing(account: &Account, arguments: &str) -> Vec<(String, Option<char>, Vec<String>)> {
    let mut imap = Servers::get().cyrus_as(account);
    let mut entries: Vec<_> = imap
        .list(arguments)
        .unwrap()
        .into_iter()
        .map(|e| {
            let attributes = e
                .attributes
                .into_iter()
                .filter(|a| {
                    !a.eq_ignore_ascii_case("\\HasChildren")
                        && !a.eq_ignore_ascii_case("\\HasNoChildren")
                })
                .collect();
            (e.name, e.delimiter, attributes)
        })
        .collect();
    entries.sort();
    entries
}

fn owned(entries: &[(&str, &[&str])]) -> Vec<(String, Option<char>, Vec<String>)> {
    entries
        .iter()
        .map(|(name, attributes)| {
            (
                (*name).to_string(),
                Some('.'),
                attributes.iter().map(|a| (*a).to_string()).collect(),
            )
        })
        .collect()
}

#[test]
fn cyrus_refuses_a_wrong_password() {
    let s = Servers::get();
    // A wrong password, and another account's: each answered after Cyrus's
    // pause for failed logins (3 s), so both at once.
    let attempts = [
        (&s.cyrus_special, "not-the-password"),
        (&s.cyrus_bare, s.cyrus_special.password.as_str()),
    ];
    std::thread::scope(|scope| {
        for (account, password) in attempts {
            scope.spawn(move || {
                let mut imap = s.imap(s.cyrus_tls_port, TlsMode::Implicit);
                let response = imap.login(&account.address, password).unwrap();
                assert_eq!(response.status, "NO Login failed: authentication failure");
            });
        }
    });
}

#[test]
fn cyrus_refuses_logins_before_starttls() {
    let s = Servers::get();
    let a = &s.cyrus_special;
    let mut imap = s.imap(s.cyrus_starttls_port, TlsMode::Plaintext);
    assert!(
        imap.greeting.contains(" STARTTLS ") && imap.greeting.contains(" LOGINDISABLED]"),
        "{}",
        imap.greeting
    );
    let response = imap.login(&a.address, &a.password).unwrap();
    assert_eq!(response.status, "NO Login only available under a layer");
    // AUTHENTICATE PLAIN with SASL-IR: `\0user\0password`, base64.
    let response = imap
        .command("AUTHENTICATE PLAIN AGdhc3RvbkBjb3VycmllbC50ZXN0AGdhc3Rvbi10ZXN0LXBhc3N3b3Jk")
        .unwrap();
    assert_eq!(response.status, "NO encryption needed to use mechanism");
    // After STARTTLS, the same login succeeds.
    let mut imap = s.imap(s.cyrus_starttls_port, TlsMode::Starttls);
    let response = imap.login(&a.address, &a.password).unwrap();
    assert!(response.is_ok(), "{}", response.status);
}

#[test]
fn cyrus_capabilities() {
    let s = Servers::get();
    let mut imap = s.cyrus_as(&s.cyrus_bare);
    let response = imap.command("CAPABILITY").unwrap();
    assert!(response.is_ok());
    let line = response
        .untagged
        .iter()
        .find_map(|l| l.strip_prefix("* CAPABILITY "))
        .expect("* CAPABILITY");
    let capabilities: Vec<&str> = line.split_whitespace().collect();
    for wanted in [
        "IMAP4rev1",
        "NAMESPACE",
        "SPECIAL-USE",
        "CREATE-SPECIAL-USE",
        "LIST-EXTENDED",
        "XLIST",
        "UIDPLUS",
        "MULTIAPPEND",
        "LITERAL+",
        "UNSELECT",
        "METADATA",
    ] {
        assert!(capabilities.contains(&wanted), "{wanted} in {line}");
    }
    // Neither IMAP4rev2 nor UTF8=ACCEPT: names are modified UTF-7.
    assert!(!capabilities.contains(&"IMAP4rev2"), "{line}");
    assert!(
        !capabilities.iter().any(|c| c.starts_with("UTF8=")),
        "{line}"
    );
}

#[test]
fn cyrus_namespace_is_debians() {
    let s = Servers::get();
    for account in [&s.cyrus_special, &s.cyrus_bare, &s.cyrus_localized] {
        let mut imap = s.cyrus_as(account);
        let response = imap.command("NAMESPACE").unwrap();
        assert!(response.is_ok(), "{}", response.status);
        assert_eq!(
            response.untagged,
            ["* NAMESPACE ((\"INBOX.\" \".\")) ((\"user.\" \".\")) ((\"\" \".\"))"]
        );
    }
}

#[test]
fn cyrus_sent_items_is_sent_only_when_asked() {
    let a = &Servers::get().cyrus_special;
    assert_eq!(
        listing(a, "\"\" \"*\""),
        owned(&[
            ("INBOX", &[]),
            ("INBOX.Drafts", &[]),
            ("INBOX.Sent Items", &[]),
            ("INBOX.Trash", &[]),
        ])
    );
    assert_eq!(
        listing(a, "\"\" \"*\" RETURN (SPECIAL-USE)"),
        owned(&[
            ("INBOX", &[]),
            ("INBOX.Drafts", &["\\Drafts"]),
            ("INBOX.Sent Items", &["\\Sent"]),
            ("INBOX.Trash", &["\\Trash"]),
        ])
    );
    assert_eq!(
        listing(a, "(SPECIAL-USE) \"\" \"*\""),
        owned(&[
            ("INBOX.Drafts", &["\\Drafts"]),
            ("INBOX.Sent Items", &["\\Sent"]),
            ("INBOX.Trash", &["\\Trash"]),
        ])
    );
}

#[test]
fn cyrus_xlist_names_the_sent_folder_too() {
    let s = Servers::get();
    let mut imap = s.cyrus_as(&s.cyrus_special);
    let response = imap.command("XLIST \"\" \"*\"").unwrap();
    assert!(response.is_ok(), "{}", response.status);
    assert!(
        response.untagged.iter().any(|l| l.starts_with("* XLIST (")
            && l.contains("\\Sent")
            && l.ends_with(" \"INBOX.Sent Items\"")),
        "{:?}",
        response.untagged
    );
}

#[test]
fn cyrus_bare_account_has_only_inbox() {
    let b = &Servers::get().cyrus_bare;
    let only_inbox = owned(&[("INBOX", &[])]);
    assert_eq!(listing(b, "\"\" \"*\""), only_inbox);
    assert_eq!(listing(b, "\"\" \"*\" RETURN (SPECIAL-USE)"), only_inbox);
}

#[test]
fn cyrus_french_names_are_modified_utf7_on_the_wire() {
    let c = &Servers::get().cyrus_localized;
    let expected = owned(&[
        ("INBOX", &[]),
        ("INBOX.&AMk-l&AOk-ments envoy&AOk-s", &[]),
        ("INBOX.Brouillons", &[]),
        ("INBOX.Corbeille", &[]),
    ]);
    assert_eq!(listing(c, "\"\" \"*\""), expected);
    // No special-use attribute anywhere: the name is all there is.
    assert_eq!(listing(c, "\"\" \"*\" RETURN (SPECIAL-USE)"), expected);
}

/// [`delivered_once`] on Cyrus.
fn wait_in_cyrus(account: &Account, message_id: &str) -> String {
    delivered_once(Servers::get().cyrus_tls_port, account, message_id)
}

fn message(from: &str, to: &str, id: &str, subject: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 7 Dec 2026 01:00:00 +0000\r\n\r\nBonjour,\r\n"
    )
}

#[test]
fn mail_through_postfix_reaches_cyrus() {
    let s = Servers::get();
    let mut smtp = s.smtp_as(&s.special, s.smtp_starttls_port, TlsMode::Starttls);
    let id = unique_id("cyrus-postfix");
    let to = &s.cyrus_special.address;
    let text = message(&s.special.address, to, &id, "through Postfix to Cyrus");
    let reply = smtp.send(&s.special.address, &[to], &text).unwrap();
    assert_eq!(reply.code, 250, "{reply}");
    let header = wait_in_cyrus(&s.cyrus_special, &id);
    assert!(
        header.contains("Subject: through Postfix to Cyrus"),
        "{header}"
    );
}

#[test]
fn mail_through_exim_reaches_cyrus() {
    let s = Servers::get();
    let mut smtp = s.smtp_as(&s.special, s.exim_tls_port, TlsMode::Implicit);
    let id = unique_id("cyrus-exim");
    let to = &s.cyrus_localized.address;
    let text = message(&s.special.address, to, &id, "through Exim to Cyrus");
    let reply = smtp.send(&s.special.address, &[to], &text).unwrap();
    assert_eq!(reply.code, 250, "{reply}");
    let header = wait_in_cyrus(&s.cyrus_localized, &id);
    assert!(
        header.contains("Subject: through Exim to Cyrus"),
        "{header}"
    );
}

#[test]
fn cyrus_accounts_send_through_postfix_and_exim_as_themselves_only() {
    let s = Servers::get();
    let g = &s.cyrus_special;
    let to = &s.cyrus_bare.address;
    // Postfix refuses another sender with 553 (at RCPT), Exim with 550 (at MAIL).
    for (port, refusal) in [(s.smtp_tls_port, 553), (s.exim_tls_port, 550)] {
        let mut smtp = s.smtp_as(g, port, TlsMode::Implicit);
        let id = unique_id("cyrus-sender");
        let text = message(&g.address, to, &id, "from a Cyrus account");
        let reply = smtp.send(&g.address, &[to], &text).unwrap();
        assert_eq!(reply.code, 250, "port {port}: {reply}");
        wait_in_cyrus(&s.cyrus_bare, &id);
        let mut smtp = s.smtp_as(g, port, TlsMode::Implicit);
        let id = unique_id("cyrus-not-alice");
        let text = message(&s.special.address, to, &id, "not mine");
        let reply = smtp.send(&s.special.address, &[to], &text).unwrap();
        assert_eq!(reply.code, refusal, "port {port}: {reply}");
    }
}

/// Dovecot knows the Cyrus accounts' passwords for Postfix's SASL only.
#[test]
fn dovecot_does_not_take_cyrus_accounts() {
    let s = Servers::get();
    let mut imap = s.imap(s.imap_tls_port, TlsMode::Implicit);
    let response = imap
        .login(&s.cyrus_special.address, &s.cyrus_special.password)
        .unwrap();
    assert!(
        response.status.starts_with("NO [AUTHENTICATIONFAILED]"),
        "{}",
        response.status
    );
}
