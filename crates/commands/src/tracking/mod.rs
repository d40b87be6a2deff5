//! Client-side caching (CLIENT TRACKING): the server remembers which
//! clients read which keys (or which key prefixes a broadcasting client
//! follows) and tells them when a key changes.
//!
//! Reads are remembered after a read-only command runs; invalidations are
//! sent after a write that changed something, under its locks, through the
//! target client's mailbox: a RESP3 `invalidate` push, or for a RESP2
//! redirect target subscribed to `__redis__:invalidate` a pub/sub message.

mod cmd;

pub use cmd::{caching, getredir, tracking, trackinginfo};

use crate::client::{ClientHandle, ConnState};
use crate::state::Server;
use parking_lot::{Mutex, RwLock};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

const SHARDS: usize = 16;

/// Keys waiting to be told to broadcasting clients, each with the id of
/// the client that changed it (0: expiry).
pub type BcastKeys = Vec<(Vec<u8>, u64)>;

/// How a client tracks (fixed from CLIENT TRACKING ON until OFF).
pub struct Tracker {
    pub handle: Arc<ClientHandle>,
    /// Client id invalidations go to (0: this client).
    pub redirect: u64,
    pub bcast: bool,
    pub prefixes: Vec<Vec<u8>>,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// The redirect target went away (reported once).
    pub redirect_broken: AtomicBool,
}

pub struct Tracking {
    /// key → ids of clients that read it since its last invalidation.
    table: Box<[Mutex<HashMap<Vec<u8>, HashSet<u64>>>]>,
    hasher: foldhash::fast::FixedState,
    /// Tracking clients by id.
    clients: RwLock<HashMap<u64, Arc<Tracker>>>,
    /// Keys in `table` (INFO tracking_total_keys).
    keys: AtomicUsize,
    /// (key, client) pairs in `table` (INFO tracking_total_items).
    items: AtomicUsize,
    /// Tracking clients (zero makes the write-side check one load).
    count: AtomicUsize,
    /// Of those, broadcasting ones (writers queue keys only if any).
    bcast: AtomicUsize,
}

impl Default for Tracking {
    fn default() -> Self {
        Tracking {
            table: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: foldhash::fast::FixedState::with_seed(0x7ac),
            clients: RwLock::new(HashMap::new()),
            keys: AtomicUsize::new(0),
            items: AtomicUsize::new(0),
            count: AtomicUsize::new(0),
            bcast: AtomicUsize::new(0),
        }
    }
}

impl Tracking {
    #[inline]
    pub fn any(&self) -> bool {
        self.count.load(Relaxed) > 0
    }

    pub fn clients(&self) -> usize {
        self.count.load(Relaxed)
    }

    pub fn total_keys(&self) -> usize {
        self.keys.load(Relaxed)
    }

    pub fn total_items(&self) -> usize {
        self.items.load(Relaxed)
    }

    /// Distinct prefixes followed by broadcasting clients.
    pub fn total_prefixes(&self) -> usize {
        let cs = self.clients.read();
        cs.values().filter(|t| t.bcast).flat_map(|t| t.prefixes.iter()).collect::<HashSet<_>>().len()
    }

    fn shard(&self, key: &[u8]) -> &Mutex<HashMap<Vec<u8>, HashSet<u64>>> {
        let mut h = self.hasher.build_hasher();
        h.write(key);
        &self.table[h.finish() as usize % SHARDS]
    }

    pub fn enable(&self, t: Arc<Tracker>) {
        *t.handle.tracking.lock() = Some(t.clone());
        if t.bcast {
            self.bcast.fetch_add(1, Relaxed);
        }
        let mut cs = self.clients.write();
        match cs.insert(t.handle.id, t) {
            None => {
                self.count.fetch_add(1, Relaxed);
            }
            Some(old) if old.bcast => {
                self.bcast.fetch_sub(1, Relaxed);
            }
            Some(_) => {}
        }
        moon_store::stripe::TRACK_EXPIRED.store(!cs.is_empty(), Relaxed);
    }

    pub fn disable(&self, id: u64) {
        let mut cs = self.clients.write();
        if let Some(t) = cs.remove(&id) {
            *t.handle.tracking.lock() = None;
            self.count.fetch_sub(1, Relaxed);
            if t.bcast {
                self.bcast.fetch_sub(1, Relaxed);
            }
            moon_store::stripe::TRACK_EXPIRED.store(!cs.is_empty(), Relaxed);
        }
    }

    /// Remember that client `id` read `key`.
    pub fn remember(&self, key: &[u8], id: u64) {
        let mut shard = self.shard(key).lock();
        let ids = shard.entry(key.to_vec()).or_insert_with(|| {
            self.keys.fetch_add(1, Relaxed);
            HashSet::new()
        });
        if ids.insert(id) {
            self.items.fetch_add(1, Relaxed);
        }
    }

    /// `key` changed (by client `writer`, 0 for expiry): tell the clients
    /// that read it now, and queue it in `bcast` (a connection's
    /// [`ConnState::bcast_pending`]) for the broadcasting clients, who get
    /// the keys of a whole batch together from [`Tracking::flush_bcast`].
    pub fn invalidate(&self, srv: &Server, key: &[u8], writer: u64, bcast: &mut BcastKeys) {
        if self.bcast.load(Relaxed) > 0 {
            bcast.push((key.to_vec(), writer));
        }
        let readers = {
            let mut shard = self.shard(key).lock();
            shard.remove(key)
        };
        let Some(ids) = readers else { return };
        self.keys.fetch_sub(1, Relaxed);
        self.items.fetch_sub(ids.len(), Relaxed);
        let limit = crate::pubsub::queue_limit(srv);
        let cs = self.clients.read();
        for id in ids {
            if let Some(t) = cs.get(&id) {
                if !t.bcast && !(t.noloop && id == writer) {
                    self.send(srv, t, Some(&[key]), limit);
                }
            }
        }
    }

