//! IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3, RFC 9051 §5.1.3).
//!
//! Printable ASCII stands for itself, `&` is written `&-`, and anything else
//! is UTF-16BE in a base64 variant (`,` for `/`, no padding) between `&` and
//! `-`. [`decode`] is strict and refuses every form the RFC forbids;
//! [`decode_lenient`] never fails and is for showing names to people;
//! [`encode`] gives the one correct form.

use std::fmt;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Why a name is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Utf7Error {
    /// A raw byte outside printable ASCII (0x20–0x7e).
    RawNonAscii {
        /// Byte offset.
        at: usize,
    },
    /// `&` without a closing `-`.
    Unterminated {
        /// Byte offset of the `&`.
        at: usize,
    },
    /// A character outside the modified base64 alphabet inside `&...-`.
    BadBase64 {
        /// Byte offset.
        at: usize,
    },
    /// Leftover bits that are not zero, or a length that is not whole UTF-16.
    BadPadding {
        /// Byte offset of the `&`.
        at: usize,
    },
    /// A shifted sequence that encodes printable ASCII, which must be written as itself.
    ShiftedAscii {
        /// Byte offset of the `&`.
        at: usize,
    },
    /// Two shifted sequences back to back (`&AMk-&AOk-`): they must be one.
    BackToBack {
        /// Byte offset of the second `&`.
        at: usize,
    },
    /// UTF-16 that does not decode (a lone surrogate).
    BadUtf16 {
        /// Byte offset of the `&`.
        at: usize,
    },
}

impl fmt::Display for Utf7Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Utf7Error::RawNonAscii { at } => write!(f, "byte {at} is not printable ASCII"),
            Utf7Error::Unterminated { at } => {
                write!(f, "the `&` at byte {at} is never closed by `-`")
            }
            Utf7Error::BadBase64 { at } => write!(f, "byte {at} is not modified base64"),
            Utf7Error::BadPadding { at } => write!(
                f,
                "the sequence at byte {at} does not end on a whole character"
            ),
            Utf7Error::ShiftedAscii { at } => {
                write!(f, "the sequence at byte {at} encodes printable ASCII")
            }
            Utf7Error::BackToBack { at } => write!(
                f,
                "the sequence at byte {at} follows another without a character between"
            ),
            Utf7Error::BadUtf16 { at } => {
                write!(f, "the sequence at byte {at} is not valid UTF-16")
            }
        }
    }
}

impl std::error::Error for Utf7Error {}

/// Encodes a mailbox name for the wire.
#[must_use]
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

fn flush(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out.push('-');
    units.clear();
}

fn sextet(b: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == b).map(|p| p as u32)
}

/// Decodes a name from the wire, refusing every malformed form.
pub fn decode(wire: &str) -> Result<String, Utf7Error> {
    let bytes = wire.as_bytes();
    let mut out = String::with_capacity(wire.len());
    let mut i = 0;
    let mut last_shift_end: Option<usize> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if !(0x20..=0x7e).contains(&b) {
            return Err(Utf7Error::RawNonAscii { at: i });
        }
        if b != b'&' {
            out.push(b as char);
            i += 1;
            continue;
        }
        let start = i;
        let Some(len) = bytes[i + 1..].iter().position(|&c| c == b'-') else {
            return Err(Utf7Error::Unterminated { at: start });
        };
        let body = &bytes[i + 1..i + 1 + len];
        i += len + 2;
        if body.is_empty() {
            out.push('&');
            continue;
        }
        if last_shift_end == Some(start) {
            return Err(Utf7Error::BackToBack { at: start });
        }
        last_shift_end = Some(i);
        let units = decode_base64(body, start)?;
        let text = String::from_utf16(&units).map_err(|_| Utf7Error::BadUtf16 { at: start })?;
        if text.chars().any(|c| (' '..='~').contains(&c)) {
            return Err(Utf7Error::ShiftedAscii { at: start });
        }
        out.push_str(&text);
    }
    Ok(out)
}

