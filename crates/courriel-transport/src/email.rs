//! An email as the application builds it, checked, and rendered once to
//! MIME with lettre: the rendered bytes are what is sent and what is filed
//! in the Sent folder (there with its Bcc header, as mail clients keep it).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use courriel_core::EmailAddress;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{
    Attachment as LettreAttachment, Body as LettreBody, Mailbox as LettreMailbox, MultiPart,
    SinglePart,
};

/// A name and an address (`Isabelle Martin <isabelle.martin@yahoo.fr>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Display name, if any.
    pub name: Option<String>,
    /// The address.
    pub address: EmailAddress,
}

impl Mailbox {
    /// A mailbox with an address only.
    #[must_use]
    pub fn new(address: EmailAddress) -> Mailbox {
        Mailbox {
            name: None,
            address,
        }
    }

    /// A mailbox with a display name.
    #[must_use]
    pub fn named(name: impl Into<String>, address: EmailAddress) -> Mailbox {
        Mailbox {
            name: Some(name.into()),
            address,
        }
    }
}

/// A file attached to an email.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name shown to the recipient.
    pub filename: String,
    /// Its MIME type (`application/pdf`).
    pub content_type: String,
    /// Its bytes.
    pub content: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &self.content.len())
            .finish()
    }
}

/// Why an email cannot be built or rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmailError {
    /// No sender (an `Email::default()` never given one).
    NoSender,
    /// No recipient in To, Cc or Bcc.
    NoRecipient,
    /// Neither a text nor an HTML body.
    NoBody,
    /// A line break (CR or LF) in a field that is one header line: an
    /// attempt, deliberate or not, to add headers of its own.
    LineBreak {
        /// The field (`subject`, `header X-Ref`, `from name`...).
        field: String,
    },
    /// A custom header whose name is not a valid header name.
    HeaderName {
        /// The name given.
        name: String,
    },
    /// A custom header that courriel sets itself (From, To, Date...).
    ReservedHeader {
        /// The name given.
        name: String,
    },
    /// An attachment's MIME type that does not parse.
    ContentType {
        /// The type given.
        content_type: String,
    },
    /// lettre refused the message.
    Render(String),
}

impl fmt::Display for EmailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmailError::NoSender => {
                f.write_str("the email has no sender: build it with Email::from")
            }
            EmailError::NoRecipient => {
                f.write_str("the email has no recipient: add one in to, cc or bcc")
            }
            EmailError::NoBody => f.write_str("the email has no body: give a text or an HTML part"),
            EmailError::LineBreak { field } => write!(
                f,
                "the {field} holds a line break, which could inject headers: remove it"
            ),
            EmailError::HeaderName { name } => write!(
                f,
                "`{name}` is not a valid header name (printable ASCII without `:` or spaces)"
            ),
            EmailError::ReservedHeader { name } => write!(
                f,
                "the header `{name}` is set by courriel itself: use the email's own field for it"
            ),
            EmailError::ContentType { content_type } => write!(
                f,
                "`{content_type}` is not a MIME type (such as application/pdf)"
            ),
            EmailError::Render(e) => write!(f, "the email cannot be rendered: {e}"),
        }
    }
}

impl std::error::Error for EmailError {}

/// Headers courriel writes itself; a custom header may not replace them.
const RESERVED: &[&str] = &[
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
];

