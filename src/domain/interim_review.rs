//! Interim reviews (bilans intermédiaires de compétences), spec module "Bilan de
//! compétences": made by the teachers during the year, each gives the teaching team's
//! findings (constats) and advice (conseils), positions every competency on one of 8
//! levels (4 degrees × 2 targets) or "non évaluée", and proposes a grade out of 20.

use super::dashboard::Column;
use super::evaluation::Complexity;
use super::ids::*;
use super::referential::Referential;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Longest findings or advice text, in characters.
pub const TEXT_MAX_CHARS: usize = 6_000;

/// How far a competency is acquired (the four rows of the spec's table of levels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Mastery {
    /// Compétence non acquise.
    NotAcquired,
    /// Compétence en cours d'acquisition, non stabilisée.
    InProgress,
    /// Compétence partiellement acquise.
    Partial,
    /// Compétence totalement acquise et transférable.
    Full,
}

impl Mastery {
    /// The four degrees, best first (the spec's table order).
    pub const ALL: [Mastery; 4] = [
        Mastery::Full,
        Mastery::Partial,
        Mastery::InProgress,
        Mastery::NotAcquired,
    ];

    /// The spec's wording.
    pub fn label(self) -> &'static str {
        match self {
            Mastery::Full => "Compétence totalement acquise et transférable",
            Mastery::Partial => "Compétence partiellement acquise",
            Mastery::InProgress => "Compétence en cours d'acquisition, non stabilisée",
            Mastery::NotAcquired => "Compétence non acquise",
        }
    }

    /// Short wording for table cells read by screen readers: "acquise", "partiellement
    /// acquise", "en cours d'acquisition", "non acquise".
    pub fn short_label(self) -> &'static str {
        match self {
            Mastery::Full => "acquise et transférable",
            Mastery::Partial => "partiellement acquise",
            Mastery::InProgress => "en cours d'acquisition",
            Mastery::NotAcquired => "non acquise",
        }
    }

    /// Stable short name for CSS classes and form values: `m4` (full) … `m1` (not
    /// acquired).
    pub fn slug(self) -> &'static str {
        match self {
            Mastery::Full => "m4",
            Mastery::Partial => "m3",
            Mastery::InProgress => "m2",
            Mastery::NotAcquired => "m1",
        }
    }
}

/// Which objectives a positioning is measured against (spec: "par rapport à des
/// objectifs intermédiaires … seul un demi rectangle est coloré ; par rapport à des
/// objectifs terminaux … tout le rectangle est coloré").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Target {
    /// Objectifs intermédiaires (half of the rectangle coloured).
    Interim,
    /// Objectifs terminaux (the whole rectangle coloured).
    Final,
}

impl Target {
    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            Target::Interim => "objectifs intermédiaires",
            Target::Final => "objectifs terminaux",
        }
    }

    /// `i` or `f`, for CSS classes and form values.
    pub fn slug(self) -> &'static str {
        match self {
            Target::Interim => "i",
            Target::Final => "f",
        }
    }
}

/// A competency's positioning in a review: one of the 8 levels, or not evaluated (NE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Positioning {
    /// Non évaluée (NE).
    NotEvaluated,
    /// One of the 8 levels.
    Placed {
        /// Degree.
        level: Mastery,
        /// Against which objectives.
        target: Target,
    },
}

impl Positioning {
    /// The 9 choices, in form order: the 8 levels (intermediate objectives first) then NE.
    pub fn all() -> Vec<Positioning> {
        let mut out: Vec<Positioning> = [Target::Interim, Target::Final]
            .into_iter()
            .flat_map(|target| {
                Mastery::ALL
                    .into_iter()
                    .map(move |level| Positioning::Placed { level, target })
            })
            .collect();
        out.push(Positioning::NotEvaluated);
        out
    }

    /// Form value: `ne`, or the mastery slug and the target slug (`m4-f`, `m2-i`…).
    pub fn slug(self) -> String {
        match self {
            Positioning::NotEvaluated => "ne".into(),
            Positioning::Placed { level, target } => format!("{}-{}", level.slug(), target.slug()),
        }
    }

    /// Parses [`Positioning::slug`].
    pub fn from_slug(s: &str) -> Option<Positioning> {
        Positioning::all().into_iter().find(|p| p.slug() == s)
    }

