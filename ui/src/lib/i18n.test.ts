import { describe, expect, it } from "vitest";
import { milestoneName, protectionText, protectionWeak, roleName, serviceNames, setupProblemText, stateName, t, tf, unprintableLabel, unprintableText } from "./i18n";
import type { SetupProblem } from "./setup";
import type { FieldDef, FormDef } from "./types";

describe("texts with placeholders", () => {
  it("fills them in both languages", () => {
    expect(tf("ja", "suggestDown", { services: "電子カルテ(FHIR)", since: "14:05" }))
      .toBe("電子カルテ(FHIR) が応答しません（14:05〜）。ダウンタイムを宣言しますか？");
    expect(tf("en", "drillBannerDetail", { id: "DR-20261122-140512", time: "14:05", min: 12 }))
      .toBe("Drill ID DR-20261122-140512, started 14:05 (12 min elapsed)");
    expect(tf("ja", "downtimeSince", { time: "14:05", services: serviceNames("ja", ["ai"]) })).toBe("14:05〜（生成AIサービス停止）");
  });
  it("leaves unknown placeholders as they are", () => {
    expect(tf("ja", "packLineError", { line: 3 })).toContain("{text}");
  });
});

describe("names", () => {
  it("of services, states, milestones and roles", () => {
    expect(serviceNames("ja", ["ehr", "idp"])).toBe("電子カルテ(FHIR)・認証基盤");
    expect(serviceNames("en", ["ai", "ehr"])).toBe("Generative AI, EHR (FHIR)");
    expect(stateName("ja", "down")).toBe("停止");
    expect(milestoneName("en", "first_record", "最初の記録作成")).toBe("First record");
    expect(milestoneName("ja", "unknown_key" as never, "コアの文言")).toBe("コアの文言");
    expect(roleName("ja", "charge_nurse")).toBe("リーダー看護師");
    expect(t("ja", "drillBadge")).toContain("DRILL");
  });
});

describe("protection and setup", () => {
  it("names what protects the data in both languages, and warns unless TPM or passphrases", () => {
    for (const code of ["tpm", "passphrase", "pin", "demo", "none"]) {
      const [ja, en] = [protectionText("ja", code), protectionText("en", code)];
      expect(ja, code).not.toBe(code);
      expect(en, code).not.toBe(ja);
    }
    expect(protectionText("ja", "pin")).toContain("TPMなし");
    expect(protectionText("en", "tpm")).toBe("Protected by this PC's TPM");
    expect(protectionText("en", "brand_new")).toBe("brand_new");
    expect(protectionText("en", "toString")).toBe("toString");
    expect(["tpm", "passphrase", "pin", "demo", "none"].filter(protectionWeak)).toEqual(["pin", "demo", "none"]);
  });
  it("words every setup problem in both languages", () => {
    const all: SetupProblem[] = ["adminIdMissing", "pinWeak", "pinMismatch", "codeWeak", "codeMismatch", "codeSameAsPin"];
    for (const p of all) {
      expect(setupProblemText("ja", p).trim(), p).not.toBe("");
      expect(setupProblemText("en", p), p).not.toBe(setupProblemText("ja", p));
    }
    expect(t("ja", "demoBand")).toBe("デモモード：架空データのみ・暗号化されていません");
    expect(t("en", "demoBand")).toBe("Demo mode: fictional data only, not encrypted");
  });
});

describe("characters that print as 〓", () => {
  const col = (id: string, ja: string, en: string): FieldDef => ({ id, label: { ja, en }, type: "text", required: false, help: null, unit: null, min: null, max: null, max_length: null, options: [], columns: [], min_rows: null });
  const form: FormDef = {
    id: "f", version: "1", title: { ja: "f", en: "f" }, description: null, print: { large_type: false },
    fields: [col("note", "所見", "Findings"), { ...col("meds", "内服薬", "Medicines"), type: "table", columns: [col("drug", "薬剤名", "Drug")] }],
  };
  it("warn in both languages, naming each character", () => {
    expect(unprintableText("ja", ["𠮷"])).toBe("印刷できない文字があります（紙では〓になります）：𠮷 (U+20BB7)");
    expect(unprintableText("en", ["𠮷", "髙"])).toBe("Characters that cannot be printed (they print as 〓): 𠮷 (U+20BB7), 髙 (U+9AD9)");
    expect(t("en", "finalizeUnprintable")).not.toBe(t("ja", "finalizeUnprintable"));
  });
  it("say where they are in the form's words", () => {
    expect(unprintableLabel("en", form, { path: "note", label: "所見", chars: ["𠮷"] })).toBe("Findings");
    expect(unprintableLabel("ja", form, { path: "meds[2].drug", label: "x", chars: ["𠮷"] })).toBe("内服薬 2 薬剤名");
    expect(unprintableLabel("en", form, { path: "meds[2].drug", label: "x", chars: ["𠮷"] })).toBe("Medicines 2 Drug");
    expect(unprintableLabel("en", form, { path: "patient", label: "患者氏名", chars: ["𠮷"] })).toBe("Patient name");
    expect(unprintableLabel("ja", form, { path: "patient", label: "x", chars: ["𠮷"] })).toBe("患者氏名");
    // a path the form does not have: the core's label
    expect(unprintableLabel("en", form, { path: "gone", label: "削除された項目", chars: ["𠮷"] })).toBe("削除された項目");
    expect(unprintableLabel("en", form, { path: "meds[1].gone", label: "内服薬 1 旧列", chars: ["𠮷"] })).toBe("内服薬 1 旧列");
  });
});
