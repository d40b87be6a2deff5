//! Set commands through the real dispatch path. Expected replies and
//! encodings were taken from Redis 8.2.3.

use crate::testing::TestClient;
use std::sync::atomic::Ordering::Relaxed;

fn dirty(c: &TestClient) -> u64 {
    c.srv.stats.dirty.load(Relaxed)
}

/// The members of an array/set reply, in order.
fn elems(reply: &str) -> Vec<String> {
    let mut lines = reply.split("\r\n");
    let head = lines.next().unwrap();
    assert!(head.starts_with('*') || head.starts_with('~'), "not an aggregate: {reply:?}");
    let mut v = Vec::new();
    while let Some(l) = lines.next() {
        if l.starts_with('$') {
            v.push(lines.next().unwrap().to_string());
        }
    }
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn sadd_srem_and_encodings() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["SADD", "s", "3", "1", "2", "2"]), ":3\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "s"]), "$6\r\nintset\r\n");
    assert_eq!(c.run(&["SMEMBERS", "s"]), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
    assert_eq!(c.run(&["SADD", "s", "x", "1"]), ":1\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "s"]), "$8\r\nlistpack\r\n");
    assert_eq!(elems(&c.run(&["SMEMBERS", "s"])), ["1", "2", "3", "x"]);
    assert_eq!(c.run(&["SREM", "s", "2", "nope", "2"]), ":1\r\n");
    assert_eq!(elems(&c.run(&["SMEMBERS", "s"])), ["1", "3", "x"]);
    assert_eq!(c.run(&["SCARD", "s"]), ":3\r\n");
    assert_eq!(c.run(&["SREM", "s", "1", "3", "x", "y"]), ":3\r\n");
    assert_eq!(c.run(&["EXISTS", "s"]), ":0\r\n", "an emptied set is deleted");
    assert_eq!(c.run(&["SREM", "s", "a"]), ":0\r\n");
    assert_eq!(c.run(&["SADD", "s"]), "-ERR wrong number of arguments for 'sadd' command\r\n");
    let long = "v".repeat(65);
    c.run(&["SADD", "l", "a", &long]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "l"]), "$9\r\nhashtable\r\n");
    c.run(&["SET", "str", "x"]);
    let wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    for cmd in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SCARD", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMEMBERS", "str"],
        &["SMISMEMBER", "str", "a"],
    ] {
        assert_eq!(c.run(cmd), wrong, "{cmd:?}");
    }
}

#[test]
fn size_hints_and_thresholds() {
    let mut c =
        TestClient::with_config(&[("set-max-intset-entries", "4"), ("set-max-listpack-entries", "3"), ("set-max-listpack-value", "5")]);
    let enc = |c: &mut TestClient, k: &str| c.run(&["OBJECT", "ENCODING", k]);
    c.run(&["SADD", "i", "1", "2", "3", "4"]);
    assert_eq!(enc(&mut c, "i"), "$6\r\nintset\r\n");
    c.run(&["SADD", "i", "5"]);
    assert_eq!(enc(&mut c, "i"), "$9\r\nhashtable\r\n");
    // Duplicates still count towards the hint.
    c.run(&["SADD", "d", "a", "a", "a", "a"]);
    assert_eq!(enc(&mut c, "d"), "$9\r\nhashtable\r\n");
    c.run(&["SADD", "e", "1"]);
    c.run(&["SADD", "e", "1", "1", "1", "1", "1"]);
    assert_eq!(enc(&mut c, "e"), "$9\r\nhashtable\r\n");
    c.run(&["SADD", "p", "ab", "abcde"]);
    assert_eq!(enc(&mut c, "p"), "$8\r\nlistpack\r\n");
    c.run(&["SADD", "p", "abcdef"]);
    assert_eq!(enc(&mut c, "p"), "$9\r\nhashtable\r\n");
    assert_eq!(c.run(&["SISMEMBER", "p", "abcdef"]), ":1\r\n");
}

