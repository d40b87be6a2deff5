//! One packed node: a single byte buffer holding a run of list elements.
//!
//! Layout of the buffer:
//! ```text
//! [start u32][count u32][lp_bytes u32][free room ...][entry][entry]...
//! entry = [len, LEB128][bytes][len, LEB128 bytes in reverse order]
//! ```
//! The length is written at both ends of an entry so the node can be walked
//! in either direction. Elements are kept as the exact bytes pushed (no
//! integer re-encoding), so replies return them unchanged.
//!
//! Free room in front of the first entry makes pushing and popping at the
//! head O(1) amortized, like the tail. `count` carries a "plain" flag (a
//! node Redis would hold as a single raw element), and `lp_bytes` is what
//! the node would occupy as a Redis listpack: the quantity Redis' node
//! splitting and encoding conversions are defined in.

use super::limits::{lp_entry_size, LP_EMPTY};

const HDR: usize = 12;
const PLAIN: u32 = 1 << 31;
/// Most free room kept in front when the head grows.
const MAX_FRONT_ROOM: usize = 16 * 1024;

#[derive(Clone)]
pub(crate) struct Node {
    buf: Vec<u8>,
}

#[inline]
fn leb_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

/// Bytes one element takes in a node.
#[inline]
pub(crate) fn entry_size(len: usize) -> usize {
    len + 2 * leb_len(len)
}

/// Write `v` as an entry at the start of `dst` (which has room for it).
#[inline]
fn write_entry(dst: &mut [u8], v: &[u8]) {
    let l = leb_len(v.len());
    let mut n = v.len();
    for i in 0..l {
        let b = (n & 0x7f) as u8 | if i + 1 < l { 0x80 } else { 0 };
        dst[i] = b;
        // The trailing copy is reversed so it reads in LEB order backwards.
        dst[l + v.len() + (l - 1 - i)] = b;
        n >>= 7;
    }
    dst[l..l + v.len()].copy_from_slice(v);
}

impl Node {
    pub(crate) fn new() -> Node {
        Self::with_room(0)
    }

