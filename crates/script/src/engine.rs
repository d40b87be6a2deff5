//! The Lua state: one per server, as in Redis. Scripts are compiled once
//! (keyed by their SHA-1) and run with a per-call [`Host`].

use crate::shebang::parse_shebang;
use crate::Host;
use mlua::{ffi, Function, HookTriggers, Lua, LuaOptions, StdLib, Table, Value, VmState};
use moon_resp::{Out, Protocol};
use std::cell::{Cell, UnsafeCell};
use std::collections::HashMap;
use std::os::raw::c_int;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Instructions between two checks for SCRIPT KILL (Redis uses the same).
const HOOK_EVERY: u32 = 100_000;

/// Shared between the engine and the commands that may stop a script.
#[derive(Default)]
pub struct KillState {
    pub kill: AtomicBool,
    /// A deadline (unix ms) for the running code, 0: none (library loads).
    pub deadline: std::sync::atomic::AtomicI64,
    /// When the running script turns busy (unix ms, 0: not armed): the
    /// hook then calls `on_busy` once.
    pub busy_at: std::sync::atomic::AtomicI64,
    /// What the host does when a script turns busy (the server hands its
    /// I/O thread's other connections to another thread).
    pub on_busy: std::sync::OnceLock<fn()>,
}

pub struct Script {
    pub func: Function,
    pub flags: u32,
    pub body: Vec<u8>,
}

/// What happened to a run.
#[derive(Debug, PartialEq, Eq)]
pub enum RunResult {
    /// The reply (possibly an error reply the script returned) is written.
    Done,
    /// The script raised an error: the full error line (no leading '-').
    Error(String),
}

/// Per-run state of the redis.* functions: the mlua callbacks reach it
/// through the Lua app data (an `Rc<RunCtx>`), the raw redis.call through
/// a light userdata upvalue pointing at the same allocation.
pub(crate) struct RunCtx {
    /// The host of the running call; None between runs.
    pub host: Cell<Option<NonNull<dyn Host>>>,
    pub resp3: Cell<bool>,
    /// redis.call's reply buffer and argument buffers, reused by every
    /// call (only redis.call touches them, and it never re-enters).
    pub scratch: UnsafeCell<Out>,
    pub argbuf: UnsafeCell<Vec<u8>>,
    pub argoffs: UnsafeCell<Vec<(usize, usize)>>,
}

/// The pseudo-index of the error handler in [`Engine::call_raw`]'s frame.
const HANDLER_IDX: c_int = 1;

pub struct Engine {
    pub(crate) lua: Lua,
    run_ctx: Rc<RunCtx>,
    env: Table,
    pub(crate) handler: Function,
    pub(crate) xpcall: Function,
    /// By SHA-1 (hex); looked up on every EVALSHA, so a fast hasher.
    scripts: HashMap<[u8; 40], Script, foldhash::fast::RandomState>,
    pub(crate) libs: crate::functions::Libraries,
    pub(crate) fenv: crate::functions::FunctionEnv,
    pub kill: Arc<KillState>,
}

// SAFETY: the Lua state and every handle into it (functions, tables) live
// inside the Engine, which the server keeps behind a Mutex: at most one
// thread touches the state at a time, and no handle escapes the Engine, so
// the non-atomic reference counts mlua uses are never raced. (mlua's "send"
// feature would lock a mutex on every Lua API call instead.)
unsafe impl Send for Engine {}

