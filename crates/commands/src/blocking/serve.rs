//! Running a waiter's operation: right away when its command is called
//! (`run_op`), and for waiters served by a write (`wake`).

use super::{BlockedOp, Waiter};
use crate::ctx::KeyAccess;
use crate::error::CmdError;
use crate::journal::Records;
use crate::list::ops as list_ops;
use crate::state::Server;
use crate::stream::read as stream_read;
use crate::zset::pop as zset_pop;
use moon_resp::Out;
use moon_store::ValueRef;
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
        BlockedOp::Stream(req) => {
            let (keys, from) = req.keys.iter().zip(&req.from).filter(|(k, _)| ks.holds(k)).map(|(k, f)| (k.clone(), *f)).unzip();
            let held = stream_read::XReadRequest { keys, from, group: req.group.clone(), ..**req };
            if held.group.is_some() {
                stream_read::try_serve_xreadgroup(ks, out, &held)
            } else {
                stream_read::try_serve_xread(ks, out, &held)
            }
        }
    }
}

/// Whether the waiter may be served by what `key` holds now.
fn may_serve(ks: &mut KeyAccess, key: &[u8], op: &BlockedOp) -> bool {
    let value = ks.write_untouched(key).and_then(|e| match e.value() {
        ValueRef::Obj(o) => Some(o),
        ValueRef::Inline(_) => None,
    });
    op.may_serve(value)
}

/// After a write command ran (its stripe locks still held): serve the
/// clients blocked on the keys it names, oldest first, then those blocked
/// on keys the serving itself filled (BLMOVE chains).
pub fn wake<'k>(srv: &Server, ks: &mut KeyAccess, keys: impl Iterator<Item = &'k [u8]>) {
    let mut ready: VecDeque<Vec<u8>> = VecDeque::new();
    for k in keys {
        if !ready.iter().any(|r| r == k) {
            ready.push_back(k.to_vec());
        }
    }
    wake_keys(srv, ks, ready);
}

/// After a command that changed a whole database (FLUSHDB, FLUSHALL,
/// SWAPDB), run under the exclusive world lock: look at every key someone
/// waits on in database `db`.
pub fn wake_db(srv: &Server, db: usize, now: i64, journal: &mut Records) {
    if srv.blocking.any() {
        wake_in_db(srv, db, srv.blocking.keys_of_db(db), now, journal);
    }
}

/// After `key` appeared in database `db` from another one (MOVE, COPY
/// ... DB), under the exclusive world lock with no stripe of `db` held.
pub fn wake_moved(srv: &Server, db: usize, key: &[u8], now: i64, journal: &mut Records) {
    if srv.blocking.any() {
        wake_in_db(srv, db, vec![key.to_vec()], now, journal);
    }
}

/// After EXEC or a script (the world still held exclusively): serve the
/// clients blocked on keys it wrote.
pub fn serve_deferred(srv: &Server, conn: &mut crate::client::ConnState, now: i64, journal: &mut Records) {
    let ready = std::mem::take(&mut conn.deferred_ready);
    if ready.is_empty() || !srv.blocking.any() {
        return;
    }
    let mut dbs: Vec<usize> = ready.iter().map(|(d, _)| *d).collect();
    dbs.sort_unstable();
    dbs.dedup();
    for db in dbs {
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for (d, k) in &ready {
            if *d == db && !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        wake_in_db(srv, db, keys, now, journal);
    }
}

/// Serve the waiters on `keys` of database `db`; the pops they made are
/// journaled after the records in `journal` (those of the command that
/// filled the keys).
fn wake_in_db(srv: &Server, db: usize, keys: Vec<Vec<u8>>, now: i64, journal: &mut Records) {
    let mut ks = KeyAccess::new(&srv.ks.dbs[db], db, now, false);
    ks.load_server_flags(srv);
    ks.any_stripe = true;
    wake_keys(srv, &mut ks, keys.into());
    crate::notify::publish_pending(srv, &mut ks, None);
    journal.extend(std::mem::take(&mut ks.journal));
}

fn wake_keys(srv: &Server, ks: &mut KeyAccess, mut ready: VecDeque<Vec<u8>>) {
    while let Some(key) = ready.pop_front() {
        let stripe = ks.db.stripe_of(&key);
        let Some(waiters) = srv.blocking.waiters(ks.db_index, &key, stripe) else { continue };
        for w in waiters {
            if !may_serve(ks, &key, &w.op) {
                // Emptied or retyped: this waiter stays blocked.
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
    let events_before = ks.events.len();
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
        // Delivered after the events recorded so far (the write that served
        // it), before those of its own operation, as Redis orders them.
        w.hold(out.buf);
        ks.served.push((events_before, w.clone()));
    } else {
        w.release();
    }
}
