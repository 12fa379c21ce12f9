//! The interim review form (bilan intermédiaire, issue 5 item 4, spec module "Bilan de
//! compétences"): what the teacher typed, how it is checked, and the numbers the form
//! shows beside each competency. Pure: the page (`web::pages::interim_reviews`) reads
//! the form and stores what these functions accept.

use super::dashboard::Column;
use super::interim_review::{
    CompetencyPositioning, Grade, InterimReview, Positioning, TEXT_MAX_CHARS,
};
use super::referential::Referential;
use super::{FieldErrors, text};
use jiff::Timestamp;
use jiff::civil::Date;

/// The interim review form as typed (every field a string, kept as sent so that a
/// refused form comes back unchanged).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterimInput {
    /// The review's date, `YYYY-MM-DD` (an `<input type="date">`).
    pub date: String,
    /// Constats de l'équipe pédagogique.
    pub findings: String,
    /// Conseils de l'équipe pédagogique.
    pub advice: String,
    /// (competency code, positioning slug) as sent; see [`Positioning::slug`].
    pub positionings: Vec<(String, String)>,
    /// Proposed grade out of 20, as typed ("13,5"); empty for none.
    pub grade: String,
    /// The instant the suggestion was computed (RFC 3339), sent back by the form.
    pub considered_until: String,
    /// The publish confirmation box ("Je comprends qu'un bilan publié ne peut plus
    /// être modifié") was ticked.
    pub confirmed: bool,
}

impl InterimInput {
    /// The form of a new review on `today`, preselected with `suggestion` (one
    /// positioning per competency, see [`super::interim_review::suggest`]) and `grade`
    /// (see [`super::interim_review::suggest_grade`]), the suggestion computed at
    /// `computed_at`.
    pub fn suggested(
        today: Date,
        suggestion: &[CompetencyPositioning],
        grade: Option<Grade>,
        computed_at: Timestamp,
    ) -> InterimInput {
        InterimInput {
            date: today.to_string(),
            positionings: suggestion
                .iter()
                .map(|p| (p.competency.clone(), p.positioning.slug()))
                .collect(),
            grade: grade.map(Grade::display).unwrap_or_default(),
            considered_until: computed_at.to_string(),
            ..InterimInput::default()
        }
    }

    /// The form of a stored draft, its suggestion recomputed at `computed_at`.
    pub fn from_review(r: &InterimReview, computed_at: Timestamp) -> InterimInput {
        InterimInput {
            date: r.date.to_string(),
            findings: r.findings.clone(),
            advice: r.advice.clone(),
            positionings: r
                .positionings
                .iter()
                .map(|p| (p.competency.clone(), p.positioning.slug()))
                .collect(),
            grade: r.grade.map(Grade::display).unwrap_or_default(),
            considered_until: computed_at.to_string(),
            confirmed: false,
        }
    }

    /// The positioning slug sent for `competency`, or "" when none was.
    pub fn positioning(&self, competency: &str) -> &str {
        self.positionings
            .iter()
            .find(|(c, _)| c == competency)
            .map_or("", |(_, s)| s.as_str())
    }
}

/// A checked review content, ready to be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterimContent {
    /// The review's date.
    pub date: Date,
    /// Constats (cleaned, line breaks kept).
    pub findings: String,
    /// Conseils (cleaned, line breaks kept).
    pub advice: String,
    /// One positioning per competency of the referential, in its order.
    pub positionings: Vec<CompetencyPositioning>,
    /// Proposed grade, when given.
    pub grade: Option<Grade>,
}

impl InterimContent {
    /// Writes this content onto `review` (its date, texts, positionings and grade).
    pub fn apply(&self, review: &mut InterimReview) {
        review.date = self.date;
        review.findings = self.findings.clone();
        review.advice = self.advice.clone();
        review.positionings = self.positionings.clone();
        review.grade = self.grade;
    }

    /// True when `review` already holds exactly this content (the same form sent
    /// twice).
    pub fn is_in(&self, review: &InterimReview) -> bool {
        review.date == self.date
            && review.findings == self.findings
            && review.advice == self.advice
            && review.positionings == self.positionings
            && review.grade == self.grade
    }
}

