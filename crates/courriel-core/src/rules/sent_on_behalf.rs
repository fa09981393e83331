//! ## What it does
//! Tells the user that, with no SMTP settings, their mail goes out through
//! the application's default provider under the application's address,
//! their name shown beside it and replies coming to them, and why: their
//! domain's DMARC policy, or the application's choice.
//!
//! ## Why is this bad?
//! It is not: mail from `yahoo.fr` sent by another company's servers under
//! the user's own address fails DMARC, and Yahoo's `p=reject` asks every
//! receiver to refuse it. Sent on the user's behalf, it arrives. But the
//! user should know what their customers see, and that their own SMTP
//! server would send under their own address.
//!
//! ## Example
//! ```toml
//! sender = "isabelle.martin@yahoo.fr"
//! # no [smtp]: the application sends as "Isabelle Martin via Facturo"
//! ```

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;
use crate::dmarc::SentAs;

pub(super) const NAME: &str = "sent-on-behalf";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (
        None,
        Some(sender),
        Some(SentAs::OnBehalf {
            app_name,
            app_address,
            why,
        }),
    ) = (&ctx.account.smtp, &ctx.sender, &ctx.facts.default_sender)
    else {
        return;
    };
    out.push(
        Diagnostic::new(Rule::SentOnBehalf, Severity::Hint, Field::Smtp)
            .arg("app", app_name)
            .arg("address", app_address)
            .arg("sender", sender)
            .arg("domain", sender.domain())
            .arg("why", why.as_str()),
    );
}
