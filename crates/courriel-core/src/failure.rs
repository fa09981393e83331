//! Failures a user can meet when a server is contacted: each with a stable
//! code and a message in every language that says what to do. The rules
//! report problems in settings; these report what the servers did.

use std::fmt;

use crate::account::Lang;
pub use crate::rules::Arg;

macro_rules! failures {
    ($($variant:ident => $code:literal, $name:literal;)*) => {
        /// Every kind of failure, with its stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        #[allow(missing_docs)] // each is described by its messages in the locales
        pub enum FailureKind {
            $($variant,)*
        }

        impl FailureKind {
            /// Every kind, in code order.
            pub const ALL: &'static [FailureKind] = &[$(FailureKind::$variant,)*];

            /// The stable code (`IM009`). Codes never change meaning.
            #[must_use]
            pub fn code(self) -> &'static str {
                match self {
                    $(FailureKind::$variant => $code,)*
                }
            }

            /// A name that says what happened (`imap-login-refused`).
            #[must_use]
            pub fn name(self) -> &'static str {
                match self {
                    $(FailureKind::$variant => $name,)*
                }
            }
        }
    };
}

failures! {
    ImapNotConfigured => "IM001", "imap-not-configured";
    ImapDns => "IM002", "imap-dns-failure";
    ImapRefused => "IM003", "imap-connection-refused";
    ImapTimeout => "IM004", "imap-timed-out";
    ImapUntrustedCertificate => "IM005", "imap-untrusted-certificate";
    ImapCertificateName => "IM006", "imap-certificate-name-mismatch";
    ImapTls => "IM007", "imap-tls-failure";
    ImapStarttlsMissing => "IM008", "imap-starttls-not-offered";
    ImapLoginRefused => "IM009", "imap-login-refused";
    ImapUnexpected => "IM010", "imap-unexpected-answer";
    ImapFolderMissing => "IM011", "imap-folder-missing";
    ImapAppendRefused => "IM012", "imap-append-refused";
    ImapConnectionLost => "IM013", "imap-connection-lost";
    ImapSettingsInvalid => "IM014", "imap-settings-invalid";
    ImapCertificateExpired => "IM015", "imap-certificate-expired";
    ImapCreateRefused => "IM016", "imap-sent-folder-not-created";
    ImapNoSentFolder => "IM017", "imap-no-sent-folder";
    SpoolUnwritable => "SP001", "spool-unwritable";
    SpoolClaimLost => "SP002", "spool-claim-lost";
    SpoolAccountChanged => "SP003", "spool-account-changed";
    SpoolUnwritableNotSent => "SP004", "spool-unwritable-message-not-sent";
    SmtpDns => "SM002", "smtp-dns-failure";
    SmtpRefused => "SM003", "smtp-connection-refused";
    SmtpTimeout => "SM004", "smtp-timed-out";
    SmtpUntrustedCertificate => "SM005", "smtp-untrusted-certificate";
    SmtpCertificateName => "SM006", "smtp-certificate-name-mismatch";
    SmtpTls => "SM007", "smtp-tls-failure";
    SmtpStarttlsMissing => "SM008", "smtp-starttls-not-offered";
    SmtpAuthRefused => "SM009", "smtp-authentication-refused";
    SmtpSenderNotOwned => "SM010", "smtp-sender-not-owned";
    SmtpRecipientsRefused => "SM011", "smtp-recipients-refused";
    SmtpTooLarge => "SM012", "smtp-message-too-large";
    SmtpTemporary => "SM013", "smtp-temporary-failure";
    SmtpRejected => "SM014", "smtp-message-rejected";
    SmtpUnexpected => "SM015", "smtp-unexpected-answer";
    SmtpDeliveryUnknown => "SM016", "smtp-delivery-unknown";
    SmtpNoUsableAuthentication => "SM017", "smtp-no-usable-authentication";
    SmtpCertificateExpired => "SM018", "smtp-certificate-expired";
    SmtpStarttlsRefused => "SM019", "smtp-starttls-refused";
    SmtpUtf8NotOffered => "SM020", "smtp-smtputf8-not-offered";
    SmtpOverSizeLimit => "SM021", "smtp-message-over-size-limit";
    SendgridNotConfigured => "SG001", "sendgrid-not-configured";
    SendgridKeyRefused => "SG002", "sendgrid-api-key-refused";
    SendgridForbidden => "SG003", "sendgrid-forbidden";
    SendgridBadRequest => "SG004", "sendgrid-bad-request";
    SendgridTooLarge => "SG005", "sendgrid-message-too-large";
    SendgridRateLimited => "SG006", "sendgrid-rate-limited";
    SendgridServerError => "SG007", "sendgrid-server-error";
    SendgridUnreachable => "SG008", "sendgrid-unreachable";
    SendgridDeliveryUnknown => "SG009", "sendgrid-delivery-unknown";
    DestinationNotAllowed => "NT001", "destination-not-allowed";
    DestinationUnreachable => "NT002", "destination-unreachable";
    CaFileUnusable => "NT003", "ca-file-unusable";
    EmailInvalid => "EM001", "email-invalid";
    OAuth2NotSignedIn => "OA001", "oauth2-not-signed-in";
    OAuth2SignInExpired => "OA002", "oauth2-sign-in-expired";
    OAuth2AdminConsentRequired => "OA003", "oauth2-admin-consent-required";
    OAuth2ClientRefused => "OA004", "oauth2-client-refused";
    OAuth2ProviderUnreachable => "OA005", "oauth2-provider-unreachable";
    OAuth2TokenRefused => "OA006", "oauth2-token-refused";
    SmtpAuthDisabledForTenant => "OA007", "smtp-auth-disabled-for-organisation";
    PasswordLoginRetired => "OA008", "password-login-retired";
    OAuth2TokenStore => "OA009", "oauth2-token-store-failure";
    OAuth2NoUsableMechanism => "OA010", "oauth2-no-usable-mechanism";
    OAuth2ClientNotConfigured => "OA011", "oauth2-client-not-configured";
    OAuth2AuthorizationDenied => "OA012", "oauth2-authorization-denied";
}

