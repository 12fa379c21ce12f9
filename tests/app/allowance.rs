//! The PFMP allowance (issue 8, part 4): the coordinator's page, the daily rates
//! (defaults of the arrêté of 11 August 2023, changed and reset), and the payment CSV.

use crate::support::*;
use jiff::Timestamp;
use jiff::civil::{Date, date};
use livret::domain::attendance::{AttendanceDay, CheckedAttendance, DayKind};
use livret::domain::*;
use livret::store::SchoolSeed;

const PAGE: &str = "/coordination/allocations";
const RATE: &str = "/coordination/allocations/taux";

/// A class of its own, seeded beside the demo school.
struct Fixture {
    class: Class,
    /// Léa Martin: 5–30 January 2026, three days present, one with a half-day
    /// absence, one absent, the rest left blank (« saisie incomplète »).
    lea: PlacementId,
    /// A student named like a spreadsheet formula: 2–13 February 2026, nothing
    /// recorded.
    formula: PlacementId,
    /// Zoé Petit: 1 June 2025 (last school year: outside the default period), and 2–6
    /// March 2026 confirmed by the tutor (four days present, one absent).
    zoe_old: PlacementId,
    zoe: PlacementId,
    /// Yanis Sall: 16–20 February 2026, five days present, not confirmed.
    yanis: PlacementId,
    /// Inès Roux: 9–20 March 2026, not ended on the test clock's 11 March (three days
    /// present so far).
    ines: PlacementId,
}

fn student(class: ClassId, first: &str, last: &str) -> Student {
    Student {
        id: StudentId::new(),
        class,
        name: PersonName::new(first, last),
        birth_date: Some(date(2009, 4, 2)),
        ine: Some("070123456AB".into()),
        email: None,
        active: true,
    }
}

fn day(d: Date, kind: DayKind) -> AttendanceDay {
    let quarters = match kind {
        DayKind::Present => 28,
        DayKind::HalfDayAbsence => 14,
        DayKind::DayAbsence | DayKind::Off => 0,
    };
    AttendanceDay {
        date: d,
        kind,
        presence: Hours::from_quarters(quarters).unwrap(),
        reason: String::new(),
        justified: false,
    }
}

