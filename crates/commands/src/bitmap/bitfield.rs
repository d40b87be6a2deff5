//! BITFIELD key [GET type offset] [SET type offset value]
//! [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ... and
//! BITFIELD_RO (GET only). Every subcommand is parsed before any runs, so
//! a bad argument anywhere leaves the key untouched.

use super::bits::{get_signed, get_unsigned, set_bits, signed_overflow, unsigned_overflow, Overflow};
use super::{bit_offset, string_for_bits};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::spec::kf;
use crate::util::is_opt;
use moon_resp::{parse_i64, Argv};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Set,
    Incrby,
}

#[derive(Clone, Copy)]
struct Op {
    kind: Kind,
    signed: bool,
    bits: u32,
    offset: u64,
    value: i64,
    overflow: Overflow,
}

const BAD_TYPE: CmdError =
    CmdError::fixed("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");

/// `i1`..`i64` or `u1`..`u63` (lowercase only, as Redis); the digits are
/// read as a C string.
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(BAD_TYPE),
    };
    let digits = &arg[1..];
    let digits = &digits[..digits.iter().position(|&c| c == 0).unwrap_or(digits.len())];
    match parse_i64(digits) {
        Some(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Ok((signed, n as u32)),
        _ => Err(BAD_TYPE),
    }
}

fn parse(ctx: &Ctx, argv: &Argv) -> Result<(Vec<Op>, Option<u64>), CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    // The highest bit a SET/INCRBY writes; None if read-only.
    let mut highest: Option<u64> = None;
    let mut j = 2;
    while j < argv.len() {
        let rem = argv.len() - j - 1;
        let sub = argv.get(j);
        let kind = if is_opt(sub, "get") && rem >= 2 {
            Kind::Get
        } else if is_opt(sub, "set") && rem >= 3 {
            Kind::Set
        } else if is_opt(sub, "incrby") && rem >= 3 {
            Kind::Incrby
        } else if is_opt(sub, "overflow") && rem >= 1 {
            let t = argv.get(j + 1);
            overflow = if is_opt(t, "wrap") {
                Overflow::Wrap
            } else if is_opt(t, "sat") {
                Overflow::Sat
            } else if is_opt(t, "fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::err("Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(SYNTAX);
        };
        let (signed, bits) = field_type(argv.get(j + 1))?;
        let offset = bit_offset(ctx, argv.get(j + 2), Some(bits))?;
        let mut value = 0;
        if kind != Kind::Get {
            let last = offset + bits as u64 - 1;
            highest = Some(highest.map_or(last, |h| h.max(last)));
            value = parse_i64(argv.get(j + 3)).ok_or(NOT_INTEGER)?;
        }
        ops.push(Op { kind, signed, bits, offset, value, overflow });
        j += if kind == Kind::Get { 3 } else { 4 };
    }
    Ok((ops, highest))
}

pub fn bitfield(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    run(ctx, argv, false)
}

pub fn bitfield_ro(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    run(ctx, argv, true)
}

fn run(ctx: &mut Ctx, argv: &Argv, readonly_cmd: bool) -> CmdResult {
    let (ops, highest) = parse(ctx, argv)?;
    let key = argv.get(1);
    let Some(highest) = highest else {
        let s = ctx.ks.read_str(key)?.unwrap_or(b"");
        ctx.out.array(ops.len());
        for op in &ops {
            if op.signed {
                ctx.out.int(get_signed(s, op.offset, op.bits));
            } else {
                ctx.out.int(get_unsigned(s, op.offset, op.bits) as i64);
            }
        }
        return Ok(());
    };
    if readonly_cmd {
        return Err(CmdError::err("BITFIELD_RO only supports the GET subcommand"));
    }
    let (v, grew) = string_for_bits(&mut ctx.ks, key, highest)?;
    let out = &mut *ctx.out;
    out.array(ops.len());
    let mut changes = 0;
    for op in &ops {
        if op.kind == Kind::Get {
            // GETs mixed with writes see the writes before them.
            let r = if op.signed { get_signed(v, op.offset, op.bits) } else { get_unsigned(v, op.offset, op.bits) as i64 };
            out.int(r);
            continue;
        }
        let (reply, old, new) = if op.signed {
            let old = get_signed(v, op.offset, op.bits);
            let (target, incr) = if op.kind == Kind::Incrby { (old, op.value) } else { (op.value, 0) };
            let over = signed_overflow(target, incr, op.bits, op.overflow);
            if over.is_some() && op.overflow == Overflow::Fail {
                out.null();
                continue;
            }
            let new = over.unwrap_or(target.wrapping_add(incr));
            (if op.kind == Kind::Incrby { new } else { old }, old as u64, new as u64)
        } else {
            let old = get_unsigned(v, op.offset, op.bits);
            let (target, incr) = if op.kind == Kind::Incrby { (old, op.value) } else { (op.value as u64, 0) };
            let over = unsigned_overflow(target, incr, op.bits, op.overflow);
            if over.is_some() && op.overflow == Overflow::Fail {
                out.null();
                continue;
            }
            let new = over.unwrap_or(target.wrapping_add(incr as u64));
            ((if op.kind == Kind::Incrby { new } else { old }) as i64, old, new)
        };
        out.int(reply);
        set_bits(v, op.offset, op.bits, new);
        if grew || old != new {
            changes += 1;
        }
    }
    ctx.ks.dirty += changes;
    if changes > 0 {
        ctx.notify(crate::notify::class::STRING, "setbit", key);
    }
    Ok(())
}

/// BITFIELD's key flags (Redis' bitfieldGetKeys): read-only unless a SET
/// or INCRBY (or anything unparsable) appears.
pub fn key_flags(line: &[&[u8]]) -> u32 {
    let mut i = 2;
    while i < line.len() {
        let rem = line.len() - i - 1;
        let a = line[i];
        if is_opt(a, "get") && rem >= 2 {
            i += 3;
        } else if is_opt(a, "overflow") && rem >= 1 {
            i += 2;
        } else {
            return kf::RW | kf::ACCESS | kf::UPDATE;
        }
    }
    kf::RO | kf::ACCESS
}
