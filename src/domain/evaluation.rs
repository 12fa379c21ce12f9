//! Competency evaluations (évaluations) and the company review (bilan entreprise), as
//! the spec's "Tableau de bord" module describes them: every evaluation gives, for each
//! criterion it assessed, one of six results; it has a context (en établissement / en
//! entreprise) and a complexity level (D, Int, Ba, or E for a company review).

use super::ids::*;
use super::referential::Referential;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest evaluation title, in characters.
pub const TITLE_MAX_CHARS: usize = 150;
/// Longest comment of a company review, in characters.
pub const COMMENT_MAX_CHARS: usize = 4_000;

/// Where an evaluation took place (spec: "La forme de la case correspond au contexte de
/// l'évaluation").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Context {
    /// En établissement: drawn as a rectangle.
    School,
    /// En entreprise (a company review): drawn as a pill (gélule).
    Company,
}

impl Context {
    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            Context::School => "en établissement",
            Context::Company => "en entreprise",
        }
    }

    /// The value used in URLs and forms: `etablissement` or `entreprise`.
    pub fn slug(self) -> &'static str {
        match self {
            Context::School => "etablissement",
            Context::Company => "entreprise",
        }
    }

    /// Parses [`Context::slug`].
    pub fn from_slug(s: &str) -> Option<Context> {
        [Context::School, Context::Company]
            .into_iter()
            .find(|c| c.slug() == s)
    }
}

/// An evaluation's complexity level, shown at the head of its dashboard column (spec:
/// "D pour une évaluation de niveau découverte, Int … intermédiaire, Ba … bac pro, E
/// pour l'évaluation d'un bilan entreprise, avec un repérage couleur rose").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Complexity {
    /// D, découverte.
    Discovery,
    /// Int, intermédiaire.
    Intermediate,
    /// Ba, bac pro.
    BacPro,
    /// E, bilan entreprise (only a company review has it).
    Company,
}

impl Complexity {
    /// Every level, in the spec's order.
    pub const ALL: [Complexity; 4] = [
        Complexity::Discovery,
        Complexity::Intermediate,
        Complexity::BacPro,
        Complexity::Company,
    ];
    /// The levels a teacher chooses for a school evaluation.
    pub const SCHOOL: [Complexity; 3] = [
        Complexity::Discovery,
        Complexity::Intermediate,
        Complexity::BacPro,
    ];

    /// The column-head code: `D`, `Int`, `Ba`, `E`. Also its value in URLs and forms.
    pub fn code(self) -> &'static str {
        match self {
            Complexity::Discovery => "D",
            Complexity::Intermediate => "Int",
            Complexity::BacPro => "Ba",
            Complexity::Company => "E",
        }
    }

    /// French name: "découverte", "intermédiaire", "bac pro", "bilan entreprise".
    pub fn label(self) -> &'static str {
        match self {
            Complexity::Discovery => "découverte",
            Complexity::Intermediate => "intermédiaire",
            Complexity::BacPro => "bac pro",
            Complexity::Company => "bilan entreprise",
        }
    }

    /// Parses [`Complexity::code`] (exact case).
    pub fn from_code(s: &str) -> Option<Complexity> {
        Complexity::ALL.into_iter().find(|c| c.code() == s)
    }
}

/// The result of one criterion in one evaluation, with the spec's colours ("repérage
/// coloré graduel"): red, orange, light green, dark green, blue, grey.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CriterionResult {
    /// Rouge: pas de réussite ou non fait.
    NotAchieved,
    /// Orange: réussite partielle.
    Partial,
    /// Vert clair: réussite totale avec aide.
    AchievedWithHelp,
    /// Vert foncé: réussite totale en autonomie.
    AchievedAutonomously,
    /// Bleu: critère non évaluable.
    NotAssessable,
    /// Gris: élève absent.
    Absent,
}

impl CriterionResult {
    /// Every result, in the order the forms and the legend list them (best first, then
    /// the two that say nothing about the student's level).
    pub const ALL: [CriterionResult; 6] = [
        CriterionResult::AchievedAutonomously,
        CriterionResult::AchievedWithHelp,
        CriterionResult::Partial,
        CriterionResult::NotAchieved,
        CriterionResult::NotAssessable,
        CriterionResult::Absent,
    ];

