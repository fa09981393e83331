//! `courriel spool status`, `courriel spool retry` and `courriel spool
//! work`: the copies for the Sent folder that could not be filed when their
//! message was sent, in a directory or a PostgreSQL database.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use courriel::connect::SettingsError;
use courriel::{Mailer, ResolvedAccount};
use courriel_archive::{Entry, EntryState, RetryReport, SpoolLocation, SpoolOptions};
use courriel_core::account::Lang;
use courriel_presets::Catalog;
use serde_json::json;

use crate::i18n::msg;
use crate::progress::Progress;
use crate::{EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Seconds since the Unix epoch as `2026-11-29 15:30:00 UTC`.
pub(crate) fn utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// When a pending copy is next tried: `now`, or `in 4 min (date)`.
fn next_attempt(entry: &Entry, now: u64, lang: Lang) -> String {
    if entry.state == EntryState::Failed {
        return msg!(lang, "next-attempt-failed");
    }
    if entry.next_attempt <= now {
        return msg!(lang, "next-attempt-due");
    }
    let wait = entry.next_attempt - now;
    let wait = if wait < 60 {
        format!("{wait} s")
    } else if wait < 3600 {
        format!("{} min", wait.div_ceil(60))
    } else {
        format!("{} h {:02} min", wait / 3600, wait % 3600 / 60)
    };
    msg!(
        lang,
        "next-attempt-in",
        wait = wait,
        date = utc(entry.next_attempt)
    )
}

/// The spool's location, its entries and how many unreadable ones were
/// set aside; a spool directory that does not exist yet is empty (and is
/// not created by looking).
fn entries(spec: &str, lang: Lang) -> Result<(String, Vec<Entry>, usize), u8> {
    if let SpoolLocation::Dir(dir) = SpoolLocation::parse(spec)
        && !dir.exists()
    {
        return Ok((dir.display().to_string(), Vec::new(), 0));
    }
    let spool = crate::open_spool(spec, &SpoolOptions::default(), lang)?;
    match crate::block_on(async { Ok((spool.entries().await?, spool.quarantined().await?)) }) {
        Ok((entries, quarantined)) => Ok((spool.location(), entries, quarantined)),
        Err(e) => Err(unreadable(&spool.location(), &e, lang)),
    }
}

/// Says, in the user's language, that the spool cannot be read (or
/// written); the exit code for it.
fn unreadable(location: &str, e: &std::io::Error, lang: Lang) -> u8 {
    eprintln!(
        "courriel: {}",
        msg!(
            lang,
            "spool-unreadable",
            location = location,
            error = e.to_string()
        )
    );
    EXIT_USAGE
}

pub(crate) fn status(spec: &str, json: bool, lang: Lang) -> u8 {
    let (location, entries, quarantined) = match entries(spec, lang) {
        Ok(found) => found,
        Err(code) => return code,
    };
    if json {
        crate::emit_json(&status_json(&location, &entries, quarantined, now()));
    } else {
        crate::emit(&status_text(&location, &entries, quarantined, now(), lang));
    }
    EXIT_OK
}

/// Copies to file (pending, or being sent), failed, and of unknown fate
/// (among all of them).
fn counts(entries: &[Entry]) -> (usize, usize, usize) {
    let failed = entries
        .iter()
        .filter(|e| e.state == EntryState::Failed)
        .count();
    let unknown = entries.iter().filter(|e| e.fate_unknown).count();
    (entries.len() - failed, failed, unknown)
}

fn status_json(
    location: &str,
    entries: &[Entry],
    quarantined: usize,
    now: u64,
) -> serde_json::Value {
    let (pending, failed, unknown) = counts(entries);
    let list: Vec<_> = entries
        .iter()
        .map(|e| {
            let mut value = serde_json::to_value(e).expect("JSON of plain data");
            value["next_attempt_utc"] = json!(utc(e.next_attempt));
            value["due"] = json!(e.state == EntryState::Pending && e.next_attempt <= now);
            value["status"] = json!(e.status());
            value
        })
        .collect();
    json!({
        "spool": location,
        "pending": pending,
        "failed": failed,
        "unknown_fate": unknown,
        "quarantined": quarantined,
        "entries": list,
    })
}

/// The copies per account, then a summary line.
fn status_text(
    location: &str,
    entries: &[Entry],
    quarantined: usize,
    now: u64,
    lang: Lang,
) -> String {
    let mut out = String::new();
    if quarantined > 0 {
        let _ = writeln!(
            out,
            "{}\n",
            msg!(
                lang,
                "spool-quarantined",
                count = quarantined,
                location = location
            )
        );
    }
    if entries.is_empty() {
        let _ = writeln!(out, "{}", msg!(lang, "spool-empty", location = location));
        return out;
    }
    let mut by_account: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for entry in entries {
        by_account.entry(&entry.account).or_default().push(entry);
    }
    for (account, list) in by_account {
        let _ = writeln!(out, "{account}");
        for e in list {
            let folder = e.folder.as_deref().map_or_else(
                || "auto".to_string(),
                courriel_archive::mutf7::decode_lenient,
            );
            let _ = writeln!(
                out,
                "  {:<8} <{}>  {}",
                e.status(),
                e.message_id,
                msg!(
                    lang,
                    "spool-entry-folder",
                    folder = folder,
                    attempts = e.attempts
                )
            );
            let _ = writeln!(
                out,
                "           {}",
                msg!(
                    lang,
                    "spool-entry-next-attempt",
                    when = next_attempt(e, now, lang)
                )
            );
            if e.fate_unknown {
                let _ = writeln!(out, "           {}", msg!(lang, "spool-entry-fate-unknown"));
            }
            if let Some(owner) = &e.owner {
                let _ = writeln!(
                    out,
                    "           {}",
                    msg!(lang, "spool-entry-mailbox", mailbox = owner.mailbox())
                );
            }
            if let Some(worker) = &e.claimed_by {
                let _ = writeln!(
                    out,
                    "           {}",
                    msg!(lang, "spool-entry-claimed", worker = worker)
                );
            }
            if let Some(error) = &e.last_error {
                let _ = writeln!(
                    out,
                    "           {}",
                    msg!(lang, "spool-entry-last-error", error = error)
                );
            }
        }
        out.push('\n');
    }
    let (pending, failed, unknown) = counts(entries);
    let _ = writeln!(
        out,
        "{}",
        msg!(
            lang,
            "spool-summary",
            total = entries.len(),
            pending = pending,
            failed = failed,
            unknown = unknown,
            location = location
        )
    );
    out
}

/// Why an account's copies cannot be filed now.
fn settings_problem(error: &SettingsError, lang: Lang) -> String {
    match error {
        SettingsError::Rules(d) if d.is_empty() => msg!(lang, "account-no-imap"),
        SettingsError::Rules(d) => d
            .iter()
            .map(|d| d.render(lang))
            .collect::<Vec<_>>()
            .join("\n"),
        SettingsError::CaFile(file, e) => format!("ca_file {file}: {e}"),
    }
}

/// Reads and resolves each account once per pass, from the path its
/// copies were sent with, and remembers why one cannot be used (said after
/// the progress bar is gone).
struct Accounts<'a> {
    mailer: &'a Mailer,
    catalog: &'a Catalog,
    lang: Lang,
    loaded: RefCell<HashMap<String, Option<ResolvedAccount>>>,
    problems: RefCell<BTreeMap<String, String>>,
}

