//! The school and the people in it: classes, students, teachers, coordinators,
//! companies and their tutors (DESIGN.md, "People and what each may do").

use super::ids::*;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The school (établissement) running this Livret instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct School {
    /// Id.
    pub id: SchoolId,
    /// Name, for example "Lycée professionnel Marie-Curie".
    pub name: String,
    /// UAI code (8 characters, for example "0350001A"), the national school register id.
    pub uai: String,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
}

/// Year of the training cycle of a class, used for the PFMP allowance (issue 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CycleYear {
    /// 1re année de CAP.
    CapFirst,
    /// 2e année de CAP.
    CapSecond,
    /// Seconde professionnelle.
    Seconde,
    /// Première professionnelle.
    Premiere,
    /// Terminale professionnelle.
    Terminale,
    /// 1re année de BTS.
    Bts1,
    /// 2e année de BTS.
    Bts2,
}

impl CycleYear {
    /// One byte for store keys (declaration order; never reordered).
    pub fn tag(self) -> u8 {
        match self {
            CycleYear::CapFirst => 1,
            CycleYear::CapSecond => 2,
            CycleYear::Seconde => 3,
            CycleYear::Premiere => 4,
            CycleYear::Terminale => 5,
            CycleYear::Bts1 => 6,
            CycleYear::Bts2 => 7,
        }
    }

    /// French label shown in the UI.
    pub fn label(self) -> &'static str {
        match self {
            CycleYear::CapFirst => "1re année CAP",
            CycleYear::CapSecond => "2e année CAP",
            CycleYear::Seconde => "Seconde",
            CycleYear::Premiere => "Première",
            CycleYear::Terminale => "Terminale",
            CycleYear::Bts1 => "BTS 1re année",
            CycleYear::Bts2 => "BTS 2e année",
        }
    }
}

/// A class (division) preparing one diploma.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Class {
    /// Id.
    pub id: ClassId,
    /// Division name as the school writes it, for example "1MELEC".
    pub name: String,
    /// Code of the diploma's referential (see [`super::Referential::code`]).
    pub diploma: String,
    /// Year of the cycle.
    pub year: CycleYear,
}

/// A person's name as printed: first name then surname, each as typed (accents and
/// apostrophes kept: "Éloïse N'Diaye").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    /// First name (prénom).
    pub first: String,
    /// Surname (nom).
    pub last: String,
}

impl PersonName {
    /// Builds a name from its two parts.
    pub fn new(first: &str, last: &str) -> Self {
        PersonName {
            first: first.to_string(),
            last: last.to_string(),
        }
    }

    /// "Prénom Nom", the form used in running text.
    pub fn full(&self) -> String {
        format!("{} {}", self.first, self.last)
    }

    /// Sort key of class lists: by surname then first name, with case, accents and
    /// punctuation ignored (so "Çelik" sorts with the C, "N'Diaye" with "Ndiaye").
    pub fn sort_key(&self) -> String {
        let fold = super::class_list::fold;
        format!("{}\u{0}{}", fold(&self.last), fold(&self.first))
    }
}

/// A student (élève, stagiaire).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Student {
    /// Id.
    pub id: StudentId,
    /// Class (division).
    pub class: ClassId,
    /// Name.
    pub name: PersonName,
    /// Date of birth (printed on the PFMP certificate).
    pub birth_date: Option<Date>,
    /// INE, the national student number (11 characters), when known.
    pub ine: Option<String>,
    /// E-mail address, when known.
    pub email: Option<String>,
    /// False once the account is deactivated: it can no longer sign in.
    pub active: bool,
}

/// A teacher; the referent (enseignant référent) of the placements they follow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Teacher {
    /// Id.
    pub id: TeacherId,
    /// Name.
    pub name: PersonName,
    /// E-mail address.
    pub email: Option<String>,
    /// False once the account is deactivated.
    pub active: bool,
}

/// A coordinator (équipe pédagogique, DDFPT): sees the whole school.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coordinator {
    /// Id.
    pub id: CoordinatorId,
    /// Name.
    pub name: PersonName,
    /// E-mail address.
    pub email: Option<String>,
    /// False once the account is deactivated.
    pub active: bool,
}

/// A host company (entreprise d'accueil).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    /// Id.
    pub id: CompanyId,
    /// Trade name.
    pub name: String,
    /// Street address.
    pub address: String,
    /// City, with its postcode.
    pub city: String,
    /// SIRET (14 digits), when known.
    pub siret: Option<String>,
}

/// A workplace tutor (tuteur de stage), employed by one company.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tutor {
    /// Id.
    pub id: TutorId,
    /// Employer.
    pub company: CompanyId,
    /// Name.
    pub name: PersonName,
    /// Job title (fonction), for example "Chef d'équipe".
    pub job_title: String,
    /// E-mail address, where the personal access link is sent (spec, "Accès à
    /// l'application par le tuteur").
    pub email: Option<String>,
    /// Phone number, as typed.
    pub phone: Option<String>,
}

/// Who a session or a sign-in link belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Subject {
    /// A student.
    Student(StudentId),
    /// A workplace tutor.
    Tutor(TutorId),
    /// A teacher (referent).
    Teacher(TeacherId),
    /// A coordinator.
    Coordinator(CoordinatorId),
}

impl Subject {
    /// The role's name in the UI and in the demo's printed lines: `élève`, `tuteur`,
    /// `référent`, `coordination`.
    pub fn role_label(&self) -> &'static str {
        match self {
            Subject::Student(_) => "élève",
            Subject::Tutor(_) => "tuteur",
            Subject::Teacher(_) => "référent",
            Subject::Coordinator(_) => "coordination",
        }
    }

    /// 17 bytes: one tag byte (1 student, 2 tutor, 3 teacher, 4 coordinator) and the id.
    pub fn key_bytes(&self) -> [u8; 17] {
        let (tag, id) = match self {
            Subject::Student(id) => (1u8, id.as_bytes()),
            Subject::Tutor(id) => (2, id.as_bytes()),
            Subject::Teacher(id) => (3, id.as_bytes()),
            Subject::Coordinator(id) => (4, id.as_bytes()),
        };
        let mut out = [0u8; 17];
        out[0] = tag;
        out[1..].copy_from_slice(id);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::PersonName;

    #[test]
    fn class_lists_sort_by_surname_ignoring_accents_and_case() {
        let mut names = [
            PersonName::new("Ali", "Çelik"),
            PersonName::new("Éloïse", "N'Diaye"),
            PersonName::new("Zoé", "Benoît"),
            PersonName::new("Anaïs", "Benoît"),
            PersonName::new("Paul", "durand"),
        ];
        names.sort_by_key(PersonName::sort_key);
        let order: Vec<String> = names.iter().map(PersonName::full).collect();
        assert_eq!(
            order,
            [
                "Anaïs Benoît",
                "Zoé Benoît",
                "Ali Çelik",
                "Paul durand",
                "Éloïse N'Diaye"
            ]
        );
    }
}
