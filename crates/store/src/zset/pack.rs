//! The compact form of a sorted set (OBJECT ENCODING "listpack"): one
//! buffer of entries sorted by (score, member), with no per-entry
//! allocation and no header. Small sets are the common case (Redis keeps
//! up to 128 members of at most 64 bytes this way), so every operation is a
//! linear walk, as in Redis' listpack; what matters here is bytes.
//!
//! Entry layout: a header, then the member bytes. The header's first byte
//! says how the score and the member length are stored:
//!
//! ```text
//! 0x00..=0x7F  score (b >> 3) in 0..=15 and member length (b & 7) in
//!              0..=7, in this one byte: small ranks and counters on short
//!              members, the common case, cost one byte over the member
//! 0x80..=0xFF  kind (b >> 4 & 7) and length nibble (b & 15), then the
//!              score: kinds 0..=5 a signed integer of kind + 1 bytes
//!              (little endian), kind 6 the f64 bits (kind 7 is unused);
//!              a nibble of 15 means "15 plus the LEB128 that follows
//!              the score", else it is the member length
//! ```
//!
//! So integral scores (ranks, counters, timestamps) take 1 to 6 bytes and
//! anything else 8, with one byte for the kind and a member length under
//! 15 (Redis' listpack spends an encoding byte and a back-length byte on
//! each of the two). E.g. a score of 100000 and a 9-byte member take 13
//! bytes, where the listpack takes 16.
//!
//! As in Redis' listpack (which stores a score that `double2ll` accepts as
//! an integer), -0 is stored as the integer 0: a compact set does not keep
//! the sign of zero, a skiplist does. Replies show the difference
//! ("0" vs "-0"), so it is kept deliberately.

/// First byte of the tagged form: below it, score and length share it.
const PAIR_LIMIT: u8 = 0x80;
/// The kind of an f64 score.
const KIND_F64: u8 = 6;
/// A length nibble of this value is continued by a LEB128.
const NIB: usize = 15;
/// Integral scores below this magnitude are stored as integers (48 bits).
const INT_LIMIT: u64 = 1 << 47;

/// Largest header: tag + 8 score bytes + the largest length varint.
const MAX_HEADER: usize = 1 + 8 + 10;

#[derive(Clone, Default)]
pub struct Pack {
    /// Kept at exactly its length (growth uses `reserve_exact`), so a
    /// compact set costs what its entries take.
    buf: Vec<u8>,
}

/// Where a member is, or how many entries were walked looking for it
/// (and, from `find_slot`, where it would be inserted).
pub enum Lookup {
    Found { start: usize, end: usize, index: usize, score: f64 },
    Absent { len: usize, slot: usize },
}

/// Member equality. Members often share a prefix ("user:1001",
/// "user:1002"), so their tails rule most of them out before memcmp.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        let tail = |x: &[u8]| u64::from_ne_bytes([x[n - 8], x[n - 7], x[n - 6], x[n - 5], x[n - 4], x[n - 3], x[n - 2], x[n - 1]]);
        if tail(a) != tail(b) {
            return false;
        }
    } else if n > 0 && a[n - 1] != b[n - 1] {
        return false;
    }
    a == b
}

/// Bytes of the score that follows a tag of the tagged form.
#[inline(always)]
fn score_len(tag: u8) -> usize {
    let kind = (tag >> 4) & 7;
    if kind >= KIND_F64 {
        8
    } else {
        kind as usize + 1
    }
}

/// The score of a tagged header (`b` starts at its tag).
#[inline(always)]
fn decode_score(b: &[u8]) -> f64 {
    // Fixed-size reads per width (a variable-length copy would be a memcpy
    // call on the hot path of every walk). Odd widths are read into the
    // top of a wider word and shifted down with their sign.
    match (b[0] >> 4) & 7 {
        0 => b[1] as i8 as f64,
        1 => i16::from_le_bytes([b[1], b[2]]) as f64,
        2 => (i32::from_le_bytes([0, b[1], b[2], b[3]]) >> 8) as f64,
        3 => i32::from_le_bytes([b[1], b[2], b[3], b[4]]) as f64,
        4 => (i64::from_le_bytes([0, 0, 0, b[1], b[2], b[3], b[4], b[5]]) >> 24) as f64,
        5 => (i64::from_le_bytes([0, 0, b[1], b[2], b[3], b[4], b[5], b[6]]) >> 16) as f64,
        _ => f64::from_le_bytes([b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8]]),
    }
}

