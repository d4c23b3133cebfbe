//! Failed logins, kept in `<data>/login-attempts.json` so that restarting the app does not
//! reset them.
//!
//! - Per staff ID: after `FREE_FAILURES` wrong PINs an ID is locked for 30 s, doubling with each
//!   further failure up to an hour. Failures decay: one is forgiven per `DECAY_PER_ID` without a
//!   new one, so an occasional typo never adds up to a lockout. A correct PIN clears the count.
//! - Per PC: every failure, for any ID (known or not), also counts against this PC's budget
//!   (`PC_FREE_FAILURES`, one forgiven per `DECAY_PER_PC`); beyond it every PIN login on the PC
//!   waits 30 s, doubling up to 15 minutes. Spraying one common PIN over the roster stops there.
//!   A correct PIN does not refill the PC's budget; an administrator can reset it (audited).
//! - Failures wait here, with their time and ID, until the data is next open, and are then
//!   written to the audit log (`take_unaudited`): the start screen's failures are audited too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use hikae_domain::error::{Error, Result};

pub const FREE_FAILURES: u32 = 5;
const FIRST_LOCK_SECS: i64 = 30;
const MAX_LOCK_SECS: i64 = 3600;
const DECAY_PER_ID: i64 = 3600;
pub const PC_FREE_FAILURES: u32 = 10;
const DECAY_PER_PC: i64 = 600;
const MAX_PC_LOCK_SECS: i64 = 900;
/// Failures kept for the audit log at most (older ones are counted, not listed).
const MAX_UNAUDITED: usize = 1000;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub failures: u32,
    pub last_failure: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl Record {
    /// Forgives one failure per `every` seconds since the last one.
    fn decay(&mut self, now: DateTime<Utc>, every: i64) {
        if let Some(last) = self.last_failure {
            let steps = ((now - last).num_seconds() / every).max(0);
            let steps = u32::try_from(steps).unwrap_or(u32::MAX);
            if steps > 0 {
                self.failures = self.failures.saturating_sub(steps);
                self.last_failure =
                    Some(last + Duration::seconds(every * i64::from(steps.min(1_000_000))));
            }
        }
    }

    fn fail(&mut self, now: DateTime<Utc>, free: u32, max_secs: i64) {
        self.failures = self.failures.saturating_add(1);
        self.last_failure = Some(now);
        if self.failures >= free {
            let extra = (self.failures - free).min(7);
            let secs = (FIRST_LOCK_SECS << extra).min(max_secs);
            self.locked_until = Some(now + Duration::seconds(secs));
        }
    }

    fn locked(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|u| *u > now)
    }
}

/// A failed login not yet written to the audit log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Failure {
    pub id: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Attempts {
    /// This PC's budget over all IDs.
    #[serde(default, rename = "#pc")]
    pc: Record,
    #[serde(default, rename = "#unaudited")]
    unaudited: Vec<Failure>,
    /// Failures beyond `MAX_UNAUDITED` (counted only).
    #[serde(default, rename = "#unaudited_dropped")]
    dropped: u64,
    #[serde(flatten)]
    by_id: BTreeMap<String, Record>,
    #[serde(skip)]
    path: PathBuf,
}

