//! Handlers and their pages, one file per page family; one handler per screen action,
//! named `<noun>_<verb>` (STYLE.md habit 2).

pub mod access;
pub mod allowance;
pub mod attendance;
pub mod certificate;
pub mod classes;
pub mod company_review;
pub mod competency;
pub mod coordination;
pub mod dashboard;
pub mod evaluations;
pub mod home;
pub mod imports;
pub mod interim_reviews;
pub mod logbook;
pub mod notifications;
pub mod operations;
pub mod outbox;
pub mod passkeys;
pub mod placement;
pub mod placement_form;
pub mod recovery;
pub mod referent;
pub mod setup;
pub mod sheets;
pub mod shell;
pub mod signin;
pub mod staff;
pub mod tutor;
pub mod tutor_access;
pub mod tutor_passkey;

use crate::domain::{Class, Company, Placement, PlacementId, Student, Teacher, Tutor};
use crate::error::{Error, Result};
use crate::store::Store;
use poem::Response;
use poem::http::{StatusCode, header};

/// A placement with the people and company around it, as pages show it.
pub struct PlacementView {
    /// The placement.
    pub placement: Placement,
    /// Its student.
    pub student: Student,
    /// The student's class.
    pub class: Class,
    /// The host company.
    pub company: Company,
    /// The tutor.
    pub tutor: Tutor,
    /// The referent teacher.
    pub referent: Teacher,
}

impl PlacementView {
    /// Loads everything around `placement`.
    ///
    /// # Errors
    /// [`Error::Internal`] when a record it points to is missing (a broken store).
    pub fn load(store: &Store, placement: Placement) -> Result<PlacementView> {
        let missing = |what: &str| Error::Internal(format!("{what} de la PFMP absent"));
        let student = store
            .student(placement.student)?
            .ok_or_else(|| missing("élève"))?;
        let class = store
            .class(student.class)?
            .ok_or_else(|| missing("classe"))?;
        let company = store
            .company(placement.company)?
            .ok_or_else(|| missing("entreprise"))?;
        let tutor = store
            .tutor(placement.tutor)?
            .ok_or_else(|| missing("tuteur"))?;
        let referent = store
            .teacher(placement.referent)?
            .ok_or_else(|| missing("référent"))?;
        Ok(PlacementView {
            placement,
            student,
            class,
            company,
            tutor,
            referent,
        })
    }
}

/// Parses an id from a URL segment; a malformed one is simply "not found".
///
/// # Errors
/// [`Error::NotFound`].
pub fn parse_id<T: std::str::FromStr>(s: &str) -> Result<T> {
    s.parse().map_err(|_| Error::NotFound)
}

/// `303 See Other` to `to` (POST-redirect-GET).
pub fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}

/// URL of a placement's page.
pub fn placement_url(id: PlacementId) -> String {
    format!("/stages/{id}")
}
