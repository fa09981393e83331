//! The spool and the folder cache in PostgreSQL (cargo feature
//! `postgres`), shared by any number of workers on any number of machines.
//!
//! A claim is a lease: the row names its worker (`claimed_by`) until
//! `lease_until`. Workers claim due rows with `FOR UPDATE SKIP LOCKED`, so
//! two never take the same row and none waits for another; a worker that
//! dies lets its rows go when their leases expire. Before a long step (the
//! APPEND) the filer renews its leases and files only the copies still
//! its own; a copy filed by a worker that died before forgetting it is
//! found by its Message-ID and not filed again. Times are the database's
//! (`now()`), so the workers' clocks do not matter.
//!
//! The schema is created and upgraded by versioned migrations
//! (`migrations/NNNN_*.sql`, recorded in `courriel_migrations`), applied
//! under an advisory lock when a store connects, so workers starting at
//! once do not race. The facade's OAuth2 grants live in the same database
//! (`grants.rs`, migration 4). Connections: a few per process, shared by every task
//! (tokio-postgres pipelines queries), reopened when the server went away.
//! TLS (rustls, certificates verified) is required for any server not on
//! loopback; the password never appears in messages or `Debug`.

use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, Config, Row};

use super::{Claimed, Entry, EntryState, NewCopy, Owner, SpoolStore, StoreFuture, new_id};
use crate::cache::{FolderList, FolderStore};

/// The migrations, in order: (version, name, SQL).
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "spool", include_str!("migrations/0001_spool.sql")),
    (
        2,
        "folder cache",
        include_str!("migrations/0002_folder_cache.sql"),
    ),
    (
        3,
        "sending_and_owner",
        include_str!("migrations/0003_sending_and_owner.sql"),
    ),
    (
        4,
        "oauth2_grants",
        include_str!("migrations/0004_oauth2_grants.sql"),
    ),
];

/// The advisory lock key taken while migrating (`courriel` in ASCII).
const MIGRATION_LOCK: i64 = 0x636f_7572_7269_656c;

/// How a PostgreSQL store behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PgOptions {
    /// How long a claim lasts unless renewed (default 5 minutes). It must
    /// outlast a filing round: connecting, listing and one APPEND, each
    /// bounded by the account's IMAP timeouts. A worker that dies holds
    /// its copies this long.
    pub lease: Duration,
    /// Connections per process (default 4).
    pub connections: usize,
    /// This worker's name in `claimed_by` (default: host, process id and
    /// a random part).
    pub worker: Option<String>,
}

impl Default for PgOptions {
    fn default() -> PgOptions {
        PgOptions {
            lease: Duration::from_secs(300),
            connections: 4,
            worker: None,
        }
    }
}

impl PgOptions {
    /// These options with another lease.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> PgOptions {
        self.lease = lease;
        self
    }

    /// These options with another worker name.
    #[must_use]
    pub fn worker(mut self, worker: impl Into<String>) -> PgOptions {
        self.worker = Some(worker.into());
        self
    }
}

/// A spool (and folder cache) in a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    /// The same, with `synchronous_commit = off`: for every statement but
    /// the put (see [`PgStore::relaxed`]).
    relaxed_config: Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    location: String,
    worker: String,
    lease: Duration,
    clients: Vec<tokio::sync::Mutex<Option<Arc<Client>>>>,
    relaxed: Vec<tokio::sync::Mutex<Option<Arc<Client>>>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("location", &self.inner.location)
            .field("worker", &self.inner.worker)
            .field("lease", &self.inner.lease)
            .finish_non_exhaustive()
    }
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("PostgreSQL: {e}"))
}

/// An error whose message names the database, never with its password.
fn db_error(location: &str, e: &tokio_postgres::Error) -> std::io::Error {
    use std::error::Error as _;
    let detail = match e.source() {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    };
    std::io::Error::other(format!("PostgreSQL {location}: {detail}"))
}

/// `url` without its password, and without our own `sslrootcert`
/// parameter (which tokio-postgres does not know); the file it names.
fn split_url(url: &str) -> (String, Option<String>) {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut root = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| match p.strip_prefix("sslrootcert=") {
            Some(file) => {
                root = Some(file.to_string());
                false
            }
            None => true,
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, root)
}

/// `postgres://user@host:port/db`: what messages show.
fn location(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            Host::Tcp(name) => format!("{name}:{port}"),
            Host::Unix(dir) => format!("[{}]", dir.display()),
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

fn on_loopback(host: &Host) -> bool {
    match host {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            name == "localhost"
                || name
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    }
}

/// This process's default worker name.
fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "host".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}:{}:{nanos:08x}", host.trim(), std::process::id())
}

