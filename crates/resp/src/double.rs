//! Double formatting exactly as Redis 7.2+ replies with it (`d2string`):
//! integral values in range print as integers, others as the shortest
//! round-trip digits laid out like `fpconv_dtoa` (plain decimal for
//! moderate exponents, otherwise `d.ddde+XX`).

/// Appends the Redis text form of `d` to `out`.
pub fn format_double(d: f64, out: &mut Vec<u8>) {
    if d.is_nan() {
        out.extend_from_slice(b"nan");
    } else if d.is_infinite() {
        out.extend_from_slice(if d < 0.0 { b"-inf" } else { b"inf" });
    } else if d == 0.0 {
        out.extend_from_slice(if d.is_sign_negative() { b"-0" } else { b"0" });
    } else if d.fract() == 0.0 && d.abs() <= (i64::MAX / 2) as f64 {
        // Redis' double2ll fast path: exact integers print as integers.
        out.extend_from_slice(itoa::Buffer::new().format(d as i64).as_bytes());
    } else {
        shortest(d, out);
    }
}

/// Redis' fpconv_dtoa alone (no integer fast path): the shortest
/// round-trip form, "1e+18" rather than "1000000000000000000". DEBUG DIGEST
/// hashes sorted set scores in this form.
pub fn format_double_fpconv(d: f64, out: &mut Vec<u8>) {
    if d.is_sign_negative() && !d.is_nan() && (d == 0.0 || d.is_infinite()) {
        out.push(b'-');
    }
    if d.is_nan() {
        out.extend_from_slice(b"nan");
    } else if d.is_infinite() {
        out.extend_from_slice(b"inf");
    } else if d == 0.0 {
        out.push(b'0');
    } else {
        shortest(d, out);
    }
}

fn shortest(d: f64, out: &mut Vec<u8>) {
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let s = format!("{:e}", d);
    let (mant, exp) = s.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let neg = mant.starts_with('-');
    let digits: Vec<u8> = mant.bytes().filter(|c| c.is_ascii_digit()).collect();
    if neg {
        out.push(b'-');
    }
    let nd = digits.len() as i32;
    // value = digits * 10^k
    let k = exp - (nd - 1);
    let abs_exp = (k + nd - 1).abs();
    if k >= 0 && abs_exp < nd + 7 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat(b'0').take(k as usize));
        return;
    }
    if k < 0 && (k > -7 || abs_exp < 4) {
        let offset = nd + k;
        if offset <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat(b'0').take((-offset) as usize));
            out.extend_from_slice(&digits);
        } else {
            out.extend_from_slice(&digits[..offset as usize]);
            out.push(b'.');
            out.extend_from_slice(&digits[offset as usize..]);
        }
        return;
    }
    let nd = nd.min(18 - neg as i32) as usize;
    out.push(digits[0]);
    if nd > 1 {
        out.push(b'.');
        out.extend_from_slice(&digits[1..nd]);
    }
    out.push(b'e');
    let e = k + digits.len() as i32 - 1;
    out.push(if e < 0 { b'-' } else { b'+' });
    let e = e.abs();
    if e > 99 {
        out.push(b'0' + (e / 100) as u8);
        out.push(b'0' + (e / 10 % 10) as u8);
    } else if e > 9 {
        out.push(b'0' + (e / 10) as u8);
    }
    out.push(b'0' + (e % 10) as u8);
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
}
