//! Backups, restores and upgrades (issue 9): a backup taken under a write load holds
//! exactly the acknowledged writes, restores refuse to overwrite or to read a damaged
//! file, and older data is backed up before it is migrated.

use crate::support::*;
use livret::domain::attendance::{AttendanceDay, CheckedAttendance, DayKind};
use livret::domain::{Hours, PlacementId, Subject};
use livret::store::Store;
use livret::store::backup::{Backup, BackupError, MAGIC};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// `Store::open`, retried for up to 10 s while sled's threads still hold the lock of a
/// store just written and dropped (a restore writes one, then moves it in place).
fn open_retrying(dir: &std::path::Path) -> Store {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match Store::open(dir, 1 << 20) {
            Ok(s) => return s,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            Err(e) => panic!("opening {}: {e}", dir.display()),
        }
    }
}

fn checked(quarters: u8) -> CheckedAttendance {
    CheckedAttendance {
        days: vec![AttendanceDay {
            date: today(),
            kind: DayKind::Present,
            presence: Hours::from_quarters(quarters).unwrap(),
            reason: String::new(),
            justified: false,
        }],
        gratification_cents: None,
    }
}

/// Files and sizes under `dir`, to tell that nothing changed.
fn listing(dir: &std::path::Path) -> Vec<(String, u64, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walk(dir) {
        let bytes = std::fs::read(&e).unwrap_or_default();
        out.push((
            e.strip_prefix(dir).unwrap().display().to_string(),
            bytes.len() as u64,
            Sha256::digest(&bytes).to_vec(),
        ));
    }
    out.sort();
    out
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_write_load_holds_exactly_the_writes_acknowledged_before_it() {
    let app = App::start().await;
    let store = app.state.store.clone();
    let now = app.clock.now();
    let by = Subject::Tutor(app.w.helene);
    let acked: Arc<Mutex<Vec<PlacementId>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    const WRITERS: usize = 3;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (store, acked, stop) = (store.clone(), acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0u8;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let id = PlacementId::new();
                store
                    .save_attendance(id, 0, &checked(4 + (i % 80)), by, now)
                    .await
                    .unwrap();
                acked.lock().unwrap().push(id);
                i = i.wrapping_add(1 + w as u8);
            }
        }));
    }
    while acked.lock().unwrap().len() < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // The backup begins once writes are paused: every write acknowledged by now is in
    // it; at most one write per writer was between its store and its `push`.
    let paused = store.pause_writes().await;
    let before: HashSet<PlacementId> = acked.lock().unwrap().iter().copied().collect();
    let mut bytes = Vec::new();
    let summary = store.write_backup(&paused, &mut bytes, now).unwrap();
    drop(paused);
    // Writes go on after the backup.
    let n = acked.lock().unwrap().len();
    while acked.lock().unwrap().len() < n + 30 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    let all: Vec<PlacementId> = acked.lock().unwrap().clone();
    assert!(all.len() >= before.len() + 30);

    let backup = Backup::read(&bytes).unwrap();
    assert_eq!(backup.summary(), summary);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("restored");
    assert_eq!(backup.restore(&target, false, now).unwrap(), None);
    let restored = open_retrying(&target);
    let mut present = HashSet::new();
    for id in &all {
        if let Some(a) = restored.attendance(*id).unwrap() {
            // Whole records, equal to what the live store holds.
            assert_eq!(Some(a), store.attendance(*id).unwrap());
            present.insert(*id);
        }
    }
    assert!(
        before.is_subset(&present),
        "{} acknowledged writes missing from the backup",
        before.difference(&present).count()
    );
    assert!(
        present.len() <= before.len() + WRITERS,
        "the backup holds {} writes made after it began",
        present.len() - before.len()
    );
    let counted = summary
        .counts
        .iter()
        .find(|(label, _)| *label == "relevés de présence")
        .map(|(_, n)| *n)
        .unwrap();
    // The seeded school's own attendance records are in the backup too.
    assert_eq!(
        counted as usize,
        present.len() + app.w.seed.attendances.len()
    );
}

