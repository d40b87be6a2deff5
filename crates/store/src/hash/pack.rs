//! The compact hash encoding (OBJECT ENCODING "listpack", or "listpackex"
//! once a field TTL was set): all pairs in one exact-size byte buffer,
//! searched linearly. Used while a hash is small (hash-max-listpack-*),
//! where a scan of a few hundred bytes beats hashing and the memory per
//! pair is what matters.
//!
//! A pair is encoded as
//! ```text
//! [hdr u8][field len - 15 varint?][value len - 15 varint?][field][value][ttl varint, "ex" only]
//! ```
//! `hdr` holds the field length in its high nibble and the value length in
//! its low nibble; a nibble of 15 means "15 plus the varint that follows".
//! Short pairs thus cost one byte of overhead (Redis' listpack spends an
//! encoding byte and a back-length byte per element, four per pair), so
//! twenty pairs like `f7`/`v7` fit a 128-byte allocation.
//!
//! In the "ex" layout every pair ends with its expire time in unix ms as a
//! LEB128 varint, 0 meaning none, and pairs are kept in Redis' listpackex
//! order, which HGETALL shows: fields with a TTL first, by ascending time;
//! a field given a TTL is moved before the first pair whose TTL is equal or
//! later or absent; fields without a TTL follow in insertion order, and a
//! field losing its TTL moves to the end.
//!
//! The buffer is a `Box<[u8]>` of exactly the encoded size: every edit
//! reallocates to the new size (as Redis' listpack does), which the
//! allocator usually satisfies in place within the size class. The one
//! exception is a multi-field write to an empty hash, which reserves the
//! bytes of all its pairs first ([`Pack::reserve`], then [`Pack::fit`]):
//! growing pair by pair would step through every allocator size class on
//! the way, and the blocks freed on the way fragment memory measurably
//! (27 bytes of RSS per key for 100K 20-field hashes under mimalloc).

/// Where one pair lies in the buffer.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub start: usize,
    field: usize,
    flen: usize,
    value: usize,
    vlen: usize,
    /// Expire time in unix ms; 0 when none (or not the "ex" layout).
    pub ttl: u64,
    pub end: usize,
}

#[derive(Default)]
pub struct Pack {
    /// `used` bytes of pairs, then room reserved for a batch (normally none).
    buf: Box<[u8]>,
    used: u32,
    /// Pair count, and EX_BIT for the "ex" layout (one word, so a Pack
    /// stays 24 bytes).
    meta: u32,
}

const EX_BIT: u32 = 1 << 31;

impl Clone for Pack {
    /// A clone is exact-size, without reserved room.
    fn clone(&self) -> Pack {
        Pack { buf: self.data().into(), used: self.used, meta: self.meta }
    }
}

const NIB: usize = 15;

#[inline]
fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

