//! Blocking timeouts as Redis reads them (getTimeoutFromObjectOrReply):
//! seconds as a float, rounded up to whole milliseconds; 0 waits forever.

use crate::error::CmdError;
use crate::util::parse_f64;

/// The unix ms deadline for a timeout of `arg` seconds from `now` (0: no
/// deadline).
pub fn deadline_from_seconds(arg: &[u8], now: i64) -> Result<i64, CmdError> {
    let secs = parse_f64(arg).ok_or_else(|| CmdError::err("timeout is not a float or out of range"))?;
    let ms = secs * 1000.0;
    if ms > i64::MAX as f64 {
        return Err(CmdError::err("timeout is out of range"));
    }
    deadline_after(ms.ceil() as i64, now)
}

/// The unix ms deadline for a timeout of `arg` milliseconds (XREAD BLOCK).
pub fn deadline_from_millis(arg: &[u8], now: i64) -> Result<i64, CmdError> {
    let ms = moon_resp::parse_i64(arg).ok_or_else(|| CmdError::err("timeout is not an integer or out of range"))?;
    deadline_after(ms, now)
}

/// The unix ms deadline `ms` after `now` (0 ms: no deadline).
pub fn deadline_after(ms: i64, now: i64) -> Result<i64, CmdError> {
    if ms < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    if ms == 0 {
        return Ok(0);
    }
    if ms > i64::MAX - now {
        return Err(CmdError::err("timeout is out of range"));
    }
    Ok(now + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_and_checks_ranges() {
        assert_eq!(deadline_from_seconds(b"0", 1000).unwrap(), 0);
        assert_eq!(deadline_from_seconds(b"0.0011", 1000).unwrap(), 1002);
        assert_eq!(deadline_from_seconds(b"2", 1000).unwrap(), 3000);
        assert_eq!(deadline_from_seconds(b"0x10", 0).unwrap(), 16000);
        // ceil(-0.1) is -0: no error, no deadline.
        assert_eq!(deadline_from_seconds(b"-0.0001", 1000).unwrap(), 0);
        let msg = |r: Result<i64, CmdError>| r.unwrap_err().as_str().to_string();
        assert_eq!(msg(deadline_from_seconds(b"abc", 0)), "ERR timeout is not a float or out of range");
        assert_eq!(msg(deadline_from_seconds(b"nan", 0)), "ERR timeout is not a float or out of range");
        assert_eq!(msg(deadline_from_seconds(b"-1", 0)), "ERR timeout is negative");
        assert_eq!(msg(deadline_from_seconds(b"inf", 0)), "ERR timeout is out of range");
        assert_eq!(msg(deadline_from_seconds(b"9223372036854775807", 0)), "ERR timeout is out of range");
        assert_eq!(msg(deadline_from_millis(b"1.5", 0)), "ERR timeout is not an integer or out of range");
        assert_eq!(msg(deadline_from_millis(b"9223372036854775807", 5)), "ERR timeout is out of range");
    }
}
