//! Readiness of a ward PC for the next outage, as each PC reports it (its heartbeat, a FHIR
//! `Device` on the hospital's server) and as the administrator's fleet report judges it.
//! Pure: what is reported, and what needs attention first.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What one PC says about itself in a heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Readiness {
    /// Stable per installation (random, made once, kept in the encrypted store).
    pub device_id: String,
    /// What the administrator calls the PC (`[fleet] label`, else the host name).
    pub label: String,
    /// When the PC made this report (its own clock; see `clock_offset_secs`).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: DateTime<Utc>,
    pub app_version: String,
    /// Active template packs: (id, version).
    pub packs: Vec<(String, String)>,
    /// The installed roster's version, if any.
    pub roster_version: Option<u64>,
    /// The newest record the FHIR server acknowledged.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_sync: Option<DateTime<Utc>>,
    /// Finalized records not yet on the server (pending, held or refused).
    pub outbox_depth: u64,
    /// When the oldest of them was queued.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub oldest_unsent: Option<DateTime<Utc>>,
    /// When the last continuity drill ended.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_drill: Option<DateTime<Utc>>,
    /// The last self-test: when, its worst verdict, and the checks that did not pass.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub selftest_at: Option<DateTime<Utc>>,
    pub selftest: Option<SelfTestVerdict>,
    pub selftest_failing: Vec<String>,
    pub disk_free_bytes: Option<u64>,
    /// This PC's clock minus the server's (its `Date` header at the previous heartbeat).
    pub clock_offset_secs: Option<i64>,
    /// When the ward snapshot was last refreshed (when snapshots are configured).
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub snapshot_at: Option<DateTime<Utc>>,
    /// The signed channel's release this PC follows (when a channel is configured).
    #[serde(default)]
    pub channel_release: Option<u64>,
    /// Why the channel's last check was refused, if it was (stale, tampered, a key missing).
    #[serde(default)]
    pub channel_refused: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SelfTestVerdict {
    Pass,
    Warn,
    Fail,
}

impl SelfTestVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            SelfTestVerdict::Pass => "pass",
            SelfTestVerdict::Warn => "warn",
            SelfTestVerdict::Fail => "fail",
        }
    }
    pub fn parse(s: &str) -> Option<SelfTestVerdict> {
        match s {
            "pass" => Some(SelfTestVerdict::Pass),
            "warn" => Some(SelfTestVerdict::Warn),
            "fail" => Some(SelfTestVerdict::Fail),
            _ => None,
        }
    }
}

/// What makes a PC unready, most urgent first (the order of the report).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flag {
    /// The last self-test failed (the checks named).
    SelfTestFailing {
        checks: Vec<String>,
    },
    /// Finalized records waiting longer than the limit.
    UnsentOld {
        hours: i64,
        records: u64,
    },
    /// Not heard from within the limit (off, unplugged, no network to the server).
    NotSeen {
        hours: i64,
    },
    /// An older pack version than the newest one in the fleet.
    PackBehind {
        pack: String,
        has: String,
        newest: String,
    },
    /// An older roster than the newest one in the fleet (or none).
    RosterBehind {
        has: Option<u64>,
        newest: u64,
    },
    /// The channel's last check was refused: nothing new reaches this PC.
    ChannelRefused {
        reason: String,
    },
    /// An older channel release than the newest one in the fleet.
    ChannelBehind {
        has: u64,
        newest: u64,
    },
    /// No drill ended within the limit (or never).
    NoRecentDrill {
        days: Option<i64>,
    },
    /// Its clock is off the server's by more than the limit.
    ClockOff {
        secs: i64,
    },
    /// The self-test has not run within two days, or warned.
    SelfTestStale {
        days: Option<i64>,
    },
    SelfTestWarn {
        checks: Vec<String>,
    },
}