#[inline]
fn put_varint(dst: &mut [u8], mut v: u64) -> usize {
    let mut i = 0;
    while v >= 0x80 {
        dst[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    dst[i] = v as u8;
    i + 1
}

#[inline]
fn get_varint(buf: &[u8], pos: &mut usize) -> u64 {
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

/// Encoded size of a pair (`ttl` present only in the "ex" layout).
#[inline]
pub(super) fn pair_size(flen: usize, vlen: usize, ttl: Option<u64>) -> usize {
    let ext = |l: usize| if l >= NIB { varint_len((l - NIB) as u64) } else { 0 };
    1 + ext(flen) + ext(vlen) + flen + vlen + ttl.map_or(0, varint_len)
}

/// Equality of two slices of equal length; short ones (the usual field)
/// are compared inline rather than through a call to memcmp.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() <= 16 {
        a.iter().zip(b).all(|(x, y)| x == y)
    } else {
        a == b
    }
}

/// Size of a pair's header (the length byte and its varints).
#[inline]
fn header_size(flen: usize, vlen: usize) -> usize {
    pair_size(flen, vlen, None) - flen - vlen
}

/// Write a pair's header; returns its size.
#[inline]
fn write_header(dst: &mut [u8], flen: usize, vlen: usize) -> usize {
    let nib = |l: usize| l.min(NIB) as u8;
    dst[0] = (nib(flen) << 4) | nib(vlen);
    let mut p = 1;
    if flen >= NIB {
        p += put_varint(&mut dst[p..], (flen - NIB) as u64);
    }
    if vlen >= NIB {
        p += put_varint(&mut dst[p..], (vlen - NIB) as u64);
    }
    p
}

/// Encode a pair into `dst` (exactly `pair_size` bytes).
fn write_pair(dst: &mut [u8], field: &[u8], value: &[u8], ttl: Option<u64>) {
    let mut p = write_header(dst, field.len(), value.len());
    dst[p..p + field.len()].copy_from_slice(field);
    p += field.len();
    dst[p..p + value.len()].copy_from_slice(value);
    p += value.len();
    if let Some(t) = ttl {
        p += put_varint(&mut dst[p..], t);
    }
    debug_assert_eq!(p, dst.len());
}

impl Pack {
    #[inline]
    pub fn len(&self) -> usize {
        (self.meta & !EX_BIT) as usize
    }

    #[inline]
    pub fn is_ex(&self) -> bool {
        self.meta & EX_BIT != 0
    }

    /// The encoded pairs.
    #[inline]
    fn data(&self) -> &[u8] {
        &self.buf[..self.used as usize]
    }

    /// Heap bytes (the encoded pairs plus any reserved room).
    #[inline]
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Encoded bytes.
    #[inline]
    pub fn encoded_len(&self) -> usize {
        self.used as usize
    }

    #[inline]
    fn add_len(&mut self, d: i64) {
        self.meta = (self.meta & EX_BIT) | ((self.len() as i64 + d) as u32 & !EX_BIT);
    }

    /// Room for `n` more bytes, in one allocation, before a batch of
    /// writes; [`Pack::fit`] returns what was not used.
    pub fn reserve(&mut self, n: usize) {
        if n > 0 && n <= super::PACK_MAX_BYTES {
            self.edit(|v| v.reserve_exact(n));
        }
    }

    /// Drop reserved room, back to exactly the encoded size.
    pub fn fit(&mut self) {
        if self.buf.len() != self.used as usize {
            self.buf = self.data().into();
        }
    }

    /// The pair starting at `pos`.
    #[inline]
    fn decode(&self, pos: usize) -> Slot {
        let b = self.data();
        let h = b[pos];
        let mut p = pos + 1;
        let mut flen = (h >> 4) as usize;
        if flen == NIB {
            flen += get_varint(b, &mut p) as usize;
        }
        let mut vlen = (h & 0x0f) as usize;
        if vlen == NIB {
            vlen += get_varint(b, &mut p) as usize;
        }
        let field = p;
        let value = field + flen;
        p = value + vlen;
        let ttl = if self.is_ex() { get_varint(b, &mut p) } else { 0 };
        Slot { start: pos, field, flen, value, vlen, ttl, end: p }
    }

    #[inline]
    pub fn field(&self, s: &Slot) -> &[u8] {
        &self.data()[s.field..s.field + s.flen]
    }

    #[inline]
    pub fn value(&self, s: &Slot) -> &[u8] {
        &self.data()[s.value..s.value + s.vlen]
    }

    /// Pairs in order.
    pub fn slots(&self) -> Slots<'_> {
        Slots { pack: self, pos: 0 }
    }

    /// The pair whose field is `field`. The hot loop reads only headers
    /// (one byte for short pairs) and compares bytes only on equal lengths.
    pub fn find(&self, field: &[u8]) -> Option<Slot> {
        let b = self.data();
        let ex = self.is_ex();
        let mut pos = 0;
        while pos < b.len() {
            let h = b[pos];
            let (flen, vlen, at) = if h >> 4 != NIB as u8 && h & 0x0f != NIB as u8 {
                ((h >> 4) as usize, (h & 0x0f) as usize, pos + 1)
            } else {
                let s = self.decode(pos);
                (s.flen, s.vlen, s.field)
            };
            if flen == field.len() && same_bytes(&b[at..at + flen], field) {
                return Some(self.decode(pos));
            }
            pos = at + flen + vlen;
            if ex {
                while b[pos] >= 0x80 {
                    pos += 1;
                }
                pos += 1;
            }
        }
        None
    }

    /// Run `f` on the encoded pairs as a Vec whose capacity is the
    /// buffer (exact size unless room was reserved), then store it back,
    /// shrunk to size if `f` made it shorter.
    fn edit(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        let mut v = std::mem::take(&mut self.buf).into_vec();
        v.truncate(self.used as usize);
        let before = v.len();
        f(&mut v);
        if v.len() < before {
            // Deletions give memory back, as listpack deletes realloc smaller.
            v.shrink_to_fit();
        }
        self.used = v.len() as u32;
        // Reserved room is zero-filled so the Vec converts back in place.
        v.resize(v.capacity(), 0);
        self.buf = v.into_boxed_slice();
    }

    /// Open `n` bytes at `pos` and write a pair there.
    fn insert_raw(&mut self, pos: usize, field: &[u8], value: &[u8], ttl: Option<u64>) {
        let n = pair_size(field.len(), value.len(), ttl);
        self.edit(|v| {
            let old = v.len();
            v.reserve_exact(n);
            v.resize(old + n, 0);
            v.copy_within(pos..old, pos + n);
            write_pair(&mut v[pos..pos + n], field, value, ttl);
        });
        self.add_len(1);
    }

    /// Append a pair (its TTL, 0 for none, matters only in the ex layout,
    /// where the caller keeps the order).
    pub fn push(&mut self, field: &[u8], value: &[u8], ttl: u64) {
        let at = self.used as usize;
        self.insert_raw(at, field, value, self.is_ex().then_some(ttl));
    }

    pub fn remove(&mut self, s: Slot) {
        self.edit(|v| {
            v.drain(s.start..s.end);
        });
        self.add_len(-1);
    }

    /// Give slot `s` a new value, keeping its place and TTL. Nothing is
    /// allocated beyond the buffer's own resize.
    pub fn replace_value(&mut self, s: Slot, value: &[u8]) {
        let ttl = self.is_ex().then_some(s.ttl);
        let n = pair_size(s.flen, value.len(), ttl);
        let old_n = s.end - s.start;
        let hdr = header_size(s.flen, value.len());
        self.edit(|v| {
            if n > old_n {
                let old = v.len();
                v.reserve_exact(n - old_n);
                v.resize(old + n - old_n, 0);
                v.copy_within(s.end..old, s.start + n);
            }
            // Move the field first: a header of another size shifts it.
            let f = s.start + hdr;
            v.copy_within(s.field..s.field + s.flen, f);
            write_header(&mut v[s.start..], s.flen, value.len());
            let at = f + s.flen;
            v[at..at + value.len()].copy_from_slice(value);
            if let Some(t) = ttl {
                put_varint(&mut v[at + value.len()..], t);
            }
            if n < old_n {
                v.copy_within(s.end.., s.start + n);
                v.truncate(v.len() - (old_n - n));
            }
        });
    }

    /// Switch to the ex layout (every pair gets "no TTL").
    pub fn make_ex(&mut self) {
        if self.is_ex() {
            return;
        }
        let mut v = Vec::with_capacity(self.used as usize + self.len());
        for s in self.slots() {
            v.extend_from_slice(&self.data()[s.start..s.end]);
            v.push(0);
        }
        self.used = v.len() as u32;
        self.buf = v.into_boxed_slice();
        self.meta |= EX_BIT;
    }

    /// Where a pair expiring at `t` goes: before the first pair whose TTL
    /// is absent or not earlier.
    fn ttl_position(&self, t: u64) -> usize {
        self.slots().find(|s| s.ttl == 0 || s.ttl >= t).map_or(self.used as usize, |s| s.start)
    }

    /// Give slot `s` the TTL `t` (ex layout; 0 removes it), moving the pair
    /// to its place in the TTL order.
    pub fn set_ttl(&mut self, s: Slot, t: u64) {
        debug_assert!(self.is_ex());
        let field = self.field(&s).to_vec();
        let value = self.value(&s).to_vec();
        self.remove(s);
        let at = if t == 0 { self.used as usize } else { self.ttl_position(t) };
        self.insert_raw(at, &field, &value, Some(t));
    }

    /// The earliest field TTL (ex layout: the first pair's).
    #[inline]
    pub fn first_ttl(&self) -> Option<u64> {
        if !self.is_ex() || self.len() == 0 {
            return None;
        }
        let t = self.decode(0).ttl;
        (t != 0).then_some(t)
    }

    /// Delete up to `max` fields whose TTL is before `now`; they are the
    /// leading pairs. Returns how many.
    pub fn expire(&mut self, now: u64, max: usize) -> usize {
        if !self.is_ex() {
            return 0;
        }
        let (mut n, mut end) = (0, 0);
        for s in self.slots() {
            if n >= max || s.ttl == 0 || s.ttl >= now {
                break;
            }
            n += 1;
            end = s.end;
        }
        if n > 0 {
            self.edit(|v| {
                v.drain(..end);
            });
            self.add_len(-(n as i64));
        }
        n
    }
}

