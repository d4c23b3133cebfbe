// Typed calls to the Tauri commands. Errors arrive as CmdError {code, message, fields}.
import { invoke } from "@tauri-apps/api/core";
import type { AppInfo, Contact, Procedure, RecordView, RowSummary, Saved, TemplateInfo, Values } from "./types";

export const api = {
  appInfo: () => invoke<AppInfo>("app_info"),
  templates: () => invoke<TemplateInfo[]>("list_templates"),
  procedures: () => invoke<{ procedures: Procedure[]; contacts: Contact[] }>("list_procedures"),
  newRecord: (templateId: string, patientId: string, patientName: string, author: string) =>
    invoke<RecordView>("new_record", { templateId, patientId, patientName, author }),
  getRecord: (id: string) => invoke<RecordView>("get_record", { id }),
  saveValues: (id: string, values: Values) => invoke<Saved>("save_values", { id, values }),
  finalize: (id: string, reviewer: string) => invoke<RecordView>("finalize_record", { id, reviewer }),
  correct: (id: string, reason: string, author: string) => invoke<RecordView>("correct_record", { id, reason, author }),
  previewHtml: (id: string) => invoke<string>("preview_html", { id }),
  text: (id: string) => invoke<string>("record_text", { id }),
  exportPdf: (id: string, path: string) =>
    invoke<{ path: string; pages: number; bytes: number; substituted: string[] }>("export_pdf", { id, path }),
  search: (text: string, status: string, template: string) => invoke<RowSummary[]>("search_records", { text, status, template }),
};
