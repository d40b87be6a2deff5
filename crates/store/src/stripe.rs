//! One stripe of a database: a hash table of entries behind one lock.
//!
//! Entries never move inside the table except when it grows or rehashes in
//! place; `epoch` counts those moments so a SCAN cursor that spans one can
//! restart the stripe (duplicates are allowed by SCAN, misses are not).

use crate::clock;
use crate::entry::Entry;
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::sync::OnceLock;

static HASHER: OnceLock<foldhash::fast::FixedState> = OnceLock::new();

/// The keyspace hash (randomly seeded per process against hash flooding).
#[inline]
pub fn key_hash(key: &[u8]) -> u64 {
    HASHER
        .get_or_init(|| {
            let seed = std::collections::hash_map::RandomState::new().hash_one(0x6d6f6f6eu64);
            foldhash::fast::FixedState::with_seed(seed)
        })
        .hash_one(key)
}

#[derive(Default)]
pub struct Stripe {
    table: HashTable<Entry>,
    /// Entries with an expire time.
    volatile: usize,
    /// Bumped when the table's layout may have changed (growth, rehash).
    epoch: u32,
    /// Where the active expiry cycle resumes.
    expire_cursor: usize,
    /// Keys removed by expiry (lazy or active) not yet counted in stats.
    expired_pending: u64,
}

/// Result of a SCAN step over one stripe.
pub struct ScanStep {
    /// Bucket to resume at, or None when the stripe is done.
    pub next: Option<usize>,
    pub epoch: u32,
}

impl Stripe {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    pub fn volatile(&self) -> usize {
        self.volatile
    }

    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Expired-key count since the last call (for INFO's expired_keys).
    pub fn take_expired(&mut self) -> u64 {
        std::mem::take(&mut self.expired_pending)
    }

    /// The live entry for `key`; an expired one is deleted on the way
    /// (lazy expiry). Does not touch the LRU.
    #[inline]
    pub fn get(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        let h = key_hash(key);
        let expired = match self.table.find(h, |e| e.key() == key) {
            None => return None,
            Some(e) => matches!(e.expire(), Some(t) if now > t),
        };
        if expired {
            self.remove_hashed(h, key);
            self.expired_pending += 1;
            return None;
        }
        self.table.find_mut(h, |e| e.key() == key)
    }

    /// Like `get`, and records the access in the entry's LRU/LFU field.
    #[inline]
    pub fn get_touch(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        let e = self.get(key, now)?;
        touch(e, now);
        Some(e)
    }

    /// The entry without expiry checks (for code that already checked).
    pub fn peek(&self, key: &[u8]) -> Option<&Entry> {
        self.table.find(key_hash(key), |e| e.key() == key)
    }

    /// Whether a live (unexpired) key exists, without deleting anything.
    pub fn contains_live(&self, key: &[u8], now: i64) -> bool {
        self.peek(key).is_some_and(|e| !matches!(e.expire(), Some(t) if now > t))
    }

    /// Insert or replace; returns the previous entry.
    pub fn insert(&mut self, mut entry: Entry) -> Option<Entry> {
        let h = key_hash(entry.key());
        if entry.expire().is_some() {
            self.volatile += 1;
        }
        if entry.lru() == 0 {
            touch(&mut entry, clock::now_ms());
        }
        if let Some(slot) = self.table.find_mut(h, |e| e.key() == entry.key()) {
            let old = std::mem::replace(slot, entry);
            if old.expire().is_some() {
                self.volatile -= 1;
            }
            return Some(old);
        }
        if self.table.len() == self.table.capacity() {
            self.epoch = self.epoch.wrapping_add(1);
        }
        self.table.insert_unique(h, entry, |e| key_hash(e.key()));
        None
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        self.remove_hashed(key_hash(key), key)
    }

    fn remove_hashed(&mut self, h: u64, key: &[u8]) -> Option<Entry> {
        let (e, _) = self.table.find_entry(h, |e| e.key() == key).ok()?.remove();
        if e.expire().is_some() {
            self.volatile -= 1;
        }
        Some(e)
    }

    /// Set or clear a key's expire time; false if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], t: Option<i64>) -> bool {
        let Some(e) = self.table.find_mut(key_hash(key), |e| e.key() == key) else { return false };
        let had = e.expire().is_some();
        e.set_expire(t);
        match (had, t.is_some()) {
            (false, true) => self.volatile += 1,
            (true, false) => self.volatile -= 1,
            _ => {}
        }
        true
    }

    /// Drop every entry.
    pub fn clear(&mut self) -> usize {
        let n = self.table.len();
        self.table = HashTable::new();
        self.volatile = 0;
        self.epoch = self.epoch.wrapping_add(1);
        self.expire_cursor = 0;
        n
    }

