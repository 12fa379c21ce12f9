//! Declaring and editing placements (issue 3, item 5): the placement, its three
//! indexes, and a new or corrected company and tutor, written together.

use super::{Result, Store, Tx, TxResult, keys};
use crate::domain::placement_form::PlacementChange;
use crate::domain::{Company, Placement};

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
    /// the people no longer concerned stop seeing it at once. Returns false, writing
    /// nothing, when no placement has that id.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn update_placement(&self, change: &PlacementChange) -> Result<bool> {
        let key = keys::key(&[keys::PLACEMENT, change.placement.id.as_bytes()]);
        self.write(|tx| {
            let Some(old) = tx.get::<Placement>(&key)? else {
                return Ok(false);
            };
            let new_keys = index_keys(&change.placement);
            for k in index_keys(&old) {
                if !new_keys.contains(&k) {
                    tx.remove(&k)?;
                }
            }
            put_change(tx, change)?;
            Ok(true)
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
