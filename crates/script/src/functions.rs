//! Function libraries (FUNCTION LOAD / FCALL): a library is Lua code with
//! a `#!lua name=<lib>` header that calls redis.register_function while it
//! loads. The code runs in a restricted environment (only `redis` with
//! register_function, log and the constants); the functions it registers
//! later run with the full script globals.

use crate::engine::{Engine, RunResult};
use crate::redis_lib::reg;
use crate::Host;
use mlua::{Function, MultiValue, Table, Value};
use moon_resp::Out;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

/// How long a library's top-level code may run (Redis' load timeout).
const LOAD_TIMEOUT_MS: i64 = 500;

pub struct FunctionDef {
    pub name: String,
    pub func: Function,
    pub flags: u32,
    pub desc: Option<Vec<u8>>,
}

pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    pub functions: Vec<FunctionDef>,
}

#[derive(Default)]
pub struct Libraries {
    pub libs: HashMap<String, Library>,
    /// Function name (lowercase: names are case-insensitive) → its
    /// library's name.
    pub index: HashMap<String, String>,
}

/// Functions registered by the library being loaded (Lua app data).
pub(crate) struct LoadCtx {
    pub active: bool,
    pub funcs: Vec<FunctionDef>,
}

/// Letters, digits and underscores, at least one.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

const NAME_RULES: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// The library name and where the code after the header line starts.
fn metadata(code: &[u8]) -> Result<(String, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&c| c == b'\n') else { return Err("Invalid library metadata".into()) };
    let parts = moon_resp::split_args(&code[..end]).ok_or("Invalid library metadata")?;
    let Some(first) = parts.first() else { return Err("Invalid library metadata".into()) };
    let engine = &first[2.min(first.len())..];
    let mut name: Option<Vec<u8>> = None;
    for p in &parts[1..] {
        if p.len() >= 5 && p[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err("Invalid metadata value, name argument was given multiple times".into());
            }
            name = Some(p[5..].to_vec());
            continue;
        }
        return Err(format!("Invalid metadata value given: {}", String::from_utf8_lossy(p)));
    }
    let Some(name) = name else { return Err("Library name was not given".into()) };
    if !valid_name(&name) {
        return Err(NAME_RULES.into());
    }
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err(format!("Engine '{}' not found", String::from_utf8_lossy(engine)));
    }
    Ok((String::from_utf8_lossy(&name).into_owned(), end))
}

fn is_string(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Integer(_))
}

fn to_bytes(lua: &mlua::Lua, v: &Value) -> Vec<u8> {
    lua.coerce_string(v.clone()).ok().flatten().map(|s| s.as_bytes().to_vec()).unwrap_or_default()
}

fn fail(lua: &mlua::Lua, msg: &str) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([Value::Boolean(false), crate::redis_lib::error_table(lua, msg.as_bytes())?]))
}

