//! Downtime as a state of the window: the status monitor (background probes of configured
//! services, `status` events), declaring and ending a downtime, drills, and the print pack.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Manager, State};

use hikae_app::audit::Action;
use hikae_app::config::TlsConfig;
use hikae_app::downtime::{Downtime, Scope, ServiceKind};
use hikae_app::drill::{Report, Scenario, Summary};
use hikae_app::monitor::{self, Monitor, ServiceStatus, Suggestion};
use hikae_app::record::{jst, Patient};
use hikae_app::{BatchProgress, PrintPackRequest};

use crate::error::CmdResult;
use crate::printing::{write_pdf, Exported, Printed};
use crate::AppState;

/// The probes' state, shared by the background thread and the commands, and the TLS
/// settings they probe with (config.toml is read once, at start).
pub struct MonitorState {
    monitor: Mutex<Option<Monitor>>,
    tls: TlsConfig,
}

impl MonitorState {
    pub fn new(data_dir: &std::path::Path) -> MonitorState {
        // a broken config.toml is reported where it is used (sync, roster); here it only
        // means nothing is probed
        let cfg = hikae_app::config::load(data_dir).ok();
        MonitorState {
            monitor: Mutex::new(cfg.as_ref().map(Monitor::new)),
            tls: cfg.map(|c| c.tls).unwrap_or_default(),
        }
    }
}

#[derive(Serialize, Clone)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "Downtime"))]
pub struct DowntimeView {
    #[serde(flatten)]
    pub downtime: Downtime,
    pub started_jst: String,
    pub ended_jst: Option<String>,
}

impl From<Downtime> for DowntimeView {
    fn from(d: Downtime) -> Self {
        DowntimeView {
            started_jst: jst(d.started_at),
            ended_jst: d.ended_at.map(jst),
            downtime: d,
        }
    }
}

#[derive(Serialize, Clone)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StatusView {
    pub services: Vec<ServiceStatus>,
    pub downtime: Option<DowntimeView>,
    pub drill: Option<Report>,
    pub suggestion: Option<Suggestion>,
}

/// What the status line shows. Downtime and drill need the data open (after a login).
pub fn status_view(state: &AppState) -> StatusView {
    let (downtime, drill) = match state.slot() {
        Ok(slot) => match slot.as_ref() {
            Some(app) => (
                app.active_downtime().ok().flatten(),
                app.running_drill().ok().flatten(),
            ),
            None => (None, None),
        },
        Err(_) => (None, None),
    };
    let (services, suggestion) = match state.monitor.monitor.lock() {
        Ok(m) => match m.as_ref() {
            Some(m) => (m.statuses(), m.suggestion(downtime.as_ref())),
            None => (Vec::new(), None),
        },
        Err(_) => (Vec::new(), None),
    };
    StatusView {
        services,
        downtime: downtime.map(Into::into),
        drill,
        suggestion,
    }
}

fn announce(handle: &AppHandle) {
    let state = handle.state::<AppState>();
    let _ = handle.emit("status", status_view(&state));
}

