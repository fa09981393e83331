//! Modified UTF-7: properties over arbitrary strings.

use courriel_archive::mutf7::{decode, decode_lenient, encode};
use proptest::prelude::*;

proptest! {
    #[test]
    fn decoding_an_encoding_gives_the_string_back(s in any::<String>()) {
        let wire = encode(&s);
        prop_assert!(wire.bytes().all(|b| (0x20..=0x7e).contains(&b)), "{wire:?}");
        prop_assert_eq!(decode(&wire).unwrap(), s.clone());
        prop_assert_eq!(decode_lenient(&wire), s);
    }

    #[test]
    fn decoding_anything_never_panics(s in any::<String>()) {
        let _ = decode(&s);
        let _ = decode_lenient(&s);
    }

    #[test]
    fn decoding_ascii_soup_never_panics(s in "[&A-Za-z0-9+,/ -]{0,40}") {
        if let Ok(name) = decode(&s) {
            // What decodes strictly encodes back to the same wire form.
            prop_assert_eq!(encode(&name), s);
        }
    }
}
