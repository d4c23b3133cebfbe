//! Downtime procedures: role-based checklists that a pack ships (AI outage, auth outage,
//! full EHR outage, recovery, suspected ransomware), and the contact sheet their steps point
//! to. Plain data loaded by `pack`; ticking steps is recorded elsewhere.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::form::L10n;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "StepRole"))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Nurse,
    ChargeNurse,
    Doctor,
    Clerk,
    It,
}

impl Role {
    pub fn label_ja(self) -> &'static str {
        match self {
            Role::Nurse => "看護師",
            Role::ChargeNurse => "リーダー・管理者看護師",
            Role::Doctor => "医師",
            Role::Clerk => "医療クラーク・事務",
            Role::It => "情報システム担当",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    pub id: String,
    pub title: L10n,
    pub summary: L10n,
    /// Guidelines the steps follow (e.g. MHLW guideline 6.0, ONC SAFER).
    #[serde(default)]
    pub basis: Vec<String>,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub role: Role,
    pub text: L10n,
    /// Id of a contact in `procedures/contacts.toml`.
    #[serde(default)]
    pub contact: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub id: String,
    pub label: L10n,
    /// Editable by the administrator, e.g. "内線 1234（夜間：5678）".
    pub value: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSheet {
    #[serde(default, rename = "contact")]
    pub contacts: Vec<Contact>,
}

impl Procedure {
    /// Problems with the definition (unknown contacts, empty steps).
    pub fn problems(&self, contacts: &ContactSheet) -> Vec<String> {
        let mut out = Vec::new();
        if self.steps.is_empty() {
            out.push("has no [[step]]".to_string());
        }
        for (i, s) in self.steps.iter().enumerate() {
            if s.text.ja.trim().is_empty() {
                out.push(format!("step {}: text.ja is empty", i + 1));
            }
            if let Some(c) = &s.contact {
                if !contacts.contacts.iter().any(|k| &k.id == c) {
                    out.push(format!(
                        "step {}: contact '{c}' is not in procedures/contacts.toml",
                        i + 1
                    ));
                }
            }
        }
        out
    }
}

/// One working-through of a procedure's checklist.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistRun {
    pub id: String,
    pub procedure_id: String,
    /// The pack version whose steps were shown (step numbers refer to it).
    pub pack_id: String,
    pub pack_version: String,
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    /// Every tick and untick, oldest first.
    pub ticks: Vec<Tick>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    /// Index of the step in the procedure (0-based).
    pub step: usize,
    /// The step's Japanese text when it was ticked, so the log reads on its own.
    pub step_text: String,
    pub done: bool,
    pub by: String,
    pub at: DateTime<Utc>,
}

impl ChecklistRun {
    /// The latest tick of a step, if it was ever touched.
    pub fn step_state(&self, step: usize) -> Option<&Tick> {
        self.ticks.iter().rev().find(|t| t.step == step)
    }

    /// Steps whose latest tick is "done".
    pub fn done_steps(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self.ticks.iter().map(|t| t.step).collect();
        out.sort_unstable();
        out.dedup();
        out.retain(|s| self.step_state(*s).is_some_and(|t| t.done));
        out
    }
}
