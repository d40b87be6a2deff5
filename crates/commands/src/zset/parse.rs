//! Argument parsing with Redis 8.2's exact acceptance rules and errors.

use crate::error::{CmdError, NOT_FLOAT};
use crate::util::{parse_f64, parse_i64};
use moon_store::zset::{LexBound, LexRange, ScoreRange};

pub const NAN_SCORE: CmdError = CmdError::fixed("ERR resulting score is not a number (NaN)");
pub const BAD_RANGE: CmdError = CmdError::fixed("ERR min or max is not a float");
pub const BAD_LEX: CmdError = CmdError::fixed("ERR min or max not valid string range item");
pub const BAD_WEIGHT: CmdError = CmdError::fixed("ERR weight value is not a float");

pub use crate::util::is_opt;

/// A score, increment or weight the way Redis' getDoubleFromObject takes
/// it (string2d: strtod of the whole argument, no leading space, no NaN,
/// and no overflow to infinity or underflow to zero).
pub fn parse_double(arg: &[u8]) -> Option<f64> {
    // Integers (the common score) convert exactly as strtod rounds them.
    if let Some(v) = parse_i64(arg).map(|i| i as f64).or_else(|| digits(arg)) {
        return Some(v);
    }
    let v = parse_f64(arg)?;
    if v.is_infinite() && !spells_infinity(arg) {
        return None;
    }
    if v == 0.0 && has_nonzero_mantissa(arg) {
        return None;
    }
    Some(v)
}

/// Plain digit strings (leading zeros allowed, as strtod takes them) short
/// enough to be exact; "-0" keeps its sign.
fn digits(arg: &[u8]) -> Option<f64> {
    let (neg, d) = match arg.first()? {
        b'-' => (true, &arg[1..]),
        _ => (false, arg),
    };
    if d.is_empty() || d.len() > 15 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = d.iter().fold(0i64, |v, c| v * 10 + (c - b'0') as i64) as f64;
    Some(if neg { -v } else { v })
}

fn spells_infinity(arg: &[u8]) -> bool {
    let t = arg.strip_prefix(b"+").or_else(|| arg.strip_prefix(b"-")).unwrap_or(arg);
    t.eq_ignore_ascii_case(b"inf") || t.eq_ignore_ascii_case(b"infinity")
}

/// Whether the digits before any exponent include a non-zero one (a
/// value that parsed as 0 then underflowed).
fn has_nonzero_mantissa(arg: &[u8]) -> bool {
    let t = arg.strip_prefix(b"+").or_else(|| arg.strip_prefix(b"-")).unwrap_or(arg);
    if let Some(hex) = t.strip_prefix(b"0x").or_else(|| t.strip_prefix(b"0X")) {
        return hex.iter().take_while(|c| **c != b'p' && **c != b'P').any(|c| c.is_ascii_hexdigit() && *c != b'0');
    }
    t.iter().take_while(|c| **c != b'e' && **c != b'E').any(|c| (b'1'..=b'9').contains(c))
}

pub fn score_arg(arg: &[u8]) -> Result<f64, CmdError> {
    parse_double(arg).ok_or(NOT_FLOAT)
}

/// One end of a score range as Redis 8.2 reads it: the whole argument must
/// be a decimal or inf/infinity number (no spaces, no hex; out of range
/// values become inf or 0), the empty string is 0, NaN is refused.
fn range_value(s: &[u8]) -> Option<f64> {
    if s.is_empty() {
        return Some(0.0);
    }
    if let Some(i) = parse_i64(s) {
        return Some(i as f64);
    }
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    (!v.is_nan()).then_some(v)
}

/// ZRANGEBYSCORE-style bounds: `1.5`, `(1.5` (exclusive), `-inf`, `+inf`.
pub fn score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    let (min, minex) = match min.strip_prefix(b"(") {
        Some(rest) => (rest, true),
        None => (min, false),
    };
    let (max, maxex) = match max.strip_prefix(b"(") {
        Some(rest) => (rest, true),
        None => (max, false),
    };
    let min = range_value(min).ok_or(BAD_RANGE)?;
    let max = range_value(max).ok_or(BAD_RANGE)?;
    Ok(ScoreRange { min, max, minex, maxex })
}

/// ZRANGEBYLEX-style bound: `-`, `+`, `[member`, `(member`. A C string
/// check in Redis: `-`/`+` followed by a NUL still count as the sentinel.
fn lex_bound(s: &[u8]) -> Option<LexBound<'_>> {
    match s.first()? {
        b'+' if s.len() == 1 || s[1] == 0 => Some(LexBound::Max),
        b'-' if s.len() == 1 || s[1] == 0 => Some(LexBound::Min),
        b'(' => Some(LexBound::Excl(&s[1..])),
        b'[' => Some(LexBound::Incl(&s[1..])),
        _ => None,
    }
}

pub fn lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, CmdError> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(min), Some(max)) => Ok(LexRange { min, max }),
        _ => Err(BAD_LEX),
    }
}

