//! Extractors: who is asking ([`Viewer`]) and what they sent ([`FormData`]).

use super::State;
use crate::auth;
use crate::domain::{PersonName, Subject};
use crate::error::Error;
use poem::http::header;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem::{FromRequest, Request, RequestBody};
use std::borrow::Cow;
use std::time::Duration;

/// Name of the session cookie: `__Host-livret` over HTTPS (bound to the exact host,
/// path `/`, `Secure`), `livret` over plain HTTP (local trials).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-livret" } else { "livret" }
}

/// Name of the one-shot message cookie (after POST-redirect-GET).
const FLASH_COOKIE: &str = "livret_flash";

/// Builds the session cookie: HttpOnly, SameSite=Lax (so the link in an e-mail opens
/// the signed-in space), `Secure` over HTTPS, for [`auth::SESSION_DAYS`].
pub fn session_cookie(secure: bool, value: &str) -> Cookie {
    let mut c = Cookie::new_with_str(session_cookie_name(secure), value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(secure);
    c.set_path("/");
    c.set_max_age(Duration::from_secs(auth::SESSION_DAYS as u64 * 86_400));
    c
}

/// A cookie that deletes the cookie `name` (same path `/`, zero lifetime).
pub fn expired(name: &str) -> Cookie {
    let mut c = Cookie::new_with_str(name, "");
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_max_age(Duration::ZERO);
    c
}

/// A message shown once on the next page, after a successful POST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flash {
    /// Logbook entry stored.
    EntrySaved,
    /// Logbook entry corrected.
    EntryCorrected,
    /// Sheet draft stored.
    SheetSaved,
    /// Sheet sent to the tutor.
    SheetSubmitted,
    /// Tutor's review stored.
    ReviewSaved,
    /// Signed out.
    SignedOut,
    /// Class created.
    ClassCreated,
    /// Member of staff added.
    StaffCreated,
    /// Class list imported: how many students were created and updated.
    ClassImported {
        /// Students created.
        created: u32,
        /// Students updated.
        updated: u32,
    },
    /// Referential file imported (added or replaced).
    ReferentialImported,
    /// Tutor link issued and e-mailed.
    TutorAccessSent,
    /// Tutor link issued, waiting in the outbox (no SMTP, no e-mail address, or SMTP
    /// failure).
    TutorAccessInOutbox,
    /// Tutor link locked.
    TutorAccessLocked,
    /// Tutor link unlocked.
    TutorAccessUnlocked,
    /// Account deactivated.
    PersonDeactivated,
    /// Account reactivated.
    PersonReactivated,
    /// Outbox message marked as handed over (and so deleted).
    MessageHandedOver,
    /// Placement (PFMP) declared.
    PlacementCreated,
    /// Placement (PFMP) changed.
    PlacementUpdated,
    /// The create form was sent again (double tap, or "Back" then send): the
    /// placement was already stored.
    PlacementAlreadySaved,
    /// A referent changed a placement's referent to someone else: it left their list.
    PlacementHandedOver,
    /// The staff form was sent again (double tap, or "Back" then send): the member
    /// was already added.
    StaffAlreadySaved,
    /// School evaluation stored (issue 5).
    EvaluationCreated,
    /// School evaluation changed: it now dates from this change.
    EvaluationUpdated,
    /// School evaluation deleted.
    EvaluationDeleted,
    /// Company review's criteria chosen by the referent (issue 5).
    CompanyReviewPrepared,
    /// Company review saved by the tutor (partial).
    CompanyReviewSaved,
    /// Company review filled by the tutor, ready for the visit.
    CompanyReviewReady,
    /// Company review finalised at the joint visit.
    CompanyReviewFinalised,
    /// Interim review (bilan intermédiaire) saved as a draft (issue 5).
    InterimReviewSaved,
    /// Interim review published: read-only from now on.
    InterimReviewPublished,
    /// Interim review draft deleted.
    InterimReviewDeleted,
    /// Notification choices saved (issue 6).
    NotificationSettingsSaved,
    /// A device's push subscription removed from the notifications page.
    PushDeviceRemoved,
    /// Test notification queued for the person's devices.
    PushTestQueued,
    /// Test notification not sent: the person has no subscribed device.
    PushTestNoDevice,
    /// Test notification not sent: the sending queue is full or stopped.
    PushTestNotQueued,
    /// Passkey registered (issue 7).
    PasskeyAdded,
    /// Passkey renamed.
    PasskeyRenamed,
    /// Passkey removed.
    PasskeyRemoved,
    /// Tutor link issued and e-mailed; the tutor's passkeys bound to the old link were
    /// removed (issue 7).
    TutorAccessSentPasskeysRemoved,
    /// Tutor link issued, waiting in the outbox; the tutor's passkeys were removed.
    TutorAccessInOutboxPasskeysRemoved,
    /// A tutor bound a passkey to their link (shown instead of [`Flash::PasskeyAdded`]
    /// on their "Protéger mon accès" page).
    TutorPasskeyAdded,
    /// Test notification not sent: the person asked for one less than a minute ago
    /// (issue 6, rate limit).
    PushTestTooSoon,
    /// A tutor removed a passkey bound to their link; their other sessions ended
    /// (issue 7).
    TutorPasskeyRemoved,
    /// Daily allowance rate set by the coordinator (issue 8).
    AllowanceRateSaved,
    /// Daily allowance rate back to the decree's default (issue 8).
    AllowanceRateReset,
    /// Attendance of a placement saved (issue 8).
    AttendanceSaved,
    /// Attendance saved: it changed after the tutor's confirmation, which must be
    /// given again.
    AttendanceSavedConfirmationVoided,
    /// The attendance form was sent again with what is already stored: nothing changed.
    AttendanceUnchanged,
    /// The tutor confirmed the attendance on this day (in the school's time zone).
    AttendanceConfirmed {
        /// Day of the confirmation.
        on: jiff::civil::Date,
    },
}

