//! The ward snapshot's use cases: refresh the copy from the FHIR server, read the census and a
//! patient's summary. Every refresh, purge and view is audited; every read purges first what
//! is past the retention, so nobody sees (and the disk does not keep) an older copy.
//!
//! A refresh is three steps so a desktop shell can wait on the network without holding the
//! app: [`Hikae::snapshot_known`] (short), [`fetch`] (network only), then
//! [`Hikae::snapshot_apply`] (short, one transaction). [`Hikae::refresh_snapshot`] does all
//! three for the CLI.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use hikae_domain::audit::{Action, Event};
use hikae_domain::config::SnapshotConfig;
use hikae_domain::error::{Error, Result};
pub use hikae_domain::snapshot::as_of_label;
pub use hikae_domain::snapshot::{
    Allergy, Census, CensusRow, DowntimeDocument, Medication, PatientSummary, Problem, Vital,
    WardCopy,
};
use hikae_store::{SnapshotPatient, SnapshotPatientRow, SnapshotResource, SnapshotUpdate};
pub use hikae_sync::snapshot::{Fetched, WardKnown};

/// Today's date in Japan (ages on the census).
pub fn today_jst() -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .date_naive()
}

use crate::auth::Permission;
use crate::Hikae;

/// What a refresh did, for the CLI and the status line.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SnapshotRefresh"))]
pub struct Refreshed {
    pub wards: Vec<String>,
    pub full: bool,
    pub patients: usize,
    pub admitted: usize,
    pub discharged: usize,
    pub resources: usize,
    pub removed: usize,
    pub requests: usize,
    pub bytes: u64,
    pub millis: u64,
}

/// Step 2 of a refresh: the network part, holding nothing of the app.
pub fn fetch(
    client: &hikae_sync::Client,
    cfg: &SnapshotConfig,
    patient_system: &str,
    known: &[WardKnown],
) -> Result<Fetched> {
    hikae_sync::snapshot::fetch(client, cfg, patient_system, known, Utc::now())
}

fn json_text(v: &serde_json::Value) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Input(e.to_string()))
}

impl Hikae {
    pub fn snapshot_config(&self) -> Result<SnapshotConfig> {
        let cfg = crate::config::load(&self.data_dir)?.snapshot;
        cfg.check()?;
        Ok(cfg)
    }

    /// Step 1 of a refresh: what the copy holds, so only changes are asked for.
    pub fn snapshot_known(&mut self) -> Result<Vec<WardKnown>> {
        self.require(Permission::Read)?;
        self.purge_snapshot()?;
        let wards = self.store.snapshot_wards()?;
        let patients = self.store.snapshot_patients(None)?;
        Ok(wards
            .into_iter()
            .map(|w| WardKnown {
                patients: patients
                    .iter()
                    .filter(|p| p.ward == w.ward)
                    .map(|p| p.patient.clone())
                    .collect(),
                ward: w.ward,
                as_of: Some(w.as_of),
                full_at: Some(w.full_at),
                server_as_of: w.server_as_of,
            })
            .collect())
    }

    /// Step 3 of a refresh: keeps what was fetched, in one audited transaction.
    pub fn snapshot_apply(&mut self, fetched: Fetched, millis: u64) -> Result<Refreshed> {
        self.require(Permission::Read)?;
        let mut updates = Vec::with_capacity(fetched.wards.len());
        for w in &fetched.wards {
            updates.push(SnapshotUpdate {
                ward: w.ward.clone(),
                ward_name: w.ward_name.clone(),
                as_of: w.started,
                server_as_of: w.server_time,
                full: w.full,
                patients: w
                    .patients
                    .iter()
                    .map(|p| {
                        Ok(SnapshotPatient {
                            patient: p.patient.clone(),
                            bed: p.bed.clone(),
                            attending: p.attending.clone(),
                            patient_json: json_text(&p.patient_json)?,
                            encounter_json: json_text(&p.encounter_json)?,
                        })
                    })
                    .collect::<Result<_>>()?,
                put: w
                    .put
                    .iter()
                    .map(|r| {
                        Ok(SnapshotResource {
                            kind: r.kind.clone(),
                            id: r.id.clone(),
                            patient: r.patient.clone(),
                            dated: r.dated,
                            last_updated: r.last_updated,
                            json: json_text(&r.json)?,
                        })
                    })
                    .collect::<Result<_>>()?,
                remove: w.remove.clone(),
            });
        }
        let wards: Vec<String> = fetched.wards.iter().map(|w| w.ward.clone()).collect();
        let full = fetched.wards.iter().all(|w| w.full);
        let patients = fetched.wards.iter().map(|w| w.patients.len()).sum();
        // the entry commits with the change; it names what was fetched (the store's own
        // counts are returned)
        let e = Event::new(&self.actor, Action::SnapshotRefresh).detail(format!(
            "snapshot {} {}: {patients} patients, {} resources fetched; {} requests, {} bytes",
            wards.join(","),
            if full { "full" } else { "incremental" },
            updates.iter().map(|u| u.put.len()).sum::<usize>(),
            fetched.requests,
            fetched.bytes
        ));
        self.store.audit_with_next_write(e);
        let c = self.store.snapshot_apply(&updates)?;
        Ok(Refreshed {
            wards,
            full,
            patients,
            admitted: c.admitted,
            discharged: c.discharged,
            resources: c.resources,
            removed: c.removed,
            requests: fetched.requests,
            bytes: fetched.bytes,
            millis,
        })
    }

