// Stock phrases (定型文): finding one by its text, its kana reading or romaji, and inserting it
// at the caret. Pure logic, no Tauri, no DOM; unit-tested in phrases.test.ts.
import { normalizeSearch } from "./census";
import type { FieldType, Phrase } from "./types";

/** The longest phrase the core keeps (hikae_packs::MAX_PHRASE), in characters. */
export const MAX_PHRASE = 500;

/** Phrases go into text and multiline fields only (the core refuses others). */
export function acceptsPhrases(type: FieldType): boolean {
  return type === "text" || type === "multiline";
}

/** A field's phrases, in the order the core gave them (the pack's, then the user's own). */
export function phrasesFor(phrases: Phrase[], field: string): Phrase[] {
  return phrases.filter((p) => p.field === field);
}

// ---------------------------------------------------------------------------------------------
// kana → romaji (Hepburn-ish)

const ROWS: [string, string[]][] = [
  ["あいうえお", ["a", "i", "u", "e", "o"]],
  ["かきくけこ", ["ka", "ki", "ku", "ke", "ko"]],
  ["がぎぐげご", ["ga", "gi", "gu", "ge", "go"]],
  ["さしすせそ", ["sa", "shi", "su", "se", "so"]],
  ["ざじずぜぞ", ["za", "ji", "zu", "ze", "zo"]],
  ["たちつてと", ["ta", "chi", "tsu", "te", "to"]],
  ["だぢづでど", ["da", "ji", "zu", "de", "do"]],
  ["なにぬねの", ["na", "ni", "nu", "ne", "no"]],
  ["はひふへほ", ["ha", "hi", "fu", "he", "ho"]],
  ["ばびぶべぼ", ["ba", "bi", "bu", "be", "bo"]],
  ["ぱぴぷぺぽ", ["pa", "pi", "pu", "pe", "po"]],
  ["まみむめも", ["ma", "mi", "mu", "me", "mo"]],
  ["やゆよ", ["ya", "yu", "yo"]],
  ["らりるれろ", ["ra", "ri", "ru", "re", "ro"]],
  ["わゐゑをん", ["wa", "i", "e", "o", "n"]],
  ["ゔ", ["vu"]],
  // small kana standing alone (after a kana they combine, below)
  ["ぁぃぅぇぉ", ["a", "i", "u", "e", "o"]],
  ["ゃゅょゎゕゖ", ["ya", "yu", "yo", "wa", "ka", "ke"]],
];
const KANA: Record<string, string> = Object.fromEntries(ROWS.flatMap(([kana, romaji]) => [...kana].map((k, i) => [k, romaji[i]])));
const SMALL_Y = "ゃゅょ";
const SMALL_V = "ぁぃぅぇぉ";
const CONSONANT = /^[bcdfghjklmnpqrstvwxyz]/;

/** Katakana as hiragana (ヴ as ゔ); anything else unchanged. */
export function toHiragana(s: string): string {
  return s.replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));
}

/** Kana (hiragana or katakana, full or half width) in Hepburn-ish romaji: きゃ kya, しゃ sha,
 * ちょ cho, じゅ ju; っ doubles the next consonant (っち tchi); ー repeats the vowel before it;
 * ん n; ファ fa, ティ ti, ウィ wi. Anything that is not kana is kept as it is (lower case). */
export function kanaToRomaji(s: string): string {
  const chars = [...toHiragana(s.normalize("NFKC").toLowerCase())];
  let out = "";
  let sokuon = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === "っ") { sokuon = true; continue; }
    if (c === "ー") {
      const v = /[aeiou]$/.exec(out);
      if (v) out += v[0];
      sokuon = false;
      continue;
    }
    let r = KANA[c];
    if (r === undefined) { out += c; sokuon = false; continue; }
    const next = chars[i + 1] ?? "";
    const small = KANA[next];
    if (next && SMALL_Y.includes(next) && !SMALL_Y.includes(c) && r.length > 1 && r.endsWith("i")) {
      // きゃ kya; しゃ sha, ちゃ cha, じゃ ja (no y)
      r = /^(sh|ch|j)i$/.test(r) ? r.slice(0, -1) + small.slice(1) : r.slice(0, -1) + small;
      i++;
    } else if (next && SMALL_V.includes(next) && !SMALL_V.includes(c) && !SMALL_Y.includes(c)) {
      // ファ fa, ティ ti, チェ che, ウィ wi, イェ ye
      r = r.length > 1 ? r.slice(0, -1) + small : r === "u" ? "w" + small : r === "i" ? "y" + small : r + small;
      i++;
    }
    if (sokuon) {
      if (r.startsWith("ch")) r = "t" + r;
      else if (CONSONANT.test(r)) r = r[0] + r;
      sokuon = false;
    }
    out += r;
  }
  return out;
}

/** Romaji as the filter compares it, so that Hepburn and kunrei-shiki spellings meet: letters
 * only (spaces, hyphens, apostrophes dropped), shi→si, chi→ti, tsu→tu, fu→hu, ji→zi (and sha→sya,
 * cha→tya, ja→zya), tch/cch→tt, m before b/p→n, nn→n, wo→o, long vowels (oo, ou, uu, aa, ii, ee)
 * as one. Full-width letters count as ASCII. */
