//! List operations on keys, shared by the list commands and meant to be
//! called as they are by the blocking variants (BLPOP, BLMOVE, BLMPOP...)
//! once a key has data: they do the keyspace work and the encoding
//! conversions, count `dirty` as Redis does, and leave the reply to the
//! caller (through the closures they take), so each command keeps its own
//! reply shape.
//!
//! Every function expects the stripes of the keys it is given to be locked
//! (the dispatcher does it for the keys the command's key specs name).

use crate::ctx::KeyAccess;
use crate::error::{CmdError, WRONGTYPE};
use crate::notify::class::{GENERIC, LIST};
use crate::state::Server;
use moon_store::list::{Iter, List, Side};
use moon_store::{Entry, Object, ValueRef};
use std::sync::atomic::Ordering::Relaxed;

/// The current list-max-listpack-size.
#[inline]
pub fn fill(srv: &Server) -> i64 {
    srv.config.hot.list_max_listpack_size.load(Relaxed)
}

/// The list at `key` for modification (lazy expiry, LRU touch, no
/// hit/miss stats, as Redis' lookupKeyWrite): None if absent.
#[inline]
pub fn write_list<'a>(ks: &'a mut KeyAccess, key: &[u8]) -> Result<Option<&'a mut List>, CmdError> {
    let (now, touch) = (ks.now, ks.touch);
    match ks.write(key) {
        None => Ok(None),
        Some(e) => {
            if touch {
                moon_store::stripe::touch(e, now);
            }
            match e.obj_mut() {
                Some(Object::List(l)) => Ok(Some(l)),
                _ => Err(WRONGTYPE),
            }
        }
    }
}

/// The list at `key` for reading (counts a keyspace hit or miss).
#[inline]
pub fn read_list<'a>(ks: &'a mut KeyAccess, key: &[u8]) -> Result<Option<&'a List>, CmdError> {
    match ks.read(key) {
        None => Ok(None),
        Some(e) => match e.value() {
            ValueRef::Obj(Object::List(l)) => Ok(Some(l)),
            _ => Err(WRONGTYPE),
        },
    }
}

/// Whether `key` holds something other than a list.
pub fn is_other_type(ks: &mut KeyAccess, key: &[u8]) -> bool {
    ks.write(key).is_some_and(|e| !matches!(e.value(), ValueRef::Obj(Object::List(_))))
}

/// After elements were removed from the list at `key`: delete the key if
/// it is empty (Redis never keeps empty lists), else let the list return to
/// the compact form if it is small again.
fn settle(ks: &mut KeyAccess, key: &[u8], fill: i64) {
    let Ok(Some(l)) = write_list(ks, key) else { return };
    if l.is_empty() {
        ks.stripe(key).remove(key);
        ks.notify(GENERIC, "del", key);
    } else {
        l.shrink_check(fill);
    }
}

/// Same as [`settle`] for a list already at hand.
#[inline]
fn settle_list(l: &mut List, fill: i64) -> bool {
    if l.is_empty() {
        return true;
    }
    l.shrink_check(fill);
    false
}

/// Store a new list at `key` (no `dirty`: Redis counts the elements).
fn create(ks: &mut KeyAccess, key: &[u8], l: List) {
    let mut e = Entry::new_obj(key, Object::List(l), None);
    moon_store::stripe::touch(&mut e, ks.now);
    ks.stripe(key).insert(e);
    ks.note_new(key);
}

fn push_event(side: Side) -> &'static str {
    match side {
        Side::Left => "lpush",
        Side::Right => "rpush",
    }
}

fn pop_event(side: Side) -> &'static str {
    match side {
        Side::Left => "lpop",
        Side::Right => "rpop",
    }
}

/// After a pop from `key`: its event, and "del" if the list went.
fn popped(ks: &mut KeyAccess, key: &[u8], side: Side, emptied: bool) {
    if emptied {
        ks.stripe(key).remove(key);
    }
    ks.notify(LIST, pop_event(side), key);
    if emptied {
        ks.notify(GENERIC, "del", key);
    }
}

/// LPUSH/RPUSH and the X variants: push `elems` in order at `side`,
/// creating the list unless `must_exist`. Returns the new length, or None
/// when `must_exist` and there is no such key.
pub fn push_elements<'v>(
    ks: &mut KeyAccess,
    key: &[u8],
    side: Side,
    elems: impl Iterator<Item = &'v [u8]> + Clone,
    fill: i64,
    must_exist: bool,
) -> Result<Option<usize>, CmdError> {
    let (bytes, count) = elems.clone().fold((0usize, 0usize), |(b, n), e| (b + e.len(), n + 1));
    let push = |l: &mut List| {
        l.grow_check(bytes, count, fill);
        if count > 1 {
            l.reserve_for(side, elems.clone().map(<[u8]>::len));
        }
        for e in elems {
            l.push(side, e);
        }
        l.len()
    };
    let n = match write_list(ks, key)? {
        Some(l) => push(l),
        None if must_exist => return Ok(None),
        None => {
            let mut l = List::new();
            let n = push(&mut l);
            create(ks, key, l);
            n
        }
    };
    ks.dirty += count as u64;
    ks.notify(LIST, push_event(side), key);
    Ok(Some(n))
}

