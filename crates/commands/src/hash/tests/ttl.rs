//! Field TTL commands and field expiry.

use super::{bulk, bulks, enc, ints, names, now_ms, WRONGTYPE};
use crate::testing::TestClient;

const FAR: &str = "4102444800";

fn sleep_ms(ms: u64) {
    std::thread::sleep(std::time::Duration::from_millis(ms));
}

#[test]
fn hexpire_argument_errors() {
    let mut c = TestClient::new();
    c.run(&["HSET", "h", "a", "1", "b", "2"]);
    let gt0 = "-ERR Parameter `numFields` should be greater than 0\r\n";
    let mismatch = "-ERR The `numfields` parameter must match the number of arguments\r\n";
    let missing = "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n";
    assert_eq!(c.run(&["HEXPIRE", "h", "10", "FIELDS", "0", "a"]), gt0);
    assert_eq!(c.run(&["HEXPIRE", "h", "10", "FIELDS", "-1", "a"]), gt0);
    assert_eq!(c.run(&["HEXPIRE", "h", "10", "FIELDS", "x", "a"]), gt0);
    assert_eq!(c.run(&["HEXPIRE", "h", "10", "FIELDS", "2", "a"]), mismatch);
    assert_eq!(c.run(&["HEXPIRE", "h", "10", "FIELDS", "1", "a", "b"]), mismatch);
    assert_eq!(c.run(&["HEXPIRE", "h", "10", "NX", "FIELDS", "1"]), mismatch);
    assert_eq!(c.run(&["HEXPIRE", "h", "10", "foo", "1", "a"]), missing);
    assert_eq!(c.run(&["HEXPIRE", "h", "10", "NX", "XX", "FIELDS", "1", "a"]), missing);
    assert_eq!(c.run(&["HEXPIRE", "h", "10", "1", "a"]), "-ERR wrong number of arguments for 'hexpire' command\r\n");
    assert_eq!(c.run(&["HEXPIRE", "h", "abc", "FIELDS", "1", "a"]), super::NOT_INT);
    assert_eq!(c.run(&["HEXPIRE", "h", "-1", "FIELDS", "1", "a"]), "-ERR invalid expire time, must be >= 0\r\n");
    assert_eq!(c.run(&["HEXPIRE", "h", "9223372036854775807", "FIELDS", "1", "a"]), "-ERR invalid expire time in 'hexpire' command\r\n");
    assert_eq!(c.run(&["HPEXPIRE", "h", "70368744177663", "FIELDS", "1", "a"]), "-ERR invalid expire time in 'hpexpire' command\r\n");
    assert_eq!(c.run(&["HPEXPIREAT", "h", "70368744177664", "FIELDS", "1", "a"]), "-ERR invalid expire time in 'hpexpireat' command\r\n");
    assert_eq!(c.run(&["HEXPIREAT", "h", "70368744178", "FIELDS", "1", "a"]), "-ERR invalid expire time in 'hexpireat' command\r\n");
    assert_eq!(c.run(&["HPEXPIREAT", "h", "70368744177663", "FIELDS", "1", "a"]), ints(&[1]));
    assert_eq!(c.run(&["HEXPIREAT", "h", "70368744177", "FIELDS", "1", "b"]), ints(&[1]));
    assert_eq!(c.run(&["HPEXPIRETIME", "h", "FIELDS", "2", "a", "b"]), ints(&[70368744177663, 70368744177000]));
    // A missing key: arguments still checked, then -2 per field.
    assert_eq!(c.run(&["HEXPIRE", "nokey", "abc", "FIELDS", "1", "a"]), super::NOT_INT);
    assert_eq!(c.run(&["HEXPIRE", "nokey", "10", "FIELDS", "0", "a"]), gt0);
    assert_eq!(c.run(&["HEXPIRE", "nokey", "10", "FIELDS", "2", "a", "b"]), ints(&[-2, -2]));
    assert_eq!(c.run(&["EXISTS", "nokey"]), ":0\r\n");
}

