//! How consumer-group reads and claims are journaled: as Redis propagates
//! them, each entry handed to a consumer becomes an XCLAIM that forces the
//! exact owner, delivery time and count, and the group's read position an
//! XGROUP SETID, so a replay rebuilds the PEL without depending on when it
//! runs.

use crate::ctx::KeyAccess;
use moon_store::stream::{Group, StreamId};

/// What one command did to a group, gathered while the group is borrowed
/// and journaled after.
#[derive(Default)]
pub(super) struct GroupEffects {
    /// (id, delivery time, delivery count) assigned to the consumer.
    pub claimed: Vec<(StreamId, i64, u64)>,
    /// Pending entries dropped because their entry was deleted.
    pub dropped: Vec<StreamId>,
    /// The group's last ID and entries-read moved.
    pub position: Option<(StreamId, i64)>,
    pub created_consumer: bool,
}

impl GroupEffects {
    /// Note the consumer's PEL entry for `id` as it now is.
    pub fn claim(&mut self, g: &Group, id: StreamId) {
        if let Some(n) = g.pel.get(&id) {
            self.claimed.push((id, n.delivery_time, n.delivery_count));
        }
    }

    pub fn journal(self, ks: &mut KeyAccess, key: &[u8], group: &[u8], consumer: &[u8], last_id: StreamId) {
        if !ks.journal.on {
            return;
        }
        let last = last_id.to_string();
        for (id, time, count) in &self.claimed {
            let (id, time, count) = (id.to_string(), time.to_string(), count.to_string());
            ks.propagate(&[
                b"XCLAIM",
                key,
                group,
                consumer,
                b"0",
                id.as_bytes(),
                b"TIME",
                time.as_bytes(),
                b"RETRYCOUNT",
                count.as_bytes(),
                b"FORCE",
                b"JUSTID",
                b"LASTID",
                last.as_bytes(),
            ]);
        }
        for id in &self.dropped {
            ks.propagate(&[b"XACK", key, group, id.to_string().as_bytes()]);
        }
        if let Some((id, read)) = self.position {
            ks.propagate(&[b"XGROUP", b"SETID", key, group, id.to_string().as_bytes(), b"ENTRIESREAD", read.to_string().as_bytes()]);
        }
        if self.created_consumer && self.claimed.is_empty() {
            ks.propagate(&[b"XGROUP", b"CREATECONSUMER", key, group, consumer]);
        }
    }
}
