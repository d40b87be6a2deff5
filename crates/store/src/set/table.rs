//! The "hashtable" set encoding: open addressing over boxed members with
//! one tag byte per slot, the same scheme as the keyspace table
//! (crate::table, whose docs explain the SCAN invariant): linear probing
//! from the home slot `hash & mask`, tombstones on removal, entries move
//! only when the whole table is rebuilt. So SSCAN's reverse-binary cursor
//! over home slots returns every member present for the whole scan at
//! least once, across any number of resizes, as Redis' dictScan does.

use crate::group::{Group, EMPTY, GROUP, TOMBSTONE};
use crate::probe::{cap_for, max_used, next_cursor, tag_of, MIN_CAP};
use crate::stripe::key_hash;

/// Members up to this long live inside the slot: a lookup that finds one
/// compares bytes already in the cache line it just read, instead of
/// following a pointer (a cache miss per hit on a big set), and a short
/// member costs no allocation.
const INLINE: usize = 22;

/// One member: inline when short, else boxed. 24 bytes either way, and
/// `Option<Stored>` stays 24 bytes (the variant tag has spare values).
#[derive(Clone)]
enum Stored {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Stored {
    #[inline]
    fn new(m: &[u8]) -> Stored {
        if m.len() <= INLINE {
            let mut buf = [0; INLINE];
            buf[..m.len()].copy_from_slice(m);
            Stored::Inline { len: m.len() as u8, buf }
        } else {
            Stored::Heap(m.into())
        }
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            Stored::Inline { len, buf } => &buf[..*len as usize],
            Stored::Heap(b) => b,
        }
    }

    /// Bytes allocated outside the slot.
    #[inline]
    fn heap_bytes(&self) -> usize {
        match self {
            Stored::Inline { .. } => 0,
            // Allocations come in 8-byte steps.
            Stored::Heap(b) => (b.len() + 7) & !7,
        }
    }

    fn into_vec(self) -> Vec<u8> {
        match self {
            Stored::Inline { len, buf } => buf[..len as usize].to_vec(),
            Stored::Heap(b) => b.into_vec(),
        }
    }
}

type Slot = Option<Stored>;

#[derive(Default)]
pub struct MemberTable {
    slots: Box<[Slot]>,
    /// One tag per slot, then copies of the first GROUP - 1 tags.
    tags: Box<[u8]>,
    len: usize,
    tombstones: usize,
    /// Heap bytes of the boxed members (for MEMORY USAGE without a walk).
    member_bytes: usize,
}

impl Clone for MemberTable {
    fn clone(&self) -> Self {
        let mut t = MemberTable::with_capacity(self.len);
        for m in self.iter() {
            t.insert_new(m);
        }
        t
    }
}

impl MemberTable {
    pub fn new() -> MemberTable {
        MemberTable::default()
    }

