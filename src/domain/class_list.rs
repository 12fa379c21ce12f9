//! Class-list import (issue 3, item 3): the CSV file a school's software exports
//! (SIECLE, Pronote or a spreadsheet), read into students to create or update.
//!
//! Three pure steps, each usable alone:
//! 1. [`decode`] turns the file's bytes into text (UTF-8 with or without BOM,
//!    Windows-1252, UTF-16 with BOM), or refuses it: never mojibake such as "Ã©".
//! 2. [`parse`] reads that text as CSV (`;`, `,` or tab, found from the header line;
//!    CRLF, LF or CR; quoted fields) into [`ImportRow`]s and line-numbered rejections.
//!    [`read`] does steps 1 and 2 together.
//! 3. [`preview`] compares the rows with the school's students and classes and says
//!    what an import would do ([`ImportPreview`]); [`apply`] computes the student list
//!    after it. Nothing here writes anything: the caller stores the result, all or
//!    nothing.
//!
//! Line numbers are those a spreadsheet shows: the header is on line 1, and empty
//! lines count.

use super::ids::{ClassId, StudentId};
use super::logbook::parse_date;
use super::people::{Class, PersonName, Student};
use super::text;
use icu_normalizer::{ComposingNormalizerBorrowed, DecomposingNormalizerBorrowed};
use jiff::civil::Date;
use std::collections::HashMap;

/// Longest first name or surname accepted, in characters.
pub const NAME_MAX_CHARS: usize = 100;

/// Earliest plausible date of birth (1 January 1920): an earlier one in a class list
/// is a typing error (issue 3 review: "01/01/1890" was accepted). So is a date after
/// the day of the import.
pub const EARLIEST_BIRTH_DATE: Date = Date::constant(1920, 1, 1);

/// What a refused file's message ends with: the accepted encodings and how to get one.
const REEXPORT_HINT: &str = "Livret lit les fichiers CSV en UTF-8 (avec ou sans BOM) ou en \
Windows-1252 (le « CSV (séparateur : point-virgule) » d'Excel). Enregistrez le fichier en \
CSV UTF-8 depuis votre tableur, puis importez-le à nouveau.";

// ---------------------------------------------------------------------------------------
// Step 1: bytes to text.

/// Why a file's bytes could not be read as text. The `Display` text is French, for the
/// coordinator, and ends with the accepted encodings and how to re-export the file.
/// `line` fields count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A spreadsheet workbook (.xlsx, .ods: a ZIP archive; .xls: an OLE2 file), not CSV.
    #[error(
        "Ce fichier est un classeur de tableur (Excel ou LibreOffice), pas un fichier CSV. \
         Dans votre tableur, choisissez « Enregistrer sous » puis le format « CSV UTF-8 »."
    )]
    Workbook,
    /// The file starts with a UTF-8 or UTF-16 byte-order mark but is not valid in that
    /// encoding.
    #[error("Le fichier s'annonce en {encoding} mais ne l'est pas (ligne {line}). {hint}", hint = REEXPORT_HINT)]
    BrokenUnicode {
        /// "UTF-8" or "UTF-16".
        encoding: &'static str,
        /// Line of the first invalid byte.
        line: usize,
    },
    /// Neither valid UTF-8 nor Windows-1252 text, yet some of it is valid UTF-8: reading
    /// it as Windows-1252 would turn "é" into "Ã©", so it is refused.
    #[error(
        "Le fichier mélange deux encodages (de l'UTF-8 et un autre, ligne {line}) : \
         ses accents ne peuvent pas être lus sûrement. {hint}",
        hint = REEXPORT_HINT
    )]
    MixedEncodings {
        /// Line of the first byte that is not UTF-8.
        line: usize,
    },
    /// Bytes that no text file holds: NUL and other control characters, or the five
    /// bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D). UTF-16
    /// without a byte-order mark lands here too (every other byte is NUL).
    #[error(
        "Le fichier contient des caractères illisibles (ligne {line}) : ce n'est ni de \
         l'UTF-8 ni du Windows-1252. {hint}",
        hint = REEXPORT_HINT
    )]
    NotText {
        /// Line of the first such byte.
        line: usize,
    },
    /// The text already holds mojibake ("Ã©" for "é"): it was converted twice before it
    /// reached Livret, and importing it would store the garbled names.
    #[error(
        "Le fichier contient des accents mal convertis (« {sample} », ligne {line}), \
         sans doute par un enregistrement dans le mauvais encodage. Reprenez l'export \
         d'origine. {hint}",
        hint = REEXPORT_HINT
    )]
    Garbled {
        /// Line of the first garbled pair.
        line: usize,
        /// The two garbled characters, as found.
        sample: String,
    },
}

/// The encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceEncoding {
    /// UTF-8 without byte-order mark.
    Utf8,
    /// UTF-8 with its byte-order mark (Excel's "CSV UTF-8").
    Utf8Bom,
    /// UTF-16 little-endian with byte-order mark (Excel's "Texte Unicode").
    Utf16Le,
    /// UTF-16 big-endian with byte-order mark.
    Utf16Be,
    /// Windows-1252 (Excel's "CSV (séparateur : point-virgule)" on a French Windows).
    Windows1252,
}

/// Decodes a class-list file into text, byte-order mark removed.
///
/// Order of trial: a UTF-8 or UTF-16 (LE or BE) byte-order mark decides; otherwise
/// strict UTF-8; otherwise Windows-1252 (WHATWG Encoding Standard mapping, through
/// `encoding_rs`), but only when no part of the file is valid multi-byte UTF-8, so
/// a UTF-8 file is never read as Windows-1252. Empty input gives an empty text.
///
/// # Errors
/// [`DecodeError`]: a workbook instead of CSV, an invalid file behind a byte-order
/// mark, mixed encodings, control or undefined bytes, or text already garbled.
pub fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
    decode_detected(bytes).map(|(text, _)| text)
}

/// [`decode`], also saying which encoding was used.
///
/// # Errors
/// As [`decode`].
pub fn decode_detected(bytes: &[u8]) -> Result<(String, SourceEncoding), DecodeError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(DecodeError::Workbook);
    }
    let (text, encoding) = if let Some((bom, len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = &bytes[len..];
        let (name, source) = if bom == encoding_rs::UTF_8 {
            ("UTF-8", SourceEncoding::Utf8Bom)
        } else if bom == encoding_rs::UTF_16LE {
            ("UTF-16", SourceEncoding::Utf16Le)
        } else {
            ("UTF-16", SourceEncoding::Utf16Be)
        };
        let text = bom
            .decode_without_bom_handling_and_without_replacement(body)
            .ok_or_else(|| DecodeError::BrokenUnicode {
                encoding: name,
                line: first_invalid_line(body, source),
            })?;
        (text.into_owned(), source)
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_string(), SourceEncoding::Utf8),
            Err(e) => (
                windows_1252(bytes, e.valid_up_to())?,
                SourceEncoding::Windows1252,
            ),
        }
    };
    check_text(&text)?;
    Ok((text, encoding))
}

/// Line (from 1) of the byte at `offset`.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    1 + bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}

