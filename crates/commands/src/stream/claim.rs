//! XCLAIM and XAUTOCLAIM: move pending entries to another consumer.

use super::id::{range_start, strict_id};
use super::journal::GroupEffects;
use super::pending::nogroup;
use super::{reply, sread_mut};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::util::{is_opt, parse_i64};
use moon_resp::Argv;
use moon_store::stream::{Group, Stream, StreamId};

fn int_or(arg: &[u8], msg: &'static str) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(CmdError::fixed(msg))
}

/// The stream and its group (removed from the stream while it is worked
/// on, so entries can be read alongside; put back by the caller).
fn take_group(s: &mut Stream, name: &[u8]) -> Option<Group> {
    s.groups.remove(name)
}

pub fn xclaim(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (key, gname, cname) = (argv.get(1), argv.get(2), argv.get(3));
    let now = ctx.now();
    let Some(s) = sread_mut(&mut ctx.ks, key)?.filter(|s| s.group(gname).is_some()) else { return Err(nogroup(key, gname)) };
    let minidle = int_or(argv.get(4), "ERR Invalid min-idle-time argument for XCLAIM")?.max(0);
    let argc = argv.len();
    let mut j = 5;
    while j < argc && strict_id(argv.get(j)).is_ok() {
        j += 1;
    }
    let last_id_arg = j;
    let (mut force, mut justid, mut retrycount, mut deliverytime, mut last_id) = (false, false, -1i64, -1i64, StreamId::MIN);
    while j < argc {
        let more = argc - 1 - j;
        let opt = argv.get(j);
        if is_opt(opt, "FORCE") {
            force = true;
        } else if is_opt(opt, "JUSTID") {
            justid = true;
        } else if is_opt(opt, "IDLE") && more > 0 {
            j += 1;
            deliverytime = now.wrapping_sub(int_or(argv.get(j), "ERR Invalid IDLE option argument for XCLAIM")?);
        } else if is_opt(opt, "TIME") && more > 0 {
            j += 1;
            deliverytime = int_or(argv.get(j), "ERR Invalid TIME option argument for XCLAIM")?;
        } else if is_opt(opt, "RETRYCOUNT") && more > 0 {
            j += 1;
            retrycount = int_or(argv.get(j), "ERR Invalid RETRYCOUNT option argument for XCLAIM")?;
        } else if is_opt(opt, "LASTID") && more > 0 {
            j += 1;
            last_id = strict_id(argv.get(j))?;
        } else {
            return Err(CmdError::err(format!("Unrecognized XCLAIM option '{}'", String::from_utf8_lossy(opt))));
        }
        j += 1;
    }
    let mut g = take_group(s, gname).expect("group checked above");
    let mut dirty = 0u64;
    let advanced = last_id > g.last_id;
    if advanced {
        g.last_id = last_id;
        dirty += 1;
    }
    if deliverytime == -1 || deliverytime < 0 || deliverytime > now {
        deliverytime = now;
    }
    let created = g.create_consumer(cname, now);
    if let Some(c) = g.consumer_mut(cname) {
        c.seen_time = now;
    }
    let mut effects = GroupEffects { created_consumer: created, ..Default::default() };
    let d = ctx.out.defer();
    let mut n = 0;
    for i in 5..last_id_arg {
        let Ok(id) = strict_id(argv.get(i)) else { continue };
        let pending = g.pel.get(&id).cloned();
        if !s.contains(id) {
            if pending.is_some() {
                g.ack(id);
                effects.dropped.push(id);
                dirty += 1;
            }
            continue;
        }
        let (old_count, had_owner) = match &pending {
            Some(nack) => {
                if minidle != 0 && now - nack.delivery_time < minidle {
                    continue;
                }
                (nack.delivery_count, true)
            }
            None if force => (1, false),
            None => continue,
        };
        let _ = had_owner;
        let count = if retrycount >= 0 {
            retrycount as u64
        } else if !justid {
            old_count + 1
        } else {
            old_count
        };
        g.assign(id, cname, deliverytime, count);
        effects.claim(&g, id);
        if justid {
            reply::id(ctx.out, id);
        } else if let Some(e) = s.get(id) {
            reply::entry(ctx.out, &e);
        }
        n += 1;
        if let Some(c) = g.consumer_mut(cname) {
            c.active_time = now;
        }
        dirty += 1;
    }
    ctx.out.end_array(d, n);
    let last = g.last_id;
    s.groups.insert(gname.to_vec(), g);
    ctx.ks.dirty += dirty;
    // With nothing claimed, a LASTID that moved the group still needs a
    // record: a claim of 0-0 (never pending) carries it.
    let lastid_only = advanced && effects.claimed.is_empty();
    effects.journal(&mut ctx.ks, key, gname, cname, last);
    if lastid_only {
        let l = last.to_string();
        ctx.ks.propagate(&[b"XCLAIM", key, gname, cname, b"0", b"0-0", b"LASTID", l.as_bytes()]);
    }
    if created {
        ctx.notify(crate::notify::class::STREAM, "xgroup-createconsumer", argv.get(1));
    }
    Ok(())
}

