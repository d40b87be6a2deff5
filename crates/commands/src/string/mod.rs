//! The string command family: GET/SET and friends, ranges, counters, LCS.
//!
//! Storage follows Redis' encodings: values written whole (SET, MSET,
//! INCR...) live inline in the entry (OBJECT ENCODING derives int/embstr/
//! raw from the bytes); values edited in place (APPEND, SETRANGE) become a
//! boxed `Object::Str`, Redis' "raw" string with room to grow.

mod counter;
mod edit;
mod getset;
mod lcs;
pub mod ldouble;

use crate::error::{invalid_expire, CmdError, NOT_INTEGER, WRONGTYPE};
use crate::spec::{cat, cmd, flag::*, kf, CommandDef, KeySpec};
use crate::state::Server;
use crate::util::parse_i64;
use moon_store::{Entry, Object, ValueRef};

const S: u64 = cat::STRING;
const G: &str = "string";

const RO_ACCESS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS)];
const RO: &[KeySpec] = &[KeySpec::single(1, kf::RO)];
const RW_ACCESS_UPDATE: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::UPDATE)];
const OW_UPDATE: &[KeySpec] = &[KeySpec::single(1, kf::OW | kf::UPDATE)];

pub static COMMANDS: &[CommandDef] = &[
    cmd("get", 2, READONLY | FAST, S, RO_ACCESS, getset::get, G),
    cmd("set", -3, WRITE | DENYOOM, S, &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::UPDATE | kf::VARIABLE_FLAGS)], getset::set, G)
        .key_flags(getset::set_key_flags),
    cmd("setnx", 3, WRITE | DENYOOM | FAST, S, &[KeySpec::single(1, kf::OW | kf::INSERT)], getset::setnx, G),
    cmd("setex", 4, WRITE | DENYOOM, S, OW_UPDATE, getset::setex, G),
    cmd("psetex", 4, WRITE | DENYOOM, S, OW_UPDATE, getset::psetex, G),
    cmd("getex", -2, WRITE | FAST, S, RW_ACCESS_UPDATE, getset::getex, G),
    cmd("getdel", 2, WRITE | FAST, S, &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::DELETE)], getset::getdel, G),
    cmd("getset", 3, WRITE | DENYOOM | FAST, S, RW_ACCESS_UPDATE, getset::getset, G),
    cmd("mget", -2, READONLY | FAST, S, &[KeySpec::range(1, -1, 1, kf::RO | kf::ACCESS)], getset::mget, G),
    cmd("mset", -3, WRITE | DENYOOM, S, &[KeySpec::range(1, -1, 2, kf::OW | kf::UPDATE)], getset::mset, G),
    cmd("msetnx", -3, WRITE | DENYOOM, S, &[KeySpec::range(1, -1, 2, kf::OW | kf::INSERT)], getset::msetnx, G),
    cmd("append", 3, WRITE | DENYOOM | FAST, S, &[KeySpec::single(1, kf::RW | kf::INSERT)], edit::append, G),
    cmd("strlen", 2, READONLY | FAST, S, RO, edit::strlen, G),
    cmd("setrange", 4, WRITE | DENYOOM, S, &[KeySpec::single(1, kf::RW | kf::UPDATE)], edit::setrange, G),
    cmd("getrange", 4, READONLY, S, RO_ACCESS, edit::getrange, G),
    cmd("substr", 4, READONLY, S, RO_ACCESS, edit::getrange, G),
    cmd("incr", 2, WRITE | DENYOOM | FAST, S, RW_ACCESS_UPDATE, counter::incr, G),
    cmd("decr", 2, WRITE | DENYOOM | FAST, S, RW_ACCESS_UPDATE, counter::decr, G),
    cmd("incrby", 3, WRITE | DENYOOM | FAST, S, RW_ACCESS_UPDATE, counter::incrby, G),
    cmd("decrby", 3, WRITE | DENYOOM | FAST, S, RW_ACCESS_UPDATE, counter::decrby, G),
    cmd("incrbyfloat", 3, WRITE | DENYOOM | FAST, S, RW_ACCESS_UPDATE, counter::incrbyfloat, G),
    cmd("lcs", -3, READONLY, S, &[KeySpec::range(1, 1, 1, kf::RO | kf::ACCESS)], lcs::lcs, G),
];