/// An email to send: built with methods that take `self`, checked (no
/// header injection, a sender, a recipient, a body) and rendered once.
///
/// The rendered bytes are what is sent and, with the Bcc header, what is
/// filed in the Sent folder:
///
/// ```
/// use courriel_core::EmailAddress;
/// use courriel_transport::{Email, Mailbox};
///
/// let address = |s: &str| EmailAddress::parse(s).unwrap();
/// let email = Email::from(Mailbox::named("Isabelle Martin", address("isabelle.martin@yahoo.fr")))
///     .to(Mailbox::new(address("client@example.org")))
///     .bcc(Mailbox::new(address("compta@boulangerie-martin.fr")))
///     .subject("Facture F-42")
///     .text("Bonjour,\n\nVeuillez trouver votre facture ci-jointe.\n")
///     .attach("F-42.pdf", "application/pdf", b"%PDF-1.7 ...".to_vec());
///
/// let rendered = email.render()?;
/// let sent = String::from_utf8(rendered.transmitted())?;
/// assert!(sent.contains("Subject: Facture F-42\r\n"));
/// assert!(sent.contains(&format!("Message-ID: <{}>\r\n", rendered.message_id)));
/// assert!(rendered.message_id.ends_with("@yahoo.fr"));
/// // The Bcc recipient receives the message; only the filed copy names it.
/// assert_eq!(rendered.recipients.len(), 2);
/// assert!(!sent.contains("compta@boulangerie-martin.fr"));
/// let filed = String::from_utf8(rendered.archived.to_vec())?;
/// assert!(filed.contains("Bcc: compta@boulangerie-martin.fr\r\n"));
/// assert_eq!(filed.len(), sent.len() + "Bcc: compta@boulangerie-martin.fr\r\n".len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Email {
    pub(crate) from: Option<Mailbox>,
    pub(crate) reply_to: Vec<Mailbox>,
    pub(crate) to: Vec<Mailbox>,
    pub(crate) cc: Vec<Mailbox>,
    pub(crate) bcc: Vec<Mailbox>,
    pub(crate) subject: String,
    pub(crate) text: Option<String>,
    pub(crate) html: Option<String>,
    pub(crate) attachments: Vec<Attachment>,
    pub(crate) headers: Vec<(String, String)>,
}

impl Email {
    /// An email from `from`.
    #[must_use]
    pub fn from(from: Mailbox) -> Email {
        Email {
            from: Some(from),
            ..Email::default()
        }
    }

    /// Adds a Reply-To.
    #[must_use]
    pub fn reply_to(mut self, mailbox: Mailbox) -> Email {
        self.reply_to.push(mailbox);
        self
    }

