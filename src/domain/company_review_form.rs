//! The company review's forms (bilan entreprise, issue 5): the referent chooses the
//! criteria (proposed from the activity sheets), the tutor gives a result to each before
//! the visit, and both finalise it together at the visit (joint visit mode, which also
//! works offline through the outbox of issue 4).
//!
//! Spec, module "Évaluation": the tutor accesses "au bilan entreprise afin d'en prendre
//! connaissance avant la visite de l'enseignant référent"; "Accès à l'application par
//! le tuteur": "vous aurez la responsabilité conjointe avec l'enseignant référent
//! d'évaluer ses compétences".

use super::activity::{ActivitySheet, SheetStatus};
use super::evaluation::{
    COMMENT_MAX_CHARS, CompanyReview, CompanyReviewStatus, CriterionResult, CriterionScore,
    in_referential_order,
};
use super::ids::{TeacherId, TutorId};
use super::referential::Referential;
use super::{FieldErrors, text};
use jiff::Timestamp;
use jiff::civil::Date;

/// What the activity sheets propose for the review of a placement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProposedCriteria {
    /// Criteria named by the sheets, in referential order: pre-checked in the form.
    pub criteria: Vec<String>,
    /// For each competency named by at least one sheet (by its code or one of its
    /// criteria), how many sheets name it, in referential order.
    pub mobilised: Vec<(String, usize)>,
}

impl ProposedCriteria {
    /// How many sheets mobilised the competency `code` (0 when none).
    pub fn sheets_for(&self, code: &str) -> usize {
        self.mobilised
            .iter()
            .find(|(c, _)| c == code)
            .map_or(0, |(_, n)| *n)
    }
}

/// The criteria the sheets of a placement mobilised (issue 5: "proposed from those the
/// activity sheets mobilised"). Drafts are the student's own and are left out. A sheet
/// that names a competency without any of its criteria proposes none of its criteria,
/// but counts in [`ProposedCriteria::mobilised`].
pub fn proposed_criteria(referential: &Referential, sheets: &[ActivitySheet]) -> ProposedCriteria {
    let sent: Vec<&ActivitySheet> = sheets
        .iter()
        .filter(|s| s.status != SheetStatus::Draft)
        .collect();
    let named: Vec<String> = sent.iter().flat_map(|s| s.criteria.clone()).collect();
    let mobilised = referential
        .competencies
        .iter()
        .filter_map(|c| {
            let n = sent
                .iter()
                .filter(|s| {
                    s.competencies.contains(&c.code)
                        || c.criteria.iter().any(|k| s.criteria.contains(&k.code))
                })
                .count();
            (n > 0).then(|| (c.code.clone(), n))
        })
        .collect();
    ProposedCriteria {
        criteria: in_referential_order(referential, &named),
        mobilised,
    }
}

/// Checks the criteria the referent ticked: those of the referential, in its order,
/// once each (unknown codes are dropped).
///
/// # Errors
/// `criteria` when none is left ("at least one criterion", issue 5 contract).
pub fn validate_criteria(
    referential: &Referential,
    chosen: &[String],
) -> Result<Vec<String>, FieldErrors> {
    let criteria = in_referential_order(referential, chosen);
    if criteria.is_empty() {
        let mut errors = FieldErrors::default();
        errors.add(
            "criteria",
            "Cochez au moins un critère d'évaluation à faire évaluer par le tuteur.",
        );
        return Err(errors);
    }
    Ok(criteria)
}

/// The result form as sent: one `(criterion code, result slug)` pair per answered
/// criterion, and the overall appreciation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewInput {
    /// `(criterion, slug)` pairs; the slug is one of [`CriterionResult::slug`].
    pub results: Vec<(String, String)>,
    /// "Appréciation générale", as typed.
    pub comment: String,
}

impl ReviewInput {
    /// The form as the stored review fills it.
    pub fn from_review(r: &CompanyReview) -> ReviewInput {
        ReviewInput {
            results: r
                .results
                .iter()
                .map(|s| (s.criterion.clone(), s.result.slug().to_string()))
                .collect(),
            comment: r.comment.clone(),
        }
    }

    /// The slug typed for `criterion`, if any.
    pub fn slug(&self, criterion: &str) -> Option<&str> {
        self.results
            .iter()
            .find(|(c, _)| c == criterion)
            .map(|(_, s)| s.as_str())
    }
}