/// Pop one element from `side` of the list at `key`, handing it to `f`
/// before it is dropped. None if there is no such key.
pub fn pop_one<R>(ks: &mut KeyAccess, key: &[u8], side: Side, fill: i64, f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>, CmdError> {
    let Some(l) = write_list(ks, key)? else { return Ok(None) };
    let Some(r) = l.pop_with(side, f) else { return Ok(None) };
    let emptied = settle_list(l, fill);
    popped(ks, key, side, emptied);
    ks.dirty += 1;
    // Blocking pops are journaled as the plain pop they amount to.
    ks.propagate(&[pop_command(side), key]);
    Ok(Some(r))
}

fn pop_command(side: Side) -> &'static [u8] {
    match side {
        Side::Left => b"LPOP",
        Side::Right => b"RPOP",
    }
}

fn side_name(side: Side) -> &'static [u8] {
    match side {
        Side::Left => b"LEFT",
        Side::Right => b"RIGHT",
    }
}

/// Pop up to `count` (> 0) elements from `side` of the list at `key`: `f`
/// gets them in pop order (an exact-size iterator) before they are
/// removed. None if there is no such key.
pub fn pop_range<R>(
    ks: &mut KeyAccess,
    key: &[u8],
    side: Side,
    count: usize,
    fill: i64,
    f: impl FnOnce(std::iter::Take<Iter<'_>>) -> R,
) -> Result<Option<R>, CmdError> {
    let Some(l) = write_list(ks, key)? else { return Ok(None) };
    let len = l.len();
    let n = count.min(len);
    if n == 0 {
        return Ok(None);
    }
    let r = match side {
        Side::Left => f(l.iter_from(0, false).take(n)),
        Side::Right => f(l.iter_from(len - 1, true).take(n)),
    };
    l.del_range(if side == Side::Left { 0 } else { len - n }, n);
    let emptied = settle_list(l, fill);
    popped(ks, key, side, emptied);
    ks.dirty += n as u64;
    // LMPOP and BLMPOP are journaled as the pop of what they took.
    ks.propagate(&[pop_command(side), key, itoa::Buffer::new().format(n).as_bytes()]);
    Ok(Some(r))
}

/// LMPOP's core: pop up to `count` elements from the first of `keys`
/// holding a list; `f` gets that key and the elements. None if no key
/// holds a list; a key of another type before it is WRONGTYPE.
pub fn pop_first_nonempty<'k, R>(
    ks: &mut KeyAccess,
    keys: impl Iterator<Item = &'k [u8]>,
    side: Side,
    count: usize,
    fill: i64,
    f: impl FnOnce(&'k [u8], std::iter::Take<Iter<'_>>) -> R,
) -> Result<Option<R>, CmdError> {
    for key in keys {
        match write_list(ks, key)? {
            Some(l) if !l.is_empty() => return pop_range(ks, key, side, count, fill, |it| f(key, it)),
            _ => continue,
        }
    }
    Ok(None)
}

/// LMOVE's core: pop from `from` of `src`, push at `to` of `dst` (created
/// if needed), return the element. None if `src` does not exist. Both keys
/// are type-checked before anything changes.
pub fn move_between_keys(ks: &mut KeyAccess, src: &[u8], dst: &[u8], from: Side, to: Side, fill: i64) -> Result<Option<Vec<u8>>, CmdError> {
    let Some(l) = write_list(ks, src)? else { return Ok(None) };
    if src == dst {
        // Redis pops, pushes, then checks the source: the list is never
        // empty in between as far as the keyspace is concerned.
        let Some(v) = l.pop(from) else { return Ok(None) };
        l.grow_check(v.len(), 1, fill);
        l.push(to, &v);
        l.shrink_check(fill);
        ks.dirty += 1;
        ks.notify(LIST, push_event(to), dst);
        ks.notify(LIST, pop_event(from), src);
        ks.propagate(&[b"LMOVE", src, dst, side_name(from), side_name(to)]);
        return Ok(Some(v));
    }
    if is_other_type(ks, dst) {
        return Err(WRONGTYPE);
    }
    let Some(v) = write_list(ks, src)?.and_then(|l| l.pop(from)) else { return Ok(None) };
    // Redis counts the move once, not the push as well.
    let dirty = ks.dirty;
    push_elements(ks, dst, to, std::iter::once(&v[..]), fill, false)?;
    ks.notify(LIST, pop_event(from), src);
    settle(ks, src, fill);
    ks.dirty = dirty + 1;
    ks.propagate(&[b"LMOVE", src, dst, side_name(from), side_name(to)]);
    Ok(Some(v))
}
