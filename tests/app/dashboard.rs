//! The student's dashboard (tableau de bord) and "Avancement de formation" (issue 5):
//! column order by last change, level codes, shapes, the black line, the filters and
//! views, who sees what. Data is seeded through the app's store (Yanis Girard: tutor
//! Grégoire, referent Odile; no demo evaluations, so the expected table is exact).

use crate::support::*;
use jiff::Timestamp;
use livret::domain::*;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn scores(results: &[(&str, CriterionResult)]) -> Vec<CriterionScore> {
    results
        .iter()
        .map(|(c, r)| CriterionScore {
            criterion: (*c).into(),
            result: *r,
        })
        .collect()
}

fn school_eval(
    w: &World,
    title: &str,
    level: Complexity,
    when: &str,
    results: &[(&str, CriterionResult)],
) -> Evaluation {
    Evaluation {
        id: EvaluationId::new(),
        student: w.yanis,
        referential: "bacpro-melec".into(),
        context: Context::School,
        complexity: level,
        title: title.into(),
        author: w.odile,
        results: scores(results),
        created_at: at(when),
        updated_at: at(when),
    }
}

/// What [`seed_yanis`] stored.
struct Seeded {
    /// "TP 1 tableau", first by creation.
    first: Evaluation,
}

/// Yanis's record: four school evaluations, a finalised company review of his
/// placement (5 March), a published interim review taking into account everything up
/// to 1 February, one submitted and one draft activity sheet.
async fn seed_yanis(app: &App) -> Seeded {
    use CriterionResult::*;
    let w = &app.w;
    let store = &app.state.store;
    let first = school_eval(
        w,
        "TP 1 tableau",
        Complexity::Intermediate,
        "2026-01-12T10:00:00Z",
        &[("C1.1", AchievedAutonomously), ("C1.2", Partial)],
    );
    let evals = [
        first.clone(),
        school_eval(
            w,
            "Évaluation C2",
            Complexity::Discovery,
            "2026-01-26T10:00:00Z",
            &[("C1.1", NotAchieved), ("C2.1", NotAssessable)],
        ),
        school_eval(
            w,
            "Bac blanc",
            Complexity::BacPro,
            "2026-02-09T10:00:00Z",
            &[("C1.1", Absent), ("C1.2", AchievedWithHelp)],
        ),
        school_eval(
            w,
            "TP atelier",
            Complexity::Intermediate,
            "2026-03-04T10:00:00Z",
            &[("C2.1", AchievedAutonomously)],
        ),
    ];
    for e in &evals {
        assert!(store.insert_evaluation(e).await.unwrap());
    }
    let review = CompanyReview {
        id: EvaluationId::new(),
        placement: w.p_yanis,
        student: w.yanis,
        referential: "bacpro-melec".into(),
        criteria: vec!["C1.1".into(), "C2.1".into()],
        results: scores(&[("C1.1", AchievedAutonomously), ("C2.1", Partial)]),
        comment: String::new(),
        status: CompanyReviewStatus::Finalised {
            referent: w.odile,
            tutor: w.gregoire,
            at: at("2026-03-05T15:00:00Z"),
        },
        prepared_by: w.odile,
        created_at: at("2026-03-02T08:00:00Z"),
        updated_at: at("2026-03-05T15:00:00Z"),
        revisions: vec![],
    };
    assert!(store.insert_company_review(&review).await.unwrap());
    let interim = InterimReview {
        id: InterimReviewId::new(),
        student: w.yanis,
        referential: "bacpro-melec".into(),
        date: jiff::civil::date(2026, 2, 1),
        findings: "Bon début.".into(),
        advice: "Soigner le repérage.".into(),
        positionings: vec![CompetencyPositioning {
            competency: "C1".into(),
            positioning: Positioning::Placed {
                level: Mastery::Partial,
                target: Target::Interim,
            },
        }],
        grade: Grade::from_half_points(25),
        author: w.odile,
        considered_until: at("2026-02-01T12:00:00Z"),
        published: Some(Publication {
            at: at("2026-02-01T12:00:00Z"),
            by: w.odile,
        }),
        created_at: at("2026-02-01T11:00:00Z"),
        updated_at: at("2026-02-01T12:00:00Z"),
    };
    assert!(store.insert_interim_review(&interim).await.unwrap());
    let sheet = |status: SheetStatus, competencies: &[&str]| ActivitySheet {
        id: ActivitySheetId::new(),
        placement: w.p_yanis,
        title: format!("Fiche {status:?}"),
        date: jiff::civil::date(2026, 3, 3),
        context: "Chantier".into(),
        work_done: "Câblage".into(),
        tools: String::new(),
        competencies: competencies.iter().map(|c| (*c).to_string()).collect(),
        criteria: vec![],
        status,
        tutor_comment: None,
        created_at: at("2026-03-03T16:00:00Z"),
        updated_at: at("2026-03-03T16:00:00Z"),
        submitted_at: None,
    };
    assert!(
        store
            .insert_sheet(&sheet(SheetStatus::Submitted, &["C1"]))
            .await
            .unwrap()
    );
    assert!(
        store
            .insert_sheet(&sheet(SheetStatus::Draft, &["C1", "C2"]))
            .await
            .unwrap()
    );
    Seeded { first }
}

