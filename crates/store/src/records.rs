//! Records: create, read, save drafts, finalize, correct, and search (FTS5 trigram for terms of
//! 3+ characters, an FTS5 bigram index for 1–2 character ones, a LIKE scan only for short terms
//! with characters the bigram tokenizer splits on; a date filter by the day in Japan time).

use std::path::Path;

use chrono::Utc;
use rusqlite::{params, params_from_iter, OptionalExtension, Row};

use super::{db_err, outbox, parse_ts, ts, NewRecord, Store};
use hikae_domain::error::{Error, Result};
use hikae_domain::form::{search_text, Values};
use hikae_domain::record::{new_id, Context, Patient, Provenance, Record, Status};

pub(super) fn search_body(patient_id: &str, patient_name: &str, values: &Values) -> String {
    format!("{patient_id}\n{patient_name}\n{}", search_text(values))
}

/// The bigram index's text for a search body: every pair of neighbouring characters, and the
/// last character alone, separated by spaces ("肺炎疑い" → "肺炎 炎疑 疑い い"). A 2-character
/// term is then one token, a 1-character one a prefix (`肺*`). Pairs with a character the
/// tokenizer splits on become shorter tokens, harmlessly.
pub(crate) fn bigrams(body: &str) -> String {
    let chars: Vec<char> = body.chars().collect();
    let mut out = String::with_capacity(body.len() * 3);
    for w in chars.windows(2) {
        out.push(w[0]);
        out.push(w[1]);
        out.push(' ');
    }
    if let Some(last) = chars.last() {
        out.push(*last);
    }
    out
}

/// Characters `unicode61` certainly keeps inside tokens (so a term made of them is found as a
/// token): kana, CJK ideographs (with 々 〆), ASCII and full-width letters and digits.
/// Anything else falls back to a LIKE scan, so results never depend on the tokenizer's view
/// of symbols and marks.
fn bigram_safe(c: char) -> bool {
    matches!(c as u32,
        0x30..=0x39 | 0x41..=0x5A | 0x61..=0x7A
        | 0x3005 | 0x3006
        | 0x3041..=0x3096 | 0x309D..=0x309F
        | 0x30A1..=0x30FA | 0x30FC..=0x30FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF
        | 0xFF10..=0xFF19 | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A | 0xFF66..=0xFF9D)
}

/// Writes a record's search text into both indexes (new row, or replacing the old text).
pub(super) fn index_body(
    tx: &rusqlite::Transaction,
    rowid: i64,
    body: &str,
    replace: bool,
) -> rusqlite::Result<()> {
    if replace {
        tx.execute(
            "UPDATE record_search SET body = ?1 WHERE rowid = ?2",
            params![body, rowid],
        )?;
        tx.execute("DELETE FROM record_bigrams WHERE rowid = ?1", [rowid])?;
    } else {
        tx.execute(
            "INSERT INTO record_search(rowid, body) VALUES (?1, ?2)",
            params![rowid, body],
        )?;
    }
    tx.execute(
        "INSERT INTO record_bigrams(rowid, grams) VALUES (?1, ?2)",
        params![rowid, bigrams(body)],
    )?;
    Ok(())
}

/// Above this many records holding a term, a search walks the newest records instead of
/// sorting them all (see [`Store::search`]).
const WALK_ABOVE: i64 = 2_000;

/// Search criteria; all given criteria must match.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Free text; whitespace-separated terms must all appear.
    pub text: Option<String>,
    /// Exact patient ID, or part of the name.
    pub patient: Option<String>,
    pub template: Option<String>,
    pub status: Option<Status>,
    /// A day in Japan time: records created or last changed that day.
    pub date: Option<chrono::NaiveDate>,
    pub limit: Option<usize>,
}

