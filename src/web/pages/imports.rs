//! The coordinator's file imports (issue 3, items 3 and 4).
//!
//! Class list: upload (`GET /coordination/import`), preview (`POST …/apercu`, nothing
//! written), apply (`POST …/appliquer`). The preview page carries the file itself back
//! (base64url of its bytes) with a fingerprint of what it showed, so nothing is kept on
//! the server between the two steps; applying recomputes the preview against the
//! current store and writes only if it is still the one the coordinator saw.
//!
//! Referential: the list of the store's referentials and the upload of a TOML file
//! (`/coordination/referentiels`), refused with line-precise errors when malformed, and
//! never overwriting a referential of the same code without an explicit confirmation.

use super::see_other;
use crate::auth::permissions;
use crate::domain::class_list::{self, ClassList, Column, ImportPreview, SourceEncoding};
use crate::domain::referential::SourceStatus;
use crate::domain::{Class, ClassId, FieldErrors, Referential, Student, StudentId, text};
use crate::error::{Error, Result};
use crate::referential::{self, FileError};
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{count, csrf_field, described_by, error_summary, field_error, page};
use crate::web::middleware::MAX_UPLOAD_BYTES;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Multipart};
use poem::{Body, FromRequest, IntoResponse, Request, RequestBody, Response, handler};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Largest class-list file, in bytes (1 MiB): its base64 form, sent back by the
/// preview page, must fit in [`MAX_UPLOAD_BYTES`]. A school's whole SIECLE export is a
/// few hundred KiB.
pub const MAX_CLASS_LIST_BYTES: usize = 1024 * 1024;

/// One import at a time: recomputing the preview and writing it must not interleave
/// with another import (a double click on "Importer" would otherwise create every
/// new student twice). One Livret process owns the store, so a process-wide lock is
/// enough.
static IMPORT_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The message for a chosen file of 0 bytes (not "choose a file": one was chosen).
const EMPTY_FILE: &str = "Le fichier est vide.";

fn unprocessable(markup: Markup) -> Response {
    markup
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response()
}

/// A `multipart/form-data` form: its text fields, and the bytes of its `file` field.
/// `file` is `None` when no file was chosen (no `file` part, or one without a file
/// name, which is what browsers send then), and `Some` of possibly empty bytes when
/// one was, so that a chosen 0-byte file is told apart from no file.
struct Upload {
    fields: FormData,
    file: Option<Vec<u8>>,
}

/// Reads a whole `multipart/form-data` body of at most [`MAX_UPLOAD_BYTES`] (counted
/// on the bytes received, so a body without Content-Length is bounded too).
async fn read_upload(req: &Request, body: Body) -> Result<Upload> {
    let bad = |e: &dyn std::fmt::Display| Error::BadRequest(e.to_string());
    let bytes = body
        .into_bytes_limit(MAX_UPLOAD_BYTES)
        .await
        .map_err(|e| match e {
            poem::error::ReadBodyError::PayloadTooLarge => Error::PayloadTooLarge,
            other => bad(&other),
        })?;
    let mut body = RequestBody::new(Body::from(bytes));
    let mut multipart = Multipart::from_request(req, &mut body)
        .await
        .map_err(|_| Error::BadRequest("type de contenu inattendu".into()))?;
    let mut fields = Vec::new();
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| bad(&e))? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(ToString::to_string);
        let data = field.bytes().await.map_err(|e| bad(&e))?;
        if name == "file" && file_name.is_some() {
            if file_name.is_some_and(|n| !n.is_empty()) {
                file = Some(data);
            }
        } else {
            fields.push((name, String::from_utf8_lossy(&data).into_owned()));
        }
    }
    Ok(Upload {
        fields: FormData(fields),
        file,
    })
}

// ---------------------------------------------------------------------------------------
// Class list.

