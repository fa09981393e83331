//! IMAP benchmarks against the project's Dovecot (start it first with
//! `cargo xtask mail-servers start`), each figure beside its peer:
//!
//! (a) listing 10,000 folders and choosing the Sent folder, against a bare
//!     `LIST "" "*"` read by a raw client on the same server (target: at
//!     most 1.2x the bare LIST);
//! (b) filing 1,000 copies of 50 KB through one session with MULTIAPPEND
//!     and LITERAL+ (our extension of async-imap), against a loop of
//!     async-imap's own `append` (target: at least 10x faster).
//!
//! `cargo bench -p courriel-archive --bench imap`

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use courriel_archive::{ImapSettings, choose_sent, connect};
use courriel_core::Security;
use courriel_testkit::Servers;

const FOLDERS: usize = 10_000;
const COPIES: u32 = 1_000;
/// Rounds of (a), each side once per round.
const ROUNDS: usize = 15;

fn settings(s: &Servers) -> ImapSettings {
    let mut settings = ImapSettings::new(
        &s.host,
        s.imap_tls_port,
        Security::ImplicitTls,
        &s.bench.address,
        &s.bench.password,
    )
    .with_extra_ca(std::fs::read(&s.ca).unwrap());
    settings.timeouts.command = Duration::from_secs(300);
    settings
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let s = Servers::get();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    list_folders(s, &rt);
    file_copies(s, &rt);
}

/// (a) 10,000 folders.
fn list_folders(s: &Servers, rt: &tokio::runtime::Runtime) {
    let mut raw = s.imap_as(&s.bench);
    let existing = raw.command("LIST \"\" \"*\"").unwrap().untagged.len();
    if existing < FOLDERS {
        println!("creating {FOLDERS} folders for erin (once per server start)...");
        for i in existing..FOLDERS {
            let r = raw
                .command(&format!("CREATE \"Clients/Client {i:05}\""))
                .unwrap();
            assert!(
                r.is_ok() || r.status.contains("ALREADYEXISTS"),
                "{}",
                r.status
            );
        }
    }
    let mut bare = Vec::new();
    let mut ours = Vec::new();
    let mut listed = 0;
    for round in 0..ROUNDS {
        // Both sides on a fresh session (Dovecot's first LIST in a new
        // session costs more than a repeated one), taking turns to go first.
        let mut fresh = s.imap_as(&s.bench);
        let mut bare_list = || {
            let start = Instant::now();
            listed = fresh.command("LIST \"\" \"*\"").unwrap().untagged.len();
            bare.push(start.elapsed());
        };
        if round % 2 == 0 {
            bare_list();
            ours.push(rt.block_on(choose(&settings(s))));
        } else {
            ours.push(rt.block_on(choose(&settings(s))));
            bare_list();
        }
    }
    let (b, o) = (median(bare), median(ours));
    println!(
        "(a) {listed} folders from Dovecot: bare LIST {b:.1?}, ours (NAMESPACE + LIST RETURN (SPECIAL-USE) + parse + decode + choose) {o:.1?}: ratio {:.2} (target <= 1.20), medians of {ROUNDS}",
        o.as_secs_f64() / b.as_secs_f64()
    );
    replayed(s, rt);
}

/// Logs in, then times NAMESPACE, LIST and the choice of the Sent folder.
async fn choose(settings: &ImapSettings) -> Duration {
    let mut session = connect(settings).await.unwrap();
    let start = Instant::now();
    let namespaces = session.namespaces().await.unwrap();
    let t1 = Instant::now();
    let folders = session.folders(&namespaces).await.unwrap();
    let t2 = Instant::now();
    let choice = choose_sent(&folders, &namespaces, None, None).unwrap();
    if std::env::var_os("COURRIEL_BENCH_DETAIL").is_some() {
        eprintln!(
            "namespace {:?} folders {:?} choose {:?}",
            t1 - start,
            t2 - t1,
            t2.elapsed()
        );
    }
    black_box(choice);
    start.elapsed()
}

