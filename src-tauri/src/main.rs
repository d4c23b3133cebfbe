//! Hikae desktop shell (Tauri 2). Thin: each command calls `hikae_app::app` and returns plain data
//! or a `CmdError {code, message, fields}`. No domain logic lives here.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod acl;
mod audit;
mod continuity;
mod error;
mod fleet;
mod info;
mod printing;
mod procedures;
mod records;
mod session;
mod snapshot;
mod sync;
#[cfg(test)]
mod ts_types;

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard};

use error::CmdError;

/// The one Hikae of this window, shared by all commands. `None` while the encrypted data is
/// not unlocked yet (nobody has logged in since the app started).
pub struct AppState {
    pub data_dir: PathBuf,
    /// Set up (encrypted): the start screen asks for a login. False until the first-run setup.
    pub encrypted: AtomicBool,
    /// Started with `--demo`: fictional data, unencrypted, marked everywhere.
    pub demo: bool,
    app: Mutex<Option<hikae_app::Hikae>>,
    pub sync: sync::SyncRuns,
    pub snapshot: snapshot::SnapshotRuns,
    pub monitor: continuity::MonitorState,
}

/// The open Hikae, for as long as a command holds the lock.
pub struct AppGuard<'a>(MutexGuard<'a, Option<hikae_app::Hikae>>);

impl Deref for AppGuard<'_> {
    type Target = hikae_app::Hikae;
    fn deref(&self) -> &Self::Target {
        // `AppState::lock` only builds a guard around `Some`
        self.0.as_ref().expect("AppGuard holds an open Hikae")
    }
}

impl DerefMut for AppGuard<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0.as_mut().expect("AppGuard holds an open Hikae")
    }
}

impl AppState {
    pub fn is_encrypted(&self) -> bool {
        self.encrypted.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn slot(&self) -> Result<MutexGuard<'_, Option<hikae_app::Hikae>>, CmdError> {
        self.app.lock().map_err(|_| CmdError {
            code: error::INTERNAL,
            message: "state lock poisoned".into(),
            fields: Vec::new(),
        })
    }

    /// The open Hikae, or `locked` if nobody has logged in yet.
    pub fn lock(&self) -> Result<AppGuard<'_>, CmdError> {
        let guard = self.slot()?;
        if guard.is_none() {
            return Err(hikae_app::Error::Locked("log in first".into()).into());
        }
        Ok(AppGuard(guard))
    }
}

/// `--demo`: a folder that is not set up opens as a demo (fictional data only).
fn demo_flag() -> bool {
    std::env::args().skip(1).any(|a| a == "--demo")
}

/// `--data-dir DIR`, else HIKAE_DATA_DIR, else the per-user data folder.
fn data_dir() -> Result<PathBuf, String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--data-dir" {
            return args
                .next()
                .map(PathBuf::from)
                .ok_or("--data-dir needs a folder".into());
        }
    }
    match std::env::var_os("HIKAE_DATA_DIR") {
        Some(d) => Ok(PathBuf::from(d)),
        None => hikae_app::default_data_dir().map_err(|e| e.to_string()),
    }
}

fn main() {
    // Forms need no GPU compositing. Without it WebKitGTK starts faster and its web process
    // uses less memory (docs/PERFORMANCE.md); HIKAE_GPU_COMPOSITING=1 turns it back on.
    if std::env::var_os("HIKAE_GPU_COMPOSITING").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    let dir = match data_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("hikae: {e}");
            std::process::exit(1);
        }
    };
    use hikae_app::{Hikae, Installation};
    let demo = demo_flag();
    let installation = Hikae::installation(&dir);
    // encrypted data opens at the first login; a PC not set up shows the first-run setup;
    // only --demo opens a folder without encryption (fictional data, marked everywhere)
    let app = match installation {
        Installation::Encrypted => None,
        _ if demo => match Hikae::open_demo(&dir) {
            Ok(a) => {
                for w in &a.warnings {
                    eprintln!("hikae: warning: {w}");
                }
                eprintln!("hikae: demo mode — fictional data only, not encrypted");
                Some(a)
            }
            Err(e) => {
                // the store is refused (damaged, newer schema, not a demo): say so, touch nothing
                eprintln!("hikae: {e}");
                std::process::exit(1);
            }
        },
        Installation::Demo => {
            eprintln!("hikae: {} is a demo folder (fictional data, not encrypted): start with --demo to use it", dir.display());
            std::process::exit(1);
        }
        Installation::NotSetUp => None,
    };
    let encrypted = installation == Installation::Encrypted;
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(AppState {
            monitor: continuity::MonitorState::new(&dir),
            data_dir: dir,
            encrypted: AtomicBool::new(encrypted),
            demo,
            app: Mutex::new(app),
            sync: sync::SyncRuns::default(),
            snapshot: snapshot::SnapshotRuns::default(),
        })
        .setup(|app| {
            sync::start_background(app.handle().clone());
            snapshot::start_background(app.handle().clone());
            fleet::start_background(app.handle().clone());
            continuity::start_monitor(app.handle().clone());
            Ok(())
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { .. } = event {
                // a running sync finishes its request and stops; unsent records stay queued
                use tauri::Manager;
                window
                    .state::<AppState>()
                    .sync
                    .cancel
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .invoke_handler(tauri::generate_handler![
            info::app_info,
            info::list_templates,
            info::list_procedures,
            info::ui_ready,
            info::set_user,
            info::record_setting,
            session::setup_pc,
            session::login,
            session::break_glass,
            session::lock_screen,
            audit::audit_log,
            records::new_record,
            records::get_record,
            records::save_values,
            records::finalize_record,
            records::new_record_from_previous,
            records::confirm_carried,
            records::phrases,
            records::save_phrase,
            records::delete_phrase,
            records::correct_record,
            records::preview_html,
            records::record_text,
            records::search_records,
            records::recent_patients,
            printing::export_pdf,
            printing::export_batch_pdf,
            printing::list_printers,
            printing::print_records,
            procedures::open_checklist,
            procedures::start_checklist,
            procedures::tick_step,
            procedures::end_checklist,
            procedures::export_checklist_pdf,
            procedures::print_checklist,
            sync::sync_status,
            sync::sync_now,
            sync::sync_report,
            sync::export_sync_report,
            sync::print_sync_report,
            sync::map_patient,
            sync::resend_record,
            continuity::status,
            continuity::declare_downtime,
            continuity::end_downtime,
            continuity::list_downtimes,
            continuity::drill_scenarios,
            continuity::start_drill,
            continuity::end_drill,
            continuity::drill_report,
            continuity::list_drills,
            continuity::export_drill_report,
            continuity::print_drill_report,
            continuity::purge_drill,
            continuity::current_patients,
            continuity::export_print_pack,
            continuity::print_print_pack,
            snapshot::census,
            snapshot::patient_summary,
            snapshot::refresh_snapshot,
            fleet::heartbeat,
            fleet::fleet_status,
            fleet::channel_status,
            fleet::channel_update,
            snapshot::new_record_from_snapshot,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("hikae: the window could not start: {e}");
        std::process::exit(1);
    }
}
