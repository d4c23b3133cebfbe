// Pure logic for copy-forward ("前回から作成"): a record started from the patient's previous
// finalized record of the template. Carried text is a known safety risk (stale text signed as
// new), so each carried field is marked until the author edits or confirms it, and finalizing
// with unconfirmed ones needs an explicit confirmation. No Tauri, no DOM; tested in carry.test.ts.
import { jstDateTime, prefillTime } from "./census";
import { errorText, l10n, t, tf, type Lang } from "./i18n";
import type { Carried, FormDef } from "./types";

export type CarriedState = "none" | "unconfirmed" | "confirmed";

/** Whether a field was carried, and if so whether the author has confirmed it (edited or checked). */
export function carriedState(c: Carried | null | undefined, fieldId: string): CarriedState {
  if (!c || !c.fields.includes(fieldId)) return "none";
  return c.confirmed.includes(fieldId) ? "confirmed" : "unconfirmed";
}

/** The carried field ids not yet confirmed, in the order they were carried. */
export function unconfirmedCarried(c: Carried | null | undefined): string[] {
  return c ? c.fields.filter((f) => !c.confirmed.includes(f)) : [];
}

/** A carried field's label in `lang`: the form's label, else the core's (Japanese) one, else its id. */
export function carriedLabel(lang: Lang, form: FormDef, c: Carried, fieldId: string): string {
  const f = form.fields.find((x) => x.id === fieldId);
  if (f) return l10n(lang, f.label);
  const i = c.fields.indexOf(fieldId);
  return (i >= 0 ? c.labels[i] : undefined) || fieldId;
}

/** The labels of the carried fields not yet confirmed (for the finalize dialog). */
export function unconfirmedLabels(lang: Lang, form: FormDef, c: Carried | null | undefined): string[] {
  return c ? unconfirmedCarried(c).map((f) => carriedLabel(lang, form, c, f)) : [];
}

/** When the source record was made, in Japan time: "11/21 16:30", with the year when it is
 * not this (Japan) year: "2025/11/21 16:30". The text unchanged when it cannot be read. */
export function carriedTime(iso: string, nowMs: number): string {
  const full = jstDateTime(iso);
  if (full === iso) return iso;
  return full.slice(0, 4) === jstDateTime(new Date(nowMs).toISOString()).slice(0, 4) ? prefillTime(iso) : full;
}

/** The line over a record started from the previous one: from which record (time, author), how
 * many fields were carried, and how many are still to be checked. */
export function carriedNote(lang: Lang, c: Carried, nowMs: number): string {
  const vars = { time: carriedTime(c.from_time, nowMs), author: c.from_author, n: c.fields.length, m: unconfirmedCarried(c).length };
  if (vars.n === 0) return tf(lang, "carriedNoteNone", vars);
  return tf(lang, vars.m === 0 ? "carriedNoteDone" : "carriedNote", vars);
}

/** The carried state after a command answered `incoming` (a save's `Saved.carried`, or
 * `confirm_carried`). Confirmations only ever grow in the core, so answers arriving out of order
 * never take a confirmation back; an answer without the state (`undefined`: a core that does not
 * send it) keeps the current one. */
export function mergeCarried(current: Carried | null, incoming: Carried | null | undefined): Carried | null {
  if (incoming === undefined) return current;
  if (!incoming || !current || incoming.from_record !== current.from_record) return incoming;
  const confirmed = [...incoming.confirmed, ...current.confirmed.filter((f) => !incoming.confirmed.includes(f))];
  return { ...incoming, confirmed };
}

/** Whether the finalize dialog's button can be pressed: a reviewer is named and, when carried
 * fields are still unconfirmed, the reviewer has ticked that they are still true. */
export function finalizeReady(reviewer: string, unconfirmed: number, carriedChecked: boolean): boolean {
  return reviewer.trim() !== "" && (unconfirmed === 0 || carriedChecked);
}

function codeOf(e: unknown): string {
  const o = typeof e === "object" && e !== null ? (e as { code?: unknown }) : null;
  return typeof o?.code === "string" ? o.code : "";
}

/** Whether a failed finalize was refused for unconfirmed carried fields (`bad_state`). */
export function isCarriedRefusal(e: unknown, c: Carried | null | undefined): boolean {
  return !!c && c.fields.length > 0 && codeOf(e) === "bad_state";
}

/** The refusal in words: tick the box, then the core's message (which names the fields) for the
 * administrator. */
export function carriedRefusalText(lang: Lang, e: unknown): string {
  const m = typeof e === "object" && e !== null ? (e as { message?: unknown }).message : undefined;
  return typeof m === "string" && m ? `${t(lang, "carriedRefused")}\n${tf(lang, "errorDetail", { message: m })}` : t(lang, "carriedRefused");
}

/** A failed "start from the last record" in words: no earlier finalized record (not_found) says
 * so, with the core's message for the administrator; anything else as usual. */
export function fromPreviousErrorText(lang: Lang, e: unknown): string {
  if (codeOf(e) !== "not_found") return errorText(lang, e);
  const m = (e as { message?: unknown }).message;
  return typeof m === "string" && m ? `${t(lang, "fromPreviousNone")}\n${tf(lang, "errorDetail", { message: m })}` : t(lang, "fromPreviousNone");
}
