//! Attendance and the tutor's confirmation (issue 8): the « Présence » page of a
//! placement proposes the logbook's days as present; its tutor or its referent records
//! the days (422 with the input kept, 409 over a newer revision, a double submission
//! stored once); the tutor alone confirms, and a later change voids the confirmation;
//! the student and coordinators read; anyone else gets 404.
//!
//! Runs on Maël's current placement (tutor Hélène, referent Sébastien): at the tests'
//! today (Wednesday 11 March 2026) it runs from Monday 2 to Friday 27 March, and the
//! demo's logbook holds 4 March (7 h) and 5, 6, 9 and 10 March (7 h 30).

use crate::support::*;
use livret::domain::attendance::{Attendance, DayKind};
use livret::domain::*;

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
async fn the_logbook_days_are_proposed_as_present_and_future_days_wait() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let page = helene.get(&presence(p)).await;
    page.expect(200).sees(&[
        "Présence de Maël Ferrand",
        "Présence non saisie",
        "Dates reprises du journal de bord : les 5 jours que Maël y a écrits sont proposés comme « Présent », avec ses heures.",
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
    // Other past days: nothing chosen, 7 h ready if « Présent » is chosen.
    assert_eq!(selected(&page, "jour-2026-03-02").as_deref(), Some(""));
    assert_eq!(page.field("heures-2026-03-02").as_deref(), Some("7"));
    assert_eq!(selected(&page, "jour-2026-03-11").as_deref(), Some(""));
    // After today: marked « à venir », nothing to fill; weekends are not offered.
    assert_eq!(selected(&page, "jour-2026-03-12"), None);
    let upcoming = page.body.split("id=\"carte-2026-03-12\"").nth(1).unwrap();
    assert!(upcoming[..upcoming.find("</div>").unwrap()].contains("à venir"));
    assert!(!page.body.contains("carte-2026-03-07"));
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
        "Présence saisie, non confirmée par le tuteur",
        // 7 + 3,5 + 0 + 7,5 = 18 h: two days of 7 h and 4 h (D124-6).
        "18 h de présence, soit 2 jours et 4 h",
        "Jours de présence complète 2",
        "Absences d'une demi-journée 1",
        "Absences d'une journée 1",
        "Demi-journées d'absence non justifiées 2",
        "Gratification versée 150,00 €",
        "7 heures de présence, consécutives ou non, compte pour un jour, et 22 jours pour un mois",
        "Dernière modification le 11/03/2026 à 10:30 par Hélène Caillé (tuteur).",
        "Pas encore confirmée par le tuteur.",
        "Confirmer la présence",
    ]);
    // The form now shows what is recorded, not the logbook's proposal.
    page.lacks(&["Dates reprises du journal de bord"]);
    assert_eq!(
        selected(&page, "jour-2026-03-04").as_deref(),
        Some("absent")
    );
    assert_eq!(selected(&page, "jour-2026-03-06").as_deref(), Some(""));
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
        .sees(&["Présence", "saisie, non confirmée par le tuteur · 18 h"]);
    let home = helene.get("/").await;
    assert!(
        home.expect(200)
            .card("Maël Ferrand")
            .contains("Confirmer la présence")
    );
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

    // The tutor confirms in her link session: stored with her name and the moment.
    let helene = app.tutor(app.w.helene).await;
    let page = helene.get(&presence(p)).await;
    page.expect(200);
    assert!(page.body.contains(&format!("action=\"{}\"", confirmer(p))));
    let csrf = page.csrf();
    helene
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "1")])
        .await
        .expect_redirect(&presence(p));
    let c = stored(&app, p).unwrap().confirmation.unwrap();
    assert_eq!(c.tutor, app.w.helene);
    assert_eq!(c.revision, 1);
    assert_eq!(c.at, NOW.parse::<jiff::Timestamp>().unwrap());
    assert_eq!(c.name.full(), "Hélène Caillé");
    let page = helene.get(&presence(p)).await;
    page.expect(200).sees(&[
        "Présence confirmée le mercredi 11 mars 2026 : l'attestation de PFMP le mentionne.",
        "Présence confirmée par le tuteur",
        "Confirmée par Hélène Caillé (Cheffe d'équipe électricienne) le mercredi 11 mars 2026 à 10 h 30.",
    ]);
    assert!(!page.body.contains(&format!("action=\"{}\"", confirmer(p))));
    // A second tap changes nothing.
    helene
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "1")])
        .await
        .expect_redirect(&presence(p));
    assert_eq!(stored(&app, p).unwrap().confirmation.unwrap(), c);
    // The referent sees it, the tutor's home no longer asks for it.
    teacher
        .get(&presence(p))
        .await
        .expect(200)
        .sees(&["Confirmée par Hélène Caillé"]);
    let home = helene.get("/").await;
    let card = home.expect(200).card("Maël Ferrand");
    assert!(!card.contains("la présence"), "{card}");
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
async fn a_change_after_the_confirmation_voids_it_and_says_so() {
    let app = App::start().await;
    let p = app.w.p_mael;
    let helene = app.tutor(app.w.helene).await;
    let csrf = helene.csrf(&presence(p)).await;
    post(&helene, &presence(p), &form(&csrf, "0", "", &WEEK))
        .await
        .expect_redirect(&presence(p));
    // Confirming a revision other than the stored one is refused.
    helene
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "0")])
        .await
        .expect(409)
        .sees(&["La présence a changé depuis l'affichage de la page : rien n'a été confirmé."]);
    assert!(stored(&app, p).unwrap().confirmation.is_none());
    helene
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "1")])
        .await
        .expect_redirect(&presence(p));
    assert!(stored(&app, p).unwrap().confirmed().is_some());

    // The referent changes one day: the confirmation no longer holds.
    let teacher = app.teacher(app.w.referent).await;
    let teacher_csrf = teacher.csrf(&presence(p)).await;
    let mut changed = WEEK;
    changed[3] = ("2026-03-05", "present", "6", "", false);
    post(
        &teacher,
        &presence(p),
        &form(&teacher_csrf, "1", "", &changed),
    )
    .await
    .expect_redirect(&presence(p));
    let a = stored(&app, p).unwrap();
    assert_eq!(a.revision, 2);
    assert!(a.confirmed().is_none());
    teacher.get(&presence(p)).await.expect(200).sees(&[
        "Elle a changé depuis la confirmation du tuteur : cette confirmation ne vaut plus, le tuteur doit confirmer de nouveau.",
        "Modifiée depuis la confirmation du mercredi 11 mars 2026 : à confirmer de nouveau.",
        "Présence saisie, non confirmée par le tuteur",
    ]);
    // The tutor sees it too, and may confirm the new revision.
    let page = helene.get(&presence(p)).await;
    page.expect(200)
        .sees(&["à confirmer de nouveau", "Confirmer la présence"]);
    helene
        .post(&confirmer(p), &[("_csrf", &csrf), ("revision", "2")])
        .await
        .expect_redirect(&presence(p));
    assert_eq!(stored(&app, p).unwrap().confirmed().unwrap().revision, 2);
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
