//! The OAuth2 token stores courriel ships, run against each (a directory;
//! PostgreSQL with the feature `postgres`): grants round trip and are
//! shared by every store on the same place, a damaged grant is OA009
//! naming where it is and never its tokens, and the refresh lock lets one
//! holder in at a time, across processes (a holder killed with SIGKILL
//! lets the next one in) and between tasks of one process. The directory
//! store's own: private modes, no symbolic link or FIFO followed.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use courriel::oauth2::{FileStore, Grant, GrantKey, TokenStore};
use courriel_testkit::runtime;
use secrecy::{ExposeSecret as _, SecretString};

/// The stores every test here runs against: (name, spec for [`open`]).
/// Each call gives empty ones.
fn stores(test: &str) -> Vec<(&'static str, String)> {
    let dir = courriel_testkit::fresh_dir(&format!("tokens-{test}"));
    #[allow(unused_mut)]
    let mut stores = vec![("dir", format!("dir:{}", dir.display()))];
    #[cfg(feature = "postgres")]
    stores.push((
        "postgres",
        courriel_testkit::Servers::get()
            .fresh_postgres_database(&format!("oauth2_{}", test.replace('-', "_"))),
    ));
    stores
}

/// The store `spec` names, waiting at most `lock_timeout` for a lock.
// Without the feature `postgres`, only the directory store (not async).
#[cfg_attr(not(feature = "postgres"), allow(clippy::unused_async))]
async fn open(spec: &str, lock_timeout: Duration) -> Arc<dyn TokenStore> {
    if let Some(dir) = spec.strip_prefix("dir:") {
        return Arc::new(FileStore::open(dir).unwrap().lock_timeout(lock_timeout));
    }
    #[cfg(feature = "postgres")]
    return Arc::new(
        courriel::oauth2::PgTokenStore::connect(spec)
            .await
            .unwrap()
            .lock_timeout(lock_timeout),
    );
    #[cfg(not(feature = "postgres"))]
    unreachable!("{spec}: PostgreSQL stores need the feature `postgres`")
}

/// How long a lock is waited for when it must be had: long enough never
/// to fail a slow machine (a test fails rather than hangs after it).
const LONG: Duration = Duration::from_secs(60);
/// How long a lock is waited for when it must not be had.
const SHORT: Duration = Duration::from_millis(300);

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn grant(user: &str, access: &str) -> Grant {
    Grant {
        provider: "microsoft365".into(),
        client_id: "client-1".into(),
        user: user.into(),
        tenant: Some("organizations".into()),
        access_token: SecretString::from(access.to_string()),
        expires_at: Some(at(1_900_000_000)),
        refresh_token: Some(SecretString::from(format!("{access}-refresh"))),
        scopes: vec!["https://outlook.office.com/SMTP.Send".into()],
        signed_in_at: at(1_800_000_000),
        refreshed_at: None,
    }
}

fn key(user: &str) -> GrantKey {
    GrantKey::new("microsoft365", user)
}

#[test]
fn grants_round_trip_and_every_store_on_the_same_place_sees_them() {
    for (store, spec) in stores("round-trip") {
        runtime().block_on(async {
            let one = open(&spec, LONG).await;
            let other = open(&spec, LONG).await; // another process, say
            let isabelle = key("isabelle@example.fr");
            assert!(one.load(&isabelle).await.unwrap().is_none(), "{store}");
            one.save(&grant("isabelle@example.fr", "SECRET-A1"))
                .await
                .unwrap();
            one.save(&grant("marc@example.fr", "SECRET-M1"))
                .await
                .unwrap();
            let back = other.load(&isabelle).await.unwrap().unwrap();
            assert_eq!(
                back.to_stored(),
                grant("isabelle@example.fr", "SECRET-A1").to_stored(),
                "{store}"
            );
            // Renewed: the rotated tokens replace the old ones.
            let mut renewed = grant("isabelle@example.fr", "SECRET-A2");
            renewed.refreshed_at = Some(at(1_850_000_000));
            other.save(&renewed).await.unwrap();
            let back = one.load(&isabelle).await.unwrap().unwrap();
            assert_eq!(back.access_token.expose_secret(), "SECRET-A2", "{store}");
            assert_eq!(back.refreshed_at, Some(at(1_850_000_000)), "{store}");
            // Signing out removes one account's grant only, once or twice.
            one.delete(&isabelle).await.unwrap();
            one.delete(&isabelle).await.unwrap();
            assert!(other.load(&isabelle).await.unwrap().is_none(), "{store}");
            let marc = other.load(&key("marc@example.fr")).await.unwrap();
            assert_eq!(
                marc.unwrap().access_token.expose_secret(),
                "SECRET-M1",
                "{store}"
            );
        });
    }
}

