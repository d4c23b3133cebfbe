//! Sync back: the app's side of a sync run (what to send, filing the answers, audit), patient
//! ID mapping, resending, and the reconciliation report. The run itself is `hikae_sync::run`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::Hikae;
use hikae_auth::session::Permission;
use hikae_doc::pdf::{self, Pdf};
use hikae_domain::audit::{Action, Event};
use hikae_domain::config::SyncConfig;
use hikae_domain::error::{Error, Result};
use hikae_domain::record::{Patient, Record, Status};
use hikae_packs::render;
use hikae_store::{Filing, OutboxCounts, OutboxEntry, PatientMapping, Query, SyncState};
use hikae_sync::fhir::{self, Site};
use hikae_sync::{self as sync, Answer, Applied, Outgoing};

mod report;
pub use report::{Reconciliation, ReconciliationRow, RowState, Unmapped};
// the run and its progress, for the shells
pub use hikae_sync::{run, Client, Direct, Host, Options, Outcome, Phase, Progress};

/// The run sees the app only as its outbox.
impl sync::Outbox for Hikae {
    fn recover(&mut self) -> Result<usize> {
        self.sync_recover()
    }
    fn batch_size(&self) -> Result<usize> {
        Ok(self.sync_config()?.batch_size)
    }
    fn counts(&self) -> Result<sync::Counts> {
        let c = self.sync_counts()?;
        Ok(sync::Counts {
            sendable: c.sendable,
            pending: c.pending,
            held: c.held,
        })
    }
    fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        self.sync_next_due()
    }
    fn take(&mut self, n: usize) -> Result<Vec<Outgoing>> {
        self.sync_take(n)
    }
    fn apply(&mut self, batch: &[Outgoing], answers: &[Answer], opts: &Options) -> Result<Applied> {
        self.sync_apply(batch, answers, opts)
    }
    fn audit_head(&mut self) -> Result<Option<(i64, serde_json::Value)>> {
        let (last, _) = self.store.audit_head(None)?;
        let Some((seq, hash)) = last else {
            return Ok(None);
        };
        let sent: Option<i64> = self
            .store
            .trust_value(AUDIT_HEAD_SENT)?
            .and_then(|v| v.parse().ok());
        if sent == Some(seq) {
            return Ok(None);
        }
        let source = format!(
            "Hikae {} on {}",
            env!("CARGO_PKG_VERSION"),
            crate::fleet::host_name().unwrap_or_else(|| "this PC".into())
        );
        let resource = hikae_domain::audit::fhir_chain_head(seq, &hash, Utc::now(), &source);
        Ok(Some((
            seq,
            serde_json::json!({
                "fullUrl": format!("urn:uuid:{}", hikae_domain::record::new_id()),
                "resource": resource,
                "request": {"method": "POST", "url": "AuditEvent"},
            }),
        )))
    }
    fn audit_head_sent(&mut self, seq: i64) -> Result<()> {
        self.store
            .set_trust_value(AUDIT_HEAD_SENT, &seq.to_string())
    }
}

/// The last chain head the FHIR server stored (kept in the encrypted store).
const AUDIT_HEAD_SENT: &str = "audit_head_sent";

impl Hikae {
    pub fn sync_config(&self) -> Result<SyncConfig> {
        Ok(crate::config::load(&self.data_dir)?.sync)
    }

    /// The configured FHIR endpoint's client (an error says what to configure).
    pub fn sync_client(&self) -> Result<sync::Client> {
        sync::Client::from_config(&crate::config::load(&self.data_dir)?)
    }

    pub fn sync_counts(&self) -> Result<OutboxCounts> {
        let cfg = self.sync_config()?;
        self.store.outbox_counts(&cfg.temporary_id_prefixes)
    }

    /// Records a stopped or crashed run left `sending` go back in line.
    pub fn sync_recover(&mut self) -> Result<usize> {
        self.require(Permission::Sync)?;
        self.store.outbox_recover()
    }

