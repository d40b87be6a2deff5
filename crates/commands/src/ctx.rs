//! What a command handler works with: the server, its connection, the
//! reply buffer, and access to the keys the dispatcher locked for it.

use crate::client::ConnState;
use crate::error::{CmdError, WRONGTYPE};
use crate::state::Server;
use crate::table::TableEntry;
use moon_resp::Out;
use moon_store::{Db, Entry, Object, Stripe, ValueRef};
use parking_lot::MutexGuard;

pub struct Ctx<'a> {
    pub srv: &'a Server,
    pub conn: &'a mut ConnState,
    pub out: &'a mut Out,
    pub cmd: &'a TableEntry,
    pub ks: KeyAccess<'a>,
}

impl Ctx<'_> {
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
    guards: Vec<(usize, MutexGuard<'a, Stripe>)>,
    pub hits: u64,
    pub misses: u64,
    /// Changes made (feeds `dirty`, the save-point counter).
    pub dirty: u64,
}

impl<'a> KeyAccess<'a> {
    pub fn new(db: &'a Db, db_index: usize, now: i64, touch: bool) -> Self {
        KeyAccess { db, db_index, now, touch, guards: Vec::new(), hits: 0, misses: 0, dirty: 0 }
    }

    /// Lock the stripes of `keys` (indexes into argv) in ascending order.
    pub fn lock_keys<'k>(&mut self, keys: impl Iterator<Item = &'k [u8]>) {
        let mut idx: Vec<usize> = keys.map(|k| self.db.stripe_of(k)).collect();
        idx.sort_unstable();
        idx.dedup();
        self.guards.reserve(idx.len());
        for i in idx {
            self.guards.push((i, self.db.lock(i)));
        }
    }

    /// Release every stripe lock (e.g. before a blocking wait).
    pub fn unlock_all(&mut self) {
        self.guards.clear();
    }

    /// Position in `guards` of stripe `i`, locking it if needed. Keys named
    /// by the key specs are already locked; others (only under the
    /// exclusive world lock, so no ordering concern) are locked here.
    #[inline]
    fn guard_pos(&mut self, i: usize) -> usize {
        match self.guards.iter().position(|(s, _)| *s == i) {
            Some(p) => p,
            None => {
                self.guards.push((i, self.db.lock(i)));
                self.guards.len() - 1
            }
        }
    }

    /// The stripe holding `key`.
    #[inline]
    pub fn stripe(&mut self, key: &[u8]) -> &mut Stripe {
        let p = self.guard_pos(self.db.stripe_of(key));
        &mut self.guards[p].1
    }

    /// Two stripes at once (same stripe: the second is None).
    pub fn stripes2(&mut self, a: &[u8], b: &[u8]) -> (&mut Stripe, Option<&mut Stripe>) {
        let (ia, ib) = (self.db.stripe_of(a), self.db.stripe_of(b));
        let pa = self.guard_pos(ia);
        let pb = self.guard_pos(ib);
        if pa == pb {
            return (&mut self.guards[pa].1, None);
        }
        if pa < pb {
            let (l, r) = self.guards.split_at_mut(pb);
            (&mut l[pa].1, Some(&mut r[0].1))
        } else {
            let (l, r) = self.guards.split_at_mut(pa);
            (&mut r[0].1, Some(&mut l[pb].1))
        }
    }

    /// Look a key up for reading: lazy expiry, LRU touch, hit/miss stats.
    #[inline]
    pub fn read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let (now, touch) = (self.now, self.touch);
        let p = self.guard_pos(self.db.stripe_of(key));
        let s = &mut self.guards[p].1;
        let found = if touch { s.get_touch(key, now) } else { s.get(key, now) };
        if found.is_some() {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        found
    }

    /// Look a key up for writing: lazy expiry, no hit/miss accounting.
    #[inline]
    pub fn write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let now = self.now;
        self.stripe(key).get(key, now)
    }

    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.write(key).is_some()
    }

    pub fn insert(&mut self, e: Entry) -> Option<Entry> {
        self.dirty += 1;
        let p = self.guard_pos(self.db.stripe_of(e.key()));
        self.guards[p].1.insert(e)
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let now = self.now;
        let s = self.stripe(key);
        // An expired key counts as absent.
        s.get(key, now)?;
        let e = s.remove(key);
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
        self.guards.iter_mut().map(|(_, g)| g.take_expired()).sum()
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
