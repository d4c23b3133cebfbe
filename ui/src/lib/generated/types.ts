// Generated from the Rust types by `bash scripts/gen-types.sh`; do not edit.
import type { ErrorCode } from "./errors";

/**
 * Japanese-first text with an English counterpart.
 */
export type L10n = { ja: string, en: string, };

export type FieldType = "text" | "multiline" | "date" | "datetime" | "number" | "select" | "checkbox" | "table";

export type SelectOption = { value: string, ja: string, en: string, };

export type FieldDef = { id: string, label: L10n, type: FieldType, required: boolean, help: L10n | null, 
/**
 * Number fields: unit shown after the value (e.g. "mg", "℃").
 */
unit: string | null, min: number | null, max: number | null, 
/**
 * Text fields: maximum length in characters.
 */
max_length: number | null, 
/**
 * Select fields.
 */
options: Array<SelectOption>, 
/**
 * Table fields: the columns of each row (no nested tables).
 */
columns: Array<FieldDef>, min_rows: number | null, };

export type PrintOptions = { 
/**
 * Larger type for documents handed to patients.
 */
large_type: boolean, };

export type FormDef = { id: string, 
/**
 * Version of this template; recorded on every record made with it.
 */
version: string, title: L10n, description: L10n | null, print: PrintOptions, fields: Array<FieldDef>, };

/**
 * A single value or a table cell: text, a number sent as a JSON number, a checkbox, or `null`
 * for nothing entered.
 */
export type Cell = string | number | boolean | null;

/**
 * A field's value: a cell, or the rows of a table field (cells by column id).
 */
export type Value = Cell | Array<Row>;

/**
 * One row of a table field: its cells by column id (tables do not nest).
 */
export type Row = { [key in string]: Cell };

/**
 * A record's values by field id.
 */
export type Values = { [key in string]: Value };

/**
 * What is wrong; frontends localize by `code()`.
 */
export type Problem = { "code": "required" } | { "code": "unknown_field" } | { "code": "wrong_type", expected: string, } | { "code": "not_a_number" } | { "code": "below_min", min: number, } | { "code": "above_max", max: number, } | { "code": "bad_date" } | { "code": "bad_datetime" } | { "code": "unknown_option", allowed: Array<string>, } | { "code": "too_long", max: number, } | { "code": "not_single_line" } | { "code": "too_few_rows", min: number, };

/**
 * One problem with one field. `path` names the field (`medications[2].dose` for table cells).
 */
export type FieldError = { path: string, label: string, problem: Problem, };

/**
 * One field (or table cell) with characters that print as 〓.
 */
export type Unprintable = { 
/**
 * `field` or `table[row].column`, as in [`hikae_domain::form::FieldError`].
 */
path: string, label: string, chars: Array<string>, };

export type Patient = { id: string, name: string, };

export type RecordStatus = "draft" | "finalized";

/**
 * Which pack and template version a record was made with.
 */
export type Provenance = { pack_id: string, pack_version: string, template_id: string, template_version: string, template_hash: string, };

/**
 * What a record made during a downtime keeps of it.
 */
export type DowntimeMark = { id: string, started_at: string, scope: DowntimeScope, services: Array<ServiceKind>, };

/**
 * The paper original of a back-entered record.
 */
export type PaperOrigin = { 
/**
 * When the paper record was written.
 */
written_at: string, 
/**
 * Who wrote it.
 */
author: string, };

/**
 * The fields a record took from the ward snapshot when it was started.
 */
export type Prefilled = { 
/**
 * The copy's age (its last refresh).
 */
as_of: string, 
/**
 * Field ids, and their Japanese labels for the printed footer.
 */
fields: Array<string>, labels: Array<string>, };

/**
 * Fields carried over from an earlier record (copy-forward). A carried field stays
 * unconfirmed until the author edits it or confirms it; finalizing with unconfirmed ones
 * needs an explicit confirmation.
 */
export type Carried = { from_record: string, from_version: number, from_time: string, from_author: string, from_template: string, 
/**
 * Field ids carried, and their Japanese labels for the footer.
 */
fields: Array<string>, labels: Array<string>, confirmed: Array<string>, };

