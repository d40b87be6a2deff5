//! XREAD and XREADGROUP, split for the blocking path: `parse_*` turns the
//! arguments into a plain request (resolving `$` against the stream as it
//! is now, checking types and groups as Redis does while parsing), and
//! `try_serve_*` answers it if any stream has something to give, writing
//! the reply and returning true; false means nothing was written and the
//! client would block (or, without BLOCK, gets the null reply).

use super::id::strict_id;
use super::journal::GroupEffects;
use super::{reply, sread, sread_mut};
use crate::ctx::{Ctx, KeyAccess};
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::util::{int_arg, is_opt};
use moon_resp::{Argv, Out};
use moon_store::stream::{Group, Stream, StreamId};

/// Where a stream is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFrom {
    /// Entries with a greater ID (XREAD, and XREADGROUP history).
    After(StreamId),
    /// XREADGROUP `>`: entries never delivered to the group.
    Undelivered,
}

#[derive(Clone, Debug)]
pub struct XReadRequest {
    /// 0: no limit.
    pub count: usize,
    /// BLOCK in milliseconds (0: forever); None without BLOCK.
    pub block: Option<i64>,
    pub keys: Vec<Vec<u8>>,
    pub from: Vec<ReadFrom>,
    /// XREADGROUP only.
    pub group: Option<GroupRead>,
}

#[derive(Clone, Debug)]
pub struct GroupRead {
    pub group: Vec<u8>,
    pub consumer: Vec<u8>,
    pub noack: bool,
}

