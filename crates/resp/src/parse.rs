//! Request parsing with Redis' exact protocol errors and limits.
//!
//! Parsing is resumable: while a command is incomplete the read buffer only
//! grows, so the offsets of the arguments already parsed stay valid and a
//! huge multibulk arriving in many reads is parsed once, not once per read.

use crate::inline::split_inline;

/// Longest inline request, and longest `*N` / `$N` header line Redis accepts.
pub const INLINE_MAX_SIZE: usize = 64 * 1024;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: i64,
    /// The client must still authenticate: Redis then caps a multibulk at
    /// 10 elements and a bulk at 16384 bytes, so an anonymous peer cannot
    /// make the server allocate.
    pub auth_required: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bulk_len: 512 * 1024 * 1024, auth_required: false }
    }
}

/// A protocol violation. The message is the one Redis replies with (after
/// `-ERR `); the connection is closed once the reply is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoError(pub &'static str);

impl ProtoError {
    pub fn message(&self) -> &'static str {
        self.0
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// More bytes are needed; `hint` is how many in total the buffer should
    /// hold to make progress (0 if unknown), so the reader can reserve once.
    Incomplete { hint: usize },
    /// A command was parsed from the first `consumed` bytes; read it with
    /// [`ArgBuf::argv`].
    Command { consumed: usize },
    /// Bytes that carry no command (`*0`, `*-1`, an empty inline line).
    Skip { consumed: usize },
}

/// Parser state and the parsed arguments of one command.
#[derive(Default, Debug)]
pub struct ArgBuf {
    /// (start, end) of every argument, into the request buffer or, for
    /// inline commands, into `inline`.
    offs: Vec<(usize, usize)>,
    inline: Vec<u8>,
    is_inline: bool,
    /// Resume state of a partially received multibulk.
    expected: usize,
    pos: usize,
    in_progress: bool,
}

/// The arguments of one command, borrowed from the request buffer.
#[derive(Clone, Copy)]
pub struct Argv<'a> {
    buf: &'a [u8],
    offs: &'a [(usize, usize)],
}

impl<'a> Argv<'a> {
    pub fn new(buf: &'a [u8], offs: &'a [(usize, usize)]) -> Self {
        Argv { buf, offs }
    }
    /// The buffer the arguments are slices of.
    #[inline]
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.offs.len()
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.offs.is_empty()
    }
    /// Argument `i`; panics when out of range (callers check arity first).
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        let (s, e) = self.offs[i];
        &self.buf[s..e]
    }
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.offs.iter().map(move |&(s, e)| &self.buf[s..e])
    }
    /// Arguments `from..` as an owned list (for the rare commands that
    /// must keep them, e.g. MONITOR output or slowlog entries).
    pub fn to_vec(&self) -> Vec<Vec<u8>> {
        self.iter().map(|a| a.to_vec()).collect()
    }
}

impl ArgBuf {
    pub fn new() -> Self {
        Self::default()
    }

    /// The arguments of the command the last `parse` returned; `buf` must be
    /// the same buffer that was parsed.
    pub fn argv<'a>(&'a self, buf: &'a [u8]) -> Argv<'a> {
        if self.is_inline {
            Argv { buf: &self.inline, offs: &self.offs }
        } else {
            Argv { buf, offs: &self.offs }
        }
    }

