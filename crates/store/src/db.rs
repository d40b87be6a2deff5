//! Databases and the keyspace. A database is S stripes (a power of two
//! dividing 16384); a key's stripe is `hash_slot(key) % S`, so a cluster
//! slot's keys always share a stripe. Stripes are allocated on first use so
//! an idle server with 16 empty databases stays small.

use crate::slot::{hash_slot, SLOTS};
use crate::snapshot::SnapHook;
use crate::spin::{SpinGuard as MutexGuard, SpinMutex as Mutex};
use crate::stripe::Stripe;
use std::sync::{Arc, OnceLock};

pub struct Db {
    stripes: OnceLock<Box<[Mutex<Stripe>]>>,
    mask: usize,
    index: usize,
    snap: Arc<SnapHook>,
}

impl Db {
    /// A database of its own (not part of a keyspace's snapshots).
    pub fn new(nstripes: usize) -> Db {
        Db::with_hook(nstripes, 0, Arc::default())
    }

    fn with_hook(nstripes: usize, index: usize, snap: Arc<SnapHook>) -> Db {
        assert!(nstripes.is_power_of_two() && nstripes <= SLOTS, "stripes must be a power of two <= 16384");
        Db { stripes: OnceLock::new(), mask: nstripes - 1, index, snap }
    }

    #[inline]
    pub fn nstripes(&self) -> usize {
        self.mask + 1
    }

    #[inline]
    pub fn stripe_of(&self, key: &[u8]) -> usize {
        hash_slot(key) & self.mask
    }

    /// Private: every stripe lock goes through `lock` / `try_lock` /
    /// `for_each_stripe`, which let a running snapshot capture the stripe
    /// before it is used.
    #[inline]
    fn stripe(&self, i: usize) -> &Mutex<Stripe> {
        &self.stripes.get_or_init(|| {
            // Empty at any epoch in progress: born captured.
            let e = self.snap.active();
            (0..=self.mask)
                .map(|_| {
                    let mut s = Stripe::new();
                    s.snap_epoch = e;
                    Mutex::new(s)
                })
                .collect()
        })[i]
    }

    #[inline]
    fn snap_check(&self, i: usize, g: &mut Stripe) {
        let e = self.snap.active();
        if e != 0 && g.snap_epoch != e {
            self.snap.capture_slow(self.index, i, g, e);
        }
    }

    #[inline]
    pub fn lock(&self, i: usize) -> MutexGuard<'_, Stripe> {
        let mut g = self.stripe(i).lock();
        self.snap_check(i, &mut g);
        g
    }

    pub fn try_lock(&self, i: usize) -> Option<MutexGuard<'_, Stripe>> {
        let mut g = self.stripe(i).try_lock()?;
        self.snap_check(i, &mut g);
        Some(g)
    }

    /// This database's number in its keyspace.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Whether any stripe was ever allocated (an untouched db is empty).
    pub fn allocated(&self) -> bool {
        self.stripes.get().is_some()
    }

    /// Visit every stripe, locking one at a time.
    pub fn for_each_stripe(&self, mut f: impl FnMut(usize, &mut Stripe)) {
        if let Some(stripes) = self.stripes.get() {
            for (i, s) in stripes.iter().enumerate() {
                let mut g = s.lock();
                self.snap_check(i, &mut g);
                f(i, &mut g);
            }
        }
    }

    /// Key count and keys-with-expire count.
    pub fn sizes(&self) -> (usize, usize) {
        let (mut keys, mut vol) = (0, 0);
        self.for_each_stripe(|_, s| {
            keys += s.len();
            vol += s.volatile();
        });
        (keys, vol)
    }
}

/// All databases of the server.
pub struct Keyspace {
    pub dbs: Vec<Db>,
    /// Fork-less snapshots of this keyspace (see [`crate::snapshot`]).
    pub snap: Arc<SnapHook>,
}

impl Keyspace {
    pub fn new(databases: usize, nstripes: usize) -> Keyspace {
        let snap = Arc::<SnapHook>::default();
        Keyspace { dbs: (0..databases).map(|i| Db::with_hook(nstripes, i, snap.clone())).collect(), snap }
    }

    /// Swap the contents of two databases. The caller must hold the world
    /// lock exclusively, so no other command observes a half-swapped state.
    /// A snapshot in progress captures both stripes of each pair (through
    /// `lock`) before they trade places, so it still writes each database
    /// as it was at its epoch.
    pub fn swap(&self, a: usize, b: usize) {
        if a == b {
            return;
        }
        let (da, db) = (&self.dbs[a], &self.dbs[b]);
        for i in 0..da.nstripes() {
            let (lo, hi) = if a < b { (da, db) } else { (db, da) };
            let mut g1 = lo.lock(i);
            let mut g2 = hi.lock(i);
            std::mem::swap(&mut *g1, &mut *g2);
        }
    }
}
