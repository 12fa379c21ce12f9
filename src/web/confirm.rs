//! The defence of the secret-link forms (`/acces/…`, `/installation/…`) when the browser
//! cannot vouch for where a POST comes from.
//!
//! Those pages send `Referrer-Policy: no-referrer` (issue 3), so their forms post with
//! `Origin: null`. Over HTTPS or on `localhost`, browsers add `Sec-Fetch-Site:
//! same-origin` and the guard trusts that. Over plain HTTP on another host (a trial on
//! a school's network), browsers send no Sec-Fetch-Site, and `Origin: null` could as
//! well come from a sandboxed page of another site signing the visitor into someone
//! else's account (login CSRF). For that case only, the page's GET sets a random value
//! in a `SameSite=Strict` cookie and in the form (double-submit): another site can
//! neither read the value nor make the browser send the cookie.

use crate::error::{Error, Result};
use crate::web::extract::FormData;
use maud::{Markup, html};
use poem::http::HeaderMap;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use std::time::Duration;

/// Name of the confirmation cookie (no session, no personal data: a random value).
pub const CONFIRM_COOKIE: &str = "livret_confirm";
/// Name of the matching form field.
pub const CONFIRM_FIELD: &str = "_confirm";

/// Sets a fresh confirmation value (cookie valid one hour) and returns it for the form.
pub fn issue(jar: &CookieJar, secure: bool) -> String {
    let value = crate::auth::new_secret();
    let mut c = Cookie::new_with_str(CONFIRM_COOKIE, &value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_secure(secure);
    c.set_path("/");
    c.set_max_age(Duration::from_secs(3600));
    jar.add(c);
    value
}

/// The hidden form field carrying `value`.
pub fn field(value: &str) -> Markup {
    html! { input type="hidden" name=(CONFIRM_FIELD) value=(value); }
}

/// True when the browser did not vouch for the POST's origin: `Origin: null` without
/// `Sec-Fetch-Site` (plain HTTP on a host other than localhost).
pub fn unvouched(headers: &HeaderMap) -> bool {
    headers.get("origin").is_some_and(|o| o == "null") && !headers.contains_key("sec-fetch-site")
}

/// Passes when the browser vouched for the POST, or when the form's confirmation value
/// matches the cookie set by the page.
///
/// # Errors
/// [`Error::CrossSite`] otherwise.
pub fn check(headers: &HeaderMap, jar: &CookieJar, form: &FormData) -> Result<()> {
    if !unvouched(headers) {
        return Ok(());
    }
    let sent = form.get(CONFIRM_FIELD);
    match jar.get(CONFIRM_COOKIE) {
        Some(c) if !sent.is_empty() && crate::auth::constant_time_eq(c.value_str(), sent) => Ok(()),
        _ => {
            tracing::warn!("POST sans origine vérifiable ni jeton de confirmation : refusé");
            Err(Error::CrossSite)
        }
    }
}
