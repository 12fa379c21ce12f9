//! Accounts of students, teachers and coordinators: deactivation (issue 3, "Deactivating
//! an account ends its sessions at once").

use super::{Result, Store, keys};
use crate::domain::access::AccessKind;
use crate::domain::{Coordinator, Student, Subject, Teacher};

impl Store {
    /// Marks a student, teacher or coordinator active or inactive; deactivating also
    /// deletes, in the same transaction, every session of the person and their sign-in
    /// link and invitation (pages already refuse inactive people on their next request;
    /// a reactivated person needs a new invitation). Returns false when the person
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
            if changed && !active {
                for session in &sessions {
                    Self::remove_session(tx, subject, session)?;
                }
                // Links and invitations given before die too: reactivating must not
                // bring an old link back to life.
                for kind in [AccessKind::SignIn, AccessKind::Invitation] {
                    let of = keys::key(&[keys::TOKEN_OF, &keys::subject(subject), &[kind.tag()]]);
                    if let Some(hash) = tx.get_raw(&of)? {
                        tx.remove(&keys::key(&[keys::TOKEN, &hash]))?;
                        tx.remove(&of)?;
                    }
                }
            }
            Ok(changed)
        })
        .await
    }
}
