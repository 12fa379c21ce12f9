//! The web layer: routes, extractors, forms and pages (maud).
//!
//! Data flows one way: request → extractor (who is this, may they) → form → domain
//! rule → store → redirect or page (DESIGN.md).

pub mod api;
pub mod api_passkey;
pub mod api_push;
pub mod api_review;
pub mod api_tutor_link;
pub mod assets;
pub mod confirm;
pub mod extract;
pub mod layout;
pub mod middleware;
pub mod pages;
pub mod proxy;
pub mod routes;
pub mod sw;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::Referential;
use crate::store::Store;
use std::sync::Arc;

/// What every handler can reach.
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The clock (real, or fixed in tests).
    pub clock: Clock,
    /// The configuration.
    pub config: Config,
    /// Rate limits of the sign-in routes.
    pub limits: crate::auth::rate_limit::SignInLimits,
    /// The SMTP transport, when `LIVRET_SMTP_URL` is set; without it e-mails go to the
    /// outbox (see [`crate::mail::deliver`]).
    pub mailer: Option<Arc<crate::mail::Mailer>>,
    /// The web push sender (background task): [`crate::push::Push::queue`].
    pub push: crate::push::Push,
    /// The WebAuthn relying party of `config.public_url` (passkeys, issue 7): see
    /// [`crate::passkey`].
    pub webauthn: Arc<webauthn_rs::Webauthn>,
}

/// Shared handle on [`AppState`], given to handlers as `Data<&State>`.
pub type State = Arc<AppState>;

impl AppState {
    /// The referential of a class's diploma.
    ///
    /// # Errors
    /// [`crate::Error::Internal`] when the class names a referential the store lacks.
    pub fn referential(&self, code: &str) -> crate::Result<Referential> {
        self.store
            .referential(code)?
            .ok_or_else(|| crate::Error::Internal(format!("référentiel {code} absent")))
    }
}