    /// Take the whole table out (for FLUSHALL ASYNC: freed elsewhere).
    pub fn take_all(&mut self) -> HashTable<Entry> {
        self.volatile = 0;
        self.epoch = self.epoch.wrapping_add(1);
        self.expire_cursor = 0;
        std::mem::take(&mut self.table)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.table.iter()
    }

    /// Visit entries from bucket `pos` on, stopping after about `count`
    /// entries. A stale `epoch` restarts the stripe from bucket 0.
    pub fn scan(&self, pos: usize, epoch: u32, count: usize, mut f: impl FnMut(&Entry)) -> ScanStep {
        let n = self.table.num_buckets();
        let mut i = if epoch == self.epoch { pos } else { 0 };
        let mut seen = 0;
        while i < n {
            if let Some(e) = self.table.get_bucket(i) {
                f(e);
                seen += 1;
            }
            i += 1;
            if seen >= count {
                break;
            }
        }
        ScanStep { next: (i < n).then_some(i), epoch: self.epoch }
    }

    /// A pseudo-random entry (for RANDOMKEY and sampling), `r` a random number.
    pub fn random(&self, r: u64) -> Option<&Entry> {
        if self.table.is_empty() {
            return None;
        }
        let n = self.table.num_buckets();
        let start = (r % n as u64) as usize;
        (0..n).find_map(|k| self.table.get_bucket((start + k) % n))
    }

    /// One step of active expiry: examine up to `max_buckets` buckets from
    /// the resume point, deleting expired entries. Returns (volatile
    /// entries examined, entries expired).
    pub fn expire_step(&mut self, now: i64, max_buckets: usize) -> (usize, usize) {
        if self.volatile == 0 {
            return (0, 0);
        }
        let n = self.table.num_buckets();
        if self.expire_cursor >= n {
            self.expire_cursor = 0;
        }
        let (mut sampled, mut expired) = (0, 0);
        let end = (self.expire_cursor + max_buckets).min(n);
        for i in self.expire_cursor..end {
            let Some(e) = self.table.get_bucket(i) else { continue };
            let Some(t) = e.expire() else { continue };
            sampled += 1;
            if now > t {
                if let Ok(occ) = self.table.get_bucket_entry(i) {
                    occ.remove();
                    self.volatile -= 1;
                    expired += 1;
                }
            }
        }
        self.expire_cursor = if end >= n { 0 } else { end };
        self.expired_pending += expired as u64;
        (sampled, expired)
    }
}

/// Record an access in the entry's LRU (or LFU) field.
#[inline]
pub fn touch(e: &mut Entry, now: i64) {
    if clock::lfu_enabled() {
        // LFU bookkeeping lives with the eviction policy; keep the field
        // stable until that policy is configured.
        return;
    }
    e.set_lru(clock::lru_clock(now));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_expiry_and_volatile_count() {
        let mut s = Stripe::new();
        s.insert(Entry::new_str(b"a", b"1", Some(100)));
        s.insert(Entry::new_str(b"b", b"2", None));
        assert_eq!(s.volatile(), 1);
        assert!(s.get(b"a", 100).is_some());
        assert!(s.get(b"a", 101).is_none());
        assert_eq!((s.len(), s.volatile(), s.take_expired()), (1, 0, 1));
        assert!(s.set_expire(b"b", Some(5)));
        assert_eq!(s.volatile(), 1);
        s.insert(Entry::new_str(b"b", b"3", None));
        assert_eq!(s.volatile(), 0);
    }

    #[test]
    fn scan_visits_every_key_despite_growth() {
        let mut s = Stripe::new();
        for i in 0..100 {
            s.insert(Entry::new_str(format!("k{i}").as_bytes(), b"v", None));
        }
        let mut seen = std::collections::HashSet::new();
        let (mut pos, mut epoch) = (0, s.epoch());
        let mut added = 100;
        loop {
            let step = s.scan(pos, epoch, 7, |e| {
                seen.insert(e.key().to_vec());
            });
            // Grow the table once, mid-scan.
            for _ in 0..if added == 100 { 200 } else { 0 } {
                s.insert(Entry::new_str(format!("k{added}").as_bytes(), b"v", None));
                added += 1;
            }
            match step.next {
                None => break,
                Some(p) => (pos, epoch) = (p, step.epoch),
            }
        }
        for i in 0..100 {
            assert!(seen.contains(format!("k{i}").as_bytes()), "missed k{i}");
        }
    }

    #[test]
    fn active_expiry_removes_expired() {
        let mut s = Stripe::new();
        for i in 0..50 {
            s.insert(Entry::new_str(format!("k{i}").as_bytes(), b"v", Some(if i % 2 == 0 { 10 } else { 1000 })));
        }
        let mut total = 0;
        for _ in 0..10 {
            total += s.expire_step(500, 16).1;
        }
        assert_eq!(total, 25);
        assert_eq!((s.len(), s.volatile()), (25, 25));
    }
}
