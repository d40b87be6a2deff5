//! SSCAN. An intset or listpack answers everything in one call with
//! cursor 0, whatever cursor and COUNT were given, as Redis does; a hash
//! table is walked with a reverse-binary cursor over its home slots.

use super::{reply_member, set_of};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::keys::parse_cursor;
use crate::util::{eq_ic, glob_match, parse_i64};
use moon_resp::Argv;
use moon_store::set::Member;

pub fn sscan(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let cursor = parse_cursor(argv.get(2)).ok_or(CmdError::fixed("ERR invalid cursor"))?;
    let Some(e) = ctx.ks.read(argv.get(1)) else {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    };
    let s = set_of(e)?;
    let mut count = 10usize;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < argv.len() {
        let opt = argv.get(i);
        let has_value = i + 1 < argv.len();
        if eq_ic(opt, "count") && has_value {
            let v = parse_i64(argv.get(i + 1)).ok_or(NOT_INTEGER)?;
            if v < 1 {
                return Err(SYNTAX);
            }
            count = usize::try_from(v).unwrap_or(usize::MAX);
        } else if eq_ic(opt, "match") && has_value {
            let p = argv.get(i + 1);
            // "*" means no filter at all (it would not match "" otherwise).
            pattern = (p != b"*").then_some(p);
        } else if eq_ic(opt, "novalues") {
            return Err(CmdError::err("NOVALUES option can only be used in HSCAN"));
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    let mut found: Vec<Member> = Vec::new();
    let mut buf = [0u8; 20];
    let next = s.scan(cursor, count, |m| {
        if pattern.is_none_or(|p| glob_match(p, m.bytes(&mut buf), false)) {
            found.push(m);
        }
    });
    let out = &mut *ctx.out;
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(found.len());
    for m in found {
        reply_member(out, m);
    }
    Ok(())
}
