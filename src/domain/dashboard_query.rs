//! The dashboard's display filters and view mode as the page's GET form sends them
//! (spec, module "Tableau de bord": "les filtres d'affichage permettant de choisir les
//! informations que l'on souhaite voir apparaître"; "plusieurs modes de
//! visualisation"). Pure: parses the query string's pairs into a
//! [`Filter`](super::dashboard::Filter) and a [`View`], keeping what was chosen to refill
//! the form. A value that cannot be used is ignored and reported, never an error.

use super::dashboard::{Column, Filter};
use super::evaluation::{Complexity, Context};
use super::ids::PlacementId;
use super::placement::Placement;
use super::referential::Referential;
use jiff::civil::Date;

/// How the dashboard lays out its data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// One row per criterion under each competency (the default, the spec's view).
    #[default]
    Criteria,
    /// One row per competency, each cell summarising the evaluation's results on the
    /// competency's criteria ([`super::dashboard::summarise`]).
    Competencies,
    /// One section per placement: its company review and the school evaluations last
    /// changed during it, one row per competency.
    Periods,
}

impl View {
    /// Every view, in the form's order.
    pub const ALL: [View; 3] = [View::Criteria, View::Competencies, View::Periods];

    /// Value in the query string (`vue=`): `criteres`, `competences`, `periodes`.
    pub fn slug(self) -> &'static str {
        match self {
            View::Criteria => "criteres",
            View::Competencies => "competences",
            View::Periods => "periodes",
        }
    }

    /// French label of the form's choice.
    pub fn label(self) -> &'static str {
        match self {
            View::Criteria => "Détaillée par critère",
            View::Competencies => "Résumée par compétence",
            View::Periods => "Par période de formation",
        }
    }

    /// Parses [`View::slug`].
    pub fn from_slug(s: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.slug() == s)
    }
}

/// The dashboard's query, parsed: the filter to apply, the view, the values to put back
/// in the form, and one French sentence per value that was ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DashboardQuery {
    /// What to show.
    pub filter: Filter,
    /// How.
    pub view: View,
    /// The competency select's value: empty (all), `bloc:<code>` or a competency code.
    pub competency: String,
    /// The placement chosen as period, if any.
    pub placement: Option<PlacementId>,
    /// "Filtre ignoré : …" messages, one per unusable value, in query order.
    pub ignored: Vec<String>,
}

impl DashboardQuery {
    /// True when anything but the default view and filter is asked for.
    pub fn is_filtered(&self) -> bool {
        self.filter != Filter::default()
    }
}

/// Longest filter value echoed in a "Filtre ignoré" message, in characters.
const ECHO_MAX_CHARS: usize = 40;
/// Most "Filtre ignoré" messages shown for one query.
const IGNORED_MAX: usize = 10;

