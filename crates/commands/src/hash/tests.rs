//! Hash family tests through the real dispatch path. Expected replies were
//! taken from Redis 8.2.3.

use crate::testing::TestClient;
use moon_store::clock::now_ms;

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";

fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

fn ints(v: &[i64]) -> String {
    let mut s = format!("*{}\r\n", v.len());
    for i in v {
        s.push_str(&format!(":{i}\r\n"));
    }
    s
}

fn bulks(v: &[&str]) -> String {
    let mut s = format!("*{}\r\n", v.len());
    for b in v {
        s.push_str(&bulk(b));
    }
    s
}

fn enc(c: &mut TestClient, key: &str) -> String {
    c.run(&["OBJECT", "ENCODING", key])
}

/// Field names of an HGETALL-style flat reply, in order.
fn names(reply: &str, step: usize) -> Vec<String> {
    let lines: Vec<&str> = reply.split("\r\n").collect();
    lines[1..].chunks(2).filter(|c| c.len() == 2 && c[0].starts_with('$')).map(|c| c[1].to_string()).step_by(step).collect()
}

#[test]
fn set_get_and_friends() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["HSET", "h", "a", "1", "b", "2"]), ":2\r\n");
    assert_eq!(c.run(&["HSET", "h", "a", "3", "c", "4"]), ":1\r\n");
    assert_eq!(c.run(&["HMSET", "h", "d", "5"]), "+OK\r\n");
    assert_eq!(c.run(&["HSET", "h", "a"]), "-ERR wrong number of arguments for 'hset' command\r\n");
    assert_eq!(c.run(&["HMSET", "h", "a", "1", "b"]), "-ERR wrong number of arguments for 'hmset' command\r\n");
    assert_eq!(c.run(&["HGET", "h", "a"]), bulk("3"));
    assert_eq!(c.run(&["HGET", "h", "zz"]), "$-1\r\n");
    assert_eq!(c.run(&["HGET", "nokey", "a"]), "$-1\r\n");
    assert_eq!(c.run(&["HMGET", "h", "a", "zz", "d"]), "*3\r\n$1\r\n3\r\n$-1\r\n$1\r\n5\r\n");
    assert_eq!(c.run(&["HMGET", "nokey", "a", "b"]), "*2\r\n$-1\r\n$-1\r\n");
    assert_eq!(c.run(&["HLEN", "h"]), ":4\r\n");
    assert_eq!(c.run(&["HLEN", "nokey"]), ":0\r\n");
    assert_eq!(c.run(&["HSTRLEN", "h", "a"]), ":1\r\n");
    assert_eq!(c.run(&["HSTRLEN", "h", "zz"]), ":0\r\n");
    assert_eq!(c.run(&["HEXISTS", "h", "a"]), ":1\r\n");
    assert_eq!(c.run(&["HEXISTS", "h", "zz"]), ":0\r\n");
    assert_eq!(c.run(&["HSETNX", "h", "a", "9"]), ":0\r\n");
    assert_eq!(c.run(&["HSETNX", "h", "e", "9"]), ":1\r\n");
    assert_eq!(c.run(&["HSETNX", "new", "e", "9"]), ":1\r\n");
    assert_eq!(c.run(&["HGETALL", "h"]), bulks(&["a", "3", "b", "2", "c", "4", "d", "5", "e", "9"]));
    assert_eq!(c.run(&["HKEYS", "h"]), bulks(&["a", "b", "c", "d", "e"]));
    assert_eq!(c.run(&["HVALS", "h"]), bulks(&["3", "2", "4", "5", "9"]));
    assert_eq!(c.run(&["HGETALL", "nokey"]), "*0\r\n");
    assert_eq!(c.run(&["HDEL", "h", "a", "a", "zz", "b"]), ":2\r\n");
    assert_eq!(c.run(&["HDEL", "nokey", "a"]), ":0\r\n");
    assert_eq!(c.run(&["HDEL", "h", "c", "d", "e"]), ":3\r\n");
    assert_eq!(c.run(&["EXISTS", "h"]), ":0\r\n", "an emptied hash is deleted");
    assert_eq!(c.run(&["TYPE", "new"]), "+hash\r\n");
    // Empty strings are fine fields and values.
    assert_eq!(c.run(&["HSET", "e", "", ""]), ":1\r\n");
    assert_eq!(c.run(&["HGETALL", "e"]), bulks(&["", ""]));
}

