//! The PFMP certificate (attestation de PFMP, issue 8) as a PDF: gathered from the
//! store, laid out on one A4 page with the school's header and the fields of the
//! national model (arrêté of 29 December 2014; Code de l'éducation D124-9), filled in
//! or blank to complete by hand; and the coordinator's ZIP of a class's certificates.
//!
//! The PDF is written with krilla; the text is set in DejaVu Sans (`fonts/`, embedded
//! and subset), which prints every French and European name (é, ç, œ, ł, ş, ễ, ’, the
//! narrow no-break space) and stays extractable as text (krilla writes ToUnicode maps).
//! Lines are measured with rustybuzz, the shaper krilla draws with, and wrapped at
//! spaces (never at no-break spaces) inside the page's margins.

use crate::clock::Clock;
use crate::domain::attendance::{AttendanceCertificate, AttendanceTotals, euros_label};
use crate::domain::{Class, Placement, Referential, School, class_list, text};
use crate::error::{Error, Result};
use crate::store::Store;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, LineCap, Stroke, StrokeDash};
use krilla::text::{Font, TextDirection};
use krilla::{Data, Document};

/// DejaVu Sans (licence: `fonts/LICENSE-DejaVu.txt`).
const REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
const BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// The certificate's title, as the national model names the document for a PFMP.
pub const TITLE: &str = "ATTESTATION DE PÉRIODE DE FORMATION EN MILIEU PROFESSIONNEL (PFMP)";

/// The counting rule printed under the duration (Code de l'éducation D124-6).
pub const DURATION_RULE: &str = "Chaque période d'au moins 7 heures de présence, consécutives ou non, compte pour un jour ; 22 jours pour un mois (art. D124-6 du code de l'éducation).";

/// Printed when the SIRET is not known.
pub const NO_SIRET: &str = "non renseigné";

/// Gathers everything the certificate of placement `p` prints: the school, the
/// company, the student, their class and its diploma (the training label, for
/// example `Baccalauréat professionnel Métiers de l'électricité … — classe 1MELEC
/// (Première)`; the referential's code when the referential is not in the store),
/// the tutor and the attendance; `made_on` is `clock`'s today and `confirmed_at` the
/// tutor's confirmation in the school's time zone, when the current revision is
/// confirmed.
///
/// # Errors
/// [`Error::NotFound`] when the school, the company, the student, their class or the
/// tutor is missing; store failure.
pub fn gather(store: &Store, clock: &Clock, p: &Placement) -> Result<AttendanceCertificate> {
    let school = store.school()?.ok_or(Error::NotFound)?;
    let company = store.company(p.company)?.ok_or(Error::NotFound)?;
    let student = store.student(p.student)?.ok_or(Error::NotFound)?;
    let class = store.class(student.class)?.ok_or(Error::NotFound)?;
    let tutor = store.tutor(p.tutor)?.ok_or(Error::NotFound)?;
    let referential = store.referential(&class.diploma)?;
    let attendance = store.attendance(p.id)?;
    let mut c = AttendanceCertificate {
        training: training_label(&class, referential.as_ref()),
        school,
        company,
        student,
        start: p.start,
        end: p.end,
        tutor,
        attendance,
        made_on: clock.today(),
        confirmed_at: None,
    };
    c.confirmed_at = c
        .confirmation()
        .filter(|_| !is_provisional(&c))
        .map(|conf| conf.at.to_zoned_datetime(clock.zone().clone()).datetime());
    Ok(c)
}

/// True when the certificate is made before the placement's last day (`made_on <
/// end`): the duration is the one recorded so far, the certificate says it is
/// provisional ([`provisional_mark`]) and prints no confirmation as valid (the tutor
/// confirms at the end of the period: [`crate::domain::attendance::confirmation_refusal`]).
pub fn is_provisional(c: &AttendanceCertificate) -> bool {
    c.made_on < c.end
}

/// The mark printed under the title of a provisional certificate made on `made_on`:
/// `ATTESTATION PROVISOIRE : la période n'est pas terminée ; durée arrêtée au
/// 11/03/2026`.
pub fn provisional_mark(made_on: jiff::civil::Date) -> String {
    format!(
        "ATTESTATION PROVISOIRE : la période n'est pas terminée ; durée arrêtée au {}",
        text::date_short(made_on)
    )
}

/// `3 jours non renseignés`: the past days of the placement (up to `made_on`) that
/// the recorded attendance leaves blank ([`crate::domain::attendance::missing_days`]),
/// `None` when there are none or nothing is recorded (then the whole duration is left
/// to fill by hand).
pub fn missing_label(c: &AttendanceCertificate) -> Option<String> {
    let a = c.attendance.as_ref()?;
    match a.missing_days(c.start, c.end, c.made_on).len() {
        0 => None,
        1 => Some("1\u{a0}jour non renseigné".to_string()),
        n => Some(format!("{n}\u{a0}jours non renseignés")),
    }
}

/// The training followed as the certificate prints it: the diploma's full title,
/// the class and its year of the cycle, `Baccalauréat professionnel … — classe 1MELEC
/// (Première)`. Without the referential, its code stands for the title.
pub fn training_label(class: &Class, referential: Option<&Referential>) -> String {
    let diploma = referential.map_or(class.diploma.as_str(), |r| r.diploma.as_str());
    format!("{diploma} — classe {} ({})", class.name, class.year.label())
}

/// The certificate's file name: `attestation-pfmp-<Surname>-<First name>-<first
/// day>.pdf`, for example `attestation-pfmp-Nguyen-Sahin-Lukasz-2026-05-04.pdf`. ASCII
/// letters, digits and hyphens only: accents are dropped, ł, œ, ß… spelled with
/// plain letters, anything else (spaces, apostrophes, path characters) becomes one
/// hyphen.
pub fn file_name(c: &AttendanceCertificate) -> String {
    let last = ascii_name(&c.student.name.last);
    let first = ascii_name(&c.student.name.first);
    let who = [last, first]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if who.is_empty() {
        format!("attestation-pfmp-{}.pdf", c.start)
    } else {
        format!("attestation-pfmp-{who}-{}.pdf", c.start)
    }
}

/// `value` in ASCII letters, digits and single hyphens for a file name, case kept
/// ("Nguyễn-Şahin" → "Nguyen-Sahin", "Łukasz" → "Lukasz", "L’Œuvre" → "L-Oeuvre",
/// "../x" → "x"); empty when nothing is left.
pub fn ascii_name(value: &str) -> String {
    let mut out = String::new();
    for ch in value.chars() {
        let piece = if ch.is_ascii_alphanumeric() {
            ch.to_string()
        } else if ch.is_alphanumeric() {
            // The accent-folding the class lists use, with the letter's case kept.
            let folded: String = class_list::fold(&ch.to_string())
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            if ch.is_uppercase() {
                let mut cs = folded.chars();
                match cs.next() {
                    Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                    None => String::new(),
                }
            } else {
                folded
            }
        } else {
            "-".to_string()
        };
        for p in piece.chars() {
            if p == '-' && (out.is_empty() || out.ends_with('-')) {
                continue;
            }
            out.push(p);
        }
    }
    out.trim_end_matches('-').to_string()
}

