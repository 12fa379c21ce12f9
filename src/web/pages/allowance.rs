//! The PFMP allowance (allocation PFMP, issue 8, part 4) for the coordinator: the
//! amounts of a class's placements over a period, the payment CSV, and the daily rates
//! per diploma and year (defaults from the arrêté of 11 August 2023).

use super::{parse_id, placement_url, see_other};
use crate::auth::permissions;
use crate::domain::allowance_form::{
    AllowanceLine, AllowanceTotals, Period, Progress, RateChange, check_rate, csv_file_name,
    payment_csv, read_period, year_from_value, year_value,
};
use crate::domain::attendance::{
    AllowanceRate, AttendanceState, default_rate_cents, euros_label, euros_number, rate_for,
};
use crate::domain::{Class, ClassId, CycleYear, FieldErrors, Referential, text};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{count, csrf_field, described_by, field_error, page};
use maud::{Markup, html};
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// The page's address.
const PAGE: &str = "/coordination/allocations";

/// The sentence citing where the default rates come from (issue 8).
const SOURCE: &str = "Montants par défaut : arrêté du 11 août 2023 (CAP 1re année 10 €, 2e année 15 € ; Seconde 10 €, Première 15 €, Terminale 20 €). Les jours ayant donné lieu à une absence ne sont pas comptés.";

/// The query of the page and of the CSV: `?classe=<id>&du=AAAA-MM-JJ&au=AAAA-MM-JJ`.
#[derive(Debug, Default, Deserialize)]
pub struct AllowanceQuery {
    /// The class (an id); the page shows the first class when absent or unknown.
    pub classe: Option<String>,
    /// First day of the period (default: 1 September of the school year).
    pub du: Option<String>,
    /// Last day of the period (default: 31 August of the school year).
    pub au: Option<String>,
}

/// The query string of a class and a period: `classe=<id>&du=…&au=…` (ids and ISO
/// dates need no escaping).
fn query_string(class: ClassId, period: Period) -> String {
    format!("classe={class}&du={}&au={}", period.from, period.to)
}

/// The school's classes, by name.
fn classes_by_name(store: &Store) -> Result<Vec<Class>> {
    let mut classes = store.classes()?;
    classes.sort_by_key(|c| c.name.to_lowercase());
    Ok(classes)
}

/// The allowance lines of `class` for `period` on `today`, with the class's daily rate.
fn lines_of(
    store: &Store,
    class: &Class,
    period: Period,
    rates: &[AllowanceRate],
    today: jiff::civil::Date,
) -> Result<Vec<AllowanceLine>> {
    let rate = rate_for(class, rates);
    let mut lines = Vec::new();
    for (student, placement) in
        store.placements_of_class_in_period(class.id, period.from, period.to)?
    {
        let company = store
            .company(placement.company)?
            .ok_or_else(|| Error::Internal("entreprise de la PFMP absente".into()))?;
        let attendance = store.attendance(placement.id)?;
        lines.push(AllowanceLine::new(
            student,
            placement,
            company,
            attendance.as_ref(),
            rate,
            today,
        ));
    }
    Ok(lines)
}

/// One (diploma, year) pair used by the school's classes, with its rate.
struct RateRow {
    diploma: String,
    year: CycleYear,
    referential: Option<Referential>,
    classes: Vec<String>,
    /// The coordinator's rate, if set.
    custom: Option<u32>,
}

impl RateRow {
    fn current(&self) -> u32 {
        self.custom.unwrap_or_else(|| default_rate_cents(self.year))
    }
}

/// Every (diploma, year) pair of `classes`, ordered by diploma then year.
fn rate_rows(store: &Store, classes: &[Class], rates: &[AllowanceRate]) -> Result<Vec<RateRow>> {
    let mut rows: Vec<RateRow> = Vec::new();
    for c in classes {
        if let Some(row) = rows
            .iter_mut()
            .find(|r| r.diploma == c.diploma && r.year == c.year)
        {
            row.classes.push(c.name.clone());
            continue;
        }
        rows.push(RateRow {
            diploma: c.diploma.clone(),
            year: c.year,
            referential: store.referential(&c.diploma)?,
            classes: vec![c.name.clone()],
            custom: rates
                .iter()
                .find(|r| r.diploma == c.diploma && r.year == c.year)
                .map(|r| r.cents_per_day),
        });
    }
    rows.sort_by(|a, b| {
        let name = |r: &RateRow| {
            r.referential
                .as_ref()
                .map_or(r.diploma.clone(), |x| x.short_name.clone())
        };
        name(a).cmp(&name(b)).then(a.year.tag().cmp(&b.year.tag()))
    });
    Ok(rows)
}

