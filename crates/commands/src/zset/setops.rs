//! ZUNION ZINTER ZDIFF, their STORE forms, and ZINTERCARD (Redis'
//! zunionInterDiffGenericCommand): weights, SUM/MIN/MAX aggregation with
//! Redis' NaN conventions, inputs in ascending size order for union and
//! intersection (the order scores are aggregated in). Plain sets are
//! accepted as inputs, every member scoring 1.

use super::limits;
use super::parse::{is_opt, parse_double, positive_long, BAD_WEIGHT};
use crate::ctx::{Ctx, KeyAccess};
use crate::error::{CmdError, CmdResult, SYNTAX, WRONGTYPE};
use crate::util::int_arg;
use moon_resp::Argv;
use moon_store::set::Set;
use moon_store::zset::ZSet;
use moon_store::{Object, ValueRef};

type Map = hashbrown::HashMap<Vec<u8>, f64, foldhash::fast::RandomState>;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis' zunionInterAggregate: inf + -inf sums to 0, and a NaN value
    /// never wins a MIN/MAX comparison.
    #[inline]
    fn apply(self, target: &mut f64, v: f64) {
        match self {
            Aggregate::Sum => {
                *target += v;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if v < *target {
                    *target = v;
                }
            }
            Aggregate::Max => {
                if v > *target {
                    *target = v;
                }
            }
        }
    }
}

struct Src<'a> {
    key: &'a [u8],
    len: usize,
    weight: f64,
}

pub fn zunion(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, None, 1, Op::Union, false)
}

pub fn zinter(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, None, 1, Op::Inter, false)
}

pub fn zdiff(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, None, 1, Op::Diff, false)
}

pub fn zintercard(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, None, 1, Op::Inter, true)
}

pub fn zunionstore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, Some(argv.get(1)), 2, Op::Union, false)
}

pub fn zinterstore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, Some(argv.get(1)), 2, Op::Inter, false)
}

pub fn zdiffstore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, Some(argv.get(1)), 2, Op::Diff, false)
}

/// An input's cardinality: 0 when absent, WRONGTYPE unless a sorted set
/// or a set.
fn source_len(ks: &mut KeyAccess, key: &[u8]) -> Result<usize, CmdError> {
    match ks.read(key) {
        None => Ok(0),
        Some(e) => match e.value() {
            ValueRef::Obj(Object::ZSet(z)) => Ok(z.len()),
            ValueRef::Obj(Object::Set(s)) => Ok(s.len()),
            _ => Err(WRONGTYPE),
        },
    }
}

/// An input already checked by `source_len`.
enum Source<'a> {
    Z(&'a ZSet),
    S(&'a Set),
}

impl Source<'_> {
    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Source::Z(z) => z.score(m),
            Source::S(s) => s.contains(m).then_some(1.0),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Source::Z(z) => z.iter().for_each(|(m, s)| f(m, s)),
            Source::S(s) => {
                let mut buf = [0u8; 20];
                for m in s.iter() {
                    f(m.bytes(&mut buf), 1.0);
                }
            }
        }
    }
}

fn source<'a>(ks: &'a mut KeyAccess, key: &[u8]) -> Option<Source<'a>> {
    match ks.write(key)?.value() {
        ValueRef::Obj(Object::ZSet(z)) => Some(Source::Z(z)),
        ValueRef::Obj(Object::Set(s)) => Some(Source::S(s)),
        _ => None,
    }
}