pub fn xautoclaim(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (key, gname, cname) = (argv.get(1), argv.get(2), argv.get(3));
    let now = ctx.now();
    let minidle = int_or(argv.get(4), "ERR Invalid min-idle-time argument for XAUTOCLAIM")?.max(0);
    let start = range_start(argv.get(5))?;
    let (mut count, mut justid) = (100i64, false);
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if is_opt(argv.get(j), "COUNT") && more > 0 {
            const MAX_COUNT: i64 = i64::MAX / 16;
            count = parse_i64(argv.get(j + 1)).filter(|c| (1..=MAX_COUNT).contains(c)).ok_or(CmdError::fixed("ERR COUNT must be > 0"))?;
            j += 1;
        } else if is_opt(argv.get(j), "JUSTID") {
            justid = true;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let Some(s) = sread_mut(&mut ctx.ks, key)?.filter(|s| s.group(gname).is_some()) else { return Err(nogroup(key, gname)) };
    let mut g = take_group(s, gname).expect("group checked above");
    let mut dirty = 0u64;
    let created = g.create_consumer(cname, now);
    if let Some(c) = g.consumer_mut(cname) {
        c.seen_time = now;
    }
    let mut effects = GroupEffects { created_consumer: created, ..Default::default() };
    let mut attempts = count.saturating_mul(10);
    let mut deleted = Vec::new();
    let out = &mut *ctx.out;
    out.array(3);
    // The cursor goes first but is known last: claim into a side buffer.
    let mut body = moon_resp::Out { buf: Vec::new(), proto: out.proto };
    let mut n = 0;
    let mut cursor = start;
    let mut next: Option<StreamId> = None;
    loop {
        if attempts == 0 || count == 0 {
            next = g.pel.range(cursor..).next().map(|(k, _)| *k);
            break;
        }
        attempts -= 1;
        let Some((&id, nack)) = g.pel.range(cursor..).next() else { break };
        cursor = match id.next() {
            Some(c) => c,
            None => StreamId::MAX,
        };
        let last = id == StreamId::MAX;
        if !s.contains(id) {
            g.ack(id);
            effects.dropped.push(id);
            deleted.push(id);
            count -= 1;
            dirty += 1;
        } else if minidle == 0 || now - nack.delivery_time >= minidle {
            let dc = if justid { nack.delivery_count } else { nack.delivery_count + 1 };
            g.assign(id, cname, now, dc);
            effects.claim(&g, id);
            if justid {
                reply::id(&mut body, id);
            } else if let Some(e) = s.get(id) {
                reply::entry(&mut body, &e);
            }
            n += 1;
            count -= 1;
            dirty += 1;
        }
        if last {
            break;
        }
    }
    reply::id(out, next.unwrap_or(StreamId::MIN));
    out.array(n);
    out.raw(&body.buf);
    out.array(deleted.len());
    for id in deleted {
        reply::id(out, id);
    }
    if n > 0 {
        if let Some(c) = g.consumer_mut(cname) {
            c.active_time = now;
        }
    }
    let last = g.last_id;
    s.groups.insert(gname.to_vec(), g);
    ctx.ks.dirty += dirty;
    effects.journal(&mut ctx.ks, key, gname, cname, last);
    if created {
        ctx.notify(crate::notify::class::STREAM, "xgroup-createconsumer", argv.get(1));
    }
    Ok(())
}