impl FailureKind {
    /// Whether the message may have been delivered despite the failure: it
    /// happened after the message was handed over and before the server's
    /// final reply was read (a timeout or a broken connection during
    /// `DATA`, a reply out of step). Such a message must never be sent
    /// again by retrying, and its copy is kept.
    #[must_use]
    pub fn may_have_been_delivered(self) -> bool {
        matches!(
            self,
            FailureKind::SmtpDeliveryUnknown | FailureKind::SendgridDeliveryUnknown
        )
    }

    /// Whether trying again later, with nothing changed, may succeed: the
    /// server could not be reached in time, dropped the connection, or
    /// answered "not now"; the spool could not be written for now. A
    /// message is never handed over twice by retrying one of these (a
    /// failure whose message may have gone is not temporary: see
    /// [`FailureKind::may_have_been_delivered`]).
    #[must_use]
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            FailureKind::ImapRefused
                | FailureKind::ImapTimeout
                | FailureKind::ImapConnectionLost
                | FailureKind::SpoolUnwritable
                | FailureKind::SpoolClaimLost
                | FailureKind::SpoolUnwritableNotSent
                | FailureKind::SmtpRefused
                | FailureKind::SmtpTimeout
                | FailureKind::SmtpTemporary
                | FailureKind::SmtpStarttlsRefused
                | FailureKind::SendgridRateLimited
                | FailureKind::SendgridServerError
                | FailureKind::SendgridUnreachable
                | FailureKind::DestinationUnreachable
                | FailureKind::OAuth2ProviderUnreachable
                | FailureKind::OAuth2TokenStore
        )
    }

    /// Whether the same attempt will fail again until something changes:
    /// the settings (a host name that does not exist, a password refused,
    /// a certificate not trusted), the message (too large, refused), the
    /// mailbox (a folder missing) or the provider's account. Neither
    /// temporary nor of unknown fate.
    #[must_use]
    pub fn is_permanent(self) -> bool {
        !self.is_temporary() && !self.may_have_been_delivered()
    }

    /// Whether the IMAP server refused the copy or its folder (missing,
    /// refused, not created, none to choose): filing it again on the same
    /// mailbox will fail the same way until the folder or the quota
    /// changes, so the copy is kept marked failed rather than retried.
    /// Failures to connect or log in are not these: the copy waits, and is
    /// filed once the server answers or the settings are fixed.
    #[must_use]
    pub fn refuses_the_copy(self) -> bool {
        matches!(
            self,
            FailureKind::ImapFolderMissing
                | FailureKind::ImapAppendRefused
                | FailureKind::ImapCreateRefused
                | FailureKind::ImapNoSentFolder
        )
    }

    /// Whether trying again cannot send the message twice and may succeed:
    /// the failure happened before the message was handed over (no
    /// connection, no answer in time), or the server refused it for now.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            FailureKind::SmtpTimeout
                | FailureKind::SmtpTemporary
                | FailureKind::SmtpRefused
                | FailureKind::SmtpStarttlsRefused
        )
    }
}

/// Where, in sending a message, a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Reaching the server and logging in: DNS, TCP, TLS, the greeting,
    /// EHLO, STARTTLS, AUTH; an HTTP API's connection. Nothing of the
    /// message was sent.
    Connect,
    /// The envelope: MAIL FROM, RCPT TO and DATA's go-ahead, and the
    /// checks of the message against what the server announced. Nothing of
    /// the message was sent.
    Envelope,
    /// The message handed over: its bytes and the server's final answer
    /// (the end of DATA; an HTTP API's request and its response).
    Message,
}

