//! Conversions between Lua values and RESP, with Redis' rules.
//!
//! RESP → Lua (what `redis.call` returns): integer → number, bulk → string,
//! null bulk / null array → false, array → table, status → {ok=...},
//! error → {err=...}; with RESP3 (`redis.setresp(3)`): null → nil,
//! boolean → boolean, double → {double=n}, big number → {big_number=s},
//! verbatim → {verbatim_string={format=,string=}}, map → {map={k=v}},
//! set → {set={k=true}}.
//!
//! Lua → RESP (what a script returns): number → integer (truncated), string
//! → bulk, true → 1, false → null (a RESP3 boolean after setresp(3)), nil →
//! null, tables with err/ok/double/big_number/map/set/verbatim_string fields
//! → those types, other tables → an array up to the first nil.

use mlua::{Lua, Table, Value};
use moon_resp::Out;

/// Nesting limit for both directions (Redis is bounded by the Lua stack).
const MAX_DEPTH: usize = 1000;

/// Lua's number → C `long long` cast as Redis does it on x86: values that
/// do not fit (and NaN) become i64::MIN.
pub fn lua_number_to_i64(n: f64) -> i64 {
    if n.is_nan() || n >= 9_223_372_036_854_775_808.0 || n < -9_223_372_036_854_775_808.0 {
        i64::MIN
    } else {
        n as i64
    }
}

/// Write a script's return value. `resp3` is the script's protocol
/// (redis.setresp), which decides how booleans are sent.
pub fn lua_to_resp(v: &Value, out: &mut Out, resp3: bool) {
    write_value(v, out, resp3, 0)
}

fn write_value(v: &Value, out: &mut Out, resp3: bool, depth: usize) {
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Number(n) => out.int(lua_number_to_i64(*n)),
        Value::Integer(i) => out.int(*i as i64),
        Value::Boolean(b) => {
            if resp3 {
                out.bool(*b)
            } else if *b {
                out.int(1)
            } else {
                out.null()
            }
        }
        Value::Table(t) if depth < MAX_DEPTH => write_table(t, out, resp3, depth),
        Value::Table(_) => out.error("ERR reached lua stack limit"),
        _ => out.null(),
    }
}

fn field(t: &Table, name: &str) -> Value {
    t.raw_get::<Value>(name).unwrap_or(Value::Nil)
}