    /// Full French wording: "Compétence partiellement acquise (objectifs terminaux)" or
    /// "Non évaluée".
    pub fn label(self) -> String {
        match self {
            Positioning::NotEvaluated => "Non évaluée".into(),
            Positioning::Placed { level, target } => {
                format!("{} ({})", level.label(), target.label())
            }
        }
    }
}

/// A competency's positioning in one review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompetencyPositioning {
    /// Competency code.
    pub competency: String,
    /// Positioning.
    pub positioning: Positioning,
}

/// A proposed grade out of 20, in half points (spec screenshot: "13.5/20").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grade(u8);

/// Why a typed grade was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GradeError {
    /// Not a number.
    #[error("La note proposée doit être un nombre, par exemple 12 ou 13,5.")]
    NotANumber,
    /// Below 0 or above 20.
    #[error("La note proposée doit être comprise entre 0 et 20.")]
    OutOfBounds,
    /// Not a whole or half point.
    #[error("La note proposée se donne au demi-point près (par exemple 13,5).")]
    NotHalfPoint,
}

impl Grade {
    /// Highest grade, in half points (20/20).
    pub const MAX_HALF_POINTS: u8 = 40;

    /// A grade from half points: `Some` for 0 to 40.
    pub fn from_half_points(half: u8) -> Option<Grade> {
        (half <= Self::MAX_HALF_POINTS).then_some(Grade(half))
    }

    /// Half points, 0 to 40.
    pub fn half_points(self) -> u8 {
        self.0
    }

    /// Parses "13,5", "13.5", "13", " 20 " or "13,5/20".
    ///
    /// # Errors
    /// [`GradeError`] with a French message: not a number, outside 0–20, or not a whole
    /// or half point.
    pub fn parse(input: &str) -> Result<Grade, GradeError> {
        let s = input.trim();
        let s = s.strip_suffix("/20").unwrap_or(s).trim().replace(',', ".");
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f.trim_end_matches('0')),
            None => (s.as_str(), ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(if whole.starts_with('-') && !whole[1..].is_empty() {
                GradeError::OutOfBounds
            } else {
                GradeError::NotANumber
            });
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GradeError::NotANumber);
        }
        let whole: u32 = if whole.len() > 3 {
            u32::MAX
        } else {
            whole.parse().map_err(|_| GradeError::NotANumber)?
        };
        let half = match frac {
            "" => 0,
            "5" => 1,
            _ => return Err(GradeError::NotHalfPoint),
        };
        if whole > 20 || (whole == 20 && half == 1) {
            return Err(GradeError::OutOfBounds);
        }
        Ok(Grade((whole * 2 + half) as u8))
    }

    /// French form: "13,5" or "12".
    pub fn display(self) -> String {
        if self.0.is_multiple_of(2) {
            format!("{}", self.0 / 2)
        } else {
            format!("{},5", self.0 / 2)
        }
    }
}

/// The teacher who published a review, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub by: TeacherId,
}

/// An interim review (bilan intermédiaire).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterimReview {
    /// Id; made by the form, so a double submission stores one review.
    pub id: InterimReviewId,
    /// The student.
    pub student: StudentId,
    /// Referential code (the student's class diploma when it was made).
    pub referential: String,
    /// The review's date (shown in the banner).
    pub date: Date,
    /// Constats de l'équipe pédagogique.
    pub findings: String,
    /// Conseils de l'équipe pédagogique.
    pub advice: String,
    /// One positioning per competency of the referential, in its order.
    pub positionings: Vec<CompetencyPositioning>,
    /// Proposed grade, when given.
    pub grade: Option<Grade>,
    /// The teacher who made it, then the last one who changed it.
    pub author: TeacherId,
    /// The evaluations last changed at or before this instant are taken into account
    /// (left of the dashboard's black line once published).
    pub considered_until: Timestamp,
    /// Set once published: from then on read-only.
    pub published: Option<Publication>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

impl InterimReview {
    /// The positioning of `competency`; NE when the review has none for it (a
    /// competency added to the referential later).
    pub fn positioning(&self, competency: &str) -> Positioning {
        self.positionings
            .iter()
            .find(|p| p.competency == competency)
            .map_or(Positioning::NotEvaluated, |p| p.positioning)
    }
}

