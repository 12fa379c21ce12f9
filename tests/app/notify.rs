//! The notification triggers (issue 6): what a person's devices really receive (the
//! loopback push service decrypts each message as the browser would and checks its
//! VAPID signature), the 15-minute grouping of "à relire", the end-of-placement
//! reminder, the opt-out, and the tutors' daily e-mail digest (SMTP sink).

use crate::push_service::{Device, PushService, Received, device, store_subscription, vapid_jwt};
use crate::smtp_sink::SmtpSink;
use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::SignedDuration;
use livret::domain::notify::{NotificationKind, NotificationSettings};
use livret::domain::push::parse_subscription;
use livret::domain::*;
use livret::notify::tick;
use serde_json::{Value, json};
use std::time::Duration;

/// Subscribes a fresh device at the service's endpoint `name` for `subject`.
async fn subscribe(app: &App, subject: Subject, service: &PushService, name: &str) -> Device {
    let d = device();
    store_subscription(app, subject, &service.endpoint(name), &d).await;
    d
}

/// Checks the VAPID JWT (ES256 signature, audience, every time claim from the app's
/// clock) and returns the public key `k` it was signed with.
fn check_vapid(r: &Received, app: &App) -> String {
    let (_, claims, k) = vapid_jwt(r);
    assert_eq!(claims["aud"], "http://127.0.0.1", "{claims}");
    let now = app.clock.now().as_second();
    assert_eq!(claims["iat"].as_i64(), Some(now), "{claims}");
    assert_eq!(claims["nbf"].as_i64(), Some(now), "{claims}");
    assert_eq!(claims["exp"].as_i64(), Some(now + 12 * 3600), "{claims}");
    k
}

/// Decrypts the body as the device would (payload at most 3000 bytes) and parses it.
fn open(r: &Received, d: &Device) -> Value {
    d.open(r)
}

/// What the device `name` received so far, decrypted.
fn payloads(service: &PushService, name: &str, d: &Device) -> Vec<Value> {
    service
        .received()
        .iter()
        .filter(|r| r.path == format!("/push/{name}"))
        .map(|r| open(r, d))
        .collect()
}

/// Lets queued pushes go out, then returns what the service holds.
async fn settle(service: &PushService) -> Vec<Received> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    service.received()
}

const SYNC: (&str, &str) = ("x-livret-sync", "1");

/// A new logbook entry through the sync API (the offline outbox); returns its id.
async fn entry(b: &Browser, p: PlacementId, date: &str, tasks: &str) -> String {
    let id = LogbookEntryId::new().to_string();
    entry_again(b, p, &id, date, tasks).await.expect(201);
    id
}

/// The entry `id` sent (again) through the sync API.
async fn entry_again(b: &Browser, p: PlacementId, id: &str, date: &str, tasks: &str) -> Page {
    let body = json!({"id": id, "date": date, "hours": "7", "tasks": tasks});
    b.post_body(
        &format!("/api/stages/{p}/journal"),
        "application/json",
        &body.to_string(),
        &[SYNC],
    )
    .await
}

/// Writes a sheet as a draft through the form, then sends it with « Envoyer au
/// tuteur »; returns its URL.
async fn send_sheet(b: &Browser, p: PlacementId, title: &str) -> String {
    let base = stage(p);
    let csrf = b.csrf(&format!("{base}/fiches/nouvelle")).await;
    let resp = b
        .post(
            &format!("{base}/fiches"),
            &[
                ("_csrf", &csrf),
                ("title", title),
                ("date", "2026-03-10"),
                ("work_done", "Pose et raccordement de prises 16 A."),
                ("competencies", "C4"),
                ("action", "draft"),
            ],
        )
        .await;
    resp.expect(303);
    let url = resp.location().to_string();
    b.post(&format!("{url}/envoyer"), &[("_csrf", &csrf)])
        .await
        .expect_redirect(&url);
    url
}

