//! The readiness heartbeat as a FHIR `Device` (one per PC, by conditional update on its
//! identifier: one request, one resource however often it is sent), and reading every PC's
//! Device back for the administrator's fleet report.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::snapshot::searchset;
use crate::Client;
use hikae_domain::error::{Error, Result};
use hikae_domain::fleet::{Readiness, SelfTestVerdict};

/// The identifier system of a Hikae installation's Device.
pub const DEVICE_SYSTEM: &str = "urn:hikae:device";
/// Extensions of the readiness report (one URL each, under this base).
pub const EXT_BASE: &str = "urn:hikae:fhir:readiness#";
/// Most of the fleet search's answer that is read (a Device is about 2 KiB; 5,000 PCs).
const MAX_FLEET_REPLY: u64 = 16 << 20;
/// Most PCs the report asks for at once.
pub const MAX_DEVICES: usize = 5000;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn ext_time(name: &str, t: Option<DateTime<Utc>>) -> Option<Value> {
    t.map(|t| json!({"url": format!("{EXT_BASE}{name}"), "valueDateTime": ts(t)}))
}

/// Counts and seconds fit FHIR R4's 32-bit `integer` (clamped); bytes go as a `decimal`.
fn ext_int(name: &str, v: Option<i64>) -> Option<Value> {
    v.map(|v| json!({"url": format!("{EXT_BASE}{name}"), "valueInteger": v.clamp(i32::MIN as i64, i32::MAX as i64)}))
}

fn ext_bytes(name: &str, v: Option<u64>) -> Option<Value> {
    v.map(|v| json!({"url": format!("{EXT_BASE}{name}"), "valueDecimal": v}))
}

fn ext_str(name: &str, v: Option<&str>) -> Option<Value> {
    v.map(|v| json!({"url": format!("{EXT_BASE}{name}"), "valueString": v}))
}

/// The heartbeat's Device. Versions go in `version` (typed app / pack:<id> / roster), the rest
/// in extensions of `urn:hikae:fhir:readiness#…`.
pub fn device_resource(r: &Readiness) -> Value {
    let mut versions = vec![json!({"type": {"text": "app"}, "value": r.app_version})];
    for (id, v) in &r.packs {
        versions.push(json!({"type": {"text": format!("pack:{id}")}, "value": v}));
    }
    if let Some(v) = r.roster_version {
        versions.push(json!({"type": {"text": "roster"}, "value": v.to_string()}));
    }
    if let Some(v) = r.channel_release {
        versions.push(json!({"type": {"text": "channel"}, "value": v.to_string()}));
    }
    let failing = (!r.selftest_failing.is_empty()).then(|| r.selftest_failing.join(","));
    let ext: Vec<Value> = [
        ext_time("reportedAt", Some(r.at)),
        ext_time("lastSync", r.last_sync),
        ext_int("outboxDepth", Some(r.outbox_depth as i64)),
        ext_time("oldestUnsent", r.oldest_unsent),
        ext_time("lastDrill", r.last_drill),
        ext_time("selftestAt", r.selftest_at),
        ext_str("selftest", r.selftest.map(|v| v.as_str())),
        ext_str("selftestFailing", failing.as_deref()),
        ext_bytes("diskFreeBytes", r.disk_free_bytes),
        ext_int("clockOffsetSecs", r.clock_offset_secs),
        ext_time("snapshotAt", r.snapshot_at),
        ext_str("channelRefused", r.channel_refused.as_deref()),
    ]
    .into_iter()
    .flatten()
    .collect();
    json!({
        "resourceType": "Device",
        "meta": {"tag": [{"system": crate::fhir::HIKAE_TAG_SYSTEM, "code": "ward-pc", "display": "病棟端末（Hikae 控え）"}]},
        "identifier": [{"system": DEVICE_SYSTEM, "value": r.device_id}],
        "status": "active",
        "deviceName": [{"name": r.label, "type": "user-friendly-name"}],
        "type": {"text": "Hikae ward PC"},
        "version": versions,
        "extension": ext,
    })
}

/// The conditional update that keeps one Device per PC.
pub fn device_search(device_id: &str) -> String {
    format!(
        "Device?identifier={}",
        crate::snapshot::q(&format!("{DEVICE_SYSTEM}|{device_id}"))
    )
}

fn ext<'a>(d: &'a Value, name: &str) -> Option<&'a Value> {
    let url = format!("{EXT_BASE}{name}");
    d["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"] == url.as_str())
}

