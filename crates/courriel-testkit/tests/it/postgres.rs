//! PostgreSQL: the shared database answers with the test password only,
//! durability at PostgreSQL's defaults, and every fresh database is empty
//! and its own, even with sessions open on the old one or others created at
//! the same time.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use courriel_testkit::Servers;

#[test]
fn the_url_answers() {
    let servers = Servers::get();
    let url = servers.postgres_url();
    assert_eq!(
        url,
        "postgres://courriel:courriel-test-only@127.0.0.1:10432/courriel"
    );
    assert_eq!(servers.psql(&url, "select 1"), "1\n");
    assert_eq!(
        servers.psql(
            &url,
            "select current_user, current_database(), rolsuper from pg_roles where rolname = current_user"
        ),
        "courriel|courriel|t\n"
    );
    assert_eq!(servers.psql(&url, "show listen_addresses"), "127.0.0.1\n");
}

#[test]
fn durability_is_at_its_defaults() {
    let servers = Servers::get();
    let shown = servers.psql(
        &servers.postgres_url(),
        "show fsync; show synchronous_commit; show full_page_writes",
    );
    assert_eq!(shown, "on\non\non\n");
}

#[test]
fn a_wrong_password_is_refused() {
    let servers = Servers::get();
    let output = Command::new("psql")
        .env("PGPASSWORD", "not-the-password")
        .args(["--no-psqlrc", "--command=select 1", "--host"])
        .arg(&servers.host)
        .arg(format!("--port={}", servers.postgres_port))
        .arg(format!("--username={}", servers.postgres_user))
        .arg(format!("--dbname={}", servers.postgres_database))
        .stdin(Stdio::null())
        .output()
        .expect("psql");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );
}

/// Tables, views, sequences and the like in `public`.
fn relations(url: &str) -> String {
    Servers::get().psql(
        url,
        "select count(*) from pg_class where relnamespace = 'public'::regnamespace",
    )
}

#[test]
fn a_fresh_database_is_empty() {
    let servers = Servers::get();
    let url = servers.fresh_postgres_database("testkit_fresh");
    assert_eq!(
        url,
        "postgres://courriel:courriel-test-only@127.0.0.1:10432/testkit_fresh"
    );
    assert_eq!(
        servers.psql(&url, "select current_database()"),
        "testkit_fresh\n"
    );
    assert_eq!(relations(&url), "0\n");
    assert_eq!(
        servers.psql(
            &url,
            "create table kept (n int); insert into kept values (1)"
        ),
        ""
    );
    assert_eq!(relations(&url), "1\n");
    assert_eq!(servers.fresh_postgres_database("testkit_fresh"), url);
    assert_eq!(relations(&url), "0\n");
    // The shared database is untouched.
    assert_eq!(
        servers.psql(
            &servers.postgres_url(),
            "select count(*) from pg_database where datname = 'courriel'"
        ),
        "1\n"
    );
}

#[test]
fn a_fresh_database_ends_the_old_ones_sessions() {
    let servers = Servers::get();
    let name = "testkit_busy";
    let url = servers.fresh_postgres_database(name);
    let mut sleeper = Command::new("psql")
        .env("PGPASSWORD", &servers.postgres_password)
        .args(["--no-psqlrc", "--command=select pg_sleep(60)", "--host"])
        .arg(&servers.host)
        .arg(format!("--port={}", servers.postgres_port))
        .arg(format!("--username={}", servers.postgres_user))
        .arg(format!("--dbname={name}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("psql");
    let sessions = format!("select count(*) from pg_stat_activity where datname = '{name}'");
    let deadline = Instant::now() + Duration::from_secs(10);
    while servers.psql(&servers.postgres_url(), &sessions) != "1\n" {
        assert!(Instant::now() < deadline, "the session never opened");
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    assert_eq!(servers.fresh_postgres_database(name), url);
    assert_eq!(relations(&url), "0\n");
    let status = sleeper.wait().expect("psql's exit");
    assert!(!status.success(), "the old session was ended");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn fresh_databases_at_once() {
    let servers = Servers::get();
    let urls: Vec<String> = std::thread::scope(|scope| {
        let creating: Vec<_> = (0..6)
            .map(|i| {
                scope
                    .spawn(move || servers.fresh_postgres_database(&format!("testkit_at_once_{i}")))
            })
            .collect();
        creating
            .into_iter()
            .map(|t| t.join().expect("created"))
            .collect()
    });
    for (i, url) in urls.iter().enumerate() {
        assert_eq!(
            servers.psql(url, "select current_database()"),
            format!("testkit_at_once_{i}\n")
        );
    }
}

#[test]
#[should_panic(expected = "would drop a database others use")]
fn the_shared_database_is_never_dropped() {
    let _ = Servers::get().fresh_postgres_database("courriel");
}