impl Accounts<'_> {
    fn get(&self, id: &str) -> Option<ResolvedAccount> {
        if let Some(known) = self.loaded.borrow().get(id) {
            return known.clone();
        }
        let loaded = match courriel::account::load(Path::new(id))
            .map_err(|e| e.to_string())
            .and_then(|settings| crate::account_from(id, settings, self.catalog))
        {
            Err(e) => {
                self.problems.borrow_mut().insert(id.to_string(), e);
                None
            }
            Ok(account) => {
                let account = self.mailer.resolve(&account);
                let problem = match account.imap() {
                    Some(Ok(_)) => None,
                    Some(Err(e)) => Some(settings_problem(e, self.lang)),
                    // No IMAP table: nowhere to file.
                    None => Some(settings_problem(
                        &SettingsError::Rules(Vec::new()),
                        self.lang,
                    )),
                };
                match problem {
                    None => Some(account),
                    Some(problem) => {
                        self.problems.borrow_mut().insert(id.to_string(), problem);
                        None
                    }
                }
            }
        };
        self.loaded
            .borrow_mut()
            .insert(id.to_string(), loaded.clone());
        loaded
    }
}

pub(crate) fn retry(
    catalog: &Catalog,
    spec: &str,
    now: bool,
    failed: bool,
    json: bool,
    lang: Lang,
) -> u8 {
    let mailer = match crate::mailer(catalog, spec, lang) {
        Ok(mailer) => mailer,
        Err(code) => return code,
    };
    let location = mailer.spool().location();
    if failed && let Err(e) = crate::block_on(mailer.spool().requeue_failed()) {
        return unreadable(&location, &e, lang);
    }
    let now = now || failed;
    let accounts = Accounts {
        mailer: &mailer,
        catalog,
        lang,
        loaded: RefCell::default(),
        problems: RefCell::default(),
    };
    let mut progress = Progress::new(&msg!(lang, "progress-filing"), json);
    let report = crate::block_on(async {
        let account_for = |id: &str| accounts.get(id);
        let progress = |done, total| progress.update(done, total);
        let report = if now {
            mailer.retry_spool_now(account_for, progress).await
        } else {
            mailer
                .retry_spool_with_progress(account_for, progress)
                .await
        };
        mailer.close().await;
        report
    });
    progress.finish();
    let report = match report {
        Ok(report) => report,
        Err(e) => return unreadable(&location, &e, lang),
    };
    // Copies not tried this time (not due yet, or failed before) still wait.
    let remaining = crate::block_on(mailer.spool().entries()).map_or(0, |e| e.len());
    let problems = accounts.problems.take();
    if json {
        let problems: Vec<_> = problems
            .iter()
            .map(|(account, message)| json!({ "account": account, "message": message }))
            .collect();
        let mut value = report_json(&report);
        value["remaining"] = json!(remaining);
        value["problems"] = json!(problems);
        crate::emit_json(&value);
    } else {
        crate::emit(&report_text(&report, remaining, lang));
    }
    for (account, problem) in &problems {
        tell_problem(account, problem, lang);
    }
    if report.pending + report.failed + remaining > 0 {
        EXIT_NOT_FOUND
    } else {
        EXIT_OK
    }
}