fn write_table(t: &Table, out: &mut Out, resp3: bool, depth: usize) {
    if let Value::String(e) = field(t, "err") {
        let e = e.as_bytes();
        out.buf.push(b'-');
        out.buf.extend(e.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
        out.buf.extend_from_slice(b"\r\n");
        return;
    }
    if let Value::String(s) = field(t, "ok") {
        let s = s.as_bytes();
        out.buf.push(b'+');
        out.buf.extend(s.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
        out.buf.extend_from_slice(b"\r\n");
        return;
    }
    match field(t, "double") {
        Value::Number(n) => return out.double(n),
        Value::Integer(n) => return out.double(n as f64),
        _ => {}
    }
    if let Value::String(s) = field(t, "big_number") {
        let s = s.as_bytes();
        if out.resp3() {
            out.buf.push(b'(');
            out.buf.extend(s.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
            out.buf.extend_from_slice(b"\r\n");
        } else {
            out.bulk(&s);
        }
        return;
    }
    if let Value::Table(m) = field(t, "map") {
        let d = out.defer();
        let mut n = 0;
        for (k, v) in m.pairs::<Value, Value>().flatten() {
            write_value(&k, out, resp3, depth + 1);
            write_value(&v, out, resp3, depth + 1);
            n += 1;
        }
        out.end_map(d, n);
        return;
    }
    if let Value::Table(s) = field(t, "set") {
        let d = out.defer();
        let mut n = 0;
        for (k, _) in s.pairs::<Value, Value>().flatten() {
            write_value(&k, out, resp3, depth + 1);
            n += 1;
        }
        out.end_set(d, n);
        return;
    }
    if let Value::Table(v) = field(t, "verbatim_string") {
        if let (Value::String(f), Value::String(s)) = (field(&v, "format"), field(&v, "string")) {
            let f = f.to_str().map(|f| f.to_string()).unwrap_or_default();
            if f.len() == 3 {
                out.verbatim(&f, &s.as_bytes());
                return;
            }
        }
    }
    let d = out.defer();
    let mut n = 0;
    loop {
        let v: Value = t.raw_get(n + 1).unwrap_or(Value::Nil);
        if v.is_nil() {
            break;
        }
        write_value(&v, out, resp3, depth + 1);
        n += 1;
    }
    out.end_array(d, n);
}

/// A reply from `Out` bytes, parsed into a Lua value. Returns the value and
/// whether the reply was an error (the caller raises it for redis.call).
pub fn resp_to_lua(lua: &Lua, buf: &[u8]) -> mlua::Result<(Value, bool)> {
    let mut pos = 0;
    let is_err = buf.first() == Some(&b'-');
    let v = read(lua, buf, &mut pos, 0)?;
    Ok((v, is_err))
}

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let start = *pos;
    let rest = &buf[start.min(buf.len())..];
    let end = rest.windows(2).position(|w| w == b"\r\n").unwrap_or(rest.len());
    *pos = start + end + 2;
    &rest[..end]
}

fn num(s: &[u8]) -> i64 {
    moon_resp::parse_i64(s).unwrap_or(0)
}

fn ok_table(lua: &Lua, key: &str, v: Value) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(0, 1)?;
    t.raw_set(key, v)?;
    Ok(Value::Table(t))
}

fn read(lua: &Lua, buf: &[u8], pos: &mut usize, depth: usize) -> mlua::Result<Value> {
    if *pos >= buf.len() || depth > MAX_DEPTH {
        return Ok(Value::Nil);
    }
    let kind = buf[*pos];
    *pos += 1;
    let l = line(buf, pos);
    Ok(match kind {
        b':' => Value::Number(num(l) as f64),
        b'$' => {
            let n = num(l);
            if n < 0 {
                return Ok(Value::Boolean(false));
            }
            let n = n as usize;
            let s = &buf[(*pos).min(buf.len())..(*pos + n).min(buf.len())];
            *pos += n + 2;
            Value::String(lua.create_string(s)?)
        }
        b'+' => ok_table(lua, "ok", Value::String(lua.create_string(l)?))?,
        b'-' => ok_table(lua, "err", Value::String(lua.create_string(l)?))?,
        b'*' | b'>' => {
            let n = num(l);
            if n < 0 {
                return Ok(Value::Boolean(false));
            }
            let t = lua.create_table_with_capacity(n.min(1 << 16) as usize, 0)?;
            for i in 0..n {
                let v = read(lua, buf, pos, depth + 1)?;
                t.raw_set(i + 1, v)?;
            }
            Value::Table(t)
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(l == b"t"),
        b',' => {
            let s = std::str::from_utf8(l).unwrap_or("0");
            let d = match s {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" => f64::NAN,
                _ => s.parse().unwrap_or(0.0),
            };
            ok_table(lua, "double", Value::Number(d))?
        }
        b'(' => ok_table(lua, "big_number", Value::String(lua.create_string(l)?))?,
        b'=' => {
            let n = num(l).max(0) as usize;
            let s = &buf[(*pos).min(buf.len())..(*pos + n).min(buf.len())];
            *pos += n + 2;
            let (format, text) = if s.len() >= 4 { (&s[..3], &s[4..]) } else { (&b""[..], s) };
            let v = lua.create_table_with_capacity(0, 2)?;
            v.raw_set("format", lua.create_string(format)?)?;
            v.raw_set("string", lua.create_string(text)?)?;
            ok_table(lua, "verbatim_string", Value::Table(v))?
        }
        b'%' => {
            let n = num(l);
            let m = lua.create_table()?;
            for _ in 0..n {
                let k = read(lua, buf, pos, depth + 1)?;
                let v = read(lua, buf, pos, depth + 1)?;
                if !k.is_nil() {
                    m.raw_set(k, v)?;
                }
            }
            ok_table(lua, "map", Value::Table(m))?
        }
        b'~' => {
            let n = num(l);
            let m = lua.create_table()?;
            for _ in 0..n {
                let k = read(lua, buf, pos, depth + 1)?;
                if !k.is_nil() {
                    m.raw_set(k, true)?;
                }
            }
            ok_table(lua, "set", Value::Table(m))?
        }
        b'|' => {
            // Attributes carry no data a script sees: skip them.
            let n = num(l);
            for _ in 0..2 * n {
                read(lua, buf, pos, depth + 1)?;
            }
            read(lua, buf, pos, depth)?
        }
        _ => Value::Nil,
    })
}
