//! Redis' sizing rules for lists, so Moon converts between "listpack" and
//! "quicklist" and splits quicklist nodes at exactly the same points.
//!
//! Redis decides with byte counts of its own listpack format (lpBytes), so
//! every node here tracks what its contents would occupy as a Redis
//! listpack, computed with [`lp_entry_size`], while the bytes are stored in
//! Moon's own layout.

/// Node byte budgets for list-max-listpack-size -1..-5.
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Largest listpack a count-limited (positive fill) node may grow to.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Redis' overestimate of the bytes one pushed element adds to a node.
pub(crate) const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// lpBytes of an empty listpack: 6 header bytes and the end marker.
pub(crate) const LP_EMPTY: usize = 7;
/// The node fill a quicklist stores is clamped to this range.
const FILL_MAX: i64 = (1 << 15) - 1;
const FILL_MIN: i64 = -5;

/// The fill a new quicklist records (quicklistSetFill's clamping).
pub(crate) fn clamp_fill(fill: i64) -> i32 {
    fill.clamp(FILL_MIN, FILL_MAX) as i32
}

fn neg_fill_limit(fill: i64) -> usize {
    let offset = ((-fill) - 1) as usize;
    OPTIMIZATION_LEVEL[offset.min(OPTIMIZATION_LEVEL.len() - 1)]
}

/// (byte limit, entry limit) of one node; `usize::MAX` means "no limit".
pub(crate) fn node_limit(fill: i64) -> (usize, usize) {
    if fill >= 0 {
        (usize::MAX, if fill == 0 { 1 } else { fill as u32 as usize })
    } else {
        (neg_fill_limit(fill), usize::MAX)
    }
}

/// Whether a node of `new_sz` listpack bytes and `new_count` entries would
/// be over the limit for `fill`.
pub(crate) fn exceeds_limit(fill: i64, new_sz: usize, new_count: usize) -> bool {
    let (sz_limit, count_limit) = node_limit(fill);
    if sz_limit != usize::MAX {
        new_sz > sz_limit
    } else {
        new_sz > SIZE_SAFETY_LIMIT || new_count > count_limit
    }
}

/// Elements this large get a node of their own (a "plain" node).
pub(crate) fn is_large(sz: usize, fill: i64) -> bool {
    if fill >= 0 {
        sz > SIZE_SAFETY_LIMIT
    } else {
        sz > neg_fill_limit(fill)
    }
}

/// The integer a listpack would store `v` as (lpStringToInt64): canonical
/// decimal only, so the text round-trips byte for byte.
#[inline]
fn lp_int(v: &[u8]) -> Option<i64> {
    let n = v.len();
    if n == 0 || n > 20 {
        return None;
    }
    if v == b"0" {
        return Some(0);
    }
    let (neg, d) = if v[0] == b'-' { (true, &v[1..]) } else { (false, v) };
    if d.is_empty() || !(b'1'..=b'9').contains(&d[0]) {
        return None;
    }
    let mut acc: u64 = 0;
    for &c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        acc = acc.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        (acc <= i64::MAX as u64 + 1).then(|| (acc as i64).wrapping_neg())
    } else {
        (acc <= i64::MAX as u64).then_some(acc as i64)
    }
}

/// Bytes `v` takes as one Redis listpack entry: encoding + data + backlen.
#[inline]
pub(crate) fn lp_entry_size(v: &[u8]) -> usize {
    let first = v.first().copied().unwrap_or(b'x');
    let int = if first == b'-' || first.is_ascii_digit() { lp_int(v) } else { None };
    let enc = match int {
        Some(i) if (0..=127).contains(&i) => 1,
        Some(i) if (-4096..=4095).contains(&i) => 2,
        Some(i) if (-32768..=32767).contains(&i) => 3,
        Some(i) if (-8_388_608..=8_388_607).contains(&i) => 4,
        Some(i) if (i32::MIN as i64..=i32::MAX as i64).contains(&i) => 5,
        Some(_) => 9,
        None => match v.len() {
            0..=63 => 1 + v.len(),
            64..=4095 => 2 + v.len(),
            n => 5 + n,
        },
    };
    enc + backlen_size(enc)
}

fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        2_097_152..=268_435_455 => 4,
        _ => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_sizes_follow_listpack_encodings() {
        assert_eq!(lp_entry_size(b"0"), 2);
        assert_eq!(lp_entry_size(b"127"), 2);
        assert_eq!(lp_entry_size(b"128"), 3);
        assert_eq!(lp_entry_size(b"-4096"), 3);
        assert_eq!(lp_entry_size(b"1234"), 3);
        assert_eq!(lp_entry_size(b"32767"), 4);
        assert_eq!(lp_entry_size(b"8388607"), 5);
        assert_eq!(lp_entry_size(b"2147483647"), 6);
        assert_eq!(lp_entry_size(b"-9223372036854775808"), 10);
        // Not canonical integers: stored as strings.
        assert_eq!(lp_entry_size(b"007"), 5);
        assert_eq!(lp_entry_size(b"-0"), 4);
        assert_eq!(lp_entry_size(b"+1"), 4);
        assert_eq!(lp_entry_size(b"9223372036854775808"), 21);
        assert_eq!(lp_entry_size(b""), 2);
        assert_eq!(lp_entry_size(b"abcd"), 6);
        assert_eq!(lp_entry_size(&[b'a'; 63]), 65);
        assert_eq!(lp_entry_size(&[b'a'; 64]), 67);
        assert_eq!(lp_entry_size(&[b'a'; 126]), 130);
        assert_eq!(lp_entry_size(&[b'a'; 4096]), 4103);
    }

    #[test]
    fn limits() {
        assert_eq!(node_limit(-2), (8192, usize::MAX));
        assert_eq!(node_limit(-100), (65536, usize::MAX));
        assert_eq!(node_limit(0), (usize::MAX, 1));
        assert_eq!(node_limit(128), (usize::MAX, 128));
        assert!(exceeds_limit(-1, 4097, 1));
        assert!(!exceeds_limit(-1, 4096, 100_000));
        assert!(exceeds_limit(5, 8193, 1));
        assert!(exceeds_limit(5, 100, 6));
        assert!(!exceeds_limit(5, 100, 5));
        assert!(is_large(8193, 3) && !is_large(8192, 3));
        assert!(is_large(4097, -1) && !is_large(4096, -1));
        assert_eq!(clamp_fill(-9), -5);
        assert_eq!(clamp_fill(1 << 20), 32767);
    }
}
