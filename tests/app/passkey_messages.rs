//! Issue 7 tester's findings (client side, messages, start-up): a tutor link's passkey
//! endpoints answer in JSON with their own French messages, even when the global guard
//! refuses (cross-site, oversized); the shared 413 text is generic; the sign-in page
//! names Livret's public address for the script.

use crate::support::*;
use serde_json::Value;

const JSON: &str = "application/json";
const SYNC: (&str, &str) = ("x-livret-sync", "1");

/// The answer's JSON `message`, after checking that the answer is JSON with `code`.
fn json_message(page: &Page, code: &str) -> String {
    assert_eq!(
        page.header("content-type"),
        Some(JSON),
        "{} {}: {}",
        page.method,
        page.url,
        page.body
    );
    let value: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(value["error"], Value::from(code), "{}", page.body);
    value["message"].as_str().unwrap().to_string()
}

/// Texts of the offline sync that must not reach a tutor confirming their link.
fn assert_own_text(message: &str) {
    for borrowed in [
        "retenté",
        "raccourcissez",
        "champs du formulaire",
        "rien n'a été enregistré",
    ] {
        assert!(!message.contains(borrowed), "{message}");
    }
}

#[tokio::test]
async fn tutor_link_passkey_start_reads_its_body_as_json() {
    let app = App::start().await;
    let b = app.browser();
    let page = b
        .post_body("/acces/inconnu/cle", JSON, "pas du JSON", &[SYNC])
        .await;
    page.expect(400);
    let message = json_message(&page, "bad-request");
    assert!(message.contains("clé d'accès"), "{message}");
    assert_own_text(&message);
    // `{}` is read, then the unknown link refused as before.
    let page = b.post_body("/acces/inconnu/cle", JSON, "{}", &[SYNC]).await;
    page.expect(404);
    json_message(&page, "link");
}

