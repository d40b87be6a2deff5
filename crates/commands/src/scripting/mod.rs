//! Scripting: EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT, on the Lua
//! engine of `moon-script`.
//!
//! A script runs with the world lock held exclusively (Locking::World), so
//! it is atomic like in Redis; its commands run through the same nested
//! path as EXEC's (`host.rs`). While it runs, other clients wait for the
//! world and get BUSY once it has run past busy-reply-threshold (see
//! `busy.rs`); SCRIPT KILL runs without the world lock and stops it.
//! (Journal note: once a journal exists, a script is journaled as the
//! effects of its write commands, which the nested path records.)

pub mod busy;
pub mod functions;
mod host;
#[cfg(test)]
mod tests;

use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NOT_INTEGER};
use crate::spec::{cat, cmd, flag::*, kf, BeginSearch, CommandDef, FindKeys, KeySpec, Locking};
use moon_resp::Argv;
use moon_script::{script_flags, Engine, KillState, RunResult};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::Relaxed};
use std::sync::Arc;

const S: u64 = cat::SCRIPTING;
const G: &str = "scripting";

const KEYNUM: FindKeys = FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 };
static RW_KEYS: &[KeySpec] = &[KeySpec { flags: kf::RW | kf::ACCESS | kf::UPDATE, begin: BeginSearch::Index(2), find: KEYNUM }];
static RO_KEYS: &[KeySpec] = &[KeySpec { flags: kf::RO | kf::ACCESS, begin: BeginSearch::Index(2), find: KEYNUM }];

const EVAL_FLAGS: u64 = NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE;
const EVAL_RO_FLAGS: u64 = NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY;

const fn sub(name: &'static str, arity: i32, flags: u64, handler: crate::spec::Handler) -> CommandDef {
    cmd(name, arity, flags, S, &[], handler, G).locking(Locking::None)
}

static SCRIPT_SUBS: &[CommandDef] = &[
    sub("exists", -3, NOSCRIPT, script_exists),
    sub("flush", -2, NOSCRIPT, script_flush),
    sub("help", 2, LOADING | STALE, script_help),
    sub("kill", 2, NOSCRIPT | ALLOW_BUSY, script_kill),
    sub("load", 3, NOSCRIPT | STALE, script_load),
];

pub static COMMANDS: &[CommandDef] = &[
    cmd("eval", -3, EVAL_FLAGS, S, RW_KEYS, eval, G).locking(Locking::World),
    cmd("evalsha", -3, EVAL_FLAGS, S, RW_KEYS, evalsha, G).locking(Locking::World),
    cmd("eval_ro", -3, EVAL_RO_FLAGS, S, RO_KEYS, eval_ro, G).locking(Locking::World),
    cmd("evalsha_ro", -3, EVAL_RO_FLAGS, S, RO_KEYS, evalsha_ro, G).locking(Locking::World),
    cmd("script", -2, 0, 0, &[], crate::server::client_cmd::container, G).locking(Locking::None).subs(SCRIPT_SUBS),
    cmd("fcall", -3, EVAL_FLAGS, S, RW_KEYS, functions::fcall, G).locking(Locking::World),
    cmd("fcall_ro", -3, EVAL_RO_FLAGS, S, RO_KEYS, functions::fcall_ro, G).locking(Locking::World),
    cmd("function", -2, 0, 0, &[], crate::server::client_cmd::container, G).locking(Locking::None).subs(functions::SUBS),
];

/// The running script's name and command line. The buffers are kept
/// between runs so publishing them allocates nothing per call.
#[derive(Default)]
pub struct Running {
    pub active: bool,
    pub name: Vec<u8>,
    buf: Vec<u8>,
    offs: Vec<(usize, usize)>,
}

impl Running {
    fn set(&mut self, name: &[u8], argv: &Argv) {
        self.active = true;
        self.name.clear();
        self.name.extend_from_slice(name);
        self.buf.clear();
        self.offs.clear();
        for a in argv.iter() {
            self.offs.push((self.buf.len(), self.buf.len() + a.len()));
            self.buf.extend_from_slice(a);
        }
    }

    /// The command line of the running script.
    pub fn argv(&self) -> Argv<'_> {
        Argv::new(&self.buf, &self.offs)
    }
}