impl Step {
    /// Whether the message had been handed over when the failure happened:
    /// the server refused it after reading it, or its answer never came
    /// (then [`FailureKind::may_have_been_delivered`] says so).
    #[must_use]
    pub fn handed_over(self) -> bool {
        self == Step::Message
    }

    /// `connect`, `envelope` or `message`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Connect => "connect",
            Step::Envelope => "envelope",
            Step::Message => "message",
        }
    }
}

/// A failure, with the values its message needs, and the step of sending
/// it happened at (when it happened while sending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What happened.
    pub kind: FailureKind,
    step: Option<Step>,
    args: Vec<(&'static str, Arg)>,
}

impl Failure {
    /// A failure of `kind`; add the values its message names with [`Failure::arg`].
    #[must_use]
    pub fn new(kind: FailureKind) -> Failure {
        Failure {
            kind,
            step: None,
            args: Vec::new(),
        }
    }

    /// The failure, as happened at `step` of sending (a step already
    /// known is kept: the innermost knows best).
    #[must_use]
    pub fn at(mut self, step: Step) -> Failure {
        self.step.get_or_insert(step);
        self
    }

    /// The step of sending the failure happened at; `None` outside sending
    /// (filing, the spool, settings).
    #[must_use]
    pub fn step(&self) -> Option<Step> {
        self.step
    }

    /// Whether the message had been handed over when the failure happened
    /// (see [`Step::handed_over`]).
    #[must_use]
    pub fn handed_over(&self) -> bool {
        self.step.is_some_and(Step::handed_over)
    }

    /// Adds a value for the message.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Failure {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// Whether trying again later, with nothing changed, may succeed (see
    /// [`FailureKind::is_temporary`]).
    #[must_use]
    pub fn is_temporary(&self) -> bool {
        self.kind.is_temporary()
    }

    /// Whether the same attempt will fail again until something changes
    /// (see [`FailureKind::is_permanent`]).
    #[must_use]
    pub fn is_permanent(&self) -> bool {
        self.kind.is_permanent()
    }

    /// Whether the message may have been delivered despite the failure
    /// (see [`FailureKind::may_have_been_delivered`]).
    #[must_use]
    pub fn may_have_been_delivered(&self) -> bool {
        self.kind.may_have_been_delivered()
    }

    /// The values the message is built from.
    #[must_use]
    pub fn args(&self) -> &[(&'static str, Arg)] {
        &self.args
    }

    /// What happened, in `lang`.
    #[must_use]
    pub fn message(&self, lang: Lang) -> String {
        crate::rules::render_message(lang, self.code(), None, &self.args)
    }

    /// What to do, in `lang`.
    #[must_use]
    pub fn help(&self, lang: Lang) -> String {
        crate::rules::render_message(lang, self.code(), Some("help"), &self.args)
    }

    /// The failure as a person reads it: `[SM004] message` then
    /// `  help`, in `lang`.
    #[must_use]
    pub fn render(&self, lang: Lang) -> String {
        format!(
            "[{}] {}\n  {}",
            self.code(),
            self.message(lang),
            self.help(lang)
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code(), self.message(Lang::En))
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_is_exactly_one_of_temporary_permanent_or_of_unknown_fate() {
        for kind in FailureKind::ALL {
            let classes = [
                kind.is_temporary(),
                kind.is_permanent(),
                kind.may_have_been_delivered(),
            ];
            assert_eq!(classes.iter().filter(|c| **c).count(), 1, "{kind:?}");
            // What the transport retries on its own is temporary.
            assert!(!kind.is_retryable() || kind.is_temporary(), "{kind:?}");
            // A copy refused is refused for good.
            assert!(!kind.refuses_the_copy() || kind.is_permanent(), "{kind:?}");
        }
        assert!(FailureKind::SmtpAuthRefused.is_permanent());
        let failure = Failure::new(FailureKind::SmtpDeliveryUnknown).at(Step::Message);
        assert!(failure.handed_over());
        // The innermost step stands.
        assert_eq!(failure.at(Step::Connect).step(), Some(Step::Message));
        assert!(
            !Failure::new(FailureKind::SmtpAuthRefused)
                .at(Step::Connect)
                .handed_over()
        );
        assert!(FailureKind::SmtpTemporary.is_temporary());
        assert!(FailureKind::SmtpDeliveryUnknown.may_have_been_delivered());
    }

    #[test]
    fn render_puts_the_code_and_message_on_one_line_and_the_help_indented_below() {
        let failure = Failure::new(FailureKind::SmtpTimeout)
            .arg("host", "smtp.example.org")
            .arg("port", 587);
        for lang in [Lang::En, Lang::Fr] {
            let rendered = failure.render(lang);
            let lines: Vec<&str> = rendered.lines().collect();
            assert_eq!(
                lines,
                [
                    format!("[SM004] {}", failure.message(lang)),
                    format!("  {}", failure.help(lang)),
                ]
            );
            assert!(rendered.contains("smtp.example.org"), "{rendered}");
        }
    }
}
