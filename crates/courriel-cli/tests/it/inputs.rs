//! Files the user names to the tool (`--config`, `--text`, `--html`,
//! `--attach`, `--to-list`, an account's `ca_file`): only regular files,
//! each under its cap, refused quickly and in bounded memory otherwise;
//! echoed input cut.
//!
//! The tool runs under `prlimit --as` (512 MiB of address space): a
//! regression that reads `/dev/zero` whole fails here instead of eating the
//! machine. Each run must end within [`QUICK`].

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use courriel_testkit::Servers;

use crate::{fresh_dir, stderr};

const QUICK: Duration = Duration::from_secs(10);
const MEMORY: &str = "--as=536870912";
const MIB: u64 = 1024 * 1024;

/// An account file (SMTP only), a body, a FIFO, an empty list of certificates.
struct Files {
    dir: PathBuf,
    config: PathBuf,
    body: PathBuf,
    fifo: PathBuf,
}

fn files(test: &str) -> Files {
    let s = Servers::get();
    let dir = fresh_dir(&format!("inputs-{test}"));
    let config = dir.join("account.toml");
    std::fs::write(&config, account_text(&s.ca)).unwrap();
    let body = dir.join("body.txt");
    std::fs::write(&body, "Bonjour\n").unwrap();
    let fifo = dir.join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    Files {
        dir,
        config,
        body,
        fifo,
    }
}

fn account_text(ca: &Path) -> String {
    let s = Servers::get();
    format!(
        "sender = \"{a}\"\nca_file = \"{ca}\"\n[smtp]\nhost = \"{h}\"\nport = {p}\nsecurity = \"starttls\"\nusername = \"{a}\"\npassword_env = \"COURRIEL_TEST_SMTP_PASSWORD\"\n[imap]\nhost = \"{h}\"\nport = {i}\nsecurity = \"implicit-tls\"\nusername = \"{a}\"\npassword_env = \"COURRIEL_TEST_SMTP_PASSWORD\"\n",
        a = s.special.address,
        ca = ca.display(),
        h = s.host,
        p = s.smtp_starttls_port,
        i = s.imap_tls_port,
    )
}

/// Runs `courriel args` under the memory limit, killed if it outlives
/// [`QUICK`] (then the test fails).
fn run(args: &[&str], spool: &Path) -> (Output, Duration) {
    let start = Instant::now();
    let mut child = Command::new("prlimit")
        .arg(MEMORY)
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_courriel"))
        .args(args)
        .arg("--spool")
        .arg(spool)
        .env(
            "COURRIEL_TEST_SMTP_PASSWORD",
            &Servers::get().special.password,
        )
        .env_remove("COURRIEL_SENDGRID_API_KEY")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit (util-linux) runs the tool");
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > QUICK {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "courriel {args:?} still ran after {QUICK:?}: {}",
                stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (out, start.elapsed())
}

/// `courriel send` with `flag value` replacing (or added to) the defaults.
fn send(f: &Files, flag: &str, value: &Path) -> (Output, Duration) {
    let s = Servers::get();
    let mut args = vec!["send", "--subject", "Bornes"];
    if flag != "--to-list" {
        args.extend(["--to", &s.courier.address]);
    }
    let config = f.config.to_str().unwrap();
    let body = f.body.to_str().unwrap();
    let value = value.to_str().unwrap();
    args.extend(["--config", if flag == "--config" { value } else { config }]);
    args.extend(["--text", if flag == "--text" { value } else { body }]);
    if !matches!(flag, "--config" | "--text") {
        args.extend([flag, value]);
    }
    run(&args, &f.dir.join("spool"))
}

#[test]
fn a_fifo_or_a_device_is_refused_quickly_for_every_file_flag() {
    let f = files("kinds");
    for flag in ["--config", "--text", "--html", "--attach", "--to-list"] {
        for (path, what) in [
            (
                f.fifo.as_path(),
                "is a FIFO (named pipe), not a regular file",
            ),
            (
                Path::new("/dev/zero"),
                "is a character device, not a regular file",
            ),
            (f.dir.as_path(), "is a directory, not a regular file"),
        ] {
            let (out, time) = send(&f, flag, path);
            let err = stderr(&out);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{flag} {}: {err}",
                path.display()
            );
            assert!(
                err.contains(&path.display().to_string()) && err.contains(what),
                "{flag} {}: {err}",
                path.display()
            );
            assert!(time < QUICK, "{flag} {}: {time:?}", path.display());
        }
    }
}