fn generic(ctx: &mut Ctx, argv: &Argv, dst: Option<&[u8]>, numkeys_idx: usize, op: Op, card_only: bool) -> CmdResult {
    let setnum = int_arg(argv.get(numkeys_idx))?;
    if setnum < 1 {
        return Err(CmdError::err(format!("at least 1 input key is needed for '{}' command", ctx.name())));
    }
    let first_key = numkeys_idx + 1;
    if setnum as u64 > (argv.len() - first_key) as u64 {
        return Err(SYNTAX);
    }
    let setnum = setnum as usize;
    // Inputs are looked up (and type checked) before the options parse.
    let mut srcs = Vec::with_capacity(setnum);
    for i in 0..setnum {
        let key = argv.get(first_key + i);
        let len = source_len(&mut ctx.ks, key)?;
        srcs.push(Src { key, len, weight: 1.0 });
    }
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = first_key + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = argv.get(j);
        if op != Op::Diff && !card_only && remaining > setnum && is_opt(a, "weights") {
            for (k, s) in srcs.iter_mut().enumerate() {
                s.weight = parse_double(argv.get(j + 1 + k)).ok_or(BAD_WEIGHT)?;
            }
            j += 1 + setnum;
        } else if op != Op::Diff && !card_only && remaining >= 2 && is_opt(a, "aggregate") {
            let v = argv.get(j + 1);
            agg = if is_opt(v, "sum") {
                Aggregate::Sum
            } else if is_opt(v, "min") {
                Aggregate::Min
            } else if is_opt(v, "max") {
                Aggregate::Max
            } else {
                return Err(SYNTAX);
            };
            j += 2;
        } else if dst.is_none() && !card_only && is_opt(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is_opt(a, "limit") {
            limit = positive_long(argv.get(j + 1), Some("ERR LIMIT can't be negative"))? as usize;
            j += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    if op != Op::Diff {
        // Smallest first (a stable sort: equal sizes keep argument order).
        srcs.sort_by_key(|s| s.len);
    }
    let mut items = match op {
        Op::Union => union(&mut ctx.ks, &srcs, agg),
        Op::Inter => inter(&mut ctx.ks, &srcs, agg),
        Op::Diff => diff(&mut ctx.ks, &srcs),
    };
    if card_only {
        let n = if limit > 0 { items.len().min(limit) } else { items.len() };
        ctx.out.int(n as i64);
        return Ok(());
    }
    items.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
    if let Some(dst) = dst {
        let event = match op {
            Op::Union => "zunionstore",
            Op::Inter => "zinterstore",
            Op::Diff => "zdiffstore",
        };
        if items.is_empty() {
            super::store_result(&mut ctx.ks, dst, None, event);
            ctx.out.int(0);
        } else {
            let lim = limits(ctx);
            super::store_result(&mut ctx.ks, dst, Some(ZSet::from_sorted(&items, lim)), event);
            ctx.ks.dirty += 1;
            ctx.out.int(items.len() as i64);
        }
        return Ok(());
    }
    let out = &mut *ctx.out;
    let resp3 = out.resp3();
    out.array(if withscores && !resp3 { items.len() * 2 } else { items.len() });
    for (m, s) in &items {
        if withscores && resp3 {
            out.array(2);
        }
        out.bulk(m);
        if withscores {
            out.double(*s);
        }
    }
    Ok(())
}

/// `weight * score`, with NaN (0 * inf) counted as 0.
#[inline]
fn weighted(w: f64, s: f64) -> f64 {
    let v = w * s;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

fn union(ks: &mut KeyAccess, srcs: &[Src], agg: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let mut acc = Map::default();
    if let Some(largest) = srcs.last() {
        acc.reserve(largest.len);
    }
    for s in srcs.iter().filter(|s| s.len > 0) {
        let Some(src) = source(ks, s.key) else { continue };
        src.for_each(|m, sc| {
            let v = weighted(s.weight, sc);
            match acc.get_mut(m) {
                Some(t) => agg.apply(t, v),
                None => {
                    acc.insert(m.to_vec(), v);
                }
            }
        });
    }
    acc.into_iter().collect()
}

fn inter(ks: &mut KeyAccess, srcs: &[Src], agg: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let Some(first) = srcs.first().filter(|s| s.len > 0) else { return Vec::new() };
    let Some(src) = source(ks, first.key) else { return Vec::new() };
    let mut cand: Vec<(Vec<u8>, f64)> = Vec::with_capacity(first.len);
    src.for_each(|m, s| cand.push((m.to_vec(), weighted(first.weight, s))));
    for s in &srcs[1..] {
        let Some(z) = source(ks, s.key) else { return Vec::new() };
        // Only the first input's weighted score is NaN-corrected; the
        // others go to the aggregate as they are (Redis does the same).
        cand.retain_mut(|(m, t)| match z.score(m) {
            Some(v) => {
                agg.apply(t, v * s.weight);
                true
            }
            None => false,
        });
        if cand.is_empty() {
            break;
        }
    }
    cand
}

fn diff(ks: &mut KeyAccess, srcs: &[Src]) -> Vec<(Vec<u8>, f64)> {
    let Some(first) = srcs.first().filter(|s| s.len > 0) else { return Vec::new() };
    let Some(src) = source(ks, first.key) else { return Vec::new() };
    let mut cand: Vec<(Vec<u8>, f64)> = Vec::with_capacity(first.len);
    src.for_each(|m, s| cand.push((m.to_vec(), s)));
    for s in srcs[1..].iter().filter(|s| s.len > 0) {
        let Some(z) = source(ks, s.key) else { continue };
        cand.retain(|(m, _)| z.score(m).is_none());
        if cand.is_empty() {
            break;
        }
    }
    cand
}
