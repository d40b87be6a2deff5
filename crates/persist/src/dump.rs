//! DUMP payloads, laid out as Redis does so they move between servers:
//! `[type][value][RDB version u16 LE][CRC64 LE of all that precedes]`.

use crate::decode::{self, Limits, Value};
use crate::reader::Reader;
use crate::{encode, err, types as t, Result, SaveOpts, RDB_VERSION};
use moon_store::ValueRef;

/// Serialize a value (DUMP).
pub fn create(v: ValueRef<'_>, o: SaveOpts) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64);
    encode::value(v, o, &mut out)?;
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crate::crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Redis' verifyDumpPayload: a footer with a version this server can
/// read and a matching checksum.
pub fn verify(p: &[u8]) -> bool {
    if p.len() < 10 {
        return false;
    }
    let f = &p[p.len() - 10..];
    let ver = u16::from_le_bytes([f[0], f[1]]);
    if ver > RDB_VERSION {
        return false;
    }
    let mut c = [0u8; 8];
    c.copy_from_slice(&f[2..]);
    crate::crc64(&p[..p.len() - 8]) == u64::from_le_bytes(c)
}

/// Decode a verified payload (RESTORE). Ok(None) for an empty value.
pub fn parse(p: &[u8], lim: &Limits, now: i64) -> Result<Option<Value>> {
    if p.len() < 11 {
        return err("payload too short");
    }
    let mut r = Reader::new(&p[..p.len() - 10]);
    let ty = r.u8()?;
    if !t::is_object_type(ty) {
        return err(format!("invalid value type {ty}"));
    }
    decode::value(&mut r, ty, lim, now)
}