/// Parses the dashboard's query string `pairs` (decoded `name=value` pairs, repeated
/// names allowed for `niveau`) against the student's `referential` and `placements`.
///
/// Names: `competence` (`C4` or `bloc:B1`), `contexte` (`etablissement`,
/// `entreprise`), `niveau` (`D`, `Int`, `Ba`, `E`, repeatable), `du` and `au` (dates
/// `yyyy-mm-dd` or `dd/mm/yyyy`), `stage` (a placement id of the student), `vue`
/// ([`View::slug`]). Empty values mean "all"; unknown names are left alone; a value that
/// cannot be used is dropped and reported in [`DashboardQuery::ignored`]; a period whose
/// start is after its end is dropped whole.
pub fn parse(
    pairs: &[(String, String)],
    referential: &Referential,
    placements: &[Placement],
) -> DashboardQuery {
    fn ignore(q: &mut DashboardQuery, what: String) {
        if q.ignored.len() < IGNORED_MAX {
            q.ignored.push(format!("Filtre ignoré : {what}."));
        }
    }
    let mut q = DashboardQuery::default();
    for (name, value) in pairs {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        // A value is echoed in a message: a long one is cut, so it cannot stretch the
        // page (the whole query is never shown back).
        let echo: String = if value.chars().count() > ECHO_MAX_CHARS {
            value.chars().take(ECHO_MAX_CHARS).chain(['…']).collect()
        } else {
            value.to_string()
        };
        match name.as_str() {
            "competence" if q.filter.competencies.is_none() => {
                if let Some(code) = value.strip_prefix("bloc:") {
                    match referential.block(code) {
                        Some(b) => {
                            q.filter.competencies = Some(b.competencies.clone());
                            q.competency = value.to_string();
                        }
                        None => ignore(&mut q, format!("bloc de compétences « {echo} » inconnu")),
                    }
                } else {
                    match referential.competency(value) {
                        Some(c) => {
                            q.filter.competencies = Some(vec![c.code.clone()]);
                            q.competency = c.code.clone();
                        }
                        None => ignore(&mut q, format!("compétence « {echo} » inconnue")),
                    }
                }
            }
            "contexte" if q.filter.context.is_none() => match Context::from_slug(value) {
                Some(c) => q.filter.context = Some(c),
                None => ignore(&mut q, format!("contexte « {echo} » inconnu")),
            },
            "niveau" => match Complexity::from_code(value) {
                Some(c) if !q.filter.levels.contains(&c) => q.filter.levels.push(c),
                Some(_) => {}
                None => ignore(&mut q, format!("niveau « {echo} » inconnu")),
            },
            "du" | "au" => match super::logbook::parse_date(value) {
                Ok(d) if name == "du" => {
                    q.filter.from.get_or_insert(d);
                }
                Ok(d) => {
                    q.filter.to.get_or_insert(d);
                }
                Err(_) => ignore(&mut q, format!("date « {echo} » illisible")),
            },
            "stage" if q.placement.is_none() => {
                match placements.iter().find(|p| p.id.to_string() == value) {
                    Some(p) => {
                        q.placement = Some(p.id);
                        q.filter.placement = Some((p.id, p.start, p.end));
                    }
                    None => ignore(&mut q, "période de formation inconnue".into()),
                }
            }
            "vue" => match View::from_slug(value) {
                Some(v) => q.view = v,
                None => ignore(&mut q, format!("vue « {echo} » inconnue")),
            },
            _ => {}
        }
    }
    if let (Some(from), Some(to)) = (q.filter.from, q.filter.to)
        && from > to
    {
        q.filter.from = None;
        q.filter.to = None;
        ignore(
            &mut q,
            "la période commence après sa fin (du … au …)".to_string(),
        );
    }
    // Levels in the spec's order, whatever the query's.
    q.filter.levels.sort();
    q
}

/// True when `column` has a result on one of the competencies `filter` shows (always
/// true without a competency filter): with one, columns that say nothing about the
/// chosen competencies are left out of the table.
pub fn speaks_to(column: &Column<'_>, referential: &Referential, filter: &Filter) -> bool {
    let Some(list) = &filter.competencies else {
        return true;
    };
    referential
        .competencies
        .iter()
        .filter(|c| list.contains(&c.code))
        .flat_map(|c| c.criteria.iter())
        .any(|k| column.results.iter().any(|s| s.criterion == k.code))
}

