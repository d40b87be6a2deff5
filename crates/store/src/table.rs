//! The hash table inside a stripe: compact open addressing built for
//! Redis' SCAN guarantee.
//!
//! Layout: a power-of-two array of `Option<Entry>` (8 bytes per slot, the
//! thin pointer's niche makes `None` free) and a parallel array of one tag
//! byte per slot, so a key costs `capacity * 9 / len` bytes of table:
//! 11-23 bytes between grows (load 0.4..0.8), more only while a table
//! empties out (it shrinks below 10% full). A tag is EMPTY,
//! TOMBSTONE, or FULL with 7 bits of the hash, so most probes compare one
//! byte and never dereference an entry. Lookups compare 8 tags at once
//! (group.rs); the first 7 tags are mirrored after the last so a group read
//! never wraps.
//!
//! Probing is linear from the key's home slot `hash & mask`. Removal leaves
//! a tombstone, so entries never move except when the whole table is
//! rebuilt (grow, shrink, tombstone cleanup). That gives the invariant SCAN
//! relies on: every key whose home is `h` lies in the run of non-EMPTY slots
//! starting at `h`. A scan step therefore covers exactly one home slot, the
//! same unit as a bucket in Redis' chained dict, and the reverse-binary
//! cursor of Redis' `dictScan` keeps its guarantee across any number of
//! resizes: a key present for the whole scan is returned at least once
//! (possibly more often after a shrink).
//!
//! Nothing but the entry pointer is stored per slot: a rebuild recomputes
//! each key's hash with [`key_hash`].

use crate::entry::Entry;
use crate::group::{Group, EMPTY, GROUP, TOMBSTONE};
use crate::probe::{cap_for, max_used, next_cursor, tag_of, MIN_CAP};
use crate::stripe::key_hash;

