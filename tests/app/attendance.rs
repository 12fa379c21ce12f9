//! Attendance and the tutor's confirmation (issue 8): the « Présence » page of a
//! placement proposes the logbook's days as present; its tutor or its referent records
//! the days (422 with the input kept, 409 over a newer revision, a double submission
//! stored once); the tutor alone confirms, and a later change voids the confirmation;
//! the student and coordinators read; anyone else gets 404.
//!
//! Runs on Maël's current placement (tutor Hélène, referent Sébastien): at the tests'
//! today (Wednesday 11 March 2026) it runs from Monday 2 to Friday 27 March, and the
//! demo's logbook holds 4 March (7 h) and 5, 6, 9 and 10 March (7 h 30). The
//! confirmation, possible from a period's last day, runs on Maël's first placement
//! (tutor Grégoire, same referent), from Monday 18 August to Friday 12 September 2025,
//! recorded and confirmed by the demo: every weekday present but a half-day on
//! Wednesday 27 August, weekends « pas de PFMP ».

use crate::support::*;
use livret::domain::attendance::{Attendance, DayKind};
use livret::domain::*;

/// Maël's first placement (finished, confirmed by Grégoire in the demo).
fn first(app: &App) -> Placement {
    app.w
        .seed
        .placements
        .iter()
        .find(|p| p.student == app.w.mael && p.tutor == app.w.gregoire)
        .unwrap()
        .clone()
}

/// Stores placement `p` changed by `change` (as the coordination's placement form
/// does).
async fn change_placement(app: &App, p: PlacementId, change: impl FnOnce(&mut Placement)) {
    let mut placement = app.state.store.placement(p).unwrap().unwrap();
    change(&mut placement);
    let change = livret::domain::placement_form::PlacementChange {
        placement,
        company: None,
        tutor: None,
    };
    app.state
        .store
        .update_placement(&change)
        .await
        .unwrap()
        .unwrap();
}

/// The attendance form of `page` as a browser sends it for the days `from` to `to`:
/// each select's chosen value, each field's value, the boxes ticked; days shown « à
/// venir » (no select) are not sent.
fn sent(page: &Page, from: &str, to: &str) -> Vec<(String, String)> {
    let mut f = vec![
        ("_csrf".to_string(), page.csrf()),
        ("revision".to_string(), page.field("revision").unwrap()),
        (
            "gratification".to_string(),
            page.field("gratification").unwrap(),
        ),
    ];
    let (mut d, to): (jiff::civil::Date, jiff::civil::Date) =
        (from.parse().unwrap(), to.parse().unwrap());
    while d <= to {
        if let Some(kind) = selected(page, &format!("jour-{d}")) {
            f.push((format!("jour-{d}"), kind));
            for name in ["heures", "motif"] {
                let value = page.field(&format!("{name}-{d}")).unwrap_or_default();
                f.push((format!("{name}-{d}"), value));
            }
            if page
                .body
                .contains(&format!("name=\"justifiee-{d}\" value=\"1\" checked"))
            {
                f.push((format!("justifiee-{d}"), "1".to_string()));
            }
        }
        d = d.tomorrow().unwrap();
    }
    f
}

/// `f` with field `name` set to `value` (added when missing).
fn set(f: &mut Vec<(String, String)>, name: &str, value: &str) {
    match f.iter_mut().find(|(k, _)| k == name) {
        Some((_, v)) => *v = value.to_string(),
        None => f.push((name.to_string(), value.to_string())),
    }
}

fn presence(p: PlacementId) -> String {
    format!("/stages/{p}/presence")
}

fn confirmer(p: PlacementId) -> String {
    format!("/stages/{p}/presence/confirmer")
}

fn stored(app: &App, p: PlacementId) -> Option<Attendance> {
    app.state.store.attendance(p).unwrap()
}

/// The value of the `<option selected>` of the `<select name=…>`, "" when none is
/// marked; `None` when the page has no such select.
fn selected(page: &Page, name: &str) -> Option<String> {
    let body = &page.body;
    let at = body.find(&format!("<select id=\"{name}\" name=\"{name}\""))?;
    let select = &body[at..at + body[at..].find("</select>")?];
    Some(
        select
            .split("<option ")
            .skip(1)
            .find(|o| o.contains(" selected"))
            .and_then(|o| o.split("value=\"").nth(1))
            .and_then(|v| v.split('"').next())
            .unwrap_or("")
            .to_string(),
    )
}

/// The page's words as a person reads them: tags removed, entities decoded, white
/// space collapsed (so "<dt>Jours</dt><dd>2</dd>" reads "Jours 2").
fn words(page: &Page) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in page.body.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" .", ".")
        .replace(" ,", ",")
}

trait Reads {
    fn sees(&self, all: &[&str]) -> &Self;
    fn lacks(&self, none: &[&str]) -> &Self;
}

impl Reads for Page {
    #[track_caller]
    fn sees(&self, all: &[&str]) -> &Page {
        let text = words(self);
        for s in all {
            assert!(
                text.contains(s),
                "{} {}: expected {s:?} in:\n{text}",
                self.method,
                self.url
            );
        }
        self
    }

