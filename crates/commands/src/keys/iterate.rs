//! Commands that look across a whole database without the world lock:
//! KEYS, RANDOMKEY, DBSIZE. They lock one stripe at a time, so what they
//! see is not a single instant across stripes; a Redis client cannot tell
//! the difference from writes landing just before or after the command.

use super::{drain_expired, is_expired};
use crate::ctx::Ctx;
use crate::error::CmdResult;
use crate::util::glob_match;
use moon_resp::Argv;

pub fn keys(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let pattern = argv.get(1);
    // Redis skips matching for "*", which also lets it match the empty key.
    let all = pattern == b"*";
    let now = ctx.now();
    let out = &mut *ctx.out;
    let header = out.defer();
    let mut n = 0;
    ctx.ks.db.for_each_stripe(|_, s| {
        for e in s.iter() {
            if is_expired(e, now) {
                continue;
            }
            if all || glob_match(pattern, e.key(), false) {
                out.bulk(e.key());
                n += 1;
            }
        }
    });
    out.end_array(header, n);
    Ok(())
}

/// Random picks that land on an expired key delete it and try again; after
/// this many, fall back to a walk (a database of mostly expired keys).
const RANDOM_TRIES: usize = 100;

pub fn randomkey(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let db = ctx.ks.db;
    let now = ctx.now();
    if !db.allocated() {
        ctx.out.null();
        return Ok(());
    }
    let n = db.nstripes();
    for _ in 0..RANDOM_TRIES {
        // A random stripe, or the next non-empty one after it.
        let start = rand::random::<u64>() as usize % n;
        let Some(mut s) = (0..n).map(|k| db.lock((start + k) % n)).find(|s| !s.is_empty()) else {
            ctx.out.null();
            return Ok(());
        };
        let Some(e) = s.random(rand::random()) else { continue };
        if !is_expired(e, now) {
            ctx.out.bulk(e.key());
            return Ok(());
        }
        let key = e.key().to_vec();
        let _ = s.get(&key, now);
        drain_expired(ctx.srv, ctx.ks.db_index, &mut s);
    }
    let mut found = false;
    let out = &mut *ctx.out;
    db.for_each_stripe(|_, s| {
        if !found {
            if let Some(e) = s.iter().find(|e| !is_expired(e, now)) {
                out.bulk(e.key());
                found = true;
            }
        }
    });
    if !found {
        out.null();
    }
    Ok(())
}

/// Keys stored, counting expired ones not reclaimed yet, as Redis does.
pub fn dbsize(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let (keys, _) = ctx.ks.db.sizes();
    ctx.out.int(keys as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{put, setup};
    use crate::testing::TestClient;
    use std::collections::HashSet;

    fn bulks(r: &str) -> Vec<String> {
        let lines: Vec<&str> = r.split("\r\n").collect();
        let n: usize = lines[0][1..].parse().unwrap();
        (0..n).map(|i| lines[2 + 2 * i].to_string()).collect()
    }

    #[test]
    fn keys_patterns() {
        let mut c = TestClient::new();
        setup(&mut c, &[("", "e"), ("hello", "1"), ("hallo", "2"), ("hxllo", "3"), ("world", "4")]);
        put(&c, 0, "hillo", "gone", Some(1));
        let all: HashSet<String> = bulks(&c.run(&["KEYS", "*"])).into_iter().collect();
        assert_eq!(all, ["", "hello", "hallo", "hxllo", "world"].iter().map(|s| s.to_string()).collect());
        // Only the bare "*" matches the empty key.
        assert_eq!(bulks(&c.run(&["KEYS", "**"])).len(), 4);
        let mut h = bulks(&c.run(&["KEYS", "h[ae]llo"]));
        h.sort();
        assert_eq!(h, ["hallo", "hello"]);
        assert_eq!(bulks(&c.run(&["KEYS", "h?llo"])).len(), 3);
        assert_eq!(c.run(&["KEYS", "nomatch*"]), "*0\r\n");
        assert_eq!(c.run(&["KEYS"]), "-ERR wrong number of arguments for 'keys' command\r\n");
        assert_eq!(c.run(&["KEYS", "a", "b"]), "-ERR wrong number of arguments for 'keys' command\r\n");
        c.run(&["HELLO", "3"]);
        assert_eq!(c.run(&["KEYS", "w*"]), "*1\r\n$5\r\nworld\r\n");
    }

    #[test]
    fn randomkey() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["RANDOMKEY"]), "$-1\r\n");
        put(&c, 0, "only", "v", None);
        assert_eq!(c.run(&["RANDOMKEY"]), "$4\r\nonly\r\n");
        assert_eq!(c.run(&["DEL", "only"]), ":1\r\n");
        assert_eq!(c.run(&["RANDOMKEY"]), "$-1\r\n");
        let keys: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
        for k in &keys {
            put(&c, 0, k, "v", None);
        }
        let mut seen = HashSet::new();
        for _ in 0..400 {
            let r = c.run(&["RANDOMKEY"]);
            let k = r.split("\r\n").nth(1).unwrap().to_string();
            assert!(keys.contains(&k));
            seen.insert(k);
        }
        assert!(seen.len() > 5, "not random: {seen:?}");
        assert_eq!(c.run(&["RANDOMKEY", "x"]), "-ERR wrong number of arguments for 'randomkey' command\r\n");
        c.run(&["HELLO", "3"]);
        c.run(&["SELECT", "3"]);
        assert_eq!(c.run(&["RANDOMKEY"]), "_\r\n");
    }

    #[test]
    fn randomkey_skips_expired() {
        let mut c = TestClient::new();
        for i in 0..300 {
            put(&c, 0, &format!("dead{i}"), "v", Some(1));
        }
        put(&c, 0, "alive", "v", None);
        assert_eq!(c.run(&["RANDOMKEY"]), "$5\r\nalive\r\n");
        for i in 0..300 {
            put(&c, 1, &format!("dead{i}"), "v", Some(1));
        }
        c.run(&["SELECT", "1"]);
        assert_eq!(c.run(&["RANDOMKEY"]), "$-1\r\n");
    }

    #[test]
    fn dbsize() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["DBSIZE"]), ":0\r\n");
        setup(&mut c, &[("a", "1"), ("b", "2")]);
        assert_eq!(c.run(&["DBSIZE"]), ":2\r\n");
        c.run(&["SELECT", "1"]);
        assert_eq!(c.run(&["DBSIZE"]), ":0\r\n");
        assert_eq!(c.run(&["DBSIZE", "x"]), "-ERR wrong number of arguments for 'dbsize' command\r\n");
    }
}
