//! ZADD, ZINCRBY, ZREM.

use super::parse::{is_opt, score_arg, NAN_SCORE};
use super::{delete_emptied, limits, store_new, zwrite};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::notify::class::ZSET;
use moon_resp::Argv;
use moon_store::zset::{AddFlags, Added, Limits, ZSet};

pub fn zadd(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    zadd_generic(ctx, argv, false)
}

/// ZINCRBY is ZADD INCR with one pair; like Redis it goes through the same
/// option parsing (so `ZINCRBY key nx member` is a syntax error).
pub fn zincrby(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    zadd_generic(ctx, argv, true)
}

/// What a run of adds did, for the reply and `dirty`.
#[derive(Default)]
struct Tally {
    added: u64,
    updated: u64,
    processed: u64,
    score: f64,
    nan: bool,
}

fn apply(z: &mut ZSet, argv: &Argv, first: usize, scores: &[f64], f: AddFlags, lim: Limits) -> Tally {
    // A bulk add to an empty set allocates its buffer once.
    if scores.len() > 1 && !f.incr && !f.xx {
        z.reserve_new(scores.iter().enumerate().map(|(j, &s)| (s, argv.get(first + 2 * j + 1).len())));
    }
    let t = add_each(z, argv, first, scores, f, lim);
    z.fit();
    t
}

fn add_each(z: &mut ZSet, argv: &Argv, first: usize, scores: &[f64], f: AddFlags, lim: Limits) -> Tally {
    let mut t = Tally::default();
    for (j, &score) in scores.iter().enumerate() {
        match z.add(score, argv.get(first + 2 * j + 1), f, lim) {
            Added::Nan => {
                t.nan = true;
                return t;
            }
            Added::Nop => {}
            Added::Added(s) => {
                t.added += 1;
                t.processed += 1;
                t.score = s;
            }
            Added::Updated(s) => {
                t.updated += 1;
                t.processed += 1;
                t.score = s;
            }
            Added::Same(s) => {
                t.processed += 1;
                t.score = s;
            }
        }
    }
    t
}

fn zadd_generic(ctx: &mut Ctx, argv: &Argv, incr_cmd: bool) -> CmdResult {
    let key = argv.get(1);
    let mut f = AddFlags { incr: incr_cmd, ..AddFlags::default() };
    let mut ch = false;
    let mut i = 2;
    while i < argv.len() {
        let o = argv.get(i);
        if is_opt(o, "nx") {
            f.nx = true;
        } else if is_opt(o, "xx") {
            f.xx = true;
        } else if is_opt(o, "ch") {
            ch = true;
        } else if is_opt(o, "incr") {
            f.incr = true;
        } else if is_opt(o, "gt") {
            f.gt = true;
        } else if is_opt(o, "lt") {
            f.lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let elements = argv.len() - i;
    if elements == 0 || !elements.is_multiple_of(2) {
        return Err(SYNTAX);
    }
    let pairs = elements / 2;
    if f.nx && f.xx {
        return Err(CmdError::err("XX and NX options at the same time are not compatible"));
    }
    if ((f.gt || f.lt) && f.nx) || (f.gt && f.lt) {
        return Err(CmdError::err("GT, LT, and/or NX options at the same time are not compatible"));
    }
    if f.incr && pairs > 1 {
        return Err(CmdError::err("INCR option supports a single increment-element pair"));
    }
    // All or nothing: every score parses before anything changes. (A
    // few pairs, the usual case, need no allocation.)
    let mut small = [0f64; 32];
    let mut many = Vec::new();
    let scores: &mut [f64] = if pairs <= small.len() {
        &mut small[..pairs]
    } else {
        many.resize(pairs, 0.0);
        &mut many
    };
    for (j, s) in scores.iter_mut().enumerate() {
        *s = score_arg(argv.get(i + 2 * j))?;
    }
    let scores = &*scores;
    let lim = limits(ctx);
    let t = match zwrite(&mut ctx.ks, key)? {
        Some(z) => {
            z.maybe_convert(pairs, lim);
            apply(z, argv, i, scores, f, lim)
        }
        None if f.xx => Tally::default(),
        None => {
            let mut z = ZSet::new_for(pairs, argv.get(i + 1).len(), lim);
            let t = apply(&mut z, argv, i, scores, f, lim);
            if !z.is_empty() {
                store_new(&mut ctx.ks, key, z);
            }
            t
        }
    };
    ctx.ks.dirty += t.added + t.updated;
    if t.added + t.updated > 0 {
        ctx.notify(ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    if t.nan {
        return Err(NAN_SCORE);
    }
    if f.incr {
        if t.processed > 0 {
            ctx.out.double(t.score);
        } else {
            ctx.out.null();
        }
    } else {
        ctx.out.int((if ch { t.added + t.updated } else { t.added }) as i64);
    }
    Ok(())
}

pub fn zrem(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let Some(z) = zwrite(&mut ctx.ks, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut deleted = 0u64;
    let mut emptied = false;
    for m in argv.iter().skip(2) {
        if z.remove(m) {
            deleted += 1;
        }
        if z.is_empty() {
            emptied = true;
            break;
        }
    }
    if deleted > 0 {
        ctx.notify(ZSET, "zrem", key);
    }
    if emptied {
        delete_emptied(&mut ctx.ks, key);
    }
    ctx.ks.dirty += deleted;
    ctx.out.int(deleted as i64);
    Ok(())
}
