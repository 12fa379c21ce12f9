//! `GET /connexion` (issue 7): signing in with a passkey. Nothing to type: the browser
//! lists the passkeys it holds for Livret (discoverable credentials), in its own window
//! (« Se connecter avec une clé d'accès ») or in the e-mail field's suggestions
//! (conditional UI, where the browser has it). Browsers that need a user name first get
//! the e-mail field and « Continuer ». `pwa/passkey.js` drives the page through
//! [`crate::web::api_passkey`]; without JavaScript or WebAuthn, the page says what to
//! do instead.

use super::see_other;
use crate::web::State;
use crate::web::extract::{Flash, Viewer};
use crate::web::layout::public_page;
use maud::html;
use poem::web::Data;
use poem::web::cookie::CookieJar;
use poem::{IntoResponse, Request, Response, handler};

/// URL of the sign-in page.
pub const SIGN_IN_URL: &str = "/connexion";

/// Longest e-mail address kept from the query string, in characters (RFC 5321's
/// limit on a path is 256 octets).
const MAX_EMAIL_CHARS: usize = 254;

/// `GET /connexion[?email=…]`: the sign-in page (public). A signed-in person goes to
/// their home page. `email` (what a browser without the script sent) pre-fills the
/// field. The block carries Livret's public address (`data-public-origin`) so that the
/// script names it when the page was opened elsewhere (passkeys work only there).
#[handler]
pub fn signin_show(
    req: &Request,
    state: Data<&State>,
    viewer: poem::Result<Viewer>,
    jar: &CookieJar,
) -> Response {
    if let Ok(viewer) = viewer {
        if let Some(flash) = viewer.flash {
            flash.set(jar);
        }
        return see_other("/");
    }
    let email: String = req
        .uri()
        .query()
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "email")
                .map(|(_, v)| v.trim().chars().take(MAX_EMAIL_CHARS).collect())
        })
        .unwrap_or_default();
    let body = html! {
        div.passkey-signin data-passkey-signin data-public-origin=(state.config.public_url) {
            p.passkey-unsupported data-passkey-unsupported {
                "Ce navigateur ne permet pas de se connecter avec une clé d'accès (il ne les connaît pas, ou JavaScript y est désactivé). Utilisez un navigateur à jour — Chrome, Safari, Firefox ou Edge —, ou demandez à l'établissement un nouveau lien d'invitation."
            }
            div data-passkey-ready hidden {
                p { "Votre clé d'accès est sur votre téléphone ou votre ordinateur : elle se déverrouille avec votre empreinte, votre visage ou le code de l'appareil." }
                button.primary.passkey-button type="button" data-passkey-signin-button { "Se connecter avec une clé d'accès" }
                form.stack.passkey-email method="get" action=(SIGN_IN_URL) data-passkey-email-form novalidate {
                    label for="email" { "Ou avec votre adresse e-mail" }
                    input #email type="email" name="email" value=(email) inputmode="email"
                        autocomplete="username webauthn" aria-describedby="email-hint";
                    p.hint #email-hint { "L'adresse que l'établissement connaît, si le navigateur ne vous propose pas votre clé d'accès." }
                    button type="submit" { "Continuer" }
                }
            }
            p.passkey-error role="alert" data-passkey-error {}
            p.passkey-status role="status" data-passkey-status {}
        }
        section.card.passkey-help {
            h2 { "Pas encore de clé d'accès ?" }
            p { "Ouvrez le lien d'invitation que l'établissement vous a envoyé : il vous guide pour créer votre clé d'accès." }
            p { "Téléphone perdu ou changé ? Demandez une nouvelle invitation à votre enseignant référent (élèves) ou à la coordination (enseignants)." }
            p.hint { "Tuteurs en entreprise : ouvrez le lien personnel reçu par courriel." }
        }
    };
    public_page("Se connecter", Flash::take(jar), body).into_response()
}