/**
 * A phrase the form offers for a field.
 */
export type Phrase = { field: string, text: string, 
/**
 * Kana reading, to find it by typing kana or romaji.
 */
reading: string | null, 
/**
 * The user's own phrase (its id, to delete it); `None` for the pack's.
 */
personal: number | null, };

/**
 * The circumstances of a record, fixed when it is created and printed on every page.
 */
export type RecordContext = { 
/**
 * Made during this continuity drill: watermarked, never sent, purged after the drill.
 */
drill_id: string | null, 
/**
 * Made while this downtime was declared.
 */
downtime: DowntimeMark | null, 
/**
 * Typed in later from a paper record written during a total outage.
 */
paper: PaperOrigin | null, 
/**
 * Started from the ward snapshot: which fields came from it, and from which copy.
 */
prefill: Prefilled | null, 
/**
 * Started from the patient's previous record: which fields were carried over, and which
 * the author has confirmed (edited or checked) since.
 */
carried: Carried | null, };

export type RecordData = { id: string, 
/**
 * Shared by all versions of one record (the first version's id).
 */
series_id: string, version: number, supersedes: string | null, correction_reason: string | null, patient: Patient, provenance: Provenance, status: RecordStatus, author: string, final_reviewer: string | null, values: Values, created_at: string, updated_at: string, finalized_at: string | null, 
/**
 * Incremented by every save; lets a frontend tell which save the store holds.
 */
revision: number, 
/**
 * The circumstances it was made in: a drill, a declared downtime, written on paper first.
 */
context: RecordContext, };

export type RecordView = { record: RecordData, form: FormDef, created_jst: string, updated_jst: string, problems: Array<FieldError>, 
/**
 * Fields with characters no installed font has (they print as 〓).
 */
unprintable: Array<Unprintable>, superseded_by: string | null, 
/**
 * What the record says about how it came about (drill, downtime, back-entry).
 */
notes: Array<string>, };

export type Saved = { revision: number, saved_at: string, problems: Array<FieldError>, unprintable: Array<Unprintable>, 
/**
 * The preview of what was saved (the same HTML the PDF is laid out from).
 */
preview: string, 
/**
 * Copy-forward: which carried fields are confirmed now (a save that changes one does).
 */
carried: Carried | null, };

export type RowSummary = { id: string, status: string, template_id: string, patient_id: string, patient_name: string, version: number, updated_jst: string, drill: boolean, downtime: boolean, paper: boolean, };

export type PackInfo = { id: string, version: string, name: L10n, };

export type AppInfo = { version: string, data_dir: string, 
/**
 * The data is encrypted: the start screen asks for a staff ID and PIN.
 */
encrypted: boolean, 
/**
 * Nothing is set up on this PC yet: the first-run setup screen comes first.
 */
needs_setup: boolean, 
/**
 * Demo mode (`--demo`): fictional data only, not encrypted; a banner on every screen.
 */
demo: boolean, 
/**
 * What protects the data at rest, for the start screen: "tpm" (keys sealed to this PC's
 * TPM), "passphrase" (every way in is a long passphrase), "pin" (PINs only: a copied
 * disk can be guessed offline), "demo" (not encrypted), "none" (not set up).
 */
protection: string, packs: Array<PackInfo>, warnings: Array<string>, };

export type TemplateInfo = { form: FormDef, approved_uses: Array<string>, data_categories: Array<string>, pack_id: string, pack_version: string, };

export type StepRole = "nurse" | "charge_nurse" | "doctor" | "clerk" | "it";

export type Step = { role: StepRole, text: L10n, 
/**
 * Id of a contact in `procedures/contacts.toml`.
 */
contact: string | null, };

export type Procedure = { id: string, title: L10n, summary: L10n, 
/**
 * Guidelines the steps follow (e.g. MHLW guideline 6.0, ONC SAFER).
 */
basis: Array<string>, step: Array<Step>, };

export type Contact = { id: string, label: L10n, 
/**
 * Editable by the administrator, e.g. "内線 1234（夜間：5678）".
 */
value: string, };

export type Procedures = { procedures: Array<Procedure>, contacts: Array<Contact>, };

