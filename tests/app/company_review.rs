//! The company review (bilan entreprise, issue 5): the referent chooses the criteria
//! (pre-checked from the activity sheets), the tutor fills it and says it is ready, both
//! finalise it at the visit (HTML form or the offline outbox's JSON endpoint), and from
//! then on it is read-only everywhere. Runs on Yanis's placement (referent Odile,
//! tutor Grégoire), which the demo leaves without a review.

use crate::support::*;
use jiff::SignedDuration;
use livret::domain::*;
use serde_json::{Value, json};

const SYNC: (&str, &str) = ("x-livret-sync", "1");

fn evaluation(p: PlacementId) -> String {
    format!("/stages/{p}/evaluation")
}
fn review(p: PlacementId) -> String {
    format!("/stages/{p}/bilan-entreprise")
}
fn criteres(p: PlacementId) -> String {
    format!("/stages/{p}/bilan-entreprise/criteres")
}
fn visite(p: PlacementId) -> String {
    format!("/stages/{p}/bilan-entreprise/visite")
}
fn api(p: PlacementId) -> String {
    format!("/api/stages/{p}/bilan-entreprise")
}

fn stored(app: &App, p: PlacementId) -> Option<CompanyReview> {
    app.state.store.company_review(p).unwrap()
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn sync(b: &Browser, p: PlacementId, body: &Value) -> Page {
    b.post_body(&api(p), "application/json", &body.to_string(), &[SYNC])
        .await
}

#[track_caller]
fn json_of(page: &Page, status: u16) -> Value {
    page.expect(status);
    assert_eq!(
        page.header("content-type"),
        Some("application/json"),
        "{}",
        page.body
    );
    serde_json::from_str(&page.body).unwrap()
}

fn sheet(
    p: PlacementId,
    status: SheetStatus,
    competencies: &[&str],
    criteria: &[&str],
) -> ActivitySheet {
    let now: jiff::Timestamp = NOW.parse().unwrap();
    ActivitySheet {
        id: ActivitySheetId::new(),
        placement: p,
        title: format!("Fiche {}", competencies.join(" ")),
        date: today(),
        context: String::new(),
        work_done: "Travail fait".into(),
        tools: String::new(),
        competencies: competencies.iter().map(|s| s.to_string()).collect(),
        criteria: criteria.iter().map(|s| s.to_string()).collect(),
        status,
        tutor_comment: None,
        created_at: now,
        updated_at: now,
        submitted_at: None,
    }
}

/// The session's anti-CSRF token, from the person's home page (followed once when it
/// redirects, as a student's does).
async fn token(b: &Browser) -> String {
    let home = b.get("/").await;
    if home.status == 303 {
        b.csrf(home.location()).await
    } else {
        home.expect(200).csrf()
    }
}

fn tutor_name(app: &App) -> String {
    app.w
        .seed
        .tutors
        .iter()
        .find(|t| t.id == app.w.gregoire)
        .unwrap()
        .name
        .full()
}

/// Odile prepares Yanis's review with `criteria` through the form.
async fn prepare(app: &App, odile: &Browser, criteria: &[&str]) {
    let p = app.w.p_yanis;
    let csrf = odile.csrf(&criteres(p)).await;
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend(criteria.iter().map(|c| ("criteria", *c)));
    odile
        .post(&criteres(p), &form)
        .await
        .expect_redirect(&evaluation(p));
}

/// The review finalised through the visit form by `who`, with every criterion `aa`.
async fn finalise(app: &App, who: &Browser, comment: &str) {
    let p = app.w.p_yanis;
    let page = who.get(&visite(p)).await;
    page.expect(200);
    let (csrf, revision) = (page.csrf(), page.field("revision").unwrap());
    let r = stored(app, p).unwrap();
    let names: Vec<String> = r.criteria.iter().map(|c| format!("result-{c}")).collect();
    let mut form = vec![
        ("_csrf", csrf.as_str()),
        ("revision", revision.as_str()),
        ("comment", comment),
        ("together", "1"),
    ];
    form.extend(names.iter().map(|n| (n.as_str(), "aa")));
    who.post(&visite(p), &form)
        .await
        .expect_redirect(&review(p));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referent_prepares_the_review_from_the_sheets_criteria() {
    let app = App::start().await;
    let w = &app.w;
    let p = w.p_yanis;
    for s in [
        sheet(p, SheetStatus::Submitted, &["C4"], &["C4.2", "C4.1"]),
        sheet(p, SheetStatus::SeenByTutor, &["C1"], &[]),
        sheet(p, SheetStatus::Draft, &["C9"], &["C9.1"]),
    ] {
        assert!(app.state.store.insert_sheet(&s).await.unwrap());
    }
    let odile = app.teacher(w.odile).await;
    odile.get(&evaluation(p)).await.expect(200).shows(&[
        "Bilan entreprise",
        "Pas encore préparé",
        "Choisir les critères",
        // The spec's module also gives the attendance certificate (issue 8).
        "Présence et attestation de PFMP",
        "présence non saisie",
        "attestation.pdf",
        "/attestation-vierge.pdf",
    ]);
    let form = odile.get(&criteres(p)).await;
    form.expect(200).shows(&["mobilisée dans 1 fiche"]);
    assert!(
        form.body.contains(r#"value="C4.1" checked"#),
        "C4.1 pre-checked"
    );
    assert!(
        form.body.contains(r#"value="C4.2" checked"#),
        "C4.2 pre-checked"
    );
    assert!(
        !form.body.contains(r#"value="C9.1" checked"#),
        "a draft proposes nothing"
    );
    assert!(
        !form.body.contains(r#"value="C1.1" checked"#),
        "a competency alone proposes no criterion"
    );

    // Nobody else chooses the criteria.
    for b in [
        app.tutor(w.gregoire).await,
        app.teacher(w.referent).await,
        app.coordinator().await,
        app.student(w.yanis).await,
    ] {
        b.get(&criteres(p)).await.expect(404);
        let csrf = token(&b).await;
        b.post(&criteres(p), &[("_csrf", &csrf), ("criteria", "C4.1")])
            .await
            .expect(404);
    }
    assert!(stored(&app, p).is_none());

    // At least one criterion.
    let csrf = form.csrf();
    odile
        .post(&criteres(p), &[("_csrf", &csrf)])
        .await
        .expect(422)
        .shows(&["Cochez au moins un critère"]);
    assert!(stored(&app, p).is_none());

    prepare(&app, &odile, &["C4.2", "C1.1", "C4.1", "C99.9"]).await;
    let r = stored(&app, p).unwrap();
    assert_eq!(
        r.criteria,
        ["C1.1", "C4.1", "C4.2"],
        "referential order, unknown codes dropped"
    );
    assert_eq!(r.status, CompanyReviewStatus::Open);
    assert_eq!(r.prepared_by, w.odile);
    assert_eq!(r.student, w.yanis);
    odile.get(&evaluation(p)).await.expect(200).shows(&[
        "Critères du bilan entreprise enregistrés",
        "À remplir par le tuteur",
        "0 sur 3 critères",
        "Visite : finaliser ensemble",
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutor_fills_the_review_and_marks_it_ready() {
    let app = App::start().await;
    let w = &app.w;
    let p = w.p_yanis;
    let odile = app.teacher(w.odile).await;
    prepare(&app, &odile, &["C1.1", "C4.1", "C4.2"]).await;
    let greg = app.tutor(w.gregoire).await;
    greg.get(&evaluation(p))
        .await
        .expect(200)
        .shows(&["Remplir le bilan"]);
    let page = greg.get(&review(p)).await;
    page.expect(200).shows(&[
        "Appréciation générale",
        "J'ai terminé, prêt pour la visite",
        "réussite totale en autonomie",
    ]);
    assert!(!page.body.contains("checked"), "nothing preselected");
    let (csrf, revision) = (page.csrf(), page.field("revision").unwrap());

    // "Ready" needs every result: 422, input kept.
    let incomplete = greg
        .post(
            &review(p),
            &[
                ("_csrf", &csrf),
                ("revision", &revision),
                ("result-C1.1", "pa"),
                ("comment", "Sérieux"),
                ("action", "ready"),
            ],
        )
        .await;
    incomplete
        .expect(422)
        .shows(&["C4.1, C4.2 sont sans résultat", "Sérieux"]);
    assert!(incomplete.body.contains(r#"value="pa" checked"#));
    assert!(stored(&app, p).unwrap().results.is_empty());

    // A partial save is fine.
    greg.post(
        &review(p),
        &[
            ("_csrf", &csrf),
            ("revision", &revision),
            ("result-C1.1", "pa"),
            ("action", "save"),
        ],
    )
    .await
    .expect_redirect(&evaluation(p));
    let r = stored(&app, p).unwrap();
    assert_eq!(r.result("C1.1"), Some(CriterionResult::Partial));
    assert_eq!(r.status, CompanyReviewStatus::Open);
    // An unknown result is refused.
    greg.post(
        &review(p),
        &[("_csrf", &csrf), ("result-C1.1", "zz"), ("action", "save")],
    )
    .await
    .expect(422);

    let page = greg.get(&review(p)).await;
    let revision = page.field("revision").unwrap();
    greg.post(
        &review(p),
        &[
            ("_csrf", &csrf),
            ("revision", &revision),
            ("result-C1.1", "ah"),
            ("result-C4.1", "aa"),
            ("result-C4.2", "ne"),
            ("comment", "Bon stage"),
            ("action", "ready"),
        ],
    )
    .await
    .expect_redirect(&evaluation(p));
    let r = stored(&app, p).unwrap();
    assert_eq!(
        r.status,
        CompanyReviewStatus::FilledByTutor {
            at: app.clock.now()
        }
    );
    assert_eq!(r.comment, "Bon stage");
    greg.get(&evaluation(p))
        .await
        .shows(&["Rempli par le tuteur le 11/03/2026"]);
    // The referent reads it, read-only.
    odile
        .get(&review(p))
        .await
        .expect(200)
        .shows(&["Bon stage", "réussite totale avec aide"])
        .hides(&["J'ai terminé"]);
    // The referent does not fill the tutor's form.
    let csrf = odile.csrf(&review(p)).await;
    odile
        .post(&review(p), &[("_csrf", &csrf), ("result-C1.1", "na")])
        .await
        .expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_joint_visit_finalises_with_both_names_then_everything_is_read_only() {
    let app = App::start().await;
    let w = &app.w;
    let p = w.p_yanis;
    let odile = app.teacher(w.odile).await;
    prepare(&app, &odile, &["C4.1", "C4.2"]).await;
    let greg = app.tutor(w.gregoire).await;
    let csrf = greg.csrf(&review(p)).await;
    greg.post(
        &review(p),
        &[
            ("_csrf", &csrf),
            ("result-C4.1", "ah"),
            ("result-C4.2", "pa"),
            ("action", "ready"),
        ],
    )
    .await
    .expect(303);

    let tutor = tutor_name(&app);
    let visit = odile.get(&visite(p)).await;
    visit.expect(200).shows(&[
        &format!("Tuteur : {tutor} — Enseignant référent : Odile Marchand"),
        &format!("Nous avons établi ce bilan ensemble, {tutor} et Odile Marchand"),
        "Finaliser le bilan",
    ]);
    assert!(visit.body.contains(r#"data-outbox="review""#));
    assert!(
        visit.body.contains(r#"value="ah" checked"#),
        "pre-filled with the tutor's results"
    );
    let (csrf, revision) = (visit.csrf(), visit.field("revision").unwrap());

    // The joint confirmation is required.
    odile
        .post(
            &visite(p),
            &[
                ("_csrf", &csrf),
                ("revision", &revision),
                ("result-C4.1", "aa"),
                ("result-C4.2", "pa"),
            ],
        )
        .await
        .expect(422)
        .shows(&["Cochez la case"]);
    assert!(!stored(&app, p).unwrap().is_finalised());

    app.clock.advance(SignedDuration::from_hours(2));
    let at = app.clock.now();
    odile
        .post(
            &visite(p),
            &[
                ("_csrf", &csrf),
                ("revision", &revision),
                ("result-C4.1", "aa"),
                ("result-C4.2", "pa"),
                ("comment", "Visite du 11 mars"),
                ("together", "1"),
            ],
        )
        .await
        .expect_redirect(&review(p));
    let done = stored(&app, p).unwrap();
    assert_eq!(
        done.status,
        CompanyReviewStatus::Finalised {
            referent: w.odile,
            tutor: w.gregoire,
            at
        }
    );
    assert_eq!(done.updated_at, at);
    assert_eq!(
        done.result("C4.1"),
        Some(CriterionResult::AchievedAutonomously)
    );
    // The same form sent again (double tap): nothing more, no error.
    odile
        .post(
            &visite(p),
            &[
                ("_csrf", &csrf),
                ("revision", &revision),
                ("result-C4.1", "na"),
                ("together", "1"),
            ],
        )
        .await
        .expect_redirect(&review(p));
    assert_eq!(stored(&app, p).unwrap(), done);
    greg.get(&evaluation(p))
        .await
        .shows(&[
            &format!("Bilan finalisé le 11/03/2026 par {tutor} et Odile Marchand"),
            "Voir le bilan",
        ])
        .hides(&["Remplir le bilan"]);
    odile
        .get(&visite(p))
        .await
        .expect(200)
        .shows(&["Bilan finalisé", "Visite du 11 mars"])
        .hides(&["Finaliser le bilan"]);
    greg.get(&review(p))
        .await
        .expect(200)
        .shows(&["Bilan finalisé"])
        .hides(&["J'ai terminé"]);

    // Read-only everywhere: 409 and nothing changes.
    let gcsrf = greg.csrf(&review(p)).await;
    let ocsrf = odile.csrf(&review(p)).await;
    let locked = [
        greg.post(
            &review(p),
            &[("_csrf", &gcsrf), ("result-C4.1", "na"), ("action", "save")],
        )
        .await,
        greg.post(
            &visite(p),
            &[
                ("_csrf", &gcsrf),
                ("revision", &uuid()),
                ("result-C4.1", "na"),
                ("result-C4.2", "na"),
                ("together", "1"),
            ],
        )
        .await,
        odile
            .post(&criteres(p), &[("_csrf", &ocsrf), ("criteria", "C1.1")])
            .await,
    ];
    for page in &locked {
        page.expect(409)
            .shows(&["Bilan entreprise déjà finalisé", "rien n'a été enregistré"]);
    }
    odile.get(&criteres(p)).await.expect_redirect(&review(p));
    let conflict = json_of(
        &sync(&greg, p, &json!({"revision": uuid(), "results": {"C4.1": "na", "C4.2": "na"}, "finalise": true, "together": true})).await,
        409,
    );
    assert_eq!(conflict["error"], "conflict");
    // The same content again through the outbox (the form went first): a replay, 200.
    let same = json_of(
        &sync(&odile, p, &json!({"revision": uuid(), "results": {"C4.1": "aa", "C4.2": "pa"}, "comment": "Visite du 11 mars", "finalise": true, "together": true})).await,
        200,
    );
    assert_eq!(same["review"]["status"], "finalised");
    assert_eq!(stored(&app, p).unwrap(), done, "nothing changed");

    // The dashboard takes it as an E column dated by its finalisation.
    let reviews = [done.clone()];
    let cols = livret::domain::dashboard::columns(&[], &reviews);
    assert_eq!(cols.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_endpoint_applies_each_revision_once_and_checks_who_sends() {
    let app = App::start().await;
    let w = &app.w;
    let p = w.p_yanis;
    let odile = app.teacher(w.odile).await;
    let greg = app.tutor(w.gregoire).await;
    let first = json!({"revision": uuid(), "results": {"C4.1": "aa"}, "comment": "Premier"});

    // Not prepared yet: nothing to write to.
    json_of(&sync(&greg, p, &first).await, 404);
    prepare(&app, &odile, &["C4.1", "C4.2"]).await;

    // Without the sync header (what another site could send): 403, nothing stored.
    greg.post_body(&api(p), "application/json", &first.to_string(), &[])
        .await
        .expect(403);
    greg.post_body(&api(p), "text/plain", &first.to_string(), &[SYNC])
        .await
        .expect(403);
    assert!(stored(&app, p).unwrap().results.is_empty());

    // Not theirs: 404 for another placement's tutor and referent, the student, the
    // coordinator.
    for b in [
        app.tutor(w.helene).await,
        app.teacher(w.referent).await,
        app.student(w.yanis).await,
        app.coordinator().await,
    ] {
        let page = sync(&b, p, &first).await;
        assert_eq!(json_of(&page, 404)["error"], "not-found");
    }
    assert!(stored(&app, p).unwrap().results.is_empty());

    // Applied once; the same revision again changes nothing, even after another change.
    let a = json_of(&sync(&greg, p, &first).await, 200);
    assert_eq!(a["review"]["results"]["C4.1"], "aa");
    let second = json!({"revision": uuid(), "results": {"C4.1": "na"}, "comment": "Second"});
    json_of(&sync(&greg, p, &second).await, 200);
    app.clock.advance(SignedDuration::from_mins(5));
    for _ in 0..3 {
        let again = json_of(&sync(&greg, p, &first).await, 200);
        assert_eq!(
            again["review"]["results"]["C4.1"], "na",
            "the first revision is not applied twice"
        );
    }
    let r = stored(&app, p).unwrap();
    assert_eq!(r.comment, "Second");
    assert_eq!(r.revisions.len(), 2);

    // The form's rules, as JSON.
    let bad = json_of(&sync(&odile, p, &json!({"revision": uuid(), "results": {"C4.1": "aa"}, "finalise": true, "together": false})).await, 422);
    assert!(
        bad["errors"]["results"][0]
            .as_str()
            .unwrap()
            .contains("C4.2")
    );
    assert!(
        bad["errors"]["together"][0]
            .as_str()
            .unwrap()
            .contains("Cochez la case")
    );
    let bad = json_of(&sync(&odile, p, &json!({"results": {}})).await, 422);
    assert!(bad["errors"]["revision"].is_array());

    // Finalised from the referent's phone, replayed twice: one finalisation.
    let fin = json!({"revision": uuid(), "results": {"C4.1": "aa", "C4.2": "ah"}, "comment": "Ensemble", "finalise": true, "together": true});
    let done = json_of(&sync(&odile, p, &fin).await, 200);
    assert_eq!(done["review"]["status"], "finalised");
    let at = app.clock.now();
    app.clock.advance(SignedDuration::from_hours(1));
    json_of(&sync(&odile, p, &fin).await, 200);
    let r = stored(&app, p).unwrap();
    assert_eq!(
        r.status,
        CompanyReviewStatus::Finalised {
            referent: w.odile,
            tutor: w.gregoire,
            at
        }
    );
    assert_eq!(r.updated_at, at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_student_reads_the_review_once_finalised_and_the_coordinator_only_reads() {
    let app = App::start().await;
    let w = &app.w;
    let p = w.p_yanis;
    let odile = app.teacher(w.odile).await;
    prepare(&app, &odile, &["C4.1"]).await;
    let greg = app.tutor(w.gregoire).await;
    let csrf = greg.csrf(&review(p)).await;
    greg.post(
        &review(p),
        &[
            ("_csrf", &csrf),
            ("result-C4.1", "pa"),
            ("comment", "Note du tuteur"),
            ("action", "save"),
        ],
    )
    .await
    .expect(303);

    let yanis = app.student(w.yanis).await;
    yanis
        .get(&evaluation(p))
        .await
        .expect(200)
        .shows(&["Le bilan est en cours"])
        .hides(&["Voir le bilan"]);
    yanis
        .get(&review(p))
        .await
        .expect(200)
        .shows(&["en cours"])
        .hides(&[
            "Note du tuteur",
            "réussite partielle",
            "Les matériels sont posés",
        ]);
    yanis.get(&visite(p)).await.expect(404);
    let scsrf = yanis.csrf(&evaluation(p)).await;
    yanis
        .post(&review(p), &[("_csrf", &scsrf), ("result-C4.1", "aa")])
        .await
        .expect(404);
    yanis
        .post(
            &visite(p),
            &[("_csrf", &scsrf), ("result-C4.1", "aa"), ("together", "1")],
        )
        .await
        .expect(404);

    let coord = app.coordinator().await;
    coord
        .get(&evaluation(p))
        .await
        .expect(200)
        .shows(&["Voir le bilan"])
        .hides(&["Choisir les critères", "Remplir le bilan"]);
    coord
        .get(&review(p))
        .await
        .expect(200)
        .shows(&["Note du tuteur", "réussite partielle"])
        .hides(&["Finaliser", "J'ai terminé"]);
    coord.get(&visite(p)).await.expect(404);
    let ccsrf = coord.csrf(&evaluation(p)).await;
    coord
        .post(&review(p), &[("_csrf", &ccsrf), ("result-C4.1", "aa")])
        .await
        .expect(404);
    coord
        .post(
            &visite(p),
            &[("_csrf", &ccsrf), ("result-C4.1", "aa"), ("together", "1")],
        )
        .await
        .expect(404);
    assert_eq!(
        stored(&app, p).unwrap().result("C4.1"),
        Some(CriterionResult::Partial)
    );

    // Another placement's people see nothing of it.
    for b in [
        app.tutor(w.helene).await,
        app.teacher(w.referent).await,
        app.student(w.mael).await,
    ] {
        b.get(&evaluation(p)).await.expect(404);
        b.get(&review(p)).await.expect(404);
    }

    finalise(&app, &greg, "Fin de période").await;
    yanis.get(&review(p)).await.expect(200).shows(&[
        "Mon bilan entreprise",
        "Bilan finalisé",
        "Fin de période",
        "réussite totale en autonomie",
        "Les matériels sont posés",
    ]);
    yanis.get(&evaluation(p)).await.shows(&["Voir le bilan"]);
}

/// The first day of `p`, from the seeded school.
fn first_day(app: &App, p: PlacementId) -> jiff::civil::Date {
    app.w
        .seed
        .placements
        .iter()
        .find(|x| x.id == p)
        .unwrap()
        .start
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_is_finalised_from_the_placements_first_day_not_before() {
    let app = App::start().await;
    let w = &app.w;
    // François's placement ("à venir"): referent of the demo, tutor Hélène.
    let p = w.p_francois;
    let start = first_day(&app, p);
    assert!(start > today(), "François's placement has not started");
    let opens = format!(
        "La visite de fin de période pourra être finalisée à partir du {}.",
        text::date_long(start)
    );

    // Before it starts: the criteria and the tutor's partial filling are allowed.
    let referent = app.teacher(w.referent).await;
    let csrf = referent.csrf(&criteres(p)).await;
    referent
        .post(
            &criteres(p),
            &[("_csrf", &csrf), ("criteria", "C4.1"), ("criteria", "C4.2")],
        )
        .await
        .expect_redirect(&evaluation(p));
    let helene = app.tutor(w.helene).await;
    let csrf = helene.csrf(&review(p)).await;
    helene
        .post(
            &review(p),
            &[("_csrf", &csrf), ("result-C4.1", "ah"), ("action", "save")],
        )
        .await
        .expect(303);
    assert_eq!(stored(&app, p).unwrap().results.len(), 1);

    // No "Visite" link before the first day, but when it opens.
    for b in [&referent, &helene] {
        let page = b.get(&evaluation(p)).await;
        page.expect(200).shows(&[&opens]);
        assert!(!page.body.contains(&format!(r#"href="{}""#, visite(p))));
    }
    referent
        .get(&review(p))
        .await
        .expect(200)
        .shows(&[&opens])
        .hides(&["Visite : finaliser ensemble"]);
    let visit = referent.get(&visite(p)).await;
    visit
        .expect(200)
        .shows(&[&opens])
        .hides(&["Finaliser le bilan"]);

    // The form: 422, the input kept, nothing finalised.
    let csrf = token(&referent).await;
    let revision = uuid();
    let form = [
        ("_csrf", csrf.as_str()),
        ("revision", revision.as_str()),
        ("result-C4.1", "aa"),
        ("result-C4.2", "pa"),
        ("comment", "Trop tôt"),
        ("together", "1"),
    ];
    let refused = referent.post(&visite(p), &form).await;
    refused
        .expect(422)
        .shows(&["n'a pas encore commencé", &opens, "Finaliser le bilan"]);
    assert!(refused.body.contains(r#"value="pa" checked"#), "input kept");
    assert_eq!(
        field_value(&refused.body, "comment").as_deref(),
        Some("Trop tôt")
    );
    assert!(!stored(&app, p).unwrap().is_finalised());

    // The JSON endpoint (the offline outbox): 422 with the field's message.
    let body = json!({"revision": uuid(), "results": {"C4.1": "aa", "C4.2": "pa"}, "comment": "Trop tôt", "finalise": true, "together": true});
    let bad = json_of(&sync(&helene, p, &body).await, 422);
    let m = bad["errors"]["finalise"][0].as_str().unwrap();
    assert!(m.contains(&opens), "{m}");
    // Saving (not finalising) through it stays allowed.
    let save = json!({"revision": uuid(), "results": {"C4.1": "aa"}, "comment": "Partiel"});
    json_of(&sync(&helene, p, &save).await, 200);
    let r = stored(&app, p).unwrap();
    assert!(!r.is_finalised());
    assert_eq!(r.comment, "Partiel");

    // On the first day: offered, and finalised (the same revision, now accepted).
    let days = (start - today()).get_days();
    app.clock
        .advance(SignedDuration::from_hours(24 * i64::from(days)));
    assert_eq!(app.clock.today(), start);
    let page = referent.get(&evaluation(p)).await;
    page.expect(200).hides(&[&opens]);
    assert!(page.body.contains(&format!(r#"href="{}""#, visite(p))));
    referent
        .get(&visite(p))
        .await
        .expect(200)
        .shows(&["Finaliser le bilan"]);
    referent
        .post(&visite(p), &form)
        .await
        .expect_redirect(&review(p));
    let done = stored(&app, p).unwrap();
    assert!(done.is_finalised());
    assert_eq!(
        done.updated_at
            .to_zoned_datetime(app.clock.zone().clone())
            .date(),
        start,
        "its column is dated within the placement"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_endpoint_finalises_from_the_first_day() {
    let app = App::start().await;
    let w = &app.w;
    let p = w.p_francois;
    let start = first_day(&app, p);
    let referent = app.teacher(w.referent).await;
    let csrf = referent.csrf(&criteres(p)).await;
    referent
        .post(&criteres(p), &[("_csrf", &csrf), ("criteria", "C4.1")])
        .await
        .expect_redirect(&evaluation(p));
    let body =
        json!({"revision": uuid(), "results": {"C4.1": "aa"}, "finalise": true, "together": true});
    json_of(&sync(&referent, p, &body).await, 422);
    // The day before the first: still refused.
    let days = i64::from((start - today()).get_days());
    app.clock
        .advance(SignedDuration::from_hours(24 * (days - 1)));
    let bad = json_of(&sync(&referent, p, &body).await, 422);
    assert!(bad["errors"]["finalise"].is_array());
    app.clock.advance(SignedDuration::from_hours(24));
    let ok = json_of(&sync(&referent, p, &body).await, 200);
    assert_eq!(ok["review"]["status"], "finalised");
}
