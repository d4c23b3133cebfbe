//! The audit table: appended inside the transaction of the change it describes, hash-chained,
//! anchored by a small file next to the database that holds the last (seq, hash) written, so a
//! log cut short is noticed too.

use std::path::PathBuf;

use chrono::Utc;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{db_err, parse_ts, Store};
use hikae_domain::audit::{entry_hash, ts, Action, Actor, Entry, Event, GENESIS};
use hikae_domain::error::{Error, Result};

/// Filters for reading the log; all given must match.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub record_id: Option<String>,
    pub action: Option<Action>,
    pub break_glass_only: bool,
    pub limit: Option<usize>,
}

const COLS: &str = "seq, at, actor_id, actor_name, actor_role, session, break_glass, action, success, record_id, patient_id, purpose, data_category, final_reviewer, detail, prev_hash, hash";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    let action: String = r.get(7)?;
    Ok(Entry {
        seq: r.get(0)?,
        at: parse_ts(&r.get::<_, String>(1)?)?,
        event: Event {
            actor: Actor {
                id: r.get(2)?,
                name: r.get(3)?,
                role: r.get(4)?,
                session: r.get(5)?,
                break_glass: r.get(6)?,
            },
            action: Action::parse(&action).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    7,
                    rusqlite::types::Type::Text,
                    format!("unknown audit action {action:?}").into(),
                )
            })?,
            success: r.get(8)?,
            record_id: r.get(9)?,
            patient_id: r.get(10)?,
            purpose: r.get(11)?,
            data_category: r.get(12)?,
            final_reviewer: r.get(13)?,
            detail: r.get(14)?,
        },
        prev_hash: r.get(15)?,
        hash: r.get(16)?,
    })
}

/// A write in progress (see [`Store::audited`]): its transaction and the entries logged in it.
pub(super) struct Audited<'c> {
    pub(super) tx: rusqlite::Transaction<'c>,
    /// The entry queued for this write, appended after the change.
    pub(super) pending: Option<Event>,
    last: Option<(i64, String)>,
    pub(super) path: PathBuf,
}

/// The last entry's (seq, hash), and the hash of the entry at a given seq.
pub type AuditHead = (Option<(i64, String)>, Option<String>);

impl Audited<'_> {
    /// Appends `e` in this write's transaction; its sequence number.
    pub(super) fn log(&mut self, e: &Event) -> Result<i64> {
        let (seq, hash) = append(&self.tx, e).map_err(|err| db_err(&self.path, err))?;
        self.last = Some((seq, hash));
        Ok(seq)
    }

    /// The database error of this write, naming the file.
    pub(super) fn db(&self, e: rusqlite::Error) -> Error {
        db_err(&self.path, e)
    }
}

/// Appends `e` inside `tx`; returns (seq, hash) for the anchor once committed.
pub(super) fn append(tx: &rusqlite::Transaction, e: &Event) -> rusqlite::Result<(i64, String)> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let at = ts(Utc::now());
    let hash = entry_hash(seq, &at, e, &prev);
    tx.execute(
        &format!("INSERT INTO audit_log ({COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)"),
        params![
            seq, at, e.actor.id, e.actor.name, e.actor.role, e.actor.session, e.actor.break_glass,
            e.action.as_str(), e.success, e.record_id, e.patient_id, e.purpose, e.data_category,
            e.final_reviewer, e.detail, prev, hash
        ],
    )?;
    Ok((seq, hash))
}