fn dashboard(s: StudentId) -> String {
    format!("/eleves/{s}/tableau-de-bord")
}

/// One column head of the dashboard: its classes and its tooltip (title — date).
#[derive(Debug)]
struct Head {
    class: String,
    title: String,
    inner: String,
}

fn attr(tag: &str, name: &str) -> String {
    let key = format!(" {name}=\"");
    tag.find(&key)
        .map(|i| {
            let rest = &tag[i + key.len()..];
            unescape(&rest[..rest.find('"').unwrap()])
        })
        .unwrap_or_default()
}

/// The column heads of the (first) dashboard table, in order.
fn heads(body: &str) -> Vec<Head> {
    let table = table_html(body);
    table
        .split("<th ")
        .skip(1)
        .filter_map(|t| {
            let tag = &t[..t.find('>').unwrap()];
            let class = attr(&format!(" {tag}"), "class");
            class.split(' ').any(|c| c == "eval").then(|| Head {
                class,
                title: attr(&format!(" {tag}"), "title"),
                inner: t[t.find('>').unwrap() + 1..t.find("</th>").unwrap()].to_string(),
            })
        })
        .collect()
}

fn titles(body: &str) -> Vec<String> {
    heads(body)
        .into_iter()
        .map(|h| h.title.split(" — ").next().unwrap().to_string())
        .collect()
}

/// The first `<table class="dashboard">…</table>`.
fn table_html(body: &str) -> &str {
    let start = body
        .find("<table class=\"dashboard\"")
        .unwrap_or_else(|| panic!("no dashboard table:\n{body}"));
    let end = start + body[start..].find("</table>").unwrap() + "</table>".len();
    &body[start..end]
}

