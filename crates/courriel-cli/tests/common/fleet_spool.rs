//! Copies waiting in a spool for the fleet accounts, as sends left them
//! while IMAP was unreachable: shared by the workers test and the spool
//! benchmark.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use courriel_archive::{NewCopy, Spool};
use courriel_testkit::{Servers, runtime};

/// A copy from `from` with this Message-ID; `body_repeat` sentences long.
pub(crate) fn message(from: &str, message_id: &str, body_repeat: usize) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: bob@courriel.test\r\nSubject: spooled copy\r\nDate: Sun, 29 Nov 2026 12:00:00 +0000\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        "Bonjour, voici la facture du mois. ".repeat(body_repeat.max(1))
    )
    .into_bytes()
}

/// Puts a copy per Message-ID in `spool`, spread over the fleet accounts
/// whose account `files` are given (in fleet order), due now and claimed
/// by nobody.
pub(crate) fn spool_copies(spool: &Spool, files: &[PathBuf], ids: &[String], body_repeat: usize) {
    let s = Servers::get();
    runtime().block_on(async {
        for (i, id) in ids.iter().enumerate() {
            let n = i % files.len();
            let copy = NewCopy::sent(files[n].to_str().expect("a UTF-8 path"), None, id);
            let claim = spool
                .put(
                    copy,
                    Arc::new(message(&s.fleet[n].address, id, body_repeat)),
                )
                .await
                .expect("spooled");
            spool
                .release(claim, Duration::ZERO)
                .await
                .expect("released");
        }
    });
}
