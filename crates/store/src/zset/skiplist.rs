//! The big form of a sorted set (OBJECT ENCODING "skiplist"): a skiplist
//! ordered by (score, member) whose forward links carry spans, so rank
//! queries and rank ranges are O(log n) (Pugh's skiplist as Redis uses it),
//! plus an [`Index`] from member to node for O(1) score lookups.
//!
//! Each node is one allocation: header, its forward links, then the member
//! bytes. The index points at nodes instead of holding its own copy of the
//! member, so a member is stored once.
//!
//! Unsafe code is confined to this file: nodes are raw allocations linked
//! by raw pointers. The invariants every function keeps:
//! - `head` has MAX_LEVEL links; levels >= `level` of head are null with
//!   span 0, lower levels link the list, each link's span counting the
//!   nodes it jumps (a null link's span counts the nodes after it);
//! - every element node is reachable on level 0 exactly once, is in the
//!   index exactly once, and is freed exactly once (in `remove`,
//!   `remove_rank_range` or `Drop`);
//! - `backward` is the level-0 predecessor (null for the first node) and
//!   `tail` the last node (null when empty).

use super::index::Index;
use crate::stripe::key_hash;
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU64, Ordering};

pub const MAX_LEVEL: usize = 32;

#[repr(C)]
pub struct Node {
    score: f64,
    backward: *mut Node,
    /// member length << 8 | height.
    meta: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Level {
    forward: *mut Node,
    span: usize,
}

const NODE: usize = std::mem::size_of::<Node>();
const LEVEL: usize = std::mem::size_of::<Level>();

fn layout(height: usize, mlen: usize) -> Layout {
    Layout::from_size_align(NODE + height * LEVEL + mlen, 8).expect("node size fits a Layout")
}

impl Node {
    #[inline]
    fn height(n: *const Node) -> usize {
        // SAFETY (all helpers below): callers pass live nodes (or head).
        unsafe { ((*n).meta & 0xff) as usize }
    }

    #[inline]
    fn mlen(n: *const Node) -> usize {
        unsafe { ((*n).meta >> 8) as usize }
    }

    #[inline]
    fn lvl(n: *mut Node, i: usize) -> *mut Level {
        debug_assert!(i < Node::height(n));
        unsafe { (n as *mut u8).add(NODE + i * LEVEL) as *mut Level }
    }

    #[inline]
    fn fwd(n: *mut Node, i: usize) -> *mut Node {
        unsafe { (*Node::lvl(n, i)).forward }
    }

    #[inline]
    fn span(n: *mut Node, i: usize) -> usize {
        unsafe { (*Node::lvl(n, i)).span }
    }

    #[inline]
    fn score(n: *const Node) -> f64 {
        unsafe { (*n).score }
    }

    /// The member bytes of a live element node.
    ///
    /// # Safety
    /// `n` must be a live element node; the slice must not outlive it.
    #[inline]
    pub unsafe fn member<'a>(n: *const Node) -> &'a [u8] {
        let off = NODE + Node::height(n) * LEVEL;
        std::slice::from_raw_parts((n as *const u8).add(off), Node::mlen(n))
    }

    fn alloc(height: usize, score: f64, member: &[u8]) -> *mut Node {
        let lay = layout(height, member.len());
        // SAFETY: the layout has a non-zero size (NODE > 0).
        let p = unsafe { alloc(lay) } as *mut Node;
        if p.is_null() {
            handle_alloc_error(lay);
        }
        // SAFETY: `p` has room for the header, `height` levels and the
        // member bytes; everything is initialized before use.
        unsafe {
            p.write(Node { score, backward: ptr::null_mut(), meta: ((member.len() as u64) << 8) | height as u64 });
            for i in 0..height {
                Node::lvl(p, i).write(Level { forward: ptr::null_mut(), span: 0 });
            }
            ptr::copy_nonoverlapping(member.as_ptr(), (p as *mut u8).add(NODE + height * LEVEL), member.len());
        }
        p
    }

    fn bytes(n: *const Node) -> usize {
        NODE + Node::height(n) * LEVEL + Node::mlen(n)
    }

