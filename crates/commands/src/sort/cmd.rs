//! SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
//! [ALPHA] [STORE destination], and SORT_RO (no STORE): Redis'
//! sortCommandGeneric, step by step, so ties, LIMIT corner cases and the
//! "no sort" paths give the same replies.

use super::pqsort::pqsort;
use crate::ctx::{str_of, Ctx, KeyAccess};
use crate::error::{CmdError, CmdResult, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::util::{is_opt, parse_i64};
use moon_resp::Argv;
use moon_store::list::{List, Side};
use moon_store::zset::Limits;
use moon_store::{Entry, Object, ValueRef};
use std::cmp::Ordering;

pub fn sort(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, false)
}

pub fn sort_ro(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, true)
}

/// A C string's view of an argument: Redis looks for `*` and `->` with
/// strchr/strstr, which stop at a NUL byte.
fn cstr(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

struct Opts<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    dontsort: bool,
    gets: Vec<&'a [u8]>,
}

/// `full_access`: the user may read any key (BY patterns and GET read keys
/// no key spec names, so a user limited to some keys may not use them).
fn parse<'a>(argv: &'a Argv, readonly: bool, full_access: bool) -> Result<Opts<'a>, CmdError> {
    let mut o =
        Opts { desc: false, alpha: false, limit_start: 0, limit_count: -1, store: None, by: None, dontsort: false, gets: Vec::new() };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv.get(j);
        if is_opt(a, "asc") {
            o.desc = false;
        } else if is_opt(a, "desc") {
            o.desc = true;
        } else if is_opt(a, "alpha") {
            o.alpha = true;
        } else if is_opt(a, "limit") && left >= 2 {
            o.limit_start = parse_i64(argv.get(j + 1)).ok_or(NOT_INTEGER)?;
            o.limit_count = parse_i64(argv.get(j + 2)).ok_or(NOT_INTEGER)?;
            j += 2;
        } else if !readonly && is_opt(a, "store") && left >= 1 {
            o.store = Some(argv.get(j + 1));
            j += 1;
        } else if is_opt(a, "by") && left >= 1 {
            let p = argv.get(j + 1);
            o.by = Some(p);
            // A constant pattern: nothing to sort by (never reset by a
            // later BY, as in Redis).
            if !cstr(p).contains(&b'*') {
                o.dontsort = true;
            } else if !full_access {
                return Err(CmdError::err("BY option of SORT denied due to insufficient ACL permissions."));
            }
            j += 1;
        } else if is_opt(a, "get") && left >= 1 {
            if !full_access {
                return Err(CmdError::err("GET option of SORT denied due to insufficient ACL permissions."));
            }
            o.gets.push(argv.get(j + 1));
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    Ok(o)
}

/// The value a BY or GET pattern names for element `subst` (Redis'
/// lookupKeyByPattern): `#` is the element itself; otherwise the first `*`
/// is replaced by it, and `key->field` reads a hash field. Only strings
/// (or hash fields) count; anything else is "missing".
fn lookup(ks: &mut KeyAccess, pattern: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    let cp = cstr(pattern);
    if cp == b"#" {
        return Some(subst.to_vec());
    }
    let star = cp.iter().position(|&c| c == b'*')?;
    let after = &cp[star + 1..];
    // `->` after the star, with something after it, makes a hash lookup;
    // the field runs to the end of the whole argument.
    let field_len = match after.windows(2).position(|w| w == b"->") {
        Some(f) if star + 1 + f + 2 < cp.len() => pattern.len() - (star + 1 + f) - 2,
        _ => 0,
    };
    let post_end = pattern.len() - if field_len > 0 { field_len + 2 } else { 0 };
    let mut key = Vec::with_capacity(star + subst.len() + post_end - star - 1);
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(&pattern[star + 1..post_end]);
    let e = ks.read(&key)?;
    if field_len > 0 {
        let field = &pattern[pattern.len() - field_len..];
        match e.value() {
            ValueRef::Obj(Object::Hash(h)) => h.get(field).map(<[u8]>::to_vec),
            _ => None,
        }
    } else {
        str_of(e).ok().map(<[u8]>::to_vec)
    }
}

