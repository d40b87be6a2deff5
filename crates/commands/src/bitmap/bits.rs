//! Bit-level primitives of the bitmap commands, on plain byte slices.
//! Bit 0 is the most significant bit of byte 0, as in Redis.

/// Set bits in `s`, eight bytes at a time.
pub fn popcount(s: &[u8]) -> u64 {
    let mut chunks = s.chunks_exact(8);
    let mut n = 0u64;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        n += u64::from_ne_bytes(w).count_ones() as u64;
    }
    n + chunks.remainder().iter().map(|b| b.count_ones() as u64).sum::<u64>()
}

/// Position of the first bit equal to `bit` (Redis' redisBitpos). Not
/// found: -1 when looking for a 1, else the bit just past the end (the
/// string is taken as zero-padded to the right).
pub fn first_bit(s: &[u8], bit: bool) -> i64 {
    let (skip_word, skip_byte) = if bit { (0u64, 0u8) } else { (u64::MAX, 0xff) };
    let mut chunks = s.chunks_exact(8);
    let mut base = 0usize;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let w = u64::from_be_bytes(w);
        if w != skip_word {
            let x = if bit { w } else { !w };
            return (base * 8) as i64 + x.leading_zeros() as i64;
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b != skip_byte {
            let x = if bit { b } else { !b };
            return ((base + i) * 8) as i64 + x.leading_zeros() as i64;
        }
    }
    if bit {
        -1
    } else {
        (s.len() * 8) as i64
    }
}

/// A BITCOUNT/BITPOS range resolved against a string: inclusive byte
/// indexes, and in BIT mode the masks of the bits of the first and last
/// byte that lie outside the range (Redis' first/last_byte_neg_mask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: i64,
    pub end: i64,
    pub first_mask: u8,
    pub last_mask: u8,
}

/// Resolve `start..=end` (negative: from the end; units of bits or bytes)
/// over a string of `len` bytes, clamping as Redis does. An empty range
/// comes back with start > end.
pub fn resolve(mut start: i64, mut end: i64, len: usize, bits: bool) -> Span {
    let mut total = len as i64;
    if bits {
        total <<= 3;
    }
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    let (mut first_mask, mut last_mask) = (0u8, 0u8);
    if bits && start <= end {
        first_mask = !((1u32 << (8 - (start & 7))) - 1) as u8;
        last_mask = ((1u32 << (7 - (end & 7))) - 1) as u8;
        start >>= 3;
        end >>= 3;
    }
    Span { start, end, first_mask, last_mask }
}

/// Set bits of `s` within a resolved, non-empty span.
pub fn count_span(s: &[u8], sp: Span) -> u64 {
    let (a, b) = (sp.start as usize, sp.end as usize);
    let mut n = popcount(&s[a..=b]);
    n -= (s[a] & sp.first_mask).count_ones() as u64;
    n -= (s[b] & sp.last_mask).count_ones() as u64;
    n
}

/// BITPOS over a resolved, non-empty span, following Redis' walk: the
/// partial first byte, the whole bytes, the partial last byte. `end_given`:
/// an explicit end means a 0 past the range does not count.
pub fn bitpos_span(s: &[u8], sp: Span, bit: bool, end_given: bool) -> i64 {
    let mut start = sp.start;
    let mut bytes = sp.end - sp.start + 1;
    let masked = |b: u8, mask: u8| if bit { b & !mask } else { b | mask };
    let pos = 'walk: {
        if sp.first_mask != 0 {
            let mut c = masked(s[start as usize], sp.first_mask);
            if sp.last_mask != 0 && bytes == 1 {
                c = masked(c, sp.last_mask);
            }
            let pos = first_bit(&[c], bit);
            if bytes == 1 || (pos != -1 && pos != 8) {
                break 'walk pos;
            }
            start += 1;
            bytes -= 1;
        }
        let whole = bytes - i64::from(sp.last_mask != 0);
        if whole > 0 {
            let pos = first_bit(&s[start as usize..(start + whole) as usize], bit);
            if bytes == whole || (pos != -1 && pos != whole << 3) {
                break 'walk pos;
            }
            start += whole;
            bytes -= whole;
        }
        first_bit(&[masked(s[sp.end as usize], sp.last_mask)], bit)
    };
    if end_given && !bit && pos == bytes << 3 {
        return -1;
    }
    if pos == -1 {
        -1
    } else {
        pos + (start << 3)
    }
}

