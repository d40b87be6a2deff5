//! Connection state (owned by the connection task) and the shared client
//! registry that CLIENT LIST / KILL / INFO and MONITOR work through.

use moon_resp::Protocol;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// What a command asks the connection task to do after its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Write pending replies, then close (QUIT, CLIENT KILL of self).
    Close,
    /// Stop the server (SHUTDOWN).
    Shutdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Suppress the next command's reply only.
    Skip,
    SkipNext,
}

/// The part of a client other connections can see or act on.
pub struct ClientHandle {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i64,
    pub created_ms: i64,
    pub is_unix: bool,
    pub meta: Mutex<ClientMeta>,
    pub last_interaction_ms: AtomicI64,
    /// Table id + 1 of the last command run (0: none yet), for CLIENT LIST's
    /// cmd= field; an atomic so the dispatcher needn't lock `meta`.
    pub last_cmd: AtomicUsize,
    pub db: AtomicUsize,
    pub kill_requested: AtomicBool,
    /// Bytes other clients queue for this one (MONITOR feed, later pub/sub
    /// messages); the connection task drains them after a `wake`.
    /// A spin lock: held for a memcpy, and its unlock is a plain store
    /// (a publish to many subscribers takes one per subscriber).
    pub mailbox: moon_store::spin::SpinMutex<Vec<u8>>,
    pub qbuf: AtomicU64,
    pub omem: AtomicU64,
    /// I/O thread serving the connection, and its lifetime traffic; each
    /// counter is written only by that thread (see `bump`).
    pub io_thread: AtomicUsize,
    pub net_in: AtomicU64,
    pub net_out: AtomicU64,
    pub tot_cmds: AtomicU64,
    /// The wait of a client blocked by a blocking command (CLIENT UNBLOCK,
    /// CLIENT LIST's "b" flag).
    pub blocked: Mutex<Option<Arc<crate::blocking::Waiter>>>,
    /// Commands queued by MULTI (-1: not in MULTI), keys watched, and
    /// whether a watched key changed (set by other clients' writes): for
    /// CLIENT LIST and EXEC.
    pub multi_queued: AtomicI64,
    pub watch_count: AtomicUsize,
    pub watch_dirty: AtomicBool,
    /// CLIENT TRACKING mode, for CLIENT LIST (the connection owns it).
    pub tracking: Mutex<Option<Arc<crate::tracking::Tracker>>>,
    /// Subscribed channels, patterns and shard channels (CLIENT LIST).
    pub sub_counts: [AtomicUsize; 3],
    /// The connection speaks RESP3 (how messages are framed for it).
    resp3: AtomicBool,
    /// Since when (unix ms) the mailbox has been over the soft output
    /// limit (0: it is not).
    soft_since: AtomicI64,
    /// The mailbox has bytes: checked (one load) before each batch, so
    /// messages published before a command are written before its reply.
    has_mail: AtomicBool,
    wake: Box<dyn Fn() + Send + Sync>,
}

/// One class of client-output-buffer-limit, applied to a mailbox.
#[derive(Clone, Copy, Debug)]
pub struct OutputLimit {
    pub hard: usize,
    /// 0: no soft limit.
    pub soft: usize,
    pub soft_ms: i64,
}

/// Bound for a class whose hard limit is 0 (unlimited in Redis): a
/// mailbox still can't grow past it.
const UNLIMITED_CAP: usize = 256 << 20;

impl OutputLimit {
    /// From a client-output-buffer-limit class (hard, soft, seconds).
    pub fn from_class(class: &[AtomicI64; 3]) -> OutputLimit {
        let v = |i: usize| class[i].load(Ordering::Relaxed).max(0);
        let hard = match v(0) {
            0 => UNLIMITED_CAP,
            n => n as usize,
        };
        OutputLimit { hard, soft: v(1) as usize, soft_ms: v(2) * 1000 }
    }

    /// Track how long `len` bytes have been over the soft limit; true once
    /// that has lasted longer than allowed.
    fn soft_exceeded_too_long(&self, since: &AtomicI64, len: usize) -> bool {
        if self.soft == 0 || len <= self.soft {
            since.store(0, Ordering::Relaxed);
            return false;
        }
        let now = moon_store::clock::now_ms();
        match since.load(Ordering::Relaxed) {
            0 => {
                since.store(now, Ordering::Relaxed);
                false
            }
            t => now - t > self.soft_ms,
        }
    }
}

