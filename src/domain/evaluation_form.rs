//! The school evaluation form (évaluation en établissement, issue 5 item 1): a title, a
//! complexity level D / Int / Ba, and a result for some of the referential's criteria.

use super::evaluation::{Complexity, CriterionResult, CriterionScore, TITLE_MAX_CHARS};
use super::referential::Referential;
use super::{FieldErrors, text};

/// Prefix of a criterion's form field: `r:<criterion code>` (for example `r:C4.2`),
/// whose value is a [`CriterionResult::slug`] or empty for "non évalué".
pub const RESULT_FIELD_PREFIX: &str = "r:";

/// The form field of the criterion `code`: `r:<code>`.
pub fn result_field(code: &str) -> String {
    format!("{RESULT_FIELD_PREFIX}{code}")
}

/// The evaluation form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvaluationInput {
    /// What was evaluated ("TP 4 — tableau de chantier").
    pub title: String,
    /// A [`Complexity::code`] (`D`, `Int`, `Ba`), or anything typed.
    pub complexity: String,
    /// (criterion code, result slug) for every criterion field sent with a non-empty
    /// value, in the order sent.
    pub results: Vec<(String, String)>,
}

impl EvaluationInput {
    /// Reads the form's name/value pairs: `title`, `complexity`, and every
    /// `r:<criterion code>` field with a non-empty value (an empty one is "non évalué").
    pub fn from_fields(fields: &[(String, String)]) -> EvaluationInput {
        let first = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map_or_else(String::new, |(_, v)| v.clone())
        };
        EvaluationInput {
            title: first("title"),
            complexity: first("complexity"),
            results: fields
                .iter()
                .filter_map(|(n, v)| {
                    let code = n.strip_prefix(RESULT_FIELD_PREFIX)?;
                    (!v.trim().is_empty()).then(|| (code.to_string(), v.trim().to_string()))
                })
                .collect(),
        }
    }

    /// The input that refills the form of a stored evaluation.
    pub fn of(title: &str, complexity: Complexity, results: &[CriterionScore]) -> EvaluationInput {
        EvaluationInput {
            title: title.to_string(),
            complexity: complexity.code().to_string(),
            results: results
                .iter()
                .map(|s| (s.criterion.clone(), s.result.slug().to_string()))
                .collect(),
        }
    }

    /// The result slug typed for `criterion`, or "" (non évalué).
    pub fn result(&self, criterion: &str) -> &str {
        self.results
            .iter()
            .find(|(c, _)| c == criterion)
            .map_or("", |(_, r)| r.as_str())
    }
}

/// A checked evaluation form: what [`crate::domain::Evaluation`] takes from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvaluationContent {
    /// Title, on one line, at most [`TITLE_MAX_CHARS`] characters.
    pub title: String,
    /// D, Int or Ba ([`Complexity::SCHOOL`]).
    pub complexity: Complexity,
    /// At least one result, one per criterion, in the referential's order.
    pub results: Vec<CriterionScore>,
}

/// Checks the evaluation form against `referential` (the student's diploma). Rules:
/// title required, one line, at most [`TITLE_MAX_CHARS`] characters; level one of
/// [`Complexity::SCHOOL`] (E belongs to the company review, spec "Tableau de bord");
/// every criterion code known to `referential` (an unknown one is refused, never
/// stored), its result one of [`CriterionResult::ALL`], and each criterion given once;
/// at least one criterion with a result. Results come out in the referential's order.
///
/// # Errors
/// Every broken rule, by field (`title`, `complexity`, `results`), in French.
pub fn validate_evaluation(
    input: &EvaluationInput,
    referential: &Referential,
) -> Result<EvaluationContent, FieldErrors> {
    let mut errors = FieldErrors::default();
    let title = text::one_line(&input.title);
    text::check(&mut errors, "title", &title, true, TITLE_MAX_CHARS);
    let complexity =
        Complexity::from_code(input.complexity.trim()).filter(|c| Complexity::SCHOOL.contains(c));
    if complexity.is_none() {
        errors.add(
            "complexity",
            "Choisissez le niveau de complexité : D (découverte), Int (intermédiaire) ou Ba (bac pro).",
        );
    }
    let mut unknown = Vec::new();
    let mut bad_result = Vec::new();
    let mut twice = Vec::new();
    for (i, (code, slug)) in input.results.iter().enumerate() {
        if referential.criterion(code).is_none() {
            unknown.push(code.as_str());
        } else if CriterionResult::from_slug(slug).is_none() {
            bad_result.push(code.as_str());
        } else if input.results[..i].iter().any(|(c, _)| c == code) && !twice.contains(&code) {
            twice.push(code);
        }
    }
    if !unknown.is_empty() {
        let (subject, plural) = criteria_words(&unknown);
        errors.add(
            "results",
            format!(
                "{subject} {} pas dans le référentiel {} : choisissez les critères dans la liste.",
                if plural { "n'existent" } else { "n'existe" },
                referential.short_name
            ),
        );
    } else if !bad_result.is_empty() {
        let (subject, _) = criteria_words(&bad_result);
        errors.add(
            "results",
            format!(
                "Résultat inconnu pour {} : choisissez-le dans la liste.",
                subject.replacen('L', "l", 1)
            ),
        );
    } else if !twice.is_empty() {
        let twice: Vec<&str> = twice.iter().map(|c| c.as_str()).collect();
        let (subject, plural) = criteria_words(&twice);
        errors.add(
            "results",
            format!(
                "{subject} {} : donnez un seul résultat par critère.",
                if plural {
                    "sont évalués deux fois"
                } else {
                    "est évalué deux fois"
                }
            ),
        );
    } else if input.results.is_empty() {
        errors.add(
            "results",
            "Donnez un résultat à au moins un critère d'évaluation.",
        );
    }
    match complexity {
        Some(complexity) if errors.is_empty() => Ok(EvaluationContent {
            title,
            complexity,
            results: referential
                .competencies
                .iter()
                .flat_map(|c| c.criteria.iter())
                .filter_map(|k| {
                    let slug = input.result(&k.code);
                    CriterionResult::from_slug(slug).map(|result| CriterionScore {
                        criterion: k.code.clone(),
                        result,
                    })
                })
                .collect(),
        }),
        _ => Err(errors),
    }
}

