//! Waiting for the world while a script holds it: a command waits in short
//! timed tries and is answered BUSY once the script has run longer than
//! busy-reply-threshold; commands flagged ALLOW_BUSY (SCRIPT KILL,
//! SHUTDOWN, ...) run without the world lock while a script runs.

use crate::error::CmdError;
use crate::spec::{flag, CommandDef};
use crate::state::Server;
use crate::world::Exclusive;
use parking_lot::RwLockReadGuard;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

const TRY: Duration = Duration::from_millis(5);

pub const BUSY: CmdError = CmdError::fixed("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.");
/// The same while a function (FCALL) runs.
pub const BUSY_FUNCTION: CmdError =
    CmdError::fixed("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.");

/// The BUSY reply for what is running now.
pub fn busy_error(srv: &Server) -> CmdError {
    if srv.scripting.running_function.load(Relaxed) {
        BUSY_FUNCTION
    } else {
        BUSY
    }
}

/// Ok(None): an ALLOW_BUSY command while a script runs (no world lock).
fn busy_check(srv: &Server, def: &CommandDef) -> Result<Option<()>, CmdError> {
    let since = srv.scripting.running_since.load(Relaxed);
    if since == 0 {
        return Ok(Some(()));
    }
    if def.has(flag::ALLOW_BUSY) {
        return Ok(None);
    }
    let threshold = srv.config.get_i64("busy-reply-threshold");
    if moon_store::clock::now_ms() - since >= threshold {
        return Err(busy_error(srv));
    }
    Ok(Some(()))
}

/// The shared world lock for `thread`, or None for an ALLOW_BUSY command
/// while a script runs, or BUSY.
pub fn shared<'s>(srv: &'s Server, thread: usize, def: &CommandDef) -> Result<Option<RwLockReadGuard<'s, ()>>, CmdError> {
    if let Some(g) = srv.world.try_shared(thread) {
        return Ok(Some(g));
    }
    loop {
        if busy_check(srv, def)?.is_none() {
            return Ok(None);
        }
        if let Some(g) = srv.world.shared_for(thread, TRY) {
            return Ok(Some(g));
        }
    }
}

/// The exclusive world lock, or None for an ALLOW_BUSY command while a
/// script runs (SHUTDOWN NOSAVE), or BUSY while a script runs too long.
pub fn exclusive<'s>(srv: &'s Server, def: &CommandDef) -> Result<Option<Exclusive<'s>>, CmdError> {
    loop {
        if busy_check(srv, def)?.is_none() {
            return Ok(None);
        }
        if let Some(g) = srv.world.exclusive_for(TRY) {
            return Ok(Some(g));
        }
    }
}

/// Whether a script is running now (the caller then holds no world lock).
pub fn script_running(srv: &Server) -> bool {
    srv.scripting.running_since.load(Relaxed) != 0
}
