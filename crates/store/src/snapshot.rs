//! The ward snapshot's copy: the hospital's FHIR resources for the configured wards, as JSON
//! text. A refresh replaces what it fetched in one audited transaction; the copy is never
//! edited otherwise, only purged (discharge, retention).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use hikae_domain::error::Result;

use super::{db_err, parse_ts, ts, Store};

/// One inpatient of a refresh.
#[derive(Debug, Clone)]
pub struct SnapshotPatient {
    pub patient: String,
    pub bed: Option<String>,
    pub attending: Option<String>,
    pub patient_json: String,
    pub encounter_json: String,
}

/// One resource of a refresh.
#[derive(Debug, Clone)]
pub struct SnapshotResource {
    pub kind: String,
    pub id: String,
    pub patient: String,
    pub dated: Option<DateTime<Utc>>,
    pub last_updated: Option<DateTime<Utc>>,
    pub json: String,
}

/// One ward's refresh: `patients` is the whole census (others of the ward are discharged).
#[derive(Debug, Clone)]
pub struct SnapshotUpdate {
    pub ward: String,
    pub ward_name: Option<String>,
    pub as_of: DateTime<Utc>,
    /// The server's clock at this refresh, if it said.
    pub server_as_of: Option<DateTime<Utc>>,
    /// Everything was fetched again: the listed patients' other resources are dropped.
    pub full: bool,
    pub patients: Vec<SnapshotPatient>,
    pub put: Vec<SnapshotResource>,
    pub remove: Vec<(String, String)>,
}

/// What a refresh changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotChanges {
    pub admitted: usize,
    pub discharged: usize,
    pub resources: usize,
    pub removed: usize,
}

/// A ward's copy.
#[derive(Debug, Clone)]
pub struct SnapshotWardRow {
    pub ward: String,
    pub name: Option<String>,
    pub as_of: DateTime<Utc>,
    pub full_at: DateTime<Utc>,
    pub server_as_of: Option<DateTime<Utc>>,
    pub patients: usize,
}

/// A patient in the copy, with the count and newest time of their resources.
#[derive(Debug, Clone)]
pub struct SnapshotPatientRow {
    pub patient: String,
    pub ward: String,
    pub bed: Option<String>,
    pub attending: Option<String>,
    pub patient_json: String,
    pub encounter_json: String,
    pub allergies: usize,
    pub last_updated: Option<DateTime<Utc>>,
}

