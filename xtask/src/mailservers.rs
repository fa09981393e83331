//! `cargo xtask mail-servers start|stop|env|status|install`: the real
//! Postfix, Exim, Dovecot and Cyrus IMAP the test suite talks to, on
//! loopback, with a test certificate authority generated at start-up,
//! beside dnsmasq (the test DNS zone) and PostgreSQL (for the spool).
//!
//! Exim and Cyrus are Debian's, never installed (exim4 would replace
//! Postfix as the system MTA, cyrus-imapd conflicts with dovecot-imapd):
//! `install` fetches them with `apt-get download` and unpacks them with
//! `dpkg -x` into `exim-root/` and `cyrus-root/` in the state directory,
//! which a start keeps. Exim runs as root with `-C` our configuration;
//! Cyrus's master with `-C` and `-M` ours and its libraries found through
//! `LD_LIBRARY_PATH`, as root until it becomes the `cyrus` user.
//!
//! The OAuth 2.0 authorization server is oidc-provider on Node.js (our
//! `oauth/server.js`, HTTPS on 127.0.0.1:10444): `install` installs
//! Debian's nodejs and npm when missing and runs `npm ci` from the
//! committed lock file into `oauth-root/` in the state directory, which a
//! start keeps too. Dovecot checks its tokens (passdb oauth2) for IMAP and
//! for Postfix's SASL: XOAUTH2 and OAUTHBEARER.
//!
//! Everything lives in one state directory (`/tmp/courriel-mail-servers`,
//! or `$COURRIEL_MAIL_SERVERS_DIR`), rebuilt from scratch at every start
//! (`exim-root/`, `cyrus-root/` and `oauth-root/` aside). Postfix, Exim,
//! Cyrus, Dovecot, the authorization server and dnsmasq run in the
//! foreground of their own process group, whose id
//! is recorded there:
//! `stop`, and a `start` after a crash, kill the whole group, so no
//! orphaned child keeps a port. PostgreSQL gets
//! a fresh cluster (initdb) in `postgres/data` and is started and stopped
//! with its own `pg_ctl`, as the `postgres` system user when we are root
//! (it refuses to run as root).

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Ports, all on 127.0.0.1; the same on 127.0.0.2 (untrusted certificate)
/// and 127.0.0.3 (where Dovecot sees clients as remote).
const IMAP_STARTTLS_PORT: u16 = 10143;
const IMAP_TLS_PORT: u16 = 10993;
const SMTP_STARTTLS_PORT: u16 = 10587;
const SMTP_TLS_PORT: u16 = 10465;
/// Plain SMTP without TLS or AUTH, 127.0.0.1 only, delivering to the test
/// domains alone: the server's own ceiling, for `smtp-source` in benchmarks.
const SMTP_PLAIN_PORT: u16 = 10025;
const LMTP_PORT: u16 = 10024;
/// DNS (dnsmasq, UDP and TCP) serving the test domains of discovery:
/// authoritative for `.test`, nothing forwarded anywhere.
const DNS_PORT: u16 = 10053;
const AUTH_PORT: u16 = 10026;
/// PostgreSQL, 127.0.0.1 only, password authentication (scram-sha-256).
const POSTGRES_PORT: u16 = 10432;
/// Exim, 127.0.0.1 only: STARTTLS submission and implicit TLS (the sender
/// checked against the login at MAIL FROM), STARTTLS submission with the
/// sender checked at RCPT TO, and a port offering STARTTLS that answers 454.
const EXIM_STARTTLS_PORT: u16 = 10588;
const EXIM_TLS_PORT: u16 = 10466;
const EXIM_RCPT_PORT: u16 = 10589;
const EXIM_TLS_UNAVAILABLE_PORT: u16 = 10590;
/// The Debian packages unpacked (`dpkg -x`, never installed: exim4 would
/// replace Postfix as the system's MTA) into `exim-root` in the state
/// directory, kept across starts.
const EXIM_PACKAGES: &[&str] = &["exim4-daemon-light", "exim4-base", "exim4-config"];
/// The user Debian's Exim is built to run as (compiled in: it must exist).
const EXIM_USER: &str = "Debian-exim";
/// Cyrus IMAP (Debian's 3.6), 127.0.0.1 only: IMAP with STARTTLS (no login
/// before it: LOGINDISABLED) and over implicit TLS, and LMTP, where Postfix
/// and Exim deliver the Cyrus accounts' mail.
const CYRUS_STARTTLS_PORT: u16 = 10144;
const CYRUS_TLS_PORT: u16 = 10994;
const CYRUS_LMTP_PORT: u16 = 10027;
/// The Debian packages unpacked into `cyrus-root` in the state directory
/// (never installed: cyrus-imapd conflicts with dovecot-imapd), kept
/// across starts; what they need besides is in [`CYRUS_DEPENDENCIES`].
const CYRUS_PACKAGES: &[&str] = &["cyrus-imapd", "cyrus-common"];
/// The user Debian's Cyrus is built to run as (compiled in: master becomes
/// it), in the group `mail`, as Debian's package creates it.
const CYRUS_USER: &str = "cyrus";
/// Cyrus's administrator (`admins:` in its imapd.conf), who creates the
/// accounts' mailboxes at start, and its password (a test password).
const CYRUS_ADMIN: &str = "cyrus";
const CYRUS_ADMIN_PASSWORD: &str = "cyrus-test-password";
/// Its superuser (initdb's bootstrap user), that user's password (a test
/// password, shown freely) and the database tests use by default.
const POSTGRES_USER: &str = "courriel";
const POSTGRES_PASSWORD: &str = "courriel-test-only";
const POSTGRES_DATABASE: &str = "courriel";
/// The OAuth 2.0 authorization server (oidc-provider on Node.js, our
/// `oauth/server.js`), HTTPS on 127.0.0.1 with the test certificate; its
/// issuer is `https://127.0.0.1:PORT`. Dovecot checks its tokens (passdb
/// oauth2), for IMAP and for Postfix's SASL.
const OAUTH_PORT: u16 = 10444;
/// Its clients (defined in `oauth/server.js`): public ones (PKCE, any
/// loopback redirect port), the confidential one and its secret, and
/// Dovecot's, which only introspects tokens (secrets are test secrets,
/// shown freely).
const OAUTH_CLIENTS: &[(&str, &str)] = &[
    ("CLIENT", "courriel-test"),
    ("SHORT_CLIENT", "courriel-test-short"),
    ("JWT_CLIENT", "courriel-test-jwt"),
    ("ADMIN_CONSENT_CLIENT", "courriel-test-admin-consent"),
    ("SECRET_CLIENT", "courriel-test-secret"),
];
const OAUTH_SECRET_CLIENT_SECRET: &str = "courriel-test-client-secret";
const OAUTH_DOVECOT_CLIENT_SECRET: &str = "dovecot-introspection-test-secret";
/// Access tokens' lifetime in seconds: `courriel-test-short`'s, everyone else's
/// (`$COURRIEL_OAUTH_ACCESS_TOKEN_TTL` at start, else an hour).
const OAUTH_SHORT_TOKEN_TTL: u32 = 5;
const OAUTH_DEFAULT_TOKEN_TTL: u32 = 3600;
/// The `kid` of the key signing its JWTs (RS256), under which Dovecot finds it.
const OAUTH_SIGNING_KEY_ID: &str = "courriel-test-1";

/// The test accounts, one per mailbox layout: (key, address, password, namespace).
const ACCOUNTS: &[(&str, &str, &str, &str)] = &[
    (
        "SPECIAL",
        "alice@courriel.test",
        "alice-test-password",
        "special",
    ),
    (
        "COURIER",
        "bob@courriel.test",
        "bob-test-password",
        "courier",
    ),
    (
        "LOCALIZED",
        "chloe@example.test",
        "chloe-test-password",
        "localized",
    ),
    // For tests that create folders, so the layouts above stay as listed.
    (
        "SCRATCH",
        "dave@courriel.test",
        "dave-test-password",
        "special",
    ),
    // Only INBOX (layout (d)), as a new account on most servers: the
    // Sent folder is created on first filing. Tests that use it delete
    // what they created first.
    ("BARE", "frank@courriel.test", "frank-test-password", "bare"),
    // For benchmarks (10,000 folders, thousands of copies).
    (
        "BENCH",
        "erin@courriel.test",
        "erin-test-password",
        "special",
    ),
];

