//! The demo school (`livret serve --demo`): fictional people with French names (some
//! with accents and apostrophes), one Bac Pro MELEC class, two companies with a tutor
//! each, a referent teacher, a coordinator, a placement running today with a week of
//! logbook entries and two activity sheets, and (issue 5) Maël's competency record:
//! school evaluations, company reviews and two published interim reviews; (issue 8) the
//! attendance of his first placement, confirmed by its tutor.
//!
//! Dates are placed relative to today, so the demo is "live" whatever the day.

use crate::auth;
use crate::domain::*;
use crate::error::Result;
use crate::store::SchoolSeed;
use crate::web::State;
use jiff::civil::{Date, Weekday};
use jiff::{Timestamp, ToSpan};

/// UAI code of the demo school (fictional: no real school has it); tells the demo
/// store apart from a real one.
pub const DEMO_UAI: &str = "0999999Z";

fn days(d: Date, n: i64) -> Date {
    d.checked_add(n.days()).unwrap_or(d)
}

fn at(d: Date, hour: i8, clock_zone: &jiff::tz::TimeZone) -> Timestamp {
    d.at(hour, 0, 0, 0)
        .to_zoned_datetime(clock_zone.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Hours from a literal known to be valid (falls back to 0 h, never panics).
fn hours(s: &str) -> Hours {
    Hours::parse(s)
        .ok()
        .or(Hours::from_quarters(0))
        .unwrap_or_default()
}

/// Builds the demo school around `today` (in `zone`).
pub fn school(today: Date, zone: &jiff::tz::TimeZone) -> SchoolSeed {
    let monday = days(today, -i64::from(today.weekday().to_monday_zero_offset()));
    let start = days(monday, -7);
    let end = days(start, 25); // Friday of the fourth week.

    let school = School {
        id: SchoolId::new(),
        name: "Lycée professionnel Jules-Verne (démonstration)".into(),
        uai: DEMO_UAI.into(),
        address: "12 rue de l'Exemple".into(),
        city: "44000 Nantes".into(),
    };
    let class = Class {
        id: ClassId::new(),
        name: "1MELEC".into(),
        diploma: "bacpro-melec".into(),
        year: CycleYear::Premiere,
    };
    let student = |first: &str, last: &str, birth: (i16, i8, i8), ine: &str| Student {
        id: StudentId::new(),
        class: class.id,
        name: PersonName::new(first, last),
        birth_date: Date::new(birth.0, birth.1, birth.2).ok(),
        ine: Some(ine.into()),
        email: None,
        active: true,
    };
    let mael = student("Maël", "Ferrand", (2009, 3, 14), "123456789AB");
    let eloise = student("Éloïse", "N'Diaye", (2009, 7, 2), "123456790CD");
    let francois = student("François", "Lefèvre", (2008, 12, 21), "123456791EF");
    let anais = student("Anaïs", "Benoît", (2009, 5, 9), "123456792GH");
    let referent = Teacher {
        id: TeacherId::new(),
        name: PersonName::new("Sébastien", "Roussel"),
        email: Some("sebastien.roussel@lycee-demo.invalid".into()),
        active: true,
    };
    let coordinator = Coordinator {
        id: CoordinatorId::new(),
        name: PersonName::new("Béatrice", "Lhôte"),
        email: Some("ddfpt@lycee-demo.invalid".into()),
        active: true,
    };
    let elec = Company {
        id: CompanyId::new(),
        name: "Électricité Générale du Val".into(),
        address: "8 avenue des Artisans".into(),
        city: "44300 Nantes".into(),
        siret: Some("00000000000018".into()),
    };
    let domo = Company {
        id: CompanyId::new(),
        name: "Domotique & Réseaux Atlantique".into(),
        address: "ZA de la Lande, 3 rue Ampère".into(),
        city: "44800 Saint-Herblain".into(),
        siret: Some("00000000000026".into()),
    };
    let helene = Tutor {
        id: TutorId::new(),
        company: elec.id,
        name: PersonName::new("Hélène", "Caillé"),
        job_title: "Cheffe d'équipe électricienne".into(),
        email: Some("helene.caille@egv-demo.invalid".into()),
        phone: Some("02 40 00 00 01".into()),
    };
    let gregoire = Tutor {
        id: TutorId::new(),
        company: domo.id,
        name: PersonName::new("Grégoire", "d'Arçais"),
        job_title: "Responsable de chantier".into(),
        email: Some("g.darcais@dra-demo.invalid".into()),
        phone: Some("02 40 00 00 02".into()),
    };
    let placement_mael = Placement {
        id: PlacementId::new(),
        student: mael.id,
        company: elec.id,
        tutor: helene.id,
        referent: referent.id,
        start,
        end,
        objectives: vec![
            "Découvrir l'organisation d'une entreprise d'électricité générale et ses règles de sécurité.".into(),
            "Participer à la réalisation d'une installation en logement neuf (saignées, tirage de câbles, pose d'appareillage).".into(),
            "Raccorder un tableau de répartition sous la conduite du tuteur et participer aux contrôles avant mise sous tension.".into(),
            "Rendre compte chaque jour de son activité dans le journal de bord.".into(),
        ],
    };
    let placement_eloise = Placement {
        id: PlacementId::new(),
        student: eloise.id,
        company: domo.id,
        tutor: gregoire.id,
        referent: referent.id,
        start,
        end,
        objectives: vec![
            "Participer à l'installation d'un réseau de communication dans un local tertiaire."
                .into(),
            "Paramétrer des équipements domotiques sous la conduite du tuteur.".into(),
        ],
    };
    let placement_francois = Placement {
        id: PlacementId::new(),
        student: francois.id,
        company: elec.id,
        tutor: helene.id,
        referent: referent.id,
        start: days(monday, 21),
        end: days(monday, 21 + 25),
        objectives: vec![
            "Objectifs à préciser avec le tuteur lors de la visite de début de période.".into(),
        ],
    };

    let week: Vec<Date> = (1..=10)
        .map(|n| days(today, -n))
        .filter(|d| !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && *d >= start)
        .take(5)
        .collect();
    let texts = [
        (
            "Accueil par Mme Caillé, présentation de l'équipe et des règles de sécurité. Visite du chantier (logement neuf, 4 pièces). Rangement du véhicule atelier.",
            "J'ai reçu mes EPI (chaussures, gants, lunettes). Le chantier est à 20 minutes du dépôt.",
        ),
        (
            "Traçage et réalisation des saignées dans les cloisons du séjour. Pose des boîtes d'encastrement.",
            "Difficile de garder les saignées bien droites : il faut tracer au niveau laser.",
        ),
        (
            "Tirage des câbles des circuits prises et éclairage de la cuisine ; repérage des conducteurs.",
            "",
        ),
        (
            "Pose des goulottes dans le garage. Fixation du coffret de communication avec l'électricien.",
            "J'ai appris à lire le plan d'implantation.",
        ),
        (
            "Remplacement d'un interrupteur différentiel défectueux chez un client, avec Mme Caillé : consignation, dépose, pose, essais.",
            "Première intervention chez un client : bien expliquer ce qu'on fait.",
        ),
    ];
    let mut logbook = Vec::new();
    for (i, d) in week.iter().rev().enumerate() {
        let (tasks, notes) = texts[i % texts.len()];
        logbook.push(LogbookEntry {
            id: LogbookEntryId::new(),
            placement: placement_mael.id,
            date: *d,
            hours: hours(if i == 0 { "7" } else { "7h30" }),
            tasks: tasks.into(),
            notes: notes.into(),
            created_at: at(*d, 18, zone),
            updated_at: None,
        });
    }
    for d in week.iter().take(2) {
        logbook.push(LogbookEntry {
            id: LogbookEntryId::new(),
            placement: placement_eloise.id,
            date: *d,
            hours: hours("7"),
            tasks: "Pose de prises RJ45 et brassage de la baie de communication.".into(),
            notes: String::new(),
            created_at: at(*d, 17, zone),
            updated_at: None,
        });
    }

    let last = week.first().copied().unwrap_or(start);
    let earlier = week.get(2).copied().unwrap_or(start);
    let submitted_at = at(last, 19, zone);
    let mut sheets = vec![
        ActivitySheet {
            id: ActivitySheetId::new(),
            placement: placement_mael.id,
            title: "Remplacement d'un interrupteur différentiel".into(),
            date: last,
            context: "Intervention de dépannage chez un particulier : le différentiel 30 mA du tableau déclenchait sans raison apparente et ne se réarmait plus.".into(),
            work_done: "Avec ma tutrice, nous avons consigné le tableau, vérifié l'absence de tension, identifié l'appareil défectueux puis l'avons déposé. J'ai posé le nouvel interrupteur différentiel (même calibre et même type), resserré les connexions, puis nous avons remis sous tension et testé le déclenchement avec le bouton test.".into(),
            tools: "VAT, tournevis isolés, cadenas de consignation, interrupteur différentiel 40 A 30 mA type A.".into(),
            competencies: vec!["C8".into(), "C9".into()],
            criteria: vec!["C8.3".into(), "C9.1".into(), "C9.2".into(), "C9.4".into(), "C9.5".into()],
            status: SheetStatus::Submitted,
            tutor_comment: None,
            created_at: submitted_at,
            updated_at: submitted_at,
            submitted_at: Some(submitted_at),
        },
        ActivitySheet {
            id: ActivitySheetId::new(),
            placement: placement_mael.id,
            title: "Tirage de câbles et pose de goulottes".into(),
            date: earlier,
            context: "Logement neuf, garage et cuisine.".into(),
            work_done: "Tirage des câbles des circuits de la cuisine, repérage des conducteurs, pose de goulottes dans le garage.".into(),
            tools: "Aiguille tire-fil, perceuse, niveau laser.".into(),
            competencies: vec!["C4".into()],
            criteria: vec!["C4.1".into(), "C4.2".into()],
            status: SheetStatus::Draft,
            tutor_comment: None,
            created_at: at(earlier, 20, zone),
            updated_at: at(earlier, 20, zone),
            submitted_at: None,
        },
    ];

    // Maël's first placement, last school year, reviewed with Grégoire d'Arçais.
    let placement_mael_first = Placement {
        id: PlacementId::new(),
        student: mael.id,
        company: domo.id,
        tutor: gregoire.id,
        referent: referent.id,
        start: days(monday, -203),
        end: days(monday, -203 + 25),
        objectives: vec![
            "Découvrir le métier d'installateur en réseaux et domotique.".into(),
            "Participer au tirage et au raccordement de câbles de communication.".into(),
        ],
    };
    let first_day = days(placement_mael_first.start, 8);
    let seen = at(days(first_day, 1), 9, zone);
    sheets.push(ActivitySheet {
        id: ActivitySheetId::new(),
        placement: placement_mael_first.id,
        title: "Pose de prises RJ45 et brassage d'une baie".into(),
        date: first_day,
        context: "Bureaux d'une agence immobilière : 12 postes de travail à câbler.".into(),
        work_done: "Pose et raccordement de prises RJ45 catégorie 6, repérage, brassage de la baie, tests de continuité avec le testeur de câbles.".into(),
        tools: "Outil d'insertion, testeur de câbles, étiqueteuse.".into(),
        competencies: vec!["C4".into(), "C10".into()],
        criteria: vec!["C4.1".into(), "C10.1".into()],
        status: SheetStatus::SeenByTutor,
        tutor_comment: Some(TutorComment {
            text: "Travail propre et bien repéré. Penser à ranger le poste en fin de journée.".into(),
            tutor: gregoire.id,
            at: seen,
        }),
        created_at: at(first_day, 18, zone),
        updated_at: at(first_day, 18, zone),
        submitted_at: Some(at(first_day, 18, zone)),
    });
    let record = competency_record(&Record {
        today,
        zone,
        student: mael.id,
        referent: referent.id,
        first: &placement_mael_first,
        current: &placement_mael,
    });
    // Issue 8: Maël's first placement has its attendance recorded and confirmed by
    // Grégoire d'Arçais, so that the demo shows a filled certificate.
    let attendance_mael_first = first_attendance(&placement_mael_first, &gregoire, zone);

    SchoolSeed {
        school: Some(school),
        classes: vec![class],
        students: vec![mael, eloise, francois, anais],
        teachers: vec![referent],
        coordinators: vec![coordinator],
        companies: vec![elec, domo],
        tutors: vec![helene, gregoire],
        placements: vec![
            placement_mael,
            placement_eloise,
            placement_francois,
            placement_mael_first,
        ],
        logbook,
        sheets,
        evaluations: record.0,
        company_reviews: record.1,
        interim_reviews: record.2,
        attendances: vec![attendance_mael_first],
    }
}

/// The attendance of a finished placement `p` (issue 8): every weekday present for 7 h
/// but one justified half-day absence (3 h 30 present) in the second week, weekends
/// « pas de PFMP » (so that no day is blank), recorded
/// and confirmed by `tutor` on the last day.
fn first_attendance(
    p: &Placement,
    tutor: &Tutor,
    zone: &jiff::tz::TimeZone,
) -> attendance::Attendance {
    use attendance::{AttendanceConfirmation, AttendanceDay, DayKind};
    let dates = attendance::form_days(p.start, p.end);
    // The eighth weekday: the second week's Wednesday.
    let half_day = dates
        .iter()
        .filter(|d| !attendance::is_weekend(**d))
        .nth(7)
        .copied();
    let days = dates
        .into_iter()
        .map(|date| {
            if attendance::is_weekend(date) {
                AttendanceDay {
                    date,
                    kind: DayKind::Off,
                    presence: Hours::default(),
                    reason: String::new(),
                    justified: false,
                }
            } else if Some(date) == half_day {
                AttendanceDay {
                    date,
                    kind: DayKind::HalfDayAbsence,
                    presence: attendance::default_half_day_hours(),
                    reason: "Rendez-vous médical".into(),
                    justified: true,
                }
            } else {
                AttendanceDay {
                    date,
                    kind: DayKind::Present,
                    presence: attendance::default_day_hours(),
                    reason: String::new(),
                    justified: false,
                }
            }
        })
        .collect();
    attendance::Attendance {
        placement: p.id,
        days,
        gratification_cents: None,
        revision: 1,
        updated_at: at(p.end, 16, zone),
        updated_by: Subject::Tutor(tutor.id),
        confirmation: Some(AttendanceConfirmation {
            tutor: tutor.id,
            name: tutor.name.clone(),
            job_title: tutor.job_title.clone(),
            at: at(p.end, 17, zone),
            revision: 1,
            start: p.start,
            end: p.end,
        }),
    }
}

/// What [`competency_record`] builds on.
struct Record<'a> {
    today: Date,
    zone: &'a jiff::tz::TimeZone,
    student: StudentId,
    referent: TeacherId,
    first: &'a Placement,
    current: &'a Placement,
}

/// Maël's competency record over the last ten months (issue 5): nine school
/// evaluations at the three levels with all six results, a finalised company review of
/// his first placement, an open one on the current placement, and two published
/// interim reviews whose positionings and grades are the ones Livret suggests from the
/// evaluations before each.
type CompetencyRecord = (Vec<Evaluation>, Vec<CompanyReview>, Vec<InterimReview>);

/// One planned evaluation: days from today when created and last changed, level,
/// title, competencies, and the results cycled over their criteria.
type Planned = (
    i64,
    i64,
    Complexity,
    &'static str,
    &'static [&'static str],
    &'static [CriterionResult],
);