    /// The spec's wording, for the legend and for screen readers.
    pub fn label(self) -> &'static str {
        match self {
            CriterionResult::NotAchieved => "pas de réussite ou non fait",
            CriterionResult::Partial => "réussite partielle",
            CriterionResult::AchievedWithHelp => "réussite totale avec aide",
            CriterionResult::AchievedAutonomously => "réussite totale en autonomie",
            CriterionResult::NotAssessable => "critère non évaluable",
            CriterionResult::Absent => "élève absent",
        }
    }

    /// The colour's French name (legend).
    pub fn colour_name(self) -> &'static str {
        match self {
            CriterionResult::NotAchieved => "rouge",
            CriterionResult::Partial => "orange",
            CriterionResult::AchievedWithHelp => "vert clair",
            CriterionResult::AchievedAutonomously => "vert foncé",
            CriterionResult::NotAssessable => "bleu",
            CriterionResult::Absent => "gris",
        }
    }

    /// A short visible symbol, so the colour is never the only sign (DESIGN.md, "Look
    /// and feel"): `✗`, `½`, `✓`, `✓✓`, `?`, `abs`.
    pub fn symbol(self) -> &'static str {
        match self {
            CriterionResult::NotAchieved => "✗",
            CriterionResult::Partial => "½",
            CriterionResult::AchievedWithHelp => "✓",
            CriterionResult::AchievedAutonomously => "✓✓",
            CriterionResult::NotAssessable => "?",
            CriterionResult::Absent => "abs",
        }
    }

    /// A stable short name for CSS classes and form values: `na`, `pa`, `ah`, `aa`,
    /// `ne`, `ab`.
    pub fn slug(self) -> &'static str {
        match self {
            CriterionResult::NotAchieved => "na",
            CriterionResult::Partial => "pa",
            CriterionResult::AchievedWithHelp => "ah",
            CriterionResult::AchievedAutonomously => "aa",
            CriterionResult::NotAssessable => "ne",
            CriterionResult::Absent => "ab",
        }
    }

    /// Parses [`CriterionResult::slug`].
    pub fn from_slug(s: &str) -> Option<CriterionResult> {
        CriterionResult::ALL.into_iter().find(|r| r.slug() == s)
    }

    /// The level the result shows, from 0 (not achieved) to 3 (autonomous); `None` for
    /// "not assessable" and "absent", which say nothing about the student's level.
    pub fn score(self) -> Option<u8> {
        match self {
            CriterionResult::NotAchieved => Some(0),
            CriterionResult::Partial => Some(1),
            CriterionResult::AchievedWithHelp => Some(2),
            CriterionResult::AchievedAutonomously => Some(3),
            CriterionResult::NotAssessable | CriterionResult::Absent => None,
        }
    }

    /// The result whose score is `score` (0–3, higher values read as 3).
    pub fn from_score(score: u8) -> CriterionResult {
        match score {
            0 => CriterionResult::NotAchieved,
            1 => CriterionResult::Partial,
            2 => CriterionResult::AchievedWithHelp,
            _ => CriterionResult::AchievedAutonomously,
        }
    }
}

/// One assessed criterion: its code in the referential ("C4.2") and its result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionScore {
    /// Criterion code.
    pub criterion: String,
    /// Result.
    pub result: CriterionResult,
}

/// A school evaluation (évaluation en établissement), made by a teacher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Id; made by the form, so a double submission stores one evaluation.
    pub id: EvaluationId,
    /// The student evaluated.
    pub student: StudentId,
    /// Code of the referential its criteria come from (the student's class diploma).
    pub referential: String,
    /// Always [`Context::School`] for an evaluation made with the teacher's form; a
    /// company review becomes a [`Context::Company`] column on the dashboard.
    pub context: Context,
    /// D, Int or Ba.
    pub complexity: Complexity,
    /// What was evaluated: "TP 4 — tableau de chantier".
    pub title: String,
    /// The teacher who made it, then the last one who changed it.
    pub author: TeacherId,
    /// Assessed criteria, in referential order; a criterion appears at most once.
    pub results: Vec<CriterionScore>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change: the date the dashboard orders by (spec: "la date prise en compte
    /// est la date de dernière modification de l'évaluation").
    pub updated_at: Timestamp,
}