/// The accounts whose mailboxes are in Cyrus, not Dovecot: (key, address,
/// password, folders besides INBOX as named on the wire, each with the
/// special-use attribute it is created with, or none). Debian's namespace
/// (`INBOX.`, `.`); logins are full addresses. Postfix and Exim deliver
/// their mail into Cyrus; they log in to Postfix through a passdb of
/// Dovecot's for SMTP only (`dovecot/cyrus-passwd`: Dovecot's IMAP does
/// not know them) and to Exim through its table.
type CyrusAccount = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, Option<&'static str>)],
);
const CYRUS_ACCOUNTS: &[CyrusAccount] = &[
    // `\Sent` on `Sent Items`, told only when asked for (RETURN (SPECIAL-USE)).
    (
        "CYRUS_SPECIAL",
        "gaston@courriel.test",
        "gaston-test-password",
        &[
            ("INBOX.Sent Items", Some("\\Sent")),
            ("INBOX.Drafts", Some("\\Drafts")),
            ("INBOX.Trash", Some("\\Trash")),
        ],
    ),
    // Only INBOX.
    (
        "CYRUS_BARE",
        "helene@courriel.test",
        "helene-test-password",
        &[],
    ),
    // French names, modified UTF-7 on the wire, no special-use.
    (
        "CYRUS_LOCALIZED",
        "ines@courriel.test",
        "ines-test-password",
        &[
            ("INBOX.&AMk-l&AOk-ments envoy&AOk-s", None),
            ("INBOX.Brouillons", None),
            ("INBOX.Corbeille", None),
        ],
    ),
];

/// Accounts for benchmarks that serve many users at once:
/// `fleetNN@courriel.test`, password `fleetNN-test-password`, layout (a).
const FLEET: usize = 20;

fn fleet() -> impl Iterator<Item = (String, String)> {
    (1..=FLEET).map(|i| {
        (
            format!("fleet{i:02}@courriel.test"),
            format!("fleet{i:02}-test-password"),
        )
    })
}

/// Accounts for the fresh-connection benchmark (one message each, a new
/// connection and session for every one): `freshNNN@courriel.test`,
/// password `freshNNN-test-password`, layout (a).
const FRESH: usize = 500;

fn fresh() -> impl Iterator<Item = (String, String)> {
    (1..=FRESH).map(|i| {
        (
            format!("fresh{i:03}@courriel.test"),
            format!("fresh{i:03}-test-password"),
        )
    })
}

/// Addresses a login may send as, besides its own: (address, login).
const ALIASES: &[(&str, &str)] = &[("billing@courriel.test", "alice@courriel.test")];

const DOVECOT_CONF: &str = include_str!("../mail-servers/dovecot.conf");
/// Dovecot's passdb oauth2 settings: introspection (opaque tokens) and
/// local validation of the signature (JWT tokens).
const DOVECOT_OAUTH2: &str = include_str!("../mail-servers/dovecot-oauth2.conf.ext");
const DOVECOT_OAUTH2_JWT: &str = include_str!("../mail-servers/dovecot-oauth2-jwt.conf.ext");
/// The authorization server: our script and the npm packages it runs on,
/// installed (`npm ci`) into `oauth-root` in the state directory.
const OAUTH_SERVER: &str = include_str!("../mail-servers/oauth/server.js");
const OAUTH_PACKAGE: &str = include_str!("../mail-servers/oauth/package.json");
const OAUTH_LOCK: &str = include_str!("../mail-servers/oauth/package-lock.json");
const EXIM_CONF: &str = include_str!("../mail-servers/exim.conf");
const CYRUS_IMAPD_CONF: &str = include_str!("../mail-servers/cyrus-imapd.conf");
const CYRUS_CONF: &str = include_str!("../mail-servers/cyrus.conf");
const POSTFIX_MAIN: &str = include_str!("../mail-servers/main.cf");
const POSTFIX_MASTER: &str = include_str!("../mail-servers/master.cf");
/// Appended to the `postgresql.conf` initdb writes.
const POSTGRES_CONF: &str = include_str!("../mail-servers/postgresql.conf");

const PACKAGES: &[&str] = &[
    "dovecot-imapd",
    "dovecot-lmtpd",
    "postfix",
    "openssl",
    "dnsmasq-base",
    "postgresql",
    // A library Debian's exim4 binary needs that nothing above pulls in.
    "libidn12",
    // The settings page's browser test: headless Chromium and its driver.
    "chromium",
    "chromium-driver",
];

/// What Debian's Cyrus (unpacked, not installed) needs that [`PACKAGES`]
/// do not pull in: its programs' libraries (libjansson4 is often there
/// already, by chance), SASL's PLAIN and LOGIN mechanisms, and saslpasswd2
/// to write the password file it checks logins against. Installed with them.
const CYRUS_DEPENDENCIES: &[&str] = &[
    "libical3",
    "libpcre3",
    "libxapian30",
    "libjansson4",
    "libsasl2-modules",
    "sasl2-bin",
];

/// Every package `install` installs with apt-get, space-separated.
fn package_list() -> String {
    let all: Vec<&str> = PACKAGES.iter().chain(CYRUS_DEPENDENCIES).copied().collect();
    all.join(" ")
}

/// The test DNS zone (dnsmasq's configuration): the custom domains the
/// discovery tests look up. Every name is under `.test` (RFC 6761).
const DNSMASQ_CONF: &str = include_str!("../mail-servers/dnsmasq.conf");

pub(crate) const HELP: &str = "\
cargo xtask mail-servers start    (re)start Postfix, Exim, Dovecot, Cyrus, dnsmasq,
                                  PostgreSQL and the OAuth 2.0 authorization server
                                  on 127.0.0.1, fresh state
cargo xtask mail-servers install  install them (as root: apt-get, Exim and Cyrus
                                  unpacked into the state directory; npm ci of
                                  the authorization server's packages there)
cargo xtask mail-servers stop     stop them
cargo xtask mail-servers env      print the file tests read (ports, accounts, CA,
                                  PostgreSQL URL, OAuth issuer and clients)
cargo xtask mail-servers status   say whether they answer
";

pub(crate) fn run(args: &[&str]) -> Result<(), String> {
    let dir = state_dir();
    match args {
        ["start"] => start(&dir),
        ["install"] => install(),
        ["stop"] => {
            stop(&dir);
            println!("mail servers stopped");
            Ok(())
        }
        ["env"] => {
            let env =
                std::fs::read_to_string(dir.join("servers.env")).map_err(|_| not_running(&dir))?;
            print!("{env}");
            Ok(())
        }
        ["status"] => {
            if all_ports_answer() {
                println!(
                    "mail servers (Postfix, Exim, Dovecot, Cyrus, dnsmasq), PostgreSQL (port {POSTGRES_PORT}) and the authorization server ({}) answer on 127.0.0.1 (state in {})",
                    oauth_issuer(),
                    dir.display()
                );
                Ok(())
            } else {
                Err(not_running(&dir))
            }
        }
        _ => Err(format!("unknown arguments {args:?}\n\n{HELP}")),
    }
}

fn not_running(dir: &Path) -> String {
    format!(
        "the test mail servers are not running (state dir {}): start them with `cargo xtask mail-servers start`",
        dir.display()
    )
}

/// The state directory.
pub(crate) fn state_dir() -> PathBuf {
    std::env::var_os("COURRIEL_MAIL_SERVERS_DIR").map_or_else(
        || PathBuf::from("/tmp/courriel-mail-servers"),
        PathBuf::from,
    )
}

/// Whether the Debian packages the servers need are installed.
pub(crate) fn installed() -> bool {
    Path::new("/usr/sbin/dovecot").exists()
        && Path::new("/usr/lib/dovecot/lmtp").exists()
        && Path::new("/usr/sbin/postfix").exists()
        && Path::new("/usr/bin/openssl").exists()
        && Path::new("/usr/sbin/dnsmasq").exists()
        && postgres_bin().is_some()
        && dpkg_installed(CYRUS_DEPENDENCIES)
}

/// Whether dpkg has every one of `packages` installed.
fn dpkg_installed(packages: &[&str]) -> bool {
    Command::new("dpkg-query")
        .args(["--show", "--showformat=${db:Status-Abbrev}\\n"])
        .args(packages)
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|output| {
            output.status.success()
                && String::from_utf8_lossy(&output.stdout)
                    .lines()
                    .all(|line| line.starts_with("ii"))
        })
}

