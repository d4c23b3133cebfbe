//! Commands for paper: save one or many records as a PDF where the person chose, print them
//! straight to a CUPS printer, with progress for long batches.

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use hikae_app::audit::Action;
use hikae_app::print::Printer;
use hikae_app::BatchProgress;
use hikae_app::Pdf;

use crate::error::CmdResult;
use crate::AppState;

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Exported {
    pub path: String,
    pub pages: usize,
    pub bytes: usize,
    /// Characters printed as 〓 because the font lacks them.
    pub substituted: Vec<char>,
}

/// The file appears whole or not at all (temporary file in the same folder, then rename),
/// owner-only, never inside the data folder; nothing else is written.
pub fn write_pdf(data_dir: &std::path::Path, pdf: Pdf, path: String) -> CmdResult<Exported> {
    hikae_app::export_file(Some(data_dir), std::path::Path::new(&path), &pdf.bytes)?;
    Ok(Exported {
        path,
        pages: pdf.pages,
        bytes: pdf.bytes.len(),
        substituted: pdf.substituted,
    })
}

/// Writes one record's PDF to the path chosen in the save dialog.
#[tauri::command]
pub fn export_pdf(state: State<AppState>, id: String, path: String) -> CmdResult<Exported> {
    let mut app = state.lock()?;
    app.audit_output(&id, Action::Export, &format!("pdf {path}"))?;
    let pdf = app.pdf(&id)?;
    write_pdf(&state.data_dir, pdf, path)
}

/// Renders `ids` into one PDF with progress, logging each record as it leaves (`action`).
fn batch(
    state: &AppState,
    ids: &[String],
    on_progress: &Channel<BatchProgress>,
    action: Action,
    detail: &str,
) -> CmdResult<Pdf> {
    let mut app = state.lock()?;
    let pdf = app.pdf_many(ids, &mut |p| {
        let _ = on_progress.send(p);
    })?;
    for id in ids {
        app.audit_output(id, action, detail)?;
    }
    Ok(pdf)
}

/// Many records in one PDF (e.g. the ward's handover sheets for a shift). Runs off the UI
/// thread and reports progress on `on_progress`.
#[tauri::command]
pub async fn export_batch_pdf(
    state: State<'_, AppState>,
    ids: Vec<String>,
    path: String,
    on_progress: Channel<BatchProgress>,
) -> CmdResult<Exported> {
    let detail = format!("pdf {path} ({} records)", ids.len());
    let pdf = batch(&state, &ids, &on_progress, Action::Export, &detail)?;
    write_pdf(&state.data_dir, pdf, path)
}

#[tauri::command]
pub fn list_printers() -> CmdResult<Vec<Printer>> {
    Ok(hikae_app::print::printers()?)
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Printed {
    pub job: String,
    pub pages: usize,
}

/// Prints records straight to a printer, in the given order, as one job.
#[tauri::command]
pub async fn print_records(
    state: State<'_, AppState>,
    ids: Vec<String>,
    printer: String,
    copies: u32,
    on_progress: Channel<BatchProgress>,
) -> CmdResult<Printed> {
    let detail = format!("printer {printer}, {copies} copies");
    let pdf = batch(&state, &ids, &on_progress, Action::Print, &detail)?;
    let title = format!("Hikae {}件", ids.len());
    let job = hikae_app::print::print_pdf(&pdf.bytes, &printer, &title, copies)?;
    Ok(Printed {
        job,
        pages: pdf.pages,
    })
}
