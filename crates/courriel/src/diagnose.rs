//! Offline checks of an account's settings: the validation rules with what
//! the catalog knows. Each [`Diagnostic`] renders itself in either
//! language ([`Diagnostic::render`]).

use courriel_core::account::{AccountSettings, Protocol};
use courriel_core::rules::{self, Diagnostic, Facts, PasswordState};
use courriel_presets::Catalog;

use crate::account::Account;

/// What the catalog knows of the account's providers, the MX host's
/// provider when given, and whether each `password_env` variable is set
/// (`env`).
pub fn facts<'a>(
    catalog: &'a Catalog,
    settings: &AccountSettings,
    mx: Option<&str>,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Facts<'a> {
    let mut facts = catalog.facts(settings);
    facts.sender_mx_provider = mx.and_then(|mx| catalog.lookup_mx(mx));
    let state =
        |variable: Option<&String>| match variable.map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => PasswordState::Unknown,
            Some(name) if env(name).is_some_and(|v| !v.is_empty()) => PasswordState::Present,
            Some(name) => PasswordState::Missing(name.to_string()),
        };
    facts.smtp_password = state(settings.smtp.as_ref().and_then(|s| s.password_env.as_ref()));
    facts.imap_password = state(settings.imap.as_ref().and_then(|i| i.password_env.as_ref()));
    facts
}

/// Runs the rules on `settings` with [`facts`].
pub fn diagnose(
    catalog: &Catalog,
    settings: &AccountSettings,
    mx: Option<&str>,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Vec<Diagnostic> {
    rules::check(settings, &facts(catalog, settings, mx, env))
}

/// [`facts`] for an [`Account`], whose passwords say what is at hand.
#[must_use]
pub fn account_facts<'a>(catalog: &'a Catalog, account: &Account, mx: Option<&str>) -> Facts<'a> {
    let mut facts = catalog.facts(account.settings());
    facts.sender_mx_provider = mx.and_then(|mx| catalog.lookup_mx(mx));
    facts.smtp_password = account.password_state(Protocol::Smtp);
    facts.imap_password = account.password_state(Protocol::Imap);
    facts
}

/// Runs the rules on an [`Account`] with [`account_facts`].
#[must_use]
pub fn diagnose_account(catalog: &Catalog, account: &Account, mx: Option<&str>) -> Vec<Diagnostic> {
    rules::check(account.settings(), &account_facts(catalog, account, mx))
}
