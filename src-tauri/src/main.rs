//! Hikae desktop shell (Tauri 2). Thin: each command calls `hikae::app` and returns plain data
//! or a `CmdError {code, message, fields}`. No domain logic lives here.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod error;
mod info;
mod printing;
mod procedures;
mod records;

use std::sync::{Mutex, MutexGuard};

use error::CmdError;

/// The one open Hikae (store + packs), shared by all commands.
pub struct AppState(Mutex<hikae::app::Hikae>);

impl AppState {
    pub fn lock(&self) -> Result<MutexGuard<'_, hikae::app::Hikae>, CmdError> {
        self.0.lock().map_err(|_| CmdError {
            code: "internal",
            message: "state lock poisoned".into(),
            fields: Vec::new(),
        })
    }
}

fn main() {
    // Forms need no GPU compositing. Without it WebKitGTK starts faster and its web process
    // uses less memory (docs/PERFORMANCE.md); HIKAE_GPU_COMPOSITING=1 turns it back on.
    if std::env::var_os("HIKAE_GPU_COMPOSITING").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    let dir = match std::env::var_os("HIKAE_DATA_DIR") {
        Some(d) => std::path::PathBuf::from(d),
        None => match hikae::app::default_data_dir() {
            Ok(d) => d,
            Err(e) => {
                eprintln!("hikae: {e}");
                std::process::exit(1);
            }
        },
    };
    let app = match hikae::app::Hikae::open(&dir) {
        Ok(a) => a,
        Err(e) => {
            // the store is refused (damaged, newer schema): say so and leave the data untouched
            eprintln!("hikae: {e}");
            std::process::exit(1);
        }
    };
    for w in &app.warnings {
        eprintln!("hikae: warning: {w}");
    }
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(AppState(Mutex::new(app)))
        .invoke_handler(tauri::generate_handler![
            info::app_info,
            info::list_templates,
            info::list_procedures,
            info::ui_ready,
            info::set_user,
            records::new_record,
            records::get_record,
            records::save_values,
            records::finalize_record,
            records::correct_record,
            records::preview_html,
            records::record_text,
            records::search_records,
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
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("hikae: the window could not start: {e}");
        std::process::exit(1);
    }
}