    /// This email as the application sends it on its user's behalf: from
    /// `app_address`, shown as "Isabelle Martin via Facturo" (the user's
    /// name, else the local part of the address: never an address, which
    /// filters take for spoofing), with the user in `Reply-To` unless the
    /// email names a Reply-To of its own. Everything else is unchanged.
    /// `None` for an email without a sender.
    #[must_use]
    pub fn on_behalf(&self, app_name: &str, app_address: &EmailAddress) -> Option<Email> {
        let user = self.from.as_ref()?;
        let shown = match user.name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => user.address.local_part().to_string(),
        };
        let mut email = self.clone();
        email.from = Some(Mailbox::named(
            format!("{shown} via {app_name}"),
            app_address.clone(),
        ));
        if email.reply_to.is_empty() {
            email.reply_to.push(user.clone());
        }
        Some(email)
    }

    /// The sender, as given.
    #[must_use]
    pub fn sender(&self) -> Option<&Mailbox> {
        self.from.as_ref()
    }

    /// Adds a To recipient.
    #[must_use]
    pub fn to(mut self, mailbox: Mailbox) -> Email {
        self.to.push(mailbox);
        self
    }

    /// Adds a Cc recipient.
    #[must_use]
    pub fn cc(mut self, mailbox: Mailbox) -> Email {
        self.cc.push(mailbox);
        self
    }

    /// Adds a Bcc recipient: it receives the message, and the copy filed in
    /// Sent names it, but what is transmitted does not.
    #[must_use]
    pub fn bcc(mut self, mailbox: Mailbox) -> Email {
        self.bcc.push(mailbox);
        self
    }

    /// Sets the subject.
    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>) -> Email {
        self.subject = subject.into();
        self
    }

    /// Sets the plain-text body.
    #[must_use]
    pub fn text(mut self, text: impl Into<String>) -> Email {
        self.text = Some(text.into());
        self
    }

    /// Sets the HTML body.
    #[must_use]
    pub fn html(mut self, html: impl Into<String>) -> Email {
        self.html = Some(html.into());
        self
    }

    /// Attaches a file.
    #[must_use]
    pub fn attach(
        mut self,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        content: Vec<u8>,
    ) -> Email {
        self.attachments.push(Attachment {
            filename: filename.into(),
            content_type: content_type.into(),
            content,
        });
        self
    }

    /// Adds a custom header (`X-Invoice-Id: F-2026-0042`).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Email {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Every recipient, To then Cc then Bcc.
    pub fn recipients(&self) -> impl Iterator<Item = &EmailAddress> {
        self.to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .map(|m| &m.address)
    }

    fn check(&self) -> Result<&Mailbox, EmailError> {
        let from = self.from.as_ref().ok_or(EmailError::NoSender)?;
        if self.recipients().next().is_none() {
            return Err(EmailError::NoRecipient);
        }
        if self.text.is_none() && self.html.is_none() {
            return Err(EmailError::NoBody);
        }
        let one_line = |field: &str, value: &str| {
            if value.contains(['\r', '\n']) {
                Err(EmailError::LineBreak {
                    field: field.to_string(),
                })
            } else {
                Ok(())
            }
        };
        one_line("subject", &self.subject)?;
        let boxes = std::iter::once(from)
            .chain(&self.reply_to)
            .chain(&self.to)
            .chain(&self.cc)
            .chain(&self.bcc);
        for mailbox in boxes {
            if let Some(name) = &mailbox.name {
                one_line(&format!("name of {}", mailbox.address), name)?;
            }
        }
        for attachment in &self.attachments {
            one_line("attachment file name", &attachment.filename)?;
            if attachment.content_type.parse::<ContentType>().is_err() {
                return Err(EmailError::ContentType {
                    content_type: attachment.content_type.clone(),
                });
            }
        }
        for (name, value) in &self.headers {
            let valid =
                !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':');
            if !valid {
                return Err(EmailError::HeaderName { name: name.clone() });
            }
            if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(EmailError::ReservedHeader { name: name.clone() });
            }
            one_line(&format!("header {name}"), value)?;
        }
        Ok(from)
    }

    /// Renders the email once, with a new Message-ID at the sender's domain
    /// and the current date.
    pub fn render(&self) -> Result<Rendered, EmailError> {
        self.render_at(SystemTime::now(), None)
    }

    /// Renders with a given date and, if given, Message-ID (without angle
    /// brackets): for reproducible output.
    pub fn render_at(
        &self,
        date: SystemTime,
        message_id: Option<&str>,
    ) -> Result<Rendered, EmailError> {
        self.render_with(date, message_id, None)
    }

    /// Renders like [`Email::render`], consuming the email: attachment bytes
    /// move into the encoder instead of being copied, which keeps a large
    /// attachment from being held twice while it is encoded.
    pub fn into_rendered(mut self) -> Result<Rendered, EmailError> {
        let contents = self
            .attachments
            .iter_mut()
            .map(|a| std::mem::take(&mut a.content))
            .collect();
        self.render_with(SystemTime::now(), None, Some(contents))
    }

    /// Renders; attachment bytes come from `contents` when given (taken
    /// from the email), else are copied from the email.
    fn render_with(
        &self,
        date: SystemTime,
        message_id: Option<&str>,
        contents: Option<Vec<Vec<u8>>>,
    ) -> Result<Rendered, EmailError> {
        let from = self.check()?;
        let message_id = message_id.map_or_else(
            || new_message_id(from.address.domain().as_str()),
            str::to_string,
        );
        let mailbox = |m: &Mailbox| -> Result<LettreMailbox, EmailError> {
            let address = m
                .address
                .to_string()
                .parse()
                .map_err(|e: lettre::address::AddressError| EmailError::Render(e.to_string()))?;
            Ok(LettreMailbox::new(m.name.clone(), address))
        };
        let mut builder = lettre::Message::builder()
            .from(mailbox(from)?)
            .subject(self.subject.clone())
            .date(date)
            .message_id(Some(format!("<{message_id}>")))
            .keep_bcc();
        for m in &self.reply_to {
            builder = builder.reply_to(mailbox(m)?);
        }
        for m in &self.to {
            builder = builder.to(mailbox(m)?);
        }
        for m in &self.cc {
            builder = builder.cc(mailbox(m)?);
        }
        for m in &self.bcc {
            builder = builder.bcc(mailbox(m)?);
        }
        for (name, value) in &self.headers {
            let name = HeaderName::new_from_ascii(name.clone())
                .map_err(|_| EmailError::HeaderName { name: name.clone() })?;
            builder = builder.raw_header(HeaderValue::new(name, value.clone()));
        }
        let body = match (&self.text, &self.html) {
            (Some(text), Some(html)) => Body::Multi(
                MultiPart::alternative()
                    .singlepart(text_part(ContentType::TEXT_PLAIN, text))
                    .singlepart(text_part(ContentType::TEXT_HTML, html)),
            ),
            (Some(text), None) => Body::Single(text_part(ContentType::TEXT_PLAIN, text)),
            (None, Some(html)) => Body::Single(text_part(ContentType::TEXT_HTML, html)),
            (None, None) => return Err(EmailError::NoBody),
        };
        let message = if self.attachments.is_empty() {
            match body {
                Body::Multi(m) => builder.multipart(m),
                Body::Single(s) => builder.singlepart(s),
            }
        } else {
            let mut mixed = match body {
                Body::Multi(m) => MultiPart::mixed().multipart(m),
                Body::Single(s) => MultiPart::mixed().singlepart(s),
            };
            let mut contents = contents.map(Vec::into_iter);
            for a in &self.attachments {
                let content = contents
                    .as_mut()
                    .and_then(Iterator::next)
                    .unwrap_or_else(|| a.content.clone());
                let content_type: ContentType =
                    a.content_type
                        .parse()
                        .map_err(|_| EmailError::ContentType {
                            content_type: a.content_type.clone(),
                        })?;
                mixed = mixed.singlepart(
                    LettreAttachment::new(a.filename.clone()).body(content, content_type),
                );
            }
            builder.multipart(mixed)
        }
        .map_err(|e| EmailError::Render(e.to_string()))?;
        let archived = message.formatted();
        let bcc = header_range(&archived, "bcc");
        Ok(Rendered {
            message_id,
            envelope_from: from.address.clone(),
            recipients: self.recipients().cloned().collect(),
            archived: std::sync::Arc::new(archived),
            bcc,
        })
    }
}

