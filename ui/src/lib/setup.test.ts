import { describe, expect, it } from "vitest";
import { problemField, setupProblems, strongEnough, type SetupForm } from "./setup";

const ok: SetupForm = { adminId: "A0001", pin: "246810", pin2: "246810", code: "135790", code2: "135790" };

describe("secrets", () => {
  it("are PINs of 6+ digits or passphrases of 10+ characters, as the core requires", () => {
    expect(strongEnough("123456")).toBe(true);
    expect(strongEnough("12345")).toBe(false);
    expect(strongEnough("")).toBe(false);
    expect(strongEnough("abc123")).toBe(false); // not only digits: a passphrase, too short
    expect(strongEnough("short pass")).toBe(true);
    expect(strongEnough("１２３４５６")).toBe(false); // full-width digits are not a PIN
    expect(strongEnough("ながいパスフレーズです")).toBe(true);
    expect(strongEnough("😀😀😀😀😀😀😀😀😀")).toBe(false); // 9 characters, 18 UTF-16 units
    expect(strongEnough("😀😀😀😀😀😀😀😀😀😀")).toBe(true);
  });
});

describe("the setup form", () => {
  it("is ready when everything is filled in, strong enough and typed the same twice", () => {
    expect(setupProblems(ok)).toEqual([]);
    expect(setupProblems({ ...ok, pin: "a long passphrase", pin2: "a long passphrase" })).toEqual([]);
  });
  it("needs the administrator's staff ID", () => {
    expect(setupProblems({ ...ok, adminId: "  " })).toEqual(["adminIdMissing"]);
  });
  it("catches entries that do not match", () => {
    expect(setupProblems({ ...ok, pin2: "246811" })).toEqual(["pinMismatch"]);
    expect(setupProblems({ ...ok, code2: "" })).toEqual(["codeMismatch"]);
    expect(setupProblems({ ...ok, pin2: "246810 " })).toEqual(["pinMismatch"]); // secrets are not trimmed
  });
  it("says a weak secret is weak before asking for a match", () => {
    expect(setupProblems({ ...ok, pin: "1234", pin2: "4321" })).toEqual(["pinWeak"]);
    expect(setupProblems({ ...ok, code: "abc", code2: "abc" })).toEqual(["codeWeak"]);
  });
  it("refuses an emergency code that is the administrator's PIN", () => {
    expect(setupProblems({ ...ok, code: "246810", code2: "246810" })).toEqual(["codeSameAsPin"]);
  });
  it("lists every problem in the order of the fields, each on its field", () => {
    const all = setupProblems({ adminId: "", pin: "1", pin2: "", code: "123456", code2: "654321" });
    expect(all).toEqual(["adminIdMissing", "pinWeak", "codeMismatch"]);
    expect(all.map(problemField)).toEqual(["adminId", "pin", "code2"]);
  });
});
