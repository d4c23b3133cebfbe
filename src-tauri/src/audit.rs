//! The administrator's review of the audit log: filtered entries, and the chain check.

use serde::Serialize;
use tauri::State;

use hikae_app::audit::{Action, Entry};
use hikae_app::record::jst;
use hikae_app::AuditQuery;

use crate::error::CmdResult;
use crate::AppState;

/// An entry as stored, plus its time as staff read it.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "AuditEntryView"))]
pub struct EntryView {
    #[serde(flatten)]
    pub entry: Entry,
    pub at_jst: String,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AuditView {
    pub entries: Vec<EntryView>,
    /// What the chain check found over the whole log (empty: intact).
    pub findings: Vec<String>,
    pub total: usize,
}

#[tauri::command]
pub fn audit_log(
    state: State<AppState>,
    actor: Option<String>,
    record: Option<String>,
    action: Option<String>,
    break_glass_only: bool,
) -> CmdResult<AuditView> {
    let app = state.lock()?;
    let check = app.audit_check()?;
    let findings = check.findings.iter().map(ToString::to_string).collect();
    let q = AuditQuery {
        actor: actor.filter(|s| !s.trim().is_empty()),
        record_id: record.filter(|s| !s.trim().is_empty()),
        action: action.as_deref().and_then(Action::parse),
        break_glass_only,
        limit: Some(500),
    };
    let entries = app
        .audit_entries(&q)?
        .into_iter()
        .rev()
        .map(|e| EntryView {
            at_jst: format!(
                "{} {}",
                jst(e.at).split(' ').next().unwrap_or_default(),
                hikae_app::record::jst_clock(e.at)
            ),
            entry: e,
        })
        .collect();
    Ok(AuditView {
        entries,
        findings,
        total: check.entries.len(),
    })
}
