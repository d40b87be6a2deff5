//! A bounds-checked cursor over RDB bytes. Every read checks what is left,
//! so a length in the input can never make us read past the end or
//! allocate more than the input could back.

use crate::{err, lzf, Result};

/// An RDB length or a special string encoding (Redis' rdbLoadLen with
/// `isencoded`).
pub enum Len {
    Len(u64),
    Enc(u8),
}

pub const ENC_INT8: u8 = 0;
pub const ENC_INT16: u8 = 1;
pub const ENC_INT32: u8 = 2;
pub const ENC_LZF: u8 = 3;

/// The most a compressed string may claim to expand to per input byte:
/// LZF's best case is a back-reference of 264 bytes in 2 (or 3) bytes, so
/// a claim beyond this is corrupt and is refused before allocating.
const LZF_MAX_RATIO: usize = 140;

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return err(format!("unexpected end of data at offset {} (wanted {n} bytes)", self.pos));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    pub fn u32_le(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64_le(&mut self) -> Result<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    pub fn i64_le(&mut self) -> Result<i64> {
        Ok(self.u64_le()? as i64)
    }

    pub fn f64_le(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64_le()?))
    }

    pub fn len_or_enc(&mut self) -> Result<Len> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Len((b & 0x3f) as u64),
            1 => Len::Len((((b & 0x3f) as u64) << 8) | self.u8()? as u64),
            3 => Len::Enc(b & 0x3f),
            _ => match b {
                0x80 => {
                    let v = self.bytes(4)?;
                    Len::Len(u32::from_be_bytes([v[0], v[1], v[2], v[3]]) as u64)
                }
                0x81 => {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(self.bytes(8)?);
                    Len::Len(u64::from_be_bytes(a))
                }
                _ => return err(format!("unknown length encoding {b:#x} at offset {}", self.pos - 1)),
            },
        })
    }

    /// A plain length (an encoded-string marker here is corrupt input).
    pub fn len(&mut self) -> Result<u64> {
        match self.len_or_enc()? {
            Len::Len(n) => Ok(n),
            Len::Enc(_) => err(format!("unexpected string encoding marker at offset {}", self.pos - 1)),
        }
    }

    /// A count of items that each take at least `min_item_bytes` of the
    /// remaining input: larger counts are corrupt, so callers may size
    /// allocations by the result.
    pub fn count(&mut self, min_item_bytes: usize) -> Result<usize> {
        let n = self.len()?;
        let max = self.remaining() / min_item_bytes.max(1);
        if n > max as u64 {
            return err(format!("count {n} exceeds what the remaining {} bytes can hold", self.remaining()));
        }
        Ok(n as usize)
    }

    /// A string in any of its RDB forms (raw, integer, LZF), as bytes.
    pub fn string(&mut self) -> Result<Vec<u8>> {
        match self.len_or_enc()? {
            Len::Len(n) => {
                let n = usize::try_from(n).map_err(|_| crate::Error("string length overflows".into()))?;
                Ok(self.bytes(n)?.to_vec())
            }
            Len::Enc(ENC_INT8) => Ok(itoa_vec(self.u8()? as i8 as i64)),
            Len::Enc(ENC_INT16) => {
                let b = self.bytes(2)?;
                Ok(itoa_vec(i16::from_le_bytes([b[0], b[1]]) as i64))
            }
            Len::Enc(ENC_INT32) => {
                let b = self.bytes(4)?;
                Ok(itoa_vec(i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64))
            }
            Len::Enc(ENC_LZF) => {
                let clen = self.len()?;
                let len = self.len()?;
                let clen = usize::try_from(clen).map_err(|_| crate::Error("compressed length overflows".into()))?;
                let src = self.bytes(clen)?;
                if len == 0 || len > (clen as u64).saturating_mul(LZF_MAX_RATIO as u64) {
                    return err(format!("invalid LZF lengths: {clen} compressed, {len} claimed"));
                }
                lzf::decompress(src, len as usize).ok_or_else(|| crate::Error("invalid LZF compressed string".into()))
            }
            Len::Enc(e) => err(format!("unknown string encoding {e}")),
        }
    }

    /// Skip a string without materializing it when possible.
    pub fn skip_string(&mut self) -> Result<()> {
        self.string().map(drop)
    }

    /// The ASCII double of old ZSET records: [len u8][text], 253 nan, 254
    /// +inf, 255 -inf.
    pub fn ascii_double(&mut self) -> Result<f64> {
        let n = self.u8()?;
        match n {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let b = self.bytes(n as usize)?;
                std::str::from_utf8(b)
                    .ok()
                    .and_then(|s| parse_c_double(s.trim()))
                    .ok_or_else(|| crate::Error(format!("invalid double {:?}", String::from_utf8_lossy(b))))
            }
        }
    }
}

/// A double as C's strtod reads it for the forms Redis writes ("%.17g",
/// integers, "inf"/"nan").
pub fn parse_c_double(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

pub fn itoa_vec(v: i64) -> Vec<u8> {
    let mut b = [0u8; 20];
    moon_store::set::format_int(v, &mut b).to_vec()
}