#[test]
fn membership_and_resp3() {
    let mut c = TestClient::new();
    c.run(&["SADD", "s", "a", "b"]);
    assert_eq!(c.run(&["SISMEMBER", "s", "a"]), ":1\r\n");
    assert_eq!(c.run(&["SISMEMBER", "s", "z"]), ":0\r\n");
    assert_eq!(c.run(&["SISMEMBER", "none", "z"]), ":0\r\n");
    assert_eq!(c.run(&["SMISMEMBER", "s", "a", "z", "b"]), "*3\r\n:1\r\n:0\r\n:1\r\n");
    assert_eq!(c.run(&["SMISMEMBER", "none", "a"]), "*1\r\n:0\r\n");
    c.run(&["HELLO", "3"]);
    assert_eq!(c.run(&["SMEMBERS", "s"]), "~2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(c.run(&["SMEMBERS", "none"]), "~0\r\n");
    assert_eq!(c.run(&["SMISMEMBER", "s", "a"]), "*1\r\n:1\r\n");
    assert_eq!(c.run(&["SPOP", "none"]), "_\r\n");
    assert_eq!(c.run(&["SPOP", "none", "2"]), "~0\r\n");
    assert_eq!(c.run(&["SRANDMEMBER", "none"]), "_\r\n");
    assert_eq!(c.run(&["SRANDMEMBER", "none", "2"]), "*0\r\n");
    assert_eq!(c.run(&["SRANDMEMBER", "s", "5"]), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(c.run(&["SINTER", "s", "none"]), "~0\r\n");
    assert_eq!(c.run(&["SSCAN", "s", "0"]), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(c.run(&["SPOP", "s", "5"]), "~2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

#[test]
fn smove() {
    let mut c = TestClient::new();
    c.run(&["SADD", "a", "1", "2"]);
    c.run(&["SET", "str", "x"]);
    let wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    assert_eq!(c.run(&["SMOVE", "none", "str", "1"]), ":0\r\n");
    assert_eq!(c.run(&["SMOVE", "a", "str", "1"]), wrong);
    assert_eq!(c.run(&["SMOVE", "str", "a", "1"]), wrong);
    assert_eq!(c.run(&["SMOVE", "a", "a", "1"]), ":1\r\n");
    assert_eq!(c.run(&["SMOVE", "a", "a", "9"]), ":0\r\n");
    let d0 = dirty(&c);
    assert_eq!(c.run(&["SMOVE", "a", "b", "1"]), ":1\r\n");
    assert_eq!(dirty(&c) - d0, 2);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "b"]), "$6\r\nintset\r\n");
    assert_eq!(c.run(&["SMOVE", "a", "b", "1"]), ":0\r\n");
    c.run(&["SADD", "b", "2"]);
    let d0 = dirty(&c);
    assert_eq!(c.run(&["SMOVE", "a", "b", "2"]), ":1\r\n");
    assert_eq!(dirty(&c) - d0, 1, "already in the destination");
    assert_eq!(c.run(&["EXISTS", "a"]), ":0\r\n");
    assert_eq!(c.run(&["SMOVE", "b", "c", "x"]), ":0\r\n");
    c.run(&["SADD", "b", "x"]);
    c.run(&["SMOVE", "b", "c", "x"]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "c"]), "$8\r\nlistpack\r\n");
}