/// Bytes a signed integer needs (1..=6 for |i| < 2^47).
#[inline]
fn int_len(i: i64) -> usize {
    let mut n = 1;
    while n < 8 && (i >> (8 * n - 1)) != 0 && (i >> (8 * n - 1)) != -1 {
        n += 1;
    }
    n
}

/// Encode the header of an entry (score and member length) into `out`,
/// returning its size.
fn encode_header(score: f64, mlen: usize, out: &mut [u8]) -> usize {
    let i = score as i64;
    // `as` saturates, so a non-integral or huge value fails the round trip.
    let integral = i as f64 == score && i.unsigned_abs() < INT_LIMIT;
    if integral && (0..16).contains(&i) && mlen < 8 {
        out[0] = ((i as u8) << 3) | mlen as u8;
        return 1;
    }
    let (kind, n) = if integral {
        let n = int_len(i);
        out[1..1 + n].copy_from_slice(&i.to_le_bytes()[..n]);
        (n as u8 - 1, n)
    } else {
        out[1..9].copy_from_slice(&score.to_le_bytes());
        (KIND_F64, 8)
    };
    out[0] = PAIR_LIMIT | (kind << 4) | mlen.min(NIB) as u8;
    let mut p = 1 + n;
    if mlen >= NIB {
        p += write_len(mlen - NIB, &mut out[p..]);
    }
    p
}

/// A LEB128 at `pos`: (value, offset after it).
#[inline(always)]
fn read_len(b: &[u8], mut pos: usize) -> (usize, usize) {
    if b[pos] < 0x80 {
        return (b[pos] as usize, pos + 1);
    }
    let mut v = 0usize;
    let mut shift = 0;
    loop {
        let c = b[pos];
        pos += 1;
        v |= ((c & 0x7f) as usize) << shift;
        if c & 0x80 == 0 {
            return (v, pos);
        }
        shift += 7;
    }
}

fn write_len(mut n: usize, out: &mut [u8]) -> usize {
    let mut i = 0;
    loop {
        let c = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out[i] = c;
            return i + 1;
        }
        out[i] = c | 0x80;
        i += 1;
    }
}

/// Member length and start of the member of a tagged header at `pos`.
#[inline(always)]
fn tagged_member(buf: &[u8], pos: usize, h: u8) -> (usize, usize) {
    let p = pos + 1 + score_len(h);
    let nib = (h & 15) as usize;
    if nib < NIB {
        (nib, p)
    } else {
        let (ext, p) = read_len(buf, p);
        (NIB + ext, p)
    }
}

/// The entry at `pos`: (score, member, offset of the next entry).
#[inline(always)]
fn entry_at(buf: &[u8], pos: usize) -> (f64, &[u8], usize) {
    let h = buf[pos];
    if h < PAIR_LIMIT {
        let (m, next) = (pos + 1, pos + 1 + (h & 7) as usize);
        return ((h >> 3) as f64, &buf[m..next], next);
    }
    let score = decode_score(&buf[pos..]);
    let (mlen, p) = tagged_member(buf, pos, h);
    (score, &buf[p..p + mlen], p + mlen)
}

/// The score of the entry at `pos`.
#[inline(always)]
fn score_at(buf: &[u8], pos: usize) -> f64 {
    let h = buf[pos];
    if h < PAIR_LIMIT {
        (h >> 3) as f64
    } else {
        decode_score(&buf[pos..])
    }
}

/// The member of the entry at `pos` and the offset of the next entry,
/// without decoding the score.
#[inline(always)]
fn member_at(buf: &[u8], pos: usize) -> (&[u8], usize) {
    let h = buf[pos];
    if h < PAIR_LIMIT {
        let (m, next) = (pos + 1, pos + 1 + (h & 7) as usize);
        return (&buf[m..next], next);
    }
    let (mlen, p) = tagged_member(buf, pos, h);
    (&buf[p..p + mlen], p + mlen)
}

