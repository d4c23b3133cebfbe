// Plain data from the Tauri commands: generated from the Rust types (generated/types.ts, by
// `bash scripts/gen-types.sh`), re-exported here so components import from one place.

export type {
  // forms and their values
  L10n, FieldType, SelectOption, FieldDef, PrintOptions, FormDef, Cell, Value, Row, Values, Problem, FieldError, Unprintable,
  // records
  Patient, RecordStatus, Provenance, DowntimeMark, PaperOrigin, Prefilled, Carried, Phrase, RecordContext, RecordData, RecordView, Saved,
  RowSummary,
  // installation, packs, procedures
  PackInfo, AppInfo, TemplateInfo, StepRole, Step, Procedure, Contact, Procedures,
  // errors, paper
  CmdError, Exported, Printer, Printed, BatchProgress, StepState, RunView,
  // who is at the keyboard, the audit log
  SessionView, SetupView, AuditAction, AuditActor, AuditEntryView, AuditView,
  // sync back
  OutboxCounts, SyncPhase, SyncProgress, SyncStatus, SyncOutcome, RowState, ReconRow, UnmappedPatient, PatientMapping, Reconciliation,
  // business continuity: service monitor, declared downtime, drills, the 8-hour print pack
  ServiceKind, ServiceState, ServiceStatus, DowntimeScope, Downtime, Suggestion, Targets, Scenario, MilestoneKey, Milestone,
  StepTiming, MissedStep, DrillRecordCounts, DrillReport, DrillSummary, StatusView, PaperEntry, TemplateCopies, PrintPackRequest,
  // the ward snapshot (read-only copy of the ward's inpatients from the FHIR server)
  CensusRow, WardCopy, Census, SnapshotAllergy, SnapshotMedication, SnapshotProblem, SnapshotVital, SnapshotDocument,
  PatientSummary, SnapshotRefresh,
  // the fleet: each PC's readiness heartbeat and the administrator's report
  SelfTestVerdict, Readiness, Flag, FleetRow, FleetReport, Heartbeat, ChannelStatus, ChannelCheck,
} from "./generated/types";