/// Line of the first invalid code unit of a file that claimed a Unicode encoding.
fn first_invalid_line(body: &[u8], source: SourceEncoding) -> usize {
    match source {
        SourceEncoding::Utf16Le | SourceEncoding::Utf16Be => {
            let units: Vec<u16> = body
                .chunks(2)
                .map(|p| match (source, p) {
                    (SourceEncoding::Utf16Le, [a, b]) => u16::from_le_bytes([*a, *b]),
                    (_, [a, b]) => u16::from_be_bytes([*a, *b]),
                    _ => 0xD800, // a lone last byte: as invalid as a lone surrogate
                })
                .collect();
            let mut line = 1;
            for unit in char::decode_utf16(units) {
                match unit {
                    Ok('\n') => line += 1,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            line
        }
        _ => match std::str::from_utf8(body) {
            Ok(_) => 1,
            Err(e) => line_of(body, e.valid_up_to()),
        },
    }
}

/// Reads bytes that are not UTF-8 as Windows-1252, refusing what would be mojibake.
/// `utf8_error_at` is the offset of the first byte that is not UTF-8.
fn windows_1252(bytes: &[u8], utf8_error_at: usize) -> Result<String, DecodeError> {
    // A valid multi-byte UTF-8 sequence is the mark of UTF-8 text: in French
    // Windows-1252 text it would take an accented capital followed by a symbol such as
    // "«", which names never hold.
    let has_utf8 = bytes.utf8_chunks().any(|chunk| !chunk.valid().is_ascii());
    if has_utf8 {
        return Err(DecodeError::MixedEncodings {
            line: line_of(bytes, utf8_error_at),
        });
    }
    if let Some(at) = bytes.iter().position(|b| {
        matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D)
            || (b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r'))
    }) {
        return Err(DecodeError::NotText {
            line: line_of(bytes, at),
        });
    }
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|t| t.into_owned())
        .ok_or(DecodeError::NotText {
            line: line_of(bytes, utf8_error_at),
        })
}

/// Refuses decoded text holding control characters (NUL from UTF-16 read without its
/// mark, C1 controls from undefined Windows-1252 bytes) or mojibake left by an earlier
/// wrong conversion: "Ã" or "Â" or "Å" followed by a character that Windows-1252
/// writes as 0x80–0xBF, which is how the UTF-8 bytes of "é", "à", "œ", "«"… look when
/// read as Windows-1252.
fn check_text(text: &str) -> Result<(), DecodeError> {
    let mut line = 1;
    let mut previous: Option<char> = None;
    let continuation_chars = encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(&(0x80..=0xBF).collect::<Vec<u8>>())
        .0
        .into_owned();
    for c in text.chars() {
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
            return Err(DecodeError::NotText { line });
        }
        if let Some(p) = previous
            && matches!(p, 'Ã' | 'Â' | 'Å')
            && continuation_chars.contains(c)
        {
            return Err(DecodeError::Garbled {
                line,
                sample: format!("{p}{c}"),
            });
        }
        if c == '\n' {
            line += 1;
        }
        previous = Some(c);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Step 2: text to rows.

/// A column Livret reads from a class list, and the student field it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// Surname (nom); required.
    LastName,
    /// First name (prénom); required.
    FirstName,
    /// Date of birth, dd/mm/yyyy.
    BirthDate,
    /// Division (class) name, as the school writes it.
    Class,
    /// INE, the national student number.
    Ine,
    /// E-mail address.
    Email,
}

impl Column {
    /// Every column, in the order of [`ImportRow`]'s fields.
    pub const ALL: [Column; 6] = [
        Column::LastName,
        Column::FirstName,
        Column::BirthDate,
        Column::Class,
        Column::Ine,
        Column::Email,
    ];

    /// French name shown in the UI and in messages.
    pub fn label(self) -> &'static str {
        match self {
            Column::LastName => "Nom",
            Column::FirstName => "Prénom",
            Column::BirthDate => "Date de naissance",
            Column::Class => "Classe",
            Column::Ine => "INE",
            Column::Email => "E-mail",
        }
    }

    /// Header names recognised for this column, as [`fold`] writes them (lowercase,
    /// no accents, letters and digits only), most specific first. They follow the
    /// exports of SIECLE and Pronote ("Né(e) le", "Division", "N° INE", "Prénom 1").
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::LastName => &[
                "nom",
                "nomdefamille",
                "nomfamille",
                "nomdeleve",
                "nomeleve",
                "nomdusage",
                "nomusage",
            ],
            Column::FirstName => &[
                "prenom",
                "prenom1",
                "premierprenom",
                "prenomusuel",
                "prenomdeleve",
                "prenomeleve",
            ],
            Column::BirthDate => &[
                "datedenaissance",
                "datenaissance",
                "datenaiss",
                "datenais",
                "naissance",
                "neele",
                "nele",
                "nee",
                "ne",
                "ddn",
            ],
            Column::Class => &["division", "classe", "div", "codedivision", "codeclasse"],
            Column::Ine => &[
                "ine",
                "nine",
                "noine",
                "numeroine",
                "numine",
                "ineeleve",
                "identifiantnationaleleve",
                "identifiantnational",
            ],
            Column::Email => &[
                "email",
                "mail",
                "courriel",
                "emaileleve",
                "maileleve",
                "courrieleleve",
                "adressemail",
                "adresseemail",
                "adressecourriel",
                "adresseelectronique",
            ],
        }
    }
}

/// One valid line of a class list, cleaned: text trimmed, NFC-normalised, inner
/// whitespace collapsed to single spaces; `None` for an empty cell or an absent column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// Line in the file (header on line 1).
    pub line: usize,
    /// First name and surname, as written in the file (case and accents kept).
    pub name: PersonName,
    /// Date of birth.
    pub birth_date: Option<Date>,
    /// Division name, as written in the file.
    pub class: Option<String>,
    /// INE, uppercased, 11 characters.
    pub ine: Option<String>,
    /// E-mail address, as written.
    pub email: Option<String>,
}

/// A line that will not be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Line in the file (header on line 1).
    pub line: usize,
    /// French reason; several are joined by " ; ".
    pub reason: String,
}

/// A class list read from a file: its recognised columns, its valid rows and its
/// rejected lines, both in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassList {
    /// Each recognised column with its header as written in the file.
    pub columns: Vec<(Column, String)>,
    /// Headers of the columns that were not recognised, hence not read.
    pub ignored_columns: Vec<String>,
    /// Valid rows.
    pub rows: Vec<ImportRow>,
    /// Lines refused while reading (missing name, unreadable date, invalid INE…).
    pub rejected: Vec<Rejection>,
}

/// Why a text is not a usable class list. The `Display` text is French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// No line holds anything.
    #[error("Le fichier est vide.")]
    Empty,
    /// A required column is not in the header line.
    #[error("{}", missing_columns_message(.missing, .found))]
    MissingColumns {
        /// The required columns not found.
        missing: Vec<Column>,
        /// The headers read, as written.
        found: Vec<String>,
    },
    /// The CSV reader failed (not expected on decoded text; kept for completeness).
    #[error("Fichier CSV illisible (ligne {line}) : {message}")]
    Csv {
        /// Line where reading stopped.
        line: usize,
        /// The reader's message.
        message: String,
    },
}

fn missing_columns_message(missing: &[Column], found: &[String]) -> String {
    let names: Vec<String> = missing
        .iter()
        .map(|c| format!("« {} »", c.label()))
        .collect();
    let head = if let [one] = names.as_slice() {
        format!("La colonne {one} est introuvable")
    } else {
        format!("Les colonnes {} sont introuvables", names.join(" et "))
    };
    let read: Vec<String> = found.iter().map(|h| format!("« {h} »")).collect();
    format!(
        "{head} : la première ligne du fichier doit donner le nom de chaque colonne \
         (Nom, Prénom, Date de naissance, Division, INE, E-mail). Colonnes lues : {}.",
        if read.is_empty() {
            "aucune".to_string()
        } else {
            read.join(", ")
        }
    )
}

/// Why [`read`] failed: the bytes or the CSV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The bytes are not text Livret can read.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The text is not a usable class list.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// [`decode`] then [`parse`]: a class-list file's bytes to rows.
///
/// # Errors
/// [`ReadError`], wrapping the step's error.
pub fn read(bytes: &[u8]) -> Result<ClassList, ReadError> {
    Ok(parse(&decode(bytes)?)?)
}

/// Reads a decoded class list.
///
/// The first non-empty line is the header; the delimiter is whichever of `;`, tab and
/// `,` it holds most often outside quotes (`;` when none). Headers are matched to
/// [`Column`]s ignoring case, accents, spaces and punctuation; "Nom" and "Prénom" are
/// required, the others optional, unknown ones ignored. Lines whose cells are all
/// empty are skipped. A line is rejected, with all its reasons, when its name or first
/// name is missing or longer than [`NAME_MAX_CHARS`], its date is not dd/mm/yyyy (ISO
/// yyyy-mm-dd is accepted too, see `logbook::parse_date`), its INE is not 10 digits
/// and a letter or 9 digits and two letters, its e-mail is implausible, it has more
/// filled cells than the header has columns, or a cell spans lines because of an
/// unclosed quote.
///
/// # Errors
/// [`ParseError::Empty`] for a text with no content; [`ParseError::MissingColumns`]
/// naming "Nom" and/or "Prénom" when the header lacks them.
pub fn parse(text: &str) -> Result<ClassList, ParseError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    // One line ending, so that the reader's line count (it counts LF) is right for
    // CR-only files too.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let delimiter = detect_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());

    // Line breaks inside quoted cells so far: a spreadsheet shows such a cell in one
    // row, so they are taken off the reader's line count.
    let mut inner_breaks = 0usize;
    let mut header: Option<Vec<String>> = None;
    let mut index: [Option<usize>; 6] = [None; 6];
    let mut list = ClassList {
        columns: Vec::new(),
        ignored_columns: Vec::new(),
        rows: Vec::new(),
        rejected: Vec::new(),
    };
    for record in reader.records() {
        let record = record.map_err(|e| ParseError::Csv {
            line: e
                .position()
                .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX)),
            message: e.to_string(),
        })?;
        let (raw_line, byte) = record.position().map_or((1, 0), |p| {
            (
                usize::try_from(p.line()).unwrap_or(usize::MAX),
                usize::try_from(p.byte()).unwrap_or(usize::MAX),
            )
        });
        // The reader's position is where it started looking, before the empty lines
        // it skips: step over them.
        let skipped = text
            .as_bytes()
            .get(byte..)
            .map_or(0, |rest| rest.iter().take_while(|b| **b == b'\n').count());
        let line = raw_line
            .saturating_add(skipped)
            .saturating_sub(inner_breaks);
        inner_breaks += record
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>();
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match &header {
            None => {
                let names: Vec<String> = record.iter().map(cell).collect();
                index = match_columns(&names, &mut list)?;
                header = Some(names);
            }
            Some(names) => match read_row(&record, line, names.len(), &index, delimiter) {
                Ok(row) => list.rows.push(row),
                Err(reason) => list.rejected.push(Rejection { line, reason }),
            },
        }
    }
    if header.is_none() {
        return Err(ParseError::Empty);
    }
    Ok(list)
}

