//! The blocks of a stream as Redis lays them out in its radix tree, for
//! persistence: each block's master ID, live/deleted counts, master field
//! names and every entry (deleted ones too) with its flags and ID deltas,
//! so an RDB writer can rebuild Redis' listpack byte for byte; and the
//! inverse, a block rebuilt from those parts when loading.

use super::id::StreamId;
use super::node::{get_bytes, get_varint, Node, DELETED, SAMEFIELDS};
use super::Stream;

/// One block, read-only.
pub struct Block<'a> {
    pub master: StreamId,
    node: &'a Node,
}

/// One entry of a block, as stored.
pub struct RawEntry<'a> {
    pub id: StreamId,
    pub deleted: bool,
    /// The entry reuses the master entry's field names (SAMEFIELDS).
    pub same_fields: bool,
    /// Redis' entry flags (DELETED = 1, SAMEFIELDS = 2).
    pub flags: u8,
    /// ID minus the master ID, as the two signed deltas Redis stores.
    pub ms_delta: i64,
    pub seq_delta: i64,
    pub fields: super::Fields<'a>,
}

impl<'a> Block<'a> {
    pub fn live(&self) -> u32 {
        self.node.live
    }

    pub fn deleted(&self) -> u32 {
        self.node.deleted
    }

    /// The master entry's field names.
    pub fn master_fields(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let buf = &self.node.buf[..];
        let mut pos = 0;
        let n = get_varint(buf, &mut pos);
        (0..n).map(move |_| get_bytes(buf, &mut pos))
    }

    pub fn master_nfields(&self) -> usize {
        self.node.master_nfields as usize
    }

    /// Every entry, deleted ones included, in order.
    pub fn entries(&self) -> impl Iterator<Item = RawEntry<'a>> + 'a {
        let node = self.node;
        let master = self.master;
        let mut pos = node.entries_start as usize;
        std::iter::from_fn(move || {
            if pos >= node.end() {
                return None;
            }
            let loc = node.decode(master, pos);
            pos = loc.next;
            Some(RawEntry {
                id: loc.id,
                deleted: loc.flags & DELETED != 0,
                same_fields: loc.flags & SAMEFIELDS != 0,
                flags: loc.flags,
                ms_delta: loc.id.ms.wrapping_sub(master.ms) as i64,
                seq_delta: loc.id.seq.wrapping_sub(master.seq) as i64,
                fields: node.fields(&loc),
            })
        })
    }
}

/// Why a loaded block was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum BlockError {
    /// Another block has this master ID.
    Duplicate,
    /// Entry IDs not strictly increasing, or behind the previous block.
    Unordered,
    /// An entry has no fields or an odd number of field/value items.
    BadEntry,
}

impl Stream {
    /// Every block in ID order.
    pub fn blocks(&self) -> impl Iterator<Item = Block<'_>> {
        self.nodes.iter().map(|(k, n)| Block { master: *k, node: n })
    }

    /// Append a block read from a file: `master_fields` are the master
    /// entry's names, `entries` (ID, deleted, field/value items) in order.
    /// Blocks must come in ID order. A block whose entries are all deleted
    /// is dropped, as Redis drops such a block when its last entry goes.
    /// Returns the block's live entries. Stream metadata (length, last ID,
    /// ...) is the caller's to set.
    pub fn load_block(
        &mut self,
        master: StreamId,
        master_fields: &[&[u8]],
        entries: &[(StreamId, bool, Vec<&[u8]>)],
    ) -> Result<u32, BlockError> {
        if self.nodes.contains_key(&master) {
            return Err(BlockError::Duplicate);
        }
        let mut prev = self.last_loaded_id();
        // Node::new takes field/value items; the master has names only.
        let names: Vec<&[u8]> = master_fields.iter().flat_map(|f| [*f, &b""[..]]).collect();
        let mut node = Node::new(&names);
        let mut at = Vec::with_capacity(entries.len());
        for (id, deleted, pairs) in entries {
            if pairs.is_empty() || pairs.len() % 2 != 0 {
                return Err(BlockError::BadEntry);
            }
            if *id < master || prev.is_some_and(|p| *id <= p) {
                return Err(BlockError::Unordered);
            }
            prev = Some(*id);
            at.push((node.end(), *deleted));
            node.push(master, *id, pairs);
        }
        for (pos, deleted) in at {
            if deleted {
                node.mark_deleted(pos);
            }
        }
        let live = node.live;
        if live > 0 {
            node.shrink();
            self.nodes.insert(master, node);
        }
        Ok(live)
    }

    /// The last entry ID (live or deleted) of the last block.
    fn last_loaded_id(&self) -> Option<StreamId> {
        let (k, n) = self.nodes.last_key_value()?;
        let mut pos = n.entries_start as usize;
        let mut last = None;
        while pos < n.end() {
            let loc = n.decode(*k, pos);
            last = Some(loc.id);
            pos = loc.next;
        }
        last
    }
}
