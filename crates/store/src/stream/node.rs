//! One block of stream entries in a single packed buffer, the counterpart
//! of the listpack Redis keeps under each radix tree key.
//!
//! Layout of `buf`:
//! ```text
//! master: [nfields varint] ([len varint][field bytes])*
//! entry:  [flags u8][ms delta varint][seq delta zigzag varint]
//!         SAMEFIELDS:  ([len varint][value])*           (master's fields)
//!         otherwise:   [nfields varint] ([len][field][len][value])*
//! ```
//! IDs are deltas against the block's master ID (its key in the tree),
//! field names are omitted when they equal the master entry's, and a
//! deleted entry only gets its flag set (the block is dropped once every
//! entry in it is deleted), exactly the trade-offs of Redis' encoding.
//!
//! Redis decides when a block is full from the byte size of its listpack;
//! `lp_rest` tracks that size as Redis would compute it, so blocks split
//! at the same entries and approximate trimming (which removes whole
//! blocks) removes the same entries as Redis.

use super::id::StreamId;
use crate::list::limits::lp_entry_size;

pub(crate) const DELETED: u8 = 1;
pub(crate) const SAMEFIELDS: u8 = 2;

#[derive(Clone)]
pub(crate) struct Node {
    pub(crate) buf: Vec<u8>,
    pub(crate) entries_start: u32,
    pub(crate) master_nfields: u32,
    /// Entries not deleted.
    pub(crate) live: u32,
    /// Entries flagged deleted, still taking space.
    pub(crate) deleted: u32,
    /// Emulated listpack bytes except the header, end byte and the two
    /// counters (whose encoded size changes with their values).
    lp_rest: usize,
}

/// One decoded entry header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Loc {
    pub id: StreamId,
    pub flags: u8,
    /// Offset of the entry's field/value data.
    pub body: usize,
    pub nfields: u32,
    /// Offset of the next entry.
    pub next: usize,
}

#[inline]
pub(crate) fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

#[inline]
pub(crate) fn get_varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = buf[*pos];
        *pos += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

#[inline]
pub(crate) fn get_bytes<'a>(buf: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let n = get_varint(buf, pos) as usize;
    let s = &buf[*pos..*pos + n];
    *pos += n;
    s
}

#[inline]
fn put_bytes(buf: &mut Vec<u8>, b: &[u8]) {
    put_varint(buf, b.len() as u64);
    buf.extend_from_slice(b);
}

#[inline]
fn skip_bytes(buf: &[u8], pos: &mut usize) {
    let n = get_varint(buf, pos) as usize;
    *pos += n;
}

/// Size of an integer in a listpack (lpAppendInteger).
pub(crate) fn lp_int_size(v: i64) -> usize {
    let enc = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        v if v >= i32::MIN as i64 && v <= i32::MAX as i64 => 5,
        _ => 9,
    };
    enc + 1
}

impl Node {
    /// A block whose master entry takes the field names of its first entry.
    pub(crate) fn new(pairs: &[&[u8]]) -> Node {
        let nf = pairs.len() / 2;
        let mut buf = Vec::with_capacity(64);
        put_varint(&mut buf, nf as u64);
        let mut lp_rest = lp_int_size(nf as i64) + lp_int_size(0);
        for f in pairs.iter().step_by(2) {
            put_bytes(&mut buf, f);
            lp_rest += lp_entry_size(f);
        }
        Node { entries_start: buf.len() as u32, buf, master_nfields: nf as u32, live: 0, deleted: 0, lp_rest }
    }

    /// Redis' lpBytes of the equivalent listpack.
    pub(crate) fn lp_bytes(&self) -> usize {
        7 + lp_int_size(self.live as i64) + lp_int_size(self.deleted as i64) + self.lp_rest
    }

    pub(crate) fn total(&self) -> u32 {
        self.live + self.deleted
    }

    fn master_fields_equal(&self, pairs: &[&[u8]]) -> bool {
        if pairs.len() / 2 != self.master_nfields as usize {
            return false;
        }
        let mut pos = 0;
        get_varint(&self.buf, &mut pos);
        pairs.iter().step_by(2).all(|f| get_bytes(&self.buf, &mut pos) == *f)
    }

