//! Diploma referentials: diploma → competencies → evaluation criteria.

use serde::{Deserialize, Serialize};

/// How much a source can be trusted (REFERENTIALS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceStatus {
    /// Official text (Légifrance, Bulletin officiel) or a faithful copy of it.
    Official,
    /// Given by Livret's functional specification.
    Specification,
    /// Third-party material that reads like the official text but could not be checked.
    Unverified,
}

impl SourceStatus {
    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            SourceStatus::Official => "texte officiel",
            SourceStatus::Specification => "spécification de Livret",
            SourceStatus::Unverified => "source non officielle, à vérifier",
        }
    }
}

/// What part of a referential a source vouches for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceScope {
    /// Competency codes and titles.
    Competencies,
    /// Evaluation criteria.
    Criteria,
    /// Everything.
    All,
}

/// Where (part of) a referential comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// What it vouches for.
    pub applies_to: SourceScope,
    /// Title of the document.
    pub title: String,
    /// Public address, empty when there is none.
    pub url: String,
    /// How sure.
    pub status: SourceStatus,
    /// Free note: what it is, what to check.
    pub note: String,
}

/// An evaluation criterion (critère d'évaluation) of a competency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    /// Code, unique in the referential, for example "C4.2".
    pub code: String,
    /// Wording, for example "Les informations nécessaires sont recueillies".
    pub title: String,
}

/// A competency (compétence) of a diploma.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Competency {
    /// Code, unique in the referential, for example "C4".
    pub code: String,
    /// Title, for example "Réaliser une installation de manière éco-responsable".
    pub title: String,
    /// Its evaluation criteria, in the referential's order.
    pub criteria: Vec<Criterion>,
}

/// A block of competencies (bloc de compétences), for referentials organised in blocks
/// (Bac Pro MCV, BTS MCO); used to filter the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Code, unique in the referential, for example "B1".
    pub code: String,
    /// Title, for example "Conseiller et vendre".
    pub title: String,
    /// Codes of its competencies, in the referential's order.
    pub competencies: Vec<String>,
}

/// A diploma's referential (référentiel du diplôme).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referential {
    /// Stable code, lowercase letters, digits and hyphens: "bacpro-melec".
    pub code: String,
    /// Full diploma name.
    pub diploma: String,
    /// Short name for lists: "Bac Pro MELEC".
    pub short_name: String,
    /// Level: cap, bac-pro, mc or bts.
    pub level: String,
    /// Where the content comes from.
    pub sources: Vec<Source>,
    /// Competencies, in the referential's order.
    pub competencies: Vec<Competency>,
    /// Blocks of competencies, when the diploma has them (empty otherwise).
    pub blocks: Vec<Block>,
}

/// A referential as stored before blocks existed (record version 1).
#[derive(Clone, Debug, Deserialize)]
pub struct ReferentialV1 {
    code: String,
    diploma: String,
    short_name: String,
    level: String,
    sources: Vec<Source>,
    competencies: Vec<Competency>,
}

impl From<ReferentialV1> for Referential {
    fn from(r: ReferentialV1) -> Self {
        Referential {
            code: r.code,
            diploma: r.diploma,
            short_name: r.short_name,
            level: r.level,
            sources: r.sources,
            competencies: r.competencies,
            blocks: Vec::new(),
        }
    }
}

impl Referential {
    /// The competency with this code.
    pub fn competency(&self, code: &str) -> Option<&Competency> {
        self.competencies.iter().find(|c| c.code == code)
    }

    /// The block with this code.
    pub fn block(&self, code: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.code == code)
    }

    /// The criterion with this code, with its competency.
    pub fn criterion(&self, code: &str) -> Option<(&Competency, &Criterion)> {
        self.competencies
            .iter()
            .find_map(|c| c.criteria.iter().find(|k| k.code == code).map(|k| (c, k)))
    }
}