impl Flash {
    fn code(self) -> &'static str {
        match self {
            Flash::EntrySaved => "entry-saved",
            Flash::EntryCorrected => "entry-corrected",
            Flash::SheetSaved => "sheet-saved",
            Flash::SheetSubmitted => "sheet-submitted",
            Flash::ReviewSaved => "review-saved",
            Flash::SignedOut => "signed-out",
            Flash::ClassCreated => "class-created",
            Flash::StaffCreated => "staff-created",
            Flash::ClassImported { .. } => "class-imported",
            Flash::ReferentialImported => "referential-imported",
            Flash::TutorAccessSent => "tutor-access-sent",
            Flash::TutorAccessInOutbox => "tutor-access-outbox",
            Flash::TutorAccessLocked => "tutor-access-locked",
            Flash::TutorAccessUnlocked => "tutor-access-unlocked",
            Flash::PersonDeactivated => "person-deactivated",
            Flash::PersonReactivated => "person-reactivated",
            Flash::MessageHandedOver => "message-handed-over",
            Flash::PlacementCreated => "placement-created",
            Flash::PlacementUpdated => "placement-updated",
            Flash::PlacementAlreadySaved => "placement-already-saved",
            Flash::PlacementHandedOver => "placement-handed-over",
            Flash::StaffAlreadySaved => "staff-already-saved",
            Flash::EvaluationCreated => "evaluation-created",
            Flash::EvaluationUpdated => "evaluation-updated",
            Flash::EvaluationDeleted => "evaluation-deleted",
            Flash::CompanyReviewPrepared => "company-review-prepared",
            Flash::CompanyReviewSaved => "company-review-saved",
            Flash::CompanyReviewReady => "company-review-ready",
            Flash::CompanyReviewFinalised => "company-review-finalised",
            Flash::InterimReviewSaved => "interim-review-saved",
            Flash::InterimReviewPublished => "interim-review-published",
            Flash::InterimReviewDeleted => "interim-review-deleted",
            Flash::NotificationSettingsSaved => "notification-settings-saved",
            Flash::PushDeviceRemoved => "push-device-removed",
            Flash::PushTestQueued => "push-test-queued",
            Flash::PushTestNoDevice => "push-test-no-device",
            Flash::PushTestNotQueued => "push-test-not-queued",
            Flash::PasskeyAdded => "passkey-added",
            Flash::PasskeyRenamed => "passkey-renamed",
            Flash::PasskeyRemoved => "passkey-removed",
            Flash::TutorAccessSentPasskeysRemoved => "tutor-access-sent-passkeys-removed",
            Flash::TutorAccessInOutboxPasskeysRemoved => "tutor-access-outbox-passkeys-removed",
            Flash::TutorPasskeyAdded => "tutor-passkey-added",
            Flash::PushTestTooSoon => "push-test-too-soon",
            Flash::TutorPasskeyRemoved => "tutor-passkey-removed",
            Flash::AllowanceRateSaved => "allowance-rate-saved",
            Flash::AllowanceRateReset => "allowance-rate-reset",
            Flash::AttendanceSaved => "attendance-saved",
            Flash::AttendanceSavedConfirmationVoided => "attendance-saved-unconfirmed",
            Flash::AttendanceUnchanged => "attendance-unchanged",
            Flash::AttendanceConfirmed { .. } => "attendance-confirmed",
        }
    }

    fn from_code(code: &str) -> Option<Flash> {
        // The one message with numbers: `class-imported:<created>:<updated>`.
        if let Some(counts) = code.strip_prefix("class-imported:") {
            let (created, updated) = counts.split_once(':')?;
            return Some(Flash::ClassImported {
                created: created.parse().ok()?,
                updated: updated.parse().ok()?,
            });
        }
        // The attendance confirmation carries its day: `attendance-confirmed:<date>`.
        if let Some(day) = code.strip_prefix("attendance-confirmed:") {
            return Some(Flash::AttendanceConfirmed {
                on: day.parse().ok()?,
            });
        }
        [
            Flash::EntrySaved,
            Flash::EntryCorrected,
            Flash::SheetSaved,
            Flash::SheetSubmitted,
            Flash::ReviewSaved,
            Flash::SignedOut,
            Flash::ClassCreated,
            Flash::StaffCreated,
            Flash::ReferentialImported,
            Flash::TutorAccessSent,
            Flash::TutorAccessInOutbox,
            Flash::TutorAccessLocked,
            Flash::TutorAccessUnlocked,
            Flash::PersonDeactivated,
            Flash::PersonReactivated,
            Flash::MessageHandedOver,
            Flash::PlacementCreated,
            Flash::PlacementUpdated,
            Flash::PlacementAlreadySaved,
            Flash::PlacementHandedOver,
            Flash::StaffAlreadySaved,
            Flash::EvaluationCreated,
            Flash::EvaluationUpdated,
            Flash::EvaluationDeleted,
            Flash::CompanyReviewPrepared,
            Flash::CompanyReviewSaved,
            Flash::CompanyReviewReady,
            Flash::CompanyReviewFinalised,
            Flash::InterimReviewSaved,
            Flash::InterimReviewPublished,
            Flash::InterimReviewDeleted,
            Flash::NotificationSettingsSaved,
            Flash::PushDeviceRemoved,
            Flash::PushTestQueued,
            Flash::PushTestNoDevice,
            Flash::PushTestNotQueued,
            Flash::PasskeyAdded,
            Flash::PasskeyRenamed,
            Flash::PasskeyRemoved,
            Flash::TutorAccessSentPasskeysRemoved,
            Flash::TutorAccessInOutboxPasskeysRemoved,
            Flash::TutorPasskeyAdded,
            Flash::PushTestTooSoon,
            Flash::TutorPasskeyRemoved,
            Flash::AllowanceRateSaved,
            Flash::AllowanceRateReset,
            Flash::AttendanceSaved,
            Flash::AttendanceSavedConfirmationVoided,
            Flash::AttendanceUnchanged,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }

    /// The French message.
    pub fn message(self) -> Cow<'static, str> {
        let fixed = match self {
            Flash::EntrySaved => "Entrée enregistrée dans le journal de bord.",
            Flash::EntryCorrected => "Entrée corrigée.",
            Flash::SheetSaved => "Fiche enregistrée (brouillon).",
            Flash::SheetSubmitted => "Fiche envoyée au tuteur.",
            Flash::ReviewSaved => "Avis enregistré : la fiche est marquée comme vue.",
            Flash::SignedOut => "Vous êtes déconnecté.",
            Flash::ClassCreated => "Classe créée.",
            Flash::StaffCreated => "Membre de l'équipe ajouté : envoyez-lui un lien d'invitation.",
            Flash::ClassImported { created, updated } => {
                return Cow::Owned(class_imported_message(created, updated));
            }
            Flash::ReferentialImported => {
                "Référentiel importé : il peut être choisi comme diplôme d'une classe."
            }
            Flash::TutorAccessSent => "Accès du tuteur créé : le courriel est parti.",
            Flash::TutorAccessInOutbox => {
                "Accès du tuteur créé : le message attend dans « Messages à remettre » (lien à copier ou lettre à imprimer)."
            }
            Flash::TutorAccessLocked => {
                "Accès du tuteur verrouillé : son lien et ses sessions ne fonctionnent plus."
            }
            Flash::TutorAccessUnlocked => "Accès du tuteur déverrouillé.",
            Flash::PersonDeactivated => {
                "Compte désactivé : ses sessions sont fermées et ses liens ne fonctionnent plus."
            }
            Flash::PersonReactivated => {
                "Compte réactivé : envoyez-lui une invitation pour qu'il se connecte."
            }
            Flash::MessageHandedOver => {
                "Message marqué comme remis : il est retiré des messages à remettre."
            }
            Flash::PlacementCreated => "Période de formation enregistrée.",
            Flash::PlacementUpdated => "Période de formation modifiée.",
            Flash::PlacementAlreadySaved => {
                "Cette période était déjà enregistrée (formulaire envoyé deux fois) : la voici. Modifiez-la si besoin."
            }
            Flash::PlacementHandedOver => {
                "Période de formation modifiée : vous n'en êtes plus le référent."
            }
            Flash::StaffAlreadySaved => {
                "Ce membre de l'équipe était déjà ajouté (formulaire envoyé deux fois) : il n'a pas été ajouté une deuxième fois."
            }
            Flash::EvaluationCreated => "Évaluation enregistrée.",
            Flash::EvaluationUpdated => {
                "Évaluation modifiée : elle prend la date de cette modification sur le tableau de bord."
            }
            Flash::EvaluationDeleted => "Évaluation supprimée.",
            Flash::CompanyReviewPrepared => {
                "Critères du bilan entreprise enregistrés : le tuteur peut le remplir."
            }
            Flash::CompanyReviewSaved => "Bilan entreprise enregistré.",
            Flash::CompanyReviewReady => {
                "Bilan entreprise rempli : il est prêt pour la visite de l'enseignant référent."
            }
            Flash::CompanyReviewFinalised => {
                "Bilan entreprise finalisé : il compte désormais dans le tableau de bord."
            }
            Flash::InterimReviewSaved => {
                "Brouillon du bilan intermédiaire enregistré : seuls les enseignants référents le voient."
            }
            Flash::InterimReviewPublished => {
                "Bilan intermédiaire publié : l'élève et son tuteur le voient ; il ne peut plus être modifié."
            }
            Flash::InterimReviewDeleted => "Brouillon du bilan intermédiaire supprimé.",
            Flash::NotificationSettingsSaved => "Vos choix de notifications sont enregistrés.",
            Flash::PushDeviceRemoved => {
                "Appareil retiré : il ne recevra plus les notifications de Livret."
            }
            Flash::PushTestQueued => {
                "Notification d'essai envoyée à vos appareils : elle arrive d'ici quelques secondes."
            }
            Flash::PushTestNoDevice => {
                "Aucun appareil n'est abonné : activez d'abord les notifications sur cet appareil."
            }
            Flash::PushTestNotQueued => {
                "La notification d'essai n'a pas pu partir pour l'instant : réessayez dans une minute."
            }
            Flash::PasskeyAdded => {
                "Clé d'accès créée : la prochaine fois, connectez-vous avec elle depuis la page « Se connecter »."
            }
            Flash::PasskeyRenamed => "Clé d'accès renommée.",
            Flash::PasskeyRemoved => {
                "Clé d'accès supprimée : elle ne permet plus de se connecter à Livret. Par sécurité, vos sessions ouvertes sur d'autres appareils ont été fermées (celle-ci reste ouverte)."
            }
            Flash::TutorAccessSentPasskeysRemoved => {
                "Nouveau lien du tuteur créé : le courriel est parti. Les clés d'accès qu'il avait associées à son ancien lien ont été retirées : le nouveau lien suffit pour ouvrir son espace."
            }
            Flash::TutorAccessInOutboxPasskeysRemoved => {
                "Nouveau lien du tuteur créé : le message attend dans « Messages à remettre » (lien à copier ou lettre à imprimer). Les clés d'accès qu'il avait associées à son ancien lien ont été retirées : le nouveau lien suffit pour ouvrir son espace."
            }
            Flash::TutorPasskeyAdded => {
                "Clé d'accès associée à votre lien : désormais, après avoir ouvert votre lien, confirmez avec elle. Les autres sessions ouvertes avec votre lien ont été fermées."
            }
            Flash::PushTestTooSoon => {
                "Une notification d'essai vient de partir : attendez une minute avant d'en demander une autre."
            }
            Flash::TutorPasskeyRemoved => {
                "Clé d'accès retirée de votre lien : elle ne sert plus à confirmer votre lien. Par sécurité, vos autres sessions ont été fermées (celle-ci reste ouverte)."
            }
            Flash::AllowanceRateSaved => {
                "Forfait journalier enregistré : les montants de l'allocation sont recalculés."
            }
            Flash::AllowanceRateReset => {
                "Forfait journalier revenu au montant du décret : les montants de l'allocation sont recalculés."
            }
            Flash::AttendanceSaved => "Présence enregistrée.",
            Flash::AttendanceSavedConfirmationVoided => {
                "Présence enregistrée. Elle a changé depuis la confirmation du tuteur : cette confirmation ne vaut plus, le tuteur doit confirmer de nouveau."
            }
            Flash::AttendanceUnchanged => {
                "La présence était déjà enregistrée ainsi : rien n'a changé."
            }
            Flash::AttendanceConfirmed { on } => {
                return Cow::Owned(format!(
                    "Présence confirmée le {} : l'attestation de PFMP le mentionne.",
                    crate::domain::text::date_long(on)
                ));
            }
        };
        Cow::Borrowed(fixed)
    }

    /// Puts the message in a short-lived cookie for the next page.
    pub fn set(self, jar: &CookieJar) {
        let value = match self {
            Flash::ClassImported { created, updated } => {
                format!("{}:{created}:{updated}", self.code())
            }
            Flash::AttendanceConfirmed { on } => format!("{}:{on}", self.code()),
            _ => self.code().to_string(),
        };
        let mut c = Cookie::new_with_str(FLASH_COOKIE, value);
        c.set_http_only(true);
        c.set_same_site(SameSite::Lax);
        c.set_path("/");
        c.set_max_age(Duration::from_secs(60));
        jar.add(c);
    }

    /// Takes (and clears) the pending message, if any.
    pub fn take(jar: &CookieJar) -> Option<Flash> {
        let c = jar.get(FLASH_COOKIE)?;
        jar.add(expired(FLASH_COOKIE));
        Flash::from_code(c.value_str())
    }
}

