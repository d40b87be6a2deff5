//! Redis 8.0's combined commands: HGETDEL HGETEX HSETEX.

use super::ttl::parse_expire;
use super::{fields_block, insert_new, is_kw, limits, propagate_fields, settle, write_hash, NUMFIELDS_POSITIVE};
use crate::ctx::Ctx;
use crate::error::{arity, CmdError, CmdResult};
use crate::notify::class::{GENERIC, HASH};
use crate::util::parse_i64;
use moon_resp::Argv;
use moon_store::hash::{ExpireCond, Hash, Persist, SetTtl};

/// HGETDEL key FIELDS numfields field...: each value (or nil), deleting
/// the fields; a hash left empty is deleted.
pub fn hgetdel(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let cmd = ctx.cmd;
    let h = write_hash(&mut ctx.ks, key)?;
    let (first, n) = fields_block(argv, 2, NUMFIELDS_POSITIVE, &cmd.full_name)?;
    let out = &mut *ctx.out;
    out.array(n);
    let Some(h) = h else {
        for _ in 0..n {
            out.null();
        }
        return Ok(());
    };
    let mut deleted = Vec::new();
    for i in first..first + n {
        let f = argv.get(i);
        match h.get(f) {
            Some(v) => out.bulk(v),
            None => {
                out.null();
                continue;
            }
        }
        h.remove(f);
        deleted.push(f);
    }
    if !deleted.is_empty() {
        ctx.ks.notify(HASH, "hdel", key);
        settle(&mut ctx.ks, key);
        ctx.ks.dirty += deleted.len() as u64;
        propagate_fields(&mut ctx.ks, b"HDEL", key, &[], &deleted);
    }
    Ok(())
}

enum GetEx {
    Get,
    Persist,
    ExpireAt(i64),
}

/// HGETEX key [EX s | PX ms | EXAT t | PXAT t | PERSIST] FIELDS numfields
/// field...: each value (or nil), updating the TTL of the fields found.
pub fn hgetex(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let now = ctx.now();
    let cmd = ctx.cmd;
    let name = cmd.full_name.as_str();
    let h = write_hash(&mut ctx.ks, key)?;
    let opt = argv.get(2);
    let timed = [("EX", true, true), ("PX", false, true), ("EXAT", true, false), ("PXAT", false, false)]
        .into_iter()
        .find(|(kw, ..)| is_kw(opt, kw));
    let (mode, fields_at) = match timed {
        Some((_, seconds, relative)) => (GetEx::ExpireAt(parse_expire(argv.get(3), seconds, if relative { now } else { 0 }, name)?), 4),
        None if is_kw(opt, "PERSIST") => (GetEx::Persist, 3),
        None => (GetEx::Get, 2),
    };
    let (first, n) = fields_block(argv, fields_at, NUMFIELDS_POSITIVE, name)?;
    let out = &mut *ctx.out;
    out.array(n);
    let Some(h) = h else {
        for _ in 0..n {
            out.null();
        }
        return Ok(());
    };
    if !matches!(mode, GetEx::Get) {
        h.track_ttls();
    }
    let mut changed = Vec::new();
    for i in first..first + n {
        let f = argv.get(i);
        match h.get(f) {
            Some(v) => out.bulk(v),
            None => {
                out.null();
                continue;
            }
        }
        let done = match mode {
            GetEx::Get => false,
            GetEx::Persist => h.persist(f) == Persist::Done,
            GetEx::ExpireAt(at) => h.set_expire(f, at, ExpireCond::Always, now) != SetTtl::NotMet,
        };
        if done {
            changed.push(f);
        }
    }
    // Journaled as what happened to the fields it changed.
    let at_text;
    let (cmd, pre): (&[u8], Vec<&[u8]>) = match mode {
        GetEx::Persist => (b"HPERSIST", vec![]),
        GetEx::ExpireAt(at) if at <= now => (b"HDEL", vec![]),
        GetEx::ExpireAt(at) => {
            at_text = itoa::Buffer::new().format(at).as_bytes().to_vec();
            (b"HPEXPIREAT", vec![&at_text[..]])
        }
        GetEx::Get => (b"", vec![]),
    };
    if !cmd.is_empty() {
        propagate_fields(&mut ctx.ks, cmd, key, &pre, &changed);
    }
    let changed = changed.len() as u64;
    if changed > 0 {
        let event = match mode {
            GetEx::Persist => "hpersist",
            GetEx::ExpireAt(at) if at <= now => "hdel",
            _ => "hexpire",
        };
        ctx.ks.notify(HASH, event, key);
    }
    settle(&mut ctx.ks, key);
    ctx.ks.dirty += changed;
    Ok(())
}

const ONE_EXPIRY: &str = "Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified";

struct SetEx {
    fnx: bool,
    fxx: bool,
    keepttl: bool,
    expire_at: Option<i64>,
    first: usize,
    n: usize,
}

