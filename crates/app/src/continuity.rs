//! Downtime as a state of the app: declaring and ending a downtime, continuity drills
//! (start, live timings, end with findings, report, purge), the 8-hour print pack, and the
//! context every new record is stamped with.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use chrono_tz::Asia::Tokyo;
use serde::{Deserialize, Serialize};

use super::Hikae;
use hikae_auth::session::Permission;
use hikae_doc::pdf::{self, PageFrame, Pdf};
use hikae_domain::audit::{Action, Event};
use hikae_domain::downtime::{check_declaration, services_ja, Downtime, Scope, ServiceKind};
use hikae_domain::drill::{self, Facts, Report, Scenario, Summary};
use hikae_domain::error::{Error, Result};
use hikae_domain::record::{jst, Context, PaperOrigin, Patient};
use hikae_packs::paper;
use hikae_packs::render::DRILL_MARK;
use hikae_packs::Pack;
use hikae_store::{DrillEnd, DrillRow};

/// Most patients in one print pack (a large ward is about 60).
pub const MAX_PACK_PATIENTS: usize = 200;

/// What to print for the paper fallback.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PrintPackRequest {
    pub patients: Vec<Patient>,
    /// Blank forms per patient: template id and copies (1–10).
    pub templates: Vec<TemplateCopies>,
    /// Blank checklists of every downtime procedure.
    pub procedures: bool,
    /// The contact sheet.
    pub contacts: bool,
    /// The ward snapshot's census and a one-page summary of each patient in it, first.
    #[serde(default)]
    pub snapshot: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TemplateCopies {
    pub id: String,
    pub copies: usize,
}

impl Hikae {
    fn who(&self) -> Result<String> {
        let name = self.actor.name.trim();
        if name.is_empty() {
            return Err(Error::Input(
                "who is doing this? (log in or give a name)".into(),
            ));
        }
        Ok(name.to_string())
    }

    /// The context a record made now gets: the running drill, the declared downtime, and
    /// its paper origin when it is typed in from paper.
    pub(super) fn context_now(&self, paper: Option<PaperOrigin>) -> Result<Context> {
        if let Some(p) = &paper {
            if p.author.trim().is_empty() {
                return Err(Error::Input(
                    "back-entry: who wrote the paper record? (original author)".into(),
                ));
            }
            if p.written_at > Utc::now() + Duration::minutes(5) {
                return Err(Error::Input(format!(
                    "back-entry: the paper record's time {} is in the future",
                    jst(p.written_at)
                )));
            }
        }
        Ok(Context {
            drill_id: self.store.active_drill()?.map(|d| d.id),
            downtime: self.store.active_downtime()?.map(|d| d.mark()),
            paper: paper.map(|p| PaperOrigin {
                author: p.author.trim().to_string(),
                ..p
            }),
            prefill: None,
            carried: None,
        })
    }

    // ---- declared downtime ----

    pub fn active_downtime(&self) -> Result<Option<Downtime>> {
        self.store.active_downtime()
    }

    pub fn downtimes(&self) -> Result<Vec<Downtime>> {
        self.store.downtimes()
    }

    /// Declares a downtime (charge nurse or administrator). Records made until it ends say
    /// so on every page.
    pub fn declare_downtime(
        &mut self,
        services: &[ServiceKind],
        scope: Scope,
        reason: &str,
    ) -> Result<Downtime> {
        self.require(Permission::Continuity)?;
        check_declaration(services, reason)?;
        let by = self.who()?;
        let mut services = services.to_vec();
        services.sort();
        services.dedup();
        let now = Utc::now();
        let d = Downtime {
            id: format!("DN-{}", now.with_timezone(&Tokyo).format("%Y%m%d-%H%M%S")),
            services,
            scope,
            reason: reason.trim().to_string(),
            declared_by: by,
            started_at: now,
            ended_by: None,
            ended_at: None,
            end_note: None,
            drill_id: self.store.active_drill()?.map(|d| d.id),
        };
        let e = Event::new(&self.actor, Action::Downtime).detail(format!(
            "declare {}: {}（{}）reason: {}{}",
            d.id,
            services_ja(&d.services),
            d.scope.label_ja(),
            d.reason,
            d.drill_id
                .as_deref()
                .map(|x| format!(" [drill {x}]"))
                .unwrap_or_default()
        ));
        self.store.declare_downtime(&d, &e)?;
        Ok(d)
    }