/// Redis' getRangeLongFromObjectOrReply: an integer in `min..=max`, else
/// `msg`, or Redis' default texts when there is none.
pub fn range_long(arg: &[u8], min: i64, max: i64, msg: Option<&'static str>) -> Result<i64, CmdError> {
    let bad = |default: CmdError| match msg {
        Some(m) => CmdError::fixed(m),
        None => default,
    };
    let v = parse_i64(arg).ok_or_else(|| bad(crate::error::NOT_INTEGER))?;
    if v < min || v > max {
        return Err(bad(CmdError::err(format!("value is out of range, value must between {min} and {max}"))));
    }
    Ok(v)
}

/// Redis' getPositiveLongFromObjectOrReply: a bad integer and a negative
/// one get the same message.
pub fn positive_long(arg: &[u8], msg: Option<&'static str>) -> Result<i64, CmdError> {
    match parse_i64(arg) {
        Some(v) if v >= 0 => Ok(v),
        _ => Err(CmdError::fixed(msg.unwrap_or("ERR value is out of range, must be positive"))),
    }
}

/// Redis' `%.17g` (ZSCAN prints skiplist scores this way).
pub fn fmt_g17(d: f64, out: &mut Vec<u8>) {
    if d.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if d.is_infinite() {
        out.extend_from_slice(if d < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    if d == 0.0 {
        out.extend_from_slice(if d.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // 17 significant digits, correctly rounded: "d.dddddddddddddddde<exp>".
    let s = format!("{:.16e}", d.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    if d < 0.0 {
        out.push(b'-');
    }
    if !(-4..17).contains(&exp) {
        let frac = trim_zeros(&digits[1..]);
        out.push(digits[0]);
        if !frac.is_empty() {
            out.push(b'.');
            out.extend_from_slice(frac);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(e.to_string().as_bytes());
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        out.extend_from_slice(&digits[..int_len]);
        let frac = trim_zeros(&digits[int_len..]);
        if !frac.is_empty() {
            out.push(b'.');
            out.extend_from_slice(frac);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-exp - 1) as usize));
        out.extend_from_slice(trim_zeros(&digits));
    }
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let end = d.iter().rposition(|&c| c != b'0').map_or(0, |i| i + 1);
    &d[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(d: f64) -> String {
        let mut v = Vec::new();
        fmt_g17(d, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn percent_17g() {
        assert_eq!(g(1e17), "1e+17");
        assert_eq!(g(4611686018427387904.0), "4.6116860184273879e+18");
        assert_eq!(g(1.5), "1.5");
        assert_eq!(g(3e18), "3e+18");
        assert_eq!(g(0.1), "0.10000000000000001");
        assert_eq!(g(-0.0), "-0");
        assert_eq!(g(5e-324), "4.9406564584124654e-324");
        assert_eq!(g(100.0), "100");
        assert_eq!(g(1e16), "10000000000000000");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.00001), "1.0000000000000001e-05");
        assert_eq!(g(-2.5), "-2.5");
        assert_eq!(g(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn doubles_like_string2d() {
        assert_eq!(parse_double(b"1.5"), Some(1.5));
        assert_eq!(parse_double(b"0x10"), Some(16.0));
        assert_eq!(parse_double(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_double(b"1e400"), None);
        assert_eq!(parse_double(b"1e-400"), None);
        assert_eq!(parse_double(b"0e-400"), Some(0.0));
        assert!(parse_double(b"4.9e-324").is_some());
        assert_eq!(parse_double(b" 1"), None);
        assert_eq!(parse_double(b""), None);
        assert_eq!(parse_double(b"nan"), None);
        assert_eq!(parse_double(b"000000012345"), Some(12345.0));
        assert_eq!(parse_double(b"-007"), Some(-7.0));
        assert!(parse_double(b"-0").unwrap().is_sign_negative());
    }

    #[test]
    fn score_ranges_like_redis_8() {
        let r = score_range(b"(1", b"+inf").unwrap();
        assert!(r.minex && !r.maxex && r.min == 1.0 && r.max == f64::INFINITY);
        let r = score_range(b"", b"(").unwrap();
        assert!(r.min == 0.0 && r.max == 0.0 && r.maxex);
        assert!(score_range(b" 1", b"2").is_err());
        assert!(score_range(b"0x1", b"2").is_err());
        assert!(score_range(b"nan", b"2").is_err());
        assert!(score_range(b"1", b"(x").is_err());
        assert_eq!(score_range(b"1e400", b"-Infinity").unwrap().min, f64::INFINITY);
        assert!(score_range(b".5", b"5.").is_ok());
        assert!(score_range(b"1e", b"5").is_err());
    }

    #[test]
    fn lex_bounds() {
        assert!(matches!(lex_bound(b"-"), Some(LexBound::Min)));
        assert!(matches!(lex_bound(b"+\0x"), Some(LexBound::Max)));
        assert!(lex_bound(b"--").is_none());
        assert!(lex_bound(b"a").is_none());
        assert!(lex_bound(b"").is_none());
        assert!(matches!(lex_bound(b"("), Some(LexBound::Excl(b""))));
        assert!(matches!(lex_bound(b"[abc"), Some(LexBound::Incl(b"abc"))));
    }
}
