//! The compact "listpack" set encoding: members in insertion order in one
//! byte buffer, each as a LEB128 length followed by its bytes. Lookups are
//! a linear scan, which is what Redis does too; the encoding is only used
//! for small sets (set-max-listpack-entries, 128 by default).
//!
//! Removing a member closes the gap, so the remaining members keep their
//! relative order, as in Redis' listpack.

#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub struct ListPack {
    buf: Vec<u8>,
    len: usize,
}

/// Decode the entry at `off`: (member, offset of the next entry). `off`
/// must be an entry boundary inside the buffer.
#[inline]
fn entry(buf: &[u8], off: usize) -> (&[u8], usize) {
    let mut n = 0usize;
    let mut shift = 0;
    let mut i = off;
    loop {
        let b = buf[i];
        i += 1;
        n |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    (&buf[i..i + n], i + n)
}

fn put_len(buf: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        buf.push((n as u8) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

impl ListPack {
    pub fn new() -> ListPack {
        ListPack::default()
    }

    pub fn with_capacity(bytes: usize) -> ListPack {
        ListPack { buf: Vec::with_capacity(bytes), len: 0 }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Encoded size in bytes.
    #[inline]
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Append a member (the caller knows it is absent).
    #[inline]
    pub fn push(&mut self, m: &[u8]) {
        put_len(&mut self.buf, m.len());
        self.buf.extend_from_slice(m);
        self.len += 1;
    }

    /// Byte offset of `m`'s entry.
    #[inline]
    pub fn find(&self, m: &[u8]) -> Option<usize> {
        let mut off = 0;
        while off < self.buf.len() {
            let (e, next) = entry(&self.buf, off);
            if e == m {
                return Some(off);
            }
            off = next;
        }
        None
    }

    #[inline]
    pub fn contains(&self, m: &[u8]) -> bool {
        self.find(m).is_some()
    }

    /// Remove the entry at byte offset `off` (from `find` or `iter_at`).
    pub fn remove_at(&mut self, off: usize) {
        let (_, next) = entry(&self.buf, off);
        self.buf.drain(off..next);
        self.len -= 1;
    }

    /// Remove `m`; false if absent.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self.find(m) {
            Some(off) => {
                self.remove_at(off);
                true
            }
            None => false,
        }
    }

    /// Keep only the entries whose index (in order) `keep` accepts, in one
    /// pass over the buffer.
    pub fn retain_indexes(&mut self, mut keep: impl FnMut(usize) -> bool) {
        let mut out = Vec::with_capacity(self.buf.len());
        let mut kept = 0;
        for (i, (start, end)) in self.spans().enumerate() {
            if keep(i) {
                out.extend_from_slice(&self.buf[start..end]);
                kept += 1;
            }
        }
        self.buf = out;
        self.len = kept;
    }

    /// (start, end) byte range of each encoded entry.
    fn spans(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let mut off = 0;
        std::iter::from_fn(move || {
            if off >= self.buf.len() {
                return None;
            }
            let start = off;
            off = entry(&self.buf, off).1;
            Some((start, off))
        })
    }

    /// Members in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { buf: &self.buf, off: 0 }
    }

    /// The i-th member.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.iter().nth(i)
    }

    pub fn mem_usage(&self) -> usize {
        self.buf.capacity()
    }

    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }
}

pub struct Iter<'a> {
    buf: &'a [u8],
    off: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.off >= self.buf.len() {
            return None;
        }
        let (e, next) = entry(self.buf, self.off);
        self.off = next;
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_find_remove_keep_order() {
        let mut p = ListPack::new();
        let long = vec![b'x'; 300];
        for m in [&b"a"[..], b"", &long, b"bb", b"c"] {
            p.push(m);
        }
        assert_eq!(p.len(), 5);
        assert_eq!(p.bytes(), 2 + 1 + 302 + 3 + 2);
        assert!(p.contains(b"") && p.contains(&long) && !p.contains(b"b"));
        assert!(p.remove(&long));
        assert!(!p.remove(&long));
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![&b"a"[..], b"", b"bb", b"c"]);
        assert_eq!(p.get(2), Some(&b"bb"[..]));
        p.retain_indexes(|i| i % 2 == 1);
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![&b""[..], b"c"]);
        assert_eq!(p.len(), 2);
        let off = p.find(b"c").unwrap();
        p.remove_at(off);
        p.remove(b"");
        assert!(p.is_empty() && p.bytes() == 0);
    }
}
