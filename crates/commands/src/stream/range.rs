//! XRANGE and XREVRANGE.

use super::id::{range_end, range_start};
use super::{reply, sread};
use crate::ctx::Ctx;
use crate::error::{CmdResult, SYNTAX};
use crate::util::{int_arg, is_opt};
use moon_resp::Argv;

pub fn xrange(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, false)
}

pub fn xrevrange(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, true)
}

fn generic(ctx: &mut Ctx, argv: &Argv, rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev { (argv.get(3), argv.get(2)) } else { (argv.get(2), argv.get(3)) };
    let start = range_start(start_arg)?;
    let end = range_end(end_arg)?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        if is_opt(argv.get(j), "COUNT") && j + 1 < argv.len() {
            count = int_arg(argv.get(j + 1))?.max(0);
            j += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    let Some(s) = sread(&mut ctx.ks, argv.get(1))? else {
        ctx.out.array(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.null_array();
        return Ok(());
    }
    let limit = if count < 0 { usize::MAX } else { count as usize };
    let d = ctx.out.defer();
    let mut n = 0;
    if rev {
        for e in s.range_rev(start, end).take(limit) {
            reply::entry(ctx.out, &e);
            n += 1;
        }
    } else {
        for e in s.range(start, end).take(limit) {
            reply::entry(ctx.out, &e);
            n += 1;
        }
    }
    ctx.out.end_array(d, n);
    Ok(())
}
