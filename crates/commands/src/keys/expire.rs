//! Key expiry: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT),
//! TTL PTTL EXPIRETIME PEXPIRETIME and PERSIST.

use super::peek_counted;
use crate::ctx::Ctx;
use crate::error::{invalid_expire, CmdError, CmdResult, NOT_INTEGER};
use crate::notify::class::GENERIC;
use crate::util::{eq_ic, parse_i64};
use moon_resp::Argv;

pub fn expire(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let now = ctx.now();
    set_generic(ctx, argv, now, true)
}

pub fn pexpire(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let now = ctx.now();
    set_generic(ctx, argv, now, false)
}

pub fn expireat(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    set_generic(ctx, argv, 0, true)
}

pub fn pexpireat(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    set_generic(ctx, argv, 0, false)
}

#[derive(Default, Clone, Copy)]
struct Cond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// The NX/XX/GT/LT options after the time argument. Redis validates them
/// before it even parses the time, so their errors win.
fn parse_cond(argv: &Argv) -> Result<Cond, CmdError> {
    let mut c = Cond::default();
    for opt in argv.iter().skip(3) {
        if eq_ic(opt, "nx") {
            c.nx = true;
        } else if eq_ic(opt, "xx") {
            c.xx = true;
        } else if eq_ic(opt, "gt") {
            c.gt = true;
        } else if eq_ic(opt, "lt") {
            c.lt = true;
        } else {
            // Redis formats the option with %s: a NUL byte ends it.
            let end = opt.iter().position(|&b| b == 0).unwrap_or(opt.len());
            return Err(CmdError::err(format!("Unsupported option {}", String::from_utf8_lossy(&opt[..end]))));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(CmdError::err("NX and XX, GT or LT options at the same time are not compatible"));
    }
    if c.gt && c.lt {
        return Err(CmdError::err("GT and LT options at the same time are not compatible"));
    }
    Ok(c)
}

/// Whether the condition allows replacing `current` (None: no expire,
/// which GT and LT treat as an infinite TTL) with `when`.
fn cond_allows(c: Cond, current: Option<i64>, when: i64) -> bool {
    if c.nx && current.is_some() {
        return false;
    }
    if c.xx && current.is_none() {
        return false;
    }
    if c.gt && current.is_none_or(|cur| when <= cur) {
        return false;
    }
    if c.lt && current.is_some_and(|cur| when >= cur) {
        return false;
    }
    true
}

/// The absolute expire time in ms: `arg` in seconds or ms, plus `base`
/// (now for the relative forms, 0 for the *AT forms), with Redis'
/// overflow checks.
fn absolute_ms(ctx: &Ctx, arg: &[u8], base: i64, seconds: bool) -> Result<i64, CmdError> {
    let mut when = parse_i64(arg).ok_or(NOT_INTEGER)?;
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(invalid_expire(ctx.name()));
        }
        when *= 1000;
    }
    if when > i64::MAX - base {
        return Err(invalid_expire(ctx.name()));
    }
    Ok(when + base)
}

