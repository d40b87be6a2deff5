//! One stripe of a database: a [`Table`] of entries behind one lock.
//!
//! SCAN over a stripe: `scan(cursor, count, f) -> next`. Start with cursor
//! 0, pass back the returned cursor, stop when it returns 0. Every key
//! present in the stripe for the whole scan is visited at least once, no
//! matter how often the table grows, shrinks or is rebuilt between calls;
//! some keys may be visited more than once (as Redis' SCAN). The cursor is
//! a reverse-binary slot index: always `< capacity()` of the table that
//! returned it, so it needs log2(capacity) bits. The capacity is a power of
//! two between 1.25x and 10x the stripe's key count (4 at least; 0 before the
//! first insert and after clear), and can never exceed 2^60 (the largest slot array an
//! allocation can hold), so 60 bits always suffice; in practice 2^50 slots
//! would already be a 9 PB table, so reserving 14 bits for a stripe number
//! and 50 for this cursor is safe. Any u64 is accepted back: bits above the
//! current capacity are ignored, so a forged cursor can only make the scan
//! skip or repeat keys, never panic.

use crate::clock;
use crate::entry::Entry;
use crate::table::Table;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Keep the names of expired keys and of hashes that lost fields to
/// expiry, for keyspace notifications ("expired", "hexpired", "del");
/// off unless notify-keyspace-events asks for one of them.
pub static RECORD_EXPIRED: AtomicBool = AtomicBool::new(false);

/// Keep them too while clients track keys (CLIENT TRACKING): an expired
/// key, or a hash that lost fields, is invalidated like a written one.
pub static TRACK_EXPIRED: AtomicBool = AtomicBool::new(false);

/// Keep them, and the names of expired hash fields, while the journal is
/// on: it records what expiry removed as DEL and HDEL.
pub static JOURNAL_EXPIRED: AtomicBool = AtomicBool::new(false);

/// Whether expiry is recorded for notifications, tracking or the journal.
#[inline]
pub fn recording_expired() -> bool {
    RECORD_EXPIRED.load(Ordering::Relaxed) || TRACK_EXPIRED.load(Ordering::Relaxed) || JOURNAL_EXPIRED.load(Ordering::Relaxed)
}

/// What expiry removed from a key (see [`Stripe::take_expired_keys`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// The key itself expired.
    Key,
    /// Some fields of the hash expired; it still has others.
    Fields,
    /// The hash's last fields expired, so the key was deleted.
    FieldsAndKey,
}

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
    table: Table,
    /// Entries with an expire time.
    volatile: usize,
    /// Slot index where the active expiry cycle resumes.
    expire_cursor: usize,
    /// Keys removed by expiry (lazy or active) not yet counted in stats.
    expired_pending: u64,
    /// Entries flagged `has_field_ttl` (hashes with field TTLs): lookups
    /// purge their expired fields and the active expiry walks them too.
    field_ttl_keys: usize,
    /// Hash fields removed by expiry not yet counted in stats.
    expired_fields_pending: u64,
    /// Keys changed by expiry, kept only while `recording_expired()`.
    expired_keys: Vec<(Vec<u8>, Expiry)>,
    /// (hash, field) removed by expiry, kept only while JOURNAL_EXPIRED.
    expired_fields: Vec<(Vec<u8>, Vec<u8>)>,
    /// The last snapshot epoch this stripe was captured for (see
    /// [`crate::snapshot`]).
    pub(crate) snap_epoch: u64,
}

/// Hash fields one `expire_step` may delete per slot it examines.
const FIELDS_PER_SLOT: usize = 16;

