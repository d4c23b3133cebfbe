//! Continuity drills: scenarios (from the pack), the timings a drill produces (computed from
//! the audit log and the checklist runs, never typed), and the drill report with its
//! timeline chart. Pure functions over data the app gathers; nothing here touches the store.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::{Action, Entry};
use crate::downtime::ServiceKind;
use crate::form::L10n;
use crate::procedure::ChecklistRun;
use crate::procedure::Procedure;
use crate::record::jst;

/// A drill scenario: what is down, for how long, which procedures the ward should work
/// through and how fast (minutes from the start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub title: L10n,
    pub description: L10n,
    pub services: Vec<ServiceKind>,
    /// The outage the scenario plays out, in hours.
    pub hours: f32,
    /// Procedure ids expected to be worked through.
    #[serde(default)]
    pub procedures: Vec<String>,
    #[serde(default)]
    pub targets: Targets,
}

/// Target minutes from the drill's start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub first_login: Option<f32>,
    pub first_record: Option<f32>,
    pub first_finalized: Option<f32>,
    pub first_printed: Option<f32>,
    pub procedures_done: Option<f32>,
}

/// `procedures/drills.toml` of a pack.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenarios {
    #[serde(default, rename = "scenario")]
    pub scenarios: Vec<Scenario>,
}