/// What a submission asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// "Enregistrer": a partial review is fine.
    Save,
    /// "J'ai terminé, prêt pour la visite" (tutor): every criterion needs a result.
    Ready,
    /// "Finaliser le bilan" (joint visit): every criterion needs a result, and the box
    /// "Nous avons établi ce bilan ensemble" must be ticked (`together`).
    Finalise {
        /// The box was ticked.
        together: bool,
    },
}

/// A checked submission: the results, in the review's criteria order, and the cleaned
/// comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewContent {
    /// One score per answered criterion of the review.
    pub results: Vec<CriterionScore>,
    /// The overall appreciation, cleaned ([`text::clean`]).
    pub comment: String,
}

/// The criteria of `review` without a result in `results`, in the review's order.
pub fn missing(review: &CompanyReview, results: &[CriterionScore]) -> Vec<String> {
    review
        .criteria
        .iter()
        .filter(|c| !results.iter().any(|s| s.criterion == **c))
        .cloned()
        .collect()
}

/// Checks a result form against the review's criteria. Answers for criteria the review
/// no longer has (the referent changed them meanwhile) are dropped.
///
/// # Errors
/// `results`: an unknown result, or (for [`Intent::Ready`] and [`Intent::Finalise`]) a
/// criterion left without a result; `comment`: longer than [`COMMENT_MAX_CHARS`];
/// `together`: finalising without the joint-visit box ticked.
pub fn validate_review(
    review: &CompanyReview,
    input: &ReviewInput,
    intent: Intent,
) -> Result<ReviewContent, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut results = Vec::new();
    let mut unknown = Vec::new();
    for code in &review.criteria {
        match input.slug(code).map(str::trim) {
            None | Some("") => {}
            Some(slug) => match CriterionResult::from_slug(slug) {
                Some(result) => results.push(CriterionScore {
                    criterion: code.clone(),
                    result,
                }),
                None => unknown.push(code.clone()),
            },
        }
    }
    if !unknown.is_empty() {
        errors.add(
            "results",
            format!(
                "Résultat non reconnu pour {} : choisissez l'un des six résultats proposés.",
                unknown.join(", ")
            ),
        );
    }
    let absent = missing(review, &results);
    if intent != Intent::Save && unknown.is_empty() && !absent.is_empty() {
        errors.add(
            "results",
            format!(
                "Donnez un résultat à chaque critère : {} {} sans résultat.",
                absent.join(", "),
                if absent.len() > 1 { "sont" } else { "est" }
            ),
        );
    }
    let comment = text::clean(&input.comment);
    text::check(&mut errors, "comment", &comment, false, COMMENT_MAX_CHARS);
    if intent == (Intent::Finalise { together: false }) {
        errors.add(
            "together",
            "Cochez la case qui confirme que le tuteur et l'enseignant référent ont établi ce bilan ensemble.",
        );
    }
    if errors.is_empty() {
        Ok(ReviewContent { results, comment })
    } else {
        Err(errors)
    }
}

/// The form field of the "not before the placement's first day" message.
pub const FINALISE_FIELD: &str = "finalise";

/// True when a review may be finalised on `today`: from the placement's `first_day` on
/// (the visit closes the period; a review finalised before it started would date its
/// dashboard column before the placement). Choosing the criteria and the tutor's
/// filling stay open before.
pub fn may_finalise(first_day: Date, today: Date) -> bool {
    today >= first_day
}

/// What the pages say before [`may_finalise`]: when the visit can be finalised.
pub fn finalise_opens_message(first_day: Date) -> String {
    format!(
        "La visite de fin de période pourra être finalisée à partir du {}.",
        text::date_long(first_day)
    )
}

/// [`validate_review`], plus, for [`Intent::Finalise`], the placement's first day: a
/// review is never finalised before `first_day` (field [`FINALISE_FIELD`]).
///
/// # Errors
/// Those of [`validate_review`], and [`FINALISE_FIELD`] when finalising before
/// `first_day`.
pub fn validate_submission(
    review: &CompanyReview,
    input: &ReviewInput,
    intent: Intent,
    first_day: Date,
    today: Date,
) -> Result<ReviewContent, FieldErrors> {
    let checked = validate_review(review, input, intent);
    if !matches!(intent, Intent::Finalise { .. }) || may_finalise(first_day, today) {
        return checked;
    }
    let mut errors = checked.err().unwrap_or_default();
    errors.add(
        FINALISE_FIELD,
        format!(
            "La période de formation n'a pas encore commencé : le bilan ne peut pas être finalisé avant son premier jour. {}",
            finalise_opens_message(first_day)
        ),
    );
    Err(errors)
}

