//! GEOADD, GEODIST, GEOHASH, GEOPOS.

use super::geohash::{decode_score, distance, encode_score, format_distance, standard_string, LAT_MAX, LAT_MIN, LON_MAX, LON_MIN};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NOT_FLOAT, SYNTAX};
use crate::util::is_opt;
use crate::zset::parse::parse_double;
use crate::zset::{limits, store_new, zread, zwrite};
use moon_resp::{Argv, Out};
use moon_store::zset::{AddFlags, Added, ZSet};

/// A longitude/latitude argument pair, checked against the band GEOADD can
/// encode (Redis' extractLongLatOrReply).
pub(super) fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let lon = parse_double(lon).ok_or(NOT_FLOAT)?;
    let lat = parse_double(lat).ok_or(NOT_FLOAT)?;
    if !(LON_MIN..=LON_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return Err(CmdError::err(format!("invalid longitude,latitude pair {lon:.6},{lat:.6}")));
    }
    Ok((lon, lat))
}

/// Meters per unit (Redis' extractUnitOrReply).
pub(super) fn unit(arg: &[u8]) -> Result<f64, CmdError> {
    if is_opt(arg, "m") {
        Ok(1.0)
    } else if is_opt(arg, "km") {
        Ok(1000.0)
    } else if is_opt(arg, "ft") {
        Ok(0.3048)
    } else if is_opt(arg, "mi") {
        Ok(1609.34)
    } else {
        Err(CmdError::fixed("ERR unsupported unit provided. please use M, KM, FT, MI"))
    }
}

/// A coordinate as Redis replies with it (a double: bulk in RESP2).
pub(super) fn coord_pair(out: &mut Out, lon: f64, lat: f64) {
    out.array(2);
    out.double(lon);
    out.double(lat);
}

pub(super) fn distance_reply(out: &mut Out, d: f64) {
    let mut buf = Vec::with_capacity(24);
    format_distance(d, &mut buf);
    out.bulk(&buf);
}

/// GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...]: a ZADD of
/// the encoded scores, with ZADD's reply and counting.
pub fn geoadd(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut first = 2;
    while first < argv.len() {
        let o = argv.get(first);
        if is_opt(o, "nx") {
            nx = true;
        } else if is_opt(o, "xx") {
            xx = true;
        } else if is_opt(o, "ch") {
            ch = true;
        } else {
            break;
        }
        first += 1;
    }
    let rest = argv.len() - first;
    // No triples at all is ZADD's own syntax error, the same text.
    if !rest.is_multiple_of(3) || (nx && xx) || rest == 0 {
        return Err(SYNTAX);
    }
    let n = rest / 3;
    let mut scores = Vec::with_capacity(n);
    for j in 0..n {
        let (lon, lat) = lon_lat(argv.get(first + 3 * j), argv.get(first + 3 * j + 1))?;
        scores.push(encode_score(lon, lat));
    }
    let lim = limits(ctx);
    let f = AddFlags { nx, xx, ..AddFlags::default() };
    let apply = |z: &mut ZSet| {
        let (mut added, mut updated) = (0u64, 0u64);
        for (j, &s) in scores.iter().enumerate() {
            match z.add(s, argv.get(first + 3 * j + 2), f, lim) {
                Added::Added(_) => added += 1,
                Added::Updated(_) => updated += 1,
                _ => {}
            }
        }
        (added, updated)
    };
    let (added, updated) = match zwrite(&mut ctx.ks, key)? {
        Some(z) => {
            z.maybe_convert(n, lim);
            apply(z)
        }
        None if xx => (0, 0),
        None => {
            let mut z = ZSet::new_for(n, argv.get(first + 2).len(), lim);
            let r = apply(&mut z);
            if !z.is_empty() {
                store_new(&mut ctx.ks, key, z);
            }
            r
        }
    };
    ctx.ks.dirty += added + updated;
    if added + updated > 0 {
        ctx.notify(crate::notify::class::ZSET, "zadd", key);
    }
    ctx.out.int((if ch { added + updated } else { added }) as i64);
    Ok(())
}

/// GEODIST key member1 member2 [unit]
pub fn geodist(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let to_meters = match argv.len() {
        5 => unit(argv.get(4))?,
        4 => 1.0,
        _ => return Err(SYNTAX),
    };
    let Some(z) = zread(&mut ctx.ks, argv.get(1))? else {
        ctx.out.null();
        return Ok(());
    };
    match (z.score(argv.get(2)), z.score(argv.get(3))) {
        (Some(a), Some(b)) => {
            let (a, b) = (decode_score(a), decode_score(b));
            distance_reply(ctx.out, distance(a.0, a.1, b.0, b.1) / to_meters);
        }
        _ => ctx.out.null(),
    }
    Ok(())
}

/// GEOHASH key [member ...]: standard 11-character geohashes.
pub fn geohash(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let z = zread(&mut ctx.ks, argv.get(1))?;
    ctx.out.array(argv.len() - 2);
    for m in argv.iter().skip(2) {
        match z.and_then(|z| z.score(m)) {
            Some(s) => ctx.out.bulk(&standard_string(s)),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// GEOPOS key [member ...]
pub fn geopos(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let z = zread(&mut ctx.ks, argv.get(1))?;
    ctx.out.array(argv.len() - 2);
    for m in argv.iter().skip(2) {
        match z.and_then(|z| z.score(m)) {
            Some(s) => {
                let (lon, lat) = decode_score(s);
                coord_pair(ctx.out, lon, lat);
            }
            None => ctx.out.null_array(),
        }
    }
    Ok(())
}
