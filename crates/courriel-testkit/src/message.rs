//! Reading messages back from a mailbox, to compare what was filed with
//! what was received.

/// One message as a mailbox holds it ([`crate::Imap::messages`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// `FLAGS (...)` as the server sent them.
    pub flags: String,
    /// The message, byte for byte.
    pub message: String,
}

impl Stored {
    /// Its header section, with the empty line that ends it.
    #[must_use]
    pub fn header(&self) -> &str {
        self.message
            .find("\r\n\r\n")
            .map_or(self.message.as_str(), |end| &self.message[..end + 4])
    }

    /// Its body: what follows the header section.
    #[must_use]
    pub fn body(&self) -> &str {
        &self.message[self.header().len()..]
    }
}

/// The message inside a `FETCH (... BODY[] {n}` answer: its n bytes.
///
/// # Panics
/// When the answer holds no literal.
#[must_use]
pub fn literal(fetched: &str) -> &str {
    let open = fetched.find('{').expect("a literal");
    let close = open + fetched[open..].find('}').expect("its size");
    let size: usize = fetched[open + 1..close].parse().expect("a size");
    &fetched[close + 3..close + 3 + size]
}

/// A received message without the trace fields servers put on top of it
/// (Return-Path, Delivered-To, X-Original-To, Received; Cyrus's
/// X-Cyrus-Session-Id and X-Sieve; and their folded lines).
#[must_use]
pub fn without_trace(message: &str) -> &str {
    let mut rest = message;
    loop {
        let line_end = rest.find("\r\n").map_or(rest.len(), |i| i + 2);
        let trace = [
            "Return-Path:",
            "Delivered-To:",
            "X-Original-To:",
            "Received:",
            "X-Cyrus-Session-Id:",
            "X-Sieve:",
        ]
        .iter()
        .any(|name| rest[..line_end].starts_with(name));
        let folded = rest.starts_with(' ') || rest.starts_with('\t');
        if !(trace || (folded && rest.len() < message.len())) {
            return rest;
        }
        rest = &rest[line_end..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_fields_and_their_folded_lines_go() {
        let received =
            "Return-Path: <a@b>\r\nReceived: from x\r\n\tby y\r\nSubject: s\r\n\r\nbody\r\n";
        assert_eq!(without_trace(received), "Subject: s\r\n\r\nbody\r\n");
        assert_eq!(literal("* 1 FETCH (BODY[] {4}\r\nabcd)"), "abcd");
        let stored = Stored {
            flags: String::new(),
            message: "Subject: s\r\n\r\nbody\r\n".into(),
        };
        assert_eq!(
            (stored.header(), stored.body()),
            ("Subject: s\r\n\r\n", "body\r\n")
        );
    }
}
