//! Sync back: by hand (with progress), automatically when the configured FHIR server is
//! reachable, the reconciliation report, patient ID mapping and resending. The run lends the
//! data to the core only for its short store steps, so the screens stay usable meanwhile.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Manager, State};

use hikae_app::sync::{self, Outcome, Progress, Reconciliation};
use hikae_app::Hikae;
use hikae_app::OutboxCounts;

use crate::error::{CmdError, CmdResult};
use crate::printing::{write_pdf, Exported, Printed};
use crate::AppState;

/// One run at a time, cancellable at shutdown.
#[derive(Default)]
pub struct SyncRuns {
    running: AtomicBool,
    pub cancel: AtomicBool,
    last: Mutex<Option<Progress>>,
}

struct Host<'a>(&'a AppState);

impl sync::Host for Host<'_> {
    type Outbox = Hikae;
    fn with<R>(&self, f: impl FnOnce(&mut Hikae) -> hikae_app::Result<R>) -> hikae_app::Result<R> {
        let mut slot = self
            .0
            .slot()
            .map_err(|e| hikae_app::Error::Input(e.message))?;
        match slot.as_mut() {
            Some(app) => f(app),
            None => Err(hikae_app::Error::Locked("log in first".into())),
        }
    }
}

/// Runs a sync unless one is running; `progress` sees every step.
fn run(state: &AppState, mut progress: impl FnMut(&Progress)) -> CmdResult<Outcome> {
    if state.sync.running.swap(true, Ordering::SeqCst) {
        return Err(CmdError {
            code: crate::error::SYNC_RUNNING,
            message: "a sync is already running".into(),
            fields: Vec::new(),
        });
    }
    let result = (|| {
        let client = state.lock()?.sync_client()?;
        let out = sync::run(
            &Host(state),
            &client,
            &sync::Options::default(),
            &state.sync.cancel,
            |p| {
                if let Ok(mut last) = state.sync.last.lock() {
                    *last = Some(p.clone());
                }
                progress(p);
            },
        )?;
        Ok(out)
    })();
    state.sync.running.store(false, Ordering::SeqCst);
    result
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SyncStatus {
    /// The FHIR endpoint, if one is configured.
    pub endpoint: Option<String>,
    pub counts: OutboxCounts,
    pub running: bool,
    pub last: Option<Progress>,
}

#[tauri::command]
pub fn sync_status(state: State<AppState>) -> CmdResult<SyncStatus> {
    let app = state.lock()?;
    Ok(SyncStatus {
        endpoint: app.sync_config()?.endpoint,
        counts: app.sync_counts()?,
        running: state.sync.running.load(Ordering::SeqCst),
        last: state.sync.last.lock().ok().and_then(|l| l.clone()),
    })
}

/// Sync now, by hand; progress on `on_progress`.
#[tauri::command]
pub async fn sync_now(
    state: State<'_, AppState>,
    on_progress: Channel<Progress>,
) -> CmdResult<Outcome> {
    run(&state, |p| {
        let _ = on_progress.send(p.clone());
    })
}

#[tauri::command]
pub fn sync_report(state: State<AppState>) -> CmdResult<Reconciliation> {
    Ok(state.lock()?.reconciliation()?)
}

#[tauri::command]
pub fn export_sync_report(state: State<AppState>, path: String) -> CmdResult<Exported> {
    let pdf = state.lock()?.reconciliation_pdf()?;
    write_pdf(&state.data_dir, pdf, path)
}

#[tauri::command]
pub async fn print_sync_report(
    state: State<'_, AppState>,
    printer: String,
    copies: u32,
) -> CmdResult<Printed> {
    let pdf = state.lock()?.reconciliation_pdf()?;
    let job = hikae_app::print::print_pdf(&pdf.bytes, &printer, "Hikae 同期照合レポート", copies)?;
    Ok(Printed {
        job,
        pages: pdf.pages,
    })
}

#[tauri::command]
pub fn map_patient(
    state: State<AppState>,
    temporary_id: String,
    real_id: String,
    real_name: Option<String>,
) -> CmdResult<usize> {
    Ok(state
        .lock()?
        .map_patient(&temporary_id, &real_id, real_name.as_deref())?)
}

#[tauri::command]
pub fn resend_record(state: State<AppState>, id: String) -> CmdResult<()> {
    Ok(state.lock()?.resend(&id)?)
}

/// Checks every `[sync] check_interval_secs` whether records wait and the server answers, and
/// then syncs, telling the window (`sync-progress` events). Nothing happens without an
/// endpoint, while nobody is logged in, or while a run is going.
pub fn start_background(handle: AppHandle) {
    std::thread::spawn(move || loop {
        let state = handle.state::<AppState>();
        let interval = {
            let due = state.lock().ok().and_then(|app| {
                let cfg = app.sync_config().ok()?;
                let waiting = app.sync_counts().ok()?.sendable > 0;
                let client = if waiting && cfg.endpoint.is_some() {
                    app.sync_client().ok()
                } else {
                    None
                };
                Some((cfg.check_interval_secs.max(5), client))
            });
            match due {
                Some((secs, Some(client))) if !state.sync.running.load(Ordering::SeqCst) => {
                    // probe without holding the data
                    if client.reachable().is_ok() {
                        let h = handle.clone();
                        let _ = run(&state, |p| {
                            let _ = h.emit("sync-progress", p.clone());
                        });
                    }
                    secs
                }
                Some((secs, _)) => secs,
                None => 30,
            }
        };
        if state.sync.cancel.load(Ordering::Relaxed) {
            break;
        }
        std::thread::sleep(Duration::from_secs(interval));
    });
}