/// A rate form sent back with an error: which pair, what was typed, the message.
struct RateRejected {
    diploma: String,
    year: CycleYear,
    typed: String,
    errors: FieldErrors,
}

/// The summary of a rejected rate form, at the top of the page, with a link to the
/// field (the rates are at the bottom of a long page).
fn rate_error_summary(r: &RateRejected, rows: &[RateRow]) -> Markup {
    let at = rows
        .iter()
        .position(|row| row.diploma == r.diploma && row.year == r.year);
    html! {
        div.errors role="alert" {
            p { strong { "Le forfait n'a pas été enregistré\u{a0}:" } " " (r.errors.get("taux").unwrap_or_default()) }
            @if let Some(i) = at {
                p { a href=(format!("#taux-{i}")) { "Corriger le forfait" } }
            }
        }
    }
}

/// The page: the period form, the chosen class's amounts, the rate forms.
fn allowance_page(
    state: &State,
    viewer: &Viewer,
    query: &AllowanceQuery,
    rejected: Option<&RateRejected>,
) -> Result<Markup> {
    let store = &state.store;
    let classes = classes_by_name(store)?;
    let (period, mut messages) = read_period(
        query.du.as_deref().unwrap_or(""),
        query.au.as_deref().unwrap_or(""),
        state.clock.today(),
    );
    let wanted: Option<ClassId> = query.classe.as_deref().and_then(|c| c.parse().ok());
    let class = match wanted.and_then(|id| classes.iter().find(|c| c.id == id)) {
        Some(c) => Some(c),
        None => {
            if query.classe.as_deref().is_some_and(|c| !c.is_empty()) {
                messages
                    .push("Cette classe n'existe pas : la première classe est affichée.".into());
            }
            classes.first()
        }
    };
    let rates = store.allowance_rates()?;
    let rows = rate_rows(store, &classes, &rates)?;
    let lines = match class {
        Some(c) => lines_of(store, c, period, &rates, state.clock.today())?,
        None => Vec::new(),
    };
    let totals = AllowanceTotals::of(&lines);
    let body = html! {
        @if let Some(r) = rejected { (rate_error_summary(r, &rows)) }
        @if classes.is_empty() {
            p.muted { "Aucune classe n'est encore enregistrée : créez d'abord une classe." }
        } @else {
            (period_form(&classes, class, period, &messages))
        }
        @if let Some(class) = class {
            (amounts(class, period, &lines, &totals, rate_for(class, &rates)))
        }
        (rates_section(viewer, &rows, class.map(|c| (c.id, period)), rejected))
    };
    Ok(page(
        viewer,
        "Allocation PFMP",
        Some(("/", "Établissement")),
        body,
    ))
}

/// The GET form choosing the class and the period.
fn period_form(
    classes: &[Class],
    class: Option<&Class>,
    period: Period,
    messages: &[String],
) -> Markup {
    html! {
        @if !messages.is_empty() {
            div.errors role="alert" {
                @for m in messages { p { (m) } }
            }
        }
        form.stack.allowance-period method="get" action=(PAGE) {
            label for="classe" { "Classe" }
            select #classe name="classe" {
                @for c in classes {
                    option value=(c.id) selected[class.is_some_and(|x| x.id == c.id)] { (c.name) }
                }
            }
            div.allowance-dates {
                div {
                    label for="du" { "Du" }
                    input #du type="date" name="du" value=(period.from.to_string()) required;
                }
                div {
                    label for="au" { "Au" }
                    input #au type="date" name="au" value=(period.to.to_string()) required;
                }
            }
            p.hint { "Les périodes de formation comptées sont celles qui se terminent entre ces deux dates (l'allocation est due à l'issue de chaque période)." }
            button type="submit" { "Afficher" }
        }
    }
}

