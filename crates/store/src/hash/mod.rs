//! The hash value type, with Redis' two encodings and per-field TTLs.
//!
//! - compact ([`pack`]): one exact-size buffer of pairs, OBJECT ENCODING
//!   "listpack", or "listpackex" once any field TTL command touched it
//!   (then each pair carries a TTL slot and pairs follow Redis' TTL order);
//! - "hashtable" ([`big`]): a table of one allocation per field.
//!
//! A hash converts compact -> hashtable when it would exceed
//! hash-max-listpack-entries fields or hold a field or value longer than
//! hash-max-listpack-value bytes (Redis' hashTypeTryConversion and the
//! checks of hashTypeSet), and never back.
//!
//! Field TTLs are absolute unix ms. A field whose TTL is before "now" is
//! expired; the keyspace purges expired fields whenever it hands out the
//! entry (see `Stripe::get`) and in the active expiry cycle, so commands
//! never see one. A hash without TTLs pays nothing for the feature: the
//! check is one byte of the compact buffer, or an empty index.

mod big;
mod pack;

use crate::entry::{Entry, ValueRef};
use crate::object::Object;
use big::{value_of, Big};
use pack::Pack;

/// Redis' hash-max-listpack-entries and hash-max-listpack-value.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

/// Redis' LISTPACK_MAX_SAFETY_SIZE: a compact hash never reaches 1 GB.
const PACK_MAX_BYTES: usize = 1 << 30;

#[derive(Clone)]
pub struct Hash {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Pack(Pack),
    Big(Box<Big>),
}

/// The condition of HEXPIRE and friends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpireCond {
    Always,
    /// Only fields without a TTL.
    Nx,
    /// Only fields with a TTL.
    Xx,
    /// Only if later than the current TTL (no TTL counts as infinite).
    Gt,
    /// Only if earlier than the current TTL (no TTL counts as infinite).
    Lt,
}

/// What setting a field's TTL did, as HEXPIRE replies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetTtl {
    NoField = -2,
    NotMet = 0,
    Set = 1,
    /// The time was not in the future: the field was deleted.
    Deleted = 2,
}

