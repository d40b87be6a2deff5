//! DEL UNLINK EXISTS TOUCH TYPE: per-key lookups and removals over the
//! keys the dispatcher already locked.

use super::lazyfree;
use super::peek_counted;
use crate::ctx::{type_name, Ctx};
use crate::error::CmdResult;
use crate::notify::class::GENERIC;
use moon_resp::Argv;
use std::sync::atomic::Ordering::Relaxed;

pub fn del(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let lazy = ctx.srv.config.hot.lazy_user_del.load(Relaxed);
    remove_keys(ctx, argv, lazy)
}

pub fn unlink(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    remove_keys(ctx, argv, true)
}

/// DEL and UNLINK reply the same; they differ only in who frees big values.
fn remove_keys(ctx: &mut Ctx, argv: &Argv, lazy: bool) -> CmdResult {
    let mut n = 0;
    for key in argv.iter().skip(1) {
        if let Some(e) = ctx.ks.remove(key) {
            ctx.notify(GENERIC, "del", key);
            n += 1;
            if lazy {
                lazyfree::free_entry(e);
            }
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// Counts repeated keys as many times as they are named, as Redis does.
pub fn exists(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mut n = 0;
    for key in argv.iter().skip(1) {
        if peek_counted(&mut ctx.ks, key, |_| ()).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// A normal read lookup: updates the LRU/LFU field (the point of TOUCH),
/// even for a client in CLIENT NO-TOUCH mode (exec.rs allows that).
pub fn touch(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let mut n = 0;
    for key in argv.iter().skip(1) {
        if ctx.ks.read(key).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

pub fn type_cmd(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let name = peek_counted(&mut ctx.ks, argv.get(1), type_name).unwrap_or("none");
    ctx.out.simple(name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{int, put, setup};
    use crate::testing::TestClient;
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn del_unlink_exists() {
        let mut c = TestClient::new();
        setup(&mut c, &[("a", "1"), ("b", "2"), ("", "e"), ("{t}x", "3"), ("{t}y", "4")]);
        assert_eq!(c.run(&["EXISTS", "a", "a", "nokey", ""]), ":3\r\n");
        assert_eq!(c.run(&["DEL", "a", "a", "nokey"]), ":1\r\n");
        assert_eq!(c.run(&["EXISTS", "a"]), ":0\r\n");
        assert_eq!(c.run(&["UNLINK", "b", "", "{t}x", "{t}y", "zz"]), ":4\r\n");
        assert_eq!(c.run(&["DBSIZE"]), ":0\r\n");
        assert_eq!(c.run(&["DEL"]), "-ERR wrong number of arguments for 'del' command\r\n");
        assert_eq!(c.run(&["UNLINK"]), "-ERR wrong number of arguments for 'unlink' command\r\n");
        assert_eq!(c.run(&["EXISTS"]), "-ERR wrong number of arguments for 'exists' command\r\n");
        // Two real deletions: the save-point counter moved by exactly 5.
        assert_eq!(c.srv.stats.dirty.load(Relaxed), 5);
    }

    #[test]
    fn del_with_lazy_user_del() {
        let mut c = TestClient::with_config(&[("lazyfree-lazy-user-del", "yes")]);
        setup(&mut c, &[("a", "1")]);
        assert_eq!(c.run(&["DEL", "a", "b"]), ":1\r\n");
        assert_eq!(c.run(&["EXISTS", "a"]), ":0\r\n");
    }

    #[test]
    fn expired_keys_do_not_exist() {
        let mut c = TestClient::new();
        put(&c, 0, "old", "v", Some(1));
        assert_eq!(c.run(&["EXISTS", "old"]), ":0\r\n");
        assert_eq!(c.run(&["DEL", "old"]), ":0\r\n");
        assert_eq!(c.run(&["TYPE", "old"]), "+none\r\n");
        assert_eq!(c.srv.stats.expired_keys.load(Relaxed), 1);
    }

    #[test]
    fn type_and_stats() {
        let mut c = TestClient::new();
        setup(&mut c, &[("s", "x")]);
        assert_eq!(c.run(&["TYPE", "s"]), "+string\r\n");
        assert_eq!(c.run(&["TYPE", "nokey"]), "+none\r\n");
        assert_eq!(c.run(&["TYPE"]), "-ERR wrong number of arguments for 'type' command\r\n");
        assert_eq!(c.run(&["TYPE", "a", "b"]), "-ERR wrong number of arguments for 'type' command\r\n");
        assert_eq!(c.srv.stats.keyspace_hits.load(Relaxed), 1);
        assert_eq!(c.srv.stats.keyspace_misses.load(Relaxed), 1);
    }

    #[test]
    fn touch_counts_and_resets_idle() {
        let mut c = TestClient::new();
        setup(&mut c, &[("a", "1"), ("b", "2")]);
        // Age "a" by an hour in its LRU field.
        {
            let db = &c.srv.ks.dbs[0];
            let mut s = db.lock(db.stripe_of(b"a"));
            let now = moon_store::clock::now_ms();
            let e = s.get(b"a", now).unwrap();
            e.set_lru(moon_store::clock::lru_clock(now - 3_600_000));
        }
        let idle = int(&c.run(&["OBJECT", "IDLETIME", "a"]));
        assert!(idle >= 3599, "idle {idle}");
        assert_eq!(c.run(&["TOUCH", "a", "b", "nokey", "a"]), ":3\r\n");
        assert_eq!(c.run(&["OBJECT", "IDLETIME", "a"]), ":0\r\n");
        assert_eq!(c.run(&["TOUCH"]), "-ERR wrong number of arguments for 'touch' command\r\n");
    }
}