impl Store {
    /// Applies refreshes of one or more wards, with the queued audit entry, in one transaction.
    pub fn snapshot_apply(&mut self, updates: &[SnapshotUpdate]) -> Result<SnapshotChanges> {
        self.audited(|w| {
            let tx = &w.tx;
            let mut c = SnapshotChanges::default();
            for u in updates {
                let listed: std::collections::HashSet<&str> =
                    u.patients.iter().map(|p| p.patient.as_str()).collect();
                let before: Vec<String> = {
                    let mut st = tx
                        .prepare("SELECT patient FROM snapshot_patients WHERE ward = ?1")
                        .map_err(|e| w.db(e))?;
                    let rows = st
                        .query_map([&u.ward], |r| r.get(0))
                        .map_err(|e| w.db(e))?
                        .collect::<rusqlite::Result<Vec<String>>>()
                        .map_err(|e| w.db(e))?;
                    rows
                };
                for p in before.iter().filter(|p| !listed.contains(p.as_str())) {
                    tx.execute("DELETE FROM snapshot_resources WHERE patient = ?1", [p])
                        .map_err(|e| w.db(e))?;
                    tx.execute("DELETE FROM snapshot_patients WHERE patient = ?1", [p])
                        .map_err(|e| w.db(e))?;
                    c.discharged += 1;
                }
                let now = ts(u.as_of);
                for p in &u.patients {
                    if !before.contains(&p.patient) {
                        c.admitted += 1;
                    }
                    // a patient moved from another ward of this PC keeps one row
                    tx.execute(
                        "INSERT INTO snapshot_patients (patient, ward, bed, attending, patient_json, encounter_json, confirmed_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                         ON CONFLICT(patient) DO UPDATE SET ward = excluded.ward, bed = excluded.bed,
                           attending = excluded.attending, patient_json = excluded.patient_json,
                           encounter_json = excluded.encounter_json, confirmed_at = excluded.confirmed_at",
                        params![p.patient, u.ward, p.bed, p.attending, p.patient_json, p.encounter_json, now],
                    )
                    .map_err(|e| w.db(e))?;
                    if u.full {
                        tx.execute("DELETE FROM snapshot_resources WHERE patient = ?1", [&p.patient])
                            .map_err(|e| w.db(e))?;
                    }
                }
                for r in &u.put {
                    tx.execute(
                        "INSERT INTO snapshot_resources (type, id, patient, dated, last_updated, json)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT(type, id) DO UPDATE SET patient = excluded.patient, dated = excluded.dated,
                           last_updated = excluded.last_updated, json = excluded.json",
                        params![r.kind, r.id, r.patient, r.dated.map(ts), r.last_updated.map(ts), r.json],
                    )
                    .map_err(|e| w.db(e))?;
                    c.resources += 1;
                }
                for (kind, id) in &u.remove {
                    c.removed += tx
                        .execute(
                            "DELETE FROM snapshot_resources WHERE type = ?1 AND id = ?2",
                            params![kind, id],
                        )
                        .map_err(|e| w.db(e))?;
                }
                let full_at: Option<String> = tx
                    .query_row(
                        "SELECT full_at FROM snapshot_wards WHERE ward = ?1",
                        [&u.ward],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(|e| w.db(e))?;
                let full_at = if u.full { Some(now.clone()) } else { full_at };
                tx.execute(
                    "INSERT INTO snapshot_wards (ward, name, as_of, full_at, server_as_of) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(ward) DO UPDATE SET name = excluded.name, as_of = excluded.as_of,
                       full_at = excluded.full_at, server_as_of = excluded.server_as_of",
                    params![u.ward, u.ward_name, now, full_at.unwrap_or_else(|| now.clone()), u.server_as_of.map(ts)],
                )
                .map_err(|e| w.db(e))?;
            }
            Ok(c)
        })
    }

    /// Whether anything is older than `cutoff` (a purge would change something).
    pub fn snapshot_stale(&self, cutoff: DateTime<Utc>, wards: &[String]) -> Result<bool> {
        let c = ts(cutoff);
        let n: i64 = self
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM snapshot_patients WHERE confirmed_at < ?1)
                      + (SELECT count(*) FROM snapshot_wards WHERE as_of < ?1)
                      + (SELECT count(*) FROM snapshot_resources WHERE dated < ?1)",
                [&c],
                |r| r.get(0),
            )
            .map_err(|e| db_err(&self.path, e))?;
        Ok(n > 0 || !self.snapshot_other_wards(wards)?.is_empty())
    }

    fn snapshot_other_wards(&self, wards: &[String]) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT DISTINCT ward FROM snapshot_patients UNION SELECT ward FROM snapshot_wards",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let all = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(all.into_iter().filter(|w| !wards.contains(w)).collect())
    }

    /// Deletes what is older than `cutoff` (patients no refresh confirmed since, the wards
    /// they were in, vital signs and documents dated before it) and every ward no longer
    /// configured, with the queued audit entry. Returns (patients, resources) deleted.
    pub fn snapshot_purge(
        &mut self,
        cutoff: DateTime<Utc>,
        wards: &[String],
    ) -> Result<(usize, usize)> {
        let others = self.snapshot_other_wards(wards)?;
        let c = ts(cutoff);
        self.audited(|w| {
            let tx = &w.tx;
            let mut resources = 0;
            let mut patients = 0;
            for ward in &others {
                resources += tx
                    .execute(
                        "DELETE FROM snapshot_resources WHERE patient IN (SELECT patient FROM snapshot_patients WHERE ward = ?1)",
                        [ward],
                    )
                    .map_err(|e| w.db(e))?;
                patients += tx
                    .execute("DELETE FROM snapshot_patients WHERE ward = ?1", [ward])
                    .map_err(|e| w.db(e))?;
                tx.execute("DELETE FROM snapshot_wards WHERE ward = ?1", [ward])
                    .map_err(|e| w.db(e))?;
            }
            resources += tx
                .execute(
                    "DELETE FROM snapshot_resources WHERE dated < ?1 OR patient IN (SELECT patient FROM snapshot_patients WHERE confirmed_at < ?1)",
                    [&c],
                )
                .map_err(|e| w.db(e))?;
            patients += tx
                .execute("DELETE FROM snapshot_patients WHERE confirmed_at < ?1", [&c])
                .map_err(|e| w.db(e))?;
            tx.execute("DELETE FROM snapshot_wards WHERE as_of < ?1", [&c])
                .map_err(|e| w.db(e))?;
            Ok((patients, resources))
        })
    }

    /// Every ward in the copy, with its age and patient count.
    pub fn snapshot_wards(&self) -> Result<Vec<SnapshotWardRow>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT w.ward, w.name, w.as_of, w.full_at, w.server_as_of,
                        (SELECT count(*) FROM snapshot_patients p WHERE p.ward = w.ward)
                 FROM snapshot_wards w ORDER BY w.ward",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let rows = st
            .query_map([], |r| {
                Ok(SnapshotWardRow {
                    ward: r.get(0)?,
                    name: r.get(1)?,
                    as_of: parse_ts(&r.get::<_, String>(2)?)?,
                    full_at: parse_ts(&r.get::<_, String>(3)?)?,
                    server_as_of: r
                        .get::<_, Option<String>>(4)?
                        .map(|t| parse_ts(&t))
                        .transpose()?,
                    patients: r.get::<_, i64>(5)? as usize,
                })
            })
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// The patients in the copy (all wards, or the one named).
    pub fn snapshot_patients(&self, patient: Option<&str>) -> Result<Vec<SnapshotPatientRow>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT p.patient, p.ward, p.bed, p.attending, p.patient_json, p.encounter_json,
                        (SELECT count(*) FROM snapshot_resources r WHERE r.patient = p.patient AND r.type = 'AllergyIntolerance'),
                        (SELECT max(last_updated) FROM snapshot_resources r WHERE r.patient = p.patient)
                 FROM snapshot_patients p WHERE ?1 IS NULL OR p.patient = ?1
                 ORDER BY p.ward, p.bed, p.patient",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let rows = st
            .query_map([patient], |r| {
                Ok(SnapshotPatientRow {
                    patient: r.get(0)?,
                    ward: r.get(1)?,
                    bed: r.get(2)?,
                    attending: r.get(3)?,
                    patient_json: r.get(4)?,
                    encounter_json: r.get(5)?,
                    allergies: r.get::<_, i64>(6)? as usize,
                    last_updated: r
                        .get::<_, Option<String>>(7)?
                        .map(|t| parse_ts(&t))
                        .transpose()?,
                })
            })
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// The JSON of one patient's resources in the copy.
    pub fn snapshot_resources(&self, patient: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT json FROM snapshot_resources WHERE patient = ?1 ORDER BY type, id")
            .map_err(|e| db_err(&self.path, e))?;
        let rows = st
            .query_map([patient], |r| r.get(0))
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }
}
