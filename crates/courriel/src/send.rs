//! `courriel send`: one message through the account's SMTP server.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use courriel::connect::smtp_settings;
use courriel_core::EmailAddress;
use courriel_core::account::Lang;
use courriel_presets::Catalog;
use courriel_transport::{Email, Mailbox, Policy, SendGridSettings, deliver};
use serde_json::json;

use crate::{EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE};

pub(crate) struct Options {
    pub(crate) config: PathBuf,
    pub(crate) to: Vec<String>,
    pub(crate) cc: Vec<String>,
    pub(crate) bcc: Vec<String>,
    pub(crate) subject: String,
    pub(crate) text: Option<PathBuf>,
    pub(crate) html: Option<PathBuf>,
    pub(crate) attach: Vec<PathBuf>,
    pub(crate) json: bool,
    pub(crate) lang: Lang,
}

/// The MIME type of a file, from its extension.
fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .as_deref()
    {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("html" | "htm") => "text/html",
        Some("zip") => "application/zip",
        Some("xml") => "application/xml",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The default provider from the environment: `COURRIEL_SENDGRID_API_KEY`,
/// and for a local test server `COURRIEL_SENDGRID_DANGEROUS_PLAIN_HTTP_URL`
/// (the key then travels unencrypted: tests only).
fn default_provider() -> Option<SendGridSettings> {
    let key = std::env::var("COURRIEL_SENDGRID_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())?;
    let settings = SendGridSettings::new(key);
    Some(
        match std::env::var("COURRIEL_SENDGRID_DANGEROUS_PLAIN_HTTP_URL") {
            Ok(url) if !url.is_empty() => settings.dangerous_plain_http_base_url(&url),
            _ => settings,
        },
    )
}

fn usage(message: &str) -> u8 {
    eprintln!("courriel: {message}");
    EXIT_USAGE
}

pub(crate) fn run(catalog: &Catalog, o: &Options) -> u8 {
    let account = match courriel::Account::load(&o.config) {
        Ok(a) => a,
        Err(e) => return usage(&e.to_string()),
    };
    // The user's SMTP server when the account has one, else the default provider.
    let smtp = if account.settings().smtp.is_some() {
        match smtp_settings(catalog, &account) {
            Ok(s) => Some(s),
            Err(e) => {
                crate::folders::report_settings_error(&e, o.lang);
                return EXIT_USAGE;
            }
        }
    } else {
        None
    };
    let default = default_provider();
    let Some(sender) = account
        .settings()
        .sender
        .as_deref()
        .and_then(|s| EmailAddress::parse(s).ok())
    else {
        return usage("the account's sender is missing or invalid: run `courriel check --offline`");
    };
    let email = match build_email(o, sender) {
        Ok(email) => email,
        Err(e) => return usage(&e),
    };
    let rendered = match email.render() {
        Ok(rendered) => rendered,
        Err(e) => return usage(&e.to_string()),
    };
    match crate::block_on(deliver(
        smtp.as_ref(),
        default.as_ref(),
        &Policy::default(),
        &email,
        rendered,
    )) {
        Err(failure) => {
            if o.json {
                crate::emit(&format!(
                    "{}\n",
                    json!({ "sent": false, "code": failure.code(), "message": failure.message(o.lang), "help": failure.help(o.lang) })
                ));
            }
            eprintln!("{}", failure.render(o.lang));
            EXIT_NOT_FOUND
        }
        Ok(sent) => {
            let receipt = &sent.receipt;
            if o.json {
                let refused: Vec<_> = receipt
                    .refused
                    .iter()
                    .map(|(a, r)| json!({ "address": a.to_string(), "reply": r }))
                    .collect();
                let value = json!({
                    "sent": true,
                    "transport": sent.transport.as_str(),
                    "message_id": receipt.message_id,
                    "reply": receipt.reply,
                    "accepted": receipt.accepted.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "refused": refused,
                });
                crate::emit(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&value).expect("JSON")
                ));
            } else {
                let via = smtp.as_ref().map_or_else(
                    || "the default provider (SendGrid)".to_string(),
                    |s| format!("{}:{}", s.host, s.port),
                );
                let mut out = format!(
                    "sent through {via} — Message-ID <{}>\n{}\n",
                    receipt.message_id, receipt.reply
                );
                for (address, reply) in &receipt.refused {
                    let _ = writeln!(out, "refused: {address}: {reply}");
                }
                crate::emit(&out);
            }
            if receipt.is_partial() {
                EXIT_NOT_FOUND
            } else {
                EXIT_OK
            }
        }
    }
}

/// The email the options describe, from `sender`.
fn build_email(o: &Options, sender: EmailAddress) -> Result<Email, String> {
    let mut email = Email::from(Mailbox::new(sender)).subject(o.subject.clone());
    for (list, kind) in [(&o.to, "to"), (&o.cc, "cc"), (&o.bcc, "bcc")] {
        for raw in list {
            let address = match EmailAddress::parse(raw) {
                Ok(a) => a,
                Err(e) => return Err(format!("--{kind} `{raw}` is not a valid address: {e}")),
            };
            email = match kind {
                "to" => email.to(Mailbox::new(address)),
                "cc" => email.cc(Mailbox::new(address)),
                _ => email.bcc(Mailbox::new(address)),
            };
        }
    }
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let text = |p: &Path| {
        read(p).and_then(|b| {
            String::from_utf8(b).map_err(|_| format!("{} is not UTF-8 text", p.display()))
        })
    };
    if let Some(path) = &o.text {
        match text(path) {
            Ok(t) => email = email.text(t),
            Err(e) => return Err(e),
        }
    }
    if let Some(path) = &o.html {
        match text(path) {
            Ok(t) => email = email.html(t),
            Err(e) => return Err(e),
        }
    }
    for path in &o.attach {
        let name = path.file_name().map_or_else(
            || "attachment".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        match read(path) {
            Ok(bytes) => email = email.attach(name, content_type(path), bytes),
            Err(e) => return Err(e),
        }
    }
    Ok(email)
}