/// Where a company review stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompanyReviewStatus {
    /// The referent has chosen the criteria; the tutor may fill it.
    Open,
    /// The tutor has filled it and said so, before the referent's visit.
    FilledByTutor {
        /// When.
        at: Timestamp,
    },
    /// Finalised together at the visit (joint visit mode): read-only, on the dashboard.
    Finalised {
        /// The referent present.
        referent: TeacherId,
        /// The tutor present.
        tutor: TutorId,
        /// When it was finalised.
        at: Timestamp,
    },
}

/// A company review (bilan entreprise) of one placement: criteria chosen by the
/// referent, results given by the tutor and settled jointly at the visit (spec, module
/// "Évaluation": "accéder au bilan entreprise afin d'en prendre connaissance avant la
/// visite de l'enseignant référent"). Once finalised it is an evaluation of level E in
/// the company context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyReview {
    /// Its column id on the dashboard.
    pub id: EvaluationId,
    /// The placement reviewed (one review per placement).
    pub placement: PlacementId,
    /// The placement's student.
    pub student: StudentId,
    /// Referential code.
    pub referential: String,
    /// Criteria to assess, chosen by the referent, in referential order.
    pub criteria: Vec<String>,
    /// Results given so far, each for one of [`CompanyReview::criteria`].
    pub results: Vec<CriterionScore>,
    /// The tutor's overall appreciation (may be empty).
    pub comment: String,
    /// Where it stands.
    pub status: CompanyReviewStatus,
    /// The referent who chose the criteria.
    pub prepared_by: TeacherId,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// Ids of the last changes applied (newest last, at most
    /// [`CompanyReview::REVISIONS_KEPT`]): a change sent again by the offline outbox is
    /// recognised and applied once.
    pub revisions: Vec<Uuid>,
}

impl CompanyReview {
    /// How many change ids are remembered for idempotency.
    pub const REVISIONS_KEPT: usize = 32;

    /// True once finalised at the visit.
    pub fn is_finalised(&self) -> bool {
        matches!(self.status, CompanyReviewStatus::Finalised { .. })
    }

    /// The result given for `criterion`, if any.
    pub fn result(&self, criterion: &str) -> Option<CriterionResult> {
        self.results
            .iter()
            .find(|s| s.criterion == criterion)
            .map(|s| s.result)
    }

    /// Records `revision` as applied, forgetting the oldest beyond
    /// [`CompanyReview::REVISIONS_KEPT`].
    pub fn remember(&mut self, revision: Uuid) {
        self.revisions.push(revision);
        let extra = self.revisions.len().saturating_sub(Self::REVISIONS_KEPT);
        self.revisions.drain(..extra);
    }
}

/// Keeps the criteria codes of `chosen` that exist in `referential`, once each, in the
/// referential's order.
pub fn in_referential_order(referential: &Referential, chosen: &[String]) -> Vec<String> {
    referential
        .competencies
        .iter()
        .flat_map(|c| c.criteria.iter())
        .filter(|k| chosen.contains(&k.code))
        .map(|k| k.code.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_slugs_round_trip() {
        for c in Complexity::ALL {
            assert_eq!(Complexity::from_code(c.code()), Some(c));
        }
        for r in CriterionResult::ALL {
            assert_eq!(CriterionResult::from_slug(r.slug()), Some(r));
        }
        assert_eq!(Context::from_slug("entreprise"), Some(Context::Company));
        assert_eq!(Complexity::from_code("int"), None);
    }

    #[test]
    fn scores_order_the_four_levels_and_skip_the_two_others() {
        let scored: Vec<_> = CriterionResult::ALL
            .iter()
            .filter_map(|r| r.score())
            .collect();
        assert_eq!(scored, [3, 2, 1, 0]);
        for s in 0..=3 {
            assert_eq!(CriterionResult::from_score(s).score(), Some(s));
        }
    }

    #[test]
    fn revisions_are_bounded() {
        let mut r = CompanyReview {
            id: EvaluationId::new(),
            placement: PlacementId::new(),
            student: StudentId::new(),
            referential: "x".into(),
            criteria: vec![],
            results: vec![],
            comment: String::new(),
            status: CompanyReviewStatus::Open,
            prepared_by: TeacherId::new(),
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            revisions: vec![],
        };
        let first = Uuid::new_v4();
        r.remember(first);
        for _ in 0..CompanyReview::REVISIONS_KEPT {
            r.remember(Uuid::new_v4());
        }
        assert_eq!(r.revisions.len(), CompanyReview::REVISIONS_KEPT);
        assert!(!r.revisions.contains(&first));
    }
}
