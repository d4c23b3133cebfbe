import { describe, expect, it } from "vitest";
import {
  acceptsPhrases, filterPhrases, insertAt, isRomajiQuery, kanaToRomaji, matchPhrase, normalizeRomaji, phrasesFor, saveState, singleLine,
  toHiragana,
} from "./phrases";
import type { Phrase } from "./types";

// fictional phrases only
const ph = (text: string, reading: string | null = null, field = "situation", personal: number | null = null): Phrase =>
  ({ field, text, reading, personal });
const TOKKI = ph("特記すべき変化なし。", "とっきすべきへんかなし");
const PAIN = ph("疼痛の訴えあり（NRS  /10）、頓用の鎮痛薬を使用した。", "とうつうのうったえあり");
const SLEEP = ph("夜間は入眠できた。", "やかんはにゅうみんできた");
const VITALS = ph("バイタルサインは安定している。", "ばいたるさいんはあんていしている", "assessment");
const MINE = ph("家族へ電話連絡済み（架空）。", null, "situation", 7);
const ALL = [TOKKI, PAIN, SLEEP, VITALS, MINE];

describe("kanaToRomaji", () => {
  it("writes the basic syllables, dakuten and handakuten", () => {
    expect(kanaToRomaji("あいうえお")).toBe("aiueo");
    expect(kanaToRomaji("かきくけこがぎぐげご")).toBe("kakikukekogagigugego");
    expect(kanaToRomaji("さしすせそざじずぜぞ")).toBe("sashisusesozajizuzezo");
    expect(kanaToRomaji("たちつてとだぢづでど")).toBe("tachitsutetodajizudedo");
    expect(kanaToRomaji("はひふへほばびぶべぼぱぴぷぺぽ")).toBe("hahifuhehobabibubebopapipupepo");
    expect(kanaToRomaji("やゆよわをん")).toBe("yayuyowaon");
  });
  it("combines small ゃゅょ, doubles after っ, lengthens after ー", () => {
    expect(kanaToRomaji("きゃしゅちょじゃにゅりょぴゃ")).toBe("kyashuchojanyuryopya");
    expect(kanaToRomaji("とっき")).toBe("tokki");
    expect(kanaToRomaji("まっちゃ")).toBe("matcha");
    expect(kanaToRomaji("ざっし")).toBe("zasshi");
    expect(kanaToRomaji("こんとろーる")).toBe("kontorooru");
    expect(kanaToRomaji("しんぱい")).toBe("shinpai");
  });
  it("reads katakana, half-width katakana and foreign sounds", () => {
    expect(kanaToRomaji("バイタルサイン")).toBe("baitarusain");
    expect(kanaToRomaji("ﾄｯｷｽﾍﾞｷ")).toBe("tokkisubeki");
    expect(kanaToRomaji("ファイル ティッシュ ウィ チェック")).toBe("fairu tisshu wi chekku");
    expect(kanaToRomaji("ヴ")).toBe("vu");
    expect(toHiragana("トッキ")).toBe("とっき");
  });
  it("keeps what is not kana", () => {
    expect(kanaToRomaji("NRS 4いじょう")).toBe("nrs 4ijou");
    expect(kanaToRomaji("っ")).toBe("");
  });
});

describe("normalizeRomaji", () => {
  it("makes Hepburn and kunrei-shiki spellings equal", () => {
    for (const [a, b] of [["shi", "si"], ["chi", "ti"], ["tsu", "tu"], ["fu", "hu"], ["ji", "zi"], ["sha", "sya"], ["cho", "tyo"], ["ja", "zya"], ["jya", "zya"]]) {
      expect(normalizeRomaji(a), a).toBe(normalizeRomaji(b));
    }
    expect(normalizeRomaji("matcha")).toBe(normalizeRomaji("maccha"));
    expect(normalizeRomaji("shimbun")).toBe(normalizeRomaji("shinbun"));
    expect(normalizeRomaji("shinnpai")).toBe(normalizeRomaji("shinpai"));
    expect(normalizeRomaji("kontoro-ru")).toBe(normalizeRomaji("kontorooru"));
    expect(normalizeRomaji("toutsuu")).toBe(normalizeRomaji("totsu"));
    expect(normalizeRomaji("Tokki Subeki")).toBe("tokkisubeki");
    expect(normalizeRomaji("ｔｏｋｋｉ")).toBe("tokki");
  });
  it("tells romaji from other queries", () => {
    expect(isRomajiQuery("tokki")).toBe(true);
    expect(isRomajiQuery("ｔｏｋｋｉ")).toBe(true);
    expect(isRomajiQuery("tokki subeki")).toBe(true);
    expect(isRomajiQuery("とっき")).toBe(false);
    expect(isRomajiQuery("NRS 4")).toBe(false);
    expect(isRomajiQuery("")).toBe(false);
  });
});

