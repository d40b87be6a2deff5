//! Redis' HyperLogLog string format, byte for byte, so values move between
//! Moon and Redis (GET/SET, DUMP/RESTORE, RDB) and PFCOUNT agrees.
//!
//! ```text
//! "HYLL" [encoding: 0 dense, 1 sparse] [3 unused] [cardinality u64 LE;
//!        top bit of its last byte set = stale] [registers]
//! ```
//! 16384 registers (14 index bits of a 64-bit MurmurHash64A), each the
//! length of the run of zeros (+1) in the remaining 50 bits. Dense: 6 bits
//! per register, LSB first. Sparse: run-length opcodes
//! `00xxxxxx` ZERO (1-64 zero registers), `01xxxxxx yyyyyyyy` XZERO
//! (1-16384), `1vvvvvxx` VAL (value 1-32 repeated 1-4 times); past
//! hll-sparse-max-bytes, or for a value above 32, the sketch turns dense.

pub const HDR: usize = 16;
pub const P: u32 = 14;
pub const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const BITS: usize = 6;
const REG_MAX: u8 = (1 << BITS) - 1;
pub const DENSE_SIZE: usize = HDR + (REGISTERS * BITS).div_ceil(8);
const ENC_DENSE: u8 = 0;
const ENC_SPARSE: u8 = 1;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const SEED: u64 = 0xadc83b19;

/// A sketch whose opcodes or length do not add up to 16384 registers.
#[derive(Debug, PartialEq, Eq)]
pub struct Corrupt;

/// An empty sketch as PFADD creates it: sparse, one XZERO of 16384.
pub fn new_sparse() -> Vec<u8> {
    let mut v = vec![0u8; HDR + 2];
    v[..4].copy_from_slice(b"HYLL");
    v[4] = ENC_SPARSE;
    v[HDR] = 0x40 | ((REGISTERS - 1) >> 8) as u8;
    v[HDR + 1] = ((REGISTERS - 1) & 0xff) as u8;
    v
}

/// Whether a string passes Redis' isHLLObjectOrReply checks: magic, a
/// known encoding, and the exact size if dense.
pub fn looks_valid(v: &[u8]) -> bool {
    v.len() >= HDR && &v[..4] == b"HYLL" && v[4] <= ENC_SPARSE && (v[4] != ENC_DENSE || v.len() == DENSE_SIZE)
}

pub fn is_sparse(v: &[u8]) -> bool {
    v[4] == ENC_SPARSE
}

/// The cached cardinality, if not marked stale.
pub fn cached(v: &[u8]) -> Option<u64> {
    if v[15] & 0x80 != 0 {
        return None;
    }
    let mut b = [0u8; 8];
    b.copy_from_slice(&v[8..16]);
    Some(u64::from_le_bytes(b))
}

pub fn set_cached(v: &mut [u8], card: u64) {
    v[8..16].copy_from_slice(&card.to_le_bytes());
}

pub fn invalidate(v: &mut [u8]) {
    v[15] |= 0x80;
}

/// Redis' MurmurHash64A (little-endian block reads).
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4a7935bd1e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let mut k = u64::from_le_bytes(b).wrapping_mul(M);
        k ^= k >> R;
        h ^= k.wrapping_mul(M);
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^ (h >> R)
}

/// The register an element maps to and the value it proposes
/// (Redis' hllPatLen).
pub fn register_of(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

pub fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = regs[byte] as u32;
    let b1 = regs.get(byte + 1).copied().unwrap_or(0) as u32;
    (((b0 >> fb) | (b1 << (8 - fb))) & REG_MAX as u32) as u8
}

pub fn dense_put(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let v = val as u32 & REG_MAX as u32;
    regs[byte] = ((regs[byte] as u32 & !((REG_MAX as u32) << fb)) | (v << fb)) as u8;
    if let Some(b) = regs.get_mut(byte + 1) {
        let fb8 = 8 - fb;
        *b = ((*b as u32 & !((REG_MAX as u32) >> fb8)) | (v >> fb8)) as u8;
    }
}

