//! What a command handler works with: the server, its connection, the
//! reply buffer, and access to the keys the dispatcher locked for it.

use crate::client::ConnState;
use crate::error::{CmdError, WRONGTYPE};
use crate::state::Server;
use crate::table::TableEntry;
use moon_resp::Out;
use moon_store::spin::SpinGuard as MutexGuard;
use moon_store::{Db, Entry, Object, Stripe, ValueRef};

pub struct Ctx<'a> {
    pub srv: &'a Server,
    pub conn: &'a mut ConnState,
    pub out: &'a mut Out,
    pub cmd: &'a TableEntry,
    pub ks: KeyAccess<'a>,
}

impl Ctx<'_> {
    /// Report a keyspace event (published after the handler if
    /// notify-keyspace-events enables `class`).
    #[inline]
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        self.ks.notify(class, event, key);
    }

    /// The command's full name as Redis prints it in errors ("client|kill").
    pub fn name(&self) -> &str {
        &self.cmd.full_name
    }
    pub fn now(&self) -> i64 {
        self.ks.now
    }
}

/// Stripe locks held for one command, in ascending stripe order.
pub struct KeyAccess<'a> {
    pub db: &'a Db,
    pub db_index: usize,
    pub now: i64,
    pub touch: bool,
    /// The first stripe lock lives inline and the rest in `more`, so the
    /// common single-key command allocates nothing.
    first: Option<(usize, MutexGuard<'a, Stripe>)>,
    more: Vec<(usize, MutexGuard<'a, Stripe>)>,
    /// (key address, key length, stripe) of the last key resolved: a
    /// command names the same argv slice several times (lock, then read or
    /// write), and the CRC16 of its slot need not be recomputed. Only keys
    /// inside `argv_span` are remembered: those bytes cannot change during
    /// the command, while a key built in a buffer may reuse a freed
    /// buffer's address with different contents.
    last_key: (usize, usize, usize),
    argv_span: (usize, usize),
    /// Any stripe may be locked on demand (the command holds the world
    /// lock exclusively, so lock order does not matter).
    pub any_stripe: bool,
    pub hits: u64,
    pub misses: u64,
    /// Changes made (feeds `dirty`, the save-point counter).
    pub dirty: u64,
    /// Keyspace events to publish after the command.
    pub events: Vec<crate::notify::Event>,
    /// Blocked clients this command served, each with the number of
    /// `events` recorded before it: its reply is delivered between those
    /// and the rest (see `notify::publish_pending`).
    pub served: Vec<(usize, std::sync::Arc<crate::blocking::Waiter>)>,
    /// Keys expiry changed during the command whose events were already
    /// queued: tracking clients are told after it.
    pub expired_track: Vec<Vec<u8>>,
    /// notify-keyspace-events as the command started (0 when neither K
    /// nor E is on): every notification check reads this field only.
    pub notify: u32,
    /// What the command journals (see [`crate::journal::record`]).
    pub journal: crate::journal::Records,
}

impl Drop for KeyAccess<'_> {
    /// Served clients are normally handed their replies by
    /// `notify::publish_pending`; one left over must not stay parked.
    fn drop(&mut self) {
        for (_, w) in self.served.drain(..) {
            w.queue_reply();
            w.end_served();
        }
    }
}

impl<'a> KeyAccess<'a> {
    pub fn new(db: &'a Db, db_index: usize, now: i64, touch: bool) -> Self {
        KeyAccess {
            db,
            db_index,
            now,
            touch,
            first: None,
            more: Vec::new(),
            last_key: (0, usize::MAX, 0),
            served: Vec::new(),
            expired_track: Vec::new(),
            argv_span: (0, 0),
            any_stripe: false,
            hits: 0,
            misses: 0,
            dirty: 0,
            events: Vec::new(),
            notify: 0,
            journal: Default::default(),
        }
    }

    /// Take what the command needs to know of the server's settings:
    /// notify-keyspace-events and whether the journal wants records (two
    /// relaxed loads).
    #[inline]
    pub fn load_server_flags(&mut self, srv: &crate::state::Server) {
        self.notify = crate::notify::active_flags(srv);
        // A replay (DEBUG LOADAOF) re-applies journaled changes: it must
        // not journal them again.
        self.journal.on = srv.journal.on() && !moon_store::clock::loading();
    }

    /// Journal `args` as this command's effect in its own database (see
    /// [`crate::journal::Records::rewrite`]).
    #[inline]
    pub fn propagate(&mut self, args: &[&[u8]]) {
        self.journal.rewrite(self.db_index, args);
    }

