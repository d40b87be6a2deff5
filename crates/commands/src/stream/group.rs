//! XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP),
//! XACK and XACKDEL.

use super::add::{delete_with_policy, parse_ids_block, NOT_FOUND};
use super::id::{loose_id, strict_id};
use super::{create_stream, sread_mut, swrite};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::notify::class::STREAM;
use crate::server::help::subcommand_syntax_error;
use crate::util::is_opt;
use moon_resp::Argv;
use moon_store::stream::{Stream, StreamId, INVALID_ENTRIES_READ};

const NEEDS_KEY: &str = "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

fn no_group(group: &[u8], key: &[u8]) -> CmdError {
    CmdError::raw(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(group),
        String::from_utf8_lossy(key)
    ))
}

/// CREATE / SETID trailing options: MKSTREAM (CREATE only), ENTRIESREAD.
fn parse_opts(argv: &Argv, create: bool) -> Result<(bool, i64), CmdError> {
    let (mut mkstream, mut entries_read) = (false, INVALID_ENTRIES_READ);
    let mut i = 5;
    while i < argv.len() {
        let a = argv.get(i);
        if create && is_opt(a, "MKSTREAM") {
            mkstream = true;
            i += 1;
        } else if is_opt(a, "ENTRIESREAD") && i + 1 < argv.len() {
            entries_read = crate::util::int_arg(argv.get(i + 1))?;
            if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                return Err(CmdError::err("value for ENTRIESREAD must be positive or -1"));
            }
            i += 2;
        } else {
            return Err(subcommand_syntax_error(argv));
        }
    }
    Ok((mkstream, entries_read))
}

/// The stream named by XGROUP's key argument (which must exist unless
/// `mkstream`) and, when `need_group`, its group.
fn lookup<'a>(ctx: &'a mut Ctx, argv: &Argv, need_group: bool, mkstream: bool) -> Result<Option<&'a mut Stream>, CmdError> {
    let key = argv.get(2);
    let s = swrite(&mut ctx.ks, key)?;
    match s {
        None if mkstream => Ok(None),
        None => Err(CmdError::err(NEEDS_KEY)),
        Some(s) => {
            if need_group && s.group(argv.get(3)).is_none() {
                return Err(no_group(argv.get(3), key));
            }
            Ok(Some(s))
        }
    }
}

/// A group cannot have read more entries than were ever added.
fn clamp_read(s: &Stream, entries_read: i64) -> i64 {
    if entries_read != INVALID_ENTRIES_READ && entries_read as u64 > s.entries_added {
        s.entries_added as i64
    } else {
        entries_read
    }
}

pub fn create(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.len() > 8 {
        return Err(subcommand_syntax_error(argv));
    }
    let (mkstream, entries_read) = parse_opts(argv, true)?;
    let key = argv.get(2);
    let exists = lookup(ctx, argv, false, mkstream)?.is_some();
    let id_arg = argv.get(4);
    let id = if id_arg == b"$" { swrite(&mut ctx.ks, key)?.map_or(StreamId::MIN, |s| s.last_id) } else { strict_id(id_arg)? };
    if !exists {
        create_stream(&mut ctx.ks, key);
    }
    let Some(s) = swrite(&mut ctx.ks, key)? else { return Ok(()) };
    let entries_read = clamp_read(s, entries_read);
    if !s.create_group(argv.get(3), id, entries_read) {
        return Err(CmdError::fixed("BUSYGROUP Consumer Group name already exists"));
    }
    ctx.ks.dirty += 1;
    ctx.notify(STREAM, "xgroup-create", key);
    ctx.out.ok();
    Ok(())
}

