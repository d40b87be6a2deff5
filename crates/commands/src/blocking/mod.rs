//! Blocking commands (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN
//! BZPOPMAX BZMPOP): clients waiting for keys, and the hand-off of new
//! data to them.
//!
//! A blocking command that finds nothing registers a [`Waiter`] on each of
//! its keys while the dispatcher still holds those keys' stripe locks, so
//! no write can slip between its check and its registration. A write
//! command that names a key someone waits on serves the waiters right after
//! its handler, still under its stripe locks (see [`wake`]): a pushed
//! element goes to the longest-waiting client before any other command can
//! see it, as in Redis. The served client's reply goes into its mailbox
//! once the serving command's earlier keyspace events are published (see
//! [`KeyAccess::served`](crate::ctx::KeyAccess)), so it sits among the
//! pushes the client gets (pub/sub messages, invalidations, delivered while
//! it waits) where Redis puts it; then the waiter is marked served.
//!
//! Lock order: stripe locks, then one registry shard at a time. A waiter
//! that times out or is unblocked takes only shard locks.

mod commands;
mod serve;
pub mod timeout;

pub use commands::{run_or_block, COMMANDS};
pub use serve::{serve_deferred, wake, wake_db, wake_moved};

use crate::client::ClientHandle;
use moon_resp::Protocol;
use moon_store::list::Side;
use moon_store::Object;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

/// What a waiter will do once one of its keys has data: the non-blocking
/// effect of its command, with that command's reply shape.
#[derive(Debug, Clone)]
pub enum BlockedOp {
    /// BLPOP/BRPOP: [key, element].
    ListPop { keys: Vec<Vec<u8>>, side: Side },
    /// BLMPOP: [key, [elements]].
    ListMPop { keys: Vec<Vec<u8>>, side: Side, count: usize },
    /// BLMOVE/BRPOPLPUSH: the moved element.
    ListMove { src: Vec<u8>, dst: Vec<u8>, from: Side, to: Side },
    /// BZPOPMIN/BZPOPMAX: [key, member, score].
    ZPop { keys: Vec<Vec<u8>>, max: bool },
    /// BZMPOP: [key, [[member, score]...]].
    ZMPop { keys: Vec<Vec<u8>>, max: bool, count: usize },
    /// XREAD / XREADGROUP with BLOCK.
    Stream(Box<crate::stream::read::XReadRequest>),
}

impl BlockedOp {
    /// The keys the client waits on.
    pub fn keys(&self) -> &[Vec<u8>] {
        match self {
            BlockedOp::ListPop { keys, .. }
            | BlockedOp::ListMPop { keys, .. }
            | BlockedOp::ZPop { keys, .. }
            | BlockedOp::ZMPop { keys, .. } => keys,
            BlockedOp::ListMove { src, .. } => std::slice::from_ref(src),
            BlockedOp::Stream(req) => &req.keys,
        }
    }

    /// Whether a write that left `value` at one of the waiter's keys may
    /// serve it. A key of another type leaves it blocked, as in Redis; a
    /// group reader is also woken by its stream going away (it gets an
    /// error then).
    pub fn may_serve(&self, value: Option<&Object>) -> bool {
        match (self, value) {
            (BlockedOp::ListPop { .. } | BlockedOp::ListMPop { .. } | BlockedOp::ListMove { .. }, Some(Object::List(_))) => true,
            (BlockedOp::ZPop { .. } | BlockedOp::ZMPop { .. }, Some(Object::ZSet(_))) => true,
            (BlockedOp::Stream(_), Some(Object::Stream(_))) => true,
            (BlockedOp::Stream(req), _) => req.group.is_some(),
            _ => false,
        }
    }

    /// XREADGROUP: the wait ends with an error if the stream is deleted.
    fn unblocks_on_missing_key(&self) -> bool {
        matches!(self, BlockedOp::Stream(req) if req.group.is_some())
    }

    /// The reply when the wait times out: a null array for every kind
    /// (Redis' replyToBlockedClientTimedOut), even BLMOVE's.
    pub fn timeout_reply(&self, out: &mut moon_resp::Out) {
        out.null_array();
    }

    /// The reply when the client may not block (MULTI, scripts): what the
    /// command answers for "nothing there", a null bulk for BLMOVE.
    pub fn empty_reply(&self, out: &mut moon_resp::Out) {
        match self {
            BlockedOp::ListMove { .. } => out.null(),
            _ => out.null_array(),
        }
    }
}