/// Checks the interim review form. Rules:
/// - date required, a real day, not after `today` (a review records what was
///   observed), and not before `earliest` (the latest published review's date: the
///   banner of review dates stays chronological);
/// - constats and conseils at most [`TEXT_MAX_CHARS`] characters each, both required
///   when `publish` (a published review shows them first, spec "Bilan de
///   compétences");
/// - one of the 9 positionings ([`Positioning::all`]) for every competency of
///   `referential`;
/// - grade optional; when given, out of 20 in half points ([`Grade::parse`]);
/// - when `publish`, the confirmation box ticked (a published review is read-only).
///
/// # Errors
/// Every broken rule, by field (`date`, `findings`, `advice`, `positionings`, `grade`,
/// `confirmed`), in French.
pub fn validate_interim(
    input: &InterimInput,
    referential: &Referential,
    publish: bool,
    earliest: Option<Date>,
    today: Date,
) -> Result<InterimContent, FieldErrors> {
    let mut errors = FieldErrors::default();
    let date = match input.date.trim() {
        "" => {
            errors.add("date", "Indiquez la date du bilan.");
            None
        }
        s => match s.parse::<Date>() {
            Err(_) => {
                errors.add("date", "Date invalide : choisissez un jour du calendrier.");
                None
            }
            Ok(d) if d > today => {
                errors.add("date", "La date du bilan ne peut pas être dans le futur.");
                None
            }
            Ok(d) if earliest.is_some_and(|e| d < e) => {
                let e = earliest.map(text::date_short).unwrap_or_default();
                errors.add(
                    "date",
                    format!(
                        "La date ne peut pas précéder celle du dernier bilan publié ({e}) : les bilans se suivent dans le temps."
                    ),
                );
                None
            }
            Ok(d) => Some(d),
        },
    };
    let findings = text::clean(&input.findings);
    let advice = text::clean(&input.advice);
    text::check(&mut errors, "findings", &findings, false, TEXT_MAX_CHARS);
    text::check(&mut errors, "advice", &advice, false, TEXT_MAX_CHARS);
    if publish && findings.is_empty() {
        errors.add(
            "findings",
            "Écrivez les constats de l'équipe pédagogique avant de publier le bilan.",
        );
    }
    if publish && advice.is_empty() {
        errors.add(
            "advice",
            "Écrivez les conseils de l'équipe pédagogique avant de publier le bilan.",
        );
    }
    let mut positionings = Vec::with_capacity(referential.competencies.len());
    let mut missing = Vec::new();
    for comp in &referential.competencies {
        match Positioning::from_slug(input.positioning(&comp.code)) {
            Some(positioning) => positionings.push(CompetencyPositioning {
                competency: comp.code.clone(),
                positioning,
            }),
            None => missing.push(comp.code.as_str()),
        }
    }
    if !missing.is_empty() {
        errors.add(
            "positionings",
            format!(
                "Choisissez un positionnement dans la liste pour chaque compétence (à revoir : {}).",
                missing.join(", ")
            ),
        );
    }
    let grade = match input.grade.trim() {
        "" => None,
        typed => match Grade::parse(typed) {
            Ok(g) => Some(g),
            Err(e) => {
                errors.add("grade", e.to_string());
                None
            }
        },
    };
    if publish && !input.confirmed {
        errors.add(
            "confirmed",
            "Pour publier, cochez « Je comprends qu'un bilan publié ne peut plus être modifié ». Sinon, enregistrez le brouillon.",
        );
    }
    match date {
        Some(date) if errors.is_empty() => Ok(InterimContent {
            date,
            findings,
            advice,
            positionings,
            grade,
        }),
        _ => Err(errors),
    }
}

/// The cut-off to store with a review: the instant `sent` by the form (when its
/// suggestion was computed), kept within [`previous`, `now`] — never before the
/// previous published review's cut-off (the black line only moves right) nor in the
/// future; `now` when `sent` is not an RFC 3339 instant.
pub fn clamp_cut_off(sent: &str, previous: Option<Timestamp>, now: Timestamp) -> Timestamp {
    let at = sent.trim().parse::<Timestamp>().unwrap_or(now).min(now);
    match previous {
        Some(p) if at < p => p.min(now),
        _ => at,
    }
}

/// The columns a new review's suggestion reads: those last changed strictly after
/// `cut_off` (the previous published review's), all of them when `None`.
pub fn recent<'a>(columns: &[Column<'a>], cut_off: Option<Timestamp>) -> Vec<Column<'a>> {
    columns
        .iter()
        .filter(|c| cut_off.is_none_or(|t| c.at > t))
        .cloned()
        .collect()
}

