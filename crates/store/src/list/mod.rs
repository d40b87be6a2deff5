//! The list value type, in Redis' two encodings:
//!
//! - "listpack": one packed node (a single byte buffer) for small lists;
//! - "quicklist": a deque of packed nodes, each bounded by
//!   list-max-listpack-size (negative: a byte budget of 4/8/16/32/64 KB,
//!   positive: an entry count), for everything else.
//!
//! Both ends push and pop in O(1); reads walk nodes by their counts and then
//! entries from the nearer end. Conversions happen at exactly Redis 8's
//! points (see [`List::grow_check`] and [`List::shrink_check`]), which the
//! command layer calls where Redis calls listTypeTryConversion*.

pub(crate) mod limits;
mod node;
mod quick;

use limits::{clamp_fill, exceeds_limit, node_limit};
use node::Node;
use quick::Quick;

/// An end of a list: LEFT (head, index 0) or RIGHT (tail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

#[derive(Clone)]
pub struct List {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Pack(Node),
    Quick(Box<Quick>),
}

impl Default for List {
    fn default() -> Self {
        Self::new()
    }
}

impl List {
    /// An empty list in the compact encoding.
    pub fn new() -> List {
        List { repr: Repr::Pack(Node::new()) }
    }

    /// An empty list in the quicklist form, the way SORT ... STORE starts
    /// the list it stores.
    pub fn new_quicklist(fill: i64) -> List {
        List { repr: Repr::Quick(Box::new(Quick::new(clamp_fill(fill)))) }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Pack(n) => n.len(),
            Repr::Quick(q) => q.count,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding_name(&self) -> &'static str {
        match &self.repr {
            Repr::Pack(_) => "listpack",
            Repr::Quick(_) => "quicklist",
        }
    }

    /// Heap bytes held by the list.
    pub fn mem_usage(&self) -> usize {
        match &self.repr {
            Repr::Pack(n) => n.mem_usage(),
            Repr::Quick(q) => q.mem_usage(),
        }
    }

    /// Redis' lazyfree effort: the node count of a quicklist, else 1.
    pub fn free_effort(&self) -> usize {
        match &self.repr {
            Repr::Pack(_) => 1,
            Repr::Quick(q) => q.nodes.len().max(1),
        }
    }

    /// (nodes, total listpack bytes) of the quicklist form, as Redis'
    /// DEBUG OBJECT reports them (ql_nodes, ql_uncompressed_size).
    pub fn quicklist_stats(&self) -> Option<(usize, usize)> {
        match &self.repr {
            Repr::Pack(_) => None,
            Repr::Quick(q) => Some((q.nodes.len(), q.nodes.iter().map(Node::lp_bytes).sum())),
        }
    }

    /// (element count, plain?) of each node, head to tail: the compact form
    /// is one packed node. The RDB writer splits its element stream by
    /// this, so a saved quicklist has Redis' node layout.
    pub fn node_shapes(&self) -> Vec<(usize, bool)> {
        match &self.repr {
            Repr::Pack(n) => vec![(n.len(), false)],
            Repr::Quick(q) => q.nodes.iter().map(|n| (n.len(), n.is_plain())).collect(),
        }
    }

    /// Before adding `add_count` elements totalling `add_bytes`: switch
    /// to the quicklist form if the compact form would exceed the limit of
    /// `fill` (list-max-listpack-size). Redis' listTypeTryConversionAppend.
    pub fn grow_check(&mut self, add_bytes: usize, add_count: usize, fill: i64) {
        let Repr::Pack(n) = &mut self.repr else { return };
        if !exceeds_limit(fill, n.lp_bytes().saturating_add(add_bytes), n.len().saturating_add(add_count)) {
            return;
        }
        let mut q = Quick::new(clamp_fill(fill));
        let node = std::mem::replace(n, Node::new());
        if node.len() > 0 {
            q.count = node.len();
            q.nodes.push_back(node);
        }
        self.repr = Repr::Quick(Box::new(q));
    }

