//! Declaring and editing a placement (PFMP) by hand (issue 3, item 5): the student, the
//! host company, the tutor, the referent teacher, the dates and the planned objectives.
//!
//! The company and the tutor are either picked from those already known or typed in
//! (a new one). When a placement is edited, the details of its current company and
//! tutor come with the form and may be corrected: they change for every placement of
//! that company or tutor.

use super::class_list::fold;
use super::ids::*;
use super::logbook::parse_date;
use super::people::{Company, PersonName, Student, Teacher, Tutor};
use super::placement::Placement;
use super::{FieldErrors, text};
use jiff::civil::Date;

/// Value of the company select meaning "a company typed in the form".
pub const NEW_COMPANY: &str = "nouvelle";
/// Value of the tutor select meaning "a tutor typed in the form".
pub const NEW_TUTOR: &str = "nouveau";
/// Longest accepted period, in weeks: a PFMP lasts a few weeks (at most 22 weeks over
/// a whole Bac Pro), so a longer single period is almost surely a typo in a year.
pub const MAX_WEEKS: i32 = 26;
/// Most objectives a period may list.
pub const MAX_OBJECTIVES: usize = 30;
/// Longest objective, in characters.
pub const OBJECTIVE_MAX_CHARS: usize = 500;

/// The placement form as typed, kept whole to refill the form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlacementInput {
    /// Student id.
    pub student: String,
    /// Company id, or [`NEW_COMPANY`].
    pub company: String,
    /// Company name (new company, or the current one when editing).
    pub company_name: String,
    /// Street address.
    pub company_address: String,
    /// Postcode and city.
    pub company_city: String,
    /// SIRET, optional (spaces allowed).
    pub company_siret: String,
    /// Tutor id, or [`NEW_TUTOR`].
    pub tutor: String,
    /// Tutor's first name.
    pub tutor_first_name: String,
    /// Tutor's surname.
    pub tutor_last_name: String,
    /// Tutor's job title (optional).
    pub tutor_job_title: String,
    /// Tutor's e-mail (optional).
    pub tutor_email: String,
    /// Tutor's phone (optional).
    pub tutor_phone: String,
    /// Referent teacher id.
    pub referent: String,
    /// First day, `yyyy-mm-dd` or `dd/mm/yyyy`.
    pub start: String,
    /// Last day, same formats.
    pub end: String,
    /// Planned objectives, one per line.
    pub objectives: String,
    /// Ids of the overlapping placements the person saw and accepted, comma-separated
    /// (the value of the "Enregistrer malgré le chevauchement" checkbox).
    pub overlap_ok: String,
}

impl PlacementInput {
    /// Names of the form fields, in the order of the struct.
    pub const FIELDS: [&'static str; 17] = [
        "student",
        "company",
        "company_name",
        "company_address",
        "company_city",
        "company_siret",
        "tutor",
        "tutor_first_name",
        "tutor_last_name",
        "tutor_job_title",
        "tutor_email",
        "tutor_phone",
        "referent",
        "start",
        "end",
        "objectives",
        "overlap_ok",
    ];

    /// Builds the input from a form, `get(name)` giving the value sent for each of
    /// [`Self::FIELDS`] ("" when absent).
    pub fn read(get: impl Fn(&str) -> String) -> PlacementInput {
        PlacementInput {
            student: get("student"),
            company: get("company"),
            company_name: get("company_name"),
            company_address: get("company_address"),
            company_city: get("company_city"),
            company_siret: get("company_siret"),
            tutor: get("tutor"),
            tutor_first_name: get("tutor_first_name"),
            tutor_last_name: get("tutor_last_name"),
            tutor_job_title: get("tutor_job_title"),
            tutor_email: get("tutor_email"),
            tutor_phone: get("tutor_phone"),
            referent: get("referent"),
            start: get("start"),
            end: get("end"),
            objectives: get("objectives"),
            overlap_ok: get("overlap_ok"),
        }
    }

    /// The form prefilled from a stored placement, its company and its tutor (edit).
    pub fn from_records(p: &Placement, company: &Company, tutor: &Tutor) -> PlacementInput {
        PlacementInput {
            student: p.student.to_string(),
            company: company.id.to_string(),
            company_name: company.name.clone(),
            company_address: company.address.clone(),
            company_city: company.city.clone(),
            company_siret: company.siret.clone().unwrap_or_default(),
            tutor: tutor.id.to_string(),
            tutor_first_name: tutor.name.first.clone(),
            tutor_last_name: tutor.name.last.clone(),
            tutor_job_title: tutor.job_title.clone(),
            tutor_email: tutor.email.clone().unwrap_or_default(),
            tutor_phone: tutor.phone.clone().unwrap_or_default(),
            referent: p.referent.to_string(),
            start: p.start.to_string(),
            end: p.end.to_string(),
            objectives: p.objectives.join("\n"),
            overlap_ok: String::new(),
        }
    }