/// Whether (s1, m1) sorts after (s2, m2): score first, then member bytes.
#[inline(always)]
pub(crate) fn after(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> bool {
    s1 > s2 || (s1 == s2 && m1 > m2)
}

impl Pack {
    pub fn new() -> Pack {
        Pack { buf: Vec::new() }
    }

    /// Heap bytes.
    pub fn bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Encoded size (what Redis' 1 GB listpack safety limit applies to).
    pub fn encoded_len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Number of entries (a walk: compact sets are small).
    pub fn len(&self) -> usize {
        let mut n = 0;
        let mut pos = 0;
        while pos < self.buf.len() {
            pos = member_at(&self.buf, pos).1;
            n += 1;
        }
        n
    }

    pub fn iter(&self) -> PackIter<'_> {
        PackIter { buf: &self.buf, pos: 0 }
    }

    /// The entry at byte offset `pos`: (score, member, next offset).
    pub fn entry(&self, pos: usize) -> (f64, &[u8], usize) {
        entry_at(&self.buf, pos)
    }

    /// Start offsets of every entry, in order (for walking backwards).
    pub fn offsets(&self) -> Vec<u32> {
        let mut v = Vec::new();
        let mut pos = 0;
        while pos < self.buf.len() {
            v.push(pos as u32);
            pos = member_at(&self.buf, pos).1;
        }
        v
    }

    /// Byte offset of the entry with index `idx` (the buffer's length when
    /// `idx` is the entry count).
    pub fn offset_of(&self, idx: usize) -> usize {
        let mut pos = 0;
        for _ in 0..idx {
            if pos >= self.buf.len() {
                break;
            }
            pos = member_at(&self.buf, pos).1;
        }
        pos
    }

    pub fn find(&self, member: &[u8]) -> Lookup {
        let mut pos = 0;
        let mut index = 0;
        while pos < self.buf.len() {
            let (m, next) = member_at(&self.buf, pos);
            if same(m, member) {
                let score = score_at(&self.buf, pos);
                return Lookup::Found { start: pos, end: next, index, score };
            }
            pos = next;
            index += 1;
        }
        Lookup::Absent { len: index, slot: pos }
    }

    /// `find`, also noting where (score, member) would be inserted, so an
    /// add of a new member walks the buffer once.
    pub fn find_slot(&self, member: &[u8], score: f64) -> Lookup {
        let buf = &self.buf[..];
        let (mut pos, mut index) = (0, 0);
        // Up to the insertion point scores are decoded too...
        while pos < buf.len() {
            let (s, m, next) = entry_at(buf, pos);
            if same(m, member) {
                return Lookup::Found { start: pos, end: next, index, score: s };
            }
            if after(s, m, score, member) {
                break;
            }
            pos = next;
            index += 1;
        }
        // ...past it only members are compared.
        let slot = pos;
        while pos < buf.len() {
            let (m, next) = member_at(buf, pos);
            if same(m, member) {
                return Lookup::Found { start: pos, end: next, index, score: score_at(buf, pos) };
            }
            pos = next;
            index += 1;
        }
        Lookup::Absent { len: index, slot }
    }

    /// Encoded size of an entry.
    pub fn entry_size(score: f64, mlen: usize) -> usize {
        let mut hdr = [0u8; MAX_HEADER];
        encode_header(score, mlen, &mut hdr) + mlen
    }

    /// Room for `n` more bytes without reallocating. A multi-member add
    /// reserves once instead of growing through every allocator size class
    /// on the way (each step a copy, and the freed blocks fragment memory).
    pub fn reserve(&mut self, n: usize) {
        self.buf.reserve_exact(n);
    }

    /// Give back any room left by `reserve`.
    pub fn fit(&mut self) {
        if self.buf.capacity() != self.buf.len() {
            self.buf.shrink_to_fit();
        }
    }

    /// Insert a member known to be absent at its sorted place.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        let mut pos = 0;
        while pos < self.buf.len() {
            let (s, m, next) = entry_at(&self.buf, pos);
            if after(s, m, score, member) {
                break;
            }
            pos = next;
        }
        self.insert_at(pos, score, member);
    }

    /// Append a member that sorts after every present one.
    pub fn push_back(&mut self, score: f64, member: &[u8]) {
        self.insert_at(self.buf.len(), score, member);
    }

    /// Insert at byte offset `pos`, which must be where the entry sorts
    /// (as `find_slot` reports it).
    pub fn insert_at(&mut self, pos: usize, score: f64, member: &[u8]) {
        let mut hdr = [0u8; MAX_HEADER];
        let hl = encode_header(score, member.len(), &mut hdr);
        let add = hl + member.len();
        self.buf.reserve_exact(add);
        let old = self.buf.len();
        self.buf.resize(old + add, 0);
        self.buf.copy_within(pos..old, pos + add);
        self.buf[pos..pos + hl].copy_from_slice(&hdr[..hl]);
        self.buf[pos + hl..pos + add].copy_from_slice(member);
    }

    /// Remove the bytes `start..end` (whole entries).
    pub fn remove_span(&mut self, start: usize, end: usize) {
        self.buf.drain(start..end);
        // Return memory once a good share of the buffer is unused, as
        // listpack deletions realloc smaller.
        if self.buf.capacity() - self.buf.len() > 16 + self.buf.len() / 8 {
            self.buf.shrink_to_fit();
        }
    }

    /// Remove `n` entries starting at index `first`.
    pub fn remove_range(&mut self, first: usize, n: usize) {
        let start = self.offset_of(first);
        let mut end = start;
        for _ in 0..n {
            if end >= self.buf.len() {
                break;
            }
            end = member_at(&self.buf, end).1;
        }
        self.remove_span(start, end);
    }
}

