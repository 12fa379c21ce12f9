//! `POST /api/stages/:placement/bilan-entreprise` (issue 5): the company review's joint
//! visit form, sent by the offline outbox (issue 4) once the network is back.
//!
//! Same rules as `/api/stages/:id/journal` ([`super::api`]): `X-Livret-Sync: 1` and a
//! JSON content type instead of a form token, JSON answers for everything, errors
//! included. The body's `revision` UUID is the idempotency key: a change sent again is
//! applied once and answered 200 each time. Same rules and French messages as the HTML
//! visit form, through [`company_review::submit`] and
//! [`crate::domain::company_review_form::validate_review`].

use super::State;
use super::api::{ApiError, conflict, invalid, json, open_request, text};
use super::extract::Viewer;
use super::pages::company_review::{self, Submitted};
use super::pages::parse_id;
use crate::domain::company_review_form::{
    Intent, ReviewInput, same_content, validate_review, validate_submission,
};
use crate::domain::{CompanyReview, CompanyReviewStatus, FieldErrors};
use crate::error::Error;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Message of the 409 answer: the review was finalised with other results.
pub const FINALISED_MESSAGE: &str = "Ce bilan entreprise a déjà été finalisé avec d'autres résultats : il ne peut plus être modifié.";

/// Body of the request (unknown fields are ignored).
#[derive(Debug, Deserialize)]
pub struct SyncReviewRequest {
    /// UUID made by the client for this change: the idempotency key.
    #[serde(default, deserialize_with = "text")]
    pub revision: String,
    /// Result slug (`aa`, `ah`, `pa`, `na`, `ne`, `ab`) by criterion code.
    #[serde(default)]
    pub results: BTreeMap<String, String>,
    /// The overall appreciation.
    #[serde(default, deserialize_with = "text")]
    pub comment: String,
    /// True to finalise ("Finaliser le bilan"); false only saves the results.
    #[serde(default)]
    pub finalise: bool,
    /// The joint confirmation box ("Nous avons établi ce bilan ensemble"), required to
    /// finalise.
    #[serde(default)]
    pub together: bool,
}

/// A company review as the API returns it.
#[derive(Debug, Serialize)]
pub struct ReviewJson {
    /// Its id (its dashboard column).
    pub id: String,
    /// `open`, `filled` (by the tutor, ready for the visit) or `finalised`.
    pub status: &'static str,
    /// Criterion codes to assess, in referential order.
    pub criteria: Vec<String>,
    /// Result slug by criterion code.
    pub results: BTreeMap<String, String>,
    /// The overall appreciation.
    pub comment: String,
    /// Last change, RFC 3339.
    pub updated_at: String,
    /// When finalised, RFC 3339, or `null`.
    pub finalised_at: Option<String>,
}

impl From<&CompanyReview> for ReviewJson {
    fn from(r: &CompanyReview) -> Self {
        let (status, finalised_at) = match &r.status {
            CompanyReviewStatus::Open => ("open", None),
            CompanyReviewStatus::FilledByTutor { .. } => ("filled", None),
            CompanyReviewStatus::Finalised { at, .. } => ("finalised", Some(at.to_string())),
        };
        ReviewJson {
            id: r.id.to_string(),
            status,
            criteria: r.criteria.clone(),
            results: r
                .results
                .iter()
                .map(|s| (s.criterion.clone(), s.result.slug().to_string()))
                .collect(),
            comment: r.comment.clone(),
            updated_at: r.updated_at.to_string(),
            finalised_at,
        }
    }
}

#[derive(Serialize)]
struct ReviewAnswer {
    review: ReviewJson,
}

fn answer(r: &CompanyReview) -> Response {
    json(StatusCode::OK, &ReviewAnswer { review: r.into() })
}

/// `POST /api/stages/:placement/bilan-entreprise`: the joint visit form, from the
/// tutor's or the referent's session. Answers `200 {"review": …}` when applied, and
/// again for a revision already applied or a finalised review sent again with the same
/// content; `409 {"error": "conflict"}` when the review is finalised with another
/// content; `422 {"message", "errors"}` with the form's French messages (fields
/// `revision`, `results`, `comment`, `together`, and `finalise` before the placement's
/// first day: a review is finalised from then on).
///
/// # Errors
/// 403 without `X-Livret-Sync: 1` / JSON content type, or cross-site; 401 without a
/// live session; 404 unless the person is the placement's tutor or referent and the
/// review is prepared; 400 / 413 for an unreadable or too large body; 500 on store
/// failure. All as JSON.
#[handler]
pub async fn review_sync(
    state: Data<&State>,
    req: &Request,
    Path(placement): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let (viewer, sent): (Viewer, SyncReviewRequest) = open_request(&state, req, body).await?;
    let p = company_review::visit_placement(&state.store, &viewer.subject, parse_id(&placement)?)?;
    let review = state.store.company_review(p.id)?.ok_or(Error::NotFound)?;
    let Ok(revision) = sent.revision.trim().parse::<Uuid>() else {
        let mut errors = FieldErrors::default();
        errors.add(
            "revision",
            "Identifiant manquant ou invalide : l'application doit envoyer un UUID.",
        );
        return Ok(invalid(&errors));
    };
    if review.revisions.contains(&revision) {
        return Ok(answer(&review));
    }
    let input = ReviewInput {
        results: sent.results.into_iter().collect(),
        comment: sent.comment,
    };
    if review.is_finalised() {
        // The same content again (the HTML form went through, then the outbox): 200.
        return Ok(match validate_review(&review, &input, Intent::Save) {
            Ok(content) if sent.finalise && same_content(&review, &content) => answer(&review),
            _ => conflict(FINALISED_MESSAGE),
        });
    }
    let intent = if sent.finalise {
        Intent::Finalise {
            together: sent.together,
        }
    } else {
        Intent::Save
    };
    let today = state.clock.today();
    let content = match validate_submission(&review, &input, intent, p.start, today) {
        Ok(c) => c,
        Err(errors) => return Ok(invalid(&errors)),
    };
    Ok(
        match company_review::submit(&state, &p, revision, &content, intent).await? {
            Submitted::Applied(r) | Submitted::Replayed(r) => answer(&r),
            Submitted::Locked(_) => conflict(FINALISED_MESSAGE),
        },
    )
}