    pub fn end_downtime(&mut self, note: &str) -> Result<Downtime> {
        self.require(Permission::Continuity)?;
        let by = self.who()?;
        let open = self
            .store
            .active_downtime()?
            .ok_or_else(|| Error::NotFound("a declared downtime".into()))?;
        let note = Some(note.trim()).filter(|n| !n.is_empty());
        let e = Event::new(&self.actor, Action::Downtime).detail(format!(
            "end {} (declared {}){}",
            open.id,
            jst(open.started_at),
            note.map(|n| format!(": {n}")).unwrap_or_default()
        ));
        self.store.end_downtime(&by, note, &e)
    }

    // ---- drills ----

    /// Drill scenarios of the active packs (the first pack offering an id wins).
    pub fn scenarios(&self) -> Vec<Scenario> {
        let mut out: Vec<Scenario> = Vec::new();
        for p in self.active_packs() {
            for s in &p.scenarios {
                if !out.iter().any(|o| o.id == s.id) {
                    out.push(s.clone());
                }
            }
        }
        out
    }

    /// Starts a drill: from now until it ends, every record made here is a drill record.
    pub fn start_drill(&mut self, scenario_id: &str) -> Result<Report> {
        self.require(Permission::Continuity)?;
        let by = self.who()?;
        let scenario = self
            .scenarios()
            .into_iter()
            .find(|s| s.id == scenario_id)
            .ok_or_else(|| Error::NotFound(format!("drill scenario '{scenario_id}'")))?;
        let json = serde_json::to_string(&scenario).map_err(|e| Error::Input(e.to_string()))?;
        let id = drill::new_id(Utc::now());
        let e = Event::new(&self.actor, Action::DrillStart)
            .detail(format!("{id}: {}（{}）", scenario.title.ja, scenario.id));
        let row = self.store.start_drill(&id, &scenario.id, &json, &by, &e)?;
        self.report_of(&row)
    }

    /// The running drill with its timings so far.
    pub fn running_drill(&self) -> Result<Option<Report>> {
        self.store
            .active_drill()?
            .map(|row| self.report_of(&row))
            .transpose()
    }

    pub fn drill_report(&self, id: &str) -> Result<Report> {
        let row = self.store.drill(id)?;
        self.report_of(&row)
    }

    /// Every drill, newest first, with its key times.
    pub fn drills(&self) -> Result<Vec<Summary>> {
        self.store
            .drills()?
            .iter()
            .map(|row| self.report_of(row).map(|r| r.summary()))
            .collect()
    }

    /// Ends the running drill with who took part (added to those seen acting) and what
    /// was learnt. The timings are frozen with it.
    pub fn end_drill(
        &mut self,
        participants: &[String],
        notes: &str,
        findings: &str,
        actions: &str,
    ) -> Result<Report> {
        self.require(Permission::Continuity)?;
        let by = self.who()?;
        let row = self
            .store
            .active_drill()?
            .ok_or_else(|| Error::NotFound("a running drill".into()))?;
        let now = Utc::now();
        let mut report = self.report_at(&row, now)?;
        for p in participants
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
        {
            if !report.participants.iter().any(|x| x == p) {
                report.participants.push(p.to_string());
            }
        }
        report.ended_at = Some(now);
        report.ended_jst = Some(jst(now));
        report.ended_by = Some(by.clone());
        report.notes = notes.trim().to_string();
        report.findings = findings.trim().to_string();
        report.actions = actions.trim().to_string();
        let e = Event::new(&self.actor, Action::DrillEnd).detail(format!(
            "{}: {:.0} min, records {} created / {} finalized / {} printed, {} steps missed",
            row.id,
            report.elapsed_min,
            report.records.created,
            report.records.finalized,
            report.records.printed,
            report.missed.len()
        ));
        let end = DrillEnd {
            at: now,
            by,
            participants: report.participants.clone(),
            notes: report.notes.clone(),
            findings: report.findings.clone(),
            actions: report.actions.clone(),
            report_json: serde_json::to_string(&report).map_err(|e| Error::Input(e.to_string()))?,
        };
        let row = self.store.end_drill(&row.id, &end, &e)?;
        self.report_of(&row)
    }

