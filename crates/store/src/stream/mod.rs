//! The stream type: an ordered log of entries (an ID plus field/value
//! pairs) with consumer groups, as Redis' t_stream.c keeps it.
//!
//! Entries live in packed blocks ([`node::Node`]) in a B-tree keyed by each
//! block's first ("master") ID, so a stream costs a few bytes of overhead
//! per entry rather than an allocation each. Blocks fill up to
//! `stream-node-max-entries` / `stream-node-max-bytes` with Redis' exact
//! rule, which keeps whole-block (`~`) trimming identical to Redis.

pub mod group;
pub mod id;
mod node;
pub mod raw;
mod trim;

#[cfg(test)]
mod tests;

pub use group::{Consumer, Group, Nack, INVALID_ENTRIES_READ};
pub use id::StreamId;
pub use node::Fields;
pub use trim::{DeletePolicy, Trim, TrimStrategy};

use node::{Loc, Node, DELETED};
use std::collections::{btree_map, BTreeMap};

/// Redis' STREAM_LISTPACK_MAX_SIZE: the hard cap of one block.
const BLOCK_MAX_BYTES: usize = 1 << 30;

/// When a block counts as full (stream-node-max-bytes / -entries; 0: no
/// limit of that kind).
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    pub max_bytes: usize,
    pub max_entries: usize,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits { max_bytes: 4096, max_entries: 100 }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum AppendError {
    /// The ID is not greater than the last one (EDOM in Redis).
    NotGreater,
    /// The fields and values exceed what one block can hold (ERANGE).
    TooLarge,
}

#[derive(Clone, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Node>,
    /// Live entries.
    pub length: u64,
    pub last_id: StreamId,
    /// First live entry (0-0 when empty), as XINFO's recorded-first-entry-id.
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    /// Entries ever added (the logical counter groups' lag is based on).
    pub entries_added: u64,
    /// By name, in byte order as Redis' radix tree lists them.
    pub groups: BTreeMap<Vec<u8>, Group>,
}

/// One entry as read from the stream.
pub struct StreamEntry<'a> {
    pub id: StreamId,
    node: &'a Node,
    loc: Loc,
}