/// True when `review` already holds exactly `content` (a finalised review sent again
/// by the outbox with the same results and comment is a replay, not a conflict).
pub fn same_content(review: &CompanyReview, content: &ReviewContent) -> bool {
    review.results == content.results && review.comment == content.comment
}

/// Back to "open" when a review said filled by the tutor lacks a result now (criteria
/// added, or results removed by a partial save).
fn reopen_if_incomplete(review: &mut CompanyReview) {
    if matches!(review.status, CompanyReviewStatus::FilledByTutor { .. })
        && !missing(review, &review.results).is_empty()
    {
        review.status = CompanyReviewStatus::Open;
    }
}

/// Writes a checked submission onto a review that is not finalised (the caller checks),
/// at `now`: [`Intent::Save`] keeps the status (a filled review missing a result goes
/// back to open), [`Intent::Ready`] marks it filled by the tutor, and
/// [`Intent::Finalise`] finalises it with the placement's `referent` and `tutor` (its
/// `updated_at` is then the date of its dashboard column).
pub fn apply(
    review: &mut CompanyReview,
    content: &ReviewContent,
    intent: Intent,
    people: (TeacherId, TutorId),
    now: Timestamp,
) {
    review.results = content.results.clone();
    review.comment = content.comment.clone();
    review.updated_at = now;
    match intent {
        Intent::Save => reopen_if_incomplete(review),
        Intent::Ready => review.status = CompanyReviewStatus::FilledByTutor { at: now },
        Intent::Finalise { .. } => {
            review.status = CompanyReviewStatus::Finalised {
                referent: people.0,
                tutor: people.1,
                at: now,
            }
        }
    }
}

