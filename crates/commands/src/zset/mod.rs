//! The sorted set command family (Redis' "sorted_set" group), without the
//! blocking BZPOPMIN/BZPOPMAX/BZMPOP: pop.rs keeps their core
//! (`pop_elements`) a plain function for when blocking lands.
//!
//! The data structure and its encodings live in moon_store::zset; these
//! modules parse arguments, apply Redis' command semantics and shape the
//! replies (RESP2 and RESP3).

mod add;
pub(crate) mod parse;
pub mod pop;
mod range;
mod read;
mod remrange;
mod scan;
mod setops;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_range;

use crate::ctx::{Ctx, KeyAccess};
use crate::error::{CmdError, WRONGTYPE};
use crate::spec::{cat, cmd, flag::*, kf, BeginSearch, CommandDef, FindKeys, KeySpec};
use moon_store::zset::{Limits, ZSet};
use moon_store::{Entry, Object, ValueRef};
use std::sync::atomic::Ordering::Relaxed;

const Z: u64 = cat::SORTEDSET;
const G: &str = "sorted_set";

const RO: &[KeySpec] = &[KeySpec::single(1, kf::RO)];
const RO_ACCESS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS)];
const RW_UPDATE: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::UPDATE)];
const RW_ACCESS_UPDATE: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::UPDATE)];
const RW_DELETE: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::DELETE)];
const RW_ACCESS_DELETE: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::DELETE)];

const fn keynum(pos: i32, flags: u32) -> KeySpec {
    KeySpec { flags, begin: BeginSearch::Index(pos), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } }
}

/// ZUNION/ZINTER/ZDIFF/ZINTERCARD: numkeys at 1, then the keys.
const NUMKEYS_RO: &[KeySpec] = &[keynum(1, kf::RO | kf::ACCESS)];
/// The *STORE variants: destination, then numkeys and the keys.
const STORE_NUMKEYS: &[KeySpec] = &[KeySpec::single(1, kf::OW | kf::UPDATE), keynum(2, kf::RO | kf::ACCESS)];
const RANGESTORE: &[KeySpec] = &[KeySpec::single(1, kf::OW | kf::UPDATE), KeySpec::single(2, kf::RO | kf::ACCESS)];
const ZMPOP_KEYS: &[KeySpec] = &[keynum(1, kf::RW | kf::ACCESS | kf::DELETE)];

pub static COMMANDS: &[CommandDef] = &[
    cmd("zadd", -4, WRITE | DENYOOM | FAST, Z, RW_UPDATE, add::zadd, G),
    cmd("zincrby", 4, WRITE | DENYOOM | FAST, Z, RW_ACCESS_UPDATE, add::zincrby, G),
    cmd("zrem", -3, WRITE | FAST, Z, RW_DELETE, add::zrem, G),
    cmd("zcard", 2, READONLY | FAST, Z, RO, read::zcard, G),
    cmd("zscore", 3, READONLY | FAST, Z, RO_ACCESS, read::zscore, G),
    cmd("zmscore", -3, READONLY | FAST, Z, RO_ACCESS, read::zmscore, G),
    cmd("zrank", -3, READONLY | FAST, Z, RO_ACCESS, read::zrank, G),
    cmd("zrevrank", -3, READONLY | FAST, Z, RO_ACCESS, read::zrevrank, G),
    cmd("zcount", 4, READONLY | FAST, Z, RO_ACCESS, read::zcount, G),
    cmd("zlexcount", 4, READONLY | FAST, Z, RO_ACCESS, read::zlexcount, G),
    cmd("zrange", -4, READONLY, Z, RO_ACCESS, range::zrange, G),
    cmd("zrangestore", -5, WRITE | DENYOOM, Z, RANGESTORE, range::zrangestore, G),
    cmd("zrevrange", -4, READONLY, Z, RO_ACCESS, range::zrevrange, G),
    cmd("zrangebyscore", -4, READONLY, Z, RO_ACCESS, range::zrangebyscore, G),
    cmd("zrevrangebyscore", -4, READONLY, Z, RO_ACCESS, range::zrevrangebyscore, G),
    cmd("zrangebylex", -4, READONLY, Z, RO_ACCESS, range::zrangebylex, G),
    cmd("zrevrangebylex", -4, READONLY, Z, RO_ACCESS, range::zrevrangebylex, G),
    cmd("zremrangebyrank", 4, WRITE, Z, RW_DELETE, remrange::zremrangebyrank, G),
    cmd("zremrangebyscore", 4, WRITE, Z, RW_DELETE, remrange::zremrangebyscore, G),
    cmd("zremrangebylex", 4, WRITE, Z, RW_DELETE, remrange::zremrangebylex, G),
    cmd("zpopmin", -2, WRITE | FAST, Z, RW_ACCESS_DELETE, pop::zpopmin, G),
    cmd("zpopmax", -2, WRITE | FAST, Z, RW_ACCESS_DELETE, pop::zpopmax, G),
    cmd("zmpop", -4, WRITE, Z, ZMPOP_KEYS, pop::zmpop, G),
    cmd("zrandmember", -2, READONLY, Z, RO_ACCESS, read::zrandmember, G),
    cmd("zunion", -3, READONLY, Z, NUMKEYS_RO, setops::zunion, G),
    cmd("zinter", -3, READONLY, Z, NUMKEYS_RO, setops::zinter, G),
    cmd("zdiff", -3, READONLY, Z, NUMKEYS_RO, setops::zdiff, G),
    cmd("zunionstore", -4, WRITE | DENYOOM, Z, STORE_NUMKEYS, setops::zunionstore, G),
    cmd("zinterstore", -4, WRITE | DENYOOM, Z, STORE_NUMKEYS, setops::zinterstore, G),
    cmd("zdiffstore", -4, WRITE | DENYOOM, Z, STORE_NUMKEYS, setops::zdiffstore, G),
    cmd("zintercard", -3, READONLY, Z, NUMKEYS_RO, setops::zintercard, G),
    cmd("zscan", -3, READONLY, Z, RO_ACCESS, scan::zscan, G),
];

