import { describe, expect, it } from "vitest";
import { expandDate, matchOption, TypeAhead, typeAheadPick } from "./quickinput";

// 2026/11/21 14:05 in Japan (05:05 UTC): fixed clocks only, never the real one
const NOW = new Date("2026-11-21T05:05:00Z");
const dt = (s: string, now = NOW) => expandDate(s, "datetime", now);
const d = (s: string, now = NOW) => expandDate(s, "date", now);

describe("expandDate: now and day words", () => {
  it("takes now as the current Japan time, or today in a date field", () => {
    for (const s of ["今", "いま", "now", "NOW", "ｎｏｗ", "  今  "]) {
      expect(dt(s), s).toBe("2026/11/21 14:05");
      expect(d(s), s).toBe("2026/11/21");
    }
  });
  it("takes today, yesterday, tomorrow and the day before yesterday", () => {
    const cases: [string[], string][] = [
      [["今日", "きょう", "today", "Today", "t", "T", "ｔ"], "2026/11/21"],
      [["昨日", "きのう", "yesterday", "y", "Y"], "2026/11/20"],
      [["明日", "あした", "あす", "tomorrow"], "2026/11/22"],
      [["一昨日", "おととい"], "2026/11/19"],
      [["明後日", "あさって"], "2026/11/23"],
    ];
    for (const [words, day] of cases) {
      for (const w of words) {
        expect(d(w), w).toBe(day);
        expect(dt(w), w).toBe(`${day} 14:05`); // a datetime keeps the current time
      }
    }
  });
});

describe("expandDate: offsets", () => {
  it("counts days and weeks from today", () => {
    expect(d("+1d")).toBe("2026/11/22");
    expect(d("-2d")).toBe("2026/11/19");
    expect(d("+1w")).toBe("2026/11/28");
    expect(d("-1W")).toBe("2026/11/14");
    expect(d("＋１ｄ")).toBe("2026/11/22");
    expect(d("−3d")).toBe("2026/11/18"); // U+2212 minus sign
    expect(d("+10d")).toBe("2026/12/01");
    expect(dt("+1d")).toBe("2026/11/22 14:05");
    expect(dt("-1w")).toBe("2026/11/14 14:05");
  });
  it("counts hours and minutes from now, in datetime fields only", () => {
    expect(dt("+3h")).toBe("2026/11/21 17:05");
    expect(dt("-30m")).toBe("2026/11/21 13:35");
    expect(dt("+10h")).toBe("2026/11/22 00:05");
    expect(dt("-15h")).toBe("2026/11/20 23:05");
    expect(dt("＋９０Ｍ")).toBe("2026/11/21 15:35");
    expect(d("+3h")).toBeNull();
    expect(d("-30m")).toBeNull();
  });
  it("wants a sign and a known unit", () => {
    for (const s of ["1d", "+d", "+1", "+1x", "+1dd", "+1h30m", "++1d"]) expect(dt(s), s).toBeNull();
  });
});

describe("expandDate: times", () => {
  it("takes a time alone as today at that time", () => {
    expect(dt("14:30")).toBe("2026/11/21 14:30");
    expect(dt("9:05")).toBe("2026/11/21 09:05");
    expect(dt("1430")).toBe("2026/11/21 14:30");
    expect(dt("0900")).toBe("2026/11/21 09:00");
    expect(dt("930")).toBe("2026/11/21 09:30");
    expect(dt("14時30分")).toBe("2026/11/21 14:30");
    expect(dt("14時")).toBe("2026/11/21 14:00");
    expect(dt("8時半")).toBe("2026/11/21 08:30");
    expect(dt("１４：３０")).toBe("2026/11/21 14:30");
    expect(dt("0:00")).toBe("2026/11/21 00:00");
    expect(dt("23:59")).toBe("2026/11/21 23:59");
  });
  it("refuses times that do not exist, and times in date fields", () => {
    for (const s of ["25:00", "24:00", "12:60", "2500", "1299", "25時", "14時60分", "1:5", "14:305", "12345", "1"]) expect(dt(s), s).toBeNull();
    expect(d("14:30")).toBeNull();
    expect(d("1430")).toBeNull();
  });
  it("takes a day, then a time", () => {
    expect(dt("昨日 14:30")).toBe("2026/11/20 14:30");
    expect(dt("昨日14:30")).toBe("2026/11/20 14:30");
    expect(dt("y 22:00")).toBe("2026/11/20 22:00");
    expect(dt("today 0815")).toBe("2026/11/21 08:15");
    expect(dt("明日 9時")).toBe("2026/11/22 09:00");
    expect(dt("-1d 0900")).toBe("2026/11/20 09:00");
    expect(dt("+1w 7:30")).toBe("2026/11/28 07:30");
    expect(dt("昨日　１４時３０分")).toBe("2026/11/20 14:30"); // full-width space and digits
    expect(dt("昨日 25:00")).toBeNull();
    expect(dt("昨日 あさ")).toBeNull();
    expect(d("昨日 14:30")).toBeNull();
  });
});

