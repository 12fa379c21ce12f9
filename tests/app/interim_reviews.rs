//! Interim reviews (bilans intermédiaires, issue 5 item 4): a referent teacher drafts
//! one with the suggested positionings, edits and publishes it; the archive shows the
//! published ones to the student and the tutor, never the drafts; a published review is
//! read-only; the grade's bounds; the next review's suggestion starts after the cut-off.
//!
//! The tests work on Yanis Girard (1MELEC, Bac Pro MELEC; tutor Grégoire, referent
//! Odile), whom the harness adds to the demo school with no evaluation or review.

use crate::support::*;
use jiff::{SignedDuration, Timestamp};
use livret::domain::*;

fn bilans(s: StudentId) -> String {
    format!("/eleves/{s}/bilans")
}

fn melec(app: &App) -> Referential {
    app.state
        .store
        .referential("bacpro-melec")
        .unwrap()
        .expect("the MELEC referential is shipped")
}

/// A school evaluation of Yanis by Odile, last changed at `at`.
fn evaluation(
    app: &App,
    level: Complexity,
    at: Timestamp,
    results: &[(&str, CriterionResult)],
) -> Evaluation {
    Evaluation {
        id: EvaluationId::new(),
        student: app.w.yanis,
        referential: "bacpro-melec".into(),
        context: Context::School,
        complexity: level,
        title: "TP tableau".into(),
        author: app.w.odile,
        results: results
            .iter()
            .map(|(c, r)| CriterionScore {
                criterion: (*c).into(),
                result: *r,
            })
            .collect(),
        created_at: at,
        updated_at: at,
    }
}

/// A review of Yanis dated `day`, C1 positioned `c1`, published at `at` when `published`.
fn review(
    app: &App,
    day: (i16, i8, i8),
    c1: &str,
    grade: Option<&str>,
    findings: &str,
    published: bool,
    at: Timestamp,
) -> InterimReview {
    let positionings = melec(app)
        .competencies
        .iter()
        .map(|c| CompetencyPositioning {
            competency: c.code.clone(),
            positioning: if c.code == "C1" {
                Positioning::from_slug(c1).unwrap()
            } else {
                Positioning::NotEvaluated
            },
        })
        .collect();
    InterimReview {
        id: InterimReviewId::new(),
        student: app.w.yanis,
        referential: "bacpro-melec".into(),
        date: jiff::civil::Date::new(day.0, day.1, day.2).unwrap(),
        findings: findings.into(),
        advice: format!("Conseils : {findings}"),
        positionings,
        grade: grade.map(|g| Grade::parse(g).unwrap()),
        author: app.w.odile,
        considered_until: at,
        published: published.then_some(Publication {
            at,
            by: app.w.odile,
        }),
        created_at: at,
        updated_at: at,
    }
}

/// The value of the option marked `selected` in the `<select name=…>`.
fn selected(body: &str, name: &str) -> Option<String> {
    let at = body.find(&format!("name=\"{name}\""))?;
    let rest = &body[at..at + body[at..].find("</select>")?];
    let opt = rest.find(" selected>").map(|i| &rest[..i])?;
    let v = opt.rfind("value=\"")? + "value=\"".len();
    Some(opt[v..v + opt[v..].find('"')?].to_string())
}

/// The form of `page` as the browser would send it, with `changes` applied.
fn form_of(
    page: &Page,
    referential: &Referential,
    changes: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        "_csrf",
        "id",
        "considered_until",
        "date",
        "findings",
        "advice",
        "grade",
    ]
    .iter()
    .filter_map(|n| page.field(n).map(|v| (n.to_string(), v)))
    .collect();
    for c in &referential.competencies {
        let name = format!("pos-{}", c.code);
        let v = selected(&page.body, &name).unwrap_or_else(|| panic!("{name}: nothing selected"));
        form.push((name, v));
    }
    for (n, v) in changes {
        form.retain(|(k, _)| k != n);
        form.push((n.to_string(), v.to_string()));
    }
    form
}

async fn post(b: &Browser, path: &str, form: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post(path, &pairs).await
}