/// Whether an option argument is the keyword `kw`. Redis compares options
/// as C strings, so anything after an embedded NUL is ignored.
#[inline]
fn is_opt(arg: &[u8], kw: &str) -> bool {
    let end = arg.iter().position(|&c| c == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(kw.as_bytes())
}

/// The value of a string entry as a growable boxed string, converting an
/// inline value first (Redis' dbUnshareStringValue), with room reserved
/// for `needed` bytes. Shared by every command that edits a string in
/// place (APPEND, SETRANGE, SETBIT, BITFIELD, the HyperLogLog commands).
pub(crate) fn raw_mut(e: &mut Entry, needed: usize) -> Result<&mut Vec<u8>, CmdError> {
    if let ValueRef::Inline(b) = e.value() {
        // Exact size first, as Redis copies it; growth below is greedy.
        let v = b.to_vec();
        e.set_obj(Object::Str(v));
    }
    match e.obj_mut() {
        Some(Object::Str(v)) => {
            grow_for(v, needed);
            Ok(v)
        }
        #[allow(unreachable_patterns)]
        _ => Err(WRONGTYPE),
    }
}

/// Check that a string of `size` bytes grown by `add` stays within
/// proto-max-bulk-len (Redis' checkStringLength).
pub(crate) fn check_string_length(srv: &Server, size: u64, add: u64) -> Result<(), CmdError> {
    let max = srv.config.hot.proto_max_bulk_len.load(std::sync::atomic::Ordering::Relaxed);
    match size.checked_add(add) {
        Some(total) if total <= max.max(0) as u64 => Ok(()),
        _ => Err(CmdError::err("string exceeds maximum allowed size (proto-max-bulk-len)")),
    }
}

/// Make room for a string to reach `needed` bytes the way Redis' sds does
/// (sdsMakeRoomFor): double while under 1 MB, then grow 1 MB at a time, so
/// repeated APPENDs amortize without doubling a huge string's footprint.
fn grow_for(v: &mut Vec<u8>, needed: usize) {
    const MAX_PREALLOC: usize = 1024 * 1024;
    if v.capacity() >= needed {
        return;
    }
    let target = if needed < MAX_PREALLOC { needed * 2 } else { needed + MAX_PREALLOC };
    v.reserve_exact(target - v.len());
}

/// An expire argument turned into an absolute unix time in ms, validated as
/// Redis' getExpireMillisecondsOrReply: not an integer -> NOT_INTEGER;
/// non-positive, or overflowing when scaled to ms or made absolute ->
/// "invalid expire time in '<name>' command".
fn expire_at_ms(name: &str, arg: &[u8], seconds: bool, relative: bool, now: i64) -> Result<i64, CmdError> {
    let v = parse_i64(arg).ok_or(NOT_INTEGER)?;
    let invalid = || invalid_expire(name);
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(invalid());
    }
    let ms = if seconds { v * 1000 } else { v };
    let at = if relative { ms.checked_add(now).ok_or_else(invalid)? } else { ms };
    if at <= 0 {
        return Err(invalid());
    }
    Ok(at)
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::testing::TestClient;
    use moon_store::ValueRef;

    /// Redis' OBJECT ENCODING of a string key as Moon stores it (boxed
    /// strings are "raw"; inline ones derive it from their bytes).
    pub fn encoding(c: &TestClient, key: &str) -> &'static str {
        let db = &c.srv.ks.dbs[0];
        let s = db.lock(db.stripe_of(key.as_bytes()));
        let e = s.peek(key.as_bytes()).expect("key exists");
        match e.value() {
            ValueRef::Obj(_) => "raw",
            ValueRef::Inline(b) => {
                if b.len() <= 20 && crate::util::parse_i64(b).is_some() {
                    "int"
                } else if b.len() <= 44 {
                    "embstr"
                } else {
                    "raw"
                }
            }
        }
    }

    /// The key's absolute expire time, if any.
    pub fn expire_of(c: &TestClient, key: &str) -> Option<i64> {
        let db = &c.srv.ks.dbs[0];
        let s = db.lock(db.stripe_of(key.as_bytes()));
        s.peek(key.as_bytes()).and_then(|e| e.expire())
    }

    /// Create a key of a non-string type with whichever collection command
    /// the table has. The string family is built before the others, so
    /// until one of them is merged there is no such type: callers then
    /// skip their WRONGTYPE checks (false is returned).
    pub fn plant_non_string(c: &mut TestClient, key: &str) -> bool {
        for cmd in [&["RPUSH", key, "x"][..], &["SADD", key, "x"], &["HSET", key, "f", "v"], &["ZADD", key, "1", "m"]] {
            if c.srv.table.lookup(cmd[0].as_bytes()).is_some() {
                assert!(c.run(cmd).starts_with(':'), "{cmd:?} creates the key");
                return true;
            }
        }
        false
    }

    pub fn exists(c: &TestClient, key: &str) -> bool {
        let db = &c.srv.ks.dbs[0];
        let s = db.lock(db.stripe_of(key.as_bytes()));
        s.contains_live(key.as_bytes(), moon_store::clock::now_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestClient;

    #[test]
    fn expire_argument_rules() {
        let now = 1_700_000_000_000;
        assert_eq!(expire_at_ms("set", b"10", true, true, now), Ok(now + 10_000));
        assert_eq!(expire_at_ms("set", b"10", false, false, now), Ok(10));
        assert_eq!(expire_at_ms("set", b"x", true, true, now), Err(NOT_INTEGER));
        let inv = Err(invalid_expire("getex"));
        assert_eq!(expire_at_ms("getex", b"0", true, true, now), inv);
        assert_eq!(expire_at_ms("getex", b"-1", false, false, now), inv);
        assert_eq!(expire_at_ms("getex", b"9223372036854776", true, false, now), inv);
        assert_eq!(expire_at_ms("getex", b"9223372036854775", true, false, now), Ok(9223372036854775000));
        assert_eq!(expire_at_ms("getex", b"9223372036854775", true, true, now), inv);
        assert_eq!(expire_at_ms("getex", b"9223372036854775807", false, true, now), inv);
        assert_eq!(expire_at_ms("getex", b"9223372036854775807", false, false, now), Ok(i64::MAX));
    }

    #[test]
    fn options_compare_as_c_strings() {
        assert!(is_opt(b"nx", "NX"));
        assert!(is_opt(b"NX\0junk", "NX"));
        assert!(!is_opt(b"NXX", "NX"));
    }

    /// Names of the bits set in `v`, uppercased, from a (bit, name) table.
    fn names<T: Copy + Into<u64>>(v: T, table: &[(T, &str)]) -> Vec<String> {
        let mut n: Vec<String> = table.iter().filter(|(b, _)| v.into() & (*b).into() != 0).map(|(_, s)| s.to_uppercase()).collect();
        n.sort();
        n
    }

    fn json_names(v: &serde_json::Value) -> Vec<String> {
        let mut n: Vec<String> =
            v.as_array().map(|a| a.iter().filter_map(|x| x.as_str()).map(|s| s.to_uppercase()).collect()).unwrap_or_default();
        n.sort();
        n
    }

    #[test]
    fn table_matches_redis_spec() {
        use crate::spec::{flag, BeginSearch, FindKeys};
        let spec: serde_json::Value = serde_json::from_str(include_str!("../../spec/redis-7.4.1-commands.json")).expect("spec parses");
        for def in COMMANDS {
            let s = &spec[def.name.to_uppercase()];
            assert_eq!(s["arity"].as_i64(), Some(def.arity as i64), "{}", def.name);
            assert_eq!(s["group"].as_str(), Some(def.group), "{}", def.name);
            assert_eq!(names(def.flags, flag::NAMES), json_names(&s["command_flags"]), "{} flags", def.name);
            assert_eq!(names(def.acl, cat::NAMES), json_names(&s["acl_categories"]), "{} acl", def.name);
            let specs = s["key_specs"].as_array().expect("key specs");
            assert_eq!(specs.len(), def.key_specs.len(), "{}", def.name);
            for (ks, js) in def.key_specs.iter().zip(specs) {
                let kf_names: Vec<(u64, &str)> = kf::NAMES.iter().map(|&(b, n)| (b as u64, n)).collect();
                assert_eq!(names(ks.flags as u64, &kf_names), json_names(&js["flags"]), "{} key flags", def.name);
                let pos = js["begin_search"]["index"]["pos"].as_i64().expect("index begin");
                assert_eq!(ks.begin, BeginSearch::Index(pos as i32), "{}", def.name);
                let r = &js["find_keys"]["range"];
                let want = FindKeys::Range {
                    lastkey: r["lastkey"].as_i64().expect("range") as i32,
                    step: r["step"].as_i64().expect("range") as i32,
                    limit: r["limit"].as_i64().expect("range") as i32,
                };
                assert_eq!(ks.find, want, "{}", def.name);
            }
        }
        let c = TestClient::new();
        for def in COMMANDS {
            assert!(c.srv.table.lookup(def.name.as_bytes()).is_some(), "{} registered", def.name);
        }
    }
}
