//! OBJECT ENCODING / FREQ / IDLETIME / REFCOUNT / HELP: what Redis would
//! report about a value's representation and access history.

use super::peek_counted;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use moon_resp::Argv;
use moon_store::{clock, Entry, StrEncoding, ValueRef};

/// The encoding Redis would use for this value (OBJECT ENCODING, DEBUG
/// OBJECT). Each collection type adds its arm here.
pub fn encoding_name(e: &Entry) -> &'static str {
    match e.value() {
        ValueRef::Inline(_) => match e.str_encoding() {
            StrEncoding::Int => "int",
            StrEncoding::Embstr => "embstr",
            StrEncoding::Raw => "raw",
        },
        ValueRef::Obj(o) => o.encoding_name(),
    }
}

/// Redis 8 no longer shares small-integer objects between keys (measured:
/// OBJECT REFCOUNT is 1 for every string), so each value has one owner.
fn refcount_of(e: &Entry) -> i64 {
    match e.value() {
        ValueRef::Inline(_) | ValueRef::Obj(_) => 1,
    }
}

const LFU_NOT_SELECTED: &str = "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const LFU_SELECTED: &str = "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// Look the key up without touching it; a missing key replies null.
/// Returns what `f` computed from the entry.
fn with_key<R>(ctx: &mut Ctx, argv: &Argv, f: impl FnOnce(&Entry) -> R) -> Option<R> {
    // Redis looks OBJECT's key up without a "keymiss" event.
    let flags = ctx.ks.notify;
    ctx.ks.notify &= !crate::notify::class::KEY_MISS;
    let r = peek_counted(&mut ctx.ks, argv.get(2), f);
    ctx.ks.notify = flags;
    if r.is_none() {
        ctx.out.null();
    }
    r
}

pub fn encoding(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if let Some(name) = with_key(ctx, argv, encoding_name) {
        ctx.out.bulk(name.as_bytes());
    }
    Ok(())
}

pub fn freq(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let now = ctx.now();
    let Some(field) = with_key(ctx, argv, Entry::lru) else { return Ok(()) };
    if !clock::lfu_enabled() {
        return Err(CmdError::err(LFU_NOT_SELECTED));
    }
    // The counter as it reads now, decayed for the time since the last
    // access (Redis' LFUDecrAndReturn; OBJECT itself is not an access).
    ctx.out.int(clock::lfu_decay(field, now) as i64);
    Ok(())
}

pub fn idletime(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let now = ctx.now();
    let Some(field) = with_key(ctx, argv, Entry::lru) else { return Ok(()) };
    if clock::lfu_enabled() {
        return Err(CmdError::err(LFU_SELECTED));
    }
    ctx.out.int((clock::idle_ms(field, now) / 1000) as i64);
    Ok(())
}

pub fn refcount(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    if let Some(n) = with_key(ctx, argv, refcount_of) {
        ctx.out.int(n);
    }
    Ok(())
}

const HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Print this help.",
];

pub fn help(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    ctx.out.array(HELP.len());
    for line in HELP {
        ctx.out.simple(line);
    }
    Ok(())
}

/// The OBJECT container itself never runs: the dispatcher resolves a
/// subcommand (or rejects the call) first.
pub fn container(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    Err(CmdError::err(format!("unknown subcommand. Try {} HELP.", ctx.name().to_uppercase())))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{put, setup};
    use super::*;
    use crate::testing::TestClient;
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn encoding_through_commands() {
        let mut c = TestClient::new();
        let long = "x".repeat(41);
        setup(&mut c, &[("n", "12"), ("s", "hello"), ("l", &long)]);
        c.srv.ks.dbs[0].lock(c.srv.ks.dbs[0].stripe_of(b"r")).insert(Entry::new_obj(b"r", moon_store::Object::Str(b"1".to_vec()), None));
        assert_eq!(c.run(&["OBJECT", "ENCODING", "n"]), "$3\r\nint\r\n");
        assert_eq!(c.run(&["OBJECT", "ENCODING", "s"]), "$6\r\nembstr\r\n");
        assert_eq!(c.run(&["OBJECT", "ENCODING", "l"]), "$3\r\nraw\r\n");
        assert_eq!(c.run(&["object", "encoding", "r"]), "$3\r\nraw\r\n");
        assert_eq!(c.run(&["OBJECT", "ENCODING", "nokey"]), "$-1\r\n");
        assert_eq!(c.run(&["OBJECT", "ENCODING"]), "-ERR wrong number of arguments for 'object|encoding' command\r\n");
        assert_eq!(c.run(&["OBJECT"]), "-ERR wrong number of arguments for 'object' command\r\n");
        assert_eq!(c.run(&["OBJECT", "foo"]), "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n");
        c.run(&["HELLO", "3"]);
        assert_eq!(c.run(&["OBJECT", "ENCODING", "nokey"]), "_\r\n");
        assert_eq!(c.run(&["OBJECT", "REFCOUNT", "nokey"]), "_\r\n");
        // Lookups count as hits and misses.
        assert_eq!(c.srv.stats.keyspace_hits.load(Relaxed), 4);
        assert_eq!(c.srv.stats.keyspace_misses.load(Relaxed), 3);
    }

    #[test]
    fn refcount_idletime_freq() {
        let mut c = TestClient::new();
        setup(&mut c, &[("n", "0"), ("s", "text")]);
        assert_eq!(c.run(&["OBJECT", "REFCOUNT", "n"]), ":1\r\n");
        assert_eq!(c.run(&["OBJECT", "REFCOUNT", "s"]), ":1\r\n");
        assert_eq!(c.run(&["OBJECT", "IDLETIME", "s"]), ":0\r\n");
        assert_eq!(c.run(&["OBJECT", "IDLETIME", "nokey"]), "$-1\r\n");
        assert_eq!(c.run(&["OBJECT", "FREQ", "nokey"]), "$-1\r\n");
        assert_eq!(c.run(&["OBJECT", "FREQ", "s"]), format!("-ERR {LFU_NOT_SELECTED}\r\n"));
        assert_eq!(c.run(&["OBJECT", "FREQ", "s", "x"]), "-ERR wrong number of arguments for 'object|freq' command\r\n");
        // OBJECT does not refresh the idle time it reports.
        put(&c, 0, "aged", "v", None);
        {
            let db = &c.srv.ks.dbs[0];
            let mut s = db.lock(db.stripe_of(b"aged"));
            let now = clock::now_ms();
            s.get(b"aged", now).unwrap().set_lru(clock::lru_clock(now - 100_000));
        }
        for _ in 0..2 {
            let r = c.run(&["OBJECT", "IDLETIME", "aged"]);
            let idle: i64 = r[1..r.len() - 2].parse().unwrap();
            assert!((99..=101).contains(&idle), "{idle}");
        }
    }

    #[test]
    fn help_text() {
        let mut c = TestClient::new();
        let r = c.run(&["OBJECT", "HELP"]);
        assert!(r.starts_with("*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"));
        assert!(r.ends_with("+HELP\r\n+    Print this help.\r\n"));
        assert_eq!(c.run(&["OBJECT", "HELP", "x"]), "-ERR wrong number of arguments for 'object|help' command\r\n");
        c.run(&["HELLO", "3"]);
        assert_eq!(c.run(&["object", "help"]), r);
    }
}
