import { describe, expect, it } from "vitest";
import {
  ageSex, allergyLabel, copyAge, filterCensus, groupByWard, isPrefilled, jstDateTime, moveHighlight, normalizeSearch, oldestWard,
  prefillNote, prefillTime, refreshErrorText, sexLabel,
} from "./census";
import { t } from "./i18n";
import type { CensusRow, Prefilled, WardCopy } from "./types";

// fictional patients only
const row = (patient: string, over: Partial<CensusRow> = {}): CensusRow => ({
  patient, patient_id: null, name: "架空 花子", kana: "カクウ ハナコ", birth_date: "1950-04-01", age: 76, gender: "female",
  ward: "ward-5e", ward_name: "5階東病棟", bed: "501-1", admitted: "2026-11-20T10:00:00+09:00", attending: "医師 例示", reason: null, department: null, complaint: null,
  allergies: 0, last_updated: "2026-12-01T01:00:00Z", ...over,
});
const rows: CensusRow[] = [
  row("p1", { patient_id: "P-000123", bed: "501-1" }),
  row("p2", { patient_id: "P-000456", bed: "502-2", name: "見本 太郎", kana: "ミホン タロウ", gender: "male", allergies: 2 }),
  row("p3", { patient_id: null, bed: null, name: "試験 一郎", kana: null, ward: "ward-6w", ward_name: "6階西病棟" }),
];
const ward = (ward: string, as_of: string, name: string | null = null): WardCopy =>
  ({ ward, name, as_of, label: `電子カルテの控え ${as_of}時点`, patients: 0 });

describe("normalizeSearch", () => {
  it("ignores spaces and width, and reads hiragana as katakana", () => {
    expect(normalizeSearch("かくう　はなこ")).toBe("カクウハナコ");
    expect(normalizeSearch("ｶｸｳ ﾊﾅｺ")).toBe("カクウハナコ");
    expect(normalizeSearch("Ｐ－０００１２３")).toBe("p-000123");
    expect(normalizeSearch(" ５０１ ")).toBe("501");
    expect(normalizeSearch("カクウ・ハナコ")).toBe("カクウハナコ");
  });
});

describe("filterCensus", () => {
  const ids = (q: string) => filterCensus(rows, q).map((r) => r.patient);
  it("keeps every row, in order, for an empty query", () => {
    expect(ids("")).toEqual(["p1", "p2", "p3"]);
    expect(ids("　 ")).toEqual(["p1", "p2", "p3"]);
  });
  it("matches the kanji name with or without its space", () => {
    expect(ids("架空花子")).toEqual(["p1"]);
    expect(ids("見本 太郎")).toEqual(["p2"]);
    expect(ids("一郎")).toEqual(["p3"]);
  });
  it("matches the kana typed in hiragana, katakana or half-width", () => {
    expect(ids("みほん")).toEqual(["p2"]);
    expect(ids("かくうはなこ")).toEqual(["p1"]);
    expect(ids("ﾐﾎﾝ ﾀﾛｳ")).toEqual(["p2"]);
  });
  it("matches the bed and the hospital patient ID in full-width too", () => {
    expect(ids("502")).toEqual(["p2"]);
    expect(ids("５０１")).toEqual(["p1"]);
    expect(ids("p-000456")).toEqual(["p2"]);
    expect(ids("Ｐ－０００１２３")).toEqual(["p1"]);
    expect(ids("000")).toEqual(["p1", "p2"]);
  });
  it("matches words in different fields together", () => {
    expect(ids("502 たろう")).toEqual(["p2"]);
    expect(ids("501 たろう")).toEqual([]);
  });
  it("does not match the server's Patient id or other fields", () => {
    expect(ids("p3")).toEqual([]);
    expect(ids("病棟")).toEqual([]);
    expect(ids("該当なし")).toEqual([]);
  });
});

