//! Pub/Sub: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH
//! SSUBSCRIBE SUNSUBSCRIBE SPUBLISH PUBSUB.

mod registry;

pub use registry::{queue_limit, PubSub};

use crate::client::ConnState;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::server::help::{reply_help, subcommand_syntax_error};
use crate::spec::{cmd, flag::*, kf, CommandDef, KeySpec, Locking};
use crate::state::Server;
use moon_resp::{Argv, Out};
use std::collections::HashSet;
use std::sync::atomic::Ordering::Relaxed;

const G: &str = "pubsub";
const SUB: u64 = PUBSUB | NOSCRIPT | LOADING | STALE;
const NOT_KEY_ALL: &[KeySpec] = &[KeySpec::range(1, -1, 1, kf::NOT_KEY)];

const fn pcmd(name: &'static str, arity: i32, flags: u64, handler: crate::spec::Handler) -> CommandDef {
    cmd(name, arity, flags, 0, &[], handler, G).locking(Locking::None)
}

static PUBSUB_SUBS: &[CommandDef] = &[
    pcmd("channels", -2, PUBSUB | LOADING | STALE, channels),
    pcmd("numsub", -2, PUBSUB | LOADING | STALE, numsub),
    pcmd("numpat", 2, PUBSUB | LOADING | STALE, numpat),
    pcmd("shardchannels", -2, PUBSUB | LOADING | STALE, shardchannels),
    pcmd("shardnumsub", -2, PUBSUB | LOADING | STALE, shardnumsub),
    pcmd("help", 2, LOADING | STALE, help),
];

pub static COMMANDS: &[CommandDef] = &[
    pcmd("subscribe", -2, SUB | SENTINEL, subscribe),
    pcmd("unsubscribe", -1, SUB | SENTINEL, unsubscribe),
    pcmd("psubscribe", -2, SUB | SENTINEL, psubscribe),
    pcmd("punsubscribe", -1, SUB | SENTINEL, punsubscribe),
    pcmd("publish", 3, PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE | SENTINEL, publish),
    cmd("ssubscribe", -2, SUB, 0, NOT_KEY_ALL, ssubscribe, G).locking(Locking::None),
    cmd("sunsubscribe", -1, SUB, 0, NOT_KEY_ALL, sunsubscribe, G).locking(Locking::None),
    cmd("spublish", 3, PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE, 0, &[KeySpec::single(1, kf::NOT_KEY)], spublish, G)
        .locking(Locking::None),
    cmd("pubsub", -2, 0, 0, &[], crate::server::client_cmd::container, G).locking(Locking::None).subs(PUBSUB_SUBS),
];

/// A connection's subscriptions.
#[derive(Default)]
pub struct Subscriptions {
    pub channels: HashSet<Vec<u8>>,
    pub patterns: HashSet<Vec<u8>>,
    pub shard: HashSet<Vec<u8>>,
}

impl Subscriptions {
    /// Any subscription at all (a RESP2 connection is then in "subscribe
    /// mode").
    #[inline]
    pub fn any(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }

    /// What SUBSCRIBE/PSUBSCRIBE replies count: channels and patterns.
    fn classic(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
}

/// The commands a RESP2 connection may run while subscribed.
pub fn allowed_while_subscribed(name: &str) -> bool {
    matches!(name, "subscribe" | "unsubscribe" | "psubscribe" | "punsubscribe" | "ssubscribe" | "sunsubscribe" | "ping" | "quit" | "reset")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn set(self, s: &mut Subscriptions) -> &mut HashSet<Vec<u8>> {
        match self {
            Kind::Channel => &mut s.channels,
            Kind::Pattern => &mut s.patterns,
            Kind::Shard => &mut s.shard,
        }
    }

    fn count(self, s: &Subscriptions) -> usize {
        match self {
            Kind::Shard => s.shard.len(),
            _ => s.classic(),
        }
    }

    fn names(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Kind::Channel => (b"subscribe", b"unsubscribe"),
            Kind::Pattern => (b"psubscribe", b"punsubscribe"),
            Kind::Shard => (b"ssubscribe", b"sunsubscribe"),
        }
    }

    fn register(self, srv: &Server, name: &[u8], conn: &ConnState, add: bool) {
        let ps = &srv.pubsub;
        let h = &conn.handle;
        match (self, add) {
            (Kind::Channel, true) => ps.channels.add(name, h),
            (Kind::Channel, false) => ps.channels.remove(name, h),
            (Kind::Shard, true) => ps.shard_channels.add(name, h),
            (Kind::Shard, false) => ps.shard_channels.remove(name, h),
            (Kind::Pattern, true) => ps.add_pattern(name, h),
            (Kind::Pattern, false) => ps.remove_pattern(name, h),
        }
    }
}

/// `[kind, name, count]` as a push (an array in RESP2).
fn confirm(out: &mut Out, what: &[u8], name: Option<&[u8]>, count: usize) {
    out.push(3);
    out.bulk(what);
    match name {
        Some(n) => out.bulk(n),
        None => out.null(),
    }
    out.int(count as i64);
}

