//! `cargo xtask mail-servers start|stop|env|status|install`: the real
//! Postfix, Exim and Dovecot the test suite talks to, on loopback, with a
//! test certificate authority generated at start-up, beside dnsmasq (the
//! test DNS zone) and PostgreSQL (for the spool).
//!
//! Exim is Debian's, never installed (its packages would replace Postfix
//! as the system MTA): `install` fetches them with `apt-get download` and
//! unpacks them with `dpkg -x` into `exim-root/` in the state directory,
//! which a start keeps; it runs as root with `-C` our configuration.
//!
//! Everything lives in one state directory (`/tmp/courriel-mail-servers`,
//! or `$COURRIEL_MAIL_SERVERS_DIR`), rebuilt from scratch at every start
//! (`exim-root/` aside). Postfix, Exim, Dovecot and dnsmasq run in the
//! foreground of their own process group, whose id is recorded there:
//! `stop`, and a `start` after a crash, kill the whole group, so no
//! orphaned child keeps a port. PostgreSQL gets
//! a fresh cluster (initdb) in `postgres/data` and is started and stopped
//! with its own `pg_ctl`, as the `postgres` system user when we are root
//! (it refuses to run as root).

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
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
/// Its superuser (initdb's bootstrap user), that user's password (a test
/// password, shown freely) and the database tests use by default.
const POSTGRES_USER: &str = "courriel";
const POSTGRES_PASSWORD: &str = "courriel-test-only";
const POSTGRES_DATABASE: &str = "courriel";

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
    (
        "BARE",
        "frank@courriel.test",
        "frank-test-password",
        "bare",
    ),
    // For benchmarks (10,000 folders, thousands of copies).
    (
        "BENCH",
        "erin@courriel.test",
        "erin-test-password",
        "special",
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

/// Addresses a login may send as, besides its own: (address, login).
const ALIASES: &[(&str, &str)] = &[("billing@courriel.test", "alice@courriel.test")];

const DOVECOT_CONF: &str = include_str!("../mail-servers/dovecot.conf");
const EXIM_CONF: &str = include_str!("../mail-servers/exim.conf");
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

/// The test DNS zone (dnsmasq's configuration): the custom domains the
/// discovery tests look up. Every name is under `.test` (RFC 6761).
const DNSMASQ_CONF: &str = include_str!("../mail-servers/dnsmasq.conf");

pub(crate) const HELP: &str = "\
cargo xtask mail-servers start    (re)start Postfix, Exim, Dovecot, dnsmasq and
                                  PostgreSQL on 127.0.0.1, fresh state
cargo xtask mail-servers install  install them (as root: apt-get, Exim unpacked
                                  into the state directory)
cargo xtask mail-servers stop     stop them
cargo xtask mail-servers env      print the file tests read (ports, accounts, CA,
                                  PostgreSQL URL)
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
                    "mail servers (Postfix, Exim, Dovecot, dnsmasq) and PostgreSQL (port {POSTGRES_PORT}) answer on 127.0.0.1 (state in {})",
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
    if !is_root() {
        return Err(format!(
            "Exim is not unpacked in {} and only root can do it: run `cargo xtask mail-servers install` as root",
            dir.join("exim-root").display()
        ));
    }
    println!(
        "unpacking {} into {}",
        EXIM_PACKAGES.join(" "),
        dir.join("exim-root").display()
    );
    let download = dir.join("exim-download");
    let root = dir.join("exim-root");
    let _ = std::fs::remove_dir_all(&download);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&download)
        .map_err(|e| format!("cannot create {}: {e}", download.display()))?;
    let fetch = || {
        sh(Command::new("apt-get")
            .arg("download")
            .args(EXIM_PACKAGES)
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
        return install_exim(&state_dir());
    }
    if !is_root() {
        return Err(format!(
            "the test servers (Dovecot, Postfix, dnsmasq, PostgreSQL) and Chromium are not all installed, and only root can install them: run `apt-get update && apt-get install -y {}` as root",
            PACKAGES.join(" ")
        ));
    }
    println!("installing {} with apt-get", PACKAGES.join(" "));
    let noninteractive = [("DEBIAN_FRONTEND", "noninteractive")];
    sh(Command::new("apt-get").arg("update").envs(noninteractive))?;
    sh(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(PACKAGES)
        .envs(noninteractive))?;
    install_exim(&state_dir())
}

