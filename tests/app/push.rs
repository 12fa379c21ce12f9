//! Web push (issue 6, the sending side): a notification queued for a person reaches
//! each of their devices' push services encrypted (RFC 8291 aes128gcm) and signed
//! (RFC 8292 VAPID); 410 deletes the subscription; 503 is retried with back-off; a
//! rotated VAPID key signs the next messages.
//!
//! The push service is [`PushService`] on loopback; each device's keys are made with
//! `ece`, as a browser would, so the test decrypts what a browser would.

use crate::push_service::{
    Device, PushService, Received, SilentService, device, store_subscription, vapid_jwt,
};
use crate::support::App;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use livret::domain::Subject;
use livret::domain::push::{Notification, PushSubscription};
use livret::push::{Outcome, Push, PushConfig};
use std::time::{Duration, Instant};

/// Stores the subscription of `device` at `endpoint` for `subject`.
async fn subscribe(app: &App, subject: Subject, endpoint: &str, d: &Device) -> PushSubscription {
    store_subscription(app, subject, endpoint, d).await
}

/// Checks the VAPID `Authorization: vapid t=<JWT>, k=<key>` header and returns `k`:
/// ES256 header, `aud` the push service's origin as web-push writes it (scheme and
/// host, no port), `exp` after the app's now and at most 24 h later, `sub` set, and
/// the signature valid against `k`.
fn check_vapid(r: &Received, app: &App) -> String {
    let (header, claims, k) = vapid_jwt(r);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(claims["aud"], "http://127.0.0.1", "{claims}");
    let now = app.clock.now().as_second();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > now && exp <= now + 24 * 3600, "exp {exp}, now {now}");
    let sub = claims["sub"].as_str().unwrap();
    assert!(!sub.is_empty());
    k
}

/// Decrypts the body as the device would and parses the JSON payload.
fn open(r: &Received, d: &Device) -> serde_json::Value {
    d.open(r)
}

fn review() -> Notification {
    Notification::new(
        "Activités à relire",
        "3 activités de Denis à relire",
        "/stages/abc/activites",
        "review-abc",
    )
}

/// A sender on the app's store with fast retries (10 ms, 40 ms, 160 ms).
fn fast_push(app: &App) -> Push {
    let mut config = PushConfig::from_config(&app.state.config);
    config.retry_delays = vec![
        Duration::from_millis(10),
        Duration::from_millis(40),
        Duration::from_millis(160),
    ];
    Push::start(app.state.store.clone(), app.clock.clone(), config).unwrap()
}