    /// Keys that expired (or hashes that lost fields to expiry): told as
    /// if written by nobody (a NOLOOP client hears of them too), to the
    /// broadcasting clients with the batch `bcast` if given, else now.
    pub fn invalidate_expired<'k>(&self, srv: &Server, keys: impl Iterator<Item = &'k [u8]>, bcast: Option<&mut BcastKeys>) {
        let mut own = Vec::new();
        let now = bcast.is_none();
        let bcast = bcast.unwrap_or(&mut own);
        for key in keys {
            self.invalidate(srv, key, 0, bcast);
        }
        if now {
            self.flush_bcast(srv, bcast);
        }
    }

    /// Tell the broadcasting clients about the changed `keys` (emptied
    /// here): as Redis does once per event-loop turn, one message per
    /// client and prefix listing that prefix's keys, sorted and without
    /// repeats, prefixes in byte order. A NOLOOP client is not told of
    /// keys it was the last to write.
    pub fn flush_bcast(&self, srv: &Server, keys: &mut BcastKeys) {
        if keys.is_empty() {
            return;
        }
        // Sorted by key, each key once with its last writer.
        keys.reverse();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        keys.dedup_by(|later, kept| later.0 == kept.0);
        let limit = crate::pubsub::queue_limit(srv);
        let cs = self.clients.read();
        let mut matched: Vec<&[u8]> = Vec::new();
        for t in cs.values() {
            if !t.bcast {
                continue;
            }
            let mut prefixes: Vec<&[u8]> = t.prefixes.iter().map(|p| p.as_slice()).collect();
            if prefixes.is_empty() {
                prefixes.push(b"");
            }
            prefixes.sort_unstable();
            let id = t.handle.id;
            for p in prefixes {
                matched.clear();
                matched.extend(keys.iter().filter(|(k, w)| k.starts_with(p) && !(t.noloop && *w == id)).map(|(k, _)| k.as_slice()));
                if !matched.is_empty() {
                    self.send(srv, t, Some(&matched), limit);
                }
            }
        }
        keys.clear();
    }

    /// FLUSHDB/FLUSHALL: every tracking client gets a null invalidation
    /// (everything it cached may be gone), and the table is emptied.
    pub fn invalidate_all(&self, srv: &Server) {
        let limit = crate::pubsub::queue_limit(srv);
        for shard in self.table.iter() {
            shard.lock().clear();
        }
        self.keys.store(0, Relaxed);
        self.items.store(0, Relaxed);
        let cs = self.clients.read();
        for t in cs.values() {
            self.send(srv, t, None, limit);
        }
    }

    /// Deliver one invalidation for `t` (keys, or None for "all").
    fn send(&self, srv: &Server, t: &Tracker, keys: Option<&[&[u8]]>, limit: crate::client::OutputLimit) {
        let target = if t.redirect == 0 {
            t.handle.clone()
        } else {
            match srv.clients.get(t.redirect) {
                Some(h) => h,
                None => {
                    // Redis tells a RESP3 client once that its redirect is gone.
                    if t.handle.resp3() && !t.redirect_broken.swap(true, Relaxed) {
                        let mut out = moon_resp::Out::new(moon_resp::Protocol::Resp3);
                        out.push(2);
                        out.bulk(b"tracking-redir-broken");
                        out.int(t.redirect as i64);
                        t.handle.deliver(&out.buf, &limit);
                    }
                    return;
                }
            }
        };
        let resp3 = target.resp3();
        let mut out = moon_resp::Out::new(if resp3 { moon_resp::Protocol::Resp3 } else { moon_resp::Protocol::Resp2 });
        if resp3 {
            out.push(2);
            out.bulk(b"invalidate");
        } else if target.sub_counts[0].load(Relaxed) > 0 {
            out.push(3);
            out.bulk(b"message");
            out.bulk(b"__redis__:invalidate");
        } else {
            // A RESP2 client that is not subscribed can't be told.
            return;
        }
        match keys {
            Some(keys) => {
                out.array(keys.len());
                for k in keys {
                    out.bulk(k);
                }
            }
            None => out.null_array(),
        }
        target.deliver(&out.buf, &limit);
    }
}

/// Whether the command about to be remembered should be: OPTIN tracks only
/// after CLIENT CACHING yes, OPTOUT unless CLIENT CACHING no.
pub fn tracks_this_command(conn: &ConnState, t: &Tracker) -> bool {
    !t.bcast && (!t.optin || conn.caching == Some(true)) && (!t.optout || conn.caching != Some(false))
}

/// The end of a connection's batch of commands (Redis' beforeSleep):
/// send the broadcasting clients the keys it changed.
#[inline]
pub fn flush_bcast(srv: &Server, conn: &mut ConnState) {
    if !conn.bcast_pending.is_empty() {
        srv.tracking.flush_bcast(srv, &mut conn.bcast_pending);
    }
}

/// Stop tracking for a closing connection.
pub fn forget(srv: &Server, conn: &mut ConnState) {
    if conn.tracking.take().is_some() {
        srv.tracking.disable(conn.id());
    }
}

#[cfg(test)]
mod tests;
