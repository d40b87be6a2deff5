//! GEOSEARCH, GEOSEARCHSTORE, GEORADIUS[_RO], GEORADIUSBYMEMBER[_RO]: one
//! implementation (Redis' georadiusGeneric), with the same argument
//! grammar per command, the same order of checks (so the same error wins),
//! the same scan of the 9 covering cells and the same sorting.

use super::basic::{coord_pair, distance_reply, lon_lat, unit};
use super::geohash::{cover, decode_score, score_bounds, Shape, ShapeKind};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::sort::pqsort::pqsort;
use crate::util::{is_opt, parse_i64};
use crate::zset::parse::parse_double;
use crate::zset::{limits, zread};
use moon_resp::Argv;
use moon_store::zset::{ScoreRange, ZSet};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// GEORADIUS: center and radius are positional.
    Coords,
    /// GEORADIUSBYMEMBER: member and radius are positional.
    Member,
    /// GEOSEARCH / GEOSEARCHSTORE: everything is an option.
    Search,
}

struct Flavor {
    kind: Kind,
    /// The _RO variants take no STORE / STOREDIST.
    no_store: bool,
    /// GEOSEARCHSTORE: destination at argv[1], source at argv[2].
    search_store: bool,
}

pub fn georadius(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    lock_radius_keys(ctx, argv, 6);
    generic(ctx, argv, Flavor { kind: Kind::Coords, no_store: false, search_store: false })
}

pub fn georadiusbymember(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    lock_radius_keys(ctx, argv, 5);
    generic(ctx, argv, Flavor { kind: Kind::Member, no_store: false, search_store: false })
}

pub fn georadius_ro(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, Flavor { kind: Kind::Coords, no_store: true, search_store: false })
}

pub fn georadiusbymember_ro(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, Flavor { kind: Kind::Member, no_store: true, search_store: false })
}

pub fn geosearch(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, Flavor { kind: Kind::Search, no_store: true, search_store: false })
}

pub fn geosearchstore(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    generic(ctx, argv, Flavor { kind: Kind::Search, no_store: false, search_store: true })
}

/// Lock the source and every possible destination (any argument after a
/// STORE or STOREDIST keyword: a superset of the one the parse will pick),
/// in ascending stripe order.
fn lock_radius_keys(ctx: &mut Ctx, argv: &Argv, base: usize) {
    let mut keys = vec![argv.get(1)];
    for i in base..argv.len().saturating_sub(1) {
        let a = argv.get(i);
        if is_opt(a, "store") || is_opt(a, "storedist") {
            keys.push(argv.get(i + 1));
        }
    }
    ctx.ks.lock_keys(keys.into_iter());
}

#[derive(Clone, Copy, PartialEq)]
enum Sort {
    None,
    Asc,
    Desc,
}