    /// # Safety
    /// `n` came from `Node::alloc` and is unreachable afterwards.
    unsafe fn free(n: *mut Node) {
        dealloc(n as *mut u8, layout(Node::height(n), Node::mlen(n)));
    }
}

/// Whether node `n` sorts before (score, member).
#[inline]
fn node_before(n: *mut Node, score: f64, member: &[u8]) -> bool {
    let s = Node::score(n);
    // SAFETY: `n` is a live element node.
    s < score || (s == score && unsafe { Node::member(n) } < member)
}

static SEED: AtomicU64 = AtomicU64::new(0x853c_49e6_748f_ea9b);

pub struct SkipList {
    head: NonNull<Node>,
    tail: *mut Node,
    len: usize,
    level: usize,
    rng: u64,
    /// Bytes held by element nodes (for MEMORY USAGE).
    node_bytes: usize,
    index: Index,
}

// SAFETY: a SkipList exclusively owns all its nodes (like a Box); shared
// references only read.
unsafe impl Send for SkipList {}
unsafe impl Sync for SkipList {}

impl Default for SkipList {
    fn default() -> Self {
        SkipList::new()
    }
}

impl SkipList {
    pub fn new() -> SkipList {
        let head = Node::alloc(MAX_LEVEL, 0.0, b"");
        let seed = crate::table::splitmix(SEED.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)) | 1;
        SkipList {
            head: NonNull::new(head).expect("allocated"),
            tail: ptr::null_mut(),
            len: 0,
            level: 1,
            rng: seed,
            node_bytes: 0,
            index: Index::new(),
        }
    }

    /// A skiplist with room in its index for `n` members.
    pub fn with_capacity(n: usize) -> SkipList {
        let mut s = SkipList::new();
        s.index.reserve(n);
        s
    }

    #[inline]
    fn head(&self) -> *mut Node {
        self.head.as_ptr()
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes: nodes, the head, the index.
    pub fn bytes(&self) -> usize {
        self.node_bytes + Node::bytes(self.head()) + self.index.bytes()
    }

    /// Levels up with probability 1/4 each (Redis' ZSKIPLIST_P), from a
    /// per-list xorshift generator: cheap, and no shared state.
    fn random_level(&mut self) -> usize {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        let r = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        ((r.trailing_zeros() / 2) as usize + 1).min(MAX_LEVEL)
    }

    /// The hash the member index uses; callers that look a member up and
    /// then insert or update it pass it to the `_h` variants, hashing once.
    #[inline]
    pub fn hash(member: &[u8]) -> u64 {
        key_hash(member)
    }

    /// The score of `member`, if present.
    #[inline]
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.score_h(key_hash(member), member)
    }

    #[inline]
    pub fn score_h(&self, h: u64, member: &[u8]) -> Option<f64> {
        self.index.find(h, member).map(|n| Node::score(n.as_ptr()))
    }

