//! One value from RDB form, for every type and encoding Redis 2.x-8.2
//! writes except module values. The value is rebuilt through
//! the store's own constructors with the configured thresholds, so OBJECT
//! ENCODING afterwards is what Redis reports for the same loaded data.

use crate::listpack::{self, Elem};
use crate::reader::Reader;
use crate::{err, intset, types as t, ziplist, Result};
use moon_store::hash::{ExpireCond, Hash};
use moon_store::list::{List, Side};
use moon_store::set::{Set, SetLimits};
use moon_store::zset::ZSet;
use moon_store::Object;

/// The encoding thresholds in force (from the configuration).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// list-max-listpack-size.
    pub list_fill: i64,
    pub hash: moon_store::hash::Limits,
    pub set: SetLimits,
    pub zset: moon_store::zset::Limits,
}

impl Default for Limits {
    /// Redis' defaults.
    fn default() -> Self {
        Limits {
            list_fill: -2,
            hash: moon_store::hash::Limits { max_entries: 128, max_value: 64 },
            set: SetLimits::DEFAULT,
            zset: moon_store::zset::Limits { max_entries: 128, max_value: 64 },
        }
    }
}

/// A loaded value: strings are handed back as bytes so the caller stores
/// them inline with SET's encoding rules.
pub enum Value {
    Str(Vec<u8>),
    Obj(Object),
}

/// Largest field TTL Redis accepts (EB_EXPIRE_TIME_MAX, 2^48 - 1 ms).
const MAX_FIELD_TTL: i64 = (1 << 48) - 1;

