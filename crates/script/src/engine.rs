//! The Lua state: one per server, as in Redis. Scripts are compiled once
//! (keyed by their SHA-1) and run with a per-call [`Host`].

use crate::shebang::parse_shebang;
use crate::Host;
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};
use moon_resp::{Out, Protocol};
use std::collections::HashMap;
use std::ptr::NonNull;
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

/// Per-run state the Lua callbacks reach through the Lua app data.
pub(crate) struct RunCtx {
    /// The host of the running call; None between runs.
    pub host: Option<NonNull<dyn Host>>,
    pub resp3: bool,
    pub scratch: Out,
}

pub struct Engine {
    pub(crate) lua: Lua,
    globals: Table,
    env: Table,
    pub(crate) handler: Function,
    pub(crate) xpcall: Function,
    scripts: HashMap<[u8; 40], Script>,
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
        lua.set_app_data(RunCtx { host: None, resp3: false, scratch: Out::new(Protocol::Resp2) });

        crate::redis_lib::install(&lua, &globals, version, version_num)?;
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
        Ok(Engine { lua, globals, env, handler, xpcall, scripts: HashMap::new(), libs: Default::default(), fenv, kill })
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
        let set = || -> mlua::Result<()> {
            self.globals.raw_set("KEYS", self.string_array(keys)?)?;
            self.globals.raw_set("ARGV", self.string_array(args)?)?;
            Ok(())
        };
        if let Err(e) = set() {
            return RunResult::Error(format!("ERR {e}"));
        }
        let name = std::str::from_utf8(sha).unwrap_or("").to_string();
        self.call_protected(host, func, MultiValue::new(), &name, out)
    }

    pub(crate) fn string_array(&self, items: &[&[u8]]) -> mlua::Result<Table> {
        let t = self.lua.create_table_with_capacity(items.len(), 0)?;
        for (i, a) in items.iter().enumerate() {
            t.raw_set(i + 1, self.lua.create_string(a)?)?;
        }
        Ok(t)
    }

    /// Call `func(args...)` under the error handler with `host` installed;
    /// `name` names it in error messages (the SHA-1, or the function name).
    pub(crate) fn call_protected(&mut self, host: &mut dyn Host, func: Function, args: MultiValue, name: &str, out: &mut Out) -> RunResult {
        self.kill.kill.store(false, Ordering::Relaxed);
        {
            let mut ctx = self.lua.app_data_mut::<RunCtx>().expect("run context");
            // SAFETY: the pointer is only dereferenced by the redis.*
            // callbacks while this call runs; it is cleared before `host`'s
            // borrow ends.
            let ptr: NonNull<dyn Host + '_> = NonNull::from(host);
            ctx.host = Some(unsafe { std::mem::transmute::<NonNull<dyn Host + '_>, NonNull<dyn Host + 'static>>(ptr) });
            ctx.resp3 = false;
        }
        let r = if args.is_empty() {
            self.xpcall.call::<MultiValue>((func, self.handler.clone()))
        } else {
            // Lua 5.1's xpcall passes no arguments: bind them first.
            self.bind(func, args).and_then(|f| self.xpcall.call::<MultiValue>((f, self.handler.clone())))
        };
        let resp3 = {
            let mut ctx = self.lua.app_data_mut::<RunCtx>().expect("run context");
            ctx.host = None;
            ctx.resp3
        };
        let killed = self.kill.kill.swap(false, Ordering::Relaxed);
        let mut vals = match r {
            Ok(v) => v.into_iter(),
            Err(e) => return RunResult::Error(format!("ERR {e}")),
        };
        let ok = matches!(vals.next(), Some(Value::Boolean(true)));
        let v = vals.next().unwrap_or(Value::Nil);
        if ok {
            crate::convert::lua_to_resp(&v, out, resp3);
            return RunResult::Done;
        }
        if killed {
            return RunResult::Error(error_line(&v, name, Some("ERR Script killed by user with SCRIPT KILL...")));
        }
        RunResult::Error(error_line(&v, name, None))
    }

    fn bind(&self, func: Function, args: MultiValue) -> mlua::Result<Function> {
        let binder: Function = match self.lua.named_registry_value::<Option<Function>>("moon.bind")? {
            Some(f) => f,
            None => {
                let f: Function = self
                    .lua
                    .load(
                        "return function(f, ...) local n, a = select('#', ...), {...} return function() return f(unpack(a, 1, n)) end end",
                    )
                    .set_name("=moon")
                    .eval()?;
                self.lua.set_named_registry_value("moon.bind", f.clone())?;
                f
            }
        };
        let mut all = MultiValue::new();
        all.push_back(Value::Function(func));
        all.extend(args);
        binder.call(all)
    }
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