fn competency_record(r: &Record<'_>) -> CompetencyRecord {
    use CriterionResult::*;
    let Some(melec) = crate::referential::shipped()
        .ok()
        .and_then(|all| all.into_iter().find(|x| x.code == "bacpro-melec"))
    else {
        return (Vec::new(), Vec::new(), Vec::new());
    };
    let when = |n: i64, hour: i8| at(days(r.today, n), hour, r.zone);
    // (days from today: created, last changed; level; title; competencies; results
    // cycled over their criteria)
    let plan: [Planned; 9] = [
        (
            -300,
            -300,
            Complexity::Discovery,
            "TP 1 — Câblage d'un va-et-vient",
            &["C4", "C7"],
            &[Partial, NotAchieved, AchievedWithHelp],
        ),
        (
            -285,
            -285,
            Complexity::Discovery,
            "TP 2 — Lecture de plans et de schémas",
            &["C1", "C2"],
            &[AchievedWithHelp, Partial, NotAssessable],
        ),
        (
            -255,
            -250,
            Complexity::Intermediate,
            "TP 3 — Tableau de chantier",
            &["C4", "C5"],
            &[AchievedWithHelp, Partial, AchievedAutonomously, Absent],
        ),
        (
            -220,
            -220,
            Complexity::Intermediate,
            "TP 4 — Mesures et contrôles avant mise sous tension",
            &["C5", "C7"],
            &[AchievedWithHelp, AchievedAutonomously, Partial],
        ),
        (
            -150,
            -150,
            Complexity::Intermediate,
            "TP 5 — Échanger avec un client sur son installation",
            &["C12", "C13"],
            &[AchievedAutonomously, AchievedWithHelp],
        ),
        (
            -120,
            -118,
            Complexity::BacPro,
            "Épreuve blanche — analyse et organisation d'une opération",
            &["C1", "C2", "C3"],
            &[
                AchievedWithHelp,
                AchievedAutonomously,
                Partial,
                AchievedAutonomously,
            ],
        ),
        (
            -90,
            -90,
            Complexity::BacPro,
            "TP 7 — Diagnostic d'un dysfonctionnement",
            &["C8", "C11"],
            &[Partial, AchievedWithHelp, NotAchieved],
        ),
        (
            -45,
            -30,
            Complexity::BacPro,
            "TP 8 — Réseau de communication (VDI)",
            &["C6", "C10"],
            &[AchievedAutonomously, AchievedWithHelp, AchievedAutonomously],
        ),
        (
            -20,
            -20,
            Complexity::Intermediate,
            "TP 9 — Remplacement d'un matériel électrique",
            &["C9", "C4"],
            &[
                AchievedAutonomously,
                Absent,
                AchievedWithHelp,
                NotAssessable,
            ],
        ),
    ];
    let scores = |codes: &[&str], cycle: &[CriterionResult]| -> Vec<CriterionScore> {
        melec
            .competencies
            .iter()
            .filter(|c| codes.contains(&c.code.as_str()))
            .flat_map(|c| c.criteria.iter())
            .zip(cycle.iter().cycle())
            .map(|(k, res)| CriterionScore {
                criterion: k.code.clone(),
                result: *res,
            })
            .collect()
    };
    let evaluations: Vec<Evaluation> = plan
        .iter()
        .map(
            |(created, changed, level, title, codes, cycle)| Evaluation {
                id: EvaluationId::new(),
                student: r.student,
                referential: melec.code.clone(),
                context: Context::School,
                complexity: *level,
                title: (*title).into(),
                author: r.referent,
                results: scores(codes, cycle),
                created_at: when(*created, 10),
                updated_at: when(*changed, 16),
            },
        )
        .collect();

    let first_end = r.first.end;
    let finalised_at = at(first_end, 15, r.zone);
    let first_review = CompanyReview {
        id: EvaluationId::new(),
        placement: r.first.id,
        student: r.student,
        referential: melec.code.clone(),
        criteria: Vec::new(),
        results: scores(&["C4", "C9", "C10", "C12"], &[AchievedWithHelp, AchievedAutonomously, Partial, AchievedWithHelp]),
        comment: "Élève ponctuel et curieux, qui pose les bonnes questions. Doit gagner en rigueur dans le repérage des conducteurs.".into(),
        status: CompanyReviewStatus::Finalised {
            referent: r.referent,
            tutor: r.first.tutor,
            at: finalised_at,
        },
        prepared_by: r.referent,
        created_at: at(days(first_end, -10), 9, r.zone),
        updated_at: finalised_at,
        revisions: Vec::new(),
    };
    let first_review = CompanyReview {
        criteria: first_review
            .results
            .iter()
            .map(|s| s.criterion.clone())
            .collect(),
        ..first_review
    };
    let current_criteria: Vec<String> = [
        "C4.1", "C4.2", "C8.3", "C9.1", "C9.2", "C9.4", "C9.5", "C12.1",
    ]
    .iter()
    .filter(|c| melec.criterion(c).is_some())
    .map(|c| (*c).to_string())
    .collect();
    let current_review = CompanyReview {
        id: EvaluationId::new(),
        placement: r.current.id,
        student: r.student,
        referential: melec.code.clone(),
        criteria: current_criteria,
        results: Vec::new(),
        comment: String::new(),
        status: CompanyReviewStatus::Open,
        prepared_by: r.referent,
        created_at: when(-2, 11),
        updated_at: when(-2, 11),
        revisions: Vec::new(),
    };
    let reviews = vec![first_review, current_review];

    // Two interim reviews, each positioned as Livret suggests from what came before.
    let cols = crate::domain::dashboard::columns(&evaluations, &reviews);
    let mut interim = Vec::new();
    let mut previous = None;
    let texts = [
        (
            -240,
            "Maël s'investit en atelier et progresse dans la lecture des schémas. Les mesures sont encore hésitantes.",
            "Revoir les procédures de consignation et les appareils de mesure ; relire ses schémas avant de câbler.",
        ),
        (
            -60,
            "Bonne période en entreprise, appréciée du tuteur. Progrès nets en analyse et en organisation ; le diagnostic reste fragile.",
            "S'entraîner au diagnostic avec une démarche écrite ; soigner les documents de fin d'intervention.",
        ),
    ];
    for (n, findings, advice) in texts {
        let cut = when(n, 17);
        let recent: Vec<_> = cols
            .iter()
            .filter(|c| c.at <= cut && previous.is_none_or(|p| c.at > p))
            .cloned()
            .collect();
        interim.push(InterimReview {
            id: InterimReviewId::new(),
            student: r.student,
            referential: melec.code.clone(),
            date: days(r.today, n),
            findings: findings.into(),
            advice: advice.into(),
            positionings: crate::domain::interim_review::suggest(&melec, &recent),
            grade: crate::domain::interim_review::suggest_grade(&melec, &recent),
            author: r.referent,
            considered_until: cut,
            published: Some(Publication {
                at: cut,
                by: r.referent,
            }),
            created_at: when(n - 1, 17),
            updated_at: cut,
        });
        previous = Some(cut);
    }
    (evaluations, reviews, interim)
}

