//! Point-in-time RDB snapshots without fork() and without copying the
//! dataset (the persistence half of [`moon_store::snapshot`]).
//!
//! [`Snapshot::begin`] runs under the exclusive world lock: it notes which
//! databases hold keys and their sizes (for RESIZEDB) and publishes the
//! epoch. [`Snapshot::write`] then runs on a background thread: it walks
//! every stripe in order, locking each (which captures it if nobody did
//! yet), and streams the captured records to the file. A stripe that a
//! client touches first is captured by that client and queued here for
//! the writer.
//!
//! Memory: only stripes captured since the writer's last step are held
//! (it drains them after each stripe it visits), in serialized form. The
//! exception is a burst under the exclusive world lock (FLUSHALL or
//! SWAPDB during a snapshot capture every stripe they touch before
//! changing it), held until the lock is released.

use crate::file::{self, db_header, FileOpts, SaveStats};
use crate::{types as t, CRC64};
use moon_store::snapshot::Capture;
use moon_store::{Keyspace, Stripe};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

/// A database that held keys at the epoch.
struct DbPlan {
    index: usize,
    keys: usize,
    volatile: usize,
}

/// One captured stripe waiting to be written.
struct Captured {
    plan: usize,
    records: Vec<u8>,
    keys: u64,
}

pub struct Snapshot {
    opts: FileOpts,
    plans: Vec<DbPlan>,
    /// Stripes captured and not yet written, in capture order. The writer
    /// drains it after every stripe it visits, so a stripe a client
    /// captured waits at most one step, not until the walk reaches it.
    queue: Mutex<Vec<Captured>>,
    /// Set by capture when a value could not be serialized.
    failure: Mutex<Option<String>>,
    cancel: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Ends the keyspace's snapshot however `write` returns.
struct EndOnDrop<'a>(&'a Keyspace);

impl Drop for EndOnDrop<'_> {
    fn drop(&mut self) {
        self.0.snap.end();
    }
}

impl Capture for Snapshot {
    fn capture(&self, db: usize, _stripe: usize, st: &Stripe) {
        let Some(plan) = self.plans.iter().position(|p| p.index == db) else { return };
        if st.is_empty() {
            return;
        }
        let mut records = Vec::new();
        let mut keys = 0u64;
        for e in st.iter() {
            if let Err(x) = file::key_value(&mut records, e, &self.opts) {
                lock(&self.failure).get_or_insert(x.0);
                break;
            }
            keys += 1;
        }
        lock(&self.queue).push(Captured { plan, records, keys });
    }
}

impl Snapshot {
    /// Mark the epoch. The caller holds the world lock exclusively, so no
    /// command runs while the sizes are read and the epoch is published.
    /// None if a snapshot of `ks` is already in progress.
    pub fn begin(ks: &Keyspace, opts: FileOpts) -> Option<Arc<Snapshot>> {
        if ks.snap.active() != 0 {
            return None;
        }
        let mut plans = Vec::new();
        for (i, db) in ks.dbs.iter().enumerate() {
            if !db.allocated() {
                continue;
            }
            let (keys, volatile) = db.sizes();
            if keys == 0 {
                continue;
            }
            plans.push(DbPlan { index: i, keys, volatile });
        }
        let s =
            Arc::new(Snapshot { opts, plans, queue: Mutex::new(Vec::new()), failure: Mutex::new(None), cancel: AtomicBool::new(false) });
        ks.snap.begin(s.clone());
        Some(s)
    }

    /// Ask a running `write` to stop (it then returns an Interrupted error).
    pub fn cancel(&self) {
        self.cancel.store(true, Relaxed);
    }

    /// Write the file as of the epoch to `w` and end the snapshot (also
    /// when it fails). Runs without the world lock.
    ///
    /// Stripes are written in the order they were captured; a database's
    /// records may therefore come in several runs, each after its own
    /// SELECTDB (RESIZEDB before the first), which every RDB loader
    /// accepts: SELECTDB only switches the database records go to.
    pub fn write<W: Write>(&self, ks: &Keyspace, w: &mut W) -> io::Result<SaveStats> {
        let _end = EndOnDrop(ks);
        let mut crc = CRC64.digest();
        let mut bytes = 0u64;
        let mut keys = 0u64;
        let mut out = |buf: &[u8]| -> io::Result<()> {
            crc.update(buf);
            bytes += buf.len() as u64;
            w.write_all(buf)
        };
        let mut head = Vec::with_capacity(256);
        file::header(&mut head, &self.opts);
        out(&head)?;
        let mut current: Option<usize> = None;
        let mut resized = vec![false; self.plans.len()];
        let mut batch = Vec::new();
        for plan in &self.plans {
            let db = &ks.dbs[plan.index];
            for i in 0..db.nstripes() {
                if self.cancel.load(Relaxed) {
                    return Err(io::Error::new(io::ErrorKind::Interrupted, "snapshot cancelled"));
                }
                // Locking captures the stripe unless a client already did.
                drop(db.lock(i));
                std::mem::swap(&mut batch, &mut *lock(&self.queue));
                for c in batch.drain(..) {
                    if current != Some(c.plan) {
                        let p = &self.plans[c.plan];
                        head.clear();
                        if resized[c.plan] {
                            head.push(t::OP_SELECTDB);
                            crate::writer::put_len(&mut head, p.index as u64);
                        } else {
                            db_header(&mut head, p.index, p.keys, p.volatile);
                            resized[c.plan] = true;
                        }
                        out(&head)?;
                        current = Some(c.plan);
                    }
                    out(&c.records)?;
                    keys += c.keys;
                }
                if let Some(f) = lock(&self.failure).take() {
                    return Err(io::Error::other(f));
                }
            }
        }
        out(&[t::OP_EOF])?;
        let sum = if self.opts.checksum { crc.finalize() } else { 0 };
        w.write_all(&sum.to_le_bytes())?;
        Ok(SaveStats { keys, bytes: bytes + 8 })
    }
}
