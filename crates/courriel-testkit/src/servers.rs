//! Where the test mail servers (and the test PostgreSQL) listen, read from
//! the file `cargo xtask mail-servers start` writes.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use courriel_core::account::{AccountSettings, ImapInput, ServerInput};

use crate::message::Stored;
use crate::wire::{Imap, Smtp, TlsMode};

/// A test account on the servers.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its address, which is also its login.
    pub address: String,
    /// Its password (a test password, shown freely).
    pub password: String,
}

/// The running test mail servers.
#[derive(Debug, Clone)]
pub struct Servers {
    /// The address they listen on (`127.0.0.1`).
    pub host: String,
    /// The name their certificate is for (`localhost`).
    pub tls_name: String,
    /// Where the same services present a certificate no test trusts (`127.0.0.2`).
    pub untrusted_host: String,
    /// Where the same services, with the trusted certificate, see the client
    /// as remote (`127.0.0.3`): Dovecot counts a client on its own address as
    /// secured and lets it log in without TLS; here it does not. The
    /// certificate is not for this address: name the server `tls_name`.
    pub remote_host: String,
    /// The test CA's certificate (PEM).
    pub ca: PathBuf,
    /// The CA that signed the untrusted certificate (PEM); no test trusts it.
    pub untrusted_ca: PathBuf,
    /// IMAP with STARTTLS required.
    pub imap_starttls_port: u16,
    /// IMAP over implicit TLS.
    pub imap_tls_port: u16,
    /// SMTP submission with STARTTLS required before AUTH.
    pub smtp_starttls_port: u16,
    /// SMTP submission over implicit TLS.
    pub smtp_tls_port: u16,
    /// Plain SMTP without TLS or AUTH (127.0.0.1 only): the server's
    /// ceiling, for benchmarks; no test of ours sends a password there.
    pub smtp_plain_port: u16,
    /// The test DNS server (UDP and TCP on `host`), authoritative for the
    /// discovery tests' `.test` domains (`xtask/mail-servers/dnsmasq.conf`).
    pub dns_port: u16,
    /// Exim (Debian's, `xtask/mail-servers/exim.conf`): SMTP submission
    /// with STARTTLS required before AUTH, the sender checked against the
    /// login at MAIL FROM.
    pub exim_starttls_port: u16,
    /// Exim over implicit TLS, the sender checked at MAIL FROM.
    pub exim_tls_port: u16,
    /// Exim with STARTTLS, the sender checked against the login at RCPT TO.
    pub exim_rcpt_port: u16,
    /// Exim advertising STARTTLS and answering `454 TLS currently unavailable`.
    pub exim_tls_unavailable_port: u16,
    /// Cyrus IMAP (Debian's 3.6, `xtask/mail-servers/cyrus-imapd.conf`) with
    /// STARTTLS required before login (`LOGINDISABLED`). Its accounts are
    /// the `cyrus_*` ones; mail for them, sent through Postfix or Exim,
    /// is delivered into Cyrus.
    pub cyrus_starttls_port: u16,
    /// Cyrus IMAP over implicit TLS.
    pub cyrus_tls_port: u16,
    /// PostgreSQL on `host` (TCP, password authentication): connect with
    /// [`Servers::postgres_url`] or [`Servers::fresh_postgres_database`].
    pub postgres_port: u16,
    /// Its superuser (`courriel`).
    pub postgres_user: String,
    /// That superuser's password (a test password, shown freely).
    pub postgres_password: String,
    /// The database [`Servers::postgres_url`] names (`courriel`), shared
    /// by whoever uses it.
    pub postgres_database: String,
    /// Mailbox layout (a): `/` separator, SPECIAL-USE `\Sent`.
    pub special: Account,
    /// Mailbox layout (b): `.` separator under `INBOX.`, no SPECIAL-USE.
    pub courier: Account,
    /// Mailbox layout (c): localized names (modified UTF-7), no SPECIAL-USE.
    pub localized: Account,
    /// Layout (a), for tests that create or delete folders.
    pub scratch: Account,
    /// Layout (a), for benchmarks.
    pub bench: Account,
    /// Mailbox layout (d): only INBOX, `.` separator under `INBOX.`, as a
    /// new account on most servers. One test at a time may use it (it
    /// creates folders there): it should delete them before it starts.
    pub bare: Account,
    /// On Cyrus (`INBOX.` prefix, `.` separator, as all three Cyrus
    /// accounts): `INBOX.Sent Items` with `\Sent`, `INBOX.Drafts` and
    /// `INBOX.Trash`, their special-use attributes shown only when asked for
    /// (`RETURN (SPECIAL-USE)`).
    pub cyrus_special: Account,
    /// On Cyrus: only INBOX.
    pub cyrus_bare: Account,
    /// On Cyrus: French names (modified UTF-7 on the wire), `Éléments
    /// envoyés` for sent mail, no special-use attributes.
    pub cyrus_localized: Account,
    /// An address `special` may send as (a verified alias).
    pub special_alias: String,
    /// Where the servers keep their configuration and state.
    pub dir: PathBuf,
    /// Twenty more accounts of layout (a), for benchmarks that serve many
    /// users at once (`fleet01@courriel.test`...).
    pub fleet: Vec<Account>,
    /// 500 more accounts of the same layout, `freshNNN@courriel.test`,
    /// for the fresh-connection benchmark (one message each).
    pub fresh: Vec<Account>,
    /// The OAuth 2.0 authorization server (oidc-provider,
    /// `xtask/mail-servers/oauth/server.js`): HTTPS on `host` with the test
    /// certificate, issuer [`Servers::oauth_issuer`]. Dovecot takes its
    /// access tokens (XOAUTH2, OAUTHBEARER) for IMAP with the scope `imap`
    /// and, through Postfix, for SMTP with `smtp`; see `oauth.rs`.
    pub oauth_port: u16,
    /// Its public client (PKCE, redirect URI `http://127.0.0.1/` on any
    /// port): `courriel-test`, access tokens of an hour.
    pub oauth_client: String,
    /// A public client whose access tokens last
    /// [`Servers::oauth_short_token_ttl`] seconds: `courriel-test-short`.
    pub oauth_short_client: String,
    /// The lifetime of `oauth_short_client`'s access tokens (5 s).
    pub oauth_short_token_ttl: u64,
    /// A public client whose access tokens are JWTs of 2,600+ characters,
    /// as long as Microsoft's: `courriel-test-jwt`. Dovecot checks their
    /// signature itself.
    pub oauth_jwt_client: String,
    /// A public client refused for want of an administrator's approval
    /// (the redirect carries `error=consent_required`):
    /// `courriel-test-admin-consent`.
    pub oauth_admin_consent_client: String,
    /// A confidential client (`client_secret_basic` or `client_secret_post`):
    /// `courriel-test-secret`.
    pub oauth_secret_client: String,
    /// Its secret (a test secret, shown freely).
    pub oauth_secret_client_secret: String,
}

