//! Activity sheets (fiches activités): one professional activity described by the
//! student, linked to the referential's competencies, then read and completed by the
//! tutor (spec, module "Dossier de l'élève").

use super::FieldErrors;
use super::ids::*;
use super::logbook::parse_date;
use super::placement::Placement;
use super::referential::Referential;
use super::text;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Longest title, in characters.
pub const TITLE_MAX_CHARS: usize = 150;
/// Longest of the long texts (context, work done, tools), in characters.
pub const BODY_MAX_CHARS: usize = 6_000;
/// Longest tutor comment, in characters.
pub const COMMENT_MAX_CHARS: usize = 4_000;

/// Where a sheet stands: draft → submitted → seen by the tutor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SheetStatus {
    /// Being written by the student; only the student sees it.
    Draft,
    /// Sent to the tutor, waiting for review; no longer editable by the student.
    Submitted,
    /// Read (and possibly commented) by the tutor.
    SeenByTutor,
}

impl SheetStatus {
    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            SheetStatus::Draft => "Brouillon",
            SheetStatus::Submitted => "À relire par le tuteur",
            SheetStatus::SeenByTutor => "Vue par le tuteur",
        }
    }
}

/// The tutor's completion of a sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TutorComment {
    /// The comment (may be empty: "seen" without remark).
    pub text: String,
    /// Who wrote it.
    pub tutor: TutorId,
    /// When.
    pub at: Timestamp,
}

/// An activity sheet (fiche activité).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivitySheet {
    /// Id.
    pub id: ActivitySheetId,
    /// The placement it belongs to.
    pub placement: PlacementId,
    /// Title, for example "Pose d'un tableau divisionnaire".
    pub title: String,
    /// Day of the activity.
    pub date: Date,
    /// Context: the site, the customer, the situation (contexte).
    pub context: String,
    /// What was done, step by step (activités réalisées).
    pub work_done: String,
    /// Tools and materials used (outils et matériels).
    pub tools: String,
    /// Codes of the competencies mobilised, in referential order ("C1", "C4"…).
    pub competencies: Vec<String>,
    /// Codes of the evaluation criteria mobilised ("C4.2"…), each under one of
    /// [`ActivitySheet::competencies`].
    pub criteria: Vec<String>,
    /// Status.
    pub status: SheetStatus,
    /// The tutor's comment, once given.
    pub tutor_comment: Option<TutorComment>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change by the student.
    pub updated_at: Timestamp,
    /// When it was submitted to the tutor.
    pub submitted_at: Option<Timestamp>,
}

impl ActivitySheet {
    /// True when both hold the same text, date, competencies and status: a
    /// resubmission of the same form, not a new sheet.
    pub fn same_content(&self, other: &ActivitySheet) -> bool {
        self.title == other.title
            && self.date == other.date
            && self.context == other.context
            && self.work_done == other.work_done
            && self.tools == other.tools
            && self.competencies == other.competencies
            && self.criteria == other.criteria
            && self.status == other.status
    }
}

/// The sheet form as typed, kept whole to refill the form after an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivitySheetInput {
    /// Title.
    pub title: String,
    /// Date (`yyyy-mm-dd` or `dd/mm/yyyy`).
    pub date: String,
    /// Context.
    pub context: String,
    /// Work done.
    pub work_done: String,
    /// Tools and materials.
    pub tools: String,
    /// Competency codes ticked.
    pub competencies: Vec<String>,
    /// Criterion codes ticked.
    pub criteria: Vec<String>,
}

impl ActivitySheetInput {
    /// The form prefilled from a saved sheet (for editing).
    pub fn from_sheet(sheet: &ActivitySheet) -> Self {
        ActivitySheetInput {
            title: sheet.title.clone(),
            date: sheet.date.to_string(),
            context: sheet.context.clone(),
            work_done: sheet.work_done.clone(),
            tools: sheet.tools.clone(),
            competencies: sheet.competencies.clone(),
            criteria: sheet.criteria.clone(),
        }
    }
}

