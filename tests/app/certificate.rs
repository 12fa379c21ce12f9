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
    let seeded = Seeded {
        class: class.id,
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
    // Tuesday 10 February and a day's absence (justified) on Thursday 12 February.
    let mut days = Vec::new();
    let mut d = date(2026, 2, 2);
    while d <= date(2026, 2, 27) {
        if d.weekday().to_monday_one_offset() <= 5 {
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
        .confirm_attendance(seeded.p_lukasz, &francoise, a.revision, app.clock.now())
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
    // Unreadable dates count as missing.
    let d = coordinator
        .download(&format!("{base}?classe={}&du=hier&au=31/08/2026", s.class))
        .await;
    d.page.expect(200);
    assert_eq!(unzip(&d.bytes).len(), 2);
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