/// Raise register `i` of dense registers to `val`; true if it changed.
fn dense_raise(regs: &mut [u8], i: usize, val: u8) -> bool {
    if val > dense_get(regs, i) {
        dense_put(regs, i, val);
        true
    } else {
        false
    }
}

/// One sparse opcode, decoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Opcode {
    Zero(usize),
    XZero(usize),
    Val(u8, usize),
}

impl Opcode {
    /// The opcode at `p` (a missing second XZERO byte reads as 0, as the
    /// NUL after Redis' string would) and its size in bytes.
    pub fn at(s: &[u8], p: usize) -> (Opcode, usize) {
        let b = s[p];
        if b & 0xc0 == 0 {
            (Opcode::Zero((b & 0x3f) as usize + 1), 1)
        } else if b & 0x80 == 0 {
            let lo = s.get(p + 1).copied().unwrap_or(0) as usize;
            (Opcode::XZero((((b & 0x3f) as usize) << 8 | lo) + 1), 2)
        } else {
            let (val, n) = val_parts(b);
            (Opcode::Val(val, n), 1)
        }
    }

    fn span(self) -> usize {
        match self {
            Opcode::Zero(n) | Opcode::XZero(n) | Opcode::Val(_, n) => n,
        }
    }
}

/// (value, run length) of a VAL opcode byte.
fn val_parts(b: u8) -> (u8, usize) {
    (((b >> 2) & 0x1f) + 1, (b & 3) as usize + 1)
}

fn val_byte(val: u8, len: usize) -> u8 {
    0x80 | ((val - 1) << 2) | (len - 1) as u8
}

/// A run of zero registers as ZERO or XZERO, appended to `seq`.
fn push_zeros(seq: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        seq.push(0x40 | ((len - 1) >> 8) as u8);
        seq.push(((len - 1) & 0xff) as u8);
    } else {
        seq.push((len - 1) as u8);
    }
}

