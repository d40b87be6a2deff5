//! Whole-database operations: FLUSHDB FLUSHALL SWAPDB. All run under the
//! exclusive world lock, so no command observes a half-flushed or
//! half-swapped database.

use super::lazyfree;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, DB_INDEX, SYNTAX};
use crate::util::{eq_ic, parse_i64};
use moon_resp::Argv;
use moon_store::Db;
use std::sync::atomic::Ordering::Relaxed;

/// SYNC / ASYNC, defaulting to lazyfree-lazy-user-flush.
fn async_flag(ctx: &Ctx, argv: &Argv) -> Result<bool, CmdError> {
    match argv.len() {
        1 => Ok(ctx.srv.config.hot.lazy_user_flush.load(Relaxed)),
        2 if eq_ic(argv.get(1), "sync") => Ok(false),
        2 if eq_ic(argv.get(1), "async") => Ok(true),
        _ => Err(SYNTAX),
    }
}

/// Empty a database; returns the number of keys it held. ASYNC hands the
/// tables to the lazy-free thread instead of freeing them here.
fn empty_db(db: &Db, lazy: bool) -> u64 {
    let mut removed = 0;
    let mut garbage = Vec::new();
    db.for_each_stripe(|_, s| {
        if s.is_empty() {
            return;
        }
        if lazy {
            let table = s.take_all();
            removed += table.len() as u64;
            garbage.push(table);
        } else {
            removed += s.clear() as u64;
        }
    });
    if !garbage.is_empty() {
        lazyfree::drop_later(garbage);
    }
    removed
}

pub fn flushdb(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let lazy = async_flag(ctx, argv)?;
    ctx.srv.tracking.invalidate_all(ctx.srv);
    crate::multi::watch::touch_db(ctx.srv, ctx.ks.db_index, None, ctx.now());
    ctx.ks.dirty += empty_db(ctx.ks.db, lazy);
    crate::blocking::wake_db(ctx.srv, ctx.ks.db_index, ctx.now(), &mut ctx.ks.journal);
    ctx.out.ok();
    Ok(())
}

pub fn flushall(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let lazy = async_flag(ctx, argv)?;
    ctx.srv.tracking.invalidate_all(ctx.srv);
    for (i, db) in ctx.srv.ks.dbs.iter().enumerate() {
        crate::multi::watch::touch_db(ctx.srv, i, None, ctx.now());
        ctx.ks.dirty += empty_db(db, lazy);
        crate::blocking::wake_db(ctx.srv, i, ctx.now(), &mut ctx.ks.journal);
    }
    ctx.out.ok();
    Ok(())
}

/// A SWAPDB index: anything that is not an int reports which one.
fn swap_index(arg: &[u8], which: &str) -> Result<i64, CmdError> {
    parse_i64(arg)
        .filter(|v| *v >= i32::MIN as i64 && *v <= i32::MAX as i64)
        .ok_or_else(|| CmdError::err(format!("invalid {which} DB index")))
}

