import { describe, expect, it } from "vitest";
import { milestoneName, protectionText, protectionWeak, roleName, serviceNames, setupProblemText, stateName, t, tf } from "./i18n";
import type { SetupProblem } from "./setup";

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
