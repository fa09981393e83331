//! From a checked provider file to the catalog's [`Provider`].

use courriel_core::provider::{Provider, Server, Tier};

use crate::file::{ProviderFile, ServerFile};

impl From<&ServerFile> for Server {
    fn from(s: &ServerFile) -> Self {
        Server {
            host: s.host.clone(),
            port: s.port,
            security: s.security.into(),
            username: s.username.into(),
        }
    }
}

pub(crate) fn provider_from_file(file: ProviderFile, origin: String, tier: Tier) -> Provider {
    Provider {
        smtp: file.smtp.iter().map(Server::from).collect(),
        imap: file.imap.iter().map(Server::from).collect(),
        id: file.id,
        name: file.name,
        domains: file.domains,
        mx: file.mx,
        sender_policy: file.sender_policy,
        auth: file.auth,
        oauth2: file.oauth2,
        sent_copy: file.sent_copy,
        sent_folder: file.sent_folder,
        status: file.status,
        hint: file.hint,
        documentation: file.documentation,
        source: file.source,
        last_checked: file.last_checked,
        origin,
        tier,
    }
}
