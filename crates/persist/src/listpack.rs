//! Redis' listpack format, written for the compact encodings Moon saves
//! (so files and DUMP payloads match what Redis writes) and parsed with
//! full bounds checks when loading.
//!
//! ```text
//! [total bytes u32 LE][count u16 LE, 65535 = unknown][entry]*[0xFF]
//! entry = [encoding + data][backlen: size of encoding + data, 1-5 bytes]
//! ```

use crate::{err, Result};

const HDR: usize = 6;
const EOF: u8 = 0xff;

/// An element as a listpack stores it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Elem<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Elem<'_> {
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Elem::Int(v) => crate::reader::itoa_vec(v),
            Elem::Str(s) => s.to_vec(),
        }
    }

    pub fn as_int(self) -> Option<i64> {
        match self {
            Elem::Int(v) => Some(v),
            Elem::Str(s) => moon_resp::parse_i64(s),
        }
    }
}

pub struct Writer {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

/// The integer a listpack stores a string as (lpStringToInt64): canonical
/// decimal of at most 20 characters.
fn as_int(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    moon_resp::parse_i64(s)
}

fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

fn put_backlen(out: &mut Vec<u8>, l: usize) {
    let l = l as u64;
    match backlen_size(l as usize) {
        1 => out.push(l as u8),
        2 => out.extend_from_slice(&[(l >> 7) as u8, (l & 127) as u8 | 128]),
        3 => out.extend_from_slice(&[(l >> 14) as u8, ((l >> 7) & 127) as u8 | 128, (l & 127) as u8 | 128]),
        4 => out.extend_from_slice(&[(l >> 21) as u8, ((l >> 14) & 127) as u8 | 128, ((l >> 7) & 127) as u8 | 128, (l & 127) as u8 | 128]),
        _ => out.extend_from_slice(&[
            (l >> 28) as u8,
            ((l >> 21) & 127) as u8 | 128,
            ((l >> 14) & 127) as u8 | 128,
            ((l >> 7) & 127) as u8 | 128,
            (l & 127) as u8 | 128,
        ]),
    }
}

/// Bytes an element takes in a listpack, backlen included (lpEncodeGetType
/// + lpEncodeBacklen): Redis sizes list nodes by this.
pub fn entry_size(s: &[u8]) -> usize {
    let enc = match as_int(s) {
        Some(v) => int_size(v),
        None => str_hdr(s.len()) + s.len(),
    };
    enc + backlen_size(enc)
}

fn int_size(v: i64) -> usize {
    match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8388608..=8388607 => 4,
        _ if v >= i32::MIN as i64 && v <= i32::MAX as i64 => 5,
        _ => 9,
    }
}

fn str_hdr(len: usize) -> usize {
    if len < 64 {
        1
    } else if len < 4096 {
        2
    } else {
        5
    }
}

