//! SMTP replies read before TLS (the greeting, EHLO and STARTTLS of a
//! STARTTLS connection): [`parse_reply`], a pure function over the bytes of
//! one reply, fuzzed by the `smtp_reply` target (`fuzz/`).
//!
//! A reply is one or more lines, each ended by LF (or CRLF): `250-` goes
//! on, anything else in the fourth byte (a space, the end of the line)
//! ends it (RFC 5321 §4.2.1). Each line starts with the code; the reply
//! has the last line's code, and its text is each line's text after the
//! fourth byte, trimmed, joined by one space.
//!
//! ```
//! use courriel_transport::reply::{ReplyError, parse_reply};
//!
//! let ehlo = b"250-mail.example.fr\r\n250-PIPELINING\r\n250 STARTTLS\r\n";
//! assert_eq!(
//!     parse_reply(ehlo),
//!     Ok((250, "mail.example.fr PIPELINING STARTTLS".to_string()))
//! );
//! assert_eq!(parse_reply(b"250-mail.example.fr\r\n"), Err(ReplyError::Incomplete));
//! ```

use std::fmt;

/// The longest line, in bytes with its line ending (RFC 5321 §4.5.3.1.5
/// allows 512; servers send longer ones, none this long).
pub const MAX_LINE: usize = 4096;

/// The longest reply, in bytes, all lines together.
pub const MAX_REPLY: usize = 65_536;

/// Why bytes are not one SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyError {
    /// No line, or the last line says more follow (`250-...`).
    Incomplete,
    /// A line over [`MAX_LINE`] bytes, or the reply over [`MAX_REPLY`].
    TooLong,
    /// A line that does not start with a code from 100 to 599.
    NotReply {
        /// The line, without its line ending.
        line: String,
    },
    /// Bytes that are not UTF-8.
    NotUtf8,
    /// Bytes after the line that ends the reply.
    Trailing,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyError::Incomplete => f.write_str("the reply is not complete"),
            ReplyError::TooLong => f.write_str("a reply too long"),
            ReplyError::NotReply { line } => write!(f, "not an SMTP reply: {line:?}"),
            ReplyError::NotUtf8 => f.write_str("a reply that is not UTF-8"),
            ReplyError::Trailing => f.write_str("bytes after the end of the reply"),
        }
    }
}

impl std::error::Error for ReplyError {}

/// Parses the bytes of exactly one SMTP reply: its lines, the last one
/// ending the reply (its line ending may be missing). Returns the last
/// line's code and the text of every line, joined by spaces.
///
/// The code is the line's first three bytes, digits from `100` to `599`.
/// Lines are checked in order, and the first problem is returned: a line
/// over [`MAX_LINE`] bytes or the reply past [`MAX_REPLY`]
/// ([`ReplyError::TooLong`]), then a line without a code
/// ([`ReplyError::NotReply`]). Never panics; the text is never longer
/// than `lines`.
pub fn parse_reply(lines: &[u8]) -> Result<(u16, String), ReplyError> {
    let lines = std::str::from_utf8(lines).map_err(|_| ReplyError::NotUtf8)?;
    let mut text = String::new();
    let mut read = 0;
    for line in lines.split_inclusive('\n') {
        read += line.len();
        if line.len() > MAX_LINE || read > MAX_REPLY {
            return Err(ReplyError::TooLong);
        }
        let code = code(line).ok_or_else(|| ReplyError::NotReply {
            line: line.trim_end().to_string(),
        })?;
        // A fourth byte inside a character (`250é`): no text, as before.
        text.push_str(line.get(4..).unwrap_or("").trim_end());
        text.push(' ');
        if line.as_bytes().get(3) != Some(&b'-') {
            if read != lines.len() {
                return Err(ReplyError::Trailing);
            }
            text.truncate(text.trim_end().len());
            return Ok((code, text));
        }
    }
    Err(ReplyError::Incomplete)
}

