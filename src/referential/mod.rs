//! The referentials shipped in the binary and the loader of the referential file
//! format (TOML, format 1, documented in the README, "Référentiels").
//!
//! A file is checked whole before it is used: on any error the caller gets every
//! problem with its line number and nothing is kept.

use crate::domain::referential::{Competency, Criterion, Referential, Source};
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

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "ligne {l} : {}", self.message),
            None => write!(f, "{}", self.message),
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
    sources: Vec<Source>,
    competencies: Vec<toml::Spanned<CompetencyV1>>,
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
    let file: FileV1 = toml::from_str(text).map_err(|e| {
        vec![FileError {
            line: e.span().map(|s| line_of(text, s.start)),
            message: format!("fichier illisible : {}", e.message()),
        }]
    })?;
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
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Referential {
        code: code.clone(),
        diploma: file.diploma,
        short_name: file.short_name,
        level: file.level.into_inner(),
        sources: file.sources,
        competencies,
    })
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
}
