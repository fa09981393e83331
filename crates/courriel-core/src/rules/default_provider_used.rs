//! ## What it does
//! Tells the user that, with no SMTP settings, their mail goes through the
//! application's default provider (SendGrid), under their address (when
//! it goes under the application's, DF002 says so instead).
//!
//! ## Why is this bad?
//! It works, but a message from a bulk sender under the user's own address
//! is more likely to land in spam, bounces go to the provider rather than
//! to the user, and a custom domain's DMARC policy may reject it. Their own
//! SMTP server avoids all three.
//!
//! ## Example
//! ```toml
//! sender = "contact@boulangerie-martin.fr"
//! # no [smtp]
//! ```

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;

pub(super) const NAME: &str = "default-provider-used";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    // Under the application's address, DF002 says so instead.
    let on_behalf = matches!(
        ctx.facts.default_sender,
        Some(crate::dmarc::SentAs::OnBehalf { .. })
    );
    if ctx.account.smtp.is_none() && !on_behalf {
        out.push(Diagnostic::new(
            Rule::DefaultProviderUsed,
            Severity::Hint,
            Field::Smtp,
        ));
    }
}