/// One ZIP archive (deflate) holding `files` (name, bytes) in order, each entry dated
/// `modified` (the school's local time, as ZIP stores it). Names are made unique
/// ignoring case (the names are ASCII): a repeated `name.pdf` (or `NAME.pdf`) becomes
/// `name-2.pdf`, `name-3.pdf`…
///
/// # Errors
/// [`Error::Internal`] when the archive cannot be written.
pub fn zip(files: &[(String, Vec<u8>)], modified: jiff::civil::DateTime) -> Result<Vec<u8>> {
    use std::io::Write;
    let failed = |e: &dyn std::fmt::Display| Error::Internal(format!("archive ZIP : {e}"));
    let when = u16::try_from(modified.year())
        .ok()
        .and_then(|y| {
            ::zip::DateTime::from_date_and_time(
                y,
                modified.month().unsigned_abs(),
                modified.day().unsigned_abs(),
                modified.hour().unsigned_abs(),
                modified.minute().unsigned_abs(),
                modified.second().unsigned_abs(),
            )
            .ok()
        })
        .unwrap_or_default();
    let options = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Deflated)
        .last_modified_time(when);
    let mut writer = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut used: Vec<String> = Vec::new();
    for (name, bytes) in files {
        let unique = unique_name(name, &used);
        writer
            .start_file(unique.as_str(), options)
            .map_err(|e| failed(&e))?;
        writer.write_all(bytes).map_err(|e| failed(&e))?;
        used.push(unique);
    }
    Ok(writer.finish().map_err(|e| failed(&e))?.into_inner())
}

