//! Redis' intset blob: [width u32 LE: 2, 4 or 8][count u32 LE][sorted
//! members, little-endian]. Written for intset-encoded sets, parsed with
//! checks for width, size and strict ordering.

use crate::{err, Result};
use moon_store::set::intset::IntSet;

pub fn write(s: &IntSet) -> Vec<u8> {
    let (w, n) = match s {
        IntSet::W16(a) => (2u32, a.len()),
        IntSet::W32(a) => (4, a.len()),
        IntSet::W64(a) => (8, a.len()),
    };
    let mut out = Vec::with_capacity(8 + w as usize * n);
    out.extend_from_slice(&w.to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    match s {
        IntSet::W16(a) => a.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        IntSet::W32(a) => a.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        IntSet::W64(a) => a.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
    }
    out
}

/// The intset, keeping the blob's width (Redis never narrows an intset,
/// and neither does loading one).
pub fn parse(b: &[u8]) -> Result<IntSet> {
    if b.len() < 8 {
        return err("intset too short");
    }
    let w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let n = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
    if !matches!(w, 2 | 4 | 8) {
        return err(format!("invalid intset width {w}"));
    }
    if n.checked_mul(w) != Some(b.len() - 8) {
        return err("intset size does not match its count");
    }
    if n == 0 {
        return err("empty intset");
    }
    let body = &b[8..];
    let vals: Vec<i64> = body
        .chunks_exact(w)
        .map(|c| match w {
            2 => i16::from_le_bytes([c[0], c[1]]) as i64,
            4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        })
        .collect();
    if vals.windows(2).any(|p| p[0] >= p[1]) {
        return err("intset members not strictly ascending");
    }
    Ok(match w {
        2 => IntSet::W16(vals.iter().map(|&v| v as i16).collect()),
        4 => IntSet::W32(vals.iter().map(|&v| v as i32).collect()),
        _ => IntSet::W64(vals),
    })
}
