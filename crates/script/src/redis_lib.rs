//! The `redis` table scripts see: call/pcall, reply helpers, sha1hex, log,
//! setresp, set_repl and the constants.

use crate::engine::RunCtx;
use mlua::{Function, Lua, MultiValue, Table, Value};
use std::rc::Rc;

/// Redis' error-table text (luaPushErrorBuff): "-CODE msg" keeps its code,
/// "-msg" without a space and plain "msg" get "ERR"; a trailing CR/LF is
/// trimmed.
pub fn error_text(e: &[u8]) -> Vec<u8> {
    let (code, msg): (&[u8], &[u8]) = match e.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&c| c == b' ') {
            Some(sp) => (&rest[..sp], &rest[sp + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", e),
    };
    let mut msg = msg;
    while let Some((&c, rest)) = msg.split_last() {
        if c == b'\r' || c == b'\n' {
            msg = rest;
        } else {
            break;
        }
    }
    while let Some((&c, rest)) = msg.split_first() {
        if c == b'\r' || c == b'\n' {
            msg = rest;
        } else {
            break;
        }
    }
    let mut out = Vec::with_capacity(code.len() + 1 + msg.len());
    out.extend_from_slice(code);
    out.push(b' ');
    out.extend_from_slice(msg);
    out
}

pub fn error_table(lua: &Lua, e: &[u8]) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(0, 1)?;
    t.raw_set("err", lua.create_string(error_text(e))?)?;
    Ok(Value::Table(t))
}

/// (false, {err=...}): what the raw functions return for the wrapper to raise.
fn fail(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([Value::Boolean(false), error_table(lua, msg.as_bytes())?]))
}

fn ok1(v: Value) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([Value::Boolean(true), v]))
}

/// Register `name` on `t`: a Rust function returning (true, results...) or
/// (false, error), behind a C closure that raises the error.
pub fn reg<F>(lua: &Lua, t: &Table, name: &str, f: F) -> mlua::Result<()>
where
    F: Fn(&Lua, MultiValue) -> mlua::Result<MultiValue> + 'static,
{
    let raw = lua.create_function(f)?;
    // SAFETY: the closure only pushes a C closure over the argument.
    let wrapped: Function = unsafe {
        lua.exec_raw(raw, |l| {
            mlua::ffi::lua_pushcclosure(l, checked, 1);
        })?
    };
    t.raw_set(name, wrapped)
}

/// Calls its upvalue (a raw function) with its arguments; returns the
/// results after a leading `true`, or raises the value after a `false`
/// (a string gets the caller's position unless a third value is true).
/// It is a C function so that, like Redis' own C functions, it keeps the
/// calling script's frame (a Lua wrapper would be tail-called away) and
/// string errors get the caller's position (luaL_where level 1).
unsafe extern "C-unwind" fn checked(l: *mut mlua::ffi::lua_State) -> std::os::raw::c_int {
    use mlua::ffi;
    let n = ffi::lua_gettop(l);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, n, ffi::LUA_MULTRET);
    let top = ffi::lua_gettop(l);
    if top >= 1 && ffi::lua_toboolean(l, 1) != 0 {
        return top - 1;
    }
    // (false, msg, true): a runtime error Lua itself raises inside a C
    // function (no position, like "table index is nil").
    let bare = top >= 3 && ffi::lua_toboolean(l, 3) != 0;
    ffi::lua_settop(l, 2);
    if !bare && ffi::lua_type(l, 2) == ffi::LUA_TSTRING {
        ffi::luaL_where(l, 1);
        ffi::lua_insert(l, 2);
        ffi::lua_concat(l, 2);
    }
    ffi::lua_error(l)
}

