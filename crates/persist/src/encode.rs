//! One value in RDB form: the type byte and the body, with the encodings
//! Redis 7.4 / 8.2 write for the same in-memory encoding (listpack blobs for
//! compact collections, so files and DUMP payloads look like Redis').

use crate::listpack::Writer as Lp;
use crate::writer::{put_f64, put_len, put_ms, put_string};
use crate::{intset, types as t, Result};
use moon_store::hash::Hash;
use moon_store::list::List;
use moon_store::set::{Member, Set};
use moon_store::zset::ZSet;
use moon_store::{Object, ValueRef};

/// Options from the configuration that change what is written.
#[derive(Clone, Copy, Debug)]
pub struct SaveOpts {
    /// rdbcompression: LZF-compress strings over 20 bytes.
    pub compress: bool,
}

impl Default for SaveOpts {
    fn default() -> Self {
        SaveOpts { compress: true }
    }
}

/// Append the type byte and the body of `v`.
pub fn value(v: ValueRef<'_>, o: SaveOpts, out: &mut Vec<u8>) -> Result<()> {
    match v {
        ValueRef::Inline(s) => {
            out.push(t::STRING);
            put_string(out, s, o.compress);
        }
        ValueRef::Obj(Object::Str(s)) => {
            out.push(t::STRING);
            put_string(out, s, o.compress);
        }
        ValueRef::Obj(Object::List(l)) => list(l, o, out),
        ValueRef::Obj(Object::Hash(h)) => hash(h, o, out),
        ValueRef::Obj(Object::Set(s)) => set(s, o, out),
        ValueRef::Obj(Object::ZSet(z)) => zset(z, o, out),
        ValueRef::Obj(Object::Stream(s)) => crate::stream::encode(s, o, out),
    }
    Ok(())
}

/// LIST_QUICKLIST_2: the node count, then per node its container and
/// either a listpack blob (packed) or the single large element (plain).
fn list(l: &List, o: SaveOpts, out: &mut Vec<u8>) {
    out.push(t::LIST_QUICKLIST_2);
    let shapes = l.node_shapes();
    let shapes: Vec<_> = shapes.into_iter().filter(|(n, _)| *n > 0).collect();
    put_len(out, shapes.len() as u64);
    let mut it = l.iter();
    for (n, plain) in shapes {
        if plain {
            put_len(out, t::QL_PLAIN);
            for e in it.by_ref().take(n) {
                put_string(out, e, o.compress);
            }
        } else {
            put_len(out, t::QL_PACKED);
            let mut lp = Lp::new();
            for e in it.by_ref().take(n) {
                lp.push(e);
            }
            put_string(out, &lp.finish(), o.compress);
        }
    }
}

fn hash(h: &Hash, o: SaveOpts, out: &mut Vec<u8>) {
    let min_ttl = h.next_expire();
    match (h.is_compact(), h.encoding_name() == "listpackex") {
        (true, false) => {
            out.push(t::HASH_LISTPACK);
            let mut lp = Lp::new();
            for (f, v) in h.iter() {
                lp.push(f);
                lp.push(v);
            }
            put_string(out, &lp.finish(), o.compress);
        }
        (true, true) => {
            out.push(t::HASH_LISTPACK_EX);
            put_ms(out, min_ttl.unwrap_or(0));
            let mut lp = Lp::new();
            for (f, v, ttl) in h.iter_ttl() {
                lp.push(f);
                lp.push(v);
                lp.push_int(ttl.unwrap_or(0));
            }
            put_string(out, &lp.finish(), o.compress);
        }
        (false, _) => match min_ttl {
            None => {
                out.push(t::HASH);
                put_len(out, h.len() as u64);
                for (f, v) in h.iter() {
                    put_string(out, f, o.compress);
                    put_string(out, v, o.compress);
                }
            }
            Some(min) => {
                out.push(t::HASH_METADATA);
                put_ms(out, min);
                put_len(out, h.len() as u64);
                for (f, v, ttl) in h.iter_ttl() {
                    put_len(out, ttl.map_or(0, |x| (x - min) as u64 + 1));
                    put_string(out, f, o.compress);
                    put_string(out, v, o.compress);
                }
            }
        },
    }
}

fn set(s: &Set, o: SaveOpts, out: &mut Vec<u8>) {
    match s {
        Set::Ints(is) => {
            out.push(t::SET_INTSET);
            put_string(out, &intset::write(is), o.compress);
        }
        Set::Pack(_) => {
            out.push(t::SET_LISTPACK);
            let mut lp = Lp::new();
            for m in s.iter() {
                match m {
                    Member::Int(v) => lp.push_int(v),
                    Member::Str(b) => lp.push(b),
                }
            }
            put_string(out, &lp.finish(), o.compress);
        }
        Set::Table(_) => {
            out.push(t::SET);
            put_len(out, s.len() as u64);
            let mut buf = [0u8; 20];
            for m in s.iter() {
                put_string(out, m.bytes(&mut buf), o.compress);
            }
        }
    }
}

fn zset(z: &ZSet, o: SaveOpts, out: &mut Vec<u8>) {
    if z.is_listpack() {
        out.push(t::ZSET_LISTPACK);
        let mut lp = Lp::new();
        let mut sbuf = Vec::with_capacity(32);
        for (m, sc) in z.iter() {
            lp.push(m);
            sbuf.clear();
            moon_resp::format_double(sc, &mut sbuf);
            lp.push(&sbuf);
        }
        put_string(out, &lp.finish(), o.compress);
    } else {
        // Greatest first, as Redis writes it: loading then inserts each
        // element at the head of the skiplist.
        out.push(t::ZSET_2);
        put_len(out, z.len() as u64);
        for (m, sc) in z.iter_from(0, true) {
            put_string(out, m, o.compress);
            put_f64(out, sc);
        }
    }
}