fn decode_base64(body: &[u8], at: usize) -> Result<Vec<u16>, Utf7Error> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut bytes = Vec::with_capacity(body.len());
    for (k, &c) in body.iter().enumerate() {
        let v = sextet(c).ok_or(Utf7Error::BadBase64 { at: at + 1 + k })?;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    // Leftover bits must be fewer than 6 and all zero; bytes must pair up.
    if count >= 6 || bits != 0 || bytes.len() % 2 != 0 {
        return Err(Utf7Error::BadPadding { at });
    }
    Ok(bytes
        .chunks(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .collect())
}

/// Decodes a name for display: the strict decoding when it succeeds,
/// otherwise each valid sequence decoded and anything malformed kept as it
/// came. Never fails, never panics.
#[must_use]
pub fn decode_lenient(wire: &str) -> String {
    if let Ok(name) = decode(wire) {
        return name;
    }
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match after.find('-') {
            Some(0) => {
                out.push('&');
                rest = &after[1..];
            }
            Some(end) => {
                let body = &after[..end];
                let decoded = decode_base64(body.as_bytes(), 0)
                    .ok()
                    .and_then(|u| String::from_utf16(&u).ok());
                match decoded {
                    Some(text) => out.push_str(&text),
                    None => {
                        out.push('&');
                        out.push_str(body);
                        out.push('-');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[amp..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples() {
        // RFC 3501 §5.1.3.
        assert_eq!(
            decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(),
            "~peter/mail/台北/日本語"
        );
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(decode("&Jjo-!").unwrap(), "☺!");
        assert_eq!(encode("☺!"), "&Jjo-!");
        assert_eq!(decode("Hi Mom -&Jjo--!").unwrap(), "Hi Mom -☺-!");
        // The forbidden form from the RFC: `&Jjo!` is unterminated.
        assert_eq!(decode("&Jjo!"), Err(Utf7Error::Unterminated { at: 0 }));
        assert_eq!(decode("&U,BTF2XlZyyKng-").unwrap(), "台北日本語");
    }

    #[test]
    fn ampersand_and_french() {
        assert_eq!(encode("R&D"), "R&-D");
        assert_eq!(decode("R&-D").unwrap(), "R&D");
        assert_eq!(encode("Éléments envoyés"), "&AMk-l&AOk-ments envoy&AOk-s");
        assert_eq!(
            decode("&AMk-l&AOk-ments envoy&AOk-s").unwrap(),
            "Éléments envoyés"
        );
        assert_eq!(encode("Отправленные"), "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-");
    }

    #[test]
    fn malformed_forms_are_refused() {
        assert_eq!(decode("&AMk"), Err(Utf7Error::Unterminated { at: 0 }));
        assert_eq!(decode("&AM!k-"), Err(Utf7Error::BadBase64 { at: 3 }));
        assert_eq!(
            decode("&AGEAYgBj-"),
            Err(Utf7Error::ShiftedAscii { at: 0 }),
            "abc shifted"
        );
        assert_eq!(decode("&AMk-&AOk-"), Err(Utf7Error::BackToBack { at: 5 }));
        assert_eq!(
            decode("&AMl-"),
            Err(Utf7Error::BadPadding { at: 0 }),
            "non-zero padding bits"
        );
        assert_eq!(
            decode("&AM-"),
            Err(Utf7Error::BadPadding { at: 0 }),
            "half a UTF-16 unit"
        );
        assert_eq!(
            decode("&2AA-"),
            Err(Utf7Error::BadUtf16 { at: 0 }),
            "lone surrogate"
        );
        assert_eq!(decode("caf\u{e9}"), Err(Utf7Error::RawNonAscii { at: 3 }));
        assert_eq!(decode("a\tb"), Err(Utf7Error::RawNonAscii { at: 1 }));
    }

    #[test]
    fn lenient_decoding_keeps_what_it_cannot_read() {
        assert_eq!(decode_lenient("&AMk-l&AOk-ments"), "Éléments");
        assert_eq!(decode_lenient("Sent &AMk"), "Sent &AMk");
        assert_eq!(decode_lenient("a&!!-b&AOk-"), "a&!!-bé");
        assert_eq!(
            decode_lenient("caf\u{e9}"),
            "caf\u{e9}",
            "UTF-8 from a server ignoring the RFC"
        );
    }
}
