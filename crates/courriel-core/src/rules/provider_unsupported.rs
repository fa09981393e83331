//! ## What it does
//! Flags a provider that offers no standard IMAP and SMTP access to other
//! software (Proton Mail without its Bridge).
//!
//! ## Why is this bad?
//! No setting will work: the user needs the provider's own bridge, or to
//! leave the SMTP settings empty so mail goes through the default provider.
//!
//! ## Example
//! ```toml
//! sender = "isabelle.martin@proton.me"
//! ```

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;
use crate::provider::Status;

pub(super) const NAME: &str = "provider-unsupported";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(provider) = ctx.provider() else {
        return;
    };
    if provider.status != Status::Unsupported || (ctx.smtp.is_none() && ctx.imap.is_none()) {
        return;
    }
    let (en, fr) = super::hint_texts(provider);
    out.push(
        Diagnostic::new(Rule::ProviderUnsupported, Severity::Error, Field::Sender)
            .arg("provider", &provider.name)
            .localized("provider_hint", en, fr),
    );
}