export type CmdError = { 
/**
 * One of `Error::CODES` or `SHELL_CODES`.
 */
code: ErrorCode, message: string, fields: Array<FieldError>, };

export type Exported = { path: string, pages: number, bytes: number, 
/**
 * Characters printed as 〓 because the font lacks them.
 */
substituted: Array<string>, };

export type Printer = { name: string, default: boolean, };

export type Printed = { job: string, pages: number, };

export type BatchProgress = { 
/**
 * Steps done: one per record rendered, one per record laid out, one for writing.
 */
done: number, total: number, };

export type StepState = { done: boolean, by: string, at_jst: string, };

export type RunView = { id: string, procedure_id: string, started_jst: string, started_by: string, ended_jst: string | null, 
/**
 * Latest state of each step of the procedure, by index (None: never ticked).
 */
steps: Array<StepState | null>, };

export type SessionView = { staff_id: string, name: string, role: string, 
/**
 * Set for break-glass access: until when (Japan time) and why.
 */
break_glass_until: string | null, break_glass_reason: string | null, };

export type SetupView = { 
/**
 * Shown once, to be written down and kept in the safe: it opens the data if every PIN
 * is lost. It is not stored anywhere in clear.
 */
recovery_key: string, };

/**
 * What happened. The string codes are stored and exported; never change a released one.
 */
export type AuditAction = "login" | "login_failed" | "logout" | "lock" | "unlock" | "break_glass" | "view" | "create" | "edit" | "finalize" | "correct" | "print" | "export" | "copy" | "checklist_tick" | "pack_install" | "pack_rollback" | "roster_install" | "sync" | "drill_start" | "drill_end" | "drill_purge" | "downtime" | "settings" | "snapshot_refresh" | "audit_finding";

/**
 * Who acts. Until local accounts exist, `id` is the name the person gave.
 */
export type AuditActor = { id: string, name: string, role: string | null, session: string | null, 
/**
 * Emergency access without a normal login.
 */
break_glass: boolean, };

/**
 * An entry as stored, plus its time as staff read it.
 */
export type AuditEntryView = { at_jst: string, 
/**
 * 1, 2, 3, … in the order entries were made.
 */
seq: number, at: string, prev_hash: string, hash: string, actor: AuditActor, action: AuditAction, success: boolean, record_id: string | null, patient_id: string | null, 
/**
 * The approved use the data served (from the pack), e.g. 退院時の情報共有.
 */
purpose: string | null, 
/**
 * Category of data touched (from the pack), e.g. 診療記録.
 */
data_category: string | null, final_reviewer: string | null, 
/**
 * Anything else worth keeping (pack version, printer, reason), as short text.
 */
detail: string | null, };

export type AuditView = { entries: Array<AuditEntryView>, 
/**
 * What the chain check found over the whole log (empty: intact).
 */
findings: Array<string>, total: number, };

/**
 * Records per outbox state (`held`: waiting for a temporary patient ID to be mapped).
 */
export type OutboxCounts = { pending: number, held: number, acknowledged: number, rejected: number, 
/**
 * Pending and not held: what a run can send.
 */
sendable: number, };

export type SyncPhase = "sending" | "waiting" | "done" | "unreachable" | "cancelled";

/**
 * Where a run stands, for a progress bar.
 */
export type SyncProgress = { 
/**
 * Records sendable when the run started, plus any that became due during it.
 */
total: number, acknowledged: number, rejected: number, 
/**
 * Attempts that failed for now and will be retried.
 */
retries: number, requests: number, 
/**
 * What the run is doing (the UI words it).
 */
phase: SyncPhase, last_error: string | null, };

export type SyncStatus = { 
/**
 * The FHIR endpoint, if one is configured.
 */
endpoint: string | null, counts: OutboxCounts, running: boolean, last: SyncProgress | null, };

/**
 * What a run did.
 */
export type SyncOutcome = { progress: SyncProgress, 
/**
 * Left in the outbox, to be sent by a later run.
 */
pending: number, 
/**
 * Waiting for a temporary patient ID to be mapped.
 */
held: number, };

export type RowState = "draft" | "pending" | "held" | "sending" | "acknowledged" | "rejected";

