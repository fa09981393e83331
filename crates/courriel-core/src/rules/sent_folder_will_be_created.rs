//! ## What it does
//! Says, once the server was asked, that it has no Sent folder and that
//! one will be created when the first copy is filed (`sent_folder =
//! "auto"`, the default): named `Sent` under the user's namespace prefix
//! (`INBOX.Sent` on Courier-style servers), or the provider's own name
//! for it, marked `\Sent` where the server can.
//!
//! ## Why is this bad?
//! It is not, most of the time: a new mailbox often holds only INBOX, and
//! mail programs create the Sent folder the same way. But if the user's
//! mail program already files sent mail in another folder, copies would
//! end up in two places.
//!
//! ## Example
//! ```toml
//! [imap]
//! host = "mail.example.fr"
//! sent_folder = "auto"   # the server lists only INBOX
//! ```
//! Set `sent_folder` to the folder the mail program uses, or
//! `create_sent_folder = false` to be told instead.

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;

pub(super) const NAME: &str = "sent-folder-will-be-created";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(imap) = &ctx.account.imap else {
        return;
    };
    if imap.copy_to_sent == Some(false) || ctx.facts.sent_folder_found != Some(false) {
        return;
    }
    let auto = imap
        .sent_folder
        .as_deref()
        .map(str::trim)
        .is_none_or(|f| f.is_empty() || f.eq_ignore_ascii_case("auto"));
    if let (true, Some(folder)) = (auto, &ctx.facts.sent_folder_to_create) {
        out.push(
            Diagnostic::new(
                Rule::SentFolderWillBeCreated,
                Severity::Warning,
                Field::ImapSentFolder,
            )
            .arg("folder", folder),
        );
    }
}
