//! The `cmsgpack` library as Redis bundles it (lua-cmsgpack 0.4): numbers
//! that are whole int64 values get the smallest integer type, others a
//! float when it keeps the value, else a double; a table whose keys are
//! exactly 1..n is an array, any other a map; tables nested 16 deep are
//! encoded as nil. Decoded numbers are Lua numbers (doubles).

use crate::redis_lib::reg;
use mlua::{Lua, MultiValue, Table, Value};

const MAX_NESTING: usize = 16;
/// Lua 5.1's LUAI_MAXCSTACK: the slots one C call may hold.
const MAX_C_STACK: usize = 8000;

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// C's `(int64_t)n == n` without the undefined cases.
fn as_i64(n: f64) -> Option<i64> {
    (n.is_finite() && n >= -9_223_372_036_854_775_808.0 && n < 9_223_372_036_854_775_808.0 && n.trunc() == n).then_some(n as i64)
}

fn encode_int(n: i64, b: &mut Vec<u8>) {
    if n >= 0 {
        if n <= 127 {
            b.push(n as u8);
        } else if n <= 0xff {
            b.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            b.push(0xcd);
            b.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            b.push(0xce);
            b.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            b.push(0xcf);
            b.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        b.push(n as i8 as u8);
    } else if n >= -128 {
        b.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        b.push(0xd1);
        b.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        b.push(0xd2);
        b.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        b.push(0xd3);
        b.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_number(n: f64, b: &mut Vec<u8>) {
    if let Some(i) = as_i64(n) {
        return encode_int(i, b);
    }
    let f = n as f32;
    if f as f64 == n {
        b.push(0xca);
        b.extend_from_slice(&f.to_bits().to_be_bytes());
    } else {
        b.push(0xcb);
        b.extend_from_slice(&n.to_bits().to_be_bytes());
    }
}

fn header(b: &mut Vec<u8>, len: usize, fix: u8, fix_max: usize, t16: u8, t32: u8) {
    if len <= fix_max {
        b.push(fix | len as u8);
    } else if len <= 0xffff {
        b.push(t16);
        b.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        b.push(t32);
        b.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn encode_bytes(s: &[u8], b: &mut Vec<u8>) {
    let len = s.len();
    if len < 32 {
        b.push(0xa0 | len as u8);
    } else if len <= 0xff {
        b.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        b.push(0xda);
        b.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        b.push(0xdb);
        b.extend_from_slice(&(len as u32).to_be_bytes());
    }
    b.extend_from_slice(s);
}

/// Number of entries when the keys are exactly 1..n, else None.
fn array_len(t: &Table) -> mlua::Result<Option<usize>> {
    let (mut count, mut max) = (0usize, 0usize);
    for kv in t.clone().pairs::<Value, Value>() {
        let (k, _) = kv?;
        match number(&k) {
            Some(n) if n > 0.0 && n <= i32::MAX as f64 && n.trunc() == n => {
                max = max.max(n as usize);
                count += 1;
            }
            _ => return Ok(None),
        }
    }
    Ok((max == count).then_some(count))
}

fn encode(v: &Value, b: &mut Vec<u8>, level: usize) -> mlua::Result<()> {
    match v {
        Value::String(s) => encode_bytes(&s.as_bytes(), b),
        Value::Boolean(x) => b.push(if *x { 0xc3 } else { 0xc2 }),
        Value::Number(_) | Value::Integer(_) => encode_number(number(v).unwrap_or(0.0), b),
        Value::Table(t) if level < MAX_NESTING => match array_len(t)? {
            Some(n) => {
                header(b, n, 0x90, 15, 0xdc, 0xdd);
                for i in 1..=n {
                    encode(&t.get::<Value>(i)?, b, level + 1)?;
                }
            }
            None => {
                let n = t.clone().pairs::<Value, Value>().count();
                header(b, n, 0x80, 15, 0xde, 0xdf);
                for kv in t.clone().pairs::<Value, Value>() {
                    let (k, v) = kv?;
                    encode(&k, b, level + 1)?;
                    encode(&v, b, level + 1)?;
                }
            }
        },
        _ => b.push(0xc0),
    }
    Ok(())
}

enum DecErr {
    /// luaL_error text (gets the script position).
    Msg(String),
    /// A runtime error of Lua itself (no position).
    Bare(&'static str),
}

struct Cur<'a> {
    s: &'a [u8],
    pos: usize,
    /// Stack slots the C function would hold (for Lua's stack limit).
    slots: usize,
}

const EOF: &str = "Missing bytes in input.";

impl Cur<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecErr> {
        if self.s.len() - self.pos < n {
            return Err(DecErr::Msg(EOF.into()));
        }
        let r = &self.s[self.pos..self.pos + n];
        self.pos += n;
        Ok(r)
    }

    fn be(&mut self, n: usize) -> Result<u64, DecErr> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, &c| (acc << 8) | c as u64))
    }

    fn check_stack(&self, what: &str) -> Result<(), DecErr> {
        if self.slots + 1 > MAX_C_STACK {
            return Err(DecErr::Msg(format!("stack overflow ({what})")));
        }
        Ok(())
    }

    /// One encoded item: a scalar, or the header of an array or map.
    fn item(&mut self, lua: &Lua) -> Result<Item, DecErr> {
        if self.pos >= self.s.len() {
            return Err(DecErr::Msg(EOF.into()));
        }
        self.check_stack("too many return values at once; use unpack_one or unpack_limit instead.")?;
        let c = self.s[self.pos];
        let num = |n: f64| Ok(Item::V(Value::Number(n)));
        let string = |s: &[u8]| Ok(Item::V(Value::String(lua.create_string(s).map_err(|e| DecErr::Msg(e.to_string()))?)));
        match c {
            0xcc..=0xcf => {
                let n = 1usize << (c - 0xcc);
                self.take(1)?;
                num(self.be(n)? as f64)
            }
            0xd0..=0xd3 => {
                let n = 1usize << (c - 0xd0);
                self.take(1)?;
                let v = self.be(n)?;
                let shift = 64 - 8 * n as u32;
                num((((v << shift) as i64) >> shift) as f64)
            }
            0xc0 => {
                self.pos += 1;
                Ok(Item::V(Value::Nil))
            }
            0xc2 | 0xc3 => {
                self.pos += 1;
                Ok(Item::V(Value::Boolean(c == 0xc3)))
            }
            0xca => {
                self.take(1)?;
                num(f32::from_bits(self.be(4)? as u32) as f64)
            }
            0xcb => {
                self.take(1)?;
                num(f64::from_bits(self.be(8)?))
            }
            0xd9..=0xdb => {
                let n = 1usize << (c - 0xd9);
                self.take(1)?;
                let len = self.be(n)? as usize;
                let s = self.take(len)?;
                string(s)
            }
            0xdc | 0xdd => {
                self.take(1)?;
                Ok(Item::Array(self.be(if c == 0xdc { 2 } else { 4 })? as usize))
            }
            0xde | 0xdf => {
                self.take(1)?;
                Ok(Item::Map(self.be(if c == 0xde { 2 } else { 4 })? as usize))
            }
            _ if c & 0x80 == 0 => {
                self.pos += 1;
                num(c as f64)
            }
            _ if c & 0xe0 == 0xe0 => {
                self.pos += 1;
                num(c as i8 as f64)
            }
            _ if c & 0xe0 == 0xa0 => {
                self.pos += 1;
                let s = self.take((c & 0x1f) as usize)?;
                string(s)
            }
            _ if c & 0xf0 == 0x90 => {
                self.pos += 1;
                Ok(Item::Array((c & 0x0f) as usize))
            }
            _ if c & 0xf0 == 0x80 => {
                self.pos += 1;
                Ok(Item::Map((c & 0x0f) as usize))
            }
            _ => Err(DecErr::Msg("Bad data format in input.".into())),
        }
    }

    /// One value, nested containers decoded with an explicit stack (the
    /// input may nest thousands deep). `slots` follows what the C code
    /// keeps on the Lua stack: a table per open container, plus the index
    /// of an array element or the key of a map value being decoded.
    fn value(&mut self, lua: &Lua) -> Result<Value, DecErr> {
        let lerr = |e: mlua::Error| DecErr::Msg(e.to_string());
        let top = self.slots;
        let mut open: Vec<Frame> = Vec::new();
        loop {
            let mut v = match self.item(lua)? {
                Item::V(v) => v,
                Item::Array(n) => match self.open(lua, n, false, &mut open)? {
                    Some(t) => t,
                    None => continue,
                },
                Item::Map(n) => match self.open(lua, n, true, &mut open)? {
                    Some(t) => t,
                    None => continue,
                },
            };
            loop {
                let Some(f) = open.last_mut() else {
                    self.slots = top;
                    return Ok(v);
                };
                if f.is_map {
                    match f.key.take() {
                        None => {
                            f.key = Some(v);
                            self.slots = f.base + 2;
                            break;
                        }
                        Some(k) => {
                            match &k {
                                Value::Nil => return Err(DecErr::Bare("table index is nil")),
                                Value::Number(n) if n.is_nan() => return Err(DecErr::Bare("table index is NaN")),
                                _ => {}
                            }
                            f.t.raw_set(k, v).map_err(lerr)?;
                        }
                    }
                } else {
                    f.t.raw_set(f.index, v).map_err(lerr)?;
                    f.index += 1;
                }
                f.left -= 1;
                if f.left > 0 {
                    self.slots = f.base + if f.is_map { 1 } else { 2 };
                    break;
                }
                let Some(done) = open.pop() else { break };
                self.slots = done.base;
                v = Value::Table(done.t);
            }
        }
    }
}

impl Cur<'_> {
    /// A new container: Some(empty table) when it has no entries, else
    /// None with its frame opened.
    fn open(&mut self, lua: &Lua, n: usize, is_map: bool, open: &mut Vec<Frame>) -> Result<Option<Value>, DecErr> {
        let t = lua.create_table().map_err(|e| DecErr::Msg(e.to_string()))?;
        let base = self.slots;
        if !is_map {
            self.slots = base + 1;
            self.check_stack("in function mp_decode_to_lua_array")?;
        }
        if n == 0 {
            self.slots = base;
            return Ok(Some(Value::Table(t)));
        }
        self.slots = base + if is_map { 1 } else { 2 };
        open.push(Frame { t, left: n, is_map, index: 1, key: None, base });
        Ok(None)
    }
}

