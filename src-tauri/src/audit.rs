//! The administrator's review of the audit log: filtered entries, and the chain check.

use serde::Serialize;
use tauri::State;

use hikae::audit::{verify, Action};
use hikae::auth::session::Permission;
use hikae::record::jst;
use hikae::store::AuditQuery;

use crate::error::CmdResult;
use crate::AppState;

#[derive(Serialize)]
pub struct EntryView {
    pub seq: i64,
    pub at_jst: String,
    pub action: &'static str,
    pub success: bool,
    pub actor_id: String,
    pub actor_name: String,
    pub role: Option<String>,
    pub break_glass: bool,
    pub record_id: Option<String>,
    pub patient_id: Option<String>,
    pub purpose: Option<String>,
    pub data_category: Option<String>,
    pub final_reviewer: Option<String>,
    pub detail: Option<String>,
}

#[derive(Serialize)]
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
    app.require(Permission::ReviewAudit)?;
    let all = app.store.audit_entries(&AuditQuery::default())?;
    let findings = verify(&all, app.store.audit_anchor()?)
        .iter()
        .map(ToString::to_string)
        .collect();
    let q = AuditQuery {
        actor: actor.filter(|s| !s.trim().is_empty()),
        record_id: record.filter(|s| !s.trim().is_empty()),
        action: action.as_deref().and_then(Action::parse),
        break_glass_only,
        limit: Some(500),
    };
    let entries = app
        .store
        .audit_entries(&q)?
        .into_iter()
        .rev()
        .map(|e| EntryView {
            seq: e.seq,
            at_jst: format!(
                "{} {}",
                jst(e.at).split(' ').next().unwrap_or_default(),
                hikae::record::jst_clock(e.at)
            ),
            action: e.event.action.as_str(),
            success: e.event.success,
            actor_id: e.event.actor.id,
            actor_name: e.event.actor.name,
            role: e.event.actor.role,
            break_glass: e.event.actor.break_glass,
            record_id: e.event.record_id,
            patient_id: e.event.patient_id,
            purpose: e.event.purpose,
            data_category: e.event.data_category,
            final_reviewer: e.event.final_reviewer,
            detail: e.event.detail,
        })
        .collect();
    Ok(AuditView {
        entries,
        findings,
        total: all.len(),
    })
}
