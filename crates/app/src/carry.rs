//! Copy-forward ("前回から作成"): a new record starts from the same patient's latest finalized
//! record of the template (or of a template its `[template.carry_forward] from` names),
//! taking the fields the pack allows. Carried text is a known safety risk (yesterday's text
//! signed as today's), so each carried field stays unconfirmed until the author edits it or
//! confirms it, finalizing asks for confirmation of the rest, and the PDF footer names the
//! source record. Drill records never carry into real ones, nor real ones into drills.

use hikae_domain::audit::Action;
use hikae_domain::error::{Error, Result};
use hikae_domain::form::Values;
use hikae_domain::record::{Carried, Patient, Record, Status};
use hikae_store::Query;

use crate::auth::Permission;
use crate::Hikae;

impl Hikae {
    /// The record a new `template_id` record for `patient_id` would carry from: the latest
    /// finalized, not corrected, of the allowed templates, in the same drill state as now.
    fn carry_source(&self, template_id: &str, patient_id: &str) -> Result<Option<Record>> {
        let bound = self.template(template_id)?;
        let Some(cf) = &bound.template().scope.carry_forward else {
            return Ok(None);
        };
        let drill = self.store.active_drill()?.map(|d| d.id);
        let mut allowed = vec![template_id.to_string()];
        allowed.extend(cf.from.iter().cloned());
        let found = self.store.search(&Query {
            patient: Some(patient_id.to_string()),
            status: Some(Status::Finalized),
            limit: Some(500),
            ..Query::default()
        })?;
        let mut best: Option<Record> = None;
        for r in found {
            if r.patient.id != patient_id
                || !allowed.contains(&r.provenance.template_id)
                || r.context.drill_id.is_some() != drill.is_some()
                || self.store.superseded_by(&r.id)?.is_some()
            {
                continue;
            }
            let when = r.finalized_at.unwrap_or(r.updated_at);
            if best
                .as_ref()
                .is_none_or(|b| b.finalized_at.unwrap_or(b.updated_at) < when)
            {
                best = Some(r);
            }
        }
        Ok(best)
    }

    /// A new record for `patient`, carrying the fields the template allows from the
    /// patient's previous record (see the module docs). An error when there is none.
    pub fn new_record_from_previous(
        &mut self,
        template_id: &str,
        patient: Patient,
        author: &str,
    ) -> Result<Record> {
        self.require(Permission::WriteDraft)?;
        self.require(Permission::Read)?;
        let bound = self.template(template_id)?;
        let t = bound.template();
        let Some(cf) = t.scope.carry_forward.clone() else {
            return Err(Error::Input(format!(
                "'{template_id}' carries nothing from earlier records (its pack lists no [template.carry_forward])"
            )));
        };
        let Some(src) = self.carry_source(template_id, patient.id.trim())? else {
            return Err(Error::NotFound(format!(
                "no earlier finalized record of this kind for patient {} to start from",
                patient.id.trim()
            )));
        };
        let mut values = Values::new();
        let mut fields = Vec::new();
        for f in &cf.fields {
            let Some(v) = src.values.get(f) else { continue };
            let empty = match v {
                serde_json::Value::String(s) => s.trim().is_empty(),
                serde_json::Value::Array(a) => a.is_empty(),
                serde_json::Value::Null => true,
                _ => false,
            };
            if empty || t.form.field(f).is_none() {
                continue;
            }
            values.insert(f.clone(), v.clone());
            fields.push(f.clone());
        }
        // a source made with another form version may hold values this form refuses
        let values: Values = {
            let problems = t.form.check_draft(&values);
            values
                .into_iter()
                .filter(|(k, _)| {
                    !problems
                        .iter()
                        .any(|p| p.path.split(['[', '.']).next() == Some(k))
                })
                .collect()
        };
        fields.retain(|f| values.contains_key(f));
        let carried = Carried {
            from_record: src.id.clone(),
            from_version: src.version,
            from_time: src.finalized_at.unwrap_or(src.updated_at),
            from_author: src.author.clone(),
            from_template: src.provenance.template_id.clone(),
            labels: fields
                .iter()
                .map(|f| t.form.field(f).map_or(f.clone(), |d| d.label.ja.clone()))
                .collect(),
            fields,
            confirmed: Vec::new(),
            values: values.clone(),
        };
        // the source is read to make this record: logged as a view of it
        let mut e = self.record_event(Action::View, &src);
        e.detail = Some(format!("copy-forward source for a new {template_id}"));
        self.audit(e)?;
        self.create_record_carried(template_id, patient, author, values, carried)
    }

    /// Confirms a carried field kept as it was (the author read it and it is still true).
    pub fn confirm_carried(&mut self, id: &str, field: &str) -> Result<Carried> {
        self.require(Permission::WriteDraft)?;
        let rec = self.store.get(id)?;
        let mut context = rec.context.clone();
        let Some(c) = context.carried.as_mut() else {
            return Err(Error::BadState {
                id: id.to_string(),
                reason: "nothing was carried into this record".into(),
            });
        };
        if !c.fields.iter().any(|f| f == field) {
            return Err(Error::Input(format!(
                "'{field}' was not carried into this record"
            )));
        }
        if !c.confirmed.iter().any(|f| f == field) {
            c.confirmed.push(field.to_string());
        }
        let carried = c.clone();
        let e = self
            .record_event(Action::Edit, &rec)
            .detail(format!("carried field confirmed: {field}"));
        self.store.audit_with_next_write(e);
        self.store
            .save_values_with_context(&rec.id, &rec.values, &context)?;
        Ok(carried)
    }

    /// Fields still unconfirmed, by their labels (for the finalize check).
    pub(crate) fn unconfirmed_carried(rec: &Record) -> Vec<String> {
        rec.context
            .carried
            .as_ref()
            .map(|c| {
                c.unconfirmed()
                    .into_iter()
                    .map(|f| {
                        c.fields
                            .iter()
                            .position(|x| x == f)
                            .and_then(|i| c.labels.get(i).cloned())
                            .unwrap_or_else(|| f.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
