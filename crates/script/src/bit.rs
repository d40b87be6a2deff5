//! LuaBitOp's `bit` library: 32-bit operations on Lua numbers, with its
//! conversion (the number is normalized by adding 2^52 + 2^51 and taking
//! the low 32 bits, so fractions round to nearest-even and large values wrap).

use crate::redis_lib::reg;
use mlua::{Lua, MultiValue, Table, Value};

fn tobit(n: f64) -> i32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32 as i32
}

pub(crate) fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Number(_)) | Some(Value::Integer(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(Value::LightUserData(_)) | Some(Value::UserData(_)) => "userdata",
        _ => "userdata",
    }
}

/// luaL_checknumber: numbers and numeric strings.
pub(crate) fn check_number(args: &MultiValue, i: usize, fname: &str) -> Result<f64, String> {
    let v = args.get(i);
    let n = match v {
        Some(Value::Number(n)) => Some(*n),
        Some(Value::Integer(n)) => Some(*n as f64),
        Some(Value::String(s)) => s.to_str().ok().and_then(|s| lua_str_to_number(&s)),
        _ => None,
    };
    n.ok_or_else(|| format!("bad argument #{} to '{}' (number expected, got {})", i + 1, fname, type_name(v)))
}

/// Lua 5.1's string → number coercion (decimal, hex, surrounding spaces).
pub(crate) fn lua_str_to_number(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.is_empty() {
        return None;
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let v = u64::from_str_radix(h, 16).ok()? as f64;
        return Some(if neg { -v } else { v });
    }
    if body.chars().any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
        return match body.to_ascii_lowercase().as_str() {
            "inf" | "infinity" | "nan" => {
                let v: f64 = body.parse().ok()?;
                Some(if neg { -v } else { v })
            }
            _ => None,
        };
    }
    t.parse().ok()
}

fn num(v: i32) -> Value {
    Value::Number(v as f64)
}

fn ret(lua: &Lua, r: Result<Value, String>) -> mlua::Result<MultiValue> {
    Ok(match r {
        Ok(v) => MultiValue::from_iter([Value::Boolean(true), v]),
        Err(e) => MultiValue::from_iter([Value::Boolean(false), Value::String(lua.create_string(e)?)]),
    })
}

pub fn install(lua: &Lua, g: &Table) -> mlua::Result<()> {
    let b = lua.create_table()?;
    type Unary = fn(i32) -> i32;
    let unary: [(&str, Unary); 3] = [("tobit", |x| x), ("bnot", |x| !x), ("bswap", |x| x.swap_bytes())];
    for (name, f) in unary {
        reg(lua, &b, name, move |lua, args| ret(lua, check_number(&args, 0, name).map(|n| num(f(tobit(n))))))?;
    }
    type Fold = fn(i32, i32) -> i32;
    let folds: [(&str, Fold); 3] = [("band", |a, b| a & b), ("bor", |a, b| a | b), ("bxor", |a, b| a ^ b)];
    for (name, f) in folds {
        reg(lua, &b, name, move |lua, args| {
            let r = (|| {
                let mut acc = tobit(check_number(&args, 0, name)?);
                for i in 1..args.len() {
                    acc = f(acc, tobit(check_number(&args, i, name)?));
                }
                Ok(num(acc))
            })();
            ret(lua, r)
        })?;
    }
    type Shift = fn(i32, u32) -> i32;
    let shifts: [(&str, Shift); 5] = [
        ("lshift", |x, n| ((x as u32) << n) as i32),
        ("rshift", |x, n| ((x as u32) >> n) as i32),
        ("arshift", |x, n| x >> n),
        ("rol", |x, n| (x as u32).rotate_left(n) as i32),
        ("ror", |x, n| (x as u32).rotate_right(n) as i32),
    ];
    for (name, f) in shifts {
        reg(lua, &b, name, move |lua, args| {
            let r = (|| {
                let x = tobit(check_number(&args, 0, name)?);
                let n = tobit(check_number(&args, 1, name)?) as u32 & 31;
                Ok(num(f(x, n)))
            })();
            ret(lua, r)
        })?;
    }
    reg(lua, &b, "tohex", |lua, args| {
        let r = (|| {
            let x = tobit(check_number(&args, 0, "tohex")?) as u32;
            let mut n = match args.get(1) {
                None | Some(Value::Nil) => 8,
                _ => tobit(check_number(&args, 1, "tohex")?),
            };
            let upper = n < 0;
            if upper {
                n = n.wrapping_neg();
            }
            let n = n.clamp(0, 8) as usize;
            let s = if upper { format!("{x:08X}") } else { format!("{x:08x}") };
            Ok(Value::String(lua.create_string(&s[8 - n..]).map_err(|e| e.to_string())?))
        })();
        ret(lua, r)
    })?;
    g.raw_set("bit", b)?;
    Ok(())
}