    /// Presized for `n` members (Redis' dictExpand on conversion).
    pub fn with_capacity(n: usize) -> MemberTable {
        let mut t = MemberTable::new();
        if n > 0 {
            // Cap the presize: a size hint can come from a client's
            // argument count, which is bounded by the query size anyway,
            // but keep a wild hint from allocating more than it needs.
            t.rebuild(cap_for(n.min(1 << 24)));
        }
        t
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
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn find(&self, h: u64, m: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let tag = tag_of(h);
        let mut pos = h as usize & mask;
        loop {
            let g = Group::load(&self.tags, pos);
            let empty = g.match_empty();
            for off in g.match_tag(tag).up_to(empty) {
                let i = (pos + off) & mask;
                if let Some(e) = &self.slots[i] {
                    if e.bytes() == m {
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

    #[inline]
    pub fn contains(&self, m: &[u8]) -> bool {
        self.find(key_hash(m), m).is_some()
    }

    /// Add `m` (copied only when absent); false if already a member.
    pub fn insert(&mut self, m: &[u8]) -> bool {
        let h = key_hash(m);
        if self.slots.is_empty() {
            self.rebuild(MIN_CAP);
            self.insert_unique(h, Stored::new(m));
            return true;
        }
        let mask = self.slots.len() - 1;
        let tag = tag_of(h);
        let mut pos = h as usize & mask;
        let mut free = None;
        let i = loop {
            let g = Group::load(&self.tags, pos);
            let empty = g.match_empty();
            for off in g.match_tag(tag).up_to(empty) {
                let i = (pos + off) & mask;
                if let Some(e) = &self.slots[i] {
                    if e.bytes() == m {
                        return false;
                    }
                }
            }
            if free.is_none() && g.match_free().any() {
                free = Some((pos + g.match_free().first()) & mask);
            }
            if empty.any() {
                break free.unwrap_or((pos + empty.first()) & mask);
            }
            pos = (pos + GROUP) & mask;
        };
        if self.tags[i] == TOMBSTONE {
            self.tombstones -= 1;
            self.put(i, tag, Stored::new(m));
        } else if self.len + self.tombstones < max_used(self.slots.len()) {
            self.put(i, tag, Stored::new(m));
        } else {
            self.make_room();
            self.insert_unique(h, Stored::new(m));
        }
        true
    }

    /// Add a member known to be absent (conversions, cloning).
    pub fn insert_new(&mut self, m: &[u8]) {
        let h = key_hash(m);
        if self.slots.is_empty() || self.len + self.tombstones >= max_used(self.slots.len()) {
            self.make_room();
        }
        self.insert_unique(h, Stored::new(m));
    }

    /// Remove `m`; false if absent. Shrinks a table that became sparse.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        let Some(i) = self.find(key_hash(m), m) else { return false };
        self.take(i);
        self.shrink_if_sparse();
        true
    }

    /// Empty slot `i` without resizing (slot indexes stay valid).
    pub fn take(&mut self, i: usize) -> Option<Vec<u8>> {
        let e = self.slots.get_mut(i)?.take()?;
        self.len -= 1;
        self.member_bytes -= e.heap_bytes();
        let mask = self.slots.len() - 1;
        if self.tags[(i + 1) & mask] == EMPTY {
            // No probe run continues past `i`: this slot and the
            // tombstones right before it can become EMPTY again.
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
        Some(e.into_vec())
    }

    /// Shrink when under 10% full (as Redis' dict), to about 40% load.
    pub fn shrink_if_sparse(&mut self) {
        let cap = self.slots.len();
        if cap > MIN_CAP && self.len * 10 < cap {
            self.rebuild(cap_for(self.len));
        }
    }

    /// The member in slot `i`, if occupied.
    #[inline]
    pub fn slot(&self, i: usize) -> Option<&[u8]> {
        self.slots.get(i)?.as_ref().map(Stored::bytes)
    }

    /// An occupied slot chosen from the random numbers `rand` yields: a few
    /// random probes (uniform over members), then a walk from the last one
    /// (the table is always >= 10% full, so the walk is rare).
    pub fn random_slot(&self, mut rand: impl FnMut() -> u64) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = 0;
        for _ in 0..32 {
            i = rand() as usize & mask;
            if self.slots[i].is_some() {
                return Some(i);
            }
        }
        (0..=mask).map(|k| (i + k) & mask).find(|&j| self.slots[j].is_some())
    }

    pub fn iter(&self) -> TableIter<'_> {
        TableIter(self.slots.iter())
    }

    /// One SSCAN step: members of home slots from `cursor` on, in
    /// reverse-binary order, until `count` members were visited or
    /// `10 * count` home slots examined. Returns the next cursor (0: done).
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8])) -> u64 {
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
                    if key_hash(e.bytes()) as usize & mask == home {
                        f(e.bytes());
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

    /// Heap bytes: slot and tag arrays plus the boxed members.
    pub fn mem_usage(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>() + self.tags.len() + self.member_bytes
    }

    #[inline]
    fn set_tag(&mut self, i: usize, t: u8) {
        self.tags[i] = t;
        if i < GROUP - 1 {
            let cap = self.slots.len();
            self.tags[cap + i] = t;
        }
    }

    #[inline]
    fn put(&mut self, i: usize, tag: u8, m: Stored) {
        self.set_tag(i, tag);
        self.member_bytes += m.heap_bytes();
        self.slots[i] = Some(m);
        self.len += 1;
    }

    fn insert_unique(&mut self, h: u64, m: Stored) {
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
        self.put(i, tag_of(h), m);
    }

    /// Grow x2, or rebuild at the same size when tombstones dominate.
    fn make_room(&mut self) {
        let cap = self.slots.len();
        let new_cap = if cap == 0 {
            MIN_CAP
        } else if (self.len + 1) * 2 <= max_used(cap) {
            cap
        } else {
            cap * 2
        };
        self.rebuild(new_cap);
    }

    fn rebuild(&mut self, cap: usize) {
        debug_assert!(cap.is_power_of_two() && self.len < max_used(cap));
        let old = std::mem::replace(&mut self.slots, std::iter::repeat_with(|| None).take(cap).collect());
        self.tags = vec![EMPTY; cap + GROUP - 1].into_boxed_slice();
        self.len = 0;
        self.tombstones = 0;
        self.member_bytes = 0;
        for m in old.into_vec().into_iter().flatten() {
            let h = key_hash(m.bytes());
            self.insert_unique(h, m);
        }
    }
}

/// Members in slot order.
pub struct TableIter<'a>(std::slice::Iter<'a, Slot>);

impl<'a> Iterator for TableIter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        self.0.by_ref().flatten().next().map(Stored::bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn m(i: usize) -> Vec<u8> {
        format!("member:{i}").into_bytes()
    }

