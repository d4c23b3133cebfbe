//! The fleet: this PC's daily self-test and its readiness heartbeat every `[fleet]
//! heartbeat_minutes` while someone is logged in and the `[sync]` endpoint is configured (sent
//! without holding the data), and the administrator's fleet report.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tauri::{AppHandle, Manager, State};

use hikae_app::auth::Permission;
use hikae_app::channel::{ChannelCheck, ChannelStatus};
use hikae_app::fleet::{FleetReport, Heartbeat};

use crate::error::CmdResult;
use crate::AppState;

/// The self-test runs when the last one is older than this.
const SELFTEST_EVERY_HOURS: i64 = 24;

fn beat(state: &AppState) -> CmdResult<Heartbeat> {
    let (client, report) = state.lock()?.heartbeat_prepare()?;
    let sent = hikae_app::fleet::send(&client, &report);
    Ok(state
        .lock()?
        .heartbeat_done(&report, client.endpoint(), sent)?)
}

/// Sends this PC's heartbeat now.
#[tauri::command]
pub async fn heartbeat(state: State<'_, AppState>) -> CmdResult<Heartbeat> {
    beat(&state)
}

/// Every PC's last report, what needs attention first (administrators), with the default
/// limits (24 h silent, unsent for 4 h, no drill in 90 days).
#[tauri::command]
pub async fn fleet_status(state: State<'_, AppState>) -> CmdResult<FleetReport> {
    let client = state.lock()?.fleet_client()?;
    let found = hikae_app::fleet::fetch(&client);
    Ok(state.lock()?.fleet_report(
        client.endpoint(),
        found,
        &hikae_app::fleet::Limits::default(),
    )?)
}

/// The signed channel as this PC knows it (administrators).
#[tauri::command]
pub async fn channel_status(state: State<'_, AppState>) -> CmdResult<ChannelStatus> {
    let app = state.lock()?;
    app.require(Permission::Administer)?;
    Ok(app.channel_status()?)
}

/// Checks the channel now, due or not (administrators); fetched without holding the data.
/// `None` when no channel is configured.
#[tauri::command]
pub async fn channel_update(state: State<'_, AppState>) -> CmdResult<Option<ChannelCheck>> {
    let plan = {
        let mut app = state.lock()?;
        app.require(Permission::Administer)?;
        app.channel_prepare()?
    };
    let Some(plan) = plan else {
        return Ok(None);
    };
    let fetched = hikae_app::channel::fetch(&plan);
    Ok(Some(state.lock()?.channel_done(&plan, fetched)?))
}

/// The administrator's channel, when a check is due: verified and installed like
/// `hikae fleet update`, fetched without holding the data.
fn channel_round(state: &AppState) -> CmdResult<()> {
    let plan = {
        let mut app = state.lock()?;
        if app.is_locked() || !app.channel_due()? {
            return Ok(());
        }
        app.channel_prepare()?
    };
    let Some(plan) = plan else {
        return Ok(());
    };
    let fetched = hikae_app::channel::fetch(&plan);
    state.lock()?.channel_done(&plan, fetched)?;
    Ok(())
}

/// Once a minute: the self-test when a day has passed, the heartbeat when it is due.
pub fn start_background(handle: AppHandle) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(60));
        let state = handle.state::<AppState>();
        if state.sync.cancel.load(Ordering::Relaxed) {
            break;
        }
        let due = state.lock().ok().and_then(|mut app| {
            // nothing is read or written behind a locked screen
            if app.is_locked() {
                return None;
            }
            let now = chrono::Utc::now();
            let stale = |t: Option<chrono::DateTime<chrono::Utc>>, every: chrono::Duration| {
                t.is_none_or(|t| now - t >= every)
            };
            if stale(
                app.last_selftest_at().ok().flatten(),
                chrono::Duration::hours(SELFTEST_EVERY_HOURS),
            ) {
                // it holds the data for its checks: a second or so, once a day
                let _ = app.selftest();
            }
            let minutes = app.fleet_config().ok()?.heartbeat_minutes;
            let endpoint = app.sync_config().ok()?.endpoint;
            (minutes > 0
                && endpoint.is_some()
                && stale(
                    app.last_heartbeat_tried_at().ok().flatten(),
                    chrono::Duration::minutes(minutes as i64),
                ))
            .then_some(())
        });
        if due.is_some() {
            let _ = beat(&state);
        }
        let _ = channel_round(&state);
    });
}
