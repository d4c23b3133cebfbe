//! Commands about records: thin calls into `hikae_app::app`, plain data out.

use serde::Serialize;
use tauri::State;

use hikae_app::audit::Action;
use hikae_app::form::{FieldError, FormDef, Values};
use hikae_app::record::{jst, jst_clock, Patient, Record};
use hikae_app::{Query, Unprintable};

use crate::error::CmdResult;
use crate::AppState;

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RecordView {
    pub record: Record,
    pub form: FormDef,
    pub created_jst: String,
    pub updated_jst: String,
    pub problems: Vec<FieldError>,
    /// Fields with characters no installed font has (they print as 〓).
    pub unprintable: Vec<Unprintable>,
    pub superseded_by: Option<String>,
    /// What the record says about how it came about (drill, downtime, back-entry).
    pub notes: Vec<String>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Saved {
    pub revision: i64,
    pub saved_at: String,
    pub problems: Vec<FieldError>,
    pub unprintable: Vec<Unprintable>,
    /// The preview of what was saved (the same HTML the PDF is laid out from).
    pub preview: String,
    /// Copy-forward: which carried fields are confirmed now (a save that changes one does).
    pub carried: Option<hikae_app::record::Carried>,
}

/// Values, and the patient's name, that would print as 〓.
fn unprintable(form: &FormDef, record: &Record) -> Vec<Unprintable> {
    let mut out = Vec::new();
    if let Ok(chars) = hikae_app::missing_glyphs(&record.patient.name) {
        if !chars.is_empty() {
            out.push(Unprintable {
                path: "patient".into(),
                label: "患者氏名".into(),
                chars,
            });
        }
    }
    out.extend(hikae_app::unprintable(form, &record.values));
    out
}

pub(crate) fn view(app: &hikae_app::Hikae, record: Record) -> CmdResult<RecordView> {
    let bound = app.template_of(&record)?;
    let form = bound.template().form.clone();
    let problems = form.validate(&record.values);
    let unprintable = unprintable(&form, &record);
    let superseded_by = app.superseded_by(&record.id)?;
    Ok(RecordView {
        notes: hikae_app::render::context_lines(&record.context),
        created_jst: jst(record.created_at),
        updated_jst: jst(record.updated_at),
        record,
        form,
        problems,
        unprintable,
        superseded_by,
    })
}

#[tauri::command]
pub fn new_record(
    state: State<AppState>,
    template_id: String,
    patient_id: String,
    patient_name: String,
    author: String,
    paper: Option<crate::continuity::PaperArg>,
) -> CmdResult<RecordView> {
    let paper = paper
        .map(|p| -> hikae_app::Result<_> {
            Ok(hikae_app::record::PaperOrigin {
                written_at: hikae_app::paper_time(&p.written_at)?,
                author: p.author,
            })
        })
        .transpose()?;
    let mut app = state.lock()?;
    let rec = app.new_record_with(
        &template_id,
        Patient {
            id: patient_id,
            name: patient_name,
        },
        &author,
        Values::new(),
        paper,
    )?;
    view(&app, rec)
}

#[tauri::command]
pub fn get_record(state: State<AppState>, id: String) -> CmdResult<RecordView> {
    let mut app = state.lock()?;
    let rec = app.view(&id)?;
    view(&app, rec)
}

/// The form's autosave: the whole value map, one transaction.
#[tauri::command]
pub fn save_values(state: State<AppState>, id: String, values: Values) -> CmdResult<Saved> {
    let mut app = state.lock()?;
    let (rec, problems) = app.replace(&id, values)?;
    let unprintable = unprintable(&app.template_of(&rec)?.template().form, &rec);
    let preview = app.preview_of(&rec)?;
    Ok(Saved {
        revision: rec.revision,
        saved_at: jst_clock(rec.updated_at),
        problems,
        unprintable,
        preview,
        carried: rec.context.carried.clone(),
    })
}

#[tauri::command]
pub fn finalize_record(
    state: State<AppState>,
    id: String,
    reviewer: String,
    confirm_carried: Option<bool>,
) -> CmdResult<RecordView> {
    let mut app = state.lock()?;
    let rec = app.finalize_confirming(&id, &reviewer, confirm_carried.unwrap_or(false))?;
    view(&app, rec)
}

/// A new record carrying what the pack allows from the patient's previous record.
#[tauri::command]
pub fn new_record_from_previous(
    state: State<AppState>,
    template_id: String,
    patient_id: String,
    patient_name: String,
    author: String,
) -> CmdResult<RecordView> {
    let mut app = state.lock()?;
    let rec = app.new_record_from_previous(
        &template_id,
        Patient {
            id: patient_id,
            name: patient_name,
        },
        &author,
    )?;
    view(&app, rec)
}

/// Confirms a carried field kept as it was.
#[tauri::command]
pub fn confirm_carried(
    state: State<AppState>,
    id: String,
    field: String,
) -> CmdResult<hikae_app::record::Carried> {
    Ok(state.lock()?.confirm_carried(&id, &field)?)
}

#[tauri::command]
pub fn correct_record(
    state: State<AppState>,
    id: String,
    reason: String,
    author: String,
) -> CmdResult<RecordView> {
    let mut app = state.lock()?;
    let rec = app.correct(&id, &reason, &author)?;
    view(&app, rec)
}

/// The same HTML the PDF is laid out from.
#[tauri::command]
pub fn preview_html(state: State<AppState>, id: String) -> CmdResult<String> {
    Ok(state.lock()?.preview_html(&id)?)
}

#[tauri::command]
/// Plain text for the clipboard (pasting into the EHR later): logged as a copy.
pub fn record_text(state: State<AppState>, id: String) -> CmdResult<String> {
    let mut app = state.lock()?;
    app.audit_output(&id, Action::Copy, "plain text to the clipboard")?;
    Ok(app.text(&id)?)
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "RowSummary"))]
pub struct Row {
    pub id: String,
    pub status: &'static str,
    pub template_id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub version: u32,
    pub updated_jst: String,
    pub drill: bool,
    pub downtime: bool,
    pub paper: bool,
}