    /// Append an entry; `master` is this block's key.
    pub(crate) fn push(&mut self, master: StreamId, id: StreamId, pairs: &[&[u8]]) {
        let same = self.master_fields_equal(pairs);
        let nf = pairs.len() / 2;
        let ms_delta = id.ms.wrapping_sub(master.ms);
        let seq_delta = id.seq.wrapping_sub(master.seq) as i64;
        self.buf.push(if same { SAMEFIELDS } else { 0 });
        put_varint(&mut self.buf, ms_delta);
        put_varint(&mut self.buf, ((seq_delta << 1) ^ (seq_delta >> 63)) as u64);
        let mut lp = lp_int_size(0) + lp_int_size(ms_delta as i64) + lp_int_size(seq_delta);
        let mut lp_count = nf as i64 + 3;
        if same {
            for v in pairs.iter().skip(1).step_by(2) {
                put_bytes(&mut self.buf, v);
                lp += lp_entry_size(v);
            }
        } else {
            put_varint(&mut self.buf, nf as u64);
            lp += lp_int_size(nf as i64);
            for x in pairs {
                put_bytes(&mut self.buf, x);
                lp += lp_entry_size(x);
            }
            lp_count += nf as i64 + 1;
        }
        lp += lp_int_size(lp_count);
        self.lp_rest += lp;
        self.live += 1;
    }

    /// Decode the entry at `pos` (which must be an entry boundary).
    pub(crate) fn decode(&self, master: StreamId, pos: usize) -> Loc {
        let buf = &self.buf;
        let mut p = pos;
        let flags = buf[p];
        p += 1;
        let ms = master.ms.wrapping_add(get_varint(buf, &mut p));
        let z = get_varint(buf, &mut p);
        let seq_delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
        let seq = master.seq.wrapping_add(seq_delta as u64);
        let (nfields, per) = if flags & SAMEFIELDS != 0 { (self.master_nfields, 1) } else { (get_varint(buf, &mut p) as u32, 2) };
        let body = p;
        for _ in 0..nfields as usize * per {
            skip_bytes(buf, &mut p);
        }
        Loc { id: StreamId::new(ms, seq), flags, body, nfields, next: p }
    }

    pub(crate) fn end(&self) -> usize {
        self.buf.len()
    }

    /// The field/value pairs of a decoded entry.
    pub(crate) fn fields(&self, loc: &Loc) -> Fields<'_> {
        let same = loc.flags & SAMEFIELDS != 0;
        let mut master = 0;
        if same {
            get_varint(&self.buf, &mut master);
        }
        Fields { buf: &self.buf, master, pos: loc.body, left: loc.nfields, same }
    }

    /// Flag the entry at `pos` deleted (it must be live).
    pub(crate) fn mark_deleted(&mut self, pos: usize) {
        self.buf[pos] |= DELETED;
        self.live -= 1;
        self.deleted += 1;
    }

    /// Entry start offsets, for walking a block backwards.
    pub(crate) fn positions(&self, master: StreamId, out: &mut Vec<usize>) {
        out.clear();
        let mut p = self.entries_start as usize;
        while p < self.buf.len() {
            out.push(p);
            p = self.decode(master, p).next;
        }
    }

    /// Heap bytes held.
    pub(crate) fn mem_usage(&self) -> usize {
        std::mem::size_of::<Node>() + self.buf.capacity()
    }

    pub(crate) fn shrink(&mut self) {
        self.buf.shrink_to_fit();
    }
}

/// Field/value pairs of one entry.
#[derive(Clone)]
pub struct Fields<'a> {
    buf: &'a [u8],
    master: usize,
    pos: usize,
    left: u32,
    same: bool,
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let f = if self.same { get_bytes(self.buf, &mut self.master) } else { get_bytes(self.buf, &mut self.pos) };
        let v = get_bytes(self.buf, &mut self.pos);
        Some((f, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl ExactSizeIterator for Fields<'_> {}
