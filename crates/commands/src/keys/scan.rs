//! SCAN over the striped keyspace. Stripes are walked in index order, one
//! lock at a time, each with `Stripe::scan` (a reverse-binary cursor over
//! the stripe's home slots, like Redis' dictScan). Guarantees are Redis':
//! a key present for the whole iteration is returned at least once,
//! whatever the tables do in between; duplicates are possible, and one call
//! may return more or fewer keys than COUNT.

use super::{drain_expired, is_expired};
use crate::ctx::{type_name, Ctx};
use crate::error::{CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::state::Server;
use crate::util::{glob_match, is_opt, parse_i64};
use moon_resp::Argv;
use moon_store::{Db, Entry};

const INVALID_CURSOR: CmdError = CmdError::fixed("ERR invalid cursor");

// The cursor a client sees:
//
//   bits 50..=63  stripe index (14 bits: up to 16384 stripes)
//   bits  0..=49  the stripe's own scan cursor (always below the stripe
//                 table's capacity, far below 2^50)
//
// 0 starts an iteration and ends one; a continuation is never 0 (it is
// either inside stripe 0 with a non-zero stripe cursor, or at a later
// stripe). `encode`/`decode` are all that know the layout.
const STRIPE_SHIFT: u32 = 50;
const POS_MASK: u64 = (1 << STRIPE_SHIFT) - 1;

fn encode(stripe: usize, pos: u64) -> u64 {
    ((stripe as u64) << STRIPE_SHIFT) | (pos & POS_MASK)
}

fn decode(v: u64) -> (usize, u64) {
    ((v >> STRIPE_SHIFT) as usize, v & POS_MASK)
}

/// Redis' `string2ull`: a strict non-negative integer, or else whatever C's
/// strtoull accepts in full (leading spaces, '+', leading zeros, and a '-'
/// that negates modulo 2^64); overflow is an error.
pub(crate) fn parse_cursor(arg: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(arg) {
        return (v >= 0).then_some(v as u64);
    }
    // The C string ends at a NUL byte.
    let s = &arg[..arg.iter().position(|&b| b == 0).unwrap_or(arg.len())];
    let mut i = s.iter().position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)).unwrap_or(s.len());
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
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

struct Filter<'a> {
    pattern: Option<&'a [u8]>,
    typ: Option<&'a [u8]>,
}

impl Filter<'_> {
    fn accepts(&self, e: &Entry) -> bool {
        self.pattern.is_none_or(|p| glob_match(p, e.key(), false))
            && self.typ.is_none_or(|t| type_name(e).as_bytes().eq_ignore_ascii_case(t))
    }
}

/// Which SCAN-family command is parsing: only SCAN takes TYPE, only HSCAN
/// takes NOVALUES (the others refuse it with Redis' own error).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanFamily {
    Keys,
    Hash,
    Other,
}

/// The options after a SCAN-family cursor.
pub(crate) struct ScanOptions<'a> {
    pub count: usize,
    /// None for no MATCH, and for "*": it matches every name, the empty one
    /// included, which the glob matcher would not.
    pub pattern: Option<&'a [u8]>,
    pub typ: Option<&'a [u8]>,
    pub novalues: bool,
}