/// A sparse file of `len` bytes (no disk used, instant).
fn sparse(path: PathBuf, len: u64) -> PathBuf {
    std::fs::File::create(&path).unwrap().set_len(len).unwrap();
    path
}

#[test]
fn a_file_over_its_cap_is_refused_naming_its_size_and_the_cap() {
    let f = files("caps");
    for (flag, cap, what) in [
        ("--attach", 50 * MIB, "an attachment"),
        ("--text", 10 * MIB, "a message body"),
        ("--html", 10 * MIB, "a message body"),
        ("--to-list", 10 * MIB, "an address list"),
        ("--config", MIB, "an account file"),
    ] {
        let big = sparse(f.dir.join(format!("big{flag}")), cap + 1);
        let (out, _) = send(&f, flag, &big);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        let expected = format!(
            "{}: is {} bytes, more than the {} MiB ({cap} bytes) allowed for {what}",
            big.display(),
            cap + 1,
            cap / MIB
        );
        assert!(err.contains(&expected), "{flag}: {err}");
    }
    // Each attachment under its cap, together over the message's.
    let a = sparse(f.dir.join("a.bin"), 30 * MIB);
    let b = sparse(f.dir.join("b.bin"), 30 * MIB);
    let s = Servers::get();
    let (out, _) = run(
        &[
            "send",
            "--config",
            f.config.to_str().unwrap(),
            "--to",
            &s.courier.address,
            "--subject",
            "Bornes",
            "--text",
            f.body.to_str().unwrap(),
            "--attach",
            a.to_str().unwrap(),
            "--attach",
            b.to_str().unwrap(),
        ],
        &f.dir.join("spool"),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the attachments together weigh more than 50 MiB"),
        "{err}"
    );
}

#[test]
fn an_invalid_to_list_line_is_echoed_cut_with_its_line_number() {
    let f = files("echo");
    let list = f.dir.join("list.txt");
    let long = "x".repeat(5 * MIB as usize);
    std::fs::write(&list, format!("# clients\nnobody@example.test\n{long}\n")).unwrap();
    let (out, _) = send(&f, "--to-list", &list);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let cut = format!(
        "{}:3: `{}…` is not a valid address",
        list.display(),
        "x".repeat(80)
    );
    assert!(err.contains(&cut), "{}", &err[..err.len().min(500)]);
    assert!(err.len() < 1000, "{} bytes echoed", err.len());
}

#[test]
fn a_ca_file_without_a_certificate_is_a_settings_error() {
    let f = files("ca");
    let empty = f.dir.join("empty.pem");
    std::fs::write(&empty, "# the certificate was to be pasted here\n").unwrap();
    for (ca, message) in [
        (empty.as_path(), "the CA file has no PEM certificate in it"),
        (
            Path::new("/dev/zero"),
            "is a character device, not a regular file",
        ),
        (
            f.fifo.as_path(),
            "is a FIFO (named pipe), not a regular file",
        ),
    ] {
        let config = f.dir.join("account-ca.toml");
        std::fs::write(&config, account_text(ca)).unwrap();
        let expected = format!("courriel: ca_file {}: {message}", ca.display());
        // SMTP: refused before anything is sent, exit 2 as a missing file.
        let (out, time) = send(&f, "--config", &config);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(&expected), "{err}");
        assert!(!err.contains("SM007"), "{err}");
        assert!(time < QUICK);
        // IMAP: the same, for `folders`; and `check`, online or not.
        for verb in [&["folders"][..], &["check"], &["check", "--offline"]] {
            let mut args = verb.to_vec();
            args.extend(["--config", config.to_str().unwrap()]);
            let (out, _) = run(&args, &f.dir.join("spool"));
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{verb:?}: {err}");
            assert!(err.contains(&expected), "{verb:?}: {err}");
        }
    }
}