/// Replaces the criteria of a review that is not finalised (the caller checks): the
/// results of removed criteria are dropped.
pub fn set_criteria(review: &mut CompanyReview, criteria: Vec<String>, now: Timestamp) {
    review.results.retain(|s| criteria.contains(&s.criterion));
    review.criteria = criteria;
    review.updated_at = now;
    reopen_if_incomplete(review);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::*;
    use crate::domain::referential::{Competency, Criterion};

    fn referential() -> Referential {
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
            competencies: vec![comp("C1", 2), comp("C2", 3), comp("C3", 1)],
            ..crate::referential::shipped()
                .unwrap()
                .into_iter()
                .next()
                .unwrap()
        }
    }

    fn sheet(status: SheetStatus, competencies: &[&str], criteria: &[&str]) -> ActivitySheet {
        ActivitySheet {
            id: ActivitySheetId::new(),
            placement: PlacementId::new(),
            title: "t".into(),
            date: jiff::civil::date(2026, 3, 2),
            context: String::new(),
            work_done: "w".into(),
            tools: String::new(),
            competencies: competencies.iter().map(|s| s.to_string()).collect(),
            criteria: criteria.iter().map(|s| s.to_string()).collect(),
            status,
            tutor_comment: None,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            submitted_at: None,
        }
    }

    fn review(criteria: &[&str]) -> CompanyReview {
        CompanyReview {
            id: EvaluationId::new(),
            placement: PlacementId::new(),
            student: StudentId::new(),
            referential: "x".into(),
            criteria: criteria.iter().map(|s| s.to_string()).collect(),
            results: vec![],
            comment: String::new(),
            status: CompanyReviewStatus::Open,
            prepared_by: TeacherId::new(),
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            revisions: vec![],
        }
    }

    fn input(pairs: &[(&str, &str)], comment: &str) -> ReviewInput {
        ReviewInput {
            results: pairs
                .iter()
                .map(|(c, s)| (c.to_string(), s.to_string()))
                .collect(),
            comment: comment.into(),
        }
    }

    #[test]
    fn sheets_propose_their_criteria_and_count_competencies_but_not_drafts() {
        let sheets = [
            sheet(SheetStatus::Submitted, &["C2"], &["C2.3", "C2.1"]),
            sheet(SheetStatus::SeenByTutor, &["C1"], &[]),
            sheet(SheetStatus::SeenByTutor, &["C2"], &["C2.1"]),
            sheet(SheetStatus::Draft, &["C3"], &["C3.1"]),
        ];
        let p = proposed_criteria(&referential(), &sheets);
        assert_eq!(p.criteria, ["C2.1", "C2.3"]);
        assert_eq!(p.mobilised, [("C1".to_string(), 1), ("C2".to_string(), 2)]);
        assert_eq!(p.sheets_for("C3"), 0);
    }

    #[test]
    fn at_least_one_known_criterion_in_referential_order() {
        let r = referential();
        assert_eq!(
            validate_criteria(&r, &["C3.1".into(), "C1.2".into(), "C9.9".into()]).unwrap(),
            ["C1.2", "C3.1"]
        );
        let errors = validate_criteria(&r, &["C9.9".into()]).unwrap_err();
        assert!(errors.get("criteria").is_some());
    }

    #[test]
    fn saving_may_be_partial_but_ready_and_finalise_need_every_result() {
        let r = review(&["C1.1", "C1.2"]);
        let partial = input(&[("C1.1", "aa")], " Bien ");
        let saved = validate_review(&r, &partial, Intent::Save).unwrap();
        assert_eq!(saved.results.len(), 1);
        assert_eq!(saved.comment, "Bien");
        let e = validate_review(&r, &partial, Intent::Ready).unwrap_err();
        assert!(e.get("results").unwrap().contains("C1.2 est sans résultat"));
        let whole = input(&[("C1.2", "ne"), ("C1.1", "pa"), ("C7.1", "aa")], "");
        let ok = validate_review(&r, &whole, Intent::Ready).unwrap();
        assert_eq!(
            ok.results
                .iter()
                .map(|s| s.criterion.as_str())
                .collect::<Vec<_>>(),
            ["C1.1", "C1.2"],
            "review order, foreign criteria dropped"
        );
        let e = validate_review(&r, &whole, Intent::Finalise { together: false }).unwrap_err();
        assert!(e.get("together").is_some());
        assert!(validate_review(&r, &whole, Intent::Finalise { together: true }).is_ok());
    }

    #[test]
    fn unknown_results_and_long_comments_are_refused() {
        let r = review(&["C1.1"]);
        let e = validate_review(&r, &input(&[("C1.1", "zz")], ""), Intent::Save).unwrap_err();
        assert!(e.get("results").unwrap().contains("C1.1"));
        let long = "x".repeat(COMMENT_MAX_CHARS + 1);
        let e = validate_review(&r, &input(&[], &long), Intent::Save).unwrap_err();
        assert!(e.get("comment").is_some());
    }

    #[test]
    fn apply_sets_status_and_criteria_changes_drop_results() {
        let (t, u) = (TeacherId::new(), TutorId::new());
        let now = Timestamp::from_second(1_000).unwrap();
        let mut r = review(&["C1.1", "C1.2"]);
        let all = validate_review(
            &r,
            &input(&[("C1.1", "aa"), ("C1.2", "ah")], ""),
            Intent::Ready,
        )
        .unwrap();
        apply(&mut r, &all, Intent::Ready, (t, u), now);
        assert_eq!(r.status, CompanyReviewStatus::FilledByTutor { at: now });
        set_criteria(&mut r, vec!["C1.2".into(), "C2.1".into()], now);
        assert_eq!(r.results.len(), 1, "C1.1's result dropped");
        assert_eq!(r.status, CompanyReviewStatus::Open, "C2.1 has no result");
        let done = validate_review(
            &r,
            &input(&[("C1.2", "ah"), ("C2.1", "na")], "Ensemble"),
            Intent::Finalise { together: true },
        )
        .unwrap();
        assert!(!same_content(&r, &done));
        apply(
            &mut r,
            &done,
            Intent::Finalise { together: true },
            (t, u),
            now,
        );
        assert!(r.is_finalised());
        assert!(same_content(&r, &done));
        assert_eq!(r.updated_at, now);
    }

    #[test]
    fn finalising_waits_for_the_placements_first_day_saving_does_not() {
        let first = jiff::civil::date(2026, 3, 30);
        let (before, on) = (jiff::civil::date(2026, 3, 29), first);
        assert!(!may_finalise(first, before));
        assert!(may_finalise(first, on));
        assert!(may_finalise(first, jiff::civil::date(2026, 4, 2)));
        let r = review(&["C1.1"]);
        let whole = input(&[("C1.1", "aa")], "");
        let finalise = Intent::Finalise { together: true };
        let e = validate_submission(&r, &whole, finalise, first, before).unwrap_err();
        let m = e.get(FINALISE_FIELD).unwrap();
        assert!(m.contains("à partir du lundi 30 mars 2026"), "{m}");
        assert_eq!(e.0.len(), 1, "only the date is wrong");
        let e = validate_submission(&r, &input(&[], ""), finalise, first, before).unwrap_err();
        assert!(e.get("results").is_some() && e.get(FINALISE_FIELD).is_some());
        assert!(validate_submission(&r, &whole, finalise, first, on).is_ok());
        for intent in [Intent::Save, Intent::Ready] {
            assert!(validate_submission(&r, &whole, intent, first, before).is_ok());
        }
    }
}
