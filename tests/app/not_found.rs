//! Other people's objects are 404, exactly like objects that do not exist (DESIGN.md:
//! "a tutor who changes an id in a URL gets a 404, never another student's page").

use crate::support::*;
use livret::domain::*;

/// Asserts 404 with the French "not found" page, and returns the body.
#[track_caller]
fn not_found(p: &Page) -> String {
    p.expect(404).shows(&["Page introuvable"]);
    p.body.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_students_placement_logbook_and_sheets_are_404() {
    let app = App::start().await;
    let w = &app.w;
    let eloise = app.student(w.eloise).await;
    let mael = stage(w.p_mael);
    let nowhere = stage(PlacementId::new());
    let reference = not_found(&eloise.get(&nowhere).await);
    for path in [
        mael.clone(),
        format!("{mael}/journal"),
        format!("{mael}/journal/nouvelle"),
        format!("{mael}/fiches"),
        format!("{mael}/fiches/nouvelle"),
        format!("{mael}/fiches/{}", w.sheet_submitted),
        format!("{mael}/fiches/{}", w.sheet_draft),
        format!("{mael}/fiches/{}/modifier", w.sheet_draft),
        // Maël's sheet under Éloïse's own placement.
        format!("{}/fiches/{}", stage(w.p_eloise), w.sheet_submitted),
        format!("{}/fiches/{}/modifier", stage(w.p_eloise), w.sheet_draft),
    ] {
        let body = not_found(&eloise.get(&path).await);
        assert_eq!(
            body, reference,
            "{path}: a forbidden object must look exactly like a missing one"
        );
    }
    // The student's own placement still answers, of course.
    eloise.get(&stage(w.p_eloise)).await.expect(200);
    // Nor does Yanis, placed with another referent, see Maël's or Éloïse's.
    let yanis = app.student(w.yanis).await;
    not_found(&yanis.get(&mael).await);
    not_found(&yanis.get(&stage(w.p_eloise)).await);
    yanis.get("/").await.expect_redirect(&stage(w.p_yanis));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_to_another_students_objects_are_404_and_change_nothing() {
    let app = App::start().await;
    let w = &app.w;
    let eloise = app.student(w.eloise).await;
    let csrf = eloise.csrf(&stage(w.p_eloise)).await;
    let mael = stage(w.p_mael);
    let entries = app.entries(w.p_mael);
    let sheets = app.sheets(w.p_mael);

    not_found(
        &eloise
            .post(
                &format!("{mael}/journal"),
                &[
                    ("_csrf", &csrf),
                    ("date", "2026-03-10"),
                    ("hours", "7"),
                    ("tasks", "Écrit dans le journal d'un autre."),
                ],
            )
            .await,
    );
    let sheet_form = [
        ("_csrf", csrf.as_str()),
        ("title", "Fiche chez un autre"),
        ("date", "2026-03-10"),
        ("work_done", "Rien."),
        ("competencies", "C4"),
        ("action", "submit"),
    ];
    not_found(&eloise.post(&format!("{mael}/fiches"), &sheet_form).await);
    not_found(
        &eloise
            .post(&format!("{mael}/fiches/{}", w.sheet_draft), &sheet_form)
            .await,
    );
    not_found(
        &eloise
            .post(
                &format!("{mael}/fiches/{}/envoyer", w.sheet_draft),
                &[("_csrf", &csrf)],
            )
            .await,
    );
    // Through her own placement's URL, with Maël's sheet id.
    not_found(
        &eloise
            .post(
                &format!("{}/fiches/{}", stage(w.p_eloise), w.sheet_draft),
                &sheet_form,
            )
            .await,
    );
    not_found(
        &eloise
            .post(
                &format!("{}/fiches/{}/envoyer", stage(w.p_eloise), w.sheet_draft),
                &[("_csrf", &csrf)],
            )
            .await,
    );
    // A student does not review sheets, even her own placement's.
    not_found(
        &eloise
            .post(
                &format!("{mael}/fiches/{}/avis", w.sheet_submitted),
                &[("_csrf", &csrf), ("comment", "Très bien.")],
            )
            .await,
    );
    assert_eq!(app.entries(w.p_mael), entries);
    assert_eq!(app.sheets(w.p_mael), sheets);
    assert!(app.sheets(w.p_eloise).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tutors_student_is_404() {
    let app = App::start().await;
    let w = &app.w;
    let helene = app.tutor(w.helene).await;
    let eloise = stage(w.p_eloise);
    for path in [
        eloise.clone(),
        format!("{eloise}/journal"),
        format!("{eloise}/fiches"),
        stage(w.p_yanis),
    ] {
        not_found(&helene.get(&path).await);
    }
    // Grégoire cannot read nor review Maël's submitted sheet.
    let gregoire = app.tutor(w.gregoire).await;
    let csrf = gregoire.csrf("/").await;
    let url = format!("{}/fiches/{}", stage(w.p_mael), w.sheet_submitted);
    not_found(&gregoire.get(&url).await);
    not_found(
        &gregoire
            .post(
                &format!("{url}/avis"),
                &[("_csrf", &csrf), ("comment", "Je ne suis pas son tuteur.")],
            )
            .await,
    );
    let s = app.sheet(w.p_mael, w.sheet_submitted);
    assert_eq!(s.status, SheetStatus::Submitted);
    assert!(s.tutor_comment.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referents_non_referred_placement_is_404() {
    let app = App::start().await;
    let w = &app.w;
    let odile = app.teacher(w.odile).await;
    for p in [w.p_mael, w.p_eloise, w.p_francois] {
        not_found(&odile.get(&stage(p)).await);
        not_found(&odile.get(&format!("{}/journal", stage(p))).await);
        not_found(&odile.get(&format!("{}/fiches", stage(p))).await);
    }
    not_found(
        &odile
            .get(&format!("{}/fiches/{}", stage(w.p_mael), w.sheet_submitted))
            .await,
    );
    odile.get(&stage(w.p_yanis)).await.expect(200);
    let referent = app.teacher(w.referent).await;
    not_found(&referent.get(&stage(w.p_yanis)).await);
    not_found(&referent.get(&format!("{}/journal", stage(w.p_yanis))).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_unknown_ids_are_404() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let base = stage(w.p_mael);
    for path in [
        "/stages/not-a-uuid".to_string(),
        "/stages/123".to_string(),
        format!("/stages/{}x", w.p_mael),
        "/stages/%00".to_string(),
        format!("{base}/fiches/pas-une-fiche"),
        format!("{base}/fiches/{}", ActivitySheetId::new()),
        format!("{base}/fiches/{}/modifier", ActivitySheetId::new()),
        format!("{base}/journal/{}", LogbookEntryId::new()),
        format!("{base}/inconnu"),
        "/inconnu".to_string(),
        "/stages".to_string(),
    ] {
        not_found(&mael.get(&path).await);
    }
    let csrf = mael.csrf(&base).await;
    not_found(
        &mael
            .post(
                "/stages/not-a-uuid/journal",
                &[
                    ("_csrf", &csrf),
                    ("date", "2026-03-10"),
                    ("hours", "7"),
                    ("tasks", "x"),
                ],
            )
            .await,
    );
    not_found(
        &mael
            .post(
                &format!("{base}/fiches/{}/envoyer", ActivitySheetId::new()),
                &[("_csrf", &csrf)],
            )
            .await,
    );
    // A method the route does not have is answered like a missing page.
    not_found(&mael.post("/healthz", &[("_csrf", &csrf)]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_visitors_are_asked_to_sign_in() {
    let app = App::start().await;
    let w = &app.w;
    let visitor = app.browser();
    visitor
        .get("/")
        .await
        .expect(200)
        .shows(&["Bienvenue sur Livret"])
        .hides(&["Se déconnecter"]);
    for path in [
        stage(w.p_mael),
        format!("{}/journal", stage(w.p_mael)),
        format!("{}/fiches/{}", stage(w.p_mael), w.sheet_submitted),
    ] {
        visitor
            .get(&path)
            .await
            .expect(401)
            .shows(&["Connexion nécessaire"])
            .hides(&["Maël", "Ferrand"]);
    }
    let before = app.entries(w.p_mael).len();
    visitor
        .post(
            &format!("{}/journal", stage(w.p_mael)),
            &[("date", "2026-03-10"), ("hours", "7"), ("tasks", "x")],
        )
        .await
        .expect(401);
    assert_eq!(app.entries(w.p_mael).len(), before);
    // A made-up session cookie is no session.
    let forged = Browser::with_cookie(
        &app.base,
        "livret=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    forged.get(&stage(w.p_mael)).await.expect(401);
}
