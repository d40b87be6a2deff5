//! The one dispatch path. Every command from every transport goes through
//! `call`: lookup, arity, protection, authentication, client pause, world
//! and stripe locking, the handler, then stats, slowlog, latency monitor and
//! the MONITOR feed.

use crate::client::{ConnState, ReplyMode};
use crate::ctx::{Ctx, KeyAccess};
use crate::error::{self, CmdError, NOAUTH};
use crate::spec::{flag, BeginSearch, FindKeys, Locking};
use crate::state::{Server, SlowLogEntry};
use crate::table::TableEntry;
use crate::util::repr;
use moon_resp::{Argv, Out};
use moon_store::clock;
use moon_store::ticks;
use parking_lot::RwLockReadGuard;
use std::sync::atomic::Ordering::Relaxed;

/// What the connection must do with the command it submitted.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Executed (the reply, possibly an error, is in the output buffer).
    Done,
    /// The server is paused for this command until the given unix ms:
    /// wait, then submit the same command again.
    Paused { until: i64 },
}

/// A shared hold on the world lock that a connection may keep across the
/// commands of one pipelined batch (see `call_timed`).
pub type WorldHold<'a> = Option<RwLockReadGuard<'a, ()>>;

/// Run one command, reading the clocks itself.
pub fn call(srv: &Server, conn: &mut ConnState, out: &mut Out, argv: &Argv) -> Outcome {
    call_timed(srv, conn, out, argv, clock::now_ms(), ticks::now(), &mut None).0
}

/// Run one command at unix time `now` (ms), timing it from `start`
/// ([`ticks`] count).
/// Returns when it ended, so a connection running a pipeline can use one
/// command's end as the next one's start: one clock read per command.
///
/// `world` carries the shared world lock between the commands of a batch,
/// so a pipeline pays for it once, not per command: it is taken when
/// missing and left held; a command that needs the world exclusively drops
/// it first. The caller must drop it before waiting on I/O.
pub fn call_timed<'s>(
    srv: &'s Server,
    conn: &mut ConnState,
    out: &mut Out,
    argv: &Argv,
    now: i64,
    start: u64,
    world: &mut WorldHold<'s>,
) -> (Outcome, u64) {
    match run_checked(srv, conn, out, argv, now, start, world) {
        // Rejected or paused before running: the end is read here.
        Err(outcome) => (outcome, ticks::now()),
        Ok(end) => (Outcome::Done, end),
    }
}

/// The checks, the command and its bookkeeping. Err carries an outcome
/// decided before the handler ran; Ok the tick count when it finished (read
/// once: it times this command and starts the next one's clock).
fn run_checked<'s>(
    srv: &'s Server,
    conn: &mut ConnState,
    out: &mut Out,
    argv: &Argv,
    now: i64,
    start: u64,
    world: &mut WorldHold<'s>,
) -> Result<u64, Outcome> {
    let Some(id) = resolve(srv, out, argv) else {
        flag_transaction(conn);
        return Err(Outcome::Done);
    };
    let entry = srv.table.get(id);
    let def = entry.def;

    if def.has(flag::PROTECTED) && !debug_allowed(srv, conn) {
        return Err(reject(srv, conn, entry, out, CmdError::err(
            "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
        )));
    }
    if !conn.authenticated && !def.has(flag::NO_AUTH) && srv.acl.auth_required() {
        return Err(reject(srv, conn, entry, out, NOAUTH));
    }
    if let Err(e) = crate::acl::check(srv, conn, entry, argv) {
        return Err(reject(srv, conn, entry, out, e));
    }
    // A MONITOR client is a replica to Redis: no keyspace access.
    if conn.monitor && (def.has(flag::READONLY) || def.has(flag::WRITE) || def.has(flag::MAY_REPLICATE)) {
        return Err(reject(srv, conn, entry, out, CmdError::err("Replica can't interact with the keyspace")));
    }
    if conn.subs.any() && !out.resp3() && !crate::pubsub::allowed_while_subscribed(&entry.full_name) {
        return Err(reject(srv, conn, entry, out, crate::pubsub::subscribed_context_error(&entry.full_name)));
    }
    if conn.multi.is_some() && def.has(flag::NO_MULTI) {
        return Err(reject(srv, conn, entry, out, CmdError::err("Command not allowed inside a transaction")));
    }
    // Evict before any of the command's stripes is locked.
    if srv.config.hot.maxmemory.load(Relaxed) != 0 {
        if let Err(e) = crate::evict::before_command(srv, conn.thread, def, now, world) {
            return Err(reject(srv, conn, entry, out, e));
        }
    }
    if let Some(e) = crate::persistence::bgsave::misconf(srv, def) {
        return Err(reject(srv, conn, entry, out, e));
    }
    if let Some(m) = conn.multi.as_mut() {
        if !crate::multi::runs_inside_multi(&entry.full_name) {
            m.queued.push(argv.to_vec());
            conn.handle.multi_queued.store(m.queued.len() as i64, Relaxed);
            out.simple("QUEUED");
            return Err(Outcome::Done);
        }
    }
    if let Some(until) = srv.paused_for(def.has(flag::WRITE) || def.has(flag::MAY_REPLICATE), now) {
        return Err(Outcome::Paused { until });
    }
    Ok(execute(srv, conn, out, id, argv, now, start, world))
}

