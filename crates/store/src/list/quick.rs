//! The large list form ("quicklist"): a deque of packed nodes.
//!
//! Node boundaries follow Redis' quicklist exactly (when a push starts a
//! new node, when an insert splits one and merges neighbours, when an
//! element is big enough for a node of its own), because Redis converts a
//! list back to "listpack" only when it has shrunk to a single node: to
//! give the same OBJECT ENCODING answers, Moon must have the same nodes.

use super::limits::{exceeds_limit, is_large, LP_EMPTY, SIZE_ESTIMATE_OVERHEAD};
use super::node::Node;
use std::collections::VecDeque;

#[derive(Clone)]
pub(crate) struct Quick {
    pub(crate) nodes: VecDeque<Node>,
    /// Total elements.
    pub(crate) count: usize,
    /// list-max-listpack-size when the quicklist was created (clamped).
    pub(crate) fill: i32,
}

impl Quick {
    pub(crate) fn new(fill: i32) -> Quick {
        Quick { nodes: VecDeque::new(), count: 0, fill }
    }

    #[inline]
    fn fill(&self) -> i64 {
        self.fill as i64
    }

    /// Whether an element of `sz` bytes may join `node` (Redis'
    /// _quicklistNodeAllowInsert).
    fn allow_insert(&self, node: Option<&Node>, sz: usize) -> bool {
        let Some(n) = node else { return false };
        if n.is_plain() || is_large(sz, self.fill()) {
            return false;
        }
        !exceeds_limit(self.fill(), n.lp_bytes() + sz + SIZE_ESTIMATE_OVERHEAD, n.len() + 1)
    }

    /// Whether nodes `a` and `a + 1` may become one.
    fn allow_merge(&self, a: usize) -> bool {
        let (Some(x), Some(y)) = (self.nodes.get(a), self.nodes.get(a + 1)) else { return false };
        if x.is_plain() || y.is_plain() {
            return false;
        }
        !exceeds_limit(self.fill(), x.lp_bytes() + y.lp_bytes() - LP_EMPTY, x.len() + y.len())
    }

    pub(crate) fn push_head(&mut self, v: &[u8]) {
        if is_large(v.len(), self.fill()) {
            self.nodes.push_front(Node::new_plain(v));
        } else if self.allow_insert(self.nodes.front(), v.len()) {
            self.nodes[0].push_front(v);
        } else {
            self.nodes.push_front(Node::with_one(v));
        }
        self.count += 1;
    }

    pub(crate) fn push_tail(&mut self, v: &[u8]) {
        if is_large(v.len(), self.fill()) {
            self.nodes.push_back(Node::new_plain(v));
        } else if self.allow_insert(self.nodes.back(), v.len()) {
            let last = self.nodes.len() - 1;
            self.nodes[last].push_back(v);
        } else {
            self.nodes.push_back(Node::with_one(v));
        }
        self.count += 1;
    }

