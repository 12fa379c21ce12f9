//! The tutor's personal link as issue 3 asks (spec "Accès à l'application par le
//! tuteur"): valid six months, lockable and regenerable by the referent or a
//! coordinator with effect on the very next request of an open session, a page that
//! says what happened with a request for a new link, no session from a GET or HEAD
//! (scanners), no Referer leak, and the referent sees issued / sent / last used.

use crate::support::*;
use jiff::SignedDuration;
use livret::domain::*;

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

fn secret_of(link: &str) -> &str {
    link.trim_start_matches("/acces/")
}

/// The text of the placement page's "Accès du tuteur" card, spaces normalised.
fn access_card(page: &Page) -> String {
    let text = page.text().replace('\u{a0}', " ");
    let start = text
        .find("id=\"acces-tuteur\"")
        .unwrap_or_else(|| panic!("no access card in {}", page.url));
    let card = &text[start..];
    card[..card.find("</section>").unwrap_or(card.len())].to_string()
}

/// POSTs a form of the page at `page_path` with its CSRF token.
async fn post_from(b: &Browser, page_path: &str, action: &str) -> Page {
    let csrf = b.csrf(page_path).await;
    b.post(action, &[("_csrf", &csrf)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_works_on_day_182_and_not_the_day_after_the_six_months() {
    let app = App::start().await;
    let w = &app.w;
    // Issued Wednesday 11 March 2026 at 10:30 (Paris): six months run to 11 September.
    let link = app.link(Subject::Tutor(w.helene)).await;
    let token = app
        .state
        .store
        .token(&livret::auth::hash_secret(secret_of(&link)))
        .unwrap()
        .unwrap();
    assert_eq!(
        token.expires,
        "2026-09-11T08:30:00Z".parse::<jiff::Timestamp>().unwrap(),
        "six calendar months in Paris time (summer time in September)"
    );
    app.clock.advance(days(182));
    assert_eq!(
        app.clock.today(),
        jiff::civil::Date::new(2026, 9, 9).unwrap()
    );
    let mut b = app.browser();
    b.sign_in_with(&link).await;
    b.get(&stage(w.p_mael)).await.expect(200);
    // 12 September: the day after the six months.
    app.clock.advance(days(3));
    assert_eq!(
        app.clock.today(),
        jiff::civil::Date::new(2026, 9, 12).unwrap()
    );
    b.get(&stage(w.p_mael)).await.expect(401);
    let fresh = app.browser();
    fresh
        .get(&link)
        .await
        .expect(410)
        .shows(&["Accès expiré", "vendredi 11 septembre 2026"]);
    let post = fresh.post(&link, &[]).await;
    post.expect(410);
    assert!(post.set_cookie("livret").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locking_ends_the_open_session_on_its_very_next_request() {
    let app = App::start().await;
    let w = &app.w;
    let link = app.link(Subject::Tutor(w.helene)).await;
    let mut tutor = app.browser();
    tutor.sign_in_with(&link).await;
    tutor.get(&stage(w.p_mael)).await.expect(200);

    let referent = app.teacher(w.referent).await;
    let page = referent.get(&stage(w.p_mael)).await;
    page.expect(200).shows(&[
        "Accès du tuteur",
        "actif jusqu'au 11/09/2026",
        "Verrouiller l'accès",
    ]);
    let action = format!("{}/acces-tuteur/verrouiller", stage(w.p_mael));
    post_from(&referent, &stage(w.p_mael), &action)
        .await
        .expect_redirect(&format!("{}#acces-tuteur", stage(w.p_mael)));

    // The very next request of the open session is refused.
    tutor.get(&stage(w.p_mael)).await.expect(401);
    tutor.get("/").await.shows(&["Bienvenue sur Livret"]);
    assert!(
        app.state
            .store
            .session_hashes_of(&Subject::Tutor(w.helene))
            .unwrap()
            .is_empty()
    );
    app.browser()
        .get(&link)
        .await
        .expect(410)
        .shows(&["Accès verrouillé"]);
    referent
        .get(&stage(w.p_mael))
        .await
        .shows(&["verrouillé", "Déverrouiller"]);

    // Unlocking lets the link open a session again; the old session stays ended.
    let action = format!("{}/acces-tuteur/deverrouiller", stage(w.p_mael));
    post_from(&referent, &stage(w.p_mael), &action)
        .await
        .expect(303);
    tutor.get(&stage(w.p_mael)).await.expect(401);
    let mut again = app.browser();
    again.sign_in_with(&link).await;
    again.get(&stage(w.p_mael)).await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_link_kills_the_old_one_and_its_sessions_at_once() {
    let app = App::start().await;
    let w = &app.w;
    let old = app.link(Subject::Tutor(w.helene)).await;
    let mut tutor = app.browser();
    tutor.sign_in_with(&old).await;
    tutor.get(&stage(w.p_mael)).await.expect(200);

    // The coordinator gives a new link (no SMTP here: it goes to the outbox).
    let coordinator = app.coordinator().await;
    let action = format!("{}/acces-tuteur", stage(w.p_mael));
    post_from(&coordinator, &stage(w.p_mael), &action)
        .await
        .expect_redirect(&format!("{}#acces-tuteur", stage(w.p_mael)));
    tutor.get(&stage(w.p_mael)).await.expect(401);
    app.browser()
        .get(&old)
        .await
        .expect(410)
        .shows(&["Lien remplacé", "Demander un nouveau lien"]);
    app.browser().post(&old, &[]).await.expect(410);

    // The new link is in the outbox, and works.
    let messages = app.state.store.outbox().unwrap();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let new = messages[0].link.clone().expect("the outbox keeps the link");
    let path = new.strip_prefix(&app.base).unwrap().to_string();
    assert_ne!(path, old);
    let mut b = app.browser();
    b.sign_in_with(&path).await;
    b.get(&stage(w.p_mael)).await.expect(200);

    // Another new link removes the stale message from the outbox.
    post_from(&coordinator, &stage(w.p_mael), &action)
        .await
        .expect(303);
    let messages = app.state.store.outbox().unwrap();
    assert_eq!(messages.len(), 1);
    assert_ne!(messages[0].link.as_deref(), Some(new.as_str()));
    b.get(&stage(w.p_mael)).await.expect(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tutor_with_a_dead_link_asks_for_a_new_one_and_the_referent_sees_it() {
    let app = App::start().await;
    let w = &app.w;
    let link = app.link(Subject::Tutor(w.helene)).await;
    let referent = app.teacher(w.referent).await;
    let action = format!("{}/acces-tuteur/verrouiller", stage(w.p_mael));
    post_from(&referent, &stage(w.p_mael), &action)
        .await
        .expect(303);
    referent
        .get(&stage(w.p_mael))
        .await
        .hides(&["Demande de nouveau lien"]);

    let tutor = app.browser();
    tutor.get(&link).await.expect(410);
    // The request is a POST from the page; a GET does nothing.
    tutor.get(&format!("{link}/demande")).await.expect(404);
    assert!(app.state.store.access_request(w.helene).unwrap().is_none());
    let asked = tutor.post(&format!("{link}/demande"), &[]).await;
    asked.expect_redirect(&link);
    assert_eq!(asked.header("referrer-policy"), Some("no-referrer"));
    tutor
        .get(&link)
        .await
        .expect(410)
        .shows(&["a bien été transmise"])
        .hides(&["Demander un nouveau lien"]);
    assert!(app.state.store.access_request(w.helene).unwrap().is_some());
    referent.get(&stage(w.p_mael)).await.shows(&[
        "Demande de nouveau lien",
        "Hélène Caillé",
        "lien verrouillé",
    ]);

    // A new link answers the request.
    let give = format!("{}/acces-tuteur", stage(w.p_mael));
    post_from(&referent, &stage(w.p_mael), &give)
        .await
        .expect(303);
    assert!(app.state.store.access_request(w.helene).unwrap().is_none());
    referent
        .get(&stage(w.p_mael))
        .await
        .hides(&["Demande de nouveau lien"]);

    // Unknown links cannot make requests.
    tutor
        .post(
            &format!("/acces/{}/demande", livret::auth::new_secret()),
            &[],
        )
        .await
        .expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanners_following_the_link_create_no_session_and_use_nothing() {
    let app = App::start().await;
    let w = &app.w;
    let link = app.link(Subject::Tutor(w.helene)).await;
    let url = format!("{}{link}", app.base);
    // A mail scanner: follows redirects, GET and HEAD, keeps cookies.
    let scanner = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    for _ in 0..3 {
        let got = scanner.get(&url).send().await.unwrap();
        assert_eq!(got.status(), 200);
        let no_session = |h: &reqwest::header::HeaderMap| {
            h.get_all("set-cookie")
                .iter()
                .all(|c| !c.to_str().unwrap().starts_with("livret="))
        };
        assert!(no_session(got.headers()));
        assert_eq!(got.headers()["referrer-policy"], "no-referrer");
        let head = scanner.head(&url).send().await.unwrap();
        assert!(no_session(head.headers()));
    }
    let subject = Subject::Tutor(w.helene);
    assert!(
        app.state
            .store
            .session_hashes_of(&subject)
            .unwrap()
            .is_empty()
    );
    let hash = livret::auth::hash_secret(secret_of(&link));
    let token = app.state.store.token(&hash).unwrap().unwrap();
    assert_eq!(token.last_used, None, "a GET does not count as a use");
    // The person's POST still works afterwards, and counts.
    let mut b = app.browser();
    b.sign_in_with(&link).await;
    assert_eq!(
        app.state.store.session_hashes_of(&subject).unwrap().len(),
        1
    );
    let token = app.state.store.token(&hash).unwrap().unwrap();
    assert_eq!(token.last_used, Some(app.clock.now()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_pages_send_no_referrer_and_their_form_still_posts() {
    let app = App::start().await;
    let link = app.link(Subject::Tutor(app.w.helene)).await;
    let b = app.browser();
    let page = b.get(&link).await;
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    // Other pages keep same-origin.
    assert_eq!(
        b.get("/").await.header("referrer-policy"),
        Some("same-origin")
    );
    // A no-referrer page's form posts with `Origin: null` (Chromium): accepted only
    // when the browser says the request is same-origin.
    b.post_with(&link, &[], &[("origin", "null")])
        .await
        .expect(403);
    b.post_with(
        &link,
        &[],
        &[("origin", "null"), ("sec-fetch-site", "cross-site")],
    )
    .await
    .expect(403);
    let opened = b
        .post_with(
            &link,
            &[],
            &[("origin", "null"), ("sec-fetch-site", "same-origin")],
        )
        .await;
    opened.expect_redirect("/");
    assert_eq!(opened.header("referrer-policy"), Some("no-referrer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_referent_and_coordinators_manage_the_access() {
    let app = App::start().await;
    let w = &app.w;
    app.link(Subject::Tutor(w.helene)).await;
    let base = format!("{}/acces-tuteur", stage(w.p_mael));
    let odile = app.teacher(w.odile).await;
    let tutor = app.tutor(w.helene).await;
    let student = app.student(w.mael).await;
    for action in [
        base.clone(),
        format!("{base}/verrouiller"),
        format!("{base}/deverrouiller"),
    ] {
        let csrf = odile.csrf("/").await;
        odile.post(&action, &[("_csrf", &csrf)]).await.expect(404);
        let csrf = tutor.csrf(&stage(w.p_mael)).await;
        tutor.post(&action, &[("_csrf", &csrf)]).await.expect(404);
        let csrf = student.csrf(&stage(w.p_mael)).await;
        student.post(&action, &[("_csrf", &csrf)]).await.expect(404);
    }
    // The tutor and the student do not see the card.
    tutor
        .get(&stage(w.p_mael))
        .await
        .hides(&["Accès du tuteur", "Verrouiller"]);
    student
        .get(&stage(w.p_mael))
        .await
        .hides(&["Accès du tuteur", "Verrouiller"]);
    // The referent without the anti-CSRF token: refused, nothing changes.
    let referent = app.teacher(w.referent).await;
    referent
        .post(&format!("{base}/verrouiller"), &[])
        .await
        .expect(403);
    let (_, token) = app.state.store.tutor_link(w.helene).unwrap().unwrap();
    assert!(!token.locked);
    // Still usable by the tutor.
    tutor.get(&stage(w.p_mael)).await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referent_sees_when_the_access_was_issued_sent_and_last_used() {
    let app = App::start().await;
    let w = &app.w;
    let referent = app.teacher(w.referent).await;
    // Before any link.
    referent
        .get(&stage(w.p_mael))
        .await
        .shows(&["aucun accès", "Créer l'accès et l'envoyer"]);
    let link = app.link(Subject::Tutor(w.helene)).await;
    let card = access_card(&referent.get(&stage(w.p_mael)).await);
    for needle in [
        "Créé le",
        "mercredi 11 mars 2026 à 10 h 30",
        "Valable jusqu'au",
        "vendredi 11 septembre 2026",
        "pas par courriel",
        "Dernière utilisation",
        "jamais",
    ] {
        assert!(card.contains(needle), "{needle} in {card}");
    }
    app.clock.advance(SignedDuration::from_hours(2));
    let mut tutor = app.browser();
    tutor.sign_in_with(&link).await;
    let card = access_card(&referent.get(&stage(w.p_mael)).await);
    assert!(card.contains("mercredi 11 mars 2026 à 12 h 30"), "{card}");
    assert!(!card.contains("jamais"), "{card}");
    // Later use of the session moves "last used", at most hourly.
    app.clock.advance(SignedDuration::from_hours(3));
    tutor.get(&stage(w.p_mael)).await.expect(200);
    let card = access_card(&referent.get(&stage(w.p_mael)).await);
    assert!(card.contains("à 15 h 30"), "{card}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referent_sends_the_access_by_smtp_and_the_link_in_the_mail_opens_the_space() {
    let sink = crate::smtp_sink::SmtpSink::start().await;
    let app = App::start_with_smtp(&sink.url()).await;
    let w = &app.w;
    let referent = app.teacher(w.referent).await;
    let action = format!("{}/acces-tuteur", stage(w.p_mael));
    post_from(&referent, &stage(w.p_mael), &action)
        .await
        .expect_redirect(&format!("{}#acces-tuteur", stage(w.p_mael)));
    let page = referent.get(&stage(w.p_mael)).await;
    page.shows(&["le courriel est parti"]);
    let card = access_card(&page);
    assert!(
        card.contains("par courriel le mercredi 11 mars 2026 à 10 h 30"),
        "{card}"
    );
    assert!(card.contains("vendredi 11 septembre 2026"), "{card}");
    assert!(app.state.store.outbox().unwrap().is_empty());

    let got = sink.wait_for(1).await;
    assert_eq!(
        got[0].to,
        vec!["helene.caille@egv-demo.invalid".to_string()]
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(&got[0].data)
        .expect("a readable message");
    let text = parsed.body_text(0).unwrap().to_string();
    assert!(text.contains("11 septembre 2026"), "{text}");
    let link = text
        .lines()
        .map(str::trim)
        .find(|l| l.contains("/acces/"))
        .expect("the link in the e-mail")
        .to_string();
    assert!(link.starts_with(&app.base), "{link}");
    let path = link.strip_prefix(&app.base).unwrap();
    let mut tutor = app.browser();
    tutor.sign_in_with(path).await;
    tutor.get("/").await.expect(200).shows(&["Maël Ferrand"]);
    // The referent now sees the first use.
    let card = access_card(&referent.get(&stage(w.p_mael)).await);
    assert!(!card.contains("jamais"), "{card}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_handed_over_from_the_outbox_shows_as_handed_over() {
    let app = App::start().await;
    let w = &app.w;
    let referent = app.teacher(w.referent).await;
    let action = format!("{}/acces-tuteur", stage(w.p_mael));
    post_from(&referent, &stage(w.p_mael), &action)
        .await
        .expect(303);
    let page = referent.get(&stage(w.p_mael)).await;
    page.shows(&["Messages à remettre"]);
    let card = access_card(&page);
    assert!(
        card.contains("le message attend dans « Messages à remettre »"),
        "{card}"
    );

    let message = app.state.store.outbox().unwrap().remove(0);
    app.clock.advance(SignedDuration::from_hours(1));
    let url = format!("/messages/{}", message.id);
    post_from(&referent, &url, &format!("{url}/remis"))
        .await
        .expect_redirect("/messages");
    assert!(app.state.store.outbox().unwrap().is_empty());
    let card = access_card(&referent.get(&stage(w.p_mael)).await);
    assert!(
        card.contains(
            "remis par l'établissement (lien copié ou lettre) le mercredi 11 mars 2026 à 11 h 30"
        ),
        "{card}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_plain_http_off_localhost_the_link_form_proves_itself_with_its_confirmation_value() {
    // Browsers send `Origin: null` and no Sec-Fetch-Site from a no-referrer page that is
    // not a secure context (http://192.168.x.y): the form's double-submit value decides.
    let app = App::start().await;
    let link = app.link(Subject::Tutor(app.w.helene)).await;
    let unvouched = [("origin", "null")];
    let b = app.browser();
    // No confirmation value: refused (a sandboxed page of another site looks like this).
    b.post_with(&link, &[], &unvouched).await.expect(403);
    // The value from another browser's page, without its cookie: refused.
    let other = app.browser();
    let value = other
        .get(&link)
        .await
        .field("_confirm")
        .expect("confirmation field");
    b.post_with(&link, &[("_confirm", &value)], &unvouched)
        .await
        .expect(403);
    // The value of this browser's own page, with its cookie: accepted.
    let page = b.get(&link).await;
    let cookie = page
        .set_cookie("livret_confirm")
        .expect("confirmation cookie");
    let attrs = cookie.to_ascii_lowercase();
    assert!(
        attrs.contains("httponly") && attrs.contains("samesite=strict"),
        "{cookie}"
    );
    let value = page.field("_confirm").unwrap();
    let opened = b
        .post_with(&link, &[("_confirm", &value)], &unvouched)
        .await;
    opened.expect_redirect("/");
    assert!(opened.set_cookie("livret").is_some());
    // Elsewhere than the link pages, `Origin: null` without Sec-Fetch-Site stays refused.
    let csrf = b.csrf("/").await;
    b.post_with("/deconnexion", &[("_csrf", &csrf)], &unvouched)
        .await
        .expect(403);
}
