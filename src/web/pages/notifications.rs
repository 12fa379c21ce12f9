//! The "Notifications" page (issue 6), for every signed-in person: this device's push
//! subscription (driven by `pwa/push.js`), the person's subscribed devices, a test
//! notification, and which kinds of notification they want.
//!
//! The page never prints a subscription's endpoint (it is a capability: whoever knows
//! it can post to the device): devices are named by the kind of push service and
//! removed by their subscription id.

use super::see_other;
use crate::domain::notify::{NotificationKind, NotificationSettings};
use crate::domain::push::{Notification, PushSubscription};
use crate::domain::{PushSubscriptionId, Subject, text};
use crate::error::{Error, Result};
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{csrf_field, page};
use maud::{Markup, html};
use poem::web::Data;
use poem::web::cookie::CookieJar;
use poem::{IntoResponse, Response, handler};

/// URL of the page.
pub const NOTIFICATIONS_URL: &str = "/notifications";

/// Time to live of the test notification, in seconds: 10 minutes (an old "essai"
/// arriving the next day would only puzzle).
pub const TEST_TTL_SECONDS: u32 = 600;

/// What a person calls the push service behind an endpoint, from its host:
/// `fcm.googleapis.com` → « Chrome / Android », `*.push.services.mozilla.com` →
/// « Firefox », `*.push.apple.com` → « Safari (iPhone, iPad, Mac) »,
/// `*.notify.windows.com` → « Edge (Windows) », any other host as it is, and
/// « Service inconnu » for an unreadable endpoint. Only the host is shown: the rest of
/// the endpoint is a capability.
pub fn service_label(endpoint: &str) -> String {
    let host = url::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    let Some(host) = host else {
        return "Service inconnu".into();
    };
    let under = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    if under("fcm.googleapis.com") || under("android.googleapis.com") {
        "Chrome / Android".into()
    } else if under("push.services.mozilla.com") {
        "Firefox".into()
    } else if under("push.apple.com") {
        "Safari (iPhone, iPad, Mac)".into()
    } else if under("notify.windows.com") {
        "Edge (Windows)".into()
    } else {
        host
    }
}

/// The form field of a kind's checkbox: `kind-<slug>`.
pub fn kind_field(kind: NotificationKind) -> String {
    format!("kind-{}", kind.slug())
}

fn when(state: &State, at: jiff::Timestamp) -> String {
    text::date_time_short(at.to_zoned_datetime(state.clock.zone().clone()).datetime())
}

/// The block `pwa/push.js` drives: one hidden paragraph per state, shown by the
/// script; without it (or without the Push API) the "cannot" text stays.
fn this_device() -> Markup {
    let ios_rule = html! {
        "Sur iPhone et iPad, les notifications demandent iOS ou iPadOS 16.4 ou plus récent, "
        strong { "et Livret ajouté à l'écran d'accueil" }
        " : dans Safari, touchez Partager puis « Sur l'écran d'accueil », ouvrez Livret depuis son icône, puis revenez sur cette page pour activer les notifications."
    };
    html! {
        section.card.push-device data-push-device {
            h2 { "Cet appareil" }
            p data-push-state="unsupported" {
                "Ce navigateur ne peut pas recevoir les notifications de Livret (il ne les connaît pas, ou JavaScript y est désactivé)."
            }
            p.notice.push-ios data-push-state="ios" hidden { (ios_rule) }
            div data-push-state="denied" hidden {
                p { strong { "Les notifications de Livret sont bloquées dans ce navigateur." } }
                p.hint {
                    "Pour les autoriser : ouvrez les réglages du site (l'icône à gauche de l'adresse, ou Paramètres → Confidentialité → Paramètres des sites → Notifications), choisissez « Autoriser » pour Livret, puis rechargez cette page. Sur iPhone : Réglages → Notifications → Livret."
                }
            }
            div data-push-state="off" hidden {
                p { "Les notifications ne sont pas activées sur cet appareil." }
                button.primary type="button" data-push-enable { "Activer les notifications sur cet appareil" }
                p.hint { "Le navigateur vous demandera l'autorisation." }
            }
            div data-push-state="on" hidden {
                p.push-on { "✓ Notifications activées sur cet appareil." }
                button.secondary type="button" data-push-disable { "Désactiver sur cet appareil" }
            }
            p.push-message role="status" data-push-message hidden {}
            details.help.push-ios-help {
                summary { "iPhone ou iPad ?" }
                p { (ios_rule) }
            }
        }
    }
}

