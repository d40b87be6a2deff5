//! Databases and the keyspace. A database is S stripes (a power of two
//! dividing 16384); a key's stripe is `hash_slot(key) % S`, so a cluster
//! slot's keys always share a stripe. Stripes are allocated on first use so
//! an idle server with 16 empty databases stays small.

use crate::slot::{hash_slot, SLOTS};
use crate::spin::{SpinGuard as MutexGuard, SpinMutex as Mutex};
use crate::stripe::Stripe;
use std::sync::OnceLock;

pub struct Db {
    stripes: OnceLock<Box<[Mutex<Stripe>]>>,
    mask: usize,
}

impl Db {
    pub fn new(nstripes: usize) -> Db {
        assert!(nstripes.is_power_of_two() && nstripes <= SLOTS, "stripes must be a power of two <= 16384");
        Db { stripes: OnceLock::new(), mask: nstripes - 1 }
    }

    #[inline]
    pub fn nstripes(&self) -> usize {
        self.mask + 1
    }

    #[inline]
    pub fn stripe_of(&self, key: &[u8]) -> usize {
        hash_slot(key) & self.mask
    }

    #[inline]
    pub fn stripe(&self, i: usize) -> &Mutex<Stripe> {
        &self.stripes.get_or_init(|| (0..=self.mask).map(|_| Mutex::new(Stripe::new())).collect())[i]
    }

    #[inline]
    pub fn lock(&self, i: usize) -> MutexGuard<'_, Stripe> {
        self.stripe(i).lock()
    }

    pub fn try_lock(&self, i: usize) -> Option<MutexGuard<'_, Stripe>> {
        self.stripe(i).try_lock()
    }

    /// Whether any stripe was ever allocated (an untouched db is empty).
    pub fn allocated(&self) -> bool {
        self.stripes.get().is_some()
    }

    /// Visit every stripe, locking one at a time.
    pub fn for_each_stripe(&self, mut f: impl FnMut(usize, &mut Stripe)) {
        if let Some(stripes) = self.stripes.get() {
            for (i, s) in stripes.iter().enumerate() {
                f(i, &mut s.lock());
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
}

impl Keyspace {
    pub fn new(databases: usize, nstripes: usize) -> Keyspace {
        Keyspace { dbs: (0..databases).map(|_| Db::new(nstripes)).collect() }
    }

    /// Swap the contents of two databases. The caller must hold the world
    /// lock exclusively, so no other command observes a half-swapped state.
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
