//! Single-field commands: HSET HMSET HSETNX HGET HMGET HDEL HLEN HSTRLEN
//! HEXISTS HINCRBY HINCRBYFLOAT.

use super::{insert_new, limits, read_hash, settle, write_hash};
use crate::ctx::Ctx;
use crate::error::{arity, CmdError, CmdResult, NOT_FLOAT, NOT_INTEGER, OVERFLOW};
use crate::notify::class::HASH;
use crate::string::ldouble::LongDouble;
use crate::util::parse_i64;
use moon_resp::Argv;
use moon_store::hash::{Hash, Limits};

/// Write the pairs argv[2..] into `h`; returns how many fields were new.
fn set_pairs(h: &mut Hash, argv: &Argv, lim: Limits) -> i64 {
    let n = argv.len();
    h.prepare((n - 2) / 2, (2..n).map(|i| argv.get(i).len()), lim);
    let mut created = 0;
    for i in (2..n).step_by(2) {
        created += h.set(argv.get(i), argv.get(i + 1), false, lim) as i64;
    }
    h.fit();
    created
}

/// HSET and HMSET: returns the number of new fields.
fn hset_generic(ctx: &mut Ctx, argv: &Argv) -> Result<i64, CmdError> {
    if argv.len() % 2 == 1 {
        return Err(arity(ctx.name()));
    }
    let key = argv.get(1);
    let lim = limits(ctx.srv);
    let created = match write_hash(&mut ctx.ks, key)? {
        Some(h) => set_pairs(h, argv, lim),
        None => {
            let mut h = Hash::new();
            let n = set_pairs(&mut h, argv, lim);
            insert_new(&mut ctx.ks, key, h);
            n
        }
    };
    ctx.ks.dirty += (argv.len() as u64 - 2) / 2;
    ctx.notify(HASH, "hset", key);
    Ok(created)
}

pub fn hset(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let n = hset_generic(ctx, argv)?;
    ctx.out.int(n);
    Ok(())
}

pub fn hmset(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    hset_generic(ctx, argv)?;
    ctx.out.ok();
    Ok(())
}

pub fn hsetnx(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (key, field, value) = (argv.get(1), argv.get(2), argv.get(3));
    let lim = limits(ctx.srv);
    let set = |h: &mut Hash| {
        h.prepare(1, [field.len(), value.len()].into_iter(), lim);
        h.set(field, value, false, lim);
    };
    match write_hash(&mut ctx.ks, key)? {
        Some(h) if h.contains(field) => {
            ctx.out.int(0);
            return Ok(());
        }
        Some(h) => set(h),
        None => {
            let mut h = Hash::new();
            set(&mut h);
            insert_new(&mut ctx.ks, key, h);
        }
    }
    ctx.ks.dirty += 1;
    ctx.notify(HASH, "hset", key);
    ctx.out.int(1);
    Ok(())
}

pub fn hget(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    match read_hash(&mut ctx.ks, argv.get(1))?.and_then(|h| h.get(argv.get(2))) {
        Some(v) => ctx.out.bulk(v),
        None => ctx.out.null(),
    }
    Ok(())
}

pub fn hmget(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let h = read_hash(&mut ctx.ks, argv.get(1))?;
    let out = &mut *ctx.out;
    out.array(argv.len() - 2);
    for i in 2..argv.len() {
        match h.and_then(|h| h.get(argv.get(i))) {
            Some(v) => out.bulk(v),
            None => out.null(),
        }
    }
    Ok(())
}

pub fn hdel(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let Some(h) = write_hash(&mut ctx.ks, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for i in 2..argv.len() {
        if h.remove(argv.get(i)) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.notify(HASH, "hdel", key);
        settle(&mut ctx.ks, key);
        ctx.ks.dirty += deleted as u64;
    }
    ctx.out.int(deleted);
    Ok(())
}

pub fn hlen(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let n = read_hash(&mut ctx.ks, argv.get(1))?.map_or(0, Hash::len);
    ctx.out.int(n as i64);
    Ok(())
}

pub fn hstrlen(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let n = read_hash(&mut ctx.ks, argv.get(1))?.and_then(|h| h.get(argv.get(2))).map_or(0, <[u8]>::len);
    ctx.out.int(n as i64);
    Ok(())
}

pub fn hexists(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let found = read_hash(&mut ctx.ks, argv.get(1))?.is_some_and(|h| h.contains(argv.get(2)));
    ctx.out.int(found as i64);
    Ok(())
}

/// Run `update` on the current value of the field (None if absent) and
/// store what it returns, keeping the field's TTL; the key is created if
/// needed (Redis creates it before reading the field, so an error leaves an
/// existing hash untouched and never leaves an empty one: a missing field
/// cannot fail).
fn update_field<T>(
    ctx: &mut Ctx,
    key: &[u8],
    field: &[u8],
    update: impl FnOnce(Option<&[u8]>) -> Result<(Vec<u8>, T), CmdError>,
) -> Result<T, CmdError> {
    let lim = limits(ctx.srv);
    let r = match write_hash(&mut ctx.ks, key)? {
        Some(h) => {
            let (new, r) = update(h.get(field))?;
            h.set(field, &new, true, lim);
            r
        }
        None => {
            let (new, r) = update(None)?;
            let mut h = Hash::new();
            h.set(field, &new, true, lim);
            insert_new(&mut ctx.ks, key, h);
            r
        }
    };
    ctx.ks.dirty += 1;
    Ok(r)
}

pub fn hincrby(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let incr = parse_i64(argv.get(3)).ok_or(NOT_INTEGER)?;
    let v = update_field(ctx, argv.get(1), argv.get(2), |cur| {
        let old = match cur {
            Some(s) => parse_i64(s).ok_or_else(|| CmdError::err("hash value is not an integer"))?,
            None => 0,
        };
        let v = old.checked_add(incr).ok_or(OVERFLOW)?;
        Ok((itoa::Buffer::new().format(v).as_bytes().to_vec(), v))
    })?;
    ctx.notify(HASH, "hincrby", argv.get(1));
    ctx.out.int(v);
    Ok(())
}

pub fn hincrbyfloat(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let incr = LongDouble::parse(argv.get(3)).ok_or(NOT_FLOAT)?;
    // A finite number plus zero stays finite: this rejects inf.
    if LongDouble::from_i64(0).checked_add(incr).is_none() {
        return Err(CmdError::err("value is NaN or Infinity"));
    }
    let text = update_field(ctx, argv.get(1), argv.get(2), |cur| {
        let old = match cur {
            Some(s) => LongDouble::parse(s).ok_or_else(|| CmdError::err("hash value is not a float"))?,
            None => LongDouble::from_i64(0),
        };
        let sum = old.checked_add(incr).ok_or_else(|| CmdError::err("increment would produce NaN or Infinity"))?;
        let text = sum.format_human();
        Ok((text.clone(), text))
    })?;
    ctx.notify(HASH, "hincrbyfloat", argv.get(1));
    // The result, not the increment (as Redis 8 journals it).
    ctx.ks.propagate(&[b"HSETEX", argv.get(1), b"KEEPTTL", b"FIELDS", b"1", argv.get(2), &text]);
    ctx.out.bulk(&text);
    Ok(())
}
