//! The open-addressing policy shared by the keyspace table
//! (crate::table), the set encoding's member table (crate::set::table) and
//! the sorted set's member index (crate::zset::index): slot tags, load
//! limits, capacities and the SCAN cursor.

use crate::group::GROUP;

/// Smallest allocated capacity (8 slots, plus the 7 mirrored tags); at
/// least GROUP so a group never covers a slot twice.
pub const MIN_CAP: usize = GROUP;

/// The top 7 hash bits; the home slot uses the low bits, so the two are
/// independent.
#[inline]
pub fn tag_of(h: u64) -> u8 {
    (h >> 57) as u8
}

/// Live plus tombstone slots allowed before a rebuild: 80% (75% for tiny
/// tables), which always leaves an EMPTY slot so every probe terminates.
/// Linear probing at 0.8 costs ~3 tag compares for a hit and ~13 for a
/// miss in the worst case; on average (0.4..0.8) about 1.7 and 3.6.
#[inline]
pub fn max_used(cap: usize) -> usize {
    cap * 4 / 5
}

/// The capacity that holds `n` items at about 40% load, the load right
/// after a x2 grow, so neither a shrink nor a tombstone cleanup is followed
/// quickly by a grow.
pub fn cap_for(n: usize) -> usize {
    let mut cap = MIN_CAP;
    while n * 5 > cap * 2 {
        cap *= 2;
    }
    cap
}

/// Redis' reverse-binary cursor increment: bump the bits of `v` that lie
/// under `mask`, most significant first. Returns 0 after the last slot.
#[inline]
pub fn next_cursor(v: u64, mask: u64) -> u64 {
    (v | !mask).reverse_bits().wrapping_add(1).reverse_bits()
}
