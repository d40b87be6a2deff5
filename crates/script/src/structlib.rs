//! The `struct` library as Redis bundles it (Roberto Ierusalimschy's
//! lua-struct 0.2 with Redis' fixes): pack/unpack/size of binary records
//! by a format string, with its C quirks kept (a 64-bit integer core,
//! bytes past the 8th of a wide integer are zero, x86 conversions of
//! out-of-range numbers).

use crate::bit::{check_number, type_name};
use crate::redis_lib::reg;
use mlua::{Lua, MultiValue, Table, Value};

const MAXINTSIZE: usize = 32;
const MAXALIGN: usize = 8;
const MAX_C_STACK: usize = 8000;

#[derive(Clone, Copy)]
struct Header {
    big: bool,
    align: usize,
}

const DEFAULT: Header = Header { big: false, align: 1 };

struct Fmt<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Fmt<'_> {
    fn next(&mut self) -> Option<u8> {
        let c = *self.s.get(self.pos)?;
        // A C string: the format ends at the first NUL.
        if c == 0 {
            return None;
        }
        self.pos += 1;
        Some(c)
    }

    fn num(&mut self, df: usize) -> Result<usize, String> {
        if !self.s.get(self.pos).is_some_and(|c| c.is_ascii_digit()) {
            return Ok(df);
        }
        let mut a: i64 = 0;
        while let Some(&c) = self.s.get(self.pos).filter(|c| c.is_ascii_digit()) {
            let d = (c - b'0') as i64;
            if a > i32::MAX as i64 / 10 || a * 10 > i32::MAX as i64 - d {
                return Err("integral size overflow".into());
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        Ok(a as usize)
    }

    fn optsize(&mut self, opt: u8) -> Result<usize, String> {
        Ok(match opt {
            b'B' | b'b' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'x' => 1,
            b'c' => self.num(1)?,
            b'i' | b'I' => {
                let sz = self.num(4)?;
                if sz > MAXINTSIZE {
                    return Err(format!("integral size {sz} is larger than limit of {MAXINTSIZE}"));
                }
                sz
            }
            _ => 0,
        })
    }

    fn control(&mut self, opt: u8, h: &mut Header, fname: &str) -> Result<(), String> {
        match opt {
            b' ' => {}
            b'>' => h.big = true,
            b'<' => h.big = false,
            b'!' => {
                let a = self.num(MAXALIGN)?;
                if a == 0 || a & (a - 1) != 0 {
                    return Err(format!("alignment {a} is not a power of 2"));
                }
                h.align = a;
            }
            _ => return Err(format!("bad argument #1 to '{fname}' (invalid format option '{}')", opt as char)),
        }
        Ok(())
    }
}

fn toalign(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    size.wrapping_sub(len & (size - 1)) & (size - 1)
}

/// x86-64's conversions of a double to the integer struct packs.
fn to_u64(n: f64) -> u64 {
    if n < 0.0 {
        if n >= -9_223_372_036_854_775_808.0 {
            n as i64 as u64
        } else {
            1 << 63
        }
    } else if n < 9_223_372_036_854_775_808.0 {
        n as u64
    } else if n < 18_446_744_073_709_551_616.0 {
        n as u64
    } else if n.is_nan() {
        1 << 63
    } else {
        0
    }
}

fn string_arg(args: &MultiValue, i: usize, fname: &str, nil_slot: bool) -> Result<Vec<u8>, String> {
    let v = args.get(i);
    match v {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Number(n)) => Ok(crate::cjson::fmt_g14(*n).into_bytes()),
        Some(Value::Integer(n)) => Ok(n.to_string().into_bytes()),
        None if nil_slot && i == args.len() => Err(format!("bad argument #{} to '{fname}' (string expected, got nil)", i + 1)),
        _ => Err(format!("bad argument #{} to '{fname}' (string expected, got {})", i + 1, type_name(v))),
    }
}

/// luaL_checknumber for pack, whose stack holds a nil just past the
/// arguments.
fn pack_number(args: &MultiValue, i: usize) -> Result<f64, String> {
    if i == args.len() {
        return Err(format!("bad argument #{} to 'pack' (number expected, got nil)", i + 1));
    }
    check_number(args, i, "pack")
}

fn pack(args: &MultiValue) -> Result<Vec<u8>, String> {
    let fmt = string_arg(args, 0, "pack", false)?;
    let mut f = Fmt { s: &fmt, pos: 0 };
    let mut h = DEFAULT;
    let mut arg = 1;
    let mut b = Vec::new();
    let mut total = 0usize;
    while let Some(opt) = f.next() {
        let mut size = f.optsize(opt)?;
        let pad = toalign(total, &h, opt, size);
        total += pad;
        b.resize(b.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let mut v = to_u64(pack_number(args, arg)?);
                arg += 1;
                let mut buf = [0u8; MAXINTSIZE];
                for k in 0..size {
                    let at = if h.big { size - 1 - k } else { k };
                    buf[at] = v as u8;
                    v = v.checked_shr(8).unwrap_or(0);
                }
                b.extend_from_slice(&buf[..size]);
            }
            b'x' => b.push(0),
            b'f' => {
                let v = (pack_number(args, arg)? as f32).to_bits();
                arg += 1;
                b.extend_from_slice(&if h.big { v.to_be_bytes() } else { v.to_le_bytes() });
            }
            b'd' => {
                let v = pack_number(args, arg)?.to_bits();
                arg += 1;
                b.extend_from_slice(&if h.big { v.to_be_bytes() } else { v.to_le_bytes() });
            }
            b'c' | b's' => {
                let s = string_arg(args, arg, "pack", true)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // luaL_argcheck names the argument after the string.
                    return Err(format!("bad argument #{} to 'pack' (string too short)", arg + 1));
                }
                b.extend_from_slice(&s[..size]);
                if opt == b's' {
                    b.push(0);
                    size += 1;
                }
            }
            _ => f.control(opt, &mut h, "pack")?,
        }
        total += size;
    }
    Ok(b)
}

