//! Notifications, the people's side (issue 6): the "Notifications" page of each role
//! (kinds, devices, test notification) and the subscription API used by
//! `pwa/push.js` and the service worker.
//!
//! Devices are made with `ece` as a browser would make its keys, so the test
//! notification is decrypted as the device would decrypt it.

use crate::push_service::{Device, PushService, device};
use crate::support::{App, Browser, Page};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use livret::domain::Subject;
use livret::domain::notify::NotificationKind;
use serde_json::{Value, json};

const SYNC: (&str, &str) = ("x-livret-sync", "1");

/// What `PushSubscription.toJSON()` gives for `d` at `endpoint`.
fn to_json(endpoint: &str, d: &Device) -> Value {
    json!({
        "endpoint": endpoint,
        "expirationTime": null,
        "keys": { "p256dh": d.p256dh, "auth": URL_SAFE_NO_PAD.encode(d.auth) },
    })
}

fn current_key_id(app: &App) -> String {
    app.state.store.vapid_keys().unwrap().unwrap().id
}

async fn api(b: &Browser, path: &str, body: &Value) -> Page {
    b.post_body(path, "application/json", &body.to_string(), &[SYNC])
        .await
}

async fn subscribe(b: &Browser, endpoint: &str, d: &Device, key_id: &str) -> Page {
    api(
        b,
        "/api/notifications/abonnement",
        &json!({ "subscription": to_json(endpoint, d), "key_id": key_id }),
    )
    .await
}

fn body(p: &Page) -> Value {
    assert_eq!(
        p.header("content-type"),
        Some("application/json"),
        "{} {}: {}",
        p.method,
        p.url,
        p.body
    );
    serde_json::from_str(&p.body).unwrap_or_else(|e| panic!("{}: {e}: {}", p.url, p.body))
}

/// The checkbox of `kind` on the page: `Some(true)` ticked, `Some(false)` not ticked,
/// `None` absent.
fn checkbox(p: &Page, kind: NotificationKind) -> Option<bool> {
    let needle = format!("name=\"kind-{}\"", kind.slug());
    let at = p.body.find(&needle)?;
    let open = p.body[..at].rfind('<').unwrap();
    let close = at + p.body[at..].find('>').unwrap();
    Some(p.body[open..close].contains(" checked"))
}

#[tokio::test]
async fn each_role_sees_its_own_kinds_and_the_device_block() {
    let app = App::start().await;
    let tutor = app.tutor(app.w.helene).await;
    let p = tutor.get("/notifications").await;
    p.expect(200).shows(&[
        "Cet appareil",
        "Ce navigateur ne peut pas recevoir les notifications de Livret",
        "Activer les notifications sur cet appareil",
        "Désactiver sur cet appareil",
        "iOS ou iPadOS 16.4",
        "Sur l'écran d'accueil",
        "Vos appareils abonnés",
        "Aucun appareil n'est abonné pour l'instant.",
        "Envoyer une notification d'essai",
        "Activités de mon stagiaire à relire",
        "Fin de stage proche sans bilan entreprise rempli",
        // No SMTP server in this app: no digest is promised.
        "Sans appareil abonné, rien ne vous parvient, pas même par e-mail : cet établissement n'a pas réglé l'envoi d'e-mails",
    ]);
    p.hides(&[
        "Mon tuteur a relu une fiche activité",
        "Bilan entreprise rempli par le tuteur",
        "vous recevez chaque jour un e-mail récapitulatif",
    ]);
    assert_eq!(checkbox(&p, NotificationKind::ToReview), Some(true));
    assert_eq!(checkbox(&p, NotificationKind::PlacementEnding), Some(true));
    assert_eq!(checkbox(&p, NotificationKind::SheetReviewed), None);
    // The script that drives the block, and the way to the page from every page.
    assert!(p.body.contains("/assets/push."), "push.js is loaded");
    let home = tutor.get("/").await;
    assert!(home.body.contains("href=\"/notifications\""));
    assert!(home.body.contains("/assets/push."));

    let student = app.student(app.w.mael).await;
    let p = student.get("/notifications").await;
    p.expect(200)
        .shows(&["Mon tuteur a relu une fiche activité", "Cet appareil"])
        .hides(&[
            "Activités de mon stagiaire à relire",
            "Fin de stage proche",
            "e-mail récapitulatif",
        ]);
    assert_eq!(checkbox(&p, NotificationKind::SheetReviewed), Some(true));

    let referent = app.teacher(app.w.referent).await;
    let p = referent.get("/notifications").await;
    p.expect(200)
        .shows(&[
            "Bilan entreprise rempli par le tuteur",
            "Fin de stage proche sans bilan entreprise rempli",
        ])
        .hides(&[
            "Activités de mon stagiaire à relire",
            "e-mail récapitulatif",
        ]);

    let coordinator = app.coordinator().await;
    let p = coordinator.get("/notifications").await;
    p.expect(200)
        .shows(&["Aucune notification n'est prévue pour la coordination"])
        .hides(&["Enregistrer mes choix"]);
    assert!(!p.body.contains("name=\"kind-"));

    // Not signed in: no page, and public pages do not load the push script.
    app.browser().get("/notifications").await.expect(401);
    let welcome = app.browser().get("/").await;
    assert!(!welcome.body.contains("/assets/push."));
}