#[tauri::command]
pub fn search_records(
    state: State<AppState>,
    text: Option<String>,
    status: Option<String>,
    template: Option<String>,
    date: Option<String>,
) -> CmdResult<Vec<Row>> {
    let date = date
        .filter(|d| !d.is_empty())
        .map(|d| {
            chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map_err(|_| hikae_app::Error::Input(format!("date must be YYYY-MM-DD, not '{d}'")))
        })
        .transpose()?;
    let app = state.lock()?;
    let q = Query {
        text: text.filter(|t| !t.trim().is_empty()),
        status: status.as_deref().and_then(hikae_app::record::Status::parse),
        template: template.filter(|t| !t.is_empty()),
        patient: None,
        date,
        limit: Some(1000),
    };
    Ok(app
        .search(&q)?
        .into_iter()
        .map(|r| Row {
            status: r.status.as_str(),
            template_id: r.provenance.template_id.clone(),
            patient_id: r.patient.id.clone(),
            patient_name: r.patient.name.clone(),
            version: r.version,
            updated_jst: jst(r.updated_at),
            drill: r.context.drill_id.is_some(),
            downtime: r.context.downtime.is_some(),
            paper: r.context.paper.is_some(),
            id: r.id,
        })
        .collect())
}

/// Patients of the latest records, for one-click choice when starting a record.
#[tauri::command]
pub fn recent_patients(state: State<AppState>) -> CmdResult<Vec<Patient>> {
    Ok(state.lock()?.recent_patients(8)?)
}

/// The stock phrases of a template's text fields: the pack's and the user's own.
#[tauri::command]
pub fn phrases(
    state: State<AppState>,
    template_id: String,
) -> CmdResult<Vec<hikae_app::phrases::Phrase>> {
    Ok(state.lock()?.phrases(&template_id)?)
}

/// Saves one of the user's own phrases.
#[tauri::command]
pub fn save_phrase(
    state: State<AppState>,
    template_id: String,
    field: String,
    text: String,
    reading: Option<String>,
) -> CmdResult<hikae_app::phrases::Phrase> {
    Ok(state
        .lock()?
        .save_phrase(&template_id, &field, &text, reading.as_deref())?)
}

/// Deletes one of the user's own phrases.
#[tauri::command]
pub fn delete_phrase(state: State<AppState>, id: i64) -> CmdResult<()> {
    Ok(state.lock()?.delete_phrase(id)?)
}