pub struct PackIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> PackIter<'a> {
    /// Skip `n` entries.
    pub fn skip_entries(&mut self, n: usize) {
        for _ in 0..n {
            if self.pos >= self.buf.len() {
                return;
            }
            self.pos = member_at(self.buf, self.pos).1;
        }
    }
}

impl<'a> Iterator for PackIter<'a> {
    type Item = (&'a [u8], f64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (s, m, next) = entry_at(self.buf, self.pos);
        self.pos = next;
        Some((m, s))
    }
}

/// Walks a pack backwards through precomputed entry offsets.
pub struct PackRevIter<'a> {
    buf: &'a [u8],
    offs: Vec<u32>,
}

impl<'a> PackRevIter<'a> {
    /// Entries from index `from` (counted from the end) towards the front.
    pub fn new(p: &'a Pack, from: usize) -> Self {
        let mut offs = p.offsets();
        let keep = offs.len().saturating_sub(from);
        offs.truncate(keep);
        PackRevIter { buf: &p.buf, offs }
    }
}

impl<'a> Iterator for PackRevIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        let pos = self.offs.pop()? as usize;
        let (s, m, _) = entry_at(self.buf, pos);
        Some((m, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(score: f64, member: &[u8]) -> usize {
        let mut b = vec![0u8; MAX_HEADER];
        let n = encode_header(score, member.len(), &mut b);
        b.truncate(n);
        b.extend_from_slice(member);
        let (s, m, next) = entry_at(&b, 0);
        assert_eq!((s, m, next), (score, member, b.len()), "{score}");
        assert_eq!(member_at(&b, 0), (member, b.len()));
        assert_eq!(score_at(&b, 0), score);
        n
    }

    #[test]
    fn headers_round_trip() {
        let vals = [
            0.0,
            1.0,
            15.0,
            16.0,
            -1.0,
            -16.0,
            -17.0,
            95.0,
            96.0,
            32767.0,
            -32768.0,
            32768.0,
            2147483647.0,
            -2147483649.0,
            1.7e12,
            -((1u64 << 47) as f64) + 1.0,
            -((1u64 << 47) as f64),
            ((1u64 << 47) as f64) - 1.0,
            (1u64 << 47) as f64,
            127.0,
            128.0,
            -128.0,
            -129.0,
            8388607.0,
            -8388608.0,
            -8388609.0,
            (1u64 << 39) as f64,
            -((1u64 << 39) as f64) - 1.0,
            1.5,
            -0.25,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            5e-324,
            4611686018427387904.0,
        ];
        for v in vals {
            for m in [&b""[..], b"abc", b"1234567", b"12345678", &[7u8; 14], &[7u8; 15], &[7u8; 16], &[7u8; 300]] {
                round_trip(v, m);
            }
        }
        assert_eq!(round_trip(5.0, b"m5"), 1);
        assert_eq!(round_trip(15.0, b"1234567"), 1);
        assert_eq!(round_trip(15.0, b"12345678"), 2);
        assert_eq!(round_trip(16.0, b"m16"), 2);
        assert_eq!(round_trip(-1.0, b"m"), 2);
        assert_eq!(round_trip(127.0, b"x"), 2);
        assert_eq!(round_trip(128.0, b"x"), 3);
        assert_eq!(round_trip(1000.0, b"x"), 3);
        assert_eq!(round_trip(100019.0, b"member:01"), 4);
        assert_eq!(round_trip(-8388608.0, b"x"), 4);
        assert_eq!(round_trip(8388608.0, b"x"), 5);
        assert_eq!(round_trip(1.7e12, b"x"), 7);
        assert_eq!(round_trip(0.5, b"x"), 9);
        // Member lengths across the nibble: 14 fits it, 15 continues.
        assert_eq!(round_trip(1000.0, &[b'm'; 14]), 3);
        assert_eq!(round_trip(1000.0, &[b'm'; 15]), 4);
        assert_eq!(round_trip(1000.0, &[b'm'; 142]), 4);
        assert_eq!(round_trip(1000.0, &[b'm'; 143]), 5);
        // -0 becomes 0, as in Redis' listpack.
        let mut b = [0u8; MAX_HEADER];
        assert_eq!(encode_header(-0.0, 1, &mut b), 1);
        assert!(score_at(&b, 0).is_sign_positive());
    }

    #[test]
    fn lengths_round_trip() {
        for n in [0usize, 1, 127, 128, 300, 16383, 16384, 1 << 30] {
            let mut b = [0u8; 10];
            let k = write_len(n, &mut b);
            assert_eq!(read_len(&b, 0), (n, k));
        }
    }

    #[test]
    fn sorted_insert_find_remove() {
        let mut p = Pack::new();
        p.insert(2.0, b"b");
        p.insert(1.0, b"z");
        p.insert(2.0, b"a");
        p.insert(0.5, b"long member name");
        let all: Vec<_> = p.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        assert_eq!(all, vec![(b"long member name".to_vec(), 0.5), (b"z".to_vec(), 1.0), (b"a".to_vec(), 2.0), (b"b".to_vec(), 2.0)]);
        assert_eq!(p.len(), 4);
        assert_eq!(p.bytes(), p.encoded_len());
        match p.find(b"a") {
            Lookup::Found { index, score, start, end } => {
                assert_eq!((index, score), (2, 2.0));
                p.remove_span(start, end);
            }
            Lookup::Absent { .. } => panic!("a is there"),
        }
        assert!(matches!(p.find(b"a"), Lookup::Absent { len: 3, .. }));
        let Lookup::Absent { slot, .. } = p.find_slot(b"y", 1.0) else { panic!("absent") };
        p.insert_at(slot, 1.0, b"y");
        // (1, "y") sorts before (1, "z").
        assert_eq!(p.iter().nth(1), Some((&b"y"[..], 1.0)));
        p.remove_range(1, 1);
        let rev: Vec<_> = PackRevIter::new(&p, 1).map(|(m, _)| m.to_vec()).collect();
        assert_eq!(rev, vec![b"z".to_vec(), b"long member name".to_vec()]);
        p.remove_range(0, 2);
        assert_eq!(p.iter().map(|(m, _)| m.to_vec()).collect::<Vec<_>>(), vec![b"b".to_vec()]);
        p.remove_range(0, 5);
        assert!(p.is_empty());
    }
}