/// EXEC's step for one queued command: ACL permissions are checked again
/// (they may have changed since it was queued), then it runs as
/// [`run_nested`] does.
pub fn run_queued(srv: &Server, conn: &mut ConnState, out: &mut Out, argv: &Argv, now: i64) {
    let Some(id) = resolve(srv, out, argv) else { return };
    if crate::acl::check_in(srv, conn, srv.table.get(id), argv, crate::acl::log::Context::Multi).is_err() {
        let e = CmdError::raw("NOPERM ACLs rules changed between the moment the transaction was accumulated and its execution");
        srv.stats.record_error(e.code());
        out.error(e.as_str());
        return;
    }
    execute(srv, conn, out, id, argv, now, ticks::now(), &mut None);
}

/// Run a command queued by MULTI (or called from a script) inside the
/// caller's exclusive hold of the world: the lookup, the handler and the
/// bookkeeping, without the checks made when it was queued.
pub fn run_nested(srv: &Server, conn: &mut ConnState, out: &mut Out, argv: &Argv, now: i64) {
    let Some(id) = resolve(srv, out, argv) else { return };
    execute(srv, conn, out, id, argv, now, ticks::now(), &mut None);
}

/// The handler under its locks, then stats, slowlog, latency, MONITOR and
/// CLIENT REPLY. Returns the tick count when it finished.
fn execute<'s>(
    srv: &'s Server,
    conn: &mut ConnState,
    out: &mut Out,
    id: usize,
    argv: &Argv,
    now: i64,
    start: u64,
    world: &mut WorldHold<'s>,
) -> u64 {
    let entry = srv.table.get(id);
    let mark = out.buf.len();
    let result = run_locked(srv, conn, out, entry, argv, now, world);
    let end = ticks::now();
    let dur_us = ticks::to_us(end.saturating_sub(start));

    if let Err(e) = &result {
        out.error(e.as_str());
        srv.stats.record_error(e.code());
        entry.stats.failed.fetch_add(1, Relaxed);
    }
    let t = conn.thread;
    entry.stats.calls.add_local(t, 1);
    entry.stats.usec.add_local(t, dur_us);
    srv.stats.commands_processed.add_local(t, 1);
    after_call(srv, conn, entry, argv, dur_us, now);
    if conn.caching.is_some() && entry.full_name != "client|caching" {
        // CLIENT CACHING applies to the one command after it.
        conn.caching = None;
    }
    conn.handle.last_cmd.store(id + 1, Relaxed);
    crate::client::bump(&conn.handle.tot_cmds, 1);

    if matches!(conn.reply_mode, ReplyMode::Off | ReplyMode::Skip) {
        out.buf.truncate(mark);
    }
    conn.reply_mode = match conn.reply_mode {
        ReplyMode::Skip => ReplyMode::On,
        ReplyMode::SkipNext => ReplyMode::Skip,
        m => m,
    };
    end
}