#[cfg(feature = "postgres")]
#[test]
fn the_postgres_store_never_shows_its_password() {
    let s = courriel_testkit::Servers::get();
    let url = s.fresh_postgres_database("oauth2_password");
    let store = runtime()
        .block_on(courriel::oauth2::PgTokenStore::connect(&url))
        .unwrap();
    let shown = format!("{store:?} {}", store.location());
    assert!(shown.contains("oauth2_password"), "{shown}");
    assert!(!shown.contains(&s.postgres_password), "{shown}");
    let wrong = url.replace(&s.postgres_password, "not-the-password-xyz");
    let failure = runtime()
        .block_on(courriel::oauth2::PgTokenStore::connect(&wrong))
        .unwrap_err();
    assert_eq!(failure.code(), "OA009");
    assert!(
        !failure.to_string().contains("not-the-password-xyz"),
        "{failure}"
    );
}

/// Replaces what the store holds for `user` with `text`, behind its back.
fn tamper(spec: &str, user: &str, text: &str) {
    match spec.strip_prefix("dir:") {
        Some(dir) => {
            let path = std::path::Path::new(dir).join(format!("{}.json", key(user).file_stem()));
            std::fs::write(path, text).unwrap();
        }
        #[cfg(feature = "postgres")]
        None => {
            let _ = courriel_testkit::Servers::get().psql(
                spec,
                &format!(
                    "UPDATE courriel_oauth2_grants SET stored = '{text}' WHERE user_name = '{user}'"
                ),
            );
        }
        #[cfg(not(feature = "postgres"))]
        None => unreachable!("{spec}: PostgreSQL stores need the feature `postgres`"),
    }
}

#[test]
fn a_damaged_grant_is_oa009_naming_where_it_is_and_never_its_tokens() {
    let user = "isabelle@example.fr";
    let other = grant("marc@example.fr", "SECRET-OTHER").to_stored();
    let cut = grant(user, "SECRET-CUT").to_stored();
    let cut = &cut[..cut.len() - 20];
    let huge = format!("{} ", grant(user, "SECRET-HUGE").to_stored()).repeat(220);
    assert!(huge.len() > courriel::oauth2::MAX_STORED);
    let cases = [
        (cut, "not a stored grant"),
        (other.as_str(), "holds the grant of marc@example.fr"),
        (huge.as_str(), "over"),
    ];
    for (store, spec) in stores("damaged") {
        runtime().block_on(async {
            let tokens = open(&spec, LONG).await;
            tokens.save(&grant(user, "SECRET-FINE")).await.unwrap();
            for (text, why) in &cases {
                tamper(&spec, user, text);
                let failure = tokens.load(&key(user)).await.unwrap_err();
                let shown = failure.to_string();
                assert_eq!(failure.code(), "OA009", "{store}: {shown}");
                assert!(failure.is_temporary(), "{store}: {shown}");
                assert!(shown.contains(why), "{store}: {shown}");
                assert!(!shown.contains("SECRET"), "{store}: {shown}");
                let place = match spec.strip_prefix("dir:") {
                    Some(dir) => format!("{dir}/{}.json", key(user).file_stem()),
                    None => format!("{user} at microsoft365 in courriel_oauth2_grants"),
                };
                assert!(shown.contains(&place), "{store}: {shown}");
            }
            // Saving again mends it.
            tokens.save(&grant(user, "SECRET-FINE")).await.unwrap();
            assert!(tokens.load(&key(user)).await.unwrap().is_some(), "{store}");
        });
    }
}

const CHILD: &str = "COURRIEL_TOKEN_STORE_CHILD";

/// The child half of the two-process test: takes the refresh lock of the
/// account named, says LOCKED, and holds it until killed. It does nothing
/// unless started by
/// `the_refresh_lock_shuts_out_another_process_until_it_is_killed`.
#[test]
fn child_process() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (store, user) = spec.rsplit_once('|').unwrap();
    runtime().block_on(async {
        let tokens = open(store, LONG).await;
        let _held = tokens.lock(&key(user)).await.unwrap();
        println!("LOCKED");
        tokio::time::sleep(Duration::from_secs(120)).await;
    });
    panic!("the parent should have killed this process");
}

