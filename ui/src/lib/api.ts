// Typed calls to the Tauri commands. Errors arrive as CmdError {code, message, fields}.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  Patient, AppInfo, Exported, Printed, Printer, Procedures, BatchProgress, RecordView, RowSummary, RunView, Saved, AuditView,
  SessionView, SetupView, TemplateInfo, Values, SyncStatus, SyncProgress, SyncOutcome, Reconciliation, StatusView, ServiceKind, DowntimeScope,
  Downtime, Scenario, DrillReport, DrillSummary, PrintPackRequest, PaperEntry, Census, PatientSummary, SnapshotRefresh, Carried, Phrase,
  FleetReport, Heartbeat, ChannelStatus, ChannelCheck,
} from "./types";

export const api = {
  appInfo: () => invoke<AppInfo>("app_info"),
  templates: () => invoke<TemplateInfo[]>("list_templates"),
  procedures: () => invoke<Procedures>("list_procedures"),
  /** `paper`: a back-entry of a record first written on paper (null: written here, now). */
  newRecord: (templateId: string, patientId: string, patientName: string, author: string, paper: PaperEntry | null = null) =>
    invoke<RecordView>("new_record", { templateId, patientId, patientName, author, paper }),
  getRecord: (id: string) => invoke<RecordView>("get_record", { id }),
  saveValues: (id: string, values: Values) => invoke<Saved>("save_values", { id, values }),
  /** `confirmCarried`: the reviewer confirms that fields carried over from the previous record
   * and still unconfirmed are true now; without it such a record is refused (`bad_state`). */
  finalize: (id: string, reviewer: string, confirmCarried = false) =>
    invoke<RecordView>("finalize_record", confirmCarried ? { id, reviewer, confirmCarried } : { id, reviewer }),
  /** Copy-forward: a new draft carrying the fields the pack allows from this patient's latest
   * finalized record of the template (`record.context.carried` says which). Fails (not_found)
   * when the patient has no such record. */
  newRecordFromPrevious: (templateId: string, patientId: string, patientName: string, author: string) =>
    invoke<RecordView>("new_record_from_previous", { templateId, patientId, patientName, author }),
  /** Confirms a carried field kept as it was; answers the record's carried state now. */
  confirmCarried: (id: string, field: string) => invoke<Carried>("confirm_carried", { id, field }),
  /** The stock phrases (定型文) of a template's text fields: the pack's (`personal: null`),
   * then the user's own (`personal`: the id to delete it by). */
  phrases: (templateId: string) => invoke<Phrase[]>("phrases", { templateId }),
  /** Saves one of the user's own phrases for a text field of the template; answers it with its id. */
  savePhrase: (templateId: string, field: string, text: string, reading: string | null = null) =>
    invoke<Phrase>("save_phrase", { templateId, field, text, reading }),
  /** Deletes one of the user's own phrases (`Phrase.personal`). */
  deletePhrase: (id: number) => invoke<null>("delete_phrase", { id }),
  correct: (id: string, reason: string, author: string) => invoke<RecordView>("correct_record", { id, reason, author }),
  previewHtml: (id: string) => invoke<string>("preview_html", { id }),
  text: (id: string) => invoke<string>("record_text", { id }),
  exportPdf: (id: string, path: string) => invoke<Exported>("export_pdf", { id, path }),
  search: (text: string, status: string, template: string, date: string) =>
    invoke<RowSummary[]>("search_records", { text, status, template, date }),
  /** Tells the shell the first screen is interactive (start-time benchmark; no-op otherwise). */
  uiReady: (screen: string) => invoke<void>("ui_ready", { screen }).catch(() => {}),
  setUser: (name: string) => invoke<void>("set_user", { name }),
  /** First-run setup of a PC that is not set up: encrypts its data; answers the recovery key (shown once). */
  setupPc: (adminId: string, pin: string, emergencyCode: string) => invoke<SetupView>("setup_pc", { adminId, pin, emergencyCode }),
  login: (staffId: string, pin: string) => invoke<SessionView>("login", { staffId, pin }),
  breakGlass: (name: string, role: string, reason: string, code: string) =>
    invoke<SessionView>("break_glass", { name, role, reason, code }),
  recordSetting: (name: string, value: string) => invoke<void>("record_setting", { name, value }).catch(() => {}),
  lockScreen: () => invoke<void>("lock_screen"),
  auditLog: (actor: string, record: string, action: string, breakGlassOnly: boolean) =>
    invoke<AuditView>("audit_log", { actor, record, action, breakGlassOnly }),
  recentPatients: () => invoke<Patient[]>("recent_patients"),
  /** The print pack's default list (up to 200): the ward snapshot's census when there is one,
   * else the patients of the ward's recent records. */
  currentPatients: () => invoke<Patient[]>("current_patients"),
  printers: () => invoke<Printer[]>("list_printers"),
  exportBatchPdf: (ids: string[], path: string, onProgress: (p: BatchProgress) => void) =>
    invoke<Exported>("export_batch_pdf", { ids, path, onProgress: channel(onProgress) }),
  printRecords: (ids: string[], printer: string, copies: number, onProgress: (p: BatchProgress) => void) =>
    invoke<Printed>("print_records", { ids, printer, copies, onProgress: channel(onProgress) }),
  openChecklist: (procedureId: string) => invoke<RunView | null>("open_checklist", { procedureId }),
  startChecklist: (procedureId: string, by: string) => invoke<RunView>("start_checklist", { procedureId, by }),
  tickStep: (runId: string, step: number, done: boolean, by: string) => invoke<RunView>("tick_step", { runId, step, done, by }),
  endChecklist: (runId: string, by: string) => invoke<RunView>("end_checklist", { runId, by }),
  exportChecklistPdf: (procedureId: string, runId: string | null, path: string) =>
    invoke<Exported>("export_checklist_pdf", { procedureId, runId, path }),
  printChecklist: (procedureId: string, runId: string | null, printer: string, copies: number) =>
    invoke<Printed>("print_checklist", { procedureId, runId, printer, copies }),
  syncStatus: () => invoke<SyncStatus>("sync_status"),
  syncNow: (onProgress: (p: SyncProgress) => void) => {
    const ch = new Channel<SyncProgress>();
    ch.onmessage = onProgress;
    return invoke<SyncOutcome>("sync_now", { onProgress: ch });
  },
  syncReport: () => invoke<Reconciliation>("sync_report"),
  exportSyncReport: (path: string) => invoke<Exported>("export_sync_report", { path }),
  printSyncReport: (printer: string, copies: number) => invoke<Printed>("print_sync_report", { printer, copies }),
  mapPatient: (temporaryId: string, realId: string, realName: string) =>
    invoke<number>("map_patient", { temporaryId, realId, realName: realName.trim() || null }),
  resendRecord: (id: string) => invoke<void>("resend_record", { id }),

  // business continuity: the shell also emits the event "status" (a StatusView) whenever a probe
  // changes a state, a downtime is declared or ended, or a drill starts or ends
  status: () => invoke<StatusView>("status"),
  declareDowntime: (services: ServiceKind[], scope: DowntimeScope, reason: string) =>
    invoke<Downtime>("declare_downtime", { services, scope, reason }),
  endDowntime: (note: string) => invoke<Downtime>("end_downtime", { note }),
  downtimes: () => invoke<Downtime[]>("list_downtimes"),
  drillScenarios: () => invoke<Scenario[]>("drill_scenarios"),
  startDrill: (scenarioId: string) => invoke<DrillReport>("start_drill", { scenarioId }),
  endDrill: (participants: string[], notes: string, findings: string, actions: string) =>
    invoke<DrillReport>("end_drill", { participants, notes, findings, actions }),
  drillReport: (id: string) => invoke<DrillReport>("drill_report", { id }),
  drills: () => invoke<DrillSummary[]>("list_drills"),
  exportDrillReport: (id: string, path: string) => invoke<Exported>("export_drill_report", { id, path }),
  printDrillReport: (id: string, printer: string, copies: number) => invoke<Printed>("print_drill_report", { id, printer, copies }),
  /** Removes the records made in an ended drill; answers how many. */
  purgeDrill: (id: string) => invoke<number>("purge_drill", { id }),
  exportPrintPack: (request: PrintPackRequest, path: string, onProgress: (p: BatchProgress) => void) =>
    invoke<Exported>("export_print_pack", { request, path, onProgress: channel(onProgress) }),
  printPrintPack: (request: PrintPackRequest, printer: string, copies: number, onProgress: (p: BatchProgress) => void) =>
    invoke<Printed>("print_print_pack", { request, printer, copies, onProgress: channel(onProgress) }),

  // the ward snapshot: a read-only copy of the ward's inpatients; the shell also emits
  // "snapshot-refreshed" (a SnapshotRefresh) after each background refresh
  census: () => invoke<Census>("census"),
  /** `patient`: the server's Patient id (`CensusRow.patient`). */
  patientSummary: (patient: string) => invoke<PatientSummary>("patient_summary", { patient }),
  /** A new draft for a census patient (`patient`: `CensusRow.patient`), its identity and the
   * fields the template maps filled in from the copy (`record.context.prefill` says which).
   * Fails when the copy has no hospital patient ID for them. */
  newRecordFromSnapshot: (templateId: string, patient: string, author: string) =>
    invoke<RecordView>("new_record_from_snapshot", { templateId, patient, author }),
  /** Fails (the copy is left as it was) when the server cannot be reached. */
  refreshSnapshot: () => invoke<SnapshotRefresh>("refresh_snapshot"),

  // the fleet (administrators): every PC's last readiness report from the [sync] endpoint,
  // most urgent first; fails when the server cannot be reached
  fleetStatus: () => invoke<FleetReport>("fleet_status"),
  /** Sends this PC's readiness heartbeat now (it is also sent every [fleet] heartbeat_minutes). */
  heartbeat: () => invoke<Heartbeat>("heartbeat"),
  /** The signed channel as this PC knows it (administrators; no network). */
  channelStatus: () => invoke<ChannelStatus>("channel_status"),
  /** Checks the channel now and installs what a verified release lists; null: none configured. */
  channelUpdate: () => invoke<ChannelCheck | null>("channel_update"),
};

function channel(onMessage: (p: BatchProgress) => void): Channel<BatchProgress> {
  const ch = new Channel<BatchProgress>();
  ch.onmessage = onMessage;
  return ch;
}