/// The limits of the report (`hikae fleet status` options).
#[derive(Debug, Clone)]
pub struct Limits {
    pub not_seen: Duration,
    pub unsent: Duration,
    pub drill: Duration,
    pub clock_secs: i64,
    pub selftest: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            not_seen: Duration::hours(24),
            unsent: Duration::hours(4),
            drill: Duration::days(90),
            clock_secs: 120,
            selftest: Duration::days(2),
        }
    }
}

/// The newest versions in the fleet, which every PC should have.
#[derive(Debug, Clone, Default)]
pub struct Newest {
    pub packs: Vec<(String, String)>,
    pub roster: Option<u64>,
    pub channel: Option<u64>,
}

/// Orders dotted versions numerically ("0.10.0" after "0.9.1"); text parts compare as text.
pub fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |s: &str| -> Vec<(u64, String)> {
        s.split(['.', '-', '+'])
            .map(|p| (p.parse::<u64>().unwrap_or(u64::MAX), p.to_string()))
            .collect()
    };
    parts(a).cmp(&parts(b))
}

impl Newest {
    pub fn of(reports: &[Readiness]) -> Newest {
        let mut packs: Vec<(String, String)> = Vec::new();
        for r in reports {
            for (id, v) in &r.packs {
                match packs.iter_mut().find(|(p, _)| p == id) {
                    Some((_, best)) if version_cmp(v, best).is_gt() => *best = v.clone(),
                    Some(_) => {}
                    None => packs.push((id.clone(), v.clone())),
                }
            }
        }
        packs.sort();
        Newest {
            packs,
            roster: reports.iter().filter_map(|r| r.roster_version).max(),
            channel: reports.iter().filter_map(|r| r.channel_release).max(),
        }
    }
}

/// What needs attention on one PC at `now` (the server's time), most urgent first.
pub fn assess(r: &Readiness, now: DateTime<Utc>, newest: &Newest, limits: &Limits) -> Vec<Flag> {
    let mut flags = Vec::new();
    // the report's own time, on the server's clock
    // (an offset beyond a year counts as none: readers refuse such reports, and the
    // arithmetic must not overflow)
    let offset = r
        .clock_offset_secs
        .filter(|o| o.abs() <= 366 * 24 * 3600)
        .map_or(Duration::zero(), Duration::seconds);
    let seen = r.at - offset;
    if now - seen > limits.not_seen {
        flags.push(Flag::NotSeen {
            hours: (now - seen).num_hours(),
        });
    }
    match r.selftest {
        Some(SelfTestVerdict::Fail) => flags.push(Flag::SelfTestFailing {
            checks: r.selftest_failing.clone(),
        }),
        Some(SelfTestVerdict::Warn) => flags.push(Flag::SelfTestWarn {
            checks: r.selftest_failing.clone(),
        }),
        _ => {}
    }
    match r.selftest_at {
        Some(t) if now - (t - offset) <= limits.selftest => {}
        t => flags.push(Flag::SelfTestStale {
            days: t.map(|t| (now - (t - offset)).num_days()),
        }),
    }
    if let Some(oldest) = r.oldest_unsent {
        if r.outbox_depth > 0 && now - (oldest - offset) > limits.unsent {
            flags.push(Flag::UnsentOld {
                hours: (now - (oldest - offset)).num_hours(),
                records: r.outbox_depth,
            });
        }
    }
    for (id, v) in &newest.packs {
        match r.packs.iter().find(|(p, _)| p == id) {
            Some((_, has)) if version_cmp(has, v).is_lt() => flags.push(Flag::PackBehind {
                pack: id.clone(),
                has: has.clone(),
                newest: v.clone(),
            }),
            Some(_) => {}
            None => flags.push(Flag::PackBehind {
                pack: id.clone(),
                has: "—".into(),
                newest: v.clone(),
            }),
        }
    }
    if let Some(n) = newest.roster {
        if r.roster_version.is_none_or(|v| v < n) {
            flags.push(Flag::RosterBehind {
                has: r.roster_version,
                newest: n,
            });
        }
    }
    if let Some(reason) = &r.channel_refused {
        flags.push(Flag::ChannelRefused {
            reason: reason.clone(),
        });
    }
    if let (Some(has), Some(n)) = (r.channel_release, newest.channel) {
        if has < n {
            flags.push(Flag::ChannelBehind { has, newest: n });
        }
    }
    match r.last_drill {
        Some(t) if now - (t - offset) <= limits.drill => {}
        t => flags.push(Flag::NoRecentDrill {
            days: t.map(|t| (now - (t - offset)).num_days()),
        }),
    }
    if let Some(o) = r.clock_offset_secs {
        if o.abs() > limits.clock_secs {
            flags.push(Flag::ClockOff { secs: o });
        }
    }
    flags.sort();
    flags
}