#[tokio::test]
async fn saving_turns_a_kind_off_and_ignores_another_roles_kinds() {
    let app = App::start().await;
    let tutor = app.tutor(app.w.helene).await;
    let helene = Subject::Tutor(app.w.helene);
    let csrf = tutor.csrf("/notifications").await;
    // "À relire" unticked; a forged box of the student's kind is ticked.
    tutor
        .post(
            "/notifications",
            &[
                ("_csrf", &csrf),
                ("kind-fin-de-stage", "1"),
                ("kind-fiche-relue", "1"),
                ("kind-inconnu", "1"),
            ],
        )
        .await
        .expect_redirect("/notifications");
    let settings = app.state.store.notification_settings(&helene).unwrap();
    assert_eq!(settings.disabled, [NotificationKind::ToReview]);
    let store = &app.state.store;
    assert!(
        !store
            .wants_notification(&helene, NotificationKind::ToReview)
            .unwrap()
    );
    assert!(
        store
            .wants_notification(&helene, NotificationKind::PlacementEnding)
            .unwrap()
    );
    assert!(
        !store
            .wants_notification(&helene, NotificationKind::SheetReviewed)
            .unwrap()
    );
    let p = tutor.get("/notifications").await;
    p.shows(&["Vos choix de notifications sont enregistrés."]);
    assert_eq!(checkbox(&p, NotificationKind::ToReview), Some(false));
    assert_eq!(checkbox(&p, NotificationKind::PlacementEnding), Some(true));

    // Everything off, then back on.
    tutor
        .post("/notifications", &[("_csrf", &csrf)])
        .await
        .expect(303);
    assert_eq!(
        store.notification_settings(&helene).unwrap().disabled,
        [
            NotificationKind::ToReview,
            NotificationKind::PlacementEnding
        ]
    );
    // Without the form token: refused, nothing changes.
    tutor
        .post(
            "/notifications",
            &[("kind-a-relire", "1"), ("kind-fin-de-stage", "1")],
        )
        .await
        .expect(403);
    assert_eq!(
        store.notification_settings(&helene).unwrap().disabled.len(),
        2
    );
    tutor
        .post(
            "/notifications",
            &[
                ("_csrf", &csrf),
                ("kind-a-relire", "1"),
                ("kind-fin-de-stage", "1"),
            ],
        )
        .await
        .expect(303);
    assert!(
        store
            .notification_settings(&helene)
            .unwrap()
            .disabled
            .is_empty()
    );
    // Another person's settings are their own.
    assert!(
        store
            .wants_notification(&Subject::Tutor(app.w.gregoire), NotificationKind::ToReview)
            .unwrap()
    );
}