const WAITING: u8 = 0;
/// A writer claimed the waiter and is running its operation.
const SERVING: u8 = 1;
const SERVED: u8 = 2;
const TIMED_OUT: u8 = 3;
/// CLIENT UNBLOCK ... ERROR.
const UNBLOCKED_ERROR: u8 = 4;
/// The connection went away.
const CANCELLED: u8 = 5;

/// How a wait ended, as the blocked connection sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum WaitEnd {
    /// A writer served it: the reply is in the client's mailbox.
    Served,
    /// Timed out (by its deadline or CLIENT UNBLOCK ... TIMEOUT).
    TimedOut,
    /// CLIENT UNBLOCK ... ERROR.
    Error,
    Cancelled,
}

/// A client blocked on keys.
pub struct Waiter {
    pub client: Arc<ClientHandle>,
    pub db: usize,
    pub op: BlockedOp,
    pub protocol: Protocol,
    /// Unix ms at which the wait times out (0: never).
    pub deadline: i64,
    state: AtomicU8,
    reply: Mutex<Vec<u8>>,
}

impl Waiter {
    pub fn new(client: Arc<ClientHandle>, db: usize, op: BlockedOp, protocol: Protocol, deadline: i64) -> Arc<Waiter> {
        Arc::new(Waiter { client, db, op, protocol, deadline, state: AtomicU8::new(WAITING), reply: Mutex::new(Vec::new()) })
    }

    /// Claim the waiter for serving; false if it already ended.
    fn claim(&self) -> bool {
        self.state.compare_exchange(WAITING, SERVING, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// Give a claimed waiter back (its operation found nothing to do).
    fn release(&self) {
        self.state.store(WAITING, Ordering::Release);
    }

    /// Keep the reply of a claimed waiter until [`Waiter::deliver`].
    fn hold(&self, reply: Vec<u8>) {
        *self.reply.lock() = reply;
    }

    /// Queue the held reply behind what the client was sent so far.
    pub(crate) fn queue_reply(&self) {
        let reply = std::mem::take(&mut *self.reply.lock());
        self.client.deliver_reply(&reply);
    }

    /// End the wait (its reply queued) and wake the connection: only once
    /// the serving command's events are all queued too, so the client runs
    /// nothing else before they are.
    pub(crate) fn end_served(&self) {
        self.state.store(SERVED, Ordering::Release);
        self.client.wake();
    }

    pub fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITING
    }

    /// End the wait from outside the serving path (timeout, CLIENT
    /// UNBLOCK, disconnect). Returns how it ended: a writer may have served
    /// it first, in which case its reply wins.
    fn end_with(&self, how: u8) -> WaitEnd {
        loop {
            match self.state.compare_exchange(WAITING, how, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Self::end_of(how),
                Err(SERVING) => std::thread::yield_now(),
                Err(other) => return Self::end_of(other),
            }
        }
    }

    fn end_of(state: u8) -> WaitEnd {
        match state {
            SERVED => WaitEnd::Served,
            TIMED_OUT => WaitEnd::TimedOut,
            UNBLOCKED_ERROR => WaitEnd::Error,
            _ => WaitEnd::Cancelled,
        }
    }

    /// How the wait ended, if it has (what a woken connection checks).
    pub fn outcome(&self) -> Option<WaitEnd> {
        match self.state.load(Ordering::Acquire) {
            WAITING | SERVING => None,
            s => Some(Self::end_of(s)),
        }
    }
}

type Queue = VecDeque<Arc<Waiter>>;

const SHARDS: usize = 64;

/// Who waits on which key: (db, key) → waiters in arrival order, sharded
/// by the key's stripe so writers on different stripes rarely meet.
pub struct Registry {
    shards: Box<[Mutex<HashMap<(usize, Vec<u8>), Queue>>]>,
    /// Blocked clients (INFO blocked_clients); zero makes every write's
    /// check a single load.
    clients: AtomicUsize,
    /// Distinct keys waited on (INFO total_blocking_keys).
    keys: AtomicUsize,
    /// Blocked clients with a deadline (INFO clients_in_timeout_table).
    timed: AtomicUsize,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            clients: AtomicUsize::new(0),
            keys: AtomicUsize::new(0),
            timed: AtomicUsize::new(0),
        }
    }
}

impl Registry {
    #[inline]
    pub fn any(&self) -> bool {
        self.clients.load(Ordering::Relaxed) > 0
    }

    pub fn blocked_clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    pub fn blocking_keys(&self) -> usize {
        self.keys.load(Ordering::Relaxed)
    }

