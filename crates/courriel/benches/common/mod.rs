//! What the facade's benchmarks share: test accounts at given ports,
//! their spools, and the CPU time the process used.

use std::time::Duration;

use courriel::Account;
use courriel_testkit::{Account as TestAccount, Servers};

/// `who` on the test servers, reached at these ports of 127.0.0.1 (SMTP
/// with STARTTLS, or TLS from the first byte with `smtp_implicit_tls`;
/// IMAP with TLS from the first byte); `file`: whether copies are filed in
/// Sent.
pub(crate) fn account_on(
    who: &TestAccount,
    (smtp_port, imap_port): (u16, u16),
    smtp_implicit_tls: bool,
    file: bool,
) -> Account {
    let s = Servers::get();
    let mut settings = s.settings_for(who, Some((&s.host, smtp_port)), Some((&s.host, imap_port)));
    if let Some(smtp) = settings.smtp.as_mut().filter(|_| smtp_implicit_tls) {
        smtp.security = Some("implicit-tls".into());
    }
    if let Some(imap) = settings.imap.as_mut() {
        imap.copy_to_sent = Some(file);
    }
    Account::new(&who.address, settings)
        .with_smtp_password(&who.password)
        .with_imap_password(&who.password)
}

pub(crate) fn spool(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("courriel-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// CPU time this process has used (user + system), from /proc.
pub(crate) fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime is the
    // 12th, stime the 13th, in clock ticks (100 per second on Linux).
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<u64> = after
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let ticks = fields.get(10).unwrap_or(&0) + fields.get(11).unwrap_or(&0);
    Duration::from_millis(ticks * 10)
}