/// The amounts of `class` for `period`: totals, warnings, downloads, the table.
fn amounts(
    class: &Class,
    period: Period,
    lines: &[AllowanceLine],
    totals: &AllowanceTotals,
    rate: u32,
) -> Markup {
    let q = query_string(class.id, period);
    html! {
        section.allowance {
            h2 {
                "Classe " (class.name) " · du " (text::date_short(period.from))
                " au " (text::date_short(period.to))
            }
            p.muted { "Forfait journalier\u{a0}: " (euros_label(u64::from(rate))) " (" (class.year.label()) ")" }
            @if lines.is_empty() {
                p.muted { "Aucune période de formation d'un élève de cette classe ne se termine entre ces deux dates." }
            } @else {
                div.card.allowance-totals {
                    @if totals.placements > 0 {
                        p {
                            strong { (euros_label(totals.amount_cents)) }
                            " pour " (count(totals.placements, "période terminée", "périodes terminées"))
                            " · " (count(totals.days as usize, "jour effectué", "jours effectués"))
                        }
                    } @else {
                        p { strong { "Aucune période terminée" } "\u{a0}: pas encore de montant." }
                    }
                    @if totals.not_ended == 1 {
                        p.muted { "Et 1 période en cours ou à venir, sans montant avant sa fin." }
                    } @else if totals.not_ended > 1 {
                        p.muted {
                            "Et " (totals.not_ended) " périodes en cours ou à venir, sans montant avant leur fin."
                        }
                    }
                }
                @if totals.not_recorded > 0 || totals.incomplete > 0 || totals.not_confirmed > 0 {
                    div.notice role="note" {
                        p { strong { "Avant de payer\u{a0}:" } }
                        @if totals.not_recorded > 0 {
                            p {
                                (count(totals.not_recorded, "période", "périodes"))
                                @if totals.not_recorded > 1 { " n'ont" } @else { " n'a" }
                                " pas de présence saisie\u{a0}: pas de montant tant qu'elle n'est pas saisie. Demandez au tuteur ou au référent de la saisir."
                            }
                        }
                        @if totals.incomplete > 0 {
                            p {
                                (count(totals.incomplete, "période", "périodes"))
                                @if totals.incomplete > 1 { " ont" } @else { " a" }
                                " des jours non renseignés\u{a0}: le montant ne compte que les jours saisis. Demandez au tuteur ou au référent de compléter la présence."
                            }
                        }
                        @if totals.not_confirmed > 0 {
                            p {
                                (count(totals.not_confirmed, "période", "périodes"))
                                @if totals.not_confirmed > 1 { " ont" } @else { " a" }
                                " une présence saisie mais non confirmée par le tuteur\u{a0}: vérifiez-la."
                            }
                        }
                    }
                }
                div.buttons {
                    a.button.primary href=(format!("{PAGE}.csv?{q}")) download { "Télécharger le CSV" }
                    a.button href=(format!("{PAGE}/attestations.zip?{q}")) { "Télécharger les attestations (ZIP)" }
                }
                div.table-wrap {
                    table.stacked.allowance-table {
                        thead {
                            tr {
                                th scope="col" { "Élève" }
                                th scope="col" { "Organisme d'accueil" }
                                th scope="col" { "Dates" }
                                th scope="col" { "Jours effectués" }
                                th scope="col" { "Forfait journalier" }
                                th scope="col" { "Montant" }
                                th scope="col" { "Présence" }
                            }
                        }
                        tbody {
                            @for l in lines {
                                tr {
                                    td data-label="Élève" {
                                        div { a href=(placement_url(l.placement.id)) {
                                            (l.student.name.last.to_uppercase()) " " (l.student.name.first)
                                        } }
                                    }
                                    td.allowance-company data-label="Organisme d'accueil" { div { (l.company.name) } }
                                    td data-label="Dates" {
                                        div { span.nowrap { (text::date_short(l.placement.start)) } " – " span.nowrap { (text::date_short(l.placement.end)) } }
                                    }
                                    td.num data-label="Jours effectués" {
                                        div { @match l.days { Some(d) => (d), None => "—" } }
                                    }
                                    td.num data-label="Forfait journalier" { div { span.nowrap { (euros_label(u64::from(l.rate_cents))) } } }
                                    td.num data-label="Montant" {
                                        div { @match (l.amount_cents, l.progress) {
                                            (Some(c), _) => strong.nowrap { (euros_label(c)) },
                                            (None, Progress::Ended) => span { "—" span.visually-hidden { " (pas de montant : présence non saisie)" } },
                                            (None, _) => span { "—" span.visually-hidden { " (pas de montant avant la fin de la période)" } },
                                        } }
                                    }
                                    td data-label="Présence" {
                                        div { (state_badge(l)) }
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

/// Where a line stands as a badge (text, never colour alone): `PFMP en cours` or `PFMP
/// à venir` before its end, else its attendance's state.
fn state_badge(l: &AllowanceLine) -> Markup {
    let (class, label) = match (l.progress, l.state) {
        (Progress::InProgress | Progress::Upcoming, _) => {
            ("badge", format!("PFMP {}", l.progress.label()))
        }
        (Progress::Ended, AttendanceState::NotRecorded | AttendanceState::Incomplete) => {
            ("badge todo", l.state.label().to_string())
        }
        (Progress::Ended, AttendanceState::Recorded) => {
            ("badge draft", l.state.label().to_string())
        }
        (Progress::Ended, AttendanceState::Confirmed) => {
            ("badge done", l.state.label().to_string())
        }
    };
    html! { span class=(class) { (label) } }
}

/// The daily rates: one small form per (diploma, year) pair of the school's classes.
fn rates_section(
    viewer: &Viewer,
    rows: &[RateRow],
    back: Option<(ClassId, Period)>,
    rejected: Option<&RateRejected>,
) -> Markup {
    html! {
        section.allowance-rates {
            h2 { "Forfaits journaliers" }
            p.hint { (SOURCE) }
            p.hint { "BTS\u{a0}: 0\u{a0}€ par défaut (les étudiants de BTS ne sont pas concernés par l'allocation PFMP)." }
            @if rows.is_empty() {
                p.muted { "Aucune classe : les forfaits se règlent par diplôme et par année, une fois les classes créées." }
            }
            @for (i, row) in rows.iter().enumerate() {
                @let mine = rejected.filter(|r| r.diploma == row.diploma && r.year == row.year);
                @let id = format!("taux-{i}");
                @let default = default_rate_cents(row.year);
                form.card.stack.rate-form method="post" action=(format!("{PAGE}/taux")) novalidate {
                    (csrf_field(viewer))
                    input type="hidden" name="diplome" value=(row.diploma);
                    input type="hidden" name="annee" value=(year_value(row.year));
                    @if let Some((class, period)) = back {
                        input type="hidden" name="classe" value=(class);
                        input type="hidden" name="du" value=(period.from.to_string());
                        input type="hidden" name="au" value=(period.to.to_string());
                    }
                    label for=(id) {
                        (row.referential.as_ref().map_or(row.diploma.as_str(), |r| r.short_name.as_str()))
                        " — " (row.year.label())
                        span.hint { " (" (row.classes.join(", ")) ")" }
                    }
                    @if let Some(r) = &row.referential {
                        p.hint { (r.diploma) }
                    }
                    p.rate-status {
                        "Actuellement\u{a0}: " strong { (euros_label(u64::from(row.current()))) } " par jour"
                        @match row.custom {
                            Some(_) => { ", fixé par l'établissement (décret\u{a0}: " (euros_label(u64::from(default))) ")" }
                            None => { @if default == 0 { ", montant par défaut (pas d'allocation)" } @else { ", montant du décret" } }
                        }
                    }
                    @if let Some(r) = mine { (field_error(&r.errors, "taux")) }
                    div.rate-input {
                        input id=(id) type="text" inputmode="decimal" name="taux" autocomplete="off"
                            value=(mine.map_or_else(|| euros_number(u64::from(row.current()), '\0'), |r| r.typed.clone()))
                            aria-invalid=[mine.map(|_| "true")]
                            aria-describedby=[mine.and_then(|r| described_by(&r.errors, "taux"))];
                        span { "€ par jour" }
                    }
                    div.buttons {
                        button.primary type="submit" name="action" value="enregistrer" { "Enregistrer" }
                        @if row.custom.is_some() {
                            button type="submit" name="action" value="decret" { "Revenir au montant du décret" }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /coordination/allocations[?classe=<id>&du=AAAA-MM-JJ&au=AAAA-MM-JJ]`: the
/// allowance of a class's placements ending in the period (default: the first class
/// and the school year), the downloads, and the daily rates.
///
/// # Errors
/// 404 unless a coordinator; store failure.
#[handler]
pub fn allowance_show(
    state: Data<&State>,
    viewer: Viewer,
    Query(query): Query<AllowanceQuery>,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    Ok(allowance_page(&state, &viewer, &query, None)?.into_response())
}

/// `GET /coordination/allocations.csv?classe=<id>&du=AAAA-MM-JJ&au=AAAA-MM-JJ`: the
/// payment CSV of the class for the period ([`payment_csv`]: `;`, UTF-8 with a BOM,
/// CRLF, a `Total` line), as an attachment named by [`csv_file_name`], never cached.
/// An empty date takes the school year's.
///
/// # Errors
/// 404 unless a coordinator or for an unknown class; store failure. A date that
/// cannot be used answers [`bad_period`] (400).
#[handler]
pub fn allowance_csv(
    state: Data<&State>,
    viewer: Viewer,
    Query(query): Query<AllowanceQuery>,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    let store = &state.store;
    let class = store
        .class(parse_id(query.classe.as_deref().unwrap_or(""))?)?
        .ok_or(Error::NotFound)?;
    let (period, messages) = read_period(
        query.du.as_deref().unwrap_or(""),
        query.au.as_deref().unwrap_or(""),
        state.clock.today(),
    );
    if !messages.is_empty() {
        return Ok(bad_period(&viewer, &messages));
    }
    let rates = store.allowance_rates()?;
    let lines = lines_of(store, &class, period, &rates, state.clock.today())?;
    let csv = payment_csv(&class.name, &lines).map_err(Error::Internal)?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        csv_file_name(&class.name, period)
    );
    Ok(Response::builder()
        .content_type("text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition)
                .map_err(|e| Error::Internal(format!("nom du fichier CSV : {e}")))?,
        )
        .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
        .body(csv))
}

/// The answer to a download (the CSV, the certificates' ZIP) whose `du` or `au`
/// cannot be used ([`read_period`]'s French `messages`): a page saying why, with a
/// link back to the allowance page, status 400 (the page itself shows the school
/// year instead; a download must not silently cover another period).
pub fn bad_period(viewer: &Viewer, messages: &[String]) -> Response {
    page(
        viewer,
        "Période invalide",
        Some((PAGE, "Allocation PFMP")),
        html! {
            div.errors role="alert" {
                @for m in messages { p { (m.split(" : ").next().unwrap_or(m)) "." } }
            }
            p { "Rien n'a été téléchargé. Choisissez les dates avec le formulaire de la page Allocation PFMP." }
            p { a.button href=(PAGE) { "Retour aux allocations PFMP" } }
        },
    )
    .with_status(StatusCode::BAD_REQUEST)
    .into_response()
}

/// `POST /coordination/allocations/taux`: sets the daily rate of one (diploma, year)
/// pair used by a class (`diplome`, `annee`, `taux` in euros), or takes it back to the
/// decree's default (`action=decret`, or a rate equal to the default). Goes back to the
/// page with the class and period it was sent from (`classe`, `du`, `au`).
///
/// # Errors
/// 404 unless a coordinator, or for a pair no class uses; 403 without a valid
/// anti-CSRF token; 422 with the amount kept when it is not one; store failure.
#[handler]
pub async fn allowance_rate_save(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    form: FormData,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    viewer.check_csrf(&form)?;
    let store = &state.store;
    let diploma = form.get("diplome").to_string();
    let year = year_from_value(form.get("annee")).ok_or(Error::NotFound)?;
    let classes = store.classes()?;
    if !classes
        .iter()
        .any(|c| c.diploma == diploma && c.year == year)
    {
        return Err(Error::NotFound);
    }
    // Back to the class and period shown, rebuilt from parsed values only.
    let (period, _) = read_period(form.get("du"), form.get("au"), state.clock.today());
    let class = form
        .get("classe")
        .parse::<ClassId>()
        .ok()
        .filter(|id| classes.iter().any(|c| c.id == *id));
    let back = match class {
        Some(id) => format!("{PAGE}?{}", query_string(id, period)),
        None => PAGE.to_string(),
    };
    let change = if form.get("action") == "decret" {
        RateChange::Reset
    } else {
        match check_rate(form.get("taux"), default_rate_cents(year)) {
            Ok(c) => c,
            Err(m) => {
                let mut errors = FieldErrors::default();
                errors.add("taux", m);
                let rejected = RateRejected {
                    diploma,
                    year,
                    typed: form.get("taux").to_string(),
                    errors,
                };
                let query = AllowanceQuery {
                    classe: class.map(|c| c.to_string()),
                    du: Some(period.from.to_string()),
                    au: Some(period.to.to_string()),
                };
                return Ok(allowance_page(&state, &viewer, &query, Some(&rejected))?
                    .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                    .into_response());
            }
        }
    };
    match change {
        RateChange::Reset => {
            store.remove_allowance_rate(&diploma, year).await?;
            Flash::AllowanceRateReset.set(jar);
        }
        RateChange::Set(cents) => {
            store
                .put_allowance_rate(&AllowanceRate {
                    diploma,
                    year,
                    cents_per_day: cents,
                    updated_at: state.clock.now(),
                })
                .await?;
            Flash::AllowanceRateSaved.set(jar);
        }
    }
    Ok(see_other(&back))
}
