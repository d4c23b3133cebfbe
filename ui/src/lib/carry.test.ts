import { describe, expect, it } from "vitest";
import {
  carriedLabel, carriedNote, carriedRefusalText, carriedState, carriedTime, finalizeReady, fromPreviousErrorText, isCarriedRefusal, mergeCarried,
  unconfirmedCarried, unconfirmedLabels,
} from "./carry";
import { t } from "./i18n";
import type { Carried, FieldDef, FormDef } from "./types";

// fictional patients and staff only
const field = (id: string, ja: string, en: string): FieldDef => ({
  id, label: { ja, en }, type: "multiline", required: false, help: null, unit: null, min: null, max: null, max_length: null, options: [], columns: [], min_rows: null,
});
const form: FormDef = {
  id: "nursing-soap", version: "1", title: { ja: "看護記録（SOAP）", en: "Nursing note (SOAP)" }, description: null, print: { large_type: false },
  fields: [field("problem", "看護問題", "Nursing problem"), field("subjective", "S（主観的情報）", "S (subjective)"),
    field("assessment", "A（アセスメント）", "A (assessment)"), field("plan", "P（計画）", "")],
};
// finalized 2026/11/21 16:30 Japan time
const carried: Carried = {
  from_record: "rec-0001", from_version: 1, from_time: "2026-11-21T07:30:00Z", from_author: "看護師 見本", from_template: "nursing-soap",
  fields: ["problem", "assessment", "plan"], labels: ["看護問題", "A（アセスメント）", "P（計画）"], confirmed: ["assessment"],
};
const now = Date.parse("2026-11-22T01:00:00Z");

describe("carried fields", () => {
  it("are unconfirmed until confirmed; other fields are not carried", () => {
    expect(carriedState(carried, "problem")).toBe("unconfirmed");
    expect(carriedState(carried, "assessment")).toBe("confirmed");
    expect(carriedState(carried, "subjective")).toBe("none");
    expect(carriedState(null, "problem")).toBe("none");
    expect(carriedState(undefined, "problem")).toBe("none");
  });
  it("list the unconfirmed ones in the order carried", () => {
    expect(unconfirmedCarried(carried)).toEqual(["problem", "plan"]);
    expect(unconfirmedCarried({ ...carried, confirmed: ["plan", "problem", "assessment"] })).toEqual([]);
    expect(unconfirmedCarried(null)).toEqual([]);
  });
  it("are named in the form's words, else by the core's label", () => {
    expect(unconfirmedLabels("ja", form, carried)).toEqual(["看護問題", "P（計画）"]);
    expect(unconfirmedLabels("en", form, carried)).toEqual(["Nursing problem", "P（計画）"]);
    const gone: Carried = { ...carried, fields: ["old_field", "problem"], labels: ["旧項目", "看護問題"], confirmed: [] };
    expect(carriedLabel("en", form, gone, "old_field")).toBe("旧項目");
    expect(carriedLabel("en", form, { ...gone, labels: [] }, "old_field")).toBe("old_field");
    expect(unconfirmedLabels("ja", form, null)).toEqual([]);
  });
});

