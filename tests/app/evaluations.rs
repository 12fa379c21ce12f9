//! School evaluations (issue 5, item 1): the referent teacher creates, edits and
//! deletes them; the student, their tutors and a coordinator read them; anyone else
//! gets 404.

use crate::support::*;
use jiff::{SignedDuration, Timestamp};
use livret::domain::*;

fn list(s: StudentId) -> String {
    format!("/eleves/{s}/evaluations")
}

fn show(s: StudentId, e: EvaluationId) -> String {
    format!("/eleves/{s}/evaluations/{e}")
}

fn now(app: &App) -> Timestamp {
    app.clock.now()
}

/// An evaluation of Maël stored directly, written by `author` at the app's now.
async fn seeded(app: &App, title: &str, author: TeacherId) -> Evaluation {
    let at = now(app);
    let e = Evaluation {
        id: EvaluationId::new(),
        student: app.w.mael,
        referential: "bacpro-melec".into(),
        context: Context::School,
        complexity: Complexity::Discovery,
        title: title.into(),
        author,
        results: vec![CriterionScore {
            criterion: "C1.1".into(),
            result: CriterionResult::Partial,
        }],
        created_at: at,
        updated_at: at,
    };
    assert!(app.state.store.insert_evaluation(&e).await.unwrap());
    e
}

fn stored(app: &App, e: EvaluationId) -> Option<Evaluation> {
    app.state.store.evaluation(app.w.mael, e).unwrap()
}

fn count(app: &App) -> usize {
    app.state
        .store
        .evaluations_of_student(app.w.mael)
        .unwrap()
        .len()
}