/// The import form, with the error of the previous try if any.
fn import_form(
    viewer: &Viewer,
    classes: &[Class],
    default_class: &str,
    errors: &FieldErrors,
) -> Markup {
    let err = |f: &str| errors.get(f).map(|_| "true");
    let body = html! {
        (error_summary(errors))
        p { "Importez la liste des élèves exportée par le logiciel de vie scolaire (SIECLE, Pronote) ou enregistrée depuis un tableur, au format CSV. Un aperçu montre ce qui changera : rien n'est enregistré avant que vous l'ayez confirmé." }
        details.help {
            summary { "Quels fichiers sont acceptés ?" }
            ul {
                li { "Colonnes reconnues : " strong { "Nom" } " et " strong { "Prénom" } " (obligatoires), Date de naissance (jj/mm/aaaa), Division ou Classe, INE, E-mail. Les intitulés sont reconnus sans tenir compte des majuscules, des accents ni des espaces («\u{a0}NOM\u{a0}», «\u{a0}Né(e) le\u{a0}», «\u{a0}N° INE\u{a0}»…) ; les autres colonnes sont ignorées." }
                li { "Encodage UTF-8 (avec ou sans BOM) ou Windows-1252 (le «\u{a0}CSV (séparateur : point-virgule)\u{a0}» d'Excel) ; séparateur «\u{a0};\u{a0}» ou «\u{a0},\u{a0}» ; 1\u{a0}Mio au plus." }
                li { "Un élève déjà inscrit est reconnu par son INE, sinon par ses nom, prénom et date de naissance : importer deux fois le même fichier ne change rien." }
            }
        }
        @if classes.is_empty() {
            p.notice { "Aucune classe n'existe encore : les élèves d'une division inconnue sont refusés. "
                a href="/coordination/classes/nouvelle" { "Créer une classe" } }
        }
        form.stack method="post" action="/coordination/import/apercu" enctype="multipart/form-data" novalidate {
            (csrf_field(viewer))
            label for="file" { "Fichier CSV" }
            (field_error(errors, "file"))
            input #file type="file" name="file" accept=".csv,text/csv" required
                aria-invalid=[err("file")] aria-describedby=[described_by(errors, "file")];
            label for="default_class" { "Classe par défaut" span.hint { " (pour les lignes sans colonne Division ou Classe)" } }
            (field_error(errors, "default_class"))
            select #default_class name="default_class"
                aria-invalid=[err("default_class")] aria-describedby=[described_by(errors, "default_class")] {
                option value="" { "— aucune —" }
                @for c in classes {
                    option value=(c.id) selected[c.id.to_string() == default_class] { (c.name) }
                }
            }
            button.primary type="submit" { "Voir l'aperçu" }
        }
    };
    page(
        viewer,
        "Importer une liste d'élèves",
        Some(("/", "Établissement")),
        body,
    )
}

/// `GET /coordination/import`: the class-list upload form.
///
/// # Errors
/// 404 unless a coordinator; store failure.
#[handler]
pub fn import_new(state: Data<&State>, viewer: Viewer) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    let classes = state.store.classes()?;
    Ok(import_form(&viewer, &classes, "", &FieldErrors::default()).into_response())
}

/// The default class chosen in a form: `None` for "", an error for an unknown id.
fn default_class(value: &str, classes: &[Class]) -> std::result::Result<Option<ClassId>, ()> {
    if value.is_empty() {
        return Ok(None);
    }
    let id: ClassId = value.parse().map_err(|_| ())?;
    if classes.iter().any(|c| c.id == id) {
        Ok(Some(id))
    } else {
        Err(())
    }
}

/// A decoded and parsed class list, and the encoding it was read in.
struct ReadList {
    list: ClassList,
    encoding: SourceEncoding,
}

/// Decodes and parses a class-list file; the French error otherwise ("Le fichier est
/// vide." for 0 bytes).
fn read_list(bytes: &[u8]) -> std::result::Result<ReadList, String> {
    if bytes.is_empty() {
        return Err(EMPTY_FILE.into());
    }
    if bytes.len() > MAX_CLASS_LIST_BYTES {
        return Err(format!(
            "Le fichier fait {} Kio : une liste d'élèves fait 1 Mio (1 024 Kio) au plus. \
             Vérifiez qu'il s'agit bien de la liste exportée en CSV.",
            bytes.len().div_ceil(1024)
        ));
    }
    let (text, encoding) = class_list::decode_detected(bytes).map_err(|e| e.to_string())?;
    let list = class_list::parse(&text).map_err(|e| e.to_string())?;
    Ok(ReadList { list, encoding })
}