describe("matchPhrase and filterPhrases", () => {
  const texts = (q: string, list = ALL) => filterPhrases(list, q).map((p) => p.text);
  it("finds とっきすべき by its reading in hiragana, katakana and half-width katakana", () => {
    expect(texts("とっきすべき")).toEqual([TOKKI.text]);
    expect(texts("トッキスベキ")).toEqual([TOKKI.text]);
    expect(texts("ﾄｯｷ")).toEqual([TOKKI.text]);
    expect(texts("へんかなし")).toEqual([TOKKI.text]);
  });
  it("finds it by romaji", () => {
    expect(texts("tokki")).toEqual([TOKKI.text]);
    expect(texts("tokkisubeki")).toEqual([TOKKI.text]);
    expect(texts("TOKKI SUBEKI")).toEqual([TOKKI.text]);
    expect(texts("ｔｏｋｋｉ")).toEqual([TOKKI.text]);
    expect(texts("henkanashi")).toEqual([TOKKI.text]);
  });
  it("accepts shi and si, tsu and tu, while a syllable is still being typed too", () => {
    expect(texts("nashi")).toEqual([TOKKI.text]);
    expect(texts("nasi")).toEqual([TOKKI.text]);
    expect(texts("nash")).toEqual([TOKKI.text]);
    expect(texts("toutsuu")).toEqual([PAIN.text]);
    expect(texts("toutuu")).toEqual([PAIN.text]);
    expect(texts("nyuumin")).toEqual([SLEEP.text]);
    expect(texts("nyumin")).toEqual([SLEEP.text]);
    expect(matchPhrase(ph("し", "し"), "shi")).toBe(0);
    expect(matchPhrase(ph("し", "し"), "si")).toBe(0);
  });
  it("matches a substring of the text, kana of the text in either script, and ASCII in it", () => {
    expect(texts("変化")).toEqual([TOKKI.text]);
    expect(texts("鎮痛薬")).toEqual([PAIN.text]);
    expect(texts("ばいたる")).toEqual([VITALS.text]);
    expect(texts("nrs")).toEqual([PAIN.text]);
    expect(texts("電話")).toEqual([MINE.text]);
    expect(texts("でんわ")).toEqual([]); // no reading: the user's own phrase is found by its text
  });
  it("puts phrases that start with the query first, and keeps the order otherwise", () => {
    const a = ph("安静を保つ。", "あんせいをたもつ");
    const b = ph("ベッド上安静。", "べっどじょうあんせい");
    expect(texts("安静", [b, a])).toEqual([a.text, b.text]);
    expect(texts("ansei", [b, a])).toEqual([a.text, b.text]);
    expect(texts("", ALL)).toEqual(ALL.map((p) => p.text));
    expect(texts("  ", ALL)).toEqual(ALL.map((p) => p.text));
  });
  it("matches word by word, and not at all when a word is missing", () => {
    expect(texts("疼痛 nrs")).toEqual([PAIN.text]);
    expect(texts("疼痛 あんてい")).toEqual([]);
    expect(texts("zzz")).toEqual([]);
  });
  it("keeps a field's phrases", () => {
    expect(phrasesFor(ALL, "assessment")).toEqual([VITALS]);
    expect(phrasesFor(ALL, "plan")).toEqual([]);
    expect(acceptsPhrases("text") && acceptsPhrases("multiline")).toBe(true);
    expect(["date", "datetime", "number", "select", "checkbox", "table"].some((t) => acceptsPhrases(t as never))).toBe(false);
  });
});

describe("insertAt", () => {
  it("inserts at the caret", () => {
    expect(insertAt("", 0, 0, "特記すべき変化なし。")).toEqual({ value: "特記すべき変化なし。", caret: 10 });
    expect(insertAt("術後2日目。", 6, 6, "夜間は入眠できた。")).toEqual({ value: "術後2日目。夜間は入眠できた。", caret: 15 });
    expect(insertAt("AB", 1, 1, "x")).toEqual({ value: "AxB", caret: 2 });
  });
  it("replaces the selection, in either order", () => {
    expect(insertAt("疼痛あり。〇〇。様子を見る。", 5, 8, "頓用を使用した。")).toEqual({ value: "疼痛あり。頓用を使用した。様子を見る。", caret: 13 });
    expect(insertAt("疼痛あり。〇〇。様子を見る。", 8, 5, "頓用を使用した。").value).toBe("疼痛あり。頓用を使用した。様子を見る。");
    expect(insertAt("全部置き換え", 0, 6, "新しい文")).toEqual({ value: "新しい文", caret: 4 });
  });
  it("keeps positions within the text", () => {
    expect(insertAt("abc", 10, 20, "X")).toEqual({ value: "abcX", caret: 4 });
    expect(insertAt("abc", -3, 1, "X")).toEqual({ value: "Xbc", caret: 1 });
    expect(insertAt("abc", NaN, NaN, "X")).toEqual({ value: "abcX", caret: 4 });
  });
  it("counts in UTF-16 units, as selectionStart does", () => {
    expect(insertAt("𠮷野", 2, 2, "家")).toEqual({ value: "𠮷家野", caret: 3 });
  });
});

describe("single-line fields and saving", () => {
  it("joins lines for a single-line field", () => {
    expect(singleLine("一行目\n二行目\r\n三行目")).toBe("一行目 二行目 三行目");
    expect(singleLine("一行")).toBe("一行");
  });
  it("saves only a new, non-empty text of at most 500 characters", () => {
    const field = phrasesFor(ALL, "situation");
    expect(saveState("   ", field)).toBe("empty");
    expect(saveState(" 特記すべき変化なし。 ", field)).toBe("exists");
    expect(saveState("家族へ電話連絡済み（架空）。", field)).toBe("exists");
    expect(saveState("あ".repeat(501), field)).toBe("tooLong");
    expect(saveState("𠮷".repeat(500), field)).toBe("ok");
    expect(saveState("離床は病棟内2周（架空）。", field)).toBe("ok");
  });
});