/// The number of date columns of the review table.
fn date_columns(body: &str) -> usize {
    let table = &body[body.find("review-table").expect("no review table")..];
    let head = &table[..table.find("</thead>").unwrap()];
    head.matches("<th scope=\"col\"").count() - 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referent_drafts_edits_and_publishes_a_review_with_the_suggestions() {
    use CriterionResult::*;
    let app = App::start().await;
    let y = app.w.yanis;
    let now = app.clock.now();
    let earlier = now - SignedDuration::from_hours(2);
    app.state
        .store
        .insert_evaluation(&evaluation(
            &app,
            Complexity::BacPro,
            earlier,
            &[
                ("C1.1", AchievedAutonomously),
                ("C1.2", AchievedAutonomously),
                ("C2.1", Partial),
                ("C3.1", Absent),
            ],
        ))
        .await
        .unwrap();
    app.state
        .store
        .insert_evaluation(&evaluation(
            &app,
            Complexity::Intermediate,
            earlier,
            &[("C1.3", AchievedWithHelp)],
        ))
        .await
        .unwrap();
    let odile = app.teacher(app.w.odile).await;
    odile.get(&bilans(y)).await.expect(200).shows(&[
        "Bilans de compétences",
        "Yanis Girard",
        "Nouveau bilan intermédiaire",
        "Aucun bilan intermédiaire n'a encore été publié.",
    ]);

    let r = melec(&app);
    let form = odile.get(&format!("{}/nouveau", bilans(y))).await;
    form.expect(200).shows(&[
        "Constats de l'équipe pédagogique",
        "Note proposée (sur 20, au demi-point)",
        "d'après 3 résultats récents",
        "(suggéré)",
        "2 évaluations",
    ]);
    // C1: (3 + 3 + 2) / 3 → acquired; 2 of 3 results at bac pro level → final objectives.
    assert_eq!(selected(&form.body, "pos-C1").as_deref(), Some("m4-f"));
    // C2: one "partial" (1) at bac pro level → in progress, final objectives.
    assert_eq!(selected(&form.body, "pos-C2").as_deref(), Some("m2-f"));
    // C3: only "absent": not evaluated.
    assert_eq!(selected(&form.body, "pos-C3").as_deref(), Some("ne"));
    // (3 + 3 + 1 + 2) / 4 = 2.25 / 3 × 20 = 15.
    assert_eq!(form.field("grade").as_deref(), Some("15"));
    assert_eq!(form.field("date").as_deref(), Some("2026-03-11"));
    assert_eq!(form.field("considered_until").as_deref(), Some(NOW));
    let id = form
        .field("id")
        .expect("the form carries the new review's id");

    // Saved as a draft with the suggested values; sent twice, stored once.
    let sent = form_of(
        &form,
        &r,
        &[
            ("findings", "Bon début.\nÀ poursuivre."),
            ("action", "draft"),
        ],
    );
    let draft_url = format!("{}/{id}", bilans(y));
    post(&odile, &bilans(y), &sent)
        .await
        .expect_redirect(&draft_url);
    post(&odile, &bilans(y), &sent)
        .await
        .expect_redirect(&draft_url);
    let stored = app.state.store.interim_reviews(y).unwrap();
    assert_eq!(stored.len(), 1);
    let d = &stored[0];
    assert_eq!(d.id.to_string(), id);
    assert!(d.published.is_none());
    assert_eq!(d.findings, "Bon début.\nÀ poursuivre.");
    assert_eq!(d.positionings.len(), r.competencies.len());
    assert_eq!(d.positioning("C1").slug(), "m4-f");
    assert_eq!(d.grade.map(Grade::half_points), Some(30));
    assert_eq!(d.considered_until, now);
    odile.get(&draft_url).await.expect(200).shows(&[
        "Brouillon du bilan intermédiaire enregistré",
        "Aperçu du bilan du 11/03/2026",
        "Bon début.",
    ]);
    odile
        .get(&bilans(y))
        .await
        .expect(200)
        .shows(&["Brouillons", "Reprendre"]);

    // Edited: the stored choices come back, a change is kept.
    let edit = odile.get(&format!("{draft_url}/modifier")).await;
    edit.expect(200);
    assert_eq!(
        edit.field("findings").as_deref(),
        Some("Bon début.\nÀ poursuivre.")
    );
    assert_eq!(
        edit.field("id"),
        None,
        "the edit form posts to the draft itself"
    );
    let changed = form_of(
        &edit,
        &r,
        &[
            ("pos-C3", "m1-i"),
            ("advice", "Relire les schémas."),
            ("action", "draft"),
        ],
    );
    post(&odile, &draft_url, &changed)
        .await
        .expect_redirect(&draft_url);
    let d = app.state.store.interim_review(y, d.id).unwrap().unwrap();
    assert_eq!(d.positioning("C3").slug(), "m1-i");
    assert_eq!(d.advice, "Relire les schémas.");

    // Publishing needs the confirmation box.
    let csrf = odile.csrf(&draft_url).await;
    odile
        .post(&format!("{draft_url}/publier"), &[("_csrf", &csrf)])
        .await
        .expect(422)
        .shows(&["Je comprends qu'un bilan publié ne peut plus être modifié"]);
    assert!(
        app.state
            .store
            .interim_review(y, d.id)
            .unwrap()
            .unwrap()
            .published
            .is_none()
    );
    let archive = format!("{}?bilan={id}", bilans(y));
    odile
        .post(
            &format!("{draft_url}/publier"),
            &[("_csrf", &csrf), ("confirm", "oui")],
        )
        .await
        .expect_redirect(&archive);
    let p = app.state.store.interim_review(y, d.id).unwrap().unwrap();
    let publication = p.published.expect("published");
    assert_eq!(publication.by, app.w.odile);
    odile
        .get(&archive)
        .await
        .expect(200)
        .shows(&[
            "Bilan intermédiaire publié",
            "Constats :",
            "Conseils :",
            "Relire les schémas.",
            "15/20",
            "C1 - Analyser les conditions de l'opération et son contexte",
        ])
        .hides(&["Reprendre"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn students_and_tutors_see_the_published_reviews_never_the_drafts() {
    let app = App::start().await;
    let y = app.w.yanis;
    let now = app.clock.now();
    let first = review(
        &app,
        (2026, 1, 15),
        "m2-i",
        Some("12"),
        "Premier trimestre difficile.",
        true,
        now - SignedDuration::from_hours(24 * 50),
    );
    let second = review(
        &app,
        (2026, 3, 2),
        "m3-f",
        Some("13,5"),
        "Net progrès.",
        true,
        now - SignedDuration::from_hours(24 * 9),
    );
    let draft = review(
        &app,
        (2026, 3, 10),
        "m4-f",
        None,
        "Brouillon secret.",
        false,
        now,
    );
    for r in [&first, &second, &draft] {
        assert!(app.state.store.insert_interim_review(r).await.unwrap());
    }
    let student = app.student(y).await;
    let tutor = app.tutor(app.w.gregoire).await;
    for (who, b) in [("student", &student), ("tutor", &tutor)] {
        let page = b.get(&bilans(y)).await;
        page.expect(200).shows(&[
            "15/01/2026",
            "02/03/2026",
            "Net progrès.",
            "Conseils : Net progrès.",
            "12/20",
            "13,5/20",
            "Les 8 niveaux de positionnement",
        ]);
        page.hides(&[
            "Brouillon secret.",
            "10/03/2026",
            "Nouveau bilan intermédiaire",
            "Premier trimestre difficile.",
        ]);
        // The latest is selected, and the table has one column per review up to it.
        assert!(
            page.body.contains(&format!(
                "href=\"{}?bilan={}\" aria-current=\"page\"",
                bilans(y),
                second.id
            )),
            "{who}"
        );
        assert_eq!(date_columns(&page.body), 2, "{who}");
        // Choosing the first date shows it alone.
        let older = b.get(&format!("{}?bilan={}", bilans(y), first.id)).await;
        older
            .expect(200)
            .shows(&["Premier trimestre difficile.", "12/20"])
            .hides(&["13,5/20", "Net progrès."]);
        assert_eq!(date_columns(&older.body), 1, "{who}");
        // A published review's own URL shows it; a draft's is not found.
        b.get(&format!("{}/{}", bilans(y), first.id))
            .await
            .expect(200)
            .shows(&["Premier trimestre difficile."]);
        b.get(&format!("{}/{}", bilans(y), draft.id))
            .await
            .expect(404);
        b.get(&format!("{}/{}/modifier", bilans(y), draft.id))
            .await
            .expect(404);
        // Nor may they write one.
        b.get(&format!("{}/nouveau", bilans(y))).await.expect(404);
        let csrf = b.csrf(&bilans(y)).await;
        let id = InterimReviewId::new().to_string();
        b.post(
            &bilans(y),
            &[
                ("_csrf", &csrf),
                ("id", &id),
                ("date", "2026-03-11"),
                ("action", "draft"),
            ],
        )
        .await
        .expect(404);
        b.post(
            &format!("{}/{}/publier", bilans(y), draft.id),
            &[("_csrf", &csrf), ("confirm", "oui")],
        )
        .await
        .expect(404);
        b.post(
            &format!("{}/{}/supprimer", bilans(y), draft.id),
            &[("_csrf", &csrf), ("confirm", "oui")],
        )
        .await
        .expect(404);
    }
    assert_eq!(
        app.state.store.interim_reviews(y).unwrap(),
        vec![first.clone(), second.clone(), draft.clone()]
    );
    // The student's page is titled for them; the coordinator reads, but no draft.
    student
        .get(&bilans(y))
        .await
        .shows(&["Mes bilans de compétences"]);
    let coordinator = app.coordinator().await;
    coordinator
        .get(&bilans(y))
        .await
        .expect(200)
        .shows(&["Net progrès."])
        .hides(&["Brouillon secret."]);
    coordinator
        .get(&format!("{}/{}", bilans(y), draft.id))
        .await
        .expect(404);
    // The referent teacher sees the draft listed, with the banner.
    app.teacher(app.w.odile)
        .await
        .get(&bilans(y))
        .await
        .expect(200)
        .shows(&["Brouillons", "Bilan du 10/03/2026", "Net progrès."]);
    // Someone else's student: not found, for a teacher, a student and a tutor alike.
    app.teacher(app.w.referent)
        .await
        .get(&bilans(y))
        .await
        .expect(404);
    app.student(app.w.mael)
        .await
        .get(&bilans(y))
        .await
        .expect(404);
    app.tutor(app.w.helene)
        .await
        .get(&bilans(y))
        .await
        .expect(404);
    // A teacher who is not Yanis's referent cannot see the draft nor write.
    let other = app.teacher(app.w.referent).await;
    other
        .get(&format!("{}/{}", bilans(y), draft.id))
        .await
        .expect(404);
    other
        .get(&format!("{}/nouveau", bilans(y)))
        .await
        .expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_review_cannot_be_changed_and_a_draft_can_be_deleted() {
    let app = App::start().await;
    let y = app.w.yanis;
    let now = app.clock.now();
    let published = review(
        &app,
        (2026, 3, 2),
        "m3-f",
        Some("13,5"),
        "Net progrès.",
        true,
        now - SignedDuration::from_hours(24),
    );
    let draft = review(&app, (2026, 3, 10), "m4-f", None, "Brouillon.", false, now);
    for r in [&published, &draft] {
        assert!(app.state.store.insert_interim_review(r).await.unwrap());
    }
    let odile = app.teacher(app.w.odile).await;
    let url = format!("{}/{}", bilans(y), published.id);
    let csrf = odile.csrf(&bilans(y)).await;
    // Its edit form leads to the review itself.
    odile.get(&format!("{url}/modifier")).await.expect(303);
    let r = melec(&app);
    let mut form: Vec<(String, String)> = vec![
        ("_csrf".into(), csrf.clone()),
        ("date".into(), "2026-03-11".into()),
        ("findings".into(), "Réécrit.".into()),
        ("advice".into(), "Réécrit.".into()),
        ("grade".into(), "20".into()),
        ("action".into(), "draft".into()),
    ];
    for c in &r.competencies {
        form.push((format!("pos-{}", c.code), "m4-f".into()));
    }
    post(&odile, &url, &form)
        .await
        .expect(409)
        .shows(&["Ce bilan est publié : il ne peut plus être modifié."]);
    // The create form sent with a published review's id and another content.
    let mut again = form.clone();
    again.push(("id".into(), published.id.to_string()));
    post(&odile, &bilans(y), &again)
        .await
        .expect(409)
        .shows(&["Ce bilan est publié"]);
    for action in ["publier", "supprimer"] {
        odile
            .post(
                &format!("{url}/{action}"),
                &[("_csrf", &csrf), ("confirm", "oui")],
            )
            .await
            .expect(409)
            .shows(&["Ce bilan est publié : il ne peut plus être modifié."]);
    }
    assert_eq!(
        app.state.store.interim_review(y, published.id).unwrap(),
        Some(published.clone())
    );

    // A draft: a confirmation step, then it is gone.
    let durl = format!("{}/{}", bilans(y), draft.id);
    odile
        .post(&format!("{durl}/supprimer"), &[("_csrf", &csrf)])
        .await
        .expect(200)
        .shows(&["Supprimer ce brouillon ?", "Supprimer définitivement"]);
    assert!(
        app.state
            .store
            .interim_review(y, draft.id)
            .unwrap()
            .is_some()
    );
    odile
        .post(
            &format!("{durl}/supprimer"),
            &[("_csrf", &csrf), ("confirm", "oui")],
        )
        .await
        .expect_redirect(&bilans(y));
    assert!(
        app.state
            .store
            .interim_review(y, draft.id)
            .unwrap()
            .is_none()
    );
    odile
        .get(&bilans(y))
        .await
        .shows(&["Brouillon du bilan intermédiaire supprimé."]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grade_is_out_of_20_in_half_points() {
    let app = App::start().await;
    let y = app.w.yanis;
    let odile = app.teacher(app.w.odile).await;
    let r = melec(&app);
    let form = odile.get(&format!("{}/nouveau", bilans(y))).await;
    form.expect(200);
    for (grade, message) in [
        ("20,5", "La note proposée doit être comprise entre 0 et 20."),
        ("-1", "La note proposée doit être comprise entre 0 et 20."),
        ("13,25", "La note proposée se donne au demi-point près"),
    ] {
        let sent = form_of(
            &form,
            &r,
            &[
                ("grade", grade),
                ("findings", "Texte gardé."),
                ("action", "draft"),
            ],
        );
        let refused = post(&odile, &bilans(y), &sent).await;
        refused
            .expect(422)
            .shows(&[message, "Le formulaire n'a pas été enregistré"]);
        assert_eq!(refused.field("grade").as_deref(), Some(grade));
        assert_eq!(refused.field("findings").as_deref(), Some("Texte gardé."));
        assert_eq!(refused.field("id"), form.field("id"), "the id is kept");
    }
    assert!(app.state.store.interim_reviews(y).unwrap().is_empty());
    let sent = form_of(&form, &r, &[("grade", "13,5"), ("action", "draft")]);
    post(&odile, &bilans(y), &sent).await.expect(303);
    let stored = app.state.store.interim_reviews(y).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].grade.map(Grade::half_points), Some(27));
    // Publishing from the form needs the box, and the texts.
    let form = odile.get(&format!("{}/nouveau", bilans(y))).await;
    let sent = form_of(&form, &r, &[("action", "publish")]);
    post(&odile, &bilans(y), &sent)
        .await
        .expect(422)
        .shows(&["Pour publier, cochez", "Écrivez les constats"]);
    assert_eq!(app.state.store.interim_reviews(y).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_review_suggests_from_the_evaluations_after_the_previous_one() {
    use CriterionResult::*;
    let app = App::start().await;
    let y = app.w.yanis;
    let r = melec(&app);
    let before = app.clock.now() - SignedDuration::from_hours(2);
    app.state
        .store
        .insert_evaluation(&evaluation(
            &app,
            Complexity::Intermediate,
            before,
            &[
                ("C1.1", NotAchieved),
                ("C1.2", NotAchieved),
                ("C1.3", NotAchieved),
            ],
        ))
        .await
        .unwrap();
    let odile = app.teacher(app.w.odile).await;
    let form = odile.get(&format!("{}/nouveau", bilans(y))).await;
    assert_eq!(selected(&form.body, "pos-C1").as_deref(), Some("m1-i"));
    // Published straight from the form; sent twice, stored once.
    let sent = form_of(
        &form,
        &r,
        &[
            ("findings", "Constats."),
            ("advice", "Conseils."),
            ("confirm", "oui"),
            ("action", "publish"),
        ],
    );
    let id = form.field("id").unwrap();
    let archive = format!("{}?bilan={id}", bilans(y));
    post(&odile, &bilans(y), &sent)
        .await
        .expect_redirect(&archive);
    post(&odile, &bilans(y), &sent)
        .await
        .expect_redirect(&archive);
    let stored = app.state.store.interim_reviews(y).unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].published.is_some());
    assert_eq!(stored[0].considered_until, app.clock.now());

    // An hour later, a new evaluation: the next suggestion reads it alone.
    app.clock.advance(SignedDuration::from_hours(1));
    app.state
        .store
        .insert_evaluation(&evaluation(
            &app,
            Complexity::Intermediate,
            app.clock.now(),
            &[("C1.1", AchievedAutonomously)],
        ))
        .await
        .unwrap();
    app.clock.advance(SignedDuration::from_mins(5));
    let next = odile.get(&format!("{}/nouveau", bilans(y))).await;
    next.expect(200).shows(&[
        "d'après 1 résultat récent",
        "1 évaluation modifiée depuis le bilan publié du 11/03/2026",
    ]);
    // With the first evaluation, the mean would be 0.75 (in progress).
    assert_eq!(selected(&next.body, "pos-C1").as_deref(), Some("m4-i"));
    assert_eq!(next.field("grade").as_deref(), Some("20"));
    // A cut-off sent from before the previous one is brought back to it.
    let sent = form_of(
        &next,
        &r,
        &[
            ("considered_until", "2020-01-01T00:00:00Z"),
            ("action", "draft"),
        ],
    );
    post(&odile, &bilans(y), &sent).await.expect(303);
    let second = app
        .state
        .store
        .interim_reviews(y)
        .unwrap()
        .into_iter()
        .find(|x| x.published.is_none())
        .unwrap();
    assert_eq!(second.considered_until, stored[0].considered_until);
}