#[test]
fn resp3_shapes() {
    let mut c = TestClient::new();
    c.run(&["HELLO", "3"]);
    c.run(&["HSET", "h", "a", "1", "b", "2"]);
    assert_eq!(c.run(&["HGETALL", "h"]), "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert_eq!(c.run(&["HGETALL", "nokey"]), "%0\r\n");
    assert_eq!(c.run(&["HKEYS", "nokey"]), "*0\r\n");
    assert_eq!(c.run(&["HGET", "h", "zz"]), "_\r\n");
    assert_eq!(c.run(&["HMGET", "h", "a", "zz"]), "*2\r\n$1\r\n1\r\n_\r\n");
    assert_eq!(c.run(&["HRANDFIELD", "nokey"]), "_\r\n");
    assert_eq!(c.run(&["HRANDFIELD", "h", "5", "WITHVALUES"]), "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    let r = c.run(&["HRANDFIELD", "h", "-3", "WITHVALUES"]);
    assert!(r.starts_with("*3\r\n*2\r\n"), "{r}");
    assert_eq!(c.run(&["HSCAN", "h", "0"]), "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert_eq!(c.run(&["HGETDEL", "h", "FIELDS", "1", "zz"]), "*1\r\n_\r\n");
    assert_eq!(c.run(&["HGETEX", "nokey", "FIELDS", "1", "zz"]), "*1\r\n_\r\n");
}

#[test]
fn wrong_type_everywhere() {
    let mut c = TestClient::new();
    c.run(&["SET", "s", "x"]);
    for cmd in [
        &["HSET", "s", "a", "1"][..],
        &["HMSET", "s", "a", "1"],
        &["HSETNX", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HDEL", "s", "a"],
        &["HLEN", "s"],
        &["HSTRLEN", "s", "a"],
        &["HEXISTS", "s", "a"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HGETALL", "s"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HSCAN", "s", "0", "foo"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "1"],
        &["HEXPIRE", "s", "abc", "FIELDS", "0", "a"],
        &["HTTL", "s", "foo", "0", "a"],
        &["HPERSIST", "s", "foo", "0", "a"],
        &["HGETDEL", "s", "foo", "1", "a"],
        &["HGETEX", "s", "EX", "10", "FIELDS"],
        &["HSETEX", "s", "FXX", "FIELDS", "1", "a", "1"],
    ] {
        assert_eq!(c.run(cmd), WRONGTYPE, "{cmd:?}");
    }
    // Argument errors that Redis checks before the key.
    assert_eq!(c.run(&["HINCRBY", "s", "a", "x"]), NOT_INT);
    assert_eq!(c.run(&["HINCRBYFLOAT", "s", "a", "x"]), "-ERR value is not a valid float\r\n");
    assert_eq!(c.run(&["HSCAN", "s", "x"]), "-ERR invalid cursor\r\n");
    assert_eq!(c.run(&["HRANDFIELD", "s", "x"]), NOT_INT);
    assert_eq!(c.run(&["HSETEX", "s", "FOO", "FIELDS", "1", "a", "1"]), "-ERR unknown argument: FOO\r\n");
}

#[test]
fn counters() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["HINCRBY", "h", "n", "5"]), ":5\r\n");
    assert_eq!(c.run(&["HINCRBY", "h", "n", "-7"]), ":-2\r\n");
    assert_eq!(c.run(&["HINCRBY", "h", "n", "x"]), NOT_INT);
    assert_eq!(c.run(&["HINCRBY", "h", "n", "9223372036854775807"]), ":9223372036854775805\r\n");
    assert_eq!(c.run(&["HINCRBY", "h", "n", "3"]), "-ERR increment or decrement would overflow\r\n");
    for bad in ["1.5", " 1", "", "007", "-0", "abc"] {
        c.run(&["HSET", "h", "f", bad]);
        assert_eq!(c.run(&["HINCRBY", "h", "f", "1"]), "-ERR hash value is not an integer\r\n", "{bad:?}");
    }
    assert_eq!(c.run(&["HINCRBYFLOAT", "h", "f", "1"]), "-ERR hash value is not a float\r\n");
    c.run(&["HSET", "h", "f", "-0"]);
    assert_eq!(c.run(&["HINCRBYFLOAT", "h", "f", "1"]), bulk("1"));
    c.run(&["HSET", "h", "f", "10.5"]);
    assert_eq!(c.run(&["HINCRBYFLOAT", "h", "f", "0.1"]), bulk("10.6"));
    assert_eq!(c.run(&["HINCRBYFLOAT", "h", "f", "5.0e3"]), bulk("5010.60000000000000009"));
    assert_eq!(c.run(&["HINCRBYFLOAT", "h", "g", "-0.5"]), bulk("-0.5"));
    assert_eq!(c.run(&["HINCRBYFLOAT", "h", "g", "inf"]), "-ERR value is NaN or Infinity\r\n");
    assert_eq!(c.run(&["HINCRBYFLOAT", "h", "g", "nan"]), "-ERR value is not a valid float\r\n");
    c.run(&["HSET", "h", "big", "1e4932"]);
    assert_eq!(c.run(&["HINCRBYFLOAT", "h", "big", "1e4932"]), "-ERR increment would produce NaN or Infinity\r\n");
    assert_eq!(c.run(&["HINCRBYFLOAT", "nokey", "x", "x"]), "-ERR value is not a valid float\r\n");
    assert_eq!(c.run(&["EXISTS", "nokey"]), ":0\r\n");
    // A long result converts the hash, as any long value does.
    let r = c.run(&["HINCRBYFLOAT", "h", "huge", "1e308"]);
    assert!(r.starts_with("$309\r\n") || r.starts_with("$308\r\n"), "{r}");
    assert_eq!(enc(&mut c, "h"), bulk("hashtable"));
}

#[test]
fn encodings_follow_the_limits() {
    let mut c = TestClient::new();
    c.run(&["CONFIG", "SET", "hash-max-listpack-entries", "3"]);
    c.run(&["HSET", "a", "f1", "1", "f2", "2", "f3", "3"]);
    assert_eq!(enc(&mut c, "a"), bulk("listpack"));
    c.run(&["HSET", "a", "f4", "4"]);
    assert_eq!(enc(&mut c, "a"), bulk("hashtable"));
    // More pairs than the limit in one command, even duplicates, converts.
    c.run(&["HSET", "b", "x", "1", "x", "2", "x", "3", "x", "4"]);
    assert_eq!((enc(&mut c, "b"), c.run(&["HLEN", "b"])), (bulk("hashtable"), ":1\r\n".into()));
    for k in ["a1", "a2", "a3", "a4"] {
        c.run(&["HSETNX", "c", k, "v"]);
    }
    assert_eq!(enc(&mut c, "c"), bulk("hashtable"));
    c.run(&["CONFIG", "SET", "hash-max-listpack-entries", "128"]);
    c.run(&["CONFIG", "SET", "hash-max-listpack-value", "3"]);
    c.run(&["HSET", "d", "abc", "abc"]);
    assert_eq!(enc(&mut c, "d"), bulk("listpack"));
    c.run(&["HSET", "d", "abcd", "1"]);
    assert_eq!(enc(&mut c, "d"), bulk("hashtable"));
    c.run(&["HSET", "e", "a", "1"]);
    c.run(&["HINCRBY", "e", "a", "1000"]);
    assert_eq!(enc(&mut c, "e"), bulk("hashtable"));
    // A hashtable never goes back.
    c.run(&["HDEL", "e", "a"]);
    c.run(&["HSET", "e2", "a", "1"]);
    c.run(&["HSETEX", "e2", "FIELDS", "1", "abcd", "1"]);
    assert_eq!(enc(&mut c, "e2"), bulk("hashtable"));
    c.run(&["CONFIG", "SET", "hash-max-listpack-value", "0"]);
    c.run(&["HSET", "f", "", ""]);
    assert_eq!(enc(&mut c, "f"), bulk("listpack"));
    c.run(&["CONFIG", "SET", "hash-max-listpack-entries", "0"]);
    c.run(&["HSET", "g", "", ""]);
    assert_eq!(enc(&mut c, "g"), bulk("hashtable"));
}

#[test]
fn big_hashes_work_the_same() {
    let mut c = TestClient::new();
    for i in 0..300 {
        c.run(&["HSET", "h", &format!("f{i}"), &format!("v{i}")]);
    }
    assert_eq!(enc(&mut c, "h"), bulk("hashtable"));
    assert_eq!(c.run(&["HLEN", "h"]), ":300\r\n");
    assert_eq!(c.run(&["HGET", "h", "f123"]), bulk("v123"));
    let keys = c.run(&["HKEYS", "h"]);
    assert!(keys.starts_with("*300\r\n"));
    let mut got = names(&keys, 1);
    got.sort();
    let mut want: Vec<String> = (0..300).map(|i| format!("f{i}")).collect();
    want.sort();
    assert_eq!(got, want);
    // HSCAN visits every field across calls.
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let r = c.run(&["HSCAN", "h", &cursor, "COUNT", "7"]);
        let lines: Vec<&str> = r.split("\r\n").collect();
        cursor = lines[2].to_string();
        for pair in lines[4..].chunks(4) {
            if pair.len() == 4 {
                assert_eq!(pair[3].replace('v', "f"), pair[1]);
                seen.insert(pair[1].to_string());
            }
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 300);
    let r = c.run(&["HSCAN", "h", "0", "MATCH", "f1?", "NOVALUES", "COUNT", "1000"]);
    assert!(r.starts_with("*2\r\n$1\r\n0\r\n*10\r\n"), "{r}");
    for i in 0..300 {
        c.run(&["HDEL", "h", &format!("f{i}")]);
    }
    assert_eq!(c.run(&["EXISTS", "h"]), ":0\r\n");
}

#[test]
fn hscan_options() {
    let mut c = TestClient::new();
    c.run(&["HSET", "h", "a", "1", "b", "2", "ab", "3"]);
    assert_eq!(c.run(&["HSCAN", "h", "0", "NOVALUES"]), "*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\nab\r\n");
    assert_eq!(
        c.run(&["HSCAN", "h", "0", "MATCH", "a*", "COUNT", "1"]),
        "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\nab\r\n$1\r\n3\r\n"
    );
    assert_eq!(c.run(&["HSCAN", "h", "5"]), c.run(&["HSCAN", "h", "0"]), "a compact hash ignores the cursor");
    assert_eq!(c.run(&["HSCAN", "h", "0", "TYPE", "string"]), SYNTAX);
    assert_eq!(c.run(&["HSCAN", "h", "0", "COUNT", "0"]), SYNTAX);
    assert_eq!(c.run(&["HSCAN", "h", "0", "COUNT", "x"]), NOT_INT);
    assert_eq!(c.run(&["HSCAN", "h", "0", "MATCH"]), SYNTAX);
    assert_eq!(c.run(&["HSCAN", "h", "0", "NOVALUES", "x"]), SYNTAX);
    assert_eq!(c.run(&["HSCAN", "h", "-1"]), "-ERR invalid cursor\r\n");
    assert_eq!(c.run(&["HSCAN", "nokey", "0", "COUNT", "x"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    c.run(&["HSET", "e", "", "x"]);
    assert_eq!(c.run(&["HSCAN", "e", "0", "MATCH", "*"]), "*2\r\n$1\r\n0\r\n*2\r\n$0\r\n\r\n$1\r\nx\r\n");
}

#[test]
fn hrandfield() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["HRANDFIELD", "nokey"]), "$-1\r\n");
    assert_eq!(c.run(&["HRANDFIELD", "nokey", "5"]), "*0\r\n");
    assert_eq!(c.run(&["HRANDFIELD", "nokey", "1", "foo"]), SYNTAX);
    assert_eq!(c.run(&["HRANDFIELD", "nokey", "1", "WITHVALUES", "x"]), SYNTAX);
    assert_eq!(
        c.run(&["HRANDFIELD", "h", "-9223372036854775808"]),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    );
    assert_eq!(c.run(&["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"]), "-ERR value is out of range\r\n");
    for big in [false, true] {
        let n = if big { 200 } else { 10 };
        let key = if big { "big" } else { "small" };
        for i in 0..n {
            c.run(&["HSET", key, &format!("f{i}"), &format!("v{i}")]);
        }
        assert_eq!(enc(&mut c, key), bulk(if big { "hashtable" } else { "listpack" }));
        let one = c.run(&["HRANDFIELD", key]);
        assert!(one.starts_with("$") && one.contains('f'), "{one}");
        assert_eq!(c.run(&["HRANDFIELD", key, "0"]), "*0\r\n");
        for count in [1, 3, n / 2, n - 1, n, n + 5] {
            let r = c.run(&["HRANDFIELD", key, &count.to_string(), "WITHVALUES"]);
            let got = names(&r, 1);
            let fields: Vec<&String> = got.iter().step_by(2).collect();
            let distinct: std::collections::HashSet<_> = fields.iter().collect();
            assert_eq!(fields.len(), count.min(n), "{key} {count}");
            assert_eq!(distinct.len(), fields.len(), "unique fields for a positive count");
            for pair in got.chunks(2) {
                assert_eq!(pair[1].replace('v', "f"), pair[0]);
            }
        }
        let r = c.run(&["HRANDFIELD", key, "-50"]);
        assert!(r.starts_with("*50\r\n"));
        assert_eq!(names(&r, 1).len(), 50);
        let r = c.run(&["HRANDFIELD", key, "-5", "WITHVALUES"]);
        assert!(r.starts_with("*10\r\n"));
    }
    // Whole hash in order when the count covers it.
    assert_eq!(c.run(&["HRANDFIELD", "small", "100"]), c.run(&["HKEYS", "small"]));
    // Moon refuses a reply of tens of gigabytes.
    assert_eq!(c.run(&["HRANDFIELD", "small", "-4611686018427387903"]), "-ERR value is out of range\r\n");
}

#[test]
fn dirty_counts_like_redis() {
    let mut c = TestClient::new();
    let dirty = |c: &TestClient| c.srv.stats.dirty.load(std::sync::atomic::Ordering::Relaxed);
    let d0 = dirty(&c);
    c.run(&["HSET", "h", "a", "1", "a", "2", "b", "3"]);
    assert_eq!(dirty(&c) - d0, 3);
    c.run(&["HDEL", "h", "a", "zz"]);
    assert_eq!(dirty(&c) - d0, 4);
    c.run(&["HEXPIRE", "h", "100", "FIELDS", "2", "b", "zz"]);
    assert_eq!(dirty(&c) - d0, 5);
    c.run(&["HPERSIST", "h", "FIELDS", "1", "b"]);
    assert_eq!(dirty(&c) - d0, 6);
    c.run(&["HSETNX", "h", "b", "1"]);
    assert_eq!(dirty(&c) - d0, 6);
}

#[test]
fn info_keyspace_counts_hashes_with_field_ttls() {
    let mut c = TestClient::new();
    let sub = |c: &mut TestClient| {
        let info = c.run(&["INFO", "keyspace"]);
        info.split("subexpiry=").nth(1).map(|r| r.split("\r\n").next().unwrap_or("").to_string()).unwrap_or_default()
    };
    c.run(&["HSET", "h", "a", "1", "b", "2"]);
    c.run(&["HSET", "h2", "a", "1"]);
    assert_eq!(sub(&mut c), "0");
    c.run(&["HEXPIRE", "h", "100", "FIELDS", "1", "a"]);
    c.run(&["HSETEX", "h3", "EX", "100", "FIELDS", "1", "a", "1"]);
    assert_eq!(sub(&mut c), "2");
    c.run(&["HDEL", "h", "a"]);
    assert_eq!(sub(&mut c), "1");
    c.run(&["DEL", "h3"]);
    assert_eq!(sub(&mut c), "0");
}

mod ttl;