    /// After removing elements: go back to the compact form once the list
    /// is a single packed node within half the limits of `fill`, the
    /// hysteresis Redis uses (listTypeTryConversion, shrinking).
    pub fn shrink_check(&mut self, fill: i64) {
        self.compact_if_fits(fill, 2);
    }

    /// Back to the compact form if the list is a single packed node within
    /// the full limits of `fill`: Redis' listTypeTryConversion with
    /// LIST_CONV_AUTO on a quicklist (what SORT ... STORE does to the
    /// quicklist it built).
    pub fn settle_check(&mut self, fill: i64) {
        self.compact_if_fits(fill, 1);
    }

    fn compact_if_fits(&mut self, fill: i64, divisor: usize) {
        let Repr::Quick(q) = &mut self.repr else { return };
        if q.nodes.len() != 1 || q.nodes[0].is_plain() {
            return;
        }
        let (sz_limit, count_limit) = node_limit(fill);
        if q.nodes[0].lp_bytes() > sz_limit / divisor || q.count > count_limit / divisor {
            return;
        }
        if let Some(node) = q.nodes.pop_front() {
            self.repr = Repr::Pack(node);
        }
    }

    pub fn push(&mut self, side: Side, v: &[u8]) {
        match (&mut self.repr, side) {
            (Repr::Pack(n), Side::Left) => n.push_front(v),
            (Repr::Pack(n), Side::Right) => n.push_back(v),
            (Repr::Quick(q), Side::Left) => q.push_head(v),
            (Repr::Quick(q), Side::Right) => q.push_tail(v),
        }
    }

    /// Prepare for pushing elements of these lengths at `side` (after
    /// [`List::grow_check`]): the compact form allocates for them at once.
    pub fn reserve_for(&mut self, side: Side, lens: impl Iterator<Item = usize>) {
        if let Repr::Pack(n) = &mut self.repr {
            n.reserve(side == Side::Left, lens.map(node::entry_size).sum());
        }
    }

    /// Remove the element at `side`, handing its bytes to `f` before they
    /// are dropped (no copy needed to reply with it).
    pub fn pop_with<R>(&mut self, side: Side, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        match (&mut self.repr, side) {
            (Repr::Pack(n), Side::Left) => n.pop_front_with(f),
            (Repr::Pack(n), Side::Right) => n.pop_back_with(f),
            (Repr::Quick(q), Side::Left) => q.pop_head_with(f),
            (Repr::Quick(q), Side::Right) => q.pop_tail_with(f),
        }
    }

    pub fn pop(&mut self, side: Side) -> Option<Vec<u8>> {
        self.pop_with(side, <[u8]>::to_vec)
    }

    /// A Redis index (negative counts from the tail) as a position.
    pub fn resolve(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let i = if index < 0 { len.checked_add(index)? } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// The element at position `i` (< len).
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len() {
            return None;
        }
        Some(match &self.repr {
            Repr::Pack(n) => n.get(i),
            Repr::Quick(q) => {
                let (ni, off) = q.locate(i);
                q.nodes[ni].get(off)
            }
        })
    }