/// A command was refused while queuing a transaction: EXEC will answer
/// EXECABORT.
fn flag_transaction(conn: &mut ConnState) {
    if let Some(m) = conn.multi.as_mut() {
        m.aborted = true;
    }
}

/// Find the command (and subcommand) and check arity; on failure the
/// error is written and None returned.
fn resolve(srv: &Server, out: &mut Out, argv: &Argv) -> Option<usize> {
    let name = argv.get(0);
    let Some(mut id) = srv.table.lookup(name) else {
        let mut args = String::new();
        for a in argv.iter().skip(1) {
            if args.len() >= 128 {
                break;
            }
            let room = 128 - args.len();
            let a = String::from_utf8_lossy(cstr(a));
            let a: String = a.chars().take(room).collect();
            args.push_str(&format!("'{a}' "));
        }
        let name = String::from_utf8_lossy(cstr(name));
        let name: String = name.chars().take(128).collect();
        let e = CmdError::err(format!("unknown command '{name}', with args beginning with: {args}"));
        srv.stats.record_error(e.code());
        out.error(e.as_str());
        return None;
    };
    let parent = srv.table.get(id);
    // A container called without a subcommand is checked against its own
    // arity: CLIENT (-2) fails, COMMAND (-1) runs its own handler.
    if !parent.def.subcommands.is_empty() && argv.len() >= 2 {
        match srv.table.lookup_sub(id, argv.get(1)) {
            Some(sid) => id = sid,
            None => {
                let sub = String::from_utf8_lossy(cstr(argv.get(1)));
                let sub: String = sub.chars().take(128).collect();
                let upper = String::from_utf8_lossy(name).to_uppercase();
                let e = CmdError::err(format!("unknown subcommand '{sub}'. Try {upper} HELP."));
                count_rejection(srv, parent, out, e);
                return None;
            }
        }
    }
    let entry = srv.table.get(id);
    let arity = entry.def.arity;
    let argc = argv.len() as i32;
    if (arity > 0 && argc != arity) || argc < -arity {
        count_rejection(srv, entry, out, error::arity(&entry.full_name));
        return None;
    }
    Some(id)
}