#[test]
fn spop_and_srandmember() {
    let mut c = TestClient::new();
    let r = c.run(&["SPOP", "s", "-1"]);
    assert_eq!(r, "-ERR value is out of range, must be positive\r\n");
    assert_eq!(c.run(&["SPOP", "s", "x"]), r);
    assert_eq!(c.run(&["SPOP", "s", "1", "2"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["SRANDMEMBER", "s", "1", "2"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["SRANDMEMBER", "s", "x"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(
        c.run(&["SRANDMEMBER", "s", "-9223372036854775808"]),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    );
    assert_eq!(c.run(&["SPOP", "s"]), "$-1\r\n");
    assert_eq!(c.run(&["SPOP", "s", "0"]), "*0\r\n");
    let all: Vec<String> = (0..50).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "s"];
    args.extend(all.iter().map(String::as_str));
    c.run(&args);
    // Distinct members, fewer than the set: both strategies.
    for n in ["3", "20", "40", "49"] {
        let r = elems(&c.run(&["SRANDMEMBER", "s", n]));
        assert_eq!(r.len(), n.parse::<usize>().unwrap());
        assert_eq!(sorted(r.clone()).windows(2).filter(|w| w[0] == w[1]).count(), 0, "distinct: {r:?}");
        assert!(r.iter().all(|m| all.contains(m)));
    }
    let r = elems(&c.run(&["SRANDMEMBER", "s", "-200"]));
    assert_eq!(r.len(), 200);
    assert!(r.iter().all(|m| all.contains(m)));
    assert_eq!(sorted(elems(&c.run(&["SRANDMEMBER", "s", "50"]))), sorted(all.clone()));
    let one = c.run(&["SRANDMEMBER", "s"]);
    assert!(all.contains(&one.split("\r\n").nth(1).unwrap().to_string()));
    assert_eq!(c.run(&["SCARD", "s"]), ":50\r\n", "SRANDMEMBER leaves the set alone");

    // SPOP with a count: both strategies, then the rest.
    let d0 = dirty(&c);
    let mut popped = elems(&c.run(&["SPOP", "s", "5"]));
    assert_eq!(c.run(&["SCARD", "s"]), ":45\r\n");
    popped.extend(elems(&c.run(&["SPOP", "s", "40"])));
    assert_eq!(c.run(&["SCARD", "s"]), ":5\r\n");
    let single = c.run(&["SPOP", "s"]);
    popped.push(single.split("\r\n").nth(1).unwrap().to_string());
    popped.extend(elems(&c.run(&["SPOP", "s", "100"])));
    assert_eq!(sorted(popped), sorted(all));
    assert_eq!(c.run(&["EXISTS", "s"]), ":0\r\n");
    assert_eq!(dirty(&c) - d0, 50);
}

#[test]
fn spop_rebuilds_like_redis() {
    let mut c = TestClient::new();
    // 200 strings: a hash table. Popping 190 keeps 10, moved into a fresh
    // set that starts as a listpack.
    let mut args = vec!["SADD".to_string(), "h".into()];
    args.extend((0..200).map(|i| format!("m{i}")));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    c.run(&a);
    c.run(&["EXPIRE", "h", "1000"]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "h"]), "$9\r\nhashtable\r\n");
    assert_eq!(elems(&c.run(&["SPOP", "h", "190"])).len(), 190);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "h"]), "$8\r\nlistpack\r\n");
    assert_eq!(c.run(&["SCARD", "h"]), ":10\r\n");
    assert_eq!(c.run(&["TTL", "h"]), ":1000\r\n", "the key keeps its TTL");
    // A few pops from a hash table keep it a hash table.
    c.run(&a);
    c.run(&["SPOP", "h", "10"]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "h"]), "$9\r\nhashtable\r\n");
    c.run(&["SADD", "i", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    let r = elems(&c.run(&["SPOP", "i", "9"]));
    assert_eq!(r.len(), 9);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "i"]), "$6\r\nintset\r\n");
}

#[test]
fn srandmember_huge_negative_count_is_capped() {
    let mut c = TestClient::with_config(&[("client-output-buffer-limit", "normal 1mb 0 0")]);
    c.run(&["SADD", "s", "a"]);
    let r = c.run(&["SRANDMEMBER", "s", "-100000000"]);
    assert_eq!(r, "", "the reply is dropped");
    assert_eq!(c.conn.action, Some(crate::client::Action::Close));
}

