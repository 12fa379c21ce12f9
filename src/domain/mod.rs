//! Pure domain types and rules: no poem, no sled, no maud here (DESIGN.md).
//!
//! Names follow the glossary of DESIGN.md: English in code, French in the UI.

pub mod access;
pub mod activity;
pub mod allowance_form;
pub mod attendance;
pub mod class_form;
pub mod class_list;
pub mod company_review_form;
pub mod dashboard;
pub mod dashboard_query;
pub mod evaluation;
pub mod evaluation_form;
pub mod ids;
pub mod interim_form;
pub mod interim_review;
pub mod logbook;
pub mod notify;
pub mod outbox;
pub mod passkey;
pub mod people;
pub mod placement;
pub mod placement_form;
pub mod push;
pub mod referential;
pub mod setup;
pub mod staff_form;
pub mod text;

pub use activity::{ActivitySheet, SheetStatus, TutorComment};
pub use evaluation::{
    CompanyReview, CompanyReviewStatus, Complexity, Context, CriterionResult, CriterionScore,
    Evaluation,
};
pub use ids::*;
pub use interim_review::{
    CompetencyPositioning, Grade, InterimReview, Mastery, Positioning, Publication, Target,
};
pub use logbook::{Hours, LogbookEntry};
pub use people::{
    Class, Company, Coordinator, CycleYear, PersonName, School, Student, Subject, Teacher, Tutor,
};
pub use placement::{Placement, PlacementPhase};
pub use referential::{Block, Competency, Criterion, Referential};

/// Errors of one submitted form: each names the field it belongs to and says, in
/// French, what to change. Empty means the form is valid.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    /// Records a French message for `field`.
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// The first message for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// True when no field has an error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