/// SHA-256 (hex) of a canonical description of a preview: every line it would
/// create, update, leave or refuse, with the stored records it compares against, so
/// any change in the file, the classes or the students changes it.
fn fingerprint(preview: &ImportPreview, default: Option<ClassId>) -> String {
    let mut d = String::new();
    let _ = writeln!(d, "default {default:?}");
    for n in &preview.to_create {
        let _ = writeln!(
            d,
            "create {} {} {:?} {:?} {:?} {:?} {:?}",
            n.line, n.class, n.name.last, n.name.first, n.birth_date, n.ine, n.email
        );
    }
    for u in &preview.to_update {
        let _ = writeln!(d, "update {} {:?} {:?}", u.line, u.before, u.after);
    }
    for u in &preview.unchanged {
        let _ = writeln!(d, "unchanged {} {:?}", u.line, u.student);
    }
    for r in &preview.rejected {
        let _ = writeln!(d, "rejected {} {:?}", r.line, r.reason);
    }
    for c in &preview.unknown_classes {
        let _ = writeln!(d, "unknown {c:?}");
    }
    Sha256::digest(d.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn encoding_label(e: SourceEncoding) -> &'static str {
    match e {
        SourceEncoding::Utf8 => "UTF-8",
        SourceEncoding::Utf8Bom => "UTF-8 avec BOM",
        SourceEncoding::Utf16Le | SourceEncoding::Utf16Be => "UTF-16",
        SourceEncoding::Windows1252 => "Windows-1252",
    }
}

/// What a student has in one column, as the preview shows it.
fn column_value(s: &Student, column: Column, class_names: &HashMap<ClassId, &str>) -> String {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    match column {
        Column::LastName => s.name.last.clone(),
        Column::FirstName => s.name.first.clone(),
        Column::BirthDate => s.birth_date.map_or("—".into(), text::date_short),
        Column::Class => class_names
            .get(&s.class)
            .copied()
            .unwrap_or("?")
            .to_string(),
        Column::Ine => or_dash(&s.ine),
        Column::Email => or_dash(&s.email),
    }
}

/// Everything the preview page shows.
struct PreviewView<'a> {
    read: &'a ReadList,
    preview: &'a ImportPreview,
    classes: &'a [Class],
    file: &'a [u8],
    default_class: Option<ClassId>,
    /// A notice shown first (the data changed since the previous preview).
    notice: Option<&'a str>,
}