/// A numeric weight as SORT reads it (fast_float's strtod over the C
/// string): the whole text must be a decimal number (optional sign, no
/// spaces, no hex; inf/infinity accepted, NaN not); an empty one is 0.
fn weight(v: &[u8]) -> Option<f64> {
    let t = cstr(v);
    if t.is_empty() {
        return Some(0.0);
    }
    let s = std::str::from_utf8(t).ok()?;
    let d: f64 = s.parse().ok()?;
    (!d.is_nan()).then_some(d)
}

struct Item {
    obj: Vec<u8>,
    score: f64,
    /// The BY value for ALPHA sorts (None: the pattern found nothing).
    cmpobj: Option<Vec<u8>>,
}

/// strcmp: C strings compared up to their first NUL (what strcoll does
/// in the C and C.UTF-8 locales).
fn c_cmp(a: &[u8], b: &[u8]) -> Ordering {
    cstr(a).cmp(cstr(b))
}

fn compare(a: &Item, b: &Item, alpha: bool, bypattern: bool, store: bool) -> Ordering {
    if !alpha {
        match a.score.partial_cmp(&b.score) {
            Some(Ordering::Equal) | None => a.obj.cmp(&b.obj),
            Some(o) => o,
        }
    } else if bypattern {
        match (&a.cmpobj, &b.cmpobj) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) if store => x.cmp(y),
            (Some(x), Some(y)) => c_cmp(x, y),
        }
    } else if store {
        a.obj.cmp(&b.obj)
    } else {
        c_cmp(&a.obj, &b.obj)
    }
}