export type ReconRow = { record_id: string, version: number, template_title: string, patient_id: string, patient_name: string, 
/**
 * The real ID a temporary one was mapped to.
 */
mapped_to: string | null, author: string, finalized_at: string | null, state: RowState, attempts: number, last_error: string | null, server_id: string | null, acknowledged_at: string | null, 
/**
 * For a template that maps to a JP-CLINS document: whether this record goes as one
 * (its patient was in the ward snapshot at finalize) or as a DocumentReference only.
 */
jpclins: boolean | null, };

/**
 * A temporary patient ID whose records cannot be sent yet.
 */
export type UnmappedPatient = { temporary_id: string, patient_name: string, records: number, };

export type PatientMapping = { temporary_id: string, real_id: string, real_name: string | null, mapped_by: string, mapped_at: string, };

export type Reconciliation = { generated_at: string, endpoint: string | null, counts: OutboxCounts, drafts: number, unmapped: Array<UnmappedPatient>, mappings: Array<PatientMapping>, rows: Array<ReconRow>, };

/**
 * The services a ward depends on (and the monitor probes).
 */
export type ServiceKind = "ai" | "idp" | "ehr" | "other";

export type ServiceState = "unknown" | "up" | "degraded" | "down";

export type ServiceStatus = { id: string, kind: ServiceKind, name: string, url: string, state: ServiceState, since: string | null, since_jst: string | null, checked_jst: string | null, latency_ms: number | null, last_error: string | null, };

export type DowntimeScope = "ward" | "hospital";

export type Downtime = { started_jst: string, ended_jst: string | null, id: string, services: Array<ServiceKind>, scope: DowntimeScope, reason: string, declared_by: string, started_at: string, ended_by: string | null, ended_at: string | null, end_note: string | null, 
/**
 * Declared as part of this drill (a practice downtime).
 */
drill_id: string | null, };

/**
 * What the monitor proposes to the people on the ward.
 */
export type Suggestion = { 
/**
 * "declare": a service is down and no downtime covers it; "recover": a service of the
 * declared downtime answers again.
 */
kind: "declare" | "recover", services: Array<ServiceKind>, since_jst: string, };

/**
 * Target minutes from the drill's start.
 */
export type Targets = { first_login: number | null, first_record: number | null, first_finalized: number | null, first_printed: number | null, procedures_done: number | null, };

/**
 * A drill scenario: what is down, for how long, which procedures the ward should work
 * through and how fast (minutes from the start).
 */
export type Scenario = { id: string, title: L10n, description: L10n, services: Array<ServiceKind>, 
/**
 * The outage the scenario plays out, in hours.
 */
hours: number, 
/**
 * Procedure ids expected to be worked through.
 */
procedures: Array<string>, targets: Targets, };

export type MilestoneKey = "first_login" | "first_record" | "first_finalized" | "first_printed" | "procedures_done";

export type Milestone = { key: MilestoneKey, label: string, at: string | null, at_jst: string | null, 
/**
 * Minutes from the drill's start, one decimal.
 */
minutes: number | null, target: number | null, 
/**
 * Whether the target was met (None: no target, or it did not happen).
 */
met: boolean | null, };

export type StepTiming = { procedure_id: string, procedure_title: string, 
/**
 * 1-based, as printed on the checklist.
 */
step: number, text: string, by: string, at_jst: string, minutes: number, };

export type MissedStep = { procedure_id: string, procedure_title: string, step: number, text: string, };

export type DrillRecordCounts = { created: number, finalized: number, 
/**
 * Records printed or saved as PDF at least once.
 */
printed: number, };

/**
 * A drill's report: live while it runs, frozen when it ends.
 */
export type DrillReport = { id: string, scenario: Scenario, started_at: string, started_jst: string, started_by: string, ended_at: string | null, ended_jst: string | null, ended_by: string | null, elapsed_min: number, participants: Array<string>, notes: string, findings: string, actions: string, milestones: Array<Milestone>, steps: Array<StepTiming>, missed: Array<MissedStep>, records: DrillRecordCounts, purged_jst: string | null, purged_records: number | null, };

/**
 * One line per past drill: the key times, so a ward sees whether it gets faster.
 */