fn preview_page(viewer: &Viewer, v: &PreviewView<'_>) -> Markup {
    let p = v.preview;
    let class_names: HashMap<ClassId, &str> =
        v.classes.iter().map(|c| (c.id, c.name.as_str())).collect();
    let class_of = |id: &ClassId| class_names.get(id).copied().unwrap_or("?");
    let columns: Vec<&str> = v.read.list.columns.iter().map(|(c, _)| c.label()).collect();
    let body = html! { div.imports {
        @if let Some(notice) = v.notice {
            div.errors role="alert" { p { strong { (notice) } } }
        }
        p.muted {
            "Fichier lu en " (encoding_label(v.read.encoding)) ". Colonnes reconnues : " (columns.join(", ")) "."
            @if !v.read.list.ignored_columns.is_empty() {
                " Colonnes ignorées : " (v.read.list.ignored_columns.join(", ")) "."
            }
        }
        ul.import-summary {
            li { strong { (p.to_create.len()) } " à créer" }
            li { strong { (p.to_update.len()) } " à mettre à jour" }
            li { strong { (p.unchanged.len()) } " inchangé" @if p.unchanged.len() > 1 { "s" } }
            li { strong { (p.rejected.len()) } " refusée" @if p.rejected.len() > 1 { "s" } }
        }
        @if !p.unknown_classes.is_empty() {
            div.notice {
                p { strong { "Classes inconnues : " } (p.unknown_classes.join(", ")) }
                p { "Ces divisions n'existent pas encore dans Livret : leurs élèves sont refusés. Créez-les d'abord, puis importez à nouveau le fichier." }
                a.button href="/coordination/classes/nouvelle" { "Créer une classe" }
            }
        }
        @if !p.to_create.is_empty() {
            h2 { "À créer" }
            div.table-wrap {
                table.stacked {
                    thead { tr { th { "Ligne" } th { "Élève" } th { "Classe" } th { "Né(e) le" } th { "INE" } th { "E-mail" } } }
                    tbody {
                        @for n in &p.to_create {
                            tr {
                                td data-label="Ligne" { (n.line) }
                                td data-label="Élève" { (n.name.last) " " (n.name.first) }
                                td data-label="Classe" { (class_of(&n.class)) }
                                td data-label="Né(e) le" { (n.birth_date.map_or("—".into(), text::date_short)) }
                                td data-label="INE" { (n.ine.as_deref().unwrap_or("—")) }
                                td data-label="E-mail" { span.break { (n.email.as_deref().unwrap_or("—")) } }
                            }
                        }
                    }
                }
            }
        }
        @if !p.to_update.is_empty() {
            h2 { "À mettre à jour" }
            @let renamed = p.to_update.iter().filter(|u| u.name_changed).count();
            @if renamed > 0 {
                p.notice {
                    strong { "⚠ Vérifiez l'INE : " }
                    (count(renamed, "élève reconnu par son INE change", "élèves reconnus par leur INE changent"))
                    " de nom. Importez seulement si c'est bien le même élève (nom corrigé) ; sinon corrigez l'INE dans le fichier."
                }
            }
            div.table-wrap {
                table.stacked {
                    thead { tr { th { "Ligne" } th { "Élève" } th { "Changements" } } }
                    tbody {
                        @for u in &p.to_update {
                            tr {
                                td data-label="Ligne" { (u.line) }
                                td data-label="Élève" {
                                    // One grid cell on a phone: name and mark together.
                                    div {
                                        (u.before.name.last) " " (u.before.name.first)
                                        @if u.name_changed {
                                            br;
                                            span.badge.todo { "⚠ nom changé : vérifiez l'INE" }
                                        }
                                    }
                                }
                                td data-label="Changements" {
                                    ul.changes {
                                        @for c in &u.changed {
                                            li {
                                                (c.label()) " : "
                                                del { (column_value(&u.before, *c, &class_names)) }
                                                " → "
                                                ins { (column_value(&u.after, *c, &class_names)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !p.rejected.is_empty() {
            h2 { "Lignes refusées" }
            p.muted { "Elles ne seront pas importées : corrigez le fichier puis importez-le à nouveau pour les ajouter." }
            div.table-wrap {
                table.stacked {
                    thead { tr { th { "Ligne" } th { "Motif" } } }
                    tbody {
                        @for r in &p.rejected {
                            tr {
                                td data-label="Ligne" { (r.line) }
                                td data-label="Motif" { (r.reason) }
                            }
                        }
                    }
                }
            }
        }
        @if !p.unchanged.is_empty() {
            h2 { "Inchangés" }
            details.help {
                summary { (count(p.unchanged.len(), "élève déjà à jour", "élèves déjà à jour")) }
                ul {
                    @for u in &p.unchanged {
                        li { "ligne " (u.line) " : " (u.student.name.last) " " (u.student.name.first) " (" (class_of(&u.student.class)) ")" }
                    }
                }
            }
        }
        @if p.changes_nothing() {
            p.notice { strong { "Rien à importer : " } "ce fichier ne crée ni ne modifie aucun élève." }
            a.button href="/coordination/import" { "Importer un autre fichier" }
        } @else {
            form.stack method="post" action="/coordination/import/appliquer" {
                (csrf_field(viewer))
                input type="hidden" name="file" value=(URL_SAFE_NO_PAD.encode(v.file));
                input type="hidden" name="default_class" value=(v.default_class.map(|c| c.to_string()).unwrap_or_default());
                input type="hidden" name="fingerprint" value=(fingerprint(p, v.default_class));
                button.primary type="submit" {
                    "Importer : " (count(p.to_create.len(), "création", "créations"))
                    ", " (count(p.to_update.len(), "mise à jour", "mises à jour"))
                }
            }
        }
    } };
    page(
        viewer,
        "Aperçu de l'import",
        Some(("/coordination/import", "Choisir un autre fichier")),
        body,
    )
}

/// `POST /coordination/import/apercu` (multipart: `_csrf`, `file`, `default_class`):
/// reads the file and shows what importing it would do. Writes nothing. An empty,
/// oversized, undecodable or unparsable file, or an unknown default class, gives the
/// form again (422) with the French reason.
///
/// # Errors
/// 404 unless a coordinator; 403 without a valid anti-CSRF token; 413 beyond
/// [`MAX_UPLOAD_BYTES`]; 400 for a body that is not multipart; store failure.
#[handler]
pub async fn import_preview(
    state: Data<&State>,
    viewer: Viewer,
    req: &Request,
    body: Body,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    let upload = read_upload(req, body).await?;
    viewer.check_csrf(&upload.fields)?;
    let classes = state.store.classes()?;
    let chosen = upload.fields.get("default_class");
    let mut errors = FieldErrors::default();
    let default = default_class(chosen, &classes).unwrap_or_else(|()| {
        errors.add("default_class", "Choisissez une classe de la liste.");
        None
    });
    let file = upload.file.as_deref().unwrap_or_default();
    let read = match &upload.file {
        None => Err("Choisissez le fichier CSV à importer.".to_string()),
        Some(bytes) => read_list(bytes),
    };
    if let Err(message) = &read {
        errors.add("file", message.clone());
    }
    let read = match read {
        Ok(read) if errors.is_empty() => read,
        _ => {
            return Ok(unprocessable(import_form(
                &viewer, &classes, chosen, &errors,
            )));
        }
    };
    let preview = class_list::preview(
        &read.list,
        &state.store.all_students()?,
        &classes,
        default,
        state.clock.today(),
    );
    Ok(preview_page(
        &viewer,
        &PreviewView {
            read: &read,
            preview: &preview,
            classes: &classes,
            file,
            default_class: default,
            notice: None,
        },
    )
    .into_response())
}

/// `POST /coordination/import/appliquer` (urlencoded, up to [`MAX_UPLOAD_BYTES`]:
/// `_csrf`, `file` in base64url, `default_class`, `fingerprint`): recomputes the
/// preview against the current store. When it differs from the one shown, shows the
/// new one (409) with a notice and writes nothing; otherwise stores every creation and
/// update in one transaction and goes home with the counts.
///
/// # Errors
/// 404 unless a coordinator; 403 without a valid anti-CSRF token; 400 for a file or
/// class field that the preview page cannot have sent; 413 beyond
/// [`MAX_UPLOAD_BYTES`]; store failure.
#[handler]
pub async fn import_apply(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    req: &Request,
    body: Body,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    let form = FormData::read_with_limit(req, &mut RequestBody::new(body), MAX_UPLOAD_BYTES)
        .await
        .map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge
            } else {
                Error::BadRequest("formulaire d'import illisible".into())
            }
        })?;
    viewer.check_csrf(&form)?;
    let file = URL_SAFE_NO_PAD
        .decode(form.get("file"))
        .map_err(|_| Error::BadRequest("fichier d'import illisible".into()))?;

    let _one_at_a_time = IMPORT_LOCK.lock().await;
    let classes = state.store.classes()?;
    let default = default_class(form.get("default_class"), &classes)
        .map_err(|()| Error::BadRequest("classe par défaut inconnue".into()))?;
    let read = match read_list(&file) {
        Ok(read) => read,
        Err(message) => {
            let mut errors = FieldErrors::default();
            errors.add("file", message);
            return Ok(unprocessable(import_form(
                &viewer,
                &classes,
                form.get("default_class"),
                &errors,
            )));
        }
    };
    let existing = state.store.all_students()?;
    let today = state.clock.today();
    let preview = class_list::preview(&read.list, &existing, &classes, default, today);
    let stale = |preview: &ImportPreview| -> Response {
        preview_page(
            &viewer,
            &PreviewView {
                read: &read,
                preview,
                classes: &classes,
                file: &file,
                default_class: default,
                notice: Some(
                    "Les données ont changé depuis l'aperçu : rien n'a été importé. Voici \
                     l'aperçu à jour ; vérifiez-le puis importez à nouveau.",
                ),
            },
        )
        .with_status(StatusCode::CONFLICT)
        .into_response()
    };
    if fingerprint(&preview, default) != form.get("fingerprint") {
        return Ok(stale(&preview));
    }
    let after = class_list::apply(&preview, &existing, StudentId::new);
    let created = after.get(existing.len()..).unwrap_or_default();
    if !state
        .store
        .apply_class_import(&preview.to_update, created)
        .await?
    {
        let fresh = class_list::preview(
            &read.list,
            &state.store.all_students()?,
            &classes,
            default,
            today,
        );
        return Ok(stale(&fresh));
    }
    let n = |len: usize| u32::try_from(len).unwrap_or(u32::MAX);
    Flash::ClassImported {
        created: n(created.len()),
        updated: n(preview.to_update.len()),
    }
    .set(jar);
    Ok(see_other("/"))
}

// ---------------------------------------------------------------------------------------
// Referentials.

fn status_badge(status: SourceStatus) -> Markup {
    let (class, label) = match status {
        SourceStatus::Official => ("badge done", "officiel"),
        SourceStatus::Specification => ("badge", "spécification"),
        SourceStatus::Unverified => ("badge todo", "non vérifié"),
    };
    html! { span class=(class) title=(status.label()) { (label) } }
}

/// What went wrong with an uploaded referential file.
enum RefProblem {
    /// A message for the file field (no file, not UTF-8).
    File(String),
    /// The parser's errors, each with its line.
    Errors(Vec<FileError>),
    /// The code exists already: offer to replace it.
    Exists {
        /// The stored referential.
        old: Box<Referential>,
        /// The uploaded one.
        new: Box<Referential>,
        /// The uploaded file, sent back with the confirmation.
        bytes: Vec<u8>,
    },
}

fn referential_page(
    state: &State,
    viewer: &Viewer,
    problem: Option<&RefProblem>,
) -> Result<Markup> {
    let mut referentials = state.store.referentials()?;
    referentials.sort_by(|a, b| a.short_name.cmp(&b.short_name));
    let classes = state.store.classes()?;
    let mut errors = FieldErrors::default();
    if let Some(RefProblem::File(m)) = problem {
        errors.add("file", m.clone());
    }
    let body = html! { div.imports {
        p { "Les référentiels donnent à chaque classe ses compétences et critères d'évaluation. Livret en fournit quelques-uns ; vous pouvez en importer d'autres, ou une version corrigée, sous forme de fichier TOML (format décrit dans le README de Livret, section « Référentiels »)." }
        @match problem {
            Some(RefProblem::Errors(list)) => {
                div.errors role="alert" {
                    p { strong { "Le fichier n'a pas été importé :" } " corrigez " (if list.len() > 1 { "ces erreurs" } else { "cette erreur" }) " puis envoyez-le à nouveau." }
                    ul.file-errors {
                        @for e in list { li { (e.to_string()) } }
                    }
                }
            }
            Some(RefProblem::Exists { old, new, bytes }) => {
                @let users = classes.iter().filter(|c| c.diploma == old.code).count();
                @let missing: Vec<&str> = codes_of(old).into_iter().filter(|c| !codes_of(new).contains(c)).collect();
                @if old == new {
                    p.notice { strong { "Rien à importer : " } "le référentiel « " (old.short_name) " » est déjà présent, identique à ce fichier." }
                } @else {
                div.errors role="alert" {
                    p { strong { "Un référentiel de code « " (old.code) " » existe déjà" } " (" (old.short_name) ", utilisé par " (count(users, "classe", "classes")) ") : il n'a pas été remplacé." }
                    @if !missing.is_empty() {
                        p { "Codes absents du nouveau fichier, que des fiches ou évaluations peuvent citer : " (missing.join(", ")) "." }
                    }
                    form.stack method="post" action="/coordination/referentiels" enctype="multipart/form-data" {
                        (csrf_field(viewer))
                        input type="hidden" name="content" value=(URL_SAFE_NO_PAD.encode(bytes));
                        label.check {
                            input type="checkbox" name="replace" value="oui" required;
                            span { "Remplacer « " (old.short_name) " » par le fichier envoyé (" (new.short_name) ", " (count(new.competencies.len(), "compétence", "compétences")) ")" }
                        }
                        button.primary type="submit" { "Remplacer le référentiel" }
                    }
                }
                }
            }
            _ => {}
        }
        h2 { "Importer un référentiel" }
        (error_summary(&errors))
        form.stack method="post" action="/coordination/referentiels" enctype="multipart/form-data" novalidate {
            (csrf_field(viewer))
            label for="file" { "Fichier du référentiel" span.hint { " (.toml, UTF-8)" } }
            (field_error(&errors, "file"))
            input #file type="file" name="file" accept=".toml,application/toml,text/plain" required
                aria-invalid=[errors.get("file").map(|_| "true")] aria-describedby=[described_by(&errors, "file")];
            button.primary type="submit" { "Importer" }
        }
        h2 { "Référentiels disponibles" }
        @for r in &referentials {
            @let criteria: usize = r.competencies.iter().map(|c| c.criteria.len()).sum();
            @let users = classes.iter().filter(|c| c.diploma == r.code).count();
            section.card.referential {
                h3 { (r.short_name) }
                p { (r.diploma) }
                p.muted {
                    "Code " code { (r.code) } "\u{a0}· "
                    (count(r.competencies.len(), "compétence", "compétences")) "\u{a0}· "
                    (count(criteria, "critère", "critères")) "\u{a0}· "
                    (count(users, "classe", "classes"))
                }
                @if r.sources.is_empty() {
                    p.muted { "Aucune source indiquée." }
                } @else {
                    ul.sources {
                        @for s in &r.sources {
                            li {
                                (status_badge(s.status)) " " (referential::keep_quotes_together(&s.title))
                                @if !s.url.is_empty() || !s.note.is_empty() {
                                    details {
                                        summary { "Détails" }
                                        @if !s.url.is_empty() { p.break { (s.url) } }
                                        @if !s.note.is_empty() { p.break { (referential::keep_quotes_together(&s.note)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    } };
    Ok(page(
        viewer,
        "Référentiels",
        Some(("/", "Établissement")),
        body,
    ))
}

/// Every competency and criterion code of a referential.
fn codes_of(r: &Referential) -> Vec<&str> {
    r.competencies
        .iter()
        .flat_map(|c| {
            std::iter::once(c.code.as_str()).chain(c.criteria.iter().map(|k| k.code.as_str()))
        })
        .collect()
}

/// `GET /coordination/referentiels`: the store's referentials and the upload form.
///
/// # Errors
/// 404 unless a coordinator; store failure.
#[handler]
pub fn referential_list(state: Data<&State>, viewer: Viewer) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    Ok(referential_page(&state, &viewer, None)?.into_response())
}

/// `POST /coordination/referentiels` (multipart: `_csrf`, `file`; or, to confirm a
/// replacement, `content` in base64url and `replace=oui`): checks the file whole
/// (UTF-8, then `referential::parse`) and stores it in one transaction. Any error, or
/// an existing code without the confirmation, gives the page again (422) with every
/// problem and line, and changes nothing.
///
/// # Errors
/// 404 unless a coordinator; 403 without a valid anti-CSRF token; 413 beyond
/// [`MAX_UPLOAD_BYTES`]; 400 for a body that is not multipart; store failure.
#[handler]
pub async fn referential_import(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    req: &Request,
    body: Body,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    let upload = read_upload(req, body).await?;
    viewer.check_csrf(&upload.fields)?;
    let refused = |problem: RefProblem| -> Result<Response> {
        Ok(unprocessable(referential_page(
            &state,
            &viewer,
            Some(&problem),
        )?))
    };
    let bytes = match upload.file {
        Some(bytes) if bytes.is_empty() => {
            return refused(RefProblem::File(EMPTY_FILE.into()));
        }
        Some(bytes) => bytes,
        // The replacement confirmation carries the file in `content`.
        None => URL_SAFE_NO_PAD
            .decode(upload.fields.get("content"))
            .map_err(|_| Error::BadRequest("contenu du référentiel illisible".into()))?,
    };
    if bytes.is_empty() {
        return refused(RefProblem::File(
            "Choisissez le fichier du référentiel (.toml).".into(),
        ));
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t.strip_prefix('\u{FEFF}').unwrap_or(t),
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            return refused(RefProblem::File(format!(
                "Le fichier n'est pas en UTF-8 (ligne {line}) : enregistrez-le en UTF-8 \
                 depuis votre éditeur de texte, puis importez-le à nouveau."
            )));
        }
    };
    let new = match referential::parse(text) {
        Ok(r) => r,
        Err(errors) => return refused(RefProblem::Errors(errors)),
    };
    let replace = upload.fields.get("replace") == "oui";
    if !state.store.import_referential(&new, replace).await? {
        let old = state
            .store
            .referential(&new.code)?
            .ok_or_else(|| Error::Internal("référentiel disparu pendant l'import".into()))?;
        return refused(RefProblem::Exists {
            old: Box::new(old),
            new: Box::new(new),
            bytes,
        });
    }
    Flash::ReferentialImported.set(jar);
    Ok(see_other("/coordination/referentiels"))
}
