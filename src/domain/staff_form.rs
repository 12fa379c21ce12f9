//! Adding a teacher or a coordinator by hand (issue 3, "People and classes").

use super::ids::{CoordinatorId, TeacherId};
use super::people::{Coordinator, Teacher};
use super::{FieldErrors, text};

/// The staff form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaffInput {
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

/// Checks the staff form: names required (≤ 100), e-mail optional but plausible, role
/// `enseignant` or `coordination`.
///
/// # Errors
/// Every broken rule, by field, in French.
pub fn validate_staff(input: &StaffInput) -> Result<NewStaff, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = text::person_name(&mut errors, &input.first_name, &input.last_name);
    let email = text::optional_email(&mut errors, "email", &input.email);
    if !matches!(input.role.as_str(), "enseignant" | "coordination") {
        errors.add("role", "Choisissez le rôle : enseignant ou coordination.");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(if input.role == "enseignant" {
        NewStaff::Teacher(Teacher {
            id: TeacherId::new(),
            name,
            email,
            active: true,
        })
    } else {
        NewStaff::Coordinator(Coordinator {
            id: CoordinatorId::new(),
            name,
            email,
            active: true,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_needs_names_and_a_role() {
        let ok = StaffInput {
            first_name: "Noël".into(),
            last_name: "Gaudin".into(),
            email: String::new(),
            role: "enseignant".into(),
        };
        assert!(matches!(validate_staff(&ok), Ok(NewStaff::Teacher(_))));
        let bad = StaffInput {
            role: "directeur".into(),
            email: "x".into(),
            first_name: String::new(),
            ..ok
        };
        let e = validate_staff(&bad).unwrap_err();
        for f in ["first_name", "role", "email"] {
            assert!(e.get(f).is_some(), "{f}");
        }
    }
}
