//! Fuzz target `mutf7`: IMAP's modified UTF-7 (`courriel_archive::mutf7`),
//! which reads every folder name a server lists.
//!
//! The bytes, as lossy UTF-8 (the decoder takes `&str`, as the IMAP layer
//! hands it), go through the strict [`decode`] and [`decode_lenient`]; the
//! same string, as arbitrary UTF-8, goes through [`encode`]. Checks:
//!
//! - nothing panics; an error's offset is inside the input;
//! - what [`decode`] accepts is the one canonical form: `encode(decode(x)) == x`;
//! - [`decode_lenient`] agrees with [`decode`] when that succeeds;
//! - [`encode`] gives printable ASCII that decodes back: `decode(encode(s)) == s`.

#![no_main]

// courriel-archive's own source file, without its crate (see Cargo.toml).
#[path = "../../crates/courriel-archive/src/mutf7.rs"]
mod mutf7;

use libfuzzer_sys::fuzz_target;
use mutf7::{Utf7Error, decode, decode_lenient, encode};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    match decode(&text) {
        Ok(name) => {
            assert_eq!(encode(&name), text, "decode accepted a non-canonical form");
            assert_eq!(decode_lenient(&text), name);
        }
        Err(e) => {
            let at = match e {
                Utf7Error::RawNonAscii { at }
                | Utf7Error::Unterminated { at }
                | Utf7Error::BadBase64 { at }
                | Utf7Error::BadPadding { at }
                | Utf7Error::ShiftedAscii { at }
                | Utf7Error::BackToBack { at }
                | Utf7Error::BadUtf16 { at } => at,
            };
            assert!(at < text.len(), "{e:?} outside {} bytes", text.len());
            let _ = e.to_string();
            let _ = decode_lenient(&text);
        }
    }

    let wire = encode(&text);
    assert!(
        wire.bytes().all(|b| (0x20..=0x7e).contains(&b)),
        "encode gave {wire:?}"
    );
    assert_eq!(
        decode(&wire).as_deref(),
        Ok(&*text),
        "round trip of {text:?}"
    );
});
