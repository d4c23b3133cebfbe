//! The fleet: this PC's readiness report and heartbeat (a FHIR `Device` on the `[sync]`
//! endpoint), and the administrator's report over every PC's Device.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::selftest::{self, SelfTest, Verdict};
use super::Hikae;
use crate::auth::Permission;
use hikae_doc::pdf::{self, PageFrame, Pdf};
use hikae_doc::{Block, Document, Inline};
use hikae_domain::audit::{Action, Event};
use hikae_domain::fleet::{assess, Newest};
pub use hikae_domain::fleet::{Flag, Limits, Readiness, SelfTestVerdict};
use hikae_domain::record::jst;
use hikae_domain::{Error, Result};
use hikae_sync::fleet as wire;

const SELFTEST_AT: &str = "selftest_at";
const SELFTEST_VERDICT: &str = "selftest_verdict";
const SELFTEST_FAILING: &str = "selftest_failing";
const CLOCK_OFFSET: &str = "clock_offset_secs";
const HEARTBEAT_AT: &str = "heartbeat_at";
const HEARTBEAT_TRIED: &str = "heartbeat_tried_at";

/// What a heartbeat sent.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Heartbeat {
    pub device_id: String,
    pub endpoint: String,
    pub requests: u32,
    pub bytes_sent: usize,
    pub bytes_received: u64,
    /// This PC's clock minus the server's, as this heartbeat measured it.
    pub clock_offset_secs: Option<i64>,
}

/// One PC in the fleet report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FleetRow {
    pub report: Readiness,
    /// What needs attention, most urgent first (empty: ready).
    pub flags: Vec<Flag>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FleetReport {
    /// The server's clock when it answered (the report's "now").
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: DateTime<Utc>,
    pub endpoint: String,
    /// Unready PCs first (the most urgent flag, then the number of flags), then the ready ones.
    pub rows: Vec<FleetRow>,
    /// Devices that could not be read, with why.
    pub unreadable: Vec<String>,
}