    /// Insert a member known to be absent.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        self.insert_h(key_hash(member), score, member)
    }

    pub fn insert_h(&mut self, h: u64, score: f64, member: &[u8]) {
        let level = self.random_level();
        let n = Node::alloc(level, score, member);
        self.node_bytes += Node::bytes(n);
        self.link(n);
        self.index.insert(h, NonNull::new(n).expect("allocated"));
    }

    /// Link node `n` (unlinked, any height) at its sorted place.
    fn link(&mut self, n: *mut Node) {
        let head = self.head();
        let (score, height) = (Node::score(n), Node::height(n));
        // SAFETY: `n` is a live node not in the list; the walk only visits
        // linked nodes; all writes keep the module invariants.
        unsafe {
            let member = Node::member(n);
            let mut update = [head; MAX_LEVEL];
            let mut rank = [0usize; MAX_LEVEL];
            let mut x = head;
            for i in (0..self.level).rev() {
                rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
                loop {
                    let f = Node::fwd(x, i);
                    if f.is_null() || !node_before(f, score, member) {
                        break;
                    }
                    rank[i] += Node::span(x, i);
                    x = f;
                }
                update[i] = x;
            }
            if height > self.level {
                for i in self.level..height {
                    rank[i] = 0;
                    update[i] = head;
                    (*Node::lvl(head, i)).span = self.len;
                }
                self.level = height;
            }
            for i in 0..height {
                let u = Node::lvl(update[i], i);
                let l = Node::lvl(n, i);
                (*l).forward = (*u).forward;
                (*u).forward = n;
                (*l).span = (*u).span - (rank[0] - rank[i]);
                (*u).span = rank[0] - rank[i] + 1;
            }
            for (i, u) in update.iter().enumerate().take(self.level).skip(height) {
                (*Node::lvl(*u, i)).span += 1;
            }
            (*n).backward = if update[0] == head { ptr::null_mut() } else { update[0] };
            let f = Node::fwd(n, 0);
            if f.is_null() {
                self.tail = n;
            } else {
                (*f).backward = n;
            }
        }
        self.len += 1;
    }

    /// Predecessors of (score, member) on every level.
    fn path(&self, score: f64, member: &[u8]) -> [*mut Node; MAX_LEVEL] {
        let head = self.head();
        let mut update = [head; MAX_LEVEL];
        let mut x = head;
        for i in (0..self.level).rev() {
            loop {
                let f = Node::fwd(x, i);
                if f.is_null() || !node_before(f, score, member) {
                    break;
                }
                x = f;
            }
            update[i] = x;
        }
        update
    }

    /// Unlink `x` given its predecessors (Redis' zslDeleteNode).
    fn unlink(&mut self, x: *mut Node, update: &[*mut Node; MAX_LEVEL]) {
        let head = self.head();
        // SAFETY: `x` is linked and `update` holds its predecessors.
        unsafe {
            for (i, &u) in update.iter().enumerate().take(self.level) {
                let ul = Node::lvl(u, i);
                if (*ul).forward == x {
                    (*ul).span += Node::span(x, i);
                    (*ul).span -= 1;
                    (*ul).forward = Node::fwd(x, i);
                } else {
                    (*ul).span -= 1;
                }
            }
            let f = Node::fwd(x, 0);
            if f.is_null() {
                self.tail = (*x).backward;
            } else {
                (*f).backward = (*x).backward;
            }
        }
        while self.level > 1 && Node::fwd(head, self.level - 1).is_null() {
            self.level -= 1;
        }
        self.len -= 1;
    }

    /// Change the score of a present member. The node is reused: updated
    /// in place when its position does not change, else moved.
    pub fn update_score(&mut self, member: &[u8], new: f64) -> bool {
        self.update_score_h(key_hash(member), member, new)
    }

    pub fn update_score_h(&mut self, h: u64, member: &[u8], new: f64) -> bool {
        let Some(n) = self.index.find(h, member) else { return false };
        let x = n.as_ptr();
        // SAFETY: `x` is a live linked node.
        unsafe {
            let back = (*x).backward;
            let f = Node::fwd(x, 0);
            if (back.is_null() || Node::score(back) < new) && (f.is_null() || Node::score(f) > new) {
                (*x).score = new;
                return true;
            }
            let update = self.path(Node::score(x), Node::member(x));
            self.unlink(x, &update);
            for i in 0..Node::height(x) {
                *Node::lvl(x, i) = Level { forward: ptr::null_mut(), span: 0 };
            }
            (*x).score = new;
        }
        self.link(x);
        true
    }

    /// Remove `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let h = key_hash(member);
        let n = self.index.find(h, member)?;
        self.index.remove(h, n);
        let x = n.as_ptr();
        let score = Node::score(x);
        let update = self.path(score, member);
        self.unlink(x, &update);
        self.node_bytes -= Node::bytes(x);
        // SAFETY: unlinked from the list and the index.
        unsafe { Node::free(x) };
        self.index.shrink_if_sparse();
        Some(score)
    }

    /// 0-based rank and score of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        let n = self.index.find(key_hash(member), member)?.as_ptr();
        let score = Node::score(n);
        let mut x = self.head();
        let mut rank = 0;
        for i in (0..self.level).rev() {
            loop {
                let f = Node::fwd(x, i);
                // Advance while the next node is at or before the target.
                // SAFETY: `f` is a live element node.
                if f.is_null() || !(f == n || node_before(f, score, unsafe { Node::member(n) })) {
                    break;
                }
                rank += Node::span(x, i);
                x = f;
            }
            if x == n {
                return Some((rank - 1, score));
            }
        }
        None
    }

    /// The node at 0-based rank `r` (null when out of range).
    fn node_at(&self, r: usize) -> *mut Node {
        if r >= self.len {
            return ptr::null_mut();
        }
        // Ends are the common case (ZPOPMIN/MAX, ZRANGE 0 ...).
        if r == self.len - 1 {
            return self.tail;
        }
        let target = r + 1;
        let mut x = self.head();
        let mut traversed = 0;
        for i in (0..self.level).rev() {
            loop {
                let f = Node::fwd(x, i);
                if f.is_null() || traversed + Node::span(x, i) > target {
                    break;
                }
                traversed += Node::span(x, i);
                x = f;
            }
            if traversed == target {
                return x;
            }
        }
        ptr::null_mut()
    }

    /// Elements from 0-based rank `r` on, forwards or backwards.
    pub fn iter_from(&self, r: usize, rev: bool) -> SkipIter<'_> {
        SkipIter { node: self.node_at(r), rev, _list: PhantomData }
    }

    /// How many leading elements satisfy `pred`, found by descent: exact
    /// when `pred` holds for a prefix of the order (score and lex bounds on
    /// a sorted set); otherwise it answers as Redis' own descent does.
    pub fn count_prefix(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut x = self.head();
        let mut rank = 0;
        for i in (0..self.level).rev() {
            loop {
                let f = Node::fwd(x, i);
                // SAFETY: `f` is a live element node.
                if f.is_null() || !pred(Node::score(f), unsafe { Node::member(f) }) {
                    break;
                }
                rank += Node::span(x, i);
                x = f;
            }
        }
        rank
    }

    /// Remove the elements of 0-based ranks `start..=end`; returns how many.
    pub fn remove_rank_range(&mut self, start: usize, end: usize) -> usize {
        if start > end || start >= self.len {
            return 0;
        }
        let (start, end) = (start + 1, end + 1);
        let head = self.head();
        let mut update = [head; MAX_LEVEL];
        let mut x = head;
        let mut traversed = 0;
        for i in (0..self.level).rev() {
            loop {
                let f = Node::fwd(x, i);
                if f.is_null() || traversed + Node::span(x, i) >= start {
                    break;
                }
                traversed += Node::span(x, i);
                x = f;
            }
            update[i] = x;
        }
        traversed += 1;
        x = Node::fwd(x, 0);
        let mut removed = 0;
        while !x.is_null() && traversed <= end {
            let next = Node::fwd(x, 0);
            self.unlink(x, &update);
            // SAFETY: `x` is live until freed below.
            let h = key_hash(unsafe { Node::member(x) });
            self.index.remove(h, NonNull::new(x).expect("non-null"));
            self.node_bytes -= Node::bytes(x);
            // SAFETY: unlinked from the list and the index.
            unsafe { Node::free(x) };
            removed += 1;
            traversed += 1;
            x = next;
        }
        self.index.shrink_if_sparse();
        removed
    }

    /// One ZSCAN step (see Index::scan).
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8], f64)) -> u64 {
        self.index.scan(cursor, count, |n| {
            let p = n.as_ptr();
            // SAFETY: index pointers are live nodes of this list.
            f(unsafe { Node::member(p) }, Node::score(p))
        })
    }

    #[cfg(test)]
    pub fn check(&self) {
        // Level-0 order, backward links, tail, and every level's spans.
        let head = self.head();
        let mut prev: *mut Node = ptr::null_mut();
        let mut x = Node::fwd(head, 0);
        let mut pos = Vec::new();
        while !x.is_null() {
            // SAFETY: walking live nodes.
            unsafe {
                assert_eq!((*x).backward, prev);
                if !prev.is_null() {
                    assert!(node_before(prev, Node::score(x), Node::member(x)), "order");
                }
            }
            pos.push(x);
            prev = x;
            x = Node::fwd(x, 0);
        }
        assert_eq!(pos.len(), self.len);
        assert_eq!(self.tail, prev);
        let rank_of = |n: *mut Node| pos.iter().position(|&p| p == n).map_or(0, |i| i + 1);
        for i in 0..MAX_LEVEL {
            let mut x = head;
            loop {
                let f = Node::fwd(x, i);
                if i >= self.level {
                    assert!(f.is_null());
                    break;
                }
                let expect = if f.is_null() { self.len - rank_of(x) } else { rank_of(f) - rank_of(x) };
                assert_eq!(Node::span(x, i), expect, "span at level {i}");
                if f.is_null() {
                    break;
                }
                x = f;
            }
        }
        self.index.check();
        let bytes: usize = pos.iter().map(|&n| Node::bytes(n)).sum();
        assert_eq!(bytes, self.node_bytes);
        for &n in &pos {
            // SAFETY: live node.
            let m = unsafe { Node::member(n) };
            assert_eq!(self.index.find(key_hash(m), m).map(|p| p.as_ptr()), Some(n));
        }
    }
}