/// A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped (`ESCAPE '\\'`).
fn like_contains(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The UTC bounds of a day in Japan time, as stored timestamps (which sort as text).
fn jst_day_utc(day: chrono::NaiveDate) -> Result<(String, String)> {
    use chrono::TimeZone;
    let start = |d: chrono::NaiveDate| {
        chrono_tz::Asia::Tokyo
            .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .single()
            .map(|t| ts(t.with_timezone(&Utc)))
            .ok_or_else(|| Error::Input(format!("no such day in Japan time: {d}")))
    };
    let next = day
        .succ_opt()
        .ok_or_else(|| Error::Input(format!("date out of range: {day}")))?;
    Ok((start(day)?, start(next)?))
}

const COLUMNS: &str = "id, series_id, version, supersedes, correction_reason, patient_id, patient_name, pack_id, \
    pack_version, template_id, template_version, template_hash, status, author, final_reviewer, values_json, \
    created_at, updated_at, finalized_at, revision, drill_id, context_json";

fn row_to_record(r: &Row) -> rusqlite::Result<Record> {
    let status: String = r.get(12)?;
    let json: String = r.get(15)?;
    let conv = |i, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e)
    };
    Ok(Record {
        id: r.get(0)?,
        series_id: r.get(1)?,
        version: r.get(2)?,
        supersedes: r.get(3)?,
        correction_reason: r.get(4)?,
        patient: Patient {
            id: r.get(5)?,
            name: r.get(6)?,
        },
        provenance: Provenance {
            pack_id: r.get(7)?,
            pack_version: r.get(8)?,
            template_id: r.get(9)?,
            template_version: r.get(10)?,
            template_hash: r.get(11)?,
        },
        status: Status::parse(&status)
            .ok_or_else(|| conv(12, format!("bad status {status:?}").into()))?,
        author: r.get(13)?,
        final_reviewer: r.get(14)?,
        values: serde_json::from_str(&json).map_err(|e| conv(15, Box::new(e)))?,
        created_at: parse_ts(&r.get::<_, String>(16)?)?,
        updated_at: parse_ts(&r.get::<_, String>(17)?)?,
        finalized_at: r
            .get::<_, Option<String>>(18)?
            .map(|s| parse_ts(&s))
            .transpose()?,
        revision: r.get(19)?,
        context: {
            let mut c: Context = match r.get::<_, Option<String>>(21)? {
                Some(j) => serde_json::from_str(&j).map_err(|e| conv(21, Box::new(e)))?,
                None => Context::default(),
            };
            c.drill_id = r.get(20)?;
            c
        },
    })
}

impl Store {
    /// The patients of the most recently changed records, newest first, each once.
    pub fn recent_patients(&self, limit: usize) -> Result<Vec<Patient>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT patient_id, patient_name FROM records WHERE drill_id IS NULL GROUP BY patient_id \
                 ORDER BY max(updated_at) DESC LIMIT ?1",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(Patient {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            })
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    pub fn create(&mut self, new: NewRecord) -> Result<Record> {
        let now = Utc::now();
        let id = new_id();
        let rec = Record {
            id: id.clone(),
            series_id: id,
            version: 1,
            supersedes: None,
            correction_reason: None,
            patient: new.patient,
            provenance: new.provenance,
            status: Status::Draft,
            author: new.author,
            final_reviewer: None,
            values: new.values,
            created_at: now,
            updated_at: now,
            finalized_at: None,
            revision: 1,
            context: new.context,
        };
        self.insert(&rec)?;
        Ok(rec)
    }

    fn insert(&mut self, rec: &Record) -> Result<()> {
        let json = serde_json::to_string(&rec.values).map_err(|e| Error::Input(e.to_string()))?;
        let context = (rec.context != Context::default())
            .then(|| serde_json::to_string(&rec.context))
            .transpose()
            .map_err(|e| Error::Input(e.to_string()))?;
        self.audited(|w| {
            if let Some(e) = w.pending.as_mut() {
                e.record_id.get_or_insert_with(|| rec.id.clone());
                e.patient_id.get_or_insert_with(|| rec.patient.id.clone());
            }
            w.tx.execute(
                &format!("INSERT INTO records ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)"),
                params![
                    rec.id, rec.series_id, rec.version, rec.supersedes, rec.correction_reason, rec.patient.id, rec.patient.name,
                    rec.provenance.pack_id, rec.provenance.pack_version, rec.provenance.template_id, rec.provenance.template_version,
                    rec.provenance.template_hash, rec.status.as_str(), rec.author, rec.final_reviewer, json,
                    ts(rec.created_at), ts(rec.updated_at), rec.finalized_at.map(ts), rec.revision,
                    rec.context.drill_id, context
                ],
            )
            .map_err(|e| w.db(e))?;
            let rowid = w.tx.last_insert_rowid();
            index_body(
                &w.tx,
                rowid,
                &search_body(&rec.patient.id, &rec.patient.name, &rec.values),
                false,
            )
            .map_err(|e| w.db(e))?;
            Ok(())
        })
    }

