//! Evaluations, company reviews and interim reviews (issue 5). Keys:
//! `evaluation/<student><id>`, `company-review/<placement>`,
//! `interim-review/<student><id>`: a student's dashboard reads two prefixes and one key
//! per placement.

use super::{Result, Store, keys};
use crate::domain::*;

fn evaluation_key(student: StudentId, id: EvaluationId) -> Vec<u8> {
    keys::key(&[keys::EVALUATION, student.as_bytes(), id.as_bytes()])
}

fn review_key(placement: PlacementId) -> Vec<u8> {
    keys::key(&[keys::COMPANY_REVIEW, placement.as_bytes()])
}

fn interim_key(student: StudentId, id: InterimReviewId) -> Vec<u8> {
    keys::key(&[keys::INTERIM_REVIEW, student.as_bytes(), id.as_bytes()])
}

impl Store {
    /// A student's school evaluations, in no particular order (the dashboard orders
    /// them, see [`crate::domain::dashboard::columns`]).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn evaluations_of_student(&self, student: StudentId) -> Result<Vec<Evaluation>> {
        self.scan(&keys::key(&[keys::EVALUATION, student.as_bytes()]))
    }

    /// One school evaluation of a student.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn evaluation(&self, student: StudentId, id: EvaluationId) -> Result<Option<Evaluation>> {
        self.get(&evaluation_key(student, id))
    }

    /// Stores a new evaluation unless one with its id exists (the id is made by the
    /// form: a double submission stores one). True when stored.
    ///
    /// # Errors
    /// sled failure.
    pub async fn insert_evaluation(&self, e: &Evaluation) -> Result<bool> {
        self.insert_new(evaluation_key(e.student, e.id), e).await
    }

    /// Replaces an evaluation with `update(current)` in one transaction (`None` leaves
    /// it unchanged). Returns the stored evaluation and whether it changed; `None` when
    /// it does not exist.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn update_evaluation(
        &self,
        student: StudentId,
        id: EvaluationId,
        f: impl Fn(Evaluation) -> Option<Evaluation>,
    ) -> Result<Option<(Evaluation, bool)>> {
        self.update_record(evaluation_key(student, id), f).await
    }

    /// Deletes an evaluation; true when it existed.
    ///
    /// # Errors
    /// sled failure.
    pub async fn delete_evaluation(&self, student: StudentId, id: EvaluationId) -> Result<bool> {
        let key = evaluation_key(student, id);
        self.write(|tx| {
            let existed = tx.get_raw(&key)?.is_some();
            tx.remove(&key)?;
            Ok(existed)
        })
        .await
    }

    /// The company review of a placement, if the referent has prepared it.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn company_review(&self, placement: PlacementId) -> Result<Option<CompanyReview>> {
        self.get(&review_key(placement))
    }

    /// The company reviews of all of a student's placements (latest placement first).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn company_reviews_of_student(&self, student: StudentId) -> Result<Vec<CompanyReview>> {
        let mut out = Vec::new();
        for p in self.placements_of_student(student)? {
            if let Some(r) = self.company_review(p.id)? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Stores a placement's company review unless it has one. True when stored.
    ///
    /// # Errors
    /// sled failure.
    pub async fn insert_company_review(&self, r: &CompanyReview) -> Result<bool> {
        self.insert_new(review_key(r.placement), r).await
    }

    /// Replaces a placement's company review with `update(current)` in one transaction
    /// (`None` leaves it unchanged: the closure refuses, for example, a finalised one).
    /// Returns the stored review and whether it changed; `None` when there is none.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn update_company_review(
        &self,
        placement: PlacementId,
        f: impl Fn(CompanyReview) -> Option<CompanyReview>,
    ) -> Result<Option<(CompanyReview, bool)>> {
        self.update_record(review_key(placement), f).await
    }

    /// A student's interim reviews, drafts included, by date then creation time.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn interim_reviews(&self, student: StudentId) -> Result<Vec<InterimReview>> {
        let mut all: Vec<InterimReview> =
            self.scan(&keys::key(&[keys::INTERIM_REVIEW, student.as_bytes()]))?;
        all.sort_by(|a, b| a.date.cmp(&b.date).then(a.created_at.cmp(&b.created_at)));
        Ok(all)
    }

    /// One interim review of a student.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn interim_review(
        &self,
        student: StudentId,
        id: InterimReviewId,
    ) -> Result<Option<InterimReview>> {
        self.get(&interim_key(student, id))
    }

    /// Stores a new interim review unless one with its id exists. True when stored.
    ///
    /// # Errors
    /// sled failure.
    pub async fn insert_interim_review(&self, r: &InterimReview) -> Result<bool> {
        self.insert_new(interim_key(r.student, r.id), r).await
    }

    /// Replaces an interim review with `update(current)` in one transaction. The
    /// closure must return `None` for a published review (read-only); this method
    /// also refuses to change one, whatever the closure says.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn update_interim_review(
        &self,
        student: StudentId,
        id: InterimReviewId,
        f: impl Fn(InterimReview) -> Option<InterimReview>,
    ) -> Result<Option<(InterimReview, bool)>> {
        self.update_record(interim_key(student, id), |r: InterimReview| {
            if r.published.is_some() { None } else { f(r) }
        })
        .await
    }

    /// Deletes a draft interim review; a published one is kept (archived). True when
    /// a draft was deleted.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn delete_draft_interim_review(
        &self,
        student: StudentId,
        id: InterimReviewId,
    ) -> Result<bool> {
        let key = interim_key(student, id);
        self.write(|tx| match tx.get::<InterimReview>(&key)? {
            Some(r) if r.published.is_none() => {
                tx.remove(&key)?;
                Ok(true)
            }
            _ => Ok(false),
        })
        .await
    }
}