/// "Le critère « C9.9 »" or "Les critères « C9.8 », « C9.9 »" (at most five codes
/// quoted), and whether it is plural.
fn criteria_words(codes: &[&str]) -> (String, bool) {
    let quoted: Vec<String> = codes.iter().take(5).map(|c| format!("« {c} »")).collect();
    if codes.len() == 1 {
        (format!("Le critère {}", quoted.join("")), false)
    } else {
        (format!("Les critères {}", quoted.join(", ")), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::referential::{Competency, Criterion};

    fn referential() -> Referential {
        let competency = |code: &str, criteria: &[&str]| Competency {
            code: code.into(),
            title: format!("Compétence {code}"),
            criteria: criteria
                .iter()
                .map(|k| Criterion {
                    code: (*k).into(),
                    title: format!("Critère {k}"),
                })
                .collect(),
        };
        Referential {
            code: "bacpro-test".into(),
            diploma: "Bac Pro Test".into(),
            short_name: "Bac Pro Test".into(),
            level: "bac-pro".into(),
            sources: vec![],
            competencies: vec![
                competency("C1", &["C1.1", "C1.2"]),
                competency("C2", &["C2.1"]),
            ],
            blocks: vec![],
        }
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn results_come_out_in_referential_order_and_empty_ones_are_skipped() {
        let input = EvaluationInput::from_fields(&fields(&[
            ("_csrf", "x"),
            ("title", "  TP 4\r\n tableau "),
            ("complexity", "Int"),
            ("r:C2.1", "na"),
            ("r:C1.2", ""),
            ("r:C1.1", "aa"),
        ]));
        assert_eq!(input.results.len(), 2);
        let c = validate_evaluation(&input, &referential()).unwrap();
        assert_eq!(c.title, "TP 4  tableau");
        assert_eq!(c.complexity, Complexity::Intermediate);
        let got: Vec<_> = c
            .results
            .iter()
            .map(|s| (s.criterion.as_str(), s.result))
            .collect();
        assert_eq!(
            got,
            [
                ("C1.1", CriterionResult::AchievedAutonomously),
                ("C2.1", CriterionResult::NotAchieved)
            ]
        );
    }

    #[test]
    fn title_level_and_one_result_are_required() {
        let e = validate_evaluation(&EvaluationInput::default(), &referential()).unwrap_err();
        assert_eq!(e.get("title"), Some("Ce champ est obligatoire."));
        assert!(
            e.get("complexity")
                .unwrap()
                .contains("niveau de complexité")
        );
        assert_eq!(
            e.get("results"),
            Some("Donnez un résultat à au moins un critère d'évaluation.")
        );
        let long = EvaluationInput {
            title: "x".repeat(TITLE_MAX_CHARS + 1),
            complexity: "Ba".into(),
            results: vec![("C1.1".into(), "pa".into())],
        };
        let e = validate_evaluation(&long, &referential()).unwrap_err();
        assert!(e.get("title").unwrap().contains("trop long"));
        assert!(e.get("complexity").is_none() && e.get("results").is_none());
    }

    #[test]
    fn the_company_level_and_unknown_codes_are_refused() {
        let mut input = EvaluationInput {
            title: "TP".into(),
            complexity: "E".into(),
            results: vec![("C1.1".into(), "pa".into())],
        };
        let e = validate_evaluation(&input, &referential()).unwrap_err();
        assert!(e.get("complexity").is_some());
        input.complexity = "int".into();
        assert!(
            validate_evaluation(&input, &referential()).is_err(),
            "codes are exact"
        );
        input.complexity = "D".into();
        assert!(validate_evaluation(&input, &referential()).is_ok());
        input.results.push(("C9.9".into(), "aa".into()));
        let e = validate_evaluation(&input, &referential()).unwrap_err();
        assert_eq!(
            e.get("results"),
            Some(
                "Le critère « C9.9 » n'existe pas dans le référentiel Bac Pro Test : choisissez les critères dans la liste."
            )
        );
        input.results.pop();
        input.results.push(("C2.1".into(), "super".into()));
        let e = validate_evaluation(&input, &referential()).unwrap_err();
        assert_eq!(
            e.get("results"),
            Some("Résultat inconnu pour le critère « C2.1 » : choisissez-le dans la liste.")
        );
        input.results.pop();
        input.results.push(("C1.1".into(), "aa".into()));
        let e = validate_evaluation(&input, &referential()).unwrap_err();
        assert!(e.get("results").unwrap().contains("évalué deux fois"));
    }

    #[test]
    fn a_stored_evaluation_refills_the_form() {
        let results = vec![CriterionScore {
            criterion: "C1.2".into(),
            result: CriterionResult::Absent,
        }];
        let input = EvaluationInput::of("TP", Complexity::BacPro, &results);
        assert_eq!(input.complexity, "Ba");
        assert_eq!(input.result("C1.2"), "ab");
        assert_eq!(input.result("C1.1"), "");
        assert_eq!(
            validate_evaluation(&input, &referential()).unwrap().results,
            results
        );
    }
}
