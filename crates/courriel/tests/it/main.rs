//! Tests of the library: the `Mailer` against the real servers (Postfix,
//! Exim, Dovecot), and each validation rule against its fixture. The
//! `courriel` tool's tests are in courriel-cli.

#[path = "../common/mod.rs"]
mod common;

mod exim;
mod mailer;
mod oauth2;

mod oauth2_faults;
mod on_behalf;
mod rules;
mod token_stores;