/// `page` without the coordinator's « Sauvegardes et stockage » card.
fn without_storage_card(page: &str) -> String {
    match page.find("<h2 id=\"sauvegardes\">") {
        Some(start) => {
            let end = page[start..]
                .find("</section>")
                .map_or(page.len(), |e| start + e);
            format!("{}{}", &page[..start], &page[end..])
        }
        None => page.to_string(),
    }
}

#[tokio::test]
async fn the_restored_service_serves_the_same_pages() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let student = app.student(app.w.mael).await;
    let p = app.w.seed.placements[0].id;
    let class = app.w.seed.classes[0].id;
    let pages = ["/", &format!("/coordination/classes/{class}"), &stage(p)];
    let mut before = Vec::new();
    for path in &pages {
        before.push(coordinator.get(path).await.expect(200).text());
    }
    let journal = student.get(&format!("{}/journal", stage(p))).await;
    journal.expect(200);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("livret.sauvegarde");
    let summary = livret::backup::backup_to_file(&app.state.store, &file, app.clock.now())
        .await
        .unwrap();
    assert!(
        summary
            .counts
            .contains(&("élèves", app.w.seed.students.len() as u64))
    );
    assert_eq!(
        app.state.store.last_backup().unwrap().map(|b| b.at),
        Some(app.clock.now())
    );
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(MAGIC));
    let target = dir.path().join("data");
    Backup::read(&bytes)
        .unwrap()
        .restore(&target, false, app.clock.now())
        .unwrap();

    // A second service on the restored data: the same sessions, the same pages.
    let acceptor =
        poem::listener::Listener::into_acceptor(poem::listener::TcpListener::bind("127.0.0.1:0"))
            .await
            .unwrap();
    let addr = *poem::listener::Acceptor::local_addr(&acceptor)[0]
        .as_socket_addr()
        .unwrap();
    let base = format!("http://localhost:{}", addr.port());
    let state = open_when_free(&config(&target, addr, &base), &app.clock)
        .await
        .unwrap();
    let routes = livret::web::routes::routes(state.clone());
    let server = tokio::spawn(async move {
        let _ = poem::Server::new_with_acceptor(acceptor).run(routes).await;
    });
    let again = Browser::with_cookie(
        &base,
        &format!("livret={}", coordinator.session.clone().unwrap()),
    );
    for (path, was) in pages.iter().zip(&before) {
        let now = again.get(path).await.expect(200).text();
        // CSRF tokens are per session and the same session came back: equal pages,
        // but for the coordinator's storage card (sizes on disk differ).
        assert_eq!(
            without_storage_card(&now),
            without_storage_card(was),
            "{path} differs after the restore"
        );
    }
    server.abort();
}

#[tokio::test]
async fn a_restore_refuses_a_non_empty_store_without_force_and_changes_nothing() {
    let app = App::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.sauvegarde");
    livret::backup::backup_to_file(&app.state.store, &file, app.clock.now())
        .await
        .unwrap();
    let backup = Backup::read(&std::fs::read(&file).unwrap()).unwrap();

    // An occupied data directory: another store with something in it.
    let target = dir.path().join("data");
    {
        let other = Store::open(&target, 1 << 20).unwrap();
        other
            .save_attendance(
                PlacementId::new(),
                0,
                &checked(28),
                Subject::Tutor(app.w.helene),
                app.clock.now(),
            )
            .await
            .unwrap();
    }
    let before = listing(&target);
    let refused = backup.restore(&target, false, app.clock.now()).unwrap_err();
    assert!(matches!(refused, BackupError::NotEmpty(_)), "{refused}");
    assert!(refused.to_string().contains("--force"));
    assert_eq!(listing(&target), before, "a refused restore changed files");

    // With --force the old data is put aside, not deleted.
    let aside = backup
        .restore(&target, true, app.clock.now())
        .unwrap()
        .expect("old data put aside");
    assert!(aside.starts_with(&target));
    let old = open_retrying(&aside);
    assert_eq!(old.school().unwrap(), None);
    drop(old);
    let restored = open_retrying(&target);
    assert_eq!(
        restored.school().unwrap(),
        app.state.store.school().unwrap()
    );
}