/// The checked content of a sheet, ready to be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetContent {
    /// Title.
    pub title: String,
    /// Day.
    pub date: Date,
    /// Context.
    pub context: String,
    /// Work done.
    pub work_done: String,
    /// Tools and materials.
    pub tools: String,
    /// Competency codes, in referential order; a ticked criterion adds its competency.
    pub competencies: Vec<String>,
    /// Criterion codes, in referential order.
    pub criteria: Vec<String>,
}

/// Checks a sheet form. Rules (issue 2): title required (≤ [`TITLE_MAX_CHARS`]); the
/// day inside the placement and not after `today`; "what was done" required; long
/// texts ≤ [`BODY_MAX_CHARS`]; every ticked code exists in the class's referential.
/// Competencies are optional while drafting; [`check_submittable`] requires one.
///
/// # Errors
/// Every broken rule, by field, in French.
pub fn validate_sheet(
    input: &ActivitySheetInput,
    placement: &Placement,
    referential: &Referential,
    today: Date,
) -> Result<SheetContent, FieldErrors> {
    let mut errors = FieldErrors::default();
    let title = text::one_line(&input.title);
    text::check(&mut errors, "title", &title, true, TITLE_MAX_CHARS);
    let date = match parse_date(&input.date) {
        Ok(d) if !placement.contains(d) => {
            errors.add(
                "date",
                format!(
                    "Choisissez un jour de la période, entre le {} et le {}.",
                    text::date_short(placement.start),
                    text::date_short(placement.end)
                ),
            );
            None
        }
        Ok(d) if d > today => {
            errors.add("date", "Ce jour n'est pas encore passé.");
            None
        }
        Ok(d) => Some(d),
        Err(m) => {
            errors.add("date", m);
            None
        }
    };
    let context = text::clean(&input.context);
    text::check(&mut errors, "context", &context, false, BODY_MAX_CHARS);
    let work_done = text::clean(&input.work_done);
    text::check(&mut errors, "work_done", &work_done, true, BODY_MAX_CHARS);
    let tools = text::clean(&input.tools);
    text::check(&mut errors, "tools", &tools, false, BODY_MAX_CHARS);

    let mut competencies = Vec::new();
    let mut criteria = Vec::new();
    let mut unknown = false;
    for code in input.competencies.iter().chain(input.criteria.iter()) {
        if referential.competency(code).is_none() && referential.criterion(code).is_none() {
            unknown = true;
        }
    }
    for competency in &referential.competencies {
        let ticked_criteria: Vec<String> = competency
            .criteria
            .iter()
            .filter(|c| input.criteria.contains(&c.code))
            .map(|c| c.code.clone())
            .collect();
        if input.competencies.contains(&competency.code) || !ticked_criteria.is_empty() {
            competencies.push(competency.code.clone());
        }
        criteria.extend(ticked_criteria);
    }
    if unknown {
        errors.add(
            "competencies",
            "Une compétence cochée n'existe pas dans le référentiel du diplôme.",
        );
    }
    match date {
        Some(date) if errors.is_empty() => Ok(SheetContent {
            title,
            date,
            context,
            work_done,
            tools,
            competencies,
            criteria,
        }),
        _ => Err(errors),
    }
}

/// Checks that a sheet may be sent to the tutor: it names at least one competency.
///
/// # Errors
/// A French message on the `competencies` field.
pub fn check_submittable(content: &SheetContent) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    if content.competencies.is_empty() {
        errors.add(
            "competencies",
            "Cochez au moins une compétence mobilisée avant d'envoyer la fiche au tuteur.",
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Checks a tutor comment (optional, ≤ [`COMMENT_MAX_CHARS`]) and cleans it.
///
/// # Errors
/// A French message on the `comment` field.
pub fn validate_comment(input: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::default();
    let text = text::clean(input);
    text::check(&mut errors, "comment", &text, false, COMMENT_MAX_CHARS);
    if errors.is_empty() {
        Ok(text)
    } else {
        Err(errors)
    }
}
