//! Partials shared by the competency pages (issue 5): result cells, column heads,
//! positioning glyphs, their legends, and the menu of a student's competency record.
//!
//! Colours and shapes follow the spec ("Tableau de bord": red, dark green, light green,
//! orange, blue, grey; rectangle = school, pill = company; E in pink; "Bilan de
//! compétences": half rectangle = intermediate objectives, whole = final objectives)
//! and never stand alone: every cell also carries a visible symbol and a text for
//! screen readers (DESIGN.md, "Look and feel"). The CSS is in `pwa/app.css`, section
//! "Competencies".

use crate::domain::{Class, Referential, Student};
use crate::domain::{
    Complexity, Context, CriterionResult, Mastery, PlacementId, Positioning, StudentId, Subject,
    Target,
};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::web::State;
use crate::web::layout::Back;
use maud::{Markup, html};

/// The back link of a student's record and placement pages, by role: the tutor's
/// "Mes stagiaires", the teacher's "Mes élèves", the coordination's "Établissement";
/// none for the student, whose home is the placement itself.
pub fn back_link(who: &Subject) -> Back<'static> {
    match who {
        Subject::Student(_) => None,
        Subject::Tutor(_) => Some(("/", "Mes stagiaires")),
        Subject::Teacher(_) => Some(("/", "Mes élèves")),
        Subject::Coordinator(_) => Some(("/", "Établissement")),
    }
}

/// The student's class and the referential of its diploma.
///
/// # Errors
/// [`Error::Internal`] when the class or its referential is missing (a broken store);
/// store failure.
pub fn class_and_referential(state: &State, student: &Student) -> Result<(Class, Referential)> {
    let class = state
        .store
        .class(student.class)?
        .ok_or_else(|| Error::Internal("classe de l'élève absente".into()))?;
    let referential = state.referential(&class.diploma)?;
    Ok((class, referential))
}

/// URL of a student's dashboard (tableau de bord).
pub fn dashboard_url(student: StudentId) -> String {
    format!("/eleves/{student}/tableau-de-bord")
}

/// URL of a student's interim reviews (bilans de compétences).
pub fn reviews_url(student: StudentId) -> String {
    format!("/eleves/{student}/bilans")
}

/// URL of a student's school evaluations.
pub fn evaluations_url(student: StudentId) -> String {
    format!("/eleves/{student}/evaluations")
}

/// URL of a student's "Avancement de formation".
pub fn progress_url(student: StudentId) -> String {
    format!("/eleves/{student}/avancement")
}

/// URL of a placement's "Évaluation" module (company review, later the attendance
/// certificate).
pub fn evaluation_module_url(placement: PlacementId) -> String {
    format!("/stages/{placement}/evaluation")
}

/// CSS class of a context's shape: `school` (rectangle) or `company` (pill).
pub fn shape_class(context: Context) -> &'static str {
    match context {
        Context::School => "school",
        Context::Company => "company",
    }
}

/// One result cell: `<span class="cell res-<slug> <shape>">` holding the visible
/// symbol (hidden from screen readers) and the spec's wording (visually hidden).
pub fn result_cell(result: CriterionResult, context: Context) -> Markup {
    html! {
        span class={ "cell res-" (result.slug()) " " (shape_class(context)) } {
            span aria-hidden="true" { (result.symbol()) }
            span.visually-hidden { (result.label()) }
        }
    }
}

/// A column head's level code: `D`, `Int`, `Ba`, or `E` marked pink, with its full
/// name for screen readers and as a tooltip.
pub fn level_code(c: Complexity) -> Markup {
    html! {
        abbr class={ "level level-" (c.code()) } title=(c.label()) { (c.code()) }
    }
}

