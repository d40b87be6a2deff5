//! The `cjson` library with lua-cjson's behaviour and default settings as
//! Redis ships them: numbers as %.14g, `/` escaped, sparse arrays refused
//! past ratio 2 / safe 10, depth limit 1000, cjson.null for JSON null.

use crate::redis_lib::reg;
use mlua::{Lua, MultiValue, Table, Value};

const MAX_DEPTH: usize = 1000;

/// C's printf("%.14g") (Lua 5.1 formats numbers the same way).
pub(crate) fn fmt_g14(n: f64) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf".into() } else { "inf".into() };
    }
    if n == 0.0 {
        return if n.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    const P: i32 = 14;
    let e = format!("{:.*e}", (P - 1) as usize, n);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= P {
        let mant = trim_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (P - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{:.*}", decimals, n)).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

fn escape(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            c if c < 0x20 || c == 0x7f => out.extend_from_slice(format!("\\u{:04x}", c).as_bytes()),
            c => out.push(c),
        }
    }
    out.push(b'"');
}

fn encode(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => out.extend_from_slice(fmt_g14(*i as f64).as_bytes()),
        Value::Number(n) => {
            if !n.is_finite() {
                return Err("Cannot serialise number: must not be NaN or Inf".into());
            }
            out.extend_from_slice(fmt_g14(*n).as_bytes());
        }
        Value::String(s) => escape(out, &s.as_bytes()),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > MAX_DEPTH {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match array_length(t)? {
                Some(n) if n > 0 => {
                    out.push(b'[');
                    for i in 1..=n {
                        if i > 1 {
                            out.push(b',');
                        }
                        let v: Value = t.raw_get(i).map_err(|e| e.to_string())?;
                        encode(&v, out, depth)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    let mut first = true;
                    for pair in t.clone().pairs::<Value, Value>() {
                        let (k, v) = pair.map_err(|e| e.to_string())?;
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::String(s) => escape(out, &s.as_bytes()),
                            Value::Number(n) => escape(out, fmt_g14(*n).as_bytes()),
                            Value::Integer(n) => escape(out, fmt_g14(*n as f64).as_bytes()),
                            other => {
                                return Err(format!(
                                    "Cannot serialise {}: table key must be a number or string",
                                    crate::bit::type_name(Some(other))
                                ))
                            }
                        }
                        out.push(b':');
                        encode(&v, out, depth)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => return Err(format!("Cannot serialise {}: type not supported", crate::bit::type_name(Some(other)))),
    }
    Ok(())
}

/// Some(max index) when every key is a positive integer, None otherwise.
fn array_length(t: &Table) -> Result<Option<usize>, String> {
    let mut max = 0usize;
    let mut items = 0usize;
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair.map_err(|e| e.to_string())?;
        let n = match k {
            Value::Number(n) => n,
            Value::Integer(n) => n as f64,
            _ => return Ok(None),
        };
        if n < 1.0 || n.floor() != n {
            return Ok(None);
        }
        max = max.max(n as usize);
        items += 1;
    }
    if max > 10 && max > items * 2 {
        return Err("Cannot serialise table: excessively sparse array".into());
    }
    Ok(Some(max))
}

struct Decoder<'a> {
    s: &'a [u8],
    pos: usize,
    lua: &'a Lua,
}

#[derive(Clone, Copy, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Num,
    Bool,
    Null,
    Colon,
    Comma,
    End,
    Error,
}

fn tok_name(t: Tok) -> &'static str {
    match t {
        Tok::ObjBegin => "T_OBJ_BEGIN",
        Tok::ObjEnd => "T_OBJ_END",
        Tok::ArrBegin => "T_ARR_BEGIN",
        Tok::ArrEnd => "T_ARR_END",
        Tok::Str => "T_STRING",
        Tok::Num => "T_NUMBER",
        Tok::Bool => "T_BOOLEAN",
        Tok::Null => "T_NULL",
        Tok::Colon => "T_COLON",
        Tok::Comma => "T_COMMA",
        Tok::End => "T_END",
        Tok::Error => "invalid token",
    }
}

