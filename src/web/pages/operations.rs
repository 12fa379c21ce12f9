//! Running the instance (issue 9): `GET /readyz` for probes, and the coordinator's
//! « Sauvegardes et stockage » card on the coordination home.

use crate::backup::STALE_AFTER_HOURS;
use crate::domain::text;
use crate::error::Result;
use crate::ops::{Readiness, free_space, readiness, size_fr};
use crate::web::State;
use crate::web::api::json;
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Response, handler};

/// `GET /readyz` (public, for a load balancer or an orchestrator): 200
/// `{"status":"ready","checks":{"store":"ok","disk":"ok"}}` when the store answers a
/// read and the data directory's file system has at least `--min-free-mb` free; else
/// 503 `{"status":"not_ready","reason":"store"|"disk","message":"<French>"}`. Never
/// any personal data; `Cache-Control: no-store`. `/healthz` stays the liveness probe.
#[handler]
pub fn readyz(state: Data<&State>) -> Response {
    match readiness(&state.store, &state.config) {
        Readiness::Ready => json(
            StatusCode::OK,
            &serde_json::json!({
                "status": "ready",
                "checks": { "store": "ok", "disk": "ok" },
            }),
        ),
        Readiness::NotReady { reason, message } => json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({
                "status": "not_ready",
                "reason": reason,
                "message": message,
            }),
        ),
    }
}

/// The « Sauvegardes et stockage » card (coordinators only: the caller is the
/// coordination home): the last good backup in the school's time zone, with a warning
/// when there is none or it is older than [`STALE_AFTER_HOURS`] hours; whether nightly
/// backups are configured (`--backup-dir`, how many kept); the data's size on disk and
/// the free space left, with a warning below `--min-free-mb`.
///
/// # Errors
/// Store failure reading the last backup's record.
pub fn operations_card(state: &State) -> Result<Markup> {
    let last = state.store.last_backup()?;
    let now = state.clock.now();
    let age_hours = last.as_ref().map(|b| now.duration_since(b.at).as_hours());
    let ops = &state.config.ops;
    let used = crate::backup::disk_usage(&state.config.data);
    let free = free_space(&state.config.data).ok();
    let low = free.is_some_and(|f| f < ops.min_free_bytes);
    let zone = state.clock.zone().clone();
    Ok(html! {
        h2 id="sauvegardes" { "Sauvegardes et stockage" }
        section.card.operations {
            @match age_hours {
                None => p.notice {
                    strong { "Attention : aucune sauvegarde n'a encore été faite. " }
                    @if ops.backup_dir.is_some() {
                        "La première est faite quelques minutes après le démarrage du service : si ce message reste affiché, prévenez la personne qui administre le serveur."
                    } @else {
                        "Sans sauvegarde, une panne du serveur ferait perdre les livrets des élèves. Demandez à la personne qui administre le serveur de configurer les sauvegardes automatiques."
                    }
                },
                Some(h) if h >= STALE_AFTER_HOURS => p.notice {
                    strong { "Attention : la dernière sauvegarde date de " (age(h)) ". " }
                    "Les sauvegardes ont lieu chaque nuit quand elles sont configurées : prévenez la personne qui administre le serveur."
                },
                Some(_) => {}
            }
            dl.facts {
                dt { "Dernière sauvegarde" }
                dd {
                    @if let Some(b) = &last {
                        (text::date_time_long(b.at.to_zoned_datetime(zone.clone()).datetime()))
                        " " span.muted { "(" (size_fr(b.bytes)) ")" }
                    } @else {
                        "aucune"
                    }
                }
                dt { "Sauvegardes automatiques" }
                dd {
                    @if ops.backup_dir.is_some() {
                        "chaque nuit à 2\u{a0}h\u{a0}30 ; les " (ops.backup_keep) " dernières sont gardées"
                    } @else {
                        "non configurées"
                    }
                }
                dt { "Taille des données" }
                dd { (size_fr(used)) }
                dt { "Espace disque libre" }
                dd {
                    @if let Some(f) = free { (size_fr(f)) } @else { "inconnu" }
                }
            }
            @if low {
                p.notice {
                    strong { "Attention : il reste peu de place sur le disque. " }
                    "En dessous de " (size_fr(ops.min_free_bytes)) " libres, le service se signale « non prêt » et risque de ne plus pouvoir enregistrer."
                }
            }
        }
    })
}

/// An age of at least a day, in French: `27 heures`, `3 jours`.
fn age(hours: i64) -> String {
    if hours < 48 {
        format!("{hours}\u{a0}heures")
    } else {
        format!("{}\u{a0}jours", hours / 24)
    }
}