fn time_of(d: &Value, name: &str) -> Result<Option<DateTime<Utc>>> {
    match ext(d, name) {
        None => Ok(None),
        Some(e) => e["valueDateTime"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| Some(t.with_timezone(&Utc)))
            .ok_or_else(|| Error::Input(format!("{name}: not a date-time"))),
    }
}

fn int_of(d: &Value, name: &str) -> Result<Option<i64>> {
    match ext(d, name) {
        None => Ok(None),
        Some(e) => e["valueInteger"]
            .as_i64()
            .or_else(|| {
                e["valueDecimal"]
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| Error::Input(format!("{name}: not an integer"))),
    }
}

/// A Device read back as the report it carries. Every value is checked: a Device that is not
/// one of Hikae's, or is malformed, is an error naming what is wrong.
pub fn readiness_of(d: &Value) -> Result<Readiness> {
    let id = d["identifier"]
        .as_array()
        .and_then(|ids| ids.iter().find(|i| i["system"] == DEVICE_SYSTEM))
        .and_then(|i| i["value"].as_str())
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .ok_or_else(|| Error::Input(format!("no {DEVICE_SYSTEM} identifier")))?;
    let at = |e: Error| Error::Input(format!("Device {id}: {e}"));
    let mut packs = Vec::new();
    let mut app_version = String::new();
    let mut roster_version = None;
    let mut channel_release = None;
    for v in d["version"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let kind = v["type"]["text"].as_str().unwrap_or("");
        let value = v["value"].as_str().unwrap_or("").to_string();
        if kind == "app" {
            app_version = value;
        } else if let Some(p) = kind.strip_prefix("pack:") {
            packs.push((p.to_string(), value));
        } else if kind == "channel" {
            channel_release = Some(value.parse::<u64>().map_err(|_| {
                Error::Input(format!(
                    "Device {id}: channel release {value:?} is not a number"
                ))
            })?);
        } else if kind == "roster" {
            roster_version = Some(value.parse::<u64>().map_err(|_| {
                Error::Input(format!(
                    "Device {id}: roster version {value:?} is not a number"
                ))
            })?);
        }
    }
    packs.sort();
    let selftest = match ext(d, "selftest").and_then(|e| e["valueString"].as_str()) {
        None => None,
        Some(s) => Some(
            SelfTestVerdict::parse(s)
                .ok_or_else(|| Error::Input(format!("Device {id}: self-test verdict {s:?}")))?,
        ),
    };
    let failing = ext(d, "selftestFailing")
        .and_then(|e| e["valueString"].as_str())
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let reported = time_of(d, "reportedAt")
        .map_err(at)?
        .ok_or_else(|| Error::Input(format!("Device {id}: no reportedAt")))?;
    Ok(Readiness {
        device_id: id.to_string(),
        label: d["deviceName"][0]["name"]
            .as_str()
            .unwrap_or(id)
            .to_string(),
        at: reported,
        app_version,
        packs,
        roster_version,
        last_sync: time_of(d, "lastSync").map_err(at)?,
        outbox_depth: int_of(d, "outboxDepth")
            .map_err(at)?
            .unwrap_or(0)
            .clamp(0, i32::MAX as i64) as u64,
        oldest_unsent: time_of(d, "oldestUnsent").map_err(at)?,
        last_drill: time_of(d, "lastDrill").map_err(at)?,
        selftest_at: time_of(d, "selftestAt").map_err(at)?,
        selftest,
        selftest_failing: failing,
        disk_free_bytes: int_of(d, "diskFreeBytes")
            .map_err(at)?
            .map(|b| b.max(0) as u64),
        clock_offset_secs: match int_of(d, "clockOffsetSecs").map_err(at)? {
            // a year either way is already absurd; beyond it the report's arithmetic is refused
            Some(o) if o.abs() > 366 * 24 * 3600 => {
                return Err(Error::Input(format!(
                    "Device {id}: clockOffsetSecs {o} is more than a year"
                )))
            }
            o => o,
        },
        snapshot_at: time_of(d, "snapshotAt").map_err(at)?,
        channel_release,
        channel_refused: ext(d, "channelRefused")
            .and_then(|e| e["valueString"].as_str())
            .map(|s| s.chars().take(300).collect()),
    })
}

/// What a heartbeat did.
#[derive(Debug, Clone)]
pub struct Beat {
    /// When the answer arrived (this PC's clock), for the clock offset.
    pub answered_at: DateTime<Utc>,
    /// Bytes of the request body sent and of the answer read.
    pub sent: usize,
    pub received: u64,
    /// The server's clock (its `Date` header), for the clock offset.
    pub server_time: Option<DateTime<Utc>>,
}

/// One heartbeat: the Device by conditional update, in one request.
pub fn heartbeat(client: &Client, r: &Readiness) -> Result<Beat> {
    let resource = device_resource(r);
    let entry = json!({"resource": resource, "request": {"method": "PUT", "url": device_search(&r.device_id)}});
    let sent = serde_json::to_vec(&entry).map(|b| b.len()).unwrap_or(0);
    let (answers, received, server_time) = client.batch(vec![entry], 256 * 1024)?;
    let answered_at = Utc::now();
    let status = answers[0]["response"]["status"].as_str().unwrap_or("");
    if !(status.starts_with("200") || status.starts_with("201")) {
        return Err(Error::Input(format!(
            "{}: the heartbeat was refused ({status:?}){}",
            client.endpoint(),
            answers[0]["response"]["outcome"]["issue"][0]["diagnostics"]
                .as_str()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )));
    }
    Ok(Beat {
        answered_at,
        sent,
        received,
        server_time,
    })
}

/// What the fleet search found.
#[derive(Debug, Clone)]
pub struct Devices {
    pub reports: Vec<Readiness>,
    /// Devices under Hikae's identifier system that could not be read, with why.
    pub unreadable: Vec<String>,
    /// The server's clock (its `Date` header).
    pub server_time: Option<DateTime<Utc>>,
}

/// Every PC's report, in one request.
pub fn devices(client: &Client) -> Result<Devices> {
    let search = format!(
        "Device?identifier={}&_count={MAX_DEVICES}",
        crate::snapshot::q(&format!("{DEVICE_SYSTEM}|"))
    );
    let (answers, _, server_time) = client.batch(
        vec![json!({"request": {"method": "GET", "url": search}})],
        MAX_FLEET_REPLY,
    )?;
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for (r, included) in searchset(&answers[0], &search)? {
        if included || r["resourceType"] != "Device" {
            continue;
        }
        match readiness_of(r) {
            Ok(x) => ok.push(x),
            Err(e) => bad.push(format!("Device/{}: {e}", r["id"].as_str().unwrap_or("?"))),
        }
    }
    Ok(Devices {
        reports: ok,
        unreadable: bad,
        server_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_report_survives_the_round_trip_through_its_device() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T03:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let r = Readiness {
            device_id: "0b6c".into(),
            label: "5階東 PC-1".into(),
            at: now,
            app_version: "0.1.0".into(),
            packs: vec![("hikae-default".into(), "0.2.0".into())],
            roster_version: Some(7),
            last_sync: Some(now - Duration::hours(2)),
            outbox_depth: 3,
            oldest_unsent: Some(now - Duration::hours(5)),
            last_drill: None,
            selftest_at: Some(now - Duration::minutes(1)),
            selftest: Some(SelfTestVerdict::Warn),
            selftest_failing: vec!["printer".into(), "fonts".into()],
            disk_free_bytes: Some(12 << 30),
            clock_offset_secs: Some(-3),
            snapshot_at: None,
            channel_release: Some(12),
            channel_refused: Some("timestamp.json expired".into()),
        };
        let d = device_resource(&r);
        assert!(
            serde_json::to_vec(&d)
                .map(|b| b.len())
                .unwrap_or(usize::MAX)
                < 4096
        );
        assert_eq!(readiness_of(&d).ok(), Some(r));
    }

    #[test]
    fn an_absurd_clock_offset_is_refused_not_a_panic() {
        let mut d = device_resource(&Readiness {
            device_id: "x".into(),
            label: "x".into(),
            at: Utc::now(),
            app_version: "0.1.0".into(),
            packs: vec![],
            roster_version: None,
            last_sync: None,
            outbox_depth: 0,
            oldest_unsent: None,
            last_drill: None,
            selftest_at: None,
            selftest: None,
            selftest_failing: vec![],
            disk_free_bytes: None,
            clock_offset_secs: Some(0),
            snapshot_at: None,
            channel_release: None,
            channel_refused: None,
        });
        for e in d["extension"].as_array_mut().into_iter().flatten() {
            if e["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("clockOffsetSecs"))
            {
                e["valueInteger"] = json!(i64::MAX);
            }
        }
        let e = readiness_of(&d)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("more than a year"), "{e}");
    }

    #[test]
    fn a_malformed_device_is_refused_with_what_is_wrong() {
        let mut d = json!({"resourceType": "Device", "identifier": [{"system": DEVICE_SYSTEM, "value": "x"}],
            "extension": [{"url": format!("{EXT_BASE}reportedAt"), "valueDateTime": "yesterday"}]});
        let e = readiness_of(&d)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("reportedAt"), "{e}");
        d["identifier"] = json!([]);
        assert!(readiness_of(&d).is_err());
    }
}
