// Pure logic for the continuity screens (status line, downtime, drills, print pack): no Tauri,
// no DOM. Unit-tested in continuity.test.ts.
import type { Milestone, Patient, ServiceKind } from "./types";

/** Declaring / ending a downtime and starting / ending / purging a drill: charge nurses and
 * administrators, or anyone on an unencrypted (demo) install, where there are no sessions. */
export function canManage(session: { role: string } | null, encrypted: boolean): boolean {
  if (!session) return !encrypted;
  return session.role === "charge_nurse" || session.role === "admin";
}

// as the core maps them: another system's outage is worked through like the EHR's
const PROCEDURE: Record<ServiceKind, string> = { ai: "ai-outage", idp: "auth-outage", ehr: "ehr-outage", other: "ehr-outage" };

/** The downtime procedure for each outage, in the order of the services, without repeats. */
export function proceduresFor(services: ServiceKind[]): string[] {
  const out: string[] = [];
  for (const s of services) {
    const p = PROCEDURE[s];
    if (p && !out.includes(p)) out.push(p);
  }
  return out;
}

/** Today in Japan as the core writes dates: "2026/11/22". */
export function todayJst(now: Date): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}/${get("month")}/${get("day")}`;
}

/** "2026/11/22 14:05" → "14:05" when it is today, else unchanged (a downtime can cross midnight). */
export function shortJst(jst: string | null, today: string): string {
  if (!jst) return "";
  return jst.startsWith(today + " ") ? jst.slice(today.length + 1) : jst;
}

/** Whole minutes since an RFC 3339 time (0 when it is unreadable or in the future). */
export function elapsedMinutes(startedAt: string, nowMs: number): number {
  const t = Date.parse(startedAt);
  if (Number.isNaN(t) || nowMs < t) return 0;
  return Math.floor((nowMs - t) / 60_000);
}

export interface LineError { line: number; text: string }

/** Patients typed one per line, "ID 氏名" (split on the first space, full-width too). Blank lines
 * are skipped; a line without both an ID and a name is an error, reported with its line number. */
export function parsePatientLines(text: string): { patients: Patient[]; errors: LineError[] } {
  const patients: Patient[] = [];
  const errors: LineError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const m = /^(\S+)\s+(.+)$/u.exec(line);
    if (!m) { errors.push({ line: i + 1, text: line }); return; }
    patients.push({ id: m[1], name: m[2].trim() });
  });
  return { patients, errors };
}

/** Concatenates patient lists, keeping the first of each ID. */
export function mergePatients(...lists: Patient[][]): Patient[] {
  const seen = new Set<string>();
  const out: Patient[] = [];
  for (const list of lists) for (const p of list) {
    if (seen.has(p.id)) continue;
    seen.add(p.id);
    out.push(p);
  }
  return out;
}

export const PACK_MAX_PATIENTS = 200;
export const PACK_MAX_COPIES = 10;

/** How much paper a print pack is: forms per patient and in all, plus the extra sheets. */
export function packSummary(patients: number, templates: { copies: number }[], procedures: number, contacts: boolean) {
  const perPatient = templates.reduce((n, t) => n + t.copies, 0);
  return { patients, perPatient, forms: patients * perPatient, procedures, contacts };
}

/** Whether a print pack can go: the typed lines all read, at most 200 patients, and either
 * patients with something to print for them or the ward snapshot (census and summaries),
 * which needs no patients chosen. */
export function packReady(p: {
  lineErrors: number; patients: number; forms: number; procedures: boolean; contacts: boolean; snapshot: boolean;
}): boolean {
  if (p.lineErrors > 0 || p.patients > PACK_MAX_PATIENTS) return false;
  return (p.patients > 0 && (p.forms > 0 || p.procedures || p.contacts)) || p.snapshot;
}

/** Copies typed in a number box, kept to 1..10. */
export function clampCopies(n: number): number {
  if (!Number.isFinite(n)) return 1;
  return Math.min(PACK_MAX_COPIES, Math.max(1, Math.round(n)));
}

/** Names typed one per line (participants), trimmed, without blanks or repeats. */
export function lines(text: string): string[] {
  const out: string[] = [];
  for (const l of text.split(/\r?\n/)) {
    const s = l.trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** met: reached within the target; late: reached after it; done: reached, no target;
 * waiting: running, not yet reached, target not passed; overdue: running, target passed;
 * not_done: the drill ended without it. */
export type MilestoneState = "met" | "late" | "done" | "waiting" | "overdue" | "not_done";

export function milestoneState(m: Milestone, running: boolean, elapsedMin: number): MilestoneState {
  if (m.minutes !== null) {
    if (m.met === true) return "met";
    if (m.met === false) return "late";
    if (m.target !== null && m.minutes > m.target) return "late";
    return m.target !== null ? "met" : "done";
  }
  if (!running) return "not_done";
  return m.target !== null && elapsedMin > m.target ? "overdue" : "waiting";
}

/** A minutes axis from 0 with round steps, at most 8 of them, at least 10 minutes long. */
export function minuteAxis(maxMinutes: number): { max: number; step: number; ticks: number[] } {
  const m = Math.max(10, Number.isFinite(maxMinutes) ? maxMinutes : 0);
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440];
  const step = steps.find((s) => m / s <= 8) ?? Math.ceil(m / 8 / 1440) * 1440;
  const max = Math.ceil(m / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= max; v += step) ticks.push(v);
  return { max, step, ticks };
}

export interface TimelineRow { label: string; minutes: number | null; target: number | null; late?: boolean }
export interface TimelineBar extends TimelineRow { y: number; width: number; targetX: number | null }
export interface Timeline {
  width: number; height: number; left: number; plot: number; rowHeight: number; top: number;
  axis: { max: number; step: number; ticks: { value: number; x: number }[] };
  bars: TimelineBar[];
}

/** Layout of the drill timeline chart: one horizontal bar per row from 0 to its minute, a mark at
 * its target, and the minutes axis under them. Coordinates are SVG user units. */
export function timeline(rows: TimelineRow[], width = 720, left = 220, rowHeight = 28): Timeline {
  const top = 8;
  const plot = Math.max(10, width - left - 16);
  const max = Math.max(0, ...rows.map((r) => Math.max(r.minutes ?? 0, r.target ?? 0)));
  const axis = minuteAxis(max);
  const x = (v: number) => left + (plot * Math.min(v, axis.max)) / axis.max;
  const bars = rows.map((r, i) => ({
    ...r,
    y: top + i * rowHeight,
    width: r.minutes === null ? 0 : x(r.minutes) - left,
    targetX: r.target === null ? null : x(r.target),
  }));
  return {
    width, height: top + rows.length * rowHeight + 36, left, plot, rowHeight, top,
    axis: { ...axis, ticks: axis.ticks.map((v) => ({ value: v, x: x(v) })) },
    bars,
  };
}
