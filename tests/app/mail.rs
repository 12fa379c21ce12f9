//! The e-mail path of the tutor access (issue 3): SMTP to a real server on loopback
//! (`smtp_sink`), the outbox when there is no SMTP or it fails, the "Messages à
//! remettre" pages and the printable letter with its QR code.

use crate::smtp_sink::SmtpSink;
use crate::support::*;
use livret::domain::*;
use livret::mail::{Delivery, Mail, MailAbout, deliver, tutor_access_mail};
use std::time::{Duration, Instant};

/// The date the tutor's access ends, as the lead's issuing code would pass it.
fn valid_until(app: &App) -> jiff::civil::Date {
    app.clock
        .today()
        .checked_add(jiff::Span::new().days(183))
        .unwrap()
}

/// Issues Hélène's personal link and builds her tutor-access e-mail about Maël.
async fn helene_mail(app: &App) -> (Mail, MailAbout, String) {
    let secret =
        livret::auth::issue_link(&app.state.store, &app.clock, Subject::Tutor(app.w.helene))
            .await
            .unwrap();
    let link = format!("{}/acces/{secret}", app.base);
    let store = &app.state.store;
    let school = store.school().unwrap().unwrap();
    let student = store.student(app.w.mael).unwrap().unwrap();
    let tutor = store.tutor(app.w.helene).unwrap().unwrap();
    let referent = store.teacher(app.w.referent).unwrap().unwrap();
    let mail = tutor_access_mail(
        &school,
        &student,
        &tutor,
        &referent,
        &link,
        valid_until(app),
    );
    let about = MailAbout {
        tutor: Some(app.w.helene),
        placement: Some(app.w.p_mael),
        link: Some(link.clone()),
    };
    (mail, about, link)
}

