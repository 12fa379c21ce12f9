//! Object-level checks: may this person see this placement, this sheet?
//!
//! Every answer that is "no" is [`Error::NotFound`], never 403, so an id typed into a
//! URL tells nothing about whether the object exists (DESIGN.md).

use crate::domain::{
    ActivitySheet, Placement, PlacementId, SheetStatus, Student, StudentId, Subject, TeacherId,
};
use crate::error::{Error, Result};
use crate::store::Store;

/// The placement `id` if `who` may see it: its student, its tutor, its referent, or a
/// coordinator (an instance serves one school).
///
/// # Errors
/// [`Error::NotFound`] when it does not exist or `who` may not see it.
pub fn visible_placement(store: &Store, who: &Subject, id: PlacementId) -> Result<Placement> {
    let p = store.placement(id)?.ok_or(Error::NotFound)?;
    let allowed = match who {
        Subject::Student(s) => p.student == *s,
        Subject::Tutor(t) => p.tutor == *t,
        Subject::Teacher(t) => p.referent == *t,
        Subject::Coordinator(_) => true,
    };
    if allowed { Ok(p) } else { Err(Error::NotFound) }
}

/// True when `who` may see `sheet` of a placement they may see: drafts belong to the
/// student alone until submitted.
pub fn may_see_sheet(who: &Subject, sheet: &ActivitySheet) -> bool {
    matches!(who, Subject::Student(_)) || sheet.status != SheetStatus::Draft
}

/// The placement `id` if `who` is its student (who alone writes its logbook and
/// sheets).
///
/// # Errors
/// [`Error::NotFound`] otherwise.
pub fn own_placement(store: &Store, who: &Subject, id: PlacementId) -> Result<Placement> {
    match who {
        Subject::Student(_) => visible_placement(store, who, id),
        _ => Err(Error::NotFound),
    }
}

/// Passes only for a coordinator (who alone manages classes, staff and invitations).
///
/// # Errors
/// [`Error::NotFound`] for anyone else.
pub fn coordinator_only(who: &Subject) -> Result<()> {
    match who {
        Subject::Coordinator(_) => Ok(()),
        _ => Err(Error::NotFound),
    }
}

/// The placement `id` if `who` is its tutor (who alone comments its sheets).
///
/// # Errors
/// [`Error::NotFound`] otherwise.
pub fn tutored_placement(store: &Store, who: &Subject, id: PlacementId) -> Result<Placement> {
    match who {
        Subject::Tutor(_) => visible_placement(store, who, id),
        _ => Err(Error::NotFound),
    }
}

/// The placement `id` if `who` manages it: its referent teacher or a coordinator (who
/// issue, lock and regenerate the tutor's link, spec "Accès à l'application par le
/// tuteur": "l'enseignant référent … pourra verrouiller votre compte … ou vous attribuer
/// un nouvel accès"; "régénéré … par l'équipe pédagogique ou le DDFPT").
///
/// # Errors
/// [`Error::NotFound`] otherwise.
pub fn managed_placement(store: &Store, who: &Subject, id: PlacementId) -> Result<Placement> {
    match who {
        Subject::Teacher(_) | Subject::Coordinator(_) => visible_placement(store, who, id),
        _ => Err(Error::NotFound),
    }
}

/// The student `id` if `who` may see their competency record (tableau de bord, bilans
/// intermédiaires): the student, a tutor or a referent teacher of one of their
/// placements, or a coordinator. Issue 5: "tutor, student and referent see the same
/// dashboard for the same student and nobody else's".
///
/// # Errors
/// [`Error::NotFound`] when the student does not exist or `who` may not see them.
pub fn visible_student(store: &Store, who: &Subject, id: StudentId) -> Result<Student> {
    let student = store.student(id)?.ok_or(Error::NotFound)?;
    let allowed = match who {
        Subject::Student(s) => *s == id,
        Subject::Coordinator(_) => true,
        Subject::Tutor(t) => store
            .placements_of_student(id)?
            .iter()
            .any(|p| p.tutor == *t),
        Subject::Teacher(t) => store
            .placements_of_student(id)?
            .iter()
            .any(|p| p.referent == *t),
    };
    if allowed {
        Ok(student)
    } else {
        Err(Error::NotFound)
    }
}

/// The student `id` and the teacher `who` is, if `who` is a referent teacher of one of
/// the student's placements: the people who write evaluations and interim reviews
/// (DESIGN.md: the referent writes "evaluations, interim reviews").
///
/// # Errors
/// [`Error::NotFound`] for anyone else (tutors, students, coordinators included).
pub fn evaluating_teacher(
    store: &Store,
    who: &Subject,
    id: StudentId,
) -> Result<(Student, TeacherId)> {
    match who {
        Subject::Teacher(t) => Ok((visible_student(store, who, id)?, *t)),
        _ => Err(Error::NotFound),
    }
}