fn unpack(lua: &Lua, args: &MultiValue) -> Result<MultiValue, String> {
    let fmt = string_arg(args, 0, "unpack", false)?;
    let data = string_arg(args, 1, "unpack", false)?;
    let ld = data.len();
    let mut pos = match args.get(2) {
        None | Some(Value::Nil) => 1u64,
        _ => check_number(args, 2, "unpack")? as i64 as u64,
    } as usize;
    if pos == 0 {
        return Err("bad argument #3 to 'unpack' (offset must be 1 or greater)".into());
    }
    pos -= 1;
    let short = || "bad argument #2 to 'unpack' (data string too short)".to_string();
    let mut f = Fmt { s: &fmt, pos: 0 };
    let mut h = DEFAULT;
    let mut out = MultiValue::new();
    out.push_back(Value::Boolean(true));
    let lerr = |e: mlua::Error| e.to_string();
    while let Some(opt) = f.next() {
        let mut size = f.optsize(opt)?;
        pos = pos.wrapping_add(toalign(pos, &h, opt, size));
        if !(size <= ld && pos <= ld - size) {
            return Err(short());
        }
        if args.len().max(3) + out.len() - 1 + 2 > MAX_C_STACK {
            return Err("stack overflow (too many results)".into());
        }
        let bytes = &data[pos..pos + size];
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let mut l = 0u64;
                for k in 0..size {
                    let c = if h.big { bytes[k] } else { bytes[size - 1 - k] };
                    l = (l << 8) | c as u64;
                }
                let v = if opt.is_ascii_lowercase() {
                    let mask = (!0u64).wrapping_shl((size * 8).wrapping_sub(1) as u32);
                    if l & mask != 0 {
                        l |= mask;
                    }
                    l as i64 as f64
                } else {
                    l as f64
                };
                out.push_back(Value::Number(v));
            }
            b'x' => {}
            b'f' => {
                let a: [u8; 4] = bytes.try_into().unwrap_or_default();
                let v = if h.big { f32::from_be_bytes(a) } else { f32::from_le_bytes(a) };
                out.push_back(Value::Number(v as f64));
            }
            b'd' => {
                let a: [u8; 8] = bytes.try_into().unwrap_or_default();
                let v = if h.big { f64::from_be_bytes(a) } else { f64::from_le_bytes(a) };
                out.push_back(Value::Number(v));
            }
            b'c' => {
                if size == 0 {
                    let prev = if out.len() > 1 { out.back().and_then(as_number) } else { None };
                    let Some(n) = prev else { return Err("format 'c0' needs a previous size".into()) };
                    size = n as usize;
                    out.pop_back();
                    if !(size <= ld && pos <= ld - size) {
                        return Err(short());
                    }
                }
                out.push_back(Value::String(lua.create_string(&data[pos..pos + size]).map_err(lerr)?));
            }
            b's' => {
                let Some(e) = data[pos..].iter().position(|&c| c == 0) else { return Err("unfinished string in data".into()) };
                size = e + 1;
                out.push_back(Value::String(lua.create_string(&data[pos..pos + e]).map_err(lerr)?));
            }
            _ => f.control(opt, &mut h, "unpack")?,
        }
        pos = pos.wrapping_add(size);
    }
    out.push_back(Value::Number(pos.wrapping_add(1) as i64 as f64));
    Ok(out)
}

/// lua_isnumber / lua_tonumber on a result already pushed.
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(n) => Some(*n as f64),
        Value::String(s) => s.to_str().ok().and_then(|s| crate::bit::lua_str_to_number(&s)),
        _ => None,
    }
}

fn size(args: &MultiValue) -> Result<f64, String> {
    let fmt = string_arg(args, 0, "size", false)?;
    let mut f = Fmt { s: &fmt, pos: 0 };
    let mut h = DEFAULT;
    let mut pos = 0usize;
    while let Some(opt) = f.next() {
        let size = f.optsize(opt)?;
        pos += toalign(pos, &h, opt, size);
        if opt == b's' {
            return Err("bad argument #1 to 'size' (option 's' has no fixed size)".into());
        } else if opt == b'c' && size == 0 {
            return Err("bad argument #1 to 'size' (option 'c0' has no fixed size)".into());
        }
        if !opt.is_ascii_alphanumeric() {
            f.control(opt, &mut h, "size")?;
        }
        pos += size;
    }
    Ok(pos as f64)
}

fn fail(lua: &Lua, e: String) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([Value::Boolean(false), Value::String(lua.create_string(e)?)]))
}

pub fn install(lua: &Lua, g: &Table) -> mlua::Result<()> {
    let t = lua.create_table()?;
    reg(lua, &t, "pack", |lua, args| match pack(&args) {
        Ok(b) => Ok(MultiValue::from_iter([Value::Boolean(true), Value::String(lua.create_string(&b)?)])),
        Err(e) => fail(lua, e),
    })?;
    reg(lua, &t, "unpack", |lua, args| unpack(lua, &args).or_else(|e| fail(lua, e)))?;
    reg(lua, &t, "size", |lua, args| match size(&args) {
        Ok(n) => Ok(MultiValue::from_iter([Value::Boolean(true), Value::Number(n)])),
        Err(e) => fail(lua, e),
    })?;
    g.raw_set("struct", t)?;
    Ok(())
}