/// The `Message-ID` header of a raw message.
fn parsed_message_id(raw: &str) -> String {
    raw.lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap_or_else(|| panic!("no Message-ID:\n{raw}"))
        .trim()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_delivers_the_tutor_mail_and_its_link_opens_the_tutor_space() {
    let sink = SmtpSink::start().await;
    let app = App::start_with_smtp(&sink.url()).await;
    let (mail, about, link) = helene_mail(&app).await;
    let tutor_email = mail.to.clone();
    assert_eq!(tutor_email, "helene.caille@egv-demo.invalid");
    let delivery = deliver(&app.state, mail, about).await.unwrap();
    assert_eq!(delivery, Delivery::Sent);
    assert!(app.state.store.outbox().unwrap().is_empty());

    let got = sink.wait_for(1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, vec![tutor_email.clone()]);
    assert_eq!(got[0].from, "livret@lycee.example");
    let raw = String::from_utf8_lossy(&got[0].data).to_string();
    assert!(raw.contains("multipart/alternative"), "{raw}");
    let message_id = parsed_message_id(&raw);
    assert!(message_id.ends_with("@lycee.example>"), "{raw}");
    let parsed = mail_parser::MessageParser::default()
        .parse(&got[0].data)
        .expect("a readable message");
    let to = parsed.to().and_then(|a| a.first()).unwrap();
    assert_eq!(to.address(), Some(tutor_email.as_str()));
    assert_eq!(to.name(), Some("Hélène Caillé"));
    assert_eq!(
        parsed.from().and_then(|a| a.first()).and_then(|a| a.name()),
        Some("Lycée des Tests")
    );
    let subject = parsed.subject().unwrap();
    assert!(subject.contains("Maël Ferrand"), "{subject}");
    // The Date header comes from the app's clock, not the system's.
    assert_eq!(
        parsed.date().unwrap().to_timestamp(),
        NOW.parse::<jiff::Timestamp>().unwrap().as_second()
    );
    assert_eq!(parsed.text_body.len(), 1, "one text alternative");
    assert_eq!(parsed.html_body.len(), 1, "one HTML alternative");
    let text = parsed.body_text(0).unwrap().to_string();
    let html = parsed.body_html(0).unwrap().to_string();
    assert_ne!(text, html);
    let school = app.state.store.school().unwrap().unwrap().name;
    let until = text::date_long(valid_until(&app));
    for body in [&text, &html] {
        for needle in [
            link.as_str(),
            "Maël FERRAND",
            school.as_str(),
            "six mois",
            until.as_str(),
            "Sébastien Roussel",
        ] {
            assert!(
                unescape(body).contains(needle),
                "{needle:?} missing from:\n{body}"
            );
        }
    }
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");

    // The link read from the received e-mail opens Hélène's space.
    let from_mail = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("http://") && l.contains("/acces/"))
        .expect("the link stands on its own line")
        .to_string();
    let mut tutor = app.browser();
    tutor.sign_in_with(&from_mail).await;
    tutor
        .get("/")
        .await
        .expect(200)
        .shows(&["Maël Ferrand"])
        .hides(&["Éloïse"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_the_mail_waits_in_the_outbox_for_the_referent_and_coordinators() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    coordinator
        .get("/")
        .await
        .expect(200)
        .hides(&["Messages à remettre"]);
    let (mail, about, link) = helene_mail(&app).await;
    let subject = mail.subject.clone();
    let Delivery::Outbox { id, reason } = deliver(&app.state, mail, about).await.unwrap() else {
        panic!("no SMTP: the message must go to the outbox");
    };
    assert!(reason.contains("aucun serveur"), "{reason}");
    let stored = app.state.store.outbox().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, id);
    assert_eq!(stored[0].created, NOW.parse::<jiff::Timestamp>().unwrap());
    let show = format!("/messages/{id}");
    let letter = format!("/messages/{id}/lettre");
    let handed = format!("/messages/{id}/remis");

    // The coordinator and Maël's referent see it, from their home page.
    let referent = app.teacher(app.w.referent).await;
    for who in [&coordinator, &referent] {
        who.get("/")
            .await
            .expect(200)
            .shows(&["Messages à remettre (1)"]);
        who.get("/messages").await.expect(200).shows(&[
            "Hélène Caillé",
            &subject,
            "Maël Ferrand",
            "aucun serveur",
            "11/03/2026 à 10:30",
        ]);
        let page = who.get(&show).await;
        page.expect(200)
            .shows(&["helene.caille@egv-demo.invalid", "Imprimer la lettre"]);
        assert_eq!(page.field("link").as_deref(), Some(link.as_str()));
        assert!(
            page.body
                .contains("href=\"mailto:helene.caille%40egv-demo.invalid?subject=")
        );
        let printed = who.get(&letter).await;
        printed.expect(200).shows(&[
            "12 rue de l'Exemple",
            "Nantes, le 11 mars 2026",
            "Hélène Caillé",
            "Électricité Générale du Val",
            "8 avenue des Artisans",
            "Maël FERRAND",
            "Objet : Votre accès au suivi de stage",
            &link,
            "Scannez ce code",
        ]);
        assert_eq!(printed.body.matches("<svg").count(), 1, "one QR code");
        assert!(
            printed.body.contains("<path d=\"M"),
            "the QR code has modules"
        );
        // The link is printed once, beside its QR code, not also as a paragraph.
        assert_eq!(printed.body.matches(link.as_str()).count(), 1);
    }

    // Another referent, the tutor and the student see nothing of it.
    let odile = app.teacher(app.w.odile).await;
    odile
        .get("/")
        .await
        .expect(200)
        .hides(&["Messages à remettre"]);
    odile
        .get("/messages")
        .await
        .expect(200)
        .hides(&["Hélène Caillé", &subject]);
    for path in [&show, &letter] {
        odile.get(path).await.expect(404);
    }
    let odile_csrf = odile.csrf("/messages").await;
    odile
        .post(&handed, &[("_csrf", &odile_csrf)])
        .await
        .expect(404);
    for who in [app.tutor(app.w.helene).await, app.student(app.w.mael).await] {
        for path in ["/messages", show.as_str(), letter.as_str()] {
            who.get(path).await.expect(404);
        }
    }
    assert_eq!(app.state.store.outbox().unwrap().len(), 1);

    // "Remis" needs the form's token, then deletes the message (and its link).
    coordinator
        .post(&handed, &[("_csrf", "faux")])
        .await
        .expect(403);
    assert_eq!(app.state.store.outbox().unwrap().len(), 1);
    let csrf = coordinator.csrf(&show).await;
    coordinator
        .post(&handed, &[("_csrf", &csrf)])
        .await
        .expect_redirect("/messages");
    assert!(app.state.store.outbox().unwrap().is_empty());
    coordinator
        .get("/messages")
        .await
        .expect(200)
        .shows(&["Message marqué comme remis", "Aucun message à remettre"])
        .hides(&[&subject]);
    coordinator.get(&show).await.expect(404);
    referent
        .get("/")
        .await
        .expect(200)
        .hides(&["Messages à remettre"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_smtp_connection_puts_the_mail_in_the_outbox_at_once() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = App::start_with_smtp(&format!("smtp://127.0.0.1:{closed}")).await;
    let (mail, about, link) = helene_mail(&app).await;
    let started = Instant::now();
    let delivery = deliver(&app.state, mail, about).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered in {:?}",
        started.elapsed()
    );
    let Delivery::Outbox { id, reason } = delivery else {
        panic!("a refused connection must put the message in the outbox");
    };
    assert!(reason.contains("l'envoi a échoué"), "{reason}");
    assert!(reason.contains(&format!("127.0.0.1:{closed}")), "{reason}");
    assert!(reason.contains("est injoignable"), "{reason}");
    let stored = app.state.store.outbox_message(id).unwrap().unwrap();
    assert_eq!(stored.link.as_deref(), Some(link.as_str()));
    assert_eq!(stored.reason, reason);
    let coordinator = app.coordinator().await;
    coordinator
        .get("/messages")
        .await
        .expect(200)
        .shows(&["l'envoi a échoué"]);

    // A recipient without an address also waits in the outbox, saying why.
    let (mut mail, about, _) = helene_mail(&app).await;
    mail.to = String::new();
    let Delivery::Outbox { reason, .. } = deliver(&app.state, mail, about).await.unwrap() else {
        panic!("no address: outbox");
    };
    assert!(reason.contains("pas d'adresse e-mail"), "{reason}");
    assert_eq!(app.state.store.outbox().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_link_supersedes_the_tutor_messages_waiting_in_the_outbox() {
    let app = App::start().await;
    let (mail, about, _) = helene_mail(&app).await;
    deliver(&app.state, mail.clone(), about.clone())
        .await
        .unwrap();
    deliver(&app.state, mail.clone(), about).await.unwrap();
    let other = MailAbout {
        tutor: Some(app.w.gregoire),
        placement: Some(app.w.p_yanis),
        link: Some(format!("{}/acces/autre", app.base)),
    };
    let Delivery::Outbox { id: kept, .. } = deliver(&app.state, mail, other).await.unwrap() else {
        panic!("outbox expected");
    };
    assert_eq!(app.state.store.outbox().unwrap().len(), 3);
    let removed = app
        .state
        .store
        .delete_outbox_of_tutor(app.w.helene)
        .await
        .unwrap();
    assert_eq!(removed, 2);
    let left = app.state.store.outbox().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, kept);
    assert!(app.state.store.outbox_message(kept).unwrap().is_some());
    // Gregoire's message is about Yanis, whom Odile refers: she sees it, Maël's
    // referent does not.
    app.teacher(app.w.odile)
        .await
        .get(&format!("/messages/{kept}"))
        .await
        .expect(200);
    app.teacher(app.w.referent)
        .await
        .get(&format!("/messages/{kept}"))
        .await
        .expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_mail_settings_stop_the_start_without_showing_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let addr = "127.0.0.1:9".parse().unwrap();
    for (url, from) in [
        ("pas une url", Some("livret@lycee.example")),
        (
            "imap://u:s3cret@mail.example.org",
            Some("livret@lycee.example"),
        ),
        ("smtps://u:s3cret@mail.example.org", None),
    ] {
        let mut config = config(dir.path(), addr, "http://localhost:9");
        config.smtp_url = Some(livret::config::SmtpUrl::new(url));
        config.mail_from = from.map(str::to_string);
        let Err(e) = livret::open(config, fixed_clock()).await else {
            panic!("{url}: the start must fail");
        };
        let message = e.to_string();
        assert!(matches!(e, livret::Error::Startup(_)), "{url}: {message}");
        assert!(!message.contains("s3cret"), "{message}");
        assert!(message.contains("LIVRET_"), "{message}");
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written to the data directory"
    );
}

#[test]
fn the_binary_refuses_a_bad_smtp_url_in_one_french_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_livret"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("LIVRET_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .env("LIVRET_SMTP_URL", "smtps://moi:s3cret@smtp.example.org")
        .env("RUST_LOG", "off")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("livret : "), "{stderr}");
    assert!(stderr.contains("LIVRET_MAIL_FROM"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
    assert!(out.stdout.is_empty(), "no setup link printed");
}

/// A loopback SMTP server that offers AUTH PLAIN and LOGIN and answers every AUTH
/// with `auth_reply` (one line, CRLF added); returns its port.
async fn smtp_refusing_auth(auth_reply: &'static str) -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split(' ').next().unwrap_or("").to_uppercase();
                    let reply = match verb.as_str() {
                        "EHLO" => "250-test\r\n250 AUTH PLAIN LOGIN\r\n".to_string(),
                        "AUTH" => format!("{auth_reply}\r\n"),
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => "250 ok\r\n".to_string(),
                    };
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_login_is_told_apart_from_an_unreachable_server() {
    // The server refuses the user name and password (RFC 4954: 535).
    let port = smtp_refusing_auth("535 5.7.8 Authentication credentials invalid").await;
    let app = App::start_with_smtp(&format!("smtp://livret:s3cret-pw@127.0.0.1:{port}")).await;
    let (mail, about, _) = helene_mail(&app).await;
    let Delivery::Outbox { reason, .. } = deliver(&app.state, mail, about).await.unwrap() else {
        panic!("a refused login must put the message in the outbox");
    };
    assert!(
        reason.contains("a refusé l'identification de Livret (code 535)"),
        "{reason}"
    );
    assert!(!reason.contains("injoignable"), "{reason}");
    assert!(!reason.contains("s3cret"), "{reason}");
    app.coordinator()
        .await
        .get("/messages")
        .await
        .expect(200)
        .shows(&["a refusé l'identification"])
        .hides(&["injoignable", "s3cret"]);

    // A server offering no authentication to a URL that carries a password (lettre:
    // "No compatible authentication mechanism was found").
    let sink = SmtpSink::start().await;
    let url = sink.url().replace("smtp://", "smtp://livret:s3cret-pw@");
    let app = App::start_with_smtp(&url).await;
    let (mail, about, _) = helene_mail(&app).await;
    let Delivery::Outbox { reason, .. } = deliver(&app.state, mail, about).await.unwrap() else {
        panic!("no usable authentication: outbox");
    };
    assert!(
        reason.contains("ne propose pas d'identification utilisable"),
        "{reason}"
    );
    assert!(!reason.contains("injoignable"), "{reason}");
    assert!(!reason.contains("s3cret"), "{reason}");
    assert!(sink.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subject_elides_de_before_a_vowel() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let p = app.w.p_eloise;
    let csrf = coordinator.csrf(&stage(p)).await;
    coordinator
        .post(&format!("{}/acces-tuteur", stage(p)), &[("_csrf", &csrf)])
        .await
        .expect(303);
    let outbox = app.state.store.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert!(
        outbox[0]
            .subject
            .starts_with("Votre accès au suivi de stage d'Éloïse N'Diaye — "),
        "{}",
        outbox[0].subject
    );
    coordinator
        .get("/messages")
        .await
        .expect(200)
        .shows(&["suivi de stage d'Éloïse N'Diaye"])
        .hides(&["de Éloïse"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_field_is_tall_enough_for_the_whole_link_on_a_phone() {
    let app = App::start().await;
    let (mail, mut about, _) = helene_mail(&app).await;
    // A school's real address is longer than the tests' loopback one.
    let link = format!(
        "https://livret.lycee-professionnel-jules-verne.ac-nantes.example/acces/{}",
        "A".repeat(43)
    );
    about.link = Some(link.clone());
    let Delivery::Outbox { id, .. } = deliver(&app.state, mail, about).await.unwrap() else {
        panic!("outbox expected");
    };
    let page = app
        .coordinator()
        .await
        .get(&format!("/messages/{id}"))
        .await;
    page.expect(200);
    assert_eq!(page.field("link").as_deref(), Some(link.as_str()));
    let tag = page
        .body
        .split("<textarea")
        .nth(1)
        .and_then(|t| t.split('>').next())
        .expect("the link field");
    let rows: usize = tag
        .split("rows=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("no rows in {tag}"));
    // About 30 characters of the field's monospace font fit a row on a 360 px phone.
    assert!(
        rows * 30 >= link.chars().count(),
        "{rows} rows for {} characters",
        link.chars().count()
    );
}