/// Keep the pub/sub client count and CLIENT LIST's sub/psub/ssub current
/// after a change to `conn`'s subscriptions.
fn settle(srv: &Server, conn: &ConnState, was_subscribed: bool) {
    let now = conn.subs.any();
    if now && !was_subscribed {
        srv.pubsub.clients.fetch_add(1, Relaxed);
    } else if was_subscribed && !now {
        srv.pubsub.clients.fetch_sub(1, Relaxed);
    }
    let h = &conn.handle;
    h.sub_counts[0].store(conn.subs.channels.len(), Relaxed);
    h.sub_counts[1].store(conn.subs.patterns.len(), Relaxed);
    h.sub_counts[2].store(conn.subs.shard.len(), Relaxed);
}

fn subscribe_generic(ctx: &mut Ctx, argv: &Argv, kind: Kind) -> CmdResult {
    let was = ctx.conn.subs.any();
    for name in argv.iter().skip(1) {
        if kind.set(&mut ctx.conn.subs).insert(name.to_vec()) {
            kind.register(ctx.srv, name, ctx.conn, true);
        }
        confirm(ctx.out, kind.names().0, Some(name), kind.count(&ctx.conn.subs));
    }
    settle(ctx.srv, ctx.conn, was);
    Ok(())
}

fn unsubscribe_generic(ctx: &mut Ctx, argv: &Argv, kind: Kind) -> CmdResult {
    let was = ctx.conn.subs.any();
    let names: Vec<Vec<u8>> = if argv.len() > 1 {
        argv.iter().skip(1).map(<[u8]>::to_vec).collect()
    } else {
        kind.set(&mut ctx.conn.subs).iter().cloned().collect()
    };
    if names.is_empty() {
        confirm(ctx.out, kind.names().1, None, kind.count(&ctx.conn.subs));
    }
    for name in names {
        if kind.set(&mut ctx.conn.subs).remove(&name) {
            kind.register(ctx.srv, &name, ctx.conn, false);
        }
        confirm(ctx.out, kind.names().1, Some(&name), kind.count(&ctx.conn.subs));
    }
    settle(ctx.srv, ctx.conn, was);
    Ok(())
}

/// Drop every subscription without replies (RESET, a closing connection).
pub fn unsubscribe_all(srv: &Server, conn: &mut ConnState) {
    if !conn.subs.any() {
        return;
    }
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        for name in std::mem::take(kind.set(&mut conn.subs)) {
            kind.register(srv, &name, conn, false);
        }
    }
    settle(srv, conn, true);
}

fn subscribe(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    subscribe_generic(ctx, argv, Kind::Channel)
}

fn unsubscribe(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    unsubscribe_generic(ctx, argv, Kind::Channel)
}

fn psubscribe(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    subscribe_generic(ctx, argv, Kind::Pattern)
}

fn punsubscribe(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    unsubscribe_generic(ctx, argv, Kind::Pattern)
}

fn ssubscribe(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    subscribe_generic(ctx, argv, Kind::Shard)
}

fn sunsubscribe(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    unsubscribe_generic(ctx, argv, Kind::Shard)
}

fn publish(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let n = ctx.srv.pubsub.publish(argv.get(1), argv.get(2), queue_limit(ctx.srv));
    ctx.out.int(n as i64);
    Ok(())
}

fn spublish(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let n = ctx.srv.pubsub.spublish(argv.get(1), argv.get(2), queue_limit(ctx.srv));
    ctx.out.int(n as i64);
    Ok(())
}

fn list_channels(ctx: &mut Ctx, argv: &Argv, shard: bool) -> CmdResult {
    if argv.len() > 3 {
        return Err(subcommand_syntax_error(argv));
    }
    let pattern = (argv.len() == 3).then(|| argv.get(2));
    let ps = &ctx.srv.pubsub;
    let names = if shard { ps.shard_channels.names(pattern) } else { ps.channels.names(pattern) };
    ctx.out.array(names.len());
    for n in &names {
        ctx.out.bulk(n);
    }
    Ok(())
}

fn channels(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    list_channels(ctx, argv, false)
}

fn shardchannels(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    list_channels(ctx, argv, true)
}

fn count_subscribers(ctx: &mut Ctx, argv: &Argv, shard: bool) -> CmdResult {
    let ps = &ctx.srv.pubsub;
    // A flat array even in RESP3, as Redis replies.
    ctx.out.array(2 * (argv.len() - 2));
    for ch in argv.iter().skip(2) {
        ctx.out.bulk(ch);
        ctx.out.int(if shard { ps.shard_channels.count(ch) } else { ps.channels.count(ch) } as i64);
    }
    Ok(())
}

fn numsub(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    count_subscribers(ctx, argv, false)
}

fn shardnumsub(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    count_subscribers(ctx, argv, true)
}

fn numpat(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    ctx.out.int(ctx.srv.pubsub.numpat() as i64);
    Ok(())
}

const HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Active channels (with at least one subscriber), matching <pattern> if given.",
    "NUMPAT",
    "    How many distinct patterns are subscribed.",
    "NUMSUB [<channel> ...]",
    "    Subscriber count of each channel (pattern subscribers not counted).",
    "SHARDCHANNELS [<pattern>]",
    "    Active shard channels, matching <pattern> if given.",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Subscriber count of each shard channel.",
];

fn help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    reply_help(ctx.out, "PUBSUB", HELP);
    Ok(())
}

/// The error a subscribed RESP2 connection gets for other commands.
pub fn subscribed_context_error(name: &str) -> CmdError {
    CmdError::err(format!(
        "Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    ))
}

#[cfg(test)]
mod tests;
