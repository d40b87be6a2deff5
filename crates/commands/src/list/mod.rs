//! The list command family (non-blocking): pushes and pops at both ends,
//! moves between keys, index and range reads, in-place edits.
//!
//! The value type and its encodings live in `moon_store::list`; the
//! key-level operations the blocking variants will reuse are in [`ops`].

mod edit;
pub mod ops;
mod push_pop;
mod read;

pub(crate) use push_pop::parse_mpop;

use crate::error::{CmdError, SYNTAX};
use crate::spec::{cat, cmd, flag::*, kf, BeginSearch, CommandDef, FindKeys, KeySpec};
use moon_store::list::Side;

const L: u64 = cat::LIST;
const G: &str = "list";

const PUSH_KEY: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::INSERT)];
const POP_KEY: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::DELETE)];
const RO_ACCESS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS)];
const MOVE_KEYS: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::DELETE), KeySpec::single(2, kf::RW | kf::INSERT)];
const LMPOP_KEYS: &[KeySpec] = &[KeySpec {
    flags: kf::RW | kf::ACCESS | kf::DELETE,
    begin: BeginSearch::Index(1),
    find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 },
}];

pub static COMMANDS: &[CommandDef] = &[
    cmd("lpush", -3, WRITE | DENYOOM | FAST, L, PUSH_KEY, push_pop::lpush, G),
    cmd("rpush", -3, WRITE | DENYOOM | FAST, L, PUSH_KEY, push_pop::rpush, G),
    cmd("lpushx", -3, WRITE | DENYOOM | FAST, L, PUSH_KEY, push_pop::lpushx, G),
    cmd("rpushx", -3, WRITE | DENYOOM | FAST, L, PUSH_KEY, push_pop::rpushx, G),
    cmd("lpop", -2, WRITE | FAST, L, POP_KEY, push_pop::lpop, G),
    cmd("rpop", -2, WRITE | FAST, L, POP_KEY, push_pop::rpop, G),
    cmd("lmove", 5, WRITE | DENYOOM, L, MOVE_KEYS, push_pop::lmove, G),
    cmd("rpoplpush", 3, WRITE | DENYOOM, L, MOVE_KEYS, push_pop::rpoplpush, G),
    cmd("lmpop", -4, WRITE, L, LMPOP_KEYS, push_pop::lmpop, G),
    cmd("llen", 2, READONLY | FAST, L, &[KeySpec::single(1, kf::RO)], read::llen, G),
    cmd("lrange", 4, READONLY, L, RO_ACCESS, read::lrange, G),
    cmd("lindex", 3, READONLY, L, RO_ACCESS, read::lindex, G),
    cmd("lpos", -3, READONLY, L, RO_ACCESS, read::lpos, G),
    cmd("lset", 4, WRITE | DENYOOM, L, &[KeySpec::single(1, kf::RW | kf::UPDATE)], edit::lset, G),
    cmd("linsert", 5, WRITE | DENYOOM, L, PUSH_KEY, edit::linsert, G),
    cmd("lrem", 4, WRITE, L, &[KeySpec::single(1, kf::RW | kf::DELETE)], edit::lrem, G),
    cmd("ltrim", 4, WRITE, L, &[KeySpec::single(1, kf::RW | kf::DELETE)], edit::ltrim, G),
];

use crate::util::is_opt as is_kw;

/// An integer in -LONG_MAX..=LONG_MAX (Redis rejects LONG_MIN where a
/// value gets negated: LREM's count, LPOS's rank).
fn symmetric_i64_arg(arg: &[u8]) -> Result<i64, CmdError> {
    match crate::util::parse_i64(arg) {
        None => Err(crate::error::NOT_INTEGER),
        Some(i64::MIN) => Err(CmdError::err("value is out of range, value must between -9223372036854775807 and 9223372036854775807")),
        Some(n) => Ok(n),
    }
}

/// LEFT or RIGHT, else a syntax error.
pub(crate) fn side_arg(arg: &[u8]) -> Result<Side, CmdError> {
    if is_kw(arg, "left") {
        Ok(Side::Left)
    } else if is_kw(arg, "right") {
        Ok(Side::Right)
    } else {
        Err(SYNTAX)
    }
}

#[cfg(test)]
mod tests;