/// Read the body of a value of type `ty`. `now` (unix ms) drops hash
/// fields whose TTL has passed. Ok(None): the value is empty (Redis skips
/// such keys).
pub fn value(r: &mut Reader<'_>, ty: u8, lim: &Limits, now: i64) -> Result<Option<Value>> {
    let obj = match ty {
        t::STRING => return Ok(Some(Value::Str(r.string()?))),
        t::LIST => {
            let n = r.count(1)?;
            let mut elems = Vec::with_capacity(n);
            for _ in 0..n {
                elems.push(r.string()?);
            }
            build_list(elems, false, lim)
        }
        t::LIST_ZIPLIST => {
            let blob = r.string()?;
            let mut elems = vec![];
            ziplist::parse(&blob, |e| {
                elems.push(e.to_vec());
                Ok(())
            })?;
            build_list(elems, false, lim)
        }
        t::LIST_QUICKLIST | t::LIST_QUICKLIST_2 => quicklist(r, ty, lim)?,
        t::SET => {
            let n = r.count(1)?;
            let mut s = if n > lim.set.intset_entries { Set::new_table(n) } else { Set::new_intset() };
            for _ in 0..n {
                let m = r.string()?;
                if !s.add(&m, &lim.set) {
                    return err("duplicate set members detected");
                }
            }
            (!s.is_empty()).then(|| Object::Set(Box::new(s)))
        }
        t::SET_INTSET => {
            let is = intset::parse(&r.string()?)?;
            let n = is.len();
            let mut s = Set::Ints(is);
            if n > lim.set.intset_entries {
                s.convert_to_table(n);
            }
            Some(Object::Set(Box::new(s)))
        }
        t::SET_LISTPACK => {
            let blob = r.string()?;
            let mut s = Set::new_listpack();
            listpack::parse(&blob, |e| if s.add(&e.to_vec(), &lim.set) { Ok(()) } else { err("duplicate set members detected") })?;
            (!s.is_empty()).then(|| Object::Set(Box::new(s)))
        }
        t::ZSET | t::ZSET_2 => {
            let n = r.count(if ty == t::ZSET_2 { 9 } else { 2 })?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                let m = r.string()?;
                let sc = if ty == t::ZSET_2 { r.f64_le()? } else { r.ascii_double()? };
                items.push((m, sc));
            }
            build_zset(items, lim)?
        }
        t::ZSET_ZIPLIST | t::ZSET_LISTPACK => {
            let blob = r.string()?;
            let elems = flat(&blob, ty == t::ZSET_ZIPLIST)?;
            if elems.len() % 2 != 0 {
                return err("sorted set blob with an odd number of elements");
            }
            let mut items = Vec::with_capacity(elems.len() / 2);
            for p in elems.chunks_exact(2) {
                let sc = match p[1] {
                    Elem::Int(v) => v as f64,
                    Elem::Str(s) => std::str::from_utf8(s)
                        .ok()
                        .and_then(crate::reader::parse_c_double)
                        .ok_or_else(|| crate::Error("invalid sorted set score".into()))?,
                };
                items.push((p[0].to_vec(), sc));
            }
            build_zset(items, lim)?
        }
        t::HASH => {
            let n = r.count(2)?;
            let mut pairs = Vec::with_capacity(n);
            for _ in 0..n {
                let f = r.string()?;
                let v = r.string()?;
                pairs.push((f, v, None));
            }
            build_hash(pairs, false, lim, now)?
        }
        t::HASH_ZIPMAP => {
            let blob = r.string()?;
            let mut pairs = vec![];
            ziplist::parse_zipmap(&blob, |f, v| {
                pairs.push((f.to_vec(), v.to_vec(), None));
                Ok(())
            })?;
            build_hash(pairs, false, lim, now)?
        }
        t::HASH_ZIPLIST | t::HASH_LISTPACK => {
            let blob = r.string()?;
            let elems = flat(&blob, ty == t::HASH_ZIPLIST)?;
            if elems.len() % 2 != 0 {
                return err("hash blob with an odd number of elements");
            }
            let pairs = elems.chunks_exact(2).map(|p| (p[0].to_vec(), p[1].to_vec(), None)).collect();
            build_hash(pairs, false, lim, now)?
        }
        t::HASH_METADATA | t::HASH_METADATA_PRE_GA => {
            let min = if ty == t::HASH_METADATA { r.i64_le()? } else { 0 };
            let n = r.count(3)?;
            let mut pairs = Vec::with_capacity(n);
            for _ in 0..n {
                let rel = r.len()?;
                let ttl = match (rel, ty) {
                    (0, _) => None,
                    (v, t::HASH_METADATA) => Some(min.checked_add(v as i64 - 1).ok_or_else(|| crate::Error("field TTL overflows".into()))?),
                    (v, _) => Some(v as i64),
                };
                let f = r.string()?;
                let v = r.string()?;
                pairs.push((f, v, ttl));
            }
            // Redis keeps a small one compact ("listpackex").
            build_hash(pairs, true, lim, now)?
        }
        t::HASH_LISTPACK_EX | t::HASH_LISTPACK_EX_PRE_GA => {
            if ty == t::HASH_LISTPACK_EX {
                r.i64_le()?;
            }
            let blob = r.string()?;
            let elems = flat(&blob, false)?;
            if elems.len() % 3 != 0 {
                return err("hash listpack with TTLs whose size is not a multiple of 3");
            }
            let mut pairs = Vec::with_capacity(elems.len() / 3);
            for p in elems.chunks_exact(3) {
                let ttl = match p[2].as_int() {
                    Some(0) => None,
                    Some(v) => Some(v),
                    None => return err("invalid hash field TTL"),
                };
                pairs.push((p[0].to_vec(), p[1].to_vec(), ttl));
            }
            build_hash(pairs, true, lim, now)?
        }
        // An empty stream is a value of its own (it keeps its IDs and
        // groups), so unlike empty collections it is kept.
        t::STREAM_LISTPACKS | t::STREAM_LISTPACKS_2 | t::STREAM_LISTPACKS_3 => {
            Some(Object::Stream(Box::new(crate::stream::decode(r, ty)?)))
        }
        t::MODULE_PRE_GA | t::MODULE_2 => return err("module values cannot be loaded (Moon has no modules)"),
        _ => return err(format!("unknown RDB value type {ty}")),
    };
    Ok(obj.map(Value::Obj))
}

