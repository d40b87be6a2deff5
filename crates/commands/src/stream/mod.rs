//! The stream command family (Redis' "stream" group). The data structure
//! lives in moon_store::stream; these modules parse arguments, apply
//! Redis 8.2's command semantics and shape the replies.
//!
//! XREAD / XREADGROUP keep "serve now" (`read::try_serve_xread`,
//! `read::try_serve_xreadgroup`) apart from argument parsing, so the
//! blocking path can retry a parsed request when a key is signalled.

mod add;
mod claim;
mod group;
mod id;
mod info;
mod journal;
mod pending;
mod range;
pub mod read;
mod reply;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_group;

use crate::ctx::{Ctx, KeyAccess};
use crate::error::{CmdError, WRONGTYPE};
use crate::spec::{cat, cmd, flag::*, kf, BeginSearch, CommandDef, FindKeys, KeySpec, Locking};
use moon_store::stream::{NodeLimits, Stream};
use moon_store::{Entry, Object, ValueRef};
use std::sync::atomic::Ordering::Relaxed;

const S: u64 = cat::STREAM;
const G: &str = "stream";

const fn at(pos: i32, flags: u32) -> KeySpec {
    KeySpec::single(pos, flags)
}

const RO: &[KeySpec] = &[at(1, kf::RO)];
const RO_ACCESS: &[KeySpec] = &[at(1, kf::RO | kf::ACCESS)];
const RW_UPDATE: &[KeySpec] = &[at(1, kf::RW | kf::UPDATE)];
const RW_DELETE: &[KeySpec] = &[at(1, kf::RW | kf::DELETE)];
const RW_UPDATE_DELETE: &[KeySpec] = &[at(1, kf::RW | kf::UPDATE | kf::DELETE)];
const SUB_RO_ACCESS: &[KeySpec] = &[at(2, kf::RO | kf::ACCESS)];
const SUB_RW_INSERT: &[KeySpec] = &[at(2, kf::RW | kf::INSERT)];
const SUB_RW_DELETE: &[KeySpec] = &[at(2, kf::RW | kf::DELETE)];
const SUB_RW_UPDATE: &[KeySpec] = &[at(2, kf::RW | kf::UPDATE)];

const fn streams_keyword(startfrom: i32) -> KeySpec {
    KeySpec {
        flags: kf::RO | kf::ACCESS,
        begin: BeginSearch::Keyword { keyword: "STREAMS", startfrom },
        find: FindKeys::Range { lastkey: -1, step: 1, limit: 2 },
    }
}
const XREAD_KEYS: &[KeySpec] = &[streams_keyword(1)];
const XREADGROUP_KEYS: &[KeySpec] = &[streams_keyword(4)];

static XGROUP_SUBS: &[CommandDef] = &[
    cmd("create", -5, WRITE | DENYOOM, S, SUB_RW_INSERT, group::create, G),
    cmd("createconsumer", 5, WRITE | DENYOOM, S, SUB_RW_INSERT, group::createconsumer, G),
    cmd("delconsumer", 5, WRITE, S, SUB_RW_DELETE, group::delconsumer, G),
    cmd("destroy", 4, WRITE, S, SUB_RW_DELETE, group::destroy, G),
    cmd("help", 2, LOADING | STALE, S, &[], group::help, G).locking(Locking::None),
    cmd("setid", -5, WRITE, S, SUB_RW_UPDATE, group::setid, G),
];

static XINFO_SUBS: &[CommandDef] = &[
    cmd("consumers", 4, READONLY, S, SUB_RO_ACCESS, info::consumers, G),
    cmd("groups", 3, READONLY, S, SUB_RO_ACCESS, info::groups, G),
    cmd("help", 2, LOADING | STALE, S, &[], info::help, G).locking(Locking::None),
    cmd("stream", -3, READONLY, S, SUB_RO_ACCESS, info::stream_cmd, G),
];