/// The legend of the dashboard: the six results (colour, symbol, wording) and the two
/// shapes, and the meaning of the black line and of the level codes.
pub fn results_legend() -> Markup {
    html! {
        section.legend aria-labelledby="legende-titre" {
            h2 #legende-titre { "Légende" }
            ul.legend-list {
                @for r in CriterionResult::ALL {
                    li {
                        (result_cell(r, Context::School))
                        span { strong { (capitalised(r.colour_name())) } " : " (r.label()) }
                    }
                }
                li {
                    span.cell.school.shape-sample aria-hidden="true" {}
                    span { strong { "Rectangle" } " : évaluation faite en établissement" }
                }
                li {
                    span.cell.company.shape-sample aria-hidden="true" {}
                    span { strong { "Gélule" } " : bilan fait en entreprise" }
                }
                li {
                    span.line-sample aria-hidden="true" {}
                    span { strong { "Trait vertical noir" } " : à sa gauche, les évaluations déjà prises en compte dans un bilan intermédiaire" }
                }
                li {
                    span.level-codes {
                        @for c in Complexity::ALL { (level_code(c)) " " }
                    }
                    span { "niveau de l'évaluation : découverte, intermédiaire, bac pro, bilan entreprise (en rose)" }
                }
            }
        }
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Short visible code of a degree: `TA`, `PA`, `EC`, `NA` (the legend explains them).
pub fn mastery_code(m: Mastery) -> &'static str {
    match m {
        Mastery::Full => "TA",
        Mastery::Partial => "PA",
        Mastery::InProgress => "EC",
        Mastery::NotAcquired => "NA",
    }
}

/// A positioning glyph: a rectangle, half coloured (diagonally, the upper-left
/// triangle) against intermediate objectives, wholly coloured against final ones,
/// followed by its visible code, with its full wording for screen readers; `NE` for
/// not evaluated.
pub fn positioning_cell(p: Positioning) -> Markup {
    match p {
        Positioning::NotEvaluated => html! {
            span.pos.ne {
                span aria-hidden="true" { "NE" }
                span.visually-hidden { "non évaluée" }
            }
        },
        Positioning::Placed { level, target } => html! {
            span class={ "pos " (level.slug()) " " (target.slug()) } {
                span.pos-box aria-hidden="true" {}
                span aria-hidden="true" { (mastery_code(level)) }
                span.visually-hidden { (level.short_label()) ", " (target.label()) }
            }
        },
    }
}

/// The spec's table of the 8 levels (4 degrees × 2 targets) plus NE.
pub fn positioning_legend() -> Markup {
    html! {
        section.legend aria-labelledby="niveaux-titre" {
            h2 #niveaux-titre { "Les 8 niveaux de positionnement" }
            div.table-wrap role="region" aria-label="Tableau des 8 niveaux de positionnement" tabindex="0" {
                table.positioning-legend {
                    thead {
                        tr {
                            th scope="col" { "Positionnement" }
                            th scope="col" { "objectifs intermédiaires" }
                            th scope="col" { "objectifs terminaux" }
                        }
                    }
                    tbody {
                        @for m in Mastery::ALL {
                            tr {
                                th scope="row" { (m.label()) " (" (mastery_code(m)) ")" }
                                @for t in [Target::Interim, Target::Final] {
                                    td { (positioning_cell(Positioning::Placed { level: m, target: t })) }
                                }
                            }
                        }
                        tr {
                            th scope="row" { "Compétence non évaluée" }
                            td colspan="2" { (positioning_cell(Positioning::NotEvaluated)) }
                        }
                    }
                }
            }
            p.hint { "Un demi-rectangle coloré : positionnement par rapport aux objectifs intermédiaires de la progression. Le rectangle entier : par rapport aux objectifs terminaux exigibles en fin de formation." }
        }
    }
}

/// Which page of the student's competency record is shown (for [`record_nav`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Module {
    /// Dossier de l'élève (the placement page).
    Portfolio,
    /// Évaluation (the placement's company review).
    Evaluation,
    /// Tableau de bord.
    Dashboard,
    /// Bilan de compétences.
    Reviews,
    /// Avancement de formation.
    Progress,
    /// Évaluations en établissement (teachers' list).
    SchoolEvaluations,
}

/// The placement that `who`'s menu links to for the student `student`: the latest one
/// `who` may see (their own for a student, the one they tutor or refer); `None` when
/// there is none (a coordinator sees the latest of all).
///
/// # Errors
/// Store failure.
pub fn menu_placement(
    store: &Store,
    who: &Subject,
    student: StudentId,
) -> Result<Option<PlacementId>> {
    let placements = store.placements_of_student(student)?;
    Ok(placements
        .iter()
        .find(|p| match who {
            Subject::Student(s) => *s == student,
            Subject::Tutor(t) => p.tutor == *t,
            Subject::Teacher(t) => p.referent == *t,
            Subject::Coordinator(_) => true,
        })
        .map(|p| p.id))
}

/// The menu of a student's record, as the spec's tutor menu gives it: Portfolios
/// (Dossier de l'élève, Évaluation), Tableau de bord, Bilan de compétences, and
/// Avancement de formation; teachers also get their school evaluations. `placement` is
/// the placement the portfolio links go to (see [`menu_placement`]).
pub fn record_nav(
    who: &Subject,
    student: StudentId,
    placement: Option<PlacementId>,
    current: Module,
) -> Markup {
    let item = |module: Module, href: String, label: &str| {
        html! {
            li {
                @if module == current {
                    a href=(href) aria-current="page" { (label) }
                } @else {
                    a href=(href) { (label) }
                }
            }
        }
    };
    html! {
        nav.record-nav aria-label="Menu du dossier" {
            @if let Some(p) = placement {
                div.record-group {
                    span.record-group-title { "Portfolios" }
                    ul {
                        (item(Module::Portfolio, super::placement_url(p), "Dossier de l'élève"))
                        (item(Module::Evaluation, evaluation_module_url(p), "Évaluation"))
                    }
                }
            }
            ul {
                (item(Module::Dashboard, dashboard_url(student), "Tableau de bord"))
                (item(Module::Reviews, reviews_url(student), "Bilan de compétences"))
                (item(Module::Progress, progress_url(student), "Avancement de formation"))
                @if matches!(who, Subject::Teacher(_) | Subject::Coordinator(_)) {
                    (item(Module::SchoolEvaluations, evaluations_url(student), "Évaluations en établissement"))
                }
            }
        }
    }
}