/// The largest CA file read (`sslrootcert`): a few certificates fit well.
const MAX_CA_FILE: u64 = 1024 * 1024;

/// Reads a CA file: a regular file only (not a FIFO nor a device), at
/// most [`MAX_CA_FILE`] bytes.
fn read_ca(path: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut pem = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_CA_FILE + 1)
        .read_to_end(&mut pem)?;
    if pem.len() as u64 > MAX_CA_FILE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_CA_FILE} bytes"),
        ));
    }
    Ok(pem)
}

fn entry_of(row: &Row) -> Entry {
    let next: i64 = row.get("next_epoch");
    let attempts: i32 = row.get("attempts");
    Entry {
        id: row.get("id"),
        account: row.get("account"),
        folder: row.get("folder"),
        message_id: row.get("message_id"),
        date: row.get("date"),
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_attempt: u64::try_from(next).unwrap_or(0),
        last_error: row.get("last_error"),
        state: match row.get::<_, &str>("state") {
            "failed" => EntryState::Failed,
            "sending" => EntryState::Sending,
            _ => EntryState::Pending,
        },
        claimed_by: row.get("holder"),
        owner: row
            .get::<_, Option<&str>>("owner")
            .and_then(|json| serde_json::from_str(json).ok()),
        // A `sending` copy whose lease ran out lost its sender.
        fate_unknown: row.get("fate_unknown"),
        size: u64::try_from(row.get::<_, i32>("size")).ok(),
    }
}

/// An owner as the `owner` column keeps it.
fn owner_json(owner: Option<&Owner>) -> Option<String> {
    owner.and_then(|o| serde_json::to_string(o).ok())
}