enum Item {
    V(Value),
    Array(usize),
    Map(usize),
}

struct Frame {
    t: Table,
    left: usize,
    is_map: bool,
    index: usize,
    key: Option<Value>,
    base: usize,
}

fn fail(lua: &Lua, e: DecErr) -> mlua::Result<MultiValue> {
    Ok(match e {
        DecErr::Msg(m) => MultiValue::from_iter([Value::Boolean(false), Value::String(lua.create_string(m)?)]),
        DecErr::Bare(m) => MultiValue::from_iter([Value::Boolean(false), Value::String(lua.create_string(m)?), Value::Boolean(true)]),
    })
}

/// luaL_checkinteger / luaL_optinteger for argument `i` (0-based).
fn int_arg(args: &MultiValue, i: usize, fname: &str, default: Option<i64>) -> Result<i64, DecErr> {
    match (args.get(i), default) {
        (None | Some(Value::Nil), Some(d)) => Ok(d),
        _ => crate::bit::check_number(args, i, fname).map(|n| n as i64).map_err(DecErr::Msg),
    }
}

/// mp_unpack_full: `limit` 0 and `offset` 0 decode everything and return
/// no offset.
fn unpack_full(lua: &Lua, s: &[u8], limit: i64, offset: i64) -> Result<MultiValue, DecErr> {
    let (limit, offset) = (limit as i32, offset as i32);
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return Err(DecErr::Msg(format!("Invalid request to unpack with offset of {offset} and limit of {}.", s.len() as i32)));
    }
    if offset as usize > s.len() {
        return Err(DecErr::Msg(format!("Start offset {offset} greater than input length {}.", s.len() as i32)));
    }
    let limit = if decode_all { i32::MAX } else { limit };
    let mut c = Cur { s, pos: offset as usize, slots: 1 };
    let mut out = MultiValue::new();
    out.push_back(Value::Boolean(true));
    let mut cnt = 0;
    while c.pos < s.len() && cnt < limit {
        let v = c.value(lua)?;
        c.slots += 1;
        out.push_back(v);
        cnt += 1;
    }
    if !decode_all {
        let next = if c.pos == s.len() { -1.0 } else { c.pos as f64 };
        out.insert(1, Value::Number(next));
    }
    Ok(out)
}

