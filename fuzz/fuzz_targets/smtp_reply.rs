//! Fuzz target `smtp_reply`: arbitrary bytes as one SMTP reply through
//! `courriel_transport::reply::parse_reply` (its source file), which reads the replies of a
//! STARTTLS connection before TLS.
//!
//! Checks: it never panics; a reply it accepts has a code from 100 to 599,
//! a text no longer than the input, and fits the bounds. It is also
//! compared with the parser it replaced (`plain_reply`'s loop before
//! issue 9, kept below as `before`): wherever that one's code was a
//! three-digit 100–599 and the reply within [`MAX_REPLY`] bytes, both give
//! the same answer, and fed one line at a time as `plain_reply` now does,
//! `parse_reply` stops at the same line.

#![no_main]

// courriel-transport's own source file, without its crate (see Cargo.toml).
#[path = "../../crates/courriel-transport/src/reply.rs"]
mod reply;

use libfuzzer_sys::fuzz_target;
use reply::{MAX_LINE, MAX_REPLY, ReplyError, parse_reply};

fuzz_target!(|data: &[u8]| {
    let parsed = parse_reply(data);
    match &parsed {
        Ok((code, text)) => {
            assert!((100..=599).contains(code), "code {code}");
            assert!(text.len() <= data.len(), "text longer than the input");
            assert!(data.len() <= MAX_REPLY);
            assert_eq!(text.trim_end(), text);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let Ok(text) = std::str::from_utf8(data) else {
        assert_eq!(parsed, Err(ReplyError::NotUtf8));
        return;
    };
    // As plain_reply reads: line by line until one ends the reply or fails.
    let mut end = 0;
    let mut stepwise = Err(ReplyError::Incomplete);
    for line in text.split_inclusive('\n') {
        end += line.len();
        if end <= MAX_REPLY && parse_reply(line.as_bytes()) == Err(ReplyError::Incomplete) {
            continue;
        }
        stepwise = parse_reply(&data[..end]);
        break;
    }
    match stepwise {
        // It stopped at the last line, or failed: the same answer.
        ref answer if end == data.len() || answer.is_err() => {
            assert_eq!(*answer, parsed, "line by line differs");
        }
        // It stopped before the end: what follows the reply is refused.
        _ => assert_eq!(parsed, Err(ReplyError::Trailing)),
    }
    // Against the parser it replaced, where that one's code was canonical.
    if end == data.len() && data.len() <= MAX_REPLY && every_code_canonical(text) {
        match before(text) {
            Ok(reply) => assert_eq!(parsed, Ok(reply)),
            Err(Before::Eof) => assert_eq!(parsed, Err(ReplyError::Incomplete)),
            Err(Before::TooLong) => assert_eq!(parsed, Err(ReplyError::TooLong)),
            Err(Before::NotReply) => {
                assert!(matches!(parsed, Err(ReplyError::NotReply { .. })));
            }
        }
    }
});

/// Each line that the old parser reached starts with 100–599 or fails both.
fn every_code_canonical(text: &str) -> bool {
    text.split_inclusive('\n').all(|line| {
        let old = line.get(..3).and_then(|c| c.parse::<u16>().ok());
        let canonical = matches!(line.as_bytes(), [b'1'..=b'5', b'0'..=b'9', b'0'..=b'9', ..]);
        old.is_none() || canonical
    })
}

enum Before {
    Eof,
    TooLong,
    NotReply,
}

/// `plain_reply` before issue 9, over a string instead of a socket (each
/// `read_line` is one `split_inclusive('\n')` item). Its bound was on the
/// text kept, not on the bytes read.
fn before(input: &str) -> Result<(u16, String), Before> {
    let mut lines = input.split_inclusive('\n');
    let mut text = String::new();
    loop {
        let Some(line) = lines.next() else {
            return Err(Before::Eof);
        };
        if line.len() > MAX_LINE || text.len() > 65_536 {
            return Err(Before::TooLong);
        }
        let code = line
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or(Before::NotReply)?;
        text.push_str(line.get(4..).unwrap_or("").trim_end());
        text.push(' ');
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok((code, text.trim_end().to_string()));
        }
    }
}