pub(crate) fn install(lua: &Lua, g: &Table, version: &str, version_num: i64, run_ctx: *const RunCtx) -> mlua::Result<()> {
    let r = lua.create_table()?;
    for (name, f) in [("call", crate::call::redis_call as mlua::ffi::lua_CFunction), ("pcall", crate::call::redis_pcall)] {
        // SAFETY: a C closure over a pointer to the run context, which
        // the Lua app data keeps alive as long as the state.
        let func: Function = unsafe {
            lua.exec_raw((), |l| {
                mlua::ffi::lua_pushlightuserdata(l, run_ctx as *mut std::ffi::c_void);
                mlua::ffi::lua_pushcclosure(l, f, 1);
            })?
        };
        r.raw_set(name, func)?;
    }
    let reply_helper = |field: &'static str, is_err: bool| {
        move |lua: &Lua, args: MultiValue| -> mlua::Result<MultiValue> {
            let s = match (args.len(), args.front()) {
                (1, Some(Value::String(s))) => s.as_bytes().to_vec(),
                // Raised without the script position, as Redis does.
                _ => {
                    let e = error_table(lua, b"wrong number or type of arguments")?;
                    if let Value::Table(t) = &e {
                        t.raw_set("no_position", true)?;
                    }
                    return Ok(MultiValue::from_iter([Value::Boolean(false), e]));
                }
            };
            let t = lua.create_table_with_capacity(0, 1)?;
            if is_err {
                let mut e = s;
                if !e.starts_with(b"-") {
                    e.insert(0, b'-');
                }
                t.raw_set(field, lua.create_string(error_text(&e))?)?;
            } else {
                t.raw_set(field, lua.create_string(&s)?)?;
            }
            ok1(Value::Table(t))
        }
    };
    reg(lua, &r, "error_reply", reply_helper("err", true))?;
    reg(lua, &r, "status_reply", reply_helper("ok", false))?;
    reg(lua, &r, "sha1hex", |lua, args| {
        if args.len() != 1 {
            return fail(lua, "wrong number of arguments");
        }
        let s = lua.coerce_string(args[0].clone())?.map(|s| s.as_bytes().to_vec()).unwrap_or_default();
        ok1(Value::String(lua.create_string(crate::sha1_hex(&s))?))
    })?;
    reg(lua, &r, "log", |lua, args| {
        if args.len() < 2 {
            return fail(lua, "redis.log() requires two arguments or more.");
        }
        let level = match &args[0] {
            Value::Number(n) => *n as i64,
            Value::Integer(n) => *n as i64,
            Value::String(s) => match s.to_str().ok().and_then(|s| s.trim().parse::<f64>().ok()) {
                Some(n) => n as i64,
                None => return fail(lua, "First argument must be a number (log level)."),
            },
            _ => return fail(lua, "First argument must be a number (log level)."),
        };
        if !(0..=3).contains(&level) {
            return fail(lua, "Invalid log level.");
        }
        let mut msg = Vec::new();
        for (i, a) in args.iter().skip(1).enumerate() {
            if i > 0 {
                msg.push(b' ');
            }
            if let Some(s) = lua.coerce_string(a.clone())? {
                msg.extend_from_slice(&s.as_bytes());
            }
        }
        with_host(lua, |h| h.log(level, &msg));
        ok1(Value::Nil)
    })?;
    reg(lua, &r, "acl_check_cmd", |lua, args| {
        if args.is_empty() {
            return fail(lua, "Please specify at least one argument for this redis lib call");
        }
        // The command line as redis.call would send it.
        let (mut buf, mut offs) = (Vec::new(), Vec::with_capacity(args.len()));
        for a in args.iter() {
            let start = buf.len();
            match a {
                Value::String(s) => buf.extend_from_slice(&s.as_bytes()),
                Value::Number(n) => crate::call::number_arg(*n, &mut buf),
                Value::Integer(i) => crate::call::number_arg(*i as f64, &mut buf),
                _ => return fail(lua, "Lua redis lib command arguments must be strings or integers"),
            }
            offs.push((start, buf.len()));
        }
        match with_host(lua, |h| h.acl_check(&moon_resp::Argv::new(&buf, &offs))) {
            Some(Ok(allowed)) => ok1(Value::Boolean(allowed)),
            Some(Err(e)) => fail(lua, &e),
            None => fail(lua, "redis.acl_check_cmd is not available here"),
        }
    })?;
    reg(lua, &r, "setresp", |lua, args| {
        if args.len() != 1 {
            return fail(lua, "redis.setresp() requires one argument.");
        }
        let v = match &args[0] {
            Value::Number(n) => *n as i64,
            Value::Integer(n) => *n as i64,
            _ => 0,
        };
        if v != 2 && v != 3 {
            return fail(lua, "RESP version must be 2 or 3.");
        }
        if let Some(ctx) = lua.app_data_ref::<Rc<RunCtx>>() {
            ctx.resp3.set(v == 3);
        }
        ok1(Value::Nil)
    })?;
    reg(lua, &r, "set_repl", |lua, args| {
        if args.len() != 1 {
            return fail(lua, "redis.set_repl() requires one argument.");
        }
        let v = match &args[0] {
            Value::Number(n) => *n as i64,
            Value::Integer(n) => *n as i64,
            _ => -1,
        };
        if !(0..=3).contains(&v) {
            return fail(lua, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
        }
        // No replication or AOF yet: the flags have nothing to steer.
        ok1(Value::Nil)
    })?;
    r.raw_set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    // The debugger (SCRIPT DEBUG) is not supported: outside a debugging
    // session Redis' breakpoint() answers false and debug() does nothing.
    r.raw_set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    r.raw_set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    for (name, v) in [("LOG_DEBUG", 0), ("LOG_VERBOSE", 1), ("LOG_NOTICE", 2), ("LOG_WARNING", 3)] {
        r.raw_set(name, v)?;
    }
    for (name, v) in [("REPL_NONE", 0), ("REPL_AOF", 1), ("REPL_SLAVE", 2), ("REPL_REPLICA", 2), ("REPL_ALL", 3)] {
        r.raw_set(name, v)?;
    }
    r.raw_set("REDIS_VERSION", version)?;
    r.raw_set("REDIS_VERSION_NUM", version_num)?;
    g.raw_set("redis", r)?;
    Ok(())
}

fn with_host<R>(lua: &Lua, f: impl FnOnce(&mut dyn crate::Host) -> R) -> Option<R> {
    let mut host = lua.app_data_ref::<Rc<RunCtx>>()?.host.get()?;
    // SAFETY: set by Engine::call_raw for the duration of the run that is
    // calling us; nothing else holds the host meanwhile.
    Some(f(unsafe { host.as_mut() }))
}
