//! The keyspace side of fork-less point-in-time snapshots.
//!
//! A snapshot begins under the exclusive world lock: it registers a
//! [`Capture`] and publishes a new epoch in [`SnapHook::active`]. From then
//! on, whoever takes a stripe lock first (a writer, a reader, the expiry
//! cycle, or the background writer walking the stripes in order) finds the
//! stripe's `snap_epoch` behind the active epoch and hands the stripe to
//! the capture before doing anything with it: the stripe is serialized
//! exactly as it was at the epoch, because nothing can have changed it
//! without taking its lock first. The hot-path cost is one Relaxed load
//! and a compare per lock acquisition; no data is copied up front.
//!
//! Visibility: the epoch is stored while every command thread is shut out
//! by the exclusive world lock, and every thread that touches stripes
//! (commands, expiry, eviction) takes the world lock shared first, so the
//! load after that acquire observes the new epoch. Stripes allocated
//! while a snapshot runs belong to databases that were empty at the epoch
//! and are born captured.

use crate::stripe::Stripe;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// Receives each stripe of a snapshot once, locked, before anything
/// changes it after the epoch.
pub trait Capture: Send + Sync {
    fn capture(&self, db: usize, stripe: usize, st: &Stripe);
}

/// Shared by every database of a keyspace.
#[derive(Default)]
pub struct SnapHook {
    /// Epoch of the snapshot in progress; 0 when none.
    active: AtomicU64,
    last_epoch: AtomicU64,
    capture: Mutex<Option<Arc<dyn Capture>>>,
}

impl SnapHook {
    /// The epoch in progress (0: none).
    #[inline]
    pub fn active(&self) -> u64 {
        self.active.load(Relaxed)
    }

    /// Start a snapshot: the caller holds the world lock exclusively, and
    /// no snapshot is in progress. Returns the new epoch.
    pub fn begin(&self, c: Arc<dyn Capture>) -> u64 {
        let e = self.last_epoch.fetch_add(1, Relaxed) + 1;
        *self.capture.lock().unwrap_or_else(|p| p.into_inner()) = Some(c);
        self.active.store(e, Relaxed);
        e
    }

    /// End the snapshot (every stripe it needs has been captured, or it
    /// was abandoned).
    pub fn end(&self) {
        self.active.store(0, Relaxed);
        *self.capture.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn capture_slow(&self, db: usize, stripe: usize, st: &mut Stripe, epoch: u64) {
        let c = self.capture.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(c) = c {
            c.capture(db, stripe, st);
        }
        st.snap_epoch = epoch;
    }
}
