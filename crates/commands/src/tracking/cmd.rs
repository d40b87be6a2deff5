//! CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR, CLIENT TRACKINGINFO.

use super::Tracker;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::util::{eq_ic, parse_i64};
use moon_resp::Argv;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN]
/// [OPTOUT] [NOLOOP]
pub fn tracking(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let on = match argv.get(2) {
        a if eq_ic(a, "on") => true,
        a if eq_ic(a, "off") => false,
        _ => return Err(SYNTAX),
    };
    let (mut redirect, mut bcast, mut optin, mut optout, mut noloop) = (0u64, false, false, false, false);
    let mut prefixes: Vec<Vec<u8>> = Vec::new();
    let mut j = 3;
    while j < argv.len() {
        let a = argv.get(j);
        let more = j + 1 < argv.len();
        if eq_ic(a, "redirect") && more {
            j += 1;
            if redirect != 0 {
                return Err(CmdError::err("A client can only redirect to a single other client"));
            }
            let id = parse_i64(argv.get(j)).ok_or(crate::error::NOT_INTEGER)?;
            if id != ctx.conn.id() as i64 && (id <= 0 || ctx.srv.clients.get(id as u64).is_none()) {
                return Err(CmdError::err("The client ID you want redirect to does not exist"));
            }
            redirect = id as u64;
        } else if eq_ic(a, "bcast") {
            bcast = true;
        } else if eq_ic(a, "optin") {
            optin = true;
        } else if eq_ic(a, "optout") {
            optout = true;
        } else if eq_ic(a, "noloop") {
            noloop = true;
        } else if eq_ic(a, "prefix") && more {
            j += 1;
            prefixes.push(argv.get(j).to_vec());
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    if !on {
        super::forget(ctx.srv, ctx.conn);
        ctx.conn.caching = None;
        ctx.out.ok();
        return Ok(());
    }
    // Checked in Redis' order.
    if !bcast && !prefixes.is_empty() {
        return Err(CmdError::err("PREFIX option requires BCAST mode to be enabled"));
    }
    let cur = ctx.conn.tracking.clone();
    if cur.as_ref().is_some_and(|c| c.bcast != bcast) {
        return Err(CmdError::err(
            "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
        ));
    }
    if bcast && (optin || optout) {
        return Err(CmdError::err("OPTIN and OPTOUT are not compatible with BCAST"));
    }
    if optin && optout {
        return Err(CmdError::err("You can't specify both OPTIN mode and OPTOUT mode"));
    }
    if cur.as_ref().is_some_and(|c| (optin && c.optout) || (optout && c.optin)) {
        return Err(CmdError::err(
            "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
        ));
    }
    check_prefix_overlaps(&prefixes)?;
    if redirect == ctx.conn.id() {
        // Redirecting to oneself is plain tracking.
        redirect = 0;
    }
    let t = Arc::new(Tracker {
        handle: ctx.conn.handle.clone(),
        redirect,
        bcast,
        prefixes,
        optin,
        optout,
        noloop,
        redirect_broken: AtomicBool::new(false),
    });
    ctx.srv.tracking.enable(t.clone());
    ctx.conn.tracking = Some(t);
    ctx.out.ok();
    Ok(())
}

fn check_prefix_overlaps(prefixes: &[Vec<u8>]) -> CmdResult {
    for (i, a) in prefixes.iter().enumerate() {
        for b in &prefixes[i + 1..] {
            if a.starts_with(b) || b.starts_with(a) {
                return Err(CmdError::err(format!(
                    "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(a),
                    String::from_utf8_lossy(b)
                )));
            }
        }
    }
    Ok(())
}

/// CLIENT CACHING YES|NO: whether the next command's reads are tracked.
pub fn caching(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let Some(t) = ctx.conn.tracking.clone().filter(|t| t.optin || t.optout) else {
        return Err(CmdError::err(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ));
    };
    let a = argv.get(2);
    if eq_ic(a, "yes") {
        if !t.optin {
            return Err(CmdError::err("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."));
        }
        ctx.conn.caching = Some(true);
    } else if eq_ic(a, "no") {
        if !t.optout {
            return Err(CmdError::err("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."));
        }
        ctx.conn.caching = Some(false);
    } else {
        return Err(SYNTAX);
    }
    ctx.out.ok();
    Ok(())
}

/// CLIENT GETREDIR: -1 not tracking, 0 tracking without redirect, else the id.
pub fn getredir(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let v = match &ctx.conn.tracking {
        None => -1,
        Some(t) => t.redirect as i64,
    };
    ctx.out.int(v);
    Ok(())
}

pub fn trackinginfo(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let t = ctx.conn.tracking.clone();
    let mut flags: Vec<&str> = Vec::new();
    match &t {
        None => flags.push("off"),
        Some(t) => {
            flags.push("on");
            if t.bcast {
                flags.push("bcast");
            }
            if t.optin {
                flags.push("optin");
            }
            if t.optout {
                flags.push("optout");
            }
            match ctx.conn.caching {
                Some(true) => flags.push("caching-yes"),
                Some(false) => flags.push("caching-no"),
                None => {}
            }
            if t.noloop {
                flags.push("noloop");
            }
            if t.redirect != 0 && ctx.srv.clients.get(t.redirect).is_none() {
                flags.push("broken_redirect");
            }
        }
    }
    let out = &mut *ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(flags.len());
    for f in flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"redirect");
    out.int(t.as_ref().map_or(-1, |t| t.redirect as i64));
    out.bulk(b"prefixes");
    let prefixes = t.as_ref().map(|t| t.prefixes.clone()).unwrap_or_default();
    out.array(prefixes.len());
    for p in &prefixes {
        out.bulk(p);
    }
    Ok(())
}