    fn company_typed(&self) -> bool {
        [
            &self.company_name,
            &self.company_address,
            &self.company_city,
            &self.company_siret,
        ]
        .iter()
        .any(|v| !text::clean(v).is_empty())
    }

    fn tutor_typed(&self) -> bool {
        [
            &self.tutor_first_name,
            &self.tutor_last_name,
            &self.tutor_job_title,
            &self.tutor_email,
            &self.tutor_phone,
        ]
        .iter()
        .any(|v| !text::clean(v).is_empty())
    }

    /// True when the person accepted every one of `overlaps` (each id is in
    /// [`Self::overlap_ok`]); true when there is none.
    pub fn accepts(&self, overlaps: &[&Placement]) -> bool {
        let accepted: Vec<&str> = self.overlap_ok.split(',').map(str::trim).collect();
        overlaps
            .iter()
            .all(|p| accepted.contains(&p.id.to_string().as_str()))
    }
}

/// The value of the "Enregistrer malgré le chevauchement" checkbox for `overlaps`:
/// their ids, comma-separated (see [`PlacementInput::accepts`]).
pub fn overlap_value(overlaps: &[&Placement]) -> String {
    overlaps
        .iter()
        .map(|p| p.id.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// What the form may point to, as the store holds it.
#[derive(Clone, Copy, Debug)]
pub struct Choices<'a> {
    /// Students who may be placed (active ones; when editing, also the current one).
    pub students: &'a [Student],
    /// Every company.
    pub companies: &'a [Company],
    /// Every tutor.
    pub tutors: &'a [Tutor],
    /// Teachers who may be referent (active ones).
    pub teachers: &'a [Teacher],
}

/// The placement being edited.
#[derive(Clone, Copy, Debug)]
pub struct Editing<'a> {
    /// As stored.
    pub placement: &'a Placement,
    /// True when it already has logbook entries or activity sheets: they belong to its
    /// student, so the student can no longer change.
    pub student_locked: bool,
}

/// A checked form: the placement to store, and the company and tutor to write with it
/// (new ones, or the current ones corrected), `None` when the stored one is kept as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementChange {
    /// The placement.
    pub placement: Placement,
    /// A company to write (new or updated).
    pub company: Option<Company>,
    /// A tutor to write (new or updated).
    pub tutor: Option<Tutor>,
}

/// Checks the placement form.
///
/// Rules:
/// - the student is one of `choices.students` and, when `editing` says so, unchanged;
/// - the company is one of `choices.companies`, or [`NEW_COMPANY`] (also assumed when
///   the select is left empty but a company name is typed) with a name (≤ 150), an
///   address (≤ 200), a city (≤ 100) and an optional [SIRET](is_valid_siret); a new
///   company may not repeat an existing one's name and city (case and accents
///   ignored); when creating, typing a new company while picking an existing one is
///   refused (which one was meant?); when editing, the typed details update the
///   current company if it is still the one picked, and are ignored for another one;
/// - the tutor likewise: one of `choices.tutors`, employed by the chosen company, or
///   [`NEW_TUTOR`] with first and last names (≤ 100), a job title (≤ 100), an e-mail
///   and a [phone](is_plausible_phone), all three optional;
/// - the referent is one of `choices.teachers`;
/// - both dates given ([`parse_date`]), the last not before the first, the period at
///   most [`MAX_WEEKS`] weeks;
/// - objectives: one per line, empty lines and leading bullets dropped, at most
///   [`MAX_OBJECTIVES`] of at most [`OBJECTIVE_MAX_CHARS`] characters each.
///
/// `id` is the placement's id (made by the create form, or the edited one's).
/// Overlapping periods are not checked here: see [`overlaps`].
///
/// # Errors
/// Every broken rule, by field name of [`PlacementInput::FIELDS`], in French.
pub fn validate_placement(
    input: &PlacementInput,
    choices: &Choices<'_>,
    editing: Option<Editing<'_>>,
    id: PlacementId,
) -> Result<PlacementChange, FieldErrors> {
    let mut errors = FieldErrors::default();
    let current = editing.map(|e| e.placement);

    let student = find(&input.student, choices.students, |s| s.id);
    if student.is_none() {
        errors.add("student", "Choisissez l'élève dans la liste.");
    }
    if let (Some(e), Some(s)) = (editing, student)
        && e.student_locked
        && s.id != e.placement.student
    {
        errors.add(
            "student",
            "Cette période a déjà un journal de bord ou des fiches : elle reste à son élève. Déclarez une nouvelle période pour l'autre élève.",
        );
    }

    let (company_id, company) = check_company(input, choices, current, &mut errors);
    let tutor = check_tutor(input, choices, current, company_id, &mut errors);

    let referent = find(&input.referent, choices.teachers, |t| t.id);
    if referent.is_none() {
        errors.add(
            "referent",
            "Choisissez l'enseignant référent dans la liste.",
        );
    }

    let start = parse_date(&input.start)
        .map_err(|m| errors.add("start", m))
        .ok();
    let end = parse_date(&input.end)
        .map_err(|m| errors.add("end", m))
        .ok();
    if let (Some(start), Some(end)) = (start, end) {
        if end < start {
            errors.add(
                "end",
                "Le dernier jour est avant le premier : vérifiez les dates.",
            );
        } else {
            let days = end.since(start).map_or(i32::MAX, |s| s.get_days()) + 1;
            if days > MAX_WEEKS * 7 {
                errors.add(
                    "end",
                    format!(
                        "Cette période durerait {} semaines : plus de {MAX_WEEKS} semaines, c'est sans doute une faute de frappe. Vérifiez les dates.",
                        (days + 6) / 7
                    ),
                );
            }
        }
    }

    let objectives = objective_lines(&input.objectives);
    if objectives.len() > MAX_OBJECTIVES {
        errors.add(
            "objectives",
            format!(
                "{} objectifs : {MAX_OBJECTIVES} au plus. Regroupez-en quelques-uns.",
                objectives.len()
            ),
        );
    } else if let Some((n, o)) = objectives
        .iter()
        .enumerate()
        .find(|(_, o)| o.chars().count() > OBJECTIVE_MAX_CHARS)
    {
        errors.add(
            "objectives",
            format!(
                "L'objectif n° {} est trop long : {} caractères pour {OBJECTIVE_MAX_CHARS} au plus.",
                n + 1,
                o.chars().count()
            ),
        );
    }

    match (student, company_id, tutor, referent, start, end) {
        (
            Some(student),
            Some(company_id),
            Some((tutor_id, tutor)),
            Some(referent),
            Some(start),
            Some(end),
        ) if errors.is_empty() => Ok(PlacementChange {
            placement: Placement {
                id,
                student: student.id,
                company: company_id,
                tutor: tutor_id,
                referent: referent.id,
                start,
                end,
                objectives,
            },
            company,
            tutor,
        }),
        _ => Err(errors),
    }
}

