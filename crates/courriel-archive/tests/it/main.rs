//! courriel-archive against the real Dovecot (and a few hostile servers of
//! our own on 127.0.0.1), plus property tests of modified UTF-7.

mod create;
mod mutf7_props;
mod oauth2;
mod outcomes;
mod sent;
mod spool;
mod trust;

use std::time::Duration;

use courriel_archive::{ImapSettings, Timeouts};
use courriel_core::Security;
use courriel_testkit::{Account, Servers};

/// Settings for `account` on the test Dovecot, trusting the test CA.
pub(crate) fn settings(account: &Account, port: u16, security: Security) -> ImapSettings {
    let s = Servers::get();
    let mut settings =
        ImapSettings::new(&s.host, port, security, &account.address, &account.password)
            .with_extra_ca(std::fs::read(&s.ca).expect("the test CA"));
    settings.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        tls: Duration::from_secs(5),
        greeting: Duration::from_secs(2),
        command: Duration::from_secs(10),
        ..Timeouts::default()
    };
    settings
}

pub(crate) use courriel_testkit::runtime;