describe("wards", () => {
  const wards = [ward("ward-5e", "2026-12-01T02:01:00Z", "5階東病棟"), ward("ward-6w", "2026-12-01T01:30:00Z")];
  it("groups rows under each ward's copy, in the copies' order", () => {
    const g = groupByWard(wards, rows);
    expect(g.map((x) => [x.ward, x.name, x.rows.map((r) => r.patient)])).toEqual([
      ["ward-5e", "5階東病棟", ["p1", "p2"]],
      ["ward-6w", "ward-6w", ["p3"]],
    ]);
  });
  it("shows a ward with no matching row, and a ward the copies do not list", () => {
    const g = groupByWard(wards.slice(0, 1), filterCensus(rows, "一郎"));
    expect(g.map((x) => [x.ward, x.name, x.copy?.ward ?? null, x.rows.length])).toEqual([
      ["ward-5e", "5階東病棟", "ward-5e", 0],
      ["ward-6w", "6階西病棟", null, 1],
    ]);
  });
  it("finds the oldest copy", () => {
    expect(oldestWard(wards)).toBe("ward-6w");
    expect(oldestWard([wards[0], ward("b", wards[0].as_of)])).toBe("ward-5e");
    expect(oldestWard([])).toBeNull();
  });
  it("says how old a copy is", () => {
    const asOf = "2026-12-01T02:00:00Z";
    const at = (min: number) => Date.parse(asOf) + min * 60_000 + 30_000;
    expect(copyAge("ja", asOf, at(12))).toBe("（12分前）");
    expect(copyAge("ja", asOf, at(185))).toBe("（3時間5分前）");
    expect(copyAge("en", asOf, at(0))).toBe(" (0 min ago)");
    expect(copyAge("ja", asOf, Date.parse(asOf) - 60_000)).toBe("");
    expect(copyAge("ja", "not a time", at(1))).toBe("");
  });
});

describe("moveHighlight", () => {
  it("moves within the rows and starts from either end", () => {
    expect(moveHighlight(0, 1, 3)).toBe(1);
    expect(moveHighlight(2, 1, 3)).toBe(2);
    expect(moveHighlight(0, -1, 3)).toBe(0);
    expect(moveHighlight(-1, 1, 3)).toBe(0);
    expect(moveHighlight(-1, -1, 3)).toBe(2);
    expect(moveHighlight(5, -1, 3)).toBe(2);
    expect(moveHighlight(0, 1, 0)).toBe(-1);
  });
});

describe("labels", () => {
  it("words the sex, with the age", () => {
    expect(sexLabel("ja", "female")).toBe("女性");
    expect(sexLabel("en", "male")).toBe("male");
    expect(sexLabel("ja", "unknown")).toBe("不明");
    expect(sexLabel("ja", null)).toBe("");
    expect(sexLabel("ja", "toString")).toBe("toString");
    expect(ageSex("ja", 76, "female")).toBe("76歳・女性");
    expect(ageSex("en", 76, "other")).toBe("76 y, other");
    expect(ageSex("ja", null, "male")).toBe("男性");
    expect(ageSex("ja", 0, null)).toBe("0歳");
    expect(ageSex("en", null, null)).toBe("—");
  });
  it("never words no recorded allergy as no allergy", () => {
    expect(allergyLabel("ja", 2)).toBe("アレルギーあり 2件");
    expect(allergyLabel("en", 1)).toBe("Allergies: 1");
    expect(allergyLabel("ja", 0)).toBe("記録なし");
    expect(allergyLabel("en", 0)).toBe("None recorded");
    expect(t("ja", "allergyNoneNote")).toBe("記録なし（アレルギーがないことを意味しません）");
    expect(t("en", "allergyNoneNote")).toContain("does not mean");
  });
});