#[inline]
fn is_expired(e: &Entry, now: i64) -> bool {
    matches!(e.expire(), Some(t) if now > t) && !crate::clock::loading()
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

    /// Slots in the table (a power of two, or 0); SCAN cursors are below it.
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// Heap bytes of the table itself (slots and tags, not the entries).
    pub fn table_bytes(&self) -> usize {
        self.table.table_bytes()
    }

    /// Expired-key count since the last call (for INFO's expired_keys).
    pub fn take_expired(&mut self) -> u64 {
        std::mem::take(&mut self.expired_pending)
    }

    /// The keys expired, and the hashes that lost fields to expiry, since
    /// the last call, in that order (only recorded while
    /// `recording_expired()`).
    pub fn take_expired_keys(&mut self) -> Vec<(Vec<u8>, Expiry)> {
        std::mem::take(&mut self.expired_keys)
    }

    /// The (hash, field) pairs expiry removed since the last call (only
    /// recorded while JOURNAL_EXPIRED is set).
    pub fn take_expired_field_names(&mut self) -> Vec<(Vec<u8>, Vec<u8>)> {
        std::mem::take(&mut self.expired_fields)
    }

    /// Count a key removed by expiry, keeping its name if asked to.
    #[inline]
    fn note_expired(&mut self, key: &[u8]) {
        self.expired_pending += 1;
        if recording_expired() {
            self.expired_keys.push((key.to_vec(), Expiry::Key));
        }
    }

    /// Hashes with field TTLs (INFO keyspace's subexpiry).
    pub fn field_ttl_keys(&self) -> usize {
        self.field_ttl_keys
    }

    /// Expired hash-field count since the last call (INFO's
    /// expired_subkeys).
    pub fn take_expired_fields(&mut self) -> u64 {
        std::mem::take(&mut self.expired_fields_pending)
    }

    /// Call after changing the field TTLs of `key`'s hash in place: flags
    /// the entry if it now has some (so lookups and the active expiry purge
    /// its expired fields), unflags it if it has none left.
    pub fn sync_field_ttl(&mut self, key: &[u8]) {
        let Some(i) = self.table.find(key_hash(key), key) else { return };
        let Some(e) = self.table.get_mut(i) else { return };
        let has = crate::hash::entry_has_field_ttl(e);
        if has != e.has_field_ttl() {
            e.set_field_ttl(has);
            if has {
                self.field_ttl_keys += 1;
            } else {
                self.field_ttl_keys -= 1;
            }
        }
    }

    /// Purge up to `max` expired fields of the flagged entry in slot `i`;
    /// an emptied hash is removed (without resizing the table). Returns
    /// whether the key is gone.
    fn expire_fields_at(&mut self, i: usize, now: i64, max: usize) -> bool {
        let Some(e) = self.table.get_mut(i) else { return false };
        let mut names = JOURNAL_EXPIRED.load(Ordering::Relaxed).then(Vec::new);
        let p = crate::hash::purge_entry(e, now, max, names.as_mut());
        self.expired_fields_pending += p.expired as u64;
        for f in names.into_iter().flatten() {
            self.expired_fields.push((e.key().to_vec(), f));
        }
        if p.expired > 0 && recording_expired() {
            // Redis sends one "hexpired" per key and purge, not per field.
            let kind = if p.empty { Expiry::FieldsAndKey } else { Expiry::Fields };
            self.expired_keys.push((e.key().to_vec(), kind));
        }
        if p.empty {
            self.take_at(i);
            return true;
        }
        if !p.has_ttl {
            e.set_field_ttl(false);
            self.field_ttl_keys -= 1;
        }
        false
    }

    /// The live entry for `key`; an expired one is deleted on the way
    /// (lazy expiry), and so are a hash's expired fields (a hash left
    /// without fields is deleted too). Does not touch the LRU.
    #[inline]
    pub fn get(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        let i = self.table.find(key_hash(key), key)?;
        let e = self.table.get(i)?;
        if is_expired(e, now) {
            self.take_at(i);
            self.table.shrink_if_sparse();
            self.note_expired(key);
            return None;
        }
        if e.has_field_ttl() && self.expire_fields_at(i, now, usize::MAX) {
            self.table.shrink_if_sparse();
            return None;
        }
        self.table.get_mut(i)
    }

    /// Like `get`, and records the access in the entry's LRU/LFU field.
    #[inline]
    pub fn get_touch(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        let e = self.get(key, now)?;
        touch(e, now);
        Some(e)
    }

    /// The entry without expiry checks (for code that already checked).
    #[inline]
    pub fn peek(&self, key: &[u8]) -> Option<&Entry> {
        self.table.get(self.table.find(key_hash(key), key)?)
    }

    /// Whether a live (unexpired) key exists, without deleting anything.
    pub fn contains_live(&self, key: &[u8], now: i64) -> bool {
        self.peek(key).is_some_and(|e| !is_expired(e, now))
    }

    /// Insert or replace; returns the previous entry.
    pub fn insert(&mut self, mut entry: Entry) -> Option<Entry> {
        let h = key_hash(entry.key());
        if entry.expire().is_some() {
            self.volatile += 1;
        }
        // Whatever built the entry (HSETEX, RENAME, COPY, MOVE), a hash with
        // field TTLs gets flagged here.
        if !entry.has_field_ttl() && crate::hash::entry_has_field_ttl(&entry) {
            entry.set_field_ttl(true);
        }
        if entry.has_field_ttl() {
            self.field_ttl_keys += 1;
        }
        if entry.lru() == 0 {
            touch(&mut entry, clock::now_ms());
        }
        let old = self.table.insert(h, entry)?;
        if old.expire().is_some() {
            self.volatile -= 1;
        }
        if old.has_field_ttl() {
            self.field_ttl_keys -= 1;
        }
        Some(old)
    }

    /// SET in one probe: give `key` the string `val` and `expire`, reusing
    /// the existing entry's allocation when there is one (realloc keeps the
    /// key; same-size values are copied in place), else inserting a new
    /// entry. An expired old entry counts as expired, as a lookup would.
    /// Returns whether a live key was replaced.
    pub fn set_str(&mut self, key: &[u8], val: &[u8], expire: Option<i64>, now: i64) -> bool {
        let h = key_hash(key);
        if let Some(i) = self.table.find(h, key) {
            let e = self.table.get_mut(i).expect("find returned an occupied slot");
            let was_expired = is_expired(e, now);
            let had_expire = e.expire().is_some();
            if e.has_field_ttl() {
                e.set_field_ttl(false);
                self.field_ttl_keys -= 1;
            }
            e.set_str(val);
            e.set_expire(expire);
            let enc = crate::entry::creation_encoding(key.len(), val, expire.is_some());
            e.set_str_encoding(enc);
            renew(e, was_expired, now);
            match (had_expire, expire.is_some()) {
                (false, true) => self.volatile += 1,
                (true, false) => self.volatile -= 1,
                _ => {}
            }
            if was_expired {
                self.note_expired(key);
            }
            return !was_expired;
        }
        let mut e = Entry::new_str(key, val, expire);
        touch(&mut e, now);
        self.insert(e);
        false
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let e = self.take_at(self.table.find(key_hash(key), key)?);
        self.table.shrink_if_sparse();
        e
    }

    /// Remove slot `i`'s entry without resizing the table.
    fn take_at(&mut self, i: usize) -> Option<Entry> {
        let e = self.table.take(i)?;
        if e.expire().is_some() {
            self.volatile -= 1;
        }
        if e.has_field_ttl() {
            self.field_ttl_keys -= 1;
        }
        Some(e)
    }

    /// Set or clear a key's expire time; false if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], t: Option<i64>) -> bool {
        let Some(i) = self.table.find(key_hash(key), key) else { return false };
        let Some(e) = self.table.get_mut(i) else { return false };
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
        self.take_all().len()
    }

    /// Take the whole table out (for FLUSHALL ASYNC: dropping the returned
    /// table frees its entries, on whatever thread drops it).
    pub fn take_all(&mut self) -> Table {
        self.volatile = 0;
        self.field_ttl_keys = 0;
        self.expire_cursor = 0;
        std::mem::take(&mut self.table)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.table.iter()
    }

    /// One SCAN step (see the module docs): visits entries from `cursor`
    /// on, stopping after about `count` entries (or `10 * count` empty
    /// home slots); returns the next cursor, 0 when the stripe is done.
    /// Expired entries are visited too; the caller filters them.
    pub fn scan(&self, cursor: u64, count: usize, f: impl FnMut(&Entry)) -> u64 {
        self.table.scan(cursor, count, f)
    }

    /// A pseudo-random entry (for RANDOMKEY and sampling), `r` a random
    /// number. May be expired; the caller decides.
    pub fn random(&self, r: u64) -> Option<&Entry> {
        self.table.random(r)
    }

    /// One step of active expiry: examine up to `max_slots` slots from the
    /// resume point, deleting expired entries and the expired fields of
    /// flagged hashes (up to FIELDS_PER_SLOT * max_slots fields; a hash left
    /// without fields is deleted). Returns (volatile entries examined,
    /// entries expired); hash fields count in neither (they are not keys).
    pub fn expire_step(&mut self, now: i64, max_slots: usize) -> (usize, usize) {
        if self.volatile == 0 && self.field_ttl_keys == 0 {
            return (0, 0);
        }
        let mut field_budget = max_slots.saturating_mul(FIELDS_PER_SLOT);
        let n = self.table.capacity();
        if self.expire_cursor >= n {
            self.expire_cursor = 0;
        }
        let (mut sampled, mut expired) = (0, 0);
        let end = self.expire_cursor.saturating_add(max_slots).min(n);
        for i in self.expire_cursor..end {
            let Some(e) = self.table.get(i) else { continue };
            if e.has_field_ttl() && field_budget > 0 && !is_expired(e, now) {
                let before = self.expired_fields_pending;
                let gone = self.expire_fields_at(i, now, field_budget);
                field_budget = field_budget.saturating_sub((self.expired_fields_pending - before) as usize);
                if gone {
                    continue;
                }
            }
            let Some(e) = self.table.get(i) else { continue };
            if e.expire().is_none() {
                continue;
            }
            sampled += 1;
            if is_expired(e, now) {
                // take() leaves indexes alone, so the walk stays valid.
                if let Some(e) = self.take_at(i) {
                    self.note_expired(e.key());
                }
                expired += 1;
            }
        }
        self.expire_cursor = if end >= n { 0 } else { end };
        if self.table.shrink_if_sparse() {
            // Slots moved; restarting is harmless (the cycle is sampling).
            self.expire_cursor = 0;
        }
        (sampled, expired)
    }
}