/// The unpacked Exim binary.
fn exim_bin(dir: &Path) -> PathBuf {
    dir.join("exim-root/usr/sbin/exim4")
}

/// Whether Exim is unpacked and its user exists.
fn exim_installed(dir: &Path) -> bool {
    exim_bin(dir).exists() && user_exists(EXIM_USER)
}

fn user_exists(name: &str) -> bool {
    std::fs::read_to_string("/etc/passwd")
        .is_ok_and(|p| p.lines().any(|l| l.split(':').next() == Some(name)))
}

/// Downloads Debian's Exim packages and unpacks them into `exim-root` in
/// the state directory (as root); creates the system user Debian's Exim is
/// built for, as its package would.
fn install_exim(dir: &Path) -> Result<(), String> {
    if exim_installed(dir) {
        return Ok(());
    }
    unpack(dir, "exim-root", EXIM_PACKAGES)?;
    if !user_exists(EXIM_USER) {
        sh(Command::new("useradd").args([
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            EXIM_USER,
        ]))?;
    }
    // It runs (its libraries are there): its version, with an empty configuration.
    sh(Command::new(exim_bin(dir)).args(["-C", "/dev/null", "-bV"]))
}

/// Cyrus's programs, unpacked.
fn cyrus_bin(dir: &Path) -> PathBuf {
    dir.join("cyrus-root/usr/lib/cyrus/bin")
}

/// Where its own libraries (`libcyrus*.so`) are, unpacked: for `LD_LIBRARY_PATH`.
fn cyrus_libraries(dir: &Path) -> PathBuf {
    let lib = dir.join("cyrus-root/usr/lib");
    std::fs::read_dir(&lib)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.join("libcyrus.so.0").exists())
        .unwrap_or(lib)
}

/// Whether Cyrus is unpacked and its user exists.
fn cyrus_installed(dir: &Path) -> bool {
    cyrus_bin(dir).join("master").exists() && user_exists(CYRUS_USER)
}

/// Downloads Debian's Cyrus packages and unpacks them into `cyrus-root` in
/// the state directory (as root); creates the system user `cyrus` (group
/// `mail`), as its package would; checks that the programs started find
/// every library they need.
fn install_cyrus(dir: &Path) -> Result<(), String> {
    if cyrus_installed(dir) {
        return Ok(());
    }
    unpack(dir, "cyrus-root", CYRUS_PACKAGES)?;
    if !user_exists(CYRUS_USER) {
        sh(Command::new("useradd").args([
            "--system",
            "--gid",
            "mail",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            CYRUS_USER,
        ]))?;
    }
    let bin = cyrus_bin(dir);
    for program in ["master", "imapd", "lmtpd", "ctl_cyrusdb"] {
        let output = Command::new("ldd")
            .arg(bin.join(program))
            .env("LD_LIBRARY_PATH", cyrus_libraries(dir))
            .output()
            .map_err(|e| format!("cannot run ldd: {e}"))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let missing: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("not found"))
            .map(str::trim)
            .collect();
        if !output.status.success() || !missing.is_empty() {
            return Err(format!(
                "Cyrus's {program} lacks libraries ({}): are {} installed?",
                missing.join(", "),
                package_list()
            ));
        }
    }
    Ok(())
}

/// Downloads Debian `packages` with `apt-get download` (`apt-get update`
/// first when that fails) and unpacks them with `dpkg-deb -x` into `root`
/// in the state directory, replacing what was there. Only root may.
fn unpack(dir: &Path, name: &str, packages: &[&str]) -> Result<(), String> {
    let root = dir.join(name);
    if !is_root() {
        return Err(format!(
            "{} are not unpacked in {} and only root can do it: run `cargo xtask mail-servers install` as root",
            packages.join(" "),
            root.display()
        ));
    }
    println!("unpacking {} into {}", packages.join(" "), root.display());
    let download = dir.join(format!("{name}.download"));
    let _ = std::fs::remove_dir_all(&download);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&download)
        .map_err(|e| format!("cannot create {}: {e}", download.display()))?;
    let fetch = || {
        sh(Command::new("apt-get")
            .arg("download")
            .args(packages)
            .current_dir(&download))
    };
    if fetch().is_err() {
        sh(Command::new("apt-get").arg("update"))?;
        fetch()?;
    }
    for entry in std::fs::read_dir(&download)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        sh(Command::new("dpkg-deb")
            .arg("-x")
            .arg(entry.path())
            .arg(&root))?;
    }
    let _ = std::fs::remove_dir_all(&download);
    Ok(())
}

