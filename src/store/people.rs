//! Accounts of students, teachers and coordinators: deactivation (issue 3, "Deactivating
//! an account ends its sessions at once").

use super::{Result, Store, keys};
use crate::domain::{Coordinator, Student, Subject, Teacher};

impl Store {
    /// Marks a student, teacher or coordinator active or inactive; deactivating also
    /// deletes every session of the person in the same transaction (and pages already
    /// refuse inactive people on their next request). Returns false when the person
    /// does not exist or is a tutor (tutors have a link to lock instead).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn set_person_active(&self, subject: &Subject, active: bool) -> Result<bool> {
        let sessions = if active {
            Vec::new()
        } else {
            self.session_hashes_of(subject)?
        };
        self.write(|tx| {
            let changed = match subject {
                Subject::Student(id) => {
                    let key = keys::key(&[keys::STUDENT, id.as_bytes()]);
                    match tx.get::<Student>(&key)? {
                        Some(mut p) => {
                            p.active = active;
                            tx.put(&key, &p)?;
                            true
                        }
                        None => false,
                    }
                }
                Subject::Teacher(id) => {
                    let key = keys::key(&[keys::TEACHER, id.as_bytes()]);
                    match tx.get::<Teacher>(&key)? {
                        Some(mut p) => {
                            p.active = active;
                            tx.put(&key, &p)?;
                            true
                        }
                        None => false,
                    }
                }
                Subject::Coordinator(id) => {
                    let key = keys::key(&[keys::COORDINATOR, id.as_bytes()]);
                    match tx.get::<Coordinator>(&key)? {
                        Some(mut p) => {
                            p.active = active;
                            tx.put(&key, &p)?;
                            true
                        }
                        None => false,
                    }
                }
                Subject::Tutor(_) => false,
            };
            if changed {
                for session in &sessions {
                    Self::remove_session(tx, subject, session)?;
                }
            }
            Ok(changed)
        })
        .await
    }
}
