//! `courriel send`: a message as the account's user through
//! [`Mailer::send`](courriel::Mailer::send), which also files the copy in
//! the Sent folder (or spools it); and `--to-list`, one message per address
//! of a file through the same mailer, so connections are reused.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use courriel::NotFiled;
use courriel::dmarc::SentAs;
use courriel::input::{ATTACHMENTS_TOTAL_CAP, Input, InputError};
use courriel::{Account, Filing, Mailer, Receipt, SendError};
use courriel_core::EmailAddress;
use courriel_core::account::Lang;
use courriel_presets::Catalog;
use courriel_transport::{Email, Mailbox};
use serde_json::json;

use crate::i18n::msg;
use crate::progress::Progress;
use crate::{EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE};

/// Messages of a `--to-list` in flight at once: the mailer keeps two SMTP
/// connections per account, and copies filed together share a session.
const IN_FLIGHT: usize = 2;

pub(crate) struct Options {
    pub(crate) config: PathBuf,
    pub(crate) to: Vec<String>,
    pub(crate) to_list: Option<PathBuf>,
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

pub(crate) fn run(catalog: &Catalog, spool: &str, o: &Options) -> u8 {
    let account = match crate::load_account(&o.config, catalog) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let lang = o.lang;
    let Some(sender) = account
        .settings()
        .sender
        .as_deref()
        .and_then(|s| EmailAddress::parse(s).ok())
    else {
        return usage(&msg!(lang, "sender-invalid"));
    };
    // Settings too wrong to connect are the user's to fix, before anything is sent.
    if account.settings().smtp.is_some()
        && let Err(e) = courriel::connect::smtp_settings(catalog, &account)
    {
        crate::folders::report_settings_error(&e, lang);
        return EXIT_USAGE;
    }
    let template = match build_email(o, sender) {
        Ok(email) => email,
        Err(e) => return usage(&e),
    };
    let recipients = match &o.to_list {
        None => None,
        Some(list) => match read_list(list, lang) {
            Ok(r) => Some(r),
            Err(e) => return usage(&e),
        },
    };
    let mailer = match crate::mailer(catalog, spool, lang) {
        Ok(mailer) => mailer,
        Err(code) => return code,
    };
    match recipients {
        None => send_one(&mailer, &account, template, o),
        Some(recipients) => send_list(&mailer, &account, &template, &recipients, o),
    }
}

/// How a send ended, for the exit code.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    Partial,
    NotSent,
    Usage,
}

fn send_one(mailer: &Mailer, account: &Account, email: Email, o: &Options) -> u8 {
    let resolved = mailer.resolve(account);
    let result = crate::block_on(async {
        let result = mailer.send(&resolved, email).await;
        mailer.close().await;
        result
    });
    let (outcome, value, text) = describe(result, account, o.lang);
    if o.json {
        crate::emit_json(&value);
    }
    match outcome {
        Outcome::Sent | Outcome::Partial => {
            if !o.json {
                crate::emit(&text);
            }
        }
        Outcome::NotSent | Outcome::Usage => eprintln!("{text}"),
    }
    match outcome {
        Outcome::Sent => EXIT_OK,
        Outcome::Partial | Outcome::NotSent => EXIT_NOT_FOUND,
        Outcome::Usage => EXIT_USAGE,
    }
}

/// Reads a file the user named as `input` (bounded, regular files only),
/// or says why not, naming it.
fn read_input(path: &Path, input: Input, lang: Lang) -> Result<Vec<u8>, String> {
    courriel::input::read(path, input).map_err(|e| read_problem(path, &e, lang))
}

/// [`read_input`] as UTF-8 text.
fn read_input_text(path: &Path, input: Input, lang: Lang) -> Result<String, String> {
    courriel::input::read_text(path, input).map_err(|e| read_problem(path, &e, lang))
}

fn read_problem(path: &Path, e: &std::io::Error, lang: Lang) -> String {
    if InputError::of(e).is_some() {
        format!("{}: {}", path.display(), courriel::input::describe(e, lang))
    } else {
        msg!(
            lang,
            "cannot-read",
            path = path.display(),
            error = e.to_string()
        )
    }
}

