//! Whole-hash commands: HGETALL HKEYS HVALS HSCAN HRANDFIELD.

use super::read_hash;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::keys::scan::parse_cursor;
use crate::keys::{scan_options, ScanFamily, ScanOptions};
use crate::util::{glob_match, parse_i64};
use moon_resp::{Argv, Out};
use moon_store::hash::Hash;
use rand::Rng;

fn getall(ctx: &mut Ctx, argv: &Argv, keys: bool, values: bool) -> CmdResult {
    let h = read_hash(&mut ctx.ks, argv.get(1))?;
    let out = &mut *ctx.out;
    let n = h.map_or(0, Hash::len);
    if keys && values {
        out.map(n);
    } else {
        out.array(n);
    }
    for (f, v) in h.into_iter().flat_map(Hash::iter) {
        if keys {
            out.bulk(f);
        }
        if values {
            out.bulk(v);
        }
    }
    Ok(())
}

pub fn hgetall(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    getall(ctx, argv, true, true)
}

pub fn hkeys(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    getall(ctx, argv, true, false)
}

pub fn hvals(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    getall(ctx, argv, false, true)
}

/// HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]. Errors come in
/// Redis' order: the cursor, then the key's type, then the options (so a
/// missing key answers an empty scan whatever the options say).
pub fn hscan(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let cursor = parse_cursor(argv.get(2)).ok_or(CmdError::fixed("ERR invalid cursor"))?;
    let Some(h) = read_hash(&mut ctx.ks, argv.get(1))? else {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    };
    let ScanOptions { count, pattern, novalues, .. } = scan_options(argv, 3, ScanFamily::Hash)?;
    // Items go to a side buffer: the count in the header comes first.
    let mut body = Out { buf: Vec::new(), proto: ctx.out.proto };
    let mut n = 0;
    let next = h.scan(cursor, count, |f, v| {
        if pattern.is_none_or(|p| glob_match(p, f, false)) {
            n += 1;
            body.bulk(f);
            if !novalues {
                body.bulk(v);
            }
        }
    });
    let out = &mut *ctx.out;
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(if novalues { n } else { n * 2 });
    out.raw(&body.buf);
    Ok(())
}

/// Repeated sampling (a negative count) writes one reply element per unit
/// of the count. Redis writes them all, however many; past this many Moon
/// answers an error instead of building a reply of tens of gigabytes.
const MAX_REPEATED_SAMPLES: u64 = 1 << 24;

/// HRANDFIELD key [count [WITHVALUES]].
pub fn hrandfield(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.len() >= 3 {
        let l = parse_i64(argv.get(2)).ok_or(NOT_INTEGER)?;
        if l == i64::MIN {
            return Err(CmdError::err("value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
        }
        if argv.len() > 4 || (argv.len() == 4 && !super::is_kw(argv.get(3), "WITHVALUES")) {
            return Err(SYNTAX);
        }
        let withvalues = argv.len() == 4;
        if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(CmdError::err("value is out of range"));
        }
        return with_count(ctx, argv.get(1), l, withvalues);
    }
    match read_hash(&mut ctx.ks, argv.get(1))?.and_then(|h| h.random(rand::random())) {
        Some((f, _)) => ctx.out.bulk(f),
        None => ctx.out.null(),
    }
    Ok(())
}

/// One reply element: the field, or [field, value] (a nested pair in
/// RESP3, two flat elements in RESP2).
fn emit(out: &mut Out, f: &[u8], v: &[u8], withvalues: bool) {
    if withvalues && out.resp3() {
        out.array(2);
    }
    out.bulk(f);
    if withvalues {
        out.bulk(v);
    }
}

fn with_count(ctx: &mut Ctx, key: &[u8], l: i64, withvalues: bool) -> CmdResult {
    let (count, unique) = if l >= 0 { (l as u64, true) } else { (l.unsigned_abs(), false) };
    if !unique && count > MAX_REPEATED_SAMPLES {
        return Err(CmdError::err("value is out of range"));
    }
    let Some(h) = read_hash(&mut ctx.ks, key)? else {
        ctx.out.array(0);
        return Ok(());
    };
    let out = &mut *ctx.out;
    if count == 0 || h.is_empty() {
        out.array(0);
        return Ok(());
    }
    let mut rng = rand::thread_rng();
    let resp2_pairs = withvalues && !out.resp3();
    let flat = |n: u64| if resp2_pairs { n * 2 } else { n };
    // Repeats allowed: independent draws, in random order.
    if !unique || count == 1 {
        out.array(flat(count) as usize);
        if h.is_compact() {
            let all: Vec<(&[u8], &[u8])> = h.iter().collect();
            for _ in 0..count {
                let (f, v) = all[rng.gen_range(0..all.len())];
                emit(out, f, v, withvalues);
            }
        } else {
            for _ in 0..count {
                if let Some((f, v)) = h.random(rng.gen()) {
                    emit(out, f, v, withvalues);
                }
            }
        }
        return Ok(());
    }
    let size = h.len();
    let n = (count as usize).min(size);
    out.array(flat(n as u64) as usize);
    // The whole hash, in its own order.
    if count as usize >= size {
        for (f, v) in h.iter() {
            emit(out, f, v, withvalues);
        }
        return Ok(());
    }
    // Compact: distinct positions, emitted in the hash's order.
    if h.is_compact() {
        let mut picks = rand::seq::index::sample(&mut rng, size, n).into_vec();
        picks.sort_unstable();
        let mut picks = picks.into_iter().peekable();
        for (i, (f, v)) in h.iter().enumerate() {
            if picks.peek() == Some(&i) {
                picks.next();
                emit(out, f, v, withvalues);
            }
        }
        return Ok(());
    }
    // Most of the hash wanted: drop random pairs from a full list.
    if n * 3 > size {
        let mut all: Vec<(&[u8], &[u8])> = h.iter().collect();
        while all.len() > n {
            let i = rng.gen_range(0..all.len());
            all.swap_remove(i);
        }
        for (f, v) in all {
            emit(out, f, v, withvalues);
        }
        return Ok(());
    }
    // A small part of a big hash: draw until enough distinct fields.
    let mut seen: hashbrown::HashSet<&[u8], foldhash::fast::RandomState> = hashbrown::HashSet::default();
    while seen.len() < n {
        let Some((f, v)) = h.random(rng.gen()) else { break };
        if seen.insert(f) {
            emit(out, f, v, withvalues);
        }
    }
    Ok(())
}