    /// Removes the records of an ended drill (only those: the triggers refuse anything
    /// else). The report and the audit entries stay.
    pub fn purge_drill(&mut self, id: &str) -> Result<usize> {
        self.require(Permission::Continuity)?;
        let by = self.who()?;
        let n = self.store.drill_records(id)?.len();
        let e = Event::new(&self.actor, Action::DrillPurge)
            .detail(format!("{id}: {n} drill records removed"));
        self.store.purge_drill(id, &by, &e)
    }

    /// The drill report as a PDF (no patient data in it).
    pub fn drill_report_pdf(&self, id: &str) -> Result<Pdf> {
        let r = self.drill_report(id)?;
        let (doc, frame) = crate::drill_report::document(&r);
        pdf::render(&doc, &frame, &format!("継続訓練報告書 {}", r.id)).map_err(Error::layout)
    }

    /// A running drill's report is computed now; an ended one is the frozen report.
    fn report_of(&self, row: &DrillRow) -> Result<Report> {
        self.report_at(row, Utc::now())
    }

    /// As [`Self::report_of`], computing a running drill's timings up to `now`.
    fn report_at(&self, row: &DrillRow, now: chrono::DateTime<Utc>) -> Result<Report> {
        let bad = |e: serde_json::Error| {
            Error::Input(format!("drill {}: stored data unreadable: {e}", row.id))
        };
        let mut report = match (&row.ended_at, &row.report_json) {
            (Some(_), Some(json)) => serde_json::from_str::<Report>(json).map_err(bad)?,
            _ => {
                let scenario: Scenario = serde_json::from_str(&row.scenario_json).map_err(bad)?;
                let entries = self.store.audit_from(row.start_seq)?;
                let records = self.store.drill_records(&row.id)?;
                // the status line asks every few seconds: only the drill's own runs
                let runs = self.store.checklists_since(row.started_at)?;
                let procedures: Vec<_> = self
                    .active_packs()
                    .iter()
                    .flat_map(|p| p.procedures.clone())
                    .collect();
                drill::compute(
                    &scenario,
                    &Facts {
                        id: &row.id,
                        started_at: row.started_at,
                        started_by: &row.started_by,
                        until: row.ended_at.unwrap_or(now),
                        entries: &entries,
                        records: &records,
                        runs: &runs,
                        procedures: &procedures,
                    },
                )
            }
        };
        report.purged_jst = row.purged_at.map(jst);
        report.purged_records = row.purged_records;
        Ok(report)
    }

    // ---- the paper fallback ----