/// Redis formats names with %s: a NUL byte ends them.
fn cstr(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

fn reject(srv: &Server, conn: &mut ConnState, entry: &TableEntry, out: &mut Out, e: CmdError) -> Outcome {
    flag_transaction(conn);
    count_rejection(srv, entry, out, e)
}

fn count_rejection(srv: &Server, entry: &TableEntry, out: &mut Out, e: CmdError) -> Outcome {
    entry.stats.rejected.fetch_add(1, Relaxed);
    srv.stats.record_error(e.code());
    out.error(e.as_str());
    Outcome::Done
}

fn debug_allowed(srv: &Server, conn: &ConnState) -> bool {
    match srv.config.get_str("enable-debug-command").as_str() {
        "yes" => true,
        "local" => conn.is_local,
        _ => false,
    }
}

fn run_locked<'s>(
    srv: &'s Server,
    conn: &mut ConnState,
    out: &mut Out,
    entry: &TableEntry,
    argv: &Argv,
    now: i64,
    world: &mut WorldHold<'s>,
) -> Result<(), CmdError> {
    let def = entry.def;
    let touch = !conn.no_touch || entry.full_name == "touch";
    let db_index = conn.db;
    let db = &srv.ks.dbs[db_index];
    let _world_excl = match def.locking {
        // Inside EXEC (or a script) the caller holds the world exclusively.
        _ if conn.in_exec => None,
        Locking::World => {
            // Our own shared slot must be free before taking every slot.
            *world = None;
            // A running script holds the world: wait, or answer BUSY.
            crate::scripting::busy::exclusive(srv, def)?
        }
        _ => {
            if world.is_none() {
                // None: an ALLOW_BUSY command while a script holds the world.
                *world = crate::scripting::busy::shared(srv, conn.thread, def)?;
            }
            None
        }
    };
    let mut ks = KeyAccess::new(db, db_index, now, touch);
    ks.load_server_flags(srv);
    ks.set_argv(argv);
    ks.any_stripe = _world_excl.is_some() || conn.in_exec;
    if def.locking == Locking::Keys {
        lock_spec_keys(&mut ks, entry, argv);
    }
    let mut ctx = Ctx { srv, conn, out, cmd: entry, ks };
    let r = (def.handler)(&mut ctx, argv);
    if ctx.ks.journal.on {
        crate::journal::record::seal(&mut ctx.ks, entry);
    }
    if def.has(flag::WRITE) {
        after_write(srv, &mut ctx, argv);
    }
    let thread = ctx.conn.thread;
    let ks = &mut ctx.ks;
    if moon_store::stripe::recording_expired() || !ks.events.is_empty() || !ks.served.is_empty() {
        // Keys the command found expired (invalidated for tracking clients
        // too, noted for the journal), then its own events (and the
        // replies of the clients it served).
        crate::notify::publish_pending(srv, ks, Some(&mut ctx.conn.bcast_pending));
    }
    // Its journal records, with DELs/HDELs of what it found expired first.
    if ctx.ks.journal.on {
        crate::journal::record::commit(srv, ctx.conn, &mut ctx.ks, argv);
    }
    // After the expiry invalidations: a read that found its key expired
    // tracks the key from now on.
    if def.has(flag::READONLY) && ctx.conn.tracking.is_some() {
        remember_reads(srv, &ctx, argv);
    }
    let ks = &mut ctx.ks;
    let expired = ks.take_expired();
    let (hits, misses, dirty) = (ks.hits, ks.misses, ks.dirty);
    ks.unlock_all();
    let st = &srv.stats;
    if expired > 0 {
        st.expired_keys.fetch_add(expired, Relaxed);
    }
    if hits > 0 {
        st.keyspace_hits.add_local(thread, hits);
    }
    if misses > 0 {
        st.keyspace_misses.add_local(thread, misses);
    }
    if dirty > 0 {
        st.dirty.add_local(thread, dirty);
    }
    r
}

/// What follows a write under its locks: watchers of the keys it changed
/// are marked, clients blocked on its keys are served (unless the command
/// itself just blocked its client; inside EXEC or a script, once that is
/// over), and tracking clients that read them are told. The keys are
/// extracted only if one of these has someone to tell.
fn after_write(srv: &Server, ctx: &mut Ctx, argv: &Argv) {
    let changed = ctx.ks.dirty > 0;
    let watch = changed && srv.watches.any();
    let wake = srv.blocking.any() && ctx.conn.blocked.is_none();
    let track = changed && srv.tracking.any();
    if !(watch || wake || track) {
        return;
    }
    let mut idx = Vec::new();
    ctx.cmd.def.key_indexes(argv, &mut idx);
    let keys = || idx.iter().map(|&i| argv.get(i));
    if watch {
        crate::multi::watch::touch_keys(srv, &ctx.ks, keys());
    }
    if wake {
        if ctx.conn.in_exec {
            let db = ctx.ks.db_index;
            ctx.conn.deferred_ready.extend(keys().map(|k| (db, k.to_vec())));
        } else {
            crate::blocking::wake(srv, &mut ctx.ks, keys());
        }
    }
    if track {
        for k in keys() {
            srv.tracking.invalidate(srv, k, ctx.conn.id(), &mut ctx.conn.bcast_pending);
        }
    }
}

/// A tracking client ran a read-only command: remember its keys (unless
/// OPTIN/OPTOUT say otherwise for this command).
fn remember_reads(srv: &Server, ctx: &Ctx, argv: &Argv) {
    let Some(t) = &ctx.conn.tracking else { return };
    if !crate::tracking::tracks_this_command(ctx.conn, t) {
        return;
    }
    let mut idx = Vec::new();
    ctx.cmd.def.key_indexes(argv, &mut idx);
    for i in idx {
        srv.tracking.remember(argv.get(i), ctx.conn.id());
    }
}

