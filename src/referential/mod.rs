//! The referentials shipped in the binary and the loader of the referential file
//! format (TOML, format 1, documented in the README, "Référentiels").
//!
//! A file is checked whole before it is used: on any error the caller gets every
//! problem with its line number and nothing is kept.

use crate::domain::referential::{
    Block, Competency, Criterion, Referential, Source, SourceScope, SourceStatus,
};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;

/// The referential files compiled into the binary, by file name.
const SHIPPED: &[(&str, &str)] = &[
    ("bacpro-melec.toml", include_str!("bacpro-melec.toml")),
    ("cap-electricien.toml", include_str!("cap-electricien.toml")),
    ("bacpro-mcv.toml", include_str!("bacpro-mcv.toml")),
    ("bts-mco.toml", include_str!("bts-mco.toml")),
];

/// One problem in a referential file, with the 1-based line it is on when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// 1-based line number, when the problem is tied to a line.
    pub line: Option<usize>,
    /// French description.
    pub message: String,
}

/// A text with non-breaking spaces inside its French quotation marks ("« " and " »"),
/// so that a narrow screen never leaves a lone "«" at the end of a line. For the
/// messages and source notes shown on the referentials page.
pub fn keep_quotes_together(text: &str) -> String {
    text.replace("« ", "«\u{a0}").replace(" »", "\u{a0}»")
}

/// "ligne N : message", quotation marks kept with their words
/// ([`keep_quotes_together`]).
impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = keep_quotes_together(&self.message);
        match self.line {
            Some(l) => write!(f, "ligne {l} : {message}"),
            None => write!(f, "{message}"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileV1 {
    format: toml::Spanned<u32>,
    code: toml::Spanned<String>,
    diploma: String,
    short_name: String,
    level: toml::Spanned<String>,
    #[serde(default)]
    sources: Vec<SourceV1>,
    competencies: Vec<toml::Spanned<CompetencyV1>>,
    #[serde(default)]
    blocks: Vec<toml::Spanned<BlockV1>>,
}

/// A `[[blocks]]` table: a block of competencies (optional).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockV1 {
    code: toml::Spanned<String>,
    title: toml::Spanned<String>,
    competencies: Vec<toml::Spanned<String>>,
}

/// A `[[sources]]` table: [`Source`], with unknown fields refused like everywhere else
/// in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceV1 {
    applies_to: SourceScope,
    title: String,
    url: String,
    status: SourceStatus,
    note: String,
}