/// The server's scripting state.
pub struct Scripting {
    pub engine: Mutex<Engine>,
    pub kill: Arc<KillState>,
    /// When the running script started (unix ms; 0: none runs).
    pub running_since: AtomicI64,
    /// The running script has called a write command (SCRIPT KILL then
    /// answers UNKILLABLE).
    pub wrote: AtomicBool,
    /// The running script is a function (FCALL), not EVAL.
    pub running_function: AtomicBool,
    /// Name (SHA-1 or function name) and command line of the running
    /// script, for FUNCTION STATS (which runs while the engine is busy).
    pub running: Mutex<Running>,
    /// Library and function counts, for FUNCTION STATS likewise.
    pub lib_counts: Mutex<(usize, usize)>,
}

impl Default for Scripting {
    fn default() -> Self {
        let engine = Engine::new(crate::connection::REDIS_VERSION, version_num(crate::connection::REDIS_VERSION));
        let kill = engine.kill.clone();
        Scripting {
            engine: Mutex::new(engine),
            kill,
            running_since: AtomicI64::new(0),
            wrote: AtomicBool::new(false),
            running_function: AtomicBool::new(false),
            running: Mutex::new(Running::default()),
            lib_counts: Mutex::new((0, 0)),
        }
    }
}

/// "7.4.1" → 0x070401, as redis.REDIS_VERSION_NUM.
fn version_num(v: &str) -> i64 {
    v.split('.').take(3).fold(0, |acc, p| (acc << 8) | p.parse::<i64>().unwrap_or(0))
}

fn eval(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    eval_generic(ctx, argv, false, false)
}
fn evalsha(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    eval_generic(ctx, argv, true, false)
}
fn eval_ro(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    eval_generic(ctx, argv, false, true)
}
fn evalsha_ro(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    eval_generic(ctx, argv, true, true)
}

const NOSCRIPT_ERR: CmdError = CmdError::fixed("NOSCRIPT No matching script. Please use EVAL.");

fn eval_generic(ctx: &mut Ctx, argv: &Argv, by_sha: bool, ro: bool) -> CmdResult {
    let numkeys = crate::util::parse_i64(argv.get(2)).ok_or(NOT_INTEGER)?;
    if numkeys < 0 {
        return Err(CmdError::err("Number of keys can't be negative"));
    }
    if numkeys > (argv.len() - 3) as i64 {
        return Err(CmdError::err("Number of keys can't be greater than number of args"));
    }
    let srv = ctx.srv;
    let mut engine = srv.scripting.engine.lock();
    let sha =
        if by_sha { engine.script_ci(argv.get(1)).ok_or(NOSCRIPT_ERR)? } else { engine.load_script(argv.get(1)).map_err(CmdError::raw)? };
    let flags = engine.script(&sha).map(|s| s.flags).unwrap_or(0);
    let compat = flags & script_flags::EVAL_COMPAT != 0;
    // A script with a shebang declares whether it writes: *_RO refuses
    // one that does not say no-writes before running it.
    if ro && !compat && flags & script_flags::NO_WRITES == 0 {
        return Err(CmdError::err("Can not execute a script with write flag using *_ro command."));
    }
    let read_only = ro || flags & script_flags::NO_WRITES != 0;
    let deny_oom = !compat && flags & script_flags::ALLOW_OOM == 0;
    if deny_oom && !read_only {
        let maxmemory = srv.config.hot.maxmemory.load(Relaxed);
        if maxmemory != 0 && srv.used_memory() > maxmemory {
            return Err(CmdError::fixed("OOM command not allowed when used memory > 'maxmemory'."));
        }
    }
    let n = numkeys as usize;
    // KEYS and ARGV as slices, on the stack for the usual few arguments.
    let mut small: [&[u8]; 8] = [&[]; 8];
    let heap: Vec<&[u8]>;
    let rest = argv.len() - 3;
    let all: &[&[u8]] = if rest <= small.len() {
        for (slot, a) in small.iter_mut().zip(argv.iter().skip(3)) {
            *slot = a;
        }
        &small[..rest]
    } else {
        heap = argv.iter().skip(3).collect();
        &heap
    };
    let (keys, args) = all.split_at(n);
    let r = run_guarded(ctx, argv, &sha, false, read_only, deny_oom, |host, out| engine.run_script(host, &sha, keys, args, out));
    match r {
        RunResult::Done => Ok(()),
        RunResult::Error(e) => Err(CmdError::raw(e)),
    }
}

