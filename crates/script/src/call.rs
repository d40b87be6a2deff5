//! redis.call / redis.pcall on the raw Lua C API.
//!
//! This is the hot path of every script, so it avoids mlua's callback
//! machinery (a registry reference per argument and per result value, a
//! MultiValue in each direction): arguments are read straight off the Lua
//! stack into a reused flat buffer, the command runs through the [`Host`]
//! into a reused reply buffer, and the reply is pushed back as Lua values
//! while it is parsed, as Redis' luaRedisGenericCommand does.
//!
//! Lua raises errors with longjmp, which must not skip Rust destructors:
//! the functions here hold no value with a destructor while calling a Lua
//! API function that may raise (only allocation failures can, besides the
//! deliberate lua_error at the end).
//!
//! [`Host`]: crate::Host

use crate::engine::RunCtx;
use mlua::ffi::{self, lua_State};
use moon_resp::{Argv, Protocol};
use std::os::raw::c_int;

/// Nesting limit for replies (as convert::MAX_DEPTH).
const MAX_DEPTH: usize = 1000;

pub(crate) unsafe extern "C-unwind" fn redis_call(l: *mut lua_State) -> c_int {
    generic(l, true)
}

pub(crate) unsafe extern "C-unwind" fn redis_pcall(l: *mut lua_State) -> c_int {
    generic(l, false)
}

/// The run context, the light userdata upvalue of both functions.
unsafe fn run_ctx<'a>(l: *mut lua_State) -> &'a RunCtx {
    &*(ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)) as *const RunCtx)
}

unsafe fn generic(l: *mut lua_State, raise: bool) -> c_int {
    let ctx = run_ctx(l);
    let argc = ffi::lua_gettop(l);
    if argc == 0 {
        return fail(l, b"Please specify at least one argument for this redis lib call", raise);
    }
    // SAFETY: redis.call does not re-enter itself (scripts cannot be run
    // from a script), so nothing else uses these buffers meanwhile.
    let buf = &mut *ctx.argbuf.get();
    let offs = &mut *ctx.argoffs.get();
    buf.clear();
    offs.clear();
    for i in 1..=argc {
        let start = buf.len();
        match ffi::lua_type(l, i) {
            ffi::LUA_TSTRING => {
                let mut len = 0;
                let p = ffi::lua_tolstring(l, i, &mut len);
                buf.extend_from_slice(std::slice::from_raw_parts(p as *const u8, len));
            }
            ffi::LUA_TNUMBER => number_arg(ffi::lua_tonumber(l, i), buf),
            _ => return fail(l, b"Lua redis lib command arguments must be strings or integers", raise),
        }
        offs.push((start, buf.len()));
    }
    let Some(mut host) = ctx.host.get() else { return fail(l, b"redis.call is not available here", raise) };
    let scratch = &mut *ctx.scratch.get();
    scratch.buf.clear();
    let resp3 = ctx.resp3.get();
    scratch.proto = if resp3 { Protocol::Resp3 } else { Protocol::Resp2 };
    // SAFETY: the host is set by Engine for the duration of the run that
    // is calling us; nothing else holds it meanwhile.
    let r = host.as_mut().call(&Argv::new(buf, offs), resp3, scratch);
    match r {
        Err(e) => {
            let t = crate::redis_lib::error_text(e.as_bytes());
            drop(e);
            push_err_table(l, &t);
            // `t` is owned: move it out of this frame before raising.
            std::mem::drop(t);
            finish_error(l, raise)
        }
        Ok(()) if scratch.buf.first() == Some(&b'-') => {
            let end = scratch.buf.len().saturating_sub(2);
            let t = crate::redis_lib::error_text(&scratch.buf[..end]);
            push_err_table(l, &t);
            std::mem::drop(t);
            finish_error(l, raise)
        }
        Ok(()) => {
            let mut pos = 0;
            push_reply(l, &scratch.buf, &mut pos, 0);
            1
        }
    }
}

/// A Lua number as a command argument, the way Redis prints it: integral
/// values in long long range as integers, others with fpconv_dtoa's
/// shortest form (not Lua's "%.14g", which loses digits).
pub(crate) fn number_arg(n: f64, buf: &mut Vec<u8>) {
    if n == 0.0 {
        buf.push(b'0');
    } else if n.is_nan() {
        buf.extend_from_slice(if n.is_sign_negative() { b"-nan" } else { b"nan" });
    } else {
        moon_resp::format_double(n, buf);
    }
}

/// Push {err=<text>} (the text already in error_text's form).
unsafe fn push_err_table(l: *mut lua_State, text: &[u8]) {
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_pushlstring(l, c"err".as_ptr(), 3);
    ffi::lua_pushlstring(l, text.as_ptr() as *const _, text.len());
    ffi::lua_rawset(l, -3);
}

/// With the error table on top: raise it (redis.call) or return it.
unsafe fn finish_error(l: *mut lua_State, raise: bool) -> c_int {
    if raise {
        ffi::lua_error(l)
    } else {
        1
    }
}

