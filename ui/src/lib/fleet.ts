// Pure logic for the administrator's fleet screen (every PC's readiness): no Tauri, no DOM.
// Unit-tested in fleet.test.ts.
import { jstDateTime } from "./census";
import { shortJst, todayJst } from "./continuity";
import { t, tf, type Lang } from "./i18n";
import type { ChannelCheck, Flag, FleetReport, Heartbeat, Readiness } from "./types";

export type Severity = "urgent" | "attention";

/** Self-test failing, old unsent records and a silent PC are urgent; the rest need attention. */
export function severity(flag: Flag): Severity {
  return flag.kind === "self_test_failing" || flag.kind === "unsent_old" || flag.kind === "not_seen" ? "urgent" : "attention";
}

/** Seconds with their sign, a true minus: "−600", "+45", "0". */
export function signed(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? `\u2212${-n}` : "0";
}

const checks = (lang: Lang, list: string[], key: "fleetFlagSelfTestFailing" | "fleetFlagSelfTestWarn") =>
  list.length ? tf(lang, key, { checks: list.join(", ") }) : t(lang, `${key}Bare`);

/** One flag in words ("未送信5件（最古9時間前）"). */
export function flagText(lang: Lang, flag: Flag): string {
  switch (flag.kind) {
    case "self_test_failing": return checks(lang, flag.checks, "fleetFlagSelfTestFailing");
    case "unsent_old": return tf(lang, "fleetFlagUnsentOld", { records: flag.records, hours: flag.hours });
    case "not_seen": return tf(lang, "fleetFlagNotSeen", { hours: flag.hours });
    case "pack_behind":
      // the core writes "—" for a pack the PC does not have at all
      return flag.has === "—" || !flag.has
        ? tf(lang, "fleetFlagPackMissing", { pack: flag.pack, newest: flag.newest })
        : tf(lang, "fleetFlagPackBehind", { pack: flag.pack, has: flag.has, newest: flag.newest });
    case "roster_behind":
      return flag.has === null
        ? tf(lang, "fleetFlagRosterMissing", { newest: flag.newest })
        : tf(lang, "fleetFlagRosterBehind", { has: flag.has, newest: flag.newest });
    case "no_recent_drill":
      return flag.days === null ? t(lang, "fleetFlagNeverDrilled") : tf(lang, "fleetFlagNoDrill", { days: flag.days });
    case "channel_refused": return tf(lang, "fleetFlagChannelRefused", { reason: flag.reason });
    case "channel_behind": return tf(lang, "fleetFlagChannelBehind", { has: flag.has, newest: flag.newest });
    case "clock_off": return tf(lang, "fleetFlagClockOff", { secs: signed(flag.secs) });
    case "self_test_stale":
      return flag.days === null ? t(lang, "fleetFlagSelfTestNever") : tf(lang, "fleetFlagSelfTestStale", { days: flag.days });
    case "self_test_warn": return checks(lang, flag.checks, "fleetFlagSelfTestWarn");
    default: return (flag as { kind: string }).kind; // a kind newer than this UI
  }
}

export interface FleetSummary { total: number; unready: number; urgent: number }

/** How many PCs reported, how many have a flag, how many an urgent one. */
export function summary(report: FleetReport): FleetSummary {
  const unready = report.rows.filter((r) => r.flags.length > 0);
  return {
    total: report.rows.length,
    unready: unready.length,
    urgent: unready.filter((r) => r.flags.some((f) => severity(f) === "urgent")).length,
  };
}

/** "8台中 6台に対応が必要（緊急 3）" / "6 of 8 PCs need attention (3 urgent)"; "" with no PC. */
export function summaryText(lang: Lang, s: FleetSummary): string {
  if (s.total === 0) return "";
  if (s.unready === 0) return tf(lang, "fleetAllReady", { total: s.total });
  const head = tf(lang, s.unready === 1 ? "fleetSummaryOne" : "fleetSummary", { n: s.unready, total: s.total });
  return s.urgent > 0 ? head + tf(lang, "fleetSummaryUrgent", { n: s.urgent }) : head;
}

/** Active packs as "id version", comma-separated; "—" without any. */
export function packsText(packs: Readiness["packs"]): string {
  return packs.length ? packs.map(([id, v]) => `${id} ${v}`).join(", ") : "—";
}

/** The roster version: "v4"; "—" without a roster. */
export function rosterText(version: number | null): string {
  return version === null ? "—" : `v${version}`;
}

/** A report time in Japan time, the time alone when it is the day of `reportAt` (the
 * server's "now"): "14:05", else "2026/11/21 14:05". */
export function seenText(iso: string, reportAt: string): string {
  const ms = Date.parse(reportAt);
  return shortJst(jstDateTime(iso), Number.isNaN(ms) ? "" : todayJst(new Date(ms)));
}

/** What a heartbeat sent, in words: the bytes and the clock offset it measured. */
export function heartbeatText(lang: Lang, h: Heartbeat): string {
  const offset = h.clock_offset_secs === null ? t(lang, "fleetOffsetUnknown") : tf(lang, "fleetSecs", { n: signed(h.clock_offset_secs) });
  return tf(lang, "fleetSent", { bytes: h.bytes_sent.toLocaleString("en-US"), offset });
}

/** What one channel check did, in words: unchanged, or how many files came (refusals apart). */
export function channelCheckText(lang: Lang, c: ChannelCheck): string {
  return c.unchanged && c.refused.length === 0
    ? tf(lang, "channelUnchanged", { release: c.release, requests: c.requests })
    : tf(lang, "channelUpdated", { release: c.release, installed: c.installed.length });
}
