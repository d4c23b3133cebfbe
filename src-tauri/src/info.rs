//! Commands about the installation: data folder, packs, templates, procedures.

use serde::Serialize;
use tauri::State;

use hikae_app::form::{FormDef, L10n};
use hikae_app::procedure::{Contact, Procedure};

use crate::error::CmdResult;
use crate::AppState;

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppInfo {
    pub version: &'static str,
    pub data_dir: String,
    /// The data is encrypted: the start screen asks for a staff ID and PIN.
    pub encrypted: bool,
    /// Nothing is set up on this PC yet: the first-run setup screen comes first.
    pub needs_setup: bool,
    /// Demo mode (`--demo`): fictional data only, not encrypted; a banner on every screen.
    pub demo: bool,
    /// What protects the data at rest, for the start screen: "tpm" (keys sealed to this PC's
    /// TPM), "passphrase" (every way in is a long passphrase), "pin" (PINs only: a copied
    /// disk can be guessed offline), "demo" (not encrypted), "none" (not set up).
    pub protection: String,
    pub packs: Vec<PackInfo>,
    pub warnings: Vec<String>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PackInfo {
    pub id: String,
    pub version: String,
    pub name: L10n,
}

/// Works before login too (the start screen shows the data folder); packs come after.
#[tauri::command]
pub fn app_info(state: State<AppState>) -> CmdResult<AppInfo> {
    let app = state.lock().ok();
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        data_dir: state.data_dir.display().to_string(),
        encrypted: state.is_encrypted(),
        needs_setup: !state.is_encrypted() && !state.demo,
        demo: state.demo,
        protection: hikae_app::Hikae::protection(&state.data_dir)
            .code()
            .to_string(),
        packs: app
            .as_ref()
            .map(|a| {
                a.active_packs()
                    .iter()
                    .map(|p| PackInfo {
                        id: p.manifest.id.clone(),
                        version: p.manifest.version.clone(),
                        name: p.manifest.name.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        warnings: app.as_ref().map(|a| a.warnings.clone()).unwrap_or_default(),
    })
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TemplateInfo {
    pub form: FormDef,
    pub approved_uses: Vec<String>,
    pub data_categories: Vec<String>,
    pub pack_id: String,
    pub pack_version: String,
}

#[tauri::command]
pub fn list_templates(state: State<AppState>) -> CmdResult<Vec<TemplateInfo>> {
    let app = state.lock()?;
    Ok(app
        .templates()
        .into_iter()
        .map(|b| {
            let t = b.template();
            TemplateInfo {
                form: t.form.clone(),
                approved_uses: t.scope.approved_uses.clone(),
                data_categories: t.scope.data_categories.clone(),
                pack_id: b.pack.manifest.id.clone(),
                pack_version: b.pack.manifest.version.clone(),
            }
        })
        .collect())
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Procedures {
    pub procedures: Vec<Procedure>,
    pub contacts: Vec<Contact>,
}

#[tauri::command]
pub fn list_procedures(state: State<AppState>) -> CmdResult<Procedures> {
    let app = state.lock()?;
    let mut out = Procedures {
        procedures: Vec::new(),
        contacts: Vec::new(),
    };
    for p in app.active_packs() {
        out.procedures.extend(p.procedures.iter().cloned());
        out.contacts.extend(p.contacts.contacts.iter().cloned());
    }
    Ok(out)
}

/// The UI calls this once its first screen is interactive. With `HIKAE_BENCH_READY` set, the
/// time is printed for the start-time benchmark (scripts/bench-desktop.sh); otherwise nothing.
#[tauri::command]
pub fn ui_ready(screen: String) {
    if std::env::var_os("HIKAE_BENCH_READY").is_some() {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        println!("HIKAE_READY {screen} {ms}");
    }
}

/// The person at the keyboard, named on the start screen: every audit entry from now on names
/// them. (Local accounts with PINs replace this; until then it is a name, not a login.)
#[tauri::command]
pub fn set_user(state: State<AppState>, name: String) -> CmdResult<()> {
    if state.is_encrypted() {
        return Err(hikae_app::Error::Locked("log in with your staff ID and PIN".into()).into());
    }
    Ok(state.lock()?.name_user(&name)?)
}

/// A setting changed on the settings screen (language, text size, auto-lock): audited.
#[tauri::command]
pub fn record_setting(state: State<AppState>, name: String, value: String) -> CmdResult<()> {
    Ok(state.lock()?.audit_setting(&name, &value)?)
}