#[tokio::test]
async fn a_damaged_or_newer_backup_is_refused_by_its_checksum_or_schema() {
    let app = App::start().await;
    let mut bytes = Vec::new();
    let paused = app.state.store.pause_writes().await;
    app.state
        .store
        .write_backup(&paused, &mut bytes, app.clock.now())
        .unwrap();
    drop(paused);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("data");

    // One flipped byte in the body.
    let mut damaged = bytes.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x40;
    assert!(matches!(Backup::read(&damaged), Err(BackupError::Checksum)));
    // Cut short.
    assert!(matches!(
        Backup::read(&bytes[..bytes.len() - 10]),
        Err(BackupError::Checksum)
    ));
    // Not a backup at all.
    assert!(matches!(
        Backup::read(b"PK\x03\x04 something else entirely, long enough to be read"),
        Err(BackupError::NotABackup)
    ));
    // A backup of a newer schema, with a checksum that matches.
    let mut newer = bytes[..bytes.len() - 32].to_vec();
    let at = MAGIC.len() + 1;
    let schema = livret::store::migrations::current() + 1;
    newer[at..at + 4].copy_from_slice(&schema.to_be_bytes());
    let digest = Sha256::digest(&newer);
    newer.extend_from_slice(&digest);
    let refused = Backup::read(&newer).err().unwrap();
    assert!(
        matches!(refused, BackupError::NewerSchema { .. }),
        "{refused}"
    );
    assert!(refused.to_string().contains("plus récente"));
    assert!(!target.exists(), "a refused backup wrote something");

    // The command says so in French and writes nothing.
    let file = dir.path().join("abîmée.sauvegarde");
    std::fs::write(&file, &damaged).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_livret"))
        .args(["restore", "--from"])
        .arg(&file)
        .arg("--data")
        .arg(&target)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("somme de contrôle"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!target.exists());
}

