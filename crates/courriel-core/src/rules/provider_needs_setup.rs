//! ## What it does
//! Tells the user when their provider keeps IMAP and SMTP access switched
//! off until they turn it on in its web settings (GMX, WEB.DE, Outlook.com).
//!
//! ## Why is this bad?
//! Until it is switched on, logins fail with "authentication failed" or the
//! connection is refused, although every setting is right.
//!
//! ## Example
//! ```toml
//! sender = "isabelle.martin@gmx.de"
//! ```

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;
use crate::provider::Status;

pub(super) const NAME: &str = "provider-needs-setup";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(provider) = ctx.provider() else {
        return;
    };
    if provider.status != Status::NeedsSetup {
        return;
    }
    let (en, fr) = super::hint_texts(provider);
    out.push(
        Diagnostic::new(Rule::ProviderNeedsSetup, Severity::Hint, Field::Sender)
            .arg("provider", &provider.name)
            .localized("provider_hint", en, fr),
    );
}