fn nogroup(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::raw(format!(
        "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ))
}

/// Parse XREAD / XREADGROUP arguments and resolve the IDs.
pub fn parse(ctx: &mut Ctx, argv: &Argv, xreadgroup: bool) -> Result<XReadRequest, CmdError> {
    let argc = argv.len();
    let (mut count, mut block, mut streams_at, mut noack) = (0usize, None, 0usize, false);
    let mut group: Option<(Vec<u8>, Vec<u8>)> = None;
    let mut i = 1;
    while i < argc {
        let more = argc - 1 - i;
        let o = argv.get(i);
        if is_opt(o, "BLOCK") && more > 0 {
            i += 1;
            let t = crate::util::parse_i64(argv.get(i)).ok_or_else(|| CmdError::err("timeout is not an integer or out of range"))?;
            if t < 0 {
                return Err(CmdError::err("timeout is negative"));
            }
            block = Some(t);
        } else if is_opt(o, "COUNT") && more > 0 {
            i += 1;
            count = int_arg(argv.get(i))?.max(0) as usize;
        } else if is_opt(o, "STREAMS") && more > 0 {
            streams_at = i + 1;
            if !(argc - streams_at).is_multiple_of(2) {
                let (name, sym) = if xreadgroup { ("xreadgroup", "ID or '>'") } else { ("xread", "ID, '+', or '$'") };
                return Err(CmdError::err(format!("Unbalanced '{name}' list of streams: for each stream key an {sym} must be specified.")));
            }
            break;
        } else if is_opt(o, "GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(CmdError::err("The GROUP option is only supported by XREADGROUP. You called XREAD instead."));
            }
            group = Some((argv.get(i + 1).to_vec(), argv.get(i + 2).to_vec()));
            i += 2;
        } else if is_opt(o, "NOACK") {
            if !xreadgroup {
                return Err(CmdError::err("The NOACK option is only supported by XREADGROUP. You called XREAD instead."));
            }
            noack = true;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    if streams_at == 0 {
        return Err(SYNTAX);
    }
    if xreadgroup && group.is_none() {
        return Err(CmdError::err("Missing GROUP option for XREADGROUP"));
    }
    let n = (argc - streams_at) / 2;
    let mut keys = Vec::with_capacity(n);
    let mut from = Vec::with_capacity(n);
    for k in 0..n {
        let key = argv.get(streams_at + k);
        let arg = argv.get(streams_at + n + k);
        let s = sread(&mut ctx.ks, key)?;
        if let Some((g, _)) = &group {
            if s.and_then(|s| s.group(g)).is_none() {
                return Err(nogroup(key, g));
            }
        }
        let last = s.map(|s| s.last_id);
        let f = match arg {
            b"$" if xreadgroup => {
                return Err(CmdError::err(
                    "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ))
            }
            b"$" => ReadFrom::After(last.unwrap_or(StreamId::MIN)),
            b"+" if xreadgroup => {
                return Err(CmdError::err(
                    "The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.",
                ))
            }
            // The last live entry, whatever the last generated ID.
            b"+" => match s.filter(|s| !s.is_empty()) {
                Some(s) => ReadFrom::After(s.edge_id(false).prev().unwrap_or(StreamId::MIN)),
                None => ReadFrom::After(last.unwrap_or(StreamId::MIN)),
            },
            b">" if !xreadgroup => {
                return Err(CmdError::err("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."))
            }
            b">" => ReadFrom::Undelivered,
            _ => ReadFrom::After(strict_id(arg)?),
        };
        keys.push(key.to_vec());
        from.push(f);
    }
    let group = group.map(|(group, consumer)| GroupRead { group, consumer, noack });
    Ok(XReadRequest { count, block, keys, from, group })
}

pub fn xread(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let req = parse(ctx, argv, false)?;
    read_or_block(ctx, req)
}

pub fn xreadgroup(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let req = parse(ctx, argv, true)?;
    read_or_block(ctx, req)
}

/// Serve now, else block with BLOCK, else the null reply. (A history
/// read of XREADGROUP always answers, so it never blocks.)
fn read_or_block(ctx: &mut Ctx, req: XReadRequest) -> CmdResult {
    if let Some(ms) = req.block {
        let deadline = crate::blocking::timeout::deadline_after(ms, ctx.now())?;
        return crate::blocking::run_or_block(ctx, crate::blocking::BlockedOp::Stream(Box::new(req)), deadline);
    }
    let served = match req.group {
        Some(_) => try_serve_xreadgroup(&mut ctx.ks, ctx.out, &req)?,
        None => try_serve_xread(&mut ctx.ks, ctx.out, &req)?,
    };
    if !served {
        ctx.out.null_array();
    }
    Ok(())
}

/// The last live ID (streamLastValidID), None for an empty stream.
fn last_valid(s: &Stream) -> Option<StreamId> {
    (!s.is_empty()).then(|| s.edge_id(false))
}

/// Serve an XREAD request now if any stream has entries after its ID.
pub fn try_serve_xread(ks: &mut KeyAccess, out: &mut Out, req: &XReadRequest) -> Result<bool, CmdError> {
    let mut served = 0;
    let mut d = None;
    let resp3 = out.resp3();
    for (key, from) in req.keys.iter().zip(&req.from) {
        let ReadFrom::After(gt) = *from else { continue };
        let Some(s) = sread(ks, key)? else { continue };
        if last_valid(s).is_none_or(|m| m <= gt) {
            continue;
        }
        if served == 0 {
            d = Some(out.defer());
        }
        served += 1;
        if !resp3 {
            out.array(2);
        }
        out.bulk(key);
        let start = gt.next().unwrap_or(StreamId::MAX);
        let limit = if req.count == 0 { usize::MAX } else { req.count };
        let r = out.defer();
        let mut n = 0;
        for e in s.range(start, StreamId::MAX).take(limit) {
            reply::entry(out, &e);
            n += 1;
        }
        out.end_array(r, n);
    }
    if let Some(d) = d {
        // RESP3: a map of key -> entries; RESP2: an array of [key, entries].
        if resp3 {
            out.end_map(d, served);
        } else {
            out.end_array(d, served);
        }
    }
    Ok(served > 0)
}

/// Serve an XREADGROUP request now: history reads always answer, `>`
/// answers when the group has undelivered entries.
pub fn try_serve_xreadgroup(ks: &mut KeyAccess, out: &mut Out, req: &XReadRequest) -> Result<bool, CmdError> {
    let Some(gr) = &req.group else { return try_serve_xread(ks, out, req) };
    let now = ks.now;
    let mut dirty = 0;
    // Check every stream before writing anything: a group may have gone
    // while a blocked client waited.
    for key in &req.keys {
        if super::swrite(ks, key)?.and_then(|s| s.group(&gr.group)).is_none() {
            return Err(nogroup(key, &gr.group));
        }
    }
    let mut served = 0;
    let mut d = None;
    let resp3 = out.resp3();
    for (key, from) in req.keys.iter().zip(&req.from) {
        let Some(s) = sread_mut(ks, key)? else { return Err(nogroup(key, &gr.group)) };
        let Some(g) = s.group(&gr.group) else { return Err(nogroup(key, &gr.group)) };
        let (serve, history, gt) = match *from {
            ReadFrom::After(id) => (true, true, id),
            ReadFrom::Undelivered => (last_valid(s).is_some_and(|m| m > g.last_id), false, g.last_id),
        };
        // Every consumer named is created and marked seen, served or not.
        let mut g = s.groups.remove(&gr.group[..]).expect("group checked above");
        let created = g.create_consumer(&gr.consumer, now);
        let mut effects = GroupEffects { created_consumer: created, ..Default::default() };
        if let Some(c) = g.consumer_mut(&gr.consumer) {
            c.seen_time = now;
        }
        if serve {
            if served == 0 {
                d = Some(out.defer());
            }
            served += 1;
            if !resp3 {
                out.array(2);
            }
            out.bulk(key);
            let start = gt.next().unwrap_or(StreamId::MAX);
            if history {
                serve_history(out, s, &mut g, &gr.consumer, start, req.count, now, &mut effects);
            } else {
                serve_new(out, s, &mut g, gr, start, req.count, now, &mut effects);
            }
            dirty += 1;
        }
        let last_id = g.last_id;
        s.groups.insert(gr.group.clone(), g);
        effects.journal(ks, key, &gr.group, &gr.consumer, last_id);
        if created {
            ks.notify(crate::notify::class::STREAM, "xgroup-createconsumer", key);
        }
    }
    if let Some(d) = d {
        // RESP3: a map of key -> entries; RESP2: an array of [key, entries].
        if resp3 {
            out.end_map(d, served);
        } else {
            out.end_array(d, served);
        }
    }
    ks.dirty += dirty;
    Ok(served > 0)
}

/// The consumer's own pending entries from `start` (re-deliveries).
#[allow(clippy::too_many_arguments)]
fn serve_history(
    out: &mut moon_resp::Out,
    s: &Stream,
    g: &mut Group,
    consumer: &[u8],
    start: StreamId,
    count: usize,
    now: i64,
    effects: &mut GroupEffects,
) {
    let limit = if count == 0 { usize::MAX } else { count };
    let ids: Vec<StreamId> = g.consumer(consumer).map(|c| c.pel.range(start..).take(limit).copied().collect()).unwrap_or_default();
    out.array(ids.len());
    for id in ids {
        let e = s.get(id);
        if e.is_some() {
            if let Some(n) = g.pel.get_mut(&id) {
                n.delivery_time = now;
                n.delivery_count += 1;
            }
            effects.claim(g, id);
        }
        reply::entry_or_deleted(out, id, e);
    }
}

/// New entries for the group: advance its last ID and, without NOACK,
/// add them to the PELs.
#[allow(clippy::too_many_arguments)]
fn serve_new(
    out: &mut moon_resp::Out,
    s: &Stream,
    g: &mut Group,
    gr: &GroupRead,
    start: StreamId,
    count: usize,
    now: i64,
    effects: &mut GroupEffects,
) {
    let limit = if count == 0 { usize::MAX } else { count };
    let d = out.defer();
    let mut n = 0;
    for e in s.range(start, StreamId::MAX).take(limit) {
        if e.id > g.last_id {
            s.advance_group(g, e.id);
        }
        reply::entry(out, &e);
        if !gr.noack {
            g.assign(e.id, &gr.consumer, now, 1);
            effects.claim(g, e.id);
            if let Some(c) = g.consumer_mut(&gr.consumer) {
                c.active_time = now;
            }
        }
        n += 1;
    }
    out.end_array(d, n);
    if n > 0 {
        effects.position = Some((g.last_id, g.entries_read));
    }
}
