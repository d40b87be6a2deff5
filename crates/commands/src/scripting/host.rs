//! redis.call / redis.pcall: the checks Redis makes on a command called
//! from a script, then the command itself through the normal nested path
//! (`exec::run_nested`) into the script's scratch buffer.

use crate::client::ConnState;
use crate::spec::flag;
use crate::state::Server;
use moon_resp::{Argv, Out, Protocol};
use std::sync::atomic::Ordering::Relaxed;

pub struct CallHost<'a> {
    pub srv: &'a Server,
    pub conn: &'a mut ConnState,
    pub now: i64,
    /// EVAL_RO / EVALSHA_RO / FCALL_RO or a no-writes script.
    pub read_only: bool,
    /// A script with a shebang that did not declare allow-oom.
    pub deny_oom: bool,
}

impl<'a> CallHost<'a> {
    pub fn new(srv: &'a Server, conn: &'a mut ConnState, now: i64, read_only: bool, deny_oom: bool) -> Self {
        CallHost { srv, conn, now, read_only, deny_oom }
    }

    /// The table entry of a command line, with the script-call errors.
    fn check(&mut self, args: &Argv) -> Result<(), String> {
        let table = &self.srv.table;
        let Some(mut id) = table.lookup(args.get(0)) else { return Err("Unknown Redis command called from script".into()) };
        if !table.get(id).def.subcommands.is_empty() && args.len() >= 2 {
            match table.lookup_sub(id, args.get(1)) {
                Some(s) => id = s,
                None => return Err("Unknown Redis command called from script".into()),
            }
        }
        let def = table.get(id).def;
        let argc = args.len() as i32;
        if (def.arity > 0 && argc != def.arity) || argc < -def.arity {
            return Err("Wrong number of args calling Redis command from script".into());
        }
        if def.has(flag::NOSCRIPT) {
            return Err("This Redis command is not allowed from script".into());
        }
        // The caller's user must be allowed the command (logged with the
        // "lua" context), as Redis' scriptVerifyACL.
        if let Err(e) = crate::acl::check_in(self.srv, self.conn, table.get(id), args, crate::acl::log::Context::Lua) {
            let msg = e.as_str();
            return Err(format!("ACL failure in script: {}", msg.strip_prefix("NOPERM ").unwrap_or(msg)));
        }
        if def.has(flag::WRITE) {
            if self.read_only {
                return Err("Write commands are not allowed from read-only scripts.".into());
            }
            self.srv.scripting.wrote.store(true, Relaxed);
        }
        let maxmemory = self.srv.config.hot.maxmemory.load(Relaxed);
        if def.has(flag::DENYOOM) && maxmemory != 0 && self.deny_oom && self.srv.used_memory() > maxmemory {
            return Err("-OOM command not allowed when used memory > 'maxmemory'.".into());
        }
        Ok(())
    }
}

impl moon_script::Host for CallHost<'_> {
    fn call(&mut self, argv: &Argv, resp3: bool, out: &mut Out) -> Result<(), String> {
        self.check(argv)?;
        out.proto = if resp3 { Protocol::Resp3 } else { Protocol::Resp2 };
        crate::exec::run_nested(self.srv, self.conn, out, argv, self.now);
        Ok(())
    }

    /// redis.acl_check_cmd: the command is looked up as Redis'
    /// lookupCommand does (a container alone is itself, with an argument
    /// it must name a subcommand; arity is not checked), then the user of
    /// the connection running the script is checked against the line.
    fn acl_check(&mut self, argv: &Argv) -> Result<bool, String> {
        const INVALID: &str = "Invalid command passed to redis.acl_check_cmd()";
        let table = &self.srv.table;
        let mut id = table.lookup(argv.get(0)).ok_or(INVALID)?;
        if !table.get(id).def.subcommands.is_empty() && argv.len() >= 2 {
            id = table.lookup_sub(id, argv.get(1)).ok_or(INVALID)?;
        }
        Ok(crate::acl::user_may_run(self.srv, self.conn, id, argv))
    }

    /// redis.log: into the server log at the script's level
    /// (LOG_DEBUG 0 .. LOG_WARNING 3), as Redis writes it.
    fn log(&mut self, level: i64, msg: &[u8]) {
        use crate::log::Level;
        let level = match level {
            0 => Level::Debug,
            1 => Level::Verbose,
            2 => Level::Notice,
            _ => Level::Warning,
        };
        crate::log::log(level, &String::from_utf8_lossy(msg));
    }
}
