//! Placements (PFMP): a student's period in a company, with a tutor and a referent.

use super::ids::*;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A placement (PFMP, période de formation en milieu professionnel).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// Id.
    pub id: PlacementId,
    /// The student placed.
    pub student: StudentId,
    /// The host company.
    pub company: CompanyId,
    /// The tutor in that company.
    pub tutor: TutorId,
    /// The referent teacher.
    pub referent: TeacherId,
    /// First day (inclusive).
    pub start: Date,
    /// Last day (inclusive).
    pub end: Date,
    /// Planned objectives of the period (objectifs prévisionnels), one per line; the
    /// tutor reads them at the start of the period (spec, préambule).
    pub objectives: Vec<String>,
}

/// Where a placement stands relative to a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlacementPhase {
    /// Starts after that day.
    Upcoming,
    /// That day is between the first and the last day, both included.
    Running,
    /// Ended before that day.
    Finished,
}

impl Placement {
    /// The phase of the placement on `day`.
    pub fn phase(&self, day: Date) -> PlacementPhase {
        if day < self.start {
            PlacementPhase::Upcoming
        } else if day > self.end {
            PlacementPhase::Finished
        } else {
            PlacementPhase::Running
        }
    }

    /// Sort key putting, on `day`, running placements first, then upcoming ones (soonest
    /// first), then finished ones (most recent first): the order in which a tutor or a
    /// referent wants to see them.
    pub fn attention_order(&self, day: Date) -> (u8, i32) {
        let days = |d: Date| i32::from(d.year()) * 400 + i32::from(d.day_of_year());
        match self.phase(day) {
            PlacementPhase::Running => (0, days(self.end)),
            PlacementPhase::Upcoming => (1, days(self.start)),
            PlacementPhase::Finished => (2, -days(self.end)),
        }
    }

    /// True when `day` is between the first and the last day, both included.
    pub fn contains(&self, day: Date) -> bool {
        self.phase(day) == PlacementPhase::Running
    }
}

impl PlacementPhase {
    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            PlacementPhase::Upcoming => "à venir",
            PlacementPhase::Running => "en cours",
            PlacementPhase::Finished => "terminée",
        }
    }
}
