//! A safe wrapper over the C `long double` helpers (csrc/ldouble.c), so
//! INCRBYFLOAT (and HINCRBYFLOAT) compute and print exactly as Redis does.

use std::os::raw::{c_char, c_int, c_longlong, c_void};

/// Redis' MAX_LONG_DOUBLE_CHARS: enough for any finite value in "%.17Lf".
const MAX_CHARS: usize = 5 * 1024;

extern "C" {
    fn moon_ld_parse(s: *const c_char, len: usize, out: *mut c_void) -> c_int;
    fn moon_ld_add(a: *const c_void, b: *const c_void, out: *mut c_void) -> c_int;
    fn moon_ld_from_i64(n: c_longlong, out: *mut c_void);
    fn moon_ld_format_human(v: *const c_void, buf: *mut c_char, cap: usize) -> usize;
}

/// The bit pattern of a C `long double` (at most 16 bytes on every target
/// the C side accepts; it asserts so at compile time).
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub struct LongDouble([u8; 16]);

impl LongDouble {
    /// Parse with Redis' string2ld rules (whole string, no leading space,
    /// no NaN, no overflow, no underflow to zero).
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        let mut v = LongDouble([0; 16]);
        // SAFETY: s is valid for s.len() bytes; the C side copies at most
        // that many and writes at most 16 bytes into v.
        let ok = unsafe { moon_ld_parse(s.as_ptr() as *const c_char, s.len(), v.0.as_mut_ptr() as *mut c_void) };
        (ok != 0).then_some(v)
    }

    pub fn from_i64(n: i64) -> LongDouble {
        let mut v = LongDouble([0; 16]);
        // SAFETY: writes at most 16 bytes into v.
        unsafe { moon_ld_from_i64(n, v.0.as_mut_ptr() as *mut c_void) };
        v
    }

    /// The sum, or None if it is NaN or infinite.
    pub fn checked_add(self, other: LongDouble) -> Option<LongDouble> {
        let mut v = LongDouble([0; 16]);
        // SAFETY: all three buffers are 16 valid bytes.
        let ok =
            unsafe { moon_ld_add(self.0.as_ptr() as *const c_void, other.0.as_ptr() as *const c_void, v.0.as_mut_ptr() as *mut c_void) };
        (ok != 0).then_some(v)
    }

    /// Redis' human-friendly form ("%.17Lf", trailing zeros trimmed).
    pub fn format_human(&self) -> Vec<u8> {
        let mut buf = vec![0u8; MAX_CHARS];
        // SAFETY: buf has MAX_CHARS writable bytes; the C side writes at
        // most cap bytes and returns the length written.
        let n = unsafe { moon_ld_format_human(self.0.as_ptr() as *const c_void, buf.as_mut_ptr() as *mut c_char, buf.len()) };
        buf.truncate(n.min(MAX_CHARS));
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(a: &str, b: &str) -> Option<String> {
        let s = LongDouble::parse(a.as_bytes())?.checked_add(LongDouble::parse(b.as_bytes())?)?;
        Some(String::from_utf8(s.format_human()).unwrap())
    }

    #[test]
    fn parse_rules() {
        for bad in ["", " 1", "1 ", "abc", "nan", "-nan", "1e99999", "1e-5000", "1\0abc"] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
        for good in ["1", "-1.5", "0x10", "inf", "-inf", ".5", "1e4000", "+3"] {
            assert!(LongDouble::parse(good.as_bytes()).is_some(), "{good:?}");
        }
        assert!(LongDouble::parse(&vec![b'0'; 5119]).is_some());
        assert!(LongDouble::parse(&vec![b'0'; 5120]).is_none());
    }

    #[test]
    fn arithmetic_and_format_match_redis() {
        assert_eq!(add("10.5", "0.1").as_deref(), Some("10.6"));
        assert_eq!(add("10.6", "5.0e3").as_deref(), Some("5010.60000000000000009"));
        assert_eq!(add("0", "-0.0").as_deref(), Some("0"));
        assert_eq!(add("0", "-1e-18").as_deref(), Some("0"));
        assert_eq!(add("0", "1e-17").as_deref(), Some("0.00000000000000001"));
        assert_eq!(add("0", "1.23456789012345678901234").as_deref(), Some("1.23456789012345679"));
        assert_eq!(add("1", "inf"), None);
        assert_eq!(add("1e4932", "1e4932"), None);
        assert_eq!(add("0", "1e4000").map(|s| s.len()), Some(4000));
        let i = LongDouble::from_i64(i64::MIN).checked_add(LongDouble::parse(b"0").unwrap()).unwrap();
        assert_eq!(i.format_human(), b"-9223372036854775808");
    }
}
