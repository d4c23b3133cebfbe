// Plain data from the Tauri commands (mirrors the core's serde types).

export interface L10n { ja: string; en: string }
export type FieldType = "text" | "multiline" | "date" | "datetime" | "number" | "select" | "checkbox" | "table";
export interface SelectOption { value: string; ja: string; en: string }
export interface FieldDef {
  id: string;
  label: L10n;
  type: FieldType;
  required: boolean;
  help: L10n | null;
  unit: string | null;
  min: number | null;
  max: number | null;
  max_length: number | null;
  options: SelectOption[];
  columns: FieldDef[];
  min_rows: number | null;
}
export interface FormDef { id: string; version: string; title: L10n; description: L10n | null; print: { large_type: boolean }; fields: FieldDef[] }
export type Value = string | boolean | Row[];
export type Row = Record<string, string | boolean>;
export type Values = Record<string, Value>;
export interface Problem { code: string; min?: number; max?: number; allowed?: string[]; expected?: string }
export interface FieldError { path: string; label: string; problem: Problem }
export interface Patient { id: string; name: string }
export interface RecordData {
  id: string; series_id: string; version: number; supersedes: string | null; correction_reason: string | null;
  patient: Patient; status: "draft" | "finalized"; author: string; final_reviewer: string | null; values: Values;
  provenance: { pack_id: string; pack_version: string; template_id: string; template_version: string; template_hash: string };
  revision: number;
}
export interface RecordView { record: RecordData; form: FormDef; created_jst: string; updated_jst: string; problems: FieldError[]; superseded_by: string | null }
export interface Saved { revision: number; saved_at: string; problems: FieldError[] }
export interface TemplateInfo { form: FormDef; approved_uses: string[]; data_categories: string[]; pack_id: string; pack_version: string }
export interface Step { role: "nurse" | "charge_nurse" | "doctor" | "clerk" | "it"; text: L10n; contact: string | null }
export interface Procedure { id: string; title: L10n; summary: L10n; basis: string[]; step: Step[] }
export interface Contact { id: string; label: L10n; value: string }
export interface RowSummary { id: string; status: string; template_id: string; patient_id: string; patient_name: string; version: number; updated_jst: string }
export interface AppInfo { version: string; data_dir: string; encrypted: boolean; packs: { id: string; version: string; name: L10n }[]; warnings: string[] }
export interface CmdError { code: string; message: string; fields: FieldError[] }
export interface Exported { path: string; pages: number; bytes: number; substituted: string[] }
export interface Printer { name: string; default: boolean }
export interface Printed { job: string; pages: number }
export interface Progress { done: number; total: number }
export interface StepState { done: boolean; by: string; at_jst: string }
export interface RunView { id: string; procedure_id: string; started_jst: string; started_by: string; ended_jst: string | null; steps: (StepState | null)[] }
export interface SessionView { staff_id: string; name: string; role: string; break_glass_until: string | null; break_glass_reason: string | null }
export interface AuditActor { id: string; name: string; role: string | null; session: string | null; break_glass: boolean }
/** An audit entry as the core stores it (its event fields flattened), plus the Japan time. */
export interface AuditEntryView {
  seq: number; at: string; at_jst: string; actor: AuditActor; action: string; success: boolean;
  record_id: string | null; patient_id: string | null; purpose: string | null; data_category: string | null;
  final_reviewer: string | null; detail: string | null; prev_hash: string; hash: string;
}
export interface AuditView { entries: AuditEntryView[]; findings: string[]; total: number }

export interface OutboxCounts { pending: number; held: number; acknowledged: number; rejected: number; sendable: number }
export interface SyncProgress {
  total: number; acknowledged: number; rejected: number; retries: number; requests: number;
  phase: "sending" | "waiting" | "done" | "unreachable" | "cancelled"; last_error: string | null;
}
export interface SyncStatus { endpoint: string | null; counts: OutboxCounts; running: boolean; last: SyncProgress | null }
export interface SyncOutcome { progress: SyncProgress; pending: number; held: number }
export type RowState = "draft" | "pending" | "held" | "sending" | "acknowledged" | "rejected";
export interface ReconRow {
  record_id: string; version: number; template_title: string; patient_id: string; patient_name: string;
  mapped_to: string | null; author: string; finalized_at: string | null; state: RowState; attempts: number;
  last_error: string | null; server_id: string | null; acknowledged_at: string | null;
}
export interface Reconciliation {
  generated_at: string; endpoint: string | null; counts: OutboxCounts; drafts: number;
  unmapped: { temporary_id: string; patient_name: string; records: number }[];
  mappings: { temporary_id: string; real_id: string; real_name: string | null; mapped_by: string; mapped_at: string }[];
  rows: ReconRow[];
}