/// The new-evaluation form of Maël, opened by `b`: (csrf, id made by the form).
async fn new_form(app: &App, b: &Browser) -> (String, String) {
    let page = b.get(&format!("{}/nouvelle", list(app.w.mael))).await;
    page.expect(200);
    (
        page.csrf(),
        page.field("id").expect("the form carries its id"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referent_creates_an_evaluation_once_shown_in_the_list_and_on_its_page() {
    let app = App::start().await;
    let teacher = app.teacher(app.w.referent).await;
    let before = count(&app);
    teacher.get(&list(app.w.mael)).await.expect(200).shows(&[
        "Évaluations en établissement de Maël",
        "Nouvelle évaluation",
        "Tableau de bord",
    ]);
    let form = teacher.get(&format!("{}/nouvelle", list(app.w.mael))).await;
    form.expect(200).shows(&[
        "Nouvelle évaluation en établissement",
        "Niveau de complexité",
        "— non évalué —",
        "réussite totale en autonomie",
        "élève absent",
        "C1.1",
        "Les informations nécessaires sont recueillies",
    ]);
    let (csrf, id) = (form.csrf(), form.field("id").unwrap());
    let fields = [
        ("_csrf", csrf.as_str()),
        ("id", id.as_str()),
        ("title", "TP 4 — tableau de chantier"),
        ("complexity", "Int"),
        // Sent out of order, and one left "non évalué".
        ("r:C1.2", "ab"),
        ("r:C1.3", ""),
        ("r:C1.1", "aa"),
    ];
    let created = teacher.post(&list(app.w.mael), &fields).await;
    let eval_id: EvaluationId = id.parse().unwrap();
    created.expect_redirect(&show(app.w.mael, eval_id));
    let e = stored(&app, eval_id).expect("stored under the form's id");
    assert_eq!(e.title, "TP 4 — tableau de chantier");
    assert_eq!(e.complexity, Complexity::Intermediate);
    assert_eq!(e.context, Context::School);
    assert_eq!(e.author, app.w.referent);
    assert_eq!(e.referential, "bacpro-melec");
    assert_eq!((e.created_at, e.updated_at), (now(&app), now(&app)));
    let results: Vec<_> = e
        .results
        .iter()
        .map(|s| (s.criterion.as_str(), s.result))
        .collect();
    assert_eq!(
        results,
        [
            ("C1.1", CriterionResult::AchievedAutonomously),
            ("C1.2", CriterionResult::Absent)
        ],
        "in referential order, unassessed criteria left out"
    );

    let page = teacher.get(&show(app.w.mael, eval_id)).await;
    page.expect(200).shows(&[
        "Évaluation enregistrée.",
        "TP 4 — tableau de chantier",
        "intermédiaire",
        "en établissement",
        "Sébastien Roussel",
        "11/03/2026 à 10:30",
        "Les informations nécessaires sont recueillies",
        "réussite totale en autonomie",
        "élève absent",
        "Modifier",
        "Supprimer",
    ]);
    assert!(page.body.contains("cell res-aa school"), "a school cell");
    teacher
        .get(&list(app.w.mael))
        .await
        .expect(200)
        .shows(&["TP 4 — tableau de chantier", "2 critères évalués"]);

    // The same form sent again (double tap) stores nothing more.
    teacher
        .post(&list(app.w.mael), &fields)
        .await
        .expect_redirect(&show(app.w.mael, eval_id));
    assert_eq!(count(&app), before + 1);
    assert_eq!(stored(&app, eval_id).unwrap(), e);
    // Sent again with another content ("Back", then changed): a change of that one.
    let mut changed = fields;
    changed[2].1 = "TP 4 — tableau de chantier (corrigé)";
    teacher
        .post(&list(app.w.mael), &changed)
        .await
        .expect_redirect(&show(app.w.mael, eval_id));
    assert_eq!(count(&app), before + 1);
    assert_eq!(
        stored(&app, eval_id).unwrap().title,
        "TP 4 — tableau de chantier (corrigé)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_form_comes_back_with_the_input_kept_and_stores_nothing() {
    let app = App::start().await;
    let teacher = app.teacher(app.w.referent).await;
    let before = count(&app);
    let (csrf, id) = new_form(&app, &teacher).await;
    let post =
        |title: &'static str, level: &'static str, results: Vec<(&'static str, &'static str)>| {
            let (t, csrf, id, url) = (teacher.clone(), csrf.clone(), id.clone(), list(app.w.mael));
            async move {
                let mut fields = vec![
                    ("_csrf", csrf.as_str()),
                    ("id", id.as_str()),
                    ("title", title),
                    ("complexity", level),
                ];
                fields.extend(results);
                t.post(&url, &fields).await
            }
        };

    let page = post("", "Ba", vec![("r:C2.1", "pa")]).await;
    page.expect(422).shows(&[
        "Le formulaire n'a pas été enregistré",
        "Ce champ est obligatoire.",
    ]);
    assert!(
        page.body.contains("value=\"pa\" selected"),
        "the result stays chosen"
    );
    assert!(
        page.body.contains("value=\"Ba\" required checked"),
        "the level stays chosen"
    );
    assert!(
        page.body.contains("<details open"),
        "the competency with a result is open"
    );
    assert_eq!(
        page.field("id").as_deref(),
        Some(id.as_str()),
        "same id kept"
    );

    post("Contrôle C2", "D", vec![("r:C2.1", "")])
        .await
        .expect(422)
        .shows(&[
            "Donnez un résultat à au moins un critère d'évaluation.",
            "Contrôle C2",
        ]);

    post(
        "Contrôle C2",
        "D",
        vec![("r:C2.1", "aa"), ("r:C99.9", "aa")],
    )
    .await
    .expect(422)
    .shows(&[
        "Le critère « C99.9 » n'existe pas dans le référentiel Bac Pro MELEC",
        "Contrôle C2",
    ]);

    post("Contrôle C2", "E", vec![("r:C2.1", "aa")])
        .await
        .expect(422)
        .shows(&["Choisissez le niveau de complexité"]);

    post("Contrôle C2", "D", vec![("r:C2.1", "excellent")])
        .await
        .expect(422)
        .shows(&["Résultat inconnu pour le critère « C2.1 »"]);

    let long: &'static str = Box::leak("x".repeat(151).into_boxed_str());
    post(long, "D", vec![("r:C2.1", "aa")])
        .await
        .expect(422)
        .shows(&["Ce texte est trop long : 151 caractères pour 150 au plus."]);

    assert_eq!(count(&app), before, "nothing stored");
    // The same id, now valid, is stored.
    post("Contrôle C2", "D", vec![("r:C2.1", "aa")])
        .await
        .expect(303);
    assert_eq!(count(&app), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_moves_the_evaluation_in_time_and_up_the_list() {
    let app = App::start().await;
    let teacher = app.teacher(app.w.referent).await;
    // Written by another teacher an hour before B.
    let a = seeded(&app, "Évaluation A", app.w.odile).await;
    app.clock.advance(SignedDuration::from_hours(1));
    let b = seeded(&app, "Évaluation B", app.w.referent).await;
    let order = |body: &str| {
        let (ia, ib) = (body.find("Évaluation A"), body.find("Évaluation B"));
        (ia.unwrap(), ib.unwrap())
    };
    let page = teacher.get(&list(app.w.mael)).await;
    let (ia, ib) = order(&page.expect(200).text());
    assert!(ib < ia, "B, changed last, comes first");

    let edit_url = format!("{}/modifier", show(app.w.mael, a.id));
    let form = teacher.get(&edit_url).await;
    form.expect(200).shows(&[
        "Modifier l'évaluation",
        "la date prise en compte (liste, tableau de bord) est celle de sa dernière modification",
    ]);
    assert_eq!(form.field("title").as_deref(), Some("Évaluation A"));
    assert!(form.body.contains("value=\"pa\" selected"));
    assert!(form.field("id").is_none(), "an edit form makes no new id");
    let csrf = form.csrf();

    app.clock.advance(SignedDuration::from_hours(1));
    let fields = [
        ("_csrf", csrf.as_str()),
        ("title", "Évaluation A"),
        ("complexity", "Ba"),
        ("r:C1.1", "ah"),
    ];
    teacher
        .post(&show(app.w.mael, a.id), &fields)
        .await
        .expect_redirect(&show(app.w.mael, a.id));
    let changed = stored(&app, a.id).unwrap();
    assert_eq!(changed.updated_at, now(&app), "moved to the change's time");
    assert_eq!(changed.created_at, a.created_at, "creation time kept");
    assert_eq!(
        changed.author, app.w.referent,
        "the editing teacher is the author"
    );
    assert_eq!(changed.complexity, Complexity::BacPro);
    assert_eq!(changed.results[0].result, CriterionResult::AchievedWithHelp);
    teacher
        .get(&show(app.w.mael, a.id))
        .await
        .expect(200)
        .shows(&[
            "Évaluation modifiée",
            "bac pro",
            "réussite totale avec aide",
            "Modifiée le",
            "11/03/2026 à 12:30",
        ]);
    let page = teacher.get(&list(app.w.mael)).await;
    page.expect(200)
        .shows(&["Modifiée le 11/03/2026 à 12:30 par Sébastien Roussel"]);
    let (ia, ib) = order(&page.text());
    assert!(ia < ib, "A, changed last, now comes first");

    // The same content again is no change: the date stays.
    app.clock.advance(SignedDuration::from_hours(1));
    teacher
        .post(&show(app.w.mael, a.id), &fields)
        .await
        .expect(303);
    assert_eq!(stored(&app, a.id).unwrap(), changed);

    // An invalid change comes back and leaves it as it was.
    teacher
        .post(
            &show(app.w.mael, a.id),
            &[
                ("_csrf", csrf.as_str()),
                ("title", "Évaluation A"),
                ("complexity", "Ba"),
            ],
        )
        .await
        .expect(422)
        .shows(&["Donnez un résultat à au moins un critère d'évaluation."]);
    assert_eq!(stored(&app, a.id).unwrap(), changed);
    assert_eq!(stored(&app, b.id).unwrap(), b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_asks_for_confirmation() {
    let app = App::start().await;
    let teacher = app.teacher(app.w.referent).await;
    let e = seeded(&app, "TP à supprimer", app.w.referent).await;
    let page = teacher.get(&show(app.w.mael, e.id)).await;
    let csrf = page.expect(200).csrf();
    let delete = format!("{}/supprimer", show(app.w.mael, e.id));
    teacher
        .post(&delete, &[("_csrf", csrf.as_str())])
        .await
        .expect(200)
        .shows(&[
            "Supprimer l'évaluation ?",
            "TP à supprimer",
            "Supprimer définitivement",
        ]);
    assert!(stored(&app, e.id).is_some(), "asking deletes nothing");
    teacher
        .post(&delete, &[("_csrf", csrf.as_str()), ("confirmer", "oui")])
        .await
        .expect_redirect(&list(app.w.mael));
    assert!(stored(&app, e.id).is_none());
    teacher
        .get(&list(app.w.mael))
        .await
        .expect(200)
        .shows(&["Évaluation supprimée."])
        .hides(&["TP à supprimer"]);
    teacher.get(&show(app.w.mael, e.id)).await.expect(404);
    // Sent twice: nothing left to delete, back to the list.
    teacher
        .post(&delete, &[("_csrf", csrf.as_str()), ("confirmer", "oui")])
        .await
        .expect_redirect(&list(app.w.mael));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_student_tutor_and_coordinator_read_but_never_write() {
    let app = App::start().await;
    let e = seeded(&app, "TP lu par tous", app.w.referent).await;
    let before = count(&app);
    let readers = [
        ("student", app.student(app.w.mael).await),
        ("tutor", app.tutor(app.w.helene).await),
        ("coordinator", app.coordinator().await),
    ];
    for (who, b) in &readers {
        let page = b.get(&list(app.w.mael)).await;
        page.expect(200)
            .shows(&["TP lu par tous", "1 critère évalué"])
            .hides(&["Nouvelle évaluation"]);
        let page = b.get(&show(app.w.mael, e.id)).await;
        page.expect(200)
            .shows(&["TP lu par tous", "réussite partielle"])
            .hides(&["Modifier", "Supprimer"]);
        let csrf = page.csrf();
        let new_id = EvaluationId::new().to_string();
        for path in [
            format!("{}/nouvelle", list(app.w.mael)),
            format!("{}/modifier", show(app.w.mael, e.id)),
        ] {
            assert_eq!(b.get(&path).await.status, 404, "{who} GET {path}");
        }
        let fields = [
            ("_csrf", csrf.as_str()),
            ("id", new_id.as_str()),
            ("title", "Tentative"),
            ("complexity", "D"),
            ("r:C1.1", "aa"),
            ("confirmer", "oui"),
        ];
        for path in [
            list(app.w.mael),
            show(app.w.mael, e.id),
            format!("{}/supprimer", show(app.w.mael, e.id)),
        ] {
            assert_eq!(
                b.post(&path, &fields).await.status,
                404,
                "{who} POST {path}"
            );
        }
    }
    assert_eq!(count(&app), before);
    assert_eq!(stored(&app, e.id).unwrap(), e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_and_other_students_get_404() {
    let app = App::start().await;
    let e = seeded(&app, "TP privé", app.w.referent).await;
    let mael_urls = [
        list(app.w.mael),
        format!("{}/nouvelle", list(app.w.mael)),
        show(app.w.mael, e.id),
        format!("{}/modifier", show(app.w.mael, e.id)),
    ];
    // A teacher who refers none of Maël's placements.
    let odile = app.teacher(app.w.odile).await;
    let csrf = odile.csrf("/").await;
    for path in &mael_urls {
        assert_eq!(odile.get(path).await.status, 404, "Odile GET {path}");
    }
    let fields = [
        ("_csrf", csrf.as_str()),
        ("title", "Tentative"),
        ("complexity", "D"),
        ("r:C1.1", "aa"),
        ("confirmer", "oui"),
    ];
    for path in [
        list(app.w.mael),
        show(app.w.mael, e.id),
        format!("{}/supprimer", show(app.w.mael, e.id)),
    ] {
        assert_eq!(
            odile.post(&path, &fields).await.status,
            404,
            "Odile POST {path}"
        );
    }
    assert_eq!(stored(&app, e.id).unwrap(), e);

    // Maël's tutor does not see Yanis; Maël does not see Éloïse.
    let helene = app.tutor(app.w.helene).await;
    helene.get(&list(app.w.yanis)).await.expect(404);
    let mael = app.student(app.w.mael).await;
    mael.get(&list(app.w.eloise)).await.expect(404);
    // The referent does not refer Yanis, nor Anaïs (who has no placement).
    let teacher = app.teacher(app.w.referent).await;
    for s in [app.w.yanis, app.w.anais] {
        teacher.get(&list(s)).await.expect(404);
        teacher
            .get(&format!("{}/nouvelle", list(s)))
            .await
            .expect(404);
    }
    // Maël's evaluation under another of the referent's students is not found.
    teacher.get(&show(app.w.eloise, e.id)).await.expect(404);
    teacher
        .get(&format!("{}/modifier", show(app.w.eloise, e.id)))
        .await
        .expect(404);
    // Unknown or malformed ids.
    teacher.get(&list(StudentId::new())).await.expect(404);
    teacher
        .get("/eleves/pas-un-id/evaluations")
        .await
        .expect(404);
    teacher
        .get(&show(app.w.mael, EvaluationId::new()))
        .await
        .expect(404);
    teacher
        .get(&format!("{}/pas-un-id", list(app.w.mael)))
        .await
        .expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_anti_csrf_token_are_refused() {
    let app = App::start().await;
    let teacher = app.teacher(app.w.referent).await;
    let e = seeded(&app, "TP protégé", app.w.referent).await;
    let before = count(&app);
    let (_, id) = new_form(&app, &teacher).await;
    for csrf in [None, Some("faux-jeton")] {
        let mut fields = vec![
            ("id", id.as_str()),
            ("title", "Sans jeton"),
            ("complexity", "D"),
            ("r:C1.1", "aa"),
            ("confirmer", "oui"),
        ];
        if let Some(c) = csrf {
            fields.push(("_csrf", c));
        }
        for path in [
            list(app.w.mael),
            show(app.w.mael, e.id),
            format!("{}/supprimer", show(app.w.mael, e.id)),
        ] {
            assert_eq!(
                teacher.post(&path, &fields).await.status,
                403,
                "POST {path}"
            );
        }
    }
    assert_eq!(count(&app), before);
    assert_eq!(stored(&app, e.id).unwrap(), e);
}