impl Clone for SkipList {
    fn clone(&self) -> Self {
        let mut c = SkipList::with_capacity(self.len);
        // Back to front: each insert stops at the head (Redis' zsetDup).
        let mut x = self.tail;
        while !x.is_null() {
            // SAFETY: walking live nodes of `self`.
            unsafe {
                c.insert(Node::score(x), Node::member(x));
                x = (*x).backward;
            }
        }
        c
    }
}

impl Drop for SkipList {
    fn drop(&mut self) {
        let head = self.head();
        let mut x = Node::fwd(head, 0);
        while !x.is_null() {
            let next = Node::fwd(x, 0);
            // SAFETY: every element node is freed once, here.
            unsafe { Node::free(x) };
            x = next;
        }
        // SAFETY: the head is freed once, here.
        unsafe { Node::free(head) };
    }
}

pub struct SkipIter<'a> {
    node: *mut Node,
    rev: bool,
    _list: PhantomData<&'a SkipList>,
}

impl<'a> Iterator for SkipIter<'a> {
    type Item = (&'a [u8], f64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let n = self.node;
        if n.is_null() {
            return None;
        }
        // SAFETY: nodes live as long as the borrowed list.
        unsafe {
            self.node = if self.rev { (*n).backward } else { Node::fwd(n, 0) };
            Some((Node::member(n), Node::score(n)))
        }
    }
}