/// The item of `list` whose id is written `value`.
fn find<'a, T, I: std::str::FromStr + PartialEq>(
    value: &str,
    list: &'a [T],
    id: impl Fn(&T) -> I,
) -> Option<&'a T> {
    let wanted: I = value.trim().parse().ok()?;
    list.iter().find(|x| id(x) == wanted)
}

/// The chosen company's id, and the company record to write (new or corrected).
fn check_company(
    input: &PlacementInput,
    choices: &Choices<'_>,
    current: Option<&Placement>,
    errors: &mut FieldErrors,
) -> (Option<CompanyId>, Option<Company>) {
    let choice = input.company.trim();
    let typed = input.company_typed();
    if choice == NEW_COMPANY || (choice.is_empty() && typed) {
        let company = company_fields(input, CompanyId::new(), choices, errors);
        return (company.as_ref().map(|c| c.id), company);
    }
    if choice.is_empty() {
        errors.add(
            "company",
            "Choisissez l'entreprise d'accueil, ou « Nouvelle entreprise » pour la saisir.",
        );
        return (None, None);
    }
    let Some(found) = find(choice, choices.companies, |c| c.id) else {
        errors.add("company", "Choisissez l'entreprise dans la liste.");
        return (None, None);
    };
    match current {
        Some(p) if p.company == found.id => {
            let updated = company_fields(input, found.id, choices, errors);
            (Some(found.id), updated.filter(|c| c != found))
        }
        None if typed => {
            errors.add(
                "company",
                format!(
                    "Vous avez choisi « {} » et rempli « Nouvelle entreprise » : choisissez « Nouvelle entreprise » dans la liste, ou videz ses champs.",
                    found.name
                ),
            );
            (Some(found.id), None)
        }
        _ => (Some(found.id), None),
    }
}