/// The delimiter of the first non-empty line: the most frequent of `;`, tab and `,`
/// outside double quotes, `;` on a tie or when there is none.
fn detect_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in first.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => counts[0] += 1,
            '\t' if !quoted => counts[1] += 1,
            ',' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let mut best = (b';', counts[0]);
    for (d, n) in [(b'\t', counts[1]), (b',', counts[2])] {
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

/// Maps header cells to columns, filling `list.columns` and `list.ignored_columns`.
/// For each column the header matching its earliest alias wins; among equal ones, the
/// leftmost.
fn match_columns(names: &[String], list: &mut ClassList) -> Result<[Option<usize>; 6], ParseError> {
    let keys: Vec<String> = names.iter().map(|n| fold(n)).collect();
    let mut index: [Option<usize>; 6] = [None; 6];
    let mut taken = vec![false; names.len()];
    for column in Column::ALL {
        let found = column.aliases().iter().find_map(|alias| {
            keys.iter()
                .enumerate()
                .position(|(i, k)| !taken[i] && k == alias)
        });
        if let Some(i) = found {
            taken[i] = true;
            index[column as usize] = Some(i);
            list.columns.push((column, names[i].clone()));
        }
    }
    let missing: Vec<Column> = [Column::LastName, Column::FirstName]
        .into_iter()
        .filter(|c| index[*c as usize].is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ParseError::MissingColumns {
            missing,
            found: names.iter().filter(|n| !n.is_empty()).cloned().collect(),
        });
    }
    list.ignored_columns = names
        .iter()
        .zip(&taken)
        .filter(|(n, t)| !**t && !n.is_empty())
        .map(|(n, _)| n.clone())
        .collect();
    Ok(index)
}

/// Checks one data line; on failure, the French reasons joined by " ; ".
fn read_row(
    record: &csv::StringRecord,
    line: usize,
    width: usize,
    index: &[Option<usize>; 6],
    delimiter: u8,
) -> Result<ImportRow, String> {
    let raw = |c: Column| {
        index[c as usize]
            .and_then(|i| record.get(i))
            .unwrap_or_default()
    };
    let mut reasons: Vec<String> = Vec::new();

    let spans_lines = index
        .iter()
        .flatten()
        .filter_map(|i| record.get(*i))
        .any(|f| f.contains('\n'))
        || record
            .iter()
            .any(|f| f.contains('\n') && f.contains(char::from(delimiter)));
    if spans_lines {
        reasons.push(
            "Une cellule s'étend sur plusieurs lignes : un guillemet (\") n'est sans doute \
             pas refermé."
                .to_string(),
        );
    }
    if record.iter().skip(width).any(|f| !f.trim().is_empty()) {
        reasons.push(format!(
            "La ligne a {} colonnes alors que l'en-tête en a {width} : une cellule contient \
             sans doute le séparateur sans être entre guillemets.",
            record.len()
        ));
    }

    let mut name_part = |column: Column, what: &str| {
        let value = cell(raw(column));
        let count = value.chars().count();
        if count == 0 {
            reasons.push(format!("{what} manquant."));
        } else if count > NAME_MAX_CHARS {
            reasons.push(format!(
                "{what} trop long : {count} caractères pour {NAME_MAX_CHARS} au plus."
            ));
        }
        value
    };
    let last = name_part(Column::LastName, "Nom");
    let first = name_part(Column::FirstName, "Prénom");

    let birth_raw = cell(raw(Column::BirthDate));
    let birth_date = if birth_raw.is_empty() {
        None
    } else if let Some(d) = parse_birth_date(&birth_raw) {
        Some(d)
    } else {
        reasons.push(format!(
            "Date de naissance « {birth_raw} » illisible : écrivez-la jj/mm/aaaa, comme \
             14/03/2008."
        ));
        None
    };

    let class = Some(cell(raw(Column::Class))).filter(|c| !c.is_empty());

    let ine_raw = cell(raw(Column::Ine));
    let ine = if ine_raw.is_empty() {
        None
    } else {
        let ine = normalize_ine(&ine_raw);
        if !is_valid_ine(&ine) {
            reasons.push(format!(
                "INE « {ine_raw} » invalide : un INE a 11 caractères, 10 chiffres et une \
                 lettre ou 9 chiffres et deux lettres."
            ));
        }
        Some(ine)
    };

    let email = Some(cell(raw(Column::Email))).filter(|e| !e.is_empty());
    if let Some(e) = &email
        && !is_plausible_email(e)
    {
        reasons.push(format!("Adresse e-mail « {e} » invalide."));
    }

    if reasons.is_empty() {
        Ok(ImportRow {
            line,
            name: PersonName { first, last },
            birth_date,
            class,
            ine,
            email,
        })
    } else {
        Err(reasons.join(" ; "))
    }
}

/// A cell's text: the `="…"` wrapper some exports use to keep leading zeros removed,
/// cleaned by [`text::clean`], NFC-normalised (so "é" typed on a Mac equals "é" typed
/// elsewhere), and inner whitespace, line breaks included, collapsed to one space.
fn cell(raw: &str) -> String {
    let raw = raw.trim();
    let raw = raw
        .strip_prefix("=\"")
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let cleaned = text::clean(raw);
    let nfc = ComposingNormalizerBorrowed::new_nfc().normalize(&cleaned);
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A date of birth: [`parse_date`] (dd/mm/yyyy, or yyyy-mm-dd), after dropping a
/// midnight time some spreadsheets append ("14/03/2008 00:00:00").
fn parse_birth_date(value: &str) -> Option<Date> {
    let date_part = match value.split_once(' ') {
        Some((d, time)) if time.chars().all(|c| c.is_ascii_digit() || c == ':') => d,
        _ => value,
    };
    parse_date(date_part).ok()
}

/// An INE as stored: spaces removed, uppercased.
fn normalize_ine(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// True for the two INE shapes the brief of issue 3 names: 10 digits and a letter
/// (INE-RNIE, INE-BEA), or 9 digits and two letters (INE-BASE/INE-SIFA). The check
/// letter's key is not verified. Expects an uppercased value.
pub fn is_valid_ine(ine: &str) -> bool {
    let bytes = ine.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    bytes.len() == 11
        && matches!(digits, 9 | 10)
        && bytes[digits..].iter().all(u8::is_ascii_uppercase)
}

/// A light syntactic check of an e-mail address: one "@", a non-empty local part, a
/// domain of non-empty dot-separated labels with at least one dot, no whitespace and
/// at most 254 characters (RFC 5321's path limit). Whether the mailbox exists is not
/// checked.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

/// The comparison form of a name or header: Unicode-decomposed (NFD) with its
/// combining accents dropped, lowercased, "œ"/"æ"/"ß" spelled out, and only letters and
/// digits kept. "Lefèvre", "LEFEVRE" and "Le Fèvre" all give "lefevre"; "N'Diaye" and
/// "NDIAYE" give "ndiaye"; "Né(e) le" gives "neele".
pub fn fold(value: &str) -> String {
    let decomposed = DecomposingNormalizerBorrowed::new_nfd().normalize(value);
    let mut out = String::with_capacity(decomposed.len());
    for c in decomposed.chars().filter(|c| !is_combining_mark(*c)) {
        for l in c.to_lowercase() {
            match l {
                'œ' => out.push_str("oe"),
                'æ' => out.push_str("ae"),
                'ß' => out.push_str("ss"),
                'ı' => out.push('i'),
                'ø' => out.push('o'),
                'đ' => out.push('d'),
                'ł' => out.push('l'),
                l if l.is_alphanumeric() => out.push(l),
                _ => {}
            }
        }
    }
    out
}

/// Combining diacritical marks (the blocks NFD puts Latin accents in).
fn is_combining_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

// ---------------------------------------------------------------------------------------
// Step 3: rows against the school.

/// A student the import would create (no id yet: [`apply`] gives one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStudent {
    /// Line in the file.
    pub line: usize,
    /// Class.
    pub class: ClassId,
    /// Name.
    pub name: PersonName,
    /// Date of birth.
    pub birth_date: Option<Date>,
    /// INE.
    pub ine: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

/// A student the import would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentUpdate {
    /// Line in the file.
    pub line: usize,
    /// The student as stored.
    pub before: Student,
    /// The student after the import.
    pub after: Student,
    /// The fields that differ, in [`Column::ALL`] order (never empty).
    pub changed: Vec<Column>,
    /// True when the surname or first name changes beyond case, accents and
    /// punctuation (compared by [`fold`]): only a line matched by its INE can do that,
    /// and the preview flags it so that the coordinator checks the INE.
    pub name_changed: bool,
}

/// A line that matches a student whom it would not change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnchangedStudent {
    /// Line in the file.
    pub line: usize,
    /// The student as stored.
    pub student: Student,
}