#[tokio::test]
async fn a_device_subscribes_with_the_current_key_and_the_page_never_shows_its_endpoint() {
    let app = App::start().await;
    let tutor = app.tutor(app.w.helene).await;
    let helene = Subject::Tutor(app.w.helene);

    let key = tutor.get("/api/notifications/cle").await;
    key.expect(200);
    assert_eq!(key.header("cache-control"), Some("no-store"));
    let key = body(&key);
    let stored = app.state.store.vapid_keys().unwrap().unwrap();
    assert_eq!(key["key"], stored.public_key_base64());
    assert_eq!(key["id"], stored.id);

    let d = device();
    let endpoint = "https://fcm.googleapis.com/fcm/send/secret-capability-123";
    let created = subscribe(&tutor, endpoint, &d, &stored.id).await;
    created.expect(201);
    let created = body(&created);
    let subs = app.state.store.push_subscriptions_of(&helene).unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].endpoint, endpoint);
    assert_eq!(subs[0].vapid_key_id, stored.id);
    assert_eq!(subs[0].p256dh, d.p256dh);
    assert_eq!(created["id"], subs[0].id.to_string());

    // The same device again: 200, still one subscription, the same id.
    let again = subscribe(&tutor, endpoint, &d, &stored.id).await;
    again.expect(200);
    assert_eq!(body(&again)["id"], subs[0].id.to_string());
    assert_eq!(
        app.state.store.push_subscriptions_of(&helene).unwrap(),
        subs
    );

    let p = tutor.get("/notifications").await;
    p.expect(200)
        .shows(&[
            "Chrome / Android",
            "Ajouté le 11/03/2026 à 10:30",
            "Aucune notification remise pour l'instant",
            "Retirer",
        ])
        .hides(&["Aucun appareil n'est abonné pour l'instant.", "À réabonner"]);
    for secret in [endpoint, "secret-capability-123", "fcm/send", &d.p256dh] {
        assert!(!p.body.contains(secret), "the page shows {secret:?}");
    }
    assert!(p.body.contains(&subs[0].id.to_string()));

    // The same endpoint subscribed by someone else (a shared phone): it moves to them.
    let student = app.student(app.w.mael).await;
    subscribe(&student, endpoint, &d, &stored.id)
        .await
        .expect(201);
    assert!(
        app.state
            .store
            .push_subscriptions_of(&helene)
            .unwrap()
            .is_empty()
    );
    let mael = app
        .state
        .store
        .push_subscriptions_of(&Subject::Student(app.w.mael))
        .unwrap();
    assert_eq!(mael.len(), 1);
    assert_ne!(mael[0].id, subs[0].id);

    // After a rotation the old device is marked "à réabonner".
    livret::push::rotate_vapid(&app.state.store, &app.clock)
        .await
        .unwrap();
    student
        .get("/notifications")
        .await
        .shows(&["À réabonner : ouvrez Livret sur cet appareil"]);
}

#[tokio::test]
async fn a_subscription_made_with_another_key_is_refused_with_409() {
    let app = App::start().await;
    let student = app.student(app.w.mael).await;
    let d = device();
    let endpoint = "https://updates.push.services.mozilla.com/wpush/v2/abc";
    let stale = subscribe(&student, endpoint, &d, "0000000000000000").await;
    stale.expect(409);
    let answer = body(&stale);
    assert_eq!(answer["error"], "stale-key");
    assert!(answer["message"].as_str().unwrap().contains("réabonner"));
    assert_eq!(answer["key"]["id"], current_key_id(&app));
    assert!(
        app.state
            .store
            .push_subscription(endpoint)
            .unwrap()
            .is_none()
    );

    // After a rotation, the key the device knew is stale too; the new one is taken.
    let old = current_key_id(&app);
    let new = livret::push::rotate_vapid(&app.state.store, &app.clock)
        .await
        .unwrap();
    subscribe(&student, endpoint, &d, &old).await.expect(409);
    subscribe(&student, endpoint, &d, &new.id).await.expect(201);
    assert_eq!(
        app.state
            .store
            .push_subscription(endpoint)
            .unwrap()
            .unwrap()
            .vapid_key_id,
        new.id
    );
}

