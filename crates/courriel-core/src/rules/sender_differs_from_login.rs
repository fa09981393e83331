//! ## What it does
//! Checks that the sender address is the address the SMTP login belongs to,
//! knowing the provider's username template: Free and La Poste log in with
//! the part before `@`, so the login `jean.dupont` is `jean.dupont@free.fr`.
//!
//! ## Why is this bad?
//! Many providers refuse mail whose From is not the logged-in account:
//! Yahoo, AOL, Orange, Free, OVH MX Plan answer
//! `553 5.7.1 Sender address rejected: not owned by user`. Others accept
//! only aliases the user verified with them. The error shows up only when
//! the first message bounces.
//!
//! It is an error where the provider rejects any other sender, a warning
//! where verified aliases are accepted or the policy is not known, and
//! nothing where any sender is accepted.
//!
//! ## Example
//! ```toml
//! sender = "facturation@yahoo.fr"
//! [smtp]
//! host = "smtp.mail.yahoo.com"
//! username = "isabelle.martin@yahoo.fr"
//! ```
//! Send as `isabelle.martin@yahoo.fr`, or log in as `facturation@yahoo.fr`.

use super::{Context, Diagnostic, Rule, Severity};
use crate::account::Field;
use crate::provider::SenderPolicy;
use crate::{EmailAddress, UsernameTemplate};

pub(super) const NAME: &str = "sender-differs-from-login";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(sender), Some(smtp)) = (&ctx.sender, &ctx.smtp) else {
        return;
    };
    let Some(username) = &smtp.username else {
        return;
    };
    // The server's own policy, else (a host the catalog does not know) the
    // policy of the sender's provider, whose server it most likely is.
    let provider = ctx.provider();
    let template = ctx.facts.smtp_provider.and_then(|p| {
        let host = smtp.host.as_deref()?;
        p.smtp
            .iter()
            .find(|s| ctx.host_of(s) == host)
            .map(|s| s.username)
    });
    if same_account(sender, username, template) {
        return;
    }
    let severity = match provider.map(|p| p.sender_policy) {
        Some(SenderPolicy::AnySender) => return,
        Some(SenderPolicy::MustMatchLogin) => Severity::Error,
        _ => Severity::Warning,
    };
    let policy = match provider.map(|p| p.sender_policy) {
        Some(SenderPolicy::MustMatchLogin) => "rejects",
        Some(SenderPolicy::VerifiedAliases) => "aliases",
        _ => "unknown",
    };
    out.push(
        Diagnostic::new(Rule::SenderDiffersFromLogin, severity, Field::Sender)
            .arg("sender", sender)
            .arg("login", username)
            .arg("provider", provider.map_or("", |p| p.name.as_str()))
            .arg("policy", policy),
    );
}

/// Whether the login `username` is the account of `sender`.
fn same_account(sender: &EmailAddress, username: &str, template: Option<UsernameTemplate>) -> bool {
    match EmailAddress::parse(username) {
        Ok(login) => {
            login.domain() == sender.domain()
                && login.local_part().eq_ignore_ascii_case(sender.local_part())
        }
        // A login without `@` names the local part, on the sender's provider
        // (`jean.dupont` for `jean.dupont@free.fr`); compare what we can.
        Err(_) => {
            matches!(template, None | Some(UsernameTemplate::LocalPart))
                && username.trim().eq_ignore_ascii_case(sender.local_part())
        }
    }
}
