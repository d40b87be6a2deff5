//! The blocking commands: parse, try once, and block if nothing is there.

use super::serve::run_op;
use super::timeout::deadline_from_seconds;
use super::{BlockedOp, Waiter};
use crate::ctx::Ctx;
use crate::error::CmdResult;
use crate::list::side_arg;
use crate::spec::{cat, cmd, flag::*, kf, BeginSearch, CommandDef, FindKeys, KeySpec};
use moon_resp::Argv;
use moon_store::list::Side;
use std::collections::VecDeque;

const POP_KEYS: &[KeySpec] = &[KeySpec::range(1, -2, 1, kf::RW | kf::ACCESS | kf::DELETE)];
const MOVE_KEYS: &[KeySpec] = &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::DELETE), KeySpec::single(2, kf::RW | kf::INSERT)];
const MPOP_KEYS: &[KeySpec] = &[KeySpec {
    flags: kf::RW | kf::ACCESS | kf::DELETE,
    begin: BeginSearch::Index(2),
    find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 },
}];

pub static COMMANDS: &[CommandDef] = &[
    cmd("blpop", -3, WRITE | BLOCKING, cat::LIST, POP_KEYS, blpop, "list"),
    cmd("brpop", -3, WRITE | BLOCKING, cat::LIST, POP_KEYS, brpop, "list"),
    cmd("blmove", 6, WRITE | DENYOOM | BLOCKING, cat::LIST, MOVE_KEYS, blmove, "list"),
    cmd("brpoplpush", 4, WRITE | DENYOOM | BLOCKING, cat::LIST, MOVE_KEYS, brpoplpush, "list"),
    cmd("blmpop", -5, WRITE | BLOCKING, cat::LIST, MPOP_KEYS, blmpop, "list"),
    cmd("bzpopmin", -3, WRITE | FAST | BLOCKING, cat::SORTEDSET, POP_KEYS, bzpopmin, "sorted_set"),
    cmd("bzpopmax", -3, WRITE | FAST | BLOCKING, cat::SORTEDSET, POP_KEYS, bzpopmax, "sorted_set"),
    cmd("bzmpop", -5, WRITE | BLOCKING, cat::SORTEDSET, MPOP_KEYS, bzmpop, "sorted_set"),
];

/// Run `op` now; if it finds nothing, block the client on its keys until
/// `deadline` (unix ms, 0: forever). A client that must not block (inside
/// MULTI or a script) gets the timeout reply at once, as in Redis.
pub fn run_or_block(ctx: &mut Ctx, op: BlockedOp, deadline: i64) -> CmdResult {
    if run_op(ctx.srv, &mut ctx.ks, &op, ctx.out, &mut VecDeque::new())? {
        return Ok(());
    }
    if ctx.conn.no_block {
        op.empty_reply(ctx.out);
        return Ok(());
    }
    let w = Waiter::new(ctx.conn.handle.clone(), ctx.conn.db, op, ctx.out.proto, deadline);
    let db = ctx.ks.db;
    ctx.srv.blocking.add(&w, |k| db.stripe_of(k));
    ctx.conn.blocked = Some(w);
    Ok(())
}

fn owned_keys(argv: &Argv, range: std::ops::Range<usize>) -> Vec<Vec<u8>> {
    range.map(|i| argv.get(i).to_vec()).collect()
}

/// BLPOP/BRPOP/BZPOPMIN/BZPOPMAX: key [key ...] timeout.
fn pop_keys(argv: &Argv) -> Vec<Vec<u8>> {
    owned_keys(argv, 1..argv.len() - 1)
}

fn blpop(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let deadline = deadline_from_seconds(argv.get(argv.len() - 1), ctx.now())?;
    run_or_block(ctx, BlockedOp::ListPop { keys: pop_keys(argv), side: Side::Left }, deadline)
}

fn brpop(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let deadline = deadline_from_seconds(argv.get(argv.len() - 1), ctx.now())?;
    run_or_block(ctx, BlockedOp::ListPop { keys: pop_keys(argv), side: Side::Right }, deadline)
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
fn blmove(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let from = side_arg(argv.get(3))?;
    let to = side_arg(argv.get(4))?;
    let deadline = deadline_from_seconds(argv.get(5), ctx.now())?;
    let op = BlockedOp::ListMove { src: argv.get(1).to_vec(), dst: argv.get(2).to_vec(), from, to };
    run_or_block(ctx, op, deadline)
}

/// BRPOPLPUSH source destination timeout
fn brpoplpush(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let deadline = deadline_from_seconds(argv.get(3), ctx.now())?;
    let op = BlockedOp::ListMove { src: argv.get(1).to_vec(), dst: argv.get(2).to_vec(), from: Side::Right, to: Side::Left };
    run_or_block(ctx, op, deadline)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
fn blmpop(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let deadline = deadline_from_seconds(argv.get(1), ctx.now())?;
    let (first, n, side, count) = crate::list::parse_mpop(argv, 2)?;
    run_or_block(ctx, BlockedOp::ListMPop { keys: owned_keys(argv, first..first + n), side, count }, deadline)
}

fn bzpopmin(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let deadline = deadline_from_seconds(argv.get(argv.len() - 1), ctx.now())?;
    run_or_block(ctx, BlockedOp::ZPop { keys: pop_keys(argv), max: false }, deadline)
}

fn bzpopmax(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let deadline = deadline_from_seconds(argv.get(argv.len() - 1), ctx.now())?;
    run_or_block(ctx, BlockedOp::ZPop { keys: pop_keys(argv), max: true }, deadline)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
fn bzmpop(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let deadline = deadline_from_seconds(argv.get(1), ctx.now())?;
    let (first, n, max, count) = crate::zset::pop::parse_zmpop(argv, 2)?;
    let op = BlockedOp::ZMPop { keys: owned_keys(argv, first..first + n), max, count: count.unwrap_or(1) as usize };
    run_or_block(ctx, op, deadline)
}
