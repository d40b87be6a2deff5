//! Lua 5.1 scripting with Redis' semantics: the sandbox, the `redis`
//! library, the value conversions and the bundled libraries (cjson,
//! cmsgpack, bit, struct). The command layer drives it through [`Host`]:
//! this crate knows nothing about the command table or the keyspace.

mod bit;
mod call;
mod cjson;
mod cmsgpack;

pub mod convert;
mod engine;
pub mod functions;

mod redis_lib;
pub mod shebang;
mod structlib;

pub use engine::{Engine, KillState, RunResult};
pub use shebang::{flags as script_flags, parse_shebang};

use moon_resp::{Argv, Out};

/// What a running script needs from the server.
pub trait Host {
    /// Run one command for redis.call/redis.pcall, writing its reply into
    /// `out` in RESP3 when `resp3` (else RESP2). Err carries the text of an
    /// error the script call itself is refused with (unknown command,
    /// arity, not allowed from scripts, ...), "ERR ..." form.
    fn call(&mut self, argv: &Argv, resp3: bool, out: &mut Out) -> Result<(), String>;
    /// redis.acl_check_cmd: whether the script's user may run this command
    /// line. Err is the error text for a command that does not exist.
    fn acl_check(&mut self, argv: &Argv) -> Result<bool, String>;
    /// redis.log at a Redis log level (0 debug .. 3 warning).
    fn log(&mut self, level: i64, msg: &[u8]);
}

/// The SHA-1 of a script body as 40 lowercase hex digits.
pub fn sha1_hex(body: &[u8]) -> [u8; 40] {
    let d = moon_resp::sha1::sha1(body);
    let mut h = [0u8; 40];
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in d.iter().enumerate() {
        h[2 * i] = HEX[(b >> 4) as usize];
        h[2 * i + 1] = HEX[(b & 15) as usize];
    }
    h
}

#[cfg(test)]
mod tests;
