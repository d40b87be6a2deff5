//! LSET LINSERT LREM LTRIM: edits inside a list.

use super::ops::{fill, write_list};
use super::read::range_of;
use super::{is_kw, symmetric_i64_arg};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NO_SUCH_KEY, SYNTAX};
use crate::notify::class::{GENERIC, LIST};
use crate::util::int_arg;
use moon_resp::Argv;

/// LSET key index element
pub(super) fn lset(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let fill = fill(ctx.srv);
    let Some(l) = write_list(&mut ctx.ks, argv.get(1))? else { return Err(NO_SUCH_KEY) };
    let index = int_arg(argv.get(2))?;
    let v = argv.get(3);
    // Redis checks growth as if an element were added, before knowing
    // whether the index exists: a full listpack converts either way.
    l.grow_check(v.len(), 1, fill);
    let Some(i) = l.resolve(index) else { return Err(CmdError::err("index out of range")) };
    l.set(i, v);
    l.shrink_check(fill);
    ctx.ks.dirty += 1;
    ctx.notify(LIST, "lset", argv.get(1));
    ctx.out.ok();
    Ok(())
}

/// LINSERT key BEFORE|AFTER pivot element
pub(super) fn linsert(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let after = if is_kw(argv.get(2), "after") {
        true
    } else if is_kw(argv.get(2), "before") {
        false
    } else {
        return Err(SYNTAX);
    };
    let fill = fill(ctx.srv);
    let Some(l) = write_list(&mut ctx.ks, argv.get(1))? else {
        ctx.out.int(0);
        return Ok(());
    };
    let v = argv.get(4);
    l.grow_check(v.len(), 1, fill);
    if !l.insert(argv.get(3), v, after) {
        ctx.out.int(-1);
        return Ok(());
    }
    let n = l.len();
    ctx.ks.dirty += 1;
    ctx.notify(LIST, "linsert", argv.get(1));
    ctx.out.int(n as i64);
    Ok(())
}

/// LREM key count element
pub(super) fn lrem(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let count = symmetric_i64_arg(argv.get(2))?;
    let fill = fill(ctx.srv);
    let key = argv.get(1);
    let Some(l) = write_list(&mut ctx.ks, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = l.remove(argv.get(3), limit, count < 0);
    let empty = l.is_empty();
    if !empty && removed > 0 {
        l.shrink_check(fill);
    }
    if removed > 0 {
        ctx.notify(LIST, "lrem", key);
    }
    if empty {
        ctx.ks.stripe(key).remove(key);
        ctx.notify(GENERIC, "del", key);
    }
    ctx.ks.dirty += removed as u64;
    ctx.out.int(removed as i64);
    Ok(())
}

/// LTRIM key start stop
pub(super) fn ltrim(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let start = int_arg(argv.get(2))?;
    let end = int_arg(argv.get(3))?;
    let fill = fill(ctx.srv);
    let key = argv.get(1);
    let Some(l) = write_list(&mut ctx.ks, key)? else {
        ctx.out.ok();
        return Ok(());
    };
    let len = l.len();
    let (ltrim, rtrim) = match range_of(len, start, end) {
        None => (len, 0),
        Some((from, n)) => (from, len - from - n),
    };
    l.del_range(0, ltrim);
    l.del_range(len - ltrim - rtrim, rtrim);
    let empty = l.is_empty();
    if empty {
        ctx.ks.stripe(key).remove(key);
    } else {
        l.shrink_check(fill);
    }
    ctx.notify(LIST, "ltrim", key);
    if empty {
        ctx.notify(GENERIC, "del", key);
    }
    ctx.ks.dirty += (ltrim + rtrim) as u64;
    ctx.out.ok();
    Ok(())
}