    /// A whole refresh (CLI): an error leaves the copy as it was.
    pub fn refresh_snapshot(&mut self) -> Result<Refreshed> {
        let cfg = self.snapshot_config()?;
        let client = self.sync_client()?;
        let known = self.snapshot_known()?;
        let system = self.sync_config()?.patient_system;
        let t = std::time::Instant::now();
        let fetched = match fetch(&client, &cfg, &system, &known) {
            Ok(f) => f,
            Err(err) => {
                self.snapshot_failed(&err)?;
                return Err(err);
            }
        };
        let millis = t.elapsed().as_millis() as u64;
        self.snapshot_apply(fetched, millis)
    }

    /// Audits a refresh that failed (the copy is unchanged).
    pub fn snapshot_failed(&mut self, err: &Error) -> Result<()> {
        let mut e = Event::new(&self.actor, Action::SnapshotRefresh)
            .detail(format!("snapshot refresh failed: {err}"));
        e.success = false;
        self.audit(e)
    }

    /// Deletes what is past the retention, and wards no longer configured (audited when it
    /// deletes anything).
    fn purge_snapshot(&mut self) -> Result<()> {
        let cfg = self.snapshot_config()?;
        let cutoff = Utc::now() - Duration::hours(cfg.retention_hours as i64);
        if !self.store.snapshot_stale(cutoff, &cfg.wards)? {
            return Ok(());
        }
        let e = Event::new(&self.actor, Action::SnapshotRefresh).detail(format!(
            "snapshot purge: older than {} h or ward no longer configured",
            cfg.retention_hours
        ));
        self.store.audit_with_next_write(e);
        self.store.snapshot_purge(cutoff, &cfg.wards)?;
        Ok(())
    }

    fn row_of(
        &self,
        p: &SnapshotPatientRow,
        names: &[WardCopy],
        system: &str,
    ) -> Result<CensusRow> {
        let parse = |t: &str, what: &str| -> Result<serde_json::Value> {
            serde_json::from_str(t).map_err(|e| {
                Error::Input(format!(
                    "the snapshot's {what} of Patient/{} is damaged: {e}",
                    p.patient
                ))
            })
        };
        let ward_name = names
            .iter()
            .find(|w| w.ward == p.ward)
            .and_then(|w| w.name.as_deref());
        let mut row = hikae_sync::snapshot::census_row(
            &p.patient,
            &p.ward,
            ward_name,
            p.bed.as_deref(),
            p.attending.as_deref(),
            &parse(&p.patient_json, "Patient")?,
            &parse(&p.encounter_json, "Encounter")?,
            p.allergies,
            p.last_updated,
            system,
        );
        row.age = row.age_on(today_jst());
        Ok(row)
    }

    fn ward_copies(&self) -> Result<Vec<WardCopy>> {
        Ok(self
            .store
            .snapshot_wards()?
            .into_iter()
            .map(|w| WardCopy {
                label: as_of_label(w.as_of),
                ward: w.ward,
                name: w.name,
                as_of: w.as_of,
                patients: w.patients,
            })
            .collect())
    }

