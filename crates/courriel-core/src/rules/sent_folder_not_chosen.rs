//! ## What it does
//! Checks that IMAP settings say which folder receives the copy of sent
//! mail: a folder name, or `auto` to use the server's own Sent folder; and,
//! once the server was asked, that the folder exists (with `auto`: that
//! the server has a Sent folder, or that one may be created, which
//! `create_sent_folder = false` forbids; AR003 says when one will be).
//!
//! ## Why is this bad?
//! Without a folder, copies cannot be filed; with a folder that does not
//! exist, every copy fails (or, on some servers, creates a stray folder).
//!
//! ## Example
//! ```toml
//! [imap]
//! host = "imap.mail.yahoo.com"
//! # sent_folder = "auto"   <- missing
//! ```

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;

pub(super) const NAME: &str = "sent-folder-not-chosen";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(imap) = &ctx.account.imap else {
        return;
    };
    if imap.copy_to_sent == Some(false) {
        return;
    }
    let chosen = imap
        .sent_folder
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    match (chosen, ctx.facts.sent_folder_found) {
        (None, _) => out.push(
            Diagnostic::new(
                Rule::SentFolderNotChosen,
                Severity::Warning,
                Field::ImapSentFolder,
            )
            .arg("folder", "none"),
        ),
        // No Sent folder on the server: created on first filing, unless
        // the settings forbid it (then nothing can be filed).
        (Some(folder), Some(false))
            if folder.eq_ignore_ascii_case("auto") && ctx.facts.sent_folder_to_create.is_none() =>
        {
            out.push(
                Diagnostic::new(
                    Rule::SentFolderNotChosen,
                    Severity::Error,
                    Field::ImapCreateSentFolder,
                )
                .arg("folder", "auto"),
            );
        }
        // Created on first filing (AR003 says so).
        (Some(folder), Some(false)) if folder.eq_ignore_ascii_case("auto") => {}
        (Some(folder), Some(false)) => out.push(
            Diagnostic::new(
                Rule::SentFolderNotChosen,
                Severity::Error,
                Field::ImapSentFolder,
            )
            .arg("folder", folder),
        ),
        _ => {}
    }
}