/// A text or HTML part in the encoding lettre picks, except that text
/// holding control characters (NUL, ESC...; tab and line ends aside) is
/// never declared 7bit, which allows none of them (RFC 2045 §2.7): it goes
/// quoted-printable, where they are escaped (`=00`).
fn text_part(content_type: ContentType, text: &str) -> SinglePart {
    let controls = text
        .bytes()
        .any(|b| b.is_ascii_control() && !matches!(b, b'\t' | b'\r' | b'\n'));
    let body = if controls {
        LettreBody::new_with_encoding(text.to_string(), ContentTransferEncoding::QuotedPrintable)
            .unwrap_or_else(LettreBody::new)
    } else {
        LettreBody::new(text.to_string())
    };
    SinglePart::builder().header(content_type).body(body)
}

enum Body {
    Single(SinglePart),
    Multi(MultiPart),
}

/// A unique Message-ID at `domain` (without angle brackets).
fn new_message_id(domain: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{nanos:x}.{:x}.{count:x}.courriel@{domain}",
        std::process::id()
    )
}

/// Where header `name` (with its folded continuation lines) sits in the
/// header section, if present. lettre writes each header once.
fn header_range(message: &[u8], name: &str) -> Option<std::ops::Range<usize>> {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(message.len(), |p| p + 2);
    let mut range: Option<std::ops::Range<usize>> = None;
    let mut at = 0;
    for line in message[..end].split_inclusive(|&b| b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if let Some(r) = &mut range {
            if continuation && r.end == at {
                r.end = at + line.len();
            }
        } else if !continuation {
            let field = line.split(|&b| b == b':').next().unwrap_or_default();
            if field.eq_ignore_ascii_case(name.as_bytes()) {
                range = Some(at..at + line.len());
            }
        }
        at += line.len();
    }
    range
}