/// redis.register_function(name, callback) or ({function_name=...,
/// callback=..., flags={...}, description=...}).
fn register(lua: &mlua::Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let active = lua.app_data_ref::<LoadCtx>().is_some_and(|c| c.active);
    if !active {
        return fail(lua, "redis.register_function can only be called on FUNCTION LOAD command");
    }
    if args.is_empty() || args.len() > 2 {
        return fail(lua, "wrong number of arguments to redis.register_function");
    }
    let (mut name, mut func, mut flags, mut desc) = (None, None, 0u32, None);
    if args.len() == 2 {
        if !is_string(&args[0]) {
            return fail(lua, "first argument to redis.register_function must be a string");
        }
        name = Some(to_bytes(lua, &args[0]));
        match &args[1] {
            Value::Function(f) => func = Some(f.clone()),
            _ => return fail(lua, "second argument to redis.register_function must be a function"),
        }
    } else {
        let Value::Table(t) = &args[0] else {
            return fail(
                lua,
                "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
            );
        };
        for kv in t.clone().pairs::<Value, Value>() {
            let (k, v) = kv?;
            if !is_string(&k) {
                return fail(lua, "named argument key given to redis.register_function is not a string");
            }
            let key = to_bytes(lua, &k);
            if key.eq_ignore_ascii_case(b"function_name") {
                if !is_string(&v) {
                    return fail(lua, "function_name argument given to redis.register_function must be a string");
                }
                name = Some(to_bytes(lua, &v));
            } else if key.eq_ignore_ascii_case(b"description") {
                if !is_string(&v) {
                    return fail(lua, "description argument given to redis.register_function must be a string");
                }
                desc = Some(to_bytes(lua, &v));
            } else if key.eq_ignore_ascii_case(b"callback") {
                match v {
                    Value::Function(f) => func = Some(f),
                    _ => return fail(lua, "callback argument given to redis.register_function must be a function"),
                }
            } else if key.eq_ignore_ascii_case(b"flags") {
                let Value::Table(ft) = v else {
                    return fail(lua, "flags argument to redis.register_function must be a table representing function flags");
                };
                let mut i = 1;
                loop {
                    let f: Value = ft.get(i)?;
                    i += 1;
                    if f == Value::Nil {
                        break;
                    }
                    let found = is_string(&f).then(|| to_bytes(lua, &f)).and_then(|n| {
                        crate::shebang::flags::NAMES.iter().find(|(_, s)| s.as_bytes().eq_ignore_ascii_case(&n)).map(|p| p.0)
                    });
                    match found {
                        Some(b) => flags |= b,
                        None => return fail(lua, "unknown flag given"),
                    }
                }
            } else {
                return fail(lua, "unknown argument given to redis.register_function");
            }
        }
        if name.is_none() {
            return fail(lua, "redis.register_function must get a function name argument");
        }
        if func.is_none() {
            return fail(lua, "redis.register_function must get a callback argument");
        }
    }
    let (Some(name), Some(func)) = (name, func) else { return fail(lua, "wrong number of arguments to redis.register_function") };
    if !valid_name(&name) {
        return fail(lua, NAME_RULES);
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    let mut ctx = lua.app_data_mut::<LoadCtx>().expect("load context");
    // Case-sensitive here (unlike FCALL's lookup), as in Redis.
    if ctx.funcs.iter().any(|f| f.name == name) {
        drop(ctx);
        return fail(lua, "Function already exists in the library");
    }
    ctx.funcs.push(FunctionDef { name, func, flags, desc });
    Ok(MultiValue::from_iter([Value::Boolean(true)]))
}

const ENV_CHUNK: &str = r#"
local G, register, log, version, version_num = ...
local rawget, error, tostring, setmetatable = rawget, error, tostring, setmetatable
local function missing(k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 3)
end
local function readonly()
  error('Attempt to modify a readonly table', 2)
end
local api = { register_function = register, log = log, LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2,
  LOG_WARNING = 3, REDIS_VERSION = version, REDIS_VERSION_NUM = version_num }
local api_proxy = setmetatable({}, {
  __index = function(_, k) local v = rawget(api, k) if v == nil then missing(k) end return v end,
  __newindex = readonly, __metatable = false })
local load_globals = { redis = api_proxy }
local state = { loading = false }
local env = setmetatable({}, {
  __index = function(_, k)
    local v
    if state.loading then v = rawget(load_globals, k) else v = rawget(G, k) end
    if v == nil then missing(k) end
    return v
  end,
  __newindex = readonly, __metatable = false })
return env, state
"#;

pub(crate) struct FunctionEnv {
    pub env: Table,
    pub state: Table,
}

pub(crate) fn install(lua: &mlua::Lua, globals: &Table, version: &str, version_num: i64) -> mlua::Result<FunctionEnv> {
    let holder = lua.create_table()?;
    reg(lua, &holder, "register_function", register)?;
    let register_fn: Function = holder.raw_get("register_function")?;
    let redis: Table = globals.get("redis")?;
    let log: Function = redis.get("log")?;
    lua.set_app_data(LoadCtx { active: false, funcs: Vec::new() });
    let chunk = lua.load(ENV_CHUNK).set_name("=moon").into_function()?;
    let (env, state): (Table, Table) = chunk.call((globals.clone(), register_fn, log, version, version_num))?;
    Ok(FunctionEnv { env, state })
}

impl Engine {
    /// FUNCTION LOAD: compile and run a library, register its functions.
    /// Err is the reply text without the "ERR " prefix.
    /// `timed`: stop top-level code running past the load timeout (FUNCTION
    /// LOAD); restoring a payload or an RDB file has no timeout, as in Redis.
    pub fn load_library(&mut self, code: &[u8], replace: bool, timed: bool) -> Result<String, String> {
        let (name, header_end) = metadata(code)?;
        if !replace && self.libs.libs.contains_key(&name) {
            return Err(format!("Library '{name}' already exists"));
        }
        let env = self.fenv.env.clone();
        let chunk = self.compile(&code[header_end..], "@user_function", &env).map_err(|e| format!("Error compiling function: {e}"))?;
        let funcs = self.run_loader(chunk, timed)?;
        if funcs.is_empty() {
            return Err("No functions registered".into());
        }
        for f in &funcs {
            if let Some(owner) = self.libs.index.get(&f.name.to_ascii_lowercase()) {
                if *owner != name {
                    return Err(format!("Function {} already exists", f.name));
                }
            }
        }
        self.delete_library(&name);
        for f in &funcs {
            self.libs.index.insert(f.name.to_ascii_lowercase(), name.clone());
        }
        self.libs.libs.insert(name.clone(), Library { name: name.clone(), code: code.to_vec(), functions: funcs });
        Ok(name)
    }

    /// Run a library's top-level code in the load environment.
    fn run_loader(&mut self, chunk: Function, timed: bool) -> Result<Vec<FunctionDef>, String> {
        let _ = self.fenv.state.raw_set("loading", true);
        if let Some(mut c) = self.lua.app_data_mut::<LoadCtx>() {
            c.active = true;
            c.funcs.clear();
        }
        self.kill.kill.store(false, Ordering::Relaxed);
        if timed {
            self.kill.deadline.store(now_ms() + LOAD_TIMEOUT_MS, Ordering::Relaxed);
        }
        let r = self.xpcall.call::<MultiValue>((chunk, self.handler.clone()));
        self.kill.deadline.store(0, Ordering::Relaxed);
        let timed_out = self.kill.kill.swap(false, Ordering::Relaxed);
        let _ = self.fenv.state.raw_set("loading", false);
        let funcs = match self.lua.app_data_mut::<LoadCtx>() {
            Some(mut c) => {
                c.active = false;
                std::mem::take(&mut c.funcs)
            }
            None => Vec::new(),
        };
        let mut vals = r.map_err(|e| format!("Error registering functions: ERR {e}"))?.into_iter();
        if matches!(vals.next(), Some(Value::Boolean(true))) {
            return Ok(funcs);
        }
        if timed_out {
            return Err("Error registering functions: ERR FUNCTION LOAD timeout".into());
        }
        let msg = match vals.next() {
            Some(Value::Table(t)) => match t.raw_get::<Value>("err") {
                Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                _ => String::new(),
            },
            _ => String::new(),
        };
        Err(format!("Error registering functions: {msg}"))
    }

    /// Remove a library and its functions; false when there is none.
    pub fn delete_library(&mut self, name: &str) -> bool {
        let Some(lib) = self.libs.libs.remove(name) else { return false };
        for f in &lib.functions {
            self.libs.index.remove(&f.name.to_ascii_lowercase());
        }
        true
    }

    pub fn flush_libraries(&mut self) {
        self.libs = Libraries::default();
        let _ = self.lua.gc_collect();
    }

    pub fn libraries(&self) -> &Libraries {
        &self.libs
    }

    /// Swap the whole set of libraries (FUNCTION RESTORE keeps the old set
    /// when loading the new one fails).
    pub fn take_libraries(&mut self) -> Libraries {
        std::mem::take(&mut self.libs)
    }

    pub fn set_libraries(&mut self, libs: Libraries) {
        self.libs = libs;
    }

    /// The flags of a function, None when there is no such function.
    pub fn function_flags(&self, name: &[u8]) -> Option<u32> {
        let name = std::str::from_utf8(name).ok()?;
        let lib = self.libs.index.get(&name.to_ascii_lowercase())?;
        self.libs.libs.get(lib)?.functions.iter().rev().find(|f| f.name.eq_ignore_ascii_case(name)).map(|f| f.flags)
    }

    /// FCALL: call a function with its keys and arguments as two tables.
    pub fn call_function(&mut self, host: &mut dyn Host, name: &[u8], keys: &[&[u8]], args: &[&[u8]], out: &mut Out) -> RunResult {
        let found = std::str::from_utf8(name).ok().and_then(|n| {
            let lib = self.libs.index.get(&n.to_ascii_lowercase())?;
            self.libs
                .libs
                .get(lib)?
                .functions
                .iter()
                .rev()
                .find(|f| f.name.eq_ignore_ascii_case(n))
                .map(|f| (f.func.clone(), f.name.clone()))
        });
        let Some((func, fname)) = found else { return RunResult::Error("ERR Function not found".into()) };
        self.call_raw(host, &func, keys, args, true, &fname, out)
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// FUNCTION RESTORE APPEND/REPLACE: join restored libraries into the
/// current ones. On a collision Err gives back the current set untouched.
pub fn merge(mut dst: Libraries, src: Libraries, replace: bool) -> Result<Libraries, (Libraries, String)> {
    for name in src.libs.keys() {
        if !replace && dst.libs.contains_key(name) {
            return Err((dst, format!("Library {name} already exists")));
        }
    }
    // Libraries `src` replaces leave first, so their functions may be
    // redefined; they come back if a function still collides.
    let mut removed = Vec::new();
    for name in src.libs.keys() {
        if let Some(lib) = dst.libs.remove(name) {
            for f in &lib.functions {
                dst.index.remove(&f.name.to_ascii_lowercase());
            }
            removed.push(lib);
        }
    }
    if let Some(f) = src.index.keys().find(|f| dst.index.contains_key(*f)) {
        // The index holds lowercase names; the error shows the registered one.
        let shown =
            src.libs.values().flat_map(|l| l.functions.iter()).find(|x| x.name.eq_ignore_ascii_case(f)).map_or(f.as_str(), |x| &x.name);
        let e = format!("Function {shown} already exists");
        for lib in removed {
            for f in &lib.functions {
                dst.index.insert(f.name.to_ascii_lowercase(), lib.name.clone());
            }
            dst.libs.insert(lib.name.clone(), lib);
        }
        return Err((dst, e));
    }
    dst.index.extend(src.index);
    dst.libs.extend(src.libs);
    Ok(dst)
}
