//! The generic keyspace commands (Redis' "generic" group plus the
//! database-wide DBSIZE / FLUSHDB / FLUSHALL / SWAPDB), one submodule per
//! responsibility. `COMMANDS` is the family's table.

mod basic;
mod expire;
mod flush;
mod iterate;
pub mod lazyfree;
pub mod object;
mod relocate;
pub(crate) mod scan;
/// SSCAN/HSCAN/ZSCAN parse their cursor exactly like SCAN.
pub(crate) use scan::{parse_cursor, scan_options, ScanFamily, ScanOptions};

use crate::ctx::KeyAccess;
use crate::error::{CmdError, NOT_INTEGER};
use crate::spec::{cat, cmd, flag::*, kf, CommandDef, KeySpec, Locking};
use crate::state::Server;
use crate::util::parse_i64;
use moon_store::{Entry, Stripe};
use std::sync::atomic::Ordering::Relaxed;

pub use object::encoding_name;

const KS: u64 = cat::KEYSPACE;
const KS_DANGER: u64 = cat::KEYSPACE | cat::DANGEROUS;

const ALL_RM: &[KeySpec] = &[KeySpec::range(1, -1, 1, kf::RM | kf::DELETE)];
const ALL_RO: &[KeySpec] = &[KeySpec::range(1, -1, 1, kf::RO)];
const ONE_RO: &[KeySpec] = &[KeySpec::single(1, kf::RO)];
const ONE_RO_ACCESS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS)];
const ONE_RW_UPDATE: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::UPDATE)];
const RENAME_KEYS: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::DELETE), KeySpec::single(2, kf::OW | kf::UPDATE)];
const RENAMENX_KEYS: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::DELETE), KeySpec::single(2, kf::OW | kf::INSERT)];
const MOVE_KEYS: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::UPDATE)];
const COPY_KEYS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS), KeySpec::single(2, kf::OW | kf::UPDATE)];
const OBJECT_KEY: &[KeySpec] = &[KeySpec::single(2, kf::RO)];

static OBJECT_SUBS: &[CommandDef] = &[
    cmd("encoding", 3, READONLY, KS, OBJECT_KEY, object::encoding, "generic"),
    cmd("freq", 3, READONLY, KS, OBJECT_KEY, object::freq, "generic"),
    cmd("idletime", 3, READONLY, KS, OBJECT_KEY, object::idletime, "generic"),
    cmd("refcount", 3, READONLY, KS, OBJECT_KEY, object::refcount, "generic"),
    cmd("help", 2, LOADING | STALE, KS, &[], object::help, "generic"),
];

pub static COMMANDS: &[CommandDef] = &[
    cmd("del", -2, WRITE, KS, ALL_RM, basic::del, "generic"),
    cmd("unlink", -2, WRITE | FAST, KS, ALL_RM, basic::unlink, "generic"),
    cmd("exists", -2, READONLY | FAST, KS, ALL_RO, basic::exists, "generic"),
    cmd("touch", -2, READONLY | FAST, KS, ALL_RO, basic::touch, "generic"),
    cmd("type", 2, READONLY | FAST, KS, ONE_RO, basic::type_cmd, "generic"),
    cmd("keys", 2, READONLY, KS_DANGER, &[], iterate::keys, "generic").locking(Locking::None),
    cmd("scan", -2, READONLY | TOUCHES_ARBITRARY_KEYS, KS, &[], scan::scan, "generic").locking(Locking::None),
    cmd("randomkey", 1, READONLY | TOUCHES_ARBITRARY_KEYS, KS, &[], iterate::randomkey, "generic").locking(Locking::None),
    cmd("dbsize", 1, READONLY | FAST, KS, &[], iterate::dbsize, "server").locking(Locking::None),
    cmd("rename", 3, WRITE, KS, RENAME_KEYS, relocate::rename, "generic"),
    cmd("renamenx", 3, WRITE | FAST, KS, RENAMENX_KEYS, relocate::renamenx, "generic"),
    cmd("move", 3, WRITE | FAST, KS, MOVE_KEYS, relocate::move_cmd, "generic").locking(Locking::World),
    cmd("copy", -3, WRITE | DENYOOM, KS, COPY_KEYS, relocate::copy, "generic").locking(Locking::World),
    cmd("swapdb", 3, WRITE | FAST, KS_DANGER, &[], flush::swapdb, "server").locking(Locking::World),
    cmd("flushdb", -1, WRITE, KS_DANGER, &[], flush::flushdb, "server").locking(Locking::World),
    cmd("flushall", -1, WRITE, KS_DANGER, &[], flush::flushall, "server").locking(Locking::World),
    cmd("expire", -3, WRITE | FAST, KS, ONE_RW_UPDATE, expire::expire, "generic"),
    cmd("pexpire", -3, WRITE | FAST, KS, ONE_RW_UPDATE, expire::pexpire, "generic"),
    cmd("expireat", -3, WRITE | FAST, KS, ONE_RW_UPDATE, expire::expireat, "generic"),
    cmd("pexpireat", -3, WRITE | FAST, KS, ONE_RW_UPDATE, expire::pexpireat, "generic"),
    cmd("ttl", 2, READONLY | FAST, KS, ONE_RO_ACCESS, expire::ttl, "generic"),
    cmd("pttl", 2, READONLY | FAST, KS, ONE_RO_ACCESS, expire::pttl, "generic"),
    cmd("expiretime", 2, READONLY | FAST, KS, ONE_RO_ACCESS, expire::expiretime, "generic"),
    cmd("pexpiretime", 2, READONLY | FAST, KS, ONE_RO_ACCESS, expire::pexpiretime, "generic"),
    cmd("persist", 2, WRITE | FAST, KS, ONE_RW_UPDATE, expire::persist, "generic"),
    // A container: the dispatcher always resolves one of its subcommands.
    cmd("object", -2, 0, 0, &[], object::container, "generic").subs(OBJECT_SUBS),
];