impl<'a> StreamEntry<'a> {
    pub fn fields(&self) -> Fields<'a> {
        self.node.fields(&self.loc)
    }
    pub fn nfields(&self) -> usize {
        self.loc.nfields as usize
    }
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    pub fn encoding_name(&self) -> &'static str {
        "stream"
    }

    pub fn mem_usage(&self) -> usize {
        std::mem::size_of::<Stream>()
            + self.nodes.values().map(|n| n.mem_usage() + 32).sum::<usize>()
            + self.groups.iter().map(|(k, g)| k.len() + 32 + g.mem_usage()).sum::<usize>()
    }

    /// Allocations freeing it takes (Redis counts listpacks + groups).
    pub fn free_effort(&self) -> usize {
        1 + self.nodes.len() + self.groups.values().map(|g| 1 + g.pel.len() + g.consumers.len()).sum::<usize>()
    }

    /// The ID `*` gives at `now_ms` (streamNextID); None when the last
    /// possible ID was used.
    pub fn next_auto_id(&self, now_ms: u64) -> Option<StreamId> {
        if now_ms > self.last_id.ms {
            Some(StreamId::new(now_ms, 0))
        } else {
            self.last_id.next()
        }
    }

    /// Append an entry with `id` (greater than the last ID) whose
    /// field/value pairs are `pairs` (field, value, field, value, ...).
    pub fn append(&mut self, id: StreamId, pairs: &[&[u8]], lim: NodeLimits) -> Result<(), AppendError> {
        if id <= self.last_id {
            return Err(AppendError::NotGreater);
        }
        let total: usize = pairs.iter().map(|p| p.len()).sum();
        if total > BLOCK_MAX_BYTES {
            return Err(AppendError::TooLarge);
        }
        let max_bytes = if lim.max_bytes == 0 || lim.max_bytes > BLOCK_MAX_BYTES { BLOCK_MAX_BYTES } else { lim.max_bytes };
        let mut tail = self.nodes.last_entry();
        let full = match &mut tail {
            None => true,
            Some(t) => {
                let n = t.get();
                let full = n.lp_bytes() + total >= max_bytes || (lim.max_entries != 0 && n.total() as usize >= lim.max_entries);
                if full {
                    t.get_mut().shrink();
                }
                full
            }
        };
        if full {
            let mut n = Node::new(pairs);
            n.push(id, id, pairs);
            self.nodes.insert(id, n);
        } else if let Some(mut t) = tail {
            let master = *t.key();
            t.get_mut().push(master, id, pairs);
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(())
    }

    /// Entries with start <= id <= end, in order.
    pub fn range(&self, start: StreamId, end: StreamId) -> Iter<'_> {
        let from = self.nodes.range(..=start).next_back().map(|(k, _)| *k).unwrap_or(start);
        let nodes = if from <= end { Some(self.nodes.range(from..=end)) } else { None };
        Iter { nodes, cur: None, pos: 0, start, end, done: false }
    }

    /// Entries with start <= id <= end, last first.
    pub fn range_rev(&self, start: StreamId, end: StreamId) -> RevIter<'_> {
        let from = self.nodes.range(..=start).next_back().map(|(k, _)| *k).unwrap_or(start);
        let nodes = if from <= end { Some(self.nodes.range(from..=end)) } else { None };
        RevIter { nodes, cur: None, positions: Vec::new(), start, end, done: false }
    }

    /// The live entry with this ID.
    pub fn get(&self, id: StreamId) -> Option<StreamEntry<'_>> {
        self.range(id, id).next()
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// Flag one entry deleted (streamDeleteItem); drops its block when it
    /// was the last live one. Does not touch first_id / max_deleted_id.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&key, node)) = self.nodes.range_mut(..=id).next_back() else { return false };
        let mut p = node.entries_start as usize;
        while p < node.end() {
            let loc = node.decode(key, p);
            if loc.id == id {
                if loc.flags & DELETED != 0 {
                    return false;
                }
                node.mark_deleted(p);
                if node.live == 0 {
                    self.nodes.remove(&key);
                }
                self.length -= 1;
                return true;
            }
            if loc.id > id {
                return false;
            }
            p = loc.next;
        }
        false
    }

    /// XDEL's bookkeeping after deleting entries: the tombstone high-water
    /// mark and the recorded first ID.
    pub fn note_deleted(&mut self, id: StreamId) {
        if id > self.max_deleted_id {
            self.max_deleted_id = id;
        }
    }

    /// Recompute first_id after deletions (0-0 when empty).
    pub fn refresh_first_id(&mut self) {
        self.first_id = if self.length == 0 { StreamId::MIN } else { self.edge_id(true) };
    }

    /// The first (or last) live ID; an empty stream answers MAX for the
    /// first and MIN for the last, as streamGetEdgeID.
    pub fn edge_id(&self, first: bool) -> StreamId {
        let e = if first { self.range(StreamId::MIN, StreamId::MAX).next() } else { self.range_rev(StreamId::MIN, StreamId::MAX).next() };
        match e {
            Some(e) => e.id,
            None if first => StreamId::MAX,
            None => StreamId::MIN,
        }
    }

    pub fn first_entry(&self) -> Option<StreamEntry<'_>> {
        self.range(StreamId::MIN, StreamId::MAX).next()
    }

    pub fn last_entry(&self) -> Option<StreamEntry<'_>> {
        self.range_rev(StreamId::MIN, StreamId::MAX).next()
    }

    /// Blocks in the tree (XINFO's radix-tree-keys).
    pub fn radix_tree_keys(&self) -> usize {
        self.nodes.len()
    }

    /// Nodes Redis' radix tree would have for these block keys (XINFO's
    /// radix-tree-nodes): a compressed trie over the 16-byte big-endian
    /// keys has the root, one node per branching prefix, one per child of
    /// a branching prefix, and one per key.
    pub fn radix_tree_nodes(&self) -> usize {
        let keys: Vec<u128> = self.nodes.keys().map(|k| k.as_u128()).collect();
        let mut set: std::collections::HashSet<(u8, u128)> = std::collections::HashSet::new();
        let prefix = |k: u128, len: u32| if len == 0 { 0 } else { k >> (128 - 8 * len) };
        set.insert((0, 0));
        for k in &keys {
            set.insert((16, *k));
        }
        for w in keys.windows(2) {
            let lcp = (w[0] ^ w[1]).leading_zeros() / 8;
            set.insert((lcp as u8, prefix(w[0], lcp)));
            set.insert((lcp as u8 + 1, prefix(w[0], lcp + 1)));
            set.insert((lcp as u8 + 1, prefix(w[1], lcp + 1)));
        }
        set.len()
    }

    /// Whether a tombstone may lie in start..=end (streamRangeHasTombstones).
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        // No tombstone, or the latest one is before the first entry.
        if self.length == 0 || self.max_deleted_id.is_zero() || self.first_id > self.max_deleted_id {
            return false;
        }
        let s = start.unwrap_or(StreamId::MIN);
        let e = end.unwrap_or(StreamId::MAX);
        s <= self.max_deleted_id && self.max_deleted_id <= e
    }

    /// The logical read counter of `id` when it can be known
    /// (streamEstimateDistanceFromFirstEverEntry); None when it cannot.
    pub fn estimate_distance(&self, id: StreamId) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        // Redis 8.2 answers any ID of an emptied stream with the total.
        if self.length == 0 {
            return Some(added);
        }
        if id == self.last_id {
            return Some(added);
        }
        if id > self.last_id {
            return None;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return Some(added - self.length as i64);
            }
            if id == self.first_id {
                return Some(added - self.length as i64 + 1);
            }
        }
        None
    }

    /// Whether a group's read counter can be trusted (Redis 8.2): known,
    /// the stream not empty, and the group's last ID not behind the first
    /// entry (entries before it may have been trimmed or deleted unseen).
    fn counter_valid(&self, g: &Group) -> bool {
        g.entries_read != INVALID_ENTRIES_READ && self.length > 0 && g.last_id >= self.first_id
    }

    /// A group's lag, or None when it cannot be computed (streamReplyWithCGLag).
    pub fn group_lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.counter_valid(g) && !self.range_has_tombstones(Some(g.last_id), None) {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        self.estimate_distance(g.last_id).map(|r| self.entries_added as i64 - r)
    }

    /// A group moved its last delivered ID to `id` by reading it: keep its
    /// read counter exact when possible.
    pub fn advance_group(&self, g: &mut Group, id: StreamId) {
        if self.counter_valid(g) && !self.range_has_tombstones(Some(id), None) {
            g.entries_read += 1;
        } else if self.entries_added != 0 {
            g.entries_read = self.estimate_distance(id).unwrap_or(INVALID_ENTRIES_READ);
        }
        g.last_id = id;
    }

    /// Whether some group still needs `id`: pending in a PEL, or not yet
    /// delivered to a group (the ACKED policy's test).
    pub fn is_referenced(&self, id: StreamId) -> bool {
        self.groups.values().any(|g| g.last_id < id || g.pel.contains_key(&id))
    }

    /// Drop `id` from every group's PEL (the DELREF policy).
    pub fn remove_refs(&mut self, id: StreamId) {
        for g in self.groups.values_mut() {
            g.ack(id);
        }
    }

    pub fn group(&self, name: &[u8]) -> Option<&Group> {
        self.groups.get(name)
    }

    pub fn group_mut(&mut self, name: &[u8]) -> Option<&mut Group> {
        self.groups.get_mut(name)
    }

    /// Create a group; false if the name exists.
    pub fn create_group(&mut self, name: &[u8], last_id: StreamId, entries_read: i64) -> bool {
        if self.groups.contains_key(name) {
            return false;
        }
        self.groups.insert(name.to_vec(), Group::new(last_id, entries_read));
        true
    }
}

