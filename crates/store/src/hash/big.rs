//! The "hashtable" hash encoding: the keyspace's own open-addressing
//! [`Table`] of [`Entry`]s, one allocation per field holding the field as
//! the entry key, the value inline, and the field's TTL in the entry's
//! expire slot. The table brings SCAN's reverse-binary cursor (HSCAN keeps
//! Redis' guarantees across resizes) and random sampling (HRANDFIELD).
//!
//! Fields with a TTL are also indexed by time, so expiring the due ones
//! costs O(expired * log n), not a walk over the hash.

use crate::entry::{Entry, ValueRef};
use crate::stripe::key_hash;
use crate::table::Table;
use std::collections::BTreeSet;

#[derive(Default)]
pub struct Big {
    table: Table,
    /// (expire time, field) of every field that has a TTL.
    ttls: BTreeSet<(i64, Box<[u8]>)>,
}

/// The value bytes of a field entry (always an inline string).
#[inline]
pub fn value_of(e: &Entry) -> &[u8] {
    match e.value() {
        ValueRef::Inline(v) => v,
        ValueRef::Obj(_) => &[],
    }
}

impl Big {
    #[inline]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    #[inline]
    pub fn find(&self, field: &[u8]) -> Option<&Entry> {
        self.table.get(self.table.find(key_hash(field), field)?)
    }

    /// Insert or overwrite. A new field has no TTL; an existing one keeps
    /// its TTL when `keep_ttl`, else loses it. True if the field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8], keep_ttl: bool) -> bool {
        let h = key_hash(field);
        if let Some(i) = self.table.find(h, field) {
            let e = self.table.get_mut(i).expect("find returned an occupied slot");
            e.set_str(value);
            if !keep_ttl {
                if let Some(t) = e.expire() {
                    e.set_expire(None);
                    self.ttls.remove(&(t, field.into()));
                }
            }
            return false;
        }
        self.table.insert(h, Entry::new_str(field, value, None));
        true
    }

    /// Insert a field known to be absent (conversion, cloning).
    pub fn insert_new(&mut self, field: &[u8], value: &[u8], ttl: Option<i64>) {
        if let Some(t) = ttl {
            self.ttls.insert((t, field.into()));
        }
        self.table.insert(key_hash(field), Entry::new_str(field, value, ttl));
    }

    pub fn remove(&mut self, field: &[u8]) -> bool {
        let Some(e) = self.table.remove(key_hash(field), field) else { return false };
        if let Some(t) = e.expire() {
            self.ttls.remove(&(t, field.into()));
        }
        true
    }

    /// Set (Some) or clear (None) a present field's TTL.
    pub fn set_ttl(&mut self, field: &[u8], t: Option<i64>) {
        let Some(i) = self.table.find(key_hash(field), field) else { return };
        let e = self.table.get_mut(i).expect("find returned an occupied slot");
        if let Some(old) = e.expire() {
            self.ttls.remove(&(old, field.into()));
        }
        e.set_expire(t);
        if let Some(t) = t {
            self.ttls.insert((t, field.into()));
        }
    }

    #[inline]
    pub fn first_ttl(&self) -> Option<i64> {
        self.ttls.first().map(|(t, _)| *t)
    }

    /// Delete up to `max` fields whose TTL is before `now`.
    pub fn expire(&mut self, now: i64, max: usize) -> usize {
        let mut n = 0;
        while n < max {
            match self.ttls.first() {
                Some((t, _)) if *t < now => {}
                _ => break,
            }
            let Some((_, field)) = self.ttls.pop_first() else { break };
            self.table.remove(key_hash(&field), &field);
            n += 1;
        }
        n
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.table.iter()
    }

    /// One HSCAN step over the table (see `Table::scan`).
    pub fn scan(&self, cursor: u64, count: usize, f: impl FnMut(&Entry)) -> u64 {
        self.table.scan(cursor, count, f)
    }

    pub fn random(&self, r: u64) -> Option<&Entry> {
        self.table.random(r)
    }

    /// Heap bytes: the table, the field entries (sampled when many, as
    /// Redis' MEMORY USAGE samples), the TTL index.
    pub fn mem_usage(&self) -> usize {
        const SAMPLES: usize = 16;
        let n = self.table.len();
        let sampled: usize = self.table.iter().take(SAMPLES).map(Entry::mem_usage).sum();
        let entries = if n <= SAMPLES { sampled } else { sampled / SAMPLES * n };
        let ttl = self.ttls.iter().take(SAMPLES).map(|(_, f)| f.len() + 40).sum::<usize>();
        let ttl = if self.ttls.len() <= SAMPLES { ttl } else { ttl / SAMPLES * self.ttls.len() };
        std::mem::size_of::<Big>() + self.table.table_bytes() + entries + ttl
    }
}

impl Clone for Big {
    fn clone(&self) -> Big {
        let mut b = Big::default();
        for e in self.table.iter() {
            b.insert_new(e.key(), value_of(e), e.expire());
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_values_and_ttls() {
        let mut b = Big::default();
        for i in 0..1000 {
            assert!(b.set(format!("f{i}").as_bytes(), format!("v{i}").as_bytes(), false));
        }
        assert!(!b.set(b"f1", b"new", false));
        assert_eq!(value_of(b.find(b"f1").unwrap()), b"new");
        b.set_ttl(b"f1", Some(50));
        b.set_ttl(b"f2", Some(40));
        b.set_ttl(b"f2", Some(60));
        assert_eq!(b.first_ttl(), Some(50));
        assert!(!b.set(b"f1", b"kept", true));
        assert_eq!(b.find(b"f1").unwrap().expire(), Some(50));
        assert!(!b.set(b"f1", b"dropped", false));
        assert_eq!(b.find(b"f1").unwrap().expire(), None);
        assert_eq!(b.first_ttl(), Some(60));
        b.set_ttl(b"f3", Some(10));
        assert_eq!(b.expire(61, 1), 1);
        assert!(b.find(b"f3").is_none());
        assert_eq!(b.expire(61, 10), 1);
        assert_eq!(b.first_ttl(), None);
        assert_eq!(b.len(), 998);
        b.set_ttl(b"f4", Some(5));
        assert!(b.remove(b"f4"));
        assert_eq!(b.first_ttl(), None);
        assert!(!b.remove(b"f4"));
        let c = b.clone();
        assert_eq!(c.len(), 997);
        assert_eq!(value_of(c.find(b"f999").unwrap()), b"v999");
        let mut seen = 0;
        let mut cur = 0;
        loop {
            cur = c.scan(cur, 10, |_| seen += 1);
            if cur == 0 {
                break;
            }
        }
        assert!(seen >= 997);
    }
}