/// "Import terminé : 3 élèves créés, 1 mis à jour." (French agreement: "1 élève
/// créé", "0 élève créé").
fn class_imported_message(created: u32, updated: u32) -> String {
    let plural = |n: u32| if n > 1 { "s" } else { "" };
    format!(
        "Import terminé : {created} élève{s} créé{s}, {updated} mis à jour.",
        s = plural(created)
    )
}

/// The signed-in person making the request. Extracting it fails with
/// [`Error::SignInRequired`] when there is no live session or the account is inactive.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// Who.
    pub subject: Subject,
    /// Their name, for the page header.
    pub name: PersonName,
    /// The session's anti-CSRF token, put in every form.
    pub csrf: String,
    /// SHA-256 of the session cookie (to end the session).
    pub session_hash: [u8; 32],
    /// Message left by the previous POST.
    pub flash: Option<Flash>,
}

impl Viewer {
    /// Checks the anti-CSRF token sent with a form.
    ///
    /// # Errors
    /// [`Error::Forbidden`] when missing or different.
    pub fn check_csrf(&self, form: &FormData) -> Result<(), Error> {
        if auth::constant_time_eq(form.get("_csrf"), &self.csrf) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }
}

fn state_of(req: &Request) -> Result<&State, Error> {
    req.data::<State>()
        .ok_or_else(|| Error::Internal("état de l'application absent".into()))
}