fn advance(app: &App, minutes: i64) {
    app.clock.advance(SignedDuration::from_mins(minutes));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_sent_within_15_minutes_make_one_updated_notification() {
    let app = App::start().await;
    let w = &app.w;
    let service = PushService::start(&[]).await;
    let phone = subscribe(&app, Subject::Tutor(w.helene), &service, "helene").await;
    let mael = app.student(w.mael).await;
    let p = w.p_mael;

    // A sheet sent: pushed at once.
    let sheet = send_sheet(&mael, p, "Mise en rayon").await;
    service.wait_for(1).await;
    let got = settle(&service).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("Topic"), "a-relire");
    check_vapid(&got[0], &app);
    assert_eq!(
        open(&got[0], &phone),
        json!({
            "title": "Activité à relire",
            "body": "1 activité de Maël à relire",
            "url": format!("{}/fiches", stage(p)),
            "tag": "a-relire",
        })
    );
    // Sending it again changes nothing (already sent).
    let csrf = mael.csrf(&sheet).await;
    mael.post(&format!("{sheet}/envoyer"), &[("_csrf", &csrf)])
        .await
        .expect(303);

    // Two entries within the window: no push now.
    advance(&app, 2);
    let first = entry(&mael, p, "2026-03-09", "Tirage de câbles").await;
    advance(&app, 3);
    entry(&mael, p, "2026-03-10", "Pose d'appareillage").await;
    // The outbox replays the first entry: not counted twice.
    entry_again(&mael, p, &first, "2026-03-09", "Tirage de câbles")
        .await
        .expect(200);
    tick(&app.state).await;
    assert_eq!(
        settle(&service).await.len(),
        1,
        "grouped: nothing before 15 min"
    );

    // At the window's end, one push with the count of then, same tag.
    advance(&app, 10);
    tick(&app.state).await;
    service.wait_for(2).await;
    let got = settle(&service).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].header("Topic"), "a-relire");
    check_vapid(&got[1], &app);
    assert_eq!(
        open(&got[1], &phone),
        json!({
            "title": "Activités à relire",
            "body": "3 activités de Maël à relire",
            "url": stage(p),
            "tag": "a-relire",
        })
    );
    // Once only.
    advance(&app, 30);
    tick(&app.state).await;
    assert_eq!(settle(&service).await.len(), 2);

    // Hélène opens her space: the count starts again.
    let helene = app.tutor(w.helene).await;
    helene.get("/").await.expect(200);
    entry(&mael, p, "2026-03-11", "Contrôles avant mise sous tension").await;
    service.wait_for(3).await;
    let third = payloads(&service, "helene", &phone).pop().unwrap();
    assert_eq!(third["body"], "1 activité de Maël à relire");
    assert_eq!(third["url"], format!("{}/journal", stage(p)));
    assert_eq!(settle(&service).await.len(), 3);

    // Opening the logbook sees that entry too: a later one counts 1 again, grouped.
    helene
        .get(&format!("{}/journal", stage(p)))
        .await
        .expect(200);
    advance(&app, 1);
    send_sheet(&mael, p, "Contrôle d'isolement").await;
    assert_eq!(settle(&service).await.len(), 3, "inside the window");
    advance(&app, 15);
    tick(&app.state).await;
    service.wait_for(4).await;
    let fourth = payloads(&service, "helene", &phone).pop().unwrap();
    assert_eq!(fourth["body"], "1 activité de Maël à relire");
    assert_eq!(fourth["url"], format!("{}/fiches", stage(p)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_students_are_named_and_the_grouping_is_kept_in_the_store() {
    let app = App::start().await;
    let w = &app.w;
    let service = PushService::start(&[]).await;
    let phone = subscribe(&app, Subject::Tutor(w.gregoire), &service, "greg").await;
    let eloise = app.student(w.eloise).await;
    let yanis = app.student(w.yanis).await;
    entry(&eloise, w.p_eloise, "2026-03-10", "Brassage d'une baie").await;
    service.wait_for(1).await;
    assert_eq!(
        payloads(&service, "greg", &phone)[0]["body"],
        "1 activité d'Éloïse à relire"
    );
    advance(&app, 5);
    send_sheet(&yanis, w.p_yanis, "Repérage des prises RJ45").await;
    entry(&eloise, w.p_eloise, "2026-03-11", "Tests de continuité").await;
    // The grouping state is in the store, not in memory: what is due survives.
    let stored = app.state.store.review_queue(w.gregoire).unwrap().unwrap();
    assert_eq!(stored.count(), 3);
    assert!(stored.due.is_some());
    advance(&app, 10);
    tick(&app.state).await;
    service.wait_for(2).await;
    let second = payloads(&service, "greg", &phone).pop().unwrap();
    assert_eq!(second["body"], "3 activités à relire (Éloïse, Yanis)");
    assert_eq!(second["url"], "/");
    assert_eq!(second["title"], "Activités à relire");
    assert_eq!(settle(&service).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutor_comment_reaches_the_student_and_the_filled_review_the_referent() {
    let app = App::start().await;
    let w = &app.w;
    let service = PushService::start(&[]).await;
    let mael_phone = subscribe(&app, Subject::Student(w.mael), &service, "mael").await;
    let referent_phone = subscribe(&app, Subject::Teacher(w.referent), &service, "referent").await;
    let helene = app.tutor(w.helene).await;
    let url = format!("{}/fiches/{}", stage(w.p_mael), w.sheet_submitted);
    let csrf = helene.csrf(&url).await;
    helene
        .post(
            &format!("{url}/avis"),
            &[("_csrf", &csrf), ("comment", "Bon travail.")],
        )
        .await
        .expect_redirect(&url);
    service.wait_for(1).await;
    let title = app.sheet(w.p_mael, w.sheet_submitted).title;
    let got = payloads(&service, "mael", &mael_phone);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["title"], "Fiche relue");
    assert_eq!(
        got[0]["body"],
        format!("Hélène a relu et commenté votre fiche « {title} »")
    );
    assert_eq!(got[0]["url"], url);
    // The student may open that page.
    app.student(w.mael).await.get(&url).await.expect(200);

    // "J'ai terminé" on the company review: the referent is told, once.
    let review_url = format!("{}/bilan-entreprise", stage(w.p_mael));
    let page = helene.get(&review_url).await;
    page.expect(200);
    let criteria = app
        .state
        .store
        .company_review(w.p_mael)
        .unwrap()
        .unwrap()
        .criteria;
    let names: Vec<String> = criteria.iter().map(|c| format!("result-{c}")).collect();
    let revision = page.field("revision").unwrap();
    let mut form: Vec<(&str, &str)> = vec![
        ("_csrf", &csrf),
        ("revision", &revision),
        ("comment", "Bon stage"),
        ("action", "ready"),
    ];
    for n in &names {
        form.push((n, "aa"));
    }
    helene.post(&review_url, &form).await.expect(303);
    service.wait_for(2).await;
    let got = payloads(&service, "referent", &referent_phone);
    assert!(got[0]["tag"].as_str().unwrap().starts_with("bilan-"));
    assert_eq!(
        got,
        [json!({
            "title": "Bilan entreprise rempli",
            "body": "Bilan entreprise de Maël rempli par son tuteur",
            "url": review_url,
            "tag": got[0]["tag"],
        })]
    );
    let referent = app.teacher(w.referent).await;
    referent.get(&review_url).await.expect(200);
    // Ready again (a second revision): still filled, no second message.
    let revision = helene.get(&review_url).await.field("revision").unwrap();
    form[1] = ("revision", &revision);
    helene.post(&review_url, &form).await.expect(303);
    assert_eq!(settle(&service).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_end_of_placement_reminder_goes_once_unless_the_review_is_filled() {
    let app = App::start().await;
    let w = &app.w;
    let service = PushService::start(&[]).await;
    let helene_phone = subscribe(&app, Subject::Tutor(w.helene), &service, "helene").await;
    let greg_phone = subscribe(&app, Subject::Tutor(w.gregoire), &service, "greg").await;
    let ref_phone = subscribe(&app, Subject::Teacher(w.referent), &service, "ref").await;
    let odile_phone = subscribe(&app, Subject::Teacher(w.odile), &service, "odile").await;

    // Maël's review (open) is filled by Hélène before the reminder would go.
    let helene = app.tutor(w.helene).await;
    let review_url = format!("{}/bilan-entreprise", stage(w.p_mael));
    let page = helene.get(&review_url).await;
    let (csrf, revision) = (page.csrf(), page.field("revision").unwrap());
    let criteria = app
        .state
        .store
        .company_review(w.p_mael)
        .unwrap()
        .unwrap()
        .criteria;
    let names: Vec<String> = criteria.iter().map(|c| format!("result-{c}")).collect();
    let mut form: Vec<(&str, &str)> = vec![
        ("_csrf", &csrf),
        ("revision", &revision),
        ("action", "ready"),
    ];
    for n in &names {
        form.push((n, "aa"));
    }
    helene.post(&review_url, &form).await.expect(303);
    service.wait_for(1).await; // "bilan rempli" to the referent

    // The placements end on Friday 27 March: on the 19th, 8 days before, nothing.
    tick(&app.state).await;
    advance(&app, 8 * 24 * 60);
    tick(&app.state).await;
    assert_eq!(settle(&service).await.len(), 1);

    // On the 20th, 7 days before: Éloïse's and Yanis's placements (no review yet).
    advance(&app, 24 * 60);
    tick(&app.state).await;
    service.wait_for(5).await;
    assert_eq!(settle(&service).await.len(), 5);
    assert!(payloads(&service, "helene", &helene_phone).is_empty());
    let greg = payloads(&service, "greg", &greg_phone);
    assert_eq!(greg.len(), 2);
    let eloise_evaluation = format!("{}/evaluation", stage(w.p_eloise));
    let for_eloise = greg
        .iter()
        .find(|v| v["url"] == eloise_evaluation.as_str())
        .expect("Grégoire is told about Éloïse");
    assert_eq!(for_eloise["title"], "Fin de stage proche");
    assert_eq!(
        for_eloise["body"],
        "La période d'Éloïse se termine le vendredi 27 mars 2026 : le bilan entreprise sera à remplir dès que l'enseignant référent l'aura préparé."
    );
    assert!(
        greg.iter()
            .any(|v| v["url"] == format!("{}/evaluation", stage(w.p_yanis)))
    );
    let referent = payloads(&service, "ref", &ref_phone);
    assert_eq!(referent.len(), 2, "the filled review, then Éloïse");
    assert_eq!(referent[1]["url"], eloise_evaluation);
    assert_eq!(
        referent[1]["body"],
        "La période d'Éloïse se termine le vendredi 27 mars 2026 et le bilan entreprise n'est pas encore préparé : choisissez ses critères."
    );
    let odile = payloads(&service, "odile", &odile_phone);
    assert_eq!(odile.len(), 1);
    assert!(odile[0]["body"].as_str().unwrap().contains("Yanis"));
    // The pages open for whom they are meant.
    app.tutor(w.gregoire)
        .await
        .get(&eloise_evaluation)
        .await
        .expect(200);
    app.teacher(w.referent)
        .await
        .get(&eloise_evaluation)
        .await
        .expect(200);

    // Never twice: later ticks, later days.
    tick(&app.state).await;
    advance(&app, 24 * 60);
    tick(&app.state).await;
    assert_eq!(settle(&service).await.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_turned_off_is_neither_pushed_nor_put_in_the_digest() {
    let sink = SmtpSink::start().await;
    let app = App::start_with_smtp(&sink.url()).await;
    let w = &app.w;
    let service = PushService::start(&[]).await;
    // Grégoire has a device, Hélène none; both turn "à relire" off.
    subscribe(&app, Subject::Tutor(w.gregoire), &service, "greg").await;
    for t in [w.gregoire, w.helene] {
        let settings = NotificationSettings::from_enabled(
            Subject::Tutor(t),
            &[NotificationKind::PlacementEnding],
        );
        app.state
            .store
            .put_notification_settings(&settings)
            .await
            .unwrap();
    }
    let eloise = app.student(w.eloise).await;
    entry(&eloise, w.p_eloise, "2026-03-10", "Brassage").await;
    let mael = app.student(w.mael).await;
    send_sheet(&mael, w.p_mael, "Mise en rayon").await;
    entry(&mael, w.p_mael, "2026-03-10", "Tirage").await;
    advance(&app, 20);
    tick(&app.state).await;
    assert!(settle(&service).await.is_empty());
    assert!(app.state.store.digests().unwrap().is_empty());
    // 17:05: no digest for Hélène.
    advance(&app, 6 * 60 + 15);
    tick(&app.state).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.received().is_empty(), "{:?}", sink.received());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tutor_without_a_device_gets_one_digest_a_day_at_17() {
    let sink = SmtpSink::start().await;
    let app = App::start_with_smtp(&sink.url()).await;
    let w = &app.w;
    let service = PushService::start(&[]).await;
    // Grégoire has a device (no digest for him); Hélène has none.
    let greg_phone = subscribe(&app, Subject::Tutor(w.gregoire), &service, "greg").await;
    let mael = app.student(w.mael).await;
    let sheet = send_sheet(&mael, w.p_mael, "Mise en rayon").await;
    entry(&mael, w.p_mael, "2026-03-10", "Tirage de câbles").await;
    let eloise = app.student(w.eloise).await;
    entry(&eloise, w.p_eloise, "2026-03-10", "Brassage").await;
    service.wait_for(1).await;
    assert_eq!(
        payloads(&service, "greg", &greg_phone)[0]["body"],
        "1 activité d'Éloïse à relire"
    );

    // Before 17:00, nothing.
    tick(&app.state).await;
    advance(&app, 6 * 60 + 25); // 16:55
    tick(&app.state).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sink.received().is_empty());

    advance(&app, 10); // 17:05
    tick(&app.state).await;
    let got = sink.wait_for(1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].to,
        vec!["helene.caille@egv-demo.invalid".to_string()]
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(&got[0].data)
        .unwrap();
    assert_eq!(
        parsed.subject(),
        Some("Livret : 2 activités de Maël à relire")
    );
    let text = parsed.body_text(0).unwrap().to_string();
    let html = parsed.body_html(0).unwrap().to_string();
    let school = app.state.store.school().unwrap().unwrap().name;
    for needle in [
        "Bonjour Hélène Caillé,",
        "2 activités de Maël à relire :",
        "Fiche activité « Mise en rayon » (Maël)",
        "Journal de bord du mardi 10 mars 2026 (Maël)",
        &format!("{}{sheet}", app.base),
        &format!("{}{}/journal#entree-", app.base, stage(w.p_mael)),
        "lien personnel",
        &format!("{}/notifications", app.base),
        &school,
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
    assert!(!text.contains("/acces/"), "no personal link:\n{text}");
    assert!(!text.contains("Éloïse"), "{text}");
    assert!(
        html.contains(&format!("href=\"{}{sheet}\"", app.base)),
        "{html}"
    );

    // Not twice the same day, even after a new event.
    entry(&mael, w.p_mael, "2026-03-11", "Contrôles").await;
    advance(&app, 60);
    tick(&app.state).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.received().len(), 1);

    // The next day at 17:00: only what came after the first digest.
    advance(&app, 23 * 60);
    tick(&app.state).await;
    let got = sink.wait_for(2).await;
    let parsed = mail_parser::MessageParser::default()
        .parse(&got[1].data)
        .unwrap();
    assert_eq!(
        parsed.subject(),
        Some("Livret : 1 activité de Maël à relire")
    );
    assert!(
        parsed
            .body_text(0)
            .unwrap()
            .contains("Journal de bord du mercredi 11 mars 2026")
    );

    // Seen before 17:00: nothing to send the day after.
    entry(&mael, w.p_mael, "2026-03-12", "Rangement").await;
    app.tutor(w.helene).await.get("/").await.expect(200);
    advance(&app, 24 * 60);
    tick(&app.state).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_vapid_rotation_notifications_are_signed_with_the_new_key() {
    let app = App::start().await;
    let w = &app.w;
    let service = PushService::start(&[]).await;
    let phone = subscribe(&app, Subject::Tutor(w.helene), &service, "helene").await;
    let old = app.state.store.vapid_keys().unwrap().unwrap();
    let mael = app.student(w.mael).await;
    entry(&mael, w.p_mael, "2026-03-10", "Tirage").await;
    let got = service.wait_for(1).await;
    assert_eq!(check_vapid(&got[0], &app), old.public_key_base64());

    let new = livret::push::rotate_vapid(&app.state.store, &app.clock)
        .await
        .unwrap();
    assert_ne!(new.id, old.id);
    advance(&app, 20);
    entry(&mael, w.p_mael, "2026-03-11", "Pose").await;
    let got = service.wait_for(2).await;
    assert_eq!(check_vapid(&got[1], &app), new.public_key_base64());
    assert_eq!(
        open(&got[1], &phone)["body"],
        "2 activités de Maël à relire"
    );
}

/// A push service that answers the first POST with `status` and `Retry-After: <value>`,
/// then 201; returns its endpoint and the arrival instants.
async fn busy_service(
    status: u16,
    value: &'static str,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<std::time::Instant>>>,
    tokio::task::JoinHandle<()>,
) {
    use poem::listener::{Acceptor, Listener, TcpListener};
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = arrivals.clone();
    let endpoint = poem::endpoint::make(move |_req: poem::Request| {
        let kept = kept.clone();
        async move {
            let mut a = kept.lock().unwrap();
            a.push(std::time::Instant::now());
            if a.len() == 1 {
                poem::Response::builder()
                    .status(poem::http::StatusCode::from_u16(status).unwrap())
                    .header("Retry-After", value)
                    .finish()
            } else {
                poem::Response::builder()
                    .status(poem::http::StatusCode::CREATED)
                    .finish()
            }
        }
    });
    let task = tokio::spawn(async move {
        let _ = poem::Server::new_with_acceptor(acceptor)
            .run(endpoint)
            .await;
    });
    (format!("http://{addr}/push/busy"), arrivals, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_push_service_s_retry_after_replaces_the_fixed_delay() {
    let app = App::start().await;
    // Fixed delays of 10 ms: a retry a second later can only come from Retry-After.
    let mut config = livret::push::PushConfig::from_config(&app.state.config);
    config.retry_delays = vec![Duration::from_millis(10); 3];
    let push =
        livret::push::Push::start(app.state.store.clone(), app.clock.clone(), config).unwrap();
    for (status, value) in [(429, "1"), (503, "Wed, 11 Mar 2026 09:30:01 GMT")] {
        let (endpoint, arrivals, task) = busy_service(status, value).await;
        let d = device();
        let json = format!(
            r#"{{"endpoint":"{endpoint}","keys":{{"p256dh":"{}","auth":"{}"}}}}"#,
            d.p256dh,
            URL_SAFE_NO_PAD.encode(d.auth)
        );
        let keys = app.state.store.vapid_keys().unwrap().unwrap();
        let sub = parse_subscription(&json).unwrap().into_subscription(
            Subject::Student(app.w.mael),
            &keys.id,
            app.clock.now(),
        );
        // Stored: before the retry the sender checks the device is still subscribed.
        app.state.store.put_push_subscription(&sub).await.unwrap();
        let n = livret::domain::push::Notification::new("T", "B", "/", "t");
        assert_eq!(
            push.send(&sub, &n).await,
            livret::push::Outcome::Delivered { attempts: 2 }
        );
        let a = arrivals.lock().unwrap().clone();
        assert_eq!(a.len(), 2);
        let waited = a[1] - a[0];
        assert!(
            waited >= Duration::from_millis(950) && waited < Duration::from_secs(5),
            "{status} {value}: waited {waited:?}"
        );
        task.abort();
    }
}

/// Issue 6, tester's finding 4: the student hears of the first reading of a sheet, and
/// of a comment that says something new; not of the same comment saved again, nor of
/// an emptied one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_student_is_told_of_a_first_reading_or_a_new_comment_only() {
    let app = App::start().await;
    let w = &app.w;
    let service = PushService::start(&[]).await;
    let phone = subscribe(&app, Subject::Student(w.mael), &service, "mael").await;
    let helene = app.tutor(w.helene).await;
    let url = format!("{}/fiches/{}", stage(w.p_mael), w.sheet_submitted);
    let csrf = helene.csrf(&url).await;
    let review = |comment: &'static str| {
        let (helene, url, csrf) = (&helene, &url, &csrf);
        async move {
            helene
                .post(
                    &format!("{url}/avis"),
                    &[("_csrf", csrf.as_str()), ("comment", comment)],
                )
                .await
                .expect_redirect(url);
        }
    };
    let title = app.sheet(w.p_mael, w.sheet_submitted).title;

    // Read without a comment: told.
    review("").await;
    service.wait_for(1).await;
    // Saved again as it is: nothing.
    review("").await;
    assert_eq!(settle(&service).await.len(), 1);
    // A comment: told.
    review("Bon travail.").await;
    service.wait_for(2).await;
    // The same comment again, twice: nothing (and nothing rewritten).
    let at = app
        .sheet(w.p_mael, w.sheet_submitted)
        .tutor_comment
        .unwrap()
        .at;
    advance(&app, 5);
    review("Bon travail.").await;
    review("Bon travail.").await;
    assert_eq!(settle(&service).await.len(), 2);
    assert_eq!(
        app.sheet(w.p_mael, w.sheet_submitted)
            .tutor_comment
            .unwrap()
            .at,
        at
    );
    // Emptied: saved, but not news.
    review("").await;
    assert_eq!(settle(&service).await.len(), 2);
    assert_eq!(
        app.sheet(w.p_mael, w.sheet_submitted)
            .tutor_comment
            .unwrap()
            .text,
        ""
    );
    // A new comment: told.
    review("Pensez à la conclusion.").await;
    service.wait_for(3).await;
    let got = payloads(&service, "mael", &phone);
    assert_eq!(settle(&service).await.len(), 3);
    let bodies: Vec<&str> = got.iter().map(|v| v["body"].as_str().unwrap()).collect();
    assert_eq!(
        bodies,
        [
            format!("Hélène a relu votre fiche « {title} »"),
            format!("Hélène a relu et commenté votre fiche « {title} »"),
            format!("Hélène a relu et commenté votre fiche « {title} »"),
        ]
    );
}

/// The placement `p` now followed by `tutor` (the coordination changed its tutor).
async fn change_tutor(app: &App, p: PlacementId, tutor: TutorId) {
    let mut placement = app.state.store.placement(p).unwrap().unwrap();
    placement.tutor = tutor;
    let change = livret::domain::placement_form::PlacementChange {
        placement,
        company: None,
        tutor: None,
    };
    app.state.store.update_placement(&change).await.unwrap();
}

/// Issue 6, tester's finding 5: after the placement's tutor was changed, what waited
/// for the former tutor reaches them neither by push at the window's end nor in the
/// digest (its pages are a 404 for them), and is not moved to the new tutor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_former_tutor_is_not_told_about_a_placement_that_is_no_longer_theirs() {
    let sink = SmtpSink::start().await;
    let app = App::start_with_smtp(&sink.url()).await;
    let w = &app.w;
    let service = PushService::start(&[]).await;
    let helene_phone = subscribe(&app, Subject::Tutor(w.helene), &service, "helene").await;
    subscribe(&app, Subject::Tutor(w.gregoire), &service, "greg").await;
    let mael = app.student(w.mael).await;
    entry(&mael, w.p_mael, "2026-03-09", "Tirage de câbles").await;
    service.wait_for(1).await;
    assert_eq!(
        payloads(&service, "helene", &helene_phone)[0]["body"],
        "1 activité de Maël à relire"
    );
    // Within the window: grouped, due at its end.
    advance(&app, 2);
    entry(&mael, w.p_mael, "2026-03-10", "Pose d'appareillage").await;
    let helene = app.tutor(w.helene).await;
    helene.get(&stage(w.p_mael)).await.expect(200);
    entry(&mael, w.p_mael, "2026-03-11", "Contrôles").await;
    assert!(
        app.state
            .store
            .review_queue(w.helene)
            .unwrap()
            .unwrap()
            .due
            .is_some()
    );

    change_tutor(&app, w.p_mael, w.gregoire).await;
    helene.get(&stage(w.p_mael)).await.expect(404);
    advance(&app, 15);
    tick(&app.state).await;
    assert_eq!(settle(&service).await.len(), 1, "nothing after the change");
    let queue = app.state.store.review_queue(w.helene).unwrap().unwrap();
    assert_eq!(queue.count(), 0, "dropped from Hélène's queue: {queue:?}");
    assert!(
        app.state
            .store
            .review_queue(w.gregoire)
            .unwrap()
            .is_none_or(|q| q.count() == 0),
        "not moved to Grégoire"
    );

    // The digest likewise: Grégoire, now without a device, gets Maël's new entry in
    // his digest; then the placement goes back to Hélène, who has none either.
    let greg_device = app
        .state
        .store
        .push_subscriptions_of(&Subject::Tutor(w.gregoire))
        .unwrap();
    app.state
        .store
        .delete_push_subscription(&greg_device[0].endpoint)
        .await
        .unwrap();
    entry(&mael, w.p_mael, "2026-03-08", "Rangement du chantier").await;
    assert_eq!(app.state.store.digests().unwrap().len(), 1);
    change_tutor(&app, w.p_mael, w.helene).await;
    advance(&app, 6 * 60 + 20); // 17:07
    tick(&app.state).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        sink.received().is_empty(),
        "Grégoire's digest named a placement that is no longer his"
    );
    assert!(app.state.store.digests().unwrap().is_empty());
    assert_eq!(settle(&service).await.len(), 1);
}

/// Issue 6, tester's finding 9: the end-of-placement reminder is "once" per recipient;
/// one who cannot receive it yet (no device, no digest) gets it at a later scan, until
/// the placement's last day; one who turned the kind off counts as told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_end_of_placement_reminder_waits_until_its_recipient_can_receive_it() {
    let app = App::start().await;
    let w = &app.w;
    let service = PushService::start(&[]).await;
    let greg_phone = subscribe(&app, Subject::Tutor(w.gregoire), &service, "greg").await;
    let odile = Subject::Teacher(w.odile);
    let only_filled =
        NotificationSettings::from_enabled(odile, &[NotificationKind::CompanyReviewFilled]);
    app.state
        .store
        .put_notification_settings(&only_filled)
        .await
        .unwrap();

    // Friday 20 March, 7 days before the end: Grégoire is told of Éloïse and Yanis;
    // the referent (no device) and Hélène (no device, no SMTP server) are not yet.
    advance(&app, 9 * 24 * 60);
    tick(&app.state).await;
    service.wait_for(2).await;
    tick(&app.state).await;
    assert_eq!(settle(&service).await.len(), 2);
    assert_eq!(payloads(&service, "greg", &greg_phone).len(), 2);

    // Two days later the referent subscribes a device, and Odile one (turning the kind
    // back on): at the next scan the referent gets Éloïse's and Maël's; Odile,
    // who had turned it off, counts as told.
    advance(&app, 2 * 24 * 60);
    let ref_phone = subscribe(&app, Subject::Teacher(w.referent), &service, "ref").await;
    subscribe(&app, odile, &service, "odile").await;
    app.state
        .store
        .put_notification_settings(&NotificationSettings::all_on(odile))
        .await
        .unwrap();
    tick(&app.state).await;
    service.wait_for(4).await;
    let referent = payloads(&service, "ref", &ref_phone);
    let mut urls: Vec<String> = referent
        .iter()
        .map(|v| v["url"].as_str().unwrap().to_string())
        .collect();
    urls.sort();
    let mut expected = vec![
        format!("{}/evaluation", stage(w.p_eloise)),
        format!("{}/evaluation", stage(w.p_mael)),
    ];
    expected.sort();
    assert_eq!(urls, expected);
    // Once: later scans add nothing, for anyone.
    advance(&app, 60);
    tick(&app.state).await;
    assert_eq!(settle(&service).await.len(), 4);

    // After the last day, a device subscribed too late gets nothing.
    advance(&app, 6 * 24 * 60); // Saturday 28 March
    subscribe(&app, Subject::Tutor(w.helene), &service, "helene").await;
    tick(&app.state).await;
    assert_eq!(settle(&service).await.len(), 4);
}
