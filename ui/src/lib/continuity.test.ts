import { describe, expect, it } from "vitest";
import {
  canManage, clampCopies, elapsedMinutes, lines, mergePatients, milestoneState, minuteAxis, packReady, packSummary, parsePatientLines,
  proceduresFor, shortJst, timeline, todayJst,
} from "./continuity";
import type { Milestone } from "./types";

describe("who may declare downtime and run drills", () => {
  it("charge nurses and administrators, or anyone on a demo install", () => {
    expect(canManage({ role: "charge_nurse" }, true)).toBe(true);
    expect(canManage({ role: "admin" }, true)).toBe(true);
    expect(canManage({ role: "nurse" }, true)).toBe(false);
    expect(canManage({ role: "doctor" }, false)).toBe(false);
    expect(canManage(null, false)).toBe(true);
    expect(canManage(null, true)).toBe(false);
  });
});

describe("procedures for an outage", () => {
  it("maps services to their procedure once each", () => {
    expect(proceduresFor(["ai"])).toEqual(["ai-outage"]);
    expect(proceduresFor(["ehr", "idp", "ehr", "other"])).toEqual(["ehr-outage", "auth-outage"]);
    expect(proceduresFor(["other", "ai"])).toEqual(["ehr-outage", "ai-outage"]);
    expect(proceduresFor([])).toEqual([]);
  });
});

describe("times", () => {
  it("knows today in Japan, also when it is still yesterday in UTC", () => {
    expect(todayJst(new Date("2026-11-21T16:30:00Z"))).toBe("2026/11/22");
    expect(todayJst(new Date("2026-11-22T05:00:00Z"))).toBe("2026/11/22");
  });
  it("shortens today's times to the clock", () => {
    expect(shortJst("2026/11/22 14:05", "2026/11/22")).toBe("14:05");
    expect(shortJst("2026/11/21 23:50", "2026/11/22")).toBe("2026/11/21 23:50");
    expect(shortJst(null, "2026/11/22")).toBe("");
  });
  it("counts whole minutes elapsed", () => {
    const start = "2026-11-22T05:05:00Z";
    expect(elapsedMinutes(start, Date.parse("2026-11-22T05:17:59Z"))).toBe(12);
    expect(elapsedMinutes(start, Date.parse("2026-11-22T05:00:00Z"))).toBe(0);
    expect(elapsedMinutes("not a time", Date.now())).toBe(0);
  });
});

describe("typed patient list", () => {
  it("splits each line on the first space, full-width too", () => {
    const r = parsePatientLines("P-001 架空 太郎\n\n  P-002\u3000見本 花子  \r\nDT-20261122-0310-ABC 救急 仮名");
    expect(r.errors).toEqual([]);
    expect(r.patients).toEqual([
      { id: "P-001", name: "架空 太郎" },
      { id: "P-002", name: "見本 花子" },
      { id: "DT-20261122-0310-ABC", name: "救急 仮名" },
    ]);
  });
  it("reports lines without both an ID and a name by line number", () => {
    const r = parsePatientLines("P-001 架空 太郎\nP-002\n架空次郎");
    expect(r.patients).toHaveLength(1);
    expect(r.errors).toEqual([{ line: 2, text: "P-002" }, { line: 3, text: "架空次郎" }]);
  });
  it("merges lists keeping the first of each ID", () => {
    const a = [{ id: "1", name: "A" }, { id: "2", name: "B" }];
    expect(mergePatients(a, [{ id: "2", name: "B2" }, { id: "3", name: "C" }]).map((p) => p.name)).toEqual(["A", "B", "C"]);
  });
});