describe("expandDate: month and day without a year", () => {
  it("takes the year that puts the day nearest today (Japan time)", () => {
    expect(d("11/22")).toBe("2026/11/22");
    expect(d("1/5")).toBe("2027/01/05"); // 45 days ahead, not 320 days back
    expect(d("6/1")).toBe("2026/06/01");
    // just after New Year in Japan (15:30 UTC on 31 December): 12/31 is last night
    expect(dt("12/31 23:50", new Date("2026-12-31T15:30:00Z"))).toBe("2026/12/31 23:50");
    expect(d("11月22日")).toBe("2026/11/22");
    expect(d("１１／２２")).toBe("2026/11/22");
    expect(dt("11/22")).toBe("2026/11/22 14:05");
    expect(dt("11/22 14:30")).toBe("2026/11/22 14:30");
    expect(dt("11月22日 8:00")).toBe("2026/11/22 08:00");
    expect(dt("11月22日14時")).toBe("2026/11/22 14:00");
    expect(d("11/22 14:30")).toBeNull();
  });
  it("refuses days that do not exist", () => {
    for (const s of ["13/1", "0/5", "2/30", "2/29", "4/31", "11/0", "11/32", "11月32日"]) expect(d(s), s).toBeNull();
    expect(d("2/29", new Date("2028-02-01T00:00:00Z"))).toBe("2028/02/29"); // a leap year
  });
  it("wants a space between the day and a time in digits", () => {
    expect(dt("11/221430")).toBeNull();
  });
});

describe("expandDate: Japan time, whatever the machine's zone", () => {
  it("is already the next day, month and year after 15:00 UTC", () => {
    const nye = new Date("2026-12-31T15:30:00Z"); // 2027/01/01 00:30 in Japan
    expect(dt("今", nye)).toBe("2027/01/01 00:30");
    expect(d("今日", nye)).toBe("2027/01/01");
    expect(d("昨日", nye)).toBe("2026/12/31");
    expect(dt("y 23:00", nye)).toBe("2026/12/31 23:00");
    expect(dt("-1h", nye)).toBe("2026/12/31 23:30");
    expect(d("11/22", nye)).toBe("2026/11/22"); // the nearest: 40 days back
    // half a year away either way: nearest to the Japan-time day (a UTC day would pick 2026)
    expect(d("7/2", nye)).toBe("2027/07/02");
    expect(dt("14:30", nye)).toBe("2027/01/01 14:30");
  });
  it("is still the same day just before 15:00 UTC", () => {
    const late = new Date("2026-11-30T14:59:00Z"); // 2026/11/30 23:59 in Japan
    expect(dt("今", late)).toBe("2026/11/30 23:59");
    expect(d("明日", late)).toBe("2026/12/01");
    expect(dt("+1m", late)).toBe("2026/12/01 00:00");
    const early = new Date("2026-02-28T15:00:00Z"); // 2026/03/01 00:00 in Japan
    expect(d("昨日", early)).toBe("2026/02/28");
    expect(d("-1w", early)).toBe("2026/02/22");
  });
});

describe("expandDate: not a shortcut", () => {
  it("leaves what was typed alone", () => {
    for (const s of ["", "  ", "2026/11/21", "2026/11/21 14:30", "2026-11-21", "11/22/2026", "abc", "今 14:30", "today!", "昨日と今日", "test", "yy", "11/22/"]) {
      expect(dt(s), s).toBeNull();
      expect(d(s), s).toBeNull();
    }
    expect(dt("now", new Date(Number.NaN))).toBeNull();
  });
});

// the sbar form's options
const CODE_STATUS = [
  { value: "full", ja: "フルコード", en: "Full code" },
  { value: "dnar", ja: "DNAR", en: "DNAR" },
  { value: "unknown", ja: "未確認", en: "Not confirmed" },
];
const ISOLATION = [
  { value: "none", ja: "なし", en: "None" },
  { value: "contact", ja: "接触予防策", en: "Contact" },
  { value: "droplet", ja: "飛沫予防策", en: "Droplet" },
  { value: "airborne", ja: "空気予防策", en: "Airborne" },
];

