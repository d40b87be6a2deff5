//! SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE.
//!
//! The keys are read one at a time (each lookup borrows the keyspace), so
//! an intersection copies the smallest set's members once and filters
//! that list set by set; a union or difference accumulates into a set of
//! its own. The accumulator starts the way Redis' does, so the stored
//! result gets the same encoding and, where Redis' order is defined (an
//! intset, a listpack), the same order:
//!
//! - SINTERSTORE: an intset if the smallest input is one, else a listpack;
//!   then an all-integer result small enough becomes an intset.
//! - SUNIONSTORE / SDIFFSTORE: an intset, growing by the usual rules.
//! - SUNION / SDIFF replies: an intset when every input is one (so the
//!   reply is sorted), else a hash table (Redis' order is unspecified).

use super::{limits, reply_member, set_of};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::notify::class::{GENERIC, SET};
use crate::util::{eq_ic, parse_i64};
use moon_resp::Argv;
use moon_store::set::{parse_int, Set};
use moon_store::{Entry, Object};

/// What the lookup pass learned about one input key.
#[derive(Clone, Copy)]
struct Input {
    len: usize,
    intset: bool,
}

/// Look every key up once, in order (counting hits and misses, expiring
/// lazily): None for a missing key; WRONGTYPE stops at the first non-set.
fn gather(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<Vec<Option<Input>>, CmdError> {
    let mut v = Vec::with_capacity(keys.len());
    for k in keys {
        v.push(match ctx.ks.read(k) {
            None => None,
            Some(e) => {
                let s = set_of(e)?;
                Some(Input { len: s.len(), intset: matches!(s, Set::Ints(_)) })
            }
        });
    }
    Ok(v)
}

/// The set at `key`, known to exist from `gather` (no stats, no expiry:
/// the command's clock is fixed, so it cannot have expired since).
fn peek<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Option<&'a Set> {
    ctx.ks.stripe(key).peek(key).and_then(|e| set_of(e).ok())
}

/// Members copied out of a set into one buffer, filterable in place.
struct MemberList {
    data: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl MemberList {
    fn empty() -> MemberList {
        MemberList { data: Vec::new(), spans: Vec::new() }
    }

    fn of(s: &Set) -> MemberList {
        let mut l = MemberList { data: Vec::new(), spans: Vec::with_capacity(s.len()) };
        let mut buf = [0; 20];
        for m in s.iter() {
            let b = m.bytes(&mut buf);
            l.spans.push((l.data.len(), b.len()));
            l.data.extend_from_slice(b);
        }
        l
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.spans.iter().map(|&(a, n)| &self.data[a..a + n])
    }

    fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        let data = &self.data;
        self.spans.retain(|&(a, n)| keep(&data[a..a + n]));
    }

    fn len(&self) -> usize {
        self.spans.len()
    }
}

/// Store a non-empty result at `dst` (replacing any value and its TTL) or
/// delete `dst` for an empty one; reply with the size. Dirty: one change
/// either way, none when an empty result meets a missing key.
fn store(ctx: &mut Ctx, dst: &[u8], mut set: Set, event: &'static str) {
    let dirty = ctx.ks.dirty;
    let n = set.len();
    if n > 0 {
        set.shrink_to_fit();
        ctx.ks.insert(Entry::new_obj(dst, Object::Set(Box::new(set)), None));
        ctx.ks.dirty = dirty + 1;
        ctx.notify(SET, event, dst);
    } else {
        let removed = ctx.ks.remove(dst).is_some();
        if removed {
            ctx.notify(GENERIC, "del", dst);
        }
        ctx.ks.dirty = dirty + removed as u64;
    }
    ctx.out.int(n as i64);
}

fn reply_set(ctx: &mut Ctx, set: &Set) {
    ctx.out.set(set.len());
    for m in set.iter() {
        reply_member(ctx.out, m);
    }
}

enum InterOut<'a> {
    Reply,
    Card(usize),
    Store(&'a [u8]),
}

fn sinter_generic(ctx: &mut Ctx, keys: &[&[u8]], mode: InterOut) -> CmdResult {
    let inputs = gather(ctx, keys)?;
    if inputs.iter().any(Option::is_none) {
        match mode {
            InterOut::Store(dst) => store(ctx, dst, Set::new_intset(), "sinterstore"),
            InterOut::Card(_) => ctx.out.int(0),
            InterOut::Reply => ctx.out.set(0),
        }
        return Ok(());
    }
    let sizes: Vec<Input> = inputs.into_iter().flatten().collect();
    // Smallest first; a stable sort, so among equal sizes the first key
    // named leads and the reply follows its order, as in Redis.
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| sizes[i].len);
    let first = keys[order[0]];
    let mut cand = peek(ctx, first).map_or_else(MemberList::empty, MemberList::of);
    for &j in &order[1..] {
        if cand.len() == 0 {
            break;
        }
        if keys[j] == first {
            continue;
        }
        if let Some(s) = peek(ctx, keys[j]) {
            cand.retain(|m| s.contains(m));
        }
    }
    match mode {
        InterOut::Card(limit) => {
            let n = cand.len();
            ctx.out.int(if limit > 0 { n.min(limit) } else { n } as i64);
        }
        InterOut::Reply => {
            ctx.out.set(cand.len());
            for m in cand.iter() {
                ctx.out.bulk(m);
            }
        }
        InterOut::Store(dst) => {
            let lim = limits(ctx);
            let mut d = if sizes[order[0]].intset { Set::new_intset() } else { Set::new_listpack() };
            let mut only_ints = true;
            for m in cand.iter() {
                only_ints = only_ints && parse_int(m).is_some();
                d.add(m, &lim);
            }
            if only_ints {
                d.convert_to_intset_if_fits(&lim);
            }
            store(ctx, dst, d, "sinterstore");
        }
    }
    Ok(())
}

