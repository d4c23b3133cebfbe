//! Failed logins per staff ID, kept in `<data>/login-attempts.json` so that restarting the app
//! does not reset them. After `FREE_FAILURES` wrong PINs in a row an ID is locked for 30 s,
//! doubling with each further failure up to an hour. A correct PIN clears the count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use hikae_domain::error::{Error, Result};

pub const FREE_FAILURES: u32 = 5;
const FIRST_LOCK_SECS: i64 = 30;
const MAX_LOCK_SECS: i64 = 3600;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub failures: u32,
    pub last_failure: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Attempts {
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

    /// `Err(Locked)` while `id` is locked out, saying until when.
    pub fn check(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        match self.by_id.get(id).and_then(|r| r.locked_until) {
            Some(until) if until > now => Err(Error::Locked(format!(
                "too many wrong PINs for {id}: try again after {} (in {} s), or ask an administrator",
                hikae_domain::record::jst_clock(until),
                (until - now).num_seconds().max(1)
            ))),
            _ => Ok(()),
        }
    }

    pub fn failed(&mut self, id: &str, now: DateTime<Utc>) -> Result<Record> {
        let r = self.by_id.entry(id.to_string()).or_default();
        r.failures += 1;
        r.last_failure = Some(now);
        if r.failures >= FREE_FAILURES {
            let extra = (r.failures - FREE_FAILURES).min(7);
            let secs = (FIRST_LOCK_SECS << extra).min(MAX_LOCK_SECS);
            r.locked_until = Some(now + Duration::seconds(secs));
        }
        let out = r.clone();
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
}
