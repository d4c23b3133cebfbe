//! The ward snapshot as staff read it: the census of a ward and one patient's summary, made
//! from the copy of the hospital's FHIR resources (`hikae-sync::snapshot` reads them).
//!
//! Plain data: what the census screen, the patient summary and the paper pack show.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One inpatient of a ward as the copy knows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CensusRow {
    /// The server's Patient id (`Patient/<this>`).
    pub patient: String,
    /// The hospital's patient ID (the identifier in `[sync] patient_system`), if the server
    /// gave one.
    pub patient_id: Option<String>,
    pub name: String,
    /// Kana reading, if the server gave one.
    pub kana: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub birth_date: Option<NaiveDate>,
    /// Full years today (Japan time), when the birth date is known.
    pub age: Option<u32>,
    /// male / female / other / unknown, as FHIR has it.
    pub gender: Option<String>,
    pub ward: String,
    pub ward_name: Option<String>,
    pub bed: Option<String>,
    pub admitted: Option<String>,
    pub attending: Option<String>,
    /// Why the patient is in (入院理由): the stay's `Encounter.reasonCode`, as the EHR wrote it.
    pub reason: Option<String>,
    /// The department in charge (診療科): the stay's `Encounter.serviceType`.
    pub department: Option<String>,
    /// The chief complaint (主訴): what the stay's `Encounter.diagnosis` with use `CC` names.
    pub complaint: Option<String>,
    /// How many active allergies (0: none recorded, which is not "no allergies").
    pub allergies: usize,
    /// The newest `meta.lastUpdated` among this patient's resources in the copy.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_updated: Option<DateTime<Utc>>,
}

impl CensusRow {
    /// Full years on `today` (JST date).
    pub fn age_on(&self, today: NaiveDate) -> Option<u32> {
        let b = self.birth_date?;
        today.years_since(b)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SnapshotAllergy"))]
pub struct Allergy {
    pub text: String,
    /// low / high / unable-to-assess
    pub criticality: Option<String>,
    pub reaction: Option<String>,
    pub recorded: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SnapshotMedication"))]
pub struct Medication {
    pub text: String,
    /// The dosage as the server wrote it (`dosageInstruction[].text`, or built from its parts).
    pub dosage: Option<String>,
    pub route: Option<String>,
    pub since: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SnapshotProblem"))]
pub struct Problem {
    pub text: String,
    /// The first coding as the server coded it: system, code.
    pub system: Option<String>,
    pub code: Option<String>,
    pub onset: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SnapshotVital"))]
pub struct Vital {
    /// LOINC code, if the server coded it.
    pub code: Option<String>,
    pub label: String,
    pub value: String,
    pub unit: Option<String>,
    pub at: Option<String>,
}

/// A record written at another PC during a downtime and already on the FHIR server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SnapshotDocument"))]
pub struct DowntimeDocument {
    pub title: String,
    pub date: Option<String>,
    pub author: Option<String>,
    /// The text of the record (the plain-text attachment), if it came with one.
    pub text: Option<String>,
}

/// Everything the copy holds about one inpatient, allergies first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PatientSummary {
    pub row: CensusRow,
    /// "電子カルテの控え 11/22 03:10時点": the age of this patient's copy.
    pub as_of_label: String,
    pub allergies: Vec<Allergy>,
    pub medications: Vec<Medication>,
    pub problems: Vec<Problem>,
    /// The latest value of each vital sign.
    pub vitals: Vec<Vital>,
    pub documents: Vec<DowntimeDocument>,
}

/// How old the copy of one ward is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WardCopy {
    pub ward: String,
    pub name: Option<String>,
    /// When the last successful refresh started (data is at least this fresh).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub as_of: DateTime<Utc>,
    /// [`as_of_label`] of `as_of`.
    pub label: String,
    pub patients: usize,
}

/// The census screen: every ward's age and its patients, by ward then bed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Census {
    pub wards: Vec<WardCopy>,
    pub rows: Vec<CensusRow>,
}

/// "電子カルテの控え 11/22 03:10時点": the age line shown with every view of the copy.
pub fn as_of_label(as_of: DateTime<Utc>) -> String {
    let jst = as_of.with_timezone(&chrono_tz::Asia::Tokyo);
    format!("電子カルテの控え {}時点", jst.format("%m/%d %H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_age_line_is_in_japan_time() {
        let t = DateTime::parse_from_rfc3339("2026-11-21T18:10:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(as_of_label(t), "電子カルテの控え 11/22 03:10時点");
    }
}
