//! Read-only lookups: ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT
//! ZLEXCOUNT ZRANDMEMBER.

use super::parse::{is_opt, lex_range, range_long, score_range};
use super::zread;
use crate::client::Action;
use crate::ctx::Ctx;
use crate::error::{arity, CmdError, CmdResult, SYNTAX};
use moon_resp::{Argv, Out};
use moon_store::zset::ZSet;
use rand::Rng;

pub fn zcard(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let n = zread(&mut ctx.ks, argv.get(1))?.map_or(0, |z| z.len());
    ctx.out.int(n as i64);
    Ok(())
}

pub fn zscore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    match zread(&mut ctx.ks, argv.get(1))?.and_then(|z| z.score(argv.get(2))) {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

pub fn zmscore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let z = zread(&mut ctx.ks, argv.get(1))?;
    ctx.out.array(argv.len() - 2);
    for m in argv.iter().skip(2) {
        match z.and_then(|z| z.score(m)) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

pub fn zrank(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    rank_generic(ctx, argv, false)
}

pub fn zrevrank(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    rank_generic(ctx, argv, true)
}

fn rank_generic(ctx: &mut Ctx, argv: &Argv, rev: bool) -> CmdResult {
    if argv.len() > 4 {
        return Err(arity(ctx.name()));
    }
    let withscore = argv.len() == 4;
    if withscore && !is_opt(argv.get(3), "withscore") {
        return Err(SYNTAX);
    }
    let found = zread(&mut ctx.ks, argv.get(1))?.and_then(|z| z.rank(argv.get(2), rev));
    let out = &mut *ctx.out;
    match (found, withscore) {
        (Some((r, _)), false) => out.int(r as i64),
        (Some((r, s)), true) => {
            out.array(2);
            out.int(r as i64);
            out.double(s);
        }
        (None, false) => out.null(),
        (None, true) => out.null_array(),
    }
    Ok(())
}

pub fn zcount(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let r = score_range(argv.get(2), argv.get(3))?;
    let n = zread(&mut ctx.ks, argv.get(1))?.map_or(0, |z| z.count_score(&r));
    ctx.out.int(n as i64);
    Ok(())
}

pub fn zlexcount(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let r = lex_range(argv.get(2), argv.get(3))?;
    let n = zread(&mut ctx.ks, argv.get(1))?.map_or(0, |z| z.count_lex(&r));
    ctx.out.int(n as i64);
    Ok(())
}

/// A reply that a huge negative COUNT would grow without bound is cut
/// here and the client disconnected, as Redis does once a client passes
/// its output buffer limit.
const REPLY_CAP: usize = 512 << 20;

pub fn zrandmember(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.len() >= 3 {
        let l = range_long(argv.get(2), -i64::MAX, i64::MAX, None)?;
        if argv.len() > 4 || (argv.len() == 4 && !is_opt(argv.get(3), "withscores")) {
            return Err(SYNTAX);
        }
        let withscores = argv.len() == 4;
        if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(CmdError::err("value is out of range"));
        }
        return with_count(ctx, argv.get(1), l, withscores);
    }
    let Some(z) = zread(&mut ctx.ks, argv.get(1))?.filter(|z| !z.is_empty()) else {
        ctx.out.null();
        return Ok(());
    };
    let r = rand::thread_rng().gen_range(0..z.len());
    if let Some((m, _)) = z.at(r) {
        ctx.out.bulk(m);
    }
    Ok(())
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

fn with_count(ctx: &mut Ctx, key: &[u8], l: i64, withscores: bool) -> CmdResult {
    let Some(z) = zread(&mut ctx.ks, key)?.filter(|z| !z.is_empty()) else {
        ctx.out.array(0);
        return Ok(());
    };
    let out = &mut *ctx.out;
    let count = l.unsigned_abs() as usize;
    let size = z.len();
    let pairs = withscores && !out.resp3();
    if count == 0 {
        out.array(0);
        return Ok(());
    }
    let mut rng = rand::thread_rng();
    // With repetitions (negative count), in random order.
    if l < 0 || count == 1 {
        out.array(if pairs { count * 2 } else { count });
        let start = out.buf.len();
        // A compact set is walked once into a table; a skiplist answers
        // each rank in O(log n).
        let table: Vec<(&[u8], f64)> = if z.is_listpack() { z.iter().collect() } else { Vec::new() };
        for _ in 0..count {
            let r = rng.gen_range(0..size);
            let (m, s) = if table.is_empty() { z.at(r).unwrap_or((b"", 0.0)) } else { table[r] };
            emit(out, m, s, withscores);
            if out.buf.len() - start > REPLY_CAP {
                ctx.conn.action = Some(Action::Close);
                break;
            }
        }
        return Ok(());
    }
    let n = count.min(size);
    out.array(if pairs { n * 2 } else { n });
    if count >= size {
        // The whole set, walked from the highest element as Redis does.
        for (m, s) in z.iter_from(0, true) {
            emit(out, m, s, withscores);
        }
        return Ok(());
    }
    let mut picks = rand::seq::index::sample(&mut rng, size, count).into_vec();
    if let ZSet::Listpack(_) = z {
        // A compact set answers a distinct sample in its own order.
        picks.sort_unstable();
        let mut it = z.iter().enumerate();
        for p in picks {
            for (i, (m, s)) in it.by_ref() {
                if i == p {
                    emit(out, m, s, withscores);
                    break;
                }
            }
        }
    } else {
        for p in picks {
            if let Some((m, s)) = z.at(p) {
                emit(out, m, s, withscores);
            }
        }
    }
    Ok(())
}
