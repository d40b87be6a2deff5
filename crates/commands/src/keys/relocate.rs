//! Moving values between names and databases: RENAME RENAMENX MOVE COPY.
//! A value keeps its expire time wherever it goes; RENAME and MOVE keep
//! the value itself (and its LRU), COPY makes a fresh one.

use super::{db_index_arg, drain_expired};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult, NO_SUCH_KEY, SYNTAX};
use crate::notify::class::{GENERIC, NEW};
use crate::util::eq_ic;
use moon_resp::Argv;
use moon_store::entry::fits_embstr;
use moon_store::{Entry, Object, StrEncoding, ValueRef};

const SAME_OBJECT: CmdError = CmdError::fixed("ERR source and destination objects are the same");

pub fn rename(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    rename_generic(ctx, argv, false)
}

pub fn renamenx(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    rename_generic(ctx, argv, true)
}

fn rename_generic(ctx: &mut Ctx, argv: &Argv, nx: bool) -> CmdResult {
    let (src, dst) = (argv.get(1), argv.get(2));
    if ctx.ks.write(src).is_none() {
        return Err(NO_SUCH_KEY);
    }
    if src == dst {
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    // Looked up even without NX: an expired destination is reclaimed (and
    // counted as expired) first, as Redis does.
    if ctx.ks.exists(dst) && nx {
        ctx.out.int(0);
        return Ok(());
    }
    // Taken straight from the stripe: a rename is one change, counted by
    // the insert below.
    let Some(old) = ctx.ks.stripe(src).remove(src) else { return Err(NO_SUCH_KEY) };
    if ctx.ks.insert(rekey(old, dst)).is_some() {
        // Redis deletes the old destination, then adds the key anew.
        ctx.ks.note_new(dst);
    }
    ctx.notify(GENERIC, "rename_from", src);
    ctx.notify(GENERIC, "rename_to", dst);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

/// The same value and expire time under another name. A boxed value is
/// moved over, not cloned. The LRU/LFU field starts fresh (0 until the
/// insert touches it): Redis 8.2 reports idle 0 and LFU_INIT_VAL after a
/// rename.
fn rekey(mut e: Entry, key: &[u8]) -> Entry {
    let expire = e.expire();
    match e.obj_mut() {
        Some(o) => Entry::new_obj(key, std::mem::replace(o, Object::Str(Vec::new())), expire),
        None => {
            let mut n = Entry::new_str(key, inline_bytes(&e), expire);
            n.set_str_encoding(e.str_encoding());
            demote_embstr(&mut n);
            n
        }
    }
}

/// Redis 8 embeds a key and its "embstr" value in one object; under the
/// new name of a RENAME or COPY the value stays embedded only if it still
/// fits, else it becomes "raw" (and raw never turns back).
fn demote_embstr(e: &mut Entry) {
    if let ValueRef::Inline(v) = e.value() {
        if e.str_encoding() == StrEncoding::Embstr && !fits_embstr(e.key().len(), v.len(), e.expire().is_some()) {
            e.set_str_encoding(StrEncoding::Raw);
        }
    }
}

fn inline_bytes(e: &Entry) -> &[u8] {
    match e.value() {
        ValueRef::Inline(b) => b,
        ValueRef::Obj(_) => &[],
    }
}

/// A new entry for `key` holding a copy of `e`'s value and expire time.
/// Its LRU starts fresh, as a newly created Redis object's does.
fn clone_entry(e: &Entry, key: &[u8]) -> Entry {
    let mut n = match e.value() {
        ValueRef::Inline(b) => Entry::new_str(key, b, e.expire()),
        ValueRef::Obj(o) => Entry::new_obj(key, o.clone(), e.expire()),
    };
    if !e.is_boxed() {
        n.set_str_encoding(e.str_encoding());
    }
    demote_embstr(&mut n);
    n
}

pub fn move_cmd(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let key = argv.get(1);
    let target = db_index_arg(argv.get(2), ctx.srv.databases())?;
    if target == ctx.ks.db_index {
        return Err(SAME_OBJECT);
    }
    let now = ctx.now();
    if ctx.ks.write(key).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    // MOVE runs under the exclusive world lock, so locking a stripe of
    // another database while holding one of ours cannot deadlock.
    let db = &ctx.srv.ks.dbs[target];
    let mut dst = db.lock(db.stripe_of(key));
    let taken = dst.get(key, now).is_some();
    drain_expired(ctx.srv, target, &mut dst);
    if taken {
        ctx.out.int(0);
        return Ok(());
    }
    let Some(mut e) = ctx.ks.stripe(key).remove(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    // Same key, same stripe index: the entry moves as it is, with a fresh
    // LRU/LFU field (the insert sets it), as Redis 8.2 shows.
    e.set_lru(0);
    dst.insert(e);
    drop(dst);
    ctx.ks.notify_db(target, NEW, "new", key);
    ctx.notify(GENERIC, "move_from", key);
    ctx.ks.notify_db(target, GENERIC, "move_to", key);
    arrived_in(ctx, target, key);
    ctx.ks.dirty += 1;
    ctx.out.int(1);
    Ok(())
}

/// `key` was written in database `db`, not the command's own: mark its
/// watchers and serve clients blocked on it there (the dispatcher does
/// both only for the command's own database).
fn arrived_in(ctx: &mut Ctx, db: usize, key: &[u8]) {
    let srv = ctx.srv;
    if srv.watches.any() {
        srv.watches.touch(db, key, srv.ks.dbs[db].stripe_of(key));
    }
    let now = ctx.now();
    crate::blocking::wake_moved(srv, db, key, now, &mut ctx.ks.journal);
}

pub fn copy(ctx: &mut Ctx, argv: &Argv) -> CmdResult {
    let (src, dst) = (argv.get(1), argv.get(2));
    let here = ctx.ks.db_index;
    let mut target = here;
    let mut replace = false;
    let mut i = 3;
    while i < argv.len() {
        let opt = argv.get(i);
        if eq_ic(opt, "replace") {
            replace = true;
        } else if eq_ic(opt, "db") && i + 1 < argv.len() {
            target = db_index_arg(argv.get(i + 1), ctx.srv.databases())?;
            i += 1;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    if target == here && src == dst {
        return Err(SAME_OBJECT);
    }
    // A normal read of the source: it counts as an access.
    if ctx.ks.read(src).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    let now = ctx.now();
    if target == here {
        if ctx.ks.exists(dst) && !replace {
            ctx.out.int(0);
            return Ok(());
        }
        let Some(copy) = ctx.ks.stripe(src).peek(src).map(|e| clone_entry(e, dst)) else { return Err(NO_SUCH_KEY) };
        if ctx.ks.insert(copy).is_some() {
            ctx.ks.note_new(dst);
        }
        ctx.notify(GENERIC, "copy_to", dst);
    } else {
        let db = &ctx.srv.ks.dbs[target];
        let mut d = db.lock(db.stripe_of(dst));
        let taken = d.get(dst, now).is_some();
        drain_expired(ctx.srv, target, &mut d);
        if taken && !replace {
            ctx.out.int(0);
            return Ok(());
        }
        let Some(copy) = ctx.ks.stripe(src).peek(src).map(|e| clone_entry(e, dst)) else { return Err(NO_SUCH_KEY) };
        d.insert(copy);
        drop(d);
        ctx.ks.notify_db(target, NEW, "new", dst);
        ctx.ks.notify_db(target, GENERIC, "copy_to", dst);
        arrived_in(ctx, target, dst);
        ctx.ks.dirty += 1;
    }
    ctx.out.int(1);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{int, put, setup};
    use crate::testing::TestClient;
    use moon_store::{Entry, Object};
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn rename_semantics() {
        let mut c = TestClient::new();
        setup(&mut c, &[("a", "1"), ("c", "3")]);
        assert_eq!(c.run(&["RENAME", "nokey", "x"]), "-ERR no such key\r\n");
        assert_eq!(c.run(&["RENAME", "nokey", "nokey"]), "-ERR no such key\r\n");
        assert_eq!(c.run(&["RENAMENX", "nokey", "x"]), "-ERR no such key\r\n");
        assert_eq!(c.run(&["RENAME", "a", "a"]), "+OK\r\n");
        assert_eq!(c.run(&["RENAMENX", "a", "a"]), ":0\r\n");
        assert_eq!(c.run(&["EXPIRE", "a", "100"]), ":1\r\n");
        assert_eq!(c.run(&["RENAME", "a", "b"]), "+OK\r\n");
        assert_eq!(c.run(&["EXISTS", "a"]), ":0\r\n");
        assert_eq!(c.run(&["TTL", "b"]), ":100\r\n");
        assert_eq!(c.run(&["RENAMENX", "b", "c"]), ":0\r\n");
        assert_eq!(c.run(&["RENAMENX", "b", "{x}d"]), ":1\r\n");
        assert_eq!(c.run(&["TTL", "{x}d"]), ":100\r\n");
        // Overwrites the destination, expire included.
        assert_eq!(c.run(&["RENAME", "c", "{x}d"]), "+OK\r\n");
        assert_eq!(c.run(&["TTL", "{x}d"]), ":-1\r\n");
        assert_eq!(c.run(&["DBSIZE"]), ":1\r\n");
        assert_eq!(c.run(&["RENAME", "a"]), "-ERR wrong number of arguments for 'rename' command\r\n");
        // EXPIRE + three renames.
        assert_eq!(c.srv.stats.dirty.load(Relaxed), 4);
    }

    #[test]
    fn rename_moves_boxed_values_and_lru() {
        let mut c = TestClient::new();
        {
            let db = &c.srv.ks.dbs[0];
            let mut e = Entry::new_obj(b"raw", Object::Str(b"hello".to_vec()), None);
            e.set_lru(moon_store::clock::lru_clock(moon_store::clock::now_ms() - 7_200_000));
            db.lock(db.stripe_of(b"raw")).insert(e);
        }
        assert_eq!(c.run(&["RENAME", "raw", "moved"]), "+OK\r\n");
        assert_eq!(c.run(&["OBJECT", "ENCODING", "moved"]), "$3\r\nraw\r\n");
        // The source lookup is an access (Redis 8.2 reports idle 0 here).
        assert_eq!(int(&c.run(&["OBJECT", "IDLETIME", "moved"])), 0);
        let db = &c.srv.ks.dbs[0];
        let s = db.lock(db.stripe_of(b"moved"));
        assert!(matches!(s.peek(b"moved").unwrap().value(), moon_store::ValueRef::Obj(Object::Str(v)) if v == b"hello"));
    }

    #[test]
    fn rename_over_expired_destination() {
        let mut c = TestClient::new();
        put(&c, 0, "src", "v", None);
        put(&c, 0, "gone", "old", Some(1));
        assert_eq!(c.run(&["RENAMENX", "src", "gone"]), ":1\r\n");
        assert_eq!(c.srv.stats.expired_keys.load(Relaxed), 1);
        assert_eq!(c.run(&["TTL", "gone"]), ":-1\r\n");
    }

    #[test]
    fn move_semantics() {
        let mut c = TestClient::new();
        setup(&mut c, &[("d", "1")]);
        assert_eq!(c.run(&["MOVE", "d", "0"]), "-ERR source and destination objects are the same\r\n");
        assert_eq!(c.run(&["MOVE", "d", "16"]), "-ERR DB index is out of range\r\n");
        assert_eq!(c.run(&["MOVE", "d", "-1"]), "-ERR DB index is out of range\r\n");
        assert_eq!(c.run(&["MOVE", "d", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(c.run(&["MOVE", "d", "99999999999"]), "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
        assert_eq!(c.run(&["MOVE", "nokey", "1"]), ":0\r\n");
        assert_eq!(c.run(&["EXPIRE", "d", "100"]), ":1\r\n");
        assert_eq!(c.run(&["MOVE", "d", "1"]), ":1\r\n");
        assert_eq!(c.run(&["EXISTS", "d"]), ":0\r\n");
        put(&c, 0, "d", "5", None);
        // Already in the target: nothing moves.
        assert_eq!(c.run(&["MOVE", "d", "1"]), ":0\r\n");
        let mut o = TestClient::connect(c.srv.clone());
        assert_eq!(o.run(&["SELECT", "1"]), "+OK\r\n");
        assert_eq!(o.run(&["TTL", "d"]), ":100\r\n");
        assert_eq!(o.run(&["MOVE", "d", "0"]), ":0\r\n");
        // An expired key in the target does not block the move.
        put(&c, 2, "d", "stale", Some(1));
        assert_eq!(c.run(&["MOVE", "d", "2"]), ":1\r\n");
        assert_eq!(o.run(&["SELECT", "2"]), "+OK\r\n");
        assert_eq!(o.run(&["TTL", "d"]), ":-1\r\n");
        assert_eq!(o.run(&["DBSIZE"]), ":1\r\n");
    }

    #[test]
    fn copy_semantics() {
        let mut c = TestClient::new();
        setup(&mut c, &[("d", "5")]);
        assert_eq!(c.run(&["COPY", "d", "d"]), "-ERR source and destination objects are the same\r\n");
        assert_eq!(c.run(&["COPY", "d", "d", "DB", "0"]), "-ERR source and destination objects are the same\r\n");
        assert_eq!(c.run(&["COPY", "d", "e", "db", "16"]), "-ERR DB index is out of range\r\n");
        assert_eq!(c.run(&["COPY", "d", "e", "db", "-1"]), "-ERR DB index is out of range\r\n");
        assert_eq!(c.run(&["COPY", "d", "e", "db", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(c.run(&["COPY", "d", "e", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["COPY", "d", "e", "db"]), "-ERR syntax error\r\n");
        assert_eq!(c.run(&["COPY", "d"]), "-ERR wrong number of arguments for 'copy' command\r\n");
        assert_eq!(c.run(&["COPY", "nokey", "e"]), ":0\r\n");
        assert_eq!(c.run(&["EXPIRE", "d", "100"]), ":1\r\n");
        assert_eq!(c.run(&["COPY", "d", "e"]), ":1\r\n");
        assert_eq!(c.run(&["TTL", "e"]), ":100\r\n");
        assert_eq!(c.run(&["COPY", "d", "e"]), ":0\r\n");
        assert_eq!(c.run(&["PERSIST", "d"]), ":1\r\n");
        assert_eq!(c.run(&["COPY", "d", "e", "REPLACE"]), ":1\r\n");
        assert_eq!(c.run(&["TTL", "e"]), ":-1\r\n");
        // Same name in another database is fine.
        assert_eq!(c.run(&["COPY", "d", "d", "db", "1"]), ":1\r\n");
        assert_eq!(c.run(&["COPY", "d", "d", "db", "1"]), ":0\r\n");
        assert_eq!(c.run(&["COPY", "d", "d", "replace", "db", "1"]), ":1\r\n");
        let mut o = TestClient::connect(c.srv.clone());
        o.run(&["SELECT", "1"]);
        assert_eq!(o.run(&["EXISTS", "d"]), ":1\r\n");
        assert_eq!(c.run(&["EXISTS", "d", "e"]), ":2\r\n");
        // Boxed values are cloned, not shared.
        {
            let db = &c.srv.ks.dbs[0];
            db.lock(db.stripe_of(b"r")).insert(Entry::new_obj(b"r", Object::Str(b"xyz".to_vec()), None));
        }
        assert_eq!(c.run(&["COPY", "r", "r2"]), ":1\r\n");
        assert_eq!(c.run(&["OBJECT", "ENCODING", "r2"]), "$3\r\nraw\r\n");
        assert_eq!(c.run(&["DEL", "r"]), ":1\r\n");
        assert_eq!(c.run(&["TYPE", "r2"]), "+string\r\n");
        // A copy is a new object: its idle time starts at zero.
        assert_eq!(c.run(&["OBJECT", "IDLETIME", "r2"]), ":0\r\n");
    }
}