    /// Parse one command from the start of `buf`. After `Command` or `Skip`
    /// the caller drops `consumed` bytes; after `Incomplete` it appends more
    /// bytes to the same buffer and calls again.
    pub fn parse(&mut self, buf: &[u8], limits: &Limits) -> Result<Parsed, ProtoError> {
        if !self.in_progress {
            self.offs.clear();
            self.is_inline = false;
            if buf.is_empty() {
                return Ok(Parsed::Incomplete { hint: 0 });
            }
            if buf[0] != b'*' {
                return self.parse_inline(buf);
            }
            let Some((line_end, next)) = find_line(buf, 1) else {
                if buf.len() > INLINE_MAX_SIZE {
                    return Err(ProtoError("Protocol error: too big mbulk count string"));
                }
                return Ok(Parsed::Incomplete { hint: 0 });
            };
            let n = match parse_i64(&buf[1..line_end]) {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => return Err(ProtoError("Protocol error: invalid multibulk length")),
            };
            if n <= 0 {
                return Ok(Parsed::Skip { consumed: next });
            }
            if n > 10 && limits.auth_required {
                return Err(ProtoError("Protocol error: unauthenticated multibulk length"));
            }
            self.expected = n as usize;
            self.pos = next;
            self.in_progress = true;
            // Reserve for the element offsets, but not more than the bytes
            // could possibly describe: a lying `*2147483647` allocates nothing.
            self.offs.reserve(self.expected.min(buf.len() / 4 + 16));
        }
        while self.offs.len() < self.expected {
            let p = self.pos;
            if p >= buf.len() {
                return Ok(Parsed::Incomplete { hint: 0 });
            }
            if buf[p] != b'$' {
                self.in_progress = false;
                return Err(ProtoError(expected_dollar_msg(buf[p])));
            }
            let Some((line_end, next)) = find_line(buf, p + 1) else {
                if buf.len() - p > INLINE_MAX_SIZE {
                    self.in_progress = false;
                    return Err(ProtoError("Protocol error: too big bulk count string"));
                }
                return Ok(Parsed::Incomplete { hint: 0 });
            };
            let len = match parse_i64(&buf[p + 1..line_end]) {
                Some(l) if l >= 0 && l <= limits.max_bulk_len => l as usize,
                _ => {
                    self.in_progress = false;
                    return Err(ProtoError("Protocol error: invalid bulk length"));
                }
            };
            if len > 16384 && limits.auth_required {
                self.in_progress = false;
                return Err(ProtoError("Protocol error: unauthenticated bulk length"));
            }
            let end = next + len;
            if buf.len() < end + 2 {
                return Ok(Parsed::Incomplete { hint: end + 2 });
            }
            // Redis does not check the bytes after the payload: it skips two.
            self.offs.push((next, end));
            self.pos = end + 2;
        }
        self.in_progress = false;
        Ok(Parsed::Command { consumed: self.pos })
    }

    fn parse_inline(&mut self, buf: &[u8]) -> Result<Parsed, ProtoError> {
        let Some(nl) = memchr(b'\n', buf) else {
            if buf.len() > INLINE_MAX_SIZE {
                return Err(ProtoError("Protocol error: too big inline request"));
            }
            return Ok(Parsed::Incomplete { hint: 0 });
        };
        let mut line = &buf[..nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        self.inline.clear();
        if !split_inline(line, &mut self.inline, &mut self.offs) {
            return Err(ProtoError("Protocol error: unbalanced quotes in request"));
        }
        if self.offs.is_empty() {
            return Ok(Parsed::Skip { consumed: nl + 1 });
        }
        self.is_inline = true;
        Ok(Parsed::Command { consumed: nl + 1 })
    }
}

fn expected_dollar_msg(_got: u8) -> &'static str {
    // Redis formats the offending byte into the message; a static message per
    // byte keeps ProtoError allocation-free.
    static MSGS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let msgs = MSGS.get_or_init(|| {
        (0..=255u8)
            .map(|b| {
                let s = format!("Protocol error: expected '$', got '{}'", b as char);
                &*Box::leak(s.into_boxed_str())
            })
            .collect()
    });
    msgs[_got as usize]
}

/// Find `\r\n` starting at `from`; returns (index of `\r`, index after `\n`).
#[inline]
fn find_line(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let rel = memchr(b'\r', &buf[from..])?;
    let cr = from + rel;
    if cr + 1 < buf.len() {
        Some((cr, cr + 2))
    } else {
        None
    }
}

