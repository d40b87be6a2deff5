//! Field TTL commands: HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HTTL HPTTL
//! HEXPIRETIME HPEXPIRETIME HPERSIST.

use super::{fields_block, is_kw, propagate_fields, read_hash, settle, write_hash, NUMFIELDS_POSITIVE};
use crate::ctx::Ctx;
use crate::error::{invalid_expire, CmdError, CmdResult, NOT_INTEGER};
use crate::notify::class::HASH;
use crate::util::parse_i64;
use moon_resp::Argv;
use moon_store::hash::{ExpireCond, Persist, SetTtl};

/// The latest field expire time the commands accept, in unix ms: Redis'
/// HFE_MAX_ABS_TIME_MSEC (48-bit times with two bits kept back).
const MAX_ABS_MS: i64 = ((1 << 48) - 1) >> 2;

const NUMFIELDS_GT0: CmdError = CmdError::fixed("ERR Parameter `numFields` should be greater than 0");

/// A field TTL argument as an absolute unix time in ms (Redis'
/// parseExpireTime): `base` is now for relative times, 0 for absolute ones.
pub(super) fn parse_expire(arg: &[u8], seconds: bool, base: i64, name: &str) -> Result<i64, CmdError> {
    let v = parse_i64(arg).ok_or(NOT_INTEGER)?;
    if v < 0 {
        return Err(CmdError::fixed("ERR invalid expire time, must be >= 0"));
    }
    let v = if seconds {
        if v > MAX_ABS_MS / 1000 {
            return Err(invalid_expire(name));
        }
        v * 1000
    } else {
        v
    };
    if v > MAX_ABS_MS - base {
        return Err(invalid_expire(name));
    }
    Ok(v + base)
}

/// HEXPIRE key time [NX | XX | GT | LT] FIELDS numfields field...
fn hexpire_generic(ctx: &mut Ctx, argv: &Argv, seconds: bool, relative: bool) -> CmdResult {
    let key = argv.get(1);
    let now = ctx.now();
    let cmd = ctx.cmd;
    let name = cmd.full_name.as_str();
    let h = write_hash(&mut ctx.ks, key)?;
    let at = parse_expire(argv.get(2), seconds, if relative { now } else { 0 }, name)?;
    let opt = argv.get(3);
    let cond = [("NX", ExpireCond::Nx), ("XX", ExpireCond::Xx), ("GT", ExpireCond::Gt), ("LT", ExpireCond::Lt)]
        .into_iter()
        .find(|(kw, _)| is_kw(opt, kw))
        .map(|(_, c)| c);
    let (first, n) = fields_block(argv, if cond.is_some() { 4 } else { 3 }, NUMFIELDS_GT0, name)?;
    let out = &mut *ctx.out;
    out.array(n);
    let Some(h) = h else {
        for _ in 0..n {
            out.int(SetTtl::NoField as i64);
        }
        return Ok(());
    };
    h.track_ttls();
    let (mut set, mut deleted) = (Vec::new(), Vec::new());
    for i in first..first + n {
        let f = argv.get(i);
        let r = h.set_expire(f, at, cond.unwrap_or(ExpireCond::Always), now);
        match r {
            SetTtl::Set => set.push(f),
            SetTtl::Deleted => deleted.push(f),
            _ => {}
        }
        out.int(r as i64);
    }
    let changed = (set.len() + deleted.len()) as u64;
    // Journaled as the absolute time for the fields it applied to.
    propagate_fields(&mut ctx.ks, b"HDEL", key, &[], &deleted);
    propagate_fields(&mut ctx.ks, b"HPEXPIREAT", key, &[itoa::Buffer::new().format(at).as_bytes()], &set);
    let (set, deleted) = (set.len(), deleted.len());
    if deleted > 0 {
        ctx.ks.notify(HASH, "hdel", key);
    }
    if set > 0 {
        ctx.ks.notify(HASH, "hexpire", key);
    }
    settle(&mut ctx.ks, key);
    ctx.ks.dirty += changed;
    Ok(())
}

pub fn hexpire(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    hexpire_generic(ctx, argv, true, true)
}

pub fn hpexpire(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    hexpire_generic(ctx, argv, false, true)
}

pub fn hexpireat(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    hexpire_generic(ctx, argv, true, false)
}

pub fn hpexpireat(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    hexpire_generic(ctx, argv, false, false)
}

/// HTTL key FIELDS numfields field...: -2 for a missing field, -1 for one
/// without TTL, else the time left (relative) or the expire time, in
/// seconds rounded up or in ms.
fn httl_generic(ctx: &mut Ctx, argv: &Argv, seconds: bool, relative: bool) -> CmdResult {
    let now = ctx.now();
    let cmd = ctx.cmd;
    let name = cmd.full_name.as_str();
    let h = read_hash(&mut ctx.ks, argv.get(1))?;
    let (first, n) = fields_block(argv, 2, NUMFIELDS_POSITIVE, name)?;
    let base = if relative { now } else { 0 };
    let out = &mut *ctx.out;
    out.array(n);
    for i in first..first + n {
        out.int(match h.and_then(|h| h.get_ttl(argv.get(i))) {
            None => -2,
            Some(None) => -1,
            Some(Some(t)) if seconds => (t + 999 - base) / 1000,
            Some(Some(t)) => t - base,
        });
    }
    Ok(())
}

pub fn httl(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    httl_generic(ctx, argv, true, true)
}

pub fn hpttl(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    httl_generic(ctx, argv, false, true)
}

pub fn hexpiretime(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    httl_generic(ctx, argv, true, false)
}

pub fn hpexpiretime(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    httl_generic(ctx, argv, false, false)
}

/// HPERSIST key FIELDS numfields field...: 1 if the TTL was removed, -1 if
/// the field had none, -2 if it does not exist.
pub fn hpersist(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let cmd = ctx.cmd;
    let name = cmd.full_name.as_str();
    let mut h = write_hash(&mut ctx.ks, argv.get(1))?;
    let (first, n) = fields_block(argv, 2, NUMFIELDS_POSITIVE, name)?;
    let out = &mut *ctx.out;
    out.array(n);
    let mut changed = false;
    for i in first..first + n {
        let r = h.as_mut().map_or(Persist::NoField, |h| h.persist(argv.get(i)));
        changed |= r == Persist::Done;
        out.int(r as i64);
    }
    if changed {
        ctx.ks.dirty += 1;
        ctx.ks.notify(HASH, "hpersist", argv.get(1));
    }
    Ok(())
}
