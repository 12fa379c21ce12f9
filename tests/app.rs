//! Integration tests of Livret, in one test binary (STYLE.md habit 9): each test starts
//! the real application (`livret::open` + `livret::web::routes`) on a temporary store
//! with a fixed clock and talks to it over HTTP like a browser; one test runs the
//! real binary twice on the same data directory.
//!
//! Run with `cargo test --test app`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "app/support.rs"]
mod support;

#[path = "app/access.rs"]
mod access;
#[path = "app/allowance.rs"]
mod allowance;
#[path = "app/attendance.rs"]
mod attendance;
#[path = "app/backup.rs"]
mod backup;
#[path = "app/certificate.rs"]
mod certificate;
#[path = "app/classes.rs"]
mod classes;
#[path = "app/company_review.rs"]
mod company_review;
#[path = "app/dashboard.rs"]
mod dashboard;
#[path = "app/evaluations.rs"]
mod evaluations;
#[path = "app/imports.rs"]
mod imports;
#[path = "app/install.rs"]
mod install;
#[path = "app/interim_reviews.rs"]
mod interim_reviews;
#[path = "app/logbook_form.rs"]
mod logbook_form;
#[path = "app/mail.rs"]
mod mail;
#[path = "app/not_found.rs"]
mod not_found;
#[path = "app/notify.rs"]
mod notify;
#[path = "app/notify_settings.rs"]
mod notify_settings;
#[path = "app/offline.rs"]
mod offline;
#[path = "app/ops.rs"]
mod ops;
#[path = "app/pages.rs"]
mod pages;
#[path = "app/passkey_messages.rs"]
mod passkey_messages;
#[path = "app/passkeys.rs"]
mod passkeys;
#[path = "app/placements.rs"]
mod placements;
#[path = "app/push.rs"]
mod push;
#[path = "app/push_service.rs"]
mod push_service;
#[path = "app/recovery.rs"]
mod recovery;
#[path = "app/restart.rs"]
mod restart;
#[path = "app/security.rs"]
mod security;
#[path = "app/setup.rs"]
mod setup;
#[path = "app/smtp_sink.rs"]
mod smtp_sink;
#[path = "app/soft_authenticator.rs"]
mod soft_authenticator;
#[path = "app/staff.rs"]
mod staff;
#[path = "app/store.rs"]
mod store;
#[path = "app/sync.rs"]
mod sync;
#[path = "app/tls.rs"]
mod tls;
#[path = "app/tutor_access.rs"]
mod tutor_access;
#[path = "app/tutor_passkey.rs"]
mod tutor_passkey;
