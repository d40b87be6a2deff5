//! The hash command family, with Redis 8.2's per-field TTLs.
//!
//! The value type (`moon_store::hash::Hash`) holds the encodings; the
//! keyspace purges expired fields whenever it hands out an entry, so the
//! handlers here never meet an expired field and a hash whose last field
//! expired is already gone.
//!
//! - `fields`: HSET HMSET HSETNX HGET HMGET HDEL HLEN HSTRLEN HEXISTS
//!   HINCRBY HINCRBYFLOAT
//! - `whole`: HGETALL HKEYS HVALS HSCAN HRANDFIELD
//! - `ttl`: HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HTTL HPTTL HEXPIRETIME
//!   HPEXPIRETIME HPERSIST
//! - `getset`: HGETDEL HGETEX HSETEX

mod fields;
mod getset;
mod ttl;
mod whole;

use crate::ctx::KeyAccess;
use crate::error::{CmdError, WRONGTYPE};
use crate::spec::{cat, cmd, flag::*, kf, CommandDef, KeySpec};
use crate::state::Server;
use moon_resp::Argv;
use moon_store::hash::{Hash, Limits};
use moon_store::{Entry, Object, ValueRef};
use std::sync::atomic::Ordering::Relaxed;

const H: u64 = cat::HASH;
const G: &str = "hash";

const RO: &[KeySpec] = &[KeySpec::single(1, kf::RO)];
const RO_ACCESS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS)];
const RW_UPDATE: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::UPDATE)];
const RW_ACCESS_UPDATE: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::UPDATE)];

pub static COMMANDS: &[CommandDef] = &[
    cmd("hset", -4, WRITE | DENYOOM | FAST, H, RW_UPDATE, fields::hset, G),
    cmd("hmset", -4, WRITE | DENYOOM | FAST, H, RW_UPDATE, fields::hmset, G),
    cmd("hsetnx", 4, WRITE | DENYOOM | FAST, H, &[KeySpec::single(1, kf::RW | kf::INSERT)], fields::hsetnx, G),
    cmd("hget", 3, READONLY | FAST, H, RO_ACCESS, fields::hget, G),
    cmd("hmget", -3, READONLY | FAST, H, RO_ACCESS, fields::hmget, G),
    cmd("hdel", -3, WRITE | FAST, H, &[KeySpec::single(1, kf::RW | kf::DELETE)], fields::hdel, G),
    cmd("hlen", 2, READONLY | FAST, H, RO, fields::hlen, G),
    cmd("hstrlen", 3, READONLY | FAST, H, RO, fields::hstrlen, G),
    cmd("hexists", 3, READONLY | FAST, H, RO, fields::hexists, G),
    cmd("hincrby", 4, WRITE | DENYOOM | FAST, H, RW_ACCESS_UPDATE, fields::hincrby, G),
    cmd("hincrbyfloat", 4, WRITE | DENYOOM | FAST, H, RW_ACCESS_UPDATE, fields::hincrbyfloat, G),
    cmd("hgetall", 2, READONLY, H, RO_ACCESS, whole::hgetall, G),
    cmd("hkeys", 2, READONLY, H, RO_ACCESS, whole::hkeys, G),
    cmd("hvals", 2, READONLY, H, RO_ACCESS, whole::hvals, G),
    cmd("hscan", -3, READONLY, H, RO_ACCESS, whole::hscan, G),
    cmd("hrandfield", -2, READONLY, H, RO_ACCESS, whole::hrandfield, G),
    // The 7.4 command spec marks these DENYOOM; Redis 8.2's COMMAND INFO
    // no longer does. The conformance test holds us to the spec file.
    cmd("hexpire", -6, WRITE | DENYOOM | FAST, H, RW_UPDATE, ttl::hexpire, G),
    cmd("hpexpire", -6, WRITE | DENYOOM | FAST, H, RW_UPDATE, ttl::hpexpire, G),
    cmd("hexpireat", -6, WRITE | DENYOOM | FAST, H, RW_UPDATE, ttl::hexpireat, G),
    cmd("hpexpireat", -6, WRITE | DENYOOM | FAST, H, RW_UPDATE, ttl::hpexpireat, G),
    cmd("httl", -5, READONLY | FAST, H, RO_ACCESS, ttl::httl, G),
    cmd("hpttl", -5, READONLY | FAST, H, RO_ACCESS, ttl::hpttl, G),
    cmd("hexpiretime", -5, READONLY | FAST, H, RO_ACCESS, ttl::hexpiretime, G),
    cmd("hpexpiretime", -5, READONLY | FAST, H, RO_ACCESS, ttl::hpexpiretime, G),
    cmd("hpersist", -5, WRITE | FAST, H, RW_UPDATE, ttl::hpersist, G),
    // Redis 8.0 commands, absent from the 7.4 spec file: arity, flags and
    // key specs as Redis 8.2.3's COMMAND INFO reports them (also recorded
    // in spec/redis-8.2-extra-commands.json for the conformance test).
    cmd("hgetdel", -5, WRITE | FAST, H, &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::DELETE)], getset::hgetdel, G),
    cmd("hgetex", -5, WRITE | FAST, H, RW_ACCESS_UPDATE, getset::hgetex, G),
    cmd("hsetex", -6, WRITE | DENYOOM | FAST, H, RW_UPDATE, getset::hsetex, G),
];

