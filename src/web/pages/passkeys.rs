//! A person's passkeys (issue 7): creating the first one after an invitation
//! (`/cles-d-acces/nouvelle`), and the list where they add one per device, rename one
//! and remove one — never the last without another way in (`/cles-d-acces`).
//!
//! Creating a passkey needs the browser (`navigator.credentials.create()`): the
//! registration block ([`registration_form`]) is driven by `pwa/passkey.js` through the
//! JSON API of [`crate::web::api_passkey`]; without JavaScript or WebAuthn it says what
//! to do instead. Renaming and removing are plain forms.
//!
//! Students, referent teachers and coordinators only: tutors sign in with their
//! personal link and reach their optional passkey from their own space.

use super::{parse_id, see_other};
use crate::domain::passkey::{PasskeyCredential, validate_name};
use crate::domain::{FieldErrors, PasskeyId, Subject, text};
use crate::error::{Error, Result};
use crate::passkey::other_way_in;
use crate::store::PasskeyRemoval;
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{csrf_field, described_by, field_error, page};
use maud::{Markup, html};
use poem::http::{HeaderMap, StatusCode, header};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

/// URL of the list of the person's passkeys.
pub const PASSKEYS_URL: &str = "/cles-d-acces";

/// URL of the page an invitation leads to: creating a passkey.
pub const NEW_PASSKEY_URL: &str = "/cles-d-acces/nouvelle";

/// Why the last passkey stays (issue 7: "never the last without another way in").
pub const LAST_ONE_MESSAGE: &str = "C'est votre seule clé d'accès : sans elle, vous ne pourriez plus vous connecter à Livret. Créez d'abord une clé d'accès sur un autre appareil (ou, si vous remplacez un appareil perdu, ouvrez la nouvelle invitation de l'établissement), puis supprimez celle-ci.";

/// A default name for a passkey made on the device whose `User-Agent` is given:
/// « Tablette » (iPad, Android without "Mobile", "Tablet"), « Téléphone » (iPhone,
/// Android phones, "Mobile"), otherwise « Ordinateur ». The person can change it.
pub fn device_kind(user_agent: &str) -> &'static str {
    let ua = user_agent.to_ascii_lowercase();
    let android = ua.contains("android");
    if ua.contains("ipad") || ua.contains("tablet") || (android && !ua.contains("mobile")) {
        "Tablette"
    } else if ua.contains("iphone") || ua.contains("ipod") || android || ua.contains("mobile") {
        "Téléphone"
    } else {
        "Ordinateur"
    }
}

fn device_kind_of(headers: &HeaderMap) -> &'static str {
    device_kind(
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
    )
}

/// The passkey-creation block that `pwa/passkey.js` drives (`[data-passkey-register]`):
/// the name field pre-filled with `default_name` and the `button` label; once created,
/// the script goes to `next`. Shown only when the browser can create passkeys;
/// otherwise the explanation stays. `public_origin` (Livret's public URL) lets the
/// script name the right address when the page was opened at another one. Other pages
/// (a tutor's) may reuse it.
pub fn registration_form(
    default_name: &str,
    next: &str,
    button: &str,
    public_origin: &str,
) -> Markup {
    html! {
        div.passkey-register data-passkey-register data-next=(next) data-public-origin=(public_origin) {
            p.passkey-unsupported data-passkey-unsupported {
                "Ce navigateur ne permet pas de créer une clé d'accès (il ne les connaît pas, ou JavaScript y est désactivé). Utilisez un navigateur à jour — Chrome, Safari, Firefox ou Edge —, ou ouvrez Livret sur un autre appareil."
            }
            form.stack data-passkey-form hidden novalidate {
                label for="passkey-name" { "Nom de cette clé d'accès" }
                input #passkey-name type="text" name="name" value=(default_name) maxlength="60"
                    required autocomplete="off" aria-describedby="passkey-name-hint";
                p.hint #passkey-name-hint { "Pour la reconnaître plus tard, par exemple « Téléphone » ou « Ordinateur de la maison »." }
                button.primary type="submit" data-passkey-submit { (button) }
            }
            p.passkey-error role="alert" data-passkey-error {}
            p.passkey-status role="status" data-passkey-status {}
        }
    }
}

