//! End-to-end tests across courriel's crates: the `Mailer` (transport,
//! archive, spool, catalog) against the project's real servers, started by
//! `cargo xtask mail-servers start`. This library holds what the suites
//! share: the servers under test and the accounts through them (reading
//! back what was filed and delivered is courriel-testkit's
//! `Imap::messages` and `Servers::delivered`).

use std::sync::Arc;

use courriel::oauth2::{FileStore, HttpOptions, OAuth2Client, SignIn, StoredTokens, TokenStore};
use courriel::{Account, Catalog};
use courriel_testkit::{Account as TestAccount, Servers, fresh_dir, runtime};

/// An SMTP submission server under test.
#[derive(Debug, Clone, Copy)]
pub struct SmtpServer {
    /// Its name in the matrix.
    pub name: &'static str,
    /// Its STARTTLS submission port (the sender checked at MAIL FROM).
    pub port: u16,
    /// Whether it takes OAuth2 tokens (XOAUTH2, OAUTHBEARER).
    pub takes_oauth2: bool,
}

/// An IMAP server under test, with its accounts.
#[derive(Debug, Clone)]
pub struct ImapServer {
    /// Its name in the matrix.
    pub name: &'static str,
    /// Its implicit-TLS port.
    pub port: u16,
    /// An account whose Sent folder the server marks `\Sent`.
    pub marked: TestAccount,
    /// That folder (raw IMAP name) and why it is chosen.
    pub marked_sent: (&'static str, &'static str),
    /// An account whose Sent folder has a French name, unmarked.
    pub localized: TestAccount,
    /// That folder (raw, modified UTF-7).
    pub localized_sent: &'static str,
    /// An account holding only INBOX.
    pub bare: TestAccount,
    /// The Sent folder courriel creates there (raw).
    pub bare_sent: &'static str,
    /// Whether the server offers CREATE-SPECIAL-USE, so that the folder
    /// created is marked `\Sent`.
    pub marks_created: bool,
    /// Whether it takes OAuth2 tokens (XOAUTH2, OAUTHBEARER).
    pub takes_oauth2: bool,
}

/// Postfix and Exim.
#[must_use]
pub fn smtp_servers() -> Vec<SmtpServer> {
    let s = Servers::get();
    vec![
        SmtpServer {
            name: "Postfix",
            port: s.smtp_starttls_port,
            // Through Dovecot's passdb oauth2.
            takes_oauth2: true,
        },
        SmtpServer {
            name: "Exim",
            port: s.exim_starttls_port,
            // Debian's exim4-daemon-light has no dovecot or cyrus_sasl
            // authenticator to check tokens with.
            takes_oauth2: false,
        },
    ]
}

/// Dovecot and Cyrus.
#[must_use]
pub fn imap_servers() -> Vec<ImapServer> {
    let s = Servers::get();
    vec![
        ImapServer {
            name: "Dovecot",
            port: s.imap_tls_port,
            marked: s.special.clone(),
            marked_sent: ("Sent", "attribute"),
            localized: s.localized.clone(),
            localized_sent: "&AMk-l&AOk-ments envoy&AOk-s",
            bare: s.bare.clone(),
            bare_sent: "INBOX.Sent",
            marks_created: false,
            takes_oauth2: true,
        },
        ImapServer {
            name: "Cyrus",
            port: s.cyrus_tls_port,
            marked: s.cyrus_special.clone(),
            marked_sent: ("INBOX.Sent Items", "attribute"),
            localized: s.cyrus_localized.clone(),
            localized_sent: "INBOX.&AMk-l&AOk-ments envoy&AOk-s",
            bare: s.cyrus_bare.clone(),
            bare_sent: "INBOX.Sent",
            marks_created: true,
            // Debian ships no XOAUTH2 plugin for Cyrus SASL.
            takes_oauth2: false,
        },
    ]
}

/// The account `who` with SMTP on `smtp_port` (STARTTLS) and IMAP on
/// `imap_port` (implicit TLS), the Sent folder chosen on the server,
/// trusting the test CA, passwords given directly.
#[must_use]
pub fn account(id: &str, who: &TestAccount, smtp_port: u16, imap_port: u16) -> Account {
    let s = Servers::get();
    let settings = s.settings_for(who, Some((&s.host, smtp_port)), Some((&s.host, imap_port)));
    Account::new(id, settings)
        .with_smtp_password(&who.password)
        .with_imap_password(&who.password)
}

/// Where the authorization server sends the browser back; nothing listens
/// there: the testkit reads the redirect's address.
const REDIRECT: &str = "http://127.0.0.1:9/";

/// The account `who` with SMTP on `smtp_port` and IMAP on `imap_port`,
/// signing in with OAuth2 (XOAUTH2, else OAUTHBEARER) instead of passwords:
/// `who` approves the test client once on the test authorization server
/// (the testkit plays the browser), and the grant is kept in a file store
/// of its own.
#[must_use]
pub fn oauth2_account(id: &str, who: &TestAccount, smtp_port: u16, imap_port: u16) -> Account {
    let s = Servers::get();
    let catalog = Catalog::builder()
        .add_ron("test-oauth.ron", s.oauth_provider_ron())
        .build()
        .expect("the test provider is valid");
    let provider = catalog.get("test-oauth").expect("the test provider");
    let mut options = HttpOptions::default();
    options.extra_ca_pem = Some(Arc::from(std::fs::read(&s.ca).expect("the test CA")));
    let sign_in = SignIn::new(
        provider,
        OAuth2Client::new("test-oauth", "courriel-test"),
        &options,
    )
    .expect("the sign-in");
    let authorization = sign_in
        .authorize(&who.address, REDIRECT)
        .expect("an authorization");
    let location = s
        .oauth_approve(&authorization.url, who, REDIRECT)
        .expect("the user approves");
    let query = location.split_once('?').map_or("", |(_, q)| q);
    let grant = runtime()
        .block_on(sign_in.finish(&authorization, query))
        .expect("the code is exchanged");
    let store: Arc<dyn TokenStore> = Arc::new(
        FileStore::open(fresh_dir(&format!("conformance-tokens-{id}"))).expect("a token store"),
    );
    runtime()
        .block_on(store.save(&grant))
        .expect("the grant saved");
    let settings = s.settings_for(who, Some((&s.host, smtp_port)), Some((&s.host, imap_port)));
    Account::new(id, settings).with_oauth2(Arc::new(StoredTokens::new(
        sign_in,
        store,
        &who.address,
    )))
}
