//! WATCH: who watches which key, and marking them when the key changes.
//!
//! A write that changed something (its `dirty` count moved) touches the
//! keys its key specs name; FLUSHDB/FLUSHALL/SWAPDB touch the watched keys
//! that existed in the databases they change. A key that expires after
//! WATCH is caught at EXEC time from the expiry recorded at WATCH (active
//! expiry and lazy deletion are not writes). Touching sets the watching
//! client's `watch_dirty` flag, which EXEC reads.
//!
//! Lock order: stripe locks, then one shard at a time.

use crate::client::{ClientHandle, ConnState};
use crate::ctx::KeyAccess;
use crate::state::Server;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SHARDS: usize = 64;

type Watchers = Vec<Arc<ClientHandle>>;

/// A key a connection watches.
pub struct Watched {
    pub db: usize,
    pub key: Vec<u8>,
    /// The key's expiry when WATCH saw it alive: if that time passes
    /// before EXEC, the key changed (it expired). None if it had no TTL or
    /// did not exist.
    pub expires_at: Option<i64>,
}

pub struct WatchRegistry {
    shards: Box<[Mutex<HashMap<(usize, Vec<u8>), Watchers>>]>,
    /// Keys watched by at least one client (INFO total_watched_keys).
    keys: AtomicUsize,
    /// Clients watching something (INFO watching_clients); zero makes the
    /// check after every write a single load.
    clients: AtomicUsize,
}

impl Default for WatchRegistry {
    fn default() -> Self {
        WatchRegistry {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            keys: AtomicUsize::new(0),
            clients: AtomicUsize::new(0),
        }
    }
}

impl WatchRegistry {
    #[inline]
    pub fn any(&self) -> bool {
        self.clients.load(Ordering::Relaxed) > 0
    }

    pub fn watched_keys(&self) -> usize {
        self.keys.load(Ordering::Relaxed)
    }

    pub fn watching_clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    fn shard(&self, stripe: usize) -> &Mutex<HashMap<(usize, Vec<u8>), Watchers>> {
        &self.shards[stripe % SHARDS]
    }

    /// Mark every client watching (db, key).
    pub fn touch(&self, db: usize, key: &[u8], stripe: usize) {
        let shard = self.shard(stripe).lock();
        if let Some(ws) = shard.get(&(db, key.to_vec())) {
            for h in ws {
                h.watch_dirty.store(true, Ordering::Release);
            }
        }
    }

    /// Every key of database `db` someone watches.
    fn keys_of_db(&self, db: usize) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        for shard in self.shards.iter() {
            keys.extend(shard.lock().keys().filter(|(d, _)| *d == db).map(|(_, k)| k.clone()));
        }
        keys
    }
}

/// WATCH one key for this connection (no-op if already watched).
pub fn watch(srv: &Server, conn: &mut ConnState, ks: &mut KeyAccess, key: &[u8]) {
    let db = conn.db;
    if conn.watched.iter().any(|w| w.db == db && w.key == key) {
        return;
    }
    let now = ks.now;
    let expires_at = ks.write_untouched(key).and_then(|e| e.expire()).filter(|&t| t > now);
    let reg = &srv.watches;
    if conn.watched.is_empty() {
        reg.clients.fetch_add(1, Ordering::Relaxed);
    }
    let mut shard = reg.shard(ks.db.stripe_of(key)).lock();
    let ws = shard.entry((db, key.to_vec())).or_insert_with(|| {
        reg.keys.fetch_add(1, Ordering::Relaxed);
        Vec::new()
    });
    ws.push(conn.handle.clone());
    drop(shard);
    conn.watched.push(Watched { db, key: key.to_vec(), expires_at });
    conn.handle.watch_count.store(conn.watched.len(), Ordering::Relaxed);
}

/// Forget every watched key of this connection and clear its dirty flag.
pub fn unwatch_all(srv: &Server, conn: &mut ConnState) {
    if conn.watched.is_empty() {
        conn.handle.watch_dirty.store(false, Ordering::Relaxed);
        return;
    }
    let reg = &srv.watches;
    for w in conn.watched.drain(..) {
        let stripe = srv.ks.dbs[w.db].stripe_of(&w.key);
        let mut shard = reg.shard(stripe).lock();
        let k = (w.db, w.key);
        if let Some(ws) = shard.get_mut(&k) {
            ws.retain(|h| !Arc::ptr_eq(h, &conn.handle));
            if ws.is_empty() {
                shard.remove(&k);
                reg.keys.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
    reg.clients.fetch_sub(1, Ordering::Relaxed);
    conn.handle.watch_count.store(0, Ordering::Relaxed);
    conn.handle.watch_dirty.store(false, Ordering::Relaxed);
}

/// Whether EXEC must fail: a watched key was touched, or expired since
/// WATCH saw it alive.
pub fn changed(conn: &ConnState, now: i64) -> bool {
    conn.handle.watch_dirty.load(Ordering::Acquire) || conn.watched.iter().any(|w| w.expires_at.is_some_and(|t| t <= now))
}

/// After a write that changed something: touch the keys it names.
pub fn touch_keys(srv: &Server, ks: &KeyAccess, keys: impl Iterator<Item = impl AsRef<[u8]>>) {
    for k in keys {
        let k = k.as_ref();
        srv.watches.touch(ks.db_index, k, ks.db.stripe_of(k));
    }
}

/// Before FLUSHDB/FLUSHALL/SWAPDB change database `db` wholesale (under
/// the exclusive world lock): touch its watched keys that exist in `db`
/// or in `other` (SWAPDB's other database), as Redis does; a watched key
/// that exists in neither is not changed by the swap or flush.
pub fn touch_db(srv: &Server, db: usize, other: Option<usize>, now: i64) {
    if !srv.watches.any() {
        return;
    }
    for key in srv.watches.keys_of_db(db) {
        let exists_in = |d: usize| {
            let mut ks = KeyAccess::new(&srv.ks.dbs[d], d, now, false);
            ks.any_stripe = true;
            ks.exists(&key)
        };
        if exists_in(db) || other.is_some_and(exists_in) {
            srv.watches.touch(db, &key, srv.ks.dbs[db].stripe_of(&key));
        }
    }
}