#[inline]
fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Redis' `string2ll`, used for protocol lengths and every integer
/// argument: optional '-', digits, no leading zeros, no "-0", no spaces or
/// '+', within i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, d) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    if d.is_empty() || !(b'1'..=b'9').contains(&d[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        (v <= i64::MAX as u64 + 1).then(|| (v as i64).wrapping_neg())
    } else {
        (v <= i64::MAX as u64).then_some(v as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtoError> {
        let mut ab = ArgBuf::new();
        let mut pos = 0;
        let mut cmds = vec![];
        let limits = Limits::default();
        loop {
            match ab.parse(&input[pos..], &limits)? {
                Parsed::Incomplete { .. } => return Ok(cmds),
                Parsed::Skip { consumed } => pos += consumed,
                Parsed::Command { consumed } => {
                    cmds.push(ab.argv(&input[pos..]).to_vec());
                    pos += consumed;
                }
            }
        }
    }

    #[test]
    fn multibulk_and_inline() {
        let cmds = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nset a \"b c\"\n").unwrap();
        assert_eq!(cmds[0], vec![b"GET".to_vec(), b"k".to_vec()]);
        assert_eq!(cmds[1], vec![b"PING".to_vec()]);
        assert_eq!(cmds[2], vec![b"set".to_vec(), b"a".to_vec(), b"b c".to_vec()]);
    }

    #[test]
    fn resumes_partial_input() {
        let full = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        let mut ab = ArgBuf::new();
        let l = Limits::default();
        for cut in 1..full.len() {
            assert!(matches!(ab.parse(&full[..cut], &l).unwrap(), Parsed::Incomplete { .. }), "cut {cut}");
        }
        assert_eq!(ab.parse(full, &l).unwrap(), Parsed::Command { consumed: full.len() });
        assert_eq!(ab.argv(full).get(2), b"hello");
    }

    #[test]
    fn protocol_errors_match_redis() {
        let e = |b: &[u8]| parse_all(b).unwrap_err().0;
        assert_eq!(e(b"*x\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(e(b"*3000000000\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(e(b"*1\r\n+x\r\n"), "Protocol error: expected '$', got '+'");
        assert_eq!(e(b"*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(e(b"*1\r\n$600000000\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(e(b"set a \"b\n"), "Protocol error: unbalanced quotes in request");
        let big = vec![b'a'; INLINE_MAX_SIZE + 1];
        assert_eq!(e(&big), "Protocol error: too big inline request");
        let mut big = b"*".to_vec();
        big.extend(vec![b'1'; INLINE_MAX_SIZE + 1]);
        assert_eq!(e(&big), "Protocol error: too big mbulk count string");
    }

    #[test]
    fn unauthenticated_limits() {
        let l = Limits { auth_required: true, ..Limits::default() };
        let mut ab = ArgBuf::new();
        assert_eq!(ab.parse(b"*11\r\n", &l).unwrap_err().0, "Protocol error: unauthenticated multibulk length");
        let mut ab = ArgBuf::new();
        assert_eq!(ab.parse(b"*1\r\n$16385\r\n", &l).unwrap_err().0, "Protocol error: unauthenticated bulk length");
    }

    #[test]
    fn empty_multibulk_is_skipped() {
        assert_eq!(parse_all(b"*0\r\n*-1\r\n\r\nPING\r\n").unwrap(), vec![vec![b"PING".to_vec()]]);
    }

    #[test]
    fn strict_integers() {
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b"-0"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Any byte string either parses, asks for more, or errors: never panics,
        /// and never claims to consume more than it was given.
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let mut ab = ArgBuf::new();
            let l = Limits::default();
            let mut pos = 0;
            while pos < data.len() {
                match ab.parse(&data[pos..], &l) {
                    Ok(Parsed::Command { consumed }) | Ok(Parsed::Skip { consumed }) => {
                        proptest::prop_assert!(consumed > 0 && pos + consumed <= data.len());
                        let argv = ab.argv(&data[pos..]);
                        for a in argv.iter() { let _ = a.len(); }
                        pos += consumed;
                    }
                    Ok(Parsed::Incomplete { .. }) | Err(_) => break,
                }
            }
        }

        /// Well-formed multibulk round-trips whatever the argument bytes.
        #[test]
        fn roundtrip(args in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), 1..8)) {
            let mut wire = format!("*{}\r\n", args.len()).into_bytes();
            for a in &args {
                wire.extend(format!("${}\r\n", a.len()).bytes());
                wire.extend(a);
                wire.extend(b"\r\n");
            }
            let got = parse_all(&wire).unwrap();
            proptest::prop_assert_eq!(got, vec![args]);
        }
    }
}