/// What importing a class list would do; every list is in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPreview {
    /// Students to create.
    pub to_create: Vec<NewStudent>,
    /// Students to update.
    pub to_update: Vec<StudentUpdate>,
    /// Lines that match a student and change nothing.
    pub unchanged: Vec<UnchangedStudent>,
    /// Lines not imported, with their French reason (from reading and from matching).
    pub rejected: Vec<Rejection>,
    /// Division names of the file that the school does not have, in order of first
    /// appearance: the coordinator may create them and preview again.
    pub unknown_classes: Vec<String>,
}

impl ImportPreview {
    /// True when applying would change nothing.
    pub fn changes_nothing(&self) -> bool {
        self.to_create.is_empty() && self.to_update.is_empty()
    }
}

/// Identity of a person for matching, names folded by [`fold`] and INE uppercased.
struct Identity {
    ine: Option<String>,
    last: String,
    first: String,
    birth_date: Option<Date>,
}

impl Identity {
    fn of(name: &PersonName, birth_date: Option<Date>, ine: Option<&str>) -> Self {
        Identity {
            ine: ine.map(normalize_ine).filter(|i| !i.is_empty()),
            last: fold(&name.last),
            first: fold(&name.first),
            birth_date,
        }
    }

    /// Issue 3's rule: the same INE when both have one; otherwise the same folded
    /// surname and first name, and the same birth date unless one of them is unknown.
    fn same_person(&self, other: &Identity) -> bool {
        match (&self.ine, &other.ine) {
            (Some(a), Some(b)) => a == b,
            _ => self.same_name_and_birth(other),
        }
    }

    fn same_name_and_birth(&self, other: &Identity) -> bool {
        self.last == other.last
            && self.first == other.first
            && match (self.birth_date, other.birth_date) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }

    /// Same folded names and the same known birth date, but two different INEs: the
    /// same person with a mistyped INE far more often than a namesake twin.
    fn same_but_other_ine(&self, other: &Identity) -> bool {
        self.last == other.last
            && self.first == other.first
            && self.birth_date.is_some()
            && self.birth_date == other.birth_date
            && matches!((&self.ine, &other.ine), (Some(a), Some(b)) if a != b)
    }
}

/// True when two surnames share a word once [`fold`]ed ("Benali" and "Benali-Durand",
/// "Le Goff" and "LEGOFF"): a surname changed this way is still recognisable.
fn share_a_surname(a: &str, b: &str) -> bool {
    let words = |name: &str| -> Vec<String> {
        name.split(|c: char| !c.is_alphanumeric())
            .map(fold)
            .filter(|w| !w.is_empty())
            .collect()
    };
    let (wa, wb) = (words(a), words(b));
    fold(a) == fold(b) || wa.iter().any(|w| wb.contains(w))
}

/// "FERRAND Maël, né(e) le 14/03/2009" (or "…, date de naissance inconnue"): a stored
/// student as the preview's messages name them.
fn described(s: &Student) -> String {
    let born = s.birth_date.map_or_else(
        || "date de naissance inconnue".to_string(),
        |d| format!("né(e) le {}", text::date_short(d)),
    );
    format!("{} {}, {born}", s.name.last, s.name.first)
}

/// Compares a class list with the school's students and classes, on `today` (the
/// school's date, from the clock: it bounds the plausible birth dates).
///
/// Each valid row, in file order:
/// - is rejected when its birth date is after `today` or before
///   [`EARLIEST_BIRTH_DATE`];
/// - is rejected as a duplicate when an earlier accepted row is the same person
///   (see below), or has the same names and birth date with another INE, naming that
///   line;
/// - takes its class from its division name, matched exactly, else ignoring case,
///   accents and spaces; an unknown or ambiguous name rejects the line (the unknown
///   ones are also listed in [`ImportPreview::unknown_classes`]); with no division,
///   `default_class` applies, else an existing student keeps theirs and a new one is
///   rejected;
/// - is matched to an existing student (active or not) by INE when both have one,
///   otherwise by surname, first name and birth date compared by [`fold`] (a missing
///   birth date on either side matches any; of several matches, a single one with the
///   same known birth date wins, otherwise the line is rejected as ambiguous);
/// - when it matches by INE but its surname shares no word with the stored one and its
///   birth date does not confirm the match (absent or different), is rejected: the INE
///   is most likely mistyped. A lesser name change by INE is kept (names get
///   corrected; the INE is the identity) and flagged ([`StudentUpdate::name_changed`]);
/// - when it matches nobody but a stored student has the same names and birth date
///   with another INE, is rejected rather than creating a second record of that
///   student (issue 3 review);
/// - is rejected when that student was already matched by an earlier line;
/// - becomes an update of the fields it changes (an empty cell never erases a stored
///   value), an unchanged line, or a creation.
///
/// Deterministic: the same inputs give the same preview. Applying it with [`apply`]
/// and previewing the same list again gives no creation and no update.
pub fn preview(
    list: &ClassList,
    existing: &[Student],
    classes: &[Class],
    default_class: Option<ClassId>,
    today: Date,
) -> ImportPreview {
    let mut out = ImportPreview {
        rejected: list.rejected.clone(),
        ..ImportPreview::default()
    };
    let known: Vec<Identity> = existing
        .iter()
        .map(|s| Identity::of(&s.name, s.birth_date, s.ine.as_deref()))
        .collect();
    let mut by_ine: HashMap<&str, usize> = HashMap::new();
    for (i, id) in known.iter().enumerate().rev() {
        if let Some(ine) = &id.ine {
            by_ine.insert(ine.as_str(), i); // reversed, so the first one stays
        }
    }
    let mut by_name: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, id) in known.iter().enumerate() {
        by_name
            .entry((id.last.as_str(), id.first.as_str()))
            .or_default()
            .push(i);
    }
    let mut accepted: Vec<(Identity, usize)> = Vec::new();
    let mut claimed: HashMap<StudentId, usize> = HashMap::new();

    for row in &list.rows {
        let reject = |out: &mut ImportPreview, reason: String| {
            out.rejected.push(Rejection {
                line: row.line,
                reason,
            });
        };
        if let Some(born) = row.birth_date
            && !(EARLIEST_BIRTH_DATE..=today).contains(&born)
        {
            let why = if born > today {
                "elle est dans le futur"
            } else {
                "elle est antérieure à 1920"
            };
            reject(
                &mut out,
                format!(
                    "Date de naissance invraisemblable ({}) : {why}. Corrigez-la ou \
                     laissez la cellule vide.",
                    text::date_short(born)
                ),
            );
            continue;
        }
        let identity = Identity::of(&row.name, row.birth_date, row.ine.as_deref());
        if let Some((_, line)) = accepted.iter().find(|(a, _)| a.same_person(&identity)) {
            reject(
                &mut out,
                format!("Doublon de la ligne {line} ({}).", row.name.full()),
            );
            continue;
        }
        if let Some((_, line)) = accepted
            .iter()
            .find(|(a, _)| a.same_but_other_ine(&identity))
        {
            reject(
                &mut out,
                format!(
                    "Même nom et même date de naissance que la ligne {line} mais un autre \
                     INE : vérifiez l'INE."
                ),
            );
            continue;
        }
        let class = match &row.class {
            None => default_class,
            Some(name) => match find_class(name, classes) {
                ClassMatch::One(id) => Some(id),
                ClassMatch::None => {
                    if !out.unknown_classes.contains(name) {
                        out.unknown_classes.push(name.clone());
                    }
                    reject(
                        &mut out,
                        format!(
                            "Classe « {name} » inconnue : créez-la d'abord, ou corrigez le \
                             nom de la division."
                        ),
                    );
                    continue;
                }
                ClassMatch::Several => {
                    reject(
                        &mut out,
                        format!(
                            "Classe « {name} » ambiguë : plusieurs classes portent ce nom \
                             à la casse ou aux espaces près."
                        ),
                    );
                    continue;
                }
            },
        };
        let ine_match = identity.ine.as_deref().and_then(|i| by_ine.get(i)).copied();
        let found = match ine_match {
            Some(i) => Found::One(i),
            None => find_by_name(&identity, &known, &by_name),
        };
        match found {
            Found::Several => {
                reject(
                    &mut out,
                    format!(
                        "Plusieurs élèves déjà inscrits s'appellent {} : ajoutez l'INE ou \
                         la date de naissance pour les distinguer.",
                        row.name.full()
                    ),
                );
            }
            Found::None => {
                if let Some(other) = by_name
                    .get(&(identity.last.as_str(), identity.first.as_str()))
                    .into_iter()
                    .flatten()
                    .find(|i| {
                        known
                            .get(**i)
                            .is_some_and(|k| k.same_but_other_ine(&identity))
                    })
                    .and_then(|i| existing.get(*i))
                {
                    reject(
                        &mut out,
                        format!(
                            "Un élève {} {} né(e) le {} existe déjà avec un autre INE ({}) : \
                             vérifiez l'INE.",
                            other.name.last,
                            other.name.first,
                            other.birth_date.map(text::date_short).unwrap_or_default(),
                            other.ine.as_deref().unwrap_or_default(),
                        ),
                    );
                    continue;
                }
                let Some(class) = class else {
                    reject(
                        &mut out,
                        "Classe manquante : indiquez la division de l'élève (colonne \
                         « Division » ou « Classe »), ou choisissez une classe pour tout le \
                         fichier."
                            .to_string(),
                    );
                    continue;
                };
                out.to_create.push(NewStudent {
                    line: row.line,
                    class,
                    name: row.name.clone(),
                    birth_date: row.birth_date,
                    ine: row.ine.clone(),
                    email: row.email.clone(),
                });
                accepted.push((identity, row.line));
            }
            Found::One(i) => {
                let Some(before) = existing.get(i) else {
                    continue;
                };
                let confirmed_by_birth =
                    row.birth_date.is_some() && row.birth_date == before.birth_date;
                if ine_match.is_some()
                    && !share_a_surname(&row.name.last, &before.name.last)
                    && !confirmed_by_birth
                {
                    let why = if row.birth_date.is_some() && before.birth_date.is_some() {
                        "ni le nom ni la date de naissance de la ligne ne correspondent"
                    } else {
                        "le nom de la ligne est tout autre et aucune date de naissance ne \
                         confirme qu'il s'agit du même élève"
                    };
                    reject(
                        &mut out,
                        format!(
                            "INE déjà attribué à {} : {why}. Vérifiez l'INE.",
                            described(before)
                        ),
                    );
                    continue;
                }
                if let Some(line) = claimed.get(&before.id) {
                    reject(
                        &mut out,
                        format!(
                            "Désigne le même élève que la ligne {line} ({}).",
                            before.name.full()
                        ),
                    );
                    continue;
                }
                claimed.insert(before.id, row.line);
                let name_changed = fold(&before.name.last) != identity.last
                    || fold(&before.name.first) != identity.first;
                accepted.push((identity, row.line));
                let after = updated(before, row, class);
                let changed = changed_columns(before, &after);
                if changed.is_empty() {
                    out.unchanged.push(UnchangedStudent {
                        line: row.line,
                        student: before.clone(),
                    });
                } else {
                    out.to_update.push(StudentUpdate {
                        line: row.line,
                        before: before.clone(),
                        after,
                        changed,
                        name_changed,
                    });
                }
            }
        }
    }
    out.rejected.sort_by_key(|r| r.line);
    out
}

