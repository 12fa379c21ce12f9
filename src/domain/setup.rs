//! The first-start form (issue 3): the school and its first coordinator.

use super::ids::{CoordinatorId, SchoolId};
use super::people::{Coordinator, School};
use super::{FieldErrors, text};

/// The first-start form as typed, kept whole to refill the form after an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetupInput {
    /// School name.
    pub school_name: String,
    /// UAI code.
    pub uai: String,
    /// Street address.
    pub address: String,
    /// Postcode and city.
    pub city: String,
    /// Coordinator's first name.
    pub first_name: String,
    /// Coordinator's surname.
    pub last_name: String,
    /// Coordinator's e-mail (optional).
    pub email: String,
}

/// True for a UAI code as the national school register writes it: 7 digits and a
/// check letter (for example `0350001A`). The check letter itself is not verified.
pub fn is_valid_uai(uai: &str) -> bool {
    let b = uai.as_bytes();
    b.len() == 8 && b[..7].iter().all(u8::is_ascii_digit) && b[7].is_ascii_uppercase()
}

/// Checks the first-start form. Rules: school name (≤ 150), city (≤ 100) and the
/// coordinator's names (≤ 100 each) required; UAI as [`is_valid_uai`] (spaces removed,
/// upper-cased); address ≤ 200; e-mail optional but plausible.
///
/// # Errors
/// Every broken rule, by field, in French.
pub fn validate_setup(input: &SetupInput) -> Result<(School, Coordinator), FieldErrors> {
    let mut errors = FieldErrors::default();
    let one_line = text::one_line;
    let school_name = one_line(&input.school_name);
    text::check(&mut errors, "school_name", &school_name, true, 150);
    let uai: String = input
        .uai
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if uai.is_empty() {
        errors.add("uai", "Ce champ est obligatoire.");
    } else if !is_valid_uai(&uai) {
        errors.add(
            "uai",
            "Le code UAI s'écrit avec 7 chiffres suivis d'une lettre, par exemple 0350001A.",
        );
    }
    let address = one_line(&input.address);
    text::check(&mut errors, "address", &address, false, 200);
    let city = one_line(&input.city);
    text::check(&mut errors, "city", &city, true, 100);
    let name = text::person_name(&mut errors, &input.first_name, &input.last_name);
    let email = text::optional_email(&mut errors, "email", &input.email);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        School {
            id: SchoolId::new(),
            name: school_name,
            uai,
            address,
            city,
        },
        Coordinator {
            id: CoordinatorId::new(),
            name,
            email,
            active: true,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SetupInput {
        SetupInput {
            school_name: "Lycée professionnel Marie-Curie".into(),
            uai: " 0350001a ".into(),
            address: "1 rue de l'École".into(),
            city: "35000 Rennes".into(),
            first_name: "Béatrice".into(),
            last_name: "Lhôte".into(),
            email: "ddfpt@lycee.fr".into(),
        }
    }

    #[test]
    fn a_valid_form_gives_the_school_and_its_coordinator() {
        let (school, coordinator) = validate_setup(&input()).unwrap();
        assert_eq!(school.uai, "0350001A");
        assert_eq!(coordinator.name.full(), "Béatrice Lhôte");
        assert!(coordinator.active);
    }

    #[test]
    fn each_field_is_checked_in_french() {
        let bad = SetupInput {
            school_name: String::new(),
            uai: "35001A".into(),
            city: "  ".into(),
            first_name: String::new(),
            email: "pas-un-mail".into(),
            ..input()
        };
        let errors = validate_setup(&bad).unwrap_err();
        for field in ["school_name", "uai", "city", "first_name", "email"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        assert!(errors.get("uai").unwrap().contains("7 chiffres"));
    }
}