/// `name`, or `name-2`, `name-3`… (before the extension) when already in `used`,
/// ignoring case: `MARTIN-Lea.pdf` and `Martin-Lea.pdf` would be one file once
/// unzipped on Windows or macOS, whose file systems ignore case.
fn unique_name(name: &str, used: &[String]) -> String {
    let taken = |candidate: &str| used.iter().any(|u| u.eq_ignore_ascii_case(candidate));
    if !taken(name) {
        return name.to_string();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    (2..)
        .map(|n| format!("{stem}-{n}{ext}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| name.to_string())
}

/// The certificate `c` as a one-page A4 PDF: the school's header, the title (with
/// [`provisional_mark`] before the placement's last day), the host organisation, the
/// student, the school and the training, the dates, the effective total duration
/// (blank when the attendance is not recorded) with the absences and the days left
/// blank ([`missing_label`]), the gratification, the tutor, who confirmed the
/// attendance in Livret and when, « Fait à … le … » and a box for the host
/// organisation's signature and stamp. Long values (up to the forms' limits) keep it
/// on one page: the layout is tried tighter and tighter ([`DENSITIES`]: long values set
/// smaller, then less space between lines and sections) until it fits.
///
/// # Errors
/// [`Error::Internal`] when the PDF cannot be written (a font the PDF writer refuses).
pub fn render(c: &AttendanceCertificate) -> Result<Vec<u8>> {
    let fonts = Fonts::load()?;
    let l = fitted(&fonts, |l| lay_out(l, c));
    let mut title = format!("Attestation de PFMP — {}", c.student.name.full());
    if is_provisional(c) {
        title.push_str(" (provisoire)");
    }
    l.finish(&title, Some(c.made_on))
}

/// The first layout of [`DENSITIES`] that `draw` fills on one page; the tightest one
/// when none does.
fn fitted<'a>(fonts: &'a Fonts, draw: impl Fn(&mut Layout<'a>)) -> Layout<'a> {
    let (last, tries) = DENSITIES.split_last().unwrap_or((&DENSITIES[0], &[]));
    for d in tries {
        let mut l = Layout::new(fonts, *d);
        draw(&mut l);
        if l.pages.len() == 1 {
            return l;
        }
    }
    let mut l = Layout::new(fonts, *last);
    draw(&mut l);
    l
}

fn lay_out(l: &mut Layout<'_>, c: &AttendanceCertificate) {
    let provisional = is_provisional(c);
    school_header(l, &c.school);
    title(l);
    if provisional {
        l.banner(&provisional_mark(c.made_on));
    }

    l.section("ORGANISME D'ACCUEIL");
    l.field("Nom ou dénomination", Some(&c.company.name));
    l.field("Adresse", Some(&c.company.address));
    l.field("Ville", Some(&c.company.city));
    l.field(
        "SIRET",
        Some(
            c.company
                .siret
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or(NO_SIRET),
        ),
    );
    l.certifies();

    l.section("L'ÉLÈVE");
    l.field("Nom", Some(&c.student.name.last));
    l.field("Prénom", Some(&c.student.name.first));
    let born = c.student.birth_date.map(text::date_short);
    l.field("Né(e) le", born.as_deref());
    l.field("Scolarisé(e) au / à", Some(&c.school.name));
    l.field("Formation suivie", Some(&c.training));

    l.section("DATES DE LA PFMP");
    let dates = format!(
        "du {} au {}",
        text::date_short(c.start),
        text::date_short(c.end)
    );
    l.field("Période", Some(&dates));

    l.section("DURÉE EFFECTIVE TOTALE");
    let totals = c.totals();
    let duration = totals.map(|t| {
        let label = t.duration_label();
        if provisional {
            format!("{label} au {}", text::date_short(c.made_on))
        } else {
            label
        }
    });
    l.field("Durée", duration.as_deref());
    let absences = totals.map(|t| absences_label(&t));
    l.field("Absences", absences.as_deref());
    if let Some(missing) = missing_label(c) {
        l.field("Présence incomplète", Some(&missing));
    }
    l.note(DURATION_RULE);

    l.section("GRATIFICATION");
    let gratification = c
        .attendance
        .as_ref()
        .map(|a| a.gratification_cents.map_or("aucune".into(), euros_label));
    l.field("Montant total versé", gratification.as_deref());

    l.section("TUTEUR OU TUTRICE DANS L'ORGANISME D'ACCUEIL");
    l.field("Nom", Some(&c.tutor.name.last));
    l.field("Prénom", Some(&c.tutor.name.first));
    l.field("Fonction", Some(&c.tutor.job_title));
    let confirmation = match (c.confirmation(), c.confirmed_at) {
        _ if provisional => {
            "Présence non confirmée par le tuteur : la confirmation se fait à la fin de la période."
                .to_string()
        }
        (Some(who), Some(at)) => {
            let role = match who.job_title.trim() {
                "" => String::new(),
                title => format!(" ({title})"),
            };
            format!(
                "Présence confirmée dans Livret par {} {}{role} le {}.",
                who.name.first.trim(),
                who.name.last.trim(),
                text::date_time_long(at)
            )
        }
        _ => "Présence non confirmée par le tuteur dans Livret.".to_string(),
    };
    l.gap(4.0);
    let size = l.d.size;
    l.paragraph(&confirmation, Style::Regular, size, LEFT, RIGHT - LEFT);

    signature(l);
    let made = match (&c.attendance, provisional) {
        (Some(_), true) => format!(
            "Document provisoire établi par Livret le {} d'après les présences saisies à cette date.",
            text::date_short(c.made_on)
        ),
        (Some(_), false) => format!(
            "Document établi par Livret le {} d'après les présences saisies.",
            text::date_short(c.made_on)
        ),
        (None, _) => format!(
            "Document établi par Livret le {} ; présences non saisies : durée à compléter à la main.",
            text::date_short(c.made_on)
        ),
    };
    l.footer(&made);
}

/// The certificate's form with only `school`'s header filled in: every field is a
/// dotted line to complete by hand (the spec: the tutor downloads the certificate to
/// complete it). A long school name or address tightens the layout as [`render`] does.
///
/// # Errors
/// [`Error::Internal`] when the PDF cannot be written.
pub fn render_blank(school: &School) -> Result<Vec<u8>> {
    let fonts = Fonts::load()?;
    let l = fitted(&fonts, |l| lay_out_blank(l, school));
    l.finish("Attestation de PFMP (formulaire vierge)", None)
}

fn lay_out_blank(l: &mut Layout<'_>, school: &School) {
    l.blank_row = 20.0 * l.d.spacing.max(0.8);
    school_header(l, school);
    title(l);
    l.section("ORGANISME D'ACCUEIL");
    for label in ["Nom ou dénomination", "Adresse", "Ville", "SIRET"] {
        l.field(label, None);
    }
    l.certifies();
    l.section("L'ÉLÈVE");
    for label in ["Nom", "Prénom", "Né(e) le"] {
        l.field(label, None);
    }
    l.field("Scolarisé(e) au / à", Some(&school.name));
    l.field("Formation suivie", None);
    l.section("DATES DE LA PFMP");
    l.dates_blank();
    l.section("DURÉE EFFECTIVE TOTALE");
    l.field("Durée", None);
    l.field("Absences", None);
    l.note(DURATION_RULE);
    l.section("GRATIFICATION");
    l.field("Montant total versé", None);
    l.section("TUTEUR OU TUTRICE DANS L'ORGANISME D'ACCUEIL");
    for label in ["Nom", "Prénom", "Fonction"] {
        l.field(label, None);
    }
    signature(l);
}

/// `1 demi-journée, 1 journée (dont 3 demi-journées non justifiées)`, or `aucune`.
fn absences_label(t: &AttendanceTotals) -> String {
    let plural =
        |n: u32, one: &str, many: &str| format!("{n}\u{a0}{}", if n <= 1 { one } else { many });
    let mut parts = Vec::new();
    if t.half_day_absences > 0 {
        parts.push(plural(t.half_day_absences, "demi-journée", "demi-journées"));
    }
    if t.day_absences > 0 {
        parts.push(plural(t.day_absences, "journée", "journées"));
    }
    if parts.is_empty() {
        return "aucune".into();
    }
    let tail = if t.unjustified_half_days == 0 {
        "toutes justifiées".to_string()
    } else {
        format!(
            "dont {} non justifiée{}",
            plural(t.unjustified_half_days, "demi-journée", "demi-journées"),
            if t.unjustified_half_days > 1 { "s" } else { "" }
        )
    };
    format!("{} ({tail})", parts.join(", "))
}

fn school_header(l: &mut Layout<'_>, school: &School) {
    let (big, small) = (l.d.size + 2.0, l.d.small);
    l.paragraph(&school.name, Style::Bold, big, LEFT, RIGHT - LEFT);
    if !school.uai.trim().is_empty() {
        l.paragraph(
            &format!("UAI {}", school.uai),
            Style::Regular,
            small,
            LEFT,
            RIGHT - LEFT,
        );
    }
    for line in [&school.address, &school.city] {
        if !line.trim().is_empty() {
            l.paragraph(line, Style::Regular, small, LEFT, RIGHT - LEFT);
        }
    }
    l.gap(4.0);
    l.rule(1.0);
    l.gap(10.0);
}

fn title(l: &mut Layout<'_>) {
    let (big, small) = (l.d.size + 3.0, l.d.small);
    l.centered(TITLE, Style::Bold, big);
    l.centered(
        "Code de l'éducation, art. D124-9 ; modèle de l'arrêté du 29 décembre 2014",
        Style::Muted,
        small,
    );
    l.gap(2.0);
}

fn signature(l: &mut Layout<'_>) {
    // « Fait à … le … » on the left, the box on the right, together on one page.
    let room = 14.0 * l.d.spacing + l.box_height() + 6.0;
    l.ensure(room);
    l.gap(14.0);
    l.signature_row();
}

// ---------------------------------------------------------------------------------------
// Layout: a cursor going down the page, writing drawing operations; pages are drawn
// with krilla at the end.

/// A4 width, in points (210 mm).
const PAGE_W: f32 = 595.28;
/// A4 height, in points (297 mm).
const PAGE_H: f32 = 841.89;
/// Left margin: 2 cm.
const LEFT: f32 = 56.69;
/// Right edge of the text: 2 cm from the page's edge.
const RIGHT: f32 = PAGE_W - 56.69;
/// Top margin: 1.5 cm.
const TOP: f32 = 42.52;
/// Lowest point anything is drawn at: 1.5 cm from the bottom.
const BOTTOM: f32 = PAGE_H - 42.52;
/// Body text size, in points, of the normal layout.
#[cfg(test)]
const SIZE: f32 = 10.0;
/// Width of the labels' column.
const LABEL_W: f32 = 138.0;
/// Height of the signature box in the normal layout.
const BOX_HEIGHT: f32 = 88.0;
/// Lowest height of the signature box, however tight the layout (room for a stamp).
const BOX_MIN_HEIGHT: f32 = 68.0;

/// How tightly a certificate is laid out: sizes in points, line height and vertical
/// spaces as factors.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Density {
    /// Body text size (labels, values, paragraphs).
    size: f32,
    /// Small text size (header lines, notes).
    small: f32,
    /// Line height, as a multiple of the text size.
    leading: f32,
    /// Factor of every vertical space (gaps, section bands, blank rows, the signature
    /// box).
    spacing: f32,
    /// A value wrapping over more lines than this is set smaller, down to
    /// `min_value_size`.
    value_lines: usize,
    /// Smallest size a long value is set at.
    min_value_size: f32,
}

/// The layouts tried in order until the certificate fits on one page ([`fitted`]): the
/// normal one; long values (more than two lines) set smaller; then less space between
/// lines and sections, and a smaller body text. Everything the forms accept (company
/// name 150 characters, address 200, names and job title 100) fits on the last one.
const DENSITIES: [Density; 4] = [
    Density {
        size: 10.0,
        small: 8.5,
        leading: 1.35,
        spacing: 1.0,
        value_lines: usize::MAX,
        min_value_size: 10.0,
    },
    Density {
        size: 10.0,
        small: 8.5,
        leading: 1.3,
        spacing: 0.85,
        value_lines: 2,
        min_value_size: 8.5,
    },
    Density {
        size: 9.5,
        small: 8.0,
        leading: 1.25,
        spacing: 0.7,
        value_lines: 2,
        min_value_size: 8.0,
    },
    Density {
        size: 9.0,
        small: 7.5,
        leading: 1.2,
        spacing: 0.5,
        value_lines: 2,
        min_value_size: 7.5,
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Regular,
    Bold,
    /// Regular, in grey.
    Muted,
}

#[derive(Clone, Debug, PartialEq)]
enum Op {
    /// Text on one line; `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        style: Style,
        size: f32,
        text: String,
    },
    /// A straight line, solid or dotted.
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        dotted: bool,
    },
    /// A rectangle, filled light grey (`band`) or stroked.
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        band: bool,
    },
}

struct Fonts {
    regular: Font,
    bold: Font,
    regular_face: rustybuzz::Face<'static>,
    bold_face: rustybuzz::Face<'static>,
}

impl Fonts {
    fn load() -> Result<Fonts> {
        let bad = || Error::Internal("police DejaVu illisible".into());
        Ok(Fonts {
            regular: Font::new(Data::from(REGULAR_TTF), 0).ok_or_else(bad)?,
            bold: Font::new(Data::from(BOLD_TTF), 0).ok_or_else(bad)?,
            regular_face: rustybuzz::Face::from_slice(REGULAR_TTF, 0).ok_or_else(bad)?,
            bold_face: rustybuzz::Face::from_slice(BOLD_TTF, 0).ok_or_else(bad)?,
        })
    }

    /// The width of `s` set in `style` at `size` points, as rustybuzz shapes it (the
    /// shaping krilla draws with).
    fn width(&self, s: &str, style: Style, size: f32) -> f32 {
        let face = match style {
            Style::Bold => &self.bold_face,
            Style::Regular | Style::Muted => &self.regular_face,
        };
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(s);
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(face, &[], buffer);
        let units: i64 = shaped
            .glyph_positions()
            .iter()
            .map(|p| i64::from(p.x_advance))
            .sum();
        let per_em = face.units_per_em().max(1) as f32;
        units as f32 / per_em * size
    }

    /// `s` cut into lines no wider than `max`: at spaces (no-break spaces hold their
    /// words together), after a hyphen inside a word (`Nguyễn-` / `Şahin`), at line
    /// breaks, and inside a word only when the piece alone is too wide. No character
    /// is added or dropped but the spaces where lines break: the text extracted from
    /// the PDF reads as typed.
    fn wrap(&self, s: &str, style: Style, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in s.replace('\t', " ").split('\n') {
            let mut current = String::new();
            for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
                for (i, piece) in hyphen_pieces(word).into_iter().enumerate() {
                    // A space before a word, nothing between the pieces of a word.
                    let sep = if i == 0 && !current.is_empty() {
                        " "
                    } else {
                        ""
                    };
                    let candidate = format!("{current}{sep}{piece}");
                    if self.width(&candidate, style, size) <= max {
                        current = candidate;
                        continue;
                    }
                    if !current.is_empty() {
                        lines.push(std::mem::take(&mut current));
                    }
                    // The piece alone: cut it if it is wider than a line.
                    let mut part = String::new();
                    for ch in piece.chars() {
                        let mut next = part.clone();
                        next.push(ch);
                        if !part.is_empty() && self.width(&next, style, size) > max {
                            lines.push(std::mem::take(&mut part));
                            part.push(ch);
                        } else {
                            part = next;
                        }
                    }
                    current = part;
                }
            }
            if !current.is_empty() || lines.is_empty() {
                lines.push(current);
            }
        }
        lines
    }
}