export type DrillSummary = { id: string, scenario_title: string, started_jst: string, ended_jst: string | null, first_record_min: number | null, first_finalized_min: number | null, first_printed_min: number | null, missed: number, purged: boolean, };

export type StatusView = { services: Array<ServiceStatus>, downtime: Downtime | null, drill: DrillReport | null, suggestion: Suggestion | null, };

/**
 * A back-entered paper record: when it was written (as typed) and by whom.
 */
export type PaperEntry = { writtenAt: string, author: string, };

export type TemplateCopies = { id: string, copies: number, };

/**
 * What to print for the paper fallback.
 */
export type PrintPackRequest = { patients: Array<Patient>, 
/**
 * Blank forms per patient: template id and copies (1–10).
 */
templates: Array<TemplateCopies>, 
/**
 * Blank checklists of every downtime procedure.
 */
procedures: boolean, 
/**
 * The contact sheet.
 */
contacts: boolean, 
/**
 * The ward snapshot's census and a one-page summary of each patient in it, first.
 */
snapshot: boolean, };

/**
 * One inpatient of a ward as the copy knows them.
 */
export type CensusRow = { 
/**
 * The server's Patient id (`Patient/<this>`).
 */
patient: string, 
/**
 * The hospital's patient ID (the identifier in `[sync] patient_system`), if the server
 * gave one.
 */
patient_id: string | null, name: string, 
/**
 * Kana reading, if the server gave one.
 */
kana: string | null, birth_date: string | null, 
/**
 * Full years today (Japan time), when the birth date is known.
 */
age: number | null, 
/**
 * male / female / other / unknown, as FHIR has it.
 */
gender: string | null, ward: string, ward_name: string | null, bed: string | null, admitted: string | null, attending: string | null, 
/**
 * Why the patient is in (入院理由): the stay's `Encounter.reasonCode`, as the EHR wrote it.
 */
reason: string | null, 
/**
 * The department in charge (診療科): the stay's `Encounter.serviceType`.
 */
department: string | null, 
/**
 * The chief complaint (主訴): what the stay's `Encounter.diagnosis` with use `CC` names.
 */
complaint: string | null, 
/**
 * How many active allergies (0: none recorded, which is not "no allergies").
 */
allergies: number, 
/**
 * The newest `meta.lastUpdated` among this patient's resources in the copy.
 */
last_updated: string | null, };

/**
 * How old the copy of one ward is.
 */
export type WardCopy = { ward: string, name: string | null, 
/**
 * When the last successful refresh started (data is at least this fresh).
 */
as_of: string, 
/**
 * [`as_of_label`] of `as_of`.
 */
label: string, patients: number, };

/**
 * The census screen: every ward's age and its patients, by ward then bed.
 */
export type Census = { wards: Array<WardCopy>, rows: Array<CensusRow>, };

export type SnapshotAllergy = { text: string, 
/**
 * low / high / unable-to-assess
 */
criticality: string | null, reaction: string | null, recorded: string | null, };

export type SnapshotMedication = { text: string, 
/**
 * The dosage as the server wrote it (`dosageInstruction[].text`, or built from its parts).
 */
dosage: string | null, route: string | null, since: string | null, };

export type SnapshotProblem = { text: string, 
/**
 * The first coding as the server coded it: system, code.
 */
system: string | null, code: string | null, onset: string | null, };

export type SnapshotVital = { 
/**
 * LOINC code, if the server coded it.
 */
code: string | null, label: string, value: string, unit: string | null, at: string | null, };

/**
 * A record written at another PC during a downtime and already on the FHIR server.
 */
export type SnapshotDocument = { title: string, date: string | null, author: string | null, 
/**
 * The text of the record (the plain-text attachment), if it came with one.
 */
text: string | null, };

/**
 * Everything the copy holds about one inpatient, allergies first.
 */
export type PatientSummary = { row: CensusRow, 
/**
 * "電子カルテの控え 11/22 03:10時点": the age of this patient's copy.
 */
as_of_label: string, allergies: Array<SnapshotAllergy>, medications: Array<SnapshotMedication>, problems: Array<SnapshotProblem>, 
/**
 * The latest value of each vital sign.
 */
vitals: Array<SnapshotVital>, documents: Array<SnapshotDocument>, };

