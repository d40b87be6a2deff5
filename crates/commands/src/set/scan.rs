//! SSCAN. An intset or listpack answers everything in one call with
//! cursor 0, whatever cursor and COUNT were given, as Redis does; a hash
//! table is walked with a reverse-binary cursor over its home slots.

use super::{reply_member, set_of};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::keys::{parse_cursor, scan_options, ScanFamily, ScanOptions};
use crate::util::glob_match;
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
    let ScanOptions { count, pattern, .. } = scan_options(argv, 3, ScanFamily::Other)?;
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
