//! Adding a teacher or a coordinator by hand (issue 3, "People and classes").

use super::class_list::is_plausible_email;
use super::ids::{CoordinatorId, TeacherId};
use super::people::{Coordinator, PersonName, Teacher};
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
    let first = text::clean(&input.first_name).replace('\n', " ");
    text::check(&mut errors, "first_name", &first, true, 100);
    let last = text::clean(&input.last_name).replace('\n', " ");
    text::check(&mut errors, "last_name", &last, true, 100);
    let email = input.email.trim().to_string();
    if !email.is_empty() && !is_plausible_email(&email) {
        errors.add(
            "email",
            "Adresse e-mail invalide : écrivez-la comme prenom.nom@exemple.fr.",
        );
    }
    if !matches!(input.role.as_str(), "enseignant" | "coordination") {
        errors.add("role", "Choisissez le rôle : enseignant ou coordination.");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let name = PersonName::new(&first, &last);
    let email = (!email.is_empty()).then_some(email);
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
