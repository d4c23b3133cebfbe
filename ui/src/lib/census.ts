// Pure logic for the ward snapshot screens (census, patient summary): no Tauri, no DOM.
// Unit-tested in census.test.ts.
import { errorText, t, tf, type Lang } from "./i18n";
import type { CensusRow, Prefilled, WardCopy } from "./types";

/** Text as the census search compares it: NFKC (full-width digits and letters to half-width,
 * half-width kana to full-width), lower case, hiragana as katakana, without spaces or "・". */
export function normalizeSearch(s: string): string {
  return s
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60))
    .replace(/[\s・]+/g, "");
}

function fields(r: CensusRow): string[] {
  return [r.bed, r.name, r.kana, r.patient_id].filter((f): f is string => !!f).map(normalizeSearch);
}

/** The rows matching a query on bed, name, kana or the hospital patient ID, in the given order.
 * A row matches when the whole query (spaces ignored) is in one of them, or when each of the
 * query's space-separated words is in one of them ("5E 架空"). An empty query keeps every row. */
export function filterCensus(rows: CensusRow[], query: string): CensusRow[] {
  const whole = normalizeSearch(query);
  if (!whole) return rows;
  const words = query.split(/[\s\u3000]+/).map(normalizeSearch).filter(Boolean);
  return rows.filter((r) => {
    const fs = fields(r);
    const has = (w: string) => fs.some((f) => f.includes(w));
    return has(whole) || (words.length > 1 && words.every(has));
  });
}

export interface WardGroup { ward: string; name: string; copy: WardCopy | null; rows: CensusRow[] }

/** Rows by ward in the order of the copies (each ward shown, even with no row); rows of a ward
 * the copies do not list come after, in order of appearance. */
export function groupByWard(wards: WardCopy[], rows: CensusRow[]): WardGroup[] {
  const groups: WardGroup[] = wards.map((w) => ({ ward: w.ward, name: w.name || w.ward, copy: w, rows: [] }));
  for (const r of rows) {
    let g = groups.find((x) => x.ward === r.ward);
    if (!g) { g = { ward: r.ward, name: r.ward_name || r.ward, copy: null, rows: [] }; groups.push(g); }
    g.rows.push(r);
  }
  return groups;
}

/** The ward whose copy is oldest (the first of equals), or null without copies. */
export function oldestWard(wards: WardCopy[]): string | null {
  let best: WardCopy | null = null;
  for (const w of wards) if (!best || Date.parse(w.as_of) < Date.parse(best.as_of)) best = w;
  return best?.ward ?? null;
}

/** A highlighted row moved by `delta`, kept within `count` rows (-1 when there are none). */
export function moveHighlight(index: number, delta: number, count: number): number {
  if (count <= 0) return -1;
  return Math.min(count - 1, Math.max(0, (index < 0 ? (delta > 0 ? -1 : count) : index) + delta));
}

const SEX = { male: "sexMale", female: "sexFemale", other: "sexOther", unknown: "sexUnknown" } as const;

/** FHIR's gender (male / female / other / unknown) in words; "" when not given. */
export function sexLabel(lang: Lang, gender: string | null): string {
  if (!gender) return "";
  return Object.hasOwn(SEX, gender) ? t(lang, SEX[gender as keyof typeof SEX]) : gender;
}

/** "72歳・女性" / "72 y, female", with what is known; "—" when neither is. */
export function ageSex(lang: Lang, age: number | null, gender: string | null): string {
  const parts = [age === null ? "" : tf(lang, "ageYears", { n: age }), sexLabel(lang, gender)].filter(Boolean);
  return parts.length ? parts.join(lang === "ja" ? "・" : ", ") : "—";
}

/** The census flag: "アレルギーあり N件", or "記録なし" for 0 (none recorded, not "no allergies"). */
export function allergyLabel(lang: Lang, count: number): string {
  return count > 0 ? tf(lang, "allergyCount", { n: count }) : t(lang, "allergyNone");
}

const JST = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

/** A FHIR date or dateTime as the core writes JST times: "2026/12/01 10:00" (a date alone:
 * "2026/12/01"); "" for null, the text unchanged when it cannot be read. */
export function jstDateTime(s: string | null): string {
  if (!s) return "";
  if (/^\d{4}(-\d{2}(-\d{2})?)?$/.test(s)) return s.replace(/-/g, "/");
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return s;
  const parts = JST.formatToParts(new Date(ms));
  const get = (k: string) => parts.find((p) => p.type === k)?.value ?? "";
  return `${get("year")}/${get("month")}/${get("day")} ${get("hour")}:${get("minute")}`;
}

/** How long ago a copy was made: "（12分前）", "（3時間5分前）"; "" when unreadable or ahead. */
export function copyAge(lang: Lang, asOf: string, nowMs: number): string {
  const t0 = Date.parse(asOf);
  if (Number.isNaN(t0) || nowMs < t0) return "";
  const min = Math.floor((nowMs - t0) / 60_000);
  const time = min < 60 ? tf(lang, "censusMinutes", { m: min }) : tf(lang, "censusHours", { h: Math.floor(min / 60), m: min % 60 });
  return tf(lang, "censusAgo", { time });
}

/** A failed refresh in words. The server's answer (or its absence) arrives as the core's
 * generic input error, so the text says what it means here (the copy is intact), with the
 * core's message for the administrator; another refresh running, a lock or a role as usual. */
export function refreshErrorText(lang: Lang, e: unknown): string {
  const o = typeof e === "object" && e !== null ? (e as { code?: unknown; message?: unknown }) : null;
  const code = typeof o?.code === "string" ? o.code : "";
  if (code === "sync_running") return t(lang, "censusRefreshRunning");
  if (code === "locked" || code === "forbidden") return errorText(lang, e);
  const message = o ? (typeof o.message === "string" ? o.message : "") : e === undefined || e === null ? "" : String(e);
  return message ? `${t(lang, "censusRefreshFailed")}\n${tf(lang, "errorDetail", { message })}` : t(lang, "censusRefreshFailed");
}

/** A copy's time, short, in Japan time: "12/02 11:01"; the text unchanged when it cannot be read. */
export function prefillTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const parts = JST.formatToParts(new Date(ms));
  const get = (k: string) => parts.find((p) => p.type === k)?.value ?? "";
  return `${get("month")}/${get("day")} ${get("hour")}:${get("minute")}`;
}

/** Whether a record's field was filled in from the ward snapshot when the record was started
 * (it stays so after an edit: it marks where the value came from). */
export function isPrefilled(prefill: Prefilled | null | undefined, fieldId: string): boolean {
  return !!prefill && prefill.fields.includes(fieldId);
}

/** The line over a record started from the snapshot: from which copy, check it; and, when
 * fields were filled in (not just the patient's identity), how they are marked. */
export function prefillNote(lang: Lang, prefill: Prefilled): string {
  const note = tf(lang, "prefillNote", { time: prefillTime(prefill.as_of) });
  return prefill.fields.length ? `${note}${lang === "ja" ? "" : " "}${t(lang, "prefillNoteMarked")}` : note;
}
