//! LLEN LRANGE LINDEX LPOS.

use super::ops::read_list;
use super::{is_kw, symmetric_i64_arg};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::util::{int_arg, parse_i64};
use moon_resp::Argv;

pub(super) fn llen(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let n = read_list(&mut ctx.ks, argv.get(1))?.map_or(0, |l| l.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// Redis' range normalisation (negative indexes from the end, clamped):
/// the first position and the element count, None when empty.
pub fn range_of(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, (end - start + 1) as usize))
}

pub(super) fn lrange(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let start = int_arg(argv.get(2))?;
    let end = int_arg(argv.get(3))?;
    let Some(l) = read_list(&mut ctx.ks, argv.get(1))? else {
        ctx.out.array(0);
        return Ok(());
    };
    let out = &mut *ctx.out;
    match range_of(l.len(), start, end) {
        None => out.array(0),
        Some((from, n)) => {
            out.array(n);
            for e in l.iter_from(from, false).take(n) {
                out.bulk(e);
            }
        }
    }
    Ok(())
}

pub(super) fn lindex(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    // The key is looked up before the index is parsed, as in Redis.
    let Some(l) = read_list(&mut ctx.ks, argv.get(1))? else {
        ctx.out.null();
        return Ok(());
    };
    let index = int_arg(argv.get(2))?;
    match l.resolve(index).and_then(|i| l.get(i)) {
        Some(v) => ctx.out.bulk(v),
        None => ctx.out.null(),
    }
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub(super) fn lpos(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<u64> = None;
    let mut maxlen: u64 = 0;
    let mut j = 3;
    while j < argv.len() {
        let opt = argv.get(j);
        let more = j + 1 < argv.len();
        if is_kw(opt, "rank") && more {
            j += 1;
            rank = symmetric_i64_arg(argv.get(j))?;
            if rank == 0 {
                return Err(CmdError::err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if is_kw(opt, "count") && more {
            j += 1;
            count = Some(non_negative(argv.get(j), "COUNT can't be negative")?);
        } else if is_kw(opt, "maxlen") && more {
            j += 1;
            maxlen = non_negative(argv.get(j), "MAXLEN can't be negative")?;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let Some(l) = read_list(&mut ctx.ks, argv.get(1))? else {
        match count {
            Some(_) => ctx.out.array(0),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let from_tail = rank < 0;
    let rank = rank.unsigned_abs();
    let out = &mut *ctx.out;
    match count {
        None => {
            let mut found = None;
            l.positions(argv.get(2), rank, maxlen, from_tail, |p| {
                found = Some(p);
                false
            });
            match found {
                Some(p) => out.int(p as i64),
                None => out.null(),
            }
        }
        Some(count) => {
            // Matches are found before they can be counted: collect the
            // positions (bounded by the list's length), then reply.
            let mut found = Vec::new();
            l.positions(argv.get(2), rank, maxlen, from_tail, |p| {
                found.push(p);
                count == 0 || (found.len() as u64) < count
            });
            out.array(found.len());
            for p in found {
                out.int(p as i64);
            }
        }
    }
    Ok(())
}

/// A count that must be an integer >= 0; `msg` is the error otherwise.
fn non_negative(arg: &[u8], msg: &str) -> Result<u64, CmdError> {
    match parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n as u64),
        _ => Err(CmdError::err(msg)),
    }
}