struct Point {
    lon: f64,
    lat: f64,
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

/// A double option value, or the command's own message for it.
fn num(arg: &[u8], msg: &'static str) -> Result<f64, CmdError> {
    parse_double(arg).ok_or(CmdError::fixed(msg))
}

/// `<radius> <unit>` (Redis' extractDistanceOrReply).
fn radius_args(r: &[u8], u: &[u8]) -> Result<(f64, f64), CmdError> {
    let r = num(r, "ERR need numeric radius")?;
    if r < 0.0 {
        return Err(CmdError::fixed("ERR radius cannot be negative"));
    }
    Ok((r, unit(u)?))
}

/// `<width> <height> <unit>` (Redis' extractBoxOrReply).
fn box_args(w: &[u8], h: &[u8], u: &[u8]) -> Result<(f64, f64, f64), CmdError> {
    let w = num(w, "ERR need numeric width")?;
    let h = num(h, "ERR need numeric height")?;
    if h < 0.0 || w < 0.0 {
        return Err(CmdError::fixed("ERR height or width cannot be negative"));
    }
    Ok((w, h, unit(u)?))
}

const NO_MEMBER: CmdError = CmdError::fixed("ERR could not decode requested zset member");

fn member_pos(z: &ZSet, m: &[u8]) -> Result<(f64, f64), CmdError> {
    z.score(m).map(decode_score).ok_or(NO_MEMBER)
}

fn generic(ctx: &mut Ctx, argv: &Argv, fl: Flavor) -> CmdResult {
    let src = argv.get(if fl.search_store { 2 } else { 1 });
    let mut storekey: Option<&[u8]> = if fl.search_store { Some(argv.get(1)) } else { None };
    let mut storedist = false;

    // The source is looked up (and type checked) before any argument.
    let zobj = zread(&mut ctx.ks, src)?;

    let mut center = (0.0, 0.0);
    let mut kind = ShapeKind::Radius(0.0);
    let mut conversion = 1.0;
    let base = match fl.kind {
        Kind::Coords => {
            center = lon_lat(argv.get(2), argv.get(3))?;
            let (r, c) = radius_args(argv.get(4), argv.get(5))?;
            (kind, conversion) = (ShapeKind::Radius(r), c);
            6
        }
        // No source: the options are still parsed, to pick the reply.
        Kind::Member if zobj.is_none() => 5,
        Kind::Member => {
            center = member_pos(zobj.expect("checked above"), argv.get(2))?;
            let (r, c) = radius_args(argv.get(3), argv.get(4))?;
            (kind, conversion) = (ShapeKind::Radius(r), c);
            5
        }
        Kind::Search if fl.search_store => 3,
        Kind::Search => 2,
    };

    let (mut withdist, mut withhash, mut withcoord) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let search = fl.kind == Kind::Search;
    let remaining = argv.len().saturating_sub(base);
    let mut i = 0;
    while i < remaining {
        let arg = argv.get(base + i);
        let next = |k: usize| argv.get(base + i + k);
        if is_opt(arg, "withdist") {
            withdist = true;
        } else if is_opt(arg, "withhash") {
            withhash = true;
        } else if is_opt(arg, "withcoord") {
            withcoord = true;
        } else if is_opt(arg, "any") {
            any = true;
        } else if is_opt(arg, "asc") {
            sort = Sort::Asc;
        } else if is_opt(arg, "desc") {
            sort = Sort::Desc;
        } else if is_opt(arg, "count") && i + 1 < remaining {
            count = parse_i64(next(1)).ok_or(NOT_INTEGER)?;
            if count <= 0 {
                return Err(CmdError::fixed("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if is_opt(arg, "store") && i + 1 < remaining && !fl.no_store && !search {
            storekey = Some(next(1));
            storedist = false;
            i += 1;
        } else if is_opt(arg, "storedist") && i + 1 < remaining && !fl.no_store && !search {
            storekey = Some(next(1));
            storedist = true;
            i += 1;
        } else if is_opt(arg, "storedist") && search && fl.search_store {
            storedist = true;
        } else if is_opt(arg, "frommember") && i + 1 < remaining && search && !fromloc {
            // A missing source is reported after the whole parse.
            if let Some(z) = zobj {
                center = member_pos(z, next(1))?;
            }
            frommember = true;
            i += 1;
        } else if is_opt(arg, "fromlonlat") && i + 2 < remaining && search && !frommember {
            center = lon_lat(next(1), next(2))?;
            fromloc = true;
            i += 2;
        } else if is_opt(arg, "byradius") && i + 2 < remaining && search && !bybox {
            let (r, c) = radius_args(next(1), next(2))?;
            (kind, conversion) = (ShapeKind::Radius(r), c);
            byradius = true;
            i += 2;
        } else if is_opt(arg, "bybox") && i + 3 < remaining && search && !byradius {
            let (w, h, c) = box_args(next(1), next(2), next(3))?;
            (kind, conversion) = (ShapeKind::Box { width: w, height: h }, c);
            bybox = true;
            i += 3;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }

    if storekey.is_some() && (withdist || withhash || withcoord) {
        let what = if fl.search_store { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(CmdError::err(format!("{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")));
    }
    let name = String::from_utf8_lossy(argv.get(0));
    let name = name.split('\0').next().unwrap_or_default();
    if search && !(frommember || fromloc) {
        return Err(CmdError::err(format!("exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")));
    }
    if search && !(byradius || bybox) {
        return Err(CmdError::err(format!("exactly one of BYRADIUS and BYBOX can be specified for {name}")));
    }
    if any && count == 0 {
        return Err(CmdError::fixed("ERR the ANY argument requires COUNT argument"));
    }

    let Some(z) = zobj else {
        match storekey {
            Some(dst) => {
                crate::zset::store_result(&mut ctx.ks, dst, None, "");
                ctx.out.int(0);
            }
            None => ctx.out.array(0),
        }
        return Ok(());
    };

    // COUNT without an order means "the nearest N".
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let shape = Shape { lon: center.0, lat: center.1, conversion, kind };
    let limit = if any { count as usize } else { 0 };
    let mut points = collect(z, &shape, limit);

    if points.is_empty() && storekey.is_none() {
        ctx.out.array(0);
        return Ok(());
    }
    let total = points.len();
    let returned = if count == 0 || (total as i64) < count { total } else { count as usize };
    if sort != Sort::None {
        let desc = sort == Sort::Desc;
        let cmp = |a: &Point, b: &Point| {
            let o = a.dist.partial_cmp(&b.dist).unwrap_or(std::cmp::Ordering::Equal);
            if desc {
                o.reverse()
            } else {
                o
            }
        };
        if returned == total {
            // libc's qsort is a stable merge sort.
            points.sort_by(cmp);
        } else {
            pqsort(&mut points, &mut |a, b| cmp(a, b), 0, returned as i64 - 1);
        }
    }
    points.truncate(returned);
    for p in points.iter_mut() {
        p.dist /= conversion;
    }

    let Some(dst) = storekey else {
        reply(ctx, &points, withdist, withhash, withcoord);
        return Ok(());
    };
    if points.is_empty() {
        crate::zset::store_result(&mut ctx.ks, dst, None, "");
        ctx.out.int(0);
        return Ok(());
    }
    let mut items: Vec<(Vec<u8>, f64)> = points.into_iter().map(|p| (p.member, if storedist { p.dist } else { p.score })).collect();
    items.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
    let n = items.len();
    let zs = ZSet::from_sorted(&items, limits(ctx));
    crate::zset::store_result(&mut ctx.ks, dst, Some(zs), if fl.search_store { "geosearchstore" } else { "georadiusstore" });
    ctx.ks.dirty += n as u64;
    ctx.out.int(n as i64);
    Ok(())
}

/// Points of the covering cells inside the shape, cell by cell in score
/// order; with `limit` (ANY), stop once that many were found.
fn collect(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let cells = cover(shape);
    let mut out = Vec::new();
    let mut last: Option<usize> = None;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // Huge radii make neighbors coincide: skip a repeat of the cell
        // scanned just before.
        // (Redis keeps the index of that cell and tests it for non-zero, so
        // a repeat of the center cell is scanned again.)
        if let Some(l) = last.filter(|&l| l != 0) {
            if cells[l] == *cell {
                continue;
            }
        }
        if limit != 0 && out.len() >= limit {
            break;
        }
        let (min, max) = score_bounds(*cell);
        let range = ScoreRange { min, max, minex: false, maxex: true };
        if let Some(start) = z.score_start(&range, false) {
            for (m, score) in z.iter_from(start, false) {
                if !range.lte_max(score) {
                    break;
                }
                let (lon, lat) = decode_score(score);
                if let Some(dist) = shape.contains(lon, lat) {
                    out.push(Point { lon, lat, dist, score, member: m.to_vec() });
                }
                if limit != 0 && out.len() >= limit {
                    break;
                }
            }
        }
        last = Some(i);
    }
    out
}

fn reply(ctx: &mut Ctx, points: &[Point], withdist: bool, withhash: bool, withcoord: bool) {
    let extra = withdist as usize + withhash as usize + withcoord as usize;
    let out = &mut *ctx.out;
    out.array(points.len());
    for p in points {
        if extra > 0 {
            out.array(extra + 1);
        }
        out.bulk(&p.member);
        if withdist {
            distance_reply(out, p.dist);
        }
        if withhash {
            out.int(p.score as i64);
        }
        if withcoord {
            coord_pair(out, p.lon, p.lat);
        }
    }
}