pub fn setid(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if argv.len() != 5 && argv.len() != 7 {
        return Err(subcommand_syntax_error(argv));
    }
    let (_, entries_read) = parse_opts(argv, false)?;
    let Some(s) = lookup(ctx, argv, true, false)? else { return Ok(()) };
    let id_arg = argv.get(4);
    let id = if id_arg == b"$" { s.last_id } else { loose_id(id_arg, 0)? };
    let entries_read = clamp_read(s, entries_read);
    if let Some(g) = s.group_mut(argv.get(3)) {
        g.last_id = id;
        g.entries_read = entries_read;
    }
    ctx.ks.dirty += 1;
    ctx.notify(STREAM, "xgroup-setid", argv.get(2));
    ctx.out.ok();
    Ok(())
}

pub fn destroy(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let Some(s) = lookup(ctx, argv, false, false)? else { return Ok(()) };
    let gone = s.groups.remove(argv.get(3)).is_some();
    if gone {
        ctx.ks.dirty += 1;
        ctx.notify(STREAM, "xgroup-destroy", argv.get(2));
    }
    ctx.out.int(gone as i64);
    Ok(())
}

pub fn createconsumer(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let now = ctx.now();
    let Some(s) = lookup(ctx, argv, true, false)? else { return Ok(()) };
    let created = s.group_mut(argv.get(3)).is_some_and(|g| g.create_consumer(argv.get(4), now));
    if created {
        ctx.ks.dirty += 1;
        ctx.notify(STREAM, "xgroup-createconsumer", argv.get(2));
    }
    ctx.out.int(created as i64);
    Ok(())
}

pub fn delconsumer(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let Some(s) = lookup(ctx, argv, true, false)? else { return Ok(()) };
    let pending = s.group_mut(argv.get(3)).and_then(|g| g.delete_consumer(argv.get(4)));
    if pending.is_some() {
        ctx.ks.dirty += 1;
        ctx.notify(STREAM, "xgroup-delconsumer", argv.get(2));
    }
    ctx.out.int(pending.unwrap_or(0) as i64);
    Ok(())
}

const HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
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

pub fn xack(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let Some(s) = sread_mut(&mut ctx.ks, argv.get(1))? else {
        ctx.out.int(0);
        return Ok(());
    };
    let Some(g) = s.group_mut(argv.get(2)) else {
        ctx.out.int(0);
        return Ok(());
    };
    let ids = (3..argv.len()).map(|i| strict_id(argv.get(i))).collect::<Result<Vec<_>, _>>()?;
    let mut acked = 0;
    for id in ids {
        if g.ack(id) {
            acked += 1;
        }
    }
    ctx.ks.dirty += acked;
    ctx.out.int(acked as i64);
    Ok(())
}

pub fn xackdel(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (policy, range) = parse_ids_block(argv, 3)?;
    let key = argv.get(1);
    let s = swrite(&mut ctx.ks, key)?;
    let Some(s) = s.filter(|s| s.group(argv.get(2)).is_some()) else {
        ctx.out.array(range.len());
        for _ in range {
            ctx.out.int(NOT_FOUND);
        }
        return Ok(());
    };
    let ids = range.map(|i| strict_id(argv.get(i))).collect::<Result<Vec<_>, _>>()?;
    ctx.out.array(ids.len());
    let (mut changes, mut deleted, mut first) = (0u64, 0u64, false);
    for id in ids {
        let acked = s.group_mut(argv.get(2)).is_some_and(|g| g.ack(id));
        if !acked {
            ctx.out.int(NOT_FOUND);
            continue;
        }
        changes += 1;
        let code = delete_with_policy(s, id, policy, &mut first);
        // The entry was pending, so it counts as handled even if it was
        // already deleted from the stream.
        let code = if code == NOT_FOUND { 1 } else { code };
        if code == 1 {
            deleted += 1;
        }
        ctx.out.int(code);
    }
    if deleted > 0 && (s.is_empty() || first) {
        s.refresh_first_id();
    }
    ctx.ks.dirty += changes;
    if deleted > 0 {
        ctx.notify(STREAM, "xdel", key);
    }
    Ok(())
}
