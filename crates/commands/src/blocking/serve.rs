//! Running a waiter's operation: right away when its command is called
//! (`run_op`), and for waiters served by a write (`wake`).

use super::{BlockedOp, Waiter};
use crate::ctx::KeyAccess;
use crate::error::CmdError;
use crate::list::ops as list_ops;
use crate::spec::CommandDef;
use crate::state::Server;
use crate::zset::pop as zset_pop;
use moon_resp::{Argv, Out};
use moon_store::{Object, ValueRef};
use std::collections::VecDeque;
use std::sync::Arc;

/// Run `op` against the keys the caller holds: true if it did something
/// (its reply is in `out`), false if every key was empty. A key whose
/// stripe is not held is skipped: only a write under that stripe's lock
/// could have filled it since the client blocked, and that write serves
/// the client itself. A BLMOVE destination that was filled is added to
/// `filled`, so its own waiters are served next.
pub fn run_op(srv: &Server, ks: &mut KeyAccess, op: &BlockedOp, out: &mut Out, filled: &mut VecDeque<Vec<u8>>) -> Result<bool, CmdError> {
    let fill = list_ops::fill(srv);
    match op {
        BlockedOp::ListPop { keys, side } => {
            for k in keys {
                if !ks.holds(k) {
                    continue;
                }
                let popped = list_ops::pop_one(ks, k, *side, fill, |v| {
                    out.array(2);
                    out.bulk(k);
                    out.bulk(v);
                })?;
                if popped.is_some() {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        BlockedOp::ListMPop { keys, side, count } => {
            let held: Vec<&[u8]> = keys.iter().map(Vec::as_slice).filter(|k| ks.holds(k)).collect();
            let popped = list_ops::pop_first_nonempty(ks, held.into_iter(), *side, *count, fill, |key, it| {
                out.array(2);
                out.bulk(key);
                out.array(it.len());
                for e in it {
                    out.bulk(e);
                }
            })?;
            Ok(popped.is_some())
        }
        BlockedOp::ListMove { src, dst, from, to } => {
            if !ks.holds(src) {
                return Ok(false);
            }
            if !ks.reach(dst) {
                // Taking the destination's stripe now could deadlock:
                // re-take every lock in order, then look again.
                ks.relock_with(dst);
            }
            match list_ops::move_between_keys(ks, src, dst, *from, *to, fill)? {
                Some(v) => {
                    out.bulk(&v);
                    filled.push_back(dst.clone());
                    Ok(true)
                }
                None => Ok(false),
            }
        }
        BlockedOp::ZPop { keys, max } => {
            let held: Vec<&[u8]> = keys.iter().map(Vec::as_slice).filter(|k| ks.holds(k)).collect();
            let Some(key) = zset_pop::first_zset_key(ks, held.into_iter())? else { return Ok(false) };
            let items = zset_pop::pop_elements(ks, key, *max, 1);
            let Some((m, s)) = items.first() else { return Ok(false) };
            out.array(3);
            out.bulk(key);
            out.bulk(m);
            out.double(*s);
            Ok(true)
        }
        BlockedOp::ZMPop { keys, max, count } => {
            let held: Vec<&[u8]> = keys.iter().map(Vec::as_slice).filter(|k| ks.holds(k)).collect();
            let Some(key) = zset_pop::first_zset_key(ks, held.into_iter())? else { return Ok(false) };
            let items = zset_pop::pop_elements(ks, key, *max, *count);
            if items.is_empty() {
                return Ok(false);
            }
            out.array(2);
            out.bulk(key);
            out.array(items.len());
            for (m, s) in &items {
                out.array(2);
                out.bulk(m);
                out.double(*s);
            }
            Ok(true)
        }
    }
}

/// Whether `key` holds a value of the type the waiter pops from; if not,
/// no waiter of that kind on the key can be served now.
fn has_wanted_type(ks: &mut KeyAccess, key: &[u8], op: &BlockedOp) -> bool {
    match ks.write_untouched(key).map(|e| e.value()) {
        Some(ValueRef::Obj(Object::List(_))) => op.wants_list(),
        Some(ValueRef::Obj(Object::ZSet(_))) => !op.wants_list(),
        _ => false,
    }
}

/// After a write command ran (its stripe locks still held): serve the
/// clients blocked on the keys it names, oldest first, then those blocked
/// on keys the serving itself filled (BLMOVE chains).
pub fn wake(srv: &Server, ks: &mut KeyAccess, def: &CommandDef, argv: &Argv) {
    let mut idx = Vec::new();
    def.key_indexes(argv, &mut idx);
    let mut ready: VecDeque<Vec<u8>> = VecDeque::new();
    for i in idx {
        let k = argv.get(i);
        if !ready.iter().any(|r| r == k) {
            ready.push_back(k.to_vec());
        }
    }
    while let Some(key) = ready.pop_front() {
        let stripe = ks.db.stripe_of(&key);
        let Some(waiters) = srv.blocking.waiters(ks.db_index, &key, stripe) else { continue };
        for w in waiters {
            if !has_wanted_type(ks, &key, &w.op) {
                // Emptied (or retyped): later waiters of the same kind
                // can't be served either, but one of another kind might.
                continue;
            }
            serve_one(srv, ks, &w, &mut ready);
        }
    }
}

fn serve_one(srv: &Server, ks: &mut KeyAccess, w: &Arc<Waiter>, ready: &mut VecDeque<Vec<u8>>) {
    if !w.claim() {
        return;
    }
    let mut out = Out::new(w.protocol);
    let served = match run_op(srv, ks, &w.op, &mut out, ready) {
        Ok(done) => done,
        Err(e) => {
            // Redis re-runs the command for the client: an error (a
            // destination of the wrong type) is its reply.
            out.error(e.as_str());
            srv.stats.record_error(e.code());
            true
        }
    };
    if served {
        let db = ks.db;
        srv.blocking.remove(w, |k| db.stripe_of(k));
        w.complete(out.buf);
    } else {
        w.release();
    }
}
