//! What the facade's benchmarks share: test accounts at given ports,
//! their spools, and the CPU time the process used.

use std::time::{Duration, Instant};

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

/// The whole machine's CPU time so far, busy (every process: ours and the
/// servers') and in all (busy and idle, summed over the cores), from
/// /proc/stat. Between two readings, busy / all is how busy the machine was.
pub(crate) fn machine_cpu() -> (Duration, Duration) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    // `cpu  user nice system idle iowait irq softirq steal ...`, in ticks.
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let all: u64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3).unwrap_or(&0) + ticks.get(4).unwrap_or(&0);
    (
        Duration::from_millis((all - idle) * 10),
        Duration::from_millis(all * 10),
    )
}

/// What the machine spent over a while: its busy CPU time (all processes)
/// and the share of the cores that was busy.
pub(crate) struct MachineUse {
    /// Busy CPU time, summed over the cores.
    pub(crate) busy: Duration,
    /// The share of the cores' time that was busy.
    pub(crate) share: f64,
    /// From the start until the server had delivered all that was sent:
    /// a steady rate of sends is bound by this, not by the answers alone
    /// (a run that ends while Postfix still delivers leaves work behind).
    pub(crate) until_delivered: Duration,
}

impl MachineUse {
    /// Busy CPU per message, in milliseconds, for a run of `messages`.
    // Counts and milliseconds as f64: far below 2^52, no precision lost.
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn ms_per(&self, messages: usize) -> f64 {
        self.busy.as_secs_f64() * 1e3 / messages as f64
    }
}

/// Waits until Postfix has delivered everything queued, so one run's
/// deliveries do not take the CPU from the next run; when its queue was
/// found empty (within 25 ms).
pub(crate) fn drain_postfix_queue() -> Instant {
    let queue = Servers::get().dir.join("postfix/queue");
    let deadline = Instant::now() + Duration::from_secs(120);
    let queued = || {
        ["maildrop", "incoming", "active", "deferred"]
            .iter()
            .map(|d| count_files(&queue.join(d)))
            .sum::<usize>()
    };
    while queued() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(25));
    }
    let empty = Instant::now();
    std::thread::sleep(Duration::from_millis(500));
    empty
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    count_files(&e.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

/// The machine's use for a run of sends: its CPU until Postfix has
/// delivered what the run sent (the deliveries are part of a send's cost),
/// how busy it was during the run itself, and how long until delivered.
pub(crate) fn machine_use_of<T>(run: impl FnOnce() -> T) -> (T, MachineUse) {
    drain_postfix_queue();
    let (busy_before, all_before) = machine_cpu();
    let start = Instant::now();
    let out = run();
    let (busy_run, all_run) = machine_cpu();
    let delivered = drain_postfix_queue();
    let (busy_after, _) = machine_cpu();
    let share = busy_run.saturating_sub(busy_before).as_secs_f64()
        / all_run.saturating_sub(all_before).as_secs_f64().max(1e-9);
    (
        out,
        MachineUse {
            busy: busy_after.saturating_sub(busy_before),
            share,
            until_delivered: delivered - start,
        },
    )
}
