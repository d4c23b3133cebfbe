//! Commands for who is at the keyboard: login with staff ID and PIN, break-glass, lock now.

use serde::Serialize;
use tauri::State;

use hikae_app::auth::StaffRole;
use hikae_app::record::jst;
use hikae_app::Hikae;

use crate::error::CmdResult;
use crate::AppState;

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SessionView {
    pub staff_id: String,
    pub name: String,
    pub role: &'static str,
    /// Set for break-glass access: until when (Japan time) and why.
    pub break_glass_until: Option<String>,
    pub break_glass_reason: Option<String>,
}

fn session_view(app: &Hikae) -> Option<SessionView> {
    app.session().map(|s| SessionView {
        staff_id: s.staff_id.clone(),
        name: s.name.clone(),
        role: s.role.as_str(),
        break_glass_until: s.break_glass.as_ref().map(|b| jst(b.expires_at)),
        break_glass_reason: s.break_glass.as_ref().map(|b| b.reason.clone()),
    })
}

/// Fetches the staff roster in the background when a URL is configured (network permitting),
/// then installs it if it is signed and newer. Failures only mean "not now".
fn refresh_roster_later(app: tauri::AppHandle) {
    std::thread::spawn(move || {
        use tauri::Manager;
        let state = app.state::<AppState>();
        match Hikae::fetch_roster(&state.data_dir) {
            Ok(Some(fetched)) => {
                if let Ok(mut a) = state.lock() {
                    if let Err(e) = a.install_fetched_roster(&fetched) {
                        eprintln!("hikae: roster not updated: {e}");
                    }
                }
            }
            Ok(None) => {}
            Err(e) => eprintln!("hikae: roster not refreshed: {e}"),
        }
    });
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SetupView {
    /// Shown once, to be written down and kept in the safe: it opens the data if every PIN
    /// is lost. It is not stored anywhere in clear.
    pub recovery_key: String,
}

/// First-run setup of a new PC: the administrator's staff ID and PIN (or passphrase) and the
/// ward's emergency code. Encrypts the data folder; afterwards the start screen asks for a
/// login. Refused once set up, and in demo mode.
#[tauri::command]
pub fn setup_pc(
    state: State<AppState>,
    admin_id: String,
    pin: String,
    emergency_code: String,
) -> CmdResult<SetupView> {
    let slot = state.slot()?;
    if state.demo || slot.is_some() || state.is_encrypted() {
        return Err(hikae_app::Error::Conflict(
            "this PC is already set up (or runs as a demo): setup runs once, on a new PC".into(),
        )
        .into());
    }
    let setup = Hikae::setup_encryption(&state.data_dir, &admin_id, &pin, &emergency_code)?;
    state
        .encrypted
        .store(true, std::sync::atomic::Ordering::SeqCst);
    drop(slot);
    Ok(SetupView {
        recovery_key: setup.recovery_key,
    })
}

/// Staff ID and PIN: opens the data at the first login, switches or resumes the session later.
#[tauri::command]
pub fn login(
    handle: tauri::AppHandle,
    state: State<AppState>,
    staff_id: String,
    pin: String,
) -> CmdResult<SessionView> {
    let wrong = || hikae_app::Error::Locked("wrong staff ID or PIN".into());
    let mut slot = state.slot()?;
    match slot.as_mut() {
        None => {
            let app = Hikae::unlock(&state.data_dir, &staff_id, &pin)?.ok_or_else(wrong)?;
            *slot = Some(app);
            refresh_roster_later(handle);
        }
        Some(app) => {
            if !app.login(&staff_id, &pin)? {
                return Err(wrong().into());
            }
        }
    }
    let app = slot.as_ref().ok_or_else(wrong)?;
    session_view(app).ok_or_else(|| wrong().into())
}

/// Emergency access with the ward's emergency code: marked, time-limited, audited.
#[tauri::command]
pub fn break_glass(
    state: State<AppState>,
    name: String,
    role: String,
    reason: String,
    code: String,
) -> CmdResult<SessionView> {
    let role = StaffRole::parse(&role)
        .ok_or_else(|| hikae_app::Error::Input(format!("unknown role '{role}'")))?;
    let mut slot = state.slot()?;
    // a new app with its own emergency session (the previous one, if any, is closed)
    let app = Hikae::break_glass(&state.data_dir, &name, role, &reason, &code)?;
    *slot = Some(app);
    let app = slot
        .as_ref()
        .ok_or_else(|| hikae_app::Error::Locked("break-glass failed".into()))?;
    session_view(app).ok_or_else(|| hikae_app::Error::Locked("break-glass failed".into()).into())
}

/// Lock now (Ctrl+L, or after inactivity).
#[tauri::command]
pub fn lock_screen(state: State<AppState>) -> CmdResult<()> {
    if let Ok(mut app) = state.lock() {
        app.lock()?;
    }
    Ok(())
}
