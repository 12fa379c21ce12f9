//! Personal links and sessions: a GET never signs in (mail scanners and link previews
//! issue GETs), only the POST from the confirmation page does; unknown links are a
//! 404 page, a tutor's locked, replaced or expired link a 410 page saying so; signing
//! out ends the session on the server.

use crate::support::*;
use jiff::SignedDuration;
use livret::domain::*;

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_on_a_link_does_not_sign_in_only_the_post_does() {
    let app = App::start().await;
    let w = &app.w;
    let link = app.link(Subject::Student(w.mael)).await;
    let b = app.browser();
    for _ in 0..10 {
        let page = b.get(&link).await;
        page.expect(200).shows(&[
            "Accéder à Livret",
            "Bonjour Maël,",
            "Ouvrir mon espace",
            &format!("<form method=\"post\" action=\"{link}\">"),
        ]);
        // No session cookie (only the anti-forgery value of the form, see web::confirm).
        assert!(
            page.set_cookie("livret").is_none(),
            "GET {link} set a session cookie: {:?}",
            page.headers.get_all("set-cookie")
        );
        // The confirmation page is not a signed-in page.
        page.hides(&["Se déconnecter", "Ferrand", "Électricité"]);
    }
    // Still not signed in.
    b.get("/")
        .await
        .expect(200)
        .shows(&["Bienvenue sur Livret"]);
    b.get(&stage(w.p_mael)).await.expect(401);
    // A HEAD (some previewers) does not sign in either.
    let head = b.head(&link).await;
    assert!(head.set_cookie("livret").is_none());

    // The POST opens the session, with a cookie scripts cannot read.
    let opened = b.post(&link, &[]).await;
    opened.expect_redirect("/");
    let cookie = opened.set_cookie("livret").expect("session cookie");
    let attrs: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attrs.contains(&"httponly".into()), "{cookie}");
    assert!(attrs.contains(&"samesite=lax".into()), "{cookie}");
    assert!(attrs.contains(&"path=/".into()), "{cookie}");
    assert!(
        !attrs.contains(&"secure".into()),
        "plain-HTTP trial: {cookie}"
    );
    b.get("/").await.expect_redirect(&stage(w.p_mael));
    b.get(&stage(w.p_mael)).await.expect(200);

    // The link is still good afterwards (another device of the same person).
    let other_device = app.browser();
    other_device.get(&link).await.expect(200);
    other_device.post(&link, &[]).await.expect_redirect("/");
    other_device.get(&stage(w.p_mael)).await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_links_are_404_and_a_locked_tutor_link_says_so() {
    let app = App::start().await;
    let w = &app.w;
    let b = app.browser();
    let long = "a".repeat(300);
    for bad in [
        "/acces/inconnu".to_string(),
        format!("/acces/{}", livret::auth::new_secret()),
        format!("/acces/{long}"),
    ] {
        b.get(&bad)
            .await
            .expect(404)
            .shows(&["Lien non valable"])
            .hides(&["Ouvrir mon espace"]);
        let post = b.post(&bad, &[]).await;
        post.expect(404).shows(&["Lien non valable"]);
        assert!(post.set_cookie("livret").is_none());
    }

    // Locked by the referent (lost or stolen link).
    let link = app.link(Subject::Tutor(w.helene)).await;
    let secret = link.trim_start_matches("/acces/");
    let hash = livret::auth::hash_secret(secret);
    let mut token = app.state.store.token(&hash).unwrap().unwrap();
    assert_eq!(token.kind, livret::domain::access::AccessKind::TutorAccess);
    token.locked = true;
    app.state.store.issue_token(&hash, &token).await.unwrap();
    // A tutor's locked link says what happened and whom to ask (issue 3).
    b.get(&link)
        .await
        .expect(410)
        .shows(&[
            "Accès verrouillé",
            "Sébastien Roussel",
            "Demander un nouveau lien",
        ])
        .hides(&["Ouvrir mon espace"]);
    let post = b.post(&link, &[]).await;
    post.expect(410);
    assert!(post.set_cookie("livret").is_none());
    b.get("/").await.shows(&["Bienvenue sur Livret"]);

    // Replaced by a new link: the old one stops working, the new one works.
    let old = app.link(Subject::Student(w.mael)).await;
    app.browser().get(&old).await.expect(200);
    let new = app.link(Subject::Student(w.mael)).await;
    app.browser().get(&old).await.expect(404);
    app.browser().post(&old, &[]).await.expect(404);
    let mut fresh = app.browser();
    fresh.sign_in_with(&new).await;
    fresh.get(&stage(w.p_mael)).await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tutor_link_works_six_months_then_says_it_expired() {
    let app = App::start().await;
    let w = &app.w;
    let link = app.link(Subject::Tutor(w.helene)).await;
    app.clock.advance(days(182));
    app.browser()
        .get(&link)
        .await
        .expect(200)
        .shows(&["votre espace tuteur"]);
    app.clock.advance(days(2));
    let b = app.browser();
    b.get(&link).await.expect(410).shows(&[
        "Accès expiré",
        "11 septembre 2026",
        "Demander un nouveau lien",
    ]);
    let post = b.post(&link, &[]).await;
    post.expect(410);
    assert!(post.set_cookie("livret").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_sign_in_link_expires_after_thirty_days() {
    let app = App::start().await;
    let link = app.link(Subject::Student(app.w.mael)).await;
    app.clock.advance(days(29));
    app.browser().get(&link).await.expect(200);
    app.clock.advance(days(2));
    app.browser().get(&link).await.expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_with_the_link_that_opened_it() {
    let app = App::start().await;
    let w = &app.w;
    let link = app.link(Subject::Tutor(w.helene)).await;
    // Signed in three days before the link expires…
    app.clock.advance(days(180));
    let mut b = app.browser();
    b.sign_in_with(&link).await;
    b.get(&stage(w.p_mael)).await.expect(200);
    // …the session does not outlive it.
    app.clock.advance(days(4));
    b.get(&stage(w.p_mael)).await.expect(401);
    b.get("/")
        .await
        .expect(200)
        .shows(&["Bienvenue sur Livret"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_student_can_neither_sign_in_nor_stay_signed_in() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let link = app.link(Subject::Student(w.mael)).await;
    let mut record = app.state.store.student(w.mael).unwrap().unwrap();
    record.active = false;
    let seed = livret::store::SchoolSeed {
        students: vec![record],
        ..Default::default()
    };
    app.state.store.seed(&seed).await.unwrap();
    mael.get(&stage(w.p_mael)).await.expect(401);
    let b = app.browser();
    b.get(&link).await.expect(404);
    let post = b.post(&link, &[]).await;
    post.expect(404);
    assert!(post.set_cookie("livret").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session_on_the_server() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let cookie = mael.session.clone().unwrap();
    let page = mael.get(&stage(w.p_mael)).await;
    page.expect(200)
        .shows(&["Se déconnecter", "action=\"/deconnexion\""]);
    let csrf = page.csrf();

    // Without the token: refused, still signed in.
    mael.post("/deconnexion", &[]).await.expect(403);
    mael.post("/deconnexion", &[("_csrf", "faux")])
        .await
        .expect(403);
    mael.get(&stage(w.p_mael)).await.expect(200);

    let out = mael.post("/deconnexion", &[("_csrf", &csrf)]).await;
    out.expect_redirect("/");
    let cleared = out.set_cookie("livret").expect("the cookie is cleared");
    assert!(
        cleared.to_ascii_lowercase().contains("max-age=0"),
        "{cleared}"
    );
    mael.get("/")
        .await
        .expect(200)
        .shows(&["Bienvenue sur Livret", "Vous êtes déconnecté."]);
    mael.get(&stage(w.p_mael)).await.expect(401);

    // The old cookie, replayed (copied before sign-out), opens nothing.
    let hash = livret::auth::hash_secret(&cookie);
    assert!(app.state.store.session(&hash).unwrap().is_none());
    let replay = Browser::with_cookie(&app.base, &format!("livret={cookie}"));
    replay.get(&stage(w.p_mael)).await.expect(401);
    replay
        .get("/")
        .await
        .expect(200)
        .shows(&["Bienvenue sur Livret"]);
    let before = app.entries(w.p_mael).len();
    replay
        .post(
            &format!("{}/journal", stage(w.p_mael)),
            &[
                ("_csrf", &csrf),
                ("date", "2026-03-10"),
                ("hours", "7"),
                ("tasks", "Après déconnexion."),
            ],
        )
        .await
        .expect(401);
    assert_eq!(app.entries(w.p_mael).len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_replaces_the_browsers_previous_session() {
    let app = App::start().await;
    let w = &app.w;
    let mut b = app.student(w.mael).await;
    let first = b.session.clone().unwrap();
    let link = app.link(Subject::Student(w.mael)).await;
    b.sign_in_with(&link).await;
    let second = b.session.clone().unwrap();
    assert_ne!(first, second, "a new session, a new cookie");
    Browser::with_cookie(&app.base, &format!("livret={first}"))
        .get(&stage(w.p_mael))
        .await
        .expect(401);
    Browser::with_cookie(&app.base, &format!("livret={second}"))
        .get(&stage(w.p_mael))
        .await
        .expect(200);
    // Each session has its own anti-CSRF token.
    let csrf_second = b.csrf(&stage(w.p_mael)).await;
    let other = app.student(w.mael).await;
    assert_ne!(other.csrf(&stage(w.p_mael)).await, csrf_second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_lands_on_its_home() {
    let app = App::start().await;
    let w = &app.w;
    for (subject, title, role) in [
        (Subject::Tutor(w.helene), "Mes stagiaires", "tuteur"),
        (Subject::Teacher(w.referent), "Mes élèves", "référent"),
        (
            Subject::Coordinator(w.coordinator),
            "Lycée professionnel Jules-Verne",
            "coordination",
        ),
    ] {
        let b = app.sign_in(subject).await;
        b.get("/")
            .await
            .expect(200)
            .shows(&[title, role, "Se déconnecter"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_routes_are_rate_limited_per_client_with_retry_after() {
    let app = App::start().await;
    let link = app.link(Subject::Student(app.w.mael)).await;
    let visitor = app.browser();
    // A burst of 300, then five a second: count the answers before the first refusal
    // (bounded, and allowing for the refills a slow machine earns meanwhile).
    let started = std::time::Instant::now();
    let mut accepted = 0u128;
    let refused = loop {
        let page = visitor.get(&link).await;
        if page.status != 200 || accepted >= 2_000 {
            break page;
        }
        accepted += 1;
    };
    let refills = started.elapsed().as_millis() / 200 + 1;
    assert!(
        (300..=300 + refills).contains(&accepted),
        "{accepted} accepted before the refusal"
    );
    refused.expect(429).shows(&["Trop de tentatives"]);
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_with_one_link_are_rate_limited_per_account() {
    let app = App::start().await;
    let link = app.link(Subject::Tutor(app.w.helene)).await;
    for _ in 0..10 {
        app.browser().post(&link, &[]).await.expect(303);
    }
    let refused = app.browser().post(&link, &[]).await;
    refused.expect(429);
    assert!(refused.header("retry-after").is_some());
    // Refused means refused: no session cookie.
    assert!(refused.set_cookie("livret").is_none());
}