fn device_line(state: &State, viewer: &Viewer, d: &PushSubscription, key_id: &str) -> Markup {
    let label = service_label(&d.endpoint);
    html! {
        li.device data-device=(d.id) {
            div.device-text {
                strong { (label) }
                span.device-this data-device-this hidden { " (cet appareil)" }
                br;
                span.hint { "Ajouté le " (when(state, d.created_at)) }
                br;
                span.hint {
                    @match d.last_success {
                        Some(at) => { "Dernière notification remise le " (when(state, at)) }
                        None => { "Aucune notification remise pour l'instant" }
                    }
                }
                @if d.vapid_key_id != key_id {
                    br;
                    span.device-stale { "À réabonner : ouvrez Livret sur cet appareil pour qu'il se réabonne." }
                }
            }
            form.inline method="post" action="/notifications/appareils/retirer" {
                (csrf_field(viewer))
                input type="hidden" name="device" value=(d.id);
                button.small.danger type="submit" {
                    "Retirer" span.visually-hidden { " l'appareil " (label) " ajouté le " (when(state, d.created_at)) }
                }
            }
        }
    }
}

/// Whether a tutor's daily e-mail digest can reach them, as the page explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestReach {
    /// An SMTP server is configured and the tutor has an e-mail address.
    Possible,
    /// No SMTP server: Livret sends no e-mail at all.
    NoMailServer,
    /// The school has no e-mail address for the tutor.
    NoAddress,
}

/// Whether the daily digest can reach `tutor` (the same rule as the sender,
/// `crate::notify`: an SMTP server and a non-empty address).
///
/// # Errors
/// Store failure.
pub fn digest_reach(state: &State, tutor: crate::domain::TutorId) -> Result<DigestReach> {
    if state.mailer.is_none() {
        return Ok(DigestReach::NoMailServer);
    }
    let has_address = state
        .store
        .tutor(tutor)?
        .and_then(|t| t.email)
        .is_some_and(|e| !e.trim().is_empty());
    Ok(if has_address {
        DigestReach::Possible
    } else {
        DigestReach::NoAddress
    })
}

/// The tutor's sentence under the kinds: what arrives by e-mail when no device is
/// subscribed, and when nothing does, why.
fn digest_hint(reach: DigestReach) -> Markup {
    html! {
        @match reach {
            DigestReach::Possible => {
                p.hint { "Si aucun appareil n'est abonné, vous recevez chaque jour un e-mail récapitulatif de ce qui vous attend (pour les choix cochés ci-dessus)." }
            }
            DigestReach::NoMailServer => {
                p.hint { "Sans appareil abonné, rien ne vous parvient, pas même par e-mail : cet établissement n'a pas réglé l'envoi d'e-mails dans Livret. Ce qui vous attend s'affiche quand vous ouvrez votre espace." }
            }
            DigestReach::NoAddress => {
                p.hint { "Sans appareil abonné, rien ne vous parvient, pas même par e-mail : l'établissement n'a pas votre adresse e-mail. Ce qui vous attend s'affiche quand vous ouvrez votre espace ; pour recevoir un récapitulatif quotidien par e-mail, communiquez votre adresse à l'établissement." }
            }
        }
    }
}

fn kinds_form(
    viewer: &Viewer,
    settings: &NotificationSettings,
    reach: Option<DigestReach>,
) -> Markup {
    let kinds = NotificationKind::for_subject(&viewer.subject);
    html! {
        @if !kinds.is_empty() {
            section.card {
                h2 { "Être prévenu de…" }
                form.stack.kinds method="post" action=(NOTIFICATIONS_URL) {
                    (csrf_field(viewer))
                    @for kind in &kinds {
                        label.check {
                            input type="checkbox" name=(kind_field(*kind)) value="1" checked[settings.wants(*kind)];
                            span { (kind.label()) }
                        }
                    }
                    button type="submit" { "Enregistrer mes choix" }
                }
                @if let Some(reach) = reach {
                    (digest_hint(reach))
                }
            }
        }
    }
}

/// `GET /notifications`: the page, for every signed-in person (a tutor in their link
/// session too).
///
/// # Errors
/// 401 without a session; store failure.
#[handler]
pub fn notifications_show(state: Data<&State>, viewer: Viewer) -> Result<Response> {
    let devices = state.store.push_subscriptions_of(&viewer.subject)?;
    let settings = state.store.notification_settings(&viewer.subject)?;
    let key_id = state.store.vapid_keys()?.map(|k| k.id).unwrap_or_default();
    let reach = match viewer.subject {
        Subject::Tutor(t) => Some(digest_reach(&state, t)?),
        _ => None,
    };
    let body = html! {
        @if NotificationKind::for_subject(&viewer.subject).is_empty() {
            p.intro { "Aucune notification n'est prévue pour la coordination : Livret prévient les élèves, les tuteurs et les enseignants référents. Vous pouvez tout de même abonner un appareil et l'essayer." }
        } @else {
            p.intro { "Livret peut vous prévenir sur votre téléphone ou votre ordinateur quand quelque chose vous attend. Activez les notifications sur chaque appareil où vous les voulez." }
        }
        (this_device())
        section.card {
            h2 { "Vos appareils abonnés" }
            @if devices.is_empty() {
                p.muted { "Aucun appareil n'est abonné pour l'instant." }
            } @else {
                ul.devices {
                    @for d in &devices {
                        (device_line(&state, &viewer, d, &key_id))
                    }
                }
            }
            form.inline method="post" action="/notifications/essai" {
                (csrf_field(&viewer))
                button type="submit" { "Envoyer une notification d'essai" }
            }
        }
        (kinds_form(&viewer, &settings, reach))
    };
    Ok(page(&viewer, "Notifications", Some(("/", "Accueil")), body).into_response())
}

