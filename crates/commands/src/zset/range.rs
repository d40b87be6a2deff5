//! ZRANGE and ZRANGESTORE with BYSCORE/BYLEX/REV/LIMIT/WITHSCORES, and the
//! older ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX, which are ZRANGE
//! with the range type and direction fixed (so their own option sets are
//! smaller: ZREVRANGE takes no REV, ZRANGEBYSCORE no BYLEX, ...).

use super::parse::{is_opt, lex_range, score_range};
use super::{limits, zread};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::util::int_arg;
use moon_resp::{Argv, Out};
use moon_store::zset::{AddFlags, LexRange, ScoreRange, ZSet};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

enum Spec<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

struct Query<'a> {
    spec: Spec<'a>,
    rev: bool,
    withscores: bool,
    offset: i64,
    /// Negative: no limit (Redis' `while (limit--)`).
    limit: i64,
}

pub fn zrange(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, 1, None, Kind::Auto, None)
}

pub fn zrangestore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, 2, Some(argv.get(1)), Kind::Auto, None)
}

pub fn zrevrange(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, 1, None, Kind::Rank, Some(true))
}

pub fn zrangebyscore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, 1, None, Kind::Score, Some(false))
}

pub fn zrevrangebyscore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, 1, None, Kind::Score, Some(true))
}

pub fn zrangebylex(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, 1, None, Kind::Lex, Some(false))
}

pub fn zrevrangebylex(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, 1, None, Kind::Lex, Some(true))
}

/// Parse `<src> <min> <max> [options]` starting at `src` (Redis'
/// zrangeGenericCommand steps 1 and 2).
fn parse<'a>(argv: &'a Argv, src: usize, store: bool, mut kind: Kind, dir: Option<bool>) -> Result<Query<'a>, CmdError> {
    let mut rev = dir;
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = src + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv.get(j);
        if !store && is_opt(a, "withscores") {
            withscores = true;
        } else if is_opt(a, "limit") && left >= 2 {
            offset = int_arg(argv.get(j + 1))?;
            limit = int_arg(argv.get(j + 2))?;
            j += 2;
        } else if dir.is_none() && rev.is_none() && is_opt(a, "rev") {
            rev = Some(true);
        } else if kind == Kind::Auto && is_opt(a, "bylex") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && is_opt(a, "byscore") {
            kind = Kind::Score;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    // Redis tests the value, so an explicit `LIMIT x -1` passes by rank.
    if limit != -1 && kind == Kind::Rank {
        return Err(CmdError::err("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
    }
    if withscores && kind == Kind::Lex {
        return Err(CmdError::err("syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    let (mut lo, mut hi) = (argv.get(src + 1), argv.get(src + 2));
    if rev && kind != Kind::Rank {
        // Reverse score and lex ranges are written max first.
        std::mem::swap(&mut lo, &mut hi);
    }
    let spec = match kind {
        Kind::Score => Spec::Score(score_range(lo, hi)?),
        Kind::Lex => Spec::Lex(lex_range(lo, hi)?),
        _ => Spec::Rank(int_arg(lo)?, int_arg(hi)?),
    };
    Ok(Query { spec, rev, withscores, offset, limit })
}

/// Rank bounds normalized as Redis does: (start, count), count 0 if empty.
fn rank_bounds(len: usize, start: i64, end: i64) -> (usize, usize) {
    let llen = len as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return (0, 0);
    }
    if end >= llen {
        end = llen - 1;
    }
    (start as usize, (end - start + 1) as usize)
}

/// Visit the selected elements in reply order; returns how many.
fn walk(z: &ZSet, q: &Query, mut f: impl FnMut(&[u8], f64)) -> usize {
    let start = match &q.spec {
        Spec::Rank(s, e) => {
            let (start, n) = rank_bounds(z.len(), *s, *e);
            if n > 0 {
                for (m, sc) in z.iter_from(start, q.rev).take(n) {
                    f(m, sc);
                }
            }
            return n;
        }
        Spec::Score(r) => z.score_start(r, q.rev),
        Spec::Lex(r) => z.lex_start(r, q.rev),
    };
    // The walk goes on while the far bound still holds.
    let in_range = |m: &[u8], s: f64| match &q.spec {
        Spec::Score(r) => {
            if q.rev {
                r.gte_min(s)
            } else {
                r.lte_max(s)
            }
        }
        Spec::Lex(r) => {
            if q.rev {
                r.gte_min(m)
            } else {
                r.lte_max(m)
            }
        }
        Spec::Rank(..) => true,
    };
    if q.offset < 0 || (q.offset > 0 && q.offset as u64 >= z.len() as u64) {
        return 0;
    }
    let Some(start) = start else { return 0 };
    let limit = if q.limit < 0 { usize::MAX } else { q.limit as usize };
    let mut n = 0;
    for (m, s) in z.iter_from(start + q.offset as usize, q.rev).take(limit) {
        if !in_range(m, s) {
            break;
        }
        f(m, s);
        n += 1;
    }
    n
}

fn emit(out: &mut Out, m: &[u8], s: f64, withscores: bool) {
    if withscores && out.resp3() {
        out.array(2);
    }
    out.bulk(m);
    if withscores {
        out.double(s);
    }
}

fn generic(ctx: &mut Ctx, argv: &Argv, src: usize, dst: Option<&[u8]>, kind: Kind, dir: Option<bool>) -> CmdResult {
    let q = parse(argv, src, dst.is_some(), kind, dir)?;
    let key = argv.get(src);
    let Some(dst) = dst else {
        let Some(z) = zread(&mut ctx.ks, key)? else {
            ctx.out.array(0);
            return Ok(());
        };
        let out = &mut *ctx.out;
        let per = if q.withscores && !out.resp3() { 2 } else { 1 };
        if let Spec::Rank(s, e) = q.spec {
            // The length is known up front.
            out.array(rank_bounds(z.len(), s, e).1 * per);
            walk(z, &q, |m, s| emit(out, m, s, q.withscores));
        } else {
            let d = out.defer();
            let n = walk(z, &q, |m, s| emit(out, m, s, q.withscores));
            out.end_array(d, n * per);
        }
        return Ok(());
    };
    let lim = limits(ctx);
    let result = match zread(&mut ctx.ks, key)? {
        None => None,
        Some(z) => {
            // Redis sizes the destination for a rank range's length and
            // grows it from compact for score and lex ranges.
            let hint = match q.spec {
                Spec::Rank(s, e) => rank_bounds(z.len(), s, e).1,
                _ => 0,
            };
            let mut d = ZSet::new_for(hint, 0, lim);
            let n = walk(z, &q, |m, s| {
                d.add(s, m, AddFlags::default(), lim);
            });
            (n > 0).then_some((d, n))
        }
    };
    match result {
        Some((d, n)) => {
            super::store_result(&mut ctx.ks, dst, Some(d), "zrangestore");
            ctx.ks.dirty += 1;
            ctx.out.int(n as i64);
        }
        None => {
            super::store_result(&mut ctx.ks, dst, None, "zrangestore");
            ctx.out.int(0);
        }
    }
    Ok(())
}
