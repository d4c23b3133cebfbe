//! Commands for the downtime procedure checklists: start, tick (who and when), end, print.

use serde::Serialize;
use tauri::State;

use hikae_app::record::jst;
use hikae_app::ChecklistRun;

use crate::error::CmdResult;
use crate::printing::{write_pdf, Exported, Printed};
use crate::AppState;

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StepState {
    pub done: bool,
    pub by: String,
    pub at_jst: String,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RunView {
    pub id: String,
    pub procedure_id: String,
    pub started_jst: String,
    pub started_by: String,
    pub ended_jst: Option<String>,
    /// Latest state of each step of the procedure, by index (None: never ticked).
    pub steps: Vec<Option<StepState>>,
}

fn view(app: &hikae_app::Hikae, run: ChecklistRun) -> CmdResult<RunView> {
    let n = app
        .procedure(&run.procedure_id)
        .map(|(_, p)| p.steps.len())
        .unwrap_or(0);
    let n = n.max(run.ticks.iter().map(|t| t.step + 1).max().unwrap_or(0));
    Ok(RunView {
        steps: (0..n)
            .map(|i| {
                run.step_state(i).map(|t| StepState {
                    done: t.done,
                    by: t.by.clone(),
                    at_jst: jst(t.at),
                })
            })
            .collect(),
        started_jst: jst(run.started_at),
        ended_jst: run.ended_at.map(jst),
        started_by: run.started_by,
        procedure_id: run.procedure_id,
        id: run.id,
    })
}

/// The run of a procedure in progress, if any.
#[tauri::command]
pub fn open_checklist(state: State<AppState>, procedure_id: String) -> CmdResult<Option<RunView>> {
    let app = state.lock()?;
    match app.open_checklist(&procedure_id)? {
        Some(run) => Ok(Some(view(&app, run)?)),
        None => Ok(None),
    }
}

#[tauri::command]
pub fn start_checklist(
    state: State<AppState>,
    procedure_id: String,
    by: String,
) -> CmdResult<RunView> {
    let mut app = state.lock()?;
    let run = app.start_checklist(&procedure_id, &by)?;
    view(&app, run)
}

#[tauri::command]
pub fn tick_step(
    state: State<AppState>,
    run_id: String,
    step: usize,
    done: bool,
    by: String,
) -> CmdResult<RunView> {
    let mut app = state.lock()?;
    let run = app.tick_step(&run_id, step, done, &by)?;
    view(&app, run)
}

#[tauri::command]
pub fn end_checklist(state: State<AppState>, run_id: String, by: String) -> CmdResult<RunView> {
    let mut app = state.lock()?;
    let run = app.end_checklist(&run_id, &by)?;
    view(&app, run)
}

/// The checklist as a PDF where the person chose in the save dialog (blank without a run).
#[tauri::command]
pub fn export_checklist_pdf(
    state: State<AppState>,
    procedure_id: String,
    run_id: Option<String>,
    path: String,
) -> CmdResult<Exported> {
    let pdf = state
        .lock()?
        .checklist_pdf(&procedure_id, run_id.as_deref())?;
    write_pdf(&state.data_dir, pdf, path)
}

#[tauri::command]
pub fn print_checklist(
    state: State<AppState>,
    procedure_id: String,
    run_id: Option<String>,
    printer: String,
    copies: u32,
) -> CmdResult<Printed> {
    let pdf = state
        .lock()?
        .checklist_pdf(&procedure_id, run_id.as_deref())?;
    let title = format!("Hikae checklist {procedure_id}");
    Ok(Printed {
        job: hikae_app::print::print_pdf(&pdf.bytes, &printer, &title, copies)?,
        pages: pdf.pages,
    })
}