async fn seed(app: &App, name: &str, year: CycleYear) -> Fixture {
    let class = Class {
        id: ClassId::new(),
        name: name.into(),
        diploma: "bacpro-melec".into(),
        year,
    };
    let company = Company {
        id: CompanyId::new(),
        name: "Bœuf & Cie".into(),
        address: "3 rue des Halles".into(),
        city: "Nantes".into(),
        siret: Some("12345678900011".into()),
    };
    let lea = student(class.id, "Léa", "Martin");
    let formula = student(class.id, "Hugo", "=HYPERLINK(\"http://evil.example\")");
    let zoe = student(class.id, "Zoé", "Petit");
    let yanis = student(class.id, "Yanis", "Sall");
    let ines = student(class.id, "Inès", "Roux");
    let placement = |s: &Student, start: Date, end: Date| Placement {
        id: PlacementId::new(),
        student: s.id,
        company: company.id,
        tutor: app.w.helene,
        referent: app.w.referent,
        start,
        end,
        objectives: vec![],
    };
    let p_lea = placement(&lea, date(2026, 1, 5), date(2026, 1, 30));
    let p_formula = placement(&formula, date(2026, 2, 2), date(2026, 2, 13));
    let p_zoe_old = placement(&zoe, date(2025, 5, 19), date(2025, 6, 1));
    let p_zoe = placement(&zoe, date(2026, 3, 2), date(2026, 3, 6));
    let p_yanis = placement(&yanis, date(2026, 2, 16), date(2026, 2, 20));
    let p_ines = placement(&ines, date(2026, 3, 9), date(2026, 3, 20));
    let fixture = Fixture {
        class: class.clone(),
        lea: p_lea.id,
        formula: p_formula.id,
        zoe_old: p_zoe_old.id,
        zoe: p_zoe.id,
        yanis: p_yanis.id,
        ines: p_ines.id,
    };
    let zoe_placement = p_zoe.clone();
    let store = &app.state.store;
    store
        .seed(&SchoolSeed {
            classes: vec![class],
            students: vec![lea, formula, zoe, yanis, ines],
            companies: vec![company],
            placements: vec![p_lea, p_formula, p_zoe_old, p_zoe, p_yanis, p_ines],
            ..Default::default()
        })
        .await
        .unwrap();
    let by = Subject::Tutor(app.w.helene);
    let now: Timestamp = NOW.parse().unwrap();
    let record = |p: PlacementId, days: Vec<AttendanceDay>| async move {
        store
            .save_attendance(
                p,
                0,
                &CheckedAttendance {
                    days,
                    gratification_cents: None,
                },
                by,
                now,
            )
            .await
            .unwrap()
    };
    record(
        fixture.lea,
        vec![
            day(date(2026, 1, 5), DayKind::Present),
            day(date(2026, 1, 6), DayKind::Present),
            day(date(2026, 1, 7), DayKind::HalfDayAbsence),
            day(date(2026, 1, 8), DayKind::DayAbsence),
            day(date(2026, 1, 9), DayKind::Present),
        ],
    )
    .await;
    record(
        fixture.zoe_old,
        vec![day(date(2025, 5, 19), DayKind::Present)],
    )
    .await;
    record(
        fixture.zoe,
        (2..=6)
            .map(|d| {
                let kind = if d == 6 {
                    DayKind::DayAbsence
                } else {
                    DayKind::Present
                };
                day(date(2026, 3, d), kind)
            })
            .collect(),
    )
    .await;
    record(
        fixture.yanis,
        (16..=20)
            .map(|d| day(date(2026, 2, d), DayKind::Present))
            .collect(),
    )
    .await;
    record(
        fixture.ines,
        (9..=11)
            .map(|d| day(date(2026, 3, d), DayKind::Present))
            .collect(),
    )
    .await;
    let tutor = store.tutor(app.w.helene).unwrap().unwrap();
    let confirmed = store
        .confirm_attendance(&zoe_placement, &tutor, 1, now, today())
        .await
        .unwrap();
    assert!(
        matches!(confirmed, livret::store::ConfirmedAttendance::Confirmed(_)),
        "{confirmed:?}"
    );
    fixture
}

fn page_of(f: &Fixture) -> String {
    format!("{PAGE}?classe={}", f.class.id)
}

fn csv_of(f: &Fixture, from: &str, to: &str) -> String {
    format!("{PAGE}.csv?classe={}&du={from}&au={to}", f.class.id)
}

