//! DEBUG: the subset of Redis' debugging command that tests and tools
//! rely on: SLEEP, OBJECT, SET-ACTIVE-EXPIRE, POPULATE, CHANGE-REPL-ID,
//! HELP. It takes the world lock, so DEBUG SLEEP stalls the whole server
//! the way it stalls Redis' single thread. The dispatcher refuses it
//! unless enable-debug-command allows it (PROTECTED flag).

use super::help::{reply_help, subcommand_syntax_error};
use super::memory::{total_system_memory, SLOT_OVERHEAD};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NOT_ALLOWED_NEGATIVE, NO_SUCH_KEY};
use crate::spec::{cmd, flag::*, CommandDef, Locking};
use crate::state::random_hex_id;
use crate::util::{eq_ic, parse_i64};
use moon_resp::Argv;
use moon_store::{clock, Entry, Object, ValueRef};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

pub static COMMANDS: &[CommandDef] =
    &[cmd("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED, 0, &[], debug, "server").locking(Locking::World)];

fn debug(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let sub = argv.get(1);
    let argc = argv.len();
    if eq_ic(sub, "help") && argc == 2 {
        help(ctx)
    } else if eq_ic(sub, "sleep") && argc == 3 {
        sleep(ctx, argv)
    } else if eq_ic(sub, "object") && argc == 3 {
        object(ctx, argv)
    } else if eq_ic(sub, "set-active-expire") && argc == 3 {
        // Redis reads the flag with atoi: anything not starting with a
        // non-zero number turns active expiry off.
        ctx.srv.active_expire_enabled.store(atoi_nonzero(argv.get(2)), Relaxed);
        ctx.out.ok();
        Ok(())
    } else if eq_ic(sub, "populate") && (3..=5).contains(&argc) {
        populate(ctx, argv)
    } else if eq_ic(sub, "digest") && argc == 2 {
        crate::persistence::digest(ctx)
    } else if eq_ic(sub, "digest-value") {
        crate::persistence::digest_value(ctx, argv)
    } else if eq_ic(sub, "reload") {
        crate::persistence::reload(ctx, argv)
    } else if eq_ic(sub, "loadaof") && argc == 2 {
        match crate::journal::aof::reload(ctx.srv) {
            Ok(_) => {
                ctx.out.ok();
                Ok(())
            }
            Err(e) => {
                // Redis exits here; the data is gone from memory and the
                // file cannot rebuild it.
                crate::warning!("{e}");
                crate::warning!("Fatal error loading the AOF in DEBUG LOADAOF. Exiting.");
                std::process::exit(1);
            }
        }
    } else if eq_ic(sub, "change-repl-id") && argc == 2 {
        *ctx.srv.replid.lock() = random_hex_id();
        ctx.out.ok();
        Ok(())
    } else {
        Err(subcommand_syntax_error(argv))
    }
}

fn help(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx.out,
        "DEBUG",
        &[
            "CHANGE-REPL-ID",
            "    Give the server a new replication id.",
            "DIGEST",
            "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Output a hex signature of the values of all the specified keys.",
            "OBJECT <key>",
            "    Show internal details of the value at <key>: address, encoding,",
            "    size once serialized, LRU clock and idle time.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys <prefix>:0 .. <prefix>:<count-1> (prefix",
            "    defaults to 'key') holding \"value:<n>\", cut or zero-padded to <size>",
            "    bytes when given. Keys that already exist are left alone.",
            "LOADAOF",
            "    Flush the AOF buffers on disk and reload the AOF in memory.",
            "RELOAD [option ...]",
            "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
            "    * MERGE: conflicting keys will be loaded from RDB.",
            "    * NOFLUSH: the existing database will not be removed before load; a",
            "      conflicting key makes the load fail (unless MERGE).",
            "    * NOSAVE: the database will not be saved to disk before reload.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Switch the background expiry of keys off (0) or back on (1); expired",
            "    keys are then only removed when accessed.",
            "SLEEP <seconds>",
            "    Block the server for <seconds> (fractions allowed).",
        ],
    );
    Ok(())
}

fn sleep(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let secs = strtod_prefix(argv.get(2));
    // Negative, NaN or absurd values sleep not at all, as nanosleep
    // rejects them in Redis.
    if let Ok(d) = Duration::try_from_secs_f64(secs) {
        std::thread::sleep(d);
    }
    ctx.out.ok();
    Ok(())
}

/// C's strtod on the longest numeric prefix (0 when there is none), which
/// is how Redis reads DEBUG SLEEP's argument.
fn strtod_prefix(s: &[u8]) -> f64 {
    let s = &s[s.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
    let digits = |from: usize| s[from.min(s.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut end = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let int = digits(end);
    end += int;
    let mut frac = 0;
    if s.get(end) == Some(&b'.') {
        frac = digits(end + 1);
        end += 1 + frac;
    }
    if int + frac == 0 {
        return 0.0;
    }
    if matches!(s.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(s.get(end + 1), Some(b'+' | b'-')));
        let exp = digits(end + 1 + sign);
        if exp > 0 {
            end += 1 + sign + exp;
        }
    }
    std::str::from_utf8(&s[..end]).ok().and_then(|t| t.parse().ok()).unwrap_or(0.0)
}

/// Whether C's atoi would return non-zero.
fn atoi_nonzero(s: &[u8]) -> bool {
    let s = &s[s.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
    let s = s.strip_prefix(b"-").or_else(|| s.strip_prefix(b"+")).unwrap_or(s);
    s.iter().take_while(|c| c.is_ascii_digit()).any(|&c| c != b'0')
}

fn object(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(2);
    let now = ctx.now();
    // No LRU touch and no hit/miss accounting, as in Redis.
    let e = ctx.ks.stripe(key).get(key, now).ok_or(NO_SUCH_KEY)?;
    let encoding = crate::keys::object::encoding_name(e);
    let (addr, serialized) = match e.value() {
        ValueRef::Inline(b) => (b.as_ptr() as usize, rdb_string_len(b)),
        ValueRef::Obj(o) => {
            let addr = o as *const Object as usize;
            match o {
                Object::Str(v) => (addr, rdb_string_len(v)),
                // The RDB writer (persistence) will give collections their
                // serialized length.
                _ => (addr, 0),
            }
        }
    };
    let lru = e.lru();
    let idle = clock::idle_ms(lru, now) / 1000;
    ctx.out.simple(&format!(
        "Value at:{addr:#x} refcount:1 encoding:{encoding} serializedlength:{serialized} lru:{lru} lru_seconds_idle:{idle}"
    ));
    Ok(())
}

/// Bytes the string takes in an RDB file: small canonical integers use
/// the 2/3/5-byte integer encodings, everything else a length prefix plus
/// the bytes. Redis LZF-compresses strings over 20 bytes when
/// rdbcompression is on, so for compressible long strings its
/// serializedlength is smaller than this.
// TODO(merge): account for LZF once the persist crate has it.
fn rdb_string_len(b: &[u8]) -> usize {
    if b.len() <= 11 {
        match parse_i64(b) {
            Some(v) if (-128..=127).contains(&v) => return 2,
            Some(v) if (-32768..=32767).contains(&v) => return 3,
            Some(v) if (i32::MIN as i64..=i32::MAX as i64).contains(&v) => return 5,
            _ => {}
        }
    }
    rdb_len_size(b.len()) + b.len()
}

/// Size of an RDB length prefix.
fn rdb_len_size(n: usize) -> usize {
    match n as u64 {
        0..=63 => 1,
        64..=16383 => 2,
        16384..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// A count or size argument as Redis' getPositiveLongFromObjectOrReply
/// reads it: anything but a non-negative integer is "out of range".
fn positive_arg(a: &[u8]) -> Result<u64, CmdError> {
    parse_i64(a).filter(|v| *v >= 0).map(|v| v as u64).ok_or(NOT_ALLOWED_NEGATIVE)
}

/// Longest populated key; Redis formats keys in a 128-byte buffer.
const POPULATE_KEY_MAX: usize = 127;

fn populate(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let count = positive_arg(argv.get(2))?;
    let prefix: &[u8] = if argv.len() >= 4 { cstr(argv.get(3)) } else { b"key" };
    let sysmem = total_system_memory() as u128;
    // Redis pre-sizes the table and fails when that cannot be allocated.
    if sysmem > 0 && count as u128 * 8 > sysmem {
        return Err(CmdError::err("OOM in dictTryExpand"));
    }
    let size = if argv.len() == 5 { positive_arg(argv.get(4))? } else { 0 };
    // Refuse up front what could never fit, rather than exhaust memory.
    let key_len = (prefix.len() + 21).min(POPULATE_KEY_MAX) as u128;
    let per_key = 16 + key_len + (size as u128).max(16) + SLOT_OVERHEAD as u128;
    if sysmem > 0 && count as u128 * per_key > sysmem {
        return Err(CmdError::err(format!(
            "DEBUG POPULATE would need about {} bytes, more than this machine's {sysmem}",
            count as u128 * per_key
        )));
    }
    let db = ctx.ks.db;
    let now = ctx.now();
    let mut key = Vec::with_capacity(POPULATE_KEY_MAX + 1);
    let mut val = Vec::new();
    let mut num = itoa::Buffer::new();
    let mut expired = 0;
    for j in 0..count {
        let n = num.format(j).as_bytes();
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(n);
        key.truncate(POPULATE_KEY_MAX);
        // The world lock is held exclusively, so locking stripes one by
        // one here cannot deadlock.
        let mut st = db.lock(db.stripe_of(&key));
        let exists = st.get(&key, now).is_some();
        expired += st.take_expired();
        if exists {
            continue;
        }
        val.clear();
        val.extend_from_slice(b"value:");
        val.extend_from_slice(n);
        if size > 0 {
            val.resize(size as usize, 0);
        }
        st.insert(Entry::new_str(&key, &val, None));
    }
    if expired > 0 {
        ctx.srv.stats.expired_keys.fetch_add(expired, Relaxed);
    }
    ctx.out.ok();
    Ok(())
}

/// Redis formats the prefix with %s: a NUL byte ends it.
fn cstr(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestClient;
    use std::time::Instant;

    fn get(c: &TestClient, key: &str) -> Option<Vec<u8>> {
        let db = &c.srv.ks.dbs[0];
        let mut st = db.lock(db.stripe_of(key.as_bytes()));
        st.get(key.as_bytes(), clock::now_ms()).map(|e| match e.value() {
            ValueRef::Inline(b) => b.to_vec(),
            ValueRef::Obj(Object::Str(v)) => v.clone(),
            #[allow(unreachable_patterns)]
            _ => panic!("not a string"),
        })
    }

    fn put(c: &TestClient, key: &str, e: Entry) {
        let db = &c.srv.ks.dbs[0];
        db.lock(db.stripe_of(key.as_bytes())).insert(e);
    }

    fn keys(c: &TestClient) -> usize {
        c.srv.ks.dbs[0].sizes().0
    }

    #[test]
    fn populate_semantics() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["DEBUG", "POPULATE", "0"]), "+OK\r\n");
        assert_eq!(keys(&c), 0);
        put(&c, "key:1", Entry::new_str(b"key:1", b"mine", None));
        assert_eq!(c.run(&["DEBUG", "POPULATE", "100"]), "+OK\r\n");
        assert_eq!(keys(&c), 100);
        assert_eq!(get(&c, "key:0").unwrap(), b"value:0");
        assert_eq!(get(&c, "key:99").unwrap(), b"value:99");
        assert_eq!(get(&c, "key:1").unwrap(), b"mine", "existing keys are skipped");
        c.run(&["DEBUG", "POPULATE", "2", "w", "10"]);
        assert_eq!(get(&c, "w:1").unwrap(), b"value:1\0\0\0");
        c.run(&["debug", "populate", "2", "t", "3"]);
        assert_eq!(get(&c, "t:1").unwrap(), b"val");
        assert_eq!(keys(&c), 104);
        let long = "x".repeat(200);
        c.run(&["DEBUG", "POPULATE", "1", &long]);
        assert_eq!(c.srv.ks.dbs[0].sizes().0, 105);
        assert!(get(&c, &long[..127]).is_some(), "keys are cut at 127 bytes");
        // Populating does not count as changes to save.
        assert_eq!(c.srv.stats.dirty.load(Relaxed), 0);
    }

    #[test]
    fn populate_errors() {
        let mut c = TestClient::new();
        let neg = "-ERR value is out of range, must be positive\r\n";
        assert_eq!(c.run(&["DEBUG", "POPULATE", "-1"]), neg);
        assert_eq!(c.run(&["DEBUG", "POPULATE", "x"]), neg);
        assert_eq!(c.run(&["DEBUG", "POPULATE", "3", "p", "-1"]), neg);
        assert_eq!(c.run(&["DEBUG", "POPULATE", "3", "p", "x"]), neg);
        assert_eq!(c.run(&["DEBUG", "POPULATE", "1000000000000000"]), "-ERR OOM in dictTryExpand\r\n");
        assert!(c.run(&["DEBUG", "POPULATE", "1000", "p", "100000000000"]).starts_with("-ERR DEBUG POPULATE would need"));
        assert_eq!(
            c.run(&["DEBUG", "POPULATE", "2", "q", "5", "extra"]),
            "-ERR unknown subcommand or wrong number of arguments for 'POPULATE'. Try DEBUG HELP.\r\n"
        );
        assert_eq!(keys(&c), 0);
    }

    #[test]
    fn object_lines() {
        let mut c = TestClient::new();
        let line = |c: &mut TestClient, k: &str| {
            let r = c.run(&["DEBUG", "OBJECT", k]);
            assert!(r.starts_with("+Value at:0x"), "{r}");
            r.split_once(" refcount:").unwrap().1.trim_end().to_string()
        };
        put(&c, "n", Entry::new_str(b"n", b"123", None));
        put(&c, "neg", Entry::new_str(b"neg", b"-12345", None));
        put(&c, "i32", Entry::new_str(b"i32", b"-2147483648", None));
        put(&c, "big", Entry::new_str(b"big", b"2147483648", None));
        put(&c, "min", Entry::new_str(b"min", b"-9223372036854775808", None));
        put(&c, "s", Entry::new_str(b"s", b"007", None));
        put(&c, "e", Entry::new_str(b"e", b"", None));
        put(&c, "l", Entry::new_str(b"l", &[b'a'; 45], None));
        put(&c, "raw", Entry::new_obj(b"raw", Object::Str(b"12".to_vec()), None));
        let lru = c.srv.ks.dbs[0].lock(c.srv.ks.dbs[0].stripe_of(b"n")).peek(b"n").unwrap().lru();
        assert_eq!(line(&mut c, "n"), format!("1 encoding:int serializedlength:2 lru:{lru} lru_seconds_idle:0"));
        assert!(line(&mut c, "neg").starts_with("1 encoding:int serializedlength:3 "));
        assert!(line(&mut c, "i32").starts_with("1 encoding:int serializedlength:5 "));
        assert!(line(&mut c, "big").starts_with("1 encoding:int serializedlength:11 "));
        assert!(line(&mut c, "min").starts_with("1 encoding:int serializedlength:21 "));
        assert!(line(&mut c, "s").starts_with("1 encoding:embstr serializedlength:4 "));
        assert!(line(&mut c, "e").starts_with("1 encoding:embstr serializedlength:1 "));
        assert!(line(&mut c, "l").starts_with("1 encoding:raw serializedlength:46 "));
        assert!(line(&mut c, "raw").starts_with("1 encoding:raw serializedlength:2 "));
        assert_eq!(c.run(&["DEBUG", "OBJECT", "nokey"]), "-ERR no such key\r\n");
        assert_eq!(c.srv.stats.keyspace_misses.load(Relaxed), 0);
        assert_eq!(c.run(&["DEBUG", "OBJECT"]), "-ERR unknown subcommand or wrong number of arguments for 'OBJECT'. Try DEBUG HELP.\r\n");
        assert_eq!((rdb_len_size(63), rdb_len_size(64), rdb_len_size(16384)), (1, 2, 5));
    }

    #[test]
    fn sleep_and_flags() {
        let mut c = TestClient::new();
        let t = Instant::now();
        assert_eq!(c.run(&["DEBUG", "SLEEP", "0.05"]), "+OK\r\n");
        assert!(t.elapsed() >= Duration::from_millis(50));
        for arg in ["0", "x", "-1", "nan", "1e999"] {
            let t = Instant::now();
            assert_eq!(c.run(&["DEBUG", "SLEEP", arg]), "+OK\r\n");
            assert!(t.elapsed() < Duration::from_secs(1), "{arg}");
        }
        assert_eq!((strtod_prefix(b" 0.5s"), strtod_prefix(b"1e-1"), strtod_prefix(b"2e"), strtod_prefix(b".")), (0.5, 0.1, 2.0, 0.0));
        assert_eq!(c.run(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
        assert!(!c.srv.active_expire_enabled.load(Relaxed));
        c.run(&["DEBUG", "SET-ACTIVE-EXPIRE", "2"]);
        assert!(c.srv.active_expire_enabled.load(Relaxed));
        c.run(&["DEBUG", "set-active-expire", "x"]);
        assert!(!c.srv.active_expire_enabled.load(Relaxed));
        let id = c.srv.replid.lock().clone();
        assert_eq!(c.run(&["DEBUG", "CHANGE-REPL-ID"]), "+OK\r\n");
        assert_ne!(*c.srv.replid.lock(), id);
        assert!(c.run(&["DEBUG", "HELP"]).starts_with("*27\r\n+DEBUG <subcommand>"));
        assert_eq!(c.run(&["DEBUG", "nosuch"]), "-ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP.\r\n");
        assert_eq!(c.run(&["DEBUG"]), "-ERR wrong number of arguments for 'debug' command\r\n");
    }

    #[test]
    fn refused_when_disabled() {
        let srv = std::sync::Arc::new(crate::state::Server::new(crate::config::Config::default(), 1));
        let mut c = TestClient::connect(srv);
        assert!(c.run(&["DEBUG", "HELP"]).starts_with("-ERR DEBUG command not allowed."));
    }
}