fn set_generic(ctx: &mut Ctx, argv: &Argv, base: i64, seconds: bool) -> CmdResult {
    let cond = parse_cond(argv)?;
    let when = absolute_ms(ctx, argv.get(2), base, seconds)?;
    let key = argv.get(1);
    let Some(e) = ctx.ks.write(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    if !cond_allows(cond, e.expire(), when) {
        ctx.out.int(0);
        return Ok(());
    }
    // A time already reached deletes the key (and still replies 1); freed
    // in place, as Redis does with lazyfree-lazy-expire at its default.
    // Journaled as the absolute time (or the deletion), as Redis does.
    if when <= ctx.now() && !moon_store::clock::loading() {
        ctx.ks.remove(key);
        ctx.notify(GENERIC, "del", key);
        ctx.ks.propagate(&[b"DEL", key]);
    } else {
        ctx.ks.set_expire(key, Some(when));
        ctx.notify(GENERIC, "expire", key);
        ctx.ks.propagate(&[b"PEXPIREAT", key, itoa::Buffer::new().format(when).as_bytes()]);
    }
    ctx.out.int(1);
    Ok(())
}

pub fn ttl(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    get_generic(ctx, argv, false, false)
}

pub fn pttl(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    get_generic(ctx, argv, true, false)
}

pub fn expiretime(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    get_generic(ctx, argv, false, true)
}

pub fn pexpiretime(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    get_generic(ctx, argv, true, true)
}

/// -2 for a missing key, -1 without expire, else the remaining (or the
/// absolute) time; seconds are rounded to the nearest as Redis does.
fn get_generic(ctx: &mut Ctx, argv: &Argv, ms: bool, absolute: bool) -> CmdResult {
    let now = ctx.now();
    let reply = match peek_counted(&mut ctx.ks, argv.get(1), |e| e.expire()) {
        None => -2,
        Some(None) => -1,
        Some(Some(t)) => {
            let left = if absolute { t } else { t.saturating_sub(now) }.max(0);
            if ms {
                left
            } else {
                // Unsigned, so a time near i64::MAX rounds without overflow.
                ((left as u64 + 500) / 1000) as i64
            }
        }
    };
    ctx.out.int(reply);
    Ok(())
}

pub fn persist(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let had = ctx.ks.write(key).is_some_and(|e| e.expire().is_some());
    if had {
        ctx.ks.set_expire(key, None);
        ctx.notify(GENERIC, "persist", key);
    }
    ctx.out.int(had as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{int, put, setup};
    use crate::testing::TestClient;
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn option_errors() {
        let mut c = TestClient::new();
        setup(&mut c, &[("a", "1")]);
        let nx = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
        let gtlt = "-ERR GT and LT options at the same time are not compatible\r\n";
        assert_eq!(c.run(&["EXPIRE", "a", "10", "nx", "xx"]), nx);
        assert_eq!(c.run(&["EXPIRE", "a", "10", "NX", "GT"]), nx);
        assert_eq!(c.run(&["PEXPIRE", "a", "10", "lt", "nx"]), nx);
        assert_eq!(c.run(&["EXPIRE", "a", "10", "gt", "lt"]), gtlt);
        assert_eq!(c.run(&["EXPIREAT", "a", "10", "xx", "gt", "lt"]), gtlt);
        assert_eq!(c.run(&["EXPIRE", "a", "10", "foo"]), "-ERR Unsupported option foo\r\n");
        // Options are checked before the time and before the key.
        assert_eq!(c.run(&["EXPIRE", "a", "x", "foo"]), "-ERR Unsupported option foo\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "10", "nx", "xx", "foo"]), "-ERR Unsupported option foo\r\n");
        assert_eq!(c.run(&["EXPIRE", "nokey", "10", "bar"]), "-ERR Unsupported option bar\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(c.run(&["EXPIRE", "nokey", "1.5"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(c.run(&["EXPIRE", "a"]), "-ERR wrong number of arguments for 'expire' command\r\n");
        // Repeating a compatible option is fine.
        assert_eq!(c.run(&["EXPIRE", "a", "100", "NX", "nx"]), ":1\r\n");
    }

    #[test]
    fn overflow_checks() {
        let mut c = TestClient::new();
        setup(&mut c, &[("a", "1")]);
        let max = i64::MAX.to_string();
        let min = i64::MIN.to_string();
        assert_eq!(c.run(&["EXPIRE", "a", &max]), "-ERR invalid expire time in 'expire' command\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", &min]), "-ERR invalid expire time in 'expire' command\r\n");
        assert_eq!(c.run(&["PEXPIRE", "a", &max]), "-ERR invalid expire time in 'pexpire' command\r\n");
        assert_eq!(c.run(&["EXPIREAT", "a", &max]), "-ERR invalid expire time in 'expireat' command\r\n");
        assert_eq!(c.run(&["EXPIREAT", "a", &min]), "-ERR invalid expire time in 'expireat' command\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "9223372036854775"]), "-ERR invalid expire time in 'expire' command\r\n");
        // Missing key: checks still apply, then 0.
        assert_eq!(c.run(&["EXPIRE", "nokey", &max]), "-ERR invalid expire time in 'expire' command\r\n");
        assert_eq!(c.run(&["EXPIRE", "nokey", "100"]), ":0\r\n");
        // The largest representable times are accepted.
        assert_eq!(c.run(&["PEXPIREAT", "a", &max]), ":1\r\n");
        assert_eq!(c.run(&["PEXPIRETIME", "a"]), format!(":{max}\r\n"));
        assert_eq!(c.run(&["EXPIRETIME", "a"]), ":9223372036854776\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "9223372036854"]), ":1\r\n");
        assert_eq!(c.run(&["TTL", "a"]), ":9223372036854\r\n");
        // A time in the past deletes the key and replies 1.
        assert_eq!(c.run(&["PEXPIRE", "a", &min]), ":1\r\n");
        assert_eq!(c.run(&["EXISTS", "a"]), ":0\r\n");
        put(&c, 0, "b", "1", None);
        assert_eq!(c.run(&["EXPIREAT", "b", "-9223372036854775"]), ":1\r\n");
        assert_eq!(c.run(&["EXISTS", "b"]), ":0\r\n");
        // Deleting through an expire in the past is not an expiry.
        assert_eq!(c.srv.stats.expired_keys.load(Relaxed), 0);
    }

    #[test]
    fn conditions() {
        let mut c = TestClient::new();
        setup(&mut c, &[("a", "1")]);
        // Persistent key: NX sets, XX and GT refuse, LT sets (infinite TTL).
        assert_eq!(c.run(&["EXPIRE", "a", "100", "XX"]), ":0\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "100", "GT"]), ":0\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "100", "LT"]), ":1\r\n");
        assert_eq!(c.run(&["TTL", "a"]), ":100\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "200", "NX"]), ":0\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "200", "LT"]), ":0\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "50", "GT"]), ":0\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "200", "XX", "GT"]), ":1\r\n");
        assert_eq!(c.run(&["TTL", "a"]), ":200\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "50", "xx", "lt"]), ":1\r\n");
        assert_eq!(c.run(&["TTL", "a"]), ":50\r\n");
        assert_eq!(c.run(&["PERSIST", "a"]), ":1\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "300", "NX"]), ":1\r\n");
        assert_eq!(c.run(&["TTL", "a"]), ":300\r\n");
        // A condition that fails leaves even a past time alone.
        assert_eq!(c.run(&["EXPIRE", "a", "-1", "GT"]), ":0\r\n");
        assert_eq!(c.run(&["EXISTS", "a"]), ":1\r\n");
        // LT with a past time deletes.
        assert_eq!(c.run(&["EXPIRE", "a", "-1", "LT"]), ":1\r\n");
        assert_eq!(c.run(&["EXISTS", "a"]), ":0\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "10", "NX"]), ":0\r\n");
    }

    #[test]
    fn ttl_family() {
        let mut c = TestClient::new();
        setup(&mut c, &[("p", "1"), ("v", "2")]);
        for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
            assert_eq!(c.run(&[cmd, "nokey"]), ":-2\r\n");
            assert_eq!(c.run(&[cmd, "p"]), ":-1\r\n");
            assert_eq!(c.run(&[cmd]), format!("-ERR wrong number of arguments for '{}' command\r\n", cmd.to_lowercase()));
        }
        assert_eq!(c.run(&["PEXPIRE", "v", "1600"]), ":1\r\n");
        let pttl = int(&c.run(&["PTTL", "v"]));
        assert!((1500..=1600).contains(&pttl), "{pttl}");
        // Rounded to the nearest second.
        assert_eq!(c.run(&["TTL", "v"]), ":2\r\n");
        let at = 1_000_000_000_000_000i64;
        assert_eq!(c.run(&["PEXPIREAT", "v", &at.to_string()]), ":1\r\n");
        assert_eq!(c.run(&["PEXPIRETIME", "v"]), format!(":{at}\r\n"));
        assert_eq!(c.run(&["EXPIRETIME", "v"]), format!(":{}\r\n", at / 1000));
        assert_eq!(c.run(&["EXPIREAT", "v", "4000000000"]), ":1\r\n");
        assert_eq!(c.run(&["EXPIRETIME", "v"]), ":4000000000\r\n");
        assert_eq!(c.run(&["PEXPIRETIME", "v"]), ":4000000000000\r\n");
        // An expired key reads as missing and is removed on the way.
        put(&c, 0, "old", "x", Some(1));
        assert_eq!(c.run(&["TTL", "old"]), ":-2\r\n");
        assert_eq!(c.srv.stats.expired_keys.load(Relaxed), 1);
    }

    #[test]
    fn persist_and_dirty() {
        let mut c = TestClient::new();
        setup(&mut c, &[("a", "1")]);
        assert_eq!(c.run(&["PERSIST", "a"]), ":0\r\n");
        assert_eq!(c.run(&["PERSIST", "nokey"]), ":0\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "100"]), ":1\r\n");
        assert_eq!(c.run(&["PERSIST", "a"]), ":1\r\n");
        assert_eq!(c.run(&["TTL", "a"]), ":-1\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "100", "GT"]), ":0\r\n");
        assert_eq!(c.run(&["PEXPIRE", "a", "-5"]), ":1\r\n");
        // EXPIRE, PERSIST, and the deleting PEXPIRE.
        assert_eq!(c.srv.stats.dirty.load(Relaxed), 3);
    }
}