    /// Elements from position `from` towards the tail, or towards the head
    /// with `reverse`.
    pub fn iter_from(&self, from: usize, reverse: bool) -> Iter<'_> {
        let src = match &self.repr {
            Repr::Pack(n) => Src::One(n),
            Repr::Quick(q) => Src::Many(&q.nodes),
        };
        let mut it = Iter { src, node: 0, off: 0, left: 0, reverse };
        if from >= self.len() {
            return it;
        }
        let (ni, idx) = match &self.repr {
            Repr::Pack(_) => (0, from),
            Repr::Quick(q) => q.locate(from),
        };
        let node = it.node_at(ni);
        let at = node.offset_of(idx);
        it.node = ni;
        it.off = if reverse { node.entry_at(at).1 } else { at };
        it.left = if reverse { from + 1 } else { self.len() - from };
        it
    }

    /// Every element, head to tail.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0, false)
    }

    /// Delete `n` elements from position `start` (listTypeDelRange).
    pub fn del_range(&mut self, start: usize, n: usize) {
        match &mut self.repr {
            Repr::Pack(node) => node.del_range(start, n),
            Repr::Quick(q) => q.del_range(start, n),
        }
    }

    /// Replace the element at position `i` (< len).
    pub fn set(&mut self, i: usize, v: &[u8]) {
        if i >= self.len() {
            return;
        }
        match &mut self.repr {
            Repr::Pack(n) => {
                let at = n.offset_of(i);
                n.replace_at(at, v);
            }
            Repr::Quick(q) => {
                let (ni, off) = q.locate(i);
                q.replace(ni, off, v);
            }
        }
    }

    /// Insert `v` before (or `after`) the first element equal to `pivot`,
    /// searching from the head. False if there is no such element.
    pub fn insert(&mut self, pivot: &[u8], v: &[u8], after: bool) -> bool {
        let Some(pos) = self.iter().position(|e| e == pivot) else { return false };
        match &mut self.repr {
            Repr::Pack(n) => {
                let at = n.offset_of(pos);
                let at = if after { n.entry_at(at).1 } else { at };
                n.insert_at(at, v);
            }
            Repr::Quick(q) => {
                let (ni, off) = q.locate(pos);
                q.insert(ni, off, v, after);
            }
        }
        true
    }

    /// Remove up to `limit` elements equal to `v` (0: all), scanning from
    /// the tail when `from_tail`. Returns how many were removed.
    pub fn remove(&mut self, v: &[u8], limit: usize, from_tail: bool) -> usize {
        match &mut self.repr {
            Repr::Pack(n) => n.remove_matches(v, limit, from_tail),
            Repr::Quick(q) => q.remove_matches(v, limit, from_tail),
        }
    }

    /// Positions of elements equal to `v` as LPOS finds them: skipping the
    /// first `rank - 1` matches, scanning at most `maxlen` elements (0: no
    /// limit) from the head, or from the tail with `from_tail`; `f` gets
    /// each match and returns false to stop.
    pub fn positions(&self, v: &[u8], rank: u64, maxlen: u64, from_tail: bool, mut f: impl FnMut(usize) -> bool) {
        let len = self.len();
        if len == 0 {
            return;
        }
        let start = if from_tail { len - 1 } else { 0 };
        let mut matches = 0u64;
        for (scanned, e) in self.iter_from(start, from_tail).enumerate() {
            if maxlen != 0 && scanned as u64 >= maxlen {
                break;
            }
            if e == v {
                matches += 1;
                if matches >= rank {
                    let pos = if from_tail { len - 1 - scanned } else { scanned };
                    if !f(pos) {
                        break;
                    }
                }
            }
        }
    }
}

pub struct Iter<'a> {
    src: Src<'a>,
    node: usize,
    /// Byte offset of the next element (forward) or just past it (reverse).
    off: usize,
    left: usize,
    reverse: bool,
}

enum Src<'a> {
    One(&'a Node),
    Many(&'a std::collections::VecDeque<Node>),
}

impl<'a> Iter<'a> {
    #[inline]
    fn node_at(&self, i: usize) -> &'a Node {
        match self.src {
            Src::One(n) => n,
            Src::Many(d) => &d[i],
        }
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let mut node = self.node_at(self.node);
        if self.reverse {
            if self.off <= node.start() {
                self.node -= 1;
                node = self.node_at(self.node);
                self.off = node.end();
            }
            let (v, at) = node.entry_before(self.off);
            self.off = at;
            Some(v)
        } else {
            if self.off >= node.end() {
                self.node += 1;
                node = self.node_at(self.node);
                self.off = node.start();
            }
            let (v, next) = node.entry_at(self.off);
            self.off = next;
            Some(v)
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests;
