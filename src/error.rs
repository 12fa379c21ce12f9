//! The one error type, and the only place that maps errors to HTTP answers.
//!
//! The user gets a short French page; the log gets the cause (never a secret: tokens
//! and cookies are not part of any error).

use crate::store::StoreError;
use poem::http::StatusCode;
use poem::{IntoResponse, Response};

/// Every error a request can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object does not exist, or this person may not see it (the two are
    /// deliberately indistinguishable: DESIGN.md, "checks the object, not only the role").
    #[error("introuvable")]
    NotFound,
    /// No valid session.
    #[error("connexion nécessaire")]
    SignInRequired,
    /// A state-changing request without a valid anti-CSRF token or from another site.
    #[error("requête refusée (CSRF)")]
    Forbidden,
    /// A state-changing request sent from another site (or through a proxy whose
    /// address differs from `--public-url`).
    #[error("requête venue d'un autre site")]
    CrossSite,
    /// The service cannot start: bad option, port taken, data directory in use.
    #[error("{0}")]
    Startup(String),
    /// Too many sign-in attempts; retry after this many seconds.
    #[error("trop de tentatives de connexion")]
    TooManyRequests(u64),
    /// The body is larger than the configured limit.
    #[error("envoi trop volumineux")]
    PayloadTooLarge,
    /// The request cannot be understood (wrong content type, undecodable body).
    #[error("requête invalide : {0}")]
    BadRequest(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else that is our fault.
    #[error("erreur interne : {0}")]
    Internal(String),
}

/// Result alias used across Livret.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn status(&self) -> StatusCode {
        match self {
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::SignInRequired => StatusCode::UNAUTHORIZED,
            Error::Forbidden | Error::CrossSite => StatusCode::FORBIDDEN,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Store(_) | Error::Internal(_) | Error::Startup(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// Title and explanation shown to the user, in French.
    fn message(&self) -> (&'static str, &'static str) {
        match self {
            Error::NotFound => (
                "Page introuvable",
                "Cette page n'existe pas, ou elle ne vous est pas accessible.",
            ),
            Error::SignInRequired => (
                "Connexion nécessaire",
                "Connectez-vous avec votre clé d'accès (bouton « Se connecter » de l'accueil). Tuteurs : ouvrez le lien personnel reçu par e-mail.",
            ),
            Error::Forbidden => (
                "Formulaire expiré",
                "Ce formulaire n'est plus valable (session terminée ou page trop ancienne). Revenez en arrière, rechargez la page et renvoyez-le : ce que vous aviez écrit n'a pas été enregistré.",
            ),
            Error::CrossSite => (
                "Requête refusée",
                "Cette demande ne vient pas d'une page de Livret : elle a été refusée et rien n'a été modifié. Ouvrez Livret à son adresse habituelle et recommencez.",
            ),
            Error::TooManyRequests(_) => (
                "Trop de tentatives",
                "Trop de demandes de connexion ont été faites en peu de temps. Patientez une minute, puis rouvrez votre lien.",
            ),
            Error::PayloadTooLarge => (
                "Envoi trop volumineux",
                "Ce que vous avez envoyé dépasse la taille autorisée (texte trop long ou fichier trop gros). Raccourcissez-le puis renvoyez-le.",
            ),
            Error::BadRequest(_) => (
                "Requête invalide",
                "La demande n'a pas pu être comprise. Revenez en arrière et réessayez.",
            ),
            Error::Store(_) | Error::Internal(_) | Error::Startup(_) => (
                "Erreur du serveur",
                "Un problème est survenu de notre côté ; rien n'a été modifié. Réessayez dans un instant, et prévenez l'établissement si cela persiste.",
            ),
        }
    }
}

impl poem::error::ResponseError for Error {
    fn status(&self) -> StatusCode {
        Error::status(self)
    }

    fn as_response(&self) -> Response {
        if matches!(
            self,
            Error::Store(_) | Error::Internal(_) | Error::Startup(_)
        ) {
            tracing::error!(error = %self, "requête en échec");
        }
        let (title, text) = self.message();
        let mut resp = crate::web::layout::error_page(title, text)
            .with_status(Error::status(self))
            .into_response();
        if let Error::TooManyRequests(secs) = self {
            resp.headers_mut()
                .insert(poem::http::header::RETRY_AFTER, (*secs).max(1).into());
        }
        resp
    }
}
