//! The self-test (`hikae selftest`): is this PC ready for the next outage? Each check says
//! pass, warn or fail with what it saw. It only reads; the run itself is audited.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Hikae;
use hikae_domain::audit::{self, Action, Event};
use hikae_domain::Result;
use hikae_store::AuditQuery;

/// Below this much free space on the data folder's disk the check fails; below ten times
/// this it warns (an 8-hour downtime of a ward writes a few megabytes).
pub const DISK_FAIL_BELOW: u64 = 100 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `store`, `audit`, `packs`, `fonts`, `printer`, `disk`, `clock` (and `audit_write`
    /// when the run could not be logged).
    pub id: &'static str,
    pub verdict: Verdict,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SelfTest {
    pub at: DateTime<Utc>,
    pub checks: Vec<Check>,
}

impl SelfTest {
    /// The worst verdict (what a fleet report shows for this PC).
    pub fn verdict(&self) -> Verdict {
        if self.checks.iter().any(|c| c.verdict == Verdict::Fail) {
            Verdict::Fail
        } else if self.checks.iter().any(|c| c.verdict == Verdict::Warn) {
            Verdict::Warn
        } else {
            Verdict::Pass
        }
    }
}

fn check(id: &'static str, verdict: Verdict, detail: impl Into<String>) -> Check {
    Check {
        id,
        verdict,
        detail: detail.into(),
    }
}

/// Free bytes for unprivileged writes on the file system holding `dir`.
#[cfg(unix)]
pub fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c` is a NUL-terminated path and `st` is written by statvfs before being read
    let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `st`
    let st = unsafe { st.assume_init() };
    #[allow(clippy::useless_conversion)] // the field widths differ between platforms
    Some(u64::from(st.f_bavail).saturating_mul(u64::from(st.f_frsize)))
}

#[cfg(not(unix))]
pub fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

impl Hikae {
    /// Runs every check; the result is written to the audit log (one entry, failed when any
    /// check failed). Needs no permission: it reads nothing about patients.
    pub fn selftest(&mut self) -> Result<SelfTest> {
        let at = Utc::now();
        let mut checks = Vec::new();

        // the store: SQLite's own check of the file
        checks.push(match self.store.quick_check() {
            Ok(v) if v.is_empty() => check("store", Verdict::Pass, "database file sound"),
            Ok(v) => check("store", Verdict::Fail, v.join("; ")),
            Err(e) => check("store", Verdict::Fail, e.to_string()),
        });

        // the audit log's hash chain, against its anchor
        let entries = self.store.audit_entries(&AuditQuery::default());
        let newest = entries.as_ref().ok().and_then(|e| e.last().map(|e| e.at));
        checks.push(match (entries, self.store.audit_anchor()) {
            (Ok(entries), Ok(anchor)) => {
                let findings = audit::verify(&entries, anchor);
                if findings.is_empty() {
                    check(
                        "audit",
                        Verdict::Pass,
                        format!("{} entries, chain intact", entries.len()),
                    )
                } else {
                    check(
                        "audit",
                        Verdict::Fail,
                        findings
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                }
            }
            (Err(e), _) | (_, Err(e)) => check("audit", Verdict::Fail, e.to_string()),
        });

        // installed packs verify again (signature, hashes, the version this PC made active)
        let mut broken = Vec::new();
        let mut ok = Vec::new();
        for v in self.packs.installed().into_iter().filter(|v| v.active) {
            match self.verify_installed(&v) {
                Ok(_) => ok.push(format!("{} {}", v.id, v.version)),
                Err(e) => broken.push(e),
            }
        }
        checks.push(if broken.is_empty() {
            check(
                "packs",
                Verdict::Pass,
                if ok.is_empty() {
                    "built-in pack only".to_string()
                } else {
                    format!("verified: {}", ok.join(", "))
                },
            )
        } else {
            check("packs", Verdict::Fail, broken.join("; "))
        });

        // fonts: the built-in and installed templates' own text prints; fallbacks present
        let mut unprintable = Vec::new();
        for b in self.templates() {
            let form = &b.template().form;
            let mut text = format!("{}{}", form.title.ja, form.title.en);
            for f in &form.fields {
                text.push_str(&f.label.ja);
                for c in &f.columns {
                    text.push_str(&c.label.ja);
                }
                for o in &f.options {
                    text.push_str(&o.ja);
                }
            }
            if let Ok(m) = hikae_doc::pdf::missing_glyphs(&text) {
                if !m.is_empty() {
                    unprintable.push(format!("{}: {}", form.id, m.iter().collect::<String>()));
                }
            }
        }
        let missing_fonts: Vec<String> = hikae_doc::pdf::font_report()
            .into_iter()
            .filter(|(_, _, _, present)| !present)
            .map(|(name, package, _, _)| format!("{name} ({package})"))
            .collect();
        checks.push(if !unprintable.is_empty() {
            check(
                "fonts",
                Verdict::Fail,
                format!("templates print 〓: {}", unprintable.join("; ")),
            )
        } else if !missing_fonts.is_empty() {
            check(
                "fonts",
                Verdict::Warn,
                format!(
                    "fallback fonts missing, rare name characters print as 〓: {}",
                    missing_fonts.join(", ")
                ),
            )
        } else {
            check(
                "fonts",
                Verdict::Pass,
                "templates print; all fallback fonts present",
            )
        });

        // a printer the print service offers (paper is the last way out)
        checks.push(match super::print::printers() {
            Ok(p) if p.iter().any(|p| p.default) => check(
                "printer",
                Verdict::Pass,
                format!("default printer {}", p[0].name),
            ),
            Ok(p) if !p.is_empty() => check(
                "printer",
                Verdict::Warn,
                format!("no default printer ({} offered)", p.len()),
            ),
            _ => check(
                "printer",
                Verdict::Warn,
                "no printer: keep the printed 8-hour pack at hand",
            ),
        });

        // disk space where the records are written
        checks.push(match free_bytes(self.data_dir()) {
            Some(b) if b < DISK_FAIL_BELOW => check(
                "disk",
                Verdict::Fail,
                format!("{} MiB free: saving may fail", b >> 20),
            ),
            Some(b) if b < DISK_FAIL_BELOW * 10 => {
                check("disk", Verdict::Warn, format!("{} MiB free", b >> 20))
            }
            Some(b) => check("disk", Verdict::Pass, format!("{} MiB free", b >> 20)),
            None => check(
                "disk",
                Verdict::Warn,
                "free space not measured on this system",
            ),
        });

        // the clock: never behind the newest audit entry (a clock set back reorders records)
        checks.push(match newest {
            Some(t) if at + chrono::Duration::minutes(5) < t => check(
                "clock",
                Verdict::Fail,
                format!("the clock ({at}) is behind the newest audit entry ({t})"),
            ),
            _ => check("clock", Verdict::Pass, format!("{at}")),
        });

        // the ward snapshot, where one is configured: recent enough to work from
        if let Ok(cfg) = crate::config::load(self.data_dir()) {
            if !cfg.snapshot.wards.is_empty() {
                let newest = self
                    .store
                    .snapshot_wards()
                    .ok()
                    .and_then(|w| w.into_iter().map(|w| w.as_of).max());
                let every = chrono::Duration::minutes(cfg.snapshot.refresh_minutes as i64);
                checks.push(match newest {
                    None => check("snapshot", Verdict::Warn, "no ward snapshot yet"),
                    Some(t) if at - t > chrono::Duration::hours(cfg.snapshot.retention_hours as i64) => check(
                        "snapshot",
                        Verdict::Fail,
                        format!("the ward snapshot of {t} is older than its retention: staff would work blind"),
                    ),
                    Some(t) if at - t > every * 4 => check(
                        "snapshot",
                        Verdict::Warn,
                        format!("the ward snapshot is from {t}, {} min ago", (at - t).num_minutes()),
                    ),
                    Some(t) => check("snapshot", Verdict::Pass, format!("refreshed {t}")),
                });
            }
        }

        let mut result = SelfTest { at, checks };
        let summary = result
            .checks
            .iter()
            .map(|c| format!("{} {:?}", c.id, c.verdict).to_lowercase())
            .collect::<Vec<_>>()
            .join(", ");
        let mut e =
            Event::new(self.actor(), Action::Settings).detail(format!("selftest: {summary}"));
        if result.verdict() == Verdict::Fail {
            e = e.failed();
        }
        // kept for the fleet heartbeat; a full disk must not hide the report: a failed write is
        // one more failed check
        if let Err(err) = self
            .keep_selftest(&result)
            .and_then(|_| self.store.audit(&e))
        {
            result.checks.push(check(
                "audit_write",
                Verdict::Fail,
                format!("the self-test could not be written to the audit log: {err}"),
            ));
        }
        Ok(result)
    }
}
