//! The PFMP certificate as a PDF (issue 8): a placement's certificate filled in, read
//! back with poppler's `pdftotext` and `pdffonts` (Debian's poppler-utils, installed by
//! `tests/run.sh`); who may download it; the blank form; the coordinator's ZIP.

use crate::support::*;
use jiff::civil::{Date, date};
use livret::domain::attendance::{AttendanceDay, CheckedAttendance, DayKind};
use livret::domain::*;
use livret::store::SchoolSeed;
use livret::store::{ConfirmedAttendance, SavedAttendance};
use std::io::{Read, Write};
use std::process::{Command, Stdio};

/// Łukasz Nguyễn-Şahin's placement at Bœuf & Cie with Françoise Le Bœuf-Çelik, and Zoé
/// Marchetti's (no attendance recorded), both in class TMELEC.
struct Seeded {
    class: ClassId,
    company: CompanyId,
    francoise_tutor: Tutor,
    lukasz: StudentId,
    zoe: StudentId,
    francoise: TutorId,
    p_lukasz: PlacementId,
    p_zoe: PlacementId,
}

const SIRET: &str = "12345678900017";

async fn seed(app: &App) -> Seeded {
    let class = Class {
        id: ClassId::new(),
        name: "TMELEC".into(),
        diploma: "bacpro-melec".into(),
        year: CycleYear::Terminale,
    };
    let student = |first: &str, last: &str, birth: Option<Date>| Student {
        id: StudentId::new(),
        class: class.id,
        name: PersonName::new(first, last),
        birth_date: birth,
        ine: None,
        email: None,
        active: true,
    };
    let lukasz = student("Łukasz", "Nguyễn-Şahin", Some(date(2009, 3, 14)));
    let zoe = student("Zoé", "Marchetti", None);
    let company = Company {
        id: CompanyId::new(),
        name: "Bœuf & Cie".into(),
        address: "12 rue de l’Œuvre".into(),
        city: "42000 Saint-Étienne".into(),
        siret: Some(SIRET.into()),
    };
    let francoise = Tutor {
        id: TutorId::new(),
        company: company.id,
        name: PersonName::new("Françoise", "Le Bœuf-Çelik"),
        job_title: "Cheffe d’équipe".into(),
        email: None,
        phone: None,
    };
    let placement = |s: &Student, start: Date, end: Date| Placement {
        id: PlacementId::new(),
        student: s.id,
        company: company.id,
        tutor: francoise.id,
        referent: app.w.referent,
        start,
        end,
        objectives: Vec::new(),
    };
    let p_lukasz = placement(&lukasz, date(2026, 2, 2), date(2026, 2, 27));
    let p_zoe = placement(&zoe, date(2026, 1, 5), date(2026, 1, 30));
    let lukasz_placement = p_lukasz.clone();
    let seeded = Seeded {
        class: class.id,
        company: company.id,
        francoise_tutor: francoise.clone(),
        lukasz: lukasz.id,
        zoe: zoe.id,
        francoise: francoise.id,
        p_lukasz: p_lukasz.id,
        p_zoe: p_zoe.id,
    };
    app.state
        .store
        .seed(&SchoolSeed {
            classes: vec![class],
            students: vec![lukasz, zoe],
            companies: vec![company],
            tutors: vec![francoise.clone()],
            placements: vec![p_lukasz, p_zoe],
            ..SchoolSeed::default()
        })
        .await
        .unwrap();

    // Four weeks, Monday to Friday: 7 h a day, but a half-day absence (unjustified) on
    // Tuesday 10 February and a day's absence (justified) on Thursday 12 February;
    // weekends « pas de PFMP ».
    let mut days = Vec::new();
    let mut d = date(2026, 2, 2);
    while d <= date(2026, 2, 27) {
        if d.weekday().to_monday_one_offset() > 5 {
            days.push(AttendanceDay {
                date: d,
                kind: DayKind::Off,
                presence: Hours::default(),
                reason: String::new(),
                justified: false,
            });
        } else {
            let (kind, quarters, justified) = if d == date(2026, 2, 10) {
                (DayKind::HalfDayAbsence, 14, false)
            } else if d == date(2026, 2, 12) {
                (DayKind::DayAbsence, 0, true)
            } else {
                (DayKind::Present, 28, false)
            };
            days.push(AttendanceDay {
                date: d,
                kind,
                presence: Hours::from_quarters(quarters).unwrap(),
                reason: if kind.is_absence() {
                    "Rendez-vous médical".into()
                } else {
                    String::new()
                },
                justified,
            });
        }
        d = d.tomorrow().unwrap();
    }
    let checked = CheckedAttendance {
        days,
        gratification_cents: Some(123_450),
    };
    let saved = app
        .state
        .store
        .save_attendance(
            seeded.p_lukasz,
            0,
            &checked,
            Subject::Tutor(seeded.francoise),
            app.clock.now(),
        )
        .await
        .unwrap();
    let SavedAttendance::Saved(a) = saved else {
        panic!("first save: {saved:?}")
    };
    let confirmed = app
        .state
        .store
        .confirm_attendance(
            &lukasz_placement,
            &francoise,
            a.revision,
            app.clock.now(),
            today(),
        )
        .await
        .unwrap();
    assert!(
        matches!(confirmed, ConfirmedAttendance::Confirmed(_)),
        "{confirmed:?}"
    );
    seeded
}