describe("print pack", () => {
  it("sums forms per patient and in all", () => {
    expect(packSummary(3, [{ copies: 2 }, { copies: 2 }, { copies: 1 }], 5, true)).toEqual(
      { patients: 3, perPatient: 5, forms: 15, procedures: 5, contacts: true });
    expect(packSummary(0, [], 0, false).forms).toBe(0);
  });
  it("is ready with patients and something to print for them, or with the snapshot alone", () => {
    const base = { lineErrors: 0, patients: 3, forms: 2, procedures: true, contacts: true, snapshot: false };
    expect(packReady(base)).toBe(true);
    // nothing for the patients
    expect(packReady({ ...base, forms: 0, procedures: false, contacts: false })).toBe(false);
    expect(packReady({ ...base, forms: 0, procedures: false, contacts: true })).toBe(true);
    // no patients: only the snapshot makes a pack
    expect(packReady({ ...base, patients: 0 })).toBe(false);
    expect(packReady({ ...base, patients: 0, snapshot: true })).toBe(true);
    expect(packReady({ ...base, patients: 0, forms: 0, procedures: false, contacts: false, snapshot: true })).toBe(true);
    expect(packReady({ ...base, forms: 0, procedures: false, contacts: false, snapshot: true })).toBe(true);
    // a typed line that does not read, or too many patients, stops it, snapshot or not
    expect(packReady({ ...base, lineErrors: 1 })).toBe(false);
    expect(packReady({ ...base, patients: 0, lineErrors: 1, snapshot: true })).toBe(false);
    expect(packReady({ ...base, patients: 200 })).toBe(true);
    expect(packReady({ ...base, patients: 201 })).toBe(false);
    expect(packReady({ ...base, patients: 201, snapshot: true })).toBe(false);
  });
  it("keeps copies between 1 and 10", () => {
    expect(clampCopies(0)).toBe(1);
    expect(clampCopies(2.4)).toBe(2);
    expect(clampCopies(99)).toBe(10);
    expect(clampCopies(NaN)).toBe(1);
  });
  it("reads participants one per line without repeats", () => {
    expect(lines(" 看護師 A \n\n看護師 B\n看護師 A")).toEqual(["看護師 A", "看護師 B"]);
  });
});

describe("drill milestones", () => {
  const m = (minutes: number | null, target: number | null, met: boolean | null): Milestone =>
    ({
      key: "first_record", label: "最初の記録", at: minutes === null ? null : "2026-11-22T05:10:00Z",
      at_jst: minutes === null ? null : "2026/11/22 14:10", minutes, target, met,
    });
  it("says met, late or done once reached", () => {
    expect(milestoneState(m(4.5, 10, true), true, 20)).toBe("met");
    expect(milestoneState(m(12, 10, false), false, 60)).toBe("late");
    expect(milestoneState(m(12, null, null), false, 60)).toBe("done");
  });
  it("waits, is overdue, or was not done", () => {
    expect(milestoneState(m(null, 10, null), true, 5)).toBe("waiting");
    expect(milestoneState(m(null, 10, null), true, 11)).toBe("overdue");
    expect(milestoneState(m(null, null, null), true, 99)).toBe("waiting");
    expect(milestoneState(m(null, 10, null), false, 60)).toBe("not_done");
  });
});

describe("timeline chart scale", () => {
  it("uses round steps and at least 10 minutes", () => {
    expect(minuteAxis(0)).toEqual({ max: 10, step: 2, ticks: [0, 2, 4, 6, 8, 10] });
    expect(minuteAxis(12.3)).toMatchObject({ max: 14, step: 2 });
    expect(minuteAxis(45)).toMatchObject({ max: 50, step: 10 });
    expect(minuteAxis(480)).toMatchObject({ max: 480, step: 60 });
    for (const v of [1, 7, 33, 99, 250, 1000, 5000]) {
      const a = minuteAxis(v);
      expect(a.max).toBeGreaterThanOrEqual(v);
      expect(a.ticks.length).toBeLessThanOrEqual(9);
      expect(a.ticks[a.ticks.length - 1]).toBe(a.max);
    }
  });
  it("draws bars from 0 to their minute and marks targets", () => {
    const tl = timeline([
      { label: "最初の記録", minutes: 5, target: 10 },
      { label: "最初の確定", minutes: 20, target: 15 },
      { label: "印刷", minutes: null, target: 30 },
    ], 720, 220, 28);
    expect(tl.axis.max).toBe(30);
    expect(tl.plot).toBe(484);
    const [a, b, c] = tl.bars;
    expect(a.width).toBeCloseTo((484 * 5) / 30);
    expect(a.targetX).toBeCloseTo(220 + (484 * 10) / 30);
    expect(b.y - a.y).toBe(28);
    expect(c.width).toBe(0);
    expect(c.targetX).toBeCloseTo(220 + 484);
    expect(tl.axis.ticks[0]).toEqual({ value: 0, x: 220 });
    expect(tl.height).toBe(8 + 3 * 28 + 36);
  });
});
