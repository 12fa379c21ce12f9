//! The competency dashboard (tableau de bord), spec module "Tableau de bord": one
//! column per evaluation, ordered by last change; a black vertical line after the
//! evaluations already taken into account in an interim review; display filters.
//! Pure: the page (web::pages::dashboard) only draws what these functions decide.

use super::evaluation::{
    CompanyReview, Complexity, Context, CriterionResult, CriterionScore, Evaluation,
};
use super::ids::*;
use super::referential::Referential;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::HashMap;

/// One column of the dashboard: a school evaluation or a finalised company review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column<'a> {
    /// The evaluation's id (the company review's id for a review).
    pub id: EvaluationId,
    /// School (rectangle) or company (pill).
    pub context: Context,
    /// D, Int, Ba or E.
    pub complexity: Complexity,
    /// What was evaluated; a company review's column is titled by the page.
    pub title: &'a str,
    /// Last change: the ordering date.
    pub at: Timestamp,
    /// Creation time (breaks ties).
    pub created_at: Timestamp,
    /// For a company review, its placement.
    pub placement: Option<PlacementId>,
    /// The assessed criteria.
    pub results: &'a [CriterionScore],
}

/// The dashboard's columns: every school evaluation and every *finalised* company
/// review (a review still being filled is not a result yet), ordered chronologically
/// by last change, then creation time, then id (so the order is total and stable).
pub fn columns<'a>(evaluations: &'a [Evaluation], reviews: &'a [CompanyReview]) -> Vec<Column<'a>> {
    let mut out: Vec<Column<'a>> = evaluations
        .iter()
        .map(|e| Column {
            id: e.id,
            context: e.context,
            complexity: e.complexity,
            title: &e.title,
            at: e.updated_at,
            created_at: e.created_at,
            placement: None,
            results: &e.results,
        })
        .chain(reviews.iter().filter(|r| r.is_finalised()).map(|r| Column {
            id: r.id,
            context: Context::Company,
            complexity: Complexity::Company,
            title: "",
            at: r.updated_at,
            created_at: r.created_at,
            placement: Some(r.placement),
            results: &r.results,
        }))
        .collect();
    out.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then(a.created_at.cmp(&b.created_at))
            .then(a.id.cmp(&b.id))
    });
    out
}

/// Where the black vertical line goes: the number of leading `columns` (ordered by
/// [`columns`]) already taken into account in an interim review, i.e. last changed at
/// or before `considered_until` (the latest published review's cut-off). `None` when
/// no review is published yet: then there is no line. An evaluation changed after a
/// review moves to the right of the line, since its date is its last change.
pub fn line_position(columns: &[Column<'_>], considered_until: Option<Timestamp>) -> Option<usize> {
    let until = considered_until?;
    Some(columns.partition_point(|c| c.at <= until))
}

/// What the dashboard shows (its "filtres d'affichage"). The default shows everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only these competencies (one competency, or a block's), `None` for all.
    pub competencies: Option<Vec<String>>,
    /// Only this context.
    pub context: Option<Context>,
    /// Only these levels; empty for all.
    pub levels: Vec<Complexity>,
    /// Only evaluations last changed on or after this day.
    pub from: Option<Date>,
    /// Only evaluations last changed on or before this day.
    pub to: Option<Date>,
    /// Only this placement: its company review, and school evaluations last changed
    /// between its first and last day.
    pub placement: Option<(PlacementId, Date, Date)>,
}

impl Filter {
    /// True when `column` passes the column filters (context, level, period,
    /// placement); days are read in `zone`.
    pub fn keeps(&self, column: &Column<'_>, zone: &TimeZone) -> bool {
        let day = column.at.to_zoned_datetime(zone.clone()).date();
        self.context.is_none_or(|c| c == column.context)
            && (self.levels.is_empty() || self.levels.contains(&column.complexity))
            && self.from.is_none_or(|d| day >= d)
            && self.to.is_none_or(|d| day <= d)
            && self
                .placement
                .is_none_or(|(id, start, end)| match column.placement {
                    Some(p) => p == id,
                    None => day >= start && day <= end,
                })
    }

    /// True when the competency `code` passes the row filter.
    pub fn shows_competency(&self, code: &str) -> bool {
        self.competencies
            .as_ref()
            .is_none_or(|list| list.iter().any(|c| c == code))
    }
}