#[tokio::test]
async fn only_the_owner_can_unsubscribe_or_remove_a_device() {
    let app = App::start().await;
    let tutor = app.tutor(app.w.helene).await;
    let student = app.student(app.w.mael).await;
    let key = current_key_id(&app);
    let d = device();
    let endpoint = "https://web.push.apple.com/QGx-tutor-device";
    subscribe(&tutor, endpoint, &d, &key).await.expect(201);
    let sub = app
        .state
        .store
        .push_subscription(endpoint)
        .unwrap()
        .unwrap();

    // The API: someone else's endpoint is "not found", and stays.
    let refused = api(
        &student,
        "/api/notifications/desabonnement",
        &json!({ "endpoint": endpoint }),
    )
    .await;
    refused.expect(404);
    assert_eq!(body(&refused)["error"], "not-found");
    assert!(
        app.state
            .store
            .push_subscription(endpoint)
            .unwrap()
            .is_some()
    );

    // The page's "Retirer": someone else's device is "not found", and stays.
    let csrf = student.csrf("/notifications").await;
    let id = sub.id.to_string();
    student
        .post(
            "/notifications/appareils/retirer",
            &[("_csrf", &csrf), ("device", &id)],
        )
        .await
        .expect(404);
    student
        .post(
            "/notifications/appareils/retirer",
            &[("_csrf", &csrf), ("device", "pas-un-id")],
        )
        .await
        .expect(404);
    assert!(
        app.state
            .store
            .push_subscription(endpoint)
            .unwrap()
            .is_some()
    );
    // Without the form token, not even the owner.
    tutor
        .post("/notifications/appareils/retirer", &[("device", &id)])
        .await
        .expect(403);
    assert!(
        app.state
            .store
            .push_subscription(endpoint)
            .unwrap()
            .is_some()
    );

    // The owner removes it from the page…
    let csrf = tutor.csrf("/notifications").await;
    tutor
        .post(
            "/notifications/appareils/retirer",
            &[("_csrf", &csrf), ("device", &id)],
        )
        .await
        .expect_redirect("/notifications");
    assert!(
        app.state
            .store
            .push_subscription(endpoint)
            .unwrap()
            .is_none()
    );
    tutor.get("/notifications").await.shows(&[
        "Appareil retiré",
        "Aucun appareil n'est abonné pour l'instant.",
    ]);

    // …or through the API (the "Désactiver" button, the sign-out).
    subscribe(&tutor, endpoint, &d, &key).await.expect(201);
    let done = api(
        &tutor,
        "/api/notifications/desabonnement",
        &json!({ "endpoint": endpoint }),
    )
    .await;
    done.expect(200);
    assert_eq!(body(&done)["deleted"], true);
    assert!(
        app.state
            .store
            .push_subscription(endpoint)
            .unwrap()
            .is_none()
    );
    api(
        &tutor,
        "/api/notifications/desabonnement",
        &json!({ "endpoint": endpoint }),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn the_test_notification_reaches_the_persons_devices() {
    let app = App::start().await;
    let service = PushService::start(&[]).await;
    let tutor = app.tutor(app.w.helene).await;
    let key = current_key_id(&app);
    let (phone, other) = (device(), device());
    subscribe(&tutor, &service.endpoint("phone"), &phone, &key)
        .await
        .expect(201);
    // Another person's device gets nothing.
    let student = app.student(app.w.mael).await;
    subscribe(&student, &service.endpoint("other"), &other, &key)
        .await
        .expect(201);

    let p = tutor.get("/notifications").await;
    p.shows(&["127.0.0.1"]);
    assert!(!p.body.contains("/push/phone"), "the endpoint is not shown");
    tutor
        .post("/notifications/essai", &[("_csrf", &p.csrf())])
        .await
        .expect_redirect("/notifications");
    let got = service.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(service.received().len(), 1, "only the tutor's device");
    let r = &got[0];
    assert_eq!(r.path, "/push/phone");
    assert_eq!(r.header("Content-Encoding"), "aes128gcm");
    assert_eq!(r.header("TTL"), "600");
    assert!(r.header("Authorization").starts_with("vapid t="));
    let plain = ece::decrypt(&phone.components, &phone.auth, &r.body).unwrap();
    let payload: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(
        payload,
        json!({
            "title": "Notification d'essai",
            "body": "Les notifications de Livret arrivent bien sur cet appareil.",
            "url": "/notifications",
            "tag": "essai",
        })
    );
    tutor
        .get("/notifications")
        .await
        .shows(&["Notification d'essai envoyée à vos appareils"]);
    // At most one a minute per person: a second press is refused, said so.
    let csrf = p.csrf();
    tutor
        .post("/notifications/essai", &[("_csrf", &csrf)])
        .await
        .expect_redirect("/notifications");
    tutor
        .get("/notifications")
        .await
        .shows(&["Une notification d'essai vient de partir : attendez une minute"]);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        service.received().len(),
        1,
        "no second test within the minute"
    );
    // Another person is not held back by that limit.
    let student_csrf = student.csrf("/notifications").await;
    student
        .post("/notifications/essai", &[("_csrf", &student_csrf)])
        .await
        .expect(303);
    student
        .get("/notifications")
        .await
        .shows(&["Notification d'essai envoyée à vos appareils"]);
    service.wait_for(2).await;
    // Delivered: the page says when (once the sender has recorded it).
    for _ in 0..100 {
        let p = tutor.get("/notifications").await;
        if p.has("Dernière notification remise le 11/03/2026 à 10:30") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tutor
        .get("/notifications")
        .await
        .shows(&["Dernière notification remise le 11/03/2026 à 10:30"]);
    // A device subscribed since the last test can be tried at once.
    app.clock.advance(jiff::SignedDuration::from_secs(10));
    let laptop = device();
    subscribe(&tutor, &service.endpoint("laptop"), &laptop, &key)
        .await
        .expect(201);
    tutor
        .post("/notifications/essai", &[("_csrf", &csrf)])
        .await
        .expect(303);
    tutor
        .get("/notifications")
        .await
        .shows(&["Notification d'essai envoyée à vos appareils"]);
    let got = service.wait_for(4).await;
    let mut paths: Vec<&str> = got[2..].iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["/push/laptop", "/push/phone"]);
    // Then the minute counts again.
    tutor
        .post("/notifications/essai", &[("_csrf", &csrf)])
        .await
        .expect(303);
    tutor
        .get("/notifications")
        .await
        .shows(&["attendez une minute"]);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(service.received().len(), 4);
    // A minute later, a new test goes.
    app.clock.advance(jiff::SignedDuration::from_secs(60));
    tutor
        .post("/notifications/essai", &[("_csrf", &csrf)])
        .await
        .expect(303);
    tutor
        .get("/notifications")
        .await
        .shows(&["Notification d'essai envoyée à vos appareils"]);
    service.wait_for(6).await;

    // Nobody subscribed: said so, nothing sent.
    let referent = app.teacher(app.w.referent).await;
    let csrf = referent.csrf("/notifications").await;
    referent
        .post("/notifications/essai", &[("_csrf", &csrf)])
        .await
        .expect(303);
    referent
        .get("/notifications")
        .await
        .shows(&["Aucun appareil n'est abonné : activez d'abord les notifications"]);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(service.received().len(), 6);
}

#[tokio::test]
async fn the_api_refuses_forged_unsigned_and_unsafe_requests() {
    let app = App::start().await;
    let key = current_key_id(&app);
    let d = device();
    let good = json!({ "subscription": to_json("https://fcm.googleapis.com/fcm/send/x", &d), "key_id": key });

    // Not signed in: 401 in JSON, in French.
    let anonymous = app.browser();
    let p = anonymous.get("/api/notifications/cle").await;
    p.expect(401);
    assert!(
        body(&p)["message"]
            .as_str()
            .unwrap()
            .contains("reconnectez-vous")
    );
    let p = api(&anonymous, "/api/notifications/abonnement", &good).await;
    p.expect(401);
    assert_eq!(body(&p)["error"], "sign-in");

    let student = app.student(app.w.mael).await;
    let mael = Subject::Student(app.w.mael);
    // Without X-Livret-Sync, or not as JSON: refused (a plain form of another site).
    let p = student
        .post_body(
            "/api/notifications/abonnement",
            "application/json",
            &good.to_string(),
            &[],
        )
        .await;
    p.expect(403);
    assert_eq!(body(&p)["error"], "forbidden");
    student
        .post_body(
            "/api/notifications/abonnement",
            "text/plain",
            &good.to_string(),
            &[SYNC],
        )
        .await
        .expect(403);
    // From another site: refused by the global guard, in JSON.
    let p = student
        .post_body(
            "/api/notifications/desabonnement",
            "application/json",
            r#"{"endpoint":"https://fcm.googleapis.com/fcm/send/x"}"#,
            &[SYNC, ("origin", "https://evil.example")],
        )
        .await;
    p.expect(403);
    body(&p);
    assert!(
        app.state
            .store
            .push_subscriptions_of(&mael)
            .unwrap()
            .is_empty()
    );

    // Unreadable JSON: 400 with a French message.
    let p = student
        .post_body(
            "/api/notifications/abonnement",
            "application/json",
            "{pas du json",
            &[SYNC],
        )
        .await;
    p.expect(400);
    assert!(
        body(&p)["message"]
            .as_str()
            .unwrap()
            .contains("n'a pas pu être lu")
    );
    api(
        &student,
        "/api/notifications/abonnement",
        &json!({ "key_id": key }),
    )
    .await
    .expect(400);
    // Too large: 413.
    let huge = json!({ "subscription": to_json(&format!("https://fcm.googleapis.com/{}", "a".repeat(9000)), &d), "key_id": key });
    student
        .post_body(
            "/api/notifications/abonnement",
            "application/json",
            &huge.to_string(),
            &[SYNC],
        )
        .await
        .expect(413);

    // An endpoint in the school's network (SSRF) or not https: 422, in French.
    for endpoint in [
        "https://192.168.1.20/push",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/push",
        "http://intranet.lycee.example/push",
    ] {
        let p = subscribe(&student, endpoint, &d, &key).await;
        p.expect(422);
        let answer = body(&p);
        assert_eq!(answer["error"], "invalid");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.starts_with("Abonnement refusé : l'adresse"),
            "{message}"
        );
    }
    let p = subscribe(&student, "https://10.0.0.8/push", &d, &key).await;
    assert!(
        body(&p)["message"]
            .as_str()
            .unwrap()
            .contains("réseau interne")
    );
    // Bad keys: 422 too.
    let bad = json!({ "subscription": { "endpoint": "https://fcm.googleapis.com/x", "keys": { "p256dh": "AAAA", "auth": "AAAA" } }, "key_id": key });
    api(&student, "/api/notifications/abonnement", &bad)
        .await
        .expect(422);
    // 65 bytes that are not a point of P-256: every send would fail, so refused.
    let mut off_curve = vec![4u8];
    off_curve.extend([7u8; 64]);
    let bad = json!({ "subscription": { "endpoint": "https://fcm.googleapis.com/x", "keys": { "p256dh": URL_SAFE_NO_PAD.encode(&off_curve), "auth": URL_SAFE_NO_PAD.encode(d.auth) } }, "key_id": key });
    let p = api(&student, "/api/notifications/abonnement", &bad).await;
    p.expect(422);
    assert!(
        body(&p)["message"]
            .as_str()
            .unwrap()
            .contains("pas un point de la courbe P-256"),
        "{}",
        p.body
    );
    // No key_id: its own message, not "un objet JSON était attendu".
    let p = api(
        &student,
        "/api/notifications/abonnement",
        &json!({ "subscription": to_json("https://fcm.googleapis.com/fcm/send/x", &d) }),
    )
    .await;
    p.expect(400);
    let message = body(&p)["message"].as_str().unwrap().to_string();
    assert!(message.contains("key_id manquant"), "{message}");
    assert!(!message.contains("objet JSON"), "{message}");
    // Spellings of this machine's name: the internal network too.
    for endpoint in [
        "https://localhost.:8443/x",
        "https://LOCALHOST./x",
        "https://foo.localhost./x",
        "https://intranet/x",
    ] {
        let p = subscribe(&student, endpoint, &d, &key).await;
        p.expect(422);
        assert!(
            body(&p)["message"]
                .as_str()
                .unwrap()
                .contains("réseau interne"),
            "{endpoint}: {}",
            p.body
        );
    }
    assert!(
        app.state
            .store
            .push_subscriptions_of(&mael)
            .unwrap()
            .is_empty()
    );

    // And the well-formed one goes through.
    api(&student, "/api/notifications/abonnement", &good)
        .await
        .expect(201);
    assert_eq!(
        app.state.store.push_subscriptions_of(&mael).unwrap().len(),
        1
    );
}

