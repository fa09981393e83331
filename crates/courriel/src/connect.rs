//! From an account file's settings to what the protocol crates connect with.

use courriel_archive::ImapSettings;
use courriel_core::Security;
use courriel_core::account::{ImapInput, Protocol, ServerInput};
use courriel_core::rules::{Diagnostic, Severity};
use courriel_presets::Catalog;
use courriel_transport::SmtpSettings;
use secrecy::ExposeSecret;

use crate::account::Account;
use crate::diagnose::diagnose_account;

/// Why settings cannot be used to connect.
#[derive(Debug)]
pub enum SettingsError {
    /// The rules found errors in the settings (none: the table is missing).
    Rules(Vec<Diagnostic>),
    /// The `ca_file` cannot be used: it cannot be read, is not a regular
    /// file, is larger than [`Input::CaFile`](crate::input::Input::CaFile)'s
    /// cap, or has no PEM certificate in it (the error then holds an
    /// [`InputError`](crate::input::InputError)).
    CaFile(String, std::io::Error),
}

/// What both servers' settings are made of, once the rules find no error
/// in the fields of `table` (`smtp` or `imap`).
struct Parts {
    host: String,
    port: u16,
    security: Security,
    username: String,
    password: String,
    ca_pem: Option<Vec<u8>>,
}

fn parts(
    catalog: &Catalog,
    account: &Account,
    protocol: Protocol,
    server: Option<ServerInput>,
    default_port: u16,
) -> Result<Parts, SettingsError> {
    let table = match protocol {
        Protocol::Smtp => "smtp",
        Protocol::Imap => "imap",
    };
    let errors: Vec<Diagnostic> = diagnose_account(catalog, account, None)
        .into_iter()
        .filter(|d| {
            d.severity == Severity::Error
                && (d.field.as_str().starts_with(table) || d.field.as_str() == "sender")
        })
        .collect();
    let Some(server) = server.filter(|_| errors.is_empty()) else {
        return Err(SettingsError::Rules(errors));
    };
    // The rules checked every value below; these are their parsed forms.
    let ca_pem = match &account.settings().ca_file {
        Some(ca) => Some(
            crate::input::read_ca_file(std::path::Path::new(ca))
                .map_err(|e| SettingsError::CaFile(ca.clone(), e))?,
        ),
        None => None,
    };
    Ok(Parts {
        host: server.host.unwrap_or_default(),
        port: server
            .port
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(default_port),
        security: if server.security.as_deref() == Some("starttls") {
            Security::Starttls
        } else {
            Security::ImplicitTls
        },
        username: server.username.unwrap_or_default(),
        password: account
            .password(protocol)
            .map(|p| p.expose_secret().to_string())
            .unwrap_or_default(),
        ca_pem,
    })
}

/// The IMAP settings of an account, once the rules find no error in them.
pub fn imap_settings(catalog: &Catalog, account: &Account) -> Result<ImapSettings, SettingsError> {
    let p = parts(
        catalog,
        account,
        Protocol::Imap,
        account.settings().imap.as_ref().map(ImapInput::server),
        993,
    )?;
    let settings = ImapSettings::new(p.host, p.port, p.security, p.username, p.password);
    Ok(match p.ca_pem {
        Some(pem) => settings.with_extra_ca(pem),
        None => settings,
    })
}

/// The SMTP settings of an account, once the rules find no error in them.
pub fn smtp_settings(catalog: &Catalog, account: &Account) -> Result<SmtpSettings, SettingsError> {
    let p = parts(
        catalog,
        account,
        Protocol::Smtp,
        account.settings().smtp.clone(),
        465,
    )?;
    let settings = SmtpSettings::new(p.host, p.port, p.security, p.username, p.password);
    Ok(match p.ca_pem {
        Some(pem) => settings.with_extra_ca(pem),
        None => settings,
    })
}
