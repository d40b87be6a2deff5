//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH.
//!
//! While a connection is in MULTI the dispatcher queues its commands
//! (`exec::run_checked`), after the checks Redis makes at queue time; any
//! rejection flags the transaction so EXEC answers EXECABORT. EXEC holds
//! the world lock exclusively (its locking mode), so the queued commands
//! run with nothing in between, each through the same path as any other
//! command (`exec::run_queued`).

pub mod watch;

use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::spec::{cat, cmd, flag::*, kf, CommandDef, KeySpec, Locking};
use moon_resp::Argv;
use std::sync::atomic::Ordering::Relaxed;

pub use watch::WatchRegistry;

const T: u64 = cat::TRANSACTION;
const G: &str = "transactions";

pub static COMMANDS: &[CommandDef] = &[
    cmd("multi", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, T, &[], multi, G).locking(Locking::None),
    cmd("exec", 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG, T, &[], exec, G).locking(Locking::World),
    cmd("discard", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, T, &[], discard, G).locking(Locking::None),
    cmd("watch", -2, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, T, &[KeySpec::range(1, -1, 1, kf::RO)], watch_cmd, G),
    cmd("unwatch", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, T, &[], unwatch, G).locking(Locking::None),
];

/// A transaction being queued.
#[derive(Default)]
pub struct Multi {
    /// Each queued command's arguments.
    pub queued: Vec<Vec<Vec<u8>>>,
    /// A command was rejected while queuing: EXEC will answer EXECABORT.
    pub aborted: bool,
}

/// The commands that run at once inside MULTI instead of being queued.
pub fn runs_inside_multi(name: &str) -> bool {
    matches!(name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
}

fn multi(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    if ctx.conn.multi.is_some() {
        return Err(CmdError::err("MULTI calls can not be nested"));
    }
    ctx.conn.multi = Some(Box::default());
    ctx.conn.handle.multi_queued.store(0, Relaxed);
    ctx.out.ok();
    Ok(())
}

fn discard(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    if ctx.conn.multi.is_none() {
        return Err(CmdError::err("DISCARD without MULTI"));
    }
    discard_state(ctx.srv, ctx.conn);
    ctx.out.ok();
    Ok(())
}

/// Drop the transaction being queued and every WATCH (DISCARD, RESET, a
/// closing connection).
pub fn discard_state(srv: &crate::state::Server, conn: &mut crate::client::ConnState) {
    conn.multi = None;
    conn.handle.multi_queued.store(-1, Relaxed);
    watch::unwatch_all(srv, conn);
}

fn watch_cmd(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if ctx.conn.multi.is_some() {
        return Err(CmdError::err("WATCH inside MULTI is not allowed"));
    }
    for key in argv.iter().skip(1) {
        watch::watch(ctx.srv, ctx.conn, &mut ctx.ks, key);
    }
    ctx.out.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    watch::unwatch_all(ctx.srv, ctx.conn);
    ctx.out.ok();
    Ok(())
}

fn exec(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let Some(m) = ctx.conn.multi.take() else { return Err(CmdError::err("EXEC without MULTI")) };
    ctx.conn.handle.multi_queued.store(-1, Relaxed);
    let failed = watch::changed(ctx.conn, ctx.now());
    watch::unwatch_all(ctx.srv, ctx.conn);
    if m.aborted {
        return Err(CmdError::raw("EXECABORT Transaction discarded because of previous errors."));
    }
    if failed {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.out.array(m.queued.len());
    // Blocking commands answer at once inside a transaction.
    ctx.conn.no_block = true;
    ctx.conn.in_exec = true;
    let mut buf = Vec::new();
    let mut offs = Vec::new();
    for args in &m.queued {
        buf.clear();
        offs.clear();
        for a in args {
            offs.push((buf.len(), buf.len() + a.len()));
            buf.extend_from_slice(a);
        }
        crate::exec::run_queued(ctx.srv, ctx.conn, ctx.out, &Argv::new(&buf, &offs), ctx.now());
        if ctx.conn.multi.is_some() {
            // A queued MULTI can't happen (nested MULTI is refused at once).
            ctx.conn.multi = None;
        }
    }
    ctx.conn.in_exec = false;
    ctx.conn.no_block = false;
    crate::blocking::serve_deferred(ctx.srv, ctx.conn, ctx.now(), &mut ctx.ks.journal);
    Ok(())
}

#[cfg(test)]
mod tests;