pub struct Slots<'a> {
    pack: &'a Pack,
    pos: usize,
}

impl Iterator for Slots<'_> {
    type Item = Slot;

    #[inline]
    fn next(&mut self) -> Option<Slot> {
        if self.pos >= self.pack.used as usize {
            return None;
        }
        let s = self.pack.decode(self.pos);
        self.pos = s.end;
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &Pack) -> Vec<(String, String, u64)> {
        p.slots()
            .map(|s| (String::from_utf8_lossy(p.field(&s)).into_owned(), String::from_utf8_lossy(p.value(&s)).into_owned(), s.ttl))
            .collect()
    }

    #[test]
    fn varints_roundtrip() {
        for v in [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX] {
            let mut b = [0u8; 10];
            let n = put_varint(&mut b, v);
            assert_eq!(n, varint_len(v));
            let mut p = 0;
            assert_eq!(get_varint(&b, &mut p), v);
            assert_eq!(p, n);
        }
    }

    #[test]
    fn short_pairs_cost_one_byte_of_overhead() {
        let mut p = Pack::default();
        for i in 0..20 {
            p.push(format!("f{i}").as_bytes(), format!("v{i}").as_bytes(), 0);
        }
        assert_eq!(p.len(), 20);
        assert_eq!(p.bytes(), 20 + 2 * (10 * 2 + 10 * 3));
        assert!(p.bytes() <= 128);
    }

    #[test]
    fn lengths_across_the_nibble_boundary() {
        let mut p = Pack::default();
        let long = vec![b'x'; 300];
        for len in [0usize, 1, 14, 15, 16, 142, 143, 300] {
            p.push(&long[..len], &long[..300 - len], 0);
        }
        let got: Vec<(usize, usize)> = p.slots().map(|s| (p.field(&s).len(), p.value(&s).len())).collect();
        assert_eq!(got, [(0, 300), (1, 299), (14, 286), (15, 285), (16, 284), (142, 158), (143, 157), (300, 0)]);
        let s = p.find(&long[..15]).unwrap();
        assert_eq!(p.value(&s).len(), 285);
    }

    #[test]
    fn replace_grows_and_shrinks_in_place() {
        let mut p = Pack::default();
        p.push(b"a", b"1", 0);
        p.push(b"bbbbbbbbbbbbbbbbbbbb", b"2", 0);
        p.push(b"c", b"3", 0);
        let s = p.find(b"bbbbbbbbbbbbbbbbbbbb").unwrap();
        p.replace_value(s, &[b'y'; 40]);
        let s = p.find(b"bbbbbbbbbbbbbbbbbbbb").unwrap();
        assert_eq!(p.value(&s), &[b'y'; 40][..]);
        p.replace_value(s, b"");
        assert_eq!(pairs(&p)[1], ("bbbbbbbbbbbbbbbbbbbb".into(), "".into(), 0));
        assert_eq!(pairs(&p)[2], ("c".into(), "3".into(), 0));
        let before = p.bytes();
        p.remove(p.find(b"a").unwrap());
        assert_eq!((p.len(), p.bytes()), (2, before - 3));
    }

    #[test]
    fn reserved_room_is_used_then_given_back() {
        let mut p = Pack::default();
        p.reserve(3 * pair_size(2, 2, None));
        assert_eq!((p.bytes(), p.encoded_len()), (15, 0));
        let cap = p.bytes();
        p.push(b"f1", b"v1", 0);
        p.push(b"f2", b"v2", 0);
        assert_eq!((p.bytes(), p.encoded_len()), (cap, 10), "no reallocation inside the reservation");
        assert_eq!(p.find(b"f3").map(|s| s.start), None, "reserved room is not read as pairs");
        let c = p.clone();
        assert_eq!((c.bytes(), c.len()), (10, 2), "a clone is exact-size");
        p.fit();
        assert_eq!((p.bytes(), p.encoded_len(), p.len()), (10, 10, 2));
        assert_eq!(pairs(&p), pairs(&c));
        // A deletion inside a reservation gives the memory back.
        p.reserve(100);
        p.remove(p.find(b"f1").unwrap());
        assert_eq!((p.bytes(), p.len()), (5, 1));
        p.reserve(0);
        p.fit();
        assert_eq!(pairs(&p), [("f2".into(), "v2".into(), 0)]);
    }

    #[test]
    fn ex_layout_keeps_redis_ttl_order() {
        let mut p = Pack::default();
        for f in ["a", "b", "c", "d", "e"] {
            p.push(f.as_bytes(), b"v", 0);
        }
        p.make_ex();
        assert_eq!(p.first_ttl(), None);
        let ttl = |p: &mut Pack, f: &str, t: u64| {
            let s = p.find(f.as_bytes()).unwrap();
            p.set_ttl(s, t);
        };
        let order = |p: &Pack| p.slots().map(|s| String::from_utf8_lossy(p.field(&s)).into_owned()).collect::<Vec<_>>().join("");
        ttl(&mut p, "d", 100);
        assert_eq!(order(&p), "dabce");
        ttl(&mut p, "b", 50);
        assert_eq!(order(&p), "bdace");
        // Equal TTLs: the newcomer goes first.
        ttl(&mut p, "e", 100);
        assert_eq!(order(&p), "bedac");
        ttl(&mut p, "b", 0);
        assert_eq!(order(&p), "edacb");
        assert_eq!(p.first_ttl(), Some(100));
        p.push(b"f", b"v", 0);
        assert_eq!(p.expire(101, usize::MAX), 2);
        assert_eq!(order(&p), "acbf");
        assert_eq!(p.first_ttl(), None);
        assert_eq!(p.expire(1 << 40, usize::MAX), 0);
        ttl(&mut p, "c", 7);
        ttl(&mut p, "a", 8);
        assert_eq!(p.expire(100, 1), 1);
        assert_eq!(order(&p), "abf");
        let s = p.find(b"a").unwrap();
        p.replace_value(s, b"longer value here!");
        assert_eq!(pairs(&p)[0], ("a".into(), "longer value here!".into(), 8));
    }
}