/// Read `bits` (1..=64) bits at bit `offset` as an unsigned number, reading
/// missing bytes as zero.
pub fn get_unsigned(s: &[u8], offset: u64, bits: u32) -> u64 {
    let byte = (offset >> 3) as usize;
    let shift = (offset & 7) as u32;
    let w = window(s, byte);
    ((w >> (72 - shift - bits)) as u64) & mask(bits)
}

/// As [`get_unsigned`], sign-extended from `bits`.
pub fn get_signed(s: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_unsigned(s, offset, bits);
    if bits < 64 && v & (1u64 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// Write the low `bits` bits of `value` at bit `offset`; the bytes
/// touched must exist.
pub fn set_bits(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    let byte = (offset >> 3) as usize;
    let shift = (offset & 7) as u32;
    let at = 72 - shift - bits;
    let m = (mask(bits) as u128) << at;
    let w = (window(s, byte) & !m) | (((value & mask(bits)) as u128) << at);
    for i in 0..9 {
        if let Some(d) = s.get_mut(byte + i) {
            *d = (w >> (8 * (8 - i))) as u8;
        }
    }
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// Nine bytes from `byte` on as a big-endian number, zero-padded.
fn window(s: &[u8], byte: usize) -> u128 {
    let mut w = 0u128;
    for i in 0..9 {
        let b = s.get(byte.wrapping_add(i)).copied().unwrap_or(0);
        w = (w << 8) | b as u128;
    }
    w
}

/// How BITFIELD handles an out-of-range result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// `value + incr` for an unsigned field of `bits` (<= 63): None if it
/// fits, else the wrapped or saturated result (Redis'
/// checkUnsignedBitfieldOverflow; for FAIL the value is unused).
pub fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = mask(bits);
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = (value as i64).wrapping_neg();
    let wrap = || value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > maxincr) {
        Some(if ow == Overflow::Sat { max } else { wrap() })
    } else if incr < 0 && incr < minincr {
        Some(if ow == Overflow::Sat { 0 } else { wrap() })
    } else {
        None
    }
}

/// Signed counterpart of [`unsigned_overflow`] (Redis'
/// checkSignedBitfieldOverflow), for fields of 1..=64 bits.
pub fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max: i64 = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let m = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                (c | m) as i64
            } else {
                (c & !m) as i64
            }
        } else {
            c as i64
        }
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Some(if ow == Overflow::Sat { max } else { wrap() })
    } else if value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
        Some(if ow == Overflow::Sat { min } else { wrap() })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-by-bit reference implementations.
    fn naive_get(s: &[u8], off: u64, bits: u32) -> u64 {
        (0..bits as u64).fold(0, |v, j| {
            let o = off + j;
            let b = s.get((o >> 3) as usize).map_or(0, |b| (b >> (7 - (o & 7))) & 1);
            (v << 1) | b as u64
        })
    }

    fn naive_first(s: &[u8], bit: bool) -> i64 {
        for i in 0..s.len() * 8 {
            if ((s[i / 8] >> (7 - i % 8)) & 1 == 1) == bit {
                return i as i64;
            }
        }
        if bit {
            -1
        } else {
            (s.len() * 8) as i64
        }
    }

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn popcount_and_first_bit_match_naive() {
        let mut seed = 7;
        for len in 0..40 {
            for _ in 0..20 {
                let mode = lcg(&mut seed) % 3;
                let s: Vec<u8> = (0..len)
                    .map(|_| match mode {
                        0 => 0,
                        1 => 0xff,
                        _ => lcg(&mut seed) as u8,
                    })
                    .collect();
                let mut s = s;
                if len > 0 && mode != 2 {
                    let i = (lcg(&mut seed) as usize) % len;
                    s[i] ^= 1 << (lcg(&mut seed) % 8);
                }
                let want: u64 = s.iter().map(|b| b.count_ones() as u64).sum();
                assert_eq!(popcount(&s), want);
                assert_eq!(first_bit(&s, true), naive_first(&s, true), "{s:?}");
                assert_eq!(first_bit(&s, false), naive_first(&s, false), "{s:?}");
            }
        }
    }

    #[test]
    fn fields_roundtrip_at_every_alignment() {
        let mut seed = 3;
        for bits in 1..=64u32 {
            for off in 0..20u64 {
                let mut s: Vec<u8> = (0..12).map(|_| lcg(&mut seed) as u8).collect();
                let before = s.clone();
                let v = lcg(&mut seed) << 31 ^ lcg(&mut seed);
                set_bits(&mut s, off, bits, v);
                assert_eq!(get_unsigned(&s, off, bits), v & mask(bits));
                assert_eq!(naive_get(&s, off, bits), v & mask(bits));
                // Neighbouring bits are untouched.
                for i in 0..96u64 {
                    if i < off || i >= off + bits as u64 {
                        assert_eq!(naive_get(&s, i, 1), naive_get(&before, i, 1));
                    }
                }
            }
        }
        assert_eq!(get_unsigned(&[0xff], 4, 8), 0xf0);
        assert_eq!(get_signed(&[0xff], 0, 8), -1);
        assert_eq!(get_signed(&[0x80], 0, 4), -8);
        assert_eq!(get_signed(&[0x70], 0, 4), 7);
        assert_eq!(get_signed(&[0xff; 9], 3, 64), -1);
    }

    #[test]
    fn overflow_rules() {
        use Overflow::*;
        assert_eq!(unsigned_overflow(250, 10, 8, Wrap), Some(4));
        assert_eq!(unsigned_overflow(250, 10, 8, Sat), Some(255));
        assert_eq!(unsigned_overflow(250, 5, 8, Sat), None);
        assert_eq!(unsigned_overflow(5, -10, 8, Sat), Some(0));
        assert_eq!(unsigned_overflow(5, -10, 8, Wrap), Some(251));
        assert_eq!(unsigned_overflow(u64::MAX, 0, 8, Sat), Some(255));
        assert_eq!(unsigned_overflow(u64::MAX, 0, 8, Wrap), Some(255));
        assert_eq!(signed_overflow(120, 10, 8, Wrap), Some(-126));
        assert_eq!(signed_overflow(120, 10, 8, Sat), Some(127));
        assert_eq!(signed_overflow(-120, -10, 8, Sat), Some(-128));
        assert_eq!(signed_overflow(-120, -10, 8, Wrap), Some(126));
        assert_eq!(signed_overflow(i64::MAX, 1, 64, Wrap), Some(i64::MIN));
        assert_eq!(signed_overflow(i64::MAX, 1, 64, Sat), Some(i64::MAX));
        assert_eq!(signed_overflow(i64::MIN, -1, 64, Sat), Some(i64::MIN));
        assert_eq!(signed_overflow(-1, i64::MIN, 64, Sat), Some(i64::MIN));
        assert_eq!(signed_overflow(-1, i64::MIN, 64, Wrap), Some(i64::MAX));
        assert_eq!(signed_overflow(0, i64::MIN, 64, Wrap), None);
        assert_eq!(signed_overflow(200, 0, 8, Wrap), Some(-56));
        assert_eq!(signed_overflow(0, 0, 1, Wrap), None);
        assert_eq!(signed_overflow(1, 0, 1, Sat), Some(0));
    }

    #[test]
    fn spans() {
        // "foobar" examples from the Redis docs.
        let s = b"foobar";
        assert_eq!(count_span(s, resolve(0, -1, 6, false)), 26);
        assert_eq!(count_span(s, resolve(1, 1, 6, false)), 6);
        assert_eq!(count_span(s, resolve(5, 30, 6, true)), 17);
        let sp = resolve(0, -1, 3, false);
        assert_eq!(bitpos_span(b"\xff\xf0\x00", sp, false, false), 12);
        assert_eq!(bitpos_span(b"\xff\xff\xff", sp, false, false), 24);
        assert_eq!(bitpos_span(b"\xff\xff\xff", sp, false, true), -1);
        assert_eq!(bitpos_span(b"\x00\xff\xf0", resolve(7, 15, 3, true), true, true), 8);
        assert_eq!(bitpos_span(b"\x00\x00\x00", resolve(7, 15, 3, true), true, true), -1);
        assert_eq!(bitpos_span(b"\xff\xff\xff", resolve(7, 15, 3, true), false, true), -1);
    }
}
