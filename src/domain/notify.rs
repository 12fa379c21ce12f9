//! What Livret notifies people about (issue 6), and each person's choice of what they
//! want to hear about.
//!
//! Four kinds of notification, each for some roles:
//!
//! | kind | who receives it | when |
//! |---|---|---|
//! | [`NotificationKind::ToReview`] | the tutor | the student sends an activity sheet or writes logbook entries |
//! | [`NotificationKind::SheetReviewed`] | the student | the tutor comments on (reads) a sheet |
//! | [`NotificationKind::CompanyReviewFilled`] | the referent teacher | the tutor has filled the company review |
//! | [`NotificationKind::PlacementEnding`] | the tutor and the referent | the placement ends soon and its company review is not filled |
//!
//! Everything is on by default; a person turns a kind off on the "Notifications" page
//! ([`NotificationSettings`]). A kind turned off is neither pushed nor put in the
//! tutor's daily e-mail digest.

use super::Subject;
use serde::{Deserialize, Serialize};

/// A kind of notification. The order is the settings page's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NotificationKind {
    /// Activities (sheets sent, logbook entries) wait for the tutor's reading.
    ToReview,
    /// The tutor has read (and maybe commented on) the student's activity sheet.
    SheetReviewed,
    /// The tutor has filled the company review (bilan entreprise): the referent can
    /// prepare the visit.
    CompanyReviewFilled,
    /// The placement ends soon and its company review is not filled yet.
    PlacementEnding,
}

impl NotificationKind {
    /// Every kind, in the settings page's order.
    pub const ALL: [NotificationKind; 4] = [
        NotificationKind::ToReview,
        NotificationKind::SheetReviewed,
        NotificationKind::CompanyReviewFilled,
        NotificationKind::PlacementEnding,
    ];

    /// Stable name, used as the form field (`kind-<slug>`) and in tests: `a-relire`,
    /// `fiche-relue`, `bilan-rempli`, `fin-de-stage`.
    pub fn slug(self) -> &'static str {
        match self {
            NotificationKind::ToReview => "a-relire",
            NotificationKind::SheetReviewed => "fiche-relue",
            NotificationKind::CompanyReviewFilled => "bilan-rempli",
            NotificationKind::PlacementEnding => "fin-de-stage",
        }
    }

    /// The kind of a [`slug`](Self::slug).
    pub fn from_slug(slug: &str) -> Option<NotificationKind> {
        NotificationKind::ALL.into_iter().find(|k| k.slug() == slug)
    }

    /// The settings page's label (French), phrased for the person receiving it.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::ToReview => "Activités de mon stagiaire à relire",
            NotificationKind::SheetReviewed => "Mon tuteur a relu une fiche activité",
            NotificationKind::CompanyReviewFilled => "Bilan entreprise rempli par le tuteur",
            NotificationKind::PlacementEnding => {
                "Fin de stage proche sans bilan entreprise rempli"
            }
        }
    }

    /// True when people of `subject`'s role receive this kind (see the module's
    /// table). Coordinators receive none.
    pub fn applies_to(self, subject: &Subject) -> bool {
        match (self, subject) {
            (NotificationKind::ToReview, Subject::Tutor(_)) => true,
            (NotificationKind::SheetReviewed, Subject::Student(_)) => true,
            (NotificationKind::CompanyReviewFilled, Subject::Teacher(_)) => true,
            (NotificationKind::PlacementEnding, Subject::Tutor(_) | Subject::Teacher(_)) => true,
            _ => false,
        }
    }

    /// The kinds `subject` may receive, in the settings page's order (empty for a
    /// coordinator).
    pub fn for_subject(subject: &Subject) -> Vec<NotificationKind> {
        NotificationKind::ALL
            .into_iter()
            .filter(|k| k.applies_to(subject))
            .collect()
    }
}

/// One person's choices: the kinds they turned off. Absent from the store = every kind
/// on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// The person.
    pub subject: Subject,
    /// Kinds turned off, sorted, without duplicates.
    pub disabled: Vec<NotificationKind>,
}

impl NotificationSettings {
    /// Every kind on.
    pub fn all_on(subject: Subject) -> NotificationSettings {
        NotificationSettings {
            subject,
            disabled: Vec::new(),
        }
    }

    /// The settings with exactly the kinds in `enabled` on, among those `subject` may
    /// receive (kinds of other roles are ignored, so a forged form changes nothing
    /// else).
    pub fn from_enabled(subject: Subject, enabled: &[NotificationKind]) -> NotificationSettings {
        let disabled = NotificationKind::for_subject(&subject)
            .into_iter()
            .filter(|k| !enabled.contains(k))
            .collect();
        NotificationSettings { subject, disabled }
    }

    /// True unless `kind` was turned off (and false for a kind of another role).
    pub fn wants(&self, kind: NotificationKind) -> bool {
        kind.applies_to(&self.subject) && !self.disabled.contains(&kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{StudentId, TeacherId, TutorId};

    #[test]
    fn each_role_gets_its_kinds() {
        let tutor = Subject::Tutor(TutorId::new());
        let student = Subject::Student(StudentId::new());
        let teacher = Subject::Teacher(TeacherId::new());
        assert_eq!(
            NotificationKind::for_subject(&tutor),
            [NotificationKind::ToReview, NotificationKind::PlacementEnding]
        );
        assert_eq!(
            NotificationKind::for_subject(&student),
            [NotificationKind::SheetReviewed]
        );
        assert_eq!(
            NotificationKind::for_subject(&teacher),
            [
                NotificationKind::CompanyReviewFilled,
                NotificationKind::PlacementEnding
            ]
        );
    }

    #[test]
    fn settings_keep_only_the_roles_kinds() {
        let tutor = Subject::Tutor(TutorId::new());
        let s = NotificationSettings::from_enabled(
            tutor,
            &[NotificationKind::PlacementEnding, NotificationKind::SheetReviewed],
        );
        assert_eq!(s.disabled, [NotificationKind::ToReview]);
        assert!(!s.wants(NotificationKind::ToReview));
        assert!(s.wants(NotificationKind::PlacementEnding));
        assert!(!s.wants(NotificationKind::SheetReviewed));
        assert!(NotificationSettings::all_on(tutor).wants(NotificationKind::ToReview));
    }

    #[test]
    fn slugs_round_trip() {
        for k in NotificationKind::ALL {
            assert_eq!(NotificationKind::from_slug(k.slug()), Some(k));
        }
        assert_eq!(NotificationKind::from_slug("autre"), None);
    }
}
