//! Attendance and allowance rates (issue 8). Keys: `attendance/<placement>`,
//! `allowance-rate/<diploma>\0<year tag>`.

use super::codec::Record;
use super::{Result, Store, keys};
use crate::domain::attendance::{
    AllowanceRate, Attendance, AttendanceConfirmation, CheckedAttendance,
};
use crate::domain::people::CycleYear;
use crate::domain::{PlacementId, Subject, Tutor};
use jiff::Timestamp;

impl Record for Attendance {
    const KIND: &'static str = "attendance";
}

impl Record for AllowanceRate {
    const KIND: &'static str = "allowance-rate";
}

fn attendance_key(p: PlacementId) -> Vec<u8> {
    keys::key(&[keys::ATTENDANCE, p.as_bytes()])
}

fn rate_key(diploma: &str, year: CycleYear) -> Vec<u8> {
    keys::key(&[keys::ALLOWANCE_RATE, diploma.as_bytes(), &[0, year.tag()]])
}

/// What [`Store::save_attendance`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SavedAttendance {
    /// Stored as a new revision (the tutor's confirmation, if any, no longer holds).
    Saved(Attendance),
    /// The stored attendance already holds exactly this (a double submission, or a
    /// save with no change): nothing written, a confirmation still holds.
    Unchanged(Attendance),
    /// Someone saved another revision since the form was made: nothing written; the
    /// stored one is returned.
    Stale(Attendance),
}

/// What [`Store::confirm_attendance`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmedAttendance {
    /// Confirmed now.
    Confirmed(Attendance),
    /// This revision was already confirmed: nothing written.
    AlreadyConfirmed(Attendance),
    /// The attendance changed since the page was shown: nothing written.
    Stale(Attendance),
    /// Nothing is recorded yet.
    NothingRecorded,
    /// Not yet: the placement has not ended, or past days are blank
    /// ([`crate::domain::attendance::confirmation_refusal`]'s French reason).
    Refused(String),
}

