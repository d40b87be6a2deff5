//! SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SMOVE.

use super::{limits, reply_member, set_of, set_of_mut};
use crate::ctx::Ctx;
use crate::error::CmdResult;
use crate::notify::class::{GENERIC, SET};
use moon_resp::Argv;
use moon_store::set::Set;
use moon_store::{Entry, Object};

pub fn sadd(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let lim = limits(ctx);
    let hint = argv.len() - 2;
    let mut added = 0;
    let dirty = ctx.ks.dirty;
    match ctx.ks.write(key) {
        Some(e) => {
            let s = set_of_mut(e)?;
            s.maybe_convert(hint, &lim);
            for m in argv.iter().skip(2) {
                added += s.add(m, &lim) as i64;
            }
        }
        None => {
            let mut s = Set::create(argv.get(2), hint, &lim);
            for m in argv.iter().skip(2) {
                added += s.add(m, &lim) as i64;
            }
            ctx.ks.insert(Entry::new_obj(key, Object::Set(Box::new(s)), None));
        }
    }
    ctx.ks.dirty = dirty + added as u64;
    if added > 0 {
        ctx.notify(SET, "sadd", key);
    }
    ctx.out.int(added);
    Ok(())
}

pub fn srem(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let mut deleted = 0;
    let mut emptied = false;
    if let Some(e) = ctx.ks.write(key) {
        let s = set_of_mut(e)?;
        for m in argv.iter().skip(2) {
            if s.remove(m) {
                deleted += 1;
                if s.is_empty() {
                    emptied = true;
                    break;
                }
            }
        }
    }
    let dirty = ctx.ks.dirty;
    if deleted > 0 {
        ctx.notify(SET, "srem", key);
    }
    if emptied {
        ctx.ks.remove(key);
        ctx.notify(GENERIC, "del", key);
    }
    ctx.ks.dirty = dirty + deleted as u64;
    ctx.out.int(deleted);
    Ok(())
}

pub fn scard(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let n = match ctx.ks.read(argv.get(1)) {
        None => 0,
        Some(e) => set_of(e)?.len(),
    };
    ctx.out.int(n as i64);
    Ok(())
}

pub fn sismember(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let found = match ctx.ks.read(argv.get(1)) {
        None => false,
        Some(e) => set_of(e)?.contains(argv.get(2)),
    };
    ctx.out.int(found as i64);
    Ok(())
}

pub fn smismember(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let set = match ctx.ks.read(argv.get(1)) {
        None => None,
        Some(e) => Some(set_of(e)?),
    };
    ctx.out.array(argv.len() - 2);
    for m in argv.iter().skip(2) {
        ctx.out.int(set.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

pub fn smembers(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let Some(e) = ctx.ks.read(argv.get(1)) else {
        ctx.out.set(0);
        return Ok(());
    };
    let s = set_of(e)?;
    ctx.out.set(s.len());
    for m in s.iter() {
        reply_member(ctx.out, m);
    }
    Ok(())
}

/// What a key holds, as far as SMOVE's checks care.
#[derive(PartialEq)]
enum Slot {
    Missing,
    Set,
    Other,
}

fn probe(ctx: &mut Ctx, key: &[u8]) -> Slot {
    match ctx.ks.write(key) {
        None => Slot::Missing,
        Some(e) => match set_of(e) {
            Ok(_) => Slot::Set,
            Err(_) => Slot::Other,
        },
    }
}

pub fn smove(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (src, dst, m) = (argv.get(1), argv.get(2), argv.get(3));
    let src_slot = probe(ctx, src);
    let dst_slot = probe(ctx, dst);
    if src_slot == Slot::Missing {
        ctx.out.int(0);
        return Ok(());
    }
    if src_slot == Slot::Other || dst_slot == Slot::Other {
        return Err(crate::error::WRONGTYPE);
    }
    if src == dst {
        let found = ctx.ks.write(src).and_then(|e| set_of(e).ok()).is_some_and(|s| s.contains(m));
        ctx.out.int(found as i64);
        return Ok(());
    }
    let dirty = ctx.ks.dirty;
    let (removed, emptied) = match ctx.ks.write(src) {
        Some(e) => {
            let s = set_of_mut(e)?;
            (s.remove(m), s.is_empty())
        }
        None => (false, false),
    };
    if !removed {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.notify(SET, "srem", src);
    if emptied {
        ctx.ks.remove(src);
        ctx.notify(GENERIC, "del", src);
    }
    let lim = limits(ctx);
    let added = match ctx.ks.write(dst) {
        Some(e) => set_of_mut(e)?.add(m, &lim),
        None => {
            let mut s = Set::create(m, 1, &lim);
            s.add(m, &lim);
            ctx.ks.insert(Entry::new_obj(dst, Object::Set(Box::new(s)), None));
            true
        }
    };
    ctx.ks.dirty = dirty + 1 + added as u64;
    if added {
        ctx.notify(SET, "sadd", dst);
    }
    ctx.out.int(1);
    Ok(())
}
