//! Sending for courriel.
//!
//! This crate grows in steps (issue 6). Today: an [`Email`], checked
//! (no header injection) and rendered once to MIME with lettre, with its
//! Message-ID and Date; the rendered bytes are both what is sent and what
//! is filed in the Sent folder (there with the Bcc header). Sending over
//! SMTP and through the default provider come next.

mod email;

pub use email::{Attachment, Email, EmailError, Mailbox, Rendered};