    #[test]
    fn slots_stay_small() {
        assert_eq!(std::mem::size_of::<Slot>(), 24);
        let long = vec![7u8; 23];
        let mut t = MemberTable::new();
        t.insert(&long);
        t.insert(&long[..22]);
        assert!(t.contains(&long) && t.contains(&long[..22]) && !t.contains(&long[..21]));
        assert_eq!(t.member_bytes, 24, "only the 23-byte member is boxed");
        let i = (0..t.capacity()).find(|&i| t.slot(i) == Some(&long[..])).unwrap();
        assert_eq!(t.take(i), Some(long));
        assert_eq!(t.member_bytes, 0);
    }

    #[test]
    fn insert_remove_contains() {
        let mut t = MemberTable::new();
        for i in 0..1000 {
            assert!(t.insert(&m(i)));
        }
        assert!(!t.insert(&m(5)));
        assert_eq!(t.len(), 1000);
        for i in 0..1000 {
            assert!(t.contains(&m(i)));
        }
        for i in (0..1000).step_by(2) {
            assert!(t.remove(&m(i)));
        }
        assert!(!t.remove(&m(0)));
        assert_eq!(t.len(), 500);
        assert_eq!(t.iter().count(), 500);
        for i in 0..1000 {
            assert_eq!(t.contains(&m(i)), i % 2 == 1);
        }
        for i in (1..1000).step_by(2) {
            assert!(t.remove(&m(i)));
        }
        assert!(t.is_empty());
        assert!(t.capacity() <= MIN_CAP * 2, "shrinks when emptied");
        let c = {
            t.insert(b"x");
            t.clone()
        };
        assert!(c.contains(b"x") && c.len() == 1);
    }

    #[test]
    fn scan_survives_resizes() {
        let mut t = MemberTable::new();
        for i in 0..300 {
            t.insert(&m(i));
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = t.scan(cursor, 7, |e| {
                seen.insert(e.to_vec());
            });
            // Grow and shrink between calls; members 0..100 stay throughout.
            step += 1;
            if step == 3 {
                for i in 300..3000 {
                    t.insert(&m(i));
                }
            }
            if step == 6 {
                for i in 100..3000 {
                    t.remove(&m(i));
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..100 {
            assert!(seen.contains(&m(i)), "member {i} missed");
        }
    }

    #[test]
    fn random_slots_are_occupied() {
        let mut t = MemberTable::new();
        assert_eq!(t.random_slot(|| 1), None);
        for i in 0..50 {
            t.insert(&m(i));
        }
        let mut x = 12345u64;
        for _ in 0..200 {
            let i = t
                .random_slot(|| {
                    x = crate::table::splitmix(x);
                    x
                })
                .unwrap();
            assert!(t.slot(i).is_some());
        }
        let i = t.random_slot(|| 0).unwrap();
        let v = t.take(i).unwrap();
        assert!(!t.contains(&v) && t.len() == 49);
    }
}
