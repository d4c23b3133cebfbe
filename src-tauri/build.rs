fn main() {
    // Only these commands exist for the webview; capabilities/default.json grants them.
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_info",
            "list_templates",
            "list_procedures",
            "ui_ready",
            "set_user",
            "record_setting",
            "login",
            "break_glass",
            "lock_screen",
            "audit_log",
            "new_record",
            "get_record",
            "save_values",
            "finalize_record",
            "correct_record",
            "preview_html",
            "record_text",
            "search_records",
            "recent_patients",
            "export_pdf",
            "export_batch_pdf",
            "list_printers",
            "print_records",
            "open_checklist",
            "start_checklist",
            "tick_step",
            "end_checklist",
            "export_checklist_pdf",
            "print_checklist",
        ]),
    ))
    .expect("tauri build configuration");
}