/// `word` cut after each hyphen (`-` or `‐`) that has a letter or digit on both sides:
/// `Nguyễn-Şahin` → `Nguyễn-`, `Şahin`; `-2` and `a--b`'s first hyphen stay whole.
fn hyphen_pieces(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    let mut chars = word.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        let next = chars.peek().map(|(_, c)| *c);
        if matches!(ch, '-' | '\u{2010}')
            && prev.is_some_and(char::is_alphanumeric)
            && next.is_some_and(char::is_alphanumeric)
        {
            let end = i + ch.len_utf8();
            out.push(&word[start..end]);
            start = end;
        }
        prev = Some(ch);
    }
    if start < word.len() || out.is_empty() {
        out.push(&word[start..]);
    }
    out
}

struct Layout<'a> {
    fonts: &'a Fonts,
    /// How tight.
    d: Density,
    pages: Vec<Vec<Op>>,
    /// Top of the next line, from the page's top edge.
    y: f32,
    /// Height of a field left blank (a dotted line to write on by hand).
    blank_row: f32,
}

impl<'a> Layout<'a> {
    fn new(fonts: &'a Fonts, d: Density) -> Layout<'a> {
        Layout {
            fonts,
            d,
            pages: vec![Vec::new()],
            y: TOP,
            blank_row: d.size * d.leading + 2.0,
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// Starts a new page when `height` points do not fit below the cursor.
    fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP {
            self.pages.push(Vec::new());
            self.y = TOP;
        }
    }

    /// Moves the cursor down `points`, times the density's spacing.
    fn gap(&mut self, points: f32) {
        self.y += points * self.d.spacing;
    }

    /// Line height of text set at `size`.
    fn lead(&self, size: f32) -> f32 {
        size * self.d.leading
    }

    fn box_height(&self) -> f32 {
        (BOX_HEIGHT * self.d.spacing).max(BOX_MIN_HEIGHT)
    }

    /// One line of text whose top is at the cursor.
    fn line(&mut self, x: f32, s: &str, style: Style, size: f32) {
        let y = self.y + size;
        self.push(Op::Text {
            x,
            y,
            style,
            size,
            text: s.to_string(),
        });
    }

    /// `s` wrapped into the column from `x`, `width` wide; the cursor goes below it.
    fn paragraph(&mut self, s: &str, style: Style, size: f32, x: f32, width: f32) {
        let lead = self.lead(size);
        for line in self.fonts.wrap(s, style, size, width) {
            self.ensure(lead);
            self.line(x, &line, style, size);
            self.y += lead;
        }
    }

    fn centered(&mut self, s: &str, style: Style, size: f32) {
        let lead = self.lead(size);
        for line in self.fonts.wrap(s, style, size, RIGHT - LEFT) {
            self.ensure(lead);
            let w = self.fonts.width(&line, style, size);
            let x = LEFT + ((RIGHT - LEFT) - w).max(0.0) / 2.0;
            self.line(x, &line, style, size);
            self.y += lead;
        }
    }

    fn rule(&mut self, width: f32) {
        let y = self.y;
        self.push(Op::Line {
            x1: LEFT,
            y1: y,
            x2: RIGHT,
            y2: y,
            width,
            dotted: false,
        });
    }

    /// A framed bold line across the page (the provisional certificate's mark).
    fn banner(&mut self, s: &str) {
        let size = self.d.size;
        let lead = self.lead(size);
        let lines = self.fonts.wrap(s, Style::Bold, size, RIGHT - LEFT - 16.0);
        let h = lines.len() as f32 * lead + 8.0;
        self.gap(6.0);
        self.ensure(h);
        let top = self.y;
        self.push(Op::Rect {
            x: LEFT,
            y: top,
            w: RIGHT - LEFT,
            h,
            band: false,
        });
        self.y = top + 4.0;
        for line in lines {
            let w = self.fonts.width(&line, Style::Bold, size);
            let x = LEFT + ((RIGHT - LEFT) - w).max(0.0) / 2.0;
            self.line(x, &line, Style::Bold, size);
            self.y += lead;
        }
        self.y = top + h;
    }

    /// A section heading: bold capitals on a light grey band, the whole width.
    fn section(&mut self, heading: &str) {
        let h = (15.0 * self.d.spacing).max(12.5);
        let lead = self.lead(self.d.size);
        // A heading is never left alone at the bottom of a page.
        self.ensure(h + 6.0 * self.d.spacing + 2.0 * lead);
        self.gap(6.0);
        self.push(Op::Rect {
            x: LEFT,
            y: self.y,
            w: RIGHT - LEFT,
            h,
            band: true,
        });
        self.push(Op::Text {
            x: LEFT + 5.0,
            y: self.y + h / 2.0 + 3.5,
            style: Style::Bold,
            size: 9.5_f32.min(self.d.size),
            text: heading.to_string(),
        });
        self.y += h;
        self.gap(4.0);
    }

    /// `value` wrapped into a column `width` wide, and the size it is set at: the body
    /// size, or smaller (by half points, down to the density's smallest) when it would
    /// wrap over more than the density's `value_lines`.
    fn fit_value(&self, value: &str, width: f32) -> (f32, Vec<String>) {
        let mut size = self.d.size;
        loop {
            let lines = self.fonts.wrap(value, Style::Bold, size, width);
            if lines.len() <= self.d.value_lines || size - 0.5 < self.d.min_value_size {
                return (size, lines);
            }
            size -= 0.5;
        }
    }

    /// A label and its value in two columns; `None`: a dotted line to write on.
    /// Long labels and values wrap inside their column; a long value may be set
    /// smaller ([`Layout::fit_value`]).
    fn field(&mut self, label: &str, value: Option<&str>) {
        let size = self.d.size;
        let lead = self.lead(size);
        let value_x = LEFT + LABEL_W;
        let value_w = RIGHT - value_x;
        let labels = self
            .fonts
            .wrap(&format!("{label} :"), Style::Muted, size, LABEL_W - 8.0);
        let (value_size, values) = match value {
            Some(v) if !v.trim().is_empty() => self.fit_value(v, value_w),
            _ => (size, Vec::new()),
        };
        let value_lead = self.lead(value_size);
        let height = (labels.len() as f32 * lead)
            .max(values.len() as f32 * value_lead)
            .max(lead)
            + 2.0;
        if values.is_empty() && self.blank_row > height {
            // Room above the dotted line for handwriting.
            self.ensure(self.blank_row);
            self.y += self.blank_row - height;
        }
        self.ensure(height);
        let top = self.y;
        for (i, l) in labels.iter().enumerate() {
            self.y = top + i as f32 * lead;
            self.line(LEFT, l, Style::Muted, size);
        }
        if values.is_empty() {
            let baseline = top + size + 2.0;
            self.push(Op::Line {
                x1: value_x,
                y1: baseline,
                x2: RIGHT,
                y2: baseline,
                width: 0.8,
                dotted: true,
            });
        }
        for (i, v) in values.iter().enumerate() {
            // The first line's baseline is the label's.
            self.y = top + (size - value_size) + i as f32 * value_lead;
            self.line(value_x, v, Style::Bold, value_size);
        }
        self.y = top + height;
    }

    /// The dates' line of the blank form: « du ……… au ……… ».
    fn dates_blank(&mut self) {
        let size = self.d.size;
        let lead = self.lead(size);
        self.ensure(self.blank_row.max(lead + 2.0));
        self.y += (self.blank_row - (lead + 2.0)).max(0.0);
        let top = self.y;
        self.line(LEFT, "Période :", Style::Muted, size);
        let x = LEFT + LABEL_W;
        let baseline = top + size + 2.0;
        let du = self.fonts.width("du ", Style::Regular, size);
        self.line(x, "du", Style::Regular, size);
        self.push(Op::Line {
            x1: x + du,
            y1: baseline,
            x2: x + du + 110.0,
            y2: baseline,
            width: 0.8,
            dotted: true,
        });
        let au_x = x + du + 118.0;
        self.line(au_x, "au", Style::Regular, size);
        let au = self.fonts.width("au ", Style::Regular, size);
        self.push(Op::Line {
            x1: au_x + au,
            y1: baseline,
            x2: au_x + au + 110.0,
            y2: baseline,
            width: 0.8,
            dotted: true,
        });
        self.y = top + lead + 2.0;
    }

    /// « certifie que », between the host organisation and the student (the model's
    /// wording).
    fn certifies(&mut self) {
        let size = self.d.size;
        let lead = self.lead(size);
        self.gap(6.0);
        self.ensure(lead);
        self.line(LEFT, "certifie que", Style::Regular, size);
        self.y += lead;
    }

    /// A small grey note across the page.
    fn note(&mut self, s: &str) {
        self.gap(2.0);
        let small = self.d.small;
        self.paragraph(s, Style::Muted, small, LEFT, RIGHT - LEFT);
    }

    /// « Fait à ……… » and « le ……… » on the left, the framed box for the host
    /// organisation's signature and stamp on the right.
    fn signature_row(&mut self) {
        let size = self.d.size;
        let top = self.y;
        let box_w = 250.0;
        let box_h = self.box_height();
        let box_x = RIGHT - box_w;
        let dots_end = box_x - 18.0;
        for (i, label) in ["Fait à", "le"].into_iter().enumerate() {
            self.y = top + 4.0 + i as f32 * 26.0;
            self.line(LEFT, label, Style::Regular, size);
            let x = LEFT + self.fonts.width("Fait à ", Style::Regular, size);
            let baseline = self.y + size + 2.0;
            self.push(Op::Line {
                x1: x,
                y1: baseline,
                x2: dots_end,
                y2: baseline,
                width: 0.8,
                dotted: true,
            });
        }
        self.push(Op::Rect {
            x: box_x,
            y: top,
            w: box_w,
            h: box_h,
            band: false,
        });
        self.y = top + 6.0;
        self.paragraph(
            "Signature et cachet de l'organisme d'accueil",
            Style::Bold,
            9.0,
            box_x + 8.0,
            box_w - 16.0,
        );
        let small = self.d.small;
        self.paragraph(
            "Nom et fonction du signataire :",
            Style::Muted,
            small,
            box_x + 8.0,
            box_w - 16.0,
        );
        self.y = top + box_h + 6.0;
    }

    /// A small grey line in the bottom margin of the last page.
    fn footer(&mut self, s: &str) {
        let size = 7.5;
        let w = self.fonts.width(s, Style::Muted, size);
        self.push(Op::Text {
            x: LEFT + ((RIGHT - LEFT) - w).max(0.0) / 2.0,
            y: PAGE_H - 26.0,
            style: Style::Muted,
            size,
            text: s.to_string(),
        });
    }

    /// Draws the pages with krilla and returns the PDF, with `title` as its metadata
    /// title and `made_on` as its creation date.
    fn finish(self, title: &str, made_on: Option<jiff::civil::Date>) -> Result<Vec<u8>> {
        let failed = |e: &dyn std::fmt::Display| Error::Internal(format!("PDF : {e}"));
        let mut doc = Document::new();
        let mut metadata = Metadata::new()
            .title(title.to_string())
            .language("fr-FR".into())
            .creator("Livret".into());
        if let Some(d) = made_on
            && let Ok(year) = u16::try_from(d.year())
        {
            metadata = metadata.creation_date(
                krilla::metadata::DateTime::new(year)
                    .month(d.month().unsigned_abs())
                    .day(d.day().unsigned_abs()),
            );
        }
        doc.set_metadata(metadata);
        let settings =
            PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| failed(&"format de page"))?;
        for ops in &self.pages {
            let mut page = doc.start_page_with(settings.clone());
            let mut surface = page.surface();
            for op in ops {
                draw(&mut surface, self.fonts, op);
            }
            surface.finish();
            page.finish();
        }
        doc.finish().map_err(|e| failed(&e))
    }
}

fn fill(r: u8, g: u8, b: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn draw(surface: &mut krilla::surface::Surface<'_>, fonts: &Fonts, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            style,
            size,
            text,
        } => {
            let (font, colour) = match style {
                Style::Regular => (fonts.regular.clone(), fill(0, 0, 0)),
                Style::Bold => (fonts.bold.clone(), fill(0, 0, 0)),
                Style::Muted => (fonts.regular.clone(), fill(85, 85, 85)),
            };
            surface.set_stroke(None);
            surface.set_fill(Some(colour));
            surface.draw_text(
                Point::from_xy(*x, *y),
                font,
                *size,
                text,
                false,
                TextDirection::LeftToRight,
            );
        }
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            dotted,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y1);
            pb.line_to(*x2, *y2);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: if *dotted {
                        rgb::Color::new(110, 110, 110).into()
                    } else {
                        rgb::Color::new(0, 0, 0).into()
                    },
                    width: *width,
                    line_cap: if *dotted {
                        LineCap::Round
                    } else {
                        LineCap::Butt
                    },
                    dash: dotted.then(|| StrokeDash {
                        array: vec![0.0, 2.6],
                        offset: 0.0,
                    }),
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
            }
        }
        Op::Rect { x, y, w, h, band } => {
            let mut pb = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                pb.push_rect(rect);
            }
            if let Some(path) = pb.finish() {
                if *band {
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(232, 232, 232)));
                } else {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        width: 0.8,
                        ..Stroke::default()
                    }));
                }
                surface.draw_path(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain_ascii() {
        assert_eq!(ascii_name("Nguyễn-Şahin"), "Nguyen-Sahin");
        assert_eq!(ascii_name("Łukasz"), "Lukasz");
        assert_eq!(ascii_name("Le Bœuf-Çelik"), "Le-Boeuf-Celik");
        assert_eq!(ascii_name("N’Diaye / ../x"), "N-Diaye-x");
        assert_eq!(ascii_name("ŒDIPE"), "OeDIPE");
        assert_eq!(ascii_name("李"), "");
    }

    #[test]
    fn repeated_names_get_a_number() {
        let used = vec!["a.pdf".to_string(), "a-2.pdf".to_string()];
        assert_eq!(unique_name("a.pdf", &used), "a-3.pdf");
        assert_eq!(unique_name("b.pdf", &used), "b.pdf");
        assert_eq!(unique_name("c", &["c".into()]), "c-2");
        // Case-insensitive file systems (Windows, macOS) would make these one file.
        let used = vec!["attestation-pfmp-MARTIN-Lea.pdf".to_string()];
        assert_eq!(
            unique_name("attestation-pfmp-Martin-Lea.pdf", &used),
            "attestation-pfmp-Martin-Lea-2.pdf"
        );
        let used = vec!["A.pdf".to_string(), "a-2.PDF".to_string()];
        assert_eq!(unique_name("a.pdf", &used), "a-3.pdf");
    }

    #[test]
    fn long_values_wrap_inside_their_column() {
        let fonts = Fonts::load().unwrap();
        let long = "Société coopérative ouvrière de production des travaux électriques et \
                    de la maintenance industrielle du bassin stéphanois";
        let lines = fonts.wrap(long, Style::Bold, SIZE, 200.0);
        assert!(lines.len() >= 3, "{lines:?}");
        for l in &lines {
            assert!(fonts.width(l, Style::Bold, SIZE) <= 200.0, "{l}");
        }
        assert_eq!(
            lines.join(" "),
            long.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        // No-break spaces hold an amount together; a word wider than the line is cut.
        let amount = "1\u{202f}234,50\u{a0}€";
        assert_eq!(fonts.wrap(amount, Style::Regular, SIZE, 60.0), [amount]);
        let siret = "1".repeat(80);
        let cut = fonts.wrap(&siret, Style::Regular, SIZE, 100.0);
        assert!(cut.len() > 1);
        assert_eq!(cut.concat(), siret);
        // A hyphenated name breaks after a hyphen, not inside a part.
        let name = "Nguyễn-Şahin-Dubois-Lefèvre";
        let lines = fonts.wrap(
            name,
            Style::Bold,
            SIZE,
            fonts.width("Nguyễn-Şahin-Du", Style::Bold, SIZE),
        );
        assert_eq!(lines, ["Nguyễn-Şahin-", "Dubois-Lefèvre"]);
        let narrow = fonts.width("Nguyễn-Şah", Style::Bold, SIZE);
        let lines = fonts.wrap(name, Style::Bold, SIZE, narrow);
        assert_eq!(lines, ["Nguyễn-", "Şahin-", "Dubois-", "Lefèvre"]);
        assert_eq!(hyphen_pieces("-2"), ["-2"]);
        assert_eq!(hyphen_pieces("a--b"), ["a--b"]);
        assert_eq!(hyphen_pieces("Saint-Étienne"), ["Saint-", "Étienne"]);
        // Words stay whole when a line holds them.
        let lines = fonts.wrap(
            "Le Bœuf-Çelik Françoise",
            Style::Regular,
            SIZE,
            fonts.width("Le Bœuf-Çelik", Style::Regular, SIZE) + 1.0,
        );
        assert_eq!(lines, ["Le Bœuf-Çelik", "Françoise"]);
        // Wider text is wider.
        assert!(
            fonts.width("Bœuf & Cie", Style::Bold, SIZE)
                > fonts.width("Bœuf & Cie", Style::Regular, SIZE)
        );
    }

    #[test]
    fn fields_stay_inside_the_margins() {
        let fonts = Fonts::load().unwrap();
        let mut l = Layout::new(&fonts, DENSITIES[0]);
        let long = "Très long nom d'entreprise ".repeat(12);
        l.section("ORGANISME D'ACCUEIL");
        l.field("Nom ou dénomination", Some(&long));
        l.field("SIRET", None);
        for ops in &l.pages {
            for op in ops {
                match op {
                    Op::Text {
                        x,
                        y,
                        style,
                        size,
                        text,
                    } => {
                        assert!(*x >= LEFT - 0.01);
                        assert!(
                            x + fonts.width(text, *style, *size) <= RIGHT + 0.01,
                            "{text}"
                        );
                        assert!(*y <= BOTTOM);
                    }
                    Op::Line { x1, x2, .. } => assert!(*x1 >= LEFT && *x2 <= RIGHT + 0.01),
                    Op::Rect { x, w, .. } => assert!(*x >= LEFT && x + w <= RIGHT + 0.01),
                }
            }
        }
    }

    /// `words` repeated and cut to exactly `n` characters (the end trimmed of a space).
    fn exactly(words: &str, n: usize) -> String {
        let s: String = words.chars().cycle().take(n).collect();
        let s = s.trim_end().to_string();
        let pad = n - s.chars().count();
        s + &"x".repeat(pad)
    }

    /// A certificate with every value as long as the forms accept (company name 150,
    /// address 200, city 100; school name 150, address 200; names and job title 100),
    /// absences of every kind and blank days, made on `made_on`.
    fn long_certificate(made_on: jiff::civil::Date) -> AttendanceCertificate {
        use crate::domain::attendance::{
            Attendance, AttendanceConfirmation, AttendanceDay, DayKind,
        };
        use crate::domain::*;
        let tutor = Tutor {
            id: TutorId::new(),
            company: CompanyId::new(),
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
        let start = jiff::civil::date(2026, 2, 2);
        let end = jiff::civil::date(2026, 2, 27);
        let day = |d: i8, kind| AttendanceDay {
            date: jiff::civil::date(2026, 2, d),
            kind,
            presence: crate::domain::Hours::from_quarters(match kind {
                DayKind::Present => 28,
                DayKind::HalfDayAbsence => 14,
                _ => 0,
            })
            .unwrap(),
            reason: String::new(),
            justified: d % 2 == 0,
        };
        let days = vec![
            day(2, DayKind::Present),
            day(3, DayKind::HalfDayAbsence),
            day(4, DayKind::HalfDayAbsence),
            day(5, DayKind::DayAbsence),
            day(6, DayKind::DayAbsence),
            day(7, DayKind::Off),
        ];
        AttendanceCertificate {
            school: School {
                id: SchoolId::new(),
                name: exactly(
                    "Lycée polyvalent régional des métiers de l’électricité ",
                    150,
                ),
                uai: "0420001A".into(),
                address: exactly(
                    "Boulevard du Maréchal-de-Lattre-de-Tassigny, bâtiment ",
                    200,
                ),
                city: exactly("42000 Saint-Étienne-de-Saint-Geoirs ", 100),
            },
            company: Company {
                id: tutor.company,
                name: exactly(
                    "Société coopérative ouvrière de production Bœuf & Cie ",
                    150,
                ),
                address: exactly(
                    "Zone artisanale du Bœuf, bâtiment C, allée des Peupliers ",
                    200,
                ),
                city: exactly("42000 Saint-Étienne ", 100),
                siret: Some("73282932000074".into()),
            },
            student: Student {
                id: StudentId::new(),
                class: ClassId::new(),
                name: PersonName::new(
                    &exactly("Łukasz-Jean-Baptiste-", 100),
                    &exactly("Nguyễn-Şahin-Dubois-Lefèvre-", 100),
                ),
                birth_date: Some(jiff::civil::date(2009, 3, 14)),
                ine: None,
                email: None,
                active: true,
            },
            training: exactly(
                "Baccalauréat professionnel Métiers de l'électricité et de ses environnements connectés ",
                200,
            ),
            start,
            end,
            attendance: Some(Attendance {
                placement: PlacementId::new(),
                days,
                gratification_cents: Some(123_450),
                revision: 1,
                updated_at: jiff::Timestamp::UNIX_EPOCH,
                updated_by: Subject::Tutor(tutor.id),
                confirmation: Some(AttendanceConfirmation {
                    tutor: tutor.id,
                    name: tutor.name.clone(),
                    job_title: tutor.job_title.clone(),
                    at: jiff::Timestamp::UNIX_EPOCH,
                    revision: 1,
                    start,
                    end,
                }),
            }),
            tutor,
            made_on,
            confirmed_at: Some(made_on.at(10, 30, 0, 0)),
        }
    }

    /// Every drawing of `l` is inside the page's margins (the footer alone in the
    /// bottom margin); the number of text lines.
    fn inside_the_margins(fonts: &Fonts, l: &Layout<'_>) -> usize {
        let mut lines = 0;
        for ops in &l.pages {
            for op in ops {
                match op {
                    Op::Text {
                        x,
                        y,
                        style,
                        size,
                        text,
                    } => {
                        lines += 1;
                        assert!(*x >= LEFT - 0.01, "{text}");
                        assert!(
                            x + fonts.width(text, *style, *size) <= RIGHT + 0.01,
                            "{text}"
                        );
                        assert!(*y <= BOTTOM || text.starts_with("Document "), "{text}");
                        assert!(*y >= TOP, "{text}");
                    }
                    Op::Line { x1, x2, y1, .. } => {
                        assert!(*x1 >= LEFT && *x2 <= RIGHT + 0.01 && *y1 <= BOTTOM)
                    }
                    Op::Rect { x, y, w, h, .. } => {
                        assert!(*x >= LEFT && x + w <= RIGHT + 0.01 && y + h <= BOTTOM)
                    }
                }
            }
        }
        lines
    }

    #[test]
    fn a_certificate_with_long_values_stays_on_one_page() {
        let fonts = Fonts::load().unwrap();
        for made_on in [
            jiff::civil::date(2026, 3, 11),
            jiff::civil::date(2026, 2, 11),
        ] {
            let c = long_certificate(made_on);
            // The normal layout does not fit: the test would catch a fitting that
            // does nothing.
            let mut normal = Layout::new(&fonts, DENSITIES[0]);
            lay_out(&mut normal, &c);
            assert!(normal.pages.len() > 1, "{made_on}");
            let l = fitted(&fonts, |l| lay_out(l, &c));
            assert_eq!(l.pages.len(), 1, "{made_on}: {:?}", l.d);
            let lines = inside_the_margins(&fonts, &l);
            assert!(
                lines > 60,
                "the long values wrapped over many lines: {lines}"
            );
            // Every character of the long values is drawn, in order (wrapped lines
            // joined without the spaces where they break).
            let drawn: String = l.pages[0]
                .iter()
                .filter_map(|op| match op {
                    Op::Text { text, .. } => Some(text.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .concat()
                .replace(' ', "");
            for v in [
                &c.company.name,
                &c.company.address,
                &c.student.name.last,
                &c.tutor.job_title,
            ] {
                assert!(drawn.contains(&v.replace(' ', "")), "{v}");
            }
            assert!(render(&c).unwrap().starts_with(b"%PDF-"));
        }
        // A school with the longest name and address: the blank form stays on one page.
        let school = long_certificate(jiff::civil::date(2026, 3, 11)).school;
        let l = fitted(&fonts, |l| lay_out_blank(l, &school));
        assert_eq!(l.pages.len(), 1);
        inside_the_margins(&fonts, &l);
    }

    #[test]
    fn a_short_certificate_keeps_the_normal_layout() {
        let fonts = Fonts::load().unwrap();
        let mut c = long_certificate(jiff::civil::date(2026, 3, 11));
        c.company.name = "Bœuf & Cie".into();
        c.company.address = "12 rue de l’Œuvre".into();
        c.company.city = "42000 Saint-Étienne".into();
        c.school.name = "Lycée professionnel Marie-Curie".into();
        c.school.address = "12 rue des Écoles".into();
        c.school.city = "35000 Rennes".into();
        c.student.name = crate::domain::PersonName::new("Łukasz", "Nguyễn-Şahin");
        c.tutor.name = crate::domain::PersonName::new("Françoise", "Le Bœuf-Çelik");
        c.tutor.job_title = "Cheffe d’équipe".into();
        if let Some(conf) = c.attendance.as_mut().and_then(|a| a.confirmation.as_mut()) {
            conf.name = c.tutor.name.clone();
            conf.job_title = c.tutor.job_title.clone();
        }
        c.training = "Baccalauréat professionnel MELEC — classe TMELEC (Terminale)".into();
        let l = fitted(&fonts, |l| lay_out(l, &c));
        assert_eq!(l.d, DENSITIES[0]);
        assert_eq!(l.pages.len(), 1);
    }

    #[test]
    fn provisional_and_incomplete_certificates_say_so() {
        let c = long_certificate(jiff::civil::date(2026, 2, 11));
        assert!(is_provisional(&c));
        assert_eq!(
            provisional_mark(c.made_on),
            "ATTESTATION PROVISOIRE : la période n'est pas terminée ; durée arrêtée au 11/02/2026"
        );
        // 2 to 7 February recorded; the 8th to the 11th blank.
        assert_eq!(
            missing_label(&c).as_deref(),
            Some("4\u{a0}jours non renseignés")
        );
        let ended = long_certificate(jiff::civil::date(2026, 2, 27));
        assert!(!is_provisional(&ended));
        assert_eq!(
            missing_label(&ended).as_deref(),
            Some("20\u{a0}jours non renseignés")
        );
        let mut none = ended.clone();
        none.attendance = None;
        assert_eq!(missing_label(&none), None);
    }

    #[test]
    fn absences_read_as_french() {
        let t = AttendanceTotals {
            half_day_absences: 1,
            day_absences: 1,
            unjustified_half_days: 3,
            ..Default::default()
        };
        assert_eq!(
            absences_label(&t),
            "1\u{a0}demi-journée, 1\u{a0}journée (dont 3\u{a0}demi-journées non justifiées)"
        );
        let t = AttendanceTotals {
            day_absences: 2,
            ..Default::default()
        };
        assert_eq!(absences_label(&t), "2\u{a0}journées (toutes justifiées)");
        assert_eq!(absences_label(&AttendanceTotals::default()), "aucune");
    }

    #[test]
    fn the_blank_form_is_a_pdf() {
        let school = School {
            id: crate::domain::SchoolId::new(),
            name: "Lycée professionnel Marie-Curie".into(),
            uai: "0350001A".into(),
            address: "12 rue des Écoles".into(),
            city: "35000 Rennes".into(),
        };
        let pdf = render_blank(&school).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let zipped = zip(
            &[("a.pdf".into(), pdf.clone()), ("a.pdf".into(), pdf)],
            jiff::civil::date(2026, 3, 11).at(10, 30, 0, 0),
        )
        .unwrap();
        assert!(zipped.starts_with(b"PK"));
    }
}