/// Run a script or function as the running one: the caller's connection
/// state is saved and restored around it, and what FUNCTION STATS, the
/// BUSY reply and SCRIPT/FUNCTION KILL need to know is published.
pub(crate) fn run_guarded(
    ctx: &mut Ctx,
    argv: &Argv,
    name: &[u8],
    is_function: bool,
    read_only: bool,
    deny_oom: bool,
    run: impl FnOnce(&mut host::CallHost, &mut moon_resp::Out) -> RunResult,
) -> RunResult {
    let srv = ctx.srv;
    let saved_db = ctx.conn.db;
    let (in_exec, no_block) = (ctx.conn.in_exec, ctx.conn.no_block);
    ctx.conn.in_exec = true;
    ctx.conn.no_block = true;
    srv.scripting.running.lock().set(name, argv);
    srv.scripting.running_function.store(is_function, Relaxed);
    srv.scripting.wrote.store(false, Relaxed);
    let started = moon_store::clock::now_ms().max(1);
    srv.scripting.running_since.store(started, Relaxed);
    // Past busy-reply-threshold the engine tells the host (which lets the
    // connections sharing this I/O thread be served BUSY meanwhile).
    let threshold = srv.config.get_i64("busy-reply-threshold").max(0);
    srv.scripting.kill.busy_at.store(started + threshold.max(1), Relaxed);
    let r = {
        let mut host = host::CallHost::new(srv, ctx.conn, ctx.ks.now, read_only, deny_oom);
        run(&mut host, ctx.out)
    };
    srv.scripting.kill.busy_at.store(0, Relaxed);
    srv.scripting.running_since.store(0, Relaxed);
    srv.scripting.running.lock().active = false;
    ctx.conn.in_exec = in_exec;
    ctx.conn.no_block = no_block;
    if !in_exec {
        crate::blocking::serve_deferred(srv, ctx.conn, ctx.ks.now, &mut ctx.ks.journal);
    }
    // SELECT inside a script does not change the caller's database.
    if ctx.conn.db != saved_db {
        ctx.conn.set_db(saved_db);
    }
    r
}

fn script_load(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let sha = ctx.srv.scripting.engine.lock().load_script(argv.get(2)).map_err(CmdError::raw)?;
    ctx.out.bulk(&sha);
    Ok(())
}

fn script_exists(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let engine = ctx.srv.scripting.engine.lock();
    ctx.out.array(argv.len() - 2);
    for sha in argv.iter().skip(2) {
        ctx.out.int(engine.script_ci(sha).is_some() as i64);
    }
    Ok(())
}

fn script_flush(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    match argv.len() {
        2 => {}
        3 if argv.get(2).eq_ignore_ascii_case(b"sync") || argv.get(2).eq_ignore_ascii_case(b"async") => {}
        _ => return Err(CmdError::err("SCRIPT FLUSH only support SYNC|ASYNC option")),
    }
    ctx.srv.scripting.engine.lock().flush_scripts();
    ctx.out.ok();
    Ok(())
}

fn script_kill(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    kill_running(ctx, true)
}

/// SCRIPT KILL (`is_eval`) and FUNCTION KILL: each stops only its kind.
pub(crate) fn kill_running(ctx: &mut Ctx, is_eval: bool) -> CmdResult {
    let s = &ctx.srv.scripting;
    if s.running_since.load(Relaxed) == 0 {
        return Err(CmdError::fixed("NOTBUSY No scripts in execution right now."));
    }
    if s.wrote.load(Relaxed) {
        return Err(CmdError::fixed(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
        ));
    }
    let function = s.running_function.load(Relaxed);
    if is_eval && function {
        return Err(busy::BUSY_FUNCTION);
    }
    if !is_eval && !function {
        return Err(busy::BUSY);
    }
    s.kill.kill.store(true, Relaxed);
    ctx.out.ok();
    Ok(())
}

fn script_help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    const LINES: &[&str] = &[
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Print this help.",
    ];
    ctx.out.array(LINES.len());
    for l in LINES {
        ctx.out.simple(l);
    }
    Ok(())
}