impl Store {
    /// The attendance of placement `p`, if recorded.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn attendance(&self, p: PlacementId) -> Result<Option<Attendance>> {
        self.get(&attendance_key(p))
    }

    /// Records `checked` as placement `p`'s attendance, made by `by` at `now`, if the
    /// stored revision is still `based_on` (0: nothing recorded), in one transaction.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn save_attendance(
        &self,
        p: PlacementId,
        based_on: u32,
        checked: &CheckedAttendance,
        by: Subject,
        now: Timestamp,
    ) -> Result<SavedAttendance> {
        let key = attendance_key(p);
        self.write(|tx| {
            let current: Option<Attendance> = tx.get(&key)?;
            if let Some(c) = &current
                && c.days == checked.days
                && c.gratification_cents == checked.gratification_cents
            {
                return Ok(SavedAttendance::Unchanged(c.clone()));
            }
            let revision = current.as_ref().map_or(0, |c| c.revision);
            if let Some(c) = &current
                && revision != based_on
            {
                return Ok(SavedAttendance::Stale(c.clone()));
            }
            let next = Attendance {
                placement: p,
                days: checked.days.clone(),
                gratification_cents: checked.gratification_cents,
                revision: revision + 1,
                updated_at: now,
                updated_by: by,
                confirmation: current.and_then(|c| c.confirmation),
            };
            tx.put(&key, &next)?;
            Ok(SavedAttendance::Saved(next))
        })
        .await
    }

    /// Records `tutor`'s confirmation of revision `revision` of placement `p`'s
    /// attendance at `now`, `today` being the school's date (the caller checked that
    /// `tutor` is the placement's tutor). Refused before the last day and while past
    /// days are blank.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn confirm_attendance(
        &self,
        p: &crate::domain::Placement,
        tutor: &Tutor,
        revision: u32,
        now: Timestamp,
        today: jiff::civil::Date,
    ) -> Result<ConfirmedAttendance> {
        let key = attendance_key(p.id);
        self.write(|tx| {
            let Some(mut a) = tx.get::<Attendance>(&key)? else {
                return Ok(ConfirmedAttendance::NothingRecorded);
            };
            if a.revision != revision {
                return Ok(ConfirmedAttendance::Stale(a));
            }
            if a.confirmed(p).is_some_and(|c| c.tutor == tutor.id) {
                return Ok(ConfirmedAttendance::AlreadyConfirmed(a));
            }
            if let Some(why) = crate::domain::attendance::confirmation_refusal(&a, p, today) {
                return Ok(ConfirmedAttendance::Refused(why));
            }
            a.confirmation = Some(AttendanceConfirmation {
                tutor: tutor.id,
                name: tutor.name.clone(),
                job_title: tutor.job_title.clone(),
                at: now,
                revision,
                start: p.start,
                end: p.end,
            });
            tx.put(&key, &a)?;
            Ok(ConfirmedAttendance::Confirmed(a))
        })
        .await
    }

    /// The students of `class` (in name order) with each of their placements whose
    /// last day is between `from` and `to` ([`crate::domain::attendance::in_period`]),
    /// earliest first: the allowance's and the certificates' list for a class and a
    /// period.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn placements_of_class_in_period(
        &self,
        class: crate::domain::ClassId,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<Vec<(crate::domain::Student, crate::domain::Placement)>> {
        let mut out = Vec::new();
        for student in self.students_of_class(class)? {
            let mut placements: Vec<_> = self
                .placements_of_student(student.id)?
                .into_iter()
                .filter(|p| crate::domain::attendance::in_period(p, from, to))
                .collect();
            placements.sort_by_key(|p| p.start);
            for p in placements {
                out.push((student.clone(), p));
            }
        }
        Ok(out)
    }

    /// Every daily allowance rate the coordinator set (diplomas and years not listed
    /// use the decree's default, see
    /// [`crate::domain::attendance::default_rate_cents`]).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn allowance_rates(&self) -> Result<Vec<AllowanceRate>> {
        self.scan(keys::ALLOWANCE_RATE)
    }

    /// Sets the daily rate of `rate.diploma` and `rate.year`, replacing any earlier one.
    ///
    /// # Errors
    /// sled failure.
    pub async fn put_allowance_rate(&self, rate: &AllowanceRate) -> Result<()> {
        let key = rate_key(&rate.diploma, rate.year);
        self.write(|tx| tx.put(&key, rate)).await
    }

    /// Removes the rate of `diploma` and `year` (back to the decree's default); true
    /// when one was set.
    ///
    /// # Errors
    /// sled failure.
    pub async fn remove_allowance_rate(&self, diploma: &str, year: CycleYear) -> Result<bool> {
        let key = rate_key(diploma, year);
        self.write(|tx| {
            let existed = tx.get_raw(&key)?.is_some();
            tx.remove(&key)?;
            Ok(existed)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::attendance::{AttendanceDay, DayKind};
    use crate::domain::{CompanyId, Hours, PersonName, TutorId};
    use jiff::civil::date;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), 1 << 20).unwrap();
        (dir, s)
    }

    fn checked(quarters: u8) -> CheckedAttendance {
        CheckedAttendance {
            days: vec![AttendanceDay {
                date: date(2026, 5, 4),
                kind: DayKind::Present,
                presence: Hours::from_quarters(quarters).unwrap(),
                reason: String::new(),
                justified: false,
            }],
            gratification_cents: None,
        }
    }

    #[tokio::test]
    async fn revisions_refuse_stale_saves_and_void_confirmations() {
        let (_d, s) = store();
        let tutor = Tutor {
            id: TutorId::new(),
            company: CompanyId::new(),
            name: PersonName::new("Jean", "Dupont"),
            job_title: "Chef d'équipe".into(),
            email: None,
            phone: None,
        };
        // A one-day placement, 4 May 2026.
        let placement = crate::domain::Placement {
            id: PlacementId::new(),
            student: crate::domain::StudentId::new(),
            company: tutor.company,
            tutor: tutor.id,
            referent: crate::domain::TeacherId::new(),
            start: date(2026, 5, 4),
            end: date(2026, 5, 4),
            objectives: vec![],
        };
        let p = placement.id;
        let by = Subject::Tutor(tutor.id);
        let now = Timestamp::UNIX_EPOCH;
        let last_day = date(2026, 5, 4);
        assert_eq!(
            s.confirm_attendance(&placement, &tutor, 0, now, last_day)
                .await
                .unwrap(),
            ConfirmedAttendance::NothingRecorded
        );
        let SavedAttendance::Saved(a) = s
            .save_attendance(p, 0, &checked(28), by, now)
            .await
            .unwrap()
        else {
            panic!("first save")
        };
        assert_eq!(a.revision, 1);
        // The same content again: nothing written.
        assert!(matches!(
            s.save_attendance(p, 0, &checked(28), by, now)
                .await
                .unwrap(),
            SavedAttendance::Unchanged(_)
        ));
        // Another content from a form made before the first save: refused.
        assert!(matches!(
            s.save_attendance(p, 0, &checked(32), by, now)
                .await
                .unwrap(),
            SavedAttendance::Stale(_)
        ));
        // Not before the last day.
        assert!(matches!(
            s.confirm_attendance(&placement, &tutor, 1, now, date(2026, 5, 3))
                .await
                .unwrap(),
            ConfirmedAttendance::Refused(_)
        ));
        let ConfirmedAttendance::Confirmed(c) = s
            .confirm_attendance(&placement, &tutor, 1, now, last_day)
            .await
            .unwrap()
        else {
            panic!("confirm")
        };
        assert!(c.confirmed(&placement).is_some());
        // New dates void it.
        let mut moved = placement.clone();
        moved.end = date(2026, 5, 5);
        assert!(c.confirmed(&moved).is_none());
        assert!(matches!(
            s.confirm_attendance(&placement, &tutor, 1, now, last_day)
                .await
                .unwrap(),
            ConfirmedAttendance::AlreadyConfirmed(_)
        ));
        let SavedAttendance::Saved(b) = s
            .save_attendance(p, 1, &checked(32), by, now)
            .await
            .unwrap()
        else {
            panic!("second save")
        };
        assert_eq!(b.revision, 2);
        assert!(b.confirmed(&placement).is_none());
        assert!(b.confirmation.is_some());
        assert!(matches!(
            s.confirm_attendance(&placement, &tutor, 1, now, last_day)
                .await
                .unwrap(),
            ConfirmedAttendance::Stale(_)
        ));
        assert_eq!(s.attendance(p).unwrap(), Some(b));
    }

    #[tokio::test]
    async fn rates_are_kept_per_diploma_and_year() {
        let (_d, s) = store();
        let rate = |d: &str, y, c| AllowanceRate {
            diploma: d.into(),
            year: y,
            cents_per_day: c,
            updated_at: Timestamp::UNIX_EPOCH,
        };
        s.put_allowance_rate(&rate("melec", CycleYear::Premiere, 1_600))
            .await
            .unwrap();
        s.put_allowance_rate(&rate("melec", CycleYear::Premiere, 1_700))
            .await
            .unwrap();
        s.put_allowance_rate(&rate("mel", CycleYear::Premiere, 900))
            .await
            .unwrap();
        let mut all = s.allowance_rates().unwrap();
        all.sort_by_key(|r| r.cents_per_day);
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].cents_per_day, 1_700);
        assert!(
            s.remove_allowance_rate("melec", CycleYear::Premiere)
                .await
                .unwrap()
        );
        assert!(
            !s.remove_allowance_rate("melec", CycleYear::Premiere)
                .await
                .unwrap()
        );
        assert_eq!(s.allowance_rates().unwrap().len(), 1);
    }
}