enum ClassMatch {
    None,
    One(ClassId),
    Several,
}

/// A class by division name: the exact (trimmed) name, else the only one with the same
/// [`fold`]ed name.
fn find_class(name: &str, classes: &[Class]) -> ClassMatch {
    if let Some(c) = classes.iter().find(|c| c.name.trim() == name) {
        return ClassMatch::One(c.id);
    }
    let key = fold(name);
    let mut same = classes.iter().filter(|c| fold(&c.name) == key);
    match (same.next(), same.next()) {
        (None, _) => ClassMatch::None,
        (Some(c), None) => ClassMatch::One(c.id),
        (Some(_), Some(_)) => ClassMatch::Several,
    }
}

enum Found {
    None,
    One(usize),
    Several,
}

/// An existing student with the same name and a compatible birth date and INE.
fn find_by_name(
    row: &Identity,
    known: &[Identity],
    by_name: &HashMap<(&str, &str), Vec<usize>>,
) -> Found {
    let candidates: Vec<usize> = by_name
        .get(&(row.last.as_str(), row.first.as_str()))
        .into_iter()
        .flatten()
        .copied()
        .filter(|i| known.get(*i).is_some_and(|k| row.same_person(k)))
        .collect();
    match candidates.as_slice() {
        [] => Found::None,
        [one] => Found::One(*one),
        several => {
            let exact: Vec<usize> = several
                .iter()
                .copied()
                .filter(|i| {
                    row.birth_date.is_some()
                        && known
                            .get(*i)
                            .is_some_and(|k| k.birth_date == row.birth_date)
                })
                .collect();
            match exact.as_slice() {
                [one] => Found::One(*one),
                _ => Found::Several,
            }
        }
    }
}

/// The student after a row: names from the row; class, birth date, INE and e-mail
/// only where the row has them.
fn updated(before: &Student, row: &ImportRow, class: Option<ClassId>) -> Student {
    let mut after = before.clone();
    after.name = row.name.clone();
    if let Some(class) = class {
        after.class = class;
    }
    if let Some(d) = row.birth_date {
        after.birth_date = Some(d);
    }
    if let Some(ine) = &row.ine {
        after.ine = Some(ine.clone());
    }
    if let Some(email) = &row.email {
        after.email = Some(email.clone());
    }
    after
}

fn changed_columns(before: &Student, after: &Student) -> Vec<Column> {
    Column::ALL
        .into_iter()
        .filter(|c| match c {
            Column::LastName => before.name.last != after.name.last,
            Column::FirstName => before.name.first != after.name.first,
            Column::BirthDate => before.birth_date != after.birth_date,
            Column::Class => before.class != after.class,
            Column::Ine => before.ine != after.ine,
            Column::Email => before.email != after.email,
        })
        .collect()
}

