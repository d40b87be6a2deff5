//! SPOP and SRANDMEMBER. Which members come out is random; what is not
//! random follows Redis: the reply types (SPOP with a count replies with a
//! set, SRANDMEMBER with an array), the "whole set" cases, the dirty
//! count, and the encoding the key has afterwards (SPOP keeping only a few
//! members rebuilds the set as Redis does, which can change its encoding).

use super::{limits, rand64, reply_member, set_of, set_of_mut};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NOT_ALLOWED_NEGATIVE, NOT_INTEGER, SYNTAX};
use crate::notify::class::{GENERIC, SET};
use crate::util::parse_i64;
use moon_resp::Argv;
use moon_store::set::{Member, Set};
use std::collections::HashSet;
use std::sync::atomic::Ordering::Relaxed;

/// When the set is more than this many times the members left after SPOP,
/// members are popped one by one; otherwise the few survivors are moved to
/// a fresh set (Redis' SPOP_MOVE_STRATEGY_MUL).
const SPOP_MOVE_STRATEGY_MUL: usize = 5;
/// When the set is at most this many times the requested count,
/// SRANDMEMBER shuffles a copy instead of sampling (Redis' constant).
const SRANDMEMBER_SUB_STRATEGY_MUL: usize = 3;

/// Pick `k` of `n` positions uniformly, in ascending order (selection
/// sampling: one pass, as Redis' lpNextRandom walks a listpack).
fn sample_mask(n: usize, k: usize) -> Vec<bool> {
    let mut mask = vec![false; n];
    let mut need = k;
    for (i, slot) in mask.iter_mut().enumerate() {
        if need == 0 {
            break;
        }
        if (rand64() % (n - i) as u64) < need as u64 {
            *slot = true;
            need -= 1;
        }
    }
    mask
}

pub fn spop(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    match argv.len() {
        3 => return spop_count(ctx, argv),
        n if n > 3 => return Err(SYNTAX),
        _ => {}
    }
    let key = argv.get(1);
    let Some(e) = ctx.ks.write(key) else {
        ctx.out.null();
        return Ok(());
    };
    let s = set_of_mut(e)?;
    let m = s.pop_random(rand64).unwrap_or_default();
    let emptied = s.is_empty();
    ctx.out.bulk(&m);
    let dirty = ctx.ks.dirty;
    ctx.notify(SET, "spop", key);
    ctx.ks.propagate(&[b"SREM", key, &m]);
    if emptied {
        ctx.ks.remove(key);
        ctx.notify(GENERIC, "del", key);
    }
    ctx.ks.dirty = dirty + 1;
    Ok(())
}

fn spop_count(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let count = parse_i64(argv.get(2)).filter(|&v| v >= 0).ok_or(NOT_ALLOWED_NEGATIVE)? as u64;
    let key = argv.get(1);
    let lim = limits(ctx);
    let dirty = ctx.ks.dirty;
    let journal = ctx.ks.journal.on;
    let Some(e) = ctx.ks.write(key) else {
        ctx.out.set(0);
        return Ok(());
    };
    let s = set_of_mut(e)?;
    if count == 0 {
        ctx.out.set(0);
        return Ok(());
    }
    let size = s.len();
    if count >= size as u64 {
        // Everything goes: Redis replies through its union code, whose
        // order is the intset's for an intset and a fresh hash table's
        // (unspecified) otherwise.
        ctx.out.set(size);
        for m in s.iter() {
            reply_member(ctx.out, m);
        }
        ctx.ks.remove(key);
        ctx.notify(SET, "spop", key);
        ctx.notify(GENERIC, "del", key);
        ctx.ks.dirty = dirty + size as u64;
        ctx.ks.propagate(&[b"DEL", key]);
        return Ok(());
    }
    let count = count as usize;
    let remaining = size - count;
    ctx.out.set(count);
    // The members taken, for the journal's SREMs (only while it is on).
    let mut popped: Vec<Vec<u8>> = Vec::new();
    let mut note = |m: &[u8]| {
        if journal {
            popped.push(m.to_vec());
        }
    };
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        if let Set::Pack(_) = s {
            let mask = sample_mask(size, count);
            for (m, &take) in s.iter().zip(&mask) {
                if take {
                    reply_member(ctx.out, m);
                    note(m.bytes(&mut [0; 20]));
                }
            }
            s.retain_positions(|i| !mask[i]);
        } else {
            for _ in 0..count {
                let m = s.pop_random(rand64).unwrap_or_default();
                ctx.out.bulk(&m);
                note(&m);
            }
        }
    } else {
        // Few survivors: move them to a new set and reply with the rest.
        // The new set starts as an intset for an intset, else a listpack,
        // and grows by the usual rules, so the encoding can change.
        let mut keep = match s {
            Set::Ints(_) => Set::new_intset(),
            _ => Set::new_listpack(),
        };
        if let Set::Pack(_) = s {
            let mask = sample_mask(size, remaining);
            for (m, &k) in s.iter().zip(&mask) {
                if k {
                    keep.add(m.bytes(&mut [0; 20]), &lim);
                }
            }
            s.retain_positions(|i| !mask[i]);
        } else {
            for _ in 0..remaining {
                let m = s.pop_random(rand64).unwrap_or_default();
                keep.add(&m, &lim);
            }
        }
        for m in s.iter() {
            reply_member(ctx.out, m);
            note(m.bytes(&mut [0; 20]));
        }
        *s = keep;
    }
    ctx.ks.dirty = dirty + count as u64;
    ctx.notify(SET, "spop", key);
    // In SREMs of at most 1024 members, as Redis batches them.
    for chunk in popped.chunks(1024) {
        let mut args: Vec<&[u8]> = vec![b"SREM", key];
        args.extend(chunk.iter().map(Vec::as_slice));
        ctx.ks.propagate(&args);
    }
    Ok(())
}