/// HPERSIST's reply codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persist {
    NoField = -2,
    NoTtl = -1,
    Done = 1,
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl Hash {
    /// An empty compact hash (allocates nothing until the first field).
    pub fn new() -> Hash {
        Hash { repr: Repr::Pack(Pack::default()) }
    }

    #[inline]
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.len(),
            Repr::Big(b) => b.len(),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the compact encoding is in use (HSCAN answers in one call,
    /// HRANDFIELD samples by position).
    #[inline]
    pub fn is_compact(&self) -> bool {
        matches!(self.repr, Repr::Pack(_))
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match &self.repr {
            Repr::Pack(p) if p.is_ex() => "listpackex",
            Repr::Pack(_) => "listpack",
            Repr::Big(_) => "hashtable",
        }
    }

    /// Heap bytes.
    pub fn mem_usage(&self) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.bytes(),
            Repr::Big(b) => b.mem_usage(),
        }
    }

    /// Allocations to free (Redis' lazyfree effort).
    pub fn free_effort(&self) -> usize {
        match &self.repr {
            Repr::Pack(_) => 1,
            Repr::Big(b) => b.len(),
        }
    }

    #[inline]
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Pack(p) => p.find(field).map(|s| p.value(&s)),
            Repr::Big(b) => b.find(field).map(value_of),
        }
    }

    /// The field's TTL: None if the field is absent, Some(None) if it has
    /// no TTL.
    pub fn get_ttl(&self, field: &[u8]) -> Option<Option<i64>> {
        match &self.repr {
            Repr::Pack(p) => p.find(field).map(|s| (s.ttl != 0).then_some(s.ttl as i64)),
            Repr::Big(b) => b.find(field).map(Entry::expire),
        }
    }

    #[inline]
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    fn convert_to_table(&mut self) {
        let Repr::Pack(p) = &self.repr else { return };
        let mut b = Big::default();
        for s in p.slots() {
            b.insert_new(p.field(&s), p.value(&s), (s.ttl != 0).then_some(s.ttl as i64));
        }
        self.repr = Repr::Big(Box::new(b));
    }

    /// Before writing `pairs` pairs whose field and value lengths are
    /// `lens`: convert to a hashtable if they could not stay compact (Redis'
    /// hashTypeTryConversion: more pairs than the entry limit, duplicates or
    /// not, or any string over the value limit).
    pub fn prepare(&mut self, pairs: usize, lens: impl Iterator<Item = usize>, lim: Limits) {
        let Repr::Pack(p) = &self.repr else { return };
        if pairs > lim.max_entries {
            self.convert_to_table();
            return;
        }
        let mut sum = p.encoded_len();
        // Lengths alternate field, value: pair them up for the reservation.
        let (mut prev, mut room) = (None, 0usize);
        for l in lens {
            if l > lim.max_value {
                self.convert_to_table();
                return;
            }
            sum = sum.saturating_add(l);
            match prev.take() {
                None => prev = Some(l),
                Some(f) => room = room.saturating_add(pack::pair_size(f, l, p.is_ex().then_some(0))),
            }
        }
        if sum > PACK_MAX_BYTES {
            self.convert_to_table();
            return;
        }
        // A bulk write to an empty hash allocates once (see pack.rs); the
        // caller calls `fit` when done.
        if pairs > 1 && p.len() == 0 {
            if let Repr::Pack(p) = &mut self.repr {
                p.reserve(room);
            }
        }
    }

    /// After a batch of writes begun with `prepare`: give back reserved
    /// room the batch did not use.
    pub fn fit(&mut self) {
        if let Repr::Pack(p) = &mut self.repr {
            p.fit();
        }
    }

    /// Set a field. An existing field keeps its TTL when `keep_ttl`
    /// (HINCRBY, HSETEX KEEPTTL), else loses it (HSET); in the compact TTL
    /// layout a field that loses its TTL moves to the end, as in Redis.
    /// Returns whether the field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8], keep_ttl: bool, lim: Limits) -> bool {
        if let Repr::Pack(p) = &self.repr {
            let too_long = field.len() > lim.max_value || value.len() > lim.max_value;
            if too_long || p.encoded_len().saturating_add(field.len() + value.len()) > PACK_MAX_BYTES {
                self.convert_to_table();
            }
        }
        let p = match &mut self.repr {
            Repr::Big(b) => return b.set(field, value, keep_ttl),
            Repr::Pack(p) => p,
        };
        let created = match p.find(field) {
            Some(s) if s.ttl != 0 && !keep_ttl => {
                p.remove(s);
                p.push(field, value, 0);
                false
            }
            Some(s) => {
                p.replace_value(s, value);
                false
            }
            None => {
                p.push(field, value, 0);
                true
            }
        };
        if p.len() > lim.max_entries {
            self.convert_to_table();
        }
        created
    }

    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Pack(p) => match p.find(field) {
                Some(s) => {
                    p.remove(s);
                    true
                }
                None => false,
            },
            Repr::Big(b) => b.remove(field),
        }
    }

    /// Prepare for field TTLs: a compact hash switches to the TTL layout
    /// ("listpackex"). Redis does this whenever a TTL command reaches a
    /// hash, whether or not a TTL ends up set.
    pub fn track_ttls(&mut self) {
        if let Repr::Pack(p) = &mut self.repr {
            p.make_ex();
        }
    }

    /// Give `field` the TTL `at` (unix ms) if `cond` holds; a time not
    /// after `now` deletes the field instead.
    pub fn set_expire(&mut self, field: &[u8], at: i64, cond: ExpireCond, now: i64) -> SetTtl {
        let Some(prev) = self.get_ttl(field) else { return SetTtl::NoField };
        let met = match (prev, cond) {
            (_, ExpireCond::Always) => true,
            (None, ExpireCond::Nx | ExpireCond::Lt) => true,
            (None, ExpireCond::Xx | ExpireCond::Gt) => false,
            (Some(_), ExpireCond::Nx) => false,
            (Some(_), ExpireCond::Xx) => true,
            (Some(p), ExpireCond::Gt) => at > p,
            (Some(p), ExpireCond::Lt) => at < p,
        };
        if !met {
            return SetTtl::NotMet;
        }
        if at <= now && !crate::clock::loading() {
            self.remove(field);
            return SetTtl::Deleted;
        }
        match &mut self.repr {
            Repr::Pack(p) => {
                p.make_ex();
                if let Some(s) = p.find(field) {
                    p.set_ttl(s, at.max(1) as u64);
                }
            }
            Repr::Big(b) => b.set_ttl(field, Some(at)),
        }
        SetTtl::Set
    }

    /// Remove a field's TTL (HPERSIST).
    pub fn persist(&mut self, field: &[u8]) -> Persist {
        match self.get_ttl(field) {
            None => Persist::NoField,
            Some(None) => Persist::NoTtl,
            Some(Some(_)) => {
                match &mut self.repr {
                    Repr::Pack(p) => {
                        if let Some(s) = p.find(field) {
                            p.set_ttl(s, 0);
                        }
                    }
                    Repr::Big(b) => b.set_ttl(field, None),
                }
                Persist::Done
            }
        }
    }

    /// Whether any field has a TTL.
    #[inline]
    pub fn has_field_ttl(&self) -> bool {
        self.next_expire().is_some()
    }

    /// The earliest field TTL.
    #[inline]
    pub fn next_expire(&self) -> Option<i64> {
        match &self.repr {
            Repr::Pack(p) => p.first_ttl().map(|t| t as i64),
            Repr::Big(b) => b.first_ttl(),
        }
    }

    /// Delete up to `max` fields whose TTL is before `now`; returns how many.
    pub fn expire_fields(&mut self, now: i64, max: usize) -> usize {
        match &mut self.repr {
            Repr::Pack(p) => p.expire(now.max(0) as u64, max),
            Repr::Big(b) => b.expire(now, max),
        }
    }

    /// (field, value) pairs: in Redis' order for a compact hash, in table
    /// order for a hashtable.
    pub fn iter(&self) -> Iter<'_> {
        match &self.repr {
            Repr::Pack(p) => Iter::Pack(p, p.slots()),
            Repr::Big(b) => Iter::Big(Box::new(b.iter())),
        }
    }

    /// (field, value, TTL in unix ms) triples in `iter`'s order: for the
    /// RDB writer and DEBUG DIGEST, which need every field's TTL without a
    /// lookup per field.
    pub fn iter_ttl(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8], Option<i64>)> + '_> {
        match &self.repr {
            Repr::Pack(p) => Box::new(p.slots().map(move |s| (p.field(&s), p.value(&s), (s.ttl != 0).then_some(s.ttl as i64)))),
            Repr::Big(b) => Box::new(b.iter().map(|e| (e.key(), value_of(e), e.expire()))),
        }
    }

    /// One HSCAN step: a compact hash is returned whole with cursor 0 (as
    /// Redis does); a hashtable is walked with the table's reverse-binary
    /// cursor, about `count` fields per call.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.repr {
            Repr::Pack(p) => {
                for s in p.slots() {
                    f(p.field(&s), p.value(&s));
                }
                0
            }
            Repr::Big(b) => b.scan(cursor, count, |e| f(e.key(), value_of(e))),
        }
    }

    /// A pseudo-random pair chosen by the random number `r` (None if empty).
    pub fn random(&self, r: u64) -> Option<(&[u8], &[u8])> {
        match &self.repr {
            Repr::Pack(p) => {
                let n = p.len();
                if n == 0 {
                    return None;
                }
                let s = p.slots().nth((r % n as u64) as usize)?;
                Some((p.field(&s), p.value(&s)))
            }
            Repr::Big(b) => b.random(r).map(|e| (e.key(), value_of(e))),
        }
    }
}

