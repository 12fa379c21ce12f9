//! Adding a teacher or a coordinator by hand (issue 3, "People and classes").

use super::class_list::fold;
use super::ids::{CoordinatorId, TeacherId};
use super::people::{Coordinator, PersonName, Teacher};
use super::{FieldErrors, text};
use uuid::Uuid;

/// The staff form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaffInput {
    /// The new member's id, made by the form (hyphenated UUID): sent twice, the form
    /// adds one person. Kept as typed to refill the form.
    pub id: String,
    /// First name.
    pub first_name: String,
    /// Surname.
    pub last_name: String,
    /// E-mail (optional).
    pub email: String,
    /// `enseignant` or `coordination`.
    pub role: String,
}

/// A checked new member of staff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewStaff {
    /// A teacher (who can be a placement's referent).
    Teacher(Teacher),
    /// A coordinator.
    Coordinator(Coordinator),
}

/// The members of staff already stored, to refuse a second one of the same name.
#[derive(Clone, Copy, Debug)]
pub struct Staff<'a> {
    /// Every teacher, active or not.
    pub teachers: &'a [Teacher],
    /// Every coordinator, active or not.
    pub coordinators: &'a [Coordinator],
}

/// Checks the staff form: names required (≤ 100), e-mail optional but plausible, role
/// `enseignant` or `coordination`, and no member of that role already named the same
/// (first name and surname compared by [`fold`]: case, accents, spaces and
/// punctuation ignored, so "Sébastien Roussel" and "SEBASTIEN ROUSSEL" are one
/// person; the same name in the other role is allowed). `id` becomes the new
/// member's id.
///
/// # Errors
/// Every broken rule, by field, in French; a homonym is reported on `last_name`,
/// saying when the existing account is deactivated (reactivate it instead).
pub fn validate_staff(
    input: &StaffInput,
    id: Uuid,
    existing: Staff<'_>,
) -> Result<NewStaff, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = text::person_name(&mut errors, &input.first_name, &input.last_name);
    let email = text::optional_email(&mut errors, "email", &input.email);
    let teacher = match input.role.as_str() {
        "enseignant" => Some(true),
        "coordination" => Some(false),
        _ => {
            errors.add("role", "Choisissez le rôle : enseignant ou coordination.");
            None
        }
    };
    let key = fold(&name.full());
    let homonym: Option<(&PersonName, bool)> = match teacher {
        _ if key.is_empty() || errors.get("last_name").is_some() => None,
        Some(true) => existing
            .teachers
            .iter()
            .find(|t| fold(&t.name.full()) == key)
            .map(|t| (&t.name, t.active)),
        Some(false) => existing
            .coordinators
            .iter()
            .find(|c| fold(&c.name.full()) == key)
            .map(|c| (&c.name, c.active)),
        None => None,
    };
    if let Some((other, active)) = homonym {
        let role = if teacher == Some(true) {
            "un enseignant"
        } else {
            "un membre de la coordination"
        };
        errors.add(
            "last_name",
            if active {
                format!(
                    "{} est déjà {role} de l'établissement : inutile de l'ajouter une deuxième fois.",
                    other.full()
                )
            } else {
                format!(
                    "{} est déjà {role} de l'établissement, dont le compte est désactivé : réactivez-le depuis l'accueil plutôt que de l'ajouter une deuxième fois.",
                    other.full()
                )
            },
        );
    }
    match teacher {
        Some(true) if errors.is_empty() => Ok(NewStaff::Teacher(Teacher {
            id: TeacherId(id),
            name,
            email,
            active: true,
        })),
        Some(false) if errors.is_empty() => Ok(NewStaff::Coordinator(Coordinator {
            id: CoordinatorId(id),
            name,
            email,
            active: true,
        })),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> StaffInput {
        StaffInput {
            id: String::new(),
            first_name: "Noël".into(),
            last_name: "Gaudin".into(),
            email: String::new(),
            role: "enseignant".into(),
        }
    }

    const NOBODY: Staff<'static> = Staff {
        teachers: &[],
        coordinators: &[],
    };

    #[test]
    fn staff_needs_names_and_a_role() {
        let id = Uuid::new_v4();
        let Ok(NewStaff::Teacher(t)) = validate_staff(&ok(), id, NOBODY) else {
            panic!("a teacher");
        };
        assert_eq!(t.id, TeacherId(id));
        let bad = StaffInput {
            role: "directeur".into(),
            email: "x".into(),
            first_name: String::new(),
            ..ok()
        };
        let e = validate_staff(&bad, id, NOBODY).unwrap_err();
        for f in ["first_name", "role", "email"] {
            assert!(e.get(f).is_some(), "{f}");
        }
    }

    #[test]
    fn a_homonym_in_the_same_role_is_refused() {
        let teachers = vec![Teacher {
            id: TeacherId::new(),
            name: PersonName::new("Sébastien", "Roussel"),
            email: None,
            active: true,
        }];
        let coordinators = vec![Coordinator {
            id: CoordinatorId::new(),
            name: PersonName::new("Noël", "Gaudin"),
            email: None,
            active: false,
        }];
        let staff = Staff {
            teachers: &teachers,
            coordinators: &coordinators,
        };
        let twin = StaffInput {
            first_name: " sebastien ".into(),
            last_name: "ROUSSEL".into(),
            ..ok()
        };
        let e = validate_staff(&twin, Uuid::new_v4(), staff).unwrap_err();
        let m = e.get("last_name").unwrap();
        assert!(
            m.contains("Sébastien Roussel est déjà un enseignant"),
            "{m}"
        );
        // The same person may also be in the other role.
        let coordination = StaffInput {
            role: "coordination".into(),
            ..twin
        };
        assert!(validate_staff(&coordination, Uuid::new_v4(), staff).is_ok());
        // A deactivated homonym is pointed to, to be reactivated.
        let noel = StaffInput {
            role: "coordination".into(),
            ..ok()
        };
        let e = validate_staff(&noel, Uuid::new_v4(), staff).unwrap_err();
        assert!(e.get("last_name").unwrap().contains("réactivez-le"));
        assert!(validate_staff(&ok(), Uuid::new_v4(), staff).is_ok());
    }
}
