//! The geo command family: points stored in a sorted set, each scored by
//! its 52-bit geohash (see [`geohash`]), queried by distance or box around
//! a point or a member.
//!
//! GEORADIUS and GEORADIUSBYMEMBER lock their own keys: their STORE and
//! STOREDIST options may repeat and the last one wins, which the keyword
//! key specs (first occurrence) cannot express, so the handler locks the
//! source and every argument after a STORE/STOREDIST keyword, in stripe
//! order, before doing anything.

mod basic;
pub mod geohash;
mod search;

#[cfg(test)]
mod tests;

use crate::spec::{cat, cmd, flag::*, kf, BeginSearch, CommandDef, FindKeys, KeySpec, Locking};

const GEO: u64 = cat::GEO;
const G: &str = "geo";

const RO_ACCESS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS)];

const fn store_kw(keyword: &'static str, startfrom: i32) -> KeySpec {
    KeySpec {
        flags: kf::OW | kf::UPDATE,
        begin: BeginSearch::Keyword { keyword, startfrom },
        find: FindKeys::Range { lastkey: 0, step: 1, limit: 0 },
    }
}

const RADIUS_KEYS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS), store_kw("STORE", 6), store_kw("STOREDIST", 6)];
const BYMEMBER_KEYS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS), store_kw("STORE", 5), store_kw("STOREDIST", 5)];
const SEARCHSTORE_KEYS: &[KeySpec] = &[KeySpec::single(1, kf::OW | kf::UPDATE), KeySpec::single(2, kf::RO | kf::ACCESS)];

pub static COMMANDS: &[CommandDef] = &[
    cmd("geoadd", -5, WRITE | DENYOOM, GEO, &[KeySpec::single(1, kf::RW | kf::UPDATE)], basic::geoadd, G),
    cmd("geodist", -4, READONLY, GEO, RO_ACCESS, basic::geodist, G),
    cmd("geohash", -2, READONLY, GEO, RO_ACCESS, basic::geohash, G),
    cmd("geopos", -2, READONLY, GEO, RO_ACCESS, basic::geopos, G),
    cmd("geosearch", -7, READONLY, GEO, RO_ACCESS, search::geosearch, G),
    cmd("geosearchstore", -8, WRITE | DENYOOM, GEO, SEARCHSTORE_KEYS, search::geosearchstore, G),
    cmd("georadius", -6, WRITE | DENYOOM, GEO, RADIUS_KEYS, search::georadius, G).locking(Locking::None),
    cmd("georadiusbymember", -5, WRITE | DENYOOM, GEO, BYMEMBER_KEYS, search::georadiusbymember, G).locking(Locking::None),
    cmd("georadius_ro", -6, READONLY, GEO, RO_ACCESS, search::georadius_ro, G),
    cmd("georadiusbymember_ro", -5, READONLY, GEO, RO_ACCESS, search::georadiusbymember_ro, G),
];
