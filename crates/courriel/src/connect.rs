//! From an account's settings to what the protocol crates connect with,
//! without a mailer (the tool's `folders`, say): the account resolved with
//! default time bounds (see [`ResolvedAccount`]).

use courriel_archive::ImapSettings;
use courriel_presets::Catalog;
use courriel_transport::SmtpSettings;

use crate::account::Account;
pub use crate::resolve::SettingsError;
use crate::resolve::{ResolvedAccount, Tuning};

fn resolved(catalog: &Catalog, account: &Account) -> ResolvedAccount {
    ResolvedAccount::new(catalog, account, &Tuning::default(), None)
}

/// The IMAP settings of an account, once the rules find no error in them
/// (`SettingsError::Rules` with no diagnostic: the account has none).
pub fn imap_settings(catalog: &Catalog, account: &Account) -> Result<ImapSettings, SettingsError> {
    match resolved(catalog, account).imap() {
        Some(settings) => settings.cloned().map_err(Clone::clone),
        None => Err(SettingsError::Rules(Vec::new())),
    }
}

/// The SMTP settings of an account, once the rules find no error in them
/// (`SettingsError::Rules` with no diagnostic: the account has none).
pub fn smtp_settings(catalog: &Catalog, account: &Account) -> Result<SmtpSettings, SettingsError> {
    match resolved(catalog, account).smtp() {
        Some(settings) => settings.cloned().map_err(Clone::clone),
        None => Err(SettingsError::Rules(Vec::new())),
    }
}
