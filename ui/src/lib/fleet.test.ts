import { describe, expect, it } from "vitest";
import { channelCheckText, flagText, heartbeatText, packsText, rosterText, seenText, severity, signed, summary, summaryText } from "./fleet";
import type { ChannelCheck, Flag, FleetReport, FleetRow, Readiness } from "./types";

// fictional PCs only
const readiness = (device_id: string, over: Partial<Readiness> = {}): Readiness => ({
  device_id, label: `PC ${device_id}`, at: "2026-11-22T05:00:00Z", app_version: "0.1.0", packs: [["hikae-default", "0.2.0"]],
  roster_version: 4, last_sync: null, outbox_depth: 0, oldest_unsent: null, last_drill: null, selftest_at: null, selftest: "pass",
  selftest_failing: [], disk_free_bytes: null, clock_offset_secs: 0, snapshot_at: null, channel_release: null, channel_refused: null, ...over,
});
const row = (id: string, flags: Flag[]): FleetRow => ({ report: readiness(id), flags });
const report = (rows: FleetRow[]): FleetReport => ({ at: "2026-11-22T06:00:00Z", endpoint: "https://fhir.example.test", rows, unreadable: [] });

const every: Flag[] = [
  { kind: "self_test_failing", checks: ["printer", "disk"] },
  { kind: "unsent_old", hours: 9, records: 5 },
  { kind: "not_seen", hours: 30 },
  { kind: "pack_behind", pack: "hikae-default", has: "0.1.0", newest: "0.2.0" },
  { kind: "roster_behind", has: 2, newest: 4 },
  { kind: "channel_refused", reason: "the timestamp expired on 2026-11-20" },
  { kind: "channel_behind", has: 3, newest: 5 },
  { kind: "no_recent_drill", days: 200 },
  { kind: "clock_off", secs: -600 },
  { kind: "self_test_stale", days: 2 },
  { kind: "self_test_warn", checks: ["printer"] },
];

describe("flagText", () => {
  it("words every kind in Japanese", () => {
    expect(every.map((f) => flagText("ja", f))).toEqual([
      "自己診断が失敗：printer, disk",
      "未送信5件（最古9時間前）",
      "30時間応答なし",
      "パック hikae-default 0.1.0（最新 0.2.0）",
      "職員名簿 v2（最新 v4）",
      "配信の確認が拒否されています：the timestamp expired on 2026-11-20",
      "配信リリース 3（最新 5）",
      "訓練200日間なし",
      "時計のずれ −600秒",
      "自己診断が2日以上前",
      "自己診断の注意：printer",
    ]);
  });
  it("words every kind in English", () => {
    expect(every.map((f) => flagText("en", f))).toEqual([
      "Self-test failing: printer, disk",
      "5 unsent (oldest 9 h ago)",
      "Not heard from for 30 h",
      "Pack hikae-default 0.1.0 (newest 0.2.0)",
      "Staff roster v2 (newest v4)",
      "Channel check refused: the timestamp expired on 2026-11-20",
      "Channel release 3 (newest 5)",
      "No drill for 200 days",
      "Clock off by −600 s",
      "Last self-test 2 or more days ago",
      "Self-test warnings: printer",
    ]);
  });
  it("says what is missing rather than a number", () => {
    expect(flagText("ja", { kind: "no_recent_drill", days: null })).toBe("訓練の記録なし");
    expect(flagText("en", { kind: "no_recent_drill", days: null })).toBe("No drill on record");
    expect(flagText("ja", { kind: "self_test_stale", days: null })).toBe("自己診断の記録なし");
    expect(flagText("en", { kind: "self_test_stale", days: null })).toBe("No self-test on record");
    expect(flagText("ja", { kind: "roster_behind", has: null, newest: 4 })).toBe("職員名簿 未導入（最新 v4）");
    expect(flagText("en", { kind: "pack_behind", pack: "ward-5e", has: "—", newest: "1.2.0" })).toBe("Pack ward-5e not installed (newest 1.2.0)");
    expect(flagText("ja", { kind: "self_test_failing", checks: [] })).toBe("自己診断が失敗");
    expect(flagText("en", { kind: "self_test_warn", checks: [] })).toBe("Self-test warnings");
  });
  it("signs a clock ahead and names a kind it does not know", () => {
    expect(flagText("ja", { kind: "clock_off", secs: 180 })).toBe("時計のずれ +180秒");
    expect(flagText("en", { kind: "brand_new" } as unknown as Flag)).toBe("brand_new");
    expect([signed(-5), signed(0), signed(7)]).toEqual(["\u22125", "0", "+7"]);
  });
});