/// Whether Node.js and npm are on the PATH (Debian's `nodejs` and `npm`,
/// bookworm's Node.js 18 or newer), for the authorization server.
fn node_installed() -> bool {
    ["node", "npm"].iter().all(|program| {
        Command::new(program)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Where the authorization server's npm packages are installed (kept
/// across starts): `node_modules` of the committed lock file, and our
/// script, copied there at each start so that it finds them.
fn oauth_root(dir: &Path) -> PathBuf {
    dir.join("oauth-root")
}

/// Whether `npm ci` installed the committed lock file in `oauth-root`
/// (`installed.json`, a copy of the lock, is written once it succeeded).
fn oauth_installed(dir: &Path) -> bool {
    let root = oauth_root(dir);
    std::fs::read_to_string(root.join("installed.json")).is_ok_and(|lock| lock == OAUTH_LOCK)
        && root
            .join("node_modules/oidc-provider/package.json")
            .exists()
}

/// Installs Node.js and npm (Debian's, as root) when missing, and the
/// authorization server's npm packages with `npm ci` from the committed
/// `xtask/mail-servers/oauth/package-lock.json` into `oauth-root` in the
/// state directory, unless that lock file is installed there already.
fn install_oauth(dir: &Path) -> Result<(), String> {
    if !node_installed() {
        if !is_root() {
            return Err(
                "Node.js and npm are not installed, and only root can install them: run `apt-get install -y nodejs npm` as root"
                    .to_string(),
            );
        }
        println!("installing nodejs npm with apt-get");
        let noninteractive = [("DEBIAN_FRONTEND", "noninteractive")];
        let apt_install = || {
            sh(Command::new("apt-get")
                .args(["install", "-y", "--no-install-recommends", "nodejs", "npm"])
                .envs(noninteractive))
        };
        if apt_install().is_err() {
            sh(Command::new("apt-get").arg("update").envs(noninteractive))?;
            apt_install()?;
        }
    }
    if oauth_installed(dir) {
        return Ok(());
    }
    let root = oauth_root(dir);
    println!(
        "installing the authorization server's npm packages (npm ci) into {}",
        root.display()
    );
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    write(&root.join("package.json"), OAUTH_PACKAGE)?;
    write(&root.join("package-lock.json"), OAUTH_LOCK)?;
    sh(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--omit=dev"])
        .current_dir(&root))?;
    write(&root.join("installed.json"), OAUTH_LOCK)
}

/// Whether the browser the settings page's tests drive is installed.
fn browser_installed() -> bool {
    Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists()
}

/// The newest PostgreSQL's programs: Debian installs each major version
/// in `/usr/lib/postgresql/VERSION/bin` (bookworm: 15).
fn postgres_bin() -> Option<PathBuf> {
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            ["initdb", "pg_ctl", "psql"]
                .iter()
                .all(|program| bin.join(program).exists())
                .then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

/// Whether this process runs as root (real user id 0).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    })
}

/// Installs the Debian packages (as root, with apt-get).
pub(crate) fn install() -> Result<(), String> {
    if installed() && browser_installed() {
        install_exim(&state_dir())?;
        install_cyrus(&state_dir())?;
        return install_oauth(&state_dir());
    }
    if !is_root() {
        return Err(format!(
            "the test servers (Dovecot, Postfix, dnsmasq, PostgreSQL, Cyrus's libraries) and Chromium are not all installed, and only root can install them: run `apt-get update && apt-get install -y {}` as root",
            package_list()
        ));
    }
    println!("installing {} with apt-get", package_list());
    let noninteractive = [("DEBIAN_FRONTEND", "noninteractive")];
    sh(Command::new("apt-get").arg("update").envs(noninteractive))?;
    sh(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(PACKAGES)
        .args(CYRUS_DEPENDENCIES)
        .envs(noninteractive))?;
    install_exim(&state_dir())?;
    install_cyrus(&state_dir())?;
    install_oauth(&state_dir())
}

/// The cargo features the tests run with: every optional store.
pub(crate) const FEATURES: &str =
    "courriel/postgres,courriel-archive/postgres,courriel-cli/postgres";

/// `cargo xtask test`: every test, with the servers they need.
pub(crate) fn test(args: &[&str]) -> Result<(), String> {
    install()?;
    let dir = state_dir();
    start(&dir)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // With cargo-insta installed (CI installs it), snapshot files no test
    // references fail the run too.
    let insta = Command::new(&cargo)
        .args(["insta", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let mut command = Command::new(&cargo);
    if insta {
        command.args(["insta", "test", "--workspace", "--unreferenced", "reject"]);
    } else {
        println!(
            "cargo-insta is not installed: running plain `cargo test` (unreferenced snapshots go unchecked)"
        );
        command.args(["test", "--workspace"]);
    }
    // Every optional store too: the spool suites run against each.
    let status = command
        .args(["--features", FEATURES])
        .args(args)
        .current_dir(crate::project_root())
        .status()
        .map_err(|e| format!("cannot run the tests: {e}"));
    stop(&dir);
    println!("mail servers stopped");
    match status? {
        s if s.success() => Ok(()),
        s => Err(format!("cargo test failed ({s})")),
    }
}

fn start(dir: &Path) -> Result<(), String> {
    if !installed() {
        return Err(format!(
            "the test servers (Dovecot, Postfix, dnsmasq, PostgreSQL, Cyrus's libraries) are not all installed: run `apt-get update && apt-get install -y {}` as root (`.ci/run` and `cargo xtask test` do it)",
            package_list()
        ));
    }
    if !exim_installed(dir) {
        return Err(
            "Exim is not unpacked: run `cargo xtask mail-servers install` as root (`.ci/run` and `cargo xtask test` do it)"
                .to_string(),
        );
    }
    if !cyrus_installed(dir) {
        return Err(
            "Cyrus is not unpacked: run `cargo xtask mail-servers install` as root (`.ci/run` and `cargo xtask test` do it)"
                .to_string(),
        );
    }
    if !node_installed() || !oauth_installed(dir) {
        return Err(format!(
            "the authorization server is not installed (Node.js, npm, and its npm packages in {}): run `cargo xtask mail-servers install` (as root when Node.js is missing; `.ci/run` and `cargo xtask test` do it)",
            oauth_root(dir).display()
        ));
    }
    stop(dir);
    // Everything but the unpacked Exim and Cyrus, and the npm packages.
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        }
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    for entry in entries.flatten() {
        if ["exim-root", "cyrus-root", "oauth-root"]
            .iter()
            .any(|kept| entry.file_name() == *kept)
        {
            continue;
        }
        let path = entry.path();
        let removed = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| format!("cannot clear {}: {e}", path.display()))?;
    }
    for sub in [
        "tls",
        "log",
        "dovecot/run",
        "dovecot/state",
        "postfix/queue",
        "postfix/data",
        "mail",
        "exim/spool",
        "log/exim",
        "cyrus/config/db",
        "cyrus/config/proc",
        "cyrus/config/socket",
        "cyrus/config/log",
        "cyrus/config/msg",
        "cyrus/config/user",
        "cyrus/config/quota",
        "cyrus/config/lock",
        "cyrus/partition",
        "cyrus/sieve",
        "cyrus/tmp",
        "cyrus/socket",
        "oauth",
    ] {
        std::fs::create_dir_all(dir.join(sub))
            .map_err(|e| format!("cannot create {}: {e}", dir.join(sub).display()))?;
    }
    // initdb takes most of a second: the others start meanwhile.
    std::thread::scope(|scope| {
        let postgres = scope.spawn(|| start_postgres(dir));
        let others = start_mail_servers(dir);
        let postgres = postgres
            .join()
            .unwrap_or_else(|_| Err("starting PostgreSQL panicked".to_string()));
        others.and(postgres)
    })?;
    wait_ready(dir)?;
    provision_cyrus(dir).map_err(|e| format!("{e}\n{}", log_tail(dir, "cyrus.out")))?;
    let env = env_file(dir);
    std::fs::write(dir.join("servers.env"), &env).map_err(|e| e.to_string())?;
    println!(
        "mail servers ready; tests read {}",
        dir.join("servers.env").display()
    );
    Ok(())
}

/// Dovecot, Postfix, Exim, Cyrus and dnsmasq: certificates,
/// configurations, launched (they come up in the background; `wait_ready`
/// waits for them).
fn start_mail_servers(dir: &Path) -> Result<(), String> {
    certificates(&dir.join("tls"))?;
    configure(dir)?;
    let dovecot = launch(
        dir,
        "dovecot",
        Command::new("/usr/sbin/dovecot")
            .args(["-F", "-c"])
            .arg(dir.join("dovecot/dovecot.conf")),
    )?;
    let postfix = launch(
        dir,
        "postfix",
        Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(dir.join("postfix"))
            .arg("start-fg"),
    )?;
    let exim = launch(
        dir,
        "exim",
        Command::new(exim_bin(dir))
            .arg("-C")
            .arg(dir.join("exim/exim.conf"))
            .args(["-bdf", "-q10s"]),
    )?;
    // As root, until it becomes the cyrus user; `-D`: its own errors
    // (before it can log to syslog) to log/cyrus.out.
    let cyrus = launch(
        dir,
        "cyrus",
        Command::new(cyrus_bin(dir).join("master"))
            .env("LD_LIBRARY_PATH", cyrus_libraries(dir))
            .arg("-C")
            .arg(dir.join("cyrus/imapd.conf"))
            .arg("-M")
            .arg(dir.join("cyrus/cyrus.conf"))
            .arg("-p")
            .arg(dir.join("cyrus/master.pid"))
            .arg("-D"),
    )?;
    // Node.js resolves the packages from the script's own directory.
    let script = oauth_root(dir).join("server.js");
    write(&script, OAUTH_SERVER)?;
    let oauth = launch(
        dir,
        "oauth",
        Command::new("node")
            .arg(&script)
            .arg(dir.join("oauth/config.json")),
    )?;
    let dnsmasq = launch(
        dir,
        "dnsmasq",
        Command::new("/usr/sbin/dnsmasq")
            .arg("--keep-in-foreground")
            .arg(format!(
                "--conf-file={}",
                dir.join("dnsmasq.conf").display()
            )),
    )?;
    std::fs::write(
        dir.join("pgids"),
        format!("{dovecot}\n{postfix}\n{exim}\n{cyrus}\n{oauth}\n{dnsmasq}\n"),
    )
    .map_err(|e| e.to_string())
}

/// Starts `command` in a process group of its own, logging to `log/NAME.out`.
fn launch(dir: &Path, name: &str, command: &mut Command) -> Result<u32, String> {
    let out =
        std::fs::File::create(dir.join(format!("log/{name}.out"))).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let child = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {name}: {e}"))?;
    Ok(child.id())
}

/// Stops whatever serves our ports: PostgreSQL (see [`stop_postgres`]), the
/// process groups recorded by the last start (Postfix's master makes a
/// session of its own, so its pid file is read too), then any process still
/// listening on one of our ports, as after a crash. Waits until the ports
/// are free.
fn stop(dir: &Path) {
    stop_postgres(dir);
    let mut groups: Vec<u32> = Vec::new();
    for file in [
        "pgids",
        "dovecot/run/master.pid",
        "postfix/queue/pid/master.pid",
        "exim/exim.pid",
        "cyrus/master.pid",
    ] {
        if let Ok(text) = std::fs::read_to_string(dir.join(file)) {
            groups.extend(
                text.split_whitespace()
                    .filter_map(|w| w.parse::<u32>().ok()),
            );
        }
    }
    signal_groups(&groups, "TERM");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && !groups.iter().all(|g| !group_alive(*g)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    signal_groups(&groups, "KILL");
    // Whatever still holds a port of ours (a crashed master's children).
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && any_port_answers() {
        let holders = port_holders();
        signal_groups(&holders, "KILL");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_file(dir.join("pgids"));
}

fn signal_groups(groups: &[u32], signal: &str) {
    for pgid in groups.iter().filter(|g| **g > 1) {
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), "--", &format!("-{pgid}")])
            .stderr(Stdio::null())
            .status();
    }
}

fn stat_field(pid: &str, index: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    stat.rsplit(')')
        .next()?
        .split_whitespace()
        .nth(index)
        .map(str::to_string)
}

fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    let group = pgid.to_string();
    entries.flatten().any(|e| {
        let process = e.file_name().to_string_lossy().into_owned();
        // State `Z` (zombie) holds nothing; field 0 is the state, 2 the group.
        stat_field(&process, 0).is_some_and(|state| state != "Z")
            && stat_field(&process, 2).as_deref() == Some(group.as_str())
    })
}

/// Process groups of the processes listening on one of our ports.
fn port_holders() -> Vec<u32> {
    let ports: Vec<u16> = all_ports().iter().map(SocketAddr::port).collect();
    let mut inodes = Vec::new();
    for line in std::fs::read_to_string("/proc/net/tcp")
        .unwrap_or_default()
        .lines()
        .skip(1)
    {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(local), Some(state), Some(inode)) = (fields.get(1), fields.get(3), fields.get(9))
        else {
            continue;
        };
        let port = local
            .rsplit(':')
            .next()
            .and_then(|p| u16::from_str_radix(p, 16).ok());
        if *state == "0A" && port.is_some_and(|p| ports.contains(&p)) {
            inodes.push(format!("socket:[{inode}]"));
        }
    }
    let mut groups = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return groups;
    };
    for e in entries.flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        let Ok(fds) = std::fs::read_dir(e.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|target| inodes.iter().any(|i| target.to_string_lossy() == *i))
        });
        if holds && let Some(group) = stat_field(&pid, 2).and_then(|g| g.parse().ok()) {
            groups.push(group);
        }
    }
    groups.sort_unstable();
    groups.dedup();
    groups
}