#[cfg(test)]
fn strip_header(message: &[u8], name: &str) -> Vec<u8> {
    match header_range(message, name) {
        Some(r) => [&message[..r.start], &message[r.end..]].concat(),
        None => message.to_vec(),
    }
}

/// An email rendered once: what is transmitted, and what is filed.
#[derive(Clone)]
#[non_exhaustive]
pub struct Rendered {
    /// Its Message-ID, without angle brackets.
    pub message_id: String,
    /// The envelope sender (MAIL FROM).
    pub envelope_from: EmailAddress,
    /// Every recipient (RCPT TO): To, Cc and Bcc.
    pub recipients: Vec<EmailAddress>,
    /// The bytes filed in the Sent folder: with the Bcc header. Shared:
    /// the spool, the receipt and the filing hold it without a copy.
    pub archived: std::sync::Arc<Vec<u8>>,
    /// Where the Bcc header sits in `archived`: what is sent skips it.
    bcc: Option<std::ops::Range<usize>>,
}

impl Rendered {
    /// The bytes sent, as the parts of `archived` around its Bcc header (no copy).
    #[must_use]
    pub fn transmitted_parts(&self) -> [&[u8]; 2] {
        match &self.bcc {
            Some(r) => [&self.archived[..r.start], &self.archived[r.end..]],
            None => [self.archived.as_slice(), &[]],
        }
    }

    /// The size of what is sent.
    #[must_use]
    pub fn transmitted_len(&self) -> usize {
        self.archived.len() - self.bcc.as_ref().map_or(0, std::ops::Range::len)
    }

