// Pure form logic used by the components (no Tauri, no DOM): unit-tested in form.test.ts.
import type { FieldDef, FieldError, FormDef, Row, Unprintable, Values } from "./types";

export function emptyValue(f: FieldDef): string | boolean | Row[] {
  if (f.type === "checkbox") return false;
  if (f.type === "table") return [];
  return "";
}

export function emptyRow(f: FieldDef): Row {
  const row: Row = {};
  for (const c of f.columns) row[c.id] = c.type === "checkbox" ? false : "";
  return row;
}

/** Every field present; stored values win. */
export function completeValues(form: FormDef, stored: Values): Values {
  const out: Values = {};
  for (const f of form.fields) out[f.id] = stored[f.id] ?? emptyValue(f);
  return out;
}

export function addRow(rows: Row[], f: FieldDef, at = rows.length): Row[] {
  const copy = rows.slice();
  copy.splice(at, 0, emptyRow(f));
  return copy;
}

export function removeRow(rows: Row[], index: number): Row[] {
  return rows.filter((_, i) => i !== index);
}

export function moveRow(rows: Row[], index: number, by: -1 | 1): Row[] {
  const to = index + by;
  if (to < 0 || to >= rows.length) return rows;
  const copy = rows.slice();
  [copy[index], copy[to]] = [copy[to], copy[index]];
  return copy;
}

/** Problems for one field (or one table cell: `meds[2].dose`). */
export function problemsAt(problems: FieldError[], path: string): FieldError[] {
  return problems.filter((p) => p.path === path || p.path.startsWith(path + "[") || p.path.startsWith(path + "."));
}

export function cellPath(field: string, rowIndex: number, column: string): string {
  return `${field}[${rowIndex + 1}].${column}`;
}

/** Characters that print as 〓 at exactly this path (a field, one table cell, or `patient`),
 * merged when the core reports the path more than once, each character once, in order. */
export function unprintableAt(list: Unprintable[], path: string): string[] {
  const chars: string[] = [];
  for (const u of list) if (u.path === path) for (const c of u.chars) if (!chars.includes(c)) chars.push(c);
  return chars;
}

/** A character with its code point, so one the screen cannot show either can still be found: `𠮷 (U+20BB7)`. */
export function describeChar(c: string): string {
  const cp = c.codePointAt(0);
  if (cp === undefined) return c;
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  // invisible or blank characters: only the code point says what they are
  return /^[\p{C}\p{Z}]$/u.test(c) ? code : `${c} (${code})`;
}

/** A temporary patient ID for downtime, marked for later reconciliation: DT-20261121-1430-7Q2. */
export function temporaryPatientId(now: Date, random: () => number = Math.random): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  let tail = "";
  for (let i = 0; i < 3; i++) tail += alphabet[Math.floor(random() * alphabet.length) % alphabet.length];
  return `DT-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}-${tail}`;
}

export function isTemporaryPatientId(id: string): boolean {
  return /^DT-\d{8}-\d{4}-[2-9A-HJ-NP-Z]{3}$/.test(id);
}

/**
 * Serializes saves: at most one in flight; while one runs, only the latest values wait.
 * Nothing typed is dropped: the last `push` before idle is always saved.
 */
export class SaveQueue<T> {
  private running = false;
  private pending: T | null = null;
  constructor(private save: (v: T) => Promise<void>, private onError: (e: unknown) => void) {}

  push(v: T): void {
    this.pending = v;
    if (!this.running) void this.drain();
  }

  get busy(): boolean {
    return this.running || this.pending !== null;
  }

  private waiters: (() => void)[] = [];

  /** Resolves once no save is in flight: true when everything pushed is saved, false when a
   * save failed and its values wait for a retry. */
  settled(): Promise<boolean> {
    if (!this.running) return Promise.resolve(this.pending === null);
    return new Promise((resolve) => this.waiters.push(() => resolve(this.pending === null)));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.pending !== null) {
      const v = this.pending;
      this.pending = null;
      try {
        await this.save(v);
      } catch (e) {
        this.onError(e);
        // keep the unsaved values so the next change (or a retry) saves them
        if (this.pending === null) this.pending = v;
        this.running = false;
        this.wake();
        return;
      }
    }
    this.running = false;
    this.wake();
  }

  /** Retries the values a failed save left behind. */
  retry(): void {
    if (!this.running && this.pending !== null) void this.drain();
  }
}

/** A day typed in the record list's date filter ("2026/11/21", "2026-11-21", "2026年11月21日",
 * full-width digits) as YYYY-MM-DD; "" for empty; null when it is not a real date. */
export function parseDay(input: string): string | null {
  const s = input.trim().replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  if (!s) return "";
  const m = /^(\d{4})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})\s*日?$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${m[1]}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}
