//! Parsers for the encodings of RDB files written before listpacks
//! (Redis < 7.0): ziplists (lists, hashes, sorted sets, quicklist nodes)
//! and zipmaps (hashes, Redis < 2.6). Loading only: Moon never writes them.

use crate::listpack::Elem;
use crate::{err, Result};

const ZL_HDR: usize = 10;
const ZL_END: u8 = 0xff;

/// Parse a ziplist, validating its header, every entry and the end marker.
pub fn parse<'a>(zl: &'a [u8], mut f: impl FnMut(Elem<'a>) -> Result<()>) -> Result<usize> {
    if zl.len() < ZL_HDR + 1 {
        return err("ziplist too short");
    }
    let total = u32::from_le_bytes([zl[0], zl[1], zl[2], zl[3]]) as usize;
    if total != zl.len() {
        return err(format!("ziplist size {total} does not match its {} bytes", zl.len()));
    }
    let declared = u16::from_le_bytes([zl[8], zl[9]]) as usize;
    let end = zl.len() - 1;
    let mut p = ZL_HDR;
    let mut n = 0usize;
    let mut prev_len = 0usize;
    let need = |p: usize, k: usize| -> Result<()> {
        if p.checked_add(k).is_none_or(|e| e > end) {
            err("ziplist entry overruns the ziplist")
        } else {
            Ok(())
        }
    };
    loop {
        if p > end {
            return err("ziplist without end marker");
        }
        if zl[p] == ZL_END {
            if p != end {
                return err("ziplist end marker before its end");
            }
            break;
        }
        let start = p;
        // prevlen
        let pl = if zl[p] < 254 {
            p += 1;
            zl[start] as usize
        } else if zl[p] == 254 {
            need(p, 5)?;
            p += 5;
            u32::from_le_bytes([zl[start + 1], zl[start + 2], zl[start + 3], zl[start + 4]]) as usize
        } else {
            return err("invalid ziplist prevlen");
        };
        if pl != prev_len {
            return err("ziplist prevlen mismatch");
        }
        need(p, 1)?;
        let b = zl[p];
        let elem = match b >> 6 {
            0 => {
                let l = (b & 0x3f) as usize;
                need(p + 1, l)?;
                p += 1 + l;
                Elem::Str(&zl[p - l..p])
            }
            1 => {
                need(p, 2)?;
                let l = ((b & 0x3f) as usize) << 8 | zl[p + 1] as usize;
                need(p + 2, l)?;
                p += 2 + l;
                Elem::Str(&zl[p - l..p])
            }
            2 => {
                if b != 0x80 {
                    return err("invalid ziplist string encoding");
                }
                need(p, 5)?;
                let l = u32::from_be_bytes([zl[p + 1], zl[p + 2], zl[p + 3], zl[p + 4]]) as usize;
                need(p + 5, l)?;
                p += 5 + l;
                Elem::Str(&zl[p - l..p])
            }
            _ => {
                let size = match b {
                    0xc0 => 2,
                    0xd0 => 4,
                    0xe0 => 8,
                    0xf0 => 3,
                    0xfe => 1,
                    0xf1..=0xfd => 0,
                    _ => return err(format!("invalid ziplist encoding byte {b:#x}")),
                };
                need(p + 1, size)?;
                let d = &zl[p + 1..p + 1 + size];
                let val = match b {
                    0xc0 => i16::from_le_bytes([d[0], d[1]]) as i64,
                    0xd0 => i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64,
                    0xe0 => i64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]),
                    0xf0 => (i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8) as i64,
                    0xfe => d[0] as i8 as i64,
                    _ => (b & 0x0f) as i64 - 1,
                };
                p += 1 + size;
                Elem::Int(val)
            }
        };
        prev_len = p - start;
        n += 1;
        f(elem)?;
    }
    if declared != 65535 && declared != n {
        return err(format!("ziplist header count {declared} but {n} entries"));
    }
    Ok(n)
}

/// Parse a zipmap (Redis < 2.6 small hashes): calls `f(field, value)`.
pub fn parse_zipmap<'a>(zm: &'a [u8], mut f: impl FnMut(&'a [u8], &'a [u8]) -> Result<()>) -> Result<()> {
    if zm.is_empty() {
        return err("zipmap too short");
    }
    let mut p = 1;
    let read_len = |p: &mut usize| -> Result<Option<usize>> {
        let Some(&b) = zm.get(*p) else { return err("zipmap truncated") };
        match b {
            0xff => Ok(None),
            254 => {
                let Some(d) = zm.get(*p + 1..*p + 5) else { return err("zipmap truncated") };
                *p += 5;
                Ok(Some(u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize))
            }
            253 => err("invalid zipmap length"),
            _ => {
                *p += 1;
                Ok(Some(b as usize))
            }
        }
    };
    let take = |p: &mut usize, n: usize| -> Result<&'a [u8]> {
        let e = p.checked_add(n).filter(|e| *e <= zm.len()).ok_or_else(|| crate::Error("zipmap entry overruns".into()))?;
        let s = &zm[*p..e];
        *p = e;
        Ok(s)
    };
    loop {
        let Some(klen) = read_len(&mut p)? else {
            if p + 1 != zm.len() {
                return err("zipmap end marker before its end");
            }
            return Ok(());
        };
        let k = take(&mut p, klen)?;
        let Some(vlen) = read_len(&mut p)? else { return err("zipmap field without value") };
        let free = take(&mut p, 1)?[0] as usize;
        let v = take(&mut p, vlen)?;
        take(&mut p, free)?;
        f(k, v)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ziplist of "a", 12, 300, "hello" built by hand per the format.
    fn sample() -> Vec<u8> {
        let mut e = vec![];
        let mut prev = 0u8;
        let mut push = |e: &mut Vec<u8>, body: &[u8]| {
            let mut ent = vec![prev];
            ent.extend_from_slice(body);
            prev = ent.len() as u8;
            e.extend_from_slice(&ent);
        };
        push(&mut e, b"\x01a");
        push(&mut e, &[0xf1 + 12]);
        push(&mut e, &[0xc0, 0x2c, 0x01]);
        push(&mut e, b"\x05hello");
        let mut zl = vec![0u8; 10];
        zl.extend_from_slice(&e);
        zl.push(0xff);
        let total = zl.len() as u32;
        zl[0..4].copy_from_slice(&total.to_le_bytes());
        zl[8..10].copy_from_slice(&4u16.to_le_bytes());
        zl
    }

    #[test]
    fn parses_and_rejects_truncation() {
        let zl = sample();
        let mut got = vec![];
        parse(&zl, |e| {
            got.push(e.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(got, vec![b"a".to_vec(), b"12".to_vec(), b"300".to_vec(), b"hello".to_vec()]);
        for cut in 0..zl.len() {
            assert!(parse(&zl[..cut], |_| Ok(())).is_err());
        }
    }

    #[test]
    fn zipmap() {
        let zm = b"\x02\x03foo\x03\x00bar\x01k\x02\x01vvX\xff";
        let mut got = vec![];
        parse_zipmap(zm, |k, v| {
            got.push((k.to_vec(), v.to_vec()));
            Ok(())
        })
        .unwrap();
        assert_eq!(got, vec![(b"foo".to_vec(), b"bar".to_vec()), (b"k".to_vec(), b"vv".to_vec())]);
        for cut in 0..zm.len() {
            assert!(parse_zipmap(&zm[..cut], |_, _| Ok(())).is_err());
        }
    }
}
