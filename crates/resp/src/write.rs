//! Reply writer. Commands write straight into the connection's output
//! buffer; RESP3 types fall back to their RESP2 forms exactly as Redis'
//! `addReply*` functions do.

use crate::double::{write_double, DOUBLE_MAX_LEN};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Resp2,
    Resp3,
}

/// An output buffer plus the protocol the client negotiated.
pub struct Out {
    pub buf: Vec<u8>,
    pub proto: Protocol,
}

/// A length header written later, once the element count is known.
#[must_use]
pub struct Deferred {
    pos: usize,
}

impl Out {
    pub fn new(proto: Protocol) -> Self {
        Out { buf: Vec::with_capacity(16 * 1024), proto }
    }

    #[inline]
    pub fn resp3(&self) -> bool {
        self.proto == Protocol::Resp3
    }

    #[inline]
    fn header(&mut self, prefix: u8, n: i64) {
        self.buf.push(prefix);
        self.buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// `+status`; the text must not contain CR or LF.
    pub fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply. `msg` is the full text after `-` ("ERR ...",
    /// "WRONGTYPE ..."). CR/LF inside are turned into spaces as Redis does,
    /// since they would break the protocol.
    pub fn error(&mut self, msg: &str) {
        self.buf.push(b'-');
        self.buf.extend(msg.bytes().map(|c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    #[inline]
    pub fn bulk(&mut self, b: &[u8]) {
        self.header(b'$', b.len() as i64);
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk_int(&mut self, n: i64) {
        self.bulk(itoa::Buffer::new().format(n).as_bytes());
    }

    /// A null bulk string (`$-1` in RESP2).
    #[inline]
    pub fn null(&mut self) {
        match self.proto {
            Protocol::Resp2 => self.buf.extend_from_slice(b"$-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// A null array (`*-1` in RESP2).
    pub fn null_array(&mut self) {
        match self.proto {
            Protocol::Resp2 => self.buf.extend_from_slice(b"*-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    #[inline]
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map of `n` pairs; a flat array of 2n elements in RESP2.
    pub fn map(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => self.header(b'*', 2 * n as i64),
            Protocol::Resp3 => self.header(b'%', n as i64),
        }
    }

    /// A set; an array in RESP2.
    pub fn set(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => self.header(b'*', n as i64),
            Protocol::Resp3 => self.header(b'~', n as i64),
        }
    }

    /// An out-of-band push (RESP3); an array in RESP2 (pub/sub messages).
    pub fn push(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => self.header(b'*', n as i64),
            Protocol::Resp3 => self.header(b'>', n as i64),
        }
    }

    /// A double; a bulk string in RESP2.
    pub fn double(&mut self, d: f64) {
        let mut tmp = [0u8; DOUBLE_MAX_LEN];
        let n = write_double(d, &mut tmp);
        let tmp = &tmp[..n];
        match self.proto {
            Protocol::Resp2 => self.bulk(tmp),
            Protocol::Resp3 => {
                self.buf.push(b',');
                self.buf.extend_from_slice(tmp);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A boolean; `:1`/`:0` in RESP2.
    pub fn bool(&mut self, b: bool) {
        match self.proto {
            Protocol::Resp2 => self.int(b as i64),
            Protocol::Resp3 => self.buf.extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" }),
        }
    }

    /// Verbatim text with a 3-letter format ("txt"); a bulk string in RESP2.
    pub fn verbatim(&mut self, format: &str, text: &[u8]) {
        match self.proto {
            Protocol::Resp2 => self.bulk(text),
            Protocol::Resp3 => {
                self.header(b'=', (text.len() + 4) as i64);
                self.buf.extend_from_slice(format.as_bytes());
                self.buf.push(b':');
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Reserve a length header to fill in with [`Out::end_array`] & co.
    pub fn defer(&mut self) -> Deferred {
        Deferred { pos: self.buf.len() }
    }

    pub fn end_array(&mut self, d: Deferred, n: usize) {
        self.insert_header(d, b'*', n as i64);
    }

    pub fn end_map(&mut self, d: Deferred, n: usize) {
        match self.proto {
            Protocol::Resp2 => self.insert_header(d, b'*', 2 * n as i64),
            Protocol::Resp3 => self.insert_header(d, b'%', n as i64),
        }
    }

    pub fn end_set(&mut self, d: Deferred, n: usize) {
        match self.proto {
            Protocol::Resp2 => self.insert_header(d, b'*', n as i64),
            Protocol::Resp3 => self.insert_header(d, b'~', n as i64),
        }
    }

    fn insert_header(&mut self, d: Deferred, prefix: u8, n: i64) {
        let mut h = Vec::with_capacity(24);
        h.push(prefix);
        h.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        h.extend_from_slice(b"\r\n");
        self.buf.splice(d.pos..d.pos, h);
    }

    /// Raw bytes already in RESP form.
    pub fn raw(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_fallbacks() {
        let mut o = Out::new(Protocol::Resp2);
        o.map(1);
        o.bulk(b"k");
        o.double(1.5);
        o.null();
        o.bool(true);
        o.verbatim("txt", b"hi");
        assert_eq!(o.buf, b"*2\r\n$1\r\nk\r\n$3\r\n1.5\r\n$-1\r\n:1\r\n$2\r\nhi\r\n");
    }

    #[test]
    fn resp3_types() {
        let mut o = Out::new(Protocol::Resp3);
        o.map(1);
        o.double(f64::INFINITY);
        o.null_array();
        o.bool(false);
        o.verbatim("txt", b"hi");
        assert_eq!(o.buf, b"%1\r\n,inf\r\n_\r\n#f\r\n=6\r\ntxt:hi\r\n");
    }

    #[test]
    fn deferred_and_error_sanitizing() {
        let mut o = Out::new(Protocol::Resp2);
        let d = o.defer();
        o.int(1);
        o.int(2);
        o.end_array(d, 2);
        o.error("ERR a\r\nb");
        assert_eq!(o.buf, b"*2\r\n:1\r\n:2\r\n-ERR a  b\r\n");
    }
}