const FIELDS_MISSING: CmdError = CmdError::fixed("ERR Mandatory argument FIELDS is missing or not at the right position");
const NUMFIELDS_POSITIVE: CmdError = CmdError::fixed("ERR Number of fields must be a positive integer");
const NUMFIELDS_MISMATCH: CmdError = CmdError::fixed("ERR The `numfields` parameter must match the number of arguments");

/// The hash-max-listpack-* limits in force.
fn limits(srv: &Server) -> Limits {
    let hot = &srv.config.hot;
    let get = |a: &std::sync::atomic::AtomicI64| usize::try_from(a.load(Relaxed)).unwrap_or(0);
    Limits { max_entries: get(&hot.hash_max_listpack_entries), max_value: get(&hot.hash_max_listpack_value) }
}

use crate::util::is_opt as is_kw;

fn hash_of(e: &Entry) -> Result<&Hash, CmdError> {
    match e.value() {
        ValueRef::Obj(Object::Hash(h)) => Ok(h),
        _ => Err(WRONGTYPE),
    }
}

fn hash_of_mut(e: &mut Entry) -> Result<&mut Hash, CmdError> {
    match e.obj_mut() {
        Some(Object::Hash(h)) => Ok(h),
        _ => Err(WRONGTYPE),
    }
}

/// The hash at `key` for a read command (counts a keyspace hit or miss).
fn read_hash<'a>(ks: &'a mut KeyAccess, key: &[u8]) -> Result<Option<&'a Hash>, CmdError> {
    match ks.read(key) {
        None => Ok(None),
        Some(e) => hash_of(e).map(Some),
    }
}

/// The hash at `key` for a write command.
fn write_hash<'a>(ks: &'a mut KeyAccess, key: &[u8]) -> Result<Option<&'a mut Hash>, CmdError> {
    match ks.write(key) {
        None => Ok(None),
        Some(e) => hash_of_mut(e).map(Some),
    }
}

/// Store a hash built for a key that did not exist.
fn insert_new(ks: &mut KeyAccess, key: &[u8], h: Hash) {
    ks.stripe(key).insert(Entry::new_obj(key, Object::Hash(h), None));
    ks.note_new(key);
}

/// Finish a write that may have emptied the hash or changed its field
/// TTLs: an empty hash is deleted (as Redis deletes it), and the keyspace's
/// flag for hashes with field TTLs is brought up to date (Redis, too,
/// updates its count of such hashes here; HPERSIST leaves it for later).
fn settle(ks: &mut KeyAccess, key: &[u8]) {
    // A peek, not a lookup: a lookup would purge an emptied hash with
    // field TTLs on its own, and its "del" would go unreported.
    let (empty, stale) = match ks.stripe(key).peek(key) {
        Some(e) => match hash_of(e) {
            Ok(h) => (h.is_empty(), h.has_field_ttl() != e.has_field_ttl()),
            Err(_) => return,
        },
        None => return,
    };
    if empty {
        ks.stripe(key).remove(key);
        ks.notify(crate::notify::class::GENERIC, "del", key);
    } else if stale {
        ks.stripe(key).sync_field_ttl(key);
    }
}

/// The `FIELDS numfields field...` block with FIELDS at `at`: checks the
/// keyword, the count (`positive` is the error for a count below 1) and
/// that exactly that many arguments follow. Returns the first field's
/// index and the count. `name` is for the arity error when the block is
/// cut short.
fn fields_block(argv: &Argv, at: usize, positive: CmdError, name: &str) -> Result<(usize, usize), CmdError> {
    if at + 1 >= argv.len() {
        return Err(crate::error::arity(name));
    }
    if !is_kw(argv.get(at), "FIELDS") {
        return Err(FIELDS_MISSING);
    }
    let n = crate::util::parse_i64(argv.get(at + 1)).filter(|&n| n >= 1).ok_or(positive)?;
    if n as u64 != (argv.len() - at - 2) as u64 {
        return Err(NUMFIELDS_MISMATCH);
    }
    Ok((at + 2, n as usize))
}

/// Journal `CMD key <pre...> FIELDS n <fields...>` (the field-TTL commands
/// are journaled with absolute times, and fields they deleted as HDEL).
pub(super) fn propagate_fields(ks: &mut crate::ctx::KeyAccess, cmd: &[u8], key: &[u8], pre: &[&[u8]], fields: &[&[u8]]) {
    if fields.is_empty() || !ks.journal.on {
        return;
    }
    let n = itoa::Buffer::new().format(fields.len()).as_bytes().to_vec();
    let mut args: Vec<&[u8]> = vec![cmd, key];
    args.extend_from_slice(pre);
    if cmd != b"HDEL" {
        args.push(b"FIELDS");
        args.push(&n);
    }
    args.extend_from_slice(fields);
    ks.propagate(&args);
}

#[cfg(test)]
mod tests;
