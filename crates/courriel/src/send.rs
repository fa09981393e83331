//! `courriel send`: one message through the account's SMTP server.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use courriel::connect::smtp_settings;
use courriel_core::EmailAddress;
use courriel_core::account::Lang;
use courriel_presets::Catalog;
use courriel_transport::{Email, Mailbox, send};
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

fn usage(message: &str) -> u8 {
    eprintln!("courriel: {message}");
    EXIT_USAGE
}

pub(crate) fn run(catalog: &Catalog, o: &Options) -> u8 {
    let account = match courriel::account::load(&o.config) {
        Ok(a) => a,
        Err(e) => return usage(&e.to_string()),
    };
    if account.smtp.is_none() {
        return usage(
            "the account has no [smtp] settings, and sending through the default provider (SendGrid) is not available in this version: add [smtp]",
        );
    }
    let settings = match smtp_settings(catalog, &account, |v| std::env::var_os(v)) {
        Ok(s) => s,
        Err(e) => {
            crate::folders::report_settings_error(&e, o.lang);
            return EXIT_USAGE;
        }
    };
    let Some(sender) = account
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
        Ok(r) => r,
        Err(e) => return usage(&e.to_string()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(send(&settings, &rendered)) {
        Err(failure) => {
            if o.json {
                crate::emit(&format!(
                    "{}\n",
                    json!({ "sent": false, "code": failure.code(), "message": failure.message(o.lang), "help": failure.help(o.lang) })
                ));
            }
            eprintln!(
                "[{}] {}\n  {}",
                failure.code(),
                failure.message(o.lang),
                failure.help(o.lang)
            );
            EXIT_NOT_FOUND
        }
        Ok(receipt) => {
            if o.json {
                let refused: Vec<_> = receipt
                    .refused
                    .iter()
                    .map(|(a, r)| json!({ "address": a.to_string(), "reply": r }))
                    .collect();
                let value = json!({
                    "sent": true,
                    "transport": "smtp",
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
                let mut out = format!(
                    "sent through {}:{} — Message-ID <{}>\n{}\n",
                    settings.host, settings.port, receipt.message_id, receipt.reply
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
