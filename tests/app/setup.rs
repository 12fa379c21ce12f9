//! First start (issue 3): the single-use, one-hour setup link that creates the school
//! and its first coordinator.

use crate::support::*;
use jiff::SignedDuration;

fn form<'a>(school: &'a str, uai: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("school_name", school),
        ("uai", uai),
        ("address", "1 rue de l'École"),
        ("city", "35000 Rennes"),
        ("first_name", "Anne"),
        ("last_name", "Le Roy"),
        ("email", "ddfpt@lycee.example"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setup_link_creates_the_school_once_and_signs_the_coordinator_in() {
    let app = App::start_empty().await;
    let secret = livret::auth::issue_setup_link(&app.state.store, &app.clock)
        .await
        .unwrap()
        .expect("an empty store gets a setup link");
    let url = format!("/installation/{secret}");
    let b = app.browser();

    // GET (and HEAD) show the form and change nothing.
    for _ in 0..3 {
        let page = b.get(&url).await;
        page.expect(200).shows(&["Installer Livret", "Code UAI"]);
        assert!(page.set_cookie("livret").is_none());
    }
    b.head(&url).await.expect(200);
    assert!(app.state.store.is_empty().unwrap());

    // An invalid form comes back with the input kept; nothing is written.
    let bad = b.post(&url, &form("Lycée Marie-Curie", "35001")).await;
    bad.expect(422)
        .shows(&["7 chiffres suivis d'une lettre", "Lycée Marie-Curie"]);
    assert!(app.state.store.is_empty().unwrap());

    // A valid one creates the school and the coordinator, signs them in and leads to
    // creating their passkey (issue 7).
    let done = b.post(&url, &form("Lycée Marie-Curie", "0350001a")).await;
    done.expect_redirect(AFTER_INVITATION);
    assert!(done.set_cookie("livret").is_some());
    let school = app.state.store.school().unwrap().unwrap();
    assert_eq!(school.uai, "0350001A");
    let coordinators = app.state.store.coordinators().unwrap();
    assert_eq!(coordinators.len(), 1);
    assert_eq!(coordinators[0].name.full(), "Anne Le Roy");
    b.get("/")
        .await
        .expect(200)
        .shows(&["Lycée Marie-Curie", "Anne Le Roy", "coordination"]);

    // Used up: the link is gone, for GET and POST, and no second school appears.
    app.browser().get(&url).await.expect(404);
    app.browser()
        .post(&url, &form("Autre lycée", "0350002B"))
        .await
        .expect(404);
    assert_eq!(
        app.state.store.school().unwrap().unwrap().name,
        "Lycée Marie-Curie"
    );
    assert_eq!(app.state.store.coordinators().unwrap().len(), 1);
    // And no new one can be issued once the school exists.
    assert!(
        livret::auth::issue_setup_link(&app.state.store, &app.clock)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setup_link_lasts_one_hour_and_a_new_one_revokes_the_old() {
    let app = App::start_empty().await;
    let store = &app.state.store;
    let first = livret::auth::issue_setup_link(store, &app.clock)
        .await
        .unwrap()
        .unwrap();
    app.clock.advance(SignedDuration::from_mins(59));
    app.browser()
        .get(&format!("/installation/{first}"))
        .await
        .expect(200);
    app.clock.advance(SignedDuration::from_mins(2));
    app.browser()
        .get(&format!("/installation/{first}"))
        .await
        .expect(404)
        .shows(&["livret admin setup-link"]);
    let second = livret::auth::issue_setup_link(store, &app.clock)
        .await
        .unwrap()
        .unwrap();
    let third = livret::auth::issue_setup_link(store, &app.clock)
        .await
        .unwrap()
        .unwrap();
    app.browser()
        .post(
            &format!("/installation/{second}"),
            &form("Lycée", "0350001A"),
        )
        .await
        .expect(404);
    assert!(store.is_empty().unwrap());
    app.browser()
        .post(
            &format!("/installation/{third}"),
            &form("Lycée", "0350001A"),
        )
        .await
        .expect(303);
    assert!(!store.is_empty().unwrap());
}

#[test]
fn serve_on_an_empty_store_prints_the_setup_link() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_livret"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut first);
        let _ = tx.send(first);
    });
    let line = rx.recv_timeout(std::time::Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("a line within 60 s");
    let url = line
        .strip_prefix("installation: http://localhost:")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    let (port, path) = url.trim().split_once('/').unwrap();
    assert!(
        port.parse::<u16>().unwrap() > 0,
        "the real port, not 0: {line}"
    );
    let secret = path.strip_prefix("installation/").unwrap();
    assert_eq!(secret.len(), 43, "256-bit secret: {line}");
}

#[test]
fn serve_refuses_a_public_url_on_an_ip_address_and_says_why() {
    // Passkeys (WebAuthn) need a domain as relying party id (issue 7).
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_livret"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("LIVRET_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "https://192.0.2.10",
            "--data",
        ])
        .arg(dir.path())
        .env("RUST_LOG", "off")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nom de domaine"), "{stderr}");
    assert!(stderr.contains("localhost"), "{stderr}");
    assert!(out.stdout.is_empty(), "no link printed");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written to the data directory"
    );
}