pub static COMMANDS: &[CommandDef] = &[
    cmd("xadd", -5, WRITE | DENYOOM | FAST, S, RW_UPDATE, add::xadd, G),
    cmd("xlen", 2, READONLY | FAST, S, RO, add::xlen, G),
    cmd("xdel", -3, WRITE | FAST, S, RW_DELETE, add::xdel, G),
    cmd("xdelex", -5, WRITE | FAST, S, RW_DELETE, add::xdelex, G),
    cmd("xtrim", -4, WRITE, S, RW_DELETE, add::xtrim, G),
    cmd("xsetid", -3, WRITE | DENYOOM | FAST, S, RW_UPDATE, add::xsetid, G),
    cmd("xrange", -4, READONLY, S, RO_ACCESS, range::xrange, G),
    cmd("xrevrange", -4, READONLY, S, RO_ACCESS, range::xrevrange, G),
    cmd("xread", -4, BLOCKING | READONLY, S, XREAD_KEYS, read::xread, G),
    cmd("xreadgroup", -7, BLOCKING | WRITE, S, XREADGROUP_KEYS, read::xreadgroup, G),
    cmd("xack", -4, WRITE | FAST, S, RW_UPDATE, group::xack, G),
    cmd("xackdel", -6, WRITE | FAST, S, RW_UPDATE_DELETE, group::xackdel, G),
    cmd("xpending", -3, READONLY, S, RO_ACCESS, pending::xpending, G),
    cmd("xclaim", -6, WRITE | FAST, S, RW_UPDATE, claim::xclaim, G),
    cmd("xautoclaim", -6, WRITE | FAST, S, RW_DELETE, claim::xautoclaim, G),
    cmd("xgroup", -2, 0, 0, &[], crate::server::client_cmd::container, G).locking(Locking::None).subs(XGROUP_SUBS),
    cmd("xinfo", -2, 0, 0, &[], crate::server::client_cmd::container, G).locking(Locking::None).subs(XINFO_SUBS),
];

/// Block limits currently configured.
fn node_limits(ctx: &Ctx) -> NodeLimits {
    let h = &ctx.srv.config.hot;
    NodeLimits {
        max_bytes: usize::try_from(h.stream_node_max_bytes.load(Relaxed)).unwrap_or(0),
        max_entries: usize::try_from(h.stream_node_max_entries.load(Relaxed)).unwrap_or(0),
    }
}

fn node_max_entries(ctx: &Ctx) -> i64 {
    ctx.srv.config.hot.stream_node_max_entries.load(Relaxed)
}

/// The stream at `key` for reading (counts a keyspace hit or miss).
fn sread<'a>(ks: &'a mut KeyAccess, key: &[u8]) -> Result<Option<&'a Stream>, CmdError> {
    match ks.read(key) {
        None => Ok(None),
        Some(e) => as_stream(e).map(Some),
    }
}

/// The stream at `key` for writing (no hit/miss accounting).
fn swrite<'a>(ks: &'a mut KeyAccess, key: &[u8]) -> Result<Option<&'a mut Stream>, CmdError> {
    match ks.write(key) {
        None => Ok(None),
        Some(e) => as_stream_mut(e).map(Some),
    }
}

/// A key Redis looked up "for reading" but that the command then changes
/// (XACK, XCLAIM, XREADGROUP): counts a hit or miss, returns it mutable.
fn sread_mut<'a>(ks: &'a mut KeyAccess, key: &[u8]) -> Result<Option<&'a mut Stream>, CmdError> {
    match ks.read(key) {
        None => Ok(None),
        Some(e) => as_stream_mut(e).map(Some),
    }
}

fn as_stream(e: &Entry) -> Result<&Stream, CmdError> {
    match e.value() {
        ValueRef::Obj(Object::Stream(s)) => Ok(s),
        _ => Err(WRONGTYPE),
    }
}

fn as_stream_mut(e: &mut Entry) -> Result<&mut Stream, CmdError> {
    match e.obj_mut() {
        Some(Object::Stream(s)) => Ok(s),
        _ => Err(WRONGTYPE),
    }
}

/// Create an empty stream at `key` (the caller checked it is absent).
/// Redis counts the write that fills it in `dirty`, not the creation.
fn create_stream(ks: &mut KeyAccess, key: &[u8]) {
    ks.insert(Entry::new_obj(key, Object::Stream(Box::default()), None));
    ks.dirty -= 1;
}