/// Says on stderr why an account's copies stay in the spool.
fn tell_problem(account: &str, problem: &str, lang: Lang) {
    eprintln!(
        "courriel: {}\n{problem}",
        msg!(lang, "copies-stay", account = account)
    );
}

/// What `courriel spool work` was asked.
pub(crate) struct WorkOptions {
    pub(crate) until_empty: bool,
    pub(crate) batch: usize,
    pub(crate) imap_timeout: Duration,
    pub(crate) poll: Duration,
    pub(crate) options: SpoolOptions,
}

/// Stops on SIGINT or SIGTERM.
async fn stopped() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

/// `courriel spool work`: retry passes until stopped (or, with
/// `--until-empty`, until no copy is pending).
pub(crate) fn work(catalog: &Catalog, spec: &str, o: &WorkOptions, json: bool, lang: Lang) -> u8 {
    // After its renewal a claim has two thirds of the lease left: enough
    // for the APPEND, or another worker may take the copy over meanwhile.
    if o.options.lease.as_secs_f64() <= 1.5 * o.imap_timeout.as_secs_f64() {
        eprintln!("courriel: {}", msg!(lang, "lease-too-short"));
        return crate::EXIT_USAGE;
    }
    let bound = o.imap_timeout.min(Duration::from_secs(10));
    let timeouts = courriel_archive::Timeouts {
        connect: bound,
        tls: bound,
        greeting: bound,
        command: o.imap_timeout,
        ..courriel_archive::Timeouts::default()
    };
    let batch = o.batch;
    let mailer = match crate::mailer_with(catalog, spec, &o.options, lang, |b| {
        b.retry_batch(batch).imap_timeouts(timeouts)
    }) {
        Ok(mailer) => mailer,
        Err(code) => return code,
    };
    let location = mailer.spool().location();
    let accounts = Accounts {
        mailer: &mailer,
        catalog,
        lang,
        loaded: RefCell::default(),
        problems: RefCell::default(),
    };
    let mut told = BTreeMap::new();
    let mut unreadable_passes = 0;
    let mut code = EXIT_OK;
    crate::block_on(async {
        let stop = stopped();
        tokio::pin!(stop);
        loop {
            // Account files are read again each pass: fixed ones are used.
            accounts.loaded.borrow_mut().clear();
            let handled = match mailer.retry_spool(|id| accounts.get(id)).await {
                Ok(report) => {
                    // The spool is readable again: a worker stopped now
                    // stopped cleanly.
                    code = EXIT_OK;
                    let handled =
                        report.filed + report.already_filed + report.pending + report.failed;
                    if handled > 0 {
                        print_pass(&report, json, lang);
                    }
                    report.filed + report.already_filed
                }
                Err(e) => {
                    // The database restarting, say: the next pass tries again.
                    code = unreadable(&location, &e, lang);
                    unreadable_passes += 1;
                    0
                }
            };
            for (account, problem) in accounts.problems.take() {
                if told.get(&account) != Some(&problem) {
                    tell_problem(&account, &problem, lang);
                    told.insert(account, problem);
                }
            }
            if o.until_empty {
                // Done when nothing is left to file, or nothing left can be
                // filed by waiting (failed copies, copies of accounts that
                // cannot be read), or the spool keeps failing: always ends.
                match mailer.spool().entries().await {
                    Ok(entries) => {
                        unreadable_passes = 0;
                        let stuck = |e: &Entry| {
                            e.state == EntryState::Failed || told.contains_key(&e.account)
                        };
                        if entries.iter().all(stuck) {
                            code = if entries.is_empty() {
                                EXIT_OK
                            } else {
                                EXIT_NOT_FOUND
                            };
                            break;
                        }
                    }
                    Err(e) => {
                        code = unreadable(&location, &e, lang);
                        unreadable_passes += 1;
                    }
                }
                if unreadable_passes >= 3 {
                    break;
                }
                code = EXIT_OK;
            }
            let wait = if handled > 0 { Duration::ZERO } else { o.poll };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut stop => break,
            }
        }
        mailer.close().await;
    });
    code
}