/// Turns Dovecot's IMAP back on when dropped (also when a test panics).
#[derive(Debug)]
pub struct ImapBackOn;

impl Drop for ImapBackOn {
    fn drop(&mut self) {
        Servers::get().set_imap_listening(true);
    }
}

/// Starts Dovecot again when dropped ([`Servers::stop_dovecot`]), even when
/// a test fails.
#[derive(Debug)]
pub struct DovecotBack;

impl Drop for DovecotBack {
    fn drop(&mut self) {
        Servers::get().start_dovecot();
    }
}

const HOW_TO_START: &str = "start the test mail servers first: `cargo xtask mail-servers start` \
     (as root, after `cargo xtask mail-servers install`: Debian's dovecot-imapd, \
     dovecot-lmtpd, postfix, dnsmasq-base and postgresql installed, Exim and Cyrus \
     unpacked, the authorization server's npm packages installed), or run every test with `cargo xtask test`, which does both";

/// Databases [`Servers::fresh_postgres_database`] never drops.
const KEPT_DATABASES: &[&str] = &["postgres", "template0", "template1"];

impl Servers {
    /// The servers, checked to answer; panics with how to start them when
    /// they do not, so a test never passes without them.
    #[must_use]
    pub fn get() -> &'static Servers {
        static SERVERS: OnceLock<Result<Servers, String>> = OnceLock::new();
        match SERVERS.get_or_init(Servers::load) {
            Ok(servers) => servers,
            Err(why) => panic!("{why}\n{HOW_TO_START}"),
        }
    }

    /// A raw SMTP connection to the main host, trusting the test CA.
    #[must_use]
    pub fn smtp(&self, port: u16, mode: TlsMode) -> Smtp {
        Smtp::connect(&self.host, port, &self.tls_name, &self.ca, mode)
            .unwrap_or_else(|e| panic!("SMTP connection to {}:{port}: {e}", self.host))
    }

    /// A raw SMTP connection logged in as `account`.
    #[must_use]
    pub fn smtp_as(&self, account: &Account, port: u16, mode: TlsMode) -> Smtp {
        let mut smtp = self.smtp(port, mode);
        let reply = smtp
            .auth_plain(&account.address, &account.password)
            .expect("AUTH PLAIN");
        assert_eq!(reply.code, 235, "login of {}: {reply}", account.address);
        smtp
    }

    /// A raw IMAP connection to the main host, trusting the test CA.
    #[must_use]
    pub fn imap(&self, port: u16, mode: TlsMode) -> Imap {
        Imap::connect(&self.host, port, &self.tls_name, &self.ca, mode)
            .unwrap_or_else(|e| panic!("IMAP connection to {}:{port}: {e}", self.host))
    }

    /// Account settings for `login` on the main host, as an account file
    /// would hold them: sending as itself through SMTP with STARTTLS on
    /// `smtp` (host, port), filing over IMAP with implicit TLS on `imap`
    /// in the Sent folder chosen on the server, trusting the test CA. No
    /// `password_env`: tests give the passwords to the account directly.
    #[must_use]
    pub fn settings_for(
        &self,
        login: &Account,
        smtp: Option<(&str, u16)>,
        imap: Option<(&str, u16)>,
    ) -> AccountSettings {
        let server = |(host, port): (&str, u16), security: &str| ServerInput {
            host: Some(host.to_string()),
            port: Some(i64::from(port)),
            security: Some(security.to_string()),
            username: Some(login.address.clone()),
            password_env: None,
        };
        AccountSettings {
            sender: Some(login.address.clone()),
            smtp: smtp.map(|at| server(at, "starttls")),
            imap: imap.map(|at| {
                let i = server(at, "implicit-tls");
                ImapInput {
                    host: i.host,
                    port: i.port,
                    security: i.security,
                    username: i.username,
                    password_env: None,
                    sent_folder: Some("auto".into()),
                    copy_to_sent: None,
                    create_sent_folder: None,
                }
            }),
            ca_file: Some(self.ca.display().to_string()),
            oauth2: None,
        }
    }

    /// A raw IMAP connection over implicit TLS to `port` of the main host
    /// (Dovecot's, Cyrus's, a proxy's), logged in as `account`.
    #[must_use]
    pub fn imap_on(&self, port: u16, account: &Account) -> Imap {
        let mut imap = self.imap(port, TlsMode::Implicit);
        let response = imap
            .login(&account.address, &account.password)
            .expect("LOGIN");
        assert!(
            response.is_ok(),
            "login of {} on port {port}: {}",
            account.address,
            response.status
        );
        imap
    }

    /// [`Servers::imap_on`] Dovecot.
    #[must_use]
    pub fn imap_as(&self, account: &Account) -> Imap {
        self.imap_on(self.imap_tls_port, account)
    }

    /// [`Servers::imap_on`] Cyrus (one of the `cyrus_*` accounts).
    #[must_use]
    pub fn cyrus_as(&self, account: &Account) -> Imap {
        self.imap_on(self.cyrus_tls_port, account)
    }

    /// The messages with this Message-ID in `account`'s INBOX on the IMAP
    /// server at `port` (implicit TLS), once there: delivery goes through
    /// the MTA's queue and LMTP, so this waits, up to 30 s, and returns as
    /// soon as one is there. Empty if none came.
    #[must_use]
    pub fn delivered(&self, port: u16, account: &Account, message_id: &str) -> Vec<Stored> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self.imap_on(port, account).messages("INBOX", message_id);
            if !found.is_empty() || Instant::now() >= deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Turns Dovecot's IMAP listeners off (`false`) or back on (`true`),
    /// and waits until the IMAP ports refuse or accept connections. Dovecot
    /// is reloaded, not stopped, and open IMAP sessions are kicked: its
    /// auth and LMTP services keep serving Postfix, as when a user's IMAP
    /// server is down and their SMTP server is not. Only for test binaries of their own (no other test runs
    /// meanwhile); pair it with [`ImapBackOn`] so a failing test does not
    /// leave IMAP off for the next binary.
    pub fn set_imap_listening(&self, on: bool) {
        let off = self.dir.join("dovecot/imap-off.conf");
        if on {
            let _ = std::fs::remove_file(&off);
        } else {
            std::fs::write(
                &off,
                "service imap-login {\n  inet_listener imap {\n    port = 0\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}\n",
            )
            .expect("write imap-off.conf");
        }
        let pid = std::fs::read_to_string(self.dir.join("dovecot/run/master.pid"))
            .expect("Dovecot's master.pid");
        let status = std::process::Command::new("kill")
            .args(["-HUP", pid.trim()])
            .status()
            .expect("kill -HUP");
        assert!(status.success(), "reloading Dovecot failed");
        self.wait_for_imap(on);
        self.after_dovecot_restart();
        if !on {
            // Open sessions outlive a reload: end them, as a stop would.
            let _ = std::process::Command::new("doveadm")
                .arg("-c")
                .arg(self.dir.join("dovecot/dovecot.conf"))
                .args(["kick", "127.0.0.0/8"])
                .output();
        }
    }

    /// Stops Dovecot at once, as a crash or a power cut would: its master
    /// and every process of its group killed with SIGKILL, sessions cut
    /// mid-command. Returns a guard that starts it again when dropped.
    /// Only for test binaries of their own, like [`Servers::set_imap_listening`].
    #[must_use]
    pub fn stop_dovecot(&self) -> DovecotBack {
        let pid_file = self.dir.join("dovecot/run/master.pid");
        let pid = std::fs::read_to_string(&pid_file).expect("Dovecot's master.pid");
        let pid = pid.trim();
        // The master leads its own process group (it daemonizes, or xtask
        // started it in a group of its own): the group is every process.
        let group = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                stat.rsplit(')')
                    .next()
                    .and_then(|rest| rest.split_whitespace().nth(2).map(str::to_string))
            })
            .unwrap_or_else(|| pid.to_string());
        // Its processes first, so that the master, still alive, reaps them:
        // a killed process nobody reaps may keep its connections open
        // (seen under gVisor, whose init does not wait for orphans), and
        // clients would wait for their timeouts instead of seeing a reset.
        let children: Vec<String> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
                let pgrp = stat
                    .rsplit(')')
                    .next()?
                    .split_whitespace()
                    .nth(2)?
                    .to_string();
                (pgrp == group && name != pid).then_some(name)
            })
            .collect();
        if !children.is_empty() {
            let _ = std::process::Command::new("kill")
                .arg("-KILL")
                .args(&children)
                .status();
            // Until the master has reaped them (bounded).
            let deadline = std::time::Instant::now() + Duration::from_secs(2);
            while std::time::Instant::now() < deadline
                && children
                    .iter()
                    .any(|c| std::path::Path::new("/proc").join(c).exists())
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let status = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{group}")])
            .status()
            .expect("kill -KILL");
        assert!(status.success(), "stopping Dovecot failed");
        // From here on, a failing wait still starts Dovecot again.
        let back = DovecotBack;
        self.wait_for_imap(false);
        // Gone, or a zombie nobody reaps yet (its parent may be an init
        // that does not wait for orphans): either way, not running.
        let running = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rsplit(')')
                    .next()
                    .and_then(|rest| rest.split_whitespace().next())
                    .is_some_and(|state| state != "Z" && state != "X")
            })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while running() {
            assert!(
                std::time::Instant::now() < deadline,
                "Dovecot did not stop within 15 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // A zombie keeps its pid: Dovecot would think itself still running.
        let _ = std::fs::remove_file(&pid_file);
        back
    }

    /// Starts Dovecot again after [`Servers::stop_dovecot`].
    fn start_dovecot(&self) {
        let status = std::process::Command::new("/usr/sbin/dovecot")
            .arg("-c")
            .arg(self.dir.join("dovecot/dovecot.conf"))
            .status()
            .expect("start Dovecot");
        assert!(status.success(), "starting Dovecot failed");
        self.wait_for_imap(true);
        self.after_dovecot_restart();
    }

    /// Waits until both IMAP ports answer (`on`) or neither does.
    fn wait_for_imap(&self, on: bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let ports = [self.imap_starttls_port, self.imap_tls_port];
        loop {
            let answering = ports
                .iter()
                .filter(|port| {
                    let addr: SocketAddr =
                        format!("{}:{port}", self.host).parse().expect("address");
                    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
                })
                .count();
            if answering == if on { ports.len() } else { 0 } {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "Dovecot's IMAP did not turn {} within 15 s",
                if on { "on" } else { "off" }
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Postfix's running smtpd processes lost Dovecot's auth service and
    /// would answer the next AUTH with 454: a reload replaces them; mail
    /// deferred while Dovecot's LMTP was away goes out now.
    fn after_dovecot_restart(&self) {
        let _ = std::process::Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(self.dir.join("postfix"))
            .arg("reload")
            .output();
        let _ = std::process::Command::new("/usr/sbin/postqueue")
            .arg("-c")
            .arg(self.dir.join("postfix"))
            .arg("-f")
            .output();
    }

    /// The test PostgreSQL's shared database, as a URL:
    /// `postgres://courriel:courriel-test-only@127.0.0.1:10432/courriel`.
    /// A test that writes should rather take a database of its own
    /// ([`Servers::fresh_postgres_database`]).
    #[must_use]
    pub fn postgres_url(&self) -> String {
        self.postgres_url_of(&self.postgres_database)
    }

    fn postgres_url_of(&self, database: &str) -> String {
        format!(
            "postgres://{}:{}@{}:{}/{database}",
            self.postgres_user, self.postgres_password, self.host, self.postgres_port
        )
    }

    /// An empty database called `name` on the test PostgreSQL, and its URL:
    /// whatever database had that name is dropped first, its sessions ended
    /// (`DROP DATABASE ... WITH (FORCE)`). Give each test a name of its own
    /// (lowercase ASCII letters, digits and `_`, at most 63 bytes, not
    /// starting with a digit), so tests running at once do not share one.
    #[must_use]
    pub fn fresh_postgres_database(&self, name: &str) -> String {
        let valid = (1..=63).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        assert!(
            valid,
            "database name `{name}`: use lowercase ASCII letters, digits and `_` (at most 63 bytes, not starting with a digit)"
        );
        assert!(
            !KEPT_DATABASES.contains(&name) && name != self.postgres_database,
            "fresh_postgres_database(\"{name}\") would drop a database others use: pick a name of this test's own"
        );
        // A script runs each statement on its own: DROP DATABASE refuses to
        // run in a transaction, which `psql -c` would put both in.
        let _ = self.psql(
            &self.postgres_url_of("postgres"),
            &format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE);\nCREATE DATABASE \"{name}\";"
            ),
        );
        self.postgres_url_of(name)
    }

    /// Runs the SQL script `sql` with `psql` on the database at `url` (a
    /// URL of [`Servers::postgres_url`]'s form), each statement on its own,
    /// stopping at the first error; returns what it printed: one line per
    /// row, columns separated by `|`, no headers. The password goes to psql
    /// in its environment (`PGPASSWORD`), never on its command line. Panics
    /// when psql cannot run or fails.
    #[must_use]
    pub fn psql(&self, url: &str, sql: &str) -> String {
        let (scheme, rest) = url
            .split_once("://")
            .unwrap_or_else(|| panic!("`{url}` is not a postgres:// URL"));
        let (user, password, at) = match rest.split_once('@') {
            Some((userinfo, at)) => match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password), at),
                None => (userinfo, None, at),
            },
            None => ("", None, rest),
        };
        let url_without_password = if user.is_empty() {
            format!("{scheme}://{at}")
        } else {
            format!("{scheme}://{user}@{at}")
        };
        let mut command = Command::new("psql");
        if let Some(password) = password {
            command.env("PGPASSWORD", password);
        }
        let mut child = command
            .env("PGCONNECT_TIMEOUT", "10")
            .args([
                "--no-psqlrc",
                "--quiet",
                "--no-align",
                "--tuples-only",
                "--set=ON_ERROR_STOP=1",
                "--file=-",
                "--dbname",
            ])
            .arg(&url_without_password)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run psql (Debian's postgresql-client, which postgresql installs): {e}"
                )
            });
        // A psql that could not connect has left: its status and stderr say why.
        let _ = child
            .stdin
            .take()
            .expect("psql's stdin")
            .write_all(sql.as_bytes());
        let output = child.wait_with_output().expect("psql's output");
        assert!(
            output.status.success(),
            "psql on {url_without_password} ({}): {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            sql
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The file the servers' settings are read from.
    #[must_use]
    pub fn env_file() -> PathBuf {
        if let Some(file) = std::env::var_os("COURRIEL_TEST_SERVERS") {
            return PathBuf::from(file);
        }
        let dir = std::env::var_os("COURRIEL_MAIL_SERVERS_DIR").map_or_else(
            || PathBuf::from("/tmp/courriel-mail-servers"),
            PathBuf::from,
        );
        dir.join("servers.env")
    }

    fn load() -> Result<Servers, String> {
        let file = Servers::env_file();
        let text = std::fs::read_to_string(&file).map_err(|e| {
            format!(
                "the test mail servers are not running: cannot read {}: {e}",
                file.display()
            )
        })?;
        let vars: HashMap<&str, &str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .filter_map(|(k, v)| Some((k.strip_prefix("COURRIEL_TEST_")?, v)))
            .collect();
        let get = |key: &str| -> Result<String, String> {
            vars.get(key).map(|v| (*v).to_string()).ok_or_else(|| {
                format!(
                    "{} has no COURRIEL_TEST_{key}: restart the servers",
                    file.display()
                )
            })
        };
        let port = |key: &str| -> Result<u16, String> {
            get(key)?
                .parse()
                .map_err(|_| format!("COURRIEL_TEST_{key} in {} is not a port", file.display()))
        };
        let account = |key: &str| -> Result<Account, String> {
            Ok(Account {
                address: get(&format!("{key}_USER"))?,
                password: get(&format!("{key}_PASSWORD"))?,
            })
        };
        let servers = Servers {
            host: get("HOST")?,
            tls_name: get("TLS_NAME")?,
            untrusted_host: get("UNTRUSTED_HOST")?,
            remote_host: get("REMOTE_HOST")?,
            ca: get("CA")?.into(),
            untrusted_ca: get("UNTRUSTED_CA")?.into(),
            imap_starttls_port: port("IMAP_STARTTLS_PORT")?,
            imap_tls_port: port("IMAP_TLS_PORT")?,
            smtp_starttls_port: port("SMTP_STARTTLS_PORT")?,
            smtp_tls_port: port("SMTP_TLS_PORT")?,
            smtp_plain_port: port("SMTP_PLAIN_PORT")?,
            dns_port: port("DNS_PORT")?,
            postgres_port: port("POSTGRES_PORT")?,
            exim_starttls_port: port("EXIM_STARTTLS_PORT")?,
            exim_tls_port: port("EXIM_TLS_PORT")?,
            exim_rcpt_port: port("EXIM_RCPT_PORT")?,
            exim_tls_unavailable_port: port("EXIM_TLS_UNAVAILABLE_PORT")?,
            cyrus_starttls_port: port("CYRUS_STARTTLS_PORT")?,
            cyrus_tls_port: port("CYRUS_TLS_PORT")?,
            postgres_user: get("POSTGRES_USER")?,
            postgres_password: get("POSTGRES_PASSWORD")?,
            postgres_database: get("POSTGRES_DATABASE")?,
            special: account("SPECIAL")?,
            courier: account("COURIER")?,
            localized: account("LOCALIZED")?,
            scratch: account("SCRATCH")?,
            bench: account("BENCH")?,
            bare: account("BARE")?,
            cyrus_special: account("CYRUS_SPECIAL")?,
            cyrus_bare: account("CYRUS_BARE")?,
            cyrus_localized: account("CYRUS_LOCALIZED")?,
            special_alias: get("ALICE_ALIAS")?,
            dir: get("DIR")?.into(),
            fleet: fleet(&get("FLEET")?),
            fresh: fleet(&get("FRESH")?),
            oauth_port: port("OAUTH_PORT")?,
            oauth_client: get("OAUTH_CLIENT")?,
            oauth_short_client: get("OAUTH_SHORT_CLIENT")?,
            oauth_short_token_ttl: port("OAUTH_SHORT_TOKEN_TTL")?.into(),
            oauth_jwt_client: get("OAUTH_JWT_CLIENT")?,
            oauth_admin_consent_client: get("OAUTH_ADMIN_CONSENT_CLIENT")?,
            oauth_secret_client: get("OAUTH_SECRET_CLIENT")?,
            oauth_secret_client_secret: get("OAUTH_SECRET_CLIENT_SECRET")?,
        };
        for port in [
            servers.imap_starttls_port,
            servers.imap_tls_port,
            servers.smtp_starttls_port,
            servers.smtp_tls_port,
            servers.postgres_port,
            servers.exim_starttls_port,
            servers.cyrus_tls_port,
            servers.oauth_port,
        ] {
            let addr: SocketAddr = format!("{}:{port}", servers.host).parse().map_err(|_| {
                format!("COURRIEL_TEST_HOST `{}` is not an IP address", servers.host)
            })?;
            TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| {
                format!("the test mail servers are not running: nothing answers on {addr} ({e})")
            })?;
        }
        Ok(servers)
    }
}

/// The fleet's accounts from `address:password,address:password...`.
fn fleet(list: &str) -> Vec<Account> {
    list.split(',')
        .filter_map(|pair| pair.split_once(':'))
        .map(|(address, password)| Account {
            address: address.to_string(),
            password: password.to_string(),
        })
        .collect()
}
