//! Placeholder, filled in by the IMAP-down tests.