impl Flag {
    /// How urgent: 0 first (the order of the variants).
    pub fn rank(&self) -> u8 {
        match self {
            Flag::SelfTestFailing { .. } => 0,
            Flag::UnsentOld { .. } => 1,
            Flag::NotSeen { .. } => 2,
            Flag::PackBehind { .. } => 3,
            Flag::RosterBehind { .. } => 4,
            Flag::ChannelRefused { .. } => 5,
            Flag::ChannelBehind { .. } => 6,
            Flag::NoRecentDrill { .. } => 7,
            Flag::ClockOff { .. } => 8,
            Flag::SelfTestStale { .. } => 9,
            Flag::SelfTestWarn { .. } => 10,
        }
    }

    /// One line for the report (Japanese first, English after).
    pub fn text(&self) -> String {
        match self {
            Flag::SelfTestFailing { checks } => {
                format!("自己診断が失敗 / self-test failing: {}", checks.join(", "))
            }
            Flag::UnsentOld { hours, records } => {
                format!("未送信{records}件・最古{hours}時間前 / {records} unsent, oldest {hours} h")
            }
            Flag::NotSeen { hours } => format!("{hours}時間応答なし / not seen for {hours} h"),
            Flag::PackBehind { pack, has, newest } => {
                format!("パック {pack} {has}（最新 {newest}） / pack behind")
            }
            Flag::RosterBehind { has, newest } => format!(
                "職員名簿 v{}（最新 v{newest}） / roster behind",
                has.map(|v| v.to_string()).unwrap_or_else(|| "—".into())
            ),
            Flag::ChannelRefused { reason } => {
                format!("配信の確認が拒否 / channel check refused: {reason}")
            }
            Flag::ChannelBehind { has, newest } => {
                format!("配信 リリース{has}（最新 {newest}） / channel release behind")
            }
            Flag::NoRecentDrill { days: Some(d) } => {
                format!("訓練{d}日間なし / no drill for {d} days")
            }
            Flag::NoRecentDrill { days: None } => "訓練の実施なし / never drilled".into(),
            Flag::ClockOff { secs } => format!("時計のずれ{secs}秒 / clock off by {secs} s"),
            Flag::SelfTestStale { days: Some(d) } => {
                format!("自己診断{d}日間なし / self-test {d} days old")
            }
            Flag::SelfTestStale { days: None } => "自己診断の実施なし / self-test never run".into(),
            Flag::SelfTestWarn { checks } => {
                format!("自己診断の注意 / self-test warnings: {}", checks.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(now: DateTime<Utc>) -> Readiness {
        Readiness {
            device_id: "d1".into(),
            label: "5E-PC1".into(),
            at: now - Duration::minutes(5),
            app_version: "0.1.0".into(),
            packs: vec![("hikae-default".into(), "0.2.0".into())],
            roster_version: Some(3),
            last_sync: Some(now - Duration::hours(1)),
            outbox_depth: 0,
            oldest_unsent: None,
            last_drill: Some(now - Duration::days(10)),
            selftest_at: Some(now - Duration::hours(3)),
            selftest: Some(SelfTestVerdict::Pass),
            selftest_failing: vec![],
            disk_free_bytes: Some(10 << 30),
            clock_offset_secs: Some(1),
            snapshot_at: None,
            channel_release: None,
            channel_refused: None,
        }
    }

    #[test]
    fn a_ready_pc_has_no_flags_and_each_kind_of_unready_one_is_flagged() {
        let now = Utc::now();
        let ok = ready(now);
        let newest = Newest::of(std::slice::from_ref(&ok));
        let l = Limits::default();
        assert!(assess(&ok, now, &newest, &l).is_empty());

        let mut r = ok.clone();
        r.at = now - Duration::hours(30);
        assert_eq!(
            assess(&r, now, &newest, &l),
            vec![Flag::NotSeen { hours: 30 }]
        );

        let mut r = ok.clone();
        r.outbox_depth = 2;
        r.oldest_unsent = Some(now - Duration::hours(6));
        assert_eq!(
            assess(&r, now, &newest, &l),
            vec![Flag::UnsentOld {
                hours: 6,
                records: 2
            }]
        );
        r.oldest_unsent = Some(now - Duration::hours(1));
        assert!(
            assess(&r, now, &newest, &l).is_empty(),
            "recent unsent is normal"
        );

        // the channel: a refused check, and a release behind the fleet's newest
        let mut ahead = ok.clone();
        ahead.channel_release = Some(5);
        let mut r = ok.clone();
        r.channel_release = Some(4);
        r.channel_refused = Some("timestamp.json expired".into());
        let both = Newest::of(&[ahead.clone(), r.clone()]);
        assert!(assess(&ahead, now, &both, &l).is_empty());
        assert_eq!(
            assess(&r, now, &both, &l),
            vec![
                Flag::ChannelRefused {
                    reason: "timestamp.json expired".into()
                },
                Flag::ChannelBehind { has: 4, newest: 5 }
            ]
        );
        assert!(
            assess(&ok, now, &both, &l).is_empty(),
            "no channel, no flag"
        );

        let mut r = ok.clone();
        r.last_drill = Some(now - Duration::days(120));
        assert_eq!(
            assess(&r, now, &newest, &l),
            vec![Flag::NoRecentDrill { days: Some(120) }]
        );
        r.last_drill = None;
        assert_eq!(
            assess(&r, now, &newest, &l),
            vec![Flag::NoRecentDrill { days: None }]
        );

        let mut r = ok.clone();
        r.selftest = Some(SelfTestVerdict::Fail);
        r.selftest_failing = vec!["printer".into()];
        assert_eq!(
            assess(&r, now, &newest, &l),
            vec![Flag::SelfTestFailing {
                checks: vec!["printer".into()]
            }]
        );

        let mut r = ok.clone();
        r.clock_offset_secs = Some(-600);
        let f = assess(&r, now, &newest, &l);
        assert!(f.contains(&Flag::ClockOff { secs: -600 }), "{f:?}");
    }

    #[test]
    fn behind_means_older_than_the_newest_in_the_fleet() {
        let now = Utc::now();
        let a = ready(now);
        let mut b = ready(now);
        b.device_id = "d2".into();
        b.packs = vec![("hikae-default".into(), "0.10.0".into())];
        b.roster_version = Some(5);
        let newest = Newest::of(&[a.clone(), b.clone()]);
        assert_eq!(
            newest.packs,
            vec![("hikae-default".into(), "0.10.0".into())]
        );
        let l = Limits::default();
        assert_eq!(
            assess(&a, now, &newest, &l),
            vec![
                Flag::PackBehind {
                    pack: "hikae-default".into(),
                    has: "0.2.0".into(),
                    newest: "0.10.0".into()
                },
                Flag::RosterBehind {
                    has: Some(3),
                    newest: 5
                }
            ]
        );
        assert!(assess(&b, now, &newest, &l).is_empty());
    }

    #[test]
    fn the_most_urgent_flag_comes_first() {
        let mut f = [
            Flag::NoRecentDrill { days: None },
            Flag::NotSeen { hours: 30 },
            Flag::SelfTestFailing { checks: vec![] },
        ];
        f.sort();
        assert_eq!(f[0], Flag::SelfTestFailing { checks: vec![] });
        assert_eq!(f[2], Flag::NoRecentDrill { days: None });
    }
}