impl Store {
    /// Where the anchor (last seq and hash) lives: next to the database file.
    pub fn audit_anchor_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".audit-anchor");
        self.path.with_file_name(name)
    }

    /// The anchor as last written, if any.
    pub fn audit_anchor(&self) -> Result<Option<(i64, String)>> {
        let path = self.audit_anchor_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut parts = text.split_whitespace();
        match (parts.next().and_then(|s| s.parse().ok()), parts.next()) {
            (Some(seq), Some(hash)) => Ok(Some((seq, hash.to_string()))),
            _ => Err(Error::Input(format!(
                "{}: not an audit anchor (expected 'seq hash')",
                path.display()
            ))),
        }
    }

    pub(super) fn write_anchor(&self, seq: i64, hash: &str) -> Result<()> {
        hikae_files::write_atomically(
            &self.audit_anchor_path(),
            format!("{seq} {hash}\n").as_bytes(),
        )
    }

    /// Queues an event to be written with the next change, in its transaction.
    pub fn audit_with_next_write(&mut self, e: Event) {
        self.pending_audit = Some(e);
    }

    /// Drops an entry queued for a write that did not happen.
    pub fn discard_pending_audit(&mut self) {
        self.pending_audit = None;
    }

    /// Appends an event on its own (reads, logins, prints: things that change no record).
    /// An entry queued for the next write stays queued.
    pub fn audit(&mut self, e: &Event) -> Result<i64> {
        let queued = self.pending_audit.take();
        let out = self.audited(|w| w.log(e));
        self.pending_audit = queued;
        out
    }

    /// The one way the store writes: one immediate transaction holding the change and its
    /// audit entries, committed together, then the anchor moved to the last entry written.
    /// The entry queued by [`Store::audit_with_next_write`] belongs to this write: the change
    /// may fill it in (`w.pending`), and it is appended after the change. A failed change
    /// writes nothing, and the queued entry is gone with it.
    pub(super) fn audited<T>(
        &mut self,
        change: impl FnOnce(&mut Audited) -> Result<T>,
    ) -> Result<T> {
        let pending = self.pending_audit.take();
        let path = self.path.clone();
        let (out, last) = {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|err| db_err(&path, err))?;
            let mut w = Audited {
                tx,
                pending,
                last: None,
                path: path.clone(),
            };
            let out = change(&mut w)?;
            if let Some(e) = w.pending.take() {
                w.log(&e)?;
            }
            let Audited { tx, last, .. } = w;
            tx.commit().map_err(|err| db_err(&path, err))?;
            (out, last)
        };
        if let Some((seq, hash)) = last {
            self.write_anchor(seq, &hash)?;
        }
        Ok(out)
    }

    /// The last entry's (seq, hash), and the hash of the entry at `seq` (the anchor's).
    pub fn audit_head(&self, seq: Option<i64>) -> Result<AuditHead> {
        let last = self
            .conn
            .query_row(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))?;
        let at = match seq {
            Some(s) => self
                .conn
                .query_row("SELECT hash FROM audit_log WHERE seq = ?1", [s], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(|e| db_err(&self.path, e))?,
            None => None,
        };
        Ok((last, at))
    }

    /// Entries matching `q`, oldest first (the last `limit` of them).
    pub fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<Entry>> {
        let mut sql = format!("SELECT {COLS} FROM audit_log WHERE 1=1");
        let mut args: Vec<String> = Vec::new();
        if let Some(a) = &q.actor {
            sql.push_str(" AND (actor_id = ? OR actor_name = ?)");
            args.push(a.clone());
            args.push(a.clone());
        }
        if let Some(r) = &q.record_id {
            sql.push_str(" AND record_id = ?");
            args.push(r.clone());
        }
        if let Some(a) = q.action {
            sql.push_str(" AND action = ?");
            args.push(a.as_str().to_string());
        }
        if q.break_glass_only {
            sql.push_str(" AND break_glass = 1");
        }
        sql.push_str(" ORDER BY seq DESC");
        if let Some(n) = q.limit {
            sql.push_str(&format!(" LIMIT {n}"));
        }
        let mut stmt = self.conn.prepare(&sql).map_err(|e| db_err(&self.path, e))?;
        let mut out: Vec<Entry> = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), row)
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, e))?;
        out.reverse();
        Ok(out)
    }
}

/// Entries from `seq` on, oldest first.
pub(super) fn entries_from(conn: &rusqlite::Connection, seq: i64) -> rusqlite::Result<Vec<Entry>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLS} FROM audit_log WHERE seq >= ?1 ORDER BY seq"
    ))?;
    let rows = stmt.query_map([seq], row)?.collect();
    rows
}