fn all_ports() -> Vec<SocketAddr> {
    let mut ports = Vec::new();
    for host in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
        for port in [
            IMAP_STARTTLS_PORT,
            IMAP_TLS_PORT,
            SMTP_STARTTLS_PORT,
            SMTP_TLS_PORT,
        ] {
            ports.push(format!("{host}:{port}").parse().expect("valid address"));
        }
    }
    for port in [
        SMTP_PLAIN_PORT,
        LMTP_PORT,
        AUTH_PORT,
        DNS_PORT,
        POSTGRES_PORT,
        EXIM_STARTTLS_PORT,
        EXIM_TLS_PORT,
        EXIM_RCPT_PORT,
        EXIM_TLS_UNAVAILABLE_PORT,
        CYRUS_STARTTLS_PORT,
        CYRUS_TLS_PORT,
        CYRUS_LMTP_PORT,
        OAUTH_PORT,
    ] {
        ports.push(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    ports
}

fn answers(addr: &SocketAddr) -> bool {
    TcpStream::connect_timeout(addr, Duration::from_millis(200)).is_ok()
}

fn all_ports_answer() -> bool {
    all_ports().iter().all(answers)
}

fn any_port_answers() -> bool {
    all_ports().iter().any(answers)
}

/// Waits until every port accepts connections and the plaintext ones greet.
fn wait_ready(dir: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let greetings = [
        (IMAP_STARTTLS_PORT, "* OK"),
        (SMTP_STARTTLS_PORT, "220 "),
        (LMTP_PORT, "220 "),
        (EXIM_STARTTLS_PORT, "220 "),
        (CYRUS_STARTTLS_PORT, "* OK"),
        (CYRUS_LMTP_PORT, "220 "),
    ];
    loop {
        let greeted = greetings.iter().all(|(port, expect)| greets(*port, expect));
        if greeted && all_ports_answer() {
            return Ok(());
        }
        if Instant::now() > deadline {
            let mut message =
                String::from("the mail servers did not come up within 30 s; their logs:\n");
            for log in [
                "dovecot.out",
                "dovecot.log",
                "postfix.out",
                "postfix.log",
                "postgres.log",
                "exim.out",
                "exim/mainlog",
                "exim/paniclog",
                "cyrus.out",
                "oauth.out",
            ] {
                message.push_str(&log_tail(dir, log));
            }
            return Err(message);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The last 15 lines of `log/NAME`, under a `--- log/NAME` heading.
fn log_tail(dir: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(dir.join("log").join(name)).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(15).collect();
    let mut out = format!("--- log/{name}\n");
    for line in tail.iter().rev() {
        let _ = writeln!(out, "{line}");
    }
    out
}

fn greets(port: u16, expect: &str) -> bool {
    let Ok(stream) = TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(500),
    ) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with(expect)
}

fn fill(template: &str, dir: &Path) -> String {
    template
        .replace("{{DIR}}", &dir.display().to_string())
        .replace("{{IMAP_STARTTLS_PORT}}", &IMAP_STARTTLS_PORT.to_string())
        .replace("{{IMAP_TLS_PORT}}", &IMAP_TLS_PORT.to_string())
        .replace("{{SMTP_STARTTLS_PORT}}", &SMTP_STARTTLS_PORT.to_string())
        .replace("{{SMTP_TLS_PORT}}", &SMTP_TLS_PORT.to_string())
        .replace("{{SMTP_PLAIN_PORT}}", &SMTP_PLAIN_PORT.to_string())
        .replace("{{LMTP_PORT}}", &LMTP_PORT.to_string())
        .replace("{{AUTH_PORT}}", &AUTH_PORT.to_string())
        .replace("{{DNS_PORT}}", &DNS_PORT.to_string())
        .replace("{{POSTGRES_PORT}}", &POSTGRES_PORT.to_string())
        .replace("{{EXIM}}", &exim_bin(dir).display().to_string())
        .replace("{{EXIM_STARTTLS_PORT}}", &EXIM_STARTTLS_PORT.to_string())
        .replace("{{EXIM_TLS_PORT}}", &EXIM_TLS_PORT.to_string())
        .replace("{{EXIM_RCPT_PORT}}", &EXIM_RCPT_PORT.to_string())
        .replace(
            "{{EXIM_TLS_UNAVAILABLE_PORT}}",
            &EXIM_TLS_UNAVAILABLE_PORT.to_string(),
        )
        .replace("{{CYRUS_BIN}}", &cyrus_bin(dir).display().to_string())
        .replace("{{CYRUS_STARTTLS_PORT}}", &CYRUS_STARTTLS_PORT.to_string())
        .replace("{{CYRUS_TLS_PORT}}", &CYRUS_TLS_PORT.to_string())
        .replace("{{CYRUS_LMTP_PORT}}", &CYRUS_LMTP_PORT.to_string())
        .replace("{{OAUTH_PORT}}", &OAUTH_PORT.to_string())
        .replace(
            "{{OAUTH_DOVECOT_CLIENT_SECRET}}",
            OAUTH_DOVECOT_CLIENT_SECRET,
        )
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn configure(dir: &Path) -> Result<(), String> {
    write(&dir.join("dovecot/dovecot.conf"), &fill(DOVECOT_CONF, dir))?;
    write(&dir.join("dnsmasq.conf"), &fill(DNSMASQ_CONF, dir))?;
    let mut passwd = String::new();
    let mut users = String::new();
    let mut logins = String::new();
    // Exim's lsearch tables: `address: password`, `address: login`.
    let mut exim_passwd = String::new();
    let mut exim_logins = String::new();
    for (_, address, password, namespace) in ACCOUNTS {
        let _ = writeln!(passwd, "{address}:{{PLAIN}}{password}");
        // passwd-file: extra fields for the userdb carry the `userdb_` prefix.
        let _ = writeln!(
            users,
            "{address}:::::::userdb_namespace/{namespace}/disabled=no"
        );
        let _ = writeln!(logins, "{address} {address}");
        let _ = writeln!(exim_passwd, "{address}: {password}");
        let _ = writeln!(exim_logins, "{address}: {address}");
    }
    for (address, password) in fleet().chain(fresh()) {
        let _ = writeln!(passwd, "{address}:{{PLAIN}}{password}");
        let _ = writeln!(
            users,
            "{address}:::::::userdb_namespace/special/disabled=no"
        );
        let _ = writeln!(logins, "{address} {address}");
    }
    // Cyrus's accounts log in to Postfix (through a passdb of Dovecot's
    // for SMTP only: Dovecot has no mailbox for them) and to Exim; both
    // deliver their mail to Cyrus's LMTP.
    let mut cyrus_passwd = String::new();
    let mut transport = String::new();
    let mut exim_cyrus = String::new();
    for (_, address, password, _) in CYRUS_ACCOUNTS {
        let _ = writeln!(cyrus_passwd, "{address}:{{PLAIN}}{password}");
        let _ = writeln!(logins, "{address} {address}");
        let _ = writeln!(exim_passwd, "{address}: {password}");
        let _ = writeln!(exim_logins, "{address}: {address}");
        let _ = writeln!(transport, "{address} lmtp:inet:127.0.0.1:{CYRUS_LMTP_PORT}");
        let _ = writeln!(exim_cyrus, "{address}:");
    }
    for (alias, login) in ALIASES {
        let _ = writeln!(logins, "{alias} {login}");
        let _ = writeln!(exim_logins, "{alias}: {login}");
    }
    write(&dir.join("dovecot/passwd"), &passwd)?;
    write(&dir.join("dovecot/users"), &users)?;
    write(&dir.join("dovecot/cyrus-passwd"), &cyrus_passwd)?;
    write(&dir.join("postfix/main.cf"), &fill(POSTFIX_MAIN, dir))?;
    write(&dir.join("postfix/master.cf"), &fill(POSTFIX_MASTER, dir))?;
    write(&dir.join("postfix/sender_logins"), &logins)?;
    write(&dir.join("postfix/transport"), &transport)?;
    // A recipient Postfix refuses at RCPT, for partial-delivery tests.
    write(
        &dir.join("postfix/recipient_access"),
        "nosuchuser@courriel.test 550 5.1.1 <nosuchuser@courriel.test>: Recipient address rejected: User unknown\n",
    )?;
    configure_oauth(dir)?;
    configure_exim(dir, &exim_passwd, &exim_logins, &exim_cyrus)?;
    configure_cyrus(dir)?;
    // Mail is stored as the `mail` user; Postfix owns its queue.
    sh(Command::new("chown")
        .args(["-R", "mail:mail"])
        .arg(dir.join("mail")))?;
    sh(Command::new("chown")
        .args(["-R", "postfix:postfix"])
        .arg(dir.join("postfix/data")))?;
    sh(Command::new("chmod").arg("755").arg(dir))?;
    Ok(())
}

/// The authorization server's issuer (its base URL): an IP address, so no
/// client depends on how `localhost` resolves; the test certificate covers it.
fn oauth_issuer() -> String {
    format!("https://127.0.0.1:{OAUTH_PORT}")
}

/// A JSON string literal of `text`.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The authorization server's settings (`oauth/config.json`, which
/// `server.js` reads: the accounts it signs in, those of Dovecot and the
/// Cyrus ones, whose logins Postfix takes through Dovecot), the key
/// signing its JWTs (RS256) and that key's public half where Dovecot looks
/// it up (`oauth2-keys/default/RS256/KID`), and Dovecot's oauth2 passdb
/// settings, one per service and kind of token.
fn configure_oauth(dir: &Path) -> Result<(), String> {
    let signing_key = dir.join("tls/oauth-signing.key");
    sh(Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&signing_key))?;
    let keys = dir.join("dovecot/oauth2-keys/default/RS256");
    std::fs::create_dir_all(&keys).map_err(|e| format!("cannot create {}: {e}", keys.display()))?;
    sh(Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&signing_key)
        .arg("-out")
        .arg(keys.join(OAUTH_SIGNING_KEY_ID)))?;
    for service in ["imap", "smtp"] {
        for (template, name) in [
            (DOVECOT_OAUTH2, format!("oauth2-{service}.conf.ext")),
            (DOVECOT_OAUTH2_JWT, format!("oauth2-jwt-{service}.conf.ext")),
        ] {
            let text = fill(template, dir).replace("{{OAUTH_SCOPE}}", service);
            write(&dir.join("dovecot").join(name), &text)?;
        }
    }
    let accounts: Vec<String> = ACCOUNTS
        .iter()
        .map(|(_, address, password, _)| (*address, *password))
        .chain(
            CYRUS_ACCOUNTS
                .iter()
                .map(|(_, address, password, _)| (*address, *password)),
        )
        .map(|(address, password)| (address.to_string(), password.to_string()))
        .chain(fleet())
        .map(|(login, password)| {
            format!(
                "    {{ \"login\": {}, \"password\": {} }}",
                json_string(&login),
                json_string(&password)
            )
        })
        .collect();
    let ttl = std::env::var("COURRIEL_OAUTH_ACCESS_TOKEN_TTL")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(OAUTH_DEFAULT_TOKEN_TTL);
    let tls = dir.join("tls");
    let path = |p: PathBuf| json_string(&p.display().to_string());
    let config = format!(
        "{{\n  \"issuer\": {issuer},\n  \"host\": \"127.0.0.1\",\n  \"port\": {OAUTH_PORT},\n  \"cert\": {cert},\n  \"key\": {key},\n  \"signing_key\": {signing},\n  \"signing_key_id\": {kid},\n  \"access_token_ttl\": {ttl},\n  \"short_access_token_ttl\": {OAUTH_SHORT_TOKEN_TTL},\n  \"confidential_client_secret\": {secret},\n  \"dovecot_client_secret\": {dovecot},\n  \"accounts\": [\n{accounts}\n  ]\n}}\n",
        issuer = json_string(&oauth_issuer()),
        cert = path(tls.join("server.pem")),
        key = path(tls.join("server.key")),
        signing = path(signing_key.clone()),
        kid = json_string(OAUTH_SIGNING_KEY_ID),
        secret = json_string(OAUTH_SECRET_CLIENT_SECRET),
        dovecot = json_string(OAUTH_DOVECOT_CLIENT_SECRET),
        accounts = accounts.join(",\n"),
    );
    write(&dir.join("oauth/config.json"), &config)
}

/// Exim's configuration (owned by root, not writable by others, or Exim
/// refuses it), its tables, and a copy of the server's key and certificate
/// its user can read (it reads them per connection, after dropping root).
fn configure_exim(
    dir: &Path,
    passwd: &str,
    logins: &str,
    cyrus_recipients: &str,
) -> Result<(), String> {
    let exim = dir.join("exim");
    let conf = exim.join("exim.conf");
    write(&conf, &fill(EXIM_CONF, dir))?;
    write(&exim.join("passwd"), passwd)?;
    write(&exim.join("sender_logins"), logins)?;
    write(&exim.join("cyrus_recipients"), cyrus_recipients)?;
    for (from, to) in [("server.pem", "server.pem"), ("server.key", "server.key")] {
        std::fs::copy(dir.join("tls").join(from), exim.join(to))
            .map_err(|e| format!("cannot copy {from} for Exim: {e}"))?;
    }
    for (file, mode) in [
        ("exim.conf", 0o644),
        ("passwd", 0o640),
        ("sender_logins", 0o644),
        ("cyrus_recipients", 0o644),
        ("server.pem", 0o644),
        ("server.key", 0o600),
    ] {
        std::fs::set_permissions(exim.join(file), std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("cannot chmod {file}: {e}"))?;
    }
    std::fs::set_permissions(&exim, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot chmod {}: {e}", exim.display()))?;
    if is_root() {
        let owner = format!("{EXIM_USER}:{EXIM_USER}");
        sh(Command::new("chown")
            .args(["-R", &owner])
            .arg(exim.join("spool"))
            .arg(dir.join("log/exim"))
            .arg(exim.join("server.key")))?;
        sh(Command::new("chown")
            .arg(format!("root:{EXIM_USER}"))
            .arg(exim.join("passwd")))?;
    }
    Ok(())
}

/// Cyrus's configuration (imapd.conf, cyrus.conf), a copy of the server's
/// key and certificate, and the password file it checks logins against (a
/// sasldb written by `saslpasswd2`: each account as user and realm, the
/// admin in the realm of Cyrus's `servername`), all owned by the cyrus user.
fn configure_cyrus(dir: &Path) -> Result<(), String> {
    let cyrus = dir.join("cyrus");
    write(&cyrus.join("imapd.conf"), &fill(CYRUS_IMAPD_CONF, dir))?;
    write(&cyrus.join("cyrus.conf"), &fill(CYRUS_CONF, dir))?;
    for file in ["server.pem", "server.key"] {
        std::fs::copy(dir.join("tls").join(file), cyrus.join(file))
            .map_err(|e| format!("cannot copy {file} for Cyrus: {e}"))?;
    }
    let sasldb = cyrus.join("sasldb2");
    // The admin's realm is Cyrus's `servername` (cyrus-imapd.conf).
    let admin = (CYRUS_ADMIN, "mail.courriel.test", CYRUS_ADMIN_PASSWORD);
    let users = CYRUS_ACCOUNTS.iter().map(|(_, address, password, _)| {
        let (user, realm) = address.split_once('@').unwrap_or((address, ""));
        (user, realm, *password)
    });
    for (user, realm, password) in std::iter::once(admin).chain(users) {
        let mut child = Command::new("saslpasswd2")
            .arg("-f")
            .arg(&sasldb)
            .args(["-p", "-c", "-u", realm, user])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run saslpasswd2 (sasl2-bin): {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(password.as_bytes())
                .map_err(|e| format!("saslpasswd2: {e}"))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| format!("saslpasswd2: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "saslpasswd2 for {user}@{realm} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    for (file, mode) in [
        ("sasldb2", 0o640),
        ("server.key", 0o600),
        ("server.pem", 0o644),
    ] {
        std::fs::set_permissions(cyrus.join(file), std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("cannot chmod {file}: {e}"))?;
    }
    // Its sockets (the provisioning one among them) and password file:
    // root and the cyrus user only.
    std::fs::set_permissions(&cyrus, std::fs::Permissions::from_mode(0o750))
        .map_err(|e| format!("cannot chmod {}: {e}", cyrus.display()))?;
    sh(Command::new("chown")
        .args(["-R", &format!("{CYRUS_USER}:mail")])
        .arg(&cyrus))
}

/// Creates the Cyrus accounts' mailboxes, as an administrator does: their
/// INBOXes as the admin, then their folders as each user (special-use
/// attributes are the user's own: `CREATE ... (USE (...))`, RFC 6154),
/// subscribed, as a client creating them would. Over the provisioning
/// socket (cyrus.conf), where Cyrus takes a login without TLS.
fn provision_cyrus(dir: &Path) -> Result<(), String> {
    let socket = dir.join("cyrus/socket/provision");
    let inboxes: Vec<String> = CYRUS_ACCOUNTS
        .iter()
        .map(|(_, address, _, _)| {
            let (user, domain) = address.split_once('@').unwrap_or((address, ""));
            format!("CREATE \"user.{user}@{domain}\"")
        })
        .collect();
    cyrus_session(&socket, CYRUS_ADMIN, CYRUS_ADMIN_PASSWORD, &inboxes)?;
    for (_, address, password, folders) in CYRUS_ACCOUNTS {
        let mut commands = vec!["SUBSCRIBE INBOX".to_string()];
        for (name, special_use) in *folders {
            commands.push(match special_use {
                Some(attribute) => format!("CREATE \"{name}\" (USE ({attribute}))"),
                None => format!("CREATE \"{name}\""),
            });
            commands.push(format!("SUBSCRIBE \"{name}\""));
        }
        cyrus_session(&socket, address, password, &commands)?;
    }
    Ok(())
}

/// One IMAP session on Cyrus's provisioning socket: LOGIN as `user`, each
/// command in turn (each must be answered OK), LOGOUT.
fn cyrus_session(
    socket: &Path,
    user: &str,
    password: &str,
    commands: &[String],
) -> Result<(), String> {
    // The socket comes up with the TCP listeners; give it a moment anyway.
    let deadline = Instant::now() + Duration::from_secs(5);
    let stream = loop {
        match UnixStream::connect(socket) {
            Ok(stream) => break stream,
            Err(e) if Instant::now() > deadline => {
                return Err(format!("cannot connect to {}: {e}", socket.display()));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let timeout = Some(Duration::from_secs(10));
    stream
        .set_read_timeout(timeout)
        .and_then(|()| stream.set_write_timeout(timeout))
        .map_err(|e| e.to_string())?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| format!("Cyrus's greeting: {e}"))?;
    if !line.starts_with("* OK") {
        return Err(format!("Cyrus greeted with `{}`", line.trim_end()));
    }
    let login = format!("LOGIN \"{user}\" \"{password}\"");
    let logout = "LOGOUT".to_string();
    let all = std::iter::once(&login)
        .chain(commands)
        .chain(std::iter::once(&logout));
    for (n, command) in all.enumerate() {
        let tag = format!("p{n}");
        writer
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .map_err(|e| format!("writing to Cyrus: {e}"))?;
        // What to say in an error: never the password.
        let shown = if n == 0 {
            format!("LOGIN \"{user}\"")
        } else {
            command.clone()
        };
        let answer = loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => return Err(format!("Cyrus hung up after `{shown}`")),
                Ok(_) if line.starts_with(&format!("{tag} ")) => break line.trim_end(),
                Ok(_) => {}
                Err(e) => return Err(format!("reading Cyrus's answer to `{shown}`: {e}")),
            }
        };
        if !answer[tag.len() + 1..].starts_with("OK") {
            return Err(format!("Cyrus answered `{shown}` with `{answer}`"));
        }
    }
    Ok(())
}

/// A test CA, a server certificate it signs (localhost, 127.0.0.1,
/// 127.0.0.2 — not 127.0.0.3, so a client naming that address meets a
/// certificate for another name), and a second certificate for the same
/// names signed by a CA no test trusts.
fn certificates(tls: &Path) -> Result<(), String> {
    let ext = tls.join("server.ext");
    write(
        &ext,
        "subjectAltName = DNS:localhost, DNS:mail.courriel.test, IP:127.0.0.1, IP:127.0.0.2, \
         DNS:boulangerie.test, DNS:*.boulangerie.test, DNS:*.srvin.test\n\
         basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature\n\
         extendedKeyUsage = serverAuth\n",
    )?;
    for (ca, leaf, name) in [
        ("ca", "server", "courriel test CA"),
        ("untrusted-ca", "untrusted", "courriel untrusted test CA"),
    ] {
        let path = |f: &str| tls.join(f);
        sh(Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "3650",
            ])
            .args(["-subj", &format!("/CN={name}")])
            .args([
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ])
            .arg("-keyout")
            .arg(path(&format!("{ca}.key")))
            .arg("-out")
            .arg(path(&format!("{ca}.pem"))))?;
        sh(Command::new("openssl")
            .args([
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-subj",
                "/CN=localhost",
            ])
            .arg("-keyout")
            .arg(path(&format!("{leaf}.key")))
            .arg("-out")
            .arg(path(&format!("{leaf}.csr"))))?;
        sh(Command::new("openssl")
            .args(["x509", "-req", "-days", "825", "-set_serial", "1"])
            .arg("-in")
            .arg(path(&format!("{leaf}.csr")))
            .arg("-CA")
            .arg(path(&format!("{ca}.pem")))
            .arg("-CAkey")
            .arg(path(&format!("{ca}.key")))
            .arg("-extfile")
            .arg(&ext)
            .arg("-out")
            .arg(path(&format!("{leaf}.pem"))))?;
    }
    Ok(())
}

/// A fresh PostgreSQL cluster in `postgres/data`: initdb (superuser
/// [`POSTGRES_USER`] with its password, scram-sha-256 everywhere), our
/// settings appended to its `postgresql.conf`, `pg_ctl start` (which waits
/// until it accepts connections), then the database [`POSTGRES_DATABASE`],
/// created over TCP as a test would connect. initdb's `--no-sync` only skips
/// flushing the new cluster's files at the end of initdb (the cluster is
/// thrown away at the next start); the server's own durability settings
/// stay at their defaults.
fn start_postgres(dir: &Path) -> Result<(), String> {
    let bin = postgres_bin().ok_or("PostgreSQL is not installed (apt-get install postgresql)")?;
    let home = dir.join("postgres");
    let data = home.join("data");
    let log = dir.join("log/postgres.log");
    let password_file = home.join("password");
    std::fs::create_dir_all(&home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    // The postgres user goes through these to its own files, whatever the umask.
    for open in [dir, &dir.join("log")] {
        std::fs::set_permissions(open, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot chmod {}: {e}", open.display()))?;
    }
    write(&password_file, &format!("{POSTGRES_PASSWORD}\n"))?;
    write(&log, "")?;
    if is_root() {
        sh(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&home)
            .arg(&log))?;
    }
    let initdb = sh(as_postgres(&bin.join("initdb"), &home)
        .arg("--pgdata")
        .arg(&data)
        .args([
            "--username",
            POSTGRES_USER,
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
            "--no-sync",
        ])
        .arg(format!("--pwfile={}", password_file.display())));
    let _ = std::fs::remove_file(&password_file);
    initdb?;
    let conf = data.join("postgresql.conf");
    let initial = std::fs::read_to_string(&conf)
        .map_err(|e| format!("cannot read {}: {e}", conf.display()))?;
    write(&conf, &format!("{initial}\n{}", fill(POSTGRES_CONF, dir)))?;
    sh(as_postgres(&bin.join("pg_ctl"), &home)
        .args(["start", "--wait", "--timeout=30", "--pgdata"])
        .arg(&data)
        .arg("--log")
        .arg(&log))
    .map_err(|e| format!("{e}\n{}", log_tail(dir, "postgres.log")))?;
    sh(Command::new(bin.join("psql"))
        .env("PGPASSWORD", POSTGRES_PASSWORD)
        .env("PGCONNECT_TIMEOUT", "10")
        .args(["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"])
        .args(["--host=127.0.0.1", &format!("--port={POSTGRES_PORT}")])
        .args([&format!("--username={POSTGRES_USER}"), "--dbname=postgres"])
        .arg(format!("--command=CREATE DATABASE {POSTGRES_DATABASE}")))
}

/// `program` run as the `postgres` system user when we are root
/// (PostgreSQL refuses to run as root), as ourselves otherwise; in `cwd`,
/// a directory that user can enter.
fn as_postgres(program: &Path, cwd: &Path) -> Command {
    let mut command = if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    command.current_dir(cwd);
    command
}

/// Stops the PostgreSQL of the last start: a fast shutdown (`pg_ctl stop -m
/// fast`: sessions ended, a checkpoint), else `kill -9` of the postmaster
/// (its children leave when they notice). Only a process working in our
/// data directory is signalled: after a crash, the pid file's pid may be
/// another process's by now. A postmaster killed with `kill -9` leaves its
/// pid file and a small System V shared memory segment, removed here.
fn stop_postgres(dir: &Path) {
    let data = dir.join("postgres/data");
    let pid_file = data.join("postmaster.pid");
    let Ok(contents) = std::fs::read_to_string(&pid_file) else {
        return;
    };
    let lines: Vec<&str> = contents.lines().collect();
    let postmaster = lines
        .first()
        .and_then(|l| l.trim().parse::<u32>().ok())
        .filter(|pid| works_in(*pid, &data));
    if let Some(pid) = postmaster {
        let stopped = postgres_bin().is_some_and(|bin| {
            sh(as_postgres(&bin.join("pg_ctl"), dir)
                .args(["stop", "--mode=fast", "--wait", "--timeout=10", "--pgdata"])
                .arg(&data))
            .is_ok()
        });
        if !stopped {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && works_in(pid, &data) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    if !pid_file.exists() {
        return; // a clean shutdown removes it, and the segment
    }
    // Line 7: the segment's key and id, as /proc/sysvipc/shm lists them.
    let segment: Vec<&str> = lines
        .get(6)
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    let ours = std::fs::read_to_string("/proc/sysvipc/shm").is_ok_and(|table| {
        table
            .lines()
            .any(|row| row.split_whitespace().take(2).eq(segment.iter().copied()))
    });
    if ours && let [_, id] = segment.as_slice() {
        let _ = Command::new("ipcrm")
            .args(["-m", id])
            .stderr(Stdio::null())
            .status();
    }
}

/// Whether process `pid` runs with `dir` as its working directory (the
/// postmaster and its children work in the data directory).
fn works_in(pid: u32, dir: &Path) -> bool {
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"));
    matches!((cwd, std::fs::canonicalize(dir)), (Ok(cwd), Ok(dir)) if cwd == dir)
}

fn sh(command: &mut Command) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The file tests read: `KEY=VALUE` lines, also valid shell.
fn env_file(dir: &Path) -> String {
    let mut out = String::from(
        "# Written by `cargo xtask mail-servers start`: where the test mail servers listen.\n",
    );
    let tls = dir.join("tls");
    let mut var = |k: &str, v: &str| {
        let _ = writeln!(out, "COURRIEL_TEST_{k}={v}");
    };
    var("DIR", &dir.display().to_string());
    var("HOST", "127.0.0.1");
    var("TLS_NAME", "localhost");
    var("UNTRUSTED_HOST", "127.0.0.2");
    var("REMOTE_HOST", "127.0.0.3");
    var("CA", &tls.join("ca.pem").display().to_string());
    var(
        "UNTRUSTED_CA",
        &tls.join("untrusted-ca.pem").display().to_string(),
    );
    var("IMAP_STARTTLS_PORT", &IMAP_STARTTLS_PORT.to_string());
    var("IMAP_TLS_PORT", &IMAP_TLS_PORT.to_string());
    var("SMTP_STARTTLS_PORT", &SMTP_STARTTLS_PORT.to_string());
    var("SMTP_TLS_PORT", &SMTP_TLS_PORT.to_string());
    var("SMTP_PLAIN_PORT", &SMTP_PLAIN_PORT.to_string());
    var("DNS_PORT", &DNS_PORT.to_string());
    var("EXIM_STARTTLS_PORT", &EXIM_STARTTLS_PORT.to_string());
    var("EXIM_TLS_PORT", &EXIM_TLS_PORT.to_string());
    var("EXIM_RCPT_PORT", &EXIM_RCPT_PORT.to_string());
    var(
        "EXIM_TLS_UNAVAILABLE_PORT",
        &EXIM_TLS_UNAVAILABLE_PORT.to_string(),
    );
    var("CYRUS_STARTTLS_PORT", &CYRUS_STARTTLS_PORT.to_string());
    var("CYRUS_TLS_PORT", &CYRUS_TLS_PORT.to_string());
    var("OAUTH_PORT", &OAUTH_PORT.to_string());
    var("OAUTH_ISSUER", &oauth_issuer());
    for (key, client) in OAUTH_CLIENTS {
        var(&format!("OAUTH_{key}"), client);
    }
    var("OAUTH_SECRET_CLIENT_SECRET", OAUTH_SECRET_CLIENT_SECRET);
    var("OAUTH_SHORT_TOKEN_TTL", &OAUTH_SHORT_TOKEN_TTL.to_string());
    var("POSTGRES_PORT", &POSTGRES_PORT.to_string());
    var("POSTGRES_USER", POSTGRES_USER);
    var("POSTGRES_PASSWORD", POSTGRES_PASSWORD);
    var("POSTGRES_DATABASE", POSTGRES_DATABASE);
    var(
        "POSTGRES_URL",
        &format!(
            "postgres://{POSTGRES_USER}:{POSTGRES_PASSWORD}@127.0.0.1:{POSTGRES_PORT}/{POSTGRES_DATABASE}"
        ),
    );
    var(
        "FLEET",
        &fleet()
            .map(|(address, password)| format!("{address}:{password}"))
            .collect::<Vec<_>>()
            .join(","),
    );
    var(
        "FRESH",
        &fresh()
            .map(|(address, password)| format!("{address}:{password}"))
            .collect::<Vec<_>>()
            .join(","),
    );
    for (key, address, password, _) in ACCOUNTS {
        var(&format!("{key}_USER"), address);
        var(&format!("{key}_PASSWORD"), password);
    }
    for (key, address, password, _) in CYRUS_ACCOUNTS {
        var(&format!("{key}_USER"), address);
        var(&format!("{key}_PASSWORD"), password);
    }
    for (alias, login) in ALIASES {
        let key = login
            .split('@')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        var(&format!("{key}_ALIAS"), alias);
    }
    out
}
