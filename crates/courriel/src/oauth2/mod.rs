//! Signing in with OAuth2: the authorization (a URL with `state` and a
//! PKCE verifier, the code exchange, or the device flow), tokens renewed
//! ahead of their expiry with rotated refresh tokens saved in a
//! [`TokenStore`], one renewal at a time per account across every process
//! sharing the store, and typed failures (the user must sign in again,
//! an administrator must approve the application...).

mod file;
#[cfg(feature = "postgres")]
mod postgres;
mod store;

pub use file::FileStore;
#[cfg(feature = "postgres")]
pub use postgres::PgTokenStore;
pub use store::{Grant, GrantKey, MAX_STORED, RefreshLock, StoreFuture, TokenStore, store_failure};