/// The company typed in the form, under `id`.
fn company_fields(
    input: &PlacementInput,
    id: CompanyId,
    choices: &Choices<'_>,
    errors: &mut FieldErrors,
) -> Option<Company> {
    let before = errors.0.len();
    let name = text::one_line(&input.company_name);
    let address = text::one_line(&input.company_address);
    let city = text::one_line(&input.company_city);
    text::check(errors, "company_name", &name, true, 150);
    text::check(errors, "company_address", &address, true, 200);
    text::check(errors, "company_city", &city, true, 100);
    let siret: String = input
        .company_siret
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !siret.is_empty() {
        let digits = siret.chars().filter(char::is_ascii_digit).count();
        if digits != siret.chars().count() || digits != 14 {
            errors.add(
                "company_siret",
                format!(
                    "Un SIRET s'écrit avec 14 chiffres (ici {} caractère{}) : vérifiez-le, ou laissez le champ vide.",
                    siret.chars().count(),
                    if siret.chars().count() > 1 { "s" } else { "" }
                ),
            );
        } else if !is_valid_siret(&siret) {
            errors.add(
                "company_siret",
                "Ce SIRET n'existe pas (sa clé de contrôle est fausse) : vérifiez-le, ou laissez le champ vide.",
            );
        }
    }
    if !name.is_empty()
        && let Some(twin) = choices
            .companies
            .iter()
            .find(|c| c.id != id && fold(&c.name) == fold(&name) && fold(&c.city) == fold(&city))
    {
        errors.add(
            "company_name",
            format!(
                "« {} » ({}) est déjà enregistrée : choisissez-la dans la liste des entreprises.",
                twin.name, twin.city
            ),
        );
    }
    (errors.0.len() == before).then(|| Company {
        id,
        name,
        address,
        city,
        siret: (!siret.is_empty()).then_some(siret),
    })
}

/// The chosen tutor's id, and the tutor record to write (new or corrected).
fn check_tutor(
    input: &PlacementInput,
    choices: &Choices<'_>,
    current: Option<&Placement>,
    company: Option<CompanyId>,
    errors: &mut FieldErrors,
) -> Option<(TutorId, Option<Tutor>)> {
    let choice = input.tutor.trim();
    let typed = input.tutor_typed();
    if choice == NEW_TUTOR || (choice.is_empty() && typed) {
        let tutor = tutor_fields(input, TutorId::new(), company, choices, errors)?;
        return Some((tutor.id, Some(tutor)));
    }
    if choice.is_empty() {
        errors.add(
            "tutor",
            "Choisissez le tuteur, ou « Nouveau tuteur » pour le saisir.",
        );
        return None;
    }
    let Some(found) = find(choice, choices.tutors, |t| t.id) else {
        errors.add("tutor", "Choisissez le tuteur dans la liste.");
        return None;
    };
    let company = company?;
    if found.company != company {
        let employer = choices
            .companies
            .iter()
            .find(|c| c.id == found.company)
            .map_or("une autre entreprise", |c| c.name.as_str());
        errors.add(
            "tutor",
            format!(
                "{} est tuteur chez « {employer} », pas dans l'entreprise choisie : choisissez un tuteur de cette entreprise, ou « Nouveau tuteur ».",
                found.name.full()
            ),
        );
        return None;
    }
    match current {
        Some(p) if p.tutor == found.id => {
            let updated = tutor_fields(input, found.id, Some(company), choices, errors)?;
            Some((found.id, (&updated != found).then_some(updated)))
        }
        None if typed => {
            errors.add(
                "tutor",
                format!(
                    "Vous avez choisi {} et rempli « Nouveau tuteur » : choisissez « Nouveau tuteur » dans la liste, ou videz ses champs.",
                    found.name.full()
                ),
            );
            None
        }
        _ => Some((found.id, None)),
    }
}

/// The tutor typed in the form, under `id`, employed by `company` (`None` when the
/// company is not settled: the fields are still checked).
fn tutor_fields(
    input: &PlacementInput,
    id: TutorId,
    company: Option<CompanyId>,
    choices: &Choices<'_>,
    errors: &mut FieldErrors,
) -> Option<Tutor> {
    let before = errors.0.len();
    let first = text::one_line(&input.tutor_first_name);
    let last = text::one_line(&input.tutor_last_name);
    let job_title = text::one_line(&input.tutor_job_title);
    text::check(errors, "tutor_first_name", &first, true, 100);
    text::check(errors, "tutor_last_name", &last, true, 100);
    text::check(errors, "tutor_job_title", &job_title, false, 100);
    let email = text::optional_email(errors, "tutor_email", &input.tutor_email);
    let phone = text::one_line(&input.tutor_phone);
    if !phone.is_empty() && !is_plausible_phone(&phone) {
        errors.add(
            "tutor_phone",
            "Numéro de téléphone invalide : des chiffres, espaces, points et « + » seulement, comme 06 12 34 56 78 ou +33 6 12 34 56 78.",
        );
    }
    let name = PersonName::new(&first, &last);
    if let Some(company) = company
        && !last.is_empty()
        && let Some(twin) = choices.tutors.iter().find(|t| {
            t.id != id && t.company == company && fold(&t.name.full()) == fold(&name.full())
        })
    {
        errors.add(
            "tutor_last_name",
            format!(
                "{} est déjà tuteur dans cette entreprise : choisissez-le dans la liste des tuteurs.",
                twin.name.full()
            ),
        );
    }
    let company = company?;
    (errors.0.len() == before).then(|| Tutor {
        id,
        company,
        name,
        job_title,
        email,
        phone: (!phone.is_empty()).then_some(phone),
    })
}