impl Writer {
    pub fn new() -> Writer {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; HDR]);
        Writer { buf, count: 0 }
    }

    /// Append a string (stored as an integer when it spells one, as
    /// lpAppend does).
    pub fn push(&mut self, s: &[u8]) {
        match as_int(s) {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        let b = &mut self.buf;
        match int_size(v) {
            1 => b.push(v as u8),
            2 => {
                let u = (v as u64) & 0x1fff;
                b.push(0xc0 | (u >> 8) as u8);
                b.push(u as u8);
            }
            3 => {
                b.push(0xf1);
                b.extend_from_slice(&(v as i16).to_le_bytes());
            }
            4 => {
                b.push(0xf2);
                b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
            }
            5 => {
                b.push(0xf3);
                b.extend_from_slice(&(v as i32).to_le_bytes());
            }
            _ => {
                b.push(0xf4);
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        let l = self.buf.len() - start;
        put_backlen(&mut self.buf, l);
        self.count += 1;
    }

    pub fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let n = s.len();
        let b = &mut self.buf;
        if n < 64 {
            b.push(0x80 | n as u8);
        } else if n < 4096 {
            b.push(0xe0 | (n >> 8) as u8);
            b.push(n as u8);
        } else {
            b.push(0xf0);
            b.extend_from_slice(&(n as u32).to_le_bytes());
        }
        b.extend_from_slice(s);
        let l = self.buf.len() - start;
        put_backlen(&mut self.buf, l);
        self.count += 1;
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let c = if self.count < 65535 { self.count as u16 } else { 65535 };
        self.buf[4..6].copy_from_slice(&c.to_le_bytes());
        self.buf
    }
}

/// Parse a whole listpack, validating its header, every entry, every
/// back-length and the terminator. Calls `f` with each element.
pub fn parse<'a>(lp: &'a [u8], mut f: impl FnMut(Elem<'a>) -> Result<()>) -> Result<usize> {
    if lp.len() < HDR + 1 {
        return err("listpack too short");
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    if total != lp.len() {
        return err(format!("listpack size {total} does not match its {} bytes", lp.len()));
    }
    let declared = u16::from_le_bytes([lp[4], lp[5]]) as usize;
    let mut p = HDR;
    let mut n = 0usize;
    loop {
        let Some(&b) = lp.get(p) else { return err("listpack without terminator") };
        if b == EOF {
            if p + 1 != lp.len() {
                return err("listpack terminator before its end");
            }
            break;
        }
        let start = p;
        let need = |p: usize, k: usize| -> Result<()> {
            if p + k > lp.len() - 1 {
                err("listpack entry overruns the listpack")
            } else {
                Ok(())
            }
        };
        let elem = if b & 0x80 == 0 {
            p += 1;
            Elem::Int((b & 0x7f) as i64)
        } else if b & 0xc0 == 0x80 {
            let l = (b & 0x3f) as usize;
            need(p + 1, l)?;
            p += 1 + l;
            Elem::Str(&lp[start + 1..p])
        } else if b & 0xe0 == 0xc0 {
            need(p, 2)?;
            let u = (((b & 0x1f) as u16) << 8 | lp[p + 1] as u16) as i64;
            p += 2;
            Elem::Int(if u >= 1 << 12 { u - (1 << 13) } else { u })
        } else if b & 0xf0 == 0xe0 {
            need(p, 2)?;
            let l = ((b & 0x0f) as usize) << 8 | lp[p + 1] as usize;
            need(p + 2, l)?;
            p += 2 + l;
            Elem::Str(&lp[start + 2..p])
        } else {
            match b {
                0xf0 => {
                    need(p, 5)?;
                    let l = u32::from_le_bytes([lp[p + 1], lp[p + 2], lp[p + 3], lp[p + 4]]) as usize;
                    need(p + 5, l)?;
                    p += 5 + l;
                    Elem::Str(&lp[start + 5..p])
                }
                0xf1 => {
                    need(p, 3)?;
                    p += 3;
                    Elem::Int(i16::from_le_bytes([lp[start + 1], lp[start + 2]]) as i64)
                }
                0xf2 => {
                    need(p, 4)?;
                    p += 4;
                    let v = i32::from_le_bytes([0, lp[start + 1], lp[start + 2], lp[start + 3]]) >> 8;
                    Elem::Int(v as i64)
                }
                0xf3 => {
                    need(p, 5)?;
                    p += 5;
                    Elem::Int(i32::from_le_bytes([lp[start + 1], lp[start + 2], lp[start + 3], lp[start + 4]]) as i64)
                }
                0xf4 => {
                    need(p, 9)?;
                    p += 9;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(&lp[start + 1..start + 9]);
                    Elem::Int(i64::from_le_bytes(a))
                }
                _ => return err(format!("invalid listpack encoding byte {b:#x}")),
            }
        };
        let l = p - start;
        let bl = backlen_size(l);
        need(p, bl)?;
        let mut expect = Vec::with_capacity(5);
        put_backlen(&mut expect, l);
        if lp[p..p + bl] != expect[..] {
            return err("listpack entry back-length mismatch");
        }
        p += bl;
        n += 1;
        f(elem)?;
    }
    if declared != 65535 && declared != n {
        return err(format!("listpack header count {declared} but {n} entries"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_encoding() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 100];
        let items: Vec<Vec<u8>> = vec![
            b"0".to_vec(),
            b"127".to_vec(),
            b"128".to_vec(),
            b"-4096".to_vec(),
            b"4095".to_vec(),
            b"-32768".to_vec(),
            b"32767".to_vec(),
            b"8388607".to_vec(),
            b"-8388608".to_vec(),
            b"2147483647".to_vec(),
            b"-2147483648".to_vec(),
            b"9223372036854775807".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"".to_vec(),
            b"abc".to_vec(),
            b"01".to_vec(),
            mid,
            long,
        ];
        let mut w = Writer::new();
        for i in &items {
            w.push(i);
        }
        let lp = w.finish();
        let mut got = vec![];
        parse(&lp, |e| {
            got.push(e.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(got, items);
        for (i, it) in items.iter().enumerate() {
            let mut w = Writer::new();
            w.push(it);
            assert_eq!(w.finish().len(), HDR + 1 + entry_size(it), "item {i}");
        }
    }

    #[test]
    fn matches_redis_bytes() {
        // HSET h x 1 on Redis 8.2 as a listpackex: x, 1, 0 (no TTL).
        let mut w = Writer::new();
        w.push(b"x");
        w.push(b"1");
        w.push_int(0);
        assert_eq!(w.finish(), b"\x0e\x00\x00\x00\x03\x00\x81x\x02\x01\x01\x00\x01\xff");
    }

    #[test]
    fn corrupt_never_panics() {
        let mut w = Writer::new();
        for s in [&b"abc"[..], b"12345", &[b'z'; 70], b"-5000000000"] {
            w.push(s);
        }
        let lp = w.finish();
        for cut in 0..lp.len() {
            assert!(parse(&lp[..cut], |_| Ok(())).is_err());
        }
        for i in 0..lp.len() {
            for v in [0u8, 0x7f, 0x80, 0xc0, 0xe0, 0xf0, 0xf4, 0xff] {
                let mut c = lp.clone();
                c[i] = v;
                let _ = parse(&c, |_| Ok(()));
            }
        }
    }
}