/// HSETEX's options, parsed before the key is looked at (Redis' order).
fn parse_hsetex(argv: &Argv, now: i64, name: &str) -> Result<SetEx, CmdError> {
    let argc = argv.len();
    let mut o = SetEx { fnx: false, fxx: false, keepttl: false, expire_at: None, first: 0, n: 0 };
    let mut i = 2;
    while i < argc {
        let a = argv.get(i);
        if is_kw(a, "FIELDS") {
            // At least numfields and one pair must follow.
            if i + 3 >= argc {
                return Err(arity(name));
            }
            let n = parse_i64(argv.get(i + 1))
                .filter(|n| (1..=i32::MAX as i64).contains(n))
                .ok_or_else(|| CmdError::err("invalid number of fields"))?;
            let remaining = argc - i - 2;
            if !remaining.is_multiple_of(2) || n as usize != remaining / 2 {
                return Err(arity(name));
            }
            o.first = i + 2;
            o.n = n as usize;
            return Ok(o);
        }
        let timed = [("EX", true, true), ("PX", false, true), ("EXAT", true, false), ("PXAT", false, false)]
            .into_iter()
            .find(|(kw, ..)| is_kw(a, kw));
        if let Some((_, seconds, relative)) = timed {
            if o.expire_at.is_some() || o.keepttl {
                return Err(CmdError::err(ONE_EXPIRY));
            }
            if i + 1 >= argc {
                return Err(CmdError::err("missing expire time"));
            }
            i += 1;
            o.expire_at = Some(parse_expire(argv.get(i), seconds, if relative { now } else { 0 }, name)?);
        } else if is_kw(a, "KEEPTTL") {
            if o.expire_at.is_some() || o.keepttl {
                return Err(CmdError::err(ONE_EXPIRY));
            }
            o.keepttl = true;
        } else if is_kw(a, "FXX") || is_kw(a, "FNX") {
            if o.fxx || o.fnx {
                return Err(CmdError::err("Only one of FXX or FNX arguments can be specified"));
            }
            if is_kw(a, "FXX") {
                o.fxx = true;
            } else {
                o.fnx = true;
            }
        } else {
            let end = a.iter().position(|&c| c == 0).unwrap_or(a.len());
            return Err(CmdError::err(format!("unknown argument: {}", String::from_utf8_lossy(&a[..end]))));
        }
        i += 1;
    }
    // Unreachable at HSETEX's arity (every option sequence without FIELDS
    // runs into an error above), kept as an answer rather than a panic.
    Err(arity(name))
}

/// Apply HSETEX to `h`; false if FNX/FXX stopped it.
fn apply_setex(h: &mut Hash, argv: &Argv, o: &SetEx, lim: moon_store::hash::Limits, now: i64) -> bool {
    let mut fields = (0..o.n).map(|k| argv.get(o.first + 2 * k));
    if (o.fxx && !fields.all(|f| h.contains(f))) || (o.fnx && fields.any(|f| h.contains(f))) {
        return false;
    }
    h.prepare(o.n, (o.first..argv.len()).map(|i| argv.get(i).len()), lim);
    if o.expire_at.is_some() {
        h.track_ttls();
    }
    for k in 0..o.n {
        let (f, v) = (argv.get(o.first + 2 * k), argv.get(o.first + 2 * k + 1));
        h.set(f, v, o.keepttl || o.expire_at.is_some(), lim);
        if let Some(at) = o.expire_at {
            h.set_expire(f, at, ExpireCond::Always, now);
        }
    }
    h.fit();
    true
}

/// HSETEX key [FNX | FXX] [EX s | PX ms | EXAT t | PXAT t | KEEPTTL] FIELDS
/// numfields field value...: 1 if the fields were set, 0 if FNX/FXX
/// stopped it. Without an expiry option the fields lose their TTLs, as
/// with HSET; a time not in the future deletes them.
/// HSETEX's events: "hset", then "hexpire" (or "hdel" for a time past).
fn setex_events(ks: &mut crate::ctx::KeyAccess, key: &[u8], o: &SetEx, now: i64) {
    ks.notify(HASH, "hset", key);
    match o.expire_at {
        Some(at) if at <= now => ks.notify(HASH, "hdel", key),
        Some(_) => ks.notify(HASH, "hexpire", key),
        None => {}
    }
}

pub fn hsetex(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let now = ctx.now();
    let cmd = ctx.cmd;
    let o = parse_hsetex(argv, now, &cmd.full_name)?;
    let lim = limits(ctx.srv);
    let set = match write_hash(&mut ctx.ks, key)? {
        Some(h) => apply_setex(h, argv, &o, lim, now),
        None if o.fxx => false,
        None => {
            let mut h = Hash::new();
            let set = apply_setex(&mut h, argv, &o, lim, now);
            if !h.is_empty() {
                insert_new(&mut ctx.ks, key, h);
            } else if set {
                // Redis adds the hash, then deletes it with its fields.
                ctx.ks.note_new(key);
                setex_events(&mut ctx.ks, key, &o, now);
                ctx.ks.notify(GENERIC, "del", key);
                ctx.ks.dirty += o.n as u64;
                ctx.out.int(1);
                return Ok(());
            }
            set
        }
    };
    if set {
        ctx.ks.dirty += o.n as u64;
        setex_events(&mut ctx.ks, key, &o, now);
        settle(&mut ctx.ks, key);
        propagate_setex(&mut ctx.ks, key, argv, &o);
    }
    ctx.out.int(set as i64);
    Ok(())
}

/// An HSETEX with an expire time is journaled with the absolute time (and
/// without FNX/FXX, already decided); one without is deterministic as is.
fn propagate_setex(ks: &mut crate::ctx::KeyAccess, key: &[u8], argv: &Argv, o: &SetEx) {
    let Some(at) = o.expire_at else { return };
    let mut b = itoa::Buffer::new();
    let n = o.n.to_string();
    let mut args: Vec<&[u8]> = vec![b"HSETEX", key, b"PXAT", b.format(at).as_bytes(), b"FIELDS", n.as_bytes()];
    args.extend(argv.iter().skip(o.first));
    ks.propagate(&args);
}