/// Convert a sparse sketch to dense in place (no-op if dense). The header
/// (cached cardinality included) is kept.
pub fn to_dense(v: &mut Vec<u8>) -> Result<(), Corrupt> {
    if !is_sparse(v) {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&v[..HDR]);
    dense[4] = ENC_DENSE;
    let regs = &mut dense[HDR..];
    let (mut idx, mut p) = (0usize, HDR);
    while p < v.len() {
        let (op, len) = Opcode::at(v, p);
        // Any run past the last register is corruption (Redis checks
        // every opcode since CVE-2025-32023).
        if idx + op.span() > REGISTERS {
            return Err(Corrupt);
        }
        if let Opcode::Val(val, n) = op {
            for i in idx..idx + n {
                dense_put(regs, i, val);
            }
        }
        idx += op.span();
        p += len;
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    *v = dense;
    Ok(())
}

/// Raise register `index` to `count` in whichever encoding `v` has.
pub fn raise(v: &mut Vec<u8>, index: usize, count: u8, sparse_max: usize) -> Result<bool, Corrupt> {
    if is_sparse(v) {
        sparse_raise(v, index, count, sparse_max)
    } else {
        Ok(dense_raise(&mut v[HDR..], index, count))
    }
}

/// Add an element (Redis' hllAdd): true if a register changed.
pub fn add(v: &mut Vec<u8>, ele: &[u8], sparse_max: usize) -> Result<bool, Corrupt> {
    let (index, count) = register_of(ele);
    raise(v, index, count, sparse_max)
}

fn promote(v: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(v)?;
    dense_raise(&mut v[HDR..], index, count);
    Ok(true)
}

/// Redis' hllSparseSet: find the opcode covering `index`; if the value
/// must grow, replace that opcode by up to three (zeros/old value before,
/// the new value, zeros/old value after), then merge equal neighbouring
/// VALs near the change. Turns dense when the result would exceed
/// `sparse_max` bytes or the value does not fit a VAL.
fn sparse_raise(v: &mut Vec<u8>, index: usize, count: u8, sparse_max: usize) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(v, index, count);
    }
    let end = v.len();
    let (mut p, mut first, mut prev) = (HDR, 0usize, None);
    let mut cur = None;
    while p < end {
        let (op, len) = Opcode::at(v, p);
        if index < first + op.span() {
            cur = Some((op, len));
            break;
        }
        prev = Some(p);
        p += len;
        first += op.span();
    }
    let Some((op, oldlen)) = cur else { return Err(Corrupt) };
    match op {
        Opcode::Val(old, _) if old >= count => return Ok(false),
        Opcode::Val(_, 1) | Opcode::Zero(1) => {
            v[p] = val_byte(count, 1);
            merge_near(v, prev.unwrap_or(HDR));
            return Ok(true);
        }
        _ => {}
    }
    let last = first + op.span() - 1;
    let mut seq = Vec::with_capacity(5);
    match op {
        Opcode::Zero(_) | Opcode::XZero(_) => {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_byte(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        Opcode::Val(old, _) => {
            if index != first {
                seq.push(val_byte(old, index - first));
            }
            seq.push(val_byte(count, 1));
            if index != last {
                seq.push(val_byte(old, last - index));
            }
        }
    }
    if seq.len() > oldlen && v.len() + seq.len() - oldlen > sparse_max {
        return promote(v, index, count);
    }
    v.splice(p..p + oldlen, seq);
    merge_near(v, prev.unwrap_or(HDR));
    Ok(true)
}

/// Merge adjacent VAL opcodes of equal value whose lengths fit one VAL,
/// scanning at most five opcodes from `p` (as Redis does after a change).
fn merge_near(v: &mut Vec<u8>, mut p: usize) {
    let mut scan = 5;
    while p < v.len() && scan > 0 {
        scan -= 1;
        let b = v[p];
        if b & 0xc0 == 0x40 {
            p += 2;
            continue;
        }
        if b & 0xc0 == 0 {
            p += 1;
            continue;
        }
        if p + 1 < v.len() && v[p + 1] & 0x80 != 0 {
            let (v1, l1) = val_parts(b);
            let (v2, l2) = val_parts(v[p + 1]);
            if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                v[p + 1] = val_byte(v1, l1 + l2);
                v.remove(p);
                continue;
            }
        }
        p += 1;
    }
}

/// Register histogram: how many registers hold each value.
pub type Histogram = [u32; 64];

/// The histogram of a dense or sparse sketch; a sparse one whose opcodes
/// do not cover exactly 16384 registers is corrupt.
pub fn histogram(v: &[u8]) -> Result<Histogram, Corrupt> {
    let mut h = [0u32; 64];
    if !is_sparse(v) {
        let regs = &v[HDR..];
        for i in 0..REGISTERS {
            h[dense_get(regs, i) as usize] += 1;
        }
        return Ok(h);
    }
    let (mut idx, mut p) = (0usize, HDR);
    while p < v.len() {
        let (op, len) = Opcode::at(v, p);
        match op {
            Opcode::Zero(n) | Opcode::XZero(n) => h[0] += n as u32,
            Opcode::Val(val, n) => h[val as usize] += n as u32,
        }
        idx += op.span();
        p += len;
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    Ok(h)
}

/// Fold a sketch into `max` (register-wise maximum; Redis' hllMerge).
pub fn merge_into(max: &mut [u8; REGISTERS], v: &[u8]) -> Result<(), Corrupt> {
    if !is_sparse(v) {
        let regs = &v[HDR..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(regs, i));
        }
        return Ok(());
    }
    let (mut i, mut p) = (0usize, HDR);
    while p < v.len() {
        let (op, len) = Opcode::at(v, p);
        if i + op.span() > REGISTERS {
            return Err(Corrupt);
        }
        if let Opcode::Val(val, n) = op {
            for m in &mut max[i..i + n] {
                *m = (*m).max(val);
            }
        }
        i += op.span();
        p += len;
    }
    if i != REGISTERS {
        return Err(Corrupt);
    }
    Ok(())
}