#[tokio::test]
async fn a_queued_notification_reaches_each_device_encrypted_and_signed() {
    let app = App::start().await;
    let service = PushService::start(&[]).await;
    let helene = Subject::Tutor(app.w.helene);
    let (phone, laptop, other) = (device(), device(), device());
    subscribe(&app, helene, &service.endpoint("phone"), &phone).await;
    subscribe(&app, helene, &service.endpoint("laptop"), &laptop).await;
    subscribe(
        &app,
        Subject::Tutor(app.w.gregoire),
        &service.endpoint("other"),
        &other,
    )
    .await;
    assert_eq!(
        app.state
            .store
            .push_subscriptions_of(&helene)
            .unwrap()
            .len(),
        2
    );

    assert!(app.state.push.queue(helene, review()));
    let got = service.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(service.received().len(), 2, "only Hélène's two devices");
    let stored = app.state.store.vapid_keys().unwrap().unwrap();
    for r in &got {
        assert_eq!(r.header("TTL"), "345600");
        assert_eq!(r.header("Urgency"), "normal");
        assert_eq!(r.header("Content-Encoding"), "aes128gcm");
        assert_eq!(r.header("Topic"), "review-abc");
        assert_eq!(check_vapid(r, &app), stored.public_key_base64());
        let d = match r.path.as_str() {
            "/push/phone" => &phone,
            "/push/laptop" => &laptop,
            other => panic!("unexpected device {other}"),
        };
        assert_eq!(
            open(r, d),
            serde_json::json!({
                "title": "Activités à relire",
                "body": "3 activités de Denis à relire",
                "url": "/stages/abc/activites",
                "tag": "review-abc",
            })
        );
    }
    // 201 → last_success recorded (after the answer: wait for it).
    for _ in 0..100 {
        let subs = app.state.store.push_subscriptions_of(&helene).unwrap();
        if subs.iter().all(|s| s.last_success == Some(app.clock.now())) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("last_success was not recorded");
}

#[tokio::test]
async fn a_gone_subscription_is_deleted() {
    let app = App::start().await;
    let service = PushService::start(&[410]).await;
    let student = Subject::Student(app.w.mael);
    let d = device();
    let endpoint = service.endpoint("gone");
    subscribe(&app, student, &endpoint, &d).await;
    assert!(app.state.push.queue(student, review()));
    service.wait_for(1).await;
    for _ in 0..100 {
        if app
            .state
            .store
            .push_subscription(&endpoint)
            .unwrap()
            .is_none()
        {
            assert!(
                app.state
                    .store
                    .push_subscriptions_of(&student)
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(service.received().len(), 1, "410 is not retried");
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the subscription answered 410 and is still there");
}

#[tokio::test]
async fn a_busy_push_service_is_retried_with_back_off() {
    let app = App::start().await;
    let service = PushService::start(&[503, 503]).await;
    let d = device();
    let sub = subscribe(
        &app,
        Subject::Student(app.w.mael),
        &service.endpoint("busy"),
        &d,
    )
    .await;
    let push = fast_push(&app);
    assert_eq!(
        push.send(&sub, &review()).await,
        Outcome::Delivered { attempts: 3 }
    );
    let got = service.received();
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 201]);
    // Back-off respected: each retry waited at least its delay.
    assert!(got[1].at - got[0].at >= Duration::from_millis(10));
    assert!(got[2].at - got[1].at >= Duration::from_millis(40));
    assert_eq!(open(&got[2], &d)["body"], "3 activités de Denis à relire");
    let stored = app
        .state
        .store
        .push_subscription(&sub.endpoint)
        .unwrap()
        .unwrap();
    assert_eq!(stored.last_success, Some(app.clock.now()));

    // Retries are bounded: 4 attempts in all, then given up, the subscription kept.
    let down = PushService::start(&[503; 10]).await;
    let sub = subscribe(
        &app,
        Subject::Student(app.w.mael),
        &down.endpoint("down"),
        &d,
    )
    .await;
    assert_eq!(push.send(&sub, &review()).await, Outcome::Failed);
    assert_eq!(down.received().len(), 4);
    assert!(
        app.state
            .store
            .push_subscription(&sub.endpoint)
            .unwrap()
            .is_some()
    );

    // Another refusal (403: a key the push service does not know) is not retried.
    let refusing = PushService::start(&[403]).await;
    let sub = subscribe(
        &app,
        Subject::Student(app.w.mael),
        &refusing.endpoint("k"),
        &d,
    )
    .await;
    assert_eq!(push.send(&sub, &review()).await, Outcome::Failed);
    assert_eq!(refusing.received().len(), 1);
}

#[tokio::test]
async fn after_rotation_messages_are_signed_with_the_new_key() {
    let app = App::start().await;
    let service = PushService::start(&[]).await;
    let d = device();
    let teacher = Subject::Teacher(app.w.referent);
    let sub = subscribe(&app, teacher, &service.endpoint("t"), &d).await;
    let old = app.state.store.vapid_keys().unwrap().unwrap();
    // Made at first start, and kept by a second call.
    let again = livret::push::ensure_vapid_keys(&app.state.store, &app.clock)
        .await
        .unwrap();
    assert_eq!(again.id, old.id);
    assert_eq!(old.public_key.len(), 65);
    assert_eq!(old.private_key.len(), 32);

    assert_eq!(
        app.state.push.send(&sub, &review()).await,
        Outcome::Delivered { attempts: 1 }
    );
    assert_eq!(
        check_vapid(&service.received()[0], &app),
        old.public_key_base64()
    );

    let new = livret::push::rotate_vapid(&app.state.store, &app.clock)
        .await
        .unwrap();
    assert_ne!(new.id, old.id);
    assert_eq!(app.state.store.vapid_keys().unwrap().unwrap().id, new.id);
    // The subscription stays, still naming the key it was made with.
    let kept = app
        .state
        .store
        .push_subscription(&sub.endpoint)
        .unwrap()
        .unwrap();
    assert_eq!(kept.vapid_key_id, old.id);

    assert_eq!(
        app.state.push.send(&sub, &review()).await,
        Outcome::Delivered { attempts: 1 }
    );
    let second = &service.received()[1];
    assert_eq!(check_vapid(second, &app), new.public_key_base64());
    assert_eq!(open(second, &d)["tag"], "review-abc");
}

#[tokio::test]
async fn re_subscribing_an_endpoint_replaces_it() {
    let app = App::start().await;
    let (a, b) = (device(), device());
    let endpoint = "https://push.example/device-1";
    let mael = Subject::Student(app.w.mael);
    let eloise = Subject::Student(app.w.eloise);
    subscribe(&app, mael, endpoint, &a).await;
    let second = subscribe(&app, eloise, endpoint, &b).await;
    assert!(
        app.state
            .store
            .push_subscriptions_of(&mael)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.state.store.push_subscriptions_of(&eloise).unwrap(),
        vec![second]
    );
    assert!(
        app.state
            .store
            .delete_push_subscription(endpoint)
            .await
            .unwrap()
    );
    assert!(
        !app.state
            .store
            .delete_push_subscription(endpoint)
            .await
            .unwrap()
    );
    assert!(
        app.state
            .store
            .push_subscriptions_of(&eloise)
            .unwrap()
            .is_empty()
    );
}

/// Issue 6, tester's finding 1: a person whose push services accept the connection
/// and never answer must not hold up anyone else's notifications.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_push_service_does_not_hold_up_other_people() {
    let app = App::start().await;
    let silent = SilentService::start().await;
    let service = PushService::start(&[]).await;
    let helene = Subject::Tutor(app.w.helene);
    let mael = Subject::Student(app.w.mael);
    let d = device();
    for i in 0..10 {
        subscribe(&app, helene, &silent.endpoint(&format!("d{i}")), &d).await;
    }
    let phone = device();
    subscribe(&app, mael, &service.endpoint("mael"), &phone).await;
    let mut config = PushConfig::from_config(&app.state.config);
    assert_eq!(config.timeout, Duration::from_secs(10));
    assert!(config.concurrency >= 32 && config.per_person <= 4);
    config.timeout = Duration::from_secs(4);
    config.retry_delays = vec![Duration::from_millis(50); 3];
    let push = Push::start(app.state.store.clone(), app.clock.clone(), config).unwrap();
    // Hélène's 10 devices, 4 messages: 40 deliveries that hang.
    for _ in 0..4 {
        assert!(push.queue(helene, review()));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    assert!(push.queue(mael, review()));
    let got = service.wait_for(1).await;
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "Maël's message waited {:?} behind Hélène's silent push services",
        start.elapsed()
    );
    assert_eq!(
        open(&got[0], &phone)["body"],
        "3 activités de Denis à relire"
    );
    // Hélène's deliveries hold her own slots only: 4 connections at once.
    assert_eq!(silent.accepted(), 4);
    assert!(push.pending() >= 36, "{}", push.pending());
}

/// Issue 6, tester's finding 2: a host name that resolves to this machine or the
/// school's network is refused when connecting (not retried), except the name
/// `localhost` on a trial instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_of_the_internal_network_is_refused_when_connecting() {
    let app = App::start().await;
    let service = PushService::start(&[]).await;
    let d = device();
    let endpoint = format!("http://localhost:{}/push/by-name", service.addr.port());
    let sub = subscribe(&app, Subject::Student(app.w.mael), &endpoint, &d).await;
    // The tests' app is served on http://localhost: a trial instance.
    let trial = PushConfig::from_config(&app.state.config);
    assert!(trial.loopback_allowed);
    let mut config = trial.clone();
    config.loopback_allowed = false;
    config.retry_delays = vec![Duration::from_secs(1); 3];
    let install = Push::start(app.state.store.clone(), app.clock.clone(), config).unwrap();
    let start = Instant::now();
    assert_eq!(install.send(&sub, &review()).await, Outcome::Failed);
    assert!(
        start.elapsed() < Duration::from_millis(900),
        "refused at once, never retried: {:?}",
        start.elapsed()
    );
    assert!(service.received().is_empty());
    assert!(
        app.state
            .store
            .push_subscription(&endpoint)
            .unwrap()
            .is_some(),
        "the subscription is kept (logged, not deleted)"
    );
    let trial = Push::start(app.state.store.clone(), app.clock.clone(), trial).unwrap();
    assert_eq!(
        trial.send(&sub, &review()).await,
        Outcome::Delivered { attempts: 1 }
    );
    assert_eq!(open(&service.received()[0], &d)["tag"], "review-abc");
}