impl Engine {
    pub fn new(version: &str, version_num: i64) -> Engine {
        // SAFETY: the debug library is loaded only so the sandbox prelude
        // can keep debug.getinfo for its error handler; the prelude removes
        // `debug` from the globals before any script runs.
        let lua = unsafe {
            Lua::unsafe_new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG | StdLib::OS, LuaOptions::default())
        };
        let kill = Arc::new(KillState::default());
        Self::build(lua, kill, version, version_num).expect("the Lua sandbox prelude runs")
    }

    fn build(lua: Lua, kill: Arc<KillState>, version: &str, version_num: i64) -> mlua::Result<Engine> {
        let globals = lua.globals();
        // os: only clock, as in Redis.
        let os: Table = globals.get("os")?;
        let clock: Function = os.get("clock")?;
        let small_os = lua.create_table()?;
        small_os.set("clock", clock)?;
        globals.set("os", small_os)?;
        let run_ctx = Rc::new(RunCtx {
            host: Cell::new(None),
            resp3: Cell::new(false),
            scratch: UnsafeCell::new(Out::new(Protocol::Resp2)),
            argbuf: UnsafeCell::new(Vec::new()),
            argoffs: UnsafeCell::new(Vec::new()),
        });
        lua.set_app_data(run_ctx.clone());

        crate::redis_lib::install(&lua, &globals, version, version_num, Rc::as_ptr(&run_ctx))?;
        crate::bit::install(&lua, &globals)?;
        crate::cjson::install(&lua, &globals)?;
        crate::cmsgpack::install(&lua, &globals)?;
        crate::structlib::install(&lua, &globals)?;

        let prelude: Function = lua.load(include_str!("prelude.lua")).set_name("=moon").into_function()?;
        let (env, handler): (Table, Function) = prelude.call(globals.clone())?;
        let xpcall: Function = globals.get("xpcall")?;
        let fenv = crate::functions::install(&lua, &globals, version, version_num)?;

        let k = kill.clone();
        lua.set_hook(HookTriggers::new().every_nth_instruction(HOOK_EVERY), move |_lua, _dbg| {
            let busy_at = k.busy_at.load(Ordering::Relaxed);
            if busy_at != 0 && crate::functions::now_ms() >= busy_at {
                k.busy_at.store(0, Ordering::Relaxed);
                if let Some(f) = k.on_busy.get() {
                    f();
                }
            }
            let deadline = k.deadline.load(Ordering::Relaxed);
            if deadline != 0 && crate::functions::now_ms() > deadline {
                k.kill.store(true, Ordering::Relaxed);
            }
            if k.kill.load(Ordering::Relaxed) {
                Err(mlua::Error::runtime("Script killed by user with SCRIPT KILL..."))
            } else {
                Ok(VmState::Continue)
            }
        });
        Ok(Engine { lua, run_ctx, env, handler, xpcall, scripts: HashMap::default(), libs: Default::default(), fenv, kill })
    }

    /// Compile `body` as an EVAL script (unless cached) and return its SHA-1.
    pub fn load_script(&mut self, body: &[u8]) -> Result<[u8; 40], String> {
        let sha = crate::sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, skip) = parse_shebang(body)?;
        let func = self
            .compile(&body[skip..], "@user_script", &self.env.clone())
            .map_err(|e| format!("ERR Error compiling script (new function): {e}"))?;
        self.scripts.insert(sha, Script { func, flags, body: body.to_vec() });
        Ok(sha)
    }

    /// Compile a chunk with its globals; Err is Lua's message.
    pub(crate) fn compile(&self, code: &[u8], name: &str, env: &Table) -> Result<Function, String> {
        self.lua.load(code).set_name(name).set_environment(env.clone()).into_function().map_err(|e| match e {
            mlua::Error::SyntaxError { message, .. } => message,
            other => other.to_string(),
        })
    }

    pub fn script(&self, sha: &[u8]) -> Option<&Script> {
        let key: &[u8; 40] = sha.try_into().ok()?;
        self.scripts.get(key)
    }

    /// The cached script for a SHA given in any letter case.
    pub fn script_ci(&self, sha: &[u8]) -> Option<[u8; 40]> {
        let mut key: [u8; 40] = sha.try_into().ok()?;
        key.make_ascii_lowercase();
        self.scripts.contains_key(&key).then_some(key)
    }

    pub fn script_count(&self) -> usize {
        self.scripts.len()
    }

    pub fn scripts_memory(&self) -> usize {
        self.scripts.values().map(|s| s.body.len() + 40).sum()
    }

    /// SCRIPT FLUSH: forget every cached script and collect their memory.
    pub fn flush_scripts(&mut self) {
        self.scripts.clear();
        let _ = self.lua.gc_collect();
    }

    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }

    /// Run a cached script with KEYS and ARGV set, writing its reply to
    /// `out`. The caller holds the world exclusively.
    pub fn run_script(&mut self, host: &mut dyn Host, sha: &[u8; 40], keys: &[&[u8]], args: &[&[u8]], out: &mut Out) -> RunResult {
        let Some(s) = self.scripts.get(sha) else { return RunResult::Error("NOSCRIPT No matching script. Please use EVAL.".into()) };
        let func = s.func.clone();
        let name = std::str::from_utf8(sha).unwrap_or("");
        self.call_raw(host, &func, keys, args, false, name, out)
    }

    /// Call `func` under the error handler with `host` installed: a script
    /// (`as_args` false) sees `keys`/`args` as the globals KEYS and ARGV, a
    /// function gets them as its two arguments. `name` names it in error
    /// messages (the SHA-1, or the function name).
    ///
    /// The tables are built and the call made on the raw C API in one
    /// protected frame, as Redis does it: no mlua handle per argument.
    pub(crate) fn call_raw(
        &mut self,
        host: &mut dyn Host,
        func: &Function,
        keys: &[&[u8]],
        args: &[&[u8]],
        as_args: bool,
        name: &str,
        out: &mut Out,
    ) -> RunResult {
        self.kill.kill.store(false, Ordering::Relaxed);
        // SAFETY: the pointer is only dereferenced by the redis.* functions
        // while this call runs; it is cleared before `host`'s borrow ends.
        let ptr: NonNull<dyn Host + '_> = NonNull::from(host);
        self.run_ctx.host.set(Some(unsafe { std::mem::transmute::<NonNull<dyn Host + '_>, NonNull<dyn Host + 'static>>(ptr) }));
        self.run_ctx.resp3.set(false);
        // SAFETY: the closure runs in a protected frame with the handler
        // at HANDLER_IDX and the function above it; it leaves (ok, value).
        // Nothing in it has a destructor a Lua error could skip.
        let r = unsafe {
            self.lua.exec_raw::<(bool, Value)>((&self.handler, func), |l| {
                if as_args {
                    push_array(l, keys);
                    push_array(l, args);
                } else {
                    push_array(l, keys);
                    set_global(l, c"KEYS");
                    push_array(l, args);
                    set_global(l, c"ARGV");
                }
                let rc = ffi::lua_pcall(l, if as_args { 2 } else { 0 }, 1, HANDLER_IDX);
                ffi::lua_pushboolean(l, (rc == 0) as c_int);
                ffi::lua_replace(l, HANDLER_IDX);
            })
        };
        self.run_ctx.host.set(None);
        let resp3 = self.run_ctx.resp3.get();
        let killed = self.kill.kill.swap(false, Ordering::Relaxed);
        let (ok, v) = match r {
            Ok(v) => v,
            Err(e) => return RunResult::Error(format!("ERR {e}")),
        };
        if ok {
            crate::convert::lua_to_resp(&v, out, resp3);
            return RunResult::Done;
        }
        if killed {
            return RunResult::Error(error_line(&v, name, Some("ERR Script killed by user with SCRIPT KILL...")));
        }
        RunResult::Error(error_line(&v, name, None))
    }
}