    /// The bytes sent, copied into one buffer.
    #[must_use]
    pub fn transmitted(&self) -> Vec<u8> {
        self.transmitted_parts().concat()
    }
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendered")
            .field("message_id", &self.message_id)
            .field("envelope_from", &self.envelope_from)
            .field("recipients", &self.recipients)
            .field("bytes", &self.transmitted_len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    fn invoice() -> Email {
        Email::from(Mailbox::named(
            "Isabelle Martin",
            addr("isabelle.martin@yahoo.fr"),
        ))
        .to(Mailbox::new(addr("client@example.org")))
        .bcc(Mailbox::new(addr("compta@boulangerie-martin.fr")))
        .subject("Facture F-2026-0042 — échéance")
        .text("Bonjour,\nVoici la facture.\n")
        .header("X-Invoice-Id", "F-2026-0042")
    }

    #[test]
    fn bcc_is_filed_but_never_transmitted() {
        let r = invoice().render().unwrap();
        let archived = String::from_utf8(r.archived.to_vec()).unwrap();
        let transmitted = String::from_utf8(r.transmitted()).unwrap();
        assert!(
            archived.contains("Bcc: compta@boulangerie-martin.fr\r\n"),
            "{archived}"
        );
        assert!(
            !transmitted.to_ascii_lowercase().contains("bcc:"),
            "{transmitted}"
        );
        assert_eq!(
            archived.replace("Bcc: compta@boulangerie-martin.fr\r\n", ""),
            transmitted,
            "otherwise the same bytes"
        );
        assert_eq!(r.recipients.len(), 2, "the Bcc recipient still receives it");
        assert!(transmitted.contains(&format!("Message-ID: <{}>\r\n", r.message_id)));
        assert!(r.message_id.ends_with("@yahoo.fr"));
        assert!(transmitted.contains("Date: "));
        assert!(transmitted.contains("X-Invoice-Id: F-2026-0042\r\n"));
        assert!(
            transmitted.contains("Subject: Facture F-2026-0042 =?utf-8?b?"),
            "non-ASCII words are encoded: {transmitted}"
        );
    }

    #[test]
    fn message_ids_are_unique() {
        let a = invoice().render().unwrap();
        let b = invoice().render().unwrap();
        assert_ne!(a.message_id, b.message_id);
    }

    #[test]
    fn header_injection_is_refused() {
        let refused = |e: Email| e.render().unwrap_err();
        assert_eq!(
            refused(invoice().subject("Hi\r\nBcc: victim@example.org")),
            EmailError::LineBreak {
                field: "subject".into()
            }
        );
        assert_eq!(
            refused(invoice().header("X-Ref", "a\nb")),
            EmailError::LineBreak {
                field: "header X-Ref".into()
            }
        );
        assert_eq!(
            refused(invoice().header("X Ref", "a")),
            EmailError::HeaderName {
                name: "X Ref".into()
            }
        );
        assert_eq!(
            refused(invoice().header("Bcc", "x@example.org")),
            EmailError::ReservedHeader { name: "Bcc".into() }
        );
        let named = Email::from(Mailbox::named(
            "Eve\r\nBcc: x@example.org",
            addr("eve@example.org"),
        ))
        .to(Mailbox::new(addr("a@example.org")))
        .text("x");
        assert!(matches!(refused(named), EmailError::LineBreak { .. }));
        assert_eq!(
            refused(invoice().attach("a.pdf", "not a type", vec![1])),
            EmailError::ContentType {
                content_type: "not a type".into()
            }
        );
    }

    #[test]
    fn incomplete_emails_say_what_is_missing() {
        assert_eq!(
            Email::default()
                .to(Mailbox::new(addr("b@example.org")))
                .text("x")
                .render()
                .unwrap_err(),
            EmailError::NoSender
        );
        let no_recipient = Email::from(Mailbox::new(addr("a@example.org"))).text("x");
        assert_eq!(no_recipient.render().unwrap_err(), EmailError::NoRecipient);
        let no_body = Email::from(Mailbox::new(addr("a@example.org")))
            .to(Mailbox::new(addr("b@example.org")));
        assert_eq!(no_body.render().unwrap_err(), EmailError::NoBody);
        assert_eq!(
            EmailError::NoBody.to_string(),
            "the email has no body: give a text or an HTML part"
        );
    }

    #[test]
    fn control_characters_are_never_sent_as_7bit() {
        let rendered = |text: &str| {
            let r = Email::from(Mailbox::new(addr("a@example.org")))
                .to(Mailbox::new(addr("b@example.org")))
                .text(text)
                .render()
                .unwrap();
            String::from_utf8(r.transmitted()).unwrap()
        };
        let plain = rendered("Bonjour\tvous\n");
        assert!(plain.contains("Content-Transfer-Encoding: 7bit"), "{plain}");
        for text in [
            "a NUL \0 here\n",
            "an escape \u{1b}[31m\n",
            "a bell \u{7}\n",
        ] {
            let sent = rendered(text);
            assert!(
                sent.contains("Content-Transfer-Encoding: quoted-printable"),
                "{sent}"
            );
            assert!(
                !sent
                    .bytes()
                    .any(|b| b.is_ascii_control() && !matches!(b, b'\r' | b'\n')),
                "{sent}"
            );
        }
        assert!(rendered("a NUL \0 here\n").contains("=00"));
    }

    #[test]
    fn html_alternative_and_attachments() {
        let r = invoice()
            .html("<p>Bonjour</p>")
            .attach(
                "facture.pdf",
                "application/pdf",
                vec![0x25, 0x50, 0x44, 0x46, 0xff, 0x00, 0x10],
            )
            .render()
            .unwrap();
        let text = String::from_utf8(r.transmitted()).unwrap();
        assert!(text.contains("multipart/mixed"));
        assert!(text.contains("multipart/alternative"));
        assert!(text.contains("text/html"));
        assert!(text.contains("filename=\"facture.pdf\""));
        assert!(
            text.contains("Content-Transfer-Encoding: base64\r\n\r\nJVBERv8AEA=="),
            "binary attachment in base64: {text}"
        );
    }

    #[test]
    fn strip_header_handles_folding_and_keeps_the_body() {
        let m = b"From: a@b\r\nBcc: one@x,\r\n two@y\r\nTo: c@d\r\n\r\nBcc: not a header\r\n";
        assert_eq!(
            strip_header(m, "bcc"),
            b"From: a@b\r\nTo: c@d\r\n\r\nBcc: not a header\r\n"
        );
    }
}
