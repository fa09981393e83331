//! [`Tokens`]: a token source for tests of the SASL exchanges, handing
//! out the tokens it was given in order (the first on `token`, the next
//! one on each `refused`), and counting the refusals. The facade's real
//! source (refresh, store, locks) is tested against the test OAuth2
//! server.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use courriel_core::failure::{Failure, FailureKind};
use courriel_core::provider::SaslMechanism;
use courriel_net::{AccessToken, TokenFuture, TokenSource};

/// Tokens handed out in order; then the user must sign in again (OA002).
#[derive(Debug)]
pub struct Tokens {
    queue: Mutex<Vec<String>>,
    mechanisms: Vec<SaslMechanism>,
    refused: AtomicUsize,
}

impl Tokens {
    /// A source of `tokens` (the first is handed out first), for a
    /// provider taking `mechanisms` (empty: unknown).
    #[must_use]
    pub fn new(tokens: &[&str], mechanisms: &[SaslMechanism]) -> Tokens {
        Tokens {
            queue: Mutex::new(tokens.iter().rev().map(|t| (*t).to_string()).collect()),
            mechanisms: mechanisms.to_vec(),
            refused: AtomicUsize::new(0),
        }
    }

    /// How many times a server refused a token.
    pub fn refusals(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    fn next(&self) -> Result<AccessToken, Failure> {
        let next = self.queue.lock().unwrap().pop();
        next.map(|t| AccessToken::new(t, None)).ok_or_else(|| {
            Failure::new(FailureKind::OAuth2SignInExpired)
                .arg("provider", "test")
                .arg("user", "test")
                .arg("detail", "no token left")
        })
    }
}

impl TokenSource for Tokens {
    fn token(&self) -> TokenFuture<'_> {
        let next = self.next();
        Box::pin(async move { next })
    }

    fn refused<'a>(&'a self, _token: &'a AccessToken) -> TokenFuture<'a> {
        self.refused.fetch_add(1, Ordering::SeqCst);
        let next = self.next();
        Box::pin(async move { next })
    }

    fn id(&self) -> String {
        "test-tokens".to_string()
    }

    fn mechanisms(&self) -> Vec<SaslMechanism> {
        self.mechanisms.clone()
    }
}