/// The objectives typed one per line: each line trimmed, a leading bullet (`-`, `*`,
/// `•`, `–`) dropped, empty lines dropped.
pub fn objective_lines(input: &str) -> Vec<String> {
    text::clean(input)
        .lines()
        .map(|l| {
            let l = l.trim();
            let unbulleted = l
                .strip_prefix(['-', '*', '•', '–'])
                .filter(|rest| rest.starts_with(char::is_whitespace));
            unbulleted.unwrap_or(l).trim().to_string()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// True for a SIRET (14 digits, no spaces) whose check digit is right: the Luhn sum
/// of its digits is a multiple of 10 (INSEE); the establishments of La Poste (SIREN
/// 356 000 000), too many for that key, may instead have a digit sum that is a
/// multiple of 5.
pub fn is_valid_siret(siret: &str) -> bool {
    if siret.len() != 14 || !siret.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = siret.bytes().map(|b| u32::from(b - b'0')).collect();
    let luhn: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                *d
            }
        })
        .sum();
    luhn.is_multiple_of(10)
        || (siret.starts_with("356000000") && digits.iter().sum::<u32>().is_multiple_of(5))
}

/// True for a phone number as people write it: digits, spaces, dots, and `+` only in
/// front; 6 to 20 digits; at most 30 characters.
pub fn is_plausible_phone(phone: &str) -> bool {
    let body = phone.strip_prefix('+').unwrap_or(phone);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    phone.chars().count() <= 30
        && (6..=20).contains(&digits)
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '.')
}

/// The placements of `student` among `existing` whose days meet the period from
/// `start` to `end` (both included), leaving out `except` (the placement being
/// edited). Issue 3: such an overlap is shown as a warning, never refused.
pub fn overlaps(
    existing: &[Placement],
    student: StudentId,
    start: Date,
    end: Date,
    except: Option<PlacementId>,
) -> Vec<&Placement> {
    existing
        .iter()
        .filter(|p| p.student == student && Some(p.id) != except)
        .filter(|p| p.start <= end && start <= p.end)
        .collect()
}

