//! ZPOPMIN, ZPOPMAX, ZMPOP. The popping itself (`first_zset_key`,
//! `pop_elements`) is separate from argument parsing and reply shapes so
//! BZPOPMIN/BZPOPMAX/BZMPOP reuse it.

use super::parse::{is_opt, positive_long, range_long};
use super::{delete_emptied, zwrite};
use crate::ctx::{Ctx, KeyAccess};
use crate::error::{CmdError, CmdResult, SYNTAX};
use moon_resp::{Argv, Out};

/// The first of `keys` holding a value: Ok(Some) if it is a sorted set,
/// WRONGTYPE if it is something else (later keys are not looked at), None
/// if none exists. Looked up as writes (no hit/miss), as Redis does.
pub fn first_zset_key<'k>(ks: &mut KeyAccess, keys: impl Iterator<Item = &'k [u8]>) -> Result<Option<&'k [u8]>, CmdError> {
    for k in keys {
        if zwrite(ks, k)?.is_some() {
            return Ok(Some(k));
        }
    }
    Ok(None)
}

/// Pop up to `count` elements from the low (or, with `max`, high) end of
/// the sorted set at `key`, in popping order; the key is deleted when it
/// empties. Nothing happens if `key` holds no sorted set.
pub fn pop_elements(ks: &mut KeyAccess, key: &[u8], max: bool, count: usize) -> Vec<(Vec<u8>, f64)> {
    let Ok(Some(z)) = zwrite(ks, key) else { return Vec::new() };
    let items = z.pop_n(max, count);
    let emptied = z.is_empty();
    if !items.is_empty() {
        ks.notify(crate::notify::class::ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
        // ZMPOP and the blocking pops are journaled as the plain pop.
        let cmd: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        ks.propagate(&[cmd, key, itoa::Buffer::new().format(items.len()).as_bytes()]);
    }
    if emptied {
        delete_emptied(ks, key);
    }
    ks.dirty += items.len() as u64;
    items
}

/// `member score` pairs, flat or as [member, score] arrays.
fn reply_pairs(out: &mut Out, items: &[(Vec<u8>, f64)], nested: bool) {
    for (m, s) in items {
        if nested {
            out.array(2);
        }
        out.bulk(m);
        out.double(*s);
    }
}

pub fn zpopmin(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    zpop(ctx, argv, false)
}

pub fn zpopmax(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    zpop(ctx, argv, true)
}

fn zpop(ctx: &mut Ctx, argv: &Argv, max: bool) -> CmdResult {
    if argv.len() > 3 {
        return Err(SYNTAX);
    }
    let count = if argv.len() == 3 { Some(positive_long(argv.get(2), None)?) } else { None };
    let key = argv.get(1);
    if first_zset_key(&mut ctx.ks, std::iter::once(key))?.is_none() || count == Some(0) {
        ctx.out.array(0);
        return Ok(());
    }
    let items = pop_elements(&mut ctx.ks, key, max, count.unwrap_or(1) as usize);
    // RESP3 nests pairs only when a COUNT was given.
    let nested = ctx.out.resp3() && count.is_some();
    ctx.out.array(if nested { items.len() } else { items.len() * 2 });
    reply_pairs(ctx.out, &items, nested);
    Ok(())
}

/// ZMPOP's arguments from `numkeys_idx` on: (first key index, key count,
/// MAX?, count). Shared with BZMPOP, whose numkeys comes one later.
pub fn parse_zmpop(argv: &Argv, numkeys_idx: usize) -> Result<(usize, usize, bool, Option<i64>), CmdError> {
    let numkeys = range_long(argv.get(numkeys_idx), 1, i64::MAX, Some("ERR numkeys should be greater than 0"))? as u64;
    if numkeys + numkeys_idx as u64 + 1 >= argv.len() as u64 {
        return Err(SYNTAX);
    }
    let where_idx = numkeys as usize + numkeys_idx + 1;
    let max = match argv.get(where_idx) {
        w if is_opt(w, "min") => false,
        w if is_opt(w, "max") => true,
        _ => return Err(SYNTAX),
    };
    let mut count = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        if count.is_none() && is_opt(argv.get(j), "count") && j + 1 < argv.len() {
            count = Some(range_long(argv.get(j + 1), 1, i64::MAX, Some("ERR count should be greater than 0"))?);
            j += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    Ok((numkeys_idx + 1, numkeys as usize, max, count))
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub fn zmpop(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (first, n, max, count) = parse_zmpop(argv, 1)?;
    let keys = (first..first + n).map(|i| argv.get(i));
    let Some(key) = first_zset_key(&mut ctx.ks, keys)? else {
        ctx.out.null_array();
        return Ok(());
    };
    let items = pop_elements(&mut ctx.ks, key, max, count.unwrap_or(1) as usize);
    let out = &mut *ctx.out;
    out.array(2);
    out.bulk(key);
    out.array(items.len());
    reply_pairs(out, &items, true);
    Ok(())
}