    /// The census, after purging (not audited: the callers are).
    pub(crate) fn census_unaudited(&mut self) -> Result<Census> {
        self.purge_snapshot()?;
        let system = self.sync_config()?.patient_system;
        let wards = self.ward_copies()?;
        let rows = self
            .store
            .snapshot_patients(None)?
            .iter()
            .map(|p| self.row_of(p, &wards, &system))
            .collect::<Result<Vec<_>>>()?;
        Ok(Census { wards, rows })
    }

    /// The census of every ward in the copy, by ward and bed (audited as a view).
    pub fn census(&mut self) -> Result<Census> {
        self.require(Permission::Read)?;
        let c = self.census_unaudited()?;
        let e = Event::new(&self.actor, Action::View)
            .detail(format!("snapshot census: {} patients", c.rows.len()));
        self.audit(e)?;
        Ok(c)
    }

    /// One patient's summary (not audited: the callers are; purge first).
    pub(crate) fn summary_unaudited(&self, patient: &str) -> Result<PatientSummary> {
        let system = self.sync_config()?.patient_system;
        let wards = self.ward_copies()?;
        let Some(p) = self
            .store
            .snapshot_patients(Some(patient))?
            .into_iter()
            .next()
        else {
            return Err(Error::NotFound(format!(
                "Patient/{patient} is not in the ward snapshot (discharged, another ward, or past the retention)"
            )));
        };
        let row = self.row_of(&p, &wards, &system)?;
        let label = wards
            .iter()
            .find(|w| w.ward == row.ward)
            .map(|w| w.label.clone())
            .unwrap_or_default();
        let resources = self
            .store
            .snapshot_resources(patient)?
            .iter()
            .map(|t| {
                serde_json::from_str(t).map_err(|e| {
                    Error::Input(format!(
                        "the snapshot's copy of a resource of Patient/{patient} is damaged: {e}"
                    ))
                })
            })
            .collect::<Result<Vec<serde_json::Value>>>()?;
        let mut s = hikae_sync::snapshot::summary(row, &resources);
        s.as_of_label = label;
        Ok(s)
    }

    /// One patient's summary from the copy (audited as a view of that patient).
    pub fn patient_summary(&mut self, patient: &str) -> Result<PatientSummary> {
        self.require(Permission::Read)?;
        self.purge_snapshot()?;
        let s = self.summary_unaudited(patient)?;
        let mut e = Event::new(&self.actor, Action::View).detail("snapshot patient summary");
        e.patient_id = s
            .row
            .patient_id
            .clone()
            .or_else(|| Some(patient.to_string()));
        self.audit(e)?;
        Ok(s)
    }

    /// A new record for a patient of the ward snapshot (`patient`: the server Patient id):
    /// the real identity, and the fields the template's `[template.prefill]` maps, taken
    /// from the copy. The record remembers which fields were prefilled and from which copy;
    /// they are ordinary draft values, editable like typed ones.
    pub fn new_record_from_snapshot(
        &mut self,
        template_id: &str,
        patient: &str,
        author: &str,
    ) -> Result<crate::record::Record> {
        self.require(Permission::WriteDraft)?;
        self.purge_snapshot()?;
        let s = self.summary_unaudited(patient)?;
        let Some(patient_id) = s.row.patient_id.clone() else {
            return Err(Error::Input(format!(
                "Patient/{patient} has no hospital patient ID in the snapshot: start the record with the ID typed in"
            )));
        };
        let bound = self.template(template_id)?;
        let t = bound.template();
        let (values, mut fields) = hikae_domain::prefill::values(&t.scope.prefill, &s);
        // named in the form's order, as the reader meets them
        fields.sort_by_key(|f| t.form.fields.iter().position(|d| &d.id == f));
        let labels = fields
            .iter()
            .map(|f| t.form.field(f).map_or(f.clone(), |d| d.label.ja.clone()))
            .collect();
        let as_of = self
            .store
            .snapshot_wards()?
            .into_iter()
            .find(|w| w.ward == s.row.ward)
            .map_or_else(Utc::now, |w| w.as_of);
        let prefill = hikae_domain::record::Prefilled {
            as_of,
            fields,
            labels,
        };
        self.new_record_prefilled(
            template_id,
            hikae_domain::record::Patient {
                id: patient_id,
                name: s.row.name.clone(),
            },
            author,
            values,
            prefill,
        )
    }