#[test]
fn httl_hpersist_argument_errors() {
    let mut c = TestClient::new();
    c.run(&["HSET", "h", "a", "1"]);
    let positive = "-ERR Number of fields must be a positive integer\r\n";
    let mismatch = "-ERR The `numfields` parameter must match the number of arguments\r\n";
    let missing = "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n";
    for cmd in ["HTTL", "HPTTL", "HEXPIRETIME", "HPEXPIRETIME", "HPERSIST"] {
        assert_eq!(c.run(&[cmd, "h", "FIELDS", "0", "a"]), positive, "{cmd}");
        assert_eq!(c.run(&[cmd, "h", "FIELDS", "x", "a"]), positive, "{cmd}");
        assert_eq!(c.run(&[cmd, "h", "FIELDS", "2", "a"]), mismatch, "{cmd}");
        assert_eq!(c.run(&[cmd, "h", "FOO", "1", "a"]), missing, "{cmd}");
        assert_eq!(c.run(&[cmd, "nokey", "FIELDS", "2", "a", "b"]), ints(&[-2, -2]), "{cmd}");
        assert_eq!(c.run(&[cmd, "h", "fields", "2", "a", "zz"]), ints(&[-1, -2]), "{cmd}");
    }
    assert_eq!(enc(&mut c, "h"), bulk("listpack"), "read-only TTL commands and HPERSIST do not convert");
}

