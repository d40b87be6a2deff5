//! FUNCTION (LOAD DELETE FLUSH LIST STATS KILL HELP DUMP RESTORE) and
//! FCALL / FCALL_RO, on the libraries `moon_script` keeps.

use super::{cat, kill_running, run_guarded, G};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::spec::{cmd, flag::*, CommandDef, Locking};
use moon_resp::Argv;
use moon_script::{script_flags, Engine, RunResult};
use std::sync::atomic::Ordering::Relaxed;

const S: u64 = cat::SCRIPTING;

const fn sub(name: &'static str, arity: i32, flags: u64, handler: crate::spec::Handler, locking: Locking) -> CommandDef {
    cmd(name, arity, flags, S, &[], handler, G).locking(locking)
}

pub static SUBS: &[CommandDef] = &[
    sub("delete", 3, NOSCRIPT | WRITE, function_delete, Locking::World),
    sub("dump", 2, NOSCRIPT, function_dump, Locking::World),
    sub("flush", -2, NOSCRIPT | WRITE, function_flush, Locking::World),
    sub("help", 2, LOADING | STALE, function_help, Locking::None),
    sub("kill", 2, NOSCRIPT | ALLOW_BUSY, function_kill, Locking::None),
    sub("list", -2, NOSCRIPT, function_list, Locking::World),
    sub("load", -3, NOSCRIPT | WRITE | DENYOOM, function_load, Locking::World),
    sub("restore", -3, NOSCRIPT | WRITE | DENYOOM, function_restore, Locking::World),
    sub("stats", 2, NOSCRIPT | ALLOW_BUSY, function_stats, Locking::None),
];

/// Publish the library and function counts FUNCTION STATS reports.
pub(crate) fn update_counts(ctx: &Ctx, engine: &Engine) {
    publish_counts(ctx.srv, engine);
}

pub(crate) fn publish_counts(srv: &crate::state::Server, engine: &Engine) {
    let libs = engine.libraries();
    let funcs = libs.libs.values().map(|l| l.functions.len()).sum();
    *srv.scripting.lib_counts.lock() = (libs.libs.len(), funcs);
}

pub(crate) fn fcall(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    fcall_generic(ctx, argv, false)
}

pub(crate) fn fcall_ro(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    fcall_generic(ctx, argv, true)
}

fn fcall_generic(ctx: &mut Ctx, argv: &Argv, ro: bool) -> CmdResult {
    let srv = ctx.srv;
    let mut engine = srv.scripting.engine.lock();
    let name = argv.get(1);
    let flags = engine.function_flags(name).ok_or(CmdError::err("Function not found"))?;
    let numkeys = crate::util::parse_i64(argv.get(2)).ok_or(CmdError::err("Bad number of keys provided"))?;
    if numkeys > (argv.len() - 3) as i64 {
        return Err(CmdError::err("Number of keys can't be greater than number of args"));
    }
    if numkeys < 0 {
        return Err(CmdError::err("Number of keys can't be negative"));
    }
    let no_writes = flags & script_flags::NO_WRITES != 0;
    if !no_writes && ro {
        return Err(CmdError::err("Can not execute a script with write flag using *_ro command."));
    }
    let deny_oom = flags & script_flags::ALLOW_OOM == 0;
    if deny_oom && !no_writes {
        let maxmemory = srv.config.hot.maxmemory.load(Relaxed);
        if maxmemory != 0 && srv.used_memory() > maxmemory {
            return Err(CmdError::fixed("OOM command not allowed when used memory > 'maxmemory'."));
        }
    }
    let all: Vec<&[u8]> = argv.iter().skip(3).collect();
    let (keys, args) = all.split_at(numkeys as usize);
    let r = run_guarded(ctx, argv, name, true, ro || no_writes, deny_oom, |host, out| engine.call_function(host, name, keys, args, out));
    match r {
        RunResult::Done => Ok(()),
        RunResult::Error(e) => Err(CmdError::raw(e)),
    }
}

fn function_load(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mut replace = false;
    let mut i = 2;
    while i < argv.len() - 1 {
        let a = argv.get(i);
        if !a.eq_ignore_ascii_case(b"replace") {
            return Err(CmdError::err(format!("Unknown option given: {}", String::from_utf8_lossy(a))));
        }
        replace = true;
        i += 1;
    }
    let code = argv.get(argv.len() - 1);
    let mut engine = ctx.srv.scripting.engine.lock();
    let name = engine.load_library(code, replace, true).map_err(CmdError::err)?;
    update_counts(ctx, &engine);
    ctx.ks.dirty += 1;
    ctx.out.bulk(name.as_bytes());
    Ok(())
}

fn function_delete(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mut engine = ctx.srv.scripting.engine.lock();
    let name = String::from_utf8_lossy(argv.get(2)).into_owned();
    if !engine.delete_library(&name) {
        return Err(CmdError::err("Library not found"));
    }
    update_counts(ctx, &engine);
    ctx.ks.dirty += 1;
    ctx.out.ok();
    Ok(())
}

fn function_flush(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    match argv.len() {
        2 => {}
        3 if argv.get(2).eq_ignore_ascii_case(b"sync") || argv.get(2).eq_ignore_ascii_case(b"async") => {}
        3 => return Err(CmdError::err("FUNCTION FLUSH only supports SYNC|ASYNC option")),
        _ => return Err(syntax(argv)),
    }
    let mut engine = ctx.srv.scripting.engine.lock();
    engine.flush_libraries();
    update_counts(ctx, &engine);
    ctx.ks.dirty += 1;
    ctx.out.ok();
    Ok(())
}