/// The name of an active person, or `None` if unknown or deactivated.
pub fn active_name(state: &State, subject: &Subject) -> Result<Option<PersonName>, Error> {
    let s = &state.store;
    Ok(match subject {
        Subject::Student(id) => s.student(*id)?.filter(|p| p.active).map(|p| p.name),
        Subject::Tutor(id) => s.tutor(*id)?.map(|p| p.name),
        Subject::Teacher(id) => s.teacher(*id)?.filter(|p| p.active).map(|p| p.name),
        Subject::Coordinator(id) => s.coordinator(*id)?.filter(|p| p.active).map(|p| p.name),
    })
}

impl Viewer {
    /// The person whose live session the request's cookie names, without touching the
    /// pending flash message (the JSON API of issue 4 uses it: a background sync must
    /// not eat the message meant for the next page).
    ///
    /// # Errors
    /// [`Error::SignInRequired`] when there is no live session or the account is
    /// inactive; store failure.
    pub async fn from_session(req: &Request) -> Result<Viewer, Error> {
        let state = state_of(req)?;
        let cookie = req
            .cookie()
            .get(session_cookie_name(state.config.secure()))
            .ok_or(Error::SignInRequired)?;
        let secret = cookie.value_str();
        let session =
            auth::find_session(&state.store, &state.clock, secret)?.ok_or(Error::SignInRequired)?;
        let name = active_name(state, &session.subject)?.ok_or(Error::SignInRequired)?;
        if let Some(via) = &session.via {
            auth::note_link_use(&state.store, &state.clock, via).await?;
        }
        Ok(Viewer {
            subject: session.subject,
            name,
            csrf: session.csrf,
            session_hash: auth::hash_secret(secret),
            flash: None,
        })
    }
}