/// Issue 6, tester's finding 1: a person has at most 10 subscribed devices; the
/// eleventh is refused with a French message pointing at the Notifications page, while
/// a device already counted may subscribe again.
#[tokio::test]
async fn a_person_has_at_most_ten_devices() {
    let app = App::start().await;
    let key = current_key_id(&app);
    let student = app.student(app.w.mael).await;
    let mael = Subject::Student(app.w.mael);
    let d = device();
    let endpoint = |i: usize| format!("https://fcm.googleapis.com/fcm/send/device-{i}");
    for i in 0..10 {
        subscribe(&student, &endpoint(i), &d, &key)
            .await
            .expect(201);
    }
    let refused = subscribe(&student, &endpoint(10), &d, &key).await;
    refused.expect(409);
    let answer = body(&refused);
    assert_eq!(answer["error"], "too-many-devices");
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.contains("10 appareils") && message.contains("« Notifications »"),
        "{message}"
    );
    assert_eq!(
        app.state.store.push_subscriptions_of(&mael).unwrap().len(),
        10
    );
    assert!(
        app.state
            .store
            .push_subscription(&endpoint(10))
            .unwrap()
            .is_none()
    );
    // A device already counted subscribes again (a key rotation, a renewal): fine.
    subscribe(&student, &endpoint(3), &d, &key)
        .await
        .expect(200);
    // Someone else is not concerned.
    let other = app.student(app.w.eloise).await;
    subscribe(&other, &endpoint(10), &d, &key).await.expect(201);
    // Once one is removed, another can come: even the one someone else holds (a
    // shared device moves to the person now using it).
    let first = app.state.store.push_subscriptions_of(&mael).unwrap()[0].clone();
    let csrf = student.csrf("/notifications").await;
    student
        .post(
            "/notifications/appareils/retirer",
            &[("_csrf", &csrf), ("device", &first.id.to_string())],
        )
        .await
        .expect(303);
    subscribe(&student, &endpoint(10), &d, &key)
        .await
        .expect(201);
    assert_eq!(
        app.state.store.push_subscriptions_of(&mael).unwrap().len(),
        10
    );
}

