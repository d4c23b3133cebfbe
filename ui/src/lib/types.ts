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
  /** Made in a drill, during a declared downtime, or back-entered from paper. */
  context: RecordContext;
}
export interface RecordView {
  record: RecordData; form: FormDef; created_jst: string; updated_jst: string; problems: FieldError[]; superseded_by: string | null;
  /** The lines printed on the record about drill / downtime / back-entry (Japanese). */
  notes: string[];
}
export interface Saved { revision: number; saved_at: string; problems: FieldError[] }
export interface TemplateInfo { form: FormDef; approved_uses: string[]; data_categories: string[]; pack_id: string; pack_version: string }
export interface Step { role: "nurse" | "charge_nurse" | "doctor" | "clerk" | "it"; text: L10n; contact: string | null }
export interface Procedure { id: string; title: L10n; summary: L10n; basis: string[]; step: Step[] }
export interface Contact { id: string; label: L10n; value: string }
export interface RowSummary {
  id: string; status: string; template_id: string; patient_id: string; patient_name: string; version: number; updated_jst: string;
  drill: boolean; downtime: boolean; paper: boolean;
}
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

// Business continuity: service monitor, declared downtime, drills, the 8-hour print pack.
export type ServiceKind = "ai" | "idp" | "ehr" | "other";
export type ServiceState = "unknown" | "up" | "degraded" | "down";
export interface ServiceStatus {
  id: string; kind: ServiceKind; name: string; url: string; state: ServiceState;
  since_jst: string | null;      // when the current state began
  checked_jst: string | null;    // last probe
  latency_ms: number | null; last_error: string | null;
}
export type DowntimeScope = "ward" | "hospital";
export interface Downtime {
  id: string; services: ServiceKind[]; scope: DowntimeScope; reason: string;
  declared_by: string; started_at: string; started_jst: string;
  ended_by: string | null; ended_at: string | null; ended_jst: string | null; end_note: string | null;
  drill_id: string | null;       // declared inside a drill (a practice downtime)
}
/** What the monitor proposes; the UI offers it, a person decides. */
export interface Suggestion {
  kind: "declare" | "recover";   // declare: a service is down and no downtime is declared;
                                 // recover: the EHR answers again while a downtime is declared
  services: ServiceKind[]; since_jst: string;
}
/** Minutes from the start of a drill. */
export interface Targets { first_login: number | null; first_record: number | null; first_finalized: number | null; first_printed: number | null; procedures_done: number | null }
export interface Scenario {
  id: string; title: L10n; description: L10n; services: ServiceKind[]; hours: number;
  procedures: string[];          // procedure ids expected to be worked through
  targets: Targets;
}
export type MilestoneKey = "first_login" | "first_record" | "first_finalized" | "first_printed" | "procedures_done";
export interface Milestone {
  key: MilestoneKey; label: string;        // label is Japanese (the UI translates by key)
  at_jst: string | null; minutes: number | null;  // minutes since drill start (1 decimal)
  target: number | null; met: boolean | null;      // null when no target or not reached
}
export interface StepTiming { procedure_id: string; procedure_title: string; step: number; text: string; by: string; at_jst: string; minutes: number }
export interface MissedStep { procedure_id: string; procedure_title: string; step: number; text: string }
export interface DrillReport {
  id: string;                    // e.g. "DR-20261122-140512"
  scenario: Scenario;
  started_at: string; started_jst: string; started_by: string;
  ended_jst: string | null; ended_by: string | null;   // null while running
  elapsed_min: number;
  participants: string[];        // names seen acting during the drill + names typed at the end
  notes: string; findings: string; actions: string;
  milestones: Milestone[]; steps: StepTiming[]; missed: MissedStep[];
  records: { created: number; finalized: number; printed: number };
  purged_jst: string | null; purged_records: number | null;
}
export interface DrillSummary {
  id: string; scenario_title: string; started_jst: string; ended_jst: string | null;
  first_record_min: number | null; first_finalized_min: number | null; first_printed_min: number | null;
  missed: number; purged: boolean;
}
export interface StatusView {
  services: ServiceStatus[];     // empty when nothing is configured (offline: normal)
  downtime: Downtime | null;     // the declared downtime in force
  drill: DrillReport | null;     // the running drill
  suggestion: Suggestion | null;
}
export interface RecordContext {
  drill_id: string | null;
  downtime: { id: string; started_at: string; scope: DowntimeScope; services: ServiceKind[] } | null;
  paper: { written_at: string; author: string } | null;   // back-entered from a paper record
}
/** A back-entry of a paper record, as typed (the core parses the time leniently). */
export interface PaperEntry { writtenAt: string; author: string }
export interface PrintPackRequest {
  patients: Patient[];                         // 1..200
  templates: { id: string; copies: number }[]; // blank forms per patient, copies 1..10
  procedures: boolean;                         // blank checklists of every downtime procedure
  contacts: boolean;                           // the contact sheet
}