impl From<SourceV1> for Source {
    fn from(s: SourceV1) -> Self {
        Source {
            applies_to: s.applies_to,
            title: s.title,
            url: s.url,
            status: s.status,
            note: s.note,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompetencyV1 {
    code: toml::Spanned<String>,
    title: toml::Spanned<String>,
    #[serde(default)]
    criteria: Vec<toml::Spanned<CriterionV1>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CriterionV1 {
    code: toml::Spanned<String>,
    title: toml::Spanned<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 20
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Parses and checks a referential file (TOML, format 1).
///
/// Checks: the TOML syntax and field names; `format = 1`; `code` made of lowercase
/// letters, digits and hyphens; `level` one of cap, bac-pro, mc, bts; at least one
/// competency; codes of competencies and criteria made of letters, digits, `.`, `-`,
/// `_` and unique across the file; titles not empty.
///
/// # Errors
/// Every problem found, each with its line when known, in French.
pub fn parse(text: &str) -> Result<Referential, Vec<FileError>> {
    // The syntax alone first, so that its errors are told apart from wrong fields.
    if let Err(e) = toml::from_str::<toml::Table>(text) {
        return Err(vec![syntax_error(text, &e)]);
    }
    let file: FileV1 = toml::from_str(text).map_err(|e| vec![content_error(text, &e)])?;
    let mut errors = Vec::new();
    let at = |span: std::ops::Range<usize>| Some(line_of(text, span.start));
    if *file.format.get_ref() != 1 {
        errors.push(FileError {
            line: at(file.format.span()),
            message: format!(
                "format {} inconnu : cette version de Livret lit le format 1",
                file.format.get_ref()
            ),
        });
    }
    let code = file.code.get_ref();
    if code.is_empty()
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errors.push(FileError {
            line: at(file.code.span()),
            message: "le code du référentiel ne doit contenir que des minuscules sans accent, des chiffres et des tirets".into(),
        });
    }
    if !["cap", "bac-pro", "mc", "bts"].contains(&file.level.get_ref().as_str()) {
        errors.push(FileError {
            line: at(file.level.span()),
            message: "niveau inconnu : écrivez cap, bac-pro, mc ou bts".into(),
        });
    }
    if file.competencies.is_empty() {
        errors.push(FileError {
            line: None,
            message: "aucune compétence : ajoutez au moins une section [[competencies]]".into(),
        });
    }
    let mut seen = HashSet::new();
    let mut competencies = Vec::new();
    for competency in &file.competencies {
        let c = competency.get_ref();
        let mut check_code = |code: &toml::Spanned<String>, what: &str| {
            if !valid_code(code.get_ref()) {
                errors.push(FileError {
                    line: at(code.span()),
                    message: format!(
                        "code de {what} « {} » invalide : lettres, chiffres, « . », « - » ou « _ », 20 caractères au plus",
                        code.get_ref()
                    ),
                });
            } else if !seen.insert(code.get_ref().clone()) {
                errors.push(FileError {
                    line: at(code.span()),
                    message: format!("le code « {} » est déjà utilisé plus haut", code.get_ref()),
                });
            }
        };
        check_code(&c.code, "compétence");
        for k in &c.criteria {
            check_code(&k.get_ref().code, "critère");
        }
        for title in std::iter::once(&c.title).chain(c.criteria.iter().map(|k| &k.get_ref().title))
        {
            if title.get_ref().trim().is_empty() {
                errors.push(FileError {
                    line: at(title.span()),
                    message: "intitulé vide".into(),
                });
            }
        }
        competencies.push(Competency {
            code: c.code.get_ref().clone(),
            title: c.title.get_ref().trim().to_string(),
            criteria: c
                .criteria
                .iter()
                .map(|k| Criterion {
                    code: k.get_ref().code.get_ref().clone(),
                    title: k.get_ref().title.get_ref().trim().to_string(),
                })
                .collect(),
        });
    }
    let mut blocks = Vec::new();
    let mut in_block = HashSet::new();
    for block in &file.blocks {
        let b = block.get_ref();
        if !valid_code(b.code.get_ref()) {
            errors.push(FileError {
                line: at(b.code.span()),
                message: format!(
                    "code de bloc « {} » invalide : lettres, chiffres, « . », « - » ou « _ », 20 caractères au plus",
                    b.code.get_ref()
                ),
            });
        } else if !seen.insert(b.code.get_ref().clone()) {
            errors.push(FileError {
                line: at(b.code.span()),
                message: format!(
                    "le code « {} » est déjà utilisé plus haut",
                    b.code.get_ref()
                ),
            });
        }
        if b.title.get_ref().trim().is_empty() {
            errors.push(FileError {
                line: at(b.title.span()),
                message: "intitulé vide".into(),
            });
        }
        for c in &b.competencies {
            if !competencies
                .iter()
                .any(|k: &Competency| k.code == *c.get_ref())
            {
                errors.push(FileError {
                    line: at(c.span()),
                    message: format!(
                        "le bloc « {} » cite la compétence « {} », qui n'est pas dans le fichier",
                        b.code.get_ref(),
                        c.get_ref()
                    ),
                });
            } else if !in_block.insert(c.get_ref().clone()) {
                errors.push(FileError {
                    line: at(c.span()),
                    message: format!(
                        "la compétence « {} » est déjà dans un autre bloc",
                        c.get_ref()
                    ),
                });
            }
        }
        // Kept in the referential's order, whatever the file's.
        blocks.push(Block {
            code: b.code.get_ref().clone(),
            title: b.title.get_ref().trim().to_string(),
            competencies: competencies
                .iter()
                .filter(|k| b.competencies.iter().any(|c| *c.get_ref() == k.code))
                .map(|k| k.code.clone())
                .collect(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Referential {
        code: code.clone(),
        diploma: file.diploma,
        short_name: file.short_name,
        level: file.level.into_inner(),
        sources: file.sources.into_iter().map(Source::from).collect(),
        competencies,
        blocks,
    })
}

/// The words between backquotes of a parser or serde message, in order: serde writes
/// "unknown field `shortname`, expected one of `format`, `code`".
fn quoted(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// "a, b, c": a list of field names or values for a French message.
fn french_list(names: &[&str]) -> String {
    names.join(", ")
}

/// A TOML syntax error (from the `toml` parser, whose messages are English) in French:
/// "erreur de syntaxe TOML : " and a hint for the common mistakes, else the parser's
/// text as a parenthesised technical detail. The line is the error's.
fn syntax_error(text: &str, e: &toml::de::Error) -> FileError {
    let line = e.span().map(|s| line_of(text, s.start));
    let m = e.message();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| m.starts_with(p));
    if m.starts_with("duplicate key") {
        let key = e
            .span()
            .and_then(|s| text.get(s))
            .map(|k| k.trim().trim_matches(['[', ']', '"']).to_string())
            .filter(|k| !k.is_empty());
        let message = match key {
            Some(k) => format!(
                "« {k} » est défini deux fois : un champ ne s'écrit qu'une fois par section"
            ),
            None => "champ défini deux fois : un champ ne s'écrit qu'une fois par section".into(),
        };
        return FileError { line, message };
    }
    let unclosed_quote = m.ends_with("expected `\"`") || m.ends_with("expected `\"\"\"`");
    let hint =
        if starts(&["invalid basic string", "invalid multi-line basic string"]) && unclosed_quote {
            "guillemet non fermé : un texte commence et finit par un guillemet droit (\"), sur \
         la même ligne"
        } else if starts(&[
            "invalid literal string",
            "invalid multi-line literal string",
        ]) {
            "apostrophe non fermée : un texte commencé par une apostrophe (') doit finir par une \
         apostrophe ; pour un texte qui en contient, utilisez des guillemets (\")"
        } else if starts(&["invalid basic string"]) {
            "caractère interdit dans un texte entre guillemets (tabulation ou caractère \
         invisible) : retirez-le"
        } else if starts(&["missing escaped value", "invalid escape", "invalid unicode"]) {
            "barre oblique inverse (\\) suivie d'un caractère non permis : dans un texte entre \
         guillemets, écrivez-la \\\\"
        } else if starts(&["unclosed array table", "unclosed table"]) {
            "crochet fermant manquant à la fin de l'en-tête de section (par exemple \
         [[competencies]])"
        } else if starts(&["unclosed array"]) {
            "crochet fermant (]) manquant à la fin de la liste"
        } else if starts(&["unclosed inline table"]) {
            "accolade fermante (}) manquante"
        } else if starts(&[
            "string values must be quoted",
            "invalid boolean",
            "invalid string",
        ]) {
            "valeur absente ou texte sans guillemets : écrivez par exemple title = \"Mon \
         intitulé\""
        } else if starts(&["missing value"]) {
            "valeur manquante après le signe ="
        } else if starts(&["key with no value"]) {
            "signe = manquant entre le nom du champ et sa valeur"
        } else if starts(&["unquoted keys cannot be empty"]) {
            "nom de champ ou de section manquant"
        } else if starts(&["invalid unquoted key", "invalid key"]) {
            "nom de champ invalide : lettres sans accent, chiffres, « - » et « _ » seulement"
        } else if starts(&["unexpected key or value", "unexpected content"]) {
            "texte en trop après la valeur : un seul champ par ligne, et un texte s'écrit entre \
         guillemets"
        } else if starts(&["invalid float", "invalid integer", "invalid date-time"]) {
            "nombre mal écrit"
        } else if starts(&["extra `=`"]) {
            "signe = en trop"
        } else if starts(&["missing comma"]) {
            "virgule manquante entre deux éléments"
        } else if starts(&["extra comma"]) {
            "virgule en trop"
        } else {
            return FileError {
                line,
                message: format!("erreur de syntaxe TOML (détail technique : {m})"),
            };
        };
    FileError {
        line,
        message: format!("erreur de syntaxe TOML : {hint}"),
    }
}

/// What a serde "expected" type means in a referential file, in French.
fn french_expected(expected: &str) -> Option<&'static str> {
    let e = expected.trim();
    Some(match e {
        "a string" | "string" => "un texte entre guillemets",
        "u8" | "u16" | "u32" | "u64" | "usize" => "un nombre entier positif",
        "i8" | "i16" | "i32" | "i64" | "isize" | "an integer" => "un nombre entier",
        "a sequence" => "une liste",
        "a boolean" => "true ou false",
        _ if e.starts_with("struct ") || e == "a map" => "une section",
        _ => return None,
    })
}

/// An error of the file's content (valid TOML, wrong fields), from serde, in French:
/// unknown field, missing field, unknown value, wrong type; else the original text as
/// a parenthesised technical detail. The line is the error's; a field missing from
/// the top of the file has none.
fn content_error(text: &str, e: &toml::de::Error) -> FileError {
    let span = e.span();
    let mut line = span.clone().map(|s| line_of(text, s.start));
    let m = e.message();
    let words = quoted(m);
    let message = if let Some(rest) = m.strip_prefix("unknown field ") {
        let field = words.first().copied().unwrap_or_default();
        if rest.contains("there are no fields") {
            format!("champ inconnu « {field} » (aucun champ n'est permis ici)")
        } else {
            format!(
                "champ inconnu « {field} » (champs permis : {})",
                french_list(words.get(1..).unwrap_or_default())
            )
        }
    } else if m.starts_with("missing field ") {
        let field = words.first().copied().unwrap_or_default();
        if span.is_some_and(|s| s.is_empty()) {
            // serde points a field missing from the top level at the file's start.
            line = None;
            format!("champ obligatoire « {field} » absent du fichier")
        } else {
            format!("champ obligatoire « {field} » absent")
        }
    } else if m.starts_with("unknown variant ") {
        format!(
            "valeur « {} » inconnue (valeurs permises : {})",
            words.first().copied().unwrap_or_default(),
            french_list(words.get(1..).unwrap_or_default())
        )
    } else if m.starts_with("duplicate field ") {
        format!(
            "« {} » est défini deux fois",
            words.first().copied().unwrap_or_default()
        )
    } else if let Some(expected) = (m.starts_with("invalid type: ")
        || m.starts_with("invalid value: "))
    .then(|| m.rsplit_once(", expected ").map(|(_, x)| x))
    .flatten()
    .and_then(french_expected)
    {
        format!("valeur incorrecte : il faut {expected}")
    } else {
        format!("contenu non conforme au format (détail technique : {m})")
    };
    FileError { line, message }
}

/// The referentials compiled into the binary.
///
/// # Errors
/// A shipped file does not parse: a build defect, caught by this module's tests.
pub fn shipped() -> Result<Vec<Referential>, String> {
    SHIPPED
        .iter()
        .map(|(name, text)| {
            parse(text).map_err(|errs| {
                let list: Vec<String> = errs.iter().map(ToString::to_string).collect();
                format!("{name} : {}", list.join(" ; "))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn melec_ships_c1_to_c13_with_the_spec_titles_and_criteria() {
        let all = shipped().unwrap();
        let melec = all.iter().find(|r| r.code == "bacpro-melec").unwrap();
        let codes: Vec<&str> = melec.competencies.iter().map(|c| c.code.as_str()).collect();
        let expected: Vec<String> = (1..=13).map(|n| format!("C{n}")).collect();
        assert_eq!(codes, expected);
        assert_eq!(
            melec.competency("C1").unwrap().title,
            "Analyser les conditions de l'opération et son contexte"
        );
        assert_eq!(
            melec.competency("C13").unwrap().title,
            "Communiquer avec le client/usager sur l'opération"
        );
        assert!(melec.competencies.iter().all(|c| !c.criteria.is_empty()));
        assert!(!melec.sources.is_empty());
    }

    #[test]
    fn every_shipped_referential_parses_names_its_sources_and_has_its_level() {
        let all = shipped().unwrap();
        let expected = [
            ("bacpro-melec", "bac-pro"),
            ("cap-electricien", "cap"),
            ("bacpro-mcv", "bac-pro"),
            ("bts-mco", "bts"),
        ];
        assert_eq!(all.len(), expected.len());
        for (code, level) in expected {
            let r = all
                .iter()
                .find(|r| r.code == code)
                .unwrap_or_else(|| panic!("{code} is not shipped"));
            assert_eq!(r.level, level, "{code}");
            assert!(!r.sources.is_empty(), "{code} names no source");
            assert!(
                r.sources.iter().all(|s| !s.note.trim().is_empty()),
                "{code}: a source has no note"
            );
            assert!(!r.competencies.is_empty(), "{code} has no competency");
        }
    }

    #[test]
    fn blocks_cover_their_competencies_once_and_bad_ones_are_refused() {
        let all = shipped().unwrap();
        for code in ["bacpro-mcv", "bts-mco"] {
            let r = all.iter().find(|r| r.code == code).unwrap();
            let listed: Vec<&str> = r
                .blocks
                .iter()
                .flat_map(|b| b.competencies.iter().map(String::as_str))
                .collect();
            let codes: Vec<&str> = r.competencies.iter().map(|c| c.code.as_str()).collect();
            assert_eq!(
                listed, codes,
                "{code}: every competency in one block, in order"
            );
        }
        let base = "format = 1\ncode = \"x\"\ndiploma = \"d\"\nshort_name = \"s\"\nlevel = \"cap\"\n\n[[competencies]]\ncode = \"C1\"\ntitle = \"t\"\n\n";
        let ok = parse(&format!(
            "{base}[[blocks]]\ncode = \"B1\"\ntitle = \"Bloc\"\ncompetencies = [\"C1\"]\n"
        ))
        .unwrap();
        assert_eq!(ok.block("B1").map(|b| b.competencies.len()), Some(1));
        let errors = parse(&format!(
            "{base}[[blocks]]\ncode = \"C1\"\ntitle = \"\"\ncompetencies = [\"C9\"]\n\n[[blocks]]\ncode = \"B2\"\ntitle = \"b\"\ncompetencies = []\n"
        ))
        .unwrap_err();
        let text: Vec<String> = errors
            .iter()
            .map(|e| e.to_string().replace('\u{a0}', " "))
            .collect();
        assert_eq!(
            text,
            [
                "ligne 12 : le code « C1 » est déjà utilisé plus haut",
                "ligne 13 : intitulé vide",
                "ligne 14 : le bloc « C1 » cite la compétence « C9 », qui n'est pas dans le fichier",
            ]
        );
    }

    #[test]
    fn errors_carry_line_numbers_and_nothing_is_returned() {
        let text = "format = 1\ncode = \"x\"\ndiploma = \"d\"\nshort_name = \"s\"\nlevel = \"lycée\"\n\n[[competencies]]\ncode = \"C1\"\ntitle = \"t\"\n\n[[competencies]]\ncode = \"C1\"\ntitle = \"\"\n";
        let errs = parse(text).unwrap_err();
        let lines: Vec<Option<usize>> = errs.iter().map(|e| e.line).collect();
        assert!(lines.contains(&Some(5)), "{errs:?}");
        assert!(lines.contains(&Some(12)), "{errs:?}");
        assert!(lines.contains(&Some(13)), "{errs:?}");
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let errs = parse("format = 1\ncode = \n").unwrap_err();
        assert_eq!(errs[0].line, Some(2), "{errs:?}");
    }

    /// A valid file, lines 1 to 14; `{extra}` is appended.
    const BASE: &str = "format = 1
code = \"essai\"
diploma = \"CAP Essai\"
short_name = \"Essai\"
level = \"cap\"

[[sources]]
applies_to = \"all\"
title = \"Essai\"
url = \"\"
status = \"specification\"
note = \"n\"

[[competencies]]
code = \"C1\"
title = \"Tester\"
";

    /// The one error of a broken variant of [`BASE`], as shown: "ligne N : …".
    fn only_error(from: &str, to: &str) -> String {
        let text = BASE.replacen(from, to, 1);
        assert_ne!(text, BASE, "{from:?} is not in BASE");
        let errs = parse(&text).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        errs[0].to_string().replace('\u{a0}', " ")
    }

    #[test]
    fn parser_errors_are_told_in_french_with_their_line() {
        assert!(parse(BASE).is_ok());
        let cases = [
            (
                "short_name",
                "shortname",
                "ligne 4 : champ inconnu « shortname » (champs permis : format, code, \
                 diploma, short_name, level, sources, competencies, blocks)",
            ),
            (
                "note = \"n\"",
                "note = \"n\"\nremarque = \"r\"",
                "ligne 13 : champ inconnu « remarque » (champs permis : applies_to, title, \
                 url, status, note)",
            ),
            (
                "[[competencies]]\ncode = \"C1\"\ntitle = \"Tester\"\n",
                "",
                "champ obligatoire « competencies » absent du fichier",
            ),
            (
                "note = \"n\"\n",
                "",
                "ligne 7 : champ obligatoire « note » absent",
            ),
            (
                "status = \"specification\"",
                "status = \"officiel\"",
                "ligne 11 : valeur « officiel » inconnue (valeurs permises : official, \
                 specification, unverified)",
            ),
            (
                "format = 1",
                "format = \"1\"",
                "ligne 1 : valeur incorrecte : il faut un nombre entier positif",
            ),
            (
                "title = \"Tester\"",
                "title = 3",
                "ligne 16 : valeur incorrecte : il faut un texte entre guillemets",
            ),
            (
                "title = \"Tester\"",
                "title = \"Tester",
                "ligne 16 : erreur de syntaxe TOML : guillemet non fermé",
            ),
            (
                "title = \"Tester\"",
                "title = 'Tester",
                "ligne 16 : erreur de syntaxe TOML : apostrophe non fermée",
            ),
            (
                "title = \"Tester\"",
                "title = Tester",
                "ligne 16 : erreur de syntaxe TOML : valeur absente ou texte sans guillemets",
            ),
            (
                "title = \"Tester\"",
                "title = ",
                "ligne 16 : erreur de syntaxe TOML : valeur absente ou texte sans guillemets",
            ),
            (
                "title = \"Tester\"",
                "title \"Tester\"",
                "ligne 16 : erreur de syntaxe TOML : signe = manquant",
            ),
            (
                "[[competencies]]",
                "[[competencies]",
                "ligne 14 : erreur de syntaxe TOML : crochet fermant manquant",
            ),
            (
                "title = \"Tester\"",
                "title = \"Tester\" (C1)",
                "ligne 16 : erreur de syntaxe TOML : texte en trop après la valeur",
            ),
            (
                "title = \"Tester\"",
                "title = \"C:\\Tester\"",
                "ligne 16 : erreur de syntaxe TOML : barre oblique inverse",
            ),
            (
                "title = \"Tester\"",
                "intitulé = \"Tester\"",
                "ligne 16 : erreur de syntaxe TOML : nom de champ invalide",
            ),
            (
                "level = \"cap\"",
                "level = \"cap\"\nlevel = \"bts\"",
                "ligne 6 : « level » est défini deux fois",
            ),
            // No French mapping: the parser's text, as a technical detail.
            (
                "title = \"Tester\"",
                "\"\"\"titre\"\"\" = \"Tester\"",
                "ligne 16 : erreur de syntaxe TOML (détail technique : ",
            ),
        ];
        for (from, to, expected) in cases {
            let shown = only_error(from, to);
            assert!(shown.starts_with(expected), "{to:?}: {shown}");
            if !expected.contains("détail technique") {
                assert!(!shown.contains("expected"), "{to:?}: {shown}");
                assert!(!shown.contains('`'), "{to:?}: {shown}");
            }
        }
    }

    /// The README's table of shipped referentials states their counts: they must be
    /// the files' (a review found "11 critères" for a file holding 10).
    #[test]
    fn the_readme_counts_match_the_shipped_files() {
        let readme = include_str!("../../README.md");
        let number_before = |row: &str, word: &str| -> Option<usize> {
            let at = row.find(word)?;
            row[..at].split_whitespace().last()?.parse().ok()
        };
        let mut rows = 0;
        for (name, text) in SHIPPED {
            let Some(row) = readme
                .lines()
                .find(|l| l.starts_with(&format!("| `{name}`")))
            else {
                continue;
            };
            rows += 1;
            let r = parse(text).unwrap();
            let criteria: usize = r.competencies.iter().map(|c| c.criteria.len()).sum();
            if let Some(n) = number_before(row, " compétences") {
                assert_eq!(n, r.competencies.len(), "{name}: {row}");
            }
            match number_before(row, " critères") {
                Some(n) => assert_eq!(n, criteria, "{name}: {row}"),
                None => assert!(row.contains("sans critères") && criteria == 0, "{row}"),
            }
        }
        assert_eq!(rows, 3, "the README's table lists three files");
    }

    #[test]
    fn shipped_sources_speak_plain_french() {
        for r in shipped().unwrap() {
            for s in &r.sources {
                let shown = format!("{} {}", s.title, s.note);
                for jargon in [
                    "index",
                    "primary source",
                    "GitHub",
                    "seed",
                    "Django",
                    " id ",
                    "ids ",
                    "repository",
                    "product",
                ] {
                    assert!(
                        !shown.contains(jargon),
                        "{}: « {jargon} » in {shown}",
                        r.code
                    );
                }
                // Long numbers are internal ids, except inside a web address.
                let words: Vec<&str> = shown
                    .split_whitespace()
                    .filter(|w| !w.contains("http"))
                    .collect();
                assert!(
                    words
                        .iter()
                        .all(|w| w.split(|c: char| !c.is_ascii_digit()).all(|n| n.len() < 8)),
                    "{}: an internal number in {shown}",
                    r.code
                );
            }
        }
    }
}