    #[track_caller]
    fn lacks(&self, none: &[&str]) -> &Page {
        let text = words(self);
        for s in none {
            assert!(
                !text.contains(s),
                "{} {}: {s:?} should not be in:\n{text}",
                self.method,
                self.url
            );
        }
        self
    }
}

/// One day of the form: (date, kind, hours, reason, justified).
type Day<'a> = (&'a str, &'a str, &'a str, &'a str, bool);

/// The form's fields for `days`, with `csrf`, `revision` and `gratification`.
fn form(
    csrf: &str,
    revision: &str,
    gratification: &str,
    days: &[Day<'_>],
) -> Vec<(String, String)> {
    let mut f = vec![
        ("_csrf".to_string(), csrf.to_string()),
        ("revision".to_string(), revision.to_string()),
        ("gratification".to_string(), gratification.to_string()),
    ];
    for (date, kind, hours, reason, justified) in days {
        f.push((format!("jour-{date}"), kind.to_string()));
        f.push((format!("heures-{date}"), hours.to_string()));
        f.push((format!("motif-{date}"), reason.to_string()));
        if *justified {
            f.push((format!("justifiee-{date}"), "1".to_string()));
        }
    }
    f
}

async fn post(b: &Browser, path: &str, f: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post(path, &pairs).await
}

/// Four days: present 7 h, a justified half-day absence, an unjustified day's
/// absence, present 7 h 30; 150 € of gratification.
const WEEK: [Day<'static>; 4] = [
    ("2026-03-02", "present", "7", "", false),
    ("2026-03-03", "demi", "3h30", "Rendez-vous médical", true),
    ("2026-03-04", "absent", "", "", false),
    ("2026-03-05", "present", "7h30", "", false),
];

/// The session's anti-CSRF token, from the person's home page (followed once when it
/// redirects, as a student's does).
async fn token(b: &Browser) -> String {
    let home = b.get("/").await;
    if home.status == 303 {
        b.csrf(home.location()).await
    } else {
        home.expect(200).csrf()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logbook_days_are_proposed_blank_days_counted_and_future_days_wait() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let page = helene.get(&presence(p)).await;
    page.expect(200).sees(&[
        "Présence de Maël Ferrand",
        "Présence non saisie",
        // 2, 3 and 11 March: weekdays past (today included), not in the logbook.
        "3 jours à renseigner — aller au premier (lun. 2 mars)",
        "Dates reprises du journal de bord : les 5 jours que Maël y a écrits sont proposés comme « Présent », avec ses heures.",
        "Marquer présents (7 h) les jours à renseigner",
        "Semaine du lundi 2 mars 2026",
        "Gratification totale versée, le cas échéant (€)",
        "Télécharger l'attestation (PDF)",
        "Attestation vierge à compléter à la main",
    ]);
    assert!(
        page.body
            .contains(&format!("href=\"/stages/{p}/attestation.pdf\""))
    );
    assert!(page.body.contains("href=\"/attestation-vierge.pdf\""));
    // Nothing to confirm yet; the form comes before the certificate.
    page.lacks(&["Confirmation du tuteur", "Décompte"]);
    assert!(page.body.find("attendance-form") < page.body.find("attestation-vierge.pdf"));
    // The logbook's days, with the student's hours.
    assert_eq!(
        selected(&page, "jour-2026-03-04").as_deref(),
        Some("present")
    );
    assert_eq!(page.field("heures-2026-03-04").as_deref(), Some("7"));
    for d in ["2026-03-05", "2026-03-06", "2026-03-09", "2026-03-10"] {
        assert_eq!(
            selected(&page, &format!("jour-{d}")).as_deref(),
            Some("present"),
            "{d}"
        );
        assert_eq!(
            page.field(&format!("heures-{d}")).as_deref(),
            Some("7h30"),
            "{d}"
        );
    }
    // Other past weekdays: blank, marked « à renseigner » in words, 7 h ready if
    // « Présent » is chosen.
    assert_eq!(selected(&page, "jour-2026-03-02").as_deref(), Some(""));
    assert!(
        page.body
            .contains("<option value=\"\" selected>— à renseigner —</option>")
    );
    let card = |d: &str| {
        let after = page
            .body
            .split(&format!("id=\"carte-{d}\""))
            .nth(1)
            .unwrap();
        after[..after.find("</legend>").unwrap_or(after.len())].to_string()
    };
    assert!(card("2026-03-02").contains("à renseigner"));
    assert!(!card("2026-03-04").contains("à renseigner"));
    assert_eq!(page.field("heures-2026-03-02").as_deref(), Some("7"));
    assert_eq!(selected(&page, "jour-2026-03-11").as_deref(), Some(""));
    // Weekends are offered, proposed « Pas de PFMP ce jour », on one line; the future
    // ones too (« pas de PFMP » may be said ahead).
    for d in ["2026-03-07", "2026-03-08", "2026-03-14", "2026-03-22"] {
        assert_eq!(
            selected(&page, &format!("jour-{d}")).as_deref(),
            Some("off"),
            "{d}"
        );
        assert!(
            page.body
                .contains(&format!("class=\"day compact\" id=\"carte-{d}\"")),
            "{d}"
        );
    }
    assert!(
        page.body
            .contains("<option value=\"off\" selected>Pas de PFMP ce jour</option>")
    );
    // After today: marked « à venir », nothing to fill.
    assert_eq!(selected(&page, "jour-2026-03-12"), None);
    let upcoming = page.body.split("id=\"carte-2026-03-12\"").nth(1).unwrap();
    assert!(upcoming[..upcoming.find("</div>").unwrap()].contains("à venir"));
    assert_eq!(page.field("revision").as_deref(), Some("0"));
    assert!(stored(&app, p).is_none(), "showing the form stores nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutor_records_the_days_and_sees_the_totals() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let csrf = helene.csrf(&presence(p)).await;
    post(&helene, &presence(p), &form(&csrf, "0", "150", &WEEK))
        .await
        .expect_redirect(&presence(p));
    let a = stored(&app, p).unwrap();
    assert_eq!(a.revision, 1);
    assert_eq!(a.updated_by, Subject::Tutor(app.w.helene));
    assert_eq!(a.gratification_cents, Some(15_000));
    let kinds: Vec<(String, DayKind, u8)> = a
        .days
        .iter()
        .map(|d| (d.date.to_string(), d.kind, d.presence.quarters()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("2026-03-02".to_string(), DayKind::Present, 28),
            ("2026-03-03".to_string(), DayKind::HalfDayAbsence, 14),
            ("2026-03-04".to_string(), DayKind::DayAbsence, 0),
            ("2026-03-05".to_string(), DayKind::Present, 30),
        ]
    );
    assert_eq!(a.days[1].reason, "Rendez-vous médical");
    assert!(a.days[1].justified && !a.days[2].justified);

    let page = helene.get(&presence(p)).await;
    page.expect(200).sees(&[
        "Présence enregistrée.",
        // 6 to 11 March were not sent: blank (the weekend too: blank is not « pas de
        // PFMP »).
        "Présence saisie incomplète (jours non renseignés)",
        "6 jours à renseigner",
        // 7 + 3,5 + 0 + 7,5 = 18 h: two days of 7 h and 4 h (D124-6).
        "18 h de présence, soit 2 jours et 4 h",
        "Jours de présence complète 2",
        "Absences d'une demi-journée 1",
        "Absences d'une journée 1",
        "Demi-journées d'absence non justifiées 2",
        "Gratification versée 150,00 €",
        "7 heures de présence, consécutives ou non, compte pour un jour, et 22 jours pour un mois",
        "Dernière modification le mercredi 11 mars 2026 à 10 h 30 par Hélène Caillé (tuteur).",
        "Pas encore confirmée par le tuteur.",
        "Pas encore possible de confirmer. La présence se confirme à la fin de la période, à partir du vendredi 27 mars 2026",
    ]);
    assert!(!page.body.contains(&format!("action=\"{}\"", confirmer(p))));
    // The form now shows what is recorded, not the logbook's proposal.
    page.lacks(&["Dates reprises du journal de bord"]);
    assert_eq!(
        selected(&page, "jour-2026-03-04").as_deref(),
        Some("absent")
    );
    assert_eq!(selected(&page, "jour-2026-03-06").as_deref(), Some(""));
    assert_eq!(selected(&page, "jour-2026-03-07").as_deref(), Some(""));
    assert_eq!(
        page.field("motif-2026-03-03").as_deref(),
        Some("Rendez-vous médical")
    );
    assert_eq!(page.field("gratification").as_deref(), Some("150,00"));
    assert_eq!(page.field("revision").as_deref(), Some("1"));

    // The placement page's tile and the tutor's home say where it stands.
    helene
        .get(&stage(p))
        .await
        .expect(200)
        .sees(&["Présence", "6 jours à renseigner · 18 h"]);
    let home = helene.get("/").await;
    let card = home.expect(200).card("Maël Ferrand");
    assert!(card.contains("Compléter la présence"), "{card}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referent_records_too_but_only_the_tutor_confirms() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let teacher = app.teacher(app.w.referent).await;
    let csrf = teacher.csrf(&presence(p)).await;
    post(&teacher, &presence(p), &form(&csrf, "0", "", &WEEK))
        .await
        .expect_redirect(&presence(p));
    let a = stored(&app, p).unwrap();
    assert_eq!(a.updated_by, Subject::Teacher(app.w.referent));
    assert_eq!(a.gratification_cents, None);
    let page = teacher.get(&presence(p)).await;
    page.expect(200).sees(&[
        "Présence enregistrée.",
        "Seul le tuteur peut confirmer la présence",
        "par Sébastien Roussel (enseignant référent)",
        "Gratification versée aucune",
    ]);
    assert!(!page.body.contains(&format!("action=\"{}\"", confirmer(p))));
    // The referent's POST of a confirmation is not found, and confirms nothing.
    teacher
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "1")])
        .await
        .expect(404);
    assert!(stored(&app, p).unwrap().confirmation.is_none());

    // The tutor sees where it stands, but cannot confirm a running period either.
    let helene = app.tutor(app.w.helene).await;
    let page = helene.get(&presence(p)).await;
    page.expect(200)
        .sees(&["Pas encore possible de confirmer."])
        .lacks(&["Seul le tuteur peut confirmer"]);
    assert!(!page.body.contains(&format!("action=\"{}\"", confirmer(p))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistakes_come_back_with_the_input_kept_and_nothing_stored() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let csrf = helene.csrf(&presence(p)).await;
    let days = [
        ("2026-03-02", "present", "7", "", false),
        // Hours missing for the present half.
        ("2026-03-03", "demi", "", "Chantier fermé le matin", true),
        ("2026-03-04", "present", "7", "", false),
        // Tomorrow: not passed yet.
        ("2026-03-12", "present", "7", "", false),
    ];
    let page = post(&helene, &presence(p), &form(&csrf, "0", "douze", &days)).await;
    page.expect(422).sees(&[
        "La présence n'a pas été enregistrée",
        "mar. 3 mars : Indiquez le nombre d'heures.",
        "jeu. 12 mars : Ce jour n'est pas encore passé",
        "Gratification : Écrivez un montant en euros",
    ]);
    // Each message at its day too, linked to its field.
    assert!(page.body.contains("id=\"jour-2026-03-03-error\""));
    assert!(page.body.contains("id=\"jour-2026-03-12-error\""));
    assert!(page.body.contains("id=\"gratification-error\""));
    assert!(page.body.contains("href=\"#jour-2026-03-12\""));
    // The input as typed.
    assert_eq!(page.field("gratification").as_deref(), Some("douze"));
    assert_eq!(selected(&page, "jour-2026-03-03").as_deref(), Some("demi"));
    assert_eq!(page.field("heures-2026-03-03").as_deref(), Some(""));
    assert_eq!(
        page.field("motif-2026-03-03").as_deref(),
        Some("Chantier fermé le matin")
    );
    assert!(
        page.body
            .contains("name=\"justifiee-2026-03-03\" value=\"1\" checked")
    );
    assert_eq!(
        selected(&page, "jour-2026-03-12").as_deref(),
        Some("present")
    );
    assert_eq!(
        selected(&page, "jour-2026-03-04").as_deref(),
        Some("present")
    );
    // Unsaved input: the tutor is not offered to confirm it.
    page.lacks(&["Confirmer la présence"]);
    assert!(stored(&app, p).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_over_a_newer_revision_is_refused_with_the_input_kept() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let teacher = app.teacher(app.w.referent).await;
    let tutor_csrf = helene.csrf(&presence(p)).await;
    // Both opened the empty form; the referent saves first.
    let teacher_csrf = teacher.csrf(&presence(p)).await;
    post(
        &teacher,
        &presence(p),
        &form(&teacher_csrf, "0", "", &WEEK[..2]),
    )
    .await
    .expect_redirect(&presence(p));
    let before = stored(&app, p).unwrap();
    let mine = [
        ("2026-03-02", "present", "8", "", false),
        ("2026-03-03", "absent", "", "Grève des transports", false),
    ];
    let page = post(&helene, &presence(p), &form(&tutor_csrf, "0", "", &mine)).await;
    page.expect(409).sees(&[
        "La présence a été modifiée par Sébastien Roussel (enseignant référent) entre-temps : vérifiez puis enregistrez à nouveau.",
    ]);
    assert_eq!(
        page.field("motif-2026-03-03").as_deref(),
        Some("Grève des transports")
    );
    assert_eq!(page.field("heures-2026-03-02").as_deref(), Some("8"));
    assert_eq!(
        selected(&page, "jour-2026-03-03").as_deref(),
        Some("absent")
    );
    // The form now carries the stored revision, so that saving again works.
    assert_eq!(page.field("revision").as_deref(), Some("1"));
    assert_eq!(stored(&app, p).unwrap(), before, "nothing changed");
    post(&helene, &presence(p), &form(&tutor_csrf, "1", "", &mine))
        .await
        .expect_redirect(&presence(p));
    let after = stored(&app, p).unwrap();
    assert_eq!(after.revision, 2);
    assert_eq!(after.days[1].kind, DayKind::DayAbsence);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_after_the_confirmation_voids_it_and_the_tutor_confirms_again() {
    let app = App::start().await;
    let first = first(&app);
    let p = first.id;
    let gregoire = app.tutor(app.w.gregoire).await;
    let page = gregoire.get(&presence(p)).await;
    page.expect(200).sees(&[
        "Présence confirmée par le tuteur",
        "Confirmée par Grégoire d'Arçais (Responsable de chantier) le vendredi 12 septembre 2025 à 17 h 00.",
    ]);
    let csrf = page.csrf();
    // Confirming a revision other than the stored one is refused.
    gregoire
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "0")])
        .await
        .expect(409)
        .sees(&["La présence a changé depuis l'affichage de la page : rien n'a été confirmé."]);

    // The referent changes one day: the confirmation no longer holds.
    let teacher = app.teacher(app.w.referent).await;
    let page = teacher.get(&presence(p)).await;
    let mut f = sent(page.expect(200), "2025-08-18", "2025-09-12");
    set(&mut f, "jour-2025-09-01", "demi");
    set(&mut f, "heures-2025-09-01", "3h30");
    set(&mut f, "motif-2025-09-01", "Grève des transports");
    post(&teacher, &presence(p), &f)
        .await
        .expect_redirect(&presence(p));
    let a = stored(&app, p).unwrap();
    assert_eq!(a.revision, 2);
    assert!(a.confirmed(&first).is_none());
    let page = teacher.get(&presence(p)).await;
    page.expect(200).sees(&[
        "Elle a changé depuis la confirmation du tuteur : cette confirmation ne vaut plus, le tuteur doit confirmer de nouveau.",
        "Modifiée depuis la confirmation du vendredi 12 septembre 2025 : à confirmer de nouveau.",
        "Présence saisie, non confirmée par le tuteur",
        "Seul le tuteur peut confirmer la présence",
        "133 h de présence",
    ]);
    // The referent cannot confirm (not found), even a finished, complete period.
    assert!(!page.body.contains(&format!("action=\"{}\"", confirmer(p))));
    teacher
        .post(&confirmer(p), &[("_csrf", &page.csrf()), ("revision", "2")])
        .await
        .expect(404);
    assert!(stored(&app, p).unwrap().confirmed(&first).is_none());

    // Grégoire's home asks him; he confirms the new revision.
    let home = gregoire.get("/").await;
    let card = home.expect(200).card("Maël Ferrand");
    assert!(card.contains("Confirmer la présence"), "{card}");
    let page = gregoire.get(&presence(p)).await;
    page.expect(200)
        .sees(&["à confirmer de nouveau", "Confirmer la présence"])
        .lacks(&["Pas encore possible"]);
    gregoire
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "2")])
        .await
        .expect_redirect(&presence(p));
    let c = stored(&app, p).unwrap().confirmed(&first).unwrap().clone();
    assert_eq!((c.tutor, c.revision), (app.w.gregoire, 2));
    assert_eq!(c.at, NOW.parse::<jiff::Timestamp>().unwrap());
    assert_eq!((c.start, c.end), (first.start, first.end));
    gregoire.get(&presence(p)).await.expect(200).sees(&[
        "Présence confirmée le mercredi 11 mars 2026 : l'attestation de PFMP le mentionne.",
        "Confirmée par Grégoire d'Arçais (Responsable de chantier) le mercredi 11 mars 2026 à 10 h 30.",
    ]);
    // A second tap changes nothing.
    gregoire
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "2")])
        .await
        .expect_redirect(&presence(p));
    assert_eq!(stored(&app, p).unwrap().confirmation.unwrap(), c);
    let home = gregoire.get("/").await;
    let card = home.expect(200).card("Maël Ferrand");
    assert!(!card.contains("la présence"), "{card}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_dates_void_the_confirmation_and_blank_days_hold_it_back() {
    let app = App::start().await;
    let first = first(&app);
    let p = first.id;
    // The coordination moves the last day from Friday 12 to Monday 15 September.
    change_placement(&app, p, |pl| pl.end = "2025-09-15".parse().unwrap()).await;
    let moved = app.state.store.placement(p).unwrap().unwrap();
    let gregoire = app.tutor(app.w.gregoire).await;
    let page = gregoire.get(&presence(p)).await;
    page.expect(200).sees(&[
        "Présence saisie incomplète (jours non renseignés)",
        "3 jours à renseigner — aller au premier (sam. 13 septembre)",
        "Les dates de la période ont changé depuis la confirmation du vendredi 12 septembre 2025 (elle portait sur la période du lundi 18 août 2025 au vendredi 12 septembre 2025) : à confirmer de nouveau.",
        "Pas encore possible de confirmer. 3 jours ne sont pas renseignés (le premier : samedi 13 septembre 2025)",
        "Marquer présents (7 h) les jours à renseigner",
    ]);
    assert!(!page.body.contains(&format!("action=\"{}\"", confirmer(p))));
    let home = gregoire.get("/").await;
    let card = home.expect(200).card("Maël Ferrand");
    assert!(card.contains("Compléter la présence"), "{card}");
    assert!(card.contains("3 jours à renseigner"), "{card}");
    // The confirmation is refused by the server too, with the reason.
    let csrf = page.csrf();
    gregoire
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "1")])
        .await
        .expect(422)
        .sees(&["La présence n'a pas été confirmée. 3 jours ne sont pas renseignés"]);
    let a = stored(&app, p).unwrap();
    assert!(a.confirmed(&moved).is_none());
    assert_eq!(a.confirmation.unwrap().end, first.end, "the old one kept");

    // The fill button marks Monday present; the weekend stays blank.
    let mut f = sent(&page, "2025-08-18", "2025-09-15");
    f.push(("action".into(), "remplir".into()));
    let filled = post(&gregoire, &presence(p), &f).await;
    filled
        .expect(200)
        .sees(&["Vérifiez puis enregistrez : 1 jour marqué présent (7 h)."]);
    assert_eq!(
        selected(&filled, "jour-2025-09-15").as_deref(),
        Some("present")
    );
    assert_eq!(selected(&filled, "jour-2025-09-13").as_deref(), Some(""));
    assert_eq!(stored(&app, p).unwrap().revision, 1, "nothing saved");
    let mut f = sent(&filled, "2025-08-18", "2025-09-15");
    set(&mut f, "jour-2025-09-13", "off");
    set(&mut f, "jour-2025-09-14", "off");
    post(&gregoire, &presence(p), &f)
        .await
        .expect_redirect(&presence(p));
    let page = gregoire.get(&presence(p)).await;
    page.expect(200)
        .sees(&["143 h 30 de présence", "Confirmer la présence"])
        .lacks(&["jours à renseigner", "Pas encore possible"]);
    gregoire
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "2")])
        .await
        .expect_redirect(&presence(p));
    let c = stored(&app, p).unwrap().confirmed(&moved).unwrap().clone();
    assert_eq!(c.end, moved.end);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_tutor_confirms_again() {
    let app = App::start().await;
    let first = first(&app);
    let p = first.id;
    change_placement(&app, p, |pl| pl.tutor = app.w.helene).await;
    let gregoire = app.tutor(app.w.gregoire).await;
    gregoire.get(&presence(p)).await.expect(404);
    let csrf = token(&gregoire).await;
    gregoire
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "1")])
        .await
        .expect(404);
    let helene = app.tutor(app.w.helene).await;
    let page = helene.get(&presence(p)).await;
    page.expect(200).sees(&[
        "Présence saisie, non confirmée par le tuteur",
        "Confirmée le vendredi 12 septembre 2025 par Grégoire d'Arçais, qui n'est plus le tuteur de la période : à confirmer de nouveau par Hélène Caillé.",
        "Confirmer la présence",
    ]);
    let student = app.student(app.w.mael).await;
    student
        .get(&stage(p))
        .await
        .expect(200)
        .sees(&["saisie, non confirmée par le tuteur · 136 h 30"]);
    helene
        .post(&confirmer(p), &[("_csrf", &page.csrf()), ("revision", "1")])
        .await
        .expect_redirect(&presence(p));
    let moved = app.state.store.placement(p).unwrap().unwrap();
    let c = stored(&app, p).unwrap().confirmed(&moved).unwrap().clone();
    assert_eq!(
        (c.tutor, c.name.full()),
        (app.w.helene, "Hélène Caillé".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_period_is_confirmed_at_its_end_only() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let home = helene.get("/").await;
    let card = home.expect(200).card("Maël Ferrand");
    assert!(card.contains("Saisir la présence"), "{card}");
    // Every day up to today filled: the proposal, then the fill button, then saved.
    let page = helene.get(&presence(p)).await;
    let mut f = sent(page.expect(200), "2026-03-02", "2026-03-27");
    f.push(("action".into(), "remplir".into()));
    let filled = post(&helene, &presence(p), &f).await;
    filled.expect(200);
    let f = sent(&filled, "2026-03-02", "2026-03-27");
    post(&helene, &presence(p), &f)
        .await
        .expect_redirect(&presence(p));
    let a = stored(&app, p).unwrap();
    assert!(
        a.missing_days(a.days[0].date, "2026-03-27".parse().unwrap(), today())
            .is_empty()
    );
    // Future weekends were sent as « pas de PFMP » and kept.
    assert!(
        a.days
            .iter()
            .any(|d| d.date.to_string() == "2026-03-21" && d.kind == DayKind::Off)
    );
    let page = helene.get(&presence(p)).await;
    page.expect(200)
        .sees(&[
            "Présence saisie, non confirmée par le tuteur",
            "Pas encore possible de confirmer. La présence se confirme à la fin de la période, à partir du vendredi 27 mars 2026",
        ])
        .lacks(&["jours à renseigner", "jour à renseigner", "Marquer présents"]);
    assert!(!page.body.contains(&format!("action=\"{}\"", confirmer(p))));
    helene
        .post(&confirmer(p), &[("_csrf", &page.csrf()), ("revision", "1")])
        .await
        .expect(422)
        .sees(&[
            "La présence n'a pas été confirmée. La présence se confirme à la fin de la période",
        ]);
    assert!(stored(&app, p).unwrap().confirmation.is_none());
    let home = helene.get("/").await;
    let card = home.expect(200).card("Maël Ferrand");
    assert!(card.contains("Tenir la présence à jour"), "{card}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blank_is_not_off_and_the_fill_button_saves_nothing() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let csrf = helene.csrf(&presence(p)).await;
    // Monday a public holiday (« pas de PFMP »), Tuesday blank, Wednesday a half day.
    let days = [
        ("2026-03-02", "off", "7", "", false),
        ("2026-03-03", "", "7", "", false),
        ("2026-03-04", "demi", "3h30", "Dentiste", true),
        ("2026-03-07", "off", "7", "", false),
        ("2026-03-08", "off", "", "", false),
    ];
    let mut f = form(&csrf, "0", "42", &days);
    f.push(("action".into(), "remplir".into()));
    let page = post(&helene, &presence(p), &f).await;
    // 3, 5, 6, 9, 10 and 11 March: the blank past weekdays.
    page.expect(200).sees(&[
        "Vérifiez puis enregistrez : 6 jours marqués présents (7 h).",
        "Rien n'est encore enregistré",
    ]);
    assert!(stored(&app, p).is_none(), "the fill saves nothing");
    for d in ["2026-03-03", "2026-03-05", "2026-03-11"] {
        assert_eq!(
            selected(&page, &format!("jour-{d}")).as_deref(),
            Some("present"),
            "{d}"
        );
        assert_eq!(
            page.field(&format!("heures-{d}")).as_deref(),
            Some("7"),
            "{d}"
        );
    }
    // The other input kept: the holiday, the half day, the gratification.
    assert_eq!(selected(&page, "jour-2026-03-02").as_deref(), Some("off"));
    assert_eq!(selected(&page, "jour-2026-03-04").as_deref(), Some("demi"));
    assert_eq!(page.field("motif-2026-03-04").as_deref(), Some("Dentiste"));
    assert_eq!(page.field("gratification").as_deref(), Some("42"));
    assert_eq!(
        selected(&page, "jour-2026-03-12"),
        None,
        "tomorrow still « à venir »"
    );
    page.lacks(&["jours à renseigner", "Marquer présents"]);

    // Saved without the fill: the holiday counts nothing, the blank day is missing.
    let f = form(&csrf, "0", "", &days);
    post(&helene, &presence(p), &f)
        .await
        .expect_redirect(&presence(p));
    let a = stored(&app, p).unwrap();
    let kind = |d: &str| {
        a.days
            .iter()
            .find(|x| x.date.to_string() == d)
            .map(|x| x.kind)
    };
    assert_eq!(kind("2026-03-02"), Some(DayKind::Off));
    assert_eq!(kind("2026-03-03"), None);
    assert_eq!(a.days[0].presence.quarters(), 0);
    let page = helene.get(&presence(p)).await;
    page.expect(200).sees(&[
        "Présence saisie incomplète",
        "6 jours à renseigner — aller au premier (mar. 3 mars)",
        "3 h 30 de présence",
    ]);
    assert_eq!(selected(&page, "jour-2026-03-02").as_deref(), Some("off"));
    assert_eq!(selected(&page, "jour-2026-03-03").as_deref(), Some(""));
    // The student reads the blank days marked so, the holiday as such.
    let student = app.student(app.w.mael).await;
    student
        .get(&presence(p))
        .await
        .expect(200)
        .sees(&[
            "6 jours à renseigner (le premier : mar. 3 mars)",
            "lun. 2 mars Pas de PFMP ce jour",
            "mar. 3 mars à renseigner (pas encore saisi)",
        ])
        .lacks(&["sam. 7 mars"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hours_beyond_a_working_day_are_refused() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let csrf = helene.csrf(&presence(p)).await;
    let days = [
        ("2026-03-02", "present", "12h15", "", false),
        ("2026-03-03", "demi", "6h15", "Dentiste", true),
        ("2026-03-04", "present", "12", "", false),
        ("2026-03-05", "demi", "6", "", false),
        // A public holiday ahead: « pas de PFMP » may be said before the day.
        ("2026-03-13", "off", "", "", false),
    ];
    let page = post(&helene, &presence(p), &form(&csrf, "0", "", &days)).await;
    page.expect(422).sees(&[
        "lun. 2 mars : Plus de 12 h de présence dans une journée : vérifiez les heures.",
        "mar. 3 mars : Avec une demi-journée d'absence, la présence ne dépasse pas 6 h",
    ]);
    assert!(!page.body.contains("id=\"jour-2026-03-04-error\""));
    assert!(!page.body.contains("id=\"jour-2026-03-13-error\""));
    assert!(stored(&app, p).is_none());
    let mut ok = days;
    ok[0].2 = "12";
    ok[1].2 = "6";
    post(&helene, &presence(p), &form(&csrf, "0", "", &ok))
        .await
        .expect_redirect(&presence(p));
    let a = stored(&app, p).unwrap();
    let quarters: Vec<u8> = a.days.iter().map(|d| d.presence.quarters()).collect();
    assert_eq!(quarters, [48, 24, 48, 24, 0]);
    assert_eq!(a.days[4].kind, DayKind::Off);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_form_sent_twice_is_stored_once() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let csrf = helene.csrf(&presence(p)).await;
    let f = form(&csrf, "0", "80,5", &WEEK);
    post(&helene, &presence(p), &f)
        .await
        .expect_redirect(&presence(p));
    let first = stored(&app, p).unwrap();
    app.clock.advance(jiff::SignedDuration::from_secs(5));
    post(&helene, &presence(p), &f)
        .await
        .expect_redirect(&presence(p));
    assert_eq!(
        stored(&app, p).unwrap(),
        first,
        "revision and time unchanged"
    );
    assert_eq!(first.revision, 1);
    helene
        .get(&presence(p))
        .await
        .expect(200)
        .sees(&["La présence était déjà enregistrée ainsi : rien n'a changé."]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_recorded_cannot_be_confirmed() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let csrf = helene.csrf(&presence(p)).await;
    helene
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "0")])
        .await
        .expect(422)
        .sees(&["Rien à confirmer : enregistrez d'abord la présence, puis confirmez-la."]);
    assert!(stored(&app, p).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_student_and_coordinators_read_without_a_form() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let csrf = helene.csrf(&presence(p)).await;
    post(&helene, &presence(p), &form(&csrf, "0", "", &WEEK))
        .await
        .expect_redirect(&presence(p));

    let student = app.student(app.w.mael).await;
    let coordinator = app.coordinator().await;
    for (who, b) in [("student", &student), ("coordinator", &coordinator)] {
        let page = b.get(&presence(p)).await;
        page.expect(200).sees(&[
            "Jours enregistrés",
            "lun. 2 mars",
            "Absent une demi-journée — 3 h 30",
            "justifiée — Rendez-vous médical",
            "non justifiée",
            "18 h de présence, soit 2 jours et 4 h",
            "Pas encore confirmée par le tuteur.",
            "Seul le tuteur peut confirmer la présence",
            "Télécharger l'attestation (PDF)",
        ]);
        assert!(page.field("jour-2026-03-02").is_none(), "{who}: no form");
        assert!(
            !page.body.contains(&format!("action=\"{}\"", presence(p))),
            "{who}"
        );
        assert!(
            !page.body.contains(&format!("action=\"{}\"", confirmer(p))),
            "{who}"
        );
        let csrf = token(b).await;
        let changed = form(&csrf, "1", "", &WEEK[..1]);
        post(b, &presence(p), &changed).await.expect(404);
        b.post(&confirmer(p), &[("_csrf", &csrf), ("revision", "1")])
            .await
            .expect(404);
    }
    student
        .get(&presence(p))
        .await
        .sees(&["Ma présence en entreprise"]);
    let a = stored(&app, p).unwrap();
    assert_eq!((a.revision, a.days.len()), (1, 4), "nothing changed");
    assert!(a.confirmation.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_people_get_not_found_and_change_nothing() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let others = [
        ("another tutor", app.tutor(app.w.gregoire).await),
        ("another student", app.student(app.w.eloise).await),
        ("another teacher", app.teacher(app.w.odile).await),
    ];
    for (who, b) in &others {
        b.get(&presence(p)).await.expect(404);
        let csrf = token(b).await;
        post(b, &presence(p), &form(&csrf, "0", "", &WEEK))
            .await
            .expect(404);
        b.post(&confirmer(p), &[("_csrf", &csrf), ("revision", "0")])
            .await
            .expect(404);
        assert!(stored(&app, p).is_none(), "{who}");
    }
    // An unknown placement and a malformed id are not found either.
    let helene = app.tutor(app.w.helene).await;
    helene.get(&presence(PlacementId::new())).await.expect(404);
    helene.get("/stages/pas-un-id/presence").await.expect(404);
    // Signed out: no page.
    assert_ne!(app.browser().get(&presence(p)).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_its_anti_csrf_token_is_refused() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    helene.get(&presence(p)).await.expect(200);
    post(&helene, &presence(p), &form("", "0", "", &WEEK))
        .await
        .expect(403);
    post(&helene, &presence(p), &form("faux", "0", "", &WEEK))
        .await
        .expect(403);
    assert!(stored(&app, p).is_none());
    let csrf = helene.csrf(&presence(p)).await;
    post(&helene, &presence(p), &form(&csrf, "0", "", &WEEK))
        .await
        .expect_redirect(&presence(p));
    helene
        .post(&confirmer(p), &[("revision", "1")])
        .await
        .expect(403);
    assert!(stored(&app, p).unwrap().confirmation.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_finished_placement_shows_its_confirmed_attendance() {
    let app = App::start().await;
    let first = app
        .w
        .seed
        .placements
        .iter()
        .find(|p| p.student == app.w.mael && p.tutor == app.w.gregoire)
        .unwrap()
        .id;
    let student = app.student(app.w.mael).await;
    student.get(&presence(first)).await.expect(200).sees(&[
        "Présence confirmée par le tuteur",
        "Confirmée par Grégoire d'Arçais (Responsable de chantier)",
        "136 h 30 de présence, soit 19 jours et 3 h 30",
        "justifiée — Rendez-vous médical",
    ]);
    student
        .get(&stage(first))
        .await
        .expect(200)
        .sees(&["confirmée par le tuteur · 136 h 30"]);
    // Grégoire's home asks nothing for it (confirmed).
    let gregoire = app.tutor(app.w.gregoire).await;
    let home = gregoire.get("/").await;
    let card = home.expect(200).card("Maël Ferrand");
    assert!(!card.contains("la présence"), "{card}");
}