    /// The record with exactly this id.
    pub fn get(&self, id: &str) -> Result<Record> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM records WHERE id = ?1"),
                [id],
                row_to_record,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))?
            .ok_or_else(|| Error::RecordNotFound(id.to_string()))
    }

    /// The full id of the record `id` names: the id itself, or a unique prefix of at least 6
    /// characters (what a person types at the CLI; the app's screens send whole ids).
    pub fn resolve_id(&self, id: &str) -> Result<String> {
        let exact: Option<String> = self
            .conn
            .query_row("SELECT id FROM records WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| db_err(&self.path, e))?;
        if let Some(r) = exact {
            return Ok(r);
        }
        if id.chars().count() < 6 || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(Error::RecordNotFound(id.to_string()));
        }
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM records WHERE id LIKE ?1 || '%' LIMIT 2")
            .map_err(|e| db_err(&self.path, e))?;
        let found: Vec<String> = stmt
            .query_map([id], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| db_err(&self.path, e))?;
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(Error::RecordNotFound(id.to_string())),
            _ => Err(Error::Input(format!(
                "'{id}' matches more than one record; give more of the id"
            ))),
        }
    }

    /// Replaces a draft's values in one transaction. Returns the saved record.
    pub fn save_values(&mut self, id: &str, values: &Values) -> Result<Record> {
        self.write_draft(id, values, None)
    }

    /// Replaces a draft's values and its context (copy-forward confirmations) in one
    /// transaction.
    pub fn save_values_with_context(
        &mut self,
        id: &str,
        values: &Values,
        context: &Context,
    ) -> Result<Record> {
        // the drill mark is fixed when a record is made: the context may change only in
        // what it says about carried fields
        let old = self.get(id)?;
        if old.context.drill_id != context.drill_id {
            return Err(Error::BadState {
                id: id.to_string(),
                reason: "a record's drill is fixed when it is made".into(),
            });
        }
        let ctx = serde_json::to_string(context).map_err(|e| Error::Input(e.to_string()))?;
        self.write_draft_with(id, values, None, Some(&ctx))
    }

    /// Marks a draft finalized with its (normalized) values; from then on it is immutable.
    pub fn finalize(&mut self, id: &str, values: &Values, final_reviewer: &str) -> Result<Record> {
        self.write_draft(id, values, Some(final_reviewer))
    }

    /// Writes a draft's values (finalizing it if `finalize_by` is given), its search row and
    /// the queued audit entry in one transaction.
    fn write_draft(
        &mut self,
        id: &str,
        values: &Values,
        finalize_by: Option<&str>,
    ) -> Result<Record> {
        self.write_draft_with(id, values, finalize_by, None)
    }

    fn write_draft_with(
        &mut self,
        id: &str,
        values: &Values,
        finalize_by: Option<&str>,
        context_json: Option<&str>,
    ) -> Result<Record> {
        let json = serde_json::to_string(values).map_err(|e| Error::Input(e.to_string()))?;
        let now = ts(Utc::now());
        self.audited(|w| {
            let (rowid, pid, pname) = draft_row(&w.tx, &w.path, id)?;
            match finalize_by {
                None => w.tx.execute(
                    "UPDATE records SET values_json = ?1, updated_at = ?2, revision = revision + 1 WHERE id = ?3",
                    params![json, now, id],
                ),
                Some(reviewer) => w.tx.execute(
                    "UPDATE records SET status = 'finalized', values_json = ?1, final_reviewer = ?2, finalized_at = ?3, updated_at = ?3, revision = revision + 1 WHERE id = ?4",
                    params![json, reviewer, now, id],
                ),
            }
            .map_err(|e| w.db(e))?;
            if let Some(c) = context_json {
                w.tx.execute(
                    "UPDATE records SET context_json = ?1 WHERE id = ?2",
                    params![c, id],
                )
                .map_err(|e| w.db(e))?;
            }
            index_body(&w.tx, rowid, &search_body(&pid, &pname, values), true)
                .map_err(|e| w.db(e))?;
            if finalize_by.is_some() {
                // waits for the FHIR server from the moment it is final
                outbox::enqueue(&w.tx, id).map_err(|e| w.db(e))?;
            }
            Ok(())
        })?;
        self.get(id)
    }

    /// Starts a correction of a finalized record: a new draft version linked to it.
    /// The correction keeps the original's drill and paper origin; `downtime` is the one in
    /// force now.
    pub fn correct(
        &mut self,
        id: &str,
        reason: &str,
        author: &str,
        downtime: Option<hikae_domain::downtime::DowntimeMark>,
    ) -> Result<Record> {
        let old = self.get(id)?;
        if old.status != Status::Finalized {
            return Err(Error::BadState {
                id: old.id,
                reason: "only finalized records are corrected; edit the draft instead".into(),
            });
        }
        let newer: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM records WHERE supersedes = ?1",
                [&old.id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))?;
        if let Some(n) = newer {
            return Err(Error::BadState {
                id: old.id,
                reason: format!("already corrected by {n}; correct the newest version"),
            });
        }
        let now = Utc::now();
        let rec = Record {
            id: new_id(),
            series_id: old.series_id.clone(),
            version: old.version + 1,
            supersedes: Some(old.id.clone()),
            correction_reason: Some(reason.to_string()),
            status: Status::Draft,
            author: author.to_string(),
            final_reviewer: None,
            created_at: now,
            updated_at: now,
            finalized_at: None,
            revision: 1,
            context: Context {
                downtime,
                ..old.context.clone()
            },
            ..old
        };
        self.insert(&rec)?;
        Ok(rec)
    }

    /// Whether the query `set` (one `?` for `arg`) gives more than `n` rows (counting no
    /// further).
    fn more_than(&self, set: &str, arg: &str, n: i64) -> Result<bool> {
        let count: i64 = self
            .conn
            .query_row(
                &format!("SELECT count(*) FROM ({set} LIMIT {})", n + 1),
                [arg],
                |r| r.get(0),
            )
            .map_err(|e| db_err(&self.path, e))?;
        Ok(count > n)
    }

    /// Records matching `q`, most recently updated first.
    pub fn search(&self, q: &Query) -> Result<Vec<Record>> {
        let mut clauses: Vec<String> = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(text) = &q.text {
            for term in text
                .split(|c: char| c.is_whitespace())
                .filter(|t| !t.is_empty())
            {
                // the records holding the term: the trigram index for 3+ characters; the
                // bigram index for 1–2 (common in Japanese), whose candidates LIKE on their
                // text then decides (so the tokenizer's case folding never widens the result);
                // a LIKE scan for short terms with characters the bigram tokenizer splits on
                let (set, arg, check) = if term.chars().count() >= 3 {
                    (
                        "SELECT rowid FROM record_search WHERE record_search MATCH ?",
                        format!("\"{}\"", term.replace('"', "\"\"")),
                        None,
                    )
                } else if term.chars().all(bigram_safe) {
                    (
                        "SELECT rowid FROM record_bigrams WHERE record_bigrams MATCH ?",
                        if term.chars().count() == 1 {
                            format!("{term}*")
                        } else {
                            format!("\"{term}\"")
                        },
                        Some(like_contains(term)),
                    )
                } else {
                    // no index serves these: each newest record's text is checked directly,
                    // once (counting the matches first would scan everything twice)
                    clauses.push(
                        "(SELECT body FROM record_search WHERE rowid = records.rowid) LIKE ? ESCAPE '\\'"
                            .into(),
                    );
                    args.push(like_contains(term));
                    continue;
                };
                // a common term (肺炎 in a third of all records) is not fetched and sorted
                // whole: the newest records are walked in order and each is checked against
                // the set until the page is full (`+rowid` keeps the planner on the
                // updated_at index); a rare one is looked up directly
                let common = self.more_than(set, &arg, WALK_ABOVE)?;
                // common and short: the text of each newest record is checked directly
                // (cheaper than building the set of the tens of thousands that hold it)
                if !(common && check.is_some()) {
                    clauses.push(format!("{}rowid IN ({set})", if common { "+" } else { "" }));
                    args.push(arg);
                }
                if let Some(like) = check {
                    clauses.push(
                        "(SELECT body FROM record_search WHERE rowid = records.rowid) LIKE ? ESCAPE '\\'"
                            .into(),
                    );
                    args.push(like);
                }
            }
        }
        if let Some(p) = &q.patient {
            clauses.push("(patient_id = ? OR patient_name LIKE ? ESCAPE '\\')".into());
            args.push(p.clone());
            args.push(like_contains(p));
        }
        if let Some(t) = &q.template {
            clauses.push("template_id = ?".into());
            args.push(t.clone());
        }
        if let Some(s) = q.status {
            clauses.push("status = ?".into());
            args.push(s.as_str().into());
        }
        if let Some(day) = q.date {
            let (from, to) = jst_day_utc(day)?;
            clauses.push(
                "((created_at >= ? AND created_at < ?) OR (updated_at >= ? AND updated_at < ?))"
                    .into(),
            );
            args.extend([from.clone(), to.clone(), from, to]);
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM records {filter} ORDER BY updated_at DESC, rowid DESC LIMIT {}",
            q.limit.unwrap_or(500)
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), row_to_record)
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// Id of the version that replaces `id`, if a correction exists.
    pub fn superseded_by(&self, id: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT id FROM records WHERE supersedes = ?1 ORDER BY version DESC LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }
}

/// The search-index row and patient of a record that must still be a draft.
fn draft_row(tx: &rusqlite::Transaction, path: &Path, id: &str) -> Result<(i64, String, String)> {
    let row: Option<(i64, String, String, String)> = tx
        .query_row(
            "SELECT rowid, status, patient_id, patient_name FROM records WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(|e| db_err(path, e))?;
    match row {
        None => Err(Error::RecordNotFound(id.to_string())),
        Some((_, status, _, _)) if status != Status::Draft.as_str() => {
            Err(Error::Finalized(id.to_string()))
        }
        Some((rowid, _, pid, pname)) => Ok((rowid, pid, pname)),
    }
}
