//! ## What it does
//! When the host is a known provider's server, checks the username against
//! the provider's template: the full address for most providers, the part
//! before `@` for Free and La Poste.
//!
//! ## Why is this bad?
//! The server answers "authentication failed", and the user changes the
//! password, which was right.
//!
//! ## Example
//! ```toml
//! sender = "jean.dupont@free.fr"
//! [smtp]
//! host = "smtp.free.fr"
//! username = "jean.dupont@free.fr"
//! ```
//! Free logs in with `jean.dupont`.

use super::{Context, Diagnostic, Rule, Severity};
use crate::UsernameTemplate;

pub(super) const NAME: &str = "username-wrong-form";

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (server, provider) in ctx.servers() {
        let (Some(provider), Some(host), Some(username)) =
            (provider, &server.host, &server.username)
        else {
            continue;
        };
        let Some(documented) = super::servers_of(provider, server.protocol)
            .iter()
            .find(|s| &ctx.host_of(s) == host)
        else {
            continue;
        };
        let has_at = username.contains('@');
        let (wrong, form) = match documented.username {
            UsernameTemplate::LocalPart => (has_at, "local-part"),
            UsernameTemplate::Address => (!has_at, "address"),
        };
        if !wrong {
            continue;
        }
        let expected = ctx
            .sender
            .as_ref()
            .map_or_else(|| "none".to_string(), |s| documented.username.apply(s));
        out.push(
            Diagnostic::new(
                Rule::UsernameWrongForm,
                Severity::Error,
                server.fields().username,
            )
            .arg("protocol", server.protocol.name())
            .arg("username", username)
            .arg("provider", &provider.name)
            .arg("form", form)
            .arg("expected", expected),
        );
    }
}
