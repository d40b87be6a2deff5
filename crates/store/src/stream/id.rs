//! Stream entry IDs: `<ms>-<seq>`, two unsigned 64-bit halves ordered as one
//! 128-bit number (Redis' streamID).

use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID, or None past the last possible one (streamIncrID).
    pub fn next(&self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The previous ID, or None before 0-0 (streamDecrID).
    pub fn prev(&self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    /// As one 128-bit number: the radix tree key order of Redis.
    pub fn as_u128(&self) -> u128 {
        ((self.ms as u128) << 64) | self.seq as u128
    }

    /// `<ms>-<seq>` into `buf` (no allocation beyond the buffer's).
    pub fn write_to(&self, buf: &mut Vec<u8>) {
        let mut b = itoa::Buffer::new();
        buf.extend_from_slice(b.format(self.ms).as_bytes());
        buf.push(b'-');
        buf.extend_from_slice(b.format(self.seq).as_bytes());
    }

    /// `<ms>-<seq>` on the stack.
    pub fn fmt_buf(&self) -> IdText {
        let mut t = IdText { buf: [0; 41], len: 0 };
        let mut b = itoa::Buffer::new();
        for part in [b.format(self.ms).as_bytes(), b"-"] {
            t.buf[t.len..t.len + part.len()].copy_from_slice(part);
            t.len += part.len();
        }
        let s = b.format(self.seq).as_bytes();
        t.buf[t.len..t.len + s.len()].copy_from_slice(s);
        t.len += s.len();
        t
    }
}

/// A formatted ID: at most 20 + 1 + 20 bytes.
pub struct IdText {
    buf: [u8; 41],
    len: usize,
}

impl IdText {
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}