fn function_list(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (mut with_code, mut pattern): (bool, Option<&[u8]>) = (false, None);
    let mut i = 2;
    while i < argv.len() {
        let a = argv.get(i);
        if !with_code && a.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && a.eq_ignore_ascii_case(b"libraryname") {
            if i + 1 >= argv.len() {
                return Err(CmdError::err("library name argument was not given"));
            }
            i += 1;
            pattern = Some(argv.get(i));
        } else {
            return Err(CmdError::err(format!("Unknown argument {}", String::from_utf8_lossy(a))));
        }
        i += 1;
    }
    let engine = ctx.srv.scripting.engine.lock();
    let libs: Vec<_> =
        engine.libraries().libs.values().filter(|l| pattern.is_none_or(|p| crate::util::glob_match(p, l.name.as_bytes(), true))).collect();
    let out = &mut *ctx.out;
    out.array(libs.len());
    for l in libs {
        out.map(if with_code { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(l.name.as_bytes());
        out.bulk(b"engine");
        out.bulk(b"LUA");
        out.bulk(b"functions");
        out.array(l.functions.len());
        for f in &l.functions {
            out.map(3);
            out.bulk(b"name");
            out.bulk(f.name.as_bytes());
            out.bulk(b"description");
            match &f.desc {
                Some(d) => out.bulk(d),
                None => out.null(),
            }
            out.bulk(b"flags");
            let names: Vec<&str> = script_flags::NAMES.iter().filter(|(b, _)| f.flags & b != 0).map(|(_, n)| *n).collect();
            out.set(names.len());
            for n in names {
                out.simple(n);
            }
        }
        if with_code {
            out.bulk(b"library_code");
            out.bulk(&l.code);
        }
    }
    Ok(())
}

fn function_stats(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let s = &ctx.srv.scripting;
    let since = s.running_since.load(Relaxed);
    // Redis will not describe a running EVAL script here.
    if since != 0 && !s.running_function.load(Relaxed) {
        return Err(super::busy::BUSY);
    }
    let running = {
        let r = s.running.lock();
        r.active.then(|| (r.name.clone(), r.argv().to_vec()))
    };
    let (libs, funcs) = *s.lib_counts.lock();
    let out = &mut *ctx.out;
    out.map(2);
    out.bulk(b"running_script");
    match running {
        Some((name, argv)) if since != 0 => {
            out.map(3);
            out.bulk(b"name");
            out.bulk(&name);
            out.bulk(b"command");
            out.array(argv.len());
            for a in &argv {
                out.bulk(a);
            }
            out.bulk(b"duration_ms");
            out.int(moon_store::clock::now_ms() - since);
        }
        _ => out.null(),
    }
    out.bulk(b"engines");
    out.map(1);
    out.bulk(b"LUA");
    out.map(2);
    out.bulk(b"libraries_count");
    out.int(libs as i64);
    out.bulk(b"functions_count");
    out.int(funcs as i64);
    Ok(())
}

fn function_kill(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    kill_running(ctx, false)
}

fn function_dump(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let engine = ctx.srv.scripting.engine.lock();
    let codes: Vec<&[u8]> = engine.libraries().libs.values().map(|l| &l.code[..]).collect();
    let payload = moon_persist::functions::dump_payload(&codes);
    ctx.out.bulk(&payload);
    Ok(())
}

fn function_restore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    #[derive(PartialEq)]
    enum Policy {
        Append,
        Replace,
        Flush,
    }
    let policy = match argv.len() {
        3 => Policy::Append,
        4 => {
            let p = argv.get(3);
            if p.eq_ignore_ascii_case(b"append") {
                Policy::Append
            } else if p.eq_ignore_ascii_case(b"replace") {
                Policy::Replace
            } else if p.eq_ignore_ascii_case(b"flush") {
                Policy::Flush
            } else {
                return Err(CmdError::err("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."));
            }
        }
        _ => return Err(syntax(argv)),
    };
    let codes = moon_persist::functions::parse_payload(argv.get(2)).map_err(CmdError::err)?;
    let mut engine = ctx.srv.scripting.engine.lock();
    let old = engine.take_libraries();
    // Load into an empty set first (a payload's own libraries must not
    // collide), then merge by the policy; on failure the old set stays.
    let mut loaded = Vec::new();
    for code in &codes {
        match engine.load_library(code, false, false) {
            Ok(name) => loaded.push(name),
            Err(e) => {
                engine.set_libraries(old);
                return Err(CmdError::err(e));
            }
        }
    }
    let new = engine.take_libraries();
    let merged = if policy == Policy::Flush { Ok(new) } else { moon_script::functions::merge(old, new, policy == Policy::Replace) };
    match merged {
        Ok(libs) => {
            engine.set_libraries(libs);
            update_counts(ctx, &engine);
            ctx.ks.dirty += 1;
            ctx.out.ok();
            Ok(())
        }
        Err((old, e)) => {
            engine.set_libraries(old);
            Err(CmdError::err(e))
        }
    }
}

/// addReplySubcommandSyntaxError, naming the subcommand as typed.
fn syntax(argv: &Argv) -> CmdError {
    CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
        String::from_utf8_lossy(argv.get(1))
    ))
}

fn function_help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    const LINES: &[&str] = &[
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Print this help.",
    ];
    ctx.out.array(LINES.len());
    for l in LINES {
        ctx.out.simple(l);
    }
    Ok(())
}