pub enum Iter<'a> {
    Pack(&'a Pack, pack::Slots<'a>),
    Big(Box<dyn Iterator<Item = &'a Entry> + 'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Pack(p, it) => it.next().map(|s| (p.field(&s), p.value(&s))),
            Iter::Big(it) => it.next().map(|e| (e.key(), value_of(e))),
        }
    }
}

/// What [`purge_entry`] did to a keyspace entry.
pub(crate) struct Purge {
    /// Fields deleted.
    pub expired: usize,
    /// The hash has no fields left (the key must go).
    pub empty: bool,
    /// Fields with a TTL remain.
    pub has_ttl: bool,
}

/// For the keyspace: delete up to `max` expired fields of the hash held by
/// `e` (anything else has nothing to purge), adding their names to
/// `names` if given.
pub(crate) fn purge_entry(e: &mut Entry, now: i64, max: usize, names: Option<&mut Vec<Vec<u8>>>) -> Purge {
    match e.obj_mut() {
        Some(Object::Hash(h)) => {
            let due = h.next_expire().is_some_and(|t| t < now) && !crate::clock::loading();
            // The candidates before, those gone after: which ones the purge
            // took when `max` stops it early is the representation's choice.
            let candidates: Vec<Vec<u8>> = match (&names, due) {
                (Some(_), true) => h.iter_ttl().filter(|(_, _, t)| t.is_some_and(|t| t < now)).map(|(f, _, _)| f.to_vec()).collect(),
                _ => Vec::new(),
            };
            let expired = if due { h.expire_fields(now, max) } else { 0 };
            if let Some(names) = names {
                names.extend(candidates.into_iter().filter(|f| !h.contains(f)));
            }
            Purge { expired, empty: h.is_empty(), has_ttl: h.has_field_ttl() }
        }
        _ => Purge { expired: 0, empty: false, has_ttl: false },
    }
}

/// Whether `e` holds a hash with field TTLs (the keyspace flags such
/// entries so lookups and the active expiry know to purge them).
pub(crate) fn entry_has_field_ttl(e: &Entry) -> bool {
    e.is_boxed() && matches!(e.value(), ValueRef::Obj(Object::Hash(h)) if h.has_field_ttl())
}

#[cfg(test)]
mod tests;