impl Decoder<'_> {
    /// The next token, its start (1-based character), and its value.
    fn next(&mut self) -> (Tok, usize, Value) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let at = self.pos + 1;
        let Some(&c) = self.s.get(self.pos) else { return (Tok::End, at, Value::Nil) };
        let simple = match c {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(t) = simple {
            self.pos += 1;
            return (t, at, Value::Nil);
        }
        if c == b'"' {
            return match self.string() {
                Some(v) => (Tok::Str, at, v),
                None => (Tok::Error, at, Value::Nil),
            };
        }
        let rest = &self.s[self.pos..];
        for (word, tok, v) in [
            (&b"true"[..], Tok::Bool, Value::Boolean(true)),
            (b"false", Tok::Bool, Value::Boolean(false)),
            (b"null", Tok::Null, Value::NULL),
        ] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return (tok, at, v);
            }
        }
        if c == b'-' || c.is_ascii_digit() || matches!(c, b'+' | b'i' | b'I' | b'n' | b'N' | b'.') {
            if let Some((n, len)) = strtod(rest) {
                self.pos += len;
                return (Tok::Num, at, Value::Number(n));
            }
        }
        (Tok::Error, at, Value::Nil)
    }

    fn string(&mut self) -> Option<Value> {
        let mut out = Vec::new();
        let s = self.s;
        let mut i = self.pos + 1;
        loop {
            let c = *s.get(i)?;
            i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *s.get(i)?;
                    i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = hex4(s.get(i..i + 4)?)?;
                            i += 4;
                            if (0xD800..0xDC00).contains(&cp) {
                                if s.get(i) != Some(&b'\\') || s.get(i + 1) != Some(&b'u') {
                                    return None;
                                }
                                let lo = hex4(s.get(i + 2..i + 6)?)?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                i += 6;
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            } else if (0xDC00..0xE000).contains(&cp) {
                                return None;
                            }
                            let ch = char::from_u32(cp)?;
                            let mut b = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                        }
                        _ => return None,
                    }
                }
                c => out.push(c),
            }
        }
        self.pos = i;
        self.lua.create_string(out).ok().map(Value::String)
    }

    fn value(&mut self, tok: (Tok, usize, Value), depth: usize) -> Result<Value, String> {
        let (t, at, v) = tok;
        match t {
            Tok::Str | Tok::Num | Tok::Bool | Tok::Null => Ok(v),
            Tok::ObjBegin | Tok::ArrBegin => {
                let depth = depth + 1;
                if depth > MAX_DEPTH {
                    return Err(format!("Found too many nested data structures ({depth}) at character {at}"));
                }
                let table = self.lua.create_table().map_err(|e| e.to_string())?;
                if t == Tok::ArrBegin {
                    let first = self.next();
                    if first.0 == Tok::ArrEnd {
                        return Ok(Value::Table(table));
                    }
                    let mut tok = first;
                    let mut i = 1;
                    loop {
                        let v = self.value(tok, depth)?;
                        table.raw_set(i, v).map_err(|e| e.to_string())?;
                        i += 1;
                        let (sep, at, _) = self.next();
                        match sep {
                            Tok::ArrEnd => return Ok(Value::Table(table)),
                            Tok::Comma => tok = self.next(),
                            other => return Err(format!("Expected comma or array end but found {} at character {at}", tok_name(other))),
                        }
                    }
                }
                let mut tok = self.next();
                if tok.0 == Tok::ObjEnd {
                    return Ok(Value::Table(table));
                }
                loop {
                    if tok.0 != Tok::Str {
                        return Err(format!("Expected object key string but found {} at character {}", tok_name(tok.0), tok.1));
                    }
                    let key = tok.2;
                    let (c, at, _) = self.next();
                    if c != Tok::Colon {
                        return Err(format!("Expected colon but found {} at character {at}", tok_name(c)));
                    }
                    let vt = self.next();
                    let v = self.value(vt, depth)?;
                    table.raw_set(key, v).map_err(|e| e.to_string())?;
                    let (sep, at, _) = self.next();
                    match sep {
                        Tok::ObjEnd => return Ok(Value::Table(table)),
                        Tok::Comma => tok = self.next(),
                        other => return Err(format!("Expected comma or object end but found {} at character {at}", tok_name(other))),
                    }
                }
            }
            other => Err(format!("Expected value but found {} at character {at}", tok_name(other))),
        }
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    u32::from_str_radix(std::str::from_utf8(b).ok()?, 16).ok()
}

