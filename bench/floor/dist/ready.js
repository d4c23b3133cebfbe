// Reports readiness exactly as Hikae's UI does once its first screen is shown.
window.__TAURI_INTERNALS__.invoke("ui_ready", { screen: "hello" });
