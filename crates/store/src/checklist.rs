//! Procedure checklists as they are worked through: a run of one procedure (started, ticked
//! step by step, ended) and every tick with who and when. Ticks are append-only; the state of
//! a step is its latest tick, so unticking is a new row, never an edit.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

pub use hikae_domain::procedure::{ChecklistRun, Tick};

use super::{db_err, parse_ts, ts, Store};
use hikae_domain::error::{Error, Result};
use hikae_domain::record::new_id;

const RUN_COLUMNS: &str =
    "id, procedure_id, pack_id, pack_version, started_at, started_by, ended_at, ended_by";

fn run_row(r: &rusqlite::Row) -> rusqlite::Result<ChecklistRun> {
    Ok(ChecklistRun {
        id: r.get(0)?,
        procedure_id: r.get(1)?,
        pack_id: r.get(2)?,
        pack_version: r.get(3)?,
        started_at: parse_ts(&r.get::<_, String>(4)?)?,
        started_by: r.get(5)?,
        ended_at: r
            .get::<_, Option<String>>(6)?
            .map(|s| parse_ts(&s))
            .transpose()?,
        ended_by: r.get(7)?,
        ticks: Vec::new(),
    })
}

impl Store {
    pub fn start_checklist(
        &mut self,
        procedure_id: &str,
        pack_id: &str,
        pack_version: &str,
        by: &str,
    ) -> Result<ChecklistRun> {
        let run = ChecklistRun {
            id: new_id(),
            procedure_id: procedure_id.to_string(),
            pack_id: pack_id.to_string(),
            pack_version: pack_version.to_string(),
            started_at: Utc::now(),
            started_by: by.to_string(),
            ended_at: None,
            ended_by: None,
            ticks: Vec::new(),
        };
        self.audited(|w| {
            w.tx.execute(
                &format!("INSERT INTO checklist_runs ({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL)"),
                params![run.id, run.procedure_id, run.pack_id, run.pack_version, ts(run.started_at), run.started_by],
            )
            .map_err(|e| w.db(e))?;
            Ok(())
        })?;
        Ok(run)
    }

    /// Records that `step` was ticked (`done`) or unticked by `by`, now.
    pub fn tick(
        &mut self,
        run_id: &str,
        step: usize,
        step_text: &str,
        done: bool,
        by: &str,
    ) -> Result<Tick> {
        let tick = Tick {
            step,
            step_text: step_text.to_string(),
            done,
            by: by.to_string(),
            at: Utc::now(),
        };
        self.audited(|w| {
            let ended: Option<Option<String>> = w
                .tx
                .query_row(
                    "SELECT ended_at FROM checklist_runs WHERE id = ?1",
                    [run_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| w.db(e))?;
            match ended {
                None => return Err(Error::Input(format!("checklist run {run_id} not found"))),
                Some(Some(_)) => {
                    return Err(Error::BadState {
                        id: run_id.to_string(),
                        reason: "this checklist has been ended; start a new one".into(),
                    })
                }
                Some(None) => {}
            }
            let step_i64 =
                i64::try_from(step).map_err(|_| Error::Input("step out of range".into()))?;
            w.tx.execute(
                "INSERT INTO checklist_ticks (run_id, step, step_text, done, by_whom, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![run_id, step_i64, tick.step_text, tick.done, tick.by, ts(tick.at)],
            )
            .map_err(|e| w.db(e))?;
            Ok(())
        })?;
        Ok(tick)
    }

    pub fn end_checklist(&mut self, run_id: &str, by: &str) -> Result<ChecklistRun> {
        let changed = self
            .conn
            .execute(
                "UPDATE checklist_runs SET ended_at = ?2, ended_by = ?3 WHERE id = ?1 AND ended_at IS NULL",
                params![run_id, ts(Utc::now()), by],
            )
            .map_err(|e| db_err(&self.path, e))?;
        let run = self.checklist(run_id)?;
        if changed == 0 && run.ended_at.is_some() {
            return Err(Error::BadState {
                id: run_id.to_string(),
                reason: "this checklist has already been ended".into(),
            });
        }
        Ok(run)
    }

    /// A run with all its ticks.
    pub fn checklist(&self, run_id: &str) -> Result<ChecklistRun> {
        let run = self
            .conn
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM checklist_runs WHERE id = ?1"),
                [run_id],
                run_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))?
            .ok_or_else(|| Error::Input(format!("checklist run {run_id} not found")))?;
        self.with_ticks(vec![run]).map(|mut v| v.remove(0))
    }

    /// Runs, newest first; only those of `procedure_id` if given.
    pub fn checklists(&self, procedure_id: Option<&str>) -> Result<Vec<ChecklistRun>> {
        self.checklists_where(procedure_id, None)
    }

    /// Runs (of any procedure) started at or after `since`, newest first.
    pub fn checklists_since(&self, since: DateTime<Utc>) -> Result<Vec<ChecklistRun>> {
        self.checklists_where(None, Some(since))
    }

    fn checklists_where(
        &self,
        procedure_id: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<ChecklistRun>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM checklist_runs WHERE (?1 IS NULL OR procedure_id = ?1) \
                 AND (?2 IS NULL OR started_at >= ?2) ORDER BY started_at DESC, rowid DESC"
            ))
            .map_err(|e| db_err(&self.path, e))?;
        let runs = stmt
            .query_map(params![procedure_id, since.map(ts)], run_row)
            .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| db_err(&self.path, e))?;
        self.with_ticks(runs)
    }

    fn with_ticks(&self, mut runs: Vec<ChecklistRun>) -> Result<Vec<ChecklistRun>> {
        let mut stmt = self
            .conn
            .prepare("SELECT step, step_text, done, by_whom, at FROM checklist_ticks WHERE run_id = ?1 ORDER BY id")
            .map_err(|e| db_err(&self.path, e))?;
        for run in &mut runs {
            run.ticks = stmt
                .query_map([&run.id], |r| {
                    Ok(Tick {
                        step: usize::try_from(r.get::<_, i64>(0)?).unwrap_or(usize::MAX),
                        step_text: r.get(1)?,
                        done: r.get(2)?,
                        by: r.get(3)?,
                        at: parse_ts(&r.get::<_, String>(4)?)?,
                    })
                })
                .and_then(|r| r.collect())
                .map_err(|e| db_err(&self.path, e))?;
        }
        Ok(runs)
    }
}