/// The CSV's rows without the byte order mark, split on CRLF.
fn csv_rows(body: &str) -> Vec<String> {
    body.trim_start_matches('\u{feff}')
        .split_terminator("\r\n")
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_lists_the_amounts_of_a_class_for_the_school_year() {
    let app = App::start().await;
    let f = seed(&app, "1ALLOC", CycleYear::Premiere).await;
    let coordinator = app.coordinator().await;
    let home = coordinator.get("/").await;
    home.expect(200).shows(&["Allocation PFMP"]);
    assert!(home.body.contains("href=\"/coordination/allocations\""));

    let page = coordinator.get(&page_of(&f)).await;
    page.expect(200).shows(&[
        "Allocation PFMP",
        "Classe 1ALLOC · du 01/09/2025 au 31/08/2026",
        "Forfait journalier : 15,00 € (Première)",
        "MARTIN Léa",
        "Bœuf & Cie",
        "05/01/2026",
        "30/01/2026",
        // Léa: 3 days (the half-day absence and the absence are not counted) × 15 €.
        "45,00 €",
        // Zoé: 4 days confirmed.
        "60,00 €",
        // Yanis: 5 days, not confirmed.
        "75,00 €",
        "confirmée par le tuteur",
        "saisie, non confirmée par le tuteur",
        "saisie incomplète (jours non renseignés)",
        "présence non saisie",
        // Inès's placement has not ended: listed, no amount, not in the totals.
        "ROUX Inès",
        "PFMP en cours",
        "pas de montant avant la fin de la période",
        // Totals: 4 ended placements, 12 days, 180 €; what is missing set apart.
        "<strong>180,00 €</strong> pour 4 périodes terminées · 12 jours effectués",
        "Et 1 période en cours ou à venir, sans montant avant sa fin.",
        "Avant de payer",
        "1 période n'a pas de présence saisie",
        "1 période a des jours non renseignés : le montant ne compte que les jours saisis.",
        "1 période a une présence saisie mais non confirmée par le tuteur",
        "Télécharger le CSV",
        "Télécharger les attestations (ZIP)",
        "Montants par défaut : arrêté du 11 août 2023 (CAP 1re année 10 €, 2e année 15 € ; Seconde 10 €, Première 15 €, Terminale 20 €). Les jours ayant donné lieu à une absence ne sont pas comptés.",
        "BTS : 0 € par défaut",
    ]);
    // Zoé's placement of last school year ends outside the period; Inès's three days
    // (3 × 15 €) are not counted.
    page.hides(&["01/06/2025", "45,00 €</strong> pour", "195,00 €"]);
    let ines = page
        .body
        .split("<tr>")
        .find(|r| r.contains("ROUX Inès"))
        .unwrap();
    assert!(
        ines.contains("PFMP en cours") && !ines.contains("45,00"),
        "{ines}"
    );
    assert!(page.body.contains(&stage(f.ines)));
    assert!(page.body.contains(&stage(f.yanis)));
    let q = format!("classe={}&amp;du=2025-09-01&amp;au=2026-08-31", f.class.id);
    assert!(page.body.contains(&format!("href=\"{PAGE}.csv?{q}\"")));
    assert!(
        page.body
            .contains(&format!("href=\"{PAGE}/attestations.zip?{q}\""))
    );
    assert!(
        page.body
            .contains(&format!("value=\"{}\" selected", f.class.id))
    );
    assert!(page.body.contains(&stage(f.formula)));

    // Another period: only the placement ending in February.
    let feb = coordinator
        .get(&format!("{}&du=2026-02-01&au=2026-02-28", page_of(&f)))
        .await;
    feb.expect(200)
        .shows(&[
            "du 01/02/2026 au 28/02/2026",
            "<strong>75,00 €</strong> pour 2 périodes terminées",
        ])
        .hides(&[
            "MARTIN Léa",
            "PETIT Zoé",
            "ROUX Inès",
            "en cours ou à venir",
        ]);
    // Nothing ended in the period: no amount, not « 0,00 € ».
    coordinator
        .get(&format!("{}&du=2026-03-12&au=2026-03-31", page_of(&f)))
        .await
        .expect(200)
        .shows(&[
            "<strong>Aucune période terminée</strong> : pas encore de montant.",
            "Et 1 période en cours ou à venir, sans montant avant sa fin.",
            "PFMP en cours",
        ])
        .hides(&["0,00 €</strong>", "Avant de payer"]);
    // March: Zoé's ended placement and Inès's ongoing one.
    coordinator
        .get(&format!("{}&du=2026-03-01&au=2026-03-31", page_of(&f)))
        .await
        .expect(200)
        .shows(&[
            "<strong>60,00 €</strong> pour 1 période terminée · 4 jours effectués",
            "Et 1 période en cours ou à venir",
        ])
        .hides(&["Avant de payer"]);

    // Dates that cannot be read: a French message, and the school year.
    let bad = coordinator
        .get(&format!("{}&du=2026-13-45&au=hier", page_of(&f)))
        .await;
    bad.expect(200).shows(&[
        "La date de début « 2026-13-45 » n'est pas une date valide",
        "La date de fin « hier » n'est pas une date valide",
        "du 01/09/2025 au 31/08/2026",
        "MARTIN Léa",
    ]);
    let reversed = coordinator
        .get(&format!("{}&du=2026-05-01&au=2026-04-01", page_of(&f)))
        .await;
    reversed
        .expect(200)
        .shows(&["est après la date de fin", "du 01/09/2025 au 31/08/2026"]);
    // Years no period names: refused, not printed as `01/01/999`.
    coordinator
        .get(&format!("{}&du=0999-01-01", page_of(&f)))
        .await
        .expect(200)
        .shows(&[
            "La date de début « 0999-01-01 » est hors des années 1900 à 2199",
            "du 01/09/2025 au 31/08/2026",
        ])
        .hides(&["01/01/999"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_is_ready_for_payment() {
    let app = App::start().await;
    let f = seed(&app, "1ALLOC", CycleYear::Premiere).await;
    let coordinator = app.coordinator().await;
    let csv = coordinator
        .get_verbatim(&csv_of(&f, "2025-09-01", "2026-08-31"))
        .await;
    csv.expect(200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"allocation-pfmp-1ALLOC-2025-09-01-2026-08-31.csv\"")
    );
    assert_eq!(csv.header("cache-control"), Some("no-store"));
    assert!(csv.body.starts_with('\u{feff}'), "UTF-8 byte order mark");
    assert_eq!(
        csv.body.matches('\n').count(),
        csv.body.matches("\r\n").count(),
        "CRLF line ends"
    );
    let rows = csv_rows(&csv.body);
    assert_eq!(
        rows[0],
        "Classe;Nom;Prénom;Date de naissance;INE;Organisme d'accueil;SIRET;Début;Fin;Jours effectués;Forfait journalier (€);Montant (€);Présence"
    );
    // One line per placement ending in the period (Zoé's June 2025 one is left out),
    // students in name order, then the total of the ended ones.
    assert_eq!(rows.len(), 7, "{rows:#?}");
    assert_eq!(
        rows[1],
        "1ALLOC;\"'=HYPERLINK(\"\"http://evil.example\"\")\";Hugo;02/04/2009;070123456AB;Bœuf & Cie;12345678900011;02/02/2026;13/02/2026;;15,00;;présence non saisie"
    );
    assert_eq!(
        rows[2],
        "1ALLOC;Martin;Léa;02/04/2009;070123456AB;Bœuf & Cie;12345678900011;05/01/2026;30/01/2026;3;15,00;45,00;saisie incomplète (jours non renseignés)"
    );
    assert_eq!(
        rows[3],
        "1ALLOC;Petit;Zoé;02/04/2009;070123456AB;Bœuf & Cie;12345678900011;02/03/2026;06/03/2026;4;15,00;60,00;confirmée par le tuteur"
    );
    assert_eq!(
        rows[4],
        "1ALLOC;Roux;Inès;02/04/2009;070123456AB;Bœuf & Cie;12345678900011;09/03/2026;20/03/2026;;15,00;;PFMP en cours (pas encore de montant)"
    );
    assert_eq!(
        rows[5],
        "1ALLOC;Sall;Yanis;02/04/2009;070123456AB;Bœuf & Cie;12345678900011;16/02/2026;20/02/2026;5;15,00;75,00;saisie, non confirmée par le tuteur"
    );
    assert_eq!(rows[6], "Total;;;;;;;;;12;;180,00;");
    // No cell of the file starts a formula.
    for row in &rows {
        for cell in row.split(';') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "{cell:?} in {row:?}"
            );
        }
    }

    // Last school year: only Zoé's first placement.
    let last_year = coordinator
        .get_verbatim(&csv_of(&f, "2024-09-01", "2025-08-31"))
        .await;
    let rows = csv_rows(&last_year.expect(200).body);
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert!(rows[1].contains(";19/05/2025;01/06/2025;1;15,00;15,00;saisie incomplète"));
    assert_eq!(rows[2], "Total;;;;;;;;;1;;15,00;");

    // Empty dates take the school year; unreadable ones are refused; an unknown class
    // is not found.
    let default = coordinator
        .get_verbatim(&format!("{PAGE}.csv?classe={}", f.class.id))
        .await;
    assert!(
        default
            .header("content-disposition")
            .unwrap()
            .contains("2025-09-01-2026-08-31")
    );
    for (from, to) in [("2026-02-30", "2026-08-31"), ("0999-01-01", "2026-08-31")] {
        coordinator
            .get(&csv_of(&f, from, to))
            .await
            .expect(400)
            .shows(&["La date de début"]);
    }
    coordinator
        .get(&format!("{PAGE}.csv?classe={}", ClassId::new()))
        .await
        .expect(404);
    coordinator
        .get(&format!("{PAGE}.csv?classe=nimporte"))
        .await
        .expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rates_default_by_year_and_the_coordinator_changes_them() {
    let app = App::start().await;
    let f = seed(&app, "1ALLOC", CycleYear::Premiere).await;
    let terminale = seed(&app, "TALLOC", CycleYear::Terminale).await;
    let coordinator = app.coordinator().await;
    let page = coordinator.get(&page_of(&f)).await;
    page.expect(200).shows(&[
        "Forfaits journaliers",
        "Bac Pro MELEC — Première",
        "Bac Pro MELEC — Terminale",
        "Actuellement : <strong>15,00 €</strong> par jour, montant du décret",
        "Actuellement : <strong>20,00 €</strong> par jour, montant du décret",
    ]);
    // The Terminale class's amounts use 20 € a day.
    coordinator
        .get(&page_of(&terminale))
        .await
        .expect(200)
        .shows(&[
            "Forfait journalier : 20,00 € (Terminale)",
            "60,00 €",
            "80,00 €",
            "100,00 €",
        ]);
    assert!(!page.has("Revenir au montant du décret"));
    let csrf = page.csrf();
    let period = [("du", "2025-09-01"), ("au", "2026-08-31")];
    let class_id = f.class.id.to_string();
    let post = |taux: &'static str, action: &'static str| {
        let (c, csrf, class_id) = (coordinator.clone(), csrf.clone(), class_id.clone());
        async move {
            c.post(
                RATE,
                &[
                    ("_csrf", csrf.as_str()),
                    ("diplome", "bacpro-melec"),
                    ("annee", "premiere"),
                    ("taux", taux),
                    ("action", action),
                    ("classe", class_id.as_str()),
                    period[0],
                    period[1],
                ],
            )
            .await
        }
    };
    let back = format!("{PAGE}?classe={}&du=2025-09-01&au=2026-08-31", f.class.id);
    post("16,50", "enregistrer").await.expect_redirect(&back);
    let rates = app.state.store.allowance_rates().unwrap();
    assert_eq!(rates.len(), 1);
    assert_eq!(rates[0].cents_per_day, 1_650);
    assert_eq!(rates[0].year, CycleYear::Premiere);
    let changed = coordinator.get(&back).await;
    changed.expect(200).shows(&[
        "Forfait journalier enregistré",
        "Actuellement : <strong>16,50 €</strong> par jour, fixé par l'établissement (décret : 15,00 €)",
        "Forfait journalier : 16,50 € (Première)",
        // Léa: 3 × 16,50; Zoé: 4 × 16,50; Yanis: 5 × 16,50.
        "49,50 €",
        "66,00 €",
        "82,50 €",
        "Revenir au montant du décret",
        // The Terminale rate did not move.
        "Actuellement : <strong>20,00 €</strong> par jour, montant du décret",
    ]);
    let csv = coordinator
        .get_verbatim(&csv_of(&f, "2025-09-01", "2026-08-31"))
        .await;
    let rows = csv_rows(&csv.expect(200).body);
    assert!(rows[2].ends_with(";3;16,50;49,50;saisie incomplète (jours non renseignés)"));
    assert_eq!(rows[6], "Total;;;;;;;;;12;;198,00;");

    // Back to the decree with the button.
    post("16,50", "decret").await.expect_redirect(&back);
    assert!(app.state.store.allowance_rates().unwrap().is_empty());
    coordinator.get(&back).await.expect(200).shows(&[
        "Forfait journalier revenu au montant du décret",
        "Actuellement : <strong>15,00 €</strong> par jour, montant du décret",
        "45,00 €",
    ]);
    // Typing the decree's amount stores nothing either.
    post("20", "enregistrer").await.expect(303);
    assert_eq!(app.state.store.allowance_rates().unwrap().len(), 1);
    post("15,00 €", "enregistrer").await.expect(303);
    assert!(app.state.store.allowance_rates().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_amount_comes_back_with_the_input_kept() {
    let app = App::start().await;
    let f = seed(&app, "1ALLOC", CycleYear::Premiere).await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(&page_of(&f)).await;
    let class_id = f.class.id.to_string();
    for (typed, message) in [
        ("douze", "Écrivez un montant en euros"),
        ("150", "Ce forfait dépasse 100,00 € par jour"),
        ("15,505", "Écrivez un montant en euros"),
        ("", "Indiquez le forfait journalier en euros"),
    ] {
        let page = coordinator
            .post(
                RATE,
                &[
                    ("_csrf", csrf.as_str()),
                    ("diplome", "bacpro-melec"),
                    ("annee", "premiere"),
                    ("taux", typed),
                    ("action", "enregistrer"),
                    ("classe", class_id.as_str()),
                    ("du", "2026-01-01"),
                    ("au", "2026-01-31"),
                ],
            )
            .await;
        page.expect(422).shows(&[
            "Le forfait n'a pas été enregistré",
            message,
            // The class and period stay as they were.
            "Classe 1ALLOC · du 01/01/2026 au 31/01/2026",
        ]);
        assert_eq!(page.field("taux").as_deref(), Some(typed), "{typed}");
        assert!(page.body.contains("aria-invalid=\"true\""));
    }
    assert!(app.state.store.allowance_rates().unwrap().is_empty());
    // A pair no class uses is not found.
    coordinator
        .post(
            RATE,
            &[
                ("_csrf", csrf.as_str()),
                ("diplome", "cap-electricien"),
                ("annee", "cap1"),
                ("taux", "12"),
            ],
        )
        .await
        .expect(404);
    assert!(app.state.store.allowance_rates().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_coordinator_sees_or_changes_the_allowance() {
    let app = App::start().await;
    let f = seed(&app, "1ALLOC", CycleYear::Premiere).await;
    let others = [
        app.student(app.w.mael).await,
        app.teacher(app.w.referent).await,
        app.tutor(app.w.helene).await,
    ];
    for b in &others {
        b.get(&page_of(&f)).await.expect(404);
        b.get(PAGE).await.expect(404);
        b.get(&csv_of(&f, "2025-09-01", "2026-08-31"))
            .await
            .expect(404);
        let csrf = b.csrf("/notifications").await;
        b.post(
            RATE,
            &[
                ("_csrf", csrf.as_str()),
                ("diplome", "bacpro-melec"),
                ("annee", "premiere"),
                ("taux", "30"),
            ],
        )
        .await
        .expect(404);
    }
    app.browser().get(PAGE).await.expect(401);
    assert!(app.state.store.allowance_rates().unwrap().is_empty());

    // The coordinator needs the form's anti-CSRF token.
    let coordinator = app.coordinator().await;
    for csrf in [None, Some("faux")] {
        let mut form = vec![
            ("diplome", "bacpro-melec"),
            ("annee", "premiere"),
            ("taux", "30"),
        ];
        if let Some(c) = csrf {
            form.push(("_csrf", c));
        }
        coordinator.post(RATE, &form).await.expect(403);
    }
    assert!(app.state.store.allowance_rates().unwrap().is_empty());
}