#[test]
fn the_refresh_lock_shuts_out_another_process_until_it_is_killed() {
    for (store, spec) in stores("two-processes") {
        let user = "isabelle@example.fr";
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "token_stores::child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, format!("{spec}|{user}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let locked = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("LOCKED"));
        assert!(locked, "{store}: the child never took the lock");
        runtime().block_on(async {
            // While the child holds it, a bounded wait fails, saying why.
            let impatient = open(&spec, SHORT).await;
            let failure = impatient
                .lock(&key(user))
                .await
                .err()
                .unwrap_or_else(|| panic!("{store}: had while the child held it"));
            assert_eq!(failure.code(), "OA009", "{store}: {failure}");
            assert!(
                failure.to_string().contains("another process holds"),
                "{store}: {failure}"
            );
            // Another account's lock is free meanwhile.
            impatient.lock(&key("marc@example.fr")).await.unwrap();

            let patient = open(&spec, LONG).await;
            let killed = Arc::new(AtomicBool::new(false));
            let waiter = tokio::spawn({
                let killed = killed.clone();
                async move {
                    let held = patient.lock(&key(user)).await;
                    (held.is_ok(), killed.load(Ordering::SeqCst))
                }
            });
            // Time for the waiter to start waiting (nothing is measured).
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(!waiter.is_finished(), "{store}: the lock was not held");
            killed.store(true, Ordering::SeqCst);
            child.kill().unwrap(); // SIGKILL: nothing of the child runs.
            child.wait().unwrap();
            let (got, after_the_kill) = tokio::time::timeout(LONG + LONG, waiter)
                .await
                .unwrap()
                .unwrap();
            assert!(got, "{store}: the lock never came free");
            assert!(after_the_kill, "{store}: taken while the child held it");
        });
    }
}

#[test]
fn two_tasks_taking_the_refresh_lock_take_turns() {
    for (store, spec) in stores("two-tasks") {
        runtime().block_on(async {
            let user = "isabelle@example.fr";
            let tokens = open(&spec, LONG).await;
            let held = tokens.lock(&key(user)).await.unwrap();
            let failure = open(&spec, SHORT)
                .await
                .lock(&key(user))
                .await
                .err()
                .unwrap_or_else(|| panic!("{store}: had twice at once"));
            assert_eq!(failure.code(), "OA009", "{store}: {failure}");
            let released = Arc::new(AtomicBool::new(false));
            // Another task of the same store (an application's tasks
            // share one).
            let waiter = tokio::spawn({
                let tokens = tokens.clone();
                let released = released.clone();
                async move {
                    // Held while the flag is read, dropped at the end.
                    let second = tokens.lock(&key(user)).await;
                    let after = released.load(Ordering::SeqCst);
                    (second.is_ok(), after)
                }
            });
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(!waiter.is_finished(), "{store}: taken twice at once");
            released.store(true, Ordering::SeqCst);
            drop(held);
            let (got, after_the_release) = tokio::time::timeout(LONG + LONG, waiter)
                .await
                .unwrap()
                .unwrap();
            assert!(got, "{store}: never had by the second task");
            assert!(after_the_release, "{store}: had before the first let go");
        });
    }
}

#[test]
fn token_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let root = courriel_testkit::fresh_dir("tokens-modes");
    let dir = root.join("a/tokens");
    let store = FileStore::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&root.join("a")), 0o700, "parents created too");
    runtime().block_on(async {
        store
            .save(&grant("isabelle@example.fr", "SECRET"))
            .await
            .unwrap();
        let _held = store.lock(&key("isabelle@example.fr")).await.unwrap();
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let stem = key("isabelle@example.fr").file_stem();
        let mut expected = vec![format!("{stem}.json"), format!("{stem}.lock")];
        let mut names_sorted = names.clone();
        names_sorted.sort();
        expected.sort();
        assert_eq!(names_sorted, expected, "no temporary file left");
        for name in names {
            assert_eq!(mode(&dir.join(&name)), 0o600, "{name}");
        }
    });
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_link_or_fifo_in_place_of_a_token_file_is_refused() {
    let dir = courriel_testkit::fresh_dir("tokens-links");
    let store = FileStore::open(&dir).unwrap();
    let isabelle = key("isabelle@example.fr");
    let path = store.path(&isabelle);
    // A grant elsewhere, linked to from the file's place.
    let elsewhere = dir.with_extension("elsewhere.json");
    let planted = grant("isabelle@example.fr", "SECRET-PLANTED").to_stored();
    std::fs::write(&elsewhere, &planted).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    runtime().block_on(async {
        let failure = store.load(&isabelle).await.unwrap_err();
        let shown = failure.to_string();
        assert_eq!(failure.code(), "OA009", "{shown}");
        assert!(shown.contains("symbolic link"), "{shown}");
        assert!(shown.contains(&path.display().to_string()), "{shown}");
        assert!(!shown.contains("SECRET"), "{shown}");
        // Saving replaces the link; what it pointed to is left alone.
        store
            .save(&grant("isabelle@example.fr", "SECRET-SAVED"))
            .await
            .unwrap();
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), planted);
        let back = store.load(&isabelle).await.unwrap().unwrap();
        assert_eq!(back.access_token.expose_secret(), "SECRET-SAVED");
        // A FIFO is not waited on: refused at once.
        std::fs::remove_file(&path).unwrap();
        let made = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success());
        let failure = store.load(&isabelle).await.unwrap_err();
        assert!(
            failure.to_string().contains("not a regular file"),
            "{failure}"
        );
    });
    std::fs::remove_file(&elsewhere).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