    /// Keys waited on by a client whose wait ends if the key is deleted
    /// (INFO total_blocking_keys_on_nokey). Counted when asked: INFO is rare.
    pub fn blocking_keys_on_nokey(&self) -> usize {
        self.shards.iter().map(|s| s.lock().values().filter(|q| q.iter().any(|w| w.op.unblocks_on_missing_key())).count()).sum()
    }

    pub fn clients_with_timeout(&self) -> usize {
        self.timed.load(Ordering::Relaxed)
    }

    fn shard(&self, stripe: usize) -> &Mutex<HashMap<(usize, Vec<u8>), Queue>> {
        &self.shards[stripe % SHARDS]
    }

    /// Queue `w` on each of its keys. The caller holds the keys' stripes.
    pub fn add(&self, w: &Arc<Waiter>, stripe_of: impl Fn(&[u8]) -> usize) {
        self.clients.fetch_add(1, Ordering::Relaxed);
        if w.deadline > 0 {
            self.timed.fetch_add(1, Ordering::Relaxed);
        }
        *w.client.blocked.lock() = Some(w.clone());
        for key in w.op.keys() {
            let mut shard = self.shard(stripe_of(key)).lock();
            let q = shard.entry((w.db, key.clone())).or_insert_with(|| {
                self.keys.fetch_add(1, Ordering::Relaxed);
                VecDeque::new()
            });
            // A key named twice (BLPOP k k 0) queues the client once.
            if !q.iter().any(|x| Arc::ptr_eq(x, w)) {
                q.push_back(w.clone());
            }
        }
    }

    /// Take `w` off every queue (after it was served or its wait ended).
    pub fn remove(&self, w: &Arc<Waiter>, stripe_of: impl Fn(&[u8]) -> usize) {
        {
            let mut slot = w.client.blocked.lock();
            if slot.as_ref().is_some_and(|x| Arc::ptr_eq(x, w)) {
                *slot = None;
            } else {
                // Already removed.
                return;
            }
        }
        self.clients.fetch_sub(1, Ordering::Relaxed);
        if w.deadline > 0 {
            self.timed.fetch_sub(1, Ordering::Relaxed);
        }
        for key in w.op.keys() {
            let mut shard = self.shard(stripe_of(key)).lock();
            let k = (w.db, key.clone());
            if let Some(q) = shard.get_mut(&k) {
                q.retain(|x| !Arc::ptr_eq(x, w));
                if q.is_empty() {
                    shard.remove(&k);
                    self.keys.fetch_sub(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Every key of database `db` someone waits on.
    fn keys_of_db(&self, db: usize) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        for shard in self.shards.iter() {
            keys.extend(shard.lock().keys().filter(|(d, _)| *d == db).map(|(_, k)| k.clone()));
        }
        keys
    }

    /// The waiters on (db, key) in arrival order, if any.
    fn waiters(&self, db: usize, key: &[u8], stripe: usize) -> Option<Vec<Arc<Waiter>>> {
        let shard = self.shard(stripe).lock();
        // The map is keyed by owned keys; looking up by a borrowed pair
        // needs a temporary, paid only when someone is blocked.
        let q = shard.get(&(db, key.to_vec()))?;
        Some(q.iter().cloned().collect())
    }
}

/// End a wait from the blocked connection's side (deadline reached or the
/// connection is going away) and unregister it.
pub fn finish(srv: &crate::state::Server, w: &Arc<Waiter>, timed_out: bool) -> WaitEnd {
    let end = w.end_with(if timed_out { TIMED_OUT } else { CANCELLED });
    let db = &srv.ks.dbs[w.db];
    srv.blocking.remove(w, |k| db.stripe_of(k));
    end
}

/// CLIENT UNBLOCK: end the wait of a blocked client as a timeout or an
/// error. False if it was not blocked (or was just served).
pub fn unblock(srv: &crate::state::Server, client: &ClientHandle, error: bool) -> bool {
    let Some(w) = client.blocked.lock().clone() else { return false };
    let ended =
        w.state.compare_exchange(WAITING, if error { UNBLOCKED_ERROR } else { TIMED_OUT }, Ordering::AcqRel, Ordering::Acquire).is_ok();
    if ended {
        let db = &srv.ks.dbs[w.db];
        srv.blocking.remove(&w, |k| db.stripe_of(k));
        w.client.wake();
    }
    ended
}

#[cfg(test)]
mod tests;
