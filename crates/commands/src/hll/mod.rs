//! The HyperLogLog command family: PFADD PFCOUNT PFMERGE PFDEBUG
//! PFSELFTEST. A HyperLogLog is a string in Redis' exact format (see
//! `sketch`); the commands edit it as a boxed raw string, as Redis
//! unshares the value before writing.

mod selftest;
pub mod sketch;
#[cfg(test)]
mod tests;

use crate::ctx::{str_of, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::spec::{cat, cmd, flag::*, kf, CommandDef, KeySpec};
use crate::string::raw_mut;
use moon_resp::Argv;
use moon_store::{Entry, Object};
use sketch::{Corrupt, REGISTERS};
use std::sync::atomic::Ordering;

const H: u64 = cat::HYPERLOGLOG;
const G: &str = "hyperloglog";

pub static COMMANDS: &[CommandDef] = &[
    cmd("pfadd", -2, WRITE | DENYOOM | FAST, H, &[KeySpec::single(1, kf::RW | kf::INSERT)], pfadd, G),
    cmd("pfcount", -2, READONLY | MAY_REPLICATE, H, &[KeySpec::range(1, -1, 1, kf::RW | kf::ACCESS)], pfcount, G),
    cmd(
        "pfmerge",
        -2,
        WRITE | DENYOOM,
        H,
        &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::INSERT), KeySpec::range(2, -1, 1, kf::RO | kf::ACCESS)],
        pfmerge,
        G,
    ),
    cmd("pfdebug", 3, WRITE | DENYOOM | ADMIN, H, &[KeySpec::single(2, kf::RW | kf::ACCESS)], pfdebug, G),
    cmd("pfselftest", 1, ADMIN, H, &[], selftest::pfselftest, G),
];

const NOT_HLL: CmdError = CmdError::fixed("WRONGTYPE Key is not a valid HyperLogLog string value.");
const CORRUPT: CmdError = CmdError::fixed("INVALIDOBJ Corrupted HLL object detected");

impl From<Corrupt> for CmdError {
    fn from(_: Corrupt) -> CmdError {
        CORRUPT
    }
}

fn sparse_max(ctx: &Ctx) -> usize {
    ctx.srv.config.hot.hll_sparse_max_bytes.load(Ordering::Relaxed).max(0) as usize
}

/// The HyperLogLog bytes of an entry, or the error Redis gives for a
/// non-string or a string that is not a HyperLogLog.
fn hll_of(e: &Entry) -> Result<&[u8], CmdError> {
    let v = str_of(e)?;
    if sketch::looks_valid(v) {
        Ok(v)
    } else {
        Err(NOT_HLL)
    }
}

/// The HyperLogLog at an existing entry, checked and made writable.
fn hll_mut(e: &mut Entry) -> Result<&mut Vec<u8>, CmdError> {
    hll_of(e)?;
    raw_mut(e, 0)
}

/// Create an empty HyperLogLog at `key`. Redis adds the key without
/// counting a change; the command counts its own.
fn create(ctx: &mut Ctx, key: &[u8]) {
    ctx.ks.insert(Entry::new_obj(key, Object::Str(sketch::new_sparse()), None));
    ctx.ks.dirty -= 1;
}

pub fn pfadd(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let max = sparse_max(ctx);
    let mut updated = 0u64;
    match ctx.ks.write(key) {
        Some(e) => {
            hll_of(e)?;
        }
        None => {
            create(ctx, key);
            updated += 1;
        }
    }
    let e = ctx.ks.write(key).ok_or(crate::error::NO_SUCH_KEY)?;
    let v = raw_mut(e, 0)?;
    for i in 2..argv.len() {
        if sketch::add(v, argv.get(i), max)? {
            updated += 1;
        }
    }
    if updated > 0 {
        sketch::invalidate(v);
        ctx.ks.dirty += updated;
        ctx.notify(crate::notify::class::STRING, "pfadd", key);
    }
    ctx.out.int((updated > 0) as i64);
    Ok(())
}

