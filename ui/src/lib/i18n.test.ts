import { describe, expect, it } from "vitest";
import { milestoneName, roleName, serviceNames, stateName, t, tf } from "./i18n";

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