/// The elements of a ziplist or listpack blob.
fn flat(blob: &[u8], zl: bool) -> Result<Vec<Elem<'_>>> {
    let mut v = vec![];
    let push = |e| {
        v.push(e);
        Ok(())
    };
    if zl {
        ziplist::parse(blob, push)?;
    } else {
        listpack::parse(blob, push)?;
    }
    Ok(v)
}

fn quicklist(r: &mut Reader<'_>, ty: u8, lim: &Limits) -> Result<Option<Object>> {
    let nodes = r.count(1)?;
    let mut elems = vec![];
    let mut nonempty = 0;
    for _ in 0..nodes {
        let container = if ty == t::LIST_QUICKLIST_2 { r.len()? } else { t::QL_PACKED };
        let blob = r.string()?;
        match container {
            t::QL_PLAIN => {
                elems.push(blob);
                nonempty += 1;
            }
            t::QL_PACKED => {
                let before = elems.len();
                let push = |e: Elem<'_>| {
                    elems.push(e.to_vec());
                    Ok(())
                };
                if ty == t::LIST_QUICKLIST {
                    ziplist::parse(&blob, push)?;
                } else {
                    listpack::parse(&blob, push)?;
                }
                if elems.len() > before {
                    nonempty += 1;
                }
            }
            c => return err(format!("invalid quicklist node container {c}")),
        }
    }
    Ok(build_list(elems, nonempty > 1, lim))
}

/// Redis keeps a loaded list compact when it is one packed node within
/// list-max-listpack-size; otherwise it is a quicklist.
fn build_list(elems: Vec<Vec<u8>>, multi_node: bool, lim: &Limits) -> Option<Object> {
    if elems.is_empty() {
        return None;
    }
    let mut l = List::new();
    // grow_check adds these bytes to an empty listpack's 7.
    let add = if multi_node { usize::MAX / 2 } else { elems.iter().map(|e| listpack::entry_size(e)).sum() };
    l.grow_check(add, elems.len(), lim.list_fill);
    l.reserve_for(Side::Right, elems.iter().map(Vec::len));
    for e in &elems {
        l.push(Side::Right, e);
    }
    Some(Object::List(l))
}

fn build_zset(mut items: Vec<(Vec<u8>, f64)>, lim: &Limits) -> Result<Option<Object>> {
    if items.is_empty() {
        return Ok(None);
    }
    if items.iter().any(|(_, s)| s.is_nan()) {
        return err("sorted set with a NaN score");
    }
    items.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    // -0 and 0 compare equal in a sorted set; total_cmp orders them, fine.
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    if !items.iter().all(|(m, _)| seen.insert(m.as_slice())) {
        return err("duplicate sorted set members detected");
    }
    Ok(Some(Object::ZSet(ZSet::from_sorted(&items, lim.zset))))
}

type Pair = (Vec<u8>, Vec<u8>, Option<i64>);

fn build_hash(pairs: Vec<Pair>, ex: bool, lim: &Limits, now: i64) -> Result<Option<Object>> {
    let mut h = Hash::new();
    h.prepare(pairs.len(), pairs.iter().flat_map(|(f, v, _)| [f.len(), v.len()]), lim.hash);
    if ex {
        h.track_ttls();
    }
    for (f, v, ttl) in &pairs {
        if let Some(t) = ttl {
            if !(1..=MAX_FIELD_TTL).contains(t) {
                return err("invalid hash field TTL");
            }
        }
        if h.contains(f) {
            return err("duplicate hash fields detected");
        }
        if ttl.is_some_and(|t| t <= now) {
            continue;
        }
        h.set(f, v, false, lim.hash);
    }
    // Latest TTL first: each field given a TTL moves in front of the
    // fields whose TTL is equal or later, so the file's order is kept.
    for (f, _, ttl) in pairs.iter().rev() {
        if let Some(t) = *ttl {
            if t > now {
                h.set_expire(f, t, ExpireCond::Always, now);
            }
        }
    }
    Ok((!h.is_empty()).then_some(Object::Hash(h)))
}
