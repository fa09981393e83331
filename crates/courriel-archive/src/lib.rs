//! IMAP for courriel: check an account, list its folders, choose the Sent
//! folder, file the exact bytes that were sent, and spool copies that
//! cannot be filed yet so that none is ever lost or filed twice.

pub mod mutf7;