describe("matchOption", () => {
  it("finds options by value, label, kana and romaji", () => {
    expect(matchOption(CODE_STATUS, "f")).toBe(0);
    expect(matchOption(CODE_STATUS, "F")).toBe(0);
    expect(matchOption(CODE_STATUS, "fu")).toBe(0); // both "full" and フルコード
    expect(matchOption(CODE_STATUS, "furu")).toBe(0); // romaji of フルコード
    expect(matchOption(CODE_STATUS, "huru")).toBe(0); // kunrei-shiki
    expect(matchOption(CODE_STATUS, "ふ")).toBe(0);
    expect(matchOption(CODE_STATUS, "フ")).toBe(0);
    expect(matchOption(CODE_STATUS, "ﾌﾙ")).toBe(0); // half-width katakana
    expect(matchOption(CODE_STATUS, "d")).toBe(1);
    expect(matchOption(CODE_STATUS, "DN")).toBe(1);
    expect(matchOption(CODE_STATUS, "u")).toBe(2);
    expect(matchOption(CODE_STATUS, "not")).toBe(2);
    expect(matchOption(CODE_STATUS, "not c")).toBe(2);
    expect(matchOption(CODE_STATUS, "未")).toBe(2);
    expect(matchOption(ISOLATION, "na")).toBe(0); // なし
    expect(matchOption(ISOLATION, "nash")).toBe(0);
    expect(matchOption(ISOLATION, "nasi")).toBe(0);
    expect(matchOption(ISOLATION, "な")).toBe(0);
    expect(matchOption(ISOLATION, "ナシ")).toBe(0);
    expect(matchOption(ISOLATION, "n")).toBe(0);
    expect(matchOption(ISOLATION, "c")).toBe(1);
    expect(matchOption(ISOLATION, "dr")).toBe(2);
    expect(matchOption(ISOLATION, "a")).toBe(3);
    expect(matchOption(ISOLATION, "接")).toBe(1);
    expect(matchOption(ISOLATION, "飛沫")).toBe(2);
    expect(matchOption(ISOLATION, "Ａ")).toBe(3); // full-width letter
  });
  it("prefers a value or label over romaji", () => {
    const opts = [{ value: "x", ja: "すみ", en: "Done" }, { value: "sumi", ja: "墨", en: "Ink" }];
    expect(matchOption(opts, "su")).toBe(1);
    expect(matchOption(opts, "sum")).toBe(1);
    expect(matchOption([{ value: "1", ja: "すみ", en: "Done" }], "sumi")).toBe(0);
  });
  it("finds nothing for nothing, or what no option starts with", () => {
    expect(matchOption(CODE_STATUS, "x")).toBe(-1);
    expect(matchOption(CODE_STATUS, "")).toBe(-1);
    expect(matchOption(CODE_STATUS, " ")).toBe(-1);
    expect(matchOption(CODE_STATUS, "ull")).toBe(-1); // starts with, not contains
    expect(matchOption(ISOLATION, "nb")).toBe(-1);
    expect(matchOption([], "a")).toBe(-1);
  });
});

describe("type-ahead", () => {
  it("collects keys typed within a second of each other", () => {
    const ta = new TypeAhead();
    expect(ta.active(0)).toBe(false);
    expect(ta.push("n", 1000)).toBe("n");
    expect(ta.active(1500)).toBe(true);
    expect(ta.push("a", 1500)).toBe("na");
    expect(ta.push("s", 2500)).toBe("nas"); // exactly 1 s later: still typing
    expect(ta.active(3501)).toBe(false);
    expect(ta.push("c", 3501)).toBe("c"); // a longer pause starts afresh
    ta.reset();
    expect(ta.active(3502)).toBe(false);
    expect(ta.push("d", 3502)).toBe("d");
    expect(new TypeAhead(200).push("a", 0) && new TypeAhead(200).active(0)).toBe(false);
  });
  it("picks what was typed so far, or starts afresh from the last key", () => {
    const ta = new TypeAhead();
    expect(typeAheadPick(ISOLATION, ta, "n", 0)).toBe(0);
    expect(typeAheadPick(ISOLATION, ta, "a", 100)).toBe(0); // "na": なし
    expect(typeAheadPick(ISOLATION, ta, "c", 200)).toBe(1); // "nac" matches nothing: "c" alone
    expect(ta.push("o", 300)).toBe("co");
    expect(typeAheadPick(ISOLATION, ta, "x", 400)).toBe(-1);
    expect(typeAheadPick(CODE_STATUS, ta, "d", 2000)).toBe(1);
    expect(typeAheadPick(CODE_STATUS, ta, "f", 2100)).toBe(0); // "df" → "f"
  });
});