/// The cut-off of the published reviews: the latest `considered_until` among them, or
/// `None` when none is published. It places the dashboard's black line and starts the
/// next review's suggestion.
pub fn considered_until(reviews: &[InterimReview]) -> Option<Timestamp> {
    reviews
        .iter()
        .filter(|r| r.published.is_some())
        .map(|r| r.considered_until)
        .max()
}

/// The positioning suggested for each competency of `referential`, from the results
/// of `recent` (the dashboard columns last changed after the previous review's
/// cut-off). The rule, which the teacher can always override:
/// - the scored results (not achieved 0, partial 1, with help 2, autonomous 3; "not
///   assessable" and "absent" are left out) of the competency's criteria are averaged;
///   no scored result gives "non évaluée";
/// - mean ≥ 2.5: totally acquired; ≥ 1.5: partially; ≥ 0.5: in progress; else not
///   acquired;
/// - against final objectives when at least half of those results come from "bac pro"
///   evaluations or company reviews (the level expected at the end of the training),
///   otherwise against intermediate objectives.
pub fn suggest(referential: &Referential, recent: &[Column<'_>]) -> Vec<CompetencyPositioning> {
    referential
        .competencies
        .iter()
        .map(|comp| {
            let (mut sum, mut n, mut final_level) = (0u32, 0u32, 0u32);
            for col in recent {
                for s in col.results {
                    let Some(score) = s.result.score() else {
                        continue;
                    };
                    if !comp.criteria.iter().any(|k| k.code == s.criterion) {
                        continue;
                    }
                    sum += u32::from(score);
                    n += 1;
                    if matches!(col.complexity, Complexity::BacPro | Complexity::Company) {
                        final_level += 1;
                    }
                }
            }
            let positioning = if n == 0 {
                Positioning::NotEvaluated
            } else {
                // Compare 2·mean with 5, 3, 1 to stay in integers.
                let twice = 2 * sum;
                let level = if twice >= 5 * n {
                    Mastery::Full
                } else if twice >= 3 * n {
                    Mastery::Partial
                } else if twice >= n {
                    Mastery::InProgress
                } else {
                    Mastery::NotAcquired
                };
                let target = if 2 * final_level >= n {
                    Target::Final
                } else {
                    Target::Interim
                };
                Positioning::Placed { level, target }
            };
            CompetencyPositioning {
                competency: comp.code.clone(),
                positioning,
            }
        })
        .collect()
}

/// The grade suggested from `recent`'s scored results on `referential`'s criteria:
/// their mean over 3, times 20, rounded to the nearest half point; `None` without any
/// scored result.
pub fn suggest_grade(referential: &Referential, recent: &[Column<'_>]) -> Option<Grade> {
    let rows = super::dashboard::criterion_rows(referential);
    let (mut sum, mut n) = (0u32, 0u32);
    for s in recent.iter().flat_map(|c| c.results) {
        if let (Some(score), true) = (s.result.score(), rows.contains_key(s.criterion.as_str())) {
            sum += u32::from(score);
            n += 1;
        }
    }
    if n == 0 {
        return None;
    }
    // half points = round(40 · sum / (3 n)), halves up.
    let half = (80 * sum + 3 * n) / (6 * n);
    Grade::from_half_points(half.min(40) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dashboard::columns;
    use crate::domain::evaluation::{Context, CriterionResult, CriterionScore, Evaluation};
    use crate::domain::referential::{Competency, Criterion};

    fn referential() -> Referential {
        let comp = |code: &str, n: usize| Competency {
            code: code.into(),
            title: code.into(),
            criteria: (1..=n)
                .map(|i| Criterion {
                    code: format!("{code}.{i}"),
                    title: String::new(),
                })
                .collect(),
        };
        Referential {
            code: "t".into(),
            diploma: "t".into(),
            short_name: "t".into(),
            level: "bac-pro".into(),
            sources: vec![],
            competencies: vec![comp("C1", 2), comp("C2", 2), comp("C3", 1)],
            blocks: vec![],
        }
    }

    fn eval(level: Complexity, results: &[(&str, CriterionResult)]) -> Evaluation {
        Evaluation {
            id: EvaluationId::new(),
            student: StudentId::new(),
            referential: "t".into(),
            context: Context::School,
            complexity: level,
            title: String::new(),
            author: TeacherId::new(),
            results: results
                .iter()
                .map(|(c, r)| CriterionScore {
                    criterion: (*c).into(),
                    result: *r,
                })
                .collect(),
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn grades_are_half_points_between_0_and_20() {
        assert_eq!(Grade::parse("13,5").map(Grade::half_points), Ok(27));
        assert_eq!(Grade::parse("13.50").map(Grade::half_points), Ok(27));
        assert_eq!(Grade::parse(" 20 ").map(Grade::half_points), Ok(40));
        assert_eq!(Grade::parse("12/20").map(Grade::half_points), Ok(24));
        assert_eq!(Grade::parse("0").map(Grade::half_points), Ok(0));
        assert_eq!(Grade::parse("20,5"), Err(GradeError::OutOfBounds));
        assert_eq!(Grade::parse("21"), Err(GradeError::OutOfBounds));
        assert_eq!(Grade::parse("-1"), Err(GradeError::OutOfBounds));
        assert_eq!(Grade::parse("99999999999"), Err(GradeError::OutOfBounds));
        assert_eq!(Grade::parse("13,25"), Err(GradeError::NotHalfPoint));
        assert_eq!(Grade::parse("douze"), Err(GradeError::NotANumber));
        assert_eq!(Grade::parse(""), Err(GradeError::NotANumber));
        assert_eq!(Grade::parse("1e1"), Err(GradeError::NotANumber));
        assert_eq!(Grade::from_half_points(41), None);
        assert_eq!(Grade::parse("13,5").map(Grade::display), Ok("13,5".into()));
        assert_eq!(Grade::parse("12").map(Grade::display), Ok("12".into()));
    }

    #[test]
    fn positionings_round_trip_through_their_slugs() {
        let all = Positioning::all();
        assert_eq!(all.len(), 9);
        for p in all {
            assert_eq!(Positioning::from_slug(&p.slug()), Some(p));
        }
    }

    #[test]
    fn the_suggestion_averages_the_recent_results_of_each_competency() {
        use CriterionResult::*;
        let r = referential();
        let evals = vec![
            eval(
                Complexity::Discovery,
                &[
                    ("C1.1", AchievedAutonomously),
                    ("C1.2", AchievedWithHelp),
                    ("C2.1", Partial),
                ],
            ),
            eval(
                Complexity::BacPro,
                &[
                    ("C1.1", AchievedAutonomously),
                    ("C2.2", NotAchieved),
                    ("C3.1", Absent),
                ],
            ),
        ];
        let cols = columns(&evals, &[]);
        let s = suggest(&r, &cols);
        // C1: (3 + 2 + 3) / 3 = 2.67 → full; 1 of 3 from Ba → intermediate objectives.
        assert_eq!(
            s[0].positioning,
            Positioning::Placed {
                level: Mastery::Full,
                target: Target::Interim
            }
        );
        // C2: (1 + 0) / 2 = 0.5 → in progress; 1 of 2 from Ba → final objectives.
        assert_eq!(
            s[1].positioning,
            Positioning::Placed {
                level: Mastery::InProgress,
                target: Target::Final
            }
        );
        // C3: only "absent": not evaluated.
        assert_eq!(s[2].positioning, Positioning::NotEvaluated);
        // Nothing recent: everything NE, no grade.
        assert!(
            suggest(&r, &[])
                .iter()
                .all(|p| p.positioning == Positioning::NotEvaluated)
        );
        assert_eq!(suggest_grade(&r, &[]), None);
        // Grade: (3+2+1+3+0) / 5 = 1.8 / 3 × 20 = 12.
        assert_eq!(suggest_grade(&r, &cols).map(Grade::half_points), Some(24));
    }

    #[test]
    fn the_cut_off_is_the_latest_published_review() {
        let review = |secs: i64, published: bool| InterimReview {
            id: InterimReviewId::new(),
            student: StudentId::new(),
            referential: "t".into(),
            date: Date::constant(2026, 1, 1),
            findings: String::new(),
            advice: String::new(),
            positionings: vec![],
            grade: None,
            author: TeacherId::new(),
            considered_until: Timestamp::from_second(secs).unwrap(),
            published: published.then(|| Publication {
                at: Timestamp::from_second(secs).unwrap(),
                by: TeacherId::new(),
            }),
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        };
        assert_eq!(considered_until(&[]), None);
        assert_eq!(considered_until(&[review(500, false)]), None);
        assert_eq!(
            considered_until(&[review(100, true), review(300, true), review(500, false)]),
            Some(Timestamp::from_second(300).unwrap())
        );
    }
}