/// The cargo features the tests run with: every optional store.
pub(crate) const FEATURES: &str = "courriel/postgres,courriel-archive/postgres";

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
            "the test servers (Dovecot, Postfix, dnsmasq, PostgreSQL) are not all installed: run `apt-get update && apt-get install -y {}` as root (`.ci/run` and `cargo xtask test` do it)",
            PACKAGES.join(" ")
        ));
    }
    if !exim_installed(dir) {
        return Err(
            "Exim is not unpacked: run `cargo xtask mail-servers install` as root (`.ci/run` and `cargo xtask test` do it)"
                .to_string(),
        );
    }
    stop(dir);
    // Everything but the unpacked Exim.
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
        if entry.file_name() == "exim-root" {
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
    let env = env_file(dir);
    std::fs::write(dir.join("servers.env"), &env).map_err(|e| e.to_string())?;
    println!(
        "mail servers ready; tests read {}",
        dir.join("servers.env").display()
    );
    Ok(())
}

/// Dovecot, Postfix and dnsmasq: certificates, configurations, launched
/// (they come up in the background; `wait_ready` waits for them).
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
        format!("{dovecot}\n{postfix}\n{exim}\n{dnsmasq}\n"),
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
    for (address, password) in fleet() {
        let _ = writeln!(passwd, "{address}:{{PLAIN}}{password}");
        let _ = writeln!(
            users,
            "{address}:::::::userdb_namespace/special/disabled=no"
        );
        let _ = writeln!(logins, "{address} {address}");
    }
    for (alias, login) in ALIASES {
        let _ = writeln!(logins, "{alias} {login}");
        let _ = writeln!(exim_logins, "{alias}: {login}");
    }
    write(&dir.join("dovecot/passwd"), &passwd)?;
    write(&dir.join("dovecot/users"), &users)?;
    write(&dir.join("postfix/main.cf"), &fill(POSTFIX_MAIN, dir))?;
    write(&dir.join("postfix/master.cf"), &fill(POSTFIX_MASTER, dir))?;
    write(&dir.join("postfix/sender_logins"), &logins)?;
    // A recipient Postfix refuses at RCPT, for partial-delivery tests.
    write(
        &dir.join("postfix/recipient_access"),
        "nosuchuser@courriel.test 550 5.1.1 <nosuchuser@courriel.test>: Recipient address rejected: User unknown\n",
    )?;
    configure_exim(dir, &exim_passwd, &exim_logins)?;
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

/// Exim's configuration (owned by root, not writable by others, or Exim
/// refuses it), its tables, and a copy of the server's key and certificate
/// its user can read (it reads them per connection, after dropping root).
fn configure_exim(dir: &Path, passwd: &str, logins: &str) -> Result<(), String> {
    let exim = dir.join("exim");
    let conf = exim.join("exim.conf");
    write(&conf, &fill(EXIM_CONF, dir))?;
    write(&exim.join("passwd"), passwd)?;
    write(&exim.join("sender_logins"), logins)?;
    for (from, to) in [("server.pem", "server.pem"), ("server.key", "server.key")] {
        std::fs::copy(dir.join("tls").join(from), exim.join(to))
            .map_err(|e| format!("cannot copy {from} for Exim: {e}"))?;
    }
    for (file, mode) in [
        ("exim.conf", 0o644),
        ("passwd", 0o640),
        ("sender_logins", 0o644),
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
    for (key, address, password, _) in ACCOUNTS {
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