pub fn srandmember(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    match argv.len() {
        3 => return srandmember_count(ctx, argv),
        n if n > 3 => return Err(SYNTAX),
        _ => {}
    }
    let Some(e) = ctx.ks.read(argv.get(1)) else {
        ctx.out.null();
        return Ok(());
    };
    match set_of(e)?.random(rand64) {
        Some(m) => reply_member(ctx.out, m),
        None => ctx.out.null(),
    }
    Ok(())
}

/// How big one reply may grow before the client is disconnected: the
/// normal class's hard output limit, or 256 MB when none is set (Redis
/// would keep going until memory runs out).
fn reply_cap(ctx: &Ctx) -> usize {
    let hard = ctx.srv.config.hot.obuf_normal[0].load(Relaxed);
    if hard > 0 {
        hard as usize
    } else {
        256 << 20
    }
}

fn srandmember_count(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let l = parse_i64(argv.get(2)).ok_or(NOT_INTEGER)?;
    if l == i64::MIN {
        return Err(CmdError::err("value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
    }
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    let cap = reply_cap(ctx);
    let Some(e) = ctx.ks.read(argv.get(1)) else {
        ctx.out.array(0);
        return Ok(());
    };
    let s = set_of(e)?;
    if count == 0 {
        ctx.out.array(0);
        return Ok(());
    }
    if !uniq || count == 1 {
        // With repetitions: the reply size is the client's number, not the
        // set's, so watch it.
        let start = ctx.out.buf.len();
        ctx.out.array(count as usize);
        for i in 0..count {
            match s.random(rand64) {
                Some(m) => reply_member(ctx.out, m),
                None => ctx.out.null(),
            }
            if i % 1024 == 1023 && ctx.out.buf.len() - start > cap {
                ctx.out.buf.truncate(start);
                ctx.conn.action = Some(crate::client::Action::Close);
                return Ok(());
            }
        }
        return Ok(());
    }
    let size = s.len();
    if count >= size as u64 {
        ctx.out.array(size);
        for m in s.iter() {
            reply_member(ctx.out, m);
        }
        return Ok(());
    }
    let count = count as usize;
    ctx.out.array(count);
    if let Set::Pack(_) = s {
        // Distinct members in listpack order, as Redis samples a listpack.
        let mask = sample_mask(size, count);
        for (m, &take) in s.iter().zip(&mask) {
            if take {
                reply_member(ctx.out, m);
            }
        }
    } else if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        // Most of the set: shuffle a copy of the references.
        let mut all: Vec<Member> = s.iter().collect();
        for i in 0..count {
            let j = i + (rand64() % (size - i) as u64) as usize;
            all.swap(i, j);
            reply_member(ctx.out, all[i]);
        }
    } else {
        // A small part of a big set: random picks until enough distinct.
        let mut seen = HashSet::with_capacity(count);
        while seen.len() < count {
            let Some(m) = s.random(rand64) else { break };
            if seen.insert(m) {
                reply_member(ctx.out, m);
            }
        }
    }
    Ok(())
}
