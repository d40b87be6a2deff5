//! Consumer groups: the last delivered ID, the logical read counter, the
//! pending entries list (PEL) and the consumers with their own PELs.
//!
//! A pending entry names its consumer through a shared `Arc<[u8]>`, so the
//! per-entry cost is one tree slot and no allocation.

use super::id::StreamId;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Redis' SCG_INVALID_ENTRIES_READ: the read counter is unknown.
pub const INVALID_ENTRIES_READ: i64 = -1;

#[derive(Clone, Debug)]
pub struct Nack {
    pub consumer: Arc<[u8]>,
    /// Unix ms of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug)]
pub struct Consumer {
    pub name: Arc<[u8]>,
    /// Last time the consumer was seen (any interaction).
    pub seen_time: i64,
    /// Last successful read or claim (-1: never).
    pub active_time: i64,
    pub pel: BTreeSet<StreamId>,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub last_id: StreamId,
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Arc<[u8]>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group { last_id, entries_read, pel: BTreeMap::new(), consumers: BTreeMap::new() }
    }

    pub fn consumer(&self, name: &[u8]) -> Option<&Consumer> {
        self.consumers.get(name)
    }

    pub fn consumer_mut(&mut self, name: &[u8]) -> Option<&mut Consumer> {
        self.consumers.get_mut(name)
    }

    /// Create a consumer if missing; true if it was created.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        let name: Arc<[u8]> = Arc::from(name);
        self.consumers.insert(name.clone(), Consumer { name, seen_time: now, active_time: -1, pel: BTreeSet::new() });
        true
    }

    /// Delete a consumer and its pending entries; returns how many it had.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Remove `id` from the group PEL and its consumer's; true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(n) => {
                if let Some(c) = self.consumers.get_mut(&n.consumer[..]) {
                    c.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Assign a pending entry to `consumer` (which must exist), moving it
    /// from its previous owner; creates the entry if it was not pending.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], delivery_time: i64, delivery_count: u64) {
        let Some(owner) = self.consumers.get(consumer).map(|c| c.name.clone()) else { return };
        if let Some(old) = self.pel.insert(id, Nack { consumer: owner.clone(), delivery_time, delivery_count }) {
            if old.consumer != owner {
                if let Some(c) = self.consumers.get_mut(&old.consumer[..]) {
                    c.pel.remove(&id);
                }
            }
        }
        if let Some(c) = self.consumers.get_mut(&owner[..]) {
            c.pel.insert(id);
        }
    }

    pub(crate) fn mem_usage(&self) -> usize {
        std::mem::size_of::<Group>()
            + self.pel.len() * (std::mem::size_of::<(StreamId, Nack)>() + 8)
            + self.consumers.values().map(|c| 96 + c.name.len() + c.pel.len() * 24).sum::<usize>()
    }
}