pub fn sinter(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let keys: Vec<&[u8]> = argv.iter().skip(1).collect();
    sinter_generic(ctx, &keys, InterOut::Reply)
}

pub fn sinterstore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let keys: Vec<&[u8]> = argv.iter().skip(2).collect();
    sinter_generic(ctx, &keys, InterOut::Store(argv.get(1)))
}

pub fn sintercard(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let numkeys = parse_i64(argv.get(1)).filter(|&n| n >= 1).ok_or_else(|| CmdError::err("numkeys should be greater than 0"))?;
    if numkeys > (argv.len() - 2) as i64 {
        return Err(CmdError::err("Number of keys can't be greater than number of args"));
    }
    let numkeys = numkeys as usize;
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < argv.len() {
        if eq_ic(argv.get(i), "limit") && i + 1 < argv.len() {
            let v = parse_i64(argv.get(i + 1)).filter(|&v| v >= 0).ok_or_else(|| CmdError::err("LIMIT can't be negative"))?;
            limit = usize::try_from(v).unwrap_or(usize::MAX);
            i += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    let keys: Vec<&[u8]> = (2..2 + numkeys).map(|i| argv.get(i)).collect();
    sinter_generic(ctx, &keys, InterOut::Card(limit))
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Diff,
}

fn sunion_diff_generic(ctx: &mut Ctx, keys: &[&[u8]], dst: Option<&[u8]>, op: Op) -> CmdResult {
    let inputs = gather(ctx, keys)?;
    let lim = limits(ctx);
    let all_intsets = inputs.iter().flatten().all(|i| i.intset);
    let mut acc = if dst.is_some() || all_intsets { Set::new_intset() } else { Set::new_table(0) };
    // A later key naming the first (existing) set makes a difference empty.
    let same_set = inputs[0].is_some() && keys[1..].contains(&keys[0]);
    match op {
        Op::Union => {
            for (k, inp) in keys.iter().zip(&inputs) {
                if inp.is_none() {
                    continue;
                }
                if let Some(s) = peek(ctx, k) {
                    let mut buf = [0; 20];
                    for m in s.iter() {
                        acc.add(m.bytes(&mut buf), &lim);
                    }
                }
            }
        }
        Op::Diff if same_set => {}
        Op::Diff => {
            if let Some(first) = inputs[0] {
                // Redis' choice between its two algorithms, which matters
                // beyond speed: the second adds the whole first set to the
                // accumulator before removing, so the result can end up in
                // a bigger encoding.
                let present = inputs.iter().flatten().count() as i64;
                let one = first.len as i64 * present / 2;
                let two: i64 = inputs.iter().flatten().map(|i| i.len as i64).sum();
                if one <= two {
                    let mut cand = peek(ctx, keys[0]).map_or_else(MemberList::empty, MemberList::of);
                    for (k, inp) in keys.iter().zip(&inputs).skip(1) {
                        if inp.is_none() || cand.len() == 0 {
                            continue;
                        }
                        if let Some(s) = peek(ctx, k) {
                            cand.retain(|m| !s.contains(m));
                        }
                    }
                    for m in cand.iter() {
                        acc.add(m, &lim);
                    }
                } else {
                    for (j, (k, inp)) in keys.iter().zip(&inputs).enumerate() {
                        if inp.is_none() {
                            continue;
                        }
                        if let Some(s) = peek(ctx, k) {
                            let mut buf = [0; 20];
                            for m in s.iter() {
                                let b = m.bytes(&mut buf);
                                if j == 0 {
                                    acc.add(b, &lim);
                                } else {
                                    acc.remove(b);
                                }
                            }
                        }
                        if acc.is_empty() {
                            break;
                        }
                    }
                }
            }
        }
    }
    match dst {
        Some(d) => store(ctx, d, acc, if op == Op::Union { "sunionstore" } else { "sdiffstore" }),
        None => reply_set(ctx, &acc),
    }
    Ok(())
}

pub fn sunion(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let keys: Vec<&[u8]> = argv.iter().skip(1).collect();
    sunion_diff_generic(ctx, &keys, None, Op::Union)
}

pub fn sunionstore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let keys: Vec<&[u8]> = argv.iter().skip(2).collect();
    sunion_diff_generic(ctx, &keys, Some(argv.get(1)), Op::Union)
}

pub fn sdiff(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let keys: Vec<&[u8]> = argv.iter().skip(1).collect();
    sunion_diff_generic(ctx, &keys, None, Op::Diff)
}

pub fn sdiffstore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let keys: Vec<&[u8]> = argv.iter().skip(2).collect();
    sunion_diff_generic(ctx, &keys, Some(argv.get(1)), Op::Diff)
}
