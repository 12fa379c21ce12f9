//! Creating a class (division) by hand (issue 3, "People and classes").

use super::class_list::fold;
use super::ids::ClassId;
use super::people::{Class, CycleYear};
use super::referential::Referential;
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

/// The cycle years a diploma of this [`Referential::level`] is prepared in, in the
/// order of [`CYCLE_YEARS`]:
/// - `cap`: the two years of CAP;
/// - `bac-pro`: Seconde, Première, Terminale professionnelles (three years);
/// - `bts`: the two years of BTS;
/// - `mc` (mention complémentaire): a one-year course taken after a CAP (level 3) or
///   a Bac Pro (level 4), which has no year of its own in [`CycleYear`]: the years of
///   CAP and of Bac Pro are accepted (the school picks the one it files the class
///   under), those of BTS are not (an MC is never post-bac);
/// - any other level (none is shipped; the referential loader accepts only these
///   four): every year.
pub fn years_for_level(level: &str) -> &'static [CycleYear] {
    use CycleYear::*;
    match level {
        "cap" => &[CapFirst, CapSecond],
        "bac-pro" => &[Seconde, Premiere, Terminale],
        "bts" => &[Bts1, Bts2],
        "mc" => &[CapFirst, CapSecond, Seconde, Premiere, Terminale],
        _ => &[
            CapFirst, CapSecond, Seconde, Premiere, Terminale, Bts1, Bts2,
        ],
    }
}

/// Checks the class form. Rules: name required (≤ 30 characters, one line) and not
/// already used (`taken` holds the [`name_key`] of existing classes); diploma one of
/// `diplomas` (the store's referentials, by code); a known cycle year, and one in
/// which that diploma is prepared ([`years_for_level`] of its level: no "1re année
/// CAP" class preparing a BTS).
///
/// # Errors
/// Every broken rule, by field, in French.
pub fn validate_class(
    input: &ClassInput,
    diplomas: &[Referential],
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
    let diploma = diplomas.iter().find(|r| r.code == input.diploma);
    if diploma.is_none() {
        errors.add("diploma", "Choisissez le diplôme préparé dans la liste.");
    }
    let year = CYCLE_YEARS
        .iter()
        .find(|(_, v)| *v == input.year)
        .map(|(y, _)| *y);
    match (year, diploma) {
        (None, _) => errors.add("year", "Choisissez l'année du cycle dans la liste."),
        (Some(y), Some(d)) if !years_for_level(&d.level).contains(&y) => {
            let labels: Vec<&str> = years_for_level(&d.level)
                .iter()
                .map(|y| y.label())
                .collect();
            let choices = match labels.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{} ou {last}", rest.join(", "))
                }
                _ => labels.join(""),
            };
            errors.add(
                "year",
                format!(
                    "« {} » ne convient pas au diplôme {} : choisissez {choices}.",
                    y.label(),
                    d.short_name
                ),
            );
        }
        _ => {}
    }
    match (year, diploma) {
        (Some(year), Some(diploma)) if errors.is_empty() => Ok(Class {
            id: ClassId::new(),
            name,
            diploma: diploma.code.clone(),
            year,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referential(code: &str, short_name: &str, level: &str) -> Referential {
        Referential {
            code: code.into(),
            diploma: short_name.into(),
            short_name: short_name.into(),
            level: level.into(),
            sources: vec![],
            competencies: vec![],
            blocks: vec![],
        }
    }

    fn diplomas() -> Vec<Referential> {
        vec![
            referential("bacpro-melec", "Bac Pro MELEC", "bac-pro"),
            referential("cap-electricien", "CAP Électricien", "cap"),
            referential("bts-mco", "BTS MCO", "bts"),
            referential("mc-x", "MC Exemple", "mc"),
        ]
    }

    fn input(diploma: &str, year: &str) -> ClassInput {
        ClassInput {
            name: " 1MELEC ".into(),
            diploma: diploma.into(),
            year: year.into(),
        }
    }

    #[test]
    fn a_class_needs_a_free_name_a_known_diploma_and_year() {
        let ok = input("bacpro-melec", "premiere");
        let class = validate_class(&ok, &diplomas(), &[]).unwrap();
        assert_eq!(class.name, "1MELEC");
        assert_eq!(class.year, CycleYear::Premiere);
        assert_eq!(class.diploma, "bacpro-melec");
        let taken = vec![name_key("1 melec")];
        let e = validate_class(&ok, &diplomas(), &taken).unwrap_err();
        assert!(e.get("name").unwrap().contains("existe déjà"));
        let bad = ClassInput {
            name: String::new(),
            diploma: "inconnu".into(),
            year: "cm2".into(),
        };
        let e = validate_class(&bad, &diplomas(), &[]).unwrap_err();
        for f in ["name", "diploma", "year"] {
            assert!(e.get(f).is_some(), "{f}");
        }
    }

    #[test]
    fn the_year_must_be_one_of_the_diploma() {
        let d = diplomas();
        let e = validate_class(&input("bts-mco", "cap1"), &d, &[]).unwrap_err();
        assert_eq!(
            e.get("year"),
            Some(
                "« 1re année CAP » ne convient pas au diplôme BTS MCO : choisissez BTS 1re année ou BTS 2e année."
            )
        );
        let e = validate_class(&input("bacpro-melec", "bts2"), &d, &[]).unwrap_err();
        assert!(
            e.get("year")
                .unwrap()
                .contains("choisissez Seconde, Première ou Terminale")
        );
        assert!(validate_class(&input("cap-electricien", "terminale"), &d, &[]).is_err());
        for (diploma, year) in [
            ("cap-electricien", "cap2"),
            ("bts-mco", "bts1"),
            ("bacpro-melec", "seconde"),
            ("mc-x", "cap1"),
            ("mc-x", "terminale"),
        ] {
            assert!(
                validate_class(&input(diploma, year), &d, &[]).is_ok(),
                "{diploma} {year}"
            );
        }
        assert!(validate_class(&input("mc-x", "bts1"), &d, &[]).is_err());
        // Every level accepts at least one year, and every year some level.
        for level in ["cap", "bac-pro", "bts", "mc"] {
            assert!(!years_for_level(level).is_empty());
        }
        assert_eq!(years_for_level("autre").len(), CYCLE_YEARS.len());
    }
}
