//! First start (issue 3): `GET /installation/:token` shows the form that creates the
//! school and its first coordinator; only its POST writes, once. The link is printed by
//! `livret serve` on an empty store (and by `livret admin setup-link`), works for one
//! hour and is deleted when used.

use super::see_other;
use crate::auth;
use crate::domain::setup::{SetupInput, validate_setup};
use crate::domain::{FieldErrors, Subject};
use crate::error::Result;
use crate::web::extract::{FormData, session_cookie};
use crate::web::layout::{described_by, error_summary, field_error, public_page};
use crate::web::proxy::ClientAddr;
use crate::web::{State, confirm};
use maud::{Markup, html};
use poem::http::{HeaderMap, StatusCode};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

fn unusable() -> Response {
    public_page(
        "Lien d'installation non valable",
        None,
        html! {
            p { "Ce lien d'installation n'est pas ou plus valable : il a déjà servi, il a expiré (il vaut une heure) ou un lien plus récent l'a remplacé." }
            p { "Si l'établissement n'est pas encore créé, la personne qui administre le serveur obtient un nouveau lien en redémarrant le service, ou, service arrêté, avec la commande " code { "livret admin setup-link" } "." }
        },
    )
    .with_status(StatusCode::NOT_FOUND)
    .into_response()
}

fn text_field(
    input: &str,
    errors: &FieldErrors,
    name: &'static str,
    label: &str,
    autocomplete: &str,
    required: bool,
) -> Markup {
    html! {
        label for=(name) { (label) @if !required { span.hint { " (facultatif)" } } }
        (field_error(errors, name))
        input id=(name) type=(if name == "email" { "email" } else { "text" }) name=(name) value=(input)
            required[required] autocomplete=(autocomplete)
            aria-invalid=[errors.get(name).map(|_| "true")] aria-describedby=[described_by(errors, name)];
    }
}

fn setup_form(
    token: &str,
    confirm_value: &str,
    input: &SetupInput,
    errors: &FieldErrors,
) -> Markup {
    public_page(
        "Installer Livret",
        None,
        html! {
            p { "Ce formulaire crée l'établissement et le premier compte de coordination (équipe pédagogique ou DDFPT). Il ne sert qu'une fois." }
            (error_summary(errors))
            form.stack method="post" action=(format!("/installation/{token}")) novalidate {
                (confirm::field(confirm_value))
                h2 { "L'établissement" }
                (text_field(&input.school_name, errors, "school_name", "Nom de l'établissement", "organization", true))
                (text_field(&input.uai, errors, "uai", "Code UAI (7 chiffres et une lettre)", "off", true))
                (text_field(&input.address, errors, "address", "Adresse", "street-address", false))
                (text_field(&input.city, errors, "city", "Code postal et ville", "address-level2", true))
                h2 { "Votre compte de coordination" }
                (text_field(&input.first_name, errors, "first_name", "Prénom", "given-name", true))
                (text_field(&input.last_name, errors, "last_name", "Nom", "family-name", true))
                (text_field(&input.email, errors, "email", "Adresse e-mail", "email", false))
                button.primary type="submit" { "Créer l'établissement" }
            }
        },
    )
}

/// `GET /installation/:token`: the first-start form (changes nothing).
///
/// # Errors
/// 429 past the client's rate limit; store failure.
#[handler]
pub fn setup_show(
    state: Data<&State>,
    client: ClientAddr,
    jar: &CookieJar,
    Path(token): Path<String>,
) -> Result<Response> {
    super::access::limit(&state, &client, None)?;
    if !auth::check_setup_link(&state.store, &state.clock, &token)? {
        return Ok(unusable());
    }
    let confirm_value = confirm::issue(jar, state.config.secure());
    Ok(setup_form(
        &token,
        &confirm_value,
        &SetupInput::default(),
        &FieldErrors::default(),
    )
    .into_response())
}

/// `POST /installation/:token`: creates the school and the first coordinator, uses
/// the link up, signs the coordinator in and goes to creating their passkey (issue 7:
/// "an invitation or setup link leads, after its POST confirmation, to passkey
/// registration"). An invalid form comes back (422) with the input kept and nothing
/// written.
///
/// # Errors
/// 429 past the client's rate limit; store failure.
#[handler]
pub async fn setup_create(
    state: Data<&State>,
    jar: &CookieJar,
    client: ClientAddr,
    headers: &HeaderMap,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response> {
    super::access::limit(&state, &client, None)?;
    confirm::check(headers, jar, &form)?;
    if !auth::check_setup_link(&state.store, &state.clock, &token)? {
        return Ok(unusable());
    }
    let input = SetupInput {
        school_name: form.get("school_name").to_string(),
        uai: form.get("uai").to_string(),
        address: form.get("address").to_string(),
        city: form.get("city").to_string(),
        first_name: form.get("first_name").to_string(),
        last_name: form.get("last_name").to_string(),
        email: form.get("email").to_string(),
    };
    let (school, coordinator) = match validate_setup(&input) {
        Ok(v) => v,
        Err(errors) => {
            return Ok(
                setup_form(&token, form.get(confirm::CONFIRM_FIELD), &input, &errors)
                    .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                    .into_response(),
            );
        }
    };
    if !state
        .store
        .complete_setup(&auth::hash_secret(&token), &school, &coordinator)
        .await?
    {
        return Ok(unusable());
    }
    tracing::info!(
        school = school.name,
        "établissement créé par le lien d'installation"
    );
    let subject = Subject::Coordinator(coordinator.id);
    let session =
        auth::open_session(&state.store, &state.clock, subject, jiff::Timestamp::MAX).await?;
    jar.add(session_cookie(state.config.secure(), &session));
    Ok(see_other(super::passkeys::NEW_PASSKEY_URL))
}
