//! Benchmark (not a test): the server time to draw a student's dashboard table
//! (`web::pages::dashboard::dashboard_table`, the detailed view, one row per criterion)
//! for 13 competencies, 60 criteria and 40 evaluations (36 school evaluations and 4
//! company reviews), from already-loaded data: column order, column heads, the grid and
//! the HTML. Budget from issue 5: median under 2 ms.
//!
//! Two data sets: "typical" (each evaluation assesses the criteria of 3 competencies)
//! and "full" (every evaluation assesses all 60 criteria: 2,400 filled cells).
//!
//! Run: `cargo bench --bench dashboard_render` (builds with the release profile).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark fails loudly on setup errors

use jiff::Timestamp;
use jiff::tz::TimeZone;
use livret::domain::dashboard::{self, Filter};
use livret::domain::*;
use livret::web::pages::dashboard::{Table, dashboard_table, heads};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const COMPETENCIES: usize = 13;
const CRITERIA: usize = 60;
const EVALUATIONS: usize = 40;
const REVIEWS: usize = 4;
const RUNS: usize = 2_000;

fn referential() -> Referential {
    let mut left = CRITERIA;
    let competencies = (0..COMPETENCIES)
        .map(|i| {
            // 60 over 13: eight of 5 criteria, five of 4.
            let n = (left / (COMPETENCIES - i)).max(1);
            left -= n;
            let code = format!("C{}", i + 1);
            Competency {
                code: code.clone(),
                title: format!("Compétence {code} : réaliser une opération du métier dans son contexte"),
                criteria: (1..=n)
                    .map(|k| Criterion {
                        code: format!("{code}.{k}"),
                        title: format!(
                            "Critère {code}.{k} : les informations nécessaires sont recueillies et l'opération est conduite dans les règles"
                        ),
                    })
                    .collect(),
            }
        })
        .collect();
    Referential {
        code: "bench".into(),
        diploma: "Diplôme de mesure".into(),
        short_name: "Mesure".into(),
        level: "bac-pro".into(),
        sources: vec![],
        competencies,
        blocks: vec![],
    }
}

fn data(
    r: &Referential,
    full: bool,
) -> (
    Vec<Evaluation>,
    Vec<CompanyReview>,
    HashMap<PlacementId, String>,
) {
    let student = StudentId::new();
    let base = Timestamp::from_second(1_767_225_600).unwrap(); // 1 January 2026
    let result = |i: usize| CriterionResult::ALL[i % CriterionResult::ALL.len()];
    let pick = |e: usize| -> Vec<CriterionScore> {
        r.competencies
            .iter()
            .enumerate()
            .filter(|(c, _)| full || (c + e) % COMPETENCIES < 3)
            .flat_map(|(_, c)| c.criteria.iter())
            .enumerate()
            .map(|(k, crit)| CriterionScore {
                criterion: crit.code.clone(),
                result: result(k + e),
            })
            .collect()
    };
    let at = |e: usize| base + jiff::SignedDuration::from_hours(24 * e as i64);
    let evaluations = (0..EVALUATIONS - REVIEWS)
        .map(|e| Evaluation {
            id: EvaluationId::new(),
            student,
            referential: r.code.clone(),
            context: Context::School,
            complexity: Complexity::SCHOOL[e % 3],
            title: format!("Évaluation {e} — travaux pratiques en atelier"),
            author: TeacherId::new(),
            results: pick(e),
            created_at: at(e),
            updated_at: at(e),
        })
        .collect();
    let mut companies = HashMap::new();
    let reviews = (0..REVIEWS)
        .map(|i| {
            let placement = PlacementId::new();
            companies.insert(placement, format!("Entreprise n° {i}"));
            let e = 9 * i + 4;
            CompanyReview {
                id: EvaluationId::new(),
                placement,
                student,
                referential: r.code.clone(),
                criteria: vec![],
                results: pick(e),
                comment: String::new(),
                status: CompanyReviewStatus::Finalised {
                    referent: TeacherId::new(),
                    tutor: TutorId::new(),
                    at: at(e),
                },
                prepared_by: TeacherId::new(),
                created_at: at(e),
                updated_at: at(e),
                revisions: vec![],
            }
        })
        .collect();
    (evaluations, reviews, companies)
}

fn measure(name: &str, full: bool) {
    let r = referential();
    assert_eq!(r.competencies.len(), COMPETENCIES);
    assert_eq!(
        r.competencies
            .iter()
            .map(|c| c.criteria.len())
            .sum::<usize>(),
        CRITERIA
    );
    let (evaluations, reviews, companies) = data(&r, full);
    let zone = TimeZone::get("Europe/Paris").expect("zone");
    let filter = Filter::default();
    let cut_off = Some(Timestamp::from_second(1_767_225_600 + 86_400 * 25).unwrap());
    let render = || {
        let columns = dashboard::columns(&evaluations, &reviews);
        let line = dashboard::line_position(&columns, cut_off);
        let hs = heads(&columns, &companies, &zone);
        dashboard_table(&Table {
            referential: &r,
            columns: &columns,
            heads: &hs,
            line,
            filter: &filter,
            by_criterion: true,
            sheets: None,
            caption: "Résultats par critère et par évaluation",
        })
        .into_string()
    };
    let html = render();
    assert_eq!(html.matches("<th class=\"eval").count(), EVALUATIONS);
    assert_eq!(
        html.matches("<th class=\"crit\" scope=\"row\"").count(),
        CRITERIA
    );
    let filled = html.matches("<span class=\"cell ").count();
    for _ in 0..200 {
        std::hint::black_box(render());
    }
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(render());
            t.elapsed()
        })
        .collect();
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "Tableau de bord « {name} » : {COMPETENCIES} compétences, {CRITERIA} critères, {EVALUATIONS} évaluations, {filled} cases remplies, {} octets de HTML, {RUNS} mesures :",
        html.len()
    );
    println!(
        "  médiane {:.3} ms   p95 {:.3} ms   (budget : médiane < 2 ms)",
        ms(pct(0.5)),
        ms(pct(0.95))
    );
}

fn main() {
    measure("typique", false);
    measure("plein", true);
}