/// Push a new array table of `items` as Lua strings.
unsafe fn push_array(l: *mut ffi::lua_State, items: &[&[u8]]) {
    ffi::lua_createtable(l, items.len().min(c_int::MAX as usize) as c_int, 0);
    for (i, a) in items.iter().enumerate() {
        ffi::lua_pushlstring(l, a.as_ptr() as *const _, a.len());
        ffi::lua_rawseti(l, -2, (i + 1) as ffi::lua_Integer);
    }
}

/// Pop the top value into the real globals table under `name` (raw: the
/// globals' metatable only guards reads).
unsafe fn set_global(l: *mut ffi::lua_State, name: &std::ffi::CStr) {
    ffi::lua_pushstring(l, name.as_ptr());
    ffi::lua_insert(l, -2);
    ffi::lua_rawset(l, ffi::LUA_GLOBALSINDEX);
}

/// The reply line for an error the handler turned into a table.
fn error_line(v: &Value, name: &str, msg_override: Option<&str>) -> String {
    let Value::Table(t) = v else {
        return "ERR Error running script, execution failure".to_string();
    };
    let msg = match t.raw_get::<Value>("err") {
        Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
        _ => String::new(),
    };
    let source = t.raw_get::<Value>("source").ok().and_then(|s| match s {
        Value::String(s) => Some(String::from_utf8_lossy(&s.as_bytes()).into_owned()),
        _ => None,
    });
    let line = match t.raw_get::<Value>("line") {
        Ok(Value::Number(n)) => Some(n as i64),
        Ok(Value::Integer(n)) => Some(n as i64),
        _ => None,
    };
    let msg = match msg_override {
        Some(m) => m.to_string(),
        None => msg,
    };
    match (source, line) {
        (Some(s), Some(l)) => format!("{msg} script: {name}, on {s}:{l}."),
        _ => msg,
    }
}