/// Lock the stripes of the keys the command's key specs name. The common
/// one-key-at-argv[1] shape skips the general extraction.
#[inline]
fn lock_spec_keys(ks: &mut KeyAccess, entry: &TableEntry, argv: &Argv) {
    let specs = entry.def.key_specs;
    if specs.len() == 1
        && specs[0].begin == BeginSearch::Index(1)
        && matches!(specs[0].find, FindKeys::Range { lastkey: 0, .. })
        && argv.len() > 1
    {
        ks.lock_one(argv.get(1));
        return;
    }
    let mut idx = Vec::new();
    entry.def.key_indexes(argv, &mut idx);
    ks.lock_keys(idx.iter().map(|&i| argv.get(i)));
}

fn after_call(srv: &Server, conn: &ConnState, entry: &TableEntry, argv: &Argv, dur_us: u64, now: i64) {
    let def = entry.def;
    let threshold = srv.config.hot.slowlog_slower_than.load(Relaxed);
    if threshold >= 0 && dur_us as i64 >= threshold && !def.has(flag::SKIP_SLOWLOG) {
        add_slowlog(srv, conn, argv, dur_us, now);
    }
    let lat = srv.config.hot.latency_threshold.load(Relaxed);
    if lat > 0 && (dur_us / 1000) as i64 >= lat {
        let event = if def.has(flag::FAST) { "fast-command" } else { "command" };
        srv.latency.lock().add(event, now / 1000, dur_us / 1000);
    }
    if srv.clients.monitor_count.load(Relaxed) > 0 && !def.has(flag::SKIP_MONITOR) && !def.has(flag::ADMIN) {
        feed_monitors(srv, conn, argv, now);
    }
}

const SLOWLOG_MAX_ARGC: usize = 32;
const SLOWLOG_MAX_STRING: usize = 128;

fn add_slowlog(srv: &Server, conn: &ConnState, argv: &Argv, dur_us: u64, now: i64) {
    let max_len = srv.config.hot.slowlog_max_len.load(Relaxed).max(0) as usize;
    let argc = argv.len().min(SLOWLOG_MAX_ARGC);
    let mut args = Vec::with_capacity(argc);
    for i in 0..argc {
        if argc != argv.len() && i == argc - 1 {
            args.push(format!("... ({} more arguments)", argv.len() - argc + 1).into_bytes());
            break;
        }
        let a = argv.get(i);
        if a.len() > SLOWLOG_MAX_STRING {
            let mut v = a[..SLOWLOG_MAX_STRING].to_vec();
            v.extend_from_slice(format!("... ({} more bytes)", a.len() - SLOWLOG_MAX_STRING).as_bytes());
            args.push(v);
        } else {
            args.push(a.to_vec());
        }
    }
    let name = conn.handle.meta.lock().name.clone();
    let mut log = srv.slowlog.lock();
    let id = log.next_id;
    log.next_id += 1;
    log.entries.push_front(SlowLogEntry { id, time: now / 1000, duration_us: dur_us, args, addr: conn.handle.addr.clone(), name });
    log.entries.truncate(max_len);
}

fn feed_monitors(srv: &Server, conn: &ConnState, argv: &Argv, now_ms: i64) {
    let us = clock::now_us();
    let _ = now_ms;
    let mut line = format!("+{}.{:06} [{} {}]", us / 1_000_000, us % 1_000_000, conn.db, conn.handle.addr);
    for a in argv.iter() {
        line.push(' ');
        line.push_str(&repr(a));
    }
    line.push_str("\r\n");
    // Redis gives monitors the "normal" class limits (none by default;
    // the mailbox still has a fixed cap, so a stalled monitor stays bounded).
    let limit = crate::client::OutputLimit::from_class(&srv.config.hot.obuf_normal);
    for m in srv.clients.monitors.lock().iter() {
        m.deliver(line.as_bytes(), &limit);
    }
}
