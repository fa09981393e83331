//! ## What it does
//! Warns when the SMTP provider already files a copy of every message sent
//! through it in the Sent folder (Gmail, Google Workspace, Outlook.com,
//! Microsoft 365) while courriel is also set to file one over IMAP.
//!
//! ## Why is this bad?
//! Every message would appear twice in the user's Sent folder.
//!
//! ## Example
//! ```toml
//! [smtp]
//! host = "smtp.gmail.com"
//! [imap]
//! host = "imap.gmail.com"
//! ```
//! Set `copy_to_sent = false` under `[imap]`.

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;
use crate::provider::SentCopy;

pub(super) const NAME: &str = "provider-files-sent-copy";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(provider), Some(imap)) = (ctx.facts.smtp_provider, &ctx.account.imap) else {
        return;
    };
    if provider.sent_copy == SentCopy::ServerFiles && imap.copy_to_sent != Some(false) {
        out.push(
            Diagnostic::new(
                Rule::ProviderFilesSentCopy,
                Severity::Warning,
                Field::ImapCopyToSent,
            )
            .arg("provider", &provider.name),
        );
    }
}