#[test]
fn intersections() {
    let mut c = TestClient::new();
    c.run(&["SADD", "p", "a", "b", "c", "d"]);
    c.run(&["SADD", "q", "d", "c", "b", "a"]);
    c.run(&["SADD", "big", "a", "b", "c", "d", "e"]);
    // Smallest first, the first named among equals: its order is the reply's.
    assert_eq!(elems(&c.run(&["SINTER", "p", "q"])), ["a", "b", "c", "d"]);
    assert_eq!(elems(&c.run(&["SINTER", "q", "p"])), ["d", "c", "b", "a"]);
    assert_eq!(elems(&c.run(&["SINTER", "big", "q", "p"])), ["d", "c", "b", "a"]);
    assert_eq!(c.run(&["SINTER", "p", "none"]), "*0\r\n");
    assert_eq!(c.run(&["SINTERCARD", "2", "p", "big"]), ":4\r\n");
    assert_eq!(c.run(&["SINTERCARD", "2", "p", "big", "LIMIT", "2"]), ":2\r\n");
    assert_eq!(c.run(&["SINTERCARD", "2", "p", "big", "limit", "0"]), ":4\r\n");
    assert_eq!(c.run(&["SINTERCARD", "2", "p", "none"]), ":0\r\n");
    assert_eq!(c.run(&["SINTERCARD", "0", "p"]), "-ERR numkeys should be greater than 0\r\n");
    assert_eq!(c.run(&["SINTERCARD", "x", "p"]), "-ERR numkeys should be greater than 0\r\n");
    assert_eq!(c.run(&["SINTERCARD", "3", "p", "q"]), "-ERR Number of keys can't be greater than number of args\r\n");
    assert_eq!(c.run(&["SINTERCARD", "1", "p", "LIMIT", "-1"]), "-ERR LIMIT can't be negative\r\n");
    assert_eq!(c.run(&["SINTERCARD", "1", "p", "LIMIT"]), "-ERR syntax error\r\n");
    c.run(&["SET", "str", "x"]);
    assert!(c.run(&["SINTER", "none", "str"]).starts_with("-WRONGTYPE"), "type errors win over missing keys");
    // SINTERSTORE's encodings.
    c.run(&["SADD", "n1", "3", "1", "2"]);
    c.run(&["SADD", "n2", "x", "9", "3", "2"]);
    c.run(&["SADD", "n3", "x", "2", "3", "y"]);
    let d0 = dirty(&c);
    assert_eq!(c.run(&["SINTERSTORE", "dst", "n2", "n1"]), ":2\r\n");
    assert_eq!(dirty(&c) - d0, 1);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "dst"]), "$6\r\nintset\r\n");
    assert_eq!(c.run(&["SINTERSTORE", "dst", "n2", "n3"]), ":3\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "dst"]), "$8\r\nlistpack\r\n");
    assert_eq!(elems(&c.run(&["SMEMBERS", "dst"])), ["x", "3", "2"]);
    c.run(&["SREM", "n3", "x"]);
    c.run(&["SINTERSTORE", "dst", "n3", "n2"]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "dst"]), "$6\r\nintset\r\n", "all-integer results become an intset");
    c.run(&["EXPIRE", "dst", "100"]);
    c.run(&["SINTERSTORE", "dst", "n3", "n2"]);
    assert_eq!(c.run(&["TTL", "dst"]), ":-1\r\n");
    let d0 = dirty(&c);
    assert_eq!(c.run(&["SINTERSTORE", "dst", "n3", "none"]), ":0\r\n");
    assert_eq!(c.run(&["SINTERSTORE", "dst", "n3", "none"]), ":0\r\n");
    assert_eq!(dirty(&c) - d0, 1);
    assert_eq!(c.run(&["EXISTS", "dst"]), ":0\r\n");
    c.run(&["SET", "str", "x"]);
    assert_eq!(c.run(&["SINTERSTORE", "str", "n1"]), ":3\r\n", "a store overwrites any type");
}