/// `--demo`: fills an empty store with the demo school, then issues a fresh link for
/// every demo person (earlier demo links stop working) and returns one line each:
/// `<role> <full name>: <url>`. Students, teachers and coordinators get a single-use,
/// seven-day invitation ([`auth::issue_invitation`]), which leads to creating a passkey
/// (issue 7, item 8); tutors get their personal link, which may be opened again. On a
/// store holding a real school it refuses to touch anything and returns no line.
///
/// # Errors
/// Store failure.
pub async fn prepare(state: &State) -> Result<Vec<String>> {
    let store = &state.store;
    if store.is_empty()? {
        let seed = school(state.clock.today(), state.clock.zone());
        store.seed(&seed).await?;
        tracing::info!("établissement de démonstration créé");
    }
    let Some(school) = store.school()? else {
        return Ok(Vec::new());
    };
    if school.uai != DEMO_UAI {
        tracing::warn!(
            "--demo ignoré : ce répertoire de données contient un établissement réel ({})",
            school.name
        );
        return Ok(Vec::new());
    }
    let mut people: Vec<(Subject, PersonName)> = Vec::new();
    for class in store.classes()? {
        for s in store.students_of_class(class.id)? {
            people.push((Subject::Student(s.id), s.name));
        }
    }
    for t in store.tutors()? {
        people.push((Subject::Tutor(t.id), t.name));
    }
    for t in store.teachers()? {
        people.push((Subject::Teacher(t.id), t.name));
    }
    for c in store.coordinators()? {
        people.push((Subject::Coordinator(c.id), c.name));
    }
    let mut lines = Vec::new();
    for (subject, name) in people {
        let secret = match subject {
            Subject::Tutor(_) => auth::issue_link(store, &state.clock, subject).await?,
            _ => auth::issue_invitation(store, &state.clock, subject).await?,
        };
        lines.push(format!(
            "{} {}: {}/acces/{secret}",
            subject.role_label(),
            name.full(),
            state.config.public_url
        ));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_demo_shows_every_part_of_the_dashboard() {
        let seed = school(Date::constant(2026, 11, 29), &jiff::tz::TimeZone::UTC);
        assert!(seed.evaluations.len() >= 8);
        let results: HashSet<CriterionResult> = seed
            .evaluations
            .iter()
            .flat_map(|e| e.results.iter().map(|s| s.result))
            .collect();
        assert_eq!(results.len(), 6, "all six results");
        let levels: HashSet<Complexity> = seed.evaluations.iter().map(|e| e.complexity).collect();
        assert_eq!(levels.len(), 3, "D, Int and Ba");
        assert_eq!(
            seed.company_reviews
                .iter()
                .filter(|r| r.is_finalised())
                .count(),
            1
        );
        assert_eq!(
            seed.interim_reviews
                .iter()
                .filter(|r| r.published.is_some())
                .count(),
            2
        );
        let cols = crate::domain::dashboard::columns(&seed.evaluations, &seed.company_reviews);
        let cut = crate::domain::interim_review::considered_until(&seed.interim_reviews);
        let line = crate::domain::dashboard::line_position(&cols, cut);
        // Two evaluations came after the last review: the line is not at either end.
        assert_eq!(line, Some(cols.len() - 2));
        assert!(
            seed.interim_reviews
                .iter()
                .all(|r| r.positionings.len() == 13 && r.grade.is_some())
        );
    }

    #[test]
    fn the_demo_has_a_confirmed_attendance_with_a_justified_half_day() {
        let seed = school(Date::constant(2026, 11, 29), &jiff::tz::TimeZone::UTC);
        assert_eq!(seed.attendances.len(), 1);
        let a = &seed.attendances[0];
        let p = seed
            .placements
            .iter()
            .find(|p| p.id == a.placement)
            .unwrap();
        assert!(p.end < Date::constant(2026, 11, 29), "a finished placement");
        assert!(a.confirmed(p).is_some());
        assert!(a.missing_days(p.start, p.end, p.end).is_empty());
        let t = a.totals(p.start, p.end);
        assert_eq!(t.full_days, 19);
        assert_eq!(t.half_day_absences, 1);
        assert_eq!(t.unjustified_half_days, 0);
        assert_eq!(t.presence_quarters, 19 * 28 + 14);
    }
}
