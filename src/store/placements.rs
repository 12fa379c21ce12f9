//! Declaring and editing placements (issue 3, item 5): the placement, its three
//! indexes, and a new or corrected company and tutor, written together (with, when
//! the tutor changes, the removal of the previous tutor's waiting outbox messages).

use super::{Result, Store, Tx, TxResult, keys, outbox};
use crate::domain::placement_form::PlacementChange;
use crate::domain::{Company, OutboxId, Placement, TutorId};

/// The three index keys of a placement (`placement-by-student/`, `-by-tutor/`,
/// `-by-referent/`: person id, inverted start date, placement id).
fn index_keys(p: &Placement) -> [Vec<u8>; 3] {
    let start = keys::inverted_date(p.start);
    [
        (keys::PLACEMENT_BY_STUDENT, p.student.as_bytes()),
        (keys::PLACEMENT_BY_TUTOR, p.tutor.as_bytes()),
        (keys::PLACEMENT_BY_REFERENT, p.referent.as_bytes()),
    ]
    .map(|(index, person)| keys::key(&[index, person, &start, p.id.as_bytes()]))
}

fn put_change(tx: &Tx<'_>, change: &PlacementChange) -> TxResult<()> {
    if let Some(c) = &change.company {
        tx.put(&keys::key(&[keys::COMPANY, c.id.as_bytes()]), c)?;
    }
    if let Some(t) = &change.tutor {
        tx.put(&keys::key(&[keys::TUTOR, t.id.as_bytes()]), t)?;
    }
    let p = &change.placement;
    tx.put(&keys::key(&[keys::PLACEMENT, p.id.as_bytes()]), p)?;
    for k in index_keys(p) {
        tx.put_raw(&k, &[])?;
    }
    Ok(())
}

impl Store {
    /// Stores a new placement with, when the change carries them, its new company and
    /// tutor, in one transaction. Returns false, writing nothing, when a placement with
    /// that id exists already (the id is made by the form: a double submission stores
    /// one placement).
    ///
    /// # Errors
    /// sled failure.
    pub async fn insert_placement(&self, change: &PlacementChange) -> Result<bool> {
        let key = keys::key(&[keys::PLACEMENT, change.placement.id.as_bytes()]);
        self.write(|tx| {
            if tx.get_raw(&key)?.is_some() {
                return Ok(false);
            }
            put_change(tx, change)?;
            Ok(true)
        })
        .await
    }

    /// Replaces the stored placement with `change.placement` (same id) and writes the
    /// company and tutor the change carries (new or corrected), in one transaction. The
    /// old index keys go when the student, tutor, referent or first day changed, so
    /// the people no longer concerned stop seeing it at once.
    ///
    /// When the tutor changed, the same transaction deletes the outbox messages about
    /// this placement addressed to the previous tutor (their letter would hand a link
    /// to someone who no longer follows the student); messages put in the outbox while
    /// this runs are not seen.
    ///
    /// Returns `None`, writing nothing, when no placement has that id; otherwise how
    /// many outbox messages went.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn update_placement(&self, change: &PlacementChange) -> Result<Option<usize>> {
        let id = change.placement.id;
        let key = keys::key(&[keys::PLACEMENT, id.as_bytes()]);
        let waiting: Vec<(OutboxId, Option<TutorId>)> = self
            .outbox()?
            .into_iter()
            .filter(|m| m.placement == Some(id))
            .map(|m| (m.id, m.tutor))
            .collect();
        self.write(|tx| {
            let Some(old) = tx.get::<Placement>(&key)? else {
                return Ok(None);
            };
            let new_keys = index_keys(&change.placement);
            for k in index_keys(&old) {
                if !new_keys.contains(&k) {
                    tx.remove(&k)?;
                }
            }
            let mut superseded = 0;
            if old.tutor != change.placement.tutor {
                for (message, tutor) in &waiting {
                    if *tutor == Some(old.tutor) && outbox::remove_message(tx, *message)? {
                        superseded += 1;
                    }
                }
            }
            put_change(tx, change)?;
            Ok(Some(superseded))
        })
        .await
    }

    /// Every host company, sorted by name (case and accents as stored).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn companies(&self) -> Result<Vec<Company>> {
        let mut all: Vec<Company> = self.scan(keys::COMPANY)?;
        all.sort_by_key(|c| (c.name.to_lowercase(), c.city.to_lowercase()));
        Ok(all)
    }

    /// True when the placement has at least one logbook entry or activity sheet
    /// (reads one key of each range at most).
    ///
    /// # Errors
    /// sled failure.
    pub fn placement_has_portfolio(&self, id: crate::domain::PlacementId) -> Result<bool> {
        for prefix in [keys::LOGBOOK, keys::SHEET] {
            if let Some(k) = self
                .data
                .scan_prefix(keys::key(&[prefix, id.as_bytes()]))
                .keys()
                .next()
            {
                k?;
                return Ok(true);
            }
        }
        Ok(false)
    }
}
