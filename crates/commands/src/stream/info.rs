//! XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP.

use super::{reply, sread};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NO_SUCH_KEY};
use crate::server::help::subcommand_syntax_error;
use crate::util::{int_arg, is_opt};
use moon_resp::{Argv, Out};
use moon_store::stream::{Group, Stream, StreamEntry, INVALID_ENTRIES_READ};

fn stream<'a>(ks: &'a mut crate::ctx::KeyAccess, argv: &Argv) -> Result<&'a Stream, CmdError> {
    sread(ks, argv.get(2))?.ok_or(NO_SUCH_KEY)
}

pub fn consumers(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let now = moon_store::clock::now_ms();
    let s = stream(&mut ctx.ks, argv)?;
    let Some(g) = s.group(argv.get(3)) else {
        return Err(CmdError::raw(format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            String::from_utf8_lossy(argv.get(3)),
            String::from_utf8_lossy(argv.get(2))
        )));
    };
    let out = &mut *ctx.out;
    out.array(g.consumers.len());
    for c in g.consumers.values() {
        out.map(4);
        out.bulk(b"name");
        out.bulk(&c.name);
        out.bulk(b"pending");
        out.int(c.pel.len() as i64);
        out.bulk(b"idle");
        out.int((now - c.seen_time).max(0));
        out.bulk(b"inactive");
        out.int(if c.active_time != -1 { now - c.active_time } else { -1 });
    }
    Ok(())
}

fn entries_read(out: &mut Out, g: &Group) {
    if g.entries_read != INVALID_ENTRIES_READ {
        out.int(g.entries_read);
    } else {
        out.null();
    }
}

fn lag(out: &mut Out, s: &Stream, g: &Group) {
    match s.group_lag(g) {
        Some(l) => out.int(l),
        None => out.null(),
    }
}

pub fn groups(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let s = stream(&mut ctx.ks, argv)?;
    let out = &mut *ctx.out;
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(6);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"consumers");
        out.int(g.consumers.len() as i64);
        out.bulk(b"pending");
        out.int(g.pel.len() as i64);
        out.bulk(b"last-delivered-id");
        reply::id(out, g.last_id);
        out.bulk(b"entries-read");
        entries_read(out, g);
        out.bulk(b"lag");
        lag(out, s, g);
    }
    Ok(())
}

fn entry_or_null(out: &mut Out, e: Option<StreamEntry>) {
    match e {
        Some(e) => reply::entry(out, &e),
        None => out.null(),
    }
}

fn header(out: &mut Out, s: &Stream) {
    out.bulk(b"length");
    out.int(s.len() as i64);
    out.bulk(b"radix-tree-keys");
    out.int(s.radix_tree_keys() as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(s.radix_tree_nodes() as i64);
    out.bulk(b"last-generated-id");
    reply::id(out, s.last_id);
    out.bulk(b"max-deleted-entry-id");
    reply::id(out, s.max_deleted_id);
    out.bulk(b"entries-added");
    out.int(s.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    reply::id(out, s.first_id);
}

pub fn stream_cmd(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    // The key is looked up before the options are checked, as in Redis.
    stream(&mut ctx.ks, argv)?;
    let argc = argv.len() - 2;
    let mut count: i64 = 10;
    let full = argc > 1;
    if full {
        if (argc != 2 && argc != 4) || !is_opt(argv.get(3), "FULL") {
            return Err(subcommand_syntax_error(argv));
        }
        if argc == 4 {
            if !is_opt(argv.get(4), "COUNT") {
                return Err(subcommand_syntax_error(argv));
            }
            count = int_arg(argv.get(5))?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let s = stream(&mut ctx.ks, argv)?;
    let out = &mut *ctx.out;
    if !full {
        out.map(10);
        header(out, s);
        out.bulk(b"groups");
        out.int(s.groups.len() as i64);
        out.bulk(b"first-entry");
        entry_or_null(out, s.first_entry());
        out.bulk(b"last-entry");
        entry_or_null(out, s.last_entry());
        return Ok(());
    }
    let limit = if count == 0 { usize::MAX } else { count as usize };
    out.map(9);
    header(out, s);
    out.bulk(b"entries");
    let d = out.defer();
    let mut n = 0;
    for e in s.range(Default::default(), moon_store::stream::StreamId::MAX).take(limit) {
        reply::entry(out, &e);
        n += 1;
    }
    out.end_array(d, n);
    out.bulk(b"groups");
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        reply::id(out, g.last_id);
        out.bulk(b"entries-read");
        entries_read(out, g);
        out.bulk(b"lag");
        lag(out, s, g);
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        let shown = g.pel.len().min(limit);
        out.array(shown);
        for (id, nack) in g.pel.iter().take(shown) {
            out.array(4);
            reply::id(out, *id);
            out.bulk(&nack.consumer);
            out.int(nack.delivery_time);
            out.int(nack.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for c in g.consumers.values() {
            out.map(5);
            out.bulk(b"name");
            out.bulk(&c.name);
            out.bulk(b"seen-time");
            out.int(c.seen_time);
            out.bulk(b"active-time");
            out.int(c.active_time);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            let shown = c.pel.len().min(limit);
            out.array(shown);
            for id in c.pel.iter().take(shown) {
                out.array(3);
                reply::id(out, *id);
                let nack = g.pel.get(id);
                out.int(nack.map_or(0, |n| n.delivery_time));
                out.int(nack.map_or(0, |n| n.delivery_count as i64));
            }
        }
    }
    Ok(())
}

const HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Print this help.",
];

pub fn help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    ctx.out.array(HELP.len());
    for l in HELP {
        ctx.out.simple(l);
    }
    Ok(())
}