#[test]
fn unions_and_differences() {
    let mut c = TestClient::new();
    c.run(&["SADD", "i1", "5", "3", "1"]);
    c.run(&["SADD", "i2", "4", "2", "1"]);
    c.run(&["SADD", "l", "b", "a", "1"]);
    assert_eq!(elems(&c.run(&["SUNION", "i1", "i2", "none"])), ["1", "2", "3", "4", "5"]);
    assert_eq!(elems(&c.run(&["SDIFF", "i1", "i2"])), ["3", "5"]);
    assert_eq!(sorted(elems(&c.run(&["SUNION", "i1", "l"]))), ["1", "3", "5", "a", "b"]);
    assert_eq!(sorted(elems(&c.run(&["SDIFF", "l", "i1"]))), ["a", "b"]);
    assert_eq!(c.run(&["SDIFF", "i1", "i1"]), "*0\r\n");
    assert_eq!(c.run(&["SDIFF", "none", "i1"]), "*0\r\n");
    assert_eq!(c.run(&["SUNION", "none"]), "*0\r\n");
    // Stored results grow from an intset by the usual rules.
    assert_eq!(c.run(&["SUNIONSTORE", "d", "l"]), ":3\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "d"]), "$8\r\nlistpack\r\n");
    assert_eq!(elems(&c.run(&["SMEMBERS", "d"])), ["b", "a", "1"]);
    c.run(&["SADD", "m", "x", "30", "10", "20"]);
    c.run(&["SREM", "m", "x"]);
    c.run(&["SUNIONSTORE", "d", "m"]);
    assert_eq!(c.run(&["OBJECT", "ENCODING", "d"]), "$6\r\nintset\r\n");
    assert_eq!(c.run(&["SDIFFSTORE", "d", "l", "i1"]), ":2\r\n");
    assert_eq!(elems(&c.run(&["SMEMBERS", "d"])), ["b", "a"]);
    let d0 = dirty(&c);
    assert_eq!(c.run(&["SDIFFSTORE", "d", "i1", "i1"]), ":0\r\n");
    assert_eq!(c.run(&["SUNIONSTORE", "d", "none"]), ":0\r\n");
    assert_eq!(dirty(&c) - d0, 1);
    c.run(&["SET", "str", "x"]);
    assert!(c.run(&["SUNION", "i1", "str"]).starts_with("-WRONGTYPE"));
    assert!(c.run(&["SDIFFSTORE", "d", "none", "str"]).starts_with("-WRONGTYPE"));
}

#[test]
fn sdiff_algorithm_shapes_the_encoding() {
    // Redis picks algorithm 2 when first*present/2 > total: it adds the
    // whole first set before removing, so 200 members make a hash table
    // even when only 101 remain; algorithm 1 adds only the survivors.
    let mut c = TestClient::new();
    let sadd = |c: &mut TestClient, k: &str, r: std::ops::Range<usize>| {
        let mut args = vec!["SADD".to_string(), k.to_string()];
        args.extend(r.map(|i| format!("m{i}")));
        c.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    };
    sadd(&mut c, "big", 0..200);
    sadd(&mut c, "o1", 0..50);
    sadd(&mut c, "o2", 50..99);
    sadd(&mut c, "o3", 50..100);
    // 300 > 299: algorithm 2.
    assert_eq!(c.run(&["SDIFFSTORE", "d", "big", "o1", "o2"]), ":101\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "d"]), "$9\r\nhashtable\r\n");
    // 300 <= 300: algorithm 1.
    assert_eq!(c.run(&["SDIFFSTORE", "d", "big", "o1", "o3"]), ":100\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "d"]), "$8\r\nlistpack\r\n");
    c.run(&["SUNIONSTORE", "o12", "o1", "o2"]);
    assert_eq!(c.run(&["SDIFFSTORE", "d", "big", "o12"]), ":101\r\n");
    assert_eq!(c.run(&["OBJECT", "ENCODING", "d"]), "$8\r\nlistpack\r\n");
}

#[test]
fn sscan() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["SSCAN", "none", "0", "COUNT", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    c.run(&["SADD", "s", "a", "b", "ab", ""]);
    assert_eq!(c.run(&["SSCAN", "s", "12345"]), "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\nab\r\n$0\r\n\r\n");
    assert_eq!(c.run(&["SSCAN", "s", "0", "MATCH", "a*"]), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$2\r\nab\r\n");
    assert_eq!(
        c.run(&["SSCAN", "s", "0", "MATCH", "*", "COUNT", "1"]),
        "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\nab\r\n$0\r\n\r\n"
    );
    assert_eq!(c.run(&["SSCAN", "s", "x"]), "-ERR invalid cursor\r\n");
    assert_eq!(c.run(&["SSCAN", "s", "0", "COUNT", "0"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["SSCAN", "s", "0", "COUNT", "x"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.run(&["SSCAN", "s", "0", "TYPE", "set"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["SSCAN", "s", "0", "MATCH"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["SSCAN", "s", "0", "NOVALUES"]), "-ERR NOVALUES option can only be used in HSCAN\r\n");
    c.run(&["SET", "str", "x"]);
    assert!(c.run(&["SSCAN", "str", "0", "COUNT", "0"]).starts_with("-WRONGTYPE"));
    c.run(&["SADD", "i", "3", "1", "12"]);
    assert_eq!(c.run(&["SSCAN", "i", "0", "MATCH", "1*"]), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$2\r\n12\r\n");
    // A hash table: iterate to cursor 0 and see every member once or more.
    let mut args = vec!["SADD".to_string(), "h".into()];
    args.extend((0..500).map(|i| format!("m{i}")));
    c.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let r = c.run(&["SSCAN", "h", &cursor, "COUNT", "20"]);
        let mut lines = r.split("\r\n");
        lines.next();
        lines.next();
        cursor = lines.next().unwrap().to_string();
        seen.extend(elems(&lines.collect::<Vec<_>>().join("\r\n")));
        calls += 1;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 500);
    assert!(calls > 10, "a table is scanned in steps");
}