/// What a retry pass did, as `--json` says it.
fn report_json(report: &RetryReport) -> serde_json::Value {
    json!({
        "filed": report.filed,
        "already_filed": report.already_filed,
        "pending": report.pending,
        "failed": report.failed,
        "account_changed": report.account_changed,
        "unknown_fate": report.unknown_fate,
    })
}

/// One worker pass that handled copies: a line of text, or with `json` a
/// JSON object on a line of its own (JSON Lines, for log collectors).
fn print_pass(report: &RetryReport, json: bool, lang: Lang) {
    if json {
        crate::emit(&format!("{}\n", report_json(report)));
    } else {
        crate::emit(&report_text(report, 0, lang));
    }
}

fn report_text(report: &RetryReport, remaining: usize, lang: Lang) -> String {
    let mut out = msg!(
        lang,
        "retry-report",
        filed = report.filed,
        already_filed = report.already_filed,
        pending = report.pending,
        failed = report.failed
    );
    out.push('\n');
    if report.unknown_fate > 0 {
        let _ = writeln!(
            out,
            "{}",
            msg!(lang, "retry-unknown-fate", count = report.unknown_fate)
        );
    }
    if report.account_changed > 0 {
        let _ = writeln!(
            out,
            "{}",
            msg!(
                lang,
                "retry-account-changed",
                count = report.account_changed
            )
        );
    }
    if remaining > 0 {
        let _ = writeln!(out, "{}", msg!(lang, "retry-remaining", count = remaining));
    }
    out
}