/// Parse `[MATCH p] [COUNT n] [TYPE t] [NOVALUES]` from `argv[from..]` the
/// way Redis' scanGenericCommand does.
pub(crate) fn scan_options<'a>(argv: &Argv<'a>, from: usize, family: ScanFamily) -> Result<ScanOptions<'a>, CmdError> {
    let mut o = ScanOptions { count: 10, pattern: None, typ: None, novalues: false };
    let mut i = from;
    while i < argv.len() {
        let opt = argv.get(i);
        let has_value = i + 1 < argv.len();
        if is_opt(opt, "count") && has_value {
            let v = parse_i64(argv.get(i + 1)).ok_or(NOT_INTEGER)?;
            if v < 1 {
                return Err(SYNTAX);
            }
            o.count = usize::try_from(v).unwrap_or(usize::MAX);
        } else if is_opt(opt, "match") && has_value {
            let p = argv.get(i + 1);
            o.pattern = (p != b"*").then_some(p);
        } else if family == ScanFamily::Keys && is_opt(opt, "type") && has_value {
            o.typ = Some(argv.get(i + 1));
        } else if is_opt(opt, "novalues") {
            if family != ScanFamily::Hash {
                return Err(CmdError::err("NOVALUES option can only be used in HSCAN"));
            }
            o.novalues = true;
            i += 1;
            continue;
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    Ok(o)
}

pub fn scan(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let cursor = parse_cursor(argv.get(1)).ok_or(INVALID_CURSOR)?;
    let o = scan_options(argv, 2, ScanFamily::Keys)?;
    let (count, filter) = (o.count, Filter { pattern: o.pattern, typ: o.typ });
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let next = walk(ctx.srv, ctx.ks.db, ctx.ks.db_index, cursor, count, ctx.now(), |e| {
        if filter.accepts(e) {
            keys.push(e.key().to_vec());
        }
    });
    let out = &mut *ctx.out;
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(keys.len());
    for k in &keys {
        out.bulk(k);
    }
    Ok(())
}

/// Visit about `count` entries from `cursor` on, giving `emit` the live
/// ones; expired ones met on the way are deleted. Returns the next cursor.
fn walk(srv: &Server, db: &Db, db_index: usize, cursor: u64, count: usize, now: i64, mut emit: impl FnMut(&Entry)) -> u64 {
    if !db.allocated() {
        return 0;
    }
    let nstripes = db.nstripes();
    let (mut si, mut pos) = decode(cursor);
    let mut visited = 0usize;
    let mut expired: Vec<Vec<u8>> = Vec::new();
    while si < nstripes {
        let mut s = db.lock(si);
        if !s.is_empty() {
            loop {
                let want = count.saturating_sub(visited).max(1);
                pos = s.scan(pos, want, |e| {
                    visited += 1;
                    if is_expired(e, now) {
                        expired.push(e.key().to_vec());
                    } else {
                        emit(e);
                    }
                });
                if pos == 0 || visited >= count {
                    break;
                }
            }
            for k in expired.drain(..) {
                // The lookup's lazy expiry removes it and counts it.
                let _ = s.get(&k, now);
            }
            drain_expired(srv, db_index, &mut s);
            if pos != 0 {
                return encode(si, pos);
            }
        }
        drop(s);
        si += 1;
        pos = 0;
        if visited >= count {
            return if si < nstripes { encode(si, 0) } else { 0 };
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::super::test_util::put;
    use super::*;
    use crate::testing::TestClient;
    use moon_store::Object;
    use std::collections::HashSet;

    #[test]
    fn cursor_round_trip() {
        for c in [(0, 1), (16383, POS_MASK), (7, 0)] {
            assert_eq!(decode(encode(c.0, c.1)), c);
        }
        assert_eq!(encode(0, 0), 0);
        assert_ne!(encode(1, 0), 0);
        assert_eq!(decode(u64::MAX).0, 16383);
    }

    #[test]
    fn cursor_parsing_like_strtoull() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b"-1"), None);
        assert_eq!(parse_cursor(b"x"), None);
        assert_eq!(parse_cursor(b""), None);
        assert_eq!(parse_cursor(b" 5"), Some(5));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"007"), Some(7));
        assert_eq!(parse_cursor(b"-0"), Some(0));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_cursor(b"5 "), None);
        assert_eq!(parse_cursor(b"  "), None);
    }

    /// Run a full SCAN iteration; returns every key returned and the number
    /// of calls.
    fn full_scan(c: &mut TestClient, extra: &[&str]) -> (Vec<String>, usize) {
        let mut cursor = "0".to_string();
        let mut keys = Vec::new();
        let mut calls = 0;
        loop {
            let mut args = vec!["SCAN", cursor.as_str()];
            args.extend_from_slice(extra);
            let (next, batch) = parse_reply(&c.run(&args));
            keys.extend(batch);
            calls += 1;
            assert!(calls < 100_000, "scan does not terminate");
            if next == "0" {
                return (keys, calls);
            }
            cursor = next;
        }
    }

    fn parse_reply(r: &str) -> (String, Vec<String>) {
        let lines: Vec<&str> = r.split("\r\n").collect();
        assert_eq!(lines[0], "*2", "{r}");
        let cursor = lines[2].to_string();
        let n: usize = lines[3][1..].parse().unwrap();
        let keys = (0..n).map(|i| lines[5 + 2 * i].to_string()).collect();
        (cursor, keys)
    }

    #[test]
    fn errors() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["SCAN", "-1"]), "-ERR invalid cursor\r\n");
        assert_eq!(c.run(&["SCAN", "x", "COUNT", "0"]), "-ERR invalid cursor\r\n");
        assert_eq!(c.run(&["SCAN", "0", "COUNT", "0"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["SCAN", "0", "COUNT", "-1"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["SCAN", "0", "COUNT", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(c.run(&["SCAN", "0", "MATCH"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["SCAN", "0", "foo", "bar"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["SCAN"]), "-ERR wrong number of arguments for 'scan' command\r\n");
        assert_eq!(c.run(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(c.run(&["SCAN", "0", "count", "9223372036854775807"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    }

    #[test]
    fn covers_every_key_in_small_steps() {
        for stripes in ["1", "4", "1024"] {
            let mut c = TestClient::with_config(&[("keyspace-stripes", stripes)]);
            let all: HashSet<String> = (0..3000).map(|i| format!("key:{i}")).collect();
            for k in &all {
                put(&c, 0, k, "v", None);
            }
            put(&c, 0, "", "empty", None);
            for count in ["1", "7", "100"] {
                let (keys, calls) = full_scan(&mut c, &["COUNT", count]);
                let seen: HashSet<String> = keys.into_iter().collect();
                for k in &all {
                    assert!(seen.contains(k), "stripes {stripes} count {count}: missed {k}");
                }
                assert!(seen.contains(""));
                assert_eq!(seen.len(), 3001);
                if count == "100" {
                    assert!((30..200).contains(&calls), "calls {calls}");
                }
            }
        }
    }

    #[test]
    fn survives_growth_and_deletes_between_calls() {
        let mut c = TestClient::with_config(&[("keyspace-stripes", "2")]);
        for i in 0..500 {
            put(&c, 0, &format!("k{i}"), "v", None);
        }
        let mut cursor = "0".to_string();
        let mut seen = HashSet::new();
        let mut round = 0;
        loop {
            let (next, batch) = parse_reply(&c.run(&["SCAN", &cursor, "COUNT", "20"]));
            seen.extend(batch);
            // Grow the tables (early on: a table that never stops growing
            // keeps restarting its stripe) and delete keys not meant to be
            // kept.
            for j in 0..if round < 5 { 300 } else { 0 } {
                put(&c, 0, &format!("new{round}:{j}"), "v", None);
            }
            c.run(&["DEL", &format!("k{}", 400 + round % 100)]);
            round += 1;
            if next == "0" {
                break;
            }
            cursor = next;
            assert!(round < 10_000);
        }
        for i in 0..400 {
            assert!(seen.contains(&format!("k{i}")), "missed k{i}");
        }
    }

    #[test]
    fn match_type_and_expired() {
        let mut c = TestClient::new();
        for i in 0..50 {
            put(&c, 0, &format!("user:{i}"), "v", None);
            put(&c, 0, &format!("item:{i}"), "v", None);
        }
        put(&c, 0, "user:old", "v", Some(1));
        {
            let db = &c.srv.ks.dbs[0];
            db.lock(db.stripe_of(b"user:raw")).insert(moon_store::Entry::new_obj(b"user:raw", Object::Str(b"x".to_vec()), None));
        }
        let (keys, _) = full_scan(&mut c, &["MATCH", "user:*"]);
        assert_eq!(keys.len(), 51);
        assert!(keys.iter().all(|k| k.starts_with("user:")) && !keys.contains(&"user:old".to_string()));
        let (keys, _) = full_scan(&mut c, &["MATCH", "user:1?", "COUNT", "1000"]);
        assert_eq!(keys.len(), 10);
        let (keys, _) = full_scan(&mut c, &["TYPE", "STRING", "MATCH", "item:*"]);
        assert_eq!(keys.len(), 50);
        let (keys, _) = full_scan(&mut c, &["TYPE", "list"]);
        assert!(keys.is_empty());
        let (keys, _) = full_scan(&mut c, &["TYPE", "nosuchtype"]);
        assert!(keys.is_empty());
        // Later options override earlier ones.
        let (keys, _) = full_scan(&mut c, &["MATCH", "item:*", "MATCH", "*", "COUNT", "1", "COUNT", "500"]);
        assert_eq!(keys.len(), 101);
        // The expired key was deleted on the way.
        assert_eq!(c.run(&["DBSIZE"]), ":101\r\n");
        assert_eq!(c.srv.stats.expired_keys.load(std::sync::atomic::Ordering::Relaxed), 1);
    }

    #[test]
    fn resp3_and_odd_cursors() {
        let mut c = TestClient::new();
        put(&c, 0, "a", "1", None);
        c.run(&["HELLO", "3"]);
        assert_eq!(c.run(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
        // A cursor naming a stripe that does not exist ends the iteration.
        assert_eq!(c.run(&["SCAN", "18446744073709551615"]), "*2\r\n$1\r\n0\r\n*0\r\n");
        // An empty database (never allocated) is done at once.
        c.run(&["SELECT", "5"]);
        assert_eq!(c.run(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    }
}
