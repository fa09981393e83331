//! From an account file's settings to what the protocol crates connect with.

use std::ffi::OsString;

use courriel_archive::ImapSettings;
use courriel_core::Security;
use courriel_core::account::AccountSettings;
use courriel_core::rules::{Diagnostic, Severity};
use courriel_presets::Catalog;
use courriel_transport::SmtpSettings;

use crate::diagnose::diagnose;

/// Why settings cannot be used to connect.
#[derive(Debug)]
pub enum SettingsError {
    /// The rules found errors in the settings (none: the table is missing).
    Rules(Vec<Diagnostic>),
    /// The `ca_file` cannot be read.
    CaFile(String, std::io::Error),
}

/// The IMAP settings of an account, once the rules find no error in them.
pub fn imap_settings(
    catalog: &Catalog,
    account: &AccountSettings,
    env: impl Fn(&str) -> Option<OsString> + Copy,
) -> Result<ImapSettings, SettingsError> {
    let errors: Vec<Diagnostic> = diagnose(catalog, account, None, env)
        .into_iter()
        .filter(|d| d.severity == Severity::Error && d.field.as_str().starts_with("imap"))
        .collect();
    let Some(imap) = account.imap.as_ref().filter(|_| errors.is_empty()) else {
        return Err(SettingsError::Rules(errors));
    };
    // The rules checked every value below; these are their parsed forms.
    let host = imap.host.clone().unwrap_or_default();
    let port = imap.port.and_then(|p| u16::try_from(p).ok()).unwrap_or(993);
    let security = if imap.security.as_deref() == Some("starttls") {
        Security::Starttls
    } else {
        Security::ImplicitTls
    };
    let password = imap
        .password_env
        .as_deref()
        .and_then(env)
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut settings = ImapSettings::new(
        host,
        port,
        security,
        imap.username.clone().unwrap_or_default(),
        password,
    );
    if let Some(ca) = &account.ca_file {
        match std::fs::read(ca) {
            Ok(pem) => settings = settings.with_extra_ca(pem),
            Err(e) => return Err(SettingsError::CaFile(ca.clone(), e)),
        }
    }
    Ok(settings)
}

/// The SMTP settings of an account, once the rules find no error in them.
pub fn smtp_settings(
    catalog: &Catalog,
    account: &AccountSettings,
    env: impl Fn(&str) -> Option<OsString> + Copy,
) -> Result<SmtpSettings, SettingsError> {
    let errors: Vec<Diagnostic> = diagnose(catalog, account, None, env)
        .into_iter()
        .filter(|d| {
            d.severity == Severity::Error
                && (d.field.as_str().starts_with("smtp") || d.field.as_str() == "sender")
        })
        .collect();
    let Some(smtp) = account.smtp.as_ref().filter(|_| errors.is_empty()) else {
        return Err(SettingsError::Rules(errors));
    };
    let host = smtp.host.clone().unwrap_or_default();
    let port = smtp.port.and_then(|p| u16::try_from(p).ok()).unwrap_or(465);
    let security = if smtp.security.as_deref() == Some("starttls") {
        Security::Starttls
    } else {
        Security::ImplicitTls
    };
    let password = smtp
        .password_env
        .as_deref()
        .and_then(env)
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut settings = SmtpSettings::new(
        host,
        port,
        security,
        smtp.username.clone().unwrap_or_default(),
        password,
    );
    if let Some(ca) = &account.ca_file {
        match std::fs::read(ca) {
            Ok(pem) => settings = settings.with_extra_ca(pem),
            Err(e) => return Err(SettingsError::CaFile(ca.clone(), e)),
        }
    }
    Ok(settings)
}