/// Look a key up as Redis' `lookupKeyReadWithFlags(LOOKUP_NOTOUCH)`:
/// lazy expiry and keyspace hit/miss accounting, but the LRU/LFU field is
/// left alone (TYPE, EXISTS, TTL and OBJECT must not disturb what they
/// report on). `f` sees the live entry.
pub(crate) fn peek_counted<R>(ks: &mut KeyAccess, key: &[u8], f: impl FnOnce(&Entry) -> R) -> Option<R> {
    let now = ks.now;
    let r = ks.stripe(key).get(key, now).map(|e| f(e));
    if r.is_some() {
        ks.hits += 1;
    } else {
        ks.misses += 1;
        ks.missed(key);
    }
    r
}

/// Whether an entry's time has passed (it is then logically gone, as in
/// the stripe's own lazy expiry).
#[inline]
pub(crate) fn is_expired(e: &Entry, now: i64) -> bool {
    e.expire().is_some_and(|t| now > t)
}

/// Report what expiry removed in a stripe of database `db` outside the
/// dispatcher's own guards (which it drains itself): INFO's expired_keys,
/// the events, tracking invalidations and the journal's DELs/HDELs, now,
/// while the stripe is still locked (a later drain would journal the DEL
/// after writes that followed the expiry, such as a MOVE into that key).
pub(crate) fn drain_expired(srv: &Server, db: usize, s: &mut Stripe) {
    let n = s.take_expired();
    if n > 0 {
        srv.stats.expired_keys.fetch_add(n, Relaxed);
    }
    crate::journal::record::report_stripe_expiry(srv, db, s);
}

/// A database index argument as Redis' `getIntFromObjectOrReply` with no
/// custom message, followed by the range check of `selectDb`.
pub(crate) fn db_index_arg(arg: &[u8], databases: usize) -> Result<usize, CmdError> {
    let v = parse_i64(arg).ok_or(NOT_INTEGER)?;
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        return Err(CmdError::err("value is out of range, value must between -2147483648 and 2147483647"));
    }
    if v < 0 || v as usize >= databases {
        return Err(crate::error::DB_INDEX);
    }
    Ok(v as usize)
}

/// Seeding helpers for this family's tests: keys are written through the
/// store directly so the tests do not depend on other command families.
#[cfg(test)]
pub(crate) mod test_util {
    use crate::testing::TestClient;
    use moon_store::Entry;

    pub fn put(c: &TestClient, db: usize, key: &str, val: &str, expire: Option<i64>) {
        let d = &c.srv.ks.dbs[db];
        d.lock(d.stripe_of(key.as_bytes())).insert(Entry::new_str(key.as_bytes(), val.as_bytes(), expire));
    }

    pub fn setup(c: &mut TestClient, kv: &[(&str, &str)]) {
        for (k, v) in kv {
            put(c, c.conn.db, k, v, None);
        }
    }

    /// The integer of a `:n` reply.
    pub fn int(reply: &str) -> i64 {
        reply.strip_prefix(':').and_then(|r| r.trim_end().parse().ok()).unwrap_or_else(|| panic!("not an integer reply: {reply:?}"))
    }
}
