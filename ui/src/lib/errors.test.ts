import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "./generated/errors";
import { ERROR_TEXT, errorText } from "./i18n";

describe("error texts", () => {
  it("exist in Japanese and English for every error code of the core", () => {
    const table = ERROR_TEXT as Record<string, [string, string] | undefined>;
    const missing = ERROR_CODES.filter((code) => {
      const [ja, en] = Object.hasOwn(table, code) ? table[code]! : ["", ""];
      return !ja?.trim() || !en?.trim() || ja === en;
    });
    expect(missing).toEqual([]);
  });
  it("are the primary text of errorText for every code, not the generic one", () => {
    for (const code of ERROR_CODES.filter((c) => c !== "internal")) {
      expect(errorText("ja", { code, message: "" }).split("\n")[0], code).not.toBe(ERROR_TEXT.internal[0]);
      expect(errorText("en", { code, message: "" }).split("\n")[0], code).not.toBe(ERROR_TEXT.internal[1]);
    }
  });
});

describe("errorText", () => {
  it("translates a known code and keeps the core's message as a detail line", () => {
    const e = { code: "locked", message: "locked: log in first", fields: [] };
    expect(errorText("ja", e)).toBe("画面がロックされています。職員IDとPINでログインしてください。\n管理者向けの詳細：locked: log in first");
    expect(errorText("en", e)).toBe("The screen is locked: log in with your staff ID and PIN.\nDetails for the administrator: locked: log in first");
    expect(errorText("ja", { code: "print_failed", message: "" })).toBe(ERROR_TEXT.print_failed[0]);
  });
  it("gives the generic text, the code and the message for an unknown code", () => {
    const text = errorText("ja", { code: "brand_new_code", message: "something broke" });
    expect(text.split("\n")[0]).toBe(ERROR_TEXT.internal[0]);
    expect(text).toContain("brand_new_code: something broke");
    expect(errorText("en", { message: "no code at all" })).toBe(`${ERROR_TEXT.internal[1]}\nDetails for the administrator: no code at all`);
    expect(errorText("ja", { code: "toString", message: "x" }).split("\n")[0]).toBe(ERROR_TEXT.internal[0]);
  });
  it("gives the generic text and the string for a thrown string", () => {
    expect(errorText("ja", "state lock poisoned")).toBe(`${ERROR_TEXT.internal[0]}\n管理者向けの詳細：state lock poisoned`);
    expect(errorText("en", new Error("boom"))).toBe(`${ERROR_TEXT.internal[1]}\nDetails for the administrator: boom`);
    expect(errorText("en", undefined)).toBe(ERROR_TEXT.internal[1]);
  });
});
