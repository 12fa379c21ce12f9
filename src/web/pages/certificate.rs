//! The PFMP certificate's downloads (issue 8): a placement's certificate filled in,
//! the blank form, and the coordinator's ZIP of a class's certificates for a period.
//! The PDFs are made by [`crate::certificate`]; answers are `Cache-Control: no-store`
//! (personal data) and downloaded as attachments.

use super::parse_id;
use crate::auth::permissions;
use crate::certificate;
use crate::domain::allowance_form::read_period;
use crate::domain::{ClassId, text};
use crate::error::{Error, Result};
use crate::web::State;
use crate::web::extract::Viewer;
use crate::web::layout::page;
use maud::html;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{IntoResponse, Request, Response, handler};

/// Where the coordinator's allowance page lives (the ZIP's "nothing to download" page
/// links back to it).
const ALLOWANCE_PAGE: &str = "/coordination/allocations";

/// A downloaded file: `content_type`, `Content-Disposition: attachment` with
/// `file_name` (ASCII, made by [`certificate::file_name`] or here), never stored by
/// the browser's or a proxy's cache.
fn attachment(bytes: Vec<u8>, content_type: &str, file_name: &str) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(bytes)
}

/// Runs CPU work (laying out and compressing PDFs) off the request threads.
///
/// # Errors
/// `work`'s error; [`Error::Internal`] when the task panicked or was cancelled.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("fabrication du PDF interrompue : {e}")))?
}

/// `GET /stages/:id/attestation.pdf`: the placement's certificate, filled in from
/// the store, for whoever may see the placement (its student, tutor, referent, a
/// coordinator; 404 for anyone else).
///
/// # Errors
/// [`Error::NotFound`] for an unknown or hidden placement or a missing linked record;
/// [`Error::SignInRequired`] without a session; PDF or store failure.
#[handler]
pub async fn certificate_download(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = permissions::visible_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let c = certificate::gather(&state.store, &state.clock, &p)?;
    let name = certificate::file_name(&c);
    let pdf = blocking(move || certificate::render(&c)).await?;
    Ok(attachment(pdf, "application/pdf", &name))
}

/// `GET /attestation-vierge.pdf`: the blank certificate with the school's header, for
/// anyone signed in (tutors' link sessions included).
///
/// # Errors
/// [`Error::SignInRequired`] without a session; [`Error::NotFound`] before the school
/// is set up; PDF or store failure.
#[handler]
pub async fn certificate_blank(state: Data<&State>, _viewer: Viewer) -> Result<Response> {
    let school = state.store.school()?.ok_or(Error::NotFound)?;
    let pdf = blocking(move || certificate::render_blank(&school)).await?;
    Ok(attachment(
        pdf,
        "application/pdf",
        "attestation-pfmp-vierge.pdf",
    ))
}

/// `GET /coordination/allocations/attestations.zip?classe=<class id>&du=YYYY-MM-DD&au=YYYY-MM-DD`
/// (coordinators only, 404 for anyone else): one ZIP holding the certificate of every
/// placement of the class whose last day is in the period
/// ([`crate::store::Store::placements_of_class_in_period`]) and not after today (a
/// placement not ended has no certificate yet). A missing `du` or `au` is the school
/// year's bound; the dates are read as the allowance page and its CSV read them
/// ([`read_period`]). A period with no ended placement answers a French page (404)
/// linking back to the allowance page.
///
/// # Errors
/// [`Error::NotFound`] for a non-coordinator, a missing or unknown class; PDF, ZIP or
/// store failure. A date that cannot be read, out of range, or a start after the end
/// answers [`super::allowance::bad_period`] (400, the French message), as the CSV.
#[handler]
pub async fn certificates_zip(
    state: Data<&State>,
    viewer: Viewer,
    req: &Request,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    };
    let class_id: ClassId = parse_id(get("classe"))?;
    let class = state.store.class(class_id)?.ok_or(Error::NotFound)?;
    let today = state.clock.today();
    let (period, messages) = read_period(get("du"), get("au"), today);
    if !messages.is_empty() {
        return Ok(super::allowance::bad_period(&viewer, &messages));
    }
    let (from, to) = (period.from, period.to);
    let placements: Vec<_> = state
        .store
        .placements_of_class_in_period(class.id, from, to)?
        .into_iter()
        .filter(|(_, p)| p.end <= today)
        .collect();
    if placements.is_empty() {
        let title = "Aucune attestation à télécharger";
        return Ok(page(
            &viewer,
            title,
            Some((ALLOWANCE_PAGE, "Allocations PFMP")),
            html! {
                p {
                    "La classe " strong { (class.name) } " n'a aucune PFMP terminée entre le "
                    (text::date_short(from)) " et le " (text::date_short(to))
                    " : il n'y a rien à télécharger."
                }
                @if to > today {
                    p { "Les PFMP qui ne sont pas encore terminées n'ont pas d'attestation : elle se télécharge à la fin de la période." }
                }
                p { "Choisissez une autre période ou une autre classe." }
                p { a.button href=(ALLOWANCE_PAGE) { "Retour aux allocations PFMP" } }
            },
        )
        .with_status(StatusCode::NOT_FOUND)
        .into_response());
    }
    let certificates = placements
        .iter()
        .map(|(_, p)| certificate::gather(&state.store, &state.clock, p))
        .collect::<Result<Vec<_>>>()?;
    let modified = state.clock.now_zoned().datetime();
    let zipped = blocking(move || {
        let mut files = Vec::with_capacity(certificates.len());
        for c in &certificates {
            files.push((certificate::file_name(c), certificate::render(c)?));
        }
        certificate::zip(&files, modified)
    })
    .await?;
    let slug = match certificate::ascii_name(&class.name) {
        s if s.is_empty() => "classe".to_string(),
        s => s,
    };
    let name = format!("attestations-pfmp-{slug}-{from}-{to}.zip");
    Ok(attachment(zipped, "application/zip", &name))
}
