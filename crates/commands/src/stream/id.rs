//! Stream ID arguments, with Redis' exact acceptance rules
//! (streamGenericParseIDOrReply): `-`, `+`, `<ms>`, `<ms>-<seq>`, and for
//! XADD `<ms>-*`. Each half is read by string2ull, which falls back to
//! strtoull, so forms like " 5", "+5" or "05" are accepted as Redis does.

use crate::error::CmdError;
use moon_store::stream::StreamId;

pub const INVALID_ID: CmdError = CmdError::fixed("ERR Invalid stream ID specified as stream command argument");
pub const INVALID_START: CmdError = CmdError::fixed("ERR invalid start ID for the interval");
pub const INVALID_END: CmdError = CmdError::fixed("ERR invalid end ID for the interval");

/// Redis' string2ull: a canonical integer (string2ll, non-negative), else
/// strtoull over the whole text (leading spaces and a sign allowed; a
/// minus wraps around as in C).
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = moon_resp::parse_i64(s) {
        return (v >= 0).then_some(v as u64);
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// A parsed ID argument; `seq_given` is false for XADD's `<ms>-*`.
pub struct Parsed {
    pub id: StreamId,
    pub seq_given: bool,
}

/// Parse an ID. `missing_seq` fills `<ms>` alone; `strict` refuses the
/// bare `-` / `+`; `allow_star_seq` accepts `<ms>-*` (XADD only).
pub fn parse_id(arg: &[u8], missing_seq: u64, strict: bool, allow_star_seq: bool) -> Result<Parsed, CmdError> {
    if arg.len() > 127 {
        return Err(INVALID_ID);
    }
    // Redis copies the argument into a C string: a NUL ends it.
    let s = &arg[..arg.iter().position(|&c| c == 0).unwrap_or(arg.len())];
    if s == b"-" || s == b"+" {
        if strict {
            return Err(INVALID_ID);
        }
        let id = if s == b"-" { StreamId::MIN } else { StreamId::MAX };
        return Ok(Parsed { id, seq_given: true });
    }
    let (ms_part, seq_part) = match s.iter().position(|&c| c == b'-') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let ms = string2ull(ms_part).ok_or(INVALID_ID)?;
    let (seq, seq_given) = match seq_part {
        None => (missing_seq, true),
        Some(b"*") if allow_star_seq => (0, false),
        Some(p) => (string2ull(p).ok_or(INVALID_ID)?, true),
    };
    Ok(Parsed { id: StreamId::new(ms, seq), seq_given })
}

/// A strict ID (no `-`/`+`), `<ms>` meaning `<ms>-0`.
pub fn strict_id(arg: &[u8]) -> Result<StreamId, CmdError> {
    parse_id(arg, 0, true, false).map(|p| p.id)
}

/// An ID that may be `-` or `+`.
pub fn loose_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    parse_id(arg, missing_seq, false, false).map(|p| p.id)
}

/// One end of an interval: `(` makes it exclusive (then `-`/`+` are
/// refused, as Redis parses the rest strictly).
pub fn interval_id(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), CmdError> {
    if arg.len() > 1 && arg[0] == b'(' {
        Ok((parse_id(&arg[1..], missing_seq, true, false)?.id, true))
    } else {
        Ok((loose_id(arg, missing_seq)?, false))
    }
}

/// Interval start: exclusive starts move to the next ID.
pub fn range_start(arg: &[u8]) -> Result<StreamId, CmdError> {
    let (id, ex) = interval_id(arg, 0)?;
    if ex {
        id.next().ok_or(INVALID_START)
    } else {
        Ok(id)
    }
}

/// Interval end: `<ms>` alone means the last sequence of that ms.
pub fn range_end(arg: &[u8]) -> Result<StreamId, CmdError> {
    let (id, ex) = interval_id(arg, u64::MAX)?;
    if ex {
        id.prev().ok_or(INVALID_END)
    } else {
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<StreamId> {
        parse_id(s.as_bytes(), 0, true, false).ok().map(|p| p.id)
    }

    #[test]
    fn accepts_what_redis_accepts() {
        assert_eq!(p("5"), Some(StreamId::new(5, 0)));
        assert_eq!(p("5-3"), Some(StreamId::new(5, 3)));
        assert_eq!(p(" 5-+3"), Some(StreamId::new(5, 3)));
        assert_eq!(p("05-01"), Some(StreamId::new(5, 1)));
        assert_eq!(p("18446744073709551615-18446744073709551615"), Some(StreamId::MAX));
        assert_eq!(p("18446744073709551616"), None);
        assert_eq!(p("-5"), None);
        assert_eq!(p("5--1"), None);
        assert_eq!(p("5-"), None);
        assert_eq!(p("-"), None);
        assert_eq!(p("5-*"), None);
        assert_eq!(p("5-1\0garbage"), Some(StreamId::new(5, 1)));
        assert!(parse_id(b"5-*", 0, true, true).is_ok_and(|x| !x.seq_given));
        assert_eq!(loose_id(b"+", 0).ok(), Some(StreamId::MAX));
        assert_eq!(range_end(b"7").ok(), Some(StreamId::new(7, u64::MAX)));
        assert_eq!(range_start(b"(7").ok(), Some(StreamId::new(7, 1)));
        assert!(range_start(b"(-").is_err());
        assert_eq!(range_end(b"(0-0"), Err(INVALID_END));
    }
}
