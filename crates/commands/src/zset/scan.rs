//! ZSCAN. A compact set is returned whole in one call (cursor 0), as Redis
//! does for listpacks; a skiplist is walked through its member index with
//! a reverse-binary cursor (Redis' dictScan guarantees).

use super::parse::fmt_g17;
use super::zread;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::keys::{parse_cursor, scan_options, ScanFamily, ScanOptions};
use crate::util::glob_match;
use moon_resp::{format_double, Argv};
use moon_store::zset::ZSet;

const INVALID_CURSOR: CmdError = CmdError::fixed("ERR invalid cursor");

pub fn zscan(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let cursor = parse_cursor(argv.get(2)).ok_or(INVALID_CURSOR)?;
    // A missing key answers before the options are even parsed.
    let Some(z) = zread(&mut ctx.ks, argv.get(1))? else {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    };
    let ScanOptions { count, pattern, .. } = scan_options(argv, 3, ScanFamily::Other)?;
    let keep = |m: &[u8]| pattern.is_none_or(|p| glob_match(p, m, false));
    // (member, score text) pairs.
    let mut found: Vec<(&[u8], Vec<u8>)> = Vec::new();
    let next = match z {
        ZSet::Listpack(_) => {
            for (m, s) in z.iter().filter(|(m, _)| keep(m)) {
                let mut t = Vec::new();
                format_double(s, &mut t);
                found.push((m, t));
            }
            0
        }
        ZSet::Skiplist(sl) => sl.scan(cursor, count, |m, s| {
            if keep(m) {
                let mut t = Vec::new();
                fmt_g17(s, &mut t);
                found.push((m, t));
            }
        }),
    };
    let out = &mut *ctx.out;
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(found.len() * 2);
    for (m, t) in &found {
        out.bulk(m);
        out.bulk(t);
    }
    Ok(())
}