fn string_arg(lua: &Lua, args: &MultiValue, fname: &str) -> Result<Vec<u8>, DecErr> {
    let v = args.front();
    match v {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Number(_) | Value::Integer(_)) => {
            Ok(lua.coerce_string(v.cloned().unwrap_or(Value::Nil)).ok().flatten().map(|s| s.as_bytes().to_vec()).unwrap_or_default())
        }
        _ => Err(DecErr::Msg(format!("bad argument #1 to '{fname}' (string expected, got {})", crate::bit::type_name(v)))),
    }
}

pub fn install(lua: &Lua, g: &Table) -> mlua::Result<()> {
    let m = lua.create_table()?;
    reg(lua, &m, "pack", |lua, args| {
        if args.is_empty() {
            return fail(lua, DecErr::Msg("bad argument #0 to 'pack' (MessagePack pack needs input.)".into()));
        }
        let mut b = Vec::new();
        for a in args.iter() {
            encode(a, &mut b, 0)?;
        }
        Ok(MultiValue::from_iter([Value::Boolean(true), Value::String(lua.create_string(&b)?)]))
    })?;
    reg(lua, &m, "unpack", |lua, args| {
        let r = string_arg(lua, &args, "unpack").and_then(|s| unpack_full(lua, &s, 0, 0));
        r.or_else(|e| fail(lua, e))
    })?;
    reg(lua, &m, "unpack_one", |lua, args| {
        let r = (|| {
            let offset = int_arg(&args, 1, "unpack_one", Some(0))?;
            let s = string_arg(lua, &args, "unpack_one")?;
            unpack_full(lua, &s, 1, offset)
        })();
        r.or_else(|e| fail(lua, e))
    })?;
    reg(lua, &m, "unpack_limit", |lua, args| {
        let r = (|| {
            let limit = int_arg(&args, 1, "unpack_limit", None)?;
            let offset = int_arg(&args, 2, "unpack_limit", Some(0))?;
            let s = string_arg(lua, &args, "unpack_limit")?;
            unpack_full(lua, &s, limit, offset)
        })();
        r.or_else(|e| fail(lua, e))
    })?;
    m.raw_set("_NAME", "cmsgpack")?;
    m.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    m.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    m.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    g.raw_set("cmsgpack", m)?;
    Ok(())
}