pub fn pfcount(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.len() > 2 {
        // The cardinality of the union, computed on the side: no key changes.
        let mut max = [0u8; REGISTERS];
        for i in 1..argv.len() {
            let Some(e) = ctx.ks.read(argv.get(i)) else { continue };
            sketch::merge_into(&mut max, hll_of(e)?)?;
        }
        ctx.out.int(sketch::estimate(&sketch::raw_histogram(&max)) as i64);
        return Ok(());
    }
    let Some(e) = ctx.ks.read(argv.get(1)) else {
        ctx.out.int(0);
        return Ok(());
    };
    let v = hll_mut(e)?;
    let card = match sketch::cached(v) {
        Some(c) => c,
        None => {
            let c = sketch::estimate(&sketch::histogram(v)?);
            // The cache lives in the value: refreshing it is a write that
            // Redis propagates (hence MAY_REPLICATE and the RW key spec).
            sketch::set_cached(v, c);
            ctx.ks.dirty += 1;
            c
        }
    };
    ctx.out.int(card as i64);
    Ok(())
}

pub fn pfmerge(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let dest = argv.get(1);
    let mut max = [0u8; REGISTERS];
    let mut dense = false;
    // The destination is one of the inputs.
    for i in 1..argv.len() {
        let Some(e) = ctx.ks.read(argv.get(i)) else { continue };
        let v = hll_of(e)?;
        dense |= !sketch::is_sparse(v);
        sketch::merge_into(&mut max, v)?;
    }
    let limit = sparse_max(ctx);
    if ctx.ks.write(dest).is_none() {
        create(ctx, dest);
    }
    let e = ctx.ks.write(dest).ok_or(crate::error::NO_SUCH_KEY)?;
    let v = raw_mut(e, 0)?;
    if dense {
        sketch::to_dense(v)?;
    }
    for (j, &m) in max.iter().enumerate() {
        if m != 0 {
            // As in Redis, a corrupt destination is not reported here (it
            // was already checked as an input).
            let _ = sketch::raise(v, j, m, limit);
        }
    }
    sketch::invalidate(v);
    ctx.ks.dirty += 1;
    ctx.notify(crate::notify::class::STRING, "pfadd", dest);
    ctx.out.ok();
    Ok(())
}

pub fn pfdebug(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let sub = argv.get(1);
    let Some(e) = ctx.ks.write(argv.get(2)) else {
        return Err(CmdError::err("The specified key does not exist"));
    };
    let v = hll_mut(e)?;
    // An encoding change is a write Redis propagates.
    let mut converted = false;
    if crate::util::is_opt(sub, "getreg") {
        if sketch::is_sparse(v) {
            sketch::to_dense(v)?;
            converted = true;
        }
        let regs = &v[sketch::HDR..];
        ctx.out.array(REGISTERS);
        for i in 0..REGISTERS {
            ctx.out.int(sketch::dense_get(regs, i) as i64);
        }
    } else if crate::util::is_opt(sub, "decode") {
        if !sketch::is_sparse(v) {
            return Err(CmdError::err("HLL encoding is not sparse"));
        }
        ctx.out.bulk(sketch::decode(v).as_bytes());
    } else if crate::util::is_opt(sub, "encoding") {
        ctx.out.simple(if sketch::is_sparse(v) { "sparse" } else { "dense" });
    } else if crate::util::is_opt(sub, "todense") {
        converted = sketch::is_sparse(v);
        if converted {
            sketch::to_dense(v)?;
        }
        ctx.out.int(converted as i64);
    } else {
        let name = &sub[..sub.iter().position(|&c| c == 0).unwrap_or(sub.len())];
        return Err(CmdError::err(format_args!("Unknown PFDEBUG subcommand '{}'", String::from_utf8_lossy(name))));
    }
    ctx.ks.dirty += converted as u64;
    Ok(())
}