/// `POST /notifications`: saves which kinds the person wants (`kind-<slug>` ticked).
/// Kinds of another role are ignored ([`NotificationSettings::from_enabled`]).
///
/// # Errors
/// 403 without a valid anti-CSRF token; store failure.
#[handler]
pub async fn notifications_save(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let enabled: Vec<NotificationKind> = NotificationKind::ALL
        .into_iter()
        .filter(|k| !form.get(&kind_field(*k)).is_empty())
        .collect();
    let settings = NotificationSettings::from_enabled(viewer.subject, &enabled);
    state.store.put_notification_settings(&settings).await?;
    Flash::NotificationSettingsSaved.set(jar);
    Ok(see_other(NOTIFICATIONS_URL))
}

/// `POST /notifications/appareils/retirer`: removes one of the person's own devices
/// (`device` = its subscription id).
///
/// # Errors
/// 404 for an unknown id or another person's device; 403 without a valid anti-CSRF
/// token; store failure.
#[handler]
pub async fn device_remove(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let id: PushSubscriptionId = super::parse_id(form.get("device").trim())?;
    let device = state
        .store
        .push_subscriptions_of(&viewer.subject)?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(Error::NotFound)?;
    state
        .store
        .delete_push_subscription(&device.endpoint)
        .await?;
    tracing::info!(subscription = %device.id, "notifications : appareil retiré");
    Flash::PushDeviceRemoved.set(jar);
    Ok(see_other(NOTIFICATIONS_URL))
}

/// The test notification: opens this page when tapped.
pub fn test_notification() -> Notification {
    let mut n = Notification::new(
        "Notification d'essai",
        "Les notifications de Livret arrivent bien sur cet appareil.",
        NOTIFICATIONS_URL,
        "essai",
    );
    n.ttl_seconds = TEST_TTL_SECONDS;
    n
}

/// `POST /notifications/essai`: queues [`test_notification`] for each of the
/// person's devices (sent in the background), at most once a minute per person unless
/// a device was subscribed since the last test ([`crate::push::Push::allow_test`];
/// sooner, a flash message asks to wait).
///
/// # Errors
/// 403 without a valid anti-CSRF token; store failure.
#[handler]
pub fn notifications_test(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let devices = state.store.push_subscriptions_of(&viewer.subject)?;
    let newest = devices.iter().map(|d| d.created_at).max();
    let flash = if devices.is_empty() {
        Flash::PushTestNoDevice
    } else if state
        .push
        .allow_test(viewer.subject, state.clock.now(), newest)
        .is_err()
    {
        Flash::PushTestTooSoon
    } else if state.push.queue(viewer.subject, test_notification()) {
        Flash::PushTestQueued
    } else {
        Flash::PushTestNotQueued
    };
    flash.set(jar);
    Ok(see_other(NOTIFICATIONS_URL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_services_are_named_by_their_host() {
        assert_eq!(
            service_label("https://fcm.googleapis.com/fcm/send/abc"),
            "Chrome / Android"
        );
        assert_eq!(
            service_label("https://updates.push.services.mozilla.com/wpush/v2/x"),
            "Firefox"
        );
        assert_eq!(
            service_label("https://web.push.apple.com/QGx"),
            "Safari (iPhone, iPad, Mac)"
        );
        assert_eq!(
            service_label("https://db5p.notify.windows.com/w/?token=x"),
            "Edge (Windows)"
        );
        assert_eq!(
            service_label("https://push.example.org/secret/path"),
            "push.example.org"
        );
        // A look-alike host is not the real service.
        assert_eq!(
            service_label("https://fcm.googleapis.com.evil.example/x"),
            "fcm.googleapis.com.evil.example"
        );
        assert_eq!(service_label("pas une adresse"), "Service inconnu");
    }

    #[test]
    fn the_test_notification_is_small_and_short_lived() {
        let n = test_notification();
        assert!(n.payload().is_ok());
        assert_eq!(n.ttl_seconds, 600);
        assert_eq!(n.url, "/notifications");
    }
}
