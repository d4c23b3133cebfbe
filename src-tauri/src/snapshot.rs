//! The ward snapshot: the census, a patient's summary, refreshing now, and refreshing in the
//! background every `[snapshot] refresh_minutes` while someone is logged in. A refresh holds
//! the data only for its two short store steps, never while it waits on the network.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tauri::{AppHandle, Emitter, Manager, State};

use hikae_app::snapshot::Refreshed;
use hikae_app::{Census, PatientSummary};

use crate::error::{CmdError, CmdResult};
use crate::AppState;

/// One refresh at a time.
#[derive(Default)]
pub struct SnapshotRuns {
    running: AtomicBool,
}

fn refresh(state: &AppState) -> CmdResult<Refreshed> {
    if state.snapshot.running.swap(true, Ordering::SeqCst) {
        return Err(CmdError {
            code: crate::error::SYNC_RUNNING,
            message: "a snapshot refresh is already running".into(),
            fields: Vec::new(),
        });
    }
    let result = (|| {
        let (cfg, client, system, known) = {
            let mut app = state.lock()?;
            (
                app.snapshot_config()?,
                app.sync_client()?,
                app.sync_config()?.patient_system,
                app.snapshot_known()?,
            )
        };
        let t = Instant::now();
        let fetched = hikae_app::snapshot::fetch(&client, &cfg, &system, &known);
        let mut app = state.lock()?;
        match fetched {
            Ok(f) => Ok(app.snapshot_apply(f, t.elapsed().as_millis() as u64)?),
            Err(e) => {
                app.snapshot_failed(&e)?;
                Err(e.into())
            }
        }
    })();
    state.snapshot.running.store(false, Ordering::SeqCst);
    result
}

/// Every patient in the copy, by ward and bed, with each ward's age (audited as a view).
#[tauri::command]
pub fn census(state: State<AppState>) -> CmdResult<Census> {
    Ok(state.lock()?.census()?)
}

/// One patient's summary from the copy (audited as a view of that patient).
#[tauri::command]
pub fn patient_summary(state: State<AppState>, patient: String) -> CmdResult<PatientSummary> {
    Ok(state.lock()?.patient_summary(&patient)?)
}

/// A new record for a census patient, filled from the copy as the template maps it.
#[tauri::command]
pub fn new_record_from_snapshot(
    state: State<AppState>,
    template_id: String,
    patient: String,
    author: String,
) -> CmdResult<crate::records::RecordView> {
    let mut app = state.lock()?;
    let rec = app.new_record_from_snapshot(&template_id, &patient, &author)?;
    crate::records::view(&app, rec)
}

/// Refresh the copy now.
#[tauri::command]
pub async fn refresh_snapshot(state: State<'_, AppState>) -> CmdResult<Refreshed> {
    refresh(&state)
}

/// Refreshes every `refresh_minutes` while someone is logged in, wards are configured and the
/// server answers; emits `snapshot-refreshed` after each.
pub fn start_background(handle: AppHandle) {
    std::thread::spawn(move || loop {
        let state = handle.state::<AppState>();
        let due = state.lock().ok().and_then(|app| {
            let cfg = app.snapshot_config().ok()?;
            let endpoint = app.sync_config().ok()?.endpoint;
            (!cfg.wards.is_empty() && endpoint.is_some()).then_some(cfg.refresh_minutes)
        });
        let minutes = match due {
            Some(m) => {
                if let Ok(r) = refresh(&state) {
                    let _ = handle.emit("snapshot-refreshed", r);
                }
                m
            }
            None => 1,
        };
        if state.sync.cancel.load(Ordering::Relaxed) {
            break;
        }
        std::thread::sleep(Duration::from_secs(minutes * 60));
    });
}