/// The reply code a line starts with: three ASCII digits, 100 to 599.
fn code(line: &str) -> Option<u16> {
    match line.as_bytes() {
        [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9', ..] => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_replies() {
        // Postfix's greeting and EHLO, Gmail's.
        assert_eq!(
            parse_reply(b"220 mail.example.fr ESMTP Postfix (Debian/GNU)\r\n"),
            Ok((220, "mail.example.fr ESMTP Postfix (Debian/GNU)".into()))
        );
        let gmail = b"250-smtp.gmail.com at your service, [192.0.2.1]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n";
        let (code, text) = parse_reply(gmail).unwrap();
        assert_eq!(code, 250);
        assert_eq!(
            text,
            "smtp.gmail.com at your service, [192.0.2.1] SIZE 35882577 8BITMIME STARTTLS ENHANCEDSTATUSCODES PIPELINING CHUNKING SMTPUTF8"
        );
        assert_eq!(
            parse_reply(b"554 5.7.1 <x@y.fr>: Relay access denied\n"),
            Ok((554, "5.7.1 <x@y.fr>: Relay access denied".into()))
        );
    }

    #[test]
    fn line_ends_and_short_lines() {
        assert_eq!(parse_reply(b"220"), Ok((220, String::new())));
        assert_eq!(parse_reply(b"220\r\n"), Ok((220, String::new())));
        assert_eq!(parse_reply(b"250-\r\n250 \r\n"), Ok((250, String::new())));
        assert_eq!(
            parse_reply(b"220 no line end"),
            Ok((220, "no line end".into()))
        );
        // The fourth byte ends the reply whatever it is; the code is the last line's.
        assert_eq!(parse_reply(b"250-a\n251xb"), Ok((251, "a b".into())));
        assert_eq!(parse_reply("250é".as_bytes()), Ok((250, String::new())));
    }

    #[test]
    fn refusals() {
        assert_eq!(parse_reply(b""), Err(ReplyError::Incomplete));
        assert_eq!(parse_reply(b"250-a\r\n"), Err(ReplyError::Incomplete));
        assert_eq!(
            parse_reply(b"250 a\r\n250 b\r\n"),
            Err(ReplyError::Trailing)
        );
        assert_eq!(parse_reply(b"250 a\r\nx"), Err(ReplyError::Trailing));
        for bad in ["+25 x", "025 x", "600 x", "25", "abc", " 250 x", "2é0 x"] {
            assert_eq!(
                parse_reply(bad.as_bytes()),
                Err(ReplyError::NotReply {
                    line: bad.to_string()
                }),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_reply(b"250-a\r\nHTTP/1.1 400\r\n")
                .unwrap_err()
                .to_string(),
            "not an SMTP reply: \"HTTP/1.1 400\""
        );
        assert_eq!(parse_reply(b"250 \xff\r\n"), Err(ReplyError::NotUtf8));
    }

    #[test]
    fn bounds() {
        let line = |n: usize| format!("250 {}\r\n", "x".repeat(n - 6));
        assert!(parse_reply(line(MAX_LINE).as_bytes()).is_ok());
        assert_eq!(
            parse_reply(line(MAX_LINE + 1).as_bytes()),
            Err(ReplyError::TooLong)
        );
        // 16 lines of 4096 bytes are the most a reply holds.
        let more = format!("250-{}\r\n", "x".repeat(MAX_LINE - 6));
        let full = format!("{}{}", more.repeat(15), line(MAX_LINE));
        assert_eq!(full.len(), MAX_REPLY);
        assert!(parse_reply(full.as_bytes()).is_ok());
        let over = format!("{}250 x\r\n", more.repeat(16));
        assert_eq!(parse_reply(over.as_bytes()), Err(ReplyError::TooLong));
        // The bound comes before the code.
        let long_garbage = format!("{}abc\r\n", more.repeat(16));
        assert_eq!(
            parse_reply(long_garbage.as_bytes()),
            Err(ReplyError::TooLong)
        );
    }
}
