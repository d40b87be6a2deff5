//! The member -> node map of a skiplist-encoded sorted set: the same open
//! addressing scheme as the keyspace table (crate::table), holding only a
//! node pointer per slot (the member bytes live in the node, once) plus a
//! tag byte. Lookups serve ZSCORE/ZADD/ZREM in O(1); removal leaves
//! tombstones so a reverse-binary cursor (ZSCAN) keeps Redis' guarantee
//! across resizes: a member present for the whole scan is returned at
//! least once.

use super::skiplist::Node;
use crate::group::{Group, EMPTY, GROUP, TOMBSTONE};
use crate::probe::{cap_for, max_used, next_cursor, tag_of, MIN_CAP};
use crate::stripe::key_hash;
use std::ptr::NonNull;

#[inline]
fn member(n: NonNull<Node>) -> &'static [u8] {
    // SAFETY: the index only holds pointers to live nodes of its skiplist,
    // which outlive any use of the returned slice inside this module (the
    // 'static is never handed out).
    unsafe { Node::member(n.as_ptr()) }
}

pub(super) struct Index {
    slots: Box<[Option<NonNull<Node>>]>,
    tags: Box<[u8]>,
    len: usize,
    tombstones: usize,
}

impl Index {
    pub fn new() -> Index {
        Index { slots: Box::default(), tags: Box::default(), len: 0, tombstones: 0 }
    }

    pub fn bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Option<NonNull<Node>>>() + self.tags.len()
    }

    /// Size the table for `n` members up front (conversions, COPY).
    pub fn reserve(&mut self, n: usize) {
        let cap = cap_for(n);
        if cap > self.slots.len() {
            self.rebuild(cap);
        }
    }

    pub fn find(&self, h: u64, key: &[u8]) -> Option<NonNull<Node>> {
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
                if let Some(n) = self.slots[(pos + off) & mask] {
                    if member(n) == key {
                        return Some(n);
                    }
                }
            }
            if empty.any() {
                return None;
            }
            pos = (pos + GROUP) & mask;
        }
    }

    /// Add a node whose member is known to be absent.
    pub fn insert(&mut self, h: u64, n: NonNull<Node>) {
        if self.slots.is_empty() {
            self.rebuild(MIN_CAP);
        } else if self.len + self.tombstones + 1 > max_used(self.slots.len()) {
            let cap = self.slots.len();
            let new_cap = if (self.len + 1) * 2 <= max_used(cap) { cap } else { cap * 2 };
            self.rebuild(new_cap);
        }
        self.insert_unique(h, n);
    }

    fn insert_unique(&mut self, h: u64, n: NonNull<Node>) {
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
        self.set_tag(i, tag_of(h));
        self.slots[i] = Some(n);
        self.len += 1;
    }

    /// Drop the slot holding node `n` (whose member hashes to `h`).
    pub fn remove(&mut self, h: u64, n: NonNull<Node>) -> bool {
        if self.slots.is_empty() {
            return false;
        }
        let mask = self.slots.len() - 1;
        let tag = tag_of(h);
        let mut pos = h as usize & mask;
        let i = 'probe: loop {
            let g = Group::load(&self.tags, pos);
            let empty = g.match_empty();
            for off in g.match_tag(tag).up_to(empty) {
                let i = (pos + off) & mask;
                if self.slots[i] == Some(n) {
                    break 'probe i;
                }
            }
            if empty.any() {
                return false;
            }
            pos = (pos + GROUP) & mask;
        };
        self.slots[i] = None;
        self.len -= 1;
        if self.tags[(i + 1) & mask] == EMPTY {
            // Nothing probes past `i`: free it and the tombstones before it.
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
        true
    }

    /// Shrink when under 10% full (Redis' dict does after deletions).
    pub fn shrink_if_sparse(&mut self) {
        let cap = self.slots.len();
        if self.len == 0 {
            *self = Index::new();
        } else if cap > MIN_CAP && self.len * 10 < cap {
            self.rebuild(cap_for(self.len));
        }
    }

    /// One ZSCAN step over home slots from `cursor` (see crate::table's
    /// scan for the reasoning): visits about `count` members, or `10 *
    /// count` home slots; returns the next cursor, 0 when done.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(NonNull<Node>)) -> u64 {
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
                if let Some(n) = self.slots[i] {
                    if key_hash(member(n)) as usize & mask == home {
                        f(n);
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

    #[inline]
    fn set_tag(&mut self, i: usize, t: u8) {
        self.tags[i] = t;
        if i < GROUP - 1 {
            let cap = self.slots.len();
            self.tags[cap + i] = t;
        }
    }

    fn rebuild(&mut self, cap: usize) {
        let old = std::mem::replace(&mut self.slots, vec![None; cap].into_boxed_slice());
        self.tags = vec![EMPTY; cap + GROUP - 1].into_boxed_slice();
        self.len = 0;
        self.tombstones = 0;
        for n in old.iter().flatten() {
            self.insert_unique(key_hash(member(*n)), *n);
        }
    }

    #[cfg(test)]
    pub fn check(&self) {
        let cap = self.slots.len();
        let (mut live, mut tomb) = (0, 0);
        for i in 0..cap {
            match (self.tags[i], self.slots[i]) {
                (EMPTY, None) => {}
                (TOMBSTONE, None) => tomb += 1,
                (t, Some(n)) => {
                    let h = key_hash(member(n));
                    assert_eq!(t, tag_of(h));
                    live += 1;
                    let mut j = h as usize & (cap - 1);
                    while j != i {
                        assert_ne!(self.tags[j], EMPTY);
                        j = (j + 1) & (cap - 1);
                    }
                }
                (t, None) => panic!("tag {t:#x} on an empty slot"),
            }
        }
        assert_eq!((live, tomb), (self.len, self.tombstones));
        if cap > 0 {
            assert_eq!(self.tags[cap..], self.tags[..GROUP - 1]);
        }
    }
}
