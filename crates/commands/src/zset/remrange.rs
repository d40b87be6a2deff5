//! ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX.

use super::parse::{lex_range, score_range};
use super::{delete_emptied, zwrite};
use crate::ctx::Ctx;
use crate::error::CmdResult;
use crate::util::int_arg;
use moon_resp::Argv;
use moon_store::zset::{LexRange, ScoreRange};

enum Range<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

pub fn zremrangebyrank(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let r = Range::Rank(int_arg(argv.get(2))?, int_arg(argv.get(3))?);
    generic(ctx, argv, r)
}

pub fn zremrangebyscore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let r = Range::Score(score_range(argv.get(2), argv.get(3))?);
    generic(ctx, argv, r)
}

pub fn zremrangebylex(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let r = Range::Lex(lex_range(argv.get(2), argv.get(3))?);
    generic(ctx, argv, r)
}

/// The range is parsed (and its errors reported) before the key is
/// looked up, as in Redis.
fn generic(ctx: &mut Ctx, argv: &Argv, r: Range) -> CmdResult {
    let key = argv.get(1);
    let Some(z) = zwrite(&mut ctx.ks, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let deleted = match r {
        Range::Rank(start, end) => {
            let llen = z.len() as i64;
            let mut start = if start < 0 { llen + start } else { start };
            let mut end = if end < 0 { llen + end } else { end };
            if start < 0 {
                start = 0;
            }
            if start > end || start >= llen {
                ctx.out.int(0);
                return Ok(());
            }
            if end >= llen {
                end = llen - 1;
            }
            z.remove_rank_range(start as usize, end as usize)
        }
        Range::Score(r) => z.remove_score_range(&r),
        Range::Lex(r) => z.remove_lex_range(&r),
    };
    let emptied = z.is_empty();
    if deleted > 0 {
        let event = match r {
            Range::Rank(..) => "zremrangebyrank",
            Range::Score(_) => "zremrangebyscore",
            Range::Lex(_) => "zremrangebylex",
        };
        ctx.notify(crate::notify::class::ZSET, event, key);
    }
    if emptied {
        delete_emptied(&mut ctx.ks, key);
    }
    ctx.ks.dirty += deleted as u64;
    ctx.out.int(deleted as i64);
    Ok(())
}