/// Forward walk over live entries in a range.
pub struct Iter<'a> {
    nodes: Option<btree_map::Range<'a, StreamId, Node>>,
    cur: Option<(StreamId, &'a Node)>,
    pos: usize,
    start: StreamId,
    end: StreamId,
    done: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = StreamEntry<'a>;

    fn next(&mut self) -> Option<StreamEntry<'a>> {
        if self.done {
            return None;
        }
        loop {
            if let Some((master, node)) = self.cur {
                while self.pos < node.end() {
                    let loc = node.decode(master, self.pos);
                    self.pos = loc.next;
                    if loc.flags & DELETED != 0 || loc.id < self.start {
                        continue;
                    }
                    if loc.id > self.end {
                        self.done = true;
                        return None;
                    }
                    return Some(StreamEntry { id: loc.id, node, loc });
                }
            }
            match self.nodes.as_mut().and_then(|n| n.next()) {
                Some((k, n)) => {
                    self.cur = Some((*k, n));
                    self.pos = n.entries_start as usize;
                }
                None => {
                    self.done = true;
                    return None;
                }
            }
        }
    }
}

/// Backward walk over live entries in a range.
pub struct RevIter<'a> {
    nodes: Option<btree_map::Range<'a, StreamId, Node>>,
    cur: Option<(StreamId, &'a Node)>,
    positions: Vec<usize>,
    start: StreamId,
    end: StreamId,
    done: bool,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = StreamEntry<'a>;

    fn next(&mut self) -> Option<StreamEntry<'a>> {
        if self.done {
            return None;
        }
        loop {
            if let Some((master, node)) = self.cur {
                while let Some(p) = self.positions.pop() {
                    let loc = node.decode(master, p);
                    if loc.flags & DELETED != 0 || loc.id > self.end {
                        continue;
                    }
                    if loc.id < self.start {
                        self.done = true;
                        return None;
                    }
                    return Some(StreamEntry { id: loc.id, node, loc });
                }
            }
            match self.nodes.as_mut().and_then(|n| n.next_back()) {
                Some((k, n)) => {
                    self.cur = Some((*k, n));
                    n.positions(*k, &mut self.positions);
                }
                None => {
                    self.done = true;
                    return None;
                }
            }
        }
    }
}