    /// Report a keyspace event of this database (published after the
    /// command if its class is enabled). Nothing is built otherwise.
    #[inline]
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        if self.notify & class != 0 {
            self.events.push(crate::notify::Event { db: self.db_index, event, key: key.to_vec() });
        }
    }

    /// `notify` for another database (MOVE, COPY ... DB).
    pub fn notify_db(&mut self, db: usize, class: u32, event: &'static str, key: &[u8]) {
        if self.notify & class != 0 {
            self.events.push(crate::notify::Event { db, event, key: key.to_vec() });
        }
    }

    /// A key was added to the keyspace (Redis' dbAdd): the "new" event.
    #[inline]
    pub fn note_new(&mut self, key: &[u8]) {
        self.notify(crate::notify::class::NEW, "new", key);
    }

    /// A read lookup of `key` missed: "keymiss" (and "expired" if the
    /// lookup expired it), for lookups that bypass `read`.
    pub fn missed(&mut self, key: &[u8]) {
        if self.notify != 0 {
            let si = self.stripe_index(key);
            let p = self.guard_pos(si);
            self.expired_here(p);
            self.notify(crate::notify::class::KEY_MISS, "keymiss", key);
        }
    }

    /// Move the names of keys the stripe at `pos` just expired into the
    /// event list, so "expired" comes where Redis publishes it: at the
    /// lookup, between the command's own events.
    #[inline]
    /// Look `key` up once so that, if it has expired, it is deleted and
    /// its "expired" event queued now, before the command's own events.
    /// Returns the stripe position and whether the key is live.
    fn expire_now(&mut self, key: &[u8]) -> (usize, bool) {
        let now = self.now;
        let si = self.stripe_index(key);
        let p = self.guard_pos(si);
        let live = self.at(p).get(key, now).is_some();
        self.expired_here(p);
        (p, live)
    }

    fn expired_here(&mut self, pos: usize) {
        let track = moon_store::stripe::TRACK_EXPIRED.load(std::sync::atomic::Ordering::Relaxed);
        if self.notify & crate::notify::EXPIRY_CLASSES != 0 || track || self.journal.on {
            let db = self.db_index;
            let keys = self.at(pos).take_expired_keys();
            if self.journal.on {
                let fields = self.at(pos).take_expired_field_names();
                self.journal.note_expiry(db, &keys, &fields);
            }
            for (key, kind) in keys {
                for &(class, event) in crate::notify::expiry_events(kind) {
                    if self.notify & class != 0 {
                        self.events.push(crate::notify::Event { db, event, key: key.clone() });
                    }
                }
                if track {
                    self.expired_track.push(key);
                }
            }
        }
    }

    /// The stripe index of `key`, remembered for the same argv slice.
    #[inline]
    fn stripe_index(&mut self, key: &[u8]) -> usize {
        let id = (key.as_ptr() as usize, key.len());
        if (self.last_key.0, self.last_key.1) == id {
            return self.last_key.2;
        }
        let i = self.db.stripe_of(key);
        if id.0 >= self.argv_span.0 && id.0 + id.1 <= self.argv_span.1 {
            self.last_key = (id.0, id.1, i);
        }
        i
    }

    /// The command's argument buffer: keys that are slices of it may have
    /// their stripe remembered.
    pub fn set_argv(&mut self, argv: &moon_resp::Argv) {
        let b = argv.bytes();
        self.argv_span = (b.as_ptr() as usize, b.as_ptr() as usize + b.len());
    }

    /// Whether `key`'s stripe is locked (or may be locked at will).
    pub fn holds(&self, key: &[u8]) -> bool {
        let i = self.db.stripe_of(key);
        self.any_stripe || self.held_indexes().any(|s| s == i)
    }

    fn held_indexes(&self) -> impl Iterator<Item = usize> + '_ {
        self.first.iter().map(|(s, _)| *s).chain(self.more.iter().map(|(s, _)| *s))
    }

    /// Lock `key`'s stripe if that cannot deadlock: it is held already, the
    /// world is held exclusively, it comes after every held stripe in lock
    /// order, or it is free right now. False if none of these holds.
    pub fn reach(&mut self, key: &[u8]) -> bool {
        let i = self.db.stripe_of(key);
        if self.any_stripe || self.held_indexes().any(|s| s == i) {
            return true;
        }
        if self.held_indexes().all(|s| s < i) {
            self.guard_pos(i);
            return true;
        }
        match self.db.try_lock(i) {
            Some(g) => {
                if self.first.is_none() {
                    self.first = Some((i, g));
                } else {
                    self.more.push((i, g));
                }
                true
            }
            None => false,
        }
    }

    /// Release every held stripe and take them again together with
    /// `key`'s, in ascending order. Whatever was read under the old locks
    /// must be looked at again.
    pub fn relock_with(&mut self, key: &[u8]) {
        let mut idx: Vec<usize> = self.held_indexes().collect();
        idx.push(self.db.stripe_of(key));
        self.unlock_all();
        idx.sort_unstable();
        idx.dedup();
        for i in idx {
            self.guard_pos(i);
        }
    }

    /// Lock the stripe of one key (the common case: no allocation).
    pub fn lock_one(&mut self, key: &[u8]) {
        let i = self.stripe_index(key);
        self.guard_pos(i);
    }

    /// Lock the stripes of `keys` in ascending order (no deadlock between
    /// commands locking overlapping sets).
    pub fn lock_keys<'k>(&mut self, keys: impl Iterator<Item = &'k [u8]>) {
        let mut idx: Vec<usize> = keys.map(|k| self.db.stripe_of(k)).collect();
        idx.sort_unstable();
        idx.dedup();
        for i in idx {
            self.guard_pos(i);
        }
    }

    /// Release every stripe lock (e.g. before a blocking wait).
    pub fn unlock_all(&mut self) {
        self.more.clear();
        self.first = None;
    }

    /// Position of stripe `i` among the held locks (0: `first`, n: more[n-1]),
    /// locking it if needed. Keys named by the key specs are already locked;
    /// others (only under the exclusive world lock, so no ordering concern)
    /// are locked here.
    #[inline]
    fn guard_pos(&mut self, i: usize) -> usize {
        match &self.first {
            None => {
                self.first = Some((i, self.db.lock(i)));
                return 0;
            }
            Some((s, _)) if *s == i => return 0,
            _ => {}
        }
        match self.more.iter().position(|(s, _)| *s == i) {
            Some(p) => p + 1,
            None => {
                self.more.push((i, self.db.lock(i)));
                self.more.len()
            }
        }
    }

    #[inline]
    fn at(&mut self, pos: usize) -> &mut Stripe {
        if pos == 0 {
            &mut self.first.as_mut().expect("guard 0 is held").1
        } else {
            &mut self.more[pos - 1].1
        }
    }

    /// The stripe holding `key`.
    #[inline]
    pub fn stripe(&mut self, key: &[u8]) -> &mut Stripe {
        let si = self.stripe_index(key);
        let p = self.guard_pos(si);
        self.at(p)
    }

    /// Two stripes at once (same stripe: the second is None).
    pub fn stripes2(&mut self, a: &[u8], b: &[u8]) -> (&mut Stripe, Option<&mut Stripe>) {
        let pa = self.guard_pos(self.db.stripe_of(a));
        let pb = self.guard_pos(self.db.stripe_of(b));
        if pa == pb {
            return (self.at(pa), None);
        }
        let first = &mut self.first.as_mut().expect("guard 0 is held").1;
        let more = &mut self.more;
        match (pa, pb) {
            (0, b) => (first, Some(&mut more[b - 1].1)),
            (a, 0) => (&mut more[a - 1].1, Some(first)),
            (a, b) if a < b => {
                let (l, r) = more.split_at_mut(b - 1);
                (&mut l[a - 1].1, Some(&mut r[0].1))
            }
            (a, b) => {
                let (l, r) = more.split_at_mut(a - 1);
                (&mut r[0].1, Some(&mut l[b - 1].1))
            }
        }
    }

    /// Look a key up for reading: lazy expiry, LRU touch, hit/miss stats.
    #[inline]
    pub fn read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        if self.notify != 0 {
            return self.read_notifying(key);
        }
        let (now, touch) = (self.now, self.touch);
        let si = self.stripe_index(key);
        let p = self.guard_pos(si);
        // Borrow the stripe field by field: hits/misses are updated below
        // while the entry is still borrowed.
        let s = if p == 0 { &mut self.first.as_mut().expect("guard 0 is held").1 } else { &mut self.more[p - 1].1 };
        let found = if touch { s.get_touch(key, now) } else { s.get(key, now) };
        if found.is_some() {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        found
    }

    /// `read` while notifications are on: "expired" for a key the lookup
    /// expired, "keymiss" for a miss.
    fn read_notifying(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let (now, touch) = (self.now, self.touch);
        let (p, hit) = self.expire_now(key);
        if !hit {
            self.misses += 1;
            self.notify(crate::notify::class::KEY_MISS, "keymiss", key);
            return None;
        }
        self.hits += 1;
        let s = self.at(p);
        if touch {
            s.get_touch(key, now)
        } else {
            s.get(key, now)
        }
    }

    /// Look a key up for writing: lazy expiry, no hit/miss accounting;
    /// an access for the LRU/LFU field, as Redis' lookupKeyWrite.
    #[inline]
    pub fn write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let (now, touch) = (self.now, self.touch);
        if self.notify != 0 {
            self.expire_now(key);
        }
        let s = self.stripe(key);
        if touch {
            s.get_touch(key, now)
        } else {
            s.get(key, now)
        }
    }

    /// `write` without counting an access: for a lookup whose key is then
    /// replaced by `set_str`, which counts the access itself.
    #[inline]
    pub fn write_untouched(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let now = self.now;
        if self.notify != 0 {
            self.expire_now(key);
        }
        self.stripe(key).get(key, now)
    }

    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.write(key).is_some()
    }

    /// SET semantics in one probe (see `Stripe::set_str`); true if a live
    /// key was replaced.
    pub fn set_str(&mut self, key: &[u8], val: &[u8], expire: Option<i64>) -> bool {
        self.dirty += 1;
        let (now, touch) = (self.now, self.touch);
        if self.notify != 0 {
            self.expire_now(key);
        }
        let s = self.stripe(key);
        if touch {
            let replaced = s.set_str(key, val, expire, now);
            if !replaced {
                self.note_new(key);
            }
            return replaced;
        }
        // CLIENT NO-TOUCH: overwriting a live key keeps its LRU/LFU field
        // (Redis 8.2 reports the old idle time after such a SET).
        let kept = if s.contains_live(key, now) { s.peek(key).map(Entry::lru) } else { None };
        let replaced = s.set_str(key, val, expire, now);
        if let (Some(lru), Some(e)) = (kept, s.get(key, now)) {
            e.set_lru(lru);
        }
        if !replaced {
            self.note_new(key);
        }
        replaced
    }

    pub fn insert(&mut self, mut e: Entry) -> Option<Entry> {
        self.dirty += 1;
        if e.lru() == 0 {
            moon_store::stripe::touch(&mut e, self.now);
        }
        let p = self.guard_pos(self.db.stripe_of(e.key()));
        if self.notify & crate::notify::class::NEW == 0 {
            return self.at(p).insert(e);
        }
        let key = e.key().to_vec();
        let now = self.now;
        let old = self.at(p).insert(e);
        if old.as_ref().is_none_or(|o| o.expire().is_some_and(|t| now > t)) {
            self.note_new(&key);
        }
        old
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        // An expired key counts as absent.
        let (p, live) = self.expire_now(key);
        if !live {
            return None;
        }
        let e = self.at(p).remove(key);
        if e.is_some() {
            self.dirty += 1;
        }
        e
    }

    pub fn set_expire(&mut self, key: &[u8], t: Option<i64>) -> bool {
        let ok = self.stripe(key).set_expire(key, t);
        if ok {
            self.dirty += 1;
        }
        ok
    }

    /// The string value of `key` (None if absent), or WRONGTYPE.
    pub fn read_str(&mut self, key: &[u8]) -> Result<Option<&[u8]>, CmdError> {
        match self.read(key) {
            None => Ok(None),
            Some(e) => str_of(e).map(Some),
        }
    }

    /// Drain expired-key counts from the locked stripes.
    pub fn take_expired(&mut self) -> u64 {
        let first = self.first.as_mut().map_or(0, |(_, g)| g.take_expired());
        first + self.more.iter_mut().map(|(_, g)| g.take_expired()).sum::<u64>()
    }

    /// The keys expiry changed in the locked stripes (recorded only while
    /// notifications, tracking or the journal need them); the journal's
    /// records of them are noted on the way.
    pub fn take_expired_keys(&mut self) -> Vec<(Vec<u8>, moon_store::stripe::Expiry)> {
        let mut keys = Vec::new();
        let mut fields = Vec::new();
        for g in self.first.iter_mut().map(|(_, g)| g).chain(self.more.iter_mut().map(|(_, g)| g)) {
            keys.append(&mut g.take_expired_keys());
            if self.journal.on {
                fields.append(&mut g.take_expired_field_names());
            }
        }
        if self.journal.on {
            self.journal.note_expiry(self.db_index, &keys, &fields);
        }
        keys
    }
}

/// The bytes of a string value, or WRONGTYPE.
pub fn str_of(e: &Entry) -> Result<&[u8], CmdError> {
    match e.value() {
        ValueRef::Inline(b) => Ok(b),
        ValueRef::Obj(Object::Str(v)) => Ok(v),
        #[allow(unreachable_patterns)]
        ValueRef::Obj(_) => Err(WRONGTYPE),
    }
}

/// Redis' type name of a value.
pub fn type_name(e: &Entry) -> &'static str {
    match e.value() {
        ValueRef::Inline(_) => "string",
        ValueRef::Obj(o) => o.type_name(),
    }
}
