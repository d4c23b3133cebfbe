//! Folds the write-ahead log into the database file off the save path.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so one
//! autosave in ~20 paid for copying the whole WAL and syncing the database file (40–90 ms at
//! 100,000 records). Instead a second connection on its own thread runs a PASSIVE checkpoint
//! every second; PASSIVE never blocks the writer or readers. Durability does not depend on it:
//! each commit is synced to the WAL (`synchronous=FULL`) before a save is acknowledged.
//!
//! The thread holds only its connection (the key is applied before it starts and not kept).
//! It stops, and its connection closes, before the store's own connection does, so the
//! store's close still folds in and removes the WAL.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// How often the checkpointer looks at the WAL.
pub(crate) const EVERY: Duration = Duration::from_secs(1);

/// The store's own connection still checkpoints once the WAL holds this many pages (about
/// 40 MB): a safety net if the checkpointer cannot keep up or has stopped.
pub(crate) const FALLBACK_PAGES: u32 = 10_000;

pub(crate) struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(crate) fn start(path: &Path, key: Option<&str>) -> rusqlite::Result<Checkpointer> {
        let conn = Connection::open(path)?;
        if let Some(k) = key {
            conn.execute_batch(&format!(
                "PRAGMA cipher_log_level = NONE; PRAGMA key = \"{k}\";"
            ))?;
        }
        // a checkpoint that would wait is skipped; the next tick tries again
        conn.busy_timeout(Duration::ZERO)?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
        let (stop, ticks) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hikae-checkpoint".into())
            .spawn(move || loop {
                match ticks.recv_timeout(EVERY) {
                    Err(RecvTimeoutError::Timeout) => {
                        // errors (busy, disk full) leave the WAL as it is: still durable,
                        // and the store's fallback checkpoint bounds its size
                        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    }
                    _ => return,
                }
            })
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