pub fn swapdb(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let a = swap_index(argv.get(1), "first")?;
    let b = swap_index(argv.get(2), "second")?;
    let n = ctx.srv.databases() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(DB_INDEX);
    }
    crate::multi::watch::touch_db(ctx.srv, a as usize, Some(b as usize), ctx.now());
    crate::multi::watch::touch_db(ctx.srv, b as usize, Some(a as usize), ctx.now());
    ctx.srv.ks.swap(a as usize, b as usize);
    crate::blocking::wake_db(ctx.srv, a as usize, ctx.now(), &mut ctx.ks.journal);
    crate::blocking::wake_db(ctx.srv, b as usize, ctx.now(), &mut ctx.ks.journal);
    // Counted even when both are the same database, as in Redis.
    ctx.ks.dirty += 1;
    ctx.out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::lazyfree;
    use super::super::test_util::{put, setup};
    use crate::testing::TestClient;
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn flush_option_errors() {
        let mut c = TestClient::new();
        for cmd in ["FLUSHDB", "FLUSHALL"] {
            assert_eq!(c.run(&[cmd, "x"]), "-ERR syntax error\r\n");
            assert_eq!(c.run(&[cmd, "sync", "async"]), "-ERR syntax error\r\n");
            assert_eq!(c.run(&[cmd, "async", "async"]), "-ERR syntax error\r\n");
            assert_eq!(c.run(&[cmd, "SYNC"]), "+OK\r\n");
            assert_eq!(c.run(&[cmd, "Async"]), "+OK\r\n");
            assert_eq!(c.run(&[cmd]), "+OK\r\n");
        }
    }

    #[test]
    fn flushdb_only_current() {
        let mut c = TestClient::new();
        for (mode, lazy) in [("SYNC", "no"), ("ASYNC", "no"), ("", "yes"), ("", "no")] {
            c.srv.config.set("lazyfree-lazy-user-flush", lazy, false).unwrap();
            setup(&mut c, &[("a", "1"), ("b", "2"), ("c", "3")]);
            put(&c, 1, "other", "x", None);
            let before = c.srv.stats.dirty.load(Relaxed);
            let args: Vec<&str> = ["FLUSHDB", mode].into_iter().filter(|s| !s.is_empty()).collect();
            assert_eq!(c.run(&args), "+OK\r\n");
            assert_eq!(c.srv.stats.dirty.load(Relaxed) - before, 3, "mode {mode} lazy {lazy}");
            assert_eq!(c.run(&["DBSIZE"]), ":0\r\n");
            assert_eq!(c.run(&["EXISTS", "a"]), ":0\r\n");
            assert_eq!(c.srv.ks.dbs[1].sizes().0, 1);
        }
        // An empty database changes nothing.
        let before = c.srv.stats.dirty.load(Relaxed);
        assert_eq!(c.run(&["FLUSHDB"]), "+OK\r\n");
        assert_eq!(c.srv.stats.dirty.load(Relaxed), before);
        // The database is usable afterwards.
        put(&c, 0, "new", "v", Some(i64::MAX));
        assert_eq!(c.run(&["DBSIZE"]), ":1\r\n");
        assert_eq!(c.run(&["EXPIRE", "new", "10", "LT"]), ":1\r\n");
    }

    #[test]
    fn flushall_every_db() {
        let mut c = TestClient::new();
        for mode in ["SYNC", "ASYNC"] {
            for db in 0..16 {
                put(&c, db, "k", "v", None);
                put(&c, db, "k2", "v", Some(i64::MAX));
            }
            let before = c.srv.stats.dirty.load(Relaxed);
            let freed_before = lazyfree::FREED.load(Relaxed);
            assert_eq!(c.run(&["FLUSHALL", mode]), "+OK\r\n");
            assert_eq!(c.srv.stats.dirty.load(Relaxed) - before, 32);
            assert!(c.srv.ks.dbs.iter().all(|d| d.sizes() == (0, 0)));
            if mode == "ASYNC" {
                // The tables went to the lazy-free thread.
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while lazyfree::FREED.load(Relaxed) == freed_before {
                    assert!(std::time::Instant::now() < deadline, "nothing freed in the background");
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
        }
    }

    #[test]
    fn swapdb() {
        let mut c = TestClient::new();
        let mut other = TestClient::connect(c.srv.clone());
        assert_eq!(other.run(&["SELECT", "1"]), "+OK\r\n");
        setup(&mut c, &[("in0", "zero")]);
        put(&c, 1, "in1", "one", Some(i64::MAX));
        assert_eq!(c.run(&["SWAPDB", "0", "1"]), "+OK\r\n");
        assert_eq!(c.run(&["EXISTS", "in0", "in1"]), ":1\r\n");
        assert!(c.run(&["TTL", "in1"]).starts_with(':'));
        assert_eq!(c.run(&["PERSIST", "in1"]), ":1\r\n");
        assert_eq!(other.run(&["EXISTS", "in0"]), ":1\r\n");
        assert_eq!(other.run(&["EXISTS", "in1"]), ":0\r\n");
        // Swapping with a never-used database empties this one.
        assert_eq!(other.run(&["SWAPDB", "1", "9"]), "+OK\r\n");
        assert_eq!(other.run(&["DBSIZE"]), ":0\r\n");
        other.run(&["SELECT", "9"]);
        assert_eq!(other.run(&["KEYS", "*"]), "*1\r\n$3\r\nin0\r\n");
        let before = c.srv.stats.dirty.load(Relaxed);
        assert_eq!(c.run(&["SWAPDB", "0", "0"]), "+OK\r\n");
        assert_eq!(c.srv.stats.dirty.load(Relaxed), before + 1);
        assert_eq!(c.run(&["DBSIZE"]), ":1\r\n");
    }

    #[test]
    fn swapdb_errors() {
        let mut c = TestClient::new();
        assert_eq!(c.run(&["SWAPDB", "0", "16"]), "-ERR DB index is out of range\r\n");
        assert_eq!(c.run(&["SWAPDB", "16", "0"]), "-ERR DB index is out of range\r\n");
        assert_eq!(c.run(&["SWAPDB", "-1", "0"]), "-ERR DB index is out of range\r\n");
        assert_eq!(c.run(&["SWAPDB", "x", "0"]), "-ERR invalid first DB index\r\n");
        assert_eq!(c.run(&["SWAPDB", "0", "x"]), "-ERR invalid second DB index\r\n");
        assert_eq!(c.run(&["SWAPDB", "x", "y"]), "-ERR invalid first DB index\r\n");
        assert_eq!(c.run(&["SWAPDB", "99999999999", "0"]), "-ERR invalid first DB index\r\n");
        assert_eq!(c.run(&["SWAPDB", "0", "1", "2"]), "-ERR wrong number of arguments for 'swapdb' command\r\n");
    }
}
