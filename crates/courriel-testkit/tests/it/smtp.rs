//! Postfix: submission over STARTTLS and implicit TLS, SASL through Dovecot,
//! `reject_sender_login_mismatch`, delivery over LMTP.

use courriel_testkit::{Servers, Smtp, TlsMode};

use crate::{unique_id, wait_for_message};

fn message(from: &str, to: &str, id: &str, subject: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Sun, 29 Nov 2026 12:00:00 +0000\r\n\r\nBonjour,\r\n.une ligne qui commence par un point\r\n"
    )
}

fn submit(port: u16, mode: TlsMode) {
    let s = Servers::get();
    let mut smtp = s.smtp(port, mode);
    let offers_plain = smtp
        .ehlo
        .lines
        .iter()
        .any(|l| l.starts_with("AUTH") && l.contains("PLAIN"));
    assert!(offers_plain, "AUTH offered after TLS: {}", smtp.ehlo);
    let auth = smtp
        .auth_plain(&s.special.address, &s.special.password)
        .unwrap();
    assert_eq!(auth.code, 235, "{auth}");
    let id = unique_id("submit");
    let subject = format!("through port {port}");
    let text = message(&s.special.address, &s.courier.address, &id, &subject);
    let reply = smtp
        .send(&s.special.address, &[&s.courier.address], &text)
        .unwrap();
    assert_eq!(reply.code, 250, "{reply}");
    let header = wait_for_message(&s.courier, &id);
    assert!(header.contains(&format!("Subject: {subject}")), "{header}");
}

#[test]
fn a_message_sent_over_starttls_lands_in_the_recipients_mailbox() {
    submit(Servers::get().smtp_starttls_port, TlsMode::Starttls);
}

#[test]
fn a_message_sent_over_implicit_tls_lands_in_the_recipients_mailbox() {
    submit(Servers::get().smtp_tls_port, TlsMode::Implicit);
}

#[test]
fn a_sender_other_than_the_login_is_rejected_with_553() {
    let s = Servers::get();
    let mut smtp = s.smtp_as(&s.special, s.smtp_tls_port, TlsMode::Implicit);
    let id = unique_id("mismatch");
    let text = message(&s.courier.address, &s.localized.address, &id, "not mine");
    let reply = smtp
        .send(&s.courier.address, &[&s.localized.address], &text)
        .unwrap();
    assert_eq!(reply.code, 553, "{reply}");
    let text = reply.lines.join(" ");
    assert!(text.starts_with("5.7.1 "), "{reply}");
    let expected = format!(
        "Sender address rejected: not owned by user {}",
        s.special.address
    );
    assert!(text.contains(&expected), "{reply}");
}

#[test]
fn a_verified_alias_of_the_login_is_accepted() {
    let s = Servers::get();
    let mut smtp = s.smtp_as(&s.special, s.smtp_starttls_port, TlsMode::Starttls);
    let id = unique_id("alias");
    let text = message(
        &s.special_alias,
        &s.localized.address,
        &id,
        "from the alias",
    );
    let reply = smtp
        .send(&s.special_alias, &[&s.localized.address], &text)
        .unwrap();
    assert_eq!(reply.code, 250, "{reply}");
    wait_for_message(&s.localized, &id);
}

#[test]
fn auth_needs_starttls_first_on_the_submission_port() {
    let s = Servers::get();
    let mut smtp = s.smtp(s.smtp_starttls_port, TlsMode::Plaintext);
    assert!(
        smtp.ehlo.lines.iter().any(|l| l == "STARTTLS"),
        "{}",
        smtp.ehlo
    );
    let offers_auth = smtp.ehlo.lines.iter().any(|l| l.starts_with("AUTH"));
    assert!(!offers_auth, "no AUTH before TLS: {}", smtp.ehlo);
    let reply = smtp
        .auth_plain(&s.special.address, &s.special.password)
        .unwrap();
    assert_eq!(reply.code, 530, "{reply}");
    let reply = smtp
        .command(&format!("MAIL FROM:<{}>", s.special.address))
        .unwrap();
    assert_eq!(reply.code, 530, "nothing before STARTTLS: {reply}");
}

#[test]
fn a_wrong_password_is_refused_with_535() {
    let s = Servers::get();
    let mut smtp = s.smtp(s.smtp_tls_port, TlsMode::Implicit);
    let reply = smtp
        .auth_plain(&s.special.address, "not-the-password")
        .unwrap();
    assert_eq!(reply.code, 535, "{reply}");
}

#[test]
fn an_unauthenticated_client_cannot_send() {
    let s = Servers::get();
    let mut smtp = s.smtp(s.smtp_tls_port, TlsMode::Implicit);
    let reply = smtp
        .send(
            &s.special.address,
            &[&s.courier.address],
            "Subject: x\r\n\r\nx\r\n",
        )
        .unwrap();
    assert!((500..600).contains(&reply.code), "{reply}");
}

#[test]
fn the_untrusted_certificate_is_refused_and_is_really_served() {
    let s = Servers::get();
    let host = &s.untrusted_host;
    for (port, mode) in [
        (s.smtp_tls_port, TlsMode::Implicit),
        (s.smtp_starttls_port, TlsMode::Starttls),
    ] {
        let refused = Smtp::connect(host, port, &s.tls_name, &s.ca, mode);
        let error = refused.err().expect("the untrusted certificate is refused");
        assert!(error.to_string().contains("UnknownIssuer"), "{error}");
        // Trusting its own CA, the same endpoint works: the refusal was the certificate's.
        Smtp::connect(host, port, &s.tls_name, &s.untrusted_ca, mode).unwrap();
    }
    let mismatch = Smtp::connect(
        &s.host,
        s.smtp_tls_port,
        "wrong.example",
        &s.ca,
        TlsMode::Implicit,
    );
    let error = mismatch.err().expect("a name mismatch is refused");
    assert!(
        error
            .to_string()
            .contains("not valid for name \"wrong.example\""),
        "{error}"
    );
}
