//! Trimming (XTRIM, XADD MAXLEN/MINID) with Redis 8.2's reference
//! policies: KEEPREF leaves consumer groups' PELs alone, DELREF removes
//! trimmed entries from them, ACKED trims only entries every group has
//! read and acknowledged.

use super::node::DELETED;
use super::{Stream, StreamId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimStrategy {
    None,
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DeletePolicy {
    #[default]
    KeepRef,
    DelRef,
    Acked,
}

#[derive(Clone, Copy, Debug)]
pub struct Trim {
    pub strategy: TrimStrategy,
    /// `~`: only whole blocks are removed.
    pub approx: bool,
    /// At most this many entries (0: no limit); only with `approx`.
    pub limit: u64,
    pub policy: DeletePolicy,
}

impl Stream {
    /// Trim from the head; returns the number of entries removed.
    pub fn trim(&mut self, t: &Trim) -> u64 {
        if t.strategy == TrimStrategy::None {
            return 0;
        }
        let mut removed = 0u64;
        let keys: Vec<StreamId> = self.nodes.keys().copied().collect();
        for key in keys {
            if let TrimStrategy::MaxLen(max) = t.strategy {
                if self.length <= max {
                    break;
                }
            }
            let node = &self.nodes[&key];
            let entries = node.live as u64;
            if t.limit != 0 && removed + entries > t.limit {
                break;
            }
            // Whole blocks go only under KEEPREF: the other policies must
            // look at every entry (so `~` trims nothing under them).
            let remove_node = t.policy == DeletePolicy::KeepRef
                && match t.strategy {
                    TrimStrategy::MaxLen(max) => self.length - entries >= max,
                    TrimStrategy::MinId(min) => {
                        let mut last = key;
                        let mut p = node.entries_start as usize;
                        while p < node.end() {
                            let loc = node.decode(key, p);
                            last = loc.id;
                            p = loc.next;
                        }
                        last < min
                    }
                    TrimStrategy::None => false,
                };
            if remove_node {
                self.nodes.remove(&key);
                self.length -= entries;
                removed += entries;
                continue;
            }
            if t.approx {
                break;
            }
            // Flag entries inside this block up to the first one to keep.
            let mut stopped = false;
            let mut p = self.nodes[&key].entries_start as usize;
            loop {
                let node = &self.nodes[&key];
                if p >= node.end() {
                    break;
                }
                let loc = node.decode(key, p);
                let stop = match t.strategy {
                    TrimStrategy::MaxLen(max) => self.length <= max,
                    TrimStrategy::MinId(min) => loc.id >= min,
                    TrimStrategy::None => true,
                };
                if stop || (loc.flags & DELETED == 0 && t.policy == DeletePolicy::Acked && self.is_referenced(loc.id)) {
                    stopped = true;
                    break;
                }
                if loc.flags & DELETED == 0 {
                    if t.policy == DeletePolicy::DelRef {
                        self.remove_refs(loc.id);
                    }
                    if let Some(n) = self.nodes.get_mut(&key) {
                        n.mark_deleted(p);
                    }
                    self.length -= 1;
                    removed += 1;
                }
                p = loc.next;
            }
            // KEEPREF trims inside one block at most (Redis 7's rule);
            // the per-entry policies go on past blocks they emptied.
            if t.policy == DeletePolicy::KeepRef || stopped {
                break;
            }
            if self.nodes.get(&key).is_some_and(|n| n.live == 0) {
                self.nodes.remove(&key);
            } else {
                break;
            }
        }
        if removed > 0 {
            self.refresh_first_id();
        }
        removed
    }
}
