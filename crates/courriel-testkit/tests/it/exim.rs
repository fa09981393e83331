//! Exim (Debian's, beside Postfix): submission over STARTTLS and implicit
//! TLS, AUTH only after TLS, the sender checked against the login at MAIL
//! FROM or, on its own port, at RCPT TO, a port whose STARTTLS answers 454,
//! and delivery into Dovecot over LMTP.

use courriel_testkit::{Servers, TlsMode};

use crate::{unique_id, wait_for_message};

fn message(from: &str, to: &str, id: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: through Exim\r\nMessage-ID: <{id}>\r\nDate: Mon, 7 Dec 2026 01:00:00 +0000\r\n\r\nBonjour,\r\n.une ligne qui commence par un point\r\n"
    )
}

#[test]
fn exim_offers_starttls_and_refuses_auth_before_it() {
    let s = Servers::get();
    let mut smtp = s.smtp(s.exim_starttls_port, TlsMode::Plaintext);
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
    assert_eq!(reply.code, 503, "{reply}");
    assert_eq!(reply.lines, ["AUTH command used when not advertised"]);
}

#[test]
fn exim_accepts_alices_login_and_delivers_into_dovecot() {
    let s = Servers::get();
    for (port, mode) in [
        (s.exim_starttls_port, TlsMode::Starttls),
        (s.exim_tls_port, TlsMode::Implicit),
        (s.exim_rcpt_port, TlsMode::Starttls),
    ] {
        let mut smtp = s.smtp(port, mode);
        let offers = |mechanism: &str| {
            smtp.ehlo
                .lines
                .iter()
                .any(|l| l.starts_with("AUTH") && l.split_whitespace().any(|m| m == mechanism))
        };
        assert!(offers("PLAIN") && offers("LOGIN"), "{}", smtp.ehlo);
        let auth = smtp
            .auth_plain(&s.special.address, &s.special.password)
            .unwrap();
        assert_eq!(auth.code, 235, "port {port}: {auth}");
        let id = unique_id("exim");
        let text = message(&s.special.address, &s.courier.address, &id);
        let reply = smtp
            .send(&s.special.address, &[&s.courier.address], &text)
            .unwrap();
        assert_eq!(reply.code, 250, "port {port}: {reply}");
        let header = wait_for_message(&s.courier, &id);
        assert!(header.contains("Subject: through Exim"), "{header}");
    }
}

#[test]
fn exim_refuses_a_wrong_password() {
    let s = Servers::get();
    let mut smtp = s.smtp(s.exim_tls_port, TlsMode::Implicit);
    let reply = smtp
        .auth_plain(&s.special.address, "not-the-password")
        .unwrap();
    assert_eq!(reply.code, 535, "{reply}");
}

#[test]
fn exim_checks_the_sender_at_mail_from_or_at_rcpt_to() {
    let s = Servers::get();
    let mut smtp = s.smtp_as(&s.courier, s.exim_starttls_port, TlsMode::Starttls);
    let reply = smtp
        .command(&format!("MAIL FROM:<{}>", s.special.address))
        .unwrap();
    assert_eq!(reply.code, 550, "{reply}");
    assert_eq!(
        reply.lines,
        ["Sender address does not match authenticated user"]
    );
    let mut smtp = s.smtp_as(&s.courier, s.exim_rcpt_port, TlsMode::Starttls);
    let reply = smtp
        .command(&format!("MAIL FROM:<{}>", s.special.address))
        .unwrap();
    assert_eq!(reply.code, 250, "checked at RCPT on this port: {reply}");
    let reply = smtp
        .command(&format!("RCPT TO:<{}>", s.localized.address))
        .unwrap();
    assert_eq!(reply.code, 550, "{reply}");
    assert_eq!(
        reply.lines,
        ["Sender address does not match authenticated user"]
    );
    // Alice's alias is hers, as on Postfix.
    let mut smtp = s.smtp_as(&s.special, s.exim_tls_port, TlsMode::Implicit);
    let id = unique_id("exim-alias");
    let text = message(&s.special_alias, &s.localized.address, &id);
    let reply = smtp
        .send(&s.special_alias, &[&s.localized.address], &text)
        .unwrap();
    assert_eq!(reply.code, 250, "{reply}");
    wait_for_message(&s.localized, &id);
}

#[test]
fn exim_offers_starttls_then_answers_454_on_its_port() {
    let s = Servers::get();
    let mut smtp = s.smtp(s.exim_tls_unavailable_port, TlsMode::Plaintext);
    assert!(
        smtp.ehlo.lines.iter().any(|l| l == "STARTTLS"),
        "{}",
        smtp.ehlo
    );
    let reply = smtp.command("STARTTLS").unwrap();
    assert_eq!(reply.code, 454, "{reply}");
    assert_eq!(reply.lines, ["TLS currently unavailable"]);
}
