//! XPENDING: the summary form and the extended form (range, IDLE, consumer).

use super::id::{range_end, range_start};
use super::{reply, sread};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, SYNTAX};
use crate::util::{int_arg, is_opt};
use moon_resp::Argv;

pub(super) fn nogroup(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::raw(format!("NOGROUP No such key '{}' or consumer group '{}'", String::from_utf8_lossy(key), String::from_utf8_lossy(group)))
}

pub fn xpending(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let argc = argv.len();
    let summary = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(SYNTAX);
    }
    let (mut start, mut end, mut count, mut minidle, mut consumer) = (Default::default(), Default::default(), 0i64, 0i64, None);
    if argc >= 6 {
        let mut at = 3;
        if is_opt(argv.get(3), "IDLE") {
            minidle = int_arg(argv.get(4))?;
            if argc < 8 {
                return Err(SYNTAX);
            }
            at += 2;
        }
        count = int_arg(argv.get(at + 2))?.max(0);
        start = range_start(argv.get(at))?;
        end = range_end(argv.get(at + 1))?;
        if at + 3 < argc {
            consumer = Some(argv.get(at + 3));
        }
    }
    let (key, gname) = (argv.get(1), argv.get(2));
    let now = ctx.now();
    let Some(g) = sread(&mut ctx.ks, key)?.and_then(|s| s.group(gname)) else { return Err(nogroup(key, gname)) };
    let out = &mut *ctx.out;
    if summary {
        out.array(4);
        out.int(g.pel.len() as i64);
        match (g.pel.keys().next(), g.pel.keys().next_back()) {
            (Some(&first), Some(&last)) => {
                reply::id(out, first);
                reply::id(out, last);
                let owners: Vec<_> = g.consumers.values().filter(|c| !c.pel.is_empty()).collect();
                out.array(owners.len());
                for c in owners {
                    out.array(2);
                    out.bulk(&c.name);
                    out.bulk_int(c.pel.len() as i64);
                }
            }
            _ => {
                out.null();
                out.null();
                out.null_array();
            }
        }
        return Ok(());
    }
    let ids: Box<dyn Iterator<Item = moon_store::stream::StreamId>> = match consumer {
        Some(name) => match g.consumer(name) {
            Some(c) if start <= end => Box::new(c.pel.range(start..=end).copied()),
            Some(_) => Box::new(std::iter::empty()),
            None => {
                out.array(0);
                return Ok(());
            }
        },
        None if start <= end => Box::new(g.pel.range(start..=end).map(|(k, _)| *k)),
        None => Box::new(std::iter::empty()),
    };
    let d = out.defer();
    let mut n = 0;
    for id in ids {
        if count == 0 {
            break;
        }
        let Some(nack) = g.pel.get(&id) else { continue };
        let idle = now - nack.delivery_time;
        if minidle != 0 && idle < minidle {
            continue;
        }
        n += 1;
        count -= 1;
        out.array(4);
        reply::id(out, id);
        out.bulk(&nack.consumer);
        out.int(idle.max(0));
        out.int(nack.delivery_count as i64);
    }
    out.end_array(d, n);
    Ok(())
}
