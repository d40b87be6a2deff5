//! SETBIT GETBIT BITCOUNT BITPOS: single-key bit reads and writes.

use super::bits::{bitpos_span, count_span, resolve};
use super::{bit_offset, string_for_bits};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::util::is_opt;
use moon_resp::{parse_i64, Argv};

pub fn setbit(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    const BAD_BIT: CmdError = CmdError::fixed("ERR bit is not an integer or out of range");
    let offset = bit_offset(ctx, argv.get(2), None)?;
    let on = parse_i64(argv.get(3)).ok_or(BAD_BIT)?;
    if on & !1 != 0 {
        return Err(BAD_BIT);
    }
    let (v, grew) = string_for_bits(&mut ctx.ks, argv.get(1), offset)?;
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    let old = v[byte] & mask != 0;
    if grew || old != (on == 1) {
        if on == 1 {
            v[byte] |= mask;
        } else {
            v[byte] &= !mask;
        }
        ctx.ks.dirty += 1;
        ctx.notify(crate::notify::class::STRING, "setbit", argv.get(1));
    }
    ctx.out.int(old as i64);
    Ok(())
}

pub fn getbit(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let offset = bit_offset(ctx, argv.get(2), None)?;
    let s = ctx.ks.read_str(argv.get(1))?.unwrap_or(b"");
    let bit = s.get((offset >> 3) as usize).is_some_and(|b| b & (1 << (7 - (offset & 7))) != 0);
    ctx.out.int(bit as i64);
    Ok(())
}

/// The BIT|BYTE unit argument: true for BIT.
fn unit(arg: &[u8]) -> Result<bool, CmdError> {
    if is_opt(arg, "bit") {
        Ok(true)
    } else if is_opt(arg, "byte") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

pub fn bitcount(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let n = match argv.len() {
        2 => match ctx.ks.read_str(key)? {
            None => 0,
            Some(s) => super::bits::popcount(s),
        },
        4 | 5 => {
            let start = parse_i64(argv.get(2)).ok_or(NOT_INTEGER)?;
            let end = parse_i64(argv.get(3)).ok_or(NOT_INTEGER)?;
            let bits = if argv.len() == 5 { unit(argv.get(4))? } else { false };
            match ctx.ks.read_str(key)? {
                None => 0,
                Some(_) if start < 0 && end < 0 && start > end => 0,
                Some(s) => {
                    let sp = resolve(start, end, s.len(), bits);
                    if sp.start > sp.end {
                        0
                    } else {
                        count_span(s, sp)
                    }
                }
            }
        }
        _ => return Err(SYNTAX),
    };
    ctx.out.int(n as i64);
    Ok(())
}

pub fn bitpos(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let bit = parse_i64(argv.get(2)).ok_or(NOT_INTEGER)?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::err("The bit argument must be 1 or 0."));
    }
    let bit = bit == 1;
    let key = argv.get(1);
    let argc = argv.len();
    // (start, explicit end, unit) when a range is given.
    let range = match argc {
        3 => None,
        4..=6 => {
            let start = parse_i64(argv.get(3)).ok_or(NOT_INTEGER)?;
            let bits = if argc == 6 { unit(argv.get(5))? } else { false };
            let end = if argc >= 5 { Some(parse_i64(argv.get(4)).ok_or(NOT_INTEGER)?) } else { None };
            Some((start, end, bits))
        }
        _ => return Err(SYNTAX),
    };
    let Some(s) = ctx.ks.read_str(key)? else {
        ctx.out.int(if bit { -1 } else { 0 });
        return Ok(());
    };
    let (sp, end_given) = match range {
        None => (resolve(0, s.len() as i64 - 1, s.len(), false), false),
        Some((start, end, bits)) => {
            let end_given = end.is_some();
            let len = s.len() as i64;
            let end = end.unwrap_or(if bits { (len << 3) + 7 } else { len - 1 });
            (resolve(start, end, s.len(), bits), end_given)
        }
    };
    let pos = if sp.start > sp.end { -1 } else { bitpos_span(s, sp, bit, end_given) };
    ctx.out.int(pos);
    Ok(())
}
