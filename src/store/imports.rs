//! What the coordinator's imports write (issue 3, items 3 and 4): a class list's new
//! and changed students, and a referential file. Each import is one transaction.

use super::{Result, Store, keys};
use crate::domain::class_list::StudentUpdate;
use crate::domain::{Referential, Student};

impl Store {
    /// Every student of the school, active or not, in key order (the class-list import
    /// compares a file with all of them).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn all_students(&self) -> Result<Vec<Student>> {
        self.scan(keys::STUDENT)
    }

    /// Applies a class-list import in one transaction: each update's `after` replaces
    /// its student, and each of `created` is stored, with the `student-by-class/`
    /// index kept right (a student whose class changes leaves the old class's index).
    ///
    /// Returns false, writing nothing, when a student to update is no longer stored
    /// exactly as its `before` (someone changed it since the preview) or a student to
    /// create already exists: the caller shows a fresh preview instead.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn apply_class_import(
        &self,
        updates: &[StudentUpdate],
        created: &[Student],
    ) -> Result<bool> {
        let student_key = |s: &Student| keys::key(&[keys::STUDENT, s.id.as_bytes()]);
        let index_key =
            |s: &Student| keys::key(&[keys::STUDENT_BY_CLASS, s.class.as_bytes(), s.id.as_bytes()]);
        self.write(|tx| {
            // Every check before the first write: a transaction that returns Ok commits.
            for u in updates {
                if tx.get::<Student>(&student_key(&u.before))?.as_ref() != Some(&u.before) {
                    return Ok(false);
                }
            }
            for s in created {
                if tx.get_raw(&student_key(s))?.is_some() {
                    return Ok(false);
                }
            }
            for u in updates {
                if u.before.class != u.after.class {
                    tx.remove(&index_key(&u.before))?;
                }
                tx.put(&student_key(&u.after), &u.after)?;
                tx.put_raw(&index_key(&u.after), &[])?;
            }
            for s in created {
                tx.put(&student_key(s), s)?;
                tx.put_raw(&index_key(s), &[])?;
            }
            Ok(true)
        })
        .await
    }

    /// Stores an imported referential under its code. When a referential with that
    /// code exists it is replaced only if `replace` is true (evaluations and activity
    /// sheets refer to its codes, so a silent overwrite is never done). Returns
    /// whether it was stored; the check and the write are one transaction.
    ///
    /// # Errors
    /// sled failure.
    pub async fn import_referential(
        &self,
        referential: &Referential,
        replace: bool,
    ) -> Result<bool> {
        let key = keys::key(&[keys::REFERENTIAL, referential.code.as_bytes()]);
        self.write(|tx| {
            if !replace && tx.get_raw(&key)?.is_some() {
                return Ok(false);
            }
            tx.put(&key, referential)?;
            Ok(true)
        })
        .await
    }
}