export function normalizeRomaji(s: string): string {
  const vowels = (x: string) => x.replace(/([aeiou])\1+/g, "$1");
  let r = s.normalize("NFKC").toLowerCase().replace(/[^a-z]/g, "");
  r = r
    .replace(/cch/g, "tch")
    .replace(/sh/g, "sy")
    .replace(/ch/g, "ty")
    .replace(/jy?/g, "zy")
    .replace(/(sy|ty|zy)i/g, (_, c: string) => `${c[0]}i`)
    .replace(/tsu/g, "tu")
    .replace(/fu/g, "hu")
    .replace(/m(?=[bp])/g, "n")
    .replace(/n+/g, "n")
    .replace(/wo/g, "o");
  return vowels(vowels(r).replace(/ou/g, "o"));
}

/** Whether a query is romaji typed in ASCII (or full-width letters): letters, with spaces,
 * hyphens or apostrophes between them. */
export function isRomajiQuery(q: string): boolean {
  return /^[a-z][a-z\s'\-]*$/.test(q.normalize("NFKC").toLowerCase().trim());
}

// ---------------------------------------------------------------------------------------------
// filtering

interface Keys { text: string; kana: string; romaji: string; romajiNorm: string }

function keys(p: Phrase): Keys {
  const romaji = p.reading ? kanaToRomaji(p.reading).replace(/[^a-z]/g, "") : "";
  return { text: normalizeSearch(p.text), kana: p.reading ? normalizeSearch(p.reading) : "", romaji, romajiNorm: normalizeRomaji(romaji) };
}

/** How well one word of a query matches: 0 at the start of the text, the reading or its
 * romaji; 1 somewhere inside; -1 not at all. */
function rankWord(k: Keys, word: string): number {
  let best = -1;
  const see = (hay: string, needle: string) => {
    if (!hay || !needle) return;
    const at = hay.indexOf(needle);
    if (at === 0) best = 0;
    else if (at > 0 && best < 0) best = 1;
  };
  const kana = normalizeSearch(word);
  see(k.text, kana);
  see(k.kana, kana);
  if (isRomajiQuery(word)) {
    // as spelled (so "nash" finds なし while it is typed), and normalized (si/shi, tu/tsu…)
    see(k.romaji, word.normalize("NFKC").toLowerCase().replace(/[^a-z]/g, ""));
    see(k.romajiNorm, normalizeRomaji(word));
  }
  return best;
}

/** How well a phrase matches a query: 0 (it starts with it), 1 (contains it), -1 (no match);
 * 0 for an empty query. The query matches as a whole (spaces ignored), or word by word when
 * every space-separated word matches. Kana, typed in hiragana or katakana, full or half width,
 * match the text and the reading; ASCII letters also match the reading's romaji. */
export function matchPhrase(p: Phrase, query: string): number {
  const whole = query.trim();
  if (!whole) return 0;
  const k = keys(p);
  const r = rankWord(k, whole);
  if (r >= 0) return r;
  const words = whole.split(/[\s\u3000]+/).filter(Boolean);
  return words.length > 1 && words.every((w) => rankWord(k, w) >= 0) ? 1 : -1;
}

/** The phrases matching a query: those starting with it first, then those containing it,
 * otherwise in the given order; all of them for an empty query. */
export function filterPhrases(phrases: Phrase[], query: string): Phrase[] {
  return phrases
    .map((p, i) => ({ p, i, r: matchPhrase(p, query) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.p);
}

// ---------------------------------------------------------------------------------------------
// inserting and saving

/** `text` inserted into `value` in place of the selection `start`–`end` (a caret when equal;
 * clamped, either order), and where the caret goes: after the inserted text. Positions are
 * UTF-16 offsets, as `selectionStart` gives them. */
export function insertAt(value: string, start: number, end: number, text: string): { value: string; caret: number } {
  const clamp = (n: number) => Math.min(value.length, Math.max(0, Number.isFinite(n) ? Math.trunc(n) : value.length));
  let [a, b] = [clamp(start), clamp(end)];
  if (a > b) [a, b] = [b, a];
  return { value: value.slice(0, a) + text + value.slice(b), caret: a + text.length };
}

/** A phrase as a single-line field takes it: line breaks as one space each. */
export function singleLine(text: string): string {
  return text.replace(/[ \t]*(\r\n|\r|\n)[ \t]*/g, " ");
}

/** Whether a field's text can be saved as one of the user's phrases: "empty" (nothing but
 * spaces), "tooLong" (over MAX_PHRASE characters), "exists" (already one of the field's
 * phrases), else "ok". */
export function saveState(text: string, fieldPhrases: Phrase[]): "empty" | "tooLong" | "exists" | "ok" {
  const s = text.trim();
  if (!s) return "empty";
  if ([...s].length > MAX_PHRASE) return "tooLong";
  if (fieldPhrases.some((p) => p.text.trim() === s)) return "exists";
  return "ok";
}
