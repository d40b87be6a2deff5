//! Testing 8 slot tags at once, the inner step of a table probe.
//!
//! On x86_64, SSE2 (always present there) compares the 8 bytes exactly in
//! three instructions. Elsewhere a portable SWAR version works on a u64
//! (as hashbrown's generic backend). The SSE2 path matters more than its
//! size suggests: a lookup waits on cache misses, and on 1M keys a shorter
//! probe let the CPU overlap more of them (measured 20-35% faster misses
//! than SWAR, which costs ~15 more instructions per probe).
//!
/// Tags per group.
pub const GROUP: usize = 8;

/// Tag encoding chosen so the portable tests are exact bit tricks: FULL
/// tags (7 hash bits) have the top bit clear, EMPTY is the only byte with
/// both top bits set.
pub const EMPTY: u8 = 0xff;
pub const TOMBSTONE: u8 = 0x80;

/// Offsets of matching bytes in a group, as set bits `STRIDE` apart.
#[derive(Clone, Copy)]
pub struct Mask(u64);

impl Mask {
    #[inline]
    pub fn any(self) -> bool {
        self.0 != 0
    }

    /// Offset of the first match (only meaningful when `any()`).
    #[inline]
    pub fn first(self) -> usize {
        (self.0.trailing_zeros() / imp::STRIDE) as usize
    }

    /// The matches at offsets up to and including the first match of
    /// `end` (all of them when `end` has none).
    #[inline]
    pub fn up_to(self, end: Mask) -> Mask {
        Mask(self.0 & (end.0 ^ end.0.wrapping_sub(1)))
    }
}

impl Iterator for Mask {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let off = self.first();
        self.0 &= self.0 - 1;
        Some(off)
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
use sse2 as imp;
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use swar as imp;

#[derive(Clone, Copy)]
pub struct Group(imp::Raw);

impl Group {
    /// The group of tags `tags[pos..pos + GROUP]`.
    #[inline]
    pub fn load(tags: &[u8], pos: usize) -> Group {
        let mut b = [0; GROUP];
        b.copy_from_slice(&tags[pos..pos + GROUP]);
        Group(imp::load(u64::from_le_bytes(b)))
    }

    /// Bytes equal to `tag` (a FULL tag). The SWAR version may report a
    /// false match right after a true one; callers compare keys anyway.
    #[inline]
    pub fn match_tag(self, tag: u8) -> Mask {
        Mask(imp::eq(self.0, tag))
    }

    /// EMPTY bytes (exact).
    #[inline]
    pub fn match_empty(self) -> Mask {
        Mask(imp::empty(self.0))
    }

    /// EMPTY or TOMBSTONE bytes (exact).
    #[inline]
    pub fn match_free(self) -> Mask {
        Mask(imp::high(self.0))
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    //! SAFETY (every block below): these intrinsics only require SSE2,
    //! which this module's cfg guarantees is enabled for the whole build;
    //! none of them touches memory.
    use std::arch::x86_64::*;

    pub const STRIDE: u32 = 1;
    pub type Raw = __m128i;

    #[inline]
    pub fn load(g: u64) -> Raw {
        // SAFETY: see the module comment.
        unsafe { _mm_cvtsi64_si128(g as i64) }
    }

    /// One bit per byte of the low 8 bytes (the upper 8 are zero padding).
    #[inline]
    pub fn eq(g: Raw, b: u8) -> u64 {
        // SAFETY: see the module comment.
        unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(g, _mm_set1_epi8(b as i8))) as u64 & 0xff }
    }

    #[inline]
    pub fn empty(g: Raw) -> u64 {
        eq(g, super::EMPTY)
    }

    #[inline]
    pub fn high(g: Raw) -> u64 {
        // SAFETY: see the module comment.
        unsafe { _mm_movemask_epi8(g) as u64 & 0xff }
    }
}

// Compiled everywhere so its tests run on x86_64 too.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
mod swar {
    const LSB: u64 = 0x0101_0101_0101_0101;
    const MSB: u64 = 0x8080_8080_8080_8080;

    /// Matches are the top bits of their bytes.
    pub const STRIDE: u32 = 8;
    pub type Raw = u64;

    #[inline]
    pub fn load(g: u64) -> Raw {
        g
    }

    /// Zero-byte test on g ^ b: a borrow can flag the byte above a true
    /// match, never miss one.
    #[inline]
    pub fn eq(g: Raw, b: u8) -> u64 {
        let x = g ^ (LSB * b as u64);
        x.wrapping_sub(LSB) & !x & MSB
    }

    /// Both top bits set: only EMPTY.
    #[inline]
    pub fn empty(g: Raw) -> u64 {
        g & (g << 1) & MSB
    }

    #[inline]
    pub fn high(g: Raw) -> u64 {
        g & MSB
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_matches() {
        let tags = [0x11, 0xff, 0x80, 0x11, 0x7f, 0x00, 0xff, 0x10, 0x11];
        let g = Group::load(&tags, 0);
        assert_eq!(g.match_empty().collect::<Vec<_>>(), [1, 6]);
        assert_eq!(g.match_free().collect::<Vec<_>>(), [1, 2, 6]);
        assert_eq!(g.match_tag(0x11).collect::<Vec<_>>(), [0, 3]);
        assert_eq!(g.match_tag(0x11).up_to(g.match_empty()).collect::<Vec<_>>(), [0]);
        assert_eq!(g.match_tag(0x00).collect::<Vec<_>>(), [5]);
        assert!(!g.match_tag(0x42).any());
        let g = Group::load(&tags, 1);
        assert_eq!(g.match_tag(0x11).first(), 2);
        assert_eq!(g.match_tag(0x11).up_to(Group::load(&[0x11; 8], 0).match_empty()).count(), 2);
    }

    /// Both backends against a byte-by-byte reference on random groups.
    #[test]
    fn backends_agree_with_bytes() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
        let bits = |f: &dyn Fn(u8) -> bool, b: &[u8; 8], stride: u32| {
            (0..8).filter(|&i| f(b[i])).fold(0u64, |m, i| m | 1 << (i as u32 * stride + stride.saturating_sub(1).min(7)))
        };
        for _ in 0..20_000 {
            let mut b = [0u8; 8];
            for x in &mut b {
                *x = match rng.gen_range(0..4) {
                    0 => EMPTY,
                    1 => TOMBSTONE,
                    _ => rng.gen_range(0..4),
                };
            }
            let tag = rng.gen_range(0..4u8);
            let g = u64::from_le_bytes(b);
            let exact = bits(&|x| x == tag, &b, 8);
            let got = swar::eq(swar::load(g), tag);
            // SWAR: every true match, plus possibly false ones above them.
            assert_eq!(got & exact, exact, "{b:?} {tag}");
            let false_pos = got & !exact;
            assert!(false_pos == 0 || false_pos.trailing_zeros() > exact.trailing_zeros(), "{b:?} {tag}");
            assert_eq!(swar::empty(swar::load(g)), bits(&|x| x == EMPTY, &b, 8));
            assert_eq!(swar::high(swar::load(g)), bits(&|x| x >= 0x80, &b, 8));
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            {
                assert_eq!(sse2::eq(sse2::load(g), tag), bits(&|x| x == tag, &b, 1));
                assert_eq!(sse2::empty(sse2::load(g)), bits(&|x| x == EMPTY, &b, 1));
                assert_eq!(sse2::high(sse2::load(g)), bits(&|x| x >= 0x80, &b, 1));
            }
        }
    }
}
