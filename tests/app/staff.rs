//! Staff added by a coordinator and single-use invitations (issue 3).

use crate::support::*;
use jiff::SignedDuration;
use livret::domain::*;

fn link_in(page: &Page) -> String {
    let body = &page.body;
    let start = body
        .find("/acces/")
        .expect("an invitation link on the page");
    body[start..]
        .split(['<', '"', ' '])
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_adds_a_teacher_and_invites_them_once() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf("/").await;
    coordinator
        .post(
            "/coordination/equipe",
            &[
                ("_csrf", &csrf),
                ("first_name", ""),
                ("last_name", "Gaudin"),
                ("role", "directeur"),
            ],
        )
        .await
        .expect(422)
        .shows(&["Ce champ est obligatoire.", "Choisissez le rôle", "Gaudin"]);
    coordinator
        .post(
            "/coordination/equipe",
            &[
                ("_csrf", &csrf),
                ("first_name", "Noël"),
                ("last_name", "Gaudin"),
                ("role", "enseignant"),
            ],
        )
        .await
        .expect_redirect("/");
    let teacher = app
        .state
        .store
        .teachers()
        .unwrap()
        .into_iter()
        .find(|t| t.name.last == "Gaudin")
        .unwrap();
    coordinator
        .get("/")
        .await
        .expect(200)
        .shows(&["Noël Gaudin", "enseignant"]);

    // The invitation is shown once, opens the space once.
    let page = coordinator
        .post(
            "/coordination/invitations",
            &[
                ("_csrf", &csrf),
                ("person", &format!("enseignant:{}", teacher.id)),
            ],
        )
        .await;
    page.expect(200).shows(&["Noël Gaudin", "une seule fois"]);
    // It ends seven days later at the same minute, and says so.
    assert!(
        page.text()
            .replace('\u{a0}', " ")
            .contains("jusqu'au mercredi 18 mars 2026 à 10 h 30."),
        "{}",
        page.body
    );
    let link = link_in(&page);
    let mut noel = app.browser();
    for _ in 0..3 {
        noel.get(&link)
            .await
            .expect(200)
            .shows(&["ne sert qu'une fois"]);
    }
    noel.open_invitation(&link).await;
    noel.get("/")
        .await
        .expect(200)
        .shows(&["Noël Gaudin", "Mes élèves"]);
    app.browser().get(&link).await.expect(404);
    app.browser().post(&link, &[]).await.expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_expire_after_seven_days_and_a_new_one_revokes_the_old() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf("/").await;
    let invite = || {
        let (c, csrf) = (coordinator.clone(), csrf.clone());
        let person = format!("eleve:{}", app.w.mael);
        async move {
            let page = c
                .post(
                    "/coordination/invitations",
                    &[("_csrf", &csrf), ("person", &person)],
                )
                .await;
            page.expect(200);
            link_in(&page)
        }
    };
    let first = invite().await;
    let second = invite().await;
    app.browser().get(&first).await.expect(404);
    app.clock.advance(SignedDuration::from_hours(24 * 7 - 1));
    app.browser().get(&second).await.expect(200);
    app.clock.advance(SignedDuration::from_hours(2));
    // Expired: its own page says so (issue 7), and it opens nothing.
    app.browser()
        .get(&second)
        .await
        .expect(410)
        .shows(&["Invitation expirée"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_coordinators_invite_and_only_known_people() {
    let app = App::start().await;
    let referent = app.teacher(app.w.referent).await;
    let csrf = referent.csrf("/").await;
    referent
        .post(
            "/coordination/invitations",
            &[
                ("_csrf", &csrf),
                ("person", &format!("eleve:{}", app.w.mael)),
            ],
        )
        .await
        .expect(404);
    referent
        .get("/coordination/equipe/nouveau")
        .await
        .expect(404);
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf("/").await;
    for person in [
        format!("eleve:{}", StudentId::new()),
        format!("tuteur:{}", app.w.helene),
        "n'importe quoi".to_string(),
    ] {
        coordinator
            .post(
                "/coordination/invitations",
                &[("_csrf", &csrf), ("person", &person)],
            )
            .await
            .expect(404);
    }
    coordinator
        .post(
            "/coordination/invitations",
            &[("person", &format!("eleve:{}", app.w.mael))],
        )
        .await
        .expect(403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivating_an_account_ends_its_sessions_at_once() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let referent = app.teacher(w.referent).await;
    let link = app.link(Subject::Student(w.mael)).await;
    mael.get(&stage(w.p_mael)).await.expect(200);
    let coordinator = app.coordinator().await;
    let class_url = format!(
        "/coordination/classes/{}",
        app.state.store.student(w.mael).unwrap().unwrap().class
    );
    let page = coordinator.get(&class_url).await;
    page.expect(200).shows(&["Désactiver"]);
    let csrf = page.csrf();
    let person = format!("eleve:{}", w.mael);

    // Only a coordinator, with the anti-CSRF token.
    let teacher_csrf = referent.csrf("/").await;
    referent
        .post(
            "/coordination/personnes/statut",
            &[
                ("_csrf", &teacher_csrf),
                ("person", &person),
                ("active", "0"),
            ],
        )
        .await
        .expect(404);
    coordinator
        .post(
            "/coordination/personnes/statut",
            &[("person", &person), ("active", "0")],
        )
        .await
        .expect(403);
    mael.get(&stage(w.p_mael)).await.expect(200);

    coordinator
        .post(
            "/coordination/personnes/statut",
            &[("_csrf", &csrf), ("person", &person), ("active", "0")],
        )
        .await
        .expect_redirect(&class_url);
    mael.get(&stage(w.p_mael)).await.expect(401);
    assert!(
        app.state
            .store
            .session_hashes_of(&Subject::Student(w.mael))
            .unwrap()
            .is_empty()
    );
    app.browser().get(&link).await.expect(404);
    coordinator
        .get(&class_url)
        .await
        .shows(&["Compte désactivé", "(désactivé)", "Réactiver"]);

    // Reactivated: the old link stays dead; a new link signs in again.
    coordinator
        .post(
            "/coordination/personnes/statut",
            &[("_csrf", &csrf), ("person", &person), ("active", "1")],
        )
        .await
        .expect_redirect(&class_url);
    app.browser().get(&link).await.expect(404);
    app.browser().post(&link, &[]).await.expect(404);
    let mut again = app.browser();
    again
        .sign_in_with(&app.link(Subject::Student(w.mael)).await)
        .await;
    again.get(&stage(w.p_mael)).await.expect(200);

    // A teacher too; but a coordinator cannot deactivate themself.
    let person = format!("enseignant:{}", w.referent);
    coordinator
        .post(
            "/coordination/personnes/statut",
            &[("_csrf", &csrf), ("person", &person), ("active", "0")],
        )
        .await
        .expect_redirect("/");
    referent.get(&stage(w.p_mael)).await.expect(401);
    let me = format!("coordination:{}", w.coordinator);
    coordinator
        .post(
            "/coordination/personnes/statut",
            &[("_csrf", &csrf), ("person", &me), ("active", "0")],
        )
        .await
        .expect(404);
    coordinator.get("/").await.expect(200);
}

fn teachers_named(app: &App, last: &str) -> usize {
    app.state
        .store
        .teachers()
        .unwrap()
        .iter()
        .filter(|t| t.name.last == last)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_staff_form_sent_twice_adds_one_member_and_a_homonym_is_refused() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let form = coordinator.get("/coordination/equipe/nouveau").await;
    form.expect(200);
    let id = form.field("id").expect("the staff form carries an id");
    let csrf = form.csrf();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("id", id.as_str()),
        ("first_name", "Noël"),
        ("last_name", "Gaudin"),
        ("role", "enseignant"),
    ];
    // A double tap: the same form twice.
    coordinator
        .post("/coordination/equipe", &fields)
        .await
        .expect_redirect("/");
    coordinator
        .post("/coordination/equipe", &fields)
        .await
        .expect_redirect("/");
    assert_eq!(teachers_named(&app, "Gaudin"), 1);
    let noel = app
        .state
        .store
        .teachers()
        .unwrap()
        .into_iter()
        .find(|t| t.name.last == "Gaudin")
        .unwrap();
    assert_eq!(noel.id.to_string(), id);
    coordinator
        .get("/")
        .await
        .expect(200)
        .shows(&["était déjà ajouté"]);

    // The same person again from a fresh form (another id), written otherwise.
    let fresh = coordinator.get("/coordination/equipe/nouveau").await;
    let other_id = fresh.field("id").unwrap();
    assert_ne!(other_id, id);
    let again = coordinator
        .post(
            "/coordination/equipe",
            &[
                ("_csrf", &csrf),
                ("id", &other_id),
                ("first_name", " sebastien"),
                ("last_name", "ROUSSEL "),
                ("role", "enseignant"),
            ],
        )
        .await;
    again.expect(422).shows(&[
        "Sébastien Roussel est déjà un enseignant de l'établissement",
        "ROUSSEL",
    ]);
    assert_eq!(again.field("id").as_deref(), Some(other_id.as_str()));
    assert_eq!(teachers_named(&app, "Roussel"), 1);
    // The same name in the other role is another person.
    coordinator
        .post(
            "/coordination/equipe",
            &[
                ("_csrf", &csrf),
                ("id", &other_id),
                ("first_name", "Sébastien"),
                ("last_name", "Roussel"),
                ("role", "coordination"),
            ],
        )
        .await
        .expect_redirect("/");
    assert_eq!(teachers_named(&app, "Roussel"), 1);
    assert!(
        app.state
            .store
            .coordinators()
            .unwrap()
            .iter()
            .any(|c| c.name.last == "Roussel" && c.id.to_string() == other_id)
    );
}
