//! Running a school's instance (issue 9): `/readyz`, JSON logs, and the coordinator's
//! « Sauvegardes et stockage » card.

use crate::support::*;
use livret::config::Operations;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn json(page: &Page) -> serde_json::Value {
    serde_json::from_str(&page.body).unwrap_or_else(|e| {
        panic!(
            "{} {}: not JSON ({e}): {}",
            page.method, page.url, page.body
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_says_ready_when_the_store_answers_and_the_disk_has_room() {
    let app = App::start().await;
    let page = app.browser().get("/readyz").await;
    page.expect(200);
    assert_eq!(page.header("content-type"), Some("application/json"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let body = json(&page);
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["checks"]["disk"], "ok", "{body}");
    assert_eq!(body["checks"]["store"], "ok", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_says_not_ready_below_the_free_space_threshold() {
    let app = App::start_with_ops(Operations {
        min_free_bytes: u64::MAX,
        ..Default::default()
    })
    .await;
    let b = app.browser();
    let page = b.get("/readyz").await;
    page.expect(503);
    assert_eq!(page.header("content-type"), Some("application/json"));
    let body = json(&page);
    assert_eq!(body["status"], "not_ready", "{body}");
    assert_eq!(body["reason"], "disk", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("espace disque insuffisant"), "{message}");
    // Sizes only: neither the data directory nor anything personal.
    let data = app.state.config.data.display().to_string();
    assert!(!page.body.contains(&data), "{}", page.body);
    assert!(!page.body.contains("Lhôte"), "{}", page.body);
    // Liveness is another question: the process still answers.
    b.get("/healthz").await.expect(200);
    // The coordinator's card says it too.
    app.coordinator()
        .await
        .get("/")
        .await
        .expect(200)
        .shows(&["il reste peu de place sur le disque"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_sees_the_last_backup_and_a_warning_when_it_is_old() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    coordinator.get("/").await.expect(200).shows(&[
        "Sauvegardes et stockage",
        "aucune sauvegarde n'a encore été faite",
        "configurer les sauvegardes automatiques",
        "Sauvegardes automatiques",
        "non configurées",
        "Taille des données",
        "Espace disque libre",
    ]);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("livret-test.sauvegarde");
    livret::backup::backup_to_file(&app.state.store, &file, app.clock.now())
        .await
        .unwrap();
    let home = coordinator.get("/").await;
    home.expect(200)
        .shows(&["Dernière sauvegarde", "mercredi 11 mars 2026 à 10 h 30"])
        .hides(&[
            "aucune sauvegarde n'a encore été faite",
            "la dernière sauvegarde date de",
        ]);
    // The file's size, as written.
    let bytes = std::fs::metadata(&file).unwrap().len();
    home.shows(&[&format!("({})", unescape(&livret::ops::size_fr(bytes)))]);

    // 25 hours later: still fresh enough (the nightly one may be a little late).
    app.clock.advance(jiff::SignedDuration::from_hours(25));
    coordinator
        .get("/")
        .await
        .hides(&["la dernière sauvegarde date de"]);
    // 27 hours after the backup: over the 26 hours of issue 9.
    app.clock.advance(jiff::SignedDuration::from_hours(2));
    coordinator.get("/").await.expect(200).shows(&[
        "Attention : la dernière sauvegarde date de 27 heures",
        "mercredi 11 mars 2026 à 10 h 30",
    ]);
    app.clock.advance(jiff::SignedDuration::from_hours(48));
    coordinator
        .get("/")
        .await
        .shows(&["la dernière sauvegarde date de 3 jours"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_says_how_many_nightly_backups_are_kept() {
    let backups = tempfile::tempdir().unwrap();
    let app = App::start_with_ops(Operations {
        backup_dir: Some(backups.path().to_path_buf()),
        backup_keep: 7,
        ..Default::default()
    })
    .await;
    app.coordinator()
        .await
        .get("/")
        .await
        .expect(200)
        .shows(&[
            "chaque nuit à 2 h 30 ; les 7 dernières sont gardées",
            "aucune sauvegarde n'a encore été faite",
            "La première est faite quelques minutes après le démarrage",
        ])
        .hides(&[
            "non configurées",
            "configurer les sauvegardes automatiques",
            "il reste peu de place",
        ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_coordinators_see_the_card() {
    let app = App::start().await;
    let w = &app.w;
    for who in [
        app.teacher(w.referent).await,
        app.student(w.mael).await,
        app.tutor(w.helene).await,
    ] {
        // Each one's own home (some lead straight to their placement), without the card.
        let mut home = who.get("/").await;
        if home.status == 303 {
            let to = home.location().to_string();
            home = who.get(&to).await;
        }
        home.expect(200)
            .hides(&["Sauvegardes et stockage", "Dernière sauvegarde"]);
    }
}

/// The binary, with no `LIVRET_*` variable from the environment running the tests.
fn livret() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_livret"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("LIVRET_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("RUST_LOG", "info,sled=warn").stdin(Stdio::null());
    cmd
}

/// Parses one stderr line as a log event: a JSON object with a timestamp, a level, a
/// target and a message.
#[track_caller]
fn event(line: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("stderr line is not JSON ({e}): {line:?}"));
    for key in ["timestamp", "level", "target", "message"] {
        assert!(v[key].is_string(), "no {key} in {line}");
    }
    v
}

#[test]
fn serve_logs_json_lines_with_log_format_json() {
    let data = tempfile::tempdir().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let mut child = livret()
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
        .arg("--data")
        .arg(data.path())
        .arg("--backup-dir")
        .arg(backups.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => {
                let done = line.contains("écoute");
                lines.push(line);
                if done {
                    break;
                }
            }
            Err(e) => {
                let _ = child.kill();
                panic!(
                    "no « écoute » line ({e}); stderr so far:\n{}",
                    lines.join("\n")
                );
            }
        }
    }
    // The installation link (a secret) goes to stdout only, never to the log.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let secret = first
        .trim()
        .rsplit("/installation/")
        .next()
        .filter(|s| s.len() > 10)
        .unwrap_or_else(|| panic!("no installation link on stdout: {first:?}"));

    let events: Vec<serde_json::Value> = lines.iter().map(|l| event(l)).collect();
    assert!(lines.iter().all(|l| !l.contains(secret)), "{lines:?}");
    let listening = events.last().unwrap();
    assert_eq!(listening["level"], "INFO", "{listening}");
    assert!(
        listening["message"]
            .as_str()
            .unwrap()
            .starts_with("Livret écoute sur 127.0.0.1:"),
        "{listening}"
    );
    // The nightly backups are announced with their directory and count as fields.
    let nightly = events
        .iter()
        .find(|e| e["message"] == "sauvegardes automatiques chaque nuit à 2 h 30")
        .unwrap_or_else(|| panic!("no nightly-backup line in {lines:?}"));
    assert_eq!(nightly["dir"], backups.path().display().to_string());
    assert_eq!(nightly["keep"], 14);
    assert!(
        !events
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("aucune sauvegarde")),
        "{lines:?}"
    );
}

#[test]
fn admin_commands_log_json_from_the_environment_variable_too() {
    let data = tempfile::tempdir().unwrap();
    let missing = data.path().join("absente.sauvegarde");
    let run = |json: bool| {
        let mut cmd = livret();
        if json {
            cmd.env("LIVRET_LOG_FORMAT", "json");
        }
        let out = cmd
            .arg("restore")
            .arg("--from")
            .arg(&missing)
            .arg("--data")
            .arg(data.path().join("donnees"))
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let stderr = run(true);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(!lines.is_empty());
    let events: Vec<serde_json::Value> = lines.iter().map(|l| event(l)).collect();
    assert!(
        events.iter().any(|e| e["level"] == "ERROR"
            && e["message"]
                .as_str()
                .unwrap()
                .contains("impossible de lire")),
        "{stderr}"
    );
    // Without it, the plain French line people read.
    let text = run(false);
    assert!(text.starts_with("livret : impossible de lire"), "{text}");
    assert!(serde_json::from_str::<serde_json::Value>(text.trim()).is_err());
}