/// Record an access in the entry's LRU (or LFU) field. A field of 0 marks
/// a new entry: under LFU it starts at LFU_INIT_VAL instead of counting an
/// access, as Redis' createObject.
#[inline]
pub fn touch(e: &mut Entry, now: i64) {
    if clock::lfu_enabled() {
        touch_lfu(e, now);
        return;
    }
    e.set_lru(clock::lru_clock(now));
}

/// Redis' updateLFU: decay the counter for the time since the last access,
/// then count this access logarithmically.
fn touch_lfu(e: &mut Entry, now: i64) {
    let field = e.lru();
    let counter = if field == 0 { clock::LFU_INIT_VAL } else { clock::lfu_log_incr(clock::lfu_decay(field, now)) };
    e.set_lru(clock::lfu_field(now, counter));
}

/// A key's value was replaced in place (SET over an existing key). Redis
/// makes a new object: a fresh LRU time; under LFU it keeps the old
/// counter and the overwrite's own lookup counts as an access, unless the
/// old key had expired (then the key is new).
#[inline]
fn renew(e: &mut Entry, old_expired: bool, now: i64) {
    if old_expired || !clock::lfu_enabled() {
        e.set_lru(0);
    }
    touch(e, now);
}

#[cfg(test)]
#[path = "stripe_tests.rs"]
mod tests;