/// The columns an [`Entry`] is read from.
const ENTRY_COLUMNS: &str = "id, account, folder, message_id, date, attempts, \
     floor(extract(epoch from next_attempt))::int8 AS next_epoch, last_error, state, \
     CASE WHEN lease_until > now() THEN claimed_by END AS holder, owner, \
     fate_unknown OR (state = 'sending' AND (lease_until IS NULL OR lease_until < now())) \
       AS fate_unknown, octet_length(message) AS size";

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`,
    /// with `sslmode=require` or `sslrootcert=/path/ca.pem` as needed) and
    /// creates or upgrades its tables.
    pub async fn connect(url: &str, options: PgOptions) -> std::io::Result<PgStore> {
        let (url, root) = split_url(url);
        let mut config = Config::from_str(&url).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "not a PostgreSQL URL ({e}): give postgres://user:password@host:port/database"
                ),
            )
        })?;
        let location = location(&config);
        let local = config.get_hosts().iter().all(on_loopback);
        let tls = match (config.get_ssl_mode(), local) {
            (SslMode::Disable, true) => None,
            (SslMode::Disable, false) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "{location}: sslmode=disable is refused for a server that is not on this machine (the password and the copies would cross the network in clear): remove it"
                    ),
                ));
            }
            (mode, _) => {
                // Away from loopback, TLS is required, never merely preferred.
                if !local && mode == SslMode::Prefer {
                    config.ssl_mode(SslMode::Require);
                }
                let pem = match &root {
                    Some(file) => Some(read_ca(file).map_err(|e| {
                        std::io::Error::new(e.kind(), format!("sslrootcert {file}: {e}"))
                    })?),
                    None => None,
                };
                let client = courriel_net::tls_config(pem.as_deref(), false).map_err(io)?;
                Some(tokio_postgres_rustls::MakeRustlsConnect::new(
                    (*client).clone(),
                ))
            }
        };
        config.application_name("courriel");
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let connections = options.connections.max(1);
        let mut relaxed_config = config.clone();
        let given = relaxed_config.get_options().unwrap_or("").to_string();
        relaxed_config.options(format!("{given} -c synchronous_commit=off").trim());
        let slots = || {
            (0..connections)
                .map(|_| tokio::sync::Mutex::new(None))
                .collect()
        };
        let store = PgStore {
            inner: Arc::new(Inner {
                config,
                relaxed_config,
                tls,
                location,
                worker: options.worker.unwrap_or_else(worker_name),
                lease: options.lease,
                clients: slots(),
                relaxed: slots(),
                next: AtomicUsize::new(0),
            }),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// This worker's name, as rows it claims show it.
    #[must_use]
    pub fn worker(&self) -> &str {
        &self.inner.worker
    }

    /// The schema version this build knows.
    #[must_use]
    pub fn schema_version() -> i32 {
        MIGRATIONS.last().map_or(0, |m| m.0)
    }

    pub(super) async fn open_client(&self, config: &Config) -> std::io::Result<Client> {
        let inner = &self.inner;
        let err = |e: tokio_postgres::Error| db_error(&inner.location, &e);
        match &inner.tls {
            None => {
                let (client, connection) =
                    config.connect(tokio_postgres::NoTls).await.map_err(err)?;
                tokio::spawn(connection);
                Ok(client)
            }
            Some(tls) => {
                let (client, connection) = config.connect(tls.clone()).await.map_err(err)?;
                tokio::spawn(connection);
                Ok(client)
            }
        }
    }

    /// A shared connection whose commits are durable (opened, or reopened
    /// if it was closed): for putting copies.
    pub(super) async fn client(&self) -> std::io::Result<Arc<Client>> {
        self.pick(&self.inner.clients, &self.inner.config).await
    }

    /// A shared connection whose commits are not waited for on disk
    /// (`synchronous_commit = off`): for claims, renewals, outcomes and
    /// the folder cache. A crash of the database may forget the last of
    /// these; nothing is lost or filed twice then: a forgotten claim or
    /// renewal makes the worker's renewal fail (it files nothing), a
    /// forgotten removal leaves a filed copy that the next retry finds by
    /// its Message-ID, a forgotten failure only an attempt uncounted.
    /// Only the put, which holds the copy itself, waits for the disk.
    async fn relaxed(&self) -> std::io::Result<Arc<Client>> {
        self.pick(&self.inner.relaxed, &self.inner.relaxed_config)
            .await
    }

    async fn pick(
        &self,
        slots: &[tokio::sync::Mutex<Option<Arc<Client>>>],
        config: &Config,
    ) -> std::io::Result<Arc<Client>> {
        let slot = &slots[self.inner.next.fetch_add(1, Ordering::Relaxed) % slots.len()];
        let mut slot = slot.lock().await;
        if let Some(client) = slot.as_ref()
            && !client.is_closed()
        {
            return Ok(client.clone());
        }
        let client = Arc::new(self.open_client(config).await?);
        *slot = Some(client.clone());
        Ok(client)
    }

    pub(super) fn err(&self, e: &tokio_postgres::Error) -> std::io::Error {
        db_error(&self.inner.location, e)
    }

    /// Applies the migrations this database lacks, one transaction each,
    /// under an advisory lock.
    async fn migrate(&self) -> std::io::Result<()> {
        let mut client = self.open_client(&self.inner.config).await?;
        let tx = client.transaction().await.map_err(|e| self.err(&e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(|e| self.err(&e))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS courriel_migrations (
                 version integer PRIMARY KEY,
                 name text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await
        .map_err(|e| self.err(&e))?;
        let current: i32 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM courriel_migrations",
                &[],
            )
            .await
            .map_err(|e| self.err(&e))?
            .get(0);
        if current > Self::schema_version() {
            return Err(std::io::Error::other(format!(
                "{}: the database's courriel schema is version {current}, newer than this build's ({}): upgrade courriel",
                self.inner.location,
                Self::schema_version()
            )));
        }
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            tx.batch_execute(sql).await.map_err(|e| {
                std::io::Error::other(format!(
                    "{}: migration {version} ({name}) failed: {}",
                    self.inner.location,
                    self.err(&e)
                ))
            })?;
            tx.execute(
                "INSERT INTO courriel_migrations (version, name) VALUES ($1, $2)",
                &[version, name],
            )
            .await
            .map_err(|e| self.err(&e))?;
        }
        tx.commit().await.map_err(|e| self.err(&e))
    }

    /// The connection settings every connection of this store uses
    /// (durable commits).
    pub(super) fn config(&self) -> &Config {
        &self.inner.config
    }

    fn lease_secs(&self) -> f64 {
        self.inner.lease.as_secs_f64()
    }
}

impl SpoolStore for PgStore {
    fn location(&self) -> String {
        self.inner.location.clone()
    }

    fn put<'a>(&'a self, copy: NewCopy<'a>, message: Arc<Vec<u8>>) -> StoreFuture<'a, Claimed> {
        Box::pin(async move {
            let id = new_id(copy.message_id);
            let client = self.client().await?;
            let row = client
                .query_one(
                    &format!(
                        "INSERT INTO courriel_spool
                             (id, account, folder, message_id, date, message, claimed_by, lease_until,
                              state, owner)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8), $9, $10)
                         RETURNING {ENTRY_COLUMNS}"
                    ),
                    &[
                        &id,
                        &copy.account,
                        &copy.folder,
                        &copy.message_id,
                        &copy.date,
                        &message.as_slice(),
                        &self.inner.worker,
                        &self.lease_secs(),
                        &if copy.sending { "sending" } else { "pending" },
                        &owner_json(copy.owner),
                    ],
                )
                .await
                .map_err(|e| self.err(&e))?;
            Ok(Claimed::new(entry_of(&row), message, None))
        })
    }

    fn claim(&self, limit: usize) -> StoreFuture<'_, Vec<Claimed>> {
        Box::pin(async move {
            let client = self.relaxed().await?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = client
                .query(
                    &format!(
                        "UPDATE courriel_spool s
                         SET claimed_by = $1, lease_until = now() + make_interval(secs => $2),
                             fate_unknown = s.fate_unknown OR s.state = 'sending',
                             state = 'pending'
                         FROM (SELECT id AS due_id FROM courriel_spool
                               WHERE ((state = 'pending' AND next_attempt <= now())
                                      OR state = 'sending')
                                 AND (lease_until IS NULL OR lease_until < now())
                               ORDER BY next_attempt, id
                               LIMIT $3
                               FOR UPDATE SKIP LOCKED) due
                         WHERE s.id = due.due_id
                         RETURNING {ENTRY_COLUMNS}, message"
                    ),
                    &[&self.inner.worker, &self.lease_secs(), &limit],
                )
                .await
                .map_err(|e| self.err(&e))?;
            let mut claims: Vec<Claimed> = rows
                .iter()
                .map(|row| {
                    let message: Vec<u8> = row.get("message");
                    Claimed::new(entry_of(row), Arc::new(message), None)
                })
                .collect();
            claims.sort_by(|a, b| a.entry.id.cmp(&b.entry.id));
            Ok(claims)
        })
    }

    fn renew<'a>(&'a self, claims: &'a [&'a Claimed]) -> StoreFuture<'a, Vec<String>> {
        Box::pin(async move {
            // Claims taken less than a third of a lease ago still have two
            // thirds of it: more than one APPEND may take. Only older ones
            // cost a round trip.
            let (fresh, old): (Vec<&Claimed>, Vec<&Claimed>) =
                claims.iter().partition(|c| c.age() < self.inner.lease / 3);
            let mut held: Vec<String> = fresh.iter().map(|c| c.entry.id.clone()).collect();
            if old.is_empty() {
                return Ok(held);
            }
            let ids: Vec<&str> = old.iter().map(|c| c.entry.id.as_str()).collect();
            let client = self.relaxed().await?;
            let rows = client
                .query(
                    "UPDATE courriel_spool SET lease_until = now() + make_interval(secs => $2)
                     WHERE id = ANY($1) AND claimed_by = $3
                     RETURNING id",
                    &[&ids, &self.lease_secs(), &self.inner.worker],
                )
                .await
                .map_err(|e| self.err(&e))?;
            held.extend(rows.iter().map(|r| r.get::<_, String>(0)));
            Ok(held)
        })
    }

    fn filed(&self, claims: Vec<Claimed>) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let ids: Vec<&str> = claims.iter().map(|c| c.entry.id.as_str()).collect();
            let client = self.relaxed().await?;
            client
                .execute("DELETE FROM courriel_spool WHERE id = ANY($1)", &[&ids])
                .await
                .map_err(|e| self.err(&e))?;
            Ok(())
        })
    }

    fn failed<'a>(
        &'a self,
        claim: Claimed,
        error: &'a str,
        permanent: bool,
        retry_after: Duration,
    ) -> StoreFuture<'a, Entry> {
        Box::pin(async move {
            let client = self.relaxed().await?;
            let state = if permanent { "failed" } else { "pending" };
            let row = client
                .query_opt(
                    &format!(
                        "UPDATE courriel_spool
                         SET attempts = attempts + 1, last_error = $2,
                             next_attempt = now() + make_interval(secs => $3), state = $4,
                             claimed_by = NULL, lease_until = NULL, fate_unknown = $6
                         WHERE id = $1 AND claimed_by = $5
                         RETURNING {ENTRY_COLUMNS}"
                    ),
                    &[
                        &claim.entry.id,
                        &error,
                        &retry_after.as_secs_f64(),
                        &state,
                        &self.inner.worker,
                        &claim.entry.fate_unknown,
                    ],
                )
                .await
                .map_err(|e| self.err(&e))?;
            // No row: another worker took the copy over (this one's lease
            // ran out); its attempt is the one that counts.
            Ok(row.map_or_else(|| claim.entry.clone(), |row| entry_of(&row)))
        })
    }

    fn release(&self, claim: Claimed, retry_after: Duration) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let client = self.relaxed().await?;
            client
                .execute(
                    "UPDATE courriel_spool
                     SET next_attempt = now() + make_interval(secs => $2),
                         claimed_by = NULL, lease_until = NULL, state = $4, fate_unknown = $5
                     WHERE id = $1 AND claimed_by = $3",
                    &[
                        &claim.entry.id,
                        &retry_after.as_secs_f64(),
                        &self.inner.worker,
                        &claim.entry.state.as_str(),
                        &claim.entry.fate_unknown,
                    ],
                )
                .await
                .map_err(|e| self.err(&e))?;
            Ok(())
        })
    }

    fn entries(&self) -> StoreFuture<'_, Vec<Entry>> {
        Box::pin(async move {
            let client = self.relaxed().await?;
            let rows = client
                .query(
                    &format!("SELECT {ENTRY_COLUMNS} FROM courriel_spool ORDER BY id"),
                    &[],
                )
                .await
                .map_err(|e| self.err(&e))?;
            Ok(rows.iter().map(entry_of).collect())
        })
    }

    fn requeue(&self, failed_too: bool) -> StoreFuture<'_, usize> {
        Box::pin(async move {
            let client = self.relaxed().await?;
            let changed = client
                .execute(
                    "UPDATE courriel_spool SET state = 'pending', next_attempt = now()
                     WHERE ((state = 'failed' AND $1) OR (state = 'pending' AND next_attempt > now()))
                       AND (lease_until IS NULL OR lease_until < now())",
                    &[&failed_too],
                )
                .await
                .map_err(|e| self.err(&e))?;
            Ok(usize::try_from(changed).unwrap_or(usize::MAX))
        })
    }

    fn lease(&self) -> Option<Duration> {
        Some(self.inner.lease)
    }

    fn folder_store(&self) -> Option<Arc<dyn FolderStore>> {
        Some(Arc::new(self.clone()))
    }
}

impl FolderStore for PgStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<FolderList>> {
        Box::pin(async move {
            let client = self.relaxed().await?;
            let row = client
                .query_opt(
                    "SELECT list FROM courriel_folder_cache WHERE fingerprint = $1",
                    &[&key],
                )
                .await
                .map_err(|e| self.err(&e))?;
            // A list this build cannot read is listed again.
            Ok(row.and_then(|r| serde_json::from_str(r.get::<_, &str>(0)).ok()))
        })
    }

    fn put<'a>(&'a self, key: &'a str, list: &'a FolderList) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let json = serde_json::to_string(list).map_err(io)?;
            let client = self.relaxed().await?;
            client
                .execute(
                    "INSERT INTO courriel_folder_cache (fingerprint, list) VALUES ($1, $2)
                     ON CONFLICT (fingerprint) DO UPDATE SET list = $2, listed_at = now()",
                    &[&key, &json],
                )
                .await
                .map_err(|e| self.err(&e))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_password() {
        let (url, root) = split_url(
            "postgres://app:s3cret@db.example:6432/mail?sslrootcert=/etc/ca.pem&sslmode=require",
        );
        assert_eq!(
            url,
            "postgres://app:s3cret@db.example:6432/mail?sslmode=require"
        );
        assert_eq!(root.as_deref(), Some("/etc/ca.pem"));
        let config = Config::from_str(&url).unwrap();
        let shown = location(&config);
        assert_eq!(shown, "postgres://app@db.example:6432/mail");
    }

    #[test]
    fn plaintext_is_refused_away_from_loopback() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = rt
            .block_on(PgStore::connect(
                "postgres://app:s3cret@db.example/mail?sslmode=disable",
                PgOptions::default(),
            ))
            .unwrap_err();
        assert!(
            err.to_string().contains("sslmode=disable is refused"),
            "{err}"
        );
        assert!(!err.to_string().contains("s3cret"));
        assert!(on_loopback(&Host::Tcp("127.0.0.1".into())));
        assert!(on_loopback(&Host::Tcp("::1".into())));
        assert!(!on_loopback(&Host::Tcp("10.0.0.1".into())));
    }
}
