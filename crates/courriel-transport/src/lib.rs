//! Sending for courriel.
//!
//! This crate grows in steps (issue 6). Today: an [`Email`], checked
//! (no header injection) and rendered once to MIME with lettre, with its
//! Message-ID and Date; the rendered bytes are both what is sent and what
//! is filed in the Sent folder (there with the Bcc header); sending over
//! the user's SMTP server ([`send`], [`check`]) with every step bounded and
//! every refusal a [`courriel_core::failure::Failure`] (SM codes). The
//! default provider (SendGrid) and the choice between them come next.
//! [`reply::parse_reply`] reads the SMTP replies exchanged before TLS.

mod dsn;
mod email;
pub mod events;
mod pool;
mod refusal;
pub mod reply;
mod route;
mod sasl;
mod sendgrid;
mod smtp;
mod wire;

pub use dsn::{DefaultProvider, DsnError};
pub use email::{Attachment, Email, EmailError, Mailbox, Rendered};
pub use pool::SmtpPool;
pub use route::{Handover, Policy, Route, Sent, Transport, deliver, deliver_pooled};
pub use sendgrid::{
    CUSTOM_ARGS_LIMIT, Retry, SendGridSettings, custom_args, request_body, send_sendgrid,
};
pub use smtp::{Receipt, SmtpConnection, SmtpSettings, SmtpTimeouts, check, send};
