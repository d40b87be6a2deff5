//! Whole-value reads and writes: GET SET SETNX SETEX PSETEX GETEX GETDEL
//! GETSET MGET MSET MSETNX.

use super::{expire_at_ms, is_opt};
use crate::ctx::{str_of, Ctx};
use crate::error::{arity, CmdError, CmdResult, SYNTAX};
use crate::notify::class::{GENERIC, STRING};
use moon_resp::Argv;
use moon_store::Entry;
use std::sync::atomic::Ordering::Relaxed;

// Redis' OBJ_* flags of parseExtendedStringArgumentsOrReply.
const NX: u32 = 1 << 0;
const XX: u32 = 1 << 1;
const GET: u32 = 1 << 2;
const KEEPTTL: u32 = 1 << 3;
const PERSIST: u32 = 1 << 4;
const EX: u32 = 1 << 5;
const PX: u32 = 1 << 6;
const EXAT: u32 = 1 << 7;
const PXAT: u32 = 1 << 8;

/// Options of SET (`for_set`) or GETEX, with the expire argument if any.
/// Conflicting options are a syntax error; repeating one is allowed (the
/// last expire value wins), exactly as Redis parses them.
fn parse_options<'a>(argv: &Argv<'a>, start: usize, for_set: bool) -> Result<(u32, Option<&'a [u8]>), CmdError> {
    let mut flags = 0u32;
    let mut expire = None;
    let mut j = start;
    while j < argv.len() {
        let opt = argv.get(j);
        let has_next = j + 1 < argv.len();
        let time_opt = |kw: &str, conflicts: u32| is_opt(opt, kw) && flags & conflicts == 0 && has_next;
        if for_set && is_opt(opt, "NX") && flags & XX == 0 {
            flags |= NX;
        } else if for_set && is_opt(opt, "XX") && flags & NX == 0 {
            flags |= XX;
        } else if for_set && is_opt(opt, "GET") {
            flags |= GET;
        } else if for_set && is_opt(opt, "KEEPTTL") && flags & (PERSIST | EX | EXAT | PX | PXAT) == 0 {
            flags |= KEEPTTL;
        } else if !for_set && is_opt(opt, "PERSIST") && flags & (EX | EXAT | PX | PXAT | KEEPTTL) == 0 {
            flags |= PERSIST;
        } else if let Some(f) = [
            ("EX", EX, KEEPTTL | PERSIST | EXAT | PX | PXAT),
            ("PX", PX, KEEPTTL | PERSIST | EX | EXAT | PXAT),
            ("EXAT", EXAT, KEEPTTL | PERSIST | EX | PX | PXAT),
            ("PXAT", PXAT, KEEPTTL | PERSIST | EX | EXAT | PX),
        ]
        .iter()
        .find(|(kw, _, conflicts)| time_opt(kw, *conflicts))
        .map(|(_, f, _)| *f)
        {
            flags |= f;
            expire = Some(argv.get(j + 1));
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    Ok((flags, expire))
}

/// The absolute expire time (ms) an option set asks for.
fn resolve_expire(name: &str, flags: u32, arg: &[u8], now: i64) -> Result<i64, CmdError> {
    let seconds = flags & (EX | EXAT) != 0;
    let relative = flags & (EX | PX) != 0;
    expire_at_ms(name, arg, seconds, relative, now)
}

/// Reply with the string at `key` (null if absent), or WRONGTYPE.
#[inline]
fn reply_value(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    match ctx.ks.read(key) {
        None => ctx.out.null(),
        Some(e) => ctx.out.bulk(str_of(e)?),
    }
    Ok(())
}

pub fn get(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    reply_value(ctx, argv.get(1))
}

pub fn set(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (key, val) = (argv.get(1), argv.get(2));
    if argv.len() == 3 {
        // The hot path: no options. An expired old value counts as
        // expired, as Redis' lookupKeyWrite makes it.
        ctx.ks.set_str(key, val, None);
        ctx.notify(STRING, "set", key);
        ctx.out.ok();
        return Ok(());
    }
    let (flags, expire) = parse_options(argv, 3, true)?;
    let at = match expire {
        Some(arg) => Some(resolve_expire(&ctx.cmd.full_name, flags, arg, ctx.now())?),
        None => None,
    };
    if flags & GET != 0 {
        reply_value(ctx, key)?;
    }
    // set_str below counts the LRU/LFU access, as Redis' one lookup.
    let old = ctx.ks.write_untouched(key);
    let found = old.is_some();
    if (flags & NX != 0 && found) || (flags & XX != 0 && !found) {
        // Nothing is set, but the lookup still counts as an access.
        ctx.ks.write(key);
        if flags & GET == 0 {
            ctx.out.null();
        }
        return Ok(());
    }
    let expire = if flags & KEEPTTL != 0 { old.and_then(|e| e.expire()) } else { at };
    ctx.ks.set_str(key, val, expire);
    ctx.notify(STRING, "set", key);
    if let Some(t) = at {
        ctx.notify(GENERIC, "expire", key);
        propagate_set_pxat(ctx, key, val, t);
    }
    if flags & GET == 0 {
        ctx.out.ok();
    }
    Ok(())
}

pub fn setnx(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    if ctx.ks.exists(key) {
        ctx.out.int(0);
    } else {
        ctx.ks.insert(Entry::new_str(key, argv.get(2), None));
        ctx.notify(STRING, "set", key);
        ctx.out.int(1);
    }
    Ok(())
}

fn set_with_expire(ctx: &mut Ctx, argv: &Argv, seconds: bool) -> CmdResult {
    let key = argv.get(1);
    let at = expire_at_ms(&ctx.cmd.full_name, argv.get(2), seconds, true, ctx.now())?;
    ctx.ks.set_str(key, argv.get(3), Some(at));
    ctx.notify(STRING, "set", key);
    ctx.notify(GENERIC, "expire", key);
    propagate_set_pxat(ctx, key, argv.get(3), at);
    ctx.out.ok();
    Ok(())
}

/// A string set with a relative (or any) expire is journaled with the
/// absolute time, as Redis does.
fn propagate_set_pxat(ctx: &mut Ctx, key: &[u8], val: &[u8], at: i64) {
    ctx.ks.propagate(&[b"SET", key, val, b"PXAT", itoa::Buffer::new().format(at).as_bytes()]);
}

pub fn setex(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    set_with_expire(ctx, argv, true)
}

pub fn psetex(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    set_with_expire(ctx, argv, false)
}

pub fn getex(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let (flags, expire) = parse_options(argv, 2, false)?;
    let (cmd, now) = (ctx.cmd, ctx.now());
    // A missing key answers null before the expire value is validated.
    let Some(e) = ctx.ks.read(key) else {
        ctx.out.null();
        return Ok(());
    };
    let val = str_of(e)?;
    let at = match expire {
        Some(arg) => Some(resolve_expire(&cmd.full_name, flags, arg, now)?),
        None => None,
    };
    let had_ttl = e.expire().is_some();
    ctx.out.bulk(val);
    match at {
        // An absolute time already past deletes the key, counted as expired.
        Some(t) if flags & (EXAT | PXAT) != 0 && t <= now && !moon_store::clock::loading() => {
            ctx.ks.remove(key);
            ctx.srv.stats.expired_keys.fetch_add(1, Relaxed);
            ctx.notify(GENERIC, "del", key);
            ctx.ks.propagate(&[b"DEL", key]);
        }
        Some(t) => {
            ctx.ks.set_expire(key, Some(t));
            ctx.notify(GENERIC, "expire", key);
            ctx.ks.propagate(&[b"PEXPIREAT", key, itoa::Buffer::new().format(t).as_bytes()]);
        }
        None if flags & PERSIST != 0 && had_ttl => {
            ctx.ks.set_expire(key, None);
            ctx.notify(GENERIC, "persist", key);
            ctx.ks.propagate(&[b"PERSIST", key]);
        }
        None => {}
    }
    Ok(())
}

pub fn getdel(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    reply_value(ctx, key)?;
    if ctx.ks.remove(key).is_some() {
        ctx.notify(GENERIC, "del", key);
        ctx.ks.propagate(&[b"DEL", key]);
    }
    Ok(())
}

pub fn getset(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    reply_value(ctx, key)?;
    // Overwrites keep the LFU counter (Redis' dbSetValue), counting an access.
    ctx.ks.set_str(key, argv.get(2), None);
    ctx.notify(STRING, "set", key);
    Ok(())
}

pub fn mget(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    ctx.out.array(argv.len() - 1);
    for key in argv.iter().skip(1) {
        // Values of other types read as null, not as an error.
        match ctx.ks.read(key).map(|e| str_of(e)) {
            Some(Ok(v)) => ctx.out.bulk(v),
            _ => ctx.out.null(),
        }
    }
    Ok(())
}

fn check_pairs(ctx: &Ctx, argv: &Argv) -> CmdResult {
    if argv.len().is_multiple_of(2) {
        return Err(arity(ctx.name()));
    }
    Ok(())
}

fn set_pairs(ctx: &mut Ctx, argv: &Argv) {
    for i in (1..argv.len()).step_by(2) {
        ctx.ks.set_str(argv.get(i), argv.get(i + 1), None);
        ctx.notify(STRING, "set", argv.get(i));
    }
}

pub fn mset(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    check_pairs(ctx, argv)?;
    set_pairs(ctx, argv);
    ctx.out.ok();
    Ok(())
}

/// All or nothing: the dispatcher holds every key's stripe, so the
/// existence checks and the writes are one atomic step.
pub fn msetnx(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    check_pairs(ctx, argv)?;
    let any_exists = (1..argv.len()).step_by(2).any(|i| ctx.ks.exists(argv.get(i)));
    if any_exists {
        ctx.out.int(0);
    } else {
        set_pairs(ctx, argv);
        ctx.out.int(1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{encoding, exists, expire_of, plant_non_string};
    use crate::testing::TestClient;
    use moon_store::clock::now_ms;

    const NIL: &str = "$-1\r\n";
    const OK: &str = "+OK\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";
    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    fn invalid(cmd: &str) -> String {
        format!("-ERR invalid expire time in '{cmd}' command\r\n")
    }

    fn ttl_ms(c: &TestClient, key: &str) -> Option<i64> {
        expire_of(c, key).map(|t| t - now_ms())
    }

    #[test]
    fn get_and_plain_set() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["GET", "k"]), NIL);
        assert_eq!(c.run(&["SET", "k", "v"]), OK);
        assert_eq!(c.run(&["GET", "k"]), bulk("v"));
        assert_eq!(c.run(&["SET", "k", ""]), OK);
        assert_eq!(c.run(&["GET", "k"]), bulk(""));
        assert_eq!(c.run(&["GET"]), "-ERR wrong number of arguments for 'get' command\r\n");
        assert_eq!(c.run(&["SET", "k"]), "-ERR wrong number of arguments for 'set' command\r\n");
        if plant_non_string(&mut c, "w") {
            assert_eq!(c.run(&["GET", "w"]), WRONGTYPE);
            // Plain SET overwrites any type.
            assert_eq!(c.run(&["SET", "w", "x"]), OK);
            assert_eq!(c.run(&["GET", "w"]), bulk("x"));
        }
        let bin: &[&[u8]] = &[b"SET", b"b", b"\x00\xff\r\n"];
        assert_eq!(c.run_bytes(bin), b"+OK\r\n");
        assert_eq!(c.run_bytes(&[b"GET", b"b"]), b"$4\r\n\x00\xff\r\n\r\n");
    }

    #[test]
    fn set_encodings_follow_content() {
        let mut c = TestClient::new();
        let long = "x".repeat(45);
        for (v, enc) in [("123", "int"), ("-5", "int"), ("012", "embstr"), ("abc", "embstr"), (long.as_str(), "raw")] {
            assert_eq!(c.run(&["SET", "k", v]), OK);
            assert_eq!(encoding(&c, "k"), enc, "{v}");
        }
        assert_eq!(c.run(&["MSET", "a", "1", "b", "x"]), OK);
        assert_eq!((encoding(&c, "a"), encoding(&c, "b")), ("int", "embstr"));
    }

    #[test]
    fn set_option_syntax() {
        let mut c = TestClient::new();
        for ok in [
            &["SET", "nx1", "v", "NX", "NX"][..],
            &["SET", "k", "v", "xx", "XX"],
            &["SET", "k", "v", "KEEPTTL", "KEEPTTL"],
            &["SET", "k", "v", "EX", "10", "EX", "20"],
            &["SET", "k", "v", "PX", "100", "px", "2000"],
        ] {
            c.run(&["SET", "k", "v"]);
            assert_eq!(c.run(ok), OK, "{ok:?}");
        }
        assert!(ttl_ms(&c, "k").unwrap() > 1000);
        for bad in [
            &["SET", "k", "v", "NX", "XX"][..],
            &["SET", "k", "v", "XX", "NX"],
            &["SET", "k", "v", "EX", "10", "PX", "100"],
            &["SET", "k", "v", "EX", "10", "EXAT", "100"],
            &["SET", "k", "v", "PXAT", "10", "EXAT", "100"],
            &["SET", "k", "v", "KEEPTTL", "EX", "10"],
            &["SET", "k", "v", "EX", "10", "KEEPTTL"],
            &["SET", "k", "v", "EX"],
            &["SET", "k", "v", "PERSIST"],
            &["SET", "k", "v", "FOO"],
            &["SET", "k", "v", "IFEQ", "x"],
        ] {
            assert_eq!(c.run(bad), SYNTAX, "{bad:?}");
        }
        // Syntax is checked before the expire value.
        assert_eq!(c.run(&["SET", "k", "v", "EX", "abc", "FOO"]), SYNTAX);
    }

    #[test]
    fn set_expire_values() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["SET", "k", "v", "EX", "abc"]), NOT_INT);
        for bad in [
            &["EX", "0"][..],
            &["EX", "-1"],
            &["PX", "0"],
            &["EXAT", "0"],
            &["PXAT", "-5"],
            &["EX", "9223372036854775"],
            &["EX", "9223372036854776"],
            &["PX", "9223372036854775807"],
            &["EXAT", "9223372036854776"],
        ] {
            let mut args = vec!["SET", "k", "v"];
            args.extend_from_slice(bad);
            assert_eq!(c.run(&args), invalid("set"), "{bad:?}");
        }
        assert!(!exists(&c, "k"));
        assert_eq!(c.run(&["SET", "k", "v", "EXAT", "9223372036854775"]), OK);
        assert_eq!(expire_of(&c, "k"), Some(9223372036854775000));
        assert_eq!(c.run(&["SET", "k", "v", "PXAT", "9223372036854775807"]), OK);
        assert_eq!(expire_of(&c, "k"), Some(i64::MAX));
        assert_eq!(c.run(&["SET", "k", "v", "EX", "100"]), OK);
        let t = ttl_ms(&c, "k").unwrap();
        assert!(t > 99_000 && t <= 100_000, "{t}");
        assert_eq!(c.run(&["SET", "k", "v", "PX", "5000"]), OK);
        let t = ttl_ms(&c, "k").unwrap();
        assert!(t > 4_000 && t <= 5_000, "{t}");
        let at = (now_ms() / 1000 + 100).to_string();
        assert_eq!(c.run(&["SET", "k", "v", "EXAT", &at]), OK);
        assert_eq!(expire_of(&c, "k"), Some(at.parse::<i64>().unwrap() * 1000));
        // A time in the past: accepted, and the key is gone.
        assert_eq!(c.run(&["SET", "k", "v", "PXAT", "1"]), OK);
        assert_eq!(c.run(&["GET", "k"]), NIL);
        assert_eq!(c.run(&["SET", "k", "v", "EXAT", "1"]), OK);
        assert_eq!(c.run(&["GET", "k"]), NIL);
    }

    #[test]
    fn set_ttl_replacement_and_keepttl() {
        let mut c = TestClient::new();
        c.run(&["SET", "k", "v", "EX", "100"]);
        assert_eq!(c.run(&["SET", "k", "v2"]), OK);
        assert_eq!(expire_of(&c, "k"), None);
        c.run(&["SET", "k", "v", "EX", "100"]);
        let t = expire_of(&c, "k");
        assert_eq!(c.run(&["SET", "k", "v3", "KEEPTTL"]), OK);
        assert_eq!(expire_of(&c, "k"), t);
        assert_eq!(c.run(&["GET", "k"]), bulk("v3"));
        assert_eq!(c.run(&["SET", "new", "v", "KEEPTTL"]), OK);
        assert_eq!(expire_of(&c, "new"), None);
    }

    #[test]
    fn set_nx_xx_get() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["SET", "k", "v", "XX"]), NIL);
        assert_eq!(c.run(&["SET", "k", "v", "XX", "GET"]), NIL);
        assert!(!exists(&c, "k"));
        assert_eq!(c.run(&["SET", "k", "v", "NX"]), OK);
        assert_eq!(c.run(&["SET", "k", "w", "NX"]), NIL);
        assert_eq!(c.run(&["SET", "k", "w", "NX", "GET"]), bulk("v"));
        assert_eq!(c.run(&["GET", "k"]), bulk("v"));
        assert_eq!(c.run(&["SET", "k", "w", "XX", "GET"]), bulk("v"));
        assert_eq!(c.run(&["SET", "k", "x", "GET", "GET"]), bulk("w"));
        assert_eq!(c.run(&["SET", "n", "x", "GET"]), NIL);
        assert_eq!(c.run(&["GET", "n"]), bulk("x"));
        assert_eq!(c.run(&["SET", "k", "y", "XX", "EX", "10", "GET"]), bulk("x"));
        assert!(expire_of(&c, "k").is_some());
        if plant_non_string(&mut c, "w") {
            assert_eq!(c.run(&["SET", "w", "v", "GET"]), WRONGTYPE);
            assert_eq!(c.run(&["SET", "w", "v", "NX"]), NIL);
            // The expire value is checked before the GET's type check.
            assert_eq!(c.run(&["SET", "w", "v", "EX", "0", "GET"]), invalid("set"));
            assert_eq!(c.run(&["SET", "w", "v", "XX"]), OK);
            assert_eq!(c.run(&["GET", "w"]), bulk("v"));
        }
    }

    #[test]
    fn set_resp3_null() {
        let mut c = TestClient::new();
        c.run(&["HELLO", "3"]);
        assert_eq!(c.run(&["GET", "k"]), "_\r\n");
        assert_eq!(c.run(&["SET", "k", "v", "XX"]), "_\r\n");
        assert_eq!(c.run(&["SET", "k", "v", "GET"]), "_\r\n");
        assert_eq!(c.run(&["MGET", "k", "nokey"]), "*2\r\n$1\r\nv\r\n_\r\n");
    }

    #[test]
    fn setnx_setex_psetex() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["SETNX", "k", "v"]), ":1\r\n");
        assert_eq!(c.run(&["SETNX", "k", "w"]), ":0\r\n");
        assert_eq!(c.run(&["GET", "k"]), bulk("v"));
        if plant_non_string(&mut c, "w") {
            assert_eq!(c.run(&["SETNX", "w", "v"]), ":0\r\n");
        }

        assert_eq!(c.run(&["SETEX", "k", "0", "v"]), invalid("setex"));
        assert_eq!(c.run(&["SETEX", "k", "-1", "v"]), invalid("setex"));
        assert_eq!(c.run(&["SETEX", "k", "abc", "v"]), NOT_INT);
        assert_eq!(c.run(&["SETEX", "k", "9223372036854776", "v"]), invalid("setex"));
        assert_eq!(c.run(&["SETEX", "k", "100", "123"]), OK);
        assert_eq!(encoding(&c, "k"), "int");
        let t = ttl_ms(&c, "k").unwrap();
        assert!(t > 99_000 && t <= 100_000);
        assert_eq!(c.run(&["PSETEX", "p", "0", "v"]), invalid("psetex"));
        assert_eq!(c.run(&["PSETEX", "p", "100000", "v"]), OK);
        let t = ttl_ms(&c, "p").unwrap();
        assert!(t > 99_000 && t <= 100_000);
        assert_eq!(c.run(&["SETEX", "w", "10", "v"]), OK);
        assert_eq!(c.run(&["GET", "w"]), bulk("v"));
        assert_eq!(c.run(&["SETEX", "k", "10"]), "-ERR wrong number of arguments for 'setex' command\r\n");
    }

    #[test]
    fn short_expiry_really_expires() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["SET", "k", "v", "PX", "30"]), OK);
        assert_eq!(c.run(&["PSETEX", "p", "30", "v"]), OK);
        assert_eq!(c.run(&["GET", "k"]), bulk("v"));
        std::thread::sleep(std::time::Duration::from_millis(60));
        assert_eq!(c.run(&["GET", "k"]), NIL);
        assert_eq!(c.run(&["MGET", "p"]), "*1\r\n$-1\r\n");
        assert_eq!(c.run(&["SET", "k", "v", "PX", "30", "GET"]), NIL);
    }

    #[test]
    fn getex_options() {
        let mut c = TestClient::new();
        // A missing key answers null even with an invalid expire value.
        assert_eq!(c.run(&["GETEX", "nokey", "EX", "abc"]), NIL);
        assert_eq!(c.run(&["GETEX", "nokey", "EX", "-1"]), NIL);
        assert_eq!(c.run(&["GETEX", "nokey", "EX", "10", "EX", "20"]), NIL);
        assert_eq!(c.run(&["GETEX", "nokey", "PERSIST", "PERSIST"]), NIL);
        for bad in [
            &["GETEX", "nokey", "FOO"][..],
            &["GETEX", "nokey", "NX"],
            &["GETEX", "nokey", "GET"],
            &["GETEX", "nokey", "KEEPTTL"],
            &["GETEX", "nokey", "PERSIST", "EX", "10"],
            &["GETEX", "nokey", "EX", "10", "PERSIST"],
            &["GETEX", "nokey", "PX", "10", "EX", "10"],
            &["GETEX", "nokey", "EX"],
        ] {
            assert_eq!(c.run(bad), SYNTAX, "{bad:?}");
        }
        c.run(&["SET", "k", "v"]);
        assert_eq!(c.run(&["GETEX", "k", "EX", "abc"]), NOT_INT);
        assert_eq!(c.run(&["GETEX", "k", "EX", "0"]), invalid("getex"));
        assert_eq!(c.run(&["GETEX", "k", "PX", "-1"]), invalid("getex"));
        assert_eq!(c.run(&["GETEX", "k", "EX", "9223372036854776"]), invalid("getex"));
        assert_eq!(expire_of(&c, "k"), None);
        assert_eq!(c.run(&["GETEX", "k"]), bulk("v"));
        assert_eq!(expire_of(&c, "k"), None);
        assert_eq!(c.run(&["GETEX", "k", "EX", "100"]), bulk("v"));
        let t = ttl_ms(&c, "k").unwrap();
        assert!(t > 99_000 && t <= 100_000);
        assert_eq!(c.run(&["GETEX", "k", "PERSIST"]), bulk("v"));
        assert_eq!(expire_of(&c, "k"), None);
        assert_eq!(c.run(&["GETEX", "k", "PXAT", "99999999999999"]), bulk("v"));
        assert_eq!(expire_of(&c, "k"), Some(99999999999999));
        assert_eq!(c.run(&["GETEX", "k", "EXAT", "99999999999"]), bulk("v"));
        assert_eq!(expire_of(&c, "k"), Some(99999999999000));
        assert_eq!(c.run(&["GETEX", "k", "PX", "100000"]), bulk("v"));
        assert!(ttl_ms(&c, "k").unwrap() <= 100_000);
        // A past absolute time deletes the key (after replying with it).
        let expired = c.srv.stats.expired_keys.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(c.run(&["GETEX", "k", "PXAT", "1"]), bulk("v"));
        assert!(!exists(&c, "k"));
        assert_eq!(c.srv.stats.expired_keys.load(std::sync::atomic::Ordering::Relaxed), expired + 1);
        c.run(&["SET", "k", "v"]);
        assert_eq!(c.run(&["GETEX", "k", "EXAT", "1"]), bulk("v"));
        assert_eq!(c.run(&["GET", "k"]), NIL);
        if plant_non_string(&mut c, "w") {
            assert_eq!(c.run(&["GETEX", "w", "EX", "10"]), WRONGTYPE);
            assert_eq!(c.run(&["GETEX", "w", "EX", "abc"]), WRONGTYPE);
            assert_eq!(c.run(&["GETEX", "w", "FOO"]), SYNTAX);
        }
    }

    #[test]
    fn getdel_getset() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["GETDEL", "k"]), NIL);
        c.run(&["SET", "k", "v", "EX", "100"]);
        assert_eq!(c.run(&["GETDEL", "k"]), bulk("v"));
        assert!(!exists(&c, "k"));
        let typed = plant_non_string(&mut c, "w");
        if typed {
            assert_eq!(c.run(&["GETDEL", "w"]), WRONGTYPE);
            assert!(exists(&c, "w"));
        }

        assert_eq!(c.run(&["GETSET", "k", "1"]), NIL);
        assert_eq!(c.run(&["GETSET", "k", "2"]), bulk("1"));
        assert_eq!(encoding(&c, "k"), "int");
        c.run(&["SET", "k", "v", "EX", "100"]);
        assert_eq!(c.run(&["GETSET", "k", "x"]), bulk("v"));
        assert_eq!(expire_of(&c, "k"), None);
        if typed {
            assert_eq!(c.run(&["GETSET", "w", "x"]), WRONGTYPE);
        }
    }

    #[test]
    fn mget_mset_msetnx() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["MSET", "a"]), "-ERR wrong number of arguments for 'mset' command\r\n");
        assert_eq!(c.run(&["MSET", "a", "1", "b"]), "-ERR wrong number of arguments for 'mset' command\r\n");
        assert_eq!(c.run(&["MSETNX", "a", "1", "b"]), "-ERR wrong number of arguments for 'msetnx' command\r\n");
        assert_eq!(c.run(&["MSET", "a", "1", "b", "2", "a", "3"]), OK);
        assert_eq!(c.run(&["MGET", "a", "b", "nokey"]), "*3\r\n$1\r\n3\r\n$1\r\n2\r\n$-1\r\n");
        assert_eq!(c.run(&["MSETNX", "a", "1", "c", "2"]), ":0\r\n");
        assert!(!exists(&c, "c"));
        if plant_non_string(&mut c, "w") {
            assert_eq!(c.run(&["MGET", "a", "w"]), "*2\r\n$1\r\n3\r\n$-1\r\n");
            assert_eq!(c.run(&["MSETNX", "w", "1", "c", "2"]), ":0\r\n");
            assert!(!exists(&c, "c"));
        }
        assert_eq!(c.run(&["MSETNX", "c", "1", "d", "2", "c", "3"]), ":1\r\n");
        assert_eq!(c.run(&["MGET", "c", "d"]), "*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
        c.run(&["SET", "e", "1", "EX", "100"]);
        assert_eq!(c.run(&["MSET", "e", "2"]), OK);
        assert_eq!(expire_of(&c, "e"), None);
        // Keys in many stripes at once.
        let mut args = vec!["MSET".to_string()];
        for i in 0..100 {
            args.push(format!("key:{i}"));
            args.push(i.to_string());
        }
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        assert_eq!(c.run(&refs), OK);
        assert_eq!(c.run(&["MGET", "key:0", "key:99"]), "*2\r\n$1\r\n0\r\n$2\r\n99\r\n");
    }

    #[test]
    fn dirty_counts_writes() {
        let mut c = TestClient::new();
        let dirty = |c: &TestClient| c.srv.stats.dirty.load(std::sync::atomic::Ordering::Relaxed);
        let d0 = dirty(&c);
        c.run(&["SET", "k", "v"]);
        c.run(&["SET", "k", "v", "NX"]);
        c.run(&["MSET", "a", "1", "b", "2"]);
        c.run(&["GET", "k"]);
        assert_eq!(dirty(&c) - d0, 3);
    }
}

/// SET's key flags for COMMAND GETKEYSANDFLAGS: with the GET option it
/// reads the old value (RW, ACCESS), otherwise it only overwrites (OW).
pub fn set_key_flags(line: &[&[u8]]) -> u32 {
    use crate::spec::kf;
    if line.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get")) {
        kf::RW | kf::ACCESS | kf::UPDATE
    } else {
        kf::OW | kf::UPDATE
    }
}