#[test]
fn conditions_replies_and_ttl_reads() {
    let mut c = TestClient::new();
    c.run(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(c.run(&["HEXPIRE", "h", "100", "XX", "FIELDS", "1", "a"]), ints(&[0]));
    assert_eq!(enc(&mut c, "h"), bulk("listpackex"), "any TTL command converts");
    assert_eq!(c.run(&["HEXPIRE", "h", "100", "GT", "FIELDS", "1", "a"]), ints(&[0]));
    assert_eq!(c.run(&["HEXPIRE", "h", "100", "LT", "FIELDS", "1", "a"]), ints(&[1]));
    assert_eq!(c.run(&["HEXPIRE", "h", "100", "NX", "FIELDS", "2", "a", "b"]), ints(&[0, 1]));
    assert_eq!(c.run(&["HEXPIRE", "h", "200", "GT", "FIELDS", "1", "a"]), ints(&[1]));
    assert_eq!(c.run(&["HEXPIRE", "h", "50", "GT", "FIELDS", "1", "a"]), ints(&[0]));
    assert_eq!(c.run(&["HEXPIRE", "h", "50", "lt", "FIELDS", "1", "a"]), ints(&[1]));
    assert_eq!(c.run(&["HEXPIRE", "h", "50", "XX", "FIELDS", "3", "a", "c", "zz"]), ints(&[1, 0, -2]));
    assert_eq!(c.run(&["HTTL", "h", "FIELDS", "3", "a", "c", "zz"]), ints(&[50, -1, -2]));
    let pttl = c.run(&["HPTTL", "h", "FIELDS", "1", "b"]);
    let ms: i64 = pttl.split("\r\n").nth(1).unwrap()[1..].parse().unwrap();
    assert!((99_000..=100_000).contains(&ms), "{pttl}");
    let t: i64 = FAR.parse().unwrap();
    assert_eq!(c.run(&["HEXPIREAT", "h", FAR, "FIELDS", "1", "c"]), ints(&[1]));
    assert_eq!(c.run(&["HEXPIRETIME", "h", "FIELDS", "1", "c"]), ints(&[t]));
    assert_eq!(c.run(&["HPEXPIRETIME", "h", "FIELDS", "1", "c"]), ints(&[t * 1000]));
    c.run(&["HPEXPIREAT", "h", "4102444800001", "FIELDS", "1", "c"]);
    assert_eq!(c.run(&["HEXPIRETIME", "h", "FIELDS", "1", "c"]), ints(&[t + 1]), "seconds round up");
    assert_eq!(c.run(&["HPERSIST", "h", "FIELDS", "3", "c", "c", "zz"]), ints(&[1, -1, -2]));
    // A time not in the future deletes: 2, then -2.
    assert_eq!(c.run(&["HPEXPIRE", "h", "0", "FIELDS", "2", "a", "a"]), ints(&[2, -2]));
    assert_eq!(c.run(&["HEXPIREAT", "h", "1", "FIELDS", "2", "b", "c"]), ints(&[2, 2]));
    assert_eq!(c.run(&["EXISTS", "h"]), ":0\r\n", "the last field deleted takes the key");
}

#[test]
fn listpackex_order_matches_redis() {
    let mut c = TestClient::new();
    c.run(&["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"]);
    c.run(&["HEXPIREAT", "h", "4102444800", "FIELDS", "2", "c", "a"]);
    assert_eq!(names(&c.run(&["HGETALL", "h"]), 2), ["a", "c", "b", "d", "e"]);
    c.run(&["HEXPIREAT", "h", "4102444800", "FIELDS", "1", "e"]);
    assert_eq!(names(&c.run(&["HKEYS", "h"]), 1), ["e", "a", "c", "b", "d"]);
    c.run(&["HEXPIREAT", "h", "4102444700", "FIELDS", "1", "d"]);
    assert_eq!(names(&c.run(&["HKEYS", "h"]), 1), ["d", "e", "a", "c", "b"]);
    c.run(&["HEXPIREAT", "h", "4102444900", "FIELDS", "1", "c"]);
    assert_eq!(names(&c.run(&["HKEYS", "h"]), 1), ["d", "e", "a", "c", "b"]);
    // HSET of a field with a TTL drops the TTL and moves it to the end.
    c.run(&["HSET", "h", "c", "33"]);
    assert_eq!(names(&c.run(&["HKEYS", "h"]), 1), ["d", "e", "a", "b", "c"]);
    // HINCRBY and HSETEX KEEPTTL keep both.
    c.run(&["HSET", "h", "d", "4"]);
    c.run(&["HEXPIREAT", "h", "4102444700", "FIELDS", "1", "d"]);
    c.run(&["HINCRBY", "h", "d", "1"]);
    c.run(&["HSETEX", "h", "KEEPTTL", "FIELDS", "1", "e", "55"]);
    assert_eq!(c.run(&["HGETALL", "h"]), bulks(&["d", "5", "e", "55", "a", "1", "b", "2", "c", "33"]));
    assert_eq!(c.run(&["HEXPIRETIME", "h", "FIELDS", "2", "d", "e"]), ints(&[4102444700, 4102444800]));
    // HPERSIST and HGETEX PERSIST move the field to the end.
    c.run(&["HPERSIST", "h", "FIELDS", "1", "d"]);
    assert_eq!(names(&c.run(&["HKEYS", "h"]), 1), ["e", "a", "b", "c", "d"]);
    c.run(&["HGETEX", "h", "PERSIST", "FIELDS", "2", "e", "a"]);
    assert_eq!(names(&c.run(&["HKEYS", "h"]), 1), ["b", "c", "d", "e", "a"]);
    // New fields given a TTL together: the later one goes first.
    c.run(&["HSETEX", "h", "EXAT", "4102444800", "FIELDS", "2", "x", "1", "y", "2"]);
    assert_eq!(names(&c.run(&["HKEYS", "h"]), 1), ["y", "x", "b", "c", "d", "e", "a"]);
    assert_eq!(enc(&mut c, "h"), bulk("listpackex"));
    // The TTLs survive a conversion.
    c.run(&["CONFIG", "SET", "hash-max-listpack-entries", "7"]);
    c.run(&["HSET", "h", "z", "1"]);
    assert_eq!(enc(&mut c, "h"), bulk("hashtable"));
    assert_eq!(c.run(&["HEXPIRETIME", "h", "FIELDS", "3", "x", "y", "z"]), ints(&[4102444800, 4102444800, -1]));
}

#[test]
fn expired_fields_are_invisible_and_empty_hashes_vanish() {
    for big in [false, true] {
        let mut c = TestClient::new();
        if big {
            c.run(&["CONFIG", "SET", "hash-max-listpack-entries", "1"]);
        }
        c.run(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
        let at = (now_ms() + 30).to_string();
        assert_eq!(c.run(&["HPEXPIREAT", "h", &at, "FIELDS", "2", "a", "b"]), ints(&[1, 1]));
        assert_eq!(c.run(&["HLEN", "h"]), ":3\r\n");
        sleep_ms(40);
        assert_eq!(c.run(&["HLEN", "h"]), ":1\r\n", "big={big}");
        assert_eq!(c.run(&["HGET", "h", "a"]), "$-1\r\n");
        assert_eq!(c.run(&["HGETALL", "h"]), bulks(&["c", "3"]));
        assert_eq!(c.run(&["HTTL", "h", "FIELDS", "2", "a", "c"]), ints(&[-2, -1]));
        assert_eq!(c.run(&["HSET", "h", "a", "9"]), ":1\r\n", "an expired field is a new field");
        assert_eq!(c.run(&["HEXPIRE", "h", "100", "FIELDS", "1", "b"]), ints(&[-2]));
        let at = (now_ms() + 20).to_string();
        c.run(&["HPEXPIREAT", "h", &at, "FIELDS", "2", "a", "c"]);
        sleep_ms(30);
        assert_eq!(c.run(&["EXISTS", "h"]), ":0\r\n", "big={big}");
        assert_eq!(c.run(&["HLEN", "h"]), ":0\r\n");
    }
}

#[test]
fn active_expiry_purges_fields_and_keys() {
    let mut c = TestClient::new();
    let at = (now_ms() + 20).to_string();
    for key in ["h1", "h2"] {
        c.run(&["HSET", key, "a", "1", "b", "2"]);
        c.run(&["HPEXPIREAT", key, &at, "FIELDS", "1", "a"]);
    }
    c.run(&["HPEXPIREAT", "h2", &at, "FIELDS", "1", "b"]);
    let srv = c.srv.clone();
    let db = &srv.ks.dbs[0];
    let flagged = || {
        let mut n = 0;
        db.for_each_stripe(|_, s| n += s.field_ttl_keys());
        n
    };
    assert_eq!(flagged(), 2);
    sleep_ms(30);
    let now = now_ms();
    let mut expired_fields = 0;
    db.for_each_stripe(|_, s| {
        while s.expire_step(now, 64) != (0, 0) {}
        s.expire_step(now, 1 << 20);
        expired_fields += s.take_expired_fields();
    });
    assert_eq!(expired_fields, 3);
    assert_eq!(flagged(), 0);
    assert_eq!(db.sizes().0, 1, "h2 lost its last field and went away");
    assert_eq!(c.run(&["HGETALL", "h1"]), bulks(&["b", "2"]));
}

#[test]
fn renamed_and_copied_hashes_keep_expiring() {
    let mut c = TestClient::new();
    c.run(&["HSET", "h", "a", "1", "b", "2"]);
    let at = (now_ms() + 20).to_string();
    c.run(&["HPEXPIREAT", "h", &at, "FIELDS", "1", "a"]);
    c.run(&["COPY", "h", "h2"]);
    c.run(&["RENAME", "h", "h3"]);
    let srv = c.srv.clone();
    let db = &srv.ks.dbs[0];
    let mut n = 0;
    db.for_each_stripe(|_, s| n += s.field_ttl_keys());
    assert_eq!(n, 2);
    sleep_ms(30);
    assert_eq!(c.run(&["HKEYS", "h2"]), bulks(&["b"]));
    assert_eq!(c.run(&["HKEYS", "h3"]), bulks(&["b"]));
    c.run(&["SET", "h2", "x"]);
    let mut n = 0;
    db.for_each_stripe(|_, s| n += s.field_ttl_keys());
    assert_eq!(n, 0);
}

#[test]
fn hgetdel() {
    let mut c = TestClient::new();
    c.run(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(c.run(&["HGETDEL", "h", "FIELDS", "0", "a"]), "-ERR Number of fields must be a positive integer\r\n");
    assert_eq!(c.run(&["HGETDEL", "h", "FIELDS", "2", "a"]), "-ERR The `numfields` parameter must match the number of arguments\r\n");
    assert_eq!(c.run(&["HGETDEL", "h", "foo", "1", "a"]), "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n");
    assert_eq!(c.run(&["HGETDEL", "nokey", "FIELDS", "1", "a"]), "*1\r\n$-1\r\n");
    assert_eq!(c.run(&["HGETDEL", "h", "FIELDS", "2", "a", "zz"]), "*2\r\n$1\r\n1\r\n$-1\r\n");
    assert_eq!(c.run(&["HGETDEL", "h", "FIELDS", "3", "b", "b", "c"]), "*3\r\n$1\r\n2\r\n$-1\r\n$1\r\n3\r\n");
    assert_eq!(c.run(&["EXISTS", "h"]), ":0\r\n");
}

#[test]
fn hgetex() {
    let mut c = TestClient::new();
    c.run(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(c.run(&["HGETEX", "h", "FIELDS", "1", "a"]), bulks(&["1"]));
    assert_eq!(enc(&mut c, "h"), bulk("listpack"), "a plain HGETEX converts nothing");
    assert_eq!(c.run(&["HGETEX", "h", "EX", "10", "FIELDS", "1", "a"]), bulks(&["1"]));
    assert_eq!(c.run(&["HTTL", "h", "FIELDS", "1", "a"]), ints(&[10]));
    assert_eq!(c.run(&["HGETEX", "h", "PERSIST", "FIELDS", "2", "a", "zz"]), "*2\r\n$1\r\n1\r\n$-1\r\n");
    assert_eq!(c.run(&["HTTL", "h", "FIELDS", "1", "a"]), ints(&[-1]));
    assert_eq!(c.run(&["HGETEX", "h", "PX", "0", "FIELDS", "3", "a", "b", "a"]), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n");
    assert_eq!(c.run(&["HGETALL", "h"]), bulks(&["c", "3"]));
    assert_eq!(c.run(&["HGETEX", "h", "EXAT", "1", "FIELDS", "1", "c"]), bulks(&["3"]));
    assert_eq!(c.run(&["EXISTS", "h"]), ":0\r\n");
    c.run(&["HSET", "h", "a", "1"]);
    assert_eq!(c.run(&["HGETEX", "h", "PXAT", "4102444800000", "FIELDS", "1", "zz"]), "*1\r\n$-1\r\n");
    assert_eq!(enc(&mut c, "h"), bulk("listpackex"));
    let arity = "-ERR wrong number of arguments for 'hgetex' command\r\n";
    assert_eq!(c.run(&["HGETEX", "h", "EX", "10", "FIELDS"]), arity);
    assert_eq!(c.run(&["HGETEX", "h", "EX", "10", "foo"]), arity);
    assert_eq!(c.run(&["HGETEX", "h", "EX", "abc", "FIELDS"]), super::NOT_INT);
    assert_eq!(c.run(&["HGETEX", "h", "EX", "-1", "FIELDS"]), "-ERR invalid expire time, must be >= 0\r\n");
    assert_eq!(
        c.run(&["HGETEX", "h", "KEEPTTL", "FIELDS", "1", "a"]),
        "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n"
    );
    assert_eq!(
        c.run(&["HGETEX", "h", "PXAT", "10", "PX", "10", "FIELDS", "1", "a"]),
        "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n"
    );
    assert_eq!(c.run(&["HGETEX", "h", "PERSIST", "FIELDS", "1"]), "-ERR The `numfields` parameter must match the number of arguments\r\n");
    assert_eq!(c.run(&["HGETEX", "h", "FIELDS", "0", "a"]), "-ERR Number of fields must be a positive integer\r\n");
    assert_eq!(c.run(&["HGETEX", "nokey", "EX", "10", "FIELDS", "2", "a", "b"]), "*2\r\n$-1\r\n$-1\r\n");
    assert_eq!(c.run(&["EXISTS", "nokey"]), ":0\r\n");
    c.run(&["SET", "s", "x"]);
    assert_eq!(c.run(&["HGETEX", "s", "EX", "abc", "FIELDS", "1", "a"]), WRONGTYPE);
}

#[test]
fn hsetex() {
    let mut c = TestClient::new();
    c.run(&["HSET", "h", "a", "1", "b", "2"]);
    let arity = "-ERR wrong number of arguments for 'hsetex' command\r\n";
    for args in [
        &["FIELDS", "1", "a"][..],
        &["FIELDS", "1", "a", "1", "b"],
        &["FIELDS", "2", "a", "1"],
        &["EX", "10", "FIELDS", "1", "a"],
        &["FIELDS", "1", "a", "1", "EX", "10"],
        &["EX"],
        &["FIELDS", "2", "a", "1", "b", "2", "c"],
    ] {
        let mut cmd = vec!["HSETEX", "h"];
        cmd.extend_from_slice(args);
        assert_eq!(c.run(&cmd), arity, "{args:?}");
    }
    let e = |c: &mut TestClient, args: &[&str]| {
        let mut cmd = vec!["HSETEX", "h"];
        cmd.extend_from_slice(args);
        c.run(&cmd)
    };
    assert_eq!(e(&mut c, &["FIELDS", "0", "a", "1"]), "-ERR invalid number of fields\r\n");
    assert_eq!(e(&mut c, &["FIELDS", "x", "a", "1"]), "-ERR invalid number of fields\r\n");
    assert_eq!(e(&mut c, &["FIELDS", "2147483648", "a", "1"]), "-ERR invalid number of fields\r\n");
    let one = "-ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified\r\n";
    assert_eq!(e(&mut c, &["EX", "10", "PX", "10", "FIELDS", "1", "a", "1"]), one);
    assert_eq!(e(&mut c, &["KEEPTTL", "EX", "10", "FIELDS", "1", "a", "1"]), one);
    assert_eq!(e(&mut c, &["FNX", "FXX", "FIELDS", "1", "a", "1"]), "-ERR Only one of FXX or FNX arguments can be specified\r\n");
    assert_eq!(e(&mut c, &["foo", "FIELDS", "1", "a", "1"]), "-ERR unknown argument: foo\r\n");
    assert_eq!(e(&mut c, &["EX", "FIELDS", "1", "a", "1"]), super::NOT_INT);
    assert_eq!(e(&mut c, &["EX", "-1", "FIELDS", "1", "a", "1"]), "-ERR invalid expire time, must be >= 0\r\n");

    assert_eq!(c.run(&["HSETEX", "nokey", "FXX", "FIELDS", "1", "a", "1"]), ":0\r\n");
    assert_eq!(c.run(&["EXISTS", "nokey"]), ":0\r\n");
    assert_eq!(c.run(&["HSETEX", "n", "FNX", "EX", "100", "FIELDS", "1", "a", "1"]), ":1\r\n");
    assert_eq!(enc(&mut c, "n"), bulk("listpackex"));
    assert_eq!(c.run(&["HTTL", "n", "FIELDS", "1", "a"]), ints(&[100]));
    assert_eq!(e(&mut c, &["FNX", "EX", "100", "FIELDS", "2", "z", "1", "a", "1"]), ":0\r\n");
    assert_eq!(enc(&mut c, "h"), bulk("listpack"), "a failed FNX converts nothing");
    assert_eq!(e(&mut c, &["FXX", "FIELDS", "2", "a", "10", "z", "1"]), ":0\r\n");
    assert_eq!(e(&mut c, &["FXX", "PX", "100000", "FIELDS", "2", "a", "10", "b", "20"]), ":1\r\n");
    assert_eq!(c.run(&["HGETALL", "h"]), bulks(&["b", "20", "a", "10"]));
    assert_eq!(e(&mut c, &["FIELDS", "1", "a", "11"]), ":1\r\n");
    assert_eq!(c.run(&["HTTL", "h", "FIELDS", "2", "a", "b"]), ints(&[-1, 100]));
    assert_eq!(e(&mut c, &["KEEPTTL", "FIELDS", "1", "b", "22"]), ":1\r\n");
    assert_eq!(c.run(&["HTTL", "h", "FIELDS", "1", "b"]), ints(&[100]));
    assert_eq!(e(&mut c, &["EX", "0", "FIELDS", "1", "a", "1"]), ":1\r\n");
    assert_eq!(c.run(&["HGETALL", "h"]), bulks(&["b", "22"]));
    assert_eq!(e(&mut c, &["PXAT", "1", "FIELDS", "1", "b", "1"]), ":1\r\n");
    assert_eq!(c.run(&["EXISTS", "h"]), ":0\r\n");
    assert_eq!(c.run(&["HSETEX", "gone", "PXAT", "1", "FIELDS", "1", "b", "1"]), ":1\r\n");
    assert_eq!(c.run(&["EXISTS", "gone"]), ":0\r\n");
}
