//! Double formatting exactly as Redis 7.2+ replies with it (`d2string`):
//! special values, integral values in range as integers, everything else as
//! `fpconv_dtoa` prints it: Grisu2 digits (see `grisu`, not always the
//! shortest) laid out as a plain decimal for moderate exponents, otherwise
//! as `d.ddde+XX`.

mod grisu;

use grisu::{grisu2, MAX_DIGITS};

/// Room for the longest text form: "-0.000001" plus 17 digits is 26; the
/// margin covers the digit buffer's full capacity so no layout can overrun.
pub const DOUBLE_MAX_LEN: usize = 40;

/// Appends the Redis text form of `d` to `out`.
pub fn format_double(d: f64, out: &mut Vec<u8>) {
    let mut buf = [0u8; DOUBLE_MAX_LEN];
    let n = write_double(d, &mut buf);
    out.extend_from_slice(&buf[..n]);
}

/// Writes the Redis text form of `d` to the start of `buf`; returns its length.
pub fn write_double(d: f64, buf: &mut [u8; DOUBLE_MAX_LEN]) -> usize {
    let special: &[u8] = if d.is_nan() {
        b"nan"
    } else if d.is_infinite() {
        if d < 0.0 {
            b"-inf"
        } else {
            b"inf"
        }
    } else if d == 0.0 {
        if d.is_sign_negative() {
            b"-0"
        } else {
            b"0"
        }
    } else if d.fract() == 0.0 && d.abs() <= (i64::MAX / 2) as f64 {
        // Redis' double2ll fast path: exact integers print as integers.
        let mut ib = itoa::Buffer::new();
        let s = ib.format(d as i64).as_bytes();
        buf[..s.len()].copy_from_slice(s);
        return s.len();
    } else {
        return fpconv_dtoa(d, buf);
    };
    buf[..special.len()].copy_from_slice(special);
    special.len()
}

/// fpconv_dtoa for a finite non-zero `d`.
fn fpconv_dtoa(d: f64, buf: &mut [u8; DOUBLE_MAX_LEN]) -> usize {
    let mut digits = [0u8; MAX_DIGITS];
    let (nd, k) = grisu2(d, &mut digits);
    let neg = d.is_sign_negative();
    let mut w = Writer { buf, len: 0 };
    if neg {
        w.push(b'-');
    }
    let digits = &digits[..nd];
    let nd = nd as i32;
    // Decimal exponent of the first digit in scientific notation.
    let exp = (k + nd - 1).abs();

    if k >= 0 && exp < nd + 7 {
        // Integer: the digits and k zeros.
        w.extend(digits);
        w.zeros(k);
    } else if k < 0 && (k > -7 || exp < 4) {
        // Plain decimal.
        let int_len = nd + k;
        if int_len <= 0 {
            w.extend(b"0.");
            w.zeros(-int_len);
            w.extend(digits);
        } else {
            let (int, frac) = digits.split_at(int_len as usize);
            w.extend(int);
            w.push(b'.');
            w.extend(frac);
        }
    } else {
        // Scientific. fpconv keeps at most 18 characters of digits and sign
        // here (truncating, never reached in practice: Grisu2 gives <= 17).
        let kept = nd.min(18 - neg as i32);
        w.push(digits[0]);
        if kept > 1 {
            w.push(b'.');
            w.extend(&digits[1..kept as usize]);
        }
        w.push(b'e');
        w.push(if k + kept - 1 < 0 { b'-' } else { b'+' });
        // At most three exponent digits (|exp| <= 324); a zero tens digit
        // is written only after a hundreds digit.
        if exp > 99 {
            w.push(b'0' + (exp / 100) as u8);
            w.push(b'0' + (exp / 10 % 10) as u8);
        } else if exp > 9 {
            w.push(b'0' + (exp / 10) as u8);
        }
        w.push(b'0' + (exp % 10) as u8);
    }
    w.len
}

/// Appends to a fixed buffer; every layout above fits in DOUBLE_MAX_LEN.
struct Writer<'a> {
    buf: &'a mut [u8; DOUBLE_MAX_LEN],
    len: usize,
}

impl Writer<'_> {
    fn push(&mut self, c: u8) {
        self.buf[self.len] = c;
        self.len += 1;
    }

    fn extend(&mut self, s: &[u8]) {
        self.buf[self.len..self.len + s.len()].copy_from_slice(s);
        self.len += s.len();
    }

    fn zeros(&mut self, n: i32) {
        let n = n as usize;
        self.buf[self.len..self.len + n].fill(b'0');
        self.len += n;
    }
}

/// Redis' fpconv_dtoa alone, without d2string's integer fast path
/// ("1e+18", not "1000000000000000000"): DEBUG DIGEST hashes sorted set
/// scores in this form.
pub fn format_double_fpconv(d: f64, out: &mut Vec<u8>) {
    let mut buf = [0u8; DOUBLE_MAX_LEN];
    let n = if d.is_finite() && d != 0.0 { fpconv_dtoa(d, &mut buf) } else { write_double(d, &mut buf) };
    out.extend_from_slice(&buf[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(d: f64) -> String {
        let mut v = vec![];
        format_double(d, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn matches_redis_forms() {
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(3.0), "3");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(f(f64::INFINITY), "inf");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
        assert_eq!(f(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(f(1e20), "1e+20");
        assert_eq!(f(1e18), "1000000000000000000");
        assert_eq!(f(1e25), "1e+25");
        assert_eq!(f(1.5e-10), "1.5e-10");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(1.0e100), "1e+100");
        assert_eq!(f(123456.789), "123456.789");
    }

    /// Replies of Redis 8.2.3 (ZADD then ZSCORE) where Grisu2 is not the
    /// shortest round-trip form, plus extremes and every layout branch.
    #[test]
    fn matches_redis_grisu2_digits() {
        assert_eq!(f(37.58135884172329), "37.581358841723294");
        assert_eq!(f(40.24346318026058), "40.243463180260576");
        assert_eq!(f(1e23), "99999999999999990000000");
        assert_eq!(f(123456789012345678901.0), "123456789012345680000");
        assert_eq!(f(5e-324), "5e-324");
        assert_eq!(f(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(f(f64::MIN_POSITIVE), "2.2250738585072014e-308");
        assert_eq!(f(2.225073858507201e-308), "2.225073858507201e-308");
        assert_eq!(f(1e22), "1e+22");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(-1e-7), "-1e-7");
        assert_eq!(f(1e-5), "0.00001");
        assert_eq!(f(-123.456e-300), "-1.23456e-298");
        assert_eq!(f(9007199254740993.0), "9007199254740992");
    }

    #[test]
    fn every_finite_double_reads_back() {
        // Grisu2 always round-trips; a broken table or carry shows up here.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let d = f64::from_bits(x);
            if !d.is_finite() {
                continue;
            }
            let s = f(d);
            assert!(s.len() <= 26, "{s}");
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), d.to_bits(), "{s}");
        }
    }
}