/// `d` as a date field's value (`yyyy-mm-dd`); empty for none.
pub fn form_date(d: Option<Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::*;
    use crate::domain::referential::{Block, Competency, Criterion};

    fn referential() -> Referential {
        let comp = |code: &str| Competency {
            code: code.into(),
            title: code.into(),
            criteria: vec![Criterion {
                code: format!("{code}.1"),
                title: String::new(),
            }],
        };
        Referential {
            code: "t".into(),
            diploma: "t".into(),
            short_name: "t".into(),
            level: "bac-pro".into(),
            sources: vec![],
            competencies: vec![comp("C1"), comp("C2"), comp("C3")],
            blocks: vec![Block {
                code: "B1".into(),
                title: "Bloc 1".into(),
                competencies: vec!["C1".into(), "C2".into()],
            }],
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect()
    }

    fn placement() -> Placement {
        Placement {
            id: PlacementId::new(),
            student: StudentId::new(),
            company: CompanyId::new(),
            tutor: TutorId::new(),
            referent: TeacherId::new(),
            start: Date::new(2026, 1, 5).unwrap(),
            end: Date::new(2026, 1, 30).unwrap(),
            objectives: vec![],
        }
    }

    #[test]
    fn an_empty_query_is_the_default_view_of_everything() {
        let q = parse(
            &pairs(&[("competence", ""), ("du", "")]),
            &referential(),
            &[],
        );
        assert_eq!(q, DashboardQuery::default());
        assert!(!q.is_filtered());
    }

    #[test]
    fn every_filter_is_read() {
        let p = placement();
        let q = parse(
            &pairs(&[
                ("competence", "bloc:B1"),
                ("contexte", "entreprise"),
                ("niveau", "E"),
                ("niveau", "D"),
                ("du", "2026-01-01"),
                ("au", "31/01/2026"),
                ("stage", &p.id.to_string()),
                ("vue", "periodes"),
            ]),
            &referential(),
            std::slice::from_ref(&p),
        );
        assert!(q.ignored.is_empty(), "{:?}", q.ignored);
        assert_eq!(q.filter.competencies, Some(vec!["C1".into(), "C2".into()]));
        assert_eq!(q.competency, "bloc:B1");
        assert_eq!(q.filter.context, Some(Context::Company));
        assert_eq!(
            q.filter.levels,
            [Complexity::Discovery, Complexity::Company]
        );
        assert_eq!(q.filter.from, Date::new(2026, 1, 1).ok());
        assert_eq!(q.filter.to, Date::new(2026, 1, 31).ok());
        assert_eq!(q.filter.placement, Some((p.id, p.start, p.end)));
        assert_eq!(q.view, View::Periods);
        let one = parse(&pairs(&[("competence", "C3")]), &referential(), &[]);
        assert_eq!(one.filter.competencies, Some(vec!["C3".into()]));
    }

    #[test]
    fn bad_values_are_ignored_and_reported() {
        let q = parse(
            &pairs(&[
                ("competence", "C9"),
                ("contexte", "lune"),
                ("niveau", "X"),
                ("niveau", "Ba"),
                ("du", "hier"),
                ("stage", "pas-un-id"),
                ("vue", "3d"),
                ("autre", "chose"),
            ]),
            &referential(),
            &[placement()],
        );
        assert_eq!(q.ignored.len(), 6, "{:?}", q.ignored);
        assert!(q.ignored.iter().all(|m| m.starts_with("Filtre ignoré : ")));
        assert_eq!(q.filter.levels, [Complexity::BacPro]);
        assert_eq!(q.filter.competencies, None);
        assert_eq!(q.view, View::Criteria);
        let reversed = parse(
            &pairs(&[("du", "2026-02-01"), ("au", "2026-01-01")]),
            &referential(),
            &[],
        );
        assert_eq!((reversed.filter.from, reversed.filter.to), (None, None));
        assert_eq!(reversed.ignored.len(), 1);
        let block = parse(&pairs(&[("competence", "bloc:B7")]), &referential(), &[]);
        assert_eq!(block.ignored.len(), 1);
    }

    #[test]
    fn long_or_many_bad_values_stay_short() {
        let long = "x".repeat(10_000);
        let q = parse(&pairs(&[("competence", &long)]), &referential(), &[]);
        assert_eq!(q.ignored.len(), 1);
        assert!(q.ignored[0].chars().count() < 100, "{}", q.ignored[0]);
        assert!(q.ignored[0].contains('…'));
        let many: Vec<(&str, &str)> = (0..50).map(|_| ("niveau", "Z")).collect();
        let q = parse(&pairs(&many), &referential(), &[]);
        assert_eq!(q.ignored.len(), IGNORED_MAX);
    }
}