impl<'a> FromRequest<'a> for Viewer {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let mut viewer = Viewer::from_session(req).await?;
        viewer.flash = Flash::take(req.cookie());
        Ok(viewer)
    }
}

/// An `application/x-www-form-urlencoded` body as name/value pairs, in order (a name
/// may repeat: ticked checkboxes). The body is read up to the configured limit:
/// beyond it the answer is 413.
#[derive(Clone, Debug, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, or "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl FormData {
    /// Reads an `application/x-www-form-urlencoded` body of at most `limit` bytes (the
    /// extractor uses `Config::max_body_bytes`; the import routes allow
    /// [`super::middleware::MAX_UPLOAD_BYTES`]).
    ///
    /// # Errors
    /// [`Error::BadRequest`] for another content type or an unreadable body;
    /// [`Error::PayloadTooLarge`] beyond `limit`.
    pub async fn read_with_limit(
        req: &Request,
        body: &mut RequestBody,
        limit: usize,
    ) -> poem::Result<Self> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(Error::BadRequest("type de contenu inattendu".into()).into());
        }
        let bytes = body
            .take()?
            .into_bytes_limit(limit)
            .await
            .map_err(|e| match e {
                poem::error::ReadBodyError::PayloadTooLarge => Error::PayloadTooLarge,
                other => Error::BadRequest(other.to_string()),
            })?;
        Ok(FormData(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

impl<'a> FromRequest<'a> for FormData {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let limit = state_of(req)?.config.max_body_bytes;
        FormData::read_with_limit(req, body, limit).await
    }
}