fn generic(ctx: &mut Ctx, argv: &Argv, readonly: bool) -> CmdResult {
    let full_access = crate::acl::full_read_access(ctx.srv, ctx.conn, ctx.cmd, argv);
    let mut o = parse(argv, readonly, full_access)?;
    let key = argv.get(1);
    let fill = crate::list::ops::fill(ctx.srv);

    // Copy out the elements to sort (pattern lookups need the keyspace).
    let mut items: Vec<Item> = Vec::new();
    let mut kind = Kind::List;
    let (start, end);
    {
        let entry = ctx.ks.read(key);
        if let Some(e) = &entry {
            kind = match e.value() {
                ValueRef::Obj(Object::List(_)) => Kind::List,
                ValueRef::Obj(Object::Set(_)) => Kind::Set,
                ValueRef::Obj(Object::ZSet(_)) => Kind::ZSet,
                _ => return Err(WRONGTYPE),
            };
        }
        // A set has no order of its own: when it is stored, sort it so the
        // result does not depend on its layout.
        if o.dontsort && kind == Kind::Set && o.store.is_some() {
            o.dontsort = false;
            o.alpha = true;
            o.by = None;
        }
        let mut vectorlen: i64 = entry.as_ref().map_or(0, |e| len_of(e)) as i64;
        let mut s = o.limit_start.max(0).min(vectorlen);
        let count = o.limit_count.max(-1).min(vectorlen);
        let mut e_ = if count < 0 { vectorlen - 1 } else { s + count - 1 };
        if s >= vectorlen {
            s = vectorlen - 1;
            e_ = vectorlen - 2;
        }
        if e_ >= vectorlen {
            e_ = vectorlen - 1;
        }
        // Lists and sorted sets in their own order: only the LIMIT window
        // is loaded.
        if matches!(kind, Kind::List | Kind::ZSet) && o.dontsort && (s != 0 || e_ != vectorlen - 1) {
            vectorlen = e_ - s + 1;
        }
        if let Some(e) = entry {
            match e.obj_mut() {
                Some(Object::List(l)) if o.dontsort => {
                    if e_ >= s {
                        let len = l.len() as i64;
                        let from = if o.desc { len - s - 1 } else { s };
                        let it = l.iter_from(from.max(0) as usize, o.desc);
                        items.extend(it.take(vectorlen.max(0) as usize).map(|v| item(v.to_vec())));
                        e_ -= s;
                        s = 0;
                    }
                }
                Some(Object::List(l)) => items.extend(l.iter().map(|v| item(v.to_vec()))),
                Some(Object::Set(set)) => items.extend(set.iter().map(|m| item(m.to_vec()))),
                Some(Object::ZSet(z)) => {
                    // Redis turns a compact sorted set into a skiplist here,
                    // for good (even SORT_RO).
                    z.maybe_convert(z.len().max(1), Limits { max_entries: 0, max_value: 0 });
                    if o.dontsort {
                        let n = vectorlen.max(0) as usize;
                        items.extend(z.iter_from(s.max(0) as usize, o.desc).take(n).map(|(m, _)| item(m.to_vec())));
                        e_ -= s;
                        s = 0;
                    } else {
                        items.extend(z.iter().map(|(m, _)| item(m.to_vec())));
                    }
                }
                _ => {}
            }
        }
        (start, end) = (s, e_);
    }

    let mut bad_weight = false;
    if !o.dontsort {
        for it in items.iter_mut() {
            let byval = match o.by {
                Some(p) => match lookup(&mut ctx.ks, p, &it.obj) {
                    Some(v) => v,
                    None => continue,
                },
                None => it.obj.clone(),
            };
            if o.alpha {
                if o.by.is_some() {
                    it.cmpobj = Some(byval);
                }
            } else {
                match weight(&byval) {
                    Some(w) => it.score = w,
                    None => bad_weight = true,
                }
            }
        }
        let (alpha, bypattern, store) = (o.alpha, o.by.is_some(), o.store.is_some());
        let desc = o.desc;
        let mut cmp = |a: &Item, b: &Item| {
            let c = compare(a, b, alpha, bypattern, store);
            if desc {
                c.reverse()
            } else {
                c
            }
        };
        if bypattern && (start != 0 || end != items.len() as i64 - 1) {
            pqsort(&mut items, &mut cmp, start, end);
        } else {
            // libc's qsort is a stable merge sort.
            items.sort_by(cmp);
        }
    }

    if bad_weight {
        return Err(CmdError::fixed("ERR One or more scores can't be converted into double"));
    }
    let rows = if end >= start { (end - start + 1) as usize } else { 0 };
    let outputlen = if o.gets.is_empty() { rows } else { o.gets.len() * rows };
    let window = if rows > 0 { &items[start as usize..=end as usize] } else { &items[..0] };

    let Some(dst) = o.store else {
        ctx.out.array(outputlen);
        for it in window {
            if o.gets.is_empty() {
                ctx.out.bulk(&it.obj);
            }
            for g in &o.gets {
                match lookup(&mut ctx.ks, g, &it.obj) {
                    Some(v) => ctx.out.bulk(&v),
                    None => ctx.out.null(),
                }
            }
        }
        return Ok(());
    };

    let mut list = List::new_quicklist(fill);
    for it in window {
        if o.gets.is_empty() {
            list.push(Side::Right, &it.obj);
        }
        for g in &o.gets {
            let v = lookup(&mut ctx.ks, g, &it.obj).unwrap_or_default();
            list.push(Side::Right, &v);
        }
    }
    if outputlen > 0 {
        list.settle_check(fill);
        ctx.ks.insert(Entry::new_obj(dst, Object::List(list), None));
        // Redis counts the stored elements, not the key.
        ctx.ks.dirty += outputlen as u64 - 1;
        ctx.notify(crate::notify::class::LIST, "sortstore", dst);
    } else if ctx.ks.remove(dst).is_some() {
        ctx.notify(crate::notify::class::GENERIC, "del", dst);
    }
    ctx.out.int(outputlen as i64);
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    List,
    Set,
    ZSet,
}

fn item(obj: Vec<u8>) -> Item {
    Item { obj, score: 0.0, cmpobj: None }
}

fn len_of(e: &Entry) -> usize {
    match e.value() {
        ValueRef::Obj(Object::List(l)) => l.len(),
        ValueRef::Obj(Object::Set(s)) => s.len(),
        ValueRef::Obj(Object::ZSet(z)) => z.len(),
        _ => 0,
    }
}