    pub(crate) fn pop_head_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let node = self.nodes.front_mut()?;
        let r = node.pop_front_with(f)?;
        if node.len() == 0 {
            self.nodes.pop_front();
        }
        self.count -= 1;
        Some(r)
    }

    pub(crate) fn pop_tail_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let node = self.nodes.back_mut()?;
        let r = node.pop_back_with(f)?;
        if node.len() == 0 {
            self.nodes.pop_back();
        }
        self.count -= 1;
        Some(r)
    }

    /// (node, index within the node) of element `idx` (< count), seeking
    /// from the nearer end.
    pub(crate) fn locate(&self, idx: usize) -> (usize, usize) {
        if idx <= self.count / 2 {
            let mut acc = 0;
            for (i, n) in self.nodes.iter().enumerate() {
                if acc + n.len() > idx {
                    return (i, idx - acc);
                }
                acc += n.len();
            }
        } else {
            let mut acc = self.count;
            for (i, n) in self.nodes.iter().enumerate().rev() {
                acc -= n.len();
                if acc <= idx {
                    return (i, idx - acc);
                }
            }
        }
        unreachable!("index {idx} checked against count {}", self.count)
    }

    /// Delete element `off` of node `ni` (quicklistDelIndex); true if the
    /// node went away with it.
    pub(crate) fn del_at(&mut self, ni: usize, off: usize) -> bool {
        self.count -= 1;
        let node = &mut self.nodes[ni];
        if node.is_plain() || node.len() == 1 {
            self.nodes.remove(ni);
            return true;
        }
        let at = node.offset_of(off);
        node.remove_at(at);
        false
    }

    /// Delete `n` elements from index `start` (quicklistDelRange).
    pub(crate) fn del_range(&mut self, start: usize, n: usize) {
        let mut extent = n.min(self.count.saturating_sub(start));
        if extent == 0 {
            return;
        }
        let (mut ni, mut off) = self.locate(start);
        while extent > 0 {
            let node = &mut self.nodes[ni];
            let len = node.len();
            if (off == 0 && extent >= len) || node.is_plain() {
                self.nodes.remove(ni);
                self.count -= len;
                extent -= len;
            } else {
                let del = (len - off).min(extent);
                node.del_range(off, del);
                self.count -= del;
                extent -= del;
                if node.len() == 0 {
                    self.nodes.remove(ni);
                } else {
                    ni += 1;
                }
            }
            off = 0;
        }
    }

    /// Split node `ni` (see [`Node::split`]) and return the new part.
    fn split(&mut self, ni: usize, off: usize, after: bool) -> Node {
        self.nodes[ni].split(off, after)
    }

    /// Merge node `a + 1` into node `a`; returns `a`.
    fn merge_pair(&mut self, a: usize) -> usize {
        if let Some(b) = self.nodes.remove(a + 1) {
            self.nodes[a].append(&b);
        }
        a
    }

    /// Redis' _quicklistMergeNodes around `center`: try the pairs
    /// (prev-prev, prev), (next, next-next), (prev, center),
    /// (center, next), in that order. Returns the new center's index.
    fn merge_around(&mut self, mut center: usize) -> usize {
        if center >= 2 && self.allow_merge(center - 2) {
            self.merge_pair(center - 2);
            center -= 1;
        }
        if self.allow_merge(center + 1) {
            self.merge_pair(center + 1);
        }
        let mut target = center;
        if center >= 1 && self.allow_merge(center - 1) {
            target = self.merge_pair(center - 1);
        }
        if self.allow_merge(target) {
            target = self.merge_pair(target);
        }
        target
    }

    /// Insert `v` next to element `off` of node `ni` (_quicklistInsert).
    pub(crate) fn insert(&mut self, ni: usize, off: usize, v: &[u8], after: bool) {
        let sz = v.len();
        let fill = self.fill();
        let node = &self.nodes[ni];
        let full = !self.allow_insert(Some(node), sz);
        let at_tail = after && off + 1 == node.len();
        let at_head = !after && off == 0;
        let avail_next = at_tail && self.allow_insert(self.nodes.get(ni + 1), sz);
        let avail_prev = at_head && ni > 0 && self.allow_insert(self.nodes.get(ni - 1), sz);
        self.count += 1;

        if is_large(sz, fill) {
            let plain = Node::new_plain(v);
            if node.is_plain() || at_tail || at_head {
                self.nodes.insert(if after { ni + 1 } else { ni }, plain);
            } else {
                let part = self.split(ni, off, after);
                if after {
                    self.nodes.insert(ni + 1, plain);
                    self.nodes.insert(ni + 2, part);
                } else {
                    self.nodes.insert(ni, plain);
                    self.nodes.insert(ni, part);
                }
            }
            return;
        }

        if !full {
            let node = &mut self.nodes[ni];
            let at = node.offset_of(off);
            let at = if after { node.entry_at(at).1 } else { at };
            node.insert_at(at, v);
        } else if at_tail && avail_next {
            self.nodes[ni + 1].push_front(v);
        } else if at_head && avail_prev {
            self.nodes[ni - 1].push_back(v);
        } else if at_tail || at_head {
            self.nodes.insert(if after { ni + 1 } else { ni }, Node::with_one(v));
        } else {
            let mut part = self.split(ni, off, after);
            if after {
                part.push_front(v);
                self.nodes.insert(ni + 1, part);
                self.merge_around(ni);
            } else {
                part.push_back(v);
                self.nodes.insert(ni, part);
                self.merge_around(ni + 1);
            }
        }
    }

    /// Replace element `off` of node `ni` (quicklistReplaceEntry).
    pub(crate) fn replace(&mut self, ni: usize, off: usize, v: &[u8]) {
        let large = is_large(v.len(), self.fill());
        let node = &mut self.nodes[ni];
        if !node.is_plain() && !large {
            let at = node.offset_of(off);
            node.replace_at(at, v);
        } else if node.is_plain() {
            if large {
                node.set_plain_value(v);
            } else {
                // Insert the new value after the plain node, then drop it.
                self.insert(ni, 0, v, true);
                self.nodes.remove(ni);
                self.count -= 1;
            }
        } else {
            // A large value in a packed node: cut the node after the
            // element, put the value in a plain node of its own right
            // after it, then delete the old element (now the node's last).
            let rest = (off + 1 != node.len()).then(|| node.split(off, true));
            self.nodes.insert(ni + 1, Node::new_plain(v));
            if let Some(rest) = rest {
                self.nodes.insert(ni + 2, rest);
            }
            self.count += 1;
            if self.nodes[ni].len() == 1 {
                self.nodes.remove(ni);
                self.count -= 1;
            } else {
                let last = self.nodes[ni].len() - 1;
                self.del_at(ni, last);
                self.merge_around(ni + 1);
            }
        }
    }

    /// LREM: remove up to `limit` elements equal to `v` (0: all), from
    /// the tail when `from_tail`. Nodes left empty are dropped; Redis
    /// merges nothing here.
    pub(crate) fn remove_matches(&mut self, v: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        let mut i = if from_tail { self.nodes.len() } else { 0 };
        loop {
            if limit != 0 && removed == limit {
                break;
            }
            let ni = if from_tail {
                if i == 0 {
                    break;
                }
                i - 1
            } else {
                if i >= self.nodes.len() {
                    break;
                }
                i
            };
            let want = if limit == 0 { 0 } else { limit - removed };
            let node = &mut self.nodes[ni];
            let n = if node.is_plain() { usize::from(node.first() == Some(v)) } else { node.remove_matches(v, want, from_tail) };
            removed += n;
            self.count -= n;
            let gone = n > 0 && (node.is_plain() || node.len() == 0);
            if gone {
                self.nodes.remove(ni);
            }
            // From the tail, the next node is ni - 1 either way; from the
            // head, a removed node's successor moved into slot ni.
            if from_tail {
                i = ni;
            } else if !gone {
                i = ni + 1;
            }
        }
        removed
    }

    pub(crate) fn mem_usage(&self) -> usize {
        std::mem::size_of::<Quick>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(Node::mem_usage).sum::<usize>()
    }
}