/// C strtod over the longest valid prefix: decimal, hex integers, inf, nan.
pub(crate) fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let neg = match s.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let rest = &s[i..];
    let lower: Vec<u8> = rest.iter().take(8).map(|c| c.to_ascii_lowercase()).collect();
    let sign = if neg { -1.0 } else { 1.0 };
    if lower.starts_with(b"infinity") {
        return Some((sign * f64::INFINITY, i + 8));
    }
    if lower.starts_with(b"inf") {
        return Some((sign * f64::INFINITY, i + 3));
    }
    if lower.starts_with(b"nan") {
        return Some((f64::NAN, i + 3));
    }
    if lower.starts_with(b"0x") {
        let digits = rest[2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        if digits > 0 {
            let mut v = 0f64;
            for &c in &rest[2..2 + digits] {
                v = v * 16.0 + (c as char).to_digit(16).unwrap_or(0) as f64;
            }
            return Some((sign * v, i + 2 + digits));
        }
    }
    let start = i;
    let mut j = i;
    let int_digits = s[j..].iter().take_while(|c| c.is_ascii_digit()).count();
    j += int_digits;
    let mut frac_digits = 0;
    if s.get(j) == Some(&b'.') {
        frac_digits = s[j + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        j += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if matches!(s.get(j), Some(b'e') | Some(b'E')) {
        let mut k = j + 1;
        if matches!(s.get(k), Some(b'+') | Some(b'-')) {
            k += 1;
        }
        let ed = s[k..].iter().take_while(|c| c.is_ascii_digit()).count();
        if ed > 0 {
            j = k + ed;
        }
    }
    let text = std::str::from_utf8(&s[start..j]).ok()?;
    let text = if text.starts_with('.') { format!("0{text}") } else { text.to_string() };
    let text = if text.ends_with('.') { format!("{text}0") } else { text };
    let v: f64 = text.replace(".e", ".0e").replace(".E", ".0E").parse().ok()?;
    Some((sign * v, j))
}

fn ret(lua: &Lua, r: Result<Value, String>) -> mlua::Result<MultiValue> {
    Ok(match r {
        Ok(v) => MultiValue::from_iter([Value::Boolean(true), v]),
        Err(e) => MultiValue::from_iter([Value::Boolean(false), Value::String(lua.create_string(e)?)]),
    })
}

pub fn install(lua: &Lua, g: &Table) -> mlua::Result<()> {
    let c = lua.create_table()?;
    reg(lua, &c, "encode", |lua, args| {
        if args.len() != 1 {
            return ret(lua, Err("bad argument #1 to 'encode' (expected 1 argument)".into()));
        }
        let mut out = Vec::new();
        let r = encode(&args[0], &mut out, 0).and_then(|_| lua.create_string(&out).map(Value::String).map_err(|e| e.to_string()));
        ret(lua, r)
    })?;
    reg(lua, &c, "decode", |lua, args| {
        if args.len() != 1 {
            return ret(lua, Err("bad argument #1 to 'decode' (expected 1 argument)".into()));
        }
        let s = match lua.coerce_string(args[0].clone())? {
            Some(s) => s.as_bytes().to_vec(),
            None => {
                return ret(lua, Err(format!("bad argument #1 to 'decode' (string expected, got {})", crate::bit::type_name(args.front()))))
            }
        };
        let mut d = Decoder { s: &s, pos: 0, lua };
        let r = (|| {
            let first = d.next();
            let v = d.value(first, 0)?;
            let (t, at, _) = d.next();
            if t != Tok::End {
                return Err(format!("Expected the end but found {} at character {at}", tok_name(t)));
            }
            Ok(v)
        })();
        ret(lua, r)
    })?;
    c.raw_set("null", Value::NULL)?;
    g.raw_set("cjson", c)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g14() {
        assert_eq!(fmt_g14(1.5), "1.5");
        assert_eq!(fmt_g14(100.0), "100");
        assert_eq!(fmt_g14(0.1), "0.1");
        assert_eq!(fmt_g14(1e20), "1e+20");
        assert_eq!(fmt_g14(123456789012345.0), "1.2345678901234e+14");
        assert_eq!(fmt_g14(0.0001), "0.0001");
        assert_eq!(fmt_g14(0.00001), "1e-05");
        assert_eq!(fmt_g14(-2.5), "-2.5");
        assert_eq!(fmt_g14(1.0 / 3.0), "0.33333333333333");
    }

    #[test]
    fn strtod_prefixes() {
        assert_eq!(strtod(b"12abc"), Some((12.0, 2)));
        assert_eq!(strtod(b"-1.5e3,"), Some((-1500.0, 6)));
        assert_eq!(strtod(b"0x1F"), Some((31.0, 4)));
        assert_eq!(strtod(b"abc"), None);
    }
}