    /// The 8-hour print pack in one PDF: for each patient, the chosen blank forms with the
    /// patient header filled in; then blank checklists of the downtime procedures and the
    /// contact sheet. `progress(done, total)`. Logged as `how` (print or export) before it
    /// is handed out.
    pub fn print_pack(
        &mut self,
        req: &PrintPackRequest,
        how: Action,
        detail: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Pdf> {
        self.require(Permission::Read)?;
        if req.patients.is_empty() && !req.snapshot {
            return Err(Error::Input(
                "print pack: choose at least one patient".into(),
            ));
        }
        if req.patients.len() > MAX_PACK_PATIENTS {
            return Err(Error::Input(format!(
                "print pack: {} patients; at most {MAX_PACK_PATIENTS} at a time",
                req.patients.len()
            )));
        }
        for (i, p) in req.patients.iter().enumerate() {
            if p.id.trim().is_empty() || p.name.trim().is_empty() {
                return Err(Error::Input(format!(
                    "print pack: patient {} needs both an ID and a name",
                    i + 1
                )));
            }
        }
        if req.templates.is_empty() && !req.procedures && !req.contacts && !req.snapshot {
            return Err(Error::Input("print pack: choose what to print".into()));
        }
        let mut forms = Vec::new();
        for t in &req.templates {
            if !(1..=10).contains(&t.copies) {
                return Err(Error::Input(format!(
                    "print pack: {} copies of '{}' (1 to 10)",
                    t.copies, t.id
                )));
            }
            forms.push((self.template(&t.id)?, t.copies));
        }
        // the ward snapshot's census and each patient's summary, read before the pages are made
        let snapshot = if req.snapshot {
            let census = self.census_unaudited()?;
            if census.rows.is_empty() {
                return Err(Error::Input(
                    "print pack: the ward snapshot is empty (no refresh within the retention)"
                        .into(),
                ));
            }
            let mut pages = Vec::with_capacity(census.rows.len());
            for r in &census.rows {
                let as_of = census
                    .wards
                    .iter()
                    .find(|w| w.ward == r.ward)
                    .map_or_else(Utc::now, |w| w.as_of);
                pages.push((self.summary_unaudited(&r.patient)?, as_of));
            }
            Some((census, pages))
        } else {
            None
        };
        let drill = self.store.active_drill()?.map(|d| d.id);
        let stamp = format!(
            "紙運用セット　印刷 {}　{}{}",
            jst(Utc::now()),
            self.actor.name,
            drill
                .as_deref()
                .map(|d| format!("　訓練ID {d}"))
                .unwrap_or_default()
        );
        let mark = |mut f: PageFrame| {
            if drill.is_some() {
                f.watermark = Some(DRILL_MARK.to_string());
                f.header_right = format!("【訓練】{}", f.header_right);
            }
            self.mark_demo(&mut f);
            f
        };
        let mut parts = Vec::new();
        let mut summaries = 0;
        if let Some((census, pages)) = &snapshot {
            let today = crate::snapshot::today_jst();
            let (doc, frame) = crate::snapshot_paper::census_document(census, today, &stamp);
            parts.push((doc, mark(frame)));
            for (s, as_of) in pages {
                let (doc, frame) =
                    crate::snapshot_paper::summary_document(s, *as_of, today, &stamp);
                parts.push((doc, mark(frame)));
                summaries += 1;
            }
        }
        for p in &req.patients {
            let p = Patient {
                id: p.id.trim().to_string(),
                name: p.name.trim().to_string(),
            };
            for (b, copies) in &forms {
                let (doc, frame) = paper::blank_form(&b.template().form, &p, &stamp);
                let frame = mark(frame);
                for _ in 0..*copies {
                    parts.push((doc.clone(), frame.clone()));
                }
            }
        }
        let packs: Vec<Arc<Pack>> = self.active_packs();
        let contacts = self.contacts();
        if req.procedures {
            let mut seen = Vec::new();
            for p in &packs {
                for proc in &p.procedures {
                    if seen.contains(&proc.id) {
                        continue;
                    }
                    seen.push(proc.id.clone());
                    let (doc, frame) = super::checklist::checklist_document(proc, None, &contacts);
                    parts.push((doc, mark(frame)));
                }
            }
        }
        if req.contacts {
            let (doc, frame) = paper::contact_sheet(&contacts, &stamp);
            parts.push((doc, mark(frame)));
        }
        let mut e = Event::new(&self.actor, how).detail(format!(
            "print pack: {} patients ({}), {} forms each, procedures {}, contacts {}, snapshot census and {summaries} summaries {}; {detail}",
            req.patients.len(),
            req.patients
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            req.templates.iter().map(|t| t.copies).sum::<usize>(),
            req.procedures,
            req.contacts,
            req.snapshot
        ));
        e.purpose = Some("ダウンタイム時の紙運用（8時間分の記録用紙）".into());
        e.data_category = Some("患者基本情報（ID・氏名）".into());
        self.store.audit(&e)?;
        let total = parts.len();
        progress(0, total);
        let refs: Vec<_> = parts.iter().map(|(d, f)| (d, f)).collect();
        let title = format!("紙運用セット {}名", req.patients.len());
        pdf::render_many_with(&refs, &title, &mut |k| progress(k, total)).map_err(Error::layout)
    }
}

/// Parses the time a paper record was written, as typed (`2026/11/22 03:10`, Japan time).
pub fn paper_time(s: &str) -> Result<chrono::DateTime<Utc>> {
    let t = hikae_domain::form::parse_datetime(s.trim()).ok_or_else(|| {
        Error::Input(format!(
            "back-entry: '{s}' is not a date and time (e.g. 2026/11/22 03:10)"
        ))
    })?;
    Tokyo
        .from_local_datetime(&t)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| Error::Input(format!("back-entry: '{s}' is not a valid time")))
}