#[tokio::test]
async fn tutor_link_passkey_refusals_of_the_guard_are_json() {
    let app = App::start().await;
    let b = app.browser();
    for path in ["/acces/inconnu/cle", "/acces/inconnu/cle/fin"] {
        // Beyond the global body limit (64 KiB): refused before the handler.
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(70 * 1024));
        let page = b.post_body(path, JSON, &big, &[SYNC]).await;
        page.expect(413);
        let message = json_message(&page, "too-large");
        assert!(message.contains("clé d'accès"), "{message}");
        assert_own_text(&message);
        // From another site.
        let page = b
            .post_body(
                path,
                JSON,
                "{}",
                &[
                    SYNC,
                    ("origin", "https://evil.example"),
                    ("sec-fetch-site", "cross-site"),
                ],
            )
            .await;
        page.expect(403);
        let message = json_message(&page, "forbidden");
        assert!(message.contains("lien"), "{message}");
    }
    // Other pages under /acces/ keep their HTML error page.
    let page = b
        .post_body(
            "/acces/inconnu",
            "application/x-www-form-urlencoded",
            "a=b",
            &[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        )
        .await;
    page.expect(403);
    assert!(
        page.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
}

#[tokio::test]
async fn tutor_link_passkey_rate_limit_has_its_own_message() {
    let app = App::start().await;
    let b = app.browser();
    let mut refused = None;
    for _ in 0..40 {
        let page = b.post_body("/acces/inconnu/cle", JSON, "{}", &[SYNC]).await;
        if page.status == 429 {
            refused = Some(page);
            break;
        }
    }
    let page = refused.expect("the link's rate limit answers 429");
    assert!(page.header("retry-after").is_some());
    let message = json_message(&page, "too-many-requests");
    assert!(message.contains("patientez"), "{message}");
    assert_own_text(&message);
}

#[tokio::test]
async fn oversized_sign_in_start_does_not_speak_of_text() {
    let app = App::start().await;
    let b = app.browser();
    let big = format!("{{\"email\":\"{}\"}}", "a".repeat(70 * 1024));
    let page = b.post_body("/api/connexion", JSON, &big, &[SYNC]).await;
    page.expect(413);
    let message = json_message(&page, "too-large");
    assert!(!message.contains("texte"), "{message}");
}

#[tokio::test]
async fn sign_in_page_names_the_public_address() {
    let app = App::start().await;
    let page = app.browser().get("/connexion").await;
    page.expect(200);
    let origin = &app.state.config.public_url;
    assert!(origin.starts_with("http://localhost:"), "{origin}");
    assert!(
        page.body
            .contains(&format!("data-public-origin=\"{origin}\"")),
        "{}",
        page.body
    );
}

/// An invitation for Maël (student), as the referent issues it: `/acces/<secret>`.
async fn invitation(app: &App) -> String {
    let secret = livret::auth::issue_invitation(
        &app.state.store,
        &app.clock,
        livret::domain::Subject::Student(app.w.mael),
    )
    .await
    .unwrap();
    format!("/acces/{secret}")
}

#[tokio::test]
async fn a_used_invitation_says_it_works_once_and_where_to_sign_in() {
    let app = App::start().await;
    let link = invitation(&app).await;
    let mut b = app.browser();
    b.open_invitation(&link).await;
    // Used up (deleted): the generic page, which explains invitations.
    let again = app.browser().get(&link).await;
    again
        .expect(404)
        .shows(&[
            "Lien non valable",
            "ne sert qu'une fois",
            "7 jours",
            "Se connecter",
        ])
        .hides(&["Ouvrir mon espace", "a expiré"]);
    assert!(again.body.contains("href=\"/connexion\""), "{}", again.body);
    // A string that never was a link gets the very same page.
    let unknown = app
        .browser()
        .get(&format!("/acces/{}", livret::auth::new_secret()))
        .await;
    unknown.expect(404);
    assert_eq!(unknown.text(), again.text());
}

#[tokio::test]
async fn an_expired_invitation_says_so() {
    let app = App::start().await;
    let link = invitation(&app).await;
    app.clock.advance(jiff::SignedDuration::from_hours(24 * 8));
    let page = app.browser().get(&link).await;
    page.expect(410)
        .shows(&[
            "Invitation expirée",
            "a expiré le",
            "ne sert qu'une fois",
            "Se connecter",
        ])
        .hides(&["Ouvrir mon espace"]);
    app.browser()
        .post(&link, &[])
        .await
        .expect(410)
        .shows(&["Invitation expirée"]);
}

/// `livret serve` with `args` (then `--data <fresh dir>`), without any `LIVRET_*`
/// variable from the environment.
fn serve_command(args: &[&str], dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_livret"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("LIVRET_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.arg("serve").args(args).arg("--data").arg(dir);
    cmd.stdin(std::process::Stdio::null());
    cmd
}

#[test]
fn an_ip_listen_address_without_public_url_names_listen_as_the_source() {
    let dir = tempfile::tempdir().unwrap();
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: the check comes first.
    let out = serve_command(&["--listen", "192.0.2.1:18669"], dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sans --public-url"), "{stderr}");
    assert!(stderr.contains("--listen 192.0.2.1:18669"), "{stderr}");
    assert!(stderr.contains("LIVRET_PUBLIC_URL"), "{stderr}");
    assert!(stderr.contains("nom de domaine"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn binding_an_address_this_machine_lacks_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = serve_command(
        &[
            "--listen",
            "192.0.2.1:18669",
            "--public-url",
            "http://localhost:18669",
        ],
        dir.path(),
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cette machine n'a pas l'adresse 192.0.2.1"),
        "{stderr}"
    );
    assert!(!stderr.contains("ce port"), "{stderr}");
    // A taken port says so.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let out = serve_command(&["--listen", &listen], dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("est déjà pris"), "{stderr}");
}

#[test]
fn listening_on_every_address_without_public_url_warns() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve_command(&["--listen", "0.0.0.0:0"], dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("--public-url") {
                let _ = tx.send(line);
                break;
            }
        }
    });
    let line = rx.recv_timeout(std::time::Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("a warning naming --public-url within 60 s");
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("http://localhost:"), "{line}");
    assert!(line.contains("autres postes"), "{line}");
}
