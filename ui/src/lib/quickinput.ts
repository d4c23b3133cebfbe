// Quick keyboard input: date/time shortcuts ("今", "昨日 14:30", "+1d") and type-ahead in select
// fields (first letters, kana or romaji). Pure logic, no DOM; unit-tested in quickinput.test.ts.
import { kanaToRomaji, normalizeRomaji, toHiragana } from "./phrases";
import type { SelectOption } from "./types";

// ---------------------------------------------------------------------------------------------
// dates and times

const JST = 9 * 3600_000; // Japan time: UTC+9, no DST
const DAY = 24 * 3600_000;

/** Day words, as days from today in Japan time. */
const DAY_WORDS: [string, number][] = [
  ["一昨日", -2], ["おととい", -2],
  ["昨日", -1], ["きのう", -1], ["yesterday", -1],
  ["今日", 0], ["きょう", 0], ["today", 0],
  ["明後日", 2], ["あさって", 2],
  ["明日", 1], ["あした", 1], ["あす", 1], ["tomorrow", 1],
  // single letters last, so that the words above win
  ["t", 0], ["y", -1],
];
const NOW_WORDS = ["今", "いま", "now"];

const pad = (n: number) => String(n).padStart(2, "0");

/** A Japan-time wall clock held in a Date's UTC fields. */
function format(wall: Date, kind: "date" | "datetime"): string {
  const d = `${wall.getUTCFullYear()}/${pad(wall.getUTCMonth() + 1)}/${pad(wall.getUTCDate())}`;
  return kind === "date" ? d : `${d} ${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
}

/** A time of day as minutes: "14:30", "1430", "930", "14時30分", "14時", "14時半"; null if not one. */
function parseTime(s: string): number | null {
  let m = /^(\d{1,2}):(\d{2})$/.exec(s) ?? /^(\d{1,2})(\d{2})$/.exec(s) ?? /^(\d{1,2})時(?:(\d{1,2})分?)?$/.exec(s);
  let h: number, min: number;
  if (m) [h, min] = [Number(m[1]), Number(m[2] ?? 0)];
  else if ((m = /^(\d{1,2})時半$/.exec(s))) [h, min] = [Number(m[1]), 30];
  else return null;
  return h <= 23 && min <= 59 ? h * 60 + min : null;
}

/** The text a date or datetime field should hold for a shortcut typed into it, in Japan time
 * (UTC+9, whatever the machine's time zone): `YYYY/MM/DD` or `YYYY/MM/DD HH:MM`. Shortcuts:
 * 今/いま/now; 今日/きょう/today/t, 昨日/きのう/yesterday/y, 明日/あした/あす/tomorrow,
 * 一昨日/おととい, 明後日/あさって; +1d, -2d, +1w (from today); for datetime +3h, -30m (from now);
 * 11/22 or 11月22日 (this year); for datetime a time (14:30, 1430, 14時30分, 14時) alone (today)
 * or after a day ("昨日 14:30", "-1d 0900", "11/22 14:30"). A day without a time keeps the current
 * time. Full-width characters count as ASCII, case is ignored. null when it is not a shortcut
 * (the field keeps what was typed, and the core checks it). */
export function expandDate(input: string, kind: "date" | "datetime", now: Date): string | null {
  const s = input.normalize("NFKC").replace(/[\u2010-\u2015\u2212]/g, "-").toLowerCase().replace(/\s+/g, " ").trim();
  if (!s) return null;
  const wall = new Date(now.getTime() + JST);
  if (Number.isNaN(wall.getTime())) return null;
  if (NOW_WORDS.includes(s)) return format(wall, kind);

  // "+3h", "-30m": from now, datetime only
  const rel = /^([+-])(\d{1,5})([hm])$/.exec(s);
  if (rel) {
    if (kind !== "datetime") return null;
    const n = Number(rel[2]) * (rel[3] === "h" ? 60 : 1) * 60_000;
    return format(new Date(wall.getTime() + (rel[1] === "-" ? -n : n)), kind);
  }

  // the day, then what follows it
  const [y, mo, d] = [wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate()];
  let day: Date | null = null;
  let rest = s;
  const word = DAY_WORDS.find(([w]) => s.startsWith(w));
  let m: RegExpExecArray | null;
  if (word) {
    day = new Date(Date.UTC(y, mo, d + word[1]));
    rest = s.slice(word[0].length);
  } else if ((m = /^([+-])(\d{1,4})([dw])/.exec(s))) {
    const n = Number(m[2]) * (m[3] === "w" ? 7 : 1);
    day = new Date(Date.UTC(y, mo, d + (m[1] === "-" ? -n : n)));
    rest = s.slice(m[0].length);
  } else if ((m = /^(\d{1,2})\/(\d{1,2})(?![\d/])/.exec(s) ?? /^(\d{1,2})月(\d{1,2})日/.exec(s))) {
    const [mm, dd] = [Number(m[1]), Number(m[2])];
    // the year that puts the day nearest today (12/31 typed on 1 January is last night)
    const today = Date.UTC(y, mo, d);
    const candidates = [y - 1, y, y + 1]
      .map((yy) => new Date(Date.UTC(yy, mm - 1, dd)))
      .filter((c) => c.getUTCMonth() === mm - 1 && c.getUTCDate() === dd);
    if (mm < 1 || mm > 12 || !candidates.length) return null;
    day = candidates.reduce((a, b) => (Math.abs(b.getTime() - today) < Math.abs(a.getTime() - today) ? b : a));
    rest = s.slice(m[0].length);
  }

  if (day) {
    // a time after a day that ends in a digit needs a space ("11/22 1430", not "11/221430")
    if (rest && /\d$/.test(s.slice(0, s.length - rest.length)) && !rest.startsWith(" ")) return null;
    rest = rest.trim();
    if (!rest) {
      if (kind === "date") return format(day, kind);
      return format(new Date(day.getTime() + (wall.getTime() % DAY + DAY) % DAY), kind);
    }
    if (kind === "date") return null;
    const t = parseTime(rest);
    return t === null ? null : format(new Date(day.getTime() + t * 60_000), kind);
  }

  // a time alone: today at that time
  if (kind !== "datetime") return null;
  const t = parseTime(s);
  return t === null ? null : format(new Date(Date.UTC(y, mo, d) + t * 60_000), kind);
}

// ---------------------------------------------------------------------------------------------
// select type-ahead

const fold = (s: string) => toHiragana(s.normalize("NFKC").toLowerCase());
const letters = (s: string) => s.normalize("NFKC").toLowerCase().replace(/[^a-z]/g, "");

/** The index of the first option whose value, English label or Japanese label (hiragana and
 * katakana alike, full or half width) starts with `typed`; failing that, the first whose
 * Japanese label's romaji does (Hepburn or kunrei: "fu" and "hu" both find フルコード); -1 when
 * none does or nothing was typed. Case is ignored. */
export function matchOption(options: readonly SelectOption[], typed: string): number {
  const q = fold(typed);
  if (!q.trim()) return -1;
  const direct = options.findIndex((o) => [o.value, o.en, o.ja].some((label) => !!label && fold(label).startsWith(q)));
  if (direct >= 0 || !/^[a-z][a-z\s'-]*$/.test(q)) return direct;
  const raw = letters(q), norm = normalizeRomaji(q);
  return options.findIndex((o) => {
    const romaji = letters(kanaToRomaji(o.ja ?? ""));
    return !!romaji && (romaji.startsWith(raw) || (!!norm && normalizeRomaji(romaji).startsWith(norm)));
  });
}

/** Characters typed in a row, as a select's type-ahead collects them: a pause longer than
 * `timeout` ms starts afresh. Times are passed in (e.g. `KeyboardEvent.timeStamp`). */
export class TypeAhead {
  private buffer = "";
  private last = -Infinity;
  readonly timeout: number;
  constructor(timeout = 1000) {
    this.timeout = timeout;
  }

  /** Whether typing is under way at `at` (the last key is less than `timeout` ago). */
  active(at: number): boolean {
    return this.buffer !== "" && at - this.last <= this.timeout;
  }

  /** Adds a character typed at `at` and gives what has been typed so far. */
  push(ch: string, at: number): string {
    this.buffer = (this.active(at) ? this.buffer : "") + ch;
    this.last = at;
    return this.buffer;
  }

  /** Forgets what was typed. */
  reset(): void {
    this.buffer = "";
    this.last = -Infinity;
  }
}

/** The option a character typed at `at` picks: what has been typed so far, or, when that
 * matches nothing, the character alone (typing starts afresh from it). -1 when neither matches. */
export function typeAheadPick(options: readonly SelectOption[], ta: TypeAhead, ch: string, at: number): number {
  const typed = ta.push(ch, at);
  const i = matchOption(options, typed);
  if (i >= 0 || typed === ch) return i;
  ta.reset();
  return matchOption(options, ta.push(ch, at));
}
