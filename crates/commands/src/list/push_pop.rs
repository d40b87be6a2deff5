//! LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LMOVE RPOPLPUSH LMPOP.

use super::ops::{self, fill};
use super::{is_kw, side_arg};
use crate::ctx::Ctx;
use crate::error::{arity, CmdError, CmdResult, SYNTAX};
use crate::util::parse_i64;
use moon_resp::{Argv, Out};
use moon_store::list::{Iter, Side};

fn push(ctx: &mut Ctx, argv: &Argv, side: Side, must_exist: bool) -> CmdResult {
    let fill = fill(ctx.srv);
    let elems = (2..argv.len()).map(|i| argv.get(i));
    let n = ops::push_elements(&mut ctx.ks, argv.get(1), side, elems, fill, must_exist)?;
    ctx.out.int(n.unwrap_or(0) as i64);
    Ok(())
}

pub(super) fn lpush(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    push(ctx, argv, Side::Left, false)
}

pub(super) fn rpush(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    push(ctx, argv, Side::Right, false)
}

pub(super) fn lpushx(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    push(ctx, argv, Side::Left, true)
}

pub(super) fn rpushx(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    push(ctx, argv, Side::Right, true)
}

/// An array of the popped elements.
fn reply_elements(out: &mut Out, it: std::iter::Take<Iter<'_>>) {
    out.array(it.len());
    for e in it {
        out.bulk(e);
    }
}

/// LPOP/RPOP key [count]: a bulk without count, an array with it.
fn pop(ctx: &mut Ctx, argv: &Argv, side: Side) -> CmdResult {
    if argv.len() > 3 {
        return Err(arity(ctx.name()));
    }
    let fill = fill(ctx.srv);
    let key = argv.get(1);
    if argv.len() == 2 {
        if ops::pop_one(&mut ctx.ks, key, side, fill, |v| ctx.out.bulk(v))?.is_none() {
            ctx.out.null();
        }
        return Ok(());
    }
    let count = match parse_i64(argv.get(2)) {
        Some(n) if n >= 0 => n as usize,
        _ => return Err(CmdError::err("value is out of range, must be positive")),
    };
    if count == 0 {
        // Looked up (and type-checked) all the same.
        match ops::write_list(&mut ctx.ks, key)? {
            Some(_) => ctx.out.array(0),
            None => ctx.out.null_array(),
        }
        return Ok(());
    }
    if ops::pop_range(&mut ctx.ks, key, side, count, fill, |it| reply_elements(ctx.out, it))?.is_none() {
        ctx.out.null_array();
    }
    Ok(())
}

pub(super) fn lpop(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    pop(ctx, argv, Side::Left)
}

pub(super) fn rpop(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    pop(ctx, argv, Side::Right)
}

fn lmove_generic(ctx: &mut Ctx, argv: &Argv, from: Side, to: Side) -> CmdResult {
    let fill = fill(ctx.srv);
    match ops::move_between_keys(&mut ctx.ks, argv.get(1), argv.get(2), from, to, fill)? {
        Some(v) => ctx.out.bulk(&v),
        None => ctx.out.null(),
    }
    Ok(())
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub(super) fn lmove(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let from = side_arg(argv.get(3))?;
    let to = side_arg(argv.get(4))?;
    lmove_generic(ctx, argv, from, to)
}

/// RPOPLPUSH source destination
pub(super) fn rpoplpush(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    lmove_generic(ctx, argv, Side::Right, Side::Left)
}

/// LMPOP's arguments from `numkeys_idx` on: (first key index, key count,
/// side, count). Shared with BLMPOP, whose numkeys comes one later.
pub(crate) fn parse_mpop(argv: &Argv, numkeys_idx: usize) -> Result<(usize, usize, Side, usize), CmdError> {
    let numkeys = match parse_i64(argv.get(numkeys_idx)) {
        Some(n) if n >= 1 => n as u64,
        _ => return Err(CmdError::err("numkeys should be greater than 0")),
    };
    let where_idx = (numkeys_idx as u64).checked_add(numkeys).and_then(|i| i.checked_add(1));
    let where_idx = match where_idx {
        Some(i) if i < argv.len() as u64 => i as usize,
        _ => return Err(SYNTAX),
    };
    let side = side_arg(argv.get(where_idx))?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        if count.is_none() && is_kw(argv.get(j), "count") && j + 1 < argv.len() {
            j += 1;
            match parse_i64(argv.get(j)) {
                Some(n) if n >= 1 => count = Some(n as usize),
                _ => return Err(CmdError::err("count should be greater than 0")),
            }
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    Ok((numkeys_idx + 1, numkeys as usize, side, count.unwrap_or(1)))
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub(super) fn lmpop(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (first, n, side, count) = parse_mpop(argv, 1)?;
    let fill = fill(ctx.srv);
    let keys = (first..first + n).map(|i| argv.get(i));
    let out = &mut *ctx.out;
    let popped = ops::pop_first_nonempty(&mut ctx.ks, keys, side, count, fill, |key, it| {
        out.array(2);
        out.bulk(key);
        reply_elements(out, it);
    })?;
    if popped.is_none() {
        ctx.out.null_array();
    }
    Ok(())
}
