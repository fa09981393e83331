//! Helpers shared by the test binaries that drive the `Mailer` against the
//! real Postfix and Dovecot.

#![allow(dead_code)] // each test binary uses some of them

use std::sync::Arc;

use courriel::oauth2::{Grant, HttpOptions, OAuth2Client, SignIn};
use courriel::{Account, Catalog, Email, Mailbox, Provider};
use courriel_testkit::message::Stored;
use courriel_testkit::{Account as TestAccount, Servers, runtime};

/// A fresh spool directory for one test.
pub(crate) fn spool_dir(test: &str) -> std::path::PathBuf {
    courriel_testkit::fresh_dir(&format!("mailer-{test}"))
}

/// Settings for a test account: SMTP (STARTTLS) on `smtp`, IMAP over
/// implicit TLS on `imap`, passwords given directly.
pub(crate) fn account_at(
    id: &str,
    who: &TestAccount,
    smtp: Option<(&str, u16)>,
    imap: Option<(&str, u16)>,
) -> Account {
    let settings = Servers::get().settings_for(who, smtp, imap);
    Account::new(id, settings)
        .with_smtp_password(&who.password)
        .with_imap_password(&who.password)
}

/// A test account on both real servers.
pub(crate) fn account(who: &TestAccount) -> Account {
    let s = Servers::get();
    account_at(
        &who.address,
        who,
        Some((&s.host, s.smtp_starttls_port)),
        Some((&s.host, s.imap_tls_port)),
    )
}

pub(crate) fn email(from: &TestAccount, to: &TestAccount, subject: &str) -> Email {
    let address = |a: &TestAccount| courriel::EmailAddress::parse(&a.address).unwrap();
    Email::from(Mailbox::new(address(from)))
        .to(Mailbox::new(address(to)))
        .subject(subject)
        .text("Bonjour,\nvoici la facture.\n")
}

/// Every message in `folder` of `who` (on Dovecot) with this
/// Message-ID: its flags and exact bytes.
pub(crate) fn copies(who: &TestAccount, folder: &str, message_id: &str) -> Vec<Stored> {
    Servers::get().imap_as(who).messages(folder, message_id)
}

/// The message with this Message-ID in `who`'s INBOX on Dovecot, byte
/// for byte, once delivered (waits up to 30 s, then panics).
pub(crate) fn delivered(who: &TestAccount, message_id: &str) -> String {
    let s = Servers::get();
    s.delivered(s.imap_tls_port, who, message_id)
        .pop()
        .unwrap_or_else(|| panic!("{message_id} never reached {}", who.address))
        .message
}

/// Where the authorization server sends the browser back; nothing
/// listens there: the testkit reads the redirect's address.
pub(crate) const REDIRECT: &str = "http://127.0.0.1:9/";

/// The test authorization server (oidc-provider) as a provider of the
/// catalog (its servers' names are placeholders: the accounts name the
/// test Postfix and Dovecot).
pub(crate) fn provider() -> Provider {
    provider_at(&Servers::get().oauth_issuer())
}

/// The same provider with its endpoints at `issuer` (`https://HOST:PORT`):
/// a token endpoint of the testkit's own, for faults.
pub(crate) fn provider_at(issuer: &str) -> Provider {
    let ron = Servers::get().oauth_provider_ron_at(issuer);
    let catalog = Catalog::builder()
        .add_ron("test-oauth.ron", ron)
        .build()
        .expect("the test provider is valid");
    catalog
        .get("test-oauth")
        .expect("the test provider")
        .clone()
}

pub(crate) fn oauth_options() -> HttpOptions {
    let mut options = HttpOptions::default();
    options.extra_ca_pem = Some(Arc::from(
        std::fs::read(&Servers::get().ca).expect("the test CA"),
    ));
    options
}

pub(crate) fn sign_in(client_id: &str) -> SignIn {
    sign_in_as(OAuth2Client::new("test-oauth", client_id))
}

/// The sign-in of the test provider for `client`.
pub(crate) fn sign_in_as(client: OAuth2Client) -> SignIn {
    SignIn::new(&provider(), client, &oauth_options()).expect("the sign-in")
}

/// Plays the user: approves `sign_in` for `who`, and returns the grant.
pub(crate) fn approve(sign_in: &SignIn, who: &TestAccount) -> Grant {
    let s = Servers::get();
    let authorization = sign_in.authorize(&who.address, REDIRECT).unwrap();
    let location = s
        .oauth_approve(&authorization.url, who, REDIRECT)
        .expect("the user approves");
    let query = location.split_once('?').map_or("", |(_, q)| q);
    runtime()
        .block_on(sign_in.finish(&authorization, query))
        .expect("the code is exchanged")
}