fn run(tool: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{tool} cannot be run ({e}): the PDF tests need poppler-utils \
                 (Debian: apt-get install poppler-utils; tests/run.sh installs it)"
            )
        });
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Keeps `bytes` as `name` in `$LIVRET_TEST_ARTEFACTS` when that directory is set
/// (to look at the PDFs: `pdftoppm -png`).
fn keep(name: &str, bytes: &[u8]) {
    if let Ok(dir) = std::env::var("LIVRET_TEST_ARTEFACTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
    }
}

/// The PDF's text as `pdftotext -layout -enc UTF-8` extracts it.
fn pdf_text(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    String::from_utf8(run(
        "pdftotext",
        &["-layout", "-enc", "UTF-8", "-", "-"],
        pdf,
    ))
    .unwrap()
}

/// `pdfinfo`'s answer for the PDF.
fn pdf_info(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.pdf");
    std::fs::write(&path, pdf).unwrap();
    String::from_utf8(run("pdfinfo", &[path.to_str().unwrap()], b"")).unwrap()
}

#[track_caller]
fn info_field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix(name))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {name} in pdfinfo's answer:\n{info}"))
        .to_string()
}

/// Every character the PDF's ToUnicode maps give a glyph (`beginbfchar` pairs and
/// `beginbfrange` ranges of its FlateDecode streams). `pdftotext` prints no-break
/// spaces as plain spaces, so this is how a test sees that one was written.
fn unicode_of_glyphs(pdf: &[u8]) -> Vec<char> {
    let mut out = Vec::new();
    let mut rest = pdf;
    while let Some(at) = find(rest, b"stream") {
        let mut body = &rest[at + b"stream".len()..];
        body = body.strip_prefix(b"\r").unwrap_or(body);
        body = body.strip_prefix(b"\n").unwrap_or(body);
        let Some(end) = find(body, b"endstream") else {
            break;
        };
        let mut inflated = Vec::new();
        let cmap = flate2::read::ZlibDecoder::new(&body[..end])
            .read_to_end(&mut inflated)
            .is_ok()
            && find(&inflated, b"begincmap").is_some();
        if cmap {
            let text = String::from_utf8_lossy(&inflated);
            let hex = |t: &str| u32::from_str_radix(t.trim_matches(['<', '>']), 16).ok();
            for line in text.lines() {
                let t: Vec<&str> = line.split_whitespace().collect();
                match t.as_slice() {
                    [_, dst] if dst.len() <= 6 => out.extend(hex(dst).and_then(char::from_u32)),
                    [lo, hi, dst] => {
                        if let (Some(lo), Some(hi), Some(dst)) = (hex(lo), hex(hi), hex(dst)) {
                            out.extend(
                                (0..=hi.saturating_sub(lo)).filter_map(|i| char::from_u32(dst + i)),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
        rest = &body[end + b"endstream".len()..];
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The text with runs of ASCII white space (layout columns, line ends) made one space,
/// so that a value wrapped on two lines reads as typed; no-break spaces are kept.
fn flat(text: &str) -> String {
    text.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

#[track_caller]
fn finds(text: &str, all: &[&str]) {
    let flat = flat(text);
    for s in all {
        assert!(
            flat.contains(s),
            "{s:?} not found in the PDF's text:\n{text}"
        );
    }
}

#[track_caller]
fn lacks(text: &str, none: &[&str]) {
    for s in none {
        assert!(!text.contains(s), "{s:?} found in the PDF's text:\n{text}");
    }
}

#[track_caller]
fn expect_pdf(d: &Download) {
    d.page.expect(200);
    assert_eq!(d.page.header("content-type"), Some("application/pdf"));
    assert_eq!(d.page.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn the_certificate_prints_every_field_of_the_national_model() {
    let app = App::start().await;
    let s = seed(&app).await;
    let url = format!("/stages/{}/attestation.pdf", s.p_lukasz);
    let tutor = app.tutor(s.francoise).await;
    let d = tutor.download(&url).await;
    expect_pdf(&d);
    assert_eq!(
        d.page.header("content-disposition"),
        Some("attachment; filename=\"attestation-pfmp-Nguyen-Sahin-Lukasz-2026-02-02.pdf\"")
    );
    keep("attestation.pdf", &d.bytes);
    let text = pdf_text(&d.bytes);
    let school = app.w.seed.school.clone().unwrap();
    finds(
        &text,
        &[
            // The school's header.
            &school.name,
            &format!("UAI {}", school.uai),
            &school.address,
            &school.city,
            "ATTESTATION DE PÉRIODE DE FORMATION EN MILIEU PROFESSIONNEL (PFMP)",
            // The host organisation.
            "ORGANISME D'ACCUEIL",
            "Nom ou dénomination : Bœuf & Cie",
            "Adresse : 12 rue de l’Œuvre",
            "Ville : 42000 Saint-Étienne",
            &format!("SIRET : {SIRET}"),
            "certifie que",
            // The student.
            "Nom : Nguyễn-Şahin",
            "Prénom : Łukasz",
            "Né(e) le : 14/03/2009",
            &format!("Scolarisé(e) au / à : {}", school.name),
            "Formation suivie : Baccalauréat professionnel Métiers de l'électricité et de ses environnements connectés — classe TMELEC (Terminale)",
            // Dates, duration, absences (18 days of 7 h and a half day of 3 h 30).
            "DATES DE LA PFMP",
            "du 02/02/2026 au 27/02/2026",
            "DURÉE EFFECTIVE TOTALE",
            "129 h 30 de présence, soit 18 jours et 3 h 30",
            "Absences : 1 demi-journée, 1 journée (dont 1 demi-journée non justifiée)",
            "Chaque période d'au moins 7 heures de présence, consécutives ou non, compte pour un jour ; 22 jours pour un mois (art. D124-6 du code de l'éducation).",
            // The gratification (its no-break spaces: below).
            "Montant total versé : 1 234,50 €",
            // The tutor and the confirmation (10:30 in Paris).
            "TUTEUR OU TUTRICE DANS L'ORGANISME D'ACCUEIL",
            "Nom : Le Bœuf-Çelik",
            "Prénom : Françoise",
            "Fonction : Cheffe d’équipe",
            "Présence confirmée dans Livret par Françoise Le Bœuf-Çelik (Cheffe d’équipe) le mercredi 11 mars 2026 à 10 h 30.",
            "Fait à",
            "Signature et cachet de l'organisme d'accueil",
        ],
    );
    lacks(&text, &["non confirmée", "non renseigné"]);
    // pdftotext prints every kind of space as a plain space: the ToUnicode maps say
    // which were written. The only narrow no-break space on the page is the amount's
    // thousands separator (`1 234,50 €`); no-break spaces hold numbers to their units.
    let chars = unicode_of_glyphs(&d.bytes);
    assert!(
        chars.contains(&'\u{202f}'),
        "no narrow no-break space: {chars:?}"
    );
    assert!(chars.contains(&'\u{a0}'), "no no-break space: {chars:?}");
    for c in ['Ł', 'ễ', 'Ş', 'œ', 'Œ', 'ç', 'Ç', 'É', '’', '€'] {
        assert!(chars.contains(&c), "{c} is not extractable: {chars:?}");
    }

    // One A4 page (595 × 842 points), fonts embedded.
    let info = pdf_info(&d.bytes);
    assert_eq!(info_field(&info, "Pages:"), "1", "{info}");
    assert!(
        info_field(&info, "Page size:").starts_with("595.28 x 841.89 pts (A4)"),
        "{info}"
    );
    assert_eq!(
        info_field(&info, "Title:"),
        "Attestation de PFMP — Łukasz Nguyễn-Şahin",
        "{info}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("attestation.pdf");
    std::fs::write(&path, &d.bytes).unwrap();
    let fonts = String::from_utf8(run("pdffonts", &[path.to_str().unwrap()], b"")).unwrap();
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(
        rows.iter().any(|r| r.contains("DejaVuSans-Bold"))
            && rows
                .iter()
                .any(|r| r.contains("DejaVuSans") && !r.contains("Bold")),
        "both fonts are used:\n{fonts}"
    );
    for row in &rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type… encoding emb sub uni object-id generation
        assert!(cols.len() >= 7, "{fonts}");
        assert_eq!(cols[cols.len() - 5], "yes", "font not embedded:\n{fonts}");
        assert_eq!(cols[cols.len() - 3], "yes", "no ToUnicode map:\n{fonts}");
    }
}

#[tokio::test]
async fn whoever_sees_the_placement_downloads_its_certificate_and_nobody_else() {
    let app = App::start().await;
    let s = seed(&app).await;
    let url = format!("/stages/{}/attestation.pdf", s.p_lukasz);
    for who in [
        app.tutor(s.francoise).await,
        app.teacher(app.w.referent).await,
        app.student(s.lukasz).await,
        app.coordinator().await,
    ] {
        let d = who.download(&url).await;
        expect_pdf(&d);
        finds(&pdf_text(&d.bytes), &["Nom : Nguyễn-Şahin"]);
    }
    for who in [
        app.tutor(app.w.helene).await,
        app.student(app.w.mael).await,
        app.student(s.zoe).await,
        app.teacher(app.w.odile).await,
    ] {
        who.download(&url).await.page.expect(404);
    }
    // Without a session: sign in first; an unknown or malformed id: 404.
    app.browser().download(&url).await.page.expect(401);
    let tutor = app.tutor(s.francoise).await;
    tutor
        .download(&format!("/stages/{}/attestation.pdf", PlacementId::new()))
        .await
        .page
        .expect(404);
    tutor
        .download("/stages/pas-un-id/attestation.pdf")
        .await
        .page
        .expect(404);
}

#[tokio::test]
async fn an_unrecorded_attendance_leaves_the_duration_blank() {
    let app = App::start().await;
    let s = seed(&app).await;
    let d = app
        .tutor(s.francoise)
        .await
        .download(&format!("/stages/{}/attestation.pdf", s.p_zoe))
        .await;
    expect_pdf(&d);
    keep("attestation-non-saisie.pdf", &d.bytes);
    assert_eq!(info_field(&pdf_info(&d.bytes), "Pages:"), "1");
    let text = pdf_text(&d.bytes);
    finds(
        &text,
        &[
            "Nom : Marchetti",
            "Prénom : Zoé",
            "du 05/01/2026 au 30/01/2026",
            "Présence non confirmée par le tuteur dans Livret.",
        ],
    );
    // No birth date, no duration, no gratification printed: lines to fill by hand.
    lacks(
        &text,
        &["h de présence", "€", "aucune", "Présence confirmée"],
    );
    let flat = flat(&text);
    assert!(flat.contains("Né(e) le : Scolarisé(e)"), "{text}");
    assert!(flat.contains("Durée : Absences : Chaque période"), "{text}");
}

#[tokio::test]
async fn the_blank_form_has_the_schools_header_and_nothing_else() {
    let app = App::start().await;
    let s = seed(&app).await;
    let school = app.w.seed.school.clone().unwrap();
    for who in [
        app.tutor(app.w.helene).await,
        app.student(s.lukasz).await,
        app.coordinator().await,
    ] {
        let d = who.download("/attestation-vierge.pdf").await;
        expect_pdf(&d);
        assert_eq!(
            d.page.header("content-disposition"),
            Some("attachment; filename=\"attestation-pfmp-vierge.pdf\"")
        );
        keep("attestation-vierge.pdf", &d.bytes);
        assert_eq!(info_field(&pdf_info(&d.bytes), "Pages:"), "1");
        let text = pdf_text(&d.bytes);
        finds(
            &text,
            &[
                &school.name,
                &format!("UAI {}", school.uai),
                "ATTESTATION DE PÉRIODE DE FORMATION EN MILIEU PROFESSIONNEL (PFMP)",
                "Nom ou dénomination :",
                "SIRET :",
                "Né(e) le :",
                "Période : du au",
                "Montant total versé :",
                "Fonction :",
                "Signature et cachet de l'organisme d'accueil",
            ],
        );
        lacks(
            &text,
            &[
                "Łukasz",
                "Bœuf",
                "Maël",
                "Électricité Générale",
                "Présence",
                "non renseigné",
                "Baccalauréat",
            ],
        );
    }
    app.browser()
        .download("/attestation-vierge.pdf")
        .await
        .page
        .expect(401);
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap();
            (f.name().unwrap().to_string(), out)
        })
        .collect()
}

#[tokio::test]
async fn the_coordinator_downloads_a_class_certificates_as_one_zip() {
    let app = App::start().await;
    let s = seed(&app).await;
    let coordinator = app.coordinator().await;
    let base = "/coordination/allocations/attestations.zip";
    let url = format!("{base}?classe={}&du=2025-09-01&au=2026-08-31", s.class);
    let d = coordinator.download(&url).await;
    d.page.expect(200);
    assert_eq!(d.page.header("content-type"), Some("application/zip"));
    assert_eq!(d.page.header("cache-control"), Some("no-store"));
    assert_eq!(
        d.page.header("content-disposition"),
        Some("attachment; filename=\"attestations-pfmp-TMELEC-2025-09-01-2026-08-31.zip\"")
    );
    let files = unzip(&d.bytes);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    // Students in name order.
    assert_eq!(
        names,
        [
            "attestation-pfmp-Marchetti-Zoe-2026-01-05.pdf",
            "attestation-pfmp-Nguyen-Sahin-Lukasz-2026-02-02.pdf",
        ]
    );
    finds(&pdf_text(&files[0].1), &["Nom : Marchetti", "Prénom : Zoé"]);
    let lukasz = pdf_text(&files[1].1);
    finds(
        &lukasz,
        &["Nom : Nguyễn-Şahin", "Prénom : Łukasz", "1 234,50 €"],
    );
    lacks(&lukasz, &["Marchetti"]);

    // No dates: the school year of today (2025-09-01 to 2026-08-31), the same two.
    let d = coordinator
        .download(&format!("{base}?classe={}", s.class))
        .await;
    d.page.expect(200);
    assert_eq!(unzip(&d.bytes).len(), 2);
    // Unreadable dates are refused, as by the CSV.
    for bad in [
        "du=hier&au=2026-08-31",
        "du=2025-09-01&au=31/08/2026",
        "du=0999-01-01",
    ] {
        let d = coordinator
            .download(&format!("{base}?classe={}&{bad}", s.class))
            .await;
        d.page.expect(400).shows(&["La date de"]);
        assert_ne!(d.page.header("content-type"), Some("application/zip"));
    }
    // A period holding only Łukasz's last day.
    let d = coordinator
        .download(&format!(
            "{base}?classe={}&du=2026-02-01&au=2026-02-28",
            s.class
        ))
        .await;
    d.page.expect(200);
    let files = unzip(&d.bytes);
    assert_eq!(files.len(), 1);
    assert_eq!(
        files[0].0,
        "attestation-pfmp-Nguyen-Sahin-Lukasz-2026-02-02.pdf"
    );

    // Nothing in the period: a French page back to the allowance page.
    let d = coordinator
        .download(&format!(
            "{base}?classe={}&du=2020-01-01&au=2020-12-31",
            s.class
        ))
        .await;
    d.page.expect(404).shows(&[
        "Aucune attestation à télécharger",
        "TMELEC",
        "01/01/2020",
        "href=\"/coordination/allocations\"",
    ]);

    // Unknown or malformed class: 404.
    coordinator
        .download(&format!("{base}?classe={}", ClassId::new()))
        .await
        .page
        .expect(404)
        .hides(&["Aucune attestation"]);
    coordinator.download(base).await.page.expect(404);

    // Coordinators only.
    for who in [
        app.teacher(app.w.referent).await,
        app.tutor(s.francoise).await,
        app.student(s.lukasz).await,
    ] {
        who.download(&url).await.page.expect(404);
    }
}

/// `words` repeated and cut to exactly `n` characters (no space at the end).
fn exactly(words: &str, n: usize) -> String {
    let s: String = words.chars().cycle().take(n).collect();
    let s = s.trim_end().to_string();
    let pad = n - s.chars().count();
    s + &"x".repeat(pad)
}

/// One more student of `s`'s class with a placement at `s`'s company from `start` to
/// `end`, `days` recorded (Monday to Friday present, weekends « pas de PFMP »), if any.
async fn another(
    app: &App,
    s: &Seeded,
    (first, last): (&str, &str),
    (start, end): (Date, Date),
    days: &[Date],
) -> Placement {
    let student = Student {
        id: StudentId::new(),
        class: s.class,
        name: PersonName::new(first, last),
        birth_date: None,
        ine: None,
        email: None,
        active: true,
    };
    let p = Placement {
        id: PlacementId::new(),
        student: student.id,
        company: s.company,
        tutor: s.francoise,
        referent: app.w.referent,
        start,
        end,
        objectives: Vec::new(),
    };
    app.state
        .store
        .seed(&SchoolSeed {
            students: vec![student],
            placements: vec![p.clone()],
            ..SchoolSeed::default()
        })
        .await
        .unwrap();
    if !days.is_empty() {
        let days = days
            .iter()
            .map(|d| {
                let off = d.weekday().to_monday_one_offset() > 5;
                AttendanceDay {
                    date: *d,
                    kind: if off { DayKind::Off } else { DayKind::Present },
                    presence: Hours::from_quarters(if off { 0 } else { 28 }).unwrap(),
                    reason: String::new(),
                    justified: false,
                }
            })
            .collect();
        let saved = app
            .state
            .store
            .save_attendance(
                p.id,
                0,
                &CheckedAttendance {
                    days,
                    gratification_cents: None,
                },
                Subject::Tutor(s.francoise),
                app.clock.now(),
            )
            .await
            .unwrap();
        assert!(matches!(saved, SavedAttendance::Saved(_)), "{saved:?}");
    }
    p
}

fn days_from(start: Date, end: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = start;
    while d <= end {
        out.push(d);
        d = d.tomorrow().unwrap();
    }
    out
}

#[tokio::test]
async fn a_certificate_made_before_the_end_is_provisional_and_confirms_nothing() {
    let app = App::start().await;
    let s = seed(&app).await;
    // 2 to 20 March; recorded up to today (11 March): 8 weekdays present.
    let p = another(
        &app,
        &s,
        ("Inès", "Roux"),
        (date(2026, 3, 2), date(2026, 3, 20)),
        &days_from(date(2026, 3, 2), today()),
    )
    .await;
    // A confirmation recorded before the end (older data, or a clock set wrong): the
    // days to come said « pas de PFMP » (allowed ahead), the store told it is the
    // last day.
    let mut a = app.state.store.attendance(p.id).unwrap().unwrap();
    for d in days_from(date(2026, 3, 12), p.end) {
        a.days.push(AttendanceDay {
            date: d,
            kind: DayKind::Off,
            presence: Hours::default(),
            reason: String::new(),
            justified: false,
        });
    }
    let saved = app
        .state
        .store
        .save_attendance(
            p.id,
            a.revision,
            &CheckedAttendance {
                days: a.days,
                gratification_cents: None,
            },
            Subject::Tutor(s.francoise),
            app.clock.now(),
        )
        .await
        .unwrap();
    assert!(matches!(saved, SavedAttendance::Saved(_)), "{saved:?}");
    let revision = app.state.store.attendance(p.id).unwrap().unwrap().revision;
    let confirmed = app
        .state
        .store
        .confirm_attendance(&p, &s.francoise_tutor, revision, app.clock.now(), p.end)
        .await
        .unwrap();
    assert!(
        matches!(confirmed, ConfirmedAttendance::Confirmed(_)),
        "{confirmed:?}"
    );
    let d = app
        .tutor(s.francoise)
        .await
        .download(&format!("/stages/{}/attestation.pdf", p.id))
        .await;
    expect_pdf(&d);
    keep("attestation-provisoire.pdf", &d.bytes);
    let text = pdf_text(&d.bytes);
    finds(
        &text,
        &[
            "ATTESTATION PROVISOIRE : la période n'est pas terminée ; durée arrêtée au 11/03/2026",
            "du 02/03/2026 au 20/03/2026",
            "Durée : 56 h de présence, soit 8 jours au 11/03/2026",
            "Présence non confirmée par le tuteur : la confirmation se fait à la fin de la période.",
            "Document provisoire établi par Livret le 11/03/2026",
        ],
    );
    lacks(&text, &["Présence confirmée", "Présence incomplète"]);
    let info = pdf_info(&d.bytes);
    assert_eq!(info_field(&info, "Pages:"), "1", "{info}");
    assert_eq!(
        info_field(&info, "Title:"),
        "Attestation de PFMP — Inès Roux (provisoire)"
    );
    // An ended placement's certificate is not provisional.
    let ended = app
        .tutor(s.francoise)
        .await
        .download(&format!("/stages/{}/attestation.pdf", s.p_lukasz))
        .await;
    lacks(&pdf_text(&ended.bytes), &["PROVISOIRE", "provisoire"]);
}

#[tokio::test]
async fn blank_past_days_are_printed_as_missing() {
    let app = App::start().await;
    let s = seed(&app).await;
    // 12 to 16 January: Monday and Tuesday recorded, Wednesday to Friday blank.
    let p = another(
        &app,
        &s,
        ("Léa", "Martin"),
        (date(2026, 1, 12), date(2026, 1, 16)),
        &[date(2026, 1, 12), date(2026, 1, 13)],
    )
    .await;
    let d = app
        .coordinator()
        .await
        .download(&format!("/stages/{}/attestation.pdf", p.id))
        .await;
    expect_pdf(&d);
    keep("attestation-incomplete.pdf", &d.bytes);
    let text = pdf_text(&d.bytes);
    finds(
        &text,
        &[
            "Durée : 14 h de présence, soit 2 jours",
            "Présence incomplète : 3 jours non renseignés",
            "Présence non confirmée par le tuteur dans Livret.",
        ],
    );
    lacks(&text, &["PROVISOIRE"]);
    // Everything filled in: no such line (Łukasz's weekends are « pas de PFMP »).
    let full = app
        .coordinator()
        .await
        .download(&format!("/stages/{}/attestation.pdf", s.p_lukasz))
        .await;
    lacks(&pdf_text(&full.bytes), &["incomplète", "non renseigné"]);
}

#[tokio::test]
async fn the_longest_values_the_forms_accept_keep_the_certificate_on_one_page() {
    let app = App::start().await;
    let s = seed(&app).await;
    // The placement form's limits: company name 150, address 200, city 100; tutor's
    // names and job title 100; a class list's names 100.
    let company = Company {
        id: CompanyId::new(),
        name: exactly(
            "Société coopérative ouvrière de production Bœuf & Cie ",
            150,
        ),
        address: exactly(
            "Zone artisanale du Bœuf, bâtiment C, allée des Peupliers ",
            200,
        ),
        city: exactly("42000 Saint-Étienne-de-Saint-Geoirs ", 100),
        siret: Some("73282932000074".into()),
    };
    let tutor = Tutor {
        id: TutorId::new(),
        company: company.id,
        name: PersonName::new(
            &exactly("Marie-Françoise-Éléonore-", 100),
            &exactly("de La Tour d’Auvergne-Łęczycka-Montmorency-", 100),
        ),
        job_title: exactly(
            "Responsable adjointe du service maintenance et travaux neufs ",
            100,
        ),
        email: None,
        phone: None,
    };
    let student = Student {
        id: StudentId::new(),
        class: s.class,
        name: PersonName::new(
            &exactly("Łukasz-Jean-Baptiste-", 100),
            &exactly("Nguyễn-Şahin-Dubois-Lefèvre-", 100),
        ),
        birth_date: Some(date(2009, 3, 14)),
        ine: None,
        email: None,
        active: true,
    };
    let p = Placement {
        id: PlacementId::new(),
        student: student.id,
        company: company.id,
        tutor: tutor.id,
        referent: app.w.referent,
        start: date(2026, 2, 2),
        end: date(2026, 2, 6),
        objectives: Vec::new(),
    };
    app.state
        .store
        .seed(&SchoolSeed {
            students: vec![student.clone()],
            companies: vec![company.clone()],
            tutors: vec![tutor.clone()],
            placements: vec![p.clone()],
            ..SchoolSeed::default()
        })
        .await
        .unwrap();
    // Absences of every kind, a blank day: every optional line is printed.
    let day = |d: i8, kind: DayKind, quarters: u8| AttendanceDay {
        date: date(2026, 2, d),
        kind,
        presence: Hours::from_quarters(quarters).unwrap(),
        reason: "Rendez-vous médical".into(),
        justified: d == 4,
    };
    app.state
        .store
        .save_attendance(
            p.id,
            0,
            &CheckedAttendance {
                days: vec![
                    day(2, DayKind::Present, 28),
                    day(3, DayKind::HalfDayAbsence, 14),
                    day(4, DayKind::DayAbsence, 0),
                    day(5, DayKind::HalfDayAbsence, 14),
                ],
                gratification_cents: Some(123_450),
            },
            Subject::Tutor(tutor.id),
            app.clock.now(),
        )
        .await
        .unwrap();
    let d = app
        .coordinator()
        .await
        .download(&format!("/stages/{}/attestation.pdf", p.id))
        .await;
    expect_pdf(&d);
    keep("attestation-longue.pdf", &d.bytes);
    let info = pdf_info(&d.bytes);
    assert_eq!(info_field(&info, "Pages:"), "1", "{info}");
    // Every value is there, in order, wrapped at spaces or after hyphens.
    let text = pdf_text(&d.bytes);
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for v in [
        &company.name,
        &company.address,
        &company.city,
        &tutor.name.first,
        &tutor.name.last,
        &tutor.job_title,
        &student.name.first,
        &student.name.last,
        "Présenceincomplète:1journonrenseigné",
        "Signatureetcachetdel'organismed'accueil",
    ] {
        let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            squeezed.contains(&v),
            "{v:?} not found in the PDF's text:\n{text}"
        );
    }
}

#[tokio::test]
async fn the_zip_holds_ended_placements_under_names_unique_whatever_the_case() {
    let app = App::start().await;
    let s = seed(&app).await;
    let january = (date(2026, 1, 12), date(2026, 1, 16));
    another(&app, &s, ("Léa", "MARTIN"), january, &[]).await;
    another(&app, &s, ("Léa", "Martin"), january, &[]).await;
    let ongoing = another(
        &app,
        &s,
        ("Inès", "Roux"),
        (date(2026, 3, 2), date(2026, 3, 20)),
        &days_from(date(2026, 3, 2), today()),
    )
    .await;
    let coordinator = app.coordinator().await;
    let base = "/coordination/allocations/attestations.zip";
    let d = coordinator
        .download(&format!(
            "{base}?classe={}&du=2025-09-01&au=2026-08-31",
            s.class
        ))
        .await;
    d.page.expect(200);
    let files = unzip(&d.bytes);
    let mut names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    names.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names.len(), 4, "{names:?}");
    let mut lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    lower.dedup();
    assert_eq!(lower.len(), 4, "names that differ only by case: {names:?}");
    assert_eq!(names[0], "attestation-pfmp-Marchetti-Zoe-2026-01-05.pdf");
    // One of the two Léa Martin keeps the plain name, the other gets `-2`.
    assert!(
        names[1..3]
            .iter()
            .any(|n| n.eq_ignore_ascii_case("attestation-pfmp-Martin-Lea-2026-01-12.pdf")),
        "{names:?}"
    );
    assert!(
        names[1..3]
            .iter()
            .any(|n| n.eq_ignore_ascii_case("attestation-pfmp-Martin-Lea-2026-01-12-2.pdf")),
        "{names:?}"
    );
    assert_eq!(
        names[3],
        "attestation-pfmp-Nguyen-Sahin-Lukasz-2026-02-02.pdf"
    );
    // Inès's placement ends on 20 March: no certificate yet.
    assert!(!names.iter().any(|n| n.contains("Roux")), "{names:?}");
    for (_, pdf) in &files {
        lacks(&pdf_text(pdf), &["Roux", "PROVISOIRE"]);
    }
    // March holds only Inès's placement, not ended: nothing to download, and why.
    let d = coordinator
        .download(&format!(
            "{base}?classe={}&du=2026-03-01&au=2026-03-31",
            s.class
        ))
        .await;
    d.page.expect(404).shows(&[
        "Aucune attestation à télécharger",
        "aucune PFMP terminée entre le 01/03/2026 et le 31/03/2026",
        "pas encore terminées",
    ]);
    // Its own certificate is still there, provisional.
    let own = coordinator
        .download(&format!("/stages/{}/attestation.pdf", ongoing.id))
        .await;
    finds(&pdf_text(&own.bytes), &["ATTESTATION PROVISOIRE"]);
}