describe("the note over the record", () => {
  it("says from which record, how many were carried and how many are unchecked, in Japan time", () => {
    expect(carriedNote("ja", carried, now))
      .toBe("前回記録（11/21 16:30 看護師 見本）から 3 項目を引き継ぎました。各項目を確認してください（未確認 2）。");
    expect(carriedNote("en", carried, now))
      .toBe("Started from the last record (11/21 16:30, 看護師 見本). Fields carried over: 3. Check each one (unchecked: 2).");
  });
  it("says so when everything is checked, or nothing was carried", () => {
    const done = { ...carried, confirmed: [...carried.fields] };
    expect(carriedNote("ja", done, now)).toBe("前回記録（11/21 16:30 看護師 見本）から 3 項目を引き継ぎました。すべて確認済みです。");
    expect(carriedNote("en", done, now)).toBe("Started from the last record (11/21 16:30, 看護師 見本). Fields carried over: 3, all checked.");
    const none = { ...carried, fields: [], labels: [], confirmed: [] };
    expect(carriedNote("ja", none, now)).toBe("前回記録（11/21 16:30 看護師 見本）から作成しました。引き継いだ項目はありません。");
  });
  it("shows the year only when the source is from another (Japan) year", () => {
    expect(carriedTime("2026-11-21T07:30:00Z", now)).toBe("11/21 16:30");
    // 2025-12-31 23:30 JST, seen on 2026-01-01 JST
    expect(carriedTime("2025-12-31T14:30:00Z", Date.parse("2026-01-01T00:00:00Z"))).toBe("2025/12/31 23:30");
    // 2026-01-01 00:30 JST is already 2026 in Japan
    expect(carriedTime("2025-12-31T15:30:00Z", Date.parse("2026-01-01T00:00:00Z"))).toBe("01/01 00:30");
    expect(carriedTime("不明", now)).toBe("不明");
  });
  it("uses the editor's wording of the marks", () => {
    expect(t("ja", "carriedMark")).toBe("前回から引き継ぎ・未確認");
    expect(t("en", "carriedMark")).toBe("Carried over — check");
    expect(t("ja", "carriedMarkConfirmed")).toBe("引き継ぎ・確認済み");
    expect(t("en", "carriedMarkConfirmed")).toBe("Carried — checked");
  });
});

describe("the state after a save or a confirmation", () => {
  it("takes the answer, never losing a confirmation to an answer that arrives late", () => {
    const later = { ...carried, confirmed: ["assessment", "plan"] };
    expect(mergeCarried(carried, later)).toEqual(later);
    // an older save's answer after the confirmation of "plan"
    expect(mergeCarried(later, carried)?.confirmed).toEqual(["assessment", "plan"]);
  });
  it("keeps the current state when the answer has none, and takes another record's as it is", () => {
    expect(mergeCarried(carried, undefined)).toBe(carried);
    expect(mergeCarried(null, carried)).toBe(carried);
    expect(mergeCarried(carried, null)).toBeNull();
    const other = { ...carried, from_record: "rec-0002", confirmed: [] };
    expect(mergeCarried(carried, other)).toEqual(other);
  });
});

describe("finalizing", () => {
  it("needs a reviewer, and the tick while carried fields are unconfirmed", () => {
    expect(finalizeReady("", 0, false)).toBe(false);
    expect(finalizeReady("  ", 0, true)).toBe(false);
    expect(finalizeReady("看護師 例示", 0, false)).toBe(true);
    expect(finalizeReady("看護師 例示", 2, false)).toBe(false);
    expect(finalizeReady("看護師 例示", 2, true)).toBe(true);
  });
  it("recognises the core's refusal for unconfirmed carried fields", () => {
    const refusal = { code: "bad_state", message: "carried over from an earlier record and not yet confirmed: 看護問題", fields: [] };
    expect(isCarriedRefusal(refusal, carried)).toBe(true);
    expect(isCarriedRefusal(refusal, null)).toBe(false);
    expect(isCarriedRefusal({ code: "invalid_values", message: "", fields: [] }, carried)).toBe(false);
    expect(carriedRefusalText("ja", refusal)).toBe(
      "前回から引き継いだ項目に未確認のものがあります。内容を確認し、確認欄にチェックしてから確定してください。\n" +
        "管理者向けの詳細：carried over from an earlier record and not yet confirmed: 看護問題");
    expect(carriedRefusalText("en", {})).toBe(t("en", "carriedRefused"));
  });
});

describe("starting from the last record fails", () => {
  it("says there is no earlier finalized record, with the core's message for the administrator", () => {
    const e = { code: "not_found", message: "no earlier finalized record of this kind for patient P-000123 to start from", fields: [] };
    expect(fromPreviousErrorText("ja", e)).toBe(
      "この患者には、この種類の確定済みの記録がまだないため、前回から作成できません。新しく作成してください。\n" +
        "管理者向けの詳細：no earlier finalized record of this kind for patient P-000123 to start from");
    expect(fromPreviousErrorText("en", { code: "not_found", message: "", fields: [] })).toBe(t("en", "fromPreviousNone"));
  });
  it("words other errors as usual", () => {
    const e = { code: "locked", message: "locked", fields: [] };
    expect(fromPreviousErrorText("ja", e)).toContain("画面がロックされています");
  });
});