/// The encoding thresholds currently configured.
pub(crate) fn limits(ctx: &Ctx) -> Limits {
    let h = &ctx.srv.config.hot;
    Limits {
        max_entries: usize::try_from(h.zset_max_listpack_entries.load(Relaxed)).unwrap_or(0),
        max_value: usize::try_from(h.zset_max_listpack_value.load(Relaxed)).unwrap_or(0),
    }
}

/// The sorted set at `key` for reading (counts a keyspace hit or miss):
/// None if absent, WRONGTYPE for another type.
pub(crate) fn zread<'a>(ks: &'a mut KeyAccess, key: &[u8]) -> Result<Option<&'a ZSet>, CmdError> {
    match ks.read(key) {
        None => Ok(None),
        Some(e) => as_zset(e).map(Some),
    }
}

/// The sorted set at `key` for writing (no hit/miss accounting).
pub(crate) fn zwrite<'a>(ks: &'a mut KeyAccess, key: &[u8]) -> Result<Option<&'a mut ZSet>, CmdError> {
    match ks.write(key) {
        None => Ok(None),
        Some(e) => match e.obj_mut() {
            Some(Object::ZSet(z)) => Ok(Some(z)),
            _ => Err(WRONGTYPE),
        },
    }
}

fn as_zset(e: &Entry) -> Result<&ZSet, CmdError> {
    match e.value() {
        ValueRef::Obj(Object::ZSet(z)) => Ok(z),
        _ => Err(WRONGTYPE),
    }
}

/// Store a new sorted set at `key`, replacing any value (and its TTL).
/// Redis counts a write's elements in `dirty`, not the key creation, so
/// the insert's own count is taken back.
pub(crate) fn store_new(ks: &mut KeyAccess, key: &[u8], z: ZSet) {
    ks.insert(Entry::new_obj(key, Object::ZSet(z), None));
    ks.dirty -= 1;
}

/// Delete a key that a write emptied (Redis' dbDelete: not counted in
/// `dirty` beyond the removed elements).
pub(crate) fn delete_emptied(ks: &mut KeyAccess, key: &[u8]) {
    if ks.remove(key).is_some() {
        ks.dirty -= 1;
        ks.notify(crate::notify::class::GENERIC, "del", key);
    }
}

/// The store commands' ending: `items` at `dst` with `event`, or for an
/// empty result `dst` deleted ("del" if it existed).
pub(crate) fn store_result(ks: &mut KeyAccess, dst: &[u8], z: Option<ZSet>, event: &'static str) {
    match z {
        Some(z) => {
            store_new(ks, dst, z);
            ks.notify(crate::notify::class::ZSET, event, dst);
        }
        None => {
            if ks.remove(dst).is_some() {
                ks.notify(crate::notify::class::GENERIC, "del", dst);
            }
        }
    }
}
