//! The set command family. Values live in `moon_store::set::Set`, which
//! carries Redis' three encodings and their conversion rules; the commands
//! here add Redis' reply shapes, errors, dirty counting and the encoding
//! choices of the commands that build new sets (SINTERSTORE & co, SPOP).

mod algebra;
mod basic;
mod random;
mod scan;
#[cfg(test)]
mod tests;

use crate::ctx::Ctx;
use crate::error::{CmdError, WRONGTYPE};
use crate::spec::{cat, cmd, flag::*, kf, BeginSearch, CommandDef, FindKeys, KeySpec};
use moon_resp::Out;
use moon_store::set::{Member, Set, SetLimits};
use moon_store::{Entry, Object, ValueRef};
use std::sync::atomic::Ordering::Relaxed;

const S: u64 = cat::SET;
const G: &str = "set";

const RO: &[KeySpec] = &[KeySpec::single(1, kf::RO)];
const RO_ACCESS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS)];
const RO_ACCESS_ALL: &[KeySpec] = &[KeySpec::range(1, -1, 1, kf::RO | kf::ACCESS)];
const STORE: &[KeySpec] = &[KeySpec::single(1, kf::OW | kf::UPDATE), KeySpec::range(2, -1, 1, kf::RO | kf::ACCESS)];

pub static COMMANDS: &[CommandDef] = &[
    cmd("sadd", -3, WRITE | DENYOOM | FAST, S, &[KeySpec::single(1, kf::RW | kf::INSERT)], basic::sadd, G),
    cmd("srem", -3, WRITE | FAST, S, &[KeySpec::single(1, kf::RW | kf::DELETE)], basic::srem, G),
    cmd("scard", 2, READONLY | FAST, S, RO, basic::scard, G),
    cmd("sismember", 3, READONLY | FAST, S, RO, basic::sismember, G),
    cmd("smismember", -3, READONLY | FAST, S, RO_ACCESS, basic::smismember, G),
    cmd("smembers", 2, READONLY, S, RO_ACCESS, basic::smembers, G),
    cmd(
        "smove",
        4,
        WRITE | FAST,
        S,
        &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::DELETE), KeySpec::single(2, kf::RW | kf::INSERT)],
        basic::smove,
        G,
    ),
    cmd("spop", -2, WRITE | FAST, S, &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::DELETE)], random::spop, G),
    cmd("srandmember", -2, READONLY, S, RO_ACCESS, random::srandmember, G),
    cmd("sinter", -2, READONLY, S, RO_ACCESS_ALL, algebra::sinter, G),
    cmd(
        "sintercard",
        -3,
        READONLY,
        S,
        &[KeySpec {
            flags: kf::RO | kf::ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 },
        }],
        algebra::sintercard,
        G,
    ),
    cmd("sinterstore", -3, WRITE | DENYOOM, S, STORE, algebra::sinterstore, G),
    cmd("sunion", -2, READONLY, S, RO_ACCESS_ALL, algebra::sunion, G),
    cmd("sunionstore", -3, WRITE | DENYOOM, S, STORE, algebra::sunionstore, G),
    cmd("sdiff", -2, READONLY, S, RO_ACCESS_ALL, algebra::sdiff, G),
    cmd("sdiffstore", -3, WRITE | DENYOOM, S, STORE, algebra::sdiffstore, G),
    cmd("sscan", -3, READONLY, S, RO_ACCESS, scan::sscan, G),
];

/// The encoding thresholds in force for this command.
fn limits(ctx: &Ctx) -> SetLimits {
    let h = &ctx.srv.config.hot;
    SetLimits::new(h.set_max_intset_entries.load(Relaxed), h.set_max_listpack_entries.load(Relaxed), h.set_max_listpack_value.load(Relaxed))
}

/// The set an entry holds, or WRONGTYPE.
fn set_of(e: &Entry) -> Result<&Set, CmdError> {
    match e.value() {
        ValueRef::Obj(Object::Set(s)) => Ok(s),
        _ => Err(WRONGTYPE),
    }
}

fn set_of_mut(e: &mut Entry) -> Result<&mut Set, CmdError> {
    match e.obj_mut() {
        Some(Object::Set(s)) => Ok(s),
        _ => Err(WRONGTYPE),
    }
}

/// A member as a bulk string (integers of an intset in decimal).
#[inline]
fn reply_member(out: &mut Out, m: Member<'_>) {
    match m {
        Member::Int(v) => out.bulk_int(v),
        Member::Str(s) => out.bulk(s),
    }
}

/// A fresh random number for sampling.
#[inline]
fn rand64() -> u64 {
    rand::random()
}