    pub fn sync_next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let cfg = self.sync_config()?;
        self.store.outbox_next_due(&cfg.temporary_id_prefixes)
    }

    fn site(cfg: &SyncConfig) -> Site {
        Site {
            patient_system: cfg.patient_system.clone(),
            institution_no: cfg.institution_no.clone(),
            institution_name: cfg.institution_name.clone(),
        }
    }

    /// The record as it is sent: under the real patient ID if its temporary one was mapped.
    fn as_sent(&self, mut rec: Record) -> Result<Record> {
        if let Some(m) = self.store.patient_mapping(&rec.patient.id)? {
            rec.patient = Patient {
                id: m.real_id,
                name: m.real_name.unwrap_or(rec.patient.name),
            };
        }
        Ok(rec)
    }

    /// A finalized later version of `id`, if there is one (then `id` is sent as superseded).
    fn finalized_successor(&self, id: &str) -> Result<Option<String>> {
        let mut next = self.store.superseded_by(id)?;
        while let Some(n) = next {
            if self.store.get(&n)?.status == Status::Finalized {
                return Ok(Some(n));
            }
            next = self.store.superseded_by(&n)?;
        }
        Ok(None)
    }

    /// Builds what one outbox entry sends.
    fn outgoing(&self, e: &OutboxEntry, site: &Site) -> Result<Outgoing> {
        let rec = self.as_sent(self.store.get(&e.record_id)?)?;
        let bound = self.template_of(&rec)?;
        let t = bound.template();
        let map = t.scope.fhir.as_ref();
        let title = render::pdf_title(t, &rec);
        // the bytes kept at finalize (rendered once), unless the patient's real ID now differs
        let pdf = self.pdf_bytes(&rec)?;
        let superseded = self.finalized_successor(&rec.id)?.is_some();
        // the plain text is a convenience for other PCs' snapshots: a template whose text
        // does not render still sends its PDF
        let text = render::text(&bound.pack, t, &rec).ok();
        let docref = fhir::document_reference(
            &rec,
            map,
            &t.form.title.ja,
            &pdf,
            text.as_deref(),
            site,
            superseded,
        );
        let mut entries = vec![fhir::conditional_create(
            docref.clone(),
            &fhir::record_search(&rec.id),
        )];
        // the EHR resources kept at finalize (ward snapshot); without them no JP-CLINS document
        let sources = self
            .store
            .kept_sources(&rec.id)?
            .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok());
        if let Some(bundle) =
            fhir::document_bundle(&rec, map, &t.form, &docref, site, sources.as_ref())
        {
            let search = fhir::bundle_search(&bundle);
            entries.push(fhir::conditional_create(bundle, &search));
        }
        // the version this one corrects is already on the server as current: mark it superseded
        if let Some(old) = &rec.supersedes {
            if let Some(prev) = self.store.outbox_entry(old)? {
                if let (SyncState::Acknowledged, Some(ids)) = (prev.state, &prev.server_id) {
                    if let Some(docref_id) = ids
                        .split_whitespace()
                        .find(|i| i.starts_with("DocumentReference/"))
                    {
                        entries.push(fhir::supersede(docref_id));
                    }
                }
            }
        }
        Ok(Outgoing {
            record_id: rec.id.clone(),
            attempts: e.attempts,
            summary: format!(
                "{} {}（第{}版） {} {}",
                rec.id, title, rec.version, rec.patient.id, rec.patient.name
            ),
            entries,
        })
    }

    /// Takes up to `n` due records for sending (marked `sending`). A record that cannot even
    /// be built (e.g. its template pack is gone) is rejected with the reason, not retried.
    pub fn sync_take(&mut self, n: usize) -> Result<Vec<Outgoing>> {
        let mut out = Vec::new();
        let mut changes = Vec::new();
        let mut events = Vec::new();
        for (e, built) in self.due_built(n)? {
            match built {
                Ok(o) => {
                    changes.push((e.record_id.clone(), Filing::Sending));
                    out.push(o);
                }
                Err(err) => {
                    let error = format!("could not be prepared here: {err}");
                    events.push(self.sync_event(&e.record_id, &error, false)?);
                    changes.push((e.record_id.clone(), Filing::Rejected { error }));
                }
            }
        }
        self.store.outbox_file(&changes, &events)?;
        Ok(out)
    }

    /// What a run would send now (at most `limit` records), built but not sent
    /// (`hikae sync --dry-run`).
    pub fn sync_preview(&mut self, limit: usize) -> Result<Vec<Outgoing>> {
        self.due_built(limit)?
            .into_iter()
            .map(|(_, built)| built)
            .collect()
    }

    /// Up to `limit` due outbox entries, each with what it sends (or why it cannot be built).
    fn due_built(&self, limit: usize) -> Result<Vec<(OutboxEntry, Result<Outgoing>)>> {
        self.require(Permission::Sync)?;
        let cfg = self.sync_config()?;
        let site = Self::site(&cfg);
        let due = self
            .store
            .outbox_due(Utc::now(), limit, &cfg.temporary_id_prefixes)?;
        Ok(due
            .into_iter()
            .map(|e| {
                let built = self.outgoing(&e, &site);
                (e, built)
            })
            .collect())
    }

    fn sync_event(&self, record_id: &str, detail: &str, ok: bool) -> Result<Event> {
        let rec = self.as_sent(self.store.get(record_id)?)?;
        let mut e = self.record_event(Action::Sync, &rec).detail(detail);
        if !ok {
            e = e.failed();
        }
        Ok(e)
    }

    /// Files the server's answers for a batch (one transaction, with the audit entries).
    pub fn sync_apply(
        &mut self,
        batch: &[Outgoing],
        answers: &[Answer],
        opts: &Options,
    ) -> Result<Applied> {
        let endpoint = self.sync_config()?.endpoint.unwrap_or_default();
        let mut n = Applied::default();
        let mut changes = Vec::new();
        let mut events = Vec::new();
        for (o, a) in batch.iter().zip(answers) {
            let f = match a {
                Answer::Stored(ids) => {
                    n.acknowledged += 1;
                    let ids = ids.join(" ");
                    events.push(self.sync_event(
                        &o.record_id,
                        &format!("acknowledged by {endpoint}: {ids}"),
                        true,
                    )?);
                    Filing::Acknowledged { server_id: ids }
                }
                Answer::Refused(error) => {
                    n.rejected += 1;
                    events.push(self.sync_event(
                        &o.record_id,
                        &format!("rejected by {endpoint}: {error}"),
                        false,
                    )?);
                    Filing::Rejected {
                        error: error.clone(),
                    }
                }
                Answer::Again { error, after } => {
                    n.retried += 1;
                    let wait = after.unwrap_or_else(|| {
                        sync::backoff(o.attempts + 1, opts.retry_base, opts.retry_max)
                    });
                    Filing::Retry {
                        error: error.clone(),
                        at: Utc::now()
                            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero()),
                    }
                }
            };
            changes.push((o.record_id.clone(), f));
        }
        self.store.outbox_file(&changes, &events)?;
        Ok(n)
    }

    /// Puts a rejected record back in line, after what the server minded was fixed.
    pub fn resend(&mut self, record_id: &str) -> Result<()> {
        self.require(Permission::Sync)?;
        let e = self.sync_event(record_id, "put back in line to resend", true)?;
        self.store
            .outbox_file(&[(record_id.to_string(), Filing::Resend)], &[e])
    }

    /// Maps a temporary downtime patient ID to the hospital's real one; the records made
    /// under it are then sent under the real ID. Returns how many records that concerns.
    /// Refused once any of them has reached the server under another ID.
    pub fn map_patient(
        &mut self,
        temporary_id: &str,
        real_id: &str,
        real_name: Option<&str>,
    ) -> Result<usize> {
        self.require(Permission::WriteDraft)?;
        let (temporary_id, real_id) = (temporary_id.trim(), real_id.trim());
        if real_id.is_empty() {
            return Err(Error::Input("the real patient ID is empty".into()));
        }
        if temporary_id == real_id {
            return Err(Error::Input(format!(
                "{temporary_id} would be mapped to itself"
            )));
        }
        let cfg = self.sync_config()?;
        if cfg
            .temporary_id_prefixes
            .iter()
            .any(|p| real_id.starts_with(p.as_str()))
        {
            return Err(Error::Input(format!(
                "{real_id} looks like another temporary ID (it starts with one of {})",
                cfg.temporary_id_prefixes.join(", ")
            )));
        }
        let records = self.store.search(&Query {
            patient: Some(temporary_id.to_string()),
            limit: Some(usize::MAX >> 1),
            ..Query::default()
        })?;
        let records: Vec<Record> = records
            .into_iter()
            // drill records are practice: they never create a mapping
            .filter(|r| r.patient.id == temporary_id && r.context.drill_id.is_none())
            .collect();
        if records.is_empty() {
            return Err(Error::Input(format!(
                "no record was made under patient ID {temporary_id}"
            )));
        }
        for r in &records {
            if let Some(e) = self.store.outbox_entry(&r.id)? {
                if e.state == SyncState::Acknowledged {
                    return Err(Error::Input(format!(
                        "record {} was already sent under {}: correct it on the server instead",
                        r.id,
                        e.server_id.unwrap_or_default()
                    )));
                }
            }
        }
        let mut e = Event::new(&self.actor, Action::Settings).detail(format!(
            "patient ID {temporary_id} mapped to {real_id} ({} records)",
            records.len()
        ));
        e.patient_id = Some(real_id.to_string());
        e.purpose = Some("ダウンタイム中の仮患者IDの本IDへの対応付け".into());
        self.store.audit_with_next_write(e);
        let by = self.actor.name.clone();
        self.store.map_patient(&PatientMapping {
            temporary_id: temporary_id.to_string(),
            real_id: real_id.to_string(),
            real_name: real_name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(String::from),
            mapped_by: by,
            mapped_at: Utc::now(),
        })?;
        Ok(records.len())
    }

    /// Every downtime record and where it stands.
    pub fn reconciliation(&mut self) -> Result<Reconciliation> {
        self.require(Permission::Read)?;
        let cfg = self.sync_config()?;
        let mappings = self.store.patient_mappings()?;
        let mapped: HashMap<&str, &PatientMapping> = mappings
            .iter()
            .map(|m| (m.temporary_id.as_str(), m))
            .collect();
        let temporary = |id: &str| {
            cfg.temporary_id_prefixes
                .iter()
                .any(|p| id.starts_with(p.as_str()))
        };
        let title = |r: &Record| {
            self.template_of(r)
                .map(|b| b.template().form.title.ja.clone())
                .unwrap_or_else(|_| r.provenance.template_id.clone())
        };
        let mut rows = Vec::new();
        let mut unmapped: Vec<Unmapped> = Vec::new();
        let mut note_unmapped = |r: &Record| {
            if temporary(&r.patient.id) && !mapped.contains_key(r.patient.id.as_str()) {
                match unmapped.iter_mut().find(|u| u.temporary_id == r.patient.id) {
                    Some(u) => u.records += 1,
                    None => unmapped.push(Unmapped {
                        temporary_id: r.patient.id.clone(),
                        patient_name: r.patient.name.clone(),
                        records: 1,
                    }),
                }
            }
        };
        for e in self.store.outbox()? {
            let r = self.store.get(&e.record_id)?;
            note_unmapped(&r);
            let held = temporary(&r.patient.id) && !mapped.contains_key(r.patient.id.as_str());
            let state = match e.state {
                SyncState::Pending if held => RowState::Held,
                SyncState::Pending => RowState::Pending,
                SyncState::Sending => RowState::Sending,
                SyncState::Acknowledged => RowState::Acknowledged,
                SyncState::Rejected => RowState::Rejected,
            };
            let mut line = row(&r, title(&r), &mapped, state, Some(&e));
            line.jpclins = self.jpclins_document(&r)?;
            rows.push(line);
        }
        let drafts = self.store.search(&Query {
            status: Some(Status::Draft),
            limit: Some(usize::MAX >> 1),
            ..Query::default()
        })?;
        for r in drafts.iter().filter(|r| r.context.drill_id.is_none()) {
            note_unmapped(r);
            let mut line = row(r, title(r), &mapped, RowState::Draft, None);
            line.jpclins = self.jpclins_document(r)?;
            rows.push(line);
        }
        let order = |s: RowState| match s {
            RowState::Rejected => 0,
            RowState::Held => 1,
            RowState::Draft => 2,
            RowState::Sending | RowState::Pending => 3,
            RowState::Acknowledged => 4,
        };
        rows.sort_by(|a, b| {
            order(a.state)
                .cmp(&order(b.state))
                .then(a.finalized_at.cmp(&b.finalized_at))
        });
        let e = Event::new(&self.actor, Action::View).detail("reconciliation report");
        self.audit(e)?;
        Ok(Reconciliation {
            generated_at: Utc::now(),
            endpoint: cfg.endpoint.clone(),
            counts: self.store.outbox_counts(&cfg.temporary_id_prefixes)?,
            drafts: drafts.len(),
            unmapped,
            mappings: mappings.clone(),
            rows,
        })
    }

    /// `None`: the template maps to no JP-CLINS document; else whether this record is sent as
    /// one (EHR resources kept at finalize; a draft: its patient is in the snapshot now).
    fn jpclins_document(&self, r: &Record) -> Result<Option<bool>> {
        let maps = self
            .template_of(r)
            .ok()
            .and_then(|b| b.template().scope.fhir.clone())
            .is_some_and(|m| m.document.is_some());
        if !maps {
            return Ok(None);
        }
        Ok(Some(if r.status == Status::Draft {
            self.snapshot_patient_by_id(&r.patient.id)?.is_some()
        } else {
            self.store.kept_sources(&r.id)?.is_some()
        }))
    }

    pub fn reconciliation_pdf(&mut self) -> Result<Pdf> {
        let r = self.reconciliation()?;
        let (doc, frame) = r.document();
        pdf::render(&doc, &frame, "同期照合レポート").map_err(Error::layout)
    }
}

fn row(
    r: &Record,
    template_title: String,
    mapped: &HashMap<&str, &PatientMapping>,
    state: RowState,
    e: Option<&OutboxEntry>,
) -> ReconciliationRow {
    ReconciliationRow {
        record_id: r.id.clone(),
        version: r.version,
        template_title,
        patient_id: r.patient.id.clone(),
        patient_name: r.patient.name.clone(),
        mapped_to: mapped.get(r.patient.id.as_str()).map(|m| m.real_id.clone()),
        author: r.author.clone(),
        finalized_at: r.finalized_at,
        state,
        attempts: e.map_or(0, |e| e.attempts),
        last_error: e.and_then(|e| e.last_error.clone()),
        server_id: e.and_then(|e| e.server_id.clone()),
        acknowledged_at: e.and_then(|e| e.acknowledged_at),
        jpclins: None,
    }
}