/// The person's own space only: tutors get a 404 here.
fn not_tutor(viewer: &Viewer) -> Result<()> {
    if matches!(viewer.subject, Subject::Tutor(_)) {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

fn when(state: &State, at: jiff::Timestamp) -> String {
    text::date_time_long(at.to_zoned_datetime(state.clock.zone().clone()).datetime())
}

/// `GET /cles-d-acces/nouvelle`: "Créez votre clé d'accès", where an invitation leads;
/// "Plus tard" goes to the home page, with a warning.
///
/// # Errors
/// 401 without a session; 404 for a tutor; store failure.
#[handler]
pub fn passkey_new(state: Data<&State>, viewer: Viewer, headers: &HeaderMap) -> Result<Response> {
    not_tutor(&viewer)?;
    let existing = state.store.passkeys_of(&viewer.subject)?.len();
    let body = html! {
        p.intro {
            "Une clé d'accès remplace le mot de passe : elle reste sur votre téléphone ou votre ordinateur et se déverrouille avec votre empreinte, votre visage ou le code de l'appareil. Vous n'avez rien à retenir."
        }
        @if existing > 0 {
            p.hint {
                "Vous avez déjà " (crate::web::layout::count(existing, "clé d'accès", "clés d'accès"))
                " : créez-en une sur cet appareil, ou " a href=(PASSKEYS_URL) { "gérez vos clés d'accès" } "."
            }
        }
        section.card {
            (registration_form(device_kind_of(headers), "/", "Créer ma clé d'accès", &state.config.public_url))
        }
        div.notice.passkey-later {
            p {
                strong { "Pas maintenant ?" }
                " Sans clé d'accès, il vous faudra demander une nouvelle invitation à l'établissement une fois cette session terminée (quand vous vous déconnectez, ou au plus tard dans 30 jours)."
            }
            a.button.secondary href="/" { "Plus tard" }
        }
    };
    Ok(page(&viewer, "Créez votre clé d'accès", None, body).into_response())
}

/// A rename attempt to show again: which passkey, what was typed, what is wrong.
struct Rename<'a> {
    id: PasskeyId,
    typed: &'a str,
    errors: FieldErrors,
}

fn passkey_card(
    state: &State,
    viewer: &Viewer,
    p: &PasskeyCredential,
    rename: Option<&Rename<'_>>,
) -> Markup {
    let retry = rename.filter(|r| r.id == p.id);
    let no_errors = FieldErrors::default();
    let errors = retry.map_or(&no_errors, |r| &r.errors);
    let typed = retry.map_or(p.name.as_str(), |r| r.typed);
    let field = format!("name-{}", p.id);
    html! {
        li.card.passkey {
            h2 {
                (p.name)
                @if p.backup_state {
                    " " span.badge { "synchronisée" }
                }
            }
            p.hint {
                "Ajoutée le " (when(state, p.created_at))
                br;
                @match p.last_used {
                    Some(at) => { "Dernière utilisation le " (when(state, at)) }
                    None => { "Jamais utilisée pour se connecter" }
                }
            }
            details.passkey-rename open[retry.is_some()] {
                summary { "Renommer" span.visually-hidden { " la clé d'accès " (p.name) } }
                form.stack method="post" action=(format!("{PASSKEYS_URL}/{}/nom", p.id)) novalidate {
                    (csrf_field(viewer))
                    label for=(field) { "Nouveau nom" }
                    (field_error(errors, "name"))
                    input id=(field) type="text" name="name" value=(typed) maxlength="60" required autocomplete="off"
                        aria-invalid=[errors.get("name").map(|_| "true")]
                        aria-describedby=[described_by(errors, "name")];
                    button type="submit" { "Enregistrer le nom" }
                }
            }
            a.button.danger href=(format!("{PASSKEYS_URL}/{}/supprimer", p.id)) {
                "Supprimer" span.visually-hidden { " la clé d'accès " (p.name) }
            }
        }
    }
}

fn list_page(
    state: &State,
    viewer: &Viewer,
    headers: &HeaderMap,
    rename: Option<&Rename<'_>>,
) -> Result<Markup> {
    let passkeys = state.store.passkeys_of(&viewer.subject)?;
    let recovery = match viewer.subject {
        Subject::Student(_) => "à votre enseignant référent",
        _ => "à la coordination",
    };
    let body = html! {
        p.intro {
            "Vos clés d'accès vous connectent à Livret sans mot de passe. Créez-en une sur chaque appareil que vous utilisez (téléphone, ordinateur) : si vous en perdez un, les autres fonctionnent toujours."
        }
        @if passkeys.is_empty() {
            p.notice { "Vous n'avez encore aucune clé d'accès : créez-en une ci-dessous pour pouvoir vous reconnecter après cette session." }
        } @else {
            ul.cards.passkeys {
                @for p in &passkeys {
                    (passkey_card(state, viewer, p, rename))
                }
            }
        }
        section.card {
            h2 { "Ajouter une clé d'accès" }
            p.hint { "Elle sera créée sur l'appareil que vous utilisez en ce moment. Pour un autre appareil : connectez-vous sur celui-ci (le navigateur peut proposer d'utiliser la clé d'accès de votre téléphone, avec un code QR), puis revenez sur cette page." }
            (registration_form(device_kind_of(headers), PASSKEYS_URL, "Ajouter cette clé d'accès", &state.config.public_url))
        }
        details.help {
            summary { "Appareil perdu ou volé ?" }
            p { "Supprimez sa clé d'accès ici, depuis un autre appareil : elle ne permettra plus d'entrer dans Livret, et vos sessions ouvertes sur vos autres appareils seront fermées. Si vous n'avez plus aucun appareil avec une clé d'accès, demandez une nouvelle invitation " (recovery) "." }
        }
    };
    Ok(page(viewer, "Clés d'accès", Some(("/", "Accueil")), body))
}

/// `GET /cles-d-acces`: the person's passkeys (name, added on, last used or never,
/// « synchronisée » when backed up), each with rename and remove, and « Ajouter une clé
/// d'accès ».
///
/// # Errors
/// 401 without a session; 404 for a tutor; store failure.
#[handler]
pub fn passkey_list(state: Data<&State>, viewer: Viewer, headers: &HeaderMap) -> Result<Response> {
    not_tutor(&viewer)?;
    Ok(list_page(&state, &viewer, headers, None)?.into_response())
}

/// One of the viewer's own passkeys, by the id in the URL.
///
/// # Errors
/// [`Error::NotFound`] for a malformed id, or a passkey of someone else.
fn own_passkey(state: &State, viewer: &Viewer, id: &str) -> Result<PasskeyCredential> {
    not_tutor(viewer)?;
    let id: PasskeyId = parse_id(id)?;
    state
        .store
        .passkey(&viewer.subject, id)?
        .ok_or(Error::NotFound)
}

/// `POST /cles-d-acces/:id/nom`: renames one of the person's passkeys (`name`, 1 to 60
/// characters); a bad name shows the list again (422) with what was typed.
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 for another person's passkey or a tutor;
/// store failure.
#[handler]
pub async fn passkey_rename(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    headers: &HeaderMap,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let p = own_passkey(&state, &viewer, &id)?;
    match validate_name(form.get("name")) {
        Ok(name) => {
            if !state
                .store
                .rename_passkey(&viewer.subject, p.id, &name)
                .await?
            {
                return Err(Error::NotFound);
            }
            Flash::PasskeyRenamed.set(jar);
            Ok(see_other(PASSKEYS_URL))
        }
        Err(message) => {
            let mut errors = FieldErrors::default();
            errors.add("name", message);
            let rename = Rename {
                id: p.id,
                typed: form.get("name"),
                errors,
            };
            Ok(list_page(&state, &viewer, headers, Some(&rename))?
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response())
        }
    }
}

fn remove_page(state: &State, viewer: &Viewer, p: &PasskeyCredential, allowed: bool) -> Markup {
    let body = html! {
        p.break {
            "La clé d'accès « " strong { (p.name) } " », ajoutée le " (when(state, p.created_at))
            @if allowed { ", ne permettra plus de se connecter à Livret." } @else { "." }
        }
        @if allowed {
            p { "Par sécurité, vos sessions ouvertes sur d'autres appareils seront fermées : seule celle-ci restera ouverte." }
        }
        @if allowed {
            p.hint { "Vous pouvez aussi l'effacer de l'appareil lui-même, dans ses réglages de mots de passe et de clés d'accès." }
            div.buttons {
                form method="post" action=(format!("{PASSKEYS_URL}/{}/supprimer", p.id)) {
                    (csrf_field(viewer))
                    button.danger type="submit" { "Supprimer la clé d'accès" }
                }
                a.button href=(PASSKEYS_URL) { "Annuler" }
            }
        } @else {
            p.notice role="alert" { (LAST_ONE_MESSAGE) }
            a.button href=(PASSKEYS_URL) { "Retour à mes clés d'accès" }
        }
    };
    page(
        viewer,
        "Supprimer une clé d'accès",
        Some((PASSKEYS_URL, "Clés d'accès")),
        body,
    )
}

/// True when the person may remove one passkey now: they have another, or another
/// way in ([`other_way_in`]).
fn may_remove(state: &State, viewer: &Viewer) -> Result<bool> {
    let count = state.store.passkeys_of(&viewer.subject)?.len();
    Ok(crate::domain::passkey::may_remove(
        count,
        other_way_in(&state.store, &state.clock, &viewer.subject)?,
    ))
}

/// `GET /cles-d-acces/:id/supprimer`: asks for confirmation, or explains why the last
/// passkey stays.
///
/// # Errors
/// 401 without a session; 404 for another person's passkey or a tutor; store failure.
#[handler]
pub fn passkey_remove_confirm(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = own_passkey(&state, &viewer, &id)?;
    let allowed = may_remove(&state, &viewer)?;
    Ok(remove_page(&state, &viewer, &p, allowed).into_response())
}

/// `POST /cles-d-acces/:id/supprimer`: removes one of the person's passkeys, unless it
/// is their last and they have no other way in (409, with the explanation; checked in
/// the store's transaction), and ends the person's other sessions in the same
/// transaction (a lost device's session must not outlive its passkey); this one stays.
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 for another person's passkey or a tutor;
/// store failure.
#[handler]
pub async fn passkey_remove(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let p = own_passkey(&state, &viewer, &id)?;
    let other = other_way_in(&state.store, &state.clock, &viewer.subject)?;
    match state
        .store
        .remove_passkey(&viewer.subject, p.id, other, &viewer.session_hash)
        .await?
    {
        PasskeyRemoval::Removed => {
            tracing::info!(role = viewer.subject.role_label(), "clé d'accès supprimée");
            Flash::PasskeyRemoved.set(jar);
            Ok(see_other(PASSKEYS_URL))
        }
        PasskeyRemoval::LastOne => Ok(remove_page(&state, &viewer, &p, false)
            .with_status(StatusCode::CONFLICT)
            .into_response()),
        PasskeyRemoval::NotFound => Err(Error::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_name_follows_the_device() {
        let pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        let galaxy_tab = "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        let windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        assert_eq!(device_kind(pixel), "Téléphone");
        assert_eq!(device_kind(iphone), "Téléphone");
        assert_eq!(device_kind(ipad), "Tablette");
        assert_eq!(device_kind(galaxy_tab), "Tablette");
        assert_eq!(device_kind(windows), "Ordinateur");
        assert_eq!(device_kind(""), "Ordinateur");
    }
}
