//! Signing in with OAuth2: the authorization (a URL with `state` and a
//! PKCE verifier, the code exchange, or the device flow), tokens renewed
//! ahead of their expiry with rotated refresh tokens saved in a
//! [`TokenStore`], one renewal at a time per account across every process
//! sharing the store, and typed failures (the user must sign in again,
//! an administrator must approve the application...).

mod file;
mod flow;
#[cfg(feature = "postgres")]
mod postgres;
mod source;
mod store;

pub use file::FileStore;
pub use flow::{Authorization, DeviceAuthorization, HttpOptions, OAuth2Client, Revocation, SignIn};
#[cfg(feature = "postgres")]
pub use postgres::PgTokenStore;
pub use source::{
    DEFAULT_MARGIN, DEFAULT_RETRY_RENEWAL_AFTER, MAX_RETRY_RENEWAL_AFTER, StoredTokens, login_of,
    sign_in_for,
};
pub use store::{Grant, GrantKey, MAX_STORED, RefreshLock, StoreFuture, TokenStore, store_failure};