/// The results of `columns` laid out for drawing: `cells[row * columns.len() + col]`
/// where `row` is the criterion's position in the referential (all competencies'
/// criteria in order, see [`criterion_rows`]). Criteria unknown to the referential
/// (a referential corrected after the evaluation) are left out. Linear in the number
/// of results.
pub fn grid(referential: &Referential, columns: &[Column<'_>]) -> Vec<Option<CriterionResult>> {
    let index = criterion_rows(referential);
    let width = columns.len();
    let mut cells = vec![None; index.len() * width];
    for (col, c) in columns.iter().enumerate() {
        for s in c.results {
            if let Some(&row) = index.get(s.criterion.as_str()) {
                cells[row * width + col] = Some(s.result);
            }
        }
    }
    cells
}

/// Criterion code → its row (position among all criteria of the referential).
pub fn criterion_rows(referential: &Referential) -> HashMap<&str, usize> {
    referential
        .competencies
        .iter()
        .flat_map(|c| c.criteria.iter())
        .enumerate()
        .map(|(i, k)| (k.code.as_str(), i))
        .collect()
}

/// One result standing for several (the "summarised by competency" view): the mean of
/// the scored results rounded to the nearest level (halves round up); with none
/// scored, "absent" if any is, else "not assessable"; `None` for no result at all.
pub fn summarise(results: impl IntoIterator<Item = CriterionResult>) -> Option<CriterionResult> {
    let (mut sum, mut n, mut any, mut absent) = (0u32, 0u32, false, false);
    for r in results {
        any = true;
        match r.score() {
            Some(s) => {
                sum += u32::from(s);
                n += 1;
            }
            None => absent |= r == CriterionResult::Absent,
        }
    }
    if n > 0 {
        // round(sum / n) with halves up, in integers: floor((2 sum + n) / 2n).
        let level = (2 * sum + n) / (2 * n);
        Some(CriterionResult::from_score(level.min(3) as u8))
    } else if absent {
        Some(CriterionResult::Absent)
    } else if any {
        Some(CriterionResult::NotAssessable)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::referential::{Competency, Criterion};

    pub(crate) fn referential() -> Referential {
        let comp = |code: &str, n: usize| Competency {
            code: code.into(),
            title: format!("Compétence {code}"),
            criteria: (1..=n)
                .map(|i| Criterion {
                    code: format!("{code}.{i}"),
                    title: format!("Critère {code}.{i}"),
                })
                .collect(),
        };
        Referential {
            code: "test".into(),
            diploma: "Test".into(),
            short_name: "Test".into(),
            level: "bac-pro".into(),
            sources: vec![],
            competencies: vec![comp("C1", 2), comp("C2", 3)],
            blocks: vec![],
        }
    }

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn eval(created: i64, updated: i64, results: &[(&str, CriterionResult)]) -> Evaluation {
        Evaluation {
            id: EvaluationId::new(),
            student: StudentId::new(),
            referential: "test".into(),
            context: Context::School,
            complexity: Complexity::Intermediate,
            title: format!("E{created}"),
            author: TeacherId::new(),
            results: results
                .iter()
                .map(|(c, r)| CriterionScore {
                    criterion: (*c).into(),
                    result: *r,
                })
                .collect(),
            created_at: ts(created),
            updated_at: ts(updated),
        }
    }

    #[test]
    fn columns_follow_the_last_change_not_the_creation() {
        // Created first but edited last: it moves to the right.
        let evals = vec![eval(0, 500, &[]), eval(100, 100, &[]), eval(200, 200, &[])];
        let cols = columns(&evals, &[]);
        let titles: Vec<_> = cols.iter().map(|c| c.title).collect();
        assert_eq!(titles, ["E100", "E200", "E0"]);
    }

    #[test]
    fn only_finalised_company_reviews_are_columns() {
        use crate::domain::evaluation::CompanyReviewStatus;
        let mut review = CompanyReview {
            id: EvaluationId::new(),
            placement: PlacementId::new(),
            student: StudentId::new(),
            referential: "test".into(),
            criteria: vec!["C1.1".into()],
            results: vec![],
            comment: String::new(),
            status: CompanyReviewStatus::Open,
            prepared_by: TeacherId::new(),
            created_at: ts(10),
            updated_at: ts(150),
            revisions: vec![],
        };
        let evals = vec![eval(100, 100, &[]), eval(200, 200, &[])];
        assert_eq!(columns(&evals, std::slice::from_ref(&review)).len(), 2);
        review.status = CompanyReviewStatus::Finalised {
            referent: TeacherId::new(),
            tutor: TutorId::new(),
            at: ts(150),
        };
        let cols = columns(&evals, std::slice::from_ref(&review));
        assert_eq!(cols.len(), 3);
        assert_eq!(cols[1].complexity, Complexity::Company);
        assert_eq!(cols[1].context, Context::Company);
    }

    #[test]
    fn the_black_line_follows_the_latest_review_cut_off() {
        let evals = vec![eval(0, 100, &[]), eval(0, 200, &[]), eval(0, 300, &[])];
        let cols = columns(&evals, &[]);
        assert_eq!(line_position(&cols, None), None);
        assert_eq!(line_position(&cols, Some(ts(50))), Some(0));
        assert_eq!(line_position(&cols, Some(ts(200))), Some(2));
        assert_eq!(line_position(&cols, Some(ts(250))), Some(2));
        assert_eq!(line_position(&cols, Some(ts(999))), Some(3));
        // The first evaluation edited after the review moves right of the line.
        let evals = vec![eval(0, 400, &[]), eval(0, 200, &[]), eval(0, 300, &[])];
        let cols = columns(&evals, &[]);
        assert_eq!(line_position(&cols, Some(ts(350))), Some(2));
        assert_eq!(cols[2].at, ts(400));
    }

    #[test]
    fn the_grid_puts_each_result_under_its_column_and_criterion() {
        use CriterionResult::*;
        let r = referential();
        let evals = vec![
            eval(0, 100, &[("C1.1", Partial), ("C2.3", Absent)]),
            eval(0, 200, &[("C1.2", AchievedAutonomously), ("C9.9", Partial)]),
        ];
        let cols = columns(&evals, &[]);
        let g = grid(&r, &cols);
        assert_eq!(g.len(), 5 * 2);
        assert_eq!(g[0], Some(Partial)); // C1.1, first column
        assert_eq!(g[2 + 1], Some(AchievedAutonomously)); // C1.2, second column
        assert_eq!(g[4 * 2], Some(Absent)); // C2.3, first column
        assert_eq!(g.iter().flatten().count(), 3); // C9.9 is unknown: left out
    }

    #[test]
    fn filters_keep_context_level_and_period() {
        let zone = TimeZone::UTC;
        let evals = vec![eval(0, 0, &[])];
        let cols = columns(&evals, &[]);
        let day = cols[0].at.to_zoned_datetime(zone.clone()).date();
        let keep = |f: Filter| f.keeps(&cols[0], &zone);
        assert!(keep(Filter::default()));
        assert!(!keep(Filter {
            context: Some(Context::Company),
            ..Filter::default()
        }));
        assert!(keep(Filter {
            levels: vec![Complexity::Intermediate],
            ..Filter::default()
        }));
        assert!(!keep(Filter {
            levels: vec![Complexity::BacPro],
            ..Filter::default()
        }));
        assert!(keep(Filter {
            from: Some(day),
            to: Some(day),
            ..Filter::default()
        }));
        assert!(!keep(Filter {
            from: day.tomorrow().ok(),
            ..Filter::default()
        }));
        assert!(!keep(Filter {
            placement: Some((
                PlacementId::new(),
                day.tomorrow().unwrap(),
                day.tomorrow().unwrap()
            )),
            ..Filter::default()
        }));
    }

    #[test]
    fn summaries_round_the_mean_and_keep_the_silent_results() {
        use CriterionResult::*;
        assert_eq!(summarise([]), None);
        assert_eq!(
            summarise([AchievedAutonomously, Partial]),
            Some(AchievedWithHelp)
        );
        assert_eq!(
            summarise([AchievedWithHelp, AchievedAutonomously]),
            Some(AchievedAutonomously)
        );
        assert_eq!(
            summarise([NotAchieved, NotAchieved, Partial]),
            Some(NotAchieved)
        );
        assert_eq!(summarise([Absent, Partial]), Some(Partial));
        assert_eq!(summarise([Absent, NotAssessable]), Some(Absent));
        assert_eq!(summarise([NotAssessable]), Some(NotAssessable));
    }
}
