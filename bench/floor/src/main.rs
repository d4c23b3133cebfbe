//! The floor Hikae's desktop start time and memory are compared with: Tauri 2, one window,
//! a hello-world page that reports when it is interactive, exactly as Hikae's UI does.

#[tauri::command]
fn ui_ready(screen: String) {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    println!("HIKAE_READY {screen} {ms}");
}

fn main() {
    if let Err(e) = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ui_ready])
        .run(tauri::generate_context!())
    {
        eprintln!("floor: {e}");
        std::process::exit(1);
    }
}
