//! DUMP and RESTORE, with Redis' payload layout so values move between
//! Redis and Moon in both directions.

use super::{access_info, limits, save_opts};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::util::{eq_ic, parse_i64};
use moon_persist::{dump, file};
use moon_resp::Argv;

pub fn dump(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let opts = save_opts(ctx.srv);
    let Some(e) = ctx.ks.read(argv.get(1)) else {
        ctx.out.null();
        return Ok(());
    };
    let payload = dump::create(e.value(), opts).map_err(|x| CmdError::err(x.0))?;
    ctx.out.bulk(&payload);
    Ok(())
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f].
pub fn restore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<u64>, Option<u8>) = (None, None);
    let mut i = 4;
    while i < argv.len() {
        let opt = argv.get(i);
        let more = i + 1 < argv.len();
        if eq_ic(opt, "replace") {
            replace = true;
        } else if eq_ic(opt, "absttl") {
            absttl = true;
        } else if eq_ic(opt, "idletime") && more && freq.is_none() {
            let v = parse_i64(argv.get(i + 1)).ok_or(NOT_INTEGER)?;
            if v < 0 {
                return Err(CmdError::fixed("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v as u64);
            i += 1;
        } else if eq_ic(opt, "freq") && more && idle.is_none() {
            let v = parse_i64(argv.get(i + 1)).ok_or(NOT_INTEGER)?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::fixed("ERR Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = Some(v as u8);
            i += 1;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    let key = argv.get(1);
    if !replace && ctx.ks.exists(key) {
        return Err(CmdError::fixed("BUSYKEY Target key name already exists."));
    }
    let mut ttl = parse_i64(argv.get(2)).ok_or(NOT_INTEGER)?;
    if ttl < 0 {
        return Err(CmdError::fixed("ERR Invalid TTL value, must be >= 0"));
    }
    let payload = argv.get(3);
    if !dump::verify(payload) {
        return Err(CmdError::fixed("ERR DUMP payload version or checksum are wrong"));
    }
    let now = ctx.now();
    let value = match dump::parse(payload, &limits(ctx.srv), now) {
        Ok(Some(v)) => v,
        _ => return Err(CmdError::fixed("ERR Bad data format")),
    };
    if ttl > 0 && !absttl {
        ttl = ttl.saturating_add(now);
    }
    // Redis counts one change for the whole replacement.
    let removed = replace && ctx.ks.remove(key).is_some();
    if ttl > 0 && ttl <= now && !moon_store::clock::loading() {
        // Already expired: the key is only deleted (if REPLACE found one).
        if removed {
            ctx.notify(crate::notify::class::GENERIC, "del", key);
            ctx.ks.propagate(&[b"DEL", key]);
        }
        ctx.out.ok();
        return Ok(());
    }
    if ttl > 0 && !absttl {
        // Journaled with the absolute time, as Redis rewrites it.
        let abs = itoa::Buffer::new().format(ttl).as_bytes().to_vec();
        let mut args: Vec<&[u8]> = argv.iter().collect();
        args[2] = &abs;
        args.push(b"ABSTTL");
        ctx.ks.propagate(&args);
    }
    let mut e = file::make_entry(key, value, (ttl > 0).then_some(ttl));
    file::apply_access(&mut e, access_info(ctx.srv), idle, freq, now);
    ctx.ks.insert(e);
    if removed {
        ctx.ks.dirty -= 1;
    }
    ctx.notify(crate::notify::class::GENERIC, "restore", key);
    ctx.out.ok();
    Ok(())
}