describe("jstDateTime", () => {
  it("writes FHIR times in Japan time, and dates as they are", () => {
    expect(jstDateTime("2026-12-01T01:00:00Z")).toBe("2026/12/01 10:00");
    expect(jstDateTime("2026-11-30T15:30:00Z")).toBe("2026/12/01 00:30");
    expect(jstDateTime("2026-11-20T10:00:00+09:00")).toBe("2026/11/20 10:00");
    expect(jstDateTime("2026-11-20")).toBe("2026/11/20");
    expect(jstDateTime("2026-11")).toBe("2026/11");
    expect(jstDateTime("入院時")).toBe("入院時");
    expect(jstDateTime(null)).toBe("");
  });
});

describe("refreshErrorText", () => {
  it("says the copy is intact, with the core's message", () => {
    const e = { code: "bad_input", message: "could not reach https://ehr.example/fhir: connection refused", fields: [] };
    expect(refreshErrorText("ja", e)).toBe(`${t("ja", "censusRefreshFailed")}\n管理者向けの詳細：${e.message}`);
    expect(refreshErrorText("en", e).split("\n")[0]).toBe(t("en", "censusRefreshFailed"));
    expect(refreshErrorText("en", "boom")).toBe(`${t("en", "censusRefreshFailed")}\nDetails for the administrator: boom`);
    expect(refreshErrorText("ja", undefined)).toBe(t("ja", "censusRefreshFailed"));
  });
  it("words another refresh running, a lock and a role as such", () => {
    expect(refreshErrorText("ja", { code: "sync_running", message: "a snapshot refresh is already running" })).toBe(t("ja", "censusRefreshRunning"));
    expect(refreshErrorText("ja", { code: "locked", message: "" })).toContain("ロック");
    expect(refreshErrorText("en", { code: "forbidden", message: "" })).toContain("role");
  });
});

describe("a record started from the snapshot", () => {
  // a fictional copy: 02:01 UTC is 11:01 in Japan
  const prefill: Prefilled = { as_of: "2026-12-02T02:01:00Z", fields: ["allergies", "medications"], labels: ["アレルギー", "内服薬"] };
  it("gives the copy's time short, in Japan time", () => {
    expect(prefillTime("2026-12-02T02:01:00Z")).toBe("12/02 11:01");
    expect(prefillTime("2026-12-01T15:30:00Z")).toBe("12/02 00:30");
    expect(prefillTime("2026-12-02T11:01:00+09:00")).toBe("12/02 11:01");
    expect(prefillTime("不明")).toBe("不明");
  });
  it("knows which fields came from the copy", () => {
    expect(isPrefilled(prefill, "allergies")).toBe(true);
    expect(isPrefilled(prefill, "assessment")).toBe(false);
    expect(isPrefilled(null, "allergies")).toBe(false);
    expect(isPrefilled(undefined, "allergies")).toBe(false);
  });
  it("says so over the form, in both languages", () => {
    expect(prefillNote("ja", prefill))
      .toBe("電子カルテの控え（12/02 11:01時点）から転記しました。内容を確認してください。転記した項目には「控えから転記」と表示しています。");
    expect(prefillNote("en", prefill))
      .toBe("Filled in from the EHR copy (as of 12/02 11:01). Check the entries. Fields filled in from it are marked “From EHR copy”.");
    // only the identity came from the copy: no marks to point at
    const identity: Prefilled = { ...prefill, fields: [], labels: [] };
    expect(prefillNote("ja", identity)).toBe("電子カルテの控え（12/02 11:01時点）から転記しました。内容を確認してください。");
    expect(prefillNote("en", identity)).toBe("Filled in from the EHR copy (as of 12/02 11:01). Check the entries.");
  });
  it("marks the fields the same way in both languages' texts", () => {
    expect(t("ja", "prefilledMark")).toBe("控えから転記");
    expect(t("en", "prefilledMark")).toBe("From EHR copy");
    expect(prefillNote("ja", prefill)).toContain(t("ja", "prefilledMark"));
    expect(prefillNote("en", prefill)).toContain(t("en", "prefilledMark"));
  });
});