/// The overlapping placements the person must confirm before `placement` is saved:
/// every placement of its student among `existing` that its days meet (see
/// [`overlaps`]), except, when editing (`before` is the placement as stored), those
/// it already overlapped before the edit.
///
/// So an edit that keeps the student and the dates (a new referent, a corrected
/// tutor) never asks again for an overlap confirmed when the placement was declared,
/// and neither does an edit whose new dates meet only periods the old ones already
/// met; a new overlap (other dates, another student, a period declared since) lists
/// every overlapping placement again. Issue 3: overlaps are warnings, never refused.
pub fn overlaps_to_confirm<'a>(
    existing: &'a [Placement],
    placement: &Placement,
    before: Option<&Placement>,
) -> Vec<&'a Placement> {
    let now = overlaps(
        existing,
        placement.student,
        placement.start,
        placement.end,
        Some(placement.id),
    );
    let Some(before) = before else {
        return now;
    };
    let then = overlaps(
        existing,
        before.student,
        before.start,
        before.end,
        Some(before.id),
    );
    if now.iter().all(|p| then.iter().any(|t| t.id == p.id)) {
        Vec::new()
    } else {
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    struct World {
        students: Vec<Student>,
        companies: Vec<Company>,
        tutors: Vec<Tutor>,
        teachers: Vec<Teacher>,
    }

    impl World {
        fn new() -> World {
            let class = ClassId::new();
            let student = Student {
                id: StudentId::new(),
                class,
                name: PersonName::new("Maël", "Ferrand"),
                birth_date: None,
                ine: None,
                email: None,
                active: true,
            };
            let other = Student {
                id: StudentId::new(),
                name: PersonName::new("Éloïse", "N'Diaye"),
                ..student.clone()
            };
            let elec = Company {
                id: CompanyId::new(),
                name: "Électricité Générale du Val".into(),
                address: "8 avenue des Artisans".into(),
                city: "44300 Nantes".into(),
                siret: None,
            };
            let domo = Company {
                id: CompanyId::new(),
                name: "Domotique Atlantique".into(),
                ..elec.clone()
            };
            let helene = Tutor {
                id: TutorId::new(),
                company: elec.id,
                name: PersonName::new("Hélène", "Caillé"),
                job_title: "Cheffe d'équipe".into(),
                email: None,
                phone: None,
            };
            let gregoire = Tutor {
                id: TutorId::new(),
                company: domo.id,
                name: PersonName::new("Grégoire", "d'Arçais"),
                ..helene.clone()
            };
            let teacher = Teacher {
                id: TeacherId::new(),
                name: PersonName::new("Sébastien", "Roussel"),
                email: None,
                active: true,
            };
            World {
                students: vec![student, other],
                companies: vec![elec, domo],
                tutors: vec![helene, gregoire],
                teachers: vec![teacher],
            }
        }

        fn choices(&self) -> Choices<'_> {
            Choices {
                students: &self.students,
                companies: &self.companies,
                tutors: &self.tutors,
                teachers: &self.teachers,
            }
        }

        /// A valid form picking the first company and its tutor.
        fn input(&self) -> PlacementInput {
            PlacementInput {
                student: self.students[0].id.to_string(),
                company: self.companies[0].id.to_string(),
                tutor: self.tutors[0].id.to_string(),
                referent: self.teachers[0].id.to_string(),
                start: "2026-03-02".into(),
                end: "27/03/2026".into(),
                objectives: "- Câbler un tableau\n\n  • Poser des prises  \n".into(),
                ..PlacementInput::default()
            }
        }
    }

    fn new_company(input: &mut PlacementInput) {
        input.company = NEW_COMPANY.into();
        input.company_name = " Ateliers Réunis ".into();
        input.company_address = "1 rue du Port".into();
        input.company_city = "44000 Nantes".into();
        input.company_siret = "732 829 320 00074".into();
        input.tutor = NEW_TUTOR.into();
        input.tutor_first_name = "Noé".into();
        input.tutor_last_name = "Le Gall".into();
        input.tutor_email = "noe.legall@ateliers.fr".into();
        input.tutor_phone = "+33 6.12.34.56.78".into();
    }

    #[test]
    fn an_existing_company_and_tutor_make_a_placement() {
        let w = World::new();
        let id = PlacementId::new();
        let c = validate_placement(&w.input(), &w.choices(), None, id).unwrap();
        assert_eq!(c.placement.id, id);
        assert_eq!(c.placement.company, w.companies[0].id);
        assert_eq!(c.placement.tutor, w.tutors[0].id);
        assert_eq!(c.placement.start, d("2026-03-02"));
        assert_eq!(c.placement.end, d("2026-03-27"));
        assert_eq!(
            c.placement.objectives,
            vec!["Câbler un tableau", "Poser des prises"]
        );
        assert_eq!((c.company, c.tutor), (None, None));
    }

    #[test]
    fn a_new_company_and_tutor_are_made_together() {
        let w = World::new();
        let mut input = w.input();
        new_company(&mut input);
        let c = validate_placement(&input, &w.choices(), None, PlacementId::new()).unwrap();
        let company = c.company.unwrap();
        let tutor = c.tutor.unwrap();
        assert_eq!(company.name, "Ateliers Réunis");
        assert_eq!(company.siret.as_deref(), Some("73282932000074"));
        assert_eq!(tutor.company, company.id);
        assert_eq!(c.placement.company, company.id);
        assert_eq!(c.placement.tutor, tutor.id);
        assert_eq!(tutor.phone.as_deref(), Some("+33 6.12.34.56.78"));
        assert_eq!(tutor.job_title, "");
        // Left empty, the selects follow what was typed.
        input.company.clear();
        input.tutor.clear();
        assert!(validate_placement(&input, &w.choices(), None, PlacementId::new()).is_ok());
    }

    #[test]
    fn a_tutor_of_another_company_is_refused() {
        let w = World::new();
        let mut input = w.input();
        input.tutor = w.tutors[1].id.to_string();
        let e = validate_placement(&input, &w.choices(), None, PlacementId::new()).unwrap_err();
        let m = e.get("tutor").unwrap();
        assert!(
            m.contains("Grégoire d'Arçais est tuteur chez « Domotique Atlantique »"),
            "{m}"
        );
        // Nor can an existing tutor follow a new company.
        new_company(&mut input);
        input.tutor = w.tutors[0].id.to_string();
        input.tutor_first_name.clear();
        input.tutor_last_name.clear();
        input.tutor_email.clear();
        input.tutor_phone.clear();
        let e = validate_placement(&input, &w.choices(), None, PlacementId::new()).unwrap_err();
        assert!(e.get("tutor").is_some());
    }

    #[test]
    fn every_missing_or_wrong_field_is_named() {
        let w = World::new();
        let e = validate_placement(
            &PlacementInput::default(),
            &w.choices(),
            None,
            PlacementId::new(),
        )
        .unwrap_err();
        for f in ["student", "company", "tutor", "referent", "start", "end"] {
            assert!(e.get(f).is_some(), "{f}");
        }
        let mut input = w.input();
        new_company(&mut input);
        input.company_name = String::new();
        input.company_siret = "732 829 320 00075".into();
        input.tutor_email = "noe@".into();
        input.tutor_phone = "06-12-34".into();
        input.tutor_last_name = "x".repeat(101);
        input.start = "31/02/2026".into();
        let e = validate_placement(&input, &w.choices(), None, PlacementId::new()).unwrap_err();
        for f in [
            "company_name",
            "company_siret",
            "tutor_email",
            "tutor_phone",
            "tutor_last_name",
            "start",
        ] {
            assert!(e.get(f).is_some(), "{f}");
        }
        assert!(e.get("company_siret").unwrap().contains("clé de contrôle"));
        input.company_siret = "1234".into();
        let e = validate_placement(&input, &w.choices(), None, PlacementId::new()).unwrap_err();
        assert!(e.get("company_siret").unwrap().contains("14 chiffres"));
    }

    #[test]
    fn dates_must_be_in_order_and_not_too_far_apart() {
        let w = World::new();
        let mut input = w.input();
        input.start = "2026-03-27".into();
        input.end = "2026-03-02".into();
        let e = validate_placement(&input, &w.choices(), None, PlacementId::new()).unwrap_err();
        assert!(e.get("end").unwrap().contains("avant le premier"));
        // 26 weeks exactly pass; one more day is refused (here a year typed wrong).
        input.start = "2026-01-05".into();
        input.end = "2026-07-05".into();
        assert!(validate_placement(&input, &w.choices(), None, PlacementId::new()).is_ok());
        input.end = "2026-07-06".into();
        let e = validate_placement(&input, &w.choices(), None, PlacementId::new()).unwrap_err();
        assert!(e.get("end").unwrap().contains("27 semaines"));
        input.start = "2026-03-02".into();
        input.end = "2027-03-27".into();
        assert!(validate_placement(&input, &w.choices(), None, PlacementId::new()).is_err());
    }

    #[test]
    fn a_company_typed_while_another_is_picked_is_ambiguous() {
        let w = World::new();
        let mut input = w.input();
        input.company_name = "Ateliers Réunis".into();
        let e = validate_placement(&input, &w.choices(), None, PlacementId::new()).unwrap_err();
        assert!(e.get("company").unwrap().contains("Nouvelle entreprise"));
        // And a "new" company that already exists is pointed to.
        let mut input = w.input();
        new_company(&mut input);
        input.company_name = "ELECTRICITE generale du val".into();
        input.company_city = "44300 nantes".into();
        let e = validate_placement(&input, &w.choices(), None, PlacementId::new()).unwrap_err();
        assert!(e.get("company_name").unwrap().contains("déjà enregistrée"));
    }

    #[test]
    fn editing_corrects_the_current_company_and_tutor_only() {
        let w = World::new();
        let stored = validate_placement(&w.input(), &w.choices(), None, PlacementId::new())
            .unwrap()
            .placement;
        let editing = Editing {
            placement: &stored,
            student_locked: false,
        };
        let mut input = PlacementInput::from_records(&stored, &w.companies[0], &w.tutors[0]);
        // Unchanged: nothing to write besides the placement.
        let c = validate_placement(&input, &w.choices(), Some(editing), stored.id).unwrap();
        assert_eq!(c.placement, stored);
        assert_eq!((c.company, c.tutor), (None, None));
        // Corrected details update the records, keeping their ids.
        input.tutor_phone = "02 40 00 00 09".into();
        input.company_siret = "73282932000074".into();
        let c = validate_placement(&input, &w.choices(), Some(editing), stored.id).unwrap();
        assert_eq!(c.tutor.unwrap().id, w.tutors[0].id);
        assert_eq!(c.company.unwrap().id, w.companies[0].id);
        // Another company picked: the details shown are ignored, its tutor is needed.
        input.company = w.companies[1].id.to_string();
        let e = validate_placement(&input, &w.choices(), Some(editing), stored.id).unwrap_err();
        assert!(e.get("tutor").is_some());
        input.tutor = w.tutors[1].id.to_string();
        let c = validate_placement(&input, &w.choices(), Some(editing), stored.id).unwrap();
        assert_eq!(c.placement.tutor, w.tutors[1].id);
        assert_eq!((c.company, c.tutor), (None, None));
        // A student with a logbook keeps it.
        input.student = w.students[1].id.to_string();
        let locked = Editing {
            student_locked: true,
            ..editing
        };
        assert!(validate_placement(&input, &w.choices(), Some(editing), stored.id).is_ok());
        let e = validate_placement(&input, &w.choices(), Some(locked), stored.id).unwrap_err();
        assert!(e.get("student").unwrap().contains("reste à son élève"));
    }

    #[test]
    fn overlapping_periods_of_the_same_student() {
        let w = World::new();
        let p = |student: StudentId, start: &str, end: &str| Placement {
            id: PlacementId::new(),
            student,
            company: w.companies[0].id,
            tutor: w.tutors[0].id,
            referent: w.teachers[0].id,
            start: d(start),
            end: d(end),
            objectives: vec![],
        };
        let (a, b) = (w.students[0].id, w.students[1].id);
        let existing = vec![
            p(a, "2026-03-02", "2026-03-27"),
            p(a, "2026-05-04", "2026-05-29"),
            p(b, "2026-03-02", "2026-03-27"),
        ];
        let found = overlaps(&existing, a, d("2026-03-27"), d("2026-04-10"), None);
        assert_eq!(found, vec![&existing[0]]);
        assert!(overlaps(&existing, a, d("2026-03-28"), d("2026-05-03"), None).is_empty());
        let both = overlaps(&existing, a, d("2026-03-01"), d("2026-06-01"), None);
        assert_eq!(both.len(), 2);
        let except = overlaps(
            &existing,
            a,
            d("2026-03-01"),
            d("2026-06-01"),
            Some(existing[0].id),
        );
        assert_eq!(except, vec![&existing[1]]);
        // Accepting one overlap does not accept another.
        let input = PlacementInput {
            overlap_ok: overlap_value(&found),
            ..PlacementInput::default()
        };
        assert!(input.accepts(&found));
        assert!(!input.accepts(&both));
        assert!(PlacementInput::default().accepts(&[]));
    }

    #[test]
    fn an_edit_asks_again_only_for_a_new_overlap() {
        let w = World::new();
        let p = |student: StudentId, start: &str, end: &str| Placement {
            id: PlacementId::new(),
            student,
            company: w.companies[0].id,
            tutor: w.tutors[0].id,
            referent: w.teachers[0].id,
            start: d(start),
            end: d(end),
            objectives: vec![],
        };
        let (a, b) = (w.students[0].id, w.students[1].id);
        let first = p(a, "2026-03-02", "2026-03-27");
        let later = p(a, "2026-05-04", "2026-05-29");
        let second = p(a, "2026-03-23", "2026-04-10");
        let existing = vec![first.clone(), later.clone(), second.clone()];
        // Declaring: every overlap is to confirm.
        let fresh = Placement {
            id: PlacementId::new(),
            ..second.clone()
        };
        assert_eq!(
            overlaps_to_confirm(&existing, &fresh, None),
            vec![&first, &second]
        );
        // Editing either one without touching the dates: nothing to confirm.
        let other_referent = |x: &Placement| Placement {
            referent: TeacherId::new(),
            objectives: vec!["Câbler".into()],
            ..x.clone()
        };
        for x in [&first, &second] {
            assert!(overlaps_to_confirm(&existing, &other_referent(x), Some(x)).is_empty());
        }
        // New dates meeting only the period already met: nothing either.
        let shorter = Placement {
            end: d("2026-04-03"),
            ..second.clone()
        };
        assert!(overlaps_to_confirm(&existing, &shorter, Some(&second)).is_empty());
        // New dates meeting another period: every overlap is listed again.
        let longer = Placement {
            end: d("2026-05-08"),
            ..second.clone()
        };
        assert_eq!(
            overlaps_to_confirm(&existing, &longer, Some(&second)),
            vec![&first, &later]
        );
        // Another student: that student's overlaps are new.
        let theirs = p(b, "2026-03-02", "2026-03-27");
        let existing_b = vec![theirs.clone(), first.clone()];
        let moved = Placement {
            student: b,
            ..first.clone()
        };
        assert_eq!(
            overlaps_to_confirm(&existing_b, &moved, Some(&first)),
            vec![&theirs]
        );
    }

    #[test]
    fn siret_and_phone_rules() {
        assert!(is_valid_siret("73282932000074"));
        assert!(is_valid_siret("00000000000018"));
        assert!(!is_valid_siret("73282932000075"));
        assert!(!is_valid_siret("7328293200007"));
        // La Poste: Luhn, or a digit sum that is a multiple of 5.
        assert!(is_valid_siret("35600000000048"));
        assert!(is_valid_siret("35600000000015"));
        assert!(!is_valid_siret("35600000000016"));
        assert!(!is_valid_siret("35700000000015"));
        assert!(is_plausible_phone("06 12 34 56 78"));
        assert!(is_plausible_phone("+33 6.12.34.56.78"));
        assert!(!is_plausible_phone("06 12"));
        assert!(!is_plausible_phone("06-12-34-56-78"));
        assert!(!is_plausible_phone("06 12 + 34 56 78"));
    }

    #[test]
    fn too_many_or_too_long_objectives() {
        let w = World::new();
        let mut input = w.input();
        input.objectives = "objectif\n".repeat(MAX_OBJECTIVES + 1);
        let e = validate_placement(&input, &w.choices(), None, PlacementId::new()).unwrap_err();
        assert!(e.get("objectives").unwrap().contains("31 objectifs"));
        input.objectives = format!("court\n{}", "é".repeat(OBJECTIVE_MAX_CHARS + 1));
        let e = validate_placement(&input, &w.choices(), None, PlacementId::new()).unwrap_err();
        assert!(e.get("objectives").unwrap().contains("n° 2"));
        assert_eq!(
            objective_lines("-sans espace\n- avec"),
            vec!["-sans espace", "avec"]
        );
    }
}