/// Histogram of plain one-byte-per-register values.
pub fn raw_histogram(regs: &[u8; REGISTERS]) -> Histogram {
    let mut h = [0u32; 64];
    for &r in regs {
        h[(r & 63) as usize] += 1;
    }
    h
}

/// Cardinality estimate from a register histogram: Ertl's improved
/// estimator ("New cardinality estimation algorithms for HyperLogLog
/// sketches", 2017), as Redis' hllCount computes it.
pub fn estimate(h: &Histogram) -> u64 {
    let m = REGISTERS as f64;
    let q = Q as usize;
    let mut z = m * tau((m - h[q + 1] as f64) / m);
    for j in (1..=q).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    // 1 / (2 ln 2).
    const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

/// The sparse opcodes as PFDEBUG DECODE prints them.
pub fn decode(v: &[u8]) -> String {
    let mut s = String::new();
    let mut p = HDR;
    while p < v.len() {
        let (op, len) = Opcode::at(v, p);
        if !s.is_empty() {
            s.push(' ');
        }
        match op {
            Opcode::Zero(n) => s.push_str(&format!("z:{n}")),
            Opcode::XZero(n) => s.push_str(&format!("Z:{n}")),
            Opcode::Val(val, n) => s.push_str(&format!("v:{val},{n}")),
        }
        p += len;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur_matches_redis() {
        // Registers Redis 8.2.3 reports (PFDEBUG DECODE) for "a", "b", "c":
        // Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603.
        let mut v = new_sparse();
        for e in [&b"a"[..], b"b", b"c"] {
            assert_eq!(add(&mut v, e, 3000), Ok(true));
        }
        assert_eq!(decode(&v), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
        assert_eq!(&v[HDR..], b"\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a");
        assert_eq!(add(&mut v, b"a", 3000), Ok(false));
    }

    #[test]
    fn dense_registers_roundtrip() {
        let mut regs = vec![0u8; DENSE_SIZE - HDR];
        for i in 0..REGISTERS {
            dense_put(&mut regs, i, (i * 7 % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&regs, i), (i * 7 % 64) as u8, "{i}");
        }
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut s = new_sparse();
        let mut d = new_sparse();
        to_dense(&mut d).unwrap();
        for i in 0..5000u32 {
            let e = i.to_le_bytes();
            let a = add(&mut s, &e, 3000).unwrap();
            let b = add(&mut d, &e, 3000).unwrap();
            assert_eq!(a, b);
            if i % 500 == 0 {
                assert_eq!(estimate(&histogram(&s).unwrap()), estimate(&histogram(&d).unwrap()));
            }
        }
        assert!(!is_sparse(&s), "5000 elements pass 3000 bytes");
        assert_eq!(s, d);
        let est = estimate(&histogram(&d).unwrap()) as f64;
        assert!((est - 5000.0).abs() / 5000.0 < 0.05, "{est}");
    }

    #[test]
    fn corrupt_sparse_is_detected() {
        let mut v = new_sparse();
        v.push(0x80);
        assert_eq!(histogram(&v), Err(Corrupt));
        assert_eq!(to_dense(&mut v.clone()), Err(Corrupt), "a run past the last register");
        let mut max = [0u8; REGISTERS];
        assert_eq!(merge_into(&mut max, &v), Err(Corrupt));
        let mut short = new_sparse();
        short.truncate(HDR + 1);
        assert_eq!(histogram(&short), Err(Corrupt));
        assert_eq!(estimate(&histogram(&new_sparse()).unwrap()), 0);
    }
}
