//! Function libraries in RDB form: each library is a FUNCTION2 record
//! (opcode 245, then its code as an RDB string). FUNCTION DUMP payloads are
//! those records followed by the DUMP footer (RDB version, CRC64).

use crate::reader::Reader;
use crate::writer::put_string;
use crate::{types as t, RDB_VERSION};

/// One FUNCTION2 record.
pub fn put_library(out: &mut Vec<u8>, code: &[u8]) {
    out.push(t::OP_FUNCTION2);
    put_string(out, code, true);
}

/// FUNCTION DUMP.
pub fn dump_payload(codes: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in codes {
        put_library(&mut out, c);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crate::crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// FUNCTION RESTORE: the library codes of a payload; Err is the reply
/// text (without "ERR ").
pub fn parse_payload(p: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if !crate::dump::verify(p) {
        return Err("DUMP payload version or checksum are wrong".into());
    }
    let mut r = Reader::new(&p[..p.len() - 10]);
    let mut codes = Vec::new();
    while !r.is_empty() {
        let ty = r.u8().map_err(|_| "can not read data type".to_string())?;
        if ty == t::OP_FUNCTION_PRE_GA {
            return Err("Pre-GA function format not supported".into());
        }
        if ty != t::OP_FUNCTION2 {
            return Err("given type is not a function".into());
        }
        codes.push(r.string().map_err(|_| "failed loading the given functions payload".to_string())?);
    }
    Ok(codes)
}