    /// Keeps, with a record just finalized, the snapshot's Patient, Encounter and Conditions
    /// of its patient (by hospital patient ID), for its JP-CLINS document. A patient not in
    /// the copy keeps nothing: the record then goes as a DocumentReference only.
    pub(crate) fn keep_sources(&mut self, rec: &crate::record::Record) {
        if rec.context.drill_id.is_some() {
            return;
        }
        // only a template that makes a JP-CLINS document needs them: nothing else keeps a
        // copy of EHR data past the snapshot's retention
        let documents = self
            .template_of(rec)
            .ok()
            .and_then(|b| b.template().scope.fhir.clone())
            .is_some_and(|m| m.document.is_some());
        if !documents {
            return;
        }
        let found = (|| -> Result<Option<String>> {
            let Some(p) = self.snapshot_patient_by_id(&rec.patient.id)? else {
                return Ok(None);
            };
            let Some(row) = self.store.snapshot_patients(Some(&p))?.into_iter().next() else {
                return Ok(None);
            };
            let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).ok();
            let conditions: Vec<serde_json::Value> = self
                .store
                .snapshot_resources(&p)?
                .iter()
                .filter_map(|t| parse(t))
                .filter(|r| r["resourceType"] == "Condition")
                .collect();
            let json = serde_json::json!({
                "patient": parse(&row.patient_json),
                "encounter": parse(&row.encounter_json),
                "conditions": conditions,
            });
            Ok(Some(json.to_string()))
        })();
        // a correction of a record whose patient has left the copy keeps what the original kept
        let found = match found {
            Ok(None) => match &rec.supersedes {
                Some(old) => self.store.kept_sources(old),
                None => Ok(None),
            },
            other => other,
        };
        match found {
            Ok(Some(json)) => {
                if let Err(e) = self.store.keep_sources(&rec.id, &json) {
                    self.warnings.push(format!(
                        "record {}: its EHR sources were not kept: {e}",
                        rec.id
                    ));
                }
            }
            Ok(None) => {}
            Err(e) => self.warnings.push(format!(
                "record {}: the ward snapshot could not be read: {e}",
                rec.id
            )),
        }
    }

    /// The print pack's patients: the census of the ward snapshot when it holds any (by ward
    /// and bed, the hospital patient ID and name), else the patients of recent records.
    pub fn pack_patients(&mut self, limit: usize) -> Result<Vec<hikae_domain::record::Patient>> {
        self.require(Permission::Read)?;
        let c = self.census_unaudited()?;
        if c.rows.is_empty() {
            return self.recent_patients(limit);
        }
        let e = Event::new(&self.actor, Action::View).detail(format!(
            "snapshot census for the print pack: {} patients",
            c.rows.len().min(limit)
        ));
        self.audit(e)?;
        Ok(c.rows
            .into_iter()
            .take(limit)
            .map(|r| hikae_domain::record::Patient {
                id: r.patient_id.unwrap_or(r.patient),
                name: r.name,
            })
            .collect())
    }

    /// The server Patient id of the patient whose hospital patient ID (the identifier in
    /// `[sync] patient_system`, nothing else) is `id` (not audited: it reveals only whether
    /// the patient is there, to someone who may read).
    pub fn snapshot_patient_by_id(&self, id: &str) -> Result<Option<String>> {
        self.require(Permission::Read)?;
        let system = self.sync_config()?.patient_system;
        let wards = self.ward_copies()?;
        for p in self.store.snapshot_patients(None)? {
            if self.row_of(&p, &wards, &system)?.patient_id.as_deref() == Some(id) {
                return Ok(Some(p.patient));
            }
        }
        Ok(None)
    }

    /// Whether `patient` is a server Patient id in the copy (the CLI's `show` takes either).
    pub fn snapshot_has_patient(&self, patient: &str) -> Result<bool> {
        self.require(Permission::Read)?;
        Ok(!self.store.snapshot_patients(Some(patient))?.is_empty())
    }

    /// When the copy was last refreshed (the oldest ward), without audit: for the age line.
    pub fn snapshot_as_of(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(self.store.snapshot_wards()?.iter().map(|w| w.as_of).min())
    }
}