    fn with_room(data: usize) -> Node {
        let mut buf = Vec::with_capacity(HDR + data);
        buf.extend_from_slice(&(HDR as u32).to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        buf.extend_from_slice(&(LP_EMPTY as u32).to_le_bytes());
        Node { buf }
    }

    /// A node holding one element Redis would keep outside a listpack.
    pub(crate) fn new_plain(v: &[u8]) -> Node {
        let mut n = Self::with_room(entry_size(v.len()));
        n.push_back(v);
        n.set_count_raw(1 | PLAIN);
        n
    }

    /// A packed node holding one element.
    pub(crate) fn with_one(v: &[u8]) -> Node {
        let mut n = Self::with_room(entry_size(v.len()));
        n.push_back(v);
        n
    }

    #[inline]
    fn hdr(&self, i: usize) -> u32 {
        u32::from_le_bytes([self.buf[i], self.buf[i + 1], self.buf[i + 2], self.buf[i + 3]])
    }

    #[inline]
    fn set_hdr(&mut self, i: usize, v: u32) {
        self.buf[i..i + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Byte offset of the first entry.
    #[inline]
    pub(crate) fn start(&self) -> usize {
        self.hdr(0) as usize
    }

    #[inline]
    fn set_start(&mut self, s: usize) {
        self.set_hdr(0, s as u32);
    }

    /// Byte offset just past the last entry.
    #[inline]
    pub(crate) fn end(&self) -> usize {
        self.buf.len()
    }

    #[inline]
    fn count_raw(&self) -> u32 {
        self.hdr(4)
    }

    #[inline]
    fn set_count_raw(&mut self, v: u32) {
        self.set_hdr(4, v);
    }

    /// Number of elements.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        (self.count_raw() & !PLAIN) as usize
    }

    #[inline]
    fn add_count(&mut self, delta: isize) {
        let raw = self.count_raw();
        let n = ((raw & !PLAIN) as isize + delta) as u32;
        self.set_count_raw(n | (raw & PLAIN));
    }

    #[inline]
    pub(crate) fn is_plain(&self) -> bool {
        self.count_raw() & PLAIN != 0
    }

    /// Size as Redis accounts it: lpBytes for a packed node, the element
    /// length for a plain one.
    #[inline]
    pub(crate) fn lp_bytes(&self) -> usize {
        if self.is_plain() {
            self.first().map_or(0, <[u8]>::len)
        } else {
            self.hdr(8) as usize
        }
    }

    #[inline]
    fn add_lp(&mut self, add: usize, sub: usize) {
        let v = (self.hdr(8) as usize + add).saturating_sub(sub);
        self.set_hdr(8, v.min(u32::MAX as usize) as u32);
    }

    /// Heap bytes held.
    pub(crate) fn mem_usage(&self) -> usize {
        self.buf.capacity()
    }

    /// The element starting at byte `off`, and the offset of the next one.
    #[inline]
    pub(crate) fn entry_at(&self, off: usize) -> (&[u8], usize) {
        let b = &self.buf;
        let mut n = 0usize;
        let mut shift = 0;
        let mut p = off;
        loop {
            let c = b[p];
            n |= ((c & 0x7f) as usize) << shift;
            p += 1;
            if c & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let l = p - off;
        (&b[p..p + n], p + n + l)
    }

    /// The element ending at byte `end`, and the offset where it starts.
    #[inline]
    pub(crate) fn entry_before(&self, end: usize) -> (&[u8], usize) {
        let b = &self.buf;
        let mut n = 0usize;
        let mut shift = 0;
        let mut p = end;
        loop {
            p -= 1;
            let c = b[p];
            n |= ((c & 0x7f) as usize) << shift;
            if c & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let l = end - p;
        let data = p - n;
        (&b[data..p], data - l)
    }

    pub(crate) fn first(&self) -> Option<&[u8]> {
        (self.len() > 0).then(|| self.entry_at(self.start()).0)
    }

    /// Byte offset of element `idx` (< len), walking from the nearer end.
    pub(crate) fn offset_of(&self, idx: usize) -> usize {
        let n = self.len();
        if idx <= n / 2 {
            let mut off = self.start();
            for _ in 0..idx {
                off = self.entry_at(off).1;
            }
            off
        } else {
            let mut off = self.end();
            for _ in idx..n {
                off = self.entry_before(off).1;
            }
            off
        }
    }

    pub(crate) fn get(&self, idx: usize) -> &[u8] {
        self.entry_at(self.offset_of(idx)).0
    }

    /// Make room for `need` more bytes at the tail. Growth is by a
    /// quarter: small lists are most of a list-heavy dataset's memory, and
    /// the allocator's size classes often absorb the step in place.
    fn reserve_back(&mut self, need: usize) {
        let spare = self.buf.capacity() - self.buf.len();
        if spare < need {
            let used = self.buf.len();
            self.buf.reserve_exact(need.max(used / 4));
        }
    }

    /// Make room for `bytes` of entries (see [`entry_size`]) about to be
    /// pushed at the front or back, exactly: a multi-element push then
    /// costs one allocation and leaves no slack.
    pub(crate) fn reserve(&mut self, front: bool, bytes: usize) {
        if front {
            let room = self.start() - HDR;
            if room < bytes {
                self.rebuild(bytes, 0);
            }
        } else {
            let spare = self.buf.capacity() - self.buf.len();
            if spare < bytes {
                self.buf.reserve_exact(bytes);
            }
        }
    }

    pub(crate) fn push_back(&mut self, v: &[u8]) {
        let sz = entry_size(v.len());
        self.reserve_back(sz);
        let at = self.buf.len();
        self.buf.resize(at + sz, 0);
        write_entry(&mut self.buf[at..], v);
        self.add_count(1);
        self.add_lp(lp_entry_size(v), 0);
    }

    pub(crate) fn push_front(&mut self, v: &[u8]) {
        let sz = entry_size(v.len());
        let start = self.start();
        if start - HDR < sz {
            let data = self.end() - start;
            self.rebuild(sz + (data / 4).min(MAX_FRONT_ROOM), 0);
        }
        let at = self.start() - sz;
        write_entry(&mut self.buf[at..], v);
        self.set_start(at);
        self.add_count(1);
        self.add_lp(lp_entry_size(v), 0);
    }

    /// Copy the entries into a new buffer with `front` free bytes before
    /// them and `back` spare capacity after.
    fn rebuild(&mut self, front: usize, back: usize) {
        let (start, end) = (self.start(), self.end());
        let mut buf = Vec::with_capacity(HDR + front + (end - start) + back);
        buf.extend_from_slice(&self.buf[..HDR]);
        buf.resize(HDR + front, 0);
        buf.extend_from_slice(&self.buf[start..end]);
        self.buf = buf;
        self.set_start(HDR + front);
    }

    /// Give memory back once more than half the buffer is unused.
    fn maybe_shrink(&mut self) {
        let data = self.end() - self.start();
        let waste = self.buf.capacity() - HDR - data;
        if waste > data + 64 {
            self.rebuild(0, data / 8);
        }
    }

    /// Remove the first element, handing it to `f` first.
    pub(crate) fn pop_front_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if self.len() == 0 {
            return None;
        }
        let (v, next) = self.entry_at(self.start());
        let lp = lp_entry_size(v);
        let r = f(v);
        self.set_start(next);
        self.add_count(-1);
        self.add_lp(0, lp);
        self.maybe_shrink();
        Some(r)
    }

    /// Remove the last element, handing it to `f` first.
    pub(crate) fn pop_back_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if self.len() == 0 {
            return None;
        }
        let (v, at) = self.entry_before(self.end());
        let lp = lp_entry_size(v);
        let r = f(v);
        self.buf.truncate(at);
        self.add_count(-1);
        self.add_lp(0, lp);
        self.maybe_shrink();
        Some(r)
    }

    /// Insert `v` as a new element starting at byte `off` (an entry
    /// boundary; `end()` appends).
    pub(crate) fn insert_at(&mut self, off: usize, v: &[u8]) {
        if off == self.start() {
            return self.push_front(v);
        }
        let sz = entry_size(v.len());
        self.reserve_back(sz);
        let old = self.buf.len();
        self.buf.resize(old + sz, 0);
        self.buf.copy_within(off..old, off + sz);
        write_entry(&mut self.buf[off..], v);
        self.add_count(1);
        self.add_lp(lp_entry_size(v), 0);
    }

    /// Remove the element starting at byte `off`; returns the offset of
    /// the element that followed it (or `end()`).
    pub(crate) fn remove_at(&mut self, off: usize) -> usize {
        let (v, next) = self.entry_at(off);
        let lp = lp_entry_size(v);
        let sz = next - off;
        self.add_count(-1);
        self.add_lp(0, lp);
        if off == self.start() {
            self.set_start(next);
            self.after_remove(next)
        } else {
            self.buf.copy_within(next.., off);
            self.buf.truncate(self.buf.len() - sz);
            self.after_remove(off)
        }
    }

    /// Shrink if worthwhile, translating a byte offset across the move.
    fn after_remove(&mut self, off: usize) -> usize {
        let rel = off - self.start();
        self.maybe_shrink();
        self.start() + rel
    }

    /// Replace the element starting at byte `off` with `v`.
    pub(crate) fn replace_at(&mut self, off: usize, v: &[u8]) {
        let (old, next) = self.entry_at(off);
        let old_lp = lp_entry_size(old);
        let old_sz = next - off;
        let sz = entry_size(v.len());
        if sz > old_sz {
            let grow = sz - old_sz;
            self.reserve_back(grow);
            let len = self.buf.len();
            self.buf.resize(len + grow, 0);
            self.buf.copy_within(next..len, next + grow);
        } else if sz < old_sz {
            self.buf.copy_within(next.., off + sz);
            self.buf.truncate(self.buf.len() - (old_sz - sz));
        }
        write_entry(&mut self.buf[off..], v);
        self.add_lp(lp_entry_size(v), old_lp);
        if sz < old_sz {
            self.maybe_shrink();
        }
    }

    /// Remove `n` elements starting at index `idx`.
    pub(crate) fn del_range(&mut self, idx: usize, n: usize) {
        let n = n.min(self.len().saturating_sub(idx));
        if n == 0 {
            return;
        }
        let from = self.offset_of(idx);
        let mut to = from;
        let mut lp = 0;
        for _ in 0..n {
            let (v, next) = self.entry_at(to);
            lp += lp_entry_size(v);
            to = next;
        }
        if from == self.start() {
            self.set_start(to);
        } else {
            self.buf.copy_within(to.., from);
            self.buf.truncate(self.buf.len() - (to - from));
        }
        self.add_count(-(n as isize));
        self.add_lp(0, lp);
        self.maybe_shrink();
    }

    /// Split in two around element `offset`, as quicklist's split: with
    /// `after`, self keeps [0, offset] and the returned node gets the rest;
    /// otherwise the returned node gets [0, offset) and self the rest.
    pub(crate) fn split(&mut self, offset: usize, after: bool) -> Node {
        let cut_idx = if after { offset + 1 } else { offset };
        let cut = if cut_idx >= self.len() { self.end() } else { self.offset_of(cut_idx) };
        let (start, end) = (self.start(), self.end());
        let mut lp = 0;
        let mut off = start;
        while off < cut {
            let (v, next) = self.entry_at(off);
            lp += lp_entry_size(v);
            off = next;
        }
        let head_lp = LP_EMPTY + lp;
        let tail_lp = self.lp_bytes() + LP_EMPTY - head_lp;
        let mut head = Node::with_room(cut - start);
        head.buf.extend_from_slice(&self.buf[start..cut]);
        head.set_count_raw(cut_idx as u32);
        head.set_hdr(8, head_lp as u32);
        let mut tail = Node::with_room(end - cut);
        tail.buf.extend_from_slice(&self.buf[cut..end]);
        tail.set_count_raw((self.len() - cut_idx) as u32);
        tail.set_hdr(8, tail_lp as u32);
        if after {
            *self = head;
            tail
        } else {
            *self = tail;
            head
        }
    }

    /// Append every element of `other` (lpMerge of two adjacent nodes).
    pub(crate) fn append(&mut self, other: &Node) {
        let (s, e) = (other.start(), other.end());
        self.reserve_back(e - s);
        self.buf.extend_from_slice(&other.buf[s..e]);
        let n = self.len() + other.len();
        self.set_count_raw(n as u32);
        let lp = self.hdr(8) as usize + other.hdr(8) as usize - LP_EMPTY;
        self.set_hdr(8, lp.min(u32::MAX as usize) as u32);
    }

    /// Replace the single element of a plain node.
    pub(crate) fn set_plain_value(&mut self, v: &[u8]) {
        *self = Node::new_plain(v);
    }

    /// Remove up to `limit` elements equal to `v` (0: all), scanning
    /// from the tail when `from_tail`; returns how many went.
    pub(crate) fn remove_matches(&mut self, v: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        if from_tail {
            let mut end = self.end();
            while end > self.start() && (limit == 0 || removed < limit) {
                let (e, at) = self.entry_before(end);
                if e == v {
                    // Only entries after `at` move, so the end of the
                    // previous entry is where the removed one started.
                    end = self.remove_at(at);
                    removed += 1;
                } else {
                    end = at;
                }
            }
        } else {
            let mut off = self.start();
            while off < self.end() && (limit == 0 || removed < limit) {
                let (e, next) = self.entry_at(off);
                if e == v {
                    off = self.remove_at(off);
                    removed += 1;
                } else {
                    off = next;
                }
            }
        }
        removed
    }

    /// Iterate from the first element.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut off = self.start();
        let end = self.end();
        std::iter::from_fn(move || {
            if off >= end {
                return None;
            }
            let (v, next) = self.entry_at(off);
            off = next;
            Some(v)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(n: &Node) -> Vec<Vec<u8>> {
        n.iter().map(<[u8]>::to_vec).collect()
    }

    fn lp_of(items: &[&[u8]]) -> usize {
        LP_EMPTY + items.iter().map(|v| lp_entry_size(v)).sum::<usize>()
    }

    #[test]
    fn push_pop_both_ends() {
        let mut n = Node::new();
        let big = vec![b'z'; 300];
        n.push_back(b"b");
        n.push_front(b"a");
        n.push_back(&big);
        n.push_front(b"");
        assert_eq!(all(&n), vec![b"".to_vec(), b"a".to_vec(), b"b".to_vec(), big.clone()]);
        assert_eq!(n.len(), 4);
        assert_eq!(n.lp_bytes(), lp_of(&[b"", b"a", b"b", &big]));
        assert_eq!(n.get(2), b"b");
        assert_eq!(n.pop_back_with(|v| v.len()), Some(300));
        assert_eq!(n.pop_front_with(|v| v.to_vec()), Some(vec![]));
        assert_eq!(all(&n), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(n.lp_bytes(), lp_of(&[b"a", b"b"]));
        n.pop_back_with(|_| ());
        n.pop_back_with(|_| ());
        assert_eq!(n.pop_back_with(|_| ()), None);
        assert_eq!((n.len(), n.lp_bytes()), (0, LP_EMPTY));
    }

    #[test]
    fn many_front_pushes_stay_ordered() {
        let mut n = Node::new();
        for i in 0..2000 {
            n.push_front(i.to_string().as_bytes());
        }
        let got: Vec<String> = n.iter().map(|v| String::from_utf8(v.to_vec()).unwrap()).collect();
        let want: Vec<String> = (0..2000).rev().map(|i| i.to_string()).collect();
        assert_eq!(got, want);
        for i in 0..2000 {
            assert_eq!(n.get(i), want[i].as_bytes());
        }
        for _ in 0..1990 {
            n.pop_front_with(|_| ());
        }
        assert!(n.mem_usage() < 200, "memory is returned after pops: {}", n.mem_usage());
    }

    #[test]
    fn insert_remove_replace_in_the_middle() {
        let mut n = Node::new();
        for v in [&b"a"[..], b"b", b"c", b"d"] {
            n.push_back(v);
        }
        let off = n.offset_of(2);
        n.insert_at(off, b"x");
        n.insert_at(n.end(), b"e");
        assert_eq!(all(&n), [&b"a"[..], b"b", b"x", b"c", b"d", b"e"].map(<[u8]>::to_vec));
        let long = vec![b'q'; 200];
        n.replace_at(n.offset_of(1), &long);
        n.replace_at(n.offset_of(4), b"");
        assert_eq!(all(&n), [&b"a"[..], &long, b"x", b"c", b"", b"e"].map(<[u8]>::to_vec));
        n.replace_at(n.offset_of(1), b"12");
        let next = n.remove_at(n.offset_of(2));
        assert_eq!(n.entry_at(next).0, b"c");
        let next = n.remove_at(n.start());
        assert_eq!(n.entry_at(next).0, b"12");
        assert_eq!(all(&n), [&b"12"[..], b"c", b"", b"e"].map(<[u8]>::to_vec));
        assert_eq!(n.lp_bytes(), lp_of(&[b"12", b"c", b"", b"e"]));
        n.del_range(1, 2);
        assert_eq!(all(&n), [&b"12"[..], b"e"].map(<[u8]>::to_vec));
        n.del_range(0, 10);
        assert_eq!((n.len(), n.lp_bytes()), (0, LP_EMPTY));
    }

    #[test]
    fn split_and_append() {
        let items: Vec<Vec<u8>> = (0..10).map(|i| format!("v{i}").into_bytes()).collect();
        let mut n = Node::new();
        for v in &items {
            n.push_back(v);
        }
        let mut a = n.clone();
        let rest = a.split(3, true);
        assert_eq!(all(&a), items[..4]);
        assert_eq!(all(&rest), items[4..]);
        let mut b = n.clone();
        let front = b.split(3, false);
        assert_eq!(all(&front), items[..3]);
        assert_eq!(all(&b), items[3..]);
        assert_eq!(front.lp_bytes() + b.lp_bytes(), n.lp_bytes() + LP_EMPTY);
        let mut m = front.clone();
        m.append(&b);
        assert_eq!(all(&m), items);
        assert_eq!(m.lp_bytes(), n.lp_bytes());
    }

    #[test]
    fn long_entries_and_plain_nodes() {
        let v = vec![7u8; 70_000];
        let p = Node::new_plain(&v);
        assert!(p.is_plain());
        assert_eq!((p.len(), p.lp_bytes(), p.first().map(<[u8]>::len)), (1, 70_000, Some(70_000)));
        let mut n = Node::new();
        n.push_back(&v);
        n.push_front(b"x");
        assert_eq!(n.get(1).len(), 70_000);
        assert!(!n.is_plain());
    }
}
