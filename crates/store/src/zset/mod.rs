//! The sorted set value type, in Redis' two encodings: a compact packed
//! buffer ([`Pack`], OBJECT ENCODING "listpack") while the set is small,
//! and a skiplist with a member index ([`SkipList`], "skiplist") beyond.
//! Conversions follow Redis 8.2: compact -> skiplist when an insert would
//! cross `zset-max-listpack-entries` / `-value` (or a command announces
//! more elements than that); back to compact only where Redis does it (the
//! results of ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE, built fresh).
//!
//! Range lookups answer "where does the range start" as a rank, with
//! Redis' exact semantics for each encoding (including its early-outs), and
//! callers walk from there with [`ZSet::iter_from`]. Ranks are counted in
//! the walking direction: reverse rank 0 is the highest element.

mod index;
pub mod pack;
pub mod skiplist;

#[cfg(test)]
mod tests;

use pack::{Lookup, Pack, PackIter, PackRevIter};
use skiplist::{SkipIter, SkipList};
use std::cmp::Ordering;

/// Redis' listpack safety limit (LISTPACK_MAX_SAFETY_SIZE): a compact set
/// never grows past 1 GB.
const PACK_SAFETY_LIMIT: usize = 1 << 30;

#[derive(Clone)]
pub enum ZSet {
    Listpack(Pack),
    Skiplist(Box<SkipList>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Listpack(Pack::new())
    }
}

/// The encoding thresholds in force (zset-max-listpack-entries/-value).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

