//! Point-in-time RDB snapshots without fork() and without copying the
//! dataset (the persistence half of [`moon_store::snapshot`]).
//!
//! [`Snapshot::begin`] runs under the exclusive world lock: it notes which
//! databases hold keys and their sizes (for RESIZEDB) and publishes the
//! epoch. [`Snapshot::write`] then runs on a background thread: it walks
//! every stripe in order, locking each (which captures it if nobody did
//! yet), and streams the stripe's records to the file. A stripe that a
//! client touches first is captured by that client, into its slot here,
//! and waits for the writer; only those stripes are ever buffered.
//!
//! Memory: at most the serialized form of the stripes touched before the
//! writer reached them (commonly a small fraction; all of it in the worst
//! case, e.g. FLUSHALL during a snapshot, which captures every stripe
//! before clearing it).

use crate::file::{self, db_header, FileOpts, SaveStats};
use crate::{types as t, CRC64};
use moon_store::snapshot::Capture;
use moon_store::{Keyspace, Stripe};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

enum Slot {
    /// Not captured yet.
    Pending,
    /// Captured: the stripe's records and how many keys they hold.
    Ready(Vec<u8>, u64),
    /// Written to the file.
    Written,
}

struct DbPlan {
    index: usize,
    keys: usize,
    volatile: usize,
    slots: Box<[Mutex<Slot>]>,
}

pub struct Snapshot {
    opts: FileOpts,
    plans: Vec<DbPlan>,
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
    fn capture(&self, db: usize, stripe: usize, st: &Stripe) {
        let Some(plan) = self.plans.iter().find(|p| p.index == db) else { return };
        let Some(slot) = plan.slots.get(stripe) else { return };
        let mut buf = Vec::new();
        let mut n = 0u64;
        for e in st.iter() {
            if let Err(x) = file::key_value(&mut buf, e, &self.opts) {
                lock(&self.failure).get_or_insert(x.0);
                break;
            }
            n += 1;
        }
        *lock(slot) = Slot::Ready(buf, n);
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
            let slots = (0..db.nstripes()).map(|_| Mutex::new(Slot::Pending)).collect();
            plans.push(DbPlan { index: i, keys, volatile, slots });
        }
        let s = Arc::new(Snapshot { opts, plans, failure: Mutex::new(None), cancel: AtomicBool::new(false) });
        ks.snap.begin(s.clone());
        Some(s)
    }

    /// Ask a running `write` to stop (it then returns an Interrupted error).
    pub fn cancel(&self) {
        self.cancel.store(true, Relaxed);
    }

    /// Write the file as of the epoch to `w` and end the snapshot (also
    /// when it fails). Runs without the world lock.
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
        for plan in &self.plans {
            db_header(&mut head, plan.index, plan.keys, plan.volatile);
            out(&head)?;
            head.clear();
            let db = &ks.dbs[plan.index];
            for (i, slot) in plan.slots.iter().enumerate() {
                if self.cancel.load(Relaxed) {
                    return Err(io::Error::new(io::ErrorKind::Interrupted, "snapshot cancelled"));
                }
                // Locking captures the stripe unless a client already did.
                drop(db.lock(i));
                let taken = std::mem::replace(&mut *lock(slot), Slot::Written);
                if let Slot::Ready(buf, n) = taken {
                    out(&buf)?;
                    keys += n;
                }
                if let Some(f) = lock(&self.failure).take() {
                    return Err(io::Error::other(f));
                }
            }
        }
        head.push(t::OP_EOF);
        out(&head)?;
        let sum = if self.opts.checksum { crc.finalize() } else { 0 };
        w.write_all(&sum.to_le_bytes())?;
        Ok(SaveStats { keys, bytes: bytes + 8 })
    }
}
