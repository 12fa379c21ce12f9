//! Creating a class (division) by hand (issue 3, "People and classes").

use super::class_list::fold;
use super::ids::ClassId;
use super::people::{Class, CycleYear};
use super::{FieldErrors, text};

/// Every cycle year, in the order the form offers them, with the value the form sends.
pub const CYCLE_YEARS: [(CycleYear, &str); 7] = [
    (CycleYear::CapFirst, "cap1"),
    (CycleYear::CapSecond, "cap2"),
    (CycleYear::Seconde, "seconde"),
    (CycleYear::Premiere, "premiere"),
    (CycleYear::Terminale, "terminale"),
    (CycleYear::Bts1, "bts1"),
    (CycleYear::Bts2, "bts2"),
];

/// The class form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClassInput {
    /// Division name, for example "1MELEC".
    pub name: String,
    /// Referential code of the diploma.
    pub diploma: String,
    /// Cycle year, as one of the values of [`CYCLE_YEARS`].
    pub year: String,
}

/// The key under which class names must be unique: case, accents, spaces and
/// punctuation ignored ("1 MELEC" and "1melec" are the same division).
pub fn name_key(name: &str) -> String {
    fold(name)
}

/// Checks the class form. Rules: name required (≤ 30 characters, one line) and not
/// already used (`taken` holds the [`name_key`] of existing classes); diploma one of
/// `diplomas` (referential codes); a known cycle year.
///
/// # Errors
/// Every broken rule, by field, in French.
pub fn validate_class(
    input: &ClassInput,
    diplomas: &[String],
    taken: &[String],
) -> Result<Class, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = text::one_line(&input.name);
    text::check(&mut errors, "name", &name, true, 30);
    if !name.is_empty() && name_key(&name).is_empty() {
        errors.add(
            "name",
            "Le nom doit contenir au moins une lettre ou un chiffre.",
        );
    } else if taken.contains(&name_key(&name)) {
        errors.add("name", format!("Une classe « {name} » existe déjà."));
    }
    if !diplomas.contains(&input.diploma) {
        errors.add("diploma", "Choisissez le diplôme préparé dans la liste.");
    }
    let year = CYCLE_YEARS
        .iter()
        .find(|(_, v)| *v == input.year)
        .map(|(y, _)| *y);
    if year.is_none() {
        errors.add("year", "Choisissez l'année du cycle dans la liste.");
    }
    match year {
        Some(year) if errors.is_empty() => Ok(Class {
            id: ClassId::new(),
            name,
            diploma: input.diploma.clone(),
            year,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_needs_a_free_name_a_known_diploma_and_year() {
        let diplomas = vec!["bacpro-melec".to_string()];
        let ok = ClassInput {
            name: " 1MELEC ".into(),
            diploma: "bacpro-melec".into(),
            year: "premiere".into(),
        };
        let class = validate_class(&ok, &diplomas, &[]).unwrap();
        assert_eq!(class.name, "1MELEC");
        assert_eq!(class.year, CycleYear::Premiere);
        let taken = vec![name_key("1 melec")];
        let e = validate_class(&ok, &diplomas, &taken).unwrap_err();
        assert!(e.get("name").unwrap().contains("existe déjà"));
        let bad = ClassInput {
            name: String::new(),
            diploma: "inconnu".into(),
            year: "cm2".into(),
        };
        let e = validate_class(&bad, &diplomas, &[]).unwrap_err();
        for f in ["name", "diploma", "year"] {
            assert!(e.get(f).is_some(), "{f}");
        }
    }
}