/// A score interval, each end inclusive or exclusive.
#[derive(Clone, Copy, Debug)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    #[inline]
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    #[inline]
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    /// Ranges that can never match anything.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lex range: `-`, `+`, `[member` or `(member`.
#[derive(Clone, Copy, Debug)]
pub enum LexBound<'a> {
    Min,
    Max,
    Incl(&'a [u8]),
    Excl(&'a [u8]),
}

impl LexBound<'_> {
    /// Redis treats `-` and `+` as exclusive.
    fn exclusive(&self) -> bool {
        !matches!(self, LexBound::Incl(_))
    }

    /// `value` compared with this bound (Redis' sdscmplex).
    fn cmp_value(&self, value: &[u8]) -> Ordering {
        match self {
            LexBound::Min => Ordering::Greater,
            LexBound::Max => Ordering::Less,
            LexBound::Incl(s) | LexBound::Excl(s) => value.cmp(s),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct LexRange<'a> {
    pub min: LexBound<'a>,
    pub max: LexBound<'a>,
}

impl LexRange<'_> {
    #[inline]
    pub fn gte_min(&self, v: &[u8]) -> bool {
        let c = self.min.cmp_value(v);
        if self.min.exclusive() {
            c == Ordering::Greater
        } else {
            c != Ordering::Less
        }
    }

    #[inline]
    pub fn lte_max(&self, v: &[u8]) -> bool {
        let c = self.max.cmp_value(v);
        if self.max.exclusive() {
            c == Ordering::Less
        } else {
            c != Ordering::Greater
        }
    }

    pub fn is_empty(&self) -> bool {
        use LexBound::*;
        let c = match (&self.min, &self.max) {
            (Min, Min) | (Max, Max) => Ordering::Equal,
            (Min, _) | (_, Max) => Ordering::Less,
            (Max, _) | (_, Min) => Ordering::Greater,
            (Incl(a) | Excl(a), Incl(b) | Excl(b)) => a.cmp(b),
        };
        c == Ordering::Greater || (c == Ordering::Equal && (self.min.exclusive() || self.max.exclusive()))
    }
}

/// ZADD's options.
#[derive(Clone, Copy, Debug, Default)]
pub struct AddFlags {
    pub incr: bool,
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// What an add did (Redis' zsetAdd out flags).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Added {
    /// The score is, or the increment made it, NaN: nothing changed.
    Nan,
    /// NX/XX/GT/LT said no.
    Nop,
    Added(f64),
    Updated(f64),
    /// Processed, score unchanged (re-added with the same score).
    Same(f64),
}

impl ZSet {
    /// An empty set in the encoding Redis picks for a command about to add
    /// `size_hint` members, the first `value_len_hint` bytes long
    /// (zsetTypeCreate).
    pub fn new_for(size_hint: usize, value_len_hint: usize, lim: Limits) -> ZSet {
        if size_hint <= lim.max_entries && value_len_hint <= lim.max_value {
            ZSet::Listpack(Pack::new())
        } else {
            ZSet::Skiplist(Box::new(SkipList::with_capacity(size_hint)))
        }
    }

    /// Build from members sorted by (score, member), choosing the encoding
    /// as Redis does for a freshly computed result that it may convert
    /// back to compact (zsetConvertToListpackIfNeeded).
    pub fn from_sorted(items: &[(Vec<u8>, f64)], lim: Limits) -> ZSet {
        let maxlen = items.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        let total: usize = items.iter().map(|(m, _)| m.len()).sum();
        if items.len() <= lim.max_entries && maxlen <= lim.max_value && total <= PACK_SAFETY_LIMIT {
            let mut p = Pack::new();
            for (m, s) in items {
                p.push_back(*s, m);
            }
            ZSet::Listpack(p)
        } else {
            let mut s = SkipList::with_capacity(items.len());
            // Largest first: each insert stops right at the head.
            for (m, sc) in items.iter().rev() {
                s.insert(*sc, m);
            }
            ZSet::Skiplist(Box::new(s))
        }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist(_) => "skiplist",
        }
    }

    pub fn mem_usage(&self) -> usize {
        match self {
            ZSet::Listpack(p) => p.bytes(),
            ZSet::Skiplist(s) => std::mem::size_of::<SkipList>() + s.bytes(),
        }
    }

    /// Redis' lazyfree effort: one allocation for a listpack, one per
    /// element for a skiplist.
    pub fn free_effort(&self) -> usize {
        match self {
            ZSet::Listpack(_) => 1,
            ZSet::Skiplist(s) => s.len(),
        }
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self, ZSet::Listpack(_))
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(p) => p.len(),
            ZSet::Skiplist(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            ZSet::Listpack(p) => p.is_empty(),
            ZSet::Skiplist(s) => s.is_empty(),
        }
    }

    /// Convert a compact set that is about to receive `size_hint` members
    /// past the entries threshold (zsetTypeMaybeConvert).
    pub fn maybe_convert(&mut self, size_hint: usize, lim: Limits) {
        if self.is_listpack() && size_hint > lim.max_entries {
            self.convert_to_skiplist(size_hint);
        }
    }

    /// Before adding `items` to a set that may still be empty: an empty
    /// compact set reserves the exact bytes they encode to (all of them
    /// are new unless repeated), so a bulk add allocates once. Call
    /// [`ZSet::fit`] after the adds.
    pub fn reserve_new(&mut self, items: impl Iterator<Item = (f64, usize)>) {
        if let ZSet::Listpack(p) = self {
            if p.is_empty() {
                let n: usize = items.map(|(s, l)| Pack::entry_size(s, l)).fold(0, usize::saturating_add);
                if n <= PACK_SAFETY_LIMIT {
                    p.reserve(n);
                }
            }
        }
    }

    /// Release room a [`ZSet::reserve_new`] did not use.
    pub fn fit(&mut self) {
        if let ZSet::Listpack(p) = self {
            p.fit();
        }
    }

    fn convert_to_skiplist(&mut self, cap: usize) {
        if let ZSet::Listpack(p) = self {
            let mut s = SkipList::with_capacity(cap.max(p.len()));
            for (m, sc) in p.iter() {
                s.insert(sc, m);
            }
            *self = ZSet::Skiplist(Box::new(s));
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(p) => match p.find(member) {
                Lookup::Found { score, .. } => Some(score),
                Lookup::Absent { .. } => None,
            },
            ZSet::Skiplist(s) => s.score(member),
        }
    }

    /// Add or update one member with ZADD's semantics (Redis' zsetAdd),
    /// converting to a skiplist when the compact form would overflow.
    pub fn add(&mut self, score: f64, member: &[u8], f: AddFlags, lim: Limits) -> Added {
        if score.is_nan() {
            return Added::Nan;
        }
        if let ZSet::Listpack(p) = self {
            match p.find_slot(member, score) {
                Lookup::Found { start, end, score: cur, .. } => {
                    let Some(new) = decide(score, cur, f) else { return Added::Nop };
                    if new.is_nan() {
                        return Added::Nan;
                    }
                    if new == cur {
                        return Added::Same(new);
                    }
                    p.remove_span(start, end);
                    p.insert(new, member);
                    return Added::Updated(new);
                }
                Lookup::Absent { len, slot } => {
                    if f.xx {
                        return Added::Nop;
                    }
                    let fits =
                        len < lim.max_entries && member.len() <= lim.max_value && p.encoded_len() + member.len() <= PACK_SAFETY_LIMIT;
                    if fits {
                        p.insert_at(slot, score, member);
                        return Added::Added(score);
                    }
                    self.convert_to_skiplist(len + 1);
                }
            }
        }
        let ZSet::Skiplist(s) = self else { unreachable!("converted above") };
        let h = SkipList::hash(member);
        match s.score_h(h, member) {
            Some(cur) => {
                let Some(new) = decide(score, cur, f) else { return Added::Nop };
                if new.is_nan() {
                    return Added::Nan;
                }
                if new == cur {
                    return Added::Same(new);
                }
                s.update_score_h(h, member, new);
                Added::Updated(new)
            }
            None if f.xx => Added::Nop,
            None => {
                s.insert_h(h, score, member);
                Added::Added(score)
            }
        }
    }

    /// Remove `member`; whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Listpack(p) => match p.find(member) {
                Lookup::Found { start, end, .. } => {
                    p.remove_span(start, end);
                    true
                }
                Lookup::Absent { .. } => false,
            },
            ZSet::Skiplist(s) => s.remove(member).is_some(),
        }
    }

    /// Rank (in the given direction) and score of `member`.
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<(usize, f64)> {
        let (r, score, len) = match self {
            ZSet::Listpack(p) => match p.find(member) {
                Lookup::Found { index, score, .. } => (index, score, p.len()),
                Lookup::Absent { .. } => return None,
            },
            ZSet::Skiplist(s) => {
                let (r, score) = s.rank(member)?;
                (r, score, s.len())
            }
        };
        Some((if rev { len - 1 - r } else { r }, score))
    }

    /// Every element in order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0, false)
    }

    /// Elements from rank `rank` (in the walking direction) on.
    pub fn iter_from(&self, rank: usize, rev: bool) -> Iter<'_> {
        match self {
            ZSet::Listpack(p) if rev => Iter::PackRev(PackRevIter::new(p, rank)),
            ZSet::Listpack(p) => {
                let mut it = p.iter();
                it.skip_entries(rank);
                Iter::Pack(it)
            }
            ZSet::Skiplist(s) => {
                let len = s.len();
                if rank >= len {
                    return Iter::Skip(s.iter_from(usize::MAX, false));
                }
                Iter::Skip(s.iter_from(if rev { len - 1 - rank } else { rank }, rev))
            }
        }
    }

    /// Where a walk over the range starts, as Redis finds it: the first
    /// element (the last, walking backwards) on the near side of the range,
    /// if it is also within the far bound; None when the range is empty,
    /// entirely past either end, or Redis' early-outs say so.
    fn range_start(&self, empty: bool, gte: &dyn Fn(f64, &[u8]) -> bool, lte: &dyn Fn(f64, &[u8]) -> bool, rev: bool) -> Option<usize> {
        if empty {
            return None;
        }
        match self {
            ZSet::Listpack(p) => {
                // zzlIsInRange: the last element reaches min, the first max.
                let (fm, fs) = p.iter().next()?;
                let (lm, ls) = p.iter().last()?;
                if !gte(ls, lm) || !lte(fs, fm) {
                    return None;
                }
                if !rev {
                    for (i, (m, s)) in p.iter().enumerate() {
                        if gte(s, m) {
                            return lte(s, m).then_some(i);
                        }
                    }
                } else {
                    for (i, &o) in p.offsets().iter().rev().enumerate() {
                        let (s, m, _) = p.entry(o as usize);
                        if lte(s, m) {
                            return gte(s, m).then_some(i);
                        }
                    }
                }
                None
            }
            ZSet::Skiplist(s) => {
                let len = s.len();
                let (fm, fs) = s.iter_from(0, false).next()?;
                let (lm, ls) = s.iter_from(len - 1, false).next()?;
                if !gte(ls, lm) || !lte(fs, fm) {
                    return None;
                }
                if !rev {
                    let edge = s.count_prefix(|sc, m| !gte(sc, m));
                    let (m, sc) = s.iter_from(edge, false).next()?;
                    lte(sc, m).then_some(edge)
                } else {
                    let edge = s.count_prefix(|sc, m| lte(sc, m));
                    let (m, sc) = s.iter_from(edge.checked_sub(1)?, false).next()?;
                    gte(sc, m).then_some(len - edge)
                }
            }
        }
    }

    /// Start rank of a score range walk (see `range_start`).
    pub fn score_start(&self, r: &ScoreRange, rev: bool) -> Option<usize> {
        self.range_start(r.is_empty(), &|s, _| r.gte_min(s), &|s, _| r.lte_max(s), rev)
    }

    /// Start rank of a lex range walk.
    pub fn lex_start(&self, r: &LexRange, rev: bool) -> Option<usize> {
        self.range_start(r.is_empty(), &|_, m| r.gte_min(m), &|_, m| r.lte_max(m), rev)
    }

    fn count_range(&self, empty: bool, gte: &dyn Fn(f64, &[u8]) -> bool, lte: &dyn Fn(f64, &[u8]) -> bool) -> usize {
        let Some(first) = self.range_start(empty, gte, lte, false) else { return 0 };
        match self {
            // ZCOUNT/ZLEXCOUNT walk a listpack from the first match...
            ZSet::Listpack(_) => self.iter_from(first, false).take_while(|(m, s)| lte(*s, m)).count(),
            // ...and subtract ranks on a skiplist.
            ZSet::Skiplist(s) => {
                let mut n = s.len() - first;
                if let Some(last_rev) = self.range_start(empty, gte, lte, true) {
                    n -= last_rev;
                }
                n
            }
        }
    }

    pub fn count_score(&self, r: &ScoreRange) -> usize {
        self.count_range(r.is_empty(), &|s, _| r.gte_min(s), &|s, _| r.lte_max(s))
    }

    pub fn count_lex(&self, r: &LexRange) -> usize {
        self.count_range(r.is_empty(), &|_, m| r.gte_min(m), &|_, m| r.lte_max(m))
    }

    /// Remove ranks `start..=end` (forward, clamped by the caller).
    pub fn remove_rank_range(&mut self, start: usize, end: usize) -> usize {
        if start > end {
            return 0;
        }
        match self {
            ZSet::Listpack(p) => {
                let n = (end - start + 1).min(p.len().saturating_sub(start));
                p.remove_range(start, n);
                n
            }
            ZSet::Skiplist(s) => s.remove_rank_range(start, end),
        }
    }

    fn remove_range(&mut self, empty: bool, gte: &dyn Fn(f64, &[u8]) -> bool, lte: &dyn Fn(f64, &[u8]) -> bool) -> usize {
        let start = match self {
            // zzlDeleteRangeBy*: from the first element in range.
            ZSet::Listpack(_) => self.range_start(empty, gte, lte, false),
            // zslDeleteRangeBy*: from the first element reaching min.
            ZSet::Skiplist(s) => Some(s.count_prefix(|sc, m| !gte(sc, m))),
        };
        let Some(start) = start else { return 0 };
        let n = self.iter_from(start, false).take_while(|(m, s)| lte(*s, m)).count();
        if n == 0 {
            return 0;
        }
        self.remove_rank_range(start, start + n - 1)
    }

    pub fn remove_score_range(&mut self, r: &ScoreRange) -> usize {
        self.remove_range(r.is_empty(), &|s, _| r.gte_min(s), &|s, _| r.lte_max(s))
    }

    pub fn remove_lex_range(&mut self, r: &LexRange) -> usize {
        self.remove_range(r.is_empty(), &|_, m| r.gte_min(m), &|_, m| r.lte_max(m))
    }

    /// Remove and return the lowest (or, with `max`, highest) element.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        self.pop_n(max, 1).pop()
    }

    /// Remove and return up to `count` elements from the low (or, with
    /// `max`, high) end, in popping order.
    pub fn pop_n(&mut self, max: bool, count: usize) -> Vec<(Vec<u8>, f64)> {
        match self {
            ZSet::Listpack(p) if !max => {
                // From the front: one walk, one memmove.
                let mut out = Vec::new();
                let mut end = 0;
                while out.len() < count && end < p.encoded_len() {
                    let (s, m, next) = p.entry(end);
                    out.push((m.to_vec(), s));
                    end = next;
                }
                p.remove_span(0, end);
                out
            }
            ZSet::Listpack(p) => {
                let offs = p.offsets();
                let first = offs.len().saturating_sub(count);
                let out = offs[first..].iter().rev().map(|&o| {
                    let (s, m, _) = p.entry(o as usize);
                    (m.to_vec(), s)
                });
                let out: Vec<_> = out.collect();
                if let Some(&start) = offs.get(first) {
                    p.remove_span(start as usize, p.encoded_len());
                }
                out
            }
            ZSet::Skiplist(s) => {
                let len = s.len();
                let n = count.min(len);
                if n == 0 {
                    return Vec::new();
                }
                let out: Vec<_> = s.iter_from(if max { len - 1 } else { 0 }, max).take(n).map(|(m, sc)| (m.to_vec(), sc)).collect();
                let first = if max { len - n } else { 0 };
                s.remove_rank_range(first, first + n - 1);
                out
            }
        }
    }

    /// The element at forward rank `r`.
    pub fn at(&self, r: usize) -> Option<(&[u8], f64)> {
        self.iter_from(r, false).next()
    }
}

/// ZADD's decision for a present member: the new score, or None for "no
/// operation" (NX, or GT/LT refusing). The result may be NaN (INCR of
/// inf by -inf), which the caller reports.
fn decide(score: f64, cur: f64, f: AddFlags) -> Option<f64> {
    if f.nx {
        return None;
    }
    let new = if f.incr { score + cur } else { score };
    if new.is_nan() {
        return Some(new);
    }
    if (f.lt && new >= cur) || (f.gt && new <= cur) {
        return None;
    }
    Some(new)
}

/// Elements in order from some rank, in either direction.
pub enum Iter<'a> {
    Pack(PackIter<'a>),
    PackRev(PackRevIter<'a>),
    Skip(SkipIter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Pack(i) => i.next(),
            Iter::PackRev(i) => i.next(),
            Iter::Skip(i) => i.next(),
        }
    }
}