pub struct Table {
    slots: Box<[Option<Entry>]>,
    /// One tag per slot, then copies of the first GROUP - 1 tags.
    tags: Box<[u8]>,
    len: usize,
    tombstones: usize,
    /// Rebuild count, for tests that check which resizes they exercised.
    #[cfg(test)]
    rebuilds: usize,
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

impl Table {
    /// An empty table; allocates nothing until the first insert.
    pub fn new() -> Table {
        Table {
            slots: Box::default(),
            tags: Box::default(),
            len: 0,
            tombstones: 0,
            #[cfg(test)]
            rebuilds: 0,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of slots (0 or a power of two).
    #[inline]
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Heap bytes held by the table itself (not the entries).
    pub fn table_bytes(&self) -> usize {
        self.capacity() * std::mem::size_of::<Option<Entry>>() + self.tags.len()
    }

    /// Slot index of `key` (whose hash is `h`).
    #[inline]
    pub fn find(&self, h: u64, key: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let tag = tag_of(h);
        let mut pos = h as usize & mask;
        loop {
            let g = Group::load(&self.tags, pos);
            let empty = g.match_empty();
            // The key cannot live past the first EMPTY: ignore matches there.
            for off in g.match_tag(tag).up_to(empty) {
                let i = (pos + off) & mask;
                if let Some(e) = &self.slots[i] {
                    if e.key() == key {
                        return Some(i);
                    }
                }
            }
            if empty.any() {
                return None;
            }
            pos = (pos + GROUP) & mask;
        }
    }

    /// Write slot `i`'s tag and its mirror copy.
    #[inline]
    fn set_tag(&mut self, i: usize, t: u8) {
        self.tags[i] = t;
        if i < GROUP - 1 {
            let cap = self.slots.len();
            self.tags[cap + i] = t;
        }
    }

    /// The entry in slot `i`, if that slot is occupied.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&Entry> {
        self.slots.get(i)?.as_ref()
    }

    #[inline]
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Entry> {
        self.slots.get_mut(i)?.as_mut()
    }

    /// Insert `entry` (whose key hashes to `h`), or replace the entry with
    /// the same key and return it. One probe serves both the lookup and the
    /// choice of slot (the first tombstone on the way is reused).
    pub fn insert(&mut self, h: u64, entry: Entry) -> Option<Entry> {
        if self.slots.is_empty() {
            self.rebuild(MIN_CAP);
            self.insert_unique(h, entry);
            return None;
        }
        let mask = self.slots.len() - 1;
        let tag = tag_of(h);
        let mut pos = h as usize & mask;
        // The first free slot on the probe path: a tombstone to reuse, or
        // the EMPTY that ends the run.
        let mut free = None;
        let i = loop {
            let g = Group::load(&self.tags, pos);
            let empty = g.match_empty();
            for off in g.match_tag(tag).up_to(empty) {
                let i = (pos + off) & mask;
                if let Some(e) = &mut self.slots[i] {
                    if e.key() == entry.key() {
                        return Some(std::mem::replace(e, entry));
                    }
                }
            }
            if free.is_none() && g.match_free().any() {
                free = Some((pos + g.match_free().first()) & mask);
            }
            if empty.any() {
                // `free` is set by now: an EMPTY byte is free too.
                break free.unwrap_or((pos + empty.first()) & mask);
            }
            pos = (pos + GROUP) & mask;
        };
        if self.tags[i] == TOMBSTONE {
            self.tombstones -= 1;
            self.put(i, tag, entry);
        } else if self.len + self.tombstones < max_used(self.slots.len()) {
            self.put(i, tag, entry);
        } else {
            self.make_room();
            self.insert_unique(h, entry);
        }
        None
    }

    /// Remove `key`'s entry, shrinking the table if it became very sparse.
    pub fn remove(&mut self, h: u64, key: &[u8]) -> Option<Entry> {
        let i = self.find(h, key)?;
        let e = self.take(i);
        self.shrink_if_sparse();
        e
    }

    /// Empty slot `i` without resizing, so slot indexes stay valid for a
    /// caller walking the table by index (call `shrink_if_sparse` after).
    pub fn take(&mut self, i: usize) -> Option<Entry> {
        let e = self.slots.get_mut(i)?.take()?;
        self.len -= 1;
        let mask = self.slots.len() - 1;
        if self.tags[(i + 1) & mask] == EMPTY {
            // No probe run continues past `i`, so neither this slot nor the
            // tombstones right before it are needed to reach any key: turn
            // them back into EMPTY instead of accumulating tombstones.
            self.set_tag(i, EMPTY);
            let mut j = i.wrapping_sub(1) & mask;
            while self.tags[j] == TOMBSTONE {
                self.set_tag(j, EMPTY);
                self.tombstones -= 1;
                j = j.wrapping_sub(1) & mask;
            }
        } else {
            self.set_tag(i, TOMBSTONE);
            self.tombstones += 1;
        }
        Some(e)
    }

    /// Shrink when under 10% full (as Redis' dict), to about 40% load.
    /// Returns whether the table was rebuilt (slot indexes changed).
    pub fn shrink_if_sparse(&mut self) -> bool {
        let cap = self.slots.len();
        if cap > MIN_CAP && self.len * 10 < cap {
            self.rebuild(cap_for(self.len));
            return true;
        }
        false
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().flatten()
    }

    /// One SCAN step: visit the keys of home slots from `cursor` on, in
    /// reverse-binary order, until `count` keys were visited or `10 *
    /// count` home slots were examined (Redis' bound for sparse tables; at
    /// least one). Returns the cursor to resume at, 0 when done.
    ///
    /// Cursor bits above the current mask are ignored, so a cursor taken
    /// before a grow or shrink remains valid: after a grow the unvisited
    /// halves of old home slots come later in reverse-binary order, after a
    /// shrink the merged home slot is visited again (duplicates, no misses).
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&Entry)) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        let mask = self.slots.len() - 1;
        let mut v = cursor;
        let mut visited = 0;
        let mut budget = count.saturating_mul(10).max(1);
        loop {
            let home = v as usize & mask;
            let mut i = home;
            while self.tags[i] != EMPTY {
                if let Some(e) = &self.slots[i] {
                    // Only keys whose home is this slot: the others belong
                    // to another step of the cursor.
                    if key_hash(e.key()) as usize & mask == home {
                        f(e);
                        visited += 1;
                    }
                }
                i = (i + 1) & mask;
            }
            v = next_cursor(v, mask as u64);
            budget -= 1;
            if v == 0 || visited >= count || budget == 0 {
                return v;
            }
        }
    }

    /// An occupied slot's entry picked from the random number `r`: a few
    /// random slots are tried (uniform over entries), then a walk from the
    /// last one (biased towards entries after long empty stretches, rare
    /// since the table stays >= 10% full).
    pub fn random(&self, r: u64) -> Option<&Entry> {
        if self.len == 0 {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut x = r;
        for _ in 0..16 {
            if let Some(e) = &self.slots[x as usize & mask] {
                return Some(e);
            }
            x = splitmix(x);
        }
        let start = x as usize & mask;
        (0..=mask).find_map(|k| self.slots[(start + k) & mask].as_ref())
    }

    #[inline]
    fn put(&mut self, i: usize, tag: u8, entry: Entry) {
        self.set_tag(i, tag);
        self.slots[i] = Some(entry);
        self.len += 1;
    }

    /// Insert a key known to be absent, with room guaranteed: into the
    /// first free slot of its probe path.
    fn insert_unique(&mut self, h: u64, entry: Entry) {
        let mask = self.slots.len() - 1;
        let mut pos = h as usize & mask;
        let i = loop {
            let free = Group::load(&self.tags, pos).match_free();
            if free.any() {
                break (pos + free.first()) & mask;
            }
            pos = (pos + GROUP) & mask;
        };
        if self.tags[i] == TOMBSTONE {
            self.tombstones -= 1;
        }
        self.put(i, tag_of(h), entry);
    }

    /// Called when an insert would take the last allowed EMPTY slot: grow
    /// x2, or, when tombstones make up at least half the used slots, rebuild
    /// at the same size to drop them. (The same-size rebuild goes through
    /// fresh arrays like a grow: simpler than an in-place shuffle, and the
    /// transient copy is one stripe's table.)
    fn make_room(&mut self) {
        let cap = self.slots.len();
        let new_cap = if (self.len + 1) * 2 <= max_used(cap) { cap } else { cap * 2 };
        self.rebuild(new_cap);
    }

    /// Move every entry into fresh arrays of `cap` slots (no tombstones).
    fn rebuild(&mut self, cap: usize) {
        debug_assert!(cap.is_power_of_two() && self.len < max_used(cap));
        let old = std::mem::replace(&mut self.slots, std::iter::repeat_with(|| None).take(cap).collect());
        self.tags = vec![EMPTY; cap + GROUP - 1].into_boxed_slice();
        self.len = 0;
        self.tombstones = 0;
        #[cfg(test)]
        {
            self.rebuilds += 1;
        }
        for e in old.into_vec().into_iter().flatten() {
            let h = key_hash(e.key());
            self.insert_unique(h, e);
        }
    }

    #[cfg(test)]
    fn check_invariants(&self) {
        let cap = self.slots.len();
        let (mut live, mut tomb) = (0, 0);
        for i in 0..cap {
            match (self.tags[i], &self.slots[i]) {
                (EMPTY, None) => {}
                (TOMBSTONE, None) => tomb += 1,
                (t, Some(e)) => {
                    let h = key_hash(e.key());
                    assert_eq!(t, tag_of(h));
                    live += 1;
                    // Reachable from its home over non-EMPTY slots.
                    let mut j = h as usize & (cap - 1);
                    while j != i {
                        assert_ne!(self.tags[j], EMPTY, "run broken before slot {i}");
                        j = (j + 1) & (cap - 1);
                    }
                }
                (t, None) => panic!("tag {t:#x} on an empty slot"),
            }
        }
        assert_eq!((live, tomb), (self.len, self.tombstones));
        if cap > 0 {
            assert_eq!(self.tags.len(), cap + GROUP - 1);
            assert_eq!(self.tags[cap..], self.tags[..GROUP - 1], "mirror out of sync");
        }
        if cap > 0 {
            assert!(live + tomb <= max_used(cap));
        }
    }
}

pub(crate) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
