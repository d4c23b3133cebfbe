import { describe, expect, it } from "vitest";
import { addRow, cellPath, completeValues, describeChar, isTemporaryPatientId, moveRow, parseDay, problemsAt, removeRow, SaveQueue, temporaryPatientId, unprintableAt } from "./form";
import type { FieldDef, FieldError, FormDef, Unprintable } from "./types";

const col = (id: string): FieldDef => ({ id, label: { ja: id, en: id }, type: "text", required: false, help: null, unit: null, min: null, max: null, max_length: null, options: [], columns: [], min_rows: null });
const meds: FieldDef = { ...col("meds"), type: "table", columns: [col("drug"), col("dose")] };
const form: FormDef = { id: "f", version: "1", title: { ja: "f", en: "f" }, description: null, print: { large_type: false }, fields: [col("name"), meds, { ...col("ok"), type: "checkbox" }] };

describe("form values", () => {
  it("fills every field, keeping stored values", () => {
    expect(completeValues(form, { name: "山田" })).toEqual({ name: "山田", meds: [], ok: false });
  });
  it("adds, removes and moves rows", () => {
    let rows = addRow([], meds);
    rows = addRow(rows, meds);
    rows[0].drug = "A";
    rows[1].drug = "B";
    expect(moveRow(rows, 0, 1).map((r) => r.drug)).toEqual(["B", "A"]);
    expect(moveRow(rows, 0, -1)).toBe(rows);
    expect(removeRow(rows, 0).map((r) => r.drug)).toEqual(["B"]);
    expect(addRow(rows, meds, 1)[1]).toEqual({ drug: "", dose: "" });
  });
  it("finds problems for a field and its cells", () => {
    const p: FieldError[] = [
      { path: "meds[2].dose", label: "x", problem: { code: "required" } },
      { path: "medsx", label: "y", problem: { code: "required" } },
    ];
    expect(problemsAt(p, "meds")).toHaveLength(1);
    expect(problemsAt(p, "meds[2].dose")).toHaveLength(1);
  });
});

describe("characters that print as 〓", () => {
  const list: Unprintable[] = [
    { path: "patient", label: "患者氏名", chars: ["𠮷"] },
    { path: "name", label: "name", chars: ["髙", "﨑"] },
    { path: "meds[2].dose", label: "meds 2 dose", chars: ["㊙"] },
    { path: "name", label: "name", chars: ["﨑", "𩸽"] },
  ];
  it("are found at exactly one field, cell or the patient, merged and each once", () => {
    expect(unprintableAt(list, "name")).toEqual(["髙", "﨑", "𩸽"]);
    expect(unprintableAt(list, "patient")).toEqual(["𠮷"]);
    // a cell's warning is at the cell (rows from 1, as cellPath and FieldError), not at its table or another row
    expect(unprintableAt(list, cellPath("meds", 1, "dose"))).toEqual(["㊙"]);
    expect(unprintableAt(list, cellPath("meds", 0, "dose"))).toEqual([]);
    expect(unprintableAt(list, "meds")).toEqual([]);
    expect(unprintableAt(list, "nam")).toEqual([]);
    expect(unprintableAt([], "name")).toEqual([]);
  });
  it("are described with their code point, invisible ones by it alone", () => {
    expect(describeChar("𠮷")).toBe("𠮷 (U+20BB7)");
    expect(describeChar("髙")).toBe("髙 (U+9AD9)");
    expect(describeChar("\u200b")).toBe("U+200B");
    expect(describeChar("\u3000")).toBe("U+3000");
    expect(describeChar("\ue000")).toBe("U+E000");
  });
});

describe("temporary patient IDs", () => {
  it("encode the time and are recognizable", () => {
    const id = temporaryPatientId(new Date(2026, 10, 21, 14, 5), () => 0);
    expect(id).toBe("DT-20261121-1405-222");
    expect(isTemporaryPatientId(id)).toBe(true);
    expect(isTemporaryPatientId("P-000123")).toBe(false);
  });
});

describe("SaveQueue", () => {
  it("never overlaps saves and always saves the latest values", async () => {
    const saved: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const q = new SaveQueue<number>(async (v) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      saved.push(v);
      inFlight--;
    }, () => {});
    for (let i = 1; i <= 20; i++) q.push(i);
    while (q.busy) await new Promise((r) => setTimeout(r, 2));
    expect(maxInFlight).toBe(1);
    expect(saved[0]).toBe(1);
    expect(saved[saved.length - 1]).toBe(20);
    expect(saved.length).toBeLessThan(20);
  });
  it("keeps unsaved values after a failure and saves them on retry", async () => {
    let fail = true;
    const saved: string[] = [];
    const errors: unknown[] = [];
    const q = new SaveQueue<string>(async (v) => {
      if (fail) throw new Error("disk full");
      saved.push(v);
    }, (e) => errors.push(e));
    q.push("typed text");
    await new Promise((r) => setTimeout(r, 5));
    expect(errors).toHaveLength(1);
    expect(q.busy).toBe(true);
    fail = false;
    q.retry();
    await new Promise((r) => setTimeout(r, 5));
    expect(saved).toEqual(["typed text"]);
  });
  it("settles after the last save, saying whether everything was saved", async () => {
    let fail = false;
    const saved: number[] = [];
    const q = new SaveQueue<number>(async (v) => {
      await new Promise((r) => setTimeout(r, 3));
      if (fail) throw new Error("disk full");
      saved.push(v);
    }, () => {});
    expect(await q.settled()).toBe(true);
    q.push(1); q.push(2); q.push(3);
    expect(await q.settled()).toBe(true);
    expect(saved[saved.length - 1]).toBe(3);
    fail = true;
    q.push(4);
    expect(await q.settled()).toBe(false);
    expect(q.busy).toBe(true);
  });
});

describe("parseDay", () => {
  it("accepts the ways staff type a date", () => {
    expect(parseDay("2026/11/21")).toBe("2026-11-21");
    expect(parseDay("2026-1-5")).toBe("2026-01-05");
    expect(parseDay("２０２６年１１月２１日")).toBe("2026-11-21");
    expect(parseDay("  ")).toBe("");
  });
  it("refuses what is not a real day", () => {
    expect(parseDay("2026/02/30")).toBeNull();
    expect(parseDay("11/21")).toBeNull();
    expect(parseDay("昨日")).toBeNull();
  });
});