/// The row heads (`th.crit`) of the first table: criterion or competency codes.
fn row_codes(body: &str) -> Vec<String> {
    table_html(body)
        .split("<th class=\"crit\" scope=\"row\"><span class=\"code\">")
        .skip(1)
        .map(|t| t[..t.find('<').unwrap()].to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_follow_the_last_change_with_levels_shapes_and_the_black_line() {
    let app = App::start().await;
    let seeded = seed_yanis(&app).await;
    let w = &app.w;
    let odile = app.teacher(w.odile).await;
    let page = odile.get(&dashboard(w.yanis)).await;
    page.expect(200).shows(&[
        "Yanis Girard",
        "Tableau de bord",
        "Bilan de compétences",
        "Avancement de formation",
        "Légende",
        "5 évaluations",
        "Le trait vertical noir sépare 2 évaluations déjà prises en compte",
    ]);
    // A review's column names its period, never its company (a tutor of another
    // placement of the student sees the same table).
    let yanis_p = app.state.store.placement(w.p_yanis).unwrap().unwrap();
    let review_title = format!(
        "Bilan entreprise — PFMP du {} au {}",
        yanis_p.start.strftime("%d/%m/%Y"),
        yanis_p.end.strftime("%d/%m/%Y")
    );
    assert_eq!(
        titles(&page.body),
        [
            "TP 1 tableau",
            "Évaluation C2",
            "Bac blanc",
            "TP atelier",
            "Bilan entreprise"
        ]
    );
    let hs = heads(&page.body);
    assert_eq!(
        hs[4].title,
        format!("{review_title} — jeudi 5 mars 2026"),
        "a review's column is titled by its period"
    );
    // Level codes; only the review's is E (pink).
    assert!(hs[0].inner.contains(">Int</abbr>"), "{:?}", hs[0]);
    assert!(hs[1].inner.contains(">D</abbr>"));
    assert!(hs[2].inner.contains(">Ba</abbr>"));
    assert!(hs[4].inner.contains("level-E"), "{:?}", hs[4]);
    assert_eq!(
        page.body.matches("class=\"level level-E\"").count(),
        2,
        "one E column, plus the legend's"
    );
    assert!(hs[0].inner.contains("12/01"), "the column shows its day");
    // The black line: left of "Bac blanc" (the first evaluation changed after the
    // interim review's cut-off), announced in words in that head only.
    let lined: Vec<usize> = (0..hs.len())
        .filter(|&i| hs[i].class.split(' ').any(|c| c == "line"))
        .collect();
    assert_eq!(lined, [2]);
    assert!(
        hs[2]
            .inner
            .contains("évaluations suivantes non encore prises en compte")
    );
    assert_eq!(
        table_html(&page.body)
            .matches("non encore prises en compte")
            .count(),
        1
    );
    // Shapes: the review's cells are pills, the others rectangles; every cell says its
    // result in words.
    let table = table_html(&page.body);
    assert_eq!(table.matches("cell res-aa company").count(), 1);
    assert_eq!(table.matches("cell res-pa company").count(), 1);
    assert_eq!(table.matches(" school\"").count(), 7);
    let cells: Vec<&str> = table.split("<span class=\"cell ").skip(1).collect();
    assert_eq!(cells.len(), 9);
    for c in &cells {
        let slug = &c[4..6];
        let label = CriterionResult::from_slug(slug).unwrap().label();
        assert!(
            c.contains(&format!(
                "<span class=\"visually-hidden\">{}</span>",
                label.replace('\'', "&#39;")
            )) || c.contains(&format!("<span class=\"visually-hidden\">{label}</span>")),
            "cell without its words: {c}"
        );
    }
    // Row and column heads are real heads.
    assert!(table.contains("<th class=\"crit\" scope=\"row\"><span class=\"code\">C1.1</span>"));
    assert!(table.contains("scope=\"rowgroup\""));

    // Editing the first evaluation moves it to the right, past the line.
    let mut edited = seeded.first.clone();
    edited.results = scores(&[("C1.1", CriterionResult::AchievedWithHelp)]);
    edited.updated_at = app.clock.now();
    app.state
        .store
        .update_evaluation(w.yanis, edited.id, |_| Some(edited.clone()))
        .await
        .unwrap();
    let page = odile.get(&dashboard(w.yanis)).await;
    assert_eq!(
        titles(&page.body),
        [
            "Évaluation C2",
            "Bac blanc",
            "TP atelier",
            "Bilan entreprise",
            "TP 1 tableau"
        ]
    );
    let hs = heads(&page.body);
    let lined: Vec<usize> = (0..hs.len())
        .filter(|&i| hs[i].class.split(' ').any(|c| c == "line"))
        .collect();
    assert_eq!(lined, [1]);
    page.shows(&["Le trait vertical noir sépare 1 évaluation déjà prise en compte"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutor_student_referent_and_coordinator_see_the_same_table_and_nobody_else() {
    let app = App::start().await;
    seed_yanis(&app).await;
    let w = &app.w;
    let url = dashboard(w.yanis);
    let reference = app.teacher(w.odile).await.get(&url).await;
    reference.expect(200);
    let table = table_html(&reference.body).to_string();
    for (who, browser) in [
        ("tuteur", app.tutor(w.gregoire).await),
        ("élève", app.student(w.yanis).await),
        ("coordinateur", app.coordinator().await),
    ] {
        let page = browser.get(&url).await;
        page.expect(200);
        assert_eq!(
            table_html(&page.body),
            table,
            "the {who} sees another table"
        );
    }
    // The student's own page has no back link and says "Mon".
    app.student(w.yanis)
        .await
        .get(&url)
        .await
        .shows(&["Mon tableau de bord"])
        .hides(&["← Mes"]);
    // Another student's tutor, another student's referent, another student: 404.
    for browser in [
        app.tutor(w.helene).await,
        app.teacher(w.referent).await,
        app.student(w.mael).await,
    ] {
        browser.get(&url).await.expect(404);
        browser
            .get(&format!("/eleves/{}/avancement", w.yanis))
            .await
            .expect(404);
    }
    app.student(w.yanis)
        .await
        .get(&dashboard(w.mael))
        .await
        .expect(404);
    let odile = app.teacher(w.odile).await;
    odile
        .get("/eleves/pas-un-id/tableau-de-bord")
        .await
        .expect(404);
    odile.get(&dashboard(StudentId::new())).await.expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_choose_columns_and_rows_and_are_kept_in_the_form() {
    let app = App::start().await;
    seed_yanis(&app).await;
    let w = &app.w;
    let odile = app.teacher(w.odile).await;
    let get = |q: String| {
        let (b, url) = (odile.clone(), format!("{}?{q}", dashboard(w.yanis)));
        async move {
            let p = b.get(&url).await;
            p.expect(200);
            assert!(!p.has("Filtre ignoré"), "{url}: {}", p.body);
            p
        }
    };
    // Context.
    let p = get("contexte=entreprise".into()).await;
    assert_eq!(titles(&p.body), ["Bilan entreprise"]);
    assert!(p.body.contains("<option value=\"entreprise\" selected>"));
    assert!(
        p.body
            .contains("<details class=\"filters-box no-print\" open>")
    );
    // The view links keep the filters.
    assert!(p.body.contains(&format!(
        "href=\"{}?contexte=entreprise&amp;vue=competences\"",
        dashboard(w.yanis)
    )));
    let p = get("contexte=etablissement".into()).await;
    assert_eq!(titles(&p.body).len(), 4);
    // Levels (repeatable), kept checked.
    let p = get("niveau=D&niveau=Ba".into()).await;
    assert_eq!(titles(&p.body), ["Évaluation C2", "Bac blanc"]);
    assert!(p.body.contains("name=\"niveau\" value=\"Ba\" checked"));
    assert!(!p.body.contains("name=\"niveau\" value=\"Int\" checked"));
    // Competency: its rows only, and the columns that say something about it.
    let p = get("competence=C2".into()).await;
    assert_eq!(
        titles(&p.body),
        ["Évaluation C2", "TP atelier", "Bilan entreprise"]
    );
    let rows = row_codes(&p.body);
    assert!(rows.iter().all(|c| c.starts_with("C2")), "{rows:?}");
    assert!(rows.contains(&"C2.1".to_string()));
    assert!(p.body.contains("<option value=\"C2\" selected>"));
    // Period: dates, then a placement.
    let p = get("du=2026-01-20&au=2026-02-28".into()).await;
    assert_eq!(titles(&p.body), ["Évaluation C2", "Bac blanc"]);
    assert!(p.body.contains("value=\"2026-01-20\""));
    let p = get(format!("stage={}", w.p_yanis)).await;
    assert_eq!(titles(&p.body), ["TP atelier", "Bilan entreprise"]);
    assert!(
        p.body
            .contains(&format!("<option value=\"{}\" selected>", w.p_yanis))
    );
    // Nothing left: a sentence, no table.
    let p = get("contexte=entreprise&niveau=D".into()).await;
    p.shows(&["Aucune évaluation ne correspond à ces filtres."]);
    assert!(!p.body.contains("<table class=\"dashboard\""));

    // Summarised by competency: one row per competency; C1 in "TP 1 tableau" is
    // autonomous + partial = with help (light green).
    let p = get("vue=competences".into()).await;
    let rows = row_codes(&p.body);
    assert!(
        rows.starts_with(&["C1".to_string(), "C2".to_string()]),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|c| c.contains('.')), "{rows:?}");
    let table = table_html(&p.body);
    let c1 = &table[table.find("<span class=\"code\">C1</span>").unwrap()..];
    let c1 = &c1[..c1.find("</tr>").unwrap()];
    let first_cell = &c1[c1.find("<td").unwrap()..];
    assert!(
        first_cell.starts_with("<td><span class=\"cell res-ah school\">"),
        "{c1}"
    );

    // Per placement: one section per placement, the sheet count first.
    let p = get("vue=periodes".into()).await;
    p.shows(&["Période de formation", "Fiches"]);
    assert_eq!(titles(&p.body), ["TP atelier", "Bilan entreprise"]);
    let table = table_html(&p.body);
    let c1 = &table[table.find("<span class=\"code\">C1</span>").unwrap()..];
    assert!(
        c1[..c1.find("</tr>").unwrap()].contains("<td class=\"sheets\">1</td>"),
        "the submitted sheet counts, the draft does not: {c1}"
    );
    let c2 = &table[table.find("<span class=\"code\">C2</span>").unwrap()..];
    assert!(c2[..c2.find("</tr>").unwrap()].contains("<td class=\"sheets\">0</td>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filter_values_are_ignored_and_said() {
    let app = App::start().await;
    seed_yanis(&app).await;
    let w = &app.w;
    let page = app
        .tutor(w.gregoire)
        .await
        .get(&format!(
            "{}?competence=Z9&contexte=lune&niveau=zz&du=demain&stage=123&vue=3d&x=%FF",
            dashboard(w.yanis)
        ))
        .await;
    page.expect(200).shows(&[
        "Filtre ignoré : compétence « Z9 » inconnue.",
        "Filtre ignoré : vue « 3d » inconnue.",
    ]);
    assert_eq!(page.text().matches("Filtre ignoré").count(), 6);
    assert_eq!(titles(&page.body).len(), 5, "everything is shown");
    let reversed = app
        .tutor(w.gregoire)
        .await
        .get(&format!(
            "{}?du=2026-03-01&au=2026-01-01",
            dashboard(w.yanis)
        ))
        .await;
    reversed
        .expect(200)
        .shows(&["Filtre ignoré : la période commence après sa fin"]);
    assert_eq!(titles(&reversed.body).len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_without_evaluations_gets_a_sentence_not_an_empty_table() {
    let app = App::start().await;
    let page = app.coordinator().await.get(&dashboard(app.w.anais)).await;
    page.expect(200)
        .shows(&["Aucune évaluation n'est encore enregistrée pour Anaïs"]);
    assert!(!page.body.contains("<table"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_filter_shows_the_block_s_competencies() {
    let app = App::start().await;
    let store = &app.state.store;
    let mcv = store.referential("bacpro-mcv").unwrap().unwrap();
    assert!(mcv.blocks.len() >= 2, "the MCV referential has blocks");
    let (b1, b2) = (&mcv.blocks[0], &mcv.blocks[1]);
    let class = Class {
        id: ClassId::new(),
        name: "TMCV".into(),
        diploma: "bacpro-mcv".into(),
        year: CycleYear::Terminale,
    };
    let student = Student {
        id: StudentId::new(),
        class: class.id,
        name: PersonName::new("Inès", "Roux"),
        birth_date: None,
        ine: None,
        email: None,
        active: true,
    };
    let crit = |comp: &str| mcv.competency(comp).unwrap().criteria[0].code.clone();
    let (c1, c2) = (crit(&b1.competencies[0]), crit(&b2.competencies[0]));
    let eval = Evaluation {
        id: EvaluationId::new(),
        student: student.id,
        referential: "bacpro-mcv".into(),
        context: Context::School,
        complexity: Complexity::Discovery,
        title: "Vente simulée".into(),
        author: app.w.referent,
        results: scores(&[
            (c1.as_str(), CriterionResult::Partial),
            (c2.as_str(), CriterionResult::AchievedWithHelp),
        ]),
        created_at: at("2026-02-02T10:00:00Z"),
        updated_at: at("2026-02-02T10:00:00Z"),
    };
    store
        .seed(&livret::store::SchoolSeed {
            classes: vec![class],
            students: vec![student.clone()],
            evaluations: vec![eval],
            ..Default::default()
        })
        .await
        .unwrap();
    let coordinator = app.coordinator().await;
    let all = coordinator.get(&dashboard(student.id)).await;
    all.expect(200).shows(&[
        "Blocs de compétences",
        &format!("{} — {}", b1.code, b1.title),
    ]);
    assert!(row_codes(&all.body).contains(&c2));
    let page = coordinator
        .get(&format!(
            "{}?competence=bloc:{}",
            dashboard(student.id),
            b1.code
        ))
        .await;
    page.expect(200);
    assert!(!page.has("Filtre ignoré"));
    let rows = row_codes(&page.body);
    assert!(rows.contains(&c1), "{rows:?}");
    assert!(!rows.contains(&c2), "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| b1.competencies.iter().any(|c| r.starts_with(c.as_str())))
    );
    assert!(
        page.body
            .contains(&format!("<option value=\"bloc:{}\" selected>", b1.code))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_shows_the_last_review_what_came_after_and_the_sheets() {
    let app = App::start().await;
    let w = &app.w;
    let url = format!("/eleves/{}/avancement", w.yanis);
    // Before anything: no review, no evaluation.
    let empty = app.tutor(w.gregoire).await.get(&url).await;
    empty.expect(200).shows(&[
        "Avancement de formation",
        "Yanis Girard",
        "pas encore de bilan",
        "aucune évaluation",
        "Aucun bilan intermédiaire n'est encore publié",
    ]);
    seed_yanis(&app).await;
    let page = app.tutor(w.gregoire).await.get(&url).await;
    page.expect(200).shows(&[
        "L'avancement de formation",
        "Dernier bilan intermédiaire publié : dimanche 1er février 2026",
        "Depuis le bilan du 01/02/2026",
    ]);
    let row = |code: &str| {
        let t = &page.body[page
            .body
            .find(&format!("<span class=\"code\">{code}</span>"))
            .unwrap()..];
        unescape(&t[..t.find("</tr>").unwrap()])
    };
    let c1 = row("C1");
    // Positioned "partially acquired, intermediate objectives" at the review.
    assert!(c1.contains("class=\"pos m3 i\""), "{c1}");
    // Since: "Bac blanc" (absent, with help) and the company review (autonomous):
    // mean of 2 and 3 rounds to autonomous.
    assert!(c1.contains("2 évaluations"), "{c1}");
    assert!(c1.contains("cell res-aa school"), "{c1}");
    assert!(c1.contains("1 fiche"), "{c1}");
    let c2 = row("C2");
    assert!(c2.contains("class=\"pos ne\""), "{c2}");
    // "TP atelier" (autonomous) and the review (partial): mean 2, with help.
    assert!(
        c2.contains("2 évaluations") && c2.contains("res-ah"),
        "{c2}"
    );
    assert!(
        c2.contains("0 fiche"),
        "the draft sheet does not count: {c2}"
    );
    let c3 = row("C3");
    assert!(
        c3.contains("aucune évaluation depuis le dernier bilan"),
        "{c3}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_former_tutor_sees_the_record_but_not_the_other_placements() {
    let app = App::start().await;
    let w = &app.w;
    // Grégoire tutored Maël's first placement (demo); Hélène tutors the current one at
    // Électricité Générale du Val.
    let first = app
        .state
        .store
        .placements_of_student(w.mael)
        .unwrap()
        .into_iter()
        .find(|p| p.tutor == w.gregoire)
        .expect("the demo's first placement");
    let url = format!("/eleves/{}/tableau-de-bord", w.mael);
    let gregoire = app.tutor(w.gregoire).await;
    let page = gregoire.get(&format!("{url}?vue=periodes")).await;
    page.expect(200)
        .shows(&["Domotique & Réseaux Atlantique"])
        .hides(&["Électricité Générale du Val", &w.p_mael.to_string()]);
    assert!(
        page.has(&first.id.to_string()),
        "his own placement is listed"
    );
    // Asking for the current placement by id is ignored, not shown.
    gregoire
        .get(&format!("{url}?stage={}", w.p_mael))
        .await
        .expect(200)
        .shows(&["Filtre ignoré"])
        .hides(&["Électricité Générale du Val"]);
    // The referent of both sees both.
    app.teacher(w.referent)
        .await
        .get(&format!("{url}?vue=periodes"))
        .await
        .expect(200)
        .shows(&[
            "Domotique & Réseaux Atlantique",
            "Électricité Générale du Val",
        ]);
}
