//! The bitmap command family: SETBIT GETBIT BITCOUNT BITPOS BITOP
//! BITFIELD BITFIELD_RO, over plain string values as in Redis.
//!
//! A bitmap written by these commands is a boxed `Object::Str` (Redis'
//! "raw" encoding: SETBIT and BITFIELD create and edit raw strings).

mod bitfield;
mod bitop;
pub mod bits;
mod single;
#[cfg(test)]
mod tests;

use crate::ctx::{str_of, Ctx, KeyAccess};
use crate::error::CmdError;
use crate::spec::{cat, cmd, flag::*, kf, CommandDef, KeySpec};
use crate::string::raw_mut;
use moon_store::{Entry, Object};

const B: u64 = cat::BITMAP;
const G: &str = "bitmap";
const RO_ACCESS: &[KeySpec] = &[KeySpec::single(1, kf::RO | kf::ACCESS)];

pub static COMMANDS: &[CommandDef] = &[
    cmd("setbit", 4, WRITE | DENYOOM, B, &[KeySpec::single(1, kf::RW | kf::ACCESS | kf::UPDATE)], single::setbit, G),
    cmd("getbit", 3, READONLY | FAST, B, RO_ACCESS, single::getbit, G),
    cmd("bitcount", -2, READONLY, B, RO_ACCESS, single::bitcount, G),
    cmd("bitpos", -3, READONLY, B, RO_ACCESS, single::bitpos, G),
    cmd(
        "bitop",
        -4,
        WRITE | DENYOOM,
        B,
        &[KeySpec::single(2, kf::OW | kf::UPDATE), KeySpec::range(3, -1, 1, kf::RO | kf::ACCESS)],
        bitop::bitop,
        G,
    ),
    cmd(
        "bitfield",
        -2,
        WRITE | DENYOOM,
        B,
        &[KeySpec::single(1, kf::RW | kf::UPDATE | kf::ACCESS | kf::VARIABLE_FLAGS)],
        bitfield::bitfield,
        G,
    )
    .key_flags(bitfield::key_flags),
    cmd("bitfield_ro", -2, READONLY | FAST, B, RO_ACCESS, bitfield::bitfield_ro, G),
];

const BAD_OFFSET: CmdError = CmdError::fixed("ERR bit offset is not an integer or out of range");

/// A bit offset argument (Redis' getBitOffsetFromArgument). With
/// `hash_bits`, the BITFIELD form `#N` means N fields of that width. The
/// offset's byte must stay below proto-max-bulk-len.
fn bit_offset(ctx: &Ctx, arg: &[u8], hash_bits: Option<u32>) -> Result<u64, CmdError> {
    let (digits, scale) = match hash_bits {
        Some(bits) if arg.len() > 1 && arg[0] == b'#' => (&arg[1..], Some(bits)),
        _ => (arg, None),
    };
    let mut v = moon_resp::parse_i64(digits).ok_or(BAD_OFFSET)?;
    if let Some(bits) = scale {
        // Redis multiplies in C, where an overflow wraps.
        v = v.wrapping_mul(bits as i64);
    }
    let max = ctx.srv.config.hot.proto_max_bulk_len.load(std::sync::atomic::Ordering::Relaxed);
    if v < 0 || (v >> 3) >= max {
        return Err(BAD_OFFSET);
    }
    Ok(v as u64)
}

/// The string at `key` made writable and at least long enough to address
/// bit `maxbit`, creating it if missing (Redis' lookupStringForBitCommand).
/// Returns the bytes and whether the string was created or grew.
fn string_for_bits<'a>(ks: &'a mut KeyAccess<'_>, key: &[u8], maxbit: u64) -> Result<(&'a mut Vec<u8>, bool), CmdError> {
    let need = (maxbit >> 3) as usize + 1;
    let created = match ks.write(key) {
        Some(e) => {
            str_of(e)?;
            false
        }
        None => {
            ks.insert(Entry::new_obj(key, Object::Str(vec![0; need]), None));
            // Redis counts a bit command's changes itself (the creation is
            // one of them), not the key's addition.
            ks.dirty -= 1;
            true
        }
    };
    let e = ks.write(key).ok_or(crate::error::NO_SUCH_KEY)?;
    let v = raw_mut(e, need)?;
    let grew = v.len() < need;
    if grew {
        v.resize(need, 0);
    }
    Ok((v, created || grew))
}