impl Scenario {
    /// Problems with the definition (unknown procedures, bad numbers).
    pub fn problems(&self, procedures: &[Procedure]) -> Vec<String> {
        let mut out = Vec::new();
        let at = format!("scenario '{}'", self.id);
        if self.id.trim().is_empty() {
            out.push("a scenario has an empty id".to_string());
        }
        if self.title.ja.trim().is_empty() {
            out.push(format!("{at}: title.ja is empty"));
        }
        if self.services.is_empty() {
            out.push(format!(
                "{at}: services is empty (which services are down?)"
            ));
        }
        if !(self.hours > 0.0 && self.hours <= 72.0) {
            out.push(format!(
                "{at}: hours = {} (expected more than 0, at most 72)",
                self.hours
            ));
        }
        for p in &self.procedures {
            if !procedures.iter().any(|q| &q.id == p) {
                out.push(format!("{at}: procedure '{p}' is not in this pack"));
            }
        }
        let t = &self.targets;
        for (name, v) in [
            ("first_login", t.first_login),
            ("first_record", t.first_record),
            ("first_finalized", t.first_finalized),
            ("first_printed", t.first_printed),
            ("procedures_done", t.procedures_done),
        ] {
            if let Some(v) = v {
                if !(v > 0.0 && v <= 72.0 * 60.0) {
                    out.push(format!("{at}: targets.{name} = {v} (minutes, more than 0)"));
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MilestoneKey {
    FirstLogin,
    FirstRecord,
    FirstFinalized,
    FirstPrinted,
    ProceduresDone,
}

impl MilestoneKey {
    pub fn label_ja(self) -> &'static str {
        match self {
            MilestoneKey::FirstLogin => "最初のログイン",
            MilestoneKey::FirstRecord => "最初の記録作成",
            MilestoneKey::FirstFinalized => "最初の記録確定",
            MilestoneKey::FirstPrinted => "最初の印刷・PDF出力",
            MilestoneKey::ProceduresDone => "想定手順の完了",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Milestone {
    pub key: MilestoneKey,
    pub label: String,
    pub at: Option<DateTime<Utc>>,
    pub at_jst: Option<String>,
    /// Minutes from the drill's start, one decimal.
    pub minutes: Option<f32>,
    pub target: Option<f32>,
    /// Whether the target was met (None: no target, or it did not happen).
    pub met: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepTiming {
    pub procedure_id: String,
    pub procedure_title: String,
    /// 1-based, as printed on the checklist.
    pub step: usize,
    pub text: String,
    pub by: String,
    pub at_jst: String,
    pub minutes: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MissedStep {
    pub procedure_id: String,
    pub procedure_title: String,
    pub step: usize,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "DrillRecordCounts"))]
pub struct RecordCounts {
    pub created: usize,
    pub finalized: usize,
    /// Records printed or saved as PDF at least once.
    pub printed: usize,
}

/// A drill's report: live while it runs, frozen when it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "DrillReport"))]
pub struct Report {
    pub id: String,
    pub scenario: Scenario,
    pub started_at: DateTime<Utc>,
    pub started_jst: String,
    pub started_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_jst: Option<String>,
    pub ended_by: Option<String>,
    pub elapsed_min: f32,
    pub participants: Vec<String>,
    pub notes: String,
    pub findings: String,
    pub actions: String,
    pub milestones: Vec<Milestone>,
    pub steps: Vec<StepTiming>,
    pub missed: Vec<MissedStep>,
    pub records: RecordCounts,
    pub purged_jst: Option<String>,
    pub purged_records: Option<i64>,
}

/// What happened during a drill, as the app gathered it.
pub struct Facts<'a> {
    pub id: &'a str,
    pub started_at: DateTime<Utc>,
    pub started_by: &'a str,
    /// The end, or now for a running drill.
    pub until: DateTime<Utc>,
    /// Audit entries from the drill's start on.
    pub entries: &'a [Entry],
    /// Records made in the drill: (id, finalized).
    pub records: &'a [(String, bool)],
    /// Checklist runs (any; those started within the drill count).
    pub runs: &'a [ChecklistRun],
    pub procedures: &'a [Procedure],
}

fn exact_minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> f32 {
    (to - from).num_milliseconds() as f32 / 60000.0
}

/// Minutes with one decimal, as shown.
fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> f32 {
    (exact_minutes(from, to) * 10.0).round() / 10.0
}

/// Computes the timings of a drill.
pub fn compute(scenario: &Scenario, f: &Facts) -> Report {
    let within: Vec<&Entry> = f
        .entries
        .iter()
        // the entries start at the drill's own drill_start entry
        .filter(|e| e.at <= f.until && e.event.success)
        .collect();
    let ids: HashSet<&str> = f.records.iter().map(|(id, _)| id.as_str()).collect();
    let on_drill_record = |e: &Entry| {
        e.event
            .record_id
            .as_deref()
            .is_some_and(|r| ids.contains(r))
    };
    let first = |pred: &dyn Fn(&Entry) -> bool| within.iter().find(|e| pred(e)).map(|e| e.at);

    let first_login = first(&|e| matches!(e.event.action, Action::Login | Action::BreakGlass));
    let first_record = first(&|e| e.event.action == Action::Create && on_drill_record(e));
    let first_final = first(&|e| e.event.action == Action::Finalize && on_drill_record(e));
    let first_print =
        first(&|e| matches!(e.event.action, Action::Print | Action::Export) && on_drill_record(e));
    let printed: HashSet<&str> = within
        .iter()
        .filter(|e| matches!(e.event.action, Action::Print | Action::Export))
        .filter_map(|e| e.event.record_id.as_deref())
        .filter(|r| ids.contains(r))
        .collect();

    // the first time each step of each procedure was (and stayed) done within the drill
    let mut done: BTreeMap<(String, usize), (DateTime<Utc>, String)> = BTreeMap::new();
    for run in f
        .runs
        .iter()
        .filter(|r| r.started_at >= f.started_at && r.started_at <= f.until)
    {
        for step in run.done_steps() {
            if let Some(t) = run.step_state(step).filter(|t| t.at <= f.until) {
                let key = (run.procedure_id.clone(), step);
                if done.get(&key).is_none_or(|(at, _)| t.at < *at) {
                    done.insert(key, (t.at, t.by.clone()));
                }
            }
        }
    }
    let proc_of = |id: &str| f.procedures.iter().find(|p| p.id == id);
    let title_of = |id: &str| proc_of(id).map_or(id.to_string(), |p| p.title.ja.clone());
    let step_text = |id: &str, i: usize| {
        proc_of(id)
            .and_then(|p| p.steps.get(i))
            .map_or(String::new(), |s| s.text.ja.clone())
    };
    let mut steps: Vec<StepTiming> = done
        .iter()
        .map(|((pid, i), (at, by))| StepTiming {
            procedure_id: pid.clone(),
            procedure_title: title_of(pid),
            step: i + 1,
            text: step_text(pid, *i),
            by: by.clone(),
            at_jst: jst(*at),
            minutes: minutes(f.started_at, *at),
        })
        .collect();
    steps.sort_by(|a, b| a.minutes.total_cmp(&b.minutes));
    let mut missed = Vec::new();
    let mut all_done: Option<DateTime<Utc>> = None;
    let mut complete = !scenario.procedures.is_empty();
    for pid in &scenario.procedures {
        let n = proc_of(pid).map_or(0, |p| p.steps.len());
        for i in 0..n {
            match done.get(&(pid.clone(), i)) {
                Some((at, _)) => all_done = Some(all_done.map_or(*at, |a| a.max(*at))),
                None => {
                    complete = false;
                    missed.push(MissedStep {
                        procedure_id: pid.clone(),
                        procedure_title: title_of(pid),
                        step: i + 1,
                        text: step_text(pid, i),
                    })
                }
            }
        }
    }
    let procedures_done = if complete { all_done } else { None };

    let t = &scenario.targets;
    let milestones = [
        (MilestoneKey::FirstLogin, first_login, t.first_login),
        (MilestoneKey::FirstRecord, first_record, t.first_record),
        (MilestoneKey::FirstFinalized, first_final, t.first_finalized),
        (MilestoneKey::FirstPrinted, first_print, t.first_printed),
        (
            MilestoneKey::ProceduresDone,
            procedures_done,
            t.procedures_done,
        ),
    ]
    .into_iter()
    .map(|(key, at, target)| {
        let m = at.map(|a| minutes(f.started_at, a));
        Milestone {
            key,
            label: key.label_ja().to_string(),
            at,
            at_jst: at.map(jst),
            minutes: m,
            target,
            met: at
                .zip(target)
                .map(|(a, t)| exact_minutes(f.started_at, a) <= t),
        }
    })
    .collect();

    let mut participants: Vec<String> = Vec::new();
    for e in &within {
        let name = e.event.actor.name.trim();
        if !name.is_empty() && !participants.iter().any(|p| p == name) {
            participants.push(name.to_string());
        }
    }
    Report {
        id: f.id.to_string(),
        scenario: scenario.clone(),
        started_at: f.started_at,
        started_jst: jst(f.started_at),
        started_by: f.started_by.to_string(),
        ended_at: None,
        ended_jst: None,
        ended_by: None,
        elapsed_min: minutes(f.started_at, f.until),
        participants,
        notes: String::new(),
        findings: String::new(),
        actions: String::new(),
        milestones,
        steps,
        missed,
        records: RecordCounts {
            created: f.records.len(),
            finalized: f.records.iter().filter(|(_, fin)| *fin).count(),
            printed: printed.len(),
        },
        purged_jst: None,
        purged_records: None,
    }
}

/// A drill id from its start: `DR-20261122-140512` (Japan time).
pub fn new_id(at: DateTime<Utc>) -> String {
    format!(
        "DR-{}",
        at.with_timezone(&chrono_tz::Asia::Tokyo)
            .format("%Y%m%d-%H%M%S")
    )
}

/// One line per past drill: the key times, so a ward sees whether it gets faster.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "DrillSummary"))]
pub struct Summary {
    pub id: String,
    pub scenario_title: String,
    pub started_jst: String,
    pub ended_jst: Option<String>,
    pub first_record_min: Option<f32>,
    pub first_finalized_min: Option<f32>,
    pub first_printed_min: Option<f32>,
    pub missed: usize,
    pub purged: bool,
}

impl Report {
    pub fn summary(&self) -> Summary {
        let at = |k: MilestoneKey| {
            self.milestones
                .iter()
                .find(|m| m.key == k)
                .and_then(|m| m.minutes)
        };
        Summary {
            id: self.id.clone(),
            scenario_title: self.scenario.title.ja.clone(),
            started_jst: self.started_jst.clone(),
            ended_jst: self.ended_jst.clone(),
            first_record_min: at(MilestoneKey::FirstRecord),
            first_finalized_min: at(MilestoneKey::FirstFinalized),
            first_printed_min: at(MilestoneKey::FirstPrinted),
            missed: self.missed.len(),
            purged: self.purged_jst.is_some(),
        }
    }
}
