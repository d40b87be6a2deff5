//! Command errors. The text is the whole error line after `-`, exactly as
//! Redis sends it, so the prefix ("ERR", "WRONGTYPE", ...) is preserved for
//! clients and for INFO errorstats.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError(pub Cow<'static, str>);

pub type CmdResult = Result<(), CmdError>;

impl CmdError {
    pub const fn fixed(s: &'static str) -> CmdError {
        CmdError(Cow::Borrowed(s))
    }
    /// "ERR <msg>".
    pub fn err(msg: impl std::fmt::Display) -> CmdError {
        CmdError(Cow::Owned(format!("ERR {msg}")))
    }
    /// An error with its own prefix ("NOPERM ...", "BUSYKEY ...").
    pub fn raw(msg: impl Into<String>) -> CmdError {
        CmdError(Cow::Owned(msg.into()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The error code counted in INFO errorstats (text up to the first space).
    pub fn code(&self) -> &str {
        self.0.split(' ').next().unwrap_or("ERR")
    }
}

pub const WRONGTYPE: CmdError = CmdError::fixed("WRONGTYPE Operation against a key holding the wrong kind of value");
pub const SYNTAX: CmdError = CmdError::fixed("ERR syntax error");
pub const NOT_INTEGER: CmdError = CmdError::fixed("ERR value is not an integer or out of range");
pub const NOT_FLOAT: CmdError = CmdError::fixed("ERR value is not a valid float");
pub const NO_SUCH_KEY: CmdError = CmdError::fixed("ERR no such key");
pub const OVERFLOW: CmdError = CmdError::fixed("ERR increment or decrement would overflow");
pub const DB_INDEX: CmdError = CmdError::fixed("ERR DB index is out of range");
pub const NOT_ALLOWED_NEGATIVE: CmdError = CmdError::fixed("ERR value is out of range, must be positive");
pub const NOAUTH: CmdError = CmdError::fixed("NOAUTH Authentication required.");

/// "ERR wrong number of arguments for '<name>' command".
pub fn arity(name: &str) -> CmdError {
    CmdError(Cow::Owned(format!("ERR wrong number of arguments for '{name}' command")))
}

/// "ERR invalid expire time in '<cmd>' command".
pub fn invalid_expire(cmd: &str) -> CmdError {
    CmdError(Cow::Owned(format!("ERR invalid expire time in '{cmd}' command")))
}