unsafe fn fail(l: *mut lua_State, msg: &[u8], raise: bool) -> c_int {
    let t = crate::redis_lib::error_text(msg);
    push_err_table(l, &t);
    drop(t);
    finish_error(l, raise)
}

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let start = (*pos).min(buf.len());
    let rest = &buf[start..];
    let end = rest.windows(2).position(|w| w == b"\r\n").unwrap_or(rest.len());
    *pos = start + end + 2;
    &rest[..end]
}

fn num(s: &[u8]) -> i64 {
    moon_resp::parse_i64(s).unwrap_or(0)
}

unsafe fn push_bytes(l: *mut lua_State, s: &[u8]) {
    ffi::lua_pushlstring(l, s.as_ptr() as *const _, s.len());
}

/// With a value on top: replace it by {key=value}.
unsafe fn wrap(l: *mut lua_State, key: &std::ffi::CStr) {
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_pushstring(l, key.as_ptr());
    ffi::lua_pushvalue(l, -3);
    ffi::lua_rawset(l, -3);
    ffi::lua_replace(l, -2);
}

/// The bulk payload of `n` bytes at `pos`, skipping its CRLF.
fn payload<'a>(buf: &'a [u8], pos: &mut usize, n: usize) -> &'a [u8] {
    let start = (*pos).min(buf.len());
    let end = start.saturating_add(n).min(buf.len());
    *pos = start.saturating_add(n).saturating_add(2);
    &buf[start..end]
}

/// Parse one reply from `buf` at `pos` and push it as the Lua value a
/// script sees (the mapping is described in `convert`). Always pushes
/// exactly one value.
unsafe fn push_reply(l: *mut lua_State, buf: &[u8], pos: &mut usize, depth: usize) {
    if *pos >= buf.len() || depth > MAX_DEPTH || ffi::lua_checkstack(l, 4) == 0 {
        ffi::lua_pushnil(l);
        return;
    }
    let kind = buf[*pos];
    *pos += 1;
    let ln = line(buf, pos);
    match kind {
        b':' => ffi::lua_pushnumber(l, num(ln) as f64),
        b'$' => {
            let n = num(ln);
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
            } else {
                push_bytes(l, payload(buf, pos, n as usize));
            }
        }
        b'+' => {
            push_bytes(l, ln);
            wrap(l, c"ok");
        }
        b'-' => {
            push_bytes(l, ln);
            wrap(l, c"err");
        }
        b'*' | b'>' => {
            let n = num(ln);
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
                return;
            }
            ffi::lua_createtable(l, n.min(1 << 16) as c_int, 0);
            for i in 0..n {
                push_reply(l, buf, pos, depth + 1);
                ffi::lua_rawseti(l, -2, (i + 1) as ffi::lua_Integer);
            }
        }
        b'_' => ffi::lua_pushnil(l),
        b'#' => ffi::lua_pushboolean(l, (ln == b"t") as c_int),
        b',' => {
            let s = std::str::from_utf8(ln).unwrap_or("0");
            let d = match s {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" => f64::NAN,
                _ => s.parse().unwrap_or(0.0),
            };
            ffi::lua_pushnumber(l, d);
            wrap(l, c"double");
        }
        b'(' => {
            push_bytes(l, ln);
            wrap(l, c"big_number");
        }
        b'=' => {
            let s = payload(buf, pos, num(ln).max(0) as usize);
            let (format, text) = if s.len() >= 4 { (&s[..3], &s[4..]) } else { (&b""[..], s) };
            ffi::lua_createtable(l, 0, 2);
            ffi::lua_pushstring(l, c"format".as_ptr());
            push_bytes(l, format);
            ffi::lua_rawset(l, -3);
            ffi::lua_pushstring(l, c"string".as_ptr());
            push_bytes(l, text);
            ffi::lua_rawset(l, -3);
            wrap(l, c"verbatim_string");
        }
        b'%' | b'~' => {
            let is_map = kind == b'%';
            let n = num(ln);
            ffi::lua_createtable(l, 0, 0);
            for _ in 0..n {
                push_reply(l, buf, pos, depth + 1);
                if is_map {
                    push_reply(l, buf, pos, depth + 1);
                } else {
                    ffi::lua_pushboolean(l, 1);
                }
                if ffi::lua_type(l, -2) == ffi::LUA_TNIL {
                    ffi::lua_settop(l, -3);
                } else {
                    ffi::lua_rawset(l, -3);
                }
            }
            wrap(l, if is_map { c"map" } else { c"set" });
        }
        b'|' => {
            // Attributes carry no data a script sees: skip them.
            let n = num(ln);
            for _ in 0..2 * n {
                push_reply(l, buf, pos, depth + 1);
                ffi::lua_settop(l, -2);
            }
            push_reply(l, buf, pos, depth);
        }
        _ => ffi::lua_pushnil(l),
    }
}