/// The addresses of a `--to-list` file: one per line, blank lines and
/// `#` comments skipped; an invalid one is an error naming its line (shown
/// cut).
fn read_list(path: &Path, lang: Lang) -> Result<Vec<EmailAddress>, String> {
    let text = read_input_text(path, Input::AddressList, lang)?;
    let mut addresses = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match EmailAddress::parse(line) {
            Ok(a) => addresses.push(a),
            Err(e) => {
                return Err(format!(
                    "{}:{}: {}",
                    path.display(),
                    n + 1,
                    msg!(
                        lang,
                        "invalid-address",
                        input = crate::echo(line),
                        error = e.to_string()
                    )
                ));
            }
        }
    }
    if addresses.is_empty() {
        return Err(format!(
            "{}: {}",
            path.display(),
            msg!(lang, "to-list-empty")
        ));
    }
    Ok(addresses)
}

fn send_list(
    mailer: &Mailer,
    account: &Account,
    template: &Email,
    recipients: &[EmailAddress],
    o: &Options,
) -> u8 {
    let lang = o.lang;
    // Every message differs only by its recipient: one that cannot be
    // rendered is a usage error, found before anything is sent.
    if let Err(e) = template
        .clone()
        .to(Mailbox::new(recipients[0].clone()))
        .render()
    {
        return usage(&e.to_string());
    }
    let resolved = &mailer.resolve(account);
    let total = recipients.len();
    let results: RefCell<Vec<Option<(Outcome, serde_json::Value, String)>>> =
        RefCell::new(vec![None; total]);
    let next = Cell::new(0);
    let done = Cell::new(0);
    let progress = RefCell::new(Progress::new(&msg!(lang, "progress-sending"), o.json));
    progress.borrow_mut().update(0, total);
    let (next, done, results, progress) = (&next, &done, &results, &progress);
    let worker = move || async move {
        loop {
            let i = next.get();
            if i >= total {
                break;
            }
            next.set(i + 1);
            let email = template.clone().to(Mailbox::new(recipients[i].clone()));
            let result = mailer.send(resolved, email).await;
            let (outcome, mut value, text) = describe(result, account, lang);
            value["to"] = json!(recipients[i].to_string());
            results.borrow_mut()[i] = Some((outcome, value, text));
            done.set(done.get() + 1);
            progress.borrow_mut().update(done.get(), total);
        }
    };
    crate::block_on(async {
        let workers: Vec<_> = (0..IN_FLIGHT.min(total)).map(|_| worker()).collect();
        join_all(workers).await;
        mailer.close().await;
    });
    progress.borrow_mut().finish();
    let results: Vec<_> = results.take().into_iter().flatten().collect();
    let all_sent = results.iter().all(|(o, _, _)| *o == Outcome::Sent);
    if o.json {
        crate::emit_json(&json!(
            results.iter().map(|(_, v, _)| v).collect::<Vec<_>>()
        ));
    } else {
        let mut out = String::new();
        for ((outcome, value, _), to) in results.iter().zip(recipients.iter()) {
            let status = match outcome {
                Outcome::Sent => msg!(lang, "to-list-sent"),
                Outcome::Partial => msg!(lang, "to-list-partly"),
                Outcome::NotSent | Outcome::Usage => msg!(lang, "to-list-failed"),
            };
            let _ = writeln!(out, "{status:<9} {to}  {}", list_line(value, lang));
        }
        let sent = results
            .iter()
            .filter(|(o, _, _)| *o == Outcome::Sent)
            .count();
        let _ = writeln!(
            out,
            "{}",
            msg!(lang, "to-list-summary", sent = sent, total = total)
        );
        crate::emit(&out);
    }
    if all_sent { EXIT_OK } else { EXIT_NOT_FOUND }
}

/// One recipient's line of a `--to-list` send, from its JSON: the
/// Message-ID and the Sent copy's fate, or why it was not sent.
fn list_line(value: &serde_json::Value, lang: Lang) -> String {
    let text = |key: &str| value[key].as_str().unwrap_or_default().to_string();
    if value["sent"] != true {
        return match value["code"].as_str() {
            Some(code) => format!("[{code}] {}", text("message")),
            None => text("message"),
        };
    }
    let mut line = format!(
        "<{}>  {}",
        text("message_id"),
        value["filing"]["summary"]
            .as_str()
            .and_then(|s| s.lines().next())
            .unwrap_or_default()
    );
    for refused in value["refused"].as_array().into_iter().flatten() {
        let _ = write!(
            line,
            "; {}",
            msg!(
                lang,
                "to-list-refused",
                address = refused["address"].as_str().unwrap_or_default()
            )
        );
    }
    line
}

