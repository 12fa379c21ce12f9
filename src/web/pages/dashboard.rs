//! The student's dashboard (spec, module "Tableau de bord") and "Avancement de
//! formation" (spec, "Menu général": "l'avancement de formation de l'élève").
//!
//! The dashboard has the spec's two parts: display filters (a GET form that works
//! without scripts), then the student's data: one row per competency with its criteria,
//! one column per evaluation in [`dashboard::columns`] order (by last change), the level
//! code at the head of each column (E in pink), each cell coloured by its result and
//! shaped by its context (rectangle = school, pill = company), and the black vertical
//! line after the evaluations already taken into account in an interim review. What to
//! draw is decided in `domain::dashboard` and `domain::dashboard_query`; this file only
//! draws it. The table is [`dashboard_table`], a pure function of loaded data (see the
//! benchmark `tests/bench/dashboard_render.rs`, budget < 2 ms median, issue 5).

use super::competency::{self, Module};
use super::parse_id;
use crate::auth::permissions;
use crate::domain::dashboard::{self, Column, Filter};
use crate::domain::dashboard_query::{self, DashboardQuery, View};
use crate::domain::evaluation::{Complexity, Context, CriterionResult};
use crate::domain::{
    ActivitySheet, CompanyReview, Evaluation, InterimReview, Placement, PlacementId, Positioning,
    Referential, SheetStatus, Student, StudentId, Subject, interim_review, text,
};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::web::State;
use crate::web::extract::Viewer;
use crate::web::layout::{count, page};
use jiff::tz::TimeZone;
use maud::{Markup, PreEscaped, html};
use poem::web::{Data, Path};
use poem::{IntoResponse, Request, Response, handler};
use std::collections::HashMap;

/// The words at the head of one column, computed once per column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// What was evaluated, or "Bilan entreprise — PFMP du … au …" for a company review.
    pub title: String,
    /// Day of the last change, `dd/mm`.
    pub day: String,
    /// Day of the last change in words: `mercredi 11 mars 2026`.
    pub long: String,
    /// Where the column's evaluation can be read (school evaluations, see
    /// [`link_heads`]); a company review's column has none, since only the people of
    /// its placement may open it and the table is the same for every reader.
    pub href: Option<String>,
}

/// Links each school evaluation's head to its page, so a reader on a phone (no
/// hover) can open what the column was.
pub fn link_heads(heads: &mut [Head], columns: &[Column<'_>], student: StudentId) {
    for (h, c) in heads.iter_mut().zip(columns) {
        if c.placement.is_none() {
            h.href = Some(format!("{}/{}", competency::evaluations_url(student), c.id));
        }
    }
}

/// The heads of `columns`: a company review is titled "Bilan entreprise — <label>"
/// from `periods` (placement → label, "PFMP du … au …": the same for every reader, and
/// naming no company, so a tutor does not learn where else the student was placed);
/// days are read in `zone`.
pub fn heads(
    columns: &[Column<'_>],
    periods: &HashMap<PlacementId, String>,
    zone: &TimeZone,
) -> Vec<Head> {
    columns
        .iter()
        .map(|c| {
            let day = c.at.to_zoned_datetime(zone.clone()).date();
            let title = match c.placement {
                Some(p) => match periods.get(&p) {
                    Some(name) => format!("Bilan entreprise — {name}"),
                    None => "Bilan entreprise".to_string(),
                },
                None => c.title.to_string(),
            };
            Head {
                title,
                day: format!("{:02}/{:02}", day.day(), day.month()),
                long: text::date_long(day),
                href: None,
            }
        })
        .collect()
}

/// Everything [`dashboard_table`] draws, already loaded and filtered.
pub struct Table<'a> {
    /// The student's referential (rows, in its order).
    pub referential: &'a Referential,
    /// The columns to draw, in [`dashboard::columns`] order, already filtered.
    pub columns: &'a [Column<'a>],
    /// Their heads (same length as `columns`), see [`heads`].
    pub heads: &'a [Head],
    /// Where the black line goes: [`dashboard::line_position`] on `columns`.
    pub line: Option<usize>,
    /// The row filter ([`Filter::shows_competency`]); column filters are already applied.
    pub filter: &'a Filter,
    /// One row per criterion (true) or one summarised row per competency (false).
    pub by_criterion: bool,
    /// For the per-placement view: the number of activity sheets mobilising each
    /// competency (by code), drawn as a first column.
    pub sheets: Option<&'a HashMap<String, usize>>,
    /// The table's caption (read by screen readers; hidden on screen).
    pub caption: &'a str,
}

