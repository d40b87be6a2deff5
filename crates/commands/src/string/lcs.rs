//! LCS: longest common subsequence of two strings by the classic dynamic
//! programming table, with Redis' reply shapes (the string, LEN, or IDX
//! match ranges) and its guard against huge tables: the transient table
//! may not exceed proto-max-bulk-len bytes.

use super::is_opt;
use crate::ctx::{str_of, Ctx};
use crate::error::{CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::util::parse_i64;
use moon_resp::{Argv, Out};
use moon_store::Stripe;
use std::sync::atomic::Ordering::Relaxed;

struct Options {
    idx: bool,
    len: bool,
    with_match_len: bool,
    min_match_len: i64,
}

fn parse_options(argv: &Argv) -> Result<Options, CmdError> {
    let mut o = Options { idx: false, len: false, with_match_len: false, min_match_len: 0 };
    let mut j = 3;
    while j < argv.len() {
        let opt = argv.get(j);
        let more = argv.len() - 1 - j;
        if is_opt(opt, "IDX") {
            o.idx = true;
        } else if is_opt(opt, "LEN") {
            o.len = true;
        } else if is_opt(opt, "WITHMATCHLEN") {
            o.with_match_len = true;
        } else if is_opt(opt, "MINMATCHLEN") && more > 0 {
            o.min_match_len = parse_i64(argv.get(j + 1)).ok_or(NOT_INTEGER)?.max(0);
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    if o.idx && o.len {
        return Err(CmdError::err("If you want both the length and indexes, please just use IDX."));
    }
    Ok(o)
}

pub fn lcs(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (ka, kb) = (argv.get(1), argv.get(2));
    // Both lookups first (lazy expiry, hit/miss stats), then the type
    // check, then the options, in Redis' order.
    let a_ok = ctx.ks.read(ka).is_none_or(|e| str_of(e).is_ok());
    let b_ok = ctx.ks.read(kb).is_none_or(|e| str_of(e).is_ok());
    if !a_ok || !b_ok {
        return Err(CmdError::err("The specified keys must contain string values"));
    }
    let opts = parse_options(argv)?;
    let max_table = ctx.srv.config.hot.proto_max_bulk_len.load(Relaxed);
    // Borrow both values in place (they may be large; no copies).
    let (sa, sb) = ctx.ks.stripes2(ka, kb);
    let sa: &Stripe = sa;
    let sb: &Stripe = sb.map(|s| &*s).unwrap_or(sa);
    let a = sa.peek(ka).map(str_of).transpose()?.unwrap_or(b"");
    let b = sb.peek(kb).map(str_of).transpose()?.unwrap_or(b"");
    let table = build_table(a, b, max_table)?;
    reply(ctx.out, a, b, &table, &opts);
    Ok(())
}

/// The (|a|+1) x (|b|+1) table of LCS lengths of all prefix pairs, row by
/// row, refused (as Redis does) when it would exceed `max_bytes`.
fn build_table(a: &[u8], b: &[u8], max_bytes: i64) -> Result<Vec<u32>, CmdError> {
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(CmdError::err("String too long for LCS"));
    }
    let failed = || CmdError::err("Insufficient memory, failed allocating transient memory for LCS");
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    let bytes = cells.checked_mul(4).filter(|&n| n < usize::MAX as u64).ok_or_else(failed)?;
    if bytes > max_bytes.max(0) as u64 {
        return Err(CmdError::err("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
    }
    let cells = cells as usize;
    let mut t: Vec<u32> = Vec::new();
    t.try_reserve_exact(cells).map_err(|_| failed())?;
    t.resize(cells, 0);
    let w = b.len() + 1;
    for (i, &ac) in a.iter().enumerate() {
        let (done, rest) = t.split_at_mut((i + 1) * w);
        let prev = &done[i * w..];
        let cur = &mut rest[..w];
        for (j, &bc) in b.iter().enumerate() {
            cur[j + 1] = if ac == bc { prev[j] + 1 } else { prev[j + 1].max(cur[j]) };
        }
    }
    Ok(t)
}

/// Walk the table back from the end, as Redis does, collecting the common
/// subsequence and (for IDX) the matching ranges, longest-index first.
fn reply(out: &mut Out, a: &[u8], b: &[u8], t: &[u32], o: &Options) {
    let (alen, blen) = (a.len(), b.len());
    let w = blen + 1;
    let at = |i: usize, j: usize| t[i * w + j];
    let total = at(alen, blen);
    if o.len && !o.idx {
        out.int(total as i64);
        return;
    }
    let mut result = vec![0u8; if o.idx { 0 } else { total as usize }];
    let mut matches = 0usize;
    let deferred = if o.idx {
        out.map(2);
        out.bulk(b"matches");
        Some(out.defer())
    } else {
        None
    };
    let mut idx = total as usize;
    // `alen` as arange_start means "no range open".
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (alen, 0usize, 0usize, 0usize);
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            if !o.idx {
                result[idx - 1] = a[i - 1];
            }
            if a_start == alen {
                (a_start, a_end, b_start, b_end) = (i - 1, i - 1, j - 1, j - 1);
            } else if a_start == i && b_start == j {
                // Contiguous with the open range: extend it backwards.
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if at(i - 1, j) > at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != alen {
                emit = true;
            }
        }
        if emit {
            let match_len = a_end.wrapping_sub(a_start).wrapping_add(1);
            if o.idx && (o.min_match_len == 0 || match_len as i64 >= o.min_match_len) {
                out.array(2 + o.with_match_len as usize);
                out.array(2);
                out.int(a_start as i64);
                out.int(a_end as i64);
                out.array(2);
                out.int(b_start as i64);
                out.int(b_end as i64);
                if o.with_match_len {
                    out.int(match_len as i64);
                }
                matches += 1;
            }
            a_start = alen;
        }
    }
    match deferred {
        Some(d) => {
            out.bulk(b"len");
            out.int(total as i64);
            out.end_array(d, matches);
        }
        None => out.bulk(&result),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::plant_non_string;
    use crate::testing::TestClient;

    /// One IDX match: range in a, range in b, WITHMATCHLEN length.
    type Match = ((i64, i64), (i64, i64), Option<i64>);

    fn ranges(v: &[Match]) -> String {
        let mut s = format!("*{}\r\n", v.len());
        for ((a0, a1), (b0, b1), ml) in v {
            s += &format!("*{}\r\n*2\r\n:{a0}\r\n:{a1}\r\n*2\r\n:{b0}\r\n:{b1}\r\n", 2 + ml.is_some() as usize);
            if let Some(m) = ml {
                s += &format!(":{m}\r\n");
            }
        }
        s
    }

    fn idx_reply(head: &str, matches: &str, len: i64) -> String {
        format!("{head}$7\r\nmatches\r\n{matches}$3\r\nlen\r\n:{len}\r\n")
    }

    #[test]
    fn lcs_string_len_and_idx() {
        let mut c = TestClient::new();
        c.run(&["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
        assert_eq!(c.run(&["LCS", "key1", "key2"]), "$6\r\nmytext\r\n");
        assert_eq!(c.run(&["LCS", "key1", "key2", "LEN"]), ":6\r\n");
        assert_eq!(c.run(&["LCS", "key1", "key2", "WITHMATCHLEN"]), "$6\r\nmytext\r\n");
        assert_eq!(c.run(&["LCS", "key1", "key2", "len", "WITHMATCHLEN"]), ":6\r\n");
        let all = ranges(&[((4, 7), (5, 8), None), ((2, 3), (0, 1), None)]);
        assert_eq!(c.run(&["LCS", "key1", "key2", "IDX"]), idx_reply("*4\r\n", &all, 6));
        assert_eq!(c.run(&["LCS", "key1", "key2", "MINMATCHLEN", "-5", "IDX"]), idx_reply("*4\r\n", &all, 6));
        assert_eq!(c.run(&["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"]), idx_reply("*4\r\n", &ranges(&[((4, 7), (5, 8), None)]), 6));
        assert_eq!(
            c.run(&["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]),
            idx_reply("*4\r\n", &ranges(&[((4, 7), (5, 8), Some(4))]), 6)
        );
        assert_eq!(
            c.run(&["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"]),
            idx_reply("*4\r\n", &ranges(&[((4, 7), (5, 8), Some(4)), ((2, 3), (0, 1), Some(2))]), 6)
        );
        assert_eq!(c.run(&["LCS", "key1", "key1"]), "$8\r\nohmytext\r\n");
        assert_eq!(c.run(&["LCS", "key1", "key1", "IDX", "WITHMATCHLEN"]), idx_reply("*4\r\n", &ranges(&[((0, 7), (0, 7), Some(8))]), 8));
        c.run(&["MSET", "a1", "abcdefg", "a2", "xbcyefz"]);
        assert_eq!(
            c.run(&["LCS", "a1", "a2", "idx", "withmatchlen"]),
            idx_reply("*4\r\n", &ranges(&[((4, 5), (4, 5), Some(2)), ((1, 2), (1, 2), Some(2))]), 4)
        );
        assert_eq!(c.run(&["LCS", "a1", "a2"]), "$4\r\nbcef\r\n");
    }

    #[test]
    fn lcs_missing_keys_and_errors() {
        let mut c = TestClient::new();
        c.run(&["SET", "key1", "ohmytext"]);
        assert_eq!(c.run(&["LCS", "key1", "nokey"]), "$0\r\n\r\n");
        assert_eq!(c.run(&["LCS", "key1", "nokey", "IDX"]), idx_reply("*4\r\n", "*0\r\n", 0));
        assert_eq!(c.run(&["LCS", "nokey", "nokey2", "LEN"]), ":0\r\n");
        assert_eq!(c.run(&["LCS", "key1", "key1", "LEN", "IDX"]), "-ERR If you want both the length and indexes, please just use IDX.\r\n");
        assert_eq!(c.run(&["LCS", "key1", "key1", "FOO"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["LCS", "key1", "key1", "MINMATCHLEN"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["LCS", "key1", "key1", "MINMATCHLEN", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(c.run(&["LCS", "key1"]), "-ERR wrong number of arguments for 'lcs' command\r\n");
        if plant_non_string(&mut c, "w") {
            let e = "-ERR The specified keys must contain string values\r\n";
            assert_eq!(c.run(&["LCS", "w", "key1"]), e);
            assert_eq!(c.run(&["LCS", "key1", "w", "FOO"]), e);
        }
    }

    #[test]
    fn lcs_resp3_map() {
        let mut c = TestClient::new();
        c.run(&["HELLO", "3"]);
        c.run(&["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
        let m = ranges(&[((4, 7), (5, 8), Some(4)), ((2, 3), (0, 1), Some(2))]);
        assert_eq!(c.run(&["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"]), idx_reply("%2\r\n", &m, 6));
        assert_eq!(c.run(&["LCS", "key1", "key2"]), "$6\r\nmytext\r\n");
    }

    #[test]
    fn lcs_table_limit_follows_proto_max_bulk_len() {
        let mut c = TestClient::with_config(&[("proto-max-bulk-len", "1mb")]);
        // 512 x 512 cells of 4 bytes is exactly 1 MB: allowed.
        c.run(&["SET", "x", &"a".repeat(511)]);
        c.run(&["SET", "y", &"b".repeat(511)]);
        assert_eq!(c.run(&["LCS", "x", "y", "LEN"]), ":0\r\n");
        c.run(&["SET", "y", &"b".repeat(512)]);
        let e = "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n";
        assert_eq!(c.run(&["LCS", "x", "y", "LEN"]), e);
        assert_eq!(c.run(&["LCS", "x", "y", "FOO"]), "-ERR syntax error\r\n");
        c.run(&["SET", "y", &"ab".repeat(200)]);
        assert_eq!(c.run(&["LCS", "x", "y", "LEN"]), ":200\r\n");
    }

    #[test]
    fn lcs_of_raw_and_int_values() {
        let mut c = TestClient::new();
        c.run(&["SET", "n", "12345"]);
        c.run(&["APPEND", "r", "x1y3z5"]);
        c.run(&["APPEND", "r", "!"]);
        assert_eq!(c.run(&["LCS", "n", "r"]), "$3\r\n135\r\n");
    }
}