fn parse_time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// This PC's host name, if it has one (the fleet label's default, the audit head's source).
pub(crate) fn host_name() -> Option<String> {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl Hikae {
    /// This installation's stable id (random, made on first use, kept in the encrypted store).
    pub fn device_id(&mut self) -> Result<String> {
        self.store.device_id(&hikae_domain::record::new_id())
    }

    /// Keeps a self-test's result for the next heartbeat.
    pub(crate) fn keep_selftest(&mut self, t: &SelfTest) -> Result<()> {
        let verdict = match t.verdict() {
            Verdict::Pass => SelfTestVerdict::Pass,
            Verdict::Warn => SelfTestVerdict::Warn,
            Verdict::Fail => SelfTestVerdict::Fail,
        };
        let failing: Vec<&str> = t
            .checks
            .iter()
            .filter(|c| c.verdict != Verdict::Pass)
            .map(|c| c.id)
            .collect();
        self.store.device_set(SELFTEST_AT, &t.at.to_rfc3339())?;
        self.store.device_set(SELFTEST_VERDICT, verdict.as_str())?;
        self.store.device_set(SELFTEST_FAILING, &failing.join(","))
    }

    /// The `[fleet]` section of config.toml, checked.
    pub fn fleet_config(&self) -> Result<hikae_domain::config::FleetConfig> {
        let cfg = crate::config::load(self.data_dir())?.fleet;
        cfg.check()?;
        Ok(cfg)
    }

    /// When the self-test last ran (the desktop app runs it once a day).
    pub fn last_selftest_at(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(parse_time(self.store.device_get(SELFTEST_AT)?))
    }

    /// What this PC reports about itself. Reads nothing about patients.
    pub fn readiness(&mut self) -> Result<Readiness> {
        let cfg = crate::config::load(self.data_dir())?;
        cfg.fleet.check()?;
        let counts = self.store.outbox_counts(&cfg.sync.temporary_id_prefixes)?;
        let times = self.store.outbox_times()?;
        let (last_sync, oldest_unsent) = (times.last_acknowledged, times.oldest_unsent);
        let mut packs: Vec<(String, String)> = self
            .active_packs()
            .iter()
            .map(|p| (p.manifest.id.clone(), p.manifest.version.clone()))
            .collect();
        packs.sort();
        packs.dedup();
        let last_drill = self
            .store
            .drills()?
            .into_iter()
            .filter_map(|d| d.ended_at)
            .max();
        let snapshot_at = self
            .store
            .snapshot_wards()?
            .into_iter()
            .map(|w| w.as_of)
            .max();
        // the channel, when this PC follows one
        let channel = self
            .channel_status()
            .ok()
            .filter(|c| c.source.is_some() && c.root_version.is_some());
        Ok(Readiness {
            device_id: self.device_id()?,
            label: cfg
                .fleet
                .label
                .clone()
                .or_else(host_name)
                .unwrap_or_else(|| "ward-pc".into()),
            at: Utc::now(),
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            packs,
            roster_version: self.roster().ok().flatten().map(|r| r.version),
            last_sync,
            outbox_depth: (counts.pending + counts.held + counts.rejected) as u64,
            oldest_unsent,
            last_drill,
            selftest_at: self.last_selftest_at()?,
            selftest: self
                .store
                .device_get(SELFTEST_VERDICT)?
                .and_then(|v| SelfTestVerdict::parse(&v)),
            selftest_failing: self
                .store
                .device_get(SELFTEST_FAILING)?
                .map(|s| {
                    s.split(',')
                        .filter(|x| !x.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            disk_free_bytes: selftest::free_bytes(self.data_dir()),
            clock_offset_secs: self
                .store
                .device_get(CLOCK_OFFSET)?
                .and_then(|s| s.parse().ok()),
            snapshot_at,
            channel_release: channel.as_ref().and_then(|c| c.release),
            channel_refused: channel
                .as_ref()
                .and_then(|c| c.refusal())
                .map(|r| r.chars().take(300).collect()),
        })
    }

    /// Sends this PC's readiness to the `[sync]` endpoint: one conditional update of its
    /// Device. Keeps the clock offset the server's `Date` shows, for the next one. Audited.
    pub fn heartbeat(&mut self) -> Result<Heartbeat> {
        let (client, report) = self.heartbeat_prepare()?;
        let sent = send(&client, &report);
        self.heartbeat_done(&report, client.endpoint(), sent)
    }

    /// Step 1 of a heartbeat (the shells send it without holding the data): the client and
    /// the report.
    pub fn heartbeat_prepare(&mut self) -> Result<(hikae_sync::Client, Readiness)> {
        Ok((self.sync_client()?, self.readiness()?))
    }

    /// Step 3: keeps what the server's answer says and audits the heartbeat, sent or not.
    pub fn heartbeat_done(
        &mut self,
        report: &Readiness,
        endpoint: &str,
        sent: Result<wire::Beat>,
    ) -> Result<Heartbeat> {
        let now = Utc::now();
        // tried, sent or not: the next try waits heartbeat_minutes (no retry every minute)
        self.store.device_set(HEARTBEAT_TRIED, &now.to_rfc3339())?;
        let mut e = Event::new(self.actor(), Action::Sync);
        let outcome = match sent {
            Ok(beat) => {
                let offset = beat
                    .server_time
                    .map(|t| (beat.answered_at - t).num_seconds());
                if let Some(o) = offset {
                    self.store.device_set(CLOCK_OFFSET, &o.to_string())?;
                }
                self.store.device_set(HEARTBEAT_AT, &now.to_rfc3339())?;
                e = e.detail(format!(
                    "fleet heartbeat: Device {} to {endpoint}",
                    report.device_id
                ));
                Ok(Heartbeat {
                    device_id: report.device_id.clone(),
                    endpoint: endpoint.to_string(),
                    requests: 1,
                    bytes_sent: beat.sent,
                    bytes_received: beat.received,
                    clock_offset_secs: offset,
                })
            }
            Err(err) => {
                e = e.detail(format!("fleet heartbeat failed: {err}")).failed();
                Err(err)
            }
        };
        self.store.audit(&e)?;
        outcome
    }

    /// When the last heartbeat reached the server.
    pub fn last_heartbeat_at(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(parse_time(self.store.device_get(HEARTBEAT_AT)?))
    }

    /// When a heartbeat was last tried (sent or not): the desktop waits `heartbeat_minutes`
    /// from here, so a server that is down is not asked every minute.
    pub fn last_heartbeat_tried_at(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(parse_time(self.store.device_get(HEARTBEAT_TRIED)?))
    }

    /// The administrator's report: every PC's Device from the `[sync]` endpoint, judged
    /// against the newest versions in the fleet and `limits` at the server's time. Shows no
    /// patient data; needs the administrator role on an encrypted PC. Audited.
    pub fn fleet_status(&mut self, limits: &Limits) -> Result<FleetReport> {
        let client = self.fleet_client()?;
        let found = fetch(&client);
        self.fleet_report(client.endpoint(), found, limits)
    }

    /// Step 1 of the report (the shells fetch without holding the data): the client, for an
    /// administrator.
    pub fn fleet_client(&mut self) -> Result<hikae_sync::Client> {
        self.require(Permission::Administer)?;
        self.sync_client()
    }

    /// Step 3: judges what was fetched, most urgent first; audited.
    pub fn fleet_report(
        &mut self,
        endpoint: &str,
        found: Result<wire::Devices>,
        limits: &Limits,
    ) -> Result<FleetReport> {
        let found = match found {
            Ok(f) => f,
            Err(err) => {
                let e = Event::new(self.actor(), Action::View)
                    .detail(format!("fleet status from {endpoint} failed: {err}"))
                    .failed();
                self.store.audit(&e)?;
                return Err(err);
            }
        };
        let at = found.server_time.unwrap_or_else(Utc::now);
        let newest = Newest::of(&found.reports);
        let mut rows: Vec<FleetRow> = found
            .reports
            .into_iter()
            .map(|r| FleetRow {
                flags: assess(&r, at, &newest, limits),
                report: r,
            })
            .collect();
        rows.sort_by(|a, b| {
            // unready first, by their most urgent flag, more flags first; then by name
            match (a.flags.first(), b.flags.first()) {
                (Some(x), Some(y)) => x
                    .rank()
                    .cmp(&y.rank())
                    .then(b.flags.len().cmp(&a.flags.len())),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then_with(|| a.report.label.cmp(&b.report.label))
        });
        let e = Event::new(self.actor(), Action::View)
            .detail(format!("fleet status: {} PCs from {endpoint}", rows.len()));
        self.store.audit(&e)?;
        Ok(FleetReport {
            at,
            endpoint: endpoint.to_string(),
            rows,
            unreadable: found.unreadable,
        })
    }
}

impl Hikae {
    /// Writes the report as an A4 PDF to `out` (never into the data folder); audited.
    pub fn export_fleet_pdf(&mut self, report: &FleetReport, out: &std::path::Path) -> Result<Pdf> {
        self.require(Permission::Administer)?;
        let doc = report.pdf()?;
        let e = Event::new(self.actor(), Action::Export).detail(format!(
            "fleet status PDF ({} PCs) to {}",
            report.rows.len(),
            out.display()
        ));
        self.store.audit(&e)?;
        crate::export_file(Some(self.data_dir()), out, &doc.bytes)?;
        Ok(doc)
    }
}

/// Step 2 of a heartbeat: the request (no data held).
pub fn send(client: &hikae_sync::Client, report: &Readiness) -> Result<wire::Beat> {
    wire::heartbeat(client, report)
}

/// Step 2 of the report: every PC's Device (no data held).
pub fn fetch(client: &hikae_sync::Client) -> Result<wire::Devices> {
    wire::devices(client)
}

/// The report's limits from the command line's numbers (hours and days), checked.
pub fn limits(unsent_hours: i64, not_seen_hours: i64, drill_days: i64) -> Result<Limits> {
    for (name, v, max) in [
        ("--unsent-hours", unsent_hours, 24 * 30),
        ("--not-seen-hours", not_seen_hours, 24 * 30),
        ("--drill-days", drill_days, 3650),
    ] {
        if v < 1 || v > max {
            return Err(Error::Input(format!("{name} {v}: use 1 to {max}")));
        }
    }
    Ok(Limits {
        unsent: Duration::hours(unsent_hours),
        not_seen: Duration::hours(not_seen_hours),
        drill: Duration::days(drill_days),
        ..Limits::default()
    })
}

impl FleetReport {
    /// The printable report (A4, Japanese first): what needs attention first, then every PC.
    pub fn document(&self) -> (Document, PageFrame) {
        let unready = self.rows.iter().filter(|r| !r.flags.is_empty()).count();
        let mut blocks = vec![
            Block::Heading {
                level: 1,
                text: Inline::plain("端末の準備状況（Fleet readiness）"),
            },
            Block::KeyValue(vec![
                (Inline::bold("時点"), Inline::plain(&jst(self.at))),
                (Inline::bold("サーバー"), Inline::plain(&self.endpoint)),
                (
                    Inline::bold("端末"),
                    Inline::plain(&format!("{} 台（要対応 {} 台）", self.rows.len(), unready)),
                ),
            ]),
            Block::Table {
                header: Some(vec![
                    Inline::bold("状態"),
                    Inline::bold("端末"),
                    Inline::bold("版（アプリ・パック・名簿）"),
                    Inline::bold("未送信"),
                    Inline::bold("要対応の内容"),
                ]),
                rows: self
                    .rows
                    .iter()
                    .map(|r| {
                        let p = &r.report;
                        let packs = p
                            .packs
                            .iter()
                            .map(|(id, v)| format!("{id} {v}"))
                            .collect::<Vec<_>>()
                            .join("\n");
                        vec![
                            if r.flags.is_empty() {
                                Inline::plain("準備OK")
                            } else {
                                Inline::bold("要対応")
                            },
                            Inline::plain(&format!("{}\n{}", p.label, jst(p.at))),
                            Inline::plain(&format!(
                                "{}\n{packs}\n名簿 {}",
                                p.app_version,
                                p.roster_version
                                    .map(|v| format!("v{v}"))
                                    .unwrap_or_else(|| "—".into())
                            )),
                            Inline::plain(&p.outbox_depth.to_string()),
                            Inline::plain(
                                &r.flags
                                    .iter()
                                    .map(Flag::text)
                                    .collect::<Vec<_>>()
                                    .join("\n"),
                            ),
                        ]
                    })
                    .collect(),
            },
        ];
        if !self.unreadable.is_empty() {
            blocks.push(Block::Heading {
                level: 2,
                text: Inline::plain("読めなかった報告"),
            });
            blocks.push(Block::List {
                ordered: false,
                items: self.unreadable.iter().map(|u| Inline::plain(u)).collect(),
            });
        }
        let frame = PageFrame {
            header_left: "端末の準備状況".into(),
            header_right: "Hikae 控え".into(),
            status_mark: None,
            footer_lines: vec![format!(
                "{} 時点　{} 台中 要対応 {} 台",
                jst(self.at),
                self.rows.len(),
                unready
            )],
            watermark: None,
            large_type: false,
        };
        (Document { blocks }, frame)
    }

    /// The report as an A4 PDF.
    pub fn pdf(&self) -> Result<Pdf> {
        let (doc, frame) = self.document();
        pdf::render(&doc, &frame, "端末の準備状況").map_err(Error::layout)
    }
}