/// Issue 6, tester's finding 3: a device removed (or taken over) while a message
/// waits to be tried again does not get it; one re-subscribed with new keys gets it
/// with those keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_removed_between_two_attempts_gets_nothing_more() {
    let app = App::start().await;
    let mut config = PushConfig::from_config(&app.state.config);
    config.retry_delays = vec![Duration::from_millis(400); 3];
    let push = Push::start(app.state.store.clone(), app.clock.clone(), config).unwrap();
    let mael = Subject::Student(app.w.mael);
    let send = |sub: PushSubscription| {
        let push = push.clone();
        tokio::spawn(async move { push.send(&sub, &review()).await })
    };

    // « Retirer » (or the sign-out) after a first 500.
    let service = PushService::start(&[500, 500]).await;
    let d = device();
    let sub = subscribe(&app, mael, &service.endpoint("removed"), &d).await;
    let sending = send(sub.clone());
    service.wait_for(1).await;
    assert!(
        app.state
            .store
            .delete_push_subscription(&sub.endpoint)
            .await
            .unwrap()
    );
    assert_eq!(sending.await.unwrap(), Outcome::Removed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(service.received().len(), 1, "nothing after the removal");

    // Taken over by someone else signing in on the device: not for them either.
    let service = PushService::start(&[500, 500]).await;
    let sub = subscribe(&app, mael, &service.endpoint("shared"), &d).await;
    let sending = send(sub.clone());
    service.wait_for(1).await;
    subscribe(
        &app,
        Subject::Student(app.w.eloise),
        &sub.endpoint,
        &device(),
    )
    .await;
    assert_eq!(sending.await.unwrap(), Outcome::Removed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(service.received().len(), 1);

    // Still there, its keys refreshed (the same device subscribing again): the retry
    // is encrypted for the new keys.
    let service = PushService::start(&[500]).await;
    let sub = subscribe(&app, mael, &service.endpoint("renewed"), &d).await;
    let sending = send(sub.clone());
    service.wait_for(1).await;
    let fresh = device();
    let mut renewed = sub.clone();
    renewed.p256dh = fresh.p256dh.clone();
    renewed.auth = URL_SAFE_NO_PAD.encode(fresh.auth);
    app.state
        .store
        .put_push_subscription(&renewed)
        .await
        .unwrap();
    assert_eq!(sending.await.unwrap(), Outcome::Delivered { attempts: 2 });
    assert_eq!(
        open(&service.received()[1], &fresh)["body"],
        "3 activités de Denis à relire"
    );
}