#[tokio::test]
async fn data_of_the_previous_schema_is_backed_up_then_migrated() {
    use livret::store::codec::encode;
    use livret::store::keys;
    let dir = tempfile::tempdir().unwrap();
    let w = World::build(today(), fixed_clock().zone());
    let class = w.seed.classes[0].clone();
    // Schema 1: classes without the class-name index that migration 2 adds.
    {
        let db = raw_sled(dir.path());
        let meta = db.open_tree("meta").unwrap();
        meta.insert("schema_version", &1u32.to_be_bytes()).unwrap();
        let data = db.open_tree("data").unwrap();
        data.insert(
            keys::key(&[keys::CLASS, class.id.as_bytes()]),
            encode(&class).unwrap(),
        )
        .unwrap();
        db.flush().unwrap();
    }
    let store = open_retrying(dir.path());
    assert_eq!(
        store.schema_version().unwrap(),
        livret::store::migrations::current()
    );
    assert_eq!(store.classes().unwrap(), vec![class.clone()]);
    // The automatic backup, taken before the migration, holds the schema-1 data.
    let auto: Vec<_> = std::fs::read_dir(dir.path().join("sauvegardes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(auto.len(), 1, "{auto:?}");
    let name = auto[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("avant-migration-schema-1-"), "{name}");
    let backup = Backup::read(&std::fs::read(&auto[0]).unwrap()).unwrap();
    assert_eq!(backup.schema, 1);
    assert!(backup.summary().counts.contains(&("classes", 1)));
    // Restoring it gives the old data back, which migrates again when opened.
    let again = tempfile::tempdir().unwrap();
    backup
        .restore(&again.path().join("d"), false, fixed_clock().now())
        .unwrap();
    drop(store);
    let reopened = open_retrying(&again.path().join("d"));
    assert_eq!(reopened.classes().unwrap(), vec![class]);

    // Opening fresh data takes no backup.
    let fresh = tempfile::tempdir().unwrap();
    drop(open_retrying(fresh.path()));
    assert!(!fresh.path().join("sauvegardes").exists());
}

/// `livret serve` on `data` (with the demo school when `demo`), once its control
/// socket answers.
fn start_service(data: &std::path::Path, demo: bool) -> std::process::Child {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["serve", "--listen", &listen];
    if demo {
        args.push("--demo");
    }
    let service = std::process::Command::new(env!("CARGO_BIN_EXE_livret"))
        .args(&args)
        .arg("--data")
        .arg(data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::os::unix::net::UnixStream::connect(data.join(livret::backup::SOCKET_NAME)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the service did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Let the demo school be written (it comes after the socket).
    std::thread::sleep(std::time::Duration::from_millis(500));
    service
}

fn stop(mut service: std::process::Child) {
    let _ = service.kill();
    let _ = service.wait();
}

#[tokio::test]
async fn the_backup_command_asks_the_running_service_and_restore_reports_counts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_livret"))
            .args(args)
            .output()
            .unwrap()
    };
    let backup = |to: &std::path::Path| {
        run(&[
            "backup".as_ref(),
            "--data".as_ref(),
            data.as_os_str(),
            "--to".as_ref(),
            to.as_os_str(),
        ])
    };

    // A backup the command could not write is not recorded as the last good one.
    let service = start_service(&data, true);
    let nowhere = dir.path().join("absent").join("x.sauvegarde");
    let out = backup(&nowhere);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("impossible de créer"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stop(service);
    assert_eq!(open_retrying(&data).last_backup().unwrap(), None);

    // A written one is, with its path.
    let service = start_service(&data, false);
    let file = dir.path().join("nuit.sauvegarde");
    let out = backup(&file);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("élèves : 4"), "{stdout}");
    // The service records it once the command says it wrote the file.
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop(service);
    let recorded = open_retrying(&data).last_backup().unwrap().unwrap();
    assert_eq!(recorded.file, file.display().to_string());
    assert!(!dir.path().join("nuit.sauvegarde.partiel").exists());

    // Not as another user than the data's owner (files it made would lock the
    // service out), and not on a directory without a Livret store.
    {
        use std::os::unix::fs::MetadataExt;
        let owner = std::fs::metadata(&data).unwrap().uid();
        // Giving the directory away needs root: CI runs the tests as root; a
        // developer's own account checks the rest.
        match std::os::unix::fs::chown(&data, Some(owner + 4242), None) {
            Ok(()) => {
                let out = backup(&dir.path().join("autre.sauvegarde"));
                std::os::unix::fs::chown(&data, Some(owner), None).unwrap();
                assert!(!out.status.success());
                assert!(
                    String::from_utf8_lossy(&out.stderr)
                        .contains("appartient à un autre utilisateur"),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Err(e) => {
                assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e}");
                assert!(std::env::var("CI").is_err(), "CI runs the tests as root");
            }
        }
        let empty = dir.path().join("vide");
        std::fs::create_dir(&empty).unwrap();
        let out = run(&[
            "backup".as_ref(),
            "--data".as_ref(),
            empty.as_os_str(),
            "--to".as_ref(),
            dir.path().join("vide.sauvegarde").as_os_str(),
        ]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("aucune base Livret"));
        assert_eq!(
            std::fs::read_dir(&empty).unwrap().count(),
            0,
            "nothing created"
        );
    }

    // Onto the (now stopped) service's data: refused without --force.
    let out = run(&[
        "restore".as_ref(),
        "--from".as_ref(),
        file.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    // Into a new directory: the counts of what was restored.
    let fresh = dir.path().join("neuf");
    let out = run(&[
        "restore".as_ref(),
        "--from".as_ref(),
        file.as_os_str(),
        "--data".as_ref(),
        fresh.as_os_str(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("élèves : 4") && stdout.contains("PFMP : 4"),
        "{stdout}"
    );
}
