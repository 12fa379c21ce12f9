//! The page shell and the partials every page shares (maud: pages are plain
//! functions returning `Markup`).

use super::assets;
use super::extract::{Flash, Viewer};
use crate::domain::FieldErrors;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// A link back to the parent page: (URL, French label).
pub type Back<'a> = Option<(&'a str, &'a str)>;

/// The page head; `user` is the signed-in person's opaque tag ([`super::sw::user_tag`]).
fn head(title: &str, user: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="theme-color" content="#1d4e89";
            title { (title) " — Livret" }
            link rel="stylesheet" href=(assets::url("app.css"));
            link rel="icon" href=(assets::url("livret.svg")) type="image/svg+xml";
            // Offline logbook (issue 4): who the outbox belongs to, and the page scripts
            // (progressive enhancement: every form works without them).
            @if let Some(user) = user {
                meta name="livret-user" content=(user);
            }
            script src=(assets::url("outbox.js")) defer {}
            script src=(assets::url("app.js")) defer {}
            // Passkeys (issue 7): creating one and signing in with one, on the pages
            // that carry the blocks it drives.
            script src=(assets::url("passkey.js")) defer {}
            // Web push (issue 6): this device's subscription, kept up to date after a
            // key rotation; only for a signed-in person.
            @if user.is_some() {
                script src=(assets::url("push.js")) defer {}
            }
            // Installable app (issue 4): manifest, home-screen icon and name.
            link rel="manifest" href="/manifest.webmanifest";
            link rel="apple-touch-icon" href=(assets::url("apple-touch-icon.png"));
            meta name="mobile-web-app-capable" content="yes";
            meta name="apple-mobile-web-app-capable" content="yes";
            meta name="apple-mobile-web-app-title" content="Livret";
        }
    }
}

/// A full page for a signed-in person: header with their name and a sign-out button,
/// the pending message, a back link, then `body`.
pub fn page(viewer: &Viewer, title: &str, back: Back<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            (head(title, Some(&super::sw::user_tag(&viewer.subject))))
            body {
                header.top {
                    a.brand href="/" { "Livret" }
                    div.who {
                        span.who-name { (viewer.name.full()) }
                        span.who-role { (viewer.subject.role_label()) }
                    }
                }
                main {
                    @if let Some(flash) = viewer.flash {
                        p.flash role="status" { (flash.message()) }
                    }
                    @if let Some((href, label)) = back {
                        a.back href=(href) { "← " (label) }
                    }
                    h1 { (title) }
                    (body)
                }
                footer.bottom {
                    a.footer-link href="/notifications" { "Notifications" }
                    @if !matches!(viewer.subject, crate::domain::Subject::Tutor(_)) {
                        a.footer-link href="/cles-d-acces" { "Clés d'accès" }
                    }
                    form method="post" action="/deconnexion" {
                        input type="hidden" name="_csrf" value=(viewer.csrf);
                        button type="submit" { "Se déconnecter" }
                    }
                }
            }
        }
    }
}

/// A page for someone not signed in (welcome, sign-in confirmation, errors).
pub fn public_page(title: &str, flash: Option<Flash>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            (head(title, None))
            body {
                header.top {
                    a.brand href="/" { "Livret" }
                }
                main {
                    @if let Some(flash) = flash {
                        p.flash role="status" { (flash.message()) }
                    }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The page shown for an error: title and one explanatory paragraph.
pub fn error_page(title: &str, text: &str) -> Markup {
    public_page(
        title,
        None,
        html! {
            p { (text) }
            p { a href="/" { "Retour à l'accueil" } }
        },
    )
}

/// Summary of a form's errors, at the top of the form, announced to screen readers.
pub fn error_summary(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.errors role="alert" {
                p { strong { "Le formulaire n'a pas été enregistré :" } " corrigez les points signalés ci-dessous." }
            }
        }
    }
}

/// The error message of one field, if any (linked to the field by `aria-describedby`).
pub fn field_error(errors: &FieldErrors, field: &str) -> Markup {
    html! {
        @if let Some(m) = errors.get(field) {
            p.field-error id=(format!("{field}-error")) { (m) }
        }
    }
}

/// The `aria-describedby` value for a field with an error.
pub fn described_by(errors: &FieldErrors, field: &str) -> Option<String> {
    errors.get(field).map(|_| format!("{field}-error"))
}

/// Text kept as typed, line breaks shown.
pub fn multiline(text: &str) -> Markup {
    html! { p.multiline { (text) } }
}

/// The hidden anti-CSRF field of every form.
pub fn csrf_field(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name="_csrf" value=(viewer.csrf); }
}

/// A non-breaking-space joined "n thing(s)" in French.
pub fn count(n: usize, one: &str, many: &str) -> Markup {
    let word = if n <= 1 { one } else { many };
    html! { (n) (PreEscaped("&nbsp;")) (word) }
}