impl Attempts {
    pub fn load(data_dir: &Path) -> Result<Attempts> {
        let path = data_dir.join("login-attempts.json");
        let mut a = match std::fs::read_to_string(&path) {
            Ok(t) => serde_json::from_str::<Attempts>(&t).map_err(|e| {
                // a damaged counter file must not open the door: refuse until an admin looks
                Error::Input(format!(
                    "{}: unreadable ({e}); ask an administrator",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Attempts::default(),
            Err(e) => return Err(Error::io(&path, e)),
        };
        a.path = path;
        Ok(a)
    }

    fn save(&self) -> Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(|e| Error::Input(e.to_string()))?;
        hikae_files::write_atomically(&self.path, json.as_bytes())
    }

    /// `Err(Locked)` while `id`, or PIN logins on this whole PC, are locked out, saying until
    /// when.
    pub fn check(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        if id.starts_with('#') {
            return Err(Error::Input(format!("'{id}' is not a staff ID")));
        }
        if let Some(until) = self.pc.locked(now) {
            return Err(Error::Locked(format!(
                "too many wrong PINs on this PC: try again after {} (in {} s), or ask an administrator",
                hikae_domain::record::jst_clock(until),
                (until - now).num_seconds().max(1)
            )));
        }
        self.check_id(id, now)
    }

    /// `Err(Locked)` while `id` alone is locked out (the PC's budget is not consulted).
    pub fn check_id(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        match self.by_id.get(id).and_then(|r| r.locked(now)) {
            Some(until) => Err(Error::Locked(format!(
                "too many wrong PINs for {id}: try again after {} (in {} s), or ask an administrator",
                hikae_domain::record::jst_clock(until),
                (until - now).num_seconds().max(1)
            ))),
            None => Ok(()),
        }
    }

    pub fn failed(&mut self, id: &str, now: DateTime<Utc>) -> Result<Record> {
        // the file's own keys start with '#': such an "ID" is counted against the PC only
        let mut scratch = Record::default();
        let r = if id.starts_with('#') {
            &mut scratch
        } else {
            self.by_id.entry(id.to_string()).or_default()
        };
        r.decay(now, DECAY_PER_ID);
        r.fail(now, FREE_FAILURES, MAX_LOCK_SECS);
        let out = r.clone();
        self.pc.decay(now, DECAY_PER_PC);
        self.pc.fail(now, PC_FREE_FAILURES, MAX_PC_LOCK_SECS);
        if self.unaudited.len() < MAX_UNAUDITED {
            self.unaudited.push(Failure {
                id: id.to_string(),
                at: now,
            });
        } else {
            self.dropped += 1;
        }
        self.save()?;
        Ok(out)
    }

    pub fn succeeded(&mut self, id: &str) -> Result<()> {
        if self.by_id.remove(id).is_some() {
            self.save()?;
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Record> {
        self.by_id.get(id)
    }

    /// This PC's budget.
    pub fn pc(&self) -> &Record {
        &self.pc
    }

    /// IDs (and the PC) with failures on record, for the administrator.
    pub fn all(&self) -> impl Iterator<Item = (&str, &Record)> {
        self.by_id.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The failures not yet in the audit log, and how many more were only counted; the caller
    /// writes them, then calls [`Attempts::audited`].
    pub fn unaudited(&self) -> (&[Failure], u64) {
        (&self.unaudited, self.dropped)
    }

    pub fn audited(&mut self) -> Result<()> {
        if self.unaudited.is_empty() && self.dropped == 0 {
            return Ok(());
        }
        self.unaudited.clear();
        self.dropped = 0;
        self.save()
    }

    /// An administrator's reset: one ID, or (None) every ID and this PC's budget.
    pub fn reset(&mut self, id: Option<&str>) -> Result<usize> {
        let n = match id {
            Some(id) => usize::from(self.by_id.remove(id).is_some()),
            None => {
                let n = self.by_id.len() + usize::from(self.pc.failures > 0);
                self.by_id.clear();
                self.pc = Record::default();
                n
            }
        };
        self.save()?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_after_five_failures_and_survives_a_reload() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t0 = Utc::now();
        let mut a = Attempts::load(dir.path()).expect("load");
        for _ in 0..4 {
            a.failed("N1", t0).expect("fail");
        }
        assert!(a.check("N1", t0).is_ok(), "four failures: no lock yet");
        let r = a.failed("N1", t0).expect("fifth");
        assert_eq!(r.locked_until, Some(t0 + Duration::seconds(30)));
        let a = Attempts::load(dir.path()).expect("reload");
        let e = a.check("N1", t0 + Duration::seconds(10)).unwrap_err();
        assert_eq!(e.code(), "locked");
        assert!(a.check("N1", t0 + Duration::seconds(31)).is_ok());
        assert!(a.check("N2", t0).is_ok(), "other IDs are not affected");
        let mut a = a;
        let r = a.failed("N1", t0).expect("sixth");
        assert_eq!(r.locked_until, Some(t0 + Duration::seconds(60)));
        for _ in 0..20 {
            a.failed("N1", t0).expect("more");
        }
        assert_eq!(
            a.get("N1").and_then(|r| r.locked_until),
            Some(t0 + Duration::seconds(3600))
        );
        a.succeeded("N1").expect("ok");
        assert!(Attempts::load(dir.path())
            .expect("reload")
            .get("N1")
            .is_none());
    }

    #[test]
    fn occasional_typos_decay_and_never_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t0 = Utc::now();
        let mut a = Attempts::load(dir.path()).expect("load");
        // one wrong PIN an hour, for a day: never locked
        for h in 0..24 {
            let t = t0 + Duration::hours(h) + Duration::seconds(1);
            a.check("D1", t).expect("not locked");
            a.failed("D1", t).expect("fail");
        }
        assert!(a.check("D1", t0 + Duration::hours(24)).is_ok());
        assert!(a.get("D1").expect("record").failures <= 2);
    }

    #[test]
    fn spraying_one_pin_over_many_ids_locks_the_pc() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t0 = Utc::now();
        let mut a = Attempts::load(dir.path()).expect("load");
        for i in 0..PC_FREE_FAILURES {
            let id = format!("N{i:04}");
            a.check(&id, t0).expect("within the PC's budget");
            a.failed(&id, t0).expect("fail");
        }
        // every ID has had one try only, yet the PC now waits
        let e = a.check("N9999", t0).expect_err("PC locked").to_string();
        assert!(e.contains("this PC"), "{e}");
        assert!(a.check("N9999", t0 + Duration::seconds(31)).is_ok());
        assert_eq!(a.unaudited().0.len(), PC_FREE_FAILURES as usize);
        a.reset(None).expect("reset");
        assert!(a.check("N9999", t0).is_ok(), "an administrator's reset");
        let a = Attempts::load(dir.path()).expect("reload");
        assert_eq!(a.pc().failures, 0);
    }
}