describe("severity", () => {
  it("is urgent for a failing self-test, old unsent records and a silent PC only", () => {
    expect(every.filter((f) => severity(f) === "urgent").map((f) => f.kind)).toEqual(["self_test_failing", "unsent_old", "not_seen"]);
    expect(every.slice(3).every((f) => severity(f) === "attention")).toBe(true);
  });
});

describe("summary", () => {
  const r = report([
    row("a", [every[0], every[5]]),
    row("b", [every[1]]),
    row("c", [every[2], every[3]]),
    row("d", [every[4]]),
    row("e", [every[6], every[7]]),
    row("f", [every[8]]),
    row("g", []),
    row("h", []),
  ]);
  it("counts the PCs, the unready and the urgent ones", () => {
    expect(summary(r)).toEqual({ total: 8, unready: 6, urgent: 3 });
    expect(summary(report([]))).toEqual({ total: 0, unready: 0, urgent: 0 });
  });
  it("says it in both languages", () => {
    expect(summaryText("ja", summary(r))).toBe("8台中 6台に対応が必要（緊急 3）");
    expect(summaryText("en", summary(r))).toBe("6 of 8 PCs need attention (3 urgent)");
    expect(summaryText("en", { total: 8, unready: 1, urgent: 0 })).toBe("1 of 8 PCs needs attention");
    expect(summaryText("ja", { total: 3, unready: 0, urgent: 0 })).toBe("3台すべて準備OK");
    expect(summaryText("en", { total: 0, unready: 0, urgent: 0 })).toBe("");
  });
});

describe("cells", () => {
  it("packs, roster, the report time in Japan time", () => {
    expect(packsText([["hikae-default", "0.2.0"], ["ward-5e", "1.0.0"]])).toBe("hikae-default 0.2.0, ward-5e 1.0.0");
    expect(packsText([])).toBe("—");
    expect(rosterText(4)).toBe("v4");
    expect(rosterText(null)).toBe("—");
    // 05:00Z is 14:00 in Japan, the report's day; 2026-11-20T20:00Z is 11/21 05:00 there
    expect(seenText("2026-11-22T05:00:00Z", "2026-11-22T06:00:00Z")).toBe("14:00");
    expect(seenText("2026-11-20T20:00:00Z", "2026-11-22T06:00:00Z")).toBe("2026/11/21 05:00");
    expect(seenText("2026-11-21T16:30:00Z", "2026-11-21T14:00:00Z")).toBe("2026/11/22 01:30");
    expect(seenText("not a time", "2026-11-22T06:00:00Z")).toBe("not a time");
  });
  it("a heartbeat's result", () => {
    const h = { device_id: "d", endpoint: "https://fhir.example.test", requests: 2, bytes_sent: 1834, bytes_received: 512, clock_offset_secs: -3 };
    expect(heartbeatText("ja", h)).toBe("この端末の状態を送信しました（1,834バイト、時計のずれ −3秒）");
    expect(heartbeatText("en", { ...h, clock_offset_secs: null })).toBe("This PC's status was sent (1,834 bytes, clock offset unknown)");
  });
});

describe("channelCheckText", () => {
  const check = (over: Partial<ChannelCheck> = {}): ChannelCheck => ({
    source: "https://channel.example.test/", release: 3, root_version: 1, unchanged: true, installed: [], refused: [], requests: 1, bytes: 412, ...over,
  });
  it("says an unchanged release and its requests", () => {
    expect(channelCheckText("ja", check())).toBe("リリース 3 から変更はありません（1 リクエスト）");
    expect(channelCheckText("en", check())).toBe("Release 3 unchanged (1 request(s))");
  });
  it("counts what was installed", () => {
    const c = check({ unchanged: false, installed: ["packs/ward-east.hikaepack: ward-east 0.3.0"], requests: 4 });
    expect(channelCheckText("ja", c)).toBe("リリース 3：1 件を導入しました");
    expect(channelCheckText("en", c)).toBe("Release 3: 1 installed");
  });
});