/// Issue 6, tester's finding 6: a tutor is promised the daily e-mail only when it can
/// come (an SMTP server, and their address); otherwise the page says nothing arrives
/// by e-mail, and why.
#[tokio::test]
async fn the_daily_e_mail_is_promised_only_when_it_can_come() {
    let sink = crate::smtp_sink::SmtpSink::start().await;
    let app = App::start_with_smtp(&sink.url()).await;
    let w = &app.w;
    let helene = app.tutor(w.helene).await;
    helene
        .get("/notifications")
        .await
        .expect(200)
        .shows(&[
            "Si aucun appareil n'est abonné, vous recevez chaque jour un e-mail récapitulatif",
        ])
        .hides(&["rien ne vous parvient"]);

    // Grégoire's address is removed: no digest can reach him.
    let mut gregoire = app.state.store.tutor(w.gregoire).unwrap().unwrap();
    gregoire.email = None;
    let placement = app.state.store.placement(w.p_eloise).unwrap().unwrap();
    app.state
        .store
        .update_placement(&livret::domain::placement_form::PlacementChange {
            placement,
            company: None,
            tutor: Some(gregoire),
        })
        .await
        .unwrap();
    app.tutor(w.gregoire)
        .await
        .get("/notifications")
        .await
        .expect(200)
        .shows(&["Sans appareil abonné, rien ne vous parvient, pas même par e-mail : l'établissement n'a pas votre adresse e-mail"])
        .hides(&["vous recevez chaque jour un e-mail récapitulatif"]);
}