/// Probes the configured services in the background (never while holding the data), and
/// emits `status` when a state changes.
pub fn start_monitor(handle: AppHandle) {
    std::thread::spawn(move || loop {
        let state = handle.state::<AppState>();
        if state.sync.cancel.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let shared = &state.monitor;
        let (due, timeout) = match shared.monitor.lock() {
            Ok(m) => match m.as_ref() {
                Some(m) if !m.is_empty() => (m.due(Instant::now()), m.timeout()),
                _ => break, // nothing configured (or config.toml unreadable): nothing to probe
            },
            Err(_) => break,
        };
        if !due.is_empty() {
            // the network is waited for with the monitor unlocked
            let probes = monitor::probe_each(&due, &shared.tls, timeout);
            let changed = match shared.monitor.lock() {
                Ok(mut m) => m.as_mut().is_some_and(|m| m.observe_all(probes)),
                Err(_) => break,
            };
            if changed {
                announce(&handle);
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    });
}

#[tauri::command]
pub fn status(state: State<AppState>) -> CmdResult<StatusView> {
    Ok(status_view(&state))
}

#[tauri::command]
pub fn declare_downtime(
    handle: AppHandle,
    state: State<AppState>,
    services: Vec<ServiceKind>,
    scope: String,
    reason: String,
) -> CmdResult<DowntimeView> {
    let d = state
        .lock()?
        .declare_downtime(&services, Scope::parse(&scope)?, &reason)?;
    announce(&handle);
    Ok(d.into())
}

#[tauri::command]
pub fn end_downtime(
    handle: AppHandle,
    state: State<AppState>,
    note: String,
) -> CmdResult<DowntimeView> {
    let d = state.lock()?.end_downtime(&note)?;
    announce(&handle);
    Ok(d.into())
}

#[tauri::command]
pub fn list_downtimes(state: State<AppState>) -> CmdResult<Vec<DowntimeView>> {
    Ok(state
        .lock()?
        .downtimes()?
        .into_iter()
        .map(Into::into)
        .collect())
}

#[tauri::command]
pub fn drill_scenarios(state: State<AppState>) -> CmdResult<Vec<Scenario>> {
    Ok(state.lock()?.scenarios())
}

#[tauri::command]
pub fn start_drill(
    handle: AppHandle,
    state: State<AppState>,
    scenario_id: String,
) -> CmdResult<Report> {
    let r = state.lock()?.start_drill(&scenario_id)?;
    announce(&handle);
    Ok(r)
}

#[tauri::command]
pub fn end_drill(
    handle: AppHandle,
    state: State<AppState>,
    participants: Vec<String>,
    notes: String,
    findings: String,
    actions: String,
) -> CmdResult<Report> {
    let r = state
        .lock()?
        .end_drill(&participants, &notes, &findings, &actions)?;
    announce(&handle);
    Ok(r)
}

#[tauri::command]
pub fn drill_report(state: State<AppState>, id: String) -> CmdResult<Report> {
    Ok(state.lock()?.drill_report(&id)?)
}

#[tauri::command]
pub fn list_drills(state: State<AppState>) -> CmdResult<Vec<Summary>> {
    Ok(state.lock()?.drills()?)
}

#[tauri::command]
pub fn export_drill_report(
    state: State<AppState>,
    id: String,
    path: String,
) -> CmdResult<Exported> {
    let pdf = state.lock()?.drill_report_pdf(&id)?;
    write_pdf(&state.data_dir, pdf, path)
}

#[tauri::command]
pub async fn print_drill_report(
    state: State<'_, AppState>,
    id: String,
    printer: String,
    copies: u32,
) -> CmdResult<Printed> {
    let pdf = state.lock()?.drill_report_pdf(&id)?;
    let job = hikae_app::print::print_pdf(
        &pdf.bytes,
        &printer,
        &format!("Hikae 訓練報告 {id}"),
        copies,
    )?;
    Ok(Printed {
        job,
        pages: pdf.pages,
    })
}

#[tauri::command]
pub fn purge_drill(state: State<AppState>, id: String) -> CmdResult<usize> {
    Ok(state.lock()?.purge_drill(&id)?)
}

/// The print pack's default list: the ward snapshot's census, else patients of recent
/// records.
#[tauri::command]
pub fn current_patients(state: State<AppState>) -> CmdResult<Vec<Patient>> {
    Ok(state.lock()?.pack_patients(hikae_app::MAX_PACK_PATIENTS)?)
}

fn pack_pdf(
    state: &AppState,
    request: &PrintPackRequest,
    how: Action,
    detail: &str,
    on_progress: &Channel<BatchProgress>,
) -> CmdResult<hikae_app::Pdf> {
    Ok(state
        .lock()?
        .print_pack(request, how, detail, &mut |done, total| {
            let _ = on_progress.send(BatchProgress { done, total });
        })?)
}

#[tauri::command]
pub async fn export_print_pack(
    state: State<'_, AppState>,
    request: PrintPackRequest,
    path: String,
    on_progress: Channel<BatchProgress>,
) -> CmdResult<Exported> {
    let pdf = pack_pdf(
        &state,
        &request,
        Action::Export,
        &format!("pdf {path}"),
        &on_progress,
    )?;
    write_pdf(&state.data_dir, pdf, path)
}

#[tauri::command]
pub async fn print_print_pack(
    state: State<'_, AppState>,
    request: PrintPackRequest,
    printer: String,
    copies: u32,
    on_progress: Channel<BatchProgress>,
) -> CmdResult<Printed> {
    let detail = format!("printer {printer}, {copies} copies");
    let pdf = pack_pdf(&state, &request, Action::Print, &detail, &on_progress)?;
    let job = hikae_app::print::print_pdf(&pdf.bytes, &printer, "Hikae 紙運用セット", copies)?;
    Ok(Printed {
        job,
        pages: pdf.pages,
    })
}

/// A back-entered paper record: when it was written (as typed) and by whom.
#[derive(Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "PaperEntry"))]
#[serde(rename_all = "camelCase")]
pub struct PaperArg {
    pub written_at: String,
    pub author: String,
}