/// The student list after an import: `existing` in its order with the updates put in
/// place (by id), then the new students in file order, active, each with an id from
/// `new_id`. Pure: storing the result, in one transaction, is the caller's job, with
/// the `existing` the preview was made from.
pub fn apply(
    preview: &ImportPreview,
    existing: &[Student],
    mut new_id: impl FnMut() -> StudentId,
) -> Vec<Student> {
    let updates: HashMap<StudentId, &Student> = preview
        .to_update
        .iter()
        .map(|u| (u.after.id, &u.after))
        .collect();
    let mut students: Vec<Student> = existing
        .iter()
        .map(|s| {
            updates
                .get(&s.id)
                .map_or_else(|| s.clone(), |u| (*u).clone())
        })
        .collect();
    students.extend(preview.to_create.iter().map(|n| Student {
        id: new_id(),
        class: n.class,
        name: n.name.clone(),
        birth_date: n.birth_date,
        ine: n.ine.clone(),
        email: n.email.clone(),
        active: true,
    }));
    students
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::people::CycleYear;

    /// The class list of the tests, as cells: header then students. Every name is
    /// representable in Windows-1252 (œ is 0x9C there). The address holds both
    /// delimiters, so it is quoted whichever is used.
    fn cells() -> Vec<Vec<&'static str>> {
        vec![
            vec![
                "Nom",
                "Prénom",
                "Né(e) le",
                "Division",
                "INE",
                "E-mail",
                "Adresse",
            ],
            vec![
                "LEFÈVRE",
                "Éloïse",
                "14/03/2008",
                "2MELEC1",
                "123456789AB",
                "eloise.lefevre@example.fr",
                "3, rue des Lilas; bât. B",
            ],
            vec![
                "N'Diaye",
                "Moussa",
                "01/09/2007",
                "2MELEC1",
                "1234567890c",
                "",
                "",
            ],
            vec![
                "Cœur",
                "Léa",
                "29/02/2008",
                "1MELEC",
                "",
                "lea.coeur@example.fr",
                "",
            ],
            vec!["Dupont", "Jean-Noël", "", "1MELEC", "", "", ""],
        ]
    }

    fn csv_text(rows: &[Vec<&str>], delimiter: char, eol: &str) -> String {
        let mut out = String::new();
        for row in rows {
            let line: Vec<String> = row
                .iter()
                .map(|c| {
                    if c.contains([';', ',', '"', '\n']) {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        (*c).to_string()
                    }
                })
                .collect();
            out.push_str(&line.join(&delimiter.to_string()));
            out.push_str(eol);
        }
        out
    }

    fn utf16le_with_bom(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    fn windows_1252_bytes(text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
        assert!(!unmappable, "test text not representable in Windows-1252");
        bytes.into_owned()
    }

    fn class(name: &str) -> Class {
        Class {
            id: ClassId::new(),
            name: name.to_string(),
            diploma: "BACPRO-MELEC".to_string(),
            year: CycleYear::Seconde,
        }
    }

    fn school_classes() -> Vec<Class> {
        vec![class("2MELEC1"), class("1MELEC")]
    }

    fn student(class: ClassId, first: &str, last: &str, birth: Option<Date>) -> Student {
        Student {
            id: StudentId::new(),
            class,
            name: PersonName::new(first, last),
            birth_date: birth,
            ine: None,
            email: None,
            active: true,
        }
    }

    fn date(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    /// The day the tests import on.
    const TODAY: Date = Date::constant(2026, 9, 1);

    #[test]
    fn same_list_in_every_encoding_delimiter_and_line_ending_gives_identical_rows() {
        let reference = parse(&csv_text(&cells(), ';', "\n")).unwrap();
        assert_eq!(reference.rows.len(), 4, "{reference:?}");
        assert!(reference.rejected.is_empty(), "{:?}", reference.rejected);
        assert_eq!(reference.rows[0].name, PersonName::new("Éloïse", "LEFÈVRE"));
        assert_eq!(reference.rows[0].line, 2);
        assert_eq!(reference.rows[1].name.last, "N'Diaye");
        assert_eq!(reference.rows[1].ine.as_deref(), Some("1234567890C"));
        assert_eq!(reference.rows[2].name.last, "Cœur");
        assert_eq!(reference.rows[2].birth_date, Some(date(2008, 2, 29)));
        assert_eq!(reference.ignored_columns, vec!["Adresse".to_string()]);

        let mut variants = 0;
        for delimiter in [';', ','] {
            for eol in ["\n", "\r\n"] {
                let text = csv_text(&cells(), delimiter, eol);
                let encodings: [(Vec<u8>, SourceEncoding); 4] = [
                    (text.as_bytes().to_vec(), SourceEncoding::Utf8),
                    (
                        [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
                        SourceEncoding::Utf8Bom,
                    ),
                    (windows_1252_bytes(&text), SourceEncoding::Windows1252),
                    (utf16le_with_bom(&text), SourceEncoding::Utf16Le),
                ];
                for (bytes, expected) in encodings {
                    let (decoded, used) = decode_detected(&bytes).unwrap();
                    assert_eq!(used, expected);
                    assert_eq!(decoded, text);
                    let list = read(&bytes).unwrap();
                    assert_eq!(
                        list.rows, reference.rows,
                        "{expected:?} {delimiter:?} {eol:?}"
                    );
                    assert_eq!(list.rejected, reference.rejected);
                    variants += 1;
                }
            }
        }
        assert_eq!(variants, 16);
    }

    #[test]
    fn names_outside_windows_1252_survive_utf8_and_utf16() {
        // "ğ" has no Windows-1252 byte: such a name only travels in UTF-8 or UTF-16.
        let text = "Nom;Prénom;Classe\nYılmaz;Çağla;1MELEC\n";
        assert!(encoding_rs::WINDOWS_1252.encode(text).2);
        for bytes in [
            text.as_bytes().to_vec(),
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
            utf16le_with_bom(text),
        ] {
            let list = read(&bytes).unwrap();
            assert_eq!(list.rows[0].name, PersonName::new("Çağla", "Yılmaz"));
        }
        // Excel's "Texte Unicode" is UTF-16 with tabs; old Mac files end lines with CR.
        let tabs = utf16le_with_bom("Nom\tPrénom\tClasse\r\nYılmaz\tÇağla\t1MELEC\r\n");
        assert_eq!(
            read(&tabs).unwrap().rows[0].class.as_deref(),
            Some("1MELEC")
        );
        let cr = read(b"Nom;Prenom\rA;B\r\rC;D\r").unwrap();
        let lines: Vec<usize> = cr.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 4]);
    }

    #[test]
    fn utf8_is_never_read_as_windows_1252() {
        let text = "Nom;Prénom\nLefèvre;Éloïse\n";
        let (decoded, used) = decode_detected(text.as_bytes()).unwrap();
        assert_eq!(used, SourceEncoding::Utf8);
        assert_eq!(decoded, text);
        assert!(!decoded.contains("Ã"));

        // A UTF-8 file with one stray Windows-1252 byte (0xE9, "é") is refused, not
        // read as Windows-1252 (which would give "LefÃ¨vre").
        let mut mixed = text.as_bytes().to_vec();
        mixed.extend_from_slice(b"Andr\xE9;Paul\n");
        assert_eq!(decode(&mixed), Err(DecodeError::MixedEncodings { line: 3 }));
    }

    #[test]
    fn undecodable_bytes_give_the_french_error() {
        for (bytes, line) in [
            (b"Nom;Pr\xE9nom\nA\x81;B\n".as_slice(), 2),
            (b"Nom;Prenom\nA;B\x00\n".as_slice(), 2),
            (b"N\x00o\x00m\x00".as_slice(), 1), // UTF-16 without its byte-order mark
            (b"Nom;Prenom\n\x8DA;B\n".as_slice(), 2),
        ] {
            let err = decode(bytes).unwrap_err();
            assert_eq!(err, DecodeError::NotText { line });
            let message = err.to_string();
            assert!(
                message.contains("ni de l'UTF-8 ni du Windows-1252"),
                "{message}"
            );
            assert!(
                message.contains("Enregistrez le fichier en CSV UTF-8 depuis votre tableur"),
                "{message}"
            );
        }
        let broken = decode(b"\xEF\xBB\xBFNom;Pr\xE9nom\n").unwrap_err();
        assert_eq!(
            broken,
            DecodeError::BrokenUnicode {
                encoding: "UTF-8",
                line: 1
            }
        );
        assert!(matches!(
            decode(b"\xFF\xFEN\x00\n\x00\x00\xDC"),
            Err(DecodeError::BrokenUnicode {
                encoding: "UTF-16",
                line: 2
            })
        ));
    }

    #[test]
    fn workbooks_and_already_garbled_text_are_refused() {
        assert_eq!(
            decode(b"PK\x03\x04\x14\x00\x06\x00"),
            Err(DecodeError::Workbook)
        );
        let garbled = "Nom;Prénom\nLefÃ¨vre;Ã‰loÃ¯se\n";
        let err = decode(garbled.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            DecodeError::Garbled {
                line: 2,
                sample: "Ã¨".to_string()
            }
        );
        assert!(err.to_string().contains("« Ã¨ »"));
        // Portuguese names are not mojibake.
        assert!(decode("Nom;Prénom\nConceição;João\n".as_bytes()).is_ok());
    }

    #[test]
    fn header_variants_are_recognised() {
        for header in [
            "NOM;PRENOM;DATE DE NAISSANCE;CLASSE;N° INE;EMAIL",
            "  Nom de famille ; Prénom 1 ;Date_de_naissance;Division;Numéro INE;Courriel",
            "nom;prénom;né le;div.;ine;E-Mail",
            "\"Nom\";\"Prenom\";\"Né(e) le\";\"Division\";\"INE\";\"Mail\"",
        ] {
            let text = format!("{header}\nDUPONT;Jean;01/02/2008;1MELEC;123456789ab;j@x.fr\n");
            let list = parse(&text).unwrap();
            assert_eq!(list.columns.len(), 6, "{header}: {:?}", list.columns);
            assert!(list.ignored_columns.is_empty(), "{header}");
            let row = &list.rows[0];
            assert_eq!(row.name, PersonName::new("Jean", "DUPONT"));
            assert_eq!(row.birth_date, Some(date(2008, 2, 1)));
            assert_eq!(row.class.as_deref(), Some("1MELEC"));
            assert_eq!(row.ine.as_deref(), Some("123456789AB"));
            assert_eq!(row.email.as_deref(), Some("j@x.fr"));
        }
        // "Prénom" is preferred to "Prénom 2"; parents' e-mails are not the student's.
        let list = parse("Nom;Prénom 2;Prénom;Email responsable\nA;B;C;d@e.fr\n").unwrap();
        assert_eq!(list.rows[0].name.first, "C");
        assert_eq!(list.rows[0].email, None);
        assert_eq!(
            list.ignored_columns,
            vec!["Prénom 2".to_string(), "Email responsable".to_string()]
        );
    }

    #[test]
    fn a_missing_nom_column_is_named() {
        let err = parse("Prénom;Classe\nJean;1MELEC\n").unwrap_err();
        assert_eq!(
            err,
            ParseError::MissingColumns {
                missing: vec![Column::LastName],
                found: vec!["Prénom".to_string(), "Classe".to_string()],
            }
        );
        let message = err.to_string();
        assert!(
            message.starts_with("La colonne « Nom » est introuvable"),
            "{message}"
        );
        assert!(message.contains("« Prénom », « Classe »"), "{message}");
        let both = parse("Élève,Classe\n").unwrap_err().to_string();
        assert!(
            both.starts_with("Les colonnes « Nom » et « Prénom » sont introuvables"),
            "{both}"
        );
        assert_eq!(parse(""), Err(ParseError::Empty));
        assert_eq!(parse("\r\n ; ;\n"), Err(ParseError::Empty));
    }

    #[test]
    fn broken_lines_are_reported_with_their_numbers() {
        let text = "Nom;Prénom;Date de naissance;Division;INE;Mail;Adresse\n\
                    Martin;Lucas;12/05/2008;1MELEC;;;\n\
                    \n\
                    ;Sans nom;;1MELEC;;;\n\
                    Petit;Zoé;31/02/2008;1MELEC;;;\n\
                    Roux;Inès;14/03/08;1MELEC;12AB;ines@;\n\
                    ;;;;;;\n\
                    Blanc;Hugo;;1MELEC;;;\"2 rue Haute\n35000 Rennes\"\n\
                    Noir;Léo;;2NDPRO9;;;\n\
                    MARTIN;lucas;12/05/2008;1MELEC;;;\n\
                    Vert;Ana;;1MELEC;;;extra;cell\n";
        let list = parse(text).unwrap();
        let lines: Vec<usize> = list.rows.iter().map(|r| r.line).collect();
        // Lines 3 and 7 are empty and skipped, but counted; line 8's address spans two
        // lines of the file yet is one spreadsheet row.
        assert_eq!(lines, vec![2, 8, 9, 10]);
        let rejected: Vec<(usize, &str)> = list
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(rejected.len(), 4, "{rejected:?}");
        assert_eq!(rejected[0], (4, "Nom manquant."));
        assert_eq!(rejected[1].0, 5);
        assert!(rejected[1].1.contains("« 31/02/2008 » illisible"));
        assert_eq!(rejected[2].0, 6);
        assert!(rejected[2].1.contains("« 14/03/08 »"));
        assert!(rejected[2].1.contains("INE « 12AB » invalide"));
        assert!(rejected[2].1.contains("e-mail « ines@ » invalide"));
        assert_eq!(rejected[3].0, 11);
        assert!(
            rejected[3]
                .1
                .contains("8 colonnes alors que l'en-tête en a 7")
        );

        let classes = school_classes();
        let preview = preview(&list, &[], &classes, None, TODAY);
        let reasons: Vec<(usize, &str)> = preview
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 6, "{reasons:?}");
        assert_eq!(
            reasons[3],
            (
                9,
                "Classe « 2NDPRO9 » inconnue : créez-la d'abord, ou corrigez le nom de la \
                 division."
            )
        );
        assert_eq!(reasons[4], (10, "Doublon de la ligne 2 (lucas MARTIN)."));
        assert_eq!(reasons[5].0, 11);
        assert_eq!(preview.unknown_classes, vec!["2NDPRO9".to_string()]);
        assert_eq!(preview.to_create.len(), 2);
    }

    #[test]
    fn an_unclosed_quote_is_reported_not_swallowed_silently() {
        let text = "Nom;Prénom;Adresse\nA;B;\"1 rue X\nC;D;\nE;F;\n";
        let list = parse(text).unwrap();
        assert!(list.rows.is_empty());
        assert_eq!(list.rejected.len(), 1);
        assert_eq!(list.rejected[0].line, 2);
        assert!(list.rejected[0].reason.contains("guillemet"));
    }

    #[test]
    fn a_second_preview_after_apply_changes_nothing() {
        let classes = school_classes();
        let (c2, c1) = (classes[0].id, classes[1].id);
        let mut eloise = student(c2, "Eloise", "Lefevre", Some(date(2008, 3, 14)));
        eloise.email = Some("ancienne@example.fr".to_string());
        let moussa = student(c1, "Moussa", "N’Diaye", None); // other apostrophe, other class
        let lea = Student {
            ine: Some("1234567890Z".to_string()),
            email: Some("lea.coeur@example.fr".to_string()),
            ..student(c1, "Léa", "Cœur", Some(date(2008, 2, 29)))
        };
        let gone = student(c1, "Ancien", "Élève", None);
        let existing = vec![eloise.clone(), moussa.clone(), lea.clone(), gone.clone()];

        let list = parse(&csv_text(&cells(), ';', "\r\n")).unwrap();
        let first = preview(&list, &existing, &classes, None, TODAY);
        assert!(first.rejected.is_empty(), "{:?}", first.rejected);
        // Éloïse: matched by name and birth date; accents, INE and e-mail change.
        // Moussa: matched by name only (no birth date stored); class, name, date, INE.
        assert_eq!(first.to_update.len(), 2, "{:?}", first.to_update);
        assert_eq!(first.to_update[0].before.id, eloise.id);
        assert_eq!(
            first.to_update[0].changed,
            vec![
                Column::LastName,
                Column::FirstName,
                Column::Ine,
                Column::Email
            ]
        );
        assert_eq!(first.to_update[1].before.id, moussa.id);
        assert_eq!(
            first.to_update[1].changed,
            vec![
                Column::LastName,
                Column::BirthDate,
                Column::Class,
                Column::Ine
            ]
        );
        assert_eq!(first.to_update[1].after.class, c2);
        // Léa Cœur in the file has no INE, the stored one has: matched by name and date.
        assert_eq!(first.unchanged.len(), 1);
        assert_eq!(first.unchanged[0].student.id, lea.id);
        // Jean-Noël Dupont is new.
        assert_eq!(first.to_create.len(), 1);
        assert_eq!(
            first.to_create[0].name,
            PersonName::new("Jean-Noël", "Dupont")
        );
        assert_eq!(first.to_create[0].line, 5);
        assert_eq!(preview(&list, &existing, &classes, None, TODAY), first);

        let after = apply(&first, &existing, StudentId::new);
        assert_eq!(after.len(), 5);
        assert_eq!(
            after[3], gone,
            "students absent from the file are left alone"
        );
        assert_eq!(after[0].name, PersonName::new("Éloïse", "LEFÈVRE"));
        assert_eq!(after[0].email.as_deref(), Some("eloise.lefevre@example.fr"));
        assert!(after[4].active);

        let second = preview(&list, &after, &classes, None, TODAY);
        assert!(second.changes_nothing(), "{second:?}");
        assert_eq!(second.unchanged.len(), 4);
        assert!(second.rejected.is_empty());
        // The same file in another encoding and delimiter is the same import.
        let other = read(&windows_1252_bytes(&csv_text(&cells(), ',', "\n"))).unwrap();
        assert!(preview(&other, &after, &classes, None, TODAY).changes_nothing());
    }

    #[test]
    fn matching_follows_ine_then_name_and_birth_date() {
        let classes = school_classes();
        let c1 = classes[1].id;
        let mut known = student(c1, "Sarah", "Benali", Some(date(2007, 6, 1)));
        known.ine = Some("123456789AB".to_string());
        let twin_a = student(c1, "Tom", "Morel", Some(date(2008, 1, 1)));
        let twin_b = student(c1, "Tom", "Morel", Some(date(2008, 1, 1)));
        let existing = vec![known.clone(), twin_a, twin_b];
        let text = "Nom;Prénom;Date de naissance;Classe;INE\n\
                    Benali-Durand;Sarah;01/06/2007;1MELEC;123456789ab\n\
                    Benali;Sarah;02/06/2007;1MELEC;987654321CD\n\
                    Morel;Tom;01/01/2008;1MELEC;\n\
                    Benali;Sarah;;1melec;\n";
        let p = preview(&parse(text).unwrap(), &existing, &classes, None, TODAY);
        // Same INE, new surname: an update, flagged for the coordinator to check.
        assert_eq!(p.to_update.len(), 1);
        assert_eq!(p.to_update[0].changed, vec![Column::LastName]);
        assert!(p.to_update[0].name_changed);
        // Same name, another birth date and another INE: another person.
        assert_eq!(p.to_create.len(), 1);
        assert_eq!(p.to_create[0].line, 3);
        assert_eq!(p.rejected.len(), 2, "{:?}", p.rejected);
        assert!(p.rejected[0].reason.starts_with("Plusieurs élèves"));
        // No INE, no date, same name as line 3: the same person as far as can be told.
        assert_eq!(p.rejected[1].line, 5);
        assert!(p.rejected[1].reason.starts_with("Doublon de la ligne 3"));
    }

    /// The stored student of the review's examples: FERRAND Maël, born 12/03/2009,
    /// INE 123456789AB, in 2MELEC1.
    fn ferrand(classes: &[Class]) -> Student {
        Student {
            ine: Some("123456789AB".to_string()),
            ..student(classes[0].id, "Maël", "FERRAND", Some(date(2009, 3, 12)))
        }
    }

    fn preview_lines(lines: &str, existing: &[Student], classes: &[Class]) -> ImportPreview {
        let text = format!("Nom;Prénom;Date de naissance;Division;INE\n{lines}");
        preview(&parse(&text).unwrap(), existing, classes, None, TODAY)
    }

    #[test]
    fn the_same_student_under_another_ine_is_refused_not_created_twice() {
        let classes = school_classes();
        let mael = ferrand(&classes);
        let p = preview_lines(
            "FERRAND;Maël;12/03/2009;2MELEC1;999999999ZZ\n",
            std::slice::from_ref(&mael),
            &classes,
        );
        assert!(p.to_create.is_empty(), "{p:?}");
        assert_eq!(
            p.rejected,
            vec![Rejection {
                line: 2,
                reason: "Un élève FERRAND Maël né(e) le 12/03/2009 existe déjà avec un autre \
                         INE (123456789AB) : vérifiez l'INE."
                    .to_string()
            }]
        );
        // Folded names match too; a namesake born another day is another person.
        let p = preview_lines(
            "Ferrand;Mael;12/03/2009;2MELEC1;999999999ZZ\n\
             FERRAND;Maël;13/03/2009;2MELEC1;888888888YY\n",
            std::slice::from_ref(&mael),
            &classes,
        );
        assert_eq!(p.rejected.len(), 1, "{:?}", p.rejected);
        assert_eq!(p.rejected[0].line, 2);
        assert_eq!(p.to_create.len(), 1);
        assert_eq!(p.to_create[0].line, 3);
        // Two lines of one file are held to the same rule.
        let p = preview_lines(
            "Martin;Lucas;01/02/2008;2MELEC1;111111111AA\n\
             MARTIN;Lucas;01/02/2008;2MELEC1;222222222BB\n",
            &[],
            &classes,
        );
        assert_eq!(p.to_create.len(), 1);
        assert_eq!(p.rejected.len(), 1);
        assert_eq!(p.rejected[0].line, 3);
        assert!(
            p.rejected[0]
                .reason
                .starts_with("Même nom et même date de naissance que la ligne 2"),
            "{:?}",
            p.rejected
        );
    }

    #[test]
    fn a_name_change_by_ine_is_flagged_and_a_complete_one_refused() {
        let classes = school_classes();
        let mael = ferrand(&classes);
        let existing = std::slice::from_ref(&mael);
        // Another surname and first name, no birth date: nothing confirms the INE.
        let p = preview_lines("C;D;;2MELEC1;123456789ab\n", existing, &classes);
        assert!(p.to_update.is_empty(), "{p:?}");
        assert_eq!(p.rejected.len(), 1);
        assert_eq!(p.rejected[0].line, 2);
        assert!(
            p.rejected[0]
                .reason
                .starts_with("INE déjà attribué à FERRAND Maël, né(e) le 12/03/2009 :"),
            "{}",
            p.rejected[0].reason
        );
        // Another surname and another birth date: refused as well.
        let p = preview_lines(
            "Dupuis;Maël;01/01/2010;2MELEC1;123456789AB\n",
            existing,
            &classes,
        );
        assert!(
            p.rejected[0]
                .reason
                .contains("ni le nom ni la date de naissance de la ligne ne correspondent"),
            "{:?}",
            p.rejected
        );
        // A complete name change that the birth date confirms: an update, flagged.
        let p = preview_lines(
            "Dupuis;Léa;12/03/2009;2MELEC1;123456789AB\n",
            existing,
            &classes,
        );
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert!(p.to_update[0].name_changed);
        // A surname that keeps a word of the old one, another first name: flagged.
        let p = preview_lines(
            "Ferrand-Roy;Maëlle;;2MELEC1;123456789AB\n",
            existing,
            &classes,
        );
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert!(p.to_update[0].name_changed);
        assert_eq!(
            p.to_update[0].changed,
            vec![Column::LastName, Column::FirstName]
        );
        // Case and accents only: an ordinary update, not flagged.
        let p = preview_lines("Ferrand;Mael;;2MELEC1;123456789AB\n", existing, &classes);
        assert!(!p.to_update[0].name_changed);
        assert!(share_a_surname("Le Goff", "LEGOFF"));
        assert!(share_a_surname("N'Diaye Sow", "SOW"));
        assert!(!share_a_surname("Ferrand", "Ferrando"));
    }

    #[test]
    fn implausible_birth_dates_are_refused_with_their_line() {
        let classes = school_classes();
        let p = preview_lines(
            "A;B;04/03/2029;2MELEC1;\n\
             C;D;01/01/1890;2MELEC1;\n\
             E;F;01/09/2026;2MELEC1;\n\
             G;H;01/01/1920;2MELEC1;\n\
             I;J;02/09/2026;2MELEC1;\n",
            &[],
            &classes,
        );
        let rejected: Vec<(usize, &str)> = p
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (
                    2,
                    "Date de naissance invraisemblable (04/03/2029) : elle est dans le \
                     futur. Corrigez-la ou laissez la cellule vide."
                ),
                (
                    3,
                    "Date de naissance invraisemblable (01/01/1890) : elle est antérieure à \
                     1920. Corrigez-la ou laissez la cellule vide."
                ),
                (
                    6,
                    "Date de naissance invraisemblable (02/09/2026) : elle est dans le \
                     futur. Corrigez-la ou laissez la cellule vide."
                ),
            ]
        );
        // Today and 1 January 1920 are the bounds, both accepted.
        let created: Vec<usize> = p.to_create.iter().map(|n| n.line).collect();
        assert_eq!(created, vec![4, 5]);
    }

    #[test]
    fn class_names_and_defaults() {
        let classes = vec![class("2 MELEC 1"), class("T-MELEC"), class("TMELEC")];
        let existing = vec![student(classes[1].id, "Jean", "Dupont", None)];
        let text = "Nom;Prénom;Classe\n\
                    Durand;Ana;2melec1\n\
                    Dupont;Jean;\n\
                    Roy;Max;\n\
                    Roy;Léon;t melec\n";
        let list = parse(text).unwrap();
        let p = preview(&list, &existing, &classes, None, TODAY);
        assert_eq!(p.to_create.len(), 1);
        assert_eq!(p.to_create[0].class, classes[0].id);
        assert_eq!(p.unchanged.len(), 1, "no division: the class is kept");
        assert_eq!(p.rejected[0].line, 4);
        assert!(p.rejected[0].reason.starts_with("Classe manquante"));
        assert!(p.rejected[1].reason.contains("ambiguë"));
        let p = preview(&list, &existing, &classes, Some(classes[2].id), TODAY);
        assert_eq!(p.to_create.len(), 2);
        assert_eq!(p.to_create[1].class, classes[2].id);
        assert_eq!(p.to_update[0].changed, vec![Column::Class]);
    }

    #[test]
    fn ine_email_and_date_rules() {
        assert!(is_valid_ine("1234567890A"));
        assert!(is_valid_ine("123456789AB"));
        assert!(!is_valid_ine("12345678ABC"));
        assert!(!is_valid_ine("1234567890"));
        assert!(!is_valid_ine("1234567890a"));
        assert!(!is_valid_ine("12345678901"));
        assert_eq!(normalize_ine(" 123 456 7890a "), "1234567890A");
        assert!(is_plausible_email("eloise.lefevre@lycee-curie.fr"));
        assert!(!is_plausible_email("eloise@lycee"));
        assert!(!is_plausible_email("@lycee.fr"));
        assert!(!is_plausible_email("a b@lycee.fr"));
        assert!(!is_plausible_email("a@b@lycee.fr"));
        assert!(!is_plausible_email("a@lycee..fr"));
        assert_eq!(
            parse_birth_date("14/03/2008 00:00:00"),
            Some(date(2008, 3, 14))
        );
        assert_eq!(parse_birth_date("2008-03-14"), Some(date(2008, 3, 14)));
        assert_eq!(parse_birth_date("14/03/08"), None);
        assert_eq!(cell("=\"0123456789A\""), "0123456789A");
    }

    #[test]
    fn fold_ignores_case_accents_and_punctuation() {
        assert_eq!(fold("LEFÈVRE"), fold("Lefevre"));
        assert_eq!(fold("N'Diaye"), "ndiaye");
        assert_eq!(fold("N’DIAYE"), "ndiaye");
        assert_eq!(fold("Cœur"), "coeur");
        assert_eq!(fold("Çağla"), "cagla");
        assert_eq!(fold("Jean-Noël"), fold("JEAN NOEL"));
        assert_eq!(fold("Né(e) le"), "neele");
        assert_eq!(fold("N° INE"), "nine");
        // Decomposed input (as a Mac may write it) folds like composed input, and a
        // cell is stored composed.
        assert_eq!(fold("E\u{301}loi\u{308}se"), fold("Éloïse"));
        assert_eq!(cell("E\u{301}loi\u{308}se"), "Éloïse");
    }
}