/// Issue 6, tester's finding 7: every answer on an `/api/…` path is JSON, even for a
/// path that does not exist or a method a path does not take.
#[tokio::test]
async fn every_api_answer_is_json() {
    let app = App::start().await;
    let student = app.student(app.w.mael).await;
    let p_mael = app.w.p_mael;
    let json_answer = |p: &Page, status: u16, code: &str| {
        p.expect(status);
        assert_eq!(p.header("cache-control"), Some("no-store"), "{}", p.url);
        let answer = body(p);
        assert_eq!(answer["error"], code, "{}: {}", p.url, p.body);
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .contains("API de Livret"),
            "{}",
            p.body
        );
    };
    for method in ["GET", "PUT", "DELETE"] {
        for path in [
            "/api/notifications/abonnement".to_string(),
            "/api/notifications/desabonnement".to_string(),
            format!("/api/stages/{p_mael}/journal"),
            format!("/api/stages/{p_mael}/fiches"),
        ] {
            let p = student.request(method, &path, &[SYNC]).await;
            json_answer(&p, 405, "method-not-allowed");
        }
    }
    let p = student
        .request("POST", "/api/notifications/cle", &[SYNC])
        .await;
    json_answer(&p, 405, "method-not-allowed");
    for path in [
        "/api/notifications/inconnu",
        "/api/notifications",
        "/api",
        "/api/x/y/z",
    ] {
        let p = student.get(path).await;
        json_answer(&p, 404, "not-found");
        let p = api(&student, path, &json!({})).await;
        json_answer(&p, 404, "not-found");
        // Signed out too.
        let p = app.browser().get(path).await;
        json_answer(&p, 404, "not-found");
    }
    // The API's own JSON answers are kept as they are.
    let p = api(
        &student,
        "/api/notifications/desabonnement",
        &json!({ "endpoint": "https://fcm.googleapis.com/fcm/send/none" }),
    )
    .await;
    p.expect(404);
    assert_eq!(
        body(&p)["message"],
        "Cet abonnement n'existe pas, ou il n'est pas le vôtre."
    );
    // Pages stay pages.
    let p = student.get("/inconnu").await;
    p.expect(404);
    assert!(p.header("content-type").unwrap().starts_with("text/html"));
    let p = student.request("DELETE", "/notifications", &[]).await;
    p.expect(404);
    assert!(p.header("content-type").unwrap().starts_with("text/html"));
}
