//! DEBUG DIGEST / DIGEST-VALUE: Redis' order-independent SHA-1 signature of
//! the data (debug.c's xorDigest / mixDigest), so the same data gives the
//! same hex string on Redis and on Moon whatever the encodings.
//!
//! - xor(d, bytes): d ^= sha1(bytes) — order-independent accumulation;
//! - mix(d, bytes): d = sha1(d ^ sha1(bytes)) — order-dependent.
//!
//! Per key: mix the key, mix the type (u32 big-endian), then the value
//! (strings and list elements mixed in order; set members xored; each
//! hash pair and zset element digested apart then xored in), then xor
//! "!!expire!!" if the key has a TTL. Hash fields with a TTL also xor
//! "!!hexpire!!" into their pair digest. Per database with keys: mix the
//! db index (u32 big-endian) into the result, then xor each key's digest.

use crate::sha1::{sha1, Sha1};
use moon_store::set::Member;
use moon_store::stream::StreamId;
use moon_store::{Entry, Keyspace, Object, ValueRef};

pub type Digest = [u8; 20];

fn xor(d: &mut Digest, data: &[u8]) {
    for (a, b) in d.iter_mut().zip(sha1(data)) {
        *a ^= b;
    }
}

fn mix(d: &mut Digest, data: &[u8]) {
    xor(d, data);
    let mut s = Sha1::new();
    s.update(d);
    *d = s.finish();
}

fn xor_digest(d: &mut Digest, other: &Digest) {
    xor(d, other);
}

/// Redis' object type numbers (OBJ_STRING..OBJ_STREAM).
fn type_code(v: &ValueRef<'_>) -> u32 {
    match v {
        ValueRef::Inline(_) | ValueRef::Obj(Object::Str(_)) => 0,
        ValueRef::Obj(Object::List(_)) => 1,
        ValueRef::Obj(Object::Set(_)) => 2,
        ValueRef::Obj(Object::ZSet(_)) => 3,
        ValueRef::Obj(Object::Hash(_)) => 4,
        ValueRef::Obj(Object::Stream(_)) => 6,
    }
}

/// The digest of one key's value and expire (DEBUG DIGEST-VALUE).
pub fn value(e: &Entry) -> Digest {
    let mut d = [0u8; 20];
    value_into(&mut d, e);
    d
}

fn value_into(d: &mut Digest, e: &Entry) {
    let v = e.value();
    mix(d, &type_code(&v).to_be_bytes());
    match v {
        ValueRef::Inline(s) => mix(d, s),
        ValueRef::Obj(Object::Str(s)) => mix(d, s),
        ValueRef::Obj(Object::List(l)) => l.iter().for_each(|x| mix(d, x)),
        ValueRef::Obj(Object::Set(s)) => {
            let mut buf = [0u8; 20];
            for m in s.iter() {
                match m {
                    Member::Str(b) => xor(d, b),
                    Member::Int(_) => xor(d, m.bytes(&mut buf)),
                }
            }
        }
        ValueRef::Obj(Object::ZSet(z)) => {
            let mut buf = Vec::with_capacity(32);
            for (m, sc) in z.iter() {
                let mut ed = [0u8; 20];
                mix(&mut ed, m);
                buf.clear();
                moon_resp::format_double_fpconv(sc, &mut buf);
                mix(&mut ed, &buf);
                xor_digest(d, &ed);
            }
        }
        ValueRef::Obj(Object::Hash(h)) => {
            for (f, val, ttl) in h.iter_ttl() {
                let mut ed = [0u8; 20];
                mix(&mut ed, f);
                mix(&mut ed, val);
                if ttl.is_some() {
                    xor(&mut ed, b"!!hexpire!!");
                }
                xor_digest(d, &ed);
            }
        }
        // Each live entry in order: its ID as "<ms>.<seq>", then every
        // field and value, all mixed (consumer groups are not digested).
        ValueRef::Obj(Object::Stream(s)) => {
            let mut buf = Vec::with_capacity(48);
            let mut b = itoa::Buffer::new();
            for e in s.range(StreamId::MIN, StreamId::MAX) {
                buf.clear();
                buf.extend_from_slice(b.format(e.id.ms).as_bytes());
                buf.push(b'.');
                buf.extend_from_slice(b.format(e.id.seq).as_bytes());
                mix(d, &buf);
                for (f, v) in e.fields() {
                    mix(d, f);
                    mix(d, v);
                }
            }
        }
    }
    if e.expire().is_some() {
        xor(d, b"!!expire!!");
    }
}

/// The digest of the whole dataset (DEBUG DIGEST); all zeros when empty.
/// Locks one stripe at a time: call it under the world lock for a
/// consistent answer.
pub fn dataset(ks: &Keyspace) -> Digest {
    let mut fin = [0u8; 20];
    for (i, db) in ks.dbs.iter().enumerate() {
        if !db.allocated() || db.sizes().0 == 0 {
            continue;
        }
        mix(&mut fin, &(i as u32).to_be_bytes());
        db.for_each_stripe(|_, st| {
            for e in st.iter() {
                let mut kd = [0u8; 20];
                mix(&mut kd, e.key());
                value_into(&mut kd, e);
                xor_digest(&mut fin, &kd);
            }
        });
    }
    fin
}

pub fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}
