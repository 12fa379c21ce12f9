//! Every URL of Livret, in one place (STYLE.md habit 1), grouped by page family.

use super::pages::{
    access, classes, home, imports, logbook, placement, setup, sheets, staff, tutor_access,
};
use super::{State, assets, middleware};
use crate::error::Error;
use poem::middleware::{Compression, CookieJarManager};
use poem::{Endpoint, EndpointExt, Route, get, handler, post};

/// `GET /healthz`: 200 once the store is open (the app is only built after).
#[handler]
fn healthz() -> &'static str {
    "ok"
}

/// The whole application.
pub fn routes(state: State) -> impl Endpoint<Output = poem::Response> {
    let guard = middleware::Guard {
        public_origin: state.config.public_url.clone(),
        max_body_bytes: state.config.max_body_bytes,
    };
    let proxy = super::proxy::Proxy::from_config(&state.config);
    Route::new()
        // Public: health check, assets, personal links, home/welcome.
        .at("/healthz", get(healthz))
        // Readiness (issue 9): the store answers and the disk has room.
        .at("/readyz", get(super::pages::operations::readyz))
        .at("/assets/:file", get(assets::asset))
        // The service worker (issue 4), at the root so that it controls every page.
        .at("/sw.js", get(super::sw::service_worker))
        .at(
            "/acces/:token",
            get(access::access_show).post(access::access_open),
        )
        .at("/acces/:token/demande", post(access::access_request))
        // A tutor link protected by a passkey (issue 7): the confirmation page's script
        // asks for the passkey through these (JSON; under /acces/ so the secret stays
        // out of logs and referrers).
        .at(
            "/acces/:token/cle",
            post(super::api_tutor_link::link_passkey_start),
        )
        .at(
            "/acces/:token/cle/fin",
            post(super::api_tutor_link::link_passkey_finish),
        )
        .at("/", get(home::home))
        // Passkeys (issue 7): the sign-in page and its JSON API (rate-limited).
        .at("/connexion", get(super::pages::signin::signin_show))
        .at("/api/connexion", post(super::api_passkey::sign_in_start))
        .at(
            "/api/connexion/fin",
            post(super::api_passkey::sign_in_finish),
        )
        // The installable app's shell (issue 4): manifest, offline page, favicon.
        .at(
            "/manifest.webmanifest",
            get(super::pages::shell::manifest_show),
        )
        .at("/hors-ligne", get(super::pages::shell::offline_show))
        .at("/favicon.ico", get(super::pages::shell::favicon))
        .at(
            "/installation/:token",
            get(setup::setup_show).post(setup::setup_create),
        )
        // Signed in.
        .at(
            "/deconnexion",
            get(access::signout_reload).post(access::signout),
        )
        // A tutor's passkeys bound to their link (issue 7): "Protéger mon accès".
        .at(
            "/mon-acces",
            get(super::pages::tutor_passkey::tutor_passkeys_show),
        )
        .at(
            "/mon-acces/cles/:id/supprimer",
            get(super::pages::tutor_passkey::tutor_passkey_remove_confirm)
                .post(super::pages::tutor_passkey::tutor_passkey_remove),
        )
        // A person's passkeys (issue 7): the first one after an invitation, the list
        // (add one per device, rename, remove), and the registration JSON API.
        .at("/cles-d-acces", get(super::pages::passkeys::passkey_list))
        .at(
            "/cles-d-acces/nouvelle",
            get(super::pages::passkeys::passkey_new),
        )
        .at(
            "/cles-d-acces/:id/nom",
            post(super::pages::passkeys::passkey_rename),
        )
        .at(
            "/cles-d-acces/:id/supprimer",
            get(super::pages::passkeys::passkey_remove_confirm)
                .post(super::pages::passkeys::passkey_remove),
        )
        .at(
            "/api/cles-d-acces/inscription",
            post(super::api_passkey::registration_start),
        )
        .at(
            "/api/cles-d-acces/inscription/fin",
            post(super::api_passkey::registration_finish),
        )
        // Coordination.
        .at("/coordination/classes", post(classes::class_create))
        .at("/coordination/classes/nouvelle", get(classes::class_new))
        .at("/coordination/classes/:id", get(classes::class_show))
        .at("/coordination/equipe", post(staff::staff_create))
        .at("/coordination/equipe/nouveau", get(staff::staff_new))
        .at("/coordination/invitations", post(staff::invitation_create))
        .at(
            "/coordination/personnes/statut",
            post(staff::person_status_update),
        )
        // The PFMP allowance (issue 8): amounts per class and period, the payment CSV,
        // the daily rates.
        .at(
            "/coordination/allocations",
            get(super::pages::allowance::allowance_show),
        )
        .at(
            "/coordination/allocations.csv",
            get(super::pages::allowance::allowance_csv),
        )
        .at(
            "/coordination/allocations/taux",
            post(super::pages::allowance::allowance_rate_save),
        )
        .at("/coordination/import", get(imports::import_new))
        .at("/coordination/import/apercu", post(imports::import_preview))
        .at(
            "/coordination/import/appliquer",
            post(imports::import_apply),
        )
        .at(
            "/coordination/referentiels",
            get(imports::referential_list).post(imports::referential_import),
        )
        // Placements: declared by a coordinator, edited by a coordinator or the referent.
        .at(
            "/coordination/stages",
            post(super::pages::placement_form::placement_create),
        )
        .at(
            "/coordination/stages/nouvelle",
            get(super::pages::placement_form::placement_new),
        )
        .at(
            "/stages/:id/modifier",
            get(super::pages::placement_form::placement_edit)
                .post(super::pages::placement_form::placement_update),
        )
        // A placement and its portfolio (who may see what: auth::permissions).
        .at("/stages/:id", get(placement::placement_show))
        .at(
            "/stages/:id/journal",
            get(logbook::logbook_list).post(logbook::logbook_save),
        )
        .at(
            "/stages/:id/acces-tuteur",
            post(tutor_access::tutor_access_send),
        )
        .at(
            "/stages/:id/acces-tuteur/verrouiller",
            post(tutor_access::tutor_access_lock),
        )
        .at(
            "/stages/:id/acces-tuteur/deverrouiller",
            post(tutor_access::tutor_access_unlock),
        )
        .at("/stages/:id/journal/nouvelle", get(logbook::logbook_new))
        .at("/stages/:id/journal/:entry", post(logbook::logbook_update))
        .at(
            "/stages/:id/journal/:entry/modifier",
            get(logbook::logbook_edit),
        )
        .at(
            "/stages/:id/fiches",
            get(sheets::sheet_list).post(sheets::sheet_create),
        )
        .at("/stages/:id/fiches/nouvelle", get(sheets::sheet_new))
        .at(
            "/stages/:id/fiches/:sheet",
            get(sheets::sheet_show).post(sheets::sheet_update),
        )
        .at(
            "/stages/:id/fiches/:sheet/modifier",
            get(sheets::sheet_edit),
        )
        .at(
            "/stages/:id/fiches/:sheet/envoyer",
            post(sheets::sheet_submit),
        )
        .at("/stages/:id/fiches/:sheet/avis", post(sheets::sheet_review))
        // JSON API (offline sync, issue 4): the student's outbox replays entries and
        // sheet drafts written without network; answers are JSON, errors too.
        .at("/api/stages/:id/journal", post(super::api::logbook_sync))
        .at("/api/stages/:id/fiches", post(super::api::sheet_sync))
        // A student's competency record (issue 5): the dashboard (tableau de bord,
        // filters in the query string) and "Avancement de formation".
        .at(
            "/eleves/:id/tableau-de-bord",
            get(super::pages::dashboard::dashboard_show),
        )
        .at(
            "/eleves/:id/avancement",
            get(super::pages::dashboard::progress_show),
        )
        // Recovery (issue 7): a referent or a coordinator gives a student a new
        // invitation (lost phone); their passkeys keep working.
        .at(
            "/eleves/:id/invitation",
            post(super::pages::recovery::student_invitation_create),
        )
        // School evaluations (issue 5): a student's referent teacher writes them,
        // everyone who may see the student reads them (pages::evaluations).
        .at(
            "/eleves/:id/evaluations",
            get(super::pages::evaluations::evaluation_list)
                .post(super::pages::evaluations::evaluation_create),
        )
        .at(
            "/eleves/:id/evaluations/nouvelle",
            get(super::pages::evaluations::evaluation_new),
        )
        .at(
            "/eleves/:id/evaluations/:eval",
            get(super::pages::evaluations::evaluation_show)
                .post(super::pages::evaluations::evaluation_update),
        )
        .at(
            "/eleves/:id/evaluations/:eval/modifier",
            get(super::pages::evaluations::evaluation_edit),
        )
        .at(
            "/eleves/:id/evaluations/:eval/supprimer",
            post(super::pages::evaluations::evaluation_delete),
        )
        // Interim reviews (bilans intermédiaires, issue 5): the archive for whoever sees
        // the student; drafts, publication and deletion for their referent teachers.
        .at(
            "/eleves/:id/bilans",
            get(super::pages::interim_reviews::interim_list)
                .post(super::pages::interim_reviews::interim_create),
        )
        .at(
            "/eleves/:id/bilans/nouveau",
            get(super::pages::interim_reviews::interim_new),
        )
        .at(
            "/eleves/:id/bilans/:bilan",
            get(super::pages::interim_reviews::interim_show)
                .post(super::pages::interim_reviews::interim_update),
        )
        .at(
            "/eleves/:id/bilans/:bilan/modifier",
            get(super::pages::interim_reviews::interim_edit),
        )
        .at(
            "/eleves/:id/bilans/:bilan/publier",
            post(super::pages::interim_reviews::interim_publish),
        )
        .at(
            "/eleves/:id/bilans/:bilan/supprimer",
            post(super::pages::interim_reviews::interim_delete),
        )
        // A placement's "Évaluation" module and its company review (issue 5): the
        // referent chooses the criteria, the tutor fills it, both finalise it at the
        // visit; the visit form replays offline through the JSON endpoint.
        .at(
            "/stages/:id/evaluation",
            get(super::pages::company_review::evaluation_module_show),
        )
        .at(
            "/stages/:id/bilan-entreprise",
            get(super::pages::company_review::review_show)
                .post(super::pages::company_review::review_save),
        )
        .at(
            "/stages/:id/bilan-entreprise/criteres",
            get(super::pages::company_review::criteria_edit)
                .post(super::pages::company_review::criteria_save),
        )
        .at(
            "/stages/:id/bilan-entreprise/visite",
            get(super::pages::company_review::visit_show)
                .post(super::pages::company_review::visit_save),
        )
        .at(
            "/api/stages/:id/bilan-entreprise",
            post(super::api_review::review_sync),
        )
        // Attendance (issue 8): the tutor or the referent records it, the tutor confirms
        // it in their link session; the student and coordinators read it.
        .at(
            "/stages/:id/presence",
            get(super::pages::attendance::attendance_show)
                .post(super::pages::attendance::attendance_save),
        )
        .at(
            "/stages/:id/presence/confirmer",
            post(super::pages::attendance::attendance_confirm),
        )
        // The PFMP certificate (issue 8): a placement's, filled in, for whoever sees the
        // placement; the blank form for anyone signed in; a class's as one ZIP for the
        // coordinators.
        .at(
            "/stages/:id/attestation.pdf",
            get(super::pages::certificate::certificate_download),
        )
        .at(
            "/attestation-vierge.pdf",
            get(super::pages::certificate::certificate_blank),
        )
        .at(
            "/coordination/allocations/attestations.zip",
            get(super::pages::certificate::certificates_zip),
        )
        // Notifications (issue 6): every signed-in person's settings page, and the JSON
        // API that pwa/push.js and the service worker use to (un)subscribe a device.
        .at(
            "/notifications",
            get(super::pages::notifications::notifications_show)
                .post(super::pages::notifications::notifications_save),
        )
        .at(
            "/notifications/appareils/retirer",
            post(super::pages::notifications::device_remove),
        )
        .at(
            "/notifications/essai",
            post(super::pages::notifications::notifications_test),
        )
        .at("/api/notifications/cle", get(super::api_push::key_show))
        .at(
            "/api/notifications/abonnement",
            post(super::api_push::subscription_create),
        )
        .at(
            "/api/notifications/desabonnement",
            post(super::api_push::subscription_delete),
        )
        // Messages à remettre (outbox: e-mails that did not leave).
        .at("/messages", get(super::pages::outbox::message_list))
        .at("/messages/:id", get(super::pages::outbox::message_show))
        .at(
            "/messages/:id/lettre",
            get(super::pages::outbox::message_letter),
        )
        .at(
            "/messages/:id/remis",
            post(super::pages::outbox::message_handed_over),
        )
        .catch_error(|_: poem::error::NotFoundError| async { Error::NotFound.into_response_page() })
        .catch_error(|_: poem::error::MethodNotAllowedError| async {
            let mut page = Error::NotFound.into_response_page();
            page.extensions_mut().insert(middleware::WrongMethod);
            page
        })
        .with(CookieJarManager::new())
        .with(Compression::new())
        .data(state)
        .around(move |ep, req| middleware::guard(ep, req, guard.clone()))
        // Client address behind trusted proxies, HSTS over HTTPS (issue 9).
        .around(move |ep, req| super::proxy::forwarded(ep, req, proxy.clone()))
        .map_to_response()
}