/// Add to a counter that only the owning I/O thread writes: a plain load
/// and store, no lock-prefixed instruction on the per-command path.
#[inline]
pub fn bump(c: &AtomicU64, n: u64) {
    c.store(c.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
}

#[derive(Default, Clone)]
pub struct ClientMeta {
    pub name: Vec<u8>,
    pub lib_name: Vec<u8>,
    pub lib_ver: Vec<u8>,
    pub resp: u8,
    pub user: String,
    /// CLIENT LIST flags letters beyond "N" (e.g. "O" for monitor).
    pub monitor: bool,
    pub no_evict: bool,
    pub no_touch: bool,
}

impl ClientHandle {
    pub fn new(id: u64, addr: String, laddr: String, fd: i64, is_unix: bool, wake: Box<dyn Fn() + Send + Sync>) -> Self {
        let now = moon_store::clock::now_ms();
        ClientHandle {
            id,
            addr,
            laddr,
            fd,
            created_ms: now,
            is_unix,
            meta: Mutex::new(ClientMeta { resp: 2, user: "default".into(), ..Default::default() }),
            last_interaction_ms: AtomicI64::new(now),
            last_cmd: AtomicUsize::new(0),
            db: AtomicUsize::new(0),
            kill_requested: AtomicBool::new(false),
            mailbox: moon_store::spin::SpinMutex::new(Vec::new()),
            qbuf: AtomicU64::new(0),
            omem: AtomicU64::new(0),
            io_thread: AtomicUsize::new(0),
            net_in: AtomicU64::new(0),
            net_out: AtomicU64::new(0),
            tot_cmds: AtomicU64::new(0),
            blocked: Mutex::new(None),
            multi_queued: AtomicI64::new(-1),
            watch_count: AtomicUsize::new(0),
            watch_dirty: AtomicBool::new(false),
            tracking: Mutex::new(None),
            sub_counts: Default::default(),
            resp3: AtomicBool::new(false),
            has_mail: AtomicBool::new(false),
            soft_since: AtomicI64::new(0),
            wake,
        }
    }

    /// Ask the connection to close as soon as it can.
    pub fn kill(&self) {
        self.kill_requested.store(true, Ordering::Release);
        (self.wake)();
    }

    /// Queue bytes for this client's socket. A client whose queue passes
    /// the hard limit, or stays over the soft limit for its seconds (it
    /// stopped reading, or reads too slowly), is disconnected instead, as
    /// Redis' client-output-buffer-limit does, so a stalled subscriber or
    /// MONITOR can't grow the server's memory without bound.
    pub fn deliver(&self, bytes: &[u8], limit: &OutputLimit) {
        let mut m = self.mailbox.lock();
        let len = m.len() + bytes.len();
        if len > limit.hard || limit.soft_exceeded_too_long(&self.soft_since, len) {
            m.clear();
            drop(m);
            self.kill();
            return;
        }
        m.extend_from_slice(bytes);
        // Only the first delivery since the connection last drained the
        // mailbox needs to wake it: that wake-up takes everything queued.
        // (has_mail only changes under the mailbox lock.)
        let pending = self.has_mail.load(Ordering::Relaxed);
        if !pending {
            self.has_mail.store(true, Ordering::Release);
        }
        drop(m);
        if !pending {
            (self.wake)();
        }
    }

    /// Queue a reply a blocked client was waiting for, behind what it was
    /// sent so far. No output limit applies (it is the client's own reply);
    /// the caller wakes the connection.
    pub fn deliver_reply(&self, bytes: &[u8]) {
        let mut m = self.mailbox.lock();
        m.extend_from_slice(bytes);
        self.has_mail.store(true, Ordering::Release);
    }

    /// Take what was queued for this client (empty if nothing).
    pub fn take_mail(&self) -> Vec<u8> {
        if !self.has_mail.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut m = self.mailbox.lock();
        self.has_mail.store(false, Ordering::Relaxed);
        // The next batch is likely as big as this one: one allocation up
        // front rather than a run of doublings under the publishers' lock.
        let next = Vec::with_capacity(m.len().min(64 * 1024));
        std::mem::replace(&mut *m, next)
    }

    pub fn resp3(&self) -> bool {
        self.resp3.load(Ordering::Relaxed)
    }

    pub fn wake(&self) {
        (self.wake)()
    }
}

/// Per-connection state, owned by the connection task.
pub struct ConnState {
    pub handle: Arc<ClientHandle>,
    pub db: usize,
    pub authenticated: bool,
    pub user: String,
    pub reply_mode: ReplyMode,
    pub no_touch: bool,
    /// Loopback or unix socket (protected mode, DEBUG "local").
    pub is_local: bool,
    /// Index of the I/O thread serving this connection (world lock slot).
    pub thread: usize,
    pub action: Option<Action>,
    pub monitor: bool,
    /// Set by a blocking command that found nothing: the connection parks
    /// on this wait before running anything else.
    pub blocked: Option<Arc<crate::blocking::Waiter>>,
    /// Blocking commands must not block (inside MULTI or a script): they
    /// answer as if their timeout had passed.
    pub no_block: bool,
    /// A transaction being queued (MULTI), and the keys WATCHed.
    pub multi: Option<Box<crate::multi::Multi>>,
    pub watched: Vec<crate::multi::watch::Watched>,
    /// Running inside EXEC (or a script), which holds the world lock
    /// exclusively: commands take no world lock of their own.
    pub in_exec: bool,
    pub subs: crate::pubsub::Subscriptions,
    /// CLIENT TRACKING state, and CLIENT CACHING's choice for the next
    /// command (OPTIN/OPTOUT).
    pub tracking: Option<Arc<crate::tracking::Tracker>>,
    pub caching: Option<bool>,
    /// The connection's user as the ACL check last read it.
    pub acl: crate::acl::ConnAcl,
    /// Keys (db, key) written inside EXEC or a script that someone may be
    /// blocked on: served when the transaction or script is over, as Redis
    /// does, not in its middle.
    pub deferred_ready: Vec<(usize, Vec<u8>)>,
    /// Journal records of the commands run inside the current EXEC or
    /// script, appended together when it ends.
    pub journal_txn: Vec<(usize, Vec<u8>)>,
    /// Keys this connection's commands changed (or found expired) since
    /// the end of its last batch, for broadcasting tracking clients
    /// (`tracking::flush_bcast`).
    pub bcast_pending: crate::tracking::BcastKeys,
}

impl ConnState {
    pub fn new(handle: Arc<ClientHandle>, thread: usize, is_local: bool, authenticated: bool) -> Self {
        handle.io_thread.store(thread, Ordering::Relaxed);
        ConnState {
            handle,
            db: 0,
            authenticated,
            user: "default".into(),
            reply_mode: ReplyMode::On,
            no_touch: false,
            is_local,
            thread,
            action: None,
            monitor: false,
            blocked: None,
            no_block: false,
            multi: None,
            watched: Vec::new(),
            in_exec: false,
            subs: Default::default(),
            tracking: None,
            caching: None,
            acl: Default::default(),
            deferred_ready: Vec::new(),
            journal_txn: Vec::new(),
            bcast_pending: Vec::new(),
        }
    }

    pub fn id(&self) -> u64 {
        self.handle.id
    }

    pub fn set_db(&mut self, db: usize) {
        self.db = db;
        self.handle.db.store(db, Ordering::Relaxed);
    }

    pub fn set_resp(&self, p: Protocol) {
        self.handle.meta.lock().resp = if p == Protocol::Resp3 { 3 } else { 2 };
        self.handle.resp3.store(p == Protocol::Resp3, Ordering::Relaxed);
    }
}

#[derive(Default)]
pub struct Clients {
    map: Mutex<BTreeMap<u64, Arc<ClientHandle>>>,
    next_id: AtomicU64,
    pub monitors: Mutex<Vec<Arc<ClientHandle>>>,
    pub monitor_count: AtomicUsize,
}

impl Clients {
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }
    pub fn register(&self, h: Arc<ClientHandle>) {
        self.map.lock().insert(h.id, h);
    }
    pub fn unregister(&self, id: u64) {
        self.map.lock().remove(&id);
        let mut m = self.monitors.lock();
        let before = m.len();
        m.retain(|h| h.id != id);
        if m.len() != before {
            self.monitor_count.store(m.len(), Ordering::Relaxed);
        }
    }
    pub fn count(&self) -> usize {
        self.map.lock().len()
    }
    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.map.lock().get(&id).cloned()
    }
    /// Every client, in id order.
    pub fn all(&self) -> Vec<Arc<ClientHandle>> {
        self.map.lock().values().cloned().collect()
    }
    pub fn add_monitor(&self, h: Arc<ClientHandle>) {
        let mut m = self.monitors.lock();
        if !m.iter().any(|x| x.id == h.id) {
            m.push(h);
        }
        self.monitor_count.store(m.len(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_that_stops_reading_is_cut_off_at_the_limit() {
        let h = ClientHandle::new(1, "a".into(), "b".into(), 0, false, Box::new(|| {}));
        h.deliver(&[0; 600], &OutputLimit { hard: 1000, soft: 0, soft_ms: 0 });
        assert_eq!(h.mailbox.lock().len(), 600);
        assert!(!h.kill_requested.load(Ordering::Relaxed));
        h.deliver(&[0; 600], &OutputLimit { hard: 1000, soft: 0, soft_ms: 0 });
        assert!(h.kill_requested.load(Ordering::Relaxed));
        assert!(h.mailbox.lock().is_empty(), "the queue is freed, not kept");
    }

    #[test]
    fn over_the_soft_limit_for_too_long_is_cut_off() {
        let h = ClientHandle::new(1, "a".into(), "b".into(), 0, false, Box::new(|| {}));
        let limit = OutputLimit { hard: 10_000, soft: 100, soft_ms: 50 };
        h.deliver(&[0; 200], &limit);
        assert!(!h.kill_requested.load(Ordering::Relaxed), "over the soft limit only just now");
        std::thread::sleep(std::time::Duration::from_millis(80));
        h.deliver(&[0; 10], &limit);
        assert!(h.kill_requested.load(Ordering::Relaxed));
    }
}