/**
 * What a refresh did, for the CLI and the status line.
 */
export type SnapshotRefresh = { wards: Array<string>, full: boolean, patients: number, admitted: number, discharged: number, resources: number, removed: number, requests: number, bytes: number, millis: number, };

export type SelfTestVerdict = "pass" | "warn" | "fail";

/**
 * What one PC says about itself in a heartbeat.
 */
export type Readiness = { 
/**
 * Stable per installation (random, made once, kept in the encrypted store).
 */
device_id: string, 
/**
 * What the administrator calls the PC (`[fleet] label`, else the host name).
 */
label: string, 
/**
 * When the PC made this report (its own clock; see `clock_offset_secs`).
 */
at: string, app_version: string, 
/**
 * Active template packs: (id, version).
 */
packs: Array<[string, string]>, 
/**
 * The installed roster's version, if any.
 */
roster_version: number | null, 
/**
 * The newest record the FHIR server acknowledged.
 */
last_sync: string | null, 
/**
 * Finalized records not yet on the server (pending, held or refused).
 */
outbox_depth: number, 
/**
 * When the oldest of them was queued.
 */
oldest_unsent: string | null, 
/**
 * When the last continuity drill ended.
 */
last_drill: string | null, 
/**
 * The last self-test: when, its worst verdict, and the checks that did not pass.
 */
selftest_at: string | null, selftest: SelfTestVerdict | null, selftest_failing: Array<string>, disk_free_bytes: number | null, 
/**
 * This PC's clock minus the server's (its `Date` header at the previous heartbeat).
 */
clock_offset_secs: number | null, 
/**
 * When the ward snapshot was last refreshed (when snapshots are configured).
 */
snapshot_at: string | null, 
/**
 * The signed channel's release this PC follows (when a channel is configured).
 */
channel_release: number | null, 
/**
 * Why the channel's last check was refused, if it was (stale, tampered, a key missing).
 */
channel_refused: string | null, };

/**
 * What makes a PC unready, most urgent first (the order of the report).
 */
export type Flag = { "kind": "self_test_failing", checks: Array<string>, } | { "kind": "unsent_old", hours: number, records: number, } | { "kind": "not_seen", hours: number, } | { "kind": "pack_behind", pack: string, has: string, newest: string, } | { "kind": "roster_behind", has: number | null, newest: number, } | { "kind": "channel_refused", reason: string, } | { "kind": "channel_behind", has: number, newest: number, } | { "kind": "no_recent_drill", days: number | null, } | { "kind": "clock_off", secs: number, } | { "kind": "self_test_stale", days: number | null, } | { "kind": "self_test_warn", checks: Array<string>, };

/**
 * One PC in the fleet report.
 */
export type FleetRow = { report: Readiness, 
/**
 * What needs attention, most urgent first (empty: ready).
 */
flags: Array<Flag>, };

export type FleetReport = { 
/**
 * The server's clock when it answered (the report's "now").
 */
at: string, endpoint: string, 
/**
 * Unready PCs first (the most urgent flag, then the number of flags), then the ready ones.
 */
rows: Array<FleetRow>, 
/**
 * Devices that could not be read, with why.
 */
unreadable: Array<string>, };

/**
 * What a heartbeat sent.
 */
export type Heartbeat = { device_id: string, endpoint: string, requests: number, bytes_sent: number, bytes_received: number, 
/**
 * This PC's clock minus the server's, as this heartbeat measured it.
 */
clock_offset_secs: number | null, };

/**
 * The channel as this PC knows it (`hikae fleet channel`).
 */
export type ChannelStatus = { source: string | null, root_version: number | null, release: number | null, checked_at: string | null, result: string | null, 
/**
 * Path → SHA-256 of each file installed from the channel.
 */
installed: { [key in string]: string }, };

/**
 * What one check did.
 */
export type ChannelCheck = { source: string, 
/**
 * The release (targets version) this PC now follows.
 */
release: number, root_version: number, unchanged: boolean, installed: Array<string>, refused: Array<string>, requests: number, bytes: number, };