/// Position of `r` in [`CriterionResult::ALL`] (the precomputed cells' index).
fn result_index(r: CriterionResult) -> usize {
    match r {
        CriterionResult::AchievedAutonomously => 0,
        CriterionResult::AchievedWithHelp => 1,
        CriterionResult::Partial => 2,
        CriterionResult::NotAchieved => 3,
        CriterionResult::NotAssessable => 4,
        CriterionResult::Absent => 5,
    }
}

/// The visually hidden words that say where the black line is (never by the line
/// alone).
const LINE_TEXT: &str = "Trait vertical noir : évaluations suivantes non encore prises en compte dans un bilan intermédiaire.";
/// The same when every column is left of the line.
const LINE_END_TEXT: &str = "Trait vertical noir : toutes ces évaluations sont prises en compte dans un bilan intermédiaire.";

/// The dashboard's table: `table.dashboard` in a scrollable `.table-wrap`; `<th scope>`
/// row and column heads so that a screen reader announces "criterion, evaluation,
/// result"; each cell is [`competency::result_cell`] or empty. Linear in rows × columns:
/// reads the precomputed [`dashboard::grid`], and draws each of the 12 possible cells
/// (6 results × 2 shapes) once.
pub fn dashboard_table(t: &Table<'_>) -> Markup {
    let width = t.columns.len();
    let grid = dashboard::grid(t.referential, t.columns);
    let cells: Vec<[String; 2]> = CriterionResult::ALL
        .iter()
        .map(|r| {
            [
                competency::result_cell(*r, Context::School).into_string(),
                competency::result_cell(*r, Context::Company).into_string(),
            ]
        })
        .collect();
    let shape: Vec<usize> = t
        .columns
        .iter()
        .map(|c| usize::from(c.context == Context::Company))
        .collect();
    let line_class: Vec<Option<&str>> = (0..width)
        .map(|i| match t.line {
            Some(l) if l == i => Some("line"),
            Some(l) if l == width && i + 1 == width => Some("line-end"),
            _ => None,
        })
        .collect();
    let head_class: Vec<&str> = line_class
        .iter()
        .map(|c| match c {
            Some("line") => "eval line",
            Some(_) => "eval line-end",
            None => "eval",
        })
        .collect();
    let cell = |r: Option<CriterionResult>, col: usize| match r {
        Some(r) => PreEscaped(cells[result_index(r)][shape[col]].as_str()),
        None => PreEscaped(""),
    };
    // First row of each competency in the grid (criteria are laid out in order).
    let mut first_row = Vec::with_capacity(t.referential.competencies.len());
    let mut next = 0;
    for c in &t.referential.competencies {
        first_row.push(next);
        next += c.criteria.len();
    }
    html! {
        div.table-wrap.dashboard-wrap role="region" aria-label=(t.caption) tabindex="0" {
            table.dashboard {
                caption.visually-hidden { (t.caption) }
                thead {
                    tr {
                        th.corner scope="col" {
                            @if t.by_criterion { "Critère" } @else { "Compétence" }
                        }
                        @if t.sheets.is_some() {
                            th.sheets scope="col" { "Fiches" span.visually-hidden { " activités mobilisant la compétence" } }
                        }
                        @for (i, (c, h)) in t.columns.iter().zip(t.heads).enumerate() {
                            th class=(head_class[i]) scope="col" title={ (h.title) " — " (h.long) } {
                                @if let Some(href) = &h.href {
                                    a.eval-link href=(href) {
                                        (competency::level_code(c.complexity))
                                        span.day { (h.day) }
                                        span.visually-hidden { ", " (h.title) ", " (h.long) }
                                    }
                                } @else {
                                    (competency::level_code(c.complexity))
                                    span.day { (h.day) }
                                    span.visually-hidden { ", " (h.title) ", " (h.long) }
                                }
                                @match line_class[i] {
                                    Some("line") => span.visually-hidden { " " (LINE_TEXT) },
                                    Some(_) => span.visually-hidden { " " (LINE_END_TEXT) },
                                    None => {},
                                }
                            }
                        }
                    }
                }
                @if t.by_criterion {
                    @for (ci, comp) in t.referential.competencies.iter().enumerate() {
                        @if t.filter.shows_competency(&comp.code) {
                            tbody {
                                tr.competency {
                                    th.crit scope="rowgroup" {
                                        span.code { (comp.code) } " "
                                        span.crit-title.comp-title title=(comp.title) { (comp.title) }
                                    }
                                    @for col in 0..width {
                                        td class=[line_class[col]] {}
                                    }
                                }
                                @for (k, crit) in comp.criteria.iter().enumerate() {
                                    @let row = first_row[ci] + k;
                                    tr {
                                        th.crit scope="row" {
                                            span.code { (crit.code) } " "
                                            span.crit-title title=(crit.title) { (crit.title) }
                                        }
                                        @for col in 0..width {
                                            td class=[line_class[col]] { (cell(grid[row * width + col], col)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } @else {
                    tbody {
                        @for (ci, comp) in t.referential.competencies.iter().enumerate() {
                            @if t.filter.shows_competency(&comp.code) {
                                @let rows = first_row[ci]..first_row[ci] + comp.criteria.len();
                                tr {
                                    th.crit scope="row" {
                                        span.code { (comp.code) } " "
                                        span.crit-title title=(comp.title) { (comp.title) }
                                    }
                                    @if let Some(sheets) = t.sheets {
                                        td.sheets { (sheets.get(&comp.code).copied().unwrap_or(0)) }
                                    }
                                    @for col in 0..width {
                                        td class=[line_class[col]] {
                                            (cell(dashboard::summarise(rows.clone().filter_map(|r| grid[r * width + col])), col))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A student's competency record, loaded once for a page.
struct Record {
    student: Student,
    referential: Referential,
    evaluations: Vec<Evaluation>,
    reviews: Vec<CompanyReview>,
    interim: Vec<InterimReview>,
    /// The student's placements that the reader may see (a tutor: only theirs), oldest
    /// first: the per-placement view and the placement filter list only these.
    placements: Vec<Placement>,
    /// Company names of `placements`.
    companies: HashMap<PlacementId, String>,
    /// "PFMP du … au …" for every placement of the student (column heads).
    periods: HashMap<PlacementId, String>,
}

impl Record {
    fn load(store: &Store, who: &Subject, id: &str) -> Result<Record> {
        let student = permissions::visible_student(store, who, parse_id(id)?)?;
        let class = store
            .class(student.class)?
            .ok_or_else(|| Error::Internal("classe de l'élève absente".into()))?;
        let referential = store
            .referential(&class.diploma)?
            .ok_or_else(|| Error::Internal(format!("référentiel {} absent", class.diploma)))?;
        let mut placements = store.placements_of_student(student.id)?;
        placements.reverse();
        // Every placement's review counts (the same table for every reader), read from
        // the placements already loaded rather than scanning them again.
        let mut reviews = Vec::new();
        for p in &placements {
            reviews.extend(store.company_review(p.id)?);
        }
        let periods = placements
            .iter()
            .map(|p| {
                let label = format!(
                    "PFMP du {} au {}",
                    text::date_short(p.start),
                    text::date_short(p.end)
                );
                (p.id, label)
            })
            .collect();
        placements.retain(|p| match who {
            Subject::Student(_) | Subject::Coordinator(_) => true,
            Subject::Tutor(t) => p.tutor == *t,
            Subject::Teacher(t) => p.referent == *t,
        });
        let mut companies = HashMap::new();
        for p in &placements {
            if let Some(c) = store.company(p.company)? {
                companies.insert(p.id, c.name);
            }
        }
        Ok(Record {
            evaluations: store.evaluations_of_student(student.id)?,
            reviews,
            interim: store.interim_reviews(student.id)?,
            student,
            referential,
            placements,
            companies,
            periods,
        })
    }

    /// Sheets sent to the tutor (submitted or seen) of `placements`, per competency.
    fn sheet_counts(store: &Store, placements: &[&Placement]) -> Result<HashMap<String, usize>> {
        let mut counts = HashMap::new();
        for p in placements {
            for s in store.sheets(p.id)? {
                count_sheet(&mut counts, &s);
            }
        }
        Ok(counts)
    }
}

fn count_sheet(counts: &mut HashMap<String, usize>, s: &ActivitySheet) {
    if s.status != SheetStatus::Draft {
        for c in &s.competencies {
            *counts.entry(c.clone()).or_insert(0) += 1;
        }
    }
}

fn placement_label(p: &Placement, companies: &HashMap<PlacementId, String>) -> String {
    let mut s = format!(
        "Du {} au {}",
        text::date_short(p.start),
        text::date_short(p.end)
    );
    if let Some(name) = companies.get(&p.id) {
        s.push_str(" — ");
        s.push_str(name);
    }
    s
}

/// The display filters: a GET form, each control labelled, the chosen values kept.
fn filters_form(r: &Record, q: &DashboardQuery) -> Markup {
    let f = &q.filter;
    let refl = &r.referential;
    let competency_option = |code: &str, title: &str| {
        html! { option value=(code) selected[q.competency == code] { (code) " — " (title) } }
    };
    html! {
        details.filters-box.no-print open[q.is_filtered() || !q.ignored.is_empty()] {
            summary { "Filtres d'affichage" }
            form.filters method="get" action=(competency::dashboard_url(r.student.id)) {
                div.filter-field {
                    label for="f-competence" { "Compétence ou bloc" }
                    select #f-competence name="competence" {
                        option value="" selected[q.competency.is_empty()] { "Toutes" }
                        @if refl.blocks.is_empty() {
                            @for c in &refl.competencies { (competency_option(&c.code, &c.title)) }
                        } @else {
                            optgroup label="Blocs de compétences" {
                                @for b in &refl.blocks {
                                    @let v = format!("bloc:{}", b.code);
                                    option value=(v) selected[q.competency == v] { (b.code) " — " (b.title) }
                                }
                            }
                            optgroup label="Compétences" {
                                @for c in &refl.competencies { (competency_option(&c.code, &c.title)) }
                            }
                        }
                    }
                }
                div.filter-field {
                    label for="f-contexte" { "Contexte" }
                    select #f-contexte name="contexte" {
                        option value="" selected[f.context.is_none()] { "Tous" }
                        @for c in [Context::School, Context::Company] {
                            option value=(c.slug()) selected[f.context == Some(c)] { (c.label()) }
                        }
                    }
                }
                fieldset.filter-field.levels {
                    legend { "Niveau" }
                    div.level-choices {
                        @for c in Complexity::ALL {
                            label.check {
                                input type="checkbox" name="niveau" value=(c.code()) checked[f.levels.contains(&c)];
                                span { (c.code()) " (" (c.label()) ")" }
                            }
                        }
                    }
                }
                fieldset.filter-field.period {
                    legend { "Période" }
                    div.dates {
                        div {
                            label for="f-du" { "Du" }
                            input #f-du type="date" name="du" value=(dashboard_query::form_date(f.from));
                        }
                        div {
                            label for="f-au" { "Au" }
                            input #f-au type="date" name="au" value=(dashboard_query::form_date(f.to));
                        }
                    }
                    label for="f-stage" { "ou période de formation en entreprise" }
                    select #f-stage name="stage" {
                        option value="" selected[q.placement.is_none()] { "Toutes" }
                        @for p in &r.placements {
                            option value=(p.id) selected[q.placement == Some(p.id)] { (placement_label(p, &r.companies)) }
                        }
                    }
                }
                div.filter-field {
                    label for="f-vue" { "Affichage" }
                    select #f-vue name="vue" {
                        @for v in View::ALL {
                            option value=(v.slug()) selected[q.view == v] { (v.label()) }
                        }
                    }
                }
                div.buttons {
                    button.primary type="submit" { "Afficher" }
                    a.button href=(competency::dashboard_url(r.student.id)) { "Tout afficher" }
                }
            }
        }
    }
}

/// `GET /eleves/:id/tableau-de-bord[?competence=…&contexte=…&niveau=…&du=…&au=…&stage=…&vue=…]`:
/// the student's dashboard, the same for the student, their tutors, their referents and
/// the coordinators.
///
/// # Errors
/// 404 when the student does not exist or `viewer` may not see them
/// ([`permissions::visible_student`]); store failure. Unusable filter values are not
/// errors: they are ignored and said so.
#[handler]
pub fn dashboard_show(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
    req: &Request,
) -> Result<Response> {
    let store = &state.store;
    let r = Record::load(store, &viewer.subject, &id)?;
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let q = dashboard_query::parse(&pairs, &r.referential, &r.placements);
    let zone = state.clock.zone();
    let cut_off = interim_review::considered_until(&r.interim);
    let all = dashboard::columns(&r.evaluations, &r.reviews);
    let total = all.len();
    let columns: Vec<Column<'_>> = all
        .into_iter()
        .filter(|c| q.filter.keeps(c, zone))
        .filter(|c| dashboard_query::speaks_to(c, &r.referential, &q.filter))
        .collect();
    let name = r.student.name.full();
    let caption = format!(
        "Résultats {} par critère et par évaluation",
        text::de(&name)
    );
    let data = match q.view {
        View::Criteria | View::Competencies if columns.is_empty() => html! {
            p.empty {
                @if total == 0 {
                    "Aucune évaluation n'est encore enregistrée pour " (name) " : le tableau de bord se remplira avec les évaluations en établissement et les bilans entreprise."
                } @else {
                    "Aucune évaluation ne correspond à ces filtres. "
                    a href=(competency::dashboard_url(r.student.id)) { "Tout afficher" }
                }
            }
        },
        View::Criteria | View::Competencies => {
            let line = dashboard::line_position(&columns, cut_off);
            let mut hs = heads(&columns, &r.periods, zone);
            link_heads(&mut hs, &columns, r.student.id);
            html! {
                (summary_line(columns.len(), line))
                (dashboard_table(&Table {
                    referential: &r.referential,
                    columns: &columns,
                    heads: &hs,
                    line,
                    filter: &q.filter,
                    by_criterion: q.view == View::Criteria,
                    sheets: None,
                    caption: &caption,
                }))
            }
        }
        View::Periods => periods(store, &r, &q, &columns, cut_off, zone)?,
    };
    let title = match viewer.subject {
        Subject::Student(_) => "Mon tableau de bord".to_string(),
        _ => format!("Tableau de bord {}", text::de(&name)),
    };
    let nav_placement = competency::menu_placement(store, &viewer.subject, r.student.id)?;
    let body = html! {
        (competency::record_nav(&viewer.subject, r.student.id, nav_placement, Module::Dashboard))
        p.intro.no-print { "Les résultats des évaluations en établissement et des bilans entreprise sur les compétences du référentiel " (r.referential.short_name) "." }
        p.print-only { (r.student.name.full()) " — " (r.referential.short_name) " — " (text::date_long(state.clock.today())) }
        (filters_form(&r, &q))
        @for m in &q.ignored {
            p.hint.ignored role="status" { (m) }
        }
        (view_switch(r.student.id, &pairs, q.view))
        section.dashboard-data aria-label="Données de l'élève" {
            (data)
        }
        (competency::results_legend())
    };
    Ok(page(
        &viewer,
        &title,
        competency::back_link(&viewer.subject),
        body,
    )
    .into_response())
}

/// Links to the three views, each keeping the other values of the query (`pairs`).
fn view_switch(
    student: crate::domain::StudentId,
    pairs: &[(String, String)],
    current: View,
) -> Markup {
    let href = |v: View| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            if name != "vue" && !value.trim().is_empty() {
                query.append_pair(name, value);
            }
        }
        if v != View::Criteria {
            query.append_pair("vue", v.slug());
        }
        let query = query.finish();
        if query.is_empty() {
            competency::dashboard_url(student)
        } else {
            format!("{}?{query}", competency::dashboard_url(student))
        }
    };
    html! {
        nav.view-switch.no-print aria-label="Affichage" {
            ul {
                @for v in View::ALL {
                    li {
                        @if v == current {
                            a href=(href(v)) aria-current="page" { (v.label()) }
                        } @else {
                            a href=(href(v)) { (v.label()) }
                        }
                    }
                }
            }
        }
    }
}

/// The sentence above the table: how many columns, and what the black line separates.
fn summary_line(n: usize, line: Option<usize>) -> Markup {
    html! {
        p.hint.table-summary {
            @if n == 1 { "1 évaluation. " } @else { (count(n, "évaluation", "évaluations")) ", de la plus ancienne (à gauche) à la plus récente (à droite). " }
            @match line {
                None => "Aucun bilan intermédiaire publié : pas encore de trait vertical noir.",
                Some(l) if l >= n => "Toutes sont déjà prises en compte dans un bilan intermédiaire (trait vertical noir à droite).",
                Some(0) => "Aucune n'est encore prise en compte dans un bilan intermédiaire (trait vertical noir à gauche).",
                Some(l) => {
                    "Le trait vertical noir sépare " (count(l, "évaluation déjà prise", "évaluations déjà prises"))
                    " en compte dans un bilan intermédiaire (à gauche) " (if n - l == 1 { "de la plus récente" } else { "des plus récentes" }) " (à droite)."
                },
            }
        }
    }
}

/// The per-placement view: one section per placement (or only the chosen one), oldest
/// first, each with the number of activity sheets mobilising each competency and the
/// columns of that placement.
fn periods(
    store: &Store,
    r: &Record,
    q: &DashboardQuery,
    columns: &[Column<'_>],
    cut_off: Option<jiff::Timestamp>,
    zone: &TimeZone,
) -> Result<Markup> {
    let shown: Vec<&Placement> = r
        .placements
        .iter()
        .filter(|p| q.placement.is_none_or(|id| id == p.id))
        .collect();
    let mut sections = Vec::with_capacity(shown.len());
    for p in shown {
        let filter = Filter {
            placement: Some((p.id, p.start, p.end)),
            ..q.filter.clone()
        };
        let cols: Vec<Column<'_>> = columns
            .iter()
            .filter(|c| filter.keeps(c, zone))
            .cloned()
            .collect();
        let sheets = Record::sheet_counts(store, &[p])?;
        let line = dashboard::line_position(&cols, cut_off);
        let mut hs = heads(&cols, &r.periods, zone);
        link_heads(&mut hs, &cols, r.student.id);
        let label = placement_label(p, &r.companies);
        let caption = format!(
            "Période {} : fiches activités et évaluations par compétence",
            label.to_lowercase()
        );
        sections.push(html! {
            section.period-block {
                h2 { "Période de formation" br; span.small { (label) } }
                @if cols.is_empty() {
                    p.empty { "Aucune évaluation pendant cette période." }
                } @else {
                    (summary_line(cols.len(), line))
                }
                @if !cols.is_empty() || !sheets.is_empty() {
                    (dashboard_table(&Table {
                        referential: &r.referential,
                        columns: &cols,
                        heads: &hs,
                        line,
                        filter: &q.filter,
                        by_criterion: false,
                        sheets: Some(&sheets),
                        caption: &caption,
                    }))
                }
            }
        });
    }
    Ok(html! {
        @if sections.is_empty() {
            p.empty { "Aucune période de formation en entreprise n'est enregistrée pour cet élève." }
        } @else {
            p.hint { "Chaque période montre son bilan entreprise et les évaluations en établissement modifiées pendant la période ; la colonne « Fiches » compte les fiches activités envoyées au tuteur qui mobilisent la compétence. Les évaluations faites hors des périodes n'apparaissent que dans les autres affichages." }
            @for s in sections { (s) }
        }
    })
}

/// `GET /eleves/:id/avancement`: "Avancement de formation": for each competency of the
/// referential, its positioning at the latest published interim review, the
/// evaluations since that review (how many, and their summarised result), and the
/// activity sheets (sent to the tutor) that mobilised it.
///
/// # Errors
/// 404 when the student does not exist or `viewer` may not see them
/// ([`permissions::visible_student`]); store failure.
#[handler]
pub fn progress_show(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let store = &state.store;
    let r = Record::load(store, &viewer.subject, &id)?;
    let latest = r
        .interim
        .iter()
        .filter(|i| i.published.is_some())
        .max_by_key(|i| (i.date, i.considered_until));
    let cut_off = interim_review::considered_until(&r.interim);
    let recent: Vec<Column<'_>> = dashboard::columns(&r.evaluations, &r.reviews)
        .into_iter()
        .filter(|c| cut_off.is_none_or(|t| c.at > t))
        .collect();
    let all_placements: Vec<&Placement> = r.placements.iter().collect();
    let sheets = Record::sheet_counts(store, &all_placements)?;
    let name = r.student.name.full();
    let title = match viewer.subject {
        Subject::Student(_) => "Mon avancement de formation".to_string(),
        _ => format!("Avancement de formation {}", text::de(&name)),
    };
    let since_label = match latest {
        Some(l) => format!("Depuis le bilan du {}", text::date_short(l.date)),
        None => "Évaluations".to_string(),
    };
    let nav_placement = competency::menu_placement(store, &viewer.subject, r.student.id)?;
    let body = html! {
        (competency::record_nav(&viewer.subject, r.student.id, nav_placement, Module::Progress))
        p.intro {
            "L'avancement de formation " (text::de(&name)) " : pour chaque compétence du référentiel " (r.referential.short_name) ", "
            "le positionnement au dernier bilan intermédiaire, les évaluations faites depuis et les fiches activités qui l'ont mobilisée."
        }
        @match latest {
            Some(l) => p.hint { "Dernier bilan intermédiaire publié : " (text::date_long(l.date)) "." },
            None => p.hint { "Aucun bilan intermédiaire n'est encore publié : toutes les évaluations sont comptées." },
        }
        div.table-wrap role="region" aria-label="Avancement par compétence" tabindex="0" {
            table.stacked.progress {
                caption.visually-hidden { "Avancement de formation " (text::de(&name)) ", par compétence" }
                thead {
                    tr {
                        th scope="col" { "Compétence" }
                        th scope="col" { "Dernier bilan" }
                        th scope="col" { (since_label) }
                        th scope="col" { "Fiches activités" }
                    }
                }
                tbody {
                    @for comp in &r.referential.competencies {
                        @let results: Vec<(CriterionResult, Context)> = recent.iter().flat_map(|c| {
                            c.results.iter()
                                .filter(|s| comp.criteria.iter().any(|k| k.code == s.criterion))
                                .map(move |s| (s.result, c.context))
                        }).collect();
                        @let n_evals = recent.iter().filter(|c| c.results.iter().any(|s| comp.criteria.iter().any(|k| k.code == s.criterion))).count();
                        @let summary = dashboard::summarise(results.iter().map(|(r, _)| *r));
                        @let context = if !results.is_empty() && results.iter().all(|(_, c)| *c == Context::Company) { Context::Company } else { Context::School };
                        tr {
                            th scope="row" { span.code { (comp.code) } " " (comp.title) }
                            td data-label="Dernier bilan" {
                                @match latest {
                                    Some(l) => {
                                        @let p = l.positioning(&comp.code);
                                        span.progress-pos {
                                            (competency::positioning_cell(p))
                                            " " span.small aria-hidden="true" { (positioning_words(p)) }
                                        }
                                    },
                                    None => span.muted { "pas encore de bilan" },
                                }
                            }
                            td data-label=(since_label) {
                                @match summary {
                                    Some(res) => span.progress-pos {
                                        (competency::result_cell(res, context))
                                        " " span.small { (count(n_evals, "évaluation", "évaluations")) span aria-hidden="true" { " : " (res.label()) } }
                                    },
                                    None => span.muted {
                                        @if latest.is_some() { "aucune évaluation depuis le dernier bilan" } @else { "aucune évaluation" }
                                    },
                                }
                            }
                            td data-label="Fiches activités" {
                                (count(sheets.get(&comp.code).copied().unwrap_or(0), "fiche", "fiches"))
                            }
                        }
                    }
                }
            }
        }
        p.hint { "Le résultat des évaluations récentes est la moyenne de leurs critères sur la compétence. " a href=(competency::dashboard_url(r.student.id)) { "Voir le détail dans le tableau de bord" } "." }
        (competency::positioning_legend())
    };
    Ok(page(
        &viewer,
        &title,
        competency::back_link(&viewer.subject),
        body,
    )
    .into_response())
}

/// A positioning's short words for the progress table.
fn positioning_words(p: Positioning) -> String {
    match p {
        Positioning::NotEvaluated => "non évaluée".into(),
        Positioning::Placed { level, target } => {
            format!("{} ({})", level.short_label(), target.label())
        }
    }
}