/// For each competency of `referential`, in its order, how many scored results (not
/// "non évaluable" nor "absent", as [`super::interim_review::suggest`] counts them) of
/// its criteria `recent` holds: what the suggestion is based on.
pub fn result_counts(referential: &Referential, recent: &[Column<'_>]) -> Vec<usize> {
    referential
        .competencies
        .iter()
        .map(|comp| {
            recent
                .iter()
                .flat_map(|c| c.results)
                .filter(|s| {
                    s.result.score().is_some()
                        && comp.criteria.iter().any(|k| k.code == s.criterion)
                })
                .count()
        })
        .collect()
}

/// The published reviews of `reviews`, chronologically (by date, then publication
/// time): the banner of review dates.
pub fn published(reviews: &[InterimReview]) -> Vec<&InterimReview> {
    let mut out: Vec<&InterimReview> = reviews.iter().filter(|r| r.published.is_some()).collect();
    out.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then_with(|| {
                let at = |r: &InterimReview| r.published.as_ref().map(|p| p.at);
                at(a).cmp(&at(b))
            })
            .then(a.created_at.cmp(&b.created_at))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dashboard::columns;
    use crate::domain::evaluation::{
        Complexity, Context, CriterionResult, CriterionScore, Evaluation,
    };
    use crate::domain::ids::*;
    use crate::domain::interim_review::{Mastery, Publication, Target};
    use crate::domain::referential::{Competency, Criterion};

    fn referential() -> Referential {
        let comp = |code: &str| Competency {
            code: code.into(),
            title: format!("Titre {code}"),
            criteria: (1..=2)
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
            competencies: vec![comp("C1"), comp("C2")],
            blocks: vec![],
        }
    }

    fn today() -> Date {
        Date::constant(2026, 3, 11)
    }

    fn input() -> InterimInput {
        InterimInput {
            date: "2026-03-10".into(),
            findings: " Bon trimestre.\r\nÀ poursuivre. ".into(),
            advice: "Relire les schémas.".into(),
            positionings: vec![("C1".into(), "m4-f".into()), ("C2".into(), "ne".into())],
            grade: "13,5".into(),
            considered_until: String::new(),
            confirmed: false,
        }
    }

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn a_valid_form_gives_every_positioning_in_referential_order() {
        let mut i = input();
        i.positionings.reverse();
        let c = validate_interim(&i, &referential(), false, None, today()).unwrap();
        assert_eq!(c.date, Date::constant(2026, 3, 10));
        assert_eq!(c.findings, "Bon trimestre.\nÀ poursuivre.");
        assert_eq!(c.grade.map(Grade::half_points), Some(27));
        assert_eq!(
            c.positionings,
            vec![
                CompetencyPositioning {
                    competency: "C1".into(),
                    positioning: Positioning::Placed {
                        level: Mastery::Full,
                        target: Target::Final
                    }
                },
                CompetencyPositioning {
                    competency: "C2".into(),
                    positioning: Positioning::NotEvaluated
                },
            ]
        );
        // No grade is fine.
        let mut i = input();
        i.grade = "  ".into();
        assert_eq!(
            validate_interim(&i, &referential(), false, None, today())
                .unwrap()
                .grade,
            None
        );
    }

    #[test]
    fn grades_outside_half_points_between_0_and_20_are_refused() {
        for (typed, message) in [
            ("20,5", "comprise entre 0 et 20"),
            ("-1", "comprise entre 0 et 20"),
            ("13,25", "demi-point"),
            ("treize", "doit être un nombre"),
        ] {
            let mut i = input();
            i.grade = typed.into();
            let e = validate_interim(&i, &referential(), false, None, today()).unwrap_err();
            assert!(e.get("grade").unwrap().contains(message), "{typed}");
        }
    }

    #[test]
    fn missing_or_unknown_positionings_are_named() {
        let mut i = input();
        i.positionings = vec![("C1".into(), "m9-x".into())];
        let e = validate_interim(&i, &referential(), false, None, today()).unwrap_err();
        assert!(e.get("positionings").unwrap().contains("C1, C2"));
    }

    #[test]
    fn the_date_is_a_past_day_not_before_the_last_published_review() {
        let r = referential();
        for (typed, earliest, message) in [
            ("", None, "Indiquez la date"),
            ("2026-02-30", None, "Date invalide"),
            ("2026-03-12", None, "dans le futur"),
            (
                "2026-01-31",
                Some(Date::constant(2026, 2, 1)),
                "dernier bilan publié (01/02/2026)",
            ),
        ] {
            let mut i = input();
            i.date = typed.into();
            let e = validate_interim(&i, &r, false, earliest, today()).unwrap_err();
            assert!(e.get("date").unwrap().contains(message), "{typed}");
        }
        let mut i = input();
        i.date = "2026-02-01".into();
        assert!(validate_interim(&i, &r, false, Some(Date::constant(2026, 2, 1)), today()).is_ok());
    }

    #[test]
    fn publishing_needs_the_texts_and_the_confirmation() {
        let r = referential();
        let e = validate_interim(&input(), &r, true, None, today()).unwrap_err();
        assert!(e.get("confirmed").unwrap().contains("Je comprends"));
        let mut i = input();
        i.confirmed = true;
        assert!(validate_interim(&i, &r, true, None, today()).is_ok());
        i.findings = " ".into();
        i.advice = String::new();
        let e = validate_interim(&i, &r, true, None, today()).unwrap_err();
        assert!(e.get("findings").unwrap().contains("constats"));
        assert!(e.get("advice").unwrap().contains("conseils"));
        // A draft may leave them empty, not too long.
        assert!(validate_interim(&i, &r, false, None, today()).is_ok());
        i.advice = "x".repeat(TEXT_MAX_CHARS + 1);
        let e = validate_interim(&i, &r, false, None, today()).unwrap_err();
        assert!(e.get("advice").unwrap().contains("trop long"));
    }

    #[test]
    fn the_cut_off_stays_between_the_previous_one_and_now() {
        let now = ts(1_000);
        assert_eq!(clamp_cut_off(&ts(500).to_string(), None, now), ts(500));
        assert_eq!(
            clamp_cut_off(&ts(500).to_string(), Some(ts(600)), now),
            ts(600)
        );
        assert_eq!(
            clamp_cut_off(&ts(5_000).to_string(), Some(ts(600)), now),
            now
        );
        assert_eq!(clamp_cut_off("n'importe quoi", Some(ts(600)), now), now);
        assert_eq!(clamp_cut_off("", None, now), now);
    }

    #[test]
    fn the_suggestion_reads_only_what_changed_after_the_cut_off() {
        use CriterionResult::*;
        let eval = |at: i64, results: &[(&str, CriterionResult)]| Evaluation {
            id: EvaluationId::new(),
            student: StudentId::new(),
            referential: "t".into(),
            context: Context::School,
            complexity: Complexity::Intermediate,
            title: String::new(),
            author: TeacherId::new(),
            results: results
                .iter()
                .map(|(c, r)| CriterionScore {
                    criterion: (*c).into(),
                    result: *r,
                })
                .collect(),
            created_at: ts(at),
            updated_at: ts(at),
        };
        let evals = vec![
            eval(100, &[("C1.1", NotAchieved)]),
            eval(
                300,
                &[
                    ("C1.1", AchievedAutonomously),
                    ("C1.2", Absent),
                    ("C2.1", Partial),
                    ("C2.2", NotAssessable),
                ],
            ),
        ];
        let cols = columns(&evals, &[]);
        assert_eq!(recent(&cols, None).len(), 2);
        let after = recent(&cols, Some(ts(100)));
        assert_eq!(after.len(), 1);
        assert_eq!(result_counts(&referential(), &after), vec![1, 1]);
        assert_eq!(result_counts(&referential(), &cols), vec![2, 1]);
        assert!(recent(&cols, Some(ts(300))).is_empty());
    }

    #[test]
    fn the_banner_lists_published_reviews_chronologically() {
        let review = |day: i8, published: bool| InterimReview {
            id: InterimReviewId::new(),
            student: StudentId::new(),
            referential: "t".into(),
            date: Date::constant(2026, 1, day),
            findings: String::new(),
            advice: String::new(),
            positionings: vec![],
            grade: None,
            author: TeacherId::new(),
            considered_until: ts(0),
            published: published.then(|| Publication {
                at: ts(i64::from(day)),
                by: TeacherId::new(),
            }),
            created_at: ts(0),
            updated_at: ts(0),
        };
        let all = vec![review(20, true), review(5, false), review(3, true)];
        let days: Vec<i8> = published(&all).iter().map(|r| r.date.day()).collect();
        assert_eq!(days, vec![3, 20]);
        // The same content is recognised (a double submission).
        let c = validate_interim(&input(), &referential(), false, None, today()).unwrap();
        let mut r = review(1, false);
        assert!(!c.is_in(&r));
        c.apply(&mut r);
        assert!(c.is_in(&r));
    }
}