/// Runs every future to its end, together (no spawning: the futures borrow).
async fn join_all<F: std::future::Future<Output = ()>>(futures: Vec<F>) {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        futures.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if futures.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

/// A send's outcome, its JSON and its text (the receipt, or the error).
fn describe(
    result: Result<Receipt, SendError>,
    account: &Account,
    lang: Lang,
) -> (Outcome, serde_json::Value, String) {
    match result {
        Ok(receipt) => {
            let outcome = if receipt.is_partial() {
                Outcome::Partial
            } else {
                Outcome::Sent
            };
            (
                outcome,
                receipt_json(&receipt, lang),
                receipt_text(&receipt, account, lang),
            )
        }
        Err(SendError::Failed(failure)) => (
            Outcome::NotSent,
            failure_json(&failure, lang),
            failure.render(lang),
        ),
        // Nothing went out: the spool could not take the copy first.
        Err(SendError::Spool(failure)) => (
            Outcome::Usage,
            failure_json(&failure, lang),
            failure.render(lang),
        ),
        // Handed over, then the answer was lost: sent or not, unknown.
        Err(SendError::FateUnknown { failure, entry }) => (
            Outcome::NotSent,
            {
                let mut value = failure_json(&failure, lang);
                value["sent"] = serde_json::Value::Null;
                value["fate"] = json!("unknown");
                value["spool_entry"] = json!(entry);
                value
            },
            match &entry {
                Some(entry) => format!(
                    "{}\n  {}",
                    failure.render(lang),
                    msg!(lang, "fate-unknown-kept", entry = entry)
                ),
                None => failure.render(lang),
            },
        ),
        Err(SendError::Settings(diagnostics)) => {
            let text = diagnostics
                .iter()
                .map(|d| d.render(lang))
                .collect::<Vec<_>>()
                .join("\n\n");
            let codes: Vec<_> = diagnostics
                .iter()
                .map(courriel_core::rules::Diagnostic::code)
                .collect();
            (
                Outcome::Usage,
                json!({ "sent": false, "codes": codes, "message": text }),
                text,
            )
        }
        Err(e) => (
            Outcome::Usage,
            json!({ "sent": false, "message": e.to_string() }),
            format!("courriel: {e}"),
        ),
    }
}

/// A send that failed, as `send --json` says it.
fn failure_json(failure: &courriel_core::failure::Failure, lang: Lang) -> serde_json::Value {
    json!({
        "sent": false,
        "code": failure.code(),
        "message": failure.message(lang),
        "help": failure.help(lang),
    })
}

fn receipt_json(receipt: &Receipt, lang: Lang) -> serde_json::Value {
    let refused: Vec<_> = receipt
        .refused
        .iter()
        .map(|(a, r)| json!({ "address": a.to_string(), "reply": r }))
        .collect();
    json!({
        "sent": true,
        "transport": receipt.transport.as_str(),
        "message_id": receipt.message_id,
        "reply": receipt.reply,
        "accepted": receipt.accepted.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "refused": refused,
        "filing": filing_json(&receipt.filing, lang),
        "sent_as": sent_as_json(&receipt.sent_as),
    })
}

/// Who the message went out as: `user` or `on-behalf`, why, and the
/// address in From when it was the application's.
fn sent_as_json(sent_as: &SentAs) -> serde_json::Value {
    let mut value = json!({ "as": sent_as.as_str(), "reason": sent_as.reason() });
    if let SentAs::OnBehalf { app_address, .. } = sent_as {
        value["from"] = json!(app_address.to_string());
    }
    value
}

/// What became of the Sent copy: `status` (`filed`, `spooled`, `failed`,
/// `not-filed`, `not-kept`), the folder or the spool entry, and why.
fn filing_json(filing: &Filing, lang: Lang) -> serde_json::Value {
    let mut value = json!({ "status": filing.status(), "summary": filing.summary(lang) });
    let failure = match filing {
        Filing::Filed { folder, created } => {
            value["folder"] = json!(display_folder(folder));
            value["raw"] = json!(folder);
            value["created"] = json!(created);
            None
        }
        Filing::Spooled { entry, failure } | Filing::Failed { entry, failure } => {
            value["entry"] = json!(entry);
            Some(failure)
        }
        Filing::NotKept(failure) => Some(failure),
        Filing::NotFiled(why) => {
            value["reason"] = json!(match why {
                NotFiled::ProviderFilesItsOwn { provider } => {
                    value["provider"] = json!(provider);
                    "provider-files-its-own"
                }
                NotFiled::NoImap => "no-imap",
                NotFiled::Disabled => "disabled",
                _ => "other",
            });
            None
        }
        _ => None,
    };
    if let Some(f) = failure {
        value["code"] = json!(f.code());
        value["message"] = json!(f.message(lang));
        value["help"] = json!(f.help(lang));
    }
    value
}

/// A folder's name as people read it (IMAP names travel in modified UTF-7).
fn display_folder(raw: &str) -> String {
    courriel_archive::mutf7::decode_lenient(raw)
}

fn receipt_text(receipt: &Receipt, account: &Account, lang: Lang) -> String {
    let via = match receipt.transport {
        courriel_transport::Transport::SendGrid => {
            msg!(lang, "via-default-provider", name = "SendGrid")
        }
        courriel_transport::Transport::Relay => {
            msg!(lang, "via-default-provider", name = "SMTP relay")
        }
        _ => account
            .settings()
            .smtp
            .as_ref()
            .map_or_else(String::new, |s| {
                format!(
                    "{}:{}",
                    s.host.as_deref().unwrap_or_default(),
                    s.port.map_or_else(String::new, |p| p.to_string())
                )
            }),
    };
    let mut out = format!(
        "{}\n{}\n",
        msg!(
            lang,
            "receipt-sent-through",
            via = via,
            message_id = receipt.message_id
        ),
        receipt.reply
    );
    if let SentAs::OnBehalf {
        app_name,
        app_address,
        ..
    } = &receipt.sent_as
    {
        out.push_str(&msg!(
            lang,
            "receipt-on-behalf",
            app = app_name.as_str(),
            address = app_address.to_string(),
            reason = receipt.sent_as.reason()
        ));
        out.push('\n');
    }
    for (address, reply) in &receipt.refused {
        let _ = writeln!(
            out,
            "{}",
            msg!(
                lang,
                "receipt-refused",
                address = address.to_string(),
                reply = reply
            )
        );
    }
    let summary = match &receipt.filing {
        Filing::Spooled { .. } => format!(
            "{}\n  {}",
            receipt.filing.summary(lang),
            msg!(lang, "receipt-filed-later")
        ),
        other => other.summary(lang),
    };
    let _ = writeln!(out, "{summary}");
    out
}

/// The email the options describe, from `sender`, to the `--to` recipients.
fn build_email(o: &Options, sender: EmailAddress) -> Result<Email, String> {
    let lang = o.lang;
    let mut email = Email::from(Mailbox::new(sender)).subject(o.subject.clone());
    for (list, kind) in [(&o.to, "to"), (&o.cc, "cc"), (&o.bcc, "bcc")] {
        for raw in list {
            let address = match EmailAddress::parse(raw) {
                Ok(a) => a,
                Err(e) => {
                    return Err(format!(
                        "--{kind} {}",
                        msg!(
                            lang,
                            "invalid-address",
                            input = crate::echo(raw),
                            error = e.to_string()
                        )
                    ));
                }
            };
            email = match kind {
                "to" => email.to(Mailbox::new(address)),
                "cc" => email.cc(Mailbox::new(address)),
                _ => email.bcc(Mailbox::new(address)),
            };
        }
    }
    if let Some(path) = &o.text {
        email = email.text(read_input_text(path, Input::Body, lang)?);
    }
    if let Some(path) = &o.html {
        email = email.html(read_input_text(path, Input::Body, lang)?);
    }
    let mut total = 0;
    for path in &o.attach {
        let name = path.file_name().map_or_else(
            || "attachment".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let bytes = read_input(path, Input::Attachment, lang)?;
        total += bytes.len() as u64;
        if total > ATTACHMENTS_TOTAL_CAP {
            return Err(msg!(
                lang,
                "attachments-too-large",
                path = path.display(),
                mib = ATTACHMENTS_TOTAL_CAP >> 20,
                cap = ATTACHMENTS_TOTAL_CAP
            ));
        }
        email = email.attach(name, content_type(path), bytes);
    }
    Ok(email)
}