/// (a) again, Dovecot's answer replayed from memory by a scripted server
/// (TLS, the test certificate): what is left is the client's own cost.
fn replayed(s: &Servers, rt: &tokio::runtime::Runtime) {
    let mut raw = s.imap_as(&s.bench);
    let mut answer = raw
        .command("LIST \"\" \"*\" RETURN (SPECIAL-USE)")
        .unwrap()
        .untagged
        .join("\r\n");
    answer.push_str("\r\n");
    let answer = Arc::new(answer);
    let port = courriel_testkit::hostile::serve(true, move |mut script| {
        script.say("* OK [CAPABILITY IMAP4rev1 LITERAL+ NAMESPACE SPECIAL-USE] replay\r\n");
        while let Some(line) = script.hear() {
            let (tag, command) = line.split_once(' ').unwrap_or((&line, ""));
            let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
            match verb.as_str() {
                "LOGIN" => script.say(&format!(
                    "{tag} OK [CAPABILITY IMAP4rev1 LITERAL+ NAMESPACE SPECIAL-USE] in\r\n"
                )),
                "NAMESPACE" => script.say(&format!(
                    "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n{tag} OK\r\n"
                )),
                "LIST" => {
                    script.say(&answer);
                    script.say(&format!("{tag} OK listed\r\n"));
                }
                _ => script.say(&format!("{tag} OK\r\n")),
            }
        }
    });
    let mut replay = settings(s);
    replay.port = port;
    let mut bare = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..ROUNDS {
        let mut fresh = s.imap_on(port, &s.bench);
        let start = Instant::now();
        black_box(
            fresh
                .command("LIST \"\" \"*\" RETURN (SPECIAL-USE)")
                .unwrap(),
        );
        bare.push(start.elapsed());
        ours.push(rt.block_on(choose(&replay)));
    }
    let (b, o) = (median(bare), median(ours));
    println!(
        "(a) the same answer replayed from memory: the testkit's bare reader {b:.1?}, ours {o:.1?} (our own cost per folder listing, Dovecot aside), medians of {ROUNDS}"
    );
}

/// (b) 1,000 copies of 50 KB through one session.
fn file_copies(s: &Servers, rt: &tokio::runtime::Runtime) {
    let body = "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n"
        .repeat(50 * 1024 / 76);
    let message = |i: usize, who: &str| {
        format!("From: erin@courriel.test\r\nTo: x@example.test\r\nSubject: bench {i}\r\nMessage-ID: <bench.{who}.{i}.{}@test.courriel>\r\n\r\n{body}", std::process::id()).into_bytes()
    };
    let one_by_one = rt.block_on(async {
        let mut session = connect(&settings(s)).await.unwrap();
        assert!(session.has("LITERAL+"));
        let start = Instant::now();
        for i in 0..COPIES as usize {
            session
                .append("Sent", &message(i, "ours"), None, false)
                .await
                .unwrap();
        }
        start.elapsed()
    });
    let ours = rt.block_on(async {
        let mut session = connect(&settings(s)).await.unwrap();
        assert!(session.has("MULTIAPPEND"));
        let copies: Vec<Vec<u8>> = (0..COPIES as usize).map(|i| message(i, "batch")).collect();
        let items: Vec<(&[u8], Option<&str>)> =
            copies.iter().map(|m| (m.as_slice(), None)).collect();
        let start = Instant::now();
        session.append_many("Sent", &items).await.unwrap();
        start.elapsed()
    });
    let theirs = rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect((s.host.as_str(), s.imap_tls_port))
            .await
            .unwrap();
        tcp.set_nodelay(true).unwrap();
        let config: Arc<rustls::ClientConfig> = settings(s).tls_config().unwrap();
        let name = rustls::pki_types::ServerName::try_from(s.host.clone()).unwrap();
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tls);
        let _greeting = client.read_response().await.unwrap();
        let mut session = client
            .login(&s.bench.address, &s.bench.password)
            .await
            .map_err(|(e, _)| e)
            .unwrap();
        let start = Instant::now();
        for i in 0..COPIES as usize {
            session
                .append("Sent", Some("(\\Seen)"), None, message(i, "async-imap"))
                .await
                .unwrap();
        }
        let elapsed = start.elapsed();
        let _ = session.logout().await;
        elapsed
    });
    let rate = |d: Duration| f64::from(COPIES) / d.as_secs_f64();
    println!(
        "(b) {COPIES} copies of {} KB in one session: ours, MULTIAPPEND + LITERAL+ {ours:.2?} ({:.0}/s); ours, one LITERAL+ APPEND each {one_by_one:.2?} ({:.0}/s); async-imap append loop {theirs:.2?} ({:.0}/s): ours {:.2}x faster (target >= 10x)",
        message(0, "x").len() / 1024,
        rate(ours),
        rate(one_by_one),
        rate(theirs),
        theirs.as_secs_f64() / ours.as_secs_f64()
    );
}
